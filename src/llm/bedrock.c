#include "llm/bedrock.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/sanitize.h"
#include "base/secret.h"
#include "base/xmalloc.h"
#include "llm/call.h"
#include "llm/errors.h"
#include "llm/llm_json.h"
#include "llm/paging.h"
#include "llm/stream.h"
#include "loop.h"
#include "net/awscall.h"
#include "net/eventstream.h"
#include "net/retry.h"
#include "net/sigv4.h"

#define ERROR_BODY_CAP ((size_t)64 << 10)
#define SERVER_TEXT_MAX 400
#define COHERE_BATCH 96
#define NONSTREAM_IDLE_MS 300000
#define CREDS_REFRESH_MARGIN_S 300

/* ---- text helpers ---- */

/* Copies src into dst, cutting at a UTF-8 character boundary. */
static void set_text(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	if (n >= size) {
		n = size - 1;
		while (n && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Server text made safe for one line on a terminal: sanitized, no newlines or
 * tabs, at most max bytes. */
static void put_clean(struct buf *b, const char *s, size_t n, size_t max)
{
	char *safe = sanitize_str(s, n, 0);
	size_t len = strlen(safe);
	while (len && (safe[len - 1] == '\n' || safe[len - 1] == ' ' || safe[len - 1] == '\t'))
		len--;
	size_t start = 0;
	while (start < len && (safe[start] == '\n' || safe[start] == ' ' || safe[start] == '\t'))
		start++;
	int cut = 0;
	if (len - start > max) {
		len = start + max;
		while (len > start && ((unsigned char)safe[len] & 0xC0) == 0x80)
			len--;
		cut = 1;
	}
	for (size_t i = start; i < len; i++)
		buf_putc(b, safe[i] == '\n' || safe[i] == '\t' ? ' ' : safe[i]);
	if (cut)
		buf_puts(b, "...");
	free(safe);
}

static void set_clean(char *dst, size_t size, const char *src)
{
	struct buf b = BUF_INIT;
	put_clean(&b, src, strlen(src), size - 1);
	set_text(dst, size, buf_str(&b));
	buf_free(&b);
}

static void result_init(struct llm_result *r)
{
	memset(r, 0, sizeof *r);
	r->usage.input_tokens = r->usage.output_tokens = -1;
	r->first_byte_us = -1;
}

/* ---- stop reasons ---- */

void bedrock_stop_reason(const char *raw, char *out, size_t size)
{
	const char *reason = llm_stop_reason(raw);
	size_t n = 0;
	for (const char *p = reason; *p && n + 1 < size; p++)
		out[n++] = *p > ' ' && *p < 0x7f ? *p : '?';
	out[n] = '\0';
}

/* ---- the ConverseStream body ---- */

enum stream_failure { FAIL_NONE, FAIL_EXCEPTION, FAIL_ERROR, FAIL_DAMAGED };

struct bedrock_stream {
	char *name;
	struct es_decoder *dec;
	bedrock_text_fn on_text;
	void *ud;
	size_t text_bytes;
	int stopped, got_metadata, halted;
	char stop_reason[64];
	struct llm_usage usage;
	int64_t latency_ms;
	enum stream_failure failure;
	char error_code[96];
	struct buf detail;
};

static int fail_damaged(struct bedrock_stream *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail_damaged(struct bedrock_stream *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_reset(&s->detail);
	buf_vprintf(&s->detail, fmt, ap);
	va_end(ap);
	s->failure = FAIL_DAMAGED;
	return 1;
}

static int on_exception(struct bedrock_stream *s, const struct es_message *m)
{
	const char *type = es_header_string(m, ":exception-type", NULL);
	set_clean(s->error_code, sizeof s->error_code, type && *type ? type : "unknownException");
	s->failure = FAIL_EXCEPTION;
	buf_reset(&s->detail);
	cJSON *j = cJSON_ParseWithLength((const char *)m->payload, m->payload_len);
	const char *msg = j ? llm_json_str(j, "message") : NULL;
	if (!msg && j)
		msg = llm_json_str(j, "Message");
	if (msg)
		put_clean(&s->detail, msg, strlen(msg), SERVER_TEXT_MAX);
	else if (!j && m->payload_len)
		put_clean(&s->detail, (const char *)m->payload, m->payload_len, SERVER_TEXT_MAX);
	int64_t original = llm_json_int(j, "originalStatusCode", -1);
	const char *original_msg = llm_json_str(j, "originalMessage");
	if (original >= 0) {
		buf_printf(&s->detail, " (the model answered %lld", (long long)original);
		if (original_msg) {
			buf_puts(&s->detail, ": ");
			put_clean(&s->detail, original_msg, strlen(original_msg), SERVER_TEXT_MAX);
		}
		buf_putc(&s->detail, ')');
	}
	cJSON_Delete(j);
	return 1;
}

static int on_error_message(struct bedrock_stream *s, const struct es_message *m)
{
	const char *code = es_header_string(m, ":error-code", NULL);
	size_t len = 0;
	const char *msg = es_header_string(m, ":error-message", &len);
	set_clean(s->error_code, sizeof s->error_code, code && *code ? code : "UnknownError");
	s->failure = FAIL_ERROR;
	buf_reset(&s->detail);
	if (msg)
		put_clean(&s->detail, msg, len, SERVER_TEXT_MAX);
	return 1;
}

static int on_event(struct bedrock_stream *s, const char *type, const struct es_message *m)
{
	int delta = strcmp(type, "contentBlockDelta") == 0, stop = strcmp(type, "messageStop") == 0;
	int meta = strcmp(type, "metadata") == 0;
	if (!delta && !stop && !meta)
		return 0;
	cJSON *j = json_parse((const char *)m->payload, m->payload_len, 0);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return fail_damaged(s, "the %s event is not a JSON object", type);
	}
	int rc = 0;
	if (delta) {
		const char *text = llm_json_str(cJSON_GetObjectItemCaseSensitive(j, "delta"), "text");
		size_t n = text ? strlen(text) : 0;
		if (n) {
			s->text_bytes += n;
			if (s->on_text && s->on_text(s->ud, text, n)) {
				s->halted = 1;
				rc = 1;
			}
		}
	} else if (stop) {
		const char *reason = llm_json_str(j, "stopReason");
		s->stopped = 1;
		bedrock_stop_reason(reason ? reason : "", s->stop_reason, sizeof s->stop_reason);
	} else {
		const cJSON *usage = cJSON_GetObjectItemCaseSensitive(j, "usage");
		s->usage.input_tokens = llm_json_int(usage, "inputTokens", s->usage.input_tokens);
		s->usage.output_tokens = llm_json_int(usage, "outputTokens", s->usage.output_tokens);
		const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(j, "metrics");
		s->latency_ms = llm_json_int(metrics, "latencyMs", s->latency_ms);
		s->got_metadata = 1;
	}
	cJSON_Delete(j);
	return rc;
}

static int on_message(void *ud, const struct es_message *m)
{
	struct bedrock_stream *s = ud;
	const char *mtype = es_header_string(m, ":message-type", NULL);
	if (mtype && strcmp(mtype, "exception") == 0)
		return on_exception(s, m);
	if (mtype && strcmp(mtype, "error") == 0)
		return on_error_message(s, m);
	const char *etype = es_header_string(m, ":event-type", NULL);
	if (!etype || (mtype && strcmp(mtype, "event") != 0))
		return 0;
	return on_event(s, etype, m);
}

struct bedrock_stream *bedrock_stream_new(const char *name, bedrock_text_fn on_text, void *ud)
{
	struct bedrock_stream *s = xcalloc(1, sizeof *s);
	s->name = xstrdup(name);
	s->on_text = on_text;
	s->ud = ud;
	s->usage.input_tokens = s->usage.output_tokens = -1;
	s->latency_ms = -1;
	s->dec = es_decoder_new(0, on_message, s);
	return s;
}

void bedrock_stream_free(struct bedrock_stream *s)
{
	if (!s)
		return;
	es_decoder_free(s->dec);
	buf_free(&s->detail);
	free(s->name);
	free(s);
}

/* "event stream message 3 (at byte 500): message checksum mismatch (...)"
 * becomes "message checksum mismatch (...) in message 3 at byte 500". */
static void describe_decoder_error(struct buf *b, const char *msg)
{
	static const char prefix[] = "event stream message ";
	const char *split = strstr(msg, "): ");
	const char *at = strstr(msg, " (at byte ");
	if (strncmp(msg, prefix, sizeof prefix - 1) != 0 || !split || !at || at > split) {
		buf_puts(b, msg);
		return;
	}
	buf_puts(b, split + 3);
	const char *number = msg + sizeof prefix - 1;
	buf_printf(b, " in message %.*s at byte %.*s", (int)(at - number), number, (int)(split - at - 10), at + 10);
}

int bedrock_stream_feed(struct bedrock_stream *s, const void *data, size_t len)
{
	if (s->failure || s->halted)
		return 1;
	struct err e = ERR_INIT;
	int rc = es_feed(s->dec, data, len, &e);
	if (rc < 0) {
		buf_reset(&s->detail);
		describe_decoder_error(&s->detail, e.msg);
		s->failure = FAIL_DAMAGED;
	}
	return rc != 0;
}

size_t bedrock_stream_text_bytes(const struct bedrock_stream *s)
{
	return s->text_bytes;
}

static void put_request_id(struct buf *b, const char *id)
{
	if (id && *id)
		buf_printf(b, " (request %s)", id);
}

void bedrock_stream_end(struct bedrock_stream *s, const char *cut, struct llm_result *r)
{
	struct buf why = BUF_INIT;
	r->usage = s->usage;
	set_text(r->stop_reason, sizeof r->stop_reason, s->stop_reason);
	r->error_code[0] = '\0';
	r->message[0] = '\0';
	if (s->failure == FAIL_EXCEPTION || s->failure == FAIL_ERROR) {
		r->status = LLM_ERROR;
		set_text(r->error_code, sizeof r->error_code, s->error_code);
		llm_sentence(r->message, sizeof r->message, s->name, "error in the stream", s->error_code,
			     r->request_id, s->detail.len ? s->detail.data : "no message given");
		return;
	}
	if (s->failure == FAIL_DAMAGED) {
		r->status = LLM_ERROR;
		buf_printf(&why, "%s: event stream damaged: %s", s->name, buf_str(&s->detail));
		put_request_id(&why, r->request_id);
		set_text(r->message, sizeof r->message, why.data);
		buf_free(&why);
		return;
	}
	if (cut)
		buf_printf(&why, "%s (%zu bytes of text arrived)", cut, s->text_bytes);
	else if (es_finish(s->dec))
		buf_printf(&why, "it ended in the middle of an event message after %zu bytes of text", s->text_bytes);
	else if (!s->stopped || !s->got_metadata)
		buf_printf(&why, "it ended before %s after %zu bytes of text",
			   s->stopped ? "the metadata event" : "messageStop and metadata", s->text_bytes);
	if (why.len) {
		r->status = LLM_CUT;
		buf_puts(&why, "; the answer is incomplete");
		llm_sentence(r->message, sizeof r->message, s->name, "the stream was cut", NULL, r->request_id,
			     why.data);
	} else {
		r->status = LLM_OK;
	}
	buf_free(&why);
}

/* ---- requests ---- */

static int id_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
	       c == '_';
}

int bedrock_model_id_check(const char *name, const char *model, struct err *e)
{
	size_t n = model ? strlen(model) : 0;
	int ok = n >= 1 && n <= 2048 && id_char((unsigned char)model[0]) && model[0] != '.' && model[0] != '-';
	for (size_t i = 0; ok && i < n; i++)
		ok = id_char((unsigned char)model[i]) || model[i] == ':' || model[i] == '/';
	for (const char *part = model; ok && part;) {
		size_t len = strcspn(part, "/");
		ok = len > 0 && strspn(part, ".") < len;
		part = part[len] ? part + len + 1 : NULL;
	}
	if (!ok)
		return err_set(e, "%s: that is not a Bedrock model id or ARN (1 to 2048 letters, digits and . - _ : /, "
			       "starting with a letter or digit, no empty, '.' or '..' part), e.g. "
			       "anthropic.claude-3-5-haiku-20241022-v1:0", name);
	return 0;
}

char *bedrock_model_path(const char *model, const char *action)
{
	struct buf b = BUF_INIT;
	int dots_only = model[strspn(model, ".")] == '\0';
	buf_puts(&b, "/model/");
	for (const unsigned char *p = (const unsigned char *)model; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    (*p == '.' && !dots_only) || *p == '_' || *p == '~')
			buf_putc(&b, (char)*p);
		else
			buf_printf(&b, "%%%02X", *p);
	}
	buf_printf(&b, "/%s", action);
	return buf_detach(&b);
}

static void add_text_block(cJSON *array, const char *text)
{
	cJSON *block = cJSON_CreateObject();
	cJSON_AddStringToObject(block, "text", text);
	cJSON_AddItemToArray(array, block);
}

char *bedrock_request_json(const struct llm_request *rq)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *messages = cJSON_AddArrayToObject(o, "messages");
	cJSON *system = cJSON_CreateArray();
	if (rq->system && *rq->system)
		add_text_block(system, rq->system);
	for (size_t i = 0; i < rq->nmessages; i++) {
		const struct llm_message *msg = &rq->messages[i];
		const char *content = msg->content ? msg->content : "";
		if (msg->role && strcmp(msg->role, "system") == 0) {
			add_text_block(system, content);
			continue;
		}
		cJSON *m = cJSON_CreateObject();
		int assistant = msg->role && strcmp(msg->role, "assistant") == 0;
		cJSON_AddStringToObject(m, "role", assistant ? "assistant" : "user");
		add_text_block(cJSON_AddArrayToObject(m, "content"), content);
		cJSON_AddItemToArray(messages, m);
	}
	if (cJSON_GetArraySize(system))
		cJSON_AddItemToObject(o, "system", system);
	else
		cJSON_Delete(system);
	const struct llm_params *p = &rq->params;
	if (p->has_max_tokens || p->has_temperature || p->has_top_p || p->nstop) {
		cJSON *ic = cJSON_AddObjectToObject(o, "inferenceConfig");
		if (p->has_max_tokens)
			cJSON_AddNumberToObject(ic, "maxTokens", p->max_tokens);
		if (p->has_temperature)
			cJSON_AddNumberToObject(ic, "temperature", p->temperature);
		if (p->has_top_p)
			cJSON_AddNumberToObject(ic, "topP", p->top_p);
		if (p->nstop)
			cJSON_AddItemToObject(ic, "stopSequences", json_string_array(p->stop, p->nstop));
	}
	return llm_json_print(o);
}

