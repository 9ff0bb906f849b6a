#include "view_messages.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "draw.h"
#include "scrollpos.h"
#include "theme.h"

void messages_add(struct messages *m, int error, const char *text)
{
	struct message *slot;
	if (m->count == MESSAGES_MAX) {
		slot = &m->ring[m->first];
		free(slot->text);
		m->first = (m->first + 1) % MESSAGES_MAX;
	} else {
		slot = &m->ring[(m->first + m->count++) % MESSAGES_MAX];
	}
	slot->text = xstrdup(text);
	slot->error = error;
	slot->at = time(NULL);
}

const struct message *messages_get(const struct messages *m, size_t i)
{
	return &m->ring[(m->first + i) % MESSAGES_MAX];
}

void messages_free(struct messages *m)
{
	for (size_t i = 0; i < m->count; i++)
		free(m->ring[(m->first + i) % MESSAGES_MAX].text);
	m->first = m->count = 0;
}

struct row {
	size_t msg;         /* which message */
	size_t start, len;  /* bytes of its safe text */
	int first;          /* the row that carries the time */
};

/* Every message cut into rows of at most width columns (after its time);
 * safe[i] is message i's sanitized text. */
static struct row *wrap_all(const struct messages *m, char **safe, int width, size_t *nrows)
{
	struct row *rows = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < m->count; i++) {
		safe[i] = sanitize_str(messages_get(m, i)->text, strlen(messages_get(m, i)->text), 4);
		for (char *p = safe[i]; *p; p++)
			if (*p == '\n')
				*p = ' ';
		size_t at = 0, len = strlen(safe[i]);
		do {
			size_t fit = sanitize_fit(safe[i] + at, len - at, width, NULL);
			if (fit == 0 && at < len)
				fit = len - at; /* a character wider than the box: draw_text clips it */
			XGROW(rows, cap, n + 1);
			rows[n++] = (struct row){ i, at, fit, at == 0 };
			at += fit;
		} while (at < len);
	}
	*nrows = n;
	return rows;
}

int messages_draw(const struct messages *m, int *scroll)
{
	int h = LINES - 2, w = COLS - 2;
	if (h < 5 || w < 20)
		return 0;
	int inner = h - 4;
	const int stamp = 10; /* "HH:MM:SS  " */
	char **safe = xcalloc(m->count ? m->count : 1, sizeof *safe);
	size_t nrows;
	struct row *rows = wrap_all(m, safe, w - 4 - stamp, &nrows);
	int max_scroll = (int)nrows > inner ? (int)nrows - inner : 0;
	if (*scroll > max_scroll)
		*scroll = max_scroll;
	if (*scroll < 0)
		*scroll = 0;
	WINDOW *win = newwin(h, w, 1, 1);
	if (win) {
		wbkgd(win, theme_attr(ROLE_HELP));
		werase(win);
		draw_frame(win, "Messages — Esc closes, arrows scroll", 1);
		if (nrows == 0)
			draw_text(win, 2, 2, w - 4, "No messages yet.", theme_attr(ROLE_DIM));
		for (int r = 0; r < inner && (size_t)(*scroll + r) < nrows; r++) {
			const struct row *row = &rows[*scroll + r];
			const struct message *msg = messages_get(m, row->msg);
			if (row->first) {
				char when[16];
				struct tm tm;
				localtime_r(&msg->at, &tm);
				strftime(when, sizeof when, "%H:%M:%S", &tm);
				draw_text(win, 2 + r, 2, stamp, when, theme_attr(ROLE_DIM));
			}
			char *part = xstrndup(safe[row->msg] + row->start, row->len);
			draw_text(win, 2 + r, 2 + stamp, w - 4 - stamp, part,
				  theme_attr(msg->error ? ROLE_ERROR : ROLE_HELP));
			free(part);
		}
		scrollpos_draw(win, h - 1, w - 2, w - 4, *scroll, inner, (long)nrows, theme_attr(ROLE_HELP));
		wnoutrefresh(win);
		delwin(win);
	}
	for (size_t i = 0; i < m->count; i++)
		free(safe[i]);
	free(safe);
	free(rows);
	return inner;
}
