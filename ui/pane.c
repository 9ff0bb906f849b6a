#include "pane.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

void pane_init(struct pane *p, const struct pane_ops *ops, const char *title, struct wb *wb)
{
	p->ops = ops;
	p->title = title;
	p->wb = wb;
}

struct pane *pane_new(const struct pane_ops *ops, const char *title, struct wb *wb)
{
	struct pane *p = xcalloc(1, sizeof *p);
	pane_init(p, ops, title, wb);
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

const struct llm_params *wb_params_for(const struct wb *wb, const char *spec)
{
	static const struct llm_params defaults;
	for (size_t i = 0; spec && i < wb->nparams; i++)
		if (strcmp(wb->params[i].spec, spec) == 0)
			return &wb->params[i].params;
	return &defaults;
}

const struct ms_model *wb_find_model(const struct wb *wb, const char *spec)
{
	for (size_t i = 0; spec && i < wb->models.n; i++)
		for (size_t j = 0; j < wb->models.providers[i].nmodels; j++)
			if (strcmp(wb->models.providers[i].models[j].spec, spec) == 0)
				return &wb->models.providers[i].models[j];
	return NULL;
}

void wb_set_models(struct wb *wb, char *const *models, size_t n)
{
	if (!n)
		return;
	free(wb->selected);
	wb->selected = xstrdup(models[0]);
	for (size_t i = 0; i < wb->nmarked; i++)
		free(wb->marked[i]);
	wb->nmarked = 0;
	if (n < 2)
		return;
	wb->marked = xreallocarray(wb->marked, n, sizeof *wb->marked);
	for (size_t i = 0; i < n; i++)
		wb->marked[wb->nmarked++] = xstrdup(models[i]);
}

void wb_status(const struct wb *wb, int error, const char *fmt, ...)
{
	if (!wb->notify.status)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	wb->notify.status(wb->notify.ud, error, msg);
}

void wb_redraw(const struct wb *wb)
{
	if (wb->notify.redraw)
		wb->notify.redraw(wb->notify.ud);
}

int wb_ask(const struct wb *wb, const char *question, const char *context, const char *history)
{
	if (!wb->notify.ask)
		return -1;
	wb->notify.ask(wb->notify.ud, question, context, history);
	return 0;
}
