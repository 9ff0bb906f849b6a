/* kb/addline: PATH [+GLOB]... [-GLOB]... — globs of both kinds in order,
 * quotes and backslashes, ~/ as $HOME; a bare word, an open quote, no path,
 * a lone sign or too many globs are one sentence and leave nothing held. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "kb/addline.h"

static void test_parse(void **state)
{
	(void)state;
	struct kb_addline a;
	struct err e = ERR_INIT;
	assert_int_equal(kb_addline_parse("  docs +*.md +'notes/*.txt' -drafts -\"old file*\"", &a, &e), 0);
	assert_string_equal(a.path, "docs");
	assert_int_equal(a.ninclude, 2);
	assert_string_equal(a.include[0], "*.md");
	assert_string_equal(a.include[1], "notes/*.txt");
	assert_int_equal(a.nexclude, 2);
	assert_string_equal(a.exclude[0], "drafts");
	assert_string_equal(a.exclude[1], "old file*");
	kb_addline_free(&a);
	assert_int_equal(kb_addline_parse("'my notes/x' +\\+plus my\\ dir\\", &a, &e), -1); /* a bare word */
	assert_int_equal(kb_addline_parse("'my notes/x' +\\+plus", &a, &e), 0);
	assert_string_equal(a.path, "my notes/x");
	assert_string_equal(a.include[0], "+plus");
	kb_addline_free(&a);
	setenv("HOME", "/home/q", 1);
	assert_int_equal(kb_addline_parse("~/kb", &a, &e), 0);
	assert_string_equal(a.path, "/home/q/kb");
	kb_addline_free(&a);
	assert_int_equal(kb_addline_parse("~other/kb", &a, &e), 0);
	assert_string_equal(a.path, "~other/kb");
	kb_addline_free(&a);
}

static void test_refusals(void **state)
{
	(void)state;
	struct kb_addline a;
	struct err e = ERR_INIT;
	assert_int_equal(kb_addline_parse("docs *.md", &a, &e), -1);
	assert_non_null(strstr(e.msg, "'*.md' is neither +GLOB (include) nor -GLOB (exclude)"));
	assert_null(a.path);
	assert_int_equal(kb_addline_parse("'docs +x", &a, &e), -1);
	assert_non_null(strstr(e.msg, "quote is not closed"));
	assert_int_equal(kb_addline_parse("   ", &a, &e), -1);
	assert_non_null(strstr(e.msg, "no path given"));
	assert_int_equal(kb_addline_parse(NULL, &a, &e), -1);
	assert_int_equal(kb_addline_parse("d +", &a, &e), -1);
	struct buf b = BUF_INIT;
	buf_puts(&b, "d");
	for (int i = 0; i <= KB_ADDLINE_GLOBS_MAX; i++)
		buf_printf(&b, " +g%d", i);
	assert_int_equal(kb_addline_parse(buf_str(&b), &a, &e), -1);
	assert_non_null(strstr(e.msg, "at most 16"));
	assert_null(a.path);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
