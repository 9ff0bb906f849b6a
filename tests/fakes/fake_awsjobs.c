/* The AWS job services of fakellm (fake_awsjobs.h). The job set is made
 * relative to the first request's time, so curves and logs have a past:
 * every SageMaker training job status and secondary status, one status the
 * service never sends (unknown to aiwb), a tuning job with three training
 * jobs, and five Bedrock customization jobs. Lists answer at most 4 items a
 * page (2 for Bedrock), GetMetricData 5 points a metric a page, GetLogEvents
 * 3 events a page; a running job's log and curves grow with time. Shapes
 * follow the botocore service models. */
#include "fake_awsjobs.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/xmalloc.h"

#define ACCOUNT "123456789012"
#define REGION "us-east-1"
#define LIST_PAGE 4
#define METRIC_PAGE 5
#define EVENT_PAGE 3

struct fjob {
	char *name, *status, *secondary, *failure, *tuning;
	double created, start, end; /* end 0: running */
	int hosts;                  /* log streams */
	int metrics;                /* has metric definitions and CloudWatch curves */
	double objective;           /* a tuning job's training job: final objective (NaN: none) */
	int logs_static;            /* log lines when not growing */
	double stop_at;             /* StopTrainingJob: Stopping until a second later */
};

static struct fjob *jobs;
static size_t njobs;
static double t0;
static char throttle_op[128];
static long throttle_n;

static void add(const char *name, const char *status, const char *secondary, double start_ago, double end_ago,
		int hosts, int metrics)
{
	jobs = xreallocarray(jobs, njobs + 1, sizeof *jobs);
	struct fjob *j = &jobs[njobs++];
	memset(j, 0, sizeof *j);
	j->name = xstrdup(name);
	j->status = xstrdup(status);
	j->secondary = secondary ? xstrdup(secondary) : NULL;
	j->created = t0 - start_ago - 120;
	j->start = start_ago > 0 ? t0 - start_ago : 0;
	j->end = end_ago > 0 ? t0 - end_ago : 0;
	j->hosts = hosts;
	j->metrics = metrics;
	j->objective = NAN;
	j->logs_static = 5;
}

static void init(void)
{
	if (jobs)
		return;
	t0 = floor((double)clock_wall_ms() / 1000.0);
	add("sm-bert-training", "InProgress", "Training", 600, 0, 2, 1);
	add("sm-pending", "InProgress", "Pending", 0, 0, 0, 0);
	add("sm-starting", "InProgress", "Starting", 0, 0, 0, 0);
	add("sm-launching", "InProgress", "LaunchingMLInstances", 0, 0, 0, 0);
	add("sm-preparing", "InProgress", "PreparingTrainingStack", 0, 0, 0, 0);
	add("sm-downloading", "InProgress", "Downloading", 60, 0, 1, 0);
	add("sm-image", "InProgress", "DownloadingTrainingImage", 60, 0, 1, 0);
	add("sm-uploading", "InProgress", "Uploading", 900, 0, 1, 1);
	add("sm-interrupted", "InProgress", "Interrupted", 300, 0, 1, 0);
	add("sm-restarting", "InProgress", "Restarting", 300, 0, 1, 0);
	add("sm-updating", "InProgress", "Updating", 300, 0, 1, 0);
	add("sm-stopping", "Stopping", "Stopping", 300, 0, 1, 0);
	add("sm-completed", "Completed", "Completed", 3600, 1800, 1, 1);
	add("sm-failed", "Failed", "Failed", 1200, 1100, 1, 0);
	jobs[njobs - 1].failure = xstrdup("AlgorithmError: ExecuteUserScriptError: exit code 1");
	add("sm-stopped", "Stopped", "Stopped", 1200, 1000, 1, 0);
	add("sm-maxruntime", "Stopped", "MaxRuntimeExceeded", 7200, 3600, 1, 0);
	add("sm-maxwait", "Stopped", "MaxWaitTimeExceeded", 7200, 3600, 0, 0);
	add("sm-deleting", "Deleting", "Completed", 7200, 3600, 0, 0);
	add("sm-future", "Hibernating", "Dreaming", 100, 0, 0, 0);
	add("hpo-1-001-aaaa", "Completed", "Completed", 3000, 2400, 1, 1);
	jobs[njobs - 1].tuning = xstrdup("hpo-1");
	jobs[njobs - 1].objective = 0.91;
	add("hpo-1-002-bbbb", "InProgress", "Training", 600, 0, 1, 1);
	jobs[njobs - 1].tuning = xstrdup("hpo-1");
	jobs[njobs - 1].objective = 0.87;
	add("hpo-1-003-cccc", "Failed", "Failed", 2000, 1900, 1, 0);
	jobs[njobs - 1].tuning = xstrdup("hpo-1");
	jobs[njobs - 1].failure = xstrdup("ClientError: out of memory");
}

