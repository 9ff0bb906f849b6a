/* Jobs pane: every job of every source (local, Slurm when it is there) in
 * one list — status in colour, elapsed time, latest metrics, SOURCE:ID —
 * with the `/` filter and a sort key, kept live by a job poller on loop
 * timers (a source that is down is named in the header; its jobs stay
 * listed from the registry). Enter opens a job: its status transitions on one
 * line, its metric curves (ui/chart.h),
 * its status and its log tail, followed as it grows (jobs/follow.h). x stops
 * the job after a y/n question. Space marks jobs; c overlays one metric
 * across the marked jobs, one colour and a legend entry per job.
 * The pane reads the registry through src/jobs/ functions; callbacks only
 * set flags and ask for a redraw, and the reading happens when drawing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "chart.h"
#include "draw.h"
#include "input.h"
#include "jobs/desk.h"
#include "jobs/alert.h"
#include "jobs/fold.h"
#include "jobs/follow.h"
#include "jobs/notify.h"
#include "jobs/registry.h"
#include "jobs/smmonitor.h"
#include "jobs/slurm.h"
#include "jobs/text.h"
#include "keys.h"
#include "list.h"
#include "pane.h"
#include "scrollpos.h"
#include "store/dbwatch.h"
#include "term.h"
#include "view_drift.h"

#define LOG_KEEP ((size_t)64 << 10)
#define POLL_MS 1000
#define IDLE_MS 5000       /* no job to follow, the pane focused */
#define IDLE_AWAY_MS 60000 /* no job to follow, another pane focused: other processes' jobs come through dbwatch */
#define BACKOFF_MAX_MS 30000

enum view { VIEW_LIST, VIEW_JOB, VIEW_COMPARE, VIEW_DRIFT };
enum sort { SORT_NEWEST, SORT_STATUS, SORT_NAME, SORT_ELAPSED, SORT_COUNT };
static const char *const sort_names[SORT_COUNT] = { "newest", "status", "name", "elapsed" };

struct curve {
	char *name;
	int64_t job_id, seq; /* the points read so far: seq > this are new */
	double *step, *time, *y;
	size_t n, cap;
};

struct stop_ticket {
	struct jobs_pane *jp; /* NULL once the pane is gone */
};

struct jobs_pane {
	struct pane base;
	struct ui_list list;
	struct job_desk desk;
	struct job_poller *poller;
	struct dbwatch *dbwatch;   /* another process wrote a job: refresh at once */
	struct alert_notifier *notifier;
	int alerts_warned;         /* a config alert that does not parse was named */
	int64_t since_ms;          /* config alerts apply to jobs that end from then on */
	int stale;                 /* the registry changed: read the jobs again */
	struct job_list jobs;
	char **metrics, **text;    /* per job: latest metrics, the filter's text */
	size_t *order;             /* rows in sort order: indexes of jobs.v, children folded */
	size_t nrows;
	int *depth;                /* per row: 1 for an unfolded array's task */
	int64_t *unfolded;         /* arrays whose tasks show */
	size_t nunfolded;
	enum sort sort;
	int64_t *marked;
	size_t nmarked;

	enum view view;
	struct job cur;            /* the job shown; kept up to date by the follower */
	struct job_follow *follow;
	struct smm_violations *violations; /* a Model Monitor execution's, being read */
	struct sanitizer san;
	struct buf log;            /* sanitised log tail */
	int log_ended;
	char *log_search;          /* show only the lines holding this (any case) */
	size_t log_back;           /* lines scrolled back from the end */
	int log_rows;              /* log lines shown by the last draw */
	int points_stale;
	char *transitions;         /* cur's status changes as one line, for: */
	enum job_status transitions_status;
	int transitions_width;
	struct curve *curves;
	size_t ncurves;
	char *compare_metric;
	int confirm;               /* asking y/n before stopping cur */
	struct stop_ticket *stopping;
	unsigned chart_flags;
	enum chart_cells cells;
	struct drift_view *drift;  /* VIEW_DRIFT: a drift report or monitor (ui/view_drift.h) */
};

/* ---- the job list ---- */

static void free_rows(struct jobs_pane *jp)
{
	for (size_t i = 0; i < jp->jobs.n; i++) {
		free(jp->metrics[i]);
		free(jp->text[i]);
	}
	free(jp->metrics);
	free(jp->text);
	free(jp->order);
	free(jp->depth);
	jp->metrics = jp->text = NULL;
	jp->order = NULL;
	jp->depth = NULL;
	jp->nrows = 0;
	job_list_free(&jp->jobs);
}

static int is_marked(const struct jobs_pane *jp, int64_t id)
{
	for (size_t i = 0; i < jp->nmarked; i++)
		if (jp->marked[i] == id)
			return 1;
	return 0;
}

static void toggle_mark(struct jobs_pane *jp, int64_t id)
{
	for (size_t i = 0; i < jp->nmarked; i++) {
		if (jp->marked[i] == id) {
			jp->marked[i] = jp->marked[--jp->nmarked];
			return;
		}
	}
	jp->marked = xreallocarray(jp->marked, jp->nmarked + 1, sizeof *jp->marked);
	jp->marked[jp->nmarked++] = id;
}

