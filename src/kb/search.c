#include "kb/search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "kb/embed.h"
#include "kb/filter.h"
#include "kb/query.h"
#include "kb/vecindex.h"
#include "store/db.h"

static const char *const mode_names[] = { "bm25", "vector", "hybrid" };

int kb_mode_parse(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(s, mode_names[i]) == 0)
			return i;
	return -1;
}

const char *kb_mode_name(enum kb_mode m)
{
	return (unsigned)m < 3 ? mode_names[m] : "bm25";
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return xstrdup(t ? (const char *)t : "");
}

/* The KB's tokenizer (porter over unicode61, diacritics removed), reached
 * through the fts5_api of this connection, so highlights match exactly what
 * the index matched. */
struct tokenizer {
	fts5_tokenizer api;
	Fts5Tokenizer *tok;
};

static int tokenizer_open(struct db *db, struct tokenizer *t)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = db_prepare(db, "SELECT fts5(?1)", NULL);
	if (!st)
		return -1;
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	void *ud = NULL;
	if (!api || api->xFindTokenizer(api, "porter", &ud, &t->api) != SQLITE_OK)
		return -1;
	const char *args[] = { "unicode61", "remove_diacritics", "2" };
	return t->api.xCreate(ud, args, 3, &t->tok) == SQLITE_OK ? 0 : -1;
}

struct stems {
	char **v;
	size_t n;
};

static int collect_stem(void *ctx, int flags, const char *tok, int ntok, int start, int end)
{
	(void)flags;
	(void)start;
	(void)end;
	struct stems *s = ctx;
	s->v = xreallocarray(s->v, s->n + 1, sizeof *s->v);
	s->v[s->n++] = xstrndup(tok, (size_t)ntok);
	return SQLITE_OK;
}

struct marker {
	const struct stems *stems;
	const char *text;
	size_t done;
	struct buf out;
};

static int mark_token(void *ctx, int flags, const char *tok, int ntok, int start, int end)
{
	(void)flags;
	struct marker *m = ctx;
	for (size_t i = 0; i < m->stems->n; i++) {
		if (strlen(m->stems->v[i]) != (size_t)ntok || memcmp(m->stems->v[i], tok, (size_t)ntok) != 0)
			continue;
		if ((size_t)start < m->done)
			break;
		buf_append(&m->out, m->text + m->done, (size_t)start - m->done);
		buf_putc(&m->out, KB_MARK_ON);
		buf_append(&m->out, m->text + start, (size_t)(end - start));
		buf_putc(&m->out, KB_MARK_OFF);
		m->done = (size_t)end;
		break;
	}
	return SQLITE_OK;
}

static char *marked(struct tokenizer *t, const struct stems *stems, const char *text, size_t len)
{
	struct marker m = { stems, text, 0, BUF_INIT };
	if (t->tok)
		t->api.xTokenize(t->tok, &m, FTS5_TOKENIZE_DOCUMENT, text, (int)len, mark_token);
	buf_append(&m.out, text + m.done, len - m.done);
	return m.out.data ? buf_detach(&m.out) : xstrdup("");
}

/* Fills every hit's document and chunk fields (and marked text when wanted) with one statement. */
static int details(struct db *db, const struct kb *kb, struct kb_results *out, int with_text, struct err *e)
{
	char *sql = xasprintf("SELECT d.id, d.name, d.path, d.title, d.meta, c.seq, c.start, c.end, c.heading,"
			      " CASE WHEN ?2 THEN (SELECT f.text FROM kb_fts_%lld f WHERE f.rowid = c.id) END"
			      " FROM kb_chunks c JOIN kb_docs d ON d.id = c.doc_id WHERE c.id = ?1", (long long)kb->id);
	sqlite3_stmt *st = db_prepare(db, sql, e);
	free(sql);
	if (!st)
		return -1;
	struct tokenizer t = { { 0 }, NULL };
	struct stems stems = { NULL, 0 };
	if (with_text && tokenizer_open(db, &t) == 0)
		for (size_t i = 0; i < out->nwords; i++)
			t.api.xTokenize(t.tok, &stems, FTS5_TOKENIZE_QUERY, out->words[i], (int)strlen(out->words[i]),
					collect_stem);
	int rc = SQLITE_ROW;
	for (size_t i = 0; i < out->n && rc == SQLITE_ROW; i++) {
		struct kb_hit *h = &out->v[i];
		sqlite3_bind_int64(st, 1, h->chunk_id);
		sqlite3_bind_int(st, 2, with_text);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			h->doc_id = sqlite3_column_int64(st, 0);
			h->doc_name = col_dup(st, 1);
			h->doc_path = col_dup(st, 2);
			h->title = col_dup(st, 3);
			h->meta = col_dup(st, 4);
			h->seq = sqlite3_column_int(st, 5);
			h->start = (size_t)sqlite3_column_int64(st, 6);
			h->end = (size_t)sqlite3_column_int64(st, 7);
			h->heading = col_dup(st, 8);
			if (with_text)
				h->text = marked(&t, &stems, (const char *)sqlite3_column_blob(st, 9),
						 (size_t)sqlite3_column_bytes(st, 9));
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (t.tok)
		t.api.xDelete(t.tok);
	for (size_t i = 0; i < stems.n; i++)
		free(stems.v[i]);
	free(stems.v);
	if (rc != SQLITE_ROW)
		return err_set(e, "database error on %s: %s", db_path(db), sqlite3_errmsg(db_handle(db)));
	return 0;
}

struct cand {
	int64_t id;
	double bm25, vector, fused, mmr;
	int bm25_rank, vector_rank, fused_rank, mmr_rank;
};

struct cands {
	struct cand *v;
	size_t n;
};

static struct cand *cand_add(struct cands *c, int64_t id)
{
	c->v = xreallocarray(c->v, c->n + 1, sizeof *c->v);
	struct cand *x = &c->v[c->n++];
	memset(x, 0, sizeof *x);
	x->id = id;
	return x;
}

static struct cand *cand_find(struct cands *c, int64_t id)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].id == id)
			return &c->v[i];
	return NULL;
}

