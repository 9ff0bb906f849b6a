/* A knowledge-base document as the Knowledge pane shows it (ui/kbdoc.h): a
 * marker line where each chunk starts (with its number and heading), the
 * chosen chunk and its marker in their own attribute and nothing else, the
 * offset returned pointing at the chosen marker, overlapping chunks, an
 * escape sequence inside the text sanitized, and the line found for an
 * offset after wrapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <locale.h>

#include "kbdoc.h"

#define A_TEXT ((attr_t)1)
#define A_MARK ((attr_t)2)
#define A_CHOSEN ((attr_t)4)
#define A_FLAG ((attr_t)8)

static const struct kbdoc_attrs attrs = { A_TEXT, A_MARK, A_CHOSEN, A_FLAG };

/* The attribute of byte off of w's text. */
static attr_t attr_at(const struct wrapped *w, size_t off)
{
	for (size_t i = 0; i < w->nspans; i++)
		if (off < w->spans[i].end)
			return w->spans[i].attr;
	return 0;
}

/* A chunk with a finding, or of a document whose hidden characters were
 * stripped, carries the guard's mark on its marker line. */
static void test_flagged_chunks(void **state)
{
	(void)state;
	const char *body = "Mail jane.doe@example.com today.\nNothing here.\n";
	struct kb_chunk_row c[2] = {
		{ .seq = 0, .start = 0, .end = 33 },
		{ .seq = 1, .start = 33, .end = 47 },
	};
	struct wrapped w;
	memset(&w, 0, sizeof w);
	kbdoc_build(&w, body, strlen(body), c, 2, 5, NULL, &attrs);
	assert_non_null(strstr(w.text.data, "── chunk 1/2 ── ⚑ email\nMail"));
	assert_non_null(strstr(w.text.data, "── chunk 2/2 ──\nNothing"));
	assert_int_equal(attr_at(&w, (size_t)(strstr(w.text.data, "⚑") - w.text.data)), A_FLAG);
	kbdoc_build(&w, body, strlen(body), c, 2, 5, "{\"hidden_chars\":12}", &attrs);
	assert_non_null(strstr(w.text.data, "── chunk 1/2 ── ⚑ email, hidden\n"));
	assert_non_null(strstr(w.text.data, "── chunk 2/2 ── ⚑ hidden\n"));
	/* hidden characters still in the text (a KB stored before they were stripped) */
	const char *zw = "a\xE2\x80\x8B b\n";
	struct kb_chunk_row one = { .seq = 0, .start = 0, .end = strlen(zw) };
	kbdoc_build(&w, zw, strlen(zw), &one, 1, 5, NULL, &attrs);
	assert_non_null(strstr(w.text.data, "── chunk 1/1 ── ⚑ hidden\n"));
	wrap_free(&w);
}

static void test_markers_and_the_chosen_chunk(void **state)
{
	(void)state;
	const char *body = "# Guide\nIntro text.\n\n## Install\nRun make.\n";
	struct kb_chunk_row c[2] = {
		{ .seq = 0, .start = 0, .end = 19, .heading = (char[]){ "Guide" } },
		{ .seq = 1, .start = 21, .end = 41, .heading = (char[]){ "Guide > Install" } },
	};
	struct wrapped w;
	memset(&w, 0, sizeof w);
	size_t at = kbdoc_build(&w, body, strlen(body), c, 2, 1, NULL, &attrs);
	const char *want = "── chunk 1/2 · Guide ──\n# Guide\nIntro text.\n\n"
			   "── chunk 2/2 · Guide > Install ──\n## Install\nRun make.\n";
	assert_string_equal(w.text.data, want);
	const char *second = strstr(w.text.data, "── chunk 2/2");
	assert_int_equal(at, (size_t)(second - w.text.data));
	assert_int_equal(attr_at(&w, 0), A_MARK);
	assert_int_equal(attr_at(&w, (size_t)(strstr(w.text.data, "Intro") - w.text.data)), A_TEXT);
	assert_int_equal(attr_at(&w, at), A_CHOSEN);
	assert_int_equal(attr_at(&w, (size_t)(strstr(w.text.data, "Run make") - w.text.data)), A_CHOSEN);
	/* the newline after the chosen chunk's end is not part of it */
	assert_int_equal(attr_at(&w, w.text.len - 1), A_TEXT);

	wrap_update(&w, 40);
	assert_int_equal(kbdoc_line_of(&w, at), 4);
	assert_int_equal(kbdoc_line_of(&w, 0), 0);
	wrap_free(&w);
}

static void test_overlap_and_mid_line_starts(void **state)
{
	(void)state;
	const char *body = "one two three four five six";
	struct kb_chunk_row c[2] = {
		{ .seq = 0, .start = 0, .end = 18, .heading = (char[]){ "" } },
		{ .seq = 1, .start = 8, .end = 27, .heading = (char[]){ "" } },
	};
	struct wrapped w;
	memset(&w, 0, sizeof w);
	size_t at = kbdoc_build(&w, body, strlen(body), c, 2, 0, NULL, &attrs);
	assert_string_equal(w.text.data, "── chunk 1/2 ──\none two \n── chunk 2/2 ──\nthree four five six");
	assert_int_equal(at, 0);
	/* chunk 1 runs through "three four" inside chunk 2's span; the rest is text */
	assert_int_equal(attr_at(&w, (size_t)(strstr(w.text.data, "three") - w.text.data)), A_CHOSEN);
	assert_int_equal(attr_at(&w, (size_t)(strstr(w.text.data, "five") - w.text.data)), A_TEXT);
	assert_int_equal(attr_at(&w, (size_t)(strstr(w.text.data, "── chunk 2/2") - w.text.data)), A_MARK);
	wrap_free(&w);
}

static void test_untrusted_text_is_sanitized_and_no_chunk_chosen(void **state)
{
	(void)state;
	const char *body = "safe \033]2;pwned\007text\033[2J end";
	struct kb_chunk_row c[1] = { { .seq = 0, .start = 0, .end = strlen(body), .heading = (char[]){ "h\033[31mx\ny" } } };
	struct wrapped w;
	memset(&w, 0, sizeof w);
	size_t at = kbdoc_build(&w, body, strlen(body), c, 1, 5, NULL, &attrs);
	assert_int_equal(at, 0);
	assert_null(memchr(w.text.data, '\033', w.text.len));
	assert_null(memchr(w.text.data, '\007', w.text.len));
	assert_non_null(strstr(w.text.data, "safe "));
	assert_non_null(strstr(w.text.data, " end"));
	assert_non_null(strstr(w.text.data, "── chunk 1/1 · hx y ──\n"));
	for (size_t i = 0; i < w.text.len; i++)
		assert_int_not_equal(attr_at(&w, i), A_CHOSEN);
	wrap_free(&w);
}

static void test_empty_document(void **state)
{
	(void)state;
	struct wrapped w;
	memset(&w, 0, sizeof w);
	assert_int_equal(kbdoc_build(&w, "", 0, NULL, 0, 0, NULL, &attrs), 0);
	assert_int_equal(w.text.len, 0);
	wrap_update(&w, 20);
	assert_int_equal(kbdoc_line_of(&w, 0), 0);
	wrap_free(&w);
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_markers_and_the_chosen_chunk),
		cmocka_unit_test(test_flagged_chunks),
		cmocka_unit_test(test_overlap_and_mid_line_starts),
		cmocka_unit_test(test_untrusted_text_is_sanitized_and_no_chunk_chosen),
		cmocka_unit_test(test_empty_document),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
