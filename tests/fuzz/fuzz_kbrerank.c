/* libFuzzer target for kb/rerank's readers: a Rerank answer for 8 documents
 * either sets scores only at the indexes it marks seen (finite numbers) with
 * an optional non-empty page token, or fails with one sentence; the same
 * bytes read as a chat model's answer give a score in 0..10, or -1 and 0.
 * Never a crash or a leak. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "kb/rerank.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	double s[8];
	unsigned char seen[8] = { 0 };
	for (int i = 0; i < 8; i++)
		s[i] = -1;
	struct err e = ERR_INIT;
	char *tok = NULL;
	int rc = kb_rerank_parse_response((const char *)data, size, s, seen, 8, &tok, &e);
	if (rc == 0) {
		require(!tok || *tok);
		for (int i = 0; i < 8; i++)
			require(seen[i] ? isfinite(s[i]) : s[i] == -1);
	} else {
		require(rc == -1 && e.set && !tok);
	}
	free(tok);
	char *text = xstrndup((const char *)data, size);
	double v = -1;
	rc = kb_rerank_parse_score(text, &v);
	require(rc == 0 ? v >= 0 && v <= KB_RERANK_LLM_MAX : rc == -1 && v == 0);
	free(text);
	return 0;
}
