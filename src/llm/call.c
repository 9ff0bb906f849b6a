#include "llm/call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/secret.h"
#include "base/xmalloc.h"
#include "llm/errors.h"
#include "loop.h"

#define ERROR_BODY_MAX ((size_t)64 << 10)

static int filled(const char *s)
{
	return s && *s;
}

struct llm_call {
	struct provider_call base;
	struct loop *loop;
	char *name;
	int allow_http;
	char *method, *url;
	struct http_headers headers;
	char *body;
	size_t body_len;
	struct retry_policy policy;
	struct retry_state rs;
	int attempt;
	struct http_call *http;
	int64_t timer;
	int status;
	int busy, cancelled;
	char request_id[128];
	struct buf in;          /* an error body, or an answer that is not streamed */
	int chat, stream, whole;
	struct llm_stream st;
	struct llm_handlers h;
	void *hud;
	llm_json_fn on_json;
	void *ud;
	void (*free_ud)(void *ud);
};

static void call_free(struct llm_call *c)
{
	llm_transfer_stop(c->loop, &c->http, &c->timer);
	if (c->chat)
		llm_stream_free(&c->st);
	if (c->free_ud)
		c->free_ud(c->ud);
	http_headers_free(&c->headers);
	buf_free(&c->in);
	free(c->name);
	free(c->method);
	free(c->url);
	free(c->body);
	free(c);
}

static void start_attempt(struct llm_call *c);

static int64_t on_retry_timer(struct loop *l, int64_t id, void *ud)
{
	struct llm_call *c = ud;
	(void)l;
	(void)id;
	c->timer = 0;
	start_attempt(c);
	return LOOP_TIMER_DONE;
}

static int is_2xx(int status)
{
	return status >= 200 && status < 300;
}

static int try_again(struct llm_call *c, const struct http_result *r, const char *code)
{
	/* A chat whose server went silent for the whole idle timeout is not asked
	 * again: each attempt would wait as long (three of them, minutes). */
	if (c->chat && r->error == HTTP_ERR_IDLE_TIMEOUT)
		return 0;
	struct retry_attempt a = {
		.attempt = c->attempt,
		.error = r->error,
		.status = r->status,
		.headers = r->headers,
		.error_code = filled(code) ? code : NULL,
		.output_delivered = c->chat && c->st.text_bytes > 0,
	};
	struct retry_decision d = retry_decide(&c->policy, &c->rs, &a);
	if (!d.retry)
		return 0;
	log_info("%s: %s", c->name, d.reason);
	c->timer = loop_add_timer(c->loop, d.delay_ms, on_retry_timer, c);
	if (c->h.on_retry)
		c->h.on_retry(c->hud, c->attempt + 1, c->policy.max_attempts, d.delay_ms, d.reason);
	return 1;
}

/* The sentence for a failed attempt: an HTTP error with its body, or the transfer's own. */
static void failure(struct llm_call *c, const struct http_result *r, char *msg, size_t size, char *code,
		    size_t ncode, char *rid, size_t nrid)
{
	llm_copy_out(code, ncode, NULL);
	llm_copy_out(rid, nrid, c->request_id);
	if (r->status < 400) {
		llm_sentence(msg, size, c->name, NULL, NULL, NULL, filled(r->message) ? r->message : "the request failed");
		return;
	}
	char body_msg[512], body_rid[128], what[32];
	llm_error_body(c->in.data, c->in.len, code, ncode, body_msg, sizeof body_msg, body_rid, sizeof body_rid);
	if (!rid[0])
		llm_copy_out(rid, nrid, body_rid);
	snprintf(what, sizeof what, "HTTP %d", r->status);
	llm_sentence(msg, size, c->name, what, code, rid, body_msg[0] ? body_msg : r->message);
}

static void after_attempts(struct llm_call *c, char *msg, size_t size)
{
	size_t n = strlen(msg);
	if (c->attempt > 1 && n < size)
		snprintf(msg + n, size - n, " (after %d attempts)", c->attempt);
	secret_redact(msg, size);
}

