#include <dirent.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <openssl/evp.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "net/eventstream.h"

#define VECTORS "tests/data/vectors/eventstream/"
#define SDK VECTORS "private/protocol/eventstream/testdata/"
#define GENERATED VECTORS "generated/"

/* What a stream decoded to: every message in a canonical text form, plus
 * the semantic headers and payload of each, to check against botocore. */
struct msg {
	char *message_type, *event_type, *exception_type, *error_code, *error_message;
	char *payload;
	size_t payload_len;
	struct buf encoded; /* the message encoded again from what was decoded */
};

struct run {
	struct buf log;
	struct msg m[32];
	int n;
	int stop_after;
	int rc;
	int pending;
	char err[1024];
};

static void hex(struct buf *b, const void *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *s = p;
	buf_grow(b, 2 * n);
	for (size_t i = 0; i < n; i++) {
		b->data[b->len++] = digits[s[i] >> 4];
		b->data[b->len++] = digits[s[i] & 15];
	}
	b->data[b->len] = '\0';
}

static void log_message(struct buf *b, const struct es_message *m)
{
	buf_printf(b, "message %" PRIu32 " %" PRIu32 " %08" PRIx32 " %08" PRIx32 "\n", m->total_length,
		   m->headers_length, m->prelude_crc, m->message_crc);
	for (size_t i = 0; i < m->n_headers; i++) {
		const struct es_header *h = &m->headers[i];
		assert_int_equal(strlen(h->name), h->name_len);
		buf_printf(b, "  %s %d ", h->name, h->type);
		switch (h->type) {
		case ES_BOOL_TRUE:
		case ES_BOOL_FALSE:
			assert_int_equal(h->v.boolean, h->type == ES_BOOL_TRUE);
			buf_puts(b, h->v.boolean ? "true" : "false");
			break;
		case ES_BYTE:
			buf_printf(b, "%d", h->v.i8);
			break;
		case ES_INT16:
			buf_printf(b, "%d", h->v.i16);
			break;
		case ES_INT32:
			buf_printf(b, "%" PRId32, h->v.i32);
			break;
		case ES_INT64:
			buf_printf(b, "%" PRId64, h->v.i64);
			break;
		case ES_TIMESTAMP:
			buf_printf(b, "%" PRId64, h->v.timestamp_ms);
			break;
		case ES_BYTES:
		case ES_STRING:
			assert_int_equal(h->v.bytes.ptr[h->v.bytes.len], '\0');
			hex(b, h->v.bytes.ptr, h->v.bytes.len);
			break;
		case ES_UUID:
			hex(b, h->v.uuid, 16);
			break;
		}
		buf_putc(b, '\n');
	}
	buf_puts(b, "  payload ");
	hex(b, m->payload, m->payload_len);
	buf_putc(b, '\n');
}

static char *dup_header(const struct es_message *m, const char *name)
{
	const char *s = es_header_string(m, name, NULL);
	return s ? xstrdup(s) : NULL;
}

static int on_message(void *ud, const struct es_message *m)
{
	struct run *r = ud;
	log_message(&r->log, m);
	if (r->n < 32) {
		struct msg *x = &r->m[r->n];
		x->message_type = dup_header(m, ":message-type");
		x->event_type = dup_header(m, ":event-type");
		x->exception_type = dup_header(m, ":exception-type");
		x->error_code = dup_header(m, ":error-code");
		x->error_message = dup_header(m, ":error-message");
		x->payload = xmalloc(m->payload_len + 1);
		memcpy(x->payload, m->payload, m->payload_len);
		x->payload[m->payload_len] = '\0';
		x->payload_len = m->payload_len;
		memset(&x->encoded, 0, sizeof x->encoded);
		assert_int_equal(es_encode(&x->encoded, m->headers, m->n_headers, m->payload, m->payload_len), 0);
	}
	r->n++;
	return r->stop_after && r->n >= r->stop_after;
}

static void run_free(struct run *r)
{
	for (int i = 0; i < r->n && i < 32; i++) {
		struct msg *x = &r->m[i];
		free(x->message_type);
		free(x->event_type);
		free(x->exception_type);
		free(x->error_code);
		free(x->error_message);
		free(x->payload);
		buf_free(&x->encoded);
	}
	buf_free(&r->log);
	memset(r, 0, sizeof *r);
}

/* Feeds in pieces: first `first` bytes (all when 0), then `step` bytes at a
 * time (all when 0). */
static void feed(struct run *r, size_t max_payload, const void *in, size_t n, size_t first, size_t step)
{
	const unsigned char *s = in;
	memset(r, 0, sizeof *r);
	struct es_decoder *d = es_decoder_new(max_payload, on_message, r);
	struct err e = ERR_INIT;
	for (size_t at = 0; at < n;) {
		size_t k = at == 0 && first ? first : step ? step : n - at;
		if (k > n - at)
			k = n - at;
		int rc = es_feed(d, s + at, k, &e);
		if (rc && !r->rc) {
			r->rc = rc;
			snprintf(r->err, sizeof r->err, "%s", err_msg(&e));
		}
		if (rc < 0)
			assert_true(e.set);
		at += k;
	}
	r->pending = es_finish(d);
	es_decoder_free(d);
}