/* The code of "com.amazon.coral.validate#ValidationException:http://..." is ValidationException. */
static void strip_error_code(const char *raw, char *out, size_t size)
{
	size_t n = strcspn(raw, ":");
	const char *start = raw;
	for (const char *p = raw; p < raw + n; p++)
		if (*p == '#')
			start = p + 1;
	struct buf b = BUF_INIT;
	put_clean(&b, start, (size_t)(raw + n - start), size - 1);
	set_text(out, size, buf_str(&b));
	buf_free(&b);
}

void bedrock_error_code(const char *error_type, const char *body, size_t len, char *out, size_t size)
{
	out[0] = '\0';
	if (error_type && *error_type) {
		strip_error_code(error_type, out, size);
		if (*out)
			return;
	}
	cJSON *j = body && len ? cJSON_ParseWithLength(body, len) : NULL;
	const char *code = j ? llm_json_str(j, "code") : NULL;
	if (!code && j)
		code = llm_json_str(j, "__type");
	if (!code && j)
		code = llm_json_str(j, "Code");
	if (code)
		strip_error_code(code, out, size);
	cJSON_Delete(j);
}

static void error_text(const char *body, size_t len, struct buf *b)
{
	cJSON *j = body && len ? cJSON_ParseWithLength(body, len) : NULL;
	const char *msg = NULL;
	if (cJSON_IsObject(j)) {
		msg = llm_json_str(j, "message");
		if (!msg)
			msg = llm_json_str(j, "Message");
		if (!msg)
			msg = llm_json_str(j, "errorMessage");
		if (msg)
			put_clean(b, msg, strlen(msg), SERVER_TEXT_MAX);
	} else if (body && len) {
		put_clean(b, body, len, 200);
	}
	cJSON_Delete(j);
}

