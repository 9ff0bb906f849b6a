/* libFuzzer target for kb/filter: any text either compiles to SQL that
 * prepares and runs against a documents table (its values bound, never an
 * SQL error), or fails with one message "column N: ..." where N is within
 * the text. Never a crash or a leak. */
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "kb/filter.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sqlite3 *db;

static void open_db(void)
{
	if (db)
		return;
	require(sqlite3_open(":memory:", &db) == SQLITE_OK);
	require(sqlite3_exec(db, "CREATE TABLE kb_docs (id INTEGER PRIMARY KEY, name TEXT, path TEXT, title TEXT,"
				 " format TEXT, meta TEXT);"
				 "INSERT INTO kb_docs VALUES (1, 'a.md', 'a.md', 'A', 'markdown',"
				 " '{\"year\":2024,\"tags\":[\"x\",1,true],\"s\":\"t\",\"n\":null,\"o\":{\"k\":1}}');"
				 "INSERT INTO kb_docs VALUES (2, 'b', 'b', 'B', 'text', '{}');",
			     NULL, NULL, NULL) == SQLITE_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	open_db();
	char *text = xstrndup((const char *)data, size);
	struct kb_filter f;
	struct err e = ERR_INIT;
	int rc = kb_filter_compile(text, 1, &f, &e);
	if (rc == 0) {
		char *sql = xasprintf("SELECT count(*) FROM kb_docs d WHERE %s", f.sql);
		sqlite3_stmt *st = NULL;
		require(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK);
		require(sqlite3_bind_parameter_count(st) <= (int)f.nvalues);
		kb_filter_bind(&f, st);
		require(sqlite3_step(st) == SQLITE_ROW);
		sqlite3_finalize(st);
		free(sql);
		kb_filter_free(&f);
	} else {
		require(rc == -1 && e.set);
		if (strlen(text) <= KB_FILTER_MAX_LEN) {
			require(strncmp(err_msg(&e), "column ", 7) == 0);
			long col = strtol(err_msg(&e) + 7, NULL, 10);
			require(col >= 1 && (size_t)col <= strlen(text) + 1);
		}
	}
	free(text);
	return 0;
}
