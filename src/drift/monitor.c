#include "drift/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "drift/stats.h"

#define KLL_C 0.64
#define TOP_BUCKETS 1000

/* ------------------------------------------------------------ writing */

int monitor_write_json(const char *dir, const char *name, const cJSON *doc, struct err *e)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return err_errno(e, "cannot create the directory %s", dir);
	char *text = cJSON_Print(doc);
	if (!text)
		return err_set(e, "cannot format %s", name);
	char *path = xasprintf("%s/%s", dir, name), *tmp = xasprintf("%s/.%s.tmp", dir, name);
	int rc = 0;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = err_errno(e, "cannot write %s", tmp);
	} else {
		size_t len = strlen(text), done = 0;
		while (done < len) {
			ssize_t w = write(fd, text + done, len - done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				rc = err_errno(e, "cannot write %s", tmp);
				break;
			}
			done += (size_t)w;
		}
		if (rc == 0 && write(fd, "\n", 1) != 1)
			rc = err_errno(e, "cannot write %s", tmp);
		if (close(fd) != 0 && rc == 0)
			rc = err_errno(e, "cannot write %s", tmp);
		if (rc == 0 && rename(tmp, path) != 0)
			rc = err_errno(e, "cannot rename %s to %s", tmp, path);
		if (rc != 0)
			unlink(tmp);
	}
	free(text);
	free(path);
	free(tmp);
	return rc;
}

static const char *mm_type(const struct drift_column *c, const double *v, size_t n)
{
	if (c->type == DRIFT_EMPTY)
		return "Unknown";
	if (c->type != DRIFT_NUMERIC)
		return "String";
	for (size_t i = 0; i < n; i++)
		if (v[i] != floor(v[i]) || fabs(v[i]) > 9007199254740992.0)
			return "Fractional";
	return "Integral";
}

static int cmp_count_desc(const void *a, const void *b)
{
	const struct drift_category *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->value, y->value);
}

/* One KLL level holding every 2^L-th value, L the least level that fits k items. */
static cJSON *sketch_json(const double *v, size_t n)
{
	cJSON *kll = cJSON_CreateObject();
	cJSON *p = cJSON_AddObjectToObject(kll, "parameters");
	cJSON_AddNumberToObject(p, "c", KLL_C);
	cJSON_AddNumberToObject(p, "k", MONITOR_KLL_K);
	cJSON *data = cJSON_AddArrayToObject(kll, "data");
	int level = 0;
	while (((n + ((size_t)1 << level) - 1) >> level) > MONITOR_KLL_K)
		level++;
	for (int l = 0; l < level; l++)
		cJSON_AddItemToArray(data, cJSON_CreateArray());
	cJSON *items = cJSON_CreateArray();
	size_t step = (size_t)1 << level, off = level ? step / 2 : 0;
	for (size_t i = off; i < n; i += step)
		cJSON_AddItemToArray(items, cJSON_CreateNumber(v[i]));
	cJSON_AddItemToArray(data, items);
	return kll;
}

static cJSON *numeric_stats(const struct drift_column *c, const double *v, size_t n)
{
	cJSON *ns = cJSON_CreateObject();
	cJSON *common = cJSON_AddObjectToObject(ns, "common");
	cJSON_AddNumberToObject(common, "num_present", (double)n);
	cJSON_AddNumberToObject(common, "num_missing", (double)(c->missing + c->unparseable));
	if (n == 0)
		return ns;
	cJSON_AddNumberToObject(ns, "mean", c->sum / (double)n);
	cJSON_AddNumberToObject(ns, "sum", c->sum);
	cJSON_AddNumberToObject(ns, "std_dev", drift_std(v, n));
	cJSON_AddNumberToObject(ns, "min", v[0]);
	cJSON_AddNumberToObject(ns, "max", v[n - 1]);
	cJSON *kll = cJSON_AddObjectToObject(cJSON_AddObjectToObject(ns, "distribution"), "kll");
	cJSON *buckets = cJSON_AddArrayToObject(kll, "buckets");
	double lo = v[0], hi = v[n - 1], w = (hi - lo) / MONITOR_BUCKETS;
	size_t at = 0;
	for (int b = 0; b < MONITOR_BUCKETS; b++) {
		double lower = lo + w * b, upper = b == MONITOR_BUCKETS - 1 ? hi : lo + w * (b + 1);
		size_t start = at;
		if (b == MONITOR_BUCKETS - 1)
			at = n;
		else
			while (at < n && v[at] < upper)
				at++;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "lower_bound", lower);
		cJSON_AddNumberToObject(o, "upper_bound", upper);
		cJSON_AddNumberToObject(o, "count", (double)(at - start));
		cJSON_AddItemToArray(buckets, o);
	}
	cJSON *sk = sketch_json(v, n);
	cJSON_AddItemToObject(kll, "sketch", sk);
	return ns;
}

