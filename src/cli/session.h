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
	struct db *db;          /* opened by session_open when need_db, else by session_save */
	int db_failed;          /* a lazy open failed (reported once) */
	struct catalog catalog;
	struct loop *loop;
	int interrupted;        /* SIGINT/SIGTERM seen */
	void (*on_interrupt)(void *ud);
	void *ud;
};

/* need_db: open the database now and fail without it. Commands that only
 * save runs leave it to session_save, so opening it is not on the way to the
 * first token. */
int session_open(struct session *s, int need_db, struct err *e);
/* Saves a finished run to the history, opening the database on first use; a
 * failure is one warning on stderr (the answer was already printed). */
struct run;
struct llm_request;
void session_save(struct session *s, const struct run *r, const struct llm_request *rq, const char *kind,
		  const char *extra_params);
void session_close(struct session *s);

#endif
