#include "net/s3.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/secret.h"
#include "base/xmalloc.h"
#include "loop.h"
#include "net/awsauth.h"
#include "net/http.h"
#include "net/retry.h"
#include "net/sigv4.h"
#include "text/xmllib.h"

#define MAX_PAGES 100000

struct s3 {
	struct awsauth *auth;
	struct awsauth_creds creds;
	struct awsauth_endpoint ep;
	struct retry_quota quota;
	double (*rand01)(void *ud);
	void *rand_ud;
};

/* ---------------------------------------------------------------- URIs */

int s3_is_uri(const char *s)
{
	return s && strncmp(s, "s3://", 5) == 0;
}

static int bucket_name_ok(const char *b, size_t n)
{
	if (n < 3 || n > 255)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = b[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		      c == '_'))
			return 0;
	}
	return 1;
}

int s3_uri_parse(const char *uri, char **bucket, char **key, struct err *e)
{
	*bucket = *key = NULL;
	if (!s3_is_uri(uri))
		return err_set(e, "'%.200s' is not an s3:// URI (s3://BUCKET/PREFIX)", uri);
	const char *b = uri + 5;
	size_t n = strcspn(b, "/");
	if (!bucket_name_ok(b, n))
		return err_set(e, "'%.200s' does not name an S3 bucket: write s3://BUCKET/PREFIX with a bucket name of 3 "
				  "to 63 letters, digits, '.' and '-'", uri);
	*bucket = xstrndup(b, n);
	*key = xstrdup(b[n] ? b + n + 1 : "");
	return 0;
}

/* ---------------------------------------------------------------- client */

struct s3 *s3_new(const char *profile, const char *region, struct err *e)
{
	struct awsauth_opts opts = { profile, region, 0 };
	struct s3 *s = xcalloc(1, sizeof *s);
	s->auth = awsauth_new(&opts);
	s->quota = (struct retry_quota)RETRY_QUOTA_INIT;
	if (awsauth_credentials(s->auth, NULL, &s->creds, e) != 0 ||
	    awsauth_endpoint(s->auth, "s3", NULL, &s->ep, e) != 0) {
		s3_free(s);
		return NULL;
	}
	return s;
}

void s3_free(struct s3 *s)
{
	if (!s)
		return;
	awsauth_creds_free(&s->creds);
	awsauth_endpoint_free(&s->ep);
	awsauth_free(s->auth);
	free(s);
}

const char *s3_region(const struct s3 *s)
{
	return s->ep.region;
}

void s3_set_retry_rand(struct s3 *s, double (*rand01)(void *ud), void *ud)
{
	s->rand01 = rand01;
	s->rand_ud = ud;
}

void s3_objects_free(struct s3_object *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].last_modified);
		free(v[i].etag);
	}
	free(v);
}

void s3_encode(struct buf *b, const char *s, int keep_slash)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '_' || *p == '.' || *p == '~' || (keep_slash && *p == '/'))
			buf_putc(b, (char)*p);
		else
			buf_printf(b, "%%%02X", *p);
	}
}

/* ---------------------------------------------------------------- XML */

