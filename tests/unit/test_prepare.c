/* prompt/prepare: a template made ready from what a user gave — variables
 * layered from the --data and --vars-file JSON files and the k=v sets, the
 * prompt text filling the first variable, one-call templates rendered and
 * multi-call ones refused where only one call is allowed, parameters merged;
 * and each failure with its kind (usage or failed) and its sentence. */
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
#include "base/xmalloc.h"
#include "prompt/prepare.h"
#include "testutil.h"

static char tmpdir[] = "/tmp/aiwb-prepare-test-XXXXXX";

static char *put(const char *name, const char *text)
{
	char *path = path_join(tmpdir, name);
	struct err e = ERR_INIT;
	if (path_write_file(path, text, strlen(text), &e) != 0)
		fail_msg("%s", e.msg);
	return path;
}

static int setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(tmpdir));
	char *cfg = path_join(tmpdir, "config");
	setenv("XDG_CONFIG_HOME", cfg, 1);
	free(cfg);
	setenv("AIWB_SHARE", tmpdir, 1);
	path_reset();
	free(put("ask.prompt", "---\nvariables:\n  - {name: question, required: true}\n  - {name: tone, default: plain}\n"
			       "parameters: {temperature: 0.25, max_tokens: 50}\n---\nsystem:\nBe {{tone}}.\nuser:\n{{question}}\n"));
	free(put("chain.prompt", "---\nvariables:\n  - {name: task, required: true}\nsteps:\n"
				 "  - {name: a, output_var: x, template: \"do {{task}}\"}\n"
				 "  - {name: b, template: \"then {{x}}\"}\n---\n"));
	free(put("lonely.prompt", "---\ndescription: no variables\n---\nsystem:\nonly a system message\n"));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return test_rmtree(tmpdir);
}

static char *tpath(const char *name)
{
	return path_join(tmpdir, name);
}

static void test_bind_layers(void **state)
{
	(void)state;
	char *p = tpath("ask.prompt");
	struct err e = ERR_INIT;
	struct template *t = template_open(p, NULL, &e);
	assert_non_null(t);
	char *data = put("data.json", "{\"question\": \"from data\", \"tone\": \"warm\"}");
	char *vars = put("vars.json", "{\"question\": \"from vars\"}");
	const char *sets[] = { "tone=dry" };
	struct template_input in = { sets, 1, data, vars, NULL };
	cJSON *out = NULL;
	assert_int_equal(template_bind_input(t, &in, &out, &e), PREP_OK);
	assert_string_equal(cJSON_GetObjectItem(out, "question")->valuestring, "from vars");
	assert_string_equal(cJSON_GetObjectItem(out, "tone")->valuestring, "dry");
	cJSON_Delete(out);

	char *bad = put("bad.json", "{\n\"question\": \n}\n");
	struct template_input b = { NULL, 0, NULL, bad, NULL };
	assert_int_equal(template_bind_input(t, &b, &out, &e), PREP_FAILED);
	assert_null(out);
	char *want = xasprintf("%s:3: not valid JSON", bad);
	assert_string_equal(err_msg(&e), want);
	free(want);

	struct template_input gone = { NULL, 0, "/nonexistent/aiwb/data.json", NULL, NULL };
	assert_int_equal(template_bind_input(t, &gone, &out, &e), PREP_FAILED);
	assert_non_null(strstr(err_msg(&e), "/nonexistent/aiwb/data.json"));

	const char *unknown[] = { "colour=red" };
	struct template_input u = { unknown, 1, NULL, NULL, NULL };
	assert_int_equal(template_bind_input(t, &u, &out, &e), PREP_USAGE);
	assert_non_null(strstr(err_msg(&e), "no variable 'colour'"));
	struct template_input none = { NULL, 0, NULL, NULL, NULL };
	assert_int_equal(template_bind_input(t, &none, &out, &e), PREP_USAGE); /* question is required */
	template_free(t);
	free(bad);
	free(data);
	free(vars);
	free(p);
}

static void test_prepare_one_call(void **state)
{
	(void)state;
	char *p = tpath("ask.prompt");
	struct err e = ERR_INIT;
	struct template_prep tp;
	struct template_input in = { NULL, 0, NULL, NULL, "why is the sky blue?" };
	struct llm_params params = { 0 };
	params.has_max_tokens = 1;
	params.max_tokens = 9;
	assert_int_equal(template_prepare(&tp, p, &in, 1, &params, &e), PREP_OK);
	assert_int_equal(tp.nmessages, 1);
	assert_string_equal(tp.messages[0].role, "user");
	assert_string_equal(tp.messages[0].content, "why is the sky blue?");
	assert_string_equal(tp.system, "Be plain.");
	assert_true(params.has_temperature && params.temperature == 0.25); /* the template's */
	assert_int_equal(params.max_tokens, 9);                            /* the command line's */
	template_prep_free(&tp);
	assert_null(tp.t);

	const char *sets[] = { "question=also" };
	struct template_input twice = { sets, 1, NULL, NULL, "q" };
	assert_int_equal(template_prepare(&tp, p, &twice, 0, &params, &e), PREP_USAGE);
	assert_string_equal(err_msg(&e), "question is given twice: as --var and as the prompt");
	template_prep_free(&tp);
	free(p);
}

static void test_prepare_refusals(void **state)
{
	(void)state;
	struct err e = ERR_INIT;
	struct template_prep tp;
	struct llm_params params = { 0 };
	const char *sets[] = { "task=t" };
	struct template_input in = { sets, 1, NULL, NULL, NULL };
	char *chain = tpath("chain.prompt");
	assert_int_equal(template_prepare(&tp, chain, &in, 1, &params, &e), PREP_USAGE);
	assert_string_equal(err_msg(&e), "template chain runs several calls (a chain of steps); run it with aiwb ask");
	template_prep_free(&tp);
	/* allowed: bound, not rendered (each step renders when it runs) */
	assert_int_equal(template_prepare(&tp, chain, &in, 0, &params, &e), PREP_OK);
	assert_non_null(tp.vars);
	assert_int_equal(tp.nmessages, 0);
	template_prep_free(&tp);

	char *lonely = tpath("lonely.prompt");
	struct template_input prompt = { NULL, 0, NULL, NULL, "hi" };
	assert_int_equal(template_prepare(&tp, lonely, &prompt, 1, &params, &e), PREP_USAGE);
	assert_string_equal(err_msg(&e),
			    "template lonely declares no variables, so the prompt has nowhere to go; use --var");
	template_prep_free(&tp);
	struct template_input nothing = { NULL, 0, NULL, NULL, NULL };
	assert_int_equal(template_prepare(&tp, lonely, &nothing, 1, &params, &e), PREP_FAILED);
	assert_string_equal(err_msg(&e), "template lonely renders no user message");
	template_prep_free(&tp);

	assert_int_equal(template_prepare(&tp, "no-such-template", &nothing, 1, &params, &e), PREP_FAILED);
	assert_non_null(strstr(err_msg(&e), "no template 'no-such-template'"));
	template_prep_free(&tp);
	free(lonely);
	free(chain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bind_layers),
		cmocka_unit_test(test_prepare_one_call),
		cmocka_unit_test(test_prepare_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
