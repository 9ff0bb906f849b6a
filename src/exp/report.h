/* report — an experiment's results as one JSON document and its renderings
 * (docs/experiments.md). `experiment run` and `experiment show` build the
 * same document (from memory, or from the database) and print it through the
 * same functions, so both give the same output.
 *
 * The document: {"id", "name", "file", "created_ms", "status", "models",
 * "prompts", "rows", "planned", "cases": [case...]}; exp_report_finish adds
 * "matrix" (one entry per prompt and model, in the file's order) and
 * "summary". A case: {"index", "row", "prompt", "model", "vars", "status"
 * ("pass", "fail", "error"), "run_id", "run_status", "error", "total_ms",
 * "ttft_ms", "input_tokens", "output_tokens", "estimated", "cost_usd",
 * "assertions": [{"type", "value", "passed", "reason"}]}.
 *
 * Latency statistics cover the cases whose model finished (run_status "ok"):
 * the mean and the 95th percentile by nearest rank (base/stats.h). Tokens and cost add up
 * every case that made a call; cost is null when no case of the entry has a
 * price. Text printed here passes through the terminal sanitizer. */
#ifndef AIWB_EXP_REPORT_H
#define AIWB_EXP_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

/* Adds "matrix" and "summary" to doc (replacing earlier ones). */
void exp_report_finish(cJSON *doc);
/* The failing cases, then the matrix as an aligned table. */
void exp_report_text(FILE *out, const cJSON *doc);
/* The matrix as CSV (RFC 4180, one row per prompt and model). */
void exp_report_csv(FILE *out, const cJSON *doc);
/* A Markdown report: summary, matrix table, failures. */
void exp_report_markdown(FILE *out, const cJSON *doc);
/* One line for a case: "pass", or "error: why", or "fail: type: reason; ..." (caller frees). */
char *exp_report_case_reason(const cJSON *c);

#endif
