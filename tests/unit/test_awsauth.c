#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "net/awsauth.h"

/* Every secret in this file contains MARK: no source or error may show it. */
#define MARK "CANARY7f3e"

static char tmpdir[] = "/tmp/aiwb-awsauth-test-XXXXXX";
static char *home, *cred_file, *conf_file, *counter;

static const char *const env_vars[] = {
	"HOME", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"AWS_CREDENTIAL_EXPIRATION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SHARED_CREDENTIALS_FILE",
	"AWS_CONFIG_FILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_BEARER_TOKEN_BEDROCK", "AWS_ENDPOINT_URL",
	"AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ENDPOINT_URL_BEDROCK", "AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME",
	"AWS_ENDPOINT_URL_SAGEMAKER", "AWS_ENDPOINT_URL_CLOUDWATCH", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
	"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
};
#define NVARS (sizeof env_vars / sizeof *env_vars)
static char *saved_env[NVARS];

static void assert_contains(const char *haystack, const char *needle)
{
	if (!haystack || !strstr(haystack, needle))
		fail_msg("expected \"%s\" in \"%s\"", needle, haystack ? haystack : "(null)");
}

static void assert_clean(const char *s)
{
	if (s && strstr(s, MARK))
		fail_msg("a secret leaked into \"%s\"", s);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static char *tmp_path(const char *name)
{
	return path_join(tmpdir, name);
}

static int count_runs(void)
{
	FILE *f = fopen(counter, "r");
	if (!f)
		return 0;
	int n = 0;
	for (int c; (c = fgetc(f)) != EOF;)
		n += c == '\n';
	fclose(f);
	return n;
}

static int group_setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < NVARS; i++)
		saved_env[i] = getenv(env_vars[i]) ? xstrdup(getenv(env_vars[i])) : NULL;
	if (!mkdtemp(tmpdir))
		return -1;
	home = tmp_path("home");
	cred_file = tmp_path("credentials");
	conf_file = tmp_path("config");
	counter = tmp_path("runs");
	return mkdir(home, 0700);
}

static int group_teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < NVARS; i++) {
		if (saved_env[i])
			setenv(env_vars[i], saved_env[i], 1);
		else
			unsetenv(env_vars[i]);
		free(saved_env[i]);
	}
	path_reset();
	int rc = test_rmtree(tmpdir);
	free(home);
	free(cred_file);
	free(conf_file);
	free(counter);
	return rc;
}

/* Each test starts from no AWS variables, HOME in the temp dir and both files
 * named explicitly (empty unless the test writes them). */
static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < NVARS; i++)
		unsetenv(env_vars[i]);
	setenv("HOME", home, 1);
	path_reset();
	setenv("AWS_SHARED_CREDENTIALS_FILE", cred_file, 1);
	setenv("AWS_CONFIG_FILE", conf_file, 1);
	unlink(cred_file);
	unlink(conf_file);
	unlink(counter);
	return 0;
}

static const char *creds_error(struct awsauth *a, const char *service)
{
	static struct err e;
	err_clear(&e);
	struct awsauth_creds c;
	int rc = awsauth_credentials(a, service, &c, &e);
	if (rc == 0)
		fail_msg("expected an error, got credentials from %s", c.source);
	assert_null(c.source);
	assert_null(c.secret_access_key);
	assert_clean(err_msg(&e));
	return err_msg(&e);
}

static void get_creds(struct awsauth *a, const char *service, struct awsauth_creds *c)
{
	struct err e = ERR_INIT;
	if (awsauth_credentials(a, service, c, &e) != 0)
		fail_msg("%s", err_msg(&e));
	assert_clean(c->source);
}

/* ---- credentials ---- */

static void test_env_wins_over_files(void **state)
{
	(void)state;
	write_file(cred_file, "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = file" MARK "\n", 0600);
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env" MARK, 1);
	struct awsauth *a = awsauth_new(NULL);
	struct awsauth_creds c;
	get_creds(a, "bedrock-runtime", &c);
	assert_int_equal(c.kind, AWSAUTH_SIGV4);
	assert_string_equal(c.access_key_id, "AKIDENV");
	assert_string_equal(c.secret_access_key, "env" MARK);
	assert_null(c.session_token);
	assert_string_equal(c.source, "env AWS_ACCESS_KEY_ID");
	struct sigv4_creds sc = awsauth_sigv4_creds(&c);
	assert_ptr_equal(sc.secret_access_key, c.secret_access_key);
	awsauth_creds_free(&c);
	assert_null(c.secret_access_key);

	setenv("AWS_SECURITY_TOKEN", "legacy" MARK, 1);
	get_creds(a, NULL, &c);
	assert_string_equal(c.session_token, "legacy" MARK);
	assert_string_equal(c.source, "env AWS_ACCESS_KEY_ID with AWS_SECURITY_TOKEN");
	awsauth_creds_free(&c);
	setenv("AWS_SESSION_TOKEN", "session" MARK, 1);
	get_creds(a, NULL, &c);
	assert_string_equal(c.session_token, "session" MARK);
	assert_string_equal(c.source, "env AWS_ACCESS_KEY_ID with AWS_SESSION_TOKEN");
	awsauth_creds_free(&c);

	/* AWS_PROFILE does not beat keys in the environment. */
	setenv("AWS_PROFILE", "default", 1);
	get_creds(a, NULL, &c);
	assert_string_equal(c.access_key_id, "AKIDENV");
	awsauth_creds_free(&c);

	unsetenv("AWS_SECRET_ACCESS_KEY");
	assert_contains(creds_error(a, NULL), "AWS_SECRET_ACCESS_KEY is not");
	/* An empty variable counts as unset. */
	setenv("AWS_ACCESS_KEY_ID", "", 1);
	get_creds(a, NULL, &c);
	assert_string_equal(c.access_key_id, "AKIDFILE");
	awsauth_creds_free(&c);
	awsauth_free(a);
}

