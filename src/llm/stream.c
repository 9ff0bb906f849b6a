#include "llm/stream.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/json.h"
#include "llm/errors.h"
#include "net/ndjson.h"
#include "net/sse.h"

static int filled(const char *s)
{
	return s && *s;
}

const char *llm_stop_reason(const char *reason)
{
	static const char *const map[][2] = {
		{ "stop", "end_turn" },
		{ "length", "max_tokens" },
		{ "tool_calls", "tool_use" },
		{ "function_call", "tool_use" },
		{ "refusal", "content_filter" },
	};
	for (size_t i = 0; reason && i < sizeof map / sizeof *map; i++)
		if (strcmp(reason, map[i][0]) == 0)
			return map[i][1];
	return reason ? reason : "";
}

static void stream_failed(struct llm_stream *s, const char *what)
{
	s->failed = 1;
	llm_sentence(s->res.message, sizeof s->res.message, s->provider,
		     s->whole ? "the answer is malformed" : "the stream is malformed", NULL, NULL, what);
}

static void decode(struct llm_stream *s, const char *type, const char *data, size_t len)
{
	if (s->ended || s->failed)
		return;
	const char *done = s->wire->done_data;
	if (done && len >= strlen(done) && memcmp(data, done, strlen(done)) == 0) {
		s->ended = 1;
		return;
	}
	size_t i = 0;
	while (i < len && isspace((unsigned char)data[i]))
		i++;
	if (i == len)
		return;
	cJSON *obj = json_parse(data, len, 0);
	if (!obj) {
		/* at the end of a body, an event that does not parse is the cut tail */
		if (!s->at_end)
			stream_failed(s, "it held data that is not JSON");
		return;
	}
	s->wire->event(s, type, obj);
	cJSON_Delete(obj);
}

static int on_sse_event(void *ud, const struct sse_event *ev)
{
	decode(ud, ev->type, ev->data, ev->data_len);
	return 0;
}

static int on_ndjson_line(void *ud, const char *line, size_t len)
{
	decode(ud, NULL, line, len);
	return 0;
}

void llm_stream_reset(struct llm_stream *s)
{
	memset(&s->res, 0, sizeof s->res);
	s->res.usage.input_tokens = s->res.usage.output_tokens = -1;
	s->res.first_byte_us = -1;
	s->text_bytes = 0;
	s->ended = s->failed = s->at_end = s->whole = 0;
	s->total_ns = s->load_ns = s->prompt_eval_ns = s->eval_ns = -1;
	sse_free(s->sse);
	ndjson_free(s->nd);
	s->sse = NULL;
	s->nd = NULL;
	if (s->wire->ndjson)
		s->nd = ndjson_new(0, on_ndjson_line, s);
	else
		s->sse = sse_new(0, on_sse_event, s);
}

void llm_stream_init(struct llm_stream *s, const struct llm_wire *w, const char *provider,
		     void (*on_text)(void *ud, const char *text, size_t len), void *ud)
{
	memset(s, 0, sizeof *s);
	s->wire = w;
	s->provider = provider;
	s->on_text = on_text;
	s->ud = ud;
	llm_stream_reset(s);
}

void llm_stream_free(struct llm_stream *s)
{
	sse_free(s->sse);
	ndjson_free(s->nd);
	s->sse = NULL;
	s->nd = NULL;
}

void llm_stream_feed(struct llm_stream *s, const void *bytes, size_t n)
{
	struct err e = ERR_INIT;
	if (s->ended || s->failed || !n)
		return;
	int rc = s->sse ? sse_feed(s->sse, bytes, n, &e) : ndjson_feed(s->nd, bytes, n, &e);
	if (rc < 0)
		stream_failed(s, e.msg);
}

static void settle(struct llm_stream *s, const char *cut)
{
	if (s->failed) {
		s->res.status = LLM_ERROR;
	} else if (s->ended) {
		s->res.status = LLM_OK;
	} else {
		char why[600];
		s->res.status = LLM_CUT;
		if (cut && *cut)
			snprintf(why, sizeof why, "%s; the answer is incomplete", cut);
		else
			snprintf(why, sizeof why, "it ended before %s; the answer is incomplete", s->wire->end_marker);
		llm_sentence(s->res.message, sizeof s->res.message, s->provider,
			     s->whole ? "the answer was cut" : "the stream was cut", NULL, NULL, why);
	}
}

void llm_stream_end(struct llm_stream *s, const char *cut)
{
	if (!s->ended && !s->failed) {
		s->at_end = 1;
		if (s->sse) {
			/* a last event without its blank line still counts when it is whole */
			sse_feed(s->sse, "\n\n", 2, NULL);
			sse_finish(s->sse);
		} else {
			ndjson_finish(s->nd, NULL);
		}
		s->at_end = 0;
	}
	settle(s, cut);
}

void llm_stream_whole(struct llm_stream *s, const char *body, size_t len, const char *cut)
{
	s->whole = 1;
	if (s->wire->ndjson) {
		llm_stream_feed(s, body, len);
		llm_stream_end(s, cut);
		return;
	}
	cJSON *obj = body && len ? json_parse(body, len, 0) : NULL;
	if (!obj) {
		if (!cut)
			stream_failed(s, "it is not JSON");
		settle(s, cut);
		return;
	}
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(obj, "error");
	if (err && !cJSON_IsNull(err)) {
		const char *code, *msg, *rid;
		llm_error_fields(obj, &code, &msg, &rid);
		llm_stream_error(s, code, msg);
	} else {
		s->wire->whole(s, obj);
		if (!s->ended && !s->failed)
			stream_failed(s, "it holds no message");
	}
	cJSON_Delete(obj);
	settle(s, cut);
}

void llm_stream_text(struct llm_stream *s, const char *text, size_t len)
{
	if (!text || !len)
		return;
	s->text_bytes += len;
	if (s->on_text)
		s->on_text(s->ud, text, len);
}

void llm_stream_set_stop(struct llm_stream *s, const char *reason)
{
	if (filled(reason))
		snprintf(s->res.stop_reason, sizeof s->res.stop_reason, "%s", llm_stop_reason(reason));
}

void llm_stream_error(struct llm_stream *s, const char *code, const char *message)
{
	char what[48];
	s->failed = 1;
	llm_copy_out(s->res.error_code, sizeof s->res.error_code, code);
	snprintf(what, sizeof what, "the %s reported%s", s->whole ? "answer" : "stream", filled(code) ? "" : " an error");
	llm_sentence(s->res.message, sizeof s->res.message, s->provider, what, code, s->res.request_id,
		     filled(message) ? message : "no message given");
}
