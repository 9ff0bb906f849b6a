#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/path.h"
#include "base/xmalloc.h"
#include "config.h"
#include "llm/creds.h"

/* Every secret value in this file contains MARK, so one check covers them all. */
#define MARK "SEKRET"

static char tmpdir[] = "/tmp/aiwb-creds-test-XXXXXX";
static char *data_home, *home, *keys_dir, *aws_cred, *aws_conf;

static const char *const env_vars[] = {
	"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "AWS_BEARER_TOKEN_BEDROCK", "AWS_ACCESS_KEY_ID",
	"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE",
	"AWS_DEFAULT_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "MY_VLLM_KEY",
	"XDG_DATA_HOME",
};

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

static void assert_lacks(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle))
		fail_msg("\"%s\" must not appear in \"%s\"", needle, haystack);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static int group_setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	data_home = path_join(tmpdir, "data");
	home = path_join(tmpdir, "home");
	keys_dir = path_join(data_home, "keys");
	aws_cred = path_join(tmpdir, "aws-credentials");
	aws_conf = path_join(tmpdir, "aws-config");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	int rc = test_rmtree(tmpdir);
	free(data_home);
	free(home);
	free(keys_dir);
	free(aws_cred);
	free(aws_conf);
	path_reset();
	return rc;
}

/* Fresh dirs and a controlled environment for every test. */
static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof env_vars / sizeof *env_vars; i++)
		unsetenv(env_vars[i]);
	test_rmtree(data_home);
	test_rmtree(home);
	unlink(aws_cred);
	unlink(aws_conf);
	if (path_mkdirs(keys_dir, 0700, NULL) != 0 || path_mkdirs(home, 0700, NULL) != 0)
		return -1;
	setenv("AIWB_HOME", data_home, 1);
	setenv("HOME", home, 1);
	path_reset();
	return 0;
}

static void use_aws_files(void)
{
	setenv("AWS_SHARED_CREDENTIALS_FILE", aws_cred, 1);
	setenv("AWS_CONFIG_FILE", aws_conf, 1);
}

static struct creds_status probe(const char *name, const char *type, const struct config_provider *p)
{
	struct creds_status st;
	memset(&st, 'x', sizeof st); /* creds_probe must fill everything */
	creds_probe(name, type, p, &st);
	assert_non_null(memchr(st.source, '\0', sizeof st.source));
	assert_non_null(memchr(st.hint, '\0', sizeof st.hint));
	assert_lacks(st.source, MARK);
	assert_lacks(st.hint, MARK);
	return st;
}

static void assert_state(const struct creds_status *st, enum creds_state want)
{
	if (st->state != want)
		fail_msg("state %s, expected %s (source \"%s\", hint \"%s\")", creds_state_name(st->state),
			 creds_state_name(want), st->source, st->hint);
}

static char *key_file(const char *name)
{
	return path_join(keys_dir, name);
}

static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(creds_state_name(CREDS_NONE), "missing");
	assert_string_equal(creds_state_name(CREDS_PRESENT), "present");
	assert_string_equal(creds_state_name(CREDS_NOT_NEEDED), "not needed");
	assert_string_equal(creds_state_name(CREDS_BAD), "unusable");
	char *want = key_file("openai");
	char *got = creds_key_file("openai");
	assert_string_equal(got, want);
	free(got);
	free(want);
}

static void test_openai_from_env(void **state)
{
	(void)state;
	setenv("OPENAI_API_KEY", "sk-" MARK "-openai-123", 1);
	struct creds_status st = probe("openai", "openai", NULL);
	assert_state(&st, CREDS_PRESENT);
	assert_contains(st.source, "OPENAI_API_KEY");
	assert_contains(st.source, "env");

	/* The variable comes first, even when a bad key file exists too. */
	char *kf = key_file("openai");
	write_file(kf, "sk-" MARK "-file\n", 0644);
	st = probe("openai", "openai", NULL);
	assert_state(&st, CREDS_PRESENT);
	assert_contains(st.source, "OPENAI_API_KEY");
	free(kf);

	/* An empty variable is not a key: the (bad) key file decides. */
	setenv("OPENAI_API_KEY", "", 1);
	st = probe("openai", "openai", NULL);
	assert_state(&st, CREDS_BAD);
	assert_lacks(st.source, "OPENAI_API_KEY");
}

