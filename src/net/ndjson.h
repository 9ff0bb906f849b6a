/* ndjson — splits a newline-delimited JSON body (Ollama's application/x-ndjson)
 * into lines, fed in whatever pieces curl hands over. It does not parse JSON:
 * the provider does, with cJSON_ParseWithLength on each line.
 *
 * Any chunking gives the same lines as one feed. Lines end with LF; one CR
 * before it is trimmed; blank lines (only spaces, tabs, CRs) are skipped. A
 * line may hold at most max_line bytes (after the CR is trimmed); a longer one
 * makes ndjson_feed fail, and the parser stays failed. ndjson_finish delivers
 * a last line that lacks its LF. The parser owns its buffers; nothing blocks. */
#ifndef AIWB_NDJSON_H
#define AIWB_NDJSON_H

#include <stddef.h>

#include "base/err.h"

#define NDJSON_MAX_LINE_DEFAULT ((size_t)8 << 20)

/* line is not NUL-terminated and is borrowed for the callback only. Return
 * non-zero to stop: ndjson_feed then returns 1 at once and the parser stays
 * stopped. The callback must not feed or free its own parser. */
typedef int (*ndjson_line_fn)(void *ud, const char *line, size_t len);

struct ndjson_parser;

/* max_line 0 means NDJSON_MAX_LINE_DEFAULT. Free with ndjson_free. */
struct ndjson_parser *ndjson_new(size_t max_line, ndjson_line_fn on_line, void *ud);
void ndjson_free(struct ndjson_parser *p);

/* 0 when every byte was consumed, 1 when the callback stopped the parser,
 * -1 with e set when a line outgrew max_line (now and on every later call). */
int ndjson_feed(struct ndjson_parser *p, const void *bytes, size_t n, struct err *e);

/* End of stream: delivers an unterminated last line, then the parser reads a
 * new stream. 0, or -1 with e set when the parser has failed. */
int ndjson_finish(struct ndjson_parser *p, struct err *e);

#endif
