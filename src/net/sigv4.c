#include "net/sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/buf.h"
#include "base/digest.h"
#include "base/xmalloc.h"

#define ALGORITHM "AWS4-HMAC-SHA256"

static const struct sigv4_opts default_opts = { .double_encode = true, .normalize_path = true, .sign_body = false };

/* botocore SigV4Auth: never signed even when present. */
static const char *const unsigned_headers[] = { "user-agent", "expect", "x-amzn-trace-id" };

struct hdr {
	char *name; /* lower case */
	const char *value;
	size_t order;
};

void sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
	sha256_hex(data, len, out);
}

static void hmac_sha256(const unsigned char *key, size_t keylen, const void *msg, size_t len, unsigned char out[32])
{
	unsigned int outlen = 0;
	if (!HMAC(EVP_sha256(), key, (int)keylen, msg, len, out, &outlen) || outlen != 32)
		abort();
}

static int is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
	       c == '.' || c == '~';
}

static int is_tchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void uri_encode(struct buf *b, const char *s, size_t n, int keep_slash)
{
	static const char digits[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (is_unreserved(c) || (keep_slash && c == '/')) {
			buf_putc(b, (char)c);
		} else {
			char esc[3] = { '%', digits[c >> 4], digits[c & 15] };
			buf_append(b, esc, 3);
		}
	}
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes %XX (a malformed escape stays literal, so it is encoded as %25),
 * then encodes strictly: the query may arrive raw or already encoded. */
static void query_component(struct buf *b, const char *s, size_t n)
{
	struct buf raw = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n && (hi = hex_value(s[i + 1])) >= 0 && (lo = hex_value(s[i + 2])) >= 0) {
			buf_putc(&raw, (char)(hi * 16 + lo));
			i += 2;
		} else {
			buf_putc(&raw, s[i]);
		}
	}
	uri_encode(b, buf_str(&raw), raw.len, 0);
	buf_free(&raw);
}

struct qpair {
	char *name;
	char *value;
};

static int qpair_cmp(const void *a, const void *b)
{
	const struct qpair *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->value, y->value);
}

static char *canonical_query(const char *query)
{
	struct qpair *pairs = NULL;
	size_t n = 0;
	for (const char *p = query ? query : ""; *p;) {
		size_t len = strcspn(p, "&");
		if (len) {
			const char *eq = memchr(p, '=', len);
			size_t nlen = eq ? (size_t)(eq - p) : len;
			struct buf name = BUF_INIT, value = BUF_INIT;
			query_component(&name, p, nlen);
			if (eq)
				query_component(&value, eq + 1, len - nlen - 1);
			pairs = xreallocarray(pairs, n + 1, sizeof *pairs);
			pairs[n].name = buf_detach(&name);
			pairs[n].value = buf_detach(&value);
			n++;
		}
		p += len;
		if (*p == '&')
			p++;
	}
	if (n)
		qsort(pairs, n, sizeof *pairs, qpair_cmp);
	struct buf out = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		buf_printf(&out, "%s%s=%s", i ? "&" : "", pairs[i].name, pairs[i].value);
		free(pairs[i].name);
		free(pairs[i].value);
	}
	free(pairs);
	return buf_detach(&out);
}

static char *normalized_path(const char *path)
{
	struct buf out = BUF_INIT;
	size_t cap = 8, n = 0;
	const char **seg = xreallocarray(NULL, cap, sizeof *seg);
	size_t *seglen = xreallocarray(NULL, cap, sizeof *seglen);
	for (const char *p = path; *p;) {
		size_t len = strcspn(p, "/");
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (n)
				n--;
		} else if (len && !(len == 1 && p[0] == '.')) {
			if (n == cap) {
				cap *= 2;
				seg = xreallocarray(seg, cap, sizeof *seg);
				seglen = xreallocarray(seglen, cap, sizeof *seglen);
			}
			seg[n] = p;
			seglen[n++] = len;
		}
		p += len;
		if (*p == '/')
			p++;
	}
	size_t plen = strlen(path);
	buf_putc(&out, '/');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(&out, '/');
		buf_append(&out, seg[i], seglen[i]);
	}
	if (n && plen && path[plen - 1] == '/')
		buf_putc(&out, '/');
	free(seg);
	free(seglen);
	return buf_detach(&out);
}

