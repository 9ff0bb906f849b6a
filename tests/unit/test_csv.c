#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/csv.h"

#define LIT(s) (s), sizeof(s) - 1

struct out {
	struct buf log;  /* "L<line>:" then fields joined by '|', each record ending in '\n' */
	int n, stop_after, rc;
	char err[1024];
};

static int on_record(void *ud, const struct csv_record *r)
{
	struct out *o = ud;
	assert_true(r->n >= 1);
	buf_printf(&o->log, "L%ld:", r->line);
	for (size_t i = 0; i < r->n; i++) {
		assert_int_equal(strlen(r->fields[i]), r->lens[i]);
		if (i)
			buf_putc(&o->log, '|');
		buf_append(&o->log, r->fields[i], r->lens[i]);
	}
	buf_putc(&o->log, '\n');
	o->n++;
	return o->stop_after && o->n >= o->stop_after;
}

/* Feeds in pieces of step bytes (0: one piece), then finishes. */
static void parse(struct out *o, const char *in, size_t n, size_t step, size_t max_field, size_t max_fields)
{
	memset(o, 0, sizeof *o);
	struct csv_parser *p = csv_new(max_field, max_fields, on_record, o);
	struct err e = ERR_INIT;
	size_t at = 0;
	do {
		size_t k = step ? step : n;
		if (k > n - at)
			k = n - at;
		int rc = csv_feed(p, in + at, k, &e);
		if (rc) {
			o->rc = rc;
			break;
		}
		at += k;
	} while (at < n);
	if (!o->rc)
		o->rc = csv_finish(p, &e);
	snprintf(o->err, sizeof o->err, "%s", err_msg(&e));
	csv_free(p);
}

/* The whole input and every split into two pieces, and byte by byte, give want. */
static void expect(const char *in, size_t n, const char *want, int want_rc, const char *want_err)
{
	struct out o;
	for (size_t step = 0; step <= 1; step++) {
		parse(&o, in, n, step, 0, 0);
		assert_int_equal(o.rc, want_rc);
		assert_string_equal(buf_str(&o.log), want);
		if (want_err)
			assert_string_equal(o.err, want_err);
		buf_free(&o.log);
	}
	for (size_t split = 1; split < n; split++) {
		memset(&o, 0, sizeof o);
		struct csv_parser *p = csv_new(0, 0, on_record, &o);
		struct err e = ERR_INIT;
		int rc = csv_feed(p, in, split, &e);
		if (!rc)
			rc = csv_feed(p, in + split, n - split, &e);
		if (!rc)
			rc = csv_finish(p, &e);
		assert_int_equal(rc, want_rc);
		assert_string_equal(buf_str(&o.log), want);
		if (want_err)
			assert_string_equal(err_msg(&e), want_err);
		buf_free(&o.log);
		csv_free(p);
	}
}

static void test_plain_records(void **state)
{
	(void)state;
	expect(LIT("a,b,c\n1,2,3\n"), "L1:a|b|c\nL2:1|2|3\n", 0, NULL);
	expect(LIT("a,b\n1,2"), "L1:a|b\nL2:1|2\n", 0, NULL);
	expect(LIT("one\n"), "L1:one\n", 0, NULL);
	expect(LIT(""), "", 0, NULL);
}

static void test_crlf_and_empty_fields(void **state)
{
	(void)state;
	expect(LIT("a,b\r\n,\r\nx,\r\n"), "L1:a|b\nL2:|\nL3:x|\n", 0, NULL);
	/* a CR not followed by LF is data */
	expect(LIT("a\rb,c\n"), "L1:a\rb|c\n", 0, NULL);
	/* a CR at the very end ends the record */
	expect(LIT("a,b\r"), "L1:a|b\n", 0, NULL);
}

