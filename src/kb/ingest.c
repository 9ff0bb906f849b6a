#include "kb/ingest.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/digest.h"
#include "base/json.h"
#include "base/xmalloc.h"
#include "kb/chunk.h"
#include "kb/extract.h"
#include "kb/text.h"
#include "store/db.h"

#define BATCH_TEXT_BYTES ((int64_t)16 << 20)
#define KB_PART_BYTES ((int64_t)4 << 20)

#define KB_SKIP_TEXT(name, text) text,
static const char *const skip_texts[] = { KB_SKIP_REASONS(KB_SKIP_TEXT) };
#undef KB_SKIP_TEXT

const char *kb_skip_reason(enum kb_skip r)
{
	return (unsigned)r < KB_SKIP_N ? skip_texts[r] : "skipped";
}

struct file_entry {
	char *abs;      /* absolute path */
	char *display;  /* document path */
	char *rel;      /* below the root, for GLOBs */
	int64_t size, mtime_ns;
	int skip;       /* -1 or enum kb_skip */
};

struct walk {
	struct file_entry *v;
	size_t n, cap;
	const struct kb_ingest_opts *o;
	struct kb_ingest_stats *st;
};

static void walk_add(struct walk *w, const char *abs, const char *display, const char *rel, const struct stat *sb,
		     int skip)
{
	XGROW(w->v, w->cap, w->n + 1);
	struct file_entry *f = &w->v[w->n++];
	f->abs = xstrdup(abs);
	f->display = xstrdup(display);
	f->rel = xstrdup(rel);
	f->size = sb ? sb->st_size : 0;
	f->mtime_ns = sb ? (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec : 0;
	f->skip = skip;
}

static int glob_any(const char *const *globs, size_t n, const char *rel)
{
	const char *base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	for (size_t i = 0; i < n; i++)
		if (fnmatch(globs[i], rel, 0) == 0 || fnmatch(globs[i], base, 0) == 0)
			return 1;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk_dir(struct walk *w, const char *abs, const char *display, const char *rel, int depth)
{
	DIR *d = opendir(abs);
	if (!d) {
		walk_add(w, abs, display, rel, NULL, KB_SKIP_UNREADABLE);
		return;
	}
	struct dirent *de;
	char **names = NULL;
	size_t nn = 0, cap = 0;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		XGROW(names, cap, nn + 1);
		names[nn++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (nn)
		qsort(names, nn, sizeof *names, cmp_names);
	for (size_t i = 0; i < nn; i++) {
		char *cabs = xasprintf("%s/%s", abs, names[i]);
		char *cdisp = xasprintf("%s/%s", display, names[i]);
		char *crel = *rel ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
		struct stat sb;
		if (names[i][0] == '.') {
			walk_add(w, cabs, cdisp, crel, NULL, KB_SKIP_HIDDEN);
		} else if (lstat(cabs, &sb) < 0) {
			walk_add(w, cabs, cdisp, crel, NULL, KB_SKIP_VANISHED);
		} else if (S_ISDIR(sb.st_mode)) {
			if (w->o->nexclude && glob_any(w->o->exclude, w->o->nexclude, crel))
				walk_add(w, cabs, cdisp, crel, NULL, KB_SKIP_EXCLUDED);
			else if (depth < 64)
				walk_dir(w, cabs, cdisp, crel, depth + 1);
		} else {
			int is_link = S_ISLNK(sb.st_mode);
			if (is_link && stat(cabs, &sb) < 0)
				walk_add(w, cabs, cdisp, crel, NULL, KB_SKIP_VANISHED);
			else if (!S_ISREG(sb.st_mode))
				walk_add(w, cabs, cdisp, crel, NULL, KB_SKIP_SPECIAL);
			else
				walk_add(w, cabs, cdisp, crel, &sb, -1);
		}
		free(cabs);
		free(cdisp);
		free(crel);
		free(names[i]);
	}
	free(names);
}

static char *clean_display(const char *arg)
{
	char *s = xstrdup(arg);
	size_t n = strlen(s);
	while (n > 1 && s[n - 1] == '/')
		s[--n] = '\0';
	char *p = s;
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	char *out = xstrdup(*p ? p : ".");
	free(s);
	return out;
}

/* Walks one root; returns -1 with e when the root itself does not exist. */
static int walk_root(struct walk *w, const char *abs, const char *display, struct err *e)
{
	struct stat sb;
	if (stat(abs, &sb) < 0)
		return err_errno(e, "cannot read %s", display);
	if (S_ISDIR(sb.st_mode)) {
		walk_dir(w, abs, display, "", 0);
		return 0;
	}
	if (!S_ISREG(sb.st_mode))
		return err_set(e, "%s is not a file or a directory", display);
	const char *base = strrchr(display, '/');
	walk_add(w, abs, display, base ? base + 1 : display, &sb, -1);
	return 0;
}

static void apply_globs(struct walk *w, size_t from)
{
	const struct kb_ingest_opts *o = w->o;
	for (size_t i = from; i < w->n; i++) {
		struct file_entry *f = &w->v[i];
		if (f->skip >= 0)
			continue;
		if ((o->ninclude && !glob_any(o->include, o->ninclude, f->rel)) ||
		    (o->nexclude && glob_any(o->exclude, o->nexclude, f->rel)))
			f->skip = KB_SKIP_EXCLUDED;
	}
}

static void walk_free(struct walk *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->v[i].abs);
		free(w->v[i].display);
		free(w->v[i].rel);
	}
	free(w->v);
}

/* ---- reading */

static int read_plain(const char *path, int64_t max, struct buf *out, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_errno(e, "cannot open %s", path);
	char chunk[1 << 16];
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int saved = errno;
			close(fd);
			errno = saved;
			return err_errno(e, "cannot read %s", path);
		}
		if (r == 0)
			break;
		if ((int64_t)(out->len + (size_t)r) > max) {
			close(fd);
			return err_set(e, "%s grew past the size limit while it was read", path);
		}
		buf_append(out, chunk, (size_t)r);
	}
	close(fd);
	return 0;
}

