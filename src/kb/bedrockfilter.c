#include "kb/bedrockfilter.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

static cJSON *value_json(const struct kb_filter_value *v)
{
	if (v->type == 'n')
		return cJSON_CreateNumber(v->num);
	if (v->type == 'b')
		return cJSON_CreateBool(v->num != 0);
	return cJSON_CreateString(v->text ? v->text : "");
}

static const char *key_of(const struct kb_filter_node *n)
{
	return strcmp(n->key, "path") == 0 ? KB_BEDROCK_SOURCE_URI : n->key;
}

/* {"op": {"key": k, "value": v}} */
static cJSON *attribute(const char *op, const char *key, cJSON *value)
{
	cJSON *o = cJSON_CreateObject(), *a = cJSON_AddObjectToObject(o, op);
	cJSON_AddStringToObject(a, "key", key);
	cJSON_AddItemToObject(a, "value", value);
	return o;
}

static const char *compare_op(const char *op, int neg)
{
	static const char *const map[][3] = {
		{ "=", "equals", "notEquals" },
		{ "!=", "notEquals", "equals" },
		{ "<", "lessThan", "greaterThanOrEquals" },
		{ "<=", "lessThanOrEquals", "greaterThan" },
		{ ">", "greaterThan", "lessThanOrEquals" },
		{ ">=", "greaterThanOrEquals", "lessThan" },
	};
	for (size_t i = 0; i < sizeof map / sizeof *map; i++)
		if (strcmp(op, map[i][0]) == 0)
			return map[i][neg ? 2 : 1];
	return NULL;
}

static cJSON *glob(const struct kb_filter_node *n, int neg, struct err *e)
{
	const char *pat = n->values[0].text ? n->values[0].text : "";
	size_t len = strlen(pat);
	int contains = len >= 3 && pat[0] == '*' && pat[len - 1] == '*';
	const char *star = strchr(contains ? pat + 1 : pat, '*');
	if (strpbrk(pat, "?[") || (star && star != pat + len - 1)) {
		err_set(e, "invalid filter: Bedrock cannot express %s GLOB '%s': only 'prefix*' (startsWith) and "
			"'*text*' (stringContains) translate", n->key, pat);
		return NULL;
	}
	if (neg) {
		err_set(e, "invalid filter: Bedrock cannot express NOT %s GLOB '%s': it has no negated startsWith or "
			"stringContains", n->key, pat);
		return NULL;
	}
	if (!star)
		return attribute("equals", key_of(n), cJSON_CreateString(pat));
	char *part = contains ? xstrndup(pat + 1, len - 2) : xstrndup(pat, len - 1);
	cJSON *o = attribute(contains ? "stringContains" : "startsWith", key_of(n), cJSON_CreateString(part));
	free(part);
	return o;
}

static cJSON *translate(const struct kb_filter_node *n, int neg, struct err *e);

/* AND (or OR, or their negation by De Morgan) as one flat list; a list of
 * one stands bare. */
static cJSON *group(const struct kb_filter_node *n, int neg, struct err *e)
{
	int all = (n->kind == KB_FILTER_AND) != (neg != 0);
	const char *name = all ? "andAll" : "orAll";
	cJSON *list = cJSON_CreateArray();
	for (size_t i = 0; i < n->nkids; i++) {
		cJSON *kid = translate(n->kids[i], neg, e);
		if (!kid) {
			cJSON_Delete(list);
			return NULL;
		}
		cJSON *same = cJSON_GetObjectItemCaseSensitive(kid, name);
		if (same && cJSON_GetArraySize(kid) == 1) {
			cJSON *m;
			while ((m = cJSON_DetachItemFromArray(same, 0)) != NULL)
				cJSON_AddItemToArray(list, m);
			cJSON_Delete(kid);
		} else {
			cJSON_AddItemToArray(list, kid);
		}
	}
	if (cJSON_GetArraySize(list) == 1) {
		cJSON *only = cJSON_DetachItemFromArray(list, 0);
		cJSON_Delete(list);
		return only;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, name, list);
	return o;
}

static cJSON *translate(const struct kb_filter_node *n, int neg, struct err *e)
{
	if (n->key && strlen(key_of(n)) > KB_BEDROCK_KEY_MAX) {
		err_set(e, "invalid filter: Bedrock cannot express the key %.40s...: a metadata key is at most %d bytes",
			n->key, KB_BEDROCK_KEY_MAX);
		return NULL;
	}
	switch (n->kind) {
	case KB_FILTER_NOT:
		return translate(n->kids[0], !neg, e);
	case KB_FILTER_AND:
	case KB_FILTER_OR:
		return group(n, neg, e);
	case KB_FILTER_CMP:
		return attribute(compare_op(n->op, neg), key_of(n), value_json(&n->values[0]));
	case KB_FILTER_IN: {
		cJSON *list = cJSON_CreateArray();
		for (size_t i = 0; i < n->nvalues; i++)
			cJSON_AddItemToArray(list, value_json(&n->values[i]));
		return attribute((n->negated != 0) != (neg != 0) ? "notIn" : "in", key_of(n), list);
	}
	case KB_FILTER_GLOB:
		return glob(n, (n->negated != 0) != (neg != 0), e);
	}
	err_set(e, "invalid filter: an unknown node");
	return NULL;
}

cJSON *kb_bedrock_filter(const struct kb_filter_node *n, struct err *e)
{
	return translate(n, 0, e);
}

char *kb_bedrock_filter_json(const char *expr, struct err *e)
{
	struct err pe = ERR_INIT;
	struct kb_filter_node *n = kb_filter_parse(expr, &pe);
	if (!n) {
		err_set(e, "invalid filter: %s", pe.msg);
		return NULL;
	}
	cJSON *o = kb_bedrock_filter(n, e);
	kb_filter_node_free(n);
	if (!o)
		return NULL;
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}
