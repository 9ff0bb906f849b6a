/* The guard around the Prompt pane (src/prompt/labguard.h): a form's
 * messages reported, masked (the messages to send instead) or blocked, the
 * report under the prompt with spans, a chain refused under mask, and a
 * finished answer checked after its stream (a real run against a local HTTP
 * server speaking Ollama's NDJSON), its text left as streamed. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testhttp.h"
#include "testutil.h"

#include "base/path.h"
#include "config.h"
#include "prompt/lab.h"
#include "prompt/labguard.h"

extern const struct provider_ops provider_ollama_ops;

static char tmpdir[] = "/tmp/aiwb-labguard-test-XXXXXX";
static char share[PATH_MAX];

static void assert_contains(const char *haystack, const char *needle)
{
	if (!haystack || !strstr(haystack, needle))
		fail_msg("expected \"%s\" in \"%s\"", needle, haystack ? haystack : "(null)");
}

struct seen {
	int calls, send;
};

static void checked(void *ud, int send)
{
	struct seen *s = ud;
	s->calls++;
	s->send = send;
}

static struct lab_guard *guard_with(struct config *cfg, const char *action)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->guard_action = (char *)(uintptr_t)action;
	return lab_guard_new(cfg, NULL);
}

static void free_prompt(struct lab_form *f, const char *text)
{
	memset(f, 0, sizeof *f);
	assert_int_equal(lab_form_open(f, NULL, NULL), 0);
	lab_form_set_text(f, text);
}

static void test_off_sends_as_is(void **state)
{
	(void)state;
	struct config cfg;
	struct lab_guard *lg = guard_with(&cfg, "off");
	struct lab_form f;
	free_prompt(&f, "mail john.doe@example.com");
	struct seen s = { 0 };
	assert_false(lab_guard_on(lg));
	lab_guard_prompt(lg, &f, checked, &s);
	assert_int_equal(s.calls, 1);
	assert_true(s.send);
	size_t n;
	assert_null(lab_guard_messages(lg, &n));
	assert_null(lab_guard_prompt_report(lg));
	assert_string_equal(lab_guard_note(lg), "");
	lab_form_close(&f);
	lab_guard_free(lg);
}

static void test_mask_gives_masked_messages(void **state)
{
	(void)state;
	struct config cfg;
	struct lab_guard *lg = guard_with(&cfg, "mask");
	struct lab_form f;
	free_prompt(&f, "write to john.doe@example.com now");
	lab_form_set_system(&f, "You answer +1 (415) 555-2671 callers.");
	struct seen s = { 0 };
	lab_guard_prompt(lg, &f, checked, &s);
	assert_int_equal(s.calls, 1);
	assert_true(s.send);
	size_t n;
	const struct lab_msg *m = lab_guard_messages(lg, &n);
	assert_int_equal(n, 2);
	assert_string_equal(m[0].role, "system");
	assert_string_equal(m[0].content, "You answer [PHONE] callers.");
	assert_string_equal(m[1].role, "user");
	assert_string_equal(m[1].content, "write to [EMAIL] now");
	const char *r = lab_guard_prompt_report(lg);
	assert_contains(r, "guard (mask): the prompt's user message holds 1 finding: 1 email; it was sent masked\n");
	assert_contains(r, "  1:10      bytes 9-29  email                0.95  j***@example.com\n");
	assert_contains(r, "guard (mask): the prompt's system message holds 1 finding: 1 phone");
	assert_string_equal(lab_guard_note(lg), "; guard (mask): 2 findings: 1 email, 1 phone masked before sending");
	assert_string_equal(f.text, "write to john.doe@example.com now"); /* the form keeps what was typed */

	/* a clean prompt afterwards: nothing to send instead, nothing to say */
	lab_form_set_system(&f, NULL);
	lab_form_set_text(&f, "hello");
	lab_guard_prompt(lg, &f, checked, &s);
	assert_int_equal(s.calls, 2);
	assert_true(s.send);
	assert_null(lab_guard_messages(lg, &n));
	assert_null(lab_guard_prompt_report(lg));
	lab_form_close(&f);
	lab_guard_free(lg);
}

