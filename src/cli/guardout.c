#include "cli/guardout.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "session.h"
#include "config.h"

struct guard *guardout_local(const struct config *cfg, struct err *e)
{
	return guard_from_config(cfg, e);
}

static char *one_line(const char *s)
{
	char *safe = sanitize_str(s, strlen(s), 0);
	for (char *p = safe; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	return safe;
}

void guardout_print_findings(FILE *out, const char *indent, const struct guard_findings *f, const char *text,
			     size_t len)
{
	struct guard_where w = GUARD_WHERE_INIT;
	for (size_t k = 0; k < f->n; k++) {
		const struct guard_finding *x = &f->v[k];
		guard_where_move(&w, text, x->start);
		char *preview = guard_preview(x, text, len);
		char *safe = one_line(preview);
		char pos[48];
		snprintf(pos, sizeof pos, "%zu:%zu", w.line, w.col);
		fprintf(out, "%s%-9s %-20s %.2f  %s", indent, pos, guard_type_name(x->type), x->confidence, safe);
		if (x->label && x->type != GUARD_DENIED_WORD) {
			char *label = one_line(x->label);
			fprintf(out, "  (%s)", label);
			free(label);
		}
		fputc('\n', out);
		free(safe);
		free(preview);
	}
}

char *guardout_summary(const struct guard_findings *f)
{
	return guard_findings_summary(f);
}

static const char *yes_no(int detected)
{
	return detected < 0 ? "-" : detected ? "yes" : "no";
}

void guardout_print_guardrail(FILE *out, const struct guardrail *g, const char *source,
			      const struct guardrail_result *r)
{
	char *id = one_line(guardrail_id(g));
	fprintf(out, "guardrail %s version %s on the %s: %s", id, guardrail_version(g), source,
		r->intervened ? "INTERVENED" : "no intervention");
	free(id);
	if (r->action_reason) {
		char *reason = one_line(r->action_reason);
		fprintf(out, " (%s)", reason);
		free(reason);
	}
	fputc('\n', out);
	for (size_t i = 0; i < r->noutputs; i++) {
		size_t n = strlen(r->outputs[i]);
		while (n && (r->outputs[i][n - 1] == '\n' || r->outputs[i][n - 1] == ' '))
			n--;
		char *text = sanitize_str(r->outputs[i], n, 0);
		fprintf(out, "%s %s\n", i ? "       " : "output:", text);
		free(text);
	}
	if (r->nrows) {
		fprintf(out, "%-13s %-28s %-11s %-9s %s\n", "policy", "name", "action", "detected", "detail");
		for (size_t i = 0; i < r->nrows; i++) {
			const struct guardrail_row *row = &r->rows[i];
			char *name = one_line(row->name), *detail = one_line(row->detail);
			fprintf(out, "%-13s %-28.28s %-11s %-9s %s\n", row->policy, name, row->action,
				yes_no(row->detected), detail);
			free(name);
			free(detail);
		}
	} else {
		fprintf(out, "no assessments reported\n");
	}
	const struct guardrail_usage *u = &r->usage;
	fprintf(out, "usage: topic %ld, content %ld, word %ld, sensitive information %ld (%ld free), "
		     "contextual grounding %ld units",
		u->topic, u->content, u->word, u->sensitive, u->sensitive_free, u->grounding);
	if (u->reasoning)
		fprintf(out, ", automated reasoning %ld", u->reasoning);
	if (r->latency_ms >= 0)
		fprintf(out, "; %ld ms", r->latency_ms);
	fputc('\n', out);
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
