#include "kb/filter.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "base/yamldoc.h"

enum tok { T_END, T_WORD, T_STRING, T_LP, T_RP, T_COMMA, T_OP };

struct parser {
	const char *s;
	size_t pos;           /* after the current token */
	enum tok tok;
	size_t tstart;        /* current token's start */
	char *text;           /* word or string value */
	char op[3];
	int depth, terms;
	struct buf sql;
	struct kb_filter *f;
	struct err *e;
};

static struct kb_filter_node *node_new(enum kb_filter_kind kind)
{
	struct kb_filter_node *n = xcalloc(1, sizeof *n);
	n->kind = kind;
	return n;
}

static void node_add_kid(struct kb_filter_node *n, struct kb_filter_node *kid)
{
	n->kids = xreallocarray(n->kids, n->nkids + 1, sizeof *n->kids);
	n->kids[n->nkids++] = kid;
}

static void node_add_value(struct kb_filter_node *n, int type, const char *text, double num)
{
	n->values = xreallocarray(n->values, n->nvalues + 1, sizeof *n->values);
	n->values[n->nvalues++] = (struct kb_filter_value){ type, text ? xstrdup(text) : NULL, num };
}

void kb_filter_node_free(struct kb_filter_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		kb_filter_node_free(n->kids[i]);
	free(n->kids);
	for (size_t i = 0; i < n->nvalues; i++)
		free(n->values[i].text);
	free(n->values);
	free(n->key);
	free(n);
}

static int fail(struct parser *p, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct parser *p, size_t at, const char *fmt, ...)
{
	/* column counts characters, not bytes */
	size_t col = 1;
	for (size_t i = 0; i < at && p->s[i]; i++)
		if (((unsigned char)p->s[i] & 0xC0) != 0x80)
			col++;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return err_set(p->e, "column %zu: %s", col, msg);
}

static int word_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
	       c == '-' || c == '+' || c == ':' || c == '/' || c == '*' || c == '?' || c == '@' || c == '[' ||
	       c == ']' || c == '%' || c >= 0x80;
}

static int next(struct parser *p)
{
	free(p->text);
	p->text = NULL;
	const char *s = p->s;
	size_t i = p->pos;
	while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
		i++;
	p->tstart = i;
	unsigned char c = (unsigned char)s[i];
	if (!c) {
		p->tok = T_END;
	} else if (c == '(' || c == ')' || c == ',') {
		p->tok = c == '(' ? T_LP : c == ')' ? T_RP : T_COMMA;
		i++;
	} else if (c == '=' || c == '!' || c == '<' || c == '>') {
		p->tok = T_OP;
		size_t n = 1;
		if ((c == '!' || c == '<' || c == '>') && s[i + 1] == '=')
			n = 2;
		else if (c == '<' && s[i + 1] == '>')
			n = 2;
		else if (c == '=' && s[i + 1] == '=')
			n = 2;
		if (c == '!' && n == 1)
			return fail(p, i, "'!' must be followed by '=' (use != or NOT)");
		memcpy(p->op, s + i, n);
		p->op[n] = '\0';
		if (strcmp(p->op, "<>") == 0 || strcmp(p->op, "!=") == 0)
			strcpy(p->op, "!=");
		else if (strcmp(p->op, "==") == 0)
			strcpy(p->op, "=");
		i += n;
	} else if (c == '\'' || c == '"') {
		struct buf b = BUF_INIT;
		size_t j = i + 1;
		for (;;) {
			if (!s[j]) {
				buf_free(&b);
				return fail(p, i, "this quote is never closed");
			}
			if ((unsigned char)s[j] == c) {
				if ((unsigned char)s[j + 1] == c) {
					buf_putc(&b, (char)c);
					j += 2;
					continue;
				}
				break;
			}
			buf_putc(&b, s[j++]);
		}
		p->tok = T_STRING;
		p->text = b.data ? buf_detach(&b) : xstrdup("");
		i = j + 1;
	} else if (word_char(c)) {
		size_t j = i;
		while (word_char((unsigned char)s[j]))
			j++;
		p->tok = T_WORD;
		p->text = xstrndup(s + i, j - i);
		i = j;
	} else {
		char what[8];
		snprintf(what, sizeof what, "%c", c >= 0x20 && c < 0x7F ? c : '?');
		return fail(p, i, "unexpected '%s'", what);
	}
	p->pos = i;
	return 0;
}

static int is_kw(const struct parser *p, const char *kw)
{
	return p->tok == T_WORD && strcasecmp(p->text, kw) == 0;
}

