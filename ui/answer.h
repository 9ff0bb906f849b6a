/* answer — an answer in its compare column: Markdown rendered
 * (text/mdrender.h, drawn by mdview.h) or the raw text wrapped (wrap.h), the
 * scroll position ("12/140 ↓"), and the keys that act on the focused answer:
 * the raw toggle, copying (the code block in view, else the latest answer),
 * copying the whole latest answer or the whole conversation, and scrolling
 * code and tables sideways.
 *
 * The Markdown is rendered from its own sanitized copy of the run's text
 * (tabs kept, so a code block is copied as written), at most the bytes the
 * column shows, brought up to date at each draw: only the open segment is
 * rendered again (mdrender's streaming contract). */
#ifndef AIWB_ANSWER_H
#define AIWB_ANSWER_H

#include <curses.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/sanitize.h"
#include "keys.h"
#include "text/mdrender.h"

struct answer_md {
	struct sanitizer san;
	struct buf text;         /* the run's text, sanitized with tabs kept */
	size_t fed;
	struct md_doc doc;
	long first, total;       /* from the last draw */
	int rows, hscroll;
	int y, x, width;         /* where the last draw put it */
	unsigned long seq;       /* and when (the columns drawn last are the ones shown) */
	int64_t started_us;      /* when its run started (the live clock) */
	int announced;           /* the retry whose reason the status line gave */
};

void answer_md_reset(struct answer_md *a);
void answer_md_free(struct answer_md *a);

struct compare_view;
struct compare_column;
struct wb;

/* Draws column c's answer in rows [y, y + rows) at x, Markdown or raw as the
 * view says; returns its lines. */
long answer_draw(struct compare_view *cv, struct compare_column *c, WINDOW *w, int y, int x, int width, int rows);
/* The state line of a column with a run: while it streams what it waits
 * for and a live clock ("waiting for first token (attempt 2/3) · C-c
 * cancels · 4 s", "streaming… C-c cancels · 12 s", or the reason and the
 * wait before a retry), then
 * "done (end_turn)" or its error
 * sentence; the attribute to draw it with. Drawing it keeps a one-second
 * timer that redraws while anything streams (none when nothing does). */
attr_t answer_state(struct compare_view *cv, struct compare_column *c, char *line, size_t size);
/* Rows the state lines need at width: an error wraps (at most max rows);
 * the most any column needs, so the metrics blocks line up side by side. */
int answer_state_rows(struct compare_view *cv, int width, int max);
/* The metrics of column c packed into at most lines of width, the same way
 * in every column (each part as wide as its widest among the columns), so
 * the blocks line up side by side; returns the number of lines. */
int answer_metrics(const struct compare_view *cv, const struct compare_column *c, int width, char out[][160], int lines);
/* Draws the state line in rows [y, y + rows) with the scroll position at
 * the right of its first row when that leaves the state its rows. */
void answer_draw_state(struct compare_column *c, WINDOW *w, int y, int x, int width, int rows, const char *line,
		       attr_t at);
/* How many columns still stream. */
int answer_running(const struct compare_view *cv);
/* Cancels every running answer and says so in the status line. */
void answer_cancel(struct compare_view *cv, const struct wb *wb);
/* Stops the clock's timer (the view is freed). */
void answer_clock_stop(struct compare_view *cv);
/* The columns its scroll position took at the last draw (0: none shown). */
int answer_position_cols(const struct answer_md *a);
/* Draws its scroll position (ui/scrollpos.h) right-aligned in row y of
 * [x, x + width); the columns used. */
int answer_draw_position(const struct answer_md *a, WINDOW *w, int y, int x, int width);
/* What the take-away keys take from column c (it has a run): its latest
 * answer as it came, the conversation shown before it left out (len bytes). */
const char *answer_latest(const struct compare_column *c, size_t *len);
/* The focused column when its answer has begun; NULL, the status line saying
 * why (nothing sent, an error, nothing streamed yet), otherwise. */
struct compare_column *answer_focused(struct compare_view *cv, const struct wb *wb);
/* The Prompt pane's keys for answers (raw toggle, copy, copy all, copy the
 * conversation, sideways);
 * 1 when a was one of them (done, the status line says what happened). */
int answer_key(struct compare_view *cv, const struct wb *wb, enum pane_action a);
/* A click at (y, x) of the view's window: focuses the column shown there. */
void answer_click(struct compare_view *cv, int y, int x);

#endif
