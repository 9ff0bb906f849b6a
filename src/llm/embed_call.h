/* embed_call — one embeddings request and the reading of its answer.
 *
 * llm_embed_start() POSTs a batch with llm/call.h and hands the provider's
 * parser the answer; llm_embedding_rows() and llm_embedding_put() are what
 * the parsers share: one vector per input, all of one dimension. */
#ifndef AIWB_LLM_EMBED_CALL_H
#define AIWB_LLM_EMBED_CALL_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "base/err.h"
#include "llm/call.h"
#include "llm/provider.h"

/* Fills emb (values allocated, caller frees emb->values) from an embeddings
 * answer for n inputs; -1 with e when the shape is wrong. */
typedef int (*llm_embed_fn)(const cJSON *body, size_t n, struct llm_embedding *emb, struct err *e);

/* The list member name of an embeddings answer when it holds one entry per
 * input (n of them), else NULL with e. */
const cJSON *llm_embedding_rows(const cJSON *body, const char *name, size_t n, struct err *e);
/* Stores vector vec (a JSON array of numbers) as row `row` of n; the first
 * row sets the dimension. -1 with e on a bad or mismatched vector. */
int llm_embedding_put(struct llm_embedding *emb, size_t n, size_t row, const cJSON *vec, struct err *e);

/* POST cs->body, read with parse for n inputs; done as in provider_ops.embed. */
struct provider_call *llm_embed_start(struct loop *l, const struct llm_call_setup *cs, llm_embed_fn parse, size_t n,
				      void (*done)(void *ud, const struct llm_embedding *emb, const struct err *e),
				      void *ud, struct err *e);

#endif
