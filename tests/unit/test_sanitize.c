#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/sanitize.h"

#define FFFD "\xef\xbf\xbd"
#define LIT(s) (s), sizeof(s) - 1

static void check(const char *in, size_t n, int tab_width, const char *want)
{
	char *got = sanitize_str(in, n, tab_width);
	assert_string_equal(got, want);
	free(got);
}

#define EXPECT(in, want) check(LIT(in), 8, (want))
#define EXPECT_TAB(in, tab, want) check(LIT(in), (tab), (want))

static char *feed_split(const char *in, size_t n, size_t at, int tab_width)
{
	struct sanitizer s;
	struct buf out = BUF_INIT;
	sanitize_init(&s, tab_width);
	sanitize_feed(&s, in, at, &out);
	sanitize_feed(&s, in + at, n - at, &out);
	sanitize_finish(&s, &out);
	return buf_detach(&out);
}

static char *feed_bytewise(const char *in, size_t n, int tab_width)
{
	struct sanitizer s;
	struct buf out = BUF_INIT;
	sanitize_init(&s, tab_width);
	for (size_t i = 0; i < n; i++)
		sanitize_feed(&s, in + i, 1, &out);
	sanitize_finish(&s, &out);
	return buf_detach(&out);
}

static void assert_split_invariant(const char *in, size_t n, int tab_width)
{
	char *whole = sanitize_str(in, n, tab_width);
	for (size_t at = 0; at <= n; at++) {
		char *two = feed_split(in, n, at, tab_width);
		assert_string_equal(two, whole);
		free(two);
	}
	char *bytes = feed_bytewise(in, n, tab_width);
	assert_string_equal(bytes, whole);
	free(bytes);
	free(whole);
}

static void assert_idempotent(const char *in, size_t n, int tab_width)
{
	char *once = sanitize_str(in, n, tab_width);
	char *twice = sanitize_str(once, strlen(once), tab_width);
	assert_string_equal(twice, once);
	free(once);
	free(twice);
}

static void test_bidi_controls_dropped(void **state)
{
	(void)state;
	/* RLO ... PDF, LRI ... PDI around text: the letters stay, the controls go. */
	EXPECT("a\xe2\x80\xaerev\xe2\x80\xac" "b", "arevb");
	EXPECT("\xe2\x81\xa6x\xe2\x81\xa9", "x");
	EXPECT("\xe2\x80\x8fkeep", "\xe2\x80\x8fkeep"); /* RLM is a mark, not an override */
}

static void test_tab_width_capped(void **state)
{
	(void)state;
	EXPECT_TAB("\tx", 1000000, "                x");
}

static void test_ascii_unchanged(void **state)
{
	(void)state;
	char in[0x7f - 0x20 + 3];
	size_t n = 0;
	for (int c = 0x20; c < 0x7f; c++)
		in[n++] = (char)c;
	in[n++] = '\n';
	in[n] = '\0';
	check(in, n, 8, in);
	EXPECT("Hello, world!\nline two ~{}[]\n", "Hello, world!\nline two ~{}[]\n");
	EXPECT("", "");
}

static void test_csi_dropped(void **state)
{
	(void)state;
	EXPECT("a\x1b[31mred\x1b[0m b", "ared b");
	EXPECT("\x1b[?1049h\x1b[2J\x1b[1;1H!\x1b[38:2::255:0:0m.", "!.");
	EXPECT("\x1b[>0;1 q|\x1b[6n|", "||");
}

