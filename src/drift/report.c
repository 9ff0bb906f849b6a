#include "drift/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "drift/special.h"

#define EVIDENTLY_SMALL_N 1000
#define JS_STURGES_DISTINCT 20
#define WASSERSTEIN_MIN_NORM 0.001

#define DRIFT_TEST_NAME(e, name, p, t) name,
static const char *const test_names[] = { DRIFT_TESTS(DRIFT_TEST_NAME) };
#undef DRIFT_TEST_NAME
#define DRIFT_TEST_P(e, name, p, t) p,
static const int test_p[] = { DRIFT_TESTS(DRIFT_TEST_P) };
#undef DRIFT_TEST_P
#define DRIFT_TEST_T(e, name, p, t) t,
static const double test_thr[] = { DRIFT_TESTS(DRIFT_TEST_T) };
#undef DRIFT_TEST_T

const char *drift_test_name(enum drift_test t)
{
	return (unsigned)t < DRIFT_TEST_COUNT ? test_names[t] : "?";
}

int drift_test_parse(const char *name)
{
	for (int i = 1; i < DRIFT_TEST_COUNT; i++)
		if (strcmp(name, test_names[i]) == 0)
			return i;
	return -1;
}

int drift_test_has_pvalue(enum drift_test t)
{
	return (unsigned)t < DRIFT_TEST_COUNT && test_p[t];
}

double drift_test_default_threshold(enum drift_test t)
{
	return (unsigned)t < DRIFT_TEST_COUNT ? test_thr[t] : NAN;
}

/* ------------------------------------------------------------ one column */

/* Both sides as aligned category counts. */
struct counts {
	double *ref, *cur;
	char **labels;   /* owned */
	size_t k;
	size_t ref_distinct;
};

static void counts_free(struct counts *c)
{
	for (size_t i = 0; i < c->k; i++)
		free(c->labels[i]);
	free(c->labels);
	free(c->ref);
	free(c->cur);
	memset(c, 0, sizeof *c);
}

static void counts_push(struct counts *c, size_t *cap, char *label, double r, double q)
{
	if (c->k == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		c->ref = xreallocarray(c->ref, *cap, sizeof *c->ref);
		c->cur = xreallocarray(c->cur, *cap, sizeof *c->cur);
		c->labels = xreallocarray(c->labels, *cap, sizeof *c->labels);
	}
	c->ref[c->k] = r;
	c->cur[c->k] = q;
	c->labels[c->k] = label;
	c->ref_distinct += r > 0;
	c->k++;
}

/* Distinct numeric values of the union, counted on each side (no labels). */
static void counts_numeric(const double *a, size_t n, const double *b, size_t m, struct counts *c)
{
	size_t cap = 0, i = 0, j = 0;
	memset(c, 0, sizeof *c);
	while (i < n || j < m) {
		double v = (j >= m || (i < n && a[i] <= b[j])) ? a[i] : b[j];
		size_t i0 = i, j0 = j;
		while (i < n && a[i] <= v)
			i++;
		while (j < m && b[j] <= v)
			j++;
		counts_push(c, &cap, NULL, (double)(i - i0), (double)(j - j0));
	}
}

static int cmp_cat(const void *a, const void *b)
{
	return strcmp(((const struct drift_category *)a)->value, ((const struct drift_category *)b)->value);
}

static int counts_categorical(const struct drift_column *rc, const struct drift_column *cc, struct counts *c,
			      struct err *e)
{
	struct drift_category *ra, *ca;
	size_t rn, cn;
	memset(c, 0, sizeof *c);
	if (drift_column_categories(rc, &ra, &rn, e) != 0)
		return -1;
	if (drift_column_categories(cc, &ca, &cn, e) != 0) {
		free(ra);
		return -1;
	}
	qsort(ra, rn, sizeof *ra, cmp_cat);
	qsort(ca, cn, sizeof *ca, cmp_cat);
	size_t cap = 0, i = 0, j = 0;
	while (i < rn || j < cn) {
		int d = i >= rn ? 1 : j >= cn ? -1 : strcmp(ra[i].value, ca[j].value);
		if (d < 0) {
			counts_push(c, &cap, ra[i].value, (double)ra[i].count, 0);
			i++;
		} else if (d > 0) {
			counts_push(c, &cap, ca[j].value, 0, (double)ca[j].count);
			j++;
		} else {
			counts_push(c, &cap, ra[i].value, (double)ra[i].count, (double)ca[j].count);
			free(ca[j].value);
			i++;
			j++;
		}
	}
	free(ra);
	free(ca);
	return 0;
}

static int is_numeric(enum drift_type t)
{
	return t == DRIFT_NUMERIC || t == DRIFT_DATETIME;
}

