#include "kb/vecindex.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/path.h"
#include "base/xmalloc.h"
#include "kb/store.h"
#include "store/db.h"

#define MAGIC "AIWBVEC2"
#define SLACK 1e-9
#define BLOCK_BYTES (1 << 20)

/* The file: this head, then one record per vector in ascending id order:
 * the id (int64), the scale, |s·c| and |v − s·c| (float each, the bounds
 * rounded up), the dim int8 codes; native byte order: it is a cache of this
 * machine's database, never exchanged. It is read in blocks into one small
 * buffer: a search costs a sequential read and no page mapping. */
struct head {
	char magic[8];
	uint32_t dim, pad;
	uint64_t n, chunks;
	int64_t gen, kb_id;
};

#define RECORD(dim) (sizeof(int64_t) + 3 * sizeof(float) + (dim))

static int generation(struct db *db, int64_t *gen)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT gen FROM kb_vectors_gen", NULL);
	if (!st)
		return -1;
	int rc = sqlite3_step(st);
	*gen = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static float up(double x)
{
	float f = (float)x;
	return (double)f < x ? nextafterf(f, INFINITY) : f;
}

/* Codes, scale and the two bounds of one vector. */
static void quantise(const float *v, size_t dim, int8_t *c, float *scale, double *norm, double *err)
{
	double m = 0;
	for (size_t i = 0; i < dim; i++)
		if (fabs(v[i]) > m)
			m = fabs(v[i]);
	double s = m / 127;
	for (size_t i = 0; i < dim; i++) {
		long r = s > 0 ? lround(v[i] / s) : 0;
		c[i] = (int8_t)(r > 127 ? 127 : r < -127 ? -127 : r);
	}
	*scale = (float)s;
	double nn = 0, ee = 0; /* with the scale as stored */
	for (size_t i = 0; i < dim; i++) {
		double a = (double)*scale * c[i], d = v[i] - a;
		nn += a * a;
		ee += d * d;
	}
	*norm = sqrt(nn);
	*err = sqrt(ee);
}

/* Writes the index of the KB's vectors of this dimension; 0 written, -2 when
 * it cannot be (mixed dimensions, too few vectors, nowhere to write), -1 on a
 * database error. Runs inside the caller's read transaction, so gen matches. */
static int build(struct db *db, const struct kb *kb, size_t dim, size_t min_vectors, int64_t gen, const char *path,
		 struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT count(*) FROM kb_chunks c JOIN kb_docs d ON d.id = c.doc_id"
					  " WHERE d.kb_id = ?1", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, kb->id);
	int64_t chunks = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if ((size_t)chunks < min_vectors)
		return -2;
	char *dir = xstrdup(path);
	*strrchr(dir, '/') = 0;
	int made = path_mkdirs(dir, 0700, NULL);
	free(dir);
	if (made < 0)
		return -2;
	st = db_prepare(db, "SELECT v.chunk_id, v.dim, v.vec FROM kb_vectors v WHERE v.chunk_id IN"
			    " (SELECT c.id FROM kb_chunks c JOIN kb_docs d ON d.id = c.doc_id WHERE d.kb_id = ?1)"
			    " ORDER BY v.chunk_id", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, kb->id);
	char *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	struct head h = { .dim = (uint32_t)dim, .chunks = (uint64_t)chunks, .gen = gen, .kb_id = kb->id };
	size_t rec = RECORD(dim), fill = 0, cap = BLOCK_BYTES / rec * rec;
	unsigned char *block = xmalloc(cap);
	float *v = xmalloc(dim * sizeof *v);
	int rc = SQLITE_DONE, ok = fd >= 0 && path_write_all(fd, &h, sizeof h) == 0;
	while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((size_t)sqlite3_column_int64(st, 1) != dim || (size_t)sqlite3_column_bytes(st, 2) != dim * sizeof *v) {
			ok = 0;
			break;
		}
		memcpy(v, sqlite3_column_blob(st, 2), dim * sizeof *v);
		unsigned char *r = block + fill;
		int64_t id = sqlite3_column_int64(st, 0);
		float f[3];
		double nn, ee;
		quantise(v, dim, (int8_t *)(r + sizeof id + sizeof f), &f[0], &nn, &ee);
		f[1] = up(nn);
		f[2] = up(ee);
		memcpy(r, &id, sizeof id);
		memcpy(r + sizeof id, f, sizeof f);
		h.n++;
		if ((fill += rec) == cap) {
			ok = path_write_all(fd, block, fill) == 0;
			fill = 0;
		}
	}
	int dberr = ok && rc != SQLITE_DONE;
	sqlite3_finalize(st);
	memcpy(h.magic, MAGIC, 8);
	ok = ok && !dberr && h.n >= min_vectors && h.n > 0 && path_write_all(fd, block, fill) == 0 &&
	     pwrite(fd, &h, sizeof h, 0) == (ssize_t)sizeof h && fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = 0;
	if (ok && rename(tmp, path) != 0)
		ok = 0;
	if (!ok && fd >= 0)
		unlink(tmp);
	free(tmp);
	free(block);
	free(v);
	return dberr ? db_fail(db, e) : ok ? 0 : -2;
}

