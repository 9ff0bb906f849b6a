#include "pane.h"

#include <stdlib.h>

#include "base/xmalloc.h"

struct pane *pane_new(const struct pane_ops *ops, const char *title, const struct wb *wb)
{
	struct pane *p = xcalloc(1, sizeof *p);
	p->ops = ops;
	p->title = title;
	p->wb = wb;
	return p;
}

unsigned pane_no_keys(struct pane *p, int key)
{
	(void)p;
	(void)key;
	return 0;
}

void pane_free(struct pane *p)
{
	free(p);
}
