#include "guard/step.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "config.h"
#include "guard/report.h"

int guard_step_open(struct guard_step *gs, const struct config *cfg, const char *spec, struct err *e)
{
	memset(gs, 0, sizeof *gs);
	const char *mode = spec ? spec : cfg->guard_action ? cfg->guard_action : "off";
	if (strncmp(mode, "bedrock:", 8) == 0) {
		gs->bedrock = guardrail_new(cfg, mode + 8, e);
		return gs->bedrock ? 0 : -1;
	}
	if (guard_action_parse(mode, &gs->action) != 0) {
		char *shown = sanitize_str(mode, strlen(mode), 0);
		err_set(e, "%s is off, report, mask, block or bedrock:ID:VERSION, not '%s'",
			spec ? "--guard" : "guard.action in config.json", shown);
		free(shown);
		return GUARD_STEP_BAD_SPEC;
	}
	if (gs->action != GUARD_OFF && !(gs->local = guard_from_config(cfg, e)))
		return -1;
	return 0;
}

int guard_step_on(const struct guard_step *gs)
{
	return gs->bedrock || gs->action != GUARD_OFF;
}

const char *guard_step_mode(const struct guard_step *gs)
{
	return gs->bedrock ? "bedrock" : guard_action_name(gs->action);
}

void guard_step_close(struct guard_step *gs)
{
	guard_free(gs->local);
	guardrail_free(gs->bedrock);
	memset(gs, 0, sizeof *gs);
}

void guard_step_check(const struct guard_step *gs, const char *text, size_t len, struct guard_verdict *v)
{
	memset(v, 0, sizeof *v);
	struct err e = ERR_INIT;
	if (guard_apply(gs->local, gs->action, text, len, &v->local, &e) != 0)
		snprintf(v->error, sizeof v->error, "%s", e.msg);
	v->stop = v->local.blocked;
}

void guard_step_verdict_bedrock(struct guard_verdict *v, enum guard_on on, struct guardrail_result *r,
				const char *errmsg)
{
	memset(v, 0, sizeof *v);
	v->bedrock = 1;
	v->on = on;
	v->remote = r;
	if (!r || !r->ok) {
		v->failed = 1;
		snprintf(v->error, sizeof v->error, "%s", r ? r->message : errmsg ? errmsg : "the guardrail did not answer");
		return;
	}
	v->stop = r->intervened;
}

void guard_verdict_free(struct guard_verdict *v)
{
	guard_outcome_free(&v->local);
	guardrail_result_free(v->remote);
	memset(v, 0, sizeof *v);
}

const char *guard_verdict_word(const struct guard_step *gs, const struct guard_verdict *v)
{
	if (!v->local.findings.n)
		return "clean";
	return gs->action == GUARD_BLOCK ? "blocked" : gs->action == GUARD_MASK ? "masked" : "reported";
}

