#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/path.h"
#include "net/ini.h"

static char tmpdir[] = "/tmp/aiwb-ini-test-XXXXXX";

static int group_setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	return test_rmtree(tmpdir);
}

static void assert_get(const struct ini *ini, const char *section, const char *key, const char *want)
{
	const char *got = ini_get(ini, section, key);
	if (!want) {
		if (got)
			fail_msg("[%s] %s: expected absent, got \"%s\"", section, key, got);
		return;
	}
	if (!got)
		fail_msg("[%s] %s: expected \"%s\", got nothing", section, key, want);
	assert_string_equal(got, want);
}

static void test_sections_and_keys(void **state)
{
	(void)state;
	struct ini ini;
	assert_int_equal(ini_parse(&ini, "top = level\n"
					  "[default]\n"
					  "region = us-east-1\n"
					  "output = json\n"
					  "[dev]\n"
					  "region = eu-west-1\n"),
			 0);
	assert_get(&ini, "", "top", "level");
	assert_get(&ini, "default", "region", "us-east-1");
	assert_get(&ini, "default", "output", "json");
	assert_get(&ini, "dev", "region", "eu-west-1");
	assert_get(&ini, "dev", "output", NULL);
	assert_get(&ini, "default", "top", NULL);
	assert_get(&ini, "nope", "region", NULL);
	assert_true(ini_has_section(&ini, "default"));
	assert_true(ini_has_section(&ini, "dev"));
	assert_false(ini_has_section(&ini, "prod"));
	assert_false(ini_has_section(&ini, "Dev"));
	assert_int_equal(ini.n, 4);
	ini_free(&ini);
	assert_int_equal(ini.n, 0);
	assert_null(ini.entries);
}

static void test_comments_and_blank_lines(void **state)
{
	(void)state;
	struct ini ini;
	ini_parse(&ini, "# a comment = not a key\n"
			"; another = not a key\n"
			"\n"
			"[default]\n"
			"   # indented comment = no\n"
			"\t; tab comment = no\n"
			"region = us-west-2\n"
			"\n"
			"   \n"
			"not a key line\n"
			"# [fake]\n"
			"output = text\n");
	assert_get(&ini, "", "# a comment", NULL);
	assert_get(&ini, "", "a comment", NULL);
	assert_get(&ini, "default", "# indented comment", NULL);
	assert_get(&ini, "default", "region", "us-west-2");
	assert_get(&ini, "default", "output", "text");
	assert_false(ini_has_section(&ini, "fake"));
	assert_false(ini_has_section(&ini, ""));
	assert_int_equal(ini.n, 2);
	ini_free(&ini);
}

static void test_whitespace_trimmed(void **state)
{
	(void)state;
	struct ini ini;
	ini_parse(&ini, "[  spaced  ]  \r\n"
			"  key1   =   value one  \t\r\n"
			"key2=v2\r\n"
			"key3 =\tv3\t\r\n"
			"   [ dev ]\n"
			"\tkey = x\n");
	assert_get(&ini, "spaced", "key1", "value one");
	assert_get(&ini, "spaced", "key2", "v2");
	assert_get(&ini, "spaced", "key3", "v3");
	assert_get(&ini, "dev", "key", "x");
	ini_free(&ini);
}

static void test_last_value_wins(void **state)
{
	(void)state;
	struct ini ini;
	ini_parse(&ini, "[default]\n"
			"region = a\n"
			"region = b\n"
			"[dev]\n"
			"region = dev1\n"
			"[default]\n"
			"region = c\n"
			"output = json\n");
	assert_get(&ini, "default", "region", "c");
	assert_get(&ini, "default", "output", "json");
	assert_get(&ini, "dev", "region", "dev1");
	ini_free(&ini);
}

static void test_nested_services(void **state)
{
	(void)state;
	struct ini ini;
	/* PROTOCOLS.md §9, plus a second service and keys after the block. */
	ini_parse(&ini, "[profile dev]\n"
			"services = local\n"
			"[services local]\n"
			"bedrock_runtime =\n"
			"  endpoint_url = http://127.0.0.1:4566\n"
			"  \n"
			"\tregion = us-west-2\n"
			"sagemaker =\n"
			"    endpoint_url = http://localhost:9000\n"
			"plain = value\n"
			"  indented_after_value = x\n");
	assert_get(&ini, "profile dev", "services", "local");
	assert_get(&ini, "services local", "bedrock_runtime.endpoint_url", "http://127.0.0.1:4566");
	assert_get(&ini, "services local", "bedrock_runtime.region", "us-west-2");
	assert_get(&ini, "services local", "sagemaker.endpoint_url", "http://localhost:9000");
	assert_get(&ini, "services local", "endpoint_url", NULL);
	assert_get(&ini, "services local", "sagemaker.region", NULL);
	assert_get(&ini, "services local", "plain", "value");
	/* A key with a value does not open a block. */
	assert_get(&ini, "services local", "indented_after_value", "x");
	assert_get(&ini, "services local", "plain.indented_after_value", NULL);
	ini_free(&ini);
}