static void test_profile_in_credentials_file(void **state)
{
	(void)state;
	write_file(cred_file,
		   "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = d" MARK "\n"
		   "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = dev" MARK "\n"
		   "aws_session_token = tok" MARK "\n",
		   0600);
	struct awsauth *a = awsauth_new(NULL);
	struct awsauth_creds c;
	get_creds(a, NULL, &c);
	assert_string_equal(c.access_key_id, "AKIDDEFAULT");
	char *want = xasprintf("profile default in %s", cred_file);
	assert_string_equal(c.source, want);
	free(want);
	awsauth_creds_free(&c);

	setenv("AWS_PROFILE", "dev", 1);
	get_creds(a, NULL, &c);
	assert_string_equal(c.access_key_id, "AKIDDEV");
	assert_string_equal(c.secret_access_key, "dev" MARK);
	assert_string_equal(c.session_token, "tok" MARK);
	want = xasprintf("profile dev in %s", cred_file);
	assert_string_equal(c.source, want);
	free(want);
	awsauth_creds_free(&c);
	const char *src;
	assert_string_equal(awsauth_profile(a, &src), "dev");
	assert_string_equal(src, "env AWS_PROFILE");

	setenv("AWS_PROFILE", "nope", 1);
	const char *msg = creds_error(a, NULL);
	assert_contains(msg, "AWS profile nope (from env AWS_PROFILE) is not in");
	assert_contains(msg, cred_file);
	awsauth_free(a);
}

static void test_default_files_under_home(void **state)
{
	(void)state;
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	unsetenv("AWS_CONFIG_FILE");
	char *aws = path_join(home, ".aws");
	mkdir(aws, 0700);
	char *cred = path_join(aws, "credentials");
	char *conf = path_join(aws, "config");
	write_file(cred, "[default]\naws_access_key_id = AKIDHOME\naws_secret_access_key = h" MARK "\n", 0600);
	write_file(conf, "[default]\nregion = eu-west-3\n", 0600);
	struct awsauth *a = awsauth_new(NULL);
	struct awsauth_creds c;
	get_creds(a, NULL, &c);
	assert_string_equal(c.access_key_id, "AKIDHOME");
	char *want = xasprintf("profile default in %s", cred);
	assert_string_equal(c.source, want);
	free(want);
	awsauth_creds_free(&c);
	struct awsauth_region r;
	struct err e = ERR_INIT;
	assert_int_equal(awsauth_region(a, &r, &e), 0);
	assert_string_equal(r.name, "eu-west-3");
	awsauth_region_free(&r);
	awsauth_free(a);
	unlink(cred);
	unlink(conf);
	rmdir(aws);
	free(cred);
	free(conf);
	free(aws);
}

static void test_config_profile_static_keys(void **state)
{
	(void)state;
	write_file(cred_file, "[other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = o" MARK "\n", 0600);
	write_file(conf_file,
		   "[profile cfg]\nregion = us-west-2\naws_access_key_id = AKIDCFG\naws_secret_access_key = c" MARK "\n"
		   "[cfg]\naws_access_key_id = AKIDWRONG\naws_secret_access_key = w" MARK "\n"
		   "[profile   \"spaced name\"]\naws_access_key_id = AKIDSPACED\naws_secret_access_key = s" MARK "\n"
		   "[profile half]\naws_access_key_id = AKIDHALF\n",
		   0600);
	setenv("AWS_PROFILE", "cfg", 1);
	struct awsauth *a = awsauth_new(NULL);
	struct awsauth_creds c;
	get_creds(a, NULL, &c);
	assert_string_equal(c.access_key_id, "AKIDCFG");
	char *want = xasprintf("profile cfg in %s", conf_file);
	assert_string_equal(c.source, want);
	free(want);
	awsauth_creds_free(&c);

	setenv("AWS_PROFILE", "spaced name", 1);
	get_creds(a, NULL, &c);
	assert_string_equal(c.access_key_id, "AKIDSPACED");
	awsauth_creds_free(&c);

	setenv("AWS_PROFILE", "half", 1);
	assert_contains(creds_error(a, NULL), "has aws_access_key_id but no aws_secret_access_key");
	awsauth_free(a);
}

