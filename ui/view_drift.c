#include "view_drift.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "draw.h"
#include "drift/saved.h"
#include "jobs/registry.h"
#include "keys.h"
#include "list.h"

struct drift_view {
	struct wb *wb;
	struct job job;
	int monitor;
	struct drift_saved sv;
	int stale;
	enum drift_saved_sort sort;
	struct ui_list list;
	int detail;                /* showing the selected column */
	char *detail_name;
	enum chart_cells cells;
	double *step, *score, *thr;  /* monitor: the column's score series */
	size_t npoints, cap;
	char *error;
};

char *drift_view_bar(char *out, size_t n, double frac, int width, int ascii)
{
	static const char *const eighths[] = { "", "▏", "▎", "▍", "▌", "▋", "▊", "▉" };
	if (!n)
		return out;
	out[0] = '\0';
	if (!(frac > 0) || width <= 0)
		return out;
	if (frac > 1)
		frac = 1;
	int units = (int)lround(frac * width * 8);
	size_t len = 0;
	for (int i = 0; i < units / 8 && len + 4 < n; i++)
		len += (size_t)snprintf(out + len, n - len, "%s", ascii ? "#" : "█");
	if (units % 8 && len + 4 < n)
		len += (size_t)snprintf(out + len, n - len, "%s", ascii ? (units % 8 >= 4 ? "#" : "") : eighths[units % 8]);
	if (!len && len + 4 < n) /* something, however small, shows */
		snprintf(out, n, "%s", ascii ? "." : "▏");
	return out;
}

static const struct drift_saved_col *row_col(const struct drift_view *v, size_t i)
{
	return i < v->sv.ncols ? &v->sv.cols[i] : NULL;
}

static void score_text(char *out, size_t n, const struct drift_saved_col *c)
{
	if (!c->test)
		snprintf(out, n, "-");
	else if (!isnan(c->pvalue))
		snprintf(out, n, "p=%.3g", c->pvalue);
	else
		snprintf(out, n, "%.4g", c->statistic);
}

static void draw_row(void *ud, WINDOW *w, int y, int x, int width, size_t i, int cursor)
{
	(void)x;
	struct drift_view *v = ud;
	const struct drift_saved_col *c = row_col(v, i);
	if (!c)
		return;
	attr_t base = theme_attr(cursor ? ROLE_SELECTED : ROLE_NORMAL);
	if (cursor)
		draw_fill(w, y, 0, base);
	char score[32], thr[32] = "-", miss[16] = "-", line[256];
	score_text(score, sizeof score, c);
	if (!isnan(c->threshold))
		snprintf(thr, sizeof thr, "%s%.3g", !isnan(c->pvalue) ? "p<" : "", c->threshold);
	if (!isnan(c->missing_share))
		snprintf(miss, sizeof miss, "%.1f%%", 100 * c->missing_share);
	const char *verdict = !c->test ? "-" : c->drifted ? "DRIFT" : "ok";
	int col = draw_text(w, y, 0, width, c->drifted ? "● " : "  ", cursor ? base : theme_attr(ROLE_ERROR));
	char name[26];
	snprintf(name, sizeof name, "%-24.24s", c->name);
	col += draw_text(w, y, col, width - col, name, base);
	snprintf(line, sizeof line, " %-11.11s %-12.12s %-11s %-9s %7s  ", c->type ? c->type : "-",
		 c->test ? c->test : "-", score, thr, miss);
	col += draw_text(w, y, col, width - col, line, base);
	draw_text(w, y, col, width - col, verdict,
		  cursor ? base : theme_attr(!c->test ? ROLE_DIM : c->drifted ? ROLE_ERROR : ROLE_OK));
}

static const char *row_text(void *ud, size_t i)
{
	const struct drift_saved_col *c = row_col(ud, i);
	return c ? c->name : "";
}

static const struct ui_list_ops list_ops = { draw_row, row_text };

