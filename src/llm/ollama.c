/* ollama — the native Ollama API (PROTOCOLS.md §6): /api/chat streamed as
 * NDJSON (a non-streamed answer is the same object, once), /api/tags and
 * /api/embed.
 *
 * The built-in provider "ollama" reads OLLAMA_HOST the way Ollama does (see
 * llm_ollama_base_url; default http://127.0.0.1:11434); other providers of
 * this type use their config base_url, read the same way. No key is needed;
 * one named by api_key_env (an authenticating proxy) is sent as a Bearer
 * token. Ollama has no retry rules of its own: calls follow OpenAI's SDK
 * (2 retries on connection errors, 408/409/429/5xx, Retry-After). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xmalloc.h"
#include "llm/api.h"
#include "llm/errors.h"
#include "llm/internal.h"
#include "llm/keys.h"
#include "llm/llm_json.h"

#define OLLAMA_DEFAULT_PORT "11434"

static int all_digits(const char *s, size_t n)
{
	if (!n || n > 5)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

char *llm_ollama_base_url(const char *host)
{
	char *s = xstrdup(host ? host : "");
	char *p = s, *end = s + strlen(s);
	while (*p && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		*--end = '\0';
	const char *scheme = "http";
	const char *port = OLLAMA_DEFAULT_PORT;
	char *sep = strstr(p, "://");
	if (sep) {
		*sep = '\0';
		scheme = p;
		p = sep + 3;
		if (strcmp(scheme, "http") == 0)
			port = "80";
		else if (strcmp(scheme, "https") == 0)
			port = "443";
	}
	char *path = strchr(p, '/');
	char *path_copy = xstrdup(path ? path : "");
	if (path)
		*path = '\0';
	llm_trim_slashes(path_copy);

	const char *hostpart = p;
	char *portpart = NULL;
	if (*p == '[') {
		char *close = strchr(p, ']');
		if (close) {
			hostpart = p + 1;
			*close = '\0';
			if (close[1] == ':')
				portpart = close + 2;
		}
	} else {
		char *colon = strchr(p, ':');
		if (colon && !strchr(colon + 1, ':')) {
			*colon = '\0';
			portpart = colon + 1;
		}
	}
	if (portpart && all_digits(portpart, strlen(portpart)) && atoi(portpart) <= 65535)
		port = portpart;
	if (!*hostpart || strcmp(hostpart, "0.0.0.0") == 0)
		hostpart = "127.0.0.1";
	else if (strcmp(hostpart, "::") == 0)
		hostpart = "::1";
	int v6 = strchr(hostpart, ':') != NULL;
	char *url = xasprintf("%s://%s%s%s:%s%s", scheme, v6 ? "[" : "", hostpart, v6 ? "]" : "", port, path_copy);
	free(path_copy);
	free(s);
	return url;
}

static int ollama_init(struct provider *p, struct err *e)
{
	const char *env = strcmp(p->name, "ollama") == 0 ? getenv("OLLAMA_HOST") : NULL;
	char *url = llm_ollama_base_url(env && *env ? env : p->base_url);
	free(p->base_url);
	p->base_url = url;
	const char *var = p->config ? p->config->api_key_env : NULL;
	char *key = NULL;
	if (var && llm_key_load(p, var, 1, &key, e) != 0)
		return -1;
	p->priv = key;
	return 0;
}

static const struct llm_api ollama_api = {
	.retry = RETRY_OPENAI,
	.headers = llm_bearer_headers,
};

char *llm_ollama_request(const struct llm_request *rq)
{
	const struct llm_params *pm = &rq->params;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "model", rq->model);
	cJSON_AddItemToObject(o, "messages", llm_json_messages(rq, 1));
	cJSON_AddBoolToObject(o, "stream", rq->stream != 0);
	cJSON *opt = cJSON_CreateObject();
	if (pm->has_temperature)
		cJSON_AddNumberToObject(opt, "temperature", pm->temperature);
	if (pm->has_top_p)
		cJSON_AddNumberToObject(opt, "top_p", pm->top_p);
	if (pm->has_max_tokens)
		cJSON_AddNumberToObject(opt, "num_predict", pm->max_tokens);
	if (pm->nstop)
		cJSON_AddItemToObject(opt, "stop", json_string_array(pm->stop, pm->nstop));
	if (opt->child)
		cJSON_AddItemToObject(o, "options", opt);
	else
		cJSON_Delete(opt);
	return llm_json_print(o);
}

static void ollama_event(struct llm_stream *s, const char *type, const cJSON *obj)
{
	(void)type;
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(obj, "error");
	if (err && !cJSON_IsNull(err)) {
		const char *code, *msg, *rid;
		llm_error_fields(obj, &code, &msg, &rid);
		llm_stream_error(s, code, msg);
		return;
	}
	const char *text = llm_json_str(cJSON_GetObjectItemCaseSensitive(obj, "message"), "content");
	if (text)
		llm_stream_text(s, text, strlen(text));
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "done")))
		return;
	/* metric fields are left out when zero */
	llm_stream_set_stop(s, llm_json_str(obj, "done_reason"));
	s->res.usage.input_tokens = llm_json_int(obj, "prompt_eval_count", 0);
	s->res.usage.output_tokens = llm_json_int(obj, "eval_count", 0);
	s->total_ns = llm_json_int(obj, "total_duration", -1);
	s->load_ns = llm_json_int(obj, "load_duration", -1);
	s->prompt_eval_ns = llm_json_int(obj, "prompt_eval_duration", -1);
	s->eval_ns = llm_json_int(obj, "eval_duration", -1);
	if (s->eval_ns > 0)
		log_debug("%s: %lld tokens in %.3f s (%.1f tokens/s), load %.3f s, total %.3f s", s->provider,
			  (long long)s->res.usage.output_tokens, (double)s->eval_ns / 1e9,
			  (double)s->res.usage.output_tokens * 1e9 / (double)s->eval_ns,
			  s->load_ns > 0 ? (double)s->load_ns / 1e9 : 0.0, s->total_ns > 0 ? (double)s->total_ns / 1e9 : 0.0);
	s->ended = 1;
}