void fakejobs_free(void)
{
	for (size_t i = 0; i < njobs; i++) {
		free(jobs[i].name);
		free(jobs[i].status);
		free(jobs[i].secondary);
		free(jobs[i].failure);
		free(jobs[i].tuning);
	}
	free(jobs);
	jobs = NULL;
	njobs = 0;
}

static struct fjob *find(const char *name)
{
	for (size_t i = 0; name && i < njobs; i++)
		if (strcmp(jobs[i].name, name) == 0)
			return &jobs[i];
	return NULL;
}

static double now_s(void)
{
	return (double)clock_wall_ms() / 1000.0;
}

/* A stopped job is Stopping for a second, then Stopped. */
static void tick(void)
{
	for (size_t i = 0; i < njobs; i++) {
		struct fjob *j = &jobs[i];
		if (j->stop_at > 0 && now_s() - j->stop_at >= 1) {
			free(j->status);
			free(j->secondary);
			j->status = xstrdup("Stopped");
			j->secondary = xstrdup("Stopped");
			j->end = now_s();
			j->stop_at = 0;
		}
	}
}

/* ---------------------------------------------------------------- answers */

static void json_answer(struct fakejobs_answer *out, int status, cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	out->status = status;
	buf_puts(&out->body, s);
	free(s);
}

static void aws_json_error(struct fakejobs_answer *out, int status, const char *type, const char *msg, int query)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "__type", type);
	cJSON_AddStringToObject(o, "message", msg);
	if (query)
		buf_printf(&out->headers, "x-amzn-query-error: %s;Sender\r\n", type);
	json_answer(out, status, o);
}

static void rest_error(struct fakejobs_answer *out, int status, const char *type, const char *msg)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "message", msg);
	buf_printf(&out->headers, "x-amzn-ErrorType: %s\r\n", type);
	json_answer(out, status, o);
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double jnum(const cJSON *o, const char *k, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static char *arn(const char *kind, const char *name)
{
	return xasprintf("arn:aws:sagemaker:" REGION ":" ACCOUNT ":%s/%s", kind, name);
}

static void add_time(cJSON *o, const char *k, double t)
{
	if (t > 0)
		cJSON_AddNumberToObject(o, k, t);
}

/* Pages of a list of n items: the items of the page at "token" (an offset). */
static size_t page_start(const cJSON *rq, const char *key)
{
	const char *tok = jstr(rq, key);
	return tok ? (size_t)strtoul(tok + (tok[0] == 't'), NULL, 10) : 0;
}

static void set_next(cJSON *o, const char *key, size_t next, size_t total)
{
	if (next < total) {
		char t[32];
		snprintf(t, sizeof t, "t%zu", next);
		cJSON_AddStringToObject(o, key, t);
	}
}

static int listed(const struct fjob *j, const cJSON *rq)
{
	const char *nc = jstr(rq, "NameContains"), *st = jstr(rq, "StatusEquals");
	if (nc && !strstr(j->name, nc))
		return 0;
	if (st && strcmp(j->status, st) != 0)
		return 0;
	double after = jnum(rq, "CreationTimeAfter", 0);
	return !(after > 0 && j->created <= after);
}

static cJSON *summary(const struct fjob *j, int tuning_list)
{
	cJSON *s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "TrainingJobName", j->name);
	char *a = arn("training-job", j->name);
	cJSON_AddStringToObject(s, "TrainingJobArn", a);
	free(a);
	add_time(s, "CreationTime", j->created);
	add_time(s, tuning_list ? "TrainingStartTime" : "TrainingEndTime", tuning_list ? j->start : j->end);
	if (tuning_list) {
		add_time(s, "TrainingEndTime", j->end);
		cJSON_AddStringToObject(s, "TuningJobName", j->tuning);
		cJSON_AddItemToObject(s, "TunedHyperParameters", cJSON_Parse("{\"lr\":\"0.01\"}"));
		if (!isnan(j->objective) && strcmp(j->status, "Completed") == 0) {
			cJSON *m = cJSON_AddObjectToObject(s, "FinalHyperParameterTuningJobObjectiveMetric");
			cJSON_AddStringToObject(m, "Type", "Maximize");
			cJSON_AddStringToObject(m, "MetricName", "validation:accuracy");
			cJSON_AddNumberToObject(m, "Value", j->objective);
		}
		if (j->failure)
			cJSON_AddStringToObject(s, "FailureReason", j->failure);
	} else {
		add_time(s, "LastModifiedTime", j->end > 0 ? j->end : t0);
		if (j->secondary)
			cJSON_AddStringToObject(s, "SecondaryStatus", j->secondary);
	}
	cJSON_AddStringToObject(s, "TrainingJobStatus", j->status);
	return s;
}

