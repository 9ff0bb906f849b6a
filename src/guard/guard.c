#include "guard/guard.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "guard/detect.h"
#include "guard/patterns.h"
#include "guard/scan.h"

struct guard {
	uint8_t dispatch[256];
	struct guard_words *words;
	struct guard_patterns *patterns;
};

#define TYPE_NAME(id, name, mask) name,
static const char *const type_names[] = { GUARD_TYPES(TYPE_NAME) };
#undef TYPE_NAME
#define TYPE_MASK(id, name, mask) mask,
static const char *const type_masks[] = { GUARD_TYPES(TYPE_MASK) };
#undef TYPE_MASK

static const char *const action_names[] = { "off", "report", "mask", "block" };

const char *guard_type_name(enum guard_type t)
{
	return (unsigned)t < GUARD_NTYPES ? type_names[t] : "unknown";
}

int guard_is_hidden(enum guard_type t)
{
	return t == GUARD_TAG_CHARS || t == GUARD_ZERO_WIDTH || t == GUARD_BIDI;
}

const char *guard_mask_of(const struct guard *g, const struct guard_finding *f)
{
	if (f->type == GUARD_CUSTOM) {
		const char *m = g && f->label ? guard_patterns_mask(g->patterns, f->label) : NULL;
		return m ? m : "[CUSTOM]";
	}
	const char *m = (unsigned)f->type < GUARD_NTYPES ? type_masks[f->type] : NULL;
	return m ? m : "";
}

int guard_action_parse(const char *s, enum guard_action *a)
{
	for (size_t i = 0; i < sizeof action_names / sizeof *action_names; i++) {
		if (strcmp(s, action_names[i]) == 0) {
			*a = (enum guard_action)i;
			return 0;
		}
	}
	return -1;
}

const char *guard_action_name(enum guard_action a)
{
	return (unsigned)a < sizeof action_names / sizeof *action_names ? action_names[a] : "off";
}

struct guard *guard_new(const struct guard_config *cfg, struct err *e)
{
	struct guard *g = xcalloc(1, sizeof *g);
	if (cfg && cfg->ndenied)
		g->words = guard_words_new(cfg->denied_words, cfg->ndenied);
	if (cfg && cfg->npatterns && !(g->patterns = guard_patterns_new(cfg->patterns, cfg->npatterns, e))) {
		guard_free(g);
		return NULL;
	}
	scan_dispatch_init(g->dispatch, g->words);
	return g;
}

void guard_free(struct guard *g)
{
	if (!g)
		return;
	guard_words_free(g->words);
	guard_patterns_free(g->patterns);
	free(g);
}

void guard_findings_clear(struct guard_findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].hidden);
	f->n = 0;
}

void guard_findings_free(struct guard_findings *f)
{
	guard_findings_clear(f);
	free(f->v);
	memset(f, 0, sizeof *f);
}

static int by_start(const void *a, const void *b)
{
	const struct guard_finding *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1;
	return (int)x->type - (int)y->type;
}

/* Around each run of hidden characters the text is scanned again without
 * them, so "jo<ZWSP>hn@example.com" is still an address. A window reaches
 * WINDOW bytes either side of the hidden runs it holds, widened to the next
 * white space; its findings replace those of the first pass inside it. */
#define WINDOW 256

#define REACH 64

static size_t widen_back(const char *t, size_t at, size_t floor)
{
	at = at > floor + REACH ? at - REACH : floor;
	size_t lim = at > floor + WINDOW ? at - WINDOW : floor;
	while (at > lim && !G_IS(t[at - 1], GC_SPACE))
		at--;
	return at;
}

static size_t widen_forward(const char *t, size_t len, size_t at)
{
	at = at + REACH < len ? at + REACH : len;
	size_t lim = at + WINDOW < len ? at + WINDOW : len;
	while (at < lim && !G_IS(t[at], GC_SPACE))
		at++;
	return at;
}

static int overlaps(const struct guard_finding *f, size_t a, size_t b)
{
	return f->start < b && f->end > a;
}

