#include "kb/embed.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/digest.h"
#include "base/tokens.h"
#include "base/xmalloc.h"
#include "config.h"
#include "llm/catalog.h"
#include "llm/provider.h"
#include "loop.h"
#include "store/db.h"

struct item {
	int64_t chunk_id;
	char *text;
	char hash[65];
};

void kb_embed_cache_key(const struct kb_settings *s, char *out, size_t len)
{
	if (s->embed_dims > 0)
		snprintf(out, len, "%s@%d", s->embed, s->embed_dims);
	else
		snprintf(out, len, "%s", s->embed);
}

static void hash_of(const char *model, const char *text, char out[65])
{
	struct sha256_hex_ctx c;
	sha256_hex_init(&c);
	sha256_hex_update(&c, model, strlen(model) + 1);
	sha256_hex_update(&c, text, strlen(text));
	sha256_hex_final(&c, out);
}

static void normalise(float *v, size_t dim)
{
	double norm = 0;
	for (size_t i = 0; i < dim; i++)
		norm += (double)v[i] * v[i];
	norm = sqrt(norm);
	if (norm > 0)
		for (size_t i = 0; i < dim; i++)
			v[i] = (float)(v[i] / norm);
}

static int store_vector(struct db *db, const char *model, const struct item *it, const float *v, size_t dim,
			int cache, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "INSERT OR REPLACE INTO kb_vectors (chunk_id, dim, vec) VALUES (?1, ?2, ?3)", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, it->chunk_id);
	sqlite3_bind_int64(st, 2, (int64_t)dim);
	sqlite3_bind_blob(st, 3, v, (int)(dim * sizeof *v), SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return err_set(e, "database error on %s: %s", db_path(db), sqlite3_errmsg(db_handle(db)));
	if (!cache)
		return 0;
	st = db_prepare(db, "INSERT OR REPLACE INTO kb_embed_cache (model, hash, dim, vec) VALUES (?1, ?2, ?3, ?4)", e);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, it->hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)dim);
	sqlite3_bind_blob(st, 4, v, (int)(dim * sizeof *v), SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return err_set(e, "database error on %s: %s", db_path(db), sqlite3_errmsg(db_handle(db)));
	return 0;
}

static void items_free(struct item *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].text);
	free(v);
}

int kb_embed_counts(struct db *db, const struct kb *kb, int64_t *with, int64_t *without, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT count(v.chunk_id), count(*) - count(v.chunk_id) FROM kb_chunks c"
					  " JOIN kb_docs d ON d.id = c.doc_id LEFT JOIN kb_vectors v ON v.chunk_id = c.id"
					  " WHERE d.kb_id = ?1", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, kb->id);
	int rc = sqlite3_step(st);
	*with = sqlite3_column_int64(st, 0);
	*without = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : err_set(e, "database error on %s", db_path(db));
}

/* ---- embedding the chunks that have no vector, on the loop */

#define PAGE_ROWS 256 /* chunks read from the database at once */

enum { PHASE_CACHE, PHASE_EMBED, PHASE_OVER };

struct batch {
	struct kb_embedder *job;
	struct provider_call *call;
	struct item *items;
	size_t count;
	int slot;
};

struct kb_embedder {
	struct db *db;
	int64_t kb_id;
	char *kb_name, *model_spec;
	char *cache_key; /* the cache's name of the model and its dimensions */
	int dims;        /* asked of the model; 0: its own */
	struct kb_embed_opts o;
	struct kb_embed_stats st;
	struct provider *p;
	char *model;
	int phase;
	int64_t after;          /* the rowid the next page starts after */
	int pages_done;         /* no chunk left to read */
	struct item *queue;     /* chunks read, not yet sent */
	size_t nqueue, qnext;
	struct batch *inflight[KB_EMBED_INFLIGHT];
	size_t ninflight;
	int failed, before_any;
	struct err err;
	int64_t timer;
	kb_embed_done_fn done;
	void *ud;
};

