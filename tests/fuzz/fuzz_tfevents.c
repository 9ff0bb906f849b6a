/* TFRecord framing and Event decoding invariants: a record read from the input
 * takes exactly its length plus 16 bytes, every shorter prefix of it is
 * "need more", and re-framing a record's data with fresh CRCs reads back the
 * same bytes; scalars carry a non-empty tag inside the record; the protobuf
 * walker accepts or rejects the raw input without reading past it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "jobs/tfevents.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct bounds {
	const uint8_t *lo, *hi;
	int n;
};

static void on_scalar(void *ud, const char *tag, size_t tag_len, int64_t step, double wall, double value)
{
	(void)step;
	(void)wall;
	(void)value;
	struct bounds *b = ud;
	require(tag_len > 0);
	require((const uint8_t *)tag >= b->lo && (const uint8_t *)tag + tag_len <= b->hi);
	b->n++;
}

static void frame(struct buf *out, const uint8_t *d, size_t n)
{
	uint8_t len[8];
	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)((uint64_t)n >> (8 * i));
	uint32_t c1 = crc32c_mask(crc32c(0, len, 8)), c2 = crc32c_mask(crc32c(0, d, n));
	buf_append(out, len, 8);
	for (int i = 0; i < 4; i++)
		buf_putc(out, (char)(c1 >> (8 * i)));
	buf_append(out, d, n);
	for (int i = 0; i < 4; i++)
		buf_putc(out, (char)(c2 >> (8 * i)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e = ERR_INIT;
	struct bounds b = {data, data + size, 0};
	int r = tfevent_scalars(data, size, on_scalar, &b, &e);
	require(r == 0 || (r == -1 && e.set));

	size_t at = 0;
	int records = 0;
	for (;;) {
		const uint8_t *rec;
		size_t len, used;
		err_clear(&e);
		r = tfrecord_next(data + at, size - at, &rec, &len, &used, &e);
		require(r >= -1 && r <= 1);
		if (r != 1) {
			require(r == 0 || e.set);
			break;
		}
		require(used == len + 16 && used <= size - at && rec == data + at + 12);
		if (used < 64)
			for (size_t cut = 0; cut < used; cut++) {
				const uint8_t *r2;
				size_t l2, u2;
				require(tfrecord_next(data + at, cut, &r2, &l2, &u2, &e) != 1);
			}
		struct bounds rb = {rec, rec + len, 0};
		tfevent_scalars(rec, len, on_scalar, &rb, &e);
		at += used;
		records++;
	}

	/* the raw input framed as one record reads back unchanged */
	struct buf framed = BUF_INIT;
	frame(&framed, data, size);
	const uint8_t *rec;
	size_t len, used;
	require(tfrecord_next((const uint8_t *)framed.data, framed.len, &rec, &len, &used, &e) == 1);
	require(len == size && used == framed.len && (size == 0 || memcmp(rec, data, size) == 0));
	buf_free(&framed);
	return 0;
}
