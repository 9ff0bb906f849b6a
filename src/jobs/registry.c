#include "jobs/registry.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/xmalloc.h"

#define JOB_COLUMNS                                                                                                    \
	"id, source, ext_id, name, status, raw_state, submit_ms, start_ms, end_ms, exit_code, signal, reason, "        \
	"command, cwd, env_names, rules, dir, log_path, logdir, pid, pid_start, sup_pid, sup_start, stop_requested, "  \
	"log_offset, activity_ms, parent_id, info"

static int sql_fail(struct db *db, struct err *e)
{
	return err_set(e, "the job registry in %s cannot be used: %s", db_path(db), sqlite3_errmsg(db_handle(db)));
}

static char *col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return s ? xstrdup((const char *)s) : NULL;
}

static void read_job(sqlite3_stmt *st, void *job)
{
	struct job *j = job;
	memset(j, 0, sizeof *j);
	j->id = sqlite3_column_int64(st, 0);
	j->source = col_str(st, 1);
	j->ext_id = col_str(st, 2);
	j->name = col_str(st, 3);
	const char *status = (const char *)sqlite3_column_text(st, 4);
	if (!status || job_status_parse(status, &j->status) < 0)
		j->status = JOB_UNKNOWN;
	j->raw_state = col_str(st, 5);
	j->submit_ms = sqlite3_column_int64(st, 6);
	j->start_ms = sqlite3_column_int64(st, 7);
	j->end_ms = sqlite3_column_int64(st, 8);
	j->has_exit = sqlite3_column_type(st, 9) != SQLITE_NULL;
	j->exit_code = sqlite3_column_int(st, 9);
	j->signal = sqlite3_column_int(st, 10);
	j->reason = col_str(st, 11);
	j->command = col_str(st, 12);
	j->cwd = col_str(st, 13);
	j->env_names = col_str(st, 14);
	j->rules = col_str(st, 15);
	j->dir = col_str(st, 16);
	j->log_path = col_str(st, 17);
	j->logdir = col_str(st, 18);
	j->pid = sqlite3_column_int64(st, 19);
	j->pid_start = sqlite3_column_int64(st, 20);
	j->sup_pid = sqlite3_column_int64(st, 21);
	j->sup_start = sqlite3_column_int64(st, 22);
	j->stop_requested = sqlite3_column_int(st, 23);
	j->log_offset = sqlite3_column_int64(st, 24);
	j->activity_ms = sqlite3_column_int64(st, 25);
	j->parent_id = sqlite3_column_int64(st, 26);
	j->info = col_str(st, 27);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static void bind_ms(sqlite3_stmt *st, int i, int64_t v)
{
	if (v)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

/* Binds ?2..?28 in JOB_COLUMNS order (id is ?1). */
static void bind_job(sqlite3_stmt *st, const struct job *j)
{
	bind_text(st, 2, j->source);
	bind_text(st, 3, j->ext_id);
	bind_text(st, 4, j->name);
	bind_text(st, 5, job_status_name(j->status));
	bind_text(st, 6, j->raw_state);
	bind_ms(st, 7, j->submit_ms);
	bind_ms(st, 8, j->start_ms);
	bind_ms(st, 9, j->end_ms);
	if (j->has_exit)
		sqlite3_bind_int(st, 10, j->exit_code);
	else
		sqlite3_bind_null(st, 10);
	if (j->signal)
		sqlite3_bind_int(st, 11, j->signal);
	else
		sqlite3_bind_null(st, 11);
	bind_text(st, 12, j->reason);
	bind_text(st, 13, j->command);
	bind_text(st, 14, j->cwd);
	bind_text(st, 15, j->env_names);
	bind_text(st, 16, j->rules);
	bind_text(st, 17, j->dir);
	bind_text(st, 18, j->log_path);
	bind_text(st, 19, j->logdir);
	bind_ms(st, 20, j->pid);
	bind_ms(st, 21, j->pid_start);
	bind_ms(st, 22, j->sup_pid);
	bind_ms(st, 23, j->sup_start);
	sqlite3_bind_int(st, 24, j->stop_requested);
	sqlite3_bind_int64(st, 25, j->log_offset);
	bind_ms(st, 26, j->activity_ms);
	bind_ms(st, 27, j->parent_id);
	bind_text(st, 28, j->info);
}

static int step_done(struct db *db, sqlite3_stmt *st, struct err *e)
{
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sql_fail(db, e);
}

static int add_transition(struct db *db, const struct job *j, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "INSERT INTO job_transitions(job_id, status, raw_state, time_ms) "
					  "VALUES (?1, ?2, ?3, ?4)", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, j->id);
	bind_text(st, 2, job_status_name(j->status));
	bind_text(st, 3, j->raw_state);
	sqlite3_bind_int64(st, 4, clock_wall_ms());
	return step_done(db, st, e);
}

/* cursor: log_offset and activity_ms are written too; otherwise the stored
 * ones stay (the offset goes back to 0 when log_path changes), so a job read
 * before another process read its log cannot send that reader back. */
static int update_row(struct db *db, const struct job *j, int cursor, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "UPDATE jobs SET source = ?2, ext_id = ?3, name = ?4, status = ?5, "
					  "raw_state = ?6, submit_ms = ?7, start_ms = ?8, end_ms = ?9, exit_code = ?10, "
					  "signal = ?11, reason = ?12, command = ?13, cwd = ?14, env_names = ?15, "
					  "rules = ?16, dir = ?17, pid = ?20, "
					  "pid_start = ?21, sup_pid = ?22, sup_start = ?23, stop_requested = ?24, "
					  "log_offset = CASE WHEN ?29 THEN ?25 WHEN log_path IS ?18 THEN log_offset ELSE 0 END, "
					  "activity_ms = CASE WHEN ?29 THEN ?26 ELSE activity_ms END, "
					  "log_path = ?18, logdir = ?19, parent_id = ?27, info = ?28 WHERE id = ?1", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, j->id);
	bind_job(st, j);
	sqlite3_bind_int(st, 29, cursor);
	return step_done(db, st, e);
}

