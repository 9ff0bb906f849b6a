#include "text/mdrender.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm-extension_api.h>
#include <cmark-gfm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sanitize.h"
#include "base/xmalloc.h"

#define MAX_DEPTH 24      /* deeper containers are drawn as plain text */
#define MAX_LINKS 16
#define MIN_TEXT_COLS 8   /* text gets at least this much room, however deep */

/* ---------------------------------------------------------------- output */

static void out_span(struct md_doc *d, const char *s, size_t n, unsigned style)
{
	if (!n)
		return;
	struct md_line *l = &d->lines[d->nlines];
	if (l->nspans) {
		struct md_span *last = &d->spans[d->nspans - 1];
		if (last->style == style && last->off + last->len == d->text.len) {
			buf_append(&d->text, s, n);
			last->len += n;
			return;
		}
	}
	if (d->nspans == d->cap_spans) {
		d->cap_spans = d->cap_spans ? d->cap_spans * 2 : 256;
		d->spans = xreallocarray(d->spans, d->cap_spans, sizeof *d->spans);
	}
	d->spans[d->nspans++] = (struct md_span){ d->text.len, n, style };
	buf_append(&d->text, s, n);
	l->nspans++;
}

static void out_begin(struct md_doc *d)
{
	if (d->nlines + 1 >= d->cap_lines) {
		d->cap_lines = d->cap_lines ? d->cap_lines * 2 : 128;
		d->lines = xreallocarray(d->lines, d->cap_lines, sizeof *d->lines);
	}
	d->lines[d->nlines] = (struct md_line){ d->text.len, 0, d->nspans, 0, 0, -1, 0 };
}

static void out_end(struct md_doc *d, int wide, int block)
{
	struct md_line *l = &d->lines[d->nlines];
	l->len = d->text.len - l->off;
	l->cols = sanitize_width(d->text.data ? d->text.data + l->off : "", l->len);
	l->wide = wide;
	l->block = block;
	d->nlines++;
}

/* ---------------------------------------------------------------- flat text */

/* Inline text with its styles, before it is cut into lines. */
struct run {
	size_t end;
	unsigned style;
};

struct flat {
	struct buf t;
	struct run *r;
	size_t nr, cap;
};

static void flat_put(struct flat *f, const char *s, size_t n, unsigned style)
{
	if (!n)
		return;
	buf_append(&f->t, s, n);
	if (f->nr && f->r[f->nr - 1].style == style) {
		f->r[f->nr - 1].end = f->t.len;
		return;
	}
	if (f->nr == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 32;
		f->r = xreallocarray(f->r, f->cap, sizeof *f->r);
	}
	f->r[f->nr++] = (struct run){ f->t.len, style };
}

/* Text from cmark: entities may have made controls, bidi overrides or C1. */
static int unsafe(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == 0xc2 || c == 0xe2)
			return 1;
	}
	return 0;
}

/* Puts s with newlines as spaces (inline text never breaks by itself). */
static void flat_put_safe(struct flat *f, const char *s, size_t n, unsigned style)
{
	if (!unsafe(s, n)) {
		flat_put(f, s, n, style);
		return;
	}
	char *safe = sanitize_str(s, n, 4);
	for (char *p = safe; *p; p++)
		if (*p == '\n')
			*p = ' ';
	flat_put(f, safe, strlen(safe), style);
	free(safe);
}

static void flat_reset(struct flat *f)
{
	buf_truncate(&f->t, 0);
	f->nr = 0;
}

static void flat_free(struct flat *f)
{
	buf_free(&f->t);
	free(f->r);
}

/* ---------------------------------------------------------------- context */

struct prefix {
	char first[24], rest[24]; /* the first line of a list item shows its marker */
	unsigned style;
	int cols, used;
};

struct ctx {
	struct md_doc *d;
	int width;
	struct prefix pre[MAX_DEPTH];
	int depth;
	unsigned style;           /* inherited by everything inside (a quote) */
	struct flat f;
	struct flat cell;
};

