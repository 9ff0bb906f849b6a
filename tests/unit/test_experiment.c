/* Experiments: assertions, the spec and dataset loaders, the statistics and
 * the report, and the store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "base/buf.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "exp/assert.h"
#include "exp/report.h"
#include "exp/retrieve.h"
#include "exp/spec.h"
#include "store/db.h"
#include "store/expstore.h"
#include "testdb.h"
#include "testutil.h"

static char tmpdir[] = "/tmp/aiwb-test-exp.XXXXXX";

static int setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(tmpdir));
	const char *root = getenv("AIWB_ROOT");
	static char share[4096];
	assert_non_null(realpath(root && *root ? root : ".", share));
	setenv("AIWB_SHARE", share, 1);
	char *cfg = path_join(tmpdir, "config");
	setenv("XDG_CONFIG_HOME", cfg, 1);
	free(cfg);
	unsetenv("AIWB_CONFIG");
	path_reset();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return test_rmtree(tmpdir);
}

/* ---------------------------------------------------------------- assertions */

/* Runs one assertion; returns passed and leaves the reason in why. */
static int check(const char *type, const char *value, const char *vars_json, const char *text, double ms,
		 double cost, char *why, size_t n)
{
	struct exp_assert a;
	struct err e = ERR_INIT;
	assert_int_equal(exp_assert_init(&a, type, value, &e), 0);
	cJSON *vars = vars_json ? cJSON_Parse(vars_json) : NULL;
	struct exp_measure m = { text, ms, cost };
	struct exp_check c;
	exp_assert_check(&a, vars, &m, &c);
	snprintf(why, n, "%s", c.reason);
	int passed = c.passed;
	exp_check_free(&c);
	cJSON_Delete(vars);
	exp_assert_free(&a);
	return passed;
}

static void test_assert_contains(void **state)
{
	(void)state;
	char why[512];
	assert_true(check("contains", "seven", NULL, "six seven eight", 1, 0, why, sizeof why));
	assert_string_equal(why, "the answer contains 'seven'");
	assert_false(check("contains", "nine", NULL, "six seven eight", 1, 0, why, sizeof why));
	assert_string_equal(why, "the answer does not contain 'nine'");
	assert_false(check("contains", "Seven", NULL, "six seven", 1, 0, why, sizeof why)); /* case matters */
	assert_true(check("not-contains", "sorry", NULL, "Hello", 1, 0, why, sizeof why));
	assert_false(check("not-contains", "Hell", NULL, "Hello", 1, 0, why, sizeof why));
	assert_string_equal(why, "the answer contains 'Hell'");
}

static void test_assert_from_dataset_column(void **state)
{
	(void)state;
	char why[512];
	assert_true(check("contains", "{{expected}}", "{\"expected\":\"Paris\"}", "It is Paris.", 1, 0, why, sizeof why));
	assert_false(check("contains", "{{expected}}", "{\"expected\":\"Rome\"}", "It is Paris.", 1, 0, why, sizeof why));
	assert_string_equal(why, "the answer does not contain 'Rome'");
	/* no HTML escaping of values */
	assert_true(check("equals", "{{x}}", "{\"x\":\"a < b & c\"}", " a < b & c\n", 1, 0, why, sizeof why));
	/* an empty column skips the check for that row */
	assert_true(check("contains", "{{expected}}", "{\"expected\":\"\"}", "anything", 1, 0, why, sizeof why));
	assert_string_equal(why, "skipped: the value is empty for this case");
}

static void test_assert_equals_and_regex(void **state)
{
	(void)state;
	char why[512];
	assert_true(check("equals", "42", NULL, "  42\n", 1, 0, why, sizeof why));
	assert_false(check("equals", "42", NULL, "The answer is 42", 1, 0, why, sizeof why));
	assert_string_equal(why, "the answer 'The answer is 42' is not '42'");
	assert_true(check("regex", "^[0-9]+$", NULL, "line\n123\n", 1, 0, why, sizeof why)); /* per line */
	assert_false(check("regex", "^[0-9]+$", NULL, "abc", 1, 0, why, sizeof why));
	assert_string_equal(why, "the answer does not match /^[0-9]+$/");
	assert_true(check("regex", "{{w}}$", "{\"w\":\"end\"}", "the end", 1, 0, why, sizeof why));
	/* a templated regex that does not compile fails the case and says why */
	assert_false(check("regex", "{{w}}", "{\"w\":\"(\"}", "x", 1, 0, why, sizeof why));
	assert_non_null(strstr(why, "not a POSIX extended regular expression"));
}

static void test_assert_is_json(void **state)
{
	(void)state;
	char why[512];
	assert_true(check("is-json", "true", NULL, " {\"a\": [1, 2]}\n", 1, 0, why, sizeof why));
	assert_true(check("is-json", "true", NULL, "```json\n{\"a\": 1}\n```", 1, 0, why, sizeof why));
	assert_true(check("is-json", "true", NULL, "```\n[1]\n```\n", 1, 0, why, sizeof why));
	assert_false(check("is-json", "true", NULL, "Here: {\"a\": 1}", 1, 0, why, sizeof why));
	assert_string_equal(why, "the answer is not valid JSON: 'Here: {\"a\": 1}'");
	assert_false(check("is-json", "true", NULL, "{\"a\": 1} trailing", 1, 0, why, sizeof why));
	assert_false(check("is-json", "true", NULL, "", 1, 0, why, sizeof why));
	assert_false(check("is-json", "true", NULL, "```python\n[1]\n```", 1, 0, why, sizeof why));
}

