#include "answer.h"

#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "draw.h"
#include "mdview.h"
#include "pane.h"
#include "scrollpos.h"
#include "takeaway.h"
#include "theme.h"
#include "view_compare.h"

#define SIDEWAYS_STEP 8

void answer_md_reset(struct answer_md *a)
{
	sanitize_init(&a->san, 0);
	buf_truncate(&a->text, 0);
	a->fed = 0;
	md_reset(&a->doc);
	a->started_us = clock_us();
	a->announced = 0;
	a->first = a->total = 0;
	a->rows = a->hscroll = 0;
}

void answer_md_free(struct answer_md *a)
{
	buf_free(&a->text);
	md_free(&a->doc);
	memset(a, 0, sizeof *a);
}

/* The first shown bytes of the run's text (as view_compare shows them),
 * sanitized into a->text. */
static void feed(struct answer_md *a, const struct compare_column *c)
{
	const struct buf *t = lab_run_text(c->run);
	if (t->len < a->fed)
		answer_md_reset(a);
	size_t shown = c->fed - c->hidden; /* what the column shows of what it read */
	if (shown > t->len)
		shown = t->len;
	if (shown > a->fed) {
		sanitize_feed(&a->san, t->data + a->fed, shown - a->fed, &a->text);
		a->fed = shown;
	}
	if (!compare_column_running(c) && !c->hidden && a->fed == t->len)
		sanitize_finish(&a->san, &a->text);
}

long answer_draw(struct compare_view *cv, struct compare_column *c, WINDOW *w, int y, int x, int width, int rows)
{
	static unsigned long seq;
	struct answer_md *a = &c->md;
	a->rows = rows;
	a->y = y;
	a->x = x;
	a->width = width;
	a->seq = ++seq;
	if (cv->raw || !c->run) {
		wrap_update(&c->w, width);
		a->total = (long)wrap_lines(&c->w);
		a->first = wrap_first(&c->w, cv->scroll, rows);
		wrap_draw(w, &c->w, a->first, y, x, width, rows, theme_attr(ROLE_NORMAL));
		return a->total;
	}
	feed(a, c);
	md_update(&a->doc, a->text.data ? a->text.data : "", a->text.len, width, compare_column_running(c));
	a->total = (long)a->doc.nlines;
	a->first = md_first(&a->doc, cv->scroll, rows);
	mdview_draw(w, &a->doc, a->first, y, x, width, rows, a->hscroll);
	return a->total;
}

int answer_position_cols(const struct answer_md *a)
{
	char pos[64];
	int cols = scrollpos_format(a->first, a->rows, a->total, pos, sizeof pos);
	return cols ? cols + 1 : 0;
}

int answer_draw_position(const struct answer_md *a, WINDOW *w, int y, int x, int width)
{
	return scrollpos_draw(w, y, x + width, width, a->first, a->rows, a->total, theme_attr(ROLE_DIM));
}

/* ---------------------------------------------------------------- keys */

const char *answer_latest(const struct compare_column *c, size_t *len)
{
	const struct buf *t = lab_run_text(c->run);
	size_t at = lab_run_answer_at(c->run);
	if (at > t->len)
		at = t->len;
	*len = t->len - at;
	return t->len ? t->data + at : "";
}

/* The answer has its first bytes (the question shown above it does not count). */
static int answer_started(const struct compare_column *c)
{
	size_t len;
	answer_latest(c, &len);
	return len > 0;
}

struct compare_column *answer_focused(struct compare_view *cv, const struct wb *wb)
{
	if (!cv->ncols) {
		wb_status(wb, 1, "no answer yet: %s sends the prompt", KEY_HINT(PA_PROMPT_SEND));
		return NULL;
	}
	struct compare_column *c = &cv->cols[cv->focus];
	if (!c->run) {
		wb_status(wb, 1, "%s has no answer: %s", c->spec, c->error);
		return NULL;
	}
	if (!answer_started(c)) {
		wb_status(wb, 1, "%s's answer is empty so far; nothing to take", c->spec);
		return NULL;
	}
	return c;
}

