/* local — jobs run on this machine under a small supervisor (issue 12, item 2).
 *
 * local_start() forks twice: the first child starts a new session and exits,
 * so the supervisor is nobody's child in the aiwb process and survives aiwb
 * being closed or SIGKILLed. The supervisor becomes the child subreaper of
 * the job, forks the job into its own process group (group id = job pid),
 * with stdin /dev/null, stdout and stderr appended to output.log in the job's
 * directory (DATA_HOME/jobs/ID, 0700, files 0600), PYTHONUNBUFFERED=1,
 * AIWB_JOB_ID and AIWB_JOB_DIR set, plus the --env values, which live only in
 * memory on their way to the job (only their names are stored). The
 * supervisor writes the job's identity (pid and process start time, field 22
 * of /proc/PID/stat, for the job and itself) to DIR/status, and when the job
 * ends its exit code or signal and end time, then reaps the job's orphans
 * until none is left.
 *
 * local_sync() is the re-attach: it reads DIR/status, and a job with no
 * recorded end is running only while a process with its pid *and* start time
 * exists (or its supervisor, about to record the end); a reused pid is never
 * taken for the job. Otherwise the job is lost. It then reads what is new in
 * the log (metric rules and JSON lines), in event files
 * (events.out.tfevents.*) and metrics.csv files found in DIR and the job's
 * logdir (3 levels deep), into the registry (jobs/ingest.h). Reading is bounded per call
 * (LOCAL_READ_MAX bytes of log), so a call never holds the loop for long.
 * Status mapping: exit 0 completed; other exits and signals failed; any end
 * after `jobs stop` stopped; no record and no process lost. */
#ifndef AIWB_JOBS_LOCAL_H
#define AIWB_JOBS_LOCAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "jobs/job.h"
#include "store/db.h"

#define LOCAL_READ_MAX ((size_t)4 << 20)

struct local_spec {
	const char *name;               /* NULL: from the command */
	char *const *argv;              /* NULL-terminated, argv[0] looked up in PATH */
	const char *cwd;                /* NULL: the current directory */
	const char *const *env;         /* "K=V" (borrowed), n_env of them */
	size_t n_env;
	const char *env_file;           /* KEY=VALUE lines; NULL: none */
	const char *const *rules;       /* "NAME=REGEX", n_rules of them */
	size_t n_rules;
	const char *logdir;             /* NULL: none */
	const char *source;             /* NULL: "local"; another supervised source ("drift") */
};

/* Starts the job and fills *out from the registry. -1 with e (nothing is left
 * running; a command that cannot be executed is recorded as failed, exit 127). */
int local_start(struct db *db, const struct local_spec *spec, struct job *out, struct err *e);
/* Brings one local job up to date (state, then metrics); *j is updated. */
int local_sync(struct db *db, struct job *j, struct err *e);
/* Every local job that is not final, and final ones with log left to read.
 * *active gets the number not final. */
int local_sync_all(struct db *db, int *active, struct err *e);
/* The same for the jobs of one supervised source ("local" or "drift"). */
int local_sync_source(struct db *db, const char *source, int *active, struct err *e);
/* A source whose jobs run under this supervisor: "local" and "drift" (drift monitors). */
int local_supervised(const char *source);

/* Reads what is new in j's log (j->log_path from j->log_offset, with j's
 * metric rules) and in event files and metrics.csv under j->dir and
 * j->logdir, into the registry (inside the caller's transaction, if any).
 * Used for every source whose logs are files here. */
int local_ingest(struct db *db, struct job *j, struct err *e);

/* Appends log bytes from offset (at most LOCAL_READ_MAX); returns the new offset or -1. */
int64_t local_log_read(const struct job *j, int64_t offset, struct buf *out, struct err *e);

/* Marks the job stopping and sends sig to its process group, after checking
 * that the group is still the job's (pid and start time of the job, or of its
 * supervisor). 1 sent, 0 nothing left to signal, -1 with e. */
int local_signal(struct db *db, struct job *j, int sig, struct err *e);
/* A process of the job's group still exists (zombies included). */
int local_group_alive(const struct job *j);

/* Field 22 of /proc/PID/stat (start time in clock ticks since boot); -1 when
 * there is no such process. */
int64_t local_proc_start(pid_t pid);

/* Forgets a final job: its directory under the data home, then its registry
 * rows (metrics and alerts go with it). -1 with e when it is not final. */
int local_remove(struct db *db, struct job *j, struct err *e);

/* Parses an env file: KEY=VALUE lines, '#' comments, blank lines, optional
 * "export "; quotes around a whole value are removed. Appends "K=V" strings
 * to *out (caller frees each and the array). Errors name the line, never a value. */
int local_read_env_file(const char *path, char ***out, size_t *n, struct err *e);
int local_env_name_valid(const char *s, size_t n);

struct job_source *local_source_new(struct db *db, struct loop *loop);
/* The same ops for the jobs of another supervised source ("drift"). */
struct job_source *local_source_named(struct db *db, struct loop *loop, const char *source);

#endif
