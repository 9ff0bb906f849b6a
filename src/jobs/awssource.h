/* awssource — what the AWS job sources (SageMaker, Bedrock customization)
 * share: one client per source (credentials, region and the endpoints of
 * SageMaker, CloudWatch, CloudWatch Logs and Bedrock resolved once, with
 * AWS_ENDPOINT_URL_SAGEMAKER / _CLOUDWATCH / _CLOUDWATCH_LOGS / _BEDROCK and
 * AWS_ENDPOINT_URL honoured by net/awsauth.h; one retry quota), and a
 * refresh as a queue of calls run one at a time on the loop (net/awscall.h:
 * signed, retried with back-off on throttling and 5xx).
 *
 * A step is one call (or a local step, without a call) and a handler that
 * reads its reply and may queue more steps: at the front (the next page of
 * what it reads) or at the back. A handler returns 0 to go on, or -1 to end
 * the refresh as failed with the sentence it put in op->why (a throttled
 * call that retries could not get through ends it this way, so the poller
 * backs off). The refresh's done runs once, from the loop, when the queue is
 * empty or a step failed; freeing the source cancels the refreshes under way
 * without calling them back.
 *
 * Creating the client resolves credentials, which may run a
 * credential_process (blocking, once); a client that cannot be made keeps
 * the sentence why and every refresh fails with it. */
#ifndef AIWB_JOBS_AWSSOURCE_H
#define AIWB_JOBS_AWSSOURCE_H

#include <stdint.h>

#include "jobs/job.h"
#include "net/awscall.h"

enum aws_service { AWS_SAGEMAKER, AWS_CLOUDWATCH, AWS_LOGS, AWS_BEDROCK, AWS_LOCAL, AWS_SERVICES = AWS_LOCAL };

struct aws_client {
	struct awsauth *auth;
	struct awsauth_creds creds;
	struct awsauth_endpoint ep[AWS_SERVICES];
	struct retry_quota quota;
	char *why; /* NULL when the client is ready */
};

/* The shared part of an AWS job source; embed it first. */
struct aws_source {
	struct job_source base;
	struct aws_client client;
	struct aws_op *ops; /* refreshes under way */
	int64_t min_interval_ms, last_list_ms;
	char *described;        /* the job described last (ext_id), and when (monotonic) */
	int64_t described_ms;
};

void aws_source_init(struct aws_source *s, const struct job_source_ops *ops, struct db *db, struct loop *loop,
		     const char *const *services, size_t n);
void aws_source_free(struct aws_source *s);

struct aws_op;
/* r is NULL for a local step. Returns 0 (go on), -1 (fail the refresh) or
 * AWS_STEP_TAKEN (go on; the handler kept arg, which is then not freed). */
#define AWS_STEP_TAKEN 1
typedef int (*aws_step_fn)(struct aws_op *op, void *arg, const struct awscall_reply *r);

struct aws_op {
	struct aws_op *next_op;
	struct aws_source *src;
	struct aws_step *head, *tail;
	struct awscall *call;
	struct aws_step *cur;
	int64_t timer;
	job_done_fn done;
	void *ud;
	char why[2048];
	struct job_list jobs; /* the source's jobs in the registry, loaded at the start */
	int active;           /* set by the handlers: jobs not final */
	int synced;           /* detail syncs queued in this refresh */
	int pages;            /* list pages read in this refresh */
	int alone;            /* a describe: only that job's calls, no other job brought up to date */
	void *priv;           /* the source's own state of this refresh; freed with free_priv */
	void (*free_priv)(void *priv);
};

struct aws_op *aws_op_new(struct aws_source *s, job_done_fn done, void *ud);
/* what: the X-Amz-Target operation ("ListTrainingJobs") or, for Bedrock,
 * "GET /path" (the path percent-encoded). body taken (NULL: none); arg is
 * freed with free_arg after the handler ran (NULL: not freed). */
void aws_op_push(struct aws_op *op, int front, enum aws_service svc, const char *what, char *body, aws_step_fn fn,
		 void *arg, void (*free_arg)(void *));
/* Starts the queue (done may run later, never from here). */
void aws_op_run(struct aws_op *op);

/* The sentence of a failed reply, named after the service and operation. */
void aws_op_fail(struct aws_op *op, const char *what, const struct awscall_reply *r);
/* 1 when a failed reply is throttling (after retries). */
int aws_reply_throttled(const struct awscall_reply *r);

/* Stops job j by one call (what and body as for aws_op_push; label names it
 * in the failure sentence). When the service accepts, the job shows stopping
 * until the service says it ended, and the next describe asks again. */
void aws_source_stop(struct aws_source *s, const struct job *j, enum aws_service svc, const char *what, char *body,
		     const char *label, job_done_fn done, void *ud);

/* 1 when the source listed less than min_interval_ms ago and is up, so a
 * refresh can answer at once; otherwise notes the list as made now and
 * returns 0. */
int aws_listed_lately(struct aws_source *s);

/* 1 when ext_id was described less than min_interval_ms ago (5 s at
 * least while the source is down), so a describe can answer at once: a
 * follower asks once a second. Otherwise notes ext_id as described now and
 * returns 0. */
int aws_described_lately(struct aws_source *s, const char *ext_id);

/* The registry row of the op's list with this ext_id, or NULL. */
struct job *aws_op_find(struct aws_op *op, const char *ext_id);
/* Inserts or updates j (ext_id set) in the registry and the op's list;
 * returns the registry row, or NULL with op->why set. */
struct job *aws_op_save(struct aws_op *op, struct job *j);

/* The job's cache directory DATA_HOME/jobs/SOURCE/EXT (0700), created; NULL with e (also
 * for an EXT that is empty, starts with a dot or holds a slash). */
char *aws_job_dir(const char *source, const char *ext, struct err *e);
/* A job's "how far" marks, kept in the registry's job_files under key. */
int64_t aws_mark_get(struct db *db, int64_t job_id, const char *key);
void aws_mark_set(struct db *db, int64_t job_id, const char *key, int64_t value);

#endif