static void test_config_default_section(void **state)
{
	(void)state;
	write_file(conf_file,
		   "[profile x]\nregion = ap-south-1\n"
		   "[default]\nregion = eu-north-1\naws_access_key_id = AKIDCONFDEFAULT\n"
		   "aws_secret_access_key = cd" MARK "\n",
		   0600);
	struct awsauth *a = awsauth_new(NULL);
	struct awsauth_creds c;
	get_creds(a, NULL, &c);
	assert_string_equal(c.access_key_id, "AKIDCONFDEFAULT");
	char *want = xasprintf("profile default in %s", conf_file);
	assert_string_equal(c.source, want);
	free(want);
	awsauth_creds_free(&c);

	/* "[profile default]" names the default profile too. */
	write_file(conf_file, "[profile default]\naws_access_key_id = AKIDPD\naws_secret_access_key = pd" MARK "\n",
		   0600);
	get_creds(a, NULL, &c);
	assert_string_equal(c.access_key_id, "AKIDPD");
	awsauth_creds_free(&c);

	/* No files at all: one sentence naming both files. */
	unlink(conf_file);
	const char *msg = creds_error(a, NULL);
	assert_contains(msg, "no AWS credentials");
	assert_contains(msg, "AWS_ACCESS_KEY_ID");
	assert_contains(msg, conf_file);
	awsauth_free(a);
}

static void test_profile_passed_in(void **state)
{
	(void)state;
	write_file(cred_file,
		   "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = dev" MARK "\n"
		   "[prod]\naws_access_key_id = AKIDPROD\naws_secret_access_key = prod" MARK "\n",
		   0600);
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env" MARK, 1);
	setenv("AWS_PROFILE", "prod", 1);
	struct awsauth_opts o = { .profile = "dev" };
	struct awsauth *a = awsauth_new(&o);
	struct awsauth_creds c;
	/* A profile given in config beats AWS_PROFILE and the key variables (botocore). */
	get_creds(a, NULL, &c);
	assert_string_equal(c.access_key_id, "AKIDDEV");
	awsauth_creds_free(&c);
	const char *src;
	assert_string_equal(awsauth_profile(a, &src), "dev");
	assert_string_equal(src, "aiwb config");
	awsauth_free(a);

	o.profile = "missing";
	a = awsauth_new(&o);
	assert_contains(creds_error(a, NULL), "AWS profile missing (from aiwb config) is not in");
	awsauth_free(a);
}

static void test_bearer_token(void **state)
{
	(void)state;
	setenv("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-" MARK, 1);
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env" MARK, 1);
	struct awsauth *a = awsauth_new(NULL);
	struct awsauth_creds c;
	get_creds(a, "bedrock-runtime", &c);
	assert_int_equal(c.kind, AWSAUTH_BEARER);
	assert_string_equal(c.bearer_token, "bedrock-api-key-" MARK);
	assert_null(c.secret_access_key);
	assert_string_equal(c.source, "env AWS_BEARER_TOKEN_BEDROCK (Bedrock API key)");
	awsauth_creds_free(&c);
	get_creds(a, "bedrock", &c);
	assert_int_equal(c.kind, AWSAUTH_BEARER);
	awsauth_creds_free(&c);
	/* SigV4-only services and callers that want SigV4 get the keys. */
	get_creds(a, "bedrock-agent-runtime", &c);
	assert_int_equal(c.kind, AWSAUTH_SIGV4);
	awsauth_creds_free(&c);
	get_creds(a, "sagemaker", &c);
	assert_int_equal(c.kind, AWSAUTH_SIGV4);
	awsauth_creds_free(&c);
	get_creds(a, NULL, &c);
	assert_int_equal(c.kind, AWSAUTH_SIGV4);
	awsauth_creds_free(&c);
	assert_contains(creds_error(a, "ec2"), "unknown AWS service");
	awsauth_free(a);
}

/* ---- credential_process ---- */

static char *write_script(const char *name, const char *body)
{
	char *p = tmp_path(name);
	char *text = xasprintf("#!/bin/sh\n%s\n", body);
	write_file(p, text, 0700);
	free(text);
	return p;
}

static char *process_profile(const char *script_body, const char *extra_args)
{
	char *script = write_script("proc helper.sh", script_body);
	char *conf = xasprintf("[profile proc]\nregion = us-east-2\ncredential_process = '%s'%s\n", script,
			       extra_args ? extra_args : "");
	write_file(conf_file, conf, 0600);
	free(conf);
	setenv("AWS_PROFILE", "proc", 1);
	return script;
}

#define GOOD_JSON "{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": \"proc" MARK "\", " \
		  "\"SessionToken\": \"ptok" MARK "\", \"Expiration\": \"2999-01-01T00:00:00Z\"}"

static void test_process_success(void **state)
{
	(void)state;
	char *args = tmp_path("args");
	char *body = xasprintf("echo run >> '%s'\nfor a in \"$@\"; do echo \"[$a]\"; done > '%s'\n"
			       "echo 'some progress' >&2\nprintf '%%s' '" GOOD_JSON "'",
			       counter, args);
	char *script = process_profile(body, " \"two words\" 'sin\"gle' back\\ slash \"q\\\"uote\" ''");
	struct awsauth *a = awsauth_new(NULL);
	struct awsauth_creds c;
	get_creds(a, NULL, &c);
	assert_int_equal(c.kind, AWSAUTH_SIGV4);
	assert_string_equal(c.access_key_id, "AKIDPROC");
	assert_string_equal(c.secret_access_key, "proc" MARK);
	assert_string_equal(c.session_token, "ptok" MARK);
	assert_int_equal((long long)c.expiration, 32472144000LL);
	assert_contains(c.source, "credential_process of AWS profile proc in ");
	assert_contains(c.source, conf_file);
	assert_contains(c.source, "(proc helper.sh)");
	awsauth_creds_free(&c);
	char *got = path_read_file(args, NULL, NULL);
	assert_non_null(got);
	assert_string_equal(got, "[two words]\n[sin\"gle]\n[back slash]\n[q\"uote]\n[]\n");
	free(got);
	assert_int_equal(count_runs(), 1);
	awsauth_free(a);
	free(script);
	free(body);
	free(args);
}

