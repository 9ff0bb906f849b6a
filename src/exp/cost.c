#include "exp/cost.h"

#include <stdlib.h>
#include <string.h>

#include "base/tokens.h"
#include "base/xmalloc.h"
#include "exp/retrieve.h"
#include "exp/runner.h"
#include "kb/context.h"
#include "llm/provider.h"

/* A model's catalog entry when it has a price, else NULL; *type its provider's API type. */
static const struct catalog_entry *priced(const struct catalog *cat, const struct config *cfg, const char *spec,
					  const char **type)
{
	char *prov = NULL, *model = NULL;
	*type = NULL;
	if (provider_split_model(spec, &prov, &model, NULL) != 0)
		return NULL;
	*type = provider_type_of(cfg, prov);
	const struct catalog_entry *ce = cat ? catalog_find(cat, prov, *type, model) : NULL;
	free(prov);
	free(model);
	return ce && ce->has_price ? ce : NULL;
}

/* The max_tokens the request carries, or -1 when it carries none. */
static int64_t output_bound(const struct llm_params *pm, const char *type)
{
	if (pm->has_max_tokens)
		return pm->max_tokens;
	if (type && !strcmp(type, "anthropic"))
		return LLM_ANTHROPIC_DEFAULT_MAX_TOKENS;
	return -1;
}

/* Counts a model once among c->models (and c->unpriced when it has no price). */
static void count_model(struct exp_cost *c, const char **seen, size_t *nseen, const char *spec, int has_price)
{
	for (size_t i = 0; i < *nseen; i++)
		if (!strcmp(seen[i], spec))
			return;
	seen[(*nseen)++] = spec;
	c->models++;
	if (!has_price)
		c->unpriced++;
}

static void embeddings(const struct exp_spec *spec, const char *const *kb_embed, const struct config *cfg,
		       const struct catalog *cat, struct exp_cost *c, const char **seen, size_t *nseen)
{
	for (size_t k = 0; k < spec->nkbs; k++) {
		if (!kb_embed || !kb_embed[k])
			continue;
		const char *type;
		const struct catalog_entry *ce = priced(cat, cfg, kb_embed[k], &type);
		count_model(c, seen, nseen, kb_embed[k], ce != NULL);
		for (size_t row = 0; row < spec->nrows; row++) {
			char *q = exp_retrieve_query(&spec->kbs[k], row, spec->row[row], NULL);
			if (!q)
				continue; /* the run stops there before it sends anything more */
			int64_t tokens = tokens_estimate(strlen(q));
			free(q);
			c->queries++;
			c->query_tokens += tokens;
			if (ce)
				c->usd_min += catalog_cost(ce, tokens, 0);
			else
				c->unpriced_cases++;
		}
	}
}

void exp_cost_estimate(const struct exp_spec *spec, const char *const *kb_embed, const struct config *cfg,
		       const struct catalog *cat, struct exp_cost *c)
{
	memset(c, 0, sizeof *c);
	const char **seen = xcalloc(spec->nmodels + spec->nkbs + 1, sizeof *seen);
	size_t nseen = 0;
	embeddings(spec, kb_embed, cfg, cat, c, seen, &nseen);
	char *context = NULL;
	if (spec->nkbs) {
		size_t n = tokens_bytes(KB_CONTEXT_TOKENS);
		context = xmalloc(n + 1);
		memset(context, 'x', n);
		context[n] = '\0';
	}
	const char **types = xcalloc(spec->nmodels + 1, sizeof *types);
	const struct catalog_entry **prices = xcalloc(spec->nmodels + 1, sizeof *prices);
	for (size_t m = 0; m < spec->nmodels; m++) {
		prices[m] = priced(cat, cfg, spec->models[m], &types[m]);
		count_model(c, seen, &nseen, spec->models[m], prices[m] != NULL);
	}
	double out_usd = 0;
	for (size_t p = 0; p < spec->nprompts; p++) {
		struct llm_params pm;
		exp_prompt_params(spec, p, &pm);
		size_t nkbs = spec->prompts[p].nkb ? spec->prompts[p].nkb : 1;
		for (size_t row = 0; row < spec->nrows; row++) {
			size_t chars = 0;
			if (exp_case_prompt_chars(spec, p, row, spec->prompts[p].nkb ? context : NULL, &chars, NULL) != 0)
				continue;
			int64_t in = tokens_estimate(chars);
			for (size_t m = 0; m < spec->nmodels; m++) {
				int64_t out = output_bound(&pm, types[m]);
				c->cases += nkbs;
				c->tokens_in += in * (int64_t)nkbs;
				if (out >= 0)
					c->tokens_out_max += out * (int64_t)nkbs;
				else
					c->unbounded += nkbs;
				if (!prices[m]) {
					c->unpriced_cases += nkbs;
					continue;
				}
				c->usd_min += catalog_cost(prices[m], in, 0) * (double)nkbs;
				if (out > 0)
					out_usd += catalog_cost(prices[m], 0, out) * (double)nkbs;
			}
		}
	}
	c->usd_max = c->usd_min + out_usd;
	free(context);
	free(types);
	free(prices);
	free(seen);
}
