/* drift/watch: durations; metric names; SageMaker data-capture lines become
 * rows (CSV with quotes, JSON, BASE64 inputs, the output after the input,
 * names past the baseline's as _cN, the row's time from inferenceTime),
 * flat lines pass with their time, non-objects are refused; the window keeps
 * the newest N rows or the rows within D seconds of the newest, reads whole
 * lines only, starts over on a shorter file; one monitor run against a
 * baseline written here prints a metric line and writes report.json and
 * constraint_violations.json with the drifted column first. */
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
#include <unistd.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "drift/monitor.h"
#include "drift/watch.h"
#include "testutil.h"

static void test_durations_and_names(void **state)
{
	(void)state;
	assert_true(drift_parse_duration("60s") == 60);
	assert_true(drift_parse_duration("90") == 90);
	assert_true(drift_parse_duration("500ms") == 0.5);
	assert_true(drift_parse_duration("5m") == 300);
	assert_true(drift_parse_duration("2h") == 7200);
	assert_true(drift_parse_duration("1d") == 86400);
	assert_true(drift_parse_duration("0") < 0);
	assert_true(drift_parse_duration("-5s") < 0);
	assert_true(drift_parse_duration("5x") < 0);
	assert_true(drift_parse_duration("") < 0);
	assert_true(drift_parse_duration(NULL) < 0);
	char *m = drift_metric_name("temp c/ü");
	assert_string_equal(m, "drift.temp_c/__");
	free(m);
	char longname[400];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	m = drift_metric_name(longname);
	assert_true(strlen(m) < 128);
	free(m);
}

static const char *const names[] = { "a", "b", "c" };

static cJSON *row(const char *line, double *t)
{
	return drift_capture_row(line, strlen(line), names, 3, t);
}

static const char *str(const cJSON *r, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, k));
}

static void test_capture_rows(void **state)
{
	(void)state;
	double t;
	cJSON *r = row("{\"captureData\":{\"endpointInput\":{\"observedContentType\":\"text/csv\",\"mode\":\"INPUT\","
		       "\"data\":\"1,\\\"x,y\\\"\",\"encoding\":\"CSV\"},\"endpointOutput\":{\"observedContentType\":"
		       "\"text/csv\",\"mode\":\"OUTPUT\",\"data\":\"0.5,9\",\"encoding\":\"CSV\"}},\"eventMetadata\":"
		       "{\"eventId\":\"e\",\"inferenceTime\":\"2024-01-01T00:00:10Z\"},\"eventVersion\":\"0\"}",
		       &t);
	assert_non_null(r);
	assert_string_equal(str(r, "a"), "1");
	assert_string_equal(str(r, "b"), "x,y");
	assert_string_equal(str(r, "c"), "0.5");
	assert_string_equal(str(r, "_c3"), "9");
	assert_true(t == 1704067210.0);
	cJSON_Delete(r);
	/* JSON input: its keys; the output takes the first name left */
	r = row("{\"captureData\":{\"endpointInput\":{\"data\":\"{\\\"a\\\":2,\\\"b\\\":\\\"q\\\"}\","
		"\"encoding\":\"JSON\"},\"endpointOutput\":{\"data\":\"7\",\"encoding\":\"CSV\"}}}",
		&t);
	assert_non_null(r);
	assert_true(cJSON_GetObjectItemCaseSensitive(r, "a")->valuedouble == 2);
	assert_string_equal(str(r, "b"), "q");
	assert_string_equal(str(r, "c"), "7");
	assert_true(isnan(t));
	cJSON_Delete(r);
	/* BASE64 of "4,5,6" */
	r = row("{\"captureData\":{\"endpointInput\":{\"data\":\"NCw1LDY=\",\"encoding\":\"BASE64\"}}}", &t);
	assert_non_null(r);
	assert_string_equal(str(r, "a"), "4");
	assert_string_equal(str(r, "c"), "6");
	cJSON_Delete(r);
	/* broken BASE64: an empty row, not a crash */
	r = row("{\"captureData\":{\"endpointInput\":{\"data\":\"@@@\",\"encoding\":\"BASE64\"}}}", &t);
	assert_non_null(r);
	assert_null(r->child);
	cJSON_Delete(r);
	/* a flat line passes as is, its time from "time" or "timestamp" */
	r = row("{\"a\":1,\"time\":100}", &t);
	assert_non_null(r);
	assert_true(t == 100);
	cJSON_Delete(r);
	r = row("{\"timestamp\":\"1970-01-01T00:01:00Z\"}", &t);
	assert_true(t == 60);
	cJSON_Delete(r);
	assert_null(row("[1,2]", &t));
	assert_null(row("not json", &t));
	assert_null(row("", &t));
}

static char dir[64];

