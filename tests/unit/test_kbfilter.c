/* kb/filter on its own: what compiles, to which bound values, and the
 * column of every error. (Filters applied in a search: test_kbsearch.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kb/filter.h"

static void compiles(const char *expr, size_t nvalues)
{
	struct kb_filter f;
	struct err e = ERR_INIT;
	if (kb_filter_compile(expr, 1, &f, &e) < 0)
		fail_msg("%s: %s", expr, e.msg);
	assert_int_equal(f.nvalues, nvalues);
	assert_non_null(f.sql);
	kb_filter_free(&f);
}

static void fails_at(const char *expr, const char *msg)
{
	struct kb_filter f;
	struct err e = ERR_INIT;
	assert_int_equal(kb_filter_compile(expr, 1, &f, &e), -1);
	if (!strstr(e.msg, msg))
		fail_msg("%s: expected '%s', got '%s'", expr, msg, e.msg);
	assert_null(f.sql);
}

static void test_values_typed(void **state)
{
	(void)state;
	struct kb_filter f;
	struct err e = ERR_INIT;
	assert_int_equal(kb_filter_compile("year >= 2024 AND src = docs AND d = '2024' AND x = -1.5e2 AND b = TRUE", 7, &f, &e), 0);
	assert_int_equal(f.first, 7);
	/* key path, value for each comparison but the boolean, which is in the SQL */
	assert_int_equal(f.nvalues, 9);
	assert_int_equal(f.values[1].type, 'n');
	assert_true(f.values[1].num == 2024);
	assert_int_equal(f.values[3].type, 't');
	assert_string_equal(f.values[3].text, "docs");
	assert_int_equal(f.values[5].type, 't');
	assert_string_equal(f.values[5].text, "2024");
	assert_true(f.values[7].num == -150);
	assert_string_equal(f.values[8].text, "$.\"b\"");
	assert_non_null(strstr(f.sql, "j.type = 'true'"));
	assert_non_null(strstr(f.sql, "?7"));
	assert_non_null(strstr(f.sql, "?15"));
	assert_null(strstr(f.sql, "?16"));
	kb_filter_free(&f);
}

static void test_grammar(void **state)
{
	(void)state;
	compiles("a=1", 2);
	compiles("a IN (1, 'x', \"y\", true)", 4);
	compiles("a NOT IN (1)", 2);
	compiles("path GLOB 'docs/*.md'", 1);
	compiles("path NOT GLOB docs/*", 1);
	compiles("NOT (a=1 OR b<2) AND c>=3", 6);
	compiles("title = 'It''s here'", 1);
	compiles("a.b-c_d = x", 2);
	compiles("a <> 1 and b == 2 or not c != 3", 6);
	struct kb_filter f;
	struct err e = ERR_INIT;
	assert_int_equal(kb_filter_compile("title = 'It''s'", 1, &f, &e), 0);
	assert_string_equal(f.values[0].text, "It's");
	kb_filter_free(&f);
}

static void test_errors_name_the_column(void **state)
{
	(void)state;
	fails_at("year>", "column 6: expected a value");
	fails_at("a=1 AND", "column 8: expected a key");
	fails_at("a IN (1,", "column 9: expected a value");
	fails_at("a IN 1", "column 6: expected '('");
	fails_at("(a=1", "column 1: this '(' is never closed");
	fails_at("a=1)", "column 4: this ')' closes nothing");
	fails_at("a=1 b=2", "column 5: expected AND, OR or the end");
	fails_at("a<true", "column 2: true and false can only be compared");
	fails_at("é=1", "column 1: 'é' is not a key");
	fails_at("ab=1 AND é=2", "column 10: 'é' is not a key"); /* columns count characters, not bytes */
	fails_at("a=\"x", "column 3: this quote is never closed");
	fails_at("a ! 1", "column 3: '!' must be followed by '='");
	fails_at("a;1", "column 2: unexpected ';'");
	fails_at("   ", "column 4: the filter is empty");
	char big[KB_FILTER_MAX_LEN + 10];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	struct kb_filter f;
	struct err e = ERR_INIT;
	assert_int_equal(kb_filter_compile(big, 1, &f, &e), -1);
	assert_non_null(strstr(e.msg, "longer than"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_typed),
		cmocka_unit_test(test_grammar),
		cmocka_unit_test(test_errors_name_the_column),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
