#include "mdview.h"

#include "base/sanitize.h"
#include "theme.h"

attr_t mdview_attr(unsigned style)
{
	attr_t a;
	if (style & (MD_CODEBLOCK | MD_CODE))
		a = theme_attr(ROLE_CODE);
	else if (style & MD_HEADING)
		a = theme_attr(ROLE_HEADING);
	else if (style & (MD_URL | MD_MARK | MD_QUOTE))
		a = theme_attr(ROLE_DIM);
	else
		a = theme_attr(ROLE_NORMAL);
	if (style & MD_BOLD)
		a |= A_BOLD;
	if (style & MD_ITALIC)
		a |= A_ITALIC;
	if (style & (MD_LINK | MD_STRIKE))
		a |= A_UNDERLINE;
	return a;
}

/* Draws s[0..n) from column skip of it at (y, *col), at most to width. */
static void draw_piece(WINDOW *w, int y, int x, int *col, int *skip, int width, const char *s, size_t n, attr_t at)
{
	if (*skip > 0) {
		int used;
		size_t b = sanitize_fit(s, n, *skip, &used);
		*skip -= used;
		s += b;
		n -= b;
		if (*skip > 0 && n) { /* a wide character straddles the edge */
			size_t k = 1;
			while (k < n && ((unsigned char)s[k] & 0xc0) == 0x80)
				k++;
			s += k;
			n -= k;
			*skip = 0;
			if (*col < width) {
				wattrset(w, at);
				mvwaddch(w, y, x + (*col)++, ' ');
			}
		}
		if (*skip > 0)
			return;
	}
	if (!n || *col >= width)
		return;
	int used;
	size_t b = sanitize_fit(s, n, width - *col, &used);
	wattrset(w, at);
	mvwaddnstr(w, y, x + *col, s, (int)b);
	*col += used;
}

void mdview_draw(WINDOW *w, const struct md_doc *d, long first, int y, int x, int width, int rows, int hscroll)
{
	if (first < 0 || width <= 0)
		return;
	for (int i = 0; i < rows && (size_t)first + (size_t)i < d->nlines; i++) {
		const struct md_line *l = &d->lines[first + i];
		int col = 0, skip = l->wide ? hscroll : 0;
		unsigned last = 0;
		for (size_t k = 0; k < l->nspans; k++) {
			const struct md_span *s = &d->spans[l->span + k];
			last = s->style;
			draw_piece(w, y + i, x, &col, &skip, width, d->text.data + s->off, s->len, mdview_attr(s->style));
		}
		if (l->block >= 0 && (last & MD_CODEBLOCK)) {
			wattrset(w, mdview_attr(MD_CODEBLOCK));
			for (; col < width; col++)
				mvwaddch(w, y + i, x + col, ' ');
		}
		if (l->wide && l->cols - hscroll > width) {
			wattrset(w, theme_attr(ROLE_BORDER) | A_BOLD);
			mvwaddstr(w, y + i, x + width - 1, "›");
		}
		if (l->wide && hscroll > 0 && l->cols > hscroll) {
			wattrset(w, theme_attr(ROLE_BORDER) | A_BOLD);
			mvwaddstr(w, y + i, x, "‹");
		}
		wattrset(w, A_NORMAL);
	}
}

int mdview_wide_cols(const struct md_doc *d, long first, int rows)
{
	int most = 0;
	for (int i = 0; first >= 0 && i < rows && (size_t)first + (size_t)i < d->nlines; i++) {
		const struct md_line *l = &d->lines[first + i];
		if (l->wide && l->cols > most)
			most = l->cols;
	}
	return most;
}
