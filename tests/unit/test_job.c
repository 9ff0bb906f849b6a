/* job: status names and mapping rules, SOURCE:ID parsing, shell exit
 * statuses, back-off, and the poller on a real loop with a source that fails
 * and recovers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/clock.h"
#include "jobs/job.h"

static void test_status_names(void **state)
{
	(void)state;
	static const char *const names[] = {"queued", "starting", "running", "completed", "failed",
					    "stopping", "stopped", "timeout", "lost", "unknown"};
	for (int i = 0; i < JOB_STATUS_COUNT; i++) {
		enum job_status s;
		assert_string_equal(job_status_name((enum job_status)i), names[i]);
		assert_int_equal(job_status_parse(names[i], &s), 0);
		assert_int_equal(s, i);
	}
	enum job_status s;
	assert_int_equal(job_status_parse("COMPLETED", &s), -1);
	assert_int_equal(job_status_parse("done", &s), -1);
	assert_string_equal(job_status_name((enum job_status)99), "unknown");
	/* unknown is never final, so it is never shown as ended or completed */
	assert_false(job_status_final(JOB_UNKNOWN));
	assert_false(job_status_final(JOB_RUNNING));
	assert_false(job_status_final(JOB_STOPPING));
	assert_false(job_status_final(JOB_QUEUED));
	assert_true(job_status_final(JOB_COMPLETED));
	assert_true(job_status_final(JOB_FAILED));
	assert_true(job_status_final(JOB_STOPPED));
	assert_true(job_status_final(JOB_TIMEOUT));
	assert_true(job_status_final(JOB_LOST));
}

static void ref_is(const char *ref, const char *source, const char *id)
{
	char *s, *i;
	struct err e = ERR_INIT;
	assert_int_equal(job_parse_ref(ref, &s, &i, &e), 0);
	if (source)
		assert_string_equal(s, source);
	else
		assert_null(s);
	assert_string_equal(i, id);
	free(s);
	free(i);
}

static void test_refs(void **state)
{
	(void)state;
	ref_is("local:7", "local", "7");
	ref_is("loc:7", "local", "7");
	ref_is("l:7", "local", "7");
	ref_is("slurm:42_3", "slurm", "42_3");
	ref_is("sagemaker:my-job", "sagemaker", "my-job");
	ref_is("sag:my-job", "sagemaker", "my-job");
	ref_is("sagemaker-monitor:churn/20251207T100000Z", "sagemaker-monitor", "churn/20251207T100000Z");
	ref_is("sagemaker-m:churn", "sagemaker-monitor", "churn");
	ref_is("7", NULL, "7");
	ref_is("my-job", NULL, "my-job");
	ref_is("x:y", NULL, "x:y"); /* not a source: the whole string is an id */
	char *s, *i;
	struct err e = ERR_INIT;
	assert_int_equal(job_parse_ref("s:42", &s, &i, &e), -1);
	assert_non_null(strstr(e.msg, "several sources"));
	err_clear(&e);
	assert_int_equal(job_parse_ref("local:", &s, &i, &e), -1);
	err_clear(&e);
	assert_int_equal(job_parse_ref("", &s, &i, &e), -1);
	char src[] = "local", id[] = "12";
	struct job j = {.source = src, .ext_id = id};
	char *r = job_ref(&j);
	assert_string_equal(r, "local:12");
	free(r);
}

static void test_shell_status(void **state)
{
	(void)state;
	struct job j = {.status = JOB_COMPLETED, .has_exit = 1};
	assert_int_equal(job_shell_status(&j), 0);
	j = (struct job){.status = JOB_FAILED, .has_exit = 1, .exit_code = 3};
	assert_int_equal(job_shell_status(&j), 3);
	j = (struct job){.status = JOB_FAILED, .has_exit = 1, .exit_code = 137};
	assert_int_equal(job_shell_status(&j), 137);
	j = (struct job){.status = JOB_FAILED, .signal = 9};
	assert_int_equal(job_shell_status(&j), 137);
	j = (struct job){.status = JOB_STOPPED, .signal = 15};
	assert_int_equal(job_shell_status(&j), 143);
	j = (struct job){.status = JOB_LOST};
	assert_int_equal(job_shell_status(&j), 1);
	j = (struct job){.status = JOB_FAILED, .has_exit = 1, .exit_code = 256};
	assert_int_equal(job_shell_status(&j), 1);
	assert_string_equal(job_signal_name(9), "KILL");
	assert_string_equal(job_signal_name(15), "TERM");
	assert_null(job_signal_name(64));
}

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(job_backoff_ms(1000, 30000, 0), 1000);
	assert_int_equal(job_backoff_ms(1000, 30000, 1), 2000);
	assert_int_equal(job_backoff_ms(1000, 30000, 4), 16000);
	assert_int_equal(job_backoff_ms(1000, 30000, 5), 30000);
	assert_int_equal(job_backoff_ms(1000, 30000, 1000), 30000);
}