/* The code block under the cursor: the one the top line shown is in, else
 * the first that starts among the lines shown; -1 when none is in view. */
static int block_in_view(const struct answer_md *a)
{
	const struct md_doc *d = &a->doc;
	if (a->first < 0 || a->rows <= 0)
		return -1;
	for (long k = a->first; k < a->first + a->rows && (size_t)k < d->nlines; k++)
		if (d->lines[k].block >= 0)
			return d->lines[k].block;
	return -1;
}

/* Copies the latest answer, or with whole the column's whole conversation. */
static void copy_all(struct compare_column *c, const struct wb *wb, int whole)
{
	const struct buf *shown = lab_run_text(c->run);
	size_t len = shown->len;
	const char *text = whole ? shown->data : answer_latest(c, &len);
	const char *what = whole ? "conversation" : "answer";
	size_t copied = 0;
	struct err e = ERR_INIT;
	if (takeaway_copy(text, len, &copied, &e) != 0) {
		wb_status(wb, 1, "%s", e.msg);
		return;
	}
	char n[32], all[32];
	takeaway_count(copied, n, sizeof n);
	takeaway_count(len, all, sizeof all);
	if (copied < len)
		wb_status(wb, 1, "copied the first %s of %s bytes of %s's %s (terminals refuse more); %s saves %s", n, all,
			  c->spec, what, KEY_HINT(PA_PROMPT_SAVE_ANSWER), whole ? "the latest answer" : "it all");
	else
		wb_status(wb, 0, "copied %s bytes of %s's %s%s", n, c->spec, what,
			  compare_column_running(c) ? " (still streaming: so far)" : "");
}

static void copy_block(struct compare_column *c, const struct wb *wb, int k)
{
	const struct md_doc *d = &c->md.doc;
	const struct md_block *b = &d->blocks[k];
	size_t copied = 0;
	struct err e = ERR_INIT;
	if (takeaway_copy(d->code.data + b->off, b->len, &copied, &e) != 0) {
		wb_status(wb, 1, "%s", e.msg);
		return;
	}
	char n[32];
	takeaway_count(copied, n, sizeof n);
	wb_status(wb, 0, "copied code block %d of %zu%s%s (%zu line%s, %s bytes) from %s's answer; %s copies all of it", k + 1,
		  d->nblocks, b->lang[0] ? ", " : "", b->lang, b->nlines, b->nlines == 1 ? "" : "s", n, c->spec,
		  KEY_HINT(PA_PROMPT_COPY_ALL));
}

int answer_key(struct compare_view *cv, const struct wb *wb, enum pane_action a)
{
	struct compare_column *c;
	switch (a) {
	case PA_PROMPT_RAW:
		cv->raw = !cv->raw;
		wb_status(wb, 0, cv->raw ? "raw text; %s renders Markdown" : "Markdown; %s shows the raw text", KEY_HINT(PA_PROMPT_RAW));
		return 1;
	case PA_PROMPT_COPY:
		if (!(c = answer_focused(cv, wb)))
			return 1;
		if (!cv->raw && !cv->diff) {
			int k = block_in_view(&c->md);
			if (k >= 0) {
				copy_block(c, wb, k);
				return 1;
			}
		}
		copy_all(c, wb, 0);
		return 1;
	case PA_PROMPT_COPY_ALL:
		if ((c = answer_focused(cv, wb)))
			copy_all(c, wb, 0);
		return 1;
	case PA_PROMPT_COPY_CONVERSATION:
		if ((c = answer_focused(cv, wb)))
			copy_all(c, wb, 1);
		return 1;
	case PA_PROMPT_SCROLL_LEFT:
	case PA_PROMPT_SCROLL_RIGHT: {
		if (!cv->ncols)
			return 1;
		struct answer_md *m = &cv->cols[cv->focus].md;
		if (cv->raw) {
			wb_status(wb, 1, "raw text wraps; sideways scrolling is for code and tables (%s renders them)",
				  KEY_HINT(PA_PROMPT_RAW));
			return 1;
		}
		int most = mdview_wide_cols(&m->doc, m->first, m->rows), width = m->doc.width;
		int max = most > width ? most - width + 1 : 0;
		m->hscroll += a == PA_PROMPT_SCROLL_RIGHT ? SIDEWAYS_STEP : -SIDEWAYS_STEP;
		if (m->hscroll > max)
			m->hscroll = max;
		if (m->hscroll < 0)
			m->hscroll = 0;
		if (!max)
			wb_status(wb, 0, "nothing in view is wider than the column");
		return 1;
	}
	default: return 0;
	}
}

