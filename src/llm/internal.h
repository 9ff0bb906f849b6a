/* internal — the parts of the OpenAI, Anthropic and Ollama providers that
 * their unit tests and benchmarks drive without a network. Only src/llm and
 * tests/ or bench/ include this; everything else goes through provider.h. */
#ifndef AIWB_LLM_INTERNAL_H
#define AIWB_LLM_INTERNAL_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "base/err.h"
#include "llm/embed_call.h"
#include "llm/paging.h"
#include "llm/provider.h"
#include "llm/stream.h"

/* How each API's chat answer reads. */
extern const struct llm_wire llm_openai_wire;
extern const struct llm_wire llm_anthropic_wire;
extern const struct llm_wire llm_ollama_wire;

/* Request bodies (caller frees). max_completion_tokens when real_openai,
 * else max_tokens (see openai.c). */
char *llm_openai_request(const struct llm_request *rq, int real_openai);
char *llm_anthropic_request(const struct llm_request *rq);
char *llm_ollama_request(const struct llm_request *rq);
/* OLLAMA_HOST as Ollama reads it: "host", "host:port", "scheme://host:port/path";
 * default port 11434 (80/443 with an explicit scheme); 0.0.0.0 and :: mean
 * this machine. Caller frees. */
char *llm_ollama_base_url(const char *host);

/* One page of each API's model list (llm_models_fn). */
int llm_openai_models(const cJSON *body, struct llm_model_list *list, char **cursor, struct err *e);
int llm_anthropic_models(const cJSON *body, struct llm_model_list *list, char **cursor, struct err *e);
int llm_ollama_models(const cJSON *body, struct llm_model_list *list, char **cursor, struct err *e);
/* Each API's embeddings answer (llm_embed_fn). */
int llm_openai_embedding(const cJSON *body, size_t n, struct llm_embedding *emb, struct err *e);
int llm_ollama_embedding(const cJSON *body, size_t n, struct llm_embedding *emb, struct err *e);

#endif
