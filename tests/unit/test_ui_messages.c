#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "view_messages.h"

static void test_keeps_in_order(void **state)
{
	(void)state;
	struct messages m = { 0 };
	messages_add(&m, 0, "first");
	messages_add(&m, 1, "second, an error");
	assert_int_equal(m.count, 2);
	assert_string_equal(messages_get(&m, 0)->text, "first");
	assert_int_equal(messages_get(&m, 0)->error, 0);
	assert_string_equal(messages_get(&m, 1)->text, "second, an error");
	assert_int_equal(messages_get(&m, 1)->error, 1);
	messages_free(&m);
	assert_int_equal(m.count, 0);
}

static void test_bounded_drops_oldest(void **state)
{
	(void)state;
	struct messages m = { 0 };
	char text[32];
	for (int i = 0; i < MESSAGES_MAX + 7; i++) {
		snprintf(text, sizeof text, "message %d", i);
		messages_add(&m, i % 2, text);
	}
	assert_int_equal(m.count, MESSAGES_MAX);
	assert_string_equal(messages_get(&m, 0)->text, "message 7");
	snprintf(text, sizeof text, "message %d", MESSAGES_MAX + 6);
	assert_string_equal(messages_get(&m, MESSAGES_MAX - 1)->text, text);
	messages_free(&m);
}

static void test_long_text_kept_whole(void **state)
{
	(void)state;
	struct messages m = { 0 };
	char big[4096];
	memset(big, 'x', sizeof big - 2);
	big[sizeof big - 2] = '!';
	big[sizeof big - 1] = 0;
	messages_add(&m, 1, big);
	assert_string_equal(messages_get(&m, 0)->text, big);
	messages_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keeps_in_order),
		cmocka_unit_test(test_bounded_drops_oldest),
		cmocka_unit_test(test_long_text_kept_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
