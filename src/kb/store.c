#include "kb/store.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/digest.h"
#include "base/xmalloc.h"
#include "store/db.h"

void kb_settings_default(struct kb_settings *s)
{
	memset(s, 0, sizeof *s);
	s->chunker = KB_CHUNK_MARKDOWN;
	s->chunk_tokens = 512;
	s->overlap = 64;
	s->w_title = 1.0;
	s->w_heading = 1.0;
	s->w_text = 1.0;
	s->max_file_bytes = KB_DEFAULT_MAX_FILE_BYTES;
}

int kb_is_remote(const struct kb *kb)
{
	return kb && kb->set.source[0] != '\0';
}

char *kb_settings_json(const struct kb_settings *s)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "chunker", kb_chunker_name(s->chunker));
	cJSON_AddNumberToObject(o, "chunk_tokens", s->chunk_tokens);
	cJSON_AddNumberToObject(o, "overlap", s->overlap);
	if (s->embed[0])
		cJSON_AddStringToObject(o, "embed", s->embed);
	else
		cJSON_AddNullToObject(o, "embed");
	if (s->embed_dims > 0)
		cJSON_AddNumberToObject(o, "embed_dims", s->embed_dims);
	cJSON *w = cJSON_AddObjectToObject(o, "weights");
	cJSON_AddNumberToObject(w, "title", s->w_title);
	cJSON_AddNumberToObject(w, "heading", s->w_heading);
	cJSON_AddNumberToObject(w, "text", s->w_text);
	cJSON_AddNumberToObject(o, "max_file_bytes", (double)s->max_file_bytes);
	cJSON_AddBoolToObject(o, "redact", s->redact != 0);
	if (s->source[0]) {
		cJSON_AddStringToObject(o, "source", s->source);
		cJSON_AddStringToObject(o, "remote_id", s->remote_id);
		cJSON_AddStringToObject(o, "region", s->region);
	}
	char *out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return out;
}

static double number_or(const cJSON *o, const char *key, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

void kb_settings_parse(const char *json, struct kb_settings *s)
{
	kb_settings_default(s);
	cJSON *o = json ? cJSON_Parse(json) : NULL;
	if (!o)
		return;
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "chunker");
	if (cJSON_IsString(c) && kb_chunker_parse(c->valuestring) >= 0)
		s->chunker = (enum kb_chunker)kb_chunker_parse(c->valuestring);
	s->chunk_tokens = (int)number_or(o, "chunk_tokens", s->chunk_tokens);
	s->overlap = (int)number_or(o, "overlap", s->overlap);
	const cJSON *em = cJSON_GetObjectItemCaseSensitive(o, "embed");
	if (cJSON_IsString(em))
		snprintf(s->embed, sizeof s->embed, "%s", em->valuestring);
	s->embed_dims = (int)number_or(o, "embed_dims", 0);
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(o, "weights");
	s->w_title = number_or(w, "title", s->w_title);
	s->w_heading = number_or(w, "heading", s->w_heading);
	s->w_text = number_or(w, "text", s->w_text);
	s->max_file_bytes = (int64_t)number_or(o, "max_file_bytes", (double)s->max_file_bytes);
	s->redact = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "redact"));
	static const struct { const char *key; size_t off, size; } texts[] = {
		{ "source", offsetof(struct kb_settings, source), sizeof s->source },
		{ "remote_id", offsetof(struct kb_settings, remote_id), sizeof s->remote_id },
		{ "region", offsetof(struct kb_settings, region), sizeof s->region },
	};
	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, texts[i].key);
		if (cJSON_IsString(t) && strlen(t->valuestring) < texts[i].size)
			memcpy((char *)s + texts[i].off, t->valuestring, strlen(t->valuestring) + 1);
	}
	cJSON_Delete(o);
}

char *kb_settings_signature(const struct kb_settings *s, const char *ingest_options)
{
	return xasprintf("%s/%d/%d/%s%s", kb_chunker_name(s->chunker), s->chunk_tokens, s->overlap,
			 ingest_options ? ingest_options : "", s->redact ? "/redact" : "");
}

