/* The chart widget's pure parts: scaling values to dots, the braille dot
 * numbering and cell glyphs, log and EMA values, bounds, downsampling into
 * dot columns and rendering buckets onto a canvas; and one draw (legend,
 * axis labels, braille cells) in a child on a screen that writes to
 * /dev/null. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curses.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wchar.h>

#include "chart.h"

static void test_scale_maps_ends_and_clamps(void **state)
{
	(void)state;
	assert_int_equal(chart_scale(0, 0, 10, 11), 0);
	assert_int_equal(chart_scale(10, 0, 10, 11), 10);
	assert_int_equal(chart_scale(5, 0, 10, 11), 5);
	assert_int_equal(chart_scale(4.6, 0, 10, 11), 5);
	assert_int_equal(chart_scale(-3, 0, 10, 11), 0);
	assert_int_equal(chart_scale(30, 0, 10, 11), 10);
	assert_int_equal(chart_scale(NAN, 0, 10, 11), 0);
	/* a flat series sits in the middle */
	assert_int_equal(chart_scale(7, 7, 7, 8), 4);
	assert_int_equal(chart_scale(7, 0, 10, 1), 0);
}

static void test_braille_dot_numbering(void **state)
{
	(void)state;
	/* dots 1 2 3 7 down the left column, 4 5 6 8 down the right */
	assert_int_equal(chart_dot_bit(CHART_BRAILLE, 0, 0), 0x01);
	assert_int_equal(chart_dot_bit(CHART_BRAILLE, 0, 1), 0x02);
	assert_int_equal(chart_dot_bit(CHART_BRAILLE, 0, 2), 0x04);
	assert_int_equal(chart_dot_bit(CHART_BRAILLE, 1, 0), 0x08);
	assert_int_equal(chart_dot_bit(CHART_BRAILLE, 1, 1), 0x10);
	assert_int_equal(chart_dot_bit(CHART_BRAILLE, 1, 2), 0x20);
	assert_int_equal(chart_dot_bit(CHART_BRAILLE, 0, 3), 0x40);
	assert_int_equal(chart_dot_bit(CHART_BRAILLE, 1, 3), 0x80);
	assert_int_equal(chart_dot_bit(CHART_BLOCK, 0, 0), 1);
	assert_int_equal(chart_dot_bit(CHART_BLOCK, 0, 1), 2);
	assert_int_equal(chart_dots_x(CHART_BRAILLE), 2);
	assert_int_equal(chart_dots_y(CHART_BRAILLE), 4);
	assert_int_equal(chart_dots_x(CHART_ASCII), 1);
	assert_int_equal(chart_dots_y(CHART_BLOCK), 2);
}

static void test_glyphs(void **state)
{
	(void)state;
	char g[8];
	assert_string_equal(chart_glyph(CHART_BRAILLE, 0, g), "");
	assert_string_equal(chart_glyph(CHART_BRAILLE, 0x01, g), "\u2801");
	assert_string_equal(chart_glyph(CHART_BRAILLE, 0xff, g), "\u28ff");
	assert_string_equal(chart_glyph(CHART_BRAILLE, 0x40 | 0x80, g), "\u28c0");
	assert_string_equal(chart_glyph(CHART_BLOCK, 1, g), "\u2580");
	assert_string_equal(chart_glyph(CHART_BLOCK, 2, g), "\u2584");
	assert_string_equal(chart_glyph(CHART_BLOCK, 3, g), "\u2588");
	assert_string_equal(chart_glyph(CHART_ASCII, 1, g), "'");
	assert_string_equal(chart_glyph(CHART_ASCII, 2, g), ".");
	assert_string_equal(chart_glyph(CHART_ASCII, 3, g), ":");
}

static void test_values_log_and_ema(void **state)
{
	(void)state;
	double ema = 0;
	int started = 0;
	assert_int_equal(chart_value(0, 0, 2.5, &ema, &started), 1);
	assert_true(ema == 2.5);
	assert_int_equal(chart_value(0, 0, NAN, &ema, &started), 0);
	assert_int_equal(chart_value(0, 0, INFINITY, &ema, &started), 0);
	assert_int_equal(chart_value(CHART_LOG_Y, 0, 1000, &ema, &started), 1);
	assert_true(fabs(chart_plot_value(CHART_LOG_Y, ema) - 3) < 1e-12);
	assert_true(chart_plot_value(0, 1000) == 1000);
	assert_int_equal(chart_value(CHART_LOG_Y, 0, 0, &ema, &started), 0);
	assert_int_equal(chart_value(CHART_LOG_Y, 0, -1, &ema, &started), 0);
	/* EMA: the first point as is, then alpha of each new one */
	ema = 0;
	started = 0;
	chart_value(CHART_SMOOTH, 0.5, 10, &ema, &started);
	assert_true(ema == 10);
	chart_value(CHART_SMOOTH, 0.5, 0, &ema, &started);
	assert_true(ema == 5);
	chart_value(CHART_SMOOTH, 0.5, 0, &ema, &started);
	assert_true(ema == 2.5);
	/* alpha 0 means 0.1 */
	ema = 0;
	started = 0;
	chart_value(CHART_SMOOTH, 0, 10, &ema, &started);
	chart_value(CHART_SMOOTH, 0, 0, &ema, &started);
	assert_true(fabs(ema - 9) < 1e-12);
}

