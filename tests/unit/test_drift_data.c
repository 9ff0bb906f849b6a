/* drift/data: CSV and JSONL reading, type inference, counts, bad rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>
#include <unistd.h>
#include <zlib.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "drift/data.h"

static char dir[] = "/tmp/aiwb-test-drift-XXXXXX";

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

static char *write_file(const char *name, const char *text, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	return path;
}

static struct drift_data *read_text(const char *name, const char *text, const struct drift_read_opts *o)
{
	char *path = write_file(name, text, strlen(text));
	struct err e = ERR_INIT;
	struct drift_data *d = drift_data_read(path, o, &e);
	if (!d)
		fail_msg("reading %s: %s", name, err_msg(&e));
	free(path);
	return d;
}

static struct drift_column *col(struct drift_data *d, const char *name)
{
	struct drift_column *c = drift_data_column(d, name);
	if (!c)
		fail_msg("no column %s", name);
	return c;
}

static void test_csv_types_and_counts(void **state)
{
	(void)state;
	struct drift_data *d = read_text("a.csv",
					 "\xEF\xBB\xBF"
					 "num,cat,flag,when,mostly,gone\r\n"
					 "1.5,red,true,2011-01-01,1,\r\n"
					 "2,\"blue, dark\",FALSE,2011-01-02 10:00:00,2,NA\n"
					 "?,\"multi\nline\",yes,2011-01-03T00:00:00Z,x,?\n"
					 " 4 ,red,no,,4,\n"
					 "NA,red,True,2011-01-05,5,\n"
					 "6,red,false,2011-01-06,6,\n"
					 "7,red,true,2011-01-07,7,\n"
					 "8,red,true,2011-01-08,8,\n"
					 "9,red,true,2011-01-09,9,\n"
					 "10,red,true,2011-01-10,10,\n"
					 "11,red,true,2011-01-11,11,\n",
					 NULL);
	assert_int_equal(d->rows, 11);
	assert_int_equal(d->bad_rows, 0);
	assert_int_equal(d->ncols, 6);
	assert_string_equal(d->cols[0].name, "num");   /* BOM gone */
	struct drift_column *c = col(d, "num");
	assert_int_equal(c->type, DRIFT_NUMERIC);
	assert_int_equal(c->missing, 2);
	assert_int_equal(c->present, 9);
	size_t n;
	struct err e = ERR_INIT;
	double *v = drift_column_values(c, &n, &e);
	assert_int_equal(n, 9);
	assert_true(v[0] == 1.5 && v[1] == 2 && v[2] == 4 && v[8] == 11);
	free(v);
	c = col(d, "cat");
	assert_int_equal(c->type, DRIFT_CATEGORICAL);
	assert_int_equal(c->ncats, 3);
	assert_string_equal(c->cats[0].value, "blue, dark");
	assert_string_equal(c->cats[1].value, "multi\nline");
	assert_int_equal(c->cats[2].count, 9);
	c = col(d, "flag");
	assert_int_equal(c->type, DRIFT_BOOLEAN);
	assert_int_equal(c->ncats, 4);   /* false, no, true, yes (lower-cased, merged) */
	assert_string_equal(c->cats[2].value, "true");
	assert_int_equal(c->cats[2].count, 7);
	c = col(d, "when");
	assert_int_equal(c->type, DRIFT_DATETIME);
	assert_int_equal(c->missing, 1);
	assert_int_equal(c->present, 10);
	v = drift_column_values(c, &n, &e);
	assert_true(v[0] == 1293840000.0);   /* 2011-01-01T00:00:00Z */
	assert_true(v[1] == 1293926400.0 + 36000);
	free(v);
	c = col(d, "mostly");
	assert_int_equal(c->type, DRIFT_NUMERIC);
	assert_int_equal(c->unparseable, 1);
	assert_int_equal(c->present, 10);
	c = col(d, "gone");
	assert_int_equal(c->type, DRIFT_EMPTY);
	assert_int_equal(c->missing, 11);
	drift_data_free(d);
}

