#include "chart.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/xmalloc.h"
#include "draw.h"
#include "theme.h"

static const enum theme_role series_roles[CHART_COLORS] = { ROLE_CHART_1, ROLE_CHART_2, ROLE_CHART_3, ROLE_CHART_4 };

int chart_dots_x(enum chart_cells c)
{
	return c == CHART_BRAILLE ? 2 : 1;
}

int chart_dots_y(enum chart_cells c)
{
	return c == CHART_BRAILLE ? 4 : 2;
}

int chart_scale(double v, double lo, double hi, int dots)
{
	if (dots <= 1)
		return 0;
	if (!(hi > lo))
		return dots / 2;
	double t = (v - lo) / (hi - lo);
	if (!(t > 0))
		return 0;
	if (t >= 1)
		return dots - 1;
	return (int)(t * (dots - 1) + 0.5);
}

unsigned chart_dot_bit(enum chart_cells c, int dx, int dy)
{
	if (c != CHART_BRAILLE)
		return 1u << (dy & 1);
	if (dy == 3)
		return dx ? 0x80 : 0x40;
	return 1u << (dy + (dx ? 3 : 0));
}

const char *chart_glyph(enum chart_cells c, unsigned bits, char out[8])
{
	out[0] = '\0';
	if (!bits)
		return out;
	if (c == CHART_BRAILLE) {
		unsigned cp = 0x2800 + (bits & 0xff);
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		out[3] = '\0';
	} else if (c == CHART_BLOCK) {
		static const char *const half[4] = { "", "\u2580", "\u2584", "\u2588" };
		snprintf(out, 8, "%s", half[bits & 3]);
	} else {
		static const char ascii[4] = { ' ', '\'', '.', ':' };
		out[0] = ascii[bits & 3];
		out[1] = '\0';
	}
	return out;
}

int chart_value(unsigned flags, double alpha, double y, double *ema, int *started)
{
	if (!isfinite(y))
		return 0;
	if (flags & CHART_SMOOTH) {
		if (!(alpha > 0 && alpha <= 1))
			alpha = 0.1;
		y = *started ? *ema + alpha * (y - *ema) : y;
		*started = 1;
	}
	*ema = y;
	return !(flags & CHART_LOG_Y) || y > 0;
}

double chart_plot_value(unsigned flags, double v)
{
	return (flags & CHART_LOG_Y) ? log10(v) : v;
}

int chart_x_range(const struct chart_series *s, double *x0, double *x1)
{
	if (!s->n)
		return 0;
	if (!s->x) {
		*x0 = 0;
		*x1 = (double)(s->n - 1);
		return 1;
	}
	double xl = INFINITY, xh = -INFINITY;
	for (size_t i = 0; i < s->n; i++) {
		double xv = s->x[i];
		xl = xv < xl ? xv : xl; /* NaN compares false: left out */
		xh = xv > xh ? xv : xh;
	}
	if (!isfinite(xl) || !isfinite(xh))
		return 0;
	*x0 = xl;
	*x1 = xh;
	return 1;
}

void chart_merge(const struct chart_bucket *fine, int nfine, struct chart_bucket *out, int columns)
{
	memset(out, 0, (size_t)columns * sizeof *out);
	for (int i = 0; i < nfine; i++) {
		const struct chart_bucket *f = &fine[i];
		if (!f->has)
			continue;
		struct chart_bucket *b = &out[(int)((long long)i * columns / nfine)];
		if (!b->has) {
			*b = *f;
			continue;
		}
		b->lo = f->lo < b->lo ? f->lo : b->lo;
		b->hi = f->hi > b->hi ? f->hi : b->hi;
		b->last = f->last;
	}
}

static void bucket_add(struct chart_bucket *b, double lo, double hi, double first, double last)
{
	if (!b->has) {
		*b = (struct chart_bucket){ 1, lo, hi, first, last };
		return;
	}
	b->lo = lo < b->lo ? lo : b->lo;
	b->hi = hi > b->hi ? hi : b->hi;
	b->last = last;
}