static int insert_tx(struct db *db, void *ud, struct err *e)
{
	struct job *j = ud;
	sqlite3_stmt *st = db_prepare(db, "INSERT INTO jobs(" JOB_COLUMNS ") VALUES (NULL, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
					  "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, "
					  "?24, ?25, ?26, ?27, ?28)", e);
	if (!st)
		return -1;
	bind_job(st, j);
	if (step_done(db, st, e) < 0)
		return -1;
	j->id = sqlite3_last_insert_rowid(db_handle(db));
	if (!j->ext_id) {
		j->ext_id = xasprintf("%lld", (long long)j->id);
		if (update_row(db, j, 1, e) < 0)
			return -1;
	}
	return add_transition(db, j, e);
}

int64_t jobreg_insert(struct db *db, struct job *j, struct err *e)
{
	int had_ext_id = j->ext_id != NULL;
	if (db_tx(db, insert_tx, j, e) == 0)
		return j->id;
	if (!had_ext_id) {
		free(j->ext_id);
		j->ext_id = NULL;
	}
	j->id = 0;
	return -1;
}

/* 1 with the stored status in *out, 0 when there is no such job, -1 with e. */
static int stored_status(struct db *db, int64_t id, char **out, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT status FROM jobs WHERE id = ?1", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? col_str(st, 0) : NULL;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sql_fail(db, e);
	return rc == SQLITE_ROW;
}

struct update_arg {
	const struct job *j;
	int cursor;
};

static int update_tx(struct db *db, void *ud, struct err *e)
{
	const struct update_arg *a = ud;
	const struct job *j = a->j;
	char *before = NULL;
	int found = stored_status(db, j->id, &before, e);
	int changed = found == 1 && (!before || strcmp(before, job_status_name(j->status)) != 0);
	free(before);
	if (found < 0 || update_row(db, j, a->cursor, e) < 0)
		return -1;
	return changed ? add_transition(db, j, e) : 0;
}

int jobreg_update(struct db *db, const struct job *j, struct err *e)
{
	struct update_arg arg = { j, 0 };
	return db_tx(db, update_tx, &arg, e) == 0 ? 0 : -1;
}

int jobreg_update_read(struct db *db, const struct job *j, struct err *e)
{
	struct update_arg arg = { j, 1 };
	return db_tx(db, update_tx, &arg, e) == 0 ? 0 : -1;
}

struct stop_arg {
	struct job *j;
	int stopping;
};

static int stop_tx(struct db *db, void *ud, struct err *e)
{
	struct stop_arg *a = ud;
	struct job now;
	int found = jobreg_get(db, a->j->id, &now, e);
	if (found <= 0)
		return found < 0 ? -1 : 0;
	now.stop_requested = 1;
	if (a->stopping && !job_status_final(now.status))
		now.status = JOB_STOPPING;
	struct update_arg write = { &now, 0 };
	if (update_tx(db, &write, e) < 0) {
		job_clear(&now);
		return -1;
	}
	job_clear(a->j);
	*a->j = now;
	return 0;
}