static void test_openai_missing(void **state)
{
	(void)state;
	struct creds_status st = probe("openai", "openai", NULL);
	assert_state(&st, CREDS_NONE);
	assert_contains(st.hint, "OPENAI_API_KEY");
	assert_contains(st.hint, "aiwb keys set openai");
}

static void test_key_file_0600_present(void **state)
{
	(void)state;
	char *kf = key_file("openai");
	write_file(kf, "sk-" MARK "-from-file\n", 0600);
	struct creds_status st = probe("openai", "openai", NULL);
	assert_state(&st, CREDS_PRESENT);
	assert_contains(st.source, kf);
	assert_string_equal(st.hint, "");
	free(kf);
}

static void test_key_file_readable_by_others_is_bad(void **state)
{
	(void)state;
	char *kf = key_file("openai");
	static const mode_t modes[] = { 0644, 0640, 0604, 0660 };
	for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
		write_file(kf, "sk-" MARK "-loose\n", modes[i]);
		struct creds_status st = probe("openai", "openai", NULL);
		assert_state(&st, CREDS_BAD);
		assert_contains(st.hint, "chmod 600");
		assert_contains(st.hint, kf);
	}
	free(kf);
}

static void test_anthropic(void **state)
{
	(void)state;
	struct creds_status st = probe("anthropic", "anthropic", NULL);
	assert_state(&st, CREDS_NONE);
	assert_contains(st.hint, "ANTHROPIC_API_KEY");
	assert_contains(st.hint, "aiwb keys set anthropic");

	char *kf = key_file("anthropic");
	write_file(kf, "sk-ant-" MARK "\n", 0600);
	st = probe("anthropic", "anthropic", NULL);
	assert_state(&st, CREDS_PRESENT);
	assert_contains(st.source, kf);

	setenv("ANTHROPIC_API_KEY", "sk-ant-" MARK "-env", 1);
	st = probe("anthropic", "anthropic", NULL);
	assert_state(&st, CREDS_PRESENT);
	assert_contains(st.source, "ANTHROPIC_API_KEY");

	/* OPENAI_API_KEY does not count for anthropic. */
	unsetenv("ANTHROPIC_API_KEY");
	unlink(kf);
	setenv("OPENAI_API_KEY", "sk-" MARK, 1);
	st = probe("anthropic", "anthropic", NULL);
	assert_state(&st, CREDS_NONE);
	free(kf);
}

static void test_ollama_not_needed(void **state)
{
	(void)state;
	struct creds_status st = probe("ollama", "ollama", NULL);
	assert_state(&st, CREDS_NOT_NEEDED);
	assert_string_equal(st.hint, "");
}

static void test_custom_provider_api_key_env(void **state)
{
	(void)state;
	static char name[] = "vllm", type[] = "openai", var[] = "MY_VLLM_KEY";
	struct config_provider p = { .name = name, .type = type, .api_key_env = var };
	setenv("OPENAI_API_KEY", "sk-" MARK "-not-this-one", 1);
	struct creds_status st = probe("vllm", "openai", &p);
	assert_state(&st, CREDS_NONE);
	assert_contains(st.hint, "MY_VLLM_KEY");
	assert_contains(st.hint, "aiwb keys set vllm");

	setenv("MY_VLLM_KEY", "vllm-" MARK, 1);
	st = probe("vllm", "openai", &p);
	assert_state(&st, CREDS_PRESENT);
	assert_contains(st.source, "MY_VLLM_KEY");

	unsetenv("MY_VLLM_KEY");
	char *kf = key_file("vllm");
	write_file(kf, "vllm-" MARK "\n", 0600);
	st = probe("vllm", "openai", &p);
	assert_state(&st, CREDS_PRESENT);
	assert_contains(st.source, kf);
	free(kf);
}

static void test_bedrock_bearer_token(void **state)
{
	(void)state;
	use_aws_files();
	setenv("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-" MARK, 1);
	struct creds_status st = probe("bedrock", "bedrock", NULL);
	assert_state(&st, CREDS_PRESENT);
	assert_contains(st.source, "AWS_BEARER_TOKEN_BEDROCK");
}

