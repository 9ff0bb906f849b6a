/* prompt/runner: templates run on a real loop against a fake Ollama server
 * on loopback — a chain whose second step gets the first step's answer, a
 * chain ended by a failing step or by a step that renders no user message,
 * samples started at once and voted on, and a cancel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "base/path.h"
#include "config.h"
#include "prompt/runner.h"
#include "testhttp.h"
#include "testutil.h"

static char tmpdir[] = "/tmp/aiwb-prompt-runner-test-XXXXXX";

struct rig {
	struct loop *loop;
	struct fake f;
	struct config cfg;
	struct provider *p;
	struct template *t;
	struct template_runner *tr;
	int64_t guard;
	char events[256];   /* "s0 d0 s1 d1 D" */
	int dones;
};

static int64_t on_guard(struct loop *l, int64_t id, void *ud)
{
	struct rig *r = ud;
	(void)id;
	r->guard = 0;
	loop_stop(l);
	return LOOP_TIMER_DONE;
}

static void note(struct rig *r, char kind, size_t i)
{
	size_t len = strlen(r->events);
	snprintf(r->events + len, sizeof r->events - len, "%c%zu ", kind, i);
}

static void on_start(struct template_runner *tr, size_t i, void *ud)
{
	(void)tr;
	note(ud, 's', i);
}

static void on_run_done(struct template_runner *tr, size_t i, void *ud)
{
	(void)tr;
	note(ud, 'd', i);
}

static void on_done(struct template_runner *tr, void *ud)
{
	struct rig *r = ud;
	(void)tr;
	size_t len = strlen(r->events);
	snprintf(r->events + len, sizeof r->events - len, "D");
	r->dones++;
	loop_stop(r->loop);
}

static const struct template_runner_cb cb = { on_start, NULL, on_run_done, on_done };

/* An Ollama chat stream answering text. */
static void answer(struct rig *r, const char *text)
{
	char *body = xasprintf("{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"%s\"},\"done\":false}\n"
			       "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,"
			       "\"done_reason\":\"stop\",\"prompt_eval_count\":5,\"eval_count\":2}\n",
			       text);
	fake_respond(&r->f, 200, "Content-Type: application/x-ndjson\r\n", body, 0);
	free(body);
}

static void rig_open(struct rig *r, const char *name, const char *text)
{
	memset(r, 0, sizeof *r);
	r->loop = loop_new();
	fake_start(&r->f, r->loop);
	struct err e = ERR_INIT;
	char *cj = xasprintf("{\"providers\": {\"ollama\": {\"base_url\": \"http://127.0.0.1:%d\"}}}", r->f.port);
	assert_int_equal(config_parse(&r->cfg, "test.json", cj, strlen(cj), &e), 0);
	free(cj);
	r->p = provider_open(&r->cfg, "ollama", &e);
	assert_non_null(r->p);
	char *path = path_join(tmpdir, name);
	r->t = template_parse(text, strlen(text), path, TEMPLATE_FILE, NULL, &e);
	free(path);
	if (!r->t)
		fail_msg("template: %s", e.msg);
	r->guard = loop_add_timer(r->loop, 10000, on_guard, r);
}

/* Starts the template with vars (JSON) and runs the loop until on_done. */
static struct template_runner *rig_run(struct rig *r, const char *vars_json)
{
	cJSON *vars = cJSON_Parse(vars_json);
	struct template_runner_opts o = { .loop = r->loop, .provider = r->p, .model_spec = "ollama/m", .model = "m",
					  .stream = 1 };
	struct err e = ERR_INIT;
	r->tr = template_runner_start(r->t, vars, &o, &cb, r, &e);
	cJSON_Delete(vars);
	if (!r->tr)
		fail_msg("start: %s", e.msg);
	if (!r->tr->finished)
		loop_run(r->loop);
	assert_true(r->guard != 0);
	assert_true(r->tr->finished);
	assert_int_equal(r->dones, 1);
	return r->tr;
}

static void rig_close(struct rig *r)
{
	template_runner_free(r->tr);
	template_free(r->t);
	provider_free(r->p);
	config_free(&r->cfg);
	if (r->guard)
		loop_del_timer(r->loop, r->guard);
	fake_stop(&r->f);
	assert_int_equal(loop_transfers(r->loop), 0);
	loop_free(r->loop);
}

static const char chain[] = "---\nvariables:\n  - {name: task, required: true}\nsteps:\n"
			    "  - {name: plan, output_var: plan, template: \"Plan {{task}}\"}\n"
			    "  - {name: do, template: \"Follow: {{plan}}\"}\n---\n";

