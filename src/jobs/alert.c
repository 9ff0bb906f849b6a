#include "jobs/alert.h"

#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "jobs/registry.h"

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static int parse_duration(const char *s, int64_t *ms)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || !(v > 0))
		return -1;
	const char *u = skip_space(end);
	int64_t unit;
	if (strcmp(u, "s") == 0 || strcmp(u, "sec") == 0)
		unit = 1000;
	else if (strcmp(u, "m") == 0 || strcmp(u, "min") == 0)
		unit = 60000;
	else if (strcmp(u, "h") == 0)
		unit = 3600000;
	else
		return -1;
	*ms = (int64_t)(v * (double)unit);
	return 0;
}

int alert_parse(const char *text, struct alert_rule *r, struct err *e)
{
	memset(r, 0, sizeof *r);
	const char *s = skip_space(text);
	size_t len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	char *t = xstrndup(s, len);
	int rc = 0;
	if (strcmp(t, "ended") == 0)
		r->kind = ALERT_ENDED;
	else if (strncmp(t, "no progress ", 12) == 0) {
		r->kind = ALERT_STALL;
		if (parse_duration(skip_space(t + 12), &r->stall_ms) < 0)
			rc = err_set(e, "'%s': the duration must be a number followed by s, m or h (e.g. 10m)", t);
	} else {
		size_t n = strcspn(t, " \t<>");
		if (!metric_name_valid(t, n))
			rc = err_set(e, "'%s' is not a rule: write 'METRIC is nan', 'METRIC > X' (or <, >=, <=), "
					"'no progress 10m' or 'ended'", t);
		else {
			memcpy(r->metric, t, n);
			r->metric[n] = '\0';
			const char *rest = skip_space(t + n);
			char *end;
			if (strcmp(rest, "is nan") == 0)
				r->kind = ALERT_NAN;
			else if (rest[0] == '>' || rest[0] == '<') {
				int eq = rest[1] == '=';
				r->kind = rest[0] == '>' ? (eq ? ALERT_AT_LEAST : ALERT_ABOVE) : (eq ? ALERT_AT_MOST : ALERT_BELOW);
				const char *num = skip_space(rest + 1 + eq);
				r->threshold = strtod(num, &end);
				if (end == num || *skip_space(end) || !isfinite(r->threshold))
					rc = err_set(e, "'%s': the threshold must be a number", t);
			} else
				rc = err_set(e, "'%s' is not a rule: after the metric write 'is nan' or a comparison such "
						"as '> 2'", t);
		}
	}
	free(t);
	return rc;
}

void alert_format(const struct alert_rule *r, char *out, size_t n)
{
	static const char *const ops[] = {[ALERT_ABOVE] = ">", [ALERT_BELOW] = "<", [ALERT_AT_LEAST] = ">=",
					  [ALERT_AT_MOST] = "<="};
	switch (r->kind) {
	case ALERT_ENDED:
		snprintf(out, n, "ended");
		break;
	case ALERT_NAN:
		snprintf(out, n, "%s is nan", r->metric);
		break;
	case ALERT_STALL:
		if (r->stall_ms % 3600000 == 0)
			snprintf(out, n, "no progress %lldh", (long long)(r->stall_ms / 3600000));
		else if (r->stall_ms % 60000 == 0)
			snprintf(out, n, "no progress %lldm", (long long)(r->stall_ms / 60000));
		else
			snprintf(out, n, "no progress %llds", (long long)((r->stall_ms + 999) / 1000));
		break;
	default: {
		char num[32];
		snprintf(num, sizeof num, "%.15g", r->threshold);
		if (strtod(num, NULL) != r->threshold)
			snprintf(num, sizeof num, "%.17g", r->threshold);
		snprintf(out, n, "%s %s %s", r->metric, ops[r->kind], num);
	}
	}
}

struct last {
	const char *name;
	int found;
	double value;
};

static int on_point(void *ud, const struct jobreg_point *p)
{
	struct last *l = ud;
	l->found = 1;
	l->value = p->value;
	return 0;
}

