/* The fake SageMaker Model Monitor API (JSON 1.1, POST / with X-Amz-Target
 * SageMaker.OP, signed for service sagemaker): ListMonitoringSchedules,
 * ListMonitoringExecutions (with ScheduledTimeAfter/Before, both exclusive),
 * DescribeMonitoringSchedule and
 * DescribeProcessingJob over the schedules of --svc sagemaker-monitor=FILE
 * (tests/fakes/README.md has its shape), --svc sagemaker-page=N summaries a
 * page (default: MaxResults). Other SageMaker operations are left to other
 * services. Errors are {"__type","message"} with x-amzn-ErrorType. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "svc.h"

#define ACCOUNT "123456789012"

static cJSON *data;
static long page_size;
static unsigned long seq;

int svc_smmonitor_option(const char *key, const char *value)
{
	if (strcmp(key, "sagemaker-page") == 0) {
		char *end;
		page_size = strtol(value, &end, 10);
		if (*end || page_size < 1 || page_size > 100) {
			fprintf(stderr, "fakellm: --svc sagemaker-page wants 1 to 100\n");
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "sagemaker-monitor") != 0)
		return 1;
	FILE *f = fopen(value, "rb");
	if (!f) {
		fprintf(stderr, "fakellm: cannot open %s\n", value);
		return -1;
	}
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, got);
	fclose(f);
	cJSON_Delete(data);
	data = cJSON_ParseWithLength(buf_str(&b), b.len);
	buf_free(&b);
	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(data, "schedules"))) {
		fprintf(stderr, "fakellm: %s is not {\"schedules\":[...]}\n", value);
		return -1;
	}
	return 0;
}

void svc_smmonitor_cleanup(void)
{
	cJSON_Delete(data);
	data = NULL;
}

static void json_error(struct svc_response *out, int status, const char *type, const char *msg)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "__type", type);
	cJSON_AddStringToObject(o, "message", msg);
	char *s = cJSON_PrintUnformatted(o);
	buf_puts(&out->body, s);
	free(s);
	cJSON_Delete(o);
	out->status = status;
	out->content_type = "application/x-amz-json-1.1";
	buf_printf(&out->headers, "x-amzn-ErrorType: %s\r\n", type);
}

static void json_ok(struct svc_response *out, cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);
	buf_puts(&out->body, s);
	free(s);
	cJSON_Delete(o);
	out->status = 200;
	out->content_type = "application/x-amz-json-1.1";
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void copy(cJSON *to, const cJSON *from, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(from, k);
	if (v)
		cJSON_AddItemToObject(to, k, cJSON_Duplicate(v, 1));
}

static char *schedule_arn(const char *region, const char *name)
{
	return xasprintf("arn:aws:sagemaker:%s:" ACCOUNT ":monitoring-schedule/%s", region, name);
}

static const cJSON *find_schedule(const char *name)
{
	const cJSON *s;
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(data, "schedules"))
		if (name && str(s, "MonitoringScheduleName") && strcmp(str(s, "MonitoringScheduleName"), name) == 0)
			return s;
	return NULL;
}

/* The page [start, start + n) of total and the NextToken after it. */
static long page_of(const cJSON *req, long total, long *start, struct svc_response *out)
{
	const char *tok = str(req, "NextToken");
	const cJSON *mr = cJSON_GetObjectItemCaseSensitive(req, "MaxResults");
	long n = cJSON_IsNumber(mr) ? (long)mr->valuedouble : 100;
	if (n < 1 || n > 100) {
		json_error(out, 400, "ValidationException", "MaxResults must be between 1 and 100");
		return -1;
	}
	if (page_size && page_size < n)
		n = page_size;
	*start = 0;
	if (tok) {
		char *end;
		*start = strtol(tok + (strncmp(tok, "page-", 5) == 0 ? 5 : 0), &end, 10);
		if (strncmp(tok, "page-", 5) != 0 || *end || *start < 0 || *start > total) {
			json_error(out, 400, "ValidationException", "Invalid pagination token");
			return -1;
		}
	}
	return *start + n < total ? n : total - *start;
}

static void next_token(cJSON *o, long next, long total)
{
	if (next < total) {
		char t[32];
		snprintf(t, sizeof t, "page-%ld", next);
		cJSON_AddStringToObject(o, "NextToken", t);
	}
}