static void test_osc_title_and_hyperlink(void **state)
{
	(void)state;
	EXPECT("a\x1b]0;title\x07" "b", "ab");
	EXPECT("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\" "b", "alinkb");
}

static void test_osc52_clipboard(void **state)
{
	(void)state;
	EXPECT("\x1b]52;c;ZWNobyBwd25lZA==\x07ok\x1b]52;c;?\x1b\\!", "ok!");
}

static void test_dcs_sos_pm_apc(void **state)
{
	(void)state;
	EXPECT("\x1bPq#0;2;0;0;0\x1b\\" "a\x1bXsos\x1b\\" "b\x1b^pm\x1b\\" "c\x1b_apc\x1b\\" "d",
	       "abcd");
	/* BEL ends only an OSC */
	EXPECT("\x1bP$q\x07still dcs\x1b\\z", "z");
	EXPECT("\x1b_G a=T;\x07more\x1b\\z", "z");
}

static void test_two_byte_and_nf_escapes(void **state)
{
	(void)state;
	EXPECT("\x1b" "7a\x1b" "8b\x1b(Bc\x1b#8d\x1b" "ce\x1b%Gf\x1b=g\x1b\\h", "abcdefgh");
	EXPECT("\x1b (\x1b" "F!", "!");
}

static void test_c0_and_del_dropped(void **state)
{
	(void)state;
	for (int c = 0; c < 0x20; c++) {
		if (c == '\n' || c == '\t' || c == 0x1b)
			continue;
		char in[3] = {'a', (char)c, 'b'};
		check(in, 3, 8, "ab");
		check(in, 3, 0, "ab");
	}
	EXPECT("a\x7f" "b", "ab");
	EXPECT("one\r\ntwo\rthree", "one\ntwothree");
}

static void test_tab_kept_when_width_zero(void **state)
{
	(void)state;
	EXPECT_TAB("a\tb\t\n\tc", 0, "a\tb\t\n\tc");
}

static void test_raw_c1_introducers(void **state)
{
	(void)state;
	EXPECT("a\x9b" "31mb", "ab");
	EXPECT("a\x9d" "0;title\x07" "b", "ab");
	EXPECT("a\x9d" "0;title\x9c" "b", "ab");
	EXPECT("a\x9d" "8;;http://x\x1b\\link\x9d" "8;;\x9c" "b", "alinkb");
}

static void test_other_raw_c1_replaced(void **state)
{
	(void)state;
	EXPECT("a\x85" "b", "a" FFFD "b");
	EXPECT("\x90" "q\x9c" "x", FFFD "q" FFFD "x");
	EXPECT("\x80\x9f", FFFD FFFD);
}

static void test_utf8_encoded_c1_dropped(void **state)
{
	(void)state;
	EXPECT("a\xc2\x9d" "0;t\x07" "b", "a0;tb");
	EXPECT("\xc2\x9b" "2J", "2J");
	EXPECT("\xc2\x80\xc2\x85\xc2\x9f", "");
	EXPECT("\xc2\xa0\xc2\xa9", "\xc2\xa0\xc2\xa9");
	EXPECT("\xc2\x7f", FFFD);
}

static void test_unicode_maximal_subparts(void **state)
{
	(void)state;
	/* The Unicode Standard, table 3-8 */
	EXPECT("\x61\xf1\x80\x80\xe1\x80\xc2\x62\x80\x63\x80\xbf\x64",
	       "a" FFFD FFFD FFFD "b" FFFD "c" FFFD FFFD "d");
}

static void test_overlong_forms(void **state)
{
	(void)state;
	EXPECT("\xc0\xaf", FFFD FFFD);
	EXPECT("\xc1\xbf", FFFD FFFD);
	EXPECT("\xe0\x80\xaf", FFFD FFFD FFFD);
	EXPECT("\xe0\x9f\xbf", FFFD FFFD FFFD);
	EXPECT("\xf0\x80\x80\xaf", FFFD FFFD FFFD FFFD);
	EXPECT("\xf0\x8f\xbf\xbf", FFFD FFFD FFFD FFFD);
	EXPECT("\xe0\xa0\x80\xf0\x90\x80\x80", "\xe0\xa0\x80\xf0\x90\x80\x80");
}

static void test_surrogates(void **state)
{
	(void)state;
	EXPECT("\xed\xa0\x80", FFFD FFFD FFFD);
	EXPECT("\xed\xbf\xbf", FFFD FFFD FFFD);
	EXPECT("\xed\xa0\xbd\xed\xb8\x80", FFFD FFFD FFFD FFFD FFFD FFFD);
	EXPECT("\xed\x9f\xbf|\xee\x80\x80", "\xed\x9f\xbf|\xee\x80\x80");
}

static void test_above_max_and_bad_leads(void **state)
{
	(void)state;
	EXPECT("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);
	EXPECT("\xf5\xbf", FFFD FFFD);
	EXPECT("\xff\xfe" "x", FFFD FFFD "x");
	EXPECT("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");
}

static void test_truncated_and_stray(void **state)
{
	(void)state;
	EXPECT("\xe4\xb8" "A", FFFD "A");
	EXPECT("\xf0\x9f\x98", FFFD);
	EXPECT("\xa0\xbf" "x", FFFD FFFD "x");
	EXPECT("\xe4\xb8\xe4\xb8\x80", FFFD "\xe4\xb8\x80");
	EXPECT("\xe4\x1b[1mx", FFFD "x");
	EXPECT("\xe4\n", FFFD "\n");
}

static void test_split_osc8_every_point(void **state)
{
	(void)state;
	static const char in[] = "a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\" "b";
	EXPECT("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\" "b", "alinkb");
	assert_split_invariant(LIT(in), 8);
}

static void test_split_mixed_every_point(void **state)
{
	(void)state;
	static const char in[] =
		"x\t\xe6\x97\xa5\xe6\x9c\xac\t\xe4\xb8\x80\x1b[1;31m!\x1b]0;t\xe7\x9c\x8b\x07"
		"\xc2\x9d\xf0\x9f\x98\x80\t\xed\xa0\x80\r\nz\x9b" "2Jq\xc0\x1bPdcs\x1b\\"
		"e\xcc\x81\t\x9d" "52;c;x\x9c\x1b(B\xf4\x90\x80\x80\x1b[1\x18" "9\x1b";
	for (int tab = 0; tab <= 4; tab += 4)
		assert_split_invariant(LIT(in), tab);
}

static void test_cjk_width(void **state)
{
	(void)state;
	assert_int_equal(sanitize_cpwidth(0x4e00), 2);
	assert_int_equal(sanitize_cpwidth(0xff21), 2);
	assert_int_equal(sanitize_cpwidth(0xac00), 2);
	assert_int_equal(sanitize_width(LIT("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e")), 6);
	assert_int_equal(sanitize_width(LIT("ab\xe4\xb8\x80")), 4);
}

static void test_emoji_width(void **state)
{
	(void)state;
	assert_int_equal(sanitize_cpwidth(0x1f600), 2);
	assert_int_equal(sanitize_cpwidth(0x1f44d), 2);
	assert_int_equal(sanitize_width(LIT("\xf0\x9f\x98\x80\xf0\x9f\x91\x8d")), 4);
}

static void test_combining_and_control_width(void **state)
{
	(void)state;
	assert_int_equal(sanitize_cpwidth(0x301), 0);
	assert_int_equal(sanitize_cpwidth(0x200b), 0);
	assert_int_equal(sanitize_width(LIT("e\xcc\x81")), 1);
	assert_int_equal(sanitize_cpwidth('a'), 1);
	assert_int_equal(sanitize_cpwidth('\t'), 0);
	assert_int_equal(sanitize_cpwidth(0x9b), 0);
	assert_int_equal(sanitize_cpwidth(0xfffd), 1);
	assert_int_equal(sanitize_width(LIT(FFFD "x")), 2);
}

static void test_tab_expansion(void **state)
{
	(void)state;
	EXPECT_TAB("a\tb", 4, "a   b");
	EXPECT_TAB("\tx", 4, "    x");
	EXPECT_TAB("abcd\tx", 4, "abcd    x");
	EXPECT_TAB("ab\n\tc", 4, "ab\n    c");
	EXPECT_TAB("a\tb", 8, "a       b");
	EXPECT_TAB("a\x1b[31m\tb\x1b]0;long title\x07\t", 4, "a   b   ");
}

static void test_tab_after_wide_and_combining(void **state)
{
	(void)state;
	EXPECT_TAB("\xe6\x97\xa5\tx", 4, "\xe6\x97\xa5  x");
	EXPECT_TAB("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\tx", 4,
		   "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e  x");
	EXPECT_TAB("\xf0\x9f\x98\x80\t|", 4, "\xf0\x9f\x98\x80  |");
	EXPECT_TAB("e\xcc\x81\tx", 4, "e\xcc\x81   x");
	EXPECT_TAB("\xff\tx", 4, FFFD "   x");
	EXPECT_TAB("\xc2\x9d\tx", 4, "    x");
}

static void test_fit_never_splits(void **state)
{
	(void)state;
	static const char cjk[] = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e";
	int cols = -1;
	assert_int_equal(sanitize_fit(LIT(cjk), 5, &cols), 6);
	assert_int_equal(cols, 4);
	assert_int_equal(sanitize_fit(LIT(cjk), 1, &cols), 0);
	assert_int_equal(cols, 0);
	assert_int_equal(sanitize_fit(LIT(cjk), 6, &cols), 9);
	assert_int_equal(cols, 6);
	assert_int_equal(sanitize_fit(LIT("ab\xe4\xb8\x80"), 3, &cols), 2);
	assert_int_equal(cols, 2);
	assert_int_equal(sanitize_fit(LIT("e\xcc\x81x"), 1, &cols), 3);
	assert_int_equal(cols, 1);
	assert_int_equal(sanitize_fit(LIT("\xf0\x9f\x98\x80" "a"), 1, NULL), 0);
	assert_int_equal(sanitize_fit(LIT("abc"), 0, &cols), 0);
	assert_int_equal(sanitize_fit(LIT("abc"), 10, &cols), 3);
	assert_int_equal(cols, 3);
}

static void test_idempotent(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		size_t n;
	} inputs[] = {
		{LIT("a\tb\xe6\x97\xa5\tc\n\td")},
		{LIT("\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xe4\xb8")},
		{LIT("\x1b\x1b[[\x1b\\\\\x9b\x9b\x9d\x9c\xc2\x9d\xc2")},
		{LIT("\xef\xbf\xbd\xc2\xa0\xe2\x80\xae\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9")},
		{LIT("\x1b[1;2\x18" "3m\x1b]0;\x1a\x07\r\n\x7f\x01")},
	};
	for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
		assert_idempotent(inputs[i].s, inputs[i].n, 0);
		assert_idempotent(inputs[i].s, inputs[i].n, 4);
	}
}

static char *repeat(const char *head, char fill, size_t count, const char *tail, size_t *len)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, head);
	for (size_t i = 0; i < count; i++)
		buf_putc(&b, fill);
	buf_puts(&b, tail);
	*len = b.len;
	return buf_detach(&b);
}