static enum drift_test default_test(int numeric, size_t n, size_t u)
{
	if (n <= EVIDENTLY_SMALL_N) {
		if (numeric && u > 5)
			return DRIFT_TEST_KS;
		return u > 2 ? DRIFT_TEST_CHISQUARE : DRIFT_TEST_Z;
	}
	if (numeric && u > 5)
		return DRIFT_TEST_WASSERSTEIN;
	return DRIFT_TEST_JS;
}

static double severity_of(const struct drift_col_result *r)
{
	if (r->test == DRIFT_TEST_NONE || isnan(r->statistic))
		return -1;
	if (drift_test_has_pvalue(r->test)) {
		if (isnan(r->pvalue))
			return -1;
		if (r->pvalue <= 0)
			return 1e6;
		if (r->threshold <= 0 || r->threshold >= 1)
			return r->drifted ? 1 : 0;
		return log(r->pvalue) / log(r->threshold);
	}
	return r->threshold > 0 ? r->statistic / r->threshold : r->statistic;
}

static const struct drift_col_opt *col_opt(const struct drift_report_opts *o, const char *name)
{
	for (size_t i = 0; i < o->nper_column; i++)
		if (strcmp(o->per_column[i].column, name) == 0)
			return &o->per_column[i];
	return NULL;
}

static int run_column(const struct drift_report_opts *o, const struct drift_column *rc, const struct drift_column *cc,
		      struct drift_col_result *res, struct err *e)
{
	const struct drift_col_opt *co = col_opt(o, res->name);
	res->statistic = res->pvalue = res->raw = NAN;
	res->linf = res->linf_robust = res->ks_statistic = res->ks_pvalue = NAN;
	res->threshold = NAN;
	enum drift_test forced = co ? co->test : DRIFT_TEST_NONE;
	res->ref_n = rc->present;
	res->cur_n = cc->present;
	if (rc->type == DRIFT_EMPTY || cc->type == DRIFT_EMPTY || rc->present == 0 || cc->present == 0) {
		res->note = xstrdup(rc->present == 0 ? "no values in the baseline" : "no values in the current data");
		return 0;
	}
	if (rc->too_many_categories || cc->too_many_categories) {
		res->note = xasprintf("more than %d distinct values: not tested (an identifier?)", DRIFT_MAX_CATEGORIES);
		return 0;
	}
	int numeric = is_numeric(rc->type) && rc->type == cc->type;
	if (rc->type == DRIFT_DATETIME && forced == DRIFT_TEST_NONE) {
		res->note = xstrdup("datetime: not tested unless --test names a test");
		return 0;
	}
	if (!numeric && (forced == DRIFT_TEST_KS || forced == DRIFT_TEST_WASSERSTEIN))
		return err_set(e, "column '%s' is %s, and %s needs numbers on both sides; choose chisquare, z, psi, "
				  "jensenshannon or linf",
			       res->name, drift_type_name(rc->type == cc->type ? rc->type : cc->type),
			       drift_test_name(forced));
	double *a = NULL, *b = NULL;
	size_t n = 0, m = 0;
	struct counts cnt;
	memset(&cnt, 0, sizeof cnt);
	if (numeric) {
		a = drift_column_values(rc, &n, e);
		if (!a)
			return -1;
		b = drift_column_values(cc, &m, e);
		if (!b) {
			free(a);
			return -1;
		}
	} else if (counts_categorical(rc, cc, &cnt, e) != 0) {
		return -1;
	}
	size_t ref_distinct = cnt.ref_distinct;
	struct ecdf_summary es;
	if (numeric) {
		drift_ecdf_summary(a, n, b, m, &es);
		ref_distinct = es.ref_distinct;
	}
	res->distinct = numeric ? es.distinct : cnt.k;
	enum drift_test t = forced != DRIFT_TEST_NONE ? forced : default_test(numeric, (size_t)rc->present, res->distinct);
	int sturges = numeric && t == DRIFT_TEST_JS && ref_distinct > JS_STURGES_DISTINCT;
	if (numeric && (t == DRIFT_TEST_CHISQUARE || t == DRIFT_TEST_Z || (t == DRIFT_TEST_JS && !sturges)))
		counts_numeric(a, n, b, m, &cnt);
	res->test = t;
	res->test_forced = forced != DRIFT_TEST_NONE;
	res->threshold = co && !isnan(co->threshold) ? co->threshold : drift_test_default_threshold(t);
	double refn = (double)rc->present, curn = (double)cc->present;
	switch (t) {
	case DRIFT_TEST_KS: {
		struct ks_result k;
		drift_ks(a, n, b, m, o->ks_method, &k);
		res->statistic = k.statistic;
		res->pvalue = k.pvalue;
		res->ks_statistic = k.statistic;
		res->ks_pvalue = k.pvalue;
		break;
	}
	case DRIFT_TEST_CHISQUARE: {
		struct chi2_result c;
		drift_chi2(cnt.ref, cnt.cur, cnt.k, &c);
		res->statistic = c.statistic;
		res->pvalue = c.pvalue;
		break;
	}
	case DRIFT_TEST_Z: {
		double z;
		res->pvalue = drift_ztest(cnt.ref[0], refn, cnt.cur[0], curn, &z);
		res->statistic = isnan(z) ? 0 : z;
		break;
	}
	case DRIFT_TEST_PSI:
		res->statistic = numeric ? drift_psi_sorted(a, n, b, m) : drift_psi_counts(cnt.ref, cnt.cur, cnt.k);
		break;
	case DRIFT_TEST_JS:
		if (sturges) {
			double *hr, *hc;
			size_t k = drift_sturges_hist(a, n, b, m, &hr, &hc);
			res->statistic = drift_js(hr, hc, k, o->js_base);
			free(hr);
			free(hc);
		} else {
			res->statistic = drift_js(cnt.ref, cnt.cur, cnt.k, o->js_base);
		}
		break;
	case DRIFT_TEST_WASSERSTEIN: {
		double sd = drift_std(a, n);
		res->raw = es.wasserstein;
		res->statistic = res->raw / (sd > WASSERSTEIN_MIN_NORM ? sd : WASSERSTEIN_MIN_NORM);
		break;
	}
	case DRIFT_TEST_LINF:
		res->statistic = numeric ? es.linf : drift_linf_counts(cnt.ref, cnt.cur, cnt.k);
		break;
	default:
		break;
	}
	res->linf = numeric ? es.linf : drift_linf_counts(cnt.ref, cnt.cur, cnt.k);
	res->linf_robust = drift_linf_robust(res->linf, refn, curn);
	if (o->compare && numeric && isnan(res->ks_pvalue)) {
		struct ks_result k;
		drift_ks(a, n, b, m, o->ks_method, &k);
		res->ks_statistic = k.statistic;
		res->ks_pvalue = k.pvalue;
	}
	res->has_compare = o->compare;
	if (drift_test_has_pvalue(t))
		res->drifted = res->pvalue < res->threshold;
	else if (t == DRIFT_TEST_LINF)
		res->drifted = res->statistic > res->threshold;
	else
		res->drifted = res->statistic >= res->threshold;
	free(a);
	free(b);
	counts_free(&cnt);
	return 0;
}

