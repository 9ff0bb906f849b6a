#include "llm/run.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/json.h"
#include "base/sanitize.h"
#include "base/secret.h"
#include "base/tokens.h"
#include "base/xmalloc.h"
#include "llm/llm_json.h"

static void on_text(void *ud, const char *text, size_t len)
{
	struct run *r = ud;
	if (!len)
		return;
	if (r->first_text_us < 0)
		r->first_text_us = clock_us();
	size_t before = r->text.len;
	secret_stream_feed(&r->redact, text, len, &r->text);
	if (r->on_text && r->text.len > before)
		r->on_text(r, r->ud);
}

static void on_retry(void *ud, int next, int max, int64_t delay_ms, const char *reason)
{
	struct run *r = ud;
	r->attempt = next;
	r->max_attempts = max;
	r->retry_at_us = clock_us() + delay_ms * 1000;
	snprintf(r->retry_reason, sizeof r->retry_reason, "%s", reason ? reason : "");
	secret_redact(r->retry_reason, sizeof r->retry_reason);
}

static void on_done(void *ud, const struct llm_result *res)
{
	struct run *r = ud;
	size_t before = r->text.len;
	secret_stream_finish(&r->redact, &r->text);
	if (r->on_text && r->text.len > before)
		r->on_text(r, r->ud);
	r->result = *res;
	secret_redact(r->result.message, sizeof r->result.message);
	secret_redact(r->result.request_id, sizeof r->result.request_id);
	secret_redact(r->result.error_code, sizeof r->result.error_code);
	secret_redact(r->result.stop_reason, sizeof r->result.stop_reason);
	r->end_us = clock_us();
	r->finished = 1;
	r->call = NULL;
	if (r->on_done)
		r->on_done(r, r->ud);
}

size_t run_prompt_chars(const struct llm_request *rq)
{
	size_t n = rq->system ? strlen(rq->system) : 0;
	for (size_t i = 0; i < rq->nmessages; i++)
		n += strlen(rq->messages[i].content);
	return n;
}

struct run *run_start(struct loop *l, struct provider *p, const char *model_spec, const struct llm_request *rq,
		      const struct catalog *cat, run_fn text_fn, run_fn done_fn, void *ud, struct err *e)
{
	struct run *r = xcalloc(1, sizeof *r);
	r->model = xstrdup(model_spec);
	r->first_text_us = -1;
	r->on_text = text_fn;
	r->on_done = done_fn;
	r->ud = ud;
	r->prompt_chars = run_prompt_chars(rq);
	if (cat)
		run_set_price(r, p, rq->model, cat);
	r->result.usage.input_tokens = r->result.usage.output_tokens = -1;
	r->result.first_byte_us = -1;
	static const struct llm_handlers handlers = { on_text, on_done, on_retry };
	r->attempt = 1;
	r->start_us = clock_us();
	r->call = p->ops->chat(p, l, rq, &handlers, r, e);
	if (!r->call) {
		run_free(r);
		return NULL;
	}
	return r;
}

void run_set_price(struct run *r, const struct provider *p, const char *model, const struct catalog *cat)
{
	r->price = catalog_find(cat, p->name, p->type, model);
}

void run_stop(struct run *r, const char *reason)
{
	if (!r || r->finished)
		return;
	provider_cancel(r->call);
	struct llm_result res = r->result;
	res.status = LLM_CANCELLED;
	if (reason)
		snprintf(res.message, sizeof res.message, "%s after %zu bytes of text", reason, r->text.len);
	else
		snprintf(res.message, sizeof res.message, "cancelled after %zu bytes of text", r->text.len);
	on_done(r, &res);
}

void run_cancel(struct run *r)
{
	run_stop(r, NULL);
}

void run_metrics(const struct run *r, struct run_metrics *m)
{
	int64_t end = r->finished ? r->end_us : clock_us();
	memset(m, 0, sizeof *m);
	m->total_ms = (double)(end - r->start_us) / 1000.0;
	m->ttft_ms = r->first_text_us >= 0 ? (double)(r->first_text_us - r->start_us) / 1000.0 : -1;
	m->input_tokens = r->result.usage.input_tokens;
	m->output_tokens = r->result.usage.output_tokens;
	if (m->input_tokens < 0) {
		m->input_tokens = tokens_estimate(r->prompt_chars);
		m->estimated = 1;
	}
	if (m->output_tokens < 0) {
		m->output_tokens = tokens_estimate(r->text.len);
		m->estimated = 1;
	}
	double gen_s = r->first_text_us >= 0 ? (double)(end - r->first_text_us) / 1e6 : 0;
	if (gen_s < 0.001)
		gen_s = m->total_ms / 1000.0;
	m->tokens_per_s = gen_s > 0 && m->output_tokens > 0 ? (double)m->output_tokens / gen_s : -1;
	m->cost_usd = catalog_cost(r->price, m->input_tokens, m->output_tokens);
	m->complete = r->finished && r->result.status == LLM_OK;
}

static cJSON *metrics_json(const struct run *r)
{
	struct run_metrics m;
	run_metrics(r, &m);
	cJSON *o = cJSON_CreateObject();
	metrics_json_add(o, &m, METRICS_JSON_NESTED);
	return o;
}

