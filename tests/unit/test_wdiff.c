#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/wdiff.h"
#include "base/xmalloc.h"

/* The diff as text: [-deleted-]{+inserted+}, equal text as is; checks that
 * the segments rebuild both inputs and are well formed. Caller frees. */
static char *render(const char *a, const char *b, int *exact)
{
	size_t alen = strlen(a), blen = strlen(b), n, ap = 0, bp = 0;
	struct wdiff_seg *segs;
	int ex = wdiff(a, alen, b, blen, &segs, &n);
	if (exact)
		*exact = ex;
	struct buf out = BUF_INIT, ra = BUF_INIT, rb = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		const struct wdiff_seg *g = &segs[i];
		assert_true(g->len > 0);
		assert_int_equal(g->a_off, ap);
		assert_int_equal(g->b_off, bp);
		if (i)
			assert_int_not_equal(segs[i - 1].op, g->op);
		if (g->op == WDIFF_EQUAL) {
			assert_memory_equal(a + g->a_off, b + g->b_off, g->len);
			buf_append(&out, a + g->a_off, g->len);
		} else if (g->op == WDIFF_DELETE) {
			buf_puts(&out, "[-");
			buf_append(&out, a + g->a_off, g->len);
			buf_puts(&out, "-]");
		} else {
			buf_puts(&out, "{+");
			buf_append(&out, b + g->b_off, g->len);
			buf_puts(&out, "+}");
		}
		if (g->op != WDIFF_INSERT) {
			buf_append(&ra, a + g->a_off, g->len);
			ap += g->len;
		}
		if (g->op != WDIFF_DELETE) {
			buf_append(&rb, b + g->b_off, g->len);
			bp += g->len;
		}
	}
	assert_string_equal(buf_str(&ra), a);
	assert_string_equal(buf_str(&rb), b);
	buf_free(&ra);
	buf_free(&rb);
	free(segs);
	return buf_detach(&out);
}

static void expect(const char *a, const char *b, const char *want)
{
	int exact;
	char *got = render(a, b, &exact);
	assert_string_equal(got, want);
	assert_true(exact);
	free(got);
}

static void test_identical(void **state)
{
	(void)state;
	expect("the same words", "the same words", "the same words");
	struct wdiff_seg *segs;
	size_t n;
	assert_int_equal(wdiff("abc def", 7, "abc def", 7, &segs, &n), 1);
	assert_int_equal(n, 1);
	assert_int_equal(segs[0].op, WDIFF_EQUAL);
	assert_int_equal(segs[0].len, 7);
	free(segs);
}

static void test_empty(void **state)
{
	(void)state;
	struct wdiff_seg *segs = (struct wdiff_seg *)1;
	size_t n = 99;
	assert_int_equal(wdiff("", 0, "", 0, &segs, &n), 1);
	assert_int_equal(n, 0);
	free(segs);
	expect("", "new text", "{+new text+}");
	expect("old text", "", "[-old text-]");
}

static void test_all_different(void **state)
{
	(void)state;
	expect("the cat sat", "a dog ran", "[-the cat sat-]{+a dog ran+}");
	expect("x", "y", "[-x-]{+y+}");
}

static void test_changes_at_both_ends(void **state)
{
	(void)state;
	expect("one two three", "zero one two three", "{+zero +}one two three");
	expect("one two three", "one two three four", "one two three{+ four+}");
	expect("zero one two three", "one two three", "[-zero -]one two three");
	expect("one two three four", "one two three", "one two three[- four-]");
	expect("alpha middle omega", "ALPHA middle OMEGA", "[-alpha-]{+ALPHA+} middle [-omega-]{+OMEGA+}");
}

static void test_middle_word(void **state)
{
	(void)state;
	expect("the quick brown fox", "the quick red fox", "the quick [-brown-]{+red+} fox");
	expect("the quick brown fox", "the quick fox", "the quick [-brown -]fox");
	expect("a b c d e", "a b x y d e", "a b [-c-]{+x y+} d e");
}

