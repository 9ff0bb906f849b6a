#include "prompt/mustache.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sanitize.h"
#include "base/xmalloc.h"

#define MUSTACHE_MAX_RECURSION 1024

enum mustache_kind { K_TEXT, K_VAR, K_SECTION, K_INVERTED, K_PARTIAL, K_PARENT, K_BLOCK };

struct mustache_name {
	char *text;     /* as written, "*name" for a dynamic name */
	char *parts;    /* nparts NUL-terminated parts back to back */
	unsigned nparts; /* 0 for "." */
};

struct mustache_entry;

struct mustache_node {
	unsigned char kind;
	bool bol;        /* starts a line of its template: indented there */
	bool escape;     /* K_VAR written {{x}} */
	bool dynamic;    /* K_PARTIAL, K_PARENT: the name is looked up in the data */
	bool standalone; /* K_PARTIAL, K_PARENT: indented by s[0..len) */
	unsigned line, col;
	const char *s;   /* K_TEXT: text; K_PARTIAL, K_PARENT: indentation; K_BLOCK: of an override */
	size_t len;
	const char *dind; /* K_BLOCK: indentation of the default content */
	size_t dind_len;
	struct mustache_name name;
	struct mustache_node *kids; /* content; for K_PARENT its argument blocks */
	size_t nkids;
	struct mustache_entry *target; /* K_PARTIAL, K_PARENT with a static name */
};

struct mustache_tmpl {
	char *src;
	size_t len;
	struct mustache_node *kids;
	size_t nkids;
};

struct mustache_entry {
	char *name;
	struct mustache_tmpl *t; /* NULL: no such partial */
	char *error;             /* set when its text does not parse */
};

struct mustache_lib {
	struct mustache_entry **v;
	size_t n, cap;
	size_t loaded; /* v[loaded..n) still wait for the callback */
};

struct mustache {
	struct mustache_opts o;
	struct mustache_tmpl *root;
	struct mustache_lib *lib; /* grows while rendering dynamic names */
};

/* ---- small helpers ---- */

static bool mustache_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool mustache_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static const char *mustache_find(const char *s, size_t n, const char *needle, size_t k)
{
	return k ? memmem(s, n, needle, k) : NULL;
}

/* A printable copy of untrusted text for an error message, at most about 60
 * bytes; caller frees. */
static char *mustache_show(const char *s, size_t n)
{
	const size_t max = 60;
	if (n > 4 * max)
		n = 4 * max;
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		buf_putc(&b, c < 0x20 || c == 0x7f ? '?' : (char)c);
	}
	char *safe = sanitize_str(buf_str(&b), b.len, 0);
	buf_free(&b);
	size_t len = strlen(safe);
	if (len <= max)
		return safe;
	while (len > max || ((unsigned char)safe[len] & 0xC0) == 0x80)
		len--;
	char *cut = xasprintf("%.*s...", (int)len, safe);
	free(safe);
	return cut;
}

static void mustache_name_free(struct mustache_name *nm)
{
	free(nm->text);
	nm->text = NULL;
	nm->parts = NULL;
}

static void mustache_nodes_free(struct mustache_node *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		mustache_name_free(&v[i].name);
		mustache_nodes_free(v[i].kids, v[i].nkids);
	}
	free(v);
}

static void mustache_tmpl_free(struct mustache_tmpl *t)
{
	if (!t)
		return;
	mustache_nodes_free(t->kids, t->nkids);
	free(t->src);
	free(t);
}

/* ---- the parser ---- */

struct mustache_frame {
	struct mustache_node n; /* the open tag */
	struct mustache_node *kids;
	size_t nkids, cap;
	size_t tag;           /* offset of the open tag */
	bool left;            /* only blanks before the open tag on its line */
	bool eol;             /* only blanks after it */
	bool arg;             /* a block directly inside a parent */
	bool lead_node;       /* the enclosing list ends with the text node of those blanks */
	const char *ws;       /* those blanks (after intrinsic indentation) */
	size_t ws_len;
	const char *rel;      /* K_BLOCK: intrinsic indentation taken off its lines */
	size_t rel_len;
};

struct mustache_parser {
	const char *src;
	size_t len;
	struct mustache_lib *lib;
	bool has_loader;
	struct mustache_frame *f;
	size_t nf, capf;
	const char *otag, *ctag;
	size_t olen, clen;
	bool bol;
	size_t cur_off; /* position cursor for line and column */
	unsigned cur_line, cur_col;
	struct err *e;
};

static void mustache_where(struct mustache_parser *p, size_t off, unsigned *line, unsigned *col)
{
	if (off < p->cur_off) {
		p->cur_off = 0;
		p->cur_line = p->cur_col = 1;
	}
	for (; p->cur_off < off; p->cur_off++) {
		unsigned char c = (unsigned char)p->src[p->cur_off];
		if (c == '\n') {
			p->cur_line++;
			p->cur_col = 1;
		} else if ((c & 0xC0) != 0x80) {
			p->cur_col++;
		}
	}
	*line = p->cur_line;
	*col = p->cur_col;
}