static void test_assert_limits(void **state)
{
	(void)state;
	char why[512];
	assert_true(check("max-latency-ms", "500", NULL, "", 499.6, 0, why, sizeof why));
	assert_string_equal(why, "took 500 ms, within the limit of 500 ms");
	assert_false(check("max-latency-ms", "500", NULL, "", 2003.2, 0, why, sizeof why));
	assert_string_equal(why, "took 2003 ms, over the limit of 500 ms");
	assert_true(check("max-cost-usd", "0.01", NULL, "", 1, 0.001, why, sizeof why));
	assert_false(check("max-cost-usd", "0.01", NULL, "", 1, 0.02, why, sizeof why));
	assert_string_equal(why, "cost $0.020000, over the limit of $0.01");
	assert_false(check("max-cost-usd", "1", NULL, "", 1, -1, why, sizeof why));
	assert_string_equal(why, "the cost is unknown (the model has no price in the catalog)");
}

static void test_assert_init_errors(void **state)
{
	(void)state;
	struct exp_assert a;
	struct err e = ERR_INIT;
	assert_int_equal(exp_assert_init(&a, "contain", "x", &e), -1);
	assert_non_null(strstr(err_msg(&e), "unknown assertion type 'contain' (known: contains, not-contains"));
	err_clear(&e);
	assert_int_equal(exp_assert_init(&a, "regex", "(", &e), -1);
	assert_non_null(strstr(err_msg(&e), "regex is not a POSIX extended regular expression"));
	err_clear(&e);
	assert_int_equal(exp_assert_init(&a, "max-latency-ms", "soon", &e), -1);
	assert_string_equal(err_msg(&e), "max-latency-ms needs a number of at least 0");
	err_clear(&e);
	assert_int_equal(exp_assert_init(&a, "contains", "", &e), -1);
	err_clear(&e);
	assert_int_equal(exp_assert_init(&a, "is-json", "maybe", &e), -1);
	err_clear(&e);
	assert_int_equal(exp_assert_init(&a, "equals", "{{#open}}", &e), -1);
	assert_non_null(strstr(err_msg(&e), "not a valid template"));
}

static cJSON *mk_case(int index, const char *model, const char *status, const char *run_status, double ms,
		      double ttft, double in, double out, double cost)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddNumberToObject(c, "index", index);
	cJSON_AddNumberToObject(c, "row", index / 2);
	cJSON_AddStringToObject(c, "prompt", "p");
	cJSON_AddStringToObject(c, "model", model);
	cJSON_AddStringToObject(c, "status", status);
	if (run_status)
		cJSON_AddStringToObject(c, "run_status", run_status);
	else
		cJSON_AddNullToObject(c, "run_status");
	if (!strcmp(status, "error"))
		cJSON_AddStringToObject(c, "error", "boom | bang");
	cJSON_AddNumberToObject(c, "total_ms", ms);
	if (ttft >= 0)
		cJSON_AddNumberToObject(c, "ttft_ms", ttft);
	cJSON_AddNumberToObject(c, "input_tokens", in);
	cJSON_AddNumberToObject(c, "output_tokens", out);
	if (cost >= 0)
		cJSON_AddNumberToObject(c, "cost_usd", cost);
	cJSON *as = cJSON_AddArrayToObject(c, "assertions");
	if (!strcmp(status, "fail")) {
		cJSON *a = cJSON_CreateObject();
		cJSON_AddStringToObject(a, "type", "contains");
		cJSON_AddBoolToObject(a, "passed", 0);
		cJSON_AddStringToObject(a, "reason", "the answer does not contain 'x'");
		cJSON_AddItemToArray(as, a);
	}
	return c;
}

static cJSON *sample_doc(void)
{
	cJSON *doc = cJSON_Parse("{\"id\": 9, \"name\": \"t\", \"status\": \"finished\", \"planned\": 5,"
				 " \"models\": [\"a/x\", \"b/y\"], \"prompts\": [\"p\"]}");
	cJSON *cases = cJSON_AddArrayToObject(doc, "cases");
	cJSON_AddItemToArray(cases, mk_case(0, "a/x", "pass", "ok", 100, 10, 5, 13, 0.5));
	cJSON_AddItemToArray(cases, mk_case(1, "b/y", "error", "error", 1300, -1, 5, 0, -1));
	cJSON_AddItemToArray(cases, mk_case(2, "a/x", "fail", "ok", 300, 30, 6, 13, 0.25));
	cJSON_AddItemToArray(cases, mk_case(3, "b/y", "error", "cut", 50, 5, 5, 3, -1));
	cJSON_AddItemToArray(cases, mk_case(4, "a/x", "error", NULL, 0, -1, 0, 0, -1));
	exp_report_finish(doc);
	return doc;
}

static double get(const cJSON *o, const char *k)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
	assert_true(cJSON_IsNumber(j));
	return j->valuedouble;
}

static void test_report_matrix(void **state)
{
	(void)state;
	cJSON *doc = sample_doc();
	const cJSON *mx = cJSON_GetObjectItemCaseSensitive(doc, "matrix");
	assert_int_equal(cJSON_GetArraySize(mx), 2);
	const cJSON *a = cJSON_GetArrayItem(mx, 0), *b = cJSON_GetArrayItem(mx, 1);
	assert_string_equal(cJSON_GetObjectItem(a, "model")->valuestring, "a/x");
	assert_true(get(a, "cases") == 3 && get(a, "passed") == 1 && get(a, "failed") == 1 && get(a, "errors") == 1);
	assert_true(get(a, "pass_rate") > 0.333 && get(a, "pass_rate") < 0.334);
	assert_true(get(a, "mean_ms") == 200 && get(a, "p95_ms") == 300 && get(a, "mean_ttft_ms") == 20);
	assert_true(get(a, "input_tokens") == 11 && get(a, "output_tokens") == 26 && get(a, "cost_usd") == 0.75);
	assert_string_equal(cJSON_GetObjectItem(a, "first_problem")->valuestring,
			    "fail: contains: the answer does not contain 'x'");
	/* b: no finished run, so no latency; tokens of the cut run only; no price */
	assert_true(get(b, "cases") == 2 && get(b, "errors") == 2 && get(b, "pass_rate") == 0);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(b, "mean_ms")) && cJSON_IsNull(cJSON_GetObjectItem(b, "p95_ms")));
	assert_true(get(b, "input_tokens") == 5 && get(b, "output_tokens") == 3);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(b, "cost_usd")));
	assert_string_equal(cJSON_GetObjectItem(b, "first_problem")->valuestring, "error: boom | bang");
	const cJSON *sum = cJSON_GetObjectItemCaseSensitive(doc, "summary");
	assert_true(get(sum, "planned") == 5 && get(sum, "cases") == 5 && get(sum, "passed") == 1 &&
		    get(sum, "failed") == 1 && get(sum, "errors") == 3);
	cJSON_Delete(doc);
}

