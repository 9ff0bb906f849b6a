#include "drift/stats.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/stats.h"
#include "base/xmalloc.h"
#include "drift/special.h"

#define KS_MAX_AUTO_N 10000

/* Neumaier's compensated sum, so long sums keep the precision numpy's
 * pairwise summation has. */
struct ksum {
	double s, c;
};

static void ksum_add(struct ksum *k, double x)
{
	double t = k->s + x;
	if (fabs(k->s) >= fabs(x))
		k->c += (k->s - t) + x;
	else
		k->c += (x - t) + k->s;
	k->s = t;
}

static double ksum_get(const struct ksum *k)
{
	return k->s + k->c;
}

static uint64_t key_of(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof u);
	return (u >> 63) ? ~u : u | ((uint64_t)1 << 63);
}

static double double_of(uint64_t k)
{
	uint64_t u = (k >> 63) ? k & ~((uint64_t)1 << 63) : ~k;
	double d;
	memcpy(&d, &u, sizeof d);
	return d;
}

/* LSD radix sort on the order-preserving integer image: 11-bit digits (a
 * histogram fits in L1), all six histograms counted in one pass, and a digit
 * every value shares is skipped. */
#define RADIX_BITS 11
#define RADIX_SIZE (1 << RADIX_BITS)
#define RADIX_PASSES 6

