#include "llm/llm_json.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/secret.h"
#include "base/xmalloc.h"
#include "llm/creds.h"
#include "net/ndjson.h"
#include "net/sse.h"

#define KEY_FILE_MAX (CREDS_KEY_MAX + 1024) /* the key and some whitespace */
#define ERROR_BODY_MAX ((size_t)64 << 10)
#define ERROR_LINE_MAX 300

/* ---- keys ---- */

static char *trimmed(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

static int usable_key(const char *k)
{
	if (!*k)
		return 0;
	for (; *k; k++)
		if ((unsigned char)*k < 0x20 || *k == 0x7f)
			return 0;
	return 1;
}

void llm_key_free(char *key)
{
	if (key) {
		explicit_bzero(key, strlen(key));
		free(key);
	}
}

void llm_key_fini(struct provider *p)
{
	llm_key_free(p->priv);
	p->priv = NULL;
}

/* The key in file, NULL when the file does not exist (e untouched) or is unusable (e set). */
static char *read_key_file(const char *name, const char *file, struct err *e)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	if (fd < 0) {
		if (errno == ELOOP && lstat(file, &st) == 0)
			creds_key_file_check(name, file, &st, e);
		else if (errno != ENOENT)
			err_errno(e, "%s: cannot read the key file %s", name, file);
		return NULL;
	}
	char raw[KEY_FILE_MAX];
	size_t len = 0;
	char *key = NULL;
	if (fstat(fd, &st) != 0) {
		err_errno(e, "%s: cannot read the key file %s", name, file);
		goto out;
	}
	if (creds_key_file_check(name, file, &st, e) != 0)
		goto out;
	for (;;) {
		ssize_t n = read(fd, raw + len, sizeof raw - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_errno(e, "%s: cannot read the key file %s", name, file);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof raw) {
			err_set(e, "%s: the key file %s is too large to hold an API key", name, file);
			goto out;
		}
	}
	key = trimmed(raw, len);
	if (!usable_key(key)) {
		err_set(e, "%s: the key file %s holds no usable key; store one with: aiwb keys set %s", name, file, name);
		llm_key_free(key);
		key = NULL;
	}
out:
	explicit_bzero(raw, sizeof raw);
	close(fd);
	return key;
}

int llm_key_load(struct provider *p, const char *var, int required, char **key, struct err *e)
{
	const char *v = var ? getenv(var) : NULL;
	*key = NULL;
	free(p->key_source);
	p->key_source = NULL;
	if (v && *v) {
		*key = trimmed(v, strlen(v));
		if (!usable_key(*key)) {
			llm_key_free(*key);
			*key = NULL;
			return err_set(e, "%s: %s holds no usable API key (empty or with control characters)", p->name,
				       var);
		}
		p->key_source = xasprintf("env %s", var);
	} else {
		char *file = creds_key_file(p->name);
		struct err fe = ERR_INIT;
		*key = read_key_file(p->name, file, &fe);
		if (*key)
			p->key_source = xasprintf("key file %s", file);
		free(file);
		if (fe.set)
			return err_set(e, "%s", fe.msg);
	}
	if (!*key) {
		if (!required)
			return 0;
		if (var)
			return err_set(e, "%s: no API key: set %s or run: aiwb keys set %s", p->name, var, p->name);
		return err_set(e, "%s: no API key: run: aiwb keys set %s", p->name, p->name);
	}
	secret_add(*key);
	return 0;
}

/* ---- JSON and sentences ---- */

const char *llm_json_str(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

int64_t llm_json_int(const cJSON *o, const char *name, int64_t dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || fabs(v->valuedouble) > 9e18)
		return dflt;
	return (int64_t)v->valuedouble;
}

const cJSON *llm_json_list(const cJSON *o, const char *name, struct err *e)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, name);
	if (cJSON_IsArray(a))
		return a;
	err_set(e, "it has no \"%s\" list", name);
	return NULL;
}

char *llm_json_print(cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!s) {
		fputs("aiwb: out of memory printing JSON\n", stderr);
		abort();
	}
	return s;
}

static void add_message(cJSON *a, const char *role, const char *content)
{
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "role", role);
	cJSON_AddStringToObject(m, "content", content ? content : "");
	cJSON_AddItemToArray(a, m);
}