static cJSON *string_stats(const struct drift_column *c, struct drift_category *cats, size_t ncats)
{
	cJSON *ss = cJSON_CreateObject();
	cJSON *common = cJSON_AddObjectToObject(ss, "common");
	uint64_t present = 0;
	for (size_t i = 0; i < ncats; i++)
		present += cats[i].count;
	cJSON_AddNumberToObject(common, "num_present", (double)present);
	cJSON_AddNumberToObject(common, "num_missing", (double)c->missing);
	cJSON_AddNumberToObject(ss, "distinct_count", (double)ncats);
	cJSON *buckets = cJSON_AddArrayToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(ss, "distribution"),
									   "categorical"),
						"buckets");
	qsort(cats, ncats, sizeof *cats, cmp_count_desc);
	for (size_t i = 0; i < ncats && i < TOP_BUCKETS; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "value", cats[i].value);
		cJSON_AddNumberToObject(o, "count", (double)cats[i].count);
		cJSON_AddItemToArray(buckets, o);
	}
	return ss;
}

int monitor_write_baseline(struct drift_data *d, const char *dir, const struct monitor_baseline_opts *o, struct err *e)
{
	cJSON *stats = cJSON_CreateObject(), *cons = cJSON_CreateObject();
	cJSON_AddNumberToObject(stats, "version", 0);
	cJSON_AddNumberToObject(cJSON_AddObjectToObject(stats, "dataset"), "item_count", (double)d->rows);
	cJSON *sf = cJSON_AddArrayToObject(stats, "features");
	cJSON_AddNumberToObject(cons, "version", 0);
	cJSON *cf = cJSON_AddArrayToObject(cons, "features");
	int rc = 0;
	for (size_t i = 0; i < d->ncols && rc == 0; i++) {
		struct drift_column *c = &d->cols[i];
		size_t n = 0;
		double *v = NULL;
		if (c->type == DRIFT_NUMERIC) {
			v = drift_column_values(c, &n, e);
			if (!v) {
				rc = -1;
				break;
			}
		}
		const char *type = mm_type(c, v, n);
		cJSON *f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "name", c->name);
		cJSON_AddStringToObject(f, "inferred_type", type);
		cJSON *g = cJSON_CreateObject();
		cJSON_AddStringToObject(g, "name", c->name);
		cJSON_AddStringToObject(g, "inferred_type", type);
		double present = c->type == DRIFT_NUMERIC ? (double)n : (double)(d->rows - c->missing);
		cJSON_AddNumberToObject(g, "completeness", d->rows ? present / (double)d->rows : 1.0);
		if (c->type == DRIFT_NUMERIC) {
			cJSON_AddItemToObject(f, "numerical_statistics", numeric_stats(c, v, n));
			cJSON_AddBoolToObject(cJSON_AddObjectToObject(g, "num_constraints"), "is_non_negative",
					      n == 0 || v[0] >= 0);
		} else if (c->type != DRIFT_EMPTY) {
			struct drift_category *cats;
			size_t ncats;
			if (drift_column_categories(c, &cats, &ncats, e) != 0) {
				cJSON_Delete(f);
				cJSON_Delete(g);
				rc = -1;
				break;
			}
			if (ncats <= MONITOR_DOMAIN_MAX && !c->too_many_categories) {
				cJSON *dom = cJSON_AddArrayToObject(cJSON_AddObjectToObject(g, "string_constraints"), "domains");
				for (size_t k = 0; k < ncats; k++)
					cJSON_AddItemToArray(dom, cJSON_CreateString(cats[k].value));
			}
			cJSON_AddItemToObject(f, "string_statistics", string_stats(c, cats, ncats));
			for (size_t k = 0; k < ncats; k++)
				free(cats[k].value);
			free(cats);
		}
		cJSON_AddObjectToObject(g, "monitoringConfigOverrides");
		cJSON_AddItemToArray(sf, f);
		cJSON_AddItemToArray(cf, g);
		free(v);
	}
	cJSON *mc = cJSON_AddObjectToObject(cons, "monitoring_config");
	cJSON_AddStringToObject(mc, "evaluate_constraints", "Enabled");
	cJSON_AddStringToObject(mc, "emit_metrics", "Enabled");
	cJSON_AddNumberToObject(mc, "datatype_check_threshold", 0.1);
	cJSON_AddNumberToObject(mc, "domain_content_threshold", 0.1);
	cJSON *dc = cJSON_AddObjectToObject(mc, "distribution_constraints");
	cJSON_AddStringToObject(dc, "perform_comparison", "Enabled");
	cJSON_AddNumberToObject(dc, "comparison_threshold", o->comparison_threshold);
	cJSON_AddStringToObject(dc, "comparison_method", o->robust ? "Robust" : "Simple");
	cJSON_AddNumberToObject(dc, "categorical_comparison_threshold", o->comparison_threshold);
	cJSON_AddStringToObject(dc, "categorical_drift_method", "LInfinity");
	if (rc == 0)
		rc = monitor_write_json(dir, "statistics.json", stats, e);
	if (rc == 0)
		rc = monitor_write_json(dir, "constraints.json", cons, e);
	cJSON_Delete(stats);
	cJSON_Delete(cons);
	return rc;
}

