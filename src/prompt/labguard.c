#include "prompt/labguard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "config.h"
#include "guard/step.h"
#include "prompt/template.h"

struct answer_check {
	const struct lab_run *lr;
	char *model;
	char *report;
	struct guardrail_call *call;
	void (*done)(void *ud);
	void *ud;
	struct lab_guard *lg;
};

struct lab_guard {
	const struct config *cfg;
	struct loop *loop;
	int opened;
	struct guard_step step;
	char open_error[1024];
	/* the last prompt */
	struct lab_msg *send;
	size_t nsend;
	char *report;
	char note[2048];
	struct guardrail_call *prompt_call;
	lab_guard_prompt_fn prompt_done;
	void *prompt_ud;
	/* the answers */
	struct answer_check **answers;
	size_t nanswers;
};

struct lab_guard *lab_guard_new(const struct config *cfg, struct loop *l)
{
	struct lab_guard *lg = xcalloc(1, sizeof *lg);
	lg->cfg = cfg;
	lg->loop = l;
	return lg;
}

/* Opens the step on first use: the config does not change under a session. */
static int step_ready(struct lab_guard *lg)
{
	if (!lg->opened) {
		struct err e = ERR_INIT;
		lg->opened = 1;
		if (!lg->cfg)
			return 1;
		if (guard_step_open(&lg->step, lg->cfg, NULL, &e) != 0)
			snprintf(lg->open_error, sizeof lg->open_error, "%s", e.msg);
	}
	return !lg->open_error[0];
}

int lab_guard_on(struct lab_guard *lg)
{
	return !step_ready(lg) || guard_step_on(&lg->step);
}

int lab_guard_followup(struct lab_guard *lg, const char *text, char **out, char **note, struct err *e)
{
	*out = NULL;
	*note = NULL;
	if (!step_ready(lg))
		return err_set(e, "the guard cannot be used, so the follow-up was not sent: %s", lg->open_error);
	if (!guard_step_on(&lg->step)) {
		*out = xstrdup(text);
		*note = xstrdup("");
		return 0;
	}
	if (lg->step.bedrock)
		return err_set(e, "the Bedrock guardrail of guard.action checks a conversation's first turn only, so a "
				  "follow-up is not sent unchecked; n starts a new conversation");
	struct guard_verdict v;
	size_t len = strlen(text);
	guard_step_check(&lg->step, text, len, &v);
	int rc = 0;
	if (v.local.blocked) {
		char *summary = guard_findings_summary(&v.local.findings);
		rc = err_set(e, "guard (block): the follow-up holds %s; not sent", summary);
		free(summary);
	} else {
		*out = v.local.masked ? xstrndup(v.local.masked, v.local.masked_len) : xstrdup(text);
		if (v.local.findings.n) {
			char *summary = guard_findings_summary(&v.local.findings);
			*note = xasprintf("; guard (%s): the follow-up holds %s%s", guard_step_mode(&lg->step), summary,
					  v.local.masked ? ", sent masked" : "");
			free(summary);
		} else {
			*note = xstrdup("");
		}
	}
	guard_verdict_free(&v);
	return rc;
}

static void clear_prompt(struct lab_guard *lg)
{
	guardrail_cancel(lg->prompt_call);
	lg->prompt_call = NULL;
	lab_msgs_free(lg->send, lg->nsend);
	lg->send = NULL;
	lg->nsend = 0;
	free(lg->report);
	lg->report = NULL;
	lg->note[0] = 0;
}

static void answer_free(struct answer_check *a)
{
	guardrail_cancel(a->call);
	free(a->model);
	free(a->report);
	free(a);
}

void lab_guard_free(struct lab_guard *lg)
{
	if (!lg)
		return;
	clear_prompt(lg);
	for (size_t i = 0; i < lg->nanswers; i++)
		answer_free(lg->answers[i]);
	free(lg->answers);
	guard_step_close(&lg->step);
	free(lg);
}

static void append(char **report, const char *more)
{
	if (!more)
		return;
	char *both = xasprintf("%s%s", *report ? *report : "", more);
	free(*report);
	*report = both;
}

/* ---------------------------------------------------------------- the prompt */

static int multi_call(const struct lab_form *f)
{
	return f->t && (template_is_chain(f->t) || template_is_sampled(f->t));
}

