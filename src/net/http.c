#include "net/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509_vfy.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "loop.h"

#if LIBCURL_VERSION_NUM < 0x075500
#error "aiwb needs libcurl 7.85 or newer (CURLOPT_PROTOCOLS_STR, CURLOPT_PREREQFUNCTION)"
#endif

#define MAX_HEADER_BYTES (256 * 1024)
#define INLINE_BODY_MAX (60 * 1024) /* below curl's MAX_INITIAL_POST_SIZE (64 KiB) */
#define KEEPALIVE_IDLE_S 30L
#define KEEPALIVE_INTERVAL_S 15L

enum pending { PENDING_NONE, PENDING_FAIL, PENDING_START, PENDING_CANCEL };

struct http_call {
	struct loop_transfer lt; /* first: the loop hands it back */
	struct loop *loop;
	CURLU *url;
	char *host;
	char *port;
	char *method;
	char *ca_bundle; /* the trusted roots' file when not the system's */
	struct curl_slist *req_headers;
	char *body;
	size_t body_len;
	size_t body_off;

	int64_t connect_ms;
	int64_t idle_ms;
	size_t max_bytes;
	http_head_fn on_head;
	http_body_fn on_body;
	http_done_fn on_done;
	void *ud;

	int64_t start_us;
	int64_t first_byte_us;
	int64_t last_activity_us;
	int connected;
	int in_multi;
	int64_t idle_timer;
	int64_t pending_timer;
	enum pending pending;

	struct http_headers headers;
	size_t header_bytes;
	int status;
	int head_delivered;
	struct buf collected;
	uint64_t body_bytes;

	enum http_error stop_error; /* set when this module ends the transfer */
	int cancel_requested;
	int in_done;
	char errbuf[CURL_ERROR_SIZE];
	char message[512];
};

/* > 0 while on_head/on_body run: curl's multi handle must not be touched. */
/* Process-wide defaults for requests that leave a field at 0 / NULL (the
 * user's config "network" section); see http_set_defaults. */
static struct {
	int64_t connect_ms, idle_ms;
	char *ca_bundle;
	int idle_set; /* the user chose idle_ms */
} defaults = { HTTP_CONNECT_TIMEOUT_MS, HTTP_IDLE_TIMEOUT_MS, NULL, 0 };

int http_idle_timeout_configured(void)
{
	return defaults.idle_set;
}

void http_set_defaults(int64_t connect_timeout_ms, int64_t idle_timeout_ms, const char *ca_bundle)
{
	defaults.connect_ms = connect_timeout_ms > 0 ? connect_timeout_ms : HTTP_CONNECT_TIMEOUT_MS;
	defaults.idle_ms = idle_timeout_ms > 0 ? idle_timeout_ms : HTTP_IDLE_TIMEOUT_MS;
	defaults.idle_set = idle_timeout_ms > 0;
	free(defaults.ca_bundle);
	defaults.ca_bundle = ca_bundle && *ca_bundle ? xstrdup(ca_bundle) : NULL;
}

static int in_curl_callback;

/* ---- header lists ---- */

static void free_const(const void *p)
{
	free((void *)(uintptr_t)p);
}

static void headers_add_n(struct http_headers *h, const char *name, size_t nlen, const char *value, size_t vlen)
{
	XGROW(h->v, h->cap, h->n + 1);
	char *block = xmalloc(nlen + vlen + 2);
	memcpy(block, name, nlen);
	block[nlen] = '\0';
	memcpy(block + nlen + 1, value, vlen);
	block[nlen + 1 + vlen] = '\0';
	h->v[h->n].name = block;
	h->v[h->n].value = block + nlen + 1;
	h->n++;
}

void http_headers_add(struct http_headers *h, const char *name, const char *value)
{
	headers_add_n(h, name, strlen(name), value, strlen(value));
}

const char *http_headers_get(const struct http_headers *h, const char *name)
{
	for (size_t i = 0; h && i < h->n; i++)
		if (strcasecmp(h->v[i].name, name) == 0)
			return h->v[i].value;
	return NULL;
}