static void push(struct guard_findings *to, const struct guard_finding *f);

static void rescan_window(const struct guard *g, const char *text, size_t ws, size_t we, size_t h0, size_t h1,
			  struct guard_findings *out, struct guard_findings *hidden)
{
	size_t n = we - ws;
	char *clean = xmalloc(n + 1);
	size_t *map = xmalloc((n + 1) * sizeof *map);
	size_t m = 0, h = h0;
	for (size_t i = ws; i < we;) {
		if (h < h1 && hidden->v[h].start == i) {
			i = hidden->v[h++].end;
			continue;
		}
		map[m] = i;
		clean[m++] = text[i++];
	}
	map[m] = we;
	struct guard_findings found = { 0 };
	struct scan s = { .p = (const unsigned char *)clean, .n = m, .words = g->words, .out = &found };
	scan_run(&s, g->dispatch);
	for (size_t k = 0; k < found.n; k++) {
		struct guard_finding f = found.v[k];
		f.end = f.end ? map[f.end - 1] + 1 : map[0];
		f.start = map[f.start];
		int clash = 0;
		for (size_t j = 0; j < out->n && !clash; j++)
			clash = overlaps(&out->v[j], f.start, f.end);
		if (!clash)
			push(out, &f);
	}
	free(found.v);
	free(clean);
	free(map);
}

static void push(struct guard_findings *to, const struct guard_finding *f)
{
	XGROW(to->v, to->cap, to->n + 1);
	to->v[to->n++] = *f;
}

static void rescan_without_hidden(const struct guard *g, const char *text, size_t len,
				  struct guard_findings *out, size_t first)
{
	struct guard_findings hidden = { 0 }, rest = { 0 }, res = { 0 }, win = { 0 };
	for (size_t k = first; k < out->n; k++)
		push(guard_is_hidden(out->v[k].type) ? &hidden : &rest, &out->v[k]);
	out->n = first;
	if (rest.n)
		qsort(rest.v, rest.n, sizeof *rest.v, by_start);
	size_t floor = 0, r = 0;
	for (size_t h = 0; h < hidden.n;) {
		size_t h1 = h + 1;
		size_t ws = widen_back(text, hidden.v[h].start, floor);
		size_t we = widen_forward(text, len, hidden.v[h].end);
		while (h1 < hidden.n && hidden.v[h1].start <= we)
			we = widen_forward(text, len, hidden.v[h1++].end);
		/* first-pass findings wholly inside the window give way to the rescan */
		win.n = 0;
		while (r < rest.n && rest.v[r].start < we) {
			const struct guard_finding *f = &rest.v[r++];
			if (f->start >= ws && f->end <= we)
				continue;
			push(&res, f);
			if (overlaps(f, ws, we))
				push(&win, f);
		}
		size_t before = win.n;
		rescan_window(g, text, ws, we, h, h1, &win, &hidden);
		for (size_t k = before; k < win.n; k++)
			push(&res, &win.v[k]);
		floor = we;
		h = h1;
	}
	while (r < rest.n)
		push(&res, &rest.v[r++]);
	for (size_t k = 0; k < hidden.n; k++)
		push(out, &hidden.v[k]);
	for (size_t k = 0; k < res.n; k++)
		push(out, &res.v[k]);
	free(hidden.v);
	free(rest.v);
	free(res.v);
	free(win.v);
}

int guard_scan(const struct guard *g, const char *text, size_t len, struct guard_findings *out, struct err *e)
{
	size_t first = out->n;
	struct scan s = { .p = (const unsigned char *)text, .n = len, .words = g->words, .out = out };
	scan_run(&s, g->dispatch);
	if (s.nhidden) {
		for (size_t k = first; k < out->n; k++) {
			struct guard_finding *f = &out->v[k];
			if (f->type == GUARD_TAG_CHARS) {
				struct buf b = BUF_INIT;
				for (size_t i = f->start; i + 3 < f->end; i += 4) {
					unsigned cp = ((unsigned char)text[i + 2] & 0x3F) << 6 |
						      ((unsigned char)text[i + 3] & 0x3F);
					if (cp >= 0x20 && cp < 0x7F)
						buf_putc(&b, (char)cp);
				}
				f->hidden = buf_detach(&b);
			}
		}
		rescan_without_hidden(g, text, len, out, first);
	}
	int rc = 0;
	if (g->patterns)
		rc = guard_patterns_scan(g->patterns, text, len, &s, e);
	if (out->n > first)
		qsort(out->v + first, out->n - first, sizeof *out->v, by_start);
	return rc;
}

