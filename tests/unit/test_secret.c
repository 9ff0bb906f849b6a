#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/secret.h"
#include "base/xmalloc.h"

static int setup(void **state)
{
	(void)state;
	secret_reset();
	static const char *const vars[] = { SECRET_ENV_VARS, SECRET_URL_VARS, "MY_TOKEN" };
	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
		unsetenv(vars[i]);
	return 0;
}

static char *redacted(const char *s)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, s);
	secret_redact_buf(&b);
	return buf_detach(&b);
}

static void assert_redacts(const char *in, const char *want)
{
	char *got = redacted(in);
	assert_string_equal(got, want);
	free(got);
}

static void test_registry_ignores_short_null_and_repeated(void **state)
{
	(void)state;
	secret_add(NULL);
	secret_add("");
	secret_add("abc");
	assert_int_equal(secret_count(), 0);
	secret_add("abcd");
	secret_add("abcd");
	assert_int_equal(secret_count(), 1);
	assert_redacts("x abc abcd abcde", "x abc [redacted] [redacted]e");
}

static void test_longest_first_and_every_occurrence(void **state)
{
	(void)state;
	secret_add("tok-1234");
	secret_add("tok-1234-TAIL-SECRET");
	assert_redacts("a tok-1234-TAIL-SECRET b tok-1234 c tok-1234tok-1234",
		       "a [redacted] b [redacted] c [redacted][redacted]");
	char s[16] = "xxtok-1234yy";
	secret_redact(s, sizeof s);
	assert_string_equal(s, "xx[redacted]yy");
	char small[9] = "tok-1234";
	secret_redact(small, 6); /* cut to fit, never the secret */
	assert_string_equal(small, "[reda");
	assert_null(secret_redacted_copy("nothing here"));
	char *c = secret_redacted_copy("id tok-1234");
	assert_string_equal(c, "id [redacted]");
	free(c);
}

static void test_known_env_registered(void **state)
{
	(void)state;
	setenv("SLURM_JWT", "jwt-canary-0001", 1);
	setenv("AWS_SESSION_TOKEN", "session-canary-0002", 1);
	setenv("OPENAI_BASE_URL", "http://u:pw-canary-0003@127.0.0.1:1/v1", 1);
	secret_add_known_env();
	assert_redacts("jwt-canary-0001 session-canary-0002 pw-canary-0003", "[redacted] [redacted] [redacted]");
	setenv("MY_TOKEN", "custom-canary-0004", 1);
	secret_add_env("MY_TOKEN");
	assert_redacts("custom-canary-0004", "[redacted]");
}

static void test_url_userinfo_all_forms(void **state)
{
	(void)state;
	secret_add_url("https://api.example.com/v1");
	secret_add_url("not a url");
	secret_add_url(NULL);
	assert_int_equal(secret_count(), 0);
	secret_add_url("http://alice:p%40ss-word@127.0.0.1:8000/v1?x=a@b");
	/* as written, decoded, the password alone and curl's Basic credentials */
	assert_redacts("alice:p%40ss-word", "[redacted]");
	assert_redacts("alice:p@ss-word", "[redacted]");
	assert_redacts("pw p%40ss-word p@ss-word", "pw [redacted] [redacted]");
	assert_redacts("Basic YWxpY2U6cEBzcy13b3Jk", "Basic [redacted]"); /* base64("alice:p@ss-word") */
	assert_redacts("user alice", "user alice");                       /* a user name alone is not secret */
	secret_reset();
	secret_add_url("https://ghp_tokenonly1234@host/x");
	assert_redacts("ghp_tokenonly1234", "[redacted]");
	assert_redacts("Z2hwX3Rva2Vub25seTEyMzQ6", "[redacted]"); /* base64("ghp_tokenonly1234:") */
}

/* Whatever the pieces, the stream gives the text redacted whole. */
static void feed_in_pieces(const char *text, const size_t *cuts, size_t ncuts, struct buf *out)
{
	struct secret_stream st = SECRET_STREAM_INIT;
	size_t at = 0, n = strlen(text);
	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : n;
		secret_stream_feed(&st, text + at, end - at, out);
		at = end;
	}
	secret_stream_finish(&st, out);
	secret_stream_free(&st);
}

