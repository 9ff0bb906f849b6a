/* libFuzzer target for store/fts: any query text gives either no expression
 * or one that FTS5 (the history table's tokenizer) accepts, bounded by the
 * word limits; the phrase language never reaches FTS5's operators. */
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "store/fts.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sqlite3 *db;
static sqlite3_stmt *st;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!db) {
		require(sqlite3_open(":memory:", &db) == SQLITE_OK);
		require(sqlite3_exec(db, "CREATE VIRTUAL TABLE f USING fts5(a, b, tokenize='unicode61 remove_diacritics 2');"
					 "INSERT INTO f VALUES ('near and or not', 'running café \"quoted\"');",
				     NULL, NULL, NULL) == SQLITE_OK);
		require(sqlite3_prepare_v2(db, "SELECT bm25(f) FROM f WHERE f MATCH ?1", -1, &st, NULL) == SQLITE_OK);
	}
	char *text = xstrndup((const char *)data, size);
	char *q = fts_phrase_query(text, 16, 128);
	if (q) {
		size_t quotes = 0;
		for (const char *p = q; *p; p++)
			quotes += *p == '"';
		require(quotes % 2 == 0 && q[0] == '"');
		require(strlen(q) <= 16 * (2 * 128 + 4)); /* 16 terms of 128 bytes, each quote doubled at most */
		sqlite3_bind_text(st, 1, q, -1, SQLITE_STATIC);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			;
		require(rc == SQLITE_DONE);
		sqlite3_reset(st);
	}
	free(q);
	free(text);
	return 0;
}
