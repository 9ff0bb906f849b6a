#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/path.h"
#include "config.h"

static char tmpdir[] = "/tmp/aiwb-config-test-XXXXXX";
static char file[4096];

static int group_setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(file, sizeof file, "%s/config.json", tmpdir);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s' && rm -rf '%s'", tmpdir, tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_bytes(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void write_text(const char *path, const char *text)
{
	write_bytes(path, text, strlen(text));
}

/* Writes text to the test file and loads it. */
static int load(const char *text, struct config *c, struct err *e)
{
	write_text(file, text);
	err_clear(e);
	return config_load(c, file, e);
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

static void assert_defaults(const struct config *c)
{
	assert_null(c->theme);
	assert_null(c->default_model);
	assert_int_equal(c->nproviders, 0);
	assert_int_equal(c->nkeys, 0);
	assert_int_equal(c->log_max_kb, 1024);
	assert_string_equal(c->log_level, "info");
	assert_int_equal(c->kb_top_k, 5);
	assert_string_equal(c->kb_mode, "hybrid");
	assert_true(c->experiment_max_cost_usd == 1.0);
	assert_true(c->kb_max_cost_usd == 1.0);
}

/* The error names the file, then ":line:" and contains every fragment. */
static void assert_error_at(const struct err *e, int line, const char *frag1, const char *frag2)
{
	char where[4200];
	assert_true(e->set);
	snprintf(where, sizeof where, "%s:%d:", file, line);
	if (strncmp(e->msg, where, strlen(where)) != 0)
		fail_msg("expected the error to start with \"%s\": \"%s\"", where, e->msg);
	if (frag1)
		assert_contains(e->msg, frag1);
	if (frag2)
		assert_contains(e->msg, frag2);
}

static void assert_load_fails_at(const char *text, int line, const char *frag1, const char *frag2)
{
	struct config c;
	struct err e = ERR_INIT;
	assert_int_equal(load(text, &c, &e), -1);
	assert_error_at(&e, line, frag1, frag2);
	assert_defaults(&c);
	assert_int_equal(c.nwarnings, 0);
	config_free(&c);
}

static const struct config_provider *provider(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->nproviders; i++)
		if (strcmp(c->providers[i].name, name) == 0)
			return &c->providers[i];
	fail_msg("no provider %s", name);
	return NULL;
}

static void test_missing_file_gives_defaults(void **state)
{
	(void)state;
	struct config c;
	struct err e = ERR_INIT;
	char path[4200];
	snprintf(path, sizeof path, "%s/nope/config.json", tmpdir);
	assert_int_equal(config_load(&c, path, &e), 0);
	assert_false(e.set);
	assert_int_equal(c.found, 0);
	assert_null(c.path);
	assert_int_equal(c.nwarnings, 0);
	assert_defaults(&c);
	config_free(&c);
}

static void test_null_path_uses_aiwb_config(void **state)
{
	(void)state;
	struct config c;
	struct err e = ERR_INIT;
	write_text(file, "{ \"theme\": \"night\" }");
	setenv("AIWB_CONFIG", file, 1);
	path_reset();
	assert_int_equal(config_load(&c, NULL, &e), 0);
	assert_int_equal(c.found, 1);
	assert_string_equal(c.path, file);
	assert_string_equal(c.theme, "night");
	config_free(&c);
	unsetenv("AIWB_CONFIG");
	path_reset();
}

static const char full_config[] =
	"// aiwb config\n"
	"/* several\n"
	"   lines */\n"
	"{\n"
	"\t\"theme\": \"solarized-dark\", // trailing comment\n"
	"\t\"default_model\": \"vllm/meta-llama/Llama-3.1-8B\",\n"
	"\t\"log\": { \"level\": \"debug\", /* inline */ \"max_kb\": 2048 },\n"
	"\t\"providers\": {\n"
	"\t\t\"vllm\": { \"type\": \"openai\", \"base_url\": \"http://10.0.0.5:8000/v1\",\n"
	"\t\t\t\"api_key_env\": \"VLLM_API_KEY\", \"allow_http\": true },\n"
	"\t\t\"bedrock\": { \"type\": \"bedrock\", \"region\": \"us-east-1\", \"profile\": \"dev\" },\n"
	"\t\t\"anthropic\": {}\n"
	"\t},\n"
	"\t\"keys\": { \"quit\": \"q\", \"zoom\": \"z\", \"next\": \"C-n\" },\n"
	"\t\"kb\": { \"top_k\": 12, \"mode\": \"bm25\", \"max_cost_usd\": 0.25 },\n"
	"\t\"experiment\": { \"max_cost_usd\": 2.5 }\n"
	"}\n"
	"// the end\n";

