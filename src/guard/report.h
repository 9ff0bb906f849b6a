/* guard/report — guard results as the JSON of `aiwb guard check --json` and
 * of ask/compare --guard (docs/guard.md), and where a finding sits in its
 * text as line:column.
 *
 * Positions count lines and characters (UTF-8 lead bytes) from 1. A cursor
 * walks forward once over findings in text order; a finding before the
 * cursor starts it again from the top. JSON strings are made valid UTF-8;
 * the caller deletes what it gets. */
#ifndef AIWB_GUARD_REPORT_H
#define AIWB_GUARD_REPORT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "guard/guard.h"
#include "guard/guardrail.h"

struct guard_where {
	size_t at, line, col;
};

#define GUARD_WHERE_INIT { 0, 1, 1 }

/* Moves w to byte `to` of text (restarting when to is behind it). */
void guard_where_move(struct guard_where *w, const char *text, size_t to);

/* {"engine":"local","bytes","findings":[{type,start,end,line,column,
 * confidence,label,preview[,hidden_text]}],"counts":{TYPE: n}} */
cJSON *guard_findings_json(const struct guard_findings *f, const char *text, size_t len);

/* The service's response body as an object, or {"error":{code,message,http_status}}. */
cJSON *guardrail_result_json(const struct guardrail_result *r);

#endif
