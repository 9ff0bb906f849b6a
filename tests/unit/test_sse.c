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
#include "base/xmalloc.h"
#include "net/sse.h"

#define VECTORS "tests/data/vectors/sse/"
#define LIT(s) (s), sizeof(s) - 1

struct event {
	char *type, *data, *id;
	size_t len;
	long long retry;
};

struct run {
	struct event ev[64];
	int n;
	int stop_after;  /* the callback stops at this event (0: never) */
	struct buf log;  /* every event serialized, to compare runs */
	int rc;          /* first non-zero feed result */
	int pending;     /* sse_finish */
	char err[1024];
};

static int on_event(void *ud, const struct sse_event *ev)
{
	struct run *r = ud;
	assert_non_null(ev->type);
	assert_non_null(ev->id);
	assert_int_equal(ev->data[ev->data_len], '\0');
	buf_printf(&r->log, "[%s|%s|%lld|%zu]", ev->type, ev->id, ev->retry_ms, ev->data_len);
	buf_append(&r->log, ev->data, ev->data_len);
	buf_putc(&r->log, '\n');
	if (r->n < 64) {
		struct event *x = &r->ev[r->n];
		x->type = xstrdup(ev->type);
		x->id = xstrdup(ev->id);
		x->data = xmalloc(ev->data_len + 1);
		memcpy(x->data, ev->data, ev->data_len + 1);
		x->len = ev->data_len;
		x->retry = ev->retry_ms;
	}
	r->n++;
	return r->stop_after && r->n >= r->stop_after;
}

static void run_free(struct run *r)
{
	for (int i = 0; i < r->n && i < 64; i++) {
		free(r->ev[i].type);
		free(r->ev[i].data);
		free(r->ev[i].id);
	}
	buf_free(&r->log);
	memset(r, 0, sizeof *r);
}

/* Feeds in[0..n) in pieces of the sizes given by next_size(). */
static void feed_pieces(struct run *r, size_t max_event, const char *in, size_t n,
			size_t (*next_size)(void *), void *st)
{
	struct sse_parser *p = sse_new(max_event, on_event, r);
	struct err e = ERR_INIT;
	size_t at = 0;
	while (at < n) {
		size_t k = next_size(st);
		if (k > n - at)
			k = n - at;
		int rc = sse_feed(p, in + at, k, &e);
		if (rc && !r->rc) {
			r->rc = rc;
			snprintf(r->err, sizeof r->err, "%s", err_msg(&e));
		}
		if (rc < 0)
			assert_true(e.set);
		at += k;
	}
	r->pending = sse_finish(p);
	sse_free(p);
}

static size_t size_whole(void *st)
{
	(void)st;
	return SIZE_MAX;
}

static size_t size_one(void *st)
{
	(void)st;
	return 1;
}

struct split {
	size_t at;
	int first;
};

static size_t size_split(void *st)
{
	struct split *s = st;
	if (s->first) {
		s->first = 0;
		return s->at;
	}
	return SIZE_MAX;
}

static size_t size_random(void *st)
{
	uint32_t *x = st;
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return 1 + *x % 97;
}

static void parse(struct run *r, const char *in, size_t n, size_t max_event)
{
	memset(r, 0, sizeof *r);
	feed_pieces(r, max_event, in, n, size_whole, NULL);
}

static void assert_same_run(const struct run *a, const struct run *b, const char *how, size_t at)
{
	if (a->log.len != b->log.len || (a->log.len && memcmp(a->log.data, b->log.data, a->log.len)) ||
	    a->rc != b->rc || a->pending != b->pending || strcmp(a->err, b->err))
		fail_msg("%s (at %zu) differs from one feed:\n%s\nrc %d pending %d err %s\n--- vs ---\n%s\nrc %d pending %d err %s",
			 how, at, buf_str(&b->log), b->rc, b->pending, b->err,
			 buf_str(&a->log), a->rc, a->pending, a->err);
}

