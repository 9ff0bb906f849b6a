/* local: process start times from /proc (a comm with spaces and parentheses
 * included), env files, the re-attach rule (pid and start time, never pid
 * alone), and a real job run under its supervisor to its recorded exit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "jobs/local.h"
#include "jobs/registry.h"
#include "testdb.h"

static void test_proc_start(void **state)
{
	(void)state;
	int64_t self = local_proc_start(getpid());
	assert_true(self > 0);
	assert_int_equal(local_proc_start(getpid()), self);
	assert_int_equal(local_proc_start(0), -1);
	assert_int_equal(local_proc_start(-5), -1);
	int go[2], ready[2];
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(ready), 0);
	pid_t child = fork();
	if (child == 0) {
		char c;
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		prctl(PR_SET_NAME, "a) 9 9 (9 9 9");
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	int64_t before = local_proc_start(child);
	assert_true(before >= self);
	assert_int_equal(write(go[1], "g", 1), 1);
	char c;
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(local_proc_start(child), before);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	assert_int_equal(local_proc_start(child), -1);
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	close(ready[1]);
}

static void test_env_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/aiwb-test-env-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *path = xasprintf("%s/env", dir);
	const char good[] = "# comment\n\nexport TOKEN=\"s e c\"\r\nPLAIN=a=b\n  SPACED='x'\nEMPTY=\n";
	struct err e = ERR_INIT;
	assert_int_equal(path_write_file(path, good, sizeof good - 1, &e), 0);
	char **env = NULL;
	size_t n = 0;
	assert_int_equal(local_read_env_file(path, &env, &n, &e), 0);
	assert_int_equal(n, 4);
	assert_string_equal(env[0], "TOKEN=s e c");
	assert_string_equal(env[1], "PLAIN=a=b");
	assert_string_equal(env[2], "SPACED=x");
	assert_string_equal(env[3], "EMPTY=");
	for (size_t i = 0; i < n; i++)
		free(env[i]);
	free(env);
	const char bad[] = "A=1\nsecret-value-no-key\n";
	assert_int_equal(path_write_file(path, bad, sizeof bad - 1, &e), 0);
	env = NULL;
	n = 0;
	assert_int_equal(local_read_env_file(path, &env, &n, &e), -1);
	assert_non_null(strstr(e.msg, "line 2"));
	assert_null(strstr(e.msg, "secret-value"));
	for (size_t i = 0; i < n; i++)
		free(env[i]);
	free(env);
	assert_true(local_env_name_valid("_A1", 3));
	assert_false(local_env_name_valid("1A", 2));
	assert_false(local_env_name_valid("A-B", 3));
	assert_false(local_env_name_valid("", 0));
	unlink(path);
	free(path);
	rmdir(dir);
}

/* A job row that claims a pid; what local_sync makes of it. */
static enum job_status reattach(struct db *db, pid_t pid, int64_t start)
{
	struct job j = {0};
	j.source = xstrdup("local");
	j.status = JOB_RUNNING;
	j.pid = pid;
	j.pid_start = start;
	j.start_ms = clock_wall_ms();
	assert_true(jobreg_insert(db, &j, NULL) > 0);
	assert_int_equal(local_sync(db, &j, NULL), 0);
	enum job_status st = j.status;
	job_clear(&j);
	return st;
}

static void test_reattach(void **state)
{
	struct db *db = ((struct testdb *)*state)->db;
	int64_t start = local_proc_start(getpid());
	assert_int_equal(reattach(db, getpid(), start), JOB_RUNNING);
	/* same pid, another start time: a reused pid, not the job */
	assert_int_equal(reattach(db, getpid(), start + 1), JOB_LOST);
	assert_int_equal(reattach(db, 0x3ffffff0, start), JOB_LOST);
}

static int count_point(void *ud, const struct jobreg_point *p)
{
	int *n = ud;
	assert_true((strcmp(p->name, "loss") == 0 && p->value == 0.5) ||
		    (strcmp(p->name, "acc") == 0 && p->value == 0.75 && p->has_step && p->step == 3));
	(*n)++;
	return 0;
}