static void test_process_failure(void **state)
{
	(void)state;
	char *script = process_profile("printf '%s' '" GOOD_JSON "'\necho 'token expired, log in again' >&2\nexit 3",
				       NULL);
	struct awsauth *a = awsauth_new(NULL);
	const char *msg = creds_error(a, NULL);
	assert_contains(msg, "credential_process of AWS profile proc");
	assert_contains(msg, "exited with status 3: token expired, log in again");
	free(script);

	script = process_profile("printf '\\n  \\033[31mred\\033[0m\\tfailure\\033]0;title\\007\\nsecond line' >&2\nexit 2", NULL);
	msg = creds_error(a, NULL);
	assert_contains(msg, "exited with status 2: red failure");
	assert_null(strchr(msg, '\033'));
	assert_null(strstr(msg, "second line"));
	free(script);

	script = process_profile("kill -9 $$", NULL);
	assert_contains(creds_error(a, NULL), "was killed by signal 9");
	free(script);

	write_file(conf_file, "[profile proc]\ncredential_process = /nonexistent/helper --secret " MARK "\n", 0600);
	msg = creds_error(a, NULL);
	assert_contains(msg, "(helper) could not be started");

	write_file(conf_file, "[profile proc]\ncredential_process = helper 'unclosed\n", 0600);
	assert_contains(creds_error(a, NULL), "unclosed quote");
	awsauth_free(a);
}

static void test_process_bad_json(void **state)
{
	(void)state;
	struct {
		const char *output;
		const char *error;
	} cases[] = {
		{ "{\"Version\": 1, \"AccessKeyId\": \"AKID\", \"SecretAccessKey\": \"x" MARK, "did not print a JSON object" },
		{ "not json " MARK, "did not print a JSON object" },
		{ "", "did not print a JSON object" },
		{ "{\"AccessKeyId\": \"AKID\", \"SecretAccessKey\": \"x" MARK "\"}", "without \"Version\": 1" },
		{ "{\"Version\": 2, \"AccessKeyId\": \"AKID\", \"SecretAccessKey\": \"x" MARK "\"}",
		  "printed Version 2; only Version 1 is supported" },
		{ "{\"Version\": 1, \"AccessKeyId\": \"AKID\"}", "without SecretAccessKey" },
		{ "{\"Version\": 1, \"SecretAccessKey\": \"x" MARK "\"}", "without AccessKeyId" },
		{ "{\"Version\": 1, \"AccessKeyId\": \"AKID\", \"SecretAccessKey\": \"x" MARK "\", \"Expiration\": \"soon\"}",
		  "Expiration that is not an ISO 8601 time" },
		{ "{\"Version\": 1, \"AccessKeyId\": \"AKID\", \"SecretAccessKey\": \"x" MARK "\", "
		  "\"Expiration\": \"2001-01-01T00:00:00Z\"}",
		  "already expired" },
	};
	struct awsauth *a = awsauth_new(NULL);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *out = tmp_path("out.json");
		write_file(out, cases[i].output, 0600);
		char *body = xasprintf("cat '%s'", out);
		char *script = process_profile(body, NULL);
		const char *msg = creds_error(a, NULL);
		assert_contains(msg, cases[i].error);
		free(script);
		free(body);
		free(out);
	}
	awsauth_free(a);
}

static void test_process_cache(void **state)
{
	(void)state;
	char *body = xasprintf("echo run >> '%s'\nprintf '%%s' '" GOOD_JSON "'", counter);
	char *script = process_profile(body, NULL);
	struct awsauth *a = awsauth_new(NULL);
	struct awsauth_creds c;
	for (int i = 0; i < 3; i++) {
		get_creds(a, NULL, &c);
		assert_string_equal(c.secret_access_key, "proc" MARK);
		awsauth_creds_free(&c);
	}
	assert_int_equal(count_runs(), 1);
	/* Another resolver has its own cache. */
	struct awsauth *b = awsauth_new(NULL);
	get_creds(b, NULL, &c);
	awsauth_creds_free(&c);
	assert_int_equal(count_runs(), 2);
	awsauth_free(b);
	awsauth_free(a);
	free(script);
	free(body);

	/* Within 5 minutes of Expiration: fetched again every time. */
	unlink(counter);
	body = xasprintf("echo run >> '%s'\n"
			 "exp=$(date -u -d @$(( $(date +%%s) + 120 )) +%%Y-%%m-%%dT%%H:%%M:%%SZ)\n"
			 "printf '{\"Version\":1,\"AccessKeyId\":\"AKIDSOON\",\"SecretAccessKey\":\"s" MARK
			 "\",\"Expiration\":\"%%s\"}' \"$exp\"",
			 counter);
	script = process_profile(body, NULL);
	a = awsauth_new(NULL);
	get_creds(a, NULL, &c);
	assert_string_equal(c.access_key_id, "AKIDSOON");
	assert_true(c.expiration > time(NULL) + 60);
	awsauth_creds_free(&c);
	get_creds(a, NULL, &c);
	awsauth_creds_free(&c);
	assert_int_equal(count_runs(), 2);
	awsauth_free(a);
	free(script);
	free(body);

	/* No Expiration: static for the life of the resolver. */
	unlink(counter);
	body = xasprintf("echo run >> '%s'\n"
			 "printf '%%s' '{\"Version\":1,\"AccessKeyId\":\"AKIDSTATIC\",\"SecretAccessKey\":\"s" MARK "\"}'",
			 counter);
	script = process_profile(body, NULL);
	a = awsauth_new(NULL);
	get_creds(a, NULL, &c);
	assert_int_equal(c.expiration, 0);
	assert_null(c.session_token);
	awsauth_creds_free(&c);
	get_creds(a, NULL, &c);
	awsauth_creds_free(&c);
	assert_int_equal(count_runs(), 1);
	awsauth_free(a);
	free(script);
	free(body);
}