cJSON *llm_json_messages(const struct llm_request *rq, int with_system)
{
	cJSON *a = cJSON_CreateArray();
	if (with_system && rq->system)
		add_message(a, "system", rq->system);
	for (size_t i = 0; i < rq->nmessages; i++)
		add_message(a, rq->messages[i].role, rq->messages[i].content);
	return a;
}

cJSON *llm_json_strings(const char *const *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}

const char *llm_stop_reason(const char *reason)
{
	static const char *const map[][2] = {
		{ "stop", "end_turn" },
		{ "length", "max_tokens" },
		{ "tool_calls", "tool_use" },
		{ "function_call", "tool_use" },
		{ "refusal", "content_filter" },
	};
	for (size_t i = 0; reason && i < sizeof map / sizeof *map; i++)
		if (strcmp(reason, map[i][0]) == 0)
			return map[i][1];
	return reason ? reason : "";
}

static int filled(const char *s)
{
	return s && *s;
}

void llm_sentence(char *out, size_t size, const char *provider, const char *what, const char *code,
		  const char *request_id, const char *message)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s:", provider);
	size_t head = b.len;
	if (filled(what))
		buf_printf(&b, " %s", what);
	if (filled(code))
		buf_printf(&b, " %s", code);
	if (filled(request_id))
		buf_printf(&b, " (request %s)", request_id);
	if (filled(message))
		buf_printf(&b, "%s %s", b.len > head ? ":" : "", message);
	snprintf(out, size, "%s", buf_str(&b));
	buf_free(&b);
}

static void copy_out(char *out, size_t size, const char *s)
{
	if (size)
		snprintf(out, size, "%s", s ? s : "");
}

static void first_line(char *out, size_t size, const char *body, size_t len)
{
	while (len && isspace((unsigned char)*body)) {
		body++;
		len--;
	}
	size_t n = 0;
	while (n < len && body[n] != '\n' && body[n] != '\r' && body[n] != '\0' && n < ERROR_LINE_MAX)
		n++;
	while (n && isspace((unsigned char)body[n - 1]))
		n--;
	if (size)
		snprintf(out, size, "%.*s", (int)n, body);
}

void llm_error_body(const char *body, size_t len, char *code, size_t ncode, char *message, size_t nmessage,
		    char *request_id, size_t nrequest_id)
{
	copy_out(code, ncode, NULL);
	copy_out(message, nmessage, NULL);
	copy_out(request_id, nrequest_id, NULL);
	if (!body || !len)
		return;
	cJSON *j = cJSON_ParseWithLength(body, len);
	if (!j) {
		first_line(message, nmessage, body, len);
		return;
	}
	const char *c, *m, *rid;
	llm_error_fields(j, &c, &m, &rid);
	copy_out(code, ncode, c);
	copy_out(message, nmessage, m);
	copy_out(request_id, nrequest_id, rid);
	cJSON_Delete(j);
}

void llm_error_fields(const cJSON *j, const char **code, const char **message, const char **request_id)
{
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(j, "error");
	*code = *message = NULL;
	*request_id = llm_json_str(j, "request_id");
	if (cJSON_IsString(err)) {
		*message = err->valuestring;
		return;
	}
	const cJSON *o = cJSON_IsObject(err) ? err : j;
	*code = llm_json_str(o, "code");
	if (!*code)
		*code = llm_json_str(o, "type");
	if (*code && strcmp(*code, "error") == 0)
		*code = NULL;
	*message = llm_json_str(o, "message");
}

/* ---- chat answers ---- */

static void stream_failed(struct llm_stream *s, const char *what)
{
	s->failed = 1;
	llm_sentence(s->res.message, sizeof s->res.message, s->provider,
		     s->whole ? "the answer is malformed" : "the stream is malformed", NULL, NULL, what);
}

