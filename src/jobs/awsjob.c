#include "jobs/awsjob.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/xmalloc.h"

/* ---- statuses */

static const struct {
	const char *word;
	enum job_status status;
} secondary_in_progress[] = {
	{ "Pending", JOB_QUEUED },
	{ "Starting", JOB_STARTING },
	{ "LaunchingMLInstances", JOB_STARTING },
	{ "PreparingTrainingStack", JOB_STARTING },
	{ "Downloading", JOB_STARTING },
	{ "DownloadingTrainingImage", JOB_STARTING },
	{ "Interrupted", JOB_STARTING }, /* a spot interruption: it waits for capacity to start again */
	{ "Restarting", JOB_STARTING },
	{ "Training", JOB_RUNNING },
	{ "Uploading", JOB_RUNNING },
	{ "Updating", JOB_RUNNING },
	{ "Stopping", JOB_STOPPING },
};

enum job_status awsjob_training_status(const char *status, const char *secondary)
{
	if (!status)
		return JOB_UNKNOWN;
	if (strcmp(status, "InProgress") == 0) {
		if (!secondary || !*secondary)
			return JOB_RUNNING;
		for (size_t i = 0; i < sizeof secondary_in_progress / sizeof *secondary_in_progress; i++)
			if (strcmp(secondary, secondary_in_progress[i].word) == 0)
				return secondary_in_progress[i].status;
		return JOB_UNKNOWN;
	}
	if (strcmp(status, "Completed") == 0)
		return JOB_COMPLETED;
	if (strcmp(status, "Failed") == 0)
		return JOB_FAILED;
	if (strcmp(status, "Stopping") == 0 || strcmp(status, "Deleting") == 0)
		return JOB_STOPPING;
	if (strcmp(status, "Stopped") == 0)
		return secondary && (strcmp(secondary, "MaxRuntimeExceeded") == 0 ||
				     strcmp(secondary, "MaxWaitTimeExceeded") == 0)
			       ? JOB_TIMEOUT
			       : JOB_STOPPED;
	return JOB_UNKNOWN;
}

enum job_status awsjob_tuning_status(const char *status)
{
	static const struct {
		const char *word;
		enum job_status status;
	} map[] = {
		{ "InProgress", JOB_RUNNING }, { "Completed", JOB_COMPLETED }, { "Failed", JOB_FAILED },
		{ "Stopping", JOB_STOPPING },  { "Stopped", JOB_STOPPED },     { "Deleting", JOB_STOPPING },
		{ "DeleteFailed", JOB_FAILED },
	};
	for (size_t i = 0; status && i < sizeof map / sizeof *map; i++)
		if (strcmp(status, map[i].word) == 0)
			return map[i].status;
	return JOB_UNKNOWN;
}

enum job_status awsjob_customization_status(const char *status)
{
	static const struct {
		const char *word;
		enum job_status status;
	} map[] = {
		{ "InProgress", JOB_RUNNING }, { "Completed", JOB_COMPLETED }, { "Failed", JOB_FAILED },
		{ "Stopping", JOB_STOPPING },  { "Stopped", JOB_STOPPED },
	};
	for (size_t i = 0; status && i < sizeof map / sizeof *map; i++)
		if (strcmp(status, map[i].word) == 0)
			return map[i].status;
	return JOB_UNKNOWN;
}

int awsjob_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n < 1 || n > AWSJOB_NAME_MAX || name[0] == '-' || name[n - 1] == '-')
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == n;
}

/* ---- small JSON pieces */

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = get(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int num(const cJSON *o, const char *k, double *out)
{
	const cJSON *v = get(o, k);
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return 0;
	*out = v->valuedouble;
	return 1;
}

static double days_from_civil(long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (double)(era * 146097 + (long)doe - 719468);
}

double awsjob_time(const char *iso, int is_number, double number)
{
	if (is_number)
		return isfinite(number) && number > 0 ? number : 0;
	if (!iso)
		return 0;
	int y, mo, d, h, mi, s, n = 0;
	if (sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) != 6 || n != 19)
		return 0;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
		return 0;
	const char *p = iso + n;
	double frac = 0, scale = 0.1;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
	double offset = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om, m = 0;
		if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &m) != 2 || m != 5)
			return 0;
		offset = (oh * 3600.0 + om * 60.0) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return 0;
	}
	if (*p)
		return 0;
	double t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400.0 + h * 3600.0 + mi * 60.0 + s + frac - offset;
	return t > 0 ? t : 0;
}

