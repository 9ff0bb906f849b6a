/* kb/evalrun: a set run against a real KB: passes, missing and unwanted
 * documents, a bad mode as a failed case, averages and minimums, a vector
 * callback that stops the run; and the report as JSON (kb/json). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kb/evalrun.h"
#include "kb/json.h"
#include "kb/store.h"
#include "testdb.h"

struct fixture {
	char dir[64];
	struct db *db;
	struct kb kb;
};

static void put_doc(struct fixture *f, const char *path, const char *text)
{
	struct kb_doc d = { (char *)(uintptr_t)path, (char *)(uintptr_t)path, (char *)(uintptr_t)text, strlen(text),
			    NULL };
	struct kb_chunk c = { 0, strlen(text), (char *)(uintptr_t)"", 1 };
	struct kb_doc_in in = { &d, path, "text", 0, &c, 1 };
	struct err e = ERR_INIT;
	char *abs = xasprintf("/abs/%s", path);
	assert_true(kb_store_file_put(f->db, &f->kb, abs, 10, 1, "00", "sig", &in, 1, &e) == 1);
	free(abs);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	if (!(f->db = testdb_open(f->dir, "kbevalrun")))
		return -1;
	struct kb_settings s;
	kb_settings_default(&s);
	struct err e = ERR_INIT;
	if (kb_store_create(f->db, "t", &s, &e) < 0 || kb_store_get(f->db, "t", &f->kb, &e) != 1)
		return -1;
	put_doc(f, "apples.txt", "apples apples apples and pears");
	put_doc(f, "pears.txt", "pears pears pears");
	put_doc(f, "plums.txt", "plums and a single apples");
	kb_free(&f->kb);
	kb_store_get(f->db, "t", &f->kb, &e);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	kb_free(&f->kb);
	int rc = testdb_close(f->dir, f->db);
	free(f);
	return rc;
}

static struct kb_eval_case mk(const char *name, const char *query, const char *expect, const char *expect_not,
			      const char *mode)
{
	struct kb_eval_case c;
	memset(&c, 0, sizeof c);
	c.name = (char *)(uintptr_t)name;
	c.query = (char *)(uintptr_t)query;
	c.mode = (char *)(uintptr_t)mode;
	c.must_all = 1;
	if (expect) {
		c.expect = xcalloc(1, sizeof *c.expect);
		c.expect[0].doc = (char *)(uintptr_t)expect;
		c.expect[0].grade = 1;
		c.nexpect = 1;
	}
	if (expect_not) {
		c.expect_not = xcalloc(1, sizeof *c.expect_not);
		c.expect_not[0] = (char *)(uintptr_t)expect_not;
		c.nexpect_not = 1;
	}
	return c;
}

static void free_cases(struct kb_eval_case *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].expect);
		free(v[i].expect_not);
	}
}

static void test_run_scores_and_judges(void **state)
{
	struct fixture *f = *state;
	struct kb_eval_case cases[] = {
		mk("first", "apples", "apples.txt", NULL, NULL),
		mk("missing", "pears", "nothing.txt", NULL, NULL),
		mk("unwanted", "apples", NULL, "plums.txt", NULL),
		mk("badmode", "apples", "apples.txt", NULL, "fuzzy"),
	};
	struct kb_eval_set set = { cases, 4, 1, NULL, 0.9, -1, -1 };
	struct kb_eval_opts o = { .k = 0 };
	struct kb_eval_report r;
	assert_int_equal(kb_eval_run(f->db, &f->kb, &set, &o, &r), 0);
	assert_int_equal(r.n, 4);
	assert_true(r.cases[0].passed && r.cases[0].sc.hit);
	assert_int_equal(r.cases[0].sc.first_rank, 1);
	assert_int_equal(r.cases[0].ntop, 1);
	assert_string_equal(r.cases[0].top[0], "apples.txt");
	assert_false(r.cases[1].passed);
	assert_int_equal(r.cases[1].nmissing, 1);
	assert_string_equal(r.cases[1].missing[0], "nothing.txt");
	/* k = 1: plums.txt ranks below apples.txt, so it is not within k */
	assert_true(r.cases[2].passed);
	assert_non_null(r.cases[3].error);
	assert_string_equal(r.cases[3].error, "mode must be bm25, vector or hybrid, not fuzzy");
	assert_int_equal(r.failed, 2);
	assert_true(r.hit_rate == 0.25); /* only "first" has a relevant document */
	assert_int_equal(r.nbelow, 1);
	assert_string_equal(r.below[0].measure, "hit_rate");

	cJSON *j = kb_json_eval(&f->kb, &r);
	char *s = cJSON_PrintUnformatted(j);
	assert_non_null(strstr(s, "\"overall\":{\"cases\":4,\"failed\":2,\"hit_rate\":0.25"));
	assert_non_null(strstr(s, "\"below_minimum\":[{\"measure\":\"hit_rate\",\"min\":0.9,\"got\":0.25}]"));
	assert_non_null(strstr(s, "{\"name\":\"badmode\",\"query\":\"apples\",\"k\":1,\"passed\":false,"
				  "\"error\":\"mode must be bm25, vector or hybrid, not fuzzy\"}"));
	assert_non_null(strstr(s, "\"missing\":[\"nothing.txt\"],\"unwanted\":[],\"top\":[\"pears.txt\"]"));
	free(s);
	cJSON_Delete(j);
	kb_eval_report_free(&r);

	/* k override 3: plums.txt is now within k and unwanted */
	o.k = 3;
	assert_int_equal(kb_eval_run(f->db, &f->kb, &set, &o, &r), 0);
	assert_false(r.cases[2].passed);
	assert_int_equal(r.cases[2].nunwanted, 1);
	kb_eval_report_free(&r);
	free_cases(cases, 4);
}

