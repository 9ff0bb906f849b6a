/* kb/store — knowledge bases in the one database (tables kbs, kb_roots,
 * kb_files, kb_docs, kb_chunks of src/store/db.c).
 *
 * A KB has settings (chunker, chunk size, overlap, embedding model, BM25
 * column weights, file size cap), the roots it was given (paths with their
 * ingest options, for sync), the files read from them (size, mtime, sha256
 * and the signature of the settings they were chunked with), the documents
 * of each file (text, title, metadata JSON) and their chunks (byte offsets
 * into the document text, heading path, token estimate). Each KB has an
 * FTS5 table kb_fts_<id> (title, heading, text; porter + unicode61 with
 * diacritics removed, rowid = chunk id) that also keeps each chunk's text, so
 * a chunk is read or deleted without reading its whole document (the text is
 * stored twice: once as the document, once per chunk).
 *
 * Writers are called inside db_tx (kb/ingest.h groups files into batches);
 * replacing a file's documents deletes their FTS5 rows in the same
 * transaction (kb_store_check runs FTS5's integrity-check and checks that
 * index and chunks match one to one). Results are caller-owned. */
#ifndef AIWB_KB_STORE_H
#define AIWB_KB_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "kb/chunk.h"
#include "kb/extract.h"

struct db;

#define KB_NAME_MAX 64
#define KB_DEFAULT_MAX_FILE_BYTES ((int64_t)1 << 30)

struct kb_settings {
	enum kb_chunker chunker;
	int chunk_tokens, overlap;
	char embed[160];                   /* PROVIDER/MODEL or "" */
	int embed_dims;                    /* vector length asked of the model; 0: its own */
	double w_title, w_heading, w_text; /* bm25() column weights */
	int64_t max_file_bytes;
	char source[16];                   /* "" local; "bedrock" an attached Bedrock knowledge base */
	char remote_id[64];                /* bedrock: the knowledge base id */
	char region[32];                   /* bedrock: its region ("" the default) */
	int redact;                        /* text masked by the local guard before it is chunked */
};

struct kb {
	int64_t id;
	char *name;
	struct kb_settings set;
	int64_t created_ms, synced_ms;     /* synced_ms 0: never */
	int64_t docs, chunks, bytes, files;
};

void kb_settings_default(struct kb_settings *s);
/* 1 when the KB lives in a service (kb/bedrockkb.h) rather than here. */
int kb_is_remote(const struct kb *kb);
/* The settings as JSON text (caller frees), and back (unknown keys ignored). */
char *kb_settings_json(const struct kb_settings *s);
void kb_settings_parse(const char *json, struct kb_settings *s);
/* The part of the settings that decides chunks (chunker, sizes, redaction);
 * a file chunked with another signature is chunked again on the next add or
 * sync. Caller frees. */
char *kb_settings_signature(const struct kb_settings *s, const char *ingest_options);

/* A name is 1..KB_NAME_MAX of [A-Za-z0-9_.-], not starting with '.' or '-'. */
int kb_name_valid(const char *name);

int kb_store_create(struct db *db, const char *name, const struct kb_settings *s, struct err *e);
/* 1 found, 0 no such KB, -1 error. */
int kb_store_get(struct db *db, const char *name, struct kb *out, struct err *e);
int kb_store_list(struct db *db, struct kb **out, size_t *n, struct err *e);
void kb_free(struct kb *k);
void kb_list_free(struct kb *v, size_t n);
/* 1 removed, 0 no such KB, -1 error. */
int kb_store_remove(struct db *db, const char *name, struct err *e);
/* The KB's vector index file beside the database (kb/vecindex.h; caller frees),
 * removed with the KB. */
char *kb_store_vecindex_path(struct db *db, int64_t kb_id);
/* Stores the settings; when the embedding model or its dimensions change,
 * the KB's vectors are dropped (the next sync embeds with the new model; the cache keeps the
 * old ones under their model). */
