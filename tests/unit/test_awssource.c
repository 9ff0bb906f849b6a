/* jobs/awssource: a refresh as a queue of signed calls against a canned
 * server on loopback. Steps run one at a time in order, a next page queued
 * at the front runs before the steps behind it, local steps run without a
 * call; a failing step ends the refresh with its sentence and frees what was
 * left; a kept argument is not freed; throttling is told apart; freeing the
 * source mid-call calls nothing back and leaves no transfer; a client without
 * credentials fails every refresh with the reason; rows are inserted once and
 * then updated; a job described lately is not described again within the
 * source's interval (5 s at least while it is down), another job is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testhttp.h"
#include "testdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/awssource.h"
#include "jobs/registry.h"

struct env {
	struct testdb t;
	struct loop *loop;
	struct fake f;
	struct aws_source *src;
	int64_t guard;
	struct buf order;
	int dones, ok, frees;
	char why[2048];
};

static void src_free(struct job_source *s)
{
	aws_source_free((struct aws_source *)s);
	free(s);
}

static void noop_list(struct job_source *s, job_done_fn done, void *ud)
{
	(void)s;
	done(ud, 1, NULL);
}

static const struct job_source_ops test_ops = { .name = "sagemaker", .list = noop_list, .free = src_free };

static int64_t on_guard(struct loop *l, int64_t id, void *ud)
{
	(void)id;
	((struct env *)ud)->guard = 0;
	loop_stop(l);
	return LOOP_TIMER_DONE;
}

static int setup(void **state)
{
	struct env *e = xcalloc(1, sizeof *e);
	if (!(e->t.db = testdb_open(e->t.dir, "awssource"))) {
		free(e);
		return -1;
	}
	e->loop = loop_new();
	fake_start(&e->f, e->loop);
	char *url = xasprintf("http://127.0.0.1:%d", e->f.port);
	setenv("AWS_ENDPOINT_URL_SAGEMAKER", url, 1);
	setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
	setenv("AWS_REGION", "us-east-1", 1);
	setenv("AWS_MAX_ATTEMPTS", "1", 1);
	setenv("AWS_CONFIG_FILE", "/nonexistent/aiwb-test", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aiwb-test", 1);
	free(url);
	e->src = xcalloc(1, sizeof *e->src);
	static const char *const ids[] = { "sagemaker" };
	aws_source_init(e->src, &test_ops, e->t.db, e->loop, ids, 1);
	e->guard = loop_add_timer(e->loop, 10000, on_guard, e);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	if (e->src)
		src_free(&e->src->base);
	fake_stop(&e->f);
	if (e->guard)
		loop_del_timer(e->loop, e->guard);
	assert_int_equal(loop_transfers(e->loop), 0);
	loop_free(e->loop);
	testdb_close(e->t.dir, e->t.db);
	buf_free(&e->order);
	free(e);
	return 0;
}

static void on_done(void *ud, int ok, const char *why)
{
	struct env *e = ud;
	e->dones++;
	e->ok = ok;
	snprintf(e->why, sizeof e->why, "%s", why ? why : "");
	loop_stop(e->loop);
}

static struct env *env_of(struct aws_op *op)
{
	return op->ud;
}

static void count_free(void *p)
{
	(*(int *)p)++;
}

static int step_ok(struct aws_op *op, void *arg, const struct awscall_reply *r)
{
	(void)arg;
	struct env *e = env_of(op);
	buf_printf(&e->order, "%s:%s;", r ? "call" : "local", r ? (r->ok ? r->body : r->code) : "");
	return r && !r->ok ? -1 : 0;
}

static int step_page(struct aws_op *op, void *arg, const struct awscall_reply *r)
{
	(void)arg;
	step_ok(op, arg, r);
	aws_op_push(op, 1, AWS_SAGEMAKER, "ListTrainingJobs", xstrdup("{\"NextToken\":\"2\"}"), step_ok, NULL, NULL);
	op->active = 3;
	return 0;
}

static void test_order(void **state)
{
	struct env *e = *state;
	fake_respond(&e->f, 200, "", "first", 1);
	fake_respond(&e->f, 200, "", "page2", 1);
	fake_respond(&e->f, 200, "", "back", 1);
	struct aws_op *op = aws_op_new(e->src, on_done, e);
	aws_op_push(op, 0, AWS_SAGEMAKER, "ListTrainingJobs", NULL, step_page, NULL, NULL);
	aws_op_push(op, 0, AWS_LOCAL, "mark", NULL, step_ok, NULL, NULL);
	aws_op_push(op, 0, AWS_SAGEMAKER, "DescribeTrainingJob", xstrdup("{\"TrainingJobName\":\"j\"}"), step_ok, NULL,
		    NULL);
	aws_op_run(op);
	assert_int_equal(e->dones, 0); /* never from aws_op_run */
	loop_run(e->loop);
	assert_int_equal(e->dones, 1);
	assert_true(e->ok);
	assert_string_equal(buf_str(&e->order), "call:first;call:page2;local:;call:back;");
	assert_int_equal(e->src->base.active, 3);
	const char *last = buf_str(&e->f.last);
	assert_non_null(strstr(last, "X-Amz-Target: SageMaker.DescribeTrainingJob"));
	assert_non_null(strstr(last, "application/x-amz-json-1.1"));
	assert_non_null(strstr(last, "{\"TrainingJobName\":\"j\"}"));
	assert_non_null(strstr(last, "/us-east-1/sagemaker/aws4_request"));
}

