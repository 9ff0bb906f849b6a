#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "text/mdrender.h"

/* Every line as text, one per "\n"; checks the spans cover each line in
 * order and that no line of text is wider than width unless it is wide. */
static char *dump(const struct md_doc *d, int width)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < d->nlines; i++) {
		const struct md_line *l = &d->lines[i];
		size_t at = l->off;
		for (size_t k = 0; k < l->nspans; k++) {
			const struct md_span *s = &d->spans[l->span + k];
			assert_int_equal(s->off, at);
			at += s->len;
		}
		assert_int_equal(at, l->off + l->len);
		if (!l->wide)
			assert_true(l->cols <= width);
		buf_append(&b, d->text.data + l->off, l->len);
		buf_putc(&b, '\n');
	}
	buf_putc(&b, 0);
	return buf_detach(&b);
}

static char *render(const char *src, int width)
{
	struct md_doc d;
	md_init(&d);
	md_update(&d, src, strlen(src), width, 0);
	char *s = dump(&d, width);
	md_free(&d);
	return s;
}

/* The style of the first span holding needle. */
static unsigned style_of(const struct md_doc *d, const char *needle)
{
	for (size_t i = 0; i < d->nspans; i++) {
		const struct md_span *s = &d->spans[i];
		if (memmem(d->text.data + s->off, s->len, needle, strlen(needle)))
			return s->style;
	}
	fail_msg("no span holds '%s'", needle);
	return 0;
}

static void test_table_aligned(void **state)
{
	(void)state;
	char *s = render("| name | n |\n|:-----|--:|\n| a | 1 |\n| longer | 100 |\n", 40);
	assert_string_equal(s, "name   │   n\n"
			       "───────┼────\n"
			       "a      │   1\n"
			       "longer │ 100\n");
	free(s);
}

static void test_code_block_kept_whole(void **state)
{
	(void)state;
	const char *src = "Run this:\n\n```sh\necho a very long line that does not fit in twenty columns\n  indented\n```\n";
	struct md_doc d;
	md_init(&d);
	md_update(&d, src, strlen(src), 20, 0);
	char *s = dump(&d, 20);
	assert_string_equal(s, "Run this:\n\nsh\necho a very long line that does not fit in twenty columns\n  indented\n");
	assert_int_equal(d.nblocks, 1);
	assert_string_equal(d.blocks[0].lang, "sh");
	assert_int_equal(d.blocks[0].first_line, 3);
	assert_int_equal(d.blocks[0].nlines, 2);
	assert_true(d.lines[3].wide);
	assert_true(d.lines[3].cols > 20);
	assert_true(style_of(&d, "echo") & MD_CODEBLOCK);
	assert_null(md_block_at(&d, 0));
	const struct md_block *b = md_block_at(&d, 4);
	assert_non_null(b);
	assert_int_equal(b->len, strlen("echo a very long line that does not fit in twenty columns\n  indented\n"));
	assert_memory_equal(d.code.data + b->off, "echo a very", 11);
	md_free(&d);
	free(s);
}

static void test_inline_styles_and_links(void **state)
{
	(void)state;
	const char *src = "# Title\n\nSome **bold**, *ital*, `code`, ~~gone~~ and [docs](https://x.org/d) or <https://y.org>.\n";
	struct md_doc d;
	md_init(&d);
	md_update(&d, src, strlen(src), 80, 0);
	char *s = dump(&d, 80);
	assert_string_equal(s, "Title\n═════\n\nSome bold, ital, code, gone and docs (https://x.org/d) or https://y.org.\n");
	assert_true(style_of(&d, "Title") & MD_HEADING);
	assert_true(style_of(&d, "bold") & MD_BOLD);
	assert_true(style_of(&d, "ital") & MD_ITALIC);
	assert_true(style_of(&d, "code") & MD_CODE);
	assert_true(style_of(&d, "gone") & MD_STRIKE);
	assert_true(style_of(&d, "docs") & MD_LINK);
	assert_true(style_of(&d, "https://x.org/d") & MD_URL);
	md_free(&d);
	free(s);
}

