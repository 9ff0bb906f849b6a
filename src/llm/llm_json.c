#include "llm/llm_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *llm_json_str(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

int64_t llm_json_int(const cJSON *o, const char *name, int64_t dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || fabs(v->valuedouble) > 9e18)
		return dflt;
	return (int64_t)v->valuedouble;
}

const cJSON *llm_json_list(const cJSON *o, const char *name, struct err *e)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, name);
	if (cJSON_IsArray(a))
		return a;
	err_set(e, "it has no \"%s\" list", name);
	return NULL;
}

char *llm_json_print(cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!s) {
		fputs("aiwb: out of memory printing JSON\n", stderr);
		abort();
	}
	return s;
}

static void add_message(cJSON *a, const char *role, const char *content)
{
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "role", role);
	cJSON_AddStringToObject(m, "content", content ? content : "");
	cJSON_AddItemToArray(a, m);
}

cJSON *llm_json_messages(const struct llm_request *rq, int with_system)
{
	cJSON *a = cJSON_CreateArray();
	if (with_system && rq->system)
		add_message(a, "system", rq->system);
	for (size_t i = 0; i < rq->nmessages; i++)
		add_message(a, rq->messages[i].role, rq->messages[i].content);
	return a;
}

void llm_params_add_json(cJSON *o, const struct llm_params *p)
{
	if (p->has_temperature)
		cJSON_AddNumberToObject(o, "temperature", p->temperature);
	if (p->has_top_p)
		cJSON_AddNumberToObject(o, "top_p", p->top_p);
	if (p->has_max_tokens)
		cJSON_AddNumberToObject(o, "max_tokens", p->max_tokens);
	if (p->nstop)
		cJSON_AddItemToObject(o, "stop", json_string_array(p->stop, p->nstop));
}

cJSON *llm_json_embed_request(const char *model, const char *const *texts, size_t ntexts)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "model", model);
	cJSON_AddItemToObject(o, "input", json_string_array(texts, ntexts));
	return o;
}