static void list_training(const cJSON *rq, const char *tuning, struct fakejobs_answer *out)
{
	size_t start = page_start(rq, "NextToken"), max = (size_t)jnum(rq, "MaxResults", 10);
	if (max > LIST_PAGE || max < 1)
		max = LIST_PAGE;
	cJSON *o = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(o, "TrainingJobSummaries");
	size_t k = 0, taken = 0, next = 0;
	for (size_t i = 0; i < njobs; i++) {
		const struct fjob *j = &jobs[i];
		if (tuning ? !j->tuning || strcmp(j->tuning, tuning) != 0 : !listed(j, rq))
			continue;
		if (k++ < start)
			continue;
		if (taken == max) {
			next = k - 1;
			break;
		}
		cJSON_AddItemToArray(list, summary(j, tuning != NULL));
		taken++;
	}
	if (next)
		set_next(o, "NextToken", next, next + 1);
	json_answer(out, 200, o);
}

static cJSON *metric_definitions(void)
{
	return cJSON_Parse("[{\"Name\":\"train:loss\",\"Regex\":\"loss=([0-9.]+)\"},"
			   "{\"Name\":\"validation:accuracy\",\"Regex\":\"acc=([0-9.]+)\"}]");
}

static double loss_at(int k)
{
	return 2.0 / (k + 1);
}

static double acc_at(int k)
{
	return 1.0 - 1.0 / (k + 2);
}

/* Points of a job's curves: one a minute from its start to its end (or now). */
static int points_of(const struct fjob *j)
{
	if (!j->metrics || j->start <= 0)
		return 0;
	double until = j->end > 0 ? j->end : now_s();
	return (int)((until - j->start) / 60.0);
}

static void describe_training(const cJSON *rq, struct fakejobs_answer *out)
{
	const struct fjob *j = find(jstr(rq, "TrainingJobName"));
	if (!j) {
		aws_json_error(out, 400, "ValidationException", "Requested resource not found.", 0);
		return;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "TrainingJobName", j->name);
	char *a = arn("training-job", j->name);
	cJSON_AddStringToObject(o, "TrainingJobArn", a);
	free(a);
	if (j->tuning) {
		a = arn("hyper-parameter-tuning-job", j->tuning);
		cJSON_AddStringToObject(o, "TuningJobArn", a);
		free(a);
	}
	cJSON_AddItemToObject(o, "ModelArtifacts",
			      cJSON_Parse("{\"S3ModelArtifacts\":\"s3://aiwb-test/output/model.tar.gz\"}"));
	cJSON_AddStringToObject(o, "TrainingJobStatus", j->status);
	cJSON_AddStringToObject(o, "SecondaryStatus", j->secondary ? j->secondary : "Starting");
	if (j->failure)
		cJSON_AddStringToObject(o, "FailureReason", j->failure);
	cJSON_AddItemToObject(o, "HyperParameters", cJSON_Parse("{\"epochs\":\"10\",\"lr\":\"0.01\"}"));
	cJSON *alg = cJSON_AddObjectToObject(o, "AlgorithmSpecification");
	cJSON_AddStringToObject(alg, "TrainingImage", ACCOUNT ".dkr.ecr." REGION ".amazonaws.com/train:latest");
	cJSON_AddStringToObject(alg, "TrainingInputMode", "File");
	if (j->metrics)
		cJSON_AddItemToObject(alg, "MetricDefinitions", metric_definitions());
	cJSON_AddBoolToObject(alg, "EnableSageMakerMetricsTimeSeries", 1);
	cJSON_AddStringToObject(o, "RoleArn", "arn:aws:iam::" ACCOUNT ":role/SageMakerRole");
	cJSON_AddItemToObject(o, "InputDataConfig",
			      cJSON_Parse("[{\"ChannelName\":\"train\",\"DataSource\":{\"S3DataSource\":{\"S3DataType\":"
					  "\"S3Prefix\",\"S3Uri\":\"s3://aiwb-test/train\"}}}]"));
	cJSON_AddItemToObject(o, "OutputDataConfig", cJSON_Parse("{\"S3OutputPath\":\"s3://aiwb-test/output\"}"));
	cJSON *rc = cJSON_AddObjectToObject(o, "ResourceConfig");
	cJSON_AddStringToObject(rc, "InstanceType", "ml.g5.xlarge");
	cJSON_AddNumberToObject(rc, "InstanceCount", j->hosts > 0 ? j->hosts : 1);
	cJSON_AddNumberToObject(rc, "VolumeSizeInGB", 30);
	cJSON_AddItemToObject(o, "StoppingCondition", cJSON_Parse("{\"MaxRuntimeInSeconds\":86400}"));
	add_time(o, "CreationTime", j->created);
	add_time(o, "TrainingStartTime", j->start);
	add_time(o, "TrainingEndTime", j->end);
	add_time(o, "LastModifiedTime", j->end > 0 ? j->end : t0);
	cJSON *tr = cJSON_AddArrayToObject(o, "SecondaryStatusTransitions");
	cJSON *t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "Status", "Starting");
	add_time(t, "StartTime", j->created);
	add_time(t, "EndTime", j->start > 0 ? j->start : 0);
	cJSON_AddStringToObject(t, "StatusMessage", "Preparing the instances for training");
	cJSON_AddItemToArray(tr, t);
	if (j->secondary && strcmp(j->secondary, "Starting") != 0) {
		t = cJSON_CreateObject();
		cJSON_AddStringToObject(t, "Status", j->secondary);
		add_time(t, "StartTime", j->start > 0 ? j->start : t0 - 30);
		add_time(t, "EndTime", j->end);
		cJSON_AddStringToObject(t, "StatusMessage", j->failure ? j->failure : "Training image download completed.");
		cJSON_AddItemToArray(tr, t);
	}
	if (j->end > 0) {
		cJSON_AddNumberToObject(o, "TrainingTimeInSeconds", floor(j->end - j->start));
		cJSON_AddNumberToObject(o, "BillableTimeInSeconds", floor(j->end - j->start));
		if (j->metrics) {
			int k = points_of(j);
			char fm[256];
			snprintf(fm, sizeof fm,
				 "[{\"MetricName\":\"train:loss\",\"Value\":%.6g,\"Timestamp\":%.3f},"
				 "{\"MetricName\":\"validation:accuracy\",\"Value\":%.6g,\"Timestamp\":%.3f},"
				 "{\"MetricName\":\"ObjectiveMetric\",\"Value\":0.5,\"Timestamp\":%.3f}]",
				 loss_at(k), j->end, acc_at(k), j->end, j->end);
			cJSON_AddItemToObject(o, "FinalMetricDataList", cJSON_Parse(fm));
		}
	}
	cJSON_AddBoolToObject(o, "EnableManagedSpotTraining", 0);
	json_answer(out, 200, o);
}