static void assert_same(const struct run *a, const struct run *b, const char *how, size_t at)
{
	if (a->log.len != b->log.len || (a->log.len && memcmp(a->log.data, b->log.data, a->log.len)) ||
	    a->rc != b->rc || a->pending != b->pending || strcmp(a->err, b->err))
		fail_msg("%s %zu differs from one feed:\n%s rc %d pending %d \"%s\"\n--- vs ---\n%s rc %d pending %d \"%s\"",
			 how, at, buf_str(&b->log), b->rc, b->pending, b->err,
			 buf_str(&a->log), a->rc, a->pending, a->err);
}

/* Decodes in whole, split at every byte (every few bytes past 4 KiB), one
 * byte at a time and in a few other piece sizes; every way must give the
 * same result as `whole`. */
static void decode_all_ways(struct run *whole, size_t max_payload, const void *in, size_t n)
{
	struct run other;
	feed(whole, max_payload, in, n, 0, 0);
	size_t stride = n > 4096 ? n / 1024 : 1;
	for (size_t at = 1; at < n; at += at < 64 || n - at < 64 ? 1 : stride) {
		feed(&other, max_payload, in, n, at, 0);
		assert_same(whole, &other, "split at", at);
		run_free(&other);
	}
	static const size_t steps[] = {1, 2, 3, 7, 11, 12, 13, 16, 64};
	for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
		feed(&other, max_payload, in, n, 0, steps[i]);
		assert_same(whole, &other, "pieces of", steps[i]);
		run_free(&other);
	}
}

/* Formats a path into b (reset first) and returns it. */
static const char *__attribute__((format(printf, 2, 3))) pathf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	buf_reset(b);
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
	return buf_str(b);
}

static void *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (tests run from the repository root)", path);
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t k;
	while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, k);
	fclose(f);
	*n = b.len;
	return buf_detach(&b);
}

static cJSON *slurp_json(const char *path)
{
	size_t n;
	char *text = slurp(path, &n);
	cJSON *j = cJSON_ParseWithLength(text, n);
	if (!j)
		fail_msg("%s is not JSON", path);
	free(text);
	return j;
}

static void base64_hex(struct buf *b, const char *text)
{
	size_t n = strlen(text);
	unsigned char *raw = xmalloc(n / 4 * 3 + 3);
	int len = EVP_DecodeBlock(raw, (const unsigned char *)text, (int)n);
	assert_true(len >= 0);
	while (n > 0 && text[n - 1] == '=') {
		n--;
		len--;
	}
	hex(b, raw, (size_t)len);
	free(raw);
}

static long long json_int(cJSON *j, const char *key)
{
	cJSON *x = cJSON_GetObjectItemCaseSensitive(j, key);
	if (!cJSON_IsNumber(x))
		fail_msg("\"%s\" is not a number", key);
	return (long long)x->valuedouble;
}

static const char *json_str(cJSON *j, const char *key)
{
	cJSON *x = cJSON_GetObjectItemCaseSensitive(j, key);
	return cJSON_IsString(x) ? x->valuestring : NULL;
}

/* aws-sdk-go's decoded/positive JSON in the log's form: CRCs are signed
 * int32; byte arrays, strings, uuids and the payload are base64. */
static void log_sdk_json(struct buf *b, cJSON *j)
{
	buf_printf(b, "message %lld %lld %08" PRIx32 " %08" PRIx32 "\n", json_int(j, "total_length"),
		   json_int(j, "headers_length"), (uint32_t)json_int(j, "prelude_crc"),
		   (uint32_t)json_int(j, "message_crc"));
	cJSON *h;
	cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(j, "headers")) {
		int type = (int)json_int(h, "type");
		cJSON *v = cJSON_GetObjectItemCaseSensitive(h, "value");
		buf_printf(b, "  %s %d ", json_str(h, "name"), type);
		if (type == ES_BOOL_TRUE || type == ES_BOOL_FALSE)
			buf_puts(b, cJSON_IsTrue(v) ? "true" : "false");
		else if (type == ES_BYTES || type == ES_STRING || type == ES_UUID)
			base64_hex(b, v->valuestring);
		else
			buf_printf(b, "%lld", (long long)v->valuedouble);
		buf_putc(b, '\n');
	}
	buf_puts(b, "  payload ");
	base64_hex(b, json_str(j, "payload"));
	buf_putc(b, '\n');
}

/* A frame of generated/…/expected.json in the log's form. */
static void log_generated_frame(struct buf *b, cJSON *f)
{
	buf_printf(b, "message %lld %lld %08lx %08lx\n", json_int(f, "total_length"),
		   json_int(f, "headers_length"), strtoul(json_str(f, "prelude_crc"), NULL, 16),
		   strtoul(json_str(f, "message_crc"), NULL, 16));
	cJSON *h;
	cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(f, "headers")) {
		const char *v = json_str(h, "value");
		assert_int_equal(json_int(h, "type"), ES_STRING);
		buf_printf(b, "  %s %d ", json_str(h, "name"), ES_STRING);
		hex(b, v, strlen(v));
		buf_putc(b, '\n');
	}
	const char *payload = json_str(f, "payload");
	buf_puts(b, "  payload ");
	hex(b, payload, strlen(payload));
	buf_putc(b, '\n');
}

