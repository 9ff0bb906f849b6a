/* Markdown rendering invariants: the input, sanitized as an answer is,
 * rendered at a width drawn from its hash, whole and then fed in pieces.
 * Every line's spans cover it in order, no line holds a control character
 * (entities cannot make one), a line that is not wide fits the width (unless
 * nested deeper than the room), code blocks point inside the kept code, and
 * the streamed lines equal the whole ones. Any violation aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/sanitize.h"
#include "fuzzutil.h"
#include "text/mdrender.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct md_doc *d, int width)
{
	for (size_t i = 0; i < d->nlines; i++) {
		const struct md_line *l = &d->lines[i];
		size_t at = l->off;
		require(l->span + l->nspans <= d->nspans);
		for (size_t k = 0; k < l->nspans; k++) {
			require(d->spans[l->span + k].off == at);
			at += d->spans[l->span + k].len;
		}
		require(at == l->off + l->len && at <= d->text.len);
		for (size_t k = l->off; k < at; k++) {
			unsigned char c = (unsigned char)d->text.data[k];
			require(c >= 0x20 && c != 0x7f);
		}
		require(l->wide || l->cols <= width + 2 + 24 * 12); /* a wide character, or prefixes deeper than the room */
		require(l->block < (int)d->nblocks);
	}
	for (size_t b = 0; b < d->nblocks; b++)
		require(d->blocks[b].off + d->blocks[b].len <= d->code.len &&
			d->blocks[b].first_line + d->blocks[b].nlines <= d->nlines);
}

static int same(const struct md_doc *a, const struct md_doc *b)
{
	if (a->nlines != b->nlines || a->text.len != b->text.len || a->nblocks != b->nblocks)
		return 0;
	return !a->text.len || memcmp(a->text.data, b->text.data, a->text.len) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 16)
		return 0;
	uint32_t h = fuzz_hash(data, size);
	int width = 1 + (int)(h % 120);
	char *src = sanitize_str((const char *)data, size, 0);
	size_t len = strlen(src);
	struct md_doc whole, pieces;
	md_init(&whole);
	md_update(&whole, src, len, width, 0);
	check(&whole, width);
	md_init(&pieces);
	size_t step = 1 + (h >> 8) % 61;
	for (size_t n = 0; n < len; n += step)
		md_update(&pieces, src, n, width, 1);
	md_update(&pieces, src, len, width, 0);
	check(&pieces, width);
	require(same(&whole, &pieces));
	md_free(&whole);
	md_free(&pieces);
	free(src);
	return 0;
}