static void stop_training(const cJSON *rq, struct fakejobs_answer *out)
{
	struct fjob *j = find(jstr(rq, "TrainingJobName"));
	if (!j) {
		aws_json_error(out, 400, "ValidationException", "Requested resource not found.", 0);
		return;
	}
	if (strcmp(j->status, "InProgress") != 0) {
		aws_json_error(out, 400, "ValidationException", "The job is not in progress.", 0);
		return;
	}
	free(j->status);
	free(j->secondary);
	j->status = xstrdup("Stopping");
	j->secondary = xstrdup("Stopping");
	j->stop_at = now_s();
	json_answer(out, 200, cJSON_CreateObject());
}

static void create_training(const cJSON *rq, struct fakejobs_answer *out)
{
	const char *name = jstr(rq, "TrainingJobName");
	if (!name || !jstr(rq, "RoleArn") || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(rq, "OutputDataConfig")) ||
	    cJSON_GetObjectItemCaseSensitive(rq, "TrainingJobArn") || cJSON_GetObjectItemCaseSensitive(rq, "CreationTime")) {
		aws_json_error(out, 400, "ValidationException", "1 validation error detected", 0);
		return;
	}
	if (find(name)) {
		aws_json_error(out, 400, "ResourceInUse", "Training job names must be unique within an AWS account.", 0);
		return;
	}
	double saved = t0;
	t0 = now_s();
	add(name, "InProgress", "Starting", 0, 0, 1, 0);
	t0 = saved;
	cJSON *o = cJSON_CreateObject();
	char *a = arn("training-job", name);
	cJSON_AddStringToObject(o, "TrainingJobArn", a);
	free(a);
	json_answer(out, 200, o);
}

/* ---------------------------------------------------------------- tuning */

static void list_tuning(const cJSON *rq, struct fakejobs_answer *out)
{
	cJSON *o = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(o, "HyperParameterTuningJobSummaries");
	const char *nc = jstr(rq, "NameContains");
	if (!nc || strstr("hpo-1", nc)) {
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "HyperParameterTuningJobName", "hpo-1");
		char *a = arn("hyper-parameter-tuning-job", "hpo-1");
		cJSON_AddStringToObject(s, "HyperParameterTuningJobArn", a);
		free(a);
		cJSON_AddStringToObject(s, "HyperParameterTuningJobStatus", "InProgress");
		cJSON_AddStringToObject(s, "Strategy", "Bayesian");
		add_time(s, "CreationTime", t0 - 3200);
		add_time(s, "LastModifiedTime", t0);
		cJSON_AddItemToObject(s, "TrainingJobStatusCounters",
				      cJSON_Parse("{\"Completed\":1,\"InProgress\":1,\"RetryableError\":0,"
						  "\"NonRetryableError\":1,\"Stopped\":0}"));
		cJSON_AddItemToObject(s, "ObjectiveStatusCounters",
				      cJSON_Parse("{\"Succeeded\":1,\"Pending\":1,\"Failed\":1}"));
		cJSON_AddItemToArray(list, s);
	}
	json_answer(out, 200, o);
}

