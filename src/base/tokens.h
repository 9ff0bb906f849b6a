/* tokens — the one token estimator, used where a provider reports no usage
 * (run metrics) and to size knowledge-base chunks.
 *
 * A token is estimated as 4 bytes of UTF-8 text, rounded up: the rule of
 * thumb OpenAI and Anthropic publish for English ("about 4 characters a
 * token"). It over-counts text that is mostly multi-byte characters, which
 * keeps chunks under a model's input limit rather than over it. */
#ifndef AIWB_TOKENS_H
#define AIWB_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#define TOKENS_BYTES_PER_TOKEN 4

static inline int64_t tokens_estimate(size_t bytes)
{
	return (int64_t)((bytes + TOKENS_BYTES_PER_TOKEN - 1) / TOKENS_BYTES_PER_TOKEN);
}

/* Bytes of text that make about n tokens. */
static inline size_t tokens_bytes(int64_t n)
{
	return n > 0 ? (size_t)n * TOKENS_BYTES_PER_TOKEN : 0;
}

#endif
