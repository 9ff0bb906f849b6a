/* run — one call to one model and what it measured: time to first token,
 * total time, input/output tokens (the provider's usage, or an estimate marked
 * as such), output tokens per second, stop reason and cost from the catalog.
 * A stream that is cut keeps its partial text and is marked incomplete.
 *
 * The run owns its text and result. Its callbacks come from the loop (on_text
 * may come from inside curl's write callback: append, mark dirty, nothing
 * else). run_cancel ends the call at once and calls on_done with status
 * LLM_CANCELLED, so callers handle every ending in one place.
 *
 * Text and result pass the redaction of base/secret.h on their way in: a
 * secret a server echoes back never reaches r->text, the result, the screen
 * or the history (bytes that could begin a secret wait for the next piece). */
#ifndef AIWB_RUN_H
#define AIWB_RUN_H

#include <stdint.h>

#include "base/buf.h"
#include "base/secret.h"
#include "llm/catalog.h"
#include "llm/provider.h"
#include "llm/run_metrics.h"
#include "store/db.h"

struct run;
typedef void (*run_fn)(struct run *r, void *ud);

struct run {
	char *model;           /* PROVIDER/MODEL */
	struct buf text;       /* model text as received (unsanitized), every secret in force redacted */
	struct llm_result result;
	int finished;
	int attempt, max_attempts; /* the attempt running or next (1 before any retry); max 0: unknown */
	int64_t retry_at_us;   /* when the next attempt starts (clock_us), 0 when none waits */
	char retry_reason[160]; /* why it is retried ("HTTP 429, retry 1 of 2 in 1.0 s"), or "" */
	/* private */
	struct provider_call *call;
	const struct catalog_entry *price;
	int64_t start_us, first_text_us, end_us;
	size_t prompt_chars;
	struct secret_stream redact;
	run_fn on_text, on_done;
	void *ud;
};

/* The bytes of text a request sends (system and messages): what the token
 * estimator (base/tokens.h) counts when a provider reports no usage. */
size_t run_prompt_chars(const struct llm_request *rq);
/* Starts the call; the request is copied by the provider. NULL with e when it
 * cannot start (bad model name, provider unusable, refused URL). */
struct run *run_start(struct loop *l, struct provider *p, const char *model_spec, const struct llm_request *rq,
		      const struct catalog *cat, run_fn on_text, run_fn on_done, void *ud, struct err *e);
/* Prices the run from cat (run_start does it when given a catalog); model is
 * the provider's model id (rq->model). */
void run_set_price(struct run *r, const struct provider *p, const char *model, const struct catalog *cat);
void run_cancel(struct run *r);
/* run_cancel with the reason the call was stopped, kept as its error
 * ("REASON after N bytes of text"). Not from inside curl's callbacks. */
void run_stop(struct run *r, const char *reason);
void run_metrics(const struct run *r, struct run_metrics *m);
/* "ok", "cut", "cancelled" or "error", as the JSON and the history write it. */
const char *run_status_name(enum llm_status s);
/* The `aiwb ask --json` object for the run (caller frees). */
char *run_json(const struct run *r, int sanitize_text);
/* Saves the run to history (prompt, messages, model, parameters, output,
 * metrics — never credentials); returns the row id or -1. extra_params: NULL,
 * or a JSON object whose keys join the row's params (e.g. the template name
 * and its variables). */
/* The history row of run_save, to insert with other rows in one transaction;
 * the strings are the row's (run_row_free frees them; kind and model are borrowed). */
void run_row(const struct run *r, const struct llm_request *rq, const char *kind, const char *extra_params,
	     struct db_run *row);
void run_row_free(struct db_run *row);
int64_t run_save(struct db *db, const struct run *r, const struct llm_request *rq, const char *kind,
		 const char *extra_params, struct err *e);
/* A compare saves one row per model, all with the same "compare_group" in
 * their params (history_group_models finds them again). run_compare_group
 * gives a new group: the wall-clock microseconds now, so one per compare.
 * run_compare_params is extra (NULL or a JSON object, e.g. the template and
 * its variables) with the group added, for run_save; caller frees. */
int64_t run_compare_group(void);
char *run_compare_params(const char *extra, int64_t group);
void run_free(struct run *r);

#endif
