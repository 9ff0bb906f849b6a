/* jobs/fold: an array's tasks follow their parent only while it is unfolded,
 * in task order (numbers compared as numbers), whatever the list is sorted
 * by; orphans and plain jobs keep the sorted order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "jobs/fold.h"

static void test_fold(void **state)
{
	(void)state;
	struct job v[6] = {0};
	/* registry ids 1..6: 2 is an array with tasks 3 and 5; 6's parent (99) is not listed */
	for (int i = 0; i < 6; i++)
		v[i].id = i + 1;
	v[2].parent_id = 2;
	v[2].ext_id = (char *)(uintptr_t)"2_9";
	v[4].parent_id = 2;
	v[4].ext_id = (char *)(uintptr_t)"2_10";
	v[5].parent_id = 99;
	struct job_list l = {v, 6};
	size_t sorted[6] = {4, 0, 2, 1, 5, 3}; /* ids 5 1 3 2 6 4 */
	size_t out[6];
	int depth[6];
	size_t n = job_fold_rows(&l, sorted, 6, NULL, 0, out, depth);
	assert_int_equal(n, 4); /* 1 2 6 4: the tasks hidden */
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 1);
	assert_int_equal(out[2], 5);
	assert_int_equal(out[3], 3);
	int64_t open[] = {2};
	n = job_fold_rows(&l, sorted, 6, open, 1, out, depth);
	assert_int_equal(n, 6); /* 1 2 [3 5] 6 4: task 2_9 before 2_10, though sorted 5 3 */
	assert_int_equal(out[1], 1);
	assert_int_equal(depth[1], 0);
	assert_int_equal(out[2], 2);
	assert_int_equal(depth[2], 1);
	assert_int_equal(out[3], 4);
	assert_int_equal(depth[3], 1);
	assert_int_equal(out[4], 5);
	assert_int_equal(depth[4], 0);
	assert_int_equal(job_fold_children(&l, 2), 2);
	assert_int_equal(job_fold_children(&l, 1), 0);
	assert_int_equal(job_fold_rows(&l, sorted, 0, open, 1, out, NULL), 0);
}

/* An array with thousands of task rows (its tasks not started among them)
 * folds into one row and unfolds into all, in task order. */
static void test_big_array(void **state)
{
	(void)state;
	enum { N = 3001 };
	struct job *v = calloc(N, sizeof *v);
	size_t *sorted = calloc(N, sizeof *sorted), *out = calloc(N, sizeof *out);
	int *depth = calloc(N, sizeof *depth);
	char (*ext)[16] = calloc(N, sizeof *ext);
	for (size_t i = 0; i < N; i++) {
		v[i].id = (int64_t)i + 10;
		v[i].parent_id = i ? 10 : 0;
		snprintf(ext[i], sizeof ext[i], i ? "10_%zu" : "10", i - (i > 0));
		v[i].ext_id = ext[i];
		sorted[i] = N - 1 - i; /* the parent last, the tasks from the highest */
	}
	struct job_list l = {v, N};
	assert_int_equal(job_fold_rows(&l, sorted, N, NULL, 0, out, depth), 1);
	assert_int_equal(out[0], 0);
	int64_t open[] = {10};
	assert_int_equal(job_fold_rows(&l, sorted, N, open, 1, out, depth), N);
	assert_int_equal(out[0], 0);
	assert_int_equal(depth[0], 0);
	assert_int_equal(out[1], 1); /* 10_0 */
	assert_int_equal(depth[1], 1);
	assert_int_equal(out[10], 10); /* 10_9, then 10_10 */
	assert_int_equal(out[11], 11);
	assert_int_equal(out[N - 1], N - 1);
	assert_int_equal(job_fold_children(&l, 10), N - 1);
	free(v);
	free(sorted);
	free(out);
	free(depth);
	free(ext);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_fold), cmocka_unit_test(test_big_array)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
