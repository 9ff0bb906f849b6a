/* chart — line charts in terminal cells, for metric curves (the Jobs pane)
 * and distributions (drift). Several series share one pair of axes, each in
 * its own colour (ROLE_CHART_1.. in turn) with a legend; the y axis is
 * labelled with its maximum and minimum, the x axis with its first and last
 * value (a step, or a clock time with CHART_X_TIME).
 *
 * Cells are drawn in braille (U+2800..U+28FF: 2x4 dots a cell), in half
 * blocks (1x2) or, for terminals without UTF-8, in ASCII (1x2: ' . :).
 * Each series is downsampled to one bucket per dot column (the lowest,
 * highest, first and last value falling in it), so a frame costs one pass
 * over the points (and one over x for the range) plus the cells: 4 series of 100,000 points redraw in well
 * under 2 ms (bench/chart_bench.c). CHART_LOG_Y plots log10 of the values
 * (values <= 0 are left out); CHART_SMOOTH plots the exponential moving
 * average (alpha = opts.alpha, 0.1 when 0) instead of the raw values. NaN and
 * infinite values are left out.
 *
 * The series' arrays are borrowed for the call. Scaling, cell composition
 * and downsampling are pure (chart_scale, chart_dot_bit, chart_glyph,
 * chart_bucketize, chart_merge, chart_render) and need no terminal. */
#ifndef AIWB_CHART_H
#define AIWB_CHART_H

#include <curses.h>
#include <stddef.h>
#include <stdint.h>

enum chart_cells { CHART_BRAILLE, CHART_BLOCK, CHART_ASCII, CHART_CELLS_COUNT };

enum {
	CHART_LOG_Y = 1 << 0,
	CHART_SMOOTH = 1 << 1,
	CHART_X_TIME = 1 << 2, /* x values are Unix seconds: labelled as times */
};

#define CHART_COLORS 4

struct chart_series {
	const char *name;     /* for the legend; untrusted (sanitised when drawn) */
	const double *x, *y;  /* n points; x NULL: the index is x */
	size_t n;
};

struct chart_opts {
	unsigned flags;
	enum chart_cells cells;
	double alpha;         /* EMA weight of a new point, (0, 1]; 0: 0.1 */
};

/* Dots a cell holds across and down. */
int chart_dots_x(enum chart_cells c);
int chart_dots_y(enum chart_cells c);

/* v in [lo, hi] to a dot index 0..dots-1 (0 at lo); lo == hi maps to the
 * middle; values outside are clamped. */
int chart_scale(double v, double lo, double hi, int dots);
/* The bit of the dot at (dx, dy) of a cell, dy 0 at the top: the braille
 * dot numbering (dots 1-3 and 7 down the left column, 4-6 and 8 down the
 * right) for CHART_BRAILLE; bit dy for the 1x2 kinds. */
unsigned chart_dot_bit(enum chart_cells c, int dx, int dy);
/* The UTF-8 (or ASCII) text of a cell with these dots, into out (at least 4
 * bytes + NUL); "" for no dots. */
const char *chart_glyph(enum chart_cells c, unsigned bits, char out[8]);

/* One dot column's worth of a series. */
struct chart_bucket {
	int has;
	double lo, hi, first, last;
};

/* A point's value under flags into *ema (the EMA with CHART_SMOOTH, state
 * in *ema and *started; else y itself); returns 0 when the point is left out
 * (not finite; <= 0 with CHART_LOG_Y). Smoothing is of the values, before
 * the log, so the log of a frame costs one log10 a dot column, not a point. */
int chart_value(unsigned flags, double alpha, double y, double *ema, int *started);
/* Where a value is plotted: log10(v) with CHART_LOG_Y, else v. */
double chart_plot_value(unsigned flags, double v);
/* The x range of s: 0..n-1 without x, else the least and greatest finite
 * x; 0 when s has none. */
int chart_x_range(const struct chart_series *s, double *x0, double *x1);
/* Puts each plotted point of s into the bucket of its dot column:
 * columns dot columns spanning x in [x0, x1]. out has columns entries. */
/* Returns the points kept; the buckets hold plotted values. */
size_t chart_bucketize(const struct chart_series *s, unsigned flags, double alpha, double x0, double x1, int columns,
		       struct chart_bucket *out);

/* Merges nfine buckets (in order) into columns buckets, nfine >= columns. */
void chart_merge(const struct chart_bucket *fine, int nfine, struct chart_bucket *out, int columns);

/* A canvas of rows x cols cells: the dot bits and the series (0-based) that
 * last drew in each cell. */
struct chart_canvas {
	int rows, cols;
	enum chart_cells cells;
	uint8_t *bits, *series;
};
void chart_canvas_init(struct chart_canvas *c, int rows, int cols, enum chart_cells cells);
void chart_canvas_free(struct chart_canvas *c);
/* Draws series k's buckets as a line (each column from its low to its high
 * value, joined to the previous column) with y in [y0, y1]. */
void chart_render(struct chart_canvas *c, const struct chart_bucket *b, int k, double y0, double y1);

/* Draws the chart with its legend and axes into rows [y, y + h) and columns
 * [x, x + w) of win. empty is drawn when no series has a point. */
void chart_draw(WINDOW *win, int y, int x, int h, int w, const struct chart_series *s, size_t ns,
		const struct chart_opts *o, const char *empty);

#endif
