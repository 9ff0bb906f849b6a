/* The template side of aiwb ask and aiwb compare (-t NAME --var k=v
 * --vars-file F): a template prepared from the options (prompt/prepare.h),
 * and a chain or self-consistency template run on the loop
 * (prompt/runner.h) with ask's output: the steps streamed, the votes, the
 * JSON, the metrics on stderr and the exit status. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "cli/askopts.h"
#include "cli/cli.h"
#include "cli/out.h"
#include "session.h"
#include "llm/run.h"
#include "prompt/runner.h"

int ask_template_prepare(struct template_prep *at, struct ask_opts *o)
{
	struct template_input in = { o->vars, o->nvars, NULL, o->vars_file, o->has_prompt ? buf_str(&o->prompt) : NULL };
	struct err e = ERR_INIT;
	int rc = template_prepare(at, o->template, &in, strcmp(o->cmd, "ask") != 0, &o->params, &e);
	if (rc != PREP_OK)
		return cli_error(o->cmd, rc == PREP_USAGE, e.msg);
	if (!o->system)
		o->system = at->system;
	return 0;
}

struct tmpl_run {
	const struct ask_opts *o;
	struct session *s;
	struct template_runner *tr;
	struct sanitizer san;
	struct buf out;
	size_t printed;
	int ended_nl;
	int out_failed;
};

static int show_stream(const struct tmpl_run *x, const struct template_runner *tr)
{
	return !x->o->json && template_is_chain(tr->t);
}

/* From the loop, not from inside curl's write callback where text arrives. */
static int64_t stop_unwritable(struct loop *l, int64_t id, void *ud)
{
	struct tmpl_run *x = ud;
	(void)l;
	(void)id;
	if (x->tr && !x->tr->finished)
		template_runner_cancel(x->tr);
	return LOOP_TIMER_DONE;
}

static void emit(struct tmpl_run *x, const char *p, size_t n)
{
	buf_reset(&x->out);
	if (x->o->raw)
		buf_append(&x->out, p, n);
	else
		sanitize_feed(&x->san, p, n, &x->out);
	if (x->out.len && !x->out_failed) {
		errno = 0;
		if (fwrite(x->out.data, 1, x->out.len, stdout) != x->out.len || fflush(stdout) != 0) {
			/* nobody reads the steps any more: stop paying for them */
			x->out_failed = 1;
			cli_stdout_failed(errno);
			loop_add_timer(x->s->loop, 0, stop_unwritable, x);
		}
		x->ended_nl = x->out.data[x->out.len - 1] == '\n';
	}
}

static void on_start(struct template_runner *tr, size_t i, void *ud)
{
	struct tmpl_run *x = ud;
	x->printed = 0;
	if (!show_stream(x, tr))
		return;
	printf("%s=== step %zu/%zu: %s ===\n", i ? "\n" : "", i + 1, tr->t->nsteps, tr->calls[i].label);
	fflush(stdout);
	x->ended_nl = 1;
}

static void on_text(struct template_runner *tr, size_t i, void *ud)
{
	struct tmpl_run *x = ud;
	const struct run *r = tr->calls[i].run;
	if (!show_stream(x, tr) || !x->o->stream || !r)
		return;
	emit(x, r->text.data + x->printed, r->text.len - x->printed);
	x->printed = r->text.len;
}

static void on_run_done(struct template_runner *tr, size_t i, void *ud)
{
	struct tmpl_run *x = ud;
	const struct run *r = tr->calls[i].run;
	if (!show_stream(x, tr) || !r)
		return;
	if (x->printed < r->text.len)
		emit(x, r->text.data + x->printed, r->text.len - x->printed);
	x->printed = r->text.len;
	if (!x->o->raw) {
		buf_reset(&x->out);
		sanitize_finish(&x->san, &x->out);
		fwrite(x->out.data ? x->out.data : "", 1, x->out.len, stdout);
	}
	if (!x->ended_nl)
		putchar('\n');
	x->ended_nl = 1;
	fflush(stdout);
}

static void on_done(struct template_runner *tr, void *ud)
{
	struct tmpl_run *x = ud;
	(void)tr;
	loop_stop(x->s->loop);
}

static void on_interrupt(void *ud)
{
	struct tmpl_run *x = ud;
	if (x->tr)
		template_runner_cancel(x->tr);
}

static void print_metrics(const struct template_call *c)
{
	struct run_metrics m;
	struct buf line = BUF_INIT;
	run_metrics(c->run, &m);
	metrics_line(&line, &m, 0);
	fprintf(stderr, "%s: %s, %s\n", c->label, c->run->model, buf_str(&line));
	buf_free(&line);
}

static cJSON *call_json(const struct template_call *c, int raw)
{
	char *js = run_json(c->run, !raw);
	cJSON *o = cJSON_Parse(js);
	free(js);
	return o ? o : cJSON_CreateObject();
}

