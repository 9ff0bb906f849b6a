/* jobs/awsjob: the wire formats of the AWS job sources. Every SageMaker
 * status and secondary status maps (an unknown word to unknown), tuning and
 * Bedrock statuses too; job names; timestamps as JSON numbers (exponent
 * form) and ISO 8601 strings; list pages of the three list operations with
 * their tokens; DescribeTrainingJob into facts, rules and final metrics;
 * a tuning job's best training job; Bedrock's training and validation
 * losses; the CreateTrainingJob copy; GetMetricData requests and answers;
 * DescribeLogStreams and GetLogEvents; wrong shapes refused in one sentence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "jobs/awsjob.h"

static void test_training_status(void **state)
{
	(void)state;
	static const struct {
		const char *status, *secondary;
		enum job_status want;
	} rows[] = {
		{ "InProgress", "Pending", JOB_QUEUED },
		{ "InProgress", "Starting", JOB_STARTING },
		{ "InProgress", "LaunchingMLInstances", JOB_STARTING },
		{ "InProgress", "PreparingTrainingStack", JOB_STARTING },
		{ "InProgress", "Downloading", JOB_STARTING },
		{ "InProgress", "DownloadingTrainingImage", JOB_STARTING },
		{ "InProgress", "Interrupted", JOB_STARTING },
		{ "InProgress", "Restarting", JOB_STARTING },
		{ "InProgress", "Training", JOB_RUNNING },
		{ "InProgress", "Uploading", JOB_RUNNING },
		{ "InProgress", "Updating", JOB_RUNNING },
		{ "InProgress", "Stopping", JOB_STOPPING },
		{ "InProgress", NULL, JOB_RUNNING },
		{ "InProgress", "Napping", JOB_UNKNOWN },
		{ "Completed", "Completed", JOB_COMPLETED },
		{ "Failed", "Failed", JOB_FAILED },
		{ "Stopping", "Stopping", JOB_STOPPING },
		{ "Deleting", "Completed", JOB_STOPPING },
		{ "Stopped", "Stopped", JOB_STOPPED },
		{ "Stopped", "MaxRuntimeExceeded", JOB_TIMEOUT },
		{ "Stopped", "MaxWaitTimeExceeded", JOB_TIMEOUT },
		{ "Hibernating", "Training", JOB_UNKNOWN },
		{ "completed", "Completed", JOB_UNKNOWN },
		{ NULL, NULL, JOB_UNKNOWN },
	};
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		enum job_status got = awsjob_training_status(rows[i].status, rows[i].secondary);
		if (got != rows[i].want)
			fail_msg("%s/%s: %s, not %s", rows[i].status, rows[i].secondary, job_status_name(got),
				 job_status_name(rows[i].want));
	}
	assert_int_equal(awsjob_tuning_status("InProgress"), JOB_RUNNING);
	assert_int_equal(awsjob_tuning_status("Completed"), JOB_COMPLETED);
	assert_int_equal(awsjob_tuning_status("Failed"), JOB_FAILED);
	assert_int_equal(awsjob_tuning_status("Stopping"), JOB_STOPPING);
	assert_int_equal(awsjob_tuning_status("Stopped"), JOB_STOPPED);
	assert_int_equal(awsjob_tuning_status("Deleting"), JOB_STOPPING);
	assert_int_equal(awsjob_tuning_status("DeleteFailed"), JOB_FAILED);
	assert_int_equal(awsjob_tuning_status("Paused"), JOB_UNKNOWN);
	assert_int_equal(awsjob_customization_status("InProgress"), JOB_RUNNING);
	assert_int_equal(awsjob_customization_status("Completed"), JOB_COMPLETED);
	assert_int_equal(awsjob_customization_status("Failed"), JOB_FAILED);
	assert_int_equal(awsjob_customization_status("Stopping"), JOB_STOPPING);
	assert_int_equal(awsjob_customization_status("Stopped"), JOB_STOPPED);
	assert_int_equal(awsjob_customization_status("Queued"), JOB_UNKNOWN);
	assert_int_equal(awsjob_customization_status(NULL), JOB_UNKNOWN);
}

static void test_names_and_times(void **state)
{
	(void)state;
	assert_true(awsjob_name_valid("my-job-1"));
	assert_true(awsjob_name_valid("a"));
	assert_false(awsjob_name_valid(""));
	assert_false(awsjob_name_valid("-a"));
	assert_false(awsjob_name_valid("a-"));
	assert_false(awsjob_name_valid("a/b"));
	assert_false(awsjob_name_valid("../x"));
	assert_false(awsjob_name_valid("a b"));
	assert_true(awsjob_name_valid("abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123"));
	assert_false(awsjob_name_valid("abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234"));
	assert_true(fabs(awsjob_time(NULL, 1, 1.735442939457E9) - 1735442939.457) < 1e-6);
	assert_true(awsjob_time(NULL, 1, -3) == 0);
	assert_true(awsjob_time(NULL, 1, NAN) == 0);
	assert_true(awsjob_time("2024-01-02T03:04:05Z", 0, 0) == 1704164645.0);
	assert_true(fabs(awsjob_time("2024-01-02T03:04:05.250Z", 0, 0) - 1704164645.25) < 1e-6);
	assert_true(awsjob_time("2024-01-02T05:04:05+02:00", 0, 0) == 1704164645.0);
	assert_true(awsjob_time("2024-01-02T03:04:05", 0, 0) == 0);
	assert_true(awsjob_time("2024-13-02T03:04:05Z", 0, 0) == 0);
	assert_true(awsjob_time("2024-01-02T03:04:05Zjunk", 0, 0) == 0);
	assert_true(awsjob_time(NULL, 0, 0) == 0);
	char *h = awsjob_stream_host("my-job/algo-1-1700000000");
	assert_string_equal(h, "algo-1");
	free(h);
	h = awsjob_stream_host("my-job/algo-12");
	assert_string_equal(h, "algo");
	free(h);
	h = awsjob_stream_host("plain");
	assert_string_equal(h, "plain");
	free(h);
}

struct seen {
	struct buf text;
	int n;
};

static void on_summary(void *ud, const struct awsjob_summary *s)
{
	struct seen *k = ud;
	k->n++;
	buf_printf(&k->text, "%s|%s|%s|%.3f|%.3f|%s;", s->name, s->status, s->secondary ? s->secondary : "-",
		   s->created_s, s->end_s, s->has_objective ? s->objective_name : "-");
}

static void test_lists(void **state)
{
	(void)state;
	struct seen k = { BUF_INIT, 0 };
	char *next = NULL;
	struct err e = ERR_INIT;
	const char *page = "{\"TrainingJobSummaries\":[{\"TrainingJobName\":\"a\",\"TrainingJobArn\":\"arn\","
			   "\"CreationTime\":1.7000000001E9,\"TrainingEndTime\":1700003600,\"TrainingJobStatus\":"
			   "\"Completed\",\"SecondaryStatus\":\"Completed\"},{\"TrainingJobName\":\"b\"},"
			   "{\"TrainingJobName\":\"c\",\"TrainingJobStatus\":\"InProgress\",\"CreationTime\":1,"
			   "\"FinalHyperParameterTuningJobObjectiveMetric\":{\"MetricName\":\"acc\",\"Value\":0.5}}],"
			   "\"NextToken\":\"tok\"}";
	assert_int_equal(awsjob_parse_list(AWSJOB_TRAINING_JOBS, page, strlen(page), on_summary, &k, &next, &e), 0);
	assert_int_equal(k.n, 2); /* b has no status */
	assert_string_equal(buf_str(&k.text), "a|Completed|Completed|1700000000.100|1700003600.000|-;"
					      "c|InProgress|-|1.000|0.000|acc;");
	assert_string_equal(next, "tok");
	free(next);
	buf_reset(&k.text);
	const char *last = "{\"HyperParameterTuningJobSummaries\":[{\"HyperParameterTuningJobName\":\"h\","
			   "\"HyperParameterTuningJobStatus\":\"Completed\",\"CreationTime\":5,"
			   "\"HyperParameterTuningEndTime\":9}],\"NextToken\":\"\"}";
	assert_int_equal(awsjob_parse_list(AWSJOB_TUNING_JOBS, last, strlen(last), on_summary, &k, &next, &e), 0);
	assert_null(next);
	assert_string_equal(buf_str(&k.text), "h|Completed|-|5.000|9.000|-;");
	buf_reset(&k.text);
	const char *br = "{\"modelCustomizationJobSummaries\":[{\"jobName\":\"ft\",\"jobArn\":\"a\",\"status\":"
			 "\"InProgress\",\"creationTime\":\"2024-01-02T03:04:05Z\"}],\"nextToken\":\"n2\"}";
	assert_int_equal(awsjob_parse_list(AWSJOB_CUSTOMIZATION_JOBS, br, strlen(br), on_summary, &k, &next, &e), 0);
	assert_string_equal(buf_str(&k.text), "ft|InProgress|-|1704164645.000|0.000|-;");
	assert_string_equal(next, "n2");
	free(next);
	assert_int_equal(awsjob_parse_list(AWSJOB_TRAINING_JOBS, "{}", 2, on_summary, &k, &next, &e), -1);
	assert_non_null(strstr(e.msg, "TrainingJobSummaries"));
	assert_null(next);
	assert_int_equal(awsjob_parse_list(AWSJOB_TRAINING_JOBS, "nope", 4, on_summary, &k, &next, &e), -1);
	buf_free(&k.text);
}