static void test_process_timeout(void **state)
{
	(void)state;
	char *script = process_profile("sleep 20", NULL);
	struct awsauth_opts o = { .process_timeout_ms = 300 };
	struct awsauth *a = awsauth_new(&o);
	int64_t t0 = clock_ms();
	assert_contains(creds_error(a, NULL), "did not finish within 1 s and was stopped");
	assert_true(clock_ms() - t0 < 5000);
	free(script);
	/* Output closed but still running counts as running. */
	script = process_profile("exec >/dev/null 2>&1\nsleep 20", NULL);
	t0 = clock_ms();
	assert_contains(creds_error(a, NULL), "did not finish");
	assert_true(clock_ms() - t0 < 5000);
	awsauth_free(a);
	free(script);
}

static void test_chain_order(void **state)
{
	(void)state;
	char *body = xasprintf("echo run >> '%s'\nprintf '%%s' '" GOOD_JSON "'", counter);
	char *script = write_script("order.sh", body);
	char *conf = xasprintf("[profile both]\ncredential_process = %s\naws_access_key_id = AKIDCONF\n"
			       "aws_secret_access_key = c" MARK "\n",
			       script);
	write_file(conf_file, conf, 0600);
	setenv("AWS_PROFILE", "both", 1);
	struct awsauth *a = awsauth_new(NULL);
	struct awsauth_creds c;
	/* credential_process comes before the config file's keys (botocore). */
	get_creds(a, NULL, &c);
	assert_string_equal(c.access_key_id, "AKIDPROC");
	awsauth_creds_free(&c);
	/* The credentials file comes before both. */
	write_file(cred_file, "[both]\naws_access_key_id = AKIDCRED\naws_secret_access_key = cr" MARK "\n", 0600);
	get_creds(a, NULL, &c);
	assert_string_equal(c.access_key_id, "AKIDCRED");
	awsauth_creds_free(&c);
	assert_int_equal(count_runs(), 1);
	/* credential_process may also live in the credentials file. */
	char *cred = xasprintf("[both]\ncredential_process = %s\n", script);
	write_file(cred_file, cred, 0600);
	write_file(conf_file, "[profile both]\nregion = us-east-1\n", 0600);
	get_creds(a, NULL, &c);
	assert_string_equal(c.access_key_id, "AKIDPROC");
	assert_contains(c.source, cred_file);
	awsauth_creds_free(&c);
	awsauth_free(a);
	free(cred);
	free(conf);
	free(script);
	free(body);
}

static void test_unsupported_profiles(void **state)
{
	(void)state;
	write_file(conf_file,
		   "[profile sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Dev\n"
		   "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
		   "[profile legacy-sso]\nsso_start_url = https://corp.awsapps.com/start\n"
		   "[profile role]\nrole_arn = arn:aws:iam::111122223333:role/Dev\nsource_profile = default\n"
		   "[profile web]\nrole_arn = arn:aws:iam::1:role/W\nweb_identity_token_file = /tmp/t\n",
		   0600);
	write_file(cred_file, "[role]\naws_access_key_id = AKIDROLE\naws_secret_access_key = r" MARK "\n", 0600);
	struct awsauth *a = awsauth_new(NULL);
	setenv("AWS_PROFILE", "sso", 1);
	const char *msg = creds_error(a, NULL);
	assert_contains(msg, "AWS profile sso in");
	assert_contains(msg, "SSO");
	assert_contains(msg, "does not support");
	assert_contains(msg, "aws configure export-credentials --profile sso --format env");
	setenv("AWS_PROFILE", "legacy-sso", 1);
	assert_contains(creds_error(a, NULL), "(sso_start_url)");
	/* A role profile is refused even with keys beside it: botocore would assume the role. */
	setenv("AWS_PROFILE", "role", 1);
	msg = creds_error(a, NULL);
	assert_contains(msg, "an assumed role (role_arn)");
	assert_contains(msg, "--profile role --format process");
	setenv("AWS_PROFILE", "web", 1);
	assert_contains(creds_error(a, NULL), "web identity");
	unsetenv("AWS_PROFILE");
	write_file(cred_file, "", 0600);
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token", 1);
	setenv("AWS_ROLE_ARN", "arn:aws:iam::1:role/X", 1);
	assert_contains(creds_error(a, NULL), "AWS_WEB_IDENTITY_TOKEN_FILE");
	awsauth_free(a);
}

