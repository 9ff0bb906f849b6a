/* registry — what aiwb knows about jobs, kept in the one SQLite database
 * (tables jobs, job_transitions, job_metrics, job_files, job_alerts of
 * store/db.c), so that
 * finished jobs stay listed after their source forgets them and a new aiwb
 * picks up where a killed one stopped.
 *
 * Calls block for at most the database's busy timeout; call them from the
 * loop, never from a signal or curl callback. A metric value that is NaN is
 * kept as such (SQLite has no NaN: is_nan marks it). Strings returned in
 * struct job are the caller's (job_clear); rows passed to callbacks are
 * borrowed for the call. */
#ifndef AIWB_JOBS_REGISTRY_H
#define AIWB_JOBS_REGISTRY_H

#include <stdint.h>

#include "jobs/job.h"
#include "jobs/metrics.h"
#include "store/db.h"

/* Inserts j (ext_id NULL: the new row id becomes the ext_id); returns the id, or -1 with e.
 * Insert, and an update that changes the stored status, also record a
 * transition (status, raw state, wall-clock time) in the same transaction
 * (inside the caller's, when there is one). */
int64_t jobreg_insert(struct db *db, struct job *j, struct err *e);
int jobreg_update(struct db *db, const struct job *j, struct err *e);
/* jobreg_update leaves how far the log was read (log_offset, activity_ms) as
 * stored, so a row read earlier never sends another process's reading back;
 * jobreg_update_read writes them too: for the reader that got j from the
 * registry inside its own transaction (jobreg_begin) and read the log in it. */
int jobreg_update_read(struct db *db, const struct job *j, struct err *e);
/* Marks the stored row stop-requested and, with stopping, JOB_STOPPING unless
 * it has ended: read afresh in one transaction, so nothing else of a j read
 * earlier is written; *j becomes the stored row. */
int jobreg_request_stop(struct db *db, struct job *j, int stopping, struct err *e);

struct jobreg_transition {
	int64_t seq;
	const char *status;    /* a job_status_name */
	const char *raw_state; /* the source's own state then, may be NULL */
	int64_t time_ms;       /* when aiwb recorded it (Unix epoch) */
};
typedef int (*jobreg_transition_fn)(void *ud, const struct jobreg_transition *t); /* non-zero stops */
/* A job's status changes, oldest first; none on a database older than schema 6. */
int jobreg_transitions(struct db *db, int64_t job_id, jobreg_transition_fn fn, void *ud, struct err *e);
/* 1 found, 0 not found, -1 with e. */
int jobreg_get(struct db *db, int64_t id, struct job *out, struct err *e);
/* Resolves SOURCE:ID and its short forms: a source prefix ("loc:7"), an id
 * without a source when only one source has it, an id prefix or a job name
 * when it names exactly one job. 0 with *out, -1 with e (none or ambiguous,
 * the candidates named). */
int jobreg_find(struct db *db, const char *ref, struct job *out, struct err *e);
/* Newest first. source NULL: all; status < 0: all. */
int jobreg_list(struct db *db, const char *source, int status, struct job_list *out, struct err *e);
int jobreg_delete(struct db *db, int64_t id, struct err *e);

struct jobreg_point {
	int64_t seq;
	const char *name;
	int has_step;
	int64_t step;
	double value;
	int64_t time_ms;
	const char *origin; /* "log", a file path relative to the job's directory, ... */
	int64_t count;      /* jobreg_last_values: points of this name */
};
typedef int (*jobreg_point_fn)(void *ud, const struct jobreg_point *p); /* non-zero stops */

int jobreg_add_point(struct db *db, int64_t job_id, const struct metric_point *p, int64_t time_ms, const char *origin,
		     struct err *e);
/* Adds points with one prepared statement, for a batch inside the caller's
 * transaction; a zeroed struct (with db set) is ready. done finalizes. */
struct jobreg_inserter {
	struct db *db;
	sqlite3_stmt *stmt;
	int failed;
};
int jobreg_inserter_add(struct jobreg_inserter *w, int64_t job_id, const struct metric_point *p, int64_t time_ms,
			const char *origin);
void jobreg_inserter_done(struct jobreg_inserter *w);
/* Points with seq > since, oldest first; name NULL for every metric. */
int jobreg_points(struct db *db, int64_t job_id, int64_t since, const char *name, jobreg_point_fn fn, void *ud,
		  struct err *e);
/* The last point of each metric, by name. */
int jobreg_last_values(struct db *db, int64_t job_id, jobreg_point_fn fn, void *ud, struct err *e);
int jobreg_delete_points(struct db *db, int64_t job_id, const char *origin, struct err *e);
int64_t jobreg_last_point_ms(struct db *db, int64_t job_id);

/* Files read for metrics: how far, and the size/mtime seen. 1 found, 0 not. */
int jobreg_file_get(struct db *db, int64_t job_id, const char *path, int64_t *offset, int64_t *size, int64_t *mtime_ns);
int jobreg_file_set(struct db *db, int64_t job_id, const char *path, int64_t offset, int64_t size, int64_t mtime_ns,
		    struct err *e);

struct jobreg_alert {
	int64_t id, job_id;
	const char *rule;
	int fired;
	int64_t fired_ms;
};
typedef int (*jobreg_alert_fn)(void *ud, const struct jobreg_alert *a);
int jobreg_alert_add(struct db *db, int64_t job_id, const char *rule, struct err *e);
/* job_id 0: the alerts of every job. */
int jobreg_alerts(struct db *db, int64_t job_id, jobreg_alert_fn fn, void *ud, struct err *e);
/* 1 when this call changed fired, 0 when it already was so (another process
 * got there first: only the one that set it fires), -1 with e. */
int jobreg_alert_set(struct db *db, int64_t alert_id, int fired, int64_t fired_ms, struct err *e);

/* BEGIN IMMEDIATE / COMMIT around a batch of writes (one fsync, not one per point). */
int jobreg_begin(struct db *db, struct err *e);
int jobreg_commit(struct db *db, struct err *e);

#endif
