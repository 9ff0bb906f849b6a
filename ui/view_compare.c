#include "view_compare.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/wdiff.h"
#include "base/xmalloc.h"
#include "draw.h"
#include "guardview.h"
#include "keys.h"
#include "scrollpos.h"

#define MAX_SHOWN_BYTES (1u << 20)
#define MIN_COLUMN_WIDTH 24
#define METRIC_LINES 3

/* ---------------------------------------------------------------- columns */

static void column_feed(struct compare_column *c)
{
	if (!c->run)
		return;
	const struct buf *t = lab_run_text(c->run);
	size_t n = t->len - c->fed, room = c->hidden ? 0 : MAX_SHOWN_BYTES - (c->fed < MAX_SHOWN_BYTES ? c->fed : MAX_SHOWN_BYTES);
	if (n > room) { /* the first MAX_SHOWN_BYTES of the text, ending at a character */
		while (room && ((unsigned char)t->data[c->fed + room] & 0xc0) == 0x80)
			room--;
		c->hidden += n - room;
		n = room;
	}
	if (n)
		sanitize_feed(&c->san, t->data + c->fed, n, &c->w.text);
	c->fed = t->len;
}

static void column_clear(struct compare_column *c)
{
	lab_run_free(c->run);
	c->run = NULL;
	c->error[0] = 0;
	c->fed = 0;
	c->hidden = 0;
	c->counted = 0;
	sanitize_init(&c->san, 4);
	wrap_reset(&c->w);
	answer_md_reset(&c->md);
}

static void column_free(struct compare_column *c)
{
	column_clear(c);
	free(c->spec);
	wrap_free(&c->w);
	answer_md_free(&c->md);
	c->spec = NULL;
	c->note[0] = 0;
}

int compare_column_running(const struct compare_column *c)
{
	return c->run && !lab_run_finished(c->run);
}

int compare_running(const struct compare_view *cv)
{
	for (size_t i = 0; i < cv->ncols; i++)
		if (compare_column_running(&cv->cols[i]))
			return 1;
	return 0;
}

void compare_cancel(struct compare_view *cv)
{
	for (size_t i = 0; i < cv->ncols; i++)
		lab_run_cancel(cv->cols[i].run);
}

static void on_text(struct lab_run *lr, void *ud)
{
	(void)lr;
	struct compare_view *cv = ud;
	wb_redraw(cv->wb);
}

static void on_done(struct lab_run *lr, void *ud)
{
	struct compare_view *cv = ud;
	for (size_t i = 0; i < cv->ncols; i++) {
		struct compare_column *c = &cv->cols[i];
		if (c->run != lr)
			continue;
		column_feed(c);
		sanitize_finish(&c->san, &c->w.text);
		guardview_answer_done(cv, c);
		if (!c->counted && cv->wb->history_runs >= 0)
			cv->wb->history_runs += (int64_t)lab_run_saved(lr);
		c->counted = 1;
	}
	wb_redraw(cv->wb);
}

static const struct lab_run_cb run_cb = { on_text, on_done };

/* Starts the form, or with rq a conversation's turn, in column c. */
static void column_start_with(struct compare_view *cv, struct compare_column *c, const struct lab_form *form,
			      const struct lab_request *rq, int64_t group, const char *shown)
{
	struct wb *wb = cv->wb;
	column_clear(c);
	char *provider_name = NULL, *model = NULL;
	struct err e = ERR_INIT;
	if (provider_split_model(c->spec, &provider_name, &model, &e) != 0) {
		snprintf(c->error, sizeof c->error, "%s", e.msg);
		return;
	}
	struct provider *p = modelset_provider(&wb->models, provider_name);
	if (!p) {
		snprintf(c->error, sizeof c->error, "%s is not usable; see its line in Models or aiwb doctor", provider_name);
	} else {
		struct lab_target tg = {
			.loop = wb->loop,
			.provider = p,
			.catalog = wb->catalog,
			.db = wb->db,
			.model_spec = c->spec,
			.params = *wb_params_for(wb, c->spec),
			.kind = group ? "compare" : "ask",
			.group = group,
			.shown = shown,
		};
		guardview_target(cv, &tg);
		c->run = rq ? lab_run_send(rq, &tg, &run_cb, cv, &e) : lab_run_start(form, &tg, &run_cb, cv, &e);
		if (!c->run)
			snprintf(c->error, sizeof c->error, "%s", e.msg);
	}
	free(provider_name);
	free(model);
}

