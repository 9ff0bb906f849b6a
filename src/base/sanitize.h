/* sanitize — turns untrusted text (model output, documents, logs) into text
 * that is safe to draw on a terminal or print to one.
 *
 * Output is valid UTF-8 with no control bytes except '\n' (and '\t' only when
 * tab expansion is off): ESC sequences (CSI, OSC, DCS, SOS/PM/APC, two-byte
 * ESC x) are dropped whole, even when split across feeds; C0 controls except
 * newline and tab are dropped; '\r' is dropped; C1 controls are dropped whether
 * they arrive as raw bytes (0x80-0x9F, e.g. 0x9B CSI, 0x9D OSC, which then
 * start a sequence that is swallowed) or UTF-8 encoded (U+0080-U+009F, e.g.
 * C2 9D); invalid UTF-8 becomes U+FFFD; tabs expand to spaces up to the next
 * multiple of tab_width columns when tab_width > 0. Sanitizing sanitized text
 * gives the same text (idempotent). State lives in struct sanitizer so a byte
 * stream may be fed in arbitrary chunks with the same result as one feed. */
#ifndef AIWB_SANITIZE_H
#define AIWB_SANITIZE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct sanitizer {
	int tab_width;   /* 0: keep '\t' as is */
	int state;       /* private */
	unsigned column; /* display column on the current line (for tabs) */
	uint32_t cp;     /* private: partial UTF-8 sequence */
	int need, have;  /* private */
	unsigned char pending[4];
	int esc_len;     /* private: bytes of the sequence being swallowed */
};

void sanitize_init(struct sanitizer *s, int tab_width);
/* Appends the safe form of in[0..n) to out. */
void sanitize_feed(struct sanitizer *s, const char *in, size_t n, struct buf *out);
/* End of stream: a truncated UTF-8 sequence becomes U+FFFD; an unfinished escape is dropped. */
void sanitize_finish(struct sanitizer *s, struct buf *out);
/* One-shot: caller frees. */
char *sanitize_str(const char *in, size_t n, int tab_width);

/* Display columns of valid UTF-8 text by wcwidth (wide = 2, combining = 0,
 * non-printable = 0). Needs a UTF-8 LC_CTYPE: main() selects the user's
 * locale and falls back to C.UTF-8 when it is not UTF-8. */
int sanitize_width(const char *s, size_t n);
/* Width of one code point (same rules). */
int sanitize_cpwidth(uint32_t cp);
/* Bytes of s (valid UTF-8) that fit in max_cols columns, never splitting a
 * character; *cols gets the width used. */
size_t sanitize_fit(const char *s, size_t n, int max_cols, int *cols);

#endif