static void test_list_request(void **state)
{
	(void)state;
	char *rq = awsjob_list_request("bert", "InProgress", 1700000000.7, 100, "t1");
	assert_string_equal(rq, "{\"MaxResults\":100,\"NameContains\":\"bert\",\"StatusEquals\":\"InProgress\","
				"\"CreationTimeAfter\":1700000000,\"SortBy\":\"CreationTime\",\"SortOrder\":\"Descending\","
				"\"NextToken\":\"t1\"}");
	free(rq);
	rq = awsjob_list_request(NULL, NULL, 0, 0, NULL);
	assert_string_equal(rq, "{\"SortBy\":\"CreationTime\",\"SortOrder\":\"Descending\"}");
	free(rq);
	rq = awsjob_tuning_children_request("hpo-1", NULL);
	assert_string_equal(rq, "{\"HyperParameterTuningJobName\":\"hpo-1\",\"MaxResults\":100}");
	free(rq);
	rq = awsjob_name_request("TrainingJobName", "a\"b");
	assert_string_equal(rq, "{\"TrainingJobName\":\"a\\\"b\"}");
	free(rq);
}

static const char describe[] =
	"{\"TrainingJobName\":\"j\",\"TrainingJobArn\":\"arn:aws:sagemaker:us-east-1:1:training-job/j\","
	"\"TuningJobArn\":\"arn:aws:sagemaker:us-east-1:1:hyper-parameter-tuning-job/hpo-1\","
	"\"ModelArtifacts\":{\"S3ModelArtifacts\":\"s3://b/m\"},\"TrainingJobStatus\":\"Stopped\","
	"\"SecondaryStatus\":\"MaxRuntimeExceeded\",\"HyperParameters\":{\"lr\":\"0.1\"},"
	"\"AlgorithmSpecification\":{\"TrainingImage\":\"img\",\"TrainingInputMode\":\"File\",\"MetricDefinitions\":["
	"{\"Name\":\"train:loss\",\"Regex\":\"loss=([0-9.]+)\"},{\"Name\":\"bad\"}]},"
	"\"RoleArn\":\"arn:aws:iam::1:role/r\",\"OutputDataConfig\":{\"S3OutputPath\":\"s3://b/o\"},"
	"\"ResourceConfig\":{\"InstanceType\":\"ml.m5.xlarge\",\"InstanceCount\":2,\"VolumeSizeInGB\":30},"
	"\"StoppingCondition\":{\"MaxRuntimeInSeconds\":3600},\"CreationTime\":1.7E9,\"TrainingStartTime\":1700000060,"
	"\"TrainingEndTime\":1700003660,\"LastModifiedTime\":1700003661,"
	"\"SecondaryStatusTransitions\":[{\"Status\":\"Starting\",\"StartTime\":1.7E9,\"EndTime\":1700000060,"
	"\"StatusMessage\":\"Launching requested ML instances\"},{\"Status\":\"Training\",\"StartTime\":1700000060,"
	"\"StatusMessage\":\"Training in progress\"}],"
	"\"FinalMetricDataList\":[{\"MetricName\":\"train:loss\",\"Value\":0.25,\"Timestamp\":1700003660},"
	"{\"MetricName\":\"ObjectiveMetric\",\"Value\":1}],\"BillableTimeInSeconds\":3600,\"TrainingTimeInSeconds\":3600,"
	"\"EnableManagedSpotTraining\":true,\"Environment\":{\"SECRET\":\"v\"},\"VpcConfig\":{\"Subnets\":[\"s\"]},"
	"\"ExperimentConfig\":{\"ExperimentName\":\"x\",\"TrialComponentDisplayName\":\"old\"}}";

