/* libFuzzer target for kb/query: any text gives either no expression or one
 * that FTS5 (porter unicode61 remove_diacritics 2) accepts: the MATCH runs
 * without an error. Words hold no quote, no more than the limits. */
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "kb/query.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sqlite3 *db;
static sqlite3_stmt *st;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!db) {
		require(sqlite3_open(":memory:", &db) == SQLITE_OK);
		require(sqlite3_exec(db, "CREATE VIRTUAL TABLE f USING fts5(a, b, tokenize='porter unicode61 remove_diacritics 2');"
					 "INSERT INTO f VALUES ('near and or not', 'running café 😀');",
				     NULL, NULL, NULL) == SQLITE_OK);
		require(sqlite3_prepare_v2(db, "SELECT bm25(f) FROM f WHERE f MATCH ?1", -1, &st, NULL) == SQLITE_OK);
	}
	char *text = xstrndup((const char *)data, size);
	struct kb_query q;
	kb_query_build(text, &q);
	require(q.nwords <= KB_QUERY_WORDS_MAX);
	require((q.fts == NULL) == (q.nwords == 0));
	for (size_t i = 0; i < q.nwords; i++)
		require(strlen(q.words[i]) > 0 && strlen(q.words[i]) <= KB_QUERY_WORD_MAX && !strchr(q.words[i], '"'));
	if (q.fts) {
		sqlite3_bind_text(st, 1, q.fts, -1, SQLITE_STATIC);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			;
		require(rc == SQLITE_DONE);
		sqlite3_reset(st);
	}
	kb_query_free(&q);
	free(text);
	return 0;
}