static int valid_key(const char *k)
{
	if (!((k[0] >= 'a' && k[0] <= 'z') || (k[0] >= 'A' && k[0] <= 'Z') || k[0] == '_'))
		return 0;
	for (const char *c = k; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' ||
		      *c == '.' || *c == '-'))
			return 0;
	return 1;
}

static int add_value(struct parser *p, int type, const char *text, double num)
{
	struct kb_filter *f = p->f;
	f->values = xreallocarray(f->values, f->nvalues + 1, sizeof *f->values);
	f->values[f->nvalues] = (struct kb_filter_value){ type, text ? xstrdup(text) : NULL, num };
	return f->first + (int)f->nvalues++;
}

static const char *doc_column(const char *key)
{
	static const char *const cols[][2] = { { "path", "d.path" }, { "name", "d.name" }, { "title", "d.title" },
					       { "format", "d.format" } };
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
		if (strcmp(key, cols[i][0]) == 0)
			return cols[i][1];
	return NULL;
}

struct value {
	int type;
	char *text;
	double num;
	size_t at;
};

static int parse_value(struct parser *p, struct value *v)
{
	v->at = p->tstart;
	v->text = NULL;
	if (p->tok == T_STRING) {
		v->type = 't';
		v->text = xstrdup(p->text);
	} else if (p->tok == T_WORD) {
		if (strcasecmp(p->text, "true") == 0 || strcasecmp(p->text, "false") == 0) {
			v->type = 'b';
			v->num = strcasecmp(p->text, "true") == 0;
		} else if (strcasecmp(p->text, "and") == 0 || strcasecmp(p->text, "or") == 0 ||
			   strcasecmp(p->text, "not") == 0) {
			return fail(p, p->tstart, "expected a value, found the keyword %s (quote it to mean the text)",
				    p->text);
		} else if (yamldoc_parse_number(p->text, &v->num) == 0) {
			v->type = 'n';
		} else {
			v->type = 't';
			v->text = xstrdup(p->text);
		}
	} else {
		return fail(p, p->tstart, "expected a value (a number, a word or 'quoted text')");
	}
	int rc = ++p->terms > KB_FILTER_MAX_TERMS
			 ? fail(p, p->tstart, "the filter has too many comparisons (at most %d)", KB_FILTER_MAX_TERMS)
			 : next(p);
	if (rc < 0) {
		free(v->text);
		v->text = NULL;
	}
	return rc;
}

/* The typed condition on json_each row j for one value. */
static void typed(struct parser *p, const char *op, struct value *v)
{
	if (v->type == 'b') {
		buf_printf(&p->sql, "j.type = '%s'", v->num ? "true" : "false");
		return;
	}
	int n = v->type == 'n' ? add_value(p, 'n', NULL, v->num) : add_value(p, 't', v->text, 0);
	buf_printf(&p->sql, "%s AND j.value %s ?%d", v->type == 'n' ? "j.type IN ('integer', 'real')" : "j.type = 'text'",
		   op, n);
}

static void emit_doc_compare(struct parser *p, const char *col, const char *op, struct value *v)
{
	if (v->type != 't') {
		buf_puts(&p->sql, "0");
		return;
	}
	buf_printf(&p->sql, "coalesce(%s %s ?%d, 0)", col, op, add_value(p, 't', v->text, 0));
}