static char *render(void (*fn)(FILE *, const cJSON *), const cJSON *doc)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	fn(f, doc);
	fclose(f);
	return text;
}

static void test_report_renderings(void **state)
{
	(void)state;
	cJSON *doc = sample_doc();
	char *csv = render(exp_report_csv, doc);
	assert_non_null(strstr(csv, "experiment,prompt,model,cases,passed,failed,errors,pass_rate,mean_ms,p95_ms,"
				    "mean_ttft_ms,input_tokens,output_tokens,cost_usd,first_problem\r\n"));
	assert_non_null(strstr(csv, "\r\n9,p,a/x,3,1,1,1,0.333333333333333,200,300,20,11,26,0.75,"
				    "fail: contains: the answer does not contain 'x'\r\n"));
	assert_non_null(strstr(csv, "\r\n9,p,b/y,2,0,0,2,0,,,,5,3,,error: boom | bang\r\n"));
	char *md = render(exp_report_markdown, doc);
	assert_non_null(strstr(md, "# Experiment 9: t\n"));
	assert_non_null(strstr(md, "| p | a/x | 3 | 1 | 1 | 1 | 33.3 | 200 | 300 | 20 | 11 | 26 | 0.750000 |\n"));
	assert_non_null(strstr(md, "| 1 | 0 | p | b/y | error: boom \\| bang |\n")); /* '|' escaped */
	char *txt = render(exp_report_text, doc);
	assert_non_null(strstr(txt, "experiment 9: t (finished): 5 of 5 cases run, 1 passed, 1 failed, 3 errors\n"));
	assert_non_null(strstr(txt, "fail: contains: the answer does not contain 'x'"));
	free(csv);
	free(md);
	free(txt);
	cJSON_Delete(doc);
}

/* ---------------------------------------------------------------- spec files */

static char *write_file(const char *name, const char *text)
{
	char *p = path_join(tmpdir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

/* Loads text as an experiment file; returns the error ("" when it loads). */
static char *load(const char *text, struct exp_spec *s)
{
	char *p = write_file("exp.yaml", text);
	struct err e = ERR_INIT;
	int rc = exp_spec_load(s, p, &e);
	char *msg = rc ? xasprintf("%s", err_msg(&e) + strlen(tmpdir) + 1) : xstrdup("");
	free(p);
	return msg;
}

static int spec_mismatches;

static void expect_error(const char *text, const char *want)
{
	struct exp_spec s;
	char *msg = load(text, &s);
	if (!strstr(msg, want))
		print_error("error '%s' lacks '%s'\n", msg, want), spec_mismatches++;
	free(msg);
	exp_spec_free(&s);
}

static void test_spec_loads(void **state)
{
	(void)state;
	free(write_file("rows.csv", "name,expected\r\nworld,seven\r\n\"Smith, J\",\"nine\"\r\n"));
	free(write_file("t.prompt", "---\nvariables:\n  - name: name\n    required: true\n---\nsystem:\nBe brief.\nuser:\nHi {{name}}\n"));
	struct exp_spec s;
	char *msg = load("name: greet\n"
			 "prompts:\n"
			 "  - name: inline\n"
			 "    prompt: \"Say hello to {{name}}\"\n"
			 "  - template: t.prompt\n"
			 "models: [openai/gpt-4o-mini, ollama/llama3.1]\n"
			 "dataset: rows.csv\n"
			 "parameters: {temperature: 0, max_tokens: 50}\n"
			 "concurrency: 3\n"
			 "limits:\n  openai: {concurrency: 2, rpm: 120}\n"
			 "assert:\n  - contains: \"{{expected}}\"\n  - max-latency-ms: 2000\n",
			 &s);
	assert_string_equal(msg, "");
	free(msg);
	assert_string_equal(s.name, "greet");
	assert_int_equal(s.nprompts, 2);
	assert_string_equal(s.prompts[0].name, "inline");
	assert_true(s.prompts[0].is_inline && !s.prompts[0].t->bare && !s.prompts[0].t->nvars);
	assert_false(s.prompts[1].is_inline);
	assert_string_equal(s.prompts[1].name, "t");
	assert_int_equal(s.nmodels, 2);
	assert_int_equal(cJSON_GetArraySize(s.rows), 2);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(s.rows, 1), "name")->valuestring, "Smith, J");
	assert_int_equal(s.nasserts, 2);
	assert_int_equal(s.asserts[1].type, EXP_MAX_LATENCY_MS);
	assert_int_equal(s.concurrency, 3);
	assert_true(s.params.has_max_tokens && s.params.max_tokens == 50);
	const struct exp_limit *l = exp_spec_limit(&s, "openai");
	assert_non_null(l);
	assert_int_equal(l->concurrency, 2);
	assert_true(l->rpm == 120);
	assert_null(exp_spec_limit(&s, "ollama"));
	exp_spec_free(&s);

	/* the shortest file: one case, no variables, the default concurrency; name from the file */
	msg = load("prompt: hi\nmodels: openai/gpt-4o-mini\n", &s);
	assert_string_equal(msg, "");
	free(msg);
	assert_string_equal(s.name, "exp");
	assert_int_equal(cJSON_GetArraySize(s.rows), 1);
	assert_int_equal(s.concurrency, EXP_CONCURRENCY_DEFAULT);
	exp_spec_free(&s);

	/* the example shipped in examples/ loads */
	char *example = path_join(getenv("AIWB_SHARE"), "examples/experiments/triage.yaml");
	struct err ee = ERR_INIT;
	if (exp_spec_load(&s, example, &ee) != 0)
		fail_msg("%s", err_msg(&ee));
	assert_int_equal(s.nmodels, 3);
	assert_int_equal(cJSON_GetArraySize(s.rows), 6);
	assert_int_equal(s.nasserts, 3);
	exp_spec_free(&s);
	free(example);

	free(write_file("rows.jsonl", "{\"q\": \"a\", \"n\": 1}\n\n{\"q\": \"b\"}"));
	msg = load("prompt: \"{{q}}\"\nmodels: [openai/gpt-4o-mini]\ndataset: rows.jsonl\n", &s);
	assert_string_equal(msg, "");
	free(msg);
	assert_int_equal(cJSON_GetArraySize(s.rows), 2);
	exp_spec_free(&s);
}

