/* jobs/fold: an array's tasks follow their parent only while it is unfolded,
 * in the sorted order; orphans and plain jobs keep theirs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

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
	v[4].parent_id = 2;
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
	assert_int_equal(n, 6); /* 1 2 [5 3] 6 4 */
	assert_int_equal(out[1], 1);
	assert_int_equal(depth[1], 0);
	assert_int_equal(out[2], 4);
	assert_int_equal(depth[2], 1);
	assert_int_equal(out[3], 2);
	assert_int_equal(depth[3], 1);
	assert_int_equal(out[4], 5);
	assert_int_equal(depth[4], 0);
	assert_int_equal(job_fold_children(&l, 2), 2);
	assert_int_equal(job_fold_children(&l, 1), 0);
	assert_int_equal(job_fold_rows(&l, sorted, 0, open, 1, out, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_fold)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