static void test_full_valid_file(void **state)
{
	(void)state;
	struct config c;
	struct err e = ERR_INIT;
	assert_int_equal(load(full_config, &c, &e), 0);
	assert_false(e.set);
	assert_int_equal(c.found, 1);
	assert_string_equal(c.path, file);
	assert_int_equal(c.nwarnings, 0);
	assert_string_equal(c.theme, "solarized-dark");
	assert_string_equal(c.default_model, "vllm/meta-llama/Llama-3.1-8B");
	assert_string_equal(c.log_level, "debug");
	assert_int_equal(c.log_max_kb, 2048);
	assert_int_equal(c.kb_top_k, 12);
	assert_string_equal(c.kb_mode, "bm25");
	assert_true(c.experiment_max_cost_usd == 2.5);
	assert_true(c.kb_max_cost_usd == 0.25);

	assert_int_equal(c.nproviders, 3);
	assert_string_equal(c.providers[0].name, "vllm");
	assert_string_equal(c.providers[1].name, "bedrock");
	assert_string_equal(c.providers[2].name, "anthropic");
	const struct config_provider *p = provider(&c, "vllm");
	assert_string_equal(p->type, "openai");
	assert_string_equal(p->base_url, "http://10.0.0.5:8000/v1");
	assert_string_equal(p->api_key_env, "VLLM_API_KEY");
	assert_int_equal(p->allow_http, 1);
	assert_null(p->region);
	p = provider(&c, "bedrock");
	assert_string_equal(p->type, "bedrock");
	assert_string_equal(p->region, "us-east-1");
	assert_string_equal(p->profile, "dev");
	assert_null(p->base_url);
	assert_int_equal(p->allow_http, 0);
	p = provider(&c, "anthropic");
	assert_string_equal(p->type, "anthropic");

	assert_int_equal(c.nkeys, 3);
	assert_string_equal(c.keys[0].action, "quit");
	assert_string_equal(c.keys[0].key, "q");
	assert_string_equal(c.keys[1].action, "zoom");
	assert_string_equal(c.keys[1].key, "z");
	assert_string_equal(c.keys[2].action, "next");
	assert_string_equal(c.keys[2].key, "C-n");
	config_free(&c);
}

static void test_comment_markers_inside_strings(void **state)
{
	(void)state;
	struct config c;
	struct err e = ERR_INIT;
	assert_int_equal(load("{\n"
			      "  \"providers\": { \"x\": { \"type\": \"openai\",\n"
			      "    \"base_url\": \"https://h.example/a//b/*c*/\" } }, // real comment \"\n"
			      "  \"keys\": { \"a\\\"//b\": \"/*\", \"c\\\\\": \"//\" } /* \"quoted\" // in comment */\n"
			      "}\n",
			      &c, &e),
			 0);
	assert_false(e.set);
	assert_int_equal(c.nwarnings, 0);
	assert_string_equal(provider(&c, "x")->base_url, "https://h.example/a//b/*c*/");
	assert_int_equal(c.nkeys, 2);
	assert_string_equal(c.keys[0].action, "a\"//b");
	assert_string_equal(c.keys[0].key, "/*");
	assert_string_equal(c.keys[1].action, "c\\");
	assert_string_equal(c.keys[1].key, "//");
	config_free(&c);
}

static void test_builtin_provider_names_default_their_type(void **state)
{
	(void)state;
	struct config c;
	struct err e = ERR_INIT;
	assert_int_equal(load("{\"providers\": {\"openai\": {}, \"ollama\": {\"base_url\": \"http://localhost:11434\"},"
			      " \"bedrock\": {}, \"anthropic\": {\"type\": \"anthropic\"},"
			      " \"my-claude\": {\"type\": \"anthropic\"}}}",
			      &c, &e),
			 0);
	assert_int_equal(c.nproviders, 5);
	assert_string_equal(provider(&c, "openai")->type, "openai");
	assert_string_equal(provider(&c, "ollama")->type, "ollama");
	assert_string_equal(provider(&c, "bedrock")->type, "bedrock");
	assert_string_equal(provider(&c, "anthropic")->type, "anthropic");
	assert_string_equal(provider(&c, "my-claude")->type, "anthropic");
	config_free(&c);
}

static void test_price_overrides(void **state)
{
	(void)state;
	struct config c;
	struct err e = ERR_INIT;
	assert_int_equal(load("{\n \"prices\": {\n  \"vllm/llama-3-8b\": {\"input\": 0.1, \"output\": 0.2, \"context\": 8192},\n"
			      "  \"openai/gpt-4o-mini\": {\"input\": 0, \"output\": 0.6}\n }\n}\n", &c, &e), 0);
	assert_int_equal(c.nprices, 2);
	assert_string_equal(c.prices[0].model, "vllm/llama-3-8b");
	assert_true(c.prices[0].input == 0.1 && c.prices[0].output == 0.2);
	assert_int_equal(c.prices[0].context, 8192);
	assert_true(c.prices[1].input == 0 && c.prices[1].output == 0.6);
	assert_int_equal(c.prices[1].context, 0);
	config_free(&c);

	assert_load_fails_at("{\n \"prices\": {\"gpt-4o\": {\"input\": 1, \"output\": 2}}\n}\n", 2, "PROVIDER/MODEL", NULL);
	assert_load_fails_at("{\n \"prices\": {\"a/b\": {\"input\": 1}}\n}\n", 2, "prices.a/b", "output");
	assert_load_fails_at("{\n \"prices\": {\"a/b\": {\"input\": -1, \"output\": 2}}\n}\n", 2, "prices.a/b.input", NULL);
	assert_load_fails_at("{\n \"prices\": {\"a/b\": {\"input\": \"cheap\", \"output\": 2}}\n}\n", 2, "must be a number", NULL);
}

