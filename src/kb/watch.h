/* kb/watch — inotify watches over a KB's roots, for `kb sync --watch`.
 *
 * kb_watch_new watches every directory under the given roots (recursively,
 * hidden directories skipped; a root that is a file is watched through its
 * directory) for files written, created, moved or deleted, on the event loop
 * (the inotify fd is a loop fd). After a change, once the tree has been
 * quiet for KB_WATCH_QUIET_MS, it calls on_settled (from the loop). The
 * caller then syncs and builds a new watch (directories may have come or
 * gone). Never blocks. */
#ifndef AIWB_KB_WATCH_H
#define AIWB_KB_WATCH_H

#include <stddef.h>

#include "base/err.h"

struct loop;
struct kb_watch;

#define KB_WATCH_QUIET_MS 300
#define KB_WATCH_MAX_DIRS 8192

struct kb_watch *kb_watch_new(struct loop *l, char *const *roots, size_t nroots, void (*on_settled)(void *ud),
			      void *ud, struct err *e);
/* Directories watched. */
size_t kb_watch_dirs(const struct kb_watch *w);
void kb_watch_free(struct kb_watch *w);

#endif