static int read_gzip(const char *path, int64_t max, struct buf *out, struct err *e)
{
	gzFile g = gzopen(path, "rb");
	if (!g)
		return err_errno(e, "cannot open %s", path);
	char chunk[1 << 16];
	int r;
	while ((r = gzread(g, chunk, sizeof chunk)) > 0) {
		if ((int64_t)(out->len + (size_t)r) > max) {
			gzclose(g);
			return err_set(e, "%s holds more than the size limit once decompressed", path);
		}
		buf_append(out, chunk, (size_t)r);
	}
	int errnum = 0;
	const char *msg = r < 0 ? gzerror(g, &errnum) : NULL;
	char copy[128];
	snprintf(copy, sizeof copy, "%s", msg ? msg : "");
	gzclose(g);
	if (r < 0)
		return err_set(e, "cannot decompress %s (%s)", path, copy);
	return 0;
}

/* ---- batches */

struct run {
	struct db *db;
	const struct kb *kb;
	const struct kb_ingest_opts *o;
	struct kb_ingest_stats *st;
	struct err *e;
	char *signature;
	int in_batch, batch_files;
	int64_t batch_bytes;
	struct kb_extract_opts xo;
};

static int begin_batch(struct run *r)
{
	if (r->in_batch)
		return 0;
	if (db_exec(r->db, "BEGIN IMMEDIATE", r->e) < 0)
		return -1;
	r->in_batch = 1;
	r->batch_files = 0;
	r->batch_bytes = 0;
	return 0;
}

static int full_disk(struct db *db)
{
	return (sqlite3_errcode(db_handle(db)) & 0xff) == SQLITE_FULL;
}

static int commit_batch(struct run *r)
{
	if (!r->in_batch)
		return 0;
	r->in_batch = 0;
	if (db_exec(r->db, "COMMIT", r->e) < 0) {
		int full = full_disk(r->db);
		if (!sqlite3_get_autocommit(db_handle(r->db)))
			db_exec(r->db, "ROLLBACK", NULL);
		if (full)
			err_set(r->e, "the disk holding %s is full; the knowledge base keeps the batches stored before "
				"(%lld files), free some space and run the command again", db_path(r->db),
				(long long)(r->st->added + r->st->updated));
		return -1;
	}
	r->st->batches++;
	if (r->o->on_batch)
		r->o->on_batch(r->o->ud, r->st);
	return 0;
}