static void test_real_job(void **state)
{
	struct testdb *t = *state;
	setenv("AIWB_HOME", t->dir, 1);
	path_reset();
	char sh[] = "sh", c[] = "-c",
	     script[] = "echo loss=0.5; echo '{\"acc\":0.75,\"step\":3}'; echo \"$PYTHONUNBUFFERED $AIWB_JOB_ID\"; exit 4";
	char *argv[] = {sh, c, script, NULL};
	const char *rules[] = {"loss=loss=([0-9.]+)"};
	struct local_spec spec = {.argv = argv, .rules = rules, .n_rules = 1, .name = "unit"};
	struct job j;
	struct err e = ERR_INIT;
	assert_int_equal(local_start(t->db, &spec, &j, &e), 0);
	assert_true(j.pid > 0);
	assert_int_equal(j.pid_start, local_proc_start((pid_t)j.pid) >= 0 ? local_proc_start((pid_t)j.pid) : j.pid_start);
	int64_t deadline = clock_ms() + 10000;
	while (!job_status_final(j.status) && clock_ms() < deadline) {
		usleep(20000);
		assert_int_equal(local_sync(t->db, &j, &e), 0);
	}
	assert_int_equal(j.status, JOB_FAILED);
	assert_true(j.has_exit);
	assert_int_equal(j.exit_code, 4);
	assert_int_equal(j.signal, 0);
	assert_string_equal(j.raw_state, "exit 4");
	assert_string_equal(j.reason, "exited with status 4");
	struct buf log = BUF_INIT;
	int64_t end = local_log_read(&j, 0, &log, &e);
	assert_int_equal(end, (int64_t)log.len);
	char want[64];
	snprintf(want, sizeof want, "1 local:%s\n", j.ext_id);
	assert_non_null(strstr(buf_str(&log), want));
	buf_free(&log);
	char *ref = job_ref(&j);
	job_clear(&j);
	assert_int_equal(jobreg_find(t->db, ref, &j, &e), 0);
	assert_int_equal(j.log_offset, end); /* every line was read for metrics */
	int names = 0;
	assert_int_equal(jobreg_last_values(t->db, j.id, count_point, &names, &e), 0);
	assert_int_equal(names, 2); /* acc (JSON line) and loss (rule) */
	struct job_list l;
	assert_int_equal(jobreg_list(t->db, "local", JOB_FAILED, &l, &e), 0);
	assert_int_equal(l.n, 1);
	job_list_free(&l);
	free(ref);
	/* nothing left to signal */
	assert_int_equal(local_signal(t->db, &j, SIGTERM, &e), 0);
	assert_false(local_group_alive(&j));
	assert_int_equal(local_remove(t->db, &j, &e), 0);
	assert_false(path_exists(j.dir));
	job_clear(&j);
	unsetenv("AIWB_HOME");
	path_reset();
}

static int count_any(void *ud, const struct jobreg_point *p)
{
	(void)p;
	(*(int *)ud)++;
	return 0;
}

/* A job read before someone else read its log (another process, or a
 * follower holding its copy): syncing or saving that copy reads no line twice. */
static void test_stale_copy(void **state)
{
	struct testdb *t = *state;
	setenv("AIWB_HOME", t->dir, 1);
	path_reset();
	char sh[] = "sh", c[] = "-c", script[] = "sleep 0.3; for i in 1 2 3; do echo \"loss=$i\"; done";
	char *argv[] = {sh, c, script, NULL};
	const char *rules[] = {"loss=loss=([0-9.]+)"};
	struct local_spec spec = {.argv = argv, .rules = rules, .n_rules = 1, .name = "stale"};
	struct job j, stale, stale2;
	struct err e = ERR_INIT;
	assert_int_equal(local_start(t->db, &spec, &j, &e), 0);
	assert_int_equal(jobreg_get(t->db, j.id, &stale, &e), 1);
	assert_int_equal(jobreg_get(t->db, j.id, &stale2, &e), 1);
	assert_int_equal(stale.log_offset, 0);
	int64_t deadline = clock_ms() + 10000;
	while (!job_status_final(j.status) && clock_ms() < deadline) {
		usleep(20000);
		assert_int_equal(local_sync(t->db, &j, &e), 0);
	}
	assert_int_equal(j.status, JOB_COMPLETED);
	assert_true(j.log_offset > 0);
	int n = 0;
	assert_int_equal(jobreg_points(t->db, j.id, 0, "loss", count_any, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(local_sync(t->db, &stale, &e), 0);
	assert_int_equal(stale.log_offset, j.log_offset);
	assert_int_equal(jobreg_update(t->db, &stale2, &e), 0); /* says "running" */
	assert_int_equal(local_sync(t->db, &stale2, &e), 0);
	assert_int_equal(stale2.status, JOB_COMPLETED);
	n = 0;
	assert_int_equal(jobreg_points(t->db, j.id, 0, "loss", count_any, &n, &e), 0);
	assert_int_equal(n, 3);
	/* a new log path is read from its start */
	free(stale2.log_path);
	stale2.log_path = xasprintf("%s/other.log", t->dir);
	assert_int_equal(jobreg_update(t->db, &stale2, &e), 0);
	job_clear(&stale2);
	assert_int_equal(jobreg_get(t->db, j.id, &stale2, &e), 1);
	assert_int_equal(stale2.log_offset, 0);
	/* a stop request from an old copy changes nothing else */
	stale.status = JOB_RUNNING;
	assert_int_equal(jobreg_request_stop(t->db, &stale, 1, &e), 0);
	assert_int_equal(stale.status, JOB_COMPLETED);
	assert_int_equal(stale.stop_requested, 1);
	job_clear(&stale);
	job_clear(&stale2);
	assert_int_equal(local_remove(t->db, &j, &e), 0);
	job_clear(&j);
	unsetenv("AIWB_HOME");
	path_reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_start),
		cmocka_unit_test(test_env_file),
		cmocka_unit_test_setup_teardown(test_reattach, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_real_job, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_stale_copy, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
