/* jobs/desk — the job sources of one data home on one loop, as the `aiwb
 * jobs` commands and the Jobs pane use them: the local and drift sources
 * always, Slurm when squeue is on PATH and AIWB_SLURM is not off, SageMaker
 * and Bedrock model customization when switched on (jobs/sagemaker.h,
 * jobs/bedrockjobs.h), SageMaker Model Monitor (jobs/smmonitor.h) when
 * switched on.
 *
 * The pane drives the sources' ops itself (a poller, jobs/job.h). One-shot
 * commands use the waiting helpers here: each starts one source operation
 * and runs the loop until it answers or *stop is set (a signal handler's
 * flag; the caller's interrupt hook also stops the loop). They return 0 when
 * the operation succeeded, -1 with e when it failed, JOB_DESK_STOPPED when
 * *stop ended the wait. */
#ifndef AIWB_JOBS_DESK_H
#define AIWB_JOBS_DESK_H

#include <signal.h>
#include <stdint.h>

#include "base/err.h"
#include "jobs/job.h"
#include "jobs/slurm.h"
#include "loop.h"

#define JOB_DESK_STOPPED (-2)

struct job_desk {
	struct db *db;            /* borrowed */
	struct loop *loop;        /* borrowed */
	struct job_source *local;
	struct job_source *drift;  /* drift monitors and reports (docs/drift.md) */
	struct job_source *slurm; /* NULL when Slurm is not there */
	struct job_source *sagemaker, *bedrock; /* NULL when off */
	struct job_source *smmonitor; /* Model Monitor; NULL without AWS credentials or with AIWB_SAGEMAKER_MONITOR=off */
	volatile sig_atomic_t *stop; /* may be NULL: never interrupted */
};

void job_desk_open(struct job_desk *d, struct db *db, struct loop *loop, volatile sig_atomic_t *stop);
void job_desk_close(struct job_desk *d);

/* Brings the local jobs up to date (re-attach after aiwb was away). */
int job_desk_reattach(struct job_desk *d, struct err *e);

/* The source a job of the registry belongs to; NULL for a source not here. */
struct job_source *job_desk_source(const struct job_desk *d, const struct job *j);

/* Every source here, local first, into out; returns how many (at most max). */
size_t job_desk_all(const struct job_desk *d, struct job_source **out, size_t max);

/* Runs src's list op to its end; src->down and src->why say how it went.
 * Does nothing for a NULL src. */
void job_desk_refresh(struct job_desk *d, struct job_source *src);

/* Stops *j (SIGTERM, SIGKILL after grace_ms; at least 1 ms) and reads it
 * back from the registry, brought up to date by its source. */
int job_desk_stop(struct job_desk *d, struct job *j, int64_t grace_ms, struct err *e);

/* Submits to Slurm, records the job in the registry as queued (command,
 * name, cwd and metric rules as given) and refreshes the Slurm source.
 * *ext_id (caller frees) is Slurm's id on success, and also when the job was
 * submitted but could not be recorded (then -1 with e). */
int job_desk_submit_slurm(struct job_desk *d, const struct slurm_submit *s, char **ext_id, struct err *e);

/* Replaces the Slurm source by one that reaches the cluster as cfg says
 * (slurmrestd, ssh); nothing changes when cfg sets neither. -1 with e when
 * cfg is not usable. */
int job_desk_slurm_config(struct job_desk *d, const struct slurm_config *cfg, struct err *e);

/* Runs the job's describe op (Slurm: scontrol show job -o, then the list)
 * and reads *j back. */
int job_desk_describe(struct job_desk *d, struct job *j, struct err *e);

/* aiwb jobs resubmit of a Slurm job: fetches its batch script, lets edit
 * change it (NULL: as it was; edit returns -1 with e to give up), submits it
 * with the job's name, partition, work dir and output pattern, records the
 * new job with the old one's metric rules. *ext_id as job_desk_submit_slurm. */
typedef int (*job_desk_edit_fn)(char **script, void *ud, struct err *e);
int job_desk_resubmit_slurm(struct job_desk *d, const struct job *j, job_desk_edit_fn edit, void *edit_ud,
			    char **ext_id, struct err *e);

#endif