static int __attribute__((format(printf, 3, 4)))
mustache_perr(struct mustache_parser *p, size_t off, const char *fmt, ...)
{
	char msg[800];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	unsigned line, col;
	mustache_where(p, off, &line, &col);
	return err_set(p->e, "line %u, column %u: %s", line, col, msg);
}

static struct mustache_frame *mustache_top(struct mustache_parser *p)
{
	return &p->f[p->nf - 1];
}

static struct mustache_node *mustache_add(struct mustache_parser *p, unsigned char kind)
{
	struct mustache_frame *f = mustache_top(p);
	XGROW(f->kids, f->cap, f->nkids + 1);
	struct mustache_node *n = &f->kids[f->nkids++];
	memset(n, 0, sizeof *n);
	n->kind = kind;
	n->bol = p->bol;
	p->bol = false;
	return n;
}

/* Bytes of s[0..n) that are the intrinsic indentation of the open blocks. */
static size_t mustache_strip_len(const struct mustache_parser *p, const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 1; i < p->nf; i++) {
		const struct mustache_frame *f = &p->f[i];
		if (f->n.kind != K_BLOCK || !f->rel_len)
			continue;
		if (n - k < f->rel_len || memcmp(s + k, f->rel, f->rel_len) != 0)
			break;
		k += f->rel_len;
	}
	return k;
}

/* Text becomes one node per line so that each line start can be indented. */
static void mustache_add_text(struct mustache_parser *p, size_t from, size_t to)
{
	while (from < to) {
		const char *nl = memchr(p->src + from, '\n', to - from);
		size_t end = nl ? (size_t)(nl - p->src) + 1 : to;
		size_t s = from;
		if (p->bol)
			s += mustache_strip_len(p, p->src + s, end - s);
		if (s < end) {
			struct mustache_node *n = mustache_add(p, K_TEXT);
			n->s = p->src + s;
			n->len = end - s;
		}
		if (nl)
			p->bol = true;
		from = end;
	}
}

static int mustache_parse_name(struct mustache_parser *p, size_t tag, const char *s, size_t n,
			       bool dotted, bool allow_dynamic, struct mustache_name *nm, bool *dynamic)
{
	while (n && mustache_is_space(*s)) {
		s++;
		n--;
	}
	while (n && mustache_is_space(s[n - 1]))
		n--;
	bool dyn = false;
	if (allow_dynamic && n && *s == '*') {
		dyn = true;
		s++;
		n--;
		while (n && mustache_is_space(*s)) {
			s++;
			n--;
		}
	}
	if (dynamic)
		*dynamic = dyn;
	if (!n)
		return mustache_perr(p, tag, "the tag has no name");
	for (size_t i = 0; i < n; i++) {
		if (mustache_is_space(s[i]) || s[i] == '\0') {
			char *q = mustache_show(s, n);
			mustache_perr(p, tag, "the name '%s' holds a %s", q, s[i] ? "space" : "NUL byte");
			free(q);
			return -1;
		}
	}
	size_t pre = dyn ? 1 : 0;
	char *text = xmalloc(2 * (n + pre) + 2);
	if (dyn)
		text[0] = '*';
	memcpy(text + pre, s, n);
	text[n + pre] = '\0';
	nm->text = text;
	nm->parts = text + n + pre + 1;
	nm->nparts = 0;
	if (!(dotted || dyn)) {
		memcpy(nm->parts, text, n + pre + 1);
		nm->nparts = 1;
		return 0;
	}
	if (n == 1 && *s == '.')
		return 0;
	memcpy(nm->parts, s, n);
	nm->parts[n] = '\0';
	nm->nparts = 1;
	for (size_t i = 0; i < n; i++) {
		if (nm->parts[i] != '.')
			continue;
		nm->parts[i] = '\0';
		nm->nparts++;
	}
	for (size_t i = 0; i <= n; i++) {
		bool at_start = i == 0 || nm->parts[i - 1] == '\0';
		if (at_start && nm->parts[i] == '\0') {
			char *q = mustache_show(s, n);
			mustache_perr(p, tag, "the name '%s' has an empty part", q);
			free(q);
			mustache_name_free(nm);
			return -1;
		}
	}
	return 0;
}

static struct mustache_entry *mustache_lib_find(struct mustache_lib *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i]->name, name) == 0)
			return l->v[i];
	return NULL;
}

/* NULL when there are too many. */
static struct mustache_entry *mustache_lib_add(struct mustache_lib *l, const char *name)
{
	struct mustache_entry *en = mustache_lib_find(l, name);
	if (en)
		return en;
	if (l->n >= MUSTACHE_MAX_PARTIALS)
		return NULL;
	XGROW(l->v, l->cap, l->n + 1);
	en = xcalloc(1, sizeof *en);
	en->name = xstrdup(name);
	l->v[l->n++] = en;
	return en;
}