static void write_file(const char *path, const char *text, const char *mode)
{
	FILE *f = fopen(path, mode);
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_window_rows(void **state)
{
	(void)state;
	char *p = path_join(dir, "rows.jsonl");
	struct drift_window *w = drift_window_new(2, 0);
	int64_t off = 0;
	struct err e = ERR_INIT;
	assert_int_equal(drift_window_feed(w, p, &off, &e), 0); /* no file yet */
	write_file(p, "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n{\"a\":4", "w");
	assert_int_equal(drift_window_feed(w, p, &off, &e), 3); /* the last line is not whole yet */
	assert_int_equal(drift_window_count(w), 2);
	assert_int_equal(off, 24);
	write_file(p, "}\n", "a");
	assert_int_equal(drift_window_feed(w, p, &off, &e), 1);
	assert_int_equal(drift_window_count(w), 2);
	char *out = path_join(dir, "out.jsonl");
	assert_int_equal(drift_window_write(w, out, names, 3, &e), 0);
	size_t len;
	char *text = path_read_file(out, &len, &e);
	assert_string_equal(text, "{\"a\":3}\n{\"a\":4}\n");
	free(text);
	/* a shorter file starts over */
	write_file(p, "{\"a\":9}\n", "w");
	assert_int_equal(drift_window_feed(w, p, &off, &e), 1);
	assert_int_equal(drift_window_count(w), 1);
	drift_window_free(w);
	free(out);
	free(p);
}

static void test_window_time(void **state)
{
	(void)state;
	char *p = path_join(dir, "time.jsonl");
	write_file(p, "{\"a\":1,\"time\":100}\n{\"a\":2,\"time\":150}\n{\"a\":3,\"time\":200}\n{\"a\":4,\"time\":120}\n", "w");
	struct drift_window *w = drift_window_new(0, 60);
	int64_t off = 0;
	struct err e = ERR_INIT;
	assert_int_equal(drift_window_feed(w, p, &off, &e), 4);
	/* the newest is 200: 100 is dropped; 120 came late and stays until the oldest goes */
	assert_int_equal(drift_window_count(w), 3);
	write_file(p, "{\"a\":5,\"time\":300}\n", "a");
	assert_int_equal(drift_window_feed(w, p, &off, &e), 1);
	assert_int_equal(drift_window_count(w), 1);
	drift_window_free(w);
	free(p);
}

static void test_watch_run(void **state)
{
	(void)state;
	char *csv = path_join(dir, "base.csv"), *base = path_join(dir, "base");
	struct buf b = BUF_INIT;
	buf_puts(&b, "x,k\n");
	for (int i = 0; i < 100; i++)
		buf_printf(&b, "%d,%s\n", i, i % 2 ? "u" : "v");
	write_file(csv, b.data, "w");
	buf_free(&b);
	struct err e = ERR_INIT;
	struct drift_data *d = drift_data_read(csv, NULL, &e);
	assert_non_null(d);
	struct monitor_baseline_opts mo = { 0.1, 0 };
	assert_int_equal(monitor_write_baseline(d, base, &mo, &e), 0);
	drift_data_free(d);
	char *cap = path_join(dir, "cap.jsonl");
	FILE *f = fopen(cap, "w");
	for (int i = 0; i < 50; i++) /* x shifted far up, k unchanged */
		fprintf(f, "{\"captureData\":{\"endpointInput\":{\"data\":\"%d,%s\",\"encoding\":\"CSV\"}}}\n", 500 + i,
			i % 2 ? "u" : "v");
	fclose(f);
	char *job = path_join(dir, "job");
	assert_int_equal(path_mkdirs(job, 0700, &e), 0);
	struct drift_watch_opts o = { base, cap, job, 0.01, 40, 0, "10ms", "40 rows", 1 };
	char *metrics = path_join(dir, "metrics.log");
	FILE *mf = fopen(metrics, "w");
	assert_int_equal(drift_watch_run(&o, mf, NULL, &e), 0);
	fclose(mf);
	size_t len;
	char *text = path_read_file(metrics, &len, &e);
	cJSON *line = json_parse(text, len, 0);
	assert_non_null(line);
	assert_true(cJSON_GetObjectItemCaseSensitive(line, "step")->valuedouble == 1);
	assert_true(cJSON_GetObjectItemCaseSensitive(line, "rows")->valuedouble == 40);
	assert_true(cJSON_GetObjectItemCaseSensitive(line, "drifted")->valuedouble == 1);
	assert_true(cJSON_GetObjectItemCaseSensitive(line, "drift.x")->valuedouble == 1);
	assert_true(cJSON_GetObjectItemCaseSensitive(line, "drift.k")->valuedouble < 0.1);
	cJSON_Delete(line);
	free(text);
	char *rep = path_join(job, "report.json");
	text = path_read_file(rep, &len, &e);
	assert_non_null(text);
	cJSON *doc = json_parse(text, len, 0);
	const cJSON *cols = cJSON_GetObjectItemCaseSensitive(doc, "columns");
	assert_int_equal(cJSON_GetArraySize(cols), 2);
	assert_string_equal(str(cJSON_GetArrayItem(cols, 0), "name"), "x");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cols, 0), "drifted")));
	assert_string_equal(str(cJSON_GetArrayItem(cols, 0), "metric"), "drift.x");
	cJSON_Delete(doc);
	free(text);
	char *viol = path_join(job, "constraint_violations.json");
	assert_true(path_is_file(viol));
	char *win = path_join(job, ".window.jsonl");
	assert_false(path_exists(win));
	free(win);
	free(viol);
	free(rep);
	free(metrics);
	free(job);
	free(cap);
	free(csv);
	free(base);
	/* a directory without a baseline is an error */
	struct drift_watch_opts bad = { dir, "x", dir, 1, 1, 0, "1s", "1", 1 };
	assert_int_equal(drift_watch_run(&bad, stdout, NULL, &e), -1);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/aiwb-test-watch-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return test_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations_and_names), cmocka_unit_test(test_capture_rows),
		cmocka_unit_test(test_window_rows),         cmocka_unit_test(test_window_time),
		cmocka_unit_test(test_watch_run),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