/* Up to PAGE_ROWS chunks of the KB without a vector after job->after. */
static int read_page(struct kb_embedder *j, struct item **out, size_t *n, struct err *e)
{
	char *sql = xasprintf("SELECT t.rowid, t.text FROM kb_fts_%lld t LEFT JOIN kb_vectors v ON v.chunk_id = t.rowid"
			      " WHERE v.chunk_id IS NULL AND t.rowid > ?1 ORDER BY t.rowid LIMIT %d",
			      (long long)j->kb_id, PAGE_ROWS);
	sqlite3_stmt *q = db_prepare(j->db, sql, e);
	free(sql);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, j->after);
	struct item *items = xcalloc(PAGE_ROWS, sizeof *items);
	size_t k = 0;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct item *it = &items[k++];
		it->chunk_id = sqlite3_column_int64(q, 0);
		it->text = xstrndup((const char *)sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1));
		hash_of(j->cache_key, it->text, it->hash);
		j->after = it->chunk_id;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		items_free(items, k);
		return err_set(e, "database error on %s: %s", db_path(j->db), sqlite3_errmsg(db_handle(j->db)));
	}
	if (k < PAGE_ROWS)
		j->pages_done = 1;
	*out = items;
	*n = k;
	return 0;
}

/* One page of the cache pass: vectors the cache holds are stored, the
 * others counted (and their tokens, for the cost). */
static int cache_page(struct kb_embedder *j, struct err *e)
{
	struct item *items;
	size_t n;
	if (read_page(j, &items, &n, e) < 0)
		return -1;
	j->st.pending += (int64_t)n;
	sqlite3_stmt *c = db_prepare(j->db, "SELECT dim, vec FROM kb_embed_cache WHERE model = ?1 AND hash = ?2", e);
	if (!c || db_exec(j->db, "BEGIN IMMEDIATE", e) < 0) {
		sqlite3_finalize(c);
		items_free(items, n);
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		sqlite3_bind_text(c, 1, j->cache_key, -1, SQLITE_STATIC);
		sqlite3_bind_text(c, 2, items[i].hash, -1, SQLITE_STATIC);
		if (sqlite3_step(c) == SQLITE_ROW) {
			size_t dim = (size_t)sqlite3_column_int64(c, 0);
			rc = store_vector(j->db, j->cache_key, &items[i], sqlite3_column_blob(c, 1), dim, 0, e);
			j->st.cached++;
		} else {
			j->st.tokens += tokens_estimate(strlen(items[i].text));
		}
		sqlite3_reset(c);
	}
	sqlite3_finalize(c);
	items_free(items, n);
	if (rc < 0 || db_exec(j->db, "COMMIT", e) < 0) {
		if (!sqlite3_get_autocommit(db_handle(j->db)))
			db_exec(j->db, "ROLLBACK", NULL);
		return -1;
	}
	return 0;
}

static int stopping(const struct kb_embedder *j)
{
	return j->o.stop && *j->o.stop;
}

static int64_t finish_timer(struct loop *l, int64_t id, void *ud);

/* Ends the job from the loop: done is called from a timer, never from inside
 * a provider's callback (the provider is freed there). */
static void finish_soon(struct kb_embedder *j)
{
	if (j->phase == PHASE_OVER)
		return;
	j->phase = PHASE_OVER;
	if (j->timer)
		loop_del_timer(j->o.loop, j->timer);
	j->timer = loop_add_timer(j->o.loop, 0, finish_timer, j);
}

static void fail(struct kb_embedder *j, const struct err *why)
{
	if (!j->failed) {
		j->failed = 1;
		j->err = *why;
	}
}

static void send_more(struct kb_embedder *j);

/* The chunks read and not sent (the ones sent belong to their batches). */
static void queue_free(struct kb_embedder *j)
{
	for (size_t i = j->qnext; i < j->nqueue; i++)
		free(j->queue[i].text);
	free(j->queue);
	j->queue = NULL;
}

static void batch_done(void *ud, const struct llm_embedding *emb, const struct err *e)
{
	struct batch *b = ud;
	struct kb_embedder *j = b->job;
	j->inflight[b->slot] = NULL;
	j->ninflight--;
	struct err why = ERR_INIT;
	if (!emb || emb->n != b->count || !emb->dim) {
		if (e)
			err_set(&why, "%s", e->msg);
		else
			err_set(&why, "%s answered %zu embeddings for %zu texts", j->model_spec, emb ? emb->n : 0, b->count);
		fail(j, &why);
	} else if (!j->failed) {
		int rc = db_exec(j->db, "BEGIN IMMEDIATE", &why);
		float *v = xmalloc(emb->dim * sizeof *v);
		for (size_t i = 0; rc == 0 && i < b->count; i++) {
			memcpy(v, emb->values + i * emb->dim, emb->dim * sizeof *v);
			normalise(v, emb->dim);
			rc = store_vector(j->db, j->cache_key, &b->items[i], v, emb->dim, 1, &why);
		}
		free(v);
		if (rc == 0)
			rc = db_exec(j->db, "COMMIT", &why);
		if (rc != 0) {
			if (!sqlite3_get_autocommit(db_handle(j->db)))
				db_exec(j->db, "ROLLBACK", NULL);
			fail(j, &why);
		} else {
			j->st.embedded += (int64_t)b->count;
			j->st.calls++;
			if (j->o.progress)
				j->o.progress(j->o.ud, &j->st);
		}
	}
	items_free(b->items, b->count);
	free(b);
	send_more(j);
}