size_t chart_bucketize(const struct chart_series *s, unsigned flags, double alpha, double x0, double x1, int columns,
		       struct chart_bucket *out)
{
	if (columns <= 0)
		return 0;
	memset(out, 0, (size_t)columns * sizeof *out);
	const double scale = x1 > x0 ? columns / (x1 - x0) : 0, last_col = columns - 1;
	const double *xs = s->x, *ys = s->y;
	const int smooth = (flags & CHART_SMOOTH) != 0, logy = (flags & CHART_LOG_Y) != 0;
	if (!(alpha > 0 && alpha <= 1))
		alpha = 0.1;
	double ema = 0;
	int started = 0;
	size_t kept = 0;
	/* the hot loop of a frame: finite tests as x - x == 0 (false for NaN
	 * and infinities), the column as one multiply, and the column being
	 * filled kept in registers until the column changes */
	int cur = -1;
	double lo = 0, hi = 0, first = 0, last = 0;
	for (size_t i = 0; i < s->n; i++) {
		double v = ys[i];
		if (!(v - v == 0))
			continue;
		if (smooth) {
			v = started ? ema + alpha * (v - ema) : v;
			ema = v;
			started = 1;
		}
		if (logy && !(v > 0))
			continue;
		double fc = ((xs ? xs[i] : (double)i) - x0) * scale;
		if (!(fc - fc == 0))
			continue;
		int c = fc <= 0 ? 0 : fc >= last_col ? (int)last_col : (int)fc;
		kept++;
		if (c == cur) {
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
			last = v;
			continue;
		}
		if (cur >= 0)
			bucket_add(&out[cur], lo, hi, first, last);
		cur = c;
		lo = hi = first = last = v;
	}
	if (cur >= 0)
		bucket_add(&out[cur], lo, hi, first, last);
	if (logy)
		for (int c = 0; c < columns; c++)
			if (out[c].has)
				out[c] = (struct chart_bucket){ 1, log10(out[c].lo), log10(out[c].hi), log10(out[c].first),
								log10(out[c].last) };
	return kept;
}

void chart_canvas_init(struct chart_canvas *c, int rows, int cols, enum chart_cells cells)
{
	c->rows = rows > 0 ? rows : 0;
	c->cols = cols > 0 ? cols : 0;
	c->cells = cells;
	size_t n = (size_t)c->rows * (size_t)c->cols;
	c->bits = xcalloc(n ? n : 1, 1);
	c->series = xcalloc(n ? n : 1, 1);
}

void chart_canvas_free(struct chart_canvas *c)
{
	free(c->bits);
	free(c->series);
	c->bits = c->series = NULL;
}

static void set_dot(struct chart_canvas *c, int px, int py, int k)
{
	int dx = chart_dots_x(c->cells), dy = chart_dots_y(c->cells);
	size_t cell = (size_t)(py / dy) * (size_t)c->cols + (size_t)(px / dx);
	c->bits[cell] |= (uint8_t)chart_dot_bit(c->cells, px % dx, py % dy);
	c->series[cell] = (uint8_t)k;
}

static void dot_column(struct chart_canvas *c, int px, int a, int b, int k)
{
	if (a > b) {
		int t = a;
		a = b;
		b = t;
	}
	for (int py = a; py <= b; py++)
		set_dot(c, px, py, k);
}

void chart_render(struct chart_canvas *c, const struct chart_bucket *b, int k, double y0, double y1)
{
	int width = c->cols * chart_dots_x(c->cells), height = c->rows * chart_dots_y(c->cells);
	if (width <= 0 || height <= 0)
		return;
	int prev = -1, prev_y = 0;
	for (int px = 0; px < width; px++) {
		if (!b[px].has)
			continue;
		int lo = height - 1 - chart_scale(b[px].lo, y0, y1, height);
		int hi = height - 1 - chart_scale(b[px].hi, y0, y1, height);
		int first = height - 1 - chart_scale(b[px].first, y0, y1, height);
		if (prev >= 0) {
			/* join the previous column's last value to this column's first */
			for (int q = prev + 1; q <= px; q++) {
				int a = prev_y + (first - prev_y) * (q - 1 - prev) / (px - prev);
				int z = prev_y + (first - prev_y) * (q - prev) / (px - prev);
				dot_column(c, q, a, z, k);
			}
		}
		dot_column(c, px, lo, hi, k);
		prev = px;
		prev_y = height - 1 - chart_scale(b[px].last, y0, y1, height);
	}
}

static void label_value(char *out, size_t n, double v, unsigned flags)
{
	if (flags & CHART_LOG_Y)
		v = pow(10, v);
	snprintf(out, n, "%.4g", v);
}

static void label_x(char *out, size_t n, double v, unsigned flags)
{
	if (flags & CHART_X_TIME) {
		time_t t = (time_t)v;
		struct tm tm;
		if (localtime_r(&t, &tm) && strftime(out, n, "%H:%M:%S", &tm))
			return;
	}
	snprintf(out, n, "%.6g", v);
}

static void draw_legend(WINDOW *win, int y, int x, int w, const struct chart_series *s, size_t ns,
			const struct chart_opts *o)
{
	int used = 0;
	const char *mark = o->cells == CHART_ASCII ? "-" : "\u2501";
	for (size_t k = 0; k < ns && used < w; k++) {
		attr_t at = theme_attr(series_roles[k % CHART_COLORS]);
		if (used + 2 >= w)
			break;
		wattrset(win, at);
		mvwaddstr(win, y, x + used, mark);
		wattrset(win, A_NORMAL);
		used += 2;
		used += draw_text(win, y, x + used, w - used, s[k].name ? s[k].name : "?", at);
		used += 2;
	}
	const char *modes[] = { (o->flags & CHART_LOG_Y) ? "log" : NULL, (o->flags & CHART_SMOOTH) ? "smooth" : NULL };
	for (size_t i = 0; i < 2; i++)
		if (modes[i] && used + (int)strlen(modes[i]) + 1 < w)
			used += 1 + draw_text(win, y, x + used, w - used, modes[i], theme_attr(ROLE_DIM));
}