int kb_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > KB_NAME_MAX || name[0] == '.' || name[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

static int step_done(struct db *db, sqlite3_stmt *st, struct err *e)
{
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_fail(db, e);
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

static char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return xstrdup(t ? (const char *)t : "");
}

/* What a transaction on one knowledge base's row needs: its name (create) or id. */
struct kb_tx {
	const char *name;
	int64_t kb_id;
	const struct kb_settings *s;
};

static int create_tx(struct db *db, void *ud, struct err *e)
{
	const struct kb_tx *c = ud;
	sqlite3_stmt *st = db_prepare(db, "INSERT INTO kbs (name, settings, created_ms) VALUES (?1, ?2, ?3)", e);
	if (!st)
		return -1;
	char *json = kb_settings_json(c->s);
	sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, json, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, clock_wall_ms());
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	free(json);
	if (rc == SQLITE_CONSTRAINT || (rc & 0xff) == SQLITE_CONSTRAINT)
		return err_set(e, "a knowledge base named %s already exists; pick another name or 'aiwb kb rm %s' first",
			       c->name, c->name);
	if (rc != SQLITE_DONE)
		return db_fail(db, e);
	long long id = sqlite3_last_insert_rowid(db_handle(db));
	char *sql = xasprintf("CREATE VIRTUAL TABLE kb_fts_%lld USING fts5(title, heading, text,"
			      " tokenize='porter unicode61 remove_diacritics 2');", id);
	int r = db_exec(db, sql, e);
	free(sql);
	return r;
}

int kb_store_create(struct db *db, const char *name, const struct kb_settings *s, struct err *e)
{
	struct kb_tx c = { .name = name, .s = s };
	return db_tx(db, create_tx, &c, e);
}

#define KB_COLUMNS \
	"k.id, k.name, k.settings, k.created_ms, coalesce(k.synced_ms, 0)," \
	" (SELECT count(*) FROM kb_docs d WHERE d.kb_id = k.id)," \
	" (SELECT count(*) FROM kb_chunks c JOIN kb_docs d ON d.id = c.doc_id WHERE d.kb_id = k.id)," \
	" (SELECT coalesce(sum(d.bytes), 0) FROM kb_docs d WHERE d.kb_id = k.id)," \
	" (SELECT count(*) FROM kb_files f WHERE f.kb_id = k.id)"

static void read_kb(sqlite3_stmt *st, void *kb)
{
	struct kb *k = kb;
	memset(k, 0, sizeof *k);
	k->id = sqlite3_column_int64(st, 0);
	k->name = col_text(st, 1);
	kb_settings_parse((const char *)sqlite3_column_text(st, 2), &k->set);
	k->created_ms = sqlite3_column_int64(st, 3);
	k->synced_ms = sqlite3_column_int64(st, 4);
	k->docs = sqlite3_column_int64(st, 5);
	k->chunks = sqlite3_column_int64(st, 6);
	k->bytes = sqlite3_column_int64(st, 7);
	k->files = sqlite3_column_int64(st, 8);
}

int kb_store_get(struct db *db, const char *name, struct kb *out, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT " KB_COLUMNS " FROM kbs k WHERE k.name = ?1", e);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), found = 0;
	if (rc == SQLITE_ROW) {
		read_kb(st, out);
		found = 1;
	} else if (rc != SQLITE_DONE) {
		found = db_fail(db, e);
	}
	sqlite3_finalize(st);
	return found;
}

int kb_store_list(struct db *db, struct kb **out, size_t *n, struct err *e)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = db_prepare(db, "SELECT " KB_COLUMNS " FROM kbs k ORDER BY k.name", e);
	return st ? db_collect(db, st, out, n, sizeof **out, read_kb, e) : -1;
}

void kb_free(struct kb *k)
{
	if (k) {
		free(k->name);
		k->name = NULL;
	}
}

