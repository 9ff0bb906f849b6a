#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/tokens.h"
#include "kb/chunk.h"

static int is_space(char c)
{
	return c == ' ' || c == '\n' || c == '\t';
}

/* Invariants every chunker keeps: offsets inside the text, on character
 * boundaries, trimmed, within the window, in order, covering every word. */
static void check_chunks(const char *t, size_t n, const struct kb_chunk *c, size_t nc, size_t window)
{
	size_t covered = 0;
	for (size_t i = 0; i < nc; i++) {
		assert_true(c[i].start < c[i].end);
		assert_true(c[i].end <= n);
		assert_false(((unsigned char)t[c[i].start] & 0xC0) == 0x80);
		assert_true(c[i].end == n || ((unsigned char)t[c[i].end] & 0xC0) != 0x80);
		assert_false(is_space(t[c[i].start]));
		assert_false(is_space(t[c[i].end - 1]));
		assert_true(c[i].end - c[i].start <= window);
		assert_int_equal(c[i].tokens, tokens_estimate(c[i].end - c[i].start));
		if (i)
			assert_true(c[i].start > c[i - 1].start);
		for (size_t k = covered; k < c[i].start; k++)
			assert_true(is_space(t[k])); /* nothing visible is skipped */
		if (c[i].end > covered)
			covered = c[i].end;
	}
	for (size_t k = covered; k < n; k++)
		assert_true(is_space(t[k]));
}

static char *words(int n)
{
	struct buf b = BUF_INIT;
	for (int i = 0; i < n; i++)
		buf_printf(&b, "w%d%s", i, i % 13 == 12 ? "\n" : " ");
	return buf_detach(&b);
}

static void test_fixed_overlap(void **state)
{
	(void)state;
	char *t = words(400);
	size_t n = strlen(t);
	struct kb_chunk_opts o = { KB_CHUNK_FIXED, 32, 8 };
	struct kb_chunk *c;
	size_t nc = kb_chunk_text(t, n, &o, &c);
	assert_true(nc > 5);
	check_chunks(t, n, c, nc, tokens_bytes(32));
	for (size_t i = 1; i < nc; i++) {
		assert_true(c[i].start < c[i - 1].end);               /* they overlap */
		assert_true(c[i - 1].end - c[i].start <= tokens_bytes(8)); /* by at most the overlap */
		assert_true(c[i].start == 0 || is_space(t[c[i].start - 1])); /* at a word */
	}
	kb_chunks_free(c, nc);
	o.overlap = 0;
	nc = kb_chunk_text(t, n, &o, &c);
	check_chunks(t, n, c, nc, tokens_bytes(32));
	for (size_t i = 1; i < nc; i++)
		assert_true(c[i].start >= c[i - 1].end);
	kb_chunks_free(c, nc);
	free(t);
}

static void test_fixed_no_spaces_utf8(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	for (int i = 0; i < 300; i++)
		buf_puts(&b, "\xC3\xA9\xE2\x82\xAC"); /* é€, no white space at all */
	struct kb_chunk_opts o = { KB_CHUNK_FIXED, 16, 4 };
	struct kb_chunk *c;
	size_t nc = kb_chunk_text(b.data, b.len, &o, &c);
	assert_true(nc > 10);
	check_chunks(b.data, b.len, c, nc, tokens_bytes(16));
	kb_chunks_free(c, nc);
	buf_free(&b);
	assert_int_equal(kb_chunk_text("  \n\t ", 5, &o, &c), 0);
	assert_null(c);
}

