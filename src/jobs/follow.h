/* jobs/follow — a job's log as it grows, on the loop: every 200 ms (at once
 * while a read comes back full) the job is brought up to date (a local job
 * synced; another source's list refreshed, or the job alone described
 * when its source describes one job without listing, at most once a second,
 * without waiting for it) and the log bytes that are new are handed over. Once the
 * job was seen final, one more read is made so nothing written at the end is
 * missed, then on_end runs with NULL; on_end runs with the reason when the
 * log cannot be read. on_end runs once; nothing runs after it except a
 * refresh already under way finishing (job_follow_busy).
 *
 * *j is borrowed and kept up to date from the registry; it must outlive the
 * follower. job_follow_free may be called at any time, also from on_end. */
#ifndef AIWB_JOBS_FOLLOW_H
#define AIWB_JOBS_FOLLOW_H

#include <stddef.h>

#include "jobs/desk.h"

struct job_follow_cb {
	void (*on_bytes)(void *ud, const char *data, size_t n);
	void (*on_end)(void *ud, const char *error);
	void *ud;
};

struct job_follow;

struct job_follow *job_follow_start(struct job_desk *d, struct job *j, const struct job_follow_cb *cb);
/* A refresh of the job's source is under way. */
int job_follow_busy(const struct job_follow *f);
void job_follow_free(struct job_follow *f);

#endif
