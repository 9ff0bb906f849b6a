#include "list.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "draw.h"
#include "keys.h"

#define KEY_CTRL(c) ((c) & 0x1f)

void ui_list_init(struct ui_list *l, const struct ui_list_ops *ops, void *ud, unsigned flags)
{
	memset(l, 0, sizeof *l);
	l->ops = ops;
	l->ud = ud;
	l->flags = flags;
	l->row_height = 1;
}

void ui_list_free(struct ui_list *l)
{
	free(l->shown);
	l->shown = NULL;
	l->nshown = 0;
}

static int filtering(const struct ui_list *l)
{
	return l->filter[0] && l->ops && l->ops->row_text;
}

size_t ui_list_count(const struct ui_list *l)
{
	return filtering(l) ? l->nshown : l->n;
}

size_t ui_list_row(const struct ui_list *l, size_t pos)
{
	if (pos >= ui_list_count(l))
		return UI_LIST_NONE;
	return filtering(l) ? l->shown[pos] : pos;
}

size_t ui_list_selected(const struct ui_list *l)
{
	return ui_list_row(l, l->cursor);
}

/* The shown position of the user's row i, or UI_LIST_NONE. */
static size_t position_of(const struct ui_list *l, size_t i)
{
	if (!filtering(l))
		return i < l->n ? i : UI_LIST_NONE;
	for (size_t k = 0; k < l->nshown; k++)
		if (l->shown[k] == i)
			return k;
	return UI_LIST_NONE;
}

static void clamp(struct ui_list *l)
{
	size_t count = ui_list_count(l);
	if (l->cursor >= count)
		l->cursor = count ? count - 1 : 0;
	if (l->top > l->cursor)
		l->top = l->cursor;
}

int ui_list_fuzzy_match(const char *text, const char *filter)
{
	const char *t = text;
	for (const char *f = filter; *f; f++) {
		if (*f == ' ') {
			t = text; /* each word on its own */
			continue;
		}
		while (*t && tolower((unsigned char)*t) != tolower((unsigned char)*f))
			t++;
		if (!*t)
			return 0;
		t++;
	}
	return 1;
}

static int row_matches(const struct ui_list *l, const char *text)
{
	if (!text)
		return 0;
	return l->flags & UI_LIST_FUZZY ? ui_list_fuzzy_match(text, l->filter) : strcasestr(text, l->filter) != NULL;
}

/* Matches the filter again; the selected row stays selected when it still
 * matches, else the first match is. */
static void refilter(struct ui_list *l, size_t keep)
{
	l->nshown = 0;
	if (filtering(l)) {
		l->shown = xreallocarray(l->shown, l->n ? l->n : 1, sizeof *l->shown);
		for (size_t i = 0; i < l->n; i++) {
			const char *text = l->ops->row_text(l->ud, i);
			if (row_matches(l, text))
				l->shown[l->nshown++] = i;
		}
	}
	size_t pos = keep == UI_LIST_NONE ? UI_LIST_NONE : position_of(l, keep);
	if (pos != UI_LIST_NONE) {
		l->cursor = pos;
	} else {
		l->cursor = 0;
		l->top = 0;
	}
	clamp(l);
}

void ui_list_set_count(struct ui_list *l, size_t n)
{
	if (!filtering(l)) {
		l->n = n;
		clamp(l);
		return;
	}
	size_t keep = ui_list_selected(l);
	l->n = n;
	refilter(l, keep < n ? keep : UI_LIST_NONE);
}

void ui_list_set_rows(struct ui_list *l, size_t rows)
{
	l->visible = rows ? rows : 1;
	clamp(l);
	if (l->cursor < l->top)
		l->top = l->cursor;
	if (l->cursor >= l->top + l->visible)
		l->top = l->cursor - l->visible + 1;
}

void ui_list_select(struct ui_list *l, size_t i)
{
	size_t pos = position_of(l, i);
	if (pos != UI_LIST_NONE) {
		l->cursor = pos;
		ui_list_set_rows(l, l->visible);
	}
}

void ui_list_move(struct ui_list *l, long delta)
{
	size_t count = ui_list_count(l);
	long c = (long)l->cursor + delta;
	if (c < 0 || !count)
		c = 0;
	else if ((size_t)c >= count)
		c = (long)count - 1;
	l->cursor = (size_t)c;
	ui_list_set_rows(l, l->visible);
}

static void filter_changed(struct ui_list *l)
{
	refilter(l, UI_LIST_NONE);
}

