#include "net/ndjson.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmalloc.h"

enum { NDJSON_OK, NDJSON_STOPPED, NDJSON_FAILED };

struct ndjson_parser {
	ndjson_line_fn on_line;
	void *ud;
	size_t max_line;
	struct buf line; /* an unfinished line carried over to the next feed */
	int state;
	struct err failure;
};

struct ndjson_parser *ndjson_new(size_t max_line, ndjson_line_fn on_line, void *ud)
{
	struct ndjson_parser *p = xcalloc(1, sizeof *p);
	p->on_line = on_line;
	p->ud = ud;
	p->max_line = max_line ? max_line : NDJSON_MAX_LINE_DEFAULT;
	return p;
}

void ndjson_free(struct ndjson_parser *p)
{
	if (!p)
		return;
	buf_free(&p->line);
	free(p);
}

static int fail(struct ndjson_parser *p, struct err *e)
{
	p->state = NDJSON_FAILED;
	err_set(&p->failure, "JSON line longer than %zu bytes in the stream", p->max_line);
	return err_set(e, "%s", p->failure.msg);
}

/* A raw line (without LF) may be one byte longer than max_line: its CR. */
static int raw_fits(const struct ndjson_parser *p, size_t raw_len)
{
	return raw_len <= p->max_line || raw_len - p->max_line == 1;
}

static int is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* 0, 1 when the callback asked to stop, -1 when the line is too long. */
static int deliver(struct ndjson_parser *p, const char *s, size_t n, struct err *e)
{
	if (n && s[n - 1] == '\r')
		n--;
	if (n > p->max_line)
		return fail(p, e);
	if (is_blank(s, n))
		return 0;
	if (p->on_line(p->ud, s, n)) {
		p->state = NDJSON_STOPPED;
		return 1;
	}
	return 0;
}

int ndjson_feed(struct ndjson_parser *p, const void *bytes, size_t n, struct err *e)
{
	if (p->state == NDJSON_FAILED)
		return err_set(e, "%s", p->failure.msg);
	if (p->state == NDJSON_STOPPED)
		return 1;
	if (n == 0)
		return 0;
	const char *s = bytes, *end = s + n;
	while (s < end) {
		const char *lf = memchr(s, '\n', (size_t)(end - s));
		if (!lf) {
			size_t rest = (size_t)(end - s);
			if (!raw_fits(p, p->line.len + rest))
				return fail(p, e);
			buf_append(&p->line, s, rest);
			return 0;
		}
		size_t len = (size_t)(lf - s);
		int rc;
		if (p->line.len) {
			if (!raw_fits(p, p->line.len + len))
				return fail(p, e);
			buf_append(&p->line, s, len);
			rc = deliver(p, p->line.data, p->line.len, e);
			buf_reset(&p->line);
		} else {
			rc = deliver(p, s, len, e);
		}
		if (rc)
			return rc;
		s = lf + 1;
	}
	return 0;
}

int ndjson_finish(struct ndjson_parser *p, struct err *e)
{
	if (p->state == NDJSON_FAILED)
		return err_set(e, "%s", p->failure.msg);
	int rc = 0;
	if (p->state == NDJSON_OK && p->line.len)
		rc = deliver(p, p->line.data, p->line.len, e);
	buf_reset(&p->line);
	return rc < 0 ? -1 : 0;
}
