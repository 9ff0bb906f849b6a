/* slurm_run — how the Slurm source (jobs/slurm.h) reaches the cluster, shared
 * by its files: the source's state, Slurm commands run here or on the ssh
 * target through one multiplexed OpenSSH connection (ControlMaster=auto,
 * ControlPath in a 0700 directory under the runtime dir, ControlPersist,
 * BatchMode=yes so ssh never prompts; the user's own ssh config and agent),
 * and slurmrestd calls over libcurl on the loop (a unix socket, or https with
 * the JWT from SLURM_JWT, read when the call is made and never stored). */
#ifndef AIWB_JOBS_SLURM_RUN_H
#define AIWB_JOBS_SLURM_RUN_H

#include "base/proc.h"
#include "jobs/slurm.h"
#include "net/http.h"

/* An operation waiting on a child process or an HTTP call. The source keeps
 * those it started, so freeing it (the workbench quitting while squeue runs)
 * cancels them and frees the operations without calling them back. An op
 * struct begins with its struct inflight. */
struct inflight {
	struct inflight *next;
	struct proc *proc;
	struct http_call *call;
};

struct slurm_source {
	struct job_source base;
	struct inflight *inflight;
	char *rest_url;       /* as configured */
	char *rest_socket;    /* unix:PATH: PATH */
	char *rest_base;      /* "http://localhost" or the https origin */
	char *ssh;            /* user@host */
	char *ssh_config;
	char *control_dir;    /* ControlPath directory */
	char *user;           /* slurm_user() */
	char *mirror_dir;     /* local copies of job logs: ssh mirrors, StdOut and StdErr merged */
	int acct;             /* -1 not known yet, 0 accounting storage disabled (sacct -c), 1 sacct works */
};

void slurm_track(struct slurm_source *s, struct inflight *f);
void slurm_untrack(struct slurm_source *s, struct inflight *f);

/* Starts argv (argv[0] a Slurm command) here or on the ssh target; as proc_start. */
struct proc *slurm_run(struct slurm_source *s, char *const argv[], int64_t timeout_ms, proc_done_fn done, void *ud);
/* argv as one POSIX shell command line, every word single-quoted. Caller frees. */
char *slurm_shell_join(char *const argv[]);
/* The ssh command line for running `command` on target (NULL-terminated, caller frees with slurm_argv_free). */
char **slurm_ssh_argv(const char *target, const char *ssh_config, const char *control_dir, const char *command);
void slurm_argv_free(char **argv);

/* ssh: copies what is new of each remote log into its mirror under
 * mirror_dir, then done. paths[i] (remote) is mirrored into mirrors[i]. */
void slurm_mirror_logs(struct slurm_source *s, char **remote, char **mirrors, size_t n, job_done_fn done, void *ud);
/* A job's file under mirror_dir: KEY.log (its log: the mirror of its
 * StdOut, or StdOut and StdErr merged), KEY.out and KEY.err (ssh: the
 * mirrors of a StdErr apart from StdOut). suffix ".log", ".out", ".err".
 * Caller frees. */
char *slurm_mirror_path(const struct slurm_source *s, const char *key, const char *suffix);

/* method ("GET", "DELETE") rest_base + path (e.g. "/slurm/v0.0.38/jobs") on
 * the loop; done gets the body on HTTP 200, else why: one sanitised sentence
 * (a TLS problem, a missing or refused SLURM_JWT, slurmrestd's own error;
 * for a method other than GET also the first of "errors" in a 200 answer,
 * as slurmrestd answers an unknown job). Over TCP the token goes with
 * X-SLURM-USER-NAME = the token's user (its "sun" claim). */
typedef void (*slurm_rest_fn)(void *ud, const char *body, size_t n, const char *why);
struct http_call *slurm_rest_call(struct slurm_source *s, const char *method, const char *path, slurm_rest_fn done,
				  void *ud);
#define SLURM_REST_API "/slurm/v0.0.38"

#endif