static void test_failure_frees_the_rest(void **state)
{
	struct env *e = *state;
	fake_respond(&e->f, 400, "", "{\"__type\":\"ValidationException\",\"message\":\"bad request\"}", 1);
	struct aws_op *op = aws_op_new(e->src, on_done, e);
	aws_op_push(op, 0, AWS_SAGEMAKER, "ListTrainingJobs", NULL, step_ok, &e->frees, count_free);
	aws_op_push(op, 0, AWS_SAGEMAKER, "DescribeTrainingJob", NULL, step_ok, &e->frees, count_free);
	aws_op_push(op, 0, AWS_LOCAL, "mark", NULL, step_ok, &e->frees, count_free);
	aws_op_run(op);
	loop_run(e->loop);
	assert_int_equal(e->dones, 1);
	assert_false(e->ok);
	assert_int_equal(e->frees, 3);
	assert_int_equal(e->f.requests, 1);
	assert_string_equal(buf_str(&e->order), "call:ValidationException;");
}

static int step_fail(struct aws_op *op, void *arg, const struct awscall_reply *r)
{
	(void)arg;
	aws_op_fail(op, "SageMaker ListTrainingJobs", r);
	return -1;
}

static void test_throttled(void **state)
{
	struct env *e = *state;
	fake_respond(&e->f, 400, "", "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}", 1);
	struct aws_op *op = aws_op_new(e->src, on_done, e);
	aws_op_push(op, 0, AWS_SAGEMAKER, "ListTrainingJobs", NULL, step_fail, NULL, NULL);
	aws_op_run(op);
	loop_run(e->loop);
	assert_false(e->ok);
	assert_non_null(strstr(e->why, "SageMaker ListTrainingJobs: HTTP 400 ThrottlingException: Rate exceeded"));
	assert_non_null(strstr(e->why, "throttled, polling backs off"));
	struct awscall_reply r = { .status = 429 };
	assert_true(aws_reply_throttled(&r));
	r.status = 400;
	snprintf(r.code, sizeof r.code, "Throttling");
	assert_true(aws_reply_throttled(&r));
	snprintf(r.code, sizeof r.code, "ValidationException");
	assert_false(aws_reply_throttled(&r));
}

static int step_keep(struct aws_op *op, void *arg, const struct awscall_reply *r)
{
	(void)r;
	aws_op_push(op, 0, AWS_LOCAL, "later", NULL, step_ok, arg, count_free);
	return AWS_STEP_TAKEN;
}

static void test_taken_argument(void **state)
{
	struct env *e = *state;
	struct aws_op *op = aws_op_new(e->src, on_done, e);
	aws_op_push(op, 0, AWS_LOCAL, "first", NULL, step_keep, &e->frees, count_free);
	aws_op_run(op);
	loop_run(e->loop);
	assert_true(e->ok);
	assert_int_equal(e->frees, 1); /* once, by the step that kept it */
}

