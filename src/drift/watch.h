/* watch — a drift monitor: re-checks a growing data-capture file against a
 * Model Monitor baseline (drift/monitor.h), over the newest window of rows.
 *
 * The file is JSON Lines: flat (or nested) objects, or SageMaker endpoint
 * data-capture lines ({"captureData":{"endpointInput":{...},
 * "endpointOutput":{...}},"eventMetadata":{"inferenceTime":...}}), whose
 * input and output "data" (encoding CSV, JSON or BASE64) become the row: CSV
 * fields take the baseline's feature names in order, input first, then
 * output, skipping names a JSON input already gave, and fields past them
 * are named _cN (N counting from 0 over the names handed out); a JSON
 * object's keys are its columns.
 * A row's time is eventMetadata.inferenceTime, or a "time"/"timestamp" field
 * (ISO 8601, or Unix seconds), else the time it was read.
 *
 * The window is the newest N rows, or the rows at most D seconds older than
 * the newest (at most DRIFT_WATCH_MAX_ROWS either way). Every interval the
 * monitor reads what was appended (whole lines only; a shorter file starts
 * over); when rows arrived it checks: it writes the window to a private temporary file in the job's
 * directory, reads it with the baseline's types, scores every feature as
 * Model Monitor's baseline_drift_check does, writes DIR/report.json (the
 * drift/saved.h shape, with "monitor" and per column "metric") and
 * DIR/constraint_violations.json, and prints one JSON line of metrics
 * ({"step":K,"rows":N,"drifted":D,"drift.COLUMN":SCORE,...}) that the job
 * registry reads from the job's log as metric series. */
#ifndef AIWB_DRIFT_WATCH_H
#define AIWB_DRIFT_WATCH_H

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"

#define DRIFT_WATCH_MAX_ROWS 1000000

/* "90", "90s", "500ms", "5m", "2h", "1d" to seconds (> 0); -1 when it is not one. */
double drift_parse_duration(const char *s);

/* One data-capture line (or any JSON object line) as a flat row object
 * (caller deletes); NULL when the line is not a JSON object. *time_s gets
 * the row's time, NaN when it has none. */
cJSON *drift_capture_row(const char *line, size_t n, const char *const *names, size_t nnames, double *time_s);

/* The metric name of a column's score: "drift." and the name with
 * characters a metric name cannot hold replaced by '_' (caller frees). */
char *drift_metric_name(const char *column);

struct drift_window;
/* rows > 0: the newest rows; else the rows within seconds of the newest. */
struct drift_window *drift_window_new(size_t rows, double seconds);
void drift_window_free(struct drift_window *w);
/* Reads the whole lines appended to path since *offset (a file shorter than
 * *offset is read again from the start, emptying the window). Returns the
 * rows added, or -1 with e when the file cannot be read (ENOENT: 0). */
int drift_window_feed(struct drift_window *w, const char *path, int64_t *offset, struct err *e);
size_t drift_window_count(const struct drift_window *w);
/* Writes the window's rows as flat JSON lines (through drift_capture_row). */
int drift_window_write(const struct drift_window *w, const char *path, const char *const *names, size_t nnames,
		       struct err *e);

struct drift_watch_opts {
	const char *baseline_dir;   /* statistics.json + constraints.json */
	const char *file;           /* the capture file */
	const char *dir;            /* where report.json and friends go (the job's directory) */
	double every_s;             /* between checks */
	size_t window_rows;         /* 0: window_s */
	double window_s;
	const char *every_text, *window_text; /* as given, for report.json */
	int64_t max_checks;         /* 0: until *stop */
};

/* Checks until *stop (or max_checks), writing metric lines to out. Only a
 * baseline that cannot be read is an error; a check that fails is reported
 * on stderr and tried again at the next interval. */
int drift_watch_run(const struct drift_watch_opts *o, FILE *out, volatile sig_atomic_t *stop, struct err *e);

#endif