/* Opens the index when it is current for this KB, generation and dimension. */
static int open_index(const char *path, const struct kb *kb, size_t dim, int64_t gen, struct head *h)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat sb;
	if (fstat(fd, &sb) != 0 || pread(fd, h, sizeof *h, 0) != (ssize_t)sizeof *h || memcmp(h->magic, MAGIC, 8) != 0 ||
	    h->dim != dim || h->gen != gen || h->kb_id != kb->id ||
	    (uint64_t)sb.st_size != sizeof *h + h->n * RECORD(dim)) {
		close(fd);
		return -1;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return fd;
}

/* Blocks of 16 with a fixed trip count, which compilers turn into SIMD
 * multiply-adds at -O2; then the rest. */
static int32_t dot_i8(const int8_t *a, const int8_t *b, size_t n)
{
	int32_t s = 0;
	size_t i = 0;
	for (; i + 16 <= n; i += 16) {
		int32_t t = 0;
		for (int j = 0; j < 16; j++)
			t += (int32_t)a[i + j] * b[i + j];
		s += t;
	}
	for (; i < n; i++)
		s += (int32_t)a[i] * b[i];
	return s;
}

static double dot(const float *a, const float *b, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)a[i] * (double)b[i];
	return s;
}

/* A min-heap of the k best lower bounds: its root is the floor. */
static void heap_push(double *hp, int *hn, int k, double x)
{
	int i;
	if (*hn < k) {
		i = (*hn)++;
		while (i > 0 && hp[(i - 1) / 2] > x) {
			hp[i] = hp[(i - 1) / 2];
			i = (i - 1) / 2;
		}
		hp[i] = x;
		return;
	}
	if (x <= hp[0])
		return;
	i = 0;
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		double mv = x;
		if (l < k && hp[l] < mv)
			m = l, mv = hp[l];
		if (r < k && hp[r] < mv)
			m = r;
		if (m == i)
			break;
		hp[i] = hp[m];
		i = m;
	}
	hp[i] = x;
}

static int by_score(const void *a, const void *b)
{
	const struct kb_vec_hit *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

struct query {
	int8_t *c;
	float s;
	double norm, err;
};

/* Vectors whose upper bound reached the floor as it stood when they were read. */
struct cands {
	struct kb_vec_hit *v; /* score holds the upper bound until rescored */
	size_t n, cap;
};

static void keep_above(struct cands *c, double floor)
{
	size_t w = 0;
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].score >= floor)
			c->v[w++] = c->v[i];
	c->n = w;
}

/* One pass over the records: the k best lower bounds give the floor, and
 * every vector whose upper bound reaches it is a candidate. */
