/* stream — one chat answer of the OpenAI, Anthropic or Ollama API, decoded.
 *
 * A struct llm_stream reads one answer, streamed (SSE or NDJSON, fed in any
 * pieces) or whole, through the API's wire, which turns each decoded JSON
 * object into text (delivered at once through on_text), usage, a normalised
 * stop reason, the end marker or an in-stream error. Any chunking of the
 * same bytes gives the same text, usage and ending. */
#ifndef AIWB_LLM_STREAM_H
#define AIWB_LLM_STREAM_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "llm/provider.h"

struct llm_stream;

/* How one API's chat answer reads. */
struct llm_wire {
	int ndjson;              /* NDJSON lines (a non-streamed answer is one line); else SSE */
	const char *done_data;   /* SSE data that ends the stream ("[DONE]"), or NULL */
	const char *end_marker;  /* named when a stream is cut: "data: [DONE]", "message_stop", ... */
	/* One decoded object of a stream; type is the SSE event name ("message"
	 * when none) or NULL for NDJSON. */
	void (*event)(struct llm_stream *s, const char *type, const cJSON *obj);
	/* The object of an answer that was not streamed (SSE wires only). */
	void (*whole)(struct llm_stream *s, const cJSON *obj);
};

struct llm_stream {
	const struct llm_wire *wire;
	const char *provider;     /* name for messages; borrowed */
	void (*on_text)(void *ud, const char *text, size_t len);
	void *ud;
	struct llm_result res;    /* stop_reason, usage, error_code, message; status set by the end */
	uint64_t text_bytes;      /* handed to on_text */
	int ended;                /* the end marker came */
	int failed;               /* an in-stream error or undecodable data: res.message says which */
	/* server timings in nanoseconds (Ollama's *_duration), -1 when not sent */
	int64_t total_ns, load_ns, prompt_eval_ns, eval_ns;
	/* private */
	struct sse_parser *sse;
	struct ndjson_parser *nd;
	int at_end;
	int whole;
};

/* A fresh answer; res.usage is -1/-1. Free with llm_stream_free. */
void llm_stream_init(struct llm_stream *s, const struct llm_wire *w, const char *provider,
		     void (*on_text)(void *ud, const char *text, size_t len), void *ud);
/* Forgets everything decoded so far (another attempt; nothing was delivered). */
void llm_stream_reset(struct llm_stream *s);
void llm_stream_feed(struct llm_stream *s, const void *bytes, size_t n);
/* The streamed body ended; cut is why the transfer stopped early (http's
 * sentence) or NULL. Sets res.status: LLM_ERROR after an in-stream error,
 * LLM_OK when the end marker came, else LLM_CUT with a message. */
void llm_stream_end(struct llm_stream *s, const char *cut);
/* An answer that was not streamed: one JSON object (for NDJSON wires, the lines). */
void llm_stream_whole(struct llm_stream *s, const char *body, size_t len, const char *cut);
void llm_stream_free(struct llm_stream *s);

/* For the wires. */
void llm_stream_text(struct llm_stream *s, const char *text, size_t len);
void llm_stream_set_stop(struct llm_stream *s, const char *reason);
/* An error reported inside the answer: LLM_ERROR naming code, text kept. */
void llm_stream_error(struct llm_stream *s, const char *code, const char *message);

/* The normalised stop reason: stop -> end_turn, length -> max_tokens,
 * tool_calls / function_call -> tool_use, refusal -> content_filter;
 * end_turn, max_tokens, stop_sequence, tool_use, content_filter stay; any
 * other value is kept as sent. Borrowed (reason itself when unchanged). */
const char *llm_stop_reason(const char *reason);

#endif
