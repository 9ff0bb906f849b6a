#include "jobs/tfevents.h"

#include <math.h>
#include <string.h>

static uint32_t crc32c_table[256];

static void crc32c_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc32c_table[i] = c;
	}
}

uint32_t crc32c(uint32_t crc, const void *data, size_t n)
{
	if (!crc32c_table[1])
		crc32c_init();
	const uint8_t *p = data;
	crc = ~crc;
	while (n--)
		crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

uint32_t crc32c_mask(uint32_t crc)
{
	return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int tfrecord_next(const uint8_t *buf, size_t n, const uint8_t **data, size_t *len, size_t *used, struct err *e)
{
	if (n < 12)
		return 0;
	uint64_t length = le64(buf);
	if (crc32c_mask(crc32c(0, buf, 8)) != le32(buf + 8))
		return err_set(e, "the record length's CRC32C does not match (the file is damaged)");
	if (length > TFRECORD_MAX)
		return err_set(e, "a record of %llu bytes is larger than %llu bytes", (unsigned long long)length,
			       (unsigned long long)TFRECORD_MAX);
	if (n - 12 < length + 4)
		return 0;
	if (crc32c_mask(crc32c(0, buf + 12, (size_t)length)) != le32(buf + 12 + length))
		return err_set(e, "a record's data CRC32C does not match (the file is damaged)");
	*data = buf + 12;
	*len = (size_t)length;
	*used = 12 + (size_t)length + 4;
	return 1;
}

/* Protocol buffer wire format, just enough to walk messages. */
enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

struct pb {
	const uint8_t *p, *end;
};

struct pb_field {
	uint32_t num;
	int wt;
	uint64_t v; /* varint, I64 and I32 values */
	struct pb sub; /* LEN */
};

static int pb_varint(struct pb *b, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (b->p >= b->end)
			return -1;
		uint8_t c = *b->p++;
		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
	}
	return -1;
}

/* 1 with f, 0 at the end, -1 when malformed. */
static int pb_next(struct pb *b, struct pb_field *f)
{
	if (b->p >= b->end)
		return 0;
	uint64_t key;
	if (pb_varint(b, &key) < 0 || key >> 3 == 0 || key >> 3 > 0x1fffffff)
		return -1;
	f->num = (uint32_t)(key >> 3);
	f->wt = (int)(key & 7);
	switch (f->wt) {
	case WT_VARINT:
		return pb_varint(b, &f->v) < 0 ? -1 : 1;
	case WT_I64:
		if (b->end - b->p < 8)
			return -1;
		f->v = le64(b->p);
		b->p += 8;
		return 1;
	case WT_I32:
		if (b->end - b->p < 4)
			return -1;
		f->v = le32(b->p);
		b->p += 4;
		return 1;
	case WT_LEN: {
		uint64_t n;
		if (pb_varint(b, &n) < 0 || n > (uint64_t)(b->end - b->p))
			return -1;
		f->sub.p = b->p;
		f->sub.end = b->p + n;
		b->p += n;
		return 1;
	}
	default: /* groups (3, 4) are deprecated and never written here */
		return -1;
	}
}

static double f32(uint32_t bits)
{
	float f;
	memcpy(&f, &bits, sizeof f);
	return f;
}

static double f64(uint64_t bits)
{
	double d;
	memcpy(&d, &bits, sizeof d);
	return d;
}

static double half(uint32_t h)
{
	uint32_t sign = h >> 15 & 1, exp = h >> 10 & 0x1f, frac = h & 0x3ff;
	double v;
	if (exp == 0)
		v = ldexp(frac, -24);
	else if (exp == 31)
		v = frac ? NAN : INFINITY;
	else
		v = ldexp(frac | 0x400, (int)exp - 25);
	return sign ? -v : v;
}

enum {
	DT_FLOAT = 1, DT_DOUBLE = 2, DT_INT32 = 3, DT_UINT8 = 4, DT_INT16 = 5, DT_INT8 = 6,
	DT_INT64 = 9, DT_BFLOAT16 = 14, DT_HALF = 19
};

static double convert(int dtype, uint64_t raw)
{
	switch (dtype) {
	case DT_FLOAT:
		return f32((uint32_t)raw);
	case DT_DOUBLE:
		return f64(raw);
	case DT_HALF:
		return half((uint32_t)raw & 0xffff);
	case DT_BFLOAT16:
		return f32(((uint32_t)raw & 0xffff) << 16);
	case DT_INT64:
		return (double)(int64_t)raw;
	default: /* int_val holds int32 and narrower as a (sign-extended) varint */
		return (double)(int32_t)(uint32_t)raw;
	}
}

static int elem_size(int dtype)
{
	switch (dtype) {
	case DT_FLOAT: case DT_INT32: return 4;
	case DT_DOUBLE: case DT_INT64: return 8;
	case DT_HALF: case DT_BFLOAT16: case DT_INT16: return 2;
	case DT_INT8: case DT_UINT8: return 1;
	default: return 0;
	}
}

/* The field that holds values of dtype, and its fixed width in packed form (0: varint). */
static uint32_t value_field(int dtype, int *width)
{
	switch (dtype) {
	case DT_FLOAT: *width = 4; return 5;
	case DT_DOUBLE: *width = 8; return 6;
	case DT_INT64: *width = 0; return 10;
	case DT_HALF: case DT_BFLOAT16: *width = 0; return 13;
	case DT_INT32: case DT_INT16: case DT_INT8: case DT_UINT8: *width = 0; return 7;
	default: *width = 0; return 0;
	}
}

/* Number of elements of a TensorShapeProto; -1 when malformed or of unknown rank. */
static int64_t shape_elements(struct pb s)
{
	int64_t count = 1;
	struct pb_field f;
	int r;
	while ((r = pb_next(&s, &f)) > 0) {
		if (f.num == 3 && f.wt == WT_VARINT && f.v)
			return -1;
		if (f.num != 2 || f.wt != WT_LEN)
			continue;
		int64_t size = -1;
		struct pb_field d;
		int rd;
		while ((rd = pb_next(&f.sub, &d)) > 0)
			if (d.num == 1 && d.wt == WT_VARINT)
				size = (int64_t)d.v;
		if (rd < 0 || size < 0)
			return -1;
		if (size != 0 && count > INT64_MAX / size)
			return -1;
		count *= size;
	}
	return r < 0 ? -1 : count;
}

/* 1 with *out when the tensor is one numeric element, 0 when it is something
 * else, -1 when malformed. The first of several packed values counts (proto
 * semantics: one value given fills the shape). */
static int tensor_scalar(struct pb t, double *out)
{
	int dtype = 0, have_shape = 0, have = 0;
	int64_t elements = 1;
	struct pb content = {NULL, NULL};
	struct pb_field f;
	int r;
	struct pb scan = t;
	while ((r = pb_next(&scan, &f)) > 0) {
		if (f.num == 1 && f.wt == WT_VARINT)
			dtype = (int)f.v;
		else if (f.num == 2 && f.wt == WT_LEN) {
			have_shape = 1;
			elements = shape_elements(f.sub);
			if (elements < 0)
				return 0;
		} else if (f.num == 4 && f.wt == WT_LEN)
			content = f.sub;
	}
	if (r < 0)
		return -1;
	(void)have_shape;
	int width;
	uint32_t field = value_field(dtype, &width);
	if (!field || elements != 1)
		return 0;
	if (content.p) {
		size_t size = (size_t)elem_size(dtype);
		if ((size_t)(content.end - content.p) != size)
			return 0;
		uint64_t raw = 0;
		for (size_t i = size; i-- > 0;)
			raw = raw << 8 | content.p[i];
		if (dtype == DT_INT16)
			raw = (uint64_t)(int64_t)(int16_t)raw;
		else if (dtype == DT_INT8)
			raw = (uint64_t)(int64_t)(int8_t)raw;
		*out = convert(dtype, raw);
		return 1;
	}
	scan = t;
	while (!have && (r = pb_next(&scan, &f)) > 0) {
		if (f.num != field)
			continue;
		if (f.wt == WT_LEN) { /* packed */
			if (f.sub.p == f.sub.end)
				continue;
			uint64_t raw;
			if (width == 4) {
				if (f.sub.end - f.sub.p < 4)
					return -1;
				raw = le32(f.sub.p);
			} else if (width == 8) {
				if (f.sub.end - f.sub.p < 8)
					return -1;
				raw = le64(f.sub.p);
			} else if (pb_varint(&f.sub, &raw) < 0)
				return -1;
			*out = convert(dtype, raw);
			have = 1;
		} else if ((width == 4 && f.wt == WT_I32) || (width == 8 && f.wt == WT_I64) ||
			   (width == 0 && f.wt == WT_VARINT)) {
			*out = convert(dtype, f.v);
			have = 1;
		}
	}
	if (r < 0)
		return -1;
	return have;
}

/* The plugin named in a SummaryMetadata (plugin_data = 1 { plugin_name = 1 }). */
static int plugin_is_scalars(struct pb m)
{
	struct pb_field f, g;
	while (pb_next(&m, &f) > 0) {
		if (f.num != 1 || f.wt != WT_LEN)
			continue;
		while (pb_next(&f.sub, &g) > 0)
			if (g.num == 1 && g.wt == WT_LEN) {
				size_t n = (size_t)(g.sub.end - g.sub.p);
				return n == 7 && memcmp(g.sub.p, "scalars", 7) == 0;
			}
	}
	return 1;
}

static int summary_value(struct pb v, int64_t step, double wall, tfevent_scalar_fn fn, void *ud)
{
	const char *tag = "";
	size_t tag_len = 0;
	int have = 0, r, skip = 0;
	double value = 0;
	struct pb_field f;
	while ((r = pb_next(&v, &f)) > 0) {
		if (f.num == 1 && f.wt == WT_LEN) {
			tag = (const char *)f.sub.p;
			tag_len = (size_t)(f.sub.end - f.sub.p);
		} else if (f.num == 2 && f.wt == WT_I32) {
			value = f32((uint32_t)f.v);
			have = 1;
		} else if (f.num == 8 && f.wt == WT_LEN) {
			int t = tensor_scalar(f.sub, &value);
			if (t < 0)
				return -1;
			have = have || t;
		} else if (f.num == 9 && f.wt == WT_LEN)
			skip = !plugin_is_scalars(f.sub);
	}
	if (r < 0)
		return -1;
	if (have && !skip && tag_len)
		fn(ud, tag, tag_len, step, wall, value);
	return 0;
}

int tfevent_scalars(const uint8_t *rec, size_t n, tfevent_scalar_fn fn, void *ud, struct err *e)
{
	struct pb ev = {rec, rec + n}, scan;
	struct pb_field f;
	int64_t step = 0;
	double wall = 0;
	int r;
	scan = ev;
	while ((r = pb_next(&scan, &f)) > 0) {
		if (f.num == 1 && f.wt == WT_I64)
			wall = f64(f.v);
		else if (f.num == 2 && f.wt == WT_VARINT)
			step = (int64_t)f.v;
	}
	if (r < 0)
		return err_set(e, "an event record is not a valid Event message");
	scan = ev;
	while ((r = pb_next(&scan, &f)) > 0) {
		if (f.num != 5 || f.wt != WT_LEN)
			continue;
		struct pb_field v;
		int rv;
		while ((rv = pb_next(&f.sub, &v)) > 0)
			if (v.num == 1 && v.wt == WT_LEN && summary_value(v.sub, step, wall, fn, ud) < 0)
				return err_set(e, "a summary value in an event record is malformed");
		if (rv < 0)
			return err_set(e, "a summary in an event record is malformed");
	}
	return 0;
}