int kb_store_set_settings(struct db *db, int64_t kb_id, const struct kb_settings *s, struct err *e);
int kb_store_set_synced(struct db *db, int64_t kb_id, int64_t ms, struct err *e);

/* Roots: abs path -> options JSON (ingest options and the display name). */
int kb_store_root_put(struct db *db, int64_t kb_id, const char *path, const char *options, struct err *e);
int kb_store_roots(struct db *db, int64_t kb_id, char ***paths, char ***options, size_t *n, struct err *e);
void kb_strings_free(char **v, size_t n);

struct kb_file {
	int64_t id, size, mtime_ns;
	char sha256[65];
	char *signature;
};
/* 1 found (free out->signature), 0 absent, -1 error. */
int kb_store_file_get(struct db *db, int64_t kb_id, const char *path, struct kb_file *out, struct err *e);
int kb_store_file_touch(struct db *db, int64_t file_id, int64_t mtime_ns, struct err *e);

/* One document ready to store: extracted text with its chunks. */
struct kb_doc_in {
	const struct kb_doc *doc;
	const char *path;       /* display path of its file */
	const char *format;
	int64_t mtime_ns;
	const struct kb_chunk *chunks;
	size_t nchunks;
};
/* Replaces whatever the KB held for the file at path with docs. Returns the
 * number of chunks stored, or -1 with e (a document name already taken by
 * another file is an error naming it). */
int64_t kb_store_file_put(struct db *db, const struct kb *kb, const char *path, int64_t size, int64_t mtime_ns,
			  const char *sha256, const char *signature, const struct kb_doc_in *docs, size_t ndocs,
			  struct err *e);
/* kb_store_file_put in two steps, for a file stored in parts: begin records
 * the file and drops its old documents (returns the file id or -1), each
 * docs_add adds documents (returns the chunks stored or -1). */
int64_t kb_store_file_begin(struct db *db, const struct kb *kb, const char *path, int64_t size, int64_t mtime_ns,
			    const char *sha256, const char *signature, struct err *e);
int64_t kb_store_docs_add(struct db *db, const struct kb *kb, int64_t file_id, const struct kb_doc_in *docs,
			  size_t ndocs, struct err *e);
int kb_store_file_delete(struct db *db, int64_t kb_id, int64_t file_id, struct err *e);
/* Every file of the KB: calls fn(ud, id, path) in path order; fn returns non-zero to stop. */
int kb_store_files_each(struct db *db, int64_t kb_id, int (*fn)(void *ud, int64_t id, const char *path), void *ud,
			struct err *e);

struct kb_doc_row {
	int64_t id;
	char *name, *path, *title, *format, *meta; /* meta: JSON object text */
	int64_t bytes, mtime_ns, chunks;
	char sha256[65];
};
struct kb_chunk_row {
	int64_t id;
	int seq, tokens;
	size_t start, end;
	char *heading;
};
int kb_store_docs(struct db *db, int64_t kb_id, struct kb_doc_row **out, size_t *n, struct err *e);
void kb_doc_rows_free(struct kb_doc_row *v, size_t n);
/* The document named name (or whose name ends with "#name" or "/name" when
 * that is unique); 1 found, 0 absent, -1 error. body and chunks may be NULL
 * when not wanted. */
/* The path of the file document doc_id came from (caller frees); 1 found, 0
 * absent, -1 error. */
int kb_store_doc_file(struct db *db, int64_t doc_id, char **path, struct err *e);
int kb_store_doc(struct db *db, int64_t kb_id, const char *name, struct kb_doc_row *out, char **body, size_t *len,
		 struct kb_chunk_row **chunks, size_t *nchunks, struct err *e);
void kb_doc_row_free(struct kb_doc_row *r);
void kb_chunk_rows_free(struct kb_chunk_row *v, size_t n);

/* FTS5 integrity-check of the KB's index against its documents, and every
 * chunk inside its document: 0 when sound, -1 with e naming the problem. */
int kb_store_check(struct db *db, int64_t kb_id, struct err *e);

#endif