static double when(const cJSON *o, const char *k)
{
	const cJSON *v = get(o, k);
	if (cJSON_IsNumber(v))
		return awsjob_time(NULL, 1, v->valuedouble);
	return cJSON_IsString(v) ? awsjob_time(v->valuestring, 0, 0) : 0;
}

static void set_next(const cJSON *o, const char *k, char **next)
{
	const char *t = str(o, k);
	*next = t && *t ? xstrdup(t) : NULL;
}

static char *print(cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static void add_ms(cJSON *o, const char *k, double s)
{
	if (s > 0)
		cJSON_AddNumberToObject(o, k, floor(s * 1000.0 + 0.5));
}

static void copy_member(cJSON *to, const cJSON *from, const char *k, const char *as)
{
	const cJSON *v = get(from, k);
	if (v)
		cJSON_AddItemToObject(to, as, cJSON_Duplicate(v, 1));
}

/* ---- lists */

struct list_keys {
	const char *list, *name, *arn, *status, *secondary, *failure, *created, *start, *end, *modified, *next;
};

static const struct list_keys list_keys[] = {
	[AWSJOB_TRAINING_JOBS] = { "TrainingJobSummaries", "TrainingJobName", "TrainingJobArn", "TrainingJobStatus",
				   "SecondaryStatus", "FailureReason", "CreationTime", "TrainingStartTime",
				   "TrainingEndTime", "LastModifiedTime", "NextToken" },
	[AWSJOB_TUNING_JOBS] = { "HyperParameterTuningJobSummaries", "HyperParameterTuningJobName",
				 "HyperParameterTuningJobArn", "HyperParameterTuningJobStatus", NULL, NULL, "CreationTime",
				 NULL, "HyperParameterTuningEndTime", "LastModifiedTime", "NextToken" },
	[AWSJOB_CUSTOMIZATION_JOBS] = { "modelCustomizationJobSummaries", "jobName", "jobArn", "status", NULL, NULL,
					"creationTime", NULL, "endTime", "lastModifiedTime", "nextToken" },
};

int awsjob_parse_list(enum awsjob_list kind, const char *body, size_t n, awsjob_summary_fn fn, void *ud, char **next,
		      struct err *e)
{
	const struct list_keys *k = &list_keys[kind];
	*next = NULL;
	cJSON *j = cJSON_ParseWithLength(body ? body : "", n);
	const cJSON *list = get(j, k->list);
	if (!cJSON_IsArray(list)) {
		cJSON_Delete(j);
		return err_set(e, "the answer is not the JSON of the job list (%s missing)", k->list);
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, list) {
		struct awsjob_summary s = {
			.name = str(it, k->name), .arn = str(it, k->arn), .status = str(it, k->status),
			.secondary = k->secondary ? str(it, k->secondary) : NULL,
			.failure = k->failure ? str(it, k->failure) : NULL, .created_s = when(it, k->created),
			.start_s = k->start ? when(it, k->start) : 0, .end_s = when(it, k->end),
			.modified_s = when(it, k->modified),
		};
		if (!s.name || !s.status)
			continue;
		const cJSON *obj = get(it, "FinalHyperParameterTuningJobObjectiveMetric");
		if (str(obj, "MetricName") && num(obj, "Value", &s.objective)) {
			s.has_objective = 1;
			s.objective_name = str(obj, "MetricName");
		}
		fn(ud, &s);
	}
	set_next(j, k->next, next);
	cJSON_Delete(j);
	return 0;
}

char *awsjob_list_request(const char *name_contains, const char *status, double created_after_s, int max_results,
			  const char *next)
{
	cJSON *o = cJSON_CreateObject();
	if (max_results > 0)
		cJSON_AddNumberToObject(o, "MaxResults", max_results);
	if (name_contains && *name_contains)
		cJSON_AddStringToObject(o, "NameContains", name_contains);
	if (status && *status)
		cJSON_AddStringToObject(o, "StatusEquals", status);
	if (created_after_s > 0)
		cJSON_AddNumberToObject(o, "CreationTimeAfter", floor(created_after_s));
	cJSON_AddStringToObject(o, "SortBy", "CreationTime");
	cJSON_AddStringToObject(o, "SortOrder", "Descending");
	if (next)
		cJSON_AddStringToObject(o, "NextToken", next);
	return print(o);
}

char *awsjob_tuning_children_request(const char *tuning_job, const char *next)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "HyperParameterTuningJobName", tuning_job);
	cJSON_AddNumberToObject(o, "MaxResults", 100);
	if (next)
		cJSON_AddStringToObject(o, "NextToken", next);
	return print(o);
}