static int ctx_avail(const struct ctx *c)
{
	int w = c->width;
	for (int i = 0; i < c->depth; i++)
		w -= c->pre[i].cols;
	int floor = c->width < MIN_TEXT_COLS ? c->width : MIN_TEXT_COLS;
	return w < floor ? floor : w;
}

static void line_open(struct ctx *c)
{
	out_begin(c->d);
	for (int i = 0; i < c->depth; i++) {
		struct prefix *p = &c->pre[i];
		const char *s = p->used ? p->rest : p->first;
		p->used = 1;
		out_span(c->d, s, strlen(s), p->style);
	}
}

static void blank_line(struct ctx *c)
{
	line_open(c);
	/* a quote's bar stays, a list's indent is dropped */
	struct md_line *l = &c->d->lines[c->d->nlines];
	while (l->nspans && !(c->d->spans[l->span + l->nspans - 1].style & MD_QUOTE)) {
		struct md_span *s = &c->d->spans[--c->d->nspans];
		buf_truncate(&c->d->text, s->off);
		l->nspans--;
	}
	out_end(c->d, 0, -1);
}

static void push(struct ctx *c, const char *first, const char *rest, unsigned style)
{
	struct prefix *p = &c->pre[c->depth++];
	snprintf(p->first, sizeof p->first, "%s", first);
	snprintf(p->rest, sizeof p->rest, "%s", rest);
	p->style = style;
	p->cols = sanitize_width(p->first, strlen(p->first));
	p->used = 0;
}

/* Puts text[a..b) of f on the open line with each run's style. *ri is the
 * first run that may still hold a (a cursor, so lines cost their own runs). */
static void put_runs(struct ctx *c, const struct flat *f, size_t a, size_t b, unsigned extra, size_t *ri)
{
	size_t i = *ri;
	while (i < f->nr && f->r[i].end <= a)
		i++;
	*ri = i;
	for (; i < f->nr; i++) {
		size_t start = i ? f->r[i - 1].end : 0, end = f->r[i].end;
		if (start >= b)
			break;
		size_t x = start > a ? start : a, y = end < b ? end : b;
		if (x < y)
			out_span(c->d, f->t.data + x, y - x, f->r[i].style | extra);
	}
}

static size_t cp_next(const char *s, size_t n, size_t i, uint32_t *cp)
{
	unsigned char b = (unsigned char)s[i];
	size_t len = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
	if (i + len > n)
		len = 1;
	uint32_t v = len == 1 ? b : b & (0x3f >> (len - 1));
	for (size_t k = 1; k < len; k++)
		v = (v << 6) | ((unsigned char)s[i + k] & 0x3f);
	*cp = v;
	return len;
}

/* Cuts f into lines of the room left at spaces (a longer word is cut),
 * at '\n' (a hard break) too. */
static void wrap_flat(struct ctx *c, const struct flat *f, unsigned extra)
{
	const char *s = f->t.data;
	size_t n = f->t.len, pos = 0, ri = 0;
	if (!n)
		return;
	while (pos < n) {
		int avail = ctx_avail(c), cols = 0;
		size_t i = pos, space = (size_t)-1, end, next;
		int over = 0;
		while (i < n && s[i] != '\n') {
			uint32_t cp;
			size_t l = cp_next(s, n, i, &cp);
			int w = sanitize_cpwidth(cp);
			if (cols + w > avail && i > pos) {
				over = 1;
				break;
			}
			if (cp == ' ')
				space = i;
			cols += w;
			i += l;
		}
		if (!over) {
			end = i;
			next = i < n ? i + 1 : i;
		} else if (s[i] == ' ') {
			end = i;
			next = i + 1;
		} else if (space != (size_t)-1 && space > pos) {
			end = space;
			next = space + 1;
		} else {
			end = next = i;
		}
		line_open(c);
		put_runs(c, f, pos, end, extra, &ri);
		out_end(c->d, 0, -1);
		pos = next;
	}
}

/* ---------------------------------------------------------------- inlines */

static int is_type(cmark_node *n, const char *name)
{
	return strcmp(cmark_node_get_type_string(n), name) == 0;
}