static void test_blank_lines_skipped(void **state)
{
	(void)state;
	expect(LIT("a\n\n\r\nb\n"), "L1:a\nL4:b\n", 0, NULL);
	/* "" is a record with one empty field, not a blank line */
	expect(LIT("a\n\"\"\n"), "L1:a\nL2:\n", 0, NULL);
}

static void test_quoting(void **state)
{
	(void)state;
	expect(LIT("\"Smith, John\",\"say \"\"hi\"\"\"\n"), "L1:Smith, John|say \"hi\"\n", 0, NULL);
	expect(LIT("\"multi\nline\",x\r\nnext,y\n"), "L1:multi\nline|x\nL3:next|y\n", 0, NULL);
	expect(LIT("\"a\r\nb\"\r\n"), "L1:a\r\nb\n", 0, NULL);
	expect(LIT("\"\",\"\"\n"), "L1:|\n", 0, NULL);
	expect(LIT("\"end\""), "L1:end\n", 0, NULL);
	expect(LIT("\"q\"\r\n"), "L1:q\n", 0, NULL);
}

static void test_errors(void **state)
{
	(void)state;
	expect(LIT("a,b\nx\"y,z\n"), "L1:a|b\n", -1,
	       "line 2: a '\"' inside an unquoted field (quote the whole field and double the quote)");
	expect(LIT("h\n\"ab\"c\n"), "L1:h\n", -1,
	       "line 2: text after the closing quote of a field (a quoted field must end at ',' or the line end)");
	expect(LIT("h\n\"ab\"\rc\n"), "L1:h\n", -1,
	       "line 2: text after the closing quote of a field (a quoted field must end at ',' or the line end)");
	expect(LIT("h\n\"open,\nstill open\n"), "L1:h\n", -1,
	       "line 2: a quoted field is not closed before the end of the file");
}

static void test_limits(void **state)
{
	(void)state;
	struct out o;
	parse(&o, LIT("abcd,ef\n"), 0, 4, 0);
	assert_int_equal(o.rc, 0);
	buf_free(&o.log);
	parse(&o, LIT("abcde,ef\n"), 0, 4, 0);
	assert_int_equal(o.rc, -1);
	assert_string_equal(o.err, "line 1: a field is longer than the limit");
	buf_free(&o.log);
	parse(&o, LIT("a,b,c\n"), 0, 0, 3);
	assert_int_equal(o.rc, 0);
	buf_free(&o.log);
	parse(&o, LIT("a,b,c,d\n"), 0, 0, 3);
	assert_int_equal(o.rc, -1);
	assert_string_equal(o.err, "line 1: a record has more fields than the limit");
	buf_free(&o.log);
}

static void test_callback_stops(void **state)
{
	(void)state;
	struct out o;
	memset(&o, 0, sizeof o);
	o.stop_after = 1;
	struct csv_parser *p = csv_new(0, 0, on_record, &o);
	assert_int_equal(csv_feed(p, LIT("a\nb\nc\n"), NULL), 1);
	assert_int_equal(csv_feed(p, LIT("d\n"), NULL), 1);
	assert_int_equal(csv_finish(p, NULL), 1);
	assert_string_equal(buf_str(&o.log), "L1:a\n");
	buf_free(&o.log);
	csv_free(p);
}

static void test_error_sticks(void **state)
{
	(void)state;
	struct out o;
	memset(&o, 0, sizeof o);
	struct csv_parser *p = csv_new(0, 0, on_record, &o);
	struct err e = ERR_INIT;
	assert_int_equal(csv_feed(p, LIT("a\"\n"), &e), -1);
	err_clear(&e);
	assert_int_equal(csv_feed(p, LIT("fine\n"), &e), -1);
	assert_string_equal(err_msg(&e),
			    "line 1: a '\"' inside an unquoted field (quote the whole field and double the quote)");
	assert_int_equal(o.n, 0);
	csv_free(p);
	buf_free(&o.log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_records),
		cmocka_unit_test(test_crlf_and_empty_fields),
		cmocka_unit_test(test_blank_lines_skipped),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_error_sticks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