static int bm25_top(struct db *db, const struct kb *kb, const char *fts, const struct kb_filter *f, int k,
		    struct cands *out, struct err *e)
{
	long long id = (long long)kb->id;
	char *sql;
	if (f)
		sql = xasprintf("SELECT f.rowid, -bm25(kb_fts_%lld, ?1, ?2, ?3) FROM kb_fts_%lld f"
				" JOIN kb_chunks c ON c.id = f.rowid JOIN kb_docs d ON d.id = c.doc_id"
				" WHERE kb_fts_%lld MATCH ?4 AND (%s) ORDER BY 2 DESC, f.rowid LIMIT ?5",
				id, id, id, f->sql);
	else
		sql = xasprintf("SELECT rowid, -bm25(kb_fts_%lld, ?1, ?2, ?3) FROM kb_fts_%lld"
				" WHERE kb_fts_%lld MATCH ?4 ORDER BY 2 DESC, rowid LIMIT ?5", id, id, id);
	sqlite3_stmt *st = db_prepare(db, sql, e);
	free(sql);
	if (!st)
		return -1;
	sqlite3_bind_double(st, 1, kb->set.w_title);
	sqlite3_bind_double(st, 2, kb->set.w_heading);
	sqlite3_bind_double(st, 3, kb->set.w_text);
	sqlite3_bind_text(st, 4, fts, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, k);
	if (f)
		kb_filter_bind(f, st);
	int rc, rank = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && rank < k) {
		struct cand *c = cand_add(out, sqlite3_column_int64(st, 0));
		c->bm25 = sqlite3_column_double(st, 1);
		c->bm25_rank = ++rank;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_fail(db, e);
	return 0;
}

static int by_score(const void *a, const void *b)
{
	const struct kb_vec_hit *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static double dot(const float *a, const float *b, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)a[i] * (double)b[i];
	return s;
}

struct filtered {
	struct db *db;
	const struct kb *kb;
	const struct kb_filter *f;
};

static void read_id(sqlite3_stmt *st, void *element)
{
	*(int64_t *)element = sqlite3_column_int64(st, 0);
}

/* The chunk ids the filter passes, ascending, for the vector index. */
static int filtered_ids(void *ud, int64_t **ids, size_t *n, struct err *e)
{
	const struct filtered *x = ud;
	char *sql = xasprintf("SELECT c.id FROM kb_chunks c JOIN kb_docs d ON d.id = c.doc_id"
			      " WHERE d.kb_id = ?1 AND (%s) ORDER BY c.id", x->f->sql);
	sqlite3_stmt *st = db_prepare(x->db, sql, e);
	free(sql);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, x->kb->id);
	kb_filter_bind(x->f, st);
	return db_collect(x->db, st, ids, n, sizeof **ids, read_id, e);
}

static void vector_ranks(struct cands *out, const struct kb_vec_hit *top, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct cand *c = cand_find(out, top[i].id);
		if (!c)
			c = cand_add(out, top[i].id);
		c->vector = top[i].score;
		c->vector_rank = (int)i + 1;
	}
}

/* Exact: every stored vector of the KB (whose document passes the filter)
 * scored, the best k kept; through the vector index (kb/vecindex.h) when the
 * KB is big enough for one. *unembedded is set when the index answered, else
 * left at -1. */