/* One feed, two feeds split at every position, one byte at a time and random
 * pieces all give the same events, result, error and pending flag. */
static void assert_chunking_invariant(const char *in, size_t n, size_t max_event)
{
	struct run whole, other;
	parse(&whole, in, n, max_event);
	for (size_t at = 0; at <= n; at++) {
		struct split sp = {at, 1};
		memset(&other, 0, sizeof other);
		feed_pieces(&other, max_event, in, n, size_split, &sp);
		assert_same_run(&whole, &other, "split", at);
		run_free(&other);
	}
	memset(&other, 0, sizeof other);
	feed_pieces(&other, max_event, in, n, size_one, NULL);
	assert_same_run(&whole, &other, "bytewise", 0);
	run_free(&other);
	for (uint32_t seed = 1; seed <= 8; seed++) {
		uint32_t x = seed * 2654435761u;
		memset(&other, 0, sizeof other);
		feed_pieces(&other, max_event, in, n, size_random, &x);
		assert_same_run(&whole, &other, "random", seed);
		run_free(&other);
	}
	run_free(&whole);
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (tests run from the repository root)", path);
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t k;
	while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, k);
	fclose(f);
	*n = b.len;
	return buf_detach(&b);
}

static cJSON *json_of(const struct event *ev)
{
	cJSON *j = cJSON_ParseWithLength(ev->data, ev->len);
	if (!j)
		fail_msg("event data is not JSON: %s", ev->data);
	return j;
}

static const char *json_path_str(cJSON *j, const char *a, const char *b, const char *c)
{
	cJSON *x = cJSON_GetObjectItemCaseSensitive(j, a);
	if (b)
		x = cJSON_GetObjectItemCaseSensitive(x, b);
	if (c)
		x = cJSON_GetObjectItemCaseSensitive(x, c);
	return cJSON_IsString(x) ? x->valuestring : NULL;
}

static cJSON *first_choice_delta(cJSON *chunk)
{
	cJSON *choices = cJSON_GetObjectItemCaseSensitive(chunk, "choices");
	cJSON *c0 = cJSON_GetArrayItem(choices, 0);
	return cJSON_GetObjectItemCaseSensitive(c0, "delta");
}

static void test_openai_include_usage(void **state)
{
	(void)state;
	size_t n;
	char *in = slurp(VECTORS "openai/chat_stream_include_usage_length.sse", &n);
	struct run r;
	parse(&r, in, n, 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.pending, 0);
	assert_int_equal(r.n, 5);
	for (int i = 0; i < r.n; i++) {
		assert_string_equal(r.ev[i].type, "message");
		assert_string_equal(r.ev[i].id, "");
		assert_int_equal(r.ev[i].retry, -1);
	}
	cJSON *first = json_of(&r.ev[0]);
	assert_string_equal(json_path_str(first, "object", NULL, NULL), "chat.completion.chunk");
	assert_string_equal(json_path_str(first, "id", NULL, NULL), "chatcmpl-ABfw3Oqj8RD0z6aJiiX37oTjV2HFh");
	cJSON *delta = first_choice_delta(first);
	assert_string_equal(json_path_str(delta, "role", NULL, NULL), "assistant");
	assert_string_equal(json_path_str(delta, "content", NULL, NULL), "");
	cJSON_Delete(first);
	cJSON *second = json_of(&r.ev[1]);
	assert_string_equal(json_path_str(first_choice_delta(second), "content", NULL, NULL), "{\"");
	cJSON_Delete(second);
	cJSON *usage = json_of(&r.ev[3]);
	cJSON *total = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(usage, "usage"),
							"total_tokens");
	assert_true(cJSON_IsNumber(total));
	assert_int_equal(total->valueint, 80);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(usage, "choices")), 0);
	cJSON_Delete(usage);
	assert_int_equal(r.ev[4].len, 6);
	assert_string_equal(r.ev[4].data, "[DONE]");
	run_free(&r);
	assert_chunking_invariant(in, n, 0);
	free(in);
}

