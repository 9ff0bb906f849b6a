/* alert — rules on a job's state and metrics (issue 12, item 7).
 *
 * Rules, as written by users: "METRIC is nan", "METRIC > X" (also <, >=, <=),
 * "no progress DURATION" (no new metric point and no new log byte for that
 * long while the job is not final; DURATION is N followed by s, m or h), and
 * "ended" (the job is final). A rule fires once per job and rearms when its
 * condition clears: alert_eval() records that in the registry and says
 * whether to notify now. */
#ifndef AIWB_JOBS_ALERT_H
#define AIWB_JOBS_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "jobs/job.h"
#include "jobs/metrics.h"
#include "store/db.h"

enum alert_kind { ALERT_NAN, ALERT_ABOVE, ALERT_BELOW, ALERT_AT_LEAST, ALERT_AT_MOST, ALERT_STALL, ALERT_ENDED };

struct alert_rule {
	enum alert_kind kind;
	char metric[METRIC_NAME_MAX + 1];
	double threshold;
	int64_t stall_ms;
};

/* -1 with e naming the forms accepted. */
int alert_parse(const char *text, struct alert_rule *r, struct err *e);
/* The canonical text of a rule ("loss > 2", "no progress 10m"). */
void alert_format(const struct alert_rule *r, char *out, size_t n);
/* Whether the rule holds for j now; detail gets what was seen ("loss=2.31"). */
int alert_holds(struct db *db, const struct job *j, const struct alert_rule *r, int64_t now_ms, char *detail,
		size_t n);

struct alert_fired {
	const struct job *job;
	const char *rule;
	const char *detail;
};
typedef void (*alert_fire_fn)(void *ud, const struct alert_fired *a);
/* Checks every stored rule of j (fire once, rearm when clear); fn for each that fires now. */
int alert_eval(struct db *db, const struct job *j, int64_t now_ms, alert_fire_fn fn, void *ud, struct err *e);

#endif