static void chat_done(struct llm_call *c, const struct http_result *r)
{
	struct llm_result *res = &c->st.res;
	if (is_2xx(r->status)) {
		const char *cut = r->error != HTTP_OK ? r->message : NULL;
		if (c->whole)
			llm_stream_whole(&c->st, c->in.data, c->in.len, cut);
		else
			llm_stream_end(&c->st, cut);
		if (res->status == LLM_CUT && r->error != HTTP_OK && try_again(c, r, NULL))
			return;
		if (res->status == LLM_OK)
			retry_succeeded(&c->policy, &c->rs);
	} else {
		char code[96], rid[128];
		failure(c, r, res->message, sizeof res->message, code, sizeof code, rid, sizeof rid);
		if (try_again(c, r, code))
			return;
		res->status = LLM_ERROR;
		llm_copy_out(res->error_code, sizeof res->error_code, code);
		llm_copy_out(res->request_id, sizeof res->request_id, rid);
	}
	if (res->status != LLM_OK)
		after_attempts(c, res->message, sizeof res->message);
	if (!res->request_id[0])
		llm_copy_out(res->request_id, sizeof res->request_id, c->request_id);
	res->attempts = c->attempt;
	res->http_status = r->status;
	res->first_byte_us = r->ttfb_us > 0 ? r->ttfb_us : -1;
	if (res->status != LLM_OK)
		log_info("%s", res->message);
	c->busy++;
	if (c->h.done)
		c->h.done(c->hud, res);
	c->busy--;
	call_free(c);
}

static void fetch_done(struct llm_call *c, const struct http_result *r)
{
	struct err e = ERR_INIT;
	cJSON *j = NULL;
	if (is_2xx(r->status) && r->error == HTTP_OK) {
		secret_redact_buf(&c->in);
		j = cJSON_ParseWithLength(c->in.data ? c->in.data : "", c->in.len);
		if (!j)
			err_set(&e, "%s: the answer to %s is not JSON", c->name, c->url);
		else
			retry_succeeded(&c->policy, &c->rs);
	} else {
		char code[96], rid[128];
		failure(c, r, e.msg, sizeof e.msg, code, sizeof code, rid, sizeof rid);
		if (try_again(c, r, code))
			return;
		e.set = 1;
		after_attempts(c, e.msg, sizeof e.msg);
	}
	c->busy++;
	int more = c->on_json(c, j, j ? NULL : &e, c->ud);
	c->busy--;
	cJSON_Delete(j);
	if (more && !c->cancelled)
		return;
	call_free(c);
}

static void on_http_done(struct loop *l, struct http_call *hc, const struct http_result *r, void *ud)
{
	struct llm_call *c = ud;
	(void)l;
	(void)hc;
	c->http = NULL;
	if (c->chat)
		chat_done(c, r);
	else
		fetch_done(c, r);
}

static int on_http_head(int status, const struct http_headers *headers, void *ud)
{
	struct llm_call *c = ud;
	const char *rid = http_request_id(headers);
	c->status = status;
	llm_copy_out(c->request_id, sizeof c->request_id, rid);
	if (c->chat && is_2xx(status)) {
		llm_copy_out(c->st.res.request_id, sizeof c->st.res.request_id, rid);
		const char *ct = http_headers_get(headers, "content-type");
		if (c->stream && !c->st.wire->ndjson && ct && strncasecmp(ct, "application/json", 16) == 0)
			c->whole = 1;
	}
	return HTTP_CONTINUE;
}

static int on_http_body(const char *data, size_t len, void *ud)
{
	struct llm_call *c = ud;
	if (c->cancelled)
		return HTTP_STOP;
	if (c->chat && is_2xx(c->status) && !c->whole) {
		c->busy++;
		llm_stream_feed(&c->st, data, len);
		c->busy--;
		if (c->cancelled) {
			call_free(c);
			return HTTP_STOP;
		}
		return HTTP_CONTINUE;
	}
	if (is_2xx(c->status))
		buf_append(&c->in, data, len);
	else if (c->in.len < ERROR_BODY_MAX)
		buf_append(&c->in, data, len < ERROR_BODY_MAX - c->in.len ? len : ERROR_BODY_MAX - c->in.len);
	return HTTP_CONTINUE;
}