/* The inline content of node (a paragraph, heading or cell) into f, without
 * recursion: an iterator with counters of the styles open. */
static void collect_inlines(cmark_node *node, struct flat *f, unsigned base, int cell)
{
	int bold = 0, italic = 0, code = 0, link = 0, strike = 0, nlinks = 0;
	size_t link_at[MAX_LINKS];
	cmark_iter *it = cmark_iter_new(node);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		if (n == node)
			continue;
		int enter = ev == CMARK_EVENT_ENTER, d = enter ? 1 : -1;
		unsigned st = base | (bold ? MD_BOLD : 0) | (italic ? MD_ITALIC : 0) | (link ? MD_LINK : 0) |
			      (strike ? MD_STRIKE : 0) | (code ? MD_CODE : 0);
		const char *lit;
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_HTML_INLINE:
		case CMARK_NODE_CUSTOM_INLINE:
			lit = cmark_node_get_literal(n);
			if (lit)
				flat_put_safe(f, lit, strlen(lit), st);
			break;
		case CMARK_NODE_CODE:
			lit = cmark_node_get_literal(n);
			if (lit)
				flat_put_safe(f, lit, strlen(lit), st | MD_CODE);
			break;
		case CMARK_NODE_SOFTBREAK: flat_put(f, " ", 1, st); break;
		case CMARK_NODE_LINEBREAK: flat_put(f, cell ? " " : "\n", 1, st); break;
		case CMARK_NODE_EMPH: italic += d; break;
		case CMARK_NODE_STRONG: bold += d; break;
		case CMARK_NODE_LINK:
		case CMARK_NODE_IMAGE: {
			int image = cmark_node_get_type(n) == CMARK_NODE_IMAGE;
			if (enter) {
				if (nlinks < MAX_LINKS)
					link_at[nlinks] = f->t.len;
				nlinks++;
				link++;
				if (image)
					flat_put(f, "[image: ", 8, st | MD_LINK);
				break;
			}
			link--;
			nlinks--;
			if (image)
				flat_put(f, "]", 1, st & ~(unsigned)MD_LINK);
			const char *url = cmark_node_get_url(n);
			size_t ul = url ? strlen(url) : 0;
			if (!ul || nlinks >= MAX_LINKS)
				break;
			size_t at = link_at[nlinks], tl = f->t.len - at;
			const char *txt = f->t.data + at;
			if (!image && ((tl == ul && memcmp(txt, url, ul) == 0) ||
				       (ul == tl + 7 && strncmp(url, "mailto:", 7) == 0 && memcmp(txt, url + 7, tl) == 0)))
				break; /* an autolink: its text is its target */
			unsigned us = (st & ~(unsigned)MD_LINK) | MD_URL;
			flat_put(f, " (", 2, us);
			flat_put_safe(f, url, ul, us);
			flat_put(f, ")", 1, us);
			break;
		}
		default:
			if (is_type(n, "strikethrough"))
				strike += d;
			break;
		}
	}
	cmark_iter_free(it);
}

/* ---------------------------------------------------------------- blocks */

static void render_block(struct ctx *c, cmark_node *n);

static void render_children(struct ctx *c, cmark_node *n, int tight)
{
	int first = 1;
	for (cmark_node *k = cmark_node_first_child(n); k; k = cmark_node_next(k)) {
		if (!first && !tight)
			blank_line(c);
		first = 0;
		render_block(c, k);
	}
}