const char *run_status_name(enum llm_status s)
{
	switch (s) {
	case LLM_OK: return "ok";
	case LLM_CUT: return "cut";
	case LLM_CANCELLED: return "cancelled";
	case LLM_ERROR: break;
	}
	return "error";
}

char *run_json(const struct run *r, int sanitize_text)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "model", r->model);
	/* JSON must be valid UTF-8: raw text keeps its controls (cJSON escapes
	 * them) but invalid bytes become U+FFFD */
	char *text = sanitize_text ? sanitize_str(buf_str(&r->text), r->text.len, 0)
				   : sanitize_utf8(buf_str(&r->text), r->text.len);
	cJSON_AddStringToObject(o, "text", text);
	free(text);
	if (r->result.stop_reason[0])
		cJSON_AddStringToObject(o, "stop_reason", r->result.stop_reason);
	else
		cJSON_AddNullToObject(o, "stop_reason");
	cJSON_AddBoolToObject(o, "complete", r->finished && r->result.status == LLM_OK);
	struct run_metrics m;
	run_metrics(r, &m);
	metrics_json_add(o, &m, METRICS_JSON_NESTED);
	if (r->result.request_id[0])
		cJSON_AddStringToObject(o, "request_id", r->result.request_id);
	else
		cJSON_AddNullToObject(o, "request_id");
	cJSON_AddStringToObject(o, "status", run_status_name(r->result.status));
	if (r->result.message[0])
		cJSON_AddStringToObject(o, "error", r->result.message);
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static void add_utf8(cJSON *o, const char *key, const char *text)
{
	char *valid = sanitize_utf8(text, strlen(text));
	cJSON_AddStringToObject(o, key, valid);
	free(valid);
}

static char *messages_json(const struct llm_request *rq)
{
	cJSON *a = cJSON_CreateArray();
	if (rq->system) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "role", "system");
		add_utf8(m, "content", rq->system);
		cJSON_AddItemToArray(a, m);
	}
	for (size_t i = 0; i < rq->nmessages; i++) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "role", rq->messages[i].role);
		add_utf8(m, "content", rq->messages[i].content);
		cJSON_AddItemToArray(a, m);
	}
	char *s = cJSON_PrintUnformatted(a);
	cJSON_Delete(a);
	return s;
}

static char *params_json(const struct llm_params *p, const char *extra)
{
	cJSON *o = extra ? cJSON_Parse(extra) : NULL;
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		o = cJSON_CreateObject();
	}
	llm_params_add_json(o, p);
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

void run_row(const struct run *r, const struct llm_request *rq, const char *kind, const char *extra_params,
	     struct db_run *row)
{
	const char *prompt = rq->nmessages ? rq->messages[rq->nmessages - 1].content : "";
	cJSON *m = metrics_json(r);
	cJSON_AddStringToObject(m, "status", run_status_name(r->result.status));
	if (r->result.stop_reason[0])
		cJSON_AddStringToObject(m, "stop_reason", r->result.stop_reason);
	if (r->result.request_id[0])
		cJSON_AddStringToObject(m, "request_id", r->result.request_id);
	if (r->result.message[0])
		cJSON_AddStringToObject(m, "error", r->result.message);
	/* TEXT columns hold valid UTF-8 (search and every SQLite reader need it);
	 * controls are kept, they are sanitized when shown */
	*row = (struct db_run){
		.kind = kind, .model = r->model, .prompt = sanitize_utf8(prompt, strlen(prompt)),
		.messages = messages_json(rq), .params = params_json(&rq->params, extra_params),
		.output = sanitize_utf8(buf_str(&r->text), r->text.len), .metrics = cJSON_PrintUnformatted(m),
	};
	cJSON_Delete(m);
}

static void free_const(const char *p)
{
	free((void *)(uintptr_t)p);
}

void run_row_free(struct db_run *row)
{
	free_const(row->prompt);
	free_const(row->messages);
	free_const(row->params);
	free_const(row->output);
	free_const(row->metrics);
	memset(row, 0, sizeof *row);
}

int64_t run_save(struct db *db, const struct run *r, const struct llm_request *rq, const char *kind,
		 const char *extra_params, struct err *e)
{
	struct db_run row;
	run_row(r, rq, kind, extra_params, &row);
	int64_t id = db_run_insert(db, &row, e);
	run_row_free(&row);
	return id;
}

int64_t run_compare_group(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

char *run_compare_params(const char *extra, int64_t group)
{
	cJSON *o = extra ? cJSON_Parse(extra) : NULL;
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		o = cJSON_CreateObject();
	}
	cJSON_DeleteItemFromObjectCaseSensitive(o, "compare_group");
	cJSON_AddNumberToObject(o, "compare_group", (double)group);
	json_exact_integers(o);
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

void run_free(struct run *r)
{
	if (!r)
		return;
	if (!r->finished && r->call)
		provider_cancel(r->call);
	free(r->model);
	buf_free(&r->text);
	secret_stream_free(&r->redact);
	free(r);
}