/* Keeps KB_EMBED_INFLIGHT batches going while there are chunks to embed. */
static void send_more(struct kb_embedder *j)
{
	while (!j->failed && !stopping(j) && j->ninflight < KB_EMBED_INFLIGHT) {
		if (j->qnext >= j->nqueue && !j->pages_done) {
			queue_free(j);
			j->nqueue = j->qnext = 0;
			struct err e = ERR_INIT;
			if (read_page(j, &j->queue, &j->nqueue, &e) < 0) {
				fail(j, &e);
				break;
			}
		}
		if (j->qnext >= j->nqueue)
			break;
		struct batch *b = xcalloc(1, sizeof *b);
		b->job = j;
		b->count = j->nqueue - j->qnext < KB_EMBED_BATCH ? j->nqueue - j->qnext : KB_EMBED_BATCH;
		b->items = xcalloc(b->count, sizeof *b->items);
		memcpy(b->items, j->queue + j->qnext, b->count * sizeof *b->items);
		j->qnext += b->count;
		const char **texts = xcalloc(b->count, sizeof *texts);
		for (size_t i = 0; i < b->count; i++)
			texts[i] = b->items[i].text;
		int slot = 0;
		while (j->inflight[slot])
			slot++;
		b->slot = slot;
		j->inflight[slot] = b;
		j->ninflight++;
		struct err e = ERR_INIT;
		const struct llm_embed_opts docs = { LLM_EMBED_DOCUMENT, j->dims };
		b->call = j->p->ops->embed(j->p, j->o.loop, j->model, &docs, texts, b->count, batch_done, b, &e);
		free(texts);
		if (!b->call) {
			j->inflight[slot] = NULL;
			j->ninflight--;
			items_free(b->items, b->count);
			free(b);
			fail(j, &e);
		}
	}
	if (j->ninflight == 0)
		finish_soon(j);
}

/* After the cache pass: the cost check, then the provider and the first
 * batches. 0 also when nothing is left to embed (the job then ends). */
static int start_embedding(struct kb_embedder *j, struct err *e)
{
	int64_t todo = j->st.pending - j->st.cached;
	if (!todo)
		return 0;
	char *pname = NULL, *mname = NULL;
	if (provider_split_model(j->model_spec, &pname, &mname, e) < 0)
		return -1;
	if (j->o.catalog) {
		const struct catalog_entry *ce = catalog_find(j->o.catalog, pname, provider_type_of(j->o.cfg, pname), mname);
		if (ce)
			j->st.cost_usd = catalog_cost(ce, j->st.tokens, 0);
	}
	if (j->st.cost_usd > j->o.max_cost_usd && !(j->o.confirm && j->o.confirm(j->o.ud, &j->st))) {
		err_set(e, "embedding %lld chunks with %s would cost about $%.2f, over the $%.2f limit, so none was "
			"embedded; 'aiwb kb sync %s --yes' goes ahead", (long long)todo, j->model_spec, j->st.cost_usd,
			j->o.max_cost_usd, j->kb_name);
		free(pname);
		free(mname);
		return -1;
	}
	j->p = provider_open(j->o.cfg, pname, e);
	free(pname);
	if (!j->p) {
		free(mname);
		return -1;
	}
	j->model = mname;
	j->phase = PHASE_EMBED;
	j->after = 0;
	j->pages_done = 0;
	send_more(j);
	return 0;
}

static int64_t cache_timer(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct kb_embedder *j = ud;
	struct err e = ERR_INIT;
	if (stopping(j) || cache_page(j, &e) < 0) {
		if (e.msg[0])
			fail(j, &e);
		j->timer = 0;
		finish_soon(j);
		return LOOP_TIMER_DONE;
	}
	if (!j->pages_done)
		return 0;
	j->timer = 0;
	if (start_embedding(j, &e) < 0) {
		j->before_any = 1; /* no request went out: the reason as it is */
		fail(j, &e);
	}
	if (j->failed || j->phase != PHASE_EMBED)
		finish_soon(j);
	return LOOP_TIMER_DONE;
}

