/* exp/runner: an experiment run on a real loop against a fake Ollama server
 * on loopback: every case in order, stored with its history run; the
 * per-provider slot limit and request rate (by the order and the clock of the
 * starts); a provider that cannot be opened; cancelling; a case that cannot be
 * stored stopping the work; an experiment row that cannot be created. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "base/clock.h"
#include "base/path.h"
#include "config.h"
#include "exp/runner.h"
#include "exp/spec.h"
#include "store/expstore.h"
#include "testhttp.h"
#include "testdb.h"

static const char answer[] =
	"{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"The sky\"},\"done\":false}\n"
	"{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\" is blue.\"},\"done\":false}\n"
	"{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\","
	"\"prompt_eval_count\":7,\"eval_count\":4}\n";

#define MAX_EVENTS 64

struct rig {
	char dir[64];
	struct db *db;
	struct loop *loop;
	struct fake f;
	struct config cfg;
	struct catalog cat;
	struct exp_spec spec;
	struct exp_run *x;
	int64_t guard;
	/* what the callbacks saw */
	char events[MAX_EVENTS * 8];   /* "s0 c0 s1 ... D" */
	int64_t start_ms[MAX_EVENTS];
	size_t start_index[MAX_EVENTS];
	int64_t begin_ms;              /* before exp_run_start */
	size_t nstarts, ncases, ndone;
	int running_max;               /* ollama calls at once, counted by start and case */
	int running;
	int cancel_after;              /* cancel once this many calls started (0: never) */
};

static int64_t on_guard(struct loop *l, int64_t id, void *ud)
{
	struct rig *r = ud;
	(void)id;
	r->guard = 0;
	loop_stop(l);
	return LOOP_TIMER_DONE;
}

static int64_t cancel_now(struct loop *l, int64_t id, void *ud)
{
	struct rig *r = ud;
	(void)l;
	(void)id;
	exp_run_cancel(r->x);
	return LOOP_TIMER_DONE;
}

/* Notes "KIND INDEX " ('s' started, 'c' case finished), or "D" for on_done (index -1). */
static void ev(struct rig *r, char kind, long index)
{
	size_t len = strlen(r->events);
	if (index < 0)
		snprintf(r->events + len, sizeof r->events - len, "%c", kind);
	else
		snprintf(r->events + len, sizeof r->events - len, "%c%ld ", kind, index);
}

static void on_start(size_t index, const struct exp_progress *p, void *ud)
{
	struct rig *r = ud;
	ev(r, 's', (long)index);
	assert_true(r->nstarts < MAX_EVENTS);
	r->start_index[r->nstarts] = index;
	r->start_ms[r->nstarts++] = clock_ms();
	assert_int_equal(p->running, ++r->running);
	if (r->running > r->running_max)
		r->running_max = r->running;
	if (r->cancel_after && (int)r->nstarts == r->cancel_after)
		loop_add_timer(r->loop, 0, cancel_now, r);
}

static void on_case(const cJSON *c, const struct exp_progress *p, void *ud)
{
	struct rig *r = ud;
	size_t index = (size_t)cJSON_GetObjectItem(c, "index")->valuedouble;
	ev(r, 'c', (long)index);
	r->ncases++;
	assert_int_equal(p->done, r->ncases);
	if (cJSON_IsString(cJSON_GetObjectItem(c, "run_status")))
		r->running--;
	assert_true(p->running <= r->running); /* fewer when the work stopped and the rest were cancelled */
	r->running = p->running;
	assert_int_equal(r->ndone, 0); /* never after on_done */
}

static void on_done(void *ud)
{
	struct rig *r = ud;
	ev(r, 'D', -1);
	r->ndone++;
	loop_stop(r->loop);
}

static const struct exp_run_cb cb = { on_start, on_case, on_done };

/* A rig: a fresh database, the fake server answering `answer`, a config
 * pointing Ollama at it, csv as rows.csv and yaml as the loaded spec. */
static void rig_open(struct rig *r, const char *yaml, const char *csv)
{
	memset(r, 0, sizeof *r);
	r->db = testdb_open(r->dir, "exp-runner");
	assert_non_null(r->db);
	r->loop = loop_new();
	fake_start(&r->f, r->loop);
	fake_respond(&r->f, 200, "Content-Type: application/x-ndjson\r\n", answer, 0);
	struct err e = ERR_INIT;
	char *cj = xasprintf("{\"providers\": {\"ollama\": {\"base_url\": \"http://127.0.0.1:%d\"}}}", r->f.port);
	assert_int_equal(config_parse(&r->cfg, "test.json", cj, strlen(cj), &e), 0);
	free(cj);
	char *data = xasprintf("%s/rows.csv", r->dir);
	FILE *f = fopen(data, "w");
	assert_non_null(f);
	fputs(csv, f);
	fclose(f);
	free(data);
	char *path = xasprintf("%s/exp.yaml", r->dir);
	assert_int_equal(exp_spec_parse(&r->spec, yaml, strlen(yaml), path, &e), 0);
	free(path);
	r->guard = loop_add_timer(r->loop, 10000, on_guard, r);
}