static void prompt_local(struct lab_guard *lg, struct lab_msg *m, size_t n)
{
	const struct guard_step *gs = &lg->step;
	struct guard_findings all = { 0 };
	int blocked = 0, masked = 0;
	for (size_t i = 0; i < n; i++) {
		struct guard_verdict v;
		size_t len = strlen(m[i].content);
		guard_step_check(gs, m[i].content, len, &v);
		for (size_t k = 0; k < v.local.findings.n; k++) {
			all.v = xreallocarray(all.v, all.n + 1, sizeof *all.v);
			all.v[all.n] = v.local.findings.v[k];
			all.v[all.n++].hidden = NULL;
		}
		blocked |= v.stop;
		const char *tail = gs->action == GUARD_BLOCK ? "; nothing was sent"
				 : gs->action == GUARD_MASK   ? "; it was sent masked" : "";
		char *what = n > 1 ? xasprintf("the prompt's %s message", m[i].role) : xstrdup("the prompt");
		char *r = guard_verdict_report(gs, &v, what, tail, m[i].content, len, 1);
		append(&lg->report, r);
		free(r);
		free(what);
		if (v.error[0]) {
			char *line = xasprintf("guard: %s\n", v.error);
			append(&lg->report, line);
			free(line);
		}
		if (v.local.masked) {
			free(m[i].content);
			m[i].content = v.local.masked;
			v.local.masked = NULL;
			masked = 1;
		}
		guard_verdict_free(&v);
	}
	char *summary = guard_findings_summary(&all);
	free(all.v);
	if (blocked && gs->action == GUARD_BLOCK)
		snprintf(lg->note, sizeof lg->note, "guard (block): the prompt holds %s; not sent", summary);
	else if (masked)
		snprintf(lg->note, sizeof lg->note, "; guard (mask): %s masked before sending", summary);
	else if (all.n)
		snprintf(lg->note, sizeof lg->note, "; guard: the prompt holds %s", summary);
	free(summary);
	if (masked) {
		lg->send = m;
		lg->nsend = n;
	} else {
		lab_msgs_free(m, n);
	}
	lg->prompt_done(lg->prompt_ud, !blocked);
}

static void prompt_checked(void *ud, struct guardrail_result *r)
{
	struct lab_guard *lg = ud;
	lg->prompt_call = NULL;
	struct guard_verdict v;
	guard_step_verdict_bedrock(&v, GUARD_ON_PROMPT, r, NULL);
	char *report = guard_verdict_report(&lg->step, &v, "the prompt", "", NULL, 0, 1);
	append(&lg->report, report);
	free(report);
	int send = 0;
	if (v.failed) {
		char *safe = sanitize_str(v.error, strlen(v.error), 0);
		snprintf(lg->note, sizeof lg->note, "guard: the guardrail could not check the prompt, so it was not sent: %s",
			 safe);
		free(safe);
	} else if (v.stop) {
		const char *msg = v.remote->noutputs ? v.remote->outputs[0] : "the guardrail intervened";
		char *safe = sanitize_str(msg, strlen(msg), 0);
		for (char *p = safe; *p; p++)
			if (*p == '\n')
				*p = ' ';
		snprintf(lg->note, sizeof lg->note, "the guardrail stopped the prompt; nothing was sent: %s", safe);
		char *line = xasprintf("%s\n", lg->note);
		append(&lg->report, line);
		free(line);
		free(safe);
	} else {
		send = 1;
		snprintf(lg->note, sizeof lg->note, "; guardrail %s: no intervention", guardrail_id(lg->step.bedrock));
	}
	guard_verdict_free(&v);
	lg->prompt_done(lg->prompt_ud, send);
}

static void prompt_bedrock(struct lab_guard *lg, struct lab_msg *m, size_t n)
{
	struct buf all = BUF_INIT;
	for (size_t i = 0; i < n; i++)
		buf_printf(&all, "%s%s", i ? "\n\n" : "", m[i].content);
	lab_msgs_free(m, n);
	struct err e = ERR_INIT;
	lg->prompt_call = guardrail_apply(lg->step.bedrock, lg->loop, GUARDRAIL_INPUT, buf_str(&all), all.len, 0,
					  prompt_checked, lg, &e);
	buf_free(&all);
	if (!lg->prompt_call) {
		snprintf(lg->note, sizeof lg->note, "guard: the prompt was not sent: %s", e.msg);
		lg->prompt_done(lg->prompt_ud, 0);
		return;
	}
	snprintf(lg->note, sizeof lg->note, "checking the prompt with guardrail %s…", guardrail_id(lg->step.bedrock));
}

void lab_guard_prompt(struct lab_guard *lg, const struct lab_form *f, lab_guard_prompt_fn done, void *ud)
{
	clear_prompt(lg);
	lg->prompt_done = done;
	lg->prompt_ud = ud;
	if (!step_ready(lg)) {
		snprintf(lg->note, sizeof lg->note, "guard: %s; not sent", lg->open_error);
		done(ud, 0);
		return;
	}
	if (!guard_step_on(&lg->step)) {
		done(ud, 1);
		return;
	}
	struct lab_msg *m = NULL;
	size_t n = 0;
	struct err e = ERR_INIT;
	if (lab_form_preview(f, &m, &n, &e) != 0) {
		snprintf(lg->note, sizeof lg->note, "guard: %s; not sent", e.msg);
		done(ud, 0);
		return;
	}
	if (lg->step.action == GUARD_MASK && multi_call(f)) {
		lab_msgs_free(m, n);
		snprintf(lg->note, sizeof lg->note, "guard (mask): template %s makes several calls, whose later prompts "
			 "are made from answers; the guard masks one-call prompts only, so it was not sent", f->template);
		done(ud, 0);
		return;
	}
	if (lg->step.bedrock)
		prompt_bedrock(lg, m, n);
	else
		prompt_local(lg, m, n);
}

