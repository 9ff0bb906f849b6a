#include "drift/special.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

#define SCALE_EXP 128
#define LOG_2PI 1.8378770664093454836
#define SQRT_2PI 2.5066282746310005024
#define PI2 (M_PI * M_PI)

static double clip01(double p)
{
	if (isnan(p))
		return p;
	return p < 0 ? 0 : p > 1 ? 1 : p;
}

/* Birnbaum & Tingey (1951): P(D+_n >= x) =
 *   x * sum_{j=0}^{floor(n(1-x))} C(n,j) (1 - x - j/n)^(n-j) (x + j/n)^(j-1).
 * Every term is positive, so the sum keeps its relative precision; terms are
 * formed in logarithms with C(n,j) carried from term to term. Beyond 10^6 the
 * exact sum is replaced, as scipy's cephes does, by exp(-(6nx+1)^2 / 18n). */
double smirnov_sf(int64_t n, double x)
{
	if (isnan(x) || n < 1)
		return NAN;
	if (x <= 0)
		return 1;
	if (x >= 1)
		return 0;
	double dn = (double)n, nx = dn * x;
	if (n > 1000000) {
		double lp = -pow(6.0 * nx + 1, 2) / 18.0 / dn;
		return lp < -M_LN2 ? exp(lp) : 1 - (-expm1(lp));
	}
	int64_t last = (int64_t)floor(dn - nx);
	if (last > n - 1)
		last = n - 1;
	double logc = 0, sum = 0, log_n = log(dn);
	for (int64_t j = 0; j <= last; j++) {
		double dj = (double)j;
		double a = (dn - dj) - nx, b = nx + dj;
		if (a > 0) {
			double t = logc + (dn - dj) * (log(a) - log_n) + (dj - 1) * (log(b) - log_n);
			sum += exp(t);
		}
		logc += log((dn - dj) / (dj + 1));
	}
	return clip01(x * sum);
}

/* log(n! / n^n) by Stirling's series. */
static double log_nfact_over_npow(double n)
{
	static const double c[] = { -2.955065359477124183e-2, 6.4102564102564102564e-3,
				    -1.9175269175269175269e-3, 8.4175084175084175084e-4,
				    -5.952380952380952381e-4, 7.9365079365079365079e-4,
				    -2.7777777777777777778e-3, 8.3333333333333333333e-2 };
	double rn = 1.0 / n, x = rn / n, poly = 0;
	for (size_t i = 0; i < sizeof c / sizeof *c; i++)
		poly = poly * x + c[i];
	return log(n) / 2 - n + LOG_2PI / 2 + rn * poly;
}

static void matmul(const double *a, const double *b, double *out, int m)
{
	for (int i = 0; i < m; i++)
		for (int j = 0; j < m; j++) {
			double s = 0;
			for (int k = 0; k < m; k++)
				s += a[i * m + k] * b[k * m + j];
			out[i * m + j] = s;
		}
}

/* Durbin's matrix (1968) as Marsaglia, Tsang & Wang (2003) evaluate it:
 * P(D_n < d) = n!/n^n * (H^n)_{kk}, k = ceil(nd), with H the (2k-1)^2 matrix
 * of 1/(i-j+1)! and its corrected first column and last row; powers by
 * squaring with the exponent kept apart (2^128 steps). */
static double kolmogorov_cdf_durbin(int64_t n, double d)
{
	if (d >= 1)
		return 1;
	double nd = (double)n * d;
	if (nd <= 0.5)
		return 0;
	int k = (int)ceil(nd), m = 2 * k - 1;
	double h = k - nd;
	size_t sz = (size_t)m * (size_t)m;
	double *H = xcalloc(sz, sizeof *H), *P = xcalloc(sz, sizeof *P), *T = xmalloc(sz * sizeof *T);
	double *v = xmalloc((size_t)m * sizeof *v), *w = xmalloc((size_t)m * sizeof *w);
	double fac = 1;
	for (int j = 1; j <= m; j++) {
		w[j - 1] = fac;
		fac /= j;
		v[j - 1] = (1.0 - pow(h, j)) * fac;
	}
	double tt = pow(fmax(2 * h - 1.0, 0), m) - 2 * pow(h, m);
	v[m - 1] = (1.0 + tt) * fac;
	for (int i = 1; i < m; i++)
		for (int r = i - 1; r < m; r++)
			H[r * m + i] = w[r - i + 1];
	for (int r = 0; r < m; r++)
		H[r * m] = v[r];
	for (int j = 0; j < m; j++)
		H[(m - 1) * m + j] = v[m - 1 - j];
	for (int i = 0; i < m; i++)
		P[i * m + i] = 1;
	const double big = ldexp(1, SCALE_EXP), small = ldexp(1, -SCALE_EXP);
	int64_t nn = n;
	long expnt = 0, hexpnt = 0;
	while (nn > 0) {
		if (nn % 2) {
			matmul(P, H, T, m);
			memcpy(P, T, sz * sizeof *T);
			expnt += hexpnt;
		}
		matmul(H, H, T, m);
		memcpy(H, T, sz * sizeof *T);
		hexpnt *= 2;
		if (fabs(H[(k - 1) * m + (k - 1)]) > big) {
			for (size_t i = 0; i < sz; i++)
				H[i] /= big;
			hexpnt += SCALE_EXP;
		}
		nn /= 2;
	}
	double p = P[(k - 1) * m + (k - 1)];
	for (int64_t i = 1; i <= n; i++) {
		p = (double)i * p / (double)n;
		if (fabs(p) < small) {
			p *= big;
			expnt -= SCALE_EXP;
		}
	}
	free(H);
	free(P);
	free(T);
	free(v);
	free(w);
	if (expnt != 0)
		p = ldexp(p, (int)expnt);
	return clip01(p);
}