static struct exp_run *rig_run(struct rig *r, int concurrency)
{
	struct exp_run_opts o = { r->loop, &r->cfg, r->db, &r->cat, concurrency, NULL };
	struct err e = ERR_INIT;
	r->x = exp_run_new(&r->spec, "/x/exp.yaml", &o, &cb, r, &e);
	assert_non_null(r->x);
	r->begin_ms = clock_ms();
	exp_run_start(r->x);
	if (!exp_run_finished(r->x))
		loop_run(r->loop);
	assert_true(r->guard != 0); /* not stopped by the guard */
	assert_true(exp_run_finished(r->x));
	assert_int_equal(r->ndone, 1);
	return r->x;
}

static void rig_close(struct rig *r)
{
	exp_run_free(r->x);
	exp_spec_free(&r->spec);
	config_free(&r->cfg);
	if (r->guard)
		loop_del_timer(r->loop, r->guard);
	fake_stop(&r->f);
	assert_int_equal(loop_transfers(r->loop), 0);
	loop_free(r->loop);
	assert_int_equal(testdb_close(r->dir, r->db), 0);
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

/* Two rows x three models (two on Ollama, limited to one call at once, and
 * one on a provider that does not exist): six cases in order, each stored
 * with its run, the document the same as the one `show` reads back. */
static void test_every_case_stored_in_order(void **state)
{
	(void)state;
	struct rig r;
	rig_open(&r,
		 "name: t\nprompt: \"Say {{name}}\"\nmodels: [ollama/a, ollama/b, nope/x]\ndataset: rows.csv\n"
		 "assert:\n  - contains: \"{{expected}}\"\nconcurrency: 4\nlimits:\n  ollama: {concurrency: 1}\n",
		 "name,expected\nsky,blue\nsea,green\n");
	rig_run(&r, 0);
	assert_int_equal(r.ncases, 6);
	assert_int_equal(r.nstarts, 4);          /* nope/x never makes a call */
	assert_int_equal(r.running_max, 1);      /* the Ollama limit held */
	assert_int_equal(r.f.requests, 4);
	/* in order: one Ollama call at a time, the other provider's cases at once */
	assert_string_equal(r.events, "s0 c2 c5 c0 s1 c1 s3 c3 s4 c4 D");
	struct exp_progress p;
	exp_run_progress(r.x, &p);
	assert_true(p.done == 6 && p.total == 6 && p.running == 0);
	assert_null(exp_run_store_error(r.x));

	struct err e = ERR_INIT;
	assert_int_equal(exp_run_set_status(r.x, "finished", NULL, &e), 0);
	cJSON *doc = exp_run_doc(r.x, "finished", NULL);
	const cJSON *cases = cJSON_GetObjectItem(doc, "cases");
	assert_int_equal(cJSON_GetArraySize(cases), 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(cases, i), "index")->valuedouble, i);
	const cJSON *c0 = cJSON_GetArrayItem(cases, 0), *c3 = cJSON_GetArrayItem(cases, 3);
	assert_string_equal(str(c0, "status"), "pass");
	assert_string_equal(str(c0, "run_status"), "ok");
	assert_int_equal(cJSON_GetObjectItem(c0, "output_tokens")->valuedouble, 4);
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(c0, "run_id")));
	assert_string_equal(str(c3, "status"), "fail"); /* "green" is not in the answer */
	const cJSON *c2 = cJSON_GetArrayItem(cases, 2);
	assert_string_equal(str(c2, "status"), "error");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(c2, "run_status")));
	assert_non_null(strstr(str(c2, "error"), "unknown provider 'nope'"));
	assert_string_equal(str(doc, "file"), "/x/exp.yaml");
	assert_int_equal(cJSON_GetObjectItem(doc, "planned")->valuedouble, 6);
	assert_int_equal(cJSON_GetObjectItem(doc, "concurrency")->valuedouble, 4);

	int missing = 0;
	cJSON *back = expstore_load(r.db, exp_run_id(r.x), &missing, &e);
	assert_non_null(back);
	char *a = cJSON_PrintUnformatted(doc), *b = cJSON_PrintUnformatted(back);
	assert_string_equal(a, b);
	free(a);
	free(b);
	assert_int_equal(testdb_scalar(r.db, "SELECT count(*) FROM runs WHERE kind = 'experiment'"), 4);
	assert_int_equal(testdb_scalar(r.db, "SELECT count(*) FROM runs WHERE json_extract(params, '$.experiment') = 1 "
				      "AND json_extract(params, '$.vars.name') = 'sea'"), 2);
	cJSON_Delete(back);
	cJSON_Delete(doc);
	rig_close(&r);
}

/* 6000 a minute: the starts of one provider 10 ms apart, in order, though
 * the slots would allow all of them at once. */