static void test_overrides(void **state)
{
	(void)state;
	struct drift_type_override t[] = { { "code", DRIFT_CATEGORICAL }, { "x", DRIFT_NUMERIC } };
	struct drift_read_opts o = { .types = t, .ntypes = 2 };
	struct drift_data *d = read_text("o.csv", "code,x\n1,a\n2,3\n1,4\n", &o);
	struct drift_column *c = col(d, "code");
	assert_int_equal(c->type, DRIFT_CATEGORICAL);
	assert_true(c->type_forced);
	assert_int_equal(c->ncats, 2);
	assert_string_equal(c->cats[0].value, "1");
	assert_int_equal(c->cats[0].count, 2);
	c = col(d, "x");
	assert_int_equal(c->type, DRIFT_NUMERIC);
	assert_int_equal(c->unparseable, 1);
	assert_int_equal(c->present, 2);
	drift_data_free(d);
}

static void test_bad_rows(void **state)
{
	(void)state;
	struct drift_data *d = read_text("r.csv", "a,b\n1,2\n3\n4,5,6\n7,8\n", NULL);
	assert_int_equal(d->rows, 2);
	assert_int_equal(d->bad_rows, 2);
	assert_int_equal(d->nbad_lines, 2);
	assert_int_equal(d->bad_lines[0], 3);
	assert_int_equal(d->bad_lines[1], 4);
	drift_data_free(d);
}

static void test_broken_and_empty(void **state)
{
	(void)state;
	struct err e = ERR_INIT;
	char *p = write_file("empty.csv", "", 0);
	assert_null(drift_data_read(p, NULL, &e));
	assert_non_null(strstr(err_msg(&e), "empty"));
	free(p);
	err_clear(&e);
	p = write_file("q.csv", "a,b\n1,\"open\n", 12);
	assert_null(drift_data_read(p, NULL, &e));
	assert_non_null(strstr(err_msg(&e), "line 2"));
	free(p);
	err_clear(&e);
	assert_null(drift_data_read("/nonexistent/x.csv", NULL, &e));
	assert_non_null(strstr(err_msg(&e), "cannot open"));
	struct drift_data *d = read_text("h.csv", "a,b,c\n", NULL);
	assert_int_equal(d->rows, 0);
	assert_int_equal(d->ncols, 3);
	assert_int_equal(d->cols[1].type, DRIFT_EMPTY);
	drift_data_free(d);
	d = read_text("one.csv", "a,b\n1,x", NULL);
	assert_int_equal(d->rows, 1);
	assert_int_equal(d->cols[0].type, DRIFT_NUMERIC);
	drift_data_free(d);
	p = write_file("dup.csv", "a,a\n1,2\n", 8);
	assert_null(drift_data_read(p, NULL, &e));
	assert_non_null(strstr(err_msg(&e), "twice"));
	free(p);
}

static void test_many_columns_and_spool(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	for (int i = 0; i < 10000; i++)
		buf_printf(&b, "%sc%d", i ? "," : "", i);
	buf_putc(&b, '\n');
	for (int r = 0; r < 3; r++) {
		for (int i = 0; i < 10000; i++)
			buf_printf(&b, "%s%d", i ? "," : "", i * r);
		buf_putc(&b, '\n');
	}
	struct drift_data *d = read_text("wide.csv", buf_str(&b), NULL);
	assert_int_equal(d->ncols, 10000);
	assert_int_equal(d->rows, 3);
	assert_int_equal(col(d, "c9999")->type, DRIFT_NUMERIC);
	assert_true(col(d, "c9999")->max == 19998);
	drift_data_free(d);
	buf_reset(&b);
	/* enough values to spill every column's buffer to the spool many times */
	buf_puts(&b, "x,y\n");
	for (int r = 200000; r > 0; r--)
		buf_printf(&b, "%d,%d.25\n", r, r % 1000);
	d = read_text("long.csv", buf_str(&b), NULL);
	size_t n;
	struct err e = ERR_INIT;
	double *v = drift_column_values(col(d, "x"), &n, &e);
	assert_int_equal(n, 200000);
	for (size_t i = 0; i < n; i++)
		assert_true(v[i] == (double)(i + 1));
	free(v);
	v = drift_column_values(col(d, "y"), &n, &e);
	assert_true(v[0] == 0.25 && v[n - 1] == 999.25);
	free(v);
	drift_data_free(d);
	buf_free(&b);
}

