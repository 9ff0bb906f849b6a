/* Wrapping answers into screen lines: at spaces, words longer than the
 * width cut, newlines kept, wide characters never split, the same lines
 * whether the text arrives at once or a byte at a time, and spans. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <locale.h>

#include "base/xmalloc.h"
#include "wrap.h"

/* The lines of w as "a|b|c" (each without its newline). */
static char *lines(const struct wrapped *w)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < w->nstarts; i++) {
		size_t a = w->starts[i], z = i + 1 < w->nstarts ? w->starts[i + 1] : w->text.len;
		if (z > a && w->text.data[z - 1] == '\n')
			z--;
		if (i)
			buf_putc(&b, '|');
		buf_append(&b, w->text.data + a, z - a);
	}
	return buf_detach(&b);
}

static void check(const char *text, int width, const char *want)
{
	struct wrapped w;
	memset(&w, 0, sizeof w);
	buf_puts(&w.text, text);
	wrap_update(&w, width);
	char *got = lines(&w);
	if (strcmp(got, want))
		fail_msg("width %d: got \"%s\", want \"%s\"", width, got, want);
	free(got);
	/* the same text fed a character at a time (as the sanitizer gives it),
	 * wrapping after each */
	struct wrapped v;
	memset(&v, 0, sizeof v);
	for (size_t i = 0; text[i];) {
		size_t len = 1;
		while ((text[i + len] & 0xc0) == 0x80)
			len++;
		buf_append(&v.text, text + i, len);
		wrap_update(&v, width);
		i += len;
	}
	got = lines(&v);
	if (strcmp(got, want))
		fail_msg("width %d, a byte at a time: got \"%s\", want \"%s\"", width, got, want);
	free(got);
	wrap_free(&w);
	wrap_free(&v);
}

static void test_wraps_at_spaces(void **state)
{
	(void)state;
	check("Hello from the fake OpenAI.", 10, "Hello from |the fake |OpenAI.");
	check("Hello from the fake OpenAI.", 9, "Hello |from the |fake |OpenAI.");
	check("Hello from the fake OpenAI.", 100, "Hello from the fake OpenAI.");
	check("one two", 3, "one |two");
	check("abcdefghij klm", 4, "abcd|efgh|ij |klm");
	check("a\n\nb c d", 3, "a||b c |d");
	check("", 5, "");
	check("x  y", 1, "x  |y");
	check("a  \nb", 1, "a  |b");
	check("ab  ", 1, "a|b  ");
}

static void test_wide_characters(void **state)
{
	(void)state;
	check("日本語のテキスト", 5, "日本|語の|テキ|スト");
	check("héllo wörld", 6, "héllo |wörld");
}

static void test_width_change_rewraps(void **state)
{
	(void)state;
	struct wrapped w;
	memset(&w, 0, sizeof w);
	buf_puts(&w.text, "aa bb cc dd");
	wrap_update(&w, 5);
	assert_int_equal(w.nstarts, 2);
	wrap_update(&w, 4);
	assert_int_equal(w.nstarts, 4);
	wrap_update(&w, 20);
	assert_int_equal(w.nstarts, 1);
	wrap_reset(&w);
	assert_int_equal(w.text.len, 0);
	wrap_update(&w, 20);
	assert_int_equal(w.nstarts, 1);
	wrap_free(&w);
}

static void test_first_line_for_scroll(void **state)
{
	(void)state;
	struct wrapped w;
	memset(&w, 0, sizeof w);
	buf_puts(&w.text, "a\nb\nc\nd\ne");
	wrap_update(&w, 10);
	assert_int_equal(w.nstarts, 5);
	assert_int_equal(wrap_first(&w, -1, 2), 3);  /* following the end */
	assert_int_equal(wrap_first(&w, -1, 9), 0);  /* all of it fits */
	assert_int_equal(wrap_first(&w, 1, 2), 1);
	assert_int_equal(wrap_first(&w, 99, 2), 4); /* past the end: the last line */
	wrap_free(&w);
	assert_int_equal(wrap_first(&w, 3, 2), 0);  /* empty */
}

static void test_spans_merge_and_track_ends(void **state)
{
	(void)state;
	struct wrapped w;
	memset(&w, 0, sizeof w);
	wrap_add_span(&w, "same ", 5, 1);
	wrap_add_span(&w, "more", 4, 1);
	wrap_add_span(&w, "[-x-]", 5, 2);
	wrap_add_span(&w, "{+y+}", 5, 3);
	assert_string_equal(buf_str(&w.text), "same more[-x-]{+y+}");
	assert_int_equal(w.nspans, 3);
	assert_int_equal(w.spans[0].end, 9);
	assert_int_equal(w.spans[1].end, 14);
	assert_int_equal(w.spans[2].end, 19);
	wrap_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wraps_at_spaces),
		cmocka_unit_test(test_wide_characters),
		cmocka_unit_test(test_width_change_rewraps),
		cmocka_unit_test(test_first_line_for_scroll),
		cmocka_unit_test(test_spans_merge_and_track_ends),
	};
	if (!setlocale(LC_ALL, "C.UTF-8"))
		setlocale(LC_ALL, "");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
