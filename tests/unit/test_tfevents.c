/* tfevents: CRC32C against published vectors (RFC 3720 B.4 and the common
 * check value), TFRecord framing (whole, cut anywhere, damaged), and Event /
 * Summary scalars built byte by byte from the documented field numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "jobs/tfevents.h"

static void test_crc32c_vectors(void **state)
{
	(void)state;
	uint8_t b[32];
	assert_int_equal(crc32c(0, "123456789", 9), 0xe3069283u);
	memset(b, 0, sizeof b);
	assert_int_equal(crc32c(0, b, 32), 0x8a9136aau);
	memset(b, 0xff, sizeof b);
	assert_int_equal(crc32c(0, b, 32), 0x62a8ab43u);
	for (int i = 0; i < 32; i++)
		b[i] = (uint8_t)i;
	assert_int_equal(crc32c(0, b, 32), 0x46dd794eu);
	for (int i = 0; i < 32; i++)
		b[i] = (uint8_t)(31 - i);
	assert_int_equal(crc32c(0, b, 32), 0x113fdb5cu);
	/* incremental equals one pass */
	assert_int_equal(crc32c(crc32c(0, "1234", 4), "56789", 5), 0xe3069283u);
	assert_int_equal(crc32c(0, "", 0), 0);
	assert_int_equal(crc32c_mask(0), 0xa282ead8u);
	assert_int_equal(crc32c_mask(0xe3069283u), ((0xe3069283u >> 15 | 0xe3069283u << 17) + 0xa282ead8u));
}

/* ---------------------------------------------------------------- encoder */

static void varint(struct buf *b, uint64_t v)
{
	do {
		uint8_t c = v & 0x7f;
		v >>= 7;
		buf_putc(b, (char)(c | (v ? 0x80 : 0)));
	} while (v);
}

static void key(struct buf *b, uint32_t field, int wt)
{
	varint(b, (uint64_t)field << 3 | (uint64_t)wt);
}

static void le(struct buf *b, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		buf_putc(b, (char)(v >> (8 * i)));
}

static void ld(struct buf *b, uint32_t field, const struct buf *payload)
{
	key(b, field, 2);
	varint(b, payload->len);
	buf_append(b, payload->data ? payload->data : "", payload->len);
}

static void ld_str(struct buf *b, uint32_t field, const char *s)
{
	key(b, field, 2);
	varint(b, strlen(s));
	buf_puts(b, s);
}

static uint32_t f32bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	return u;
}

static uint64_t f64bits(double d)
{
	uint64_t u;
	memcpy(&u, &d, 8);
	return u;
}

static void record(struct buf *out, const struct buf *data)
{
	uint8_t len[8];
	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)((uint64_t)data->len >> (8 * i));
	buf_append(out, len, 8);
	le(out, crc32c_mask(crc32c(0, len, 8)), 4);
	buf_append(out, data->data ? data->data : "", data->len);
	le(out, crc32c_mask(crc32c(0, data->data ? data->data : "", data->len)), 4);
}

/* An Event with wall_time, step and a Summary of the given Value messages. */
static void event(struct buf *ev, double wall, int64_t step, const struct buf *values, size_t n)
{
	struct buf summary = BUF_INIT;
	for (size_t i = 0; i < n; i++)
		ld(&summary, 1, &values[i]);
	key(ev, 1, 1);
	le(ev, f64bits(wall), 8);
	key(ev, 2, 0);
	varint(ev, (uint64_t)step);
	ld(ev, 5, &summary);
	buf_free(&summary);
}

struct got {
	char tags[16][64];
	double values[16];
	int64_t steps[16];
	double walls[16];
	int n;
};

static void on_scalar(void *ud, const char *tag, size_t tag_len, int64_t step, double wall, double value)
{
	struct got *g = ud;
	assert_true(g->n < 16);
	snprintf(g->tags[g->n], 64, "%.*s", (int)tag_len, tag);
	g->values[g->n] = value;
	g->steps[g->n] = step;
	g->walls[g->n] = wall;
	g->n++;
}