static void assert_log(const struct buf *got, const struct buf *want, const char *what)
{
	if (strcmp(buf_str(got), buf_str(want)))
		fail_msg("%s decoded to\n%s\nbut the vector says\n%s", what, buf_str(got), buf_str(want));
}

/* Names of the entries in dir (no dot files), sorted. */
static int list_dir(const char *dir, char names[][256], int max)
{
	struct dirent **list;
	int n = scandir(dir, &list, NULL, alphasort);
	if (n < 0)
		fail_msg("cannot list %s", dir);
	int k = 0;
	for (int i = 0; i < n; i++) {
		if (list[i]->d_name[0] != '.' && k < max)
			snprintf(names[k++], 256, "%s", list[i]->d_name);
		free(list[i]);
	}
	free(list);
	return k;
}

static void test_crc32_check_value(void **state)
{
	(void)state;
	assert_int_equal(es_crc32(0, "123456789", 9), 0xcbf43926u);
	assert_int_equal(es_crc32(es_crc32(0, "1234", 4), "56789", 5), 0xcbf43926u);
	assert_int_equal(es_crc32(0, NULL, 0), 0);
	assert_int_equal(es_crc32(0x1234, "", 0), 0x1234);
	/* The prelude CRC of the spec's payload_one_str_header example. */
	static const unsigned char prelude[8] = {0, 0, 0, 0x3d, 0, 0, 0, 0x20};
	assert_int_equal(es_crc32(0, prelude, 8), 0x07fd8396u);
}

static void test_sdk_positive_vectors(void **state)
{
	(void)state;
	char names[16][256];
	int n = list_dir(SDK "encoded/positive", names, 16);
	assert_int_equal(n, 5);
	for (int i = 0; i < n; i++) {
		struct buf path = BUF_INIT;
		size_t len;
		unsigned char *in = slurp(pathf(&path, SDK "encoded/positive/%s", names[i]), &len);
		cJSON *j = slurp_json(pathf(&path, SDK "decoded/positive/%s", names[i]));
		struct buf want = BUF_INIT;
		log_sdk_json(&want, j);

		struct run r;
		decode_all_ways(&r, 0, in, len);
		assert_int_equal(r.rc, 0);
		assert_int_equal(r.pending, 0);
		assert_int_equal(r.n, 1);
		assert_log(&r.log, &want, names[i]);
		/* Encoding what was decoded gives the vector byte for byte. */
		assert_int_equal(r.m[0].encoded.len, len);
		assert_memory_equal(r.m[0].encoded.data, in, len);
		run_free(&r);
		buf_free(&want);
		buf_free(&path);
		cJSON_Delete(j);
		free(in);
	}
}

static void test_sdk_negative_vectors(void **state)
{
	(void)state;
	char names[16][256];
	int n = list_dir(SDK "encoded/negative", names, 16);
	assert_int_equal(n, 4);
	for (int i = 0; i < n; i++) {
		struct buf path = BUF_INIT;
		size_t len, want_len;
		unsigned char *in = slurp(pathf(&path, SDK "encoded/negative/%s", names[i]), &len);
		char *want = slurp(pathf(&path, SDK "decoded/negative/%s", names[i]), &want_len);
		while (want_len && (want[want_len - 1] == '\n' || want[want_len - 1] == ' '))
			want[--want_len] = '\0';
		assert_true(want_len > 0);

		struct run r;
		decode_all_ways(&r, 0, in, len);
		assert_int_equal(r.rc, -1);
		assert_int_equal(r.n, 0);
		assert_int_equal(r.pending, 0);
		if (!strcasestr(r.err, want))
			fail_msg("%s: error \"%s\" should say \"%s\"", names[i], r.err, want);
		run_free(&r);
		buf_free(&path);
		free(want);
		free(in);
	}
}

/* What botocore made of the stream: the events before the failure, and
 * the failure's code and message. */
static void check_botocore(const struct run *r, cJSON *expected, const char *what)
{
	cJSON *events = cJSON_GetObjectItemCaseSensitive(expected, "botocore_parsed_events");
	cJSON *error = cJSON_GetObjectItemCaseSensitive(expected, "botocore_error");
	int k = 0;
	for (int i = 0; i < r->n; i++) {
		const struct msg *m = &r->m[i];
		assert_non_null(m->message_type);
		if (strcmp(m->message_type, "event") != 0) {
			if (!cJSON_IsObject(error))
				fail_msg("%s: message %d is a %s but botocore saw no error", what, i + 1,
					 m->message_type);
			const char *code, *message;
			cJSON *payload = NULL;
			if (!strcmp(m->message_type, "exception")) {
				code = m->exception_type;
				payload = cJSON_ParseWithLength(m->payload, m->payload_len);
				message = json_str(payload, "message");
			} else {
				assert_string_equal(m->message_type, "error");
				code = m->error_code;
				message = m->error_message;
			}
			assert_non_null(code);
			assert_non_null(message);
			assert_string_equal(code, json_str(error, "code"));
			assert_string_equal(message, json_str(error, "message"));
			cJSON_Delete(payload);
			assert_int_equal(k, cJSON_GetArraySize(events));
			assert_int_equal(i, r->n - 1);
			return;
		}
		cJSON *ev = cJSON_GetArrayItem(events, k++);
		assert_non_null(m->event_type);
		cJSON *want = cJSON_GetObjectItemCaseSensitive(ev, m->event_type);
		if (!want)
			fail_msg("%s: botocore event %d is not a %s", what, k, m->event_type);
		cJSON *payload = cJSON_ParseWithLength(m->payload, m->payload_len);
		assert_non_null(payload);
		if (!strcmp(m->event_type, "chunk")) {
			struct buf got = BUF_INIT, text = BUF_INIT;
			base64_hex(&got, json_str(payload, "bytes"));
			const char *decoded = json_str(want, "bytes_decoded");
			hex(&text, decoded, strlen(decoded));
			assert_string_equal(buf_str(&got), buf_str(&text));
			buf_free(&got);
			buf_free(&text);
		} else {
			cJSON_DeleteItemFromObjectCaseSensitive(payload, "p");
			if (!cJSON_Compare(payload, want, 1))
				fail_msg("%s: event %d payload %s differs from botocore's", what, k, m->payload);
		}
		cJSON_Delete(payload);
	}
	assert_int_equal(k, cJSON_GetArraySize(events));
	assert_true(error == NULL || cJSON_IsNull(error));
}

