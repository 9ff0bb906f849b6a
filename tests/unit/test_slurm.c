/* slurm: squeue --json recorded from a real Slurm 22.05 (tests/data/slurm),
 * state mapping (unknown stays unknown), raw wait statuses, StdOut pattern
 * expansion as Slurm does it, job keys for arrays. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/path.h"
#include "base/xmalloc.h"
#include "jobs/slurm.h"

struct seen {
	int n;
	char keys[32][32], states[32][24], reasons[32][32], out[32][96];
	int64_t exit[32];
};

static void on_job(void *ud, const struct slurm_job *j)
{
	struct seen *s = ud;
	assert_true(s->n < 32);
	char *k = slurm_job_key(j);
	snprintf(s->keys[s->n], 32, "%s", k);
	free(k);
	snprintf(s->states[s->n], 24, "%s", j->state ? j->state : "");
	snprintf(s->reasons[s->n], 32, "%s", j->reason ? j->reason : "");
	char *o = slurm_expand_path(j->std_out && *j->std_out ? j->std_out : "slurm-%j.out", j);
	snprintf(s->out[s->n], 96, "%s", o);
	free(o);
	s->exit[s->n] = j->exit_status;
	s->n++;
}

static void load(const char *path, struct seen *s)
{
	size_t len;
	struct err e = ERR_INIT;
	char *text = path_read_file(path, &len, &e);
	if (!text)
		fail_msg("%s", e.msg);
	memset(s, 0, sizeof *s);
	assert_int_equal(slurm_parse_squeue(text, len, on_job, s, &e), 0);
	free(text);
}

static int find(const struct seen *s, const char *key)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->keys[i], key) == 0)
			return i;
	fail_msg("no job %s", key);
	return -1;
}

static void test_recorded_running(void **state)
{
	(void)state;
	struct seen s;
	load("tests/data/slurm/squeue-running.json", &s);
	assert_int_equal(s.n, 8);
	int i = find(&s, "1");
	assert_string_equal(s.states[i], "FAILED");
	assert_int_equal(s.exit[i], 768);
	assert_string_equal(s.out[i], "/tmp/jt/slurm-1-my job.out"); /* %j and %x */
	i = find(&s, "3");
	assert_string_equal(s.states[i], "CANCELLED");
	i = find(&s, "5");
	assert_string_equal(s.states[i], "RUNNING");
	assert_string_equal(s.out[i], "/tmp/jt/busy-5.out");
	i = find(&s, "7");
	assert_string_equal(s.states[i], "PENDING");
	assert_string_equal(s.reasons[i], "Resources");
	assert_string_equal(s.out[i], "/tmp/jt/w-waiting-root.out"); /* %x and %u */
	i = find(&s, "8_[0-2]");
	assert_string_equal(s.states[i], "PENDING");
	assert_string_equal(s.reasons[i], "Priority");
	assert_int_equal(slurm_map_state(s.states[i]), JOB_QUEUED);
}

static void test_recorded_ended(void **state)
{
	(void)state;
	struct seen s;
	load("tests/data/slurm/squeue-ended.json", &s);
	int i = find(&s, "8_0");
	assert_string_equal(s.states[i], "COMPLETED");
	assert_string_equal(s.out[i], "/tmp/jt/arr-8_0.out"); /* %A_%a of a task */
	find(&s, "8_1");
	i = find(&s, "8_2");
	assert_string_equal(s.out[i], "/tmp/jt/arr-8_2.out");
	i = find(&s, "11");
	assert_string_equal(s.states[i], "FAILED");
	int code, sig;
	assert_int_equal(slurm_decode_exit(s.exit[i], &code, &sig), 1);
	assert_int_equal(sig, 9);
}