void answer_click(struct compare_view *cv, int y, int x)
{
	size_t best = cv->ncols;
	(void)y;
	if (cv->diff)
		return;
	for (size_t i = 0; i < cv->ncols; i++) {
		const struct answer_md *a = &cv->cols[i].md;
		if (a->seq && x >= a->x && x < a->x + a->width && (best == cv->ncols || a->seq > cv->cols[best].md.seq))
			best = i;
	}
	if (best < cv->ncols)
		cv->focus = best;
}

/* ---------------------------------------------------------------- state */

static int64_t clock_tick(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct compare_view *cv = ud;
	if (!compare_running(cv)) {
		cv->clock_timer = 0;
		return LOOP_TIMER_DONE;
	}
	wb_redraw(cv->wb);
	/* four times a second while a column waits for its first token (a retry's
	 * wait shows and ends on time), else once */
	for (size_t i = 0; i < cv->ncols; i++)
		if (compare_column_running(&cv->cols[i]) && !answer_started(&cv->cols[i]))
			return 250;
	return 1000;
}

void answer_clock_stop(struct compare_view *cv)
{
	if (cv->clock_timer && cv->wb && cv->wb->loop)
		loop_del_timer(cv->wb->loop, cv->clock_timer);
	cv->clock_timer = 0;
}

attr_t answer_state(struct compare_view *cv, struct compare_column *c, char *line, size_t size)
{
	if (!lab_run_finished(c->run)) {
		if (!cv->clock_timer && cv->wb && cv->wb->loop)
			cv->clock_timer = loop_add_timer(cv->wb->loop, 250, clock_tick, cv);
		long secs = (long)((clock_us() - c->md.started_us) / 1000000);
		struct lab_attempt at;
		lab_run_attempt(c->run, &at);
		char attempt[48] = "";
		if (at.attempt > 1)
			snprintf(attempt, sizeof attempt, " (attempt %d/%d)", at.attempt, at.max > 0 ? at.max : at.attempt);
		if (at.retry_in_us > 0 && c->md.announced != at.attempt) {
			c->md.announced = at.attempt;
			wb_status(cv->wb, 1, "%s: %s", c->spec, at.reason);
		}
		if (at.retry_in_us > 0)
			snprintf(line, size, "%s; trying again in %ld s · %s cancels · %ld s", at.reason,
				 (long)((at.retry_in_us + 999999) / 1000000), KEY_HINT(PA_PROMPT_CANCEL), secs);
		else if (!answer_started(c))
			snprintf(line, size, "waiting for first token%s · %s cancels · %ld s", attempt,
				 KEY_HINT(PA_PROMPT_CANCEL), secs);
		else
			snprintf(line, size, "streaming… %s cancels · %ld s%s", KEY_HINT(PA_PROMPT_CANCEL), secs, attempt);
		return theme_attr(at.retry_in_us > 0 ? ROLE_WARN : ROLE_DIM);
	}
	enum llm_status st = lab_run_status(c->run);
	const char *msg = lab_run_message(c->run);
	if (st == LLM_OK)
		snprintf(line, size, "done (%s)", msg[0] ? msg : "end");
	else
		snprintf(line, size, "%s", msg);
	if (c->hidden) {
		size_t len = strlen(line);
		snprintf(line + len, size - len, " · the first %.1f of %.1f MiB shown; %s has it all",
			 (double)(c->fed - c->hidden) / (1 << 20), (double)c->fed / (1 << 20), GLOBAL_KEY_HINT(ACTION_HISTORY));
	}
	return theme_attr(st != LLM_OK ? ROLE_ERROR : ROLE_DIM);
}

