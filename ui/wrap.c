#include "wrap.h"

#include <stdlib.h>
#include <string.h>

#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "draw.h"

void wrap_update(struct wrapped *w, int width)
{
	const char *s = buf_str(&w->text);
	size_t n = w->text.len, i = 0;
	if (width != w->width || n < w->len)
		w->nstarts = 0;
	if (w->nstarts)
		i = w->starts[--w->nstarts];
	for (;;) {
		if (w->nstarts == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 64;
			w->starts = xreallocarray(w->starts, w->cap, sizeof *w->starts);
		}
		w->starts[w->nstarts++] = i;
		size_t line = i;
		while (line < n && s[line] != '\n')
			line++;
		int cols;
		size_t fit = sanitize_fit(s + i, line - i, width, &cols);
		if (fit == 0 && line > i)
			fit = line - i; /* a character wider than the column: show it cut */
		if (i + fit < line) {
			size_t brk = i + fit;
			if (s[brk] == ' ') { /* break after the spaces (kept, clipped) */
				while (brk < line && s[brk] == ' ')
					brk++;
				if (brk == n)
					break; /* more spaces may come: the line stays open */
				i = brk == line ? line + 1 : brk;
			} else { /* after the line's last space, unless the word fills it */
				while (brk > i && s[brk - 1] != ' ')
					brk--;
				i = brk > i ? brk : i + fit;
			}
		} else {
			if (line == n)
				break;
			i = line + 1;
		}
	}
	w->len = n;
	w->width = width;
}

void wrap_add_span(struct wrapped *w, const char *s, size_t n, attr_t attr)
{
	buf_append(&w->text, s, n);
	if (w->nspans && w->spans[w->nspans - 1].attr == attr) {
		w->spans[w->nspans - 1].end = w->text.len;
		return;
	}
	if (w->nspans == w->cap_spans) {
		w->cap_spans = w->cap_spans ? w->cap_spans * 2 : 16;
		w->spans = xreallocarray(w->spans, w->cap_spans, sizeof *w->spans);
	}
	w->spans[w->nspans++] = (struct wrap_span){ w->text.len, attr };
}

void wrap_reset(struct wrapped *w)
{
	buf_reset(&w->text);
	w->nstarts = 0;
	w->len = 0;
	w->nspans = 0;
}

void wrap_free(struct wrapped *w)
{
	buf_free(&w->text);
	free(w->starts);
	free(w->spans);
	memset(w, 0, sizeof *w);
}

long wrap_first(const struct wrapped *w, long scroll, int rows)
{
	long total = (long)w->nstarts;
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
	for (int i = 0; i < rows && first + i < (long)w->nstarts; i++) {
		size_t a = w->starts[first + i];
		size_t b = first + i + 1 < (long)w->nstarts ? w->starts[first + i + 1] : w->text.len;
		while (b > a && w->text.data[b - 1] == '\n')
			b--;
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
			char *piece = xstrndup(buf_str(&w->text) + a, end - a);
			col += draw_text(win, y + i, x + col, width - col, piece, at);
			free(piece);
			a = end;
		}
	}
}