static void test_generated_bedrock_streams(void **state)
{
	(void)state;
	char dirs[16][256];
	int nd = list_dir(GENERATED, dirs, 16);
	assert_int_equal(nd, 7);
	for (int i = 0; i < nd; i++) {
		struct buf path = BUF_INIT;
		cJSON *expected = slurp_json(pathf(&path, GENERATED "%s/expected.json", dirs[i]));
		cJSON *frames = cJSON_GetObjectItemCaseSensitive(expected, "frames");
		struct buf want = BUF_INIT;
		cJSON *f;
		cJSON_ArrayForEach(f, frames)
			log_generated_frame(&want, f);

		size_t len;
		unsigned char *in = slurp(pathf(&path, GENERATED "%s/stream.bin", dirs[i]), &len);
		struct run r;
		decode_all_ways(&r, 0, in, len);
		assert_int_equal(r.rc, 0);
		assert_int_equal(r.pending, 0);
		assert_int_equal(r.n, cJSON_GetArraySize(frames));
		assert_log(&r.log, &want, dirs[i]);
		check_botocore(&r, expected, dirs[i]);

		/* Each frame alone, and encoded again from its decoded form. */
		int k = 0;
		cJSON_ArrayForEach(f, frames) {
			size_t flen;
			unsigned char *frame = slurp(pathf(&path, GENERATED "%s/%s", dirs[i], json_str(f, "file")),
						     &flen);
			struct buf one = BUF_INIT, frame_hex = BUF_INIT;
			log_generated_frame(&one, f);
			struct run fr;
			feed(&fr, 0, frame, flen, 0, 0);
			assert_int_equal(fr.n, 1);
			assert_log(&fr.log, &one, buf_str(&path));
			hex(&frame_hex, frame, flen);
			assert_string_equal(buf_str(&frame_hex), json_str(f, "hex"));
			assert_int_equal(r.m[k].encoded.len, flen);
			assert_memory_equal(r.m[k].encoded.data, frame, flen);
			run_free(&fr);
			buf_free(&one);
			buf_free(&frame_hex);
			free(frame);
			k++;
		}
		run_free(&r);
		buf_free(&want);
		buf_free(&path);
		free(in);
		cJSON_Delete(expected);
	}
}

static void test_round_trip_every_type(void **state)
{
	(void)state;
	static char long_value[ES_MAX_VALUE_LEN];
	memset(long_value, 'v', sizeof long_value);
	char long_name[256];
	memset(long_name, 'n', 255);
	long_name[255] = '\0';
	struct es_header h[] = {
		{.name = "t", .type = ES_BOOL_TRUE},
		{.name = "f", .type = ES_BOOL_FALSE},
		{.name = "byte", .type = ES_BYTE, .v.i8 = -128},
		{.name = "i16", .type = ES_INT16, .v.i16 = -32768},
		{.name = "i32", .type = ES_INT32, .v.i32 = INT32_MIN},
		{.name = "i64", .type = ES_INT64, .v.i64 = INT64_MIN},
		{.name = "i64max", .type = ES_INT64, .v.i64 = INT64_MAX},
		{.name = "bytes", .type = ES_BYTES, .v.bytes = {"\0\x01\xff", 3}},
		{.name = "empty", .type = ES_STRING, .v.bytes = {"", 0}},
		{.name = "utf8", .type = ES_STRING, .v.bytes = {"h\xc3\xa9llo", 6}},
		{.name = "long", .type = ES_STRING, .v.bytes = {long_value, sizeof long_value}},
		{.name = long_name, .type = ES_BYTE, .v.i8 = 127},
		{.name = "ts", .type = ES_TIMESTAMP, .v.timestamp_ms = 1727346171123},
		{.name = "uuid", .type = ES_UUID, .v.uuid = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}},
		{.name = "with-len-ignored-tail", .name_len = 9, .type = ES_INT32, .v.i32 = 7},
	};
	size_t nh = sizeof h / sizeof *h;
	static const unsigned char payload[] = {0, 1, 2, 0xff, '{', '}'};
	struct buf out = BUF_INIT;
	assert_int_equal(es_encode(&out, h, nh, payload, sizeof payload), 0);
	assert_int_equal(es_encode(&out, NULL, 0, NULL, 0), 0);

	struct run r;
	decode_all_ways(&r, 0, out.data, out.len);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.m[1].payload_len, 0);
	assert_int_equal(r.m[0].payload_len, sizeof payload);
	assert_memory_equal(r.m[0].payload, payload, sizeof payload);
	assert_int_equal(r.m[0].encoded.len + r.m[1].encoded.len, out.len);
	assert_memory_equal(r.m[0].encoded.data, out.data, r.m[0].encoded.len);
	run_free(&r);
	buf_free(&out);
}