static void describe_tuning(const cJSON *rq, struct fakejobs_answer *out)
{
	const char *name = jstr(rq, "HyperParameterTuningJobName");
	if (!name || strcmp(name, "hpo-1") != 0) {
		aws_json_error(out, 400, "ResourceNotFound", "Amazon SageMaker can't find a tuning job.", 0);
		return;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "HyperParameterTuningJobName", "hpo-1");
	char *a = arn("hyper-parameter-tuning-job", "hpo-1");
	cJSON_AddStringToObject(o, "HyperParameterTuningJobArn", a);
	free(a);
	cJSON_AddItemToObject(o, "HyperParameterTuningJobConfig",
			      cJSON_Parse("{\"Strategy\":\"Bayesian\",\"HyperParameterTuningJobObjective\":{\"Type\":"
					  "\"Maximize\",\"MetricName\":\"validation:accuracy\"},\"ResourceLimits\":{"
					  "\"MaxNumberOfTrainingJobs\":3,\"MaxParallelTrainingJobs\":1}}"));
	cJSON_AddStringToObject(o, "HyperParameterTuningJobStatus", "InProgress");
	add_time(o, "CreationTime", t0 - 3200);
	add_time(o, "LastModifiedTime", t0);
	cJSON_AddItemToObject(o, "TrainingJobStatusCounters",
			      cJSON_Parse("{\"Completed\":1,\"InProgress\":1,\"RetryableError\":0,"
					  "\"NonRetryableError\":1,\"Stopped\":0}"));
	cJSON_AddItemToObject(o, "ObjectiveStatusCounters", cJSON_Parse("{\"Succeeded\":1,\"Pending\":1,\"Failed\":1}"));
	cJSON *best = cJSON_AddObjectToObject(o, "BestTrainingJob");
	cJSON_AddStringToObject(best, "TrainingJobName", "hpo-1-001-aaaa");
	a = arn("training-job", "hpo-1-001-aaaa");
	cJSON_AddStringToObject(best, "TrainingJobArn", a);
	free(a);
	add_time(best, "CreationTime", t0 - 3120);
	cJSON_AddStringToObject(best, "TrainingJobStatus", "Completed");
	cJSON_AddItemToObject(best, "TunedHyperParameters", cJSON_Parse("{\"lr\":\"0.01\"}"));
	cJSON_AddItemToObject(best, "FinalHyperParameterTuningJobObjectiveMetric",
			      cJSON_Parse("{\"Type\":\"Maximize\",\"MetricName\":\"validation:accuracy\",\"Value\":0.91}"));
	json_answer(out, 200, o);
}

/* ---------------------------------------------------------------- CloudWatch */

static void get_metric_data(const cJSON *rq, struct fakejobs_answer *out)
{
	const cJSON *qs = cJSON_GetObjectItemCaseSensitive(rq, "MetricDataQueries");
	double from = jnum(rq, "StartTime", 0), to = jnum(rq, "EndTime", 0);
	if (!cJSON_IsArray(qs) || cJSON_GetArraySize(qs) < 1 || cJSON_GetArraySize(qs) > 500 || !(to > from)) {
		aws_json_error(out, 400, "InvalidParameterValue", "The parameter MetricDataQueries is required.", 1);
		return;
	}
	size_t skip = page_start(rq, "NextToken");
	size_t more = 0;
	cJSON *o = cJSON_CreateObject(), *results = cJSON_AddArrayToObject(o, "MetricDataResults");
	const cJSON *q;
	cJSON_ArrayForEach(q, qs) {
		const cJSON *metric = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(q, "MetricStat"),
								       "Metric");
		const char *ns = jstr(metric, "Namespace"), *mname = jstr(metric, "MetricName"), *id = jstr(q, "Id");
		const cJSON *dim = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(metric, "Dimensions"), 0);
		if (!id || !(id[0] >= 'a' && id[0] <= 'z') || !ns || !mname) {
			cJSON_Delete(o);
			aws_json_error(out, 400, "InvalidParameterValue", "The value for Id must start with a lowercase letter.",
				       1);
			return;
		}
		cJSON *r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "Id", id);
		cJSON_AddStringToObject(r, "Label", jstr(q, "Label") ? jstr(q, "Label") : mname);
		cJSON *ts = cJSON_AddArrayToObject(r, "Timestamps"), *vs = cJSON_AddArrayToObject(r, "Values");
		const struct fjob *j = strcmp(ns, "/aws/sagemaker/TrainingJobs") == 0 && jstr(dim, "Name") &&
					       strcmp(jstr(dim, "Name"), "TrainingJobName") == 0
				       ? find(jstr(dim, "Value"))
				       : NULL;
		int loss = strcmp(mname, "train:loss") == 0, acc = strcmp(mname, "validation:accuracy") == 0;
		size_t seen = 0, put = 0;
		for (int k = 1; j && (loss || acc) && k <= points_of(j); k++) {
			double t = j->start + 60.0 * k;
			if (t < from || t >= to)
				continue;
			if (seen++ < skip)
				continue;
			if (put == METRIC_PAGE) {
				more = 1;
				break;
			}
			cJSON_AddItemToArray(ts, cJSON_CreateNumber(t));
			cJSON_AddItemToArray(vs, cJSON_CreateNumber(loss ? loss_at(k) : acc_at(k)));
			put++;
		}
		cJSON_AddStringToObject(r, "StatusCode", "Complete");
		cJSON_AddItemToArray(results, r);
	}
	if (more)
		set_next(o, "NextToken", skip + METRIC_PAGE, skip + METRIC_PAGE + 1);
	cJSON_AddArrayToObject(o, "Messages");
	json_answer(out, 200, o);
}