static int mustache_push(struct mustache_parser *p, unsigned char kind, size_t tag)
{
	if (p->nf > MUSTACHE_MAX_NESTING)
		return mustache_perr(p, tag, "sections nested more than %d deep", MUSTACHE_MAX_NESTING);
	XGROW(p->f, p->capf, p->nf + 1);
	struct mustache_frame *f = &p->f[p->nf++];
	memset(f, 0, sizeof *f);
	f->n.kind = kind;
	f->tag = tag;
	mustache_where(p, tag, &f->n.line, &f->n.col);
	return 0;
}

static int mustache_set_delims(struct mustache_parser *p, size_t tag, size_t cs, size_t ce)
{
	const char *s = p->src;
	size_t i = cs;
	while (i < ce && mustache_is_space(s[i]))
		i++;
	size_t a = i;
	while (i < ce && !mustache_is_space(s[i]))
		i++;
	size_t alen = i - a;
	while (i < ce && mustache_is_space(s[i]))
		i++;
	size_t b = i;
	while (i < ce && !mustache_is_space(s[i]))
		i++;
	size_t blen = i - b;
	while (i < ce && mustache_is_space(s[i]))
		i++;
	if (!alen || !blen || i != ce || memchr(s + a, '=', alen) || memchr(s + b, '=', blen))
		return mustache_perr(p, tag, "bad delimiter change: write two delimiters without '=' "
					     "or spaces in them, separated by a space, as in {{=<%% %%>=}}");
	p->otag = s + a;
	p->olen = alen;
	p->ctag = s + b;
	p->clen = blen;
	return 0;
}

/* Closes the innermost open tag with {{/name}} found at tag. right/rend: only
 * blanks follow the closing tag up to rend (after its line end). Sets *pos. */
static int mustache_close(struct mustache_parser *p, size_t tag, size_t cs, size_t ce, size_t te,
			  bool left, size_t ls, bool right, size_t rend, size_t *pos)
{
	struct mustache_name nm = {0};
	if (mustache_parse_name(p, tag, p->src + cs, ce - cs, false, true, &nm, NULL))
		return -1;
	if (p->nf == 1) {
		char *q = mustache_show(nm.text, strlen(nm.text));
		mustache_perr(p, tag, "closing tag '%s' has no opening tag", q);
		free(q);
		mustache_name_free(&nm);
		return -1;
	}
	struct mustache_frame *f = mustache_top(p);
	if (strcmp(nm.text, f->n.name.text) != 0) {
		char *q = mustache_show(nm.text, strlen(nm.text));
		char *o = mustache_show(f->n.name.text, strlen(f->n.name.text));
		mustache_perr(p, tag, "closing tag '%s' does not match '%s' opened at line %u, column %u",
			      q, o, f->n.line, f->n.col);
		free(q);
		free(o);
		mustache_name_free(&nm);
		return -1;
	}
	mustache_name_free(&nm);

	bool standalone = left && right;
	bool element = f->left && right && !f->arg;
	if (f->arg) {
		mustache_add_text(p, *pos, left ? ls : tag);
		*pos = te;
	} else if (f->n.kind == K_PARENT) {
		*pos = standalone || element ? rend : te;
	} else {
		mustache_add_text(p, *pos, standalone ? ls : tag);
		if (!standalone && p->bol)
			mustache_add(p, K_TEXT);
		*pos = standalone ? rend : te;
	}

	struct mustache_node n = f->n;
	n.kids = f->kids;
	n.nkids = f->nkids;
	bool lead_node = f->lead_node, arg = f->arg;
	if (n.kind == K_PARENT) {
		size_t k = 0;
		for (size_t i = 0; i < n.nkids; i++) {
			if (n.kids[i].kind == K_BLOCK) {
				n.kids[k++] = n.kids[i];
			} else {
				mustache_name_free(&n.kids[i].name);
				mustache_nodes_free(n.kids[i].kids, n.kids[i].nkids);
			}
		}
		n.nkids = k;
		if (element) {
			n.standalone = true;
			n.s = f->ws;
			n.len = f->ws_len;
			n.bol = false;
		}
	} else if (n.kind == K_BLOCK) {
		n.dind = f->rel;
		n.dind_len = f->rel_len;
		if (element) {
			n.s = f->eol ? f->rel : f->ws;
			n.len = f->eol ? f->rel_len : f->ws_len;
		}
	}
	p->nf--;
	struct mustache_frame *up = mustache_top(p);
	if (n.kind == K_PARENT && element && lead_node)
		up->nkids--;
	XGROW(up->kids, up->cap, up->nkids + 1);
	up->kids[up->nkids++] = n;
	p->bol = !arg && (standalone || (n.kind == K_PARENT && element));
	return 0;
}

/* Finds where the tag opened at ts ends; *cs..*ce is its content, *te the
 * offset after its closing delimiter. */
