#include "drift/dist.h"

#include <cjson/cJSON.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

void drift_dist_free(struct drift_dist *d)
{
	for (size_t i = 0; d->labels && i < d->n; i++)
		free(d->labels[i]);
	free(d->labels);
	free(d->edges);
	free(d->ref);
	free(d->cur);
	memset(d, 0, sizeof *d);
}

static void range_of(const double *v, size_t n, double *lo, double *hi, int *any)
{
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(v[i]))
			continue;
		if (!*any || v[i] < *lo)
			*lo = v[i];
		if (!*any || v[i] > *hi)
			*hi = v[i];
		*any = 1;
	}
}

static void bin_into(double *counts, int bins, double lo, double step, const double *v, const double *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(v[i]))
			continue;
		long k = step > 0 ? (long)floor((v[i] - lo) / step) : 0;
		if (k < 0)
			k = 0;
		if (k >= bins)
			k = bins - 1;
		counts[k] += w ? w[i] : 1.0;
	}
}

void drift_dist_numeric(struct drift_dist *d, const double *a, const double *wa, size_t na, const double *b, size_t nb,
			int bins)
{
	memset(d, 0, sizeof *d);
	d->numeric = 1;
	double lo = 0, hi = 0;
	int any = 0;
	range_of(a, na, &lo, &hi, &any);
	range_of(b, nb, &lo, &hi, &any);
	if (!any)
		return;
	if (bins < 1)
		bins = 1;
	if (lo == hi)
		bins = 1;
	double step = (hi - lo) / bins;
	d->n = (size_t)bins;
	d->edges = xcalloc(d->n + 1, sizeof *d->edges);
	for (size_t k = 0; k <= d->n; k++)
		d->edges[k] = k == d->n ? hi : lo + (double)k * step;
	d->ref = xcalloc(d->n, sizeof *d->ref);
	d->cur = xcalloc(d->n, sizeof *d->cur);
	bin_into(d->ref, bins, lo, step, a, wa, na);
	bin_into(d->cur, bins, lo, step, b, NULL, nb);
}

struct merged {
	const char *value;
	double ref, cur, share;
};

static int by_share(const void *x, const void *y)
{
	const struct merged *a = x, *b = y;
	if (a->share != b->share)
		return a->share < b->share ? 1 : -1;
	return strcmp(a->value, b->value);
}

static int by_value(const void *x, const void *y)
{
	return strcmp(((const struct merged *)x)->value, ((const struct merged *)y)->value);
}

void drift_dist_categories(struct drift_dist *d, const struct drift_category *a, size_t na,
			   const struct drift_category *b, size_t nb, size_t top)
{
	memset(d, 0, sizeof *d);
	struct merged *m = xcalloc(na + nb + 1, sizeof *m);
	size_t n = 0;
	double ta = 0, tb = 0;
	for (size_t i = 0; i < na; i++) {
		m[n++] = (struct merged){ a[i].value, (double)a[i].count, 0, 0 };
		ta += (double)a[i].count;
	}
	qsort(m, n, sizeof *m, by_value);
	size_t nref = n;
	for (size_t j = 0; j < nb; j++) {
		tb += (double)b[j].count;
		struct merged key = { b[j].value, 0, 0, 0 };
		struct merged *hit = nref ? bsearch(&key, m, nref, sizeof *m, by_value) : NULL;
		if (hit)
			hit->cur += (double)b[j].count;
		else
			m[n++] = (struct merged){ b[j].value, 0, (double)b[j].count, 0 };
	}
	if (!n) {
		free(m);
		return;
	}
	for (size_t i = 0; i < n; i++)
		m[i].share = (ta > 0 ? m[i].ref / ta : 0) + (tb > 0 ? m[i].cur / tb : 0);
	qsort(m, n, sizeof *m, by_share);
	if (top < 1)
		top = 1;
	size_t shown = n > top ? top : n;
	d->n = shown + (n > top);
	d->labels = xcalloc(d->n, sizeof *d->labels);
	d->ref = xcalloc(d->n, sizeof *d->ref);
	d->cur = xcalloc(d->n, sizeof *d->cur);
	for (size_t i = 0; i < n; i++) {
		size_t k = i < shown ? i : shown;
		if (!d->labels[k])
			d->labels[k] = xstrdup(i < shown ? m[i].value : DRIFT_DIST_OTHER);
		d->ref[k] += m[i].ref;
		d->cur[k] += m[i].cur;
	}
	free(m);
}

