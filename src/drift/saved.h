/* saved — drift reports and monitors kept as jobs of source "drift", so
 * that `aiwb jobs ls`, `aiwb drift ls` and the Jobs pane list them.
 *
 * A saved report (`aiwb drift report --save`, and the demo's) is a finished
 * job (status completed, raw state "report") whose directory
 * DATA_HOME/jobs/ID holds report.json: the report's JSON (docs/drift.md)
 * with each column's baseline and current distributions (drift/dist.h)
 * under "distribution". It also gets two metric points, "drifted" (columns)
 * and "drift_share". A drift monitor (drift/watch.h) is a supervised job
 * (jobs/local.h) of the same source: its directory holds watch.json (what
 * it watches) and report.json, rewritten after every check in the same
 * shape, whose columns name the metric series ("metric") of their score.
 *
 * drift_saved_load() reads a report.json into plain structs, for the CLI
 * and the drift view (which never see cJSON). */
#ifndef AIWB_DRIFT_SAVED_H
#define AIWB_DRIFT_SAVED_H

struct cJSON; /* the JSON side is for src/ only: the UI never sees cJSON */
struct drift_report;
struct drift_report_opts;
struct drift_read_opts;

#include <stdint.h>

#include "base/err.h"
#include "drift/dist.h"
#include "jobs/job.h"
#include "store/db.h"

#define DRIFT_REPORT_FILE "report.json"
#define DRIFT_WATCH_FILE "watch.json"

struct drift_saved_col {
	char *name, *type, *role;
	char *test;              /* NULL: not tested (note says why) */
	char *note;
	char *metric;            /* monitor: the metric series of the score */
	double statistic, pvalue, threshold, missing_share, severity;
	int drifted;
	size_t rank;             /* its place in the file: most drifted first */
	struct drift_dist dist;
};

struct drift_saved {
	int monitor;
	char *baseline, *current;
	uint64_t ref_rows, cur_rows;
	size_t tested, drifted;
	double share;
	int dataset_drift;
	int64_t checks;          /* monitor: checks made */
	char *window, *every;    /* monitor: "1000 rows" or "1h"; "60s" */
	struct drift_saved_col *cols;
	size_t ncols;
};

enum drift_saved_sort { DRIFT_SORT_SEVERITY, DRIFT_SORT_NAME, DRIFT_SORT_SCORE, DRIFT_SORT_MISSING, DRIFT_SORT_COUNT };
const char *drift_saved_sort_name(enum drift_saved_sort s);
/* Severity: the file's order; score: statistic, largest first; missing: current missing share, largest first. */
void drift_saved_sort(struct drift_saved *s, enum drift_saved_sort by);

/* 0 with *out; -1 with e when DIR/report.json is missing or not a drift report. */
int drift_saved_load(const char *dir, struct drift_saved *out, struct err *e);
int drift_saved_from_json(const struct cJSON *doc, struct drift_saved *out, struct err *e);
void drift_saved_free(struct drift_saved *s);
/* A drift job that is a monitor (its directory has watch.json). */
int drift_job_is_monitor(const struct job *j);

/* Runs the report like drift_report_run and returns its JSON with every
 * column's distribution; *r_out (may be NULL) gets the report. NULL with e. */
struct cJSON *drift_report_with_dists(const char *baseline, const char *current, const struct drift_report_opts *o,
			       const struct drift_read_opts *ro, struct drift_report **r_out, struct err *e);
/* Records doc (a report's JSON, borrowed) as a finished drift job named name
 * (NULL: "BASELINE vs CURRENT"); *out gets the job. -1 with e. */
int drift_save_report(struct db *db, const struct cJSON *doc, const char *name, const char *command, struct job *out,
		      struct err *e);
/* The demo: DATA_HOME/examples/drift/reference.csv against current.csv,
 * saved as a report when the registry has no job yet (a first run). 1
 * saved, 0 when there are jobs or the demo files are not there, -1 with e. */
int drift_save_demo(struct db *db, const char *data_home, struct err *e);

#endif
