#include "answer.h"

#include <stdio.h>
#include <string.h>

#include "mdview.h"
#include "pane.h"
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

int answer_position(const struct answer_md *a, char *out, size_t size)
{
	out[0] = 0;
	if (a->total <= a->rows || a->rows <= 0)
		return 0;
	long last = a->first + a->rows;
	if (last > a->total)
		last = a->total;
	snprintf(out, size, "%ld/%ld%s", last, a->total, last < a->total ? " ↓" : "");
	return sanitize_width(out, strlen(out));
}

int answer_draw_position(const struct answer_md *a, WINDOW *w, int y, int x, int width)
{
	char pos[64];
	int cols = answer_position(a, pos, sizeof pos);
	if (!cols || cols + 1 > width)
		return 0;
	wattrset(w, theme_attr(ROLE_DIM));
	mvwaddch(w, y, x + width - cols - 1, ' ');
	mvwaddstr(w, y, x + width - cols, pos);
	wattrset(w, A_NORMAL);
	return cols + 1;
}

/* ---------------------------------------------------------------- keys */

static struct compare_column *focused(struct compare_view *cv, const struct wb *wb)
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
	if (!lab_run_text(c->run)->len) {
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

static void copy_all(struct compare_column *c, const struct wb *wb)
{
	const struct buf *t = lab_run_text(c->run);
	size_t copied = 0;
	struct err e = ERR_INIT;
	if (takeaway_copy(t->data, t->len, &copied, &e) != 0) {
		wb_status(wb, 1, "%s", e.msg);
		return;
	}
	char n[32], all[32];
	takeaway_count(copied, n, sizeof n);
	takeaway_count(t->len, all, sizeof all);
	if (copied < t->len)
		wb_status(wb, 1, "copied the first %s of %s bytes of %s's answer (terminals refuse more); %s saves it all", n,
			  all, c->spec, KEY_HINT(PA_PROMPT_SAVE_ANSWER));
	else
		wb_status(wb, 0, "copied %s bytes of %s's answer%s", n, c->spec,
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
		if (!(c = focused(cv, wb)))
			return 1;
		if (!cv->raw && !cv->diff) {
			int k = block_in_view(&c->md);
			if (k >= 0) {
				copy_block(c, wb, k);
				return 1;
			}
		}
		copy_all(c, wb);
		return 1;
	case PA_PROMPT_COPY_ALL:
		if ((c = focused(cv, wb)))
			copy_all(c, wb);
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