char *awsjob_name_request(const char *key, const char *name)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, key, name);
	return print(o);
}

/* ---- details */

void awsjob_detail_free(struct awsjob_detail *d)
{
	if (!d)
		return;
	free(d->name);
	free(d->arn);
	free(d->status);
	free(d->secondary);
	free(d->failure);
	free(d->status_message);
	free(d->rules);
	for (size_t i = 0; i < d->n_metrics; i++)
		free(d->metrics[i]);
	free(d->metrics);
	free(d->tuning_parent);
	free(d->info);
	free(d->best);
	free(d->best_metric);
	memset(d, 0, sizeof *d);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void add_metric_name(struct awsjob_detail *d, const char *name)
{
	if (!name || !*name || d->n_metrics >= 64)
		return;
	for (size_t i = 0; i < d->n_metrics; i++)
		if (strcmp(d->metrics[i], name) == 0)
			return;
	d->metrics = xreallocarray(d->metrics, d->n_metrics + 1, sizeof *d->metrics);
	d->metrics[d->n_metrics++] = xstrdup(name);
}

static void common(struct awsjob_detail *d, const cJSON *j, const char *name_key, const char *arn_key,
		   const char *status_key)
{
	d->name = xstrdup(str(j, name_key));
	d->arn = dup_or_null(str(j, arn_key));
	d->status = xstrdup(str(j, status_key));
}

int awsjob_parse_training(const char *body, size_t n, struct awsjob_detail *out, awsjob_point_fn fn, void *ud,
			  struct err *e)
{
	memset(out, 0, sizeof *out);
	cJSON *j = cJSON_ParseWithLength(body ? body : "", n);
	if (!str(j, "TrainingJobName") || !str(j, "TrainingJobStatus")) {
		cJSON_Delete(j);
		return err_set(e, "the DescribeTrainingJob answer is not the JSON it should be (TrainingJobName, "
				  "TrainingJobStatus)");
	}
	common(out, j, "TrainingJobName", "TrainingJobArn", "TrainingJobStatus");
	out->secondary = dup_or_null(str(j, "SecondaryStatus"));
	out->failure = dup_or_null(str(j, "FailureReason"));
	out->created_s = when(j, "CreationTime");
	out->start_s = when(j, "TrainingStartTime");
	out->end_s = when(j, "TrainingEndTime");
	out->modified_s = when(j, "LastModifiedTime");
	const char *tuning = str(j, "TuningJobArn");
	if (tuning && strrchr(tuning, '/') && awsjob_name_valid(strrchr(tuning, '/') + 1))
		out->tuning_parent = xstrdup(strrchr(tuning, '/') + 1);

	cJSON *info = cJSON_CreateObject();
	if (out->arn)
		cJSON_AddStringToObject(info, "arn", out->arn);
	const cJSON *rc = get(j, "ResourceConfig");
	copy_member(info, rc, "InstanceType", "instance_type");
	copy_member(info, rc, "InstanceCount", "instance_count");
	copy_member(info, rc, "VolumeSizeInGB", "volume_gb");
	copy_member(info, j, "BillableTimeInSeconds", "billable_seconds");
	copy_member(info, j, "TrainingTimeInSeconds", "training_seconds");
	copy_member(info, get(j, "StoppingCondition"), "MaxRuntimeInSeconds", "max_runtime_seconds");
	copy_member(info, j, "EnableManagedSpotTraining", "spot");
	const cJSON *alg = get(j, "AlgorithmSpecification");
	copy_member(info, alg, "TrainingImage", "image");
	copy_member(info, alg, "AlgorithmName", "algorithm");
	copy_member(info, alg, "TrainingInputMode", "input_mode");
	copy_member(info, j, "HyperParameters", "hyperparameters");
	copy_member(info, j, "RoleArn", "role_arn");
	if (out->tuning_parent)
		cJSON_AddStringToObject(info, "tuning_job", out->tuning_parent);

	struct buf rules = BUF_INIT;
	cJSON *defs = cJSON_AddArrayToObject(info, "metric_definitions");
	const cJSON *it;
	cJSON_ArrayForEach(it, get(alg, "MetricDefinitions")) {
		const char *name = str(it, "Name"), *regex = str(it, "Regex");
		if (!name || !regex)
			continue;
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "name", name);
		cJSON_AddStringToObject(d, "regex", regex);
		cJSON_AddItemToArray(defs, d);
		if (!strchr(name, '\n') && !strchr(regex, '\n'))
			buf_printf(&rules, "%s%s=%s", rules.len ? "\n" : "", name, regex);
		add_metric_name(out, name);
	}
	out->rules = rules.len ? buf_detach(&rules) : NULL;
	buf_free(&rules);

	cJSON *finals = cJSON_AddArrayToObject(info, "final_metrics");
	cJSON_ArrayForEach(it, get(j, "FinalMetricDataList")) {
		struct awsjob_point p = { .name = str(it, "MetricName") };
		if (!p.name || !num(it, "Value", &p.value))
			continue;
		p.time_s = when(it, "Timestamp");
		cJSON *f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "name", p.name);
		cJSON_AddNumberToObject(f, "value", p.value);
		add_ms(f, "time_ms", p.time_s);
		cJSON_AddItemToArray(finals, f);
		add_metric_name(out, p.name);
		if (fn)
			fn(ud, &p);
	}
	cJSON *tr = cJSON_AddArrayToObject(info, "secondary_transitions");
	cJSON_ArrayForEach(it, get(j, "SecondaryStatusTransitions")) {
		if (!str(it, "Status"))
			continue;
		cJSON *t = cJSON_CreateObject();
		cJSON_AddStringToObject(t, "status", str(it, "Status"));
		add_ms(t, "start_ms", when(it, "StartTime"));
		add_ms(t, "end_ms", when(it, "EndTime"));
		if (str(it, "StatusMessage")) {
			cJSON_AddStringToObject(t, "message", str(it, "StatusMessage"));
			free(out->status_message);
			out->status_message = xstrdup(str(it, "StatusMessage"));
		}
		cJSON_AddItemToArray(tr, t);
	}
	if (out->failure)
		cJSON_AddStringToObject(info, "failure_reason", out->failure);
	out->info = print(info);
	cJSON_Delete(j);
	return 0;
}

