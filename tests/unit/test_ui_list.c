/* The list widget: moving, paging, scrolling that keeps the selection
 * visible, the `/` filter and typing mode without a terminal; drawing (rows
 * through the callback, the empty sentence, the filter line) in a child on a
 * screen that writes to /dev/null. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "list.h"

static const char *const names[] = { "openai", "openai/gpt-4o", "openai/gpt-4o-mini", "ollama", "ollama/llama3.1",
				      "ollama/Qwen2.5", "lab", "lab/tokens-300" };
#define NNAMES (sizeof names / sizeof *names)

struct drawn {
	size_t rows[32];
	int ys[32], selected[32];
	size_t n;
};

static void draw_row(void *ud, WINDOW *w, int y, int x, int width, size_t i, int selected)
{
	struct drawn *d = ud;
	if (d->n < 32) {
		d->rows[d->n] = i;
		d->ys[d->n] = y;
		d->selected[d->n++] = selected;
	}
	mvwaddnstr(w, y, x, names[i], width);
}

static const char *row_text(void *ud, size_t i)
{
	(void)ud;
	return names[i];
}

static const struct ui_list_ops ops = { draw_row, row_text };
static const struct ui_list_ops no_filter_ops = { draw_row, NULL };

static void keys(struct ui_list *l, const char *s)
{
	for (; *s; s++)
		assert_int_equal(ui_list_key(l, (unsigned char)*s), 1);
}

static void test_moving_and_paging(void **state)
{
	(void)state;
	struct ui_list l;
	ui_list_init(&l, &ops, NULL, 0);
	ui_list_set_count(&l, NNAMES);
	ui_list_set_rows(&l, 3);
	assert_int_equal(ui_list_selected(&l), 0);
	keys(&l, "jj");
	assert_int_equal(ui_list_selected(&l), 2);
	assert_int_equal(l.top, 0);
	keys(&l, "j"); /* past the window: it scrolls by one */
	assert_int_equal(ui_list_selected(&l), 3);
	assert_int_equal(l.top, 1);
	assert_int_equal(ui_list_key(&l, KEY_NPAGE), 1); /* a page is the rows shown */
	assert_int_equal(ui_list_selected(&l), 6);
	assert_int_equal(l.top, 4);
	assert_int_equal(ui_list_key(&l, KEY_NPAGE), 1); /* clamped at the last row */
	assert_int_equal(ui_list_selected(&l), NNAMES - 1);
	keys(&l, "g");
	assert_int_equal(ui_list_selected(&l), 0);
	assert_int_equal(l.top, 0);
	keys(&l, "k"); /* stays at the first */
	assert_int_equal(ui_list_selected(&l), 0);
	assert_int_equal(ui_list_key(&l, KEY_END), 1);
	assert_int_equal(ui_list_selected(&l), NNAMES - 1);
	assert_int_equal(l.top, NNAMES - 3);
	assert_int_equal(ui_list_key(&l, KEY_HOME), 1);
	assert_int_equal(ui_list_key(&l, 'n' & 0x1f), 1);
	assert_int_equal(ui_list_selected(&l), 1);
	l.page_step = 10; /* a fixed step */
	assert_int_equal(ui_list_key(&l, KEY_PPAGE), 1);
	assert_int_equal(ui_list_selected(&l), 0);
	assert_int_equal(ui_list_key(&l, 'x'), 0); /* not a list key */
	/* fewer rows keep the selection in range, and nothing to select is NONE */
	keys(&l, "G");
	ui_list_set_count(&l, 2);
	assert_int_equal(ui_list_selected(&l), 1);
	ui_list_set_count(&l, 0);
	assert_int_equal(ui_list_selected(&l), UI_LIST_NONE);
	keys(&l, "jG");
	assert_int_equal(ui_list_selected(&l), UI_LIST_NONE);
	ui_list_free(&l);
}