/* ------------------------------------------------------------ reading */

struct wpoint {
	double x, w;
};

struct mfeature {
	char *name, *type;
	double completeness;       /* NaN when absent */
	char **domains;
	size_t ndomains;
	int has_domains;
	double num_present;
	struct wpoint *points;     /* numeric: sketch items or bucket tops, sorted */
	size_t npoints;
	double total_weight;
	struct drift_category *cats;
	size_t ncats;
};

struct monitor_baseline {
	struct mfeature *f;
	size_t n;
	int evaluate, compare, robust, chi2;
	double datatype_threshold, domain_threshold, comparison_threshold, categorical_threshold;
};

static cJSON *parse_doc(const char *where, const char *name, const char *text, size_t len, struct err *e)
{
	cJSON *doc = cJSON_ParseWithLength(text ? text : "", len);
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		err_set(e, "%s/%s is not a JSON object as Model Monitor writes it", where, name);
		return NULL;
	}
	return doc;
}

static cJSON *read_json_file(const char *dir, const char *name, struct err *e)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		err_errno(e, "cannot open %s", path);
		free(path);
		return NULL;
	}
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, got);
	fclose(f);
	free(path);
	cJSON *doc = parse_doc(dir, name, buf_str(&b), b.len, e);
	buf_free(&b);
	return doc;
}

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static double num_or(const cJSON *o, const char *k, double def)
{
	const cJSON *v = get(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : def;
}

static const char *str_or(const cJSON *o, const char *k, const char *def)
{
	const cJSON *v = get(o, k);
	return cJSON_IsString(v) ? v->valuestring : def;
}

static int cmp_wpoint(const void *a, const void *b)
{
	double x = ((const struct wpoint *)a)->x, y = ((const struct wpoint *)b)->x;
	return x < y ? -1 : x > y;
}

static void push_point(struct mfeature *f, size_t *cap, double x, double w)
{
	f->points = xgrow(f->points, cap, f->npoints + 1, sizeof *f->points);
	f->points[f->npoints++] = (struct wpoint){ x, w };
	f->total_weight += w;
}

static void read_numeric(struct mfeature *f, const cJSON *ns)
{
	f->num_present = num_or(get(ns, "common"), "num_present", 0);
	const cJSON *kll = get(get(ns, "distribution"), "kll");
	const cJSON *data = get(get(kll, "sketch"), "data");
	size_t cap = 0;
	if (cJSON_IsArray(data)) {
		int level = 0;
		for (const cJSON *lv = data->child; lv; lv = lv->next, level++)
			for (const cJSON *it = cJSON_IsArray(lv) ? lv->child : NULL; it; it = it->next)
				if (cJSON_IsNumber(it) && level < 60)
					push_point(f, &cap, it->valuedouble, ldexp(1, level));
	}
	if (f->npoints == 0) {
		const cJSON *b = get(kll, "buckets");
		for (const cJSON *it = cJSON_IsArray(b) ? b->child : NULL; it; it = it->next) {
			double c = num_or(it, "count", 0);
			if (c > 0)
				push_point(f, &cap, num_or(it, "upper_bound", NAN), c);
		}
	}
	if (f->npoints)
		qsort(f->points, f->npoints, sizeof *f->points, cmp_wpoint);
}

static void read_string(struct mfeature *f, const cJSON *ss)
{
	f->num_present = num_or(get(ss, "common"), "num_present", 0);
	const cJSON *b = get(get(get(ss, "distribution"), "categorical"), "buckets");
	size_t n = (size_t)cJSON_GetArraySize(b);
	f->cats = xcalloc(n ? n : 1, sizeof *f->cats);
	for (const cJSON *it = cJSON_IsArray(b) ? b->child : NULL; it; it = it->next) {
		const cJSON *v = get(it, "value");
		char tmp[40];
		const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
		if (!s && cJSON_IsNumber(v)) {
			char *l = drift_number_label(v->valuedouble);
			snprintf(tmp, sizeof tmp, "%s", l);
			free(l);
			s = tmp;
		}
		if (!s)
			continue;
		f->cats[f->ncats++] = (struct drift_category){ xstrdup(s), (uint64_t)num_or(it, "count", 0) };
	}
}

static struct mfeature *find_feature(struct monitor_baseline *b, const char *name)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->f[i].name, name) == 0)
			return &b->f[i];
	return NULL;
}