static void test_swallow_cap(void **state)
{
	(void)state;
	size_t n;
	char *in = repeat("\x1b]0;", 'x', SANITIZE_SEQ_MAX - 2, "\x07ok", &n);
	check(in, n, 8, "ok");
	free(in);
	in = repeat("\x1b]0;", 'x', SANITIZE_SEQ_MAX, "visible", &n);
	check(in, n, 8, "xxvisible");
	assert_split_invariant(in, n, 8);
	free(in);
	in = repeat("\x1bP", '\n', SANITIZE_SEQ_MAX + 1, "", &n);
	check(in, n, 8, "\n");
	free(in);
	in = repeat("\x1b[", '1', SANITIZE_SEQ_MAX + 5, "m", &n);
	check(in, n, 8, "11111m");
	free(in);
	in = repeat("\x1b", ' ', SANITIZE_SEQ_MAX + 3, "A", &n);
	check(in, n, 8, "   A");
	free(in);
}

static void test_can_sub_cancel(void **state)
{
	(void)state;
	EXPECT("\x1b[31\x18m", "m");
	EXPECT("\x1b]0;t\x1a" "x", "x");
	EXPECT("\x1b\x18[", "[");
	EXPECT("\x1bPab\x18" "c", "c");
	EXPECT("\x1b(\x1a" "B", "B");
}