void bedrock_http_error(const char *name, int status, const struct http_headers *h, const char *body, size_t len,
			struct llm_result *r)
{
	r->status = LLM_ERROR;
	r->http_status = status;
	bedrock_error_code(http_headers_get(h, "x-amzn-ErrorType"), body, len, r->error_code, sizeof r->error_code);
	const char *id = http_request_id(h);
	if (id)
		set_clean(r->request_id, sizeof r->request_id, id);
	struct buf text = BUF_INIT;
	char what[32];
	snprintf(what, sizeof what, "HTTP %d", status);
	error_text(body, len, &text);
	llm_sentence(r->message, sizeof r->message, name, what, r->error_code, r->request_id, buf_str(&text));
	buf_free(&text);
	secret_redact(r->request_id, sizeof r->request_id);
	secret_redact(r->message, sizeof r->message);
}

int bedrock_request_headers(const struct awsauth_endpoint *ep, const struct awsauth_creds *creds, const char *method,
			    const char *rest, const char *query, const void *body, size_t len,
			    const char *content_type, const char *accept, time_t when, struct http_headers *out,
			    struct err *e)
{
	return awscall_headers(ep, creds, method, rest, query, body, len, content_type, accept, NULL, 0, when, out, e);
}

/* ---- the provider ---- */