static int enabled(const cJSON *o, const char *k)
{
	const char *s = str_or(o, k, "Enabled");
	return strcasecmp(s, "Disabled") != 0;
}

/* Takes both documents. */
static struct monitor_baseline *baseline_from(const char *dir, cJSON *stats, cJSON *cons, struct err *e)
{
	struct monitor_baseline *b = xcalloc(1, sizeof *b);
	const cJSON *sf = get(stats, "features"), *cf = get(cons, "features");
	if (!cJSON_IsArray(sf) || !cJSON_IsArray(cf)) {
		err_set(e, "%s: statistics.json and constraints.json need a \"features\" array", dir);
		cJSON_Delete(stats);
		cJSON_Delete(cons);
		free(b);
		return NULL;
	}
	size_t cap = (size_t)cJSON_GetArraySize(sf) + (size_t)cJSON_GetArraySize(cf) + 1;
	b->f = xcalloc(cap, sizeof *b->f);
	for (const cJSON *it = sf->child; it; it = it->next) {
		const char *name = str_or(it, "name", NULL);
		if (!name || find_feature(b, name))
			continue;
		struct mfeature *f = &b->f[b->n++];
		f->name = xstrdup(name);
		f->type = xstrdup(str_or(it, "inferred_type", "Unknown"));
		f->completeness = NAN;
		if (get(it, "numerical_statistics"))
			read_numeric(f, get(it, "numerical_statistics"));
		else if (get(it, "string_statistics"))
			read_string(f, get(it, "string_statistics"));
	}
	for (const cJSON *it = cf->child; it; it = it->next) {
		const char *name = str_or(it, "name", NULL);
		if (!name)
			continue;
		struct mfeature *f = find_feature(b, name);
		if (!f) {
			f = &b->f[b->n++];
			f->name = xstrdup(name);
			f->type = xstrdup(str_or(it, "inferred_type", "Unknown"));
		}
		f->completeness = num_or(it, "completeness", NAN);
		const cJSON *dom = get(get(it, "string_constraints"), "domains");
		if (cJSON_IsArray(dom)) {
			f->has_domains = 1;
			size_t n = (size_t)cJSON_GetArraySize(dom);
			f->domains = xcalloc(n ? n : 1, sizeof *f->domains);
			for (const cJSON *d = dom->child; d; d = d->next)
				if (cJSON_IsString(d))
					f->domains[f->ndomains++] = xstrdup(d->valuestring);
		}
	}
	const cJSON *mc = get(cons, "monitoring_config"), *dc = get(mc, "distribution_constraints");
	b->evaluate = enabled(mc, "evaluate_constraints");
	b->datatype_threshold = num_or(mc, "datatype_check_threshold", 0.1);
	b->domain_threshold = num_or(mc, "domain_content_threshold", 0.1);
	b->compare = enabled(dc, "perform_comparison");
	b->comparison_threshold = num_or(dc, "comparison_threshold", 0.1);
	b->categorical_threshold = num_or(dc, "categorical_comparison_threshold", b->comparison_threshold);
	const char *method = str_or(dc, "comparison_method", "Simple");
	b->robust = strcasecmp(method, "Robust") == 0 || strcasecmp(method, "linf_robust") == 0;
	b->chi2 = strcasecmp(str_or(dc, "categorical_drift_method", "LInfinity"), "ChiSquared") == 0;
	cJSON_Delete(stats);
	cJSON_Delete(cons);
	return b;
}

