/* jobs/text: durations at every unit boundary, non-finite values, and a
 * job's latest metric values as one line, cut at max names. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jobs/registry.h"
#include "jobs/text.h"
#include "testdb.h"

static void test_duration_and_value(void **state)
{
	(void)state;
	static const struct { int64_t ms; const char *want; } d[] = {
		{ -1, "-" },         { 0, "0s" },          { 59999, "59s" },      { 60000, "1m00s" },
		{ 187000, "3m07s" }, { 3599000, "59m59s" }, { 3600000, "1h00m" }, { 7500000, "2h05m" },
		{ 86400000, "1d00h" }, { 97200000, "1d03h" },
	};
	char out[32];
	for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
		job_text_duration(out, sizeof out, d[i].ms);
		assert_string_equal(out, d[i].want);
	}
	job_text_value(out, sizeof out, 0.25);
	assert_string_equal(out, "0.25");
	job_text_value(out, sizeof out, 1234567.0);
	assert_string_equal(out, "1.23457e+06");
	job_text_value(out, sizeof out, NAN);
	assert_string_equal(out, "nan");
	job_text_value(out, sizeof out, -INFINITY);
	assert_string_equal(out, "-inf");
	job_text_value(out, sizeof out, INFINITY);
	assert_string_equal(out, "inf");
}

static void test_metrics_line(void **state)
{
	struct db *db = ((struct testdb *)*state)->db;
	struct job j = {0};
	j.source = xstrdup("local");
	j.ext_id = xstrdup("1");
	j.name = xstrdup("t");
	j.status = JOB_RUNNING;
	struct err e = ERR_INIT;
	int64_t id = jobreg_insert(db, &j, &e);
	assert_true(id > 0);
	job_clear(&j);
	struct buf line = BUF_INIT;
	job_text_metrics(db, id, 0, &line);
	assert_int_equal(line.len, 0);
	struct metric_point p1 = { "loss", 0.5, 1, 1, 0 }, p2 = { "loss", 0.25, 1, 2, 0 }, p3 = { "acc", 0.9, 1, 2, 0 };
	assert_int_equal(jobreg_add_point(db, id, &p1, 10, "log", NULL), 0);
	assert_int_equal(jobreg_add_point(db, id, &p2, 20, "log", NULL), 0);
	assert_int_equal(jobreg_add_point(db, id, &p3, 20, "log", NULL), 0);
	job_text_metrics(db, id, 0, &line);
	assert_string_equal(buf_str(&line), "acc=0.9 loss=0.25"); /* names in order, each its last value */
	buf_reset(&line);
	job_text_metrics(db, id, 1, &line);
	assert_string_equal(buf_str(&line), "acc=0.9");
	buf_free(&line);
}

static void test_transitions_line(void **state)
{
	struct db *db = ((struct testdb *)*state)->db;
	setenv("TZ", "UTC", 1);
	tzset();
	struct job j = {0};
	j.source = xstrdup("slurm");
	j.ext_id = xstrdup("9");
	j.status = JOB_QUEUED;
	struct err e = ERR_INIT;
	int64_t id = jobreg_insert(db, &j, &e);
	assert_true(id > 0);
	job_clear(&j);
	/* fixed times: 2023-11-14 22:13:20 UTC and on */
	assert_int_equal(db_exec(db, "UPDATE job_transitions SET time_ms = 1700000000000;"
				     "INSERT INTO job_transitions(job_id, status, raw_state, time_ms) VALUES"
				     " (1, 'running', 'RUNNING', 1700000001000), (1, 'completed', NULL, 1700000190000)", &e), 0);
	int64_t now = 1700000200000;
	struct buf line = BUF_INIT;
	job_text_transitions(db, id, now, 0, &line);
	assert_string_equal(buf_str(&line), "queued 22:13:20 \u2192 running 22:13:21 \u2192 completed 22:16:30");
	buf_reset(&line);
	job_text_transitions(db, id, now, 40, &line); /* "… → running 22:13:21 → completed 22:16:30" is 41 */
	assert_string_equal(buf_str(&line), "\u2026 \u2192 completed 22:16:30");
	buf_reset(&line);
	job_text_transitions(db, id, now, 10, &line); /* the newest even when it does not fit */
	assert_string_equal(buf_str(&line), "\u2026 \u2192 completed 22:16:30");
	buf_reset(&line);
	job_text_transitions(db, id, now + 86400000, 0, &line); /* another day: the date */
	assert_string_equal(buf_str(&line), "queued 11-14 22:13 \u2192 running 11-14 22:13 \u2192 completed 11-14 22:16");
	buf_reset(&line);
	job_text_transitions(db, id + 1, now, 0, &line);
	assert_int_equal(line.len, 0);
	buf_free(&line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_and_value),
		cmocka_unit_test_setup_teardown(test_metrics_line, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_transitions_line, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