struct bedrock {
	int refs;
	char *name;
	int allow_http;
	struct awsauth *auth;
	struct awsauth_creds creds;
	struct awsauth_endpoint runtime, control;
	struct retry_quota quota;
	double (*rand01)(void *ud);
	void *rand_ud;
};

static void bedrock_unref(struct bedrock *b)
{
	if (!b || --b->refs > 0)
		return;
	awsauth_creds_free(&b->creds);
	awsauth_endpoint_free(&b->runtime);
	awsauth_endpoint_free(&b->control);
	awsauth_free(b->auth);
	free(b->name);
	free(b);
}

static int fresh_credentials(struct bedrock *b, struct err *e)
{
	if (!b->creds.expiration || time(NULL) < b->creds.expiration - CREDS_REFRESH_MARGIN_S)
		return 0;
	struct awsauth_creds c;
	if (awsauth_credentials(b->auth, "bedrock-runtime", &c, e) != 0)
		return -1;
	awsauth_creds_free(&b->creds);
	b->creds = c;
	return 0;
}

static char *url_part(CURLU *u, CURLUPart part)
{
	char *s = NULL;
	if (curl_url_get(u, part, &s, 0) != CURLUE_OK || !s)
		return NULL;
	char *copy = xstrdup(s);
	curl_free(s);
	return copy;
}

int bedrock_override_endpoint(struct awsauth_endpoint *ep, const char *url, struct err *e)
{
	CURLU *u = curl_url();
	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		curl_url_cleanup(u);
		return err_set(e, "the bedrock base_url in config.json is not a URL like https://host[:port][/path]");
	}
	char *scheme = url_part(u, CURLUPART_SCHEME), *host = url_part(u, CURLUPART_HOST);
	char *port = url_part(u, CURLUPART_PORT), *path = url_part(u, CURLUPART_PATH);
	char *query = url_part(u, CURLUPART_QUERY);
	curl_url_cleanup(u);
	int rc = 0;
	if (!scheme || !host || (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) || query) {
		rc = err_set(e, "the bedrock base_url in config.json must be an http(s) URL without a query");
	} else {
		size_t plen = path ? strlen(path) : 0;
		while (plen && path[plen - 1] == '/')
			plen--;
		for (char *p = host; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		free(ep->url);
		free(ep->scheme);
		free(ep->host);
		free(ep->base_path);
		free(ep->source);
		ep->scheme = scheme;
		ep->host = host;
		ep->port = port ? atoi(port) : 0;
		ep->base_path = xstrndup(path ? path : "", plen);
		ep->url = xasprintf("%s://%s%s%s%s", scheme, host, port ? ":" : "", port ? port : "", ep->base_path);
		ep->source = xstrdup("aiwb config base_url");
		ep->overridden = true;
		scheme = host = NULL;
	}
	free(scheme);
	free(host);
	free(port);
	free(path);
	free(query);
	return rc;
}

static int bedrock_init(struct provider *p, struct err *e)
{
	const struct config_provider *cp = p->config;
	struct awsauth_opts opts = { cp ? cp->profile : NULL, cp ? cp->region : NULL, 0 };
	struct bedrock *b = xcalloc(1, sizeof *b);
	b->refs = 1;
	b->name = xstrdup(p->name);
	b->allow_http = p->allow_http;
	b->auth = awsauth_new(&opts);
	b->quota = (struct retry_quota)RETRY_QUOTA_INIT;
	struct awsauth_region region = { 0 };
	if (awsauth_credentials(b->auth, "bedrock-runtime", &b->creds, e) != 0)
		goto fail;
	if (awsauth_region(b->auth, &region, e) != 0 ||
	    awsauth_endpoint(b->auth, "bedrock-runtime", region.name, &b->runtime, e) != 0 ||
	    awsauth_endpoint(b->auth, "bedrock", region.name, &b->control, e) != 0)
		goto fail;
	if (p->base_url && *p->base_url && bedrock_override_endpoint(&b->runtime, p->base_url, e) != 0)
		goto fail;
	awsauth_region_free(&region);
	free(p->base_url);
	p->base_url = xstrdup(b->runtime.url);
	free(p->key_source);
	p->key_source = xstrdup(b->creds.source ? b->creds.source : "AWS credentials");
	p->priv = b;
	return 0;
fail:
	awsauth_region_free(&region);
	bedrock_unref(b);
	return -1;
}

static void bedrock_fini(struct provider *p)
{
	bedrock_unref(p->priv);
	p->priv = NULL;
}

void bedrock_set_retry_rand(struct provider *p, double (*rand01)(void *ud), void *ud)
{
	struct bedrock *b = p->priv;
	b->rand01 = rand01;
	b->rand_ud = ud;
}

/* ---- calls ---- */

enum call_kind { CALL_CHAT, CALL_LIST, CALL_EMBED };
enum embed_family { EMBED_TITAN, EMBED_COHERE };

typedef void (*list_done_fn)(void *ud, const struct llm_model_list *list, const struct err *e);
typedef void (*embed_done_fn)(void *ud, const struct llm_embedding *emb, const struct err *e);

struct bedrock_call {
	struct provider_call base; /* first: provider_cancel dispatches on it */
	struct bedrock *b;
	struct loop *loop;
	enum call_kind kind;
	const struct awsauth_endpoint *ep;
	const char *method, *content_type, *accept;
	char *rest;
	char *body;
	size_t body_len;
	int64_t idle_ms;
	struct http_call *http;
	int64_t timer;
	struct retry_policy policy;
	struct retry_state rs;
	int attempt;
	int status;
	struct buf errbody;
	int depth, cancelled;
	void *ud;

	int stream;
	struct bedrock_stream *st;
	struct llm_handlers h;

	list_done_fn list_done;

	embed_done_fn embed_done;
	enum embed_family family;
	int titan_v2;       /* takes dimensions and normalize */
	struct llm_embed_opts eo;
	char *model;
	char **texts;
	size_t ntexts, next, batch;
	struct buf vectors; /* floats */
	size_t nvec, dim;
	int64_t input_tokens;
};

