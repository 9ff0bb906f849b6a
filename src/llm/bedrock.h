/* bedrock — the Amazon Bedrock provider (provider_bedrock_ops, llm/provider.h).
 *
 * Chat is Converse / ConverseStream on the bedrock-runtime endpoint, model
 * listing is ListFoundationModels on the control-plane endpoint, embeddings
 * are InvokeModel for Titan text embeddings and Cohere Embed (PROTOCOLS.md
 * §2). Every attempt is signed afresh (SigV4, signing name "bedrock"), or
 * carries the Bedrock API key as a bearer token; retries are AWS standard
 * mode (net/retry.h), never once text was delivered.
 *
 * The provider itself is reached only through the ops table. This header
 * exposes its pure pieces for tests/unit/test_bedrock.c: the ConverseStream
 * body handler, the request path and JSON, the HTTP error reading and the
 * header signing. Strings returned are owned by the caller. */
#ifndef AIWB_BEDROCK_H
#define AIWB_BEDROCK_H

#include <stddef.h>
#include <time.h>

#include "base/err.h"
#include "llm/provider.h"
#include "net/awsauth.h"
#include "net/http.h"

/* Model text from the stream; return non-zero to stop reading it. */
typedef int (*bedrock_text_fn)(void *ud, const char *text, size_t len);

struct bedrock_stream;

/* name: the provider name that starts every error sentence (copied). */
struct bedrock_stream *bedrock_stream_new(const char *name, bedrock_text_fn on_text, void *ud);
void bedrock_stream_free(struct bedrock_stream *s);
/* Feeds body bytes in any pieces: 0 to go on, non-zero once the stream
 * failed (exception or error message, damaged frame) or on_text said stop. */
int bedrock_stream_feed(struct bedrock_stream *s, const void *data, size_t len);
size_t bedrock_stream_text_bytes(const struct bedrock_stream *s);
/* The end of the body. cut: NULL for a clean end, else the sentence saying
 * how the connection broke. Fills status, stop_reason, usage, error_code and
 * message of r; r->request_id, when set, is named in error sentences. */
void bedrock_stream_end(struct bedrock_stream *s, const char *cut, struct llm_result *r);

/* 0 when model is a model id, inference profile id or ARN Bedrock could
 * know: 1 to 2048 letters, digits and . - _ : /, starting with a letter or
 * digit, no part between '/' empty, "." or ".."; else -1 with one sentence
 * naming the provider. Chat and embeddings refuse anything else before a
 * request is made. */
int bedrock_model_id_check(const char *name, const char *model, struct err *e);
/* "/model/<model id escaped as a path label>/<action>", e.g.
 * "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"; an id of dots
 * only has them escaped (%2E), so no id is ever a dot-segment. */
char *bedrock_model_path(const char *model, const char *action);
/* The Converse / ConverseStream request body. */
char *bedrock_request_json(const struct llm_request *rq);
/* Normalised stop reason into out ("end_turn", "max_tokens", ...; unknown values kept). */
void bedrock_stop_reason(const char *raw, char *out, size_t size);
/* The error code of an AWS rest-json error: x-amzn-ErrorType (the part before
 * ':' and after '#'), else the body's code / __type; "" when none. */
void bedrock_error_code(const char *error_type, const char *body, size_t len, char *out, size_t size);
/* Fills http_status, error_code, request_id and message of r for an HTTP
 * error response ("bedrock: HTTP 429 ThrottlingException (request 12ab):
 * Too many requests"). */
void bedrock_http_error(const char *name, int status, const struct http_headers *h, const char *body, size_t len,
			struct llm_result *r);
/* The headers of one attempt: SigV4 for ep's signing name and region at
 * `when`, or the bearer token. rest is the path after the endpoint's base
 * path, as sent; query without '?' or NULL. Appends to out. */
int bedrock_request_headers(const struct awsauth_endpoint *ep, const struct awsauth_creds *creds, const char *method,
			    const char *rest, const char *query, const void *body, size_t len,
			    const char *content_type, const char *accept, time_t when, struct http_headers *out,
			    struct err *e);
/* The provider's base_url from config.json in place of the endpoint ep. */
int bedrock_override_endpoint(struct awsauth_endpoint *ep, const char *url, struct err *e);
/* Deterministic retry delays for tests (NULL: the default). */
void bedrock_set_retry_rand(struct provider *p, double (*rand01)(void *ud), void *ud);

#endif
