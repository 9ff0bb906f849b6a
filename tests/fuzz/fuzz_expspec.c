/* libFuzzer target for the experiment file loader: any bytes load (and free)
 * or fail with one message that starts with the file's name, never a crash
 * or a leak. The file lives in a directory that does not exist, so relative
 * datasets and templates are never found. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exp/spec.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "/nonexistent-aiwb-fuzz/fuzz.yaml"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exp_spec s;
	struct err e = ERR_INIT;
	int rc = exp_spec_parse(&s, (const char *)data, size, NAME, &e);
	if (rc == 0) {
		require(s.nprompts >= 1 && s.nmodels >= 1 && s.name);
		require(cJSON_GetArraySize(s.rows) >= 1);
		require(s.concurrency >= 1 && s.concurrency <= EXP_MAX_CONCURRENCY);
	} else {
		require(rc == -1 && e.set);
		require(strncmp(err_msg(&e), NAME, strlen(NAME)) == 0);
	}
	exp_spec_free(&s);
	return 0;
}
