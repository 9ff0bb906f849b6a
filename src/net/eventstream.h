/* eventstream — the AWS event stream (application/vnd.amazon.eventstream,
 * PROTOCOLS.md §3): an incremental decoder fed the HTTP body in any pieces,
 * and an encoder (the fake Bedrock server and the tests build frames with it).
 *
 * A message is a 12-byte prelude (total length, headers length, CRC32 of the
 * first 8 bytes), a header block, a payload and a CRC32 of everything before
 * it; integers big-endian, CRC32 = zlib crc32(). The decoder checks the
 * prelude CRC before trusting the lengths, then the lengths: total at least
 * 16; header block at most ES_MAX_HEADERS_BYTES (128 KiB, aws-sdk-go and
 * botocore) and inside the message; payload at most max_payload (default
 * ES_MAX_PAYLOAD_DEFAULT, 16 MiB as aws-sdk-go; the whole message is then at
 * most 16 MiB + 128 KiB + 16 bytes, under aws-c-event-stream's 24 MiB). It
 * buffers until the message is complete (a message that lies whole inside one
 * feed is decoded in place), checks the message CRC and parses the headers
 * strictly: name 1..255 bytes, a known type (0-9), every value inside the
 * block, byte-array and string lengths at most 32767 (as aws-c), no duplicate
 * names (as botocore), at most ES_MAX_HEADERS headers (as aws-c). Any
 * violation is an error naming it ("prelude checksum mismatch", "message
 * checksum mismatch", "header ... truncated", ...) with the message's number
 * and stream offset; the decoder then stays failed. es_finish tells whether a
 * message was cut short. Nothing here blocks. */
#ifndef AIWB_EVENTSTREAM_H
#define AIWB_EVENTSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

#define ES_PRELUDE_LEN 12
#define ES_MIN_MESSAGE 16
#define ES_MAX_HEADERS_BYTES ((size_t)128 << 10)
#define ES_MAX_HEADERS 1024
#define ES_MAX_VALUE_LEN 32767
#define ES_MAX_PAYLOAD_DEFAULT ((size_t)16 << 20)

enum es_type {
	ES_BOOL_TRUE = 0,
	ES_BOOL_FALSE = 1,
	ES_BYTE = 2,
	ES_INT16 = 3,
	ES_INT32 = 4,
	ES_INT64 = 5,
	ES_BYTES = 6,
	ES_STRING = 7,
	ES_TIMESTAMP = 8,
	ES_UUID = 9,
};

union es_value {
	int boolean;               /* ES_BOOL_TRUE / ES_BOOL_FALSE (decoded: 1 / 0) */
	int8_t i8;                 /* ES_BYTE */
	int16_t i16;               /* ES_INT16 */
	int32_t i32;               /* ES_INT32 */
	int64_t i64;               /* ES_INT64 */
	int64_t timestamp_ms;      /* ES_TIMESTAMP: milliseconds since the epoch */
	struct {
		const char *ptr;   /* decoded: followed by a NUL */
		size_t len;
	} bytes;                   /* ES_BYTES and ES_STRING */
	unsigned char uuid[16];    /* ES_UUID */
};

struct es_header {
	const char *name;  /* decoded: NUL-terminated; encoding: see name_len */
	size_t name_len;   /* decoded: always set; encoding: 0 means strlen(name) */
	enum es_type type;
	union es_value v;
};

/* Borrowed: everything is valid only during the callback. The payload is not
 * NUL-terminated. */
struct es_message {
	const struct es_header *headers;
	size_t n_headers;
	const unsigned char *payload;
	size_t payload_len;
	uint32_t total_length, headers_length, prelude_crc, message_crc;
};

/* Return non-zero to stop: es_feed then returns 1 at once and the decoder
 * stays stopped. The callback must not feed or free its own decoder. */
typedef int (*es_message_fn)(void *ud, const struct es_message *m);

struct es_decoder;

/* max_payload 0 means ES_MAX_PAYLOAD_DEFAULT. Free with es_decoder_free. */
struct es_decoder *es_decoder_new(size_t max_payload, es_message_fn on_message, void *ud);
void es_decoder_free(struct es_decoder *d);

/* 0 when every byte was consumed, 1 when the callback stopped the decoder,
 * -1 with e set on a malformed message (now and on every later call). */
int es_feed(struct es_decoder *d, const void *bytes, size_t n, struct err *e);

/* End of stream: 1 when part of a message was buffered (a cut stream), else
 * 0. The partial message is dropped; a failed or stopped decoder stays so. */
int es_finish(struct es_decoder *d);

/* The header called name, or NULL. */
const struct es_header *es_header_find(const struct es_message *m, const char *name);
/* The value of the string header called name (NUL-terminated, *len set when
 * len is not NULL), or NULL when there is none or it is not a string. */
const char *es_header_string(const struct es_message *m, const char *name, size_t *len);

/* Appends one message to out. 0, or -1 with out unchanged when the headers
 * cannot be encoded: a name empty or over 255 bytes, an unknown type, a value
 * over ES_MAX_VALUE_LEN bytes, a duplicate name, more than ES_MAX_HEADERS
 * headers or ES_MAX_HEADERS_BYTES of header block, or a message over 4 GiB. */
int es_encode(struct buf *out, const struct es_header *headers, size_t n,
	      const void *payload, size_t len);

/* zlib's CRC-32 (IEEE), as used for both checksums: start with crc 0. */
uint32_t es_crc32(uint32_t crc, const void *p, size_t n);

#endif