static void decode(struct llm_stream *s, const char *type, const char *data, size_t len)
{
	if (s->ended || s->failed)
		return;
	const char *done = s->wire->done_data;
	if (done && len >= strlen(done) && memcmp(data, done, strlen(done)) == 0) {
		s->ended = 1;
		return;
	}
	size_t i = 0;
	while (i < len && isspace((unsigned char)data[i]))
		i++;
	if (i == len)
		return;
	cJSON *obj = json_parse(data, len, 0);
	if (!obj) {
		/* at the end of a body, an event that does not parse is the cut tail */
		if (!s->at_end)
			stream_failed(s, "it held data that is not JSON");
		return;
	}
	s->wire->event(s, type, obj);
	cJSON_Delete(obj);
}

static int on_sse_event(void *ud, const struct sse_event *ev)
{
	decode(ud, ev->type, ev->data, ev->data_len);
	return 0;
}

static int on_ndjson_line(void *ud, const char *line, size_t len)
{
	decode(ud, NULL, line, len);
	return 0;
}

void llm_stream_reset(struct llm_stream *s)
{
	memset(&s->res, 0, sizeof s->res);
	s->res.usage.input_tokens = s->res.usage.output_tokens = -1;
	s->res.first_byte_us = -1;
	s->text_bytes = 0;
	s->ended = s->failed = s->at_end = s->whole = 0;
	s->total_ns = s->load_ns = s->prompt_eval_ns = s->eval_ns = -1;
	sse_free(s->sse);
	ndjson_free(s->nd);
	s->sse = NULL;
	s->nd = NULL;
	if (s->wire->ndjson)
		s->nd = ndjson_new(0, on_ndjson_line, s);
	else
		s->sse = sse_new(0, on_sse_event, s);
}

void llm_stream_init(struct llm_stream *s, const struct llm_wire *w, const char *provider,
		     void (*on_text)(void *ud, const char *text, size_t len), void *ud)
{
	memset(s, 0, sizeof *s);
	s->wire = w;
	s->provider = provider;
	s->on_text = on_text;
	s->ud = ud;
	llm_stream_reset(s);
}

void llm_stream_free(struct llm_stream *s)
{
	sse_free(s->sse);
	ndjson_free(s->nd);
	s->sse = NULL;
	s->nd = NULL;
}

void llm_stream_feed(struct llm_stream *s, const void *bytes, size_t n)
{
	struct err e = ERR_INIT;
	if (s->ended || s->failed || !n)
		return;
	int rc = s->sse ? sse_feed(s->sse, bytes, n, &e) : ndjson_feed(s->nd, bytes, n, &e);
	if (rc < 0)
		stream_failed(s, e.msg);
}

static void settle(struct llm_stream *s, const char *cut)
{
	if (s->failed) {
		s->res.status = LLM_ERROR;
	} else if (s->ended) {
		s->res.status = LLM_OK;
	} else {
		char why[600];
		s->res.status = LLM_CUT;
		if (cut && *cut)
			snprintf(why, sizeof why, "%s; the answer is incomplete", cut);
		else
			snprintf(why, sizeof why, "it ended before %s; the answer is incomplete", s->wire->end_marker);
		llm_sentence(s->res.message, sizeof s->res.message, s->provider,
			     s->whole ? "the answer was cut" : "the stream was cut", NULL, NULL, why);
	}
}

void llm_stream_end(struct llm_stream *s, const char *cut)
{
	if (!s->ended && !s->failed) {
		s->at_end = 1;
		if (s->sse) {
			/* a last event without its blank line still counts when it is whole */
			sse_feed(s->sse, "\n\n", 2, NULL);
			sse_finish(s->sse);
		} else {
			ndjson_finish(s->nd, NULL);
		}
		s->at_end = 0;
	}
	settle(s, cut);
}

void llm_stream_whole(struct llm_stream *s, const char *body, size_t len, const char *cut)
{
	s->whole = 1;
	if (s->wire->ndjson) {
		llm_stream_feed(s, body, len);
		llm_stream_end(s, cut);
		return;
	}
	cJSON *obj = body && len ? json_parse(body, len, 0) : NULL;
	if (!obj) {
		if (!cut)
			stream_failed(s, "it is not JSON");
		settle(s, cut);
		return;
	}
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(obj, "error");
	if (err && !cJSON_IsNull(err)) {
		const char *code, *msg, *rid;
		llm_error_fields(obj, &code, &msg, &rid);
		llm_stream_error(s, code, msg);
	} else {
		s->wire->whole(s, obj);
		if (!s->ended && !s->failed)
			stream_failed(s, "it holds no message");
	}
	cJSON_Delete(obj);
	settle(s, cut);
}

