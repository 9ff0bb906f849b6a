/* proc — the one runner of child processes: a command run on the loop (Slurm's
 * squeue, sbatch, scancel), never blocking it, or to completion by a caller
 * that has no loop of its own (pdftotext while a KB ingests). On the loop: stdout and stderr are non-blocking pipes
 * watched by the loop, the exit is collected with waitpid(WNOHANG) on a short
 * timer once both pipes are closed. The child runs in its own process group;
 * when it is still running after timeout_ms the whole group is killed
 * (SIGKILL), its pipes are no longer waited for (a grandchild may hold them),
 * and the result says it timed out. stdin is /dev/null.
 * Output beyond PROC_OUTPUT_MAX bytes per stream is dropped (and said so in
 * the result). */
#ifndef AIWB_BASE_PROC_H
#define AIWB_BASE_PROC_H

#include <stdint.h>

#include "base/buf.h"
#include "loop.h"

#define PROC_OUTPUT_MAX ((size_t)64 << 20)

struct proc_result {
	int started;       /* 0: fork/exec failed; why holds the reason */
	int exited, code;  /* exited normally with code */
	int signal;        /* killed by this signal */
	int timed_out;
	int truncated;     /* a stream passed its limit and the rest was dropped */
	const struct buf *out, *err; /* borrowed for the callback */
	const char *why;
};

typedef void (*proc_done_fn)(void *ud, const struct proc_result *r);

struct proc;

/* argv is copied. done runs once, from the loop (also when exec fails); the
 * handle is gone after it. Returns NULL (errno set) when the pipes or the fork
 * fail; done never runs then. */
struct proc *proc_start(struct loop *l, char *const argv[], int64_t timeout_ms, proc_done_fn done, void *ud);
/* proc_start for callers that never cancel: 0, or -1 as proc_start's NULL. */
int proc_run(struct loop *l, char *const argv[], int64_t timeout_ms, proc_done_fn done, void *ud);
/* Before done ran: kills the child's process group, reaps it and frees the
 * handle; done never runs (an owner going away, e.g. the workbench quitting
 * while squeue runs). */
void proc_cancel(struct proc *p);

/* The whole result of proc_capture; the caller frees with proc_output_free. */
struct proc_output {
	int started, exited, code, signal, timed_out;
	int truncated;     /* a stream passed max_out and the rest was dropped */
	struct buf out, err;
	char why[512];     /* why it did not start or finish; "" otherwise */
};

/* Runs argv to completion on a private loop with the same rules as proc_run
 * (own process group, stdin /dev/null, killed after timeout_ms), keeping at
 * most max_out bytes of each stream. Returns -1 when the pipes or the fork
 * failed (o->why says why), else 0 with the result in o (o->started is 0 and
 * o->why set when exec failed). */
int proc_capture(char *const argv[], int64_t timeout_ms, size_t max_out, struct proc_output *o);
void proc_output_free(struct proc_output *o);

#endif