const char *http_request_id(const struct http_headers *h)
{
	static const char *const names[] = {"x-request-id", "request-id", "x-amzn-requestid", "x-amz-request-id"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = http_headers_get(h, names[i]);
		if (v && *v)
			return v;
	}
	return NULL;
}

void http_headers_clear(struct http_headers *h)
{
	for (size_t i = 0; i < h->n; i++)
		free_const(h->v[i].name);
	h->n = 0;
}

void http_headers_free(struct http_headers *h)
{
	http_headers_clear(h);
	free(h->v);
	h->v = NULL;
	h->cap = 0;
}

int http_header_is_secret(const char *name)
{
	static const char *const secret[] = {"authorization", "proxy-authorization", "x-api-key", "api-key",
					     "x-amz-security-token", "cookie", "set-cookie", "x-slurm-user-token"};
	for (size_t i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
		if (strcasecmp(name, secret[i]) == 0)
			return 1;
	return 0;
}

#define HTTP_ERROR_NAME(id, name) name,
static const char *const error_names[] = {HTTP_ERRORS(HTTP_ERROR_NAME)};
#undef HTTP_ERROR_NAME

const char *http_error_name(enum http_error e)
{
	if ((size_t)e >= sizeof(error_names) / sizeof(error_names[0]))
		return "unknown";
	return error_names[e];
}

/* ---- policy ---- */

static int is_loopback_host(const char *host)
{
	if (strcasecmp(host, "localhost") == 0 || strcasecmp(host, "localhost.") == 0)
		return 1;
	struct in_addr a4;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	size_t n = strlen(host);
	char inner[64];
	if (n < 3 || host[0] != '[' || host[n - 1] != ']' || n - 2 >= sizeof(inner))
		return 0;
	memcpy(inner, host + 1, n - 2);
	inner[n - 2] = '\0';
	char *zone = strchr(inner, '%');
	if (zone)
		*zone = '\0';
	struct in6_addr a6;
	if (inet_pton(AF_INET6, inner, &a6) != 1)
		return 0;
	return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
}

static char *url_part(CURLU *u, CURLUPart part, unsigned flags)
{
	char *s = NULL;
	if (curl_url_get(u, part, &s, flags) != CURLUE_OK || !s)
		return NULL;
	char *copy = xstrdup(s);
	curl_free(s);
	return copy;
}

/* Parses and checks url; on success returns the handle curl will use as is. */
static CURLU *parse_url(const char *url, int allow_http, struct err *e)
{
	if (!url || !*url) {
		err_set(e, "no URL given for the request");
		return NULL;
	}
	CURLU *u = curl_url();
	if (!u) {
		err_set(e, "out of memory parsing a URL");
		return NULL;
	}
	CURLUcode rc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	if (rc != CURLUE_OK) {
		err_set(e, "the URL is not valid (%s); it must look like https://host/path", curl_url_strerror(rc));
		curl_url_cleanup(u);
		return NULL;
	}
	char *scheme = url_part(u, CURLUPART_SCHEME, 0);
	char *host = url_part(u, CURLUPART_HOST, 0);
	int ok = 0;
	if (!scheme || (strcasecmp(scheme, "https") != 0 && strcasecmp(scheme, "http") != 0))
		err_set(e, "refusing a %s: URL: aiwb only makes https requests (and plain http to loopback hosts)",
			scheme ? scheme : "schemeless");
	else if (!host || !*host)
		err_set(e, "the URL has no host name; it must look like https://host/path");
	else if (strcasecmp(scheme, "http") == 0 && !allow_http && !is_loopback_host(host))
		err_set(e, "refusing plain http to %s: use https, or set \"allow_http\": true for this provider in "
			   "config.json (http is only allowed by default for 127.0.0.1, ::1 and localhost)",
			host);
	else
		ok = 1;
	free(scheme);
	free(host);
	if (!ok) {
		curl_url_cleanup(u);
		return NULL;
	}
	return u;
}

int http_check_url(const char *url, int allow_http, struct err *e)
{
	CURLU *u = parse_url(url, allow_http, e);
	if (!u)
		return -1;
	curl_url_cleanup(u);
	return 0;
}

static int is_token(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch <= ' ' || ch >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", ch))
			return 0;
	}
	return 1;
}

