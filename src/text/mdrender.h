/* mdrender — Markdown (CommonMark + GFM tables, strikethrough, autolinks,
 * parsed by cmark-gfm) turned into styled screen lines for a width: headings,
 * emphasis, lists, block quotes, aligned tables, fenced code blocks and links
 * shown with their target. No curses: a line is text plus spans of MD_*
 * style bits, which the UI maps to attributes.
 *
 * Paragraphs, headings and quotes wrap at spaces to the width; code blocks
 * and tables are kept whole ("wide" lines, which the UI scrolls sideways).
 * Each code block's text is kept, so the block under a line can be copied.
 *
 * The source must be valid UTF-8 without escape sequences (sanitized, see
 * base/sanitize.h; tabs may stay: a code block's text keeps them, its lines
 * show them expanded); what cmark makes of entities (&#27;) is sanitized
 * again, so no control character reaches a line.
 *
 * Streaming: md_update renders what was appended since the last call. The
 * source is cut into segments at a blank line followed by a line starting a
 * new top-level block (not indented, not a list item, quote or link
 * definition, outside a fenced code block); every segment but the last is
 * rendered once and kept, and only the last (open) one is rendered again.
 * The same lines come out whether the source arrives at once or in pieces.
 * While streaming, an open segment over MD_TAIL_THROTTLE bytes is rendered
 * again only once it has grown by an eighth (so a huge paragraph costs a few
 * times its size, not once per frame); md_update(..., 0) renders it all. */
#ifndef AIWB_MDRENDER_H
#define AIWB_MDRENDER_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

enum md_style {
	MD_BOLD = 1 << 0,
	MD_ITALIC = 1 << 1,
	MD_CODE = 1 << 2,      /* inline code */
	MD_CODEBLOCK = 1 << 3, /* a line of a fenced or indented code block */
	MD_HEADING = 1 << 4,
	MD_QUOTE = 1 << 5,
	MD_LINK = 1 << 6,      /* a link's text */
	MD_URL = 1 << 7,       /* a link's target, shown after its text */
	MD_MARK = 1 << 8,      /* bullets, quote bars, rules, table rules, a code block's language */
	MD_STRIKE = 1 << 9,
};

#define MD_TAIL_THROTTLE (32u * 1024u)

struct md_span {
	size_t off, len;       /* bytes of md_doc.text */
	unsigned style;
};

struct md_line {
	size_t off, len;       /* bytes of md_doc.text */
	size_t span, nspans;   /* md_doc.spans[span .. span + nspans) cover the line in order */
	int cols;              /* display columns */
	int block;             /* index in md_doc.blocks of the code block it shows, or -1 */
	int wide;              /* a code or table line: kept unwrapped */
};

struct md_block {
	size_t off, len;       /* its code in md_doc.code, as written (sanitized, tabs kept) */
	size_t first_line, nlines; /* its lines (the language label excluded) */
	char lang[32];         /* the fence's first word, or "" */
};

struct md_doc {
	struct buf text;
	struct md_line *lines;
	size_t nlines, cap_lines;
	struct md_span *spans;
	size_t nspans, cap_spans;
	struct buf code;
	struct md_block *blocks;
	size_t nblocks, cap_blocks;
	/* private: the incremental state */
	int width;
	size_t done;           /* source bytes of the kept segments */
	size_t keep_lines, keep_spans, keep_text, keep_code, keep_blocks, keep_top;
	size_t top;            /* top-level blocks drawn so far (a blank line goes between two) */
	size_t scan;           /* where the next unread source line starts */
	int prev_blank, fence_ch, fence_len;
	size_t rendered;       /* source length at the last render */
	int fresh;             /* nothing rendered since md_reset */
};

void md_init(struct md_doc *d);
void md_free(struct md_doc *d);
/* Forgets the source (the next update renders from the start). */
void md_reset(struct md_doc *d);
/* Brings the lines up to src[0..len) at width (all again when width changed
 * or the source is not the one extended). streaming = 1 allows the
 * throttle above. Returns 1 when the lines changed. */
int md_update(struct md_doc *d, const char *src, size_t len, int width, int streaming);
/* The first line to show in rows for scroll (a line, or -1 to follow the end). */
long md_first(const struct md_doc *d, long scroll, int rows);
/* The code block shown on line k, or NULL. */
const struct md_block *md_block_at(const struct md_doc *d, size_t k);

#endif
