/* metrics: numbers, regex rules with SageMaker MetricDefinitions semantics,
 * JSON lines in both shapes, line splitting, CSV logger files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "base/buf.h"
#include "jobs/metrics.h"

#define LIT(s) (s), sizeof(s) - 1

/* Points as text: "name=value@step" joined by ' ' ("@-" without a step). */
static void on_point(void *ud, const struct metric_point *p)
{
	struct buf *b = ud;
	if (b->len)
		buf_putc(b, ' ');
	if (p->has_step)
		buf_printf(b, "%s=%g@%lld", p->name, p->value, (long long)p->step);
	else
		buf_printf(b, "%s=%g@-", p->name, p->value);
	if (p->time_s > 0)
		buf_printf(b, "t%g", p->time_s);
}

static char *scan(const struct metric_rules *r, const char *line)
{
	struct buf b = BUF_INIT;
	metric_scan_line(r, line, strlen(line), on_point, &b);
	return buf_detach(&b);
}

#define assert_scan(r, line, want)                                                                                     \
	do {                                                                                                           \
		char *got_ = scan(r, line);                                                                            \
		assert_string_equal(got_, want);                                                                       \
		free(got_);                                                                                            \
	} while (0)

static void test_numbers(void **state)
{
	(void)state;
	double d;
	assert_true(metric_parse_number(LIT("0.5"), &d) && d == 0.5);
	assert_true(metric_parse_number(LIT("-1e-3"), &d) && d == -1e-3);
	assert_true(metric_parse_number(LIT("+2"), &d) && d == 2);
	assert_true(metric_parse_number(LIT(".5"), &d) && d == 0.5);
	assert_true(metric_parse_number(LIT("5."), &d) && d == 5);
	assert_true(metric_parse_number(LIT(" 3\t"), &d) && d == 3);
	assert_true(metric_parse_number(LIT("1E+2"), &d) && d == 100);
	assert_true(metric_parse_number(LIT("nan"), &d) && isnan(d));
	assert_true(metric_parse_number(LIT("NaN"), &d) && isnan(d));
	assert_true(metric_parse_number(LIT("-inf"), &d) && isinf(d) && d < 0);
	assert_true(metric_parse_number(LIT("Infinity"), &d) && isinf(d) && d > 0);
	assert_false(metric_parse_number(LIT("0x10"), &d));
	assert_false(metric_parse_number(LIT("1e"), &d));
	assert_false(metric_parse_number(LIT("abc"), &d));
	assert_false(metric_parse_number(LIT(""), &d));
	assert_false(metric_parse_number(LIT("."), &d));
	assert_false(metric_parse_number(LIT("1.2.3"), &d));
	assert_false(metric_parse_number(LIT("1 2"), &d));
	assert_false(metric_parse_number(LIT("nanx"), &d));
}

static void test_rule_errors(void **state)
{
	(void)state;
	struct metric_rules *r = metric_rules_new();
	struct err e = ERR_INIT;
	assert_int_equal(metric_rules_add(r, "loss", &e), -1);
	assert_non_null(strstr(e.msg, "no '='"));
	err_clear(&e);
	assert_int_equal(metric_rules_add(r, "bad name=x(1)", &e), -1);
	assert_non_null(strstr(e.msg, "not valid"));
	err_clear(&e);
	assert_int_equal(metric_rules_add(r, "=x(1)", &e), -1);
	err_clear(&e);
	assert_int_equal(metric_rules_add(r, "loss=loss=([0-9.]+", &e), -1);
	assert_non_null(strstr(e.msg, "does not compile at offset 13: missing closing parenthesis"));
	err_clear(&e);
	assert_int_equal(metric_rules_add(r, "loss=loss=[0-9.]+", &e), -1);
	assert_non_null(strstr(e.msg, "no capture group"));
	err_clear(&e);
	assert_int_equal(metric_rules_add(r, "loss=(?<step>[0-9]+)", &e), -1);
	assert_int_equal(metric_rules_count(r), 0);
	assert_int_equal(metric_rules_add(r, "val/loss=val_loss=([0-9.]+)", &e), 0);
	assert_int_equal(metric_rules_count(r), 1);
	assert_string_equal(metric_rules_spec(r, 0), "val/loss=val_loss=([0-9.]+)");
	assert_null(metric_rules_spec(r, 1));
	metric_rules_free(r);
}

