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
#include "net/ndjson.h"

#define LIT(s) (s), sizeof(s) - 1

struct run {
	struct buf log;  /* every line followed by "|" */
	int n;
	int stop_after;
	int rc;          /* first non-zero feed result */
	int finish_rc;
	char err[1024];
};

static int on_line(void *ud, const char *line, size_t len)
{
	struct run *r = ud;
	assert_true(len > 0);
	assert_null(memchr(line, '\n', len));
	buf_append(&r->log, line, len);
	buf_putc(&r->log, '|');
	r->n++;
	return r->stop_after && r->n >= r->stop_after;
}

/* Feeds in pieces of step bytes (0: one piece), then finishes. */
static void feed(struct run *r, size_t max_line, const char *in, size_t n, size_t step)
{
	memset(r, 0, sizeof *r);
	struct ndjson_parser *p = ndjson_new(max_line, on_line, r);
	struct err e = ERR_INIT;
	for (size_t at = 0; at < n;) {
		size_t k = step && step < n - at ? step : n - at;
		int rc = ndjson_feed(p, in + at, k, &e);
		if (rc && !r->rc) {
			r->rc = rc;
			snprintf(r->err, sizeof r->err, "%s", err_msg(&e));
		}
		at += k;
	}
	err_clear(&e);
	r->finish_rc = ndjson_finish(p, &e);
	if (r->finish_rc < 0 && !r->err[0])
		snprintf(r->err, sizeof r->err, "%s", err_msg(&e));
	ndjson_free(p);
}

static void feed_split(struct run *r, size_t max_line, const char *in, size_t n, size_t at)
{
	memset(r, 0, sizeof *r);
	struct ndjson_parser *p = ndjson_new(max_line, on_line, r);
	struct err e = ERR_INIT;
	int rc = ndjson_feed(p, in, at, &e);
	if (rc == 0)
		rc = ndjson_feed(p, in + at, n - at, &e);
	if (rc) {
		r->rc = rc;
		snprintf(r->err, sizeof r->err, "%s", err_msg(&e));
	}
	err_clear(&e);
	r->finish_rc = ndjson_finish(p, &e);
	if (r->finish_rc < 0 && !r->err[0])
		snprintf(r->err, sizeof r->err, "%s", err_msg(&e));
	ndjson_free(p);
}

static void assert_same(const struct run *a, const struct run *b, const char *how, size_t at)
{
	if (a->log.len != b->log.len || (a->log.len && memcmp(a->log.data, b->log.data, a->log.len)) ||
	    a->rc != b->rc || a->finish_rc != b->finish_rc || strcmp(a->err, b->err))
		fail_msg("%s %zu: \"%s\" rc %d/%d \"%s\" differs from one feed: \"%s\" rc %d/%d \"%s\"",
			 how, at, buf_str(&b->log), b->rc, b->finish_rc, b->err,
			 buf_str(&a->log), a->rc, a->finish_rc, a->err);
}

static void assert_chunking_invariant(const char *in, size_t n, size_t max_line)
{
	struct run whole, other;
	feed(&whole, max_line, in, n, 0);
	for (size_t at = 0; at <= n; at++) {
		feed_split(&other, max_line, in, n, at);
		assert_same(&whole, &other, "split at", at);
		buf_free(&other.log);
	}
	for (size_t step = 1; step <= 7; step++) {
		feed(&other, max_line, in, n, step);
		assert_same(&whole, &other, "pieces of", step);
		buf_free(&other.log);
	}
	buf_free(&whole.log);
}

#define EXPECT(in, want) expect(LIT(in), LIT(want))

static void expect(const char *in, size_t n, const char *want, size_t want_len)
{
	struct run r;
	feed(&r, 0, in, n, 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.finish_rc, 0);
	if (r.log.len != want_len || (want_len && memcmp(r.log.data, want, want_len)))
		fail_msg("got \"%s\", want \"%s\"", buf_str(&r.log), want);
	buf_free(&r.log);
	assert_chunking_invariant(in, n, 0);
}

static void test_lines(void **state)
{
	(void)state;
	EXPECT("{\"a\":1}\n{\"b\":2}\n", "{\"a\":1}|{\"b\":2}|");
	EXPECT("x\n", "x|");
	EXPECT("", "");
	EXPECT("\n", "");
}

static void test_crlf_trimmed(void **state)
{
	(void)state;
	EXPECT("{\"a\":1}\r\n{\"b\":2}\r\n", "{\"a\":1}|{\"b\":2}|");
	/* Only one CR, and only at the end. */
	EXPECT("a\r\r\nb\rc\n", "a\r|b\rc|");
	EXPECT("a\r", "a|");
}

static void test_blank_lines_skipped(void **state)
{
	(void)state;
	EXPECT("\n\n{}\n\n\r\n \t \n{}\n\n", "{}|{}|");
	EXPECT(" \n", "");
	/* Leading spaces of a real line stay: the JSON parser skips them. */
	EXPECT("  {}\n", "  {}|");
}

static void test_final_line_without_newline(void **state)
{
	(void)state;
	EXPECT("{\"a\":1}\n{\"done\":true}", "{\"a\":1}|{\"done\":true}|");
	EXPECT("{\"done\":true}\r", "{\"done\":true}|");
	EXPECT("   ", "");
	/* NUL bytes are passed on; the JSON parser rejects them. */
	EXPECT("a\0b\n", "a\0b|");
}

