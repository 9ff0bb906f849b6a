/* The actions of the guard: report, mask, block (guard.h). */
#include <stdlib.h>
#include <string.h>

#include "guard/guard.h"

#include "base/buf.h"
#include "base/xmalloc.h"
#include "config.h"

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

char *guard_findings_summary(const struct guard_findings *f)
{
	if (!f->n)
		return xstrdup("no findings");
	size_t counts[GUARD_NTYPES] = { 0 };
	for (size_t k = 0; k < f->n; k++)
		counts[f->v[k].type]++;
	struct buf b = BUF_INIT;
	buf_printf(&b, "%zu finding%s:", f->n, f->n == 1 ? "" : "s");
	const char *sep = " ";
	for (int t = 0; t < GUARD_NTYPES; t++) {
		if (!counts[t])
			continue;
		buf_printf(&b, "%s%zu %s", sep, counts[t], guard_type_name((enum guard_type)t));
		sep = ", ";
	}
	return buf_detach(&b);
}

struct guard *guard_from_config(const struct config *cfg, struct err *e)
{
	struct guard_pattern *pats = xcalloc(cfg->nguard_patterns ? cfg->nguard_patterns : 1, sizeof *pats);
	for (size_t i = 0; i < cfg->nguard_patterns; i++)
		pats[i] = (struct guard_pattern){ cfg->guard_patterns[i].name, cfg->guard_patterns[i].regex };
	struct guard_config gc = {
		(const char *const *)cfg->guard_denied_words, cfg->nguard_denied_words, pats, cfg->nguard_patterns,
	};
	struct guard *g = guard_new(&gc, e);
	free(pats);
	return g;
}