static void column_start(struct compare_view *cv, struct compare_column *c, const struct lab_form *form, int64_t group,
			 const char *shown)
{
	column_start_with(cv, c, form, NULL, group, shown);
}

void compare_init(struct compare_view *cv, struct wb *wb)
{
	memset(cv, 0, sizeof *cv);
	cv->wb = wb;
	cv->scroll = -1;
	guardview_init(cv);
}

void compare_free(struct compare_view *cv)
{
	for (size_t i = 0; i < cv->ncols; i++)
		column_free(&cv->cols[i]);
	cv->ncols = 0;
	wrap_free(&cv->dw);
	guardview_free(cv);
	answer_clock_stop(cv);
}

void compare_start(struct compare_view *cv, const struct lab_form *form, char *const *specs, size_t n,
		   const char *shown)
{
	guardview_forget_all(cv);
	for (size_t i = 0; i < cv->ncols; i++)
		column_free(&cv->cols[i]);
	if (n > COMPARE_MAX_COLUMNS)
		n = COMPARE_MAX_COLUMNS;
	cv->ncols = n;
	cv->focus = 0;
	cv->zoom = 0;
	cv->scroll = -1;
	cv->diff = 0;
	wrap_reset(&cv->dw);
	int64_t group = n > 1 ? run_compare_group() : 0;
	for (size_t i = 0; i < n; i++) {
		struct compare_column *c = &cv->cols[i];
		c->spec = xstrdup(specs[i]);
		column_start(cv, c, form, group, shown);
	}
}

void compare_rerun_focused(struct compare_view *cv, const struct lab_form *form, const char *shown)
{
	if (cv->ncols) {
		guardview_forget(cv, &cv->cols[cv->focus]);
		column_start(cv, &cv->cols[cv->focus], form, 0, shown);
	}
}

void compare_send_turns(struct compare_view *cv, const struct lab_request *rq)
{
	int64_t group = cv->ncols > 1 ? run_compare_group() : 0;
	cv->scroll = -1;
	cv->diff = 0;
	for (size_t i = 0; i < cv->ncols; i++)
		column_start_with(cv, &cv->cols[i], NULL, &rq[i], group, NULL);
}

void compare_show(struct compare_view *cv, char *const *specs, struct lab_run **runs, size_t n)
{
	compare_start(cv, NULL, specs, 0, NULL);
	cv->ncols = n < COMPARE_MAX_COLUMNS ? n : COMPARE_MAX_COLUMNS;
	for (size_t i = 0; i < cv->ncols; i++) {
		cv->cols[i].spec = xstrdup(specs[i]);
		column_clear(&cv->cols[i]);
		cv->cols[i].run = runs[i];
		cv->cols[i].counted = 1;
	}
	for (size_t i = cv->ncols; i < n; i++)
		lab_run_free(runs[i]);
}

const struct compare_column *compare_focused(const struct compare_view *cv)
{
	return cv->ncols ? &cv->cols[cv->focus] : NULL;
}

/* ---------------------------------------------------------------- drawing */

