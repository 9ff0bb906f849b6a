/* kb/chunk — splitting a document's text into chunks, each with its byte
 * offsets in the text and (Markdown) the path of headings above it.
 *
 * Sizes are in tokens by the one estimator (base/tokens.h). Every chunker
 * cuts only at UTF-8 character boundaries, prefers white space, and trims
 * white space at a chunk's ends (the offsets cover the trimmed text). A text
 * with no visible characters has no chunks.
 *
 *   KB_CHUNK_FIXED     windows of `tokens` with `overlap` tokens shared by
 *                      neighbours, cut at white space where one lies in the
 *                      window's last half;
 *   KB_CHUNK_MARKDOWN  sections start at ATX headings (`#`..`######`, not in
 *                      fenced code); the heading path ("Guide > Install") is
 *                      kept per chunk; sections under a quarter of `tokens`
 *                      merge into the next one in the same parent section
 *                      (the merged chunk keeps the first heading path); a
 *                      section over `tokens` is split as FIXED;
 *   KB_CHUNK_SENTENCE  paragraphs (blank lines) packed up to `tokens`; a
 *                      paragraph over `tokens` is packed by sentences
 *                      (. ! ? followed by white space), and a sentence over
 *                      `tokens` is split as FIXED. No overlap.
 *
 * Results are owned by the caller (kb_chunks_free). */
#ifndef AIWB_KB_CHUNK_H
#define AIWB_KB_CHUNK_H

#include <stddef.h>

enum kb_chunker { KB_CHUNK_FIXED, KB_CHUNK_MARKDOWN, KB_CHUNK_SENTENCE };

#define KB_CHUNK_TOKENS_MIN 16
#define KB_CHUNK_TOKENS_MAX 8192

struct kb_chunk {
	size_t start, end;  /* bytes [start, end) of the text */
	char *heading;      /* "A > B"; "" when none */
	int tokens;         /* estimate of text[start..end) */
};

struct kb_chunk_opts {
	enum kb_chunker chunker;
	int tokens;   /* KB_CHUNK_TOKENS_MIN .. KB_CHUNK_TOKENS_MAX */
	int overlap;  /* 0 .. tokens / 2 */
};

/* Returns the number of chunks; *out is NULL when none. */
size_t kb_chunk_text(const char *text, size_t len, const struct kb_chunk_opts *o, struct kb_chunk **out);
void kb_chunks_free(struct kb_chunk *c, size_t n);

/* "fixed", "markdown", "sentence" <-> enum; -1 for an unknown name. */
int kb_chunker_parse(const char *name);
const char *kb_chunker_name(enum kb_chunker c);

#endif