struct capture {
	struct buf names;
	int64_t i64, ts;
	int32_t i32;
	int16_t i16;
	int8_t i8;
	int t, f;
	unsigned char uuid[16];
	struct buf bytes, longv, empty;
	int found_empty;
	size_t n_headers;
};

static int capture_values(void *ud, const struct es_message *m)
{
	struct capture *c = ud;
	c->n_headers = m->n_headers;
	for (size_t i = 0; i < m->n_headers; i++) {
		buf_puts(&c->names, m->headers[i].name);
		buf_putc(&c->names, ',');
	}
	c->t = es_header_find(m, "t")->v.boolean;
	c->f = es_header_find(m, "f")->v.boolean;
	c->i8 = es_header_find(m, "byte")->v.i8;
	c->i16 = es_header_find(m, "i16")->v.i16;
	c->i32 = es_header_find(m, "i32")->v.i32;
	c->i64 = es_header_find(m, "i64")->v.i64;
	c->ts = es_header_find(m, "ts")->v.timestamp_ms;
	memcpy(c->uuid, es_header_find(m, "uuid")->v.uuid, 16);
	const struct es_header *b = es_header_find(m, "bytes");
	buf_append(&c->bytes, b->v.bytes.ptr, b->v.bytes.len);
	size_t len = 99;
	const char *s = es_header_string(m, "long", &len);
	buf_append(&c->longv, s, len);
	s = es_header_string(m, "empty", &len);
	c->found_empty = s != NULL && len == 0 && *s == '\0';
	assert_null(es_header_string(m, "bytes", NULL)); /* not a string */
	assert_null(es_header_string(m, "missing", NULL));
	assert_null(es_header_find(m, "Byte"));
	assert_null(es_header_find(m, ""));
	return 0;
}

static void test_decoded_values(void **state)
{
	(void)state;
	static char long_value[ES_MAX_VALUE_LEN];
	memset(long_value, 'v', sizeof long_value);
	struct es_header h[] = {
		{.name = "t", .type = ES_BOOL_TRUE},
		{.name = "f", .type = ES_BOOL_FALSE},
		{.name = "byte", .type = ES_BYTE, .v.i8 = -2},
		{.name = "i16", .type = ES_INT16, .v.i16 = -32768},
		{.name = "i32", .type = ES_INT32, .v.i32 = INT32_MIN},
		{.name = "i64", .type = ES_INT64, .v.i64 = INT64_MIN},
		{.name = "bytes", .type = ES_BYTES, .v.bytes = {"\0\x01\xff", 3}},
		{.name = "empty", .type = ES_STRING, .v.bytes = {NULL, 0}},
		{.name = "long", .type = ES_STRING, .v.bytes = {long_value, sizeof long_value}},
		{.name = "ts", .type = ES_TIMESTAMP, .v.timestamp_ms = -1},
		{.name = "uuid", .type = ES_UUID, .v.uuid = {0xff, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0x80}},
	};
	struct buf out = BUF_INIT;
	assert_int_equal(es_encode(&out, h, sizeof h / sizeof *h, "x", 1), 0);
	struct capture c;
	memset(&c, 0, sizeof c);
	struct es_decoder *d = es_decoder_new(0, capture_values, &c);
	assert_int_equal(es_feed(d, out.data, out.len, NULL), 0);
	assert_int_equal(es_finish(d), 0);
	es_decoder_free(d);
	assert_int_equal(c.n_headers, 11);
	assert_string_equal(buf_str(&c.names), "t,f,byte,i16,i32,i64,bytes,empty,long,ts,uuid,");
	assert_int_equal(c.t, 1);
	assert_int_equal(c.f, 0);
	assert_int_equal(c.i8, -2);
	assert_int_equal(c.i16, -32768);
	assert_true(c.i32 == INT32_MIN);
	assert_true(c.i64 == INT64_MIN);
	assert_true(c.ts == -1);
	assert_memory_equal(c.uuid, h[10].v.uuid, 16);
	assert_int_equal(c.bytes.len, 3);
	assert_memory_equal(c.bytes.data, "\0\x01\xff", 3);
	assert_int_equal(c.longv.len, sizeof long_value);
	assert_memory_equal(c.longv.data, long_value, sizeof long_value);
	assert_true(c.found_empty);
	buf_free(&c.names);
	buf_free(&c.bytes);
	buf_free(&c.longv);
	buf_free(&out);
}

