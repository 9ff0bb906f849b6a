/* kb/vecindex: its top k equals a brute-force ranking of the stored vectors
 * (same ids, same scores, ties by id) with and without a filter's ids, on
 * clustered data with duplicates; the file follows every change to the
 * vectors; it is refused (-2) where it cannot serve. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "base/path.h"
#include "kb/search.h"
#include "kb/store.h"
#include "kb/vecindex.h"
#include "testdb.h"

#define N 3000
#define DIM 48
#define K 10

struct fixture {
	char dir[64];
	struct db *db;
	struct kb kb;
	int64_t ids[N];
	float vecs[N][DIM];
};

static uint64_t seed = 42;

static double uniform(void)
{
	seed = seed * 6364136223846793005ull + 1442695040888963407ull;
	return ((double)(seed >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(void)
{
	return sqrt(-2 * log(uniform())) * cos(6.283185307179586 * uniform());
}

static void unit(float *v)
{
	double n = 0;
	for (int i = 0; i < DIM; i++)
		n += (double)v[i] * v[i];
	for (int i = 0; i < DIM; i++)
		v[i] = (float)(v[i] / sqrt(n));
}

static void store(struct fixture *f, int i)
{
	sqlite3_stmt *st = db_prepare(f->db, "INSERT OR REPLACE INTO kb_vectors (chunk_id, dim, vec) VALUES (?1, ?2, ?3)",
				      NULL);
	assert_non_null(st);
	sqlite3_bind_int64(st, 1, f->ids[i]);
	sqlite3_bind_int(st, 2, DIM);
	sqlite3_bind_blob(st, 3, f->vecs[i], (int)sizeof f->vecs[i], SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	if (!(f->db = testdb_open(f->dir, "kbvec")))
		return -1;
	struct kb_settings s;
	kb_settings_default(&s);
	struct err e = ERR_INIT;
	if (kb_store_create(f->db, "t", &s, &e) < 0 || kb_store_get(f->db, "t", &f->kb, &e) != 1)
		return -1;
	static char text[N + 1];
	memset(text, 'x', N);
	struct kb_chunk *chunks = xcalloc(N, sizeof *chunks);
	for (int i = 0; i < N; i++)
		chunks[i] = (struct kb_chunk){ (size_t)i, (size_t)i + 1, (char *)(uintptr_t)"", 1 };
	struct kb_doc d = { (char *)(uintptr_t)"a.txt", (char *)(uintptr_t)"A", text, N, cJSON_CreateObject() };
	struct kb_doc_in in = { &d, "a.txt", "text", 0, chunks, N };
	if (kb_store_file_put(f->db, &f->kb, "/abs/a.txt", 1, 1, "00", "sig", &in, 1, &e) != N)
		return -1;
	cJSON_Delete(d.meta);
	free(chunks);
	sqlite3_stmt *st = db_prepare(f->db, "SELECT id FROM kb_chunks ORDER BY id", NULL);
	for (int i = 0; i < N && sqlite3_step(st) == SQLITE_ROW; i++)
		f->ids[i] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	/* 20 clusters; every 50th vector a copy of the one before it, so scores tie */
	float centre[20][DIM];
	for (int c = 0; c < 20; c++)
		for (int j = 0; j < DIM; j++)
			centre[c][j] = (float)gauss();
	db_exec(f->db, "BEGIN", NULL);
	for (int i = 0; i < N; i++) {
		if (i % 50 == 49) {
			memcpy(f->vecs[i], f->vecs[i - 1], sizeof f->vecs[i]);
		} else {
			int c = (int)(uniform() * 20);
			for (int j = 0; j < DIM; j++)
				f->vecs[i][j] = centre[c][j] + (float)(0.3 * gauss());
			unit(f->vecs[i]);
		}
		store(f, i);
	}
	db_exec(f->db, "COMMIT", NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	kb_free(&f->kb);
	int rc = testdb_close(f->dir, f->db);
	free(f);
	return rc;
}

static double dot(const float *a, const float *b)
{
	double s = 0;
	for (int i = 0; i < DIM; i++)
		s += (double)a[i] * (double)b[i];
	return s;
}

/* The brute-force top K among vectors whose index passes keep (NULL: all). */
static int brute(struct fixture *f, const float *q, const unsigned char *keep, struct kb_vec_hit *out)
{
	int n = 0;
	for (int i = 0; i < N; i++) {
		if (keep && !keep[i])
			continue;
		struct kb_vec_hit h = { f->ids[i], dot(q, f->vecs[i]) };
		int at = n < K ? n++ : K;
		if (at == K && !(h.score > out[K - 1].score || (h.score == out[K - 1].score && h.id < out[K - 1].id)))
			continue;
		if (at == K)
			at = K - 1;
		while (at > 0 && (out[at - 1].score < h.score || (out[at - 1].score == h.score && out[at - 1].id > h.id))) {
			out[at] = out[at - 1];
			at--;
		}
		out[at] = h;
	}
	return n;
}

struct keep {
	struct fixture *f;
	const unsigned char *mask;
};

static int keep_ids(void *ud, int64_t **ids, size_t *n, struct err *e)
{
	(void)e;
	const struct keep *k = ud;
	*ids = xcalloc(N, sizeof **ids);
	*n = 0;
	for (int i = 0; i < N; i++)
		if (k->mask[i])
			(*ids)[(*n)++] = k->f->ids[i];
	return 0;
}