static void test_spec_errors(void **state)
{
	(void)state;
	expect_error("prompt: [unclosed\nmodels: x\n", "exp.yaml:2:7: YAML: did not find expected ',' or ']'");
	expect_error("- a\n- b\n", "exp.yaml:1:1: an experiment file is a mapping");
	expect_error("prompt: hi\nmodels: [openai/x]\nfrobnicate: 1\n", "exp.yaml:3:1: unknown key 'frobnicate'");
	expect_error("models: [openai/x]\n", "exp.yaml:1:1: give the prompt to test as prompt:");
	expect_error("prompt: hi\n", "models: is missing");
	expect_error("prompt: hi\nmodels: [gpt-4o]\n", "exp.yaml:2:9: ");
	expect_error("prompt: hi\nmodels: [openai/x]\nassert:\n  - contain: x\n", "exp.yaml:4:5: unknown assertion type 'contain'");
	expect_error("prompt: hi\nmodels: [openai/x]\nassert:\n  - max-cost-usd: lots\n",
		     "exp.yaml:4:19: max-cost-usd needs a number of at least 0");
	expect_error("prompt: hi\nmodels: [openai/x]\nassert:\n  - regex: \"(\"\n", "exp.yaml:4:12: regex is not a POSIX");
	expect_error("prompt: hi\nmodels: [openai/x]\nassert:\n  - {contains: a, equals: b}\n",
		     "exp.yaml:4:5: each assertion is a map with one key");
	expect_error("prompt: hi\nmodels: [openai/x]\ndataset: missing.csv\n",
		     "exp.yaml:3:10: cannot read the dataset missing.csv");
	expect_error("prompt: hi\nmodels: [openai/x]\ndataset: rows.txt\n", "must be a .csv");
	free(write_file("bad.csv", "a,b\n1,2\n3\n"));
	expect_error("prompt: hi\nmodels: [openai/x]\ndataset: bad.csv\n",
		     "bad.csv:line 3: this row has 1 fields but the header has 2");
	free(write_file("bad.jsonl", "{\"a\":1}\n[1]\n"));
	expect_error("prompt: hi\nmodels: [openai/x]\ndataset: bad.jsonl\n", "bad.jsonl:line 2: is not a JSON object");
	free(write_file("dup.csv", "a,a\n1,2\n"));
	expect_error("prompt: hi\nmodels: [openai/x]\ndataset: dup.csv\n", "the column name 'a' appears twice");
	free(write_file("empty.csv", "a,b\n"));
	expect_error("prompt: hi\nmodels: [openai/x]\ndataset: empty.csv\n", "has no rows");
	expect_error("prompt: hi\nmodels: [openai/x]\nconcurrency: 0\n", "exp.yaml:3:14: concurrency must be a whole number from 1 to 64");
	expect_error("prompt: hi\nmodels: [openai/x]\nlimits:\n  openai: {burst: 3}\n", "exp.yaml:4:12: unknown limit 'burst'");
	expect_error("prompt: hi\ntemplate: t\nmodels: [openai/x]\n", "not both");
	expect_error("template: no-such-template-here\nmodels: [openai/x]\n", "exp.yaml:1:11: ");
	free(write_file("chain.prompt", "---\nsteps:\n  - name: a\n    output_var: x\n    template: \"one\"\n  - name: b\n    template: \"two {{x}}\"\n---\n"));
	expect_error("template: chain.prompt\nmodels: [openai/x]\n", "experiments take one-call templates");
	expect_error("prompt: hi\nmodels: [openai/x, openai/x]\n", "listed twice");
	expect_error("", "the file is empty");
	assert_int_equal(spec_mismatches, 0);
}


