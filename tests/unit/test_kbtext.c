#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "kb/text.h"

#define LIT(s) (s), sizeof(s) - 1

static char *clean(const char *in, size_t n, struct kb_clean_stats *st)
{
	struct buf b = BUF_INIT;
	kb_text_clean(in, n, &b, st);
	return b.data ? buf_detach(&b) : strdup("");
}

static void test_crlf_nul_bom(void **state)
{
	(void)state;
	struct kb_clean_stats st = { 0, 0, 0 };
	char *s = clean(LIT("\xEF\xBB\xBFone\r\ntwo\rthree\0four\x01\x02\x1b[1m\tend\n"), &st);
	assert_string_equal(s, "one\ntwo\nthreefour[1m\tend\n");
	assert_int_equal(st.nuls, 1);
	assert_int_equal(st.controls, 3);
	assert_int_equal(st.invalid, 0);
	free(s);
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	struct kb_clean_stats st = { 0, 0, 0 };
	/* stray continuation, overlong, surrogate, truncated at the end; valid é and 😀 kept */
	char *s = clean(LIT("a\x80" "b\xC0\xAF" "c\xED\xA0\x80" "d\xC3\xA9\xF0\x9F\x98\x80\xE2\x82"), &st);
	assert_string_equal(s, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
			       "d\xC3\xA9\xF0\x9F\x98\x80\xEF\xBF\xBD\xEF\xBF\xBD");
	assert_int_equal(st.invalid, 8);
	free(s);
}

static void test_binary(void **state)
{
	(void)state;
	assert_false(kb_text_looks_binary(LIT("plain text\nwith lines\n")));
	assert_true(kb_text_looks_binary(LIT("\x7F" "ELF\x02\x01\x01")));
	assert_true(kb_text_looks_binary(LIT("\x89PNG\r\n\x1a\n")));
	char blob[1000];
	for (int i = 0; i < 1000; i++)
		blob[i] = (char)(i * 7);
	assert_true(kb_text_looks_binary(blob, sizeof blob));
	char text[1000];
	memset(text, 'a', sizeof text);
	text[500] = '\0'; /* one NUL in a text file is repaired, not binary */
	assert_false(kb_text_looks_binary(text, sizeof text));
	assert_false(kb_text_looks_binary("", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crlf_nul_bom),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_binary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
