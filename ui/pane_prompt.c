/* Prompt pane: the empty house. Templates, the editor and streamed answers
 * arrive with the prompt lab. */
#include <stdio.h>

#include "draw.h"
#include "pane.h"

static void prompt_draw(struct pane *p, WINDOW *w, int height, int width)
{
	const struct wb *wb = p->wb;
	char line[128];
	int y = 0;
	y += draw_wrapped(w, y, 0, width, height - y, "Nothing sent yet.", theme_attr(ROLE_NOTICE));
	if (wb->history_runs >= 0 && y < height) {
		snprintf(line, sizeof line, "%lld run%s in history", (long long)wb->history_runs,
			 wb->history_runs == 1 ? "" : "s");
		y += draw_wrapped(w, y, 0, width, height - y, line, theme_attr(ROLE_DIM));
	}
	if (y + 1 < height)
		draw_wrapped(w, y + 1, 0, width, height - y - 1,
			     "Prompts are sent to the model selected in Models. Configure a provider first: aiwb doctor shows what is missing.",
			     theme_attr(ROLE_DIM));
}

static const struct pane_ops prompt_ops = {
	.draw = prompt_draw,
	.on_key = pane_no_keys,
	.destroy = pane_free,
};

struct pane *pane_prompt_new(const struct wb *wb)
{
	return pane_new(&prompt_ops, "Prompt", wb);
}
