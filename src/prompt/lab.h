/* lab — the core of the workbench's Prompt pane: a prompt being prepared (a
 * template with its variables typed as text, or free text) and its runs, one
 * per model, all on the event loop. Everything here is plain data for the UI,
 * which never sees the template's JSON.
 *
 * A form's field values are kept as typed; each is checked against the
 * variable's type when set (lab_form_set), and the whole form is bound and
 * rendered when previewed or sent, so a missing required variable is one
 * sentence naming it.
 *
 * A lab_run is one model's answer. A one-call prompt shows the model's text;
 * a chain shows each step under a "── step k/N: NAME ──" line as it streams;
 * self-consistency shows a line per finished sample and then the vote. The
 * shown text only grows while the run streams, so the UI can sanitize it
 * incrementally from the last offset it read. Every call is saved to the
 * history with its template, variables and compare group. */
#ifndef AIWB_LAB_H
#define AIWB_LAB_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "llm/catalog.h"
#include "llm/provider.h"
#include "llm/run.h"
#include "loop.h"
#include "prompt/labsetup.h"

struct db;
struct template;

struct lab_template_info {
	char *name;
	char *technique, *description; /* "" when not given */
	const char *source;            /* "built-in", "user" */
	char *error;                   /* the file does not load: why; NULL otherwise */
};

/* Every template (user files first hiding built-ins), sorted by name. */
int lab_templates(struct lab_template_info **out, size_t *n, struct err *e);
void lab_templates_free(struct lab_template_info *v, size_t n);

struct lab_field {
	char *name;
	char *description;   /* "" when none */
	const char *type;    /* "string", "number", "boolean", "json" */
	int required;
	char *value;         /* as typed; NULL when unset (then the default applies) */
	char *def;           /* the default as text; NULL when none */
};

struct lab_form {
	char *template;      /* its name; NULL for a free prompt */
	char *technique, *description;
	const char *shape;   /* "one call", "chain of N steps", "N samples and a vote" */
	struct lab_field *fields;
	size_t nfields;
	char *text;          /* the free prompt; "" until written */
	char *system;        /* replaces the template's system messages; NULL for none */
	char *history_extra; /* a JSON object whose keys join each run's history params (the
				retrieval of a question asked with sources); NULL for none */
	/* private */
	struct template *t;
	char shape_buf[48];
};

/* Makes f (zeroed, or open) a form for template name (NULL: a free prompt);
 * its text and system prompt stay. -1 with e when the template does not
 * load; the form is then a free prompt. */
int lab_form_open(struct lab_form *f, const char *name, struct err *e);
void lab_form_close(struct lab_form *f);
/* Sets field i ("" unsets it); -1 with e when text is not of the field's type. */
int lab_form_set(struct lab_form *f, size_t i, const char *text, struct err *e);
void lab_form_set_text(struct lab_form *f, const char *text);
void lab_form_set_system(struct lab_form *f, const char *system);
/* Sets history_extra (NULL clears it); opening another template clears it. */
void lab_form_set_history_extra(struct lab_form *f, const char *json);
/* The first required field with neither a value nor a default, or -1. */
long lab_form_missing(const struct lab_form *f);
/* Whether there is something to send (free text written, or a template). */
int lab_form_ready(const struct lab_form *f);
/* Fills the form from a past run: its template (or free prompt), values and
 * system. -1 with e when its template no longer loads or a value is no longer
 * valid (the form keeps what could be restored). */
int lab_form_restore(struct lab_form *f, const struct lab_setup *s, struct err *e);

struct lab_msg {
	char *role;
	char *content;
};
/* The messages the form sends (a chain: its first step, with later steps'
 * inputs shown as placeholders). -1 with e on a missing or bad variable. */
int lab_form_preview(const struct lab_form *f, struct lab_msg **out, size_t *n, struct err *e);
void lab_msgs_free(struct lab_msg *m, size_t n);

/* Saves the form as a new user template NAME (never overwriting a file):
 * a template form keeps its file with the current values as defaults; a free
 * prompt becomes a zero-shot template whose {{words}} are its variables.
 * params (may be NULL) become the template's model parameters. *path (caller
 * frees) is where it was written. -1 with e. */
