/* kb_vec_bench — exact vector top 10 as `aiwb kb search --mode vector` runs it
 * (kb_search, in process), beside the reference: a plain scan of the same
 * vectors held in one float32 array in memory (the memory-bandwidth floor).
 *
 *   kb_vec_bench DB_PATH KB_NAME DIM [QUERIES]
 *
 * When the KB has no vectors yet, every chunk gets a deterministic synthetic
 * unit vector (256 clusters plus noise) first. Each query is a stored vector
 * plus noise. Both rankings must agree: the
 * same ids, scores within 1e-5. The first search after the vectors change
 * also writes the KB's vector index (kb/vecindex.h): first_us. Prints
 * "vectors=N dim=D queries=Q first_us=.. p50_us=.. p95_us=.. ref_p50_us=.. ref_p95_us=.. agree=yes". */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "kb/search.h"
#include "kb/store.h"
#include "store/db.h"

#define TOP 10
#define CLUSTERS 256

/* Two streams: the stored vectors' and the queries', so the queries are the
 * same whether or not this run stored the vectors. */
static uint64_t rng_state[2] = { 0x9e3779b97f4a7c15ull, 0x2545f4914f6cdd1dull };
static int rng = 0;

static double uniform(void)
{
	uint64_t *x = &rng_state[rng];
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return ((double)(*x >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(void)
{
	return sqrt(-2 * log(uniform())) * cos(6.283185307179586 * uniform());
}

static void unit(float *v, size_t dim)
{
	double n = 0;
	for (size_t i = 0; i < dim; i++)
		n += (double)v[i] * v[i];
	n = sqrt(n);
	for (size_t i = 0; i < dim; i++)
		v[i] = (float)(v[i] / n);
}

static void synth(float *v, const float *centroids, size_t dim)
{
	const float *c = centroids + (size_t)(uniform() * CLUSTERS) * dim;
	for (size_t i = 0; i < dim; i++)
		v[i] = c[i] + (float)(0.35 * gauss());
	unit(v, dim);
}

static int fill(struct db *db, const struct kb *kb, size_t dim)
{
	sqlite3 *h = db_handle(db);
	float *centroids = xmalloc(CLUSTERS * dim * sizeof *centroids), *v = xmalloc(dim * sizeof *v);
	for (size_t i = 0; i < CLUSTERS * dim; i++)
		centroids[i] = (float)gauss();
	sqlite3_stmt *ids, *ins;
	sqlite3_prepare_v2(h, "SELECT c.id FROM kb_chunks c JOIN kb_docs d ON d.id = c.doc_id WHERE d.kb_id = ?1 ORDER BY c.id",
			   -1, &ids, NULL);
	sqlite3_prepare_v2(h, "INSERT OR REPLACE INTO kb_vectors (chunk_id, dim, vec) VALUES (?1, ?2, ?3)", -1, &ins, NULL);
	sqlite3_bind_int64(ids, 1, kb->id);
	sqlite3_exec(h, "BEGIN", NULL, NULL, NULL);
	size_t n = 0;
	while (sqlite3_step(ids) == SQLITE_ROW) {
		synth(v, centroids, dim);
		sqlite3_bind_int64(ins, 1, sqlite3_column_int64(ids, 0));
		sqlite3_bind_int64(ins, 2, (sqlite3_int64)dim);
		sqlite3_bind_blob(ins, 3, v, (int)(dim * sizeof *v), SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			fprintf(stderr, "kb_vec_bench: %s\n", sqlite3_errmsg(h));
			return -1;
		}
		sqlite3_reset(ins);
		n++;
	}
	sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
	sqlite3_finalize(ids);
	sqlite3_finalize(ins);
	free(centroids);
	free(v);
	fprintf(stderr, "kb_vec_bench: stored %zu synthetic vectors of %zu dimensions\n", n, dim);
	return 0;
}

struct ref {
	int64_t *ids;
	float *vecs;
	size_t n, dim;
};

static void load(struct db *db, const struct kb *kb, struct ref *r)
{
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db_handle(db), "SELECT v.chunk_id, v.vec FROM kb_vectors v JOIN kb_chunks c ON c.id = v.chunk_id"
					  " JOIN kb_docs d ON d.id = c.doc_id WHERE d.kb_id = ?1 AND v.dim = ?2", -1, &st, NULL);
	sqlite3_bind_int64(st, 1, kb->id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)r->dim);
	size_t cap = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (r->n == cap) {
			cap = cap ? 2 * cap : 4096;
			r->ids = xreallocarray(r->ids, cap, sizeof *r->ids);
			r->vecs = xreallocarray(r->vecs, cap * r->dim, sizeof *r->vecs);
		}
		r->ids[r->n] = sqlite3_column_int64(st, 0);
		memcpy(r->vecs + r->n * r->dim, sqlite3_column_blob(st, 1), r->dim * sizeof(float));
		r->n++;
	}
	sqlite3_finalize(st);
}