static void call_free(struct bedrock_call *c)
{
	llm_transfer_stop(c->loop, &c->http, &c->timer);
	bedrock_stream_free(c->st);
	buf_free(&c->errbody);
	buf_free(&c->vectors);
	for (size_t i = 0; i < c->ntexts; i++)
		free(c->texts[i]);
	free(c->texts);
	free(c->model);
	free(c->rest);
	free(c->body);
	bedrock_unref(c->b);
	free(c);
}

static struct bedrock_call *call_new(struct provider *p, struct loop *l, enum call_kind kind, void *ud)
{
	struct bedrock_call *c = xcalloc(1, sizeof *c);
	c->base.ops = &provider_bedrock_ops;
	c->b = p->priv;
	c->b->refs++;
	c->loop = l;
	c->kind = kind;
	c->ud = ud;
	retry_policy_init(&c->policy, RETRY_AWS);
	c->policy.quota = &c->b->quota;
	c->policy.rand01 = c->b->rand01;
	c->policy.rand_ud = c->b->rand_ud;
	return c;
}

static int on_http_head(int status, const struct http_headers *headers, void *ud)
{
	(void)headers;
	struct bedrock_call *c = ud;
	c->status = status;
	return HTTP_CONTINUE;
}

static int on_stream_text(void *ud, const char *text, size_t len)
{
	struct bedrock_call *c = ud;
	if (c->h.on_text)
		c->h.on_text(c->ud, text, len);
	return c->cancelled;
}

static int on_http_body(const char *data, size_t len, void *ud)
{
	struct bedrock_call *c = ud;
	if (c->status < 200 || c->status > 299) {
		size_t room = ERROR_BODY_CAP - c->errbody.len;
		buf_append(&c->errbody, data, len < room ? len : room);
		return HTTP_CONTINUE;
	}
	c->depth++;
	int stop = bedrock_stream_feed(c->st, data, len);
	c->depth--;
	if (c->cancelled) {
		call_free(c);
		return HTTP_STOP;
	}
	return stop ? HTTP_STOP : HTTP_CONTINUE;
}

static void on_http_done(struct loop *l, struct http_call *hc, const struct http_result *r, void *ud);

static int start_attempt(struct bedrock_call *c, struct err *e)
{
	c->attempt++;
	c->status = 0;
	buf_reset(&c->errbody);
	if (c->kind == CALL_CHAT && c->stream) {
		bedrock_stream_free(c->st);
		c->st = bedrock_stream_new(c->b->name, on_stream_text, c);
	}
	if (fresh_credentials(c->b, e) != 0)
		return -1;
	struct http_headers headers = HTTP_HEADERS_INIT;
	if (bedrock_request_headers(c->ep, &c->b->creds, c->method, c->rest, NULL, c->body, c->body_len,
				    c->content_type, c->accept, time(NULL), &headers, e) != 0) {
		http_headers_free(&headers);
		return -1;
	}
	char *url = xasprintf("%s%s", c->ep->url, c->rest);
	struct http_request rq = {
		.method = c->method, .url = url, .headers = &headers, .body = c->body, .body_len = c->body_len,
		.idle_timeout_ms = c->idle_ms, .allow_http = c->b->allow_http,
		.on_head = on_http_head, .on_body = c->kind == CALL_CHAT && c->stream ? on_http_body : NULL,
		.on_done = on_http_done, .ud = c,
	};
	c->http = http_start(c->loop, &rq);
	free(url);
	http_headers_free(&headers);
	return 0;
}

static void finish_error(struct bedrock_call *c, const char *message);

static int64_t on_retry_timer(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct bedrock_call *c = ud;
	c->timer = 0;
	struct err e = ERR_INIT;
	if (start_attempt(c, &e) != 0)
		finish_error(c, e.msg);
	return LOOP_TIMER_DONE;
}

/* 1 when another attempt is scheduled. */
static int retry_later(struct bedrock_call *c, enum http_error error, int status, const struct http_headers *h,
		       const char *code, int delivered)
{
	/* a silent chat is not asked again: each attempt would wait the idle timeout */
	if (c->kind == CALL_CHAT && error == HTTP_ERR_IDLE_TIMEOUT)
		return 0;
	struct retry_attempt a = {
		.attempt = c->attempt, .error = error, .status = status, .headers = h,
		.error_code = code && *code ? code : NULL, .output_delivered = delivered,
	};
	struct retry_decision d = retry_decide(&c->policy, &c->rs, &a);
	if (!d.retry) {
		log_debug("%s: %s", c->b->name, d.reason);
		return 0;
	}
	log_info("%s: %s", c->b->name, d.reason);
	c->timer = loop_add_timer(c->loop, d.delay_ms, on_retry_timer, c);
	if (c->h.on_retry)
		c->h.on_retry(c->ud, c->attempt + 1, c->policy.max_attempts, d.delay_ms, d.reason);
	return 1;
}

static void put_attempts(struct buf *b, int attempts)
{
	if (attempts > 1)
		buf_printf(b, " (after %d attempts)", attempts);
}

static void append_attempts(char *msg, size_t size, int attempts)
{
	size_t n = strlen(msg);
	if (attempts > 1 && n + 1 < size)
		snprintf(msg + n, size - n, " (after %d attempts)", attempts);
}

static const char *transport_text(const struct http_result *r)
{
	return r->message && *r->message ? r->message : http_error_name(r->error);
}

/* The sentence for a call whose transfer failed. */
static void transport_message(const struct bedrock_call *c, const struct http_result *r, struct buf *b)
{
	buf_printf(b, "%s: %s", c->b->name, transport_text(r));
}

/* A list or embed attempt that failed: 1 when another attempt is scheduled,
 * else 0 with the sentence in b. */
static int failed_attempt(struct bedrock_call *c, const struct http_result *r, struct buf *b)
{
	struct llm_result res;
	result_init(&res);
	if (r->status && r->error == HTTP_OK) {
		bedrock_http_error(c->b->name, r->status, r->headers, r->body->data, r->body->len, &res);
		if (retry_later(c, r->error, r->status, r->headers, res.error_code, 0))
			return 1;
		buf_puts(b, res.message);
	} else {
		if (retry_later(c, r->error, r->status, r->headers, NULL, 0))
			return 1;
		transport_message(c, r, b);
	}
	put_attempts(b, c->attempt);
	return 0;
}

