/* kb/query — what a person typed into an FTS5 MATCH expression that can never
 * be a syntax error and never carries FTS5 operators.
 *
 * The text is split into words: maximal runs of ASCII letters and digits and
 * of any non-ASCII UTF-8 character (so accented words and CJK stay whole;
 * invalid UTF-8 is dropped). Everything else (quotes, '*', '-', ':', '^',
 * parentheses, NEAR(...)) separates words and means nothing; AND, OR, NOT and
 * NEAR are words like any other. Each word is lower-cased (ASCII) and written
 * as an FTS5 string "word" (store/fts.h), so the tokenizer (porter, unicode61) treats it as
 * it treated the documents. Words are joined with OR: BM25 ranks documents
 * by how many of the words they hold and how rare those are.
 *
 * Stop words (a fixed list of common English function words) are dropped
 * when the query has any other word; a query of stop words only keeps them,
 * so "to be or not to be" still finds what holds them. A repeated word counts
 * once; at most KB_QUERY_WORDS_MAX words of at most KB_QUERY_WORD_MAX bytes
 * each are kept (a longer word is cut at a character boundary), so a pasted
 * page cannot make a search slow. */
#ifndef AIWB_KB_QUERY_H
#define AIWB_KB_QUERY_H

#include <stddef.h>

#define KB_QUERY_WORDS_MAX 64
#define KB_QUERY_WORD_MAX 64

struct kb_query {
	char *fts;        /* the MATCH expression; NULL when the text has no word */
	char **words;     /* the words kept, lower-cased */
	size_t nwords;
	int stop_only;    /* every word was a stop word */
};

/* Fills q (free with kb_query_free). */
void kb_query_build(const char *text, struct kb_query *q);
void kb_query_free(struct kb_query *q);
int kb_query_is_stop_word(const char *w);

#endif
