#include "kb/chunk.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/tokens.h"
#include "base/xmalloc.h"

struct chunks {
	struct kb_chunk *v;
	size_t n, cap;
};

static int is_space(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\f' || c == '\v' || c == '\r';
}

static int is_cont(char c)
{
	return ((unsigned char)c & 0xC0) == 0x80;
}

static void push(struct chunks *cs, const char *text, size_t start, size_t end, const char *heading)
{
	while (start < end && is_space(text[start]))
		start++;
	while (end > start && is_space(text[end - 1]))
		end--;
	if (start >= end)
		return;
	XGROW(cs->v, cs->cap, cs->n + 1);
	struct kb_chunk *c = &cs->v[cs->n++];
	c->start = start;
	c->end = end;
	c->heading = xstrdup(heading ? heading : "");
	c->tokens = (int)tokens_estimate(end - start);
}

/* A cut point at or before `at` and after `lo`: white space preferred, else a character boundary. */
static size_t cut_before(const char *text, size_t lo, size_t at)
{
	for (size_t i = at; i > lo + (at - lo) / 2; i--)
		if (is_space(text[i - 1]))
			return i;
	while (at > lo + 1 && is_cont(text[at]))
		at--;
	return at;
}

static void fixed(struct chunks *cs, const char *text, size_t lo, size_t hi, size_t window, size_t overlap,
		  const char *heading)
{
	size_t start = lo;
	while (start < hi) {
		while (start < hi && is_space(text[start]))
			start++;
		if (start >= hi)
			break;
		if (hi - start <= window) {
			push(cs, text, start, hi, heading);
			break;
		}
		size_t end = cut_before(text, start, start + window);
		push(cs, text, start, end, heading);
		size_t next = end > start + overlap ? end - overlap : end;
		if (next <= start)
			next = end;
		if (next < end) {
			/* start the overlap at a word */
			size_t w = next;
			while (w < end && !is_space(text[w - 1]))
				w++;
			next = w < end ? w : next;
			while (next < end && is_cont(text[next]))
				next++;
		}
		start = next;
	}
}

/* ---- markdown */

struct section {
	size_t start, end;
	int level;          /* 0: text before the first heading */
	char *path;
};

static size_t line_end(const char *t, size_t i, size_t n)
{
	const char *nl = memchr(t + i, '\n', n - i);
	return nl ? (size_t)(nl - t) + 1 : n;
}

static int fence_of(const char *t, size_t i, size_t e)
{
	size_t j = i;
	while (j < e && j - i < 3 && t[j] == ' ')
		j++;
	if (e - j >= 3 && (memcmp(t + j, "```", 3) == 0 || memcmp(t + j, "~~~", 3) == 0))
		return t[j];
	return 0;
}

/* Level 1-6 for an ATX heading line, with its text in [*ts, *te). */
static int heading_of(const char *t, size_t i, size_t e, size_t *ts, size_t *te)
{
	size_t j = i;
	while (j < e && j - i < 3 && t[j] == ' ')
		j++;
	int level = 0;
	while (j < e && t[j] == '#' && level < 7) {
		level++;
		j++;
	}
	if (level < 1 || level > 6 || (j < e && t[j] != ' ' && t[j] != '\t' && t[j] != '\n'))
		return 0;
	while (j < e && (t[j] == ' ' || t[j] == '\t'))
		j++;
	size_t k = e;
	while (k > j && is_space(t[k - 1]))
		k--;
	size_t h = k;
	while (h > j && t[h - 1] == '#')
		h--;
	if (h < k && (h == j || t[h - 1] == ' ' || t[h - 1] == '\t'))
		k = h;
	while (k > j && is_space(t[k - 1]))
		k--;
	*ts = j;
	*te = k;
	return level;
}

static size_t sections_of(const char *t, size_t n, struct section **out)
{
	struct section *v = NULL;
	size_t nv = 0, cap = 0;
	char *stack[7] = { 0 };
	int fence = 0;
	size_t sec_start = 0;
	int sec_level = 0;
	char *sec_path = xstrdup("");
	for (size_t i = 0; i < n;) {
		size_t e = line_end(t, i, n);
		int f = fence_of(t, i, e);
		size_t ts, te;
		int level = 0;
		if (fence) {
			if (f == fence)
				fence = 0;
		} else if (f) {
			fence = f;
		} else {
			level = heading_of(t, i, e, &ts, &te);
		}
		if (level) {
			if (i > sec_start || nv == 0) {
				XGROW(v, cap, nv + 1);
				v[nv++] = (struct section){ sec_start, i, sec_level, sec_path };
			} else {
				free(sec_path);
			}
			for (int l = level; l <= 6; l++) {
				free(stack[l]);
				stack[l] = NULL;
			}
			stack[level] = xstrndup(t + ts, te - ts);
			struct buf p = BUF_INIT;
			for (int l = 1; l <= 6; l++) {
				if (!stack[l])
					continue;
				if (p.len)
					buf_puts(&p, " > ");
				buf_puts(&p, stack[l]);
			}
			sec_path = buf_detach(&p);
			if (!sec_path)
				sec_path = xstrdup("");
			sec_start = i;
			sec_level = level;
		}
		i = e;
	}
	if (nv == cap)
		v = xreallocarray(v, cap + 1, sizeof *v);
	v[nv++] = (struct section){ sec_start, n, sec_level, sec_path };
	for (int l = 0; l <= 6; l++)
		free(stack[l]);
	*out = v;
	return nv;
}

