/* drift/report and drift/monitor: the Evidently-style test choice, verdicts,
 * severity order, and the Model Monitor baseline -> check round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "drift/monitor.h"
#include "drift/report.h"

static char dir[] = "/tmp/aiwb-test-driftrep-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

/* rows of: wide (u > 5), four (u = 4), two (u = 2), const, cat (3 labels), shifted side by `shift` */
static char *make_csv(const char *name, int rows, int shift)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "wide,four,two,const,cat\n");
	for (int i = 0; i < rows; i++)
		fprintf(f, "%d,%d,%d,7,%s\n", (i * 37) % 101 + shift * 60, i % 4, (i + shift) % 7 == 0,
			(i + shift) % 3 == 0 ? "a" : (i % 3 == 1 ? "b" : "c"));
	fclose(f);
	return path;
}

static const struct drift_col_result *find(const struct drift_report *r, const char *name)
{
	for (size_t i = 0; i < r->ncols; i++)
		if (strcmp(r->cols[i].name, name) == 0)
			return &r->cols[i];
	fail_msg("no column %s", name);
	return NULL;
}

static void test_default_choice_small(void **state)
{
	(void)state;
	char *a = make_csv("s0.csv", 500, 0), *b = make_csv("s1.csv", 400, 1);
	struct drift_report_opts o = { 0 };
	struct err e = ERR_INIT;
	struct drift_report *r = drift_report_run(a, b, &o, NULL, &e);
	assert_non_null(r);
	assert_int_equal(find(r, "wide")->test, DRIFT_TEST_KS);
	assert_int_equal(find(r, "four")->test, DRIFT_TEST_CHISQUARE);
	assert_int_equal(find(r, "two")->test, DRIFT_TEST_Z);
	assert_int_equal(find(r, "cat")->test, DRIFT_TEST_CHISQUARE);
	const struct drift_col_result *c = find(r, "const");
	assert_int_equal(c->test, DRIFT_TEST_Z);
	assert_false(c->drifted);
	assert_true(c->pvalue == 1);
	assert_true(find(r, "wide")->drifted);
	/* drifted first, most severe first */
	assert_true(r->cols[0].drifted);
	for (size_t i = 1; i < r->ncols; i++)
		assert_true(r->cols[i - 1].drifted > r->cols[i].drifted ||
			    (r->cols[i - 1].drifted == r->cols[i].drifted && r->cols[i - 1].severity >= r->cols[i].severity));
	assert_true(r->any_drift);
	drift_report_free(r);
	free(a);
	free(b);
}

static void test_default_choice_large_and_overrides(void **state)
{
	(void)state;
	char *a = make_csv("l0.csv", 3000, 0), *b = make_csv("l1.csv", 2000, 0);
	struct drift_col_opt per[] = { { "four", DRIFT_TEST_PSI, NAN }, { "wide", DRIFT_TEST_NONE, 1e-9 } };
	struct drift_report_opts o = { .per_column = per, .nper_column = 2 };
	struct err e = ERR_INIT;
	struct drift_report *r = drift_report_run(a, b, &o, NULL, &e);
	assert_non_null(r);
	const struct drift_col_result *w = find(r, "wide");
	assert_int_equal(w->test, DRIFT_TEST_WASSERSTEIN);
	assert_true(w->threshold == 1e-9);
	assert_true(isnan(w->pvalue));
	assert_int_equal(find(r, "two")->test, DRIFT_TEST_JS);
	assert_int_equal(find(r, "cat")->test, DRIFT_TEST_JS);
	assert_int_equal(find(r, "four")->test, DRIFT_TEST_PSI);
	assert_true(find(r, "four")->test_forced);
	assert_false(find(r, "four")->drifted);
	drift_report_free(r);

	struct drift_col_opt bad[] = { { "cat", DRIFT_TEST_KS, NAN } };
	struct drift_report_opts o2 = { .per_column = bad, .nper_column = 1 };
	err_clear(&e);
	assert_null(drift_report_run(a, b, &o2, NULL, &e));
	assert_non_null(strstr(err_msg(&e), "'cat' is categorical"));
	const char *cols[] = { "nosuch" };
	struct drift_report_opts o3 = { .columns = cols, .ncolumns = 1 };
	err_clear(&e);
	assert_null(drift_report_run(a, b, &o3, NULL, &e));
	free(a);
	free(b);
}

static void test_json_shape(void **state)
{
	(void)state;
	char *a = make_csv("j0.csv", 50, 0);
	struct drift_report_opts o = { .compare = 1 };
	struct err e = ERR_INIT;
	struct drift_report *r = drift_report_run(a, a, &o, NULL, &e);
	assert_non_null(r);
	assert_false(r->any_drift);
	cJSON *j = drift_report_json(r);
	const cJSON *cols = cJSON_GetObjectItemCaseSensitive(j, "columns");
	assert_int_equal(cJSON_GetArraySize(cols), 5);
	const cJSON *first = cols->child;
	assert_non_null(cJSON_GetObjectItemCaseSensitive(first, "linf_robust"));
	assert_non_null(cJSON_GetObjectItemCaseSensitive(first, "ks_p_value"));
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "summary");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(s, "dataset_drift")));
	cJSON_Delete(j);
	drift_report_free(r);
	free(a);
}

