/* Taking an answer away: the OSC 52 sequence (base64 of the text, cut at the
 * cap on a character boundary and never inside one), counts with grouped
 * digits, and saving (mode 0600, ~/ expanded, directories and empty names
 * refused). The terminal side (copy, pager) is tested in tmux
 * (tests/e2e/tui_copy.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/path.h"
#include "takeaway.h"

static void test_osc52_is_base64_between_the_markers(void **state)
{
	(void)state;
	size_t copied = 0;
	char *s = takeaway_osc52("hello, world", 12, TAKEAWAY_COPY_MAX, &copied);
	assert_string_equal(s, "\033]52;c;aGVsbG8sIHdvcmxk\a");
	assert_int_equal(copied, 12);
	free(s);
	s = takeaway_osc52("ab", 2, TAKEAWAY_COPY_MAX, &copied);
	assert_string_equal(s, "\033]52;c;YWI=\a");
	free(s);
	s = takeaway_osc52("", 0, TAKEAWAY_COPY_MAX, &copied);
	assert_string_equal(s, "\033]52;c;\a");
	assert_int_equal(copied, 0);
	free(s);
	/* an escape in the answer travels as base64, never raw */
	s = takeaway_osc52("\033]52;c;x\a", 9, TAKEAWAY_COPY_MAX, &copied);
	assert_null(strchr(s + 1, '\033'));
	assert_int_equal(strchr(s, '\a') - s, (long)strlen(s) - 1);
	free(s);
}

static void test_osc52_cuts_at_the_cap_on_a_character(void **state)
{
	(void)state;
	size_t copied = 0;
	/* "é" is 2 bytes: a cap of 3 in "aéé" falls inside the second one */
	char *s = takeaway_osc52("a\xc3\xa9\xc3\xa9", 5, 4, &copied);
	assert_int_equal(copied, 3);
	assert_string_equal(s, "\033]52;c;YcOp\a");
	free(s);
	s = takeaway_osc52("abcdef", 6, 4, &copied);
	assert_int_equal(copied, 4);
	assert_string_equal(s, "\033]52;c;YWJjZA==\a");
	free(s);
	size_t big = TAKEAWAY_COPY_MAX + 5000;
	char *text = malloc(big);
	memset(text, 'x', big);
	s = takeaway_osc52(text, big, TAKEAWAY_COPY_MAX, &copied);
	assert_int_equal(copied, TAKEAWAY_COPY_MAX);
	assert_int_equal(strlen(s), 7 + 4 * ((TAKEAWAY_COPY_MAX + 2) / 3) + 1);
	free(s);
	free(text);
}

static void test_count_groups_digits(void **state)
{
	(void)state;
	char out[32];
	takeaway_count(0, out, sizeof out);
	assert_string_equal(out, "0");
	takeaway_count(999, out, sizeof out);
	assert_string_equal(out, "999");
	takeaway_count(1234, out, sizeof out);
	assert_string_equal(out, "1,234");
	takeaway_count(102400, out, sizeof out);
	assert_string_equal(out, "102,400");
	takeaway_count(1234567, out, sizeof out);
	assert_string_equal(out, "1,234,567");
}

static void test_save_writes_0600_and_expands_home(void **state)
{
	(void)state;
	char dir[] = "/tmp/aiwb-takeaway-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	setenv("HOME", dir, 1);
	char *where = NULL;
	struct err e = ERR_INIT;
	assert_int_equal(takeaway_save("~/answer.md", "the answer\n", 11, &where, &e), 0);
	char *want = path_join(dir, "answer.md");
	assert_string_equal(where, want);
	struct stat st;
	assert_int_equal(stat(want, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	size_t len = 0;
	char *got = path_read_file(want, &len, &e);
	assert_non_null(got);
	assert_int_equal(len, 11);
	assert_memory_equal(got, "the answer\n", 11);
	free(got);
	free(where);
	where = NULL;
	assert_int_equal(takeaway_save(dir, "x", 1, &where, &e), -1);
	assert_non_null(strstr(e.msg, "is a directory"));
	assert_int_equal(takeaway_save("  ", "x", 1, &where, &e), -1);
	assert_non_null(strstr(e.msg, "no file name"));
	assert_null(where);
	unlink(want);
	free(want);
	rmdir(dir);
	if (old_home) {
		setenv("HOME", old_home, 1);
		free(old_home);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_osc52_is_base64_between_the_markers),
		cmocka_unit_test(test_osc52_cuts_at_the_cap_on_a_character),
		cmocka_unit_test(test_count_groups_digits),
		cmocka_unit_test(test_save_writes_0600_and_expands_home),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
