#include "kb/query.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "store/fts.h"

/* Common English function words (close to the Lucene/Elasticsearch English list). */
static const char *const stop_words[] = {
	"a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "he", "her", "his",
	"i", "if", "in", "into", "is", "it", "its", "me", "my", "no", "not", "of", "on", "or", "our", "she",
	"so", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was", "we",
	"were", "what", "when", "which", "who", "will", "with", "you", "your", NULL,
};

int kb_query_is_stop_word(const char *w)
{
	for (int i = 0; stop_words[i]; i++)
		if (strcmp(w, stop_words[i]) == 0)
			return 1;
	return 0;
}

static int is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Length of a valid UTF-8 character of 2-4 bytes at s, else 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t need;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		need = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		need = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		need = 4;
	else
		return 0;
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	if (need == 3 && ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] > 0x9F)))
		return 0;
	if (need == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] > 0x8F)))
		return 0;
	return need;
}

static void add_word(struct kb_query *q, struct buf *w, size_t *cap)
{
	if (!w->len)
		return;
	char *word = buf_detach(w);
	for (size_t i = 0; i < q->nwords; i++)
		if (strcmp(q->words[i], word) == 0) {
			free(word);
			return;
		}
	if (q->nwords >= KB_QUERY_WORDS_MAX) {
		free(word);
		return;
	}
	q->words = xgrow(q->words, cap, q->nwords + 1, sizeof *q->words);
	q->words[q->nwords++] = word;
}

void kb_query_build(const char *text, struct kb_query *q)
{
	memset(q, 0, sizeof *q);
	const unsigned char *s = (const unsigned char *)(text ? text : "");
	size_t n = strlen((const char *)s), cap = 0;
	struct buf w = BUF_INIT;
	for (size_t i = 0; i < n;) {
		size_t len = 0;
		if (is_alnum(s[i]))
			len = 1;
		else if (s[i] >= 0x80)
			len = utf8_len(s + i, n - i);
		if (!len) {
			add_word(q, &w, &cap);
			i++;
			continue;
		}
		if (w.len + len <= KB_QUERY_WORD_MAX) {
			if (len == 1)
				buf_putc(&w, (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]));
			else
				buf_append(&w, s + i, len);
		}
		i += len;
	}
	add_word(q, &w, &cap);
	buf_free(&w);
	size_t content = 0;
	for (size_t i = 0; i < q->nwords; i++)
		content += !kb_query_is_stop_word(q->words[i]);
	q->stop_only = q->nwords && content == 0;
	if (content && content < q->nwords) {
		size_t k = 0;
		for (size_t i = 0; i < q->nwords; i++) {
			if (kb_query_is_stop_word(q->words[i]))
				free(q->words[i]);
			else
				q->words[k++] = q->words[i];
		}
		q->nwords = k;
	}
	if (!q->nwords)
		return;
	struct fts_expr x = FTS_EXPR_INIT;
	for (size_t i = 0; i < q->nwords; i++)
		fts_expr_add(&x, q->words[i], strlen(q->words[i]), 0);
	q->fts = fts_expr_finish(&x, " OR ");
}

void kb_query_free(struct kb_query *q)
{
	for (size_t i = 0; i < q->nwords; i++)
		free(q->words[i]);
	free(q->words);
	free(q->fts);
	memset(q, 0, sizeof *q);
}
