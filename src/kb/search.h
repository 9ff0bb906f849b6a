/* kb/search — ranked retrieval over one knowledge base.
 *
 * BM25 is FTS5's bm25() over the KB's index with the KB's column weights
 * (title, heading, text); the score reported is -bm25(), higher is better.
 * The query is built by kb/query.h (never FTS5 syntax); the filter is
 * compiled by kb/filter.h and applied in the same SQL statement, so the top k
 * are the best k among the chunks whose documents match. A query with no
 * searchable word returns no hits (q.words is empty), not an error.
 *
 * Vector and hybrid modes need embeddings, which this build does not store:
 * asking for them is an error that says so.
 *
 * Each hit carries its chunk's text with every matched term between
 * KB_MARK_ON and KB_MARK_OFF (document text holds neither byte: kb/text.h
 * drops C0 controls). Text is not sanitized: pass it through base/sanitize.h
 * before a terminal. Results are owned by the caller. */
#ifndef AIWB_KB_SEARCH_H
#define AIWB_KB_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "kb/store.h"

#define KB_MARK_ON '\x01'
#define KB_MARK_OFF '\x02'
#define KB_SEARCH_K_MAX 1000

enum kb_mode { KB_MODE_BM25, KB_MODE_VECTOR, KB_MODE_HYBRID };

struct kb_search_opts {
	const char *query;
	int k;                /* 1 .. KB_SEARCH_K_MAX */
	enum kb_mode mode;
	const char *filter;   /* NULL or an expression (kb/filter.h) */
	int with_text;        /* fill text/heading_marked (costs a read per hit) */
};

struct kb_hit {
	int64_t chunk_id, doc_id;
	int rank;             /* 1-based */
	double score;         /* the mode's score, higher is better */
	double bm25;          /* -bm25() */
	int bm25_rank;
	int seq;              /* chunk number in its document, from 0 */
	size_t start, end;    /* byte offsets in the document text */
	char *doc_name, *doc_path, *title, *heading, *meta; /* meta: JSON object text */
	char *text;           /* chunk text with marks; NULL without with_text */
};

struct kb_results {
	struct kb_hit *v;
	size_t n;
	char *fts;            /* the MATCH expression used; NULL when no word */
	char **words;         /* words searched for */
	size_t nwords;
	int stop_only;
	char *filter_sql;     /* NULL without a filter */
};

int kb_mode_parse(const char *s); /* -1 for an unknown mode */
const char *kb_mode_name(enum kb_mode m);

/* 0, or -1 with e: an invalid filter ("invalid filter: column N: ..."),
 * an unsupported mode, a database error. */
int kb_search(struct db *db, const struct kb *kb, const struct kb_search_opts *o, struct kb_results *out,
	      struct err *e);
void kb_results_free(struct kb_results *r);

#endif
