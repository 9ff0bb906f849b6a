#include "net/sse.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmalloc.h"

enum { SSE_OK, SSE_STOPPED, SSE_FAILED };

static const unsigned char utf8_bom[3] = {0xef, 0xbb, 0xbf};
#define BOM_DONE 4

struct sse_parser {
	sse_event_fn on_event;
	void *ud;
	size_t max_event;
	struct buf line; /* an unfinished line carried over to the next feed */
	struct buf data;
	struct buf type;
	struct buf id;
	long long retry_ms;
	int bom;         /* BOM bytes matched at the stream start, BOM_DONE after */
	int skip_lf;     /* the last feed ended with CR: a leading LF belongs to it */
	int in_event;
	int state;
	struct err failure;
};

struct sse_parser *sse_new(size_t max_event, sse_event_fn on_event, void *ud)
{
	struct sse_parser *p = xcalloc(1, sizeof *p);
	p->on_event = on_event;
	p->ud = ud;
	p->max_event = max_event ? max_event : SSE_MAX_EVENT_DEFAULT;
	p->retry_ms = -1;
	return p;
}

void sse_free(struct sse_parser *p)
{
	if (!p)
		return;
	buf_free(&p->line);
	buf_free(&p->data);
	buf_free(&p->type);
	buf_free(&p->id);
	free(p);
}

long long sse_retry_ms(const struct sse_parser *p)
{
	return p->retry_ms;
}

const char *sse_last_id(const struct sse_parser *p)
{
	return buf_str(&p->id);
}

static int fail(struct sse_parser *p, struct err *e)
{
	p->state = SSE_FAILED;
	err_set(&p->failure, "server-sent event larger than %zu bytes", p->max_event);
	return err_set(e, "%s", p->failure.msg);
}

static int fits(const struct sse_parser *p, size_t line_len)
{
	return line_len <= p->max_event && p->data.len <= p->max_event - line_len;
}

static int dispatch(struct sse_parser *p)
{
	p->in_event = 0;
	if (p->data.len == 0) {
		buf_reset(&p->type);
		return 0;
	}
	buf_truncate(&p->data, p->data.len - 1);
	struct sse_event ev = {
		.type = p->type.len ? p->type.data : "message",
		.data = p->data.data,
		.data_len = p->data.len,
		.id = buf_str(&p->id),
		.retry_ms = p->retry_ms,
	};
	int rc = p->on_event(p->ud, &ev);
	buf_reset(&p->data);
	buf_reset(&p->type);
	return rc != 0;
}

static void set_retry(struct sse_parser *p, const char *v, size_t n)
{
	long long ms = 0;
	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return;
		int d = v[i] - '0';
		if (ms > (LLONG_MAX - d) / 10)
			return;
		ms = ms * 10 + d;
	}
	p->retry_ms = ms;
}

#define FIELD_IS(name, len, lit) ((len) == sizeof(lit) - 1 && memcmp((name), (lit), (len)) == 0)

/* Returns 1 when the callback asked to stop. */
static int process_line(struct sse_parser *p, const char *line, size_t len)
{
	if (len == 0)
		return dispatch(p);
	if (line[0] == ':')
		return 0;
	const char *colon = memchr(line, ':', len);
	size_t name_len = colon ? (size_t)(colon - line) : len;
	const char *value = colon ? colon + 1 : line + len;
	size_t value_len = len - (size_t)(value - line);
	if (value_len && *value == ' ') {
		value++;
		value_len--;
	}
	p->in_event = 1;
	if (FIELD_IS(line, name_len, "data")) {
		buf_grow(&p->data, value_len + 1);
		memcpy(p->data.data + p->data.len, value, value_len);
		p->data.len += value_len;
		p->data.data[p->data.len++] = '\n';
		p->data.data[p->data.len] = '\0';
	} else if (FIELD_IS(line, name_len, "event")) {
		buf_reset(&p->type);
		buf_append(&p->type, value, value_len);
	} else if (FIELD_IS(line, name_len, "id")) {
		if (!memchr(value, '\0', value_len)) {
			buf_reset(&p->id);
			buf_append(&p->id, value, value_len);
		}
	} else if (FIELD_IS(line, name_len, "retry")) {
		set_retry(p, value, value_len);
	}
	return 0;
}

/* Consumes the start of a stream while it may still be a BOM; bytes that
 * turn out not to be one become the start of the first line. */
static const char *skip_bom(struct sse_parser *p, const char *s, const char *end)
{
	while (p->bom < 3 && s < end) {
		if ((unsigned char)*s != utf8_bom[p->bom]) {
			buf_append(&p->line, utf8_bom, (size_t)p->bom);
			p->bom = BOM_DONE;
			return s;
		}
		p->bom++;
		s++;
	}
	if (p->bom == 3)
		p->bom = BOM_DONE;
	return s;
}

int sse_feed(struct sse_parser *p, const void *bytes, size_t n, struct err *e)
{
	if (p->state == SSE_FAILED)
		return err_set(e, "%s", p->failure.msg);
	if (p->state == SSE_STOPPED)
		return 1;
	if (n == 0)
		return 0;
	const char *s = bytes, *end = s + n;
	if (p->bom != BOM_DONE) {
		s = skip_bom(p, s, end);
		if (!fits(p, p->line.len))
			return fail(p, e);
	}
	const char *cr = s; /* next CR at or after s, or end when none */
	int cr_known = 0;
	while (s < end) {
		if (p->skip_lf) {
			p->skip_lf = 0;
			if (*s == '\n') {
				s++;
				continue;
			}
		}
		if (!cr_known || cr < s) {
			cr = memchr(s, '\r', (size_t)(end - s));
			if (!cr)
				cr = end;
			cr_known = 1;
		}
		const char *eol = memchr(s, '\n', (size_t)(cr - s));
		if (!eol)
			eol = cr;
		if (eol == end) {
			size_t rest = (size_t)(end - s);
			if (!fits(p, p->line.len + rest))
				return fail(p, e);
			buf_append(&p->line, s, rest);
			break;
		}
		size_t len = (size_t)(eol - s);
		int stop;
		if (p->line.len) {
			if (!fits(p, p->line.len + len))
				return fail(p, e);
			buf_append(&p->line, s, len);
			stop = process_line(p, p->line.data, p->line.len);
			buf_reset(&p->line);
		} else {
			if (!fits(p, len))
				return fail(p, e);
			stop = process_line(p, s, len);
		}
		s = eol + 1;
		if (*eol == '\r') {
			if (s == end)
				p->skip_lf = 1;
			else if (*s == '\n')
				s++;
		}
		if (stop) {
			p->state = SSE_STOPPED;
			return 1;
		}
	}
	return 0;
}

int sse_finish(struct sse_parser *p)
{
	int pending = p->state == SSE_OK &&
		      (p->line.len || p->in_event || (p->bom > 0 && p->bom < 3));
	buf_reset(&p->line);
	buf_reset(&p->data);
	buf_reset(&p->type);
	p->in_event = 0;
	p->skip_lf = 0;
	p->bom = 0;
	return pending;
}