static void test_markdown_headings(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_puts(&b, "Intro text before any heading, long enough to stand alone as a section of its own here.\n"
		     "# Guide\n\n");
	for (int i = 0; i < 30; i++)
		buf_puts(&b, "The guide explains every step of the setup in detail. ");
	buf_puts(&b, "\n\n## Install ##\n\n```\n# not a heading inside code\n```\n");
	for (int i = 0; i < 30; i++)
		buf_puts(&b, "Run the installer and follow what it prints. ");
	buf_puts(&b, "\n\n### Linux\n\n");
	for (int i = 0; i < 80; i++)
		buf_puts(&b, "On Linux use the package manager of your distribution. ");
	buf_puts(&b, "\n\n# Reference\n\n");
	for (int i = 0; i < 15; i++)
		buf_puts(&b, "Every option is listed here with its default. ");
	struct kb_chunk_opts o = { KB_CHUNK_MARKDOWN, 256, 16 };
	struct kb_chunk *c;
	size_t nc = kb_chunk_text(b.data, b.len, &o, &c);
	check_chunks(b.data, b.len, c, nc, tokens_bytes(256));
	int saw_linux = 0, saw_ref = 0, saw_code_heading = 0;
	for (size_t i = 0; i < nc; i++) {
		if (strcmp(c[i].heading, "Guide > Install > Linux") == 0)
			saw_linux++;
		if (strcmp(c[i].heading, "Reference") == 0)
			saw_ref++;
		if (strstr(c[i].heading, "not a heading"))
			saw_code_heading++;
	}
	assert_int_equal(c[0].start, 0);
	assert_string_equal(c[0].heading, "");
	assert_true(saw_linux >= 2); /* the huge section was split, each piece keeps its path */
	assert_int_equal(saw_ref, 1);
	assert_int_equal(saw_code_heading, 0);
	assert_string_equal(c[1].heading, "Guide");
	kb_chunks_free(c, nc);
	buf_free(&b);
}

static void test_markdown_merges_tiny(void **state)
{
	(void)state;
	const char *t = "# Title\n\n## A\n\nshort a\n\n## B\n\nshort b\n";
	struct kb_chunk_opts o = { KB_CHUNK_MARKDOWN, 512, 0 };
	struct kb_chunk *c;
	size_t nc = kb_chunk_text(t, strlen(t), &o, &c);
	assert_int_equal(nc, 1);
	assert_string_equal(c[0].heading, "Title");
	assert_int_equal(c[0].start, 0);
	assert_int_equal(c[0].end, strlen(t) - 1);
	kb_chunks_free(c, nc);
}

static void test_sentence(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_puts(&b, "First paragraph is short.\n\nSecond paragraph too.\n\n");
	for (int i = 0; i < 40; i++)
		buf_printf(&b, "Sentence number %d of a long paragraph goes on a while. ", i);
	struct kb_chunk_opts o = { KB_CHUNK_SENTENCE, 64, 10 };
	struct kb_chunk *c;
	size_t nc = kb_chunk_text(b.data, b.len, &o, &c);
	check_chunks(b.data, b.len, c, nc, tokens_bytes(64));
	assert_true(nc >= 3);
	/* the two short paragraphs share a chunk; every later chunk ends at a sentence end */
	assert_memory_equal(b.data + c[0].start, "First paragraph", 15);
	assert_non_null(strstr(b.data + c[0].start, "Second"));
	for (size_t i = 1; i < nc; i++) {
		assert_int_equal(b.data[c[i].end - 1], '.');
		if (i > 1)
			assert_true(c[i].start >= c[i - 1].end);
	}
	kb_chunks_free(c, nc);
	buf_free(&b);
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(kb_chunker_parse("fixed"), KB_CHUNK_FIXED);
	assert_int_equal(kb_chunker_parse("markdown"), KB_CHUNK_MARKDOWN);
	assert_int_equal(kb_chunker_parse("sentence"), KB_CHUNK_SENTENCE);
	assert_int_equal(kb_chunker_parse("other"), -1);
	assert_string_equal(kb_chunker_name(KB_CHUNK_SENTENCE), "sentence");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_overlap),
		cmocka_unit_test(test_fixed_no_spaces_utf8),
		cmocka_unit_test(test_markdown_headings),
		cmocka_unit_test(test_markdown_merges_tiny),
		cmocka_unit_test(test_sentence),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