int jobreg_request_stop(struct db *db, struct job *j, int stopping, struct err *e)
{
	struct stop_arg arg = { j, stopping };
	return db_tx(db, stop_tx, &arg, e) == 0 ? 0 : -1;
}

struct transition_each {
	jobreg_transition_fn fn;
	void *ud;
};

static int transition_row(void *ud, sqlite3_stmt *st)
{
	const struct transition_each *each = ud;
	struct jobreg_transition t = {
		.seq = sqlite3_column_int64(st, 0),
		.status = (const char *)sqlite3_column_text(st, 1),
		.raw_state = (const char *)sqlite3_column_text(st, 2),
		.time_ms = sqlite3_column_int64(st, 3),
	};
	return each->fn(each->ud, &t);
}

int jobreg_transitions(struct db *db, int64_t job_id, jobreg_transition_fn fn, void *ud, struct err *e)
{
	if (db_schema(db) < 6)
		return 0;
	sqlite3_stmt *st = db_prepare(db, "SELECT seq, status, raw_state, time_ms FROM job_transitions "
					  "WHERE job_id = ?1 ORDER BY seq", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, job_id);
	struct transition_each each = { fn, ud };
	return db_each_row(db, st, transition_row, &each, NULL) < 0 ? sql_fail(db, e) : 0;
}

int jobreg_get(struct db *db, int64_t id, struct job *out, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st), found = 0;
	if (rc == SQLITE_ROW) {
		read_job(st, out);
		found = 1;
	} else if (rc != SQLITE_DONE) {
		sqlite3_finalize(st);
		return sql_fail(db, e);
	}
	sqlite3_finalize(st);
	return found;
}

static int select_jobs(struct db *db, const char *sql, const char *a, const char *b, struct job_list *out, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, sql, e);
	if (!st)
		return -1;
	bind_text(st, 1, a);
	bind_text(st, 2, b);
	return db_collect(db, st, &out->v, &out->n, sizeof *out->v, read_job, NULL) < 0 ? sql_fail(db, e) : 0;
}

static int ambiguous(struct job_list *l, const char *ref, struct err *e)
{
	struct buf names = BUF_INIT;
	for (size_t i = 0; i < l->n && i < 5; i++) {
		char *r = job_ref(&l->v[i]);
		buf_printf(&names, "%s%s", i ? ", " : "", r);
		free(r);
	}
	err_set(e, "'%s' could be %zu jobs (%s%s): write SOURCE:ID", ref, l->n, buf_str(&names), l->n > 5 ? ", ..." : "");
	buf_free(&names);
	return -1;
}

int jobreg_find(struct db *db, const char *ref, struct job *out, struct err *e)
{
	char *source = NULL, *id = NULL;
	if (job_parse_ref(ref, &source, &id, e) < 0)
		return -1;
	static const char *const tries[] = {
		"SELECT " JOB_COLUMNS " FROM jobs WHERE ext_id = ?1 AND (?2 IS NULL OR source = ?2)",
		"SELECT " JOB_COLUMNS " FROM jobs WHERE substr(ext_id, 1, length(?1)) = ?1 AND (?2 IS NULL OR source = ?2)",
		"SELECT " JOB_COLUMNS " FROM jobs WHERE name = ?1 AND (?2 IS NULL OR source = ?2)",
	};
	int rc = -1;
	for (size_t t = 0; t < sizeof tries / sizeof *tries; t++) {
		struct job_list l = {0};
		if (select_jobs(db, tries[t], id, source, &l, e) < 0) {
			job_list_free(&l);
			break;
		}
		if (l.n == 1) {
			*out = l.v[0];
			free(l.v);
			rc = 0;
			break;
		}
		if (l.n > 1) {
			ambiguous(&l, ref, e);
			job_list_free(&l);
			break;
		}
		if (t + 1 == sizeof tries / sizeof *tries)
			err_set(e, "there is no job '%s'; 'aiwb jobs ls' lists them", ref);
	}
	free(source);
	free(id);
	return rc;
}

int jobreg_list(struct db *db, const char *source, int status, struct job_list *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	return select_jobs(db,
			   "SELECT " JOB_COLUMNS " FROM jobs WHERE (?1 IS NULL OR source = ?1) "
			   "AND (?2 IS NULL OR status = ?2) ORDER BY COALESCE(submit_ms, start_ms, 0) DESC, id DESC",
			   source, status >= 0 ? job_status_name((enum job_status)status) : NULL, out, e) < 0
		       ? (job_list_free(out), -1)
		       : 0;
}

