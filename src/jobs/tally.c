#include "jobs/tally.h"

void job_tally(const struct job_list *l, struct job_tally *t)
{
	t->running = 0;
	t->all_final = 1;
	t->all_completed = 1;
	for (size_t i = 0; i < l->n; i++) {
		t->running += l->v[i].status == JOB_RUNNING;
		t->all_final &= job_status_final(l->v[i].status);
		t->all_completed &= l->v[i].status == JOB_COMPLETED;
	}
	t->exit_status = l->n == 1 ? job_shell_status(&l->v[0]) : (t->all_completed ? 0 : 1);
}