/* ---- region ---- */

static void expect_region(struct awsauth *a, const char *name, const char *source)
{
	struct awsauth_region r;
	struct err e = ERR_INIT;
	if (awsauth_region(a, &r, &e) != 0)
		fail_msg("%s", err_msg(&e));
	assert_string_equal(r.name, name);
	assert_string_equal(r.source, source);
	awsauth_region_free(&r);
}

static void test_region_precedence(void **state)
{
	(void)state;
	write_file(conf_file, "[default]\nregion = eu-west-1\n[profile dev]\nregion = ap-northeast-1\n", 0600);
	struct awsauth *a = awsauth_new(NULL);
	char *src = xasprintf("profile default in %s", conf_file);
	expect_region(a, "eu-west-1", src);
	free(src);
	setenv("AWS_PROFILE", "dev", 1);
	src = xasprintf("profile dev in %s", conf_file);
	expect_region(a, "ap-northeast-1", src);
	free(src);
	setenv("AWS_DEFAULT_REGION", "us-west-1", 1);
	expect_region(a, "us-west-1", "env AWS_DEFAULT_REGION");
	setenv("AWS_REGION", "us-east-2", 1);
	expect_region(a, "us-east-2", "env AWS_REGION");
	awsauth_free(a);
	struct awsauth_opts o = { .region = "ca-central-1" };
	a = awsauth_new(&o);
	expect_region(a, "ca-central-1", "aiwb config");
	awsauth_free(a);

	a = awsauth_new(NULL);
	setenv("AWS_REGION", "us east 1", 1);
	struct awsauth_region r;
	struct err e = ERR_INIT;
	assert_int_equal(awsauth_region(a, &r, &e), -1);
	assert_contains(err_msg(&e), "\"us east 1\" from env AWS_REGION is not a region name");
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	unsetenv("AWS_PROFILE");
	write_file(conf_file, "[default]\noutput = json\n", 0600);
	unsetenv("AWS_CONFIG_FILE");
	assert_int_equal(awsauth_region(a, &r, &e), -1);
	assert_string_equal(err_msg(&e), "no AWS region: set AWS_REGION or region in ~/.aws/config");
	assert_null(r.name);
	awsauth_free(a);
}

/* ---- endpoints ---- */

static void expect_endpoint(struct awsauth *a, const char *service, const char *url, const char *source)
{
	struct awsauth_endpoint ep;
	struct err e = ERR_INIT;
	if (awsauth_endpoint(a, service, "us-east-1", &ep, &e) != 0)
		fail_msg("%s: %s", service, err_msg(&e));
	if (strcmp(ep.url, url) != 0 || strncmp(ep.source, source, strlen(source)) != 0)
		fail_msg("%s: expected %s from %s, got %s from %s", service, url, source, ep.url, ep.source);
	assert_string_equal(ep.region, "us-east-1");
	assert_string_equal(ep.signing_name, awsauth_signing_name(service));
	assert_int_equal(ep.overridden, strcmp(source, "default") != 0);
	awsauth_endpoint_free(&ep);
}

static void test_default_endpoints(void **state)
{
	(void)state;
	struct awsauth *a = awsauth_new(NULL);
	expect_endpoint(a, "bedrock-runtime", "https://bedrock-runtime.us-east-1.amazonaws.com", "default");
	expect_endpoint(a, "bedrock", "https://bedrock.us-east-1.amazonaws.com", "default");
	expect_endpoint(a, "bedrock-agent-runtime", "https://bedrock-agent-runtime.us-east-1.amazonaws.com", "default");
	expect_endpoint(a, "sagemaker", "https://api.sagemaker.us-east-1.amazonaws.com", "default");
	expect_endpoint(a, "monitoring", "https://monitoring.us-east-1.amazonaws.com", "default");
	expect_endpoint(a, "cloudwatch", "https://monitoring.us-east-1.amazonaws.com", "default");
	expect_endpoint(a, "logs", "https://logs.us-east-1.amazonaws.com", "default");
	assert_string_equal(awsauth_signing_name("bedrock-runtime"), "bedrock");
	assert_string_equal(awsauth_signing_name("bedrock-agent-runtime"), "bedrock");
	assert_string_equal(awsauth_signing_name("cloudwatch"), "monitoring");
	assert_string_equal(awsauth_signing_name("logs"), "logs");
	assert_string_equal(awsauth_signing_name("sagemaker"), "sagemaker");
	assert_string_equal(awsauth_signing_name("s3"), "s3");
	expect_endpoint(a, "s3", "https://s3.us-east-1.amazonaws.com", "default");
	assert_null(awsauth_signing_name("dynamodb"));

	struct awsauth_endpoint ep;
	struct err e = ERR_INIT;
	assert_int_equal(awsauth_endpoint(a, "bedrock-runtime", "cn-north-1", &ep, &e), 0);
	assert_string_equal(ep.url, "https://bedrock-runtime.cn-north-1.amazonaws.com.cn");
	awsauth_endpoint_free(&ep);
	/* Region NULL: resolved, or the region error. */
	setenv("AWS_REGION", "eu-central-1", 1);
	assert_int_equal(awsauth_endpoint(a, "bedrock-runtime", NULL, &ep, &e), 0);
	assert_string_equal(ep.url, "https://bedrock-runtime.eu-central-1.amazonaws.com");
	assert_string_equal(ep.host, "bedrock-runtime.eu-central-1.amazonaws.com");
	assert_string_equal(ep.scheme, "https");
	assert_int_equal(ep.port, 0);
	assert_string_equal(ep.base_path, "");
	assert_string_equal(ep.region, "eu-central-1");
	awsauth_endpoint_free(&ep);
	unsetenv("AWS_REGION");
	assert_int_equal(awsauth_endpoint(a, "bedrock-runtime", NULL, &ep, &e), -1);
	assert_contains(err_msg(&e), "no AWS region");
	assert_int_equal(awsauth_endpoint(a, "ec2", "us-east-1", &ep, &e), -1);
	assert_contains(err_msg(&e), "unknown AWS service");
	awsauth_free(a);
}