static int run_for_job(struct db *db, const char *sql, int64_t job_id, struct err *e)
{
	return db_run_ids(db, sql, job_id, 0, e) < 0 ? sql_fail(db, e) : 0;
}

/* The same with text bound to ?2. */
static int run_for_job_text(struct db *db, const char *sql, int64_t job_id, const char *text, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, sql, e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, job_id);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
	return step_done(db, st, e);
}

int jobreg_delete(struct db *db, int64_t id, struct err *e)
{
	return run_for_job(db, "DELETE FROM jobs WHERE id = ?1", id, e);
}

int jobreg_inserter_add(struct jobreg_inserter *w, int64_t job_id, const struct metric_point *p, int64_t time_ms,
			const char *origin)
{
	if (!w->stmt) {
		w->stmt = db_prepare(w->db, "INSERT INTO job_metrics(job_id, name, step, value, is_nan, time_ms, origin) "
					    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", NULL);
		if (!w->stmt) {
			w->failed = 1;
			return -1;
		}
	}
	sqlite3_stmt *st = w->stmt;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, job_id);
	sqlite3_bind_text(st, 2, p->name, -1, SQLITE_TRANSIENT);
	if (p->has_step)
		sqlite3_bind_int64(st, 3, p->step);
	else
		sqlite3_bind_null(st, 3);
	if (isnan(p->value))
		sqlite3_bind_null(st, 4);
	else
		sqlite3_bind_double(st, 4, p->value);
	sqlite3_bind_int(st, 5, isnan(p->value) ? 1 : 0);
	sqlite3_bind_int64(st, 6, time_ms);
	sqlite3_bind_text(st, 7, origin, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE) {
		w->failed = 1;
		return -1;
	}
	return 0;
}

void jobreg_inserter_done(struct jobreg_inserter *w)
{
	sqlite3_finalize(w->stmt);
	w->stmt = NULL;
}

int jobreg_add_point(struct db *db, int64_t job_id, const struct metric_point *p, int64_t time_ms, const char *origin,
		     struct err *e)
{
	struct jobreg_inserter w = {.db = db};
	int rc = jobreg_inserter_add(&w, job_id, p, time_ms, origin);
	if (rc < 0)
		sql_fail(db, e);
	jobreg_inserter_done(&w);
	return rc;
}

struct point_each {
	jobreg_point_fn fn;
	void *ud;
	int with_count;
};

static int point_row(void *ud, sqlite3_stmt *st)
{
	const struct point_each *each = ud;
	struct jobreg_point p = {
		.seq = sqlite3_column_int64(st, 0),
		.name = (const char *)sqlite3_column_text(st, 1),
		.has_step = sqlite3_column_type(st, 2) != SQLITE_NULL,
		.step = sqlite3_column_int64(st, 2),
		.value = sqlite3_column_int(st, 4) ? NAN : sqlite3_column_double(st, 3),
		.time_ms = sqlite3_column_int64(st, 5),
		.origin = (const char *)sqlite3_column_text(st, 6),
		.count = each->with_count ? sqlite3_column_int64(st, 7) : 0,
	};
	return each->fn(each->ud, &p);
}

static int each_point(struct db *db, sqlite3_stmt *st, jobreg_point_fn fn, void *ud, int with_count, struct err *e)
{
	struct point_each each = { fn, ud, with_count };
	return db_each_row(db, st, point_row, &each, NULL) < 0 ? sql_fail(db, e) : 0;
}

int jobreg_points(struct db *db, int64_t job_id, int64_t since, const char *name, jobreg_point_fn fn, void *ud,
		  struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT seq, name, step, value, is_nan, time_ms, origin FROM job_metrics "
					  "WHERE job_id = ?1 AND seq > ?2 AND (?3 IS NULL OR name = ?3) ORDER BY seq", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, job_id);
	sqlite3_bind_int64(st, 2, since);
	bind_text(st, 3, name);
	return each_point(db, st, fn, ud, 0, e);
}

int jobreg_last_values(struct db *db, int64_t job_id, jobreg_point_fn fn, void *ud, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT m.seq, m.name, m.step, m.value, m.is_nan, m.time_ms, m.origin, l.points "
					  "FROM job_metric_last l JOIN job_metrics m ON m.seq = l.seq "
					  "WHERE l.job_id = ?1 ORDER BY l.name", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, job_id);
	return each_point(db, st, fn, ud, 1, e);
}