static int vector_calls;
static float *no_vector(void *ud, const char *query, size_t *dim)
{
	(void)ud;
	(void)query;
	(void)dim;
	vector_calls++;
	return NULL;
}

static void test_vector_failure_stops(void **state)
{
	struct fixture *f = *state;
	struct kb_eval_case cases[] = { mk("a", "apples", "apples.txt", NULL, NULL), mk("b", "pears", NULL, NULL, NULL) };
	struct kb_eval_set set = { cases, 2, 10, NULL, -1, -1, -1 };
	struct kb_eval_opts o = { .mode = "vector", .vector = no_vector };
	struct kb_eval_report r;
	assert_int_equal(kb_eval_run(f->db, &f->kb, &set, &o, &r), -1);
	assert_int_equal(vector_calls, 1);
	assert_int_equal(r.n, 0);
	kb_eval_report_free(&r);
	free_cases(cases, 2);
}

/* A remote search: records what it was asked, answers two hits, fails
 * cases on "bad" and stops the run on "stop". */
struct remote_seen {
	int calls, k[4];
	enum kb_mode mode[4];
};

static int fake_remote(void *ud, const struct kb_search_opts *so, struct kb_results *r, struct err *e)
{
	struct remote_seen *seen = ud;
	if (seen->calls < 4) {
		seen->k[seen->calls] = so->k;
		seen->mode[seen->calls] = so->mode;
	}
	seen->calls++;
	if (!strcmp(so->query, "bad"))
		return err_set(e, "Bedrock cannot express that");
	if (!strcmp(so->query, "stop"))
		return -2;
	memset(r, 0, sizeof *r);
	r->v = calloc(2, sizeof *r->v);
	r->n = 2;
	r->v[0].doc_name = strdup("s3://b/docs/pears.txt");
	r->v[1].doc_name = strdup("s3://b/docs/apples.txt");
	r->v[0].remote = r->v[1].remote = 1;
	return 0;
}

static void test_remote_search_callback(void **state)
{
	struct fixture *f = *state;
	struct kb_eval_case cases[] = {
		mk("a", "apples", "apples.txt", NULL, NULL),
		mk("b", "bad", "apples.txt", NULL, "hybrid"),
		mk("c", "stop", NULL, NULL, NULL),
	};
	cases[0].k = 30;
	struct kb_eval_set set = { cases, 3, 10, NULL, -1, -1, -1 };
	struct remote_seen seen = { 0 };
	vector_calls = 0;
	struct kb_eval_opts o = { .vector = no_vector, .search = fake_remote, .ud = &seen, .k_max = 100,
				  .fallback_mode = KB_MODE_VECTOR };
	struct kb_eval_report r;
	assert_int_equal(kb_eval_run(f->db, &f->kb, &set, &o, &r), -1);
	assert_int_equal(vector_calls, 0); /* the service embeds the query */
	assert_int_equal(seen.calls, 3);
	assert_int_equal(seen.k[0], 100); /* 4k = 120, capped at k_max */
	assert_int_equal(seen.mode[0], KB_MODE_VECTOR);
	assert_int_equal(seen.mode[1], KB_MODE_HYBRID);
	assert_int_equal(r.n, 2); /* the stopping case is not counted */
	assert_true(r.cases[0].passed && r.cases[0].sc.hit);
	assert_int_equal(r.cases[0].sc.first_rank, 2);
	assert_string_equal(r.cases[1].error, "Bedrock cannot express that");
	kb_eval_report_free(&r);
	free_cases(cases, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_run_scores_and_judges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vector_failure_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remote_search_callback, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