int awsjob_parse_tuning(const char *body, size_t n, struct awsjob_detail *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	cJSON *j = cJSON_ParseWithLength(body ? body : "", n);
	if (!str(j, "HyperParameterTuningJobName") || !str(j, "HyperParameterTuningJobStatus")) {
		cJSON_Delete(j);
		return err_set(e, "the DescribeHyperParameterTuningJob answer is not the JSON it should be "
				  "(HyperParameterTuningJobName, HyperParameterTuningJobStatus)");
	}
	common(out, j, "HyperParameterTuningJobName", "HyperParameterTuningJobArn", "HyperParameterTuningJobStatus");
	out->failure = dup_or_null(str(j, "FailureReason"));
	out->created_s = when(j, "CreationTime");
	out->end_s = when(j, "HyperParameterTuningEndTime");
	out->modified_s = when(j, "LastModifiedTime");
	cJSON *info = cJSON_CreateObject();
	if (out->arn)
		cJSON_AddStringToObject(info, "arn", out->arn);
	const cJSON *cfg = get(j, "HyperParameterTuningJobConfig");
	copy_member(info, cfg, "Strategy", "strategy");
	const cJSON *objective = get(cfg, "HyperParameterTuningJobObjective");
	if (str(objective, "MetricName")) {
		cJSON *o = cJSON_AddObjectToObject(info, "objective");
		copy_member(o, objective, "Type", "type");
		copy_member(o, objective, "MetricName", "metric");
		add_metric_name(out, str(objective, "MetricName"));
	}
	copy_member(info, cfg, "ResourceLimits", "limits");
	copy_member(info, j, "TrainingJobStatusCounters", "training_job_counters");
	copy_member(info, j, "ObjectiveStatusCounters", "objective_counters");
	const cJSON *best = get(j, "BestTrainingJob");
	const cJSON *bm = get(best, "FinalHyperParameterTuningJobObjectiveMetric");
	if (str(best, "TrainingJobName")) {
		out->best = xstrdup(str(best, "TrainingJobName"));
		cJSON *b = cJSON_AddObjectToObject(info, "best_training_job");
		cJSON_AddStringToObject(b, "name", out->best);
		if (str(bm, "MetricName") && num(bm, "Value", &out->best_value)) {
			out->has_best = 1;
			out->best_metric = xstrdup(str(bm, "MetricName"));
			cJSON_AddStringToObject(b, "metric", out->best_metric);
			cJSON_AddNumberToObject(b, "value", out->best_value);
		}
		copy_member(b, best, "TunedHyperParameters", "hyperparameters");
	}
	if (out->failure)
		cJSON_AddStringToObject(info, "failure_reason", out->failure);
	out->info = print(info);
	cJSON_Delete(j);
	return 0;
}

