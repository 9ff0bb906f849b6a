#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmalloc.h"

/* Byte i of the reference stream: never NUL, so strlen() checks termination. */
static char pattern(size_t i)
{
	return (char)('!' + i % 90);
}

static void assert_buf_is(const struct buf *b, const char *want, size_t len)
{
	assert_int_equal(b->len, len);
	assert_non_null(b->data);
	assert_true(b->cap >= b->len + 1);
	assert_memory_equal(b->data, want, len);
	assert_int_equal(b->data[len], '\0');
}

static void test_append_grows_through_many_sizes(void **state)
{
	(void)state;
	char chunk[700];
	for (size_t i = 0; i < sizeof chunk; i++)
		chunk[i] = pattern(i);
	/* Every chunk size from 0 to 699: crosses the 64-byte start and many doublings. */
	for (size_t n = 0; n < sizeof chunk; n++) {
		struct buf b = BUF_INIT;
		buf_append(&b, chunk, n);
		assert_buf_is(&b, chunk, n);
		assert_int_equal(strlen(buf_str(&b)), n);
		buf_free(&b);
	}
	/* Many appends of varying sizes into one buffer. */
	struct buf b = BUF_INIT;
	char *want = xmalloc(300000);
	size_t total = 0;
	for (size_t n = 1; total + n < 300000 && n < 700; n += 7) {
		for (int rep = 0; rep < 3; rep++) {
			buf_append(&b, chunk, n);
			memcpy(want + total, chunk, n);
			total += n;
			assert_int_equal(b.data[b.len], '\0');
		}
	}
	assert_buf_is(&b, want, total);
	free(want);
	buf_free(&b);
}

static void test_putc_and_puts_keep_terminated(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	char want[5000];
	for (size_t i = 0; i < sizeof want; i++) {
		buf_putc(&b, pattern(i));
		want[i] = pattern(i);
		assert_int_equal(b.len, i + 1);
		assert_int_equal(b.data[i + 1], '\0');
	}
	assert_buf_is(&b, want, sizeof want);
	buf_reset(&b);
	buf_puts(&b, "");
	assert_string_equal(buf_str(&b), "");
	buf_puts(&b, "hello");
	buf_puts(&b, ", ");
	buf_puts(&b, "world");
	assert_string_equal(buf_str(&b), "hello, world");
	assert_int_equal(b.len, 12);
	buf_free(&b);
}

static void test_append_keeps_embedded_nul(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_append(&b, "a\0b", 3);
	buf_append(&b, "\0", 1);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "a\0b\0", 5);
	buf_free(&b);
}

static void test_printf_grows_through_many_sizes(void **state)
{
	(void)state;
	char arg[2100];
	for (size_t i = 0; i < sizeof arg - 1; i++)
		arg[i] = pattern(i);
	arg[sizeof arg - 1] = '\0';
	struct buf all = BUF_INIT;
	struct buf want = BUF_INIT;
	for (int n = 0; n < 2000; n += 1 + n / 16) {
		/* Fresh buffer: the formatted length straddles every capacity boundary. */
		struct buf b = BUF_INIT;
		buf_printf(&b, "[%d:%.*s]", n, n, arg);
		char *expect = xasprintf("[%d:%.*s]", n, n, arg);
		assert_string_equal(buf_str(&b), expect);
		assert_int_equal(b.len, strlen(expect));
		buf_free(&b);

		/* Accumulating buffer: printf appends after what is there. */
		buf_printf(&all, "%s|%05d", expect, n);
		buf_puts(&want, expect);
		char tail[16];
		snprintf(tail, sizeof tail, "|%05d", n);
		buf_puts(&want, tail);
		assert_int_equal(all.len, want.len);
		assert_memory_equal(all.data, want.data, want.len + 1);
		free(expect);
	}
	buf_free(&all);
	buf_free(&want);
}

static void test_printf_empty_result(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s", "");
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	buf_puts(&b, "ab");
	buf_printf(&b, "%.0s", "ignored");
	assert_string_equal(buf_str(&b), "ab");
	assert_int_equal(b.len, 2);
	buf_free(&b);
}