static int scan(int fd, const struct head *h, const struct query *q, const int64_t *allowed, size_t nallowed, int k,
		struct cands *out)
{
	size_t dim = h->dim, rec = RECORD(dim), cap = BLOCK_BYTES / rec * rec, j = 0;
	unsigned char *block = xmalloc(cap);
	double *hp = xmalloc((size_t)k * sizeof *hp), floor = -INFINITY;
	int hn = 0, rc = 0;
	size_t compact = 4096 > 4 * (size_t)k ? 4096 : 4 * (size_t)k;
	off_t off = sizeof *h;
	for (uint64_t done = 0; done < h->n && rc == 0;) {
		size_t want = (h->n - done) * rec < cap ? (size_t)(h->n - done) * rec : cap;
		ssize_t got = pread(fd, block, want, off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0 || (size_t)got % rec) {
			rc = -1;
			break;
		}
		off += got;
		done += (size_t)got / rec;
		for (const unsigned char *r = block; r < block + got; r += rec) {
			int64_t id;
			memcpy(&id, r, sizeof id);
			if (allowed) {
				while (j < nallowed && allowed[j] < id)
					j++;
				if (j == nallowed || allowed[j] != id)
					continue;
			}
			float f[3];
			memcpy(f, r + sizeof id, sizeof f);
			double a = (double)q->s * f[0] * dot_i8(q->c, (const int8_t *)(r + sizeof id + sizeof f), dim);
			double b = q->norm * f[2] + q->err * ((double)f[1] + f[2]) + SLACK;
			heap_push(hp, &hn, k, a - b);
			if (hn == k)
				floor = hp[0];
			if (a + b < floor)
				continue;
			XGROW(out->v, out->cap, out->n + 1);
			out->v[out->n++] = (struct kb_vec_hit){ id, a + b };
			if (out->n >= compact) {
				keep_above(out, floor);
				if (out->n >= compact / 2)
					compact *= 2;
			}
		}
	}
	keep_above(out, floor);
	free(hp);
	free(block);
	return rc;
}

/* The candidates scored exactly from kb_vectors, the best k kept in out. */
static int rescore(struct db *db, const float *q, size_t dim, struct cands *c, int k, struct kb_vec_hit *out,
		   struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT vec FROM kb_vectors WHERE chunk_id = ?1", e);
	if (!st)
		return -1;
	float *v = xmalloc(dim * sizeof *v);
	size_t w = 0;
	int rc = 0;
	for (size_t i = 0; i < c->n && rc == 0; i++) {
		sqlite3_bind_int64(st, 1, c->v[i].id);
		int s = sqlite3_step(st);
		if (s == SQLITE_ROW && (size_t)sqlite3_column_bytes(st, 0) == dim * sizeof *v) {
			memcpy(v, sqlite3_column_blob(st, 0), dim * sizeof *v);
			c->v[w].id = c->v[i].id;
			c->v[w++].score = dot(q, v, dim);
		} else if (s != SQLITE_ROW && s != SQLITE_DONE) {
			rc = db_fail(db, e);
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	free(v);
	if (rc < 0)
		return -1;
	if (w)
		qsort(c->v, w, sizeof *c->v, by_score);
	int got = w < (size_t)k ? (int)w : k;
	if (got)
		memcpy(out, c->v, (size_t)got * sizeof *out);
	return got;
}

static int search(struct db *db, int fd, const struct head *h, const struct kb_vec_query *o, struct kb_vec_hit *out,
		  struct err *e)
{
	int64_t *ids = NULL;
	size_t nids = 0;
	if (o->allowed && o->allowed(o->ud, &ids, &nids, e) < 0)
		return -1;
	struct query q = { xmalloc(o->dim), 0, 0, 0 };
	quantise(o->q, o->dim, q.c, &q.s, &q.norm, &q.err);
	struct cands c = { NULL, 0, 0 };
	int rc = scan(fd, h, &q, o->allowed ? ids : NULL, nids, o->k, &c);
	if (rc < 0)
		rc = err_errno(e, "cannot read the vector index of this knowledge base");
	else
		rc = rescore(db, o->q, o->dim, &c, o->k, out, e);
	free(c.v);
	free(q.c);
	free(ids);
	return rc;
}

int kb_vecindex_top(struct db *db, const struct kb *kb, const struct kb_vec_query *o, struct kb_vec_hit *out,
		    int64_t *unembedded, struct err *e)
{
	if (o->k < 1 || o->dim == 0)
		return -2;
	if (db_exec(db, "SAVEPOINT vecindex", e) < 0)
		return -1;
	int64_t gen;
	int rc = -2, fd = -1;
	char *path = kb_store_vecindex_path(db, kb->id);
	struct head h;
	if (generation(db, &gen) == 0 && (fd = open_index(path, kb, o->dim, gen, &h)) < 0 &&
	    (rc = build(db, kb, o->dim, o->min_vectors, gen, path, e)) == 0)
		fd = open_index(path, kb, o->dim, gen, &h);
	if (fd >= 0 && h.n >= o->min_vectors) {
		rc = search(db, fd, &h, o, out, e);
		*unembedded = (int64_t)(h.chunks - h.n);
	} else if (rc == 0) {
		rc = -2;
	}
	if (fd >= 0)
		close(fd);
	free(path);
	db_exec(db, "RELEASE vecindex", NULL);
	return rc;
}