static void draw_column(struct compare_view *cv, size_t i, WINDOW *w, int y, int x, int height, int width)
{
	struct compare_column *c = &cv->cols[i];
	int head = cv->ncols > 1; /* one column: the model is named above */
	if (head)
		draw_text_mid(w, y, x, width, c->spec, theme_attr(i == cv->focus ? ROLE_TITLE_FOCUSED : ROLE_TITLE));
	char metrics[METRIC_LINES][160], line[1100];
	int nm = c->run ? answer_metrics(cv, c, width, metrics, METRIC_LINES) : 0;
	attr_t state_at = c->run ? answer_state(cv, c, line, sizeof line) : 0;
	int nstate = c->run ? answer_state_rows(cv, width, (height - head - nm) / 2) : 0;
	int foot = (c->run ? nm + nstate : 1) + (c->note[0] != 0);
	int guard_rows = guardview_answer_rows(cv, c, (height - head - foot) / 3);
	foot += guard_rows;
	int view_h = height - head - foot;
	column_feed(c);
	if (view_h > 0 && c->run) {
		long total = answer_draw(cv, c, w, y + head, x, width, view_h);
		if (total > cv->lines_max)
			cv->lines_max = (int)total;
		cv->view_h = view_h;
	}
	int fy = y + height - foot;
	if (!c->run) {
		draw_wrapped(w, y + head, x, width, height - head, c->error, theme_attr(ROLE_ERROR));
		return;
	}
	guardview_draw_answer(cv, c, w, fy, x, width, guard_rows);
	fy += guard_rows;
	for (int k = 0; k < nm; k++)
		draw_text(w, fy++, x, width, metrics[k], theme_attr(ROLE_METRIC));
	if (c->note[0])
		draw_text(w, fy++, x, width, c->note, theme_attr(ROLE_METRIC));
	answer_draw_state(c, w, fy, x, width, nstate, line, state_at);
}

static void draw_columns(struct compare_view *cv, WINDOW *w, int y, int height, int width)
{
	size_t vis = cv->zoom ? 1 : (size_t)(width + 1) / (MIN_COLUMN_WIDTH + 1);
	if (vis < 1)
		vis = 1;
	if (vis > cv->ncols)
		vis = cv->ncols;
	size_t first = cv->focus + 1 > vis ? cv->focus + 1 - vis : 0;
	int colw = (width - (int)(vis - 1)) / (int)vis;
	cv->lines_max = 0;
	for (size_t k = 0; k < vis; k++) {
		int x = (int)k * (colw + 1);
		if (k)
			mvwvline(w, y, x - 1, ACS_VLINE | theme_attr(ROLE_BORDER), height - y);
		draw_column(cv, first + k, w, y, x, height - y, k + 1 == vis ? width - x : colw);
	}
	if (vis < cv->ncols) {
		char more[64];
		snprintf(more, sizeof more, " %zu-%zu of %zu ", first + 1, first + vis, cv->ncols);
		draw_text(w, y, width - (int)strlen(more), (int)strlen(more), more, theme_attr(ROLE_DIM));
	}
}

static void diff_add(struct wrapped *w, const char *s, size_t n, const char *open, const char *close, attr_t at)
{
	char *safe = sanitize_str(s, n, 4);
	if (open)
		wrap_add_span(w, open, strlen(open), at);
	wrap_add_span(w, safe, strlen(safe), at);
	if (close)
		wrap_add_span(w, close, strlen(close), at);
	free(safe);
}

/* The latest answer of a column (not the conversation above it), cut to
 * what a column shows at most (MAX_SHOWN_BYTES), ending at a character. */
static const char *diff_text(const struct compare_column *c, size_t *len)
{
	if (!c->run) {
		*len = 0;
		return "";
	}
	const char *t = answer_latest(c, len);
	if (*len > MAX_SHOWN_BYTES) {
		*len = MAX_SHOWN_BYTES;
		while (*len && ((unsigned char)t[*len] & 0xc0) == 0x80)
			(*len)--;
	}
	return t;
}

/* The word diff of columns a and b, rebuilt when either text has changed;
 * while one of them streams, only once the texts have grown by an eighth
 * (so the diffs made along a stream cost a few times the last one, not
 * one per frame). */
