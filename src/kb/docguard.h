/* kb/docguard — the local guard (guard/guard.h) on knowledge-base text.
 *
 * On ingest every document loses its hidden characters (Unicode tag
 * characters, zero-width characters, bidi controls: text no human reader
 * sees), whatever the KB's settings; their number is kept in the document's
 * metadata as "hidden_chars". A KB with redact on also has every finding of
 * the guard masked ("[EMAIL]", "[CARD]", ...) in the body, the title and the
 * metadata's string values before anything is chunked, indexed or embedded;
 * the number masked is kept as "redacted".
 *
 * At display time kb_chunk_flags names what the guard finds in a chunk, so
 * the Knowledge pane can mark it without seeing the guard's findings or JSON. */
#ifndef AIWB_KB_DOCGUARD_H
#define AIWB_KB_DOCGUARD_H

#include <stddef.h>

#include "base/err.h"

struct guard;
struct kb_doc;

struct kb_guard_counts {
	size_t hidden; /* characters stripped */
	size_t masked; /* findings masked */
};

/* Strips d's hidden characters; with g (NULL: no redaction) masks its
 * findings too. Adds to c (may be NULL). 0, or -1 with e when one of the
 * user's patterns failed to run (PCRE2's match limit): the built-in findings
 * are masked, but the text may still hold a match, so it must not be stored. */
int kb_doc_guard(struct kb_doc *d, const struct guard *g, struct kb_guard_counts *c, struct err *e);

/* The "hidden_chars" of a document's metadata (JSON object text); 0 when none. */
long long kb_meta_hidden_chars(const char *meta);

/* What marks a chunk: the distinct types the guard finds in text (highlight
 * marks ignored) in the guard's order, hidden characters named "hidden", and
 * "hidden" too when the document's metadata counts stripped hidden characters
 * or dropped hidden HTML elements ("hidden_elements", kb/extract.h):
 * "email, aws_access_key_id, hidden". NULL when nothing. g NULL: the
 * built-in detectors. Caller frees. */
char *kb_chunk_flags(const struct guard *g, const char *text, size_t len, const char *doc_meta);

#endif
