#include "store/dbinfo.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "base/path.h"
#include "store/db.h"

int dbinfo_has_fts5(void)
{
	sqlite3 *db;
	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return 0;
	}
	int ok = sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(x)", NULL, NULL, NULL) == SQLITE_OK;
	sqlite3_close(db);
	return ok;
}

const char *dbinfo_sqlite_version(void)
{
	return sqlite3_libversion();
}

static int64_t scalar(sqlite3 *db, const char *sql, int *ok)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	*ok = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			v = sqlite3_column_int64(st, 0);
			*ok = 1;
		}
	}
	sqlite3_finalize(st);
	return v;
}

void dbinfo_inspect(const char *path, struct dbinfo *out)
{
	memset(out, 0, sizeof *out);
	out->runs = -1;
	out->exists = path_exists(path);
	if (!out->exists)
		return;
	sqlite3 *db;
	if (db_connect_readonly(path, DB_BUSY_MS, &db) != SQLITE_OK) {
		snprintf(out->problem, sizeof out->problem, "%s", db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return;
	}
	int ok;
	out->schema = (int)scalar(db, "PRAGMA user_version", &ok);
	if (!ok) {
		snprintf(out->problem, sizeof out->problem, "%s", sqlite3_errmsg(db));
	} else {
		out->readable = 1;
		out->runs = scalar(db, "SELECT count(*) FROM runs", &ok);
		if (!ok)
			out->runs = -1;
	}
	sqlite3_close(db);
}

int dbinfo_quick_check(struct db *db, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "PRAGMA quick_check", e);
	const unsigned char *verdict = NULL;
	int rc = 0;
	if (!st || sqlite3_step(st) != SQLITE_ROW || !(verdict = sqlite3_column_text(st, 0)) ||
	    strcmp((const char *)verdict, "ok") != 0) {
		if (verdict)
			err_set(e, "%s", (const char *)verdict);
		rc = -1;
	}
	sqlite3_finalize(st);
	return rc;
}
