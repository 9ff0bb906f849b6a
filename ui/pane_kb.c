/* Knowledge pane: the empty house, pointing at the kb commands. Knowledge
 * bases, documents and search arrive with the knowledge-base pane. */
#include <stdio.h>

#include "draw.h"
#include "pane.h"

static void kb_draw(struct pane *p, WINDOW *w, int height, int width)
{
	const struct wb *wb = p->wb;
	int y = draw_wrapped(w, 0, 0, width, height, "This pane comes next; aiwb kb works now (docs/kb.md).", theme_attr(ROLE_NOTICE));
	if (wb->examples_dir && wb->demo_docs > 0 && y + 1 < height) {
		char line[512];
		snprintf(line, sizeof line, "%d demo document%s in %s/docs", wb->demo_docs,
			 wb->demo_docs == 1 ? "" : "s", wb->examples_dir);
		draw_wrapped(w, y + 1, 0, width, height - y - 1, line, theme_attr(ROLE_DIM));
	}
}

static const struct pane_ops kb_ops = {
	.draw = kb_draw,
	.on_key = pane_no_keys,
	.destroy = pane_free,
};

struct pane *pane_kb_new(struct wb *wb)
{
	return pane_new(&kb_ops, "Knowledge", wb);
}
