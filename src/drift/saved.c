#include "drift/saved.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/json.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "drift/monitor.h"
#include "drift/report.h"
#include "jobs/registry.h"

static const char *const sort_names[DRIFT_SORT_COUNT] = { "severity", "name", "score", "missing" };

const char *drift_saved_sort_name(enum drift_saved_sort s)
{
	return (unsigned)s < DRIFT_SORT_COUNT ? sort_names[s] : "severity";
}

static int by_rank(const void *a, const void *b)
{
	const struct drift_saved_col *x = a, *y = b;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

static int by_name(const void *a, const void *b)
{
	const struct drift_saved_col *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : by_rank(a, b);
}

static int desc(double x, double y)
{
	int xn = isnan(x), yn = isnan(y);
	if (xn != yn)
		return xn - yn;
	return x > y ? -1 : x < y;
}

static int by_score(const void *a, const void *b)
{
	const struct drift_saved_col *x = a, *y = b;
	int c = desc(x->statistic, y->statistic);
	return c ? c : by_rank(a, b);
}

static int by_missing(const void *a, const void *b)
{
	const struct drift_saved_col *x = a, *y = b;
	int c = desc(x->missing_share, y->missing_share);
	return c ? c : by_rank(a, b);
}

void drift_saved_sort(struct drift_saved *s, enum drift_saved_sort by)
{
	int (*cmp[DRIFT_SORT_COUNT])(const void *, const void *) = { by_rank, by_name, by_score, by_missing };
	if ((unsigned)by < DRIFT_SORT_COUNT && s->ncols)
		qsort(s->cols, s->ncols, sizeof *s->cols, cmp[by]);
}

void drift_saved_free(struct drift_saved *s)
{
	for (size_t i = 0; i < s->ncols; i++) {
		struct drift_saved_col *c = &s->cols[i];
		free(c->name);
		free(c->type);
		free(c->role);
		free(c->test);
		free(c->note);
		free(c->metric);
		drift_dist_free(&c->dist);
	}
	free(s->cols);
	free(s->baseline);
	free(s->current);
	free(s->window);
	free(s->every);
	memset(s, 0, sizeof *s);
}

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static char *str_dup(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(get(o, k));
	return s ? xstrdup(s) : NULL;
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = get(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static double severity(const struct drift_saved_col *c)
{
	if (!c->test || isnan(c->statistic))
		return -1;
	if (!isnan(c->pvalue)) {
		if (c->pvalue <= 0)
			return 1e6;
		if (c->threshold <= 0 || c->threshold >= 1)
			return c->drifted ? 1 : 0;
		return log(c->pvalue) / log(c->threshold);
	}
	return c->threshold > 0 ? c->statistic / c->threshold : c->statistic;
}

int drift_saved_from_json(const cJSON *doc, struct drift_saved *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	const cJSON *cols = get(doc, "columns");
	if (!cJSON_IsObject(doc) || !cJSON_IsArray(cols))
		return err_set(e, "it is not a drift report (no \"columns\" list)");
	const cJSON *mon = get(doc, "monitor");
	out->monitor = cJSON_IsObject(mon);
	if (out->monitor) {
		out->checks = (int64_t)num(mon, "checks");
		out->window = str_dup(mon, "window");
		out->every = str_dup(mon, "every");
	}
	out->baseline = str_dup(get(doc, "baseline"), "path");
	out->current = str_dup(get(doc, "current"), "path");
	double r = num(get(doc, "baseline"), "rows"), c = num(get(doc, "current"), "rows");
	out->ref_rows = isnan(r) || r < 0 ? 0 : (uint64_t)r;
	out->cur_rows = isnan(c) || c < 0 ? 0 : (uint64_t)c;
	const cJSON *sum = get(doc, "summary");
	double t = num(sum, "tested"), d = num(sum, "drifted");
	out->tested = isnan(t) || t < 0 ? 0 : (size_t)t;
	out->drifted = isnan(d) || d < 0 ? 0 : (size_t)d;
	out->share = num(sum, "share");
	out->dataset_drift = cJSON_IsTrue(get(sum, "dataset_drift"));
	size_t n = (size_t)cJSON_GetArraySize(cols);
	out->cols = xcalloc(n ? n : 1, sizeof *out->cols);
	const cJSON *o;
	cJSON_ArrayForEach(o, cols)
	{
		const char *name = cJSON_GetStringValue(get(o, "name"));
		if (!name)
			continue;
		struct drift_saved_col *col = &out->cols[out->ncols];
		col->rank = out->ncols++;
		col->name = xstrdup(name);
		col->type = str_dup(o, "type");
		col->role = str_dup(o, "role");
		col->test = str_dup(o, "test");
		col->note = str_dup(o, "note");
		col->metric = str_dup(o, "metric");
		col->statistic = num(o, "statistic");
		col->pvalue = num(o, "p_value");
		col->threshold = num(o, "threshold");
		col->drifted = cJSON_IsTrue(get(o, "drifted"));
		col->missing_share = num(get(o, "current_values"), "missing_share");
		col->severity = severity(col);
		drift_dist_from_json(get(o, "distribution"), &col->dist);
	}
	return 0;
}

int drift_saved_load(const char *dir, struct drift_saved *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	if (!dir)
		return err_set(e, "the drift job has no directory");
	char *path = path_join(dir, DRIFT_REPORT_FILE);
	size_t len;
	char *text = path_read_file(path, &len, e);
	free(path);
	if (!text)
		return -1;
	cJSON *doc = json_parse(text, len, 0);
	free(text);
	if (!doc)
		return err_set(e, "%s/%s is not valid JSON", dir, DRIFT_REPORT_FILE);
	int rc = drift_saved_from_json(doc, out, e);
	cJSON_Delete(doc);
	return rc;
}

int drift_job_is_monitor(const struct job *j)
{
	if (!j->dir)
		return 0;
	char *p = path_join(j->dir, DRIFT_WATCH_FILE);
	int yes = path_is_file(p);
	free(p);
	return yes;
}

/* ------------------------------------------------------------ saving */

struct with_dists {
	const struct drift_report_opts *caller;
	struct drift_dist *dists;
	size_t n;
};

static void wrap_progress(void *ud, size_t done, size_t total, const char *column)
{
	const struct drift_report_opts *o = ((struct with_dists *)ud)->caller;
	o->progress(o->progress_ud, done, total, column);
}

static void wrap_column_done(void *ud, const struct drift_col_result *cols, size_t n, size_t total)
{
	const struct drift_report_opts *o = ((struct with_dists *)ud)->caller;
	o->column_done(o->progress_ud, cols, n, total);
}

static int keep_dists(void *ud, struct drift_report *r, struct drift_data *ref, struct drift_data *cur, struct err *e)
{
	struct with_dists *w = ud;
	w->dists = xcalloc(r->ncols ? r->ncols : 1, sizeof *w->dists);
	w->n = r->ncols;
	for (size_t i = 0; i < r->ncols; i++) {
		struct drift_column *rc = drift_data_column(ref, r->cols[i].name);
		struct drift_column *cc = drift_data_column(cur, r->cols[i].name);
		if (rc && cc && rc->type != DRIFT_EMPTY && drift_dist_columns(rc, cc, &w->dists[i], e) != 0)
			return -1;
	}
	return 0;
}

cJSON *drift_report_with_dists(const char *baseline, const char *current, const struct drift_report_opts *o,
			       const struct drift_read_opts *ro, struct drift_report **r_out, struct err *e)
{
	struct with_dists w = { o, NULL, 0 };
	struct drift_report_opts mine = *o;
	mine.progress = o->progress ? wrap_progress : NULL;
	mine.column_done = o->column_done ? wrap_column_done : NULL;
	mine.with_data = keep_dists;
	mine.progress_ud = &w;
	struct drift_report *r = drift_report_run(baseline, current, &mine, ro, e);
	cJSON *doc = NULL;
	if (r) {
		doc = drift_report_json(r);
		const cJSON *cols = cJSON_GetObjectItemCaseSensitive(doc, "columns");
		size_t i = 0;
		cJSON *c;
		cJSON_ArrayForEach(c, cols)
		{
			cJSON_AddItemToObject(c, "distribution", i < w.n ? drift_dist_json(&w.dists[i]) : cJSON_CreateNull());
			i++;
		}
	}
	for (size_t i = 0; i < w.n; i++)
		drift_dist_free(&w.dists[i]);
	free(w.dists);
	if (r_out)
		*r_out = r;
	else
		drift_report_free(r);
	return doc;
}

static const char *base_name(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;
	return s ? s + 1 : p ? p : "?";
}

int drift_save_report(struct db *db, const cJSON *doc, const char *name, const char *command, struct job *out,
		      struct err *e)
{
	memset(out, 0, sizeof *out);
	char *jobs_dir = path_join(path_data_home(), "jobs");
	if (path_mkdirs(jobs_dir, 0700, e) < 0) {
		free(jobs_dir);
		return -1;
	}
	const cJSON *sum = cJSON_GetObjectItemCaseSensitive(doc, "summary");
	struct job j = { 0 };
	j.source = xstrdup("drift");
	if (name)
		j.name = xstrdup(name);
	else
		j.name = xasprintf("%s vs %s",
				   base_name(cJSON_GetStringValue(get(get(doc, "baseline"), "path"))),
				   base_name(cJSON_GetStringValue(get(get(doc, "current"), "path"))));
	j.status = JOB_COMPLETED;
	j.raw_state = xstrdup("report");
	j.submit_ms = j.start_ms = j.end_ms = clock_wall_ms();
	j.has_exit = 1;
	j.exit_code = cJSON_IsTrue(get(sum, "drift")) ? 3 : 0;
	j.command = command ? xstrdup(command) : NULL;
	char cwd[4096];
	if (getcwd(cwd, sizeof cwd))
		j.cwd = xstrdup(cwd);
	if (jobreg_insert(db, &j, e) < 0) {
		free(jobs_dir);
		job_clear(&j);
		return -1;
	}
	j.dir = path_join(jobs_dir, j.ext_id);
	free(jobs_dir);
	int rc = monitor_write_json(j.dir, DRIFT_REPORT_FILE, doc, e);
	if (rc == 0)
		rc = jobreg_update(db, &j, e);
	if (rc == 0) {
		int64_t now = clock_wall_ms();
		struct metric_point p = { "drifted", num(sum, "drifted"), 1, 0, 0 };
		rc = jobreg_add_point(db, j.id, &p, now, "report", e);
		p.name = "drift_share";
		p.value = num(sum, "share");
		if (rc == 0 && !isnan(p.value))
			rc = jobreg_add_point(db, j.id, &p, now, "report", e);
	}
	if (rc != 0) {
		jobreg_delete(db, j.id, NULL);
		job_clear(&j);
		return -1;
	}
	*out = j;
	return 0;
}

int drift_save_demo(struct db *db, const char *data_home, struct err *e)
{
	struct job_list jobs;
	if (jobreg_list(db, NULL, -1, &jobs, e) < 0)
		return -1;
	size_t had = jobs.n;
	job_list_free(&jobs);
	if (had)
		return 0; /* not a first run: the user's jobs stay on top */
	char *dir = path_join(data_home, "examples/drift");
	char *ref = path_join(dir, "reference.csv"), *cur = path_join(dir, "current.csv");
	free(dir);
	int rc = 0;
	if (path_is_file(ref) && path_is_file(cur)) {
		struct drift_report_opts o = { .ks_method = KS_AUTO };
		cJSON *doc = drift_report_with_dists(ref, cur, &o, NULL, NULL, e);
		struct job j;
		rc = !doc ? -1 : drift_save_report(db, doc, "demo: bike rentals 2024 vs 2025", "aiwb drift report --save "
											   "reference.csv current.csv", &j, e);
		if (rc == 0) {
			job_clear(&j);
			rc = 1;
		}
		cJSON_Delete(doc);
	}
	free(ref);
	free(cur);
	return rc;
}
