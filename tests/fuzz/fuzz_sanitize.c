/* Sanitizer invariants: output is valid UTF-8 with no C0 (but '\n', and '\t'
 * when tabs are kept), no DEL, no C1; it does not depend on how the input is
 * split into feeds; sanitizing it again changes nothing; sanitize_width and
 * sanitize_fit agree with sanitize_cpwidth. Any violation aborts. */
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
	if (!ok)
		abort();
}

/* Strict decoder written apart from sanitize.c: length of the character at
 * p, or 0 when it is not valid UTF-8. */
static size_t strict_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	static const uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
	size_t len;
	uint32_t v;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0) {
		len = 2;
		v = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3;
		v = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4;
		v = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[k] & 0x3f);
	}
	if (v < min_for_len[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

static int is_boundary(const char *s, size_t n, size_t at)
{
	return at == n || ((unsigned char)s[at] & 0xc0) != 0x80;
}

static void check_output(const char *s, size_t n, int tab_width)
{
	const unsigned char *p = (const unsigned char *)s;
	long width = 0;
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t len = strict_decode(p + i, n - i, &cp);
		require(len > 0);
		if (cp < 0x20)
			require(cp == '\n' || (cp == '\t' && tab_width == 0));
		require(cp != 0x7f);
		require(cp < 0x80 || cp > 0x9f);
		width += sanitize_cpwidth(cp);
		i += len;
	}
	require(s[n] == '\0');
	require(sanitize_width(s, n) == width);
}

static void check_fit(const char *s, size_t n, int max_cols)
{
	int cols = -1;
	size_t k = sanitize_fit(s, n, max_cols, &cols);
	require(k <= n && is_boundary(s, n, k));
	require(cols >= 0 && cols <= max_cols);
	require(sanitize_width(s, k) == cols);
	if (k < n) {
		uint32_t cp;
		require(strict_decode((const unsigned char *)s + k, n - k, &cp) > 0);
		require(cols + sanitize_cpwidth(cp) > max_cols);
	}
}

static void sanitize_chunks(struct sanitizer *s, const char *in, size_t n, size_t at,
			    struct buf *out)
{
	sanitize_feed(s, in, at, out);
	sanitize_feed(s, in + at, n - at, out);
	sanitize_finish(s, out);
}

static void same(const struct buf *a, const struct buf *b)
{
	require(a->len == b->len);
	require(a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static void check_tab_width(const char *in, size_t size, int tab_width, uint32_t hash)
{
	struct sanitizer s;
	struct buf one = BUF_INIT, two = BUF_INIT, pieces = BUF_INIT, again = BUF_INIT;
	size_t at = size ? hash % (size + 1) : 0;

	sanitize_init(&s, tab_width);
	sanitize_feed(&s, in, size, &one);
	sanitize_finish(&s, &one);
	check_output(buf_str(&one), one.len, tab_width);

	sanitize_chunks(&s, in, size, at, &two);
	same(&one, &two);

	size_t step = size <= 256 ? 1 : 1 + (hash >> 24) % 16;
	for (size_t i = 0; i < size; i += step)
		sanitize_feed(&s, in + i, size - i < step ? size - i : step, &pieces);
	sanitize_finish(&s, &pieces);
	same(&one, &pieces);

	struct sanitizer fresh;
	sanitize_init(&fresh, tab_width);
	sanitize_chunks(&fresh, buf_str(&one), one.len, at < one.len ? at : one.len, &again);
	same(&one, &again);

	check_fit(buf_str(&one), one.len, (int)(hash >> 8 & 0x3f));
	check_fit(buf_str(&one), one.len, sanitize_width(buf_str(&one), one.len));

	buf_free(&one);
	buf_free(&two);
	buf_free(&pieces);
	buf_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int locale_ready;
	if (!locale_ready) {
		setlocale(LC_CTYPE, "C.UTF-8");
		locale_ready = 1;
	}
	uint32_t hash = 2166136261u;
	for (size_t i = 0; i < size; i++)
		hash = (hash ^ data[i]) * 16777619u;
	const char *in = (const char *)data;
	check_tab_width(in, size, 0, hash);
	check_tab_width(in, size, 1 + (int)(hash >> 16) % 8, hash);
	return 0;
}