static int by_sort(const void *a, const void *b, void *ud)
{
	const struct jobs_pane *jp = ud;
	const struct job *x = &jp->jobs.v[*(const size_t *)a], *y = &jp->jobs.v[*(const size_t *)b];
	int64_t now = clock_wall_ms();
	int c = 0;
	switch (jp->sort) {
	case SORT_STATUS: c = (int)x->status - (int)y->status; break;
	case SORT_NAME: c = strcmp(x->name ? x->name : "", y->name ? y->name : ""); break;
	case SORT_ELAPSED: {
		int64_t ex = job_elapsed_ms(x, now), ey = job_elapsed_ms(y, now);
		c = ex > ey ? -1 : ex < ey;
		break;
	}
	case SORT_NEWEST:
	case SORT_COUNT: break;
	}
	if (c)
		return c;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1; /* the registry's order: newest first */
}

static void sort_rows(struct jobs_pane *jp)
{
	size_t *sorted = xcalloc(jp->jobs.n ? jp->jobs.n : 1, sizeof *sorted);
	for (size_t i = 0; i < jp->jobs.n; i++)
		sorted[i] = i;
	qsort_r(sorted, jp->jobs.n, sizeof *sorted, by_sort, jp);
	jp->nrows = job_fold_rows(&jp->jobs, sorted, jp->jobs.n, jp->unfolded, jp->nunfolded, jp->order, jp->depth);
	free(sorted);
}

static void toggle_fold(struct jobs_pane *jp, const struct job *j)
{
	int64_t id = j->parent_id ? j->parent_id : j->id;
	if (!job_fold_children(&jp->jobs, id))
		return;
	for (size_t i = 0; i < jp->nunfolded; i++)
		if (jp->unfolded[i] == id) {
			jp->unfolded[i] = jp->unfolded[--jp->nunfolded];
			jp->stale = 1;
			return;
		}
	jp->unfolded = xreallocarray(jp->unfolded, jp->nunfolded + 1, sizeof *jp->unfolded);
	jp->unfolded[jp->nunfolded++] = id;
	jp->stale = 1;
}

static void reload(struct jobs_pane *jp)
{
	int64_t keep = -1;
	size_t sel = ui_list_selected(&jp->list);
	if (sel != UI_LIST_NONE && jp->order)
		keep = jp->jobs.v[jp->order[sel]].id;
	free_rows(jp);
	struct err e = ERR_INIT;
	if (jobreg_list(jp->base.wb->db, NULL, -1, &jp->jobs, &e) != 0)
		wb_status(jp->base.wb, 1, "cannot read the jobs: %s", e.msg);
	size_t n = jp->jobs.n;
	jp->metrics = xcalloc(n ? n : 1, sizeof *jp->metrics);
	jp->text = xcalloc(n ? n : 1, sizeof *jp->text);
	jp->order = xcalloc(n ? n : 1, sizeof *jp->order);
	jp->depth = xcalloc(n ? n : 1, sizeof *jp->depth);
	for (size_t i = 0; i < n; i++) {
		const struct job *j = &jp->jobs.v[i];
		struct buf m = BUF_INIT;
		if (!slurm_array_summary(j, &m) && (j->status != JOB_QUEUED || j->start_ms)) /* a waiting task has none */
			job_text_metrics(jp->base.wb->db, j->id, 4, &m);
		jp->metrics[i] = buf_detach(&m);
		char *ref = job_ref(j);
		struct buf t = BUF_INIT;
		buf_printf(&t, "%s %s %s %s", ref, j->name ? j->name : "", job_status_name(j->status), jp->metrics[i]);
		jp->text[i] = buf_detach(&t);
		free(ref);
	}
	sort_rows(jp);
	ui_list_set_count(&jp->list, jp->nrows);
	for (size_t i = 0; keep >= 0 && i < jp->nrows; i++)
		if (jp->jobs.v[jp->order[i]].id == keep)
			ui_list_select(&jp->list, i);
	jp->stale = 0;
}

static const struct job *row_job(const struct jobs_pane *jp, size_t row)
{
	return row < jp->nrows ? &jp->jobs.v[jp->order[row]] : NULL;
}

static attr_t status_attr(enum job_status s)
{
	switch (s) {
	case JOB_QUEUED:
	case JOB_STARTING:
	case JOB_RUNNING:
	case JOB_STOPPING: return theme_attr(ROLE_JOB_RUNNING);
	case JOB_COMPLETED: return theme_attr(ROLE_JOB_DONE);
	case JOB_FAILED:
	case JOB_TIMEOUT:
	case JOB_LOST: return theme_attr(ROLE_JOB_FAILED);
	case JOB_STOPPED: return theme_attr(ROLE_WARN);
	case JOB_UNKNOWN:
	case JOB_STATUS_COUNT: break;
	}
	return theme_attr(ROLE_DIM);
}

static void draw_row(void *ud, WINDOW *w, int y, int x, int width, size_t i, int cursor)
{
	(void)x;
	struct jobs_pane *jp = ud;
	const struct job *j = &jp->jobs.v[jp->order[i]];
	attr_t base = theme_attr(cursor ? ROLE_SELECTED : ROLE_NORMAL);
	if (cursor)
		draw_fill(w, y, 0, base);
	char cell[64], el[16];
	int col = draw_text(w, y, 0, width, is_marked(jp, j->id) ? "*" : " ", cursor ? base : theme_attr(ROLE_MARKED));
	snprintf(cell, sizeof cell, "%-9s", job_status_name(j->status));
	col += draw_text(w, y, col, width - col, cell, cursor ? base : status_attr(j->status));
	job_text_duration(el, sizeof el, job_elapsed_ms(j, clock_wall_ms()));
	snprintf(cell, sizeof cell, "%6s ", el);
	col += draw_text(w, y, col, width - col, cell, base);
	char *ref = job_ref(j);
	struct buf t = BUF_INIT;
	size_t kids = jp->depth[i] ? 0 : job_fold_children(&jp->jobs, j->id);
	int open = 0;
	for (size_t k = 0; kids && k < jp->nunfolded; k++)
		open |= jp->unfolded[k] == j->id;
	buf_printf(&t, "%s%s %s", jp->depth[i] ? "  └ " : kids ? (open ? "▾ " : "▸ ") : "", ref, j->name ? j->name : "");
	free(ref);
	col += draw_text(w, y, col, width - col, t.data, base);
	buf_free(&t);
	if (jp->metrics[jp->order[i]][0] && col + 4 < width)
		draw_text(w, y, col + 2, width - col - 2, jp->metrics[jp->order[i]], cursor ? base : theme_attr(ROLE_METRIC));
}

