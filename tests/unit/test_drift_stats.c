/* drift/stats and drift/special against scipy 1.10: the cases and expected
 * values are in tests/data/drift/stats_reference.json.gz, made by
 * `scripts/drift_reference.py fixtures` (numpy 1.24, scipy 1.10.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <math.h>
#include <zlib.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "drift/special.h"
#include "drift/stats.h"

static cJSON *fixture;

static int load_fixture(void **state)
{
	(void)state;
	const char *root = getenv("AIWB_ROOT");
	char *path = xasprintf("%s/tests/data/drift/stats_reference.json.gz", root ? root : ".");
	gzFile f = gzopen(path, "rb");
	free(path);
	if (!f)
		return -1;
	struct buf b = BUF_INIT;
	char chunk[65536];
	int got;
	while ((got = gzread(f, chunk, sizeof chunk)) > 0)
		buf_append(&b, chunk, (size_t)got);
	gzclose(f);
	fixture = cJSON_ParseWithLength(buf_str(&b), b.len);
	buf_free(&b);
	return fixture ? 0 : -1;
}

static int free_fixture(void **state)
{
	(void)state;
	cJSON_Delete(fixture);
	return 0;
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static double *array(const cJSON *o, const char *k, size_t *n)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, k);
	*n = (size_t)cJSON_GetArraySize(a);
	double *v = xmalloc((*n ? *n : 1) * sizeof *v);
	size_t i = 0;
	for (const cJSON *it = a->child; it; it = it->next)
		v[i++] = it->valuedouble;
	return v;
}

/* Statistics to 1e-9 (relative above 1), p-values to 1e-6 relative. */
static void near_stat(double got, double want, const char *what, const char *name)
{
	if (isnan(want) && isnan(got))
		return;
	double tol = 1e-9 * (fabs(want) > 1 ? fabs(want) : 1);
	if (!(fabs(got - want) <= tol))
		fail_msg("%s of '%s': got %.17g, scipy %.17g", what, name, got, want);
}

static void near_p(double got, double want, const char *what, const char *name)
{
	if (fabs(want) < 1e-300 && fabs(got) < 1e-300)
		return;
	if (!(fabs(got - want) <= 1e-6 * fabs(want)))
		fail_msg("%s of '%s': got %.17g, scipy %.17g", what, name, got, want);
}

static void test_numeric_cases(void **state)
{
	(void)state;
	const cJSON *cases = cJSON_GetObjectItemCaseSensitive(fixture, "numeric");
	assert_true(cJSON_GetArraySize(cases) >= 15);
	for (const cJSON *c = cases->child; c; c = c->next) {
		const char *name = cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring;
		const char *m = cJSON_GetObjectItemCaseSensitive(c, "method")->valuestring;
		size_t n, k;
		double *a = array(c, "a", &n), *b = array(c, "b", &k);
		drift_sort(a, n);
		drift_sort(b, k);
		struct ks_result r;
		enum ks_method method = !strcmp(m, "exact") ? KS_EXACT : !strcmp(m, "asymp") ? KS_ASYMP : KS_AUTO;
		assert_int_equal(drift_ks(a, n, b, k, method, &r), 0);
		near_stat(r.statistic, num(c, "ks_statistic"), "KS statistic", name);
		near_p(r.pvalue, num(c, "ks_p_value"), "KS p-value", name);
		near_stat(drift_wasserstein(a, n, b, k), num(c, "wasserstein"), "Wasserstein", name);
		near_stat(drift_std(a, n), num(c, "std_a"), "std", name);
		near_stat(drift_psi_sorted(a, n, b, k), num(c, "psi"), "PSI", name);
		double *hr, *hc;
		size_t bins = drift_sturges_hist(a, n, b, k, &hr, &hc);
		near_stat(drift_js(hr, hc, bins, 0), num(c, "js_sturges"), "JS (Sturges)", name);
		near_stat(drift_js(hr, hc, bins, 2), num(c, "js_sturges_base2"), "JS base 2 (Sturges)", name);
		free(hr);
		free(hc);
		free(a);
		free(b);
	}
}