static void test_bedrock_env_keys(void **state)
{
	(void)state;
	use_aws_files();
	setenv("AWS_ACCESS_KEY_ID", "AKIA" MARK, 1);
	struct creds_status st = probe("bedrock", "bedrock", NULL);
	assert_state(&st, CREDS_NONE); /* the id alone is not enough */
	assert_contains(st.hint, "AWS_SECRET_ACCESS_KEY");

	setenv("AWS_SECRET_ACCESS_KEY", "wJalr" MARK, 1);
	st = probe("bedrock", "bedrock", NULL);
	assert_state(&st, CREDS_PRESENT);
	assert_contains(st.source, "AWS_ACCESS_KEY_ID");
	assert_lacks(st.source, "session");

	setenv("AWS_SESSION_TOKEN", "FwoG" MARK, 1);
	st = probe("bedrock", "bedrock", NULL);
	assert_state(&st, CREDS_PRESENT);
	assert_contains(st.source, "AWS_SESSION_TOKEN");
}

static const char cred_file_text[] = "[default]\n"
				     "aws_access_key_id = AKIADEF" MARK "\n"
				     "aws_secret_access_key = def" MARK "\n"
				     "[dev]\n"
				     "aws_access_key_id = AKIADEV" MARK "\n"
				     "aws_secret_access_key = dev" MARK "\n"
				     "aws_session_token = tok" MARK "\n"
				     "[half]\n"
				     "aws_access_key_id = AKIAHALF" MARK "\n";

static void test_bedrock_profile_in_credentials_file(void **state)
{
	(void)state;
	use_aws_files();
	write_file(aws_cred, cred_file_text, 0600);
	setenv("AWS_PROFILE", "dev", 1);
	struct creds_status st = probe("bedrock", "bedrock", NULL);
	assert_state(&st, CREDS_PRESENT);
	assert_contains(st.source, "profile dev");
	assert_contains(st.source, aws_cred);

	/* A profile with only the key id is not usable; one that is absent is missing. */
	setenv("AWS_PROFILE", "half", 1);
	st = probe("bedrock", "bedrock", NULL);
	assert_state(&st, CREDS_NONE);
	setenv("AWS_PROFILE", "prod", 1);
	st = probe("bedrock", "bedrock", NULL);
	assert_state(&st, CREDS_NONE);
	assert_contains(st.hint, "prod");
	assert_contains(st.hint, aws_cred);
	assert_contains(st.hint, aws_conf);
}

static void test_bedrock_default_profile_and_home(void **state)
{
	(void)state;
	/* No AWS_* file variables: ~/.aws/credentials under HOME. */
	char *aws_dir = path_join(home, ".aws");
	assert_int_equal(path_mkdirs(aws_dir, 0700, NULL), 0);
	char *cred = path_join(aws_dir, "credentials");
	write_file(cred, cred_file_text, 0600);
	struct creds_status st = probe("bedrock", "bedrock", NULL);
	assert_state(&st, CREDS_PRESENT);
	assert_contains(st.source, "profile default");
	assert_contains(st.source, cred);

	/* A profile in aiwb's config wins over AWS_PROFILE, as a profile given in
	 * code does for the AWS SDKs (the Bedrock provider resolves it so). */
	static char name[] = "bedrock", dev[] = "dev", nothere[] = "nothere";
	struct config_provider p = { .name = name, .type = name, .profile = dev };
	setenv("AWS_PROFILE", "default", 1);
	st = probe("bedrock", "bedrock", &p);
	assert_state(&st, CREDS_PRESENT);
	assert_contains(st.source, "profile dev");

	p.profile = nothere;
	st = probe("bedrock", "bedrock", &p);
	assert_state(&st, CREDS_NONE);
	assert_contains(st.hint, "nothere");
	free(cred);
	free(aws_dir);
}

static void test_bedrock_profile_in_config_file(void **state)
{
	(void)state;
	use_aws_files();
	/* The credentials file lacks dev; the config has it as [profile dev]. A bare
	 * [dev] in the config file is not a profile. */
	write_file(aws_cred, "[default]\naws_access_key_id = AKIADEF" MARK "\n", 0600);
	write_file(aws_conf,
		   "[default]\nregion = us-east-1\n"
		   "[dev]\naws_access_key_id = AKIAWRONG" MARK "\naws_secret_access_key = wrong" MARK "\n",
		   0600);
	setenv("AWS_PROFILE", "dev", 1);
	struct creds_status st = probe("bedrock", "bedrock", NULL);
	assert_state(&st, CREDS_NONE);

	write_file(aws_conf,
		   "[default]\nregion = us-east-1\n"
		   "[profile dev]\nregion = eu-west-1\n"
		   "aws_access_key_id = AKIACONF" MARK "\naws_secret_access_key = conf" MARK "\n",
		   0600);
	st = probe("bedrock", "bedrock", NULL);
	assert_state(&st, CREDS_PRESENT);
	assert_contains(st.source, "profile dev");
	assert_contains(st.source, aws_conf);
}