static void list_schedules(const cJSON *req, const struct svc_aws *aws, struct svc_response *out)
{
	const cJSON *all = cJSON_GetObjectItemCaseSensitive(data, "schedules");
	long total = cJSON_GetArraySize(all), start;
	long n = page_of(req, total, &start, out);
	if (n < 0)
		return;
	cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "MonitoringScheduleSummaries");
	for (long i = start; i < start + n; i++) {
		const cJSON *s = cJSON_GetArrayItem(all, (int)i);
		cJSON *m = cJSON_CreateObject();
		copy(m, s, "MonitoringScheduleName");
		char *arn = schedule_arn(aws->region, str(s, "MonitoringScheduleName"));
		cJSON_AddStringToObject(m, "MonitoringScheduleArn", arn);
		free(arn);
		copy(m, s, "CreationTime");
		copy(m, s, "LastModifiedTime");
		copy(m, s, "MonitoringScheduleStatus");
		copy(m, s, "EndpointName");
		copy(m, s, "MonitoringJobDefinitionName");
		copy(m, s, "MonitoringType");
		cJSON_AddItemToArray(arr, m);
	}
	next_token(o, start + n, total);
	json_ok(out, o);
}

static cJSON *execution_summary(const cJSON *s, const cJSON *x, const struct svc_aws *aws)
{
	cJSON *m = cJSON_CreateObject();
	copy(m, s, "MonitoringScheduleName");
	copy(m, x, "ScheduledTime");
	copy(m, x, "CreationTime");
	copy(m, x, "LastModifiedTime");
	copy(m, x, "MonitoringExecutionStatus");
	const char *pj = str(x, "ProcessingJobName");
	if (pj) {
		char *arn = xasprintf("arn:aws:sagemaker:%s:" ACCOUNT ":processing-job/%s", aws->region, pj);
		cJSON_AddStringToObject(m, "ProcessingJobArn", arn);
		free(arn);
	}
	copy(m, s, "EndpointName");
	copy(m, x, "FailureReason");
	copy(m, s, "MonitoringJobDefinitionName");
	copy(m, s, "MonitoringType");
	return m;
}

static double when(const cJSON *x)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(x, "ScheduledTime");
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void list_executions(const cJSON *req, const struct svc_aws *aws, struct svc_response *out)
{
	const char *name = str(req, "MonitoringScheduleName");
	const char *order = str(req, "SortOrder");
	int asc = order && strcmp(order, "Ascending") == 0;
	const cJSON *after = cJSON_GetObjectItemCaseSensitive(req, "ScheduledTimeAfter");
	const cJSON *before = cJSON_GetObjectItemCaseSensitive(req, "ScheduledTimeBefore");
	/* every execution of the schedule (or of all), sorted by ScheduledTime */
	const cJSON *sched;
	size_t nx = 0, cap = 0;
	struct pair {
		const cJSON *s, *x;
	} *v = NULL;
	cJSON_ArrayForEach(sched, cJSON_GetObjectItemCaseSensitive(data, "schedules"))
	{
		if (name && strcmp(name, str(sched, "MonitoringScheduleName") ? str(sched, "MonitoringScheduleName") : "") != 0)
			continue;
		const cJSON *x;
		cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(sched, "Executions"))
		{
			if ((cJSON_IsNumber(after) && when(x) <= after->valuedouble) ||
			    (cJSON_IsNumber(before) && when(x) >= before->valuedouble))
				continue;
			v = xgrow(v, &cap, nx + 1, sizeof *v);
			v[nx++] = (struct pair){ sched, x };
		}
	}
	for (size_t i = 1; i < nx; i++)
		for (size_t j = i; j > 0 && (asc ? when(v[j].x) < when(v[j - 1].x) : when(v[j].x) > when(v[j - 1].x)); j--) {
			struct pair t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	long start, n = page_of(req, (long)nx, &start, out);
	if (n >= 0) {
		cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "MonitoringExecutionSummaries");
		for (long i = start; i < start + n; i++)
			cJSON_AddItemToArray(arr, execution_summary(v[i].s, v[i].x, aws));
		next_token(o, start + n, (long)nx);
		json_ok(out, o);
	}
	free(v);
}

