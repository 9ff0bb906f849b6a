#include "net/eventstream.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/xmalloc.h"

enum { ES_OK, ES_STOPPED, ES_FAILED };

/* A buffer kept between messages up to this size; a bigger one is freed. */
#define ES_KEEP_BUFFER ((size_t)1 << 20)

struct es_decoder {
	es_message_fn on_message;
	void *ud;
	size_t max_payload;
	unsigned char *pending; /* bytes of the message being assembled */
	size_t len, cap;
	uint32_t total;         /* its total_length once the prelude is checked */
	struct es_header *headers;
	size_t headers_cap;
	char *strings;          /* NUL-terminated copies of names and values */
	size_t strings_cap;
	uint64_t offset;        /* stream offset of the current message */
	uint64_t number;        /* messages decoded so far */
	int state;
	struct err failure;
};

uint32_t es_crc32(uint32_t crc, const void *p, size_t n)
{
	if (n == 0)
		return crc; /* zlib answers 0 for a NULL buffer */
	return (uint32_t)crc32_z(crc, p, n);
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static unsigned char *put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
	return p + 2;
}

static unsigned char *put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
	return p + 4;
}

static unsigned char *put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	return put32(p + 4, (uint32_t)v);
}

struct es_decoder *es_decoder_new(size_t max_payload, es_message_fn on_message, void *ud)
{
	struct es_decoder *d = xcalloc(1, sizeof *d);
	d->on_message = on_message;
	d->ud = ud;
	d->max_payload = max_payload ? max_payload : ES_MAX_PAYLOAD_DEFAULT;
	return d;
}

void es_decoder_free(struct es_decoder *d)
{
	if (!d)
		return;
	free(d->pending);
	free(d->headers);
	free(d->strings);
	free(d);
}

static int __attribute__((format(printf, 3, 4))) fail(struct es_decoder *d, struct err *e, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	d->state = ES_FAILED;
	err_set(&d->failure, "event stream message %" PRIu64 " (at byte %" PRIu64 "): %s",
		d->number + 1, d->offset, what);
	return err_set(e, "%s", d->failure.msg);
}

/* A header name fit for an error message: printable ASCII, quoted, cut short. */
static const char *quoted(char *dst, size_t cap, const char *name, size_t n)
{
	size_t o = 0, i = 0, max = cap - 6;
	dst[o++] = '"';
	for (; i < n && o < max; i++)
		dst[o++] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
	if (i < n) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o++] = '"';
	dst[o] = '\0';
	return dst;
}

static int check_prelude(struct es_decoder *d, const unsigned char *p, uint32_t *total, struct err *e)
{
	uint32_t tl = get32(p), hl = get32(p + 4), want = get32(p + 8);
	uint32_t got = es_crc32(0, p, 8);
	if (got != want)
		return fail(d, e, "prelude checksum mismatch (the prelude says 0x%08" PRIx32
			    ", its bytes give 0x%08" PRIx32 ")", want, got);
	if (tl < ES_MIN_MESSAGE)
		return fail(d, e, "total length %" PRIu32 " is below the %d-byte minimum",
			    tl, ES_MIN_MESSAGE);
	if (hl > ES_MAX_HEADERS_BYTES)
		return fail(d, e, "headers length %" PRIu32 " exceeds the %zu-byte limit",
			    hl, ES_MAX_HEADERS_BYTES);
	if (hl > tl - ES_MIN_MESSAGE)
		return fail(d, e, "headers length %" PRIu32 " does not fit in a message of %" PRIu32
			    " bytes", hl, tl);
	if (tl - ES_MIN_MESSAGE - hl > d->max_payload)
		return fail(d, e, "payload of %" PRIu32 " bytes exceeds the %zu-byte limit",
			    tl - ES_MIN_MESSAGE - hl, d->max_payload);
	*total = tl;
	return 0;
}

static size_t fixed_size(unsigned type)
{
	static const unsigned char sizes[] = {0, 0, 1, 2, 4, 8, 0, 0, 8, 16};
	return sizes[type];
}

