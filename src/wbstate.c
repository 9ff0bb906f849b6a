#include "wbstate.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/path.h"
#include "base/xmalloc.h"

#define STATE_FILE "workbench.json"
#define STATE_MAX ((size_t)4 << 20)

static char *state_path(const char *path)
{
	return path ? xstrdup(path) : path_join(path_data_home(), STATE_FILE);
}

void wbstate_free(struct wbstate *s)
{
	for (size_t i = 0; i < s->nmarked; i++)
		free(s->marked[i]);
	free(s->marked);
	for (size_t i = 0; i < s->nparams; i++)
		free(s->params[i].spec);
	free(s->params);
	free(s->template);
	free(s->focus);
	for (size_t i = 0; i < s->nfolded; i++)
		free(s->folded[i]);
	free(s->folded);
	memset(s, 0, sizeof *s);
}

/* A string member, NULL when absent; -1 when present and not a non-empty string. */
static int get_str(const cJSON *o, const char *key, char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v) || !*v->valuestring)
		return -1;
	*out = xstrdup(v->valuestring);
	return 0;
}

static int get_strs(const cJSON *o, const char *key, char ***out, size_t *n)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key), *it;
	if (!v)
		return 0;
	if (!cJSON_IsArray(v))
		return -1;
	cJSON_ArrayForEach(it, v) {
		if (!cJSON_IsString(it) || !*it->valuestring)
			return -1;
		*out = xreallocarray(*out, *n + 1, sizeof **out);
		(*out)[(*n)++] = xstrdup(it->valuestring);
	}
	return 0;
}

static int get_param(const cJSON *o, const char *key, double lo, double hi, int *has, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi))
		return -1;
	*has = 1;
	*out = v->valuedouble;
	return 0;
}

static int get_params(const cJSON *o, struct wbstate *s)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "params"), *it;
	if (!v)
		return 0;
	if (!cJSON_IsObject(v))
		return -1;
	cJSON_ArrayForEach(it, v) {
		if (!cJSON_IsObject(it) || !*it->string)
			return -1;
		struct wbstate_params p = {0};
		double max_tokens = 0;
		if (get_param(it, "temperature", 0, 2, &p.params.has_temperature, &p.params.temperature) < 0 ||
		    get_param(it, "top_p", 0, 1, &p.params.has_top_p, &p.params.top_p) < 0 ||
		    get_param(it, "max_tokens", 1, 1000000, &p.params.has_max_tokens, &max_tokens) < 0 ||
		    max_tokens != (int)max_tokens)
			return -1;
		p.params.max_tokens = (int)max_tokens;
		p.spec = xstrdup(it->string);
		s->params = xreallocarray(s->params, s->nparams + 1, sizeof *s->params);
		s->params[s->nparams++] = p;
	}
	return 0;
}

int wbstate_load(struct wbstate *s, const char *path, struct err *e)
{
	memset(s, 0, sizeof *s);
	char *file = state_path(path);
	if (!path_exists(file)) {
		free(file);
		return 0;
	}
	size_t len;
	char *text = path_read_file(file, &len, e);
	if (!text) {
		free(file);
		return -1;
	}
	cJSON *root = len <= STATE_MAX ? cJSON_ParseWithLength(text, len) : NULL;
	free(text);
	int rc = 0;
	if (!cJSON_IsObject(root) || get_strs(root, "marked", &s->marked, &s->nmarked) < 0 || get_params(root, s) < 0 ||
	    get_str(root, "template", &s->template) < 0 || get_str(root, "focus", &s->focus) < 0 ||
	    get_strs(root, "folded", &s->folded, &s->nfolded) < 0) {
		wbstate_free(s);
		rc = err_set(e, "the saved workbench state is damaged; starting afresh (%s is replaced on quit)", file);
	}
	cJSON_Delete(root);
	free(file);
	return rc;
}

static void add_strs(cJSON *o, const char *key, char *const *v, size_t n)
{
	if (!n)
		return;
	cJSON *a = cJSON_AddArrayToObject(o, key);
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
}

int wbstate_save(const struct wbstate *s, const char *path, struct err *e)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "version", 1);
	add_strs(root, "marked", s->marked, s->nmarked);
	cJSON *params = NULL;
	for (size_t i = 0; i < s->nparams; i++) {
		const struct llm_params *p = &s->params[i].params;
		if (!p->has_temperature && !p->has_top_p && !p->has_max_tokens)
			continue;
		if (!params)
			params = cJSON_AddObjectToObject(root, "params");
		cJSON *o = cJSON_AddObjectToObject(params, s->params[i].spec);
		if (p->has_temperature)
			cJSON_AddNumberToObject(o, "temperature", p->temperature);
		if (p->has_top_p)
			cJSON_AddNumberToObject(o, "top_p", p->top_p);
		if (p->has_max_tokens)
			cJSON_AddNumberToObject(o, "max_tokens", p->max_tokens);
	}
	if (s->template)
		cJSON_AddStringToObject(root, "template", s->template);
	if (s->focus)
		cJSON_AddStringToObject(root, "focus", s->focus);
	add_strs(root, "folded", s->folded, s->nfolded);
	char *text = cJSON_Print(root);
	cJSON_Delete(root);
	char *file = state_path(path);
	size_t len = strlen(text);
	text[len] = '\n';
	size_t was_len = 0;
	char *was = path_exists(file) ? path_read_file(file, &was_len, NULL) : NULL;
	int same = was && was_len == len + 1 && memcmp(was, text, len + 1) == 0;
	free(was);
	int rc = same ? 0 : path_write_file(file, text, len + 1, e);
	free(text);
	free(file);
	return rc;
}