/* NULL when the text is not XML, or libxml2 cannot be loaded (e says). */
static xmlDocPtr xml_read(const char *xml, size_t len, struct err *e)
{
	if (!xml || len == 0 || len > INT_MAX || xmllib_load(e) != 0)
		return NULL;
	return XML(xmlReadMemory)(xml, (int)len, "s3.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

static int named(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* The element's text (caller frees), "" when empty. */
static char *text_of(const xmlNode *n)
{
	xmlChar *t = XML(xmlNodeGetContent)(n);
	char *s = xstrdup(t ? (const char *)t : "");
	XML(xmlFree)(t);
	return s;
}

static void object_from(const xmlNode *contents, struct s3_object *o)
{
	memset(o, 0, sizeof *o);
	for (const xmlNode *c = contents->children; c; c = c->next) {
		if (named(c, "Key")) {
			free(o->key);
			o->key = text_of(c);
		} else if (named(c, "Size")) {
			char *t = text_of(c), *end;
			errno = 0;
			long long v = strtoll(t, &end, 10);
			o->size = errno || end == t || *end || v < 0 ? -1 : v;
			free(t);
		} else if (named(c, "LastModified")) {
			free(o->last_modified);
			o->last_modified = text_of(c);
		} else if (named(c, "ETag")) {
			free(o->etag);
			o->etag = text_of(c);
		}
	}
	if (!o->last_modified)
		o->last_modified = xstrdup("");
	if (!o->etag)
		o->etag = xstrdup("");
}

void s3_list_page_free(struct s3_list_page *p)
{
	s3_objects_free(p->v, p->n);
	free(p->next_token);
	memset(p, 0, sizeof *p);
}

int s3_parse_list(const char *xml, size_t len, struct s3_list_page *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	struct err xe = ERR_INIT;
	xmlDocPtr doc = xml_read(xml, len, &xe);
	if (xe.set)
		return err_set(e, "%s", err_msg(&xe));
	xmlNode *root = doc ? XML(xmlDocGetRootElement)(doc) : NULL;
	if (!root || !named(root, "ListBucketResult")) {
		if (doc)
			XML(xmlFreeDoc)(doc);
		return err_set(e, "the ListObjectsV2 answer is not the XML it should be (ListBucketResult)");
	}
	size_t cap = 0;
	int rc = 0;
	for (const xmlNode *c = root->children; c && rc == 0; c = c->next) {
		if (named(c, "Contents")) {
			struct s3_object o;
			object_from(c, &o);
			if (!o.key || !*o.key) {
				free(o.key);
				free(o.last_modified);
				free(o.etag);
				rc = err_set(e, "the ListObjectsV2 answer has an object without a Key");
				break;
			}
			out->v = xgrow(out->v, &cap, out->n + 1, sizeof *out->v);
			out->v[out->n++] = o;
		} else if (named(c, "IsTruncated")) {
			char *t = text_of(c);
			out->truncated = strcmp(t, "true") == 0;
			free(t);
		} else if (named(c, "NextContinuationToken")) {
			free(out->next_token);
			out->next_token = text_of(c);
		}
	}
	XML(xmlFreeDoc)(doc);
	if (rc == 0 && out->truncated && (!out->next_token || !*out->next_token))
		rc = err_set(e, "the ListObjectsV2 answer is truncated but has no NextContinuationToken");
	if (rc != 0)
		s3_list_page_free(out);
	return rc;
}

static void copy_text(const xmlNode *n, char *dst, size_t size)
{
	char *t = text_of(n);
	snprintf(dst, size, "%s", t);
	for (char *p = dst; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	free(t);
}

int s3_parse_error(const char *xml, size_t len, struct s3_error *out)
{
	memset(out, 0, sizeof *out);
	xmlDocPtr doc = xml_read(xml, len, NULL);
	xmlNode *root = doc ? XML(xmlDocGetRootElement)(doc) : NULL;
	if (!root || !named(root, "Error")) {
		if (doc)
			XML(xmlFreeDoc)(doc);
		return -1;
	}
	for (const xmlNode *c = root->children; c; c = c->next) {
		if (named(c, "Code"))
			copy_text(c, out->code, sizeof out->code);
		else if (named(c, "Message"))
			copy_text(c, out->message, sizeof out->message);
		else if (named(c, "Region"))
			copy_text(c, out->region, sizeof out->region);
	}
	XML(xmlFreeDoc)(doc);
	secret_redact(out->message, sizeof out->message);
	return out->code[0] ? 0 : -1;
}

static const char *op_permission(const char *op)
{
	if (strcmp(op, "ListObjectsV2") == 0)
		return "s3:ListBucket on the bucket";
	if (strcmp(op, "PutObject") == 0)
		return "s3:PutObject on the key";
	return "s3:GetObject on the key";
}

void s3_error_sentence(const char *op, const char *bucket, const char *key, const char *region, int status,
		       const struct s3_error *er, char *out, size_t size)
{
	const char *code = er && er->code[0] ? er->code : "";
	const char *msg = er && er->message[0] ? er->message : "";
	const char *k = key ? key : "";
	const char *sep = key ? "/" : "";
	if (strcmp(code, "NoSuchBucket") == 0)
		snprintf(out, size, "there is no S3 bucket %s (NoSuchBucket: %s); check the name, and the region (%s)",
			 bucket, *msg ? msg : "The specified bucket does not exist", region);
	else if (strcmp(code, "NoSuchKey") == 0 || (!*code && status == 404 && key))
		snprintf(out, size, "there is no object s3://%s/%s (%s: %s)", bucket, k, *code ? code : "HTTP 404",
			 *msg ? msg : "The specified key does not exist.");
	else if (strcmp(code, "AccessDenied") == 0 || (!*code && status == 403))
		snprintf(out, size, "access to s3://%s%s%s was denied (%s: %s); the credentials need %s", bucket, sep, k,
			 *code ? code : "HTTP 403", *msg ? msg : "Access Denied", op_permission(op));
	else if (strcmp(code, "InvalidAccessKeyId") == 0 || strcmp(code, "SignatureDoesNotMatch") == 0 ||
		 strcmp(code, "ExpiredToken") == 0 || strcmp(code, "InvalidToken") == 0 ||
		 strcmp(code, "RequestTimeTooSkewed") == 0)
		snprintf(out, size, "S3 refused the credentials for %s on s3://%s%s%s (%s: %s); check AWS_ACCESS_KEY_ID and "
				    "AWS_SECRET_ACCESS_KEY or the profile, and the clock",
			 op, bucket, sep, k, code, msg);
	else if (strcmp(code, "PermanentRedirect") == 0 || strcmp(code, "AuthorizationHeaderMalformed") == 0 ||
		 strcmp(code, "IllegalLocationConstraintException") == 0)
		snprintf(out, size, "S3 bucket %s is not in %s (%s: %s); set AWS_REGION to the bucket's region%s%s", bucket,
			 region, code, msg, er && er->region[0] ? ", " : "", er && er->region[0] ? er->region : "");
	else if (*code)
		snprintf(out, size, "S3 %s on s3://%s%s%s failed (%s, HTTP %d: %s)", op, bucket, sep, k, code, status, msg);
	else
		snprintf(out, size, "S3 %s on s3://%s%s%s failed with HTTP %d", op, bucket, sep, k, status);
}

/* ---------------------------------------------------------------- calls */

enum kind { K_LIST, K_GET, K_PUT };

struct s3_call {
	struct s3 *s;
	struct loop *loop;
	enum kind kind;
	const char *op;
	char *bucket, *key; /* key: the prefix for a list */
	void *body;
	size_t body_len;
	char *content_type;
	size_t max_bytes;
	int fd;              /* K_GET to a file: -1 when collecting */
	off_t fd_start;
	int head_status;
	int write_failed;
	struct buf errbody;  /* the body of a failed answer, when streaming */
	uint64_t written;
	char *token;         /* the list's next page */
	struct s3_object *objs;
	size_t nobjs, cap;
	int pages;
	struct http_call *http;
	int64_t timer;
	struct retry_policy policy;
	struct retry_state rs;
	int attempt;
	union {
		s3_list_fn list;
		s3_get_fn get;
		s3_put_fn put;
	} done;
	void *ud;
};

static void call_free(struct s3_call *c)
{
	if (!c)
		return;
	if (c->http)
		http_cancel(c->http);
	if (c->timer)
		loop_del_timer(c->loop, c->timer);
	free(c->bucket);
	free(c->key);
	free(c->body);
	free(c->content_type);
	free(c->token);
	buf_free(&c->errbody);
	s3_objects_free(c->objs, c->nobjs);
	free(c);
}

void s3_cancel(struct s3_call *c)
{
	call_free(c);
}

static void finish(struct s3_call *c, const char *data, size_t len, const struct err *e)
{
	c->http = NULL;
	switch (c->kind) {
	case K_LIST: c->done.list(c->ud, e ? NULL : c->objs, e ? 0 : c->nobjs, e); break;
	case K_GET: c->done.get(c->ud, e ? NULL : data, e ? 0 : len, e); break;
	case K_PUT: c->done.put(c->ud, e); break;
	}
	call_free(c);
}

static void fail(struct s3_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct s3_call *c, const char *fmt, ...)
{
	struct err e = ERR_INIT;
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	err_set(&e, "%s", m);
	free(m);
	finish(c, NULL, 0, &e);
}

static int pathstyle(const struct s3_call *c)
{
	return c->s->ep.overridden || strchr(c->bucket, '.') != NULL;
}

static void on_http_done(struct loop *l, struct http_call *hc, const struct http_result *r, void *ud);

static int on_head(int status, const struct http_headers *h, void *ud)
{
	(void)h;
	struct s3_call *c = ud;
	c->head_status = status;
	return HTTP_CONTINUE;
}

static int on_body(const char *data, size_t len, void *ud)
{
	struct s3_call *c = ud;
	if (c->head_status != 200) {
		if (c->errbody.len < 65536)
			buf_append(&c->errbody, data, len);
		return HTTP_CONTINUE;
	}
	while (len) {
		ssize_t w = write(c->fd, data, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			c->write_failed = errno ? errno : EIO;
			return HTTP_STOP;
		}
		data += w;
		len -= (size_t)w;
		c->written += (uint64_t)w;
	}
	return HTTP_CONTINUE;
}

/* Starts one attempt: 0, or -1 with e. */
static int attempt(struct s3_call *c, struct err *e)
{
	const struct awsauth_endpoint *ep = &c->s->ep;
	c->attempt++;
	c->head_status = 0;
	buf_reset(&c->errbody);
	if (c->fd >= 0) {
		c->written = 0;
		if (ftruncate(c->fd, c->fd_start) != 0 || lseek(c->fd, c->fd_start, SEEK_SET) < 0)
			return err_errno(e, "cannot rewind the download file");
	}
	int ps = pathstyle(c);
	struct buf path = BUF_INIT, query = BUF_INIT;
	char *host = ps ? xstrdup(ep->host) : xasprintf("%s.%s", c->bucket, ep->host);
	buf_puts(&path, ep->base_path);
	if (ps) {
		buf_putc(&path, '/');
		s3_encode(&path, c->bucket, 0);
	}
	if (c->kind == K_LIST) {
		if (!ps || !path.len)
			buf_putc(&path, '/');
		buf_puts(&query, "list-type=2");
		if (c->token) {
			buf_puts(&query, "&continuation-token=");
			s3_encode(&query, c->token, 0);
		}
		buf_puts(&query, "&prefix=");
		s3_encode(&query, c->key, 0);
	} else {
		buf_putc(&path, '/');
		s3_encode(&path, c->key, 1);
	}
	struct sigv4_header hs[1];
	size_t nh = 0;
	if (c->kind == K_PUT)
		hs[nh++] = (struct sigv4_header){ "Content-Type", c->content_type };
	struct sigv4_request rq = {
		.method = c->kind == K_PUT ? "PUT" : "GET",
		.path = buf_str(&path),
		.query = buf_str(&query),
		.headers = hs,
		.nheaders = nh,
		.body = c->body,
		.body_len = c->body_len,
		.region = ep->region,
		.service = "s3",
		.scheme = ep->scheme,
		.host = host,
		.port = ep->port,
	};
	struct sigv4_opts so = { false, false, true };
	struct sigv4_creds creds = awsauth_sigv4_creds(&c->s->creds);
	struct sigv4_signed sig;
	int rc = sigv4_sign_request(&rq, time(NULL), &creds, &so, &sig, e);
	if (rc == 0) {
		struct http_headers headers = HTTP_HEADERS_INIT;
		for (size_t i = 0; i < sig.nlines; i++) {
			const char *line = sig.lines[i];
			size_t n = strcspn(line, ":;");
			char *name = xstrndup(line, n);
			const char *value = line[n] == ':' ? line + n + 1 + (line[n + 1] == ' ') : "";
			if (strcasecmp(name, "host") != 0) /* curl sends the URL's */
				http_headers_add(&headers, name, value);
			free(name);
		}
		char *hosthdr = sigv4_host_header(ep->scheme, host, ep->port);
		char *url = xasprintf("%s://%s%s%s%s", ep->scheme, hosthdr, buf_str(&path), query.len ? "?" : "",
				      buf_str(&query));
		struct http_request hr = {
			.method = rq.method,
			.url = url,
			.headers = &headers,
			.body = c->body,
			.body_len = c->body_len,
			.max_response_bytes = c->kind == K_GET && c->fd < 0 ? c->max_bytes : 0,
			.on_head = c->fd >= 0 ? on_head : NULL,
			.on_body = c->fd >= 0 ? on_body : NULL,
			.on_done = on_http_done,
			.ud = c,
		};
		if (c->fd >= 0)
			hr.max_response_bytes = (size_t)1 << 40;
		c->http = http_start(c->loop, &hr);
		free(url);
		free(hosthdr);
		http_headers_free(&headers);
		sigv4_signed_free(&sig);
	}
	free(host);
	buf_free(&path);
	buf_free(&query);
	return rc;
}

static int64_t on_retry_timer(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct s3_call *c = ud;
	c->timer = 0;
	struct err e = ERR_INIT;
	if (attempt(c, &e) != 0)
		finish(c, NULL, 0, &e);
	return LOOP_TIMER_DONE;
}

static int retry_later(struct s3_call *c, const struct http_result *r, const char *code)
{
	struct retry_attempt a = {
		.attempt = c->attempt, .error = r->error, .status = r->status, .headers = r->headers,
		.error_code = code && *code ? code : NULL,
	};
	struct retry_decision d = retry_decide(&c->policy, &c->rs, &a);
	if (!d.retry)
		return 0;
	log_info("s3 %s s3://%s/%s: %s", c->op, c->bucket, c->key, d.reason);
	c->http = NULL;
	c->timer = loop_add_timer(c->loop, d.delay_ms, on_retry_timer, c);
	return 1;
}

static void next_page(struct s3_call *c, const struct http_result *r)
{
	struct s3_list_page p;
	struct err e = ERR_INIT;
	if (s3_parse_list(r->body->data, r->body->len, &p, &e) != 0) {
		finish(c, NULL, 0, &e);
		return;
	}
	c->objs = xgrow(c->objs, &c->cap, c->nobjs + p.n + 1, sizeof *c->objs);
	if (p.n)
		memcpy(c->objs + c->nobjs, p.v, p.n * sizeof *p.v);
	c->nobjs += p.n;
	free(p.v);
	c->pages++;
	if (!p.truncated) {
		free(p.next_token);
		finish(c, NULL, 0, NULL);
		return;
	}
	if (c->token && strcmp(c->token, p.next_token) == 0) {
		free(p.next_token);
		fail(c, "S3 ListObjectsV2 on s3://%s/%s returned the same continuation token twice", c->bucket, c->key);
		return;
	}
	if (c->pages >= MAX_PAGES) {
		free(p.next_token);
		fail(c, "S3 ListObjectsV2 on s3://%s/%s did not end after %d pages", c->bucket, c->key, MAX_PAGES);
		return;
	}
	free(c->token);
	c->token = p.next_token;
	c->attempt = 0;
	memset(&c->rs, 0, sizeof c->rs);
	if (attempt(c, &e) != 0)
		finish(c, NULL, 0, &e);
}

static void on_http_done(struct loop *l, struct http_call *hc, const struct http_result *r, void *ud)
{
	(void)l;
	(void)hc;
	struct s3_call *c = ud;
	c->http = NULL;
	if (r->error == HTTP_OK && r->status == 200) {
		retry_succeeded(&c->policy, &c->rs);
		if (c->kind == K_LIST)
			next_page(c, r);
		else if (c->kind == K_GET && c->fd >= 0)
			finish(c, NULL, (size_t)c->written, NULL);
		else
			finish(c, r->body->data ? r->body->data : "", r->body->len, NULL);
		return;
	}
	if (c->write_failed) {
		fail(c, "cannot write s3://%s/%s to a local file: %s", c->bucket, c->key, strerror(c->write_failed));
		return;
	}
	char msg[1024];
	if (r->error == HTTP_OK && r->status) {
		const struct buf *body = c->fd >= 0 ? &c->errbody : r->body;
		struct s3_error er;
		if (s3_parse_error(body->data, body->len, &er) != 0)
			memset(&er, 0, sizeof er);
		if (retry_later(c, r, er.code))
			return;
		s3_error_sentence(c->op, c->bucket, c->kind == K_LIST ? NULL : c->key, c->s->ep.region, r->status, &er,
				  msg, sizeof msg);
	} else {
		if (retry_later(c, r, NULL))
			return;
		if (r->error == HTTP_ERR_TOO_LARGE)
			snprintf(msg, sizeof msg, "s3://%s/%s is larger than %zu bytes", c->bucket, c->key,
				 c->max_bytes ? c->max_bytes : HTTP_MAX_RESPONSE_BYTES);
		else
			snprintf(msg, sizeof msg, "S3 %s on s3://%s/%s: %s (endpoint %s)", c->op, c->bucket, c->key,
				 r->message && *r->message ? r->message : http_error_name(r->error), c->s->ep.url);
	}
	if (c->attempt > 1) {
		size_t n = strlen(msg);
		snprintf(msg + n, sizeof msg - n, " (after %d attempts)", c->attempt);
	}
	fail(c, "%s", msg);
}

static struct s3_call *call_new(struct s3 *s, struct loop *l, enum kind kind, const char *op, const char *bucket,
				const char *key, void *ud)
{
	struct s3_call *c = xcalloc(1, sizeof *c);
	c->s = s;
	c->loop = l;
	c->kind = kind;
	c->op = op;
	c->bucket = xstrdup(bucket);
	c->key = xstrdup(key ? key : "");
	c->fd = -1;
	c->ud = ud;
	retry_policy_init(&c->policy, RETRY_AWS);
	c->policy.quota = &s->quota;
	c->policy.rand01 = s->rand01;
	c->policy.rand_ud = s->rand_ud;
	return c;
}

/* The first attempt; a failure to start reaches done from the loop. */
static int64_t on_start_failed(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct s3_call *c = ud;
	c->timer = 0;
	fail(c, "%s", buf_str(&c->errbody));
	return LOOP_TIMER_DONE;
}

static struct s3_call *launch(struct s3_call *c)
{
	struct err e = ERR_INIT;
	if (attempt(c, &e) != 0) {
		buf_reset(&c->errbody);
		buf_puts(&c->errbody, err_msg(&e));
		c->timer = loop_add_timer(c->loop, 0, on_start_failed, c);
	}
	return c;
}

struct s3_call *s3_list_start(struct s3 *s, struct loop *l, const char *bucket, const char *prefix, s3_list_fn done,
			      void *ud)
{
	struct s3_call *c = call_new(s, l, K_LIST, "ListObjectsV2", bucket, prefix, ud);
	c->done.list = done;
	return launch(c);
}

struct s3_call *s3_get_start(struct s3 *s, struct loop *l, const char *bucket, const char *key, size_t max_bytes,
			     s3_get_fn done, void *ud)
{
	struct s3_call *c = call_new(s, l, K_GET, "GetObject", bucket, key, ud);
	c->done.get = done;
	c->max_bytes = max_bytes;
	return launch(c);
}

struct s3_call *s3_get_to_fd_start(struct s3 *s, struct loop *l, const char *bucket, const char *key, int fd,
				   s3_get_fn done, void *ud)
{
	struct s3_call *c = call_new(s, l, K_GET, "GetObject", bucket, key, ud);
	c->done.get = done;
	c->fd = fd;
	off_t at = lseek(fd, 0, SEEK_CUR);
	c->fd_start = at > 0 ? at : 0;
	return launch(c);
}

struct s3_call *s3_put_start(struct s3 *s, struct loop *l, const char *bucket, const char *key, const void *data,
			     size_t len, const char *content_type, s3_put_fn done, void *ud)
{
	struct s3_call *c = call_new(s, l, K_PUT, "PutObject", bucket, key, ud);
	c->done.put = done;
	c->body = xmalloc(len ? len : 1);
	if (len)
		memcpy(c->body, data, len);
	c->body_len = len;
	c->content_type = xstrdup(content_type && *content_type ? content_type : "application/octet-stream");
	return launch(c);
}

/* ---------------------------------------------------------------- blocking */

struct wait {
	struct loop *l;
	int finished;
	struct err e;
	int failed;
	struct buf *out;
	struct s3_object *v;
	size_t n;
	size_t len;
};

static void settle(struct wait *w, const struct err *e)
{
	w->finished = 1;
	if (e) {
		w->failed = 1;
		w->e = *e;
	}
	loop_stop(w->l);
}

static void wait_list(void *ud, const struct s3_object *v, size_t n, const struct err *e)
{
	struct wait *w = ud;
	if (!e) {
		w->v = xcalloc(n + 1, sizeof *w->v);
		for (size_t i = 0; i < n; i++) {
			w->v[i].key = xstrdup(v[i].key);
			w->v[i].size = v[i].size;
			w->v[i].last_modified = xstrdup(v[i].last_modified);
			w->v[i].etag = xstrdup(v[i].etag);
		}
		w->n = n;
	}
	settle(w, e);
}

static void wait_get(void *ud, const char *data, size_t len, const struct err *e)
{
	struct wait *w = ud;
	if (!e && data && w->out)
		buf_append(w->out, data, len);
	w->len = len;
	settle(w, e);
}

static void wait_put(void *ud, const struct err *e)
{
	settle(ud, e);
}

static int run(struct wait *w, struct s3_call *c, struct err *e)
{
	loop_run(w->l);
	if (!w->finished) {
		s3_cancel(c);
		return err_set(e, "interrupted");
	}
	if (w->failed)
		return err_set(e, "%s", err_msg(&w->e));
	return 0;
}

int s3_list(struct s3 *s, struct loop *l, const char *bucket, const char *prefix, struct s3_object **v, size_t *n,
	    struct err *e)
{
	struct wait w = { .l = l };
	*v = NULL;
	*n = 0;
	struct s3_call *c = s3_list_start(s, l, bucket, prefix, wait_list, &w);
	if (run(&w, c, e) != 0)
		return -1;
	*v = w.v;
	*n = w.n;
	return 0;
}

int s3_get(struct s3 *s, struct loop *l, const char *bucket, const char *key, size_t max_bytes, struct buf *out,
	   struct err *e)
{
	struct wait w = { .l = l, .out = out };
	struct s3_call *c = s3_get_start(s, l, bucket, key, max_bytes, wait_get, &w);
	return run(&w, c, e);
}

int s3_get_to_fd(struct s3 *s, struct loop *l, const char *bucket, const char *key, int fd, struct err *e)
{
	struct wait w = { .l = l };
	struct s3_call *c = s3_get_to_fd_start(s, l, bucket, key, fd, wait_get, &w);
	return run(&w, c, e);
}

int s3_put(struct s3 *s, struct loop *l, const char *bucket, const char *key, const void *data, size_t len,
	   const char *content_type, struct err *e)
{
	struct wait w = { .l = l };
	struct s3_call *c = s3_put_start(s, l, bucket, key, data, len, content_type, wait_put, &w);
	return run(&w, c, e);
}
