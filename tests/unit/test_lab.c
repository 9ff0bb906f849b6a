/* The Prompt pane's core: template forms (types, defaults, missing
 * variables, preview, system override, restore), saving a prompt as a
 * template, and runs to a real HTTP server speaking Ollama's NDJSON: one
 * call, a chain, self-consistency, cancel, and what reaches the history. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testhttp.h"
#include "testutil.h"

#include "base/path.h"
#include "llm/run.h"
#include "prompt/lab.h"
#include "prompt/template.h"
#include "store/db.h"
#include "store/history.h"

extern const struct provider_ops provider_ollama_ops;

static char tmpdir[] = "/tmp/aiwb-lab-test-XXXXXX";
static char share[PATH_MAX];

static void assert_contains(const char *haystack, const char *needle)
{
	if (!haystack || !strstr(haystack, needle))
		fail_msg("expected \"%s\" in \"%s\"", needle, haystack ? haystack : "(null)");
}

static void put_user_template(const char *name, const char *text)
{
	char *dir = xasprintf("%s/config/aiwb/prompts", tmpdir);
	struct err e = ERR_INIT;
	assert_int_equal(path_mkdirs(dir, 0700, &e), 0);
	char *path = xasprintf("%s/%s.prompt", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	free(path);
	free(dir);
}

static void open_ok(struct lab_form *f, const char *name)
{
	struct err e = ERR_INIT;
	memset(f, 0, sizeof *f);
	if (lab_form_open(f, name, &e) != 0)
		fail_msg("open %s: %s", name ? name : "(free)", e.msg);
}

static void set_ok(struct lab_form *f, const char *field, const char *value)
{
	struct err e = ERR_INIT;
	for (size_t i = 0; i < f->nfields; i++)
		if (!strcmp(f->fields[i].name, field)) {
			if (lab_form_set(f, i, value, &e) != 0)
				fail_msg("set %s: %s", field, e.msg);
			return;
		}
	fail_msg("no field %s", field);
}

/* ---------------------------------------------------------------- forms */