static int parse_compare(struct parser *p, struct kb_filter_node **out)
{
	if (p->tok != T_WORD)
		return fail(p, p->tstart, "expected a key such as year or tags");
	if (!valid_key(p->text))
		return fail(p, p->tstart, "'%s' is not a key (letters, digits, _ . - starting with a letter)", p->text);
	char *key = xstrdup(p->text);
	size_t key_at = p->tstart;
	const char *col = doc_column(key);
	int path_param = 0;
	if (!col) {
		char *jp = xasprintf("$.\"%s\"", key);
		path_param = add_value(p, 't', jp, 0);
		free(jp);
	}
	int rc = next(p);
	if (rc < 0)
		goto out;
	int negated = 0;
	if (is_kw(p, "not")) {
		negated = 1;
		if ((rc = next(p)) < 0)
			goto out;
		if (!is_kw(p, "in") && !is_kw(p, "glob")) {
			rc = fail(p, p->tstart, "expected IN or GLOB after NOT");
			goto out;
		}
	}
	if (is_kw(p, "in")) {
		if ((rc = next(p)) < 0)
			goto out;
		if (p->tok != T_LP) {
			rc = fail(p, p->tstart, "expected '(' to open the list after IN");
			goto out;
		}
		if ((rc = next(p)) < 0)
			goto out;
		struct value vals[KB_FILTER_MAX_TERMS];
		size_t nv = 0;
		for (;;) {
			if (nv == KB_FILTER_MAX_TERMS) {
				rc = fail(p, p->tstart, "the list is too long");
				break;
			}
			if ((rc = parse_value(p, &vals[nv])) < 0)
				break;
			nv++;
			if (p->tok == T_COMMA) {
				if ((rc = next(p)) < 0)
					break;
				continue;
			}
			if (p->tok == T_RP) {
				rc = next(p);
				break;
			}
			rc = fail(p, p->tstart, "expected ',' or ')' in the list");
			break;
		}
		if (rc == 0) {
			struct kb_filter_node *n = node_new(KB_FILTER_IN);
			n->key = xstrdup(key);
			n->negated = negated;
			for (size_t i = 0; i < nv; i++)
				node_add_value(n, vals[i].type, vals[i].text, vals[i].num);
			*out = n;
			if (col) {
				buf_printf(&p->sql, "%s(", negated ? "NOT " : "");
				for (size_t i = 0; i < nv; i++) {
					if (i)
						buf_puts(&p->sql, " OR ");
					emit_doc_compare(p, col, "=", &vals[i]);
				}
				buf_puts(&p->sql, ")");
			} else {
				if (negated)
					buf_printf(&p->sql, "(EXISTS (SELECT 1 FROM json_each(d.meta, ?%d)) AND NOT ", path_param);
				buf_printf(&p->sql, "EXISTS (SELECT 1 FROM json_each(d.meta, ?%d) j WHERE ", path_param);
				for (size_t i = 0; i < nv; i++) {
					buf_puts(&p->sql, i ? " OR (" : "(");
					typed(p, "=", &vals[i]);
					buf_puts(&p->sql, ")");
				}
				buf_puts(&p->sql, negated ? "))" : ")");
			}
		}
		for (size_t i = 0; i < nv; i++)
			free(vals[i].text);
		goto out;
	}
	const char *op;
	if (is_kw(p, "glob")) {
		op = "GLOB";
	} else if (p->tok == T_OP) {
		op = p->op;
		if (negated) {
			rc = fail(p, p->tstart, "expected IN or GLOB after NOT");
			goto out;
		}
	} else {
		rc = fail(p, p->tstart, "expected an operator (= != < <= > >= IN GLOB) after the key %s", key);
		goto out;
	}
	char opcopy[8];
	snprintf(opcopy, sizeof opcopy, "%s", op);
	size_t op_at = p->tstart;
	if ((rc = next(p)) < 0)
		goto out;
	struct value v;
	if ((rc = parse_value(p, &v)) < 0)
		goto out;
	int eq_only = strcmp(opcopy, "=") == 0 || strcmp(opcopy, "!=") == 0;
	if (v.type == 'b' && !eq_only) {
		free(v.text);
		rc = fail(p, op_at, "true and false can only be compared with = or !=");
		goto out;
	}
	if (strcmp(opcopy, "GLOB") == 0 && v.type != 't') {
		v.type = 't';
		v.text = xstrdup(p->s + v.at);
		v.text[strcspn(v.text, " \t)")] = '\0';
	}
	int not_equal = strcmp(opcopy, "!=") == 0;
	int not_glob = negated && strcmp(opcopy, "GLOB") == 0;
	struct kb_filter_node *n = node_new(strcmp(opcopy, "GLOB") == 0 ? KB_FILTER_GLOB : KB_FILTER_CMP);
	n->key = xstrdup(key);
	n->negated = not_glob;
	snprintf(n->op, sizeof n->op, "%s", n->kind == KB_FILTER_CMP ? opcopy : "");
	node_add_value(n, v.type, v.text, v.num);
	*out = n;
	if (col) {
		if (not_glob)
			buf_puts(&p->sql, "NOT ");
		emit_doc_compare(p, col, opcopy, &v);
	} else if (not_equal || not_glob) {
		buf_printf(&p->sql, "(EXISTS (SELECT 1 FROM json_each(d.meta, ?%d)) AND NOT EXISTS (SELECT 1 FROM "
				    "json_each(d.meta, ?%d) j WHERE ", path_param, path_param);
		typed(p, not_equal ? "=" : "GLOB", &v);
		buf_puts(&p->sql, "))");
	} else {
		buf_printf(&p->sql, "EXISTS (SELECT 1 FROM json_each(d.meta, ?%d) j WHERE ", path_param);
		typed(p, opcopy, &v);
		buf_puts(&p->sql, ")");
	}
	free(v.text);
	(void)key_at;
out:
	free(key);
	return rc;
}

static int parse_or(struct parser *p, struct kb_filter_node **out);

