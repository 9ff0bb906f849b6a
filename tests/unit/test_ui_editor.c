/* The multi-line editor: typing and Enter make lines, pastes keep their line
 * breaks (CR LF and CR become LF, other control bytes are dropped), rows wrap
 * at the width, up and down keep the column wanted, readline's motions and
 * kills (C-a C-e C-b C-f M-b M-f C-k C-u C-w M-d C-y), UTF-8 is never split,
 * C-x C-e asks for the external editor and the round trip through a scripted
 * $EDITOR (temp file 0600, removed after, the added final newline dropped). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <locale.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "editor.h"

#define C(c) ((c) & 0x1f)

static void type(struct editor *ed, const char *s)
{
	for (; *s; s++)
		editor_key(ed, (unsigned char)*s);
}

static void test_typing_and_enter_make_lines(void **state)
{
	(void)state;
	struct editor ed;
	editor_init(&ed, NULL);
	type(&ed, "first");
	assert_int_equal(editor_key(&ed, '\r'), EDITOR_CHANGED);
	type(&ed, "second");
	assert_string_equal(editor_text(&ed), "first\nsecond");
	assert_int_equal(editor_key(&ed, KEY_BACKSPACE), EDITOR_CHANGED);
	assert_string_equal(editor_text(&ed), "first\nsecon");
	assert_int_equal(editor_key(&ed, C('s')), EDITOR_IGNORED);
	assert_int_equal(editor_key(&ed, '\t'), EDITOR_IGNORED);
	assert_int_equal(editor_key(&ed, 27), EDITOR_DONE);
	assert_int_equal(editor_key(&ed, C('g')), EDITOR_ABANDON);
	editor_free(&ed);
}

static void test_paste_keeps_line_breaks(void **state)
{
	(void)state;
	struct editor ed;
	editor_init(&ed, "ab");
	ed.cursor = 1;
	const char paste[] = "x\r\ny\rz\n\tq\x01\x1b";
	editor_insert(&ed, paste, sizeof paste - 1);
	assert_string_equal(editor_text(&ed), "ax\ny\nz\n\tqb");
	assert_int_equal(ed.cursor, 9);
	editor_free(&ed);
}

static void test_rows_wrap_and_up_down_keep_the_column(void **state)
{
	(void)state;
	struct editor ed;
	editor_init(&ed, "abcdefghij\nxy\n0123456789");
	ed.width = 4;
	assert_int_equal(editor_rows(&ed, 4), 3 + 1 + 3);
	long row;
	int col;
	editor_cursor_at(&ed, 4, &row, &col);
	assert_int_equal(row, 6);
	assert_int_equal(col, 2);
	/* up from column 2 of the last row: "456" row, then "0123", then "xy" end */
	editor_key(&ed, KEY_UP);
	editor_cursor_at(&ed, 4, &row, &col);
	assert_int_equal(row, 5);
	assert_int_equal(col, 2);
	editor_key(&ed, KEY_UP);
	editor_key(&ed, KEY_UP);
	editor_cursor_at(&ed, 4, &row, &col);
	assert_int_equal(row, 3);
	assert_int_equal(col, 2); /* the end of "xy" */
	editor_key(&ed, KEY_UP);
	editor_cursor_at(&ed, 4, &row, &col);
	assert_int_equal(row, 2);
	assert_int_equal(col, 2); /* the column wanted is kept across the short line */
	editor_key(&ed, C('n'));
	editor_key(&ed, C('n'));
	editor_cursor_at(&ed, 4, &row, &col);
	assert_int_equal(row, 4);
	assert_int_equal(col, 2);
	editor_key(&ed, KEY_UP);
	editor_key(&ed, KEY_UP);
	editor_key(&ed, KEY_UP);
	editor_key(&ed, KEY_UP);
	editor_key(&ed, KEY_UP);
	assert_int_equal(ed.cursor, 0);
	editor_free(&ed);
}