static int has_control_char(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < ' ' && *s != '\t') || *s == 0x7f)
			return 1;
	return 0;
}

static int append_header(struct http_call *c, const char *line, struct err *e)
{
	struct curl_slist *next = curl_slist_append(c->req_headers, line);
	if (!next)
		return err_set(e, "out of memory building request headers");
	c->req_headers = next;
	return 0;
}

static int build_headers(struct http_call *c, const struct http_headers *h, struct err *e)
{
	int has_expect = 0, has_type = 0;
	for (size_t i = 0; h && i < h->n; i++) {
		const char *name = h->v[i].name, *value = h->v[i].value;
		if (!is_token(name))
			return err_set(e, "refusing to send a header whose name is not a plain token "
					  "(no spaces, ':', CR or LF allowed)");
		if (has_control_char(value))
			return err_set(e, "refusing to send header %s: its value holds a CR, LF or other control "
					  "character",
				       name);
		has_expect |= strcasecmp(name, "expect") == 0;
		has_type |= strcasecmp(name, "content-type") == 0;
		/* "Name;" is curl's way to send an empty value ("Name:" would delete the header). */
		char *line = *value ? xasprintf("%s: %s", name, value) : xasprintf("%s;", name);
		int rc = append_header(c, line, e);
		free(line);
		if (rc < 0)
			return -1;
	}
	/* No 100-continue round trip, and no form Content-Type curl would invent for a POST. */
	if (!has_expect && append_header(c, "Expect:", e) < 0)
		return -1;
	if (!has_type && append_header(c, "Content-Type:", e) < 0)
		return -1;
	return 0;
}

/* ---- messages ---- */

static void set_message(struct http_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_message(struct http_call *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
}

static const char *duration_text(int64_t ms, char *out, size_t size)
{
	if (ms % 1000 == 0)
		snprintf(out, size, "%lld s", (long long)(ms / 1000));
	else
		snprintf(out, size, "%lld ms", (long long)ms);
	return out;
}

static const char *size_text(uint64_t bytes, char *out, size_t size)
{
	if (bytes && bytes % (1u << 20) == 0)
		snprintf(out, size, "%llu MiB", (unsigned long long)(bytes >> 20));
	else if (bytes && bytes % 1024 == 0)
		snprintf(out, size, "%llu KiB", (unsigned long long)(bytes >> 10));
	else
		snprintf(out, size, "%llu bytes", (unsigned long long)bytes);
	return out;
}

/* Ends the transfer from inside a curl callback: returns 0, which curl takes as a write error. */
static size_t stop(struct http_call *c, enum http_error why)
{
	if (!c->stop_error)
		c->stop_error = why;
	return 0;
}

static size_t stop_too_large(struct http_call *c)
{
	char cap[32];
	set_message(c, "response larger than %s from %s (the size cap); transfer stopped",
		    size_text(c->max_bytes, cap, sizeof(cap)), c->host);
	return stop(c, HTTP_ERR_TOO_LARGE);
}

static int is_tls_error(CURLcode code)
{
	switch (code) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CLIENTCERT:
	case CURLE_USE_SSL_FAILED:
		return 1;
	default:
		return 0;
	}
}

static const char *curl_detail(const struct http_call *c, CURLcode code)
{
	return c->errbuf[0] ? c->errbuf : curl_easy_strerror(code);
}

/* Why the server's certificate was refused, and what fixes it: a name that
 * does not match (curl's check), else the X.509 verify result where curl's
 * TLS library is OpenSSL. */
