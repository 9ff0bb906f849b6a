/* jobs/desk and jobs/jobjson: the sources of a data home (Slurm only when
 * squeue is on PATH), a real local job stopped through the desk and read
 * back, a Slurm submission through stand-in sbatch and squeue scripts
 * recorded in the registry, and the JSON of jobs, points and sources. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "jobs/desk.h"
#include "jobs/jobjson.h"
#include "jobs/local.h"
#include "jobs/registry.h"
#include "testdb.h"

static char *json_text(cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static void test_stop_local_job(void **state)
{
	struct testdb *t = *state;
	setenv("AIWB_HOME", t->dir, 1);
	setenv("AIWB_SLURM", "off", 1);
	path_reset();
	struct loop *l = loop_new();
	volatile sig_atomic_t stop = 0;
	struct job_desk d;
	job_desk_open(&d, t->db, l, &stop);
	assert_non_null(d.local);
	assert_null(d.slurm);
	struct err e = ERR_INIT;
	assert_int_equal(job_desk_reattach(&d, &e), 0);
	char sh[] = "sh", c[] = "-c", script[] = "echo loss=0.5; exec sleep 30";
	char *argv[] = {sh, c, script, NULL};
	const char *rules[] = {"loss=loss=([0-9.]+)"};
	struct local_spec spec = {.argv = argv, .rules = rules, .n_rules = 1, .name = "desk"};
	struct job j;
	assert_int_equal(local_start(t->db, &spec, &j, &e), 0);
	assert_ptr_equal(job_desk_source(&d, &j), d.local);
	assert_int_equal(job_desk_stop(&d, &j, 200, &e), 0);
	assert_true(job_status_final(j.status));
	assert_string_equal(job_status_name(j.status), "stopped");
	assert_true(job_elapsed_ms(&j, 0) >= 0);

	char *s = json_text(job_to_json(t->db, &j));
	assert_non_null(strstr(s, "\"source\":\"local\""));
	assert_non_null(strstr(s, "\"name\":\"desk\",\"status\":\"stopped\""));
	assert_non_null(strstr(s, "\"metric_rules\":[\"loss=loss=([0-9.]+)\"]"));
	assert_non_null(strstr(s, "\"env_names\":[]"));
	free(s);
	struct job_source *all[] = {d.local, d.slurm};
	s = json_text(job_sources_json(all, 2));
	assert_string_equal(s, "[{\"name\":\"local\",\"state\":\"up\",\"error\":null}]");
	free(s);

	struct slurm_submit sub = {.argv = argv};
	char *id = (char *)(uintptr_t)"x";
	assert_int_equal(job_desk_submit_slurm(&d, &sub, &id, &e), -1);
	assert_null(id);
	assert_string_equal(e.msg, "Slurm's commands (squeue, sbatch) are not on PATH, or AIWB_SLURM=off");
	job_clear(&j);
	job_desk_close(&d);
	loop_free(l);
	unsetenv("AIWB_SLURM");
	unsetenv("AIWB_HOME");
	path_reset();
}

static void write_script(const char *path, const char *body)
{
	struct err e = ERR_INIT;
	assert_int_equal(path_write_file(path, body, strlen(body), &e), 0);
	assert_int_equal(chmod(path, 0700), 0);
}

static void test_submit_records_the_job(void **state)
{
	struct testdb *t = *state;
	setenv("AIWB_HOME", t->dir, 1);
	unsetenv("AIWB_SLURM");
	path_reset();
	char *bin = xasprintf("%s/bin", t->dir), *sbatch = xasprintf("%s/sbatch", bin),
	     *squeue = xasprintf("%s/squeue", bin);
	assert_int_equal(mkdir(bin, 0700), 0);
	write_script(sbatch, "#!/bin/sh\necho 4242\n");
	write_script(squeue, "#!/bin/sh\necho 'squeue: error: no cluster here' >&2\nexit 1\n");
	const char *old = getenv("PATH");
	char *saved = xstrdup(old ? old : "/usr/bin:/bin");
	char *path = xasprintf("%s:%s", bin, saved);
	setenv("PATH", path, 1);
	struct loop *l = loop_new();
	struct job_desk d;
	job_desk_open(&d, t->db, l, NULL);
	assert_non_null(d.slurm);
	char py[] = "python3", train[] = "train.py";
	char *argv[] = {py, train, NULL};
	const char *rules[] = {"loss=loss=([0-9.]+)", "acc=acc ([0-9.]+)"};
	struct slurm_submit sub = {.argv = argv, .name = "big", .cwd = "/work", .rules = rules, .n_rules = 2};
	char *id = NULL;
	struct err e = ERR_INIT;
	assert_int_equal(job_desk_submit_slurm(&d, &sub, &id, &e), 0);
	assert_string_equal(id, "4242");
	assert_true(d.slurm->down); /* the refresh after it ran squeue, which failed */
	assert_non_null(d.slurm->why);
	struct job j;
	assert_int_equal(jobreg_find(t->db, "slurm:4242", &j, &e), 0);
	assert_string_equal(j.command, "python3 train.py");
	assert_string_equal(j.name, "big");
	assert_string_equal(j.cwd, "/work");
	assert_string_equal(j.rules, "loss=loss=([0-9.]+)\nacc=acc ([0-9.]+)");
	assert_ptr_equal(job_desk_source(&d, &j), d.slurm);
	job_clear(&j);
	free(id);
	job_desk_close(&d);
	loop_free(l);
	setenv("PATH", saved, 1);
	free(saved);
	free(path);
	free(bin);
	free(sbatch);
	free(squeue);
	unsetenv("AIWB_HOME");
	path_reset();
}