static void print_result_json(const struct template_runner *tr, const char *model_spec, int raw)
{
	const struct template *t = tr->t;
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "template", t->name);
	cJSON_AddStringToObject(root, "model", model_spec);
	if (template_is_chain(t)) {
		cJSON *a = cJSON_AddArrayToObject(root, "steps");
		for (size_t i = 0; i < tr->ncalls; i++) {
			const struct template_call *c = &tr->calls[i];
			cJSON *o = c->run ? call_json(c, raw) : cJSON_CreateObject();
			cJSON_AddStringToObject(o, "step", c->label);
			if (t->steps[i].output_var)
				cJSON_AddStringToObject(o, "output_var", t->steps[i].output_var);
			else
				cJSON_AddNullToObject(o, "output_var");
			cJSON_AddItemToArray(a, o);
		}
		cli_json_text(root, "text", template_runner_answer(tr), raw);
		const struct template_call *last = tr->ncalls ? &tr->calls[tr->ncalls - 1] : NULL;
		cJSON_AddBoolToObject(root, "complete", tr->ncalls == t->nsteps && last->run &&
								last->run->result.status == LLM_OK && !tr->error[0]);
	} else {
		if (tr->ntally)
			cli_json_text(root, "answer", tr->tally[0].answer, raw);
		else
			cJSON_AddNullToObject(root, "answer");
		cJSON *votes = cJSON_AddArrayToObject(root, "votes");
		for (size_t i = 0; i < tr->ntally; i++) {
			cJSON *o = cJSON_CreateObject();
			cli_json_text(o, "answer", tr->tally[i].answer, raw);
			cJSON_AddNumberToObject(o, "votes", (double)tr->tally[i].votes);
			cJSON_AddItemToArray(votes, o);
		}
		cJSON_AddNumberToObject(root, "no_answer", (double)tr->no_answer);
		cJSON *a = cJSON_AddArrayToObject(root, "samples");
		for (size_t i = 0; i < tr->ncalls; i++) {
			const struct template_call *c = &tr->calls[i];
			cJSON *o = c->run ? call_json(c, raw) : cJSON_CreateObject();
			if (c->answer)
				cli_json_text(o, "answer", c->answer, raw);
			else
				cJSON_AddNullToObject(o, "answer");
			cJSON_AddItemToArray(a, o);
		}
	}
	if (tr->error[0])
		cJSON_AddStringToObject(root, "error", tr->error);
	cli_print_json(root);
}

static void print_votes(const struct template_runner *tr, int raw)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s\nvotes: %zu of %zu (", tr->tally[0].answer, tr->tally[0].votes, tr->ncalls);
	for (size_t i = 0; i < tr->ntally; i++)
		buf_printf(&b, "%s%s: %zu", i ? ", " : "", tr->tally[i].answer, tr->tally[i].votes);
	buf_printf(&b, "; no answer: %zu)\n", tr->no_answer);
	cli_put_text(buf_str(&b), !raw);
	buf_free(&b);
}

int ask_template_run(struct template_prep *at, const struct ask_opts *o, struct session *s, struct provider *p,
		     const char *model_spec, const char *model)
{
	static const struct template_runner_cb cb = { on_start, on_text, on_run_done, on_done };
	struct tmpl_run x;
	memset(&x, 0, sizeof x);
	x.o = o;
	x.s = s;
	x.ended_nl = 1;
	sanitize_init(&x.san, 0);
	struct template_runner_opts ro = {
		.loop = s->loop, .provider = p, .catalog = &s->catalog, .model_spec = model_spec, .model = model,
		.system = o->system, .params = o->params, .stream = o->stream,
	};
	struct err e = ERR_INIT;
	s->on_interrupt = on_interrupt;
	s->ud = &x;
	x.tr = template_runner_start(at->t, at->vars, &ro, &cb, &x, &e);
	if (!x.tr) {
		buf_free(&x.out);
		return cli_fail(o->cmd, "%s", e.msg);
	}
	if (!x.tr->finished)
		loop_run(s->loop);
	struct template_runner *tr = x.tr;
	const struct template_call *failed = NULL;
	char *tmpl = template_history_json(at->t, at->vars);
	/* the steps of a chain, or the samples, are saved as one group of turns
	 * (the first call's id and a number each; docs/chat.md) */
	int64_t group = 0;
	int turn = 0;
	for (size_t i = 0; i < tr->ncalls; i++) {
		const struct template_call *c = &tr->calls[i];
		if (!c->run)
			continue;
		int64_t id = session_save_turn(s, c->run, &c->rq, o->cmd, tmpl, group, ++turn);
		if (!group && id > 0)
			group = id;
		if (!failed && c->run->result.status != LLM_OK)
			failed = c;
	}
	free(tmpl);
	if (o->json)
		print_result_json(tr, model_spec, o->raw);
	else if (template_is_sampled(tr->t) && tr->ntally)
		print_votes(tr, o->raw);
	fflush(stdout);
	if (!o->json && isatty(STDERR_FILENO))
		for (size_t i = 0; i < tr->ncalls; i++)
			if (tr->calls[i].run)
				print_metrics(&tr->calls[i]);
	int rc = 0;
	if (x.out_failed) {
		rc = 1; /* said once by cli_close_stdout */
	} else if (s->interrupted || tr->cancelled) {
		fprintf(stderr, "aiwb %s: cancelled; the partial answers were kept in history\n", o->cmd);
		rc = session_interrupt_status(s);
	} else if (failed) {
		const char *msg = failed->run->result.message;
		rc = cli_fail(o->cmd, "%s: %s", failed->label, msg[0] ? msg : "the call failed");
	} else if (tr->error[0]) {
		rc = cli_fail(o->cmd, "%s", tr->error);
	} else if (template_is_sampled(tr->t) && !tr->ntally) {
		rc = cli_fail(o->cmd, "no sample gave an answer%s%s%s", tr->t->answer_regex ? " matching answer_regex '" : "",
			      tr->t->answer_regex ? tr->t->answer_regex : "", tr->t->answer_regex ? "'" : "");
	}
	if (!rc && s->unsaved)
		rc = 1;
	template_runner_free(tr);
	buf_free(&x.out);
	return rc;
}