static void test_endpoint_overrides(void **state)
{
	(void)state;
	write_file(conf_file,
		   "[default]\nendpoint_url = https://global.example.com\nservices = local\n"
		   "[services local]\n"
		   "bedrock_runtime =\n  endpoint_url = http://127.0.0.1:4566\n"
		   "cloudwatch_logs =\n  endpoint_url = http://logs.local:9000/base/\n"
		   "bedrock_agent_runtime =\n  region = us-west-2\n",
		   0600);
	struct awsauth *a = awsauth_new(NULL);
	char *svc_src = xasprintf("services local in %s (profile default)", conf_file);
	char *prof_src = xasprintf("profile default in %s", conf_file);
	expect_endpoint(a, "bedrock-runtime", "http://127.0.0.1:4566", svc_src);
	expect_endpoint(a, "logs", "http://logs.local:9000/base", svc_src);
	/* No endpoint_url for this service in the services section: the profile's global one. */
	expect_endpoint(a, "bedrock-agent-runtime", "https://global.example.com", prof_src);
	expect_endpoint(a, "sagemaker", "https://global.example.com", prof_src);

	setenv("AWS_ENDPOINT_URL", "https://env-global.example.com", 1);
	expect_endpoint(a, "bedrock-runtime", "https://env-global.example.com", "env AWS_ENDPOINT_URL");
	expect_endpoint(a, "sagemaker", "https://env-global.example.com", "env AWS_ENDPOINT_URL");
	static const char *const specific[][2] = {
		{ "bedrock-runtime", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME" },
		{ "bedrock", "AWS_ENDPOINT_URL_BEDROCK" },
		{ "bedrock-agent-runtime", "AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME" },
		{ "sagemaker", "AWS_ENDPOINT_URL_SAGEMAKER" },
		{ "monitoring", "AWS_ENDPOINT_URL_CLOUDWATCH" },
		{ "logs", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS" },
	};
	for (size_t i = 0; i < sizeof specific / sizeof *specific; i++) {
		setenv(specific[i][1], "http://localhost:8080", 1);
		char *src = xasprintf("env %s", specific[i][1]);
		expect_endpoint(a, specific[i][0], "http://localhost:8080", src);
		free(src);
		unsetenv(specific[i][1]);
	}

	setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "HTTP://[::1]:4566/Prefix//", 1);
	struct awsauth_endpoint ep;
	struct err e = ERR_INIT;
	assert_int_equal(awsauth_endpoint(a, "bedrock-runtime", "us-west-2", &ep, &e), 0);
	assert_string_equal(ep.url, "http://[::1]:4566/Prefix");
	assert_string_equal(ep.scheme, "http");
	assert_string_equal(ep.host, "[::1]");
	assert_int_equal(ep.port, 4566);
	assert_string_equal(ep.base_path, "/Prefix");
	/* Signing name and region do not follow the URL. */
	assert_string_equal(ep.signing_name, "bedrock");
	assert_string_equal(ep.region, "us-west-2");
	assert_true(ep.overridden);
	awsauth_endpoint_free(&ep);

	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE", 1);
	expect_endpoint(a, "bedrock-runtime", "https://bedrock-runtime.us-east-1.amazonaws.com", "default");
	expect_endpoint(a, "sagemaker", "https://api.sagemaker.us-east-1.amazonaws.com", "default");
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false", 1);
	expect_endpoint(a, "sagemaker", "https://env-global.example.com", "env AWS_ENDPOINT_URL");
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	unsetenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME");
	unsetenv("AWS_ENDPOINT_URL");

	/* The profile's own ignore switch. */
	write_file(conf_file,
		   "[profile dev]\nendpoint_url = http://localhost:1\nignore_configured_endpoint_urls = true\n", 0600);
	setenv("AWS_PROFILE", "dev", 1);
	expect_endpoint(a, "bedrock", "https://bedrock.us-east-1.amazonaws.com", "default");
	setenv("AWS_ENDPOINT_URL", "http://localhost:2", 1);
	expect_endpoint(a, "bedrock", "https://bedrock.us-east-1.amazonaws.com", "default");
	unsetenv("AWS_ENDPOINT_URL");

	static const char *const bad[][2] = {
		{ "ftp://x", "not an http:// or https:// URL" },
		{ "localhost:4566", "not an http:// or https:// URL" },
		{ "https://user:" MARK "@host", "user name or password" },
		{ "http://host:99999", "port out of range" },
		{ "http://host:x1", "malformed port" },
		{ "http://", "no host" },
		{ "http://ho st", "malformed host" },
		{ "http://host/?a=1", "query or fragment" },
	};
	unsetenv("AWS_PROFILE");
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		setenv("AWS_ENDPOINT_URL", bad[i][0], 1);
		assert_int_equal(awsauth_endpoint(a, "bedrock-runtime", "us-east-1", &ep, &e), -1);
		assert_contains(err_msg(&e), bad[i][1]);
		assert_contains(err_msg(&e), "env AWS_ENDPOINT_URL");
		assert_clean(err_msg(&e));
		assert_null(ep.url);
	}
	awsauth_free(a);
	free(svc_src);
	free(prof_src);
}

