#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "llm/run.h"
#include "prompt/labsetup.h"
#include "store/db.h"
#include "store/history.h"


static int64_t add(struct db *db, const char *kind, const char *model, const char *messages, const char *params)
{
	struct err e = ERR_INIT;
	struct db_run run = {
		.kind = kind, .model = model, .prompt = "p", .messages = messages, .params = params,
		.output = "answer", .metrics = "{\"status\":\"ok\"}",
	};
	int64_t id = db_run_insert(db, &run, &e);
	if (id <= 0)
		fail_msg("db_run_insert: %s", err_msg(&e));
	return id;
}

static void get(struct db *db, int64_t id, struct lab_setup *s)
{
	struct err e = ERR_INIT;
	int rc = lab_setup_from_history(db, id, s, &e);
	if (rc != 1)
		fail_msg("lab_setup_from_history(%lld) = %d: %s", (long long)id, rc, err_msg(&e));
}

static void test_free_prompt(void **state)
{
	struct testdb *f = *state;
	int64_t id = add(f->db, "ask", "openai/gpt-4o-mini",
			 "[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"first\"},"
			 "{\"role\":\"assistant\",\"content\":\"ok\"},{\"role\":\"user\",\"content\":\"Tell me about zebras\"}]",
			 "{\"temperature\":0.2}");
	struct lab_setup s;
	get(f->db, id, &s);
	assert_null(s.template);
	assert_int_equal(s.nvars, 0);
	assert_string_equal(s.prompt, "Tell me about zebras");
	assert_string_equal(s.system, "Be brief.");
	assert_int_equal(s.nmodels, 1);
	assert_string_equal(s.models[0], "openai/gpt-4o-mini");
	lab_setup_free(&s);
	assert_null(s.prompt);
	lab_setup_free(NULL);
}

static void test_template_vars_as_typed(void **state)
{
	struct testdb *f = *state;
	int64_t id = add(f->db, "ask", "anthropic/claude-3-5-haiku-latest",
			 "[{\"role\":\"user\",\"content\":\"rendered text\"}]",
			 "{\"template\":\"few-shot\",\"vars\":{\"question\":\"Why \\\"blue\\\"?\",\"n\":3,\"ratio\":0.5,"
			 "\"strict\":true,\"none\":null,\"tags\":[\"a\",\"b\"],\"opts\":{\"k\":1},\"empty\":\"\"},"
			 "\"max_tokens\":256}");
	struct lab_setup s;
	get(f->db, id, &s);
	assert_string_equal(s.template, "few-shot");
	assert_string_equal(s.prompt, "");
	assert_null(s.system);
	static const char *const want[][2] = {
		{ "question", "Why \"blue\"?" }, { "n", "3" }, { "ratio", "0.5" }, { "strict", "true" },
		{ "none", "null" }, { "tags", "[\"a\",\"b\"]" }, { "opts", "{\"k\":1}" }, { "empty", "" },
	};
	assert_int_equal(s.nvars, sizeof want / sizeof *want);
	for (size_t i = 0; i < s.nvars; i++) {
		assert_string_equal(s.vars[i].name, want[i][0]);
		assert_string_equal(s.vars[i].value, want[i][1]);
	}
	assert_int_equal(s.nmodels, 1);
	lab_setup_free(&s);
}

static void test_template_path_without_vars(void **state)
{
	struct testdb *f = *state;
	int64_t id = add(f->db, "ask", "ollama/llama3.1", "[{\"role\":\"user\",\"content\":\"x\"}]",
			 "{\"template\":\"/home/me/p/mine.prompt\",\"vars\":{}}");
	struct lab_setup s;
	get(f->db, id, &s);
	assert_string_equal(s.template, "/home/me/p/mine.prompt");
	assert_int_equal(s.nvars, 0);
	assert_null(s.vars);
	lab_setup_free(&s);
}

