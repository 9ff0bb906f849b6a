/* list — the one scrolling list of the workbench: n rows, one selected, the
 * rows shown scrolled so the selection stays visible. The user keeps its
 * rows; the list keeps positions and draws each visible row through a
 * callback, so every pane draws its own columns. Keys are the generic moves
 * of the key table (MOVE_KEYS in ui/keys.h: j k, arrows, PgUp PgDn, g G,
 * Home End, C-n C-p by default); move.filter (`/`) filters the rows by a
 * case-insensitive substring of their text, or fuzzily with UI_LIST_FUZZY
 * (typing edits it, Enter keeps it, Esc clears it); with no rows, an
 * empty-state sentence is drawn instead.
 *
 * With UI_LIST_TYPING the printable keys belong to the user (a search line):
 * only moves bound to other keys (arrows, pages, C-n C-p) move, and there is
 * no filter.
 *
 * Positions and keys need no terminal (ui_list_key, ui_list_set_rows): a
 * list can be unit-tested without one. */
#ifndef AIWB_LIST_H
#define AIWB_LIST_H

#include <curses.h>
#include <stddef.h>

#define UI_LIST_NONE ((size_t)-1)
#define UI_LIST_FILTER_MAX 64

enum {
	UI_LIST_TYPING = 1 << 0, /* letters are not list keys: no j k g G, no `/` */
	UI_LIST_FUZZY = 1 << 1,  /* the filter's letters need only appear in order ("c35son" finds
				  * "claude-3-5-sonnet"), any case; spaces separate such words */
};

struct ui_list_ops {
	/* Draws row i (an index of the user's rows) in rows [y, y + row_height)
	 * of w, columns [x, x + width); selected: it is the selected row. */
	void (*draw_row)(void *ud, WINDOW *w, int y, int x, int width, size_t i, int selected);
	/* The text the filter searches in row i; NULL: there is no filter. */
	const char *(*row_text)(void *ud, size_t i);
};

struct ui_list {
	const struct ui_list_ops *ops;
	void *ud;
	unsigned flags;
	int row_height;          /* screen rows per row (1 when 0) */
	int page_step;           /* rows PgUp PgDn move; 0: the rows shown */
	size_t n;                /* the user's rows */
	size_t cursor, top;      /* positions among the rows shown (filtered) */
	size_t visible;          /* rows that fit, from the last draw or ui_list_set_rows */
	char filter[UI_LIST_FILTER_MAX];
	int editing;             /* the filter line has the keys */
	size_t *shown;           /* with a filter: the rows that match, in order */
	size_t nshown;
};

void ui_list_init(struct ui_list *l, const struct ui_list_ops *ops, void *ud, unsigned flags);
void ui_list_free(struct ui_list *l);
/* Whether every space-separated word of filter appears in text with its
 * letters in order (any case). */
int ui_list_fuzzy_match(const char *text, const char *filter);
/* The user now has n rows (call it whenever they change; the filter is
 * matched again and the selection kept in range). */
void ui_list_set_count(struct ui_list *l, size_t n);
/* The screen has room for rows rows: scrolls to keep the selection visible. */
void ui_list_set_rows(struct ui_list *l, size_t rows);
/* Rows shown (after the filter). */
size_t ui_list_count(const struct ui_list *l);
/* The selected row as an index of the user's rows, or UI_LIST_NONE. */
size_t ui_list_selected(const struct ui_list *l);
/* The user's row at a shown position, or UI_LIST_NONE. */
size_t ui_list_row(const struct ui_list *l, size_t pos);
/* Selects the user's row i when it is shown. */
void ui_list_select(struct ui_list *l, size_t i);
/* Moves the selection by delta rows, clamped to the rows shown. */
void ui_list_move(struct ui_list *l, long delta);
/* 1 when the key was the list's (the caller redraws), else 0. */
int ui_list_key(struct ui_list *l, int key);
/* Draws the visible rows (or empty, wrapped, when nothing is shown) in rows
 * [y, y + height) of w, columns [x, x + width). With a filter, its line takes
 * the last row. */
void ui_list_draw(struct ui_list *l, WINDOW *w, int y, int x, int height, int width, const char *empty);

#endif
