/* xmalloc — allocation that cannot fail.
 *
 * Every function aborts the process with a one-line message on stderr when
 * memory runs out (after restoring the terminal through the hook set by
 * xmalloc_set_fatal_hook). Results are owned by the caller and freed with free(). */
#ifndef AIWB_XMALLOC_H
#define AIWB_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Grows the array p of elements of size bytes so it holds at least need of
 * them, doubling *cap (from 8); returns it (moved, perhaps). */
void *xgrow(void *p, size_t *cap, size_t need, size_t size);
/* XGROW(v, cap, need): the same for an array v whose capacity is cap. */
#define XGROW(v, cap, need) ((v) = xgrow((v), &(cap), (need), sizeof *(v)))

/* Called once before aborting on out-of-memory (the TUI restores the terminal here). */
void xmalloc_set_fatal_hook(void (*hook)(void));

#endif