static void test_spec_kb(void **state)
{
	(void)state;
	free(write_file("qs.csv", "question,topic\nWhat is a day pass?,prices\n"));
	struct exp_spec s;
	/* kb without a prompt: the rag template, with {{context}} given by the sources */
	char *msg = load("dataset: qs.csv\nmodels: [openai/x, ollama/y]\n"
			 "kb:\n  - {name: handbook}\n"
			 "  - {label: wide, name: handbook, k: 12, mode: hybrid, filter: \"year >= 2024\", query: \"{{topic}}: {{question}}\"}\n",
			 &s);
	assert_string_equal(msg, "");
	free(msg);
	assert_int_equal(s.nprompts, 1);
	assert_string_equal(s.prompts[0].name, "rag");
	assert_int_equal(s.nkbs, 2);
	assert_string_equal(s.kbs[0].label, "handbook");
	assert_string_equal(s.kbs[0].name, "handbook");
	assert_int_equal(s.kbs[0].k, 5);
	assert_int_equal(s.kbs[0].mode, 0);
	assert_null(s.kbs[0].filter);
	assert_string_equal(s.kbs[0].query, "{{question}}");
	assert_string_equal(s.kbs[1].label, "wide");
	assert_int_equal(s.kbs[1].k, 12);
	assert_int_equal(s.kbs[1].mode, 2);
	assert_string_equal(s.kbs[1].filter, "year >= 2024");
	assert_string_equal(s.kbs[1].query, "{{topic}}: {{question}}");
	exp_spec_free(&s);
	/* one map; a prompt of the file uses {{context}} without a column for it */
	msg = load("dataset: qs.csv\nmodels: [openai/x]\nprompt: \"{{context}} {{question}}\"\nkb: {name: h, label: one}\n", &s);
	assert_string_equal(msg, "");
	free(msg);
	assert_int_equal(s.nkbs, 1);
	assert_string_equal(s.prompts[0].name, "prompt");
	exp_spec_free(&s);
	/* without kb, {{context}} is a column like any other */
	expect_error("dataset: qs.csv\nmodels: [openai/x]\nprompt: \"{{context}}\"\n", "has no column 'context'");
	expect_error("dataset: qs.csv\nmodels: [openai/x]\nkb: {k: 3}\n", "exp.yaml:3:5: a kb setting needs name:");
	expect_error("dataset: qs.csv\nmodels: [openai/x]\nkb: {name: h, k: 0}\n", "exp.yaml:3:18: k must be a whole number from 1 to 50");
	expect_error("dataset: qs.csv\nmodels: [openai/x]\nkb: {name: h, mode: fuzzy}\n", "mode must be bm25, vector or hybrid");
	expect_error("dataset: qs.csv\nmodels: [openai/x]\nkb: {name: h, filter: \"a = (\"}\n", "exp.yaml:3:23: invalid filter: column 5");
	expect_error("dataset: qs.csv\nmodels: [openai/x]\nkb: {name: h, query: \"{{#q}}\"}\n", "the kb query:");
	expect_error("dataset: qs.csv\nmodels: [openai/x]\nkb: {name: h, query: \"{{lang}}\"}\n",
		     "the kb query uses {{lang}} but row 1 of the dataset qs.csv has no 'lang'");
	expect_error("dataset: qs.csv\nmodels: [openai/x]\nkb: {name: \"../x\"}\n", "is not a knowledge base name");
	expect_error("dataset: qs.csv\nmodels: [openai/x]\nkb: []\n", "kb must be a setting");
	expect_error("dataset: qs.csv\nmodels: [openai/x]\nkb: [{name: h}, {name: h}]\n", "two kb settings are labelled 'h'");
	assert_int_equal(spec_mismatches, 0);
}

/* kb: inside a prompts entry replaces the file's for that prompt. */
static void test_spec_prompt_kb(void **state)
{
	(void)state;
	free(write_file("qs.csv", "question,topic\nWhat is a day pass?,prices\nAnd a week pass?,prices\n"));
	struct exp_spec s;
	char *msg = load("dataset: qs.csv\nmodels: [openai/x, ollama/y]\n"
			 "kb: {name: handbook}\n"
			 "prompts:\n"
			 "  - {name: file, prompt: \"{{context}} {{question}}\"}\n"
			 "  - name: own\n    prompt: \"{{context}} -- {{question}}\"\n"
			 "    kb: [{label: wiki, name: wiki, k: 2}, {label: wiki-v, name: wiki, mode: vector}]\n",
			 &s);
	assert_string_equal(msg, "");
	free(msg);
	assert_int_equal(s.nprompts, 2);
	assert_int_equal(s.nkbs, 3);
	assert_int_equal(s.prompts[0].kb_first, 0);
	assert_int_equal(s.prompts[0].nkb, 1);
	assert_int_equal(s.prompts[1].kb_first, 1);
	assert_int_equal(s.prompts[1].nkb, 2);
	assert_int_equal(s.kbs[0].prompt, -1);
	assert_int_equal(s.kbs[1].prompt, 1);
	assert_string_equal(s.kbs[2].label, "wiki-v");
	/* 2 rows x (1 + 2 settings) x 2 models */
	assert_int_equal(exp_spec_cases(&s), 12);
	cJSON *js = exp_retrieve_settings_json(&s);
	assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(js, 0), "prompt"));
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(js, 2), "prompt")->valuestring, "own");
	cJSON_Delete(js);
	exp_spec_free(&s);
	/* only one prompt retrieves: the other's {{context}} must be a column */
	msg = load("dataset: qs.csv\nmodels: [openai/x]\nprompts:\n"
		   "  - {name: a, prompt: \"{{context}} {{question}}\", kb: {name: h}}\n"
		   "  - {name: b, prompt: \"{{question}}\"}\n",
		   &s);
	assert_string_equal(msg, "");
	free(msg);
	assert_int_equal(s.prompts[1].nkb, 0);
	assert_int_equal(exp_spec_cases(&s), 4);
	exp_spec_free(&s);
	expect_error("dataset: qs.csv\nmodels: [openai/x]\nprompts:\n"
		     "  - {name: a, prompt: \"{{question}}\", kb: {name: h}}\n  - {name: b, prompt: \"{{context}}\"}\n",
		     "prompt 'b' uses {{context}} but the dataset qs.csv has no column 'context'");
	expect_error("dataset: qs.csv\nmodels: [openai/x]\nkb: {name: h}\nprompts:\n"
		     "  - {name: a, prompt: \"{{question}}\", kb: {name: w}}\n",
		     "exp.yaml:3:5: every prompt has its own kb:, so this one is used by none; remove it");
	expect_error("dataset: qs.csv\nmodels: [openai/x]\nkb: {name: h}\nprompts:\n"
		     "  - {name: a, prompt: \"{{question}}\", kb: {name: h}}\n  - {name: b, prompt: \"{{question}}\"}\n",
		     "two kb settings are labelled 'h'");
	expect_error("dataset: qs.csv\nmodels: [openai/x]\nprompts:\n  - {name: a, prompt: hi, kb: {name: h, k: 99}}\n",
		     "k must be a whole number from 1 to 50");
	assert_int_equal(spec_mismatches, 0);
}