/* ---- chat ---- */

static void chat_deliver(struct bedrock_call *c, struct llm_result *res)
{
	res->attempts = c->attempt;
	if (res->status == LLM_OK)
		retry_succeeded(&c->policy, &c->rs);
	c->depth++;
	c->h.done(c->ud, res);
	call_free(c);
}

static int chat_text(struct bedrock_call *c, const char *text)
{
	size_t n = strlen(text);
	if (!n)
		return 0;
	c->depth++;
	if (c->h.on_text)
		c->h.on_text(c->ud, text, n);
	c->depth--;
	if (c->cancelled) {
		call_free(c);
		return -1;
	}
	return 0;
}

/* A Converse response: 0 when delivered, 1 when the call was cancelled from on_text, -1 when malformed. */
static int chat_converse_body(struct bedrock_call *c, const struct buf *body, struct llm_result *res)
{
	cJSON *j = json_parse(body->data ? body->data : "", body->len, 0);
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "output"), "message"), "content");
	const char *reason = llm_json_str(j, "stopReason");
	if (!cJSON_IsArray(content) || !reason) {
		cJSON_Delete(j);
		return -1;
	}
	bedrock_stop_reason(reason, res->stop_reason, sizeof res->stop_reason);
	const cJSON *usage = cJSON_GetObjectItemCaseSensitive(j, "usage");
	res->usage.input_tokens = llm_json_int(usage, "inputTokens", res->usage.input_tokens);
	res->usage.output_tokens = llm_json_int(usage, "outputTokens", res->usage.output_tokens);
	const cJSON *block;
	cJSON_ArrayForEach(block, content) {
		const char *text = llm_json_str(block, "text");
		if (text && chat_text(c, text) != 0) {
			cJSON_Delete(j);
			return 1;
		}
	}
	cJSON_Delete(j);
	res->status = LLM_OK;
	return 0;
}

static void chat_done(struct bedrock_call *c, const struct http_result *r)
{
	struct llm_result res;
	result_init(&res);
	res.http_status = r->status;
	res.first_byte_us = r->ttfb_us > 0 ? r->ttfb_us : -1;
	if (r->request_id)
		set_clean(res.request_id, sizeof res.request_id, r->request_id);
	int ok = r->status >= 200 && r->status <= 299;
	if (ok && c->stream) {
		struct bedrock_stream *st = c->st;
		int transport = r->error != HTTP_OK && !st->failure;
		int in_stream = st->failure == FAIL_EXCEPTION || st->failure == FAIL_ERROR;
		bedrock_stream_end(st, transport ? transport_text(r) : NULL, &res);
		if (st->latency_ms >= 0)
			log_debug("%s: ConverseStream latency %lld ms by the service's metrics", c->b->name,
				  (long long)st->latency_ms);
		if (!st->text_bytes && transport && retry_later(c, r->error, r->status, r->headers, NULL, 0))
			return;
		if (!st->text_bytes && in_stream && retry_later(c, HTTP_OK, r->status, r->headers, st->error_code, 0))
			return;
	} else if (ok && r->error != HTTP_OK) {
		if (retry_later(c, r->error, r->status, r->headers, NULL, 0))
			return;
		res.status = LLM_CUT;
		char why[600];
		snprintf(why, sizeof why, "%s; the answer is incomplete", transport_text(r));
		llm_sentence(res.message, sizeof res.message, c->b->name, "the answer was cut", NULL, res.request_id,
			     why);
	} else if (ok) {
		int rc = chat_converse_body(c, r->body, &res);
		if (rc > 0)
			return;
		if (rc < 0) {
			res.status = LLM_ERROR;
			llm_sentence(res.message, sizeof res.message, c->b->name, NULL, NULL, res.request_id,
				     "the Converse answer is not the JSON it should be");
		}
	} else if (r->status && r->error == HTTP_OK) {
		const struct buf *body = c->stream ? &c->errbody : r->body;
		bedrock_http_error(c->b->name, r->status, r->headers, body->data, body->len, &res);
		if (retry_later(c, r->error, r->status, r->headers, res.error_code, 0))
			return;
	} else {
		if (retry_later(c, r->error, r->status, r->headers, NULL, 0))
			return;
		res.status = LLM_ERROR;
		llm_sentence(res.message, sizeof res.message, c->b->name, NULL, NULL, NULL, transport_text(r));
	}
	if (res.status != LLM_OK)
		append_attempts(res.message, sizeof res.message, c->attempt);
	chat_deliver(c, &res);
}

static struct provider_call *bedrock_chat(struct provider *p, struct loop *l, const struct llm_request *rq,
					  const struct llm_handlers *h, void *ud, struct err *e)
{
	if (bedrock_model_id_check(p->name, rq->model, e) != 0)
		return NULL;
	struct bedrock_call *c = call_new(p, l, CALL_CHAT, ud);
	c->h = *h;
	c->stream = rq->stream;
	c->ep = &c->b->runtime;
	c->method = "POST";
	c->content_type = "application/json";
	c->accept = rq->stream ? "application/vnd.amazon.eventstream" : NULL;
	c->idle_ms = rq->stream || http_idle_timeout_configured() ? 0 : NONSTREAM_IDLE_MS;
	c->rest = bedrock_model_path(rq->model, rq->stream ? "converse-stream" : "converse");
	c->body = bedrock_request_json(rq);
	c->body_len = strlen(c->body);
	if (start_attempt(c, e) != 0) {
		call_free(c);
		return NULL;
	}
	return &c->base;
}

/* ---- list models ---- */

static void list_fail(struct bedrock_call *c, const char *message)
{
	struct err e = ERR_INIT;
	err_set(&e, "%s", message);
	secret_redact(e.msg, sizeof e.msg);
	c->depth++;
	c->list_done(c->ud, NULL, &e);
	call_free(c);
}

