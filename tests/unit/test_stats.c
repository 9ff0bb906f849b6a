/* stats: the mean, nearest-rank quantiles (the experiment report's p95) and
 * numpy's linear quantile (drift's bins), on hand-checked values. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/stats.h"

static void test_mean_and_p95(void **state)
{
	(void)state;
	double none[1] = { 0 };
	assert_true(stats_mean(none, 0) == 0);
	assert_true(stats_nearest_rank(none, 0, 0.95) == 0);
	double one[] = { 7 };
	assert_true(stats_nearest_rank(one, 1, 0.95) == 7);
	double v[20];
	for (int i = 0; i < 20; i++)
		v[i] = (double)(20 - i) * 10; /* 200 .. 10, unsorted */
	assert_true(stats_mean(v, 20) == 105);
	assert_true(stats_nearest_rank(v, 20, 0.95) == 190); /* rank ceil(19) = 19 */
	assert_true(v[0] == 10 && v[19] == 200);              /* sorted in place */
	double w[21];
	for (int i = 0; i < 21; i++)
		w[i] = i + 1;
	assert_true(stats_nearest_rank(w, 21, 0.95) == 20); /* rank ceil(19.95) = 20 */
	double two[] = { 100, 3 };
	assert_true(stats_nearest_rank(two, 2, 0.95) == 100);
	assert_true(stats_mean(two, 2) == 51.5);
}

static void test_nearest_rank_median_and_ends(void **state)
{
	(void)state;
	double v[] = { 5, 1, 4, 2, 3 };
	assert_true(stats_nearest_rank(v, 5, 0.5) == 3);  /* rank ceil(2.5) = 3 */
	assert_true(stats_nearest_rank(v, 5, 1) == 5);
	assert_true(stats_nearest_rank(v, 5, 0.01) == 1); /* rank 1 */
	double even[] = { 4, 3, 2, 1 };
	assert_true(stats_nearest_rank(even, 4, 0.5) == 2); /* rank 2 */
	double s[] = { 3, -1, 2 };
	stats_sort(s, 3);
	assert_true(s[0] == -1 && s[1] == 2 && s[2] == 3);
}

static void test_linear_quantile(void **state)
{
	(void)state;
	/* numpy.quantile: linear between order statistics */
	double q[] = { 1, 2, 4, 8 };
	assert_true(stats_linear_quantile(q, 4, 0.5) == 3);
	assert_true(stats_linear_quantile(q, 4, 1) == 8);
	assert_true(stats_linear_quantile(q, 4, 0) == 1);
	assert_true(fabs(stats_linear_quantile(q, 4, 0.25) - 1.75) < 1e-15);
	assert_true(isnan(stats_linear_quantile(q, 0, 0.5)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mean_and_p95),
		cmocka_unit_test(test_nearest_rank_median_and_ends),
		cmocka_unit_test(test_linear_quantile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