/* The matrix of a prompt with its own settings has rows for those only. */
static void test_report_prompt_kb(void **state)
{
	(void)state;
	cJSON *doc = cJSON_Parse("{\"id\": 4, \"name\": \"r\", \"status\": \"finished\", \"planned\": 3,"
				 " \"models\": [\"a/x\"], \"prompts\": [\"file\", \"own\", \"bare\"],"
				 " \"kb\": [{\"label\": \"h\", \"name\": \"h\", \"k\": 1, \"mode\": \"bm25\", \"filter\": null,"
				 " \"query\": \"{{question}}\"}, {\"label\": \"w\", \"name\": \"w\", \"k\": 2, \"mode\": \"bm25\","
				 " \"filter\": null, \"query\": \"{{question}}\", \"prompt\": \"own\"}]}");
	cJSON *cases = cJSON_AddArrayToObject(doc, "cases");
	const char *prompts[] = { "file", "own", "bare" }, *kbs[] = { "h", "w", NULL };
	for (int i = 0; i < 3; i++) {
		cJSON *c = mk_case(i, "a/x", "pass", "ok", 100, 10, 5, 13, 0.5);
		cJSON_ReplaceItemInObject(c, "prompt", cJSON_CreateString(prompts[i]));
		if (kbs[i])
			cJSON_AddStringToObject(cJSON_AddObjectToObject(c, "kb"), "label", kbs[i]);
		cJSON_AddItemToArray(cases, c);
	}
	exp_report_finish(doc);
	const cJSON *mx = cJSON_GetObjectItemCaseSensitive(doc, "matrix");
	/* file x h; own x w (not h); bare: the file's h (the file's settings serve
	 * every prompt without its own) */
	assert_int_equal(cJSON_GetArraySize(mx), 3);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(mx, 0), "kb")->valuestring, "h");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(mx, 1), "prompt")->valuestring, "own");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(mx, 1), "kb")->valuestring, "w");
	assert_true(get(cJSON_GetArrayItem(mx, 1), "cases") == 1);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(mx, 2), "prompt")->valuestring, "bare");
	cJSON_Delete(doc);
}

static void test_report_kb(void **state)
{
	(void)state;
	cJSON *doc = cJSON_Parse("{\"id\": 3, \"name\": \"r\", \"status\": \"finished\", \"planned\": 4,"
				 " \"models\": [\"a/x\", \"b/y\"], \"prompts\": [\"rag\"],"
				 " \"kb\": [{\"label\": \"narrow\", \"name\": \"h\", \"k\": 1, \"mode\": \"bm25\", \"filter\": null,"
				 " \"query\": \"{{question}}\"}, {\"label\": \"wide\", \"name\": \"h\", \"k\": 9, \"mode\": \"hybrid\","
				 " \"filter\": \"a=1\", \"query\": \"{{question}}\"}]}");
	cJSON *cases = cJSON_AddArrayToObject(doc, "cases");
	const char *kbs[] = { "narrow", "narrow", "wide", "wide" }, *models[] = { "a/x", "b/y", "a/x", "b/y" };
	const char *status[] = { "pass", "pass", "fail", "pass" };
	for (int i = 0; i < 4; i++) {
		cJSON *c = mk_case(i, models[i], status[i], "ok", 100, 10, 5, 13, 0.5);
		cJSON_ReplaceItemInObject(c, "prompt", cJSON_CreateString("rag"));
		cJSON *kb = cJSON_AddObjectToObject(c, "kb");
		cJSON_AddStringToObject(kb, "label", kbs[i]);
		cJSON_AddItemToArray(cases, c);
	}
	exp_report_finish(doc);
	const cJSON *mx = cJSON_GetObjectItemCaseSensitive(doc, "matrix");
	assert_int_equal(cJSON_GetArraySize(mx), 4);
	const cJSON *w = cJSON_GetArrayItem(mx, 2);
	assert_string_equal(cJSON_GetObjectItem(w, "kb")->valuestring, "wide");
	assert_string_equal(cJSON_GetObjectItem(w, "model")->valuestring, "a/x");
	assert_true(get(w, "cases") == 1 && get(w, "failed") == 1);
	assert_true(get(cJSON_GetArrayItem(mx, 0), "passed") == 1);
	char *csv = render(exp_report_csv, doc);
	assert_non_null(strstr(csv, "experiment,prompt,kb,model,cases,"));
	assert_non_null(strstr(csv, "\r\n3,rag,wide,a/x,1,0,1,0,"));
	char *md = render(exp_report_markdown, doc);
	assert_non_null(strstr(md, "| prompt | kb | model | cases |"));
	assert_non_null(strstr(md, "|---|---|---|---:|"));
	assert_non_null(strstr(md, "| rag | narrow | b/y | 1 | 1 | 0 | 0 | 100.0 |"));
	assert_non_null(strstr(md, "kb wide: h, mode hybrid, k 9, filter a=1, query {{question}}\n"));
	char *txt = render(exp_report_text, doc);
	assert_non_null(strstr(txt, "kb narrow: h, mode bm25, k 1, query {{question}}\n"));
	assert_non_null(strstr(txt, "\nrag          wide         a/x "));
	assert_non_null(strstr(txt, "    2     1 rag          wide         a/x"));
	free(csv);
	free(md);
	free(txt);
	cJSON_Delete(doc);
}

static void write_bytes(const char *name, const char *bytes, size_t n)
{
	char *p = path_join(tmpdir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, n, f), n);
	fclose(f);
	free(p);
}

static const char *row_str(const struct exp_spec *s, int row, const char *col)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(s->rows, row), col);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Excel's "CSV UTF-8" starts with a byte order mark: the first column is
 * still 'country', so {{country}} is bound. */
static void test_spec_csv_bom(void **state)
{
	(void)state;
	free(write_file("bom.csv", "\xEF\xBB\xBF" "country,capital\nFrance,Paris\n"));
	struct exp_spec s;
	char *msg = load("prompt: \"Capital of {{country}}?\"\nmodels: [openai/x]\ndataset: bom.csv\n", &s);
	assert_string_equal(msg, "");
	free(msg);
	assert_non_null(row_str(&s, 0, "country"));
	assert_string_equal(row_str(&s, 0, "country"), "France");
	exp_spec_free(&s);
}

