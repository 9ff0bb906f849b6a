/* registry and alert: jobs round-trip through SQLite, IDs and their short
 * forms resolve (or fail naming the candidates), NaN points survive, points
 * since a sequence, last values, files, deletes cascade; status changes are
 * recorded once each, in order, with the caller's transaction; alert rules parse,
 * print canonically, fire once and rearm. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "base/xmalloc.h"
#include "jobs/alert.h"
#include "jobs/registry.h"
#include "testdb.h"

static int64_t add_job(struct db *db, const char *source, const char *ext_id, const char *name, enum job_status st)
{
	struct job j = {0};
	j.source = xstrdup(source);
	j.ext_id = ext_id ? xstrdup(ext_id) : NULL;
	j.name = xstrdup(name);
	j.status = st;
	j.raw_state = xstrdup("RAW");
	j.submit_ms = 1000;
	j.start_ms = 2000;
	struct err e = ERR_INIT;
	int64_t id = jobreg_insert(db, &j, &e);
	assert_true(id > 0);
	job_clear(&j);
	return id;
}

static void find_is(struct db *db, const char *ref, const char *want_ref)
{
	struct job j;
	struct err e = ERR_INIT;
	int rc = jobreg_find(db, ref, &j, &e);
	if (rc != 0)
		fail_msg("%s: %s", ref, e.msg);
	char *r = job_ref(&j);
	assert_string_equal(r, want_ref);
	free(r);
	job_clear(&j);
}

static void find_fails(struct db *db, const char *ref, const char *msg_part)
{
	struct job j;
	struct err e = ERR_INIT;
	assert_int_equal(jobreg_find(db, ref, &j, &e), -1);
	if (!strstr(e.msg, msg_part))
		fail_msg("%s: '%s' lacks '%s'", ref, e.msg, msg_part);
}

static void test_round_trip_and_find(void **state)
{
	struct db *db = ((struct testdb *)*state)->db;
	int64_t a = add_job(db, "local", NULL, "train.py", JOB_RUNNING);
	add_job(db, "slurm", "42", "big-run", JOB_QUEUED);
	add_job(db, "sagemaker", "xgb-2024-06-01", "xgb-2024-06-01", JOB_COMPLETED);
	struct job j;
	assert_int_equal(jobreg_get(db, a, &j, NULL), 1);
	assert_string_equal(j.ext_id, "1"); /* a local job's id is its row */
	assert_string_equal(j.raw_state, "RAW");
	assert_int_equal(j.status, JOB_RUNNING);
	assert_false(j.has_exit);
	j.has_exit = 1;
	j.exit_code = 0;
	j.status = JOB_COMPLETED;
	j.end_ms = 5000;
	j.env_names = xstrdup("A,B");
	assert_int_equal(j.parent_id, 0);
	assert_null(j.info);
	int64_t parent = add_job(db, "slurm", "40", "array", JOB_RUNNING);
	j.parent_id = parent;
	j.info = xstrdup("{\"partition\":\"debug\"}");
	assert_int_equal(jobreg_update(db, &j, NULL), 0);
	job_clear(&j);
	assert_int_equal(jobreg_get(db, a, &j, NULL), 1);
	assert_true(j.has_exit);
	assert_int_equal(j.exit_code, 0);
	assert_int_equal(j.end_ms, 5000);
	assert_string_equal(j.env_names, "A,B");
	assert_int_equal(j.parent_id, parent);
	assert_string_equal(j.info, "{\"partition\":\"debug\"}");
	j.parent_id = 0;
	assert_int_equal(jobreg_update(db, &j, NULL), 0);
	job_clear(&j);
	assert_int_equal(jobreg_delete(db, parent, NULL), 0);
	assert_int_equal(jobreg_get(db, 999, &j, NULL), 0);

	find_is(db, "local:1", "local:1");
	find_is(db, "loc:1", "local:1");
	find_is(db, "1", "local:1");
	find_is(db, "42", "slurm:42");
	find_is(db, "slurm:42", "slurm:42");
	find_is(db, "xgb", "sagemaker:xgb-2024-06-01");       /* a unique id prefix */
	find_is(db, "big-run", "slurm:42");                    /* a name */
	find_fails(db, "local:42", "no job 'local:42'");
	find_fails(db, "nothing", "no job");
	add_job(db, "slurm", "1", "other", JOB_RUNNING);
	find_fails(db, "1", "could be 2 jobs (");
	find_is(db, "slurm:1", "slurm:1");
	find_is(db, "local:1", "local:1");

	struct job_list l;
	assert_int_equal(jobreg_list(db, NULL, -1, &l, NULL), 0);
	assert_int_equal(l.n, 4);
	job_list_free(&l);
	assert_int_equal(jobreg_list(db, "slurm", -1, &l, NULL), 0);
	assert_int_equal(l.n, 2);
	job_list_free(&l);
	assert_int_equal(jobreg_list(db, NULL, JOB_COMPLETED, &l, NULL), 0);
	assert_int_equal(l.n, 2);
	job_list_free(&l);
}