static void test_x_range_and_merge(void **state)
{
	(void)state;
	double x[] = { 3, 1, NAN, 4 };
	double y[] = { 5, NAN, -1, 9 };
	struct chart_series s = { "loss", x, y, 4 };
	double x0, x1;
	assert_int_equal(chart_x_range(&s, &x0, &x1), 1);
	assert_true(x0 == 1 && x1 == 4);
	struct chart_series t = { "acc", NULL, y, 4 };
	assert_int_equal(chart_x_range(&t, &x0, &x1), 1);
	assert_true(x0 == 0 && x1 == 3);
	struct chart_series none = { "none", NULL, y, 0 };
	assert_int_equal(chart_x_range(&none, &x0, &x1), 0);
	/* six fine columns into three: pairs merge, extremes and ends kept */
	struct chart_bucket fine[6] = {
		{ 1, 1, 2, 1, 2 }, { 1, 0, 5, 5, 0 }, { 0, 0, 0, 0, 0 }, { 1, 7, 7, 7, 7 }, { 0, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0 },
	};
	struct chart_bucket out[3];
	chart_merge(fine, 6, out, 3);
	assert_true(out[0].has && out[0].lo == 0 && out[0].hi == 5 && out[0].first == 1 && out[0].last == 0);
	assert_true(out[1].has && out[1].lo == 7 && out[1].first == 7);
	assert_false(out[2].has);
}

static void test_bucketize_keeps_extremes(void **state)
{
	(void)state;
	enum { N = 100000, COLS = 10 };
	double *y = malloc(N * sizeof *y);
	for (size_t i = 0; i < N; i++)
		y[i] = (double)(i % 1000);
	y[12345] = -50; /* a spike down in column 1 */
	y[99999] = 7;
	struct chart_series s = { "loss", NULL, y, N };
	struct chart_bucket b[COLS];
	assert_int_equal(chart_bucketize(&s, 0, 0, 0, N - 1, COLS, b), N);
	for (int c = 0; c < COLS; c++)
		assert_true(b[c].has);
	assert_true(b[0].lo == 0 && b[0].hi == 999 && b[0].first == 0);
	assert_true(b[1].lo == -50);
	assert_true(b[9].last == 7);
	/* every point lands in exactly one column: first of column c is at i = c * N / COLS */
	assert_true(b[3].first == (double)((3 * N / COLS) % 1000));
	/* a single x span maps everything to column 0 */
	double one_x[] = { 5, 5 }, one_y[] = { 1, 2 };
	struct chart_series flat = { "f", one_x, one_y, 2 };
	chart_bucketize(&flat, 0, 0, 5, 5, COLS, b);
	assert_true(b[0].has && b[0].lo == 1 && b[0].hi == 2 && !b[1].has);
	/* log: buckets hold log10 of the values, points <= 0 left out */
	double ly[] = { 100, -1, 10, 1000 };
	struct chart_series lg = { "l", NULL, ly, 4 };
	assert_int_equal(chart_bucketize(&lg, CHART_LOG_Y, 0, 0, 3, 2, b), 3);
	assert_true(fabs(b[0].lo - 2) < 1e-12 && fabs(b[1].lo - 1) < 1e-12 && fabs(b[1].hi - 3) < 1e-12);
	free(y);
}

static int dots_in(const struct chart_canvas *c)
{
	int n = 0;
	for (int i = 0; i < c->rows * c->cols; i++)
		n += __builtin_popcount(c->bits[i]);
	return n;
}

