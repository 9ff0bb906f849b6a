#include "guard/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/sanitize.h"

void guard_where_move(struct guard_where *w, const char *text, size_t to)
{
	if (to < w->at)
		*w = (struct guard_where)GUARD_WHERE_INIT;
	for (; w->at < to; w->at++) {
		unsigned char c = (unsigned char)text[w->at];
		if (c == '\n') {
			w->line++;
			w->col = 1;
		} else if ((c & 0xC0) != 0x80) {
			w->col++;
		}
	}
}

cJSON *guard_findings_json(const struct guard_findings *f, const char *text, size_t len)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "engine", "local");
	cJSON_AddNumberToObject(o, "bytes", (double)len);
	cJSON *list = cJSON_AddArrayToObject(o, "findings");
	size_t counts[GUARD_NTYPES] = { 0 };
	struct guard_where w = GUARD_WHERE_INIT;
	for (size_t k = 0; k < f->n; k++) {
		const struct guard_finding *x = &f->v[k];
		counts[x->type]++;
		guard_where_move(&w, text, x->start);
		cJSON *it = cJSON_CreateObject();
		cJSON_AddStringToObject(it, "type", guard_type_name(x->type));
		cJSON_AddNumberToObject(it, "start", (double)x->start);
		cJSON_AddNumberToObject(it, "end", (double)x->end);
		cJSON_AddNumberToObject(it, "line", (double)w.line);
		cJSON_AddNumberToObject(it, "column", (double)w.col);
		cJSON_AddNumberToObject(it, "confidence", round(x->confidence * 100) / 100);
		if (x->label)
			cJSON_AddStringToObject(it, "label", x->label);
		else
			cJSON_AddNullToObject(it, "label");
		char *preview = guard_preview(x, text, len);
		char *valid = sanitize_utf8(preview, strlen(preview));
		cJSON_AddStringToObject(it, "preview", valid);
		free(valid);
		free(preview);
		if (x->hidden)
			cJSON_AddStringToObject(it, "hidden_text", x->hidden);
		cJSON_AddItemToArray(list, it);
	}
	cJSON *c = cJSON_AddObjectToObject(o, "counts");
	for (int t = 0; t < GUARD_NTYPES; t++)
		if (counts[t])
			cJSON_AddNumberToObject(c, guard_type_name((enum guard_type)t), (double)counts[t]);
	return o;
}

cJSON *guardrail_result_json(const struct guardrail_result *r)
{
	cJSON *j = r->ok ? cJSON_Parse(r->json) : NULL;
	if (j)
		return j;
	j = cJSON_CreateObject();
	cJSON *e = cJSON_AddObjectToObject(j, "error");
	cJSON_AddStringToObject(e, "code", r->error_code);
	cJSON_AddStringToObject(e, "message", r->message);
	cJSON_AddNumberToObject(e, "http_status", r->http_status);
	return j;
}
