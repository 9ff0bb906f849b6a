/* retrieve — the kb: settings of an experiment (exp/spec.h) at work: each
 * case's query (the setting's Mustache query rendered with its row) searched
 * in the setting's knowledge base, and the hits made the numbered sources
 * of its prompt's {{context}} (kb/context.h) and the "kb" record of its case
 * and history run.
 *
 * exp_retrieve_open checks every setting against the database (the KB
 * exists; vector and hybrid need its embedding model) and embeds the query
 * of every row for the settings that need a vector, running the loop until
 * done: call it before the runner starts. exp_retrieve_case is a synchronous
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
void exp_retrieve_free(struct exp_retrieve *r);

/* Searches setting kb for row: *context the sources text (caller frees),
 * *record {"label", "name", "query", "mode", "k", "filter", "chunks": [ids]}
 * (caller deletes). -1 with e. */
int exp_retrieve_case(const struct exp_retrieve *r, size_t kb, size_t row, char **context, cJSON **record,
		      struct err *e);

/* The settings as the report's "kb" list: [{"label", "name", "k", "mode",
 * "filter", "query"}]. */
cJSON *exp_retrieve_settings_json(const struct exp_spec *spec);

#endif
