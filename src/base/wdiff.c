#include "base/wdiff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

struct tok {
	size_t off, len;
	uint64_t h;
};

struct toks {
	struct tok *t;
	size_t n, cap;
};

struct ctx {
	const char *a, *b;
	struct wdiff_seg *segs;
	size_t n, cap;
	long work;
};

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static void add_tok(struct toks *ts, const char *s, size_t off, size_t len)
{
	XGROW(ts->t, ts->cap, ts->n + 1);
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[off + i]) * 1099511628211ULL;
	ts->t[ts->n++] = (struct tok){ off, len, h };
}

/* Words and runs of space, or (lines) lines with their '\n', over s[from..to). */
static void tokenize(const char *s, size_t from, size_t to, int lines, struct toks *ts)
{
	ts->n = 0;
	size_t i = from;
	while (i < to) {
		size_t start = i;
		if (lines) {
			while (i < to && s[i] != '\n')
				i++;
			if (i < to)
				i++;
		} else {
			int space = is_space(s[i]);
			while (i < to && is_space(s[i]) == space)
				i++;
		}
		add_tok(ts, s, start, i - start);
	}
}

static void emit(struct ctx *c, enum wdiff_op op, size_t a_off, size_t b_off, size_t len)
{
	if (!len)
		return;
	if (c->n) {
		struct wdiff_seg *l = &c->segs[c->n - 1];
		int a_next = l->a_off + (l->op == WDIFF_INSERT ? 0 : l->len) == a_off;
		int b_next = l->b_off + (l->op == WDIFF_DELETE ? 0 : l->len) == b_off;
		if (l->op == op && a_next && b_next) {
			l->len += len;
			return;
		}
	}
	XGROW(c->segs, c->cap, c->n + 1);
	c->segs[c->n++] = (struct wdiff_seg){ op, a_off, b_off, len };
}

static int tok_eq(struct ctx *c, const struct tok *x, const struct tok *y)
{
	if (x->h != y->h || x->len != y->len)
		return 0;
	c->work += 1 + (long)(x->len / 64);
	return memcmp(c->a + x->off, c->b + y->off, x->len) == 0;
}

/* Myers' greedy O(ND) diff of ta[0..n) and tb[0..m), keeping each round's
 * furthest points (rounds d hold diagonals -(d+1)..d+1) to walk the path back.
 * Emits the segments from byte positions a_pos, b_pos; -1 (nothing emitted)
 * past WDIFF_MAX_EDITS edits or when c->work passes limit. */
static int myers(struct ctx *c, const struct tok *ta, int n, const struct tok *tb, int m, size_t a_pos,
		 size_t b_pos, long limit)
{
	int max = n + m < WDIFF_MAX_EDITS ? n + m : WDIFF_MAX_EDITS;
	int off = max + 1;
	int *v = xcalloc((size_t)(2 * max + 3), sizeof *v);
	int *trace = xreallocarray(NULL, (size_t)(max + 1) * (size_t)(max + 3), sizeof *trace);
	int found = -1;
	for (int d = 0; d <= max && found < 0 && c->work <= limit; d++) {
		memcpy(trace + (size_t)d * (size_t)(d + 2), v + off - d - 1, (size_t)(2 * d + 3) * sizeof *v);
		for (int k = -d; k <= d; k += 2) {
			int x = (k == -d || (k != d && v[off + k - 1] < v[off + k + 1])) ? v[off + k + 1] : v[off + k - 1] + 1;
			int y = x - k;
			while (x < n && y < m && tok_eq(c, &ta[x], &tb[y]))
				x++, y++;
			v[off + k] = x;
			if (x >= n && y >= m) {
				found = d;
				break;
			}
		}
		c->work += d + 1;
	}
	free(v);
	if (found < 0) {
		free(trace);
		return -1;
	}
	char *ops = xmalloc((size_t)(n + m) + 1);
	size_t nops = 0;
	int x = n, y = m;
	for (int d = found; d >= 0; d--) {
		const int *t = trace + (size_t)d * (size_t)(d + 2) + d + 1; /* t[k] for k in -(d+1)..d+1 */
		int k = x - y;
		int pk = (k == -d || (k != d && t[k - 1] < t[k + 1])) ? k + 1 : k - 1;
		int px = t[pk], py = px - pk;
		while (x > px && y > py) {
			ops[nops++] = 'e';
			x--, y--;
		}
		if (d > 0)
			ops[nops++] = x == px ? 'i' : 'd';
		x = px;
		y = py;
	}
	free(trace);
	x = y = 0;
	while (nops--) {
		char op = ops[nops];
		if (op == 'e') {
			emit(c, WDIFF_EQUAL, a_pos, b_pos, ta[x].len);
			a_pos += ta[x].len;
			b_pos += ta[x].len;
			x++, y++;
		} else if (op == 'd') {
			emit(c, WDIFF_DELETE, a_pos, b_pos, ta[x].len);
			a_pos += ta[x++].len;
		} else {
			emit(c, WDIFF_INSERT, a_pos, b_pos, tb[y].len);
			b_pos += tb[y++].len;
		}
	}
	free(ops);
	return 0;
}

static void replace(struct ctx *c, size_t a_lo, size_t a_hi, size_t b_lo, size_t b_hi)
{
	emit(c, WDIFF_DELETE, a_lo, b_lo, a_hi - a_lo);
	emit(c, WDIFF_INSERT, a_hi, b_lo, b_hi - b_lo);
}