/* Pelz & Good (1976): P(D_n <= x) ~ K0(z) + K1(z)/sqrt n + K2(z)/n + K3(z)/n^1.5,
 * z = x sqrt n, each K written with theta-function series for small z. */
static double kolmogorov_cdf_pelz_good(int64_t n, double x)
{
	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	double z = sqrt((double)n) * x;
	double z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2;
	double qlog = -PI2 / 8 / z2;
	if (qlog < -708)
		return 0;
	double q = exp(qlog);
	double k1a = -z2, k1b = PI2 / 4;
	double k2a = 6 * z6 + 2 * z4, k2b = (2 * z4 - 5 * z2) * PI2 / 4, k2c = PI2 * PI2 * (1 - 2 * z2) / 16;
	double k3d = PI2 * PI2 * PI2 * (5 - 30 * z2) / 64;
	double k3c = PI2 * PI2 * (-60 * z2 + 212 * z4) / 16;
	double k3b = PI2 * (135 * z4 - 96 * z6) / 4;
	double k3a = -30 * z6 - 90 * pow(z, 8);
	double K[4] = { 0, 0, 0, 0 };
	int maxk = (int)ceil(16 * z / M_PI);
	for (int k = maxk; k > 0; k--) {
		double m = 2 * k - 1, m2 = m * m, m4 = m2 * m2, m6 = m4 * m2;
		double qp = pow(q, 8 * k);
		double c[4] = { 1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6 };
		for (int i = 0; i < 4; i++)
			K[i] = K[i] * qp + c[i];
	}
	double div[4] = { z, 6 * z4, 72 * pow(z, 7), 6480 * pow(z, 10) };
	for (int i = 0; i < 4; i++)
		K[i] = K[i] * q * SQRT_2PI / div[i];
	q = exp(-PI2 / 2 / z2);
	double extra2 = 0, extra3 = 0, s3z = sqrt(3.0) * z;
	for (int k = maxk; k > 0; k--) {
		double k2 = (double)k * k, qp = pow(q, k2), kpi = M_PI * k;
		extra2 += k2 * qp;
		extra3 += (s3z + kpi) * (s3z - kpi) * k2 * qp;
	}
	K[2] += extra2 * PI2 * SQRT_2PI / (-36 * z3);
	K[3] += extra3 * PI2 * SQRT_2PI / (216 * z6);
	double sum = 0;
	for (int i = 0; i < 4; i++)
		sum += K[i] / pow((double)n, i / 2.0);
	return sum;
}

/* The branch choice of Simard & L'Ecuyer (2011), as scipy.stats.kstwo.sf makes
 * it (scipy/stats/_ksstats.py); where that code uses Pomeranz's recursion
 * (n <= 140, 0.754693 < nx^2 <= 4) Durbin's matrix gives the same exact CDF. */
double kolmogorov_sf(int64_t n, double x)
{
	if (isnan(x) || n < 1)
		return NAN;
	if (x >= 1)
		return 0;
	if (x <= 0)
		return 1;
	double dn = (double)n, t = dn * x;
	if (t <= 1.0) {
		if (t <= 0.5)
			return 1;
		double prob;
		if (n <= 140) {
			prob = 1;
			for (int64_t i = 1; i <= n; i++)
				prob *= (double)i * (1.0 / dn) * (2 * t - 1);
		} else {
			prob = exp(log_nfact_over_npow(dn) + dn * log(2 * t - 1));
		}
		return clip01(1.0 - prob);
	}
	if (t >= dn - 1)
		return clip01(2 * pow(1.0 - x, dn));
	if (x >= 0.5)
		return clip01(2 * smirnov_sf(n, x));
	double nx2 = t * x;
	if (n <= 140) {
		if (nx2 <= 4)
			return clip01(1.0 - kolmogorov_cdf_durbin(n, x));
		return clip01(2 * smirnov_sf(n, x));
	}
	if (nx2 >= 370.0)
		return 0;
	if (nx2 >= 2.2)
		return clip01(2 * smirnov_sf(n, x));
	double cdf;
	if (nx2 >= 18.0)
		cdf = 1.0;
	else if (n <= 100000 && dn * pow(x, 1.5) <= 1.4)
		cdf = kolmogorov_cdf_durbin(n, x);
	else
		cdf = kolmogorov_cdf_pelz_good(n, x);
	return clip01(1.0 - cdf);
}

