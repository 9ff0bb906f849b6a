/* http — HTTP(S) calls on the event loop's curl multi handle (DESIGN.md §3, §8).
 *
 * http_start() copies everything it needs from the request (URL, method,
 * headers, body), so the caller may free its buffers as soon as it returns,
 * and hands back a call that runs inside the loop beside any number of
 * others, in one thread. A call reports through three callbacks:
 *   on_head  once, with the final response's status and headers (1xx skipped);
 *   on_body  body bytes as they arrive, for a streaming parser; with a NULL
 *            on_body the body is collected and handed to on_done instead;
 *   on_done  exactly once, from the loop, with a struct http_result, unless
 *            the call was cancelled. The call is freed when on_done returns.
 * on_head and on_body run inside curl's header/write callbacks: they must not
 * draw, call SQLite or block; they feed a parser and return HTTP_CONTINUE or
 * HTTP_STOP (ends the call with HTTP_ERR_ABORTED). on_done may do anything:
 * start a new call (a retry), cancel others, free the user data.
 * http_start() and http_cancel() are safe from any loop callback; called from
 * inside on_head/on_body they take effect on a zero-delay timer later in the
 * same pass. A cancelled call never calls on_done again and no callback of it
 * runs after http_cancel() returns; its connection is closed at once.
 * Before loop_free(), cancel every running call (else it leaks).
 *
 * Policy, checked before any connection (a refusal reaches on_done, from the
 * loop, as HTTP_ERR_POLICY): https only; plain http only to a loopback host
 * (127.0.0.0/8, ::1, localhost) or with allow_http set from the user's
 * config; no other scheme (file:, ftp:, ... are refused). TLS peer and host
 * verification are always on; there is no switch to turn them off, ca_bundle
 * only replaces the trusted roots. A refused certificate's message says why
 * (not signed by a trusted CA or by one in the bundle, expired, not for that
 * name) and the fix, naming network.ca_bundle, the setting behind ca_bundle. Redirects are never followed: a 3xx ends
 * the call with HTTP_ERR_REDIRECT naming the status and Location. Header names
 * must be tokens and values must not hold CR, LF or other control characters;
 * curl's own Expect: 100-continue and form Content-Type are never sent (set
 * Content-Type yourself). Proxies come from the environment exactly as
 * libcurl reads it (https_proxy / HTTPS_PROXY, http_proxy but not HTTP_PROXY,
 * ALL_PROXY, NO_PROXY), except that a loopback host never goes through a
 * proxy (it would see plain http, keys included), whatever NO_PROXY says.
 *
 * Limits: connect timeout (DNS + TCP + proxy + TLS) default 10 s; idle
 * timeout (connected, and no byte sent or received for that long) default
 * 60 s; no total timeout, so a stream lasts as long as it keeps talking.
 * The body is capped (default 64 MiB) counting bytes as they arrive; a
 * Content-Length above the cap stops the call before the body.
 *
 * DNS runs off the loop's thread only when libcurl has AsynchDNS; without it
 * every lookup blocks the loop (http_check_curl() says so, for doctor).
 * Header values are never logged (Authorization, x-api-key,
 * X-Amz-Security-Token... are secrets); the debug log line has no query. */
#ifndef AIWB_NET_HTTP_H
#define AIWB_NET_HTTP_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

struct loop;
struct http_call;

#define HTTP_CONNECT_TIMEOUT_MS 10000
#define HTTP_IDLE_TIMEOUT_MS 60000
#define HTTP_MAX_RESPONSE_BYTES ((size_t)64 << 20)

/* ---- header lists ---- */

struct http_header {
	const char *name;
	const char *value;
};

/* Owns a copy of every name and value; a zeroed struct is an empty list. */
struct http_headers {
	struct http_header *v;
	size_t n;
	size_t cap;
};

#define HTTP_HEADERS_INIT {NULL, 0, 0}

void http_headers_add(struct http_headers *h, const char *name, const char *value);
/* First value whose name matches case-insensitively; borrowed; NULL when absent. */
const char *http_headers_get(const struct http_headers *h, const char *name);
/* x-request-id, request-id, x-amzn-RequestId or x-amz-request-id; NULL when none. */
const char *http_request_id(const struct http_headers *h);
void http_headers_clear(struct http_headers *h);
void http_headers_free(struct http_headers *h);
/* 1 for headers whose values must never be logged or shown. */
int http_header_is_secret(const char *name);

/* ---- results ---- */

