/* ApplyGuardrail response reader invariants: any bytes give either a result
 * with the required members read (action, outputs, usage, one row per
 * assessment entry with NUL-terminated fields) or a failure sentence, never
 * a crash, leak or read past the body. Any violation aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guard/guardrail.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guardrail_result *r = calloc(1, sizeof *r);
	int rc = guardrail_parse_response((const char *)data, size, r);
	if (rc == 0) {
		require(r->ok && r->action[0] && r->json);
		require(memchr(r->action, '\0', sizeof r->action) != NULL);
		for (size_t i = 0; i < r->noutputs; i++)
			require(r->outputs[i] != NULL);
		for (size_t i = 0; i < r->nrows; i++) {
			const struct guardrail_row *row = &r->rows[i];
			require(memchr(row->policy, '\0', sizeof row->policy) && memchr(row->name, '\0', sizeof row->name));
			require(memchr(row->detail, '\0', sizeof row->detail) && row->detected >= -1 && row->detected <= 1);
		}
	} else {
		require(!r->ok && r->message[0]);
	}
	guardrail_result_free(r);
	return 0;
}