static void reload(struct drift_view *v)
{
	char *keep = NULL;
	const struct drift_saved_col *sel = row_col(v, ui_list_selected(&v->list));
	if (sel)
		keep = xstrdup(sel->name);
	drift_saved_free(&v->sv);
	free(v->error);
	v->error = NULL;
	struct err e = ERR_INIT;
	struct job fresh;
	if (jobreg_get(v->wb->db, v->job.id, &fresh, NULL) == 1) {
		job_clear(&v->job);
		v->job = fresh;
	}
	if (drift_saved_load(v->job.dir, &v->sv, &e) != 0)
		v->error = xstrdup(v->monitor ? "no check yet: the monitor waits for rows in its file" : e.msg);
	drift_saved_sort(&v->sv, v->sort);
	ui_list_set_count(&v->list, v->sv.ncols);
	for (size_t i = 0; keep && i < v->sv.ncols; i++)
		if (strcmp(v->sv.cols[i].name, keep) == 0)
			ui_list_select(&v->list, i);
	free(keep);
	v->stale = 0;
}

struct drift_view *drift_view_open(struct wb *wb, const struct job *j, enum chart_cells cells)
{
	struct drift_view *v = xcalloc(1, sizeof *v);
	v->wb = wb;
	v->cells = cells;
	if (jobreg_get(wb->db, j->id, &v->job, NULL) != 1) {
		wb_status(wb, 1, "the drift job is gone from the registry");
		free(v);
		return NULL;
	}
	v->monitor = drift_job_is_monitor(&v->job);
	ui_list_init(&v->list, &list_ops, v, 0);
	reload(v);
	return v;
}

static void points_free(struct drift_view *v)
{
	free(v->step);
	free(v->score);
	free(v->thr);
	v->step = v->score = v->thr = NULL;
	v->npoints = v->cap = 0;
}

void drift_view_free(struct drift_view *v)
{
	if (!v)
		return;
	points_free(v);
	drift_saved_free(&v->sv);
	ui_list_free(&v->list);
	job_clear(&v->job);
	free(v->detail_name);
	free(v->error);
	free(v);
}

void drift_view_refresh(struct drift_view *v)
{
	if (v && v->monitor)
		v->stale = 1;
}

struct collect {
	struct drift_view *v;
	double threshold;
};

static int on_point(void *ud, const struct jobreg_point *p)
{
	struct collect *c = ud;
	struct drift_view *v = c->v;
	if (v->npoints == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 64;
		v->step = xreallocarray(v->step, v->cap, sizeof *v->step);
		v->score = xreallocarray(v->score, v->cap, sizeof *v->score);
		v->thr = xreallocarray(v->thr, v->cap, sizeof *v->thr);
	}
	v->step[v->npoints] = p->has_step ? (double)p->step : (double)v->npoints;
	v->score[v->npoints] = p->value;
	v->thr[v->npoints] = c->threshold;
	v->npoints++;
	return 0;
}

static const struct drift_saved_col *detail_col(const struct drift_view *v)
{
	for (size_t i = 0; v->detail_name && i < v->sv.ncols; i++)
		if (strcmp(v->sv.cols[i].name, v->detail_name) == 0)
			return &v->sv.cols[i];
	return NULL;
}

static void load_points(struct drift_view *v, const struct drift_saved_col *c)
{
	points_free(v);
	if (!v->monitor || !c->metric)
		return;
	struct collect col = { v, c->threshold };
	jobreg_points(v->wb->db, v->job.id, 0, c->metric, on_point, &col, NULL);
}

static void draw_head(struct drift_view *v, WINDOW *w, int width)
{
	struct buf h = BUF_INIT;
	const char *base = v->sv.baseline ? strrchr(v->sv.baseline, '/') : NULL;
	const char *cur = v->sv.current ? strrchr(v->sv.current, '/') : NULL;
	buf_printf(&h, "%s drift:%s %s  ", v->monitor ? "monitor" : "report", v->job.ext_id ? v->job.ext_id : "?",
		   v->job.name ? v->job.name : "");
	if (v->sv.ncols)
		buf_printf(&h, "%s vs %s  %zu of %zu drifted", base ? base + 1 : v->sv.baseline ? v->sv.baseline : "?",
			   cur ? cur + 1 : v->sv.current ? v->sv.current : "?", v->sv.drifted, v->sv.tested);
	if (v->monitor)
		buf_printf(&h, "  %s  window %s, %lld checks", job_status_name(v->job.status), v->sv.window ? v->sv.window : "?",
			   (long long)v->sv.checks);
	draw_text(w, 0, 0, width, h.data, theme_attr(ROLE_TITLE));
	buf_free(&h);
}

