#include "drift/watch.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/csv.h"
#include "base/digest.h"
#include "base/json.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "drift/data.h"
#include "drift/monitor.h"
#include "drift/saved.h"
#include "jobs/metrics.h"

double drift_parse_duration(const char *s)
{
	if (!s || !*s)
		return -1;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v <= 0)
		return -1;
	double mul = strcmp(end, "") == 0 || strcmp(end, "s") == 0 ? 1
		     : strcmp(end, "ms") == 0			     ? 0.001
		     : strcmp(end, "m") == 0			     ? 60
		     : strcmp(end, "h") == 0			     ? 3600
		     : strcmp(end, "d") == 0			     ? 86400
								     : -1;
	return mul < 0 ? -1 : v * mul;
}

char *drift_metric_name(const char *column)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "drift.");
	for (const char *p = column; *p && b.len < METRIC_NAME_MAX - 1; p++) {
		unsigned char c = (unsigned char)*p;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
			 c == '.' || c == '/' || c == '-' || c == ':';
		buf_putc(&b, ok ? (char)c : '_');
	}
	return buf_detach(&b);
}

/* ------------------------------------------------------------ capture lines */

struct fields {
	cJSON *row;
	const char *const *names;
	size_t nnames;
	size_t *next;
};

static void put_field(cJSON *row, const char *const *names, size_t nnames, size_t *next, const char *v, size_t len)
{
	char gen[32];
	while (*next < nnames && cJSON_GetObjectItemCaseSensitive(row, names[*next]))
		(*next)++; /* taken by a JSON input's key */
	const char *name = *next < nnames ? names[*next] : (snprintf(gen, sizeof gen, "_c%zu", *next), gen);
	(*next)++;
	if (cJSON_GetObjectItemCaseSensitive(row, name))
		return;
	char *s = xstrndup(v, len);
	cJSON_AddStringToObject(row, name, s);
	free(s);
}

static int on_csv(void *ud, const struct csv_record *r)
{
	struct fields *f = ud;
	for (size_t i = 0; i < r->n; i++)
		put_field(f->row, f->names, f->nnames, f->next, r->fields[i], r->lens[i]);
	return 1; /* one record: a capture's data is one line */
}

static char *decode_base64(const char *s, size_t *len)
{
	size_t n = strlen(s);
	unsigned char *out = xmalloc(n / 4 * 3 + 3);
	long got = base64_decode(s, n, 0, out);
	if (got < 0) {
		free(out);
		return NULL;
	}
	*len = (size_t)got;
	return (char *)out;
}

static void add_data(cJSON *row, const cJSON *part, const char *const *names, size_t nnames, size_t *next)
{
	const char *data = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(part, "data"));
	if (!data)
		return;
	const char *enc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(part, "encoding"));
	const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(part, "observedContentType"));
	char *owned = NULL;
	size_t len = strlen(data);
	if (enc && strcasecmp(enc, "BASE64") == 0) {
		owned = decode_base64(data, &len);
		if (!owned)
			return;
		data = owned;
	}
	int json = (enc && strcasecmp(enc, "JSON") == 0) || (type && strstr(type, "json"));
	cJSON *obj = json ? json_parse(data, len, 0) : NULL;
	if (cJSON_IsObject(obj)) {
		cJSON *it;
		cJSON_ArrayForEach(it, obj)
		{
			if (it->string && !cJSON_GetObjectItemCaseSensitive(row, it->string))
				cJSON_AddItemToObject(row, it->string, cJSON_Duplicate(it, 1));
		}
	} else if (!json) {
		struct fields f = { row, names, nnames, next };
		struct csv_parser *p = csv_new(0, 0, on_csv, &f);
		struct err e = ERR_INIT;
		if (csv_feed(p, data, len, &e) == 0)
			csv_finish(p, &e);
		csv_free(p);
	}
	cJSON_Delete(obj);
	free(owned);
}

static double time_of(const cJSON *v)
{
	if (cJSON_IsNumber(v))
		return v->valuedouble;
	const char *s = cJSON_GetStringValue(v);
	double t;
	if (s && drift_parse_datetime(s, strlen(s), &t))
		return t;
	return NAN;
}

