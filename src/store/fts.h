/* fts — the one builder of FTS5 MATCH expressions from what a person typed,
 * so no search of the house can be a syntax error or carry FTS5 operators.
 *
 * An expression is a list of terms, each written as an FTS5 string ("...",
 * a '"' inside doubled), optionally followed by '*' (a prefix query); a term
 * added twice (same text, same prefix) is kept once. Finishing joins the
 * terms: " " is FTS5's implicit AND (history search), " OR " ranks by how
 * many terms a row holds (knowledge-base search, kb/query.h).
 *
 * fts_phrase_query reads history's query language: words separated by
 * white space, "a quoted phrase" as one term, a trailing '*' making a prefix
 * query; AND, OR, NOT and NEAR are words like any other. A word without any
 * letter or digit (ASCII) or non-ASCII byte is dropped; at most max_words
 * terms are kept and each is cut to max_bytes without splitting a UTF-8
 * character. */
#ifndef AIWB_STORE_FTS_H
#define AIWB_STORE_FTS_H

#include <stddef.h>

struct fts_expr {
	char **terms; /* as written into the expression, quotes and '*' included */
	size_t n, cap;
};

#define FTS_EXPR_INIT { NULL, 0, 0 }

/* Adds s[0..n) as a term; returns 1, or 0 when the expression already holds it. */
int fts_expr_add(struct fts_expr *x, const char *s, size_t n, int prefix);
/* The terms joined by joiner (caller frees), NULL when there is none; x is
 * emptied and may be reused. */
char *fts_expr_finish(struct fts_expr *x, const char *joiner);
void fts_expr_free(struct fts_expr *x);

/* The expression for the user's query text (caller frees); NULL when it
 * holds no searchable word. */
char *fts_phrase_query(const char *text, int max_words, size_t max_bytes);

#endif
