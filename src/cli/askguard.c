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
	int rc = guard_step_open(&ag->step, &s->cfg, spec, &e);
	if (rc == GUARD_STEP_BAD_SPEC && spec)
		return cli_usage_error(cmd, "%s", e.msg);
	if (rc != 0)
		return spec && strncmp(spec, "bedrock:", 8) == 0 ? cli_fail(cmd, "--guard %s: %s", spec, e.msg)
								   : cli_fail(cmd, "%s", e.msg);
	if (askguard_on(ag)) {
		ag->json = cJSON_CreateObject();
		cJSON_AddStringToObject(ag->json, "mode", guard_step_mode(&ag->step));
		cJSON_AddArrayToObject(ag->json, "prompts");
		cJSON_AddArrayToObject(ag->json, "answers");
	}
	return 0;
}

int askguard_on(const struct askguard *ag)
{
	return guard_step_on(&ag->step);
}

static const char *lend(struct askguard *ag, char *s)
{
	ag->owned = xreallocarray(ag->owned, ag->nowned + 1, sizeof *ag->owned);
	ag->owned[ag->nowned++] = s;
	return s;
}

/* ApplyGuardrail on text, waited for on the session's loop. */
static void check_bedrock(struct askguard *ag, struct session *s, enum guard_on on, const char *text,
			  struct guard_verdict *v)
{
	struct err e = ERR_INIT;
	struct guardrail_result *r = guardout_apply_wait(s, ag->step.bedrock,
							 on == GUARD_ON_PROMPT ? GUARDRAIL_INPUT : GUARDRAIL_OUTPUT,
							 text, strlen(text), 0, &e);
	guard_step_verdict_bedrock(v, on, r, e.msg);
}

static int prompt_bedrock(struct askguard *ag, struct session *s, const char *text)
{
	struct guard_verdict v;
	check_bedrock(ag, s, GUARD_ON_PROMPT, text, &v);
	if (!v.remote) {
		guard_verdict_free(&v);
		return s->interrupted ? 130 : cli_fail(ag->cmd, "%s", v.error);
	}
	cJSON_AddItemToArray(cJSON_GetObjectItem(ag->json, "prompts"), guard_verdict_json(&ag->step, &v, text, 0));
	int rc = 0;
	if (v.failed) {
		rc = cli_fail(ag->cmd, "the prompt was not sent: %s", v.error);
	} else if (v.stop) {
		char *report = guard_verdict_report(&ag->step, &v, "the prompt", "", text, strlen(text), 0);
		fputs(report, stderr);
		free(report);
		const char *msg = v.remote->noutputs ? v.remote->outputs[0] : "the guardrail intervened";
		fprintf(stderr, "aiwb %s: the guardrail stopped the prompt; nothing was sent: ", ag->cmd);
		char *safe = sanitize_str(msg, strlen(msg), 0);
		fprintf(stderr, "%s\n", safe);
		free(safe);
		rc = ASKGUARD_BLOCKED;
	}
	guard_verdict_free(&v);
	return rc;
}

int askguard_prompt(struct askguard *ag, struct session *s, const char **text)
{
	if (!askguard_on(ag))
		return 0;
	if (ag->step.bedrock)
		return prompt_bedrock(ag, s, *text);
	struct guard_verdict v;
	size_t len = strlen(*text);
	guard_step_check(&ag->step, *text, len, &v);
	if (v.error[0])
		fprintf(stderr, "aiwb %s: guard: %s\n", ag->cmd, v.error);
	cJSON_AddItemToArray(cJSON_GetObjectItem(ag->json, "prompts"), guard_verdict_json(&ag->step, &v, *text, len));
	const char *tail = v.local.blocked ? "; nothing was sent" : v.local.masked ? "; it was sent masked" : "";
	char *report = guard_verdict_report(&ag->step, &v, "the prompt", tail, *text, len, 0);
	if (report)
		fputs(report, stderr);
	free(report);
	int rc = 0;
	if (v.stop) {
		fprintf(stderr, "aiwb %s: the guard blocked the prompt; remove what it found, or use --guard mask "
				"to send it masked\n", ag->cmd);
		rc = ASKGUARD_BLOCKED;
	} else if (v.local.masked) {
		*text = lend(ag, v.local.masked);
		v.local.masked = NULL;
	}
	guard_verdict_free(&v);
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
	struct guard_verdict v;
	check_bedrock(ag, s, GUARD_ON_ANSWER, buf_str(&r->text), &v);
	if (v.remote)
		cJSON_AddItemToObject(item, "check", guard_verdict_json(&ag->step, &v, NULL, 0));
	char *what = xasprintf("the answer of %s", r->model);
	char *report = guard_verdict_report(&ag->step, &v, what, "", NULL, 0, 0);
	add_pending(ag, v.failed ? report : xasprintf("guard: %s:\n%s", what, report));
	if (!v.failed)
		free(report);
	free(what);
	guard_verdict_free(&v);
}

void askguard_answer(struct askguard *ag, struct session *s, struct run *r, int shown)
{
	if (!askguard_on(ag) || !r || !r->text.len)
		return;
	cJSON *item = cJSON_CreateObject();
	cJSON_AddStringToObject(item, "model", r->model);
	cJSON_AddItemToArray(cJSON_GetObjectItem(ag->json, "answers"), item);
	if (ag->step.bedrock) {
		answer_bedrock(ag, s, r, item);
		return;
	}
	struct guard_verdict v;
	const char *text = buf_str(&r->text);
	size_t len = r->text.len;
	guard_step_check(&ag->step, text, len, &v);
	cJSON_AddItemToObject(item, "check", guard_verdict_json(&ag->step, &v, text, len));
	const char *tail = "";
	if (v.local.masked)
		tail = shown ? "; it was shown as streamed and is kept masked in the history" : "; shown masked";
	else if (v.local.blocked)
		tail = shown ? "; it was already streamed (the guard would have withheld it)" : "; it was withheld";
	char *what = xasprintf("the answer of %s", r->model);
	char *report = guard_verdict_report(&ag->step, &v, what, tail, text, len, 0);
	if (report)
		add_pending(ag, report);
	free(what);
	if (v.local.masked)
		set_text(r, v.local.masked, v.local.masked_len);
	else if (v.local.blocked) {
		ag->blocked = 1;
		if (!shown)
			set_text(r, "", 0);
	}
	guard_verdict_free(&v);
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
	guard_step_close(&ag->step);
	cJSON_Delete(ag->json);
	for (size_t i = 0; i < ag->nowned; i++)
		free(ag->owned[i]);
	free(ag->owned);
	free(ag->pending);
	memset(ag, 0, sizeof *ag);
}