int alert_holds(struct db *db, const struct job *j, const struct alert_rule *r, int64_t now_ms, char *detail, size_t n)
{
	detail[0] = '\0';
	if (r->kind == ALERT_ENDED) {
		snprintf(detail, n, "%s%s%s", job_status_name(j->status), j->reason ? ": " : "", j->reason ? j->reason : "");
		return job_status_final(j->status);
	}
	if (r->kind == ALERT_STALL) {
		if (job_status_final(j->status) || j->status == JOB_QUEUED)
			return 0;
		int64_t last = j->activity_ms > j->start_ms ? j->activity_ms : j->start_ms;
		int64_t lp = jobreg_last_point_ms(db, j->id);
		if (lp > last)
			last = lp;
		if (!last)
			return 0;
		snprintf(detail, n, "nothing new for %llds", (long long)((now_ms - last) / 1000));
		return now_ms - last >= r->stall_ms;
	}
	/* the newest point of the metric */
	struct last l = {.name = r->metric};
	sqlite3_stmt *st = db_prepare(db, "SELECT seq FROM job_metric_last WHERE job_id = ?1 AND name = ?2", NULL);
	int64_t seq = 0;
	if (st) {
		sqlite3_bind_int64(st, 1, j->id);
		sqlite3_bind_text(st, 2, r->metric, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW)
			seq = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if (!seq)
		return 0;
	jobreg_points(db, j->id, seq - 1, r->metric, on_point, &l, NULL);
	if (!l.found)
		return 0;
	snprintf(detail, n, "%s=%.6g", r->metric, l.value);
	switch (r->kind) {
	case ALERT_NAN: return isnan(l.value);
	case ALERT_ABOVE: return l.value > r->threshold;
	case ALERT_BELOW: return l.value < r->threshold;
	case ALERT_AT_LEAST: return l.value >= r->threshold;
	case ALERT_AT_MOST: return l.value <= r->threshold;
	default: return 0;
	}
}

struct eval {
	struct db *db;
	const struct job *j;
	int64_t now;
	alert_fire_fn fn;
	void *ud;
	struct {
		int64_t id;
		char *rule;
		int fired;
	} *v;
	size_t n;
};

static int collect(void *ud, const struct jobreg_alert *a)
{
	struct eval *ev = ud;
	ev->v = xreallocarray(ev->v, ev->n + 1, sizeof *ev->v);
	ev->v[ev->n].id = a->id;
	ev->v[ev->n].rule = xstrdup(a->rule);
	ev->v[ev->n].fired = a->fired;
	ev->n++;
	return 0;
}

int alert_eval(struct db *db, const struct job *j, int64_t now_ms, alert_fire_fn fn, void *ud, struct err *e)
{
	struct eval ev = {.db = db, .j = j, .now = now_ms, .fn = fn, .ud = ud};
	if (jobreg_alerts(db, j->id, collect, &ev, e) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < ev.n; i++) {
		struct alert_rule r;
		char detail[256];
		if (alert_parse(ev.v[i].rule, &r, NULL) == 0) {
			int holds = alert_holds(db, j, &r, now_ms, detail, sizeof detail);
			if (holds && !ev.v[i].fired) {
				int mine = jobreg_alert_set(db, ev.v[i].id, 1, now_ms, e);
				if (mine < 0)
					rc = -1;
				struct alert_fired a = {.job = j, .rule = ev.v[i].rule, .detail = detail};
				if (mine != 0)
					fn(ud, &a);
			} else if (!holds && ev.v[i].fired && jobreg_alert_set(db, ev.v[i].id, 0, 0, e) < 0)
				rc = -1;
		}
		free(ev.v[i].rule);
	}
	free(ev.v);
	return rc;
}

int alert_config_matches(const struct config_alert *a, const struct job *j)
{
	if (!a->jobs || !*a->jobs)
		return 1;
	char *ref = job_ref(j);
	int hit = fnmatch(a->jobs, ref, 0) == 0 || (j->name && fnmatch(a->jobs, j->name, 0) == 0);
	free(ref);
	return hit;
}

static int canonical(const char *text, char *out, size_t n, struct err *e)
{
	struct alert_rule r;
	if (alert_parse(text, &r, e) < 0)
		return -1;
	alert_format(&r, out, n);
	return 0;
}

struct has_rule {
	const char *rule;
	int found;
};

static int find_rule(void *ud, const struct jobreg_alert *a)
{
	struct has_rule *h = ud;
	h->found = strcmp(a->rule, h->rule) == 0;
	return h->found;
}

/* Adds the rule to the job unless it holds it already (a read costs less
 * than a write on every refresh). */
static int ensure_rule(struct db *db, int64_t job_id, const char *canon, struct err *e)
{
	struct has_rule h = {canon, 0};
	if (jobreg_alerts(db, job_id, find_rule, &h, e) < 0)
		return -1;
	return h.found ? 0 : jobreg_alert_add(db, job_id, canon, e);
}

int alert_check_jobs(struct db *db, const struct job_list *l, const struct config_alert *cfg, size_t n,
		     int64_t since_ms, int64_t now_ms, alert_fire_fn fn, void *ud, struct err *e)
{
	int rc = 0;
	for (size_t c = 0; c < n; c++) {
		char canon[256];
		struct err why = ERR_INIT;
		if (canonical(cfg[c].rule, canon, sizeof canon, &why) < 0) {
			if (rc == 0)
				err_set(e, "alerts: '%s': %s", cfg[c].rule, why.msg);
			rc = -1;
			continue;
		}
		for (size_t i = 0; i < l->n; i++)
			if ((!job_status_final(l->v[i].status) || (l->v[i].end_ms > 0 && l->v[i].end_ms >= since_ms)) &&
			    alert_config_matches(&cfg[c], &l->v[i]) &&
			    ensure_rule(db, l->v[i].id, canon, NULL) < 0 && rc == 0)
				rc = err_set(e, "the alert '%s' cannot be stored for job %lld", canon, (long long)l->v[i].id);
	}
	for (size_t i = 0; i < l->n; i++)
		if (alert_eval(db, &l->v[i], now_ms, fn, ud, rc == 0 ? e : NULL) < 0)
			rc = -1;
	return rc;
}

const char *alert_config_exec(const struct config_alert *cfg, size_t n, const struct alert_fired *a)
{
	for (size_t c = 0; c < n; c++) {
		char canon[256];
		if (cfg[c].exec && canonical(cfg[c].rule, canon, sizeof canon, NULL) == 0 && strcmp(canon, a->rule) == 0 &&
		    alert_config_matches(&cfg[c], a->job))
			return cfg[c].exec;
	}
	return NULL;
}
