/* smmonitor — SageMaker Model Monitor schedules and their executions as
 * jobs of source "sagemaker-monitor" (issue 13, item 4; PROTOCOLS.md §7.3).
 *
 * A refresh calls, on the loop, ListMonitoringSchedules (every page), then per
 * schedule DescribeMonitoringSchedule and ListMonitoringExecutions (newest
 * first, at most SMMONITOR_EXECUTIONS), then DescribeProcessingJob for each
 * execution whose output is not known yet (at most SMMONITOR_DESCRIBES a
 * refresh; a refresh within SMMONITOR_MIN_INTERVAL_MS of the last good one
 * asks nothing): SageMaker JSON 1.1, SigV4 for "sagemaker", endpoint
 * AWS_ENDPOINT_URL_SAGEMAKER (net/awsauth.h), each call retried in AWS
 * standard mode. Nothing blocks the loop.
 *
 * Rows: a schedule is the job SCHEDULE (status Pending → queued, Scheduled →
 * running, Stopped → stopped, Failed → failed; reason its FailureReason;
 * command its monitoring type, endpoint, cron expression and baseline; dir its
 * MonitoringOutputs S3 URI; info its ARN, endpoint, type, cron expression,
 * baseline and output). Each execution is the job SCHEDULE/TIME, TIME its
 * ScheduledTime as YYYYMMDDTHHMMSSZ, whose parent_id is the schedule's row:
 * Pending → queued, InProgress → running, Completed and
 * CompletedWithViolations → completed (raw state kept; the latter's reason
 * says violations were found), Failed → failed, Stopping → stopping, Stopped
 * → stopped; reason its FailureReason; command its ProcessingJobArn; dir the
 * processing job's output S3 URI, where constraint_violations.json is; info
 * the ARN, output, endpoint and type.
 * A schedule SageMaker no longer lists becomes unknown, and so do its
 * executions that had not ended.
 *
 * describe (describe_alone) of a row asks about it alone, without
 * ListMonitoringSchedules: DescribeMonitoringSchedule of its schedule,
 * ListMonitoringExecutions of that schedule (of an execution: one second
 * either side of its ScheduledTime), DescribeProcessingJob where the output
 * is not known; no other schedule is touched. It asks nothing while a
 * refresh is under way, or within SMMONITOR_MIN_INTERVAL_MS of the last good
 * refresh or of the last describe of the same row. */
#ifndef AIWB_JOBS_SMMONITOR_H
#define AIWB_JOBS_SMMONITOR_H


#include "jobs/job.h"
#include "store/db.h"

struct cJSON;

#define SMMONITOR_SOURCE "sagemaker-monitor"
#define SMMONITOR_EXECUTIONS 200
#define SMMONITOR_DESCRIBES 50
#define SMMONITOR_MIN_INTERVAL_MS 30000

/* JOB_UNKNOWN for a word it does not know. */
enum job_status smmonitor_schedule_status(const char *s);
enum job_status smmonitor_execution_status(const char *s);
/* "SCHEDULE/YYYYMMDDTHHMMSSZ" for an execution scheduled at epoch seconds t. Caller frees. */
char *smmonitor_execution_id(const char *schedule, double t);

/* On, as the SageMaker training-jobs source: AIWB_SAGEMAKER_MONITOR=on, or
 * AWS_ENDPOINT_URL_SAGEMAKER set (and AIWB_SAGEMAKER_MONITOR not "off"). The
 * source then needs AWS credentials and a region (smmonitor_source_new). */
int smmonitor_available(void);
/* NULL with e when credentials, region or the endpoint cannot be resolved. */
struct job_source *smmonitor_source_new(struct db *db, struct loop *loop, struct err *e);

/* An execution's constraint_violations.json (read from S3 under its dir),
 * running l until done. NULL with e (also for a job that is not an execution
 * or whose output is not known). */
struct cJSON *smmonitor_violations(const struct job *j, struct loop *l, struct err *e);

/* The same on the loop, for the Jobs pane: done(ud, text, error) comes once
 * from the loop with the violations as a table (monitor_violations_text), or
 * with why they could not be read; unless cancelled first. NULL with e when
 * j is not an execution whose output is known, or S3 cannot be used. */
struct smm_violations;
typedef void (*smm_violations_fn)(void *ud, const char *text, const char *error);
struct smm_violations *smmonitor_violations_start(const struct job *j, struct loop *l, smm_violations_fn done,
						  void *ud, struct err *e);
/* Cancels the read if it is still on and frees the handle. No-op on NULL. */
void smmonitor_violations_free(struct smm_violations *v);

#endif