int awsjob_parse_customization(const char *body, size_t n, struct awsjob_detail *out, awsjob_point_fn fn, void *ud,
			       struct err *e)
{
	memset(out, 0, sizeof *out);
	cJSON *j = cJSON_ParseWithLength(body ? body : "", n);
	if (!str(j, "jobName") || !str(j, "status")) {
		cJSON_Delete(j);
		return err_set(e, "the GetModelCustomizationJob answer is not the JSON it should be (jobName, status)");
	}
	common(out, j, "jobName", "jobArn", "status");
	out->failure = dup_or_null(str(j, "failureMessage"));
	out->created_s = when(j, "creationTime");
	out->end_s = when(j, "endTime");
	out->modified_s = when(j, "lastModifiedTime");
	cJSON *info = cJSON_CreateObject();
	if (out->arn)
		cJSON_AddStringToObject(info, "arn", out->arn);
	copy_member(info, j, "baseModelArn", "base_model");
	copy_member(info, j, "outputModelName", "output_model");
	copy_member(info, j, "outputModelArn", "output_model_arn");
	copy_member(info, j, "customizationType", "customization_type");
	copy_member(info, j, "hyperParameters", "hyperparameters");
	copy_member(info, j, "statusDetails", "status_details");
	copy_member(info, get(j, "outputDataConfig"), "s3Uri", "output_s3_uri");
	struct awsjob_point p = { .time_s = out->end_s > 0 ? out->end_s : out->modified_s };
	if (num(get(j, "trainingMetrics"), "trainingLoss", &p.value)) {
		p.name = "training_loss";
		add_metric_name(out, p.name);
		cJSON_AddNumberToObject(info, "training_loss", p.value);
		if (fn)
			fn(ud, &p);
	}
	int k = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, get(j, "validationMetrics")) {
		if (!num(it, "validationLoss", &p.value))
			continue;
		char name[32];
		k++;
		if (k == 1)
			snprintf(name, sizeof name, "validation_loss");
		else
			snprintf(name, sizeof name, "validation_loss_%d", k);
		p.name = name;
		add_metric_name(out, name);
		cJSON_AddNumberToObject(info, name, p.value);
		if (fn)
			fn(ud, &p);
	}
	if (out->failure)
		cJSON_AddStringToObject(info, "failure_reason", out->failure);
	out->info = print(info);
	cJSON_Delete(j);
	return 0;
}