void kb_list_free(struct kb *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kb_free(&v[i]);
	free(v);
}

static int remove_tx(struct db *db, void *ud, struct err *e)
{
	const struct kb *k = ud;
	char *sql = xasprintf("DROP TABLE IF EXISTS kb_fts_%lld;"
			      "DELETE FROM kb_chunks WHERE doc_id IN (SELECT id FROM kb_docs WHERE kb_id = %lld);"
			      "DELETE FROM kb_docs WHERE kb_id = %lld; DELETE FROM kbs WHERE id = %lld;",
			      (long long)k->id, (long long)k->id, (long long)k->id, (long long)k->id);
	int rc = db_exec(db, sql, e);
	free(sql);
	return rc;
}

int kb_store_remove(struct db *db, const char *name, struct err *e)
{
	struct kb k;
	int found = kb_store_get(db, name, &k, e);
	if (found <= 0)
		return found;
	int rc = db_tx(db, remove_tx, &k, e);
	if (rc >= 0) {
		char *index = kb_store_vecindex_path(db, k.id);
		unlink(index);
		free(index);
	}
	kb_free(&k);
	return rc < 0 ? -1 : 1;
}

char *kb_store_vecindex_path(struct db *db, int64_t kb_id)
{
	const char *p = db_path(db);
	const char *slash = strrchr(p, '/');
	return slash ? xasprintf("%.*s/kb/%lld.vec", (int)(slash - p), p, (long long)kb_id)
		     : xasprintf("kb/%lld.vec", (long long)kb_id);
}

static int settings_tx(struct db *db, void *ud, struct err *e)
{
	const struct kb_tx *c = ud;
	sqlite3_stmt *st = db_prepare(db, "SELECT settings FROM kbs WHERE id = ?1", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, c->kb_id);
	struct kb_settings old;
	kb_settings_parse(sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL, &old);
	sqlite3_finalize(st);
	if (strcmp(old.embed, c->s->embed) != 0 || old.embed_dims != c->s->embed_dims) {
		st = db_prepare(db, "DELETE FROM kb_vectors WHERE chunk_id IN (SELECT c.id FROM kb_chunks c"
				    " JOIN kb_docs d ON d.id = c.doc_id WHERE d.kb_id = ?1)", e);
		if (!st)
			return -1;
		sqlite3_bind_int64(st, 1, c->kb_id);
		int rc = step_done(db, st, e);
		sqlite3_finalize(st);
		if (rc < 0)
			return -1;
	}
	st = db_prepare(db, "UPDATE kbs SET settings = ?2 WHERE id = ?1", e);
	if (!st)
		return -1;
	char *json = kb_settings_json(c->s);
	sqlite3_bind_int64(st, 1, c->kb_id);
	sqlite3_bind_text(st, 2, json, -1, SQLITE_STATIC);
	int rc = step_done(db, st, e);
	sqlite3_finalize(st);
	free(json);
	return rc;
}

int kb_store_set_settings(struct db *db, int64_t kb_id, const struct kb_settings *s, struct err *e)
{
	struct kb_tx c = { .kb_id = kb_id, .s = s };
	return db_tx(db, settings_tx, &c, e);
}

int kb_store_set_synced(struct db *db, int64_t kb_id, int64_t ms, struct err *e)
{
	return db_run_ids(db, "UPDATE kbs SET synced_ms = ?2 WHERE id = ?1", kb_id, ms, e);
}

int kb_store_root_put(struct db *db, int64_t kb_id, const char *path, const char *options, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "INSERT INTO kb_roots (kb_id, path, options) VALUES (?1, ?2, ?3)"
					  " ON CONFLICT(kb_id, path) DO UPDATE SET options = excluded.options"
					  " WHERE options IS NOT excluded.options", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, kb_id);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, options, -1, SQLITE_STATIC);
	int rc = step_done(db, st, e);
	sqlite3_finalize(st);
	return rc;
}

