/* Denied words: whole words (or phrases), ASCII case-insensitive, found at
 * the start of a word by the single pass. */
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "guard/detect.h"

struct guard_words {
	char **v;          /* sorted by first byte (lower-cased), longest first */
	size_t *len;
	size_t n;
	size_t first[257]; /* v[first[c] .. first[c+1]) start with byte c (lower-cased) */
};

static unsigned char fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static int by_first_then_longer(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	int fx = fold((unsigned char)x[0]), fy = fold((unsigned char)y[0]);
	if (fx != fy)
		return fx - fy;
	size_t lx = strlen(x), ly = strlen(y);
	return lx < ly ? 1 : lx > ly ? -1 : 0;
}

struct guard_words *guard_words_new(const char *const *words, size_t n)
{
	struct guard_words *w = xcalloc(1, sizeof *w);
	w->v = xcalloc(n ? n : 1, sizeof *w->v);
	for (size_t i = 0; i < n; i++)
		if (words[i] && words[i][0])
			w->v[w->n++] = xstrdup(words[i]);
	qsort(w->v, w->n, sizeof *w->v, by_first_then_longer);
	w->len = xcalloc(w->n ? w->n : 1, sizeof *w->len);
	for (size_t i = 0; i < w->n; i++)
		w->len[i] = strlen(w->v[i]);
	size_t k = 0;
	for (int c = 0; c < 256; c++) {
		w->first[c] = k;
		while (k < w->n && fold((unsigned char)w->v[k][0]) == c)
			k++;
	}
	w->first[256] = w->n;
	return w;
}

void guard_words_free(struct guard_words *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	free(w->len);
	free(w);
}

int guard_words_may_start(const struct guard_words *w, unsigned char c)
{
	c = fold(c);
	return w->first[c] != w->first[c + 1];
}

static int word_byte(unsigned char c)
{
	return G_IS(c, GC_WORD) || c >= 0x80;
}

size_t detect_denied(struct scan *s, size_t i)
{
	const struct guard_words *w = s->words;
	unsigned char c = fold(s->p[i]);
	for (size_t k = w->first[c]; k < w->first[c + 1]; k++) {
		size_t len = w->len[k];
		if (len > s->n - i)
			continue;
		const unsigned char *word = (const unsigned char *)w->v[k];
		size_t j = 0;
		while (j < len && fold(s->p[i + j]) == fold(word[j]))
			j++;
		if (j < len)
			continue;
		if (i + len < s->n && word_byte(s->p[i + len]) && word_byte(word[len - 1]))
			continue;
		scan_add(s, GUARD_DENIED_WORD, i, i + len, 1.0f, w->v[k]);
		return i + len;
	}
	return 0;
}