static const char *row_text(void *ud, size_t i)
{
	struct jobs_pane *jp = ud;
	return jp->text[jp->order[i]];
}

static const struct ui_list_ops list_ops = { draw_row, row_text };

static void draw_sources(struct jobs_pane *jp, WINDOW *w, int width)
{
	struct job_source *srcs[8];
	int nsrcs = (int)job_desk_all(&jp->desk, srcs, 8);
	int col = 0;
	char line[160];
	/* the sources that are up as one word list ("local drift ok"), then
	 * each one that is down with its reason */
	struct buf up = BUF_INIT;
	for (int k = 0; k < nsrcs; k++)
		if (srcs[k] && !srcs[k]->down)
			buf_printf(&up, "%s ", srcs[k]->ops->name);
	if (up.len) {
		buf_puts(&up, "ok  ");
		col += draw_text(w, 0, col, width - col, buf_str(&up), theme_attr(ROLE_DIM));
	}
	buf_free(&up);
	for (int k = 0; k < nsrcs && col < width; k++) {
		struct job_source *s = srcs[k];
		if (!s || !s->down)
			continue;
		snprintf(line, sizeof line, "%s down%s%s  ", s->ops->name, s->why ? ": " : "", s->why ? s->why : "");
		col += draw_text(w, 0, col, width - col, line, theme_attr(ROLE_ERROR));
	}
	snprintf(line, sizeof line, "sort: %s", sort_names[jp->sort]);
	if (col + (int)strlen(line) < width)
		draw_text(w, 0, width - (int)strlen(line), (int)strlen(line), line, theme_attr(ROLE_DIM));
}

/* ---- a job's curves and log ---- */

static void curves_free(struct jobs_pane *jp)
{
	for (size_t i = 0; i < jp->ncurves; i++) {
		free(jp->curves[i].name);
		free(jp->curves[i].step);
		free(jp->curves[i].time);
		free(jp->curves[i].y);
	}
	free(jp->curves);
	jp->curves = NULL;
	jp->ncurves = 0;
}

static struct curve *curve_add(struct jobs_pane *jp, const char *name, int64_t job_id)
{
	jp->curves = xreallocarray(jp->curves, jp->ncurves + 1, sizeof *jp->curves);
	struct curve *c = &jp->curves[jp->ncurves++];
	memset(c, 0, sizeof *c);
	c->name = xstrdup(name);
	c->job_id = job_id;
	return c;
}

static void curve_push(struct curve *c, const struct jobreg_point *p)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 256;
		c->step = xreallocarray(c->step, c->cap, sizeof *c->step);
		c->time = xreallocarray(c->time, c->cap, sizeof *c->time);
		c->y = xreallocarray(c->y, c->cap, sizeof *c->y);
	}
	c->step[c->n] = p->has_step ? (double)p->step : (double)c->n;
	c->time[c->n] = (double)p->time_ms / 1000.0;
	c->y[c->n] = p->value;
	c->n++;
}

struct load {
	struct jobs_pane *jp;
	struct curve *only; /* compare: every point goes to this curve */
	int64_t seq;
};

static int on_point(void *ud, const struct jobreg_point *p)
{
	struct load *ld = ud;
	struct jobs_pane *jp = ld->jp;
	ld->seq = p->seq;
	struct curve *c = ld->only;
	for (size_t i = 0; !c && i < jp->ncurves; i++)
		if (strcmp(jp->curves[i].name, p->name) == 0)
			c = &jp->curves[i];
	if (!c)
		c = curve_add(jp, p->name, jp->cur.id);
	curve_push(c, p);
	return 0;
}

/* Reads the points that are new since the last call. */
static void load_points(struct jobs_pane *jp)
{
	struct db *db = jp->base.wb->db;
	if (jp->view == VIEW_JOB) {
		int64_t since = 0;
		for (size_t i = 0; i < jp->ncurves; i++)
			since = jp->curves[i].seq > since ? jp->curves[i].seq : since;
		struct load ld = { jp, NULL, since };
		jobreg_points(db, jp->cur.id, since, NULL, on_point, &ld, NULL);
		for (size_t i = 0; i < jp->ncurves; i++)
			jp->curves[i].seq = ld.seq;
	} else {
		for (size_t i = 0; i < jp->ncurves; i++) {
			struct load ld = { jp, &jp->curves[i], jp->curves[i].seq };
			jobreg_points(db, jp->curves[i].job_id, ld.seq, jp->compare_metric, on_point, &ld, NULL);
			jp->curves[i].seq = ld.seq;
		}
	}
	jp->points_stale = 0;
}

