#include "net/awscall.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/secret.h"
#include "base/xmalloc.h"
#include "loop.h"
#include "net/sigv4.h"

#define EXTRA_MAX 4

struct awscall {
	struct loop *loop;
	const struct awsauth_endpoint *ep;
	const struct awsauth_creds *creds;
	char *method, *path, *query, *body, *what, *content_type, *accept;
	size_t body_len;
	char *xname[EXTRA_MAX], *xvalue[EXTRA_MAX];
	size_t nextra;
	int allow_http;
	struct http_call *http;
	int64_t timer;
	struct retry_policy policy;
	struct retry_state rs;
	int attempt;
	awscall_done_fn done;
	void *ud;
};

static void add_signed_line(struct http_headers *out, const char *line)
{
	const char *colon = strstr(line, ": ");
	if (!colon)
		return;
	char *name = xstrndup(line, (size_t)(colon - line));
	http_headers_add(out, name, colon + 2);
	free(name);
}

int awscall_headers(const struct awsauth_endpoint *ep, const struct awsauth_creds *creds, const char *method,
		    const char *rest, const char *query, const void *body, size_t len, const char *content_type,
		    const char *accept, const struct http_header *extra, size_t nextra, time_t when,
		    struct http_headers *out, struct err *e)
{
	struct sigv4_header h[2 + EXTRA_MAX];
	size_t n = 0;
	if (nextra > EXTRA_MAX)
		return err_set(e, "too many extra headers for one AWS request");
	if (content_type)
		h[n++] = (struct sigv4_header){ "Content-Type", content_type };
	if (accept)
		h[n++] = (struct sigv4_header){ "Accept", accept };
	for (size_t i = 0; i < nextra; i++)
		h[n++] = (struct sigv4_header){ extra[i].name, extra[i].value };
	if (creds->kind == AWSAUTH_BEARER) {
		for (size_t i = 0; i < n; i++)
			http_headers_add(out, h[i].name, h[i].value);
		if (!creds->bearer_token || strpbrk(creds->bearer_token, "\r\n"))
			return err_set(e, "the Bedrock API key in AWS_BEARER_TOKEN_BEDROCK is empty or holds a "
					  "line break");
		char *auth = xasprintf("Bearer %s", creds->bearer_token);
		http_headers_add(out, "Authorization", auth);
		free(auth);
		return 0;
	}
	char *path = xasprintf("%s%s", ep->base_path ? ep->base_path : "", rest);
	struct sigv4_request rq = {
		.method = method, .path = path, .query = query, .headers = h, .nheaders = n,
		.body = len ? body : NULL, .body_len = len, .region = ep->region, .service = ep->signing_name,
		.scheme = ep->scheme, .host = ep->host, .port = ep->port,
	};
	struct sigv4_creds sc = awsauth_sigv4_creds(creds);
	struct sigv4_signed sig;
	int rc = sigv4_sign_request(&rq, when, &sc, NULL, &sig, e);
	free(path);
	if (rc != 0)
		return -1;
	for (size_t i = 0; i < sig.nlines; i++)
		add_signed_line(out, sig.lines[i]);
	sigv4_signed_free(&sig);
	return 0;
}