cJSON *drift_capture_row(const char *line, size_t n, const char *const *names, size_t nnames, double *time_s)
{
	*time_s = NAN;
	cJSON *doc = json_parse(line, n, 0);
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return NULL;
	}
	const cJSON *cap = cJSON_GetObjectItemCaseSensitive(doc, "captureData");
	if (!cJSON_IsObject(cap)) {
		*time_s = time_of(cJSON_GetObjectItemCaseSensitive(doc, "time"));
		if (isnan(*time_s))
			*time_s = time_of(cJSON_GetObjectItemCaseSensitive(doc, "timestamp"));
		return doc;
	}
	cJSON *row = cJSON_CreateObject();
	size_t next = 0;
	add_data(row, cJSON_GetObjectItemCaseSensitive(cap, "endpointInput"), names, nnames, &next);
	add_data(row, cJSON_GetObjectItemCaseSensitive(cap, "endpointOutput"), names, nnames, &next);
	*time_s = time_of(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "eventMetadata"),
							   "inferenceTime"));
	cJSON_Delete(doc);
	return row;
}

/* ------------------------------------------------------------ the window */

struct wrow {
	char *line;
	double t;
};

struct drift_window {
	size_t rows;       /* 0: by time */
	double seconds;
	struct wrow *v;    /* a ring: head is the oldest */
	size_t cap, head, n;
	double newest;
};

struct drift_window *drift_window_new(size_t rows, double seconds)
{
	struct drift_window *w = xcalloc(1, sizeof *w);
	w->rows = rows > DRIFT_WATCH_MAX_ROWS ? DRIFT_WATCH_MAX_ROWS : rows;
	w->seconds = seconds;
	w->newest = -INFINITY;
	return w;
}

static void drop_oldest(struct drift_window *w)
{
	free(w->v[w->head].line);
	w->head = (w->head + 1) % w->cap;
	w->n--;
}

static void window_clear(struct drift_window *w)
{
	while (w->n)
		drop_oldest(w);
	w->newest = -INFINITY;
}

void drift_window_free(struct drift_window *w)
{
	if (!w)
		return;
	window_clear(w);
	free(w->v);
	free(w);
}

size_t drift_window_count(const struct drift_window *w)
{
	return w->n;
}

static void window_push(struct drift_window *w, char *line, double t)
{
	size_t limit = w->rows ? w->rows : DRIFT_WATCH_MAX_ROWS;
	if (w->n == limit)
		drop_oldest(w);
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		if (cap > limit)
			cap = limit;
		struct wrow *v = xcalloc(cap, sizeof *v);
		for (size_t i = 0; i < w->n; i++)
			v[i] = w->v[(w->head + i) % w->cap];
		free(w->v);
		w->v = v;
		w->cap = cap;
		w->head = 0;
	}
	w->v[(w->head + w->n) % w->cap] = (struct wrow){ line, t };
	w->n++;
	if (t > w->newest)
		w->newest = t;
	if (!w->rows)
		while (w->n && w->v[w->head].t < w->newest - w->seconds)
			drop_oldest(w);
}

int drift_window_feed(struct drift_window *w, const char *path, int64_t *offset, struct err *e)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		return err_errno(e, "cannot read %s", path);
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && (int64_t)st.st_size < *offset) {
		*offset = 0;
		window_clear(w);
	}
	if (fseeko(f, (off_t)*offset, SEEK_SET) != 0) {
		fclose(f);
		return err_errno(e, "cannot read %s", path);
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int added = 0;
	double now = (double)clock_wall_ms() / 1000.0;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] != '\n')
			break; /* being written: read it whole next time */
		*offset += n;
		size_t len = (size_t)n - 1;
		if (len && line[len - 1] == '\r')
			len--;
		if (!len)
			continue;
		double t = NAN;
		if (!w->rows) {
			cJSON *row = drift_capture_row(line, len, NULL, 0, &t);
			cJSON_Delete(row);
		}
		window_push(w, xstrndup(line, len), isnan(t) ? now : t);
		added++;
	}
	free(line);
	fclose(f);
	return added;
}

int drift_window_write(const struct drift_window *w, const char *path, const char *const *names, size_t nnames,
		       struct err *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_errno(e, "cannot write %s", path);
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return err_errno(e, "cannot write %s", path);
	}
	for (size_t i = 0; i < w->n; i++) {
		const char *line = w->v[(w->head + i) % w->cap].line;
		double t;
		cJSON *row = drift_capture_row(line, strlen(line), names, nnames, &t);
		char *text = row ? cJSON_PrintUnformatted(row) : NULL;
		fputs(text ? text : line, f); /* a line that is not an object stays: the reader counts it as bad */
		fputc('\n', f);
		free(text);
		cJSON_Delete(row);
	}
	if (fclose(f) != 0)
		return err_errno(e, "cannot write %s", path);
	return 0;
}