static int mustache_tag_end(struct mustache_parser *p, size_t ts, char type, size_t cs, size_t *ce,
			    size_t *te)
{
	const char *s = p->src;
	size_t n = p->len;
	const char *hit = NULL;
	size_t skip = 0;
	if (type == '{' || type == '=') {
		char want = type == '{' ? '}' : '=';
		size_t i = cs;
		for (;;) {
			hit = mustache_find(s + i, n - i, p->ctag, p->clen);
			if (!hit || (hit > s + cs && hit[-1] == want))
				break;
			i = (size_t)(hit - s) + 1;
		}
		skip = 1;
	} else {
		hit = mustache_find(s + cs, n - cs, p->ctag, p->clen);
	}
	if (type != '!' && type != '=' && hit &&
	    mustache_find(s + cs, (size_t)(hit - s) - cs, p->otag, p->olen))
		hit = NULL;
	if (!hit) {
		size_t k = ts + p->olen;
		while (k < n && k - ts < p->olen + 16 && s[k] != '\n' && s[k] != '\r')
			k++;
		char *o = mustache_show(s + ts, k - ts);
		char *c = mustache_show(p->ctag, p->clen);
		const char *pre = type == '{' ? "}" : type == '=' ? "=" : "";
		mustache_perr(p, ts, "tag '%s' is never closed: '%s%s' expected", o, pre, c);
		free(o);
		free(c);
		return -1;
	}
	*ce = (size_t)(hit - s) - skip;
	*te = (size_t)(hit - s) + p->clen;
	return 0;
}

static int mustache_parse_body(struct mustache_parser *p)
{
	const char *s = p->src;
	size_t n = p->len;
	size_t pos = 0;
	for (;;) {
		const char *o = mustache_find(s + pos, n - pos, p->otag, p->olen);
		if (!o) {
			mustache_add_text(p, pos, n);
			break;
		}
		size_t ts = (size_t)(o - s);
		size_t cs = ts + p->olen;
		char type = cs < n ? s[cs] : '\0';
		if (strchr("#^/><$!=&{", type) && type != '\0')
			cs++;
		else
			type = 'v';
		size_t ce, te;
		if (mustache_tag_end(p, ts, type, cs, &ce, &te))
			return -1;

		size_t ls = ts;
		while (ls > 0 && mustache_is_blank(s[ls - 1]))
			ls--;
		bool left = ls == 0 || s[ls - 1] == '\n';
		size_t r = te;
		while (r < n && mustache_is_blank(s[r]))
			r++;
		size_t rend = r;
		bool right = true;
		if (r == n)
			rend = n;
		else if (s[r] == '\n')
			rend = r + 1;
		else if (s[r] == '\r' && r + 1 < n && s[r + 1] == '\n')
			rend = r + 2;
		else
			right = false;
		bool can = type != 'v' && type != '&' && type != '{';
		bool in_parent = mustache_top(p)->n.kind == K_PARENT;
		bool standalone = can && left && right;

		if (type == '/') {
			if (mustache_close(p, ts, cs, ce, te, left, ls, right, rend, &pos))
				return -1;
			continue;
		}
		if (type == '$' && in_parent)
			standalone = right;
		mustache_add_text(p, pos, standalone && left ? ls : ts);
		const char *ws = s + ls;
		size_t ws_len = left ? ts - ls : 0;
		if (left) {
			size_t k = mustache_strip_len(p, ws, ws_len);
			ws += k;
			ws_len -= k;
		}
		pos = standalone ? rend : te;

		switch (type) {
		case '!':
			break;
		case '=':
			if (mustache_set_delims(p, ts, cs, ce))
				return -1;
			break;
		case 'v':
		case '&':
		case '{': {
			struct mustache_name nm = {0};
			if (mustache_parse_name(p, ts, s + cs, ce - cs, true, false, &nm, NULL))
				return -1;
			struct mustache_node *v = mustache_add(p, K_VAR);
			v->name = nm;
			v->escape = type == 'v';
			mustache_where(p, ts, &v->line, &v->col);
			break;
		}
		case '>': {
			struct mustache_name nm = {0};
			bool dyn;
			if (mustache_parse_name(p, ts, s + cs, ce - cs, false, true, &nm, &dyn))
				return -1;
			struct mustache_entry *en = NULL;
			if (!dyn && p->has_loader && !(en = mustache_lib_add(p->lib, nm.text))) {
				mustache_name_free(&nm);
				return mustache_perr(p, ts, "more than %d different partials",
						     MUSTACHE_MAX_PARTIALS);
			}
			if (standalone)
				p->bol = false;
			struct mustache_node *v = mustache_add(p, K_PARTIAL);
			v->name = nm;
			v->dynamic = dyn;
			v->target = en;
			if (standalone) {
				v->standalone = true;
				v->s = ws;
				v->len = ws_len;
			}
			mustache_where(p, ts, &v->line, &v->col);
			break;
		}
		default: { /* # ^ < $ */
			unsigned char kind = type == '#' ? K_SECTION : type == '^' ? K_INVERTED :
					     type == '<' ? K_PARENT : K_BLOCK;
			struct mustache_name nm = {0};
			bool dyn = false;
			if (mustache_parse_name(p, ts, s + cs, ce - cs, kind <= K_INVERTED,
						kind == K_PARENT, &nm, &dyn))
				return -1;
			struct mustache_entry *en = NULL;
			if (kind == K_PARENT && !dyn && p->has_loader &&
			    !(en = mustache_lib_add(p->lib, nm.text))) {
				mustache_name_free(&nm);
				return mustache_perr(p, ts, "more than %d different partials",
						     MUSTACHE_MAX_PARTIALS);
			}
			struct mustache_frame *up = mustache_top(p);
			const struct mustache_node *last = up->nkids ? &up->kids[up->nkids - 1] : NULL;
			bool lead_node = left && !standalone && last && last->kind == K_TEXT &&
					 last->s >= s + ls && last->s + last->len == s + ts;
			bool bol = standalone ? false : p->bol;
			if (mustache_push(p, kind, ts)) {
				mustache_name_free(&nm);
				return -1;
			}
			struct mustache_frame *f = mustache_top(p);
			f->n.name = nm;
			f->n.dynamic = dyn;
			f->n.target = en;
			f->n.bol = bol;
			f->left = left;
			f->eol = right;
			f->arg = kind == K_BLOCK && in_parent;
			f->lead_node = lead_node;
			f->ws = ws;
			f->ws_len = ws_len;
			if (kind == K_BLOCK && (f->arg ? right : standalone)) {
				size_t a = rend, b = rend;
				while (b < n && mustache_is_blank(s[b]))
					b++;
				size_t k = mustache_strip_len(p, s + a, b - a);
				f->rel = s + a + k;
				f->rel_len = b - a - k;
			}
			p->bol = false;
			break;
		}
		}
		if (standalone)
			p->bol = true;
	}
	if (p->nf > 1) {
		struct mustache_frame *f = mustache_top(p);
		const char *what = f->n.kind == K_PARENT ? "parent" : f->n.kind == K_BLOCK ? "block" : "section";
		char *q = mustache_show(f->n.name.text, strlen(f->n.name.text));
		mustache_perr(p, f->tag, "%s '%s' is never closed", what, q);
		free(q);
		return -1;
	}
	return 0;
}