static void test_lists_and_quotes_wrap(void **state)
{
	(void)state;
	char *s = render("- one two three four\n- five\n  1. six\n  2. seven\n\n> quoted words that wrap here\n", 14);
	assert_string_equal(s, "• one two\n"
			       "  three four\n"
			       "• five\n"
			       "  1. six\n"
			       "  2. seven\n"
			       "\n"
			       "│ quoted words\n"
			       "│ that wrap\n"
			       "│ here\n");
	free(s);
}

static void test_long_word_cut_and_rule(void **state)
{
	(void)state;
	char *s = render("abcdefghijkl\n\n---\n", 5);
	assert_string_equal(s, "abcde\nfghij\nkl\n\n─────\n");
	free(s);
}

static void test_entities_never_make_controls(void **state)
{
	(void)state;
	char *s = render("a &#27;[31m b &#x202E; c &#x9b; [x](&#27;]52)\n", 80);
	for (const char *p = s; *p; p++)
		assert_true(*p == '\n' || (unsigned char)*p >= 0x20);
	assert_null(strstr(s, "\xe2\x80\xae"));
	assert_null(strstr(s, "\xc2\x9b"));
	free(s);
}

/* The same lines whether the text arrives at once or a few bytes at a time. */
static void test_streamed_equals_whole(void **state)
{
	(void)state;
	const char *src = "# Plan\n\nFirst a paragraph\nthat goes on.\n\n- a\n- b\n\n  still b\n\nNext:\n\n```c\nint x;\n\n"
			  "int y;\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> q\n\nlast *words*";
	char *whole = render(src, 30);
	for (size_t step = 1; step <= 7; step += 3) {
		struct md_doc d;
		md_init(&d);
		for (size_t n = 0; n <= strlen(src); n += step)
			md_update(&d, src, n, 30, 1);
		md_update(&d, src, strlen(src), 30, 0);
		char *s = dump(&d, 30);
		assert_string_equal(s, whole);
		assert_int_equal(d.nblocks, 1);
		md_free(&d);
		free(s);
	}
	free(whole);
}

/* Appending re-renders only the open segment: kept lines stay where they were. */
static void test_incremental_keeps_segments(void **state)
{
	(void)state;
	struct buf src = BUF_INIT;
	struct md_doc d;
	md_init(&d);
	for (int i = 0; i < 200; i++) {
		buf_printf(&src, "Paragraph %d has some words.\n\n", i);
		md_update(&d, src.data, src.len, 40, 1);
	}
	assert_true(d.done > src.len - 64);
	assert_int_equal(d.nlines, 200 * 2 - 1);
	assert_int_equal(md_first(&d, -1, 10), (long)d.nlines - 10);
	assert_int_equal(md_first(&d, 5, 10), 5);
	/* a width change renders everything again */
	md_update(&d, src.data, src.len, 12, 0);
	assert_int_equal(d.nlines, 200 * 4 - 1); /* "Paragraph 12" "has some" "words." */
	md_free(&d);
	buf_free(&src);
}

static void test_deep_nesting_is_bounded(void **state)
{
	(void)state;
	struct buf src = BUF_INIT;
	for (int i = 0; i < 5000; i++)
		buf_puts(&src, "> ");
	buf_puts(&src, "deep\n\n");
	for (int i = 0; i < 5000; i++)
		buf_puts(&src, "*a ");
	struct md_doc d;
	md_init(&d);
	md_update(&d, src.data, src.len, 40, 0);
	assert_true(d.nlines > 0);
	char *s = dump(&d, 1 << 20);
	assert_non_null(strstr(s, "deep"));
	free(s);
	md_free(&d);
	buf_free(&src);
}

int main(void)
{
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, "");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_aligned),
		cmocka_unit_test(test_code_block_kept_whole),
		cmocka_unit_test(test_inline_styles_and_links),
		cmocka_unit_test(test_lists_and_quotes_wrap),
		cmocka_unit_test(test_long_word_cut_and_rule),
		cmocka_unit_test(test_entities_never_make_controls),
		cmocka_unit_test(test_streamed_equals_whole),
		cmocka_unit_test(test_incremental_keeps_segments),
		cmocka_unit_test(test_deep_nesting_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
