/* awsjob — the wire formats of the AWS job sources, pure (no I/O): requests
 * and responses of SageMaker (training and hyperparameter tuning jobs),
 * CloudWatch GetMetricData, CloudWatch Logs and Bedrock model customization
 * jobs (PROTOCOLS.md §7; shapes from the botocore service models).
 *
 * Parsers take a response body and call back once per item with strings
 * borrowed for the call; *next (caller frees) gets the page token, NULL on
 * the last page. They return -1 with e when the body is not the shape the
 * operation answers (its required members missing), never crash on any input
 * (fuzzed: tests/fuzz/fuzz_awsjob.c). Times: JSON-protocol timestamps are
 * epoch seconds as numbers (fractional, exponent form); REST-JSON ones
 * (Bedrock) ISO 8601 strings; both are read into seconds, 0 when absent.
 * Request builders return a JSON text the caller frees. */
#ifndef AIWB_JOBS_AWSJOB_H
#define AIWB_JOBS_AWSJOB_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "jobs/job.h"

#define AWSJOB_LOG_GROUP "/aws/sagemaker/TrainingJobs"
#define AWSJOB_METRIC_NAMESPACE "/aws/sagemaker/TrainingJobs"
#define AWSJOB_NAME_MAX 63

/* ---- statuses */

/* SageMaker TrainingJobStatus + SecondaryStatus (InProgress is queued while
 * Pending, starting while instances launch and data downloads, running while
 * Training/Uploading; Stopped after MaxRuntimeExceeded/MaxWaitTimeExceeded is
 * timeout). JOB_UNKNOWN for a word it does not know. */
enum job_status awsjob_training_status(const char *status, const char *secondary);
/* HyperParameterTuningJobStatus (DeleteFailed is failed). */
enum job_status awsjob_tuning_status(const char *status);
/* Bedrock ModelCustomizationJobStatus. */
enum job_status awsjob_customization_status(const char *status);
/* 1 for a SageMaker job name: 1 to 63 of [a-zA-Z0-9-], not starting or ending with '-'. */
int awsjob_name_valid(const char *name);

/* ---- summaries of the list operations */

struct awsjob_summary {
	const char *name, *arn, *status, *secondary, *failure;
	double created_s, start_s, end_s, modified_s;
	int has_objective;             /* a tuning job's training job: its final objective metric */
	const char *objective_name;
	double objective;
};
typedef void (*awsjob_summary_fn)(void *ud, const struct awsjob_summary *s);

enum awsjob_list {
	AWSJOB_TRAINING_JOBS,      /* ListTrainingJobs, ListTrainingJobsForHyperParameterTuningJob */
	AWSJOB_TUNING_JOBS,        /* ListHyperParameterTuningJobs */
	AWSJOB_CUSTOMIZATION_JOBS, /* Bedrock ListModelCustomizationJobs */
};
int awsjob_parse_list(enum awsjob_list kind, const char *body, size_t n, awsjob_summary_fn fn, void *ud, char **next,
		      struct err *e);

/* ListTrainingJobs / ListHyperParameterTuningJobs request: filters may be
 * NULL / 0; status is the service's word (InProgress, Completed, ...). */
char *awsjob_list_request(const char *name_contains, const char *status, double created_after_s, int max_results,
			  const char *next);
/* ListTrainingJobsForHyperParameterTuningJob. */
char *awsjob_tuning_children_request(const char *tuning_job, const char *next);
/* {"KEY": name}: DescribeTrainingJob, StopTrainingJob, DescribeHyperParameterTuningJob ... */
char *awsjob_name_request(const char *key, const char *name);

/* ---- one job described */

struct awsjob_point {
	const char *name;
	double value;
	double time_s;
	int has_step;
	int64_t step;
};
typedef void (*awsjob_point_fn)(void *ud, const struct awsjob_point *p);

