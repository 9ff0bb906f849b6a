/* job — training jobs from every source behind one model (issue 12).
 *
 * A job belongs to a source ("local", later "slurm", "sagemaker") and has the
 * source's own id; together they are its ID, written SOURCE:ID ("local:7").
 * Each source maps its own states onto enum job_status and keeps the word it
 * said in raw_state; a state a source does not know maps to JOB_UNKNOWN, which
 * is never final and never shown as completed.
 *
 * What aiwb knows about jobs lives in the registry (jobs/registry.h, the one
 * SQLite database), so finished jobs stay listed after their source forgets
 * them. Sources sit behind struct job_source_ops and bring the registry up to
 * date; readers (CLI, pane) read the registry. A source op never blocks the
 * loop: local jobs only read small files and /proc; a source that must wait
 * (a child process, an HTTP call) starts the work on the loop and calls
 * `done` later. struct job_poller runs each source's refresh on loop timers,
 * backing off while the source fails (so a source that is down shows as down,
 * with its reason, without hiding the others) and while nothing runs. */
#ifndef AIWB_JOBS_JOB_H
#define AIWB_JOBS_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "loop.h"

#define JOB_STATUSES(X)                                                                                                \
	X(QUEUED, "queued")                                                                                            \
	X(STARTING, "starting")                                                                                        \
	X(RUNNING, "running")                                                                                          \
	X(COMPLETED, "completed")                                                                                      \
	X(FAILED, "failed")                                                                                            \
	X(STOPPING, "stopping")                                                                                        \
	X(STOPPED, "stopped")                                                                                          \
	X(TIMEOUT, "timeout")                                                                                          \
	X(LOST, "lost")                                                                                                \
	X(UNKNOWN, "unknown")

enum job_status {
#define JOB_STATUS_ENUM(id, name) JOB_##id,
	JOB_STATUSES(JOB_STATUS_ENUM)
#undef JOB_STATUS_ENUM
	JOB_STATUS_COUNT
};

const char *job_status_name(enum job_status s);
/* 0 with *out, -1 when the word is not a status name. */
int job_status_parse(const char *name, enum job_status *out);
/* completed, failed, stopped, timeout, lost: nothing will change any more. */
int job_status_final(enum job_status s);

struct job {
	int64_t id;             /* registry row */
	char *source;           /* "local", ... */
	char *ext_id;           /* the source's id: "7", "42", "my-training-job" */
	char *name;
	enum job_status status;
	char *raw_state;        /* the source's own word for the state */
	int64_t submit_ms, start_ms, end_ms; /* Unix ms; 0 = not known (yet) */
	int has_exit;           /* exit_code valid */
	int exit_code;
	int signal;             /* > 0: ended by this signal */
	char *reason;           /* why it failed, was lost or waits; NULL when none */
	char *command;          /* shell-quoted command line */
	char *cwd;
	char *env_names;        /* names given with --env/--env-file, comma-separated; never values */
	char *rules;            /* metric rules, "NAME=REGEX" one per line */
	char *dir;              /* local: the job's directory under the data home */
	char *log_path;
	char *logdir;           /* local: an extra directory searched for event files and metrics.csv */
	int64_t pid, pid_start; /* local: job process (and group) and its start time in clock ticks */
	int64_t sup_pid, sup_start; /* local: the supervisor */
	int stop_requested;
	int64_t log_offset;     /* log bytes already read for metrics */
	int64_t activity_ms;    /* last new log byte or metric point */
	int64_t parent_id;      /* registry row of the job this one belongs to (an array's task, a tuning job's
				 * training job, a schedule's execution); 0: none. Deleting the parent deletes it. */
	char *info;             /* a JSON object of the source's own facts (resources, partition, instance type,
				 * ...) as the source describes them; NULL: none */
};

void job_clear(struct job *j); /* frees the strings; the struct is then zeroed */
/* "local:7", caller frees. */
char *job_ref(const struct job *j);

struct job_list {
	struct job *v;
	size_t n;
};
void job_list_free(struct job_list *l);

/* Exit status as a shell reports it: the code, 128 + signal, 1 for a failure
 * without a code, 0 for completed. */
int job_shell_status(const struct job *j);
/* Run time so far (until now_ms) or in all, in ms; -1 when it has not started. */
int64_t job_elapsed_ms(const struct job *j, int64_t now_ms);

/* Splits "SOURCE:ID" (SOURCE may be a prefix of a known source name, e.g. "loc:7";
 * "7" alone leaves *source NULL). Caller frees both. -1 with e on an empty id. */
int job_parse_ref(const char *ref, char **source, char **id, struct err *e);
extern const char *const job_source_names[]; /* NULL-terminated */

/* Signal name without "SIG" ("KILL"), or NULL. */
const char *job_signal_name(int sig);

struct db;
struct job_source;
typedef void (*job_done_fn)(void *ud, int ok, const char *why);

struct job_source_ops {
	const char *name;
	/* Brings the registry's record of this source's jobs up to date (new
	 * jobs, states, exits, new metric points); done(ok, why) when finished. */
	void (*list)(struct job_source *src, job_done_fn done, void *ud);
	/* The same for one job; *j is refreshed from the registry afterwards. */
	void (*describe)(struct job_source *src, struct job *j, job_done_fn done, void *ud);
	/* 1 when describe asks the service about that job alone, never listing
	 * the source: what reads one job (jobs show, logs, metrics, stop, a log
	 * follower) then calls describe instead of list. */
	int describe_alone;
	/* Appends the log bytes from offset on that are there now; returns the new
	 * offset, or -1 with e. */
	int64_t (*logs)(struct job_source *src, const struct job *j, int64_t offset, struct buf *out, struct err *e);
	/* Asks the job to stop; done once the source has acted (local: once the
	 * process group is empty). */
	void (*stop)(struct job_source *src, struct job *j, job_done_fn done, void *ud);
	void (*free)(struct job_source *src);
};
/* Metric points since a point come from the registry: jobreg_points(). */

struct job_source {
	const struct job_source_ops *ops;
	struct db *db;
	struct loop *loop;
	int down;               /* the last refresh failed */
	int active;             /* set by list: jobs of this source that are not final */
	int64_t stop_grace_ms;  /* stop: SIGTERM, then SIGKILL after this (0: 10 s) */
	int64_t timeout_ms;     /* a refresh that takes longer fails (0: the source's default) */
	char *why;              /* and why */
};

/* Polls each source's list op on loop timers: every interval_ms, and idle_ms
 * while the source has no job that is not final (src->active == 0); after
 * failures in a row, twice as slow per failure up to max_ms, but never more
 * often than that. on_update runs after every refresh. */
struct job_poller;
struct job_poller *job_poller_new(struct loop *l, int64_t interval_ms, int64_t idle_ms, int64_t max_ms,
				  void (*on_update)(void *ud, struct job_source *src), void *ud);
void job_poller_add(struct job_poller *p, struct job_source *src);  /* borrowed; first refresh at once */
/* Refreshes every source that is not refreshing now at once (something
 * changed: another process wrote a job, the user looks at the list). */
void job_poller_kick(struct job_poller *p);
/* The delay between refreshes of a source with no job that is not final,
 * from the next refresh on. */
void job_poller_set_idle(struct job_poller *p, int64_t idle_ms);
int job_poller_busy(const struct job_poller *p);                    /* a refresh is under way */
void job_poller_free(struct job_poller *p);
/* The delay before the next refresh of a source after `failures` failures in a row. */
int64_t job_backoff_ms(int64_t interval_ms, int64_t max_ms, int failures);

#endif