static struct mustache_tmpl *mustache_tmpl_parse(struct mustache_lib *lib, bool has_loader,
						 const char *text, size_t len, struct err *e)
{
	struct mustache_tmpl *t = xcalloc(1, sizeof *t);
	t->src = xmalloc(len + 1);
	if (len)
		memcpy(t->src, text, len);
	t->src[len] = '\0';
	t->len = len;
	struct mustache_parser p = {
		.src = t->src, .len = len, .lib = lib, .has_loader = has_loader,
		.otag = "{{", .ctag = "}}", .olen = 2, .clen = 2, .bol = true,
		.cur_line = 1, .cur_col = 1, .e = e,
	};
	mustache_push(&p, K_SECTION, 0);
	int rc = mustache_parse_body(&p);
	if (rc == 0) {
		t->kids = p.f[0].kids;
		t->nkids = p.f[0].nkids;
		p.f[0].kids = NULL;
		p.f[0].nkids = 0;
	}
	for (size_t i = 0; i < p.nf; i++) {
		mustache_name_free(&p.f[i].n.name);
		mustache_nodes_free(p.f[i].kids, p.f[i].nkids);
	}
	free(p.f);
	if (rc) {
		mustache_tmpl_free(t);
		return NULL;
	}
	return t;
}

/* Loads and parses every partial named so far and not loaded yet; -1 with
 * the first error when one does not parse (those that do are kept). */
static int mustache_lib_load(const struct mustache *m, struct err *e)
{
	struct mustache_lib *l = m->lib;
	int rc = 0;
	while (l->loaded < l->n) {
		struct mustache_entry *en = l->v[l->loaded++];
		size_t len = 0;
		const char *text = m->o.partial(m->o.ud, en->name, &len);
		if (!text)
			continue;
		struct err pe = ERR_INIT;
		size_t before = l->n;
		en->t = mustache_tmpl_parse(l, true, text, len, &pe);
		if (en->t)
			continue;
		while (l->n > before) {
			struct mustache_entry *orphan = l->v[--l->n];
			free(orphan->name);
			free(orphan);
		}
		char *q = mustache_show(en->name, strlen(en->name));
		en->error = xasprintf("partial '%s': %s", q, pe.msg);
		free(q);
		if (rc == 0)
			rc = err_set(e, "%s", en->error);
	}
	return rc;
}

