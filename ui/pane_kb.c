/* Knowledge pane: the empty house. Knowledge bases, documents and search
 * arrive with the knowledge-base issue. */
#include <stdio.h>
#include <stdlib.h>

#include "base/xmalloc.h"
#include "draw.h"
#include "pane.h"

static void kb_draw(struct pane *p, WINDOW *w, int height, int width)
{
	const struct wb *wb = p->wb;
	int y = draw_wrapped(w, 0, 0, width, height, "No knowledge bases yet.", theme_attr(ROLE_NOTICE));
	if (wb->examples_dir && wb->demo_docs > 0 && y + 1 < height) {
		char line[512];
		snprintf(line, sizeof line, "%d demo document%s in %s/docs", wb->demo_docs,
			 wb->demo_docs == 1 ? "" : "s", wb->examples_dir);
		draw_wrapped(w, y + 1, 0, width, height - y - 1, line, theme_attr(ROLE_DIM));
	}
}

static unsigned kb_on_key(struct pane *p, int key)
{
	(void)p;
	(void)key;
	return 0;
}

static void kb_destroy(struct pane *p)
{
	free(p);
}

static const struct pane_ops kb_ops = {
	.draw = kb_draw,
	.on_key = kb_on_key,
	.destroy = kb_destroy,
};

struct pane *pane_kb_new(const struct wb *wb)
{
	struct pane *p = xcalloc(1, sizeof *p);
	p->ops = &kb_ops;
	p->title = "Knowledge";
	p->wb = wb;
	return p;
}
