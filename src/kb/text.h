/* kb/text — turning file bytes into document text for the knowledge base.
 *
 * kb_text_clean: invalid UTF-8 becomes U+FFFD (one per invalid byte), NUL
 * bytes are dropped, CRLF and lone CR become LF, and a leading byte-order mark
 * is dropped. Other C0 controls but tab, newline and form feed are dropped
 * too (so 0x01/0x02 can mark highlights in search results). kb_text_looks_binary: a sample with NUL-heavy or
 * control-heavy bytes (more than 1% NUL or 10% control bytes, counting only
 * beyond a handful so a stray NUL in a short text is repaired), or a known binary signature (ELF, PNG, JPEG, GIF, ZIP,
 * gzip, SQLite, ...), is binary. */
#ifndef AIWB_KB_TEXT_H
#define AIWB_KB_TEXT_H

#include <stddef.h>

#include "base/buf.h"

struct kb_clean_stats {
	size_t invalid;  /* bytes replaced by U+FFFD */
	size_t nuls;     /* NUL bytes dropped */
	size_t controls; /* other control characters dropped */
};

/* Appends the clean form of in[0..n) to out; stats may be NULL. */
void kb_text_clean(const char *in, size_t n, struct buf *out, struct kb_clean_stats *stats);
/* Looks at the first 8 KB at most. */
int kb_text_looks_binary(const char *p, size_t n);

#endif
