/* jobs/text — jobs as short text for tables, shared by `aiwb jobs ls`,
 * `show` and `watch` and the Jobs pane: a duration as "42s", "3m07s",
 * "2h05m" or "1d03h" ("-" when negative, i.e. not started), a metric value
 * as %.6g ("nan", "inf", "-inf" as such), and a job's latest metric values
 * as "acc=0.9 loss=0.25" (names in order), its status transitions as one
 * line. Not sanitized:
 * metric names come from rules and files, so a caller drawing them on a
 * terminal sanitizes the line. */
#ifndef AIWB_JOBS_TEXT_H
#define AIWB_JOBS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct db;

void job_text_duration(char *out, size_t n, int64_t ms);
void job_text_value(char *out, size_t n, double v);
/* Appends the latest value of each of the job's metrics, at most max of them
 * (0: all). */
void job_text_metrics(struct db *db, int64_t job_id, int max, struct buf *out);
/* Appends the job's status transitions as "queued 12:00:01 → running
 * 12:00:02 → completed 12:03:10" (local time; "12-06 23:59" when not on
 * now_ms's day). When max_cols (0: no limit) is too narrow, the oldest go and
 * the line starts "… → "; the newest is always there. UTF-8. */
void job_text_transitions(struct db *db, int64_t job_id, int64_t now_ms, size_t max_cols, struct buf *out);

#endif
