/* expstore — experiments in the database (tables experiments and
 * experiment_cases, docs/experiments.md). An experiment row is created
 * before its first case runs (status "running"), each case is stored as it
 * finishes (its full result object, exp/report.h, plus columns to query:
 * model, status, passed, run_id, assertions, error), and the status becomes
 * "finished", "interrupted" or "failed" (with a reason) at the end.
 * expstore_load rebuilds the report document from the rows, so `experiment
 * show` prints what `run` printed.
 * Calls block for at most the busy timeout: call them from the loop. */
#ifndef AIWB_EXPSTORE_H
#define AIWB_EXPSTORE_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/err.h"
#include "store/db.h"

/* info: {"description", "models", "prompts", "rows", "planned", ...} kept as
 * the spec column. Returns the id, or -1 with e. */
int64_t expstore_create(struct db *db, const char *name, const char *file, const cJSON *info, int64_t created_ms,
			struct err *e);
/* c: a case object (exp/report.h). */
int expstore_add_case(struct db *db, int64_t id, const cJSON *c, struct err *e);
/* Stores case c and, when row is not NULL, its call as a history run, in one
 * transaction (a crash never leaves a run without its case); sets c's
 * "run_id". On failure nothing of either is stored. */
int expstore_add_case_run(struct db *db, int64_t id, cJSON *c, const struct db_run *row, struct err *e);
/* status: "running", "finished", "interrupted" or "failed"; reason (NULL for
 * none) says why it stopped, kept as "reason" in the spec column. */
int expstore_set_status(struct db *db, int64_t id, const char *status, const char *reason, struct err *e);
/* The report document of experiment id without matrix/summary (caller
 * frees); NULL with e when there is none (*missing set) or on a read error. */
cJSON *expstore_load(struct db *db, int64_t id, int *missing, struct err *e);
/* [{"id", "created_ms", "name", "file", "status", "cases", "passed"}], newest first. */
cJSON *expstore_list(struct db *db, int limit, struct err *e);

#endif
