#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "jobs/job.h"
#include "jobs/smmonitor.h"

static void test_schedule_status(void **state)
{
	(void)state;
	assert_int_equal(smmonitor_schedule_status("Pending"), JOB_QUEUED);
	assert_int_equal(smmonitor_schedule_status("Scheduled"), JOB_RUNNING);
	assert_int_equal(smmonitor_schedule_status("Stopped"), JOB_STOPPED);
	assert_int_equal(smmonitor_schedule_status("Failed"), JOB_FAILED);
	assert_int_equal(smmonitor_schedule_status("scheduled"), JOB_UNKNOWN);
	assert_int_equal(smmonitor_schedule_status("Paused"), JOB_UNKNOWN);
	assert_int_equal(smmonitor_schedule_status(NULL), JOB_UNKNOWN);
}

/* Every MonitoringExecutionStatus of the service model. */
static void test_execution_status(void **state)
{
	(void)state;
	static const struct {
		const char *word;
		enum job_status want;
	} cases[] = {
		{ "Pending", JOB_QUEUED },  { "InProgress", JOB_RUNNING },  { "Completed", JOB_COMPLETED },
		{ "CompletedWithViolations", JOB_COMPLETED }, { "Failed", JOB_FAILED }, { "Stopping", JOB_STOPPING },
		{ "Stopped", JOB_STOPPED }, { "Starting", JOB_UNKNOWN }, { "", JOB_UNKNOWN },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		assert_int_equal(smmonitor_execution_status(cases[i].word), cases[i].want);
	assert_false(job_status_final(smmonitor_execution_status("Weird")));
}

static void test_execution_id(void **state)
{
	(void)state;
	char *id = smmonitor_execution_id("churn-hourly", 1.7651016E9);
	assert_string_equal(id, "churn-hourly/20251207T100000Z");
	free(id);
	id = smmonitor_execution_id("s", 1765101600.999);
	assert_string_equal(id, "s/20251207T100000Z");
	free(id);
	id = smmonitor_execution_id("s", -5);
	assert_string_equal(id, "s/19700101T000000Z");
	free(id);
	id = smmonitor_execution_id("s", 1e300);
	assert_string_equal(id, "s/19700101T000000Z");
	free(id);
}

static void test_source_name(void **state)
{
	(void)state;
	char *src, *id;
	struct err e = ERR_INIT;
	assert_int_equal(job_parse_ref("sagemaker-monitor:churn-hourly/20251207T100000Z", &src, &id, &e), 0);
	assert_string_equal(src, "sagemaker-monitor");
	assert_string_equal(id, "churn-hourly/20251207T100000Z");
	free(src);
	free(id);
	assert_int_equal(job_parse_ref("sagemaker:train-1", &src, &id, &e), 0);
	assert_string_equal(src, "sagemaker");
	free(src);
	free(id);
}

static void test_violations_need_an_execution(void **state)
{
	(void)state;
	char src[] = "sagemaker-monitor", sched[] = "churn-hourly", exec[] = "churn-hourly/20251207T100000Z";
	struct job j = { 0 };
	j.source = src;
	j.ext_id = sched;
	struct err e = ERR_INIT;
	assert_null(smmonitor_violations(&j, NULL, &e));
	assert_string_equal(err_msg(&e), "sagemaker-monitor:churn-hourly is not a Model Monitor execution");
	j.ext_id = exec;
	err_clear(&e);
	assert_null(smmonitor_violations(&j, NULL, &e));
	assert_non_null(strstr(err_msg(&e), "is not known (yet)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schedule_status), cmocka_unit_test(test_execution_status),
		cmocka_unit_test(test_execution_id),    cmocka_unit_test(test_source_name),
		cmocka_unit_test(test_violations_need_an_execution),
	};
	return cmocka_run_group_tests_name("smmonitor", tests, NULL, NULL);
}