int answer_state_rows(struct compare_view *cv, int width, int max)
{
	int most = 1;
	char line[1100];
	for (size_t i = 0; i < cv->ncols; i++) {
		if (!cv->cols[i].run)
			continue;
		answer_state(cv, &cv->cols[i], line, sizeof line);
		int rows = draw_wrapped(NULL, 0, 0, width, max, line, 0);
		if (rows > most)
			most = rows;
	}
	return most;
}

int answer_running(const struct compare_view *cv)
{
	int n = 0;
	for (size_t i = 0; i < cv->ncols; i++)
		n += compare_column_running(&cv->cols[i]);
	return n;
}

void answer_cancel(struct compare_view *cv, const struct wb *wb)
{
	int n = answer_running(cv);
	compare_cancel(cv);
	wb_status(wb, 0, "cancelled %d running answer%s; what arrived is kept and saved", n, n == 1 ? "" : "s");
}

int answer_metrics(const struct compare_view *cv, const struct compare_column *c, int width, char out[][160], int lines)
{
	int widest[METRICS_PANEL_PARTS] = { 0 };
	char part[METRICS_PANEL_PARTS][METRICS_PART_MAX];
	struct run_metrics m;
	for (size_t k = 0; k < cv->ncols; k++) {
		if (!cv->cols[k].run)
			continue;
		lab_run_metrics(cv->cols[k].run, &m);
		metrics_panel(&m, part);
		for (int i = 0; i < METRICS_PANEL_PARTS; i++) {
			int w = sanitize_width(part[i], strlen(part[i]));
			if (w > widest[i])
				widest[i] = w;
		}
	}
	/* which line each part goes on, from the widest parts and the narrowest
	 * column drawn (the last column may be a little wider than the others) */
	for (size_t k = 0; k < cv->ncols; k++)
		if (cv->cols[k].run && cv->cols[k].md.width > 0 && cv->cols[k].md.width < width)
			width = cv->cols[k].md.width;
	int line_of[METRICS_PANEL_PARTS], n = 0, used = 0;
	for (int i = 0; i < METRICS_PANEL_PARTS; i++) {
		int add = widest[i] + (used ? 3 : 0);
		if (used && used + add > width && n + 1 < lines) {
			n++;
			used = 0;
			add = widest[i];
		}
		used += add;
		line_of[i] = n;
	}
	lab_run_metrics(c->run, &m);
	metrics_panel(&m, part);
	for (int k = 0; k <= n; k++)
		out[k][0] = 0;
	for (int i = 0; i < METRICS_PANEL_PARTS; i++) {
		char *o = out[line_of[i]];
		size_t len = strlen(o);
		int last = i + 1 == METRICS_PANEL_PARTS || line_of[i + 1] != line_of[i];
		int pad = last ? 0 : widest[i] - sanitize_width(part[i], strlen(part[i]));
		snprintf(o + len, 160 - len, "%s%s%*s", len ? " · " : "", part[i], pad > 0 ? pad : 0, "");
	}
	return n + 1;
}

void answer_draw_state(struct compare_column *c, WINDOW *w, int y, int x, int width, int rows, const char *line,
		       attr_t at)
{
	int pos = answer_position_cols(&c->md);
	if (pos && draw_wrapped(NULL, 0, 0, width - pos, rows + 1, line, 0) > rows)
		pos = 0; /* the state first: no position where it would push a word to a row more */
	if (pos)
		answer_draw_position(&c->md, w, y, x, width);
	draw_wrapped(w, y, x, width - pos, rows, line, at);
}