struct monitor_baseline *monitor_read_baseline(const char *dir, struct err *e)
{
	cJSON *stats = read_json_file(dir, "statistics.json", e);
	if (!stats)
		return NULL;
	cJSON *cons = read_json_file(dir, "constraints.json", e);
	if (!cons) {
		cJSON_Delete(stats);
		return NULL;
	}
	return baseline_from(dir, stats, cons, e);
}

struct monitor_baseline *monitor_parse_baseline(const char *where, const char *stats, size_t stats_len,
						const char *cons, size_t cons_len, struct err *e)
{
	cJSON *s = parse_doc(where, "statistics.json", stats, stats_len, e);
	if (!s)
		return NULL;
	cJSON *c = parse_doc(where, "constraints.json", cons, cons_len, e);
	if (!c) {
		cJSON_Delete(s);
		return NULL;
	}
	return baseline_from(where, s, c, e);
}

void monitor_baseline_free(struct monitor_baseline *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++) {
		struct mfeature *f = &b->f[i];
		free(f->name);
		free(f->type);
		for (size_t k = 0; k < f->ndomains; k++)
			free(f->domains[k]);
		free(f->domains);
		free(f->points);
		for (size_t k = 0; k < f->ncats; k++)
			free(f->cats[k].value);
		free(f->cats);
	}
	free(b->f);
	free(b);
}

size_t monitor_check_types(const struct monitor_baseline *b, const struct drift_type_override *given, size_t ngiven,
			   struct drift_type_override **out)
{
	struct drift_type_override *v = xcalloc(b->n + ngiven + 1, sizeof *v);
	size_t n = 0;
	for (size_t i = 0; i < b->n; i++) {
		const char *t = b->f[i].type;
		if (strcmp(t, "Integral") == 0 || strcmp(t, "Fractional") == 0)
			v[n++] = (struct drift_type_override){ b->f[i].name, DRIFT_NUMERIC };
		else if (strcmp(t, "String") == 0)
			v[n++] = (struct drift_type_override){ b->f[i].name, DRIFT_CATEGORICAL };
	}
	for (size_t i = 0; i < ngiven; i++) {
		size_t k;
		for (k = 0; k < n && strcmp(v[k].column, given[i].column) != 0; k++)
			;
		v[k] = given[i];
		if (k == n)
			n++;
	}
	*out = v;
	return n;
}