static char *canonical_uri(const char *path, size_t len, const struct sigv4_opts *o)
{
	char *p = len ? xstrndup(path, len) : xstrdup("/");
	if (o->normalize_path) {
		char *n = normalized_path(p);
		free(p);
		p = n;
	}
	if (!o->double_encode)
		return p;
	struct buf out = BUF_INIT;
	uri_encode(&out, p, strlen(p), 1);
	free(p);
	return buf_detach(&out);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* A CR or LF is allowed only as an obsolete line fold: CRLF or LF, then SP or HT. */
static int value_ok(const char *v, int allow_fold)
{
	for (const char *p = v; *p; p++) {
		if (*p == '\r') {
			if (!allow_fold || p[1] != '\n' || !is_space(p[2]))
				return 0;
			p++;
		} else if (*p == '\n') {
			if (!allow_fold || !is_space(p[1]))
				return 0;
		}
	}
	return 1;
}

static int wire_value_ok(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return 0;
	return 1;
}

/* Trim, and turn every run of blanks (folds included) into one space. */
static void canonical_value(struct buf *b, const char *v)
{
	int started = 0, pending = 0;
	for (const char *p = v; *p; p++) {
		if (is_space(*p) || *p == '\r' || *p == '\n') {
			pending = started;
			continue;
		}
		if (pending)
			buf_putc(b, ' ');
		pending = 0;
		started = 1;
		buf_putc(b, *p);
	}
}

static int name_ok(const char *name)
{
	if (!name || !*name)
		return 0;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (!is_tchar(*p))
			return 0;
	return 1;
}

static char *lower_dup(const char *s)
{
	char *l = xstrdup(s);
	for (char *p = l; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return l;
}

static int hdr_cmp(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int is_unsigned(const char *lname)
{
	for (size_t i = 0; i < sizeof unsigned_headers / sizeof *unsigned_headers; i++)
		if (strcmp(lname, unsigned_headers[i]) == 0)
			return 1;
	return 0;
}

static int scope_part_ok(const char *s)
{
	if (!s || !*s)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (!is_unreserved(*p))
			return 0;
	return 1;
}

static int access_key_ok(const char *s)
{
	if (!s || !*s)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '/' || *p == ',')
			return 0;
	return 1;
}

static int method_ok(const char *m)
{
	if (!m || !*m)
		return 0;
	for (; *m; m++)
		if (*m < 'A' || *m > 'Z')
			return 0;
	return 1;
}

static int format_amz_date(time_t when, char out[17])
{
	struct tm tm;
	if (!gmtime_r(&when, &tm) || tm.tm_year < 0 || tm.tm_year > 9999 - 1900)
		return -1;
	return strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) == 16 ? 0 : -1;
}

static void add_hdr(struct hdr **v, size_t *n, const char *lname, const char *value)
{
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[*n] = (struct hdr){ lower_dup(lname), value, *n };
	(*n)++;
}

static void derive_signature(const struct sigv4_creds *creds, const char *date, const char *region,
			     const char *service, const char *string_to_sign, char out[65])
{
	size_t slen = strlen(creds->secret_access_key);
	unsigned char *key = xmalloc(slen + 4);
	memcpy(key, "AWS4", 4);
	memcpy(key + 4, creds->secret_access_key, slen);
	unsigned char k_date[32], k_region[32], k_service[32], k_signing[32], sig[32];
	hmac_sha256(key, slen + 4, date, 8, k_date);
	hmac_sha256(k_date, 32, region, strlen(region), k_region);
	hmac_sha256(k_region, 32, service, strlen(service), k_service);
	hmac_sha256(k_service, 32, "aws4_request", 12, k_signing);
	hmac_sha256(k_signing, 32, string_to_sign, strlen(string_to_sign), sig);
	hex_lower(sig, 32, out);
	OPENSSL_cleanse(key, slen + 4);
	OPENSSL_cleanse(k_date, 32);
	OPENSSL_cleanse(k_region, 32);
	OPENSSL_cleanse(k_service, 32);
	OPENSSL_cleanse(k_signing, 32);
	free(key);
}

static void free_hdrs(struct hdr *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(h[i].name);
	free(h);
}

static int sign_into(const struct sigv4_request *req, time_t when, const struct sigv4_creds *creds,
		     const struct sigv4_opts *o, struct sigv4_result *out, struct err *e)
{
	if (!method_ok(req->method))
		return err_set(e, "cannot sign: the HTTP method must be upper-case letters");
	if (!scope_part_ok(req->region))
		return err_set(e, "cannot sign: the AWS region is missing or not a region name");
	if (!scope_part_ok(req->service))
		return err_set(e, "cannot sign: the signing service name is missing or invalid");
	if (!creds || !access_key_ok(creds->access_key_id))
		return err_set(e, "cannot sign: the AWS access key id is missing or malformed");
	if (!creds->secret_access_key || !*creds->secret_access_key)
		return err_set(e, "cannot sign: the AWS secret access key is missing");
	const char *token = creds->session_token && *creds->session_token ? creds->session_token : NULL;
	if (token && !value_ok(token, 0))
		return err_set(e, "cannot sign: the AWS session token contains CR or LF");
	if (req->body_len && !req->body)
		return err_set(e, "cannot sign: body length without a body");
	if (format_amz_date(when, out->amz_date) != 0)
		return err_set(e, "cannot sign: the time is out of range");

	const char *path = req->path ? req->path : "";
	size_t path_len = strlen(path);
	const char *query = req->query;
	const char *qmark = strchr(path, '?');
	if (qmark) {
		if (query && *query)
			return err_set(e, "cannot sign: the path carries a query and a separate query was given");
		path_len = (size_t)(qmark - path);
		query = qmark + 1;
	}

	struct hdr *h = NULL;
	size_t n = 0;
	int has_host = 0, has_token = 0;
	const char *content_sha = NULL;
	for (size_t i = 0; i < req->nheaders; i++) {
		const struct sigv4_header *in = &req->headers[i];
		if (!name_ok(in->name)) {
			free_hdrs(h, n);
			return err_set(e, "cannot sign: header name \"%.64s\" is not a valid HTTP token",
				       in->name ? in->name : "");
		}
		if (!in->value || !value_ok(in->value, 1)) {
			free_hdrs(h, n);
			return err_set(e, "cannot sign: header %s %s", in->name,
				       in->value ? "has a CR or LF that is not a line fold" : "has no value");
		}
		add_hdr(&h, &n, in->name, in->value);
		const char *l = h[n - 1].name;
		if (strcmp(l, "authorization") == 0 || strcmp(l, "x-amz-date") == 0) {
			free_hdrs(h, n);
			return err_set(e, "cannot sign: the %s header is set by the signer, not the caller", in->name);
		}
		has_host |= strcmp(l, "host") == 0;
		has_token |= strcmp(l, "x-amz-security-token") == 0;
		if (!content_sha && strcmp(l, "x-amz-content-sha256") == 0)
			content_sha = in->value;
	}
	if (!has_host) {
		free_hdrs(h, n);
		return err_set(e, "cannot sign: the request has no host header");
	}
	if (token && has_token) {
		free_hdrs(h, n);
		return err_set(e, "cannot sign: x-amz-security-token is given both as a header and in the credentials");
	}
	add_hdr(&h, &n, "x-amz-date", out->amz_date);
	if (token)
		add_hdr(&h, &n, "x-amz-security-token", token);
	if (content_sha) {
		struct buf v = BUF_INIT;
		canonical_value(&v, content_sha);
		if (v.len == 0 || v.len >= sizeof out->payload_hash) {
			buf_free(&v);
			free_hdrs(h, n);
			return err_set(e, "cannot sign: x-amz-content-sha256 must be a SHA-256 in hex or a payload keyword");
		}
		memcpy(out->payload_hash, v.data, v.len + 1);
		buf_free(&v);
	} else {
		sigv4_sha256_hex(req->body, req->body_len, out->payload_hash);
		if (o->sign_body)
			add_hdr(&h, &n, "x-amz-content-sha256", out->payload_hash);
	}
	if (n)
		qsort(h, n, sizeof *h, hdr_cmp);

	struct buf canon = BUF_INIT, signed_list = BUF_INIT;
	buf_printf(&canon, "%s\n", req->method);
	char *uri = canonical_uri(path, path_len, o);
	char *cq = canonical_query(query);
	buf_printf(&canon, "%s\n%s\n", uri, cq);
	free(uri);
	free(cq);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && strcmp(h[j].name, h[i].name) == 0; j++)
			;
		if (is_unsigned(h[i].name))
			continue;
		buf_printf(&canon, "%s:", h[i].name);
		for (size_t k = i; k < j; k++) {
			if (k > i)
				buf_putc(&canon, ',');
			canonical_value(&canon, h[k].value);
		}
		buf_putc(&canon, '\n');
		buf_printf(&signed_list, "%s%s", signed_list.len ? ";" : "", h[i].name);
	}
	buf_printf(&canon, "\n%s\n%s", buf_str(&signed_list), out->payload_hash);
	free_hdrs(h, n);

	char canon_hash[65];
	sigv4_sha256_hex(canon.data, canon.len, canon_hash);
	out->scope = xasprintf("%.8s/%s/%s/aws4_request", out->amz_date, req->region, req->service);
	out->string_to_sign = xasprintf(ALGORITHM "\n%s\n%s\n%s", out->amz_date, out->scope, canon_hash);
	derive_signature(creds, out->amz_date, req->region, req->service, out->string_to_sign, out->signature);
	out->signed_headers = buf_detach(&signed_list);
	out->canonical_request = buf_detach(&canon);
	out->authorization = xasprintf(ALGORITHM " Credential=%s/%s, SignedHeaders=%s, Signature=%s",
				       creds->access_key_id, out->scope, out->signed_headers, out->signature);
	return 0;
}