static int parse_headers(struct es_decoder *d, const unsigned char *h, size_t hl, size_t *count,
			 struct err *e)
{
	char q[80];
	size_t pos = 0, n = 0;
	if (d->strings_cap < hl + 1) {
		free(d->strings);
		d->strings_cap = hl + 1;
		d->strings = xmalloc(d->strings_cap);
	}
	char *out = d->strings;
	while (pos < hl) {
		if (n == ES_MAX_HEADERS)
			return fail(d, e, "more than %d headers", ES_MAX_HEADERS);
		size_t name_len = h[pos++];
		if (name_len == 0)
			return fail(d, e, "header %zu has an empty name", n + 1);
		if (name_len > hl - pos)
			return fail(d, e, "header %zu name truncated (%zu bytes, %zu left in the block)",
				    n + 1, name_len, hl - pos);
		XGROW(d->headers, d->headers_cap, n + 1);
		struct es_header *hd = &d->headers[n];
		memcpy(out, h + pos, name_len);
		out[name_len] = '\0';
		hd->name = out;
		hd->name_len = name_len;
		out += name_len + 1;
		pos += name_len;
		for (size_t i = 0; i < n; i++)
			if (d->headers[i].name_len == name_len && !memcmp(d->headers[i].name, hd->name, name_len))
				return fail(d, e, "duplicate header %s", quoted(q, sizeof q, hd->name, name_len));
		if (pos == hl)
			return fail(d, e, "header %s type truncated", quoted(q, sizeof q, hd->name, name_len));
		unsigned type = h[pos++];
		if (type > ES_UUID)
			return fail(d, e, "header %s has unknown type %u",
				    quoted(q, sizeof q, hd->name, name_len), type);
		hd->type = (enum es_type)type;
		size_t need = fixed_size(type);
		if (type == ES_BYTES || type == ES_STRING) {
			if (hl - pos < 2)
				return fail(d, e, "header %s value length truncated",
					    quoted(q, sizeof q, hd->name, name_len));
			need = get16(h + pos);
			pos += 2;
			if (need > ES_MAX_VALUE_LEN)
				return fail(d, e, "header %s value length %zu exceeds %d",
					    quoted(q, sizeof q, hd->name, name_len), need, ES_MAX_VALUE_LEN);
		}
		if (need > hl - pos)
			return fail(d, e, "header %s value truncated (%zu bytes, %zu left in the block)",
				    quoted(q, sizeof q, hd->name, name_len), need, hl - pos);
		const unsigned char *v = h + pos;
		switch (hd->type) {
		case ES_BOOL_TRUE:
			hd->v.boolean = 1;
			break;
		case ES_BOOL_FALSE:
			hd->v.boolean = 0;
			break;
		case ES_BYTE:
			hd->v.i8 = (int8_t)v[0];
			break;
		case ES_INT16:
			hd->v.i16 = (int16_t)get16(v);
			break;
		case ES_INT32:
			hd->v.i32 = (int32_t)get32(v);
			break;
		case ES_INT64:
			hd->v.i64 = (int64_t)get64(v);
			break;
		case ES_TIMESTAMP:
			hd->v.timestamp_ms = (int64_t)get64(v);
			break;
		case ES_BYTES:
		case ES_STRING:
			memcpy(out, v, need);
			out[need] = '\0';
			hd->v.bytes.ptr = out;
			hd->v.bytes.len = need;
			out += need + 1;
			break;
		case ES_UUID:
			memcpy(hd->v.uuid, v, 16);
			break;
		}
		pos += need;
		n++;
	}
	*count = n;
	return 0;
}

/* m holds one whole message whose prelude has been checked. */
static int decode(struct es_decoder *d, const unsigned char *m, uint32_t total, struct err *e)
{
	uint32_t hl = get32(m + 4);
	uint32_t want = get32(m + total - 4), got = es_crc32(0, m, total - 4);
	if (got != want)
		return fail(d, e, "message checksum mismatch (the message says 0x%08" PRIx32
			    ", its bytes give 0x%08" PRIx32 ")", want, got);
	size_t n = 0;
	if (parse_headers(d, m + ES_PRELUDE_LEN, hl, &n, e) < 0)
		return -1;
	struct es_message msg = {
		.headers = d->headers,
		.n_headers = n,
		.payload = m + ES_PRELUDE_LEN + hl,
		.payload_len = total - ES_MIN_MESSAGE - hl,
		.total_length = total,
		.headers_length = hl,
		.prelude_crc = get32(m + 8),
		.message_crc = want,
	};
	d->number++;
	d->offset += total;
	if (d->on_message(d->ud, &msg)) {
		d->state = ES_STOPPED;
		return 1;
	}
	return 0;
}