static void mustache_lib_free(struct mustache_lib *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		mustache_tmpl_free(l->v[i]->t);
		free(l->v[i]->name);
		free(l->v[i]->error);
		free(l->v[i]);
	}
	free(l->v);
	free(l);
}

struct mustache *mustache_parse(const char *tmpl, size_t len, const struct mustache_opts *o,
				struct err *e)
{
	static const struct mustache_opts defaults = MUSTACHE_OPTS_INIT;
	struct mustache *m = xcalloc(1, sizeof *m);
	m->o = o ? *o : defaults;
	if (m->o.max_depth <= 0)
		m->o.max_depth = MUSTACHE_MAX_DEPTH_DEFAULT;
	if (!m->o.max_output)
		m->o.max_output = MUSTACHE_MAX_OUTPUT_DEFAULT;
	if (!m->o.max_steps)
		m->o.max_steps = MUSTACHE_MAX_STEPS_DEFAULT;
	m->lib = xcalloc(1, sizeof *m->lib);
	m->root = mustache_tmpl_parse(m->lib, m->o.partial != NULL, tmpl ? tmpl : "", tmpl ? len : 0, e);
	if (!m->root || (m->o.partial && mustache_lib_load(m, e))) {
		mustache_free(m);
		return NULL;
	}
	return m;
}

void mustache_free(struct mustache *m)
{
	if (!m)
		return;
	mustache_tmpl_free(m->root);
	mustache_lib_free(m->lib);
	free(m);
}

/* ---- rendering ---- */

struct mustache_scope {
	const struct mustache_node *parent;  /* whose argument blocks apply */
	const struct mustache_entry *where;  /* the template they are written in */
	const struct mustache_scope *outer;
};

struct mustache_render {
	const struct mustache *m;
	struct buf *out;
	size_t base;
	const cJSON **stack;
	size_t sp, scap;
	struct buf ind;
	size_t ind_from;
	bool at_bol;
	int depth;
	int recursion;
	size_t steps;
	const struct mustache_entry *cur; /* NULL: the root template */
	struct err *e;
};

static int __attribute__((format(printf, 3, 4)))
mustache_rerr(struct mustache_render *r, const struct mustache_node *n, const char *fmt, ...)
{
	char msg[800];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	char pre[160] = "";
	if (r->cur) {
		char *q = mustache_show(r->cur->name, strlen(r->cur->name));
		snprintf(pre, sizeof pre, "partial '%s': ", q);
		free(q);
	}
	if (n)
		return err_set(r->e, "%sline %u, column %u: %s", pre, n->line, n->col, msg);
	return err_set(r->e, "%s", msg);
}

static int mustache_emit(struct mustache_render *r, const char *s, size_t n)
{
	if (!n)
		return 0;
	if (n > r->m->o.max_output - (r->out->len - r->base))
		return mustache_rerr(r, NULL, "the output would pass %zu bytes", r->m->o.max_output);
	buf_append(r->out, s, n);
	r->at_bol = s[n - 1] == '\n';
	return 0;
}

static int mustache_emit_html(struct mustache_render *r, const char *s, size_t n)
{
	size_t from = 0;
	for (size_t i = 0; i < n; i++) {
		const char *rep;
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		if (mustache_emit(r, s + from, i - from) || mustache_emit(r, rep, strlen(rep)))
			return -1;
		from = i + 1;
	}
	return mustache_emit(r, s + from, n - from);
}

static void mustache_number(double d, char *out, size_t size)
{
	if (d == 0) {
		snprintf(out, size, "0");
	} else if (isnan(d)) {
		snprintf(out, size, "NaN");
	} else if (isinf(d)) {
		snprintf(out, size, d < 0 ? "-Infinity" : "Infinity");
	} else if (fabs(d) < 1e21 && d == floor(d)) {
		snprintf(out, size, "%.0f", d);
	} else {
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(out, size, "%.*g", prec, d);
			if (strtod(out, NULL) == d)
				break;
		}
	}
}

static const cJSON *mustache_lookup(const struct mustache_render *r, const struct mustache_name *nm)
{
	if (!r->sp)
		return NULL;
	if (nm->nparts == 0)
		return r->stack[r->sp - 1];
	const char *part = nm->parts;
	const cJSON *v = NULL;
	for (size_t i = r->sp; i-- > 0;) {
		if (cJSON_IsObject(r->stack[i]) &&
		    (v = cJSON_GetObjectItemCaseSensitive(r->stack[i], part)) != NULL)
			break;
	}
	for (unsigned k = 1; v && k < nm->nparts; k++) {
		part += strlen(part) + 1;
		v = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, part) : NULL;
	}
	return v;
}

static bool mustache_truthy(const struct mustache_render *r, const cJSON *v)
{
	if (!v || cJSON_IsFalse(v) || cJSON_IsNull(v) || cJSON_IsInvalid(v))
		return false;
	if (cJSON_IsArray(v))
		return v->child != NULL;
	if (r->m->o.empty_string_falsey && cJSON_IsString(v))
		return v->valuestring && v->valuestring[0];
	return true;
}

