#include "base/stats.h"

#include <math.h>
#include <stdlib.h>

double stats_mean(const double *v, size_t n)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	return n ? sum / (double)n : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

void stats_sort(double *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof *v, cmp_double);
}

double stats_nearest_rank(double *v, size_t n, double q)
{
	if (!n)
		return 0;
	stats_sort(v, n);
	size_t rank = (size_t)ceil(q * (double)n);
	if (rank > n)
		rank = n;
	return v[(rank ? rank : 1) - 1];
}

/* The virtual index (n - 1) q, then a lerp taken from the nearer end, as numpy does. */
double stats_linear_quantile(const double *sorted, size_t n, double q)
{
	if (n == 0)
		return NAN;
	double vi = (double)(n - 1) * q;
	if (vi >= (double)(n - 1))
		return sorted[n - 1];
	if (vi < 0)
		return sorted[0];
	double prev_i = floor(vi);
	size_t pi = (size_t)prev_i;
	double lo = sorted[pi], hi = sorted[pi + 1], t = vi - prev_i;
	double diff = hi - lo;
	return t >= 0.5 ? hi - diff * (1 - t) : lo + diff * t;
}