static void reserve(struct es_decoder *d, size_t need)
{
	if (d->cap >= need)
		return;
	size_t cap = d->cap * 2 > need ? d->cap * 2 : need;
	d->pending = xrealloc(d->pending, cap);
	d->cap = cap;
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

int es_feed(struct es_decoder *d, const void *bytes, size_t n, struct err *e)
{
	if (d->state == ES_FAILED)
		return err_set(e, "%s", d->failure.msg);
	if (d->state == ES_STOPPED)
		return 1;
	if (n == 0)
		return 0;
	const unsigned char *s = bytes, *end = s + n;
	while (s < end) {
		size_t avail = (size_t)(end - s);
		if (d->len == 0 && avail >= ES_PRELUDE_LEN) {
			uint32_t total;
			if (check_prelude(d, s, &total, e) < 0)
				return -1;
			if (avail >= total) {
				int rc = decode(d, s, total, e);
				if (rc)
					return rc;
				s += total;
				continue;
			}
			reserve(d, total);
			memcpy(d->pending, s, avail);
			d->len = avail;
			d->total = total;
			return 0;
		}
		if (d->len < ES_PRELUDE_LEN) {
			size_t take = min_size(ES_PRELUDE_LEN - d->len, avail);
			reserve(d, ES_PRELUDE_LEN);
			memcpy(d->pending + d->len, s, take);
			d->len += take;
			s += take;
			if (d->len < ES_PRELUDE_LEN)
				return 0;
			if (check_prelude(d, d->pending, &d->total, e) < 0)
				return -1;
			reserve(d, d->total);
			continue;
		}
		size_t take = min_size(d->total - d->len, (size_t)(end - s));
		memcpy(d->pending + d->len, s, take);
		d->len += take;
		s += take;
		if (d->len < d->total)
			return 0;
		int rc = decode(d, d->pending, d->total, e);
		d->len = 0;
		d->total = 0;
		if (d->cap > ES_KEEP_BUFFER) {
			free(d->pending);
			d->pending = NULL;
			d->cap = 0;
		}
		if (rc)
			return rc;
	}
	return 0;
}

int es_finish(struct es_decoder *d)
{
	int pending = d->state == ES_OK && d->len > 0;
	d->len = 0;
	d->total = 0;
	return pending;
}

const struct es_header *es_header_find(const struct es_message *m, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < m->n_headers; i++)
		if (m->headers[i].name_len == n && !memcmp(m->headers[i].name, name, n))
			return &m->headers[i];
	return NULL;
}

const char *es_header_string(const struct es_message *m, const char *name, size_t *len)
{
	const struct es_header *h = es_header_find(m, name);
	if (!h || h->type != ES_STRING)
		return NULL;
	if (len)
		*len = h->v.bytes.len;
	return h->v.bytes.ptr;
}

static size_t name_length(const struct es_header *h)
{
	return h->name_len ? h->name_len : strlen(h->name);
}

/* Sets *size to the bytes of the encoded value; -1 when it cannot be encoded. */
static int value_size(const struct es_header *h, size_t *size)
{
	if ((unsigned)h->type > ES_UUID)
		return -1;
	if (h->type == ES_BYTES || h->type == ES_STRING) {
		if (h->v.bytes.len > ES_MAX_VALUE_LEN || (h->v.bytes.len && !h->v.bytes.ptr))
			return -1;
		*size = 2 + h->v.bytes.len;
	} else {
		*size = fixed_size(h->type);
	}
	return 0;
}

int es_encode(struct buf *out, const struct es_header *headers, size_t n,
	      const void *payload, size_t len)
{
	if (n > ES_MAX_HEADERS)
		return -1;
	size_t block = 0;
	for (size_t i = 0; i < n; i++) {
		size_t name_len = name_length(&headers[i]), vsize;
		if (name_len == 0 || name_len > 255 || value_size(&headers[i], &vsize) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (name_length(&headers[j]) == name_len &&
			    !memcmp(headers[j].name, headers[i].name, name_len))
				return -1;
		block += 2 + name_len + vsize;
	}
	if (block > ES_MAX_HEADERS_BYTES || len > UINT32_MAX - ES_MIN_MESSAGE - block)
		return -1;
	size_t total = ES_MIN_MESSAGE + block + len;
	buf_grow(out, total);
	unsigned char *m = (unsigned char *)out->data + out->len;
	unsigned char *q = put32(m, (uint32_t)total);
	q = put32(q, (uint32_t)block);
	q = put32(q, es_crc32(0, m, 8));
	for (size_t i = 0; i < n; i++) {
		const struct es_header *h = &headers[i];
		size_t name_len = name_length(h);
		*q++ = (unsigned char)name_len;
		memcpy(q, h->name, name_len);
		q += name_len;
		*q++ = (unsigned char)h->type;
		switch (h->type) {
		case ES_BOOL_TRUE:
		case ES_BOOL_FALSE:
			break;
		case ES_BYTE:
			*q++ = (unsigned char)h->v.i8;
			break;
		case ES_INT16:
			q = put16(q, (uint16_t)h->v.i16);
			break;
		case ES_INT32:
			q = put32(q, (uint32_t)h->v.i32);
			break;
		case ES_INT64:
			q = put64(q, (uint64_t)h->v.i64);
			break;
		case ES_TIMESTAMP:
			q = put64(q, (uint64_t)h->v.timestamp_ms);
			break;
		case ES_BYTES:
		case ES_STRING:
			q = put16(q, (uint16_t)h->v.bytes.len);
			if (h->v.bytes.len)
				memcpy(q, h->v.bytes.ptr, h->v.bytes.len);
			q += h->v.bytes.len;
			break;
		case ES_UUID:
			memcpy(q, h->v.uuid, 16);
			q += 16;
			break;
		}
	}
	if (len)
		memcpy(q, payload, len);
	q += len;
	put32(q, es_crc32(0, m, total - 4));
	out->len += total;
	out->data[out->len] = '\0';
	return 0;
}
