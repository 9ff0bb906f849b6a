/* template — prompt files (prompts/NAME.prompt, docs/templates.md) and the
 * techniques that run them.
 *
 * A prompt file is YAML front matter between two '---' lines, then a Mustache
 * body. A body line that is exactly "system:", "user:" or "assistant:" starts
 * a message of that role; text before the first marker is a user message.
 * Roles are split on the markers of the template text only, so a variable
 * whose value holds "user:" can never add a message. A file without front
 * matter is a bare template: plain Mustache, spec behaviour, no roles.
 *
 * The front matter declares the variables (typed, with defaults), model
 * parameters, few-shot examples (inline or a JSONL file beside the prompt,
 * given to the body as the list `examples`), a chain of steps (each step's
 * answer becomes a variable of the next) or self-consistency sampling
 * (samples, answer_regex, majority vote). Every body and step is compiled
 * when the file is loaded, so a broken file fails at once with
 * "FILE:LINE[:COLUMN]: sentence" (YAML positions from libyaml, Mustache ones
 * shifted by the front matter's lines).
 *
 * Lookup by name: $XDG_CONFIG_HOME/aiwb/prompts/NAME.prompt first, then the
 * built-ins in path_share_dir()/prompts. Everything here is synchronous file
 * work except struct template_runner, which runs a template's calls on the
 * event loop and never blocks it. */
#ifndef AIWB_TEMPLATE_H
#define AIWB_TEMPLATE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "base/err.h"
#include "llm/catalog.h"
#include "llm/provider.h"
#include "llm/run.h"
#include "loop.h"
#include "prompt/mustache.h"

#define TEMPLATE_MAX_FILE (1u << 20)
#define TEMPLATE_MAX_SAMPLES 32
#define TEMPLATE_MAX_STEPS 16
#define TEMPLATE_MAX_STOP 16

enum template_type { TEMPLATE_STRING, TEMPLATE_NUMBER, TEMPLATE_BOOLEAN, TEMPLATE_JSON };
enum template_source { TEMPLATE_BUILTIN, TEMPLATE_USER, TEMPLATE_FILE };

struct template_var {
	char *name;
	char *description;     /* may be NULL */
	enum template_type type;
	int required;
	cJSON *def;            /* default, of the variable's type; NULL when none */
};

struct template_step {
	char *name;
	char *output_var;      /* NULL only for the last step */
	char *file;            /* the step's own file, or NULL when written inline */
	char *text;            /* its Mustache text (role markers as written) */
	int line;              /* where the text starts in its file */
	struct mustache *m;
};

struct template {
	char *name;            /* the file name without .prompt */
	char *description, *technique; /* "" when not given */
	char *path, *dir;      /* the file and its directory */
	enum template_source source;
	int bare;              /* no front matter: plain Mustache */
	char *text;            /* the whole file */
	cJSON *front;          /* the front matter as JSON; NULL when bare */
	struct template_var *vars;
	size_t nvars;
	struct llm_params params; /* params.stop points into stops */
	char **stops;
	cJSON *examples;       /* list of {input, output, ...}; NULL when none */
	char *examples_file;   /* as written in the front matter, or NULL */
	struct template_step *steps;
	size_t nsteps;
	int samples;           /* > 0: self-consistency with this many samples */
	char *answer_regex;    /* POSIX ERE; NULL: vote on the whole answer */
	char *system;          /* front matter `system`: replaces the body's system messages (literal text); or NULL */
	char *body;            /* the Mustache body (role markers as written) */
	int body_line;         /* its first line in the file */
	/* private */
	struct mustache *m;
	char *partials_dir;
	struct buf partial;
	char *partial_error;   /* a partial there but unreadable (not a regular file, NUL) */
};

/* Loads and compiles a prompt file. partials_dir (NULL: the file's directory)
 * is where {{>x}} finds x.mustache. NULL with e ("FILE:LINE: ..."). */
struct template *template_load(const char *path, enum template_source source, const char *partials_dir,
			       struct err *e);
/* The same from text already read; path names it in errors and locates the
 * examples file. */
struct template *template_parse(const char *text, size_t len, const char *path, enum template_source source,
				const char *partials_dir, struct err *e);
/* NAME (user directory first, then built-in) or a path (anything with a '/'
 * or ending in .prompt or .mustache). NULL with e, naming what was tried. */
struct template *template_open(const char *name_or_path, const char *partials_dir, struct err *e);
void template_free(struct template *t);