static void on_point(void *ud, const struct awsjob_point *p)
{
	struct seen *k = ud;
	k->n++;
	buf_printf(&k->text, "%s=%g@%.0f;", p->name, p->value, p->time_s);
}

static void test_describe_training(void **state)
{
	(void)state;
	struct awsjob_detail d;
	struct seen k = { BUF_INIT, 0 };
	struct err e = ERR_INIT;
	assert_int_equal(awsjob_parse_training(describe, strlen(describe), &d, on_point, &k, &e), 0);
	assert_string_equal(d.name, "j");
	assert_string_equal(d.status, "Stopped");
	assert_string_equal(d.secondary, "MaxRuntimeExceeded");
	assert_string_equal(d.status_message, "Training in progress");
	assert_string_equal(d.tuning_parent, "hpo-1");
	assert_string_equal(d.rules, "train:loss=loss=([0-9.]+)");
	assert_int_equal(d.n_metrics, 2);
	assert_string_equal(d.metrics[0], "train:loss");
	assert_string_equal(d.metrics[1], "ObjectiveMetric");
	assert_true(d.created_s == 1.7e9 && d.start_s == 1700000060 && d.end_s == 1700003660);
	assert_string_equal(buf_str(&k.text), "train:loss=0.25@1700003660;ObjectiveMetric=1@0;");
	cJSON *info = cJSON_Parse(d.info);
	assert_string_equal(cJSON_GetObjectItem(info, "instance_type")->valuestring, "ml.m5.xlarge");
	assert_int_equal(cJSON_GetObjectItem(info, "instance_count")->valueint, 2);
	assert_int_equal(cJSON_GetObjectItem(info, "billable_seconds")->valueint, 3600);
	assert_int_equal(cJSON_GetObjectItem(info, "max_runtime_seconds")->valueint, 3600);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(info, "spot")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(info, "secondary_transitions")), 2);
	const cJSON *t0 = cJSON_GetArrayItem(cJSON_GetObjectItem(info, "secondary_transitions"), 0);
	assert_true(cJSON_GetObjectItem(t0, "start_ms")->valuedouble == 1.7e12);
	assert_null(cJSON_GetObjectItem(info, "Environment"));
	cJSON_Delete(info);
	awsjob_detail_free(&d);
	assert_null(d.name);
	assert_int_equal(awsjob_parse_training("{\"TrainingJobName\":\"x\"}", 23, &d, NULL, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "DescribeTrainingJob"));
	assert_null(d.name);
	buf_free(&k.text);
}

