#include "store/fts.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmalloc.h"

int fts_expr_add(struct fts_expr *x, const char *s, size_t n, int prefix)
{
	struct buf t = BUF_INIT;
	buf_putc(&t, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			buf_putc(&t, '"');
		buf_putc(&t, s[i]);
	}
	buf_puts(&t, prefix ? "\"*" : "\"");
	for (size_t i = 0; i < x->n; i++)
		if (strcmp(x->terms[i], t.data) == 0) {
			buf_free(&t);
			return 0;
		}
	XGROW(x->terms, x->cap, x->n + 1);
	x->terms[x->n++] = buf_detach(&t);
	return 1;
}

char *fts_expr_finish(struct fts_expr *x, const char *joiner)
{
	char *out = NULL;
	if (x->n) {
		struct buf b = BUF_INIT;
		for (size_t i = 0; i < x->n; i++) {
			if (i)
				buf_puts(&b, joiner);
			buf_puts(&b, x->terms[i]);
		}
		out = buf_detach(&b);
	}
	fts_expr_free(x);
	return out;
}

void fts_expr_free(struct fts_expr *x)
{
	for (size_t i = 0; i < x->n; i++)
		free(x->terms[i]);
	free(x->terms);
	memset(x, 0, sizeof *x);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Bytes the unicode61 tokenizer may keep: ASCII letters and digits, and any
 * non-ASCII byte (a non-ASCII word of punctuation only becomes an empty
 * phrase, which FTS5 drops from an implicit AND). */
static int has_token_char(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80)
			return 1;
	}
	return 0;
}

static size_t cut_word(const char *s, size_t n, size_t max_bytes)
{
	if (n <= max_bytes)
		return n;
	n = max_bytes;
	while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

char *fts_phrase_query(const char *text, int max_words, size_t max_bytes)
{
	struct fts_expr x = FTS_EXPR_INIT;
	const char *p = text ? text : "";
	int words = 0;
	while (words < max_words) {
		while (is_space(*p))
			p++;
		if (!*p)
			break;
		const char *start;
		size_t n;
		int prefix = 0;
		if (*p == '"') {
			start = ++p;
			while (*p && *p != '"')
				p++;
			n = (size_t)(p - start);
			if (*p)
				p++;
		} else {
			start = p;
			while (*p && !is_space(*p))
				p++;
			n = (size_t)(p - start);
		}
		while (*p == '*') {
			prefix = 1;
			p++;
		}
		while (n && start[n - 1] == '*') {
			prefix = 1;
			n--;
		}
		if (has_token_char(start, n))
			words += fts_expr_add(&x, start, cut_word(start, n, max_bytes), prefix);
	}
	return fts_expr_finish(&x, " ");
}