static void embedder_free(struct kb_embedder *j)
{
	for (size_t i = 0; i < KB_EMBED_INFLIGHT; i++) {
		struct batch *b = j->inflight[i];
		if (!b)
			continue;
		provider_cancel(b->call);
		items_free(b->items, b->count);
		free(b);
	}
	if (j->timer)
		loop_del_timer(j->o.loop, j->timer);
	provider_free(j->p);
	queue_free(j);
	free(j->model);
	free(j->kb_name);
	free(j->model_spec);
	free(j->cache_key);
	free(j);
}

static int64_t finish_timer(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct kb_embedder *j = ud;
	j->timer = 0;
	struct err e = ERR_INIT;
	if (j->failed && j->before_any)
		e = j->err;
	else if (j->failed)
		err_set(&e, "embedding stopped: %s; the chunks embedded so far are kept and the next "
			"'aiwb kb sync %s' embeds the rest", j->err.msg, j->kb_name);
	j->done(j->ud, j->failed ? -1 : 0, &j->st, j->failed ? &e : NULL);
	embedder_free(j);
	return LOOP_TIMER_DONE;
}

struct kb_embedder *kb_embed_start(struct db *db, const struct kb *kb, const struct kb_embed_opts *o,
				   kb_embed_done_fn done, void *ud, struct err *e)
{
	if (!kb->set.embed[0]) {
		err_set(e, "%s has no embedding model", kb->name);
		return NULL;
	}
	struct kb_embedder *j = xcalloc(1, sizeof *j);
	j->db = db;
	j->kb_id = kb->id;
	j->kb_name = xstrdup(kb->name);
	j->model_spec = xstrdup(kb->set.embed);
	char key[sizeof kb->set.embed + 16];
	kb_embed_cache_key(&kb->set, key, sizeof key);
	j->cache_key = xstrdup(key);
	j->dims = kb->set.embed_dims;
	j->o = *o;
	j->st.cost_usd = -1;
	j->done = done;
	j->ud = ud;
	j->timer = loop_add_timer(o->loop, 0, cache_timer, j);
	return j;
}

void kb_embed_cancel(struct kb_embedder *j)
{
	if (j)
		embedder_free(j);
}

const struct kb_embed_stats *kb_embed_progress(const struct kb_embedder *j)
{
	return &j->st;
}

struct waiter {
	struct loop *loop;
	int finished, rc;
	struct kb_embed_stats st;
	struct err e;
};

static void wait_done(void *ud, int rc, const struct kb_embed_stats *st, const struct err *e)
{
	struct waiter *w = ud;
	w->finished = 1;
	w->rc = rc;
	w->st = *st;
	if (e)
		w->e = *e;
	loop_stop(w->loop);
}

int kb_embed_pending(struct db *db, const struct kb *kb, const struct kb_embed_opts *o, struct kb_embed_stats *st,
		     struct err *e)
{
	memset(st, 0, sizeof *st);
	st->cost_usd = -1;
	if (!kb->set.embed[0])
		return 0;
	struct waiter w = { o->loop, 0, 0, { 0 }, ERR_INIT };
	if (!kb_embed_start(db, kb, o, wait_done, &w, e))
		return -1;
	while (!w.finished)
		loop_run(o->loop);
	*st = w.st;
	if (w.rc < 0) {
		*e = w.e;
		return -1;
	}
	return 0;
}

struct one {
	float *v;
	size_t dim;
	struct err err;
	struct loop *l;
};

static void one_done(void *ud, const struct llm_embedding *emb, const struct err *e)
{
	struct one *o = ud;
	if (emb && emb->n == 1 && emb->dim) {
		o->dim = emb->dim;
		o->v = xmalloc(emb->dim * sizeof *o->v);
		memcpy(o->v, emb->values, emb->dim * sizeof *o->v);
		normalise(o->v, o->dim);
	} else {
		err_set(&o->err, "%s", e ? e->msg : "the embedding answer holds no vector");
	}
	loop_stop(o->l);
}

