/* guardout — how the command line shows guard results, shared by
 * `aiwb guard check` and the --guard option of ask and compare: the local
 * findings as lines, a Bedrock guardrail's verdict as a table, and the glue
 * that runs one check (local or ApplyGuardrail) to completion on a session's
 * loop. Printing only; the checks are src/guard/, their JSON guard/report.h. */
#ifndef AIWB_CLI_GUARDOUT_H
#define AIWB_CLI_GUARDOUT_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "guard/guard.h"
#include "guard/guardrail.h"
#include "guard/report.h"

struct config;
struct session;

/* A guard built from config.json's "guard" section; NULL with e. */
struct guard *guardout_local(const struct config *cfg, struct err *e);

/* "LINE:COL TYPE CONF PREVIEW" per finding (sanitized), indent before each line. */
void guardout_print_findings(FILE *out, const char *indent, const struct guard_findings *f, const char *text,
			     size_t len);
/* "3 findings: 2 email, 1 iban" or "no findings". Caller frees. */
char *guardout_summary(const struct guard_findings *f);

/* The verdict: action and reason, the outputs, a table of the assessments,
 * the usage units. */
void guardout_print_guardrail(FILE *out, const struct guardrail *g, const char *source,
			      const struct guardrail_result *r);

/* Runs ApplyGuardrail on the session's loop until it answers (or Ctrl-C);
 * the result is the caller's (guardrail_result_free). NULL with e when it
 * could not start or was interrupted. */
struct guardrail_result *guardout_apply_wait(struct session *s, struct guardrail *g, enum guardrail_source src,
					     const char *text, size_t len, int full, struct err *e);

#endif
