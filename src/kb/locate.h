/* kb/locate — the line of a document's file where one of its chunks begins,
 * so an editor can open the file there.
 *
 * A document's stored text is its file's text after extraction (front matter
 * taken out, CRLF made LF, HTML reduced to text, one record of a JSONL or CSV
 * file), so an offset in it is not an offset in the file. The file is read
 * in pieces (memory stays bounded) and searched for the chunk's opening
 * words: up to KB_LOCATE_NEEDLE bytes of the chunk's first non-blank line,
 * cut before any character that JSON, CSV or HTML quoting would change. Of
 * the matches, the one nearest the chunk's line in the stored text wins
 * (when the text repeats). Without a match (too few words, text the file
 * holds otherwise), the answer is the chunk's line in the stored text. */
#ifndef AIWB_KB_LOCATE_H
#define AIWB_KB_LOCATE_H

#include <stddef.h>

#include "base/err.h"

#define KB_LOCATE_NEEDLE 64
#define KB_LOCATE_MIN 6 /* fewer bytes than this are not searched for */

/* The 1-based line of body[start] in body. */
long kb_locate_body_line(const char *body, size_t len, size_t start);

/* The 1-based line in the file at path where the chunk body[start..] begins;
 * *found is 1 when the file held the chunk's words, 0 when the answer is the
 * stored text's line. -1 with e when the file cannot be read. */
long kb_locate_line(const char *path, const char *body, size_t len, size_t start, int *found, struct err *e);

#endif