static int has_text(const char *t, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++)
		if (!is_space(t[i]))
			return 1;
	return 0;
}

static void markdown(struct chunks *cs, const char *t, size_t n, size_t window, size_t overlap)
{
	struct section *s;
	size_t ns = sections_of(t, n, &s);
	size_t tiny = window / 4;
	for (size_t i = 0; i < ns; i++) {
		if (!has_text(t, s[i].start, s[i].end))
			continue;
		size_t start = s[i].start, end = s[i].end;
		const char *path = s[i].path;
		/* merge tiny sections forward while the next one is deeper or a sibling and the result stays small */
		while (end - start < tiny && i + 1 < ns && s[i + 1].level >= s[i].level && s[i + 1].level > 0 &&
		       s[i + 1].end - start <= window) {
			i++;
			end = s[i].end;
		}
		if (end - start <= window)
			push(cs, t, start, end, path);
		else
			fixed(cs, t, start, end, window, overlap, path);
	}
	for (size_t i = 0; i < ns; i++)
		free(s[i].path);
	free(s);
}

/* ---- sentence / paragraph */

static size_t paragraph_end(const char *t, size_t i, size_t n)
{
	while (i < n) {
		size_t e = line_end(t, i, n);
		if (e < n && !has_text(t, e, line_end(t, e, n)))
			return line_end(t, e, n);
		i = e;
	}
	return n;
}

static size_t sentence_end(const char *t, size_t i, size_t n)
{
	for (; i < n; i++)
		if ((t[i] == '.' || t[i] == '!' || t[i] == '?') && (i + 1 == n || is_space(t[i + 1])))
			return i + 1;
	return n;
}

struct packer {
	struct chunks *cs;
	const char *t;
	size_t window, start, end;
	int open;
};

static void pack_flush(struct packer *p)
{
	if (p->open)
		push(p->cs, p->t, p->start, p->end, "");
	p->open = 0;
}

static void pack(struct packer *p, size_t a, size_t b)
{
	if (!has_text(p->t, a, b))
		return;
	if (p->open && b - p->start > p->window)
		pack_flush(p);
	if (!p->open) {
		p->start = a;
		p->open = 1;
	}
	p->end = b;
}

static void sentence(struct chunks *cs, const char *t, size_t n, size_t window)
{
	struct packer p = { cs, t, window, 0, 0, 0 };
	for (size_t i = 0; i < n;) {
		size_t e = paragraph_end(t, i, n);
		if (e - i <= window) {
			pack(&p, i, e);
		} else {
			for (size_t j = i; j < e;) {
				size_t se = sentence_end(t, j, e);
				if (se - j <= window) {
					pack(&p, j, se);
				} else {
					pack_flush(&p);
					fixed(cs, t, j, se, window, 0, "");
				}
				j = se;
			}
		}
		i = e;
	}
	pack_flush(&p);
}

size_t kb_chunk_text(const char *text, size_t len, const struct kb_chunk_opts *o, struct kb_chunk **out)
{
	struct chunks cs = { 0 };
	int tokens = o->tokens < KB_CHUNK_TOKENS_MIN ? KB_CHUNK_TOKENS_MIN
		     : o->tokens > KB_CHUNK_TOKENS_MAX ? KB_CHUNK_TOKENS_MAX : o->tokens;
	int overlap = o->overlap < 0 ? 0 : o->overlap > tokens / 2 ? tokens / 2 : o->overlap;
	size_t window = tokens_bytes(tokens), ov = tokens_bytes(overlap);
	switch (o->chunker) {
	case KB_CHUNK_MARKDOWN:
		markdown(&cs, text, len, window, ov);
		break;
	case KB_CHUNK_SENTENCE:
		sentence(&cs, text, len, window);
		break;
	default:
		fixed(&cs, text, 0, len, window, ov, "");
		break;
	}
	*out = cs.v;
	return cs.n;
}

void kb_chunks_free(struct kb_chunk *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(c[i].heading);
	free(c);
}

static const char *const chunker_names[] = { "fixed", "markdown", "sentence" };

int kb_chunker_parse(const char *name)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(name, chunker_names[i]) == 0)
			return i;
	return -1;
}

const char *kb_chunker_name(enum kb_chunker c)
{
	return (unsigned)c < 3 ? chunker_names[c] : "fixed";
}
