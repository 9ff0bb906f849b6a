#include "prompt/roles.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

/* The compiled form of a marker line: NUL ROLE NUL. */
#define MARK_LEN 3

int template_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static char role_marker(const char *s, size_t n)
{
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	if (n == 7 && memcmp(s, "system:", 7) == 0)
		return 'S';
	if (n == 5 && memcmp(s, "user:", 5) == 0)
		return 'U';
	if (n == 10 && memcmp(s, "assistant:", 10) == 0)
		return 'A';
	return 0;
}

static const char *role_name(char c)
{
	return c == 'S' ? "system" : c == 'A' ? "assistant" : "user";
}

void roles_mark(const char *s, size_t len, struct buf *out)
{
	const char *p = s, *end = s + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		char role = role_marker(p, (size_t)(le - p));
		if (role) {
			char m[MARK_LEN] = { '\0', role, '\0' };
			buf_append(out, m, MARK_LEN);
		} else {
			buf_append(out, p, (size_t)(le - p));
		}
		if (nl)
			buf_putc(out, '\n');
		p = nl ? nl + 1 : end;
	}
}

void template_msgs_add(struct template_msgs *m, const char *role, const char *s, size_t n, int trim)
{
	if (trim) {
		while (n && template_is_space(*s))
			s++, n--;
		while (n && template_is_space(s[n - 1]))
			n--;
		if (!n)
			return;
	}
	m->v = xreallocarray(m->v, m->n + 1, sizeof *m->v);
	m->v[m->n].role = xstrdup(role);
	m->v[m->n].content = xstrndup(s, n);
	m->n++;
}

void roles_split_marked(const char *s, size_t len, struct template_msgs *out)
{
	char role = 'U';
	size_t start = 0;
	for (size_t i = 0; i + MARK_LEN <= len; i++) {
		if (s[i] != '\0' || s[i + 2] != '\0' || !strchr("SUA", s[i + 1]) || !s[i + 1])
			continue;
		template_msgs_add(out, role_name(role), s + start, i - start, 1);
		role = s[i + 1];
		i += MARK_LEN - 1;
		start = i + 1;
	}
	template_msgs_add(out, role_name(role), s + start, len - start, 1);
}

void template_split_roles(const char *text, size_t len, struct template_msgs *out)
{
	struct buf b = BUF_INIT;
	roles_mark(text, len, &b);
	roles_split_marked(b.data ? b.data : "", b.len, out);
	buf_free(&b);
}

void template_msgs_free(struct template_msgs *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].role);
		free(m->v[i].content);
	}
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

