/* openai — the Chat Completions API and every server that speaks it (vLLM,
 * llama.cpp, LM Studio, OpenRouter, Groq, Mistral...): PROTOCOLS.md §4.
 *
 * The built-in provider "openai" reads OPENAI_BASE_URL and OPENAI_API_KEY (or
 * its key file); any other provider of this type uses its config base_url and
 * the variable named by api_key_env (or its key file), and with no
 * api_key_env needs no key at all. The output cap is sent as
 * max_completion_tokens to "openai" (max_tokens is deprecated there and
 * refused by reasoning models) and as max_tokens to every other server, since
 * many OpenAI-compatible servers know only that. */
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "llm/api.h"
#include "llm/errors.h"
#include "llm/internal.h"
#include "llm/keys.h"
#include "llm/llm_json.h"

#define OPENAI_DEFAULT_BASE "https://api.openai.com/v1"

static int is_builtin(const struct provider *p)
{
	return strcmp(p->name, "openai") == 0;
}

static int openai_init(struct provider *p, struct err *e)
{
	int builtin = is_builtin(p);
	const char *env_base = builtin ? getenv("OPENAI_BASE_URL") : NULL;
	if (env_base && *env_base) {
		free(p->base_url);
		p->base_url = xstrdup(env_base);
	} else if (!p->base_url) {
		if (!builtin)
			return err_set(e, "%s: no base_url in config.json; an OpenAI-compatible provider needs one, "
					  "e.g. \"base_url\": \"http://127.0.0.1:8000/v1\"", p->name);
		p->base_url = xstrdup(OPENAI_DEFAULT_BASE);
	}
	llm_trim_slashes(p->base_url);
	const char *var = p->config && p->config->api_key_env ? p->config->api_key_env
			  : builtin ? "OPENAI_API_KEY" : NULL;
	char *key;
	if (llm_key_load(p, var, var != NULL, &key, e) != 0)
		return -1;
	p->priv = key;
	return 0;
}

static void add_headers(const struct provider *p, struct http_headers *h, int json)
{
	llm_bearer_headers(p, h, json);
	const char *org = is_builtin(p) ? getenv("OPENAI_ORG_ID") : NULL;
	const char *project = is_builtin(p) ? getenv("OPENAI_PROJECT_ID") : NULL;
	if (org && *org)
		http_headers_add(h, "OpenAI-Organization", org);
	if (project && *project)
		http_headers_add(h, "OpenAI-Project", project);
}

static const struct llm_api openai_api = {
	.retry = RETRY_OPENAI,
	.headers = add_headers,
};

char *llm_openai_request(const struct llm_request *rq, int real_openai)
{
	const struct llm_params *pm = &rq->params;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "model", rq->model);
	cJSON_AddItemToObject(o, "messages", llm_json_messages(rq, 1));
	cJSON_AddBoolToObject(o, "stream", rq->stream != 0);
	if (rq->stream)
		cJSON_AddBoolToObject(cJSON_AddObjectToObject(o, "stream_options"), "include_usage", 1);
	if (pm->has_temperature)
		cJSON_AddNumberToObject(o, "temperature", pm->temperature);
	if (pm->has_top_p)
		cJSON_AddNumberToObject(o, "top_p", pm->top_p);
	if (pm->has_max_tokens)
		cJSON_AddNumberToObject(o, real_openai ? "max_completion_tokens" : "max_tokens", pm->max_tokens);
	if (pm->nstop)
		cJSON_AddItemToObject(o, "stop", json_string_array(pm->stop, pm->nstop));
	return llm_json_print(o);
}

static void read_usage(struct llm_stream *s, const cJSON *obj)
{
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(obj, "usage");
	if (!cJSON_IsObject(u))
		return;
	s->res.usage.input_tokens = llm_json_int(u, "prompt_tokens", s->res.usage.input_tokens);
	s->res.usage.output_tokens = llm_json_int(u, "completion_tokens", s->res.usage.output_tokens);
}

static void deliver(struct llm_stream *s, const char *text)
{
	if (text)
		llm_stream_text(s, text, strlen(text));
}

static int is_error(const char *type, const cJSON *obj)
{
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(obj, "error");
	return (type && strcmp(type, "error") == 0) || (err && !cJSON_IsNull(err));
}

