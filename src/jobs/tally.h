/* jobs/tally — what a set of jobs adds up to, for `aiwb jobs watch` and the
 * Jobs pane: how many run, whether all have ended (and all completed), and
 * the exit status a watch until done ends with: the job's own shell status
 * for one job, else 0 when all completed and 1 otherwise. Pure; nothing
 * blocks. */
#ifndef AIWB_JOBS_TALLY_H
#define AIWB_JOBS_TALLY_H

#include "jobs/job.h"

struct job_tally {
	int running;       /* jobs in JOB_RUNNING */
	int all_final;     /* every job has ended (true for none) */
	int all_completed; /* every job completed (true for none) */
	int exit_status;   /* as above; meaningful once all_final */
};

void job_tally(const struct job_list *l, struct job_tally *t);

#endif