int kb_store_roots(struct db *db, int64_t kb_id, char ***paths, char ***options, size_t *n, struct err *e)
{
	*paths = *options = NULL;
	*n = 0;
	sqlite3_stmt *st = db_prepare(db, "SELECT path, options FROM kb_roots WHERE kb_id = ?1 ORDER BY path", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, kb_id);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 4;
			*paths = xreallocarray(*paths, cap, sizeof **paths);
			*options = xreallocarray(*options, cap, sizeof **options);
		}
		(*paths)[*n] = col_text(st, 0);
		(*options)[*n] = col_text(st, 1);
		(*n)++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, e);
}

void kb_strings_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int kb_store_file_get(struct db *db, int64_t kb_id, const char *path, struct kb_file *out, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT id, size, mtime_ns, sha256, signature FROM kb_files"
					  " WHERE kb_id = ?1 AND path = ?2", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, kb_id);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), found = 0;
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		out->size = sqlite3_column_int64(st, 1);
		out->mtime_ns = sqlite3_column_int64(st, 2);
		snprintf(out->sha256, sizeof out->sha256, "%s", (const char *)sqlite3_column_text(st, 3));
		out->signature = col_text(st, 4);
		found = 1;
	} else if (rc != SQLITE_DONE) {
		found = db_fail(db, e);
	}
	sqlite3_finalize(st);
	return found;
}

int kb_store_file_touch(struct db *db, int64_t file_id, int64_t mtime_ns, struct err *e)
{
	return db_run_ids(db, "UPDATE kb_files SET mtime_ns = ?2 WHERE id = ?1", file_id, mtime_ns, e);
}

static int delete_file_rows(struct db *db, int64_t kb_id, int64_t file_id, struct err *e)
{
	char *sql = xasprintf("DELETE FROM kb_fts_%lld WHERE rowid IN (SELECT c.id FROM kb_chunks c"
			      " JOIN kb_docs d ON d.id = c.doc_id WHERE d.file_id = ?1)", (long long)kb_id);
	int rc = db_run_ids(db, sql, file_id, 0, e);
	free(sql);
	if (rc < 0 ||
	    db_run_ids(db, "DELETE FROM kb_chunks WHERE doc_id IN (SELECT id FROM kb_docs WHERE file_id = ?1)", file_id,
		       0, e) < 0)
		return -1;
	return db_run_ids(db, "DELETE FROM kb_docs WHERE file_id = ?1", file_id, 0, e);
}

int kb_store_file_delete(struct db *db, int64_t kb_id, int64_t file_id, struct err *e)
{
	if (delete_file_rows(db, kb_id, file_id, e) < 0)
		return -1;
	return db_run_ids(db, "DELETE FROM kb_files WHERE id = ?1", file_id, 0, e);
}

struct put_stmts {
	sqlite3_stmt *doc, *chunk, *fts;
};

static void put_stmts_free(struct put_stmts *p)
{
	sqlite3_finalize(p->doc);
	sqlite3_finalize(p->chunk);
	sqlite3_finalize(p->fts);
}

int64_t kb_store_file_begin(struct db *db, const struct kb *kb, const char *path, int64_t size, int64_t mtime_ns,
			    const char *sha256, const char *signature, struct err *e)
{
	struct kb_file old;
	int had = kb_store_file_get(db, kb->id, path, &old, e);
	if (had < 0)
		return -1;
	if (had) {
		free(old.signature);
		if (delete_file_rows(db, kb->id, old.id, e) < 0)
			return -1;
	}
	/* the same parameters for both; ?1 is the file's id when it had a row, else the kb's */
	sqlite3_stmt *st = db_prepare(db, had ? "UPDATE kb_files SET size = ?3, mtime_ns = ?4, sha256 = ?5,"
						" signature = ?6 WHERE id = ?1 AND path = ?2"
					      : "INSERT INTO kb_files (kb_id, path, size, mtime_ns, sha256, signature)"
						" VALUES (?1, ?2, ?3, ?4, ?5, ?6)", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, had ? old.id : kb->id);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, size);
	sqlite3_bind_int64(st, 4, mtime_ns);
	sqlite3_bind_text(st, 5, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, signature, -1, SQLITE_STATIC);
	int rc = step_done(db, st, e);
	sqlite3_finalize(st);
	if (rc < 0)
		return -1;
	return had ? old.id : sqlite3_last_insert_rowid(db_handle(db));
}