static void render_code(struct ctx *c, cmark_node *n)
{
	struct md_doc *d = c->d;
	const char *lit = cmark_node_get_literal(n);
	size_t len = lit ? strlen(lit) : 0;
	char *kept = sanitize_str(lit ? lit : "", len, 0), *safe = sanitize_str(lit ? lit : "", len, 4);
	if (d->nblocks == d->cap_blocks) {
		d->cap_blocks = d->cap_blocks ? d->cap_blocks * 2 : 8;
		d->blocks = xreallocarray(d->blocks, d->cap_blocks, sizeof *d->blocks);
	}
	struct md_block *b = &d->blocks[d->nblocks];
	memset(b, 0, sizeof *b);
	b->off = d->code.len;
	b->len = strlen(kept);
	buf_append(&d->code, kept, b->len);
	free(kept);
	len = strlen(safe);
	const char *info = cmark_node_get_fence_info(n);
	if (info && *info) {
		char *li = sanitize_str(info, strlen(info), 0);
		size_t w = strcspn(li, " \t\n");
		size_t fit = sanitize_fit(li, w, 24, NULL);
		while (fit >= sizeof b->lang) /* zero-width characters are bytes without columns */
			while (fit && ((unsigned char)li[--fit] & 0xc0) == 0x80)
				;
		memcpy(b->lang, li, fit);
		b->lang[fit] = 0;
		free(li);
	}
	int idx = (int)d->nblocks++;
	if (b->lang[0]) {
		line_open(c);
		out_span(d, b->lang, strlen(b->lang), MD_MARK | MD_CODEBLOCK);
		out_end(d, 1, idx);
	}
	b->first_line = d->nlines;
	size_t pos = 0;
	if (len && safe[len - 1] == '\n')
		len--;
	do {
		const char *nl = memchr(safe + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - safe) : len;
		line_open(c);
		out_span(d, safe + pos, end - pos, MD_CODEBLOCK | c->style);
		out_end(d, 1, idx);
		pos = end + 1;
	} while (pos <= len);
	d->blocks[idx].nlines = d->nlines - d->blocks[idx].first_line;
	free(safe);
}

static void render_text_lines(struct ctx *c, const char *lit, unsigned style)
{
	size_t len = strlen(lit);
	while (len && lit[len - 1] == '\n')
		len--;
	size_t pos = 0;
	while (pos <= len) {
		const char *nl = memchr(lit + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - lit) : len;
		flat_reset(&c->f);
		flat_put_safe(&c->f, lit + pos, end - pos, style);
		if (!c->f.t.len)
			flat_put(&c->f, " ", 1, style);
		wrap_flat(c, &c->f, 0);
		pos = end + 1;
	}
}

static void render_heading(struct ctx *c, cmark_node *n)
{
	int level = cmark_node_get_heading_level(n);
	flat_reset(&c->f);
	collect_inlines(n, &c->f, MD_HEADING | MD_BOLD | c->style, 0);
	if (!c->f.t.len)
		return;
	wrap_flat(c, &c->f, 0);
	if (level > 2)
		return;
	int w = sanitize_width(c->f.t.data, c->f.t.len), avail = ctx_avail(c);
	if (w > avail)
		w = avail;
	const char *rule = level == 1 ? "═" : "─";
	line_open(c);
	for (int i = 0; i < w; i++)
		out_span(c->d, rule, strlen(rule), MD_HEADING | MD_MARK);
	out_end(c->d, 0, -1);
}

static void render_rule(struct ctx *c)
{
	int w = ctx_avail(c);
	line_open(c);
	for (int i = 0; i < w; i++)
		out_span(c->d, "─", 3, MD_MARK);
	out_end(c->d, 0, -1);
}

static void render_list(struct ctx *c, cmark_node *n)
{
	int ordered = cmark_node_get_list_type(n) == CMARK_ORDERED_LIST;
	int tight = cmark_node_get_list_tight(n), num = cmark_node_get_list_start(n);
	const char *delim = cmark_node_get_list_delim(n) == CMARK_PAREN_DELIM ? ")" : ".";
	int level = 0;
	for (int i = 0; i < c->depth; i++)
		level += c->pre[i].first[0] != c->pre[i].rest[0] && !(c->pre[i].style & MD_QUOTE);
	static const char *const bullets[] = { "• ", "◦ ", "▪ " };
	int first = 1;
	for (cmark_node *it = cmark_node_first_child(n); it; it = cmark_node_next(it), num++) {
		if (!first && !tight)
			blank_line(c);
		first = 0;
		char mark[24], pad[24];
		if (ordered)
			snprintf(mark, sizeof mark, "%d%s ", num, delim);
		else
			snprintf(mark, sizeof mark, "%s", bullets[level % 3]);
		int w = sanitize_width(mark, strlen(mark));
		memset(pad, ' ', (size_t)w);
		pad[w] = 0;
		push(c, mark, pad, MD_MARK | c->style);
		if (!cmark_node_first_child(it)) {
			line_open(c);
			out_end(c->d, 0, -1);
		}
		render_children(c, it, tight);
		c->depth--;
	}
}