static void certificate_message(struct http_call *c, CURLcode code)
{
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	long vr = -1;
	if (cv->ssl_version && strncmp(cv->ssl_version, "OpenSSL", 7) == 0 &&
	    curl_easy_getinfo(c->lt.easy, CURLINFO_SSL_VERIFYRESULT, &vr) != CURLE_OK)
		vr = -1;
	if (strstr(c->errbuf, "target host name")) { /* curl's own host check, after a good chain */
		set_message(c, "the TLS certificate of %s does not list that name; use a name it lists in the URL",
			    c->host);
		return;
	}
	switch (vr) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		if (c->ca_bundle)
			set_message(c, "the TLS certificate of %s is not signed by a CA in %s; "
				       "set network.ca_bundle to the PEM file of the CA that signed it",
				    c->host, c->ca_bundle);
		else
			set_message(c, "the TLS certificate of %s is not signed by a CA this system trusts; "
				       "if the server uses its own CA, set network.ca_bundle to that CA's PEM file",
				    c->host);
		return;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		set_message(c, "the TLS certificate of %s has expired; the server needs a new one, "
			       "or this machine's clock is wrong",
			    c->host);
		return;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		set_message(c, "the TLS certificate of %s is not valid yet; check this machine's clock", c->host);
		return;
	default:
		set_message(c, "the TLS certificate of %s could not be verified: %s", c->host, curl_detail(c, code));
	}
}

static enum http_error classify(struct http_call *c, CURLcode code)
{
	char when[32];
	switch (code) {
	case CURLE_OK:
		if (c->status >= 400)
			set_message(c, "%s answered HTTP %d", c->host, c->status);
		return HTTP_OK;
	case CURLE_COULDNT_RESOLVE_HOST:
		set_message(c, "cannot resolve %s (DNS lookup failed); check the host name and the network", c->host);
		return HTTP_ERR_DNS;
	case CURLE_COULDNT_RESOLVE_PROXY:
		set_message(c, "cannot resolve the proxy host (DNS lookup failed): %s; check https_proxy and NO_PROXY",
			    curl_detail(c, code));
		return HTTP_ERR_DNS;
	case CURLE_COULDNT_CONNECT: {
		long os_errno = 0;
		curl_easy_getinfo(c->lt.easy, CURLINFO_OS_ERRNO, &os_errno);
		set_message(c, "cannot connect to %s port %s: %s", c->host, c->port ? c->port : "?",
			    os_errno ? strerror((int)os_errno) : curl_detail(c, code));
		return HTTP_ERR_CONNECT;
	}
	case CURLE_OPERATION_TIMEDOUT:
		set_message(c, "timed out connecting to %s after %s", c->host,
			    duration_text(c->connect_ms, when, sizeof(when)));
		return HTTP_ERR_CONNECT_TIMEOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
		certificate_message(c, code);
		return HTTP_ERR_TLS;
	case CURLE_SSL_CACERT_BADFILE:
		if (!c->ca_bundle)
			break;
		set_message(c, "the CA bundle %s (network.ca_bundle) cannot be read as PEM certificates: %s; "
			       "point network.ca_bundle at a readable PEM file",
			    c->ca_bundle, curl_detail(c, code));
		return HTTP_ERR_TLS;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		if (!c->status)
			set_message(c, "%s closed the connection without a response", c->host);
		else
			set_message(c, "the connection to %s was cut after %llu bytes of the response", c->host,
				    (unsigned long long)c->body_bytes);
		return HTTP_ERR_CUT;
	default:
		break;
	}
	if (is_tls_error(code)) {
		set_message(c, "TLS with %s failed: %s", c->host, curl_detail(c, code));
		return HTTP_ERR_TLS;
	}
	set_message(c, "request to %s failed: %s", c->host, curl_detail(c, code));
	return HTTP_ERR_OTHER;
}

/* ---- life cycle ---- */

static void call_free(struct http_call *c)
{
	if (c->idle_timer)
		loop_del_timer(c->loop, c->idle_timer);
	if (c->pending_timer)
		loop_del_timer(c->loop, c->pending_timer);
	if (c->in_multi)
		loop_cancel_transfer(c->loop, &c->lt);
	if (c->lt.easy)
		curl_easy_cleanup(c->lt.easy);
	if (c->url)
		curl_url_cleanup(c->url);
	curl_slist_free_all(c->req_headers);
	http_headers_free(&c->headers);
	buf_free(&c->collected);
	free(c->host);
	free(c->port);
	free(c->method);
	free(c->ca_bundle);
	free(c->body);
	free(c);
}

