/* llm_json — what the OpenAI, Anthropic and Ollama providers share, and the
 * pieces of them that the unit tests drive without a network.
 *
 * Keys: llm_key_load() takes a provider's API key from its variable or its
 * key file, registers it as a secret in force (base/secret.h) and records where it came
 * from in p->key_source.
 *
 * Streams: a struct llm_stream reads one chat answer, streamed (SSE or NDJSON,
 * fed in any pieces) or whole, through the provider's wire, which turns each
 * decoded JSON object into text (delivered at once through on_text), usage,
 * a normalised stop reason, the end marker or an in-stream error. Any
 * chunking of the same bytes gives the same text, usage and ending.
 *
 * Calls: llm_chat_start() and llm_fetch_start() run one request on the loop
 * with the provider SDK's retry rules (net/retry.h), retried only while no
 * text has been delivered. A call ends exactly once (done / on_json) unless
 * cancelled with llm_call_cancel(), and frees itself after. Everything a call
 * needs is copied at start. llm_api_chat/list/embed() start them for one API
 * (struct llm_api: retry rules and headers), so a provider file holds only
 * what is its own: paths, request and answer shapes, headers and its wire.
 *
 * Errors are one sentence: "openai: HTTP 429 rate_limit_exceeded (request
 * req_1): Rate limit reached", read from the error bodies of all three APIs;
 * server text is not sanitized here (callers do), but no secret in force
 * (base/secret.h) appears in it, nor in a listing or embedding answer. */
#ifndef AIWB_LLM_JSON_H
#define AIWB_LLM_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "llm/provider.h"
#include "net/http.h"
#include "net/retry.h"

/* ---- keys ---- */

/* The key from $var (when set and not empty), else from the key file
 * creds_key_file(p->name), which must be mode 0600 (surrounding whitespace is
 * trimmed). Sets p->key_source ("env OPENAI_API_KEY", "key file /x/keys/openai")
 * and *key (caller frees with llm_key_free; NULL when there is none and it is
 * not required). Returns 0, or -1 with e when the file is unusable or a
 * required key is missing ("openai: no API key: set OPENAI_API_KEY or run:
 * aiwb keys set openai"). */
int llm_key_load(struct provider *p, const char *var, int required, char **key, struct err *e);
/* Wipes and frees. */
void llm_key_free(char *key);
/* Frees the key that init left in p->priv: ops.fini of the providers that
 * keep nothing else there. */
void llm_key_fini(struct provider *p);

/* ---- JSON and sentences ---- */

/* The string member, or NULL. */
const char *llm_json_str(const cJSON *o, const char *name);
/* The numeric member as an integer, or dflt when absent or not a number. */
int64_t llm_json_int(const cJSON *o, const char *name, int64_t dflt);
/* The array member, or NULL with e ("it has no \"NAME\" list"). */
const cJSON *llm_json_list(const cJSON *o, const char *name, struct err *e);
/* Prints o compactly and deletes it; caller frees the text. */
char *llm_json_print(cJSON *o);
/* [{"role","content"}...] with the system message first when with_system. */
cJSON *llm_json_messages(const struct llm_request *rq, int with_system);
cJSON *llm_json_strings(const char *const *v, size_t n);
/* The code (a string code, else the type), message and request id of an
 * error object in any of the three shapes (see llm_error_body); borrowed
 * from j, NULL when absent. */
void llm_error_fields(const cJSON *j, const char **code, const char **message, const char **request_id);

/* The normalised stop reason: stop -> end_turn, length -> max_tokens,
 * tool_calls / function_call -> tool_use, refusal -> content_filter;
 * end_turn, max_tokens, stop_sequence, tool_use, content_filter stay; any
 * other value is kept as sent. Borrowed (reason itself when unchanged). */
const char *llm_stop_reason(const char *reason);