static void on_log_bytes(void *ud, const char *data, size_t n)
{
	struct jobs_pane *jp = ud;
	sanitize_feed(&jp->san, data, n, &jp->log);
	if (jp->log.len > 2 * LOG_KEEP) {
		size_t cut = jp->log.len - LOG_KEEP;
		char *nl = memchr(jp->log.data + cut, '\n', LOG_KEEP);
		if (nl)
			cut = (size_t)(nl + 1 - jp->log.data);
		memmove(jp->log.data, jp->log.data + cut, jp->log.len - cut);
		jp->log.len -= cut;
		jp->log.data[jp->log.len] = '\0';
	}
	jp->points_stale = 1;
	wb_redraw(jp->base.wb);
}

static void on_log_end(void *ud, const char *error)
{
	struct jobs_pane *jp = ud;
	jp->log_ended = 1;
	jp->points_stale = 1;
	jp->stale = 1;
	if (error)
		wb_status(jp->base.wb, 1, "the log of the job cannot be read: %s", error);
	wb_redraw(jp->base.wb);
}

/* A Model Monitor execution's violations, shown where a log would be. */
static void on_violations(void *ud, const char *text, const char *error)
{
	struct jobs_pane *jp = ud;
	struct buf b = BUF_INIT;
	if (error)
		buf_printf(&b, "constraint violations: cannot be read: %s\n", error);
	else
		buf_printf(&b, "constraint violations (%s/constraint_violations.json):\n%s", jp->cur.dir, text);
	sanitize_feed(&jp->san, b.data, b.len, &jp->log);
	buf_free(&b);
	wb_redraw(jp->base.wb);
}

static void close_detail(struct jobs_pane *jp)
{
	smmonitor_violations_free(jp->violations);
	jp->violations = NULL;
	job_follow_free(jp->follow);
	jp->follow = NULL;
	job_clear(&jp->cur);
	buf_free(&jp->log);
	free(jp->log_search);
	jp->log_search = NULL;
	jp->log_back = 0;
	free(jp->transitions);
	jp->transitions = NULL;
	curves_free(jp);
	free(jp->compare_metric);
	jp->compare_metric = NULL;
	jp->confirm = 0;
	drift_view_free(jp->drift);
	jp->drift = NULL;
	jp->view = VIEW_LIST;
	jp->stale = 1;
}

static void open_job(struct jobs_pane *jp, const struct job *j)
{
	close_detail(jp);
	if (strcmp(j->source, "drift") == 0) {
		jp->drift = drift_view_open(jp->base.wb, j, jp->cells);
		jp->view = jp->drift ? VIEW_DRIFT : VIEW_LIST;
		return;
	}
	struct err e = ERR_INIT;
	if (jobreg_get(jp->base.wb->db, j->id, &jp->cur, &e) != 1) {
		wb_status(jp->base.wb, 1, "the job is gone from the registry%s%s", e.msg[0] ? ": " : "", e.msg);
		return;
	}
	jp->view = VIEW_JOB;
	jp->log_ended = 0;
	sanitize_init(&jp->san, 4);
	jp->points_stale = 1;
	static const struct job_follow_cb cb = { on_log_bytes, on_log_end, NULL };
	struct job_follow_cb mine = cb;
	mine.ud = jp;
	jp->follow = job_follow_start(&jp->desk, &jp->cur, &mine);
	if (strcmp(jp->cur.source, SMMONITOR_SOURCE) == 0 && strchr(jp->cur.ext_id, '/') && job_status_final(jp->cur.status)) {
		jp->violations = smmonitor_violations_start(&jp->cur, jp->base.wb->loop, on_violations, jp, &e);
		if (!jp->violations)
			on_violations(jp, NULL, e.msg);
	}
}

struct first_name {
	char *name;
};

static int take_first(void *ud, const struct jobreg_point *p)
{
	struct first_name *f = ud;
	if (!f->name)
		f->name = xstrdup(p->name);
	return 0;
}

/* Overlays the metric of the job under the cursor (its first by name)
 * across the marked jobs. */
static void open_compare(struct jobs_pane *jp, const struct job *j)
{
	struct wb *wb = jp->base.wb;
	if (jp->nmarked < 2) {
		wb_status(wb, 1, "mark two jobs or more with %s to compare them", KEY_HINT(PA_JOBS_MARK));
		return;
	}
	struct first_name f = { NULL };
	jobreg_last_values(wb->db, j->id, take_first, &f, NULL);
	for (size_t i = 0; !f.name && i < jp->nmarked; i++)
		jobreg_last_values(wb->db, jp->marked[i], take_first, &f, NULL);
	if (!f.name) {
		wb_status(wb, 1, "the marked jobs have no metrics yet");
		return;
	}
	close_detail(jp);
	jp->compare_metric = f.name;
	for (size_t i = 0; i < jp->nmarked; i++) {
		struct job mj;
		if (jobreg_get(wb->db, jp->marked[i], &mj, NULL) != 1)
			continue;
		char *ref = job_ref(&mj);
		struct buf label = BUF_INIT;
		buf_printf(&label, "%s", mj.name ? mj.name : ref);
		curve_add(jp, label.data, mj.id);
		buf_free(&label);
		free(ref);
		job_clear(&mj);
	}
	jp->view = VIEW_COMPARE;
	jp->points_stale = 1;
}

/* Cycles the compared metric through the names the first marked job has. */
struct next_name {
	const char *after;
	char *first, *next;
	int passed;
};

static int take_next(void *ud, const struct jobreg_point *p)
{
	struct next_name *n = ud;
	if (!n->first)
		n->first = xstrdup(p->name);
	if (n->passed && !n->next)
		n->next = xstrdup(p->name);
	if (strcmp(p->name, n->after) == 0)
		n->passed = 1;
	return 0;
}