static int modality(const cJSON *list, const char *name)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, list)
		if (cJSON_IsString(v) && strcmp(v->valuestring, name) == 0)
			return 1;
	return 0;
}

static void list_done(struct bedrock_call *c, const struct http_result *r)
{
	struct buf m = BUF_INIT;
	if (r->error == HTTP_OK && r->status >= 200 && r->status <= 299) {
		struct buf body = BUF_INIT;
		buf_append(&body, r->body->data ? r->body->data : "", r->body->len);
		secret_redact_buf(&body);
		cJSON *j = cJSON_ParseWithLength(body.data ? body.data : "", body.len);
		buf_free(&body);
		const cJSON *summaries = cJSON_GetObjectItemCaseSensitive(j, "modelSummaries");
		if (!cJSON_IsArray(summaries)) {
			cJSON_Delete(j);
			buf_printf(&m, "%s: the ListFoundationModels response has no modelSummaries list", c->b->name);
			list_fail(c, m.data);
			buf_free(&m);
			return;
		}
		size_t max = (size_t)cJSON_GetArraySize(summaries) + 1;
		struct llm_model_list list = { xcalloc(max, sizeof *list.models), 0 };
		const cJSON *s;
		cJSON_ArrayForEach(s, summaries) {
			const char *id = llm_json_str(s, "modelId");
			if (!id || !*id)
				continue;
			const char *name = llm_json_str(s, "modelName"), *owner = llm_json_str(s, "providerName");
			struct llm_model *mo = &list.models[list.n++];
			mo->id = xstrdup(id);
			mo->name = name ? xstrdup(name) : NULL;
			mo->owner = owner ? xstrdup(owner) : NULL;
			mo->streaming = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "responseStreamingSupported"));
			mo->embedding = modality(cJSON_GetObjectItemCaseSensitive(s, "outputModalities"), "EMBEDDING");
		}
		cJSON_Delete(j);
		retry_succeeded(&c->policy, &c->rs);
		c->depth++;
		c->list_done(c->ud, &list, NULL);
		llm_models_clear(&list);
		call_free(c);
		return;
	}
	if (!failed_attempt(c, r, &m))
		list_fail(c, m.data);
	buf_free(&m);
}

static struct provider_call *bedrock_list_models(struct provider *p, struct loop *l, list_done_fn done, void *ud,
						 struct err *e)
{
	struct bedrock_call *c = call_new(p, l, CALL_LIST, ud);
	c->list_done = done;
	c->ep = &c->b->control;
	c->method = "GET";
	c->rest = xstrdup("/foundation-models");
	if (start_attempt(c, e) != 0) {
		call_free(c);
		return NULL;
	}
	return &c->base;
}

/* ---- embeddings ---- */

static void embed_fail(struct bedrock_call *c, const char *message)
{
	struct err e = ERR_INIT;
	err_set(&e, "%s", message);
	c->depth++;
	c->embed_done(c->ud, NULL, &e);
	call_free(c);
}

static void embed_deliver(struct bedrock_call *c)
{
	struct llm_embedding emb = {
		.values = (float *)(void *)c->vectors.data, .n = c->nvec, .dim = c->dim,
		.usage = { c->input_tokens, -1 },
	};
	c->depth++;
	c->embed_done(c->ud, &emb, NULL);
	call_free(c);
}

/* Appends one vector; -1 when it is not a list of numbers of the right length. */
static int add_vector(struct bedrock_call *c, const cJSON *v)
{
	int n = cJSON_GetArraySize(v);
	if (!cJSON_IsArray(v) || n <= 0 || (c->dim && (size_t)n != c->dim))
		return -1;
	const cJSON *x;
	cJSON_ArrayForEach(x, v)
		if (!cJSON_IsNumber(x))
			return -1;
	c->dim = (size_t)n;
	cJSON_ArrayForEach(x, v) {
		float f = (float)x->valuedouble;
		buf_append(&c->vectors, &f, sizeof f);
	}
	c->nvec++;
	return 0;
}

static int parse_embeddings(struct bedrock_call *c, const struct http_result *r)
{
	cJSON *j = cJSON_ParseWithLength(r->body->data ? r->body->data : "", r->body->len);
	int rc = -1;
	if (c->family == EMBED_TITAN) {
		int64_t tokens = llm_json_int(j, "inputTextTokenCount", -1);
		rc = add_vector(c, cJSON_GetObjectItemCaseSensitive(j, "embedding"));
		if (rc == 0 && tokens >= 0)
			c->input_tokens = (c->input_tokens < 0 ? 0 : c->input_tokens) + tokens;
	} else {
		const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, "embeddings");
		if (cJSON_IsObject(list))
			list = cJSON_GetObjectItemCaseSensitive(list, "float");
		if (cJSON_IsArray(list) && (size_t)cJSON_GetArraySize(list) == c->batch) {
			const cJSON *v;
			rc = 0;
			cJSON_ArrayForEach(v, list)
				if (rc == 0)
					rc = add_vector(c, v);
		}
		const char *count = http_headers_get(r->headers, "x-amzn-bedrock-input-token-count");
		if (rc == 0 && count && *count && strspn(count, "0123456789") == strlen(count))
			c->input_tokens = (c->input_tokens < 0 ? 0 : c->input_tokens) + strtoll(count, NULL, 10);
	}
	cJSON_Delete(j);
	return rc;
}

