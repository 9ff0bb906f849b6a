/* llm_json — the JSON helpers the LLM providers share: reading members of an
 * answer, printing a request, and the messages, strings and parameters that
 * requests and records carry. */
#ifndef AIWB_LLM_JSON_H
#define AIWB_LLM_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/json.h"
#include "llm/provider.h"

/* The string member, or NULL. */
const char *llm_json_str(const cJSON *o, const char *name);
/* The numeric member as an integer, or dflt when absent or not a number. */
int64_t llm_json_int(const cJSON *o, const char *name, int64_t dflt);
/* The array member, or NULL with e ("it has no \"NAME\" list"). */
const cJSON *llm_json_list(const cJSON *o, const char *name, struct err *e);
/* Prints o compactly and deletes it; caller frees the text. */
char *llm_json_print(cJSON *o);
/* [{"role","content"}...] with the system message first when with_system. */
cJSON *llm_json_messages(const struct llm_request *rq, int with_system);
/* {"model": model, "input": [texts...]}: the embedding request OpenAI and Ollama share. */
cJSON *llm_json_embed_request(const char *model, const char *const *texts, size_t ntexts);

/* Adds the parameters that are set (temperature, top_p, max_tokens, stop) to o,
 * as history and `prompt show` record them. */
void llm_params_add_json(cJSON *o, const struct llm_params *p);

#endif
