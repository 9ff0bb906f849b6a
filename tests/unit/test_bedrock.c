#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "llm/bedrock.h"
#include "loop.h"
#include "net/eventstream.h"
#include "testutil.h"

extern char **environ;

#define STREAMS "tests/data/vectors/eventstream/generated/"
#define SIGNED "tests/data/vectors/sigv4/generated-botocore/"
#define WHEN ((time_t)1440938160) /* 2015-08-30T12:36:00Z */

static char *read_file(const char *dir, const char *name, size_t *len)
{
	char *p = path_join(dir, name);
	struct err e = ERR_INIT;
	char *text = path_read_file(p, len, &e);
	if (!text)
		fail_msg("%s", err_msg(&e));
	free(p);
	return text;
}

static cJSON *read_json(const char *dir, const char *name)
{
	char *text = read_file(dir, name, NULL);
	cJSON *j = cJSON_Parse(text);
	free(text);
	assert_non_null(j);
	return j;
}

/* ---- streams ---- */

struct got {
	struct buf text;
	int calls;
	int stop_at; /* on_text asks to stop at this call; 0: never */
	int feed_rc;
	struct llm_result r;
};

static int collect(void *ud, const char *text, size_t len)
{
	struct got *g = ud;
	buf_append(&g->text, text, len);
	g->calls++;
	return g->stop_at && g->calls >= g->stop_at;
}

static void got_init(struct got *g, const char *request_id)
{
	memset(g, 0, sizeof *g);
	g->r.usage.input_tokens = g->r.usage.output_tokens = -1;
	if (request_id)
		snprintf(g->r.request_id, sizeof g->r.request_id, "%s", request_id);
}

/* Feeds data in pieces of `chunk` bytes (0: whole), or in two at `split`. */
static void run_stream(const char *data, size_t len, size_t chunk, size_t split, const char *cut, struct got *g)
{
	struct bedrock_stream *s = bedrock_stream_new("bedrock", collect, g);
	if (split) {
		g->feed_rc |= bedrock_stream_feed(s, data, split);
		g->feed_rc |= bedrock_stream_feed(s, data + split, len - split);
	} else if (chunk) {
		for (size_t off = 0; off < len; off += chunk)
			g->feed_rc |= bedrock_stream_feed(s, data + off, len - off < chunk ? len - off : chunk);
	} else {
		g->feed_rc |= bedrock_stream_feed(s, data, len);
	}
	assert_int_equal(bedrock_stream_text_bytes(s), g->text.len);
	bedrock_stream_end(s, cut, &g->r);
	bedrock_stream_free(s);
}

struct expect {
	struct buf text;
	char stop[64];
	int64_t input_tokens, output_tokens;
	int complete;
	char *code, *message;
};

static void expect_load(const char *folder, struct expect *x)
{
	char dir[256];
	snprintf(dir, sizeof dir, STREAMS "%s", folder);
	cJSON *j = read_json(dir, "expected.json");
	memset(x, 0, sizeof *x);
	x->input_tokens = x->output_tokens = -1;
	int stopped = 0, metadata = 0;
	const cJSON *ev;
	cJSON_ArrayForEach(ev, cJSON_GetObjectItem(j, "botocore_parsed_events")) {
		const cJSON *d = cJSON_GetObjectItem(ev, "contentBlockDelta");
		const cJSON *text = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "delta"), "text");
		if (cJSON_IsString(text))
			buf_puts(&x->text, text->valuestring);
		const cJSON *stop = cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "messageStop"), "stopReason");
		if (cJSON_IsString(stop)) {
			snprintf(x->stop, sizeof x->stop, "%s", stop->valuestring);
			stopped = 1;
		}
		const cJSON *usage = cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "metadata"), "usage");
		if (usage) {
			x->input_tokens = (int64_t)cJSON_GetObjectItem(usage, "inputTokens")->valuedouble;
			x->output_tokens = (int64_t)cJSON_GetObjectItem(usage, "outputTokens")->valuedouble;
			metadata = 1;
		}
	}
	const cJSON *err = cJSON_GetObjectItem(j, "botocore_error");
	if (cJSON_IsObject(err)) {
		x->code = xstrdup(cJSON_GetObjectItem(err, "code")->valuestring);
		x->message = xstrdup(cJSON_GetObjectItem(err, "message")->valuestring);
	}
	x->complete = stopped && metadata;
	cJSON_Delete(j);
}

static void expect_free(struct expect *x)
{
	buf_free(&x->text);
	free(x->code);
	free(x->message);
}

static void check(const struct got *g, const struct expect *x, const char *how)
{
	if (strcmp(buf_str(&g->text), buf_str(&x->text)) != 0)
		fail_msg("%s: text \"%s\", expected \"%s\"", how, buf_str(&g->text), buf_str(&x->text));
	if (x->code) {
		assert_int_equal(g->r.status, LLM_ERROR);
		assert_string_equal(g->r.error_code, x->code);
		if (!strstr(g->r.message, x->message))
			fail_msg("%s: message \"%s\" lacks \"%s\"", how, g->r.message, x->message);
		assert_non_null(strstr(g->r.message, x->code));
		assert_true(g->feed_rc);
	} else {
		assert_int_equal(g->r.status, x->complete ? LLM_OK : LLM_CUT);
		assert_string_equal(g->r.stop_reason, x->stop);
		assert_string_equal(g->r.message, "");
		assert_false(g->feed_rc);
	}
	assert_int_equal(g->r.usage.input_tokens, x->input_tokens);
	assert_int_equal(g->r.usage.output_tokens, x->output_tokens);
}

static void check_folder(const char *folder)
{
	char dir[256];
	snprintf(dir, sizeof dir, STREAMS "%s", folder);
	size_t len;
	char *data = read_file(dir, "stream.bin", &len);
	struct expect x;
	expect_load(folder, &x);
	struct got g;
	char how[128];

	got_init(&g, NULL);
	run_stream(data, len, 0, 0, NULL, &g);
	snprintf(how, sizeof how, "%s whole", folder);
	check(&g, &x, how);
	buf_free(&g.text);

	for (size_t k = 1; k < len; k++) {
		got_init(&g, NULL);
		run_stream(data, len, 0, k, NULL, &g);
		snprintf(how, sizeof how, "%s split at %zu", folder, k);
		check(&g, &x, how);
		buf_free(&g.text);
	}

	got_init(&g, NULL);
	run_stream(data, len, 1, 0, NULL, &g);
	snprintf(how, sizeof how, "%s byte by byte", folder);
	check(&g, &x, how);
	buf_free(&g.text);

	expect_free(&x);
	free(data);
}

static void test_stream_text(void **state)
{
	(void)state;
	check_folder("converse_stream_text");
	struct expect x;
	expect_load("converse_stream_text", &x);
	assert_string_equal(x.text.data, "Hello, world");
	assert_string_equal(x.stop, "end_turn");
	assert_int_equal(x.input_tokens, 12);
	assert_int_equal(x.output_tokens, 4);
	expect_free(&x);
}

