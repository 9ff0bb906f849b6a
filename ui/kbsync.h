/* kbsync — `kb add` and `kb sync` for the workbench, on the event loop in
 * small steps so drawing and keys go on. Each step (a loop timer) calls the
 * core's kb_ingest_add / kb_ingest_sync (kb/ingest.h) and stops it, through
 * its stop flag, once KBSYNC_STEP_FILES files were stored: that batch is
 * committed whole, and the next step walks again, passing the files already
 * stored as unchanged (size and mtime, no read), until a step runs to the
 * end — then sync removes the documents of files that are gone and the roots
 * are recorded, exactly as the command does. A step runs from a loop timer
 * as a key's handler would, holding the loop for one batch (a huge file is
 * one long step). An interruption between steps
 * leaves the KB as after the last step. Embeddings are not computed here
 * (kb_embed_pending runs its own loop): the summary says when vectors are
 * missing. */
#ifndef AIWB_KBSYNC_H
#define AIWB_KBSYNC_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "kb/ingest.h"
#include "kb/store.h"
#include "loop.h"

#define KBSYNC_STEP_FILES 8

struct kbsync;

/* Called after every step: done is 0 while it goes on, 1 at the end (rc is
 * KB_INGEST_OK or KB_INGEST_FAILED with msg). st holds the last step's
 * counts (files_done of files_total is how far the walk got). */
typedef void (*kbsync_fn)(void *ud, const struct kb_ingest_stats *st, int done, int rc, const char *msg);

/* Starts adding path (NULL: syncing the KB's roots) to the KB named name.
 * Returns NULL with e when the KB is gone. */
struct kbsync *kbsync_start(struct db *db, struct loop *l, const char *name, const char *path, kbsync_fn fn,
			    void *ud, struct err *e);
/* Stops after the step under way (nothing more is called); frees. */
void kbsync_cancel(struct kbsync *s);
/* The files stored so far by all steps. */
int64_t kbsync_stored(const struct kbsync *s);

#endif