void drift_sort(double *v, size_t n)
{
	if (n < 2)
		return;
	if (n < 64) {
		for (size_t i = 1; i < n; i++) {
			double x = v[i];
			uint64_t kx = key_of(x);
			size_t j = i;
			while (j > 0 && key_of(v[j - 1]) > kx) {
				v[j] = v[j - 1];
				j--;
			}
			v[j] = x;
		}
		return;
	}
	uint64_t *a = xmalloc(n * sizeof *a), *b = xmalloc(n * sizeof *b);
	size_t *count = xcalloc((size_t)RADIX_PASSES * RADIX_SIZE, sizeof *count);
	for (size_t i = 0; i < n; i++) {
		uint64_t k = key_of(v[i]);
		a[i] = k;
		for (int p = 0; p < RADIX_PASSES; p++)
			count[p * RADIX_SIZE + ((k >> (p * RADIX_BITS)) & (RADIX_SIZE - 1))]++;
	}
	for (int p = 0; p < RADIX_PASSES; p++) {
		size_t *c = count + p * RADIX_SIZE;
		int shift = p * RADIX_BITS;
		if (c[(a[0] >> shift) & (RADIX_SIZE - 1)] == n)
			continue;
		size_t sum = 0;
		for (size_t d = 0; d < RADIX_SIZE; d++) {
			size_t t = c[d];
			c[d] = sum;
			sum += t;
		}
		for (size_t i = 0; i < n; i++)
			b[c[(a[i] >> shift) & (RADIX_SIZE - 1)]++] = a[i];
		uint64_t *t = a;
		a = b;
		b = t;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = double_of(a[i]);
	free(a);
	free(b);
	free(count);
}

static int64_t gcd64(int64_t a, int64_t b)
{
	while (b) {
		int64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* The smallest value of the sorted a and b not yet passed (a[i..], b[j..]). */
static double union_next(const double *a, size_t n, size_t i, const double *b, size_t m, size_t j)
{
	return (j >= m || (i < n && a[i] <= b[j])) ? a[i] : b[j];
}

/* Passes that value in both: *i and *j become the counts of values <= it
 * (searchsorted 'right'), the two ECDFs there. Returns the value. */
static double union_step(const double *a, size_t n, size_t *i, const double *b, size_t m, size_t *j)
{
	double v = union_next(a, n, *i, b, m, *j);
	while (*i < n && a[*i] <= v)
		(*i)++;
	while (*j < m && b[*j] <= v)
		(*j)++;
	return v;
}

int drift_ks(const double *a, size_t n, const double *b, size_t m, enum ks_method method, struct ks_result *out)
{
	out->statistic = out->pvalue = NAN;
	out->exact = 0;
	if (n == 0 || m == 0)
		return -1;
	/* Both ECDFs at every distinct value of the union (searchsorted 'right'). */
	double maxs = -INFINITY, mins = INFINITY;
	size_t i = 0, j = 0;
	while (i < n || j < m) {
		union_step(a, n, &i, b, m, &j);
		double diff = (double)i / (double)n - (double)j / (double)m;
		if (diff > maxs)
			maxs = diff;
		if (diff < mins)
			mins = diff;
	}
	double mn = -mins;
	mn = mn < 0 ? 0 : mn > 1 ? 1 : mn;
	double d = mn > maxs ? mn : maxs;
	int64_t n1 = (int64_t)n, n2 = (int64_t)m, g = gcd64(n1, n2);
	int64_t n1g = n1 / g, n2g = n2 / g;
	double prob = NAN;
	enum ks_method mode = method;
	if (mode == KS_AUTO)
		mode = (n1 > n2 ? n1 : n2) <= KS_MAX_AUTO_N ? KS_EXACT : KS_ASYMP;
	else if (mode == KS_EXACT && (double)n1g >= (double)INT32_MAX / (double)n2g)
		mode = KS_ASYMP;
	if (mode == KS_EXACT) {
		int64_t lcm = n1g * n2;
		int64_t h = (int64_t)nearbyint(d * (double)lcm);
		d = (double)h * 1.0 / (double)lcm;
		if (h == 0) {
			prob = 1.0;
		} else {
			prob = ks2_exact_sf(n1, n2, h);
		}
		if (!(prob >= 0 && prob <= 1))
			mode = KS_ASYMP;
		else
			out->exact = 1;
	}
	if (mode == KS_ASYMP) {
		double big = (double)(n1 > n2 ? n1 : n2), small = (double)(n1 > n2 ? n2 : n1);
		double en = big * small / (big + small);
		prob = kolmogorov_sf((int64_t)nearbyint(en), d);
	}
	out->statistic = d;
	out->pvalue = prob < 0 ? 0 : prob > 1 ? 1 : prob;
	return 0;
}

double drift_wasserstein(const double *a, size_t n, const double *b, size_t m)
{
	if (n == 0 || m == 0)
		return NAN;
	struct ksum sum = { 0, 0 };
	size_t i = 0, j = 0;
	while (i < n || j < m) {
		double v = union_step(a, n, &i, b, m, &j);
		if (i == n && j == m)
			break;
		double next = union_next(a, n, i, b, m, j);
		ksum_add(&sum, fabs((double)i / (double)n - (double)j / (double)m) * (next - v));
	}
	return ksum_get(&sum);
}

void drift_ecdf_summary(const double *a, size_t n, const double *b, size_t m, struct ecdf_summary *out)
{
	memset(out, 0, sizeof *out);
	if (n == 0 || m == 0) {
		out->linf = out->wasserstein = NAN;
		return;
	}
	struct ksum sum = { 0, 0 };
	size_t i = 0, j = 0;
	double dn = (double)n, dm = (double)m, best = 0;
	while (i < n || j < m) {
		double v = (j >= m || (i < n && a[i] <= b[j])) ? a[i] : b[j];
		size_t i0 = i;
		while (i < n && a[i] <= v)
			i++;
		while (j < m && b[j] <= v)
			j++;
		out->distinct++;
		out->ref_distinct += i > i0;
		double d = fabs((double)i / dn - (double)j / dm);
		if (d > best)
			best = d;
		if (i == n && j == m)
			break;
		double next = (j >= m || (i < n && a[i] <= b[j])) ? a[i] : b[j];
		ksum_add(&sum, d * (next - v));
	}
	out->linf = best;
	out->wasserstein = ksum_get(&sum);
}

double drift_std(const double *a, size_t n)
{
	if (n == 0)
		return NAN;
	struct ksum s = { 0, 0 }, q = { 0, 0 };
	for (size_t i = 0; i < n; i++)
		ksum_add(&s, a[i]);
	double mean = ksum_get(&s) / (double)n;
	for (size_t i = 0; i < n; i++)
		ksum_add(&q, (a[i] - mean) * (a[i] - mean));
	return sqrt(ksum_get(&q) / (double)n);
}

static size_t count_below_or_equal(const double *a, size_t n, double x)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static double psi_term(double r, double c)
{
	if (r == 0)
		r = DRIFT_PSI_EPS;
	if (c == 0)
		c = DRIFT_PSI_EPS;
	return (c - r) * log(c / r);
}

/* Bins (-inf, e1], (e1, e2], ..., (e9, inf) at the baseline's deciles (repeated
 * edges merged). */
double drift_psi_sorted(const double *a, size_t n, const double *b, size_t m)
{
	if (n == 0 || m == 0)
		return NAN;
	double edges[DRIFT_PSI_BINS];
	size_t ne = 0;
	for (int i = 1; i < DRIFT_PSI_BINS; i++) {
		double e = stats_linear_quantile(a, n, i / (double)DRIFT_PSI_BINS);
		if (ne == 0 || e != edges[ne - 1])
			edges[ne++] = e;
	}
	double sum = 0;
	size_t pa = 0, pb = 0;
	for (size_t k = 0; k <= ne; k++) {
		size_t ea = k < ne ? count_below_or_equal(a, n, edges[k]) : n;
		size_t eb = k < ne ? count_below_or_equal(b, m, edges[k]) : m;
		sum += psi_term((double)(ea - pa) / (double)n, (double)(eb - pb) / (double)m);
		pa = ea;
		pb = eb;
	}
	return sum;
}

static double total(const double *v, size_t k)
{
	double s = 0;
	for (size_t i = 0; i < k; i++)
		s += v[i];
	return s;
}

double drift_psi_counts(const double *ref, const double *cur, size_t k)
{
	double tr = total(ref, k), tc = total(cur, k);
	if (tr <= 0 || tc <= 0)
		return NAN;
	double sum = 0;
	for (size_t i = 0; i < k; i++)
		sum += psi_term(ref[i] / tr, cur[i] / tc);
	return sum;
}

static double rel_entr(double x, double y)
{
	if (x > 0 && y > 0)
		return x * log(x / y);
	if (x == 0 && y >= 0)
		return 0;
	return INFINITY;
}

double drift_js(const double *ref, const double *cur, size_t k, double base)
{
	double tr = total(ref, k), tc = total(cur, k);
	if (tr <= 0 || tc <= 0)
		return NAN;
	struct ksum left = { 0, 0 }, right = { 0, 0 };
	for (size_t i = 0; i < k; i++) {
		double p = ref[i] / tr, q = cur[i] / tc, mid = (p + q) / 2.0;
		ksum_add(&left, rel_entr(p, mid));
		ksum_add(&right, rel_entr(q, mid));
	}
	double js = ksum_get(&left) + ksum_get(&right);
	if (base > 0)
		js /= log(base);
	if (js < 0)
		js = 0;
	return sqrt(js / 2.0);
}

size_t drift_sturges_hist(const double *a, size_t n, const double *b, size_t m, double **ref, double **cur)
{
	*ref = *cur = NULL;
	if (n == 0 || m == 0)
		return 0;
	double lo = a[0] < b[0] ? a[0] : b[0], hi = a[n - 1] > b[m - 1] ? a[n - 1] : b[m - 1];
	double ptp = hi - lo, first = lo, last = hi;
	if (first == last) {
		first -= 0.5;
		last += 0.5;
	}
	double width = ptp / (log2((double)(n + m)) + 1.0);
	size_t nb = width != 0 ? (size_t)ceil((last - first) / width) : 1;
	double *edges = xmalloc((nb + 1) * sizeof *edges);
	double step = (last - first) / (double)nb;
	for (size_t i = 0; i <= nb; i++)
		edges[i] = (double)i * step + first;
	edges[nb] = last;
	*ref = xcalloc(nb, sizeof **ref);
	*cur = xcalloc(nb, sizeof **cur);
	/* bin i holds [e_i, e_i+1), the last one also its right edge */
	for (int side = 0; side < 2; side++) {
		const double *v = side ? b : a;
		size_t len = side ? m : n;
		double *out = side ? *cur : *ref;
		size_t prev = 0;
		for (size_t i = 1; i < nb; i++) {
			size_t lo_i = prev, hi_i = len;
			while (lo_i < hi_i) {
				size_t mid = lo_i + (hi_i - lo_i) / 2;
				if (v[mid] < edges[i])
					lo_i = mid + 1;
				else
					hi_i = mid;
			}
			out[i - 1] = (double)(lo_i - prev);
			prev = lo_i;
		}
		out[nb - 1] = (double)(len - prev);
	}
	free(edges);
	return nb;
}

void drift_chi2(const double *ref, const double *cur, size_t k, struct chi2_result *out)
{
	out->statistic = out->pvalue = NAN;
	out->dof = 0;
	double tr = total(ref, k), tc = total(cur, k), all = tr + tc;
	if (tr <= 0 || tc <= 0)
		return;
	size_t used = 0;
	for (size_t i = 0; i < k; i++)
		used += ref[i] + cur[i] > 0;
	if (used <= 1) {
		out->statistic = 0;
		out->pvalue = 1;
		return;
	}
	out->dof = (int)used - 1;
	struct ksum stat = { 0, 0 };
	for (size_t i = 0; i < k; i++) {
		double col = ref[i] + cur[i];
		if (col == 0)
			continue;
		for (int r = 0; r < 2; r++) {
			double o = r ? cur[i] : ref[i], e = (r ? tc : tr) * col / all;
			if (out->dof == 1) {
				double diff = e - o, mag = fabs(diff) < 0.5 ? fabs(diff) : 0.5;
				o += diff > 0 ? mag : diff < 0 ? -mag : 0;
			}
			ksum_add(&stat, (o - e) * (o - e) / e);
		}
	}
	out->statistic = ksum_get(&stat);
	out->pvalue = chi2_sf(out->statistic, out->dof);
}

double drift_ztest(double x1, double n1, double x2, double n2, double *z)
{
	double zz = NAN;
	if (z)
		*z = zz;
	if (n1 <= 0 || n2 <= 0)
		return NAN;
	double p1 = x1 / n1, p2 = x2 / n2, pool = (p1 * n1 + p2 * n2) / (n1 + n2);
	double den = sqrt(pool * (1 - pool) * (1.0 / n1 + 1.0 / n2));
	if (den == 0)
		return p1 == p2 ? 1.0 : 0.0;
	zz = (p1 - p2) / den;
	if (z)
		*z = zz;
	return erfc(fabs(zz) / M_SQRT2);
}

double drift_linf_counts(const double *ref, const double *cur, size_t k)
{
	double tr = total(ref, k), tc = total(cur, k);
	if (tr <= 0 || tc <= 0)
		return NAN;
	double best = 0;
	for (size_t i = 0; i < k; i++) {
		double d = fabs(ref[i] / tr - cur[i] / tc);
		if (d > best)
			best = d;
	}
	return best;
}

double drift_linf_robust(double linf, double n, double m)
{
	if (isnan(linf) || n <= 0 || m <= 0)
		return NAN;
	double r = linf - 1.8 * sqrt((n + m) / (n * m));
	return r > 0 ? r : 0;
}
