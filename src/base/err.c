#include "base/err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int __attribute__((format(printf, 2, 0))) verr(struct err *e, const char *fmt, va_list ap)
{
	if (e) {
		vsnprintf(e->msg, sizeof e->msg, fmt, ap);
		e->set = 1;
	}
	return -1;
}

int err_set(struct err *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr(e, fmt, ap);
	va_end(ap);
	return -1;
}

int err_errno(struct err *e, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	verr(e, fmt, ap);
	va_end(ap);
	if (e) {
		size_t n = strlen(e->msg);
		snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(saved));
	}
	errno = saved;
	return -1;
}

void err_clear(struct err *e)
{
	if (e) {
		e->set = 0;
		e->msg[0] = '\0';
	}
}

const char *err_msg(const struct err *e)
{
	return e && e->set ? e->msg : "";
}