static void vprintf_twice(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void vprintf_twice(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

static void test_vprintf_through_wrapper(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	char big[300];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	vprintf_twice(&b, "%s-%d-%s;", "a", 42, big);
	char *one = xasprintf("a-42-%s;", big);
	char *two = xasprintf("%s%s", one, one);
	assert_string_equal(buf_str(&b), two);
	assert_int_equal(b.len, strlen(two));
	free(one);
	free(two);
	buf_free(&b);
}

static void test_consume_edges(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;

	/* On a never-grown buffer: no crash, stays empty. */
	buf_consume(&b, 0);
	buf_consume(&b, 5);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");

	buf_puts(&b, "0123456789");
	buf_consume(&b, 0);
	assert_string_equal(buf_str(&b), "0123456789");
	buf_consume(&b, 3);
	assert_string_equal(buf_str(&b), "3456789");
	assert_int_equal(b.len, 7);
	buf_consume(&b, 6);
	assert_string_equal(buf_str(&b), "9");
	assert_int_equal(b.len, 1);
	buf_consume(&b, 1); /* exactly len */
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");

	buf_puts(&b, "abc");
	buf_consume(&b, 1000); /* more than len */
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");

	/* Still usable after consuming: appends land at the start. */
	buf_puts(&b, "xyz");
	assert_string_equal(buf_str(&b), "xyz");

	/* Large consume moves many bytes correctly (overlapping memmove). */
	buf_reset(&b);
	char want[4096];
	for (size_t i = 0; i < sizeof want; i++)
		want[i] = pattern(i);
	buf_append(&b, want, sizeof want);
	buf_consume(&b, 1);
	assert_buf_is(&b, want + 1, sizeof want - 1);
	buf_consume(&b, 2000);
	assert_buf_is(&b, want + 2001, sizeof want - 2001);
	buf_free(&b);
}

static void test_truncate_edges(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_truncate(&b, 0); /* never grown */
	buf_truncate(&b, 10);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");

	buf_puts(&b, "hello world");
	buf_truncate(&b, 100); /* longer than len: unchanged */
	assert_string_equal(buf_str(&b), "hello world");
	assert_int_equal(b.len, 11);
	buf_truncate(&b, 11); /* equal: unchanged */
	assert_string_equal(buf_str(&b), "hello world");
	buf_truncate(&b, 5);
	assert_string_equal(buf_str(&b), "hello");
	assert_int_equal(b.len, 5);
	buf_puts(&b, "!");
	assert_string_equal(buf_str(&b), "hello!");
	buf_truncate(&b, 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	buf_reset(&b);
	assert_string_equal(buf_str(&b), "");
	buf_free(&b);
}

static void test_detach(void **state)
{
	(void)state;
	/* Empty, never grown: a fresh "" the caller can free. */
	struct buf b = BUF_INIT;
	char *s = buf_detach(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);

	/* Grown then emptied: still a valid "". */
	buf_puts(&b, "gone");
	buf_truncate(&b, 0);
	s = buf_detach(&b);
	assert_string_equal(s, "");
	free(s);

	/* Non-empty: hands over the very allocation and leaves the buffer empty. */
	buf_puts(&b, "payload");
	char *data = b.data;
	s = buf_detach(&b);
	assert_ptr_equal(s, data);
	assert_string_equal(s, "payload");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_string_equal(buf_str(&b), "");

	/* The buffer is reusable and independent of the detached string. */
	buf_puts(&b, "next");
	assert_string_equal(buf_str(&b), "next");
	assert_string_equal(s, "payload");
	free(s);
	buf_free(&b);
}

static void test_str_on_empty(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	const char *s = buf_str(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	buf_puts(&b, "x");
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	/* A zeroed struct is the same as BUF_INIT. */
	struct buf z;
	memset(&z, 0, sizeof z);
	assert_string_equal(buf_str(&z), "");
	buf_putc(&z, 'q');
	assert_string_equal(buf_str(&z), "q");
	buf_free(&z);
}

static void test_grow_reserves_space(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_puts(&b, "start");
	buf_grow(&b, 10000);
	assert_true(b.cap >= b.len + 10000 + 1);
	char *before = b.data;
	for (int i = 0; i < 10000; i++)
		buf_putc(&b, 'x');
	assert_ptr_equal(b.data, before); /* no reallocation within the reservation */
	assert_int_equal(b.len, 10005);
	assert_int_equal(b.data[b.len], '\0');
	size_t cap = b.cap;
	buf_grow(&b, 0);
	assert_int_equal(b.cap, cap);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_grows_through_many_sizes),
		cmocka_unit_test(test_putc_and_puts_keep_terminated),
		cmocka_unit_test(test_append_keeps_embedded_nul),
		cmocka_unit_test(test_printf_grows_through_many_sizes),
		cmocka_unit_test(test_printf_empty_result),
		cmocka_unit_test(test_vprintf_through_wrapper),
		cmocka_unit_test(test_consume_edges),
		cmocka_unit_test(test_truncate_edges),
		cmocka_unit_test(test_detach),
		cmocka_unit_test(test_str_on_empty),
		cmocka_unit_test(test_grow_reserves_space),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