/* ---------------------------------------------------------------- tables */

struct cell {
	size_t a, b;   /* bytes of the table's flat text */
	size_t r0;     /* the run that holds a */
	int cols;
};

static void put_cell(struct ctx *c, const struct cell *k, int width, int align, unsigned extra)
{
	int pad = width - k->cols, left = align == 'r' ? pad : align == 'c' ? pad / 2 : 0;
	static const char spaces[] = "                                ";
	for (int i = left; i > 0; i -= 32)
		out_span(c->d, spaces, (size_t)(i < 32 ? i : 32), c->style);
	size_t ri = k->r0;
	put_runs(c, &c->cell, k->a, k->b, extra, &ri);
	for (int i = pad - left; i > 0; i -= 32)
		out_span(c->d, spaces, (size_t)(i < 32 ? i : 32), c->style);
}

static void render_table(struct ctx *c, cmark_node *n)
{
	int ncols = cmark_gfm_extensions_get_table_columns(n);
	uint8_t *aligns = cmark_gfm_extensions_get_table_alignments(n);
	if (ncols <= 0)
		return;
	size_t nrows = 0;
	for (cmark_node *r = cmark_node_first_child(n); r; r = cmark_node_next(r))
		nrows++;
	struct cell *cells = xcalloc(nrows * (size_t)ncols, sizeof *cells);
	int *widths = xcalloc((size_t)ncols, sizeof *widths);
	int *header = xcalloc(nrows ? nrows : 1, sizeof *header);
	flat_reset(&c->cell);
	size_t ri = 0;
	for (cmark_node *r = cmark_node_first_child(n); r; r = cmark_node_next(r), ri++) {
		header[ri] = cmark_gfm_extensions_get_table_row_is_header(r);
		int ci = 0;
		for (cmark_node *k = cmark_node_first_child(r); k && ci < ncols; k = cmark_node_next(k), ci++) {
			struct cell *cl = &cells[ri * (size_t)ncols + (size_t)ci];
			cl->a = c->cell.t.len;
			cl->r0 = c->cell.nr ? c->cell.nr - 1 : 0;
			collect_inlines(k, &c->cell, c->style | (header[ri] ? MD_BOLD : 0), 1);
			cl->b = c->cell.t.len;
			cl->cols = sanitize_width(c->cell.t.data ? c->cell.t.data + cl->a : "", cl->b - cl->a);
			if (cl->cols > widths[ci])
				widths[ci] = cl->cols;
		}
		for (; ci < ncols; ci++) {
			struct cell *cl = &cells[ri * (size_t)ncols + (size_t)ci];
			cl->a = cl->b = c->cell.t.len;
			cl->r0 = c->cell.nr ? c->cell.nr - 1 : 0;
		}
	}
	for (size_t i = 0; i < nrows; i++) {
		line_open(c);
		for (int k = 0; k < ncols; k++) {
			if (k)
				out_span(c->d, " │ ", 5, MD_MARK | c->style);
			put_cell(c, &cells[i * (size_t)ncols + (size_t)k], widths[k], aligns ? aligns[k] : 0, 0);
		}
		out_end(c->d, 1, -1);
		if (header[i]) {
			line_open(c);
			for (int k = 0; k < ncols; k++) {
				if (k)
					out_span(c->d, "─┼─", 9, MD_MARK | c->style);
				for (int j = 0; j < widths[k]; j++)
					out_span(c->d, "─", 3, MD_MARK | c->style);
			}
			out_end(c->d, 1, -1);
		}
	}
	free(cells);
	free(widths);
	free(header);
}

