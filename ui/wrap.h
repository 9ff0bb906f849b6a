/* wrap — sanitized text wrapped into screen lines at spaces (a word longer
 * than the width is cut), kept up to date as the text grows. Optional spans
 * give byte ranges of the text their own attributes (a word diff's deletions
 * and insertions). The text must already be sanitized (valid UTF-8).
 *
 * Work and memory stay linear in the text, whatever it holds:
 * - The greedy wrap of a prefix never changes when text is appended, so
 *   wrap_update wraps only from the start of the last line (the open one,
 *   which text appended may still extend) to the end: each update reads the
 *   bytes added plus at most one line's worth again, never the whole line
 *   of text however long it is without a newline.
 * - A screen line holds at most WRAP_LINE_BYTES(width) bytes: a run of spaces
 *   or of zero-width characters longer than that is cut there.
 * - Beside the text only the start of every WRAP_MARK_EVERY-th line is kept
 *   (8 bytes per WRAP_MARK_EVERY lines); finding line k wraps again from the
 *   mark before it, so drawing reads only the rows shown plus fewer than
 *   WRAP_MARK_EVERY lines.
 * - wrap_update_until wraps only as many lines as asked (the rest waits for a
 *   later call), so a view can show the top of a huge text at once.
 * The same lines come out whether the text arrives at once or in pieces. */
#ifndef AIWB_WRAP_H
#define AIWB_WRAP_H

#include <curses.h>
#include <stddef.h>

#include "base/buf.h"

#define WRAP_LINE_BYTES(width) (64 + 16 * (size_t)(width))
#define WRAP_MARK_EVERY 64

struct wrap_span {
	size_t end;              /* the span covers text from the previous span's end to here */
	attr_t attr;
};

struct wrapped {
	struct buf text;         /* append sanitized text here, or through wrap_add_span */
	struct wrap_span *spans; /* NULL: one attribute for all */
	size_t nspans, cap_spans;
	/* private: the wrap of text[0..len) at width */
	size_t *marks;           /* marks[j]: where line j * WRAP_MARK_EVERY starts */
	size_t nmarks, cap_marks;
	size_t nlines;           /* lines so far, the last one included */
	size_t last;             /* where the last line starts */
	size_t len;              /* bytes of text wrapped */
	int width;
	int stopped;             /* the last update stopped before the end */
};

/* Wraps what was added since the last call (all of it when width changed).
 * Returns the bytes of text it read. */
size_t wrap_update(struct wrapped *w, int width);
/* The same, but stops once there are at least lines lines. */
size_t wrap_update_until(struct wrapped *w, int width, size_t lines);
/* Lines after the last update (0 before the first). */
size_t wrap_lines(const struct wrapped *w);
/* Whether the last update reached the end of the text. */
int wrap_complete(const struct wrapped *w);
/* Bytes [*start, *end) of line k < wrap_lines(w), without its newline. */
void wrap_line(const struct wrapped *w, size_t k, size_t *start, size_t *end);
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