static void bin_label(char *out, size_t n, const struct drift_dist *d, size_t k, size_t k_end)
{
	if (d->numeric)
		snprintf(out, n, "%s%.4g..%.4g%s", k == 0 ? "[" : "[", d->edges[k], d->edges[k_end],
			 k_end == d->n ? "]" : ")");
	else
		snprintf(out, n, "%s", d->labels[k]);
}

/* The two distributions in rows [y, y + h): a label column, then the
 * baseline's and the current share as bars side by side on one scale. */
static void draw_dists(struct drift_view *v, const struct drift_saved_col *c, WINDOW *w, int y, int h, int width)
{
	const struct drift_dist *d = &c->dist;
	if (h < 3)
		return;
	if (!d->n) {
		draw_text(w, y, 0, width, "no distribution kept for this column", theme_attr(ROLE_DIM));
		return;
	}
	double tr = 0, tc = 0;
	for (size_t k = 0; k < d->n; k++) {
		tr += d->ref[k];
		tc += d->cur[k];
	}
	/* numeric bins are merged in twos, fours... when they do not fit */
	size_t group = 1;
	while ((d->n + group - 1) / group > (size_t)(h - 1))
		group *= 2;
	size_t rows = (d->n + group - 1) / group;
	double *rs = xcalloc(rows, sizeof *rs), *cs = xcalloc(rows, sizeof *cs), top = 0;
	for (size_t r = 0; r < rows; r++) {
		for (size_t k = r * group; k < d->n && k < (r + 1) * group; k++) {
			rs[r] += tr > 0 ? d->ref[k] / tr : 0;
			cs[r] += tc > 0 ? d->cur[k] / tc : 0;
		}
		top = fmax(top, fmax(rs[r], cs[r]));
	}
	int label_w = width / 4 < 22 ? width / 4 : 22;
	int bar_w = (width - label_w - 2 * 8 - 4) / 2;
	if (bar_w < 4)
		bar_w = 4;
	int left = label_w + 1, right = label_w + 1 + bar_w + 8 + 2;
	char head[96];
	snprintf(head, sizeof head, "baseline (%.0f)", tr);
	draw_text(w, y, left, width - left, head, theme_attr(ROLE_CHART_1));
	snprintf(head, sizeof head, "current (%.0f)", tc);
	draw_text(w, y, right, width - right, head, theme_attr(ROLE_CHART_2));
	draw_text(w, y, 0, label_w, d->numeric ? "bin" : "value", theme_attr(ROLE_DIM));
	int ascii = v->cells == CHART_ASCII;
	for (size_t r = 0; r < rows && (int)r + 1 < h; r++) {
		char label[96], bar[256], pct[16];
		size_t k0 = r * group, k1 = (r + 1) * group < d->n ? (r + 1) * group : d->n;
		bin_label(label, sizeof label, d, k0, k1);
		int yy = y + 1 + (int)r;
		draw_text_mid(w, yy, 0, label_w, label, theme_attr(ROLE_NORMAL));
		drift_view_bar(bar, sizeof bar, top > 0 ? rs[r] / top : 0, bar_w, ascii);
		int used = draw_text(w, yy, left, bar_w, bar, theme_attr(ROLE_CHART_1));
		snprintf(pct, sizeof pct, " %5.1f%%", 100 * rs[r]);
		draw_text(w, yy, left + (used < bar_w ? used : bar_w), 8, pct, theme_attr(ROLE_DIM));
		drift_view_bar(bar, sizeof bar, top > 0 ? cs[r] / top : 0, bar_w, ascii);
		used = draw_text(w, yy, right, bar_w, bar, theme_attr(ROLE_CHART_2));
		snprintf(pct, sizeof pct, " %5.1f%%", 100 * cs[r]);
		draw_text(w, yy, right + (used < bar_w ? used : bar_w), 8, pct, theme_attr(ROLE_DIM));
	}
	free(rs);
	free(cs);
}