static void test_csi_aborted_by_control_or_high_byte(void **state)
{
	(void)state;
	EXPECT("\x1b[31\nm", "\nm");
	EXPECT("\x1b[1\xe4\xb8\x80", "\xe4\xb8\x80");
	EXPECT("\x1b[1\x7f" "2mx", "x");
	EXPECT("\x1b\n", "\n");
	EXPECT("\x1b[1\x1b[2mx", "x");
	EXPECT("\x1b[1\x9b" "2mx", "x");
}

static void test_esc_inside_string_starts_new_sequence(void **state)
{
	(void)state;
	EXPECT("\x1b]0;t\x1b[31mx", "x");
	EXPECT("\x1b]0;t\x1b\x1b\\y", "y");
	EXPECT("\x1bPq\x1b" "7z", "z");
}

static void test_st_inside_utf8_in_string(void **state)
{
	(void)state;
	EXPECT("\x1b]0;\xe7\x9c\x8b\x07x", "x");
	EXPECT("\x1b]0;t\x9c" "x", "x");
	EXPECT("\x1b]0;\xe7\x9c" "x\x9c" "y", "y");
}

static void test_finish_drops_escape_and_resets(void **state)
{
	(void)state;
	struct sanitizer s;
	struct buf out = BUF_INIT;
	sanitize_init(&s, 4);
	sanitize_feed(&s, LIT("a\x1b]0;ti"), &out);
	sanitize_finish(&s, &out);
	assert_string_equal(buf_str(&out), "a");
	sanitize_feed(&s, LIT("b\xe4"), &out);
	sanitize_finish(&s, &out);
	assert_string_equal(buf_str(&out), "ab" FFFD);
	buf_reset(&out);
	sanitize_feed(&s, LIT("abc"), &out);
	sanitize_finish(&s, &out);
	sanitize_feed(&s, LIT("\tx"), &out);
	sanitize_finish(&s, &out);
	assert_string_equal(buf_str(&out), "abc    x");
	buf_free(&out);
}


