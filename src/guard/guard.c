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

/* Rescans text without its hidden characters and maps the spans back: the
 * built-in findings of the first pass are replaced by these. */
static void rescan_without_hidden(const struct guard *g, const char *text, size_t len, struct scan *s,
				  size_t first)
{
	struct guard_findings *out = s->out;
	char *clean = xmalloc(len + 1);
	size_t *map = xmalloc((len + 1) * sizeof *map);
	size_t n = 0, h = first;
	for (size_t i = 0; i < len;) {
		while (h < out->n && !guard_is_hidden(out->v[h].type))
			h++;
		if (h < out->n && out->v[h].start == i) {
			i = out->v[h++].end;
			continue;
		}
		map[n] = i;
		clean[n++] = text[i++];
	}
	map[n] = len;
	size_t kept = first;
	for (size_t k = first; k < out->n; k++)
		if (guard_is_hidden(out->v[k].type))
			out->v[kept++] = out->v[k];
	out->n = kept;
	struct scan again = { (const unsigned char *)clean, n, 0, g->words, out, 0 };
	scan_run(&again, g->dispatch);
	for (size_t k = kept; k < out->n; k++) {
		struct guard_finding *f = &out->v[k];
		f->end = f->end ? map[f->end - 1] + 1 : map[0];
		f->start = map[f->start];
	}
	free(clean);
	free(map);
}

int guard_scan(const struct guard *g, const char *text, size_t len, struct guard_findings *out, struct err *e)
{
	size_t first = out->n;
	struct scan s = { (const unsigned char *)text, len, 0, g->words, out, 0 };
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
		rescan_without_hidden(g, text, len, &s, first);
	}
	int rc = 0;
	if (g->patterns)
		rc = guard_patterns_scan(g->patterns, text, len, &s, e);
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
