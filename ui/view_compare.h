/* view_compare — the answers of the Prompt pane: one column per model, each
 * streaming its run (src/prompt/lab.h) with its own lines of metrics. The
 * columns scroll together, one can be focused and zoomed or re-run, and the
 * focused one can be diffed word by word with the next (base/wdiff.h).
 * Streamed text is untrusted: it is sanitized before it is wrapped and drawn,
 * and only the first MAX_SHOWN_BYTES of an answer are shown. Async chunks ask
 * for a draw through wb_redraw. The view never sends by itself: the Prompt
 * pane checks the form and calls compare_start. */
#ifndef AIWB_VIEW_COMPARE_H
#define AIWB_VIEW_COMPARE_H

#include <curses.h>
#include <stddef.h>

#include "base/sanitize.h"
#include "answer.h"
#include "pane.h"
#include "prompt/lab.h"
#include "wrap.h"

#define COMPARE_MAX_COLUMNS 16

struct compare_column {
	char *spec;
	struct lab_run *run;     /* NULL when it could not start */
	char error[1024];
	struct sanitizer san;
	size_t fed;              /* bytes of the run's text already read */
	size_t hidden;           /* of those, bytes past MAX_SHOWN_BYTES, not shown */
	struct wrapped w;
	int counted;             /* its saved rows were added to the history count */
	char note[200];          /* a line under the metrics (a conversation's totals); "" for none */
	struct answer_md md;     /* its Markdown rendering (ui/answer.h) */
};

struct compare_view {
	struct wb *wb;
	struct compare_column cols[COMPARE_MAX_COLUMNS];
	size_t ncols, focus;
	int zoom;
	int raw;                 /* answers as raw text instead of Markdown */
	int64_t clock_timer;     /* redraws the live clocks each second while streaming (ui/answer.c) */
	long scroll;             /* first line shown in every column; -1 follows each column's end */
	int diff;                /* showing the word diff of the focused column and the next */
	struct wrapped dw;       /* that diff, with its deletions and insertions as spans */
	size_t diff_a, diff_b, diff_alen, diff_blen;
	int diff_exact;
	int lines_max, view_h;   /* from the last draw */
	struct lab_guard *guard; /* the guard around the prompt and answers (ui/guardview.h) */
};

void compare_init(struct compare_view *cv, struct wb *wb);
void compare_free(struct compare_view *cv);
/* Drops the columns shown and sends form to specs[0..n) (n is capped at
 * COMPARE_MAX_COLUMNS), one column each; n > 1 saves them as one compare
 * group. Each column shows shown (NULL: nothing) above its answer (the
 * question, chat/thread.h). Failures to start are shown in their column. */
void compare_start(struct compare_view *cv, const struct lab_form *form, char *const *specs, size_t n,
		   const char *shown);
/* Sends rq[i] (a conversation's next turn) in column i, for every column;
 * more than one column saves them as one compare group. */
void compare_send_turns(struct compare_view *cv, const struct lab_request *rq);
/* Drops the columns shown and shows runs[0..n) (taken), one column per spec. */
void compare_show(struct compare_view *cv, char *const *specs, struct lab_run **runs, size_t n);
/* Runs form again on the focused column's model only, shown above its answer. */
void compare_rerun_focused(struct compare_view *cv, const struct lab_form *form, const char *shown);
/* The focused column, or NULL when nothing was sent. */
const struct compare_column *compare_focused(const struct compare_view *cv);
int compare_column_running(const struct compare_column *c);
int compare_running(const struct compare_view *cv);
void compare_cancel(struct compare_view *cv);

/* Scrolling every column (or the diff) together; the end follows the stream. */
void compare_scroll_by(struct compare_view *cv, long delta);
void compare_scroll_page(struct compare_view *cv, int dir);
void compare_scroll_home(struct compare_view *cv);
void compare_scroll_end(struct compare_view *cv);
void compare_focus_move(struct compare_view *cv, int dir);
void compare_toggle_zoom(struct compare_view *cv);
/* Shows or hides the word diff; -1 (nothing changes) with fewer than two columns. */
int compare_toggle_diff(struct compare_view *cv);
/* Leaves the diff, if shown. */
void compare_close_diff(struct compare_view *cv);

/* Draws the columns, or the diff, in rows [y, height) of w. */
void compare_draw(struct compare_view *cv, WINDOW *w, int y, int height, int width);

#endif