static void test_states(void **state)
{
	(void)state;
	assert_int_equal(slurm_map_state("PENDING"), JOB_QUEUED);
	assert_int_equal(slurm_map_state("CONFIGURING"), JOB_STARTING);
	assert_int_equal(slurm_map_state("RUNNING"), JOB_RUNNING);
	assert_int_equal(slurm_map_state("COMPLETING"), JOB_RUNNING);
	assert_int_equal(slurm_map_state("COMPLETED"), JOB_COMPLETED);
	assert_int_equal(slurm_map_state("FAILED"), JOB_FAILED);
	assert_int_equal(slurm_map_state("OUT_OF_MEMORY"), JOB_FAILED);
	assert_int_equal(slurm_map_state("NODE_FAIL"), JOB_FAILED);
	assert_int_equal(slurm_map_state("CANCELLED"), JOB_STOPPED);
	assert_int_equal(slurm_map_state("TIMEOUT"), JOB_TIMEOUT);
	assert_int_equal(slurm_map_state("DEADLINE"), JOB_TIMEOUT);
	/* never completed by accident */
	assert_int_equal(slurm_map_state("NEW_STATE_FROM_2030"), JOB_UNKNOWN);
	assert_int_equal(slurm_map_state("completed"), JOB_UNKNOWN);
	assert_int_equal(slurm_map_state(NULL), JOB_UNKNOWN);
}

static void test_exit_decoding(void **state)
{
	(void)state;
	int code, sig;
	assert_int_equal(slurm_decode_exit(0, &code, &sig), 0);
	assert_int_equal(code, 0);
	assert_int_equal(slurm_decode_exit(768, &code, &sig), 0);
	assert_int_equal(code, 3);
	assert_int_equal(slurm_decode_exit(1280, &code, &sig), 0);
	assert_int_equal(code, 5);
	assert_int_equal(slurm_decode_exit(36608, &code, &sig), 0);
	assert_int_equal(code, 143);
	assert_int_equal(slurm_decode_exit(15, &code, &sig), 1);
	assert_int_equal(sig, 15);
	assert_int_equal(code, 0);
	assert_int_equal(slurm_decode_exit(9, &code, &sig), 1);
	assert_int_equal(sig, 9);
	assert_int_equal(slurm_decode_exit(137 << 8, &code, &sig), 0);
	assert_int_equal(code, 137);
}

static void expand_is(const char *pattern, const struct slurm_job *j, const char *want)
{
	char *got = slurm_expand_path(pattern, j);
	assert_string_equal(got, want);
	free(got);
}

static void test_expand(void **state)
{
	(void)state;
	struct slurm_job j = {.job_id = 42, .array_task_id = -1, .name = "train", .user = "ana", .nodes = "node[1-3]"};
	expand_is("slurm-%j.out", &j, "slurm-42.out");
	expand_is("%x-%u-%j.log", &j, "train-ana-42.log");
	expand_is("%5j.out", &j, "00042.out");
	expand_is("100%%-%j", &j, "100%-42");
	expand_is("%N.%n.%t.%s", &j, "node1.0.0.batch");
	expand_is("%A", &j, "42");
	expand_is("trailing%", &j, "trailing%");
	expand_is("%q", &j, "%q");
	struct slurm_job task = {.job_id = 57, .array_job_id = 50, .array_task_id = 7, .name = "sweep"};
	expand_is("%A_%a.out", &task, "50_7.out");
	expand_is("%j", &task, "57");
	char *k = slurm_job_key(&task);
	assert_string_equal(k, "50_7");
	free(k);
	struct slurm_job pend = {.job_id = 50, .array_job_id = 50, .array_task_id = -1, .array_tasks = "1-9%2"};
	k = slurm_job_key(&pend);
	assert_string_equal(k, "50_[1-9%2]");
	free(k);
}

static void test_bad_output(void **state)
{
	(void)state;
	struct seen s = {0};
	struct err e = ERR_INIT;
	assert_int_equal(slurm_parse_squeue("nope", 4, on_job, &s, &e), -1);
	const char errs[] = "{\"errors\":[{\"error\":\"Unable to contact slurm controller\"}],\"jobs\":[]}";
	err_clear(&e);
	assert_int_equal(slurm_parse_squeue(errs, sizeof errs - 1, on_job, &s, &e), -1);
	assert_non_null(strstr(e.msg, "Unable to contact"));
	err_clear(&e);
	assert_int_equal(slurm_parse_squeue("{\"errors\":[]}", 13, on_job, &s, &e), -1);
	assert_int_equal(slurm_parse_squeue("{\"errors\":[],\"jobs\":[]}", 23, on_job, &s, &e), 0);
	assert_int_equal(s.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recorded_running), cmocka_unit_test(test_recorded_ended),
		cmocka_unit_test(test_states),           cmocka_unit_test(test_exit_decoding),
		cmocka_unit_test(test_expand),           cmocka_unit_test(test_bad_output),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