static int vector_top(struct db *db, const struct kb *kb, const float *q, size_t dim, const struct kb_filter *f,
		      int k, struct cands *out, int64_t *unembedded, struct err *e)
{
	struct filtered fx = { db, kb, f };
	struct kb_vec_query vq = { q, dim, k, KB_VECINDEX_MIN, f ? filtered_ids : NULL, &fx };
	struct kb_vec_hit *top = xcalloc((size_t)k, sizeof *top);
	int got = kb_vecindex_top(db, kb, &vq, top, unembedded, e);
	if (got >= 0)
		vector_ranks(out, top, (size_t)got);
	free(top);
	if (got != -2)
		return got < 0 ? -1 : 0;
	*unembedded = -1;
	char *sql = xasprintf("SELECT v.chunk_id, v.dim, v.vec FROM kb_vectors v JOIN kb_chunks c ON c.id = v.chunk_id"
			      " JOIN kb_docs d ON d.id = c.doc_id WHERE d.kb_id = ?1 AND (%s)", f ? f->sql : "1");
	sqlite3_stmt *st = db_prepare(db, sql, e);
	free(sql);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, kb->id);
	if (f)
		kb_filter_bind(f, st);
	struct kb_vec_hit *all = NULL;
	size_t n = 0, cap = 0;
	int rc;
	float *tmp = xmalloc(dim * sizeof *tmp);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t d = (size_t)sqlite3_column_int64(st, 1);
		if (d != dim || (size_t)sqlite3_column_bytes(st, 2) != dim * sizeof(float)) {
			free(all);
			free(tmp);
			sqlite3_finalize(st);
			return err_set(e, "the query has %zu dimensions but the stored vectors %zu; was %s embedded with "
				       "another model? 'aiwb kb set %s --embed ...' and sync again", dim, d, kb->name, kb->name);
		}
		memcpy(tmp, sqlite3_column_blob(st, 2), dim * sizeof *tmp);
		XGROW(all, cap, n + 1);
		all[n].id = sqlite3_column_int64(st, 0);
		all[n].score = dot(q, tmp, dim);
		n++;
	}
	free(tmp);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(all);
		return db_fail(db, e);
	}
	if (n)
		qsort(all, n, sizeof *all, by_score);
	vector_ranks(out, all, n < (size_t)k ? n : (size_t)k);
	free(all);
	return 0;
}

static float *vector_of(struct db *db, int64_t chunk, size_t dim)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT vec FROM kb_vectors WHERE chunk_id = ?1", NULL);
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, chunk);
	float *v = NULL;
	if (sqlite3_step(st) == SQLITE_ROW && (size_t)sqlite3_column_bytes(st, 0) == dim * sizeof(float)) {
		v = xmalloc(dim * sizeof *v);
		memcpy(v, sqlite3_column_blob(st, 0), dim * sizeof *v);
	}
	sqlite3_finalize(st);
	return v;
}

static enum kb_mode sort_mode;

static double mode_score(const struct cand *c)
{
	return sort_mode == KB_MODE_BM25 ? c->bm25 : sort_mode == KB_MODE_VECTOR ? c->vector : c->fused;
}