/* The reference: every vector scored, the best TOP kept by insertion. */
static void ref_top(const struct ref *r, const float *q, int64_t *ids, double *scores)
{
	int have = 0;
	for (size_t i = 0; i < r->n; i++) {
		const float *v = r->vecs + i * r->dim;
		double s = 0;
		for (size_t j = 0; j < r->dim; j++)
			s += (double)q[j] * (double)v[j];
		if (have == TOP && s <= scores[TOP - 1])
			continue;
		int at = have < TOP ? have++ : TOP - 1;
		while (at > 0 && scores[at - 1] < s) {
			scores[at] = scores[at - 1];
			ids[at] = ids[at - 1];
			at--;
		}
		scores[at] = s;
		ids[at] = r->ids[i];
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: kb_vec_bench DB_PATH KB_NAME DIM [QUERIES]\n");
		return 2;
	}
	size_t dim = (size_t)atoi(argv[3]);
	int nq = argc > 4 ? atoi(argv[4]) : 20;
	struct err e = ERR_INIT;
	struct db *db = db_open(argv[1], 5000, NULL, &e);
	struct kb kb;
	if (!db || kb_store_get(db, argv[2], &kb, &e) != 1) {
		fprintf(stderr, "kb_vec_bench: %s\n", e.set ? e.msg : "no such KB");
		return 1;
	}
	struct ref r = { .dim = dim };
	load(db, &kb, &r);
	if (r.n == 0) {
		if (fill(db, &kb, dim) < 0)
			return 1;
		load(db, &kb, &r);
	}
	float *q = xmalloc(dim * sizeof *q);
	int64_t *lat = xcalloc((size_t)nq, sizeof *lat), *rlat = xcalloc((size_t)nq, sizeof *rlat);
	int agree = 1;
	int64_t first_us = 0;
	rng = 1;
	for (int i = -1; i < nq; i++) {
		/* a query near a stored vector, as a question near its answer (cosine about 0.7) */
		const float *near = r.vecs + (size_t)(uniform() * (double)r.n) * dim;
		for (size_t j = 0; j < dim; j++)
			q[j] = near[j] + (float)(0.05 * gauss());
		unit(q, dim);
		int64_t rid[TOP];
		double rsc[TOP];
		int64_t t0 = clock_us();
		ref_top(&r, q, rid, rsc);
		int64_t t1 = clock_us();
		struct kb_search_opts o = { .query = "", .k = TOP, .mode = KB_MODE_VECTOR, .qvec = q, .qdim = dim };
		struct kb_results res;
		if (kb_search(db, &kb, &o, &res, &e) < 0) {
			fprintf(stderr, "kb_vec_bench: %s\n", e.msg);
			return 1;
		}
		int64_t t2 = clock_us();
		for (size_t h = 0; h < res.n && h < TOP; h++)
			if (res.v[h].chunk_id != rid[h] || fabs(res.v[h].vector - rsc[h]) > 1e-5) {
				if (agree)
					fprintf(stderr, "kb_vec_bench: query %d rank %zu: chunk %lld score %.9f, the scan %lld %.9f\n",
						i, h + 1, (long long)res.v[h].chunk_id, res.v[h].vector, (long long)rid[h], rsc[h]);
				agree = 0;
			}
		if (res.n != (r.n < TOP ? r.n : TOP))
			agree = 0;
		kb_results_free(&res);
		if (i >= 0) {
			rlat[i] = t1 - t0;
			lat[i] = t2 - t1;
		} else {
			first_us = t2 - t1;
		}
	}
	qsort(lat, (size_t)nq, sizeof *lat, cmp_i64);
	qsort(rlat, (size_t)nq, sizeof *rlat, cmp_i64);
	printf("vectors=%zu dim=%zu queries=%d first_us=%lld p50_us=%lld p95_us=%lld ref_p50_us=%lld ref_p95_us=%lld"
	       " agree=%s\n", r.n, dim, nq, (long long)first_us, (long long)lat[nq / 2], (long long)lat[nq * 95 / 100],
	       (long long)rlat[nq / 2], (long long)rlat[nq * 95 / 100], agree ? "yes" : "no");
	free(q);
	free(lat);
	free(rlat);
	free(r.ids);
	free(r.vecs);
	kb_free(&kb);
	db_close(db);
	return agree ? 0 : 1;
}