static void test_free_mid_call(void **state)
{
	struct env *e = *state;
	int port, silent = testhttp_socket(SOCK_CLOEXEC, 16, &port);
	free(e->src->client.ep[AWS_SAGEMAKER].url);
	e->src->client.ep[AWS_SAGEMAKER].url = xasprintf("http://127.0.0.1:%d", port);
	struct aws_op *op = aws_op_new(e->src, on_done, e);
	aws_op_push(op, 0, AWS_SAGEMAKER, "ListTrainingJobs", NULL, step_ok, &e->frees, count_free);
	aws_op_run(op);
	for (int i = 0; i < 20; i++)
		loop_run_once(e->loop, 10);
	assert_int_equal(loop_transfers(e->loop), 1);
	src_free(&e->src->base);
	e->src = NULL;
	assert_int_equal(e->dones, 0);
	assert_int_equal(e->frees, 1);
	assert_int_equal(loop_transfers(e->loop), 0);
	close(silent);
}

static void test_no_credentials(void **state)
{
	struct env *e = *state;
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	setenv("AWS_PROFILE", "aiwb-none", 1);
	struct aws_source *s = xcalloc(1, sizeof *s);
	static const char *const ids[] = { "sagemaker", "monitoring", "logs" };
	aws_source_init(s, &test_ops, e->t.db, e->loop, ids, 3);
	assert_non_null(s->client.why);
	struct aws_op *op = aws_op_new(s, on_done, e);
	aws_op_push(op, 0, AWS_SAGEMAKER, "ListTrainingJobs", NULL, step_ok, NULL, NULL);
	aws_op_run(op);
	loop_run(e->loop);
	assert_false(e->ok);
	assert_string_equal(e->why, s->client.why);
	assert_int_equal(e->f.requests, 0);
	src_free(&s->base);
	unsetenv("AWS_PROFILE");
}

static void test_rows(void **state)
{
	struct env *e = *state;
	struct aws_op *op = aws_op_new(e->src, on_done, e);
	assert_null(aws_op_find(op, "a"));
	struct job j = { 0 };
	j.source = xstrdup("sagemaker");
	j.ext_id = xstrdup("a");
	j.status = JOB_RUNNING;
	struct job *row = aws_op_save(op, &j);
	assert_non_null(row);
	assert_true(row->id > 0);
	assert_null(j.ext_id); /* moved into the op's list */
	assert_ptr_equal(aws_op_find(op, "a"), row);
	row->status = JOB_COMPLETED;
	assert_ptr_equal(aws_op_save(op, row), row);
	struct job back;
	assert_int_equal(jobreg_get(e->t.db, row->id, &back, NULL), 1);
	assert_int_equal(back.status, JOB_COMPLETED);
	aws_mark_set(e->t.db, back.id, "aws:final", 1);
	assert_int_equal(aws_mark_get(e->t.db, back.id, "aws:final"), 1);
	assert_int_equal(aws_mark_get(e->t.db, back.id, "cw:loss"), 0);
	job_clear(&back);
	struct err de = ERR_INIT;
	assert_null(aws_job_dir("sagemaker", "../x", &de));
	assert_null(aws_job_dir("sagemaker", "..", &de));
	assert_null(aws_job_dir("sagemaker", "", &de));
	assert_non_null(strstr(de.msg, "cannot name a directory"));
	aws_op_run(op); /* an empty queue finishes */
	loop_run(e->loop);
	assert_true(e->ok);
	struct aws_op *again = aws_op_new(e->src, on_done, e);
	assert_non_null(aws_op_find(again, "a")); /* loaded from the registry */
	aws_op_run(again);
	loop_run(e->loop);
}

static void test_described_lately(void **state)
{
	struct env *e = *state;
	struct aws_source *s = e->src;
	s->min_interval_ms = 60000;
	assert_false(aws_described_lately(s, "job-a"));
	assert_true(aws_described_lately(s, "job-a"));
	assert_false(aws_described_lately(s, "job-b"));
	assert_false(aws_described_lately(s, "job-a"));
	s->described_ms = 0; /* as after a stop */
	assert_false(aws_described_lately(s, "job-a"));
	s->min_interval_ms = 0;
	assert_false(aws_described_lately(s, "job-a"));
	s->base.down = 1;
	assert_true(aws_described_lately(s, "job-a"));
	s->base.down = 0;
	assert_false(aws_described_lately(s, "job-a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_frees_the_rest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_throttled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_taken_argument, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_mid_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_credentials, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_described_lately, setup, teardown),
	};
	return cmocka_run_group_tests(tests, testhttp_group_setup, testhttp_group_teardown);
}
