/* kb/search — ranked retrieval over one knowledge base.
 *
 * BM25 is FTS5's bm25() over the KB's index with the KB's column weights
 * (title, heading, text); the score reported is -bm25(), higher is better.
 * The query is built by kb/query.h (never FTS5 syntax); the filter is
 * compiled by kb/filter.h and applied in the same SQL statement, so the top k
 * are the best k among the chunks whose documents match. A query with no
 * searchable word returns no hits (q.words is empty), not an error.
 *
 * Vector search is exact: the query's unit vector (kb/embed.h) against every
 * stored chunk vector of the KB whose document passes the filter, cosine =
 * dot product of unit vectors summed in double precision, the k best kept
 * (ties by chunk id): the same list a brute-force cosine ranking gives.
 * Hybrid is reciprocal rank fusion of the BM25 and vector lists (each cut at
 * KB_FUSE_DEPTH or 4k, whichever is larger): score = w_bm25 / (60 + rank) +
 * w_vector / (60 + rank), a missing rank adding nothing. MMR reranks the
 * mode's candidates (as deep) by lambda * cosine(query, chunk) - (1 - lambda)
 * * the highest cosine to a chunk already picked; candidates without a
 * vector keep their order after the others.
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
#define KB_RRF_K 60
#define KB_FUSE_DEPTH 100

enum kb_mode { KB_MODE_BM25, KB_MODE_VECTOR, KB_MODE_HYBRID };

struct kb_search_opts {
	const char *query;
	int k;                /* 1 .. KB_SEARCH_K_MAX */
	enum kb_mode mode;
	const char *filter;   /* NULL or an expression (kb/filter.h) */
	int with_text;        /* fill text (costs a read per hit) */
	const float *qvec;    /* unit query vector: needed by vector, hybrid and mmr */
	size_t qdim;
	double w_bm25, w_vector; /* hybrid weights; 0 and 0 mean 1 and 1 */
	int mmr;              /* rerank by MMR */
	double mmr_lambda;    /* 0..1; relevance against diversity */
	const char *rerank;   /* NULL or a model rerank spec (kb/rerank.h), run by the caller */
};

struct kb_hit {
	int64_t chunk_id, doc_id;
	int rank;             /* 1-based */
	double score;         /* the mode's score, higher is better */
	double bm25;          /* -bm25() */
	int bm25_rank;        /* 0 when not in the BM25 list */
	double vector;        /* cosine */
	int vector_rank;      /* 0 when not in the vector list */
	double fused;         /* RRF score (hybrid) */
	int fused_rank;
	double mmr;           /* MMR score when reranked */
	int mmr_rank;
	double retrieval;     /* reranked by a model (kb/rerank.h): the retrieval score */
	int retrieval_rank;   /* and rank; 0 when not reranked by a model */
	double relevance;     /* the model's relevance score */
	int rerank_rank;
	int seq;              /* chunk number in its document, from 0 */
	size_t start, end;    /* byte offsets in the document text */
	char *doc_name, *doc_path, *title, *heading, *meta; /* meta: JSON object text */
	char *text;           /* chunk text with marks; NULL without with_text */
	int remote;           /* from a Bedrock knowledge base (kb/bedrockkb.h): no ids, offsets, heading or marks */
	char *document_id;    /* remote: the service's documentId, or NULL */
};

struct kb_results {
	struct kb_hit *v;
	size_t n;
	char *fts;            /* the MATCH expression used; NULL when no word */
	char **words;         /* words searched for */
	size_t nwords;
	int stop_only;
	char *filter_sql;     /* NULL without a filter */
	int64_t unembedded;   /* chunks of the KB without a vector (vector modes) */
	struct kb_rerank *rerank; /* the model rerank that ran (kb/rerank.h), or NULL; freed with r */
};

int kb_mode_parse(const char *s); /* -1 for an unknown mode */
const char *kb_mode_name(enum kb_mode m);

/* 0, or -1 with e: an invalid filter ("invalid filter: column N: ..."),
 * a vector mode or MMR without qvec, a query vector of another dimension
 * than the stored ones, a database error. */
int kb_search(struct db *db, const struct kb *kb, const struct kb_search_opts *o, struct kb_results *out,
	      struct err *e);
void kb_results_free(struct kb_results *r);

#endif