static void log_outcome(const struct http_call *c, const struct http_result *r)
{
	char *scheme = c->url ? url_part(c->url, CURLUPART_SCHEME, 0) : NULL;
	char *path = c->url ? url_part(c->url, CURLUPART_PATH, 0) : NULL;
	log_debug("http %s %s://%s%s -> %s, status %d, %llu bytes, ttfb %lld ms, total %lld ms%s%s%s%s",
		  c->method ? c->method : "?", scheme ? scheme : "?", c->host ? c->host : "?", path ? path : "",
		  http_error_name(r->error), r->status,
		  (unsigned long long)r->bytes_received, (long long)(r->ttfb_us / 1000),
		  (long long)(r->total_us / 1000), r->request_id ? ", request id " : "",
		  r->request_id ? r->request_id : "", r->error ? ": " : "", r->error ? r->message : "");
	free(scheme);
	free(path);
}

static void finish(struct http_call *c, CURLcode code)
{
	c->in_multi = 0;
	if (c->cancel_requested) {
		call_free(c);
		return;
	}
	struct http_result r = {0};
	r.error = c->stop_error ? c->stop_error : classify(c, code);
	r.message = c->message;
	r.status = c->status;
	r.headers = &c->headers;
	r.request_id = http_request_id(&c->headers);
	r.body = &c->collected;
	r.bytes_received = c->body_bytes;
	r.ttfb_us = c->first_byte_us ? c->first_byte_us - c->start_us : 0;
	r.total_us = clock_us() - c->start_us;
	r.curl_code = code;
	log_outcome(c, &r);
	c->in_done = 1;
	if (c->on_done)
		c->on_done(c->loop, c, &r, c->ud);
	call_free(c);
}

static void on_transfer_done(struct loop *l, struct loop_transfer *t, CURLcode code)
{
	(void)l;
	finish((struct http_call *)t, code);
}

/* Notes that bytes arrived; 0 when the call was cancelled or stopped, so
 * the callback tells curl to abort. */
static int bytes_arrived(struct http_call *c)
{
	int64_t now = clock_us();
	c->last_activity_us = now;
	if (!c->first_byte_us)
		c->first_byte_us = now;
	return !c->cancel_requested && !c->stop_error;
}

static int64_t check_idle(struct loop *l, int64_t id, void *ud)
{
	(void)id;
	struct http_call *c = ud;
	if (!c->connected)
		return c->idle_ms;
	int64_t left_us = c->last_activity_us + c->idle_ms * 1000 - clock_us();
	if (left_us > 0)
		return (left_us + 999) / 1000;
	char when[32];
	duration_text(c->idle_ms, when, sizeof(when));
	if (c->status)
		set_message(c, "%s sent nothing for %s (idle timeout)", c->host, when);
	else
		set_message(c, "no response from %s for %s (idle timeout)", c->host, when);
	c->stop_error = HTTP_ERR_IDLE_TIMEOUT;
	c->idle_timer = 0;
	loop_cancel_transfer(l, &c->lt);
	finish(c, CURLE_OPERATION_TIMEDOUT);
	return LOOP_TIMER_DONE;
}

/* ---- curl callbacks ---- */

static int parse_status(const char *p, size_t len)
{
	const char *sp = memchr(p, ' ', len);
	if (!sp || (size_t)(sp - p) + 4 > len)
		return 0;
	int status = 0;
	for (int i = 1; i <= 3; i++) {
		if (sp[i] < '0' || sp[i] > '9')
			return 0;
		status = status * 10 + (sp[i] - '0');
	}
	return status;
}

