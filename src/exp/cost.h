/* cost — what an experiment (exp/spec.h) would cost at catalog prices,
 * estimated before anything is sent: per case, the prompt as the runner
 * renders it (exp_case_prompt_chars, tokens by base/tokens.h) at the
 * model's input price, plus its output bound at the output price, plus the
 * kb queries that vector and hybrid settings embed (one per row and setting)
 * at the embedding model's price.
 *
 * The output bound of a case is the max_tokens its request carries: the
 * file's parameters, the template filling gaps, else the default every
 * Anthropic request carries. A request without one (other providers) is
 * counted as unbounded and its answer adds nothing to the dollars: the
 * catalog knows no output limit, and a context window is no useful bound. A kb setting's sources count at
 * their whole budget (KB_CONTEXT_TOKENS) in every prompt that uses
 * {{context}}. A model without a price counts as unknown; a case that cannot
 * be rendered is not sent and costs nothing. No printing, no network. */
#ifndef AIWB_EXP_COST_H
#define AIWB_EXP_COST_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "exp/spec.h"
#include "llm/catalog.h"

struct exp_cost {
	size_t cases;
	int64_t tokens_in;        /* prompts of all cases */
	int64_t tokens_out_max;   /* the output bounds of the bounded cases */
	size_t unbounded;         /* cases whose output has no known bound */
	size_t queries;           /* kb queries to embed */
	int64_t query_tokens;
	size_t models, unpriced;  /* models (chat and embedding) used; how many have no price */
	size_t unpriced_cases;    /* cases (and queries) of those */
	double usd_min;           /* priced prompts and queries, no output */
	double usd_max;           /* usd_min plus the priced output bounds */
};

/* Estimates spec into c. kb_embed[i] (NULL: none) is the embedding model
 * (PROVIDER/MODEL) setting i sends its queries to, or NULL for BM25; cfg
 * names the providers' types (NULL: the built-ins only); cat may be NULL (all unknown). */
void exp_cost_estimate(const struct exp_spec *spec, const char *const *kb_embed, const struct config *cfg,
		       const struct catalog *cat, struct exp_cost *c);

#endif