/* ------------------------------------------------------------ model quality */

static int label_equal(const char *a, const char *b)
{
	double x, y;
	if (drift_parse_number(a, strlen(a), &x) && drift_parse_number(b, strlen(b), &y))
		return x == y;
	return strcmp(a, b) == 0;
}

struct scored {
	double score;
	int positive;
};

static int cmp_scored(const void *a, const void *b)
{
	double x = ((const struct scored *)a)->score, y = ((const struct scored *)b)->score;
	return x < y ? -1 : x > y;
}

/* Mann-Whitney: AUC = (R+ - n+(n+ + 1)/2) / (n+ n-), ties at their mean rank. */
static double roc_auc(struct scored *s, size_t n)
{
	qsort(s, n, sizeof *s, cmp_scored);
	double rank_sum = 0, npos = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && s[j].score == s[i].score)
			j++;
		double mid = ((double)i + 1 + (double)j) / 2;
		for (size_t k = i; k < j; k++)
			if (s[k].positive) {
				rank_sum += mid;
				npos++;
			}
		i = j;
	}
	double nneg = (double)n - npos;
	if (npos == 0 || nneg == 0)
		return NAN;
	return (rank_sum - npos * (npos + 1) / 2) / (npos * nneg);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void quality_side(struct drift_report *rep, const struct drift_column *tc, const struct drift_column *pc,
			 uint64_t rows, struct drift_quality_side *q, char **labels, size_t nlabels, int score)
{
	memset(q, 0, sizeof *q);
	q->accuracy = q->precision = q->recall = q->f1 = q->roc_auc = q->mae = q->rmse = q->r2 = NAN;
	if (!tc->row_values || !pc->row_values)
		return;
	if (strcmp(rep->task, "regression") == 0) {
		double se = 0, ae = 0, sum = 0, sumsq = 0;
		uint64_t n = 0;
		for (uint64_t i = 0; i < rows; i++) {
			double y, p;
			const char *ys = tc->row_values[i], *ps = pc->row_values[i];
			if (!ys || !ps || !drift_parse_number(ys, strlen(ys), &y) || !drift_parse_number(ps, strlen(ps), &p))
				continue;
			ae += fabs(y - p);
			se += (y - p) * (y - p);
			sum += y;
			sumsq += y * y;
			n++;
		}
		if (!n)
			return;
		double mean = sum / (double)n, sst = sumsq - (double)n * mean * mean;
		q->ok = 1;
		q->n = n;
		q->mae = ae / (double)n;
		q->rmse = sqrt(se / (double)n);
		q->r2 = sst > 0 ? 1 - se / sst : NAN;
		return;
	}
	/* classification: per label tp / predicted / actual */
	double *tp = xcalloc(nlabels, sizeof *tp), *pred = xcalloc(nlabels, sizeof *pred),
	       *act = xcalloc(nlabels, sizeof *act);
	struct scored *sc = score ? xmalloc((rows ? rows : 1) * sizeof *sc) : NULL;
	size_t nsc = 0;
	uint64_t n = 0, correct = 0;
	for (uint64_t i = 0; i < rows; i++) {
		const char *ys = tc->row_values[i], *ps = pc->row_values[i];
		if (!ys || !ps)
			continue;
		size_t yl = SIZE_MAX, pl = SIZE_MAX;
		for (size_t k = 0; k < nlabels; k++)
			if (label_equal(ys, labels[k]))
				yl = k;
		if (yl == SIZE_MAX)
			continue;
		if (score) {
			double s;
			if (!drift_parse_number(ps, strlen(ps), &s))
				continue;
			pl = s >= 0.5 ? 1 : 0;
			sc[nsc++] = (struct scored){ s, yl == 1 };
		} else {
			for (size_t k = 0; k < nlabels; k++)
				if (label_equal(ps, labels[k]))
					pl = k;
		}
		n++;
		act[yl]++;
		if (pl != SIZE_MAX) {
			pred[pl]++;
			if (pl == yl) {
				tp[pl]++;
				correct++;
			}
		}
	}
	if (n) {
		q->ok = 1;
		q->n = n;
		q->accuracy = (double)correct / (double)n;
		if (nlabels == 2) {
			q->precision = pred[1] > 0 ? tp[1] / pred[1] : 0;
			q->recall = act[1] > 0 ? tp[1] / act[1] : 0;
		} else {
			double ps = 0, rs = 0;
			for (size_t k = 0; k < nlabels; k++) {
				ps += pred[k] > 0 ? tp[k] / pred[k] : 0;
				rs += act[k] > 0 ? tp[k] / act[k] : 0;
			}
			q->precision = ps / (double)nlabels;
			q->recall = rs / (double)nlabels;
		}
		q->f1 = q->precision + q->recall > 0 ? 2 * q->precision * q->recall / (q->precision + q->recall) : 0;
		if (score)
			q->roc_auc = roc_auc(sc, nsc);
	}
	free(tp);
	free(pred);
	free(act);
	free(sc);
}

