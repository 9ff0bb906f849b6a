/* sse — incremental text/event-stream parser (WHATWG HTML "interpreting an
 * event stream"), fed the bytes of an HTTP body in whatever pieces curl hands
 * over. The providers own the parser; it owns every buffer it reports.
 *
 * Any chunking gives the same events as one feed: lines end with CRLF, CR or
 * LF (a CR ending one feed and an LF starting the next are one line end); a
 * UTF-8 BOM at the very start of the stream is dropped; lines starting with
 * ':' are comments; a line without ':' is a field with an empty value; one
 * space after ':' is removed. Fields: `data` appends its value and "\n",
 * `event` sets the type, `id` sets the last event id unless the value holds a
 * NUL byte, `retry` made only of ASCII digits sets retry_ms; others are
 * ignored. A blank line dispatches the event when a data field was seen (data
 * is then the joined lines without the final "\n"), else it only resets; the
 * type resets after each blank line, the id and retry persist. Bytes are not
 * decoded: data is passed through as received.
 *
 * One event may hold at most max_event bytes: its data so far plus the line
 * being read. Beyond that sse_feed fails. A failed parser stays failed; a
 * parser whose callback returned non-zero stays stopped. An event without its
 * blank line is never dispatched: sse_finish tells whether one was pending,
 * so the caller can mark the stream as cut. Nothing here blocks or allocates
 * per byte; lines are found with memchr. */
#ifndef AIWB_SSE_H
#define AIWB_SSE_H

#include <stddef.h>

#include "base/err.h"

#define SSE_MAX_EVENT_DEFAULT ((size_t)8 << 20)

/* Borrowed: valid only during the callback. */
struct sse_event {
	const char *type;     /* NUL-terminated; "message" when no event field */
	const char *data;     /* data_len bytes plus a NUL (data may hold NULs) */
	size_t data_len;
	const char *id;       /* last event id, NUL-terminated, "" when none */
	long long retry_ms;   /* last valid retry field, -1 when none */
};

/* Return non-zero to stop: sse_feed then returns 1 at once. The callback must
 * not feed or free its own parser. */
typedef int (*sse_event_fn)(void *ud, const struct sse_event *ev);

struct sse_parser;

/* max_event 0 means SSE_MAX_EVENT_DEFAULT. Free with sse_free. */
struct sse_parser *sse_new(size_t max_event, sse_event_fn on_event, void *ud);
void sse_free(struct sse_parser *p);

/* 0 when every byte was consumed, 1 when the callback stopped the parser,
 * -1 with e set when an event outgrew max_event (now and on every later call). */
int sse_feed(struct sse_parser *p, const void *bytes, size_t n, struct err *e);

/* End of stream: 1 when an event had begun (a field line, or an unfinished
 * line) but its blank line never came, else 0 (also after a failure or a
 * stop). The partial event is dropped and the parser reads a new stream (BOM
 * again); id and retry are kept, as for a reconnection. */
int sse_finish(struct sse_parser *p);

/* The last valid retry field in milliseconds, -1 when none. */
long long sse_retry_ms(const struct sse_parser *p);
/* The last event id ("" when none); borrowed until the next feed. */
const char *sse_last_id(const struct sse_parser *p);

#endif