static void test_copy_request(void **state)
{
	(void)state;
	struct err e = ERR_INIT;
	char *rq = awsjob_copy_request(describe, strlen(describe), "j-copy-1", &e);
	assert_non_null(rq);
	cJSON *o = cJSON_Parse(rq);
	assert_string_equal(cJSON_GetObjectItem(o, "TrainingJobName")->valuestring, "j-copy-1");
	assert_string_equal(cJSON_GetObjectItem(o, "RoleArn")->valuestring, "arn:aws:iam::1:role/r");
	assert_non_null(cJSON_GetObjectItem(o, "AlgorithmSpecification"));
	assert_non_null(cJSON_GetObjectItem(o, "VpcConfig"));
	assert_non_null(cJSON_GetObjectItem(o, "Environment"));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "EnableManagedSpotTraining")));
	static const char *const read_only[] = { "TrainingJobArn", "TrainingJobStatus", "SecondaryStatus",
						 "CreationTime", "ModelArtifacts", "FinalMetricDataList",
						 "SecondaryStatusTransitions", "BillableTimeInSeconds", "TuningJobArn" };
	for (size_t i = 0; i < sizeof read_only / sizeof *read_only; i++)
		assert_null(cJSON_GetObjectItem(o, read_only[i]));
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "ExperimentConfig"), "TrialComponentDisplayName"));
	cJSON_Delete(o);
	free(rq);
	assert_null(awsjob_copy_request("{\"TrainingJobName\":\"j\"}", 23, "x", &e));
	assert_non_null(strstr(e.msg, "RoleArn"));
}

