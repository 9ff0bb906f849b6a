#include "prompt/bind.h"

#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/xmalloc.h"
#include "base/yamldoc.h"

int template_split_set(const char *s, char **key, const char **value)
{
	const char *eq = strchr(s, '=');
	if (!eq || eq == s)
		return -1;
	*key = xstrndup(s, (size_t)(eq - s));
	*value = eq + 1;
	return 0;
}

cJSON *template_coerce(const char *name, enum template_type type, const char *text, struct err *e)
{
	double d;
	int b;
	cJSON *j;
	switch (type) {
	case TEMPLATE_STRING: return cJSON_CreateString(text);
	case TEMPLATE_NUMBER:
		if (yamldoc_parse_number(text, &d) == 0)
			return cJSON_CreateNumber(d);
		err_set(e, "variable '%s' must be a number, not '%s'", name, text);
		return NULL;
	case TEMPLATE_BOOLEAN:
		if (yamldoc_parse_bool(text, &b) == 0)
			return cJSON_CreateBool(b);
		err_set(e, "variable '%s' must be true or false, not '%s'", name, text);
		return NULL;
	case TEMPLATE_JSON:
		if ((j = json_parse(text, strlen(text), JSON_DATA)))
			return j;
		err_set(e, "variable '%s' must be JSON, not '%s'", name, text);
		return NULL;
	}
	return NULL;
}

static const struct template_var *find_var(const struct template *t, const char *name)
{
	for (size_t i = 0; i < t->nvars; i++)
		if (!strcmp(t->vars[i].name, name))
			return &t->vars[i];
	return NULL;
}

struct needs {
	char **v;
	size_t n, cap;
};

static void need_add(struct needs *nd, const char *name)
{
	if (nd->n == nd->cap) {
		nd->cap = nd->cap ? 2 * nd->cap : 16;
		nd->v = xreallocarray(nd->v, nd->cap, sizeof *nd->v);
	}
	nd->v[nd->n++] = xstrdup(name);
}

static void on_top_name(void *ud, const char *name)
{
	need_add(ud, name);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void template_needed_vars(const struct template *t, template_need_fn fn, void *ud)
{
	struct needs top = { NULL, 0, 0 };
	if (t->m)
		mustache_top_names(t->m, on_top_name, &top);
	if (top.n)
		qsort(top.v, top.n, sizeof *top.v, by_name);
	int declared = !t->bare && t->nvars;
	for (size_t i = 0; i < t->nvars; i++)
		if (t->vars[i].required && !t->vars[i].def)
			fn(ud, t->vars[i].name, 1);
	for (size_t i = 0; i < top.n; i++) {
		const struct template_var *v = find_var(t, top.v[i]);
		int dup = i && !strcmp(top.v[i], top.v[i - 1]);
		if (!dup && strcmp(top.v[i], "examples") && !(declared && (!v || v->def || v->required)))
			fn(ud, top.v[i], 0);
	}
	for (size_t i = 0; i < top.n; i++)
		free(top.v[i]);
	free(top.v);
}

static int check_known(const struct template *t, const char *name, struct err *e)
{
	if (!t->nvars || find_var(t, name) || !strcmp(name, "examples") || template_is_step_output(t, name))
		return 0;
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < t->nvars; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", t->vars[i].name);
	err_set(e, "template %s has no variable '%s'; its variables are %s", t->name, name, buf_str(&b));
	buf_free(&b);
	return -1;
}

/* A value from a JSON file for a declared variable: strings are read as the
 * command line reads them, so "3" serves a number. */
static cJSON *from_json(const struct template *t, const struct template_var *v, const cJSON *j, struct err *e)
{
	if (!v || v->type == TEMPLATE_JSON || cJSON_IsNull(j))
		return cJSON_Duplicate(j, 1);
	if (cJSON_IsString(j)) {
		struct err ce = ERR_INIT;
		cJSON *c = template_coerce(v->name, v->type, j->valuestring, &ce);
		if (!c)
			err_set(e, "template %s: %s", t->name, ce.msg);
		return c;
	}
	int ok = v->type == TEMPLATE_NUMBER ? cJSON_IsNumber(j)
	       : v->type == TEMPLATE_BOOLEAN ? cJSON_IsBool(j)
					     : cJSON_IsNumber(j) || cJSON_IsBool(j);
	if (ok)
		return cJSON_Duplicate(j, 1);
	err_set(e, "template %s: variable '%s' must be %s", t->name, v->name,
		v->type == TEMPLATE_NUMBER ? "a number" : v->type == TEMPLATE_BOOLEAN ? "true or false" : "text");
	return NULL;
}

static void set_item(cJSON *o, const char *k, cJSON *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, k);
	cJSON_AddItemToObject(o, k, v);
}