struct awsjob_detail {
	char *name, *arn, *status, *secondary, *failure;
	char *status_message; /* the last secondary status transition's message; NULL: none */
	double created_s, start_s, end_s, modified_s;
	char *rules;        /* "NAME=REGEX" lines from the metric definitions; NULL: none */
	char **metrics;     /* metric names to ask CloudWatch for: definitions, then final metrics */
	size_t n_metrics;
	char *tuning_parent; /* the tuning job's name (from TuningJobArn); NULL: none */
	char *info;          /* a JSON object of the facts shown with the job */
	char *best;          /* tuning job: its best training job; NULL: none */
	int has_best;
	char *best_metric;
	double best_value;
};
void awsjob_detail_free(struct awsjob_detail *d);

/* DescribeTrainingJob; the final metrics (FinalMetricDataList) also go to fn
 * when it is not NULL. info holds arn, instance_type, instance_count,
 * volume_gb, billable_seconds, training_seconds, max_runtime_seconds, spot,
 * image, input_mode, hyperparameters, metric_definitions, final_metrics,
 * secondary_transitions [{status, start_ms, end_ms, message}], failure_reason. */
int awsjob_parse_training(const char *body, size_t n, struct awsjob_detail *out, awsjob_point_fn fn, void *ud,
			  struct err *e);
/* DescribeHyperParameterTuningJob: info holds strategy, objective {type,
 * metric}, counters, best_training_job {name, metric, value}, limits. */
int awsjob_parse_tuning(const char *body, size_t n, struct awsjob_detail *out, struct err *e);
/* Bedrock GetModelCustomizationJob: trainingMetrics.trainingLoss and each
 * validator's validationLoss go to fn (validation_loss, one per validator,
 * validation_loss_2 ... for more); info holds base model, output model,
 * customization type, hyperparameters, status details. */
int awsjob_parse_customization(const char *body, size_t n, struct awsjob_detail *out, awsjob_point_fn fn, void *ud,
			       struct err *e);

/* The CreateTrainingJob request that copies a DescribeTrainingJob answer
 * under new_name: only the members CreateTrainingJob takes, without the
 * read-only ones. NULL with e when the answer lacks RoleArn or OutputDataConfig. */
char *awsjob_copy_request(const char *describe_body, size_t n, const char *new_name, struct err *e);

/* ---- CloudWatch GetMetricData */

/* Queries m0..m(n-1) of names (Namespace /aws/sagemaker/TrainingJobs,
 * dimension TrainingJobName = job, Period 60, Stat Average, labelled with the
 * name) between start_s and end_s, oldest first. */
char *awsjob_metric_request(const char *job, char *const *names, size_t n, double start_s, double end_s,
			    const char *next);
/* Each (timestamp, value) of each result whose Id is m<i> for i < n goes to
 * fn under names[i]. */
int awsjob_parse_metric_data(const char *body, size_t n, char *const *names, size_t n_names, awsjob_point_fn fn,
			     void *ud, char **next, struct err *e);

/* ---- CloudWatch Logs */

char *awsjob_streams_request(const char *job, const char *next);
typedef void (*awsjob_stream_fn)(void *ud, const char *stream);
int awsjob_parse_streams(const char *body, size_t n, awsjob_stream_fn fn, void *ud, char **next, struct err *e);
/* GetLogEvents from the head, forward, after token (NULL: from the start). */
char *awsjob_events_request(const char *stream, const char *token);
typedef void (*awsjob_event_fn)(void *ud, int64_t time_ms, const char *message);
/* *forward: nextForwardToken (required). */
int awsjob_parse_events(const char *body, size_t n, awsjob_event_fn fn, void *ud, char **forward, struct err *e);
/* The host part of a stream name: "job/algo-1-1700000000" -> "algo-1". Caller frees. */
char *awsjob_stream_host(const char *stream);

/* Epoch seconds from a JSON-protocol number or an ISO 8601 string (with
 * fraction and Z or ±HH:MM); 0 when neither. */
double awsjob_time(const char *iso, int is_number, double number);

#endif