static void test_network_section(void **state)
{
	(void)state;
	struct config c;
	struct err e = ERR_INIT;
	assert_int_equal(load("{\"network\": {\"connect_timeout_s\": 5, \"idle_timeout_s\": 2, \"ca_bundle\": \"/etc/ssl/x.pem\"}}", &c, &e), 0);
	assert_int_equal(c.connect_timeout_s, 5);
	assert_int_equal(c.idle_timeout_s, 2);
	assert_string_equal(c.ca_bundle, "/etc/ssl/x.pem");
	config_free(&c);
	assert_load_fails_at("{\n \"network\": {\"idle_timeout_s\": 0}\n}\n", 2, "network.idle_timeout_s", NULL);
}

static void test_guard_section(void **state)
{
	(void)state;
	struct config c;
	struct err e = ERR_INIT;
	assert_int_equal(load("{}", &c, &e), 0);
	assert_string_equal(c.guard_action, "off");
	config_free(&c);
	assert_int_equal(load("{\"guard\": {\"action\": \"mask\", \"denied_words\": [\"Falcon\", \"x y\"],"
			      " \"patterns\": {\"employee_id\": \"EMP-\\\\d{6}\"}}}", &c, &e), 0);
	assert_string_equal(c.guard_action, "mask");
	assert_int_equal(c.nguard_denied_words, 2);
	assert_string_equal(c.guard_denied_words[1], "x y");
	assert_int_equal(c.nguard_patterns, 1);
	assert_string_equal(c.guard_patterns[0].name, "employee_id");
	assert_string_equal(c.guard_patterns[0].regex, "EMP-\\d{6}");
	config_free(&c);
	assert_load_fails_at("{\n \"guard\": {\"action\": \"shout\"}\n}\n", 2, "guard.action", NULL);
	assert_load_fails_at("{\n \"guard\": {\"denied_words\": \"x\"}\n}\n", 2, "guard.denied_words", NULL);
	assert_load_fails_at("{\n \"guard\": {\"denied_words\": [1]}\n}\n", 2, "guard.denied_words", NULL);
	assert_load_fails_at("{\n \"guard\": {\"patterns\": {\"a b\": \"x\"}}\n}\n", 2, "guard.patterns", NULL);
	assert_load_fails_at("{\n \"guard\": {\"patterns\": {\"p\": \"\"}}\n}\n", 2, "guard.patterns.p", NULL);
}

static void test_alerts(void **state)
{
	(void)state;
	struct config c;
	struct err e = ERR_INIT;
	assert_int_equal(load("{\"alerts\": {\"loss is nan\": {}, \"ended\": {\"jobs\": \"slurm:*\","
			      " \"exec\": \"notify-send \\\"$AIWB_ALERT_MESSAGE\\\"\", \"colour\": 1}}}", &c, &e), 0);
	assert_int_equal(c.nalerts, 2);
	assert_string_equal(c.alerts[0].rule, "loss is nan");
	assert_null(c.alerts[0].jobs);
	assert_null(c.alerts[0].exec);
	assert_string_equal(c.alerts[1].rule, "ended");
	assert_string_equal(c.alerts[1].jobs, "slurm:*");
	assert_string_equal(c.alerts[1].exec, "notify-send \"$AIWB_ALERT_MESSAGE\"");
	assert_int_equal(c.nwarnings, 1);
	assert_non_null(strstr(c.warnings[0], "alerts.ended.colour"));
	config_free(&c);
	assert_load_fails_at("{\n \"alerts\": [\"ended\"]\n}\n", 2, "alerts", NULL);
	assert_load_fails_at("{\n \"alerts\": {\"ended\": \"x\"}\n}\n", 2, "alerts.ended", NULL);
	assert_load_fails_at("{\n \"alerts\": {\"ended\": {\"exec\": 1}}\n}\n", 2, "alerts.ended.exec", NULL);
	assert_load_fails_at("{\n \"alerts\": {\"\": {}}\n}\n", 2, "a rule must not be empty", NULL);
}

static void test_missing_comma_reports_line_and_column(void **state)
{
	(void)state;
	/* The comma is missing on line 4, right after "info" (column 20). */
	assert_load_fails_at("{\n"
			     "  \"theme\": \"default\",\n"
			     "  \"log\": {\n"
			     "    \"level\": \"info\"   // no comma\n"
			     "    \"max_kb\": 64\n"
			     "  }\n"
			     "}\n",
			     4, ":4:20: expected ',' or '}' before '\"max_kb\": 64'", NULL);
}