static int words(struct ctx *c, struct toks *ta, struct toks *tb, size_t a_lo, size_t a_hi, size_t b_lo,
		 size_t b_hi, long limit)
{
	tokenize(c->a, a_lo, a_hi, 0, ta);
	tokenize(c->b, b_lo, b_hi, 0, tb);
	if (ta->n > INT32_MAX / 4 || tb->n > INT32_MAX / 4)
		return -1;
	return myers(c, ta->t, (int)ta->n, tb->t, (int)tb->n, a_lo, b_lo, limit);
}

/* The word diff did not fit: lines first, then words within each changed block. */
static int coarse(struct ctx *c, struct toks *ta, struct toks *tb, size_t a_lo, size_t a_hi, size_t b_lo,
		  size_t b_hi)
{
	struct ctx lines = { c->a, c->b, NULL, 0, 0, 0 };
	tokenize(c->a, a_lo, a_hi, 1, ta);
	tokenize(c->b, b_lo, b_hi, 1, tb);
	if (ta->n > INT32_MAX / 4 || tb->n > INT32_MAX / 4 ||
	    myers(&lines, ta->t, (int)ta->n, tb->t, (int)tb->n, a_lo, b_lo, WDIFF_MAX_WORK) != 0) {
		replace(c, a_lo, a_hi, b_lo, b_hi);
		return 0;
	}
	int exact = 1;
	c->work = 0;
	for (size_t i = 0; i < lines.n;) {
		if (lines.segs[i].op == WDIFF_EQUAL) {
			emit(c, WDIFF_EQUAL, lines.segs[i].a_off, lines.segs[i].b_off, lines.segs[i].len);
			i++;
			continue;
		}
		size_t ha = lines.segs[i].a_off, hb = lines.segs[i].b_off, ea = ha, eb = hb;
		for (; i < lines.n && lines.segs[i].op != WDIFF_EQUAL; i++) {
			if (lines.segs[i].op == WDIFF_DELETE)
				ea += lines.segs[i].len;
			else
				eb += lines.segs[i].len;
		}
		if (ea == ha || eb == hb || words(c, ta, tb, ha, ea, hb, eb, WDIFF_MAX_WORK) != 0) {
			exact &= ea == ha || eb == hb;
			replace(c, ha, ea, hb, eb);
		}
	}
	free(lines.segs);
	return exact;
}

static int all_space(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_space(s[i]))
			return 0;
	return 1;
}

/* White space alone between two changes joins them; each run of changes
 * becomes one DELETE then one INSERT. */
static void tidy(struct ctx *c)
{
	struct ctx out = { c->a, c->b, NULL, 0, 0, 0 };
	for (size_t i = 0; i < c->n;) {
		if (c->segs[i].op == WDIFF_EQUAL) {
			emit(&out, WDIFF_EQUAL, c->segs[i].a_off, c->segs[i].b_off, c->segs[i].len);
			i++;
			continue;
		}
		size_t a0 = c->segs[i].a_off, b0 = c->segs[i].b_off, dl = 0, il = 0;
		while (i < c->n) {
			const struct wdiff_seg *s = &c->segs[i];
			if (s->op == WDIFF_EQUAL && !(i + 1 < c->n && c->segs[i + 1].op != WDIFF_EQUAL &&
						      all_space(c->a + s->a_off, s->len)))
				break;
			dl += s->op == WDIFF_INSERT ? 0 : s->len;
			il += s->op == WDIFF_DELETE ? 0 : s->len;
			i++;
		}
		emit(&out, WDIFF_DELETE, a0, b0, dl);
		emit(&out, WDIFF_INSERT, a0 + dl, b0, il);
	}
	free(c->segs);
	*c = out;
}

int wdiff(const char *a, size_t alen, const char *b, size_t blen, struct wdiff_seg **segs, size_t *n)
{
	struct ctx c = { a, b, NULL, 0, 0, 0 };
	struct toks ta = { 0 }, tb = { 0 };
	tokenize(a, 0, alen, 0, &ta);
	tokenize(b, 0, blen, 0, &tb);
	size_t pre = 0, suf = 0;
	while (pre < ta.n && pre < tb.n && tok_eq(&c, &ta.t[pre], &tb.t[pre]))
		pre++;
	while (suf < ta.n - pre && suf < tb.n - pre && tok_eq(&c, &ta.t[ta.n - 1 - suf], &tb.t[tb.n - 1 - suf]))
		suf++;
	size_t a_lo = pre ? ta.t[pre - 1].off + ta.t[pre - 1].len : 0, b_lo = a_lo;
	size_t a_hi = suf ? ta.t[ta.n - suf].off : alen, b_hi = suf ? tb.t[tb.n - suf].off : blen;
	emit(&c, WDIFF_EQUAL, 0, 0, a_lo);
	int exact = 1;
	c.work = 0;
	if (a_lo == a_hi || b_lo == b_hi)
		replace(&c, a_lo, a_hi, b_lo, b_hi);
	else if (ta.n - pre - suf > INT32_MAX / 4 || tb.n - pre - suf > INT32_MAX / 4 ||
		 myers(&c, ta.t + pre, (int)(ta.n - pre - suf), tb.t + pre, (int)(tb.n - pre - suf), a_lo, b_lo,
		       WDIFF_MAX_WORK) != 0)
		exact = coarse(&c, &ta, &tb, a_lo, a_hi, b_lo, b_hi);
	emit(&c, WDIFF_EQUAL, a_hi, b_hi, alen - a_hi);
	free(ta.t);
	free(tb.t);
	tidy(&c);
	*segs = c.segs;
	*n = c.n;
	return exact;
}