static void draw_detail(struct drift_view *v, WINDOW *w, int height, int width)
{
	const struct drift_saved_col *c = detail_col(v);
	if (!c) {
		draw_text(w, 1, 0, width, "the column is no longer in the report", theme_attr(ROLE_DIM));
		return;
	}
	char score[32], line[256];
	score_text(score, sizeof score, c);
	snprintf(line, sizeof line, "%s  %s  %s %s  threshold %s%.3g  %s", c->name, c->type ? c->type : "-",
		 c->test ? c->test : "not tested", score, !isnan(c->pvalue) ? "p<" : "", c->threshold,
		 !c->test ? "" : c->drifted ? "DRIFT" : "no drift");
	draw_text(w, 1, 0, width, line, theme_attr(c->drifted ? ROLE_ERROR : ROLE_NORMAL));
	int y = 2, body = height - 3;
	if (v->monitor) {
		int ch = body / 2 > 6 ? body / 2 : body;
		struct chart_series s[2] = { { c->metric ? c->metric : c->name, v->step, v->score, v->npoints },
					     { "threshold", v->step, v->thr, v->npoints } };
		struct chart_opts o = { 0, v->cells, 0.2 };
		chart_draw(w, y, 0, ch, width, s, 2, &o, "no checks yet");
		y += ch;
		body -= ch;
	}
	draw_dists(v, c, w, y, body, width);
}

void drift_view_draw(struct drift_view *v, WINDOW *w, int height, int width)
{
	if (v->stale) {
		reload(v);
		const struct drift_saved_col *c = detail_col(v);
		if (v->detail && c)
			load_points(v, c);
	}
	draw_head(v, w, width);
	char hint[200];
	if (v->detail) {
		draw_detail(v, w, height, width);
		snprintf(hint, sizeof hint, "%s back to the columns  %s cells", KEY_HINT(PA_JOBS_BACK),
			 KEY_HINT(PA_JOBS_CELLS));
	} else {
		char cols[160];
		snprintf(cols, sizeof cols, "  %-24s %-11s %-12s %-11s %-9s %7s  %s", "COLUMN", "TYPE", "TEST", "SCORE",
			 "THRESHOLD", "MISSING", "DRIFT");
		draw_text(w, 1, 0, width, cols, theme_attr(ROLE_DIM));
		ui_list_draw(&v->list, w, 2, 0, height - 3, width, v->error ? v->error : "the report has no columns");
		snprintf(hint, sizeof hint, "%s distributions%s  %s sort: %s  %s back", KEY_HINT(PA_JOBS_OPEN),
			 v->monitor ? " and score over time" : "", KEY_HINT(PA_JOBS_SORT), drift_saved_sort_name(v->sort),
			 KEY_HINT(PA_JOBS_BACK));
	}
	draw_text(w, height - 1, 0, width, hint, theme_attr(ROLE_DIM));
}

unsigned drift_view_key(struct drift_view *v, int key, int *closed)
{
	*closed = 0;
	if (!v->detail && v->list.editing && ui_list_key(&v->list, key))
		return PANE_HANDLED | PANE_DIRTY;
	switch (keys_map_action(KEYMAP_JOBS, key)) {
	case PA_JOBS_BACK:
		if (v->detail) {
			v->detail = 0;
			points_free(v);
		} else {
			*closed = 1;
		}
		return PANE_HANDLED | PANE_DIRTY;
	case PA_JOBS_OPEN: {
		if (v->detail)
			return PANE_HANDLED;
		const struct drift_saved_col *c = row_col(v, ui_list_selected(&v->list));
		if (!c)
			return PANE_HANDLED;
		free(v->detail_name);
		v->detail_name = xstrdup(c->name);
		v->detail = 1;
		load_points(v, c);
		return PANE_HANDLED | PANE_DIRTY;
	}
	case PA_JOBS_SORT:
		if (v->detail)
			return PANE_HANDLED;
		v->sort = (enum drift_saved_sort)((v->sort + 1) % DRIFT_SORT_COUNT);
		drift_saved_sort(&v->sv, v->sort);
		ui_list_set_count(&v->list, v->sv.ncols);
		ui_list_select(&v->list, 0);
		wb_status(v->wb, 0, "columns sorted by %s", drift_saved_sort_name(v->sort));
		return PANE_HANDLED | PANE_DIRTY;
	case PA_JOBS_CELLS:
		v->cells = (enum chart_cells)((v->cells + 1) % CHART_CELLS_COUNT);
		return PANE_HANDLED | PANE_DIRTY;
	default:
		if (v->detail)
			return 0;
		return ui_list_key(&v->list, key) ? PANE_HANDLED | PANE_DIRTY : 0;
	}
}
