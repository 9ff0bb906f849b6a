/* wdiff — word diff of two texts, for showing how two answers differ.
 *
 * The texts are cut into tokens: runs of non-space bytes (words) and runs of
 * ASCII white space, each its own token, so EQUAL text is byte-identical in
 * both inputs and a change of spacing alone shows as a change of that space.
 * Tokens are compared exactly (bytes, so any UTF-8 is fine; no
 * normalisation). The diff is Myers' O(ND) on the tokens left after the common
 * prefix and suffix are set aside. Then white space standing alone between two
 * changes joins them, and each run of changes is given as one DELETE followed
 * by one INSERT, so "[-the cat sat-]{+a dog ran+}" reads as it would be said.
 *
 * Work is bounded, so two 1 MB answers never hang: when the word diff needs
 * more than WDIFF_MAX_EDITS edits or WDIFF_MAX_WORK steps, the differing part
 * is diffed by lines instead, and each changed block of lines is then
 * word-diffed within what is left of a second budget; a block (or, when even
 * the lines are too far apart, the whole differing part) that does not fit is
 * one DELETE and one INSERT. The result is always a correct diff, only
 * coarser; memory is O(tokens + WDIFF_MAX_EDITS^2) ints.
 *
 * The output references the inputs: EQUAL and DELETE segments in order
 * rebuild A, EQUAL and INSERT segments rebuild B. Pure, no allocation kept. */
#ifndef AIWB_WDIFF_H
#define AIWB_WDIFF_H

#include <stddef.h>

#define WDIFF_MAX_EDITS 1000
#define WDIFF_MAX_WORK 20000000L

enum wdiff_op { WDIFF_EQUAL, WDIFF_DELETE, WDIFF_INSERT };

struct wdiff_seg {
	enum wdiff_op op;
	size_t a_off;  /* where it starts in A (DELETE, EQUAL: its bytes are there) */
	size_t b_off;  /* where it starts in B (INSERT, EQUAL: its bytes are there too) */
	size_t len;    /* bytes; never 0 */
};

/* Diffs a[0..alen) against b[0..blen). *segs (caller frees) may be NULL when
 * *n is 0 (both empty). Returns 1 when the diff is word-exact, 0 when it had
 * to fall back to a coarser one somewhere. */
int wdiff(const char *a, size_t alen, const char *b, size_t blen, struct wdiff_seg **segs, size_t *n);

#endif