static void openai_event(struct llm_stream *s, const char *type, const cJSON *obj)
{
	if (is_error(type, obj)) {
		const char *code, *msg, *rid;
		llm_error_fields(obj, &code, &msg, &rid);
		llm_stream_error(s, code, msg);
		return;
	}
	read_usage(s, obj);
	const cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(obj, "choices"), 0);
	const cJSON *delta = cJSON_GetObjectItemCaseSensitive(choice, "delta");
	deliver(s, llm_json_str(delta, "content"));
	deliver(s, llm_json_str(delta, "refusal"));
	llm_stream_set_stop(s, llm_json_str(choice, "finish_reason"));
}

static void openai_whole(struct llm_stream *s, const cJSON *obj)
{
	const cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(obj, "choices"), 0);
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(choice, "message");
	if (!cJSON_IsObject(msg))
		return;
	const char *text = llm_json_str(msg, "content");
	deliver(s, text ? text : llm_json_str(msg, "refusal"));
	llm_stream_set_stop(s, llm_json_str(choice, "finish_reason"));
	read_usage(s, obj);
	s->ended = 1;
}

const struct llm_wire llm_openai_wire = {
	.ndjson = 0,
	.done_data = "[DONE]",
	.end_marker = "data: [DONE]",
	.event = openai_event,
	.whole = openai_whole,
};

static struct provider_call *openai_chat(struct provider *p, struct loop *l, const struct llm_request *rq,
					 const struct llm_handlers *h, void *ud, struct err *e)
{
	return llm_api_chat(&openai_api, p, l, "/chat/completions", llm_openai_request(rq, is_builtin(p)),
			    &llm_openai_wire, rq->stream, h, ud, e);
}

static int is_embedding_model(const char *id)
{
	return strstr(id, "embed") != NULL;
}

static void fill_model(struct llm_model *x, const cJSON *m)
{
	const char *owner = llm_json_str(m, "owned_by");
	x->owner = owner ? xstrdup(owner) : NULL;
	x->embedding = is_embedding_model(x->id);
	x->streaming = !x->embedding;
}

int llm_openai_models(const cJSON *body, struct llm_model_list *list, char **cursor, struct err *e)
{
	*cursor = NULL;
	return llm_models_from(body, "data", "id", NULL, list, fill_model, e);
}

static struct provider_call *openai_list_models(struct provider *p, struct loop *l,
						void (*done)(void *ud, const struct llm_model_list *list,
							     const struct err *e),
						void *ud, struct err *e)
{
	return llm_api_list(&openai_api, p, l, "/models", llm_openai_models, NULL, done, ud, e);
}

int llm_openai_embedding(const cJSON *body, size_t n, struct llm_embedding *emb, struct err *e)
{
	const cJSON *data = llm_embedding_rows(body, "data", n, e), *d;
	if (!data)
		return -1;
	size_t i = 0;
	cJSON_ArrayForEach(d, data) {
		int64_t index = llm_json_int(d, "index", (int64_t)i++);
		if (index < 0)
			return err_set(e, "embedding %zu has a negative index", i - 1);
		if (llm_embedding_put(emb, n, (size_t)index, cJSON_GetObjectItemCaseSensitive(d, "embedding"), e) != 0)
			return -1;
	}
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(body, "usage");
	emb->usage.input_tokens = llm_json_int(u, "prompt_tokens", -1);
	return 0;
}

static struct provider_call *openai_embed(struct provider *p, struct loop *l, const char *model,
					  const struct llm_embed_opts *eo, const char *const *texts, size_t ntexts,
					  void (*done)(void *ud, const struct llm_embedding *emb, const struct err *e),
					  void *ud, struct err *e)
{
	cJSON *o = llm_json_embed_request(model, texts, ntexts);
	cJSON_AddStringToObject(o, "encoding_format", "float");
	if (eo && eo->dimensions > 0)
		cJSON_AddNumberToObject(o, "dimensions", eo->dimensions);
	return llm_api_embed(&openai_api, p, l, "/embeddings", o, llm_openai_embedding, ntexts, done, ud, e);
}

const struct provider_ops provider_openai_ops = {
	.type = "openai",
	.init = openai_init,
	.fini = llm_key_fini,
	.chat = openai_chat,
	.list_models = openai_list_models,
	.embed = openai_embed,
	.cancel = llm_call_cancel,
};
