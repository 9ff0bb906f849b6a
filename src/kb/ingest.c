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
#include "guard/guard.h"
#include "kb/chunk.h"
#include "kb/docguard.h"
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
/* A file the walk found, waiting for its turn (and, for sync, the record of
 * what is still there). The root's display path and options are the root's. */
struct entry {
	char *abs;
	int64_t size, mtime_ns;
	uint32_t root;
};

/* One path given to add, or recorded for sync, with the options it goes with. */
struct root {
	char *abs, *display;
	int is_file;
	char **include, **exclude;
	size_t ninclude, nexclude;
	char *text_field, *id_field, *title_field;
	char *options;   /* JSON as recorded with the root */
	char *signature; /* settings + options: a change re-chunks */
	struct kb_extract_opts xo;
};

/* What ingest_file works on: an entry with its names made. */
struct file_entry {
	const char *abs;
	char *display;  /* document path */
	const char *rel; /* below the root, for GLOBs */
	int64_t size, mtime_ns;
};

struct kb_ingest;
static void walk_skip(struct kb_ingest *in, const char *display, enum kb_skip why);
static void walk_keep(struct kb_ingest *in, uint32_t root, const char *abs, const struct stat *sb);

static int glob_any(char *const *globs, size_t n, const char *rel)
{
	const char *base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	for (size_t i = 0; i < n; i++)
		if (fnmatch(globs[i], rel, 0) == 0 || fnmatch(globs[i], base, 0) == 0)
			return 1;
	return 0;
}

