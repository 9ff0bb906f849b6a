#include "base/csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmalloc.h"

enum state { S_START, S_UNQUOTED, S_QUOTED, S_QUOTE, S_CR };

struct csv_parser {
	size_t max_field, max_fields;
	csv_record_fn fn;
	void *ud;
	enum state st;
	int cr_after_quote;    /* S_CR: the CR came after a closing quote */
	int quoted;            /* the current field was quoted */
	int started;           /* a byte of the current record was seen */
	int stopped, failed;
	char error[256];
	long line, rec_line;
	struct buf rec;        /* the record's fields, each followed by a NUL */
	size_t field_start;
	size_t *starts, *lens, nfields, cap;
	const char **ptrs;
};

struct csv_parser *csv_new(size_t max_field, size_t max_fields, csv_record_fn fn, void *ud)
{
	struct csv_parser *p = xcalloc(1, sizeof *p);
	p->max_field = max_field ? max_field : CSV_MAX_FIELD_DEFAULT;
	p->max_fields = max_fields ? max_fields : CSV_MAX_FIELDS_DEFAULT;
	p->fn = fn;
	p->ud = ud;
	p->line = 1;
	return p;
}

void csv_free(struct csv_parser *p)
{
	if (!p)
		return;
	buf_free(&p->rec);
	free(p->starts);
	free(p->lens);
	free(p->ptrs);
	free(p);
}

static int fail(struct csv_parser *p, long line, const char *msg)
{
	p->failed = 1;
	snprintf(p->error, sizeof p->error, "line %ld: %s", line, msg);
	return -1;
}

static int put(struct csv_parser *p, char c)
{
	if (p->rec.len - p->field_start >= p->max_field)
		return fail(p, p->rec_line, "a field is longer than the limit");
	buf_putc(&p->rec, c);
	return 0;
}

static int end_field(struct csv_parser *p)
{
	if (p->nfields == p->max_fields)
		return fail(p, p->rec_line, "a record has more fields than the limit");
	if (p->nfields == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->starts = xreallocarray(p->starts, p->cap, sizeof *p->starts);
		p->lens = xreallocarray(p->lens, p->cap, sizeof *p->lens);
		p->ptrs = xreallocarray(p->ptrs, p->cap, sizeof *p->ptrs);
	}
	p->starts[p->nfields] = p->field_start;
	p->lens[p->nfields] = p->rec.len - p->field_start;
	p->nfields++;
	buf_putc(&p->rec, '\0');
	p->field_start = p->rec.len;
	p->quoted = 0;
	p->st = S_START;
	return 0;
}

/* 0 continue, 1 stopped, -1 failed */
static int end_record(struct csv_parser *p)
{
	int blank = p->nfields == 0 && p->rec.len == p->field_start && !p->quoted;
	if (end_field(p) != 0)
		return -1;
	int rc = 0;
	if (!blank) {
		for (size_t i = 0; i < p->nfields; i++)
			p->ptrs[i] = p->rec.data + p->starts[i];
		struct csv_record r = { p->nfields, p->ptrs, p->lens, p->rec_line };
		if (p->fn(p->ud, &r) != 0) {
			p->stopped = 1;
			rc = 1;
		}
	}
	buf_reset(&p->rec);
	p->field_start = 0;
	p->nfields = 0;
	p->started = 0;
	return rc;
}

/* c is ',', '\n' or '\r' after a field (after_quote: a quoted one). */
static int separator(struct csv_parser *p, char c, int after_quote)
{
	if (c == ',')
		return end_field(p);
	if (c == '\n')
		return end_record(p);
	p->st = S_CR;
	p->cr_after_quote = after_quote;
	return 0;
}

static int byte(struct csv_parser *p, char c)
{
	if (!p->started) {
		p->started = 1;
		p->rec_line = p->line;
	}
	switch (p->st) {
	case S_START:
		if (c == '"') {
			p->quoted = 1;
			p->st = S_QUOTED;
			return 0;
		}
		p->st = S_UNQUOTED;
		/* fall through */
	case S_UNQUOTED:
		if (c == ',' || c == '\n' || c == '\r')
			return separator(p, c, 0);
		if (c == '"')
			return fail(p, p->line, "a '\"' inside an unquoted field (quote the whole field and double the quote)");
		return put(p, c);
	case S_QUOTED:
		if (c == '"') {
			p->st = S_QUOTE;
			return 0;
		}
		return put(p, c);
	case S_QUOTE:
		if (c == '"') {
			p->st = S_QUOTED;
			return put(p, c);
		}
		if (c == ',' || c == '\n' || c == '\r')
			return separator(p, c, 1);
		return fail(p, p->line, "text after the closing quote of a field (a quoted field must end at ',' or the line end)");
	case S_CR:
		if (c == '\n')
			return end_record(p);
		if (p->cr_after_quote)
			return fail(p, p->line, "text after the closing quote of a field (a quoted field must end at ',' or the line end)");
		p->st = S_UNQUOTED;
		if (put(p, '\r') != 0)
			return -1;
		return byte(p, c);
	}
	return 0;
}

static int status(struct csv_parser *p, struct err *e)
{
	if (p->failed) {
		err_set(e, "%s", p->error);
		return -1;
	}
	return p->stopped ? 1 : 0;
}

/* Inside a field, a run of ordinary bytes is appended at once (the same
 * records and errors as byte by byte: a run that would pass max_field is left
 * to byte()). Returns the bytes taken. */
static size_t run_of_plain(struct csv_parser *p, const char *s, size_t n)
{
	size_t k = 0;
	if (p->st == S_UNQUOTED) {
		while (k < n && s[k] != ',' && s[k] != '\n' && s[k] != '\r' && s[k] != '"')
			k++;
	} else if (p->st == S_QUOTED) {
		while (k < n && s[k] != '"')
			k++;
	}
	if (k == 0 || p->rec.len - p->field_start + k >= p->max_field)
		return 0;
	buf_append(&p->rec, s, k);
	if (p->st == S_QUOTED)
		for (size_t i = 0; i < k; i++)
			p->line += s[i] == '\n';
	return k;
}

int csv_feed(struct csv_parser *p, const void *bytes, size_t n, struct err *e)
{
	const char *s = bytes;
	for (size_t i = 0; i < n && !p->failed && !p->stopped; i++) {
		size_t k = run_of_plain(p, s + i, n - i);
		i += k;
		if (i == n)
			break;
		byte(p, s[i]);
		if (s[i] == '\n')
			p->line++;
	}
	return status(p, e);
}

int csv_finish(struct csv_parser *p, struct err *e)
{
	if (!p->failed && !p->stopped) {
		if (p->st == S_QUOTED)
			fail(p, p->rec_line, "a quoted field is not closed before the end of the file");
		else if (p->started)
			end_record(p);
	}
	return status(p, e);
}
