#include "draw.h"

#include <stdlib.h>
#include <string.h>

#include "base/sanitize.h"

int draw_text_mid(WINDOW *w, int y, int x, int maxw, const char *text, attr_t attr)
{
	if (maxw <= 0 || !text)
		return 0;
	char *safe = sanitize_str(text, strlen(text), 4);
	for (char *p = safe; *p; p++)
		if (*p == '\n')
			*p = ' ';
	char *shown = sanitize_ellipsize(safe, strlen(safe), maxw);
	int cols = draw_text(w, y, x, maxw, shown, attr);
	free(shown);
	free(safe);
	return cols;
}

int draw_text(WINDOW *w, int y, int x, int maxw, const char *text, attr_t attr)
{
	if (maxw <= 0 || !text)
		return 0;
	char *safe = sanitize_str(text, strlen(text), 4);
	for (char *p = safe; *p; p++)
		if (*p == '\n')
			*p = ' ';
	int cols;
	size_t n = sanitize_fit(safe, strlen(safe), maxw, &cols);
	wattrset(w, attr);
	mvwaddnstr(w, y, x, safe, (int)n);
	wattrset(w, A_NORMAL);
	free(safe);
	return cols;
}

int draw_wrapped(WINDOW *w, int y, int x, int maxw, int max_rows, const char *text, attr_t attr)
{
	if (maxw <= 0 || max_rows <= 0 || !text)
		return 0;
	char *safe = sanitize_str(text, strlen(text), 4);
	const char *p = safe;
	int rows = 0;
	while (*p && rows < max_rows) {
		size_t line = strcspn(p, "\n");
		int cols;
		size_t fit = sanitize_fit(p, line, maxw, &cols);
		if (fit < line) {
			size_t cut = fit;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (cut > 0)
				fit = cut;
		}
		if (w) {
			wattrset(w, attr);
			mvwaddnstr(w, y + rows, x, p, (int)fit);
		}
		rows++;
		p += fit;
		while (*p == ' ')
			p++;
		if (*p == '\n' && fit >= line)
			p++;
	}
	if (w)
		wattrset(w, A_NORMAL);
	free(safe);
	return rows;
}

void draw_frame(WINDOW *w, const char *title, int focused)
{
	int h, wd;
	getmaxyx(w, h, wd);
	(void)h;
	wattrset(w, theme_attr(focused ? ROLE_BORDER_FOCUSED : ROLE_BORDER));
	box(w, 0, 0);
	wattrset(w, A_NORMAL);
	if (wd > 4) {
		mvwaddch(w, 0, 1, ' ');
		int used = draw_text(w, 0, 2, wd - 4, title, theme_attr(focused ? ROLE_TITLE_FOCUSED : ROLE_TITLE));
		mvwaddch(w, 0, 2 + used, ' ');
	}
}

void draw_title_line(WINDOW *w, const char *title, int focused)
{
	int wd = getmaxx(w);
	wattrset(w, theme_attr(focused ? ROLE_BORDER_FOCUSED : ROLE_BORDER));
	mvwhline(w, 0, 0, ACS_HLINE, wd);
	wattrset(w, A_NORMAL);
	if (wd > 4) {
		mvwaddch(w, 0, 1, ' ');
		int used = draw_text(w, 0, 2, wd - 4, title, theme_attr(focused ? ROLE_TITLE_FOCUSED : ROLE_TITLE));
		mvwaddch(w, 0, 2 + used, ' ');
	}
}

void draw_fill(WINDOW *w, int y, int x, attr_t attr)
{
	int h, wd;
	getmaxyx(w, h, wd);
	(void)h;
	wattrset(w, attr);
	for (int i = x; i < wd; i++)
		mvwaddch(w, y, i, ' ');
	wattrset(w, A_NORMAL);
}
