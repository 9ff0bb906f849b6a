/* aiwb compare: one prompt to several models at once, all streaming in one
 * thread; the answers one after another, then a table of their metrics. One
 * model failing never stops the others. With --kb the question is searched
 * once and every model gets the same rag prompt; the sources follow. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "cli/askguard.h"
#include "cli/askopts.h"
#include "cli/cli.h"
#include "session.h"
#include "llm/run.h"
#include "prompt/render.h"

struct slot {
	const char *spec;
	char *provider, *model;
	struct llm_request rq;
	struct run *run;        /* NULL when it could not start */
	char error[1024];
};

struct compare {
	struct slot slots[ASK_MAX_MODELS];
	size_t n;
	int pending;
	struct session *s;
	struct provider *providers[ASK_MAX_MODELS];
	size_t nproviders;
};

static void on_done(struct run *r, void *ud)
{
	struct compare *c = ud;
	(void)r;
	if (--c->pending == 0)
		loop_stop(c->s->loop);
}

static void on_interrupt(void *ud)
{
	struct compare *c = ud;
	for (size_t i = 0; i < c->n; i++)
		if (c->slots[i].run)
			run_cancel(c->slots[i].run);
}

/* One provider object per provider name, shared by its models. */
static struct provider *provider_for(struct compare *c, const char *name, struct err *e)
{
	for (size_t i = 0; i < c->nproviders; i++)
		if (strcmp(c->providers[i]->name, name) == 0)
			return c->providers[i];
	struct provider *p = provider_open(&c->s->cfg, name, e);
	if (p)
		c->providers[c->nproviders++] = p;
	return p;
}

static void start(struct compare *c, struct slot *sl, const struct ask_opts *o, const struct llm_message *msg,
		  size_t nmsg)
{
	struct err e = ERR_INIT;
	struct provider *p;
	if (provider_split_model(sl->spec, &sl->provider, &sl->model, &e) != 0 ||
	    !(p = provider_for(c, sl->provider, &e))) {
		snprintf(sl->error, sizeof sl->error, "%s", e.msg);
		return;
	}
	sl->rq.model = sl->model;
	sl->rq.system = o->system;
	sl->rq.messages = msg;
	sl->rq.nmessages = nmsg;
	sl->rq.params = o->params;
	sl->rq.stream = o->stream;
	sl->run = run_start(c->s->loop, p, sl->spec, &sl->rq, &c->s->catalog, NULL, on_done, c, &e);
	if (sl->run)
		c->pending++;
	else
		snprintf(sl->error, sizeof sl->error, "%s", e.msg);
}

static void print_answers(const struct compare *c, int raw)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct slot *sl = &c->slots[i];
		printf("%s=== %s ===\n", i ? "\n" : "", sl->spec);
		const struct run *r = sl->run;
		if (r && r->text.len) {
			char *text = raw ? xstrndup(r->text.data, r->text.len) : sanitize_str(r->text.data, r->text.len, 0);
			fputs(text, stdout);
			if (text[0] && text[strlen(text) - 1] != '\n')
				putchar('\n');
			free(text);
		}
		const char *err = r ? r->result.message : sl->error;
		if (err && *err) {
			char *safe = sanitize_str(err, strlen(err), 0);
			printf("[%s]\n", safe);
			free(safe);
		}
	}
}

/* A table cell: "-" for an unknown value. */
static const char *cell(const char *s)
{
	return *s ? s : "-";
}

static void print_table(const struct compare *c)
{
	printf("\n%-40s %8s %8s %7s %7s %8s %13s %-14s %s\n", "model", "ttft ms", "total ms", "in", "out", "tok/s",
	       "cost $", "stop", "complete");
	for (size_t i = 0; i < c->n; i++) {
		const struct slot *sl = &c->slots[i];
		struct metrics_text t = { 0 };
		char in[METRICS_NUM + 1] = "", out[METRICS_NUM + 1] = "";
		const char *stop = "-", *complete = "no";
		if (sl->run) {
			struct run_metrics m;
			run_metrics(sl->run, &m);
			metrics_text(&m, &t);
			snprintf(in, sizeof in, "%s%s", t.input_tokens, m.estimated ? "~" : "");
			snprintf(out, sizeof out, "%s%s", t.output_tokens, m.estimated ? "~" : "");
			if (sl->run->result.stop_reason[0])
				stop = sl->run->result.stop_reason;
			complete = m.complete ? "yes"
				 : sl->run->result.status == LLM_CUT ? "no (cut)"
				 : sl->run->result.status == LLM_CANCELLED ? "no (cancelled)"
									  : "no (error)";
		} else {
			complete = "no (error)";
		}
		/* an id too long loses its middle, never its end (anthropic.claude-…-v2:0) */
		char *safe = sanitize_str(sl->spec, strlen(sl->spec), 0);
		char *model = sanitize_ellipsize(safe, strlen(safe), 40);
		int pad = 40 - sanitize_width(model, strlen(model));
		printf("%s%*s %8s %8s %7s %7s %8s %13s %-14.14s %s\n", model, pad > 0 ? pad : 0, "", cell(t.ttft_ms),
		       cell(t.total_ms), cell(in), cell(out), cell(t.tokens_per_s),
		       t.cost_usd[0] ? t.cost_usd : METRICS_COST_UNKNOWN, stop, complete);
		free(model);
		free(safe);
	}
	printf("(~ marks token counts estimated at about 4 characters a token)\n");
}