static void test_encoder_rejects(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	buf_puts(&out, "keep");
	char name256[257];
	memset(name256, 'n', 256);
	name256[256] = '\0';
	static char big[ES_MAX_VALUE_LEN + 1];
	struct es_header bad[][2] = {
		{{.name = "", .type = ES_BOOL_TRUE}},
		{{.name = name256, .type = ES_BOOL_TRUE}},
		{{.name = "x", .type = (enum es_type)10}},
		{{.name = "x", .type = ES_STRING, .v.bytes = {big, sizeof big}}},
		{{.name = "x", .type = ES_BYTES, .v.bytes = {big, sizeof big}}},
		{{.name = "x", .type = ES_STRING, .v.bytes = {NULL, 3}}},
		{{.name = "dup", .type = ES_BOOL_TRUE}, {.name = "dup", .type = ES_INT32}},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		size_t n = bad[i][1].name ? 2 : 1;
		if (es_encode(&out, bad[i], n, "p", 1) != -1)
			fail_msg("bad header set %zu was encoded", i);
		assert_int_equal(out.len, 4);
		assert_string_equal(out.data, "keep");
	}
	/* Too many headers; too big a header block. */
	struct es_header *many = xcalloc(ES_MAX_HEADERS + 1, sizeof *many);
	char (*names)[8] = xcalloc(ES_MAX_HEADERS + 1, 8);
	for (size_t i = 0; i <= ES_MAX_HEADERS; i++) {
		snprintf(names[i], 8, "h%zu", i);
		many[i].name = names[i];
		many[i].type = ES_BOOL_TRUE;
	}
	assert_int_equal(es_encode(&out, many, ES_MAX_HEADERS + 1, NULL, 0), -1);
	assert_int_equal(es_encode(&out, many, ES_MAX_HEADERS, NULL, 0), 0);
	for (size_t i = 0; i < 5; i++) {
		many[i].type = ES_BYTES;
		many[i].v.bytes.ptr = big;
		many[i].v.bytes.len = ES_MAX_VALUE_LEN;
	}
	assert_int_equal(es_encode(&out, many, 4, NULL, 0), -1);
	assert_int_equal(es_encode(&out, many, 3, NULL, 0), 0);
	free(many);
	free(names);
	buf_free(&out);
}

/* A message around a raw header block, with correct CRCs. A non-zero total
 * and a headers length other than UINT32_MAX replace the true ones. */
static void frame_raw(struct buf *out, const void *block, size_t hl, const void *payload, size_t plen,
		      uint32_t total, uint32_t hl_field)
{
	unsigned char p[12];
	uint32_t t = total ? total : (uint32_t)(16 + hl + plen);
	uint32_t h = hl_field != UINT32_MAX ? hl_field : (uint32_t)hl;
	p[0] = (unsigned char)(t >> 24), p[1] = (unsigned char)(t >> 16), p[2] = (unsigned char)(t >> 8), p[3] = (unsigned char)t;
	p[4] = (unsigned char)(h >> 24), p[5] = (unsigned char)(h >> 16), p[6] = (unsigned char)(h >> 8), p[7] = (unsigned char)h;
	uint32_t c = es_crc32(0, p, 8);
	p[8] = (unsigned char)(c >> 24), p[9] = (unsigned char)(c >> 16), p[10] = (unsigned char)(c >> 8), p[11] = (unsigned char)c;
	size_t start = out->len;
	buf_append(out, p, 12);
	buf_append(out, block, hl);
	buf_append(out, payload, plen);
	c = es_crc32(0, out->data + start, out->len - start);
	unsigned char q[4] = {(unsigned char)(c >> 24), (unsigned char)(c >> 16), (unsigned char)(c >> 8), (unsigned char)c};
	buf_append(out, q, 4);
}

static void expect_error(const void *in, size_t n, size_t max_payload, int want_messages, const char *want)
{
	struct run r;
	decode_all_ways(&r, max_payload, in, n);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.n, want_messages);
	if (!strstr(r.err, want))
		fail_msg("error \"%s\" should say \"%s\"", r.err, want);
	run_free(&r);
}

static void expect_header_error(const void *block, size_t hl, const char *want)
{
	struct buf in = BUF_INIT;
	es_encode(&in, NULL, 0, "ok", 2);
	frame_raw(&in, block, hl, "{}", 2, 0, UINT32_MAX);
	expect_error(in.data, in.len, 0, 1, want);
	buf_free(&in);
}

#define BLOCK(s) (s), sizeof(s) - 1

