/* session — the core context every front end opens first, the CLI's commands
 * and the workbench alike: the config, the data home and its log, the history
 * database, the model catalog, curl with the HTTP defaults of the config, and
 * an event loop whose SIGINT, SIGTERM and SIGHUP reach an interrupt callback.
 * The knowledge bases and the job registry live in the same database. One
 * sentence on failure (printed by the caller). */
#ifndef AIWB_SESSION_H
#define AIWB_SESSION_H

#include <stdint.h>

#include "base/err.h"
#include "config.h"
#include "llm/catalog.h"
#include "loop.h"
#include "store/db.h"

struct session {
	struct config cfg;
	const char *data_home;  /* path_data_home(), made by session_open */
	struct err log_error;   /* why the log could not be opened (empty when it was) */
	struct db *db;          /* opened by session_open with SESSION_DB, else by session_save */
	int db_failed;          /* a lazy open failed */
	struct err db_error;    /* why */
	struct catalog catalog; /* loaded by session_open, or by session_catalog with SESSION_LATE_CATALOG */
	int catalog_state;      /* 0 not loaded, 1 loaded, -1 failed */
	int http_state;         /* 0 not started, 1 curl ready, -1 failed */
	struct loop *loop;
	int interrupted;        /* SIGINT/SIGTERM/SIGHUP seen */
	int signo;              /* the first of them */
	int unsaved;            /* runs session_save could not save */
	void (*on_interrupt)(void *ud);
	void *ud;
};

/* SESSION_DB: open the database now and fail without it. Commands that only
 * save runs leave it to session_save, so opening it is not on the way to the
 * first token; SESSION_LATE_CATALOG leaves the catalog to session_catalog for
 * the same reason, and SESSION_LATE_HTTP leaves curl to session_http (the
 * workbench paints before it starts curl). */
enum { SESSION_DB = 1, SESSION_LATE_CATALOG = 2, SESSION_LATE_HTTP = 4 };
int session_open(struct session *s, int flags, struct err *e);
/* The catalog, loaded on first use; NULL with e when it cannot be read. */
const struct catalog *session_catalog(struct session *s, struct err *e);
/* Starts curl with the config's connect and idle timeouts and CA bundle, once;
 * -1 with e when libcurl cannot start. */
int session_http(struct session *s, struct err *e);
/* Saves a finished run to the history, opening the database on first use.
 * On failure: one sentence on stderr, s->unsaved counts it, -1 (the command
 * then exits non-zero; its answer was printed already). */
struct run;
struct llm_request;
int session_save(struct session *s, const struct run *r, const struct llm_request *rq, const char *kind,
		 const char *extra_params);
/* The same for a turn of a conversation (store/db.h struct db_run:
 * conversation 0 with turn 1 starts one); returns the run's id, or -1. */
int64_t session_save_turn(struct session *s, const struct run *r, const struct llm_request *rq, const char *kind,
			  const char *extra_params, int64_t conversation, int turn);
/* The exit status of a command stopped by a signal: 128 + its number (130
 * for Ctrl-C, 129 for SIGHUP, 143 for SIGTERM). */
int session_interrupt_status(const struct session *s);
void session_close(struct session *s);

/* The data home's database file (caller frees). */
char *session_db_path(void);

/* The data home's database for commands that change it, waiting up to the
 * one busy timeout (DB_BUSY_MS) for another writer. With create, the data
 * home and the database are made when absent; without, NULL with *missing = 1
 * when there is no database yet (nothing is created). */
struct db *session_writable_db(int create, int *missing, struct err *e);

/* The data home's database for commands that only read it, opened read-only
 * (db_open_readonly: no write, no wait for a writer): NULL with *missing = 1
 * when there is none yet (nothing is created), NULL with e when it cannot be
 * opened. */
struct db *session_existing_db(int *missing, struct err *e);

#endif