/* A variable the prompt needs (used outside any section, or declared
 * required) without a column is an error naming it before anything runs;
 * a variable only inside a section stays optional. */
static void test_spec_required_columns(void **state)
{
	(void)state;
	free(write_file("cap.csv", "country,capital\nFrance,Paris\n"));
	expect_error("prompt: \"Capital of {{country}} in {{language}}?\"\nmodels: [openai/x]\ndataset: cap.csv\n",
		     "'language'");
	expect_error("prompt: \"Capital of {{country}} in {{language}}?\"\nmodels: [openai/x]\ndataset: cap.csv\n",
		     "exp.yaml:1:9: the prompt uses {{language}} but the dataset cap.csv has no column 'language'");
	expect_error("prompt: \"hi {{who.name}}\"\nmodels: [openai/x]\n", "no dataset");
	free(write_file("req.prompt", "---\nvariables:\n  - name: topic\n    required: true\n  - name: tone\n---\nWrite about {{topic}}{{#tone}} in a {{tone}} tone{{/tone}}.\n"));
	expect_error("template: req.prompt\nmodels: [openai/x]\ndataset: cap.csv\n", "'topic'");
	struct exp_spec s;
	char *msg = load("prompt: \"{{country}}{{#language}} in {{language}}{{/language}}{{^x}}!{{/x}}\"\n"
			 "models: [openai/x]\ndataset: cap.csv\n", &s);
	assert_string_equal(msg, "");
	free(msg);
	exp_spec_free(&s);
	free(write_file("topic.csv", "topic\nrain\n"));
	msg = load("template: req.prompt\nmodels: [openai/x]\ndataset: topic.csv\n", &s);
	assert_string_equal(msg, "");
	free(msg);
	exp_spec_free(&s);
	/* a JSONL row without the key is named by its line */
	free(write_file("some.jsonl", "{\"country\": \"France\"}\n{\"capital\": \"Rome\"}\n"));
	expect_error("prompt: \"{{country}}\"\nmodels: [openai/x]\ndataset: some.jsonl\n",
		     "exp.yaml:1:9: the prompt uses {{country}} but row 2 of the dataset some.jsonl has no 'country'");
	assert_int_equal(spec_mismatches, 0);
}

/* NUL bytes and invalid UTF-8 in a cell become U+FFFD (never a cut string,
 * never raw bytes in a request or in JSON); the same in JSONL (\u0000). A
 * number too large for a double stays text as written. */
static void test_spec_cells_nul_utf8_numbers(void **state)
{
	(void)state;
	write_bytes("nul.csv", "a,b\nx\0y,ok\xff\xc0\xaf!\n", 15);
	struct exp_spec s;
	char *msg = load("prompt: \"{{a}} {{b}}\"\nmodels: [openai/x]\ndataset: nul.csv\n", &s);
	assert_string_equal(msg, "");
	free(msg);
	assert_string_equal(row_str(&s, 0, "a"), "x\xEF\xBF\xBDy");
	assert_string_equal(row_str(&s, 0, "b"), "ok\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD!");
	exp_spec_free(&s);
	free(write_file("odd.jsonl", "{\"a\": \"x\\u0000y\", \"b\": 1e999, \"c\": -2e400, \"d\": 1.5, \"e\": \"ok\xff\"}\n"));
	msg = load("prompt: \"{{a}} {{b}}\"\nmodels: [openai/x]\ndataset: odd.jsonl\n", &s);
	assert_string_equal(msg, "");
	free(msg);
	assert_string_equal(row_str(&s, 0, "a"), "x\xEF\xBF\xBDy");
	assert_string_equal(row_str(&s, 0, "b"), "1e999");
	assert_string_equal(row_str(&s, 0, "c"), "-2e400");
	assert_true(cJSON_GetObjectItem(cJSON_GetArrayItem(s.rows, 0), "d")->valuedouble == 1.5);
	assert_string_equal(row_str(&s, 0, "e"), "ok\xEF\xBF\xBD");
	exp_spec_free(&s);
}

/* A second YAML document is refused, naming its line; so is nesting past
 * the limit, at the line where it passes it. */
static void test_spec_yaml_documents_and_depth(void **state)
{
	(void)state;
	expect_error("prompt: hi\nmodels: [openai/x]\n---\nprompt: other\nmodels: [openai/y]\n",
		     "exp.yaml:3:1: a second YAML document");
	expect_error("prompt: hi\nmodels: [openai/x]\n...\n--- {x: 1}\n", "exp.yaml:4:1: a second YAML document");
	struct buf deep = BUF_INIT;
	buf_puts(&deep, "prompt: hi\nmodels: [openai/x]\nparameters:\n  x: ");
	for (int i = 0; i < 100000; i++)
		buf_putc(&deep, '[');
	for (int i = 0; i < 100000; i++)
		buf_putc(&deep, ']');
	buf_putc(&deep, '\n');
	expect_error(buf_str(&deep), "exp.yaml:4:");
	expect_error(buf_str(&deep), "nested more than 64 levels deep");
	buf_free(&deep);
	assert_int_equal(spec_mismatches, 0);
}

/* ---------------------------------------------------------------- store */

