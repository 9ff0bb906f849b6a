/* labsetup — what the workbench needs to run a past prompt again: the
 * template (or none), its variables as text, the free prompt, the system
 * prompt and the models. Plain data, so the UI can hold it without seeing
 * SQL or JSON.
 *
 * A compare saves one history row per model, each with the params key
 * "compare_group" (the same integer for every row of one compare); a setup
 * made from any of those rows names all of the group's models, in row order,
 * each once. A row without a group (or whose group lookup finds nothing)
 * names its own model. The system prompt is the run's first system message as
 * sent: for a template run that may be the template's own. */
#ifndef AIWB_LABSETUP_H
#define AIWB_LABSETUP_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct db;

struct lab_var {
	char *name;
	char *value;           /* as a person would type it: text, 3, true, or JSON */
};

struct lab_setup {
	char *template;        /* template name or path; NULL for a free prompt */
	struct lab_var *vars;  /* the template's variables as run; none for a free prompt */
	size_t nvars;
	char *prompt;          /* the free prompt (the last user message); "" with a template */
	char *system;          /* NULL when none */
	char **models;         /* PROVIDER/MODEL, at least one */
	size_t nmodels;
};

/* Fills *out from history row id: 1 when found, 0 when no such run, -1 with e. */
int lab_setup_from_history(struct db *db, int64_t id, struct lab_setup *out, struct err *e);
void lab_setup_free(struct lab_setup *s);

#endif
