/* proc: commands run on a real loop without blocking it, or to completion by
 * proc_capture: stdout and stderr
 * captured, exit codes and signals reported, exec failures named, a child
 * over its time limit killed, and the loop's timers keep running meanwhile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>

#include <cmocka.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "base/proc.h"

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

static void test_capture_whole_run(void **state)
{
	(void)state;
	char sh[] = "/bin/sh", c[] = "-c", script[] = "printf 'page one\\fpage two'; echo warn >&2; exit 0";
	char *argv[] = {sh, c, script, NULL};
	struct proc_output o;
	assert_int_equal(proc_capture(argv, 5000, 1 << 20, &o), 0);
	assert_true(o.started && o.exited);
	assert_int_equal(o.code, 0);
	assert_false(o.truncated);
	assert_string_equal(buf_str(&o.out), "page one\fpage two");
	assert_string_equal(buf_str(&o.err), "warn\n");
	assert_string_equal(o.why, "");
	proc_output_free(&o);
}

static void test_capture_limit_and_failures(void **state)
{
	(void)state;
	char sh[] = "/bin/sh", c[] = "-c", big[] = "head -c 100000 /dev/zero | tr '\\0' x; exit 4";
	char *argv[] = {sh, c, big, NULL};
	struct proc_output o;
	assert_int_equal(proc_capture(argv, 5000, 1000, &o), 0);
	assert_true(o.exited);
	assert_int_equal(o.code, 4);
	assert_true(o.truncated);
	assert_true(o.out.len <= 1000);
	proc_output_free(&o);

	char slow[] = "sleep 30";
	char *argv2[] = {sh, c, slow, NULL};
	assert_int_equal(proc_capture(argv2, 200, 1000, &o), 0);
	assert_true(o.timed_out);
	assert_false(o.exited);
	proc_output_free(&o);

	char missing[] = "/nonexistent/pdftotext";
	char *argv3[] = {missing, NULL};
	assert_int_equal(proc_capture(argv3, 5000, 1000, &o), 0);
	assert_false(o.started);
	assert_string_equal(o.why, "cannot run /nonexistent/pdftotext: No such file or directory");
	proc_output_free(&o);
}

/* A process that runs: it exists and is not a zombie waiting for its reaper. */
static int running(long pid)
{
	char path[64], stat[256];
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(stat, 1, sizeof stat - 1, f);
	fclose(f);
	stat[n] = 0;
	const char *close = strrchr(stat, ')');
	return close && close[1] == ' ' && close[2] != 'Z' && close[2] != 'X';
}

/* Cancelled while it runs: the child's whole group is killed and reaped at
 * once, done never runs, nothing is left (the leak checker of make asan sees
 * the handle freed). */
static void test_cancel_kills_and_never_calls_back(void **state)
{
	(void)state;
	char dir[] = "/tmp/aiwb-proc-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *pidfile = xasprintf("%s/pid", dir);
	char *script = xasprintf("sleep 30 & echo $! > %s; wait", pidfile);
	struct got g;
	memset(&g, 0, sizeof g);
	struct loop *l = loop_new();
	g.loop = l;
	char sh[] = "/bin/sh", c[] = "-c";
	char *argv[] = {sh, c, script, NULL};
	struct proc *p = proc_start(l, argv, 60000, on_done, &g);
	assert_non_null(p);
	int64_t deadline = clock_ms() + 10000;
	FILE *f = NULL;
	long grandchild = 0;
	while (clock_ms() < deadline) {
		loop_run_once(l, 20);
		if ((f = fopen(pidfile, "r")) && fscanf(f, "%ld", &grandchild) == 1)
			break;
		if (f)
			fclose(f);
		f = NULL;
	}
	if (f)
		fclose(f);
	assert_true(grandchild > 0);
	proc_cancel(p);
	for (int i = 0; i < 5; i++)
		loop_run_once(l, 20);
	assert_int_equal(g.done, 0);
	deadline = clock_ms() + 5000;
	while (running(grandchild) && clock_ms() < deadline)
		loop_run_once(l, 20);
	assert_false(running(grandchild));
	loop_free(l);
	unlink(pidfile);
	rmdir(dir);
	free(pidfile);
	free(script);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_and_exit),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_timeout_and_loop_runs),
		cmocka_unit_test(test_exec_failure),
		cmocka_unit_test(test_capture_whole_run),
		cmocka_unit_test(test_capture_limit_and_failures),
		cmocka_unit_test(test_cancel_kills_and_never_calls_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