static void next_metric(struct jobs_pane *jp)
{
	if (jp->view != VIEW_COMPARE || !jp->ncurves)
		return;
	struct next_name n = { jp->compare_metric, NULL, NULL, 0 };
	jobreg_last_values(jp->base.wb->db, jp->curves[0].job_id, take_next, &n, NULL);
	char *pick = n.next ? n.next : n.first;
	if (pick && strcmp(pick, jp->compare_metric) != 0) {
		free(jp->compare_metric);
		jp->compare_metric = xstrdup(pick);
		for (size_t i = 0; i < jp->ncurves; i++) {
			jp->curves[i].n = 0;
			jp->curves[i].seq = 0;
		}
		jp->points_stale = 1;
	}
	free(n.first == pick ? n.next : n.first);
	free(pick);
}

static void on_stopped(void *ud, int ok, const char *why)
{
	struct stop_ticket *t = ud;
	struct jobs_pane *jp = t->jp;
	free(t);
	if (!jp)
		return;
	jp->stopping = NULL;
	jp->stale = 1;
	jp->points_stale = 1;
	if (ok)
		wb_status(jp->base.wb, 0, "the job stopped");
	else
		wb_status(jp->base.wb, 1, "the job could not be stopped: %s", why ? why : "no reason given");
	wb_redraw(jp->base.wb);
}

static void stop_job(struct jobs_pane *jp, struct job *j)
{
	struct job_source *src = job_desk_source(&jp->desk, j);
	char *ref = job_ref(j);
	if (!src) {
		wb_status(jp->base.wb, 1, "stopping %s jobs is not available here", j->source);
	} else if (job_status_final(j->status)) {
		wb_status(jp->base.wb, 1, "%s has already ended (%s)", ref, job_status_name(j->status));
	} else if (jp->stopping) {
		wb_status(jp->base.wb, 1, "a job is being stopped; wait for it to end");
	} else {
		jp->stopping = xcalloc(1, sizeof *jp->stopping);
		jp->stopping->jp = jp;
		wb_status(jp->base.wb, 0, "stopping %s…", ref);
		src->ops->stop(src, j, on_stopped, jp->stopping);
	}
	free(ref);
}

static void draw_job_head(struct jobs_pane *jp, WINDOW *w, int width)
{
	const struct job *j = &jp->cur;
	char el[16], line[256];
	int col = draw_text(w, 0, 0, width, job_status_name(j->status), status_attr(j->status));
	job_text_duration(el, sizeof el, job_elapsed_ms(j, clock_wall_ms()));
	char *ref = job_ref(j);
	int n = snprintf(line, sizeof line, "  %s %s  %s", ref, j->name ? j->name : "", el);
	free(ref);
	if (job_status_final(j->status) && j->has_exit && n > 0 && (size_t)n < sizeof line)
		n += snprintf(line + n, sizeof line - (size_t)n, "  exit %d", j->exit_code);
	if (j->signal > 0 && n > 0 && (size_t)n < sizeof line)
		n += snprintf(line + n, sizeof line - (size_t)n, "  signal %s",
			      job_signal_name(j->signal) ? job_signal_name(j->signal) : "?");
	if (j->reason && n > 0 && (size_t)n < sizeof line)
		snprintf(line + n, sizeof line - (size_t)n, "  %s", j->reason);
	draw_text(w, 0, col, width - col, line, theme_attr(ROLE_NORMAL));
}

static int line_matches(const char *line, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; i + k <= n; i++)
		if (strncasecmp(line + i, needle, k) == 0)
			return 1;
	return 0;
}

/* How many lines of s[0..len) there are (those holding search, when given). */
static size_t log_count(const char *s, size_t len, const char *search)
{
	size_t n = 0;
	for (size_t start = 0; len && start <= len;) {
		const char *nl = memchr(s + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - s) : len;
		n += !search || line_matches(s + start, end - start, search);
		start = end + 1;
	}
	return n;
}

/* The log's last rows lines (those holding the search, when there is one),
 * log_back lines up from the end; its scroll position at the right of its
 * head line. */
static void draw_log(struct jobs_pane *jp, WINDOW *w, int y, int rows, int width)
{
	if (rows <= 0)
		return;
	rows--;
	jp->log_rows = rows;
	const char *s = jp->log.data ? jp->log.data : "";
	size_t len = jp->log.len;
	if (len && s[len - 1] == '\n')
		len--;
	const char *search = jp->log_search && *jp->log_search ? jp->log_search : NULL;
	size_t *starts = xreallocarray(NULL, (size_t)(rows > 0 ? rows : 1), sizeof *starts);
	size_t *lens = xreallocarray(NULL, (size_t)(rows > 0 ? rows : 1), sizeof *lens);
	int got, again = 1;
	size_t skip, matched, end;
scan:
	got = 0;
	skip = jp->log_back;
	matched = 0;
	end = len;
	while (len && got < rows) {
		size_t start = end;
		while (start > 0 && s[start - 1] != '\n')
			start--;
		if (!search || line_matches(s + start, end - start, search)) {
			matched++;
			if (skip)
				skip--;
			else {
				starts[got] = start;
				lens[got++] = end - start;
			}
		}
		if (start == 0)
			break;
		end = start - 1;
	}
	if (got < rows && jp->log_back && again--) {
		/* scrolled past the top: the first page */
		jp->log_back = matched > (size_t)rows ? matched - (size_t)rows : 0;
		goto scan;
	}
	struct buf head = BUF_INIT;
	buf_printf(&head, "log%s", jp->log_ended ? " (ended)" : "");
	if (search)
		buf_printf(&head, "  /%s", search);
	if (jp->log_back)
		buf_printf(&head, "  %zu line%s up (G: the end)", jp->log_back, jp->log_back == 1 ? "" : "s");
	draw_text(w, y, 0, width, head.data, theme_attr(ROLE_DIM));
	size_t total = log_count(s, len, search), back = got ? jp->log_back : 0;
	long first = (long)total - (long)back - got;
	scrollpos_draw(w, y, width, width - sanitize_width(head.data, head.len), first, rows, (long)total,
		       theme_attr(ROLE_DIM));
	buf_free(&head);
	if (!got)
		draw_text(w, y + 1, 0, width, search ? "no line matches" : "no output yet", theme_attr(ROLE_DIM));
	for (int r = 0; r < got; r++) {
		char *line = xstrndup(s + starts[got - 1 - r], lens[got - 1 - r]);
		draw_text(w, y + 1 + r, 0, width, line, theme_attr(search ? ROLE_MATCH : ROLE_NORMAL));
		free(line);
	}
	free(starts);
	free(lens);
}

