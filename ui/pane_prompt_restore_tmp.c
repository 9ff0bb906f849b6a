/* Stand-in for pane_prompt_restore until ui/pane_prompt.c restores a run's
 * template, variables and prompt itself: this only makes sure the run's first
 * model is the one selected. Deleted when the Prompt pane provides it. */
#include <stdlib.h>

#include "base/xmalloc.h"
#include "pane.h"
#include "prompt/labsetup.h"

void pane_prompt_restore(struct pane *p, const struct lab_setup *s)
{
	if (!s->nmodels)
		return;
	free(p->wb->selected);
	p->wb->selected = xstrdup(s->models[0]);
}