static void test_compare_group_lists_every_model(void **state)
{
	struct testdb *f = *state;
	const char *msg = "[{\"role\":\"user\",\"content\":\"compare penguins\"}]";
	const char *g1 = "{\"compare_group\":1795000000123456,\"temperature\":0.7}";
	const char *g2 = "{\"compare_group\":1795000000999999}";
	int64_t a = add(f->db, "compare", "openai/gpt-4o-mini", msg, g1);
	add(f->db, "compare", "openai/gpt-4o", msg, g2);
	add(f->db, "ask", "openai/o1", msg, g1); /* not a compare row */
	int64_t c = add(f->db, "compare", "anthropic/claude-3-5-haiku-latest", msg, g1);
	add(f->db, "compare", "ollama/llama3.1", msg, "not json");
	add(f->db, "compare", "openai/gpt-4o-mini", msg, g1); /* the same model twice */
	struct lab_setup s;
	get(f->db, c, &s);
	assert_int_equal(s.nmodels, 2);
	assert_string_equal(s.models[0], "openai/gpt-4o-mini");
	assert_string_equal(s.models[1], "anthropic/claude-3-5-haiku-latest");
	assert_string_equal(s.prompt, "compare penguins");
	lab_setup_free(&s);
	get(f->db, a, &s);
	assert_int_equal(s.nmodels, 2);
	assert_string_equal(s.models[0], "openai/gpt-4o-mini");
	lab_setup_free(&s);
	get(f->db, a + 1, &s);
	assert_int_equal(s.nmodels, 1);
	assert_string_equal(s.models[0], "openai/gpt-4o");
	lab_setup_free(&s);

	char **models;
	size_t n;
	struct err e = ERR_INIT;
	assert_int_equal(history_group_models(f->db, 1795000000123456, &models, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_string_equal(models[2], "openai/gpt-4o-mini");
	history_models_free(models, n);
	assert_int_equal(history_group_models(f->db, 42, &models, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_null(models);
}

/* What aiwb compare saves: the template's params with the group merged in. */
static void test_compare_params_round_trip(void **state)
{
	struct testdb *f = *state;
	int64_t group = run_compare_group();
	assert_true(group > INT64_C(1700000000000000));
	char *p = run_compare_params("{\"template\":\"role\",\"vars\":{\"n\":2},\"compare_group\":1}", 1795000000123457);
	assert_string_equal(p, "{\"template\":\"role\",\"vars\":{\"n\":2},\"compare_group\":1795000000123457}");
	free(p);
	p = run_compare_params("[not an object", 7);
	assert_string_equal(p, "{\"compare_group\":7}");
	free(p);
	p = run_compare_params(NULL, group);
	const char *msg = "[{\"role\":\"user\",\"content\":\"hi\"}]";
	add(f->db, "compare", "openai/gpt-4o-mini", msg, p);
	int64_t last = add(f->db, "compare", "ollama/llama3.1", msg, p);
	free(p);
	struct lab_setup s;
	get(f->db, last, &s);
	assert_int_equal(s.nmodels, 2);
	assert_string_equal(s.models[0], "openai/gpt-4o-mini");
	assert_string_equal(s.models[1], "ollama/llama3.1");
	lab_setup_free(&s);
}

static void test_missing_and_odd_rows(void **state)
{
	struct testdb *f = *state;
	struct lab_setup s;
	struct err e = ERR_INIT;
	assert_int_equal(lab_setup_from_history(f->db, 999, &s, &e), 0);
	/* no messages: the stored prompt; params not JSON; a group that is not a number */
	int64_t id = add(f->db, "ask", "openai/gpt-4o-mini", NULL, "{\"compare_group\":\"x\",\"template\":7}");
	get(f->db, id, &s);
	assert_null(s.template);
	assert_string_equal(s.prompt, "p");
	assert_int_equal(s.nmodels, 1);
	lab_setup_free(&s);
	id = add(f->db, "ask", NULL, "[]", "[1,2]");
	assert_int_equal(lab_setup_from_history(f->db, id, &s, &e), -1);
	assert_non_null(strstr(err_msg(&e), "no model"));
	assert_null(s.models);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_free_prompt, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_template_vars_as_typed, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_template_path_without_vars, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_compare_group_lists_every_model, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_compare_params_round_trip, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_odd_rows, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
