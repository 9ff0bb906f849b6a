/* stats — the small statistics shared by reports and benchmarks: the mean,
 * quantiles by nearest rank (latency p95 of experiment reports, benchmark
 * medians) and numpy's linear quantile (drift's decile bins).
 * Pure functions over doubles without NaN. */
#ifndef AIWB_BASE_STATS_H
#define AIWB_BASE_STATS_H

#include <stddef.h>

/* The mean of v[0..n) by a plain running sum; 0 when n is 0. */
double stats_mean(const double *v, size_t n);

/* Sorts v ascending in place. */
void stats_sort(double *v, size_t n);

/* The q-quantile (0 < q <= 1) by nearest rank: the value of rank ceil(q n)
 * of v, which it sorts; 0 when n is 0. p95 is q = 0.95. */
double stats_nearest_rank(double *v, size_t n, double q);

/* numpy.quantile(sorted, q) with the default linear method; NaN when n is 0. */
double stats_linear_quantile(const double *sorted, size_t n, double q);

#endif