static void test_block_and_report(void **state)
{
	(void)state;
	struct config cfg;
	struct lab_guard *lg = guard_with(&cfg, "block");
	struct lab_form f;
	free_prompt(&f, "card 4111 1111 1111 1111");
	struct seen s = { 0 };
	lab_guard_prompt(lg, &f, checked, &s);
	assert_int_equal(s.calls, 1);
	assert_false(s.send);
	assert_string_equal(lab_guard_note(lg), "guard (block): the prompt holds 1 finding: 1 payment_card; not sent");
	assert_contains(lab_guard_prompt_report(lg), "guard (block): the prompt holds 1 finding: 1 payment_card; nothing was sent\n");
	lab_guard_free(lg);

	lg = guard_with(&cfg, "report");
	lab_guard_prompt(lg, &f, checked, &s);
	assert_true(s.send);
	size_t n;
	assert_null(lab_guard_messages(lg, &n));
	assert_string_equal(lab_guard_note(lg), "; guard: the prompt holds 1 finding: 1 payment_card");
	assert_contains(lab_guard_prompt_report(lg), "bytes 5-24  payment_card");
	lab_form_close(&f);
	lab_guard_free(lg);
}

static void put_user_template(const char *name, const char *text)
{
	char *dir = xasprintf("%s/config/aiwb/prompts", tmpdir);
	struct err e = ERR_INIT;
	assert_int_equal(path_mkdirs(dir, 0700, &e), 0);
	char *path = xasprintf("%s/%s.prompt", dir, name);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	free(path);
	free(dir);
}

static void test_mask_refuses_a_chain(void **state)
{
	(void)state;
	put_user_template("two-steps", "---\nname: two-steps\nvariables:\n  - name: topic\n    required: true\n"
				       "steps:\n  - name: draft\n    output_var: draft\n    template: \"Draft {{topic}}\"\n"
				       "  - name: polish\n    template: \"Polish: {{draft}}\"\n---\n");
	struct lab_form f;
	memset(&f, 0, sizeof f);
	struct err e = ERR_INIT;
	assert_int_equal(lab_form_open(&f, "two-steps", &e), 0);
	assert_int_equal(lab_form_set(&f, 0, "mail a.b@example.com", &e), 0);
	struct config cfg;
	struct lab_guard *lg = guard_with(&cfg, "mask");
	struct seen s = { 0 };
	lab_guard_prompt(lg, &f, checked, &s);
	assert_false(s.send);
	assert_contains(lab_guard_note(lg), "template two-steps makes several calls");
	lab_guard_free(lg);
	lg = guard_with(&cfg, "block"); /* block checks the first step */
	lab_guard_prompt(lg, &f, checked, &s);
	assert_false(s.send);
	assert_contains(lab_guard_note(lg), "1 email; not sent");
	lab_guard_free(lg);
	lab_form_close(&f);
}

/* ---------------------------------------------------------------- answers */

#define NDJSON_HEAD "Content-Type: application/x-ndjson\r\n"

static void run_done(struct lab_run *lr, void *ud)
{
	(void)lr;
	loop_stop(ud);
}