/* Value{tag, tensor{dtype, shape{dims}, then the caller's value fields}} */
static void tensor_value(struct buf *v, const char *tag, int dtype, int dims, const struct buf *fields)
{
	struct buf t = BUF_INIT, shape = BUF_INIT;
	for (int i = 0; i < dims; i++) {
		struct buf dim = BUF_INIT;
		key(&dim, 1, 0);
		varint(&dim, 2);
		ld(&shape, 2, &dim);
		buf_free(&dim);
	}
	key(&t, 1, 0);
	varint(&t, (uint64_t)dtype);
	ld(&t, 2, &shape);
	buf_append(&t, fields->data ? fields->data : "", fields->len);
	ld_str(v, 1, tag);
	ld(v, 8, &t);
	buf_free(&t);
	buf_free(&shape);
}

static void test_scalars(void **state)
{
	(void)state;
	struct buf v[9];
	for (int i = 0; i < 9; i++)
		memset(&v[i], 0, sizeof v[i]);
	struct buf f = BUF_INIT;
	/* 0: simple_value */
	ld_str(&v[0], 1, "loss");
	key(&v[0], 2, 5);
	le(&v[0], f32bits(0.25f), 4);
	/* 1: DT_FLOAT scalar, packed float_val (TF2 tf.summary.scalar) */
	struct buf packed = BUF_INIT;
	le(&packed, f32bits(0.75f), 4);
	ld(&f, 5, &packed);
	tensor_value(&v[1], "acc", 1, 0, &f);
	buf_reset(&f);
	buf_reset(&packed);
	/* 2: DT_DOUBLE through tensor_content */
	le(&packed, f64bits(-3.5), 8);
	ld(&f, 4, &packed);
	tensor_value(&v[2], "lr", 2, 0, &f);
	buf_reset(&f);
	buf_reset(&packed);
	/* 3: DT_INT64, int64_val unpacked */
	key(&f, 10, 0);
	varint(&f, 12345);
	tensor_value(&v[3], "tokens", 9, 0, &f);
	buf_reset(&f);
	/* 4: DT_HALF 1.5 = 0x3e00 in half_val */
	key(&f, 13, 0);
	varint(&f, 0x3e00);
	tensor_value(&v[4], "half", 19, 0, &f);
	buf_reset(&f);
	/* 5: histogram plugin: skipped even though simple_value is set */
	struct buf meta = BUF_INIT, plugin = BUF_INIT;
	ld_str(&plugin, 1, "histograms");
	ld(&meta, 1, &plugin);
	ld_str(&v[5], 1, "hist");
	key(&v[5], 2, 5);
	le(&v[5], f32bits(9.0f), 4);
	ld(&v[5], 9, &meta);
	/* 6: a shape [2] float tensor: not a scalar */
	le(&packed, f32bits(1.0f), 4);
	le(&packed, f32bits(2.0f), 4);
	ld(&f, 5, &packed);
	tensor_value(&v[6], "vec", 1, 1, &f);
	buf_reset(&f);
	buf_reset(&packed);
	/* 7: DT_STRING tensor (text plugin): skipped */
	ld_str(&f, 8, "hello");
	tensor_value(&v[7], "text", 7, 0, &f);
	buf_reset(&f);
	/* 8: scalars plugin named explicitly, DT_INT32 negative via int_val */
	buf_reset(&meta);
	buf_reset(&plugin);
	ld_str(&plugin, 1, "scalars");
	ld(&meta, 1, &plugin);
	key(&f, 7, 0);
	varint(&f, (uint64_t)(int64_t)-7);
	tensor_value(&v[8], "neg", 3, 0, &f);
	ld(&v[8], 9, &meta);

	struct buf ev = BUF_INIT, file = BUF_INIT, first = BUF_INIT;
	key(&first, 1, 1);
	le(&first, f64bits(1700000000.0), 8);
	ld_str(&first, 3, "brain.Event:2");
	record(&file, &first);
	event(&ev, 1700000001.5, 42, v, 9);
	record(&file, &ev);

	struct got g = {0};
	const uint8_t *p = (const uint8_t *)file.data, *data;
	size_t at = 0, len, used;
	struct err e = ERR_INIT;
	int records = 0;
	while (tfrecord_next(p + at, file.len - at, &data, &len, &used, &e) == 1) {
		assert_int_equal(tfevent_scalars(data, len, on_scalar, &g, &e), 0);
		at += used;
		records++;
	}
	assert_int_equal(records, 2);
	assert_int_equal(at, file.len);
	assert_int_equal(g.n, 6);
	assert_string_equal(g.tags[0], "loss");
	assert_true(g.values[0] == 0.25);
	assert_int_equal(g.steps[0], 42);
	assert_true(g.walls[0] == 1700000001.5);
	assert_string_equal(g.tags[1], "acc");
	assert_true(g.values[1] == 0.75);
	assert_string_equal(g.tags[2], "lr");
	assert_true(g.values[2] == -3.5);
	assert_string_equal(g.tags[3], "tokens");
	assert_true(g.values[3] == 12345);
	assert_string_equal(g.tags[4], "half");
	assert_true(g.values[4] == 1.5);
	assert_string_equal(g.tags[5], "neg");
	assert_true(g.values[5] == -7);

	/* every cut of the file short of a record's end is "need more", never an error */
	for (size_t cut = 0; cut < first.len + 16; cut++) {
		int r = tfrecord_next(p, cut, &data, &len, &used, &e);
		assert_int_equal(r, cut >= first.len + 16 ? 1 : 0);
	}
	size_t second = first.len + 16;
	for (size_t cut = second; cut < file.len; cut++)
		assert_int_equal(tfrecord_next(p + second, cut - second, &data, &len, &used, &e), 0);

	/* damaged data CRC, damaged length CRC, absurd length */
	struct buf bad = BUF_INIT;
	buf_append(&bad, file.data, file.len);
	bad.data[second + 12 + 3] ^= 0x40;
	assert_int_equal(tfrecord_next((uint8_t *)bad.data + second, bad.len - second, &data, &len, &used, &e), -1);
	assert_non_null(strstr(e.msg, "CRC32C"));
	buf_reset(&bad);
	buf_append(&bad, file.data, file.len);
	bad.data[1] ^= 1;
	err_clear(&e);
	assert_int_equal(tfrecord_next((uint8_t *)bad.data, bad.len, &data, &len, &used, &e), -1);
	uint8_t huge[12] = {0, 0, 0, 0, 0, 0, 0, 0x10};
	uint32_t m = crc32c_mask(crc32c(0, huge, 8));
	memcpy(huge + 8, &m, 4); /* little-endian machine */
	err_clear(&e);
	assert_int_equal(tfrecord_next(huge, 12, &data, &len, &used, &e), -1);
	assert_non_null(strstr(e.msg, "larger"));

	/* malformed protobuf: a cut varint, a length past the end, a group wire type */
	static const uint8_t cut_varint[] = {0x10, 0x80};
	static const uint8_t long_len[] = {0x2a, 0x05, 0x0a};
	static const uint8_t group[] = {0x0b};
	assert_int_equal(tfevent_scalars(cut_varint, sizeof cut_varint, on_scalar, &g, &e), -1);
	assert_int_equal(tfevent_scalars(long_len, sizeof long_len, on_scalar, &g, &e), -1);
	assert_int_equal(tfevent_scalars(group, sizeof group, on_scalar, &g, &e), -1);
	assert_int_equal(tfevent_scalars(NULL, 0, on_scalar, &g, &e), 0);

	for (int i = 0; i < 9; i++)
		buf_free(&v[i]);
	buf_free(&f);
	buf_free(&packed);
	buf_free(&meta);
	buf_free(&plugin);
	buf_free(&ev);
	buf_free(&file);
	buf_free(&first);
	buf_free(&bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_vectors),
		cmocka_unit_test(test_scalars),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