static void model_quality(struct drift_report *rep, struct drift_data *ref, struct drift_data *cur, const char *target,
			  const char *prediction)
{
	struct drift_column *rt = drift_data_column(ref, target), *rp = drift_data_column(ref, prediction);
	struct drift_column *ct = drift_data_column(cur, target), *cp = drift_data_column(cur, prediction);
	if (!rt || !rp || !ct || !cp)
		return;
	int regression = 0;
	if (rt->type == DRIFT_NUMERIC) {
		size_t nv;
		double *v = drift_column_values(rt, &nv, NULL);
		size_t distinct = 0;
		int fractional = 0;
		for (size_t i = 0; v && i < nv; i++) {
			if (i == 0 || v[i] != v[i - 1])
				distinct++;
			if (v[i] != floor(v[i]))
				fractional = 1;
		}
		free(v);
		regression = fractional || distinct > 10;
	}
	rep->task = regression ? "regression" : "classification";
	char **labels = NULL;
	size_t nlabels = 0;
	int score = 0;
	if (!regression) {
		/* labels: the distinct target values of both sides, sorted */
		size_t cap = 16;
		labels = xmalloc(cap * sizeof *labels);
		struct drift_column *ts[2] = { rt, ct };
		uint64_t rows[2] = { ref->rows, cur->rows };
		for (int s = 0; s < 2; s++)
			for (uint64_t i = 0; ts[s]->row_values && i < rows[s]; i++) {
				const char *y = ts[s]->row_values[i];
				if (!y)
					continue;
				size_t k;
				for (k = 0; k < nlabels && !label_equal(y, labels[k]); k++)
					;
				if (k < nlabels)
					continue;
				if (nlabels >= 1000)
					break;
				if (nlabels == cap) {
					cap *= 2;
					labels = xreallocarray(labels, cap, sizeof *labels);
				}
				labels[nlabels++] = xstrdup(y);
			}
		qsort(labels, nlabels, sizeof *labels, cmp_str);
		if (nlabels == 2) {
			double a, b;
			if (drift_parse_number(labels[0], strlen(labels[0]), &a) &&
			    drift_parse_number(labels[1], strlen(labels[1]), &b) && a > b) {
				char *t = labels[0];
				labels[0] = labels[1];
				labels[1] = t;
			}
			rep->positive_label = xstrdup(labels[1]);
			score = rp->type == DRIFT_NUMERIC && rp->min >= 0 && rp->max <= 1;
			if (score) {
				size_t nv;
				double *v = drift_column_values(rp, &nv, NULL);
				int frac = 0;
				for (size_t i = 0; v && i < nv && !frac; i++)
					frac = v[i] != floor(v[i]);
				free(v);
				score = frac;
			}
		}
	}
	quality_side(rep, rt, rp, ref->rows, &rep->quality[0], labels, nlabels, score);
	quality_side(rep, ct, cp, cur->rows, &rep->quality[1], labels, nlabels, score);
	for (size_t i = 0; i < nlabels; i++)
		free(labels[i]);
	free(labels);
}