/* ---- the canary: secrets with MARK everywhere, every message checked ---- */

static void test_canary(void **state)
{
	(void)state;
	char *body = xstrdup("echo 'AKIDLEAK:" MARK "'\nexit 1");
	char *script = write_script("leak.sh", body);
	char *conf = xasprintf("[profile p1]\ncredential_process = %s\n"
			       "[profile p2]\naws_access_key_id = AKID2\n"
			       "[profile p3]\nsso_session = s\naws_secret_access_key = s3" MARK "\n"
			       "[profile p4]\naws_access_key_id = AKID4\naws_secret_access_key = s4" MARK "\n"
			       "aws_session_token = t4" MARK "\nregion = us-east-1\n",
			       script);
	write_file(conf_file, conf, 0600);
	write_file(cred_file, "[p5]\naws_secret_access_key = s5" MARK "\n", 0600);
	const char *profiles[] = { "p1", "p2", "p3", "p4", "p5", "p6" };
	struct awsauth *a = awsauth_new(NULL);
	for (size_t i = 0; i < sizeof profiles / sizeof *profiles; i++) {
		setenv("AWS_PROFILE", profiles[i], 1);
		struct awsauth_creds c;
		struct err e = ERR_INIT;
		if (awsauth_credentials(a, NULL, &c, &e) == 0) {
			assert_clean(c.source);
			awsauth_creds_free(&c);
		}
		assert_clean(err_msg(&e));
		struct awsauth_region r;
		if (awsauth_region(a, &r, &e) == 0) {
			assert_clean(r.source);
			awsauth_region_free(&r);
		}
		assert_clean(err_msg(&e));
		struct awsauth_endpoint ep;
		if (awsauth_endpoint(a, "bedrock-runtime", "us-east-1", &ep, &e) == 0) {
			assert_clean(ep.source);
			assert_clean(ep.url);
			awsauth_endpoint_free(&ep);
		}
		assert_clean(err_msg(&e));
	}
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env" MARK, 1);
	setenv("AWS_SESSION_TOKEN", "tok" MARK, 1);
	setenv("AWS_BEARER_TOKEN_BEDROCK", "key" MARK, 1);
	struct awsauth_creds c;
	get_creds(a, "bedrock-runtime", &c);
	awsauth_creds_free(&c);
	get_creds(a, "logs", &c);
	/* The signed request carries the token where it must, and never the secret key. */
	struct sigv4_creds sc = awsauth_sigv4_creds(&c);
	struct sigv4_request req = { .method = "POST", .path = "/", .region = "us-east-1", .service = "logs",
				     .host = "logs.us-east-1.amazonaws.com" };
	struct sigv4_signed s;
	struct err e = ERR_INIT;
	assert_int_equal(sigv4_sign_request(&req, time(NULL), &sc, NULL, &s, &e), 0);
	for (size_t i = 0; i < s.nlines; i++)
		assert_null(strstr(s.lines[i], "env" MARK));
	sigv4_signed_free(&s);
	awsauth_creds_free(&c);
	awsauth_free(a);
	free(conf);
	free(script);
	free(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_env_wins_over_files, setup),
		cmocka_unit_test_setup(test_profile_in_credentials_file, setup),
		cmocka_unit_test_setup(test_default_files_under_home, setup),
		cmocka_unit_test_setup(test_config_profile_static_keys, setup),
		cmocka_unit_test_setup(test_config_default_section, setup),
		cmocka_unit_test_setup(test_profile_passed_in, setup),
		cmocka_unit_test_setup(test_bearer_token, setup),
		cmocka_unit_test_setup(test_process_success, setup),
		cmocka_unit_test_setup(test_process_failure, setup),
		cmocka_unit_test_setup(test_process_bad_json, setup),
		cmocka_unit_test_setup(test_process_cache, setup),
		cmocka_unit_test_setup(test_process_timeout, setup),
		cmocka_unit_test_setup(test_chain_order, setup),
		cmocka_unit_test_setup(test_unsupported_profiles, setup),
		cmocka_unit_test_setup(test_region_precedence, setup),
		cmocka_unit_test_setup(test_default_endpoints, setup),
		cmocka_unit_test_setup(test_endpoint_overrides, setup),
		cmocka_unit_test_setup(test_canary, setup),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
