/* prepare — a template made ready from what a user gave (the -t NAME|FILE of
 * `aiwb ask` and `aiwb compare`, and `aiwb prompt render`): the file found
 * and loaded (prompt/template.h), its variables bound from JSON files, "k=v"
 * sets and the prompt text, and a one-call template rendered into the
 * request's turns and system text (prompt/render.h). Synchronous file work.
 *
 * Failures are one sentence in e and a kind: PREP_USAGE when what was given
 * is wrong (an unknown or missing variable, a prompt with nowhere to go, a
 * multi-call template where only one call is allowed), PREP_FAILED when a
 * file cannot be used (not found, unreadable, not JSON, a render error). */
#ifndef AIWB_PREPARE_H
#define AIWB_PREPARE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/err.h"
#include "llm/provider.h"
#include "prompt/roles.h"
#include "prompt/bind.h"

enum { PREP_OK = 0, PREP_FAILED = 1, PREP_USAGE = 2 };

struct template_input {
	const char *const *sets;   /* "k=v" each (the last of a name wins) */
	size_t nsets;
	const char *data_file;     /* a JSON object (prompt render --data), or NULL */
	const char *vars_file;     /* a JSON object layered over it (--vars-file), or NULL */
	const char *prompt;        /* the value of the first declared variable, or NULL */
};

/* Reads in's files and binds t's variables (template_bind: the data file,
 * then the vars file, then the sets). PREP_OK with *out (caller frees), or
 * the kind with e; a file that is not JSON is named with its line
 * ("FILE:LINE: not valid JSON"). in->prompt is not used here. */
int template_bind_input(const struct template *t, const struct template_input *in, cJSON **out, struct err *e);

struct template_prep {
	struct template *t;
	cJSON *vars;                   /* the bound variables */
	struct template_msgs msgs;     /* rendered, for one-call templates */
	struct llm_message *messages;  /* the user/assistant turns of msgs */
	size_t nmessages;
	char *system;                  /* the system messages of msgs joined, or NULL */
};

/* Loads name (a name or a path), binds its variables from in (in->prompt
 * fills the first declared one, which then may not also be set), fills the
 * gaps of params from the template's and, for a one-call template, renders
 * it. one_call: a chain or sampled template is a usage error ("run it with
 * aiwb ask"). PREP_OK, or the kind with e; tp is zeroed first and freed with
 * template_prep_free either way. */
int template_prepare(struct template_prep *tp, const char *name, const struct template_input *in, int one_call,
		     struct llm_params *params, struct err *e);
void template_prep_free(struct template_prep *tp);

#endif