static void on_search(const char *line, void *ud)
{
	struct jobs_pane *jp = ud;
	if (!line)
		return;
	free(jp->log_search);
	jp->log_search = *line ? xstrdup(line) : NULL;
	jp->log_back = 0;
	wb_redraw(jp->base.wb);
}

static void draw_chart(struct jobs_pane *jp, WINDOW *w, int y, int h, int width)
{
	struct chart_series *s = xreallocarray(NULL, jp->ncurves ? jp->ncurves : 1, sizeof *s);
	int by_time = (jp->chart_flags & CHART_X_TIME) != 0;
	for (size_t i = 0; i < jp->ncurves; i++)
		s[i] = (struct chart_series){ jp->curves[i].name, by_time ? jp->curves[i].time : jp->curves[i].step,
					      jp->curves[i].y, jp->curves[i].n };
	struct chart_opts o = { jp->chart_flags, jp->cells, 0.2 };
	chart_draw(w, y, 0, h, width, s, jp->ncurves, &o, "no metric points yet");
	free(s);
}

static void draw_hint(struct jobs_pane *jp, WINDOW *w, int y, int width)
{
	char hint[256];
	if (jp->confirm) {
		char *ref = job_ref(&jp->cur);
		snprintf(hint, sizeof hint, "Stop %s? y/n", ref);
		free(ref);
		draw_text(w, y, 0, width, hint, theme_attr(ROLE_WARN));
		return;
	}
	snprintf(hint, sizeof hint, "%s back  %s stop  %s log  %s smooth  %s x:%s  %s cells  %s metric",
		 KEY_HINT(PA_JOBS_BACK), KEY_HINT(PA_JOBS_STOP), KEY_HINT(PA_JOBS_LOG_SCALE), KEY_HINT(PA_JOBS_SMOOTH),
		 KEY_HINT(PA_JOBS_X_AXIS), (jp->chart_flags & CHART_X_TIME) ? "time" : "step", KEY_HINT(PA_JOBS_CELLS),
		 KEY_HINT(PA_JOBS_METRIC));
	draw_text(w, y, 0, width, hint, theme_attr(ROLE_DIM));
}

/* Row 1: "queued 12:00:01 → running 12:00:02 → ...", read again when cur's
 * status or the width changed, or the job wrote something (points_stale). */
static void draw_transitions(struct jobs_pane *jp, WINDOW *w, int width)
{
	if (!jp->transitions || jp->transitions_status != jp->cur.status ||
	    jp->transitions_width != width) {
		struct buf line = BUF_INIT;
		job_text_transitions(jp->base.wb->db, jp->cur.id, clock_wall_ms(), width > 0 ? (size_t)width : 0, &line);
		free(jp->transitions);
		jp->transitions = xstrdup(buf_str(&line));
		buf_free(&line);
		jp->transitions_status = jp->cur.status;
		jp->transitions_width = width;
	}
	draw_text(w, 1, 0, width, jp->transitions, theme_attr(ROLE_DIM));
}

static void draw_detail(struct jobs_pane *jp, WINDOW *w, int height, int width)
{
	if (jp->points_stale) {
		free(jp->transitions);
		jp->transitions = NULL;
		load_points(jp);
	}
	int hint_y = height - 1;
	if (jp->view == VIEW_COMPARE) {
		struct buf head = BUF_INIT;
		buf_printf(&head, "%s across %zu jobs", jp->compare_metric, jp->ncurves);
		draw_text(w, 0, 0, width, head.data, theme_attr(ROLE_TITLE));
		buf_free(&head);
		draw_chart(jp, w, 1, height - 2, width);
		draw_hint(jp, w, hint_y, width);
		return;
	}
	draw_job_head(jp, w, width);
	int top = 1;
	if (height >= 10) {
		draw_transitions(jp, w, width);
		top = 2;
	}
	int body = height - 1 - top;
	int chart_h = body >= 8 ? body * 3 / 5 : body;
	draw_chart(jp, w, top, chart_h, width);
	draw_log(jp, w, top + chart_h, body - chart_h, width);
	draw_hint(jp, w, hint_y, width);
}

