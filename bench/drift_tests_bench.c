/* Rows per second of each drift test (src/drift/stats.h) from 1e3 to 1e7
 * rows a side, as `aiwb drift report` runs it on a column already read:
 * numeric tests from unsorted values (the radix sort included, as the report
 * sorts each column it loads), category tests from one category index per
 * row (the counting included). Baseline N(0,1); current N(0.1,1.1) for
 * numbers, 10 categories with shifted shares (2 for z). Prints a table:
 * rows a side, then per test the median rate (rows of both sides / s) of
 * DRIFT_BENCH_REPS runs (default 3). DRIFT_BENCH_MAX (default 1e7) caps the
 * sizes; the 1e7 column needs about 320 MB. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/stats.h"
#include "base/clock.h"
#include "base/xmalloc.h"
#include "drift/stats.h"

#define CATS 10

enum { T_KS, T_WASSERSTEIN, T_PSI, T_JS, T_LINF, T_CHISQUARE, T_Z, T_COUNT };
static const char *const names[T_COUNT] = { "ks", "wasserstein", "psi", "jensenshannon", "linf", "chisquare", "z" };

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static double uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(double mu, double sd)
{
	return mu + sd * sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());
}

static int category(int current, int k)
{
	double u = uniform();
	if (current)
		u = u * u; /* shares lean to the first categories */
	int c = (int)(u * k);
	return c < k ? c : k - 1;
}

static volatile double sink;

static void run(int t, const double *a0, const double *b0, const unsigned char *ca, const unsigned char *cb, size_t n,
		double *a, double *b)
{
	if (t == T_CHISQUARE || t == T_Z) {
		int k = t == T_Z ? 2 : CATS;
		double r[CATS] = { 0 }, c[CATS] = { 0 };
		for (size_t i = 0; i < n; i++) {
			r[ca[i] % k]++;
			c[cb[i] % k]++;
		}
		if (t == T_Z) {
			double z;
			sink = drift_ztest(r[0], (double)n, c[0], (double)n, &z);
		} else {
			struct chi2_result x;
			drift_chi2(r, c, (size_t)k, &x);
			sink = x.pvalue;
		}
		return;
	}
	memcpy(a, a0, n * sizeof *a);
	memcpy(b, b0, n * sizeof *b);
	drift_sort(a, n);
	drift_sort(b, n);
	struct ecdf_summary es;
	switch (t) {
	case T_KS: {
		struct ks_result k;
		drift_ks(a, n, b, n, KS_AUTO, &k);
		sink = k.pvalue;
		break;
	}
	case T_WASSERSTEIN:
		drift_ecdf_summary(a, n, b, n, &es);
		sink = es.wasserstein / fmax(drift_std(a, n), 0.001);
		break;
	case T_PSI: sink = drift_psi_sorted(a, n, b, n); break;
	case T_JS: {
		double *hr, *hc;
		size_t k = drift_sturges_hist(a, n, b, n, &hr, &hc);
		sink = drift_js(hr, hc, k, 0);
		free(hr);
		free(hc);
		break;
	}
	case T_LINF:
		drift_ecdf_summary(a, n, b, n, &es);
		sink = es.linf;
		break;
	}
}

int main(void)
{
	const char *mx = getenv("DRIFT_BENCH_MAX"), *rp = getenv("DRIFT_BENCH_REPS");
	size_t max = mx ? (size_t)strtod(mx, NULL) : 10000000;
	int reps = rp ? atoi(rp) : 3;
	if (reps < 1)
		reps = 1;
	size_t sizes[] = { 1000, 10000, 100000, 1000000, 10000000 };
	size_t top = 0;
	for (size_t i = 0; i < 5; i++)
		if (sizes[i] <= max)
			top = sizes[i];
	double *a0 = xcalloc(top, sizeof *a0), *b0 = xcalloc(top, sizeof *b0);
	double *a = xcalloc(top, sizeof *a), *b = xcalloc(top, sizeof *b);
	unsigned char *ca = xcalloc(top, 1), *cb = xcalloc(top, 1);
	for (size_t i = 0; i < top; i++) {
		a0[i] = normal(0, 1);
		b0[i] = normal(0.1, 1.1);
		ca[i] = (unsigned char)category(0, CATS);
		cb[i] = (unsigned char)category(1, CATS);
	}
	printf("\ndrift tests: rows per second (both sides counted; median of %d), sort and counting included\n", reps);
	printf("%-14s", "rows a side");
	for (int t = 0; t < T_COUNT; t++)
		printf(" %13s", names[t]);
	printf("\n");
	for (size_t s = 0; s < 5 && sizes[s] <= top; s++) {
		size_t n = sizes[s];
		printf("%-14zu", n);
		for (int t = 0; t < T_COUNT; t++) {
			double rates[16];
			int r = reps < 16 ? reps : 16;
			for (int k = 0; k < r; k++) {
				/* small sizes repeat until a run takes 50 ms */
				int64_t t0 = clock_us(), loops = 0;
				do {
					run(t, a0, b0, ca, cb, n, a, b);
					loops++;
				} while (clock_us() - t0 < 50000);
				double secs = (double)(clock_us() - t0) / 1e6;
				rates[k] = 2.0 * (double)n * (double)loops / secs;
			}
			stats_sort(rates, (size_t)r);
			printf(" %13.3g", rates[r / 2]);
			fflush(stdout);
		}
		printf("\n");
	}
	printf("ks: exact p-value up to 10,000 values a side (scipy's method='auto'), asymptotic above\n");
	free(a0);
	free(b0);
	free(a);
	free(b);
	free(ca);
	free(cb);
	return 0;
}