int template_is_chain(const struct template *t);
int template_is_sampled(const struct template *t);
const char *template_source_name(enum template_source s); /* "built-in", "user", "file" */
const char *template_type_name(enum template_type type);

/* Every template file of the user directory and the built-ins, a user file
 * hiding the built-in of the same name; sorted by name. A file that does
 * not load has t NULL and its error in error. */
struct template_entry {
	char *name, *path;
	enum template_source source;
	int overrides;         /* a user file hiding a built-in */
	struct template *t;
	char *error;
};
int template_list(struct template_entry **out, size_t *n, struct err *e);
void template_list_free(struct template_entry *v, size_t n);

/* The variables of a render, layered: declared defaults and `examples`, then
 * the objects of `layers` in order (NULL entries skipped), then each "k=v" of
 * sets (strings coerced to the declared type). A template that declares
 * variables accepts no others (besides `examples` and step outputs). A new
 * object (caller frees), or NULL with e on a bad or unknown variable or a
 * missing required one ("template few-shot needs --var question=..."): all
 * of these are usage errors. A bare template takes any JSON as layers[0]. */
cJSON *template_bind(const struct template *t, const cJSON *const *layers, size_t nlayers,
		     const char *const *sets, size_t nsets, struct err *e);
/* The variables a render of the body cannot do without, each once: the
 * declared required ones without a default (required = 1), then the names
 * used outside any section (mustache_top_names) that have no default: for a
 * template that declares variables only declared ones, else any name but
 * `examples` (required = 0). Variables used only inside sections are
 * optional and not named. */
typedef void (*template_need_fn)(void *ud, const char *name, int required);
void template_needed_vars(const struct template *t, template_need_fn fn, void *ud);
/* Parses a "k=v" of the command line into k (caller frees) and v (in s). */
int template_split_set(const char *s, char **key, const char **value);
/* A value for a variable of type type from command-line text; NULL with e. */
cJSON *template_coerce(const char *name, enum template_type type, const char *text, struct err *e);

struct template_msg {
	char *role;            /* "system", "user", "assistant" */
	char *content;
};
struct template_msgs {
	struct template_msg *v;
	size_t n;
};

/* Renders the body (step -1) or step `step` with vars; appends to out (free
 * with template_msgs_free). Messages are trimmed and empty ones dropped. A
 * bare template gives one user message holding the rendering untouched. */
int template_render(const struct template *t, int step, const cJSON *vars, struct template_msgs *out,
		    struct err *e);
void template_msgs_free(struct template_msgs *m);
/* Splits text with role marker lines (as a body is written) into messages. */
void template_split_roles(const char *text, size_t len, struct template_msgs *out);

/* The request parts of rendered messages: the system messages joined by a
 * blank line (*system, caller frees, NULL when none) and the others as an
 * array (caller frees; strings borrowed from m). */
struct llm_message *template_llm_messages(const struct template_msgs *m, size_t *n, char **system);
/* Fills the parameters p does not set from the template's (stop: the
 * template's when p has none; borrowed from t). */
void template_merge_params(const struct template *t, struct llm_params *p);
/* {"temperature", "top_p", "max_tokens", "stop"}: the set ones. */
cJSON *template_params_json(const struct llm_params *p);
/* {"template": NAME, "vars": {...}} for the history row of a template run
 * (examples and step outputs left out). Caller frees. */
char *template_history_json(const struct template *t, const cJSON *vars);

/* Self-consistency. Extracts the answer from text: the last match of ere
 * (its first group when it has one), or the whole text when ere is NULL,
 * trimmed of spaces, '*', '`' and a final '.'. 1 with *answer (caller
 * frees), 0 when nothing matches, -1 with e when ere does not compile. */
int template_extract_answer(const char *ere, const char *text, char **answer, struct err *e);
struct template_tally {
	char *answer;          /* as first seen */
	size_t votes;
};
/* Groups answers (NULL: none extracted, not counted) case- and
 * space-insensitively; most votes first, ties in order of first appearance.
 * Returns the number of groups; *out caller frees with template_tally_free. */
size_t template_vote(const char *const *answers, size_t n, struct template_tally **out);
void template_tally_free(struct template_tally *v, size_t n);

/* Runs a template on the loop: one call, the chain of steps in order (each
 * step's answer bound to its output_var before the next is rendered), or
 * `samples` calls at once followed by the vote. A step that fails, is cut
 * or cancelled ends the chain. The callbacks come from the loop; on_done
 * comes exactly once, also after template_runner_cancel. */
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