static void test_bedrock_credential_process(void **state)
{
	(void)state;
	use_aws_files();
	char *script = path_join(home, "get-creds");
	write_file(script, "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIA" MARK "\", "
			   "\"SecretAccessKey\": \"s" MARK "\"}'\n", 0700);
	char conf_text[4200];
	snprintf(conf_text, sizeof conf_text, "[profile dev]\ncredential_process = %s --token=" MARK " --profile dev\n",
		 script);
	write_file(aws_conf, conf_text, 0600);
	free(script);
	setenv("AWS_PROFILE", "dev", 1);
	struct creds_status st = probe("bedrock", "bedrock", NULL);
	assert_state(&st, CREDS_PRESENT);
	assert_contains(st.source, "credential_process");
	assert_contains(st.source, "dev");
	assert_contains(st.source, aws_conf);
	assert_lacks(st.source, MARK); /* the command line may carry secrets: only the program name shows */
}

static void expect_unsupported(const char *conf_text)
{
	write_file(aws_conf, conf_text, 0600);
	struct creds_status st = probe("bedrock", "bedrock", NULL);
	assert_state(&st, CREDS_BAD);
	assert_contains(st.hint, "export-credentials");
	assert_contains(st.hint, "--profile dev");
	assert_lacks(st.hint, "123456789012");
}

static void test_bedrock_sso_and_role_profiles_are_bad(void **state)
{
	(void)state;
	use_aws_files();
	setenv("AWS_PROFILE", "dev", 1);
	/* Current SSO form. */
	expect_unsupported("[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\n"
			   "sso_role_name = Admin\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
			   "sso_region = us-east-1\n");
	/* Assumed role. */
	expect_unsupported("[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = default\n");
}

static void test_bedrock_legacy_sso_profile_is_bad(void **state)
{
	(void)state;
	use_aws_files();
	setenv("AWS_PROFILE", "dev", 1);
	/* Legacy SSO: sso_start_url in the profile itself, no sso_session. */
	expect_unsupported("[profile dev]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"
			   "sso_account_id = 123456789012\nsso_role_name = Admin\n");
}

static void test_bedrock_sso_source_with_long_path(void **state)
{
	(void)state;
	/* A config path longer than 240 bytes: the source must still be just the
	 * profile and the path, not mixed with the hint. */
	char name[121], conf[1024];
	memset(name, 'd', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	snprintf(conf, sizeof conf, "%s/%s/%s", home, name, name);
	assert_int_equal(path_mkdirs(conf, 0700, NULL), 0);
	strcat(conf, "/config");
	assert_true(strlen(conf) > 256);
	write_file(conf, "[profile dev]\nsso_session = corp\n", 0600);
	setenv("AWS_SHARED_CREDENTIALS_FILE", aws_cred, 1);
	setenv("AWS_CONFIG_FILE", conf, 1);
	setenv("AWS_PROFILE", "dev", 1);
	struct creds_status st = probe("bedrock", "bedrock", NULL);
	assert_state(&st, CREDS_BAD);
	assert_contains(st.hint, "export-credentials");
	assert_lacks(st.source, "export-credentials");
	assert_contains(st.hint, "dev");
}

static void test_key_check_limits_and_control_characters(void **state)
{
	(void)state;
	struct err e = ERR_INIT;
	char *big = xmalloc(CREDS_KEY_MAX + 2);
	memset(big, 'k', CREDS_KEY_MAX + 1);
	assert_int_equal(creds_key_check(big, CREDS_KEY_MAX, &e), 0);
	assert_int_equal(creds_key_check(big, CREDS_KEY_MAX + 1, &e), -1);
	assert_contains(e.msg, "16384 bytes");
	free(big);
	static const char *const bad[] = { "sk-a\0b", "sk-\033[31m", "sk-a\tb", "sk-\x7f" };
	static const size_t lens[] = { 6, 9, 6, 4 };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct err be = ERR_INIT;
		assert_int_equal(creds_key_check(bad[i], lens[i], &be), -1);
		assert_contains(be.msg, "control character");
		assert_contains(be.msg, "nothing was stored");
	}
	struct err ee = ERR_INIT;
	assert_int_equal(creds_key_check("", 0, &ee), -1);
	assert_int_equal(creds_key_check("sk-" MARK "-\xc3\xa9", 11, &ee), 0); /* UTF-8 is printable text */
}