static void test_syntax_errors_are_named(void **state)
{
	(void)state;
	assert_load_fails_at("{\n  \"theme\": \"x\",\n}\n", 2, ":2:15: trailing comma before '}'", NULL);
	assert_load_fails_at("{\"keys\": {\"a\": \"b\"}, \"kb\": [1, 2,]}", 1, ":1:33: trailing comma before ']'",
			     NULL);
	assert_load_fails_at("{\n  theme: \"x\"\n}", 2, ":2:3: expected a key in double quotes near 'theme: \"x\"'",
			     NULL);
	assert_load_fails_at("{\n  \"theme\" \"x\"\n}", 2, ":2:10: expected ':' after the key", NULL);
	assert_load_fails_at("{\"theme\": dark}", 1, ":1:11: expected a value (strings need double quotes) near 'dark}'",
			     NULL);
	assert_load_fails_at("{\"theme\": 'dark'}", 1, "strings need double quotes", NULL);
	assert_load_fails_at("{\"theme\": \"a\\qb\"}", 1, ":1:13: invalid escape '\\q'", NULL);
	assert_load_fails_at("{\"theme\": \"a\\ud800\"}", 1, "unpaired UTF-16 surrogate", NULL);
	assert_load_fails_at("{} {}", 1, ":1:4: unexpected text after the end", NULL);
	assert_load_fails_at("{\"kb\": {\"top_k\": -}}", 1, ":1:18: invalid number", NULL);
}

static void test_unterminated_constructs(void **state)
{
	(void)state;
	assert_load_fails_at("{\n  \"theme\": \"x\"\n  /* never\n  closed\n}\n", 3,
			     ":3:3: unterminated /* comment", NULL);
	assert_load_fails_at("{\n  \"theme\": \"abc\n}\n", 2, ":2:12: unterminated string", NULL);
	assert_load_fails_at("{\n  \"log\": {\n    \"level\": \"info\"\n", 4,
			     "unexpected end of file: the '{' at line 2:10 is never closed", NULL);
	assert_load_fails_at("{\"theme\": \"x\" /* fine */\n// fine\n", 3, "the '{' at line 1:1 is never closed", NULL);
}

static void test_top_level_must_be_an_object(void **state)
{
	(void)state;
	assert_load_fails_at("\n  [1, 2]\n", 2, ":2:3: the top level must be a JSON object", "not an array");
	assert_load_fails_at("\"theme\"", 1, "not a string", NULL);
	assert_load_fails_at("42 // answer", 1, "not a number", NULL);
}

static void test_empty_file_gives_defaults_with_warning(void **state)
{
	(void)state;
	static const char *const empties[] = {"", "  \n\t\n", "// nothing here\n/* at all */\n", "\xEF\xBB\xBF\n"};
	for (size_t i = 0; i < sizeof empties / sizeof *empties; i++) {
		struct config c;
		struct err e = ERR_INIT;
		assert_int_equal(load(empties[i], &c, &e), 0);
		assert_false(e.set);
		assert_int_equal(c.found, 1);
		assert_defaults(&c);
		assert_int_equal(c.nwarnings, 1);
		assert_contains(c.warnings[0], file);
		assert_contains(c.warnings[0], "is empty");
		config_free(&c);
	}
}

static void test_unknown_keys_warn_with_names_and_lines(void **state)
{
	(void)state;
	struct config c;
	struct err e = ERR_INIT;
	char want[4300];
	assert_int_equal(load("{\n"
			      "  \"theme\": \"default\",\n"
			      "  \"colour\": \"red\",\n"
			      "  \"log\": { \"level\": \"warn\",\n"
			      "           \"file\": \"/tmp/x\" },\n"
			      "  \"providers\": {\n"
			      "    \"vllm\": { \"type\": \"openai\", \"timeout\": 5,\n"
			      "              \"api_key\": \"sk-secret\" }\n"
			      "  },\n"
			      "  \"kb\": { \"top_k\": 3, \"extra\": { \"deep\": 1 } }\n"
			      "}\n",
			      &c, &e),
			 0);
	assert_false(e.set);
	assert_string_equal(c.log_level, "warn");
	assert_int_equal(c.kb_top_k, 3);
	assert_int_equal(c.nwarnings, 5);
	snprintf(want, sizeof want, "unknown key 'colour' in %s:3", file);
	assert_string_equal(c.warnings[0], want);
	snprintf(want, sizeof want, "unknown key 'log.file' in %s:5", file);
	assert_string_equal(c.warnings[1], want);
	snprintf(want, sizeof want, "unknown key 'providers.vllm.timeout' in %s:7", file);
	assert_string_equal(c.warnings[2], want);
	snprintf(want, sizeof want, "unknown key 'providers.vllm.api_key' in %s:8", file);
	assert_contains(c.warnings[3], want);
	assert_contains(c.warnings[3], "api_key_env");
	assert_null(strstr(c.warnings[3], "sk-secret"));
	snprintf(want, sizeof want, "unknown key 'kb.extra' in %s:10", file);
	assert_string_equal(c.warnings[4], want);
	config_free(&c);
}

