/* err — one clear error message carried back to whoever can show it.
 *
 * Functions that can fail take a `struct err *` (may be NULL when the caller
 * does not care) and return -1 (or NULL) after err_set(). The message is one
 * sentence naming what was wrong and, where possible, what to do; it never
 * contains secrets. Exit codes follow DESIGN.md §5. */
#ifndef AIWB_ERR_H
#define AIWB_ERR_H

#include <stdarg.h>

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct err {
	int set;
	char msg[1024];
};

#define ERR_INIT {0, {0}}

/* Returns -1 so callers can `return err_set(e, ...)`. */
int err_set(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like err_set, appending ": strerror(errno)". */
int err_errno(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void err_clear(struct err *e);
const char *err_msg(const struct err *e); /* "" when unset */

#endif
