/* The Slurm source with a stand-in squeue printing recorded-shape JSON:
 * an array's tasks not started yet become rows of their own (queued with
 * Slurm's reason and their %A_%a log), a task that starts keeps its row,
 * scancel of the array ends the rows of its tasks not started (also when
 * only sacct still knows them, as "41_[1-2]"), huge arrays
 * get at most 1000 such rows and the rest counted; task lists expanded with
 * steps and %throttle; a job whose StdErr is apart from its StdOut has both
 * merged into its log and metrics read from either. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/path.h"
#include "base/xmalloc.h"
#include "jobs/registry.h"
#include "jobs/slurm.h"
#include "jobs/slurm_text.h"
#include "testdb.h"

static void test_expand_forms(void **state)
{
	(void)state;
	int64_t ids[16];
	size_t n;
	assert_int_equal(slurm_array_expand("3-10", ids, 16, &n), 8);
	assert_int_equal(n, 8);
	assert_int_equal(ids[0], 3);
	assert_int_equal(ids[7], 10);
	assert_int_equal(slurm_array_expand("3-10%2", ids, 16, &n), 8);
	assert_int_equal(n, 8);
	assert_int_equal(ids[1], 4);
	assert_int_equal(slurm_array_expand("0-15:4", ids, 16, &n), 4);
	assert_int_equal(ids[0], 0);
	assert_int_equal(ids[1], 4);
	assert_int_equal(ids[3], 12);
	assert_int_equal(slurm_array_expand("1,3,5-7:2%1", ids, 16, &n), 4);
	assert_int_equal(n, 4);
	assert_int_equal(ids[0], 1);
	assert_int_equal(ids[1], 3);
	assert_int_equal(ids[2], 5);
	assert_int_equal(ids[3], 7);
	assert_int_equal(slurm_array_expand("7", ids, 16, &n), 1);
	assert_int_equal(ids[0], 7);
	/* the cap: the first max ids, the whole count */
	assert_int_equal(slurm_array_expand("0-4999", ids, 16, &n), 5000);
	assert_int_equal(n, 16);
	assert_int_equal(ids[15], 15);
	assert_int_equal(slurm_array_expand("2-9", ids, 0, &n), 8);
	assert_int_equal(n, 0);
	/* not task lists */
	const char *bad[] = {"", "a", "3-", "5-3", "1-4:0", "1-4%", "1-4%x", "-2", "1-+4", " 1", "1;2", "0-99999999999", "50-95:77777777777777777777"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(slurm_array_expand(bad[i], ids, 16, &n), -1);
		assert_int_equal(n, 0);
		assert_int_equal(slurm_array_count(bad[i]), -1);
	}
	assert_null(NULL);
}

/* ---- the source against a stand-in squeue */

struct rig {
	struct testdb *t;
	struct loop *loop;
	struct job_source *src;
	char *json, *bin, *saved_path;
	int done, ok;
};

static void on_done(void *ud, int ok, const char *why)
{
	struct rig *r = ud;
	r->done = 1;
	r->ok = ok;
	if (!ok)
		fprintf(stderr, "# list: %s\n", why ? why : "?");
}

/* An executable NAME in the rig's bin directory (first on PATH) running script. */
static void rig_command(struct rig *r, const char *name, const char *script)
{
	char *path = xasprintf("%s/%s", r->bin, name);
	assert_int_equal(path_write_file(path, script, strlen(script), NULL), 0);
	assert_int_equal(chmod(path, 0700), 0);
	free(path);
}

static void rig_open(struct rig *r, struct testdb *t)
{
	memset(r, 0, sizeof *r);
	r->t = t;
	setenv("AIWB_HOME", t->dir, 1);
	unsetenv("AIWB_SLURM");
	path_reset();
	r->bin = xasprintf("%s/bin", t->dir);
	r->json = xasprintf("%s/squeue.json", t->dir);
	assert_int_equal(mkdir(r->bin, 0700), 0);
	char *body = xasprintf("#!/bin/sh\ncat '%s'\n", r->json);
	rig_command(r, "squeue", body);
	free(body);
	const char *old = getenv("PATH");
	r->saved_path = xstrdup(old ? old : "/usr/bin:/bin");
	char *path = xasprintf("%s:%s", r->bin, r->saved_path);
	setenv("PATH", path, 1);
	free(path);
	r->loop = loop_new();
	r->src = slurm_source_new(t->db, r->loop);
}

