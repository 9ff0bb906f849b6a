/* anthropic — the Messages API (PROTOCOLS.md §5): chat streamed as SSE
 * (message_start ... message_stop), the paginated model list, and no
 * embeddings (Anthropic has no such API).
 *
 * The built-in provider "anthropic" reads ANTHROPIC_BASE_URL (default
 * https://api.anthropic.com) and ANTHROPIC_API_KEY, else its key file; other
 * providers of this type use their config base_url and api_key_env. max_tokens
 * is required by the API: 1024 when the request has none. */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "llm/api.h"
#include "llm/errors.h"
#include "llm/internal.h"
#include "llm/keys.h"
#include "llm/llm_json.h"

#define ANTHROPIC_DEFAULT_BASE "https://api.anthropic.com"
#define ANTHROPIC_VERSION "2023-06-01"

static int anthropic_init(struct provider *p, struct err *e)
{
	const char *env_base = strcmp(p->name, "anthropic") == 0 ? getenv("ANTHROPIC_BASE_URL") : NULL;
	if (env_base && *env_base) {
		free(p->base_url);
		p->base_url = xstrdup(env_base);
	} else if (!p->base_url) {
		p->base_url = xstrdup(ANTHROPIC_DEFAULT_BASE);
	}
	llm_trim_slashes(p->base_url);
	const char *var = p->config && p->config->api_key_env ? p->config->api_key_env : "ANTHROPIC_API_KEY";
	char *key;
	if (llm_key_load(p, var, 1, &key, e) != 0)
		return -1;
	p->priv = key;
	return 0;
}

static void add_headers(const struct provider *p, struct http_headers *h, int json)
{
	http_headers_add(h, "x-api-key", p->priv);
	http_headers_add(h, "anthropic-version", ANTHROPIC_VERSION);
	if (json)
		http_headers_add(h, "content-type", "application/json");
}

static const struct llm_api anthropic_api = {
	.retry = RETRY_ANTHROPIC,
	.headers = add_headers,
};

char *llm_anthropic_request(const struct llm_request *rq)
{
	const struct llm_params *pm = &rq->params;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "model", rq->model);
	cJSON_AddNumberToObject(o, "max_tokens", pm->has_max_tokens ? pm->max_tokens : LLM_ANTHROPIC_DEFAULT_MAX_TOKENS);
	if (rq->system)
		cJSON_AddStringToObject(o, "system", rq->system);
	cJSON_AddItemToObject(o, "messages", llm_json_messages(rq, 0));
	if (pm->has_temperature)
		cJSON_AddNumberToObject(o, "temperature", pm->temperature);
	if (pm->has_top_p)
		cJSON_AddNumberToObject(o, "top_p", pm->top_p);
	if (pm->nstop)
		cJSON_AddItemToObject(o, "stop_sequences", json_string_array(pm->stop, pm->nstop));
	cJSON_AddBoolToObject(o, "stream", rq->stream != 0);
	return llm_json_print(o);
}

/* message_start's output_tokens is a placeholder: the count is only known from message_delta. */
static void read_usage(struct llm_stream *s, const cJSON *u, int with_output)
{
	if (!cJSON_IsObject(u))
		return;
	s->res.usage.input_tokens = llm_json_int(u, "input_tokens", s->res.usage.input_tokens);
	if (with_output)
		s->res.usage.output_tokens = llm_json_int(u, "output_tokens", s->res.usage.output_tokens);
}

