#include "svc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/xmalloc.h"

#define MAX_SIGNED 64

int svc_option(const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv) {
		fprintf(stderr, "fakellm: --svc wants KEY=VALUE, not '%s'\n", kv);
		return -1;
	}
	char *key = xstrndup(kv, (size_t)(eq - kv));
	int rc = svc_s3_option(key, eq + 1);
	if (rc == 1)
		rc = svc_smmonitor_option(key, eq + 1);
	if (rc == 1)
		fprintf(stderr, "fakellm: --svc %s: no service takes that option\n", key);
	free(key);
	return rc;
}

bool svc_dispatch(const struct svc_request *r, const struct svc_aws *aws, struct svc_response *out)
{
	return svc_s3_dispatch(r, aws, out) || svc_smmonitor_dispatch(r, aws, out);
}

void svc_response_free(struct svc_response *out)
{
	buf_free(&out->headers);
	buf_free(&out->body);
}

void svc_cleanup(void)
{
	svc_s3_cleanup();
	svc_smmonitor_cleanup();
}

const char *svc_header(const struct svc_request *r, const char *name)
{
	for (size_t i = 0; i < r->nh; i++)
		if (strcasecmp(r->h[i].name, name) == 0)
			return r->h[i].value;
	return NULL;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

char *svc_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n && (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)s[i + 2])) >= 0) {
			*o++ = (char)(hi * 16 + lo);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

char *svc_query_get(const char *query, const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = query; p && *p;) {
		size_t len = strcspn(p, "&");
		if (len >= nl && strncmp(p, name, nl) == 0 && (len == nl || p[nl] == '='))
			return len == nl ? xstrdup("") : svc_decode(p + nl + 1, len - nl - 1);
		p += len;
		if (*p == '&')
			p++;
	}
	return NULL;
}

/* "Credential=AK/date/region/service/aws4_request, SignedHeaders=a;b, Signature=hex" */
static bool sig_field(const char *auth, const char *key, char *out, size_t size)
{
	const char *p = strstr(auth, key);
	if (!p || p[strlen(key)] != '=')
		return false;
	p += strlen(key) + 1;
	size_t n = strcspn(p, ", ");
	if (n == 0 || n >= size)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

static bool parse_date(const char *s, time_t *out)
{
	struct tm tm = { 0 };
	if (!s || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
		return false;
	if (sscanf(s, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		   &tm.tm_sec) != 6)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = timegm(&tm);
	return true;
}

bool svc_check_sigv4(const struct svc_request *r, const struct svc_aws *aws, const char *service,
		     const struct sigv4_opts *opts, const char **code, char *msg, size_t size)
{
	if (!aws->access_key)
		return true;
	const char *auth = svc_header(r, "authorization");
	char cred[512], names[2048], sig[128];
	*code = "AccessDenied";
	if (!auth) {
		*code = "MissingAuthenticationToken";
		snprintf(msg, size, "Missing Authentication Token");
		return false;
	}
	if (strncmp(auth, "AWS4-HMAC-SHA256 ", 17) != 0 || !sig_field(auth, "Credential", cred, sizeof cred) ||
	    !sig_field(auth, "SignedHeaders", names, sizeof names) || !sig_field(auth, "Signature", sig, sizeof sig)) {
		*code = "IncompleteSignature";
		snprintf(msg, size, "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'.");
		return false;
	}
	char *parts[6];
	int np = 0;
	for (char *save = NULL, *t = strtok_r(cred, "/", &save); t && np < 6; t = strtok_r(NULL, "/", &save))
		parts[np++] = t;
	if (np != 5) {
		*code = "IncompleteSignature";
		snprintf(msg, size, "Credential must have exactly 5 slash-delimited elements.");
		return false;
	}
	if (strcmp(parts[0], aws->access_key) != 0) {
		*code = "InvalidAccessKeyId";
		snprintf(msg, size, "The AWS Access Key Id you provided does not exist in our records.");
		return false;
	}
	const char *token = svc_header(r, "x-amz-security-token");
	if (aws->session_token ? !token || strcmp(token, aws->session_token) != 0 : token != NULL) {
		*code = "InvalidToken";
		snprintf(msg, size, "The provided token is malformed or otherwise invalid.");
		return false;
	}
	time_t when, now = time(NULL);
	const char *date = svc_header(r, "x-amz-date");
	if (!parse_date(date, &when)) {
		*code = "IncompleteSignature";
		snprintf(msg, size, "X-Amz-Date must be in the ISO8601 Long Format.");
		return false;
	}
	if (aws->max_skew && (when < now - aws->max_skew || when > now + aws->max_skew)) {
		*code = "RequestTimeTooSkewed";
		snprintf(msg, size, "The difference between the request time and the current time is too large.");
		return false;
	}
	if (strncmp(parts[1], date, 8) != 0 || strcmp(parts[2], aws->region) != 0 || strcmp(parts[3], service) != 0 ||
	    strcmp(parts[4], "aws4_request") != 0) {
		*code = "AuthorizationHeaderMalformed";
		snprintf(msg, size, "The authorization header is malformed; the scope should be %.8s/%s/%s/aws4_request.",
			 date, aws->region, service);
		return false;
	}
	struct sigv4_header hs[MAX_SIGNED];
	size_t n = 0;
	bool missing = false;
	for (char *save = NULL, *name = strtok_r(names, ";", &save); name; name = strtok_r(NULL, ";", &save)) {
		if (strcasecmp(name, "x-amz-date") == 0)
			continue;
		bool found = false;
		for (size_t i = 0; i < r->nh && n < MAX_SIGNED; i++)
			if (strcasecmp(r->h[i].name, name) == 0) {
				hs[n++] = (struct sigv4_header){ r->h[i].name, r->h[i].value };
				found = true;
			}
		missing |= !found;
	}
	struct sigv4_request req = {
		.method = r->method, .path = r->path, .query = r->query, .headers = hs, .nheaders = n,
		.body = r->body, .body_len = r->body_len, .region = aws->region, .service = service,
	};
	struct sigv4_creds creds = { aws->access_key, aws->secret_key, aws->session_token };
	struct sigv4_result res;
	struct err e = ERR_INIT;
	bool ok = false;
	if (!missing && sigv4_sign(&req, when, &creds, opts, &res, &e) == 0) {
		ok = strcmp(res.signature, sig) == 0;
		if (!ok)
			fprintf(stderr, "fakellm: %s SigV4 mismatch for %s %s; expected canonical request:\n%s\n", service,
				r->method, r->path, res.canonical_request);
		sigv4_result_free(&res);
	}
	if (!ok) {
		*code = "SignatureDoesNotMatch";
		snprintf(msg, size, "The request signature we calculated does not match the signature you provided. "
				    "Check your key and signing method.");
	}
	return ok;
}