/* ---------------------------------------------------------------- CloudWatch Logs */

/* The events of a host's stream: a running job's grow by one every 2 s. */
static int events_of(const struct fjob *j)
{
	if (j->end > 0 || strcmp(j->status, "InProgress") != 0)
		return j->logs_static;
	return j->logs_static + (int)((now_s() - t0) / 2);
}

static char *stream_name(const struct fjob *j, int host)
{
	return xasprintf("%s/algo-%d-%lld", j->name, host, (long long)(j->start > 0 ? j->start : j->created));
}

/* "job/algo-N-T" -> the job and host; NULL when it names none. */
static const struct fjob *stream_job(const char *stream, int *host)
{
	for (size_t i = 0; stream && i < njobs; i++)
		for (int h = 1; h <= jobs[i].hosts; h++) {
			char *s = stream_name(&jobs[i], h);
			int same = strcmp(s, stream) == 0;
			free(s);
			if (same) {
				*host = h;
				return &jobs[i];
			}
		}
	return NULL;
}

static void describe_log_streams(const cJSON *rq, struct fakejobs_answer *out)
{
	const char *group = jstr(rq, "logGroupName"), *prefix = jstr(rq, "logStreamNamePrefix");
	if (!group || strcmp(group, "/aws/sagemaker/TrainingJobs") != 0) {
		aws_json_error(out, 400, "ResourceNotFoundException", "The specified log group does not exist.", 0);
		return;
	}
	/* one stream a page, so the pages are followed */
	size_t start = page_start(rq, "nextToken"), k = 0, next = 0;
	cJSON *o = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(o, "logStreams");
	for (size_t i = 0; i < njobs && !next; i++)
		for (int h = 1; h <= jobs[i].hosts; h++) {
			char *s = stream_name(&jobs[i], h);
			if (prefix && strncmp(s, prefix, strlen(prefix)) != 0) {
				free(s);
				continue;
			}
			if (k++ < start) {
				free(s);
				continue;
			}
			if (cJSON_GetArraySize(list) == 1) {
				next = k - 1;
				free(s);
				break;
			}
			cJSON *st = cJSON_CreateObject();
			cJSON_AddStringToObject(st, "logStreamName", s);
			cJSON_AddNumberToObject(st, "creationTime", floor(jobs[i].created * 1000));
			cJSON_AddNumberToObject(st, "storedBytes", 0);
			cJSON_AddItemToArray(list, st);
			free(s);
		}
	if (next)
		set_next(o, "nextToken", next, next + 1);
	json_answer(out, 200, o);
}

static void get_log_events(const cJSON *rq, struct fakejobs_answer *out)
{
	int host = 0;
	const struct fjob *j = stream_job(jstr(rq, "logStreamName"), &host);
	if (!j || !jstr(rq, "logGroupName")) {
		aws_json_error(out, 400, "ResourceNotFoundException", "The specified log stream does not exist.", 0);
		return;
	}
	const char *tok = jstr(rq, "nextToken");
	int from = 0;
	if (tok && strncmp(tok, "f/", 2) == 0)
		from = atoi(tok + 2);
	else if (tok) {
		aws_json_error(out, 400, "InvalidParameterException", "The specified nextToken is invalid.", 0);
		return;
	}
	int total = events_of(j), upto = from + EVENT_PAGE < total ? from + EVENT_PAGE : total;
	cJSON *o = cJSON_CreateObject(), *ev = cJSON_AddArrayToObject(o, "events");
	double base = j->start > 0 ? j->start : j->created;
	for (int k = from; k < upto; k++) {
		cJSON *e = cJSON_CreateObject();
		char msg[160];
		if (j->metrics)
			snprintf(msg, sizeof msg, "host %d epoch %d loss=%.4f acc=%.4f", host, k + 1, loss_at(k + 1),
				 acc_at(k + 1));
		else
			snprintf(msg, sizeof msg, "host %d line %d of %s", host, k + 1, j->name);
		cJSON_AddNumberToObject(e, "timestamp", floor((base + k) * 1000));
		cJSON_AddStringToObject(e, "message", msg);
		cJSON_AddNumberToObject(e, "ingestionTime", floor((base + k + 1) * 1000));
		cJSON_AddItemToArray(ev, e);
	}
	char f[32], b[32];
	/* at the end the same token comes back */
	snprintf(f, sizeof f, "f/%d", upto);
	snprintf(b, sizeof b, "b/%d", from);
	cJSON_AddStringToObject(o, "nextForwardToken", f);
	cJSON_AddStringToObject(o, "nextBackwardToken", b);
	json_answer(out, 200, o);
}