struct seen {
	int n;
	double values[8];
	char names[8][16];
	int64_t seqs[8], counts[8];
};

static int on_point(void *ud, const struct jobreg_point *p)
{
	struct seen *s = ud;
	snprintf(s->names[s->n], 16, "%s", p->name);
	s->values[s->n] = p->value;
	s->seqs[s->n] = p->seq;
	s->counts[s->n] = p->count;
	s->n++;
	return 0;
}

static void test_points(void **state)
{
	struct db *db = ((struct testdb *)*state)->db;
	int64_t a = add_job(db, "local", NULL, "x", JOB_RUNNING);
	struct metric_point p1 = {.name = "loss", .value = 0.5, .has_step = 1, .step = 1};
	struct metric_point p2 = {.name = "loss", .value = NAN};
	struct metric_point p3 = {.name = "acc", .value = INFINITY};
	assert_int_equal(jobreg_add_point(db, a, &p1, 10, "log", NULL), 0);
	assert_int_equal(jobreg_add_point(db, a, &p2, 20, "log", NULL), 0);
	assert_int_equal(jobreg_add_point(db, a, &p3, 30, "./metrics.csv", NULL), 0);
	struct seen s = {0};
	assert_int_equal(jobreg_points(db, a, 0, NULL, on_point, &s, NULL), 0);
	assert_int_equal(s.n, 3);
	assert_true(s.values[0] == 0.5);
	assert_true(isnan(s.values[1]));
	assert_true(isinf(s.values[2]));
	struct seen since = {0};
	assert_int_equal(jobreg_points(db, a, s.seqs[0], NULL, on_point, &since, NULL), 0);
	assert_int_equal(since.n, 2);
	struct seen only = {0};
	jobreg_points(db, a, 0, "acc", on_point, &only, NULL);
	assert_int_equal(only.n, 1);
	struct seen last = {0};
	assert_int_equal(jobreg_last_values(db, a, on_point, &last, NULL), 0);
	assert_int_equal(last.n, 2);
	assert_string_equal(last.names[0], "acc");
	assert_string_equal(last.names[1], "loss");
	assert_true(isnan(last.values[1]));
	assert_int_equal(last.counts[1], 2);
	assert_int_equal(jobreg_last_point_ms(db, a), 30);
	assert_int_equal(jobreg_delete_points(db, a, "./metrics.csv", NULL), 0);
	struct seen after = {0};
	jobreg_points(db, a, 0, NULL, on_point, &after, NULL);
	assert_int_equal(after.n, 2);

	int64_t off, size, mt;
	assert_int_equal(jobreg_file_get(db, a, "tb/events", &off, &size, &mt), 0);
	assert_int_equal(jobreg_file_set(db, a, "tb/events", 100, 120, 7, NULL), 0);
	assert_int_equal(jobreg_file_set(db, a, "tb/events", 120, 120, 8, NULL), 0);
	assert_int_equal(jobreg_file_get(db, a, "tb/events", &off, &size, &mt), 1);
	assert_int_equal(off, 120);
	assert_int_equal(mt, 8);

	/* deleting the job takes its points, files and alerts with it */
	assert_int_equal(jobreg_alert_add(db, a, "ended", NULL), 0);
	assert_int_equal(jobreg_delete(db, a, NULL), 0);
	struct seen gone = {0};
	jobreg_points(db, a, 0, NULL, on_point, &gone, NULL);
	assert_int_equal(gone.n, 0);
	assert_int_equal(jobreg_file_get(db, a, "tb/events", &off, &size, &mt), 0);
}

struct trail {
	char text[512];
	int n;
};