float *kb_embed_query(const struct config *cfg, struct loop *l, const char *model_spec, int dims, const char *text,
		      size_t *dim, struct err *e)
{
	const struct llm_embed_opts query_opts = { LLM_EMBED_QUERY, dims };
	char *pname = NULL, *mname = NULL;
	if (provider_split_model(model_spec, &pname, &mname, e) < 0)
		return NULL;
	struct provider *p = provider_open(cfg, pname, e);
	free(pname);
	if (!p) {
		free(mname);
		return NULL;
	}
	struct one o = { NULL, 0, ERR_INIT, l };
	const char *texts[] = { text };
	struct provider_call *c = p->ops->embed(p, l, mname, &query_opts, texts, 1, one_done, &o, e);
	if (c)
		loop_run(l);
	provider_free(p);
	free(mname);
	if (!c)
		return NULL;
	if (!o.v) {
		err_set(e, "cannot embed the query: %s", o.err.msg);
		return NULL;
	}
	*dim = o.dim;
	return o.v;
}

struct kb_query_embed {
	struct provider *p;
	struct provider_call *call;
	struct loop *l;
	char *text;
	void (*done)(void *ud, float *v, size_t dim, const struct err *e);
	void *ud;
};

static void query_embed_free(struct kb_query_embed *q)
{
	provider_free(q->p);
	free(q->text);
	free(q);
}

/* The provider is freed once its call has returned, never inside it. */
static int64_t query_embed_reap(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	query_embed_free(ud);
	return LOOP_TIMER_DONE;
}

static void query_embed_done(void *ud, const struct llm_embedding *emb, const struct err *e)
{
	struct kb_query_embed *q = ud;
	struct err why = ERR_INIT;
	float *v = NULL;
	size_t dim = 0;
	q->call = NULL;
	if (emb && emb->n == 1 && emb->dim) {
		dim = emb->dim;
		v = xmalloc(dim * sizeof *v);
		memcpy(v, emb->values, dim * sizeof *v);
		normalise(v, dim);
	} else {
		err_set(&why, "cannot embed the query: %s", e ? e->msg : "the embedding answer holds no vector");
	}
	loop_add_timer(q->l, 0, query_embed_reap, q);
	q->done(q->ud, v, dim, v ? NULL : &why);
}

struct kb_query_embed *kb_embed_query_start(const struct config *cfg, struct loop *l, const char *model_spec,
					    int dims, const char *text,
					    void (*done)(void *ud, float *v, size_t dim, const struct err *e), void *ud,
					    struct err *e)
{
	const struct llm_embed_opts query_opts = { LLM_EMBED_QUERY, dims };
	char *pname = NULL, *mname = NULL;
	if (provider_split_model(model_spec, &pname, &mname, e) < 0)
		return NULL;
	struct kb_query_embed *q = xcalloc(1, sizeof *q);
	q->p = provider_open(cfg, pname, e);
	free(pname);
	q->l = l;
	q->text = xstrdup(text ? text : "");
	q->done = done;
	q->ud = ud;
	const char *texts[] = { q->text };
	if (q->p)
		q->call = q->p->ops->embed(q->p, l, mname, &query_opts, texts, 1, query_embed_done, q, e);
	free(mname);
	if (!q->call) {
		query_embed_free(q);
		return NULL;
	}
	return q;
}

void kb_embed_query_cancel(struct kb_query_embed *q)
{
	if (!q)
		return;
	if (q->call)
		provider_cancel(q->call);
	query_embed_free(q);
}

int kb_embed_dims_check(const char *model, int dims, struct err *e)
{
	if (strstr(model, "amazon.titan-embed-text-v2")) {
		if (dims == 256 || dims == 512 || dims == 1024)
			return 0;
		return err_set(e, "%s gives vectors of 256, 512 or 1024 dimensions, not %d", model, dims);
	}
	int max = strstr(model, "text-embedding-3-large") ? 3072 : strstr(model, "text-embedding-3-small") ? 1536 : 0;
	if (!max)
		return err_set(e, "%s has no choice of dimensions; --embed-dims works with OpenAI text-embedding-3 "
				  "models and Titan v2 (amazon.titan-embed-text-v2:0)",
			       model);
	if (dims < 1 || dims > max)
		return err_set(e, "%s gives vectors of 1 to %d dimensions, not %d", model, max, dims);
	return 0;
}

int kb_embed_input_limit(const char *model)
{
	if (strstr(model, "cohere.embed-"))
		return 512;
	if (strstr(model, "all-minilm") || strstr(model, "nomic-embed-text"))
		return 512;
	return 8192;
}