static void test_stream_tool_use(void **state)
{
	(void)state;
	check_folder("converse_stream_tool_use");
}

static void test_stream_throttling_exception(void **state)
{
	(void)state;
	check_folder("converse_stream_throttling_exception");
	size_t len;
	char *data = read_file(STREAMS "converse_stream_throttling_exception", "stream.bin", &len);
	struct got g;
	got_init(&g, "r-123");
	run_stream(data, len, 0, 0, NULL, &g);
	assert_string_equal(g.r.message, "bedrock: error in the stream throttlingException (request r-123): "
					 "Too many requests, please wait before trying again.");
	buf_free(&g.text);
	free(data);
}

static void test_stream_model_error_keeps_text(void **state)
{
	(void)state;
	check_folder("converse_stream_model_stream_error");
	size_t len;
	char *data = read_file(STREAMS "converse_stream_model_stream_error", "stream.bin", &len);
	struct got g;
	got_init(&g, NULL);
	run_stream(data, len, 0, 0, NULL, &g);
	assert_string_equal(g.text.data, "partial");
	assert_int_equal(g.r.status, LLM_ERROR);
	assert_string_equal(g.r.error_code, "modelStreamErrorException");
	assert_non_null(strstr(g.r.message, "Model stream error (the model answered 500: upstream failure)"));
	buf_free(&g.text);
	free(data);
}

static void test_stream_validation_exception(void **state)
{
	(void)state;
	check_folder("converse_stream_validation_exception");
}

static void test_stream_error_message(void **state)
{
	(void)state;
	check_folder("generic_error_message");
}

/* Frames of converse_stream_text: the byte offset where each ends. */
static size_t frame_ends(size_t *ends, size_t max)
{
	size_t n = 0, off = 0;
	for (int i = 0; n < max; i++) {
		char name[32];
		snprintf(name, sizeof name, "frame%02d.bin", i);
		char *p = path_join(STREAMS "converse_stream_text", name);
		int found = path_exists(p);
		free(p);
		if (!found)
			break;
		size_t len;
		free(read_file(STREAMS "converse_stream_text", name, &len));
		off += len;
		ends[n++] = off;
	}
	return n;
}

static void test_stream_bad_crc(void **state)
{
	(void)state;
	size_t len, ends[16];
	char *data = read_file(STREAMS "converse_stream_text", "stream.bin", &len);
	assert_int_equal(frame_ends(ends, 16), 6);
	/* a payload byte of frame 2 (the second delta): the message checksum no longer matches */
	data[ends[2] - 10] ^= 0x20;
	for (size_t chunk = 0; chunk <= 1; chunk++) {
		struct got g;
		got_init(&g, "req-9");
		run_stream(data, len, chunk, 0, NULL, &g);
		assert_string_equal(g.text.data, "Hello");
		assert_int_equal(g.r.status, LLM_ERROR);
		assert_true(g.feed_rc);
		if (!strstr(g.r.message, "bedrock: event stream damaged: message checksum mismatch"))
			fail_msg("message: %s", g.r.message);
		assert_non_null(strstr(g.r.message, "(request req-9)"));
		buf_free(&g.text);
	}
	data[ends[2] - 10] ^= 0x20;
	/* the prelude of frame 1: nothing of it is trusted */
	data[ends[0] + 2] ^= 0x01;
	struct got g;
	got_init(&g, NULL);
	run_stream(data, len, 0, 0, NULL, &g);
	assert_string_equal(buf_str(&g.text), "");
	assert_int_equal(g.r.status, LLM_ERROR);
	assert_non_null(strstr(g.r.message, "event stream damaged: prelude checksum mismatch"));
	buf_free(&g.text);
	free(data);
}

static void test_stream_cut(void **state)
{
	(void)state;
	size_t len, ends[16];
	char *data = read_file(STREAMS "converse_stream_text", "stream.bin", &len);
	assert_int_equal(frame_ends(ends, 16), 6);
	for (size_t cut = 0; cut < len; cut++) {
		struct got g;
		got_init(&g, NULL);
		run_stream(data, cut, 0, 0, NULL, &g);
		assert_int_equal(g.r.status, LLM_CUT);
		assert_int_equal(strncmp("Hello, world", buf_str(&g.text), g.text.len), 0);
		assert_string_equal(g.r.error_code, "");
		assert_non_null(strstr(g.r.message, "bedrock: the stream was cut"));
		int at_boundary = 0;
		for (int i = 0; i < 6; i++)
			at_boundary |= cut == ends[i];
		if (cut && !at_boundary)
			assert_non_null(strstr(g.r.message, "in the middle of an event"));
		if (cut == ends[4]) {
			assert_string_equal(g.r.stop_reason, "end_turn");
			assert_non_null(strstr(g.r.message, "before the metadata event"));
		}
		if (cut == ends[3])
			assert_non_null(strstr(g.r.message, "before messageStop and metadata after 12 bytes of text"));
		buf_free(&g.text);
	}
	/* the connection broke after two deltas */
	struct got g;
	got_init(&g, "abc");
	run_stream(data, ends[2], 0, 0, "the connection to 127.0.0.1 was cut after 300 bytes of the response", &g);
	assert_int_equal(g.r.status, LLM_CUT);
	assert_string_equal(g.text.data, "Hello, world");
	assert_string_equal(g.r.message, "bedrock: the stream was cut (request abc): the connection to 127.0.0.1 was "
					 "cut after 300 bytes of the response (12 bytes of text arrived); the "
					 "answer is incomplete");
	buf_free(&g.text);
	free(data);
}

static void frame(struct buf *out, const char *mtype, const char *tname, const char *type, const char *payload)
{
	struct es_header h[3] = {
		{ .name = ":message-type", .type = ES_STRING, .v.bytes = { mtype, strlen(mtype) } },
		{ .name = tname, .type = ES_STRING, .v.bytes = { type, strlen(type) } },
		{ .name = ":content-type", .type = ES_STRING, .v.bytes = { "application/json", 16 } },
	};
	assert_int_equal(es_encode(out, h, 3, payload, strlen(payload)), 0);
}

static void event(struct buf *out, const char *type, const char *payload)
{
	frame(out, "event", ":event-type", type, payload);
}

static void test_stream_ignores_unknown(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	event(&b, "messageStart", "{\"role\":\"assistant\",\"p\":\"abcdef\"}");
	event(&b, "somethingNew", "not even JSON");
	event(&b, "contentBlockStart", "{\"contentBlockIndex\":0,\"start\":{\"image\":{}}}");
	event(&b, "contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"reasoningContent\":{\"text\":\"hm\"}}}");
	event(&b, "contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"A\\u00e9\\n\"},\"p\":\"x\",\"z\":1}");
	event(&b, "contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"\"}}");
	event(&b, "contentBlockStop", "{\"contentBlockIndex\":0}");
	event(&b, "messageStop", "{\"stopReason\":\"guardrail_intervened\",\"additionalModelResponseFields\":{}}");
	event(&b, "metadata", "{\"usage\":{\"inputTokens\":3,\"outputTokens\":2,\"totalTokens\":5},"
			      "\"metrics\":{\"latencyMs\":7},\"trace\":{},\"p\":\"abc\"}");
	struct got g;
	got_init(&g, NULL);
	run_stream(b.data, b.len, 0, 0, NULL, &g);
	assert_string_equal(g.text.data, "A\xc3\xa9\n");
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.r.status, LLM_OK);
	assert_string_equal(g.r.stop_reason, "guardrail_intervened");
	assert_int_equal(g.r.usage.input_tokens, 3);
	assert_int_equal(g.r.usage.output_tokens, 2);
	buf_free(&g.text);
	buf_free(&b);
}