/* ------------------------------------------------------------ the report */

int drift_col_cmp(const void *a, const void *b)
{
	const struct drift_col_result *x = a, *y = b;
	if (x->drifted != y->drifted)
		return y->drifted - x->drifted;
	if (x->severity != y->severity)
		return x->severity < y->severity ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] && strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

struct drift_report *drift_report_on(struct drift_data *ref, struct drift_data *cur, const struct drift_report_opts *o,
				     struct err *e)
{
	for (size_t i = 0; i < o->ncolumns; i++)
		if (!drift_data_column(ref, o->columns[i]))
			return err_set(e, "column '%s' is not in the baseline %s", o->columns[i], ref->path), NULL;
	const char *roles[2] = { o->target, o->prediction };
	for (int k = 0; k < 2; k++)
		if (roles[k] && !drift_data_column(ref, roles[k]))
			return err_set(e, "the %s column '%s' is not in the baseline %s", k ? "prediction" : "target",
				       roles[k], ref->path),
			       NULL;
	for (size_t i = 0; i < o->nper_column; i++)
		if (!drift_data_column(ref, o->per_column[i].column))
			return err_set(e, "column '%s' (named by --test or --threshold) is not in the baseline %s",
				       o->per_column[i].column, ref->path),
			       NULL;
	struct drift_report *rep = xcalloc(1, sizeof *rep);
	rep->baseline = xstrdup(ref->path);
	rep->current = xstrdup(cur->path);
	rep->ref_rows = ref->rows;
	rep->cur_rows = cur->rows;
	rep->ref_bad = ref->bad_rows;
	rep->cur_bad = cur->bad_rows;
	memcpy(rep->ref_bad_lines, ref->bad_lines, sizeof ref->bad_lines);
	memcpy(rep->cur_bad_lines, cur->bad_lines, sizeof cur->bad_lines);
	rep->ref_nbad_lines = ref->nbad_lines;
	rep->cur_nbad_lines = cur->nbad_lines;
	rep->compare = o->compare;
	rep->drift_share = o->drift_share > 0 ? o->drift_share : 0.5;
	rep->cols = xcalloc(ref->ncols ? ref->ncols : 1, sizeof *rep->cols);
	rep->missing_columns = xcalloc(ref->ncols ? ref->ncols : 1, sizeof *rep->missing_columns);
	rep->extra_columns = xcalloc(cur->ncols ? cur->ncols : 1, sizeof *rep->extra_columns);
	size_t total = 0, done = 0;
	for (size_t i = 0; i < ref->ncols; i++) {
		const char *name = ref->cols[i].name;
		int wanted = !o->ncolumns || in_list(o->columns, o->ncolumns, name) || in_list(roles, 2, name);
		total += wanted;
	}
	for (size_t i = 0; i < ref->ncols; i++) {
		struct drift_column *rc = &ref->cols[i];
		if (o->ncolumns && !in_list(o->columns, o->ncolumns, rc->name) && !in_list(roles, 2, rc->name))
			continue;
		struct drift_column *cc = drift_data_column(cur, rc->name);
		if (!cc) {
			rep->missing_columns[rep->nmissing_columns++] = xstrdup(rc->name);
			continue;
		}
		if (o->progress)
			o->progress(o->progress_ud, done, total, rc->name);
		struct drift_col_result *res = &rep->cols[rep->ncols++];
		res->name = xstrdup(rc->name);
		res->role = o->target && strcmp(o->target, rc->name) == 0		? DRIFT_ROLE_TARGET
			    : o->prediction && strcmp(o->prediction, rc->name) == 0 ? DRIFT_ROLE_PREDICTION
										    : DRIFT_ROLE_FEATURE;
		res->type = rc->type;
		res->cur_type = cc->type;
		res->ref_rows = ref->rows;
		res->cur_rows = cur->rows;
		res->ref_missing = rc->missing;
		res->cur_missing = cc->missing;
		res->ref_unparseable = rc->unparseable;
		res->cur_unparseable = cc->unparseable;
		if (run_column(o, rc, cc, res, e) != 0) {
			drift_report_free(rep);
			return NULL;
		}
		res->severity = severity_of(res);
		if (res->test != DRIFT_TEST_NONE) {
			if (res->role == DRIFT_ROLE_FEATURE)
				rep->tested++;
			if (res->drifted) {
				rep->any_drift = 1;
				if (res->role == DRIFT_ROLE_FEATURE)
					rep->drifted++;
			}
		}
		done++;
		if (o->column_done)
			o->column_done(o->progress_ud, rep->cols, rep->ncols, total);
	}
	for (size_t i = 0; i < cur->ncols; i++)
		if (!drift_data_column(ref, cur->cols[i].name) && !o->ncolumns)
			rep->extra_columns[rep->nextra_columns++] = xstrdup(cur->cols[i].name);
	qsort(rep->cols, rep->ncols, sizeof *rep->cols, drift_col_cmp);
	rep->share = rep->tested ? (double)rep->drifted / (double)rep->tested : 0;
	rep->dataset_drift = rep->tested > 0 && rep->share >= rep->drift_share;
	if (o->target && o->prediction)
		model_quality(rep, ref, cur, o->target, o->prediction);
	return rep;
}