static void print_json(const struct compare *c, const char *prompt, int raw, struct askguard *ag,
		       const struct ask_kb *kb)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "prompt", prompt);
	cJSON *results = cJSON_AddArrayToObject(root, "results");
	for (size_t i = 0; i < c->n; i++) {
		const struct slot *sl = &c->slots[i];
		cJSON *item;
		if (sl->run) {
			char *js = run_json(sl->run, !raw);
			item = cJSON_Parse(js);
			free(js);
		} else {
			item = cJSON_CreateObject();
			cJSON_AddStringToObject(item, "model", sl->spec);
			cJSON_AddStringToObject(item, "text", "");
			cJSON_AddNullToObject(item, "stop_reason");
			cJSON_AddBoolToObject(item, "complete", 0);
			cJSON_AddStringToObject(item, "status", "error");
			cJSON_AddStringToObject(item, "error", sl->error);
		}
		cJSON_AddItemToArray(results, item);
	}
	askguard_json_add(ag, root);
	if (kb)
		ask_kb_json_add(kb, root);
	cli_print_json(root);
}

int cmd_compare(int argc, char **argv)
{
	struct ask_opts o;
	struct template_prep at;
	int usage = ask_opts_start(&o, &at, "compare", ASK_MAX_MODELS, argc, argv);
	if (usage)
		return usage;
	struct session s;
	struct err e = ERR_INIT;
	if (session_open(&s, 0, &e) != 0) {
		session_close(&s);
		ask_opts_end(&o, &at);
		return cli_fail("compare", "%s", e.msg);
	}
	struct askguard ag;
	int grc = askguard_open(&ag, "compare", o.guard, &s);
	struct llm_message msg = { "user", buf_str(&o.prompt) };
	for (size_t i = 0; !grc && i < (at.t ? at.nmessages : 1); i++)
		grc = askguard_prompt(&ag, &s, at.t ? &at.messages[i].content : &msg.content);
	if (grc) {
		askguard_close(&ag);
		session_close(&s);
		ask_opts_end(&o, &at);
		return grc;
	}
	int64_t group = run_compare_group();
	static struct compare c;
	memset(&c, 0, sizeof c);
	c.s = &s;
	for (size_t i = 0; i < o.nmodels; i++) {
		c.slots[c.n].spec = o.models[i];
		start(&c, &c.slots[c.n], &o, at.t ? at.messages : &msg, at.t ? at.nmessages : 1);
		c.n++;
	}
	s.on_interrupt = on_interrupt;
	s.ud = &c;
	if (c.pending)
		loop_run(s.loop);

	int failed = 0;
	char *tmpl = at.t ? template_history_json(at.t, at.vars) : NULL;
	char *with_kb = ask_kb_params(o.kb_found, tmpl);
	char *extra = run_compare_params(with_kb, group);
	free(with_kb);
	free(tmpl);
	for (size_t i = 0; i < c.n; i++)
		askguard_answer(&ag, &s, c.slots[i].run, 0);
	for (size_t i = 0; i < c.n; i++) {
		struct slot *sl = &c.slots[i];
		failed |= !sl->run || sl->run->result.status != LLM_OK;
		if (sl->run)
			session_save(&s, sl->run, &sl->rq, "compare", extra);
	}
	free(extra);
	if (o.json) {
		print_json(&c, at.t && at.nmessages ? at.messages[at.nmessages - 1].content : buf_str(&o.prompt), o.raw,
			   &ag, o.kb_found);
	} else {
		print_answers(&c, o.raw);
		print_table(&c);
		if (o.kb_found)
			ask_kb_print_sources(o.kb_found);
	}
	fflush(stdout);
	askguard_report(&ag);
	for (size_t i = 0; i < c.n; i++) {
		run_free(c.slots[i].run);
		free(c.slots[i].provider);
		free(c.slots[i].model);
	}
	for (size_t i = 0; i < c.nproviders; i++)
		provider_free(c.providers[i]);
	int rc = s.interrupted ? session_interrupt_status(&s) : failed || s.unsaved ? 1 : ag.blocked ? ASKGUARD_BLOCKED : 0;
	askguard_close(&ag);
	session_close(&s);
	ask_opts_end(&o, &at);
	return rc;
}
