/* kb/vecindex — exact vector top-k for big knowledge bases without reading
 * every stored vector from SQLite.
 *
 * The vectors in kb_vectors stay the truth. Beside the database, in
 * <data home>/kb/<kb id>.vec, lives a derived copy: each vector v as int8
 * codes c with a scale s, and two bounds, |s·c| and |v − s·c|, read in
 * blocks into one small buffer (a sequential read, a quarter of the float
 * bytes, no page mapping). A query q is quantised the same way, and for every
 * vector the integer product gives an estimate with a proven error bound:
 *
 *   q·v = sq·s·(cq·c) + r,  |r| ≤ |sq·cq|·|v − s·c| + |q − sq·cq|·(|s·c| + |v − s·c|)
 *
 * The k-th best lower bound is a floor that the true k-th score reaches, so
 * only vectors whose upper bound reaches it can be in the top k; those few
 * are read from kb_vectors and scored exactly as the plain scan scores them
 * (dot product in double, ties by id). The result equals the plain scan's.
 *
 * The copy carries the database's vector generation (kb_vectors_gen, bumped by
 * triggers on every change to kb_vectors or kb_chunks) and is rebuilt on the
 * first search after a change; when it cannot be written (read-only data home)
 * or the KB is small, callers use the plain scan. */
#ifndef AIWB_KB_VECINDEX_H
#define AIWB_KB_VECINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct db;
struct kb;

/* Below this many vectors the plain scan is as fast; no file is kept. */
#define KB_VECINDEX_MIN 20000

struct kb_vec_hit {
	int64_t id;
	double score;
};

struct kb_vec_query {
	const float *q;      /* unit query vector */
	size_t dim;
	int k;               /* out has room for k */
	size_t min_vectors;  /* KB_VECINDEX_MIN, or less in tests */
	/* When not NULL: the chunk ids a filter passes, ascending (malloc'd; 0 or -1 with e set). */
	int (*allowed)(void *ud, int64_t **ids, size_t *n, struct err *e);
	void *ud;
};

/* The exact top k (best first, ties by ascending id) of the KB's vectors by
 * dot product with the query. *unembedded gets the KB's chunks without a
 * vector. Returns the number of hits, -1 with e set on a database error, or
 * -2 when the index cannot serve this search (fewer than min_vectors vectors,
 * another dimension, mixed dimensions, or no writable place for the file):
 * the caller scans instead. */
int kb_vecindex_top(struct db *db, const struct kb *kb, const struct kb_vec_query *o, struct kb_vec_hit *out,
		    int64_t *unembedded, struct err *e);

#endif