static void rig_close(struct rig *r)
{
	r->src->ops->free(r->src);
	loop_free(r->loop);
	setenv("PATH", r->saved_path, 1);
	free(r->saved_path);
	free(r->bin);
	free(r->json);
	unsetenv("AIWB_HOME");
	path_reset();
}

/* squeue prints jobs (a JSON array's elements); one refresh. */
static void rig_list(struct rig *r, const char *jobs)
{
	char *text = xasprintf("{\"meta\":{},\"errors\":[],\"jobs\":[%s]}", jobs);
	assert_int_equal(path_write_file(r->json, text, strlen(text), NULL), 0);
	free(text);
	r->done = 0;
	r->src->ops->list(r->src, on_done, r);
	for (int i = 0; i < 500 && !r->done; i++)
		loop_run_once(r->loop, 20);
	assert_true(r->done);
	assert_true(r->ok);
}

static char *task_json(const char *dir, int job_id, int task, const char *state, const char *tasks, const char *reason)
{
	char idpart[64];
	if (task >= 0)
		snprintf(idpart, sizeof idpart, "\"array_task_id\":%d,\"array_task_string\":\"\"", task);
	else
		snprintf(idpart, sizeof idpart, "\"array_task_string\":\"%s\"", tasks);
	return xasprintf("{\"job_id\":%d,\"array_job_id\":41,%s,\"name\":\"arr\",\"job_state\":\"%s\","
			 "\"state_reason\":\"%s\",\"user_name\":\"me\",\"partition\":\"debug\","
			 "\"standard_output\":\"%s/arr-%%A_%%a.out\",\"standard_error\":\"\","
			 "\"current_working_directory\":\"%s\",\"submit_time\":1000,\"start_time\":%d,\"end_time\":%d,"
			 "\"exit_code\":0}",
			 job_id, idpart, state, reason, dir, dir, strcmp(state, "PENDING") ? 1010 : 0,
			 strcmp(state, "PENDING") && strcmp(state, "RUNNING") ? 1020 : 0);
}

static struct job get(struct db *db, const char *key)
{
	struct job j;
	char *ref = xasprintf("slurm:%s", key);
	struct err e = ERR_INIT;
	if (jobreg_find(db, ref, &j, &e) < 0)
		fail_msg("%s: %s", ref, e.msg);
	free(ref);
	assert_string_equal(j.ext_id, key);
	return j;
}

/* Task key ended as a task that never started: stopped, cancelled before it started, no start. */
static struct job assert_not_started(struct db *db, const char *key)
{
	struct job q = get(db, key);
	assert_string_equal(job_status_name(q.status), "stopped");
	assert_string_equal(q.reason, "cancelled before it started");
	assert_int_equal(q.start_ms, 0);
	return q;
}

static int count_children(struct db *db, int64_t row)
{
	struct job_list kids;
	assert_int_equal(slurm_children(db, row, &kids, NULL), 0);
	int n = (int)kids.n;
	job_list_free(&kids);
	return n;
}

/* info.array of the array's row, as JSON text without spaces. */
static char *array_info(struct db *db)
{
	struct job p = get(db, "41");
	cJSON *o = cJSON_Parse(p.info);
	char *s = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(o, "array"));
	cJSON_Delete(o);
	job_clear(&p);
	return s;
}

