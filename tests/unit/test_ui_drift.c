/* view_drift: bars of eighths (and ASCII); the demo's saved report drawn
 * into a curses window: the drifted columns first with their test, score
 * and verdict; o re-sorts (the hint says by what); Enter shows the
 * column's two distributions side by side; Esc goes back, then closes. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include <cmocka.h>

#include "testdb.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/path.h"
#include "drift/saved.h"
#include "jobs/registry.h"
#include "pane.h"
#include "view_drift.h"

static void test_bars(void **state)
{
	(void)state;
	char b[256];
	assert_string_equal(drift_view_bar(b, sizeof b, 1.0, 3, 0), "███");
	assert_string_equal(drift_view_bar(b, sizeof b, 0.5, 3, 0), "█▌");
	assert_string_equal(drift_view_bar(b, sizeof b, 0, 3, 0), "");
	assert_string_equal(drift_view_bar(b, sizeof b, 0.001, 3, 0), "▏"); /* something, however small */
	assert_string_equal(drift_view_bar(b, sizeof b, 2.0, 2, 0), "██");  /* clamped */
	assert_string_equal(drift_view_bar(b, sizeof b, 0.5, 4, 1), "##");
	assert_string_equal(drift_view_bar(b, sizeof b, 0.001, 4, 1), ".");
	assert_string_equal(drift_view_bar(b, 4, 1.0, 50, 0), ""); /* no room: nothing cut in half */
}

static void row_of(WINDOW *w, int y, char *out, size_t n)
{
	size_t k = 0;
	int width = getmaxx(w);
	for (int x = 0; x < width && k + 8 < n; x++) {
		cchar_t cc;
		wchar_t wc[4];
		attr_t a;
		short pair;
		if (mvwin_wch(w, y, x, &cc) == ERR || getcchar(&cc, wc, &a, &pair, NULL) == ERR)
			break;
		char mb[8];
		int len = (int)wcrtomb(mb, wc[0] ? wc[0] : L' ', NULL);
		if (len > 0) {
			memcpy(out + k, mb, (size_t)len);
			k += (size_t)len;
		}
	}
	out[k] = '\0';
}

static int screen_has(WINDOW *w, const char *text)
{
	char line[1024];
	for (int y = 0; y < getmaxy(w); y++) {
		row_of(w, y, line, sizeof line);
		if (strstr(line, text))
			return 1;
	}
	return 0;
}

static void copy(const char *from, const char *to)
{
	size_t len;
	struct err e = ERR_INIT;
	char *text = path_read_file(from, &len, &e);
	assert_non_null(text);
	assert_int_equal(path_write_file(to, text, len, &e), 0);
	free(text);
}

static void test_view(void **state)
{
	struct testdb *t = *state;
	setenv("AIWB_HOME", t->dir, 1);
	path_reset();
	struct err e = ERR_INIT;
	char *d = path_join(t->dir, "examples/drift");
	assert_int_equal(path_mkdirs(d, 0700, &e), 0);
	char *r = path_join(d, "reference.csv"), *c = path_join(d, "current.csv");
	copy("examples/drift/reference.csv", r);
	copy("examples/drift/current.csv", c);
	assert_int_equal(drift_save_demo(t->db, t->dir, &e), 1);
	struct job_list l;
	assert_int_equal(jobreg_list(t->db, "drift", -1, &l, &e), 0);
	assert_int_equal(l.n, 1);

	setlocale(LC_ALL, "C.UTF-8");
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	SCREEN *s = out && in ? newterm("xterm", out, in) : NULL;
	if (!s)
		skip();
	WINDOW *w = newwin(30, 100, 0, 0);
	struct wb wb;
	memset(&wb, 0, sizeof wb);
	wb.db = t->db;
	struct drift_view *v = drift_view_open(&wb, &l.v[0], CHART_BRAILLE);
	assert_non_null(v);
	drift_view_draw(v, w, 30, 100);
	char line[1024];
	row_of(w, 0, line, sizeof line);
	assert_non_null(strstr(line, "5 of 10 drifted"));
	row_of(w, 2, line, sizeof line);
	assert_non_null(strstr(line, "weather"));
	assert_non_null(strstr(line, "chisquare"));
	assert_non_null(strstr(line, "p=2e-37"));
	assert_non_null(strstr(line, "DRIFT"));
	row_of(w, 7, line, sizeof line);
	assert_non_null(strstr(line, "ok"));
	assert_true(screen_has(w, "sort: severity"));
	int closed;
	assert_true(drift_view_key(v, 'o', &closed) & PANE_HANDLED);
	werase(w);
	drift_view_draw(v, w, 30, 100);
	assert_true(screen_has(w, "sort: name"));
	row_of(w, 2, line, sizeof line);
	assert_non_null(strstr(line, "casual"));
	for (int k = 0; k < 3; k++)
		drift_view_key(v, 'o', &closed);
	werase(w);
	drift_view_draw(v, w, 30, 100);
	assert_true(screen_has(w, "sort: severity"));
	assert_true(drift_view_key(v, '\n', &closed) & PANE_HANDLED);
	assert_false(closed);
	werase(w);
	drift_view_draw(v, w, 30, 100);
	assert_true(screen_has(w, "baseline (990)"));
	assert_true(screen_has(w, "current (981)"));
	assert_true(screen_has(w, "rain"));
	assert_true(screen_has(w, "33.1%"));
	drift_view_key(v, 27, &closed);
	assert_false(closed);
	werase(w);
	drift_view_draw(v, w, 30, 100);
	assert_true(screen_has(w, "THRESHOLD"));
	drift_view_key(v, 27, &closed);
	assert_true(closed);
	drift_view_free(v);
	delwin(w);
	endwin();
	delscreen(s);
	fclose(out);
	fclose(in);
	job_list_free(&l);
	free(r);
	free(c);
	free(d);
	unsetenv("AIWB_HOME");
	path_reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bars),
		cmocka_unit_test_setup_teardown(test_view, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
