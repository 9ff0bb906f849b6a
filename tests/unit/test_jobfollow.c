/* jobs/follow: a real local job's log followed on the loop to its end:
 * every byte once, on_end once without an error, the job read back final. */
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
	struct job_follow_cb cb = {on_bytes, on_end, &s};
	struct job_follow *f = job_follow_start(&d, &j, &cb);
	int64_t guard = loop_add_timer(l, 20000, give_up, NULL);
	loop_run(l);
	loop_del_timer(l, guard);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_follow_to_the_end, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