static void describe_schedule(const cJSON *req, const struct svc_aws *aws, struct svc_response *out)
{
	const char *name = str(req, "MonitoringScheduleName");
	const cJSON *s = find_schedule(name);
	if (!s) {
		json_error(out, 400, "ResourceNotFound", "Could not find the monitoring schedule.");
		return;
	}
	cJSON *o = cJSON_CreateObject();
	char *arn = schedule_arn(aws->region, name);
	cJSON_AddStringToObject(o, "MonitoringScheduleArn", arn);
	free(arn);
	copy(o, s, "MonitoringScheduleName");
	copy(o, s, "MonitoringScheduleStatus");
	copy(o, s, "MonitoringType");
	copy(o, s, "FailureReason");
	copy(o, s, "CreationTime");
	copy(o, s, "LastModifiedTime");
	copy(o, s, "EndpointName");
	cJSON *cfg = cJSON_AddObjectToObject(o, "MonitoringScheduleConfig");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(cfg, "ScheduleConfig"), "ScheduleExpression",
				str(s, "ScheduleExpression") ? str(s, "ScheduleExpression") : "cron(0 * ? * * *)");
	cJSON *def = cJSON_AddObjectToObject(cfg, "MonitoringJobDefinition");
	cJSON *base = cJSON_AddObjectToObject(def, "BaselineConfig");
	if (str(s, "BaselineConstraints"))
		cJSON_AddStringToObject(cJSON_AddObjectToObject(base, "ConstraintsResource"), "S3Uri",
					str(s, "BaselineConstraints"));
	if (str(s, "BaselineStatistics"))
		cJSON_AddStringToObject(cJSON_AddObjectToObject(base, "StatisticsResource"), "S3Uri",
					str(s, "BaselineStatistics"));
	cJSON *outs = cJSON_AddArrayToObject(cJSON_AddObjectToObject(def, "MonitoringOutputConfig"), "MonitoringOutputs");
	cJSON *s3o = cJSON_AddObjectToObject(cJSON_CreateObject(), "S3Output");
	cJSON_AddStringToObject(s3o, "S3Uri", str(s, "OutputS3Uri") ? str(s, "OutputS3Uri") : "");
	cJSON_AddStringToObject(s3o, "LocalPath", "/opt/ml/processing/output");
	cJSON_AddStringToObject(s3o, "S3UploadMode", "Continuous");
	cJSON *wrap = cJSON_CreateObject();
	cJSON_AddItemToObject(wrap, "S3Output", cJSON_Duplicate(s3o, 1));
	cJSON_AddItemToArray(outs, wrap);
	cJSON_Delete(s3o);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(def, "MonitoringAppSpecification"), "ImageUri",
				"156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer");
	cJSON_AddStringToObject(def, "RoleArn", "arn:aws:iam::" ACCOUNT ":role/monitor");
	copy(cfg, s, "MonitoringJobDefinitionName");
	copy(cfg, s, "MonitoringType");
	const cJSON *xs = cJSON_GetObjectItemCaseSensitive(s, "Executions"), *x, *last = NULL;
	cJSON_ArrayForEach(x, xs)
		if (!last || when(x) > when(last))
			last = x;
	if (last)
		cJSON_AddItemToObject(o, "LastMonitoringExecutionSummary", execution_summary(s, last, aws));
	json_ok(out, o);
}

static void describe_processing_job(const cJSON *req, const struct svc_aws *aws, struct svc_response *out)
{
	const char *name = str(req, "ProcessingJobName");
	const cJSON *sched, *x;
	cJSON_ArrayForEach(sched, cJSON_GetObjectItemCaseSensitive(data, "schedules"))
		cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(sched, "Executions"))
			if (name && str(x, "ProcessingJobName") && strcmp(str(x, "ProcessingJobName"), name) == 0)
				goto found;
	json_error(out, 400, "ResourceNotFound", "Could not find the processing job.");
	return;