/* ------------------------------------------------------------ checks */

static int by_drift(const void *a, const void *b)
{
	const struct monitor_score *x = a, *y = b;
	if (x->compared != y->compared)
		return y->compared - x->compared;
	if (x->drifted != y->drifted)
		return y->drifted - x->drifted;
	int xp = x->method && strcmp(x->method, "chisquare") == 0, yp = y->method && strcmp(y->method, "chisquare") == 0;
	double sx = x->compared ? (xp ? (x->score > 0 ? log(x->score) / log(x->threshold) : 1e6) : x->score / x->threshold) : 0;
	double sy = y->compared ? (yp ? (y->score > 0 ? log(y->score) / log(y->threshold) : 1e6) : y->score / y->threshold) : 0;
	if (sx != sy)
		return sx < sy ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void add_num(cJSON *o, const char *k, double v)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static cJSON *check_doc(const struct drift_watch_opts *o, int64_t step, struct drift_data *d,
			struct monitor_score *sc, size_t n, int violations)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *m = cJSON_AddObjectToObject(doc, "monitor");
	cJSON_AddStringToObject(m, "file", o->file);
	cJSON_AddStringToObject(m, "every", o->every_text ? o->every_text : "");
	cJSON_AddStringToObject(m, "window", o->window_text ? o->window_text : "");
	cJSON_AddNumberToObject(m, "checks", (double)step);
	cJSON_AddNumberToObject(m, "time_ms", (double)clock_wall_ms());
	cJSON_AddNumberToObject(m, "violations", violations);
	cJSON *b = cJSON_AddObjectToObject(doc, "baseline");
	cJSON_AddStringToObject(b, "path", o->baseline_dir);
	cJSON_AddNullToObject(b, "rows");
	cJSON *c = cJSON_AddObjectToObject(doc, "current");
	cJSON_AddStringToObject(c, "path", o->file);
	cJSON_AddNumberToObject(c, "rows", (double)d->rows);
	cJSON_AddNumberToObject(c, "bad_rows", (double)d->bad_rows);
	cJSON *cols = cJSON_AddArrayToObject(doc, "columns");
	size_t tested = 0, drifted = 0;
	for (size_t i = 0; i < n; i++) {
		const struct monitor_score *s = &sc[i];
		cJSON *col = cJSON_CreateObject();
		cJSON_AddStringToObject(col, "name", s->name);
		cJSON_AddStringToObject(col, "role", "feature");
		cJSON_AddStringToObject(col, "type", s->numeric ? "numeric" : "categorical");
		struct drift_column *dc = drift_data_column(d, s->name);
		cJSON *cv = cJSON_AddObjectToObject(col, "current_values");
		cJSON_AddNumberToObject(cv, "rows", (double)d->rows);
		add_num(cv, "missing_share", dc && d->rows ? (double)dc->missing / (double)d->rows : NAN);
		int chi = s->method && strcmp(s->method, "chisquare") == 0;
		if (s->compared) {
			tested++;
			drifted += s->drifted;
			cJSON_AddStringToObject(col, "test", s->method);
			add_num(col, "statistic", chi ? NAN : s->score);
			add_num(col, "p_value", chi ? s->score : NAN);
		} else {
			cJSON_AddNullToObject(col, "test");
			cJSON_AddNullToObject(col, "statistic");
			cJSON_AddNullToObject(col, "p_value");
			cJSON_AddStringToObject(col, "note", dc ? "no values to compare" : "not in the data");
		}
		add_num(col, "threshold", s->threshold);
		cJSON_AddBoolToObject(col, "drifted", s->drifted);
		char *metric = drift_metric_name(s->name);
		cJSON_AddStringToObject(col, "metric", metric);
		free(metric);
		cJSON_AddItemToObject(col, "distribution", drift_dist_json(&s->dist));
		cJSON_AddItemToArray(cols, col);
	}
	cJSON *sum = cJSON_AddObjectToObject(doc, "summary");
	cJSON_AddNumberToObject(sum, "columns", (double)n);
	cJSON_AddNumberToObject(sum, "tested", (double)tested);
	cJSON_AddNumberToObject(sum, "drifted", (double)drifted);
	add_num(sum, "share", tested ? (double)drifted / (double)tested : 0);
	cJSON_AddBoolToObject(sum, "drift", drifted > 0);
	cJSON_AddBoolToObject(sum, "dataset_drift", tested && (double)drifted / (double)tested >= 0.5);
	return doc;
}