struct drift_report *drift_report_run(const char *baseline, const char *current, const struct drift_report_opts *o,
				      const struct drift_read_opts *ropts, struct err *e)
{
	struct drift_read_opts ro = ropts ? *ropts : (struct drift_read_opts){ 0 };
	const char *keep[2];
	ro.nkeep_rows = 0;
	if (o->target && o->prediction) {
		keep[ro.nkeep_rows++] = o->target;
		keep[ro.nkeep_rows++] = o->prediction;
	}
	ro.keep_rows = keep;
	struct drift_data *ref = drift_data_read(baseline, &ro, e);
	if (!ref)
		return NULL;
	/* the current data is read with the baseline's types, so a value that
	 * does not fit counts as unparseable instead of changing the type */
	struct drift_type_override *types = xcalloc(ref->ncols + ro.ntypes + 1, sizeof *types);
	size_t ntypes = 0;
	for (size_t i = 0; i < ro.ntypes; i++)
		types[ntypes++] = ro.types[i];
	for (size_t i = 0; i < ref->ncols; i++) {
		const struct drift_column *c = &ref->cols[i];
		int given = 0;
		for (size_t k = 0; k < ro.ntypes && !given; k++)
			given = strcmp(ro.types[k].column, c->name) == 0;
		if (!given && c->type != DRIFT_EMPTY)
			types[ntypes++] = (struct drift_type_override){ c->name, c->type };
	}
	struct drift_read_opts cro = ro;
	cro.types = types;
	cro.ntypes = ntypes;
	struct drift_data *cur = drift_data_read(current, &cro, e);
	free(types);
	if (!cur) {
		drift_data_free(ref);
		return NULL;
	}
	struct drift_report *rep = drift_report_on(ref, cur, o, e);
	if (rep && o->with_data && o->with_data(o->progress_ud, rep, ref, cur, e) != 0) {
		drift_report_free(rep);
		rep = NULL;
	}
	drift_data_free(ref);
	drift_data_free(cur);
	return rep;
}

void drift_report_free(struct drift_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ncols; i++) {
		free(r->cols[i].name);
		free(r->cols[i].note);
	}
	for (size_t i = 0; i < r->nmissing_columns; i++)
		free(r->missing_columns[i]);
	for (size_t i = 0; i < r->nextra_columns; i++)
		free(r->extra_columns[i]);
	free(r->missing_columns);
	free(r->extra_columns);
	free(r->cols);
	free(r->baseline);
	free(r->current);
	free(r->positive_label);
	free(r);
}

/* ------------------------------------------------------------ output */

static void add_num(cJSON *o, const char *k, double v)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static const char *role_name(enum drift_role r)
{
	return r == DRIFT_ROLE_TARGET ? "target" : r == DRIFT_ROLE_PREDICTION ? "prediction" : "feature";
}

static cJSON *side_json(uint64_t rows, uint64_t missing, uint64_t unparseable, uint64_t n)
{
	cJSON *s = cJSON_CreateObject();
	cJSON_AddNumberToObject(s, "rows", (double)rows);
	cJSON_AddNumberToObject(s, "missing", (double)missing);
	add_num(s, "missing_share", rows ? (double)missing / (double)rows : NAN);
	cJSON_AddNumberToObject(s, "unparseable", (double)unparseable);
	cJSON_AddNumberToObject(s, "values", (double)n);
	return s;
}

static cJSON *data_json(const char *path, uint64_t rows, uint64_t bad, const long *lines, size_t nlines)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "path", path);
	cJSON_AddNumberToObject(d, "rows", (double)rows);
	cJSON_AddNumberToObject(d, "bad_rows", (double)bad);
	cJSON *l = cJSON_AddArrayToObject(d, "bad_lines");
	for (size_t i = 0; i < nlines; i++)
		cJSON_AddItemToArray(l, cJSON_CreateNumber((double)lines[i]));
	return d;
}