static void jobs_draw(struct pane *p, WINDOW *w, int height, int width)
{
	struct jobs_pane *jp = (struct jobs_pane *)p;
	if (jp->view == VIEW_DRIFT) {
		drift_view_draw(jp->drift, w, height, width);
		return;
	}
	if (jp->view != VIEW_LIST) {
		draw_detail(jp, w, height, width);
		return;
	}
	if (jp->stale)
		reload(jp);
	draw_sources(jp, w, width);
	int list_h = height - 2;
	if (list_h < 1) {
		ui_list_draw(&jp->list, w, 0, 0, height, width, NULL);
		return;
	}
	ui_list_draw(&jp->list, w, 1, 0, list_h, width,
		     "No jobs yet. Start one with: aiwb jobs run -- python3 train.py (docs/jobs.md)");
	if (jp->confirm) {
		char *ref = job_ref(&jp->cur);
		char hint[128];
		snprintf(hint, sizeof hint, "Stop %s? y/n", ref);
		free(ref);
		draw_text(w, height - 1, 0, width, hint, theme_attr(ROLE_WARN));
		return;
	}
	char hint[200];
	snprintf(hint, sizeof hint, "%s open  %s stop  %s mark (%zu)  %s compare  %s sort", KEY_HINT(PA_JOBS_OPEN),
		 KEY_HINT(PA_JOBS_STOP), KEY_HINT(PA_JOBS_MARK), jp->nmarked, KEY_HINT(PA_JOBS_COMPARE),
		 KEY_HINT(PA_JOBS_SORT));
	draw_text(w, height - 1, 0, width, hint, theme_attr(ROLE_DIM));
}

static unsigned confirm_key(struct jobs_pane *jp, int key)
{
	jp->confirm = 0;
	if (key == 'y' || key == 'Y')
		stop_job(jp, &jp->cur);
	else
		wb_status(jp->base.wb, 0, "not stopped");
	if (jp->view == VIEW_LIST)
		job_clear(&jp->cur);
	return PANE_HANDLED | PANE_DIRTY;
}

static void ask_stop(struct jobs_pane *jp, const struct job *j)
{
	if (jp->view == VIEW_LIST) {
		job_clear(&jp->cur);
		if (jobreg_get(jp->base.wb->db, j->id, &jp->cur, NULL) != 1)
			return;
	}
	if (job_status_final(jp->cur.status)) {
		char *ref = job_ref(&jp->cur);
		wb_status(jp->base.wb, 1, "%s has already ended (%s)", ref, job_status_name(jp->cur.status));
		free(ref);
		if (jp->view == VIEW_LIST)
			job_clear(&jp->cur);
		return;
	}
	jp->confirm = 1;
}

static unsigned detail_key(struct jobs_pane *jp, int key)
{
	size_t page = jp->log_rows > 1 ? (size_t)jp->log_rows - 1 : 1;
	switch (keys_pane_action(KEYMAP_JOBS, key)) {
	case PA_MOVE_UP: jp->log_back++; break;
	case PA_MOVE_DOWN: jp->log_back -= jp->log_back > 0; break;
	case PA_MOVE_PAGE_UP: jp->log_back += page; break;
	case PA_MOVE_PAGE_DOWN: jp->log_back = jp->log_back > page ? jp->log_back - page : 0; break;
	case PA_MOVE_FIRST: jp->log_back = (size_t)-1 / 2; break;
	case PA_MOVE_LAST: jp->log_back = 0; break;
	case PA_MOVE_FILTER:
		if (jp->view == VIEW_JOB)
			input_begin_in(INPUT_PROMPTS, "search the log: ", jp->log_search ? jp->log_search : "", on_search, jp);
		break;
	case PA_JOBS_BACK: close_detail(jp); break;
	case PA_JOBS_STOP:
		if (jp->view == VIEW_JOB)
			ask_stop(jp, &jp->cur);
		break;
	case PA_JOBS_LOG_SCALE: jp->chart_flags ^= CHART_LOG_Y; break;
	case PA_JOBS_SMOOTH: jp->chart_flags ^= CHART_SMOOTH; break;
	case PA_JOBS_X_AXIS: jp->chart_flags ^= CHART_X_TIME; break;
	case PA_JOBS_CELLS: jp->cells = (enum chart_cells)((jp->cells + 1) % CHART_CELLS_COUNT); break;
	case PA_JOBS_METRIC: next_metric(jp); break;
	default: return 0;
	}
	return PANE_HANDLED | PANE_DIRTY;
}

static unsigned jobs_on_key(struct pane *p, int key)
{
	struct jobs_pane *jp = (struct jobs_pane *)p;
	if (jp->confirm)
		return confirm_key(jp, key);
	if (jp->view == VIEW_DRIFT) {
		int closed;
		unsigned r = drift_view_key(jp->drift, key, &closed);
		if (closed)
			close_detail(jp);
		return r;
	}
	if (jp->view != VIEW_LIST)
		return detail_key(jp, key);
	if (jp->list.editing && ui_list_key(&jp->list, key))
		return PANE_HANDLED | PANE_DIRTY;
	const struct job *j = row_job(jp, ui_list_selected(&jp->list));
	switch (keys_map_action(KEYMAP_JOBS, key)) {
	case PA_JOBS_OPEN:
		if (j)
			open_job(jp, j);
		break;
	case PA_JOBS_STOP:
		if (j)
			ask_stop(jp, j);
		break;
	case PA_JOBS_MARK:
		if (j)
			toggle_mark(jp, j->id);
		ui_list_move(&jp->list, 1);
		break;
	case PA_JOBS_COMPARE:
		if (j)
			open_compare(jp, j);
		break;
	case PA_JOBS_SORT:
		jp->sort = (enum sort)((jp->sort + 1) % SORT_COUNT);
		jp->stale = 1;
		wb_status(p->wb, 0, "jobs sorted by %s", sort_names[jp->sort]);
		break;
	case PA_JOBS_CELLS: jp->cells = (enum chart_cells)((jp->cells + 1) % CHART_CELLS_COUNT); break;
	case PA_JOBS_FOLD:
		if (j)
			toggle_fold(jp, j);
		break;
	default: return ui_list_key(&jp->list, key) ? PANE_HANDLED | PANE_DIRTY : 0;
	}
	return PANE_HANDLED | PANE_DIRTY;
}