static void start_attempt(struct llm_call *c)
{
	c->attempt++;
	c->status = 0;
	c->request_id[0] = '\0';
	buf_reset(&c->in);
	if (c->chat) {
		c->whole = !c->stream;
		llm_stream_reset(&c->st);
	}
	struct http_request rq = {
		.method = c->method,
		.url = c->url,
		.headers = &c->headers,
		.body = c->body,
		.body_len = c->body_len,
		.allow_http = c->allow_http,
		.on_head = on_http_head,
		.on_body = on_http_body,
		.on_done = on_http_done,
		.ud = c,
	};
	c->http = http_start(c->loop, &rq);
}

static struct llm_call *call_new(struct loop *l, const struct llm_call_setup *cs, struct err *e)
{
	struct err ue = ERR_INIT;
	if (http_check_url(cs->url, cs->p->allow_http, &ue) != 0) {
		err_set(e, "%s: %s", cs->p->name, ue.msg);
		return NULL;
	}
	struct llm_call *c = xcalloc(1, sizeof *c);
	c->base.ops = cs->p->ops;
	c->loop = l;
	c->name = xstrdup(cs->p->name);
	secret_add(cs->secret);
	c->allow_http = cs->p->allow_http;
	c->method = cs->method ? xstrdup(cs->method) : NULL;
	c->url = xstrdup(cs->url);
	for (size_t i = 0; cs->headers && i < cs->headers->n; i++)
		http_headers_add(&c->headers, cs->headers->v[i].name, cs->headers->v[i].value);
	if (cs->body) {
		c->body = xstrndup(cs->body, cs->body_len);
		c->body_len = cs->body_len;
	}
	retry_policy_init(&c->policy, cs->retry);
	if (cs->max_attempts > 0)
		c->policy.max_attempts = cs->max_attempts;
	return c;
}

static void on_stream_text(void *ud, const char *text, size_t len)
{
	struct llm_call *c = ud;
	if (!c->cancelled && c->h.on_text)
		c->h.on_text(c->hud, text, len);
}

struct provider_call *llm_chat_start(struct loop *l, const struct llm_call_setup *cs, const struct llm_wire *w,
				     int stream, const struct llm_handlers *h, void *ud, struct err *e)
{
	struct llm_call *c = call_new(l, cs, e);
	if (!c)
		return NULL;
	c->chat = 1;
	c->stream = stream;
	c->h = *h;
	c->hud = ud;
	llm_stream_init(&c->st, w, c->name, on_stream_text, c);
	start_attempt(c);
	return &c->base;
}

struct provider_call *llm_fetch_start(struct loop *l, const struct llm_call_setup *cs, llm_json_fn on_json,
				      void *ud, void (*free_ud)(void *ud), struct err *e)
{
	struct llm_call *c = call_new(l, cs, e);
	if (!c) {
		if (free_ud)
			free_ud(ud);
		return NULL;
	}
	c->on_json = on_json;
	c->ud = ud;
	c->free_ud = free_ud;
	start_attempt(c);
	return &c->base;
}

void llm_call_next(struct llm_call *c, const char *url)
{
	free(c->url);
	c->url = xstrdup(url);
	c->attempt = 0;
	memset(&c->rs, 0, sizeof c->rs);
	start_attempt(c);
}

void llm_call_cancel(struct provider_call *pc)
{
	struct llm_call *c = (struct llm_call *)pc;
	if (!c || c->cancelled)
		return;
	c->cancelled = 1;
	llm_transfer_stop(c->loop, &c->http, &c->timer);
	if (!c->busy)
		call_free(c);
}

void llm_transfer_stop(struct loop *l, struct http_call **http, int64_t *timer)
{
	if (*http) {
		http_cancel(*http);
		*http = NULL;
	}
	if (*timer) {
		loop_del_timer(l, *timer);
		*timer = 0;
	}
}
