/* Chart redraw: 4 series of 100,000 points each drawn by chart_draw into a
 * 200x50 curses window (a screen on /dev/null, so the terminal's own output
 * is not timed), in braille and in blocks, raw and with log scale and
 * smoothing. Prints the median and max ms a frame over 200 frames per case.
 * Target (issue 12): under 2 ms a frame. */
#include <curses.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "base/clock.h"
#include "base/stats.h"
#include "chart.h"

#define POINTS 100000
#define SERIES 4
#define FRAMES 200

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	SCREEN *scr = out && in ? newterm("xterm-256color", out, in) : NULL;
	if (!scr) {
		fprintf(stderr, "chart_bench: no curses screen\n");
		return 1;
	}
	static double x[POINTS], y[SERIES][POINTS];
	static const char *const names[SERIES] = { "loss", "val_loss", "acc", "lr" };
	struct chart_series s[SERIES];
	for (int i = 0; i < POINTS; i++)
		x[i] = i;
	for (int k = 0; k < SERIES; k++) {
		for (int i = 0; i < POINTS; i++)
			y[k][i] = (k + 1) * exp(-i / 20000.0) + 0.05 * sin(i * 0.37 + k);
		s[k] = (struct chart_series){ names[k], x, y[k], POINTS };
	}
	WINDOW *w = newwin(50, 200, 0, 0);
	static const struct {
		const char *name;
		struct chart_opts o;
	} cases[] = {
		{ "braille", { 0, CHART_BRAILLE, 0 } },
		{ "braille, log + smoothing", { CHART_LOG_Y | CHART_SMOOTH, CHART_BRAILLE, 0 } },
		{ "blocks", { 0, CHART_BLOCK, 0 } },
	};
	double t[FRAMES], res[3][2];
	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
		for (int f = 0; f < FRAMES; f++) {
			werase(w);
			double t0 = clock_us() / 1e3;
			chart_draw(w, 0, 0, 50, 200, s, SERIES, &cases[c].o, NULL);
			t[f] = clock_us() / 1e3 - t0;
		}
		stats_sort(t, FRAMES);
		res[c][0] = t[FRAMES / 2];
		res[c][1] = t[FRAMES - 1];
	}
	delwin(w);
	endwin();
	delscreen(scr);
	printf("\n%-52s %9s %9s\n", "chart redraw, 4 series x 100,000 points, 200x50", "median ms", "max ms");
	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
		printf("%-52s %9.3f %9.3f\n", cases[c].name, res[c][0], res[c][1]);
	printf("target: < 2 ms a frame\n");
	return 0;
}