/* n == m: Hodges' reflection sum
 *   P(D >= h/n) = 2 sum_{k>=1} (-1)^(k+1) C(2n, n-kh) / C(2n, n),
 * each ratio a product of h factors, nested Horner-like to avoid cancellation. */
static double ks2_square_sf(int64_t n, int64_t h)
{
	double P = 0;
	for (int64_t k = n / h; k >= 0; k--) {
		double p1 = 1.0;
		for (int64_t j = 0; j < h; j++)
			p1 = (double)(n - k * h - j) * p1 / (double)(n + k * h + j + 1);
		P = p1 * (1.0 - P);
	}
	return 2 * P;
}

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* m != n: the share of lattice paths (0,0)->(m,n) that touch a point with
 * |i/m - j/n| >= h/lcm. q(i,j), the chance a random path to (i,j) has touched
 * one, is 1 outside the band and (i q(i-1,j) + j q(i,j-1)) / (i+j) inside;
 * one column of the band is kept at a time. */
double ks2_exact_sf(int64_t m, int64_t n, int64_t h)
{
	if (m < 1 || n < 1 || h < 1)
		return h < 1 ? 1.0 : NAN;
	if (m == n)
		return ks2_square_sf(n, h);
	if (m < n) {
		int64_t t = m;
		m = n;
		n = t;
	}
	int64_t a = m, b = n;
	while (b) {
		int64_t t = a % b;
		a = b;
		b = t;
	}
	int64_t g = a, mg = m / g, ng = n / g;
	int64_t lo = 0, hi = (h + mg - 1) / mg;
	if (hi > n + 1)
		hi = n + 1;
	int64_t cap = n + 2;
	double *prev = xmalloc((size_t)cap * sizeof *prev), *cur = xmalloc((size_t)cap * sizeof *cur);
	for (int64_t j = lo; j < hi; j++)
		prev[j - lo] = 0;
	int64_t plo = lo, phi = hi;
	for (int64_t i = 1; i <= m; i++) {
		lo = floordiv(ng * i - h, mg) + 1;
		if (lo < 0)
			lo = 0;
		if (lo > n)
			lo = n;
		hi = -floordiv(-(ng * i + h), mg);
		if (hi > n + 1)
			hi = n + 1;
		if (hi <= lo) {
			free(prev);
			free(cur);
			return 1.0;
		}
		double below = lo == 0 ? 0.0 : 1.0;
		double di = (double)i;
		for (int64_t j = lo; j < hi; j++) {
			double left = (j >= plo && j < phi) ? prev[j - plo] : 1.0;
			double dj = (double)j;
			below = (left * di + below * dj) / (di + dj);
			cur[j - lo] = below;
		}
		double *t = prev;
		prev = cur;
		cur = t;
		plo = lo;
		phi = hi;
	}
	double r = (n >= plo && n < phi) ? prev[n - plo] : 1.0;
	free(prev);
	free(cur);
	return r;
}

/* Q(a,x) = Gamma(a,x)/Gamma(a): the series for P = 1 - Q when x < a + 1,
 * Legendre's continued fraction (modified Lentz) otherwise
 * (Numerical Recipes 3rd ed. §6.2; Abramowitz & Stegun 6.5.29, 6.5.31). */
double gamma_q(double a, double x)
{
	if (isnan(a) || isnan(x) || a <= 0 || x < 0)
		return NAN;
	if (x == 0)
		return 1;
	if (isinf(x))
		return 0;
	double lpre = -x + a * log(x) - lgamma(a);
	if (x < a + 1) {
		double ap = a, del = 1.0 / a, sum = del;
		for (int i = 0; i < 1000000; i++) {
			ap += 1;
			del *= x / ap;
			sum += del;
			if (fabs(del) < fabs(sum) * DBL_EPSILON)
				break;
		}
		return clip01(1.0 - sum * exp(lpre));
	}
	const double tiny = DBL_MIN / DBL_EPSILON;
	double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
	for (int i = 1; i < 1000000; i++) {
		double an = -i * (i - a);
		b += 2;
		d = an * d + b;
		if (fabs(d) < tiny)
			d = tiny;
		c = b + an / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1 / d;
		double del = d * c;
		h *= del;
		if (fabs(del - 1) < DBL_EPSILON)
			break;
	}
	return clip01(exp(lpre) * h);
}

double chi2_sf(double x, double k)
{
	if (isnan(x) || !(k > 0))
		return NAN;
	if (x <= 0)
		return 1;
	return gamma_q(k / 2, x / 2);
}

double normal_sf(double z)
{
	return 0.5 * erfc(z / M_SQRT2);
}