/* "NAME: WHAT CODE (request ID): MESSAGE", each part left out when empty. */
void llm_sentence(char *out, size_t size, const char *provider, const char *what, const char *code,
		  const char *request_id, const char *message);

/* Reads an error body of any of the three APIs: OpenAI {"error":{"message",
 * "type","code"}} (code, else type), Anthropic {"type":"error","error":
 * {"type","message"},"request_id"}, Ollama {"error":"message"}. Outputs are
 * "" when absent; a body that is not JSON gives its first line as message. */
void llm_error_body(const char *body, size_t len, char *code, size_t ncode, char *message, size_t nmessage,
		    char *request_id, size_t nrequest_id);

/* ---- chat answers ---- */

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

extern const struct llm_wire llm_openai_wire;
extern const struct llm_wire llm_anthropic_wire;
extern const struct llm_wire llm_ollama_wire;

/* ---- requests (request bodies, for the tests too; caller frees) ---- */

/* max_completion_tokens when real_openai, else max_tokens (see openai.c). */
char *llm_openai_request(const struct llm_request *rq, int real_openai);
char *llm_anthropic_request(const struct llm_request *rq);
char *llm_ollama_request(const struct llm_request *rq);
/* OLLAMA_HOST as Ollama reads it: "host", "host:port", "scheme://host:port/path";
 * default port 11434 (80/443 with an explicit scheme); 0.0.0.0 and :: mean
 * this machine. Caller frees. */
char *llm_ollama_base_url(const char *host);

/* ---- model lists and embeddings (for the tests too) ---- */

/* Appends the models of one page to list; sets *cursor (caller frees) when
 * another page follows. -1 with e when the answer has the wrong shape. */
typedef int (*llm_models_fn)(const cJSON *body, struct llm_model_list *list, char **cursor, struct err *e);
int llm_openai_models(const cJSON *body, struct llm_model_list *list, char **cursor, struct err *e);
int llm_anthropic_models(const cJSON *body, struct llm_model_list *list, char **cursor, struct err *e);
int llm_ollama_models(const cJSON *body, struct llm_model_list *list, char **cursor, struct err *e);
/* A new zeroed entry with a copy of id. */
struct llm_model *llm_models_add(struct llm_model_list *list, const char *id);
/* Frees the entries (as llm_model_list_free). */
void llm_models_clear(struct llm_model_list *list);

/* Fills emb (values allocated, caller frees emb->values) from an embeddings
 * answer for n inputs; -1 with e when the shape is wrong. */
typedef int (*llm_embed_fn)(const cJSON *body, size_t n, struct llm_embedding *emb, struct err *e);
int llm_openai_embedding(const cJSON *body, size_t n, struct llm_embedding *emb, struct err *e);
int llm_ollama_embedding(const cJSON *body, size_t n, struct llm_embedding *emb, struct err *e);
/* The list member name of an embeddings answer when it holds one entry per
 * input (n of them), else NULL with e. */
const cJSON *llm_embedding_rows(const cJSON *body, const char *name, size_t n, struct err *e);
/* Stores vector vec (a JSON array of numbers) as row `row` of n; the first
 * row sets the dimension. -1 with e on a bad or mismatched vector. */
int llm_embedding_put(struct llm_embedding *emb, size_t n, size_t row, const cJSON *vec, struct err *e);

/* ---- calls ---- */

struct llm_call;

struct llm_call_setup {
	const struct provider *p;  /* name, allow_http; read at start only */
	const char *secret;        /* the key, registered as a secret in force; may be NULL */
	enum retry_family retry;
	int max_attempts;          /* 0: the family's default (3) */
	const char *method;        /* NULL: POST with a body, else GET */
	const char *url;
	const struct http_headers *headers;
	const char *body;
	size_t body_len;
};

/* A chat: the answer goes through w into h->on_text; h->done once, from the
 * loop. NULL with e when the URL is refused. */
