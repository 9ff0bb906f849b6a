/* kb/filter — metadata filter expressions for kb search, compiled to one SQL
 * boolean expression over a document row `d` (kb_docs) with bound values, so
 * a filter is applied inside the search (top-k among matching chunks) and no
 * text of it ever becomes SQL.
 *
 *   expr    := or
 *   or      := and ( OR and )*
 *   and     := unary ( AND unary )*
 *   unary   := NOT unary | '(' expr ')' | compare
 *   compare := KEY op value | KEY [NOT] IN '(' value ( ',' value )* ')'
 *            | KEY [NOT] GLOB value
 *   op      := = | != | <> | < | <= | > | >=
 *   value   := 'text' | "text" (a doubled quote is one quote) | true | false
 *            | a bare word: a number when it reads as one (2024, -1.5, 1e3),
 *              else text (docs, 2024-06-01, *.md)
 * Keywords are case-insensitive. KEY is [A-Za-z_][A-Za-z0-9_.-]*: a metadata
 * key (front matter, JSON/CSV fields), except path, name, title and format,
 * which are the document's own. Comparisons are typed: a number compares
 * with numbers, text with text (byte order), true/false with booleans
 * (only = and !=); a value of another type never matches. A key holding a
 * list matches when any element does (tags IN (aws, ml)). A comparison on
 * a key the document lacks is false, and NOT negates that: NOT year > 2020
 * holds for documents without a year; year != 2020 needs a year. GLOB is
 * SQLite's (case-sensitive, * also matches '/').
 *
 * A malformed filter is one error "column N: ..." naming the character where
 * it broke. Limits: KB_FILTER_MAX_LEN bytes, KB_FILTER_MAX_DEPTH nested
 * parentheses/NOTs, KB_FILTER_MAX_TERMS comparisons and list values. */
#ifndef AIWB_KB_FILTER_H
#define AIWB_KB_FILTER_H

#include <sqlite3.h>
#include <stddef.h>

#include "base/err.h"

#define KB_FILTER_MAX_LEN 4096
#define KB_FILTER_MAX_DEPTH 32
#define KB_FILTER_MAX_TERMS 256

struct kb_filter_value {
	int type;      /* 't' text, 'n' number, 'b' boolean */
	char *text;    /* text, or the JSON path of a key */
	double num;
};

struct kb_filter {
	char *sql;                       /* uses ?first .. ?first+nvalues-1 */
	struct kb_filter_value *values;
	size_t nvalues;
	int first;
};

/* The parsed expression, for translating it to another filter language
 * (kb/bedrockfilter.h). AND and OR hold two or more kids in the order
 * written (parentheses nest them), NOT one. A comparison holds key, op and
 * one value; IN its list; GLOB its pattern (a text value). negated: written
 * NOT IN or NOT GLOB. Values are typed as for the SQL (text, number, bool). */
enum kb_filter_kind { KB_FILTER_CMP, KB_FILTER_IN, KB_FILTER_GLOB, KB_FILTER_AND, KB_FILTER_OR, KB_FILTER_NOT };

struct kb_filter_node {
	enum kb_filter_kind kind;
	char op[8];      /* CMP: "=", "!=", "<", "<=", ">", ">=" */
	int negated;     /* IN, GLOB */
	char *key;
	struct kb_filter_value *values;
	size_t nvalues;
	struct kb_filter_node **kids;
	size_t nkids;
};

/* The tree of expr (the same grammar and errors as kb_filter_compile), or
 * NULL with e. Free with kb_filter_node_free. */
struct kb_filter_node *kb_filter_parse(const char *expr, struct err *e);
void kb_filter_node_free(struct kb_filter_node *n);

/* Compiles expr with parameters numbered from first. 0, or -1 with e. */
int kb_filter_compile(const char *expr, int first, struct kb_filter *out, struct err *e);
/* Binds the values to st at their numbers. */
void kb_filter_bind(const struct kb_filter *f, sqlite3_stmt *st);
void kb_filter_free(struct kb_filter *f);

#endif