/* ---------------------------------------------------------------- Bedrock customization */

static const struct {
	const char *name, *status, *failure;
	int age_min, end_min;
	double train_loss;
	double val[2];
} customizations[] = {
	{ "ft-titan-1", "InProgress", NULL, 30, 0, NAN, { NAN, NAN } },
	{ "ft-titan-2", "Completed", NULL, 300, 120, 0.4213, { 0.5102, 0.5377 } },
	{ "ft-llama-3", "Failed", "Internal failure: the training data is not valid JSON Lines", 200, 190, NAN,
	  { NAN, NAN } },
	{ "ft-stopping", "Stopping", NULL, 60, 0, NAN, { NAN, NAN } },
	{ "ft-stopped", "Stopped", NULL, 500, 480, NAN, { NAN, NAN } },
};

static void iso(double t, char out[32])
{
	time_t s = (time_t)t;
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + 19, 13, ".%03dZ", (int)((t - floor(t)) * 1000));
}

static void customization_fields(cJSON *o, size_t i)
{
	char t[32], *a = xasprintf("arn:aws:bedrock:" REGION ":" ACCOUNT ":model-customization-job/%s",
				   customizations[i].name);
	cJSON_AddStringToObject(o, "jobArn", a);
	free(a);
	cJSON_AddStringToObject(o, "jobName", customizations[i].name);
	cJSON_AddStringToObject(o, "baseModelArn", "arn:aws:bedrock:" REGION "::foundation-model/amazon.titan-text-express-v1");
	cJSON_AddStringToObject(o, "status", customizations[i].status);
	iso(t0 - customizations[i].age_min * 60.0 + 0.25, t);
	cJSON_AddStringToObject(o, "creationTime", t);
	iso(t0, t);
	cJSON_AddStringToObject(o, "lastModifiedTime", t);
	if (customizations[i].end_min) {
		iso(t0 - customizations[i].end_min * 60.0, t);
		cJSON_AddStringToObject(o, "endTime", t);
	}
	cJSON_AddStringToObject(o, "customizationType", "FINE_TUNING");
}

static size_t query_num(const char *query, const char *key, size_t dflt)
{
	size_t n = strlen(key);
	for (const char *p = query; p && *p;) {
		if (strncmp(p, key, n) == 0 && p[n] == '=')
			return (size_t)strtoul(p + n + 1 + (p[n + 1] == 't'), NULL, 10);
		p = strchr(p, '&');
		if (p)
			p++;
	}
	return dflt;
}

static void list_customizations(const char *query, struct fakejobs_answer *out)
{
	size_t n = sizeof customizations / sizeof *customizations;
	size_t start = query_num(query, "nextToken", 0), max = query_num(query, "maxResults", 100);
	if (max > 2)
		max = 2;
	cJSON *o = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(o, "modelCustomizationJobSummaries");
	for (size_t i = start; i < n && i < start + max; i++) {
		cJSON *s = cJSON_CreateObject();
		customization_fields(s, i);
		cJSON_AddItemToArray(list, s);
	}
	set_next(o, "nextToken", start + max, n);
	json_answer(out, 200, o);
}

static void get_customization(const char *id, struct fakejobs_answer *out)
{
	for (size_t i = 0; i < sizeof customizations / sizeof *customizations; i++) {
		if (strcmp(customizations[i].name, id) != 0)
			continue;
		cJSON *o = cJSON_CreateObject();
		customization_fields(o, i);
		cJSON_AddStringToObject(o, "outputModelName", "my-custom-model");
		cJSON_AddStringToObject(o, "roleArn", "arn:aws:iam::" ACCOUNT ":role/BedrockRole");
		cJSON_AddItemToObject(o, "hyperParameters", cJSON_Parse("{\"epochCount\":\"2\",\"learningRate\":\"0.00001\"}"));
		cJSON_AddItemToObject(o, "trainingDataConfig", cJSON_Parse("{\"s3Uri\":\"s3://aiwb-test/ft/train.jsonl\"}"));
		cJSON_AddItemToObject(o, "outputDataConfig", cJSON_Parse("{\"s3Uri\":\"s3://aiwb-test/ft/out/\"}"));
		if (customizations[i].failure)
			cJSON_AddStringToObject(o, "failureMessage", customizations[i].failure);
		if (!isnan(customizations[i].train_loss)) {
			cJSON_AddNumberToObject(cJSON_AddObjectToObject(o, "trainingMetrics"), "trainingLoss",
						customizations[i].train_loss);
			cJSON *v = cJSON_AddArrayToObject(o, "validationMetrics");
			for (int k = 0; k < 2; k++) {
				cJSON *m = cJSON_CreateObject();
				cJSON_AddNumberToObject(m, "validationLoss", customizations[i].val[k]);
				cJSON_AddItemToArray(v, m);
			}
		}
		json_answer(out, 200, o);
		return;
	}
	rest_error(out, 404, "ResourceNotFoundException", "The specified model customization job was not found.");
}

