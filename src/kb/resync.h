/* kb/resync — keeps a KB in step with its files (`kb sync --watch`, and the
 * Knowledge pane's live mode): watches the KB's roots (kb/watch.h) and, each
 * time changes settle, reads the KB again, syncs it (kb_ingest_sync) and,
 * when it has an embedding model, embeds the new chunks; then watches again
 * (directories may have come or gone). It runs the loop until *stop is set
 * (the caller's signal hook also stops the loop) or a sync fails.
 *
 * Returns KB_INGEST_STOPPED once stopped, KB_INGEST_FAILED with e. *kb is
 * replaced by each fresh read. A failed embedding is reported through
 * embed_failed and the watch goes on. */
#ifndef AIWB_KB_RESYNC_H
#define AIWB_KB_RESYNC_H

#include <signal.h>
#include <stddef.h>

#include "kb/embed.h"
#include "kb/ingest.h"
#include "kb/store.h"

struct loop;

struct kb_resync_cb {
	void (*watching)(void *ud, const struct kb *kb, size_t dirs);
	/* the embedding options for this round (the caller may load the catalog on first use) */
	const struct kb_embed_opts *(*embed_opts)(void *ud);
	void (*embed_failed)(void *ud, const char *why);
	void (*synced)(void *ud, const struct kb *kb, const struct kb_ingest_stats *st, const struct kb_embed_stats *es);
	void *ud;
};

int kb_resync_run(struct db *db, struct kb *kb, const struct kb_ingest_opts *o, struct loop *loop,
		  volatile sig_atomic_t *stop, const struct kb_resync_cb *cb, struct err *e);

#endif