static void test_store_key_whole_0600_and_tightens_loose_dir(void **state)
{
	(void)state;
	assert_int_equal(chmod(keys_dir, 0777), 0);
	char *key = xmalloc(12001);
	memset(key, 'k', 12000);
	key[12000] = '\0';
	char *file, *note;
	struct err e = ERR_INIT;
	assert_int_equal(creds_store_key("openai", key, 12000, &file, &note, &e), 0);
	assert_non_null(note);
	assert_contains(note, "0700");
	struct stat st;
	assert_int_equal(stat(keys_dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 12001);
	size_t len;
	char *back = path_read_file(file, &len, NULL);
	assert_non_null(back);
	assert_memory_equal(back, key, 12000);
	free(back);
	free(note);
	free(file);
	/* again: nothing to tighten, no note */
	assert_int_equal(creds_store_key("openai", key, 12000, &file, &note, &e), 0);
	assert_null(note);
	free(file);
	free(key);
}

static void test_store_key_replaces_a_symlink_never_writes_through_it(void **state)
{
	(void)state;
	char *target = path_join(tmpdir, "target");
	write_file(target, "untouched\n", 0600);
	char *kf = key_file("openai");
	assert_int_equal(symlink(target, kf), 0);
	char *file, *note;
	struct err e = ERR_INIT;
	assert_int_equal(creds_store_key("openai", "sk-" MARK "-new", 13, &file, &note, &e), 0);
	struct stat st;
	assert_int_equal(lstat(kf, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	char *t = path_read_file(target, NULL, NULL);
	assert_string_equal(t, "untouched\n");
	free(t);
	free(file);
	free(note);
	free(kf);
	unlink(target);
	free(target);
}

static void test_key_file_symlink_and_open_dir_are_unusable(void **state)
{
	(void)state;
	char *target = path_join(tmpdir, "planted");
	write_file(target, "sk-" MARK "-planted\n", 0600);
	char *kf = key_file("openai");
	assert_int_equal(symlink(target, kf), 0);
	struct creds_status st = probe("openai", "openai", NULL);
	assert_state(&st, CREDS_BAD);
	assert_contains(st.hint, "symbolic link");
	unlink(kf);
	write_file(kf, "sk-" MARK "-real\n", 0600);
	assert_int_equal(chmod(keys_dir, 0777), 0);
	st = probe("openai", "openai", NULL);
	assert_state(&st, CREDS_BAD);
	assert_contains(st.hint, "chmod 700");
	assert_int_equal(chmod(keys_dir, 0700), 0);
	st = probe("openai", "openai", NULL);
	assert_state(&st, CREDS_PRESENT);
	unlink(target);
	free(target);
	free(kf);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_state_names),
		T(test_openai_from_env),
		T(test_openai_missing),
		T(test_key_file_0600_present),
		T(test_key_file_readable_by_others_is_bad),
		T(test_key_check_limits_and_control_characters),
		T(test_store_key_whole_0600_and_tightens_loose_dir),
		T(test_store_key_replaces_a_symlink_never_writes_through_it),
		T(test_key_file_symlink_and_open_dir_are_unusable),
		T(test_anthropic),
		T(test_ollama_not_needed),
		T(test_custom_provider_api_key_env),
		T(test_bedrock_bearer_token),
		T(test_bedrock_env_keys),
		T(test_bedrock_profile_in_credentials_file),
		T(test_bedrock_default_profile_and_home),
		T(test_bedrock_profile_in_config_file),
		T(test_bedrock_credential_process),
		T(test_bedrock_sso_and_role_profiles_are_bad),
		T(test_bedrock_legacy_sso_profile_is_bad),
		T(test_bedrock_sso_source_with_long_path),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
