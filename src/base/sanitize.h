/* sanitize — turns untrusted text (model output, documents, logs) into text
 * that is safe to draw on a terminal or print to one.
 *
 * Output is valid UTF-8 with no control bytes except '\n' (and '\t' only when
 * tab expansion is off), no DEL and no C1 code point. Sanitizing sanitized
 * text gives the same text (idempotent). State lives in struct sanitizer so a
 * byte stream may be fed in arbitrary chunks with the same result as one feed.
 *
 * Escape sequences (ECMA-48) are dropped whole: CSI (ESC [ or raw 0x9B, up to
 * a final byte 0x40-0x7E); OSC (ESC ] or raw 0x9D, up to BEL, ST = ESC \ or
 * raw 0x9C); DCS, SOS, PM, APC (ESC P, X, ^, _, up to ST); other escapes (ESC,
 * intermediates 0x20-0x2F, final 0x30-0x7E). Inside a sequence CAN and SUB
 * cancel it and are dropped, ESC starts a new one, DEL is ignored; in ESC and
 * CSI any other byte that does not fit (a control, a byte >= 0x80) ends the
 * sequence and is then read as text. OSC and string sequences swallow every
 * other byte (a 0x9C continuing a UTF-8 character is not ST). A sequence
 * longer than SANITIZE_SEQ_MAX bytes is abandoned and the bytes after it are
 * text again, so a stray ESC ] cannot eat a whole document.
 *
 * Outside sequences: C0 controls except '\n' and '\t' are dropped ('\r' too),
 * and DEL; UTF-8-encoded C1 (U+0080-U+009F, e.g. C2 9D) is dropped, and so
 * are the bidi embeddings, overrides and isolates (U+202A-U+202E,
 * U+2066-U+2069) that could reorder what is shown; invalid
 * UTF-8 becomes U+FFFD, one per maximal invalid subpart (W3C/WHATWG): overlong
 * forms, surrogates, > U+10FFFF, truncated sequences, and stray bytes
 * 0x80-0xFF, including raw C1 bytes other than the 0x9B and 0x9D introducers.
 * Tabs expand to spaces up to the next multiple of tab_width display columns
 * when tab_width > 0 (at most 16; column from sanitize_cpwidth, reset by '\n'). */
#ifndef AIWB_SANITIZE_H
#define AIWB_SANITIZE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define SANITIZE_SEQ_MAX 4096

struct sanitizer {
	int tab_width;   /* 0: keep '\t' as is */
	int state;       /* private */
	unsigned column; /* display column on the current line (for tabs) */
	uint32_t cp;     /* private: partial UTF-8 sequence */
	int need, have;  /* private: continuation bytes still expected / seen */
	unsigned char pending[4];
	int esc_len;     /* private: bytes of the sequence being swallowed */
};

void sanitize_init(struct sanitizer *s, int tab_width);
/* Appends the safe form of in[0..n) to out. */
void sanitize_feed(struct sanitizer *s, const char *in, size_t n, struct buf *out);
/* End of stream: a truncated UTF-8 sequence becomes U+FFFD; an unfinished
 * escape is dropped. The sanitizer is then as new, for another stream. */
void sanitize_finish(struct sanitizer *s, struct buf *out);
/* One-shot: caller frees. */
char *sanitize_str(const char *in, size_t n, int tab_width);
/* Only makes text valid UTF-8 (each invalid byte becomes U+FFFD); controls
 * and escape sequences are kept. For raw output that must still be valid
 * UTF-8, such as JSON strings. Caller frees. */
char *sanitize_utf8(const char *in, size_t n);
/* The same, and each NUL byte becomes U+FFFD too: for text that travels as
 * a C string afterwards (a dataset cell, a variable), which a NUL would cut. */
char *sanitize_utf8_nul(const char *in, size_t n);

/* Display columns of valid UTF-8 text by wcwidth (wide = 2, combining = 0,
 * non-printable = 0). Needs a UTF-8 LC_CTYPE: main() selects the user's
 * locale and falls back to C.UTF-8 when it is not UTF-8. */
int sanitize_width(const char *s, size_t n);
/* Width of one code point (same rules). */
int sanitize_cpwidth(uint32_t cp);
/* Bytes of s (valid UTF-8) that fit in max_cols columns, never splitting a
 * character; zero-width characters after the last one that fits are kept
 * with it. *cols (may be NULL) gets the width used. */
size_t sanitize_fit(const char *s, size_t n, int max_cols, int *cols);
/* s (valid UTF-8) shortened to at most max_cols columns by replacing its
 * middle with one U+2026 (one column): "anthropic.claude-…-v2:0". Text that
 * fits is returned whole; the head gets the extra column when the room left
 * is odd. max_cols 1 gives "…", max_cols <= 0 "". Caller frees. */
char *sanitize_ellipsize(const char *s, size_t n, int max_cols);

#endif