/* The text {{x}} shows for v: *s, or *owned (caller frees). false: nothing. */
static bool mustache_text_of(const cJSON *v, char *num, size_t size, const char **s, char **owned)
{
	*owned = NULL;
	if (!v || cJSON_IsNull(v) || cJSON_IsInvalid(v))
		return false;
	if (cJSON_IsString(v) || cJSON_IsRaw(v)) {
		*s = v->valuestring ? v->valuestring : "";
	} else if (cJSON_IsNumber(v)) {
		mustache_number(v->valuedouble, num, size);
		*s = num;
	} else if (cJSON_IsBool(v)) {
		*s = cJSON_IsTrue(v) ? "true" : "false";
	} else {
		*owned = cJSON_PrintUnformatted(v);
		if (!*owned)
			return false;
		*s = *owned;
	}
	return true;
}

static int mustache_nodes(struct mustache_render *r, const struct mustache_node *v, size_t n,
			  const struct mustache_scope *sc);

static int mustache_push_ctx(struct mustache_render *r, const cJSON *v)
{
	XGROW(r->stack, r->scap, r->sp + 1);
	r->stack[r->sp++] = v;
	return 0;
}

static int mustache_section(struct mustache_render *r, const struct mustache_node *n,
			    const struct mustache_scope *sc)
{
	const cJSON *v = mustache_lookup(r, &n->name);
	if (n->kind == K_INVERTED)
		return mustache_truthy(r, v) ? 0 : mustache_nodes(r, n->kids, n->nkids, sc);
	if (!mustache_truthy(r, v))
		return 0;
	if (!cJSON_IsArray(v)) {
		mustache_push_ctx(r, v);
		int rc = mustache_nodes(r, n->kids, n->nkids, sc);
		r->sp--;
		return rc;
	}
	for (const cJSON *it = v->child; it; it = it->next) {
		mustache_push_ctx(r, it);
		int rc = mustache_nodes(r, n->kids, n->nkids, sc);
		r->sp--;
		if (rc)
			return rc;
	}
	return 0;
}

/* Renders kids with indentation: added to the current one, or alone when
 * fresh (an inline partial starts with none). */
static int mustache_indented(struct mustache_render *r, const char *ind, size_t len, bool fresh,
			     const struct mustache_node *kids, size_t nkids, const struct mustache_scope *sc,
			     const struct mustache_entry *cur)
{
	size_t saved_len = r->ind.len, saved_from = r->ind_from;
	const struct mustache_entry *saved_cur = r->cur;
	if (fresh)
		r->ind_from = r->ind.len;
	buf_append(&r->ind, ind, len);
	r->cur = cur;
	int rc = mustache_nodes(r, kids, nkids, sc);
	r->cur = saved_cur;
	buf_truncate(&r->ind, saved_len);
	r->ind_from = saved_from;
	return rc;
}

static int mustache_partial(struct mustache_render *r, const struct mustache_node *n,
			    const struct mustache_scope *sc)
{
	const struct mustache_entry *en = n->target;
	if (n->dynamic) {
		const cJSON *v = mustache_lookup(r, &n->name);
		char num[64], *owned;
		const char *name;
		if (!v || cJSON_IsArray(v) || cJSON_IsObject(v) ||
		    !mustache_text_of(v, num, sizeof num, &name, &owned) || !r->m->o.partial)
			return 0;
		struct err le = ERR_INIT;
		struct mustache_entry *found = mustache_lib_add(r->m->lib, name);
		if (!found)
			return mustache_rerr(r, n, "more than %d different partials", MUSTACHE_MAX_PARTIALS);
		if (r->m->lib->loaded < r->m->lib->n && mustache_lib_load(r->m, &le)) {
			if (!found->error)
				found->error = xstrdup(le.msg);
			return mustache_rerr(r, n, "%s", le.msg);
		}
		en = found;
	}
	if (!en)
		return 0;
	if (en->error)
		return mustache_rerr(r, n, "%s", en->error);
	if (!en->t)
		return 0;
	if (r->depth >= r->m->o.max_depth) {
		char *q = mustache_show(en->name, strlen(en->name));
		mustache_rerr(r, n, "partials nested more than %d deep at '%s' (does it include itself?)",
			      r->m->o.max_depth, q);
		free(q);
		return -1;
	}
	struct mustache_scope inner = {n, r->cur, sc};
	r->depth++;
	int rc = mustache_indented(r, n->s, n->len, !n->standalone, en->t->kids, en->t->nkids,
				   n->kind == K_PARENT ? &inner : sc, en);
	r->depth--;
	return rc;
}

