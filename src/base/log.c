#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/secret.h"
#include "base/xmalloc.h"

static struct {
	int fd;
	char *path;
	size_t size, cap;
	enum log_level level;
} lg = { .fd = -1, .level = LOG_INFO };

static const char *const level_names[] = { "debug", "info", "warn", "error" };

static int open_file(struct err *e)
{
	lg.fd = open(lg.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lg.fd < 0)
		return err_errno(e, "cannot open the log %s", lg.path);
	struct stat st;
	lg.size = fstat(lg.fd, &st) == 0 ? (size_t)st.st_size : 0;
	return 0;
}

int log_open(const char *path, size_t max_bytes, struct err *e)
{
	log_close();
	lg.path = xstrdup(path);
	lg.cap = max_bytes ? max_bytes : 1u << 20;
	secret_add_known_env();
	return open_file(e);
}

void log_close(void)
{
	if (lg.fd >= 0)
		close(lg.fd);
	lg.fd = -1;
	free(lg.path);
	lg.path = NULL;
}

void log_set_level(enum log_level level)
{
	lg.level = level;
}

int log_level_parse(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (name && strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

static void rotate(void)
{
	char *old = xasprintf("%s.1", lg.path);
	close(lg.fd);
	rename(lg.path, old);
	free(old);
	if (open_file(NULL) != 0)
		lg.fd = -1;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (lg.fd < 0 || level < lg.level)
		return;
	int saved = errno;
	int64_t ms = clock_wall_ms();
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	struct buf b = BUF_INIT;
	buf_printf(&b, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %-5s ", tm.tm_year + 1900, tm.tm_mon + 1,
		   tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000), level_names[level]);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < b.len; i++)
		if (b.data[i] == '\n' || b.data[i] == '\r')
			b.data[i] = ' ';
	buf_putc(&b, '\n');
	secret_redact_buf(&b);
	if (lg.size + b.len > lg.cap && lg.size > 0)
		rotate();
	if (lg.fd >= 0 && write(lg.fd, b.data, b.len) == (ssize_t)b.len)
		lg.size += b.len;
	buf_free(&b);
	errno = saved;
}
