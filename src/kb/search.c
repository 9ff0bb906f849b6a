#include "kb/search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "kb/filter.h"
#include "kb/query.h"
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
static int details(struct db *db, struct kb_results *out, int with_text, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT d.id, d.name, d.path, d.title, d.meta, c.seq, c.start, c.end, c.heading,"
					  " CASE WHEN ?2 THEN substr(CAST(d.body AS BLOB), c.start + 1, c.end - c.start) END"
					  " FROM kb_chunks c JOIN kb_docs d ON d.id = c.doc_id WHERE c.id = ?1", e);
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

static int bm25_top(struct db *db, const struct kb *kb, const char *fts, const struct kb_filter *f, int k,
		    struct kb_results *out, struct err *e)
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
	out->v = xcalloc((size_t)k, sizeof *out->v);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->n < (size_t)k) {
		struct kb_hit *h = &out->v[out->n++];
		h->chunk_id = sqlite3_column_int64(st, 0);
		h->bm25 = h->score = sqlite3_column_double(st, 1);
		h->rank = h->bm25_rank = (int)out->n;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return err_set(e, "database error on %s: %s", db_path(db), sqlite3_errmsg(db_handle(db)));
	return 0;
}

int kb_search(struct db *db, const struct kb *kb, const struct kb_search_opts *o, struct kb_results *out,
	      struct err *e)
{
	memset(out, 0, sizeof *out);
	if (o->mode != KB_MODE_BM25)
		return err_set(e, "%s search needs stored embeddings, which this aiwb does not compute yet; "
			       "use --mode bm25", kb_mode_name(o->mode));
	int k = o->k < 1 ? 10 : o->k > KB_SEARCH_K_MAX ? KB_SEARCH_K_MAX : o->k;
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
	int rc = 0;
	if (q.fts) {
		rc = bm25_top(db, kb, q.fts, has_filter ? &f : NULL, k, out, e);
		if (rc == 0 && out->n)
			rc = details(db, out, o->with_text, e);
	}
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
	}
	free(r->v);
	for (size_t i = 0; i < r->nwords; i++)
		free(r->words[i]);
	free(r->words);
	free(r->fts);
	free(r->filter_sql);
	memset(r, 0, sizeof *r);
}