/* ------------------------------------------------------------ checking */

static void violation(cJSON *list, const char *feature, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void violation(cJSON *list, const char *feature, const char *type, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *desc = xvasprintf(fmt, ap);
	va_end(ap);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "feature_name", feature);
	cJSON_AddStringToObject(o, "constraint_check_type", type);
	cJSON_AddStringToObject(o, "description", desc);
	cJSON_AddItemToArray(list, o);
	free(desc);
}

static char *shortest(double v)
{
	return drift_number_label(v);
}

static void drift_violation(cJSON *list, const char *feature, const char *what, double value, const char *relation,
			    double threshold)
{
	char *a = shortest(value), *b = shortest(threshold);
	violation(list, feature, "baseline_drift_check", "Baseline drift %s: %s %s threshold: %s", what, a, relation, b);
	free(a);
	free(b);
}

/* sup |F_baseline - F_current| with the baseline as weighted points. */
static double linf_points(const struct wpoint *p, size_t np, double wt, const double *v, size_t n)
{
	double best = 0, acc = 0;
	size_t i = 0, j = 0;
	while (i < np || j < n) {
		double x = (j >= n || (i < np && p[i].x <= v[j])) ? p[i].x : v[j];
		while (i < np && p[i].x <= x)
			acc += p[i++].w;
		while (j < n && v[j] <= x)
			j++;
		double d = fabs(acc / wt - (double)j / (double)n);
		if (d > best)
			best = d;
	}
	return best;
}

static int in_domain(const struct mfeature *f, const char *s)
{
	double x, y;
	int sn = drift_parse_number(s, strlen(s), &x);
	for (size_t i = 0; i < f->ndomains; i++) {
		if (strcmp(f->domains[i], s) == 0)
			return 1;
		if (sn && drift_parse_number(f->domains[i], strlen(f->domains[i]), &y) && x == y)
			return 1;
	}
	return 0;
}

static void score_set(struct monitor_score *sc, const char *method, double score, double threshold, int drifted)
{
	if (!sc)
		return;
	sc->method = method;
	sc->score = score;
	sc->threshold = threshold;
	sc->drifted = drifted;
	sc->compared = 1;
}

