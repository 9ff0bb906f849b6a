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
#include "base/xmalloc.h"

static struct {
	int fd;
	char *path;
	size_t size, cap;
	enum log_level level;
	char **secrets; /* longest first, so a secret containing another is replaced whole */
	size_t nsecrets;
} lg = { .fd = -1, .level = LOG_INFO };

static const char *const level_names[] = { "debug", "info", "warn", "error" };

static const char *const secret_vars[] = {
	"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_SECURITY_TOKEN", "AWS_BEARER_TOKEN_BEDROCK", "AWS_ACCESS_KEY_ID",
};

void log_add_secret(const char *secret)
{
	if (!secret || strlen(secret) < 4)
		return;
	size_t len = strlen(secret), at = 0;
	for (size_t i = 0; i < lg.nsecrets; i++)
		if (strcmp(lg.secrets[i], secret) == 0)
			return;
	while (at < lg.nsecrets && strlen(lg.secrets[at]) >= len)
		at++;
	lg.secrets = xreallocarray(lg.secrets, lg.nsecrets + 1, sizeof *lg.secrets);
	memmove(lg.secrets + at + 1, lg.secrets + at, (lg.nsecrets - at) * sizeof *lg.secrets);
	lg.secrets[at] = xstrdup(secret);
	lg.nsecrets++;
}

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
	for (size_t i = 0; i < sizeof secret_vars / sizeof *secret_vars; i++)
		log_add_secret(getenv(secret_vars[i]));
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

static void redact(struct buf *b)
{
	for (size_t i = 0; i < lg.nsecrets; i++) {
		const char *s = lg.secrets[i];
		size_t slen = strlen(s);
		char *hit;
		size_t from = 0;
		while ((hit = strstr(b->data + from, s))) {
			size_t at = (size_t)(hit - b->data);
			struct buf out = BUF_INIT;
			buf_append(&out, b->data, at);
			buf_puts(&out, "[redacted]");
			from = out.len;
			buf_puts(&out, hit + slen);
			buf_free(b);
			*b = out;
		}
	}
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
	redact(&b);
	if (lg.size + b.len > lg.cap && lg.size > 0)
		rotate();
	if (lg.fd >= 0 && write(lg.fd, b.data, b.len) == (ssize_t)b.len)
		lg.size += b.len;
	buf_free(&b);
	errno = saved;
}