static int content_length_over(const struct http_call *c)
{
	const char *cl = http_headers_get(&c->headers, "content-length");
	if (!cl)
		return 0;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(cl, &end, 10);
	return end != cl && errno == 0 && n > c->max_bytes;
}

/* What curl gets back after a reader's callback: 0 stops the transfer (the
 * call was cancelled, or the reader said stop), else len. */
static size_t after_reader(struct http_call *c, int verdict, size_t len)
{
	if (c->cancel_requested)
		return 0;
	if (verdict != HTTP_CONTINUE) {
		set_message(c, "the response from %s was stopped by its reader", c->host);
		return stop(c, HTTP_ERR_ABORTED);
	}
	return len;
}

static size_t end_of_head(struct http_call *c, size_t len)
{
	if (c->status < 200)
		return len;
	if (c->status < 400 && c->status >= 300) {
		const char *location = http_headers_get(&c->headers, "location");
		set_message(c, "%s answered %d with a redirect to %.200s; API calls do not follow redirects, "
			       "so check the base URL",
			    c->host, c->status, location ? location : "nowhere (no Location header)");
		return stop(c, HTTP_ERR_REDIRECT);
	}
	c->head_delivered = 1;
	if (content_length_over(c))
		return stop_too_large(c);
	if (c->on_head) {
		in_curl_callback++;
		int verdict = c->on_head(c->status, &c->headers, c->ud);
		in_curl_callback--;
		return after_reader(c, verdict, len);
	}
	return len;
}

static size_t on_header_line(char *p, size_t size, size_t n, void *ud)
{
	struct http_call *c = ud;
	size_t len = size * n;
	if (!bytes_arrived(c))
		return 0;
	if (c->head_delivered)
		return len;
	c->header_bytes += len;
	if (c->header_bytes > MAX_HEADER_BYTES) {
		set_message(c, "response headers from %s larger than 256 KiB; transfer stopped", c->host);
		return stop(c, HTTP_ERR_TOO_LARGE);
	}
	size_t end = len;
	while (end && (p[end - 1] == '\r' || p[end - 1] == '\n'))
		end--;
	if (end == 0)
		return end_of_head(c, len);
	if (end >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		http_headers_clear(&c->headers);
		c->status = parse_status(p, end);
		return len;
	}
	const char *colon = memchr(p, ':', end);
	if (!colon)
		return len;
	const char *name = p, *name_end = colon;
	while (name_end > name && (name_end[-1] == ' ' || name_end[-1] == '\t'))
		name_end--;
	const char *value = colon + 1, *value_end = p + end;
	while (value < value_end && (*value == ' ' || *value == '\t'))
		value++;
	while (value_end > value && (value_end[-1] == ' ' || value_end[-1] == '\t'))
		value_end--;
	if (name_end > name)
		headers_add_n(&c->headers, name, (size_t)(name_end - name), value, (size_t)(value_end - value));
	return len;
}

static size_t on_body_bytes(char *p, size_t size, size_t n, void *ud)
{
	struct http_call *c = ud;
	size_t len = size * n;
	if (!bytes_arrived(c))
		return 0;
	if (len > c->max_bytes - c->body_bytes)
		return stop_too_large(c);
	c->body_bytes += len;
	if (!c->on_body) {
		buf_append(&c->collected, p, len);
		return len;
	}
	in_curl_callback++;
	int verdict = c->on_body(p, len, c->ud);
	in_curl_callback--;
	return after_reader(c, verdict, len);
}

static size_t on_send_body(char *dst, size_t size, size_t n, void *ud)
{
	struct http_call *c = ud;
	size_t room = size * n, left = c->body_len - c->body_off;
	size_t k = room < left ? room : left;
	if (k)
		memcpy(dst, c->body + c->body_off, k);
	c->body_off += k;
	c->last_activity_us = clock_us();
	return k;
}

static int on_rewind_body(void *ud, curl_off_t offset, int origin)
{
	struct http_call *c = ud;
	if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > c->body_len)
		return CURL_SEEKFUNC_CANTSEEK;
	c->body_off = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

