#include "kb/demo.h"

#include <stdlib.h>
#include <string.h>

#include "base/path.h"
#include "base/xmalloc.h"
#include "kb/ingest.h"
#include "kb/store.h"
#include "store/db.h"
#include "workspace.h"

#define DEMO_META "demo_kb"

int kb_demo_seed(struct db *db, const char *share_dir, const char *data_home, struct err *e)
{
	char *done = db_meta_get(db, DEMO_META);
	if (done) {
		free(done);
		return 0;
	}
	struct err ignored = ERR_INIT;
	workspace_seed_demo(share_dir, data_home, &ignored);
	char *docs = xasprintf("%s/examples/docs", data_home);
	int rc = 0;
	struct kb kb;
	int found = path_is_dir(docs) ? kb_store_get(db, KB_DEMO_NAME, &kb, e) : 1;
	if (found < 0) {
		rc = -1;
	} else if (found == 0) {
		struct kb_settings s;
		kb_settings_default(&s);
		if (kb_store_create(db, KB_DEMO_NAME, &s, e) < 0 || kb_store_get(db, KB_DEMO_NAME, &kb, e) != 1) {
			rc = -1;
		} else {
			struct kb_ingest_opts o;
			struct kb_ingest_stats st;
			memset(&o, 0, sizeof o);
			const char *paths[] = { docs };
			rc = kb_ingest_add(db, &kb, paths, 1, &o, &st, e) == KB_INGEST_OK ? 1 : -1;
			kb_free(&kb);
		}
	} else if (path_is_dir(docs)) {
		kb_free(&kb);
	}
	free(docs);
	if (rc >= 0 && db_meta_set(db, DEMO_META, AIWB_VERSION, e) < 0)
		rc = -1;
	return rc;
}