static void test_tuning_and_customization(void **state)
{
	(void)state;
	const char *t = "{\"HyperParameterTuningJobName\":\"hpo-1\",\"HyperParameterTuningJobStatus\":\"InProgress\","
			"\"CreationTime\":1700000000,\"HyperParameterTuningJobConfig\":{\"Strategy\":\"Bayesian\","
			"\"HyperParameterTuningJobObjective\":{\"Type\":\"Maximize\",\"MetricName\":\"acc\"}},"
			"\"BestTrainingJob\":{\"TrainingJobName\":\"hpo-1-001\",\"FinalHyperParameterTuningJobObjectiveMetric\":"
			"{\"MetricName\":\"acc\",\"Value\":0.91}}}";
	struct awsjob_detail d;
	struct err e = ERR_INIT;
	assert_int_equal(awsjob_parse_tuning(t, strlen(t), &d, &e), 0);
	assert_true(d.has_best);
	assert_string_equal(d.best, "hpo-1-001");
	assert_string_equal(d.best_metric, "acc");
	assert_true(d.best_value == 0.91);
	cJSON *info = cJSON_Parse(d.info);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(info, "objective"), "type")->valuestring, "Maximize");
	cJSON_Delete(info);
	awsjob_detail_free(&d);

	const char *c = "{\"jobName\":\"ft\",\"status\":\"Completed\",\"creationTime\":\"2024-01-02T03:04:05Z\","
			"\"endTime\":\"2024-01-02T04:04:05Z\",\"trainingMetrics\":{\"trainingLoss\":0.42},"
			"\"validationMetrics\":[{\"validationLoss\":0.5},{},{\"validationLoss\":0.6}],"
			"\"customizationType\":\"FINE_TUNING\"}";
	struct seen k = { BUF_INIT, 0 };
	assert_int_equal(awsjob_parse_customization(c, strlen(c), &d, on_point, &k, &e), 0);
	assert_string_equal(buf_str(&k.text), "training_loss=0.42@1704168245;validation_loss=0.5@1704168245;"
					      "validation_loss_2=0.6@1704168245;");
	assert_int_equal(d.n_metrics, 3);
	awsjob_detail_free(&d);
	assert_int_equal(awsjob_parse_customization("{\"jobName\":1}", 13, &d, NULL, NULL, &e), -1);
	buf_free(&k.text);
}

static void test_metric_data(void **state)
{
	(void)state;
	char loss[] = "train:loss", acc[] = "acc";
	char *names[] = { loss, acc };
	char *rq = awsjob_metric_request("job-1", names, 2, 1700000000.5, 1700003600.2, NULL);
	cJSON *o = cJSON_Parse(rq);
	const cJSON *q1 = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "MetricDataQueries"), 1);
	assert_string_equal(cJSON_GetObjectItem(q1, "Id")->valuestring, "m1");
	const cJSON *m = cJSON_GetObjectItem(cJSON_GetObjectItem(q1, "MetricStat"), "Metric");
	assert_string_equal(cJSON_GetObjectItem(m, "Namespace")->valuestring, "/aws/sagemaker/TrainingJobs");
	assert_string_equal(cJSON_GetObjectItem(m, "MetricName")->valuestring, "acc");
	const cJSON *dim = cJSON_GetArrayItem(cJSON_GetObjectItem(m, "Dimensions"), 0);
	assert_string_equal(cJSON_GetObjectItem(dim, "Name")->valuestring, "TrainingJobName");
	assert_string_equal(cJSON_GetObjectItem(dim, "Value")->valuestring, "job-1");
	assert_true(cJSON_GetObjectItem(o, "StartTime")->valuedouble == 1700000000);
	assert_true(cJSON_GetObjectItem(o, "EndTime")->valuedouble == 1700003601);
	assert_string_equal(cJSON_GetObjectItem(o, "ScanBy")->valuestring, "TimestampAscending");
	cJSON_Delete(o);
	free(rq);
	const char *a = "{\"MetricDataResults\":[{\"Id\":\"m1\",\"Timestamps\":[1700000060,1.70000012E9],"
			"\"Values\":[0.5,0.75]},{\"Id\":\"m0\",\"Timestamps\":[1700000060],\"Values\":[2]},"
			"{\"Id\":\"m2\",\"Timestamps\":[1],\"Values\":[1]},{\"Id\":\"m0\",\"Timestamps\":[5,6],"
			"\"Values\":[1]}],\"NextToken\":\"p2\"}";
	struct seen k = { BUF_INIT, 0 };
	char *next = NULL;
	struct err e = ERR_INIT;
	assert_int_equal(awsjob_parse_metric_data(a, strlen(a), names, 2, on_point, &k, &next, &e), 0);
	assert_string_equal(buf_str(&k.text), "acc=0.5@1700000060;acc=0.75@1700000120;train:loss=2@1700000060;"
					      "train:loss=1@5;");
	assert_string_equal(next, "p2");
	free(next);
	assert_int_equal(awsjob_parse_metric_data("{\"Messages\":[]}", 15, names, 2, on_point, &k, &next, &e), -1);
	buf_free(&k.text);
}