static void test_readline_motions_and_kills(void **state)
{
	(void)state;
	struct editor ed;
	editor_init(&ed, "one two three\nfour five");
	editor_key(&ed, KEY_UP);
	editor_key(&ed, C('e'));
	assert_int_equal(ed.cursor, 13);
	editor_key(&ed, C('a'));
	assert_int_equal(ed.cursor, 0);
	editor_key(&ed, EDITOR_KEY_META('f'));
	assert_int_equal(ed.cursor, 3);
	editor_key(&ed, EDITOR_KEY_META('f'));
	assert_int_equal(ed.cursor, 7);
	editor_key(&ed, EDITOR_KEY_META('b'));
	assert_int_equal(ed.cursor, 4);
	editor_key(&ed, C('f'));
	editor_key(&ed, C('b'));
	assert_int_equal(ed.cursor, 4);
	editor_key(&ed, C('k'));
	assert_string_equal(editor_text(&ed), "one \nfour five");
	editor_key(&ed, C('k')); /* at the line's end: the newline */
	assert_string_equal(editor_text(&ed), "one four five");
	editor_key(&ed, C('y'));
	assert_string_equal(editor_text(&ed), "one \nfour five");
	editor_key(&ed, KEY_END);
	assert_int_equal(ed.cursor, 14);
	editor_key(&ed, C('w'));
	assert_string_equal(editor_text(&ed), "one \nfour ");
	editor_key(&ed, C('u'));
	assert_string_equal(editor_text(&ed), "one \n");
	editor_key(&ed, KEY_HOME);
	editor_set(&ed, "alpha beta");
	ed.cursor = 0;
	editor_key(&ed, EDITOR_KEY_META('d'));
	assert_string_equal(editor_text(&ed), " beta");
	editor_key(&ed, C('d'));
	assert_string_equal(editor_text(&ed), "beta");
	editor_free(&ed);
}

static void test_utf8_is_never_split(void **state)
{
	(void)state;
	struct editor ed;
	editor_init(&ed, "h\xc3\xa9\xe2\x82\xac");
	editor_key(&ed, KEY_LEFT);
	assert_int_equal(ed.cursor, 3);
	editor_key(&ed, KEY_BACKSPACE);
	assert_string_equal(editor_text(&ed), "h\xe2\x82\xac");
	editor_key(&ed, KEY_RIGHT);
	assert_int_equal(ed.cursor, 4);
	long row;
	int col;
	editor_cursor_at(&ed, 10, &row, &col);
	assert_int_equal(col, 2);
	editor_free(&ed);
}

static void test_ctrl_x_ctrl_e_asks_for_the_editor(void **state)
{
	(void)state;
	struct editor ed;
	editor_init(&ed, "x");
	assert_int_equal(editor_key(&ed, C('x')), EDITOR_CHANGED);
	assert_int_equal(editor_key(&ed, C('e')), EDITOR_EXTERNAL);
	assert_int_equal(editor_key(&ed, C('x')), EDITOR_CHANGED);
	assert_int_equal(editor_key(&ed, 'a'), EDITOR_CHANGED);
	assert_string_equal(editor_text(&ed), "x"); /* C-x then another key: nothing */
	editor_free(&ed);
}

static void test_external_editor_round_trip(void **state)
{
	(void)state;
	char dir[] = "/tmp/aiwb-test-editor-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char script[256], seen[256];
	snprintf(script, sizeof script, "%s/ed.sh", dir);
	snprintf(seen, sizeof seen, "%s/seen", dir);
	FILE *f = fopen(script, "w");
	assert_non_null(f);
	/* records the file's mode and name, then appends a line as editors do */
	fprintf(f, "stat -c %%a \"$1\" >%s; echo \"$1\" >>%s; printf '\\nadded line\\n' >>\"$1\"\n", seen, seen);
	fclose(f);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "sh %s", script);
	setenv("TMPDIR", dir, 1);
	unsetenv("VISUAL");
	setenv("EDITOR", cmd, 1);
	struct editor ed;
	editor_init(&ed, "first line");
	struct err e = ERR_INIT;
	assert_int_equal(editor_external(&ed, &e), 0);
	assert_string_equal(editor_text(&ed), "first line\nadded line");
	f = fopen(seen, "r");
	assert_non_null(f);
	char mode[16], path[256];
	assert_non_null(fgets(mode, sizeof mode, f));
	assert_non_null(fgets(path, sizeof path, f));
	fclose(f);
	assert_string_equal(mode, "600\n");
	path[strcspn(path, "\n")] = 0;
	assert_int_equal(access(path, F_OK), -1); /* removed after */

	setenv("EDITOR", "false", 1);
	assert_int_equal(editor_external(&ed, &e), -1);
	assert_non_null(strstr(e.msg, "exited with status 1"));
	assert_string_equal(editor_text(&ed), "first line\nadded line");
	unsetenv("EDITOR");
	assert_int_equal(editor_external(&ed, &e), -1);
	assert_non_null(strstr(e.msg, "VISUAL nor EDITOR"));
	editor_free(&ed);
	unlink(script);
	unlink(seen);
	rmdir(dir);
}

int main(void)
{
	setlocale(LC_CTYPE, "C.UTF-8");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_typing_and_enter_make_lines),
		cmocka_unit_test(test_paste_keeps_line_breaks),
		cmocka_unit_test(test_rows_wrap_and_up_down_keep_the_column),
		cmocka_unit_test(test_readline_motions_and_kills),
		cmocka_unit_test(test_utf8_is_never_split),
		cmocka_unit_test(test_ctrl_x_ctrl_e_asks_for_the_editor),
		cmocka_unit_test(test_external_editor_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