static int excluded_file(const struct root *rt, const char *rel)
{
	return (rt->ninclude && !glob_any(rt->include, rt->ninclude, rel)) ||
	       (rt->nexclude && glob_any(rt->exclude, rt->nexclude, rel));
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory being walked: its entries, sorted, and the next to look at. */
struct frame {
	char *abs, *display, *rel;
	char **names;
	size_t n, next;
	int depth;
	uint32_t root;
};

static void push_dir(struct kb_ingest *in, uint32_t root, const char *abs, const char *display, const char *rel,
		     int depth);
static int walk_some(struct kb_ingest *in, int64_t deadline_us);
static void start_root(struct kb_ingest *in, uint32_t i);

static void frame_free(struct frame *fr)
{
	for (size_t i = fr->next; i < fr->n; i++)
		free(fr->names[i]);
	free(fr->names);
	free(fr->abs);
	free(fr->display);
	free(fr->rel);
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

static const char *base_of(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
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
	const struct guard *redact; /* NULL: the KB does not redact */
	struct guard *own_guard;
};

/* Hidden characters out of every document, findings masked when the KB
 * redacts: 0, or -1 with e when a pattern of the guard failed to run (the
 * file is then skipped rather than stored half-masked). */
static int guard_docs(struct run *r, struct kb_docs *docs, struct err *e)
{
	struct kb_guard_counts c = { 0 };
	for (size_t i = 0; i < docs->n; i++) {
		struct err ge = ERR_INIT;
		if (kb_doc_guard(&docs->v[i], r->redact, &c, &ge) < 0) {
			err_set(e, "cannot be redacted: %s", ge.msg);
			return -1;
		}
	}
	r->st->hidden_chars += (int64_t)c.hidden;
	r->st->redacted += (int64_t)c.masked;
	return 0;
}

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
		if (guard_docs(r, &kd, &re) < 0) {
			kb_docs_free(&kd);
			free(title);
			free(name);
			buf_free(&carry);
			free(piece);
			close(fd);
			db_exec(r->db, "ROLLBACK TO kb_file; RELEASE kb_file", NULL);
			skip(r, f, KB_SKIP_UNPARSABLE, re.msg);
			return 0;
		}
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
	if (guard_docs(r, &docs, &re) < 0) {
		kb_docs_free(&docs);
		skip(r, f, KB_SKIP_UNPARSABLE, re.msg);
		return 0;
	}
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

/* ---- the step API */

enum phase { PHASE_FILES, PHASE_REMOVE, PHASE_DONE };

struct kb_ingest {
	struct db *db;
	const struct kb *kb;
	struct kb_ingest_opts o;
	struct kb_ingest_stats st;
	struct root *roots;
	size_t nroots;
	struct entry *v;
	size_t n, cap, next;
	struct frame *stack; /* the directories being walked, innermost last */
	size_t nstack, stack_cap;
	uint32_t root_next;  /* the next root the walk starts */
	int sync;
	enum phase phase;
	int64_t *gone;
	size_t ngone, gone_cap, gone_next;
	struct run r;
};

static void walk_skip(struct kb_ingest *in, const char *display, enum kb_skip why)
{
	in->st.files_total++;
	in->st.files_done++;
	in->st.skipped[why]++;
	if (in->o.on_file)
		in->o.on_file(in->o.ud, &in->st, display, kb_skip_reason(why));
}

static void walk_keep(struct kb_ingest *in, uint32_t root, const char *abs, const struct stat *sb)
{
	XGROW(in->v, in->cap, in->n + 1);
	struct entry *f = &in->v[in->n++];
	f->abs = xstrdup(abs);
	f->size = sb->st_size;
	f->mtime_ns = (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
	f->root = root;
	in->st.files_total++;
	in->st.bytes_total += f->size;
}

static void push_dir(struct kb_ingest *in, uint32_t root, const char *abs, const char *display, const char *rel,
		     int depth)
{
	DIR *d = opendir(abs);
	if (!d) {
		walk_skip(in, display, KB_SKIP_UNREADABLE);
		return;
	}
	struct frame fr = { xstrdup(abs), xstrdup(display), xstrdup(rel), NULL, 0, 0, depth, root };
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		XGROW(fr.names, cap, fr.n + 1);
		fr.names[fr.n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (fr.n)
		qsort(fr.names, fr.n, sizeof *fr.names, cmp_names);
	XGROW(in->stack, in->stack_cap, in->nstack + 1);
	in->stack[in->nstack++] = fr;
}

/* Walks on, root after root, depth first in name order, until the walk is
 * done (0) or the deadline (0: none) has passed (1). */
static int walk_some(struct kb_ingest *in, int64_t deadline_us)
{
	while (in->nstack || in->root_next < in->nroots) {
		if (deadline_us && clock_us() >= deadline_us)
			return 1;
		if (!in->nstack) {
			start_root(in, in->root_next++);
			continue;
		}
		struct frame *fr = &in->stack[in->nstack - 1];
		if (fr->next >= fr->n) {
			frame_free(fr);
			in->nstack--;
			continue;
		}
		char *name = fr->names[fr->next++];
		const struct root *rt = &in->roots[fr->root];
		uint32_t root = fr->root;
		int depth = fr->depth;
		char *cabs = xasprintf("%s/%s", fr->abs, name);
		char *cdisp = xasprintf("%s/%s", fr->display, name);
		char *crel = *fr->rel ? xasprintf("%s/%s", fr->rel, name) : xstrdup(name);
		struct stat sb;
		if (name[0] == '.') {
			walk_skip(in, cdisp, KB_SKIP_HIDDEN);
		} else if (lstat(cabs, &sb) < 0) {
			walk_skip(in, cdisp, KB_SKIP_VANISHED);
		} else if (S_ISDIR(sb.st_mode)) {
			if (rt->nexclude && glob_any(rt->exclude, rt->nexclude, crel))
				walk_skip(in, cdisp, KB_SKIP_EXCLUDED);
			else if (depth < 64)
				push_dir(in, root, cabs, cdisp, crel, depth + 1); /* fr may move */
		} else {
			int is_link = S_ISLNK(sb.st_mode);
			if (is_link && stat(cabs, &sb) < 0)
				walk_skip(in, cdisp, KB_SKIP_VANISHED);
			else if (!S_ISREG(sb.st_mode))
				walk_skip(in, cdisp, KB_SKIP_SPECIAL);
			else if (excluded_file(rt, crel))
				walk_skip(in, cdisp, KB_SKIP_EXCLUDED);
			else
				walk_keep(in, root, cabs, &sb);
		}
		free(name);
		free(cabs);
		free(cdisp);
		free(crel);
	}
	return 0;
}

/* Checks that a root given to add is a file or a directory; -1 with e. */
static int root_ok(const struct root *rt, struct err *e)
{
	struct stat sb;
	if (stat(rt->abs, &sb) < 0)
		return err_errno(e, "cannot read %s", rt->display);
	if (!S_ISDIR(sb.st_mode) && !S_ISREG(sb.st_mode))
		return err_set(e, "%s is not a file or a directory", rt->display);
	return 0;
}

/* The walk reaches root i: a directory is pushed, a file kept or skipped; a
 * root that is gone (sync) walks as empty. */
static void start_root(struct kb_ingest *in, uint32_t i)
{
	struct root *rt = &in->roots[i];
	struct stat sb;
	if (stat(rt->abs, &sb) < 0)
		return;
	if (S_ISDIR(sb.st_mode)) {
		push_dir(in, i, rt->abs, rt->display, "", 0);
	} else if (S_ISREG(sb.st_mode)) {
		rt->is_file = 1;
		if (excluded_file(rt, base_of(rt->display)))
			walk_skip(in, rt->display, KB_SKIP_EXCLUDED);
		else
			walk_keep(in, i, rt->abs, &sb);
	}
}

int kb_ingest_walking(const struct kb_ingest *in)
{
	return in->nstack > 0 || in->root_next < in->nroots;
}

static char *options_json(const struct root *rt, const char *display)
{
	cJSON *j = cJSON_CreateObject();
	if (display)
		cJSON_AddStringToObject(j, "display", display);
	cJSON_AddItemToObject(j, "include", json_string_array((const char *const *)rt->include, rt->ninclude));
	cJSON_AddItemToObject(j, "exclude", json_string_array((const char *const *)rt->exclude, rt->nexclude));
	if (rt->text_field)
		cJSON_AddStringToObject(j, "text_field", rt->text_field);
	if (rt->id_field)
		cJSON_AddStringToObject(j, "id_field", rt->id_field);
	if (rt->title_field)
		cJSON_AddStringToObject(j, "title_field", rt->title_field);
	char *s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return s;
}

static char **strings_dup(const char *const *v, size_t n)
{
	char **out = xcalloc(n ? n : 1, sizeof *out);
	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* A new root (last of in->roots) for abs and display with these options. */
static struct root *add_root(struct kb_ingest *in, char *abs, char *display, const char *const *inc, size_t ninc,
			     const char *const *exc, size_t nexc, const char *text_field, const char *id_field,
			     const char *title_field)
{
	in->roots = xrealloc(in->roots, (in->nroots + 1) * sizeof *in->roots);
	struct root *rt = &in->roots[in->nroots++];
	memset(rt, 0, sizeof *rt);
	rt->abs = abs;
	rt->display = display;
	rt->include = strings_dup(inc, ninc);
	rt->ninclude = ninc;
	rt->exclude = strings_dup(exc, nexc);
	rt->nexclude = nexc;
	rt->text_field = dup_or_null(text_field);
	rt->id_field = dup_or_null(id_field);
	rt->title_field = dup_or_null(title_field);
	rt->xo = (struct kb_extract_opts){ rt->text_field, rt->id_field, rt->title_field };
	char *opts = options_json(rt, NULL);
	rt->signature = kb_settings_signature(&in->kb->set, opts);
	free(opts);
	rt->options = options_json(rt, display);
	return rt;
}

static struct kb_ingest *ingest_new(struct db *db, const struct kb *kb, const struct kb_ingest_opts *o, int sync)
{
	struct kb_ingest *in = xcalloc(1, sizeof *in);
	in->db = db;
	in->kb = kb;
	in->o = *o;
	in->o.include = in->o.exclude = NULL;
	in->o.ninclude = in->o.nexclude = 0;
	in->o.text_field = in->o.id_field = in->o.title_field = NULL;
	in->sync = sync;
	in->st.start_us = clock_us();
	in->r.db = db;
	in->r.kb = kb;
	in->r.o = &in->o;
	in->r.st = &in->st;
	if (kb->set.redact)
		in->r.redact = o->guard ? o->guard : (in->r.own_guard = guard_new(NULL, NULL));
	return in;
}

struct kb_ingest *kb_ingest_begin_add(struct db *db, const struct kb *kb, const char *const *paths, size_t npaths,
				      const struct kb_ingest_opts *o, struct err *e)
{
	struct kb_ingest *in = ingest_new(db, kb, o, 0);
	for (size_t i = 0; i < npaths; i++) {
		char *abs = realpath(paths[i], NULL);
		if (!abs) {
			err_errno(e, "cannot read %s", paths[i]);
			kb_ingest_end(in);
			return NULL;
		}
		struct root *rt = add_root(in, abs, clean_display(paths[i]), o->include, o->ninclude, o->exclude,
					   o->nexclude, o->text_field, o->id_field, o->title_field);
		if (root_ok(rt, e) < 0) {
			kb_ingest_end(in);
			return NULL;
		}
	}
	return in;
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

struct kb_ingest *kb_ingest_begin_sync(struct db *db, const struct kb *kb, const struct kb_ingest_opts *o,
				       struct err *e)
{
	char **paths, **options;
	size_t nroots;
	if (kb_store_roots(db, kb->id, &paths, &options, &nroots, e) < 0)
		return NULL;
	struct kb_ingest *in = ingest_new(db, kb, o, 1);
	for (size_t i = 0; i < nroots; i++) {
		cJSON *oj = cJSON_Parse(options[i]);
		size_t ninc = 0, nexc = 0;
		char **inc = json_strings(cJSON_GetObjectItemCaseSensitive(oj, "include"), &ninc);
		char **exc = json_strings(cJSON_GetObjectItemCaseSensitive(oj, "exclude"), &nexc);
		const char *display = json_str(oj, "display");
		/* a root that is gone walks as empty: its documents are removed */
		add_root(in, xstrdup(paths[i]), xstrdup(display ? display : paths[i]), (const char *const *)inc, ninc,
			 (const char *const *)exc, nexc, json_str(oj, "text_field"), json_str(oj, "id_field"),
			 json_str(oj, "title_field"));
		kb_strings_free(inc, ninc);
		kb_strings_free(exc, nexc);
		cJSON_Delete(oj);
	}
	kb_strings_free(paths, nroots);
	kb_strings_free(options, nroots);
	return in;
}

const struct kb_ingest_stats *kb_ingest_stats(const struct kb_ingest *in)
{
	return &in->st;
}

static int stopped(const struct kb_ingest *in)
{
	return in->o.stop && *in->o.stop;
}

/* Ingests in->v[in->next] with its root's names and options. */
static int ingest_entry(struct kb_ingest *in, const struct entry *en)
{
	const struct root *rt = &in->roots[en->root];
	struct file_entry f = { en->abs, NULL, NULL, en->size, en->mtime_ns };
	if (rt->is_file) {
		f.display = xstrdup(rt->display);
		f.rel = base_of(rt->display);
	} else {
		f.rel = en->abs + strlen(rt->abs) + (rt->abs[strlen(rt->abs) - 1] == '/' ? 0 : 1);
		f.display = xasprintf("%s/%s", rt->display, f.rel);
	}
	in->r.signature = rt->signature;
	in->r.xo = rt->xo;
	int rc = ingest_file(&in->r, &f);
	free(f.display);
	return rc;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->abs, ((const struct entry *)b)->abs);
}

static int cmp_path_entry(const void *key, const void *b)
{
	return strcmp(*(const char *const *)key, ((const struct entry *)b)->abs);
}

static int collect_gone(void *ud, int64_t id, const char *path)
{
	struct kb_ingest *in = ud;
	if (in->n && bsearch(&path, in->v, in->n, sizeof *in->v, cmp_path_entry))
		return 0;
	XGROW(in->gone, in->gone_cap, in->ngone + 1);
	in->gone[in->ngone++] = id;
	return 0;
}

/* The end of the run: roots recorded (add), the last-sync time. */
static int finish(struct kb_ingest *in, struct err *e)
{
	struct kb_ingest_stats *st = &in->st;
	for (size_t i = 0; !in->sync && i < in->nroots; i++)
		if (kb_store_root_put(in->db, in->kb->id, in->roots[i].abs, in->roots[i].options, e) < 0)
			return KB_INGEST_FAILED;
	if ((st->added || st->updated || st->removed || !in->kb->synced_ms) &&
	    kb_store_set_synced(in->db, in->kb->id, clock_wall_ms(), e) < 0)
		return KB_INGEST_FAILED;
	in->phase = PHASE_DONE;
	return KB_INGEST_OK;
}

/* Sync: removes up to max documents' files that are gone, in one transaction. */
static int remove_step(struct kb_ingest *in, int max, struct err *e)
{
	if (db_exec(in->db, "BEGIN IMMEDIATE", e) < 0)
		return KB_INGEST_FAILED;
	int rc = 0;
	size_t to = in->gone_next + (size_t)max < in->ngone ? in->gone_next + (size_t)max : in->ngone;
	for (size_t i = in->gone_next; i < to && rc == 0; i++)
		rc = kb_store_file_delete(in->db, in->kb->id, in->gone[i], e);
	if (rc == 0 && db_exec(in->db, "COMMIT", e) < 0)
		rc = -1;
	if (rc < 0) {
		if (!sqlite3_get_autocommit(db_handle(in->db)))
			db_exec(in->db, "ROLLBACK", NULL);
		return KB_INGEST_FAILED;
	}
	in->st.removed += (int64_t)(to - in->gone_next);
	in->gone_next = to;
	return KB_INGEST_MORE;
}

int kb_ingest_step(struct kb_ingest *in, int max_files, int64_t max_us, struct err *e)
{
	int batch = max_files > 0 ? max_files : in->o.batch_files > 0 ? in->o.batch_files : KB_BATCH_FILES_DEFAULT;
	int64_t t0 = max_us > 0 ? clock_us() : 0;
	in->r.e = e;
	if (in->phase == PHASE_FILES && kb_ingest_walking(in)) {
		if (stopped(in))
			return KB_INGEST_STOPPED;
		if (walk_some(in, max_us > 0 ? t0 + max_us : 0))
			return KB_INGEST_MORE;
	}
	if (in->phase == PHASE_FILES) {
		while (in->next < in->n) {
			if (stopped(in)) {
				rollback_batch(&in->r);
				return KB_INGEST_STOPPED;
			}
			if (ingest_entry(in, &in->v[in->next]) < 0) {
				rollback_batch(&in->r);
				return KB_INGEST_FAILED;
			}
			in->next++;
			in->st.files_done++;
			if (in->r.in_batch && (in->r.batch_files >= batch || in->r.batch_bytes >= BATCH_TEXT_BYTES))
				break;
			if (max_us > 0 && clock_us() - t0 >= max_us)
				break;
		}
		if (stopped(in)) {
			rollback_batch(&in->r);
			return KB_INGEST_STOPPED;
		}
		if (commit_batch(&in->r) < 0)
			return KB_INGEST_FAILED;
		if (in->next < in->n)
			return KB_INGEST_MORE;
		if (!in->sync)
			return finish(in, e);
		if (in->n)
			qsort(in->v, in->n, sizeof *in->v, cmp_entry);
		if (kb_store_files_each(in->db, in->kb->id, collect_gone, in, e) < 0)
			return KB_INGEST_FAILED;
		in->phase = PHASE_REMOVE;
		if (!in->ngone)
			return finish(in, e);
		return KB_INGEST_MORE;
	}
	if (in->phase == PHASE_REMOVE) {
		if (stopped(in))
			return KB_INGEST_STOPPED;
		int rc = remove_step(in, batch, e);
		if (rc == KB_INGEST_MORE && in->gone_next >= in->ngone)
			return finish(in, e);
		return rc;
	}
	return KB_INGEST_OK;
}

void kb_ingest_end(struct kb_ingest *in)
{
	if (!in)
		return;
	rollback_batch(&in->r);
	for (size_t i = 0; i < in->nstack; i++)
		frame_free(&in->stack[i]);
	free(in->stack);
	for (size_t i = 0; i < in->n; i++)
		free(in->v[i].abs);
	free(in->v);
	for (size_t i = 0; i < in->nroots; i++) {
		struct root *rt = &in->roots[i];
		free(rt->abs);
		free(rt->display);
		kb_strings_free(rt->include, rt->ninclude);
		kb_strings_free(rt->exclude, rt->nexclude);
		free(rt->text_field);
		free(rt->id_field);
		free(rt->title_field);
		free(rt->options);
		free(rt->signature);
	}
	free(in->roots);
	free(in->gone);
	guard_free(in->r.own_guard);
	free(in);
}

/* ---- the whole run at once (the command line) */

static int run_all(struct kb_ingest *in, struct kb_ingest_stats *st, struct err *e)
{
	int rc;
	while ((rc = kb_ingest_step(in, 0, 0, e)) == KB_INGEST_MORE)
		;
	*st = in->st;
	kb_ingest_end(in);
	return rc;
}

int kb_ingest_add(struct db *db, const struct kb *kb, const char *const *paths, size_t npaths,
		  const struct kb_ingest_opts *o, struct kb_ingest_stats *st, struct err *e)
{
	memset(st, 0, sizeof *st);
	st->start_us = clock_us();
	struct kb_ingest *in = kb_ingest_begin_add(db, kb, paths, npaths, o, e);
	return in ? run_all(in, st, e) : KB_INGEST_FAILED;
}

int kb_ingest_sync(struct db *db, const struct kb *kb, const struct kb_ingest_opts *o, struct kb_ingest_stats *st,
		   struct err *e)
{
	memset(st, 0, sizeof *st);
	st->start_us = clock_us();
	struct kb_ingest *in = kb_ingest_begin_sync(db, kb, o, e);
	return in ? run_all(in, st, e) : KB_INGEST_FAILED;
}
