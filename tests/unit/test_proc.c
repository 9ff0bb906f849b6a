/* proc: commands run on a real loop without blocking it: stdout and stderr
 * captured, exit codes and signals reported, exec failures named, a child
 * over its time limit killed, and the loop's timers keep running meanwhile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "jobs/proc.h"

struct got {
	int done, started, exited, code, signal, timed_out;
	char out[256], err[256], why[256];
	struct loop *loop;
};

static void on_done(void *ud, const struct proc_result *r)
{
	struct got *g = ud;
	g->done++;
	g->started = r->started;
	g->exited = r->exited;
	g->code = r->code;
	g->signal = r->signal;
	g->timed_out = r->timed_out;
	snprintf(g->out, sizeof g->out, "%s", buf_str(r->out));
	snprintf(g->err, sizeof g->err, "%s", buf_str(r->err));
	snprintf(g->why, sizeof g->why, "%s", r->why ? r->why : "");
	loop_stop(g->loop);
}

static int ticks;
static int64_t tick(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	(void)ud;
	ticks++;
	return 10;
}

static void run_sh(const char *script, int64_t timeout_ms, struct got *g)
{
	struct loop *l = loop_new();
	memset(g, 0, sizeof *g);
	g->loop = l;
	char sh[] = "/bin/sh", c[] = "-c";
	char *s = xstrdup(script);
	char *argv[] = {sh, c, s, NULL};
	assert_int_equal(proc_run(l, argv, timeout_ms, on_done, g), 0);
	free(s);
	int64_t t = loop_add_timer(l, 10, tick, NULL);
	loop_run(l);
	loop_del_timer(l, t);
	loop_free(l);
	assert_int_equal(g->done, 1);
}

static void test_output_and_exit(void **state)
{
	(void)state;
	struct got g;
	run_sh("echo out; echo err >&2; exit 3", 5000, &g);
	assert_true(g.started && g.exited);
	assert_int_equal(g.code, 3);
	assert_string_equal(g.out, "out\n");
	assert_string_equal(g.err, "err\n");
	assert_string_equal(g.why, "");
}

static void test_signal(void **state)
{
	(void)state;
	struct got g;
	run_sh("kill -TERM $$", 5000, &g);
	assert_false(g.exited);
	assert_int_equal(g.signal, 15);
}

static void test_timeout_and_loop_runs(void **state)
{
	(void)state;
	struct got g;
	ticks = 0;
	int64_t t0 = clock_ms();
	run_sh("echo begun; sleep 30", 300, &g);
	int64_t took = clock_ms() - t0;
	assert_true(g.timed_out);
	assert_int_equal(g.signal, 9);
	assert_string_equal(g.out, "begun\n");
	assert_non_null(strstr(g.why, "did not finish in time"));
	assert_true(took >= 300 && took < 20000); /* not the 30 s of the sleep still holding the pipe */
	assert_true(ticks >= 10); /* the loop's timers ran while the child did */
}

static void test_exec_failure(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct got g = {.loop = l};
	char cmd[] = "/nonexistent/squeue";
	char *argv[] = {cmd, NULL};
	assert_int_equal(proc_run(l, argv, 5000, on_done, &g), 0);
	loop_run(l);
	loop_free(l);
	assert_int_equal(g.done, 1);
	assert_false(g.started);
	assert_string_equal(g.why, "cannot run /nonexistent/squeue: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_and_exit),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_timeout_and_loop_runs),
		cmocka_unit_test(test_exec_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