static void test_store_roundtrip(void **state)
{
	(void)state;
	char *path = path_join(tmpdir, "exp.db");
	struct err e = ERR_INIT;
	struct db *db = db_open(path, 1000, NULL, &e);
	assert_non_null(db);
	cJSON *info = cJSON_Parse("{\"models\": [\"a/x\", \"b/y\"], \"prompts\": [\"p\"], \"planned\": 5}");
	int64_t id = expstore_create(db, "t", "/x/exp.yaml", info, 1234, &e);
	assert_true(id > 0);
	cJSON *doc = sample_doc();
	const cJSON *c;
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(doc, "cases"))
		assert_int_equal(expstore_add_case(db, id, c, &e), 0);
	/* the same case twice is refused */
	assert_int_equal(expstore_add_case(db, id, cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "cases"), 0), &e), -1);
	assert_int_equal(expstore_set_status(db, id, "finished", NULL, &e), 0);

	int missing = 0;
	cJSON *back = expstore_load(db, id, &missing, &e);
	assert_non_null(back);
	exp_report_finish(back);
	assert_string_equal(cJSON_GetObjectItem(back, "status")->valuestring, "finished");
	assert_string_equal(cJSON_GetObjectItem(back, "file")->valuestring, "/x/exp.yaml");
	char *m1 = cJSON_PrintUnformatted(cJSON_GetObjectItem(doc, "matrix"));
	char *m2 = cJSON_PrintUnformatted(cJSON_GetObjectItem(back, "matrix"));
	assert_string_equal(m1, m2);
	free(m1);
	free(m2);
	assert_int_equal(sqlite3_changes(db_handle(db)), 1);

	assert_null(expstore_load(db, id + 1, &missing, &e));
	assert_true(missing);
	cJSON *list = expstore_list(db, 10, &e);
	assert_int_equal(cJSON_GetArraySize(list), 1);
	assert_true(get(cJSON_GetArrayItem(list, 0), "cases") == 5 && get(cJSON_GetArrayItem(list, 0), "passed") == 1);
	cJSON_Delete(list);
	cJSON_Delete(back);
	cJSON_Delete(doc);
	cJSON_Delete(info);
	db_close(db);
	free(path);
}

/* A case and its history run are stored together or not at all: what a
 * crash (or a full disk) between two separate inserts left was a run
 * without its case. */
static void test_store_case_with_run(void **state)
{
	(void)state;
	char *path = path_join(tmpdir, "caserun.db");
	struct err e = ERR_INIT;
	struct db *db = db_open(path, 1000, NULL, &e);
	assert_non_null(db);
	cJSON *info = cJSON_Parse("{\"planned\": 2}");
	int64_t id = expstore_create(db, "t", NULL, info, 1, &e);
	assert_true(id > 0);
	struct db_run row = { .kind = "experiment", .model = "openai/x", .prompt = "p", .messages = "[]",
			      .params = "{}", .output = "answer", .metrics = "{}" };
	cJSON *doc = sample_doc();
	cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "cases"), 0);
	assert_int_equal(expstore_add_case_run(db, id, c, &row, &e), 0);
	int64_t rid = (int64_t)get(c, "run_id");
	assert_true(rid > 0);
	assert_int_equal(testdb_scalar(db, "SELECT count(*) FROM runs"), 1);
	char *sql = xasprintf("SELECT count(*) FROM experiment_cases WHERE run_id = %lld", (long long)rid);
	assert_int_equal(testdb_scalar(db, sql), 1);
	free(sql);

	/* the case insert fails (the same index again): its run is not kept */
	err_clear(&e);
	assert_int_equal(expstore_add_case_run(db, id, c, &row, &e), -1);
	assert_non_null(strstr(err_msg(&e), "caserun.db"));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(c, "run_id")));
	assert_int_equal(testdb_scalar(db, "SELECT count(*) FROM runs"), 1);
	/* a case without a call stores no run */
	cJSON *c2 = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "cases"), 1);
	assert_int_equal(expstore_add_case_run(db, id, c2, NULL, &e), 0);
	assert_int_equal(testdb_scalar(db, "SELECT count(*) FROM runs"), 1);
	assert_int_equal(testdb_scalar(db, "SELECT count(*) FROM experiment_cases"), 2);

	/* a failed experiment keeps why; a later status without one drops it */
	assert_int_equal(expstore_set_status(db, id, "failed", "case 3 could not be stored: the disk is full", &e), 0);
	int missing = 0;
	cJSON *back = expstore_load(db, id, &missing, &e);
	assert_non_null(back);
	assert_string_equal(cJSON_GetObjectItem(back, "status")->valuestring, "failed");
	assert_string_equal(cJSON_GetObjectItem(back, "reason")->valuestring,
			    "case 3 could not be stored: the disk is full");
	exp_report_finish(back);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	exp_report_text(f, back);
	fclose(f);
	assert_non_null(strstr(text, "(failed): "));
	assert_non_null(strstr(text, "; case 3 could not be stored: the disk is full"));
	free(text);
	cJSON_Delete(back);
	assert_int_equal(expstore_set_status(db, id, "finished", NULL, &e), 0);
	back = expstore_load(db, id, &missing, &e);
	assert_null(cJSON_GetObjectItem(back, "reason"));
	assert_int_equal((int)get(back, "planned"), 2);
	cJSON_Delete(back);
	cJSON_Delete(doc);
	cJSON_Delete(info);
	db_close(db);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_assert_contains),
		cmocka_unit_test(test_assert_from_dataset_column),
		cmocka_unit_test(test_assert_equals_and_regex),
		cmocka_unit_test(test_assert_is_json),
		cmocka_unit_test(test_assert_limits),
		cmocka_unit_test(test_assert_init_errors),
		cmocka_unit_test(test_report_matrix),
		cmocka_unit_test(test_report_renderings),
		cmocka_unit_test(test_spec_loads),
		cmocka_unit_test(test_spec_errors),
		cmocka_unit_test(test_spec_kb),
		cmocka_unit_test(test_report_kb),
		cmocka_unit_test(test_spec_prompt_kb),
		cmocka_unit_test(test_report_prompt_kb),
		cmocka_unit_test(test_spec_csv_bom),
		cmocka_unit_test(test_spec_required_columns),
		cmocka_unit_test(test_spec_cells_nul_utf8_numbers),
		cmocka_unit_test(test_spec_yaml_documents_and_depth),
		cmocka_unit_test(test_store_roundtrip),
		cmocka_unit_test(test_store_case_with_run),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