static void test_jsonl(void **state)
{
	(void)state;
	struct drift_data *d = read_text("a.jsonl",
					 "{\"a\":1,\"m\":{\"x\":\"u\",\"y\":{\"z\":2.5}},\"b\":true}\n"
					 "\n"
					 "[1,2]\n"
					 "{\"a\":null,\"m\":{\"x\":\"v\"},\"late\":\"2020-02-02\"}\r\n"
					 "{\"a\":\"3\",\"arr\":[1,2],\"b\":false}",
					 NULL);
	assert_int_equal(d->rows, 3);
	assert_int_equal(d->bad_rows, 1);
	assert_int_equal(d->bad_lines[0], 3);
	struct drift_column *c = col(d, "a");
	assert_int_equal(c->type, DRIFT_NUMERIC);
	assert_int_equal(c->missing, 1);
	assert_int_equal(c->present, 2);
	c = col(d, "m.y.z");
	assert_int_equal(c->missing, 2);
	assert_true(c->max == 2.5);
	c = col(d, "late");
	assert_int_equal(c->missing, 2);
	assert_int_equal(c->type, DRIFT_DATETIME);
	c = col(d, "b");
	assert_int_equal(c->type, DRIFT_BOOLEAN);
	assert_int_equal(c->missing, 1);
	c = col(d, "arr");
	assert_int_equal(c->type, DRIFT_CATEGORICAL);
	assert_string_equal(c->cats[0].value, "[1,2]");
	drift_data_free(d);
}

static void test_gzip_and_keep_rows(void **state)
{
	(void)state;
	char *path = xasprintf("%s/z.csv.gz", dir);
	gzFile z = gzopen(path, "wb");
	gzputs(z, "t,p\n1,0.9\n0,\n?,0.2\n");
	gzclose(z);
	const char *keep[] = { "t", "p" };
	struct drift_read_opts o = { .keep_rows = keep, .nkeep_rows = 2 };
	struct err e = ERR_INIT;
	struct drift_data *d = drift_data_read(path, &o, &e);
	assert_non_null(d);
	assert_int_equal(d->rows, 3);
	struct drift_column *t = col(d, "t"), *p = col(d, "p");
	assert_string_equal(t->row_values[0], "1");
	assert_null(t->row_values[2]);
	assert_null(p->row_values[1]);
	assert_string_equal(p->row_values[2], "0.2");
	drift_data_free(d);
	free(path);
}

static void test_parsers(void **state)
{
	(void)state;
	double v;
	assert_true(drift_parse_number("0.1", 3, &v) && v == 0.1);
	assert_true(drift_parse_number("-12.5e3", 7, &v) && v == -12500);
	assert_true(drift_parse_number("123456789012345678901", 21, &v) && v == 123456789012345678901.0);
	assert_true(drift_parse_number("0.30000000000000004", 19, &v) && v == 0.30000000000000004);
	assert_true(drift_parse_number(".5", 2, &v) && v == 0.5);
	assert_false(drift_parse_number("1.2.3", 5, &v));
	assert_false(drift_parse_number("inf", 3, &v));
	assert_false(drift_parse_number("0x10", 4, &v));
	assert_false(drift_parse_number("1e999", 5, &v));
	assert_false(drift_parse_number("-", 1, &v));
	assert_true(drift_parse_datetime("1970-01-02", 10, &v) && v == 86400);
	assert_true(drift_parse_datetime("2000-03-01T00:00:00+01:00", 25, &v) && v == 951865200.0);
	assert_true(drift_parse_datetime("2011-01-01 00:00:01.5", 21, &v) && v == 1293840001.5);
	assert_false(drift_parse_datetime("2011-13-01", 10, &v));
	assert_false(drift_parse_datetime("2011-01-01X", 11, &v));
	assert_true(drift_is_missing("", 0) && drift_is_missing("?", 1) && drift_is_missing("NA", 2));
	assert_false(drift_is_missing("NAN!", 4));
	assert_int_equal(drift_type_parse("boolean"), DRIFT_BOOLEAN);
	assert_int_equal(drift_type_parse("empty"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_types_and_counts),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_bad_rows),
		cmocka_unit_test(test_broken_and_empty),
		cmocka_unit_test(test_many_columns_and_spool),
		cmocka_unit_test(test_jsonl),
		cmocka_unit_test(test_gzip_and_keep_rows),
		cmocka_unit_test(test_parsers),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