static void on_stream(void *ud, const char *s)
{
	buf_printf(&((struct seen *)ud)->text, "%s;", s);
}

static void on_event(void *ud, int64_t t, const char *msg)
{
	buf_printf(&((struct seen *)ud)->text, "%lld:%s;", (long long)t, msg);
}

static void test_logs(void **state)
{
	(void)state;
	char *rq = awsjob_streams_request("job-1", "n1");
	assert_string_equal(rq, "{\"logGroupName\":\"/aws/sagemaker/TrainingJobs\",\"logStreamNamePrefix\":\"job-1/\","
				"\"orderBy\":\"LogStreamName\",\"nextToken\":\"n1\"}");
	free(rq);
	rq = awsjob_events_request("job-1/algo-1-17", "f/12");
	assert_string_equal(rq, "{\"logGroupName\":\"/aws/sagemaker/TrainingJobs\",\"logStreamName\":\"job-1/algo-1-17\","
				"\"startFromHead\":true,\"limit\":10000,\"nextToken\":\"f/12\"}");
	free(rq);
	struct seen k = { BUF_INIT, 0 };
	char *next = NULL;
	struct err e = ERR_INIT;
	const char *s = "{\"logStreams\":[{\"logStreamName\":\"job-1/algo-1-17\"},{\"logStreamName\":\"\"},"
			"{\"logStreamName\":\"job-1/algo-2-17\"}],\"nextToken\":\"x\"}";
	assert_int_equal(awsjob_parse_streams(s, strlen(s), on_stream, &k, &next, &e), 0);
	assert_string_equal(buf_str(&k.text), "job-1/algo-1-17;job-1/algo-2-17;");
	assert_string_equal(next, "x");
	free(next);
	assert_int_equal(awsjob_parse_streams("{}", 2, on_stream, &k, &next, &e), 0); /* no streams yet */
	assert_null(next);
	buf_reset(&k.text);
	const char *ev = "{\"events\":[{\"timestamp\":1700000001234,\"message\":\"loss=0.5\"},{\"message\":\"no time\"},"
			 "{\"timestamp\":5}],\"nextForwardToken\":\"f/2\",\"nextBackwardToken\":\"b/0\"}";
	assert_int_equal(awsjob_parse_events(ev, strlen(ev), on_event, &k, &next, &e), 0);
	assert_string_equal(buf_str(&k.text), "1700000001234:loss=0.5;0:no time;");
	assert_string_equal(next, "f/2");
	free(next);
	assert_int_equal(awsjob_parse_events("{\"events\":[]}", 13, on_event, &k, &next, &e), -1);
	assert_null(next);
	assert_non_null(strstr(e.msg, "nextForwardToken"));
	buf_free(&k.text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_training_status),
		cmocka_unit_test(test_names_and_times),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_list_request),
		cmocka_unit_test(test_describe_training),
		cmocka_unit_test(test_copy_request),
		cmocka_unit_test(test_tuning_and_customization),
		cmocka_unit_test(test_metric_data),
		cmocka_unit_test(test_logs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
