/* libFuzzer target for kb/chunk: on any text (cleaned as ingest cleans it),
 * every chunker with sizes drawn from the input gives chunks inside the text,
 * on character boundaries, in order, no larger than the window, that leave
 * no visible byte out. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/tokens.h"
#include "kb/chunk.h"
#include "kb/text.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int space(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\f' || c == '\v' || c == '\r';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t h = fuzz_hash(data, size);
	struct buf b = BUF_INIT;
	kb_text_clean((const char *)data, size, &b, NULL);
	const char *t = buf_str(&b);
	for (int ch = 0; ch < 3; ch++) {
		struct kb_chunk_opts o = { (enum kb_chunker)ch, KB_CHUNK_TOKENS_MIN + (int)(h % 64), (int)((h >> 8) % 40) };
		struct kb_chunk *c;
		size_t n = kb_chunk_text(t, b.len, &o, &c);
		size_t window = tokens_bytes(o.tokens), covered = 0;
		for (size_t i = 0; i < n; i++) {
			require(c[i].start < c[i].end && c[i].end <= b.len);
			require(c[i].end - c[i].start <= window);
			require(((unsigned char)t[c[i].start] & 0xC0) != 0x80);
			require(c[i].end == b.len || ((unsigned char)t[c[i].end] & 0xC0) != 0x80);
			require(!space(t[c[i].start]) && !space(t[c[i].end - 1]));
			require(i == 0 || c[i].start > c[i - 1].start);
			for (size_t k = covered; k < c[i].start; k++)
				require(space(t[k]));
			if (c[i].end > covered)
				covered = c[i].end;
		}
		for (size_t k = covered; k < b.len; k++)
			require(space(t[k]));
		kb_chunks_free(c, n);
	}
	buf_free(&b);
	return 0;
}
