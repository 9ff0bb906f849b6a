#include "cli/askguard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "cli/out.h"
#include "cli/guardout.h"
#include "session.h"
#include "config.h"
#include "guard/guardrail.h"
#include "llm/run.h"

int askguard_open(struct askguard *ag, const char *cmd, const char *spec, struct session *s)
{
	memset(ag, 0, sizeof *ag);
	ag->cmd = cmd;
	struct err e = ERR_INIT;
	if (spec && strncmp(spec, "bedrock:", 8) == 0) {
		ag->bedrock = guardrail_new(&s->cfg, spec + 8, &e);
		if (!ag->bedrock)
			return cli_fail(cmd, "--guard %s: %s", spec, e.msg);
	} else {
		const char *name = spec ? spec : s->cfg.guard_action;
		if (!name || guard_action_parse(name, &ag->action) != 0)
			return spec ? cli_usage_error(cmd, "--guard is off, report, mask, block or bedrock:ID:VERSION, "
							   "not '%s'", spec)
				    : cli_fail(cmd, "guard.action in config.json is not off, report, mask or block");
		if (ag->action != GUARD_OFF && !(ag->local = guardout_local(&s->cfg, &e)))
			return cli_fail(cmd, "%s", e.msg);
	}
	if (askguard_on(ag)) {
		ag->json = cJSON_CreateObject();
		cJSON_AddStringToObject(ag->json, "mode", ag->bedrock ? "bedrock" : guard_action_name(ag->action));
		cJSON_AddArrayToObject(ag->json, "prompts");
		cJSON_AddArrayToObject(ag->json, "answers");
	}
	return 0;
}

int askguard_on(const struct askguard *ag)
{
	return ag->bedrock || ag->action != GUARD_OFF;
}

static const char *outcome_word(enum guard_action a, const struct guard_outcome *o)
{
	if (!o->findings.n)
		return "clean";
	return a == GUARD_BLOCK ? "blocked" : a == GUARD_MASK ? "masked" : "reported";
}

/* "guard (mask): the prompt holds 2 findings: ...", then one line each. */
static char *local_report(const struct askguard *ag, const char *what, const char *tail,
			  const struct guard_outcome *o, const char *text, size_t len)
{
	char *summary = guardout_summary(&o->findings);
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	fprintf(f, "guard (%s): %s holds %s%s\n", guard_action_name(ag->action), what, summary, tail);
	guardout_print_findings(f, "  ", &o->findings, text, len);
	fclose(f);
	free(summary);
	return buf;
}

static cJSON *local_json(enum guard_action a, const struct guard_outcome *o, const char *text, size_t len)
{
	cJSON *j = guard_findings_json(&o->findings, text, len);
	cJSON_AddStringToObject(j, "action", outcome_word(a, o));
	return j;
}

static cJSON *guardrail_json(const struct guardrail_result *r)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "engine", "bedrock");
	cJSON_AddBoolToObject(j, "intervened", r->ok && r->intervened);
	cJSON_AddItemToObject(j, "response", guardrail_result_json(r));
	return j;
}

static const char *lend(struct askguard *ag, char *s)
{
	ag->owned = xreallocarray(ag->owned, ag->nowned + 1, sizeof *ag->owned);
	ag->owned[ag->nowned++] = s;
	return s;
}

static int prompt_bedrock(struct askguard *ag, struct session *s, const char *text)
{
	struct err e = ERR_INIT;
	struct guardrail_result *r = guardout_apply_wait(s, ag->bedrock, GUARDRAIL_INPUT, text, strlen(text), 0, &e);
	if (!r)
		return s->interrupted ? 130 : cli_fail(ag->cmd, "%s", e.msg);
	cJSON_AddItemToArray(cJSON_GetObjectItem(ag->json, "prompts"), guardrail_json(r));
	int rc = 0;
	if (!r->ok) {
		rc = cli_fail(ag->cmd, "the prompt was not sent: %s", r->message);
	} else if (r->intervened) {
		guardout_print_guardrail(stderr, ag->bedrock, "prompt", r);
		const char *msg = r->noutputs ? r->outputs[0] : "the guardrail intervened";
		fprintf(stderr, "aiwb %s: the guardrail stopped the prompt; nothing was sent: ", ag->cmd);
		char *safe = sanitize_str(msg, strlen(msg), 0);
		fprintf(stderr, "%s\n", safe);
		free(safe);
		rc = ASKGUARD_BLOCKED;
	}
	guardrail_result_free(r);
	return rc;
}