#define HTTP_ERRORS(X)                                          \
	X(HTTP_OK, "ok")                                        \
	X(HTTP_ERR_CONNECT, "connect failed")                   \
	X(HTTP_ERR_DNS, "DNS failed")                           \
	X(HTTP_ERR_TLS, "TLS failed")                           \
	X(HTTP_ERR_CONNECT_TIMEOUT, "timed out connecting")     \
	X(HTTP_ERR_IDLE_TIMEOUT, "idle timeout")                \
	X(HTTP_ERR_TOO_LARGE, "too large")                      \
	X(HTTP_ERR_CANCELLED, "cancelled")                      \
	X(HTTP_ERR_ABORTED, "aborted by callback")              \
	X(HTTP_ERR_POLICY, "refused by policy")                 \
	X(HTTP_ERR_REDIRECT, "redirect not followed")           \
	X(HTTP_ERR_CUT, "connection cut")                       \
	X(HTTP_ERR_OTHER, "other")

#define HTTP_ERROR_ENUM(id, name) id,
/* The transfer's fate, not the HTTP status: a 429 arrives as HTTP_OK with
 * status 429. HTTP_ERR_CANCELLED never reaches on_done (cancelled calls are
 * silent); it exists so callers can record a cancelled run in the same terms. */
enum http_error { HTTP_ERRORS(HTTP_ERROR_ENUM) };
#undef HTTP_ERROR_ENUM

const char *http_error_name(enum http_error e);

/* Everything is borrowed for the duration of on_done. */
struct http_result {
	enum http_error error;
	const char *message;   /* one sentence; "" for a 2xx */
	int status;            /* final status; 0 when no response arrived */
	const struct http_headers *headers; /* of the final response */
	const char *request_id;             /* NULL when the server sent none */
	const struct buf *body; /* the body when on_body was NULL; else empty */
	uint64_t bytes_received; /* body bytes delivered */
	int64_t ttfb_us;         /* start to first response byte; 0 when none */
	int64_t total_us;        /* start to done */
	CURLcode curl_code;
};

/* Defaults for requests that leave connect/idle timeout at 0 and ca_bundle
 * NULL: the user's config "network" section. 0 / NULL restore the built-in
 * values. Call before starting calls; not from inside a callback. */
void http_set_defaults(int64_t connect_timeout_ms, int64_t idle_timeout_ms, const char *ca_bundle);
/* 1 when the user set the idle timeout (then callers keep it even where they
 * would pick a longer one of their own, e.g. a non-streaming call). */
int http_idle_timeout_configured(void);

/* ---- calls ---- */

enum { HTTP_CONTINUE = 0, HTTP_STOP = 1 };

typedef int (*http_head_fn)(int status, const struct http_headers *headers, void *ud);
typedef int (*http_body_fn)(const char *data, size_t len, void *ud);
typedef void (*http_done_fn)(struct loop *l, struct http_call *c, const struct http_result *r, void *ud);

struct http_request {
	const char *method;                 /* NULL: "POST" with a body, else "GET" */
	const char *url;
	const struct http_headers *headers; /* may be NULL */
	const void *body;
	size_t body_len;
	int64_t connect_timeout_ms;         /* 0: HTTP_CONNECT_TIMEOUT_MS */
	int64_t idle_timeout_ms;            /* 0: HTTP_IDLE_TIMEOUT_MS */
	size_t max_response_bytes;          /* 0: HTTP_MAX_RESPONSE_BYTES */
	const char *ca_bundle;              /* NULL: the system's roots */
	int allow_http;                     /* user opted in to plain http to any host */
	const char *unix_socket;            /* connect to this unix socket instead (URL host must be localhost) */

	http_head_fn on_head; /* may be NULL */
	http_body_fn on_body; /* NULL: collect the body for on_done */
	http_done_fn on_done; /* may be NULL */
	void *ud;
};

/* Never NULL: every failure, even a refused URL, arrives in on_done. */
struct http_call *http_start(struct loop *l, const struct http_request *req);
/* Stops and frees the call without calling on_done. No-op on NULL and inside
 * the call's own on_done. */
void http_cancel(struct http_call *c);

/* The policy check http_start applies, for config validation: 0, or -1 with
 * one sentence in e. */
int http_check_url(const char *url, int allow_http, struct err *e);

/* For doctor: 0 when libcurl has TLS and AsynchDNS, else -1 with one sentence
 * saying what is missing and what it costs. */
int http_check_curl(struct err *e);

#endif