static int is_number_type(enum drift_type t)
{
	return t == DRIFT_NUMERIC || t == DRIFT_DATETIME;
}

static void free_cats(struct drift_category *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(c[i].value);
	free(c);
}

int drift_dist_columns(const struct drift_column *rc, const struct drift_column *cc, struct drift_dist *d,
		       struct err *e)
{
	memset(d, 0, sizeof *d);
	if (is_number_type(rc->type) && is_number_type(cc->type)) {
		size_t na = 0, nb = 0;
		double *a = drift_column_values(rc, &na, e);
		if (!a)
			return -1;
		double *b = drift_column_values(cc, &nb, e);
		if (!b) {
			free(a);
			return -1;
		}
		drift_dist_numeric(d, a, NULL, na, b, nb, DRIFT_DIST_BINS);
		free(a);
		free(b);
		return 0;
	}
	if (rc->too_many_categories || cc->too_many_categories)
		return 0;
	struct drift_category *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;
	if (drift_column_categories(rc, &a, &na, e) != 0)
		return -1;
	if (drift_column_categories(cc, &b, &nb, e) != 0) {
		free_cats(a, na);
		return -1;
	}
	drift_dist_categories(d, a, na, b, nb, DRIFT_DIST_TOP);
	free_cats(a, na);
	free_cats(b, nb);
	return 0;
}

static cJSON *numbers(const double *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, isfinite(v[i]) ? cJSON_CreateNumber(v[i]) : cJSON_CreateNull());
	return a;
}

cJSON *drift_dist_json(const struct drift_dist *d)
{
	if (!d->n)
		return cJSON_CreateNull();
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kind", d->numeric ? "numeric" : "categorical");
	if (d->numeric) {
		cJSON_AddItemToObject(o, "edges", numbers(d->edges, d->n + 1));
	} else {
		cJSON *v = cJSON_AddArrayToObject(o, "values");
		for (size_t i = 0; i < d->n; i++)
			cJSON_AddItemToArray(v, cJSON_CreateString(d->labels[i]));
	}
	cJSON_AddItemToObject(o, "baseline", numbers(d->ref, d->n));
	cJSON_AddItemToObject(o, "current", numbers(d->cur, d->n));
	return o;
}

static int read_numbers(const cJSON *a, double *out, size_t n)
{
	if (!cJSON_IsArray(a) || (size_t)cJSON_GetArraySize(a) != n)
		return -1;
	size_t i = 0;
	const cJSON *x;
	cJSON_ArrayForEach(x, a)
	{
		out[i++] = cJSON_IsNumber(x) ? x->valuedouble : NAN;
	}
	return 0;
}

int drift_dist_from_json(const cJSON *j, struct drift_dist *d)
{
	memset(d, 0, sizeof *d);
	if (!cJSON_IsObject(j))
		return -1;
	const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "kind"));
	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(j, "baseline");
	if (!kind || !cJSON_IsArray(ref) || cJSON_GetArraySize(ref) < 1)
		return -1;
	size_t n = (size_t)cJSON_GetArraySize(ref);
	d->numeric = strcmp(kind, "numeric") == 0;
	d->n = n;
	d->ref = xcalloc(n, sizeof *d->ref);
	d->cur = xcalloc(n, sizeof *d->cur);
	int rc = read_numbers(ref, d->ref, n) | read_numbers(cJSON_GetObjectItemCaseSensitive(j, "current"), d->cur, n);
	if (d->numeric) {
		d->edges = xcalloc(n + 1, sizeof *d->edges);
		rc |= read_numbers(cJSON_GetObjectItemCaseSensitive(j, "edges"), d->edges, n + 1);
	} else {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "values");
		d->labels = xcalloc(n, sizeof *d->labels);
		if (!cJSON_IsArray(v) || (size_t)cJSON_GetArraySize(v) != n) {
			rc = -1;
		} else {
			size_t i = 0;
			const cJSON *x;
			cJSON_ArrayForEach(x, v)
			{
				const char *s = cJSON_GetStringValue(x);
				d->labels[i++] = xstrdup(s ? s : "");
			}
		}
	}
	if (rc) {
		drift_dist_free(d);
		return -1;
	}
	return 0;
}