int lab_guard_prompt_pending(const struct lab_guard *lg)
{
	return lg->prompt_call != NULL;
}

const struct lab_msg *lab_guard_messages(const struct lab_guard *lg, size_t *n)
{
	*n = lg->nsend;
	return lg->send;
}

const char *lab_guard_prompt_report(const struct lab_guard *lg)
{
	return lg->report;
}

const char *lab_guard_note(const struct lab_guard *lg)
{
	return lg->note;
}

/* ---------------------------------------------------------------- the answers */

static struct answer_check *find(const struct lab_guard *lg, const struct lab_run *lr, size_t *at)
{
	for (size_t i = 0; i < lg->nanswers; i++)
		if (lg->answers[i]->lr == lr) {
			if (at)
				*at = i;
			return lg->answers[i];
		}
	return NULL;
}

void lab_guard_forget(struct lab_guard *lg, const struct lab_run *lr)
{
	size_t i;
	struct answer_check *a = lg && lr ? find(lg, lr, &i) : NULL;
	if (!a)
		return;
	answer_free(a);
	memmove(lg->answers + i, lg->answers + i + 1, (lg->nanswers - i - 1) * sizeof *lg->answers);
	lg->nanswers--;
}

static void answer_checked(void *ud, struct guardrail_result *r)
{
	struct answer_check *a = ud;
	a->call = NULL;
	struct guard_verdict v;
	guard_step_verdict_bedrock(&v, GUARD_ON_ANSWER, r, NULL);
	char *what = xasprintf("the answer of %s", a->model);
	char *report = guard_verdict_report(&a->lg->step, &v, what, "", NULL, 0, 1);
	free(a->report);
	a->report = v.failed ? report : xasprintf("%s%s", report, v.stop ? "the answer was shown as streamed\n" : "");
	if (!v.failed)
		free(report);
	free(what);
	guard_verdict_free(&v);
	if (a->done)
		a->done(a->ud);
}

void lab_guard_answer(struct lab_guard *lg, const struct lab_run *lr, void (*done)(void *ud), void *ud)
{
	lab_guard_forget(lg, lr);
	const struct buf *shown = lab_run_text(lr);
	size_t at = lab_run_answer_at(lr); /* the answer, not the conversation shown before it */
	const char *text = shown->len > at ? shown->data + at : "";
	size_t len = shown->len > at ? shown->len - at : 0;
	if (!step_ready(lg) || !guard_step_on(&lg->step) || !len)
		return;
	struct answer_check *a = xcalloc(1, sizeof *a);
	a->lr = lr;
	a->lg = lg;
	a->model = xstrdup(lab_run_model(lr));
	a->done = done;
	a->ud = ud;
	lg->answers = xreallocarray(lg->answers, lg->nanswers + 1, sizeof *lg->answers);
	lg->answers[lg->nanswers++] = a;
	const struct guard_step *gs = &lg->step;
	if (gs->bedrock) {
		struct err e = ERR_INIT;
		a->call = guardrail_apply(gs->bedrock, lg->loop, GUARDRAIL_OUTPUT, text, len, 0, answer_checked, a, &e);
		char *safe = sanitize_str(e.msg, strlen(e.msg), 0);
		a->report = a->call ? xasprintf("guard: checking the answer with guardrail %s…\n", guardrail_id(gs->bedrock))
				    : xasprintf("guard: the answer of %s was not checked: %s\n", a->model, safe);
		free(safe);
		return;
	}
	struct guard_verdict v;
	guard_step_check(gs, text, len, &v);
	const char *tail = gs->action == GUARD_MASK    ? "; shown as streamed (the workbench masks prompts, not answers)"
			 : gs->action == GUARD_BLOCK ? "; it was already streamed (the guard would have withheld it)"
						      : "";
	char *what = xasprintf("the answer of %s", a->model);
	a->report = guard_verdict_report(gs, &v, what, tail, text, len, 1);
	free(what);
	guard_verdict_free(&v);
}

const char *lab_guard_answer_report(const struct lab_guard *lg, const struct lab_run *lr)
{
	const struct answer_check *a = lg ? find(lg, lr, NULL) : NULL;
	return a ? a->report : NULL;
}
