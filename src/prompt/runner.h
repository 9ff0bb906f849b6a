/* runner — a template run on the event loop against one model: one call,
 * the chain of steps in order (each step's answer bound to its output_var
 * before the next is rendered), or `samples` calls at once followed by the
 * vote (prompt/vote.h). A step that fails, is cut or cancelled ends the
 * chain. Never blocks the loop. */
#ifndef AIWB_PROMPT_RUNNER_H
#define AIWB_PROMPT_RUNNER_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/err.h"
#include "llm/catalog.h"
#include "llm/provider.h"
#include "llm/run.h"
#include "loop.h"
#include "prompt/render.h"
#include "prompt/template.h"
#include "prompt/vote.h"

/* The callbacks come from the loop; on_done comes exactly once, also after
 * template_runner_cancel. */
struct template_runner;
struct template_runner_cb {
	void (*on_start)(struct template_runner *tr, size_t i, void *ud);
	void (*on_text)(struct template_runner *tr, size_t i, void *ud);
	void (*on_run_done)(struct template_runner *tr, size_t i, void *ud);
	void (*on_done)(struct template_runner *tr, void *ud);
};
struct template_runner_opts {
	struct loop *loop;
	struct provider *provider;
	const struct catalog *catalog;
	const char *model_spec;     /* PROVIDER/MODEL */
	const char *model;          /* MODEL */
	const char *system;         /* replaces the template's system messages; may be NULL */
	struct llm_params params;   /* the command line's; the template fills the gaps */
	int stream;
};
struct template_call {
	char *label;                /* step name, or "sample N" */
	struct template_msgs msgs;
	struct llm_message *messages;
	char *system;
	struct llm_request rq;      /* what was sent (for history) */
	struct run *run;
	char *answer;               /* samples: the extracted answer, or NULL */
	struct template_runner *tr; /* private */
};
struct template_runner {
	const struct template *t;   /* borrowed */
	cJSON *vars;                /* owned; grows with the steps' answers */
	struct template_call *calls;
	size_t ncalls;              /* started so far */
	size_t pending;
	int finished, cancelled;
	char error[1024];           /* a step that could not render or start; "" otherwise */
	struct template_tally *tally; /* samples, once finished */
	size_t ntally, no_answer;
	/* private */
	struct template_runner_opts o;
	struct template_runner_cb cb;
	void *ud;
};
/* Starts the first call (or all samples). NULL with e when nothing could start. */
struct template_runner *template_runner_start(const struct template *t, const cJSON *vars,
					      const struct template_runner_opts *o,
					      const struct template_runner_cb *cb, void *ud, struct err *e);
void template_runner_cancel(struct template_runner *tr);
/* The answer of the chain (the last step's text) or the winning vote; "" when none. */
const char *template_runner_answer(const struct template_runner *tr);
void template_runner_free(struct template_runner *tr);

#endif
