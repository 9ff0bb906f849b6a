#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <errno.h>
#include <ftw.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/log.h"
#include "base/path.h"
#include "base/secret.h"
#include "base/xmalloc.h"

static char tmpdir[] = "/tmp/aiwb-log-test-XXXXXX";
static char *log_path, *rotated_path;

static const char *const secret_env[] = {
	"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_SECURITY_TOKEN", "AWS_BEARER_TOKEN_BEDROCK", "AWS_ACCESS_KEY_ID", "SLURM_JWT",
};
#define NSECRET_ENV (sizeof secret_env / sizeof *secret_env)

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

static char *slurp(const char *path)
{
	struct err e = ERR_INIT;
	char *s = path_read_file(path, NULL, &e);
	if (!s)
		fail_msg("%s", err_msg(&e));
	return s;
}

/* Reads the log, frees it, then fails if needle is in it (no leak on failure). */
static void assert_log_lacks(const char *needle)
{
	char *text = slurp(log_path);
	char *hit = strstr(text, needle);
	char line[512] = "";
	if (hit) {
		char *start = hit;
		while (start > text && start[-1] != '\n')
			start--;
		snprintf(line, sizeof line, "%.*s", (int)strcspn(start, "\n"), start);
	}
	free(text);
	if (hit)
		fail_msg("\"%s\" must not appear in the log line \"%s\"", needle, line);
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static off_t size_of(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static void open_log(size_t cap)
{
	struct err e = ERR_INIT;
	if (log_open(log_path, cap, &e) != 0)
		fail_msg("log_open: %s", err_msg(&e));
}

static int group_setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	log_path = path_join(tmpdir, "aiwb.log");
	rotated_path = path_join(tmpdir, "aiwb.log.1");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	log_close();
	int rc = test_rmtree(tmpdir);
	free(log_path);
	free(rotated_path);
	return rc;
}

/* Each test: no log open, no secrets, level info, no key variables, no files. */
static int setup(void **state)
{
	(void)state;
	log_close();
	log_set_level(LOG_INFO);
	for (size_t i = 0; i < NSECRET_ENV; i++)
		unsetenv(secret_env[i]);
	unlink(log_path);
	unlink(rotated_path);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	log_close();
	for (size_t i = 0; i < NSECRET_ENV; i++)
		unsetenv(secret_env[i]);
	return 0;
}

static void test_open_creates_file_0600(void **state)
{
	(void)state;
	mode_t old = umask(0); /* the mode must come from log_open, not the umask */
	open_log(0);
	umask(old);
	struct stat st;
	assert_int_equal(stat(log_path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 0);
}

static void test_open_fails_with_message(void **state)
{
	(void)state;
	char *bad = path_join(tmpdir, "missing-dir/aiwb.log");
	struct err e = ERR_INIT;
	assert_int_equal(log_open(bad, 0, &e), -1);
	assert_true(e.set);
	assert_contains(err_msg(&e), bad);
	log_error("dropped %d", 1); /* no file: dropped, no crash */
	assert_false(path_exists(bad));
	free(bad);
}

/* Checks "YYYY-MM-DDTHH:MM:SS.mmmZ LEVEL message" and that the time is now (UTC). */
static void assert_line(const char *line, const char *level, const char *message)
{
	regex_t re;
	assert_int_equal(regcomp(&re,
				 "^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})\\.[0-9]{3}Z "
				 "([a-zA-Z]+) +(.*)$",
				 REG_EXTENDED),
			 0);
	regmatch_t m[9];
	int rc = regexec(&re, line, 9, m, 0);
	regfree(&re);
	if (rc != 0)
		fail_msg("line does not match the format: \"%s\"", line);
	char word[16];
	snprintf(word, sizeof word, "%.*s", (int)(m[7].rm_eo - m[7].rm_so), line + m[7].rm_so);
	if (strcasecmp(word, level) != 0)
		fail_msg("level \"%s\", expected \"%s\" in \"%s\"", word, level, line);
	assert_string_equal(line + m[8].rm_so, message);

	struct tm tm = { 0 };
	assert_int_equal(sscanf(line, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
				&tm.tm_min, &tm.tm_sec),
			 6);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t when = timegm(&tm);
	time_t now = time(NULL);
	if (when < now - 5 || when > now + 5)
		fail_msg("timestamp %s is not the current UTC time", line);
}

static char **split_lines(char *text, int *n)
{
	*n = count_lines(text);
	char **lines = xcalloc((size_t)*n + 1, sizeof *lines);
	char *p = text;
	for (int i = 0; i < *n; i++) {
		char *nl = strchr(p, '\n');
		*nl = '\0';
		lines[i] = p;
		p = nl + 1;
	}
	assert_string_equal(p, ""); /* ends with a newline */
	return lines;
}

static void test_line_format(void **state)
{
	(void)state;
	open_log(0);
	log_info("hello %d", 42);
	log_warn("careful: %s", "x");
	log_error("broke");
	char *text = slurp(log_path);
	int n;
	char **lines = split_lines(text, &n);
	assert_int_equal(n, 3);
	assert_line(lines[0], "info", "hello 42");
	assert_line(lines[1], "warn", "careful: x");
	assert_line(lines[2], "error", "broke");
	free(lines);
	free(text);
}

static void test_level_filtering(void **state)
{
	(void)state;
	assert_int_equal(log_level_parse("debug"), LOG_DEBUG);
	assert_int_equal(log_level_parse("info"), LOG_INFO);
	assert_int_equal(log_level_parse("warn"), LOG_WARN);
	assert_int_equal(log_level_parse("error"), LOG_ERROR);
	assert_int_equal(log_level_parse("verbose"), -1);
	assert_int_equal(log_level_parse(""), -1);
	assert_int_equal(log_level_parse(NULL), -1);

	open_log(0);
	log_debug("d1"); /* default level is info */
	log_info("i1");
	log_set_level(LOG_WARN);
	log_debug("d2");
	log_info("i2");
	log_warn("w2");
	log_error("e2");
	log_set_level(LOG_ERROR);
	log_warn("w3");
	log_error("e3");
	log_set_level(LOG_DEBUG);
	log_debug("d4");
	char *text = slurp(log_path);
	int n;
	char **lines = split_lines(text, &n);
	assert_int_equal(n, 5);
	const char *want[] = { "i1", "w2", "e2", "e3", "d4" };
	const char *lvl[] = { "info", "warn", "error", "error", "debug" };
	for (int i = 0; i < 5; i++)
		assert_line(lines[i], lvl[i], want[i]);
	free(lines);
	free(text);
}

static void test_rotation(void **state)
{
	(void)state;
	const size_t cap = 1024;
	open_log(cap);
	int total = 200;
	size_t longest = 0;
	for (int i = 0; i < total; i++) {
		log_info("message number %04d with some padding to make it longer", i);
		/* Never more than one line past the cap. */
		off_t sz = size_of(log_path);
		if ((size_t)sz > longest)
			longest = (size_t)sz;
	}
	assert_true(path_exists(rotated_path));
	char *cur = slurp(log_path);
	char *old = slurp(rotated_path);
	size_t line_len = strlen(cur) / (size_t)count_lines(cur);
	assert_true(strlen(cur) <= cap + line_len);
	assert_true(strlen(old) <= cap + line_len);
	assert_true(longest <= cap + line_len);
	assert_true(strlen(old) >= cap - line_len); /* rotated when full, not early */
	/* Rotation never splits lines, and the newest line is in the current file. */
	assert_int_equal(cur[strlen(cur) - 1], '\n');
	assert_int_equal(old[strlen(old) - 1], '\n');
	assert_contains(cur, "message number 0199 ");
	/* The two files hold consecutive messages: the last of .1 precedes the first of the current. */
	int first_cur = -1, last_old = -1;
	const char *p = strstr(cur, "number ");
	assert_non_null(p);
	sscanf(p, "number %d", &first_cur);
	p = old;
	const char *q;
	while ((q = strstr(p, "number ")))
		p = q + 1;
	sscanf(p - 1, "number %d", &last_old);
	assert_int_equal(last_old + 1, first_cur);
	struct stat st;
	assert_int_equal(stat(log_path, &st), 0);
	assert_int_equal(st.st_mode & 077, 0); /* the new file is private too */
	free(cur);
	free(old);
}

static void test_rotation_of_existing_big_file(void **state)
{
	(void)state;
	FILE *f = fopen(log_path, "w");
	assert_non_null(f);
	for (int i = 0; i < 100; i++)
		fputs("old line from a previous run .......................\n", f);
	fclose(f);
	open_log(1024);
	log_info("first of this run");
	assert_true(path_exists(rotated_path));
	char *cur = slurp(log_path);
	assert_int_equal(count_lines(cur), 1);
	assert_contains(cur, "first of this run");
	free(cur);
	char *old = slurp(rotated_path);
	assert_int_equal(count_lines(old), 100);
	free(old);
}

static void test_registered_secrets_redacted(void **state)
{
	(void)state;
	open_log(0);
	secret_add("sk-test-s3cr3t-value");
	secret_add("AKIAEXAMPLEKEY");
	secret_add("abc"); /* shorter than 4: ignored */
	log_info("key sk-test-s3cr3t-value and again sk-test-s3cr3t-value.");
	log_info("embedded xxsk-test-s3cr3t-valueyy and AKIAEXAMPLEKEYAKIAEXAMPLEKEY");
	log_info("id=%s", "AKIAEXAMPLEKEY");
	log_info("abc stays");
	char *text = slurp(log_path);
	assert_lacks(text, "s3cr3t");
	assert_lacks(text, "AKIAEXAMPLE");
	assert_contains(text, "key [redacted] and again [redacted].\n");
	assert_contains(text, "embedded xx[redacted]yy and [redacted][redacted]\n");
	assert_contains(text, "id=[redacted]\n");
	assert_contains(text, "abc stays\n");
	assert_int_equal(count_lines(text), 4);
	free(text);
}

static void test_secret_containing_another_secret(void **state)
{
	(void)state;
	open_log(0);
	secret_add("tok-1234");
	secret_add("tok-1234-TAIL-SECRET");
	log_info("value tok-1234-TAIL-SECRET end");
	assert_log_lacks("TAIL-SECRET");
	assert_log_lacks("tok-1234");
}

static void test_env_keys_redacted_automatically(void **state)
{
	(void)state;
	char values[NSECRET_ENV][40];
	for (size_t i = 0; i < NSECRET_ENV; i++) {
		snprintf(values[i], sizeof values[i], "envsecret-%zu-Zq9", i);
		setenv(secret_env[i], values[i], 1);
	}
	open_log(0);
	for (size_t i = 0; i < NSECRET_ENV; i++)
		log_info("%s is %s", secret_env[i], values[i]);
	char *text = slurp(log_path);
	assert_lacks(text, "envsecret");
	for (size_t i = 0; i < NSECRET_ENV; i++) {
		char want[80];
		snprintf(want, sizeof want, "%s is [redacted]\n", secret_env[i]);
		assert_contains(text, want);
	}
	free(text);
}

static void test_secret_registered_before_open(void **state)
{
	(void)state;
	/* "every value registered with secret_add()": including one registered
	 * before log_open, and across a reopen (e.g. after a config reload). */
	secret_add("early-secret-0001");
	open_log(0);
	secret_add("later-secret-0002");
	log_info("a early-secret-0001 b later-secret-0002");
	open_log(0);
	log_info("c early-secret-0001 d later-secret-0002");
	assert_log_lacks("early-secret-0001");
	assert_log_lacks("later-secret-0002");
}

static void test_many_secrets_all_redacted(void **state)
{
	(void)state;
	open_log(0);
	enum { N = 40 };
	char s[N][32];
	for (int i = 0; i < N; i++) {
		snprintf(s[i], sizeof s[i], "manysecret-%02d-x", i);
		secret_add(s[i]);
	}
	for (int i = 0; i < N; i++)
		log_info("v=%s", s[i]);
	for (int i = 0; i < N; i++)
		assert_log_lacks(s[i]);
}

static void test_newlines_flattened(void **state)
{
	(void)state;
	open_log(0);
	log_info("first\nsecond\r\nthird\n");
	log_warn("%s", "multi\nline\narg");
	log_error("\n");
	char *text = slurp(log_path);
	int n;
	char **lines = split_lines(text, &n);
	assert_int_equal(n, 3);
	assert_contains(lines[0], "first second  third");
	assert_contains(lines[1], "multi line arg");
	assert_line(lines[1], "warn", "multi line arg");
	assert_lacks(lines[0], "\r");
	free(lines);
	free(text);
}

static void test_dropped_before_open_and_after_close(void **state)
{
	(void)state;
	log_info("before open %d", 1);
	log_error("before open %s", "x");
	assert_false(path_exists(log_path));
	open_log(0);
	log_info("while open");
	log_close();
	log_info("after close");
	log_close(); /* twice is fine */
	char *text = slurp(log_path);
	assert_int_equal(count_lines(text), 1);
	assert_contains(text, "while open");
	assert_lacks(text, "before open");
	assert_lacks(text, "after close");
	free(text);
}

static void test_errno_preserved(void **state)
{
	(void)state;
	/* aiwb.log.1 is a non-empty directory, so rotation's rename fails inside
	 * log_msg: the caller's errno must survive, and no message is lost. */
	char *blocker = path_join(rotated_path, "keep");
	assert_int_equal(path_mkdirs(rotated_path, 0700, NULL), 0);
	FILE *f = fopen(blocker, "w");
	assert_non_null(f);
	fclose(f);
	open_log(64);
	int saved_ok = 1;
	for (int i = 0; i < 5; i++) {
		errno = ENOENT;
		log_info("line %d is long enough to pass the cap", i);
		saved_ok &= errno == ENOENT;
	}
	char *text = slurp(log_path);
	int lines = count_lines(text);
	free(text);
	unlink(blocker);
	rmdir(rotated_path);
	free(blocker);
	assert_true(saved_ok);
	assert_int_equal(lines, 5);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_creates_file_0600),
		T(test_open_fails_with_message),
		T(test_line_format),
		T(test_level_filtering),
		T(test_rotation),
		T(test_rotation_of_existing_big_file),
		T(test_registered_secrets_redacted),
		T(test_secret_containing_another_secret),
		T(test_env_keys_redacted_automatically),
		T(test_secret_registered_before_open),
		T(test_many_secrets_all_redacted),
		T(test_newlines_flattened),
		T(test_dropped_before_open_and_after_close),
		T(test_errno_preserved),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