static void test_duplicate_keys_warn_and_last_wins(void **state)
{
	(void)state;
	struct config c;
	struct err e = ERR_INIT;
	char want[4300];
	assert_int_equal(load("{\n"
			      "  \"theme\": \"a\",\n"
			      "  \"theme\": \"b\",\n"
			      "  \"providers\": { \"openai\": { \"base_url\": \"https://one\" },\n"
			      "                 \"openai\": { \"base_url\": \"https://two\" } },\n"
			      "  \"keys\": { \"quit\": \"q\", \"quit\": \"x\" }\n"
			      "}\n",
			      &c, &e),
			 0);
	assert_string_equal(c.theme, "b");
	assert_int_equal(c.nproviders, 1);
	assert_string_equal(c.providers[0].base_url, "https://two");
	assert_int_equal(c.nkeys, 1);
	assert_string_equal(c.keys[0].key, "x");
	assert_int_equal(c.nwarnings, 3);
	snprintf(want, sizeof want, "duplicate key 'theme' in %s:3; the last one is used", file);
	assert_string_equal(c.warnings[0], want);
	snprintf(want, sizeof want, "duplicate key 'providers.openai' in %s:5; the last one is used", file);
	assert_string_equal(c.warnings[1], want);
	snprintf(want, sizeof want, "duplicate key 'keys.quit' in %s:6; the last one is used", file);
	assert_string_equal(c.warnings[2], want);
	config_free(&c);
}

struct bad_case {
	const char *text;
	int line;
	const char *path;   /* key path named by the message */
	const char *phrase; /* what it says about it */
};

static void check_bad_cases(const struct bad_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_load_fails_at(cases[i].text, cases[i].line, cases[i].path, cases[i].phrase);
}

static void test_wrong_types_name_key_and_type(void **state)
{
	(void)state;
	static const struct bad_case cases[] = {
		{"{\n\"theme\": 3}", 2, "theme", "must be a string, not a number"},
		{"{\"default_model\": null}", 1, "default_model", "must be a string, not null"},
		{"{\n\n\"log\": []}", 3, "log", "must be an object, not an array"},
		{"{\"log\": {\n\"level\": true}}", 2, "log.level", "must be a string, not true/false"},
		{"{\"log\": {\"max_kb\": \"64\"}}", 1, "log.max_kb", "must be a number, not a string"},
		{"{\"providers\": [\"vllm\"]}", 1, "providers", "must be an object"},
		{"{\"providers\": {\n \"vllm\": \"http://x\"}}", 2, "providers.vllm", "must be an object, not a string"},
		{"{\"providers\": {\"vllm\": {\"type\": \"openai\",\n \"base_url\": 8000}}}", 2,
		 "providers.vllm.base_url", "must be a string"},
		{"{\"providers\": {\"ollama\": {\"allow_http\": \"yes\"}}}", 1, "providers.ollama.allow_http",
		 "must be true or false, not a string"},
		{"{\"providers\": {\"bedrock\": {\"region\": {}}}}", 1, "providers.bedrock.region", "must be a string"},
		{"{\"providers\": {\"bedrock\": {\"profile\": 1}}}", 1, "providers.bedrock.profile", "must be a string"},
		{"{\"keys\": {\"quit\": 113}}", 1, "keys.quit", "must be a string, not a number"},
		{"{\"keys\": \"vi\"}", 1, "keys", "must be an object, not a string"},
		{"{\"kb\": {\"top_k\": \"5\"}}", 1, "kb.top_k", "must be a number"},
		{"{\"kb\": {\"mode\": 1}}", 1, "kb.mode", "must be a string"},
	};
	check_bad_cases(cases, sizeof cases / sizeof *cases);
}

static void test_invalid_values_name_key_and_rule(void **state)
{
	(void)state;
	static const struct bad_case cases[] = {
		{"{\"theme\": \"\"}", 1, "theme", "must not be empty"},
		{"{\"theme\": \"../../etc/passwd\"}", 1, "theme", "must be a theme name"},
		{"{\"default_model\": \"gpt-4o\"}", 1, "default_model", "must be PROVIDER/MODEL"},
		{"{\"default_model\": \"/gpt-4o\"}", 1, "default_model", "must be PROVIDER/MODEL"},
		{"{\"default_model\": \"openai/\"}", 1, "default_model", "must be PROVIDER/MODEL"},
		{"{\"log\": {\"level\": \"verbose\"}}", 1, "log.level",
		 "must be one of debug, info, warn, error (got 'verbose')"},
		{"{\"log\": {\"max_kb\": 15}}", 1, "log.max_kb", "must be an integer from 16 to 1048576 (got 15)"},
		{"{\"log\": {\"max_kb\": 1048577}}", 1, "log.max_kb", "from 16 to 1048576"},
		{"{\"log\": {\"max_kb\": 64.5}}", 1, "log.max_kb", "must be an integer"},
		{"{\"log\": {\"max_kb\": 1e999}}", 1, "log.max_kb", "must be an integer"},
		{"{\"kb\": {\"top_k\": 0}}", 1, "kb.top_k", "from 1 to 1000"},
		{"{\"experiment\": {\"max_cost_usd\": -1}}", 1, "experiment.max_cost_usd",
		 "must be a number from 0 to 1000000 (got -1)"},
		{"{\"experiment\": {\"max_cost_usd\": \"5\"}}", 1, "experiment.max_cost_usd", "must be a number, not"},
		{"{\"kb\": {\"top_k\": 1001}}", 1, "kb.top_k", "from 1 to 1000"},
		{"{\"kb\": {\"mode\": \"semantic\"}}", 1, "kb.mode", "must be one of bm25, vector, hybrid"},
		{"{\"keys\": {\"quit\": \"\"}}", 1, "keys.quit", "must not be empty"},
		{"{\"keys\": {\"\": \"q\"}}", 1, "keys", "action name must not be empty"},
	};
	check_bad_cases(cases, sizeof cases / sizeof *cases);
}