static int filter_key(struct ui_list *l, int key)
{
	size_t len = strlen(l->filter);
	switch (key) {
	case 27: {
		size_t keep = ui_list_selected(l);
		l->editing = 0;
		l->filter[0] = '\0';
		refilter(l, keep);
		return 1;
	}
	case '\r': case '\n': case KEY_ENTER:
		l->editing = 0;
		return 1;
	case KEY_BACKSPACE: case 127: case KEY_CTRL('h'):
		if (!len) {
			l->editing = 0;
			return 1;
		}
		while (len > 1 && ((unsigned char)l->filter[len - 1] & 0xc0) == 0x80)
			len--;
		l->filter[len - 1] = '\0';
		filter_changed(l);
		return 1;
	case KEY_CTRL('u'):
		l->filter[0] = '\0';
		filter_changed(l);
		return 1;
	default:
		if (!((key >= 32 && key < 127) || (key >= 128 && key < 256)))
			return 0;
		if (len + 1 < sizeof l->filter) {
			l->filter[len] = (char)key;
			l->filter[len + 1] = '\0';
			filter_changed(l);
		}
		return 1;
	}
}

int ui_list_key(struct ui_list *l, int key)
{
	int can_filter = !(l->flags & UI_LIST_TYPING) && l->ops && l->ops->row_text;
	int printable = key >= 32 && key < 256 && key != 127;
	int typing = (l->flags & UI_LIST_TYPING) || (can_filter && l->editing);
	enum pane_action a = typing && printable ? PA_NONE : keys_map_action(KEYMAP_MOVE, key);
	size_t page = l->page_step > 0 ? (size_t)l->page_step : l->visible ? l->visible : 1;
	switch (a) {
	case PA_MOVE_DOWN: ui_list_move(l, 1); return 1;
	case PA_MOVE_UP: ui_list_move(l, -1); return 1;
	case PA_MOVE_PAGE_DOWN: ui_list_move(l, (long)page); return 1;
	case PA_MOVE_PAGE_UP: ui_list_move(l, -(long)page); return 1;
	case PA_MOVE_FIRST: ui_list_move(l, -(long)ui_list_count(l)); return 1;
	case PA_MOVE_LAST: ui_list_move(l, (long)ui_list_count(l)); return 1;
	case PA_MOVE_FILTER:
		if (!can_filter)
			return 0;
		l->editing = 1;
		return 1;
	default: break;
	}
	if (can_filter && (l->editing || (key == 27 && l->filter[0])))
		return filter_key(l, key);
	return 0;
}

static void draw_filter(struct ui_list *l, WINDOW *w, int y, int x, int width)
{
	char line[UI_LIST_FILTER_MAX + 80];
	snprintf(line, sizeof line, "/%s", l->filter);
	int used = draw_text(w, y, x, width, line, theme_attr(ROLE_NORMAL));
	if (l->editing && used < width)
		mvwaddch(w, y, x + used++, ' ' | A_REVERSE);
	snprintf(line, sizeof line, "  %zu of %zu · %s", l->nshown, l->n, l->editing ? "Enter keeps, Esc clears" : "Esc clears");
	if (used < width)
		draw_text(w, y, x + used, width - used, line, theme_attr(ROLE_DIM));
}

void ui_list_draw(struct ui_list *l, WINDOW *w, int y, int x, int height, int width, const char *empty)
{
	int rh = l->row_height > 0 ? l->row_height : 1;
	int filter_row = (l->editing || l->filter[0]) && height > 1;
	int rows_h = height - filter_row;
	if (filter_row)
		draw_filter(l, w, y + rows_h, x, width);
	ui_list_set_rows(l, (size_t)(rows_h / rh > 0 ? rows_h / rh : 1));
	size_t count = ui_list_count(l);
	if (!count) {
		char msg[UI_LIST_FILTER_MAX + 80];
		if (filtering(l) && l->n) {
			snprintf(msg, sizeof msg, "Nothing matches \"%s\"; Esc clears the filter.", l->filter);
			empty = msg;
		}
		if (empty)
			draw_wrapped(w, y, x, width, rows_h, empty, theme_attr(ROLE_NOTICE));
		return;
	}
	for (size_t k = 0; k < l->visible && l->top + k < count && (int)(k + 1) * rh <= rows_h; k++) {
		size_t pos = l->top + k;
		l->ops->draw_row(l->ud, w, y + (int)k * rh, x, width, ui_list_row(l, pos), pos == l->cursor);
	}
}