static void test_openai_tool_calls(void **state)
{
	(void)state;
	size_t n;
	char *in = slurp(VECTORS "openai/chat_stream_tool_calls.sse", &n);
	struct run r;
	parse(&r, in, n, 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.pending, 0);
	assert_int_equal(r.n, 11);
	struct buf args = BUF_INIT;
	const char *name = NULL;
	cJSON *first = NULL;
	for (int i = 0; i < r.n - 1; i++) {
		cJSON *j = json_of(&r.ev[i]);
		cJSON *calls = cJSON_GetObjectItemCaseSensitive(first_choice_delta(j), "tool_calls");
		cJSON *call = cJSON_GetArrayItem(calls, 0);
		const char *frag = json_path_str(call, "function", "arguments", NULL);
		if (frag)
			buf_puts(&args, frag);
		if (i == 0) {
			first = j;
			name = json_path_str(call, "function", "name", NULL);
		} else {
			cJSON_Delete(j);
		}
	}
	assert_string_equal(name, "get_weather");
	assert_string_equal(buf_str(&args), "{\"city\":\"New York City\"}");
	cJSON_Delete(first);
	buf_free(&args);
	assert_string_equal(r.ev[10].data, "[DONE]");
	run_free(&r);
	assert_chunking_invariant(in, n, 0);
	free(in);
}

static void check_anthropic(const char *file, const char *const *names, int n_names,
			    const char *delta_field, const char *want_joined)
{
	size_t n;
	char *in = slurp(file, &n);
	struct run r;

	/* The fixture ends after the last data line with no blank line: that
	 * event (message_stop) is not dispatched, and finish says it was cut. */
	parse(&r, in, n, 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.n, n_names - 1);
	assert_int_equal(r.pending, 1);
	run_free(&r);
	assert_chunking_invariant(in, n, 0);

	struct buf full = BUF_INIT;
	buf_append(&full, in, n);
	buf_puts(&full, "\n\n");
	parse(&r, full.data, full.len, 0);
	assert_int_equal(r.pending, 0);
	assert_int_equal(r.n, n_names);
	struct buf joined = BUF_INIT;
	for (int i = 0; i < r.n; i++) {
		assert_string_equal(r.ev[i].type, names[i]);
		cJSON *j = json_of(&r.ev[i]);
		assert_string_equal(json_path_str(j, "type", NULL, NULL), names[i]);
		const char *frag = json_path_str(j, "delta", delta_field, NULL);
		if (frag)
			buf_puts(&joined, frag);
		cJSON_Delete(j);
	}
	assert_string_equal(buf_str(&joined), want_joined);
	buf_free(&joined);
	run_free(&r);
	assert_chunking_invariant(full.data, full.len, 0);
	buf_free(&full);
	free(in);
}

static void test_anthropic_basic(void **state)
{
	(void)state;
	static const char *const names[] = {
		"message_start", "content_block_start", "ping", "content_block_delta",
		"content_block_delta", "content_block_delta", "content_block_stop",
		"message_delta", "message_stop",
	};
	check_anthropic(VECTORS "anthropic/basic_response.txt", names, 9, "text", "Hello there!");
}

static void test_anthropic_tool_use(void **state)
{
	(void)state;
	static const char *const names[] = {
		"message_start", "content_block_start", "ping", "content_block_delta",
		"content_block_delta", "content_block_stop", "content_block_start",
		"content_block_delta", "content_block_delta", "content_block_delta",
		"content_block_delta", "content_block_delta", "content_block_stop",
		"message_delta", "message_stop",
	};
	check_anthropic(VECTORS "anthropic/tool_use_response.txt", names, 15, "partial_json",
			"{\"location\": \"Paris\"}");
}

#define EXPECT_LOG(in, want, pending) expect_log(LIT(in), LIT(want), (pending))