static int mustache_block(struct mustache_render *r, const struct mustache_node *n,
			  const struct mustache_scope *sc)
{
	const struct mustache_scope *from = NULL;
	const struct mustache_node *arg = NULL;
	for (const struct mustache_scope *s = sc; s; s = s->outer) {
		for (size_t i = 0; i < s->parent->nkids; i++) {
			if (strcmp(s->parent->kids[i].name.text, n->name.text) == 0) {
				from = s;
				arg = &s->parent->kids[i];
				break;
			}
		}
	}
	if (!arg)
		return mustache_indented(r, n->dind, n->dind_len, false, n->kids, n->nkids, sc, r->cur);
	return mustache_indented(r, n->s, n->len, false, arg->kids, arg->nkids, from->outer, from->where);
}

static int mustache_nodes(struct mustache_render *r, const struct mustache_node *v, size_t n,
			  const struct mustache_scope *sc)
{
	if (r->recursion >= MUSTACHE_MAX_RECURSION)
		return mustache_rerr(r, NULL, "templates nested more than %d deep",
				     MUSTACHE_MAX_RECURSION);
	r->recursion++;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct mustache_node *x = &v[i];
		if (++r->steps > r->m->o.max_steps) {
			rc = mustache_rerr(r, NULL, "rendering takes more than %zu steps", r->m->o.max_steps);
			break;
		}
		if (x->bol && r->at_bol && r->ind.len > r->ind_from &&
		    !(x->kind == K_TEXT && x->len && (x->s[0] == '\n' || (x->s[0] == '\r' && x->len > 1 &&
									   x->s[1] == '\n'))) &&
		    mustache_emit(r, r->ind.data + r->ind_from, r->ind.len - r->ind_from)) {
			rc = -1;
			break;
		}
		switch (x->kind) {
		case K_TEXT:
			rc = mustache_emit(r, x->s, x->len);
			break;
		case K_VAR: {
			char num[64], *owned;
			const char *s;
			if (!mustache_text_of(mustache_lookup(r, &x->name), num, sizeof num, &s, &owned))
				break;
			if (x->escape && r->m->o.escape_html)
				rc = mustache_emit_html(r, s, strlen(s));
			else
				rc = mustache_emit(r, s, strlen(s));
			free(owned);
			break;
		}
		case K_SECTION:
		case K_INVERTED:
			rc = mustache_section(r, x, sc);
			break;
		case K_PARTIAL:
		case K_PARENT:
			rc = mustache_partial(r, x, sc);
			break;
		case K_BLOCK:
			rc = mustache_block(r, x, sc);
			break;
		}
	}
	r->recursion--;
	return rc;
}

int mustache_render(const struct mustache *m, const cJSON *data, struct buf *out, struct err *e)
{
	if (!m)
		return err_set(e, "no template to render");
	struct mustache_render r = {.m = m, .out = out, .base = out->len, .at_bol = true, .e = e};
	if (data)
		mustache_push_ctx(&r, data);
	int rc = mustache_nodes(&r, m->root->kids, m->root->nkids, NULL);
	free(r.stack);
	buf_free(&r.ind);
	if (rc)
		buf_truncate(out, r.base);
	return rc;
}

struct mustache_walk {
	mustache_name_fn fn;
	void *ud;
	const struct mustache_entry *seen[MUSTACHE_MAX_PARTIALS];
	size_t nseen;
};

/* Each partial is walked once: a partial including itself, or ten times
 * itself, adds nothing new. */
static void mustache_walk_top(struct mustache_walk *w, const struct mustache_node *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct mustache_node *k = &v[i];
		if (k->kind == K_VAR && k->name.nparts) {
			w->fn(w->ud, k->name.parts);
		} else if (k->kind == K_BLOCK || k->kind == K_PARENT) {
			mustache_walk_top(w, k->kids, k->nkids);
		}
		if ((k->kind == K_PARTIAL || k->kind == K_PARENT) && k->target && k->target->t) {
			size_t j = 0;
			while (j < w->nseen && w->seen[j] != k->target)
				j++;
			if (j < w->nseen || w->nseen == MUSTACHE_MAX_PARTIALS)
				continue;
			w->seen[w->nseen++] = k->target;
			mustache_walk_top(w, k->target->t->kids, k->target->t->nkids);
		}
	}
}

void mustache_top_names(const struct mustache *m, mustache_name_fn fn, void *ud)
{
	struct mustache_walk *w = xcalloc(1, sizeof *w);
	w->fn = fn;
	w->ud = ud;
	mustache_walk_top(w, m->root->kids, m->root->nkids);
	free(w);
}

char *mustache_render_string(const char *tmpl, const cJSON *data, const struct mustache_opts *o,
			     struct err *e)
{
	struct mustache *m = mustache_parse(tmpl, tmpl ? strlen(tmpl) : 0, o, e);
	if (!m)
		return NULL;
	struct buf out = BUF_INIT;
	int rc = mustache_render(m, data, &out, e);
	mustache_free(m);
	if (rc) {
		buf_free(&out);
		return NULL;
	}
	return buf_detach(&out);
}
