/* proc — a command run as a child process on the loop (Slurm's squeue, sbatch,
 * scancel), never blocking it: stdout and stderr are non-blocking pipes
 * watched by the loop, the exit is collected with waitpid(WNOHANG) on a short
 * timer once both pipes are closed. The child runs in its own process group;
 * when it is still running after timeout_ms the whole group is killed
 * (SIGKILL), its pipes are no longer waited for (a grandchild may hold them),
 * and the result says it timed out. stdin is /dev/null.
 * Output beyond PROC_OUTPUT_MAX bytes per stream is dropped (and said so). */
#ifndef AIWB_JOBS_PROC_H
#define AIWB_JOBS_PROC_H

#include <stdint.h>

#include "base/buf.h"
#include "loop.h"

#define PROC_OUTPUT_MAX ((size_t)64 << 20)

struct proc_result {
	int started;       /* 0: fork/exec failed; why holds the reason */
	int exited, code;  /* exited normally with code */
	int signal;        /* killed by this signal */
	int timed_out;
	const struct buf *out, *err; /* borrowed for the callback */
	const char *why;
};

typedef void (*proc_done_fn)(void *ud, const struct proc_result *r);

/* argv is copied. done runs once, from the loop (also when exec fails). */
int proc_run(struct loop *l, char *const argv[], int64_t timeout_ms, proc_done_fn done, void *ud);

#endif