const struct llm_wire llm_ollama_wire = {
	.ndjson = 1,
	.done_data = NULL,
	.end_marker = "its \"done\": true line",
	.event = ollama_event,
	.whole = NULL, /* NDJSON: a whole answer is read as lines */
};

static struct provider_call *ollama_chat(struct provider *p, struct loop *l, const struct llm_request *rq,
					 const struct llm_handlers *h, void *ud, struct err *e)
{
	return llm_api_chat(&ollama_api, p, l, "/api/chat", llm_ollama_request(rq), &llm_ollama_wire, rq->stream, h,
			    ud, e);
}

static int is_embedding_model(const char *name, const cJSON *details)
{
	const char *family = llm_json_str(details, "family");
	return strstr(name, "embed") || (family && strstr(family, "bert"));
}

static void fill_model(struct llm_model *x, const cJSON *m)
{
	x->embedding = is_embedding_model(x->id, cJSON_GetObjectItemCaseSensitive(m, "details"));
	x->streaming = !x->embedding;
}

int llm_ollama_models(const cJSON *body, struct llm_model_list *list, char **cursor, struct err *e)
{
	*cursor = NULL;
	return llm_models_from(body, "models", "name", "model", list, fill_model, e);
}

static struct provider_call *ollama_list_models(struct provider *p, struct loop *l,
						void (*done)(void *ud, const struct llm_model_list *list,
							     const struct err *e),
						void *ud, struct err *e)
{
	return llm_api_list(&ollama_api, p, l, "/api/tags", llm_ollama_models, NULL, done, ud, e);
}

int llm_ollama_embedding(const cJSON *body, size_t n, struct llm_embedding *emb, struct err *e)
{
	const cJSON *rows = llm_embedding_rows(body, "embeddings", n, e), *row;
	if (!rows)
		return -1;
	size_t i = 0;
	cJSON_ArrayForEach(row, rows)
		if (llm_embedding_put(emb, n, i++, row, e) != 0)
			return -1;
	emb->usage.input_tokens = llm_json_int(body, "prompt_eval_count", -1);
	return 0;
}

static struct provider_call *ollama_embed(struct provider *p, struct loop *l, const char *model,
					  const struct llm_embed_opts *eo, const char *const *texts, size_t ntexts,
					  void (*done)(void *ud, const struct llm_embedding *emb, const struct err *e),
					  void *ud, struct err *e)
{
	(void)eo; /* /api/embed has no purpose and no dimensions */
	return llm_api_embed(&ollama_api, p, l, "/api/embed", llm_json_embed_request(model, texts, ntexts), llm_ollama_embedding, ntexts, done, ud, e);
}

const struct provider_ops provider_ollama_ops = {
	.type = "ollama",
	.init = ollama_init,
	.fini = llm_key_fini,
	.chat = ollama_chat,
	.list_models = ollama_list_models,
	.embed = ollama_embed,
	.cancel = llm_call_cancel,
};
