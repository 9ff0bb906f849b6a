/* api — calls to the HTTP JSON APIs (OpenAI, Anthropic, Ollama).
 *
 * llm_api_chat/list/embed() start the calls of llm/call.h, llm/paging.h and
 * llm/embed_call.h for one API (struct llm_api: retry rules and headers), so
 * a provider file holds only what is its own: paths, request and answer
 * shapes, headers and its wire. */
#ifndef AIWB_LLM_API_H
#define AIWB_LLM_API_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "base/err.h"
#include "llm/call.h"
#include "llm/embed_call.h"
#include "llm/paging.h"
#include "llm/provider.h"
#include "llm/stream.h"
#include "net/http.h"
#include "net/retry.h"

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

/* One call of api to p->base_url followed by path; NULL with e when it
 * cannot start. A chat POSTs body (freed here); a model list is a GET tried
 * once; embed POSTs body (printed and deleted here) and refuses n == 0
 * ("NAME: nothing to embed"). */
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

#endif