static int embed_next(struct bedrock_call *c, struct err *e)
{
	cJSON *o = cJSON_CreateObject();
	if (c->family == EMBED_TITAN) {
		c->batch = 1;
		cJSON_AddStringToObject(o, "inputText", c->texts[c->next]);
		if (c->titan_v2) {
			if (c->eo.dimensions > 0)
				cJSON_AddNumberToObject(o, "dimensions", c->eo.dimensions);
			cJSON_AddBoolToObject(o, "normalize", 1);
		}
	} else {
		c->batch = c->ntexts - c->next < COHERE_BATCH ? c->ntexts - c->next : COHERE_BATCH;
		cJSON *texts = cJSON_AddArrayToObject(o, "texts");
		for (size_t i = 0; i < c->batch; i++)
			cJSON_AddItemToArray(texts, cJSON_CreateString(c->texts[c->next + i]));
		cJSON_AddStringToObject(o, "input_type",
					c->eo.purpose == LLM_EMBED_QUERY ? "search_query" : "search_document");
	}
	free(c->body);
	c->body = llm_json_print(o);
	c->body_len = strlen(c->body);
	c->attempt = 0;
	memset(&c->rs, 0, sizeof c->rs);
	return start_attempt(c, e);
}

static void embed_done(struct bedrock_call *c, const struct http_result *r)
{
	struct buf m = BUF_INIT;
	if (r->error == HTTP_OK && r->status >= 200 && r->status <= 299) {
		if (parse_embeddings(c, r) != 0) {
			buf_printf(&m, "%s: the %s response holds no %zu embedding%s of one length", c->b->name,
				   c->model, c->batch, c->batch == 1 ? "" : "s");
			embed_fail(c, m.data);
			buf_free(&m);
			return;
		}
		retry_succeeded(&c->policy, &c->rs);
		c->next += c->batch;
		if (c->next >= c->ntexts) {
			embed_deliver(c);
			return;
		}
		struct err e = ERR_INIT;
		if (embed_next(c, &e) != 0)
			embed_fail(c, e.msg);
		return;
	}
	if (!failed_attempt(c, r, &m))
		embed_fail(c, m.data);
	buf_free(&m);
}

static int64_t on_empty_embed(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct bedrock_call *c = ud;
	c->timer = 0;
	embed_deliver(c);
	return LOOP_TIMER_DONE;
}

/* The model id without an ARN prefix or a cross-region profile prefix ("us."). */
static const char *base_model_id(const char *model)
{
	const char *slash = strrchr(model, '/');
	const char *id = slash ? slash + 1 : model;
	static const char *const geo[] = { "us.", "eu.", "apac.", "us-gov.", "global.", "jp.", "au.", "ca." };
	for (size_t i = 0; i < sizeof geo / sizeof *geo; i++)
		if (strncmp(id, geo[i], strlen(geo[i])) == 0)
			return id + strlen(geo[i]);
	return id;
}

static struct provider_call *bedrock_embed(struct provider *p, struct loop *l, const char *model,
					   const struct llm_embed_opts *eo, const char *const *texts, size_t ntexts, embed_done_fn done, void *ud,
					   struct err *e)
{
	if (bedrock_model_id_check(p->name, model, e) != 0)
		return NULL;
	const char *id = base_model_id(model);
	enum embed_family family;
	if (strncmp(id, "amazon.titan-embed-text-", 24) == 0 || strncmp(id, "amazon.titan-embed-g1-text", 26) == 0) {
		family = EMBED_TITAN;
	} else if (strncmp(id, "cohere.embed-", 13) == 0) {
		family = EMBED_COHERE;
	} else {
		err_set(e, "%s: %s is not an embedding model I know; use amazon.titan-embed-text-v2:0 or "
			   "cohere.embed-english-v3 (or cohere.embed-multilingual-v3)",
			p->name, model ? model : "(none)");
		return NULL;
	}
	struct bedrock_call *c = call_new(p, l, CALL_EMBED, ud);
	c->embed_done = done;
	c->family = family;
	c->titan_v2 = strncmp(id, "amazon.titan-embed-text-v2", 26) == 0;
	if (eo)
		c->eo = *eo;
	c->model = xstrdup(model);
	c->texts = xcalloc(ntexts + 1, sizeof *c->texts);
	for (size_t i = 0; i < ntexts; i++)
		c->texts[i] = xstrdup(texts[i] ? texts[i] : "");
	c->ntexts = ntexts;
	c->input_tokens = -1;
	c->ep = &c->b->runtime;
	c->method = "POST";
	c->content_type = "application/json";
	c->accept = "application/json";
	c->rest = bedrock_model_path(model, "invoke");
	if (ntexts == 0) {
		c->timer = loop_add_timer(l, 0, on_empty_embed, c);
		return &c->base;
	}
	if (embed_next(c, e) != 0) {
		call_free(c);
		return NULL;
	}
	return &c->base;
}

/* ---- dispatch ---- */

static void finish_error(struct bedrock_call *c, const char *message)
{
	struct buf m = BUF_INIT;
	buf_printf(&m, "%s: %s", c->b->name, message);
	switch (c->kind) {
	case CALL_CHAT: {
		struct llm_result res;
		result_init(&res);
		res.status = LLM_ERROR;
		set_text(res.message, sizeof res.message, m.data);
		chat_deliver(c, &res);
		break;
	}
	case CALL_LIST:
		list_fail(c, m.data);
		break;
	case CALL_EMBED:
		embed_fail(c, m.data);
		break;
	}
	buf_free(&m);
}

static void on_http_done(struct loop *l, struct http_call *hc, const struct http_result *r, void *ud)
{
	(void)l;
	(void)hc;
	struct bedrock_call *c = ud;
	c->http = NULL;
	if (!c->status)
		c->status = r->status;
	switch (c->kind) {
	case CALL_CHAT: chat_done(c, r); break;
	case CALL_LIST: list_done(c, r); break;
	case CALL_EMBED: embed_done(c, r); break;
	}
}

static void bedrock_cancel(struct provider_call *pc)
{
	struct bedrock_call *c = (struct bedrock_call *)pc;
	if (c->cancelled)
		return;
	c->cancelled = 1;
	llm_transfer_stop(c->loop, &c->http, &c->timer);
	if (c->depth == 0)
		call_free(c);
}

const struct provider_ops provider_bedrock_ops = {
	.type = "bedrock",
	.init = bedrock_init,
	.fini = bedrock_fini,
	.chat = bedrock_chat,
	.list_models = bedrock_list_models,
	.embed = bedrock_embed,
	.cancel = bedrock_cancel,
};
