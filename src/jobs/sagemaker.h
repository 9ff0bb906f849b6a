/* sagemaker — the SageMaker job source (issue 12, item 4), over the AWS
 * JSON protocols on the loop (jobs/awssource.h, jobs/awsjob.h).
 *
 * A refresh (list) lists the training jobs (ListTrainingJobs, every page,
 * created in the last AIWB_SAGEMAKER_DAYS days, default 30; NameContains from
 * AIWB_SAGEMAKER_NAME, StatusEquals from AIWB_SAGEMAKER_STATUS) and the
 * hyperparameter tuning jobs (ListHyperParameterTuningJobs), then brings up
 * to date each job that is not final, new, or final but not yet read to its
 * end (at most 20 of those a refresh): DescribeTrainingJob (status with its
 * secondary status, the facts in jobs.info, metric definitions as the job's
 * rules, failure reason), its metric curves from CloudWatch GetMetricData
 * (namespace /aws/sagemaker/TrainingJobs, dimension TrainingJobName, every
 * page; points newer than the last one kept) and its log from CloudWatch Logs
 * (DescribeLogStreams with the prefix NAME/, then GetLogEvents forward from
 * the token kept per stream until the token comes back unchanged), appended
 * to DATA_HOME/jobs/sagemaker/NAME/output.log, lines prefixed "[algo-N] "
 * when the job has several hosts. A tuning job is a row `tuning/NAME` whose
 * children (ListTrainingJobsForHyperParameterTuningJob) point to it with
 * parent_id; its best objective so far is a metric point each time the best
 * training job changes. A full refresh runs at most once per
 * AIWB_SAGEMAKER_INTERVAL_MS (default 10000); sooner calls answer at once.
 * describe (describe_alone) asks about that one job only, never listing:
 * DescribeTrainingJob, then its curves and log as above (nothing more for a
 * job that had ended and was read to its end), or for a tuning job
 * DescribeHyperParameterTuningJob and its training jobs' list (their rows
 * and parents updated, none of them described). The same job is described
 * at most once per AIWB_SAGEMAKER_INTERVAL_MS (aws_described_lately); a
 * sooner describe answers at once.
 * Throttling that retries could not get through fails the refresh, so the
 * poller backs off.
 *
 * Status: InProgress is queued (Pending), starting (Starting,
 * LaunchingMLInstances, PreparingTrainingStack, Downloading,
 * DownloadingTrainingImage, Interrupted, Restarting), running (Training,
 * Uploading, Updating) or stopping (Stopping); Completed completed; Failed
 * failed; Stopping and Deleting stopping; Stopped stopped, or timeout after
 * MaxRuntimeExceeded / MaxWaitTimeExceeded; anything else unknown. raw_state
 * is "Status/SecondaryStatus". */
#ifndef AIWB_JOBS_SAGEMAKER_H
#define AIWB_JOBS_SAGEMAKER_H

#include "jobs/job.h"
#include "store/db.h"

/* On when AIWB_SAGEMAKER is "on", or AWS_ENDPOINT_URL_SAGEMAKER is set and
 * AIWB_SAGEMAKER is not "off". */
int sagemaker_enabled(void);
struct job_source *sagemaker_source_new(struct db *db, struct loop *loop);

/* jobs resubmit: the CreateTrainingJob request copying job j under a new
 * name (NAME-copy-TIMESTAMP, at most 63 characters), from a fresh
 * DescribeTrainingJob; done(ok, why) with *request (caller frees) set. */
void sagemaker_copy_prepare(struct job_source *src, const struct job *j, char **request, char **new_name,
			    job_done_fn done, void *ud);
/* Sends CreateTrainingJob with request; done(ok, why). */
void sagemaker_copy_send(struct job_source *src, const char *request, job_done_fn done, void *ud);

#endif