char *awsjob_copy_request(const char *describe_body, size_t n, const char *new_name, struct err *e)
{
	static const char *const members[] = {
		"HyperParameters", "AlgorithmSpecification", "RoleArn", "InputDataConfig", "OutputDataConfig",
		"ResourceConfig", "VpcConfig", "StoppingCondition", "EnableNetworkIsolation",
		"EnableInterContainerTrafficEncryption", "EnableManagedSpotTraining", "CheckpointConfig",
		"DebugHookConfig", "DebugRuleConfigurations", "TensorBoardOutputConfig", "ExperimentConfig",
		"ProfilerConfig", "ProfilerRuleConfigurations", "Environment", "RetryStrategy", "RemoteDebugConfig",
		"InfraCheckConfig",
	};
	cJSON *j = cJSON_ParseWithLength(describe_body ? describe_body : "", n);
	if (!str(j, "RoleArn") || !cJSON_IsObject(get(j, "OutputDataConfig"))) {
		cJSON_Delete(j);
		err_set(e, "the described job has no RoleArn or OutputDataConfig to copy");
		return NULL;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "TrainingJobName", new_name);
	for (size_t i = 0; i < sizeof members / sizeof *members; i++)
		copy_member(o, j, members[i], members[i]);
	/* DebugRuleConfigurations and ProfilerRuleConfigurations come back with
	 * status members that CreateTrainingJob does not take; the experiment's
	 * trial component is the old job's own. */
	cJSON *exp = cJSON_GetObjectItemCaseSensitive(o, "ExperimentConfig");
	if (exp)
		cJSON_DeleteItemFromObjectCaseSensitive(exp, "TrialComponentDisplayName");
	cJSON_Delete(j);
	return print(o);
}

/* ---- CloudWatch GetMetricData */

char *awsjob_metric_request(const char *job, char *const *names, size_t n, double start_s, double end_s,
			    const char *next)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *qs = cJSON_AddArrayToObject(o, "MetricDataQueries");
	for (size_t i = 0; i < n; i++) {
		cJSON *q = cJSON_CreateObject();
		char id[24];
		snprintf(id, sizeof id, "m%zu", i);
		cJSON_AddStringToObject(q, "Id", id);
		cJSON *stat = cJSON_AddObjectToObject(q, "MetricStat");
		cJSON *m = cJSON_AddObjectToObject(stat, "Metric");
		cJSON_AddStringToObject(m, "Namespace", AWSJOB_METRIC_NAMESPACE);
		cJSON_AddStringToObject(m, "MetricName", names[i]);
		cJSON *dim = cJSON_CreateObject();
		cJSON_AddStringToObject(dim, "Name", "TrainingJobName");
		cJSON_AddStringToObject(dim, "Value", job);
		cJSON_AddItemToArray(cJSON_AddArrayToObject(m, "Dimensions"), dim);
		cJSON_AddNumberToObject(stat, "Period", 60);
		cJSON_AddStringToObject(stat, "Stat", "Average");
		cJSON_AddStringToObject(q, "Label", names[i]);
		cJSON_AddBoolToObject(q, "ReturnData", 1);
		cJSON_AddItemToArray(qs, q);
	}
	cJSON_AddNumberToObject(o, "StartTime", floor(start_s));
	cJSON_AddNumberToObject(o, "EndTime", ceil(end_s));
	cJSON_AddStringToObject(o, "ScanBy", "TimestampAscending");
	if (next)
		cJSON_AddStringToObject(o, "NextToken", next);
	return print(o);
}

