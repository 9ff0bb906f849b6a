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

struct job {
	struct db *db;
	const struct kb *kb;
	const struct kb_embed_opts *o;
	struct kb_embed_stats *st;
	struct provider *p;
	char *model;
	const char *key;    /* the cache's name of the model and its dimensions */
	struct item *items;
	size_t n, next, inflight;
	int failed;
	struct err err;
};

struct batch {
	struct job *job;
	size_t from, count;
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

static int start_next(struct job *j);

static void batch_done(void *ud, const struct llm_embedding *emb, const struct err *e)
{
	struct batch *b = ud;
	struct job *j = b->job;
	j->inflight--;
	if (!emb || emb->n != b->count || !emb->dim) {
		if (!j->failed) {
			j->failed = 1;
			if (e)
				err_set(&j->err, "%s", e->msg);
			else
				err_set(&j->err, "%s answered %zu embeddings for %zu texts", j->kb->set.embed,
					emb ? emb->n : 0, b->count);
		}
	} else if (!j->failed) {
		int rc = db_exec(j->db, "BEGIN IMMEDIATE", &j->err);
		float *v = xmalloc(emb->dim * sizeof *v);
		for (size_t i = 0; rc == 0 && i < b->count; i++) {
			memcpy(v, emb->values + i * emb->dim, emb->dim * sizeof *v);
			normalise(v, emb->dim);
			rc = store_vector(j->db, j->key, &j->items[b->from + i], v, emb->dim, 1, &j->err);
		}
		free(v);
		if (rc == 0)
			rc = db_exec(j->db, "COMMIT", &j->err);
		if (rc != 0) {
			if (!sqlite3_get_autocommit(db_handle(j->db)))
				db_exec(j->db, "ROLLBACK", NULL);
			j->failed = 1;
		} else {
			j->st->embedded += (int64_t)b->count;
			j->st->calls++;
			if (j->o->progress)
				j->o->progress(j->o->ud, j->st);
		}
	}
	free(b);
	if (!j->failed && !(j->o->stop && *j->o->stop))
		start_next(j);
	if (j->inflight == 0 && (j->failed || j->next >= j->n || (j->o->stop && *j->o->stop)))
		loop_stop(j->o->loop);
}

static int start_next(struct job *j)
{
	while (j->inflight < KB_EMBED_INFLIGHT && j->next < j->n && !j->failed) {
		struct batch *b = xcalloc(1, sizeof *b);
		b->job = j;
		b->from = j->next;
		b->count = j->n - j->next < KB_EMBED_BATCH ? j->n - j->next : KB_EMBED_BATCH;
		const char **texts = xcalloc(b->count, sizeof *texts);
		for (size_t i = 0; i < b->count; i++)
			texts[i] = j->items[b->from + i].text;
		j->next += b->count;
		j->inflight++;
		struct err e = ERR_INIT;
		const struct llm_embed_opts docs = { LLM_EMBED_DOCUMENT, j->kb->set.embed_dims };
		struct provider_call *c =
			j->p->ops->embed(j->p, j->o->loop, j->model, &docs, texts, b->count, batch_done, b, &e);
		free(texts);
		if (!c) {
			j->inflight--;
			free(b);
			j->failed = 1;
			j->err = e;
			return -1;
		}
	}
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

int kb_embed_pending(struct db *db, const struct kb *kb, const struct kb_embed_opts *o, struct kb_embed_stats *st,
		     struct err *e)
{
	memset(st, 0, sizeof *st);
	st->cost_usd = -1;
	if (!kb->set.embed[0])
		return 0;
	char key[sizeof kb->set.embed + 16];
	kb_embed_cache_key(&kb->set, key, sizeof key);
	char *sql = xasprintf("SELECT t.rowid, t.text FROM kb_fts_%lld t LEFT JOIN kb_vectors v ON v.chunk_id = t.rowid"
			      " WHERE v.chunk_id IS NULL ORDER BY t.rowid", (long long)kb->id);
	sqlite3_stmt *q = db_prepare(db, sql, e);
	free(sql);
	if (!q)
		return -1;
	struct item *items = NULL;
	size_t n = 0, cap = 0;
	while (sqlite3_step(q) == SQLITE_ROW) {
		XGROW(items, cap, n + 1);
		struct item *it = &items[n++];
		it->chunk_id = sqlite3_column_int64(q, 0);
		it->text = xstrndup((const char *)sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1));
		hash_of(key, it->text, it->hash);
	}
	sqlite3_finalize(q);
	st->pending = (int64_t)n;
	/* the cache first */
	sqlite3_stmt *c = db_prepare(db, "SELECT dim, vec FROM kb_embed_cache WHERE model = ?1 AND hash = ?2", e);
	if (!c || db_exec(db, "BEGIN IMMEDIATE", e) < 0) {
		sqlite3_finalize(c);
		items_free(items, n);
		return -1;
	}
	size_t keep = 0;
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_text(c, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(c, 2, items[i].hash, -1, SQLITE_STATIC);
		if (rc == 0 && sqlite3_step(c) == SQLITE_ROW) {
			size_t dim = (size_t)sqlite3_column_int64(c, 0);
			rc = store_vector(db, key, &items[i], sqlite3_column_blob(c, 1), dim, 0, e);
			st->cached++;
			free(items[i].text);
		} else {
			items[keep++] = items[i];
		}
		sqlite3_reset(c);
	}
	sqlite3_finalize(c);
	if (rc < 0 || db_exec(db, "COMMIT", e) < 0) {
		if (!sqlite3_get_autocommit(db_handle(db)))
			db_exec(db, "ROLLBACK", NULL);
		items_free(items, keep);
		return -1;
	}
	n = keep;
	if (!n) {
		free(items);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		st->tokens += tokens_estimate(strlen(items[i].text));
	char *pname = NULL, *mname = NULL;
	if (provider_split_model(kb->set.embed, &pname, &mname, e) < 0) {
		items_free(items, n);
		return -1;
	}
	if (o->catalog) {
		const struct catalog_entry *ce = catalog_find(o->catalog, pname, provider_type_of(o->cfg, pname), mname);
		if (ce)
			st->cost_usd = catalog_cost(ce, st->tokens, 0);
	}
	if (st->cost_usd > o->max_cost_usd && !(o->confirm && o->confirm(o->ud, st))) {
		err_set(e, "embedding %lld chunks with %s would cost about $%.2f, over the $%.2f limit; "
			"pass --yes to go ahead", (long long)n, kb->set.embed, st->cost_usd, o->max_cost_usd);
		free(pname);
		free(mname);
		items_free(items, n);
		return -1;
	}
	struct job j = { db, kb, o, st, NULL, mname, key, items, n, 0, 0, 0, ERR_INIT };
	j.p = provider_open(o->cfg, pname, e);
	free(pname);
	if (!j.p) {
		free(mname);
		items_free(items, n);
		return -1;
	}
	start_next(&j);
	if (j.inflight)
		loop_run(o->loop);
	provider_free(j.p);
	free(mname);
	items_free(items, n);
	if (j.failed)
		return err_set(e, "embedding stopped: %s; the chunks embedded so far are kept and the next "
			       "'aiwb kb sync %s' embeds the rest", j.err.msg, kb->name);
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
