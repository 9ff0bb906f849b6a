/* kb/demo — the demo knowledge base: on the first use of a data home's
 * knowledge bases, the demo workspace's handbook pages (DATA_HOME/examples/
 * docs, copied from the share dir by workspace_seed_demo when missing) become
 * a KB named "demo", BM25 only, no network, so a new user can search at once.
 * Done once per data home (meta key "demo_kb"): a user who removes the demo
 * KB does not get it back. */
#ifndef AIWB_KB_DEMO_H
#define AIWB_KB_DEMO_H

#include "base/err.h"

struct db;

#define KB_DEMO_NAME "demo"

/* 1 when it created the demo KB now, 0 when it was done before (or there are
 * no demo pages), -1 with e. */
int kb_demo_seed(struct db *db, const char *share_dir, const char *data_home, struct err *e);

#endif
