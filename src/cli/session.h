/* session — what every model command opens before it talks to a model: the
 * config, the data home and its log, the history database, the catalog, curl
 * and an event loop with Ctrl-C wired to a cancel callback. One sentence on
 * failure (printed by the caller). */
#ifndef AIWB_SESSION_H
#define AIWB_SESSION_H

#include "base/err.h"
#include "config.h"
#include "llm/catalog.h"
#include "loop.h"
#include "store/db.h"

struct session {
	struct config cfg;
	struct db *db;          /* NULL when history is off (open failed with need_db == 0) */
	struct catalog catalog;
	struct loop *loop;
	int interrupted;        /* SIGINT/SIGTERM seen */
	void (*on_interrupt)(void *ud);
	void *ud;
};

int session_open(struct session *s, int need_db, struct err *e);
void session_close(struct session *s);

#endif
