/* fuzzutil — what the stream-parser fuzz targets share (header-only, static
 * inline): the check that aborts on a broken invariant, the options drawn
 * from a hash of the input (so a corpus file always runs the same way), and
 * feeding the input to a parser whole or in pieces. */
#ifndef AIWB_FUZZUTIL_H
#define AIWB_FUZZUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/err.h"

static inline void require(int ok)
{
	if (!ok)
		abort();
}

/* FNV-1a of the input. */
static inline uint32_t fuzz_hash(const uint8_t *data, size_t size)
{
	uint32_t hash = 2166136261u;
	for (size_t i = 0; i < size; i++)
		hash = (hash ^ data[i]) * 16777619u;
	return hash;
}

/* In a quarter of the runs the callback stops the parser after 1 to 4 calls; else 0. */
static inline int fuzz_stop_after(uint32_t hash)
{
	return (hash >> 12) % 4 == 0 ? 1 + (int)(hash >> 14) % 4 : 0;
}

/* xorshift32 */
static inline uint32_t fuzz_next(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

typedef int (*fuzz_feed_fn)(void *parser, const void *bytes, size_t n, struct err *e);

/* Feeds in[0..n) to parser through feed: step 0: one feed; SIZE_MAX: pieces
 * of 1 to 300 bytes drawn from seed; else pieces of step bytes. The first
 * non-zero result stays in *rc; a failure must come with e set. */
static inline void fuzz_feed(fuzz_feed_fn feed, void *parser, const uint8_t *in, size_t n, size_t step, uint32_t seed,
			     int *rc, struct err *e)
{
	size_t at = 0;
	do {
		size_t k = step == 0 ? n - at : step == SIZE_MAX ? 1 + fuzz_next(&seed) % 300 : step;
		if (k > n - at)
			k = n - at;
		int r = feed(parser, in + at, k, e);
		if (r && !*rc)
			*rc = r;
		require(r >= 0 || e->set);
		at += k;
	} while (at < n);
}

#endif