static void put_code(const char *raw, char *out, size_t size)
{
	size_t n = strcspn(raw, ":");
	const char *start = raw;
	for (const char *p = raw; p < raw + n; p++)
		if (*p == '#')
			start = p + 1;
	size_t w = 0;
	for (const char *p = start; p < raw + n && w + 1 < size; p++)
		if ((unsigned char)*p > 0x20 && *p != 0x7f)
			out[w++] = *p;
	out[w] = '\0';
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

void awscall_error_code(const char *error_type, const char *body, size_t len, char *out, size_t size)
{
	out[0] = '\0';
	if (error_type && *error_type) {
		put_code(error_type, out, size);
		if (*out)
			return;
	}
	cJSON *j = body && len ? cJSON_ParseWithLength(body, len) : NULL;
	const char *code = jstr(j, "code");
	if (!code)
		code = jstr(j, "__type");
	if (!code)
		code = jstr(j, "Code");
	if (code)
		put_code(code, out, size);
	cJSON_Delete(j);
}

void awscall_service_message(const char *body, size_t len, char *out, size_t size)
{
	cJSON *j = cJSON_ParseWithLength(body ? body : "", len);
	const char *m = jstr(j, "message") ? jstr(j, "message") : jstr(j, "Message");
	snprintf(out, size, "%s", m ? m : "");
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	cJSON_Delete(j);
	secret_redact(out, size);
}

void awscall_sentence(const struct awscall_reply *r, const char *name, char *out, size_t size)
{
	if (r->status) {
		char m[600];
		awscall_service_message(r->body, r->len, m, sizeof m);
		const char *id = http_request_id(r->headers);
		char rid[128] = "";
		if (id)
			snprintf(rid, sizeof rid, " (request id %.80s)", id);
		for (char *p = rid; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
		snprintf(out, size, "%s: HTTP %d%s%s%s%s%s", name, r->status, *r->code ? " " : "", r->code, *m ? ": " : "",
			 m, rid);
	} else {
		snprintf(out, size, "%s: %s", name, r->failure && *r->failure ? r->failure : http_error_name(r->error));
	}
	if (r->attempts > 1) {
		size_t n = strlen(out);
		snprintf(out + n, size - n, " (after %d attempts)", r->attempts);
	}
	secret_redact(out, size);
}

static void call_free(struct awscall *c)
{
	if (c->http)
		http_cancel(c->http);
	if (c->timer)
		loop_del_timer(c->loop, c->timer);
	free(c->method);
	free(c->path);
	free(c->query);
	free(c->body);
	free(c->what);
	free(c->content_type);
	free(c->accept);
	for (size_t i = 0; i < c->nextra; i++) {
		free(c->xname[i]);
		free(c->xvalue[i]);
	}
	free(c);
}

void awscall_cancel(struct awscall *c)
{
	if (c)
		call_free(c);
}

static void on_http_done(struct loop *l, struct http_call *hc, const struct http_result *r, void *ud);

static int attempt(struct awscall *c, struct err *e)
{
	c->attempt++;
	struct http_header extra[EXTRA_MAX];
	for (size_t i = 0; i < c->nextra; i++)
		extra[i] = (struct http_header){ c->xname[i], c->xvalue[i] };
	struct http_headers headers = HTTP_HEADERS_INIT;
	if (awscall_headers(c->ep, c->creds, c->method, c->path, c->query, c->body, c->body_len, c->content_type,
			    c->accept, extra, c->nextra, time(NULL), &headers, e) != 0) {
		http_headers_free(&headers);
		return -1;
	}
	char *url = c->query && *c->query ? xasprintf("%s%s?%s", c->ep->url, c->path, c->query)
					  : xasprintf("%s%s", c->ep->url, c->path);
	struct http_request rq = {
		.method = c->method, .url = url, .headers = &headers, .body = c->body, .body_len = c->body_len,
		.allow_http = c->allow_http, .on_done = on_http_done, .ud = c,
	};
	c->http = http_start(c->loop, &rq);
	free(url);
	http_headers_free(&headers);
	return 0;
}

static void deliver(struct awscall *c, struct awscall_reply *rep)
{
	rep->attempts = c->attempt;
	if (!rep->body)
		rep->body = "";
	c->done(c->ud, rep);
	call_free(c);
}

static int64_t on_retry_timer(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct awscall *c = ud;
	c->timer = 0;
	struct err e = ERR_INIT;
	if (attempt(c, &e) != 0) {
		struct awscall_reply rep = { 0 };
		rep.error = HTTP_ERR_OTHER;
		rep.unsigned_retry = 1;
		rep.failure = e.msg;
		deliver(c, &rep);
	}
	return LOOP_TIMER_DONE;
}

static int retry_later(struct awscall *c, const struct http_result *r, const char *code)
{
	struct retry_attempt a = {
		.attempt = c->attempt, .error = r->error, .status = r->status, .headers = r->headers,
		.error_code = code && *code ? code : NULL,
	};
	struct retry_decision d = retry_decide(&c->policy, &c->rs, &a);
	if (!d.retry)
		return 0;
	log_info("%s: %s", c->what, d.reason);
	c->timer = loop_add_timer(c->loop, d.delay_ms, on_retry_timer, c);
	return 1;
}

static void on_http_done(struct loop *l, struct http_call *hc, const struct http_result *r, void *ud)
{
	(void)l;
	(void)hc;
	struct awscall *c = ud;
	c->http = NULL;
	struct awscall_reply rep = { 0 };
	rep.status = r->status;
	rep.error = r->error;
	if (r->error == HTTP_OK && r->status) {
		rep.headers = r->headers;
		rep.body = r->body && r->body->data ? r->body->data : "";
		rep.len = r->body ? r->body->len : 0;
	}
	if (r->error == HTTP_OK && r->status == 200) {
		retry_succeeded(&c->policy, &c->rs);
		rep.ok = 1;
	} else if (r->error == HTTP_OK && r->status) {
		awscall_error_code(http_headers_get(r->headers, "x-amzn-ErrorType"), rep.body, rep.len, rep.code,
				   sizeof rep.code);
		if (retry_later(c, r, rep.code))
			return;
	} else {
		if (retry_later(c, r, NULL))
			return;
		rep.failure = r->message && *r->message ? r->message : http_error_name(r->error);
	}
	deliver(c, &rep);
}

static void add_extra(struct awscall *c, const char *name, const char *value)
{
	c->xname[c->nextra] = xstrdup(name);
	c->xvalue[c->nextra] = xstrdup(value);
	c->nextra++;
}

struct awscall *awscall_start(struct loop *l, const struct awscall_request *rq, awscall_done_fn done, void *ud,
			      struct err *e)
{
	struct awscall *c = xcalloc(1, sizeof *c);
	c->loop = l;
	c->ep = rq->ep;
	c->creds = rq->creds;
	c->method = xstrdup(rq->method ? rq->method : "POST");
	c->path = xstrdup(rq->path && *rq->path ? rq->path : "/");
	c->query = rq->query && *rq->query ? xstrdup(rq->query) : NULL;
	c->what = xstrdup(rq->what ? rq->what : "AWS call");
	c->allow_http = rq->allow_http;
	c->done = done;
	c->ud = ud;
	if (rq->body) {
		c->body = xstrndup(rq->body, rq->body_len);
		c->body_len = rq->body_len;
	}
	if (rq->target) {
		c->content_type = xasprintf("application/x-amz-json-%s", rq->json_version ? rq->json_version : "1.1");
		add_extra(c, "X-Amz-Target", rq->target);
		if (rq->query_mode)
			add_extra(c, "x-amzn-query-mode", "true");
		if (!c->body) {
			c->body = xstrdup("{}");
			c->body_len = 2;
		}
	} else {
		c->content_type = c->body ? xstrdup("application/json") : NULL;
		c->accept = xstrdup("application/json");
	}
	retry_policy_init(&c->policy, RETRY_AWS);
	c->policy.quota = rq->quota;
	c->policy.rand01 = rq->rand01;
	c->policy.rand_ud = rq->rand_ud;
	if (attempt(c, e) != 0) {
		call_free(c);
		return NULL;
	}
	return c;
}