int askguard_prompt(struct askguard *ag, struct session *s, const char **text)
{
	if (!askguard_on(ag))
		return 0;
	if (ag->bedrock)
		return prompt_bedrock(ag, s, *text);
	struct guard_outcome o;
	struct err e = ERR_INIT;
	size_t len = strlen(*text);
	if (guard_apply(ag->local, ag->action, *text, len, &o, &e) != 0)
		fprintf(stderr, "aiwb %s: guard: %s\n", ag->cmd, e.msg);
	cJSON_AddItemToArray(cJSON_GetObjectItem(ag->json, "prompts"), local_json(ag->action, &o, *text, len));
	int rc = 0;
	if (o.findings.n) {
		const char *tail = o.blocked ? "; nothing was sent" : o.masked ? "; it was sent masked" : "";
		char *report = local_report(ag, "the prompt", tail, &o, *text, len);
		fputs(report, stderr);
		free(report);
	}
	if (o.blocked) {
		fprintf(stderr, "aiwb %s: the guard blocked the prompt; remove what it found, or use --guard mask "
				"to send it masked\n", ag->cmd);
		rc = ASKGUARD_BLOCKED;
	} else if (o.masked) {
		*text = lend(ag, o.masked);
		o.masked = NULL;
	}
	guard_outcome_free(&o);
	return rc;
}

static void set_text(struct run *r, const char *s, size_t n)
{
	buf_reset(&r->text);
	buf_append(&r->text, s, n);
}

static void add_pending(struct askguard *ag, char *report)
{
	if (!ag->pending) {
		ag->pending = report;
		return;
	}
	char *both = xasprintf("%s%s", ag->pending, report);
	free(ag->pending);
	free(report);
	ag->pending = both;
}

static void answer_bedrock(struct askguard *ag, struct session *s, struct run *r, cJSON *item)
{
	struct err e = ERR_INIT;
	struct guardrail_result *g =
		guardout_apply_wait(s, ag->bedrock, GUARDRAIL_OUTPUT, buf_str(&r->text), r->text.len, 0, &e);
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	if (!g) {
		fprintf(f, "guard: the answer of %s was not checked: %s\n", r->model, e.msg);
	} else {
		fprintf(f, "guard: the answer of %s:\n", r->model);
		cJSON_AddItemToObject(item, "check", guardrail_json(g));
		if (!g->ok)
			fprintf(f, "guard: the answer of %s was not checked: %s\n", r->model, g->message);
		else
			guardout_print_guardrail(f, ag->bedrock, "answer", g);
	}
	fclose(f);
	add_pending(ag, buf);
	guardrail_result_free(g);
}

void askguard_answer(struct askguard *ag, struct session *s, struct run *r, int shown)
{
	if (!askguard_on(ag) || !r || !r->text.len)
		return;
	cJSON *item = cJSON_CreateObject();
	cJSON_AddStringToObject(item, "model", r->model);
	cJSON_AddItemToArray(cJSON_GetObjectItem(ag->json, "answers"), item);
	if (ag->bedrock) {
		answer_bedrock(ag, s, r, item);
		return;
	}
	struct guard_outcome o;
	struct err e = ERR_INIT;
	const char *text = buf_str(&r->text);
	size_t len = r->text.len;
	guard_apply(ag->local, ag->action, text, len, &o, &e);
	cJSON_AddItemToObject(item, "check", local_json(ag->action, &o, text, len));
	const char *tail = "";
	if (o.masked)
		tail = shown ? "; it was shown as streamed and is kept masked in the history" : "; shown masked";
	else if (o.blocked)
		tail = shown ? "; it was already streamed (the guard would have withheld it)" : "; it was withheld";
	char *what = xasprintf("the answer of %s", r->model);
	if (o.findings.n)
		add_pending(ag, local_report(ag, what, tail, &o, text, len));
	free(what);
	if (o.masked)
		set_text(r, o.masked, o.masked_len);
	else if (o.blocked) {
		ag->blocked = 1;
		if (!shown)
			set_text(r, "", 0);
	}
	guard_outcome_free(&o);
}

void askguard_report(struct askguard *ag)
{
	if (ag->pending)
		fputs(ag->pending, stderr);
	free(ag->pending);
	ag->pending = NULL;
}

void askguard_json_add(struct askguard *ag, cJSON *root)
{
	if (ag->json) {
		cJSON_AddItemToObject(root, "guard", ag->json);
		ag->json = NULL;
	}
}

char *askguard_json_wrap(struct askguard *ag, char *js)
{
	if (!ag->json)
		return js;
	cJSON *root = cJSON_Parse(js);
	if (!root)
		return js;
	free(js);
	askguard_json_add(ag, root);
	char *out = cJSON_Print(root);
	cJSON_Delete(root);
	return out;
}

void askguard_close(struct askguard *ag)
{
	guard_free(ag->local);
	guardrail_free(ag->bedrock);
	cJSON_Delete(ag->json);
	for (size_t i = 0; i < ag->nowned; i++)
		free(ag->owned[i]);
	free(ag->owned);
	free(ag->pending);
	memset(ag, 0, sizeof *ag);
}
