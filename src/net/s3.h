/* s3 — Amazon S3 over REST/XML: ListObjectsV2 (every page, following
 * continuation tokens), GetObject and PutObject, signed with SigV4 (service
 * "s3": the path signed as sent, no second encoding, the payload's SHA-256 in
 * x-amz-content-sha256), on the loop through net/http.h.
 *
 * Endpoint: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile (net/awsauth.h);
 * with an endpoint given, requests are path-style (http://host:port/bucket/key),
 * otherwise virtual-hosted (https://bucket.s3.REGION.amazonaws.com/key; a
 * bucket with a '.' goes path-style, as the SDKs do, so TLS names match).
 * Region: AWS_REGION, AWS_DEFAULT_REGION, the profile's. Every attempt is
 * signed afresh and retried in AWS standard mode (net/retry.h: 500/503,
 * SlowDown, connection errors).
 *
 * A failure is one sentence naming the object and S3's error code from the
 * XML error body (NoSuchBucket, NoSuchKey, AccessDenied, ...) and what to do.
 * Keys and messages from the server are not sanitised here: print them
 * through base/sanitize.h. */
#ifndef AIWB_NET_S3_H
#define AIWB_NET_S3_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

struct loop;
struct s3;

/* "s3://bucket/key/or/prefix": 1 when s starts with "s3://". */
int s3_is_uri(const char *s);
/* Splits an s3:// URI; key may be "" (the whole bucket). Caller frees both.
 * -1 with e when it is not one or the bucket name is not a bucket name. */
int s3_uri_parse(const char *uri, char **bucket, char **key, struct err *e);

/* profile, region: NULL for the environment's and the AWS files'. NULL with
 * e when credentials, region or the endpoint cannot be resolved. */
struct s3 *s3_new(const char *profile, const char *region, struct err *e);
void s3_free(struct s3 *s);
const char *s3_region(const struct s3 *s);
/* Deterministic retry delays for tests (NULL: random). */
void s3_set_retry_rand(struct s3 *s, double (*rand01)(void *ud), void *ud);

struct s3_object {
	char *key;
	int64_t size;
	char *last_modified; /* as S3 wrote it, "" when absent */
	char *etag;          /* "" when absent */
};
void s3_objects_free(struct s3_object *v, size_t n);

/* ---- on the loop: done runs once, from the loop, unless cancelled; e is
 * NULL on success. Nothing is borrowed after the start call returns. */
struct s3_call;
typedef void (*s3_list_fn)(void *ud, const struct s3_object *v, size_t n, const struct err *e);
typedef void (*s3_get_fn)(void *ud, const char *data, size_t len, const struct err *e);
typedef void (*s3_put_fn)(void *ud, const struct err *e);

/* Every object whose key starts with prefix, in S3's order (UTF-8 binary). */
struct s3_call *s3_list_start(struct s3 *s, struct loop *l, const char *bucket, const char *prefix, s3_list_fn done,
			      void *ud);
/* The object's bytes (at most max_bytes; 0: 64 MiB). */
struct s3_call *s3_get_start(struct s3 *s, struct loop *l, const char *bucket, const char *key, size_t max_bytes,
			     s3_get_fn done, void *ud);
/* The object's bytes written to fd (from where it stands; a retry truncates
 * it back), for objects too big to hold: done gets data NULL and len the
 * byte count. */
struct s3_call *s3_get_to_fd_start(struct s3 *s, struct loop *l, const char *bucket, const char *key, int fd,
				   s3_get_fn done, void *ud);
struct s3_call *s3_put_start(struct s3 *s, struct loop *l, const char *bucket, const char *key, const void *data,
			     size_t len, const char *content_type, s3_put_fn done, void *ud);
/* Stops the call without calling done. No-op on NULL. */
void s3_cancel(struct s3_call *c);

/* ---- blocking: run l until the call ends (another loop_stop on l cancels
 * it: e "interrupted"). 0, or -1 with e. */
int s3_list(struct s3 *s, struct loop *l, const char *bucket, const char *prefix, struct s3_object **v, size_t *n,
	    struct err *e);
int s3_get(struct s3 *s, struct loop *l, const char *bucket, const char *key, size_t max_bytes, struct buf *out,
	   struct err *e);
int s3_get_to_fd(struct s3 *s, struct loop *l, const char *bucket, const char *key, int fd, struct err *e);
int s3_put(struct s3 *s, struct loop *l, const char *bucket, const char *key, const void *data, size_t len,
	   const char *content_type, struct err *e);

/* ---- pure pieces, for tests and the fuzzer */

struct s3_list_page {
	struct s3_object *v;
	size_t n;
	int truncated;
	char *next_token; /* NULL when none */
};
void s3_list_page_free(struct s3_list_page *p);
/* A ListObjectsV2 answer (<ListBucketResult>); -1 with e when it is not one. */
int s3_parse_list(const char *xml, size_t len, struct s3_list_page *out, struct err *e);

struct s3_error {
	char code[64];
	char message[512];
	char region[32]; /* AuthorizationHeaderMalformed, PermanentRedirect: the bucket's region, "" when absent */
};
/* An S3 <Error> body; 0 with out filled, -1 when the body is not one. */
int s3_parse_error(const char *xml, size_t len, struct s3_error *out);
/* The sentence for a failed operation ("ListObjectsV2", "GetObject",
 * "PutObject") on bucket/key (key may be NULL) given HTTP status and the
 * parsed error (code "" when the body had none). */
void s3_error_sentence(const char *op, const char *bucket, const char *key, const char *region, int status,
		       const struct s3_error *er, char *out, size_t size);
/* Appends s percent-encoded as S3 keys are in paths and queries: every byte
 * but A-Z a-z 0-9 - _ . ~ (and '/' when keep_slash). */
void s3_encode(struct buf *b, const char *s, int keep_slash);

#endif
