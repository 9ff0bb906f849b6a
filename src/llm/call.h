/* call — one HTTP request of an LLM provider on the loop, retried.
 *
 * llm_chat_start() and llm_fetch_start() run one request with the provider
 * SDK's retry rules (net/retry.h), retried only while no text has been
 * delivered. A call ends exactly once (done / on_json) unless cancelled with
 * llm_call_cancel(), and frees itself after. Everything a call needs is
 * copied at start. A failed call ends with one sentence (llm/errors.h) in
 * which no secret in force (base/secret.h) appears; nor does one appear in
 * the body handed to on_json. */
#ifndef AIWB_LLM_CALL_H
#define AIWB_LLM_CALL_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "llm/provider.h"
#include "llm/stream.h"
#include "net/http.h"
#include "net/retry.h"

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

/* Stops the call (its HTTP transfer or its retry timer) and frees it; no
 * callback of it runs afterwards. Every provider's ops.cancel. */
void llm_call_cancel(struct provider_call *pc);
/* Cancels *http and deletes the timer *timer, each when set, and clears
 * both: what stopping a call means for llm_call and Bedrock's calls alike. */
void llm_transfer_stop(struct loop *l, struct http_call **http, int64_t *timer);

#endif