static int parse_unary(struct parser *p, struct kb_filter_node **out)
{
	if (++p->depth > KB_FILTER_MAX_DEPTH)
		return fail(p, p->tstart, "the filter nests too deeply (at most %d levels)", KB_FILTER_MAX_DEPTH);
	int rc;
	if (is_kw(p, "not")) {
		buf_puts(&p->sql, "NOT (");
		struct kb_filter_node *n = node_new(KB_FILTER_NOT), *kid = NULL;
		*out = n;
		if ((rc = next(p)) < 0 || (rc = parse_unary(p, &kid)) < 0) {
			kb_filter_node_free(kid);
			return rc;
		}
		node_add_kid(n, kid);
		buf_puts(&p->sql, ")");
	} else if (p->tok == T_LP) {
		size_t open = p->tstart;
		buf_puts(&p->sql, "(");
		if ((rc = next(p)) < 0 || (rc = parse_or(p, out)) < 0)
			return rc;
		if (p->tok == T_END)
			return fail(p, open, "this '(' is never closed");
		if (p->tok != T_RP)
			return fail(p, p->tstart, "expected ')', AND or OR");
		buf_puts(&p->sql, ")");
		if ((rc = next(p)) < 0)
			return rc;
	} else {
		if ((rc = parse_compare(p, out)) < 0)
			return rc;
	}
	p->depth--;
	return 0;
}

/* One operand, or a node of kind holding every operand joined by word. */
static int parse_chain(struct parser *p, struct kb_filter_node **out, enum kb_filter_kind kind, const char *word,
		       const char *sql, int (*operand)(struct parser *, struct kb_filter_node **))
{
	struct kb_filter_node *first = NULL, *chain = NULL;
	int rc = operand(p, &first);
	*out = first;
	while (rc == 0 && is_kw(p, word)) {
		buf_puts(&p->sql, sql);
		if (!chain) {
			chain = node_new(kind);
			node_add_kid(chain, first);
			*out = chain;
		}
		struct kb_filter_node *kid = NULL;
		if ((rc = next(p)) == 0)
			rc = operand(p, &kid);
		if (kid)
			node_add_kid(chain, kid);
	}
	return rc;
}

static int parse_and(struct parser *p, struct kb_filter_node **out)
{
	return parse_chain(p, out, KB_FILTER_AND, "and", " AND ", parse_unary);
}

static int parse_or(struct parser *p, struct kb_filter_node **out)
{
	return parse_chain(p, out, KB_FILTER_OR, "or", " OR ", parse_and);
}

static int compile(const char *expr, int first, struct kb_filter *out, struct kb_filter_node **tree, struct err *e)
{
	memset(out, 0, sizeof *out);
	*tree = NULL;
	out->first = first;
	if (strlen(expr) > KB_FILTER_MAX_LEN)
		return err_set(e, "the filter is longer than %d bytes", KB_FILTER_MAX_LEN);
	struct parser p = { .s = expr, .f = out, .e = e };
	int rc = next(&p);
	if (rc == 0 && p.tok == T_END)
		rc = fail(&p, p.tstart, "the filter is empty; write a comparison such as year>=2024");
	if (rc == 0)
		rc = parse_or(&p, tree);
	if (rc == 0 && p.tok != T_END)
		rc = p.tok == T_RP ? fail(&p, p.tstart, "this ')' closes nothing")
				   : fail(&p, p.tstart, "expected AND, OR or the end of the filter");
	free(p.text);
	if (rc < 0) {
		buf_free(&p.sql);
		kb_filter_free(out);
		kb_filter_node_free(*tree);
		*tree = NULL;
		return -1;
	}
	out->sql = buf_detach(&p.sql);
	return 0;
}

int kb_filter_compile(const char *expr, int first, struct kb_filter *out, struct err *e)
{
	struct kb_filter_node *tree;
	int rc = compile(expr, first, out, &tree, e);
	kb_filter_node_free(tree);
	return rc;
}

struct kb_filter_node *kb_filter_parse(const char *expr, struct err *e)
{
	struct kb_filter f;
	struct kb_filter_node *tree;
	if (compile(expr, 1, &f, &tree, e) < 0)
		return NULL;
	kb_filter_free(&f);
	return tree;
}

void kb_filter_bind(const struct kb_filter *f, sqlite3_stmt *st)
{
	for (size_t i = 0; i < f->nvalues; i++) {
		const struct kb_filter_value *v = &f->values[i];
		if (v->type == 'n')
			sqlite3_bind_double(st, f->first + (int)i, v->num);
		else
			sqlite3_bind_text(st, f->first + (int)i, v->text, -1, SQLITE_TRANSIENT);
	}
}

void kb_filter_free(struct kb_filter *f)
{
	for (size_t i = 0; i < f->nvalues; i++)
		free(f->values[i].text);
	free(f->values);
	free(f->sql);
	memset(f, 0, sizeof *f);
}
