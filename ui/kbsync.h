/* kbsync — `kb add` and `kb sync` for the workbench, on the event loop in
 * small steps so drawing and keys go on: each step (a loop timer) is one
 * kb_ingest_step (kb/ingest.h) of at most KBSYNC_STEP_US, which first walks
 * the tree once, then ingests the next files as one committed batch of at
 * most KBSYNC_STEP_FILES stored files
 * (a huge file is one long step), until the run ends: an add records its
 * root, a sync removes the documents of files that are gone, exactly as the
 * command does. When the KB has an embedding model, the chunks without a
 * vector are then embedded on the loop by kb_embed_start (kb/embed.h: the
 * cache first, batches in flight, the provider's retries), as `kb sync`
 * does. An interruption between steps leaves the KB as after the last step;
 * a failed embedding keeps the vectors stored and is reported in one
 * sentence. */
#ifndef AIWB_KBSYNC_H
#define AIWB_KBSYNC_H

#include <stddef.h>
#include <stdint.h>

#include "kb/addline.h"
#include "kb/embed.h"
#include "kb/ingest.h"
#include "kb/store.h"
#include "loop.h"

#define KBSYNC_STEP_FILES 8
#define KBSYNC_STEP_US 15000

struct config;
struct catalog;

struct kbsync;

struct kbsync_progress {
	struct kb_ingest_stats st;   /* the text ingest */
	int walking;                 /* 1 while the tree is walked (totals still growing) */
	int embedding;               /* 1 once embeddings are being computed */
	struct kb_embed_stats es;    /* their counts */
	int embed_failed;            /* 1: msg is the embedding's */
};

/* Called after every step: done is 0 while it goes on, 1 at the end (rc is
 * KB_INGEST_OK or KB_INGEST_FAILED; msg, when not NULL, says what failed:
 * the text ingest, or with embed_failed the embedding after a whole ingest). */
typedef void (*kbsync_fn)(void *ud, const struct kbsync_progress *p, int done, int rc, const char *msg);

struct kbsync_env {
	const struct config *cfg;       /* for embeddings (NULL: none computed) and a redacting KB's guard */
	const struct catalog *catalog;  /* may be NULL: cost unknown */
	double max_cost_usd;            /* embeddings over this are refused (config kb.max_cost_usd) */
	int64_t step_us;                /* a step's time budget (0: KBSYNC_STEP_US) */
};

/* Starts adding add's path (add NULL: syncing the KB's roots) to the KB named
 * name. Returns NULL with e when the KB is gone or the path does not exist. */
struct kbsync *kbsync_start(struct db *db, struct loop *l, const struct kbsync_env *env, const char *name,
			    const struct kb_addline *add, kbsync_fn fn, void *ud, struct err *e);
/* Stops after the step under way (nothing more is called); frees. */
void kbsync_cancel(struct kbsync *s);
/* The progress so far. */
const struct kbsync_progress *kbsync_progress(const struct kbsync *s);

#endif