static void test_pending_tasks_are_rows(void **state)
{
	struct testdb *t = *state;
	struct rig r;
	rig_open(&r, t);
	const char *d = t->dir;
	/* task 1 runs; 2-6 wait behind the %1 throttle */
	char *a = task_json(d, 42, 1, "RUNNING", NULL, "None"), *b = task_json(d, 41, -1, "PENDING", "2-6%1", "JobArrayTaskLimit");
	char *jobs = xasprintf("%s,%s", b, a); /* the record of those not started first */
	rig_list(&r, jobs);
	free(a), free(b), free(jobs);
	struct job p = get(t->db, "41");
	assert_int_equal(count_children(t->db, p.id), 6);
	struct job_list kids;
	assert_int_equal(slurm_children(t->db, p.id, &kids, NULL), 0);
	for (size_t i = 0; i < kids.n; i++) { /* by task number, highest first */
		char key[16];
		snprintf(key, sizeof key, "41_%d", (int)(6 - i));
		assert_string_equal(kids.v[i].ext_id, key);
	}
	job_list_free(&kids);
	assert_string_equal(job_status_name(p.status), "running");
	char *ai = array_info(t->db);
	assert_string_equal(ai, "{\"tasks\":6,\"pending\":\"2-6%1\",\"counts\":{\"queued\":5,\"running\":1}}");
	free(ai);
	struct job q = get(t->db, "41_4");
	assert_string_equal(job_status_name(q.status), "queued");
	assert_string_equal(q.raw_state, "PENDING");
	assert_string_equal(q.reason, "waiting: JobArrayTaskLimit");
	assert_int_equal(q.parent_id, p.id);
	assert_int_equal(q.start_ms, 0);
	char *want = xasprintf("%s/arr-41_4.out", d);
	assert_string_equal(q.log_path, want);
	free(want);
	char *jid = slurm_info_str(q.info, "job_id"), *tid = slurm_info_str(q.info, "array_task_id");
	assert_null(jid); /* its own job id comes when it starts */
	assert_string_equal(tid, "4");
	free(tid);
	job_clear(&q);
	q = get(t->db, "41_2");
	int64_t row2 = q.id;
	job_clear(&q);

	/* an unchanged round writes nothing new and keeps the rows */
	jobs = xasprintf("%s,%s", a = task_json(d, 42, 1, "RUNNING", NULL, "None"),
			 b = task_json(d, 41, -1, "PENDING", "2-6%1", "JobArrayTaskLimit"));
	rig_list(&r, jobs);
	free(a), free(b), free(jobs);
	assert_int_equal(count_children(t->db, p.id), 6);

	/* task 1 done, task 2 starts: same row, now running with its own job id */
	a = task_json(d, 42, 1, "COMPLETED", NULL, "None");
	b = task_json(d, 43, 2, "RUNNING", NULL, "None");
	char *c = task_json(d, 41, -1, "PENDING", "3-6%1", "JobArrayTaskLimit");
	jobs = xasprintf("%s,%s,%s", a, b, c);
	rig_list(&r, jobs);
	free(a), free(b), free(c), free(jobs);
	q = get(t->db, "41_2");
	assert_int_equal(q.id, row2);
	assert_string_equal(job_status_name(q.status), "running");
	assert_int_equal(q.start_ms, 1010000);
	assert_null(q.reason);
	jid = slurm_info_str(q.info, "job_id");
	assert_string_equal(jid, "43");
	free(jid);
	job_clear(&q);
	assert_int_equal(count_children(t->db, p.id), 6);
	ai = array_info(t->db);
	assert_string_equal(ai, "{\"tasks\":6,\"pending\":\"3-6%1\",\"counts\":{\"queued\":4,\"running\":1,\"completed\":1}}");
	free(ai);

	/* scancel of the array: the running task and the record of the others cancelled */
	a = task_json(d, 42, 1, "COMPLETED", NULL, "None");
	b = task_json(d, 43, 2, "CANCELLED", NULL, "None");
	c = task_json(d, 41, -1, "CANCELLED", "3-6%1", "JobArrayTaskLimit");
	jobs = xasprintf("%s,%s,%s", a, b, c);
	rig_list(&r, jobs);
	free(a), free(b), free(c), free(jobs);
	for (int i = 3; i <= 6; i++) {
		char key[16];
		snprintf(key, sizeof key, "41_%d", i);
		q = assert_not_started(t->db, key);
		assert_false(q.has_exit);
		job_clear(&q);
	}
	job_clear(&p);
	p = get(t->db, "41");
	assert_string_equal(job_status_name(p.status), "stopped");
	assert_int_equal(count_children(t->db, p.id), 6);
	ai = array_info(t->db);
	assert_string_equal(ai, "{\"tasks\":6,\"counts\":{\"completed\":1,\"stopped\":5}}");
	free(ai);
	job_clear(&p);
	rig_close(&r);
}

/* A cancelled array whose record no longer names its tasks: the rows still
 * queued end with it, none stays queued. */
static void test_cancelled_without_list(void **state)
{
	struct testdb *t = *state;
	struct rig r;
	rig_open(&r, t);
	char *a = task_json(t->dir, 41, -1, "PENDING", "0-2", "Resources");
	rig_list(&r, a);
	free(a);
	struct job q = get(t->db, "41_1");
	assert_string_equal(q.reason, "waiting: Resources");
	job_clear(&q);
	a = task_json(t->dir, 41, -1, "CANCELLED", "", "None");
	rig_list(&r, a);
	free(a);
	for (int i = 0; i <= 2; i++) {
		char key[16];
		snprintf(key, sizeof key, "41_%d", i);
		q = get(t->db, key);
		assert_string_equal(job_status_name(q.status), "stopped");
		assert_string_equal(q.raw_state, "CANCELLED");
		job_clear(&q);
	}
	struct job p = get(t->db, "41");
	assert_string_equal(job_status_name(p.status), "stopped");
	job_clear(&p);
	rig_close(&r);
}