static void test_render_draws_a_joined_line(void **state)
{
	(void)state;
	/* two cells wide and one high: 4 dot columns x 4 dot rows */
	struct chart_canvas c;
	chart_canvas_init(&c, 1, 2, CHART_BRAILLE);
	struct chart_bucket b[4] = {
		{ 1, 0, 0, 0, 0 }, /* bottom left */
		{ 0, 0, 0, 0, 0 },
		{ 0, 0, 0, 0, 0 },
		{ 1, 3, 3, 3, 3 }, /* top right */
	};
	chart_render(&c, b, 1, 0, 3);
	/* the ends are set: dot 7 (bottom left) of cell 0, dot 4 (top right) of cell 1 */
	assert_true(c.bits[0] & 0x40);
	assert_true(c.bits[1] & 0x08);
	/* the gap is joined: every dot column has a dot */
	assert_true(c.bits[0] & (0x08 | 0x10 | 0x20 | 0x80));
	assert_true(c.bits[1] & (0x01 | 0x02 | 0x04 | 0x40));
	assert_int_equal(c.series[1], 1);
	assert_true(dots_in(&c) >= 4);
	chart_canvas_free(&c);

	/* a column's low to high is one vertical run; block cells: 1 x 2 dots */
	chart_canvas_init(&c, 2, 1, CHART_BLOCK);
	struct chart_bucket v[1] = { { 1, 0, 3, 0, 3 } };
	chart_render(&c, v, 0, 0, 3);
	assert_int_equal(c.bits[0], 3);
	assert_int_equal(c.bits[1], 3);
	chart_canvas_free(&c);
}

#define CHECK(cond) do { step++; if (!(cond)) return step; } while (0)

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

static int draw_checks(void)
{
	int step = 0;
	setlocale(LC_ALL, "C.UTF-8");
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	SCREEN *s = out && in ? newterm("xterm", out, in) : NULL;
	if (!s)
		return 77;
	WINDOW *w = newwin(8, 40, 0, 0);
	double y1[] = { 4, 3, 2, 1 }, y2[] = { 1, 2, 3, 4 };
	struct chart_series series[2] = { { "loss", NULL, y1, 4 }, { "acc", NULL, y2, 4 } };
	struct chart_opts o = { 0, CHART_BRAILLE, 0 };
	chart_draw(w, 0, 0, 8, 40, series, 2, &o, "no points");
	char line[256];
	row_of(w, 0, line, sizeof line);
	CHECK(strstr(line, "loss") && strstr(line, "acc"));
	row_of(w, 1, line, sizeof line);
	CHECK(strncmp(line, "4\u2502", 4) == 0);           /* the maximum at the top */
	CHECK(strstr(line, "\u2840") || strstr(line, "\u28c0") || strstr(line, "\u2880") || strstr(line, "\u2808") ||
	      strstr(line, "\u2809") || strstr(line, "\u2801") || strstr(line, "\u2819") || strstr(line, "\u2849") ||
	      strstr(line, "\u2818") || strstr(line, "\u2848"));
	row_of(w, 6, line, sizeof line);
	CHECK(strncmp(line, "1\u2502", 4) == 0);           /* the minimum at the bottom */
	row_of(w, 7, line, sizeof line);
	CHECK(strncmp(line, "  0", 3) == 0 && strstr(line, "3")); /* x from 0 to 3 */
	/* log scale and smoothing say so in the legend; ASCII cells use ASCII only */
	werase(w);
	o = (struct chart_opts){ CHART_LOG_Y | CHART_SMOOTH, CHART_ASCII, 0.5 };
	chart_draw(w, 0, 0, 8, 40, series, 2, &o, "no points");
	row_of(w, 0, line, sizeof line);
	CHECK(strstr(line, "log") && strstr(line, "smooth"));
	int ascii = 1;
	for (int r = 1; r < 8; r++) {
		row_of(w, r, line, sizeof line);
		for (const char *p = line; *p; p++)
			if ((unsigned char)*p >= 0x80)
				ascii = 0;
	}
	CHECK(ascii);
	/* nothing to plot: the empty sentence */
	werase(w);
	struct chart_series none = { "loss", NULL, y1, 0 };
	chart_draw(w, 0, 0, 8, 40, &none, 1, &o, "no points");
	row_of(w, 1, line, sizeof line);
	CHECK(strncmp(line, "no points", 9) == 0);
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
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scale_maps_ends_and_clamps),
		cmocka_unit_test(test_braille_dot_numbering),
		cmocka_unit_test(test_glyphs),
		cmocka_unit_test(test_values_log_and_ema),
		cmocka_unit_test(test_x_range_and_merge),
		cmocka_unit_test(test_bucketize_keeps_extremes),
		cmocka_unit_test(test_render_draws_a_joined_line),
		cmocka_unit_test(test_draw),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
