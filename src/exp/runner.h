/* runner — runs a loaded experiment (exp/spec.h) on the event loop: every
 * case (row x prompt x kb setting x model, in that order) becomes one call
 * (with kb settings, its prompt's {{context}} is what exp_retrieve_case
 * found for it as it starts), started as the
 * limits allow: `concurrency` calls at once over all providers, and per
 * provider its `limits` (calls at once, requests started per minute; one
 * llm/limit.h each). Each provider is opened when its first case starts and
 * shared by its models; a provider that cannot be opened makes its cases
 * errors that name why, without a call.
 *
 * The experiment row is created by exp_run_new (status "running"); every
 * case is stored with its history run as it finishes (store/expstore.h). A
 * case that cannot be stored stops the work (no new call starts, the calls in
 * flight are cancelled: what cannot be kept is not worth paying for) and
 * exp_run_store_error says why. exp_run_cancel stops the same way; cancelled
 * cases are neither reported nor stored.
 *
 * The callbacks come from the loop (on_start and on_case also from inside
 * exp_run_start); on_done comes exactly once, when no call is left running
 * and every case is done or the work was stopped. Do not free the run from a
 * callback. Case objects are those of exp/report.h. */
#ifndef AIWB_EXP_RUNNER_H
#define AIWB_EXP_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/err.h"
#include "config.h"
#include "exp/retrieve.h"
#include "exp/spec.h"
#include "llm/catalog.h"
#include "loop.h"
#include "store/db.h"

struct exp_run;

struct exp_progress {
	size_t done, total;        /* cases finished (stored or not), planned */
	int running;               /* calls in flight */
};

struct exp_run_cb {
	/* case `index` has started its call */
	void (*on_start)(size_t index, const struct exp_progress *p, void *ud);
	/* case c has finished (its "run_id" set when it was stored) */
	void (*on_case)(const cJSON *c, const struct exp_progress *p, void *ud);
	void (*on_done)(void *ud);
};

struct exp_run_opts {
	struct loop *loop;
	const struct config *cfg;     /* for provider_open */
	struct db *db;
	const struct catalog *catalog;
	int concurrency;              /* 0: the file's */
	const struct exp_retrieve *retrieve; /* the spec's kb settings (exp/retrieve.h); NULL without */
};

/* The parameters prompt sends: the file's, its template filling the gaps. */
void exp_prompt_params(const struct exp_spec *spec, size_t prompt, struct llm_params *out);
/* The bytes of text case (prompt, row) sends (run_prompt_chars), rendered as
 * the runner renders it with context as its {{context}} (NULL: no kb
 * settings). -1 with e when it cannot be rendered: the runner makes such a
 * case an error without a call. */
int exp_case_prompt_chars(const struct exp_spec *spec, size_t prompt, size_t row, const char *context, size_t *chars,
			  struct err *e);

/* Prepares the cases and creates the experiment row for spec (borrowed until
 * exp_run_free); file is the path stored with it. NULL with e when the row
 * cannot be created. */
struct exp_run *exp_run_new(const struct exp_spec *spec, const char *file, const struct exp_run_opts *o,
			    const struct exp_run_cb *cb, void *ud, struct err *e);
/* Starts what the limits allow; the loop does the rest. */
void exp_run_start(struct exp_run *x);
/* No new call starts; the calls in flight are cancelled. */
void exp_run_cancel(struct exp_run *x);
/* on_done has come. */
int exp_run_finished(const struct exp_run *x);
int64_t exp_run_id(const struct exp_run *x);
void exp_run_progress(const struct exp_run *x, struct exp_progress *p);
/* Why a case could not be stored (the work stopped then), or NULL. */
const char *exp_run_store_error(const struct exp_run *x);
/* Stores the final status ("finished", "interrupted", "failed") and the
 * reason (NULL for none); -1 with e, logged. */
int exp_run_set_status(struct exp_run *x, const char *status, const char *reason, struct err *e);
/* The report document (exp/report.h, before exp_report_finish) of what ran:
 * the cases that finished, as stored, with this status and reason. Caller frees. */
cJSON *exp_run_doc(const struct exp_run *x, const char *status, const char *reason);
void exp_run_free(struct exp_run *x);

#endif