static void test_chain_passes_answers_on(void **state)
{
	(void)state;
	struct rig r;
	rig_open(&r, "chain.prompt", chain);
	answer(&r, "PLAN-ONE");
	answer(&r, "FINAL");
	struct template_runner *tr = rig_run(&r, "{\"task\": \"tea\"}");
	assert_string_equal(r.events, "s0 d0 s1 d1 D");
	assert_int_equal(tr->ncalls, 2);
	assert_string_equal(tr->calls[0].label, "plan");
	assert_string_equal(tr->calls[1].label, "do");
	assert_non_null(strstr(buf_str(&r.f.last), "Follow: PLAN-ONE")); /* the second request */
	assert_string_equal(cJSON_GetObjectItem(tr->vars, "plan")->valuestring, "PLAN-ONE");
	assert_string_equal(template_runner_answer(tr), "FINAL");
	assert_string_equal(tr->error, "");
	assert_int_equal(r.f.requests, 2);
	rig_close(&r);
}

static void test_chain_ends_on_a_failed_step(void **state)
{
	(void)state;
	struct rig r;
	rig_open(&r, "chain.prompt", chain);
	fake_respond(&r.f, 400, "Content-Type: application/json\r\n", "{\"error\":\"bad request\"}", 1); /* not retried */
	struct template_runner *tr = rig_run(&r, "{\"task\": \"tea\"}");
	assert_string_equal(r.events, "s0 d0 D");
	assert_int_equal(tr->ncalls, 1);
	assert_int_equal(tr->calls[0].run->result.status, LLM_ERROR);
	assert_int_equal(r.f.requests, 1);
	assert_string_equal(template_runner_answer(tr), "");
	rig_close(&r);
}

static void test_chain_step_without_user_message(void **state)
{
	(void)state;
	struct rig r;
	rig_open(&r, "quiet.prompt",
		 "---\nsteps:\n  - {name: a, output_var: x, template: \"go\"}\n"
		 "  - {name: b, template: \"system:\\n{{x}}\"}\n---\n");
	answer(&r, "A");
	struct template_runner *tr = rig_run(&r, "{}");
	assert_string_equal(r.events, "s0 d0 D");
	assert_string_equal(tr->error, "template quiet: step 'b' renders no user message");
	rig_close(&r);
}

static void test_samples_vote(void **state)
{
	(void)state;
	struct rig r;
	rig_open(&r, "vote.prompt",
		 "---\nvariables:\n  - {name: q, required: true}\nsamples: 3\nanswer_regex: \"Answer: (.*)\"\n---\n{{q}}\n");
	answer(&r, "Answer: 12");
	answer(&r, "Answer: 13");
	answer(&r, "Answer: 12");
	struct template_runner *tr = rig_run(&r, "{\"q\": \"6+6?\"}");
	assert_memory_equal(r.events, "s0 s1 s2 ", 9); /* all at once */
	assert_int_equal(tr->ncalls, 3);
	assert_string_equal(tr->calls[2].label, "sample 3");
	assert_int_equal(tr->ntally, 2);
	assert_string_equal(tr->tally[0].answer, "12");
	assert_int_equal(tr->tally[0].votes, 2);
	assert_int_equal(tr->no_answer, 0);
	assert_string_equal(template_runner_answer(tr), "12");
	rig_close(&r);
}

static int64_t cancel_now(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	template_runner_cancel(ud);
	return LOOP_TIMER_DONE;
}

static void test_cancel(void **state)
{
	(void)state;
	struct rig r;
	rig_open(&r, "chain.prompt", chain);
	r.f.hold = 1;
	fake_respond(&r.f, 200, "Content-Type: application/x-ndjson\r\n", "", 0); /* headers, then nothing */
	cJSON *vars = cJSON_Parse("{\"task\": \"tea\"}");
	struct template_runner_opts o = { .loop = r.loop, .provider = r.p, .model_spec = "ollama/m", .model = "m",
					  .stream = 1 };
	struct err e = ERR_INIT;
	r.tr = template_runner_start(r.t, vars, &o, &cb, &r, &e);
	cJSON_Delete(vars);
	assert_non_null(r.tr);
	loop_add_timer(r.loop, 0, cancel_now, r.tr);
	loop_run(r.loop);
	assert_string_equal(r.events, "s0 d0 D");
	assert_int_equal(r.dones, 1);
	assert_true(r.tr->cancelled);
	assert_int_equal(r.tr->calls[0].run->result.status, LLM_CANCELLED);
	assert_int_equal(r.tr->ncalls, 1); /* the chain does not go on */
	rig_close(&r);
}

static int setup(void **state)
{
	assert_non_null(mkdtemp(tmpdir));
	return testhttp_group_setup(state);
}

static int teardown(void **state)
{
	testhttp_group_teardown(state);
	return test_rmtree(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_passes_answers_on),
		cmocka_unit_test(test_chain_ends_on_a_failed_step),
		cmocka_unit_test(test_chain_step_without_user_message),
		cmocka_unit_test(test_samples_vote),
		cmocka_unit_test(test_cancel),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