static void test_free_prompt(void **state)
{
	(void)state;
	struct lab_form f;
	open_ok(&f, NULL);
	assert_null(f.template);
	assert_int_equal(f.nfields, 0);
	assert_false(lab_form_ready(&f));
	lab_form_set_text(&f, "Why is the sky blue?");
	assert_true(lab_form_ready(&f));
	struct lab_msg *m;
	size_t n;
	assert_int_equal(lab_form_preview(&f, &m, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].role, "user");
	assert_string_equal(m[0].content, "Why is the sky blue?");
	lab_msgs_free(m, n);
	lab_form_set_system(&f, "Be brief.");
	assert_int_equal(lab_form_preview(&f, &m, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(m[0].role, "system");
	assert_string_equal(m[0].content, "Be brief.");
	lab_msgs_free(m, n);
	lab_form_close(&f);
}

static void test_template_form(void **state)
{
	(void)state;
	struct lab_form f;
	open_ok(&f, "few-shot");
	assert_string_equal(f.template, "few-shot");
	assert_string_equal(f.technique, "few-shot");
	assert_string_equal(f.shape, "one call");
	assert_int_equal(f.nfields, 2);
	assert_string_equal(f.fields[0].name, "question");
	assert_true(f.fields[0].required);
	assert_null(f.fields[0].def);
	assert_string_equal(f.fields[1].name, "task");
	assert_contains(f.fields[1].def, "sentiment");
	assert_int_equal(lab_form_missing(&f), 0);
	struct lab_msg *m;
	size_t n;
	struct err e = ERR_INIT;
	assert_int_equal(lab_form_preview(&f, &m, &n, &e), -1);
	assert_contains(e.msg, "question");
	set_ok(&f, "question", "Works fine, a bit loud.");
	assert_int_equal(lab_form_missing(&f), -1);
	assert_int_equal(lab_form_preview(&f, &m, &n, NULL), 0);
	assert_int_equal(n, 8); /* system, three example pairs, the question */
	assert_string_equal(m[0].role, "system");
	assert_contains(m[0].content, "sentiment");
	assert_string_equal(m[7].role, "user");
	assert_string_equal(m[7].content, "Works fine, a bit loud.");
	lab_msgs_free(m, n);
	/* a system override replaces the template's system messages */
	lab_form_set_system(&f, "Answer in French.");
	assert_int_equal(lab_form_preview(&f, &m, &n, NULL), 0);
	assert_int_equal(n, 8);
	assert_string_equal(m[0].content, "Answer in French.");
	assert_string_equal(m[1].role, "user");
	lab_msgs_free(m, n);
	/* unsetting brings the requirement back */
	set_ok(&f, "question", "");
	assert_null(f.fields[0].value);
	assert_int_equal(lab_form_missing(&f), 0);
	lab_form_close(&f);

	assert_int_equal(lab_form_open(&f, "no-such-template", &e), -1);
	assert_contains(e.msg, "no-such-template");
	assert_null(f.template);
	lab_form_close(&f);
}

static void test_typed_fields_and_chain_preview(void **state)
{
	(void)state;
	put_user_template("typed", "---\n"
				   "name: typed\n"
				   "variables:\n"
				   "  - name: n\n"
				   "    type: number\n"
				   "    default: 3\n"
				   "  - name: loud\n"
				   "    type: boolean\n"
				   "steps:\n"
				   "  - name: draft\n"
				   "    output_var: draft\n"
				   "    template: \"Write {{n}} lines.{{#loud}} LOUD{{/loud}}\"\n"
				   "  - name: polish\n"
				   "    template: \"Polish: {{draft}}\"\n"
				   "---\n");
	struct lab_form f;
	open_ok(&f, "typed");
	assert_string_equal(f.shape, "a chain of 2 steps");
	assert_string_equal(f.fields[0].type, "number");
	assert_string_equal(f.fields[0].def, "3");
	struct err e = ERR_INIT;
	assert_int_equal(lab_form_set(&f, 0, "three", &e), -1);
	assert_contains(e.msg, "n");
	assert_null(f.fields[0].value);
	assert_int_equal(lab_form_set(&f, 1, "maybe", &e), -1);
	set_ok(&f, "n", "5");
	set_ok(&f, "loud", "true");
	struct lab_msg *m;
	size_t n;
	assert_int_equal(lab_form_preview(&f, &m, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].content, "Write 5 lines. LOUD");
	lab_msgs_free(m, n);
	lab_form_close(&f);
}

static void test_restore(void **state)
{
	(void)state;
	char question[] = "question", slow[] = "Too slow.", few[] = "few-shot", empty[] = "", ma[] = "ollama/a",
	     mb[] = "ollama/b", other[] = "Something else", hello[] = "Hello there", kind[] = "Be kind",
	     vanished[] = "vanished", x[] = "x";
	struct lab_var vars[] = { { question, slow } };
	char *models[] = { ma, mb };
	struct lab_setup s = { few, vars, 1, empty, NULL, models, 2 };
	struct lab_form f;
	memset(&f, 0, sizeof f);
	struct err e = ERR_INIT;
	assert_int_equal(lab_form_restore(&f, &s, &e), 0);
	assert_string_equal(f.template, "few-shot");
	assert_string_equal(f.fields[0].value, "Too slow.");
	assert_null(f.system);
	/* the template's own system text is not an override */
	struct lab_msg *m;
	size_t n;
	assert_int_equal(lab_form_preview(&f, &m, &n, NULL), 0);
	s.system = m[0].content;
	assert_int_equal(lab_form_restore(&f, &s, &e), 0);
	assert_null(f.system);
	s.system = other;
	assert_int_equal(lab_form_restore(&f, &s, &e), 0);
	assert_string_equal(f.system, "Something else");
	lab_msgs_free(m, n);

	struct lab_setup free_prompt = { NULL, NULL, 0, hello, kind, models, 1 };
	assert_int_equal(lab_form_restore(&f, &free_prompt, &e), 0);
	assert_null(f.template);
	assert_string_equal(f.text, "Hello there");
	assert_string_equal(f.system, "Be kind");

	struct lab_var gone[] = { { vanished, x } };
	struct lab_setup old = { few, gone, 1, empty, NULL, models, 1 };
	assert_int_equal(lab_form_restore(&f, &old, &e), -1);
	assert_contains(e.msg, "vanished");
	assert_string_equal(f.template, "few-shot");
	lab_form_close(&f);
}

/* ---------------------------------------------------------------- saving */

static void test_save_free_prompt(void **state)
{
	(void)state;
	struct lab_form f;
	open_ok(&f, NULL);
	char *path = NULL;
	struct err e = ERR_INIT;
	assert_int_equal(lab_form_save(&f, "empty", NULL, &path, &e), -1);
	assert_contains(e.msg, "nothing to save");
	lab_form_set_text(&f, "Summarise {{topic}} for {{ audience }}; {{topic}} again. {{#x}}{{/x}}");
	lab_form_set_system(&f, "You write \"plainly\".\nuser:");
	assert_int_equal(lab_form_save(&f, "../evil", NULL, &path, &e), -1);
	assert_contains(e.msg, "not a template name");
	struct llm_params p = { .has_temperature = 1, .temperature = 0.25 };
	assert_int_equal(lab_form_save(&f, "summary", &p, &path, &e), 0);
	assert_contains(path, "/config/aiwb/prompts/summary.prompt");
	free(path);
	assert_int_equal(lab_form_save(&f, "summary", &p, &path, &e), -1);
	assert_null(path);
	assert_contains(e.msg, "exists already");
	lab_form_close(&f);

	open_ok(&f, "summary");
	assert_string_equal(f.technique, "zero-shot");
	assert_int_equal(f.nfields, 2);
	assert_string_equal(f.fields[0].name, "topic");
	assert_string_equal(f.fields[1].name, "audience");
	assert_true(f.fields[0].required);
	assert_int_equal(f.t ? 1 : 0, 1);
	set_ok(&f, "topic", "tides");
	set_ok(&f, "audience", "kids");
	struct lab_msg *m;
	size_t n;
	assert_int_equal(lab_form_preview(&f, &m, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(m[0].role, "system");
	assert_string_equal(m[1].content, "Summarise tides for kids; tides again.");
	lab_msgs_free(m, n);
	lab_form_close(&f);
	free(path);
}

static void test_save_template_copy(void **state)
{
	(void)state;
	struct lab_form f;
	open_ok(&f, "few-shot");
	set_ok(&f, "question", "Loud but \"fine\": ok?");
	char *path = NULL;
	struct err e = ERR_INIT;
	struct llm_params p = { .has_max_tokens = 1, .max_tokens = 99 };
	lab_form_set_system(&f, "Reply in French.");
	if (lab_form_save(&f, "my-few-shot", &p, &path, &e) != 0)
		fail_msg("save: %s", e.msg);
	lab_form_close(&f);
	free(path);

	open_ok(&f, "my-few-shot");
	assert_string_equal(f.technique, "few-shot");
	assert_string_equal(f.fields[0].def, "Loud but \"fine\": ok?");
	assert_int_equal(lab_form_missing(&f), -1);
	assert_true(f.t->params.has_max_tokens);
	assert_int_equal(f.t->params.max_tokens, 99);
	assert_true(f.t->params.has_temperature); /* the original's, kept */
	struct lab_msg *m;
	size_t n;
	assert_int_equal(lab_form_preview(&f, &m, &n, NULL), 0);
	assert_int_equal(n, 8); /* the saved system replaces the template's, the examples stay */
	assert_string_equal(m[0].role, "system");
	assert_string_equal(m[0].content, "Reply in French.");
	assert_string_equal(m[2].content, "positive");
	assert_string_equal(m[7].content, "Loud but \"fine\": ok?");
	lab_msgs_free(m, n);
	lab_form_close(&f);

	/* a file-backed examples list and step files are inlined in the copy */
	open_ok(&f, "chain-of-thought-few-shot");
	set_ok(&f, f.fields[0].name, "What is 2+2?");
	if (lab_form_save(&f, "cot-copy", NULL, &path, &e) != 0)
		fail_msg("save: %s", e.msg);
	size_t before = f.t->examples ? (size_t)cJSON_GetArraySize(f.t->examples) : 0;
	lab_form_close(&f);
	free(path);
	open_ok(&f, "cot-copy");
	assert_true(f.t->examples != NULL);
	assert_int_equal((size_t)cJSON_GetArraySize(f.t->examples), before);
	assert_null(f.t->examples_file);
	lab_form_close(&f);
}

/* ---------------------------------------------------------------- runs */

#define NDJSON_HEAD "Content-Type: application/x-ndjson\r\n"

static char *ndjson_answer(const char *a, const char *b)
{
	return xasprintf("{\"message\":{\"role\":\"assistant\",\"content\":\"%s\"},\"done\":false}\n"
			 "{\"message\":{\"role\":\"assistant\",\"content\":\"%s\"},\"done\":false}\n"
			 "{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\","
			 "\"prompt_eval_count\":7,\"eval_count\":2,\"eval_duration\":2000000}\n",
			 a, b);
}

struct runenv {
	struct fake_env *fe;
	struct db *db;
	struct catalog cat;
	int texts, dones;
};

static void on_text(struct lab_run *lr, void *ud)
{
	struct runenv *r = ud;
	(void)lr;
	r->texts++;
}

static void on_done(struct lab_run *lr, void *ud)
{
	struct runenv *r = ud;
	(void)lr;
	r->dones++;
	loop_stop(r->fe->loop);
}

static const struct lab_run_cb cb = { on_text, on_done };

static int run_setup(void **state)
{
	struct runenv *r = xcalloc(1, sizeof *r);
	struct provider *p = xcalloc(1, sizeof *p);
	p->ops = &provider_ollama_ops;
	p->name = xstrdup("ollama");
	p->type = xstrdup("ollama");
	r->fe = fake_env_new(p, "", NULL);
	char *path = xasprintf("%s/aiwb.db", tmpdir);
	unlink(path);
	enum db_status st;
	struct err e = ERR_INIT;
	r->db = db_open(path, 1000, &st, &e);
	free(path);
	assert_non_null(r->db);
	*state = r;
	return 0;
}

static int run_teardown(void **state)
{
	struct runenv *r = *state;
	db_close(r->db);
	struct fake_env *fe = r->fe;
	free(r);
	*state = fe;
	return fake_env_teardown(state);
}

static struct lab_target target(struct runenv *r, const char *kind, int64_t group)
{
	struct lab_target tg = { r->fe->loop, r->fe->p, &r->cat, r->db, "ollama/llama3.2", { 0 }, kind, group, NULL, 0, NULL };
	return tg;
}

static struct history_run saved(struct runenv *r, int64_t id)
{
	struct history_run h;
	struct err e = ERR_INIT;
	assert_int_equal(history_read(r->db, id, &h, &e), 1);
	return h;
}

static const char *param(const struct history_run *h, const char *name)
{
	for (size_t i = 0; i < h->nparams; i++)
		if (!strcmp(h->params[i].name, name))
			return h->params[i].value;
	return NULL;
}

static void test_run_free_prompt(void **state)
{
	struct runenv *r = *state;
	char *body = ndjson_answer("Rayleigh", " scattering.");
	fake_respond(&r->fe->f, 200, NDJSON_HEAD, body, 0);
	struct lab_form f;
	open_ok(&f, NULL);
	lab_form_set_text(&f, "Why is the sky blue?");
	lab_form_set_history_extra(&f, "{\"kb\":{\"name\":\"sky\",\"chunks\":[3,1]},\"compare_group\":7}");
	struct lab_target tg = target(r, "compare", 42);
	struct err e = ERR_INIT;
	struct lab_run *lr = lab_run_start(&f, &tg, &cb, r, &e);
	assert_non_null(lr);
	lab_form_set_text(&f, "changed while streaming"); /* the run keeps what it sent */
	loop_run(r->fe->loop);
	assert_int_equal(r->dones, 1);
	assert_true(r->texts >= 1);
	assert_true(lab_run_finished(lr));
	assert_int_equal(lab_run_status(lr), LLM_OK);
	assert_string_equal(buf_str(lab_run_text(lr)), "Rayleigh scattering.");
	assert_string_equal(lab_run_answer(lr), "Rayleigh scattering.");
	assert_string_equal(lab_run_message(lr), "end_turn");
	assert_string_equal(lab_run_model(lr), "ollama/llama3.2");
	struct run_metrics m;
	lab_run_metrics(lr, &m);
	assert_true(m.complete);
	assert_int_equal(m.input_tokens, 7);
	assert_int_equal(m.output_tokens, 2);
	assert_true(m.ttft_ms >= 0);
	assert_int_equal(lab_run_saved(lr), 1);
	struct history_run h = saved(r, 1);
	assert_string_equal(h.kind, "compare");
	assert_string_equal(h.prompt, "Why is the sky blue?");
	assert_string_equal(h.output, "Rayleigh scattering.");
	assert_string_equal(param(&h, "compare_group"), "42"); /* the run's own wins */
	assert_string_equal(param(&h, "kb"), "{\"name\":\"sky\",\"chunks\":[3,1]}");
	assert_null(param(&h, "template"));
	history_run_free(&h);
	lab_run_free(lr);
	lab_form_close(&f);
	free(body);
}

/* lab_target.messages: sent in one call in place of the form's rendering,
 * with the template's parameters, saved as sent. */
static void test_run_given_messages(void **state)
{
	struct runenv *r = *state;
	put_user_template("greet", "---\nname: greet\nparameters:\n  temperature: 0.3\nvariables:\n"
				   "  - name: who\n    required: true\n---\nGreet {{who}} by mail.\n");
	char *body = ndjson_answer("Hi", " there.");
	fake_respond(&r->fe->f, 200, NDJSON_HEAD, body, 0);
	struct lab_form f;
	open_ok(&f, "greet");
	set_ok(&f, "who", "jo@example.com");
	char sys_role[] = "system", sys[] = "Be brief.", user_role[] = "user", user[] = "Greet [EMAIL] by mail.";
	const struct lab_msg given[] = { { sys_role, sys }, { user_role, user } };
	struct lab_target tg = target(r, "ask", 0);
	tg.messages = given;
	tg.nmessages = 2;
	struct err e = ERR_INIT;
	struct lab_run *lr = lab_run_start(&f, &tg, &cb, r, &e);
	assert_non_null(lr);
	loop_run(r->fe->loop);
	assert_int_equal(lab_run_status(lr), LLM_OK);
	assert_string_equal(buf_str(lab_run_text(lr)), "Hi there.");
	const char *sent = buf_str(&r->fe->f.last);
	assert_contains(sent, "Greet [EMAIL] by mail.");
	assert_contains(sent, "Be brief.");
	assert_contains(sent, "\"temperature\":0.3");
	assert_null(strstr(sent, "jo@example.com"));
	struct history_run h = saved(r, 1);
	assert_string_equal(h.prompt, "Greet [EMAIL] by mail.");
	assert_string_equal(param(&h, "template"), "\"greet\"");
	history_run_free(&h);
	lab_run_free(lr);

	char x[] = "x";
	struct lab_msg only_system[] = { { sys_role, x } };
	tg.messages = only_system;
	tg.nmessages = 1;
	assert_null(lab_run_start(&f, &tg, &cb, r, &e));
	assert_contains(e.msg, "no user message");
	lab_form_close(&f);
	free(body);
}

/* A conversation's turn: every message sent (copied), the shown text starts
 * with the conversation so far, the row is saved as its turn; a shown-only
 * run answers every accessor. */
static void test_run_send_a_turn(void **state)
{
	struct runenv *r = *state;
	char *body = ndjson_answer("Blue", " light.");
	fake_respond(&r->fe->f, 200, NDJSON_HEAD, body, 0);
	struct lab_form f;
	open_ok(&f, NULL);
	lab_form_set_text(&f, "Why is the sky blue?");
	struct lab_target tg = target(r, "ask", 0);
	tg.shown = "Q: Why?\n"; /* a first turn shows its question above the answer */
	struct err e = ERR_INIT;
	struct lab_run *first = lab_run_start(&f, &tg, &cb, r, &e);
	assert_non_null(first);
	assert_string_equal(buf_str(lab_run_text(first)), "Q: Why?\n");
	loop_run(r->fe->loop);
	assert_string_equal(buf_str(lab_run_text(first)), "Q: Why?\nBlue light.");
	assert_int_equal(lab_run_answer_at(first), strlen("Q: Why?\n"));
	assert_string_equal(lab_run_answer(first), "Blue light.");
	tg.shown = NULL;
	const char *system;
	const struct llm_message *sent;
	size_t n;
	lab_run_sent(first, &system, &sent, &n);
	assert_null(system);
	assert_int_equal(n, 1);
	assert_string_equal(sent[0].content, "Why is the sky blue?");
	assert_int_equal(lab_run_first_saved(first), 1);

	char *q2 = xstrdup("And at sunset?");
	struct llm_message msgs[] = { { "user", "Why is the sky blue?" }, { "assistant", "Blue light." }, { "user", q2 } };
	struct lab_request rq = { "Be brief.", msgs, 3, "so far\n", 1, 2 };
	r->dones = 0;
	struct lab_run *lr = lab_run_send(&rq, &tg, &cb, r, &e);
	assert_non_null(lr);
	strcpy(q2, "changed"); /* the run keeps what it sent */
	loop_run(r->fe->loop);
	assert_int_equal(r->dones, 1);
	assert_int_equal(lab_run_status(lr), LLM_OK);
	assert_string_equal(buf_str(lab_run_text(lr)), "so far\nBlue light.");
	assert_string_equal(lab_run_answer(lr), "Blue light.");
	assert_int_equal(lab_run_answer_at(lr), strlen("so far\n"));
	const char *req = buf_str(&r->fe->f.last);
	assert_non_null(strstr(req, "\"content\":\"Be brief.\""));
	assert_non_null(strstr(req, "\"content\":\"Blue light.\""));
	assert_non_null(strstr(req, "\"content\":\"And at sunset?\""));
	lab_run_sent(lr, &system, &sent, &n);
	assert_int_equal(n, 3);
	assert_string_equal(system, "Be brief.");
	struct history_run h = saved(r, 2);
	assert_int_equal(h.conversation, 1);
	assert_int_equal(h.turn, 2);
	assert_string_equal(h.prompt, "And at sunset?");
	history_run_free(&h);
	h = saved(r, 1);
	assert_int_equal(h.conversation, 1); /* the run on its own became turn 1 */
	assert_int_equal(h.turn, 1);
	history_run_free(&h);
	lab_run_free(lr);
	lab_run_free(first);
	free(q2);

	rq.nmessages = 0;
	assert_null(lab_run_send(&rq, &tg, &cb, r, &e));
	struct run_metrics m = { .input_tokens = 5, .output_tokens = 6, .cost_usd = -1, .ttft_ms = -1, .total_ms = -1 };
	lr = lab_run_shown("ollama/llama3.2", "── you ──\nhi", 4, &m);
	assert_true(lab_run_finished(lr));
	assert_int_equal(lab_run_status(lr), LLM_OK);
	assert_string_equal(lab_run_message(lr), "re-opened from the history");
	assert_string_equal(buf_str(lab_run_text(lr)), "── you ──\nhi");
	assert_string_equal(lab_run_answer(lr), "");
	assert_int_equal(lab_run_answer_at(lr), 4);
	struct run_metrics got;
	lab_run_metrics(lr, &got);
	assert_int_equal(got.output_tokens, 6);
	lab_run_sent(lr, &system, &sent, &n);
	assert_int_equal(n, 0);
	lab_run_cancel(lr);
	lab_run_free(lr);
	lab_form_close(&f);
	free(body);
}

static void test_run_chain_shows_each_step(void **state)
{
	struct runenv *r = *state;
	put_user_template("two-steps", "---\n"
				       "name: two-steps\n"
				       "variables:\n"
				       "  - name: topic\n"
				       "    required: true\n"
				       "steps:\n"
				       "  - name: draft\n"
				       "    output_var: draft\n"
				       "    template: \"Draft about {{topic}}\"\n"
				       "  - name: polish\n"
				       "    template: \"Polish: {{draft}}\"\n"
				       "---\n");
	char *one = ndjson_answer("rough", " draft"), *two = ndjson_answer("fine", " text");
	fake_respond(&r->fe->f, 200, NDJSON_HEAD, one, 0);
	fake_respond(&r->fe->f, 200, NDJSON_HEAD, two, 0);
	struct lab_form f;
	open_ok(&f, NULL);
	lab_form_set_history_extra(&f, "{\"kb\":{}}");
	struct err e = ERR_INIT;
	assert_int_equal(lab_form_open(&f, "two-steps", &e), 0); /* another template forgets it */
	struct lab_target tg = target(r, "ask", 0);
	assert_null(lab_run_start(&f, &tg, &cb, r, &e)); /* topic is required */
	assert_contains(e.msg, "topic");
	set_ok(&f, "topic", "tides");
	struct lab_run *lr = lab_run_start(&f, &tg, &cb, r, &e);
	assert_non_null(lr);
	loop_run(r->fe->loop);
	assert_int_equal(r->dones, 1);
	assert_int_equal(lab_run_status(lr), LLM_OK);
	assert_string_equal(buf_str(lab_run_text(lr)), "── step 1/2: draft ──\nrough draft\n\n── step 2/2: polish ──\nfine text");
	assert_string_equal(lab_run_answer(lr), "fine text");
	assert_contains(buf_str(&r->fe->f.last), "Polish: rough draft");
	struct run_metrics m;
	lab_run_metrics(lr, &m);
	assert_int_equal(m.input_tokens, 14);
	assert_int_equal(m.output_tokens, 4);
	assert_true(m.complete);
	assert_int_equal(lab_run_saved(lr), 2);
	struct history_run h = saved(r, 2);
	assert_string_equal(param(&h, "template"), "\"two-steps\"");
	assert_string_equal(param(&h, "vars"), "{\"topic\":\"tides\"}");
	assert_null(param(&h, "compare_group"));
	assert_null(param(&h, "kb"));
	assert_int_equal(h.conversation, 1); /* the steps are one group under the first */
	assert_int_equal(h.turn, 2);
	history_run_free(&h);
	h = saved(r, 1);
	assert_int_equal(h.conversation, 1);
	assert_int_equal(h.turn, 1);
	history_run_free(&h);
	lab_run_free(lr);
	lab_form_close(&f);
	free(one);
	free(two);
}

static void test_run_samples_vote(void **state)
{
	struct runenv *r = *state;
	put_user_template("vote", "---\n"
				  "name: vote\n"
				  "samples: 3\n"
				  "answer_regex: \"Answer: ([a-z]+)\"\n"
				  "---\n"
				  "Pick one.\n");
	char *a = ndjson_answer("Answer:", " yes"), *b = ndjson_answer("Answer:", " no"),
	     *c = ndjson_answer("Hmm", " dunno");
	fake_respond(&r->fe->f, 200, NDJSON_HEAD, a, 0);
	fake_respond(&r->fe->f, 200, NDJSON_HEAD, b, 0);
	fake_respond(&r->fe->f, 200, NDJSON_HEAD, a, 0);
	(void)c;
	struct lab_form f;
	open_ok(&f, "vote");
	assert_string_equal(f.shape, "3 samples and a vote");
	struct lab_target tg = target(r, "ask", 0);
	struct err e = ERR_INIT;
	struct lab_run *lr = lab_run_start(&f, &tg, &cb, r, &e);
	assert_non_null(lr);
	loop_run(r->fe->loop);
	assert_int_equal(r->dones, 1);
	const char *shown = buf_str(lab_run_text(lr));
	assert_contains(shown, "sample 1: ");
	assert_contains(shown, "sample 3: ");
	assert_contains(shown, "majority: yes (2 of 3 votes)");
	assert_string_equal(lab_run_answer(lr), "yes");
	assert_int_equal(lab_run_saved(lr), 3);
	for (int64_t id = 1; id <= 3; id++) {
		struct history_run h = saved(r, id);
		assert_int_equal(h.conversation, 1); /* the samples are one group */
		assert_int_equal(h.turn, (int)id);
		history_run_free(&h);
	}
	lab_run_free(lr);
	lab_form_close(&f);
	free(a);
	free(b);
	free(c);
}

static void test_run_cancel_and_errors(void **state)
{
	struct runenv *r = *state;
	r->fe->f.hold = 1;
	fake_respond(&r->fe->f, 200, NDJSON_HEAD,
		     "{\"message\":{\"role\":\"assistant\",\"content\":\"partial\"},\"done\":false}\n", 0);
	struct lab_form f;
	open_ok(&f, NULL);
	struct lab_target tg = target(r, "ask", 0);
	struct err e = ERR_INIT;
	assert_null(lab_run_start(&f, &tg, &cb, r, &e));
	assert_contains(e.msg, "nothing to send");
	lab_form_set_text(&f, "hello");
	tg.model_spec = "no-slash";
	assert_null(lab_run_start(&f, &tg, &cb, r, &e));
	tg.model_spec = "ollama/llama3.2";
	struct lab_run *lr = lab_run_start(&f, &tg, &cb, r, &e);
	assert_non_null(lr);
	while (!r->texts)
		loop_run_once(r->fe->loop, 5000);
	lab_run_cancel(lr);
	assert_int_equal(r->dones, 1);
	assert_true(lab_run_finished(lr));
	assert_int_equal(lab_run_status(lr), LLM_CANCELLED);
	assert_contains(lab_run_message(lr), "cancelled");
	assert_string_equal(buf_str(lab_run_text(lr)), "partial");
	assert_int_equal(lab_run_saved(lr), 1);
	lab_run_cancel(lr);
	assert_int_equal(r->dones, 1);
	lab_run_free(lr);
	lab_form_close(&f);
}

/* ---------------------------------------------------------------- setup */

static int setup(void **state)
{
	assert_non_null(mkdtemp(tmpdir));
	const char *root = getenv("AIWB_ROOT");
	assert_non_null(realpath(root && *root ? root : ".", share));
	setenv("AIWB_SHARE", share, 1);
	char *cfg = path_join(tmpdir, "config");
	setenv("XDG_CONFIG_HOME", cfg, 1);
	free(cfg);
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

#define RUN_TEST(fn) cmocka_unit_test_setup_teardown(fn, run_setup, run_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_prompt),
		cmocka_unit_test(test_template_form),
		cmocka_unit_test(test_typed_fields_and_chain_preview),
		cmocka_unit_test(test_restore),
		cmocka_unit_test(test_save_free_prompt),
		cmocka_unit_test(test_save_template_copy),
		RUN_TEST(test_run_free_prompt),
		RUN_TEST(test_run_given_messages),
		RUN_TEST(test_run_send_a_turn),
		RUN_TEST(test_run_chain_shows_each_step),
		RUN_TEST(test_run_samples_vote),
		RUN_TEST(test_run_cancel_and_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
