/* fts: the MATCH expression builder: quoting, prefixes, de-duplication,
 * joiners, the phrase language's limits — and every expression it builds is
 * one FTS5 parses (checked against a real FTS5 table). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/fts.h"

static void test_expr_terms_and_joiners(void **state)
{
	(void)state;
	struct fts_expr x = FTS_EXPR_INIT;
	assert_null(fts_expr_finish(&x, " "));
	assert_int_equal(fts_expr_add(&x, "a\"b", 3, 0), 1);
	assert_int_equal(fts_expr_add(&x, "word", 4, 1), 1);
	assert_int_equal(fts_expr_add(&x, "word", 4, 0), 1);
	assert_int_equal(fts_expr_add(&x, "word", 4, 1), 0);
	assert_int_equal(fts_expr_add(&x, "wordy", 4, 0), 0); /* only n bytes count */
	char *q = fts_expr_finish(&x, " OR ");
	assert_string_equal(q, "\"a\"\"b\" OR \"word\"* OR \"word\"");
	free(q);
	assert_int_equal(x.n, 0);
	fts_expr_add(&x, "x", 1, 0);
	fts_expr_add(&x, "y z", 3, 0);
	q = fts_expr_finish(&x, " ");
	assert_string_equal(q, "\"x\" \"y z\"");
	free(q);
	fts_expr_add(&x, "left", 4, 0);
	fts_expr_free(&x);
	assert_null(x.terms);
}

static void test_phrase_query_limits(void **state)
{
	(void)state;
	char *q = fts_phrase_query("one two three four", 2, 100);
	assert_string_equal(q, "\"one\" \"two\"");
	free(q);
	q = fts_phrase_query("abcdef", 5, 3);
	assert_string_equal(q, "\"abc\"");
	free(q);
	q = fts_phrase_query("é", 5, 1); /* never half a character */
	assert_string_equal(q, "\"\"");
	free(q);
	q = fts_phrase_query("x x y", 2, 100); /* a repeat does not use up a word */
	assert_string_equal(q, "\"x\" \"y\"");
	free(q);
	assert_null(fts_phrase_query("-- ** ()", 5, 100));
}

static void test_fts5_parses_every_expression(void **state)
{
	(void)state;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(x);"
					  "INSERT INTO t VALUES('the borrow checker said NOT near');",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	static const char *const inputs[] = { "borrow", "borr*", "\"borrow checker\"", "NOT", "NEAR(a b)", "a\"b",
					      "x OR", "(( )) ^col:x", "said*", "near AND", NULL };
	for (int i = 0; inputs[i]; i++) {
		char *q = fts_phrase_query(inputs[i], 16, 128);
		assert_non_null(q);
		sqlite3_stmt *st;
		assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE t MATCH ?1", -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_text(st, 1, q, -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		sqlite3_finalize(st);
		free(q);
	}
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expr_terms_and_joiners),
		cmocka_unit_test(test_phrase_query_limits),
		cmocka_unit_test(test_fts5_parses_every_expression),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