static void test_count_cases(void **state)
{
	(void)state;
	const cJSON *cases = cJSON_GetObjectItemCaseSensitive(fixture, "counts");
	for (const cJSON *c = cases->child; c; c = c->next) {
		const char *name = cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring;
		size_t n, k;
		double *ref = array(c, "ref", &n), *cur = array(c, "cur", &k);
		assert_int_equal(n, k);
		struct chi2_result r;
		drift_chi2(ref, cur, n, &r);
		near_stat(r.statistic, num(c, "chi2_statistic"), "chi-square", name);
		near_p(r.pvalue, num(c, "chi2_p_value"), "chi-square p-value", name);
		assert_int_equal(r.dof, (int)num(c, "chi2_dof"));
		near_stat(drift_js(ref, cur, n, 0), num(c, "js"), "JS", name);
		near_stat(drift_js(ref, cur, n, 2), num(c, "js_base2"), "JS base 2", name);
		near_stat(drift_psi_counts(ref, cur, n), num(c, "psi"), "PSI", name);
		near_stat(drift_linf_counts(ref, cur, n), num(c, "linf"), "L-inf", name);
		double tr = 0, tc = 0;
		for (size_t i = 0; i < n; i++) {
			tr += ref[i];
			tc += cur[i];
		}
		near_p(drift_ztest(ref[0], tr, cur[0], tc, NULL), num(c, "z_p_value"), "Z p-value", name);
		free(ref);
		free(cur);
	}
}

static void test_special_functions(void **state)
{
	(void)state;
	const cJSON *cases = cJSON_GetObjectItemCaseSensitive(fixture, "special");
	int seen = 0;
	for (const cJSON *c = cases->child; c; c = c->next, seen++) {
		const char *f = cJSON_GetObjectItemCaseSensitive(c, "f")->valuestring;
		double x = num(c, "x"), want = num(c, "v"), got;
		char name[96];
		if (!strcmp(f, "chi2")) {
			got = chi2_sf(x, num(c, "k"));
			snprintf(name, sizeof name, "chi2 k=%g x=%g", num(c, "k"), x);
		} else {
			int64_t n = (int64_t)num(c, "n");
			got = !strcmp(f, "smirnov") ? smirnov_sf(n, x) : kolmogorov_sf(n, x);
			snprintf(name, sizeof name, "%s n=%lld x=%g", f, (long long)n, x);
		}
		near_p(got, want, "value", name);
	}
	assert_true(seen > 200);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void test_sort(void **state)
{
	(void)state;
	size_t n = 100000;
	double *v = xmalloc(n * sizeof *v), *w = xmalloc(n * sizeof *w);
	uint64_t s = 88172645463325252ull;
	for (size_t i = 0; i < n; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		v[i] = i % 7 == 0 ? (double)(s % 5) - 2 : ((double)(s >> 11) / 9007199254740992.0 - 0.5) * 1e6;
		if (i % 1000 == 0)
			v[i] = -0.0;
		w[i] = v[i];
	}
	drift_sort(v, n);
	qsort(w, n, sizeof *w, cmp_double);
	for (size_t i = 0; i < n; i++)
		assert_true(v[i] == w[i]);
	drift_sort(v, 0);
	free(v);
	free(w);
}

static void test_edges(void **state)
{
	(void)state;
	double a[] = { 1, 2, 3 };
	struct ks_result r;
	assert_int_equal(drift_ks(a, 3, a, 0, KS_AUTO, &r), -1);
	assert_true(isnan(r.pvalue));
	assert_true(isnan(drift_wasserstein(a, 0, a, 3)));
	/* a constant column is no drift */
	double c[] = { 4, 4, 4 };
	assert_int_equal(drift_ks(c, 3, c, 3, KS_AUTO, &r), 0);
	assert_true(r.statistic == 0 && r.pvalue == 1);
	assert_true(drift_wasserstein(c, 3, c, 3) == 0);
	double one[] = { 9 };
	struct chi2_result x;
	drift_chi2(one, one, 1, &x);
	assert_true(x.statistic == 0 && x.pvalue == 1);
	assert_true(drift_ztest(5, 5, 7, 7, NULL) == 1);
	assert_true(drift_ztest(0, 5, 0, 7, NULL) == 1);
	/* L-inf robust: max(0, L - 1.8 sqrt((n+m)/nm)) */
	assert_true(fabs(drift_linf_robust(0.5, 100, 100) - (0.5 - 1.8 * sqrt(0.02))) < 1e-15);
	assert_true(drift_linf_robust(0.1, 10, 10) == 0);
	assert_true(fabs(normal_sf(1.959963984540054) - 0.025) < 1e-15);
	assert_true(gamma_q(1, 2) > 0 && fabs(gamma_q(1, 2) - exp(-2)) < 1e-15);
	assert_true(ks2_exact_sf(5, 7, 0) == 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numeric_cases),
		cmocka_unit_test(test_count_cases),
		cmocka_unit_test(test_special_functions),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_edges),
	};
	return cmocka_run_group_tests(tests, load_fixture, free_fixture);
}