static void draw_cells(WINDOW *win, int y, int x, const struct chart_canvas *c)
{
	char run[4096], g[8];
	for (int r = 0; r < c->rows; r++) {
		int start = -1, len = 0, k = -1;
		for (int col = 0; col <= c->cols; col++) {
			size_t cell = (size_t)r * (size_t)c->cols + (size_t)col;
			int at_end = col == c->cols;
			int bits = at_end ? 0 : c->bits[cell];
			int ck = bits ? c->series[cell] : -1;
			if (start >= 0 && (at_end || !bits || ck != k || len + 8 > (int)sizeof run)) {
				wattrset(win, theme_attr(series_roles[(size_t)k % CHART_COLORS]));
				mvwaddnstr(win, y + r, x + start, run, len);
				start = -1;
				len = 0;
			}
			if (!bits)
				continue;
			if (start < 0) {
				start = col;
				k = ck;
			}
			chart_glyph(c->cells, (unsigned)bits, g);
			size_t gl = strlen(g);
			memcpy(run + len, g, gl);
			len += (int)gl;
		}
	}
	wattrset(win, A_NORMAL);
}

void chart_draw(WINDOW *win, int y, int x, int h, int w, const struct chart_series *s, size_t ns,
		const struct chart_opts *o, const char *empty)
{
	if (h <= 0 || w <= 0)
		return;
	unsigned flags = o->flags;
	double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
	for (size_t k = 0; k < ns; k++) {
		double a0, a1;
		if (chart_x_range(&s[k], &a0, &a1))
			x0 = fmin(x0, a0), x1 = fmax(x1, a1);
	}
	draw_legend(win, y, x, w, s, ns, o);
	/* one pass over the points, into dot columns as fine as the widest plot;
	 * the y labels then say how wide the plot is, and the columns merge */
	int dx = chart_dots_x(o->cells), nfine = w * dx;
	struct chart_bucket *fine = xreallocarray(NULL, ns ? ns * (size_t)nfine : 1, sizeof *fine);
	size_t kept = 0;
	for (size_t k = 0; k < ns && x0 <= x1; k++) {
		struct chart_bucket *f = fine + k * (size_t)nfine;
		kept += chart_bucketize(&s[k], flags, o->alpha, x0, x1, nfine, f);
		for (int c = 0; c < nfine; c++)
			if (f[c].has)
				y0 = fmin(y0, f[c].lo), y1 = fmax(y1, f[c].hi);
	}
	if (!kept || h < 3) {
		if (!kept && h > 1)
			draw_text(win, y + 1, x, w, empty ? empty : "no points yet", theme_attr(ROLE_DIM));
		free(fine);
		return;
	}
	char top[32], bottom[32];
	label_value(top, sizeof top, y1, flags);
	label_value(bottom, sizeof bottom, y0, flags);
	int lw = (int)(strlen(top) > strlen(bottom) ? strlen(top) : strlen(bottom));
	int plot_h = h - 2, plot_w = w - lw - 1;
	if (plot_w < 4) {
		lw = 0;
		plot_w = w - 1;
	}
	attr_t dim = theme_attr(ROLE_DIM);
	if (lw) {
		draw_text(win, y + 1, x + lw - (int)strlen(top), lw, top, dim);
		draw_text(win, y + plot_h, x + lw - (int)strlen(bottom), lw, bottom, dim);
	}
	const char *axis = o->cells == CHART_ASCII ? "|" : "\u2502";
	wattrset(win, dim);
	for (int r = 0; r < plot_h; r++)
		mvwaddstr(win, y + 1 + r, x + lw, axis);
	wattrset(win, A_NORMAL);
	char left[32], right[32];
	label_x(left, sizeof left, x0, flags);
	label_x(right, sizeof right, x1, flags);
	draw_text(win, y + h - 1, x + lw + 1, plot_w, left, dim);
	int rl = (int)strlen(right);
	if (rl + (int)strlen(left) + 2 <= plot_w)
		draw_text(win, y + h - 1, x + w - rl, rl, right, dim);

	struct chart_canvas c;
	chart_canvas_init(&c, plot_h, plot_w, o->cells);
	int columns = plot_w * dx;
	struct chart_bucket *b = xreallocarray(NULL, (size_t)(columns > 0 ? columns : 1), sizeof *b);
	for (size_t k = 0; k < ns && columns > 0; k++) {
		chart_merge(fine + k * (size_t)nfine, nfine, b, columns);
		chart_render(&c, b, (int)k, y0, y1);
	}
	free(b);
	free(fine);
	draw_cells(win, y + 1, x + lw + 1, &c);
	chart_canvas_free(&c);
}