/* Parses in, checks the invariant, and compares the serialized events. */
static void expect_log(const char *in, size_t n, const char *want, size_t want_len, int want_pending)
{
	struct run r;
	parse(&r, in, n, 0);
	assert_int_equal(r.rc, 0);
	if (r.log.len != want_len || (want_len && memcmp(r.log.data, want, want_len)))
		fail_msg("got\n%s\nwant\n%s", buf_str(&r.log), want);
	assert_int_equal(r.pending, want_pending);
	run_free(&r);
	assert_chunking_invariant(in, n, 0);
}

static void test_line_endings(void **state)
{
	(void)state;
	EXPECT_LOG("data: a\r\ndata: b\rdata: c\n\r\n", "[message||-1|5]a\nb\nc\n", 0);
	EXPECT_LOG("data: a\r\rdata: b\n\ndata: c\r\n\r\n",
		   "[message||-1|1]a\n[message||-1|1]b\n[message||-1|1]c\n", 0);
	/* LF CR is two line ends, and so is CR CR LF. */
	EXPECT_LOG("data: x\n\rdata: y\r\r\n", "[message||-1|1]x\n[message||-1|1]y\n", 0);
	EXPECT_LOG("event: e\rdata: 1\r\r", "[e||-1|1]1\n", 0);
}

static void test_crlf_split_across_feeds(void **state)
{
	(void)state;
	struct run r;
	memset(&r, 0, sizeof r);
	struct sse_parser *p = sse_new(0, on_event, &r);
	struct err e = ERR_INIT;
	/* If the LF after the split were a second line end it would be a blank
	 * line and dispatch "x" alone. */
	assert_int_equal(sse_feed(p, LIT("data: x\r"), &e), 0);
	assert_int_equal(sse_feed(p, LIT("\ndata: y\r"), &e), 0);
	assert_int_equal(sse_feed(p, LIT("\n\r"), &e), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.ev[0].data, "x\ny");
	/* The final CR was a blank line; the LF after it belongs to it. */
	assert_int_equal(sse_feed(p, LIT("\n"), &e), 0);
	assert_int_equal(sse_feed(p, LIT("data: z\n\n"), &e), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.ev[1].data, "z");
	assert_int_equal(sse_finish(p), 0);
	sse_free(p);
	run_free(&r);
}

static void test_bom(void **state)
{
	(void)state;
	EXPECT_LOG("\xef\xbb\xbf" "data: a\n\n", "[message||-1|1]a\n", 0);
	/* Only the first BOM goes; a second one is part of the field name. */
	EXPECT_LOG("\xef\xbb\xbf\xef\xbb\xbf" "data: a\n\ndata: b\n\n", "[message||-1|1]b\n", 0);
	/* Half a BOM is not one. */
	EXPECT_LOG("\xef\xbb" "data: a\n\ndata: b\n\n", "[message||-1|1]b\n", 0);
	EXPECT_LOG("\xef\xbb", "", 1);
	EXPECT_LOG("\xef\xbb\xbf", "", 0);
	/* Not at the start: data. */
	EXPECT_LOG("data: \xef\xbb\xbf" "x\n\n", "[message||-1|4]\xef\xbb\xbfx\n", 0);
}

static void test_comments(void **state)
{
	(void)state;
	EXPECT_LOG(": ping\n\n", "", 0);
	EXPECT_LOG(":\n:x\ndata: a\n: data: no\n\n", "[message||-1|1]a\n", 0);
	EXPECT_LOG(": keep-alive\n", "", 0);
}

