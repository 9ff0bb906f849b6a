/* libFuzzer target for kb/bedrockfilter: any text either translates to a
 * RetrievalFilter in which every object is a union of exactly one member,
 * every andAll/orAll holds two members or more and every attribute has a key
 * of 1 to 100 bytes and a value, or fails with one "invalid filter: ..."
 * sentence. A filter the local parser accepts fails only with "Bedrock cannot
 * express". Never a crash or a leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/xmalloc.h"
#include "kb/bedrockfilter.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_filter(const cJSON *f, int depth)
{
	require(depth < 200 && cJSON_IsObject(f) && cJSON_GetArraySize(f) == 1);
	const cJSON *m = f->child;
	if (strcmp(m->string, "andAll") == 0 || strcmp(m->string, "orAll") == 0) {
		require(cJSON_IsArray(m) && cJSON_GetArraySize(m) >= 2);
		const cJSON *it;
		cJSON_ArrayForEach(it, m) {
			/* a list never holds a list of its own kind: those are flattened */
			require(!cJSON_GetObjectItemCaseSensitive(it, m->string));
			check_filter(it, depth + 1);
		}
		return;
	}
	const cJSON *key = cJSON_GetObjectItemCaseSensitive(m, "key");
	require(cJSON_IsString(key) && *key->valuestring && strlen(key->valuestring) <= KB_BEDROCK_KEY_MAX);
	require(cJSON_GetObjectItemCaseSensitive(m, "value") != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	struct err e = ERR_INIT;
	char *json = kb_bedrock_filter_json(text, &e);
	if (json) {
		cJSON *f = cJSON_Parse(json);
		require(f != NULL);
		check_filter(f, 0);
		cJSON_Delete(f);
		free(json);
	} else {
		require(e.set && strncmp(err_msg(&e), "invalid filter: ", 16) == 0);
		struct err pe = ERR_INIT;
		struct kb_filter_node *n = kb_filter_parse(text, &pe);
		if (n)
			require(strstr(err_msg(&e), "Bedrock cannot express") != NULL);
		kb_filter_node_free(n);
	}
	free(text);
	return 0;
}
