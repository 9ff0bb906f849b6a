/* Wrapping answers into screen lines: at spaces, words longer than the
 * width cut, newlines kept, wide characters never split, the same lines
 * whether the text arrives at once or a byte at a time, and spans. And work
 * and memory linear in hostile text: a 10 MB stream without a newline (words,
 * one endless word, only spaces, only combining marks) is read a bounded
 * number of times per byte however it is cut into pieces, the index of a text
 * of millions of lines is a fraction of the text, and a view that asks for
 * the first lines of it wraps only those. */
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
	for (size_t i = 0; i < wrap_lines(w); i++) {
		size_t a, z;
		wrap_line(w, i, &a, &z);
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
	assert_int_equal(wrap_lines(&w), 2);
	wrap_update(&w, 4);
	assert_int_equal(wrap_lines(&w), 4);
	wrap_update(&w, 20);
	assert_int_equal(wrap_lines(&w), 1);
	wrap_reset(&w);
	assert_int_equal(w.text.len, 0);
	wrap_update(&w, 20);
	assert_int_equal(wrap_lines(&w), 1);
	wrap_free(&w);
}

static void test_first_line_for_scroll(void **state)
{
	(void)state;
	struct wrapped w;
	memset(&w, 0, sizeof w);
	buf_puts(&w.text, "a\nb\nc\nd\ne");
	wrap_update(&w, 10);
	assert_int_equal(wrap_lines(&w), 5);
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

/* Appends n bytes of pattern (repeated) to w in pieces of about chunk bytes
 * (never splitting a character of the pattern), wrapping after each piece:
 * no update reads more than a few times the bytes it was given plus a line. */
static void stream(const char *pattern, size_t n, size_t chunk, int width)
{
	struct wrapped w;
	memset(&w, 0, sizeof w);
	size_t plen = strlen(pattern), total = 0, read = 0, updates = 0;
	struct buf piece = BUF_INIT;
	while (total < n) {
		buf_reset(&piece);
		while (piece.len < chunk)
			buf_append(&piece, pattern, plen);
		buf_append(&w.text, piece.data, piece.len);
		size_t got = wrap_update(&w, width);
		read += got;
		if (got > 4 * piece.len + 4 * WRAP_LINE_BYTES(width))
			fail_msg("pattern \"%.8s\", width %d: an update of %zu bytes at %zu read %zu bytes", pattern, width,
				 piece.len, total, got);
		updates++;
		total += piece.len;
	}
	/* the whole text is read a few times, not once per piece */
	if (read > 4 * total + updates * 4 * WRAP_LINE_BYTES(width))
		fail_msg("pattern \"%.8s\": %zu bytes read for %zu bytes of text", pattern, read, total);
	/* the index is a mark per WRAP_MARK_EVERY lines */
	assert_true(w.nmarks <= wrap_lines(&w) / WRAP_MARK_EVERY + 1);
	assert_true(w.cap_marks <= 2 * w.nmarks + 16);
	/* a line never holds more than WRAP_LINE_BYTES */
	size_t a, z;
	wrap_line(&w, wrap_lines(&w) / 2, &a, &z);
	assert_true(z - a <= WRAP_LINE_BYTES(width));
	buf_free(&piece);
	wrap_free(&w);
}

static void test_newline_free_stream_is_linear(void **state)
{
	(void)state;
	size_t mb10 = (size_t)10 << 20;
	stream("lorem ipsum dolor sit amet ", mb10, 4096, 80);        /* words, no newline */
	stream("x", mb10, 16384, 80);                                  /* one endless word */
	stream("x", 2 << 20, 1, 7);                                    /* a byte at a time */
	stream(" ", 2 << 20, 4096, 80);                                /* only spaces */
	stream("a\xcc\x81\xcc\x81\xcc\x81", 2 << 20, 4096, 80);  /* combining marks */
	stream("\xcc\x81", 2 << 20, 4096, 80);                       /* zero-width only */
	stream("日本語", 2 << 20, 3000, 1);                            /* wider than the column */
	stream("word ", 2 << 20, 65536, 200);
}

/* Cut anywhere, the text wraps to the same lines as at once, also across the
 * WRAP_LINE_BYTES cut of a run of spaces or zero-width characters. */
static void test_pieces_give_the_same_lines(void **state)
{
	(void)state;
	struct buf t = BUF_INIT;
	buf_puts(&t, "start ");
	for (int i = 0; i < 3000; i++)
		buf_putc(&t, ' ');
	buf_puts(&t, "after spaces ");
	for (int i = 0; i < 3000; i++)
		buf_puts(&t, "\xcc\x81");
	buf_puts(&t, "x\n\nlast 日本 words of the text that wrap");
	for (int i = 0; i < 500; i++)
		buf_puts(&t, "abc");
	struct wrapped whole;
	memset(&whole, 0, sizeof whole);
	buf_append(&whole.text, t.data, t.len);
	wrap_update(&whole, 20);
	char *want = lines(&whole);
	unsigned seed = 7;
	for (int round = 0; round < 20; round++) {
		struct wrapped w;
		memset(&w, 0, sizeof w);
		for (size_t i = 0; i < t.len;) {
			seed = seed * 1103515245 + 12345;
			size_t n = 1 + (seed >> 16) % (round < 10 ? 7 : 900);
			if (n > t.len - i)
				n = t.len - i;
			while (i + n < t.len && (t.data[i + n] & 0xc0) == 0x80)
				n++;
			buf_append(&w.text, t.data + i, n);
			wrap_update(&w, 20);
			i += n;
		}
		char *got = lines(&w);
		if (strcmp(got, want))
			fail_msg("round %d: the lines differ from the text wrapped at once", round);
		free(got);
		wrap_free(&w);
	}
	free(want);
	wrap_free(&whole);
	buf_free(&t);
}

/* A stored answer of millions of empty lines: asking for a screenful wraps
 * about a screenful; wrapping it all keeps one mark per WRAP_MARK_EVERY lines. */
static void test_until_wraps_only_what_is_asked(void **state)
{
	(void)state;
	size_t n = (size_t)4 << 20;
	struct wrapped w;
	memset(&w, 0, sizeof w);
	buf_grow(&w.text, n + 8);
	memset(w.text.data, '\n', n);
	w.text.len = n;
	w.text.data[n] = 0;
	size_t got = wrap_update_until(&w, 80, 50);
	assert_true(wrap_lines(&w) >= 50 && wrap_lines(&w) <= 51);
	assert_true(got <= 4 * 51);
	assert_false(wrap_complete(&w));
	got = wrap_update_until(&w, 80, 1000);
	assert_true(wrap_lines(&w) >= 1000 && wrap_lines(&w) <= 1001);
	assert_true(got <= 4 * 1000);
	size_t a, z;
	wrap_line(&w, 999, &a, &z);
	assert_int_equal(a, 999);
	assert_int_equal(z, 999);
	got = wrap_update(&w, 80);
	assert_true(wrap_complete(&w));
	assert_int_equal(wrap_lines(&w), n + 1);
	assert_true(got <= 4 * n);
	assert_true(w.cap_marks * sizeof *w.marks <= 2 * (n / WRAP_MARK_EVERY + 16) * sizeof *w.marks);
	wrap_line(&w, n - 5, &a, &z);
	assert_int_equal(a, n - 5);
	/* nothing new: an update reads nothing */
	assert_int_equal(wrap_update(&w, 80), 0);
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
		cmocka_unit_test(test_newline_free_stream_is_linear),
		cmocka_unit_test(test_pieces_give_the_same_lines),
		cmocka_unit_test(test_until_wraps_only_what_is_asked),
	};
	if (!setlocale(LC_ALL, "C.UTF-8"))
		setlocale(LC_ALL, "");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