/* A source whose list fails `fail` times, then succeeds; records when it ran. */
struct fake {
	struct job_source src;
	int calls, fail;
	int64_t at[16];
	int active;
};

static void fake_list(struct job_source *src, job_done_fn done, void *ud)
{
	struct fake *f = (struct fake *)src;
	if (f->calls < 16)
		f->at[f->calls] = clock_ms();
	f->calls++;
	src->active = f->active;
	if (f->calls <= f->fail)
		done(ud, 0, "connection refused");
	else
		done(ud, 1, NULL);
}

static const struct job_source_ops fake_ops = {.name = "fake", .list = fake_list};

struct updates {
	int n, down_seen, up_after_down;
	struct loop *loop;
	int stop_at;
};

static void on_update(void *ud, struct job_source *src)
{
	struct updates *u = ud;
	u->n++;
	if (src->down) {
		u->down_seen++;
		assert_string_equal(src->why, "connection refused");
	} else if (u->down_seen)
		u->up_after_down = 1;
	if (u->n >= u->stop_at)
		loop_stop(u->loop);
}

static void test_poller_backoff(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct fake f = {.src = {.ops = &fake_ops}, .fail = 3, .active = 1};
	struct updates u = {.loop = l, .stop_at = 5};
	struct job_poller *p = job_poller_new(l, 20, 1000, 200, on_update, &u);
	job_poller_add(p, &f.src);
	int64_t t0 = clock_ms();
	loop_run(l);
	assert_int_equal(u.n, 5);
	assert_int_equal(u.down_seen, 3);
	assert_true(u.up_after_down);
	assert_false(f.src.down);
	assert_null(f.src.why);
	/* at once, then 40, 80, 160 ms after failures 1..3, then the interval */
	assert_true(f.at[0] - t0 < 15);
	assert_true(f.at[1] - f.at[0] >= 40);
	assert_true(f.at[2] - f.at[1] >= 80);
	assert_true(f.at[3] - f.at[2] >= 160);
	assert_true(f.at[4] - f.at[3] >= 20);
	assert_false(job_poller_busy(p));
	job_poller_free(p);
	loop_free(l);
}

static void test_poller_idle(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct fake f = {.src = {.ops = &fake_ops}, .active = 0};
	struct updates u = {.loop = l, .stop_at = 3};
	struct job_poller *p = job_poller_new(l, 10, 60, 100, on_update, &u);
	job_poller_add(p, &f.src);
	loop_run(l);
	assert_int_equal(f.calls, 3);
	/* nothing running: the idle interval */
	assert_true(f.at[1] - f.at[0] >= 60);
	assert_true(f.at[2] - f.at[1] >= 60);
	job_poller_free(p);
	free(f.src.why);
	loop_free(l);
}

static void test_poller_idle_down_not_sooner(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct fake f = {.src = {.ops = &fake_ops}, .fail = 2, .active = 0};
	struct updates u = {.loop = l, .stop_at = 3};
	struct job_poller *p = job_poller_new(l, 10, 60, 100, on_update, &u);
	job_poller_add(p, &f.src);
	loop_run(l);
	/* back-off would say 20 and 40 ms; a source with nothing running waits its idle 60 ms */
	assert_true(f.at[1] - f.at[0] >= 60);
	assert_true(f.at[2] - f.at[1] >= 60);
	job_poller_free(p);
	free(f.src.why);
	loop_free(l);
}

struct kicks {
	struct job_poller *p;
	int n;
};

static int64_t kick_later(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct kicks *k = ud;
	if (++k->n == 2)
		job_poller_set_idle(k->p, 40);
	job_poller_kick(k->p);
	return LOOP_TIMER_DONE;
}

static void test_poller_kick_and_idle_change(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct fake f = {.src = {.ops = &fake_ops}, .active = 0};
	struct updates u = {.loop = l, .stop_at = 4};
	struct job_poller *p = job_poller_new(l, 10, 60000, 100000, on_update, &u);
	struct kicks k = {p, 0};
	job_poller_add(p, &f.src);
	int64_t t0 = clock_ms();
	loop_add_timer(l, 30, kick_later, &k);
	loop_add_timer(l, 90, kick_later, &k);
	loop_run(l);
	assert_int_equal(f.calls, 4);
	/* at once; kicked at 30 and 90 ms instead of waiting a minute; then the new idle 40 ms */
	assert_true(f.at[1] - t0 >= 30 && f.at[1] - t0 < 10000);
	assert_true(f.at[2] - t0 >= 90 && f.at[2] - t0 < 10000);
	assert_true(f.at[3] - f.at[2] >= 40 && f.at[3] - f.at[2] < 10000);
	job_poller_free(p);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_names), cmocka_unit_test(test_refs),
		cmocka_unit_test(test_shell_status), cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_poller_backoff), cmocka_unit_test(test_poller_idle),
		cmocka_unit_test(test_poller_idle_down_not_sooner), cmocka_unit_test(test_poller_kick_and_idle_change),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