static void test_provider_rules(void **state)
{
	(void)state;
	static const struct bad_case cases[] = {
		{"{\"providers\": {\n  \"vllm\": {\"base_url\": \"http://h:8000\"}}}", 2, "providers.vllm.type",
		 "custom provider needs a type (one of openai, anthropic, bedrock, ollama)"},
		{"{\"providers\": {\"vllm\": {\n\"type\": \"vllm\"}}}", 2, "providers.vllm.type",
		 "must be one of openai, anthropic, bedrock, ollama"},
		{"{\"providers\": {\"openai\": {\"type\": \"OpenAI\"}}}", 1, "providers.openai.type", "must be one of"},
		{"{\"providers\": {\"x\": {\"type\": \"openai\", \"base_url\": \"ftp://h\"}}}", 1,
		 "providers.x.base_url", "must be an http:// or https:// URL"},
		{"{\"providers\": {\"x\": {\"type\": \"openai\", \"base_url\": \"https://\"}}}", 1,
		 "providers.x.base_url", "URL with a host"},
		{"{\"providers\": {\"x\": {\"type\": \"openai\", \"base_url\": \"127.0.0.1:8000\"}}}", 1,
		 "providers.x.base_url", "http://"},
		{"{\"providers\": {\"x\": {\"type\": \"openai\",\n\n \"api_key_env\": \"sk-abc123\"}}}", 3,
		 "providers.x.api_key_env", "not the key itself"},
		{"{\"providers\": {\"a/b\": {\"type\": \"openai\"}}}", 1, "providers: 'a/b'", "not a valid provider name"},
		{"{\"providers\": {\"\": {\"type\": \"openai\"}}}", 1, "providers: ''", "not a valid provider name"},
	};
	check_bad_cases(cases, sizeof cases / sizeof *cases);

	struct config c;
	struct err e = ERR_INIT;
	assert_int_equal(load("{\"providers\": {\"x\": {\"type\": \"openai\", \"api_key_env\": \"sk-abc123\"}}}", &c, &e), -1);
	assert_null(strstr(e.msg, "sk-abc123"));
	config_free(&c);
	assert_int_equal(load("{\"providers\": {\"x\": {\"type\": \"openai\", \"base_url\": \"HTTPS://Example.com\"}}}",
			      &c, &e),
			 0);
	config_free(&c);
}

