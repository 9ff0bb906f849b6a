/* NDJSON splitter invariants: the input fed whole, in data-derived pieces and
 * (when short) one byte at a time gives the same lines and results; a line
 * holds no LF, is not blank and fits the cap; without a cap error the lines
 * are exactly the input's non-blank lines. Any violation aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "net/ndjson.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct outcome {
	struct buf log;
	size_t max_line, cap;
	int lines;
	int stop_after;
	int rc, finish_rc;
	struct err e;
};

static int on_line(void *ud, const char *line, size_t len)
{
	struct outcome *o = ud;
	require(len > 0 && len <= o->cap);
	require(!memchr(line, '\n', len));
	size_t blank = 0;
	while (blank < len && (line[blank] == ' ' || line[blank] == '\t' || line[blank] == '\r'))
		blank++;
	require(blank < len);
	buf_append(&o->log, line, len);
	buf_putc(&o->log, '\n');
	return o->stop_after && ++o->lines >= o->stop_after;
}

static int feed(void *p, const void *bytes, size_t n, struct err *e)
{
	return ndjson_feed(p, bytes, n, e);
}

static void run(struct outcome *o, const uint8_t *in, size_t n, size_t step, uint32_t seed)
{
	struct ndjson_parser *p = ndjson_new(o->max_line, on_line, o);
	fuzz_feed(feed, p, in, n, step, seed, &o->rc, &o->e);
	o->finish_rc = ndjson_finish(p, &o->e);
	require(o->finish_rc == 0 || o->e.set);
	ndjson_free(p);
}

/* The lines the input should give: split at LF, one trailing CR off, blank
 * lines dropped. */
static void expected_lines(struct buf *out, const uint8_t *in, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && in[i] != '\n')
			continue;
		size_t len = i - start;
		const char *s = (const char *)in + start;
		if (len && s[len - 1] == '\r')
			len--;
		size_t k = 0;
		while (k < len && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r'))
			k++;
		if (k < len) {
			buf_append(out, s, len);
			buf_putc(out, '\n');
		}
		start = i + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t hash = fuzz_hash(data, size);
	size_t max_line = hash & 1 ? 0 : 4 + (hash >> 1) % 256;
	size_t cap = max_line ? max_line : NDJSON_MAX_LINE_DEFAULT;
	int stop_after = fuzz_stop_after(hash);

	struct outcome whole = {.max_line = max_line, .cap = cap, .stop_after = stop_after};
	run(&whole, data, size, 0, 0);
	if (whole.rc == 0 && whole.finish_rc == 0 && !stop_after) {
		struct buf want = BUF_INIT;
		expected_lines(&want, data, size);
		require(want.len == whole.log.len);
		require(want.len == 0 || memcmp(want.data, whole.log.data, want.len) == 0);
		buf_free(&want);
	}

	size_t steps[] = {SIZE_MAX, 1 + hash % 7, size <= 4096 ? 1 : 0};
	for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
		if (steps[i] == 0)
			continue;
		struct outcome pieces = {.max_line = max_line, .cap = cap, .stop_after = stop_after};
		run(&pieces, data, size, steps[i], hash | 1);
		require(pieces.log.len == whole.log.len);
		require(whole.log.len == 0 || memcmp(pieces.log.data, whole.log.data, whole.log.len) == 0);
		require(pieces.rc == whole.rc && pieces.finish_rc == whole.finish_rc);
		require(strcmp(err_msg(&pieces.e), err_msg(&whole.e)) == 0);
		buf_free(&pieces.log);
	}
	buf_free(&whole.log);
	return 0;
}
