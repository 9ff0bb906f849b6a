/* slurm — the Slurm job source (issue 12, item 3). It reads the jobs
 * slurmctld holds (all users; squeue ignores filters with --json, so
 * filtering is ours) through `squeue --json` run as a child process on the
 * loop (base/proc.h), or through slurmrestd's GET /slurm/v0.0.38/jobs when
 * rest_url is set (jobs/slurm_rest.h), and submits with `sbatch --parsable`,
 * stops with `scancel`, describes with `scontrol show job -o` (or REST
 * job/{id}). With ssh set, every command runs on the login node through one
 * multiplexed OpenSSH connection and the job logs are mirrored into the data
 * home as they grow (jobs/slurm_ssh.h).
 * Finished jobs stay in the registry after Slurm purges them (MinJobAge). A
 * job that vanishes before aiwb saw it end is looked up in `sacct` (or, when
 * accounting storage is disabled, `sacct -c`, the job-completion file); when
 * neither knows it, it becomes unknown.
 *
 * An array is one row (ext_id "41", info.array = {"tasks", "pending",
 * "unlisted", "counts"}) whose status sums up its tasks; each task is a row
 * of its own ("41_3", parent_id = the array's row) with its own log: those
 * that started, and those not started yet, which squeue gives as one record
 * with a task list ("3-10%2"), queued with Slurm's reason, at most 1000 per
 * array (the others only counted, "unlisted"). A task that starts keeps its
 * row; when that record ends (scancel) its tasks' rows end with it.
 * The facts Slurm gives about a job (user, partition, nodes, work_dir,
 * std_out, tres, time_limit, ...) are kept in job.info (docs/jobs.md).
 *
 * exit_code in squeue's JSON is the raw wait status (768 = exit 3, 15 =
 * SIGTERM), decoded here. StdOut paths come unexpanded (%j, %A, %a, %x, %u,
 * %N, %n, %t, %s, %%) and are expanded as Slurm does. The job's log (its
 * StdOut file; with a StdErr apart from it, the two merged by jobs/logmerge.h
 * into DATA_HOME/jobs/slurm-logs/KEY.log) is read for metrics with the same
 * rules as local jobs. */
#ifndef AIWB_JOBS_SLURM_H
#define AIWB_JOBS_SLURM_H

#include <stdint.h>

#include "jobs/job.h"
#include "store/db.h"

struct slurm_job {
	int64_t job_id;
	int64_t array_job_id;   /* 0: not an array */
	int64_t array_task_id;  /* -1: none */
	const char *array_tasks; /* pending tasks of an array ("1-3"), or NULL */
	const char *name, *state, *reason, *user, *partition, *nodes, *std_out, *std_err, *cwd;
	const char *tres, *account, *qos, *batch_host;
	int64_t exit_status;    /* raw wait status */
	int64_t submit_s, start_s, end_s;
	int64_t time_limit;     /* minutes; -1: unlimited or not known */
	int64_t cpus, node_count;
};

typedef void (*slurm_job_fn)(void *ud, const struct slurm_job *j);
/* Parses `squeue --json` output; -1 with e when it is not that JSON or
 * reports errors. Strings are borrowed for the call. */
int slurm_parse_squeue(const char *json, size_t n, slurm_job_fn fn, void *ud, struct err *e);

/* JOB_UNKNOWN for a state it does not know. */
enum job_status slurm_map_state(const char *state);
/* Raw wait status: *code (exit) or *signal set, the other 0. Returns 1 when signalled. */
int slurm_decode_exit(int64_t raw, int *code, int *signal);
/* Slurm's filename pattern expansion. Caller frees. */
char *slurm_expand_path(const char *pattern, const struct slurm_job *j);
/* "42"; "42_3" for an array task; "42_[4-9]" for an array's tasks not started yet. Caller frees. */
char *slurm_job_key(const struct slurm_job *j);

/* How the source reaches the cluster; every field may be NULL. */
struct slurm_config {
	const char *rest_url;   /* "unix:/path.sock" or https://host[:port] (SLURM_JWT from the environment) */
	const char *ssh;        /* "user@host": commands and logs through OpenSSH */
	const char *ssh_config; /* an ssh config file instead of ~/.ssh/config (ssh -F) */
};

/* The source: list runs squeue (timeout 20 s). */
struct job_source *slurm_source_new(struct db *db, struct loop *loop);
/* The same, reaching the cluster as cfg says (copied). NULL with e when
 * cfg is not usable (a rest_url of another scheme, an ssh target with a space). */
struct job_source *slurm_source_new_with(struct db *db, struct loop *loop, const struct slurm_config *cfg,
					 struct err *e);
/* True when squeue is on PATH and AIWB_SLURM is not "off". */
int slurm_available(void);
/* The user whose jobs are "mine": the ssh target's user, else this login. */
const char *slurm_user(const struct job_source *src);

/* job.info: a string field (caller frees; NULL when absent), and the
 * summary of an array row ("6 tasks: 2 running, 4 queued"); 0 when j is not
 * an array. */
char *slurm_info_str(const char *info, const char *key);
int slurm_array_summary(const struct job *j, struct buf *out);
/* Keeps in l: rows that are not an array's task (all with tasks), Slurm jobs of user
 * only (user non-NULL; other sources' jobs stay), jobs of partition only. */
void slurm_filter_jobs(struct job_list *l, int tasks, const char *user, const char *partition);
/* jobs show's lines for what job.info says (user, partition, nodes,
 * resources, ...), an array's summary and its tasks. Not sanitised. */
void slurm_text_details(struct db *db, const struct job *j, struct buf *out);
/* Removes the log files aiwb wrote for j and its tasks (merged StdOut and
 * StdErr, ssh mirrors, under DATA_HOME/jobs/slurm-logs); the job's own files
 * on the cluster are left alone. For `jobs rm`. */
void slurm_remove_files(struct db *db, const struct job *j);
/* The task rows of an array (or any parent), newest first; an array's
 * tasks, submitted together, by task number, highest first. */
int slurm_children(struct db *db, int64_t parent_id, struct job_list *out, struct err *e);

/* Fetches the batch script of j (`scontrol write batch_script ID -`);
 * done(ok, why) with *script set (caller frees). */
void slurm_fetch_script(struct job_source *src, const struct job *j, char **script, job_done_fn done, void *ud);
/* Opens script in ${VISUAL:-$EDITOR} (a 0600 temporary file, removed
 * afterwards) and reads it back; -1 with e when the editor fails or the
 * script comes back empty. The shape of job_desk_edit_fn. */
int slurm_edit_script(char **script, void *ud, struct err *e);
/* Submits script again with sbatch (the job's name, partition, work dir and
 * output pattern kept); done with *ext_id set. */
void slurm_submit_script(struct job_source *src, const struct job *j, const char *script, char **ext_id,
			 job_done_fn done, void *ud);

struct slurm_submit {
	char *const *argv;     /* the command, NULL-terminated */
	const char *name, *partition, *time, *cwd;
	const char *array;     /* --array spec ("0-9%2"), or NULL */
	int gpus;
	const char *const *rules;
	size_t n_rules;
};
/* Runs sbatch --parsable on the loop (through src's ssh when set); done(ok,
 * why) with *ext_id set (caller frees) on success. */
void slurm_submit(struct job_source *src, const struct slurm_submit *s, char **ext_id, job_done_fn done, void *ud);

#endif
