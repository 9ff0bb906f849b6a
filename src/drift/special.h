/* special — the distribution functions behind the drift p-values.
 *
 * Each function follows a published formula (docs/drift.md names them) and
 * is checked against scipy 1.10 in tests/unit/test_drift_stats.c. They are
 * pure: no allocation survives a call, no global state, any thread.
 *
 *   smirnov_sf(n, x)       P(D+_n >= x), one-sided one-sample KS (Birnbaum &
 *                          Tingey 1951), as scipy.special.smirnov.
 *   kolmogorov_sf(n, x)    P(D_n >= x), two-sided one-sample KS, with the
 *                          algorithm choice of Simard & L'Ecuyer (2011) as
 *                          scipy.stats.kstwo.sf.
 *   ks2_exact_sf(...)      P(D_{m,n} >= h/lcm(m,n)) for the two-sample
 *                          statistic, by lattice paths (Hodges 1958).
 *   gamma_q(a, x)          regularized upper incomplete gamma Q(a, x).
 *   chi2_sf(x, k)          P(X >= x), X ~ chi-square with k degrees = Q(k/2, x/2).
 *   normal_sf(z)           P(Z >= z) = erfc(z / sqrt 2) / 2. */
#ifndef AIWB_DRIFT_SPECIAL_H
#define AIWB_DRIFT_SPECIAL_H

#include <stdint.h>

double smirnov_sf(int64_t n, double x);
double kolmogorov_sf(int64_t n, double x);
/* m, n >= 1, h >= 1 (in units of 1/lcm(m, n)). NaN when the computation
 * leaves the range of doubles (the caller falls back to the asymptotic form). */
double ks2_exact_sf(int64_t m, int64_t n, int64_t h);
double gamma_q(double a, double x);
double chi2_sf(double x, double k);
double normal_sf(double z);

#endif