static cJSON *quality_json(const char *task, const struct drift_quality_side *q)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "rows", (double)q->n);
	if (strcmp(task, "regression") == 0) {
		add_num(o, "mae", q->mae);
		add_num(o, "rmse", q->rmse);
		add_num(o, "r2", q->r2);
	} else {
		add_num(o, "accuracy", q->accuracy);
		add_num(o, "precision", q->precision);
		add_num(o, "recall", q->recall);
		add_num(o, "f1", q->f1);
		add_num(o, "roc_auc", q->roc_auc);
	}
	return o;
}

cJSON *drift_report_json(const struct drift_report *r)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddItemToObject(root, "baseline",
			      data_json(r->baseline, r->ref_rows, r->ref_bad, r->ref_bad_lines, r->ref_nbad_lines));
	cJSON_AddItemToObject(root, "current",
			      data_json(r->current, r->cur_rows, r->cur_bad, r->cur_bad_lines, r->cur_nbad_lines));
	cJSON *cols = cJSON_AddArrayToObject(root, "columns");
	for (size_t i = 0; i < r->ncols; i++) {
		const struct drift_col_result *c = &r->cols[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", c->name);
		cJSON_AddStringToObject(o, "role", role_name(c->role));
		cJSON_AddStringToObject(o, "type", drift_type_name(c->type));
		cJSON_AddStringToObject(o, "current_type", drift_type_name(c->cur_type));
		cJSON_AddItemToObject(o, "baseline_values", side_json(c->ref_rows, c->ref_missing, c->ref_unparseable, c->ref_n));
		cJSON_AddItemToObject(o, "current_values", side_json(c->cur_rows, c->cur_missing, c->cur_unparseable, c->cur_n));
		cJSON_AddNumberToObject(o, "distinct", (double)c->distinct);
		if (c->test == DRIFT_TEST_NONE)
			cJSON_AddNullToObject(o, "test");
		else
			cJSON_AddStringToObject(o, "test", drift_test_name(c->test));
		cJSON_AddBoolToObject(o, "test_forced", c->test_forced);
		add_num(o, "statistic", c->statistic);
		add_num(o, "p_value", c->pvalue);
		add_num(o, "threshold", c->threshold);
		cJSON_AddBoolToObject(o, "drifted", c->drifted);
		if (c->test == DRIFT_TEST_WASSERSTEIN)
			add_num(o, "wasserstein_distance", c->raw);
		add_num(o, "linf", c->linf);
		add_num(o, "linf_robust", c->linf_robust);
		if (c->has_compare) {
			add_num(o, "ks_statistic", c->ks_statistic);
			add_num(o, "ks_p_value", c->ks_pvalue);
		}
		if (c->note)
			cJSON_AddStringToObject(o, "note", c->note);
		else
			cJSON_AddNullToObject(o, "note");
		cJSON_AddItemToArray(cols, o);
	}
	cJSON_AddItemToObject(root, "missing_columns",
			      json_string_array((const char *const *)r->missing_columns, r->nmissing_columns));
	cJSON_AddItemToObject(root, "extra_columns",
			      json_string_array((const char *const *)r->extra_columns, r->nextra_columns));
	cJSON *s = cJSON_AddObjectToObject(root, "summary");
	cJSON_AddNumberToObject(s, "columns", (double)r->ncols);
	cJSON_AddNumberToObject(s, "tested", (double)r->tested);
	cJSON_AddNumberToObject(s, "drifted", (double)r->drifted);
	cJSON_AddNumberToObject(s, "share", r->share);
	cJSON_AddNumberToObject(s, "drift_share", r->drift_share);
	cJSON_AddBoolToObject(s, "dataset_drift", r->dataset_drift);
	cJSON_AddBoolToObject(s, "drift", r->any_drift);
	if (r->task) {
		cJSON *q = cJSON_AddObjectToObject(root, "model_quality");
		cJSON_AddStringToObject(q, "task", r->task);
		if (r->positive_label)
			cJSON_AddStringToObject(q, "positive_label", r->positive_label);
		else
			cJSON_AddNullToObject(q, "positive_label");
		cJSON_AddItemToObject(q, "baseline", quality_json(r->task, &r->quality[0]));
		cJSON_AddItemToObject(q, "current", quality_json(r->task, &r->quality[1]));
	} else {
		cJSON_AddNullToObject(root, "model_quality");
	}
	return root;
}

static char *clean(const char *s)
{
	return sanitize_str(s, strlen(s), 0);
}

static void score_text(char *out, size_t n, const struct drift_col_result *c)
{
	if (c->test == DRIFT_TEST_NONE)
		snprintf(out, n, "-");
	else if (drift_test_has_pvalue(c->test))
		snprintf(out, n, "p=%.3g", c->pvalue);
	else
		snprintf(out, n, "%.4g", c->statistic);
}

