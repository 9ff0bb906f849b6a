#include "llm/paging.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "llm/llm_json.h"

struct llm_model *llm_models_add(struct llm_model_list *list, const char *id)
{
	list->models = xreallocarray(list->models, list->n + 1, sizeof *list->models);
	struct llm_model *m = &list->models[list->n++];
	memset(m, 0, sizeof *m);
	m->id = xstrdup(id);
	return m;
}

int llm_models_from(const cJSON *body, const char *key, const char *id_key, const char *alt_id_key,
		    struct llm_model_list *list, void (*fill)(struct llm_model *x, const cJSON *item), struct err *e)
{
	const cJSON *items = llm_json_list(body, key, e), *m;
	if (!items)
		return -1;
	cJSON_ArrayForEach(m, items) {
		const char *id = llm_json_str(m, id_key);
		if (!id && alt_id_key)
			id = llm_json_str(m, alt_id_key);
		if (id)
			fill(llm_models_add(list, id), m);
	}
	return 0;
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