static void check_ellipsize(const char *in, int cols, const char *want)
{
	char *got = sanitize_ellipsize(in, strlen(in), cols);
	assert_string_equal(got, want);
	assert_true(sanitize_width(got, strlen(got)) <= (cols < 0 ? 0 : cols));
	free(got);
}

static void test_ellipsize_ascii_middle(void **state)
{
	(void)state;
	check_ellipsize("anthropic.claude-3-sonnet-v2:0", 23, "anthropic.c\u2026sonnet-v2:0");
	check_ellipsize("abcdefghij", 9, "abcd\u2026ghij");
	check_ellipsize("abcdefghij", 8, "abcd\u2026hij");
}

static void test_ellipsize_exact_fit_unchanged(void **state)
{
	(void)state;
	check_ellipsize("abcdefghij", 10, "abcdefghij");
	check_ellipsize("abc", 80, "abc");
	check_ellipsize("", 0, "");
	check_ellipsize("\u65e5\u672c", 4, "\u65e5\u672c");
}

static void test_ellipsize_narrow(void **state)
{
	(void)state;
	check_ellipsize("abcdef", 3, "a\u2026f");
	check_ellipsize("abcdef", 2, "a\u2026");
	check_ellipsize("abcdef", 1, "\u2026");
	check_ellipsize("abcdef", 0, "");
	check_ellipsize("abcdef", -4, "");
}

static void test_ellipsize_wide_characters(void **state)
{
	(void)state;
	/* 日本語モデル: six characters of two columns each */
	const char *wide = "\u65e5\u672c\u8a9e\u30e2\u30c7\u30eb";
	check_ellipsize(wide, 11, "\u65e5\u672c\u2026\u30e2\u30c7\u30eb");
	/* head room 3 holds one wide character; the tail gets what is left */
	check_ellipsize(wide, 7, "\u65e5\u2026\u30c7\u30eb");
	check_ellipsize(wide, 2, "\u2026");
	/* a combining mark stays with its base character, never starts the tail */
	check_ellipsize("abce\u0301fgh", 5, "ab\u2026gh");
	check_ellipsize("abcdefe\u0301", 5, "ab\u2026fe\u0301");
}

int main(void)
{
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii_unchanged),
		cmocka_unit_test(test_csi_dropped),
		cmocka_unit_test(test_osc_title_and_hyperlink),
		cmocka_unit_test(test_osc52_clipboard),
		cmocka_unit_test(test_dcs_sos_pm_apc),
		cmocka_unit_test(test_two_byte_and_nf_escapes),
		cmocka_unit_test(test_c0_and_del_dropped),
		cmocka_unit_test(test_tab_kept_when_width_zero),
		cmocka_unit_test(test_raw_c1_introducers),
		cmocka_unit_test(test_other_raw_c1_replaced),
		cmocka_unit_test(test_utf8_encoded_c1_dropped),
		cmocka_unit_test(test_unicode_maximal_subparts),
		cmocka_unit_test(test_overlong_forms),
		cmocka_unit_test(test_surrogates),
		cmocka_unit_test(test_above_max_and_bad_leads),
		cmocka_unit_test(test_truncated_and_stray),
		cmocka_unit_test(test_split_osc8_every_point),
		cmocka_unit_test(test_split_mixed_every_point),
		cmocka_unit_test(test_cjk_width),
		cmocka_unit_test(test_emoji_width),
		cmocka_unit_test(test_combining_and_control_width),
		cmocka_unit_test(test_tab_expansion),
		cmocka_unit_test(test_tab_after_wide_and_combining),
		cmocka_unit_test(test_fit_never_splits),
		cmocka_unit_test(test_idempotent),
		cmocka_unit_test(test_swallow_cap),
		cmocka_unit_test(test_can_sub_cancel),
		cmocka_unit_test(test_csi_aborted_by_control_or_high_byte),
		cmocka_unit_test(test_esc_inside_string_starts_new_sequence),
		cmocka_unit_test(test_st_inside_utf8_in_string),
		cmocka_unit_test(test_finish_drops_escape_and_resets),
		cmocka_unit_test(test_bidi_controls_dropped),
		cmocka_unit_test(test_tab_width_capped),
		cmocka_unit_test(test_ellipsize_ascii_middle),
		cmocka_unit_test(test_ellipsize_exact_fit_unchanged),
		cmocka_unit_test(test_ellipsize_narrow),
		cmocka_unit_test(test_ellipsize_wide_characters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