static void query_vec(struct fixture *f, float *q, int near)
{
	for (int j = 0; j < DIM; j++)
		q[j] = (float)gauss() + (near >= 0 ? f->vecs[near][j] * 4 : 0);
	unit(q);
}

static void same(const struct kb_vec_hit *a, int na, const struct kb_vec_hit *b, int nb)
{
	assert_int_equal(na, nb);
	for (int i = 0; i < na; i++) {
		assert_int_equal(a[i].id, b[i].id);
		assert_true(fabs(a[i].score - b[i].score) < 1e-12);
	}
}

static void test_equals_brute_force(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	for (int t = 0; t < 60; t++) {
		float q[DIM];
		query_vec(f, q, t % 2 ? (int)(uniform() * N) : -1);
		if (t == 7)
			memcpy(q, f->vecs[49], sizeof q); /* ties: 48 and 49 score 1 */
		struct kb_vec_hit want[K], got[K];
		int nw = brute(f, q, NULL, want);
		struct kb_vec_query o = { q, DIM, K, 0, NULL, NULL };
		int64_t unembedded = -1;
		int ng = kb_vecindex_top(f->db, &f->kb, &o, got, &unembedded, &e);
		same(got, ng, want, nw);
		assert_int_equal(unembedded, 0);
	}
	char *path = kb_store_vecindex_path(f->db, f->kb.id);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(kb_store_remove(f->db, "t", &e), 1);
	assert_false(path_exists(path));
	free(path);
}

static void test_filtered_ids(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	unsigned char mask[N];
	for (int i = 0; i < N; i++)
		mask[i] = i % 7 == 3 || i == 48 || i == 49;
	struct keep k = { f, mask };
	for (int t = 0; t < 30; t++) {
		float q[DIM];
		query_vec(f, q, (int)(uniform() * N));
		struct kb_vec_hit want[K], got[K];
		int nw = brute(f, q, mask, want);
		struct kb_vec_query o = { q, DIM, K, 0, keep_ids, &k };
		int64_t unembedded;
		same(got, kb_vecindex_top(f->db, &f->kb, &o, got, &unembedded, &e), want, nw);
	}
	memset(mask, 0, sizeof mask);
	float q[DIM];
	query_vec(f, q, -1);
	struct kb_vec_hit got[K];
	struct kb_vec_query o = { q, DIM, K, 0, keep_ids, &k };
	int64_t unembedded;
	assert_int_equal(kb_vecindex_top(f->db, &f->kb, &o, got, &unembedded, &e), 0);
}

/* A changed, added or removed vector is seen at once: the file is rebuilt. */
static void test_follows_changes(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	float q[DIM];
	query_vec(f, q, 10);
	struct kb_vec_hit got[K], want[K];
	struct kb_vec_query o = { q, DIM, K, 0, NULL, NULL };
	int64_t unembedded;
	assert_true(kb_vecindex_top(f->db, &f->kb, &o, got, &unembedded, &e) == K);
	memcpy(f->vecs[2000], q, sizeof q); /* now the best */
	store(f, 2000);
	assert_true(kb_vecindex_top(f->db, &f->kb, &o, got, &unembedded, &e) == K);
	assert_int_equal(got[0].id, f->ids[2000]);
	same(got, K, want, brute(f, q, NULL, want));
	assert_int_equal(db_run_ids(f->db, "DELETE FROM kb_vectors WHERE chunk_id = ?1", f->ids[2000], 0, &e), 0);
	assert_true(kb_vecindex_top(f->db, &f->kb, &o, got, &unembedded, &e) == K);
	assert_int_equal(unembedded, 1);
	for (int i = 0; i < K; i++)
		assert_true(got[i].id != f->ids[2000]);
}

static void test_refused_where_it_cannot_serve(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	float q[DIM];
	query_vec(f, q, -1);
	struct kb_vec_hit got[K];
	int64_t unembedded;
	/* too few vectors: no file */
	struct kb_vec_query o = { q, DIM, K, N + 1, NULL, NULL };
	assert_int_equal(kb_vecindex_top(f->db, &f->kb, &o, got, &unembedded, &e), -2);
	char *path = kb_store_vecindex_path(f->db, f->kb.id);
	assert_false(path_exists(path));
	/* another dimension */
	o.min_vectors = 0;
	o.dim = DIM / 2;
	assert_int_equal(kb_vecindex_top(f->db, &f->kb, &o, got, &unembedded, &e), -2);
	/* mixed dimensions */
	o.dim = DIM;
	assert_int_equal(sqlite3_exec(db_handle(f->db), "UPDATE kb_vectors SET dim = 2, vec = x'0000803f00000000'"
							 " WHERE chunk_id = (SELECT min(chunk_id) FROM kb_vectors)",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(kb_vecindex_top(f->db, &f->kb, &o, got, &unembedded, &e), -2);
	assert_false(path_exists(path));
	free(path);
	/* and kb_search still answers, by the plain scan, with the reason */
	struct kb_search_opts so = { .query = "", .k = K, .mode = KB_MODE_VECTOR, .qvec = q, .qdim = DIM };
	struct kb_results r;
	assert_int_equal(kb_search(f->db, &f->kb, &so, &r, &e), -1);
	assert_non_null(strstr(err_msg(&e), "dimensions"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_equals_brute_force, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filtered_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_follows_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_where_it_cannot_serve, setup, teardown),
	};
	return cmocka_run_group_tests_name("kbvecindex", tests, NULL, NULL);
}
