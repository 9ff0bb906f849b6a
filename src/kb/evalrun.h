/* kb/evalrun — runs a retrieval test set (kb/eval.h) against a knowledge
 * base: each case searched with its k, mode and filter (the set's defaults,
 * or the overrides), its chunks folded into a document ranking, scored, and
 * checked against its must and must-not lists; then the averages over every
 * case and the set's minimums they fall below.
 *
 * A case whose search fails (a bad filter or mode) is a failed case carrying
 * the error; the run goes on. The vector of a query for the vector and
 * hybrid modes comes from the caller (it may need the network); when it
 * returns NULL the run stops and kb_eval_run returns -1 (the callback said
 * why). A case searches max(100, 4k) chunks (at most KB_SEARCH_K_MAX, or
 * the opts' k_max) so that k documents are found even when one document has
 * many matching chunks. A remote KB is searched through the opts' search
 * callback instead, which needs no vector. */
#ifndef AIWB_KB_EVALRUN_H
#define AIWB_KB_EVALRUN_H

#include <stddef.h>

#include "kb/eval.h"
#include "kb/search.h"
#include "kb/store.h"
#include "store/db.h"

struct kb_eval_result {
	const struct kb_eval_case *c; /* borrowed from the set */
	int k;
	char *error;                  /* the search failed: why (then only passed is set) */
	int passed;
	struct kb_eval_scores sc;
	char **missing, **unwanted, **top; /* expected documents not within k; unwanted ones within k; the top k */
	size_t nmissing, nunwanted, ntop;
};

struct kb_eval_below {
	const char *measure;          /* "hit_rate", "mrr" or "ndcg" */
	double min, got;
};

struct kb_eval_report {
	struct kb_eval_result *cases;
	size_t n, failed;
	int k;                        /* the set's k, for the averages' labels */
	double hit_rate, mrr, ndcg, recall, map;
	struct kb_eval_below below[3];
	size_t nbelow;
};

/* Returns the query's unit vector (caller frees) and its dimension; NULL stops the run. */
typedef float *(*kb_eval_vector_fn)(void *ud, const char *query, size_t *dim);

/* Searches one case in place of kb_search (a remote KB, whose service embeds
 * the query itself): 0 with r filled; -1 with e, a failed case; -2 stops the
 * run (the callback said why). */
typedef int (*kb_eval_search_fn)(void *ud, const struct kb_search_opts *so, struct kb_results *r, struct err *e);

struct kb_eval_opts {
	int k;                        /* 0: each case's, else the set's */
	const char *mode;             /* NULL: each case's, else the set's; must be valid */
	kb_eval_vector_fn vector;
	void *ud;
	kb_eval_search_fn search;     /* NULL: kb_search over db, vectors from vector */
	int k_max;                    /* chunks a case may ask for; 0: KB_SEARCH_K_MAX */
	enum kb_mode fallback_mode;   /* when neither case nor set names a mode (0: bm25) */
};

/* 0 with the report filled (free with kb_eval_report_free, also after -1). */
int kb_eval_run(struct db *db, const struct kb *kb, const struct kb_eval_set *set, const struct kb_eval_opts *o,
		struct kb_eval_report *out);
void kb_eval_report_free(struct kb_eval_report *r);

#endif