int lab_form_save(const struct lab_form *f, const char *name, const struct llm_params *params, char **path,
		  struct err *e);

struct lab_run;
struct lab_run_cb {
	void (*on_text)(struct lab_run *lr, void *ud);
	void (*on_done)(struct lab_run *lr, void *ud);
};
struct lab_target {
	struct loop *loop;
	struct provider *provider;
	const struct catalog *catalog;
	struct db *db;             /* where the calls are saved; NULL: not saved */
	const char *model_spec;    /* PROVIDER/MODEL */
	struct llm_params params;  /* the model's own; the template fills the gaps */
	const char *kind;          /* "ask" or "compare" */
	int64_t group;             /* compare_group of the history rows; 0 for none */
	const struct lab_msg *messages; /* sent in one call in place of the form's rendering (the
					   guard's masked prompt, prompt/labguard.h); NULL: the form's */
	size_t nmessages;
	const char *shown;         /* what the shown text starts with, before the answer (the
				      question, chat/thread.h); NULL: nothing */
};

/* Starts the form's calls to one model. NULL with e when nothing could start
 * (a missing variable, a bad model name, a refused endpoint). */
struct lab_run *lab_run_start(const struct lab_form *f, const struct lab_target *tg, const struct lab_run_cb *cb,
			      void *ud, struct err *e);
/* A turn of a conversation (chat/thread.h): one call sending system and
 * messages (copied), its shown text starting with shown (the conversation so
 * far) and growing with the answer; saved with conversation and turn (0, 0:
 * a run on its own), tg's kind and group. NULL with e when it cannot start. */
struct lab_request {
	const char *system;
	const struct llm_message *messages;
	size_t nmessages;
	const char *shown;
	int64_t conversation;
	int turn;
};
struct lab_run *lab_run_send(const struct lab_request *rq, const struct lab_target *tg, const struct lab_run_cb *cb,
			     void *ud, struct err *e);
/* A finished run that only shows text (a conversation re-opened from the
 * history): status LLM_OK, message "re-opened from the history", metrics m
 * (NULL: unknown); its latest answer starts at byte answer_at of shown. */
struct lab_run *lab_run_shown(const char *spec, const char *shown, size_t answer_at, const struct run_metrics *m);
void lab_run_cancel(struct lab_run *lr);
void lab_run_free(struct lab_run *lr);

const char *lab_run_model(const struct lab_run *lr);
/* The text to show: grows while streaming; sanitize before drawing. */
const struct buf *lab_run_text(const struct lab_run *lr);
/* The answer alone (the last step's text, the winning vote, or the text). */
const char *lab_run_answer(const struct lab_run *lr);
/* Where the run's own answer starts in lab_run_text: after the text it was
 * given to show first (lab_target.shown, lab_request.shown; re-opened: the
 * conversation before its latest answer). From there on is the answer as
 * shown (a chain: every step; samples: their lines and the vote). */
size_t lab_run_answer_at(const struct lab_run *lr);
int lab_run_finished(const struct lab_run *lr);
/* The outcome once finished: LLM_OK, or the first call that was not OK. */
enum llm_status lab_run_status(const struct lab_run *lr);
/* One sentence for a run that did not end OK, else the stop reason or "". */
const char *lab_run_message(const struct lab_run *lr);
/* Where the call being shown is: its attempt (1 before any retry) of max
 * (0: unknown), and while a retry waits, the microseconds left (clock_us)
 * and why; 0 when no call runs. */
struct lab_attempt {
	int attempt, max;
	int64_t retry_in_us;
	char reason[160];
};
int lab_run_attempt(const struct lab_run *lr, struct lab_attempt *out);
/* The calls together: first TTFT, wall time, tokens and cost summed. */
void lab_run_metrics(const struct lab_run *lr, struct run_metrics *m);
/* Saved history rows (0 before any call finished). */
size_t lab_run_saved(const struct lab_run *lr);
/* The id of the first saved row (a chain's or a vote's: its group), 0 before any. */
int64_t lab_run_first_saved(const struct lab_run *lr);
/* The request of the run's last call as it was sent (a chain: its last step;
 * samples: the first), borrowed; *n = 0 when none was made. */
void lab_run_sent(const struct lab_run *lr, const char **system, const struct llm_message **messages, size_t *n);

#endif
