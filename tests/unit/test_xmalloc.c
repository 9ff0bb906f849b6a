#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

/* Appending one element at a time keeps every earlier element and doubles
 * the capacity: about log2(n) moves for n elements. */
static void test_xgrow_appends_and_doubles(void **state)
{
	(void)state;
	int *v = NULL;
	size_t n = 0, cap = 0, changes = 0, last = 0;
	for (int i = 0; i < 100000; i++) {
		XGROW(v, cap, n + 1);
		assert_true(cap >= n + 1);
		if (cap != last) {
			changes++;
			if (last)
				assert_int_equal(cap, last * 2);
			last = cap;
		}
		v[n++] = i;
	}
	assert_int_equal(cap, 131072);
	assert_true(changes <= 15);
	for (int i = 0; i < 100000; i++)
		assert_int_equal(v[i], i);
	free(v);
}

static void test_xgrow_leaves_enough_alone_and_jumps_to_need(void **state)
{
	(void)state;
	char *p = NULL;
	size_t cap = 0;
	p = xgrow(p, &cap, 0, 1);
	assert_null(p);
	assert_int_equal(cap, 0);
	p = xgrow(p, &cap, 1000, 1);
	assert_non_null(p);
	assert_int_equal(cap, 1024);
	memset(p, 'x', 1000);
	char *same = xgrow(p, &cap, 1024, 1);
	assert_ptr_equal(same, p);
	assert_int_equal(cap, 1024);
	p = xgrow(p, &cap, 5000, 1);
	assert_int_equal(cap, 8192);
	assert_int_equal(p[999], 'x');
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xgrow_appends_and_doubles),
		cmocka_unit_test(test_xgrow_leaves_enough_alone_and_jumps_to_need),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