struct provider_call *llm_chat_start(struct loop *l, const struct llm_call_setup *cs, const struct llm_wire *w,
				     int stream, const struct llm_handlers *h, void *ud, struct err *e);

/* on_json gets the parsed body of a 2xx answer, or NULL and one sentence. It
 * returns 0 to end the call, or 1 after llm_call_next() to fetch another page
 * with the same call. free_ud(ud) runs when the call is freed, however it
 * ends (also when llm_fetch_start fails). */
typedef int (*llm_json_fn)(struct llm_call *c, const cJSON *body, const struct err *e, void *ud);
struct provider_call *llm_fetch_start(struct loop *l, const struct llm_call_setup *cs, llm_json_fn on_json,
				      void *ud, void (*free_ud)(void *ud), struct err *e);
void llm_call_next(struct llm_call *c, const char *url);

/* GET cs->url, read with parse; pages continue with &cursor_param=CURSOR
 * (at most 20 pages). done as in provider_ops.list_models. */
struct provider_call *llm_list_start(struct loop *l, const struct llm_call_setup *cs, llm_models_fn parse,
				     const char *cursor_param,
				     void (*done)(void *ud, const struct llm_model_list *list, const struct err *e),
				     void *ud, struct err *e);
/* POST cs->body, read with parse for n inputs; done as in provider_ops.embed. */
struct provider_call *llm_embed_start(struct loop *l, const struct llm_call_setup *cs, llm_embed_fn parse, size_t n,
				      void (*done)(void *ud, const struct llm_embedding *emb, const struct err *e),
				      void *ud, struct err *e);

/* Stops the call (its HTTP transfer or its retry timer) and frees it; no
 * callback of it runs afterwards. Every provider's ops.cancel. */
void llm_call_cancel(struct provider_call *pc);
/* Cancels *http and deletes the timer *timer, each when set, and clears
 * both: what stopping a call means for llm_call and Bedrock's calls alike. */
void llm_transfer_stop(struct loop *l, struct http_call **http, int64_t *timer);

/* ---- the HTTP JSON APIs (OpenAI, Anthropic, Ollama) ---- */

/* What every call to one API carries: its SDK's retry rules and its headers
 * (json: a JSON body follows). */
struct llm_api {
	enum retry_family retry;
	void (*headers)(const struct provider *p, struct http_headers *h, int json);
};

/* "Authorization: Bearer KEY" when p->priv holds a key, then the JSON
 * content type when json. */
void llm_bearer_headers(const struct provider *p, struct http_headers *h, int json);
/* Cuts the trailing slashes off a URL or path, in place. */
void llm_trim_slashes(char *url);

/* One call of api to p->base_url followed by path, started as the llm_*_start
 * above do; NULL with e when it cannot start. A chat POSTs body (freed
 * here); a model list is a GET tried once; embed POSTs body (printed and
 * deleted here) and refuses n == 0 ("NAME: nothing to embed"). */
struct provider_call *llm_api_chat(const struct llm_api *api, const struct provider *p, struct loop *l,
				   const char *path, char *body, const struct llm_wire *w, int stream,
				   const struct llm_handlers *h, void *ud, struct err *e);
struct provider_call *llm_api_list(const struct llm_api *api, const struct provider *p, struct loop *l,
				   const char *path, llm_models_fn parse, const char *cursor_param,
				   void (*done)(void *ud, const struct llm_model_list *list, const struct err *e),
				   void *ud, struct err *e);
struct provider_call *llm_api_embed(const struct llm_api *api, const struct provider *p, struct loop *l,
				    const char *path, cJSON *body, llm_embed_fn parse, size_t n,
				    void (*done)(void *ud, const struct llm_embedding *emb, const struct err *e),
				    void *ud, struct err *e);

/* Adds the parameters that are set (temperature, top_p, max_tokens, stop) to o,
 * as history and `prompt show` record them. */
void llm_params_add_json(cJSON *o, const struct llm_params *p);

#endif