static int on_transition(void *ud, const struct jobreg_transition *t)
{
	struct trail *s = ud;
	size_t len = strlen(s->text);
	snprintf(s->text + len, sizeof s->text - len, "%s%s/%s", s->n ? " " : "", t->status,
		 t->raw_state ? t->raw_state : "-");
	assert_true(t->time_ms > 0);
	s->n++;
	return 0;
}

static struct trail transitions_of(struct db *db, int64_t id)
{
	struct trail s = {0};
	struct err e = ERR_INIT;
	assert_int_equal(jobreg_transitions(db, id, on_transition, &s, &e), 0);
	return s;
}

static void set_status(struct db *db, int64_t id, enum job_status st, const char *raw)
{
	struct job j;
	struct err e = ERR_INIT;
	assert_int_equal(jobreg_get(db, id, &j, &e), 1);
	j.status = st;
	free(j.raw_state);
	j.raw_state = raw ? xstrdup(raw) : NULL;
	j.activity_ms += 1;
	assert_int_equal(jobreg_update(db, &j, &e), 0);
	job_clear(&j);
}

static void test_transitions(void **state)
{
	struct db *db = ((struct testdb *)*state)->db;
	int64_t id = add_job(db, "slurm", "42", "train", JOB_QUEUED);
	int64_t other = add_job(db, "local", NULL, "other", JOB_RUNNING);
	set_status(db, id, JOB_RUNNING, "RUNNING");
	set_status(db, id, JOB_RUNNING, "RUNNING"); /* same status: nothing */
	set_status(db, id, JOB_RUNNING, "COMPLETING"); /* a raw state alone is no transition */
	set_status(db, id, JOB_COMPLETED, "COMPLETED");
	struct trail s = transitions_of(db, id);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.text, "queued/RAW running/RUNNING completed/COMPLETED");
	/* the insert that sets ext_id from the row id records one transition */
	s = transitions_of(db, other);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.text, "running/RAW");

	/* inside a caller's transaction, rolled back with it */
	struct err e = ERR_INIT;
	assert_int_equal(jobreg_begin(db, &e), 0);
	set_status(db, other, JOB_FAILED, "x");
	assert_int_equal(db_exec(db, "ROLLBACK", &e), 0);
	assert_int_equal(transitions_of(db, other).n, 1);
	assert_int_equal(jobreg_begin(db, &e), 0);
	set_status(db, other, JOB_STOPPED, NULL);
	assert_int_equal(jobreg_commit(db, &e), 0);
	assert_string_equal(transitions_of(db, other).text, "running/RAW stopped/-");

	/* removing a job removes its transitions, and only its */
	assert_int_equal(jobreg_delete(db, id, &e), 0);
	assert_int_equal(transitions_of(db, id).n, 0);
	sqlite3_stmt *st = db_prepare(db, "SELECT COUNT(*) FROM job_transitions WHERE job_id = ?1", &e);
	assert_non_null(st);
	sqlite3_bind_int64(st, 1, id);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), 0);
	sqlite3_finalize(st);
	assert_int_equal(transitions_of(db, other).n, 2);
}

static void rule_is(const char *text, const char *canon)
{
	struct alert_rule r;
	struct err e = ERR_INIT;
	if (alert_parse(text, &r, &e) < 0)
		fail_msg("%s: %s", text, e.msg);
	char out[128];
	alert_format(&r, out, sizeof out);
	assert_string_equal(out, canon);
}

static void test_alert_rules(void **state)
{
	(void)state;
	rule_is("loss is nan", "loss is nan");
	rule_is("  loss >   2 ", "loss > 2");
	rule_is("val/acc<=0.5", "val/acc <= 0.5");
	rule_is("acc >= 0.9", "acc >= 0.9");
	rule_is("loss < 1e-3", "loss < 0.001");
	rule_is("no progress 10m", "no progress 10m");
	rule_is("no progress 90s", "no progress 90s");
	rule_is("no progress 2h", "no progress 2h");
	rule_is("no progress 0.5h", "no progress 30m");
	rule_is("ended", "ended");
	struct alert_rule r;
	struct err e = ERR_INIT;
	assert_int_equal(alert_parse("loss is big", &r, &e), -1);
	assert_int_equal(alert_parse("loss > two", &r, &e), -1);
	assert_int_equal(alert_parse("loss > 2 3", &r, &e), -1);
	assert_int_equal(alert_parse("no progress 10", &r, &e), -1);
	assert_int_equal(alert_parse("no progress -1m", &r, &e), -1);
	assert_int_equal(alert_parse("", &r, &e), -1);
	assert_int_equal(alert_parse("bad name > 1", &r, &e), -1);
}

