#include "kb/resync.h"

#include <string.h>

#include "kb/watch.h"
#include "loop.h"

static void settled(void *ud)
{
	loop_stop(ud);
}

int kb_resync_run(struct db *db, struct kb *kb, const struct kb_ingest_opts *o, struct loop *loop,
		  volatile sig_atomic_t *stop, const struct kb_resync_cb *cb, struct err *e)
{
	int rc = KB_INGEST_OK;
	while (!*stop && rc == KB_INGEST_OK) {
		char **paths, **options;
		size_t n;
		if (kb_store_roots(db, kb->id, &paths, &options, &n, e) < 0) {
			rc = KB_INGEST_FAILED;
			break;
		}
		struct kb_watch *w = kb_watch_new(loop, paths, n, settled, loop, e);
		if (w)
			cb->watching(cb->ud, kb, kb_watch_dirs(w));
		kb_strings_free(paths, n);
		kb_strings_free(options, n);
		if (!w) {
			rc = KB_INGEST_FAILED;
			break;
		}
		loop_run(loop);
		kb_watch_free(w);
		if (*stop)
			break;
		struct kb fresh;
		if (kb_store_get(db, kb->name, &fresh, e) != 1) {
			rc = KB_INGEST_FAILED;
			break;
		}
		kb_free(kb);
		*kb = fresh;
		struct kb_ingest_stats st;
		rc = kb_ingest_sync(db, kb, o, &st, e);
		struct kb_embed_stats es;
		memset(&es, 0, sizeof es);
		if (rc == KB_INGEST_OK && kb->set.embed[0]) {
			struct err ee = ERR_INIT;
			if (kb_embed_pending(db, kb, cb->embed_opts(cb->ud), &es, &ee) < 0)
				cb->embed_failed(cb->ud, ee.msg);
		}
		if (rc == KB_INGEST_OK)
			cb->synced(cb->ud, kb, &st, &es);
	}
	return rc == KB_INGEST_OK && *stop ? KB_INGEST_STOPPED : rc;
}