static void test_rate_spaces_starts(void **state)
{
	(void)state;
	struct rig r;
	rig_open(&r, "name: t\nprompt: \"Say {{name}}\"\nmodels: [ollama/a]\ndataset: rows.csv\n"
		     "limits:\n  ollama: {rpm: 6000}\n",
		 "name\na\nb\nc\nd\n");
	rig_run(&r, 8);
	assert_int_equal(r.nstarts, 4);
	assert_int_equal(r.ncases, 4);
	assert_int_equal(r.f.requests, 4);
	for (size_t i = 0; i < r.nstarts; i++)
		assert_int_equal(r.start_index[i], i);
	/* start i is allowed 10 ms after start i - 1 was allowed, which was not
	 * before the run began: so not before begin + 10 i ms */
	for (size_t i = 1; i < r.nstarts; i++)
		assert_true(r.start_ms[i] >= r.begin_ms + 10 * (int64_t)i);
	rig_close(&r);
}

/* The global concurrency, given to exp_run_new, caps the calls at once. */
static void test_global_concurrency(void **state)
{
	(void)state;
	struct rig r;
	rig_open(&r, "name: t\nprompt: \"Say {{name}}\"\nmodels: [ollama/a, ollama/b]\ndataset: rows.csv\n"
		     "concurrency: 4\n",
		 "name\na\nb\nc\n");
	rig_run(&r, 2);
	assert_int_equal(r.ncases, 6);
	assert_int_equal(r.running_max, 2);
	assert_memory_equal(r.events, "s0 s1 ", 6);
	rig_close(&r);
}

/* Cancelled with calls in flight: those cases are neither reported nor
 * stored; the one that had finished is kept; on_done comes once. */
static void test_cancel(void **state)
{
	(void)state;
	struct rig r;
	rig_open(&r, "name: t\nprompt: \"Say {{name}}\"\nmodels: [nope/x, ollama/a]\ndataset: rows.csv\n",
		 "name\na\nb\nc\n");
	r.f.hold = 1;
	buf_reset(&r.f.responses[0]); /* headers and no end: the calls hang */
	buf_puts(&r.f.responses[0], "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nContent-Length: 100000\r\n\r\n{");
	r.cancel_after = 3;
	rig_run(&r, 8);
	assert_int_equal(r.nstarts, 3);
	assert_string_equal(r.events, "c0 s1 c2 s3 c4 s5 D");
	assert_int_equal(r.ncases, 3);
	assert_int_equal(testdb_scalar(r.db, "SELECT count(*) FROM experiment_cases"), 3);
	assert_int_equal(testdb_scalar(r.db, "SELECT count(*) FROM runs"), 0);
	cJSON *doc = exp_run_doc(r.x, "interrupted", "stopped by a signal (Interrupt)");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "cases")), 3);
	assert_string_equal(str(doc, "reason"), "stopped by a signal (Interrupt)");
	cJSON_Delete(doc);
	rig_close(&r);
}

/* A case that cannot be stored stops the work: nothing more starts, the
 * reason names the case, and on_done still comes after its on_case. */
static void test_store_failure_stops(void **state)
{
	(void)state;
	struct rig r;
	rig_open(&r, "name: t\nprompt: \"Say {{name}}\"\nmodels: [ollama/a]\ndataset: rows.csv\n",
		 "name\na\nb\nc\nd\n");
	assert_int_equal(sqlite3_exec(db_handle(r.db),
				      "CREATE TEMP TRIGGER full BEFORE INSERT ON experiment_cases "
				      "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	rig_run(&r, 2);
	/* the first of the two calls to finish is the case not stored; the other is cancelled */
	int first = !strcmp(r.events, "s0 s1 c0 D") ? 0 : !strcmp(r.events, "s0 s1 c1 D") ? 1 : -1;
	assert_int_not_equal(first, -1);
	assert_int_equal(r.ncases, 1);
	const char *why = exp_run_store_error(r.x);
	assert_non_null(why);
	char *want = xasprintf("case %d could not be stored", first);
	assert_non_null(strstr(why, want));
	free(want);
	assert_non_null(strstr(why, "database or disk is full"));
	assert_int_equal(testdb_scalar(r.db, "SELECT count(*) FROM runs"), 0); /* the run goes with its case */
	rig_close(&r);
}

static void test_create_fails(void **state)
{
	(void)state;
	struct rig r;
	rig_open(&r, "name: t\nprompt: \"hi\"\nmodels: [ollama/a]\n", "x\n");
	assert_int_equal(sqlite3_exec(db_handle(r.db),
				      "CREATE TEMP TRIGGER full BEFORE INSERT ON experiments "
				      "BEGIN SELECT RAISE(ABORT, 'no room'); END;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	struct exp_run_opts o = { r.loop, &r.cfg, r.db, &r.cat, 0, NULL };
	struct err e = ERR_INIT;
	assert_null(exp_run_new(&r.spec, "/x/exp.yaml", &o, &cb, &r, &e));
	assert_non_null(strstr(err_msg(&e), "no room"));
	assert_int_equal(r.nstarts, 0);
	rig_close(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_case_stored_in_order),
		cmocka_unit_test(test_rate_spaces_starts),
		cmocka_unit_test(test_global_concurrency),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_store_failure_stops),
		cmocka_unit_test(test_create_fails),
	};
	return cmocka_run_group_tests(tests, testhttp_group_setup, testhttp_group_teardown);
}