static int check_feature(const struct monitor_baseline *b, const struct mfeature *f, struct drift_data *d,
			 struct drift_column *c, cJSON *list, struct monitor_score *sc, struct err *e)
{
	int numeric_base = strcmp(f->type, "Integral") == 0 || strcmp(f->type, "Fractional") == 0;
	uint64_t nonmissing = d->rows - c->missing;
	/* data type */
	if (numeric_base && nonmissing > 0) {
		uint64_t mismatch = c->type == DRIFT_NUMERIC ? c->unparseable : nonmissing;
		if (c->type == DRIFT_NUMERIC && strcmp(f->type, "Integral") == 0) {
			size_t n;
			double *v = drift_column_values(c, &n, e);
			if (!v)
				return -1;
			for (size_t i = 0; i < n; i++)
				mismatch += v[i] != floor(v[i]);
			free(v);
		}
		double share = (double)mismatch / (double)nonmissing;
		if (share > b->datatype_threshold)
			violation(list, f->name, "data_type_check",
				  "Data type of the feature differs from the baseline: expected %s, %.4g of the values are "
				  "not (threshold: %g)",
				  f->type, share, b->datatype_threshold);
	}
	/* completeness */
	double completeness = d->rows ? (double)nonmissing / (double)d->rows : 1.0;
	if (numeric_base && c->type == DRIFT_NUMERIC && d->rows)
		completeness = (double)c->present / (double)d->rows;
	if (!isnan(f->completeness) && completeness < f->completeness - 1e-12)
		violation(list, f->name, "completeness_check",
			  "Data completeness is below the baseline: completeness: %.6g, baseline completeness: %.6g",
			  completeness, f->completeness);
	/* domains */
	if (!numeric_base && f->has_domains && nonmissing > 0) {
		struct drift_category *cats;
		size_t ncats;
		if (drift_column_categories(c, &cats, &ncats, e) != 0)
			return -1;
		uint64_t unknown = 0, total = 0;
		size_t shown = 0;
		struct buf ex = BUF_INIT;
		for (size_t i = 0; i < ncats; i++) {
			total += cats[i].count;
			if (!in_domain(f, cats[i].value)) {
				unknown += cats[i].count;
				if (shown++ < 5)
					buf_printf(&ex, "%s%s", shown > 1 ? ", " : "", cats[i].value);
			}
		}
		double share = total ? (double)unknown / (double)total : 0;
		if (share > b->domain_threshold)
			violation(list, f->name, "categorical_values_check",
				  "Values outside the baseline domain: %.4g of the values (threshold: %g), e.g. %s", share,
				  b->domain_threshold, buf_str(&ex));
		buf_free(&ex);
		for (size_t i = 0; i < ncats; i++)
			free(cats[i].value);
		free(cats);
	}
	/* distribution */
	if (!b->compare)
		return 0;
	if (numeric_base && c->type == DRIFT_NUMERIC && f->npoints && c->present) {
		size_t n;
		double *v = drift_column_values(c, &n, e);
		if (!v)
			return -1;
		double dist = linf_points(f->points, f->npoints, f->total_weight, v, n);
		if (sc) {
			double *x = xcalloc(f->npoints, sizeof *x), *w = xcalloc(f->npoints, sizeof *w);
			for (size_t i = 0; i < f->npoints; i++) {
				x[i] = f->points[i].x;
				w[i] = f->points[i].w;
			}
			sc->numeric = 1;
			drift_dist_numeric(&sc->dist, x, w, f->npoints, v, n, DRIFT_DIST_BINS);
			free(x);
			free(w);
		}
		free(v);
		if (b->robust)
			dist = drift_linf_robust(dist, f->total_weight, (double)n);
		score_set(sc, b->robust ? "linf_robust" : "linf_simple", dist, b->comparison_threshold,
			  dist > b->comparison_threshold);
		if (dist > b->comparison_threshold)
			drift_violation(list, f->name, "distance", dist, "exceeds", b->comparison_threshold);
	} else if (!numeric_base && f->ncats && nonmissing > 0) {
		struct drift_category *cats;
		size_t ncats;
		if (drift_column_categories(c, &cats, &ncats, e) != 0)
			return -1;
		size_t k = f->ncats + ncats;
		double *ref = xcalloc(k, sizeof *ref), *cur = xcalloc(k, sizeof *cur);
		for (size_t i = 0; i < f->ncats; i++)
			ref[i] = (double)f->cats[i].count;
		size_t used = f->ncats;
		for (size_t j = 0; j < ncats; j++) {
			size_t i;
			for (i = 0; i < f->ncats && strcmp(f->cats[i].value, cats[j].value) != 0; i++)
				;
			if (i < f->ncats)
				cur[i] += (double)cats[j].count;
			else
				cur[used++] = (double)cats[j].count;
		}
		double n1 = 0, n2 = 0;
		for (size_t i = 0; i < used; i++) {
			n1 += ref[i];
			n2 += cur[i];
		}
		if (sc)
			drift_dist_categories(&sc->dist, f->cats, f->ncats, cats, ncats, DRIFT_DIST_TOP);
		if (b->chi2) {
			struct chi2_result r;
			drift_chi2(ref, cur, used, &r);
			score_set(sc, "chisquare", r.pvalue, b->categorical_threshold, r.pvalue < b->categorical_threshold);
			if (r.pvalue < b->categorical_threshold)
				drift_violation(list, f->name, "chi-square p-value", r.pvalue, "is below",
						b->categorical_threshold);
		} else {
			double dist = drift_linf_counts(ref, cur, used);
			if (b->robust)
				dist = drift_linf_robust(dist, n1, n2);
			score_set(sc, b->robust ? "linf_robust" : "linf_simple", dist, b->categorical_threshold,
				  dist > b->categorical_threshold);
			if (dist > b->categorical_threshold)
				drift_violation(list, f->name, "distance", dist, "exceeds", b->categorical_threshold);
		}
		free(ref);
		free(cur);
		for (size_t i = 0; i < ncats; i++)
			free(cats[i].value);
		free(cats);
	}
	return 0;
}

