/* slurm — the Slurm job source through Slurm's own commands (issue 12,
 * item 3): `squeue --json` for the jobs slurmctld holds (all users; squeue
 * ignores filters with --json, so filtering is ours), `sbatch --parsable` to
 * submit and `scancel` to stop, each run as a child process on the loop
 * (base/proc.h). Finished jobs stay in the registry after Slurm purges them
 * (MinJobAge); a job that vanishes before aiwb saw it end becomes unknown.
 *
 * exit_code in squeue's JSON is the raw wait status (768 = exit 3, 15 =
 * SIGTERM), decoded here. StdOut paths come unexpanded (%j, %A, %a, %x, %u,
 * %N, %n, %t, %s, %%) and are expanded as Slurm does. The job's log (its
 * StdOut file) is read for metrics with the same rules as local jobs. */
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
	int64_t exit_status;    /* raw wait status */
	int64_t submit_s, start_s, end_s;
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

/* The source: list runs squeue (timeout 20 s). */
struct job_source *slurm_source_new(struct db *db, struct loop *loop);
/* True when squeue is on PATH and AIWB_SLURM is not "off". */
int slurm_available(void);

struct slurm_submit {
	char *const *argv;     /* the command, NULL-terminated */
	const char *name, *partition, *time, *cwd;
	int gpus;
	const char *const *rules;
	size_t n_rules;
};
/* Runs sbatch --parsable on the loop; done(ok, why) with *ext_id set (caller frees) on success. */
void slurm_submit(struct loop *l, const struct slurm_submit *s, char **ext_id, job_done_fn done, void *ud);

#endif
