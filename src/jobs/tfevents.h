/* tfevents — TensorBoard event files read by hand: TFRecord framing and the
 * scalar values of Event/Summary protocol buffers (issue 12, item 2).
 *
 * A TFRecord is: uint64 length (little-endian), uint32 masked CRC32C of those
 * 8 bytes, the data, uint32 masked CRC32C of the data, where
 * masked(c) = ((c >> 15) | (c << 17)) + 0xa282ead8. tfrecord_next() reads one
 * record from a buffer that may end anywhere: a record cut short by the end of
 * the buffer is "need more" (the writer is still writing), never an error; a
 * CRC mismatch or a length over TFRECORD_MAX is an error and nothing after it
 * can be trusted.
 *
 * tfevent_scalars() decodes one record's Event (wall_time = 1, step = 2,
 * summary = 5) and calls fn for every Summary.Value (tag = 1) holding a
 * scalar: simple_value = 2, or a tensor = 8 with exactly one numeric element
 * (float_val, double_val, int_val, int64_val, half_val or tensor_content of
 * DT_FLOAT, DT_DOUBLE, DT_INT8/16/32/64, DT_UINT8, DT_HALF, DT_BFLOAT16). A value
 * whose metadata (9) names a plugin other than "scalars" is skipped. Unknown
 * fields are skipped by wire type; malformed protobuf is an error. Pure
 * functions: no allocation, no I/O. */
#ifndef AIWB_TFEVENTS_H
#define AIWB_TFEVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define TFRECORD_MAX ((uint64_t)64 << 20)

uint32_t crc32c(uint32_t crc, const void *data, size_t n); /* crc32c(0, "123456789", 9) == 0xe3069283 */
uint32_t crc32c_mask(uint32_t crc);

/* 1: one record: *data and *len set, *used the bytes
 * it took; 0: incomplete, read more; -1 with e: corrupt. */
int tfrecord_next(const uint8_t *buf, size_t n, const uint8_t **data, size_t *len, size_t *used, struct err *e);

/* tag is not NUL-terminated; borrowed for the call. */
typedef void (*tfevent_scalar_fn)(void *ud, const char *tag, size_t tag_len, int64_t step, double wall_time,
				  double value);

/* 0 (also for events without scalars), -1 with e when the bytes are not an Event. */
int tfevent_scalars(const uint8_t *rec, size_t n, tfevent_scalar_fn fn, void *ud, struct err *e);

#endif