static const char *verdict(int drifted, int known)
{
	return !known ? "-" : drifted ? "DRIFT" : "ok";
}

void drift_report_print(FILE *out, const struct drift_report *r)
{
	size_t w = 6;
	for (size_t i = 0; i < r->ncols; i++)
		if (strlen(r->cols[i].name) > w)
			w = strlen(r->cols[i].name) < 32 ? strlen(r->cols[i].name) : 32;
	if (r->compare)
		fprintf(out, "%-*s  %-11s  %-13s  %-9s  %-7s  %-8s  %-8s  %-8s  %-8s\n", (int)w, "COLUMN", "TYPE", "TEST",
			"SCORE", "DEFAULT", "LINF", "LINF_ROB", "KS", "AGREE");
	else
		fprintf(out, "%-*s  %-11s  %7s  %-13s  %-11s  %-9s  %s\n", (int)w, "COLUMN", "TYPE", "MISSING", "TEST",
			"SCORE", "THRESHOLD", "DRIFT");
	for (size_t i = 0; i < r->ncols; i++) {
		const struct drift_col_result *c = &r->cols[i];
		char *name = clean(c->name), score[32], thr[32], type[32];
		snprintf(type, sizeof type, "%s%s", drift_type_name(c->type),
			 c->role == DRIFT_ROLE_TARGET ? "*T" : c->role == DRIFT_ROLE_PREDICTION ? "*P" : "");
		score_text(score, sizeof score, c);
		if (isnan(c->threshold))
			snprintf(thr, sizeof thr, "-");
		else
			snprintf(thr, sizeof thr, "%s%.3g", drift_test_has_pvalue(c->test) ? "p<" : "", c->threshold);
		int known = c->test != DRIFT_TEST_NONE;
		if (r->compare) {
			int lf = c->linf > 0.1, lr = c->linf_robust > 0.1, ks = c->ks_pvalue < 0.05;
			int has_ks = !isnan(c->ks_pvalue);
			int agree = !known || (lf == c->drifted && lr == c->drifted && (!has_ks || ks == c->drifted));
			fprintf(out, "%-*.*s  %-11s  %-13s  %-9s  %-7s  %-8s  %-8s  %-8s  %s\n", (int)w, (int)w, name, type,
				known ? drift_test_name(c->test) : "-", score, verdict(c->drifted, known),
				verdict(lf, known), verdict(lr, known), verdict(ks, known && has_ks),
				agree ? "" : "<- differ");
		} else {
			double miss = c->cur_rows ? 100.0 * (double)c->cur_missing / (double)c->cur_rows : 0;
			fprintf(out, "%-*.*s  %-11s  %6.1f%%  %-13s  %-11s  %-9s  %s\n", (int)w, (int)w, name, type, miss,
				known ? drift_test_name(c->test) : "-", score, thr, verdict(c->drifted, known));
		}
		if (c->note) {
			char *note = clean(c->note);
			fprintf(out, "%-*s  (%s)\n", (int)w, "", note);
			free(note);
		}
		free(name);
	}
	for (size_t i = 0; i < r->nmissing_columns; i++) {
		char *name = clean(r->missing_columns[i]);
		fprintf(out, "%-*.*s  missing from the current data\n", (int)w, (int)w, name);
		free(name);
	}
	fprintf(out, "\n%zu of %zu columns drifted (%.1f%%): %s (threshold %.0f%%)\n", r->drifted, r->tested,
		100 * r->share, r->dataset_drift ? "dataset drift" : "no dataset drift", 100 * r->drift_share);
	if (r->ref_bad || r->cur_bad)
		fprintf(out, "bad rows left out: baseline %llu, current %llu\n", (unsigned long long)r->ref_bad,
			(unsigned long long)r->cur_bad);
	if (r->task) {
		fprintf(out, "\nmodel quality (%s%s%s):\n", r->task, r->positive_label ? ", positive label " : "",
			r->positive_label ? r->positive_label : "");
		const char *names[] = { "accuracy", "precision", "recall", "f1", "roc_auc", "mae", "rmse", "r2" };
		for (int k = 0; k < 8; k++) {
			const struct drift_quality_side *q0 = &r->quality[0], *q1 = &r->quality[1];
			double v0[] = { q0->accuracy, q0->precision, q0->recall, q0->f1, q0->roc_auc, q0->mae, q0->rmse, q0->r2 };
			double v1[] = { q1->accuracy, q1->precision, q1->recall, q1->f1, q1->roc_auc, q1->mae, q1->rmse, q1->r2 };
			if (isnan(v0[k]) && isnan(v1[k]))
				continue;
			fprintf(out, "  %-10s baseline %-10.4g current %-10.4g change %+.4g\n", names[k], v0[k], v1[k],
				v1[k] - v0[k]);
		}
	}
}