int64_t kb_store_docs_add(struct db *db, const struct kb *kb, int64_t file_id, const struct kb_doc_in *docs,
			  size_t ndocs, struct err *e)
{
	struct put_stmts p = { 0 };
	p.doc = db_prepare(db, "INSERT INTO kb_docs (kb_id, file_id, name, path, title, format, bytes, mtime_ns,"
			       " sha256, meta, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", e);
	p.chunk = p.doc ? db_prepare(db, "INSERT INTO kb_chunks (doc_id, seq, start, end, heading, tokens)"
				     " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", e) : NULL;
	if (p.chunk) {
		char *sql = xasprintf("INSERT INTO kb_fts_%lld (rowid, title, heading, text) VALUES (?1, ?2, ?3, ?4)",
				      (long long)kb->id);
		p.fts = db_prepare(db, sql, e);
		free(sql);
	}
	if (!p.fts) {
		put_stmts_free(&p);
		return -1;
	}
	int64_t nchunks = 0;
	for (size_t i = 0; i < ndocs; i++) {
		const struct kb_doc *d = docs[i].doc;
		char sha[65];
		sha256_hex(d->body, d->len, sha);
		char *meta = cJSON_PrintUnformatted(d->meta);
		sqlite3_bind_int64(p.doc, 1, kb->id);
		sqlite3_bind_int64(p.doc, 2, file_id);
		sqlite3_bind_text(p.doc, 3, d->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(p.doc, 4, docs[i].path, -1, SQLITE_STATIC);
		sqlite3_bind_text(p.doc, 5, d->title, -1, SQLITE_STATIC);
		sqlite3_bind_text(p.doc, 6, docs[i].format, -1, SQLITE_STATIC);
		sqlite3_bind_int64(p.doc, 7, (int64_t)d->len);
		sqlite3_bind_int64(p.doc, 8, docs[i].mtime_ns);
		sqlite3_bind_text(p.doc, 9, sha, -1, SQLITE_STATIC);
		sqlite3_bind_text(p.doc, 10, meta ? meta : "{}", -1, SQLITE_STATIC);
		sqlite3_bind_text(p.doc, 11, d->body, (int)d->len, SQLITE_STATIC);
		int rc = sqlite3_step(p.doc);
		sqlite3_reset(p.doc);
		free(meta);
		if (rc != SQLITE_DONE) {
			if ((rc & 0xff) == SQLITE_CONSTRAINT)
				err_set(e, "another file already gave a document the name %s", d->name);
			else
				db_fail(db, e);
			put_stmts_free(&p);
			return -1;
		}
		int64_t doc_id = sqlite3_last_insert_rowid(db_handle(db));
		for (size_t c = 0; c < docs[i].nchunks; c++) {
			const struct kb_chunk *ch = &docs[i].chunks[c];
			sqlite3_bind_int64(p.chunk, 1, doc_id);
			sqlite3_bind_int64(p.chunk, 2, (int64_t)c);
			sqlite3_bind_int64(p.chunk, 3, (int64_t)ch->start);
			sqlite3_bind_int64(p.chunk, 4, (int64_t)ch->end);
			sqlite3_bind_text(p.chunk, 5, ch->heading, -1, SQLITE_STATIC);
			sqlite3_bind_int64(p.chunk, 6, ch->tokens);
			if (step_done(db, p.chunk, e) < 0) {
				put_stmts_free(&p);
				return -1;
			}
			sqlite3_bind_int64(p.fts, 1, sqlite3_last_insert_rowid(db_handle(db)));
			sqlite3_bind_text(p.fts, 2, d->title, -1, SQLITE_STATIC);
			sqlite3_bind_text(p.fts, 3, ch->heading, -1, SQLITE_STATIC);
			sqlite3_bind_text(p.fts, 4, d->body + ch->start, (int)(ch->end - ch->start), SQLITE_STATIC);
			if (step_done(db, p.fts, e) < 0) {
				put_stmts_free(&p);
				return -1;
			}
			nchunks++;
		}
	}
	put_stmts_free(&p);
	return nchunks;
}

int64_t kb_store_file_put(struct db *db, const struct kb *kb, const char *path, int64_t size, int64_t mtime_ns,
			  const char *sha256, const char *signature, const struct kb_doc_in *docs, size_t ndocs,
			  struct err *e)
{
	int64_t file_id = kb_store_file_begin(db, kb, path, size, mtime_ns, sha256, signature, e);
	return file_id < 0 ? -1 : kb_store_docs_add(db, kb, file_id, docs, ndocs, e);
}

struct file_each {
	int (*fn)(void *ud, int64_t id, const char *path);
	void *ud;
};

static int file_row(void *ud, sqlite3_stmt *st)
{
	struct file_each *f = ud;
	return f->fn(f->ud, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1));
}

