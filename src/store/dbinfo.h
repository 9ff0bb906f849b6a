/* dbinfo — facts about the SQLite library and an aiwb database, read without
 * changing anything (for `aiwb doctor`). */
#ifndef AIWB_DBINFO_H
#define AIWB_DBINFO_H

#include <stdint.h>

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

#endif
