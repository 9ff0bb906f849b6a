/* provider — one ops table per model API (STYLE.md 5): Bedrock, OpenAI (and
 * every OpenAI-compatible server), Anthropic, Ollama.
 *
 * A struct provider is a configured endpoint: its name (the PROVIDER part of
 * PROVIDER/MODEL), its type, base URL, credentials source and options. The
 * ops start asynchronous calls on the event loop and report through
 * callbacks, always from the loop (never from inside a curl callback for
 * `done`; `on_text` may run inside curl's write callback and must only append
 * to buffers). Nothing here blocks, draws or touches SQLite.
 *
 * Retries follow the provider's own SDK (net/retry.h) and happen inside the
 * provider: a call is retried only while nothing has been delivered through
 * on_text, and every AWS retry is signed afresh. A call ends exactly once with
 * `done`, unless cancelled with provider_cancel (then `done` is not called).
 * Errors name the provider, the HTTP status, the error code and the request id
 * ("openai: HTTP 429 rate_limit_exceeded (request req_abc): Rate limit reached");
 * they never contain a credential. */
#ifndef AIWB_PROVIDER_H
#define AIWB_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "config.h"
#include "loop.h"

struct provider;
struct provider_ops;

/* Each provider's call object embeds this first; provider_cancel dispatches on it. */
struct provider_call {
	const struct provider_ops *ops;
};

struct llm_message {
	const char *role; /* "user" or "assistant" */
	const char *content;
};

/* The max_tokens an Anthropic request carries when the caller sets none (the
 * API requires one). */
#define LLM_ANTHROPIC_DEFAULT_MAX_TOKENS 1024

struct llm_params {
	int has_temperature, has_top_p, has_max_tokens;
	double temperature;
	double top_p;
	int max_tokens;          /* when absent, a provider that needs one (Anthropic) uses 1024 */
	const char *const *stop; /* stop sequences */
	size_t nstop;
};

struct llm_request {
	const char *model;       /* MODEL part, e.g. "gpt-4o-mini" */
	const char *system;      /* may be NULL */
	const struct llm_message *messages;
	size_t nmessages;
	struct llm_params params;
	int stream;              /* 0: one non-streaming call (text arrives at once) */
};

struct llm_usage {
	int64_t input_tokens, output_tokens; /* -1 when the provider gave none */
};

enum llm_status {
	LLM_OK,         /* the model finished (stop reason set) */
	LLM_CUT,        /* the stream ended before its end marker: text is partial */
	LLM_ERROR,      /* HTTP, protocol or in-stream error: see message */
	LLM_CANCELLED,
};

struct llm_result {
	enum llm_status status;
	char stop_reason[64];    /* normalised: "end_turn", "max_tokens", "stop_sequence", "tool_use", ... or "" */
	struct llm_usage usage;
	char request_id[128];
	long http_status;        /* 0 when no response */
	char error_code[96];     /* "throttlingException", "rate_limit_exceeded", ... or "" */
	char message[768];       /* one sentence for LLM_CUT/LLM_ERROR, "" otherwise */
	int attempts;            /* 1 + retries */
	int64_t first_byte_us;   /* first response byte, from the start of the final attempt; -1 when none */
};

struct llm_handlers {
	/* A piece of model text, as the provider sent it (unsanitized). */
	void (*on_text)(void *ud, const char *text, size_t len);
	void (*done)(void *ud, const struct llm_result *r);
	/* Optional: an attempt failed and attempt `next` of `max` starts in
	 * delay_ms; reason is one phrase ("HTTP 429, retry 1 of 2 in 1.0 s"). */
	void (*on_retry)(void *ud, int next, int max, int64_t delay_ms, const char *reason);
};

struct llm_model {
	char *id;           /* as the API names it */
	char *name;         /* display name, may be NULL */
	char *owner;        /* "Anthropic", "system", ... may be NULL */
	int streaming;      /* 1 when it can stream text */
	int embedding;      /* 1 for embedding models */
};

struct llm_model_list {
	struct llm_model *models;
	size_t n;
};

struct llm_embedding {
	float *values;      /* n vectors of dim floats, row-major; owned by the provider, valid during done */
	size_t n, dim;
	struct llm_usage usage;
};

/* What an embedding is for: retrieval models that embed queries and
 * documents differently (Cohere's input_type) are told which; dimensions
 * asks for shorter vectors where the model can give them (OpenAI
 * text-embedding-3, Titan v2: 256, 512 or 1024); 0 keeps the model's own. */
enum llm_embed_purpose { LLM_EMBED_DOCUMENT, LLM_EMBED_QUERY };

struct llm_embed_opts {
	enum llm_embed_purpose purpose;
	int dimensions;
};

struct provider_ops {
	const char *type; /* "openai", "anthropic", "bedrock", "ollama" */
	/* Fills *p from config/environment; returns -1 with e ("no OPENAI_API_KEY ...") when unusable. */
	int (*init)(struct provider *p, struct err *e);
	void (*fini)(struct provider *p);
	struct provider_call *(*chat)(struct provider *p, struct loop *l, const struct llm_request *rq,
				      const struct llm_handlers *h, void *ud, struct err *e);
	/* done gets the list (owned by the callee until done returns) or an error. */
	struct provider_call *(*list_models)(struct provider *p, struct loop *l,
					     void (*done)(void *ud, const struct llm_model_list *list, const struct err *e),
					     void *ud, struct err *e);
	/* eo may be NULL: documents, the model's dimensions. */
	struct provider_call *(*embed)(struct provider *p, struct loop *l, const char *model,
				       const struct llm_embed_opts *eo, const char *const *texts, size_t ntexts,
				       void (*done)(void *ud, const struct llm_embedding *emb, const struct err *e),
				       void *ud, struct err *e);
	void (*cancel)(struct provider_call *c);
};

struct provider {
	const struct provider_ops *ops;
	char *name;        /* "openai", "vllm", ... */
	char *type;
	char *base_url;    /* resolved endpoint (env/config/default) */
	char *key_source;  /* where the credential came from, for doctor/models; never the key */
	int allow_http;
	const struct config_provider *config; /* its entry in config.json, or NULL (borrowed) */
	void *priv;        /* the provider's own state (keys, AWS config, ...), set by init */
};

extern const struct provider_ops provider_openai_ops;
extern const struct provider_ops provider_anthropic_ops;
extern const struct provider_ops provider_bedrock_ops;
extern const struct provider_ops provider_ollama_ops;

/* A provider by name: the built-ins (openai, anthropic, bedrock, ollama) and
 * every provider in cfg. Returns NULL with e when unknown or unusable. Caller
 * frees with provider_free. */
struct provider *provider_open(const struct config *cfg, const char *name, struct err *e);
void provider_free(struct provider *p);
/* The API type of a provider name (built-in or configured), or NULL when unknown. */
const char *provider_type_of(const struct config *cfg, const char *name);
/* Splits "PROVIDER/MODEL" (the model may contain '/' and ':'); returns -1 with e when malformed. */
int provider_split_model(const char *spec, char **provider, char **model, struct err *e);
/* Names of the built-ins followed by the configured ones (deduplicated); borrowed strings. */
size_t provider_names(const struct config *cfg, const char **out, size_t max);

void provider_cancel(struct provider_call *c);
void llm_model_list_free(struct llm_model_list *l);

#endif