static char *one_line(const char *s)
{
	char *safe = sanitize_str(s, strlen(s), 0);
	for (char *p = safe; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	return safe;
}

char *guard_findings_text(const char *indent, const struct guard_findings *f, const char *text, size_t len,
			  int spans)
{
	struct buf b = BUF_INIT;
	struct guard_where w = GUARD_WHERE_INIT;
	for (size_t k = 0; k < f->n; k++) {
		const struct guard_finding *x = &f->v[k];
		guard_where_move(&w, text, x->start);
		char *preview = guard_preview(x, text, len);
		char *safe = one_line(preview);
		char pos[48];
		snprintf(pos, sizeof pos, "%zu:%zu", w.line, w.col);
		buf_printf(&b, "%s%-9s ", indent, pos);
		if (spans)
			buf_printf(&b, "bytes %zu-%zu  ", x->start, x->end);
		buf_printf(&b, "%-20s %.2f  %s", guard_type_name(x->type), x->confidence, safe);
		if (x->label && x->type != GUARD_DENIED_WORD) {
			char *label = one_line(x->label);
			buf_printf(&b, "  (%s)", label);
			free(label);
		}
		buf_putc(&b, '\n');
		free(safe);
		free(preview);
	}
	return buf_detach(&b);
}

static const char *yes_no(int detected)
{
	return detected < 0 ? "-" : detected ? "yes" : "no";
}

char *guard_guardrail_text(const struct guardrail *g, const char *source, const struct guardrail_result *r)
{
	struct buf b = BUF_INIT;
	char *id = one_line(guardrail_id(g));
	buf_printf(&b, "guardrail %s version %s on the %s: %s", id, guardrail_version(g), source,
		   r->intervened ? "INTERVENED" : "no intervention");
	free(id);
	if (r->action_reason) {
		char *reason = one_line(r->action_reason);
		buf_printf(&b, " (%s)", reason);
		free(reason);
	}
	buf_putc(&b, '\n');
	for (size_t i = 0; i < r->noutputs; i++) {
		size_t n = strlen(r->outputs[i]);
		while (n && (r->outputs[i][n - 1] == '\n' || r->outputs[i][n - 1] == ' '))
			n--;
		char *text = sanitize_str(r->outputs[i], n, 0);
		buf_printf(&b, "%s %s\n", i ? "       " : "output:", text);
		free(text);
	}
	if (r->nrows) {
		buf_printf(&b, "%-13s %-28s %-11s %-9s %s\n", "policy", "name", "action", "detected", "detail");
		for (size_t i = 0; i < r->nrows; i++) {
			const struct guardrail_row *row = &r->rows[i];
			char *name = one_line(row->name), *detail = one_line(row->detail);
			buf_printf(&b, "%-13s %-28.28s %-11s %-9s %s\n", row->policy, name, row->action,
				   yes_no(row->detected), detail);
			free(name);
			free(detail);
		}
	} else {
		buf_printf(&b, "no assessments reported\n");
	}
	const struct guardrail_usage *u = &r->usage;
	buf_printf(&b, "usage: topic %ld, content %ld, word %ld, sensitive information %ld (%ld free), "
		       "contextual grounding %ld units",
		   u->topic, u->content, u->word, u->sensitive, u->sensitive_free, u->grounding);
	if (u->reasoning)
		buf_printf(&b, ", automated reasoning %ld", u->reasoning);
	if (r->latency_ms >= 0)
		buf_printf(&b, "; %ld ms", r->latency_ms);
	buf_putc(&b, '\n');
	return buf_detach(&b);
}

char *guard_verdict_report(const struct guard_step *gs, const struct guard_verdict *v, const char *what,
			   const char *tail, const char *text, size_t len, int spans)
{
	if (v->bedrock) {
		const char *source = v->on == GUARD_ON_PROMPT ? "prompt" : "answer";
		if (v->failed) {
			char *safe = one_line(v->error);
			char *s = xasprintf("guard: %s was not checked: %s\n", what, safe);
			free(safe);
			return s;
		}
		return guard_guardrail_text(gs->bedrock, source, v->remote);
	}
	if (!v->local.findings.n)
		return NULL;
	char *summary = guard_findings_summary(&v->local.findings);
	char *lines = guard_findings_text("  ", &v->local.findings, text, len, spans);
	char *s = xasprintf("guard (%s): %s holds %s%s\n%s", guard_action_name(gs->action), what, summary, tail, lines);
	free(summary);
	free(lines);
	return s;
}

cJSON *guard_verdict_json(const struct guard_step *gs, const struct guard_verdict *v, const char *text, size_t len)
{
	if (v->bedrock) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "engine", "bedrock");
		cJSON_AddBoolToObject(j, "intervened", v->remote && v->remote->ok && v->remote->intervened);
		if (v->remote)
			cJSON_AddItemToObject(j, "response", guardrail_result_json(v->remote));
		return j;
	}
	cJSON *j = guard_findings_json(&v->local.findings, text, len);
	cJSON_AddStringToObject(j, "action", guard_verdict_word(gs, v));
	return j;
}
