/* Event-stream decoder invariants, on the input as it is and on a copy with
 * every frame's CRCs repaired (so the fuzzer reaches the length and header
 * checks): fed whole, in data-derived pieces and (when short) one byte at a
 * time, the decoder gives the same messages, result, error and pending flag;
 * each decoded message, encoded again, is byte for byte the input it came
 * from; a stream that decodes cleanly is consumed exactly. Any violation
 * aborts. Seeds sdk-*.bin are aws-sdk-go's test vectors (Apache-2.0, see
 * tests/data/vectors/eventstream/NOTICE.aws-sdk-go), bedrock-*.bin the
 * generated Bedrock streams from the same folder; the others are made here. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "net/eventstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
	if (!ok)
		abort();
}

struct outcome {
	struct buf log; /* the messages encoded again, back to back */
	const uint8_t *in;
	size_t in_len;
	size_t max_payload, cap;
	int stop_after, messages;
	int rc, pending;
	struct err e;
};

static int on_message(void *ud, const struct es_message *m)
{
	struct outcome *o = ud;
	require(m->payload_len <= o->cap);
	require(m->total_length == ES_MIN_MESSAGE + m->headers_length + m->payload_len);
	require(m->n_headers <= ES_MAX_HEADERS);
	size_t before = o->log.len;
	require(es_encode(&o->log, m->headers, m->n_headers, m->payload, m->payload_len) == 0);
	require(o->log.len - before == m->total_length);
	require(o->log.len <= o->in_len);
	require(memcmp(o->log.data + before, o->in + before, m->total_length) == 0);
	for (size_t i = 0; i < m->n_headers; i++)
		require(es_header_find(m, m->headers[i].name) == &m->headers[i] ||
			memchr(m->headers[i].name, '\0', m->headers[i].name_len));
	return o->stop_after && ++o->messages >= o->stop_after;
}

static uint32_t next(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void run(struct outcome *o, const uint8_t *in, size_t n, size_t step, uint32_t seed)
{
	o->in = in;
	o->in_len = n;
	struct es_decoder *d = es_decoder_new(o->max_payload, on_message, o);
	size_t at = 0;
	do {
		size_t k = step == 0 ? n - at : step == SIZE_MAX ? 1 + next(&seed) % 300 : step;
		if (k > n - at)
			k = n - at;
		int rc = es_feed(d, in + at, k, &o->e);
		if (rc && !o->rc)
			o->rc = rc;
		require(rc >= 0 || o->e.set);
		at += k;
	} while (at < n);
	o->pending = es_finish(d);
	es_decoder_free(d);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Rewrites the prelude and message CRCs of every frame in place. */
static void repair_crcs(uint8_t *p, size_t n)
{
	size_t at = 0;
	while (n - at >= ES_PRELUDE_LEN) {
		uint8_t *m = p + at;
		uint32_t total = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
		put32(m + 8, es_crc32(0, m, 8));
		if (total < ES_MIN_MESSAGE || total > n - at)
			return;
		put32(m + total - 4, es_crc32(0, m, total - 4));
		at += total;
	}
}

static void check(const uint8_t *in, size_t n, uint32_t hash)
{
	size_t max_payload = hash & 1 ? 0 : (hash >> 1) % 256;
	size_t cap = max_payload ? max_payload : ES_MAX_PAYLOAD_DEFAULT;
	int stop_after = (hash >> 12) % 4 == 0 ? 1 + (int)(hash >> 14) % 4 : 0;

	struct outcome whole = {.max_payload = max_payload, .cap = cap, .stop_after = stop_after};
	run(&whole, in, n, 0, 0);
	if (whole.rc == 0)
		require(whole.pending == (whole.log.len < n));

	size_t steps[] = {SIZE_MAX, 1 + hash % 13, n <= 2048 ? 1 : 0};
	for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
		if (steps[i] == 0)
			continue;
		struct outcome pieces = {.max_payload = max_payload, .cap = cap, .stop_after = stop_after};
		run(&pieces, in, n, steps[i], hash | 1);
		require(pieces.log.len == whole.log.len);
		require(whole.log.len == 0 || memcmp(pieces.log.data, whole.log.data, whole.log.len) == 0);
		require(pieces.rc == whole.rc && pieces.pending == whole.pending);
		require(strcmp(err_msg(&pieces.e), err_msg(&whole.e)) == 0);
		buf_free(&pieces.log);
	}
	buf_free(&whole.log);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t hash = 2166136261u;
	for (size_t i = 0; i < size; i++)
		hash = (hash ^ data[i]) * 16777619u;
	check(data, size, hash);
	uint8_t *fixed = malloc(size ? size : 1);
	require(fixed != NULL);
	memcpy(fixed, data, size);
	repair_crcs(fixed, size);
	check(fixed, size, hash >> 3 | hash << 29);
	free(fixed);
	return 0;
}
