/* wrap — sanitized text wrapped into screen lines at spaces (a word longer
 * than the width is cut), kept up to date as the text grows: the greedy wrap
 * of a prefix never changes when text is appended, so only the last line is
 * wrapped again (not the whole text per frame). Optional spans give byte
 * ranges of the text their own attributes (a word diff's deletions and
 * insertions). The text must already be sanitized. */
#ifndef AIWB_WRAP_H
#define AIWB_WRAP_H

#include <curses.h>
#include <stddef.h>

#include "base/buf.h"

struct wrap_span {
	size_t end;              /* the span covers text from the previous span's end to here */
	attr_t attr;
};

struct wrapped {
	struct buf text;
	size_t *starts;          /* where each screen line starts */
	size_t nstarts, cap;
	size_t len;              /* bytes of text the starts cover */
	int width;
	struct wrap_span *spans; /* NULL: one attribute for all */
	size_t nspans, cap_spans;
};

/* Wraps what was added since the last call (all of it when width changed). */
void wrap_update(struct wrapped *w, int width);
/* Appends text (already sanitized) drawn with attr. */
void wrap_add_span(struct wrapped *w, const char *s, size_t n, attr_t attr);
void wrap_reset(struct wrapped *w);
void wrap_free(struct wrapped *w);
/* The first line to show in rows lines for scroll (a line number, or -1 to
 * follow the end), kept within the text. */
long wrap_first(const struct wrapped *w, long scroll, int rows);
/* Draws lines [first, first + rows) at (y, x); attr unless spans were given. */
void wrap_draw(WINDOW *win, const struct wrapped *w, long first, int y, int x, int width, int rows, attr_t attr);

#endif
