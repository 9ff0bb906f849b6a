#include "kb/locate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/xmalloc.h"

#define PIECE ((size_t)1 << 16)

long kb_locate_body_line(const char *body, size_t len, size_t start)
{
	long line = 1;
	if (start > len)
		start = len;
	for (const char *p = body, *end = body + start; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		line++;
	return line;
}

/* The chunk's opening words: into needle, its length (0: none worth it); *at
 * gets the offset in body where they start. */
static size_t make_needle(const char *body, size_t len, size_t start, char *needle, size_t *at)
{
	size_t i = start;
	while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r'))
		i++;
	*at = i;
	size_t n = 0;
	while (i < len && n < KB_LOCATE_NEEDLE) {
		unsigned char c = (unsigned char)body[i];
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '&' || c == '<' || c == '>' || c >= 0x80)
			break;
		needle[n++] = (char)c;
		i++;
	}
	while (n && needle[n - 1] == ' ')
		n--;
	return n >= KB_LOCATE_MIN ? n : 0;
}

static long count_lines(const char *p, size_t n)
{
	long k = 0;
	for (const char *end = p + n; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		k++;
	return k;
}

long kb_locate_line(const char *path, const char *body, size_t len, size_t start, int *found, struct err *e)
{
	char needle[KB_LOCATE_NEEDLE];
	size_t at;
	size_t nn = make_needle(body, len, start, needle, &at);
	long want = kb_locate_body_line(body, len, at);
	*found = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_errno(e, "cannot open %s", path);
	if (!nn) {
		close(fd);
		return want;
	}
	char *buf = xmalloc(PIECE + KB_LOCATE_NEEDLE);
	size_t keep = 0;
	long base = 1, best = 0;
	for (;;) {
		ssize_t r = read(fd, buf + keep, PIECE);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int saved = errno;
			free(buf);
			close(fd);
			errno = saved;
			return err_errno(e, "cannot read %s", path);
		}
		size_t total = keep + (size_t)r;
		long line = base;
		const char *from = buf, *end = buf + total;
		for (const char *m; (m = memmem(from, (size_t)(end - from), needle, nn)) != NULL; from = m + 1) {
			line += count_lines(from, (size_t)(m - from));
			long d = line > want ? line - want : want - line;
			long bd = best > want ? best - want : want - best;
			if (!best || d < bd)
				best = line;
		}
		if (r == 0)
			break;
		keep = total < nn - 1 ? total : nn - 1;
		base += count_lines(buf, total - keep);
		memmove(buf, buf + total - keep, keep);
	}
	free(buf);
	close(fd);
	if (!best)
		return want;
	*found = 1;
	return best;
}
