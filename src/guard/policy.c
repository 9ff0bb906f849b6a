/* The actions of the guard: report, mask, block (guard.h). */
#include <stdlib.h>
#include <string.h>

#include "guard/guard.h"

int guard_apply(const struct guard *g, enum guard_action a, const char *text, size_t len, struct guard_outcome *out,
		struct err *e)
{
	memset(out, 0, sizeof *out);
	if (a == GUARD_OFF)
		return 0;
	int rc = guard_scan(g, text, len, &out->findings, e);
	if (!out->findings.n)
		return rc;
	if (a == GUARD_BLOCK)
		out->blocked = 1;
	else if (a == GUARD_MASK)
		out->masked = guard_redact(g, text, len, &out->findings, &out->masked_len);
	return rc;
}

void guard_outcome_free(struct guard_outcome *o)
{
	guard_findings_free(&o->findings);
	free(o->masked);
	memset(o, 0, sizeof *o);
}
