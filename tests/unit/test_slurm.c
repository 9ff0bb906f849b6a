/* slurm: squeue --json, scontrol show job -o and sacct -c recorded from a
 * real Slurm 22.05 (tests/data/slurm), array task lists, the ssh command
 * line, state mapping (unknown stays unknown), raw wait statuses, StdOut pattern
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
#include "jobs/slurm_run.h"
#include "jobs/slurm_text.h"

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
	i = find(&s, "8"); /* the array's own row: its tasks not started yet */
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
	expand_is("%99999999999999999999j", &j, "0000000042"); /* a width is at most 10 (found by fuzz_slurm) */
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
	assert_string_equal(k, "50");
	free(k);
	/* a pattern without %a for an array's pending part: Slurm's NO_VAL task id */
	expand_is("arr-%A_%a.out", &pend, "arr-50_4294967294.out");
}

static void test_recorded_array(void **state)
{
	(void)state;
	struct seen s;
	load("tests/data/slurm/squeue-array.json", &s);
	assert_int_equal(s.n, 3);
	int i = find(&s, "1_0");
	assert_string_equal(s.states[i], "RUNNING");
	assert_string_equal(s.out[i], "/tmp/sl/arr-1_0.out");
	i = find(&s, "1_1");
	assert_string_equal(s.out[i], "/tmp/sl/arr-1_1.out");
	i = find(&s, "1");
	assert_string_equal(s.states[i], "PENDING");
}

struct kv {
	int n;
	char keys[128][32], vals[128][128];
};

static int on_kv(void *ud, const char *k, size_t kl, const char *v, size_t vl)
{
	struct kv *kv = ud;
	if (kv->n >= 128)
		return 1;
	snprintf(kv->keys[kv->n], 32, "%.*s", (int)kl, k);
	snprintf(kv->vals[kv->n], 128, "%.*s", (int)vl, v);
	kv->n++;
	return 0;
}

static const char *kv_get(const struct kv *kv, const char *k)
{
	for (int i = 0; i < kv->n; i++)
		if (strcmp(kv->keys[i], k) == 0)
			return kv->vals[i];
	fail_msg("no key %s", k);
	return NULL;
}

static void test_scontrol(void **state)
{
	(void)state;
	size_t len;
	struct err e = ERR_INIT;
	char *text = path_read_file("tests/data/slurm/scontrol-show-job.txt", &len, &e);
	assert_non_null(text);
	struct kv kv = {0};
	size_t first = strcspn(text, "\n");
	int pairs = slurm_parse_scontrol_line(text, first, on_kv, &kv);
	assert_int_equal(pairs, kv.n);
	assert_string_equal(kv_get(&kv, "JobId"), "7");
	assert_string_equal(kv_get(&kv, "JobName"), "my job");       /* a space in a value */
	assert_string_equal(kv_get(&kv, "Comment"), "a=b c");        /* '=' and a space */
	assert_string_equal(kv_get(&kv, "JobState"), "FAILED");
	assert_string_equal(kv_get(&kv, "ExitCode"), "3:0");
	assert_string_equal(kv_get(&kv, "AllocNode:Sid"), "localhost:30754");
	assert_string_equal(kv_get(&kv, "CPUs/Task"), "1");
	assert_string_equal(kv_get(&kv, "TRES"), "cpu=1,node=1,billing=1");
	assert_string_equal(kv_get(&kv, "StdOut"), "/tmp/sl/sp-7.out");
	assert_string_equal(kv_get(&kv, "TimeLimit"), "00:05:00");
	assert_string_equal(kv_get(&kv, "Power"), "");
	/* the next line: an array task, StdOut expanded by scontrol */
	memset(&kv, 0, sizeof kv);
	const char *second = text + first + 1;
	slurm_parse_scontrol_line(second, strcspn(second, "\n"), on_kv, &kv);
	assert_string_equal(kv_get(&kv, "ArrayJobId"), "1");
	assert_string_equal(kv_get(&kv, "ArrayTaskId"), "5");
	assert_string_equal(kv_get(&kv, "JobName"), "arr job");
	assert_string_equal(kv_get(&kv, "StdOut"), "/tmp/sl/arr-1_5.out");
	free(text);
	memset(&kv, 0, sizeof kv);
	assert_int_equal(slurm_parse_scontrol_line("", 0, on_kv, &kv), 0);
	assert_int_equal(slurm_parse_scontrol_line("junk words A=1 x=y B= C=d e", 27, on_kv, &kv), 3);
	assert_string_equal(kv_get(&kv, "A"), "1 x=y");
	assert_string_equal(kv_get(&kv, "B"), "");
	assert_string_equal(kv_get(&kv, "C"), "d e");
}

struct rows {
	int n;
	char ids[16][16], states[16][16], exits[16][8];
	int64_t end[16];
};