/* ---------------------------------------------------------------- dispatch */

static void render_flat(struct ctx *c, cmark_node *n)
{
	flat_reset(&c->f);
	cmark_iter *it = cmark_iter_new(n);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *k = cmark_iter_get_node(it);
		const char *lit = ev == CMARK_EVENT_ENTER ? cmark_node_get_literal(k) : NULL;
		if (lit && *lit) {
			if (c->f.t.len)
				flat_put(&c->f, " ", 1, c->style);
			flat_put_safe(&c->f, lit, strlen(lit), c->style);
		}
	}
	cmark_iter_free(it);
	wrap_flat(c, &c->f, 0);
}

static void render_block(struct ctx *c, cmark_node *n)
{
	if (c->depth >= MAX_DEPTH - 1) {
		render_flat(c, n);
		return;
	}
	switch (cmark_node_get_type(n)) {
	case CMARK_NODE_PARAGRAPH:
		flat_reset(&c->f);
		collect_inlines(n, &c->f, c->style, 0);
		wrap_flat(c, &c->f, 0);
		break;
	case CMARK_NODE_HEADING: render_heading(c, n); break;
	case CMARK_NODE_CODE_BLOCK: render_code(c, n); break;
	case CMARK_NODE_HTML_BLOCK: {
		const char *lit = cmark_node_get_literal(n);
		render_text_lines(c, lit ? lit : "", MD_MARK | c->style);
		break;
	}
	case CMARK_NODE_THEMATIC_BREAK: render_rule(c); break;
	case CMARK_NODE_BLOCK_QUOTE: {
		unsigned was = c->style;
		push(c, "│ ", "│ ", MD_QUOTE | MD_MARK);
		c->style |= MD_QUOTE;
		render_children(c, n, 0);
		c->style = was;
		c->depth--;
		break;
	}
	case CMARK_NODE_LIST: render_list(c, n); break;
	case CMARK_NODE_ITEM: render_children(c, n, 0); break;
	default:
		if (is_type(n, "table"))
			render_table(c, n);
		else if (cmark_node_first_child(n))
			render_children(c, n, 0);
		else
			render_flat(c, n);
		break;
	}
}

/* ---------------------------------------------------------------- segments */

static cmark_syntax_extension *ext_table, *ext_strike, *ext_autolink;

static void render_segment(struct md_doc *d, const char *src, size_t len)
{
	if (!ext_table) {
		cmark_gfm_core_extensions_ensure_registered();
		ext_table = cmark_find_syntax_extension("table");
		ext_strike = cmark_find_syntax_extension("strikethrough");
		ext_autolink = cmark_find_syntax_extension("autolink");
	}
	cmark_parser *p = cmark_parser_new(CMARK_OPT_DEFAULT);
	if (ext_table)
		cmark_parser_attach_syntax_extension(p, ext_table);
	if (ext_strike)
		cmark_parser_attach_syntax_extension(p, ext_strike);
	if (ext_autolink)
		cmark_parser_attach_syntax_extension(p, ext_autolink);
	cmark_parser_feed(p, src, len);
	cmark_node *doc = cmark_parser_finish(p);
	struct ctx c = { .d = d, .width = d->width };
	for (cmark_node *k = cmark_node_first_child(doc); k; k = cmark_node_next(k)) {
		if (d->top++)
			blank_line(&c);
		render_block(&c, k);
	}
	flat_free(&c.f);
	flat_free(&c.cell);
	cmark_node_free(doc);
	cmark_parser_free(p);
}

static void keep(struct md_doc *d)
{
	d->keep_lines = d->nlines;
	d->keep_spans = d->nspans;
	d->keep_text = d->text.len;
	d->keep_code = d->code.len;
	d->keep_blocks = d->nblocks;
	d->keep_top = d->top;
}

static void drop_tail(struct md_doc *d)
{
	d->nlines = d->keep_lines;
	d->nspans = d->keep_spans;
	buf_truncate(&d->text, d->keep_text);
	buf_truncate(&d->code, d->keep_code);
	d->nblocks = d->keep_blocks;
	d->top = d->keep_top;
}

