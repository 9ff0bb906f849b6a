/* Word-diff invariants: the input is A, a NUL byte, then B (no NUL: its two
 * halves). EQUAL and DELETE segments in order rebuild A, EQUAL and INSERT
 * segments rebuild B; every segment starts where the previous one left each
 * text, is non-empty, and EQUAL bytes are the same in both; two neighbours
 * never have the same operation and an INSERT is never followed by a DELETE.
 * Small inputs are always diffed exactly. Any violation aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/wdiff.h"
#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	const char *nul = memchr(s, '\0', size);
	size_t alen = nul ? (size_t)(nul - s) : size / 2;
	const char *a = s, *b = s + alen + (nul != NULL);
	size_t blen = size - alen - (nul != NULL);
	struct wdiff_seg *segs;
	size_t n;
	int exact = wdiff(a, alen, b, blen, &segs, &n);
	size_t ap = 0, bp = 0;
	for (size_t i = 0; i < n; i++) {
		const struct wdiff_seg *g = &segs[i];
		require(g->len > 0 && g->a_off == ap && g->b_off == bp);
		require(g->op == WDIFF_EQUAL || g->op == WDIFF_DELETE || g->op == WDIFF_INSERT);
		if (i) {
			require(segs[i - 1].op != g->op);
			require(!(segs[i - 1].op == WDIFF_INSERT && g->op == WDIFF_DELETE));
		}
		if (g->op != WDIFF_INSERT) {
			require(ap + g->len <= alen);
			ap += g->len;
		}
		if (g->op != WDIFF_DELETE) {
			require(bp + g->len <= blen);
			bp += g->len;
		}
		if (g->op == WDIFF_EQUAL)
			require(memcmp(a + g->a_off, b + g->b_off, g->len) == 0);
	}
	require(ap == alen && bp == blen);
	require(exact || alen + blen > WDIFF_MAX_EDITS);
	free(segs);
	return 0;
}
