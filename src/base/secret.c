#include "base/secret.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/path.h"
#include "base/path.h"
#include "base/xmalloc.h"

#define REDACTED "[redacted]"

struct secret {
	char *value;
	size_t len;
	size_t *border; /* KMP: border[i] = longest proper prefix of value[0..i] that is also its suffix */
};

static struct {
	struct secret *v; /* longest first */
	size_t n;
} reg;

static void secret_free(struct secret *s)
{
	explicit_bzero(s->value, s->len);
	free(s->value);
	free(s->border);
}

static void add_n(const char *value, size_t len)
{
	if (!value || len < SECRET_MIN)
		return;
	for (size_t i = 0; i < reg.n; i++)
		if (reg.v[i].len == len && memcmp(reg.v[i].value, value, len) == 0)
			return;
	struct secret s = { xmalloc(len + 1), len, xreallocarray(NULL, len, sizeof(size_t)) };
	memcpy(s.value, value, len);
	s.value[len] = '\0';
	s.border[0] = 0;
	for (size_t i = 1, k = 0; i < len; i++) {
		while (k && value[i] != value[k])
			k = s.border[k - 1];
		if (value[i] == value[k])
			k++;
		s.border[i] = k;
	}
	size_t at = 0;
	while (at < reg.n && reg.v[at].len >= len)
		at++;
	reg.v = xreallocarray(reg.v, reg.n + 1, sizeof *reg.v);
	memmove(reg.v + at + 1, reg.v + at, (reg.n - at) * sizeof *reg.v);
	reg.v[at] = s;
	reg.n++;
}

void secret_add(const char *value)
{
	if (value)
		add_n(value, strlen(value));
}

void secret_add_env(const char *var)
{
	secret_add(getenv(var));
}

void secret_add_known_env(void)
{
	static const char *const vars[] = { SECRET_ENV_VARS };
	static const char *const urls[] = { SECRET_URL_VARS };
	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
		secret_add_env(vars[i]);
	for (size_t i = 0; i < sizeof urls / sizeof *urls; i++)
		secret_add_url(getenv(urls[i]));
}

