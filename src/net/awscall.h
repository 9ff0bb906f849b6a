/* awscall — one signed AWS JSON request on the event loop, retried
 * (PROTOCOLS.md §1 SigV4, §7.1 the AWS JSON protocol, §9 standard retries).
 *
 * Two request shapes, one call:
 *   REST-JSON (Bedrock, Bedrock Agent): the operation is the method and the
 *     path; Content-Type and Accept application/json (Content-Type only with a
 *     body);
 *   JSON 1.0 / 1.1 (SageMaker, CloudWatch, CloudWatch Logs): POST / with
 *     X-Amz-Target: PREFIX.Operation (signed) and Content-Type
 *     application/x-amz-json-1.x; an empty body is sent as {}. query_mode adds
 *     x-amzn-query-mode: true, as botocore does for awsQueryCompatible
 *     services (CloudWatch).
 * Every attempt is signed afresh (SigV4 with the endpoint's signing name and
 * region at the time of the attempt, or a Bedrock API key as a bearer token)
 * and sent with net/http.h. Failures are retried by AWS standard mode
 * (net/retry.h: transport errors, 429, 5xx, throttling and transient codes)
 * on a loop timer, with the quota the caller shares between the calls of one
 * client; nothing blocks.
 *
 * done runs exactly once (unless the call is cancelled), from the loop, never
 * from awscall_start. Everything in the reply is borrowed for the length of
 * done; the call frees itself when done returns, so the caller forgets its
 * pointer in done and never cancels it there or after. The request's strings
 * are copied; ep, creds and quota are borrowed until done or cancel. */
#ifndef AIWB_NET_AWSCALL_H
#define AIWB_NET_AWSCALL_H

#include <stddef.h>
#include <time.h>

#include "base/err.h"
#include "net/awsauth.h"
#include "net/http.h"
#include "net/retry.h"

struct loop;
struct awscall;

struct awscall_request {
	const struct awsauth_endpoint *ep;
	const struct awsauth_creds *creds;
	const char *method;       /* NULL: POST */
	const char *path;         /* after ep's base path, as sent (percent-encoded); NULL: "/" */
	const char *query;        /* without '?'; NULL: none */
	const char *target;       /* JSON 1.x: "SageMaker.ListTrainingJobs"; NULL: REST-JSON */
	const char *json_version; /* with target: "1.0" or "1.1"; NULL: "1.1" */
	int query_mode;           /* JSON 1.x: add x-amzn-query-mode: true */
	const char *body;         /* NULL: none */
	size_t body_len;
	int allow_http;           /* the user's opt-in to plain http beyond loopback */
	struct retry_quota *quota;  /* the client's shared token bucket; NULL: none */
	double (*rand01)(void *ud); /* retry jitter; NULL: internal PRNG */
	void *rand_ud;
	const char *what;         /* names the call in log lines: "bedrock guardrail", "SageMaker ListTrainingJobs" */
};

struct awscall_reply {
	int ok;                 /* HTTP 200 */
	int status;             /* 0: no response */
	enum http_error error;  /* HTTP_OK when a response arrived */
	const char *failure;    /* without a response: one sentence (the transport's, or why signing failed) */
	int unsigned_retry;     /* a retry could not be signed: failure says why */
	char code[96];          /* the error code of a non-200 (x-amzn-ErrorType, __type, code; namespace and ':' part cut) */
	const struct http_headers *headers; /* NULL without a response */
	const char *body;       /* never NULL */
	size_t len;
	int attempts;
};

typedef void (*awscall_done_fn)(void *ud, const struct awscall_reply *r);

/* NULL with e set when the first attempt cannot be signed. */
struct awscall *awscall_start(struct loop *l, const struct awscall_request *rq, awscall_done_fn done, void *ud,
			      struct err *e);
/* Stops the call without calling done; NULL is a no-op. */
void awscall_cancel(struct awscall *c);

/* The headers of one attempt, appended to out: Content-Type and Accept when
 * given, then SigV4 for ep's signing name and region at `when` (Host,
 * X-Amz-Date, the session token, Authorization) or, for AWSAUTH_BEARER
 * credentials, Authorization: Bearer. extra headers (may be NULL) are signed
 * too. rest is the path after ep's base path, as sent; query without '?' or
 * NULL. 0, or -1 with e set. */
int awscall_headers(const struct awsauth_endpoint *ep, const struct awsauth_creds *creds, const char *method,
		    const char *rest, const char *query, const void *body, size_t len, const char *content_type,
		    const char *accept, const struct http_header *extra, size_t nextra, time_t when,
		    struct http_headers *out, struct err *e);

/* The error code of an AWS error response into out: error_type (the
 * x-amzn-ErrorType header) when set, else the body's code, __type or Code;
 * the part after the last '#' and before the first ':', control characters
 * dropped. "" when none. */
void awscall_error_code(const char *error_type, const char *body, size_t len, char *out, size_t size);

/* The service's own message of an error body ({"message"} or {"Message"}),
 * on one line, secrets redacted; "" when none. */
void awscall_service_message(const char *body, size_t len, char *out, size_t size);

/* One sentence for a failed reply: "NAME: HTTP 400 ValidationException: the
 * message (request id R)", or "NAME: the transport's sentence", with
 * " (after N attempts)" when it was retried. */
void awscall_sentence(const struct awscall_reply *r, const char *name, char *out, size_t size);

#endif