/* UI_LIST_FUZZY: each word's letters in order, any case; words on their own. */
static void test_fuzzy_filter(void **state)
{
	(void)state;
	assert_true(ui_list_fuzzy_match("openai/gpt-4o-mini GPT-4o mini", "g4om"));
	assert_false(ui_list_fuzzy_match("openai/gpt-4.1-mini", "g4om"));
	assert_true(ui_list_fuzzy_match("ollama/Qwen2.5", "OLLA QW"));
	assert_true(ui_list_fuzzy_match("ollama/Qwen2.5", "qw olla")); /* word order is free */
	assert_false(ui_list_fuzzy_match("ollama/Qwen2.5", "olla qx"));
	assert_true(ui_list_fuzzy_match("anything", ""));
	assert_false(ui_list_fuzzy_match("", "a"));
	struct ui_list l;
	ui_list_init(&l, &ops, NULL, UI_LIST_FUZZY);
	ui_list_set_count(&l, NNAMES);
	ui_list_set_rows(&l, 4);
	keys(&l, "/g4om");
	assert_int_equal(ui_list_count(&l), 1);
	assert_int_equal(ui_list_selected(&l), 2);
	keys(&l, "\b\b\b\bla t3"); /* lab/tokens-300 only */
	assert_int_equal(ui_list_count(&l), 1);
	assert_int_equal(ui_list_selected(&l), 7);
	ui_list_free(&l);
}

static void test_filter(void **state)
{
	(void)state;
	struct ui_list l;
	ui_list_init(&l, &ops, NULL, 0);
	ui_list_set_count(&l, NNAMES);
	ui_list_set_rows(&l, 4);
	keys(&l, "jjjj"); /* ollama/llama3.1 */
	assert_int_equal(ui_list_selected(&l), 4);
	keys(&l, "/QWEN"); /* case-insensitive */
	assert_int_equal(ui_list_count(&l), 1);
	assert_int_equal(ui_list_selected(&l), 5);
	assert_int_equal(ui_list_key(&l, KEY_BACKSPACE), 1);
	assert_int_equal(ui_list_key(&l, KEY_BACKSPACE), 1);
	assert_string_equal(l.filter, "QW");
	keys(&l, "\b\b");
	keys(&l, "4o"); /* "4o": two rows, and j k are letters while typing */
	assert_int_equal(ui_list_count(&l), 2);
	assert_int_equal(ui_list_row(&l, 1), 2);
	keys(&l, "\r"); /* Enter keeps the filter; j k move again */
	assert_int_equal(l.editing, 0);
	keys(&l, "j");
	assert_int_equal(ui_list_selected(&l), 2);
	keys(&l, "j");
	assert_int_equal(ui_list_selected(&l), 2);
	/* the rows change under the filter: the selected one stays selected */
	ui_list_set_count(&l, 3);
	assert_int_equal(ui_list_selected(&l), 2);
	ui_list_set_count(&l, NNAMES);
	/* Esc clears it and keeps the selected row */
	assert_int_equal(ui_list_key(&l, 27), 1);
	assert_string_equal(l.filter, "");
	assert_int_equal(ui_list_count(&l), NNAMES);
	assert_int_equal(ui_list_selected(&l), 2);
	assert_int_equal(ui_list_key(&l, 27), 0); /* nothing to clear: the pane's Esc */
	/* a filter nothing matches */
	keys(&l, "/zzz");
	assert_int_equal(ui_list_count(&l), 0);
	assert_int_equal(ui_list_selected(&l), UI_LIST_NONE);
	assert_int_equal(ui_list_key(&l, '\t'), 0); /* Tab still reaches the app while typing */
	assert_int_equal(ui_list_key(&l, 27), 1);
	assert_int_equal(ui_list_count(&l), NNAMES);
	ui_list_free(&l);
}