static void test_ollama_stream(void **state)
{
	(void)state;
	const char *stream =
		"{\"model\":\"llama3.2\",\"created_at\":\"2023-08-04T08:52:19.385406455-07:00\","
		"\"message\":{\"role\":\"assistant\",\"content\":\"The\"},\"done\":false}\n"
		"{\"model\":\"llama3.2\",\"created_at\":\"2023-08-04T08:52:19.385406455-07:00\","
		"\"message\":{\"role\":\"assistant\",\"content\":\" sky\"},\"done\":false}\n"
		"{\"model\":\"llama3.2\",\"created_at\":\"2023-08-04T19:22:45.499127Z\","
		"\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\","
		"\"total_duration\":4883583458,\"eval_count\":282,\"eval_duration\":4535599000}\n";
	struct run r;
	feed(&r, 0, stream, strlen(stream), 0);
	assert_int_equal(r.n, 3);
	struct buf text = BUF_INIT;
	const char *line = r.log.data;
	int done = 0;
	for (int i = 0; i < r.n; i++) {
		const char *bar = strchr(line, '|');
		cJSON *j = cJSON_ParseWithLength(line, (size_t)(bar - line));
		assert_non_null(j);
		cJSON *content = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "message"),
								  "content");
		buf_puts(&text, content->valuestring);
		done = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "done"));
		cJSON_Delete(j);
		line = bar + 1;
	}
	assert_string_equal(buf_str(&text), "The sky");
	assert_true(done);
	buf_free(&text);
	buf_free(&r.log);
	assert_chunking_invariant(stream, strlen(stream), 0);
}

static void expect_cap(const char *in, size_t n, size_t cap, const char *want_lines)
{
	struct run r;
	feed(&r, cap, in, n, 0);
	assert_true(r.rc == -1 || r.finish_rc == -1);
	assert_int_equal(r.finish_rc, -1);
	assert_string_equal(buf_str(&r.log), want_lines);
	char want[64];
	snprintf(want, sizeof want, "longer than %zu bytes", cap);
	if (!strstr(r.err, want))
		fail_msg("error \"%s\" should say \"%s\"", r.err, want);
	buf_free(&r.log);
	assert_chunking_invariant(in, n, cap);
}

static void test_line_cap(void **state)
{
	(void)state;
	struct run r;
	/* Exactly the cap fits, with or without a CR. */
	feed(&r, 8, LIT("12345678\n12345678\r\n12345678"), 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.finish_rc, 0);
	assert_string_equal(buf_str(&r.log), "12345678|12345678|12345678|");
	buf_free(&r.log);
	assert_chunking_invariant(LIT("12345678\n12345678\r\n12345678"), 8);
	expect_cap(LIT("ok\n123456789\nnot seen\n"), 8, "ok|");
	expect_cap(LIT("ok\n12345678\r\r\n"), 8, "ok|");
	expect_cap(LIT("ok\n123456789"), 8, "ok|");
	expect_cap(LIT("ok\n12345678901234567890"), 8, "ok|");
	/* An endless line fails while it is fed, not only at the end. */
	memset(&r, 0, sizeof r);
	struct ndjson_parser *q = ndjson_new(8, on_line, &r);
	assert_int_equal(ndjson_feed(q, LIT("123456789"), NULL), 0);
	assert_int_equal(ndjson_feed(q, LIT("0"), NULL), -1);
	ndjson_free(q);
	/* A failed parser stays failed. */
	memset(&r, 0, sizeof r);
	struct ndjson_parser *p = ndjson_new(4, on_line, &r);
	struct err e = ERR_INIT;
	assert_int_equal(ndjson_feed(p, LIT("12345\n"), &e), -1);
	err_clear(&e);
	assert_int_equal(ndjson_feed(p, LIT("1\n"), &e), -1);
	assert_non_null(strstr(err_msg(&e), "longer than 4 bytes"));
	assert_int_equal(r.n, 0);
	ndjson_free(p);
}

static void test_callback_stops(void **state)
{
	(void)state;
	struct run r;
	memset(&r, 0, sizeof r);
	r.stop_after = 1;
	struct ndjson_parser *p = ndjson_new(0, on_line, &r);
	assert_int_equal(ndjson_feed(p, LIT("a\nb\nc"), NULL), 1);
	assert_int_equal(ndjson_feed(p, LIT("d\n"), NULL), 1);
	assert_int_equal(ndjson_finish(p, NULL), 0);
	assert_string_equal(buf_str(&r.log), "a|");
	ndjson_free(p);
	buf_free(&r.log);
}

static void test_finish_then_new_stream(void **state)
{
	(void)state;
	struct run r;
	memset(&r, 0, sizeof r);
	struct ndjson_parser *p = ndjson_new(0, on_line, &r);
	assert_int_equal(ndjson_feed(p, LIT("a\nb"), NULL), 0);
	assert_int_equal(ndjson_finish(p, NULL), 0);
	assert_int_equal(ndjson_feed(p, LIT("c\n"), NULL), 0);
	assert_int_equal(ndjson_finish(p, NULL), 0);
	assert_string_equal(buf_str(&r.log), "a|b|c|");
	ndjson_free(p);
	buf_free(&r.log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_crlf_trimmed),
		cmocka_unit_test(test_blank_lines_skipped),
		cmocka_unit_test(test_final_line_without_newline),
		cmocka_unit_test(test_ollama_stream),
		cmocka_unit_test(test_line_cap),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_finish_then_new_stream),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