static void test_malformed_headers(void **state)
{
	(void)state;
	expect_header_error(BLOCK("\x00\x00"), "header 1 has an empty name");
	expect_header_error(BLOCK("\x01" "a\x00" "\x00\x00"), "header 2 has an empty name");
	expect_header_error(BLOCK("\x0a" "abc"), "header 1 name truncated");
	expect_header_error(BLOCK("\x03" "abc"), "header \"abc\" type truncated");
	expect_header_error(BLOCK("\x03" "abc\x0a"), "header \"abc\" has unknown type 10");
	expect_header_error(BLOCK("\x03" "abc\xff"), "unknown type 255");
	expect_header_error(BLOCK("\x03" "abc\x04\x00\x00\x01"), "header \"abc\" value truncated");
	expect_header_error(BLOCK("\x03" "abc\x09\x00\x00\x01"), "header \"abc\" value truncated");
	expect_header_error(BLOCK("\x03" "abc\x05\x00\x00\x00\x00\x00\x00\x00"), "value truncated");
	expect_header_error(BLOCK("\x03" "abc\x02"), "value truncated");
	expect_header_error(BLOCK("\x03" "abc\x07\x00"), "header \"abc\" value length truncated");
	expect_header_error(BLOCK("\x03" "abc\x07\x00\x05xyz"), "header \"abc\" value truncated");
	expect_header_error(BLOCK("\x03" "abc\x06\x80\x00"), "value length 32768 exceeds 32767");
	expect_header_error(BLOCK("\x03" "abc\x07\xff\xff"), "value length 65535 exceeds 32767");
	expect_header_error(BLOCK("\x01" "a\x00\x01" "a\x01"), "duplicate header \"a\"");
	expect_header_error(BLOCK("\x02" "\x1b["), "header \"?[\" type truncated");
	/* A name that fills the block exactly has no type byte. */
	expect_header_error(BLOCK("\x03" "abc\x00\x02xy"), "header \"xy\" type truncated");

	/* 1025 boolean headers. */
	struct buf block = BUF_INIT;
	for (int i = 0; i <= ES_MAX_HEADERS; i++) {
		char name[8];
		int k = snprintf(name, sizeof name, "h%d", i);
		buf_putc(&block, (char)k);
		buf_append(&block, name, (size_t)k);
		buf_putc(&block, ES_BOOL_TRUE);
	}
	expect_header_error(block.data, block.len, "more than 1024 headers");
	buf_free(&block);
}

static void test_bad_lengths(void **state)
{
	(void)state;
	struct buf in = BUF_INIT;
	frame_raw(&in, NULL, 0, NULL, 0, 15, UINT32_MAX);
	expect_error(in.data, in.len, 0, 0, "total length 15 is below the 16-byte minimum");
	buf_reset(&in);
	frame_raw(&in, NULL, 0, NULL, 0, 12, UINT32_MAX);
	expect_error(in.data, in.len, 0, 0, "below the 16-byte minimum");
	buf_reset(&in);
	frame_raw(&in, "\x01" "a\x00", 3, NULL, 0, 0, 4);
	expect_error(in.data, in.len, 0, 0, "headers length 4 does not fit in a message of 19 bytes");
	buf_reset(&in);
	frame_raw(&in, NULL, 0, NULL, 0, UINT32_MAX, 200 << 10);
	expect_error(in.data, 12, 0, 0, "headers length 204800 exceeds the 131072-byte limit");
	buf_reset(&in);
	/* The payload cap: only the prelude is read, nothing is buffered. */
	frame_raw(&in, NULL, 0, NULL, 0, (uint32_t)(ES_MAX_PAYLOAD_DEFAULT + 17), 0);
	expect_error(in.data, 12, 0, 0, "payload of 16777217 bytes exceeds the 16777216-byte limit");
	buf_reset(&in);
	frame_raw(&in, NULL, 0, NULL, 0, UINT32_MAX, 0);
	expect_error(in.data, 12, 0, 0, "exceeds the 16777216-byte limit");
	buf_reset(&in);
	/* A smaller cap chosen by the caller. */
	static char payload[101];
	memset(payload, 'x', sizeof payload);
	es_encode(&in, NULL, 0, payload, 100);
	es_encode(&in, NULL, 0, payload, 101);
	expect_error(in.data, in.len, 100, 1, "payload of 101 bytes exceeds the 100-byte limit");
	buf_free(&in);
}

static void test_checksums(void **state)
{
	(void)state;
	struct buf in = BUF_INIT;
	struct es_header h = {.name = ":event-type", .type = ES_STRING, .v.bytes = {"chunk", 5}};
	es_encode(&in, &h, 1, "{\"a\":1}", 7);
	size_t one = in.len;
	es_encode(&in, &h, 1, "{\"a\":2}", 7);
	/* Every bit of the second message's prelude, then of the rest. */
	for (size_t bit = 0; bit < 8 * (in.len - one); bit++) {
		struct buf bad = BUF_INIT;
		buf_append(&bad, in.data, in.len);
		bad.data[one + bit / 8] ^= (char)(1 << bit % 8);
		struct run r;
		feed(&r, 0, bad.data, bad.len, 0, 0);
		assert_int_equal(r.rc, -1);
		assert_int_equal(r.n, 1);
		/* A flipped length is caught by the prelude CRC before it is used. */
		const char *want = bit / 8 < 12 ? "prelude checksum mismatch" : "message checksum mismatch";
		if (!strstr(r.err, want))
			fail_msg("bit %zu: \"%s\" should say \"%s\"", bit, r.err, want);
		char where[64];
		snprintf(where, sizeof where, "message 2 (at byte %zu)", one);
		assert_non_null(strstr(r.err, where));
		run_free(&r);
		buf_free(&bad);
	}
	buf_free(&in);
}

