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

#include "config.h"
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

/* Rules from the config ("alerts", config.h) apply to every job their glob
 * matches: its SOURCE:ID or its name (fnmatch); no glob matches all. */
int alert_config_matches(const struct config_alert *a, const struct job *j);
/* For each job of l: stores the config rules that apply to it as its own
 * (canonical text; only while the job is not final or when it ended at or
 * after since_ms, so jobs that ended before the caller started watching
 * never fire on first sight), then alert_eval(). A config rule that
 * does not parse is skipped, and -1 with e names it ("alerts: 'loss is
 * big': ..."); the rest is still checked. */
int alert_check_jobs(struct db *db, const struct job_list *l, const struct config_alert *cfg, size_t n,
		     int64_t since_ms, int64_t now_ms, alert_fire_fn fn, void *ud, struct err *e);
/* The command of the config rule behind a fired alert (same canonical rule,
 * glob matching its job), or NULL. */
const char *alert_config_exec(const struct config_alert *cfg, size_t n, const struct alert_fired *a);

#endif
