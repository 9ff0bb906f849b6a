/* template — the prompt file format (prompts/NAME.prompt, docs/templates.md):
 * loading, checking and finding template files. Binding their variables is
 * prompt/bind.h.
 * What a template renders to is prompt/render.h; running one against a model
 * is prompt/runner.h.
 *
 * A prompt file is YAML front matter between two '---' lines, then a Mustache
 * body whose role marker lines (prompt/roles.h) split it into messages. A
 * file without front matter is a bare template: plain Mustache, spec
 * behaviour, no roles.
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
 * work. */
#ifndef AIWB_TEMPLATE_H
#define AIWB_TEMPLATE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "base/err.h"
#include "llm/provider.h"
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

/* "FILE:LINE[:COLUMN]: WHAT MSG" from Mustache's "line L, column C: MSG",
 * the line counted from line0 (the file line of the text's first line);
 * -1 (for prompt/render.h, whose rendering errors point into the file). */
int template_mustache_error(struct err *e, const char *file, int line0, const char *what, const char *msg);
/* name is the output_var of a step. */
int template_is_step_output(const struct template *t, const char *name);

#endif
