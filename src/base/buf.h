/* buf — a growable byte buffer, always NUL-terminated.
 *
 * A zeroed struct buf (BUF_INIT) is an empty buffer. `data` is owned by the
 * buffer until buf_detach(); pointers into it are invalidated by any append.
 * Appending never fails (xmalloc aborts on out-of-memory). */
#ifndef AIWB_BUF_H
#define AIWB_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data; /* NULL while empty and never grown */
	size_t len;
	size_t cap;
};

#define BUF_INIT {NULL, 0, 0}

void buf_grow(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Removes the first n bytes (for consumed input). */
void buf_consume(struct buf *b, size_t n);
void buf_truncate(struct buf *b, size_t len);
void buf_reset(struct buf *b);
/* Always a valid C string, "" when empty; borrowed. */
const char *buf_str(const struct buf *b);
/* Hands the string to the caller (caller frees) and leaves the buffer empty. */
char *buf_detach(struct buf *b);
void buf_free(struct buf *b);

#endif
