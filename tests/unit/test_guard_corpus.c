/* The guard against its labelled corpus (tests/data/guard): recall 1.0 on the
 * positive set for every type (checksum-bearing types above all), and not
 * one finding on the negative set (near misses and clean text in many
 * languages). Precision and recall per type are printed as TAP comments. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "guardcorpus.h"

static char *data_path(const char *name)
{
	const char *root = getenv("AIWB_ROOT");
	char *p = malloc(4096);
	snprintf(p, 4096, "%s%stests/data/guard/%s", root ? root : "", root ? "/" : "", name);
	return p;
}

static void score(const char *name, struct corpus_score *sc)
{
	struct err e = ERR_INIT;
	struct guard *g = guard_new(NULL, &e);
	assert_non_null(g);
	char *path = data_path(name);
	memset(sc, 0, sizeof *sc);
	assert_int_equal(corpus_score_file(g, path, sc), 0);
	assert_true(sc->lines >= 200);
	printf("# %s: %zu lines\n", name, sc->lines);
	corpus_print(stdout, "# ", sc);
	free(path);
	guard_free(g);
}

static void test_positive_recall(void **state)
{
	(void)state;
	struct corpus_score sc;
	score("positive.tsv", &sc);
	static const enum guard_type checksum[] = { GUARD_CARD, GUARD_IBAN, GUARD_SSN };
	for (size_t k = 0; k < 3; k++) {
		assert_true(sc.tp[checksum[k]] >= 10);
		assert_int_equal(sc.fn[checksum[k]], 0);
	}
	for (int t = 0; t < GUARD_NTYPES; t++)
		if (sc.fn[t])
			printf("# missed %s: %s\n", guard_type_name((enum guard_type)t), sc.first_bad);
	for (int t = 0; t < GUARD_NTYPES; t++)
		assert_int_equal(sc.fn[t], 0);
	if (sc.bad_lines)
		printf("# first line not exactly as labelled: %s\n", sc.first_bad);
	assert_int_equal(sc.bad_lines, 0);
}

static void test_negative_has_no_finding(void **state)
{
	(void)state;
	struct corpus_score sc;
	score("negative.tsv", &sc);
	if (sc.bad_lines)
		printf("# first false positive: %s\n", sc.first_bad);
	assert_int_equal(sc.bad_lines, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positive_recall),
		cmocka_unit_test(test_negative_has_no_finding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