static int on_connected(void *ud, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
	(void)primary_ip;
	(void)local_ip;
	(void)primary_port;
	(void)local_port;
	struct http_call *c = ud;
	c->connected = 1;
	c->last_activity_us = clock_us();
	return CURL_PREREQFUNC_OK;
}

/* ---- setup ---- */

static int set_method_and_body(struct http_call *c, CURL *e)
{
	int has_body = c->body_len > 0 || strcmp(c->method, "POST") == 0 || strcmp(c->method, "PUT") == 0 ||
		       strcmp(c->method, "PATCH") == 0;
	CURLcode rc = CURLE_OK;
	if (strcmp(c->method, "HEAD") == 0) {
		rc = curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else if (has_body) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
		if (c->body_len <= INLINE_BODY_MAX) {
			/* curl sends a body it holds in the same write as the headers */
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body ? c->body : "");
		} else {
			curl_easy_setopt(e, CURLOPT_READFUNCTION, on_send_body);
			curl_easy_setopt(e, CURLOPT_READDATA, c);
			curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_rewind_body);
			curl_easy_setopt(e, CURLOPT_SEEKDATA, c);
		}
		if (strcmp(c->method, "POST") != 0)
			rc = curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, c->method);
	} else if (strcmp(c->method, "GET") == 0) {
		rc = curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else {
		rc = curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, c->method);
	}
	return rc == CURLE_OK ? 0 : -1;
}

static int setup_easy(struct http_call *c, const struct http_request *req, struct err *e)
{
	CURL *easy = curl_easy_init();
	if (!easy)
		return err_set(e, "cannot start a request to %s: curl_easy_init failed", c->host);
	c->lt.easy = easy;
	c->lt.done = on_transfer_done;
	int bad = 0;
	bad |= curl_easy_setopt(easy, CURLOPT_CURLU, c->url) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "https") != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_PROXY_SSL_VERIFYPEER, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_PROXY_SSL_VERIFYHOST, 2L) != CURLE_OK;
	/* A proxy would see plain http to loopback, headers and keys included. */
	if (is_loopback_host(c->host))
		bad |= curl_easy_setopt(easy, CURLOPT_NOPROXY, "*") != CURLE_OK;
	const char *ca = req->ca_bundle && *req->ca_bundle ? req->ca_bundle : defaults.ca_bundle;
	if (ca && *ca) {
		c->ca_bundle = xstrdup(ca);
		bad |= curl_easy_setopt(easy, CURLOPT_CAINFO, ca) != CURLE_OK;
	}
	if (req->unix_socket) {
		if (!is_loopback_host(c->host))
			return err_set(e, "a unix socket is used only with a localhost URL, not %s", c->host);
		bad |= curl_easy_setopt(easy, CURLOPT_UNIX_SOCKET_PATH, req->unix_socket) != CURLE_OK;
	}
	bad |= curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_ms) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_HTTPHEADER, c->req_headers) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_USERAGENT, "aiwb/" AIWB_VERSION) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header_line) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_HEADERDATA, c) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body_bytes) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_WRITEDATA, c) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, on_connected) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_PREREQDATA, c) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, c->errbuf) != CURLE_OK;
	bad |= set_method_and_body(c, easy) != 0;
	if (bad)
		return err_set(e, "cannot set up a request to %s: this libcurl lacks an option aiwb needs", c->host);
	/* Best effort: HTTP/2 over TLS when the server offers it, and TCP keepalive. */
	curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPIDLE, KEEPALIVE_IDLE_S);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPINTVL, KEEPALIVE_INTERVAL_S);
	return 0;
}

