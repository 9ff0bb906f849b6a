/* jobs/fold — the rows of a job list with parents folded (issue 12): a job
 * with a parent (an array's task, a tuning job's training job) shows right
 * after its parent, only while the parent is unfolded, the children in the
 * order of their ids with numbers compared as numbers (slurm:41_2 before
 * slurm:41_10) whatever the list is sorted by; a job whose parent
 * is not in the list shows as a row of its own. Used by the Jobs pane. */
#ifndef AIWB_JOBS_FOLD_H
#define AIWB_JOBS_FOLD_H

#include <stddef.h>
#include <stdint.h>

#include "jobs/job.h"

/* sorted: n indexes of l->v in display order. Writes the visible rows to
 * out (room for n) and returns how many; depth[i] (may be NULL) is 0 for
 * a top row, 1 for a child. unfolded: the registry ids of the parents
 * whose children show. */
size_t job_fold_rows(const struct job_list *l, const size_t *sorted, size_t n, const int64_t *unfolded,
		     size_t n_unfolded, size_t *out, int *depth);
/* The number of jobs in l whose parent is the job with registry id. */
size_t job_fold_children(const struct job_list *l, int64_t id);

#endif