int kb_store_files_each(struct db *db, int64_t kb_id, int (*fn)(void *ud, int64_t id, const char *path), void *ud,
			struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT id, path FROM kb_files WHERE kb_id = ?1 ORDER BY path", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, kb_id);
	struct file_each f = { fn, ud };
	return db_each_row(db, st, file_row, &f, e);
}

#define DOC_COLUMNS \
	"d.id, d.name, d.path, d.title, d.format, d.meta, d.bytes, d.mtime_ns, d.sha256," \
	" (SELECT count(*) FROM kb_chunks c WHERE c.doc_id = d.id)"

static void read_doc(sqlite3_stmt *st, void *row)
{
	struct kb_doc_row *r = row;
	r->id = sqlite3_column_int64(st, 0);
	r->name = col_text(st, 1);
	r->path = col_text(st, 2);
	r->title = col_text(st, 3);
	r->format = col_text(st, 4);
	r->meta = col_text(st, 5);
	r->bytes = sqlite3_column_int64(st, 6);
	r->mtime_ns = sqlite3_column_int64(st, 7);
	snprintf(r->sha256, sizeof r->sha256, "%s", (const char *)sqlite3_column_text(st, 8));
	r->chunks = sqlite3_column_int64(st, 9);
}

int kb_store_docs(struct db *db, int64_t kb_id, struct kb_doc_row **out, size_t *n, struct err *e)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = db_prepare(db, "SELECT " DOC_COLUMNS " FROM kb_docs d WHERE d.kb_id = ?1 ORDER BY d.name", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, kb_id);
	return db_collect(db, st, out, n, sizeof **out, read_doc, e);
}

void kb_doc_row_free(struct kb_doc_row *r)
{
	free(r->name);
	free(r->path);
	free(r->title);
	free(r->format);
	free(r->meta);
}

void kb_doc_rows_free(struct kb_doc_row *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kb_doc_row_free(&v[i]);
	free(v);
}

void kb_chunk_rows_free(struct kb_chunk_row *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].heading);
	free(v);
}

static void read_chunk(sqlite3_stmt *st, void *row)
{
	struct kb_chunk_row *c = row;
	c->id = sqlite3_column_int64(st, 0);
	c->seq = sqlite3_column_int(st, 1);
	c->start = (size_t)sqlite3_column_int64(st, 2);
	c->end = (size_t)sqlite3_column_int64(st, 3);
	c->heading = col_text(st, 4);
	c->tokens = sqlite3_column_int(st, 5);
}

