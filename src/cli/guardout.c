#include "cli/guardout.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "session.h"
#include "config.h"
#include "guard/step.h"

struct guard *guardout_local(const struct config *cfg, struct err *e)
{
	return guard_from_config(cfg, e);
}

void guardout_print_findings(FILE *out, const char *indent, const struct guard_findings *f, const char *text,
			     size_t len)
{
	char *lines = guard_findings_text(indent, f, text, len, 0);
	fputs(lines, out);
	free(lines);
}

char *guardout_summary(const struct guard_findings *f)
{
	return guard_findings_summary(f);
}

void guardout_print_guardrail(FILE *out, const struct guardrail *g, const char *source,
			      const struct guardrail_result *r)
{
	char *text = guard_guardrail_text(g, source, r);
	fputs(text, out);
	free(text);
}

struct wait {
	struct session *s;
	struct guardrail_result *r;
	struct guardrail_call *call;
};

static void on_done(void *ud, struct guardrail_result *r)
{
	struct wait *w = ud;
	w->r = r;
	w->call = NULL;
	loop_stop(w->s->loop);
}

static void on_interrupt(void *ud)
{
	struct wait *w = ud;
	guardrail_cancel(w->call);
	w->call = NULL;
	loop_stop(w->s->loop);
}

struct guardrail_result *guardout_apply_wait(struct session *s, struct guardrail *g, enum guardrail_source src,
					     const char *text, size_t len, int full, struct err *e)
{
	struct wait w = { s, NULL, NULL };
	void (*saved_fn)(void *) = s->on_interrupt;
	void *saved_ud = s->ud;
	w.call = guardrail_apply(g, s->loop, src, text, len, full, on_done, &w, e);
	if (!w.call)
		return NULL;
	s->on_interrupt = on_interrupt;
	s->ud = &w;
	loop_run(s->loop);
	s->on_interrupt = saved_fn;
	s->ud = saved_ud;
	if (!w.r)
		err_set(e, "the guardrail check was interrupted");
	return w.r;
}