static void diff_build(struct compare_view *cv, size_t a, size_t b)
{
	size_t alen, blen;
	const char *ta = diff_text(&cv->cols[a], &alen), *tb = diff_text(&cv->cols[b], &blen);
	if (cv->dw.text.len && a == cv->diff_a && b == cv->diff_b) {
		size_t was = cv->diff_alen + cv->diff_blen, now = alen + blen;
		if (now == was && alen == cv->diff_alen)
			return;
		if (now > was && now - was < 4096 + was / 8 &&
		    (compare_column_running(&cv->cols[a]) || compare_column_running(&cv->cols[b])))
			return;
	}
	cv->diff_a = a;
	cv->diff_b = b;
	cv->diff_alen = alen;
	cv->diff_blen = blen;
	struct wdiff_seg *segs = NULL;
	size_t n = 0;
	cv->diff_exact = wdiff(ta, alen, tb, blen, &segs, &n);
	wrap_reset(&cv->dw);
	for (size_t i = 0; i < n; i++) {
		const struct wdiff_seg *g = &segs[i];
		if (g->op == WDIFF_EQUAL)
			diff_add(&cv->dw, ta + g->a_off, g->len, NULL, NULL, theme_attr(ROLE_NORMAL));
		else if (g->op == WDIFF_DELETE)
			diff_add(&cv->dw, ta + g->a_off, g->len, "[-", "-]", theme_attr(ROLE_ERROR));
		else
			diff_add(&cv->dw, tb + g->b_off, g->len, "{+", "+}", theme_attr(ROLE_OK));
	}
	if (!n)
		wrap_add_span(&cv->dw, "(both answers are empty)", 24, theme_attr(ROLE_DIM));
	free(segs);
}

static void draw_diff(struct compare_view *cv, WINDOW *w, int y, int height, int width)
{
	size_t a = cv->focus, b = (cv->focus + 1) % cv->ncols;
	diff_build(cv, a, b);
	char line[700];
	snprintf(line, sizeof line, "Word diff: [-%s-] {+%s+}%s · %s closes, %s %s pick the pair", cv->cols[a].spec,
		 cv->cols[b].spec, cv->diff_exact ? "" : " (coarse: too far apart for every word)", KEY_HINT(PA_PROMPT_DIFF),
		 KEY_HINT(PA_PROMPT_LEFT), KEY_HINT(PA_PROMPT_RIGHT));
	draw_text(w, y++, 0, width, line, theme_attr(ROLE_NOTICE));
	int view_h = height - y;
	if (view_h <= 0)
		return;
	wrap_update(&cv->dw, width);
	long first = wrap_first(&cv->dw, cv->scroll, view_h);
	wrap_draw(w, &cv->dw, first, y, 0, width, view_h, theme_attr(ROLE_NORMAL));
	cv->lines_max = (int)wrap_lines(&cv->dw);
	scrollpos_draw(w, y - 1, width, width, first, view_h, cv->lines_max, theme_attr(ROLE_DIM));
	cv->view_h = view_h;
}

void compare_draw(struct compare_view *cv, WINDOW *w, int y, int height, int width)
{
	if (cv->diff && cv->ncols > 1)
		draw_diff(cv, w, y, height, width);
	else if (cv->ncols)
		draw_columns(cv, w, y, height, width);
}

/* ---------------------------------------------------------------- moving */

void compare_scroll_by(struct compare_view *cv, long delta)
{
	long max = cv->lines_max - cv->view_h;
	if (max < 0)
		max = 0;
	long cur = cv->scroll < 0 ? max : cv->scroll;
	cur += delta;
	if (cur < 0)
		cur = 0;
	cv->scroll = cur >= max ? -1 : cur;
}

void compare_scroll_page(struct compare_view *cv, int dir)
{
	long page = cv->view_h > 1 ? cv->view_h - 1 : 1;
	compare_scroll_by(cv, dir < 0 ? -page : page);
}

void compare_scroll_home(struct compare_view *cv)
{
	cv->scroll = 0;
}

void compare_scroll_end(struct compare_view *cv)
{
	cv->scroll = -1;
}

void compare_focus_move(struct compare_view *cv, int dir)
{
	if (dir < 0 && cv->focus)
		cv->focus--;
	else if (dir > 0 && cv->focus + 1 < cv->ncols)
		cv->focus++;
}

void compare_toggle_zoom(struct compare_view *cv)
{
	if (cv->ncols > 1)
		cv->zoom = !cv->zoom;
}

int compare_toggle_diff(struct compare_view *cv)
{
	if (cv->ncols < 2)
		return -1;
	cv->diff = !cv->diff;
	cv->scroll = cv->diff ? 0 : -1;
	return 0;
}

void compare_close_diff(struct compare_view *cv)
{
	if (cv->diff) {
		cv->diff = 0;
		cv->scroll = -1;
	}
}