char *guard_redact(const struct guard *g, const char *text, size_t len, const struct guard_findings *f,
		   size_t *out_len)
{
	struct buf b = BUF_INIT;
	buf_grow(&b, len + 1);
	size_t at = 0;
	for (size_t k = 0; k < f->n; k++) {
		const struct guard_finding *x = &f->v[k];
		if (x->end <= at || x->start >= len)
			continue;
		size_t start = x->start > at ? x->start : at;
		buf_append(&b, text + at, start - at);
		buf_puts(&b, guard_mask_of(g, x));
		at = x->end < len ? x->end : len;
	}
	buf_append(&b, text + at, len - at);
	int hidden = 0;
	for (size_t k = 0; k < f->n && !hidden; k++)
		hidden = guard_is_hidden(f->v[k].type);
	if (hidden && b.len) { /* stray bytes either side of a removed character may join into a new one */
		size_t n = b.len;
		guard_strip_hidden(b.data, &n);
		buf_truncate(&b, n);
	}
	if (out_len)
		*out_len = b.len;
	char *r = buf_detach(&b);
	return r ? r : xstrdup("");
}

/* Keeps `head` characters and `tail` characters of the span. */
static void put_ends(struct buf *b, const char *s, size_t n, size_t head, size_t tail)
{
	if (head + tail >= n) {
		head = n > 2 ? 1 : 0;
		tail = 0;
	}
	while (head && head < n && ((unsigned char)s[head] & 0xC0) == 0x80)
		head--;
	while (tail && tail < n && ((unsigned char)s[n - tail] & 0xC0) == 0x80)
		tail--;
	buf_append(b, s, head);
	buf_puts(b, "***");
	buf_append(b, s + n - tail, tail);
}

char *guard_preview(const struct guard_finding *f, const char *text, size_t len)
{
	struct buf b = BUF_INIT;
	size_t start = f->start < len ? f->start : len, end = f->end < len ? f->end : len;
	const char *s = text + start;
	size_t n = end - start;
	switch (f->type) {
	case GUARD_EMAIL: {
		const char *at = memchr(s, '@', n);
		size_t local = at ? (size_t)(at - s) : n;
		put_ends(&b, s, local, 1, 0);
		buf_append(&b, s + local, n - local);
		break;
	}
	case GUARD_TAG_CHARS:
		buf_printf(&b, "hidden text \"%s\"", f->hidden ? f->hidden : "");
		break;
	case GUARD_ZERO_WIDTH:
	case GUARD_BIDI: {
		size_t chars = 0;
		for (size_t i = 0; i < n; i++)
			chars += ((unsigned char)s[i] & 0xC0) != 0x80;
		buf_printf(&b, "%zu invisible character%s", chars, chars == 1 ? "" : "s");
		break;
	}
	case GUARD_DENIED_WORD:
	case GUARD_IPV4:
	case GUARD_IPV6:
		buf_append(&b, s, n);
		break;
	case GUARD_CARD:
	case GUARD_IBAN:
		put_ends(&b, s, n, 4, 4);
		break;
	case GUARD_API_TOKEN:
	case GUARD_AWS_KEY_ID:
		put_ends(&b, s, n, n > 12 ? 6 : 2, 2);
		break;
	default:
		put_ends(&b, s, n, n > 8 ? 2 : 1, 2);
		break;
	}
	char *r = buf_detach(&b);
	return r ? r : xstrdup("");
}