static void test_fields(void **state)
{
	(void)state;
	/* Multi-line data, an empty data line in the middle. */
	EXPECT_LOG("data: a\ndata:\ndata: b\n\n", "[message||-1|4]a\n\nb\n", 0);
	/* "data" without a colon is an empty value: the event is dispatched. */
	EXPECT_LOG("data\n\ndata\ndata\n\ndata:", "[message||-1|0]\n[message||-1|1]\n\n", 1);
	/* No space, two spaces (one kept), a colon in the value. */
	EXPECT_LOG("data:x\n\ndata:  y\n\ndata: a: b\n\n",
		   "[message||-1|1]x\n[message||-1|2] y\n[message||-1|4]a: b\n", 0);
	/* Empty data lines still dispatch; no data field does not. */
	EXPECT_LOG("data:\n\ndata:\ndata:\n\n", "[message||-1|0]\n[message||-1|1]\n\n", 0);
	EXPECT_LOG("event: x\n\nid: 7\n\n\n\n", "", 0);
	/* Unknown fields and wrong case are ignored; NUL bytes pass through. */
	EXPECT_LOG("Data: no\nfoo: bar\ndata: a\0b\n\n", "[message||-1|3]a\0b\n", 0);
	EXPECT_LOG("data : x\n\n", "", 0);
}

static void test_event_type(void **state)
{
	(void)state;
	EXPECT_LOG("event: add\ndata: 1\n\ndata: 2\n\n", "[add||-1|1]1\n[message||-1|1]2\n", 0);
	/* The type resets at a blank line even with nothing dispatched. */
	EXPECT_LOG("event: x\n\ndata: y\n\n", "[message||-1|1]y\n", 0);
	/* The last event line wins; an empty one means "message". */
	EXPECT_LOG("event: a\nevent: b\ndata: 1\n\nevent:\ndata: 2\n\n",
		   "[b||-1|1]1\n[message||-1|1]2\n", 0);
}

static void test_id(void **state)
{
	(void)state;
	/* The id persists; one with a NUL is ignored; an empty one clears it. */
	EXPECT_LOG("id: 1\ndata: a\n\ndata: b\n\nid: 2\0x\ndata: c\n\nid\ndata: d\n\n",
		   "[message|1|-1|1]a\n[message|1|-1|1]b\n[message|1|-1|1]c\n[message||-1|1]d\n", 0);
	/* An id alone sets it for later events. */
	EXPECT_LOG("id: 42\n\ndata: a\n\n", "[message|42|-1|1]a\n", 0);
}

static void test_retry(void **state)
{
	(void)state;
	EXPECT_LOG("retry: 1500\ndata: a\n\nretry: 15a\ndata: b\n\nretry:\ndata: c\n\n"
		       "retry: 99999999999999999999999\ndata: d\n\nretry: -5\ndata: e\n\n"
		       "retry:0\ndata: f\n\n",
		   "[message||1500|1]a\n[message||1500|1]b\n[message||1500|1]c\n"
		   "[message||1500|1]d\n[message||1500|1]e\n[message||0|1]f\n",
		   0);
	struct run r;
	memset(&r, 0, sizeof r);
	struct sse_parser *p = sse_new(0, on_event, &r);
	assert_int_equal(sse_retry_ms(p), -1);
	assert_int_equal(sse_feed(p, LIT("retry: 3000\n"), NULL), 0);
	assert_int_equal(sse_retry_ms(p), 3000);
	assert_int_equal(r.n, 0);
	sse_free(p);
	run_free(&r);
}

static void test_unfinished_event(void **state)
{
	(void)state;
	EXPECT_LOG("data: a\n\ndata: b\n", "[message||-1|1]a\n", 1);
	EXPECT_LOG("data: a\n\ndata: b", "[message||-1|1]a\n", 1);
	EXPECT_LOG("data: a\n\nevent: x\n", "[message||-1|1]a\n", 1);
	EXPECT_LOG("data: a\n\n:partial comment", "[message||-1|1]a\n", 1);
	EXPECT_LOG("data: a\n\n", "[message||-1|1]a\n", 0);
	EXPECT_LOG("data: a\r\r", "[message||-1|1]a\n", 0);
	EXPECT_LOG("", "", 0);
}

