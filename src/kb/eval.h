/* kb/eval — retrieval test sets: cases of a query with the documents that
 * must (and must not) come back within k, and the measures that score a
 * ranking against them.
 *
 * A set is YAML (docs/kb.md): a list of cases, or a mapping with `cases:`
 * and optional defaults `k`, `mode`, `min_hit_rate`, `min_mrr`, `min_ndcg`.
 * A case: `query` (required), `name`, `filter`, `mode`, `k`, `expect` (list
 * of documents that must all be within k; a document may carry a grade:
 * {doc: NAME, grade: 2}), `expect_not` (documents that must not be within
 * k). A BEIR set is a qrels TSV (query-id, corpus-id, score; a header line
 * is skipped) with a queries JSONL ({"_id", "text"}); only judged queries
 * become cases, grades from the score, and its cases have no must-list:
 * they pass unless the set's minimums fail.
 *
 * A document in a case matches a stored document whose name equals it, or
 * ends with "#" or "/" and it (a JSONL record id, a file name).
 *
 * Measures per case over the document ranking (chunks of the same document
 * count once, at the best rank), cut at k: hit (a relevant document within
 * k), reciprocal rank, nDCG (gain = grade, log2 discount, ideal from every
 * judged document: trec_eval's ndcg_cut as BEIR reports it), recall and
 * average precision (over every relevant document, as trec_eval's map_cut). */
#ifndef AIWB_KB_EVAL_H
#define AIWB_KB_EVAL_H

#include <stddef.h>

#include "base/err.h"

struct kb_eval_doc {
	char *doc;
	int grade;
};

struct kb_eval_case {
	char *name, *query, *filter, *mode; /* filter, mode may be NULL */
	int k;                              /* 0: the set's */
	struct kb_eval_doc *expect;
	size_t nexpect;
	char **expect_not;
	size_t nexpect_not;
	int must_all;                       /* YAML cases: every expect within k */
};

struct kb_eval_set {
	struct kb_eval_case *cases;
	size_t n;
	int k;                              /* default 10 */
	char *mode;                         /* default NULL (bm25) */
	double min_hit_rate, min_mrr, min_ndcg; /* -1: none */
};

int kb_eval_load_yaml(const char *path, struct kb_eval_set *out, struct err *e);
int kb_eval_load_beir(const char *qrels, const char *queries, struct kb_eval_set *out, struct err *e);
void kb_eval_set_free(struct kb_eval_set *s);

struct kb_eval_scores {
	int hit;
	double rr, ndcg, recall, ap;
	int first_rank;                     /* rank of the first relevant document, 0 when none within k */
};

/* Does stored document name match the case's document ref? */
int kb_eval_doc_matches(const char *name, const char *ref);
/* ranked: document names best first (already one per document), n of them; scores cut at k. */
void kb_eval_score(const struct kb_eval_case *c, const char *const *ranked, size_t n, int k,
		   struct kb_eval_scores *out);

#endif