struct fired {
	int n;
	char rule[8][64];
	char detail[8][128];
};

static void on_fire(void *ud, const struct alert_fired *a)
{
	struct fired *f = ud;
	snprintf(f->rule[f->n], 64, "%s", a->rule);
	snprintf(f->detail[f->n], 128, "%s", a->detail);
	f->n++;
}

static void test_alert_eval(void **state)
{
	struct db *db = ((struct testdb *)*state)->db;
	int64_t a = add_job(db, "local", NULL, "x", JOB_RUNNING);
	struct job j;
	assert_int_equal(jobreg_get(db, a, &j, NULL), 1);
	j.start_ms = 1000;
	j.activity_ms = 1000;
	const char *rules[] = {"loss > 2", "loss is nan", "no progress 1m", "ended"};
	for (int i = 0; i < 4; i++)
		assert_int_equal(jobreg_alert_add(db, a, rules[i], NULL), 0);
	assert_int_equal(jobreg_alert_add(db, a, "ended", NULL), 0); /* once only */
	struct metric_point p = {.name = "loss", .value = 1.0};
	jobreg_add_point(db, a, &p, 1000, "log", NULL);
	struct fired f = {0};
	assert_int_equal(alert_eval(db, &j, 2000, on_fire, &f, NULL), 0);
	assert_int_equal(f.n, 0);
	p.value = 2.5;
	jobreg_add_point(db, a, &p, 3000, "log", NULL);
	alert_eval(db, &j, 3000, on_fire, &f, NULL);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.rule[0], "loss > 2");
	assert_string_equal(f.detail[0], "loss=2.5");
	alert_eval(db, &j, 3500, on_fire, &f, NULL); /* still true: no second time */
	assert_int_equal(f.n, 1);
	p.value = 1.5; /* clears: rearms */
	jobreg_add_point(db, a, &p, 4000, "log", NULL);
	alert_eval(db, &j, 4000, on_fire, &f, NULL);
	p.value = 3;
	jobreg_add_point(db, a, &p, 5000, "log", NULL);
	alert_eval(db, &j, 5000, on_fire, &f, NULL);
	assert_int_equal(f.n, 2);
	p.value = NAN;
	jobreg_add_point(db, a, &p, 6000, "log", NULL);
	alert_eval(db, &j, 6000, on_fire, &f, NULL);
	assert_int_equal(f.n, 3);
	assert_string_equal(f.rule[2], "loss is nan");
	/* nothing new for a minute */
	alert_eval(db, &j, 6000 + 60000, on_fire, &f, NULL);
	assert_int_equal(f.n, 4);
	assert_string_equal(f.rule[3], "no progress 1m");
	assert_string_equal(f.detail[3], "nothing new for 60s");
	j.status = JOB_FAILED;
	alert_eval(db, &j, 70000, on_fire, &f, NULL);
	assert_int_equal(f.n, 5);
	assert_string_equal(f.rule[4], "ended");
	alert_eval(db, &j, 80000, on_fire, &f, NULL);
	assert_int_equal(f.n, 5);
	job_clear(&j);
}

