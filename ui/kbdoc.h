/* kbdoc — a knowledge-base document as the Knowledge pane shows it: its text
 * sanitized, a marker line ("── chunk 3/9 · Guide > Install") where each
 * chunk starts, and one chosen chunk (marker and text) in its own attribute.
 * Chunks come from kb_store_doc (kb/store.h) with byte offsets into body;
 * overlapping chunks are fine (a marker is where the next one starts). A
 * chunk the local guard flags (kb_chunk_flags, kb/docguard.h: its findings,
 * or hidden characters stripped from its document) has "⚑ email, hidden" at
 * the end of its marker line. Pure:
 * it fills a struct wrapped (ui/wrap.h) and needs no terminal. */
#ifndef AIWB_KBDOC_H
#define AIWB_KBDOC_H

#include <curses.h>
#include <stddef.h>

#include "kb/store.h"
#include "wrap.h"

struct kbdoc_attrs {
	attr_t text, marker, chosen;
	attr_t flag; /* the ⚑ mark; 0: as its marker */
};

/* Resets w and fills it with body[0..len) and its chunks; chosen is an index
 * of chunks (none when >= n); doc_meta is the document's metadata (JSON
 * text, may be NULL). Returns the byte offset in w->text where the
 * chosen chunk's marker begins (0 when none). */
size_t kbdoc_build(struct wrapped *w, const char *body, size_t len, const struct kb_chunk_row *chunks, size_t n,
		   size_t chosen, const char *doc_meta, const struct kbdoc_attrs *at);
/* After wrap_update: the line of w holding byte off of its text. */
size_t kbdoc_line_of(const struct wrapped *w, size_t off);

#endif