static int apply_sets(const struct template *t, cJSON *d, const char *const *sets, size_t nsets, struct err *e)
{
	for (size_t i = 0; i < nsets; i++) {
		char *k;
		const char *val;
		if (template_split_set(sets[i], &k, &val) != 0)
			return err_set(e, "--var takes NAME=VALUE, not '%s'", sets[i]);
		const struct template_var *v = find_var(t, k);
		cJSON *j = NULL;
		if (check_known(t, k, e) == 0) {
			struct err ce = ERR_INIT;
			j = template_coerce(k, v ? v->type : TEMPLATE_STRING, val, &ce);
			if (!j)
				err_set(e, "template %s: %s", t->name, ce.msg);
		}
		if (!j) {
			free(k);
			return -1;
		}
		set_item(d, k, j);
		free(k);
	}
	return 0;
}

static int missing_value(const cJSON *j)
{
	return !j || cJSON_IsNull(j) || (cJSON_IsString(j) && !*j->valuestring);
}

static cJSON *bind_bare(const struct template *t, const cJSON *const *layers, size_t nlayers,
			const char *const *sets, size_t nsets, struct err *e)
{
	cJSON *d = NULL;
	for (size_t i = 0; i < nlayers; i++) {
		if (!layers[i])
			continue;
		if (!d) {
			d = cJSON_Duplicate(layers[i], 1);
			continue;
		}
		if (!cJSON_IsObject(d) || !cJSON_IsObject(layers[i])) {
			cJSON_Delete(d);
			err_set(e, "the data files can be combined only when they are JSON objects");
			return NULL;
		}
		const cJSON *it;
		cJSON_ArrayForEach(it, layers[i])
			set_item(d, it->string, cJSON_Duplicate(it, 1));
	}
	if (!d)
		d = cJSON_CreateObject();
	if (nsets && !cJSON_IsObject(d)) {
		cJSON_Delete(d);
		err_set(e, "--var needs the data to be a JSON object");
		return NULL;
	}
	if (apply_sets(t, d, sets, nsets, e) != 0) {
		cJSON_Delete(d);
		return NULL;
	}
	return d;
}

cJSON *template_bind(const struct template *t, const cJSON *const *layers, size_t nlayers,
		     const char *const *sets, size_t nsets, struct err *e)
{
	if (t->bare)
		return bind_bare(t, layers, nlayers, sets, nsets, e);
	cJSON *d = cJSON_CreateObject();
	for (size_t i = 0; i < t->nvars; i++)
		if (t->vars[i].def)
			cJSON_AddItemToObject(d, t->vars[i].name, cJSON_Duplicate(t->vars[i].def, 1));
	if (t->examples)
		cJSON_AddItemToObject(d, "examples", cJSON_Duplicate(t->examples, 1));
	for (size_t i = 0; i < nlayers; i++) {
		if (!layers[i])
			continue;
		if (!cJSON_IsObject(layers[i])) {
			err_set(e, "template %s: the variables file must hold a JSON object {\"name\": value, ...}", t->name);
			goto fail;
		}
		const cJSON *it;
		cJSON_ArrayForEach(it, layers[i]) {
			if (check_known(t, it->string, e) != 0)
				goto fail;
			cJSON *j = from_json(t, find_var(t, it->string), it, e);
			if (!j)
				goto fail;
			set_item(d, it->string, j);
		}
	}
	if (apply_sets(t, d, sets, nsets, e) != 0)
		goto fail;
	struct buf miss = BUF_INIT;
	const struct template_var *first = NULL;
	size_t nmiss = 0;
	for (size_t i = 0; i < t->nvars; i++) {
		const struct template_var *v = &t->vars[i];
		if (v->required && missing_value(cJSON_GetObjectItemCaseSensitive(d, v->name))) {
			buf_printf(&miss, "%s--var %s=...", nmiss ? " and " : "", v->name);
			first = first ? first : v;
			nmiss++;
		}
	}
	if (nmiss) {
		if (nmiss == 1 && first->description && *first->description)
			err_set(e, "template %s needs %s (%s)", t->name, buf_str(&miss), first->description);
		else
			err_set(e, "template %s needs %s", t->name, buf_str(&miss));
		buf_free(&miss);
		goto fail;
	}
	return d;
fail:
	cJSON_Delete(d);
	return NULL;
}