static int query_int(struct db *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Two processes watching one job (the workbench and jobs watch --alerts):
 * only the one whose write sets fired notifies. */
static void test_alert_claimed_once(void **state)
{
	struct db *db = ((struct testdb *)*state)->db;
	int64_t a = add_job(db, "local", NULL, "x", JOB_FAILED);
	assert_int_equal(jobreg_alert_add(db, a, "ended", NULL), 0);
	int id = query_int(db, "SELECT id FROM job_alerts WHERE rule = 'ended'");
	assert_int_equal(jobreg_alert_set(db, id, 1, 1000, NULL), 1);
	assert_int_equal(jobreg_alert_set(db, id, 1, 1001, NULL), 0);
	assert_int_equal(query_int(db, "SELECT fired_ms FROM job_alerts WHERE rule = 'ended'"), 1000);
	struct job j;
	assert_int_equal(jobreg_get(db, a, &j, NULL), 1);
	struct fired f = {0};
	assert_int_equal(alert_eval(db, &j, 2000, on_fire, &f, NULL), 0);
	assert_int_equal(f.n, 0); /* the other one notified */
	assert_int_equal(jobreg_alert_set(db, id, 0, 0, NULL), 1);
	assert_int_equal(jobreg_alert_set(db, id, 0, 0, NULL), 0);
	assert_int_equal(alert_eval(db, &j, 3000, on_fire, &f, NULL), 0);
	assert_int_equal(f.n, 1);
	job_clear(&j);
}

/* Config rules: stored for the running jobs their glob matches (by ref or
 * name), never for jobs that had ended; a bad rule is named and skipped;
 * the exec of the rule behind an alert is found by its canonical text. */
static void test_alert_config(void **state)
{
	struct db *db = ((struct testdb *)*state)->db;
	int64_t train = add_job(db, "local", NULL, "train-big", JOB_RUNNING);
	add_job(db, "slurm", "42", "eval", JOB_RUNNING);
	int64_t old = add_job(db, "local", NULL, "train-old", JOB_COMPLETED);
	char ended[] = "ended", train_glob[] = "train-*", echo[] = "echo done", above[] = "loss  >   2",
	     big[] = "loss is big", stall[] = "no progress 5m", slurm_glob[] = "slurm:*";
	struct config_alert cfg[] = {
		{ended, train_glob, echo},
		{above, NULL, NULL},
		{big, NULL, NULL},
		{stall, slurm_glob, NULL},
	};
	struct job_list l;
	assert_int_equal(jobreg_list(db, NULL, -1, &l, NULL), 0);
	struct fired f = {0};
	struct err e = ERR_INIT;
	assert_int_equal(alert_check_jobs(db, &l, cfg, 4, INT64_MAX, 10000, on_fire, &f, &e), -1);
	assert_non_null(strstr(e.msg, "alerts: 'loss is big':"));
	assert_int_equal(f.n, 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM job_alerts"), 4);
	char *sql = xasprintf("SELECT count(*) FROM job_alerts WHERE job_id = %lld AND rule IN ('ended', 'loss > 2')",
			      (long long)train);
	assert_int_equal(query_int(db, sql), 2);
	free(sql);
	sql = xasprintf("SELECT count(*) FROM job_alerts WHERE job_id = %lld", (long long)old);
	assert_int_equal(query_int(db, sql), 0); /* it had ended: "ended" would fire at once */
	free(sql);
	assert_int_equal(query_int(db, "SELECT count(*) FROM job_alerts a JOIN jobs j ON j.id = a.job_id "
				       "WHERE j.ext_id = '42' AND a.rule = 'no progress 5m'"), 1);
	job_list_free(&l);

	struct job j;
	assert_int_equal(jobreg_get(db, train, &j, NULL), 1);
	j.status = JOB_COMPLETED;
	assert_int_equal(jobreg_update(db, &j, NULL), 0);
	assert_int_equal(jobreg_list(db, "local", -1, &l, NULL), 0);
	assert_int_equal(alert_check_jobs(db, &l, cfg, 2, INT64_MAX, 20000, on_fire, &f, &e), 0);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.rule[0], "ended");
	struct alert_fired a = {&j, "ended", ""};
	assert_string_equal(alert_config_exec(cfg, 4, &a), "echo done");
	a.rule = "loss > 2";
	assert_null(alert_config_exec(cfg, 4, &a));
	free(j.name);
	j.name = xstrdup("other");
	a.rule = "ended";
	assert_null(alert_config_exec(cfg, 4, &a)); /* the glob no longer matches */
	assert_true(alert_config_matches(&cfg[1], &j));
	job_clear(&j);
	job_list_free(&l);

	/* a job that ended after the caller started watching gets the rules */
	assert_int_equal(jobreg_get(db, old, &j, NULL), 1);
	j.end_ms = 15000;
	assert_int_equal(jobreg_update(db, &j, NULL), 0);
	job_clear(&j);
	assert_int_equal(jobreg_list(db, "local", -1, &l, NULL), 0);
	f.n = 0;
	assert_int_equal(alert_check_jobs(db, &l, cfg, 1, 16000, 20000, on_fire, &f, &e), 0);
	assert_int_equal(f.n, 0); /* ended before 16000 */
	assert_int_equal(alert_check_jobs(db, &l, cfg, 1, 12000, 20000, on_fire, &f, &e), 0);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.rule[0], "ended");
	job_list_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip_and_find, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_points, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_transitions, testdb_setup, testdb_teardown),
		cmocka_unit_test(test_alert_rules),
		cmocka_unit_test_setup_teardown(test_alert_eval, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_alert_claimed_once, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_alert_config, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
