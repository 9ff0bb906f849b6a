/* retrieve — the kb: settings of an experiment (exp/spec.h) at work: each
 * case's query (the setting's Mustache query rendered with its row) searched
 * in the setting's knowledge base, and the hits made the numbered sources
 * of its prompt's {{context}} (kb/context.h) and the "kb" record of its case
 * and history run.
 *
 * exp_retrieve_prepare checks every setting against the database (the KB
 * exists; vector and hybrid need its embedding model) without the network;
 * exp_retrieve_embed then embeds the query of every row for the settings
 * that need a vector, running the loop until done (exp_retrieve_open does
 * both): call them before the runner starts. exp_retrieve_case is a synchronous
 * search, called as each case starts. */
#ifndef AIWB_EXP_RETRIEVE_H
#define AIWB_EXP_RETRIEVE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/err.h"
#include "exp/spec.h"

struct config;
struct db;
struct loop;
struct exp_retrieve;

/* NULL with e ("kb handbook: there is no knowledge base named handbook; ...").
 * progress (may be NULL) is told each query embedded. */
struct exp_retrieve *exp_retrieve_open(const struct exp_spec *spec, struct db *db, const struct config *cfg,
				       struct loop *loop, void (*progress)(void *ud, size_t done, size_t total),
				       void *ud, struct err *e);
/* The checks alone; NULL with e. */
struct exp_retrieve *exp_retrieve_prepare(const struct exp_spec *spec, struct db *db, struct err *e);
/* The embedding model (PROVIDER/MODEL) setting kb sends its queries to, or
 * NULL when it searches by BM25 alone. */
const char *exp_retrieve_embed_model(const struct exp_retrieve *r, size_t kb);
/* Embeds the queries of a prepared r; -1 with e naming the setting and row. */
int exp_retrieve_embed(struct exp_retrieve *r, const struct config *cfg, struct loop *loop,
		       void (*progress)(void *ud, size_t done, size_t total), void *ud, struct err *e);
void exp_retrieve_free(struct exp_retrieve *r);
/* Setting k's query for a row (caller frees); NULL with e when it cannot be
 * rendered or renders empty. */
char *exp_retrieve_query(const struct exp_kb *k, size_t row, const cJSON *vars, struct err *e);

/* Searches setting kb for row: *context the sources text (caller frees),
 * *record {"label", "name", "query", "mode", "k", "filter", "chunks": [ids]}
 * (caller deletes). -1 with e. */
int exp_retrieve_case(const struct exp_retrieve *r, size_t kb, size_t row, char **context, cJSON **record,
		      struct err *e);

/* The settings as the report's "kb" list: [{"label", "name", "k", "mode",
 * "filter", "query"}], with "prompt" (its name) on a prompt's own setting. */
cJSON *exp_retrieve_settings_json(const struct exp_spec *spec);

#endif