/* Slurm forgot the array while aiwb was away: sacct's row of the tasks that
 * never started ("41_[1-2]") ends their rows. */
static void test_forgotten_in_sacct(void **state)
{
	struct testdb *t = *state;
	struct rig r;
	rig_open(&r, t);
	char *a = task_json(t->dir, 41, -1, "PENDING", "0-2", "Resources");
	rig_list(&r, a);
	free(a);
	rig_command(&r, "sacct", "#!/bin/sh\n"
			   "echo 'JobID|JobName|State|ExitCode|Submit|Start|End|NodeList|Partition|User'\n"
			   "echo '41_0|arr|COMPLETED|0:0|2030-01-01T00:00:00|2030-01-01T00:00:01|2030-01-01T00:00:09|n|debug|me'\n"
			   "echo '41_[1-2%1]|arr|CANCELLED by 0|0:0|2030-01-01T00:00:00|Unknown|2030-01-01T00:00:09|None "
			   "assigned|debug|me'\n");
	rig_list(&r, "");
	struct job q = get(t->db, "41_0");
	assert_string_equal(job_status_name(q.status), "completed");
	job_clear(&q);
	for (int i = 1; i <= 2; i++) {
		char key[16];
		snprintf(key, sizeof key, "41_%d", i);
		q = assert_not_started(t->db, key);
		assert_false(q.has_exit);
		char *from = slurm_info_str(q.info, "final_from");
		assert_string_equal(from, "sacct");
		free(from);
		job_clear(&q);
	}
	struct job p = get(t->db, "41");
	assert_string_equal(job_status_name(p.status), "stopped"); /* summed up after its tasks */
	job_clear(&p);
	rig_close(&r);
}

/* An array held, then cancelled, before any task started: sacct has one
 * row under the array's own id (as Slurm 22.05 with slurmdbd writes it). */
static void test_forgotten_held_array(void **state)
{
	struct testdb *t = *state;
	struct rig r;
	rig_open(&r, t);
	char *a = task_json(t->dir, 41, -1, "PENDING", "1-3", "JobHeldUser");
	rig_list(&r, a);
	free(a);
	rig_command(&r, "sacct", "#!/bin/sh\n"
			   "echo 'JobID|JobName|State|ExitCode|Submit|Start|End|NodeList|Partition|User'\n"
			   "echo '41|allocation|CANCELLED by 0|0:0|2030-01-01T00:00:00|2030-01-01T00:00:05|2030-01-01T00:00:05|None "
			   "assigned||root'\n");
	rig_list(&r, "");
	for (int i = 1; i <= 3; i++) {
		char key[16];
		snprintf(key, sizeof key, "41_%d", i);
		struct job q = assert_not_started(t->db, key);
		job_clear(&q);
	}
	struct job p = get(t->db, "41");
	assert_string_equal(job_status_name(p.status), "stopped");
	job_clear(&p);
	rig_close(&r);
}

static void test_cap(void **state)
{
	struct testdb *t = *state;
	struct rig r;
	rig_open(&r, t);
	char *a = task_json(t->dir, 41, -1, "PENDING", "0-4999%8", "Priority");
	rig_list(&r, a);
	free(a);
	struct job p = get(t->db, "41");
	assert_int_equal(count_children(t->db, p.id), 1000);
	char *ai = array_info(t->db);
	assert_string_equal(ai, "{\"tasks\":5000,\"pending\":\"0-4999%8\",\"unlisted\":4000,\"counts\":{\"queued\":5000}}");
	free(ai);
	struct job q = get(t->db, "41_999");
	job_clear(&q);
	struct job none;
	assert_int_equal(jobreg_find(t->db, "slurm:41_1000", &none, NULL), -1);
	/* 10 started and ended: the next 10 get rows, still 1000 waiting rows */
	struct buf b = BUF_INIT;
	for (int i = 0; i < 10; i++) {
		char *x = task_json(t->dir, 100 + i, i, "COMPLETED", NULL, "None");
		buf_printf(&b, "%s,", x);
		free(x);
	}
	a = task_json(t->dir, 41, -1, "PENDING", "10-4999%8", "Priority");
	buf_puts(&b, a);
	free(a);
	rig_list(&r, buf_str(&b));
	buf_free(&b);
	assert_int_equal(count_children(t->db, p.id), 1010);
	ai = array_info(t->db);
	assert_string_equal(ai,
			    "{\"tasks\":5000,\"pending\":\"10-4999%8\",\"unlisted\":3990,\"counts\":{\"queued\":4990,\"completed\":10}}");
	free(ai);
	q = get(t->db, "41_1009");
	assert_string_equal(job_status_name(q.status), "queued");
	job_clear(&q);
	job_clear(&p);
	rig_close(&r);
}