static void test_rules(void **state)
{
	(void)state;
	struct metric_rules *r = metric_rules_new();
	struct err e = ERR_INIT;
	/* the SageMaker documentation's own examples */
	assert_int_equal(metric_rules_add(r, "train:error=Train_error=(.*?);", &e), 0);
	assert_int_equal(metric_rules_add(r, "validation:error=Valid_error=(.*?);", &e), 0);
	assert_scan(r, "Train_error=0.138318;  Valid_error=0.324557;", "train:error=0.138318@- validation:error=0.324557@-");
	metric_rules_free(r);

	r = metric_rules_new();
	assert_int_equal(metric_rules_add(r, "loss=loss=([0-9.eE+-]+|nan)", &e), 0);
	assert_int_equal(metric_rules_add(r, "acc=step (?<step>[0-9]+) .*acc=([0-9.]+)", &e), 0);
	assert_int_equal(metric_rules_add(r, "lr=lr=([^ ]+)(?: at step (?<step>[0-9]+))?", &e), 0);
	/* the first match in a line counts: loss=, not val_loss= further on */
	assert_scan(r, "epoch=1 loss=0.60 val_loss=0.61", "loss=0.6@-");
	assert_scan(r, "val_loss=0.61 loss=0.50", "loss=0.61@-"); /* regex semantics: 'loss=' inside val_loss= matches first */
	assert_scan(r, "loss=nan", "loss=nan@-");
	assert_scan(r, "loss=abc", "");
	/* step as the first group: the value is the second */
	assert_scan(r, "step 12 loss=0.5 acc=0.75", "loss=0.5@- acc=0.75@12");
	/* optional step group that did not take part */
	assert_scan(r, "lr=0.01", "lr=0.01@-");
	assert_scan(r, "lr=0.01 at step 7", "lr=0.01@7");
	/* a value that is no number gives no point */
	assert_scan(r, "lr=fast", "");
	/* invalid UTF-8 around the match does not stop matching */
	assert_scan(r, "\xff\xfe loss=0.25 \xc3", "loss=0.25@-");
	metric_rules_free(r);
}

static void test_json_lines(void **state)
{
	(void)state;
	assert_scan(NULL, "{\"metric\":\"loss\",\"value\":0.31,\"step\":120}", "loss=0.31@120");
	assert_scan(NULL, "{\"name\":\"acc\",\"value\":1,\"time\":1700000000.5}", "acc=1@-t1.7e+09");
	assert_scan(NULL, "  {\"loss\":0.31,\"step\":120, \"acc\": 0.5}  ", "loss=0.31@120 acc=0.5@120");
	assert_scan(NULL, "{\"loss\":0.31,\"global_step\":7,\"timestamp\":5}", "loss=0.31@7t5");
	/* strings, booleans, nested and arrays are not metrics; bad names neither */
	assert_scan(NULL, "{\"loss\":0.1,\"tag\":\"x\",\"ok\":true,\"n\":{\"a\":1},\"v\":[1],\"bad name\":2}", "loss=0.1@-");
	/* a fractional step is no step */
	assert_scan(NULL, "{\"loss\":0.1,\"step\":1.5}", "loss=0.1@-");
	/* not JSON objects */
	assert_scan(NULL, "{\"loss\":0.1", "");
	assert_scan(NULL, "[1,2]", "");
	assert_scan(NULL, "{not json}", "");
	assert_scan(NULL, "loss=0.1", "");
	/* with rules, both apply */
	struct metric_rules *r = metric_rules_new();
	assert_int_equal(metric_rules_add(r, "lossre=\"loss\":([0-9.]+)", NULL), 0);
	assert_scan(r, "{\"loss\":0.5}", "lossre=0.5@- loss=0.5@-");
	metric_rules_free(r);
}

static void test_scan_text(void **state)
{
	(void)state;
	struct metric_rules *r = metric_rules_new();
	assert_int_equal(metric_rules_add(r, "loss=loss=([0-9.]+)", NULL), 0);
	struct buf b = BUF_INIT;
	const char text[] = "loss=1\nloss=2\r\nloss=3\rloss=4\n\nloss=5";
	size_t used = metric_scan_text(r, text, sizeof text - 1, 0, on_point, &b);
	assert_string_equal(buf_str(&b), "loss=1@- loss=2@- loss=3@- loss=4@-");
	assert_int_equal(used, sizeof text - 1 - strlen("loss=5"));
	buf_reset(&b);
	used = metric_scan_text(r, text + used, strlen(text + used), 1, on_point, &b);
	assert_string_equal(buf_str(&b), "loss=5@-");
	assert_int_equal(used, 6);
	buf_reset(&b);
	assert_int_equal(metric_scan_text(r, "loss=7", 6, 0, on_point, &b), 0);
	assert_int_equal(b.len, 0);
	buf_free(&b);
	metric_rules_free(r);
}

static void test_csv(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	struct err e = ERR_INIT;
	const char lightning[] = "epoch,step,train_loss,val_loss,note\n"
				 "0,49,0.9,,x\n"
				 "0,99,0.5,0.55,\n"
				 "1,149,nan,,\n";
	assert_int_equal(metric_csv(LIT(lightning), on_point, &b, &e), 0);
	assert_string_equal(buf_str(&b), "epoch=0@49 train_loss=0.9@49 epoch=0@99 train_loss=0.5@99 val_loss=0.55@99 "
					 "epoch=1@149 train_loss=nan@149");
	buf_reset(&b);
	assert_int_equal(metric_csv(LIT("a,time\n1,5\n"), on_point, &b, &e), 0);
	assert_string_equal(buf_str(&b), "a=1@-");
	buf_reset(&b);
	assert_int_equal(metric_csv(LIT(""), on_point, &b, &e), -1);
	assert_non_null(strstr(e.msg, "no header"));
	err_clear(&e);
	assert_int_equal(metric_csv(LIT("a,b\n\"1,2\n"), on_point, &b, &e), -1);
	assert_true(e.set);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),  cmocka_unit_test(test_rule_errors), cmocka_unit_test(test_rules),
		cmocka_unit_test(test_json_lines), cmocka_unit_test(test_scan_text), cmocka_unit_test(test_csv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
