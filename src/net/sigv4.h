/* sigv4 — AWS Signature Version 4 for the Authorization header (PROTOCOLS.md §1).
 *
 * Pure functions: no I/O, no clock, no globals. The caller passes the time, so
 * each retry is signed again with a fresh X-Amz-Date by calling the same
 * function with the same request and a new `when`.
 *
 * sigv4_sign() is the canonicalising core. It signs every header it is given
 * (a `host` header is required) except user-agent, expect and x-amzn-trace-id,
 * adds x-amz-date, x-amz-security-token (when the credentials carry a token)
 * and, with sign_body, x-amz-content-sha256. The path is taken as sent on the
 * wire (already percent-encoded); for non-S3 services it is normalised and
 * encoded a second time (`v1%3A0` is signed as `v1%253A0`). The query is split,
 * decoded and re-encoded strictly (a '+' is a plus sign, send spaces as %20),
 * then sorted. Obsolete folded header values
 * (CRLF or LF followed by a space or tab) are accepted and become one space;
 * any other CR or LF is refused.
 *
 * sigv4_sign_request() is what providers call: it takes the endpoint (scheme,
 * host, port), adds Host (with :port only when not the scheme's default), signs,
 * and returns every header line to send — Host, X-Amz-Date, the security token,
 * the caller's headers passed through, Authorization — ready for
 * curl_slist_append (an empty value is written "Name;", curl's form for it). It refuses CR, LF and other control characters anywhere in
 * what it would send.
 *
 * Every result string is owned by the result and freed by its _free function.
 * Results contain no secret key; the session token appears only in the header
 * it must be sent in (and in the canonical request). Errors never contain a
 * secret. */
#ifndef AIWB_SIGV4_H
#define AIWB_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "base/err.h"

#define SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct sigv4_header {
	const char *name;
	const char *value;
};

struct sigv4_creds {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token; /* NULL or "" when none */
};

/* NULL options mean the non-S3 defaults: double_encode and normalize_path on,
 * sign_body off. S3 would use all three off (and sign the body hash header). */
struct sigv4_opts {
	bool double_encode;  /* URI-encode the wire path again */
	bool normalize_path; /* drop "." and ".." and empty segments */
	bool sign_body;      /* add and sign x-amz-content-sha256 */
};

struct sigv4_request {
	const char *method;                 /* "GET", "POST" */
	const char *path;                   /* as on the wire; "" means "/"; may carry "?query" when query is NULL */
	const char *query;                  /* raw, without '?'; NULL or "" when none */
	const struct sigv4_header *headers; /* in the order they will be sent */
	size_t nheaders;
	const void *body; /* NULL when body_len is 0 */
	size_t body_len;
	const char *region;  /* "us-east-1" */
	const char *service; /* the signing name: "bedrock", "sagemaker", "monitoring", "logs" */
	/* Used by sigv4_sign_request only. */
	const char *scheme; /* "https" (NULL means https) or "http" */
	const char *host;   /* "bedrock-runtime.us-east-1.amazonaws.com", "127.0.0.1", "[::1]" */
	int port;           /* 0: the scheme's default */
};

struct sigv4_result {
	char *canonical_request;
	char *string_to_sign;
	char *signed_headers; /* "content-type;host;x-amz-date" */
	char *authorization;  /* the whole Authorization header value */
	char *scope;          /* "20150830/us-east-1/bedrock/aws4_request" */
	char signature[65];
	char amz_date[17];     /* "20150830T123600Z" */
	char payload_hash[65];
};

struct sigv4_signed {
	struct sigv4_result sig;
	char **lines; /* "Name: value", nlines of them */
	size_t nlines;
};

/* 0, or -1 with e set (and *out zeroed). */
int sigv4_sign(const struct sigv4_request *req, time_t when, const struct sigv4_creds *creds,
	       const struct sigv4_opts *opts, struct sigv4_result *out, struct err *e);
void sigv4_result_free(struct sigv4_result *r);

/* The caller's headers must not include Host, Authorization, X-Amz-Date or
 * X-Amz-Security-Token: the signer owns those. Content-Length is best left to
 * the HTTP layer (it is then sent but not signed, as botocore does). */
int sigv4_sign_request(const struct sigv4_request *req, time_t when, const struct sigv4_creds *creds,
		       const struct sigv4_opts *opts, struct sigv4_signed *out, struct err *e);
void sigv4_signed_free(struct sigv4_signed *s);

/* The Host header value for an endpoint: lower-case host, ":port" only when
 * port is set and differs from the scheme's default (botocore _host_from_url).
 * Caller frees. */
char *sigv4_host_header(const char *scheme, const char *host, int port);

/* Lower-case hex SHA-256 of data into out[65]. */
void sigv4_sha256_hex(const void *data, size_t len, char out[65]);

#endif
