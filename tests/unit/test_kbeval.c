#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/path.h"
#include "base/xmalloc.h"
#include "kb/eval.h"

static void test_matches(void **state)
{
	(void)state;
	assert_true(kb_eval_doc_matches("docs/a.md", "docs/a.md"));
	assert_true(kb_eval_doc_matches("docs/a.md", "a.md"));
	assert_true(kb_eval_doc_matches("corpus.jsonl#123", "123"));
	assert_false(kb_eval_doc_matches("corpus.jsonl#1123", "123"));
	assert_false(kb_eval_doc_matches("docs/ba.md", "a.md"));
}

static void test_measures(void **state)
{
	(void)state;
	struct kb_eval_doc rel[] = { { (char *)(uintptr_t)"x", 1 }, { (char *)(uintptr_t)"y", 2 } };
	struct kb_eval_case c = { 0 };
	c.expect = rel;
	c.nexpect = 2;
	const char *ranked[] = { "c#a", "c#x", "c#b", "c#y" };
	struct kb_eval_scores s;
	kb_eval_score(&c, ranked, 4, 10, &s);
	assert_int_equal(s.hit, 1);
	assert_int_equal(s.first_rank, 2);
	assert_true(fabs(s.rr - 0.5) < 1e-12);
	double dcg = 1 / log2(3) + 2 / log2(5), idcg = 2 / log2(2) + 1 / log2(3);
	assert_true(fabs(s.ndcg - dcg / idcg) < 1e-12);
	assert_true(fabs(s.recall - 1.0) < 1e-12);
	assert_true(fabs(s.ap - (0.5 + 0.5) / 2) < 1e-12);
	/* cut at k = 1: nothing relevant */
	kb_eval_score(&c, ranked, 4, 1, &s);
	assert_int_equal(s.hit, 0);
	assert_true(s.ndcg == 0 && s.rr == 0 && s.recall == 0);
	/* a perfect ranking */
	const char *perfect[] = { "y", "x" };
	kb_eval_score(&c, perfect, 2, 10, &s);
	assert_true(fabs(s.ndcg - 1) < 1e-12);
	assert_true(fabs(s.ap - 1) < 1e-12);
}

static char *temp_file(const char *text)
{
	char *p = xstrdup("/tmp/aiwb-kbeval-XXXXXX");
	int fd = mkstemp(p);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return p;
}

static void test_yaml(void **state)
{
	(void)state;
	char *p = temp_file("k: 5\nmin_ndcg: 0.5\ncases:\n"
			    "  - query: day pass price\n    expect: [pricing-policy.md]\n    expect_not: runbook.md\n"
			    "  - name: graded\n    query: x\n    filter: year>=2024\n    mode: bm25\n    k: 3\n"
			    "    expect:\n      - {doc: a, grade: 2}\n      - b\n");
	struct kb_eval_set s;
	struct err e = ERR_INIT;
	assert_int_equal(kb_eval_load_yaml(p, &s, &e), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.k, 5);
	assert_true(fabs(s.min_ndcg - 0.5) < 1e-12);
	assert_string_equal(s.cases[0].name, "day pass price");
	assert_int_equal(s.cases[0].nexpect_not, 1);
	assert_string_equal(s.cases[1].filter, "year>=2024");
	assert_int_equal(s.cases[1].k, 3);
	assert_int_equal(s.cases[1].expect[0].grade, 2);
	assert_int_equal(s.cases[1].expect[1].grade, 1);
	kb_eval_set_free(&s);
	unlink(p);
	free(p);
	p = temp_file("- query: q\n  expekt: [a]\n");
	assert_int_equal(kb_eval_load_yaml(p, &s, &e), -1);
	assert_non_null(strstr(e.msg, ":2:"));
	assert_non_null(strstr(e.msg, "expekt"));
	unlink(p);
	free(p);
}

static void test_beir(void **state)
{
	(void)state;
	char *q = temp_file("{\"_id\": \"1\", \"text\": \"first claim\"}\n{\"_id\": \"2\", \"text\": \"unjudged\"}\n"
			    "{\"_id\": \"3\", \"text\": \"third\"}\n");
	char *r = temp_file("query-id\tcorpus-id\tscore\n1\t100\t1\n3\t300\t1\n3\t301\t2\n");
	struct kb_eval_set s;
	struct err e = ERR_INIT;
	assert_int_equal(kb_eval_load_beir(r, q, &s, &e), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.cases[0].query, "first claim");
	assert_int_equal(s.cases[1].nexpect, 2);
	assert_int_equal(s.cases[1].expect[1].grade, 2);
	assert_false(s.cases[0].must_all);
	kb_eval_set_free(&s);
	unlink(r);
	free(r);
	r = temp_file("query-id\tcorpus-id\tscore\n9\t100\t1\n");
	assert_int_equal(kb_eval_load_beir(r, q, &s, &e), -1);
	assert_non_null(strstr(e.msg, "query 9"));
	unlink(r);
	unlink(q);
	free(r);
	free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_measures),
		cmocka_unit_test(test_yaml),
		cmocka_unit_test(test_beir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
