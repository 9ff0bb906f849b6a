/* jobs/tally: running counts, all ended / all completed, and the exit status
 * of a watch until done for one job and for several. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jobs/tally.h"

static struct job_tally tally_of(struct job *v, size_t n)
{
	struct job_list l = { v, n };
	struct job_tally t;
	memset(&t, 0x55, sizeof t);
	job_tally(&l, &t);
	return t;
}

static void test_none(void **state)
{
	(void)state;
	struct job_tally t = tally_of(NULL, 0);
	assert_int_equal(t.running, 0);
	assert_true(t.all_final);
	assert_true(t.all_completed);
	assert_int_equal(t.exit_status, 0);
}

static void test_one_job_own_status(void **state)
{
	(void)state;
	struct job j = { .status = JOB_FAILED, .has_exit = 1, .exit_code = 3 };
	struct job_tally t = tally_of(&j, 1);
	assert_int_equal(t.running, 0);
	assert_true(t.all_final);
	assert_false(t.all_completed);
	assert_int_equal(t.exit_status, job_shell_status(&j));
	assert_int_equal(t.exit_status, 3);
	j.status = JOB_RUNNING;
	j.has_exit = 0;
	t = tally_of(&j, 1);
	assert_int_equal(t.running, 1);
	assert_false(t.all_final);
}

static void test_several(void **state)
{
	(void)state;
	struct job v[3] = { { .status = JOB_COMPLETED }, { .status = JOB_RUNNING }, { .status = JOB_QUEUED } };
	struct job_tally t = tally_of(v, 3);
	assert_int_equal(t.running, 1);
	assert_false(t.all_final);
	assert_false(t.all_completed);
	v[1].status = JOB_COMPLETED;
	v[2].status = JOB_COMPLETED;
	t = tally_of(v, 3);
	assert_int_equal(t.running, 0);
	assert_true(t.all_final);
	assert_true(t.all_completed);
	assert_int_equal(t.exit_status, 0);
	v[2].status = JOB_STOPPED;
	t = tally_of(v, 3);
	assert_true(t.all_final);
	assert_false(t.all_completed);
	assert_int_equal(t.exit_status, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_one_job_own_status),
		cmocka_unit_test(test_several),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