cJSON *monitor_check(const struct monitor_baseline *b, struct drift_data *d, struct err *e)
{
	return monitor_check_scored(b, d, NULL, NULL, e);
}

void monitor_scores_free(struct monitor_score *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++) {
		free(s[i].name);
		drift_dist_free(&s[i].dist);
	}
	free(s);
}

size_t monitor_feature_count(const struct monitor_baseline *b)
{
	return b->n;
}

const char *monitor_feature_name(const struct monitor_baseline *b, size_t i)
{
	return i < b->n ? b->f[i].name : NULL;
}

cJSON *monitor_check_scored(const struct monitor_baseline *b, struct drift_data *d, struct monitor_score **scores,
			    size_t *nscores, struct err *e)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *list = cJSON_AddArrayToObject(doc, "violations");
	struct monitor_score *sc = NULL;
	if (scores) {
		sc = xcalloc(b->n ? b->n : 1, sizeof *sc);
		for (size_t i = 0; i < b->n; i++) {
			sc[i].name = xstrdup(b->f[i].name);
			sc[i].numeric = strcmp(b->f[i].type, "Integral") == 0 || strcmp(b->f[i].type, "Fractional") == 0;
			sc[i].score = sc[i].threshold = NAN;
		}
		*scores = sc;
		*nscores = b->n;
	}
	if (!b->evaluate)
		return doc;
	for (size_t i = 0; i < b->n; i++) {
		const struct mfeature *f = &b->f[i];
		struct drift_column *c = drift_data_column(d, f->name);
		if (!c) {
			violation(list, f->name, "missing_column_check",
				  "The baseline has column '%s'; the data does not", f->name);
			continue;
		}
		if (check_feature(b, f, d, c, list, sc ? &sc[i] : NULL, e) != 0) {
			cJSON_Delete(doc);
			if (scores) {
				monitor_scores_free(sc, b->n);
				*scores = NULL;
				*nscores = 0;
			}
			return NULL;
		}
	}
	for (size_t i = 0; i < d->ncols; i++) {
		int known = 0;
		for (size_t k = 0; k < b->n && !known; k++)
			known = strcmp(b->f[k].name, d->cols[i].name) == 0;
		if (!known)
			violation(list, d->cols[i].name, "extra_column_check",
				  "The data has column '%s'; the baseline does not", d->cols[i].name);
	}
	return doc;
}

/* ------------------------------------------------------------ printing */

static void cell(struct buf *out, const char *s, int width)
{
	char *safe = sanitize_str(s, strlen(s), 1);
	int cols = 0;
	size_t n = width > 0 ? sanitize_fit(safe, strlen(safe), width, &cols) : strlen(safe);
	buf_append(out, safe, n);
	if (width > 0)
		for (; cols < width + 2; cols++)
			buf_putc(out, ' ');
	free(safe);
}

void monitor_violations_text(const cJSON *doc, struct buf *out)
{
	const cJSON *list = get(doc, "violations"), *v;
	int n = cJSON_GetArraySize(list);
	if (!cJSON_IsArray(list) || n == 0) {
		buf_puts(out, "no violations\n");
		return;
	}
	int fw = 7;
	cJSON_ArrayForEach(v, list)
	{
		const char *raw = str_or(v, "feature_name", "-");
		char *f = sanitize_str(raw, strlen(raw), 1);
		int w = sanitize_width(f, strlen(f));
		free(f);
		if (w > fw)
			fw = w < 30 ? w : 30;
	}
	cell(out, "FEATURE", fw);
	cell(out, "CHECK", 26);
	buf_puts(out, "DESCRIPTION\n");
	cJSON_ArrayForEach(v, list)
	{
		cell(out, str_or(v, "feature_name", "-"), fw);
		cell(out, str_or(v, "constraint_check_type", "-"), 26);
		cell(out, str_or(v, "description", ""), 0);
		buf_putc(out, '\n');
	}
}
