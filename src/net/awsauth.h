/* awsauth — AWS credentials, region and service endpoints, resolved the way
 * the AWS SDKs do it (PROTOCOLS.md §9).
 *
 * Profile: the one passed in (aiwb's config), else $AWS_PROFILE, else
 * "default". Files: $AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) with
 * sections [NAME], and $AWS_CONFIG_FILE (~/.aws/config) with [default] and
 * [profile NAME]; a key in the credentials file overrides the same key in the
 * config profile (botocore's merged view).
 *
 * Credentials, first match wins:
 *   AWS_BEARER_TOKEN_BEDROCK — a Bedrock API key (AWSAUTH_BEARER), only for
 *     bedrock-runtime and bedrock, which accept `Authorization: Bearer`;
 *   AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN or the
 *     legacy AWS_SECURITY_TOKEN) — skipped when a profile is passed in, as
 *     botocore skips them for a profile given in code;
 *   a profile that assumes a role, uses web identity or SSO — an error saying
 *     it is unsupported and how to export credentials instead;
 *   static keys in the credentials file;
 *   credential_process (botocore's order: before the config file's keys);
 *   static keys in the config file.
 * credential_process is split into words like a POSIX shell (quotes and
 * backslashes, no expansions: botocore uses shlex) and run without a shell,
 * stdin from /dev/null, stdout and stderr captured, killed after 30 s. Its
 * JSON {Version: 1, AccessKeyId, SecretAccessKey, SessionToken?, Expiration?}
 * is cached in the struct awsauth until 5 minutes before Expiration (forever
 * without one). Running it blocks the caller: resolve credentials off the
 * event loop's hot path or rely on the cache.
 *
 * Region: the one passed in, AWS_REGION, AWS_DEFAULT_REGION, the profile's
 * `region`. Endpoint of a service: AWS_ENDPOINT_URL_<SERVICE>,
 * AWS_ENDPOINT_URL, the profile's `services` section, the profile's
 * `endpoint_url`, then https://PREFIX.REGION.amazonaws.com; all overrides are
 * off with AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true (or the profile's
 * ignore_configured_endpoint_urls). An override never changes the signing
 * name or region.
 *
 * The environment and the files are read on every call. Results are plain
 * structs owned by the caller (free with the matching _free, which wipes
 * secrets). Every credential returned is registered as a secret in force
 * (base/secret.h). `source` strings say where a value came from and, like
 * every error message, never contain a secret. */
#ifndef AIWB_AWSAUTH_H
#define AIWB_AWSAUTH_H

#include <stdbool.h>
#include <time.h>

#include "base/err.h"
#include "net/sigv4.h"

enum awsauth_kind { AWSAUTH_SIGV4 = 1, AWSAUTH_BEARER };

struct awsauth_opts {
	const char *profile;    /* aiwb config's profile, or NULL */
	const char *region;     /* aiwb config's region, or NULL */
	int process_timeout_ms; /* credential_process; 0: 30000 */
};

struct awsauth_creds {
	enum awsauth_kind kind;
	char *access_key_id;     /* SIGV4 */
	char *secret_access_key; /* SIGV4; secret */
	char *session_token;     /* SIGV4; secret; NULL when none */
	char *bearer_token;      /* BEARER; secret */
	time_t expiration;       /* 0 when not known to expire */
	char *source;            /* "env AWS_ACCESS_KEY_ID", "profile dev in /home/u/.aws/credentials", ... */
};

struct awsauth_region {
	char *name;   /* "us-east-1" */
	char *source; /* "aiwb config", "env AWS_REGION", "profile dev in /home/u/.aws/config" */
};

struct awsauth_endpoint {
	char *url;                /* "https://bedrock-runtime.us-east-1.amazonaws.com", no trailing '/' */
	char *scheme;             /* "https" or "http" */
	char *host;               /* lower-case; an IPv6 address in brackets */
	int port;                 /* 0 when the URL names none */
	char *base_path;          /* "" or "/prefix": put it before every request path */
	const char *signing_name; /* "bedrock", "sagemaker", "monitoring", "logs"; static */
	char *region;             /* the signing region */
	char *source;             /* "default", "env AWS_ENDPOINT_URL_BEDROCK_RUNTIME", ... */
	bool overridden;
};

/* opts may be NULL; its strings are copied. Free with awsauth_free. */
struct awsauth *awsauth_new(const struct awsauth_opts *opts);
void awsauth_free(struct awsauth *a);

/* The profile in use and where its name came from ("aiwb config",
 * "env AWS_PROFILE", "default"); borrowed until the next call on a. */
const char *awsauth_profile(struct awsauth *a, const char **source);

/* service: a service id as for awsauth_endpoint, or NULL for SigV4 only.
 * 0, or -1 with e set and *out zeroed. */
int awsauth_credentials(struct awsauth *a, const char *service, struct awsauth_creds *out, struct err *e);
void awsauth_creds_free(struct awsauth_creds *c);
/* Borrowed view for sigv4_sign*. */
struct sigv4_creds awsauth_sigv4_creds(const struct awsauth_creds *c);

int awsauth_region(struct awsauth *a, struct awsauth_region *out, struct err *e);
void awsauth_region_free(struct awsauth_region *r);

/* service: "bedrock-runtime", "bedrock", "bedrock-agent-runtime", "bedrock-agent", "sagemaker",
 * "monitoring" (or "cloudwatch"), "logs" (or "cloudwatch-logs"), "s3". region NULL:
 * awsauth_region(). */
int awsauth_endpoint(struct awsauth *a, const char *service, const char *region, struct awsauth_endpoint *out,
		     struct err *e);
void awsauth_endpoint_free(struct awsauth_endpoint *ep);

/* The SigV4 signing name of a service id, or NULL when unknown. */
const char *awsauth_signing_name(const char *service);

#endif