static int fence_of(const char *s, size_t n, int *ch)
{
	size_t i = 0;
	while (i < n && s[i] == ' ')
		i++;
	if (i >= n || (s[i] != '`' && s[i] != '~'))
		return 0;
	size_t k = i;
	while (k < n && s[k] == s[i])
		k++;
	if (k - i < 3)
		return 0;
	*ch = s[i];
	return (int)(k - i);
}

static int blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

/* A line that, after a blank line, surely starts a new top-level block. */
static int starts_block(const char *s, size_t n)
{
	unsigned char c = (unsigned char)s[0];
	if (c == ' ' || c == '\t' || c == '>' || c == '[' || c == '<' || c == '|')
		return 0;
	if ((c == '-' || c == '*' || c == '+') && (n == 1 || s[1] == ' ' || s[1] == '\t'))
		return 0;
	size_t i = 0;
	while (i < n && i < 10 && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i && i < n && (s[i] == '.' || s[i] == ')'))
		return 0;
	return 1;
}

void md_init(struct md_doc *d)
{
	memset(d, 0, sizeof *d);
	d->fresh = 1;
}

void md_reset(struct md_doc *d)
{
	d->nlines = d->nspans = d->nblocks = 0;
	buf_truncate(&d->text, 0);
	buf_truncate(&d->code, 0);
	d->done = d->scan = d->rendered = d->top = 0;
	d->prev_blank = d->fence_ch = d->fence_len = 0;
	keep(d);
	d->fresh = 1;
}

void md_free(struct md_doc *d)
{
	buf_free(&d->text);
	buf_free(&d->code);
	free(d->lines);
	free(d->spans);
	free(d->blocks);
	memset(d, 0, sizeof *d);
}

int md_update(struct md_doc *d, const char *src, size_t len, int width, int streaming)
{
	if (width < 1)
		width = 1;
	if (width != d->width || len < d->rendered) {
		md_reset(d);
		d->width = width;
	}
	if (!d->fresh && len == d->rendered)
		return 0;
	size_t tail0 = d->done;
	const char *nl;
	while (d->scan < len && (nl = memchr(src + d->scan, '\n', len - d->scan))) {
		const char *s = src + d->scan;
		size_t n = (size_t)(nl - s);
		int ch = 0, flen = fence_of(s, n, &ch);
		if (d->fence_ch) {
			if (ch == d->fence_ch && flen >= d->fence_len) {
				size_t lead = 0;
				while (s[lead] == ' ')
					lead++;
				if (blank(s + lead + flen, n - lead - (size_t)flen))
					d->fence_ch = 0;
			}
			d->prev_blank = 0;
		} else {
			int isblank = blank(s, n);
			if (d->prev_blank && !isblank && starts_block(s, n) && d->scan > d->done) {
				if (d->done == tail0)
					drop_tail(d);
				render_segment(d, src + d->done, d->scan - d->done);
				d->done = d->scan;
				keep(d);
			}
			if (flen > 0) {
				d->fence_ch = ch;
				d->fence_len = flen;
			}
			d->prev_blank = isblank;
		}
		d->scan += n + 1;
	}
	size_t tail = len - d->done;
	if (d->done == tail0) {
		if (streaming && !d->fresh && tail > MD_TAIL_THROTTLE && len - d->rendered < tail / 8)
			return 0;
		drop_tail(d);
	}
	d->fresh = 0;
	render_segment(d, src + d->done, len - d->done);
	d->rendered = len;
	return 1;
}

long md_first(const struct md_doc *d, long scroll, int rows)
{
	long total = (long)d->nlines, max = total - rows;
	if (max < 0)
		max = 0;
	if (scroll < 0 || scroll > max)
		return max;
	return scroll;
}

const struct md_block *md_block_at(const struct md_doc *d, size_t k)
{
	if (k >= d->nlines || d->lines[k].block < 0)
		return NULL;
	return &d->blocks[d->lines[k].block];
}