static void rollback_batch(struct run *r)
{
	if (r->in_batch && !sqlite3_get_autocommit(db_handle(r->db)))
		db_exec(r->db, "ROLLBACK", NULL);
	r->in_batch = 0;
}

static void skip(struct run *r, const struct file_entry *f, enum kb_skip why, const char *detail)
{
	r->st->skipped[why]++;
	if (r->o->on_file)
		r->o->on_file(r->o->ud, r->st, f->display, detail ? detail : kb_skip_reason(why));
}

static enum kb_chunker chunker_for(const struct kb *kb)
{
	return kb->set.chunker;
}

static const char *base_of(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* Stores a file's documents after the savepoint "kb_file": 0, or -1 and the
 * savepoint rolled back (a taken name is skipped, anything else is fatal). */
static int store_failed(struct run *r, const struct file_entry *f, struct err *re)
{
	db_exec(r->db, "ROLLBACK TO kb_file; RELEASE kb_file", NULL);
	if (full_disk(r->db)) {
		err_set(r->e, "the disk holding %s is full; the knowledge base keeps the batches stored "
			"before, free some space and run the command again", db_path(r->db));
		return -1;
	}
	if (strstr(re->msg, "already gave a document")) {
		skip(r, f, KB_SKIP_NAME_TAKEN, re->msg);
		return 0;
	}
	*r->e = *re;
	return -1;
}

/* The file's bytes are what the store holds: only its mtime is new. */
static int unchanged(struct run *r, const struct file_entry *f, int64_t file_id)
{
	if (begin_batch(r) < 0 || kb_store_file_touch(r->db, file_id, f->mtime_ns, r->e) < 0)
		return -1;
	r->st->unchanged++;
	r->st->bytes_done += f->size;
	r->batch_files++;
	if (r->o->on_file)
		r->o->on_file(r->o->ud, r->st, f->display, NULL);
	return 0;
}

/* A large plain-text file is read twice in pieces, never whole: once for its
 * hash, then stored as documents of about KB_PART_BYTES each, cut at a line
 * end, named PATH#1, PATH#2, ... Memory stays bounded by the part size. */
static int ingest_parts(struct run *r, const struct file_entry *f, int had, struct kb_file *old)
{
	const struct kb *kb = r->kb;
	struct kb_ingest_stats *st = r->st;
	int same_sig = had && strcmp(old->signature, r->signature) == 0;
	free(old->signature);
	int fd = open(f->abs, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		skip(r, f, errno == ENOENT ? KB_SKIP_VANISHED : KB_SKIP_UNREADABLE, NULL);
		return 0;
	}
	struct sha256_hex_ctx md;
	sha256_hex_init(&md);
	char *piece = xmalloc((size_t)1 << 20);
	ssize_t n;
	int binary = -1;
	int64_t total = 0;
	while ((n = read(fd, piece, (size_t)1 << 20)) > 0) {
		if (binary < 0)
			binary = kb_text_looks_binary(piece, (size_t)n);
		sha256_hex_update(&md, piece, (size_t)n);
		total += n;
	}
	char sha[65];
	sha256_hex_final(&md, sha);
	if (n < 0 || binary > 0) {
		free(piece);
		close(fd);
		skip(r, f, n < 0 ? KB_SKIP_UNREADABLE : KB_SKIP_BINARY, NULL);
		return 0;
	}
	if (same_sig && strcmp(old->sha256, sha) == 0) {
		free(piece);
		close(fd);
		return unchanged(r, f, old->id);
	}
	if (begin_batch(r) < 0 || db_exec(r->db, "SAVEPOINT kb_file", r->e) < 0) {
		free(piece);
		close(fd);
		return -1;
	}
	struct err re = ERR_INIT;
	int64_t file_id = kb_store_file_begin(r->db, kb, f->abs, total, f->mtime_ns, sha, r->signature, &re);
	int rc = file_id < 0 ? store_failed(r, f, &re) : 0;
	if (file_id < 0) {
		free(piece);
		close(fd);
		return rc;
	}
	lseek(fd, 0, SEEK_SET);
	struct buf carry = BUF_INIT;
	struct kb_chunk_opts co = { chunker_for(kb), kb->set.chunk_tokens, kb->set.overlap };
	int part = 0, eof = 0;
	int64_t docs = 0, chunks = 0, repaired = 0, nuls = 0;
	while (!eof) {
		while ((int64_t)carry.len < KB_PART_BYTES && (n = read(fd, piece, (size_t)1 << 20)) > 0)
			buf_append(&carry, piece, (size_t)n);
		eof = (int64_t)carry.len < KB_PART_BYTES;
		if (!carry.len)
			break;
		size_t cut = carry.len;
		if (!eof) {
			cut = (size_t)KB_PART_BYTES;
			const char *nl = memrchr(carry.data, '\n', cut);
			if (nl)
				cut = (size_t)(nl - carry.data) + 1;
			else
				while (cut > 1 && ((unsigned char)carry.data[cut] & 0xC0) == 0x80)
					cut--;
		}
		char *name = xasprintf("%s#%d", f->display, ++part);
		char *title = xasprintf("%s (part %d)", base_of(f->display), part);
		struct kb_docs kd = { 0 };
		kb_extract(KB_FMT_TEXT, name, f->abs, carry.data, cut, &r->xo, &kd, &re);
		free(kd.v[0].title);
		kd.v[0].title = title;
		struct kb_chunk *cv = NULL;
		size_t nc = kb_chunk_text(kd.v[0].body, kd.v[0].len, &co, &cv);
		struct kb_doc_in in = { &kd.v[0], f->display, kb_format_name(KB_FMT_TEXT), f->mtime_ns, cv, nc };
		int64_t stored = kb_store_docs_add(r->db, kb, file_id, &in, 1, &re);
		repaired += (int64_t)kd.invalid;
		nuls += (int64_t)kd.nuls;
		kb_chunks_free(cv, nc);
		kb_docs_free(&kd);
		free(name);
		buf_consume(&carry, cut);
		if (stored < 0) {
			buf_free(&carry);
			free(piece);
			close(fd);
			return store_failed(r, f, &re);
		}
		docs++;
		chunks += stored;
	}
	buf_free(&carry);
	free(piece);
	close(fd);
	if (db_exec(r->db, "RELEASE kb_file", r->e) < 0)
		return -1;
	if (had)
		st->updated++;
	else
		st->added++;
	st->docs += docs;
	st->chunks += chunks;
	st->repaired_bytes += repaired;
	st->dropped_nuls += nuls;
	st->bytes_done += f->size;
	r->batch_files++;
	r->batch_bytes += total;
	if (r->o->on_file)
		r->o->on_file(r->o->ud, st, f->display, NULL);
	return 0;
}

/* 0 done (stored, unchanged or skipped), -1 fatal (database) with r->e. */
static int ingest_file(struct run *r, const struct file_entry *f)
{
	const struct kb *kb = r->kb;
	struct kb_ingest_stats *st = r->st;
	if (f->skip >= 0) {
		skip(r, f, (enum kb_skip)f->skip, NULL);
		return 0;
	}
	if (f->size > kb->set.max_file_bytes) {
		char detail[96];
		snprintf(detail, sizeof detail, "over the size limit (%lld bytes)", (long long)kb->set.max_file_bytes);
		skip(r, f, KB_SKIP_TOO_LARGE, detail);
		return 0;
	}
	struct kb_file old = { 0 };
	int had = kb_store_file_get(r->db, kb->id, f->abs, &old, r->e);
	if (had < 0)
		return -1;
	int same_sig = had && strcmp(old.signature, r->signature) == 0;
	if (same_sig && old.size == f->size && old.mtime_ns == f->mtime_ns) {
		free(old.signature);
		st->unchanged++;
		st->bytes_done += f->size;
		if (r->o->on_file)
			r->o->on_file(r->o->ud, st, f->display, NULL);
		return 0;
	}
	enum kb_format fmt = kb_format_of(f->abs);
	if (fmt == KB_FMT_TEXT && !kb_is_gzip(f->abs) && f->size > KB_PART_BYTES)
		return ingest_parts(r, f, had, &old);
	struct buf data = BUF_INIT;
	struct err re = ERR_INIT;
	int rc = kb_is_gzip(f->abs) ? read_gzip(f->abs, kb->set.max_file_bytes, &data, &re)
				    : read_plain(f->abs, kb->set.max_file_bytes, &data, &re);
	if (rc < 0) {
		free(old.signature);
		buf_free(&data);
		skip(r, f, access(f->abs, F_OK) == 0 ? KB_SKIP_UNREADABLE : KB_SKIP_VANISHED, re.msg);
		return 0;
	}
	char sha[65];
	sha256_hex(buf_str(&data), data.len, sha);
	if (same_sig && strcmp(old.sha256, sha) == 0) {
		free(old.signature);
		buf_free(&data);
		return unchanged(r, f, old.id);
	}
	free(old.signature);
	if (fmt != KB_FMT_PDF && kb_text_looks_binary(buf_str(&data), data.len)) {
		buf_free(&data);
		skip(r, f, KB_SKIP_BINARY, NULL);
		return 0;
	}
	struct kb_docs docs = { 0 };
	if (kb_extract(fmt, f->display, f->abs, buf_str(&data), data.len, &r->xo, &docs, &re) < 0) {
		buf_free(&data);
		kb_docs_free(&docs);
		skip(r, f, KB_SKIP_UNPARSABLE, re.msg);
		return 0;
	}
	buf_free(&data);
	struct kb_doc_in *in = xcalloc(docs.n ? docs.n : 1, sizeof *in);
	struct kb_chunk **owned = xcalloc(docs.n ? docs.n : 1, sizeof *owned);
	struct kb_chunk_opts co = { chunker_for(kb), kb->set.chunk_tokens, kb->set.overlap };
	int64_t text_bytes = 0;
	for (size_t i = 0; i < docs.n; i++) {
		struct kb_chunk *chunks = NULL;
		size_t nc = kb_chunk_text(docs.v[i].body, docs.v[i].len, &co, &chunks);
		owned[i] = chunks;
		in[i] = (struct kb_doc_in){ &docs.v[i], f->display, kb_format_name(fmt), f->mtime_ns, chunks, nc };
		text_bytes += (int64_t)docs.v[i].len;
	}
	int result = 0;
	if (begin_batch(r) < 0 || db_exec(r->db, "SAVEPOINT kb_file", r->e) < 0) {
		result = -1;
	} else {
		int64_t n = kb_store_file_put(r->db, kb, f->abs, f->size, f->mtime_ns, sha, r->signature, in, docs.n,
					      &re);
		if (n < 0) {
			db_exec(r->db, "ROLLBACK TO kb_file; RELEASE kb_file", NULL);
			if (full_disk(r->db)) {
				err_set(r->e, "the disk holding %s is full; the knowledge base keeps the batches stored "
					"before, free some space and run the command again", db_path(r->db));
				result = -1;
			} else if (strstr(re.msg, "already gave a document")) {
				skip(r, f, KB_SKIP_NAME_TAKEN, re.msg);
			} else {
				*r->e = re;
				result = -1;
			}
		} else if (db_exec(r->db, "RELEASE kb_file", r->e) < 0) {
			result = -1;
		} else {
			if (had)
				st->updated++;
			else
				st->added++;
			st->docs += (int64_t)docs.n;
			st->chunks += n;
			st->repaired_bytes += (int64_t)docs.invalid;
			st->dropped_nuls += (int64_t)docs.nuls;
			st->skipped_records += (int64_t)docs.skipped;
			st->bytes_done += f->size;
			r->batch_files++;
			r->batch_bytes += text_bytes;
			if (r->o->on_file)
				r->o->on_file(r->o->ud, st, f->display, NULL);
		}
	}
	for (size_t i = 0; i < docs.n; i++)
		kb_chunks_free(owned[i], in[i].nchunks);
	free(owned);
	free(in);
	kb_docs_free(&docs);
	return result;
}

static int run_files(struct run *r, struct walk *w)
{
	int batch = r->o->batch_files > 0 ? r->o->batch_files : KB_BATCH_FILES_DEFAULT;
	for (size_t i = 0; i < w->n; i++) {
		if (r->o->stop && *r->o->stop) {
			rollback_batch(r);
			return KB_INGEST_STOPPED;
		}
		if (ingest_file(r, &w->v[i]) < 0) {
			rollback_batch(r);
			return KB_INGEST_FAILED;
		}
		r->st->files_done++;
		if (r->in_batch && (r->batch_files >= batch || r->batch_bytes >= BATCH_TEXT_BYTES) && commit_batch(r) < 0)
			return KB_INGEST_FAILED;
	}
	if (r->o->stop && *r->o->stop) {
		rollback_batch(r);
		return KB_INGEST_STOPPED;
	}
	return commit_batch(r) < 0 ? KB_INGEST_FAILED : KB_INGEST_OK;
}

static char *options_json(const struct kb_ingest_opts *o, const char *display)
{
	cJSON *j = cJSON_CreateObject();
	if (display)
		cJSON_AddStringToObject(j, "display", display);
	cJSON_AddItemToObject(j, "include", json_string_array(o->include, o->ninclude));
	cJSON_AddItemToObject(j, "exclude", json_string_array(o->exclude, o->nexclude));
	if (o->text_field)
		cJSON_AddStringToObject(j, "text_field", o->text_field);
	if (o->id_field)
		cJSON_AddStringToObject(j, "id_field", o->id_field);
	if (o->title_field)
		cJSON_AddStringToObject(j, "title_field", o->title_field);
	char *s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return s;
}

static void run_init(struct run *r, struct db *db, const struct kb *kb, const struct kb_ingest_opts *o,
		     struct kb_ingest_stats *st, struct err *e)
{
	memset(r, 0, sizeof *r);
	r->db = db;
	r->kb = kb;
	r->o = o;
	r->st = st;
	r->e = e;
	r->xo = (struct kb_extract_opts){ o->text_field, o->id_field, o->title_field };
	char *opts = options_json(o, NULL);
	r->signature = kb_settings_signature(&kb->set, opts);
	free(opts);
}

static void totals(struct kb_ingest_stats *st, const struct walk *w, size_t from)
{
	for (size_t i = from; i < w->n; i++) {
		st->files_total++;
		st->bytes_total += w->v[i].skip < 0 ? w->v[i].size : 0;
	}
}

int kb_ingest_add(struct db *db, const struct kb *kb, const char *const *paths, size_t npaths,
		  const struct kb_ingest_opts *o, struct kb_ingest_stats *st, struct err *e)
{
	memset(st, 0, sizeof *st);
	st->start_us = clock_us();
	struct walk w = { NULL, 0, 0, o, st };
	char **abs = xcalloc(npaths, sizeof *abs), **disp = xcalloc(npaths, sizeof *disp);
	int rc = KB_INGEST_OK;
	for (size_t i = 0; i < npaths && rc == KB_INGEST_OK; i++) {
		disp[i] = clean_display(paths[i]);
		abs[i] = realpath(paths[i], NULL);
		if (!abs[i]) {
			err_errno(e, "cannot read %s", paths[i]);
			rc = KB_INGEST_FAILED;
			break;
		}
		size_t from = w.n;
		if (walk_root(&w, abs[i], disp[i], e) < 0)
			rc = KB_INGEST_FAILED;
		apply_globs(&w, from);
	}
	if (rc == KB_INGEST_OK) {
		totals(st, &w, 0);
		struct run r;
		run_init(&r, db, kb, o, st, e);
		rc = run_files(&r, &w);
		free(r.signature);
		for (size_t i = 0; i < npaths && rc == KB_INGEST_OK; i++) {
			char *opts = options_json(o, disp[i]);
			if (kb_store_root_put(db, kb->id, abs[i], opts, e) < 0)
				rc = KB_INGEST_FAILED;
			free(opts);
		}
		if (rc == KB_INGEST_OK && (st->added || st->updated || !kb->synced_ms) &&
		    kb_store_set_synced(db, kb->id, clock_wall_ms(), e) < 0)
			rc = KB_INGEST_FAILED;
	}
	for (size_t i = 0; i < npaths; i++) {
		free(abs[i]);
		free(disp[i]);
	}
	free(abs);
	free(disp);
	walk_free(&w);
	return rc;
}

static char **json_strings(const cJSON *a, size_t *n)
{
	*n = (size_t)cJSON_GetArraySize(a);
	char **v = xcalloc(*n ? *n : 1, sizeof *v);
	size_t k = 0;
	const cJSON *c;
	cJSON_ArrayForEach(c, a)
		if (cJSON_IsString(c))
			v[k++] = xstrdup(c->valuestring);
	*n = k;
	return v;
}

static const char *json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct gone {
	char **seen;
	size_t nseen;
	int64_t *ids;
	size_t nids, cap;
};

static int collect_gone(void *ud, int64_t id, const char *path)
{
	struct gone *g = ud;
	const char *key = path;
	if (g->nseen && bsearch(&key, g->seen, g->nseen, sizeof *g->seen, cmp_str))
		return 0;
	XGROW(g->ids, g->cap, g->nids + 1);
	g->ids[g->nids++] = id;
	return 0;
}

int kb_ingest_sync(struct db *db, const struct kb *kb, const struct kb_ingest_opts *o, struct kb_ingest_stats *st,
		   struct err *e)
{
	memset(st, 0, sizeof *st);
	st->start_us = clock_us();
	char **paths, **options;
	size_t nroots;
	if (kb_store_roots(db, kb->id, &paths, &options, &nroots, e) < 0)
		return KB_INGEST_FAILED;
	int rc = KB_INGEST_OK;
	struct gone g = { 0 };
	size_t seen_cap = 0;
	for (size_t i = 0; i < nroots && rc == KB_INGEST_OK; i++) {
		cJSON *oj = cJSON_Parse(options[i]);
		struct kb_ingest_opts ro = *o;
		size_t ninc = 0, nexc = 0;
		char **inc = json_strings(cJSON_GetObjectItemCaseSensitive(oj, "include"), &ninc);
		char **exc = json_strings(cJSON_GetObjectItemCaseSensitive(oj, "exclude"), &nexc);
		ro.include = (const char *const *)inc;
		ro.ninclude = ninc;
		ro.exclude = (const char *const *)exc;
		ro.nexclude = nexc;
		ro.text_field = json_str(oj, "text_field");
		ro.id_field = json_str(oj, "id_field");
		ro.title_field = json_str(oj, "title_field");
		const char *display = json_str(oj, "display");
		struct walk w = { NULL, 0, 0, &ro, st };
		struct err we = ERR_INIT;
		if (walk_root(&w, paths[i], display ? display : paths[i], &we) == 0) {
			apply_globs(&w, 0);
			totals(st, &w, 0);
			struct run r;
			run_init(&r, db, kb, &ro, st, e);
			rc = run_files(&r, &w);
			free(r.signature);
			for (size_t k = 0; k < w.n; k++) {
				if (w.v[k].skip >= 0)
					continue;
				XGROW(g.seen, seen_cap, g.nseen + 1);
				g.seen[g.nseen++] = xstrdup(w.v[k].abs);
			}
		}
		walk_free(&w);
		kb_strings_free(inc, ninc);
		kb_strings_free(exc, nexc);
		cJSON_Delete(oj);
	}
	if (rc == KB_INGEST_OK) {
		if (g.nseen)
			qsort(g.seen, g.nseen, sizeof *g.seen, cmp_str);
		if (kb_store_files_each(db, kb->id, collect_gone, &g, e) < 0)
			rc = KB_INGEST_FAILED;
	}
	if (rc == KB_INGEST_OK && g.nids) {
		if (db_exec(db, "BEGIN IMMEDIATE", e) < 0) {
			rc = KB_INGEST_FAILED;
		} else {
			for (size_t i = 0; i < g.nids && rc == KB_INGEST_OK; i++)
				if (kb_store_file_delete(db, kb->id, g.ids[i], e) < 0)
					rc = KB_INGEST_FAILED;
			if (rc == KB_INGEST_OK && db_exec(db, "COMMIT", e) < 0)
				rc = KB_INGEST_FAILED;
			if (rc != KB_INGEST_OK && !sqlite3_get_autocommit(db_handle(db)))
				db_exec(db, "ROLLBACK", NULL);
			if (rc == KB_INGEST_OK)
				st->removed = (int64_t)g.nids;
		}
	}
	if (rc == KB_INGEST_OK && (st->added || st->updated || st->removed || !kb->synced_ms) &&
	    kb_store_set_synced(db, kb->id, clock_wall_ms(), e) < 0)
		rc = KB_INGEST_FAILED;
	kb_strings_free(g.seen, g.nseen);
	free(g.ids);
	kb_strings_free(paths, nroots);
	kb_strings_free(options, nroots);
	return rc;
}
