/* libFuzzer target for net/s3's XML readers: any bytes are either a
 * ListObjectsV2 page (every object with a non-empty key, a truncated page
 * always with a non-empty continuation token) or refused with one sentence;
 * and either an S3 <Error> with a non-empty code and a message free of
 * control characters, or not one. The sentence built from it always fits.
 * Never a crash, a leak or a network fetch (no external entities). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/s3.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *xml = (const char *)data;
	struct s3_list_page p;
	struct err e = ERR_INIT;
	if (s3_parse_list(xml, size, &p, &e) == 0) {
		for (size_t i = 0; i < p.n; i++)
			require(p.v[i].key && *p.v[i].key && p.v[i].etag && p.v[i].last_modified);
		require(!p.truncated || (p.next_token && *p.next_token));
		s3_list_page_free(&p);
	} else {
		require(e.set && p.v == NULL && p.n == 0 && p.next_token == NULL);
	}
	struct s3_error er;
	if (s3_parse_error(xml, size, &er) == 0) {
		require(er.code[0] != '\0');
		for (const char *m = er.message; *m; m++)
			require((unsigned char)*m >= 0x20 && *m != 0x7f);
		char msg[256];
		s3_error_sentence("GetObject", "fuzz-bucket", "k", "us-east-1", 400, &er, msg, sizeof msg);
		require(strlen(msg) < sizeof msg && msg[0] != '\0');
	}
	return 0;
}