int kb_store_doc(struct db *db, int64_t kb_id, const char *name, struct kb_doc_row *out, char **body, size_t *len,
		 struct kb_chunk_row **chunks, size_t *nchunks, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT " DOC_COLUMNS ", d.body FROM kb_docs d WHERE d.kb_id = ?1 AND"
					  " (d.name = ?2 OR d.name LIKE '%#' || ?3 ESCAPE '\\' OR d.name LIKE '%/' || ?3"
					  " ESCAPE '\\') ORDER BY d.name = ?2 DESC LIMIT 2", e);
	if (!st)
		return -1;
	/* LIKE wildcards in the name are escaped */
	struct buf esc = BUF_INIT;
	for (const char *p = name; *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			buf_putc(&esc, '\\');
		buf_putc(&esc, *p);
	}
	sqlite3_bind_int64(st, 1, kb_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, buf_str(&esc), -1, SQLITE_STATIC);
	int found = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (found) {
			if (strcmp(out->name, name) != 0) {
				err_set(e, "more than one document ends with %s; give its full name as 'aiwb kb docs' lists it", name);
				kb_doc_row_free(out);
				if (body)
					free(*body);
				found = -1;
			}
			break;
		}
		read_doc(st, out);
		if (body) {
			*len = (size_t)sqlite3_column_bytes(st, 10);
			*body = xstrndup((const char *)sqlite3_column_text(st, 10), *len);
		}
		found = 1;
	}
	buf_free(&esc);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		if (found > 0) {
			kb_doc_row_free(out);
			if (body)
				free(*body);
		}
		return db_fail(db, e);
	}
	if (found <= 0 || !chunks)
		return found;
	*chunks = NULL;
	*nchunks = 0;
	st = db_prepare(db, "SELECT id, seq, start, end, heading, tokens FROM kb_chunks WHERE doc_id = ?1 ORDER BY seq", e);
	if (!st) {
		kb_doc_row_free(out);
		return -1;
	}
	sqlite3_bind_int64(st, 1, out->id);
	db_collect(db, st, chunks, nchunks, sizeof **chunks, read_chunk, NULL);
	return 1;
}

int kb_store_check(struct db *db, int64_t kb_id, struct err *e)
{
	char *sql = xasprintf("INSERT INTO kb_fts_%lld (kb_fts_%lld, rank) VALUES ('integrity-check', 1)",
			      (long long)kb_id, (long long)kb_id);
	struct err inner = ERR_INIT;
	int rc = db_exec(db, sql, &inner);
	free(sql);
	if (rc < 0)
		return err_set(e, "the search index does not match the documents (%s); run 'aiwb kb sync' again",
			       inner.msg);
	sql = xasprintf("SELECT (SELECT count(*) FROM kb_chunks c JOIN kb_docs d ON d.id = c.doc_id"
			" WHERE d.kb_id = ?1 AND (c.start < 0 OR c.end > d.bytes OR c.start >= c.end))"
			" + (SELECT count(*) FROM kb_chunks c JOIN kb_docs d ON d.id = c.doc_id WHERE d.kb_id = ?1"
			" AND NOT EXISTS (SELECT 1 FROM kb_fts_%lld f WHERE f.rowid = c.id))"
			" + (SELECT count(*) FROM kb_fts_%lld f WHERE NOT EXISTS (SELECT 1 FROM kb_chunks c"
			" WHERE c.id = f.rowid))", (long long)kb_id, (long long)kb_id);
	sqlite3_stmt *st = db_prepare(db, sql, e);
	free(sql);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, kb_id);
	int64_t bad = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	if (bad != 0)
		return err_set(e, "%lld chunks lie outside their documents or are missing from the search index "
			       "(or the index holds chunks that are gone)", (long long)bad);
	return 0;
}

int kb_store_doc_file(struct db *db, int64_t doc_id, char **path, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT f.path FROM kb_docs d JOIN kb_files f ON f.id = d.file_id WHERE d.id = ?1",
				      e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, doc_id);
	int rc = sqlite3_step(st), found = 0;
	if (rc == SQLITE_ROW) {
		*path = col_text(st, 0);
		found = 1;
	} else if (rc != SQLITE_DONE) {
		found = db_fail(db, e);
	}
	sqlite3_finalize(st);
	return found;
}
