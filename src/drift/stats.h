/* stats — the two-sample drift tests, numbers as scipy 1.10 gives them.
 *
 * Numeric samples are passed sorted ascending, without NaN (drift_sort sorts
 * in place). Category data are two count vectors over the same K categories
 * (baseline, current; the union of both sides, zero where a side lacks one).
 * Every function is pure; docs/drift.md gives each formula and its source.
 * A test on no data (an empty side) returns NaN; a constant column is not
 * drift: the 0/0 cases give p = 1 and distance 0. */
#ifndef AIWB_DRIFT_STATS_H
#define AIWB_DRIFT_STATS_H

#include <stddef.h>

enum ks_method { KS_AUTO, KS_EXACT, KS_ASYMP };

struct ks_result {
	double statistic, pvalue;
	int exact;                 /* 1 when the p-value came from the exact distribution */
};

/* Radix sort of doubles (NaN-free), ascending; -0.0 sorts before +0.0 and equals it. */
void drift_sort(double *v, size_t n);

/* scipy.stats.ks_2samp(a, b, method=...), two-sided. 0, or -1 when a side is empty. */
int drift_ks(const double *a, size_t n, const double *b, size_t m, enum ks_method method, struct ks_result *out);
/* scipy.stats.wasserstein_distance(a, b). */
double drift_wasserstein(const double *a, size_t n, const double *b, size_t m);
/* One walk over both ECDFs: what the report needs of a numeric column. */
struct ecdf_summary {
	size_t distinct, ref_distinct;  /* values of the union; of the baseline */
	double linf;                    /* sup |F_a - F_b| (the KS statistic) */
	double wasserstein;             /* as drift_wasserstein */
};
void drift_ecdf_summary(const double *a, size_t n, const double *b, size_t m, struct ecdf_summary *out);
/* numpy.std (ddof 0). */
double drift_std(const double *a, size_t n);

/* PSI over the baseline's decile bins (numeric) or over categories; shares of
 * 0 become eps (DRIFT_PSI_EPS). */
#define DRIFT_PSI_EPS 1e-4
#define DRIFT_PSI_BINS 10
double drift_psi_sorted(const double *a, size_t n, const double *b, size_t m);
double drift_psi_counts(const double *ref, const double *cur, size_t k);

/* scipy.spatial.distance.jensenshannon(ref, cur, base); base <= 0 means e. */
double drift_js(const double *ref, const double *cur, size_t k, double base);
/* numpy.histogram of both samples over numpy.histogram_bin_edges(a ∪ b,
 * bins='sturges'). Fills *ref, *cur (caller frees) and returns the bin count. */
size_t drift_sturges_hist(const double *a, size_t n, const double *b, size_t m, double **ref, double **cur);

/* scipy.stats.chi2_contingency on the 2xK table [ref; cur] (Yates' correction
 * when K = 2, as scipy's default). */
struct chi2_result {
	double statistic, pvalue;
	int dof;
};
void drift_chi2(const double *ref, const double *cur, size_t k, struct chi2_result *out);
/* Two-proportion Z-test: x1 of n1 against x2 of n2; p = erfc(|z|/sqrt 2). */
double drift_ztest(double x1, double n1, double x2, double n2, double *z);

/* Model Monitor's L-infinity distances. */
double drift_linf_counts(const double *ref, const double *cur, size_t k);
double drift_linf_robust(double linf, double n, double m);

#endif