static void test_stream_bad_event_json(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	event(&b, "contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"ok\"}}");
	event(&b, "contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":");
	event(&b, "contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"never\"}}");
	struct got g;
	got_init(&g, NULL);
	run_stream(b.data, b.len, 0, 0, NULL, &g);
	assert_string_equal(g.text.data, "ok");
	assert_int_equal(g.r.status, LLM_ERROR);
	assert_string_equal(g.r.message, "bedrock: event stream damaged: the contentBlockDelta event is not a JSON object");
	buf_free(&g.text);
	buf_free(&b);
}

static void test_stream_exception_shapes(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	event(&b, "contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"so far\"}}");
	frame(&b, "exception", ":exception-type", "serviceUnavailableException", "upstream \x1b[31mbusy\x1b[0m\nnow");
	struct got g;
	got_init(&g, NULL);
	run_stream(b.data, b.len, 0, 0, NULL, &g);
	assert_string_equal(g.text.data, "so far");
	assert_string_equal(g.r.error_code, "serviceUnavailableException");
	assert_string_equal(g.r.message, "bedrock: error in the stream serviceUnavailableException: upstream busy now");
	buf_free(&g.text);
	buf_reset(&b);
	frame(&b, "exception", ":exception-type", "internalServerException", "{\"Message\":\"capital M\"}");
	got_init(&g, NULL);
	run_stream(b.data, b.len, 0, 0, NULL, &g);
	assert_string_equal(g.r.message, "bedrock: error in the stream internalServerException: capital M");
	buf_free(&g.text);
	buf_free(&b);
}

static void test_stream_reader_stops(void **state)
{
	(void)state;
	size_t len;
	char *data = read_file(STREAMS "converse_stream_text", "stream.bin", &len);
	struct got g;
	got_init(&g, NULL);
	g.stop_at = 1;
	struct bedrock_stream *s = bedrock_stream_new("bedrock", collect, &g);
	assert_int_not_equal(bedrock_stream_feed(s, data, len), 0);
	assert_int_not_equal(bedrock_stream_feed(s, data, 1), 0);
	assert_string_equal(g.text.data, "Hello");
	bedrock_stream_free(s);
	buf_free(&g.text);
	free(data);
}

static void test_stop_reasons(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{ "end_turn", "end_turn" },
		{ "max_tokens", "max_tokens" },
		{ "stop_sequence", "stop_sequence" },
		{ "tool_use", "tool_use" },
		{ "guardrail_intervened", "guardrail_intervened" },
		{ "content_filtered", "content_filtered" },
		{ "malformed_model_output", "malformed_model_output" },
		{ "model_context_window_exceeded", "model_context_window_exceeded" },
		{ "stop", "end_turn" },
		{ "length", "max_tokens" },
		{ "brand_new_reason", "brand_new_reason" },
		{ "bad\x1b[1mreason", "bad?[1mreason" },
		{ "", "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char out[64];
		bedrock_stop_reason(cases[i][0], out, sizeof out);
		assert_string_equal(out, cases[i][1]);
	}
}

/* ---- requests ---- */

static void test_model_path(void **state)
{
	(void)state;
	static const char *const cases[][3] = {
		{ "anthropic.claude-3-haiku-20240307-v1:0", "converse",
		  "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse" },
		{ "us.anthropic.claude-3-5-haiku-20241022-v1:0", "converse-stream",
		  "/model/us.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse-stream" },
		{ "amazon.titan-embed-text-v2:0", "invoke", "/model/amazon.titan-embed-text-v2%3A0/invoke" },
		{ "meta.llama3-8b-instruct-v1:0", "converse", "/model/meta.llama3-8b-instruct-v1%3A0/converse" },
		{ "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0",
		  "converse-stream",
		  "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic."
		  "claude-3-5-sonnet-20240620-v1%3A0/converse-stream" },
		{ "arn:aws:bedrock:us-west-2:123456789012:provisioned-model/abc123", "converse",
		  "/model/arn%3Aaws%3Abedrock%3Aus-west-2%3A123456789012%3Aprovisioned-model%2Fabc123/converse" },
		{ "a b~c_d%e+f?g#h\xc3\xa9", "invoke", "/model/a%20b~c_d%25e%2Bf%3Fg%23h%C3%A9/invoke" },
		{ "..", "converse-stream", "/model/%2E%2E/converse-stream" },
		{ ".", "converse", "/model/%2E/converse" },
		{ "a..b", "converse", "/model/a..b/converse" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *p = bedrock_model_path(cases[i][0], cases[i][1]);
		assert_string_equal(p, cases[i][2]);
		free(p);
	}
}

static void test_model_id_check(void **state)
{
	(void)state;
	static const char *const good[] = {
		"anthropic.claude-3-haiku-20240307-v1:0",
		"us.anthropic.claude-3-5-haiku-20241022-v1:0",
		"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0",
		"arn:aws:bedrock:us-west-2:123456789012:provisioned-model/abc123",
		"arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0",
		"my_model-1",
	};
	static const char *const bad[] = {
		"", ".", "..", "../converse", "a/../b", "x/./y", "a//b", "a/", "/a", ".hidden", "-x",
		"a b", "a?b", "a#b", "a%2e", "caf\xc3\xa9", "a\x1b[31m",
	};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		struct err e = ERR_INIT;
		if (bedrock_model_id_check("bedrock", good[i], &e) != 0)
			fail_msg("refused %s: %s", good[i], e.msg);
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct err e = ERR_INIT;
		if (bedrock_model_id_check("bedrock", bad[i], &e) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_true(strncmp(e.msg, "bedrock: ", 9) == 0);
		assert_non_null(strstr(e.msg, "model id"));
		assert_null(strchr(e.msg, '\x1b'));
	}
	char *long_id = xmalloc(2050);
	memset(long_id, 'a', 2049);
	long_id[2049] = '\0';
	struct err e = ERR_INIT;
	assert_int_equal(bedrock_model_id_check("bedrock", long_id, &e), -1);
	long_id[2048] = '\0';
	assert_int_equal(bedrock_model_id_check("bedrock", long_id, &e), 0);
	free(long_id);
	assert_int_equal(bedrock_model_id_check("bedrock", NULL, &e), -1);
}

static cJSON *request_json(const struct llm_request *rq)
{
	char *s = bedrock_request_json(rq);
	cJSON *j = cJSON_Parse(s);
	assert_non_null(j);
	free(s);
	return j;
}

/* Our body for the request of a botocore vector is the vector's params less modelId. */
static void check_request_against(const char *vector, const struct llm_request *rq)
{
	char dir[256];
	snprintf(dir, sizeof dir, SIGNED "%s", vector);
	cJSON *ctx = read_json(dir, "context.json");
	cJSON *params = cJSON_DetachItemFromObject(ctx, "params");
	cJSON_DeleteItemFromObject(params, "modelId");
	cJSON *ours = request_json(rq);
	if (!cJSON_Compare(ours, params, 1)) {
		char *a = cJSON_PrintUnformatted(ours), *b = cJSON_PrintUnformatted(params);
		fail_msg("%s: ours %s, botocore's %s", vector, a, b);
	}
	cJSON_Delete(ours);
	cJSON_Delete(params);
	cJSON_Delete(ctx);
}

static void test_request_json(void **state)
{
	(void)state;
	struct llm_message hello = { "user", "Hello" };
	struct llm_request rq = { .model = "m", .messages = &hello, .nmessages = 1 };
	rq.params.has_max_tokens = 1;
	rq.params.max_tokens = 64;
	rq.params.has_temperature = 1;
	rq.params.temperature = 0.5;
	check_request_against("bedrock-converse", &rq);

	const char *stops[] = { "END" };
	struct llm_message hi = { "user", "Hi" };
	struct llm_request rq2 = { .model = "m", .system = "Be brief.", .messages = &hi, .nmessages = 1, .stream = 1 };
	rq2.params.has_max_tokens = 1;
	rq2.params.max_tokens = 32;
	rq2.params.stop = stops;
	rq2.params.nstop = 1;
	check_request_against("bedrock-converse-stream", &rq2);

	struct llm_message turns[] = { { "user", "2+2?" }, { "assistant", "4" }, { "user", "and \"3+3\"?\n" } };
	struct llm_request rq3 = { .model = "m", .messages = turns, .nmessages = 3 };
	rq3.params.has_top_p = 1;
	rq3.params.top_p = 0.9;
	rq3.params.has_temperature = 1;
	rq3.params.temperature = 0.2;
	cJSON *j = request_json(&rq3);
	cJSON *want = cJSON_Parse("{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"2+2?\"}]},"
				  "{\"role\":\"assistant\",\"content\":[{\"text\":\"4\"}]},"
				  "{\"role\":\"user\",\"content\":[{\"text\":\"and \\\"3+3\\\"?\\n\"}]}],"
				  "\"inferenceConfig\":{\"temperature\":0.2,\"topP\":0.9}}");
	assert_true(cJSON_Compare(j, want, 1));
	assert_null(cJSON_GetObjectItem(j, "system"));
	cJSON_Delete(j);
	cJSON_Delete(want);

	struct llm_request rq4 = { .model = "m", .system = "", .messages = &hello, .nmessages = 1 };
	j = request_json(&rq4);
	assert_null(cJSON_GetObjectItem(j, "system"));
	assert_null(cJSON_GetObjectItem(j, "inferenceConfig"));
	cJSON_Delete(j);
}

/* ---- signing ---- */

struct signed_request {
	char *method, *url, *body;
	size_t body_len;
	struct http_headers headers;
};

static void read_signed(const char *dir, struct signed_request *sr)
{
	size_t len;
	char *text = read_file(dir, "signed-request.txt", &len);
	memset(sr, 0, sizeof *sr);
	char *sep = strstr(text, "\n\n");
	assert_non_null(sep);
	*sep = '\0';
	sr->body = xstrdup(sep + 2);
	sr->body_len = len - (size_t)(sep + 2 - text);
	char *save = NULL;
	char *line = strtok_r(text, "\n", &save);
	char *space = strchr(line, ' ');
	sr->method = xstrndup(line, (size_t)(space - line));
	sr->url = xstrdup(space + 1);
	while ((line = strtok_r(NULL, "\n", &save))) {
		char *colon = strstr(line, ": ");
		assert_non_null(colon);
		*colon = '\0';
		http_headers_add(&sr->headers, line, colon + 2);
	}
	free(text);
}

static void signed_free(struct signed_request *sr)
{
	free(sr->method);
	free(sr->url);
	free(sr->body);
	http_headers_free(&sr->headers);
}

static void check_vector(const char *vector, const char *session_token)
{
	char dir[256];
	snprintf(dir, sizeof dir, SIGNED "%s", vector);
	struct signed_request sr;
	read_signed(dir, &sr);
	cJSON *ctx = read_json(dir, "context.json");
	const char *region = cJSON_GetObjectItem(ctx, "region")->valuestring;

	char *host = sr.url + strlen("https://");
	char *path = strchr(host, '/');
	char *host_copy = xstrndup(host, (size_t)(path - host));
	char *query = strchr(path, '?');
	char *path_copy = query ? xstrndup(path, (size_t)(query - path)) : xstrdup(path);
	const cJSON *model = cJSON_GetObjectItem(cJSON_GetObjectItem(ctx, "params"), "modelId");
	if (model) {
		char *ours = bedrock_model_path(model->valuestring, strrchr(path_copy, '/') + 1);
		assert_string_equal(ours, path_copy);
		free(ours);
	}

	char scheme[] = "https", base[] = "", reg[32], akid[] = "AKIDEXAMPLE";
	char secret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	char token[64];
	snprintf(reg, sizeof reg, "%s", region);
	snprintf(token, sizeof token, "%s", session_token ? session_token : "");
	struct awsauth_endpoint ep = {
		.url = NULL, .scheme = scheme, .host = host_copy, .port = 0, .base_path = base,
		.signing_name = "bedrock", .region = reg,
	};
	struct awsauth_creds cr = {
		.kind = AWSAUTH_SIGV4, .access_key_id = akid, .secret_access_key = secret,
		.session_token = session_token ? token : NULL,
	};
	struct http_headers out = HTTP_HEADERS_INIT;
	struct err e = ERR_INIT;
	int rc = bedrock_request_headers(&ep, &cr, sr.method, path_copy, query ? query + 1 : NULL, sr.body, sr.body_len,
					 http_headers_get(&sr.headers, "Content-Type"),
					 http_headers_get(&sr.headers, "Accept"), WHEN, &out, &e);
	if (rc != 0)
		fail_msg("%s: %s", vector, e.msg);
	assert_string_equal(http_headers_get(&out, "Authorization"), http_headers_get(&sr.headers, "Authorization"));
	assert_string_equal(http_headers_get(&out, "X-Amz-Date"), "20150830T123600Z");
	assert_string_equal(http_headers_get(&out, "Host"), host_copy);
	if (session_token)
		assert_string_equal(http_headers_get(&out, "X-Amz-Security-Token"), session_token);
	else
		assert_null(http_headers_get(&out, "X-Amz-Security-Token"));
	http_headers_free(&out);
	free(host_copy);
	free(path_copy);
	cJSON_Delete(ctx);
	signed_free(&sr);
}

static void test_signing_vectors(void **state)
{
	(void)state;
	check_vector("bedrock-converse", NULL);
	check_vector("bedrock-converse-session-token", "FQoGZXIvYXdzEXAMPLETOKEN");
	check_vector("bedrock-converse-stream", NULL);
	check_vector("bedrock-invoke-titan-embed", NULL);
	check_vector("bedrock-list-foundation-models", NULL);
}

static void test_signing_port_base_path_and_fresh_date(void **state)
{
	(void)state;
	char scheme[] = "http", host[] = "127.0.0.1", base[] = "/proxy", reg[] = "us-east-1", akid[] = "AKIDEXAMPLE";
	char secret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	struct awsauth_endpoint ep = {
		.scheme = scheme, .host = host, .port = 4566, .base_path = base, .signing_name = "bedrock", .region = reg,
	};
	struct awsauth_creds cr = { .kind = AWSAUTH_SIGV4, .access_key_id = akid, .secret_access_key = secret };
	struct http_headers a = HTTP_HEADERS_INIT, b = HTTP_HEADERS_INIT;
	assert_int_equal(bedrock_request_headers(&ep, &cr, "POST", "/model/x%3A0/converse", NULL, "{}", 2,
						 "application/json", NULL, WHEN, &a, NULL), 0);
	assert_int_equal(bedrock_request_headers(&ep, &cr, "POST", "/model/x%3A0/converse", NULL, "{}", 2,
						 "application/json", NULL, WHEN + 7, &b, NULL), 0);
	assert_string_equal(http_headers_get(&a, "Host"), "127.0.0.1:4566");
	assert_string_equal(http_headers_get(&a, "Content-Type"), "application/json");
	assert_string_equal(http_headers_get(&a, "X-Amz-Date"), "20150830T123600Z");
	assert_string_equal(http_headers_get(&b, "X-Amz-Date"), "20150830T123607Z");
	assert_string_not_equal(http_headers_get(&a, "Authorization"), http_headers_get(&b, "Authorization"));
	assert_non_null(strstr(http_headers_get(&a, "Authorization"),
			       "Credential=AKIDEXAMPLE/20150830/us-east-1/bedrock/aws4_request, "
			       "SignedHeaders=content-type;host;x-amz-date, Signature="));
	http_headers_free(&a);
	http_headers_free(&b);
}

static void test_bearer_headers(void **state)
{
	(void)state;
	char scheme[] = "https", host[] = "bedrock-runtime.us-east-1.amazonaws.com", base[] = "", reg[] = "us-east-1";
	char key[] = "ABSKexamplekey123";
	struct awsauth_endpoint ep = { .scheme = scheme, .host = host, .base_path = base, .signing_name = "bedrock",
				       .region = reg };
	struct awsauth_creds cr = { .kind = AWSAUTH_BEARER, .bearer_token = key };
	struct http_headers h = HTTP_HEADERS_INIT;
	assert_int_equal(bedrock_request_headers(&ep, &cr, "POST", "/model/m/converse-stream", NULL, "{}", 2,
						 "application/json", "application/vnd.amazon.eventstream", WHEN, &h, NULL),
			 0);
	assert_string_equal(http_headers_get(&h, "Authorization"), "Bearer ABSKexamplekey123");
	assert_string_equal(http_headers_get(&h, "Accept"), "application/vnd.amazon.eventstream");
	assert_null(http_headers_get(&h, "X-Amz-Date"));
	assert_int_equal(h.n, 3);
	http_headers_free(&h);
}

/* ---- errors ---- */

static void test_error_code(void **state)
{
	(void)state;
	static const char *const cases[][3] = {
		{ "ValidationException", NULL, "ValidationException" },
		{ "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/", NULL, "ValidationException" },
		{ "com.amazon.coral.validate#ValidationException:http://internal.amazon.com/coral/", NULL,
		  "ValidationException" },
		{ "aws.protocoltests#ThrottlingException", NULL, "ThrottlingException" },
		{ NULL, "{\"__type\":\"com.amazon.coral.service#UnrecognizedClientException\",\"message\":\"x\"}",
		  "UnrecognizedClientException" },
		{ NULL, "{\"code\":\"AccessDeniedException\",\"message\":\"no\"}", "AccessDeniedException" },
		{ "", "{\"__type\":\"ModelNotReadyException\"}", "ModelNotReadyException" },
		{ "ResourceNotFoundException", "{\"__type\":\"Other\"}", "ResourceNotFoundException" },
		{ NULL, "{\"message\":\"no code\"}", "" },
		{ NULL, "<html>502 Bad Gateway</html>", "" },
		{ NULL, NULL, "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char out[96];
		const char *body = cases[i][1];
		bedrock_error_code(cases[i][0], body, body ? strlen(body) : 0, out, sizeof out);
		assert_string_equal(out, cases[i][2]);
	}
}

static void http_error(const char *type, const char *request_id, int status, const char *body, struct llm_result *r)
{
	struct http_headers h = HTTP_HEADERS_INIT;
	http_headers_add(&h, "Content-Type", "application/json");
	if (type)
		http_headers_add(&h, "X-Amzn-ErrorType", type);
	if (request_id)
		http_headers_add(&h, "x-amzn-RequestId", request_id);
	memset(r, 0, sizeof *r);
	bedrock_http_error("bedrock", status, &h, body, body ? strlen(body) : 0, r);
	http_headers_free(&h);
}

static void test_http_error_sentence(void **state)
{
	(void)state;
	struct llm_result r;
	http_error("ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/",
		   "1234-5678-abcd", 429, "{\"message\":\"Too many requests\"}", &r);
	assert_int_equal(r.status, LLM_ERROR);
	assert_int_equal(r.http_status, 429);
	assert_string_equal(r.error_code, "ThrottlingException");
	assert_string_equal(r.request_id, "1234-5678-abcd");
	assert_string_equal(r.message, "bedrock: HTTP 429 ThrottlingException (request 1234-5678-abcd): Too many requests");

	http_error(NULL, NULL, 403,
		   "{\"__type\":\"com.amazon.coral.service#UnrecognizedClientException\","
		   "\"Message\":\"The security token included in the request is invalid.\"}", &r);
	assert_string_equal(r.message, "bedrock: HTTP 403 UnrecognizedClientException: The security token included in "
				       "the request is invalid.");

	http_error(NULL, "rid", 502, "<html>\n<b>Bad\x1b]0;evil\x07 Gateway</b>\n</html>\n", &r);
	assert_string_equal(r.error_code, "");
	assert_string_equal(r.message, "bedrock: HTTP 502 (request rid): <html> <b>Bad Gateway</b> </html>");

	http_error("ValidationException", NULL, 400, "", &r);
	assert_string_equal(r.message, "bedrock: HTTP 400 ValidationException");

	struct buf big = BUF_INIT;
	buf_puts(&big, "{\"message\":\"");
	for (int i = 0; i < 2000; i++)
		buf_puts(&big, "\xc3\xa9");
	buf_puts(&big, "\"}");
	http_error("ValidationException", "r\x1b[2Jid", 400, big.data, &r);
	assert_true(strlen(r.message) < sizeof r.message);
	assert_string_equal(r.request_id, "rid");
	assert_non_null(strstr(r.message, "(request rid): \xc3\xa9"));
	assert_non_null(strstr(r.message, "\xc3\xa9..."));
	buf_free(&big);
}

/* ---- the provider against tests/fakes/fakellm ---- */

#define AKID "AKIDFAKE"
#define SECRET "fakeSecretKey/123"

static struct {
	pid_t pid;
	char dir[64];
	char port[16];
	char log[128];
} fake;

static char *fakellm_path(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	char *p = xasprintf("%s/fakes/fakellm", exe);
	if (access(p, X_OK) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

static void aws_env(void)
{
	static const char *const unset[] = {
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_BEARER_TOKEN_BEDROCK",
		"AWS_ENDPOINT_URL", "AWS_MAX_ATTEMPTS", "AWS_DEFAULT_REGION", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI",
	};
	for (size_t i = 0; i < sizeof unset / sizeof *unset; i++)
		unsetenv(unset[i]);
	setenv("AWS_ACCESS_KEY_ID", AKID, 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	setenv("AWS_REGION", "us-east-1", 1);
	char *conf = xasprintf("%s/no-config", fake.dir), *creds = xasprintf("%s/no-credentials", fake.dir);
	setenv("AWS_CONFIG_FILE", conf, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
	free(conf);
	free(creds);
	char *url = xasprintf("http://127.0.0.1:%s", fake.port);
	setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", url, 1);
	setenv("AWS_ENDPOINT_URL_BEDROCK", url, 1);
	free(url);
}

static int fake_start(void **state)
{
	(void)state;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(fake.dir, sizeof fake.dir, "/tmp/aiwb-test-bedrock-XXXXXX");
	if (!mkdtemp(fake.dir))
		return -1;
	char *bin = fakellm_path();
	if (!bin)
		return 0;
	char *port_file = xasprintf("%s/port", fake.dir);
	snprintf(fake.log, sizeof fake.log, "%s/log.jsonl", fake.dir);
	const char *args[] = {
		bin, "--port-file", port_file, "--log", fake.log, "--max-seconds", "300",
		"--aws-access-key", AKID, "--aws-secret-key", SECRET,
	};
	enum { NARGS = sizeof args / sizeof *args };
	char *argv[NARGS + 1];
	for (size_t i = 0; i < NARGS; i++)
		argv[i] = xstrdup(args[i]);
	argv[NARGS] = NULL;
	char *out = xasprintf("%s/fakellm.out", fake.dir);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	int rc = posix_spawn(&fake.pid, bin, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	free(out);
	for (size_t i = 0; i < NARGS; i++)
		free(argv[i]);
	free(bin);
	if (rc != 0) {
		fake.pid = 0;
		free(port_file);
		return 0;
	}
	for (int i = 0; i < 500 && !fake.port[0]; i++) {
		FILE *f = fopen(port_file, "r");
		if (f) {
			if (!fgets(fake.port, sizeof fake.port, f))
				fake.port[0] = '\0';
			fake.port[strcspn(fake.port, "\n")] = '\0';
			fclose(f);
		}
		if (!fake.port[0])
			usleep(10000);
	}
	free(port_file);
	return fake.port[0] ? 0 : -1;
}

static int fake_stop(void **state)
{
	(void)state;
	if (fake.pid > 0) {
		kill(fake.pid, SIGTERM);
		waitpid(fake.pid, NULL, 0);
	}
	test_rmtree(fake.dir);
	curl_global_cleanup();
	return 0;
}

static struct provider *open_bedrock(void)
{
	if (!fake.port[0])
		skip();
	aws_env();
	struct err e = ERR_INIT;
	struct provider *p = provider_open(NULL, "bedrock", &e);
	if (!p)
		fail_msg("%s", e.msg);
	return p;
}

static double zero_rand(void *ud)
{
	(void)ud;
	return 0.0;
}

static double half_rand(void *ud)
{
	(void)ud;
	return 0.5;
}

static int run_until(struct loop *l, const int *flag, int64_t ms)
{
	int64_t end = clock_ms() + ms;
	while (!*flag && clock_ms() < end)
		loop_run_once(l, 20);
	return *flag;
}

static size_t log_lines(const char *word)
{
	size_t n = 0, len;
	struct err e = ERR_INIT;
	char *text = path_read_file(fake.log, &len, &e);
	for (char *p = text, *nl; p && (nl = strchr(p, '\n')); p = nl + 1) {
		*nl = '\0';
		n += strstr(p, word) != NULL;
	}
	free(text);
	return n;
}

struct chat {
	struct buf text;
	struct llm_result r;
	int done, texts, cancel_at;
	struct provider_call *call;
};

static void chat_text_cb(void *ud, const char *text, size_t len)
{
	struct chat *c = ud;
	buf_append(&c->text, text, len);
	if (++c->texts == c->cancel_at)
		provider_cancel(c->call);
}

static void chat_done_cb(void *ud, const struct llm_result *r)
{
	struct chat *c = ud;
	c->r = *r;
	c->done++;
}

static void chat(struct provider *p, struct loop *l, const char *model, int stream, struct chat *c)
{
	static const struct llm_handlers h = { chat_text_cb, chat_done_cb, NULL };
	struct llm_message m = { "user", "Say hello" };
	struct llm_request rq = { .model = model, .messages = &m, .nmessages = 1, .stream = stream };
	rq.params.has_max_tokens = 1;
	rq.params.max_tokens = 100;
	struct err e = ERR_INIT;
	c->call = p->ops->chat(p, l, &rq, &h, c, &e);
	if (!c->call)
		fail_msg("%s", e.msg);
	if (!c->cancel_at)
		assert_true(run_until(l, &c->done, 20000));
	assert_true(c->done <= 1);
}

static void test_fake_chat(void **state)
{
	(void)state;
	struct provider *p = open_bedrock();
	assert_string_equal(p->key_source, "env AWS_ACCESS_KEY_ID");
	assert_non_null(strstr(p->base_url, "http://127.0.0.1:"));
	bedrock_set_retry_rand(p, zero_rand, NULL);
	struct loop *l = loop_new();
	for (int stream = 0; stream <= 1; stream++) {
		struct chat c = { 0 };
		chat(p, l, "anthropic.claude-3-haiku-20240307-v1:0", stream, &c);
		assert_int_equal(c.r.status, LLM_OK);
		assert_string_equal(c.text.data, "Hello from the fake Bedrock. One two three four five six seven eight.");
		assert_string_equal(c.r.stop_reason, "end_turn");
		assert_true(c.r.usage.input_tokens > 0);
		assert_int_equal(c.r.usage.output_tokens, 13);
		assert_int_equal(c.r.attempts, 1);
		assert_int_equal(c.r.http_status, 200);
		assert_true(c.r.request_id[0]);
		assert_true(c.r.first_byte_us > 0);
		buf_free(&c.text);
	}
	struct chat c = { 0 };
	chat(p, l, "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.split-bytes.claude-v1:0", 1, &c);
	assert_int_equal(c.r.status, LLM_OK);
	assert_true(c.texts > 1);
	assert_string_equal(c.text.data, "Hello from the fake Bedrock. One two three four five six seven eight.");
	buf_free(&c.text);
	assert_int_equal(log_lines("\"auth_ok\":false"), 0);
	loop_free(l);
	provider_free(p);
}

static void test_fake_retries(void **state)
{
	(void)state;
	struct provider *p = open_bedrock();
	bedrock_set_retry_rand(p, zero_rand, NULL);
	struct loop *l = loop_new();
	struct chat c = { 0 };
	chat(p, l, "test.retry-v1:0", 1, &c);
	assert_int_equal(c.r.status, LLM_OK);
	assert_int_equal(c.r.attempts, 2);
	buf_free(&c.text);

	memset(&c, 0, sizeof c);
	chat(p, l, "test.fail-v1:0", 1, &c);
	assert_int_equal(c.r.status, LLM_ERROR);
	assert_int_equal(c.r.attempts, 3);
	assert_int_equal(c.r.http_status, 500);
	assert_string_equal(c.r.error_code, "InternalServerException");
	assert_non_null(strstr(c.r.message, "bedrock: HTTP 500 InternalServerException (request "));
	assert_non_null(strstr(c.r.message, "(after 3 attempts)"));
	assert_int_equal(log_lines("test.fail-v1:0\",\"scenario\""), 3);

	memset(&c, 0, sizeof c);
	chat(p, l, "test.fail-400-v1:0", 0, &c);
	assert_int_equal(c.r.status, LLM_ERROR);
	assert_int_equal(c.r.attempts, 1);
	assert_string_equal(c.r.error_code, "ValidationException");

	memset(&c, 0, sizeof c);
	chat(p, l, "test.throttle-in-stream-v1:0", 1, &c);
	assert_int_equal(c.r.status, LLM_ERROR);
	assert_int_equal(c.r.attempts, 1);
	assert_string_equal(c.r.error_code, "throttlingException");
	assert_true(c.text.len > 0);
	assert_non_null(strstr(c.r.message, "bedrock: error in the stream throttlingException (request "));
	buf_free(&c.text);

	memset(&c, 0, sizeof c);
	chat(p, l, "test.cut-v1:0", 1, &c);
	assert_int_equal(c.r.status, LLM_CUT);
	assert_int_equal(c.r.attempts, 1);
	assert_true(c.text.len > 0);
	buf_free(&c.text);

	memset(&c, 0, sizeof c);
	chat(p, l, "test.bad-crc-v1:0", 1, &c);
	assert_int_equal(c.r.status, LLM_ERROR);
	assert_non_null(strstr(c.r.message, "event stream damaged: message checksum mismatch"));
	buf_free(&c.text);
	loop_free(l);
	provider_free(p);
}

static void test_fake_cancel(void **state)
{
	(void)state;
	struct provider *p = open_bedrock();
	struct loop *l = loop_new();
	/* inside on_text, from curl's write callback */
	struct chat c = { .cancel_at = 2 };
	chat(p, l, "test.slow-tps-200-v1:0", 1, &c);
	int never = 0;
	run_until(l, &never, 400);
	assert_int_equal(c.texts, 2);
	assert_int_equal(c.done, 0);
	buf_free(&c.text);

	/* while the retry timer is pending */
	bedrock_set_retry_rand(p, half_rand, NULL);
	size_t before = log_lines("test.retry-503-v1:0");
	memset(&c, 0, sizeof c);
	c.cancel_at = -1;
	chat(p, l, "test.retry-503-v1:0", 1, &c);
	int64_t end = clock_ms() + 3000;
	while (log_lines("test.retry-503-v1:0") == before && clock_ms() < end)
		loop_run_once(l, 20);
	run_until(l, &never, 200); /* the 503 is read; the retry waits 500 ms */
	provider_cancel(c.call);
	run_until(l, &never, 900);
	assert_int_equal(c.done, 0);
	assert_int_equal(log_lines("test.retry-503-v1:0"), before + 1);

	/* before the first byte */
	memset(&c, 0, sizeof c);
	c.cancel_at = -1;
	chat(p, l, "test.silent-v1:0", 1, &c);
	run_until(l, &never, 100);
	provider_cancel(c.call);
	run_until(l, &never, 100);
	assert_int_equal(c.done, 0);
	assert_int_equal(loop_transfers(l), 0);
	loop_free(l);
	provider_free(p);
}

struct listing {
	int done;
	size_t n;
	int titan_embedding, claude_streaming, claude_embedding;
	char claude_name[64], claude_owner[64];
	char error[1024];
};

static void list_cb(void *ud, const struct llm_model_list *list, const struct err *e)
{
	struct listing *g = ud;
	g->done++;
	if (!list) {
		snprintf(g->error, sizeof g->error, "%s", e->msg);
		return;
	}
	g->n = list->n;
	for (size_t i = 0; i < list->n; i++) {
		const struct llm_model *m = &list->models[i];
		if (strcmp(m->id, "amazon.titan-embed-text-v2:0") == 0)
			g->titan_embedding = m->embedding;
		if (strcmp(m->id, "anthropic.claude-3-haiku-20240307-v1:0") == 0) {
			g->claude_streaming = m->streaming;
			g->claude_embedding = m->embedding;
			snprintf(g->claude_name, sizeof g->claude_name, "%s", m->name ? m->name : "");
			snprintf(g->claude_owner, sizeof g->claude_owner, "%s", m->owner ? m->owner : "");
		}
	}
}

static void test_fake_list_models(void **state)
{
	(void)state;
	struct provider *p = open_bedrock();
	struct loop *l = loop_new();
	struct listing g = { 0 };
	struct err e = ERR_INIT;
	assert_non_null(p->ops->list_models(p, l, list_cb, &g, &e));
	assert_int_equal(g.done, 0);
	assert_true(run_until(l, &g.done, 10000));
	assert_string_equal(g.error, "");
	assert_true(g.n >= 6);
	assert_int_equal(g.titan_embedding, 1);
	assert_int_equal(g.claude_streaming, 1);
	assert_int_equal(g.claude_embedding, 0);
	assert_string_equal(g.claude_name, "Claude 3 Haiku");
	assert_string_equal(g.claude_owner, "Anthropic");

	setenv("AWS_SECRET_ACCESS_KEY", "wrong", 1);
	struct provider *bad = provider_open(NULL, "bedrock", &e);
	assert_non_null(bad);
	memset(&g, 0, sizeof g);
	assert_non_null(bad->ops->list_models(bad, l, list_cb, &g, &e));
	assert_true(run_until(l, &g.done, 10000));
	assert_non_null(strstr(g.error, "bedrock: HTTP 403 InvalidSignatureException (request "));
	assert_null(strstr(g.error, "wrong"));
	provider_free(bad);
	loop_free(l);
	provider_free(p);
}

struct embedding {
	int done;
	size_t n, dim;
	float *values;
	int64_t input_tokens;
	char error[1024];
};

static void embed_cb(void *ud, const struct llm_embedding *emb, const struct err *e)
{
	struct embedding *g = ud;
	g->done++;
	if (!emb) {
		snprintf(g->error, sizeof g->error, "%s", e->msg);
		return;
	}
	g->n = emb->n;
	g->dim = emb->dim;
	g->input_tokens = emb->usage.input_tokens;
	g->values = xmalloc(emb->n * emb->dim * sizeof *g->values + 1);
	if (emb->n)
		memcpy(g->values, emb->values, emb->n * emb->dim * sizeof *g->values);
}

static void embed_as(struct provider *p, struct loop *l, const char *model, const struct llm_embed_opts *eo,
		     const char *const *texts, size_t n, struct embedding *g)
{
	struct err e = ERR_INIT;
	memset(g, 0, sizeof *g);
	if (!p->ops->embed(p, l, model, eo, texts, n, embed_cb, g, &e))
		fail_msg("%s", e.msg);
	assert_int_equal(g->done, 0);
	assert_true(run_until(l, &g->done, 10000));
	assert_int_equal(g->done, 1);
}

static void embed(struct provider *p, struct loop *l, const char *model, const char *const *texts, size_t n,
		  struct embedding *g)
{
	embed_as(p, l, model, NULL, texts, n, g);
}

static int same_row(const struct embedding *g, size_t a, size_t b)
{
	return memcmp(g->values + a * g->dim, g->values + b * g->dim, g->dim * sizeof *g->values) == 0;
}

static void test_fake_embeddings(void **state)
{
	(void)state;
	struct provider *p = open_bedrock();
	struct loop *l = loop_new();
	struct embedding g;
	const char *three[] = { "alpha beta", "gamma", "alpha beta" };
	size_t before = log_lines("bedrock.invoke"), normalized = log_lines("\\\"normalize\\\":true");
	embed(p, l, "amazon.titan-embed-text-v2:0", three, 3, &g);
	assert_string_equal(g.error, "");
	assert_int_equal(g.n, 3);
	assert_true(g.dim > 0);
	assert_true(same_row(&g, 0, 2));
	assert_false(same_row(&g, 0, 1));
	assert_int_equal(g.input_tokens, 5);
	assert_int_equal(log_lines("bedrock.invoke"), before + 3);
	assert_int_equal(log_lines("\\\"normalize\\\":true"), normalized + 3);
	size_t dims_before = log_lines("\\\"dimensions\\\":256");
	free(g.values);
	static const struct llm_embed_opts short_query = { LLM_EMBED_QUERY, 256 };
	embed_as(p, l, "amazon.titan-embed-text-v2:0", &short_query, three, 1, &g);
	assert_int_equal(g.dim, 256);
	assert_int_equal(log_lines("\\\"dimensions\\\":256"), dims_before + 1);
	free(g.values);

	const char *many[100];
	char words[100][24];
	for (int i = 0; i < 100; i++) {
		snprintf(words[i], sizeof words[i], "text %d", i);
		many[i] = words[i];
	}
	many[97] = many[3];
	before = log_lines("bedrock.invoke");
	embed(p, l, "cohere.embed-english-v3", many, 100, &g);
	assert_string_equal(g.error, "");
	assert_int_equal(g.n, 100);
	assert_true(same_row(&g, 3, 97));
	assert_false(same_row(&g, 3, 96));
	assert_true(g.input_tokens >= 200);
	assert_int_equal(log_lines("bedrock.invoke"), before + 2);
	size_t documents = log_lines("search_document"), queries = log_lines("search_query");
	assert_true(documents >= 2);
	free(g.values);
	static const struct llm_embed_opts query = { LLM_EMBED_QUERY, 0 };
	embed_as(p, l, "cohere.embed-english-v3", &query, many, 1, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(log_lines("search_query"), queries + 1);
	assert_int_equal(log_lines("search_document"), documents);
	free(g.values);

	embed(p, l, "cohere.embed-multilingual-v3", many, 0, &g);
	assert_int_equal(g.n, 0);
	free(g.values);

	struct err e = ERR_INIT;
	assert_null(p->ops->embed(p, l, "anthropic.claude-3-haiku-20240307-v1:0", NULL, three, 3, embed_cb, &g, &e));
	assert_non_null(strstr(e.msg, "anthropic.claude-3-haiku-20240307-v1:0 is not an embedding model I know"));
	loop_free(l);
	provider_free(p);
}

static void test_init_failures(void **state)
{
	(void)state;
	if (!fake.dir[0])
		skip();
	aws_env();
	struct err e = ERR_INIT;
	unsetenv("AWS_ACCESS_KEY_ID");
	assert_null(provider_open(NULL, "bedrock", &e));
	assert_non_null(strstr(e.msg, "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"));
	aws_env();
	unsetenv("AWS_REGION");
	err_clear(&e);
	assert_null(provider_open(NULL, "bedrock", &e));
	assert_non_null(strstr(e.msg, "no AWS region"));
	aws_env();
	setenv("AWS_BEARER_TOKEN_BEDROCK", "ABSKtoken", 1);
	struct provider *p = provider_open(NULL, "bedrock", &e);
	assert_non_null(p);
	assert_non_null(strstr(p->key_source, "AWS_BEARER_TOKEN_BEDROCK"));
	assert_null(strstr(p->key_source, "ABSKtoken"));
	provider_free(p);
	unsetenv("AWS_BEARER_TOKEN_BEDROCK");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_text),
		cmocka_unit_test(test_stream_tool_use),
		cmocka_unit_test(test_stream_throttling_exception),
		cmocka_unit_test(test_stream_model_error_keeps_text),
		cmocka_unit_test(test_stream_validation_exception),
		cmocka_unit_test(test_stream_error_message),
		cmocka_unit_test(test_stream_bad_crc),
		cmocka_unit_test(test_stream_cut),
		cmocka_unit_test(test_stream_ignores_unknown),
		cmocka_unit_test(test_stream_bad_event_json),
		cmocka_unit_test(test_stream_exception_shapes),
		cmocka_unit_test(test_stream_reader_stops),
		cmocka_unit_test(test_stop_reasons),
		cmocka_unit_test(test_model_path),
		cmocka_unit_test(test_model_id_check),
		cmocka_unit_test(test_request_json),
		cmocka_unit_test(test_signing_vectors),
		cmocka_unit_test(test_signing_port_base_path_and_fresh_date),
		cmocka_unit_test(test_bearer_headers),
		cmocka_unit_test(test_error_code),
		cmocka_unit_test(test_http_error_sentence),
		cmocka_unit_test(test_init_failures),
		cmocka_unit_test(test_fake_chat),
		cmocka_unit_test(test_fake_retries),
		cmocka_unit_test(test_fake_cancel),
		cmocka_unit_test(test_fake_list_models),
		cmocka_unit_test(test_fake_embeddings),
	};
	return cmocka_run_group_tests(tests, fake_start, fake_stop);
}