static int by_mode(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	double sx = mode_score(x), sy = mode_score(y);
	if (sx != sy)
		return sx > sy ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Greedy MMR over the candidates in their current order; those without a vector follow in order. */
static void mmr_rerank(struct db *db, struct cands *c, const float *q, size_t dim, double lambda, size_t k)
{
	float **vec = xcalloc(c->n ? c->n : 1, sizeof *vec);
	for (size_t i = 0; i < c->n; i++)
		vec[i] = vector_of(db, c->v[i].id, dim);
	struct cand *out = xcalloc(c->n ? c->n : 1, sizeof *out);
	char *used = xcalloc(c->n ? c->n : 1, 1);
	size_t no = 0;
	float **picked = xcalloc(c->n ? c->n : 1, sizeof *picked);
	while (no < k && no < c->n) {
		size_t best = c->n;
		double best_score = -1e300;
		for (size_t i = 0; i < c->n; i++) {
			if (used[i] || !vec[i])
				continue;
			double rel = dot(q, vec[i], dim), div = 0;
			for (size_t j = 0; j < no; j++)
				if (picked[j]) {
					double sim = dot(vec[i], picked[j], dim);
					div = sim > div || j == 0 ? sim : div;
				}
			double score = lambda * rel - (1 - lambda) * div;
			if (score > best_score) {
				best_score = score;
				best = i;
			}
		}
		if (best == c->n)
			break;
		used[best] = 1;
		out[no] = c->v[best];
		out[no].mmr = best_score;
		picked[no] = vec[best];
		out[no].mmr_rank = (int)no + 1;
		no++;
	}
	for (size_t i = 0; i < c->n && no < c->n; i++)
		if (!used[i]) {
			out[no] = c->v[i];
			out[no].mmr_rank = (int)no + 1;
			no++;
		}
	if (c->n)
		memcpy(c->v, out, c->n * sizeof *out);
	for (size_t i = 0; i < c->n; i++)
		free(vec[i]);
	free(vec);
	free(out);
	free(used);
	free(picked);
}

int kb_search(struct db *db, const struct kb *kb, const struct kb_search_opts *o, struct kb_results *out,
	      struct err *e)
{
	memset(out, 0, sizeof *out);
	int need_vec = o->mode != KB_MODE_BM25 || o->mmr;
	if (need_vec && (!o->qvec || !o->qdim))
		return err_set(e, "%s needs the query's embedding, and %s has %s", o->mmr ? "--rerank mmr" : "vector search",
			       kb->name, kb->set.embed[0] ? "none for this search"
			       : "no embedding model; set one with 'aiwb kb set NAME --embed PROVIDER/MODEL' and sync");
	int k = o->k < 1 ? 10 : o->k > KB_SEARCH_K_MAX ? KB_SEARCH_K_MAX : o->k;
	int depth = 4 * k > KB_FUSE_DEPTH ? 4 * k : KB_FUSE_DEPTH;
	struct kb_filter f;
	int has_filter = o->filter != NULL;
	if (has_filter) {
		struct err fe = ERR_INIT;
		if (kb_filter_compile(o->filter, 6, &f, &fe) < 0)
			return err_set(e, "invalid filter: %s", fe.msg);
		out->filter_sql = xstrdup(f.sql);
	}
	struct kb_query q;
	kb_query_build(o->query, &q);
	out->words = q.words;
	out->nwords = q.nwords;
	out->stop_only = q.stop_only;
	out->fts = q.fts;
	struct cands c = { NULL, 0 };
	int rc = 0;
	int list = o->mode == KB_MODE_HYBRID || o->mmr ? depth : k;
	if (q.fts && o->mode != KB_MODE_VECTOR)
		rc = bm25_top(db, kb, q.fts, has_filter ? &f : NULL, list, &c, e);
	if (rc == 0 && o->mode != KB_MODE_BM25) {
		int64_t with = 0, without = -1;
		rc = vector_top(db, kb, o->qvec, o->qdim, has_filter ? &f : NULL, list, &c, &without, e);
		if (rc == 0 && without < 0 && kb_embed_counts(db, kb, &with, &without, e) < 0)
			without = 0;
		out->unembedded = without;
	}
	if (rc == 0 && o->mode == KB_MODE_HYBRID) {
		double wb = o->w_bm25, wv = o->w_vector;
		if (wb == 0 && wv == 0)
			wb = wv = 1;
		for (size_t i = 0; i < c.n; i++)
			c.v[i].fused = (c.v[i].bm25_rank ? wb / (KB_RRF_K + c.v[i].bm25_rank) : 0) +
				       (c.v[i].vector_rank ? wv / (KB_RRF_K + c.v[i].vector_rank) : 0);
	}
	if (rc == 0) {
		sort_mode = o->mode;
		if (c.n)
			qsort(c.v, c.n, sizeof *c.v, by_mode);
		if (o->mode == KB_MODE_HYBRID)
			for (size_t i = 0; i < c.n; i++)
				c.v[i].fused_rank = (int)i + 1;
		if (o->mmr)
			mmr_rerank(db, &c, o->qvec, o->qdim, o->mmr_lambda, (size_t)k);
		size_t n = c.n < (size_t)k ? c.n : (size_t)k;
		out->v = xcalloc(n ? n : 1, sizeof *out->v);
		for (size_t i = 0; i < n; i++) {
			struct kb_hit *h = &out->v[out->n++];
			const struct cand *x = &c.v[i];
			h->chunk_id = x->id;
			h->rank = (int)i + 1;
			h->score = o->mmr ? x->mmr : mode_score(x);
			h->bm25 = x->bm25;
			h->bm25_rank = x->bm25_rank;
			h->vector = x->vector;
			h->vector_rank = x->vector_rank;
			h->fused = x->fused;
			h->fused_rank = x->fused_rank;
			h->mmr = x->mmr;
			h->mmr_rank = x->mmr_rank;
		}
		if (out->n)
			rc = details(db, kb, out, o->with_text, e);
	}
	free(c.v);
	if (has_filter)
		kb_filter_free(&f);
	if (rc < 0)
		kb_results_free(out);
	return rc;
}

void kb_results_free(struct kb_results *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct kb_hit *h = &r->v[i];
		free(h->doc_name);
		free(h->doc_path);
		free(h->title);
		free(h->heading);
		free(h->meta);
		free(h->text);
		free(h->document_id);
	}
	free(r->v);
	for (size_t i = 0; i < r->nwords; i++)
		free(r->words[i]);
	free(r->words);
	free(r->fts);
	free(r->filter_sql);
	memset(r, 0, sizeof *r);
}