int jobreg_delete_points(struct db *db, int64_t job_id, const char *origin, struct err *e)
{
	/* rare (a rewritten metrics.csv): rebuild the job's last points */
	if (run_for_job_text(db, "DELETE FROM job_metrics WHERE job_id = ?1 AND origin = ?2", job_id, origin, e) < 0 ||
	    run_for_job(db, "DELETE FROM job_metric_last WHERE job_id = ?1", job_id, e) < 0)
		return -1;
	return run_for_job(db, "INSERT INTO job_metric_last(job_id, name, seq, points) SELECT job_id, name, MAX(seq), "
			   "COUNT(*) FROM job_metrics WHERE job_id = ?1 GROUP BY name", job_id, e);
}

int64_t jobreg_last_point_ms(struct db *db, int64_t job_id)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT MAX(time_ms) FROM job_metrics WHERE job_id = ?1", NULL);
	if (!st)
		return 0;
	sqlite3_bind_int64(st, 1, job_id);
	int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return v;
}

int jobreg_file_get(struct db *db, int64_t job_id, const char *path, int64_t *offset, int64_t *size, int64_t *mtime_ns)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT offset, size, mtime_ns FROM job_files WHERE job_id = ?1 AND path = ?2",
				      NULL);
	if (!st)
		return 0;
	sqlite3_bind_int64(st, 1, job_id);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_TRANSIENT);
	int found = sqlite3_step(st) == SQLITE_ROW;
	if (found) {
		*offset = sqlite3_column_int64(st, 0);
		*size = sqlite3_column_int64(st, 1);
		*mtime_ns = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	return found;
}

int jobreg_file_set(struct db *db, int64_t job_id, const char *path, int64_t offset, int64_t size, int64_t mtime_ns,
		    struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "INSERT INTO job_files(job_id, path, offset, size, mtime_ns) VALUES "
					  "(?1, ?2, ?3, ?4, ?5) ON CONFLICT(job_id, path) DO UPDATE SET offset = ?3, "
					  "size = ?4, mtime_ns = ?5", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, job_id);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, offset);
	sqlite3_bind_int64(st, 4, size);
	sqlite3_bind_int64(st, 5, mtime_ns);
	return step_done(db, st, e);
}

int jobreg_alert_add(struct db *db, int64_t job_id, const char *rule, struct err *e)
{
	return run_for_job_text(db, "INSERT OR IGNORE INTO job_alerts(job_id, rule) VALUES (?1, ?2)", job_id, rule, e);
}

struct alert_each {
	jobreg_alert_fn fn;
	void *ud;
};

static int alert_row(void *ud, sqlite3_stmt *st)
{
	const struct alert_each *each = ud;
	struct jobreg_alert a = {
		.id = sqlite3_column_int64(st, 0),
		.job_id = sqlite3_column_int64(st, 1),
		.rule = (const char *)sqlite3_column_text(st, 2),
		.fired = sqlite3_column_int(st, 3),
		.fired_ms = sqlite3_column_int64(st, 4),
	};
	return each->fn(each->ud, &a);
}

int jobreg_alerts(struct db *db, int64_t job_id, jobreg_alert_fn fn, void *ud, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT id, job_id, rule, fired, fired_ms FROM job_alerts "
					  "WHERE ?1 = 0 OR job_id = ?1 ORDER BY id", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, job_id);
	struct alert_each each = { fn, ud };
	return db_each_row(db, st, alert_row, &each, NULL) < 0 ? sql_fail(db, e) : 0;
}

int jobreg_alert_set(struct db *db, int64_t alert_id, int fired, int64_t fired_ms, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "UPDATE job_alerts SET fired = ?2, fired_ms = ?3 WHERE id = ?1 AND fired != ?2", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, alert_id);
	sqlite3_bind_int(st, 2, fired);
	bind_ms(st, 3, fired_ms);
	if (step_done(db, st, e) < 0)
		return -1;
	return sqlite3_changes(db_handle(db)) > 0;
}

int jobreg_begin(struct db *db, struct err *e)
{
	return db_exec(db, "BEGIN IMMEDIATE", e);
}

int jobreg_commit(struct db *db, struct err *e)
{
	if (db_exec(db, "COMMIT", e) == 0)
		return 0;
	db_exec(db, "ROLLBACK", NULL);
	return -1;
}
