/* workspace — the data home's layout and the demo workspace.
 *
 * workspace_seed_demo() copies the share dir's examples/ into
 * DATA_HOME/examples (files 0600, dirs 0700). It never overwrites: a file
 * that already exists is left as it is, so seeding twice, or into a home a
 * user has changed, loses nothing. */
#ifndef AIWB_WORKSPACE_H
#define AIWB_WORKSPACE_H

#include "base/err.h"

struct workspace_demo {
	int docs, datasets, scripts; /* files found under examples/{docs,drift,jobs} */
};

/* Returns the number of files copied, or -1 with e set. */
int workspace_seed_demo(const char *share_dir, const char *data_home, struct err *e);
/* Counts demo files present in DATA_HOME/examples. */
void workspace_demo_count(const char *data_home, struct workspace_demo *out);

#endif