static void test_directory_is_an_error(void **state)
{
	(void)state;
	struct config c;
	struct err e = ERR_INIT;
	char dir[4200];
	snprintf(dir, sizeof dir, "%s/adir", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(config_load(&c, dir, &e), -1);
	assert_true(e.set);
	assert_contains(e.msg, dir);
	assert_contains(e.msg, "directory");
	assert_defaults(&c);
	config_free(&c);
}

static void assert_load_path_fails(const char *path, const char *reason)
{
	struct config c;
	struct err e = ERR_INIT;
	assert_int_equal(config_load(&c, path, &e), -1);
	assert_contains(e.msg, path);
	assert_contains(e.msg, reason);
	assert_defaults(&c);
	config_free(&c);
}

static void test_unreadable_file_is_an_error(void **state)
{
	(void)state;
	char path[4200];
	snprintf(path, sizeof path, "%s/plain", tmpdir);
	write_text(path, "{}");
	snprintf(path, sizeof path, "%s/plain/config.json", tmpdir);
	assert_load_path_fails(path, "Not a directory");

	snprintf(path, sizeof path, "%s/fifo.json", tmpdir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_load_path_fails(path, "not a regular file");

	snprintf(path, sizeof path, "%s/dangling.json", tmpdir);
	assert_int_equal(symlink("/nonexistent/aiwb/config.json", path), 0);
	assert_load_path_fails(path, "broken symbolic link");

	snprintf(path, sizeof path, "%s/locked.json", tmpdir);
	write_text(path, "{}");
	assert_int_equal(chmod(path, 0), 0);
	if (geteuid() != 0) /* root reads it anyway */
		assert_load_path_fails(path, "Permission denied");
	chmod(path, 0600);
}

static void test_size_cap_is_one_mib(void **state)
{
	(void)state;
	struct config c;
	struct err e = ERR_INIT;
	size_t cap = 1024 * 1024;
	char *big = malloc(cap + 2);
	assert_non_null(big);
	memset(big, ' ', cap + 1);
	memcpy(big, "{\"theme\": \"x\"}", 14);
	memcpy(big + cap - 3, "// ", 3);
	write_bytes(file, big, cap);
	assert_int_equal(config_load(&c, file, &e), 0);
	assert_string_equal(c.theme, "x");
	config_free(&c);

	write_bytes(file, big, cap + 1);
	assert_int_equal(config_load(&c, file, &e), -1);
	assert_contains(e.msg, file);
	assert_contains(e.msg, "too large");
	assert_contains(e.msg, "1 MiB");
	config_free(&c);

	err_clear(&e);
	assert_int_equal(config_parse(&c, "mem.json", big, cap + 1, &e), -1);
	assert_contains(e.msg, "mem.json is too large");
	config_free(&c);
	free(big);
}

static void test_example_file_loads_without_warnings(void **state)
{
	(void)state;
	struct config c;
	struct err e = ERR_INIT;
	const char *root = getenv("AIWB_ROOT");
	char path[4200];
	snprintf(path, sizeof path, "%s/examples/config.json", root && *root ? root : ".");
	int rc = config_load(&c, path, &e);
	if (rc)
		fail_msg("%s", e.msg);
	assert_int_equal(c.found, 1);
	for (size_t i = 0; i < c.nwarnings; i++)
		print_error("warning: %s\n", c.warnings[i]);
	assert_int_equal(c.nwarnings, 0);
	assert_string_equal(c.theme, "default");
	assert_string_equal(c.default_model, "openai/gpt-4o-mini");
	assert_string_equal(provider(&c, "vllm")->base_url, "http://127.0.0.1:8000/v1");
	assert_int_equal(provider(&c, "vllm")->allow_http, 1);
	assert_string_equal(provider(&c, "bedrock")->region, "us-east-1");
	assert_int_equal(c.nkeys, 2);
	config_free(&c);
}

static void test_binary_garbage_fails_cleanly(void **state)
{
	(void)state;
	unsigned char junk[4096];
	unsigned seed = 12345;
	for (int round = 0; round < 200; round++) {
		size_t n = 1 + (size_t)(round * 37) % sizeof junk;
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			junk[i] = (unsigned char)(seed >> 16);
		}
		if (round % 2)
			junk[0] = '{';
		struct config c;
		struct err e = ERR_INIT;
		int rc = config_parse(&c, "junk.bin", (const char *)junk, n, &e);
		if (rc == 0) {
			assert_false(e.set);
		} else {
			assert_true(e.set);
			assert_int_equal(strncmp(e.msg, "junk.bin", 8), 0);
			for (const char *p = e.msg; *p; p++)
				assert_true(*p >= 0x20 && *p < 0x7f);
			assert_defaults(&c);
		}
		config_free(&c);
	}

	struct config c;
	struct err e = ERR_INIT;
	assert_int_equal(config_parse(&c, "nul.json", "{\"theme\":\n \"a\0b\"}", 17, &e), -1);
	assert_contains(e.msg, "nul.json:2:4: the file contains a NUL byte");
	config_free(&c);
}

static void test_free_leaves_struct_reusable(void **state)
{
	(void)state;
	struct config c;
	struct err e = ERR_INIT;
	assert_int_equal(load(full_config, &c, &e), 0);
	config_free(&c);
	assert_null(c.providers);
	assert_int_equal(c.nproviders, 0);
	assert_null(c.warnings);
	config_free(&c);
	assert_int_equal(load("{\"kb\": {\"top_k\": 7}, \"x\": 1}", &c, &e), 0);
	assert_int_equal(c.kb_top_k, 7);
	assert_int_equal(c.nwarnings, 1);
	config_free(&c);
	config_free(NULL);

	/* A later error discards earlier values: the struct holds just the defaults. */
	assert_int_equal(load("{\"theme\": \"a\", \"keys\": {\"q\": \"x\"}, \"zzz\": 1, \"kb\": {\"top_k\": 0}}", &c, &e),
			 -1);
	assert_defaults(&c);
	assert_int_equal(c.nwarnings, 0);
	assert_int_equal(c.found, 0);
	config_free(&c);
}

static void test_columns_count_characters_and_crlf(void **state)
{
	(void)state;
	/* "é" is two bytes but one column; a block comment holding UTF-8 is blanked byte for byte. */
	assert_load_fails_at("{\r\n\"theme\": \"d\u00e9j\u00e0\" /* \u00e9\u00e9 */ \"x\": 1}\r\n", 2,
			     ":2:16: expected ',' or '}' before '\"x\": 1}'", NULL);
	struct config c;
	struct err e = ERR_INIT;
	assert_int_equal(load("{\r\n  \"theme\": \"x\",\r\n  \"odd\": 1\r\n}\r\n", &c, &e), 0);
	assert_int_equal(c.nwarnings, 1);
	assert_contains(c.warnings[0], ":3");
	config_free(&c);
}

static void test_messages_are_sanitized(void **state)
{
	(void)state;
	struct config c;
	struct err e = ERR_INIT;
	assert_int_equal(load("{\"\x1b]0;pwned\x07\": 1, \"caf\u00e9\": 2}", &c, &e), 0);
	assert_int_equal(c.nwarnings, 2);
	for (size_t i = 0; i < c.nwarnings; i++)
		for (const char *p = c.warnings[i]; *p; p++)
			assert_true(*p >= 0x20 && *p < 0x7f);
	assert_contains(c.warnings[0], "unknown key '?]0;pwned?'");
	assert_contains(c.warnings[1], "unknown key 'caf?'");
	config_free(&c);

	assert_int_equal(load("{\"log\": {\"level\": \"\x1b[31mred-and-a-very-long-level-name\"}}", &c, &e), -1);
	assert_contains(e.msg, "(got '?[31mred-and-a-very-...')");
	config_free(&c);

	assert_int_equal(load("{\"theme\": \"x\" \x01\x02\x7f}", &c, &e), -1);
	for (const char *p = e.msg; *p; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);
	config_free(&c);
}

static void test_parse_from_memory_and_bom(void **state)
{
	(void)state;
	struct config c;
	struct err e = ERR_INIT;
	const char text[] = "\xEF\xBB\xBF{\"theme\": \"x\", \"y\": 1}";
	assert_int_equal(config_parse(&c, "inline", text, sizeof text - 1, &e), 0);
	assert_string_equal(c.theme, "x");
	assert_string_equal(c.path, "inline");
	assert_int_equal(c.nwarnings, 1);
	assert_string_equal(c.warnings[0], "unknown key 'y' in inline:1");
	config_free(&c);

	/* Not NUL-terminated: only len bytes are read. */
	char raw[16];
	memcpy(raw, "{\"theme\":\"ab\"}XXX", 16);
	assert_int_equal(config_parse(&c, "raw", raw, 14, &e), 0);
	assert_string_equal(c.theme, "ab");
	config_free(&c);

	assert_int_equal(config_parse(&c, NULL, NULL, 0, NULL), 0);
	assert_defaults(&c);
	config_free(&c);
	assert_int_equal(config_parse(&c, "x", "[", 1, NULL), -1);
	config_free(&c);
}

static void test_warning_flood_is_capped(void **state)
{
	(void)state;
	struct config c;
	struct err e = ERR_INIT;
	char *text = malloc(20000);
	size_t n = 0;
	text[n++] = '{';
	for (int i = 0; i < 500; i++)
		n += (size_t)sprintf(text + n, "%s\"k%d\": %d", i ? ",\n" : "", i, i);
	text[n++] = '}';
	assert_int_equal(config_parse(&c, "flood", text, n, &e), 0);
	assert_int_equal(c.nwarnings, 101);
	assert_string_equal(c.warnings[99], "unknown key 'k99' in flood:100");
	assert_string_equal(c.warnings[100], "400 more warnings about flood not shown");
	config_free(&c);
	free(text);
}

static void test_deep_nesting_does_not_crash(void **state)
{
	(void)state;
	struct config c;
	struct err e = ERR_INIT;
	size_t depth = 5000;
	char *text = malloc(2 * depth + 16);
	size_t n = 0;
	n += (size_t)sprintf(text, "{\"x\": ");
	for (size_t i = 0; i < depth; i++)
		text[n++] = '[';
	for (size_t i = 0; i < depth; i++)
		text[n++] = ']';
	text[n++] = '}';
	assert_int_equal(config_parse(&c, "deep", text, n, &e), -1);
	assert_contains(e.msg, "nested too deeply");
	config_free(&c);

	n = (size_t)sprintf(text, "{\"x\": [[[[{\"a\": [1, {\"b\": \"}]\"}]}]]]], \"theme\": \"t\"}");
	assert_int_equal(config_parse(&c, "ok", text, n, &e), 0);
	assert_int_equal(c.nwarnings, 1);
	assert_string_equal(c.theme, "t");
	free(text);
	config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_file_gives_defaults),
		cmocka_unit_test(test_null_path_uses_aiwb_config),
		cmocka_unit_test(test_full_valid_file),
		cmocka_unit_test(test_comment_markers_inside_strings),
		cmocka_unit_test(test_builtin_provider_names_default_their_type),
		cmocka_unit_test(test_price_overrides),
		cmocka_unit_test(test_network_section),
		cmocka_unit_test(test_guard_section),
		cmocka_unit_test(test_alerts),
		cmocka_unit_test(test_missing_comma_reports_line_and_column),
		cmocka_unit_test(test_syntax_errors_are_named),
		cmocka_unit_test(test_unterminated_constructs),
		cmocka_unit_test(test_top_level_must_be_an_object),
		cmocka_unit_test(test_empty_file_gives_defaults_with_warning),
		cmocka_unit_test(test_unknown_keys_warn_with_names_and_lines),
		cmocka_unit_test(test_duplicate_keys_warn_and_last_wins),
		cmocka_unit_test(test_wrong_types_name_key_and_type),
		cmocka_unit_test(test_invalid_values_name_key_and_rule),
		cmocka_unit_test(test_provider_rules),
		cmocka_unit_test(test_directory_is_an_error),
		cmocka_unit_test(test_unreadable_file_is_an_error),
		cmocka_unit_test(test_size_cap_is_one_mib),
		cmocka_unit_test(test_example_file_loads_without_warnings),
		cmocka_unit_test(test_binary_garbage_fails_cleanly),
		cmocka_unit_test(test_free_leaves_struct_reusable),
		cmocka_unit_test(test_columns_count_characters_and_crlf),
		cmocka_unit_test(test_messages_are_sanitized),
		cmocka_unit_test(test_parse_from_memory_and_bom),
		cmocka_unit_test(test_warning_flood_is_capped),
		cmocka_unit_test(test_deep_nesting_does_not_crash),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
