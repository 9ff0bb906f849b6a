/* view_history — the run history over the whole workbench (above the status
 * line). A query line on top searches as you type: every key that changes it
 * asks history_find (store/history.h) again for as many runs as fit, so the
 * list is always the answer to what is typed. Each run shows its time, kind,
 * model, status, cost and prompt on one line and, when searching, the best
 * passage with the matched words in ROLE_MATCH. A conversation is one row
 * (its kind with ×TURNS; a search hit in one shows #TURN) and opens as every
 * turn's question, answer and metrics; re-opening it restores its latest
 * turn. Enter opens a run in full
 * (prompt, messages, params, answer, metrics), scrollable; r or Enter there
 * (C-r in the list) asks to re-open it in the workbench. A run's stored
 * texts are sanitized and wrapped (ui/wrap.h) only as far as the screen has
 * needed, so an answer of millions of lines opens at once and the view holds
 * little beside its text.
 *
 * Stored text is untrusted: all of it goes through base/sanitize.h (via
 * draw.h) before it is drawn. The database is read on a key or a layout
 * change, never while drawing. Keys return intent (HISTORY_VIEW_* flags); the
 * app closes the view or restores history_view_chosen(). */
#ifndef AIWB_VIEW_HISTORY_H
#define AIWB_VIEW_HISTORY_H

#include <stdint.h>

#include "keys.h"

struct db;
struct history_view;

enum {
	HISTORY_VIEW_CLOSE = 1 << 0,   /* the view is done */
	HISTORY_VIEW_RESTORE = 1 << 1, /* re-open history_view_chosen() in the workbench */
};

struct history_view *history_view_new(struct db *db);
void history_view_free(struct history_view *v);
/* Shows the list for query (NULL keeps the last one) sized for lines x cols. */
void history_view_open(struct history_view *v, const char *query, int lines, int cols);
/* The screen is now lines x cols: asks again for as many runs as fit. */
void history_view_layout(struct history_view *v, int lines, int cols);
/* Returns HISTORY_VIEW_* flags (0: the key changed at most the view itself). */
unsigned history_view_key(struct history_view *v, int key);
/* The key table in use: KEYMAP_HISTORY in the list, KEYMAP_RUN in a run. */
enum keymap history_view_keymap(const struct history_view *v);
/* The run to re-open after HISTORY_VIEW_RESTORE. */
int64_t history_view_chosen(const struct history_view *v);
/* Draws the view over rows 0..LINES-2. */
void history_view_draw(struct history_view *v);

#endif
