/* drift/saved: a report saved as a finished job of source drift (its
 * report.json private, with distributions; points drifted and drift_share)
 * loads back sorted most drifted first and re-sorts by name, score and
 * missing share; a monitor is told by its watch.json; a missing or broken
 * report is an error; the demo's report (from the demo workspace's CSV pair)
 * puts the documented drifted columns first, and is skipped without them or
 * when the registry already has jobs. */
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
#include <sys/stat.h>

#include "base/json.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "drift/report.h"
#include "drift/saved.h"
#include "jobs/registry.h"
#include "testdb.h"

static int setup(void **state)
{
	if (testdb_setup(state) != 0)
		return -1;
	struct testdb *t = *state;
	setenv("AIWB_HOME", t->dir, 1);
	path_reset();
	return 0;
}

static int teardown(void **state)
{
	unsetenv("AIWB_HOME");
	path_reset();
	return testdb_teardown(state);
}

static char *write_csv(const char *dir, const char *name, int shift)
{
	char *p = path_join(dir, name);
	FILE *f = fopen(p, "w");
	fprintf(f, "steady,moved,cat,gaps\n");
	for (int i = 0; i < 400; i++)
		fprintf(f, "%d,%d,%s,%s\n", i % 50, i + shift, (i + shift / 10) % 3 ? "a" : "b",
			i % (shift ? 4 : 10) ? "1" : "");
	fclose(f);
	return p;
}

static int count_points(void *ud, const struct jobreg_point *p)
{
	(void)p;
	(*(int *)ud)++;
	return 0;
}

static void test_save_and_load(void **state)
{
	struct testdb *t = *state;
	char *a = write_csv(t->dir, "a.csv", 0), *b = write_csv(t->dir, "b.csv", 300);
	struct drift_report_opts o = { .ks_method = KS_AUTO };
	struct err e = ERR_INIT;
	struct drift_report *r = NULL;
	cJSON *doc = drift_report_with_dists(a, b, &o, NULL, &r, &e);
	assert_non_null(doc);
	assert_non_null(r);
	struct job j;
	assert_int_equal(drift_save_report(t->db, doc, NULL, "aiwb drift report a b", &j, &e), 0);
	assert_string_equal(j.source, "drift");
	assert_string_equal(j.name, "a.csv vs b.csv");
	assert_int_equal(j.status, JOB_COMPLETED);
	assert_string_equal(j.raw_state, "report");
	assert_int_equal(j.exit_code, 3);
	char *rep = path_join(j.dir, DRIFT_REPORT_FILE);
	struct stat st;
	assert_int_equal(stat(rep, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	int n = 0;
	jobreg_points(t->db, j.id, 0, NULL, count_points, &n, NULL);
	assert_int_equal(n, 2);
	assert_false(drift_job_is_monitor(&j));

	struct drift_saved sv;
	assert_int_equal(drift_saved_load(j.dir, &sv, &e), 0);
	assert_false(sv.monitor);
	assert_int_equal(sv.ncols, 4);
	assert_int_equal(sv.drifted, r->drifted);
	assert_int_equal(sv.tested, r->tested);
	assert_true(sv.ref_rows == 400 && sv.cur_rows == 400);
	for (size_t i = 0; i < sv.ncols; i++) { /* the report's order */
		assert_string_equal(sv.cols[i].name, r->cols[i].name);
		assert_int_equal(sv.cols[i].drifted, r->cols[i].drifted);
		assert_int_equal(sv.cols[i].rank, i);
		assert_true(sv.cols[i].dist.n > 0);
	}
	assert_string_equal(sv.cols[0].name, "moved");
	assert_true(sv.cols[0].dist.numeric);
	double tot = 0;
	for (size_t k = 0; k < sv.cols[0].dist.n; k++)
		tot += sv.cols[0].dist.cur[k];
	assert_true(tot == 400);
	drift_saved_sort(&sv, DRIFT_SORT_NAME);
	assert_string_equal(sv.cols[0].name, "cat");
	assert_string_equal(sv.cols[3].name, "steady");
	drift_saved_sort(&sv, DRIFT_SORT_MISSING);
	assert_string_equal(sv.cols[0].name, "gaps");
	drift_saved_sort(&sv, DRIFT_SORT_SEVERITY);
	assert_string_equal(sv.cols[0].name, "moved");
	assert_string_equal(drift_saved_sort_name(DRIFT_SORT_SCORE), "score");
	drift_saved_free(&sv);

	/* a monitor has watch.json */
	char *wf = path_join(j.dir, DRIFT_WATCH_FILE);
	FILE *f = fopen(wf, "w");
	fputs("{}\n", f);
	fclose(f);
	assert_true(drift_job_is_monitor(&j));
	free(wf);

	/* broken or missing */
	f = fopen(rep, "w");
	fputs("{\"columns\":3}", f);
	fclose(f);
	assert_int_equal(drift_saved_load(j.dir, &sv, &e), -1);
	f = fopen(rep, "w");
	fputs("{not json", f);
	fclose(f);
	assert_int_equal(drift_saved_load(j.dir, &sv, &e), -1);
	assert_int_equal(drift_saved_load(t->dir, &sv, &e), -1);
	assert_int_equal(drift_saved_load(NULL, &sv, &e), -1);
	free(rep);
	job_clear(&j);
	cJSON_Delete(doc);
	drift_report_free(r);
	free(a);
	free(b);
}

static void copy(const char *from, const char *to)
{
	size_t len;
	struct err e = ERR_INIT;
	char *text = path_read_file(from, &len, &e);
	assert_non_null(text);
	assert_int_equal(path_write_file(to, text, len, &e), 0);
	free(text);
}

static void test_demo(void **state)
{
	struct testdb *t = *state;
	struct err e = ERR_INIT;
	assert_int_equal(drift_save_demo(t->db, t->dir, &e), 0); /* no demo files: nothing */
	char *d = path_join(t->dir, "examples/drift");
	assert_int_equal(path_mkdirs(d, 0700, &e), 0);
	char *r = path_join(d, "reference.csv"), *c = path_join(d, "current.csv");
	copy("examples/drift/reference.csv", r);
	copy("examples/drift/current.csv", c);
	assert_int_equal(drift_save_demo(t->db, t->dir, &e), 1);
	struct job_list l;
	assert_int_equal(jobreg_list(t->db, "drift", -1, &l, &e), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(drift_save_demo(t->db, t->dir, &e), 0); /* jobs exist: not again */
	struct drift_saved sv;
	assert_int_equal(drift_saved_load(l.v[0].dir, &sv, &e), 0);
	assert_int_equal(sv.drifted, 5);
	const char *want[] = { "casual", "count", "humidity", "temp_c", "weather" };
	for (size_t i = 0; i < 5; i++) {
		int found = 0;
		for (size_t k = 0; k < 5; k++)
			found |= strcmp(sv.cols[k].name, want[i]) == 0;
		assert_true(found);
		assert_true(sv.cols[i].drifted);
	}
	assert_false(sv.cols[5].drifted);
	drift_saved_free(&sv);
	job_list_free(&l);
	free(r);
	free(c);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_save_and_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_demo, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
