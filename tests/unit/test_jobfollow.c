/* jobs/follow: a real local job's log followed on the loop to its end:
 * every byte once, on_end once without an error, the job read back final;
 * a remote job is brought up to date by its source's describe when the
 * source describes one job alone (describe_alone), by its list otherwise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "jobs/follow.h"
#include "jobs/local.h"
#include "jobs/registry.h"
#include "testdb.h"

struct seen {
	struct buf bytes;
	int ends;
	char error[256];
	struct loop *loop;
};

static void on_bytes(void *ud, const char *data, size_t n)
{
	struct seen *s = ud;
	buf_append(&s->bytes, data, n);
}

static void on_end(void *ud, const char *error)
{
	struct seen *s = ud;
	s->ends++;
	snprintf(s->error, sizeof s->error, "%s", error ? error : "");
	loop_stop(s->loop);
}

static int64_t give_up(struct loop *l, int64_t id, void *ud)
{
	(void)id;
	(void)ud;
	loop_stop(l);
	return LOOP_TIMER_DONE;
}

/* Follows j until the follower ends (20 s at most); s has what it saw. */
static struct job_follow *follow_to_end(struct job_desk *d, struct job *j, struct seen *s)
{
	struct job_follow_cb cb = {on_bytes, on_end, s};
	struct job_follow *f = job_follow_start(d, j, &cb);
	int64_t guard = loop_add_timer(s->loop, 20000, give_up, NULL);
	loop_run(s->loop);
	loop_del_timer(s->loop, guard);
	return f;
}

static void test_follow_to_the_end(void **state)
{
	struct testdb *t = *state;
	setenv("AIWB_HOME", t->dir, 1);
	setenv("AIWB_SLURM", "off", 1);
	path_reset();
	struct loop *l = loop_new();
	struct job_desk d;
	job_desk_open(&d, t->db, l, NULL);
	char sh[] = "sh", c[] = "-c", script[] = "echo one; sleep 0.4; echo two; exit 3";
	char *argv[] = {sh, c, script, NULL};
	struct local_spec spec = {.argv = argv, .name = "follow"};
	struct job j;
	struct err e = ERR_INIT;
	assert_int_equal(local_start(t->db, &spec, &j, &e), 0);
	struct seen s = {.bytes = BUF_INIT, .loop = l};
	struct job_follow *f = follow_to_end(&d, &j, &s);
	assert_int_equal(s.ends, 1);
	assert_string_equal(s.error, "");
	assert_string_equal(buf_str(&s.bytes), "one\ntwo\n");
	assert_true(job_status_final(j.status));
	assert_int_equal(job_shell_status(&j), 3);
	assert_false(job_follow_busy(f));
	job_follow_free(f);
	buf_free(&s.bytes);
	job_clear(&j);
	job_desk_close(&d);
	loop_free(l);
	unsetenv("AIWB_SLURM");
	unsetenv("AIWB_HOME");
	path_reset();
}

/* A remote source: the job it knows ends at its second refresh. */
static int lists, describes;
static int64_t remote_id;

static void remote_refresh(struct job_source *src, job_done_fn done, void *ud, int *count)
{
	if (++*count == 2) {
		struct job j;
		assert_int_equal(jobreg_get(src->db, remote_id, &j, NULL), 1);
		j.status = JOB_COMPLETED;
		assert_int_equal(jobreg_update(src->db, &j, NULL), 0);
		job_clear(&j);
	}
	done(ud, 1, NULL);
}

static void remote_list(struct job_source *src, job_done_fn done, void *ud)
{
	remote_refresh(src, done, ud, &lists);
}

static void remote_describe(struct job_source *src, struct job *j, job_done_fn done, void *ud)
{
	assert_int_equal(j->id, remote_id);
	remote_refresh(src, done, ud, &describes);
}

static void follow_remote(struct testdb *t, const struct job_source_ops *ops)
{
	setenv("AIWB_HOME", t->dir, 1);
	setenv("AIWB_SLURM", "off", 1);
	path_reset();
	struct loop *l = loop_new();
	struct job_desk d;
	job_desk_open(&d, t->db, l, NULL);
	struct job_source src = {.ops = ops, .db = t->db, .loop = l};
	d.sagemaker = &src;
	char *log = path_join(t->dir, "remote.log");
	assert_int_equal(path_write_file(log, "line\n", 5, NULL), 0);
	struct job j = {.source = xstrdup("sagemaker"), .ext_id = xstrdup("x"), .status = JOB_RUNNING, .log_path = log};
	assert_true(jobreg_insert(t->db, &j, NULL) > 0);
	remote_id = j.id;
	lists = describes = 0;
	struct seen s = {.bytes = BUF_INIT, .loop = l};
	struct job_follow *f = follow_to_end(&d, &j, &s);
	assert_int_equal(s.ends, 1);
	assert_string_equal(buf_str(&s.bytes), "line\n");
	assert_int_equal(j.status, JOB_COMPLETED);
	job_follow_free(f);
	buf_free(&s.bytes);
	job_clear(&j);
	d.sagemaker = NULL;
	job_desk_close(&d);
	loop_free(l);
	unsetenv("AIWB_SLURM");
	unsetenv("AIWB_HOME");
	path_reset();
}

static void test_follow_describes_alone(void **state)
{
	static const struct job_source_ops ops = {
		.name = "sagemaker", .list = remote_list, .describe = remote_describe, .describe_alone = 1,
	};
	follow_remote(*state, &ops);
	assert_int_equal(describes, 2);
	assert_int_equal(lists, 0);
}

static void test_follow_lists(void **state)
{
	static const struct job_source_ops ops = { .name = "sagemaker", .list = remote_list, .describe = remote_describe };
	follow_remote(*state, &ops);
	assert_int_equal(lists, 2);
	assert_int_equal(describes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_follow_to_the_end, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_follow_describes_alone, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_follow_lists, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