static void on_row(void *ud, const struct slurm_acct_row *r)
{
	struct rows *rs = ud;
	assert_true(rs->n < 16);
	snprintf(rs->ids[rs->n], 16, "%s", r->job_id);
	snprintf(rs->states[rs->n], 16, "%s", r->state);
	snprintf(rs->exits[rs->n], 8, "%s", r->exit_code);
	rs->end[rs->n] = r->end_s;
	rs->n++;
}

static void test_sacct(void **state)
{
	(void)state;
	size_t len;
	struct err e = ERR_INIT;
	char *text = path_read_file("tests/data/slurm/sacct-completion.txt", &len, &e);
	assert_non_null(text);
	struct rows r = {0};
	assert_int_equal(slurm_parse_sacct(text, len, on_row, &r), 8);
	assert_string_equal(r.ids[0], "5");
	assert_string_equal(r.states[0], "CANCELLED");
	assert_string_equal(r.ids[7], "7");
	assert_string_equal(r.states[7], ""); /* the completion file lost it (a name with a space) */
	assert_string_equal(r.exits[7], "3:0");
	assert_true(r.end[7] > r.end[0]);
	free(text);
	/* accounting on: columns in another order, a state with "by UID" */
	const char acct[] = "JobID|State|ExitCode|End\n41_3|CANCELLED by 0|0:15|2026-12-07T10:00:00\n42|TIMEOUT|0:0|Unknown\n";
	memset(&r, 0, sizeof r);
	assert_int_equal(slurm_parse_sacct(acct, sizeof acct - 1, on_row, &r), 2);
	assert_string_equal(r.ids[0], "41_3");
	assert_string_equal(r.states[0], "CANCELLED");
	assert_string_equal(r.exits[0], "0:15");
	assert_int_equal(r.end[1], 0);
	assert_int_equal(slurm_parse_sacct("Slurm accounting storage is disabled\n", 37, on_row, &r), -1);
	assert_int_equal(slurm_parse_sacct("", 0, on_row, &r), -1);
	int code, sig;
	assert_int_equal(slurm_parse_exit_pair("3:0", &code, &sig), 0);
	assert_int_equal(code, 3);
	assert_int_equal(slurm_parse_exit_pair("0:15", &code, &sig), 1);
	assert_int_equal(sig, 15);
	assert_int_equal(slurm_parse_exit_pair("x", &code, &sig), -1);
	assert_int_equal(slurm_parse_exit_pair("3:", &code, &sig), -1);
	assert_int_equal(slurm_parse_exit_pair("300:0", &code, &sig), -1);
	assert_int_equal(slurm_parse_time("Unknown"), 0);
	assert_int_equal(slurm_parse_time("2026-12-07T09:36:1"), slurm_parse_time("2026-12-07T09:36:01"));
	assert_int_equal(slurm_parse_time("2026-12-07T09:36:11x"), 0);
}

static void test_array_count(void **state)
{
	(void)state;
	assert_int_equal(slurm_array_count("2-5"), 4);
	assert_int_equal(slurm_array_count("0"), 1);
	assert_int_equal(slurm_array_count("1,3,5-7"), 5);
	assert_int_equal(slurm_array_count("0-15:4"), 4);
	assert_int_equal(slurm_array_count("1-9%2"), 9);
	assert_int_equal(slurm_array_count(""), -1);
	assert_int_equal(slurm_array_count("5-2"), -1);
	assert_int_equal(slurm_array_count("1-"), -1);
	assert_int_equal(slurm_array_count("1,,2"), -1);
	assert_int_equal(slurm_array_count("1-9%"), -1);
	assert_int_equal(slurm_array_count("0-999999999999"), -1);
}

static void test_shell_join(void **state)
{
	(void)state;
	char a[] = "squeue", b[] = "--json", c[] = "it's", d[] = "";
	char *argv[] = {a, b, c, d, NULL};
	char *s = slurm_shell_join(argv);
	assert_string_equal(s, "'squeue' '--json' 'it'\\''s' ''");
	char **v = slurm_ssh_argv("me@host", NULL, "/run/x", s);
	int n = 0;
	while (v[n])
		n++;
	assert_string_equal(v[0], "ssh");
	assert_string_equal(v[n - 2], "me@host");
	assert_string_equal(v[n - 1], s);
	assert_string_equal(v[n - 3], "--");
	int batch = 0, ctl = 0;
	for (int i = 0; i < n; i++) {
		batch |= strcmp(v[i], "BatchMode=yes") == 0;
		ctl |= strcmp(v[i], "ControlPath=/run/x/ssh-%C") == 0;
	}
	assert_true(batch && ctl);
	slurm_argv_free(v);
	free(s);
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
		cmocka_unit_test(test_recorded_array),   cmocka_unit_test(test_scontrol),
		cmocka_unit_test(test_sacct),            cmocka_unit_test(test_array_count),
		cmocka_unit_test(test_shell_join),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
