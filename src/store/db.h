/* db — the one SQLite connection of the process (DESIGN.md §4).
 *
 * db_open() opens (creating when absent, file mode 0600) the database, sets WAL,
 * busy_timeout, foreign_keys, and runs forward migrations keyed on
 * PRAGMA user_version inside one transaction. It refuses, with one clear
 * sentence and without touching the file:
 *   - a database whose user_version is newer than this aiwb knows (DB_ETOONEW),
 *   - a file that is not a SQLite database or is corrupt (DB_ECORRUPT),
 *   - a database locked by another process beyond the busy timeout (DB_ELOCKED),
 *   - a path that cannot be opened or created (read-only home, ...) (DB_EIO).
 * Nothing is ever "repaired" or recreated silently.
 *
 * Only src/ talks SQL; ui/ goes through functions of the store modules.
 * Calls block for at most the busy timeout; call them from the loop, never from
 * a curl or signal callback. */
#ifndef AIWB_DB_H
#define AIWB_DB_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

enum db_status { DB_OK = 0, DB_EIO, DB_ETOONEW, DB_ECORRUPT, DB_ELOCKED, DB_EMIGRATE };

struct db;

/* How long every opener waits for another process's write: the transactions
 * are short, so waiting only costs time under heavy load, while giving up
 * loses a run that was paid for. */
#define DB_BUSY_MS 10000

/* Latest schema version this build knows. */
int db_schema_version(void);

/* On failure returns NULL, sets *status (if not NULL) and e. */
struct db *db_open(const char *path, int busy_timeout_ms, enum db_status *status, struct err *e);
/* Opens an existing database only to read it: never creates, migrates or
 * writes (no schema check write, no WAL checkpoint when it closes), so it
 * reads while another process holds a write transaction and on a read-only
 * file system (where a database without its -wal file is opened immutable).
 * Refuses what db_open refuses except an older schema, which is read as it
 * is: db_schema() says which, and a query needing a newer table fails with a
 * sentence saying so. */
struct db *db_open_readonly(const char *path, int busy_timeout_ms, enum db_status *status, struct err *e);
/* The raw read-only connection under db_open_readonly, with no check of what
 * the file holds (for doctor): returns the SQLite code of opening and reading
 * the schema; *conn is set whenever SQLite made one (caller closes it). */
int db_connect_readonly(const char *path, int busy_timeout_ms, sqlite3 **conn);
/* The schema the connection sees (db_schema_version() after db_open). */
int db_schema(const struct db *db);
void db_close(struct db *db);
sqlite3 *db_handle(struct db *db);
const char *db_path(const struct db *db);

/* Sets e from the connection's last error in one sentence (locked, disk
 * full, an older schema read-only, else SQLite's message); returns -1. */
int db_fail(struct db *db, struct err *e);
/* After SQLITE_FULL: copies the write-ahead log into the database and
 * truncates it, which frees the log's space for a small write (a status);
 * 0 when done. */
int db_make_room(struct db *db);
/* Executes SQL without results (may hold several statements). */
int db_exec(struct db *db, const char *sql, struct err *e);
/* Prepares one statement; caller finalizes. */
sqlite3_stmt *db_prepare(struct db *db, const char *sql, struct err *e);
/* Prepares sql, binds id1 to ?1 and, when sql has a ?2, id2 to it, steps once
 * and finalizes: for writes whose only parameters are ids. 0, or -1 with e
 * set as db_fail sets it. */
int db_run_ids(struct db *db, const char *sql, int64_t id1, int64_t id2, struct err *e);
/* Steps st through its rows, calling row(ud, st) on each until one returns
 * non-zero, then finalizes st. 0, or -1 with e set as db_fail sets it (e may
 * be NULL, for a caller that words the failure itself). */
int db_each_row(struct db *db, sqlite3_stmt *st, int (*row)(void *ud, sqlite3_stmt *st), void *ud, struct err *e);
/* For each row of st, appends one element of size bytes to the array that
 * *(T **)array holds (*n of them, grown with xgrow) and fills it with
 * read(st, element); then finalizes st. 0, or -1 with e set as db_each_row
 * sets it; the rows read before a failure stay in the array. */
int db_collect(struct db *db, sqlite3_stmt *st, void *array, size_t *n, size_t size,
	       void (*read)(sqlite3_stmt *st, void *element), struct err *e);
/* Binds text (NULL binds NULL) with every secret in force redacted
 * (base/secret.h): every text the database stores goes through here. text
 * must outlive the statement's step. */
int db_bind_text(sqlite3_stmt *st, int i, const char *text);

/* Runs fn inside BEGIN IMMEDIATE ... COMMIT; rolls back when fn returns non-zero
 * or a statement fails. Returns fn's result, or -1 when BEGIN/COMMIT failed. */
int db_tx(struct db *db, int (*fn)(struct db *db, void *ud, struct err *e), void *ud, struct err *e);

/* History (DESIGN.md §4): every ask/compare/experiment case and chat turn. Fields may be NULL. */
struct db_run {
	int64_t id;
	int64_t created_ms;
	const char *kind;     /* "ask", "compare", "experiment" */
	const char *model;    /* PROVIDER/MODEL */
	const char *prompt;
	const char *messages; /* JSON */
	const char *params;   /* JSON */
	const char *output;
	const char *metrics;  /* JSON */
	/* A turn of a conversation: turn from 1, conversation the id of the
	 * conversation's first run (0 with turn > 0: this row starts one and
	 * becomes its own conversation; a turn 2 whose conversation is a run on
	 * its own makes that run turn 1). turn 0: a run on its own (both NULL). */
	int64_t conversation;
	int turn;
};
int64_t db_run_insert(struct db *db, const struct db_run *run, struct err *e); /* returns id or -1 */
int64_t db_run_count(struct db *db);

/* Small key/value facts about this data home (e.g. "demo_seeded"). get: caller frees; NULL when absent. */
char *db_meta_get(struct db *db, const char *key);
int db_meta_set(struct db *db, const char *key, const char *value, struct err *e);

#endif
