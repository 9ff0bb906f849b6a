/* catalog — what models cost and how much they hold: the catalog file shipped
 * with aiwb (SHARE/catalog/models.json: provider, model, context window, USD
 * per 1M input/output tokens, and the date and source of each price),
 * overridden by the user's config "prices". Plain data; loading reads one
 * small file. Ollama models are local and cost 0. */
#ifndef AIWB_CATALOG_H
#define AIWB_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "config.h"

struct catalog_entry {
	char *provider;       /* provider name or type: "openai", "bedrock", "vllm" */
	char *model;
	char *name;           /* display name, may be NULL */
	char *kind;           /* "chat" or "embedding" */
	int64_t context;      /* tokens, 0 when unknown */
	int has_price;
	double input_per_mtok, output_per_mtok;
	char *price_recorded; /* "2026-11-27", or "config" for a user price */
	char *price_source;
};

struct catalog {
	struct catalog_entry *entries;
	size_t n;
};

/* Reads path (NULL: path_share_dir()/catalog/models.json), then applies
 * cfg->prices. A missing catalog file is not an error (an empty catalog plus
 * the user's prices); a broken one is. */
int catalog_load(struct catalog *c, const char *path, const struct config *cfg, struct err *e);
void catalog_free(struct catalog *c);

/* The entry for a model of a provider. `name` is the provider's name (as in
 * PROVIDER/MODEL) and `type` its API type; a user price for NAME/MODEL wins,
 * then the catalog under the name, then under the type. Bedrock inference
 * profile ids ("us.anthropic...") match their base model. A model of an
 * Ollama server not in the catalog is local: price 0, context unknown. NULL
 * when unknown. */
const struct catalog_entry *catalog_find(const struct catalog *c, const char *name, const char *type,
					 const char *model);
/* USD for the tokens; -1 when the entry has no price. */
double catalog_cost(const struct catalog_entry *e, int64_t input_tokens, int64_t output_tokens);

#endif