int sigv4_sign(const struct sigv4_request *req, time_t when, const struct sigv4_creds *creds,
	       const struct sigv4_opts *opts, struct sigv4_result *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	if (sign_into(req, when, creds, opts ? opts : &default_opts, out, e) == 0)
		return 0;
	memset(out, 0, sizeof *out);
	return -1;
}

void sigv4_result_free(struct sigv4_result *r)
{
	free(r->canonical_request);
	free(r->string_to_sign);
	free(r->signed_headers);
	free(r->authorization);
	free(r->scope);
	memset(r, 0, sizeof *r);
}

static int default_port(const char *scheme)
{
	return strcasecmp(scheme, "http") == 0 ? 80 : 443;
}

char *sigv4_host_header(const char *scheme, const char *host, int port)
{
	char *h = lower_dup(host);
	if (strchr(h, ':') && h[0] != '[') {
		char *b = xasprintf("[%s]", h);
		free(h);
		h = b;
	}
	if (port > 0 && port != default_port(scheme ? scheme : "https")) {
		char *p = xasprintf("%s:%d", h, port);
		free(h);
		h = p;
	}
	return h;
}

static int host_ok(const char *host)
{
	if (!host || !*host)
		return 0;
	for (const unsigned char *p = (const unsigned char *)host; *p; p++)
		if (!(is_unreserved(*p) || *p == ':' || *p == '[' || *p == ']' || *p == '%'))
			return 0;
	return 1;
}