int awsjob_parse_metric_data(const char *body, size_t n, char *const *names, size_t n_names, awsjob_point_fn fn,
			     void *ud, char **next, struct err *e)
{
	*next = NULL;
	cJSON *j = cJSON_ParseWithLength(body ? body : "", n);
	const cJSON *results = get(j, "MetricDataResults");
	if (!cJSON_IsArray(results)) {
		cJSON_Delete(j);
		return err_set(e, "the GetMetricData answer is not the JSON it should be (MetricDataResults)");
	}
	const cJSON *r;
	cJSON_ArrayForEach(r, results) {
		const char *id = str(r, "Id");
		char *end;
		if (!id || id[0] != 'm' || !id[1])
			continue;
		unsigned long i = strtoul(id + 1, &end, 10);
		if (*end || i >= n_names)
			continue;
		const cJSON *ts = get(r, "Timestamps"), *vs = get(r, "Values");
		if (!cJSON_IsArray(ts) || !cJSON_IsArray(vs))
			continue;
		const cJSON *t = ts->child, *v = vs->child;
		for (; t && v; t = t->next, v = v->next) {
			if (!cJSON_IsNumber(t) || !cJSON_IsNumber(v))
				continue;
			struct awsjob_point p = { .name = names[i], .value = v->valuedouble,
						  .time_s = awsjob_time(NULL, 1, t->valuedouble) };
			if (p.time_s > 0)
				fn(ud, &p);
		}
	}
	set_next(j, "NextToken", next);
	cJSON_Delete(j);
	return 0;
}

/* ---- CloudWatch Logs */

char *awsjob_streams_request(const char *job, const char *next)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "logGroupName", AWSJOB_LOG_GROUP);
	char *prefix = xasprintf("%s/", job);
	cJSON_AddStringToObject(o, "logStreamNamePrefix", prefix);
	free(prefix);
	cJSON_AddStringToObject(o, "orderBy", "LogStreamName");
	if (next)
		cJSON_AddStringToObject(o, "nextToken", next);
	return print(o);
}

int awsjob_parse_streams(const char *body, size_t n, awsjob_stream_fn fn, void *ud, char **next, struct err *e)
{
	*next = NULL;
	cJSON *j = cJSON_ParseWithLength(body ? body : "", n);
	const cJSON *list = get(j, "logStreams");
	if (!cJSON_IsObject(j) || (list && !cJSON_IsArray(list))) {
		cJSON_Delete(j);
		return err_set(e, "the DescribeLogStreams answer is not the JSON it should be (logStreams)");
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, list) {
		const char *name = str(it, "logStreamName");
		if (name && *name)
			fn(ud, name);
	}
	set_next(j, "nextToken", next);
	cJSON_Delete(j);
	return 0;
}

char *awsjob_events_request(const char *stream, const char *token)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "logGroupName", AWSJOB_LOG_GROUP);
	cJSON_AddStringToObject(o, "logStreamName", stream);
	cJSON_AddBoolToObject(o, "startFromHead", 1);
	cJSON_AddNumberToObject(o, "limit", 10000);
	if (token)
		cJSON_AddStringToObject(o, "nextToken", token);
	return print(o);
}

int awsjob_parse_events(const char *body, size_t n, awsjob_event_fn fn, void *ud, char **forward, struct err *e)
{
	*forward = NULL;
	cJSON *j = cJSON_ParseWithLength(body ? body : "", n);
	const cJSON *events = get(j, "events");
	const char *tok = str(j, "nextForwardToken");
	if (!tok || (events && !cJSON_IsArray(events))) {
		cJSON_Delete(j);
		return err_set(e, "the GetLogEvents answer is not the JSON it should be (events, nextForwardToken)");
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, events) {
		const char *msg = str(it, "message");
		double ts = 0;
		if (!msg)
			continue;
		num(it, "timestamp", &ts);
		fn(ud, ts > 0 && ts < 9e15 ? (int64_t)ts : 0, msg);
	}
	*forward = xstrdup(tok);
	cJSON_Delete(j);
	return 0;
}

char *awsjob_stream_host(const char *stream)
{
	const char *slash = strrchr(stream, '/');
	const char *h = slash ? slash + 1 : stream;
	size_t n = strlen(h);
	const char *dash = strrchr(h, '-');
	if (dash && dash[1] && strspn(dash + 1, "0123456789") == strlen(dash + 1) && dash > h)
		n = (size_t)(dash - h);
	return xstrndup(h, n);
}