static void test_nesting_ends_at_section(void **state)
{
	(void)state;
	struct ini ini;
	ini_parse(&ini, "[services a]\n"
			"bedrock_runtime =\n"
			"[services b]\n"
			"  endpoint_url = http://b\n");
	assert_get(&ini, "services b", "endpoint_url", "http://b");
	assert_get(&ini, "services b", "bedrock_runtime.endpoint_url", NULL);
	assert_get(&ini, "services a", "bedrock_runtime.endpoint_url", NULL);
	assert_get(&ini, "services a", "bedrock_runtime", "");
	ini_free(&ini);
}

static void test_profile_names_verbatim(void **state)
{
	(void)state;
	struct ini ini;
	ini_parse(&ini, "[profile dev]\n"
			"region = eu-central-1\n"
			"[sso-session corp]\n"
			"sso_region = us-east-1\n"
			"[profile Prod-Admin]\n"
			"Region = X\n");
	assert_true(ini_has_section(&ini, "profile dev"));
	assert_false(ini_has_section(&ini, "dev"));
	assert_get(&ini, "profile dev", "region", "eu-central-1");
	assert_get(&ini, "dev", "region", NULL);
	assert_get(&ini, "sso-session corp", "sso_region", "us-east-1");
	assert_get(&ini, "profile Prod-Admin", "Region", "X");
	assert_get(&ini, "profile Prod-Admin", "region", NULL); /* keys are case-sensitive */
	assert_get(&ini, "profile prod-admin", "Region", NULL);
	ini_free(&ini);
}

static void test_values_containing_equals(void **state)
{
	(void)state;
	struct ini ini;
	ini_parse(&ini, "[dev]\n"
			"credential_process = /usr/bin/helper --arg=1 --b==2\n"
			"aws_session_token = IQoJb3JpZ2luX2VjEA==\n"
			"empty =\n"
			"eq = =\n");
	assert_get(&ini, "dev", "credential_process", "/usr/bin/helper --arg=1 --b==2");
	assert_get(&ini, "dev", "aws_session_token", "IQoJb3JpZ2luX2VjEA==");
	assert_get(&ini, "dev", "empty", "");
	assert_get(&ini, "dev", "eq", "=");
	ini_free(&ini);
}

static void test_empty_section_exists(void **state)
{
	(void)state;
	struct ini ini;
	ini_parse(&ini, "[default]\n"
			"[profile empty]\n"
			"# nothing here\n"
			"[dev]\n"
			"a = b\n");
	int dev = ini_has_section(&ini, "dev");
	int empty = ini_has_section(&ini, "profile empty");
	int def = ini_has_section(&ini, "default");
	ini_free(&ini);
	assert_true(dev);
	assert_true(empty);
	assert_true(def);
}

static void test_empty_text_and_no_trailing_newline(void **state)
{
	(void)state;
	struct ini ini;
	assert_int_equal(ini_parse(&ini, ""), 0);
	assert_int_equal(ini.n, 0);
	assert_null(ini_get(&ini, "", "x"));
	ini_free(&ini);
	ini_parse(&ini, "[s]\nlast = line");
	assert_get(&ini, "s", "last", "line");
	ini_free(&ini);
}

static void test_load_missing_and_present(void **state)
{
	(void)state;
	char *missing = path_join(tmpdir, "no-such-config");
	struct ini ini;
	struct err e = ERR_INIT;
	int found = -1;
	assert_int_equal(ini_load(&ini, missing, &found, &e), 0);
	assert_int_equal(found, 0);
	assert_int_equal(ini.n, 0);
	assert_false(e.set);
	ini_free(&ini);
	assert_int_equal(ini_load(&ini, missing, NULL, NULL), 0);
	ini_free(&ini);

	char *file = path_join(tmpdir, "credentials");
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fputs("[dev]\naws_access_key_id = AKIDEXAMPLE\n", f);
	fclose(f);
	found = -1;
	assert_int_equal(ini_load(&ini, file, &found, &e), 0);
	assert_int_equal(found, 1);
	assert_get(&ini, "dev", "aws_access_key_id", "AKIDEXAMPLE");
	ini_free(&ini);
	free(file);
	free(missing);
}

static void test_load_directory_is_an_error(void **state)
{
	(void)state;
	struct ini ini;
	struct err e = ERR_INIT;
	int found = -1;
	/* errno left over from some earlier call must not turn this into "missing". */
	errno = ENOENT;
	int rc = ini_load(&ini, tmpdir, &found, &e);
	ini_free(&ini);
	assert_int_equal(rc, -1);
	assert_true(e.set);
	if (!strstr(err_msg(&e), tmpdir))
		fail_msg("message should name %s: \"%s\"", tmpdir, err_msg(&e));
	assert_int_equal(found, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sections_and_keys),
		cmocka_unit_test(test_comments_and_blank_lines),
		cmocka_unit_test(test_whitespace_trimmed),
		cmocka_unit_test(test_last_value_wins),
		cmocka_unit_test(test_nested_services),
		cmocka_unit_test(test_nesting_ends_at_section),
		cmocka_unit_test(test_profile_names_verbatim),
		cmocka_unit_test(test_values_containing_equals),
		cmocka_unit_test(test_empty_section_exists),
		cmocka_unit_test(test_empty_text_and_no_trailing_newline),
		cmocka_unit_test(test_load_missing_and_present),
		cmocka_unit_test(test_load_directory_is_an_error),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