static void anthropic_event(struct llm_stream *s, const char *type, const cJSON *obj)
{
	const char *t = type && strcmp(type, "message") != 0 ? type : llm_json_str(obj, "type");
	if (!t)
		return;
	if (strcmp(t, "content_block_delta") == 0) {
		const cJSON *delta = cJSON_GetObjectItemCaseSensitive(obj, "delta");
		const char *text = llm_json_str(delta, "text");
		const char *dtype = llm_json_str(delta, "type");
		if (text && dtype && strcmp(dtype, "text_delta") == 0)
			llm_stream_text(s, text, strlen(text));
	} else if (strcmp(t, "message_start") == 0) {
		read_usage(s, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "message"), "usage"), 0);
	} else if (strcmp(t, "message_delta") == 0) {
		llm_stream_set_stop(s, llm_json_str(cJSON_GetObjectItemCaseSensitive(obj, "delta"), "stop_reason"));
		read_usage(s, cJSON_GetObjectItemCaseSensitive(obj, "usage"), 1);
	} else if (strcmp(t, "message_stop") == 0) {
		s->ended = 1;
	} else if (strcmp(t, "error") == 0) {
		const char *code, *msg, *rid;
		llm_error_fields(obj, &code, &msg, &rid);
		llm_stream_error(s, code, msg);
	}
}

static void anthropic_whole(struct llm_stream *s, const cJSON *obj)
{
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(obj, "content"), *block;
	if (!cJSON_IsArray(content))
		return;
	struct buf text = BUF_INIT;
	cJSON_ArrayForEach(block, content) {
		const char *type = llm_json_str(block, "type"), *t = llm_json_str(block, "text");
		if (type && t && strcmp(type, "text") == 0)
			buf_puts(&text, t);
	}
	llm_stream_text(s, text.data, text.len);
	buf_free(&text);
	llm_stream_set_stop(s, llm_json_str(obj, "stop_reason"));
	read_usage(s, cJSON_GetObjectItemCaseSensitive(obj, "usage"), 1);
	s->ended = 1;
}

const struct llm_wire llm_anthropic_wire = {
	.ndjson = 0,
	.done_data = NULL,
	.end_marker = "message_stop",
	.event = anthropic_event,
	.whole = anthropic_whole,
};

static struct provider_call *anthropic_chat(struct provider *p, struct loop *l, const struct llm_request *rq,
					    const struct llm_handlers *h, void *ud, struct err *e)
{
	return llm_api_chat(&anthropic_api, p, l, "/v1/messages", llm_anthropic_request(rq), &llm_anthropic_wire,
			    rq->stream, h, ud, e);
}

static void fill_model(struct llm_model *x, const cJSON *m)
{
	const char *name = llm_json_str(m, "display_name");
	x->name = name ? xstrdup(name) : NULL;
	x->owner = xstrdup("Anthropic");
	x->streaming = 1;
}

int llm_anthropic_models(const cJSON *body, struct llm_model_list *list, char **cursor, struct err *e)
{
	*cursor = NULL;
	if (llm_models_from(body, "data", "id", NULL, list, fill_model, e) < 0)
		return -1;
	const char *last = llm_json_str(body, "last_id");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "has_more")) && last && *last)
		*cursor = xstrdup(last);
	return 0;
}

static struct provider_call *anthropic_list_models(struct provider *p, struct loop *l,
						   void (*done)(void *ud, const struct llm_model_list *list,
								const struct err *e),
						   void *ud, struct err *e)
{
	return llm_api_list(&anthropic_api, p, l, "/v1/models?limit=1000", llm_anthropic_models, "after_id", done, ud,
			    e);
}

static struct provider_call *anthropic_embed(struct provider *p, struct loop *l, const char *model,
					     const struct llm_embed_opts *eo, const char *const *texts, size_t ntexts,
					     void (*done)(void *ud, const struct llm_embedding *emb,
							  const struct err *e),
					     void *ud, struct err *e)
{
	(void)l;
	(void)model;
	(void)eo;
	(void)texts;
	(void)ntexts;
	(void)done;
	(void)ud;
	err_set(e, "%s: Anthropic has no embeddings API; use an embedding model of openai, ollama or bedrock",
		p->name);
	return NULL;
}

const struct provider_ops provider_anthropic_ops = {
	.type = "anthropic",
	.init = anthropic_init,
	.fini = llm_key_fini,
	.chat = anthropic_chat,
	.list_models = anthropic_list_models,
	.embed = anthropic_embed,
	.cancel = llm_call_cancel,
};
