/* paging — a provider's model list, fetched page by page.
 *
 * llm_list_start() GETs a listing with llm/call.h and reads each page with
 * the provider's parser; pages continue while the parser returns a cursor
 * (at most 20 pages). No secret in force appears in the listing. */
#ifndef AIWB_LLM_PAGING_H
#define AIWB_LLM_PAGING_H

#include <cjson/cJSON.h>

#include "base/err.h"
#include "llm/call.h"
#include "llm/provider.h"

/* Appends the models of one page to list; sets *cursor (caller frees) when
 * another page follows. -1 with e when the answer has the wrong shape. */
typedef int (*llm_models_fn)(const cJSON *body, struct llm_model_list *list, char **cursor, struct err *e);

/* A new zeroed entry with a copy of id. */
struct llm_model *llm_models_add(struct llm_model_list *list, const char *id);
/* Adds a model for each item of the list body[key] that has a string
 * id_key (else alt_id_key, when not NULL; items with neither are passed
 * over) and lets fill complete it. -1 with e when body has no such list. */
int llm_models_from(const cJSON *body, const char *key, const char *id_key, const char *alt_id_key,
		    struct llm_model_list *list, void (*fill)(struct llm_model *x, const cJSON *item), struct err *e);
/* Frees the entries (as llm_model_list_free). */
void llm_models_clear(struct llm_model_list *list);

/* GET cs->url, read with parse; pages continue with &cursor_param=CURSOR
 * (at most 20 pages). done as in provider_ops.list_models. */
struct provider_call *llm_list_start(struct loop *l, const struct llm_call_setup *cs, llm_models_fn parse,
				     const char *cursor_param,
				     void (*done)(void *ud, const struct llm_model_list *list, const struct err *e),
				     void *ud, struct err *e);

#endif