static int hex(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

static char *percent_decoded(const char *s, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hex((unsigned char)s[i + 1]) >= 0 && hex((unsigned char)s[i + 2]) >= 0) {
			out[o++] = (char)(hex((unsigned char)s[i + 1]) * 16 + hex((unsigned char)s[i + 2]));
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

static void add_basic(const char *userinfo)
{
	size_t n = strlen(userinfo);
	const char *colon = strchr(userinfo, ':');
	char *plain = colon ? xstrdup(userinfo) : xasprintf("%s:", userinfo);
	size_t pn = colon ? n : n + 1;
	unsigned char *b64 = xmalloc(4 * ((pn + 2) / 3) + 1);
	EVP_EncodeBlock(b64, (const unsigned char *)plain, (int)pn);
	secret_add((const char *)b64);
	explicit_bzero(plain, pn);
	free(plain);
	free(b64);
}

void secret_add_url(const char *url)
{
	const char *p = url ? strstr(url, "://") : NULL;
	if (!p)
		return;
	p += 3;
	size_t auth = strcspn(p, "/?#");
	const char *at = NULL;
	for (size_t i = 0; i < auth; i++)
		if (p[i] == '@')
			at = p + i;
	if (!at || at == p)
		return;
	size_t n = (size_t)(at - p);
	add_n(p, n);
	char *decoded = percent_decoded(p, n);
	secret_add(decoded);
	add_basic(decoded);
	const char *colon = memchr(p, ':', n);
	if (colon) {
		add_n(colon + 1, n - (size_t)(colon + 1 - p));
		char *dp = strchr(decoded, ':');
		if (dp)
			secret_add(dp + 1);
	}
	explicit_bzero(decoded, strlen(decoded));
	free(decoded);
}

size_t secret_count(void)
{
	return reg.n;
}

void secret_reset(void)
{
	for (size_t i = 0; i < reg.n; i++)
		secret_free(&reg.v[i]);
	free(reg.v);
	reg.v = NULL;
	reg.n = 0;
}

/* ---- redaction ---- */

size_t secret_redact_buf(struct buf *b)
{
	size_t hits = 0;
	for (size_t i = 0; i < reg.n && b->len; i++) {
		const struct secret *s = &reg.v[i];
		const char *hit = memmem(b->data, b->len, s->value, s->len);
		if (!hit)
			continue;
		struct buf out = BUF_INIT;
		size_t from = 0;
		while (hit) {
			size_t at = (size_t)(hit - b->data);
			buf_append(&out, b->data + from, at - from);
			buf_puts(&out, REDACTED);
			hits++;
			from = at + s->len;
			hit = memmem(b->data + from, b->len - from, s->value, s->len);
		}
		buf_append(&out, b->data + from, b->len - from);
		explicit_bzero(b->data, b->len);
		buf_free(b);
		*b = out;
	}
	return hits;
}

void secret_redact(char *s, size_t size)
{
	if (!s || !reg.n || !size)
		return;
	struct buf b = BUF_INIT;
	buf_puts(&b, s);
	if (secret_redact_buf(&b))
		snprintf(s, size, "%s", buf_str(&b));
	buf_free(&b);
}

char *secret_redacted_copy(const char *s)
{
	if (!s || !reg.n)
		return NULL;
	struct buf b = BUF_INIT;
	buf_puts(&b, s);
	if (!secret_redact_buf(&b)) {
		buf_free(&b);
		return NULL;
	}
	return buf_detach(&b);
}

/* The longest k < s->len such that the text ends with the first k bytes of s. */
static size_t partial_at_end(const struct secret *s, const char *text, size_t n)
{
	size_t window = n < s->len - 1 ? n : s->len - 1, q = 0;
	for (const char *p = text + n - window; p < text + n; p++) {
		while (q && *p != s->value[q])
			q = s->border[q - 1];
		if (*p == s->value[q])
			q++;
		if (q == s->len)
			q = s->border[q - 1];
	}
	return q;
}

static size_t partial_of_any(const char *text, size_t n)
{
	size_t keep = 0;
	for (size_t i = 0; i < reg.n; i++) {
		size_t k = partial_at_end(&reg.v[i], text, n);
		if (k > keep)
			keep = k;
	}
	return keep;
}

static int holds_secret(const char *p, size_t n)
{
	for (size_t i = 0; i < reg.n; i++)
		if (memmem(p, n, reg.v[i].value, reg.v[i].len))
			return 1;
	return 0;
}

/* Moves boundary back to the start of any secret that begins before it and
 * ends after it, so the text is never cut inside one. */
static size_t uncut(const char *text, size_t n, size_t boundary)
{
	for (int moved = 1; moved;) {
		moved = 0;
		for (size_t i = 0; i < reg.n; i++) {
			const struct secret *s = &reg.v[i];
			size_t from = boundary >= s->len ? boundary - s->len + 1 : 0;
			const char *hit = memmem(text + from, n - from, s->value, s->len);
			if (hit && (size_t)(hit - text) < boundary) {
				boundary = (size_t)(hit - text);
				moved = 1;
			}
		}
	}
	return boundary;
}

void secret_stream_feed(struct secret_stream *s, const char *p, size_t n, struct buf *out)
{
	if (!n)
		return;
	if (!s->held.len && !holds_secret(p, n)) { /* the usual case: no copy through held */
		size_t keep = partial_of_any(p, n);
		buf_append(out, p, n - keep);
		if (keep)
			buf_append(&s->held, p + n - keep, keep);
		return;
	}
	buf_append(&s->held, p, n);
	size_t ready = uncut(s->held.data, s->held.len, s->held.len - partial_of_any(s->held.data, s->held.len));
	if (ready) {
		struct buf done = BUF_INIT;
		buf_append(&done, s->held.data, ready);
		secret_redact_buf(&done);
		buf_append(out, done.data, done.len);
		explicit_bzero(done.data, done.len);
		buf_free(&done);
		buf_consume(&s->held, ready);
	}
}

void secret_stream_finish(struct secret_stream *s, struct buf *out)
{
	secret_redact_buf(&s->held);
	if (s->held.len)
		buf_append(out, s->held.data, s->held.len);
	buf_reset(&s->held);
}

void secret_stream_free(struct secret_stream *s)
{
	buf_free(&s->held);
}

/* ---- stdout and stderr ---- */

struct guard {
	int fd;
	int closed;
	struct secret_stream st;
	struct buf out;
};

static struct guard guards[2] = { { .fd = STDOUT_FILENO }, { .fd = STDERR_FILENO } };

static ssize_t guard_write(void *cookie, const char *p, size_t n)
{
	struct guard *g = cookie;
	buf_reset(&g->out);
	secret_stream_feed(&g->st, p, n, &g->out);
	int rc = path_write_all(g->fd, g->out.data, g->out.len);
	return rc == 0 ? (ssize_t)n : 0;
}

static int guard_release(struct guard *g)
{
	struct buf out = BUF_INIT;
	secret_stream_finish(&g->st, &out);
	int rc = path_write_all(g->fd, out.data, out.len);
	buf_free(&out);
	return rc;
}

static int guard_close(void *cookie)
{
	struct guard *g = cookie;
	int rc = guard_release(g);
	g->closed = 1;
	secret_stream_free(&g->st);
	buf_free(&g->out);
	if (close(g->fd) != 0)
		rc = -1;
	return rc == 0 ? 0 : EOF;
}

static void guard_at_exit(void)
{
	for (int i = 0; i < 2; i++) {
		if (guards[i].closed)
			continue;
		fflush(i ? stderr : stdout);
		guard_release(&guards[i]);
	}
}

void secret_guard_stdio(void)
{
	static int done;
	if (done)
		return;
	cookie_io_functions_t io = { .write = guard_write, .close = guard_close };
	FILE *out = fopencookie(&guards[0], "w", io);
	FILE *err = fopencookie(&guards[1], "w", io);
	if (!out || !err) {
		fputs("aiwb: out of memory setting up the output streams\n", stderr);
		abort();
	}
	setvbuf(out, NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, BUFSIZ);
	setvbuf(err, NULL, _IONBF, 0);
	fflush(stdout);
	fflush(stderr);
	stdout = out;
	stderr = err;
	atexit(guard_at_exit);
	done = 1;
}

/* ---- the process ---- */

void secret_protect_process(void)
{
	const char *v = getenv("AIWB_CORE_DUMPS");
	if (v && strcmp(v, "1") == 0)
		return;
	struct rlimit rl;
	if (getrlimit(RLIMIT_CORE, &rl) == 0) {
		rl.rlim_cur = 0;
		setrlimit(RLIMIT_CORE, &rl);
	}
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int secret_core_dumps_on(void)
{
	struct rlimit rl;
	return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1 && getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur != 0;
}