static int list_calls;
static void on_listed(void *ud, int ok, const char *why)
{
	(void)ud;
	(void)ok;
	(void)why;
	list_calls++;
}

/* The workbench quits while squeue still runs: closing the desk cancels it
 * (the stand-in squeue is killed) and never calls back into the gone pane. */
static void test_close_while_squeue_runs(void **state)
{
	struct testdb *t = *state;
	setenv("AIWB_HOME", t->dir, 1);
	unsetenv("AIWB_SLURM");
	path_reset();
	char *bin = xasprintf("%s/bin", t->dir), *squeue = xasprintf("%s/squeue", bin),
	     *started = xasprintf("%s/started", t->dir);
	assert_int_equal(mkdir(bin, 0700), 0);
	char *body = xasprintf("#!/bin/sh\necho $$ > %s.tmp && mv %s.tmp %s\nexec sleep 30\n", started, started, started);
	write_script(squeue, body);
	char *sbatch = xasprintf("%s/sbatch", bin);
	write_script(sbatch, "#!/bin/sh\nexit 1\n");
	const char *old = getenv("PATH");
	char *saved = xstrdup(old ? old : "/usr/bin:/bin");
	char *path = xasprintf("%s:%s", bin, saved);
	setenv("PATH", path, 1);
	struct loop *l = loop_new();
	struct job_desk d;
	job_desk_open(&d, t->db, l, NULL);
	assert_non_null(d.slurm);
	list_calls = 0;
	d.slurm->ops->list(d.slurm, on_listed, NULL);
	int64_t deadline = clock_ms() + 10000;
	while (access(started, F_OK) != 0 && clock_ms() < deadline)
		loop_run_once(l, 20);
	assert_int_equal(access(started, F_OK), 0);
	long pid = 0;
	FILE *f = fopen(started, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	char procdir[64];
	snprintf(procdir, sizeof procdir, "/proc/%ld/cmdline", pid);
	assert_int_equal(access(procdir, F_OK), 0);
	job_desk_close(&d);
	assert_int_not_equal(access(procdir, F_OK), 0); /* killed and reaped at once */
	for (int i = 0; i < 5; i++)
		loop_run_once(l, 10);
	assert_int_equal(list_calls, 0);
	loop_free(l);
	setenv("PATH", saved, 1);
	free(saved);
	free(path);
	free(body);
	free(started);
	free(squeue);
	free(sbatch);
	free(bin);
	unsetenv("AIWB_HOME");
	path_reset();
}

static void test_point_and_value_json(void **state)
{
	(void)state;
	struct jobreg_point p = {.name = "loss", .has_step = 1, .step = 7, .value = 0.25, .time_ms = 1000, .origin = "log"};
	char *s = json_text(job_point_json(&p));
	assert_string_equal(s, "{\"step\":7,\"value\":0.25,\"time_ms\":1000,\"origin\":\"log\"}");
	free(s);
	p.has_step = 0;
	p.value = -1.0 / 0.0;
	p.origin = NULL;
	s = json_text(job_point_json(&p));
	assert_string_equal(s, "{\"step\":null,\"value\":\"-inf\",\"time_ms\":1000,\"origin\":\"\"}");
	free(s);
	s = json_text(job_value_json(0.0 / 0.0));
	assert_string_equal(s, "\"nan\"");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stop_local_job, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_submit_records_the_job, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_close_while_squeue_runs, testdb_setup, testdb_teardown),
		cmocka_unit_test(test_point_and_value_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