static void test_monitor_round_trip(void **state)
{
	(void)state;
	char *a = make_csv("m0.csv", 5000, 0), *b = make_csv("m1.csv", 3000, 1);
	char *out = xasprintf("%s/mm", dir);
	struct err e = ERR_INIT;
	struct drift_data *d = drift_data_read(a, NULL, &e);
	assert_non_null(d);
	struct monitor_baseline_opts mo = { 0.1, 0 };
	assert_int_equal(monitor_write_baseline(d, out, &mo, &e), 0);
	struct monitor_baseline *mb = monitor_read_baseline(out, &e);
	assert_non_null(mb);
	/* the same data: nothing to report (the sketch of 5,000 values is at level 2) */
	cJSON *v = monitor_check(mb, d, &e);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(v, "violations")), 0);
	cJSON_Delete(v);
	drift_data_free(d);
	struct drift_type_override *types;
	size_t nt = monitor_check_types(mb, NULL, 0, &types);
	assert_int_equal(nt, 5);
	struct drift_type_override given[] = { { "wide", DRIFT_CATEGORICAL }, { "extra", DRIFT_NUMERIC } };
	struct drift_type_override *merged;
	assert_int_equal(monitor_check_types(mb, given, 2, &merged), 6);
	for (size_t i = 0; i < 5; i++)
		if (strcmp(merged[i].column, "wide") == 0)
			assert_int_equal(merged[i].type, DRIFT_CATEGORICAL);
	assert_string_equal(merged[5].column, "extra");
	free(merged);
	struct drift_read_opts ro = { .types = types, .ntypes = nt };
	d = drift_data_read(b, &ro, &e);
	assert_non_null(d);
	v = monitor_check(mb, d, &e);
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(v, "violations");
	int wide = 0, other = 0;
	for (const cJSON *x = list->child; x; x = x->next) {
		const char *f = cJSON_GetObjectItemCaseSensitive(x, "feature_name")->valuestring;
		const char *t = cJSON_GetObjectItemCaseSensitive(x, "constraint_check_type")->valuestring;
		if (!strcmp(f, "wide") && !strcmp(t, "baseline_drift_check"))
			wide++;
		else if (strcmp(t, "baseline_drift_check") == 0 && strcmp(f, "two") != 0 && strcmp(f, "cat") != 0)
			other++;
	}
	assert_int_equal(wide, 1);
	assert_int_equal(other, 0);
	cJSON_Delete(v);
	drift_data_free(d);
	free(types);
	monitor_baseline_free(mb);
	err_clear(&e);
	assert_null(monitor_read_baseline("/nonexistent", &e));
	assert_non_null(strstr(err_msg(&e), "statistics.json"));
	free(out);
	free(a);
	free(b);
}

struct hooks {
	size_t calls, last_n, total, progress;
	int sorted_ok, data_seen;
};

static void on_progress(void *ud, size_t done, size_t total, const char *column)
{
	struct hooks *h = ud;
	assert_true(done < total && column && *column);
	h->progress++;
}

static void on_column(void *ud, const struct drift_col_result *cols, size_t n, size_t total)
{
	struct hooks *h = ud;
	assert_int_equal(n, h->last_n + 1); /* one more finished column each time */
	assert_true(cols[n - 1].name != NULL);
	h->last_n = n;
	h->total = total;
	h->calls++;
}

static int on_data(void *ud, struct drift_report *r, struct drift_data *ref, struct drift_data *cur, struct err *e)
{
	(void)e;
	struct hooks *h = ud;
	h->data_seen = r->ncols == 5 && ref->rows == 300 && cur->rows == 200 && drift_data_column(cur, "wide");
	return 0;
}

static int on_data_fails(void *ud, struct drift_report *r, struct drift_data *ref, struct drift_data *cur,
			 struct err *e)
{
	(void)ud;
	(void)r;
	(void)ref;
	(void)cur;
	return err_set(e, "kept nothing");
}

/* column_done: the table so far after each column; with_data: both data sets
 * before they are freed (a failure there fails the run); drift_col_cmp is
 * the report's order. */
static void test_hooks(void **state)
{
	(void)state;
	char *a = make_csv("h0.csv", 300, 0), *b = make_csv("h1.csv", 200, 1);
	struct hooks h = { 0 };
	struct drift_report_opts o = { .ks_method = KS_AUTO, .progress = on_progress, .column_done = on_column,
				       .with_data = on_data, .progress_ud = &h };
	struct err e = ERR_INIT;
	struct drift_report *r = drift_report_run(a, b, &o, NULL, &e);
	assert_non_null(r);
	assert_int_equal(h.calls, 5);
	assert_int_equal(h.total, 5);
	assert_int_equal(h.progress, 5);
	assert_true(h.data_seen);
	for (size_t i = 1; i < r->ncols; i++)
		assert_true(drift_col_cmp(&r->cols[i - 1], &r->cols[i]) < 0);
	drift_report_free(r);
	o.with_data = on_data_fails;
	o.column_done = NULL;
	assert_null(drift_report_run(a, b, &o, NULL, &e));
	assert_string_equal(err_msg(&e), "kept nothing");
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hooks),
		cmocka_unit_test(test_default_choice_small),
		cmocka_unit_test(test_default_choice_large_and_overrides),
		cmocka_unit_test(test_json_shape),
		cmocka_unit_test(test_monitor_round_trip),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