/* A rule fired: the status line (kept in the message log), the bell, the
 * terminal's desktop notification (tmux gets its own through the notifier),
 * and the config rule's command. */
static void on_alert(void *ud, const struct alert_fired *a)
{
	struct jobs_pane *jp = ud;
	const struct config *cfg = jp->base.wb->cfg;
	char *msg = alert_message(a);
	wb_status(jp->base.wb, 1, "alert %s", msg);
	beep();
	if (!getenv("TMUX")) {
		char *osc = alert_osc(msg);
		term_write(osc, strlen(osc));
		free(osc);
	}
	alert_notify(jp->notifier, a, msg, cfg ? alert_config_exec(cfg->alerts, cfg->nalerts, a) : NULL);
	free(msg);
}

static void check_alerts(struct jobs_pane *jp)
{
	const struct config *cfg = jp->base.wb->cfg;
	struct job_list l;
	struct err e = ERR_INIT;
	alert_notifier_reap(jp->notifier);
	if (jobreg_list(jp->base.wb->db, NULL, -1, &l, NULL) < 0)
		return;
	if (alert_check_jobs(jp->base.wb->db, &l, cfg ? cfg->alerts : NULL, cfg ? cfg->nalerts : 0, jp->since_ms,
			     clock_wall_ms(), on_alert, jp, &e) < 0 &&
	    !jp->alerts_warned) {
		wb_status(jp->base.wb, 1, "%s", e.msg);
		jp->alerts_warned = 1;
	}
	job_list_free(&l);
}

static void on_update(void *ud, struct job_source *src)
{
	(void)src;
	struct jobs_pane *jp = ud;
	check_alerts(jp);
	jp->stale = 1;
	jp->points_stale = 1;
	drift_view_refresh(jp->drift);
	wb_redraw(jp->base.wb);
}

static void jobs_destroy(struct pane *p)
{
	struct jobs_pane *jp = (struct jobs_pane *)p;
	if (jp->stopping)
		jp->stopping->jp = NULL;
	close_detail(jp);
	dbwatch_free(jp->dbwatch);
	job_poller_free(jp->poller);
	alert_notifier_free(jp->notifier);
	if (jp->desk.loop)
		job_desk_close(&jp->desk);
	free_rows(jp);
	ui_list_free(&jp->list);
	free(jp->marked);
	free(jp->unfolded);
	free(jp);
}

/* A source with nothing to follow is asked every IDLE_MS while the list is
 * looked at, every IDLE_AWAY_MS otherwise, so an idle workbench sleeps. */
static void jobs_on_focus(struct pane *p, int focused)
{
	struct jobs_pane *jp = (struct jobs_pane *)p;
	if (!jp->poller)
		return;
	job_poller_set_idle(jp->poller, focused ? IDLE_MS : IDLE_AWAY_MS);
	if (focused)
		job_poller_kick(jp->poller);
}

static void db_written(void *ud)
{
	struct jobs_pane *jp = ud;
	job_poller_kick(jp->poller);
}

static const struct pane_ops jobs_ops = {
	.draw = jobs_draw,
	.on_key = jobs_on_key,
	.destroy = jobs_destroy,
	.on_focus = jobs_on_focus,
	.keymap = KEYMAP_JOBS,
};

struct pane *pane_jobs_new(struct wb *wb)
{
	struct jobs_pane *jp = xcalloc(1, sizeof *jp);
	pane_init(&jp->base, &jobs_ops, "Jobs", wb);
	ui_list_init(&jp->list, &list_ops, jp, 0);
	jp->stale = 1;
	jp->cells = CHART_BRAILLE;
	const char *cells = getenv("AIWB_CHART");
	if (cells && strcmp(cells, "block") == 0)
		jp->cells = CHART_BLOCK;
	else if (cells && strcmp(cells, "ascii") == 0)
		jp->cells = CHART_ASCII;
	if (wb->db && wb->loop) {
		job_desk_open(&jp->desk, wb->db, wb->loop, NULL);
		jp->notifier = alert_notifier_new(NULL, 1);
		jp->since_ms = clock_wall_ms();
		struct err e = ERR_INIT;
		if (wb->cfg) {
			struct slurm_config sc = { wb->cfg->slurm_rest_url, wb->cfg->slurm_ssh, wb->cfg->slurm_ssh_config };
			if (job_desk_slurm_config(&jp->desk, &sc, &e) < 0)
				wb_status(wb, 1, "%s", e.msg);
		}
		jp->poller = job_poller_new(wb->loop, POLL_MS, IDLE_MS, BACKOFF_MAX_MS, on_update, jp);
		struct job_source *all[8];
		for (size_t i = 0, n = job_desk_all(&jp->desk, all, 8); i < n; i++)
			job_poller_add(jp->poller, all[i]);
		jp->dbwatch = dbwatch_new(wb->db, wb->loop, db_written, jp, NULL);
	}
	return &jp->base;
}