/* A search line owns the letters: only the arrows, pages and C-n C-p move. */
static void test_typing_mode(void **state)
{
	(void)state;
	struct ui_list l;
	ui_list_init(&l, &ops, NULL, UI_LIST_TYPING);
	ui_list_set_count(&l, NNAMES);
	ui_list_set_rows(&l, 2);
	assert_int_equal(ui_list_key(&l, 'j'), 0);
	assert_int_equal(ui_list_key(&l, '/'), 0);
	assert_int_equal(ui_list_key(&l, 'G'), 0);
	assert_int_equal(ui_list_selected(&l), 0);
	assert_int_equal(ui_list_key(&l, KEY_DOWN), 1);
	assert_int_equal(ui_list_key(&l, KEY_NPAGE), 1);
	assert_int_equal(ui_list_selected(&l), 3);
	assert_int_equal(l.top, 2);
	assert_int_equal(ui_list_key(&l, 'p' & 0x1f), 1);
	assert_int_equal(ui_list_selected(&l), 2);
	/* without row text there is no filter either */
	struct ui_list m;
	ui_list_init(&m, &no_filter_ops, NULL, 0);
	ui_list_set_count(&m, NNAMES);
	assert_int_equal(ui_list_key(&m, '/'), 0);
	assert_int_equal(ui_list_key(&m, 'j'), 1);
	ui_list_free(&l);
	ui_list_free(&m);
}

/* The text on row y of w, trailing blanks cut. */
static void row_of(WINDOW *w, int y, char *out, int n)
{
	mvwinnstr(w, y, 0, out, n - 1);
	for (int k = (int)strlen(out); k > 0 && out[k - 1] == ' '; k--)
		out[k - 1] = '\0';
}

/* Runs in a child with a screen on /dev/null (curses keeps state that must
 * not reach this process); exits 0 when every check holds, else the
 * number of the first that failed. */
#define CHECK(cond) do { step++; if (!(cond)) return step; } while (0)

static int draw_checks(void)
{
	int step = 0;
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	SCREEN *s = out && in ? newterm("xterm", out, in) : NULL;
	if (!s)
		return 77;
	WINDOW *w = newwin(6, 40, 0, 0);
	char line[64];
	struct drawn d = { .n = 0 };
	struct ui_list l;
	ui_list_init(&l, &ops, &d, 0);
	ui_list_draw(&l, w, 1, 0, 4, 40, "No rows yet.");
	row_of(w, 1, line, sizeof line);
	CHECK(strcmp(line, "No rows yet.") == 0 && d.n == 0);
	ui_list_set_count(&l, NNAMES);
	for (int k = 0; k < 5; k++)
		ui_list_key(&l, 'j');
	werase(w);
	ui_list_draw(&l, w, 1, 0, 4, 40, "No rows yet.");
	/* 4 rows fit; the selection (row 5) is the last one shown */
	CHECK(d.n == 4 && d.rows[0] == 2 && d.rows[3] == 5 && d.selected[3] && !d.selected[0] && d.ys[0] == 1 && d.ys[3] == 4);
	row_of(w, 4, line, sizeof line);
	CHECK(strcmp(line, "ollama/Qwen2.5") == 0);
	/* two screen rows a row: two rows fit */
	d.n = 0;
	l.row_height = 2;
	ui_list_draw(&l, w, 1, 0, 4, 40, NULL);
	CHECK(d.n == 2 && d.rows[1] == 5 && d.ys[1] == 3);
	/* the filter takes the last row: "/lab", the count */
	l.row_height = 1;
	ui_list_key(&l, '/');
	ui_list_key(&l, 'l');
	ui_list_key(&l, 'a');
	ui_list_key(&l, 'b');
	d.n = 0;
	werase(w);
	ui_list_draw(&l, w, 1, 0, 4, 40, NULL);
	row_of(w, 4, line, sizeof line);
	CHECK(d.n == 2 && strncmp(line, "/lab", 4) == 0 && strstr(line, "2 of 8"));
	ui_list_key(&l, 'z');
	werase(w);
	ui_list_draw(&l, w, 1, 0, 4, 40, "No rows yet.");
	row_of(w, 1, line, sizeof line);
	CHECK(strstr(line, "Nothing matches \"labz\""));
	ui_list_free(&l);
	delwin(w);
	endwin();
	delscreen(s);
	return 0;
}

static void test_draw(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(draw_checks());
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	if (WEXITSTATUS(status) != 0)
		fail_msg("draw check %d failed", WEXITSTATUS(status));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_moving_and_paging),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_fuzzy_filter),
		cmocka_unit_test(test_typing_mode),
		cmocka_unit_test(test_draw),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
