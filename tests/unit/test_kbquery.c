#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "base/buf.h"
#include "kb/query.h"

static void test_words_and_quoting(void **state)
{
	(void)state;
	struct kb_query q;
	kb_query_build("Héllo, \"World\"* NEAR(x y) -neg col:val ^up", &q);
	assert_string_equal(q.fts, "\"h\xC3\xA9llo\" OR \"world\" OR \"near\" OR \"x\" OR \"y\" OR \"neg\" OR \"col\" OR "
				   "\"val\" OR \"up\"");
	kb_query_free(&q);
	kb_query_build("the price of a day pass", &q);
	assert_string_equal(q.fts, "\"price\" OR \"day\" OR \"pass\"");
	assert_false(q.stop_only);
	kb_query_free(&q);
	kb_query_build("To be or NOT to be", &q);
	assert_string_equal(q.fts, "\"to\" OR \"be\" OR \"or\" OR \"not\"");
	assert_true(q.stop_only);
	kb_query_free(&q);
	kb_query_build("\"*-:^()", &q);
	assert_null(q.fts);
	assert_int_equal(q.nwords, 0);
	kb_query_free(&q);
	kb_query_build("bad\xFF\xFEutf8", &q);
	assert_string_equal(q.fts, "\"bad\" OR \"utf8\"");
	kb_query_free(&q);
}

static void test_limits(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	for (int i = 0; i < 2000; i++)
		buf_printf(&b, "w%d ", i);
	for (int i = 0; i < 200; i++)
		buf_puts(&b, "\xE2\x82\xAC");
	struct kb_query q;
	kb_query_build(b.data, &q);
	assert_int_equal(q.nwords, KB_QUERY_WORDS_MAX);
	kb_query_free(&q);
	buf_reset(&b);
	for (int i = 0; i < 200; i++)
		buf_puts(&b, "\xE2\x82\xAC");
	kb_query_build(b.data, &q);
	assert_int_equal(q.nwords, 1);
	assert_int_equal(strlen(q.words[0]), 63); /* 21 whole three-byte characters */
	kb_query_free(&q);
	buf_free(&b);
}

/* Every hostile input runs against a real FTS5 table without an error. */
static void test_hostile_queries_run(void **state)
{
	(void)state;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE VIRTUAL TABLE f USING fts5(t, tokenize='porter unicode61 remove_diacritics 2');"
				      "INSERT INTO f VALUES ('running shoes and near misses'), ('to be or not to be'),"
				      " ('emoji 😀 party'), ('crème brûlée');", NULL, NULL, NULL), SQLITE_OK);
	static const char *const hostile[] = {
		"\"", "\"\"", "*", "NEAR(", "NEAR(a b, 3)", "-", "a - b", ":", "t:x", "AND", "OR", "NOT", "a AND OR NOT b",
		"^", "^run", "😀", "(", ")", "{t}: x", "a*", "'; DROP TABLE f; --", "\\", "creme brulee", "\x01\x02",
		"to be or not to be", "", "+", "a + b", "col : ^ * \" ( ) { } [ ]", NULL,
	};
	struct buf big = BUF_INIT;
	for (int i = 0; i < 10240; i++)
		buf_putc(&big, "ab\" *()-:^"[i % 10]);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM f WHERE f MATCH ?1", -1, &st, NULL), SQLITE_OK);
	size_t nhostile = sizeof hostile / sizeof hostile[0];
	for (size_t i = 0; i < nhostile; i++) {
		const char *text = hostile[i] ? hostile[i] : big.data; /* the last: 10 KB of operators */
		struct kb_query q;
		kb_query_build(text, &q);
		if (q.fts) {
			sqlite3_bind_text(st, 1, q.fts, -1, SQLITE_STATIC);
			int rc = sqlite3_step(st);
			if (rc != SQLITE_ROW)
				fail_msg("query %zu (%s) gave %s", i, q.fts, sqlite3_errmsg(db));
			sqlite3_reset(st);
		}
		kb_query_free(&q);
	}
	/* diacritics and stemming: "creme brulee" finds "crème brûlée", "run" finds "running" */
	struct kb_query q;
	kb_query_build("creme", &q);
	sqlite3_bind_text(st, 1, q.fts, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	sqlite3_reset(st);
	kb_query_free(&q);
	kb_query_build("run", &q);
	sqlite3_bind_text(st, 1, q.fts, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	kb_query_free(&q);
	sqlite3_finalize(st);
	sqlite3_close(db);
	buf_free(&big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words_and_quoting),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_hostile_queries_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
