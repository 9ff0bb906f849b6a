/* vote — self-consistency: the answer in a sample's text and the majority
 * over the samples (docs/templates.md, `samples` and `answer_regex`). */
#ifndef AIWB_VOTE_H
#define AIWB_VOTE_H

#include <stddef.h>

#include "base/err.h"

/* Extracts the answer from text: the last match of ere (its first group when
 * it has one), or the whole text when ere is NULL, trimmed of spaces, '*',
 * '`' and a final '.'. 1 with *answer (caller frees), 0 when nothing matches,
 * -1 with e when ere does not compile. */
int template_extract_answer(const char *ere, const char *text, char **answer, struct err *e);

struct template_tally {
	char *answer;          /* as first seen */
	size_t votes;
};
/* Groups answers (NULL: none extracted, not counted) case- and
 * space-insensitively; most votes first, ties in order of first appearance.
 * Returns the number of groups; *out caller frees with template_tally_free. */
size_t template_vote(const char *const *answers, size_t n, struct template_tally **out);
void template_tally_free(struct template_tally *v, size_t n);

#endif