/* ---------------------------------------------------------------- dispatch */

int fakejobs_match(const char *method, const char *path, const char *target, const char **service)
{
	*service = NULL;
	if (strcmp(path, "/_fake/aws-throttle") == 0)
		return strcmp(method, "POST") == 0;
	if (strncmp(path, "/model-customization-jobs", 25) == 0) {
		*service = "bedrock";
		return 1;
	}
	if (strcmp(path, "/") != 0 || !target)
		return 0;
	if (strncmp(target, "SageMaker.", 10) == 0)
		*service = "sagemaker";
	else if (strncmp(target, "GraniteServiceVersion20100801.", 30) == 0)
		*service = "monitoring";
	else if (strncmp(target, "Logs_20140328.", 14) == 0)
		*service = "logs";
	return *service != NULL;
}

static int throttled(const char *op)
{
	if (throttle_n <= 0 || (strcmp(throttle_op, "*") != 0 && strcmp(throttle_op, op) != 0))
		return 0;
	throttle_n--;
	return 1;
}

void fakejobs_handle(const char *method, const char *path, const char *query, const char *target, const char *body,
		     size_t len, struct fakejobs_answer *out)
{
	init();
	tick();
	if (strcmp(path, "/_fake/aws-throttle") == 0) {
		const char *op = strstr(query ? query : "", "op=");
		snprintf(throttle_op, sizeof throttle_op, "%.*s", op ? (int)strcspn(op + 3, "&") : 1, op ? op + 3 : "*");
		throttle_n = (long)query_num(query, "n", 1);
		json_answer(out, 200, cJSON_CreateObject());
		return;
	}
	if (strncmp(path, "/model-customization-jobs", 25) == 0) {
		const char *rest = path + 25;
		if (throttled(*rest ? "GetModelCustomizationJob" : "ListModelCustomizationJobs")) {
			rest_error(out, 429, "ThrottlingException", "Too many requests, please wait before trying again.");
			return;
		}
		size_t rl = strlen(rest);
		if (strcmp(method, "POST") == 0 && rl > 6 && strcmp(rest + rl - 5, "/stop") == 0)
			json_answer(out, 200, cJSON_CreateObject());
		else if (strcmp(method, "GET") != 0)
			rest_error(out, 405, "UnknownOperationException", "Unknown operation");
		else if (!*rest)
			list_customizations(query, out);
		else if (rest[0] == '/' && rest[1] && !strchr(rest + 1, '/'))
			get_customization(rest + 1, out);
		else
			rest_error(out, 404, "UnknownOperationException", "Unknown operation");
		return;
	}
	const char *op = strchr(target, '.') + 1;
	int cw = strncmp(target, "Granite", 7) == 0;
	if (throttled(op)) {
		if (cw)
			aws_json_error(out, 400, "Throttling", "Rate exceeded", 1);
		else
			aws_json_error(out, 400, "ThrottlingException", "Rate exceeded", 0);
		return;
	}
	cJSON *rq = cJSON_ParseWithLength(body ? body : "", len);
	if (!cJSON_IsObject(rq)) {
		cJSON_Delete(rq);
		aws_json_error(out, 400, "SerializationException", "Start of structure or map found where not expected.", cw);
		return;
	}
	static const struct {
		const char *target;
		void (*fn)(const cJSON *rq, struct fakejobs_answer *out);
	} ops[] = {
		{ "SageMaker.DescribeTrainingJob", describe_training },
		{ "SageMaker.StopTrainingJob", stop_training },
		{ "SageMaker.CreateTrainingJob", create_training },
		{ "SageMaker.ListHyperParameterTuningJobs", list_tuning },
		{ "SageMaker.DescribeHyperParameterTuningJob", describe_tuning },
		{ "GraniteServiceVersion20100801.GetMetricData", get_metric_data },
		{ "Logs_20140328.DescribeLogStreams", describe_log_streams },
		{ "Logs_20140328.GetLogEvents", get_log_events },
	};
	if (strcmp(target, "SageMaker.ListTrainingJobs") == 0)
		list_training(rq, NULL, out);
	else if (strcmp(target, "SageMaker.ListTrainingJobsForHyperParameterTuningJob") == 0) {
		const char *t = jstr(rq, "HyperParameterTuningJobName");
		if (!t || strcmp(t, "hpo-1") != 0)
			aws_json_error(out, 400, "ResourceNotFound", "Amazon SageMaker can't find a tuning job.", 0);
		else
			list_training(rq, t, out);
	} else {
		size_t i = 0;
		while (i < sizeof ops / sizeof *ops && strcmp(ops[i].target, target) != 0)
			i++;
		if (i < sizeof ops / sizeof *ops)
			ops[i].fn(rq, out);
		else
			aws_json_error(out, 400, "UnknownOperationException", "Unknown operation", cw);
	}
	cJSON_Delete(rq);
}