static void test_finish_starts_a_new_stream(void **state)
{
	(void)state;
	struct run r;
	memset(&r, 0, sizeof r);
	struct sse_parser *p = sse_new(0, on_event, &r);
	assert_int_equal(sse_feed(p, LIT("id: 9\nretry: 10\ndata: cut"), NULL), 0);
	assert_int_equal(sse_finish(p), 1);
	assert_string_equal(sse_last_id(p), "9");
	assert_int_equal(sse_feed(p, LIT("\xef\xbb\xbf" "data: new\n\n"), NULL), 0);
	assert_int_equal(sse_finish(p), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.ev[0].data, "new");
	assert_string_equal(r.ev[0].id, "9");
	assert_int_equal(r.ev[0].retry, 10);
	sse_free(p);
	run_free(&r);
}

static void expect_cap(const char *in, size_t n, size_t cap, int want_events)
{
	struct run r;
	parse(&r, in, n, cap);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.n, want_events);
	char want[64];
	snprintf(want, sizeof want, "larger than %zu bytes", cap);
	if (!strstr(r.err, want))
		fail_msg("error \"%s\" should say \"%s\"", r.err, want);
	run_free(&r);
	assert_chunking_invariant(in, n, cap);
}

static void test_event_cap(void **state)
{
	(void)state;
	/* A line of exactly the cap fits; one byte more does not. */
	struct run r;
	parse(&r, LIT("data: 0123456789\n\n"), 16);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.n, 1);
	run_free(&r);
	expect_cap(LIT("data: 1\n\ndata: 01234567890\n\n"), 16, 1);
	/* Data gathered over several lines. */
	expect_cap(LIT("data: 1234\ndata: 1234\ndata: 1234\n\n"), 16, 0);
	/* An endless line with no line end. */
	expect_cap(LIT("data: 1\n\nxxxxxxxxxxxxxxxxxxxxxxxx"), 16, 1);
	expect_cap(LIT(": a comment longer than the cap\n"), 16, 0);
	/* Failed stays failed. */
	memset(&r, 0, sizeof r);
	struct sse_parser *p = sse_new(8, on_event, &r);
	struct err e = ERR_INIT;
	assert_int_equal(sse_feed(p, LIT("data: 123456789\n"), &e), -1);
	err_clear(&e);
	assert_int_equal(sse_feed(p, LIT("data: 1\n\n"), &e), -1);
	assert_true(strstr(err_msg(&e), "larger than 8 bytes") != NULL);
	assert_int_equal(sse_finish(p), 0);
	assert_int_equal(r.n, 0);
	sse_free(p);
	run_free(&r);
}

static void test_callback_stops(void **state)
{
	(void)state;
	struct run r;
	memset(&r, 0, sizeof r);
	r.stop_after = 2;
	struct sse_parser *p = sse_new(0, on_event, &r);
	assert_int_equal(sse_feed(p, LIT("data: 1\n\ndata: 2\n\ndata: 3\n\n"), NULL), 1);
	assert_int_equal(r.n, 2);
	assert_int_equal(sse_feed(p, LIT("data: 4\n\n"), NULL), 1);
	assert_int_equal(r.n, 2);
	assert_int_equal(sse_finish(p), 0);
	sse_free(p);
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openai_include_usage),
		cmocka_unit_test(test_openai_tool_calls),
		cmocka_unit_test(test_anthropic_basic),
		cmocka_unit_test(test_anthropic_tool_use),
		cmocka_unit_test(test_line_endings),
		cmocka_unit_test(test_crlf_split_across_feeds),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_event_type),
		cmocka_unit_test(test_id),
		cmocka_unit_test(test_retry),
		cmocka_unit_test(test_unfinished_event),
		cmocka_unit_test(test_finish_starts_a_new_stream),
		cmocka_unit_test(test_event_cap),
		cmocka_unit_test(test_callback_stops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
