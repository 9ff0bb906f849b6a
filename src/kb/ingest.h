/* kb/ingest — files and directories into a knowledge base (kb add / kb sync).
 *
 * Directories are walked recursively (symbolic links to directories are not
 * followed). Skipped and counted, each with its reason: hidden files and
 * directories (name starting with '.'), files over the KB's max_file_bytes,
 * binary files, files that cannot be read or parsed (a PDF without
 * pdftotext), files that vanished, and names excluded by --exclude or not
 * matched by --include (GLOBs as fnmatch(3), tried against the path below
 * the root and against the file name).
 *
 * A file whose size and mtime match what the KB recorded, chunked with the
 * same settings, is unchanged and costs no read and no write; one whose
 * bytes hash (SHA-256) to the recorded value only gets its mtime updated;
 * any other is extracted (kb/extract.h), guarded (kb/docguard.h: hidden
 * characters stripped, findings masked when the KB redacts), chunked
 * (kb/chunk.h) and replaces
 * its old documents. Files are committed in batches (batch_files files or
 * 16 MB of text, whichever comes first), each in one transaction: an
 * interruption (the stop flag, SIGKILL, a full disk) leaves the KB exactly as
 * after the last committed batch, never a half-stored document. A file that
 * fails inside a batch is rolled back alone (a savepoint) and counted.
 *
 * An add or sync that changes nothing writes nothing (the KB's last-sync
 * time is when an add or sync last changed it).
 *
 * One path for the command line and the workbench: kb_ingest_begin_add /
 * kb_ingest_begin_sync make a run; its steps (kb_ingest_step) first walk the
 * tree once, root after root, depth first in name order (files skipped by
 * the walk are counted and reported as they are met; the files to ingest are
 * kept as one path, size and mtime each, nothing of their contents), then
 * ingest the next files as one batch in one transaction, until a step
 * returns KB_INGEST_OK: an add then records its roots, a sync removes the
 * documents of files that are gone (batch by batch too). kb_ingest_add and
 * kb_ingest_sync are the whole run at once. Memory is bounded by the file
 * list, the directories being walked and one batch (a large text file is
 * read in parts, below).
 *
 * Runs synchronously (it is disk and CPU bound); pdftotext runs as a child
 * process. Callbacks may print; they must not call SQLite. */
#ifndef AIWB_KB_INGEST_H
#define AIWB_KB_INGEST_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "kb/store.h"

#define KB_SKIP_REASONS(X) \
	X(HIDDEN, "hidden") \
	X(EXCLUDED, "excluded by --include/--exclude") \
	X(TOO_LARGE, "over the size limit") \
	X(BINARY, "binary") \
	X(UNREADABLE, "cannot be read") \
	X(UNPARSABLE, "cannot be parsed") \
	X(VANISHED, "vanished during ingest") \
	X(SPECIAL, "not a regular file") \
	X(NAME_TAKEN, "document name taken by another file")

#define KB_SKIP_ENUM(name, text) KB_SKIP_##name,
enum kb_skip { KB_SKIP_REASONS(KB_SKIP_ENUM) KB_SKIP_N };
#undef KB_SKIP_ENUM

const char *kb_skip_reason(enum kb_skip r);

#define KB_BATCH_FILES_DEFAULT 64

struct kb_ingest_stats;
struct guard;

struct kb_ingest_opts {
	const char *const *include; size_t ninclude;
	const char *const *exclude; size_t nexclude;
	const char *text_field, *id_field, *title_field;
	int batch_files;                       /* 0: KB_BATCH_FILES_DEFAULT */
	const struct guard *guard;             /* masks a redacting KB's text (kb/docguard.h); NULL: the
						* built-in detectors. Kept, not copied. */
	volatile sig_atomic_t *stop;           /* set by a signal handler; checked between files */
	void *ud;
	/* after each file: its path and NULL, or the skip reason and detail */
	void (*on_file)(void *ud, const struct kb_ingest_stats *st, const char *path, const char *skip_detail);
	void (*on_batch)(void *ud, const struct kb_ingest_stats *st);
};

struct kb_ingest_stats {
	int64_t files_total, files_done;
	int64_t bytes_total, bytes_done;
	int64_t added, updated, unchanged, removed;
	int64_t docs, chunks;                  /* stored by this run */
	int64_t skipped[KB_SKIP_N];
	int64_t repaired_bytes, dropped_nuls, skipped_records;
	int64_t hidden_chars, redacted;        /* hidden characters stripped, findings masked (kb/docguard.h) */
	int64_t batches;
	int64_t start_us;
};

enum { KB_INGEST_OK = 0, KB_INGEST_FAILED = -1, KB_INGEST_STOPPED = -2, KB_INGEST_MORE = 1 };

struct kb_ingest;

/* A run of kb add over paths (their options from o: globs, fields); NULL
 * with e when a path does not exist or is neither a file nor a directory.
 * o's callbacks and stop flag are kept (o's strings are copied); kb must
 * outlive the run. */
struct kb_ingest *kb_ingest_begin_add(struct db *db, const struct kb *kb, const char *const *paths, size_t npaths,
				      const struct kb_ingest_opts *o, struct err *e);
/* A run of kb sync over the KB's recorded roots, each with its recorded
 * options (o's own globs and fields are ignored); a root that is gone walks
 * as empty. */
struct kb_ingest *kb_ingest_begin_sync(struct db *db, const struct kb *kb, const struct kb_ingest_opts *o,
				       struct err *e);
/* Walks on while the walk is not done, then ingests the next files as one
 * batch, committed before it returns: until max_files files were stored
 * (0: o->batch_files), 16 MB of text, or max_us microseconds passed (0: no
 * limit, the whole walk is one step; checked between directory entries and
 * between files, so a step ingests at least one file). Returns
 * KB_INGEST_MORE while there is more to do, KB_INGEST_OK once done,
 * KB_INGEST_STOPPED (the stop flag: the open batch rolled back, the ones
 * before kept) or KB_INGEST_FAILED with e. No transaction is open between
 * steps. */
int kb_ingest_step(struct kb_ingest *in, int max_files, int64_t max_us, struct err *e);
/* The counts so far (files_total and bytes_total grow during the walk). */
const struct kb_ingest_stats *kb_ingest_stats(const struct kb_ingest *in);
/* 1 while the walk is not done. */
int kb_ingest_walking(const struct kb_ingest *in);
/* Frees (an open batch, if any, is rolled back). NULL is fine. */
void kb_ingest_end(struct kb_ingest *in);

/* kb add: ingests paths and records them (with the options) as roots for
 * sync. Returns KB_INGEST_OK, KB_INGEST_STOPPED (committed batches kept) or
 * KB_INGEST_FAILED with e. */
int kb_ingest_add(struct db *db, const struct kb *kb, const char *const *paths, size_t npaths,
		  const struct kb_ingest_opts *o, struct kb_ingest_stats *st, struct err *e);
/* kb sync: ingests every root again with its recorded options and removes
 * the documents of files that are gone (or now skipped). */
int kb_ingest_sync(struct db *db, const struct kb *kb, const struct kb_ingest_opts *o, struct kb_ingest_stats *st,
		   struct err *e);

#endif