static void print_metrics(FILE *out, int64_t step, uint64_t rows, const struct monitor_score *sc, size_t n)
{
	cJSON *line = cJSON_CreateObject();
	cJSON_AddNumberToObject(line, "step", (double)step);
	cJSON_AddNumberToObject(line, "rows", (double)rows);
	size_t drifted = 0;
	for (size_t i = 0; i < n; i++)
		drifted += sc[i].compared && sc[i].drifted;
	cJSON_AddNumberToObject(line, "drifted", (double)drifted);
	for (size_t i = 0; i < n; i++) {
		if (!sc[i].compared || !isfinite(sc[i].score))
			continue;
		char *name = drift_metric_name(sc[i].name);
		if (!cJSON_GetObjectItemCaseSensitive(line, name))
			cJSON_AddNumberToObject(line, name, sc[i].score);
		free(name);
	}
	char *text = cJSON_PrintUnformatted(line);
	fprintf(out, "%s\n", text);
	fflush(out);
	free(text);
	cJSON_Delete(line);
}

static int check_once(const struct drift_watch_opts *o, struct monitor_baseline *mb, struct drift_window *w,
		      int64_t step, FILE *out, struct err *e)
{
	size_t nn = monitor_feature_count(mb);
	const char **names = xcalloc(nn ? nn : 1, sizeof *names);
	for (size_t i = 0; i < nn; i++)
		names[i] = monitor_feature_name(mb, i);
	char *tmp = path_join(o->dir, ".window.jsonl");
	int rc = drift_window_write(w, tmp, names, nn, e);
	free(names);
	struct drift_data *d = NULL;
	if (rc == 0) {
		struct drift_type_override *types;
		size_t ntypes = monitor_check_types(mb, NULL, 0, &types);
		struct drift_read_opts ro = { .format = DRIFT_FMT_JSONL, .types = types, .ntypes = ntypes };
		d = drift_data_read(tmp, &ro, e);
		free(types);
		rc = d ? 0 : -1;
	}
	unlink(tmp);
	free(tmp);
	if (rc != 0)
		return -1;
	struct monitor_score *sc = NULL;
	size_t n = 0;
	cJSON *viol = monitor_check_scored(mb, d, &sc, &n, e);
	if (!viol) {
		drift_data_free(d);
		return -1;
	}
	print_metrics(out, step, d->rows, sc, n);
	qsort(sc, n, sizeof *sc, by_drift);
	int nv = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(viol, "violations"));
	cJSON *doc = check_doc(o, step, d, sc, n, nv);
	rc = monitor_write_json(o->dir, "constraint_violations.json", viol, e);
	if (rc == 0)
		rc = monitor_write_json(o->dir, DRIFT_REPORT_FILE, doc, e);
	cJSON_Delete(doc);
	cJSON_Delete(viol);
	monitor_scores_free(sc, n);
	drift_data_free(d);
	return rc;
}

static void pause_for(double seconds, volatile sig_atomic_t *stop)
{
	int64_t until = clock_ms() + (int64_t)(seconds * 1000);
	while (!(stop && *stop)) {
		int64_t left = until - clock_ms();
		if (left <= 0)
			break;
		if (left > 200)
			left = 200;
		struct timespec ts = { (time_t)(left / 1000), (long)(left % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
}

int drift_watch_run(const struct drift_watch_opts *o, FILE *out, volatile sig_atomic_t *stop, struct err *e)
{
	struct monitor_baseline *mb = monitor_read_baseline(o->baseline_dir, e);
	if (!mb)
		return -1;
	struct drift_window *w = drift_window_new(o->window_rows, o->window_s);
	int64_t offset = 0, step = 0;
	int waiting_said = 0;
	while (!(stop && *stop)) {
		struct err ce = ERR_INIT;
		int added = drift_window_feed(w, o->file, &offset, &ce);
		if (added < 0) {
			fprintf(stderr, "aiwb drift watch: %s\n", ce.msg);
		} else if (!added && step) {
			/* nothing new: the last check stands */
		} else if (!drift_window_count(w)) {
			if (!waiting_said++)
				fprintf(stderr, "aiwb drift watch: waiting for rows in %s\n", o->file);
		} else if (check_once(o, mb, w, ++step, out, &ce) != 0) {
			fprintf(stderr, "aiwb drift watch: check %lld failed: %s\n", (long long)step, ce.msg);
		}
		if (o->max_checks && step >= o->max_checks)
			break;
		pause_for(o->every_s, stop);
	}
	drift_window_free(w);
	monitor_baseline_free(mb);
	return 0;
}