static void test_failed_stays_failed(void **state)
{
	(void)state;
	struct buf good = BUF_INIT;
	es_encode(&good, NULL, 0, "x", 1);
	struct run r;
	memset(&r, 0, sizeof r);
	struct es_decoder *d = es_decoder_new(0, on_message, &r);
	struct err e = ERR_INIT;
	assert_int_equal(es_feed(d, "\0\0\0\0\0\0\0\0\0\0\0\0", 12, &e), -1);
	assert_non_null(strstr(err_msg(&e), "prelude checksum mismatch"));
	err_clear(&e);
	assert_int_equal(es_feed(d, good.data, good.len, &e), -1);
	assert_non_null(strstr(err_msg(&e), "prelude checksum mismatch"));
	assert_int_equal(es_feed(d, NULL, 0, NULL), -1);
	assert_int_equal(es_finish(d), 0);
	assert_int_equal(r.n, 0);
	es_decoder_free(d);
	run_free(&r);
	buf_free(&good);
}

static void test_truncated_stream(void **state)
{
	(void)state;
	size_t len;
	unsigned char *in = slurp(GENERATED "converse_stream_text/stream.bin", &len);
	struct run whole;
	feed(&whole, 0, in, len, 0, 0);
	assert_int_equal(whole.n, 6);
	size_t ends[6], at = 0;
	for (int i = 0; i < 6; i++) {
		at += whole.m[i].encoded.len;
		ends[i] = at;
	}
	assert_int_equal(at, len);
	for (size_t cut = 0; cut < len; cut++) {
		int complete = 0, boundary = cut == 0;
		for (int i = 0; i < 6; i++) {
			if (ends[i] <= cut)
				complete = i + 1;
			if (ends[i] == cut)
				boundary = 1;
		}
		struct run r;
		feed(&r, 0, in, cut, 0, 5);
		assert_int_equal(r.rc, 0);
		assert_int_equal(r.n, complete);
		assert_int_equal(r.pending, !boundary);
		run_free(&r);
	}
	run_free(&whole);
	free(in);
}

static void test_empty_and_minimal(void **state)
{
	(void)state;
	struct run r;
	memset(&r, 0, sizeof r);
	struct es_decoder *d = es_decoder_new(0, on_message, &r);
	assert_int_equal(es_feed(d, NULL, 0, NULL), 0);
	assert_int_equal(es_finish(d), 0);
	/* Three empty messages in one feed. */
	struct buf in = BUF_INIT;
	for (int i = 0; i < 3; i++)
		es_encode(&in, NULL, 0, NULL, 0);
	assert_int_equal(in.len, 48);
	assert_memory_equal(in.data, "\x00\x00\x00\x10\x00\x00\x00\x00\x05\xc2\x48\xeb\x7d\x98\xc8\xff", 16);
	assert_int_equal(es_feed(d, in.data, in.len, NULL), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.m[2].payload_len, 0);
	assert_int_equal(es_finish(d), 0);
	es_decoder_free(d);
	run_free(&r);
	buf_free(&in);
}

static void test_large_payload_in_pieces(void **state)
{
	(void)state;
	size_t n = (size_t)3 << 20;
	char *payload = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		payload[i] = (char)(i * 7 + (i >> 9));
	struct buf in = BUF_INIT;
	struct es_header h = {.name = ":event-type", .type = ES_STRING, .v.bytes = {"big", 3}};
	es_encode(&in, &h, 1, payload, n);
	es_encode(&in, &h, 1, "tail", 4);
	static const size_t steps[] = {1000, 4096, 16384, 1 << 20};
	for (size_t s = 0; s < sizeof steps / sizeof *steps; s++) {
		struct run r;
		feed(&r, 0, in.data, in.len, 5, steps[s]);
		assert_int_equal(r.rc, 0);
		assert_int_equal(r.n, 2);
		assert_int_equal(r.m[0].payload_len, n);
		assert_memory_equal(r.m[0].payload, payload, n);
		assert_string_equal(r.m[1].payload, "tail");
		assert_int_equal(r.pending, 0);
		run_free(&r);
	}
	free(payload);
	buf_free(&in);
}

static void test_callback_stops(void **state)
{
	(void)state;
	struct buf in = BUF_INIT;
	for (int i = 0; i < 3; i++)
		es_encode(&in, NULL, 0, "x", 1);
	struct run r;
	memset(&r, 0, sizeof r);
	r.stop_after = 2;
	struct es_decoder *d = es_decoder_new(0, on_message, &r);
	assert_int_equal(es_feed(d, in.data, in.len, NULL), 1);
	assert_int_equal(r.n, 2);
	assert_int_equal(es_feed(d, in.data, in.len, NULL), 1);
	assert_int_equal(r.n, 2);
	assert_int_equal(es_finish(d), 0);
	es_decoder_free(d);
	run_free(&r);
	buf_free(&in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32_check_value),
		cmocka_unit_test(test_sdk_positive_vectors),
		cmocka_unit_test(test_sdk_negative_vectors),
		cmocka_unit_test(test_generated_bedrock_streams),
		cmocka_unit_test(test_round_trip_every_type),
		cmocka_unit_test(test_decoded_values),
		cmocka_unit_test(test_encoder_rejects),
		cmocka_unit_test(test_malformed_headers),
		cmocka_unit_test(test_bad_lengths),
		cmocka_unit_test(test_checksums),
		cmocka_unit_test(test_failed_stays_failed),
		cmocka_unit_test(test_truncated_stream),
		cmocka_unit_test(test_empty_and_minimal),
		cmocka_unit_test(test_large_payload_in_pieces),
		cmocka_unit_test(test_callback_stops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
