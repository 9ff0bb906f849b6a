/* libFuzzer target for kb/bedrockkb's reading of Retrieve answers: any bytes
 * either fill hits whose strings are all set, ranked 1..n, with no highlight
 * mark byte in their text and metadata that is a JSON object, plus an
 * optional non-empty page token, or fail with one sentence. Never a crash or
 * a leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "kb/bedrockkb.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kb_results r;
	memset(&r, 0, sizeof r);
	struct err e = ERR_INIT;
	char *tok = NULL;
	int rc = bedrockkb_parse_retrieve((const char *)data, size, &r, &tok, &e);
	if (rc == 0) {
		require(!tok || *tok);
		for (size_t i = 0; i < r.n; i++) {
			const struct kb_hit *h = &r.v[i];
			require(h->remote && h->rank == (int)i + 1);
			require(h->doc_name && h->doc_path && h->title && h->heading && h->meta && h->text);
			require(!strchr(h->text, KB_MARK_ON) && !strchr(h->text, KB_MARK_OFF));
			cJSON *m = cJSON_Parse(h->meta);
			require(cJSON_IsObject(m));
			cJSON_Delete(m);
		}
	} else {
		require(rc == -1 && e.set && r.n == 0 && !tok);
	}
	free(tok);
	kb_results_free(&r);
	return 0;
}
