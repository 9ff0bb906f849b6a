/* drift/dist: numeric histograms share their bins between the two sides
 * (range of both, the last bin closed, weights, non-finite values left
 * out, a constant column in one bin); categories keep the top values by
 * combined share with the rest under "(other)"; the JSON round-trips and a
 * wrong shape is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "drift/dist.h"

static void test_numeric_shared_bins(void **state)
{
	(void)state;
	double a[] = { 0, 1, 2, 3, NAN }, b[] = { 5, 10, 10, INFINITY };
	struct drift_dist d;
	drift_dist_numeric(&d, a, NULL, 5, b, 4, 10);
	assert_true(d.numeric);
	assert_int_equal(d.n, 10);
	assert_true(d.edges[0] == 0 && d.edges[10] == 10 && d.edges[1] == 1);
	double ra = 0, rc = 0;
	for (size_t k = 0; k < d.n; k++) {
		ra += d.ref[k];
		rc += d.cur[k];
	}
	assert_true(ra == 4 && rc == 3); /* NaN and inf left out */
	assert_true(d.ref[0] == 1 && d.ref[3] == 1);
	assert_true(d.cur[5] == 1 && d.cur[9] == 2); /* the maximum lands in the last, closed bin */
	drift_dist_free(&d);
	assert_int_equal(d.n, 0);
}

static void test_numeric_weighted_and_constant(void **state)
{
	(void)state;
	double a[] = { 1, 2 }, w[] = { 4, 2 }, b[] = { 1 };
	struct drift_dist d;
	drift_dist_numeric(&d, a, w, 2, b, 1, 2);
	assert_true(d.ref[0] == 4 && d.ref[1] == 2 && d.cur[0] == 1);
	drift_dist_free(&d);
	double c[] = { 7, 7, 7 };
	drift_dist_numeric(&d, c, NULL, 3, c, 1, 20);
	assert_int_equal(d.n, 1);
	assert_true(d.ref[0] == 3 && d.cur[0] == 1 && d.edges[0] == 7 && d.edges[1] == 7);
	drift_dist_free(&d);
	drift_dist_numeric(&d, NULL, NULL, 0, NULL, 0, 20);
	assert_int_equal(d.n, 0);
	drift_dist_free(&d);
}

static void test_categories_top_and_other(void **state)
{
	(void)state;
	char x[] = "x", y[] = "y", z[] = "z", nw[] = "new";
	struct drift_category a[] = { { x, 50 }, { y, 30 }, { z, 20 } };
	struct drift_category b[] = { { nw, 60 }, { y, 40 } };
	struct drift_dist d;
	drift_dist_categories(&d, a, 3, b, 2, 2);
	assert_false(d.numeric);
	assert_int_equal(d.n, 3);
	/* combined shares: y 0.3 + 0.4, new 0.6, x 0.5, z 0.2 */
	assert_string_equal(d.labels[0], "y");
	assert_string_equal(d.labels[1], "new");
	assert_string_equal(d.labels[2], DRIFT_DIST_OTHER);
	assert_true(d.ref[0] == 30 && d.cur[0] == 40 && d.ref[1] == 0 && d.cur[1] == 60);
	assert_true(d.ref[2] == 70 && d.cur[2] == 0);
	drift_dist_free(&d);
	drift_dist_categories(&d, a, 3, NULL, 0, 10);
	assert_int_equal(d.n, 3);
	assert_string_equal(d.labels[0], "x");
	drift_dist_free(&d);
}

static void test_json_round_trip(void **state)
{
	(void)state;
	char p[] = "p", q[] = "q";
	struct drift_category a[] = { { p, 1 }, { q, 3 } }, b[] = { { q, 2 } };
	struct drift_dist d, back;
	drift_dist_categories(&d, a, 2, b, 1, 10);
	cJSON *j = drift_dist_json(&d);
	assert_int_equal(drift_dist_from_json(j, &back), 0);
	assert_int_equal(back.n, d.n);
	for (size_t k = 0; k < d.n; k++) {
		assert_string_equal(back.labels[k], d.labels[k]);
		assert_true(back.ref[k] == d.ref[k] && back.cur[k] == d.cur[k]);
	}
	cJSON_Delete(j);
	drift_dist_free(&back);
	drift_dist_free(&d);
	double x[] = { 0, 1, 2 };
	drift_dist_numeric(&d, x, NULL, 3, x, 3, 4);
	j = drift_dist_json(&d);
	assert_int_equal(drift_dist_from_json(j, &back), 0);
	assert_true(back.numeric && back.n == 4 && back.edges[4] == 2);
	cJSON_Delete(j);
	drift_dist_free(&back);
	drift_dist_free(&d);
	static const char *const bad[] = {
		"null", "{}", "{\"kind\":\"numeric\",\"baseline\":[1],\"current\":[1]}",
		"{\"kind\":\"numeric\",\"edges\":[0],\"baseline\":[1],\"current\":[1]}",
		"{\"kind\":\"categorical\",\"values\":[],\"baseline\":[1],\"current\":[1]}",
		"{\"kind\":\"categorical\",\"values\":[\"a\"],\"baseline\":[1],\"current\":[1,2]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		cJSON *bj = json_parse(bad[i], strlen(bad[i]), 0);
		assert_int_equal(drift_dist_from_json(bj, &back), -1);
		assert_int_equal(back.n, 0);
		cJSON_Delete(bj);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numeric_shared_bins),
		cmocka_unit_test(test_numeric_weighted_and_constant),
		cmocka_unit_test(test_categories_top_and_other),
		cmocka_unit_test(test_json_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