static void test_unicode(void **state)
{
	(void)state;
	expect("café naïve 中文", "cafe naïve 中文 😀", "[-café-]{+cafe+} naïve 中文{+ 😀+}");
	expect("日本語 テキスト", "日本語 文章", "日本語 [-テキスト-]{+文章+}");
}

static void test_whitespace_only(void **state)
{
	(void)state;
	expect("a b c", "a  b c", "a[- -]{+  +}b c");
	expect("line one\nline two", "line one line two", "line one[-\n-]{+ +}line two");
	expect("word", "word\n", "word{+\n+}");
	expect("  ", "\t", "[-  -]{+\t+}");
}

static void test_words_are_whole(void **state)
{
	(void)state;
	/* a changed word is never split into letters */
	expect("testing", "tested", "[-testing-]{+tested+}");
	expect("foo(bar)", "foo(baz)", "[-foo(bar)-]{+foo(baz)+}");
}

static char *random_text(size_t size, unsigned seed)
{
	static const char *const vocab[] = { "alpha", "beta", "gamma", "delta", "the", "model", "answer", "token",
					     "é", "中文", "x", "prompt" };
	char *s = xmalloc(size + 1);
	size_t at = 0;
	srand(seed);
	while (at < size) {
		const char *w = vocab[rand() % 12];
		size_t n = strlen(w);
		if (at + n + 1 > size)
			break;
		memcpy(s + at, w, n);
		at += n;
		s[at++] = rand() % 9 == 0 ? '\n' : ' ';
	}
	s[at] = '\0';
	return s;
}

/* Two unrelated 1 MB answers: bounded work, a coarse but correct diff. */
static void test_large_unrelated_falls_back(void **state)
{
	(void)state;
	char *a = random_text(1 << 20, 1), *b = random_text(1 << 20, 2);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int exact;
	char *out = render(a, b, &exact);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_false(exact);
	assert_true(s < 20);
	free(out);
	free(a);
	free(b);
}

/* A 1 MB answer with a few words changed: still word-exact and fast. */
static void test_large_similar_is_exact(void **state)
{
	(void)state;
	char *a = random_text(1 << 20, 3), *b = xstrdup(a);
	size_t len = strlen(b);
	for (size_t at = 1000; at < len; at += len / 7) {
		while (at < len && b[at] != ' ')
			at++;
		if (at + 1 < len)
			b[at + 1] = 'Q';
	}
	int exact;
	char *out = render(a, b, &exact);
	assert_true(exact);
	assert_non_null(strstr(out, "{+Q"));
	free(out);
	free(a);
	free(b);
}

/* Many changes over many lines: past the word budget, the line diff keeps
 * the unchanged lines equal and word-diffs the changed ones. */
static void test_many_changes_use_lines(void **state)
{
	(void)state;
	struct buf a = BUF_INIT, b = BUF_INIT;
	for (int i = 0; i < 2000; i++) {
		buf_printf(&a, "line %d says hello big world\n", i);
		buf_printf(&b, "line %d %s\n", i, i % 5 ? "says hello big world" : "shouts goodbye small planet");
	}
	int exact;
	char *out = render(buf_str(&a), buf_str(&b), &exact);
	assert_true(exact);
	assert_non_null(strstr(out, "line 4 says hello big world\nline 5 [-says hello big world-]"
				    "{+shouts goodbye small planet+}\nline 6 says"));
	assert_non_null(strstr(out, "line 1995 [-says hello big world-]{+shouts goodbye small planet+}\n"));
	free(out);
	buf_free(&a);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identical),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_all_different),
		cmocka_unit_test(test_changes_at_both_ends),
		cmocka_unit_test(test_middle_word),
		cmocka_unit_test(test_unicode),
		cmocka_unit_test(test_whitespace_only),
		cmocka_unit_test(test_words_are_whole),
		cmocka_unit_test(test_large_unrelated_falls_back),
		cmocka_unit_test(test_large_similar_is_exact),
		cmocka_unit_test(test_many_changes_use_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
