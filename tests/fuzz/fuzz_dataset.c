/* Dataset loaders and json_parse on hostile bytes: the first byte picks the
 * reader (CSV dataset, JSONL dataset, json_parse with or without the UTF-8
 * repair), the rest is the input. Invariants: no crash or leak; every
 * string a dataset row holds is valid UTF-8 without a NUL (its printed JSON
 * reads back equal); json_parse with the data flags never leaves an
 * infinite number or a string that is not UTF-8; a failed load says where. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/sanitize.h"
#include "exp/spec.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int valid_utf8(const char *s)
{
	char *fixed = sanitize_utf8(s, strlen(s));
	int same = strcmp(fixed, s) == 0;
	free(fixed);
	return same;
}

/* With data (JSON_DATA's repairs): every number finite, every string and
 * key valid UTF-8. */
static void check_tree(const cJSON *j, int utf8)
{
	for (const cJSON *c = j; c; c = c->next) {
		if (utf8 && cJSON_IsNumber(c))
			require(isfinite(c->valuedouble));
		if (utf8 && cJSON_IsString(c))
			require(valid_utf8(c->valuestring));
		if (utf8 && c->string)
			require(valid_utf8(c->string));
		if (c->child)
			check_tree(c->child, utf8);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int mode = data[0] % 4;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	if (mode >= 2) {
		unsigned flags = (mode == 3 ? JSON_REPAIR_UTF8 | JSON_BIG_AS_TEXT : 0) | (data[0] & 4 ? JSON_WHOLE : 0);
		cJSON *j = json_parse(text, len, flags);
		check_tree(j, mode == 3);
		cJSON_Delete(j);
		return 0;
	}
	struct err e = ERR_INIT;
	cJSON *rows = mode == 0 ? exp_dataset_csv(text, len, "d.csv", &e) : exp_dataset_jsonl(text, len, "d.jsonl", &e);
	if (!rows) {
		require(e.set && strncmp(err_msg(&e), mode == 0 ? "d.csv" : "d.jsonl", 5) == 0);
		return 0;
	}
	require(cJSON_IsArray(rows));
	check_tree(rows->child, 1);
	char *printed = cJSON_PrintUnformatted(rows);
	cJSON *back = cJSON_Parse(printed);
	require(back && cJSON_Compare(back, rows, 1));
	cJSON_Delete(back);
	free(printed);
	cJSON_Delete(rows);
	return 0;
}
