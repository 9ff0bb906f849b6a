#include "llm/api.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "llm/keys.h"
#include "llm/llm_json.h"

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
	char *url, *body;
};

/* body NULL: no body, and no JSON content type. The call owns body: the
 * start functions copy what they keep. */
static void api_call_init(struct api_call *ac, const struct llm_api *api, const struct provider *p, const char *path,
			  char *body)
{
	memset(ac, 0, sizeof *ac);
	ac->url = xasprintf("%s%s", p->base_url, path);
	api->headers(p, &ac->headers, body != NULL);
	ac->cs.p = p;
	ac->cs.secret = p->priv;
	ac->cs.retry = api->retry;
	ac->cs.url = ac->url;
	ac->cs.headers = &ac->headers;
	ac->cs.body = ac->body = body;
	ac->cs.body_len = body ? strlen(body) : 0;
}

static void api_call_fini(struct api_call *ac)
{
	http_headers_free(&ac->headers);
	free(ac->url);
	free(ac->body);
}

struct provider_call *llm_api_chat(const struct llm_api *api, const struct provider *p, struct loop *l,
				   const char *path, char *body, const struct llm_wire *w, int stream,
				   const struct llm_handlers *h, void *ud, struct err *e)
{
	struct api_call ac;
	api_call_init(&ac, api, p, path, body);
	struct provider_call *c = llm_chat_start(l, &ac.cs, w, stream, h, ud, e);
	api_call_fini(&ac);
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
	struct api_call ac;
	api_call_init(&ac, api, p, path, llm_json_print(body));
	struct provider_call *c = llm_embed_start(l, &ac.cs, parse, n, done, ud, e);
	api_call_fini(&ac);
	return c;
}