static void test_stderr_merged(void **state)
{
	struct testdb *t = *state;
	struct rig r;
	rig_open(&r, t);
	char *out = xasprintf("%s/o-50.out", t->dir), *err = xasprintf("%s/e-train-50.err", t->dir);
	FILE *f = fopen(out, "w");
	fputs("epoch 1\n", f);
	fclose(f);
	f = fopen(err, "w");
	fputs("{\"loss\": 0.75, \"step\": 1}\n", f);
	fclose(f);
	char *job = xasprintf("{\"job_id\":50,\"name\":\"train\",\"job_state\":\"RUNNING\",\"state_reason\":\"None\","
			      "\"user_name\":\"me\",\"standard_output\":\"o-%%j.out\",\"standard_error\":\"%s/e-%%x-%%j.err\","
			      "\"current_working_directory\":\"%s\",\"submit_time\":1000,\"start_time\":1001,\"exit_code\":0}",
			      t->dir, t->dir);
	rig_list(&r, job);
	struct job j = get(t->db, "50");
	char *merged = xasprintf("%s/jobs/slurm-logs/50.log", path_data_home());
	assert_string_equal(j.log_path, merged);
	char *so = slurm_info_str(j.info, "std_out_path"), *se = slurm_info_str(j.info, "std_err_path");
	assert_string_equal(so, out);
	assert_string_equal(se, err);
	free(so);
	free(se);
	size_t len;
	char *text = path_read_file(merged, &len, NULL);
	assert_string_equal(text, "epoch 1\n{\"loss\": 0.75, \"step\": 1}\n");
	free(text);
	job_clear(&j);
	f = fopen(err, "a");
	fputs("{\"loss\": 0.5, \"step\": 2}\nTraceback", f);
	fclose(f);
	f = fopen(out, "a");
	fputs("epoch 2\n", f);
	fclose(f);
	rig_list(&r, job);
	free(job);
	job = xasprintf("{\"job_id\":50,\"name\":\"train\",\"job_state\":\"FAILED\",\"state_reason\":\"NonZeroExitCode\","
			"\"user_name\":\"me\",\"standard_output\":\"o-%%j.out\",\"standard_error\":\"%s/e-%%x-%%j.err\","
			"\"current_working_directory\":\"%s\",\"submit_time\":1000,\"start_time\":1001,\"end_time\":1005,"
			"\"exit_code\":256}",
			t->dir, t->dir);
	rig_list(&r, job);
	text = path_read_file(merged, &len, NULL);
	assert_string_equal(text, "epoch 1\n{\"loss\": 0.75, \"step\": 1}\nepoch 2\n{\"loss\": 0.5, \"step\": 2}\nTraceback\n");
	free(text);
	j = get(t->db, "50");
	assert_string_equal(job_status_name(j.status), "failed");
	int64_t points = testdb_scalar(t->db, "SELECT count(*) FROM job_metrics WHERE name = 'loss'");
	assert_int_equal(points, 2);
	/* jobs rm: the merged log goes, the job's own files stay */
	slurm_remove_files(t->db, &j);
	assert_false(path_exists(merged));
	assert_true(path_exists(out));
	assert_true(path_exists(err));
	job_clear(&j);
	/* a job whose StdErr is its StdOut keeps reading that file */
	free(job);
	job = xasprintf("{\"job_id\":51,\"name\":\"one\",\"job_state\":\"RUNNING\",\"state_reason\":\"None\","
			"\"standard_output\":\"%s/o-%%j.out\",\"standard_error\":\"%s/o-%%j.out\","
			"\"current_working_directory\":\"%s\",\"submit_time\":1000,\"start_time\":1001}",
			t->dir, t->dir, t->dir);
	rig_list(&r, job);
	j = get(t->db, "51");
	char *own = xasprintf("%s/o-51.out", t->dir);
	assert_string_equal(j.log_path, own);
	free(own);
	job_clear(&j);
	free(job);
	free(merged);
	free(out);
	free(err);
	rig_close(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand_forms),
		cmocka_unit_test_setup_teardown(test_pending_tasks_are_rows, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_cancelled_without_list, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_cap, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_forgotten_in_sacct, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_forgotten_held_array, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_stderr_merged, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