void llm_stream_text(struct llm_stream *s, const char *text, size_t len)
{
	if (!text || !len)
		return;
	s->text_bytes += len;
	if (s->on_text)
		s->on_text(s->ud, text, len);
}

void llm_stream_set_stop(struct llm_stream *s, const char *reason)
{
	if (filled(reason))
		snprintf(s->res.stop_reason, sizeof s->res.stop_reason, "%s", llm_stop_reason(reason));
}

void llm_stream_error(struct llm_stream *s, const char *code, const char *message)
{
	char what[48];
	s->failed = 1;
	copy_out(s->res.error_code, sizeof s->res.error_code, code);
	snprintf(what, sizeof what, "the %s reported%s", s->whole ? "answer" : "stream", filled(code) ? "" : " an error");
	llm_sentence(s->res.message, sizeof s->res.message, s->provider, what, code, s->res.request_id,
		     filled(message) ? message : "no message given");
}

/* ---- calls ---- */

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
	return 1;
}

/* The sentence for a failed attempt: an HTTP error with its body, or the transfer's own. */
static void failure(struct llm_call *c, const struct http_result *r, char *msg, size_t size, char *code,
		    size_t ncode, char *rid, size_t nrid)
{
	copy_out(code, ncode, NULL);
	copy_out(rid, nrid, c->request_id);
	if (r->status < 400) {
		llm_sentence(msg, size, c->name, NULL, NULL, NULL, filled(r->message) ? r->message : "the request failed");
		return;
	}
	char body_msg[512], body_rid[128], what[32];
	llm_error_body(c->in.data, c->in.len, code, ncode, body_msg, sizeof body_msg, body_rid, sizeof body_rid);
	if (!rid[0])
		copy_out(rid, nrid, body_rid);
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
		copy_out(res->error_code, sizeof res->error_code, code);
		copy_out(res->request_id, sizeof res->request_id, rid);
	}
	if (res->status != LLM_OK)
		after_attempts(c, res->message, sizeof res->message);
	if (!res->request_id[0])
		copy_out(res->request_id, sizeof res->request_id, c->request_id);
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
	copy_out(c->request_id, sizeof c->request_id, rid);
	if (c->chat && is_2xx(status)) {
		copy_out(c->st.res.request_id, sizeof c->st.res.request_id, rid);
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

/* ---- model lists and embeddings ---- */

struct llm_model *llm_models_add(struct llm_model_list *list, const char *id)
{
	list->models = xreallocarray(list->models, list->n + 1, sizeof *list->models);
	struct llm_model *m = &list->models[list->n++];
	memset(m, 0, sizeof *m);
	m->id = xstrdup(id);
	return m;
}

void llm_models_clear(struct llm_model_list *list)
{
	for (size_t i = 0; i < list->n; i++) {
		free(list->models[i].id);
		free(list->models[i].name);
		free(list->models[i].owner);
	}
	free(list->models);
	list->models = NULL;
	list->n = 0;
}

const cJSON *llm_embedding_rows(const cJSON *body, const char *name, size_t n, struct err *e)
{
	const cJSON *rows = llm_json_list(body, name, e);
	if (rows && (size_t)cJSON_GetArraySize(rows) != n) {
		err_set(e, "%d embeddings for %zu inputs", cJSON_GetArraySize(rows), n);
		return NULL;
	}
	return rows;
}

int llm_embedding_put(struct llm_embedding *emb, size_t n, size_t row, const cJSON *vec, struct err *e)
{
	int dim = cJSON_GetArraySize(vec);
	if (!cJSON_IsArray(vec) || dim <= 0)
		return err_set(e, "embedding %zu is not a list of numbers", row);
	if (!emb->values) {
		emb->dim = (size_t)dim;
		emb->n = n;
		emb->values = xcalloc(n * emb->dim, sizeof *emb->values);
	}
	if ((size_t)dim != emb->dim)
		return err_set(e, "embedding %zu has %d dimensions, the first has %zu", row, dim, emb->dim);
	if (row >= n)
		return err_set(e, "embedding %zu answers no input (%zu were sent)", row, n);
	float *out = emb->values + row * emb->dim;
	const cJSON *x;
	cJSON_ArrayForEach(x, vec) {
		if (!cJSON_IsNumber(x))
			return err_set(e, "embedding %zu holds a value that is not a number", row);
		*out++ = (float)x->valuedouble;
	}
	return 0;
}

#define LIST_MAX_PAGES 20

struct list_state {
	char *name;
	char *url;
	llm_models_fn parse;
	const char *cursor_param;
	int pages;
	struct llm_model_list list;
	void (*done)(void *ud, const struct llm_model_list *list, const struct err *e);
	void *ud;
};

static void list_state_free(void *ud)
{
	struct list_state *st = ud;
	llm_models_clear(&st->list);
	free(st->name);
	free(st->url);
	free(st);
}

static char *next_page_url(const struct list_state *st, const char *cursor)
{
	char *esc = curl_easy_escape(NULL, cursor, 0);
	char *url = xasprintf("%s%c%s=%s", st->url, strchr(st->url, '?') ? '&' : '?', st->cursor_param,
			      esc ? esc : "");
	curl_free(esc);
	return url;
}

static int on_models(struct llm_call *c, const cJSON *body, const struct err *e, void *ud)
{
	struct list_state *st = ud;
	struct err pe = ERR_INIT, fe = ERR_INIT;
	char *cursor = NULL;
	if (!body) {
		st->done(st->ud, NULL, e);
		return 0;
	}
	if (st->parse(body, &st->list, &cursor, &pe) != 0) {
		err_set(&fe, "%s: the model list is not what the API returns: %s", st->name, pe.msg);
		st->done(st->ud, NULL, &fe);
		free(cursor);
		return 0;
	}
	if (cursor && st->cursor_param && ++st->pages < LIST_MAX_PAGES) {
		char *url = next_page_url(st, cursor);
		llm_call_next(c, url);
		free(url);
		free(cursor);
		return 1;
	}
	free(cursor);
	st->done(st->ud, &st->list, NULL);
	return 0;
}

struct provider_call *llm_list_start(struct loop *l, const struct llm_call_setup *cs, llm_models_fn parse,
				     const char *cursor_param,
				     void (*done)(void *ud, const struct llm_model_list *list, const struct err *e),
				     void *ud, struct err *e)
{
	struct list_state *st = xcalloc(1, sizeof *st);
	st->name = xstrdup(cs->p->name);
	st->url = xstrdup(cs->url);
	st->parse = parse;
	st->cursor_param = cursor_param;
	st->done = done;
	st->ud = ud;
	return llm_fetch_start(l, cs, on_models, st, list_state_free, e);
}

struct embed_state {
	char *name;
	llm_embed_fn parse;
	size_t n;
	void (*done)(void *ud, const struct llm_embedding *emb, const struct err *e);
	void *ud;
};

static void embed_state_free(void *ud)
{
	struct embed_state *st = ud;
	free(st->name);
	free(st);
}

static int on_embedding(struct llm_call *c, const cJSON *body, const struct err *e, void *ud)
{
	struct embed_state *st = ud;
	struct err pe = ERR_INIT, fe = ERR_INIT;
	(void)c;
	if (!body) {
		st->done(st->ud, NULL, e);
		return 0;
	}
	struct llm_embedding emb;
	memset(&emb, 0, sizeof emb);
	emb.usage.input_tokens = emb.usage.output_tokens = -1;
	if (st->parse(body, st->n, &emb, &pe) != 0) {
		err_set(&fe, "%s: the embeddings answer is not what the API returns: %s", st->name, pe.msg);
		st->done(st->ud, NULL, &fe);
	} else {
		st->done(st->ud, &emb, NULL);
	}
	free(emb.values);
	return 0;
}

struct provider_call *llm_embed_start(struct loop *l, const struct llm_call_setup *cs, llm_embed_fn parse, size_t n,
				      void (*done)(void *ud, const struct llm_embedding *emb, const struct err *e),
				      void *ud, struct err *e)
{
	struct embed_state *st = xcalloc(1, sizeof *st);
	st->name = xstrdup(cs->p->name);
	st->parse = parse;
	st->n = n;
	st->done = done;
	st->ud = ud;
	return llm_fetch_start(l, cs, on_embedding, st, embed_state_free, e);
}

/* ---- the HTTP JSON APIs ---- */

void llm_bearer_headers(const struct provider *p, struct http_headers *h, int json)
{
	if (p->priv) {
		char *auth = xasprintf("Bearer %s", (const char *)p->priv);
		http_headers_add(h, "Authorization", auth);
		llm_key_free(auth);
	}
	if (json)
		http_headers_add(h, "Content-Type", "application/json");
}

void llm_trim_slashes(char *url)
{
	size_t n = strlen(url);
	while (n && url[n - 1] == '/')
		url[--n] = '\0';
}

struct api_call {
	struct llm_call_setup cs;
	struct http_headers headers;
	char *url;
};

/* body NULL: no body, and no JSON content type. */
static void api_call_init(struct api_call *ac, const struct llm_api *api, const struct provider *p, const char *path,
			  const char *body)
{
	memset(ac, 0, sizeof *ac);
	ac->url = xasprintf("%s%s", p->base_url, path);
	api->headers(p, &ac->headers, body != NULL);
	ac->cs.p = p;
	ac->cs.secret = p->priv;
	ac->cs.retry = api->retry;
	ac->cs.url = ac->url;
	ac->cs.headers = &ac->headers;
	ac->cs.body = body;
	ac->cs.body_len = body ? strlen(body) : 0;
}

static void api_call_fini(struct api_call *ac)
{
	http_headers_free(&ac->headers);
	free(ac->url);
}

struct provider_call *llm_api_chat(const struct llm_api *api, const struct provider *p, struct loop *l,
				   const char *path, char *body, const struct llm_wire *w, int stream,
				   const struct llm_handlers *h, void *ud, struct err *e)
{
	struct api_call ac;
	api_call_init(&ac, api, p, path, body);
	struct provider_call *c = llm_chat_start(l, &ac.cs, w, stream, h, ud, e);
	api_call_fini(&ac);
	free(body);
	return c;
}

struct provider_call *llm_api_list(const struct llm_api *api, const struct provider *p, struct loop *l,
				   const char *path, llm_models_fn parse, const char *cursor_param,
				   void (*done)(void *ud, const struct llm_model_list *list, const struct err *e),
				   void *ud, struct err *e)
{
	struct api_call ac;
	api_call_init(&ac, api, p, path, NULL);
	ac.cs.method = "GET";
	ac.cs.max_attempts = 1;
	struct provider_call *c = llm_list_start(l, &ac.cs, parse, cursor_param, done, ud, e);
	api_call_fini(&ac);
	return c;
}

struct provider_call *llm_api_embed(const struct llm_api *api, const struct provider *p, struct loop *l,
				    const char *path, cJSON *body, llm_embed_fn parse, size_t n,
				    void (*done)(void *ud, const struct llm_embedding *emb, const struct err *e),
				    void *ud, struct err *e)
{
	if (!n) {
		cJSON_Delete(body);
		err_set(e, "%s: nothing to embed", p->name);
		return NULL;
	}
	char *text = llm_json_print(body);
	struct api_call ac;
	api_call_init(&ac, api, p, path, text);
	struct provider_call *c = llm_embed_start(l, &ac.cs, parse, n, done, ud, e);
	api_call_fini(&ac);
	free(text);
	return c;
}

void llm_params_add_json(cJSON *o, const struct llm_params *p)
{
	if (p->has_temperature)
		cJSON_AddNumberToObject(o, "temperature", p->temperature);
	if (p->has_top_p)
		cJSON_AddNumberToObject(o, "top_p", p->top_p);
	if (p->has_max_tokens)
		cJSON_AddNumberToObject(o, "max_tokens", p->max_tokens);
	if (p->nstop) {
		cJSON *s = cJSON_AddArrayToObject(o, "stop");
		for (size_t i = 0; i < p->nstop; i++)
			cJSON_AddItemToArray(s, cJSON_CreateString(p->stop[i]));
	}
}
