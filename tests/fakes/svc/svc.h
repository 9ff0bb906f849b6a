/* svc — fake AWS services built into fakellm beside its own routes
 * (tests/fakes/README.md): S3 (svc/s3.c) and SageMaker Model Monitor
 * (svc/smmonitor.c). fakellm hands every request to svc_dispatch() before
 * its route table, and every `--svc KEY=VALUE` option to svc_option(); a
 * service that is not configured answers nothing.
 *
 * Credentials given to fakellm (--aws-access-key ...) are checked here as the
 * services check them: the SigV4 signature is recomputed with net/sigv4.h
 * for the service's signing name and compared. */
#ifndef AIWB_FAKES_SVC_H
#define AIWB_FAKES_SVC_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "net/sigv4.h"

struct svc_header {
	const char *name;
	const char *value;
};

struct svc_request {
	const char *method;
	const char *path;  /* as received, percent-encoded, without the query */
	const char *query; /* "" when none */
	const struct svc_header *h;
	size_t nh;
	const char *body;
	size_t body_len;
};

struct svc_aws {
	const char *access_key; /* NULL: any credentials, or none */
	const char *secret_key;
	const char *session_token;
	const char *region;
	long max_skew; /* seconds; 0: no clock check */
};

struct svc_response {
	int status;
	const char *content_type;
	struct buf headers; /* "name: value\r\n" lines */
	struct buf body;
	const char *route;  /* for the request log */
	const char *auth;   /* "none", "sigv4", "other" */
	bool auth_ok;
};

/* 0 when the option is one of a service's, 1 when it is no service's, -1
 * (message on stderr) when its value is bad. */
int svc_option(const char *kv);
/* true when a service answered r into out (zeroed by the caller). */
bool svc_dispatch(const struct svc_request *r, const struct svc_aws *aws, struct svc_response *out);
void svc_response_free(struct svc_response *out);
void svc_cleanup(void);

/* ---- for the services */

const char *svc_header(const struct svc_request *r, const char *name);
/* Checks the request's SigV4 signature for service; true when it is good or
 * no credentials are required. Else code and msg say why, AWS's words. */
bool svc_check_sigv4(const struct svc_request *r, const struct svc_aws *aws, const char *service,
		     const struct sigv4_opts *opts, const char **code, char *msg, size_t size);
/* The value of NAME in a query string, percent-decoded (caller frees), or NULL. */
char *svc_query_get(const char *query, const char *name);
/* Percent-decodes n bytes of s (caller frees). */
char *svc_decode(const char *s, size_t n);

int svc_s3_option(const char *key, const char *value);
bool svc_s3_dispatch(const struct svc_request *r, const struct svc_aws *aws, struct svc_response *out);
void svc_s3_cleanup(void);
int svc_smmonitor_option(const char *key, const char *value);
bool svc_smmonitor_dispatch(const struct svc_request *r, const struct svc_aws *aws, struct svc_response *out);
void svc_smmonitor_cleanup(void);

#endif