static int wire_target_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '#')
			return 0;
	return 1;
}

static const char *const signer_owned[] = { "host", "authorization", "x-amz-date", "x-amz-security-token" };

static void add_line(struct sigv4_signed *s, const char *name, const char *value)
{
	s->lines = xreallocarray(s->lines, s->nlines + 1, sizeof *s->lines);
	s->lines[s->nlines++] = *value ? xasprintf("%s: %s", name, value) : xasprintf("%s;", name);
}

int sigv4_sign_request(const struct sigv4_request *req, time_t when, const struct sigv4_creds *creds,
		       const struct sigv4_opts *opts, struct sigv4_signed *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	const struct sigv4_opts *o = opts ? opts : &default_opts;
	const char *scheme = req->scheme ? req->scheme : "https";
	if (strcasecmp(scheme, "https") != 0 && strcasecmp(scheme, "http") != 0)
		return err_set(e, "cannot sign: the scheme must be http or https");
	if (!host_ok(req->host))
		return err_set(e, "cannot sign: the host is missing or not a host name");
	if (req->port < 0 || req->port > 65535)
		return err_set(e, "cannot sign: port %d is out of range", req->port);
	if (!wire_target_ok(req->path) || !wire_target_ok(req->query))
		return err_set(e, "cannot sign: the path and query must be percent-encoded (no spaces, "
				  "control or non-ASCII bytes)");
	if (creds && creds->session_token && !wire_value_ok(creds->session_token))
		return err_set(e, "cannot sign: the AWS session token contains CR, LF or control characters");
	int has_content_sha = 0;
	for (size_t i = 0; i < req->nheaders; i++) {
		const struct sigv4_header *in = &req->headers[i];
		if (!name_ok(in->name))
			return err_set(e, "cannot sign: header name \"%.64s\" is not a valid HTTP token",
				       in->name ? in->name : "");
		for (size_t k = 0; k < sizeof signer_owned / sizeof *signer_owned; k++)
			if (strcasecmp(in->name, signer_owned[k]) == 0)
				return err_set(e, "cannot sign: the %s header is set by the signer, not the caller",
					       in->name);
		if (!in->value)
			return err_set(e, "cannot sign: header %s has no value", in->name);
		if (strpbrk(in->value, "\r\n"))
			return err_set(e, "cannot sign: the value of header %s contains CR or LF", in->name);
		if (!wire_value_ok(in->value))
			return err_set(e, "cannot sign: the value of header %s contains control characters", in->name);
		has_content_sha |= strcasecmp(in->name, "x-amz-content-sha256") == 0;
	}

	char *host = sigv4_host_header(scheme, req->host, req->port);
	struct sigv4_header *all = xreallocarray(NULL, req->nheaders + 1, sizeof *all);
	all[0] = (struct sigv4_header){ "Host", host };
	if (req->nheaders)
		memcpy(all + 1, req->headers, req->nheaders * sizeof *all);
	struct sigv4_request r = *req;
	r.headers = all;
	r.nheaders = req->nheaders + 1;
	if (sigv4_sign(&r, when, creds, o, &out->sig, e) != 0) {
		free(all);
		free(host);
		return -1;
	}
	add_line(out, "Host", host);
	add_line(out, "X-Amz-Date", out->sig.amz_date);
	if (creds->session_token && *creds->session_token)
		add_line(out, "X-Amz-Security-Token", creds->session_token);
	if (o->sign_body && !has_content_sha)
		add_line(out, "X-Amz-Content-SHA256", out->sig.payload_hash);
	for (size_t i = 0; i < req->nheaders; i++)
		add_line(out, req->headers[i].name, req->headers[i].value);
	add_line(out, "Authorization", out->sig.authorization);
	free(all);
	free(host);
	return 0;
}

void sigv4_signed_free(struct sigv4_signed *s)
{
	sigv4_result_free(&s->sig);
	for (size_t i = 0; i < s->nlines; i++)
		free(s->lines[i]);
	free(s->lines);
	memset(s, 0, sizeof *s);
}
