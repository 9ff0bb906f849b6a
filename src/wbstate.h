/* wbstate — what the workbench keeps across restarts, in
 * DATA_HOME/workbench.json (0600, written whole to a temporary file and
 * renamed, and not written at all when it holds the same state): the marked models, parameters per model, the
 * Prompt pane's template, the focused pane and the folded providers.
 *
 * A missing file is an empty state. A file that cannot be read or parsed, or
 * a value of the wrong type, gives -1 with e and an empty state (the
 * workbench starts as new and says why); unknown keys are ignored, so a
 * newer aiwb's file still loads. Stop sequences are not kept. */
#ifndef AIWB_WBSTATE_H
#define AIWB_WBSTATE_H

#include <stddef.h>

#include "base/err.h"
#include "llm/provider.h"

struct wbstate_params {
	char *spec;                /* PROVIDER/MODEL */
	struct llm_params params;  /* stop is always NULL */
};

struct wbstate {
	char **marked;
	size_t nmarked;
	struct wbstate_params *params;
	size_t nparams;
	char *template;            /* NULL: the free prompt */
	char *focus;               /* "models", "prompt", "knowledge" or "jobs"; NULL: the default */
	char **folded;             /* provider names */
	size_t nfolded;
};

/* path NULL: DATA_HOME/workbench.json. */
int wbstate_load(struct wbstate *s, const char *path, struct err *e);
int wbstate_save(const struct wbstate *s, const char *path, struct err *e);
void wbstate_free(struct wbstate *s);

#endif