static void test_stream_any_split_same_as_whole(void **state)
{
	(void)state;
	secret_add("sk-abcabd-SECRET");
	secret_add("abab");
	secret_add("Bearer sk-abcabd-SECRET-long");
	static const char *const texts[] = {
		"Echo: Bearer sk-abcabd-SECRET-long. tail",
		"sk-abcabsk-abcabd-SECRETx ababab sk-abcabd-SECRE",
		"no secret at all, only sk-abc and aba",
		"sk-abcabd-SECRETsk-abcabd-SECRET",
		"abababababababab",
	};
	for (size_t t = 0; t < sizeof texts / sizeof *texts; t++) {
		char *want = redacted(texts[t]);
		size_t n = strlen(texts[t]);
		for (size_t a = 0; a <= n; a++) {
			for (size_t b = a; b <= n; b++) {
				size_t cuts[2] = { a, b };
				struct buf out = BUF_INIT;
				feed_in_pieces(texts[t], cuts, 2, &out);
				if (strcmp(buf_str(&out), want) != 0)
					fail_msg("text %zu cut at %zu,%zu: got \"%s\", want \"%s\"", t, a, b, buf_str(&out),
						 want);
				buf_free(&out);
			}
		}
		/* one byte at a time */
		size_t *every = xcalloc(n + 1, sizeof *every);
		for (size_t i = 0; i < n; i++)
			every[i] = i;
		struct buf out = BUF_INIT;
		feed_in_pieces(texts[t], every, n, &out);
		assert_string_equal(buf_str(&out), want);
		buf_free(&out);
		free(every);
		free(want);
	}
}

static void test_stream_holds_only_what_could_begin_a_secret(void **state)
{
	(void)state;
	secret_add("sk-live-0123456789");
	struct secret_stream st = SECRET_STREAM_INIT;
	struct buf out = BUF_INIT;
	secret_stream_feed(&st, "Hello world", 11, &out);
	assert_string_equal(buf_str(&out), "Hello world"); /* nothing held: the first bytes are never delayed */
	secret_stream_feed(&st, " key sk-li", 10, &out);
	assert_string_equal(buf_str(&out), "Hello world key ");
	secret_stream_feed(&st, "ve-01", 5, &out);
	assert_string_equal(buf_str(&out), "Hello world key ");
	secret_stream_feed(&st, "x", 1, &out); /* not the secret after all */
	assert_string_equal(buf_str(&out), "Hello world key sk-live-01x");
	secret_stream_feed(&st, " sk-live-0123", 13, &out);
	secret_stream_finish(&st, &out);
	assert_string_equal(buf_str(&out), "Hello world key sk-live-01x sk-live-0123");
	buf_free(&out);
	secret_stream_free(&st);
}

static void test_no_secrets_passes_text_through(void **state)
{
	(void)state;
	struct secret_stream st = SECRET_STREAM_INIT;
	struct buf out = BUF_INIT;
	secret_stream_feed(&st, "a\0b", 3, &out);
	secret_stream_finish(&st, &out);
	assert_int_equal(out.len, 3);
	assert_memory_equal(out.data, "a\0b", 3);
	buf_free(&out);
	secret_stream_free(&st);
}

static int child_core_state(const char *env)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit rl;
		getrlimit(RLIMIT_CORE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_CORE, &rl);
		if (env)
			setenv("AIWB_CORE_DUMPS", env, 1);
		else
			unsetenv("AIWB_CORE_DUMPS");
		secret_protect_process();
		getrlimit(RLIMIT_CORE, &rl);
		int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
		_exit((rl.rlim_cur == 0 ? 1 : 0) | (dumpable == 0 ? 2 : 0) | (secret_core_dumps_on() ? 4 : 0));
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_core_dumps_off_unless_asked(void **state)
{
	(void)state;
	assert_int_equal(child_core_state(NULL), 1 | 2);
	assert_int_equal(child_core_state("0"), 1 | 2);
	struct rlimit rl;
	getrlimit(RLIMIT_CORE, &rl);
	int want = rl.rlim_max != 0 ? 4 : 1; /* a hard limit of 0 keeps them off anyway */
	assert_int_equal(child_core_state("1"), want);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_registry_ignores_short_null_and_repeated),
		T(test_longest_first_and_every_occurrence),
		T(test_known_env_registered),
		T(test_url_userinfo_all_forms),
		T(test_stream_any_split_same_as_whole),
		T(test_stream_holds_only_what_could_begin_a_secret),
		T(test_no_secrets_passes_text_through),
		T(test_core_dumps_off_unless_asked),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	secret_reset();
	return rc;
}