found:;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "ProcessingJobName", name);
	char *arn = xasprintf("arn:aws:sagemaker:%s:" ACCOUNT ":processing-job/%s", aws->region, name);
	cJSON_AddStringToObject(o, "ProcessingJobArn", arn);
	free(arn);
	const char *st = str(x, "MonitoringExecutionStatus");
	const char *pst = !st ? "InProgress" : strncmp(st, "Completed", 9) == 0 ? "Completed" : st;
	cJSON_AddStringToObject(o, "ProcessingJobStatus", pst);
	if (st && strcmp(st, "CompletedWithViolations") == 0)
		cJSON_AddStringToObject(o, "ExitMessage", "CompletedWithViolations: Job completed successfully with 3 violations.");
	copy(o, x, "FailureReason");
	copy(o, x, "CreationTime");
	copy(o, x, "LastModifiedTime");
	cJSON *outs = cJSON_AddArrayToObject(cJSON_AddObjectToObject(o, "ProcessingOutputConfig"), "Outputs");
	cJSON *one = cJSON_CreateObject();
	cJSON_AddStringToObject(one, "OutputName", "result");
	cJSON *s3o = cJSON_AddObjectToObject(one, "S3Output");
	cJSON_AddStringToObject(s3o, "S3Uri", str(x, "OutputS3Uri") ? str(x, "OutputS3Uri") : "");
	cJSON_AddStringToObject(s3o, "LocalPath", "/opt/ml/processing/output");
	cJSON_AddStringToObject(s3o, "S3UploadMode", "EndOfJob");
	cJSON_AddItemToArray(outs, one);
	char *sarn = schedule_arn(aws->region, str(sched, "MonitoringScheduleName"));
	cJSON_AddStringToObject(o, "MonitoringScheduleArn", sarn);
	free(sarn);
	json_ok(out, o);
}

bool svc_smmonitor_dispatch(const struct svc_request *r, const struct svc_aws *aws, struct svc_response *out)
{
	const char *target = svc_header(r, "x-amz-target");
	if (!data || !target || strcmp(r->method, "POST") != 0 || strcmp(r->path, "/") != 0 ||
	    strncmp(target, "SageMaker.", 10) != 0)
		return false;
	const char *op = target + 10;
	static const struct {
		const char *op, *route;
		void (*fn)(const cJSON *, const struct svc_aws *, struct svc_response *);
	} ops[] = {
		{ "ListMonitoringSchedules", "sagemaker.list-monitoring-schedules", list_schedules },
		{ "ListMonitoringExecutions", "sagemaker.list-monitoring-executions", list_executions },
		{ "DescribeMonitoringSchedule", "sagemaker.describe-monitoring-schedule", describe_schedule },
		{ "DescribeProcessingJob", "sagemaker.describe-processing-job", describe_processing_job },
	};
	size_t i;
	for (i = 0; i < sizeof ops / sizeof *ops && strcmp(ops[i].op, op) != 0; i++)
		;
	if (i == sizeof ops / sizeof *ops)
		return false;
	seq++;
	out->route = ops[i].route;
	const char *a = svc_header(r, "authorization");
	out->auth = !a ? "none" : strncmp(a, "AWS4-HMAC-SHA256 ", 17) == 0 ? "sigv4" : "other";
	buf_printf(&out->headers, "x-amzn-RequestId: fake-sm-%08lx\r\n", seq);
	const char *code;
	char msg[256];
	if (!svc_check_sigv4(r, aws, "sagemaker", NULL, &code, msg, sizeof msg)) {
		json_error(out, 403, strcmp(code, "SignatureDoesNotMatch") == 0 ? "InvalidSignatureException"
				     : strcmp(code, "InvalidAccessKeyId") == 0      ? "UnrecognizedClientException"
										    : "AccessDeniedException",
			   msg);
		return true;
	}
	out->auth_ok = true;
	const char *ct = svc_header(r, "content-type");
	cJSON *req = cJSON_ParseWithLength(r->body ? r->body : "", r->body_len);
	if (!ct || strcmp(ct, "application/x-amz-json-1.1") != 0)
		json_error(out, 400, "SerializationException", "Content-Type must be application/x-amz-json-1.1");
	else if (!cJSON_IsObject(req))
		json_error(out, 400, "SerializationException", "Unable to parse the request body as JSON.");
	else
		ops[i].fn(req, aws, out);
	cJSON_Delete(req);
	return true;
}
