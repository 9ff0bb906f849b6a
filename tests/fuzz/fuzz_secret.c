/* Redaction invariants. The input is a base URL line (its userinfo parsed by
 * secret_add_url, which must not misbehave), then secrets one a line up to
 * an empty line, then the text. Secrets that could meet the "[redacted]"
 * marker itself (holding '[' or ']', or part of the marker) are left out.
 * Then: no secret is in the redacted text; text fed to a secret_stream in
 * pieces (sizes drawn from the input's hash) gives exactly the text redacted
 * whole; secret_redacted_copy of a C string agrees. Any violation aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/secret.h"
#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *next_line(const char *p, const char *end, size_t *len)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	*len = (size_t)((nl ? nl : end) - p);
	return nl ? nl + 1 : end;
}

static int add_line(const char *p, size_t n)
{
	char *s = malloc(n + 1);
	require(s != NULL);
	memcpy(s, p, n);
	s[n] = '\0';
	int ok = n >= SECRET_MIN && !memchr(p, '\0', n) && !memchr(p, '[', n) && !memchr(p, ']', n) &&
		 !strstr("[redacted]", s);
	if (ok)
		secret_add(s);
	free(s);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	size_t n;
	secret_reset();
	const char *q = next_line(p, end, &n);
	char *url = malloc(n + 1);
	require(url != NULL);
	memcpy(url, p, n);
	url[n] = '\0';
	secret_add_url(url);
	free(url);
	secret_reset();
	const char *first = q;
	for (p = q; p < end; p = q) {
		q = next_line(p, end, &n);
		if (n == 0) {
			p = q;
			break;
		}
		add_line(p, n);
	}
	const char *text = p;
	size_t text_len = (size_t)(end - p);
	struct buf whole = BUF_INIT;
	buf_append(&whole, text, text_len);
	secret_redact_buf(&whole);
	for (const char *l = first; l < text; l = q) {
		q = next_line(l, end, &n);
		if (n >= SECRET_MIN && !memchr(l, '\0', n) && !memchr(l, '[', n) && !memchr(l, ']', n))
			require(!memmem(whole.data, whole.len, l, n) || memmem("[redacted]", 10, l, n));
	}

	uint32_t seed = fuzz_hash(data, size) | 1;
	struct secret_stream st = SECRET_STREAM_INIT;
	struct buf out = BUF_INIT;
	for (size_t at = 0; at < text_len;) {
		size_t k = 1 + fuzz_next(&seed) % 40;
		if (k > text_len - at)
			k = text_len - at;
		secret_stream_feed(&st, text + at, k, &out);
		at += k;
	}
	secret_stream_finish(&st, &out);
	secret_stream_free(&st);
	require(out.len == whole.len && (out.len == 0 || memcmp(out.data, whole.data, out.len) == 0));

	if (!memchr(text, '\0', text_len)) {
		char *s = malloc(text_len + 1);
		require(s != NULL);
		memcpy(s, text, text_len);
		s[text_len] = '\0';
		char *r = secret_redacted_copy(s);
		require(strcmp(r ? r : s, buf_str(&whole)) == 0);
		free(r);
		free(s);
	}
	buf_free(&whole);
	buf_free(&out);
	secret_reset();
	return 0;
}