static enum http_error prepare(struct http_call *c, const struct http_request *req, struct err *e)
{
	c->url = parse_url(req->url, req->allow_http, e);
	if (!c->url)
		return HTTP_ERR_POLICY;
	c->host = url_part(c->url, CURLUPART_HOST, 0);
	c->port = url_part(c->url, CURLUPART_PORT, CURLU_DEFAULT_PORT);
	if (!c->host)
		c->host = xstrdup("?");
	const char *method = req->method ? req->method : req->body_len ? "POST" : "GET";
	if (!is_token(method)) {
		err_set(e, "refusing a request with an invalid method name");
		return HTTP_ERR_POLICY;
	}
	c->method = xstrdup(method);
	if (build_headers(c, req->headers, e) < 0)
		return HTTP_ERR_POLICY;
	if (req->body_len) {
		c->body = xmalloc(req->body_len);
		memcpy(c->body, req->body, req->body_len);
		c->body_len = req->body_len;
	}
	if (setup_easy(c, req, e) < 0)
		return HTTP_ERR_OTHER;
	return HTTP_OK;
}

static void fail_later(struct http_call *c, enum http_error why, const char *message);

static void add_to_loop(struct http_call *c)
{
	if (loop_add_transfer(c->loop, &c->lt) < 0) {
		fail_later(c, HTTP_ERR_OTHER, "cannot start the transfer: the curl multi handle refused it");
		return;
	}
	c->in_multi = 1;
	c->idle_timer = loop_add_timer(c->loop, c->idle_ms, check_idle, c);
}

static int64_t run_pending(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct http_call *c = ud;
	enum pending what = c->pending;
	c->pending_timer = 0;
	c->pending = PENDING_NONE;
	switch (what) {
	case PENDING_FAIL:
		finish(c, CURLE_OK);
		break;
	case PENDING_START:
		add_to_loop(c);
		break;
	case PENDING_CANCEL:
		call_free(c);
		break;
	case PENDING_NONE:
		break;
	}
	return LOOP_TIMER_DONE;
}

static void set_pending(struct http_call *c, enum pending what)
{
	if (c->pending_timer)
		loop_del_timer(c->loop, c->pending_timer);
	c->pending = what;
	c->pending_timer = loop_add_timer(c->loop, 0, run_pending, c);
}

static void fail_later(struct http_call *c, enum http_error why, const char *message)
{
	c->stop_error = why;
	set_message(c, "%s", message);
	set_pending(c, PENDING_FAIL);
}

struct http_call *http_start(struct loop *l, const struct http_request *req)
{
	struct http_call *c = xcalloc(1, sizeof(*c));
	c->loop = l;
	c->start_us = clock_us();
	c->connect_ms = req->connect_timeout_ms > 0 ? req->connect_timeout_ms : defaults.connect_ms;
	c->idle_ms = req->idle_timeout_ms > 0 ? req->idle_timeout_ms : defaults.idle_ms;
	c->max_bytes = req->max_response_bytes ? req->max_response_bytes : HTTP_MAX_RESPONSE_BYTES;
	c->on_head = req->on_head;
	c->on_body = req->on_body;
	c->on_done = req->on_done;
	c->ud = req->ud;
	struct err e = ERR_INIT;
	enum http_error why = prepare(c, req, &e);
	if (why != HTTP_OK)
		fail_later(c, why, err_msg(&e));
	else if (in_curl_callback)
		set_pending(c, PENDING_START);
	else
		add_to_loop(c);
	return c;
}

void http_cancel(struct http_call *c)
{
	if (!c || c->in_done || c->cancel_requested)
		return;
	c->cancel_requested = 1;
	if (c->in_multi && in_curl_callback) {
		set_pending(c, PENDING_CANCEL);
		return;
	}
	call_free(c);
}

int http_check_curl(struct err *e)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	int https = 0;
	for (const char *const *p = v->protocols; p && *p; p++)
		if (strcmp(*p, "https") == 0)
			https = 1;
	if (!(v->features & CURL_VERSION_SSL) || !https)
		return err_set(e, "libcurl %s has no TLS support, so aiwb cannot make https requests; "
				  "install libcurl4-openssl-dev and rebuild",
			       v->version);
	if (!(v->features & CURL_VERSION_ASYNCHDNS))
		return err_set(e, "libcurl %s resolves host names synchronously (no AsynchDNS): a slow DNS "
				  "server freezes the workbench until it answers",
			       v->version);
	return 0;
}
