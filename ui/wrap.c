#include "wrap.h"

#include <stdlib.h>
#include <string.h>

#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "draw.h"

#define NONE ((size_t)-1)

/* Finds newlines so that one pass over the text searches each byte once,
 * however many screen lines a long line of text makes. */
struct newline_finder {
	const char *s;
	size_t at;               /* the newline found last; NONE: none in [.., upto) */
	size_t upto;             /* searched up to here */
	size_t *work;            /* bytes read, added to */
};

/* The first '\n' in s[i..end), or end; i never decreases between calls. */
static size_t newline_before(struct newline_finder *f, size_t i, size_t end)
{
	if (f->at != NONE && f->at >= i)
		return f->at < end ? f->at : end;
	size_t from = f->upto > i ? f->upto : i;
	f->at = NONE;
	if (from >= end)
		return end;
	const char *p = memchr(f->s + from, '\n', end - from);
	if (!p) {
		*f->work += end - from;
		f->upto = end;
		return end;
	}
	f->at = (size_t)(p - f->s);
	f->upto = f->at + 1;
	*f->work += f->upto - from;
	return f->at;
}

static int continuation(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

/* Where the screen line starting at i of text s[0..n) ends: 1 with *next the
 * start of the line after it, or 0 while it is open (it reaches the end of
 * the text and text appended may still join it). Reads at most
 * WRAP_LINE_BYTES(width) bytes from i, and decides only what text appended
 * cannot change. */
static int line_next(struct newline_finder *f, size_t n, size_t i, int width, size_t *next)
{
	const char *s = f->s;
	if (i < n && s[i] == '\n') { /* an empty line */
		*f->work += 1;
		*next = i + 1;
		return 1;
	}
	size_t cap = WRAP_LINE_BYTES(width), end = n;
	int capped = n - i > cap;
	if (capped) {
		end = i + cap;
		while (end > i + 1 && continuation(s[end]))
			end--;
	}
	size_t nl = newline_before(f, i, end);
	size_t fit = sanitize_fit(s + i, nl - i, width, NULL);
	size_t brk = i + fit;
	*f->work += fit + 1;
	if (fit == 0 && brk < nl) { /* a character wider than the column: shown cut */
		brk++;
		while (brk < nl && continuation(s[brk]))
			brk++;
		if (brk < nl) {
			*next = brk;
			return 1;
		}
	}
	if (brk < nl && s[brk] == ' ') { /* break after the spaces (kept, clipped) */
		size_t from = brk;
		while (brk < nl && s[brk] == ' ')
			brk++;
		*f->work += brk - from;
	}
	if (brk == nl) {
		if (nl < end) {
			*next = nl + 1;
			return 1;
		}
		if (capped) {
			*next = end;
			return 1;
		}
		return 0; /* more of this line (or its spaces) may come */
	}
	if (s[brk - 1] == ' ') {
		*next = brk;
		return 1;
	}
	size_t back = brk; /* after the line's last space, unless the word fills it */
	while (back > i && s[back - 1] != ' ')
		back--;
	*f->work += brk - back;
	*next = back > i ? back : brk;
	return 1;
}

static void add_mark(struct wrapped *w, size_t at)
{
	XGROW(w->marks, w->cap_marks, w->nmarks + 1);
	w->marks[w->nmarks++] = at;
}

size_t wrap_update_until(struct wrapped *w, int width, size_t lines)
{
	if (width < 1)
		width = 1;
	size_t n = w->text.len, work = 0;
	if (width != w->width || n < w->len || !w->nlines) {
		w->nmarks = 0;
		w->nlines = 0;
		w->last = 0;
		w->len = 0;
		w->stopped = 0;
		w->width = width;
		add_mark(w, 0);
		w->nlines = 1;
	} else if (n == w->len && !w->stopped) {
		return 0;
	}
	struct newline_finder f = { buf_str(&w->text), NONE, 0, &work };
	size_t i = w->last, next;
	w->stopped = 0;
	while (line_next(&f, n, i, width, &next)) {
		if (w->nlines >= lines) {
			w->stopped = 1;
			break;
		}
		i = next;
		if (w->nlines % WRAP_MARK_EVERY == 0)
			add_mark(w, i);
		w->nlines++;
	}
	w->last = i;
	w->len = n;
	return work;
}

size_t wrap_update(struct wrapped *w, int width)
{
	return wrap_update_until(w, width, NONE);
}

size_t wrap_lines(const struct wrapped *w)
{
	return w->nlines;
}

int wrap_complete(const struct wrapped *w)
{
	return w->nlines && !w->stopped && w->len == w->text.len;
}

/* Walks from the mark before line k to it: *start is where it starts;
 * returns the finder positioned for reading it. */
static size_t line_start(const struct wrapped *w, size_t k, struct newline_finder *f)
{
	size_t i = w->marks[k / WRAP_MARK_EVERY], next;
	for (size_t j = k - k % WRAP_MARK_EVERY; j < k; j++) {
		if (!line_next(f, w->len, i, w->width, &next))
			break;
		i = next;
	}
	return i;
}

static size_t line_end(const struct wrapped *w, size_t i, struct newline_finder *f, size_t *next)
{
	size_t end = w->len;
	if (line_next(f, w->len, i, w->width, next))
		end = *next;
	else
		*next = w->len;
	if (end > i && f->s[end - 1] == '\n')
		end--;
	return end;
}

void wrap_line(const struct wrapped *w, size_t k, size_t *start, size_t *end)
{
	size_t work = 0, next;
	struct newline_finder f = { buf_str(&w->text), NONE, 0, &work };
	*start = line_start(w, k, &f);
	*end = line_end(w, *start, &f, &next);
}

void wrap_add_span(struct wrapped *w, const char *s, size_t n, attr_t attr)
{
	buf_append(&w->text, s, n);
	if (w->nspans && w->spans[w->nspans - 1].attr == attr) {
		w->spans[w->nspans - 1].end = w->text.len;
		return;
	}
	XGROW(w->spans, w->cap_spans, w->nspans + 1);
	w->spans[w->nspans++] = (struct wrap_span){ w->text.len, attr };
}

void wrap_reset(struct wrapped *w)
{
	buf_reset(&w->text);
	w->nmarks = 0;
	w->nlines = 0;
	w->last = 0;
	w->len = 0;
	w->stopped = 0;
	w->nspans = 0;
}

void wrap_free(struct wrapped *w)
{
	buf_free(&w->text);
	free(w->marks);
	free(w->spans);
	memset(w, 0, sizeof *w);
}

long wrap_first(const struct wrapped *w, long scroll, int rows)
{
	long total = (long)w->nlines;
	long first = scroll < 0 ? total - rows : scroll;
	if (first > total - 1)
		first = total - 1;
	return first < 0 ? 0 : first;
}

/* The first span that ends after byte off. */
static size_t span_at(const struct wrapped *w, size_t off)
{
	size_t lo = 0, hi = w->nspans;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (w->spans[mid].end <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void wrap_draw(WINDOW *win, const struct wrapped *w, long first, int y, int x, int width, int rows, attr_t attr)
{
	if (first < 0 || (size_t)first >= w->nlines || rows <= 0)
		return;
	size_t work = 0, next;
	struct newline_finder f = { buf_str(&w->text), NONE, 0, &work };
	size_t a = line_start(w, (size_t)first, &f);
	for (int i = 0; i < rows && (size_t)first + (size_t)i < w->nlines; i++, a = next) {
		size_t b = line_end(w, a, &f, &next);
		int col = 0;
		size_t k = w->nspans ? span_at(w, a) : 0;
		while (a < b && col < width) {
			size_t end = b;
			attr_t at = attr;
			if (w->nspans && k < w->nspans) {
				if (w->spans[k].end < end)
					end = w->spans[k].end;
				at = w->spans[k].attr;
				k++;
			}
			char *piece = xstrndup(f.s + a, end - a);
			col += draw_text(win, y + i, x + col, width - col, piece, at);
			free(piece);
			a = end;
		}
	}
}