static void test_answer_checked_after_the_stream(void **state)
{
	(void)state;
	struct provider *p = xcalloc(1, sizeof *p);
	p->ops = &provider_ollama_ops;
	p->name = xstrdup("ollama");
	p->type = xstrdup("ollama");
	struct fake_env *fe = fake_env_new(p, "", NULL);
	fake_respond(&fe->f, 200, NDJSON_HEAD,
		     "{\"message\":{\"role\":\"assistant\",\"content\":\"Mail jane@example.org\"},\"done\":false}\n"
		     "{\"message\":{\"role\":\"assistant\",\"content\":\" about it.\"},\"done\":false}\n"
		     "{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\","
		     "\"prompt_eval_count\":3,\"eval_count\":2,\"eval_duration\":2000000}\n",
		     0);
	struct config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.guard_action = (char *)(uintptr_t)"mask";
	struct lab_guard *lg = lab_guard_new(&cfg, fe->loop);
	struct lab_form f;
	free_prompt(&f, "hello");
	struct seen s = { 0 };
	lab_guard_prompt(lg, &f, checked, &s);
	assert_true(s.send);
	struct catalog cat;
	memset(&cat, 0, sizeof cat);
	struct lab_target tg = { .loop = fe->loop, .provider = fe->p, .catalog = &cat, .model_spec = "ollama/llama3.2",
				 .kind = "ask" };
	tg.messages = lab_guard_messages(lg, &tg.nmessages);
	tg.shown = "asked bob@example.net\n"; /* the question shown above: not the answer's */
	static const struct lab_run_cb cb = { NULL, run_done };
	struct err e = ERR_INIT;
	struct lab_run *lr = lab_run_start(&f, &tg, &cb, fe->loop, &e);
	assert_non_null(lr);
	assert_null(lab_guard_answer_report(lg, lr));
	loop_run(fe->loop);
	assert_true(lab_run_finished(lr));
	lab_guard_answer(lg, lr, NULL, NULL);
	const char *r = lab_guard_answer_report(lg, lr);
	assert_contains(r, "guard (mask): the answer of ollama/llama3.2 holds 1 finding: 1 email; shown as streamed");
	assert_contains(r, "  1:6       bytes 5-21  email ");
	assert_string_equal(buf_str(lab_run_text(lr)), "asked bob@example.net\nMail jane@example.org about it."); /* never changed */
	lab_guard_forget(lg, lr);
	assert_null(lab_guard_answer_report(lg, lr));
	lab_run_free(lr);
	lab_form_close(&f);
	lab_guard_free(lg);
	void *st = fe;
	assert_int_equal(fake_env_teardown(&st), 0);
}

static int setup(void **state)
{
	assert_non_null(mkdtemp(tmpdir));
	const char *root = getenv("AIWB_ROOT");
	assert_non_null(realpath(root && *root ? root : ".", share));
	setenv("AIWB_SHARE", share, 1);
	char *c = path_join(tmpdir, "config");
	setenv("XDG_CONFIG_HOME", c, 1);
	free(c);
	unsetenv("AIWB_CONFIG");
	path_reset();
	return testhttp_group_setup(state);
}

static int teardown(void **state)
{
	path_reset();
	test_rmtree(tmpdir);
	return testhttp_group_teardown(state);
}

/* A conversation's follow-up: off sends it as typed, mask sends it masked
 * and says so, block keeps it back, report sends it and names the finding,
 * a Bedrock guardrail refuses to let it go unchecked. */
static void test_followup(void **state)
{
	(void)state;
	struct config cfg;
	const char *text = "and mail jo@example.com the summary";
	char *out, *note;
	struct err e = ERR_INIT;
	struct lab_guard *lg = guard_with(&cfg, "off");
	assert_int_equal(lab_guard_followup(lg, text, &out, &note, &e), 0);
	assert_string_equal(out, text);
	assert_string_equal(note, "");
	free(out);
	free(note);
	lab_guard_free(lg);

	lg = guard_with(&cfg, "mask");
	assert_int_equal(lab_guard_followup(lg, text, &out, &note, &e), 0);
	assert_string_equal(out, "and mail [EMAIL] the summary");
	assert_contains(note, "guard (mask): the follow-up holds 1 finding");
	assert_contains(note, "sent masked");
	free(out);
	free(note);
	lab_guard_free(lg);

	lg = guard_with(&cfg, "report");
	assert_int_equal(lab_guard_followup(lg, text, &out, &note, &e), 0);
	assert_string_equal(out, text);
	assert_contains(note, "guard (report): the follow-up holds 1 finding");
	free(out);
	free(note);
	lab_guard_free(lg);

	lg = guard_with(&cfg, "block");
	assert_int_equal(lab_guard_followup(lg, text, &out, &note, &e), -1);
	assert_contains(e.msg, "guard (block): the follow-up holds 1 finding");
	assert_null(out);
	e = (struct err)ERR_INIT;
	assert_int_equal(lab_guard_followup(lg, "nothing personal here", &out, &note, &e), 0);
	assert_string_equal(out, "nothing personal here");
	free(out);
	free(note);
	lab_guard_free(lg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off_sends_as_is),
		cmocka_unit_test(test_mask_gives_masked_messages),
		cmocka_unit_test(test_block_and_report),
		cmocka_unit_test(test_mask_refuses_a_chain),
		cmocka_unit_test(test_answer_checked_after_the_stream),
		cmocka_unit_test(test_followup),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
