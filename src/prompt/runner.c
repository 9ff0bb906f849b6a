#include "prompt/runner.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/buf.h"
#include "base/xmalloc.h"

static void runner_finish(struct template_runner *tr)
{
	if (tr->finished)
		return;
	tr->finished = 1;
	if (template_is_sampled(tr->t)) {
		const char **answers = xcalloc(tr->ncalls ? tr->ncalls : 1, sizeof *answers);
		for (size_t i = 0; i < tr->ncalls; i++) {
			answers[i] = tr->calls[i].answer;
			tr->no_answer += !answers[i];
		}
		tr->ntally = template_vote(answers, tr->ncalls, &tr->tally);
		free(answers);
	}
	if (tr->cb.on_done)
		tr->cb.on_done(tr, tr->ud);
}

static void call_text(struct run *r, void *ud)
{
	struct template_call *c = ud;
	(void)r;
	if (c->tr->cb.on_text)
		c->tr->cb.on_text(c->tr, (size_t)(c - c->tr->calls), c->tr->ud);
}

static int call_start(struct template_runner *tr, int step, struct err *e);

static void call_done(struct run *r, void *ud)
{
	struct template_call *c = ud;
	struct template_runner *tr = c->tr;
	size_t i = (size_t)(c - tr->calls);
	tr->pending--;
	if (template_is_sampled(tr->t) && r->result.status == LLM_OK)
		template_extract_answer(tr->t->answer_regex, buf_str(&r->text), &c->answer, NULL);
	if (tr->cb.on_run_done)
		tr->cb.on_run_done(tr, i, tr->ud);
	if (template_is_chain(tr->t) && r->result.status == LLM_OK && !tr->cancelled && i + 1 < tr->t->nsteps) {
		cJSON_DeleteItemFromObjectCaseSensitive(tr->vars, tr->t->steps[i].output_var);
		cJSON_AddStringToObject(tr->vars, tr->t->steps[i].output_var, buf_str(&r->text));
		struct err e = ERR_INIT;
		if (call_start(tr, (int)i + 1, &e) != 0)
			snprintf(tr->error, sizeof tr->error, "%s", e.msg);
		else
			return;
	}
	if (tr->pending == 0)
		runner_finish(tr);
}

static int call_start(struct template_runner *tr, int step, struct err *e)
{
	const struct template *t = tr->t;
	size_t i = tr->ncalls;
	struct template_call *c = &tr->calls[i];
	c->tr = tr;
	c->label = template_is_chain(t) ? xstrdup(t->steps[step].name)
		 : template_is_sampled(t) ? xasprintf("sample %zu", i + 1)
					  : xstrdup(t->name);
	tr->ncalls++;
	if (template_render(t, template_is_chain(t) ? step : -1, tr->vars, &c->msgs, e) != 0)
		return -1;
	size_t n;
	c->messages = template_llm_messages(&c->msgs, &n, &c->system);
	if (!n) {
		if (template_is_chain(t))
			return err_set(e, "template %s: step '%s' renders no user message", t->name, c->label);
		return err_set(e, "template %s renders no user message", t->name);
	}
	c->rq.model = tr->o.model;
	c->rq.system = tr->o.system ? tr->o.system : c->system;
	c->rq.messages = c->messages;
	c->rq.nmessages = n;
	c->rq.params = tr->o.params;
	template_merge_params(t, &c->rq.params);
	c->rq.stream = tr->o.stream;
	c->run = run_start(tr->o.loop, tr->o.provider, tr->o.model_spec, &c->rq, tr->o.catalog, call_text, call_done,
			   c, e);
	if (!c->run)
		return -1;
	tr->pending++;
	if (tr->cb.on_start)
		tr->cb.on_start(tr, i, tr->ud);
	return 0;
}

struct template_runner *template_runner_start(const struct template *t, const cJSON *vars,
					      const struct template_runner_opts *o,
					      const struct template_runner_cb *cb, void *ud, struct err *e)
{
	struct template_runner *tr = xcalloc(1, sizeof *tr);
	size_t n = template_is_chain(t) ? t->nsteps : template_is_sampled(t) ? (size_t)t->samples : 1;
	tr->t = t;
	tr->vars = vars ? cJSON_Duplicate(vars, 1) : cJSON_CreateObject();
	tr->calls = xcalloc(n, sizeof *tr->calls);
	tr->o = *o;
	if (cb)
		tr->cb = *cb;
	tr->ud = ud;
	size_t starts = template_is_sampled(t) ? n : 1;
	for (size_t i = 0; i < starts; i++) {
		if (call_start(tr, 0, e) == 0)
			continue;
		if (i == 0) {
			template_runner_free(tr);
			return NULL;
		}
		snprintf(tr->error, sizeof tr->error, "%s", err_msg(e));
		break;
	}
	return tr;
}

void template_runner_cancel(struct template_runner *tr)
{
	tr->cancelled = 1;
	for (size_t i = 0; i < tr->ncalls; i++)
		if (tr->calls[i].run && !tr->calls[i].run->finished)
			run_cancel(tr->calls[i].run);
}

const char *template_runner_answer(const struct template_runner *tr)
{
	if (template_is_sampled(tr->t))
		return tr->ntally ? tr->tally[0].answer : "";
	if (!tr->ncalls || !tr->calls[tr->ncalls - 1].run)
		return "";
	return buf_str(&tr->calls[tr->ncalls - 1].run->text);
}

void template_runner_free(struct template_runner *tr)
{
	if (!tr)
		return;
	for (size_t i = 0; i < tr->ncalls; i++) {
		struct template_call *c = &tr->calls[i];
		run_free(c->run);
		free(c->label);
		template_msgs_free(&c->msgs);
		free(c->messages);
		free(c->system);
		free(c->answer);
	}
	free(tr->calls);
	cJSON_Delete(tr->vars);
	template_tally_free(tr->tally, tr->ntally);
	free(tr);
}

