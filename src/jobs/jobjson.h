/* jobs/jobjson — jobs as the JSON of `aiwb jobs ... --json` (docs/jobs.md):
 * a job with its latest metric values, one metric point, the state of the
 * sources. A value that is not a finite number is the string "nan", "inf" or
 * "-inf". Every function returns a new cJSON the caller deletes. */
#ifndef AIWB_JOBS_JOBJSON_H
#define AIWB_JOBS_JOBJSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "jobs/job.h"
#include "jobs/registry.h"

cJSON *job_value_json(double v);
/* The job; db gives its metrics' last values (an error leaves them out), its
 * parent's ID ("parent", null when none) and the source's facts ("info", an
 * object or null). */
cJSON *job_to_json(struct db *db, const struct job *j);
/* [{"status", "raw_state", "time_ms"}, ...] of the job's status changes, oldest
 * first (an error gives what was read before it). */
cJSON *job_transitions_json(struct db *db, int64_t job_id);
/* {"step", "value", "time_ms", "origin"} of one point. */
cJSON *job_point_json(const struct jobreg_point *p);
/* [{"name", "state": "up"|"down", "error"}] of the sources given (NULL ones skipped). */
cJSON *job_sources_json(struct job_source *const *v, size_t n);

/* The source's facts (a job's info JSON) as text lines "  key: value", an
 * object's members as k=v, an array's items one a line; nothing for NULL. */
void job_info_text(const char *info, struct buf *out);

#endif
