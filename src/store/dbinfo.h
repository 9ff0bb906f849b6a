/* dbinfo — facts about the SQLite library and an aiwb database, read without
 * changing anything (for `aiwb doctor`). */
#ifndef AIWB_DBINFO_H
#define AIWB_DBINFO_H

#include <stdint.h>

#include "base/err.h"

int dbinfo_has_fts5(void);
const char *dbinfo_sqlite_version(void);

struct dbinfo {
	int exists;
	int readable;          /* opened read-only and read the schema */
	int schema;            /* PRAGMA user_version */
	int64_t runs;          /* rows in history, -1 when unknown */
	char problem[256];     /* why not readable */
};
/* Opens path read-only (never creates, never writes). */
void dbinfo_inspect(const char *path, struct dbinfo *out);

struct db;
/* SQLite's PRAGMA quick_check on an open database: 0 when it says "ok", else
 * -1 with e holding its first verdict (or why it could not run). */
int dbinfo_quick_check(struct db *db, struct err *e);

#endif
