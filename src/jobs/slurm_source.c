/* The Slurm source's ops: list (squeue --json or slurmrestd, arrays summed
 * up, vanished jobs looked up in sacct), describe (scontrol show job -o or
 * REST job/{id}), logs, stop (scancel), submit (sbatch). */
#include <cjson/cJSON.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "jobs/local.h"
#include "jobs/logmerge.h"
#include "jobs/registry.h"
#include "jobs/slurm_run.h"
#include "jobs/slurm_text.h"

void slurm_track(struct slurm_source *s, struct inflight *f)
{
	if (!s || (!f->proc && !f->call))
		return;
	f->next = s->inflight;
	s->inflight = f;
}

void slurm_untrack(struct slurm_source *s, struct inflight *f)
{
	if (!s)
		return;
	for (struct inflight **p = &s->inflight; *p; p = &(*p)->next)
		if (*p == f) {
			*p = f->next;
			return;
		}
}

static void set(char **dst, const char *v)
{
	free(*dst);
	*dst = v && *v ? xstrdup(v) : NULL;
}

static cJSON *info_open(const char *info)
{
	cJSON *o = info ? cJSON_Parse(info) : NULL;
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		o = cJSON_CreateObject();
	}
	return o;
}

static void info_close(cJSON *o, char **info)
{
	free(*info);
	*info = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
}

static void put_str(cJSON *o, const char *k, const char *v)
{
	if (!v || !*v || strcmp(v, "(null)") == 0)
		return;
	cJSON_DeleteItemFromObjectCaseSensitive(o, k);
	cJSON_AddStringToObject(o, k, v);
}

static void put_num(cJSON *o, const char *k, int64_t v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, k);
	cJSON_AddNumberToObject(o, k, (double)v);
}

static int is_array_row(const struct job *j)
{
	if (!j->info || !strstr(j->info, "\"array\""))
		return 0;
	cJSON *o = cJSON_Parse(j->info);
	int r = cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o, "array"));
	cJSON_Delete(o);
	return r;
}

/* The row of source slurm with exactly this ext_id: 1, or 0 (j zeroed). */
static int find_exact(struct db *db, const char *key, struct job *j)
{
	char *ref = xasprintf("slurm:%s", key);
	memset(j, 0, sizeof *j);
	int found = jobreg_find(db, ref, j, NULL) == 0;
	free(ref);
	if (found && strcmp(j->source, "slurm") == 0 && strcmp(j->ext_id, key) == 0)
		return 1;
	if (found)
		job_clear(j);
	memset(j, 0, sizeof *j);
	return 0;
}

static void exit_reason(struct job *j, enum job_status st, const char *slurm_reason)
{
	char why[160] = "";
	if (st == JOB_QUEUED && slurm_reason && strcmp(slurm_reason, "None") != 0)
		snprintf(why, sizeof why, "waiting: %s", slurm_reason);
	else if (st == JOB_FAILED && j->has_exit)
		snprintf(why, sizeof why, "exited with status %d", j->exit_code);
	else if (j->signal)
		snprintf(why, sizeof why, "ended by signal %d", j->signal);
	else if (job_status_final(st) && slurm_reason && strcmp(slurm_reason, "None") != 0)
		snprintf(why, sizeof why, "%s", slurm_reason);
	set(&j->reason, why);
}

/* Why an array's task that never started ended. */
static const char *not_started_reason(enum job_status st)
{
	return st == JOB_STOPPED ? "cancelled before it started" : "ended before it started";
}

/* ---------------------------------------------------------------- list */

/* Rows made for an array's tasks that have not started, at most this many
 * per array and round; the others are only counted in the array's row. */
#define SLURM_PENDING_ROWS 1000

struct parent {
	int64_t row;
	char *key;
	char *rules, *command; /* given at submit: the tasks' too */
	char *pending; /* the array's tasks not started yet, as squeue said this round */
	char *reason;
	int64_t rows;          /* rows made this round for tasks not started */
	int64_t unlisted;      /* tasks not started beyond SLURM_PENDING_ROWS */
	enum job_status unlisted_status;
	int ended;             /* the array's record of its tasks not started is final */
	enum job_status end_status;
	char *end_state;
	int64_t end_s;
};

struct list_op {
	struct inflight f; /* first: slurm_free frees the op through it */
	struct slurm_source *s;
	job_done_fn done;
	void *ud;
	char **seen;
	size_t n_seen;
	struct parent *parents;
	size_t n_parents;
	int active;
	int failed;
	char **remote, **mirror; /* ssh: logs to mirror after the round */
	int64_t *mirror_rows;
	size_t n_mirror;
	struct job_list vanished;
	char *why;
};

static void list_op_free(struct list_op *op)
{
	for (size_t i = 0; i < op->n_seen; i++)
		free(op->seen[i]);
	free(op->seen);
	for (size_t i = 0; i < op->n_parents; i++) {
		free(op->parents[i].key);
		free(op->parents[i].rules);
		free(op->parents[i].command);
		free(op->parents[i].pending);
		free(op->parents[i].reason);
		free(op->parents[i].end_state);
	}
	free(op->parents);
	for (size_t i = 0; i < op->n_mirror; i++) {
		free(op->remote[i]);
		free(op->mirror[i]);
	}
	free(op->remote);
	free(op->mirror);
	free(op->mirror_rows);
	job_list_free(&op->vanished);
	free(op->why);
	free(op);
}

static void list_finish(struct list_op *op, int ok, const char *why)
{
	if (ok)
		op->s->base.active = op->active;
	op->done(op->ud, ok, ok ? NULL : why);
	list_op_free(op);
}

static void seen_add(struct list_op *op, const char *key)
{
	op->seen = xreallocarray(op->seen, op->n_seen + 1, sizeof *op->seen);
	op->seen[op->n_seen++] = xstrdup(key);
}

/* The array's own row, created when first seen. */
static struct parent *array_parent(struct list_op *op, const struct slurm_job *sj)
{
	char key[32];
	snprintf(key, sizeof key, "%lld", (long long)sj->array_job_id);
	for (size_t i = 0; i < op->n_parents; i++)
		if (strcmp(op->parents[i].key, key) == 0)
			return &op->parents[i];
	struct db *db = op->s->base.db;
	struct job p;
	int exists = find_exact(db, key, &p);
	if (!exists) {
		p.source = xstrdup("slurm");
		p.ext_id = xstrdup(key);
		p.status = JOB_QUEUED;
		p.raw_state = xstrdup("PENDING");
	}
	if (!p.name)
		set(&p.name, sj->name);
	if (!p.submit_ms)
		p.submit_ms = sj->submit_s * 1000;
	cJSON *o = info_open(p.info);
	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o, "array")))
		cJSON_AddObjectToObject(o, "array");
	put_str(o, "user", sj->user);
	put_str(o, "partition", sj->partition);
	put_str(o, "work_dir", sj->cwd);
	put_str(o, "std_out", sj->std_out);
	put_num(o, "job_id", sj->array_job_id);
	info_close(o, &p.info);
	if (!p.cwd)
		set(&p.cwd, sj->cwd);
	int64_t row = exists ? (jobreg_update(db, &p, NULL) < 0 ? -1 : p.id) : jobreg_insert(db, &p, NULL);
	if (row < 0) {
		job_clear(&p);
		op->failed = 1;
		return NULL;
	}
	op->parents = xreallocarray(op->parents, op->n_parents + 1, sizeof *op->parents);
	struct parent *r = &op->parents[op->n_parents++];
	memset(r, 0, sizeof *r);
	r->row = row;
	r->key = xstrdup(key);
	r->rules = p.rules ? xstrdup(p.rules) : NULL;
	r->command = p.command ? xstrdup(p.command) : NULL;
	job_clear(&p);
	seen_add(op, key);
	return r;
}

static void fill_info(struct job *j, const struct slurm_job *sj, int not_started)
{
	cJSON *o = info_open(j->info);
	put_str(o, "user", sj->user);
	put_str(o, "partition", sj->partition);
	put_str(o, "nodes", sj->nodes);
	put_str(o, "work_dir", sj->cwd);
	put_str(o, "std_out", sj->std_out);
	put_str(o, "std_err", sj->std_err);
	put_str(o, "tres", sj->tres);
	put_str(o, "account", sj->account);
	put_str(o, "qos", sj->qos);
	put_str(o, "batch_host", sj->batch_host);
	if (sj->time_limit >= 0)
		put_num(o, "time_limit_min", sj->time_limit);
	if (sj->cpus > 0)
		put_num(o, "cpus", sj->cpus);
	if (sj->node_count > 0)
		put_num(o, "node_count", sj->node_count);
	if (!not_started) /* a task gets its own job id when it starts */
		put_num(o, "job_id", sj->job_id);
	if (sj->array_job_id > 0 && sj->array_task_id >= 0) {
		put_num(o, "array_job_id", sj->array_job_id);
		put_num(o, "array_task_id", sj->array_task_id);
	}
	info_close(o, &j->info);
}

/* A job's log file as Slurm names it: pattern expanded, under its work dir. */
static char *job_file(const char *pattern, const struct slurm_job *sj)
{
	char *path = slurm_expand_path(pattern, sj);
	if (path[0] != '/' && sj->cwd) {
		char *abs = xasprintf("%s/%s", sj->cwd, path);
		free(path);
		path = abs;
	}
	return path;
}

/* A job whose StdErr is a file apart from its StdOut: both files as read
 * here (under ssh their mirrors) into src, 1; 0 when it has one log. Its log
 * is then the two merged, KEY.log under mirror_dir. */
static int split_logs(const struct slurm_source *s, const struct job *j, char *src[2])
{
	char *out = slurm_info_str(j->info, "std_out_path"), *err = slurm_info_str(j->info, "std_err_path");
	char *merged = slurm_mirror_path(s, j->ext_id, ".log");
	int split = out && err && strcmp(out, err) != 0 && j->log_path && strcmp(j->log_path, merged) == 0;
	free(merged);
	if (split && s->ssh) {
		free(out);
		free(err);
		out = slurm_mirror_path(s, j->ext_id, ".out");
		err = slurm_mirror_path(s, j->ext_id, ".err");
	}
	if (!split) {
		free(out);
		free(err);
		return 0;
	}
	src[0] = out;
	src[1] = err;
	return 1;
}

/* What is new in a job's log files read into the registry: StdOut and
 * StdErr merged first when they are apart (jobs/logmerge.h). */
static int read_logs(struct slurm_source *s, struct job *j)
{
	char *src[2];
	if (split_logs(s, j, src)) {
		const char *const paths[2] = {src[0], src[1]};
		int64_t r = job_log_merge(s->base.db, j->id, paths, 2, j->log_path, job_status_final(j->status), NULL);
		free(src[0]);
		free(src[1]);
		if (r < 0)
			return -1;
	}
	return local_ingest(s->base.db, j, NULL);
}

static void mirror_add(struct list_op *op, char *remote, const char *mirror, int64_t row)
{
	op->remote = xreallocarray(op->remote, op->n_mirror + 1, sizeof *op->remote);
	op->mirror = xreallocarray(op->mirror, op->n_mirror + 1, sizeof *op->mirror);
	op->mirror_rows = xreallocarray(op->mirror_rows, op->n_mirror + 1, sizeof *op->mirror_rows);
	op->remote[op->n_mirror] = remote;
	op->mirror[op->n_mirror] = xstrdup(mirror);
	op->mirror_rows[op->n_mirror] = row;
	op->n_mirror++;
}

/* What a row shows, to skip writing a task row that did not change. */
static char *row_digest(const struct job *j)
{
	return xasprintf("%d|%s|%s|%s|%s|%s|%lld|%lld|%lld|%lld|%d|%d|%d", (int)j->status, j->raw_state ? j->raw_state : "",
			 j->reason ? j->reason : "", j->log_path ? j->log_path : "", j->info ? j->info : "",
			 j->name ? j->name : "", (long long)j->parent_id, (long long)j->submit_ms, (long long)j->start_ms,
			 (long long)j->end_ms, j->has_exit, j->exit_code, j->signal);
}

/* One job or array task into the registry. not_started: a row for one task
 * of the array's record of its tasks not started yet (sj->array_task_id set
 * to that task). */
static void take_job(struct list_op *op, const struct slurm_job *sj, struct parent *parent, int not_started)
{
	struct slurm_source *s = op->s;
	struct db *db = s->base.db;
	int64_t parent_row = parent ? parent->row : 0;
	char *key = slurm_job_key(sj);
	struct job j;
	int exists = find_exact(db, key, &j);
	if (!exists) {
		j.source = xstrdup("slurm");
		j.ext_id = xstrdup(key);
		if (parent) { /* a task follows the array's metric rules */
			set(&j.rules, parent->rules);
			set(&j.command, parent->command);
		}
	}
	char *before_digest = exists && not_started ? row_digest(&j) : NULL;
	enum job_status before = exists ? j.status : JOB_STATUS_COUNT;
	enum job_status st = slurm_map_state(sj->state);
	j.status = st;
	if (j.stop_requested && st == JOB_RUNNING)
		j.status = JOB_STOPPING;
	j.parent_id = parent_row;
	set(&j.raw_state, sj->state);
	set(&j.name, sj->name);
	set(&j.cwd, sj->cwd);
	j.submit_ms = sj->submit_s * 1000;
	j.start_ms = st == JOB_QUEUED || not_started ? 0 : sj->start_s * 1000;
	j.end_ms = job_status_final(st) ? sj->end_s * 1000 : 0;
	int code, sig;
	j.has_exit = 0;
	j.signal = 0;
	if (job_status_final(st) && !not_started) {
		if (slurm_decode_exit(sj->exit_status, &code, &sig))
			j.signal = sig;
		else {
			j.has_exit = 1;
			j.exit_code = code;
		}
	}
	exit_reason(&j, st, sj->reason);
	if (not_started && job_status_final(st))
		set(&j.reason, not_started_reason(st));
	fill_info(&j, sj, not_started);
	/* sbatch's default output file when none was given */
	const char *pattern = sj->std_out && *sj->std_out ? sj->std_out
			      : sj->array_job_id > 0 ? "slurm-%A_%a.out" : "slurm-%j.out";
	int mirror = s->ssh && st != JOB_QUEUED && !not_started && (before == JOB_STATUS_COUNT || !job_status_final(before));
	char *out_remote = NULL, *err_remote = NULL;
	if (st != JOB_QUEUED || not_started || (sj->std_out && *sj->std_out)) {
		char *out = job_file(pattern, sj), *err = sj->std_err && *sj->std_err ? job_file(sj->std_err, sj) : NULL;
		if (err && strcmp(err, out) == 0) {
			free(err);
			err = NULL;
		}
		char *path;
		if (s->ssh || err) { /* the log is a file aiwb writes: a mirror, or the two merged */
			cJSON *o = info_open(j.info);
			put_str(o, "std_out_path", out);
			if (err)
				put_str(o, "std_err_path", err);
			info_close(o, &j.info);
			path = slurm_mirror_path(s, key, ".log");
			if (mirror) {
				out_remote = out;
				err_remote = err;
			} else {
				free(out);
				free(err);
			}
		} else
			path = out;
		if (!j.log_path || strcmp(j.log_path, path) != 0)
			j.log_offset = 0;
		free(j.log_path);
		j.log_path = path;
	}
	char *after_digest = before_digest ? row_digest(&j) : NULL;
	int unchanged = before_digest && strcmp(before_digest, after_digest) == 0;
	free(before_digest);
	free(after_digest);
	if (!unchanged) {
		if (!exists ? jobreg_insert(db, &j, NULL) < 0 : jobreg_update(db, &j, NULL) < 0)
			op->failed = 1;
		else if (j.log_path && j.status != JOB_QUEUED && read_logs(s, &j) < 0)
			op->failed = 1;
	}
	if (out_remote && !op->failed) { /* ssh: mirrored after the round, then read */
		if (err_remote) {
			char *m_out = slurm_mirror_path(s, key, ".out"), *m_err = slurm_mirror_path(s, key, ".err");
			mirror_add(op, out_remote, m_out, j.id);
			mirror_add(op, err_remote, m_err, j.id);
			free(m_out);
			free(m_err);
		} else
			mirror_add(op, out_remote, j.log_path, j.id);
	} else {
		free(out_remote);
		free(err_remote);
	}
	op->active += !job_status_final(j.status);
	seen_add(op, key);
	job_clear(&j);
	free(key);
}

/* The array's record of its tasks not started yet (array_task_string
 * "3-10%2"): a row for each of those tasks, up to SLURM_PENDING_ROWS per
 * array, the others counted. Queued while pending; after scancel the record
 * is final and so are the rows. */
static void take_not_started(struct list_op *op, const struct slurm_job *sj)
{
	struct parent *p = array_parent(op, sj);
	if (!p)
		return;
	enum job_status st = slurm_map_state(sj->state);
	if (st == JOB_QUEUED && sj->array_tasks && *sj->array_tasks) {
		char *joined = p->pending ? xasprintf("%s,%s", p->pending, sj->array_tasks) : xstrdup(sj->array_tasks);
		free(p->pending);
		p->pending = joined;
		set(&p->reason, sj->reason);
	}
	if (job_status_final(st) && !p->ended) { /* tasks Slurm no longer names end with it */
		p->ended = 1;
		p->end_status = st;
		set(&p->end_state, sj->state);
		p->end_s = sj->end_s;
	}
	size_t room = p->rows < SLURM_PENDING_ROWS ? (size_t)(SLURM_PENDING_ROWS - p->rows) : 0, n = 0;
	int64_t *ids = xcalloc(room ? room : 1, sizeof *ids);
	int64_t total = slurm_array_expand(sj->array_tasks, ids, room, &n);
	for (size_t i = 0; i < n && !op->failed; i++) {
		struct slurm_job t = *sj;
		t.array_task_id = ids[i];
		take_job(op, &t, p, 1);
	}
	free(ids);
	p->rows += (int64_t)n;
	if (total > (int64_t)n) {
		p->unlisted += total - (int64_t)n;
		p->unlisted_status = st;
	}
}

static void on_slurm_job(void *ud, const struct slurm_job *sj)
{
	struct list_op *op = ud;
	if (sj->array_job_id > 0 && sj->array_task_id < 0) { /* the array's tasks not started yet */
		take_not_started(op, sj);
		return;
	}
	struct parent *parent = NULL;
	if (sj->array_job_id > 0 && !(parent = array_parent(op, sj)))
		return;
	take_job(op, sj, parent, 0);
}

static int seen_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int was_seen(const struct list_op *op, const char *key)
{
	return op->n_seen && bsearch(&key, op->seen, op->n_seen, sizeof *op->seen, seen_cmp) != NULL;
}

/* An array whose record of its tasks not started is final (scancel): its
 * task rows still queued that Slurm no longer names end with it. Needs
 * op->seen sorted. */
static void end_not_started(struct list_op *op, const struct parent *p)
{
	struct db *db = op->s->base.db;
	struct job_list kids;
	if (slurm_children(db, p->row, &kids, NULL) < 0)
		return;
	for (size_t i = 0; i < kids.n; i++) {
		struct job *k = &kids.v[i];
		if (k->status != JOB_QUEUED || was_seen(op, k->ext_id))
			continue;
		k->status = p->end_status;
		set(&k->raw_state, p->end_state);
		k->end_ms = p->end_s * 1000;
		set(&k->reason, not_started_reason(p->end_status));
		if (jobreg_update(db, k, NULL) < 0)
			op->failed = 1;
	}
	job_list_free(&kids);
}

/* An array's row from its tasks: how many in each status (the tasks not
 * started yet count as queued) and one status for all. */
static enum job_status sum_up_array(struct list_op *op, int64_t row, const struct parent *from)
{
	const char *pending = from ? from->pending : NULL, *reason = from ? from->reason : NULL;
	struct db *db = op->s->base.db;
	struct job p;
	if (jobreg_get(db, row, &p, NULL) != 1)
		return JOB_UNKNOWN;
	struct job_list kids;
	if (slurm_children(db, row, &kids, NULL) < 0) {
		enum job_status was = p.status;
		job_clear(&p);
		return was;
	}
	int64_t counts[JOB_STATUS_COUNT] = {0}, unlisted = from ? from->unlisted : 0;
	if (unlisted)
		counts[from->unlisted_status] += unlisted;
	int64_t start = 0, end = 0;
	for (size_t i = 0; i < kids.n; i++) {
		const struct job *k = &kids.v[i];
		counts[k->status]++;
		if (k->start_ms && (!start || k->start_ms < start))
			start = k->start_ms;
		if (k->end_ms > end)
			end = k->end_ms;
	}
	int64_t tasks = (int64_t)kids.n + unlisted;
	enum job_status st = p.status;
	if (counts[JOB_RUNNING] || counts[JOB_STARTING] || counts[JOB_STOPPING])
		st = counts[JOB_STOPPING] && !counts[JOB_RUNNING] ? JOB_STOPPING : JOB_RUNNING;
	else if (counts[JOB_QUEUED])
		st = JOB_QUEUED;
	else if (tasks == 0)
		st = p.status;
	else if (counts[JOB_UNKNOWN])
		st = JOB_UNKNOWN;
	else if (counts[JOB_FAILED] || counts[JOB_LOST])
		st = JOB_FAILED;
	else if (counts[JOB_TIMEOUT])
		st = JOB_TIMEOUT;
	else if (counts[JOB_STOPPED])
		st = JOB_STOPPED;
	else
		st = JOB_COMPLETED;
	p.status = st;
	p.start_ms = start;
	p.end_ms = job_status_final(st) ? end : 0;
	char raw[64];
	snprintf(raw, sizeof raw, "ARRAY %lld/%lld ended", (long long)(tasks - counts[JOB_QUEUED] - counts[JOB_RUNNING] -
								     counts[JOB_STARTING] - counts[JOB_STOPPING] -
								     counts[JOB_UNKNOWN]),
		 (long long)tasks);
	set(&p.raw_state, raw);
	char why[160] = "";
	if (st == JOB_QUEUED && reason && strcmp(reason, "None") != 0)
		snprintf(why, sizeof why, "waiting: %s", reason);
	else if (st == JOB_FAILED)
		snprintf(why, sizeof why, "%lld of %lld tasks failed", (long long)(counts[JOB_FAILED] + counts[JOB_LOST]),
			 (long long)tasks);
	set(&p.reason, why);
	cJSON *o = info_open(p.info);
	cJSON_DeleteItemFromObjectCaseSensitive(o, "array");
	cJSON *a = cJSON_AddObjectToObject(o, "array");
	cJSON_AddNumberToObject(a, "tasks", (double)tasks);
	if (pending && *pending)
		cJSON_AddStringToObject(a, "pending", pending);
	if (unlisted)
		cJSON_AddNumberToObject(a, "unlisted", (double)unlisted);
	cJSON *c = cJSON_AddObjectToObject(a, "counts");
	for (int s = 0; s < JOB_STATUS_COUNT; s++)
		if (counts[s])
			cJSON_AddNumberToObject(c, job_status_name((enum job_status)s), (double)counts[s]);
	info_close(o, &p.info);
	if (jobreg_update(db, &p, NULL) < 0)
		op->failed = 1;
	op->active += !job_status_final(st);
	job_list_free(&kids);
	job_clear(&p);
	return st;
}

/* The arrays seen this round, their rows summed up; sorts op->seen. */
static void sum_up_arrays(struct list_op *op)
{
	if (op->n_seen)
		qsort(op->seen, op->n_seen, sizeof *op->seen, seen_cmp);
	for (size_t i = 0; i < op->n_parents; i++) {
		if (op->parents[i].ended)
			end_not_started(op, &op->parents[i]);
		sum_up_array(op, op->parents[i].row, &op->parents[i]);
	}
}

/* Jobs aiwb saw that Slurm no longer shows: arrays are summed up again from
 * their tasks; the others go to op->vanished, for sacct. */
static void collect_vanished(struct list_op *op)
{
	struct job_list l;
	if (jobreg_list(op->s->base.db, "slurm", -1, &l, NULL) < 0)
		return;
	size_t k = 0;
	for (size_t i = 0; i < l.n; i++) {
		struct job *j = &l.v[i];
		int seen = was_seen(op, j->ext_id);
		int keep = 0;
		if (seen || job_status_final(j->status) || j->status == JOB_UNKNOWN)
			;
		else if (strstr(j->ext_id, "_[")) /* an earlier version's row for an array's pending part */
			jobreg_delete(op->s->base.db, j->id, NULL);
		else if (is_array_row(j)) /* its tasks may have ended unseen: ask sacct too */
			keep = !job_status_final(sum_up_array(op, j->id, NULL));
		else
			keep = 1;
		if (keep)
			l.v[k++] = *j;
		else
			job_clear(j);
	}
	l.n = k;
	op->vanished = l;
}

/* ---- vanished jobs: sacct, or sacct -c without accounting storage */

#define SACCT_FIELDS "--format=JobID,JobName,State,ExitCode,Submit,Start,End,NodeList,Partition,User"

static void vanished_done(struct list_op *op);

struct owned_row {
	struct slurm_acct_row r; /* its strings are the ones below */
	char *s[7];
};

struct acct_rows {
	struct owned_row *v;
	size_t n;
};

static void on_acct_row(void *ud, const struct slurm_acct_row *r)
{
	struct acct_rows *rs = ud;
	rs->v = xreallocarray(rs->v, rs->n + 1, sizeof *rs->v);
	struct owned_row *c = &rs->v[rs->n++];
	c->r = *r;
	c->r.job_id = c->s[0] = xstrdup(r->job_id);
	c->r.name = c->s[1] = xstrdup(r->name);
	c->r.state = c->s[2] = xstrdup(r->state);
	c->r.exit_code = c->s[3] = xstrdup(r->exit_code);
	c->r.node_list = c->s[4] = xstrdup(r->node_list);
	c->r.partition = c->s[5] = xstrdup(r->partition);
	c->r.user = c->s[6] = xstrdup(r->user);
}

static void acct_rows_free(struct acct_rows *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		for (int k = 0; k < 7; k++)
			free(rs->v[i].s[k]);
	free(rs->v);
}

/* sacct's row of an array's tasks that never started names the task with
 * ext_id "41_5": "41_[3-6%2]", or "41" when no task of the array ever started
 * (an array held, then cancelled; not in the completion file, where "41" is
 * the task that ran last). */
static int in_task_list(const char *acct_id, const char *ext_id, int completion)
{
	const char *u = strchr(ext_id, '_');
	size_t a = u ? (size_t)(u - ext_id) + 1 : 0;
	if (u && !completion && strlen(acct_id) == a - 1 && strncmp(acct_id, ext_id, a - 1) == 0)
		return 1;
	if (!u || strncmp(acct_id, ext_id, a) != 0 || acct_id[a] != '[')
		return 0;
	size_t len = strlen(acct_id + a + 1);
	if (!len || acct_id[a + len] != ']')
		return 0;
	char *spec = xstrndup(acct_id + a + 1, len - 1);
	int has = slurm_array_has(spec, strtoll(u + 1, NULL, 10));
	free(spec);
	return has;
}

/* The last row for job j: its id (or, from the completion file, Slurm's own
 * number; or the list of an array's tasks that never started), ended after j
 * was submitted (the file keeps earlier clusters' jobs with the same ids). */
static const struct slurm_acct_row *acct_match(const struct acct_rows *rs, const struct job *j, int completion,
					       int *not_started)
{
	char *raw_id = slurm_info_str(j->info, "job_id");
	const struct slurm_acct_row *best = NULL;
	int never = j->status == JOB_QUEUED && !j->start_ms && !raw_id; /* a task row made before it started */
	*not_started = 0;
	for (size_t i = 0; i < rs->n; i++) {
		const struct slurm_acct_row *r = &rs->v[i].r;
		int listed = never && in_task_list(r->job_id, j->ext_id, completion);
		int same = strcmp(r->job_id, j->ext_id) == 0 ||
			   (raw_id && strcmp(r->job_id, raw_id) == 0 && !strchr(j->ext_id, '_')) || listed;
		if (same && !(r->end_s && j->submit_ms && r->end_s * 1000 + 1000 < j->submit_ms)) {
			best = r;
			*not_started = listed;
		}
	}
	free(raw_id);
	return best;
}

/* not_started: r is the row of an array's tasks that never started (sacct
 * gives the cancel time as their start). */
static void take_acct_row(struct db *db, struct job *j, const struct slurm_acct_row *r, const char *how, int not_started)
{
	enum job_status st = slurm_map_state(r->state);
	j->status = st;
	set(&j->raw_state, r->state);
	int code, sig, x = slurm_parse_exit_pair(r->exit_code, &code, &sig);
	j->has_exit = x == 0;
	j->exit_code = x == 0 ? code : 0;
	j->signal = x == 1 ? sig : 0;
	if (r->submit_s && !j->submit_ms)
		j->submit_ms = r->submit_s * 1000;
	if (r->start_s && !not_started)
		j->start_ms = r->start_s * 1000;
	if (r->end_s)
		j->end_ms = r->end_s * 1000;
	exit_reason(j, st, NULL);
	if (not_started) {
		j->has_exit = 0;
		j->exit_code = 0;
		set(&j->reason, not_started_reason(st));
	}
	if (st == JOB_UNKNOWN)
		set(&j->reason, "Slurm no longer lists this job and sacct gives no state for it");
	cJSON *o = info_open(j->info);
	put_str(o, "final_from", how);
	put_str(o, "nodes", r->node_list);
	put_str(o, "partition", r->partition);
	info_close(o, &j->info);
	if (j->id)
		jobreg_update(db, j, NULL);
	else
		jobreg_insert(db, j, NULL);
}

/* An array Slurm forgot: its tasks from sacct's rows "A_N". 1 when sacct knew some. */
static int acct_array(struct list_op *op, struct job *arr, const struct acct_rows *rs, const char *how)
{
	struct db *db = op->s->base.db;
	size_t klen = strlen(arr->ext_id);
	int found = 0;
	for (size_t i = 0; i < rs->n; i++) {
		const char *id = rs->v[i].r.job_id;
		if (strncmp(id, arr->ext_id, klen) != 0 || id[klen] != '_' || !id[klen + 1] ||
		    strspn(id + klen + 1, "0123456789") != strlen(id + klen + 1))
			continue;
		found = 1;
		struct job t;
		if (!find_exact(db, id, &t)) {
			t.source = xstrdup("slurm");
			t.ext_id = xstrdup(id);
			t.parent_id = arr->id;
			set(&t.name, arr->name);
			set(&t.rules, arr->rules);
			set(&t.command, arr->command);
			t.submit_ms = arr->submit_ms;
		}
		if (!job_status_final(t.status) || !t.id)
			take_acct_row(db, &t, &rs->v[i].r, how, 0);
		job_clear(&t);
	}
	return found;
}

static void apply_acct(struct list_op *op, const char *text, size_t n, const char *how)
{
	struct db *db = op->s->base.db;
	struct acct_rows rs = {0};
	if (text)
		slurm_parse_sacct(text, n, on_acct_row, &rs);
	/* tasks first, then the arrays summed up from them */
	for (size_t k = 0; k < 2 * op->vanished.n; k++) {
		size_t i = k % op->vanished.n;
		struct job *j = &op->vanished.v[i];
		int array = is_array_row(j);
		if (array != (k >= op->vanished.n))
			continue;
		if (array) {
			int known = acct_array(op, j, &rs, how);
			if (job_status_final(sum_up_array(op, j->id, NULL)) || known)
				continue;
			struct job_list kids;
			size_t nk = slurm_children(db, j->id, &kids, NULL) == 0 ? kids.n : 0;
			job_list_free(&kids);
			if (!nk) { /* no task was ever seen and sacct does not know it */
				struct job p;
				if (jobreg_get(db, j->id, &p, NULL) == 1) {
					p.status = JOB_UNKNOWN;
					set(&p.reason, "Slurm no longer lists this array and its tasks were not seen");
					jobreg_update(db, &p, NULL);
					job_clear(&p);
				}
			}
			continue;
		}
		int not_started;
		const struct slurm_acct_row *r = acct_match(&rs, j, how && strcmp(how, "sacct -c") == 0, &not_started);
		if (r)
			take_acct_row(db, j, r, how, not_started);
		else {
			j->status = JOB_UNKNOWN;
			set(&j->reason, "Slurm no longer lists this job and its end was not seen");
			jobreg_update(db, j, NULL);
		}
	}
	acct_rows_free(&rs);
}

static void on_sacct(void *ud, const struct proc_result *r);

static void start_sacct(struct list_op *op)
{
	struct buf ids = BUF_INIT;
	for (size_t i = 0; i < op->vanished.n; i++)
		buf_printf(&ids, "%s%s", i ? "," : "", op->vanished.v[i].ext_id);
	char sa[] = "sacct", x[] = "-X", p[] = "-P", j[] = "-j", c[] = "-c", f[] = SACCT_FIELDS;
	char *with_acct[] = {sa, x, p, j, ids.data, f, NULL};
	char *completion[] = {sa, c, p, f, NULL};
	op->f.proc = slurm_run(op->s, op->s->acct == 0 ? completion : with_acct, 20000, on_sacct, op);
	buf_free(&ids);
	if (!op->f.proc) {
		apply_acct(op, NULL, 0, NULL);
		vanished_done(op);
		return;
	}
	slurm_track(op->s, &op->f);
}

static void on_sacct(void *ud, const struct proc_result *r)
{
	struct list_op *op = ud;
	slurm_untrack(op->s, &op->f);
	op->f.proc = NULL;
	int ok = r->started && !r->timed_out && r->exited && r->code == 0;
	if (!ok && op->s->acct != 0 && r->err && strstr(buf_str(r->err), "accounting storage is disabled")) {
		op->s->acct = 0; /* accounting_storage/none: the job-completion file */
		start_sacct(op);
		return;
	}
	if (ok && op->s->acct < 0)
		op->s->acct = 1;
	if (jobreg_begin(op->s->base.db, NULL) == 0) {
		apply_acct(op, ok ? buf_str(r->out) : NULL, ok ? r->out->len : 0, op->s->acct == 0 ? "sacct -c" : "sacct");
		jobreg_commit(op->s->base.db, NULL);
	}
	vanished_done(op);
}

static void vanished_done(struct list_op *op)
{
	list_finish(op, 1, NULL);
}

/* ---- ssh: the logs mirrored after the round, then read for metrics */

static void on_mirrored(void *ud, int ok, const char *why)
{
	struct list_op *op = ud;
	(void)ok;
	(void)why; /* a log that cannot be copied now is copied next round */
	op->f.call = NULL;
	struct db *db = op->s->base.db;
	if (jobreg_begin(db, NULL) == 0) {
		for (size_t i = 0; i < op->n_mirror; i++) {
			struct job j;
			if (i && op->mirror_rows[i] == op->mirror_rows[i - 1])
				continue; /* StdOut and StdErr of one job */
			if (jobreg_get(db, op->mirror_rows[i], &j, NULL) == 1) {
				read_logs(op->s, &j);
				job_clear(&j);
			}
		}
		jobreg_commit(db, NULL);
	}
	if (op->vanished.n)
		start_sacct(op);
	else
		vanished_done(op);
}

static void after_commit(struct list_op *op)
{
	if (op->s->ssh && op->n_mirror) {
		slurm_mirror_logs(op->s, op->remote, op->mirror, op->n_mirror, on_mirrored, op);
		return;
	}
	if (op->vanished.n)
		start_sacct(op);
	else
		vanished_done(op);
}

/* The jobs JSON of squeue --json or slurmrestd: into the registry. */
static void take_jobs(struct list_op *op, const char *json, size_t n)
{
	struct err e = ERR_INIT;
	struct db *db = op->s->base.db;
	if (jobreg_begin(db, &e) < 0) {
		list_finish(op, 0, e.msg);
		return;
	}
	if (slurm_parse_squeue(json, n, on_slurm_job, op, &e) < 0 || op->failed) {
		db_exec(db, "ROLLBACK", NULL);
		list_finish(op, 0, e.set ? e.msg : "the Slurm jobs could not be saved");
		return;
	}
	sum_up_arrays(op);
	collect_vanished(op);
	if (jobreg_commit(db, &e) < 0) {
		list_finish(op, 0, e.msg);
		return;
	}
	after_commit(op);
}

static void on_squeue(void *ud, const struct proc_result *r)
{
	struct list_op *op = ud;
	struct err e = ERR_INIT;
	slurm_untrack(op->s, &op->f);
	op->f.proc = NULL;
	if (!r->started || r->timed_out)
		err_set(&e, "%s", r->timed_out ? "squeue did not answer in time" : r->why ? r->why : "squeue did not run");
	else if (!r->exited || r->code != 0) {
		const char *msg = buf_str(r->err);
		size_t n = strcspn(msg, "\n");
		err_set(&e, "squeue failed: %.*s", (int)(n ? n : 20), n ? msg : "(no message)");
	}
	if (e.set)
		list_finish(op, 0, e.msg);
	else
		take_jobs(op, buf_str(r->out), r->out->len);
}

static void on_rest_jobs(void *ud, const char *body, size_t n, const char *why)
{
	struct list_op *op = ud;
	slurm_untrack(op->s, &op->f);
	op->f.call = NULL;
	if (!body)
		list_finish(op, 0, why);
	else
		take_jobs(op, body, n);
}

static void slurm_list(struct job_source *src, job_done_fn done, void *ud)
{
	struct slurm_source *s = (struct slurm_source *)src;
	struct list_op *op = xcalloc(1, sizeof *op);
	op->s = s;
	op->done = done;
	op->ud = ud;
	if (s->rest_base) {
		op->f.call = slurm_rest_call(s, "GET", SLURM_REST_API "/jobs", on_rest_jobs, op);
		slurm_track(s, &op->f);
		return;
	}
	char sq[] = "squeue", js[] = "--json";
	char *argv[] = {sq, js, NULL};
	op->f.proc = slurm_run(s, argv, src->timeout_ms > 0 ? src->timeout_ms : 20000, on_squeue, op);
	if (!op->f.proc) {
		free(op);
		done(ud, 0, "cannot start squeue");
		return;
	}
	slurm_track(s, &op->f);
}

/* ---------------------------------------------------------------- describe */

struct describe_op {
	struct inflight f;
	struct slurm_source *s;
	int64_t row;
	job_done_fn done;
	void *ud;
};

static const struct {
	const char *key, *info;
} scontrol_keys[] = {
	{"Partition", "partition"},   {"NodeList", "nodes"},         {"WorkDir", "work_dir"},
	{"StdOut", "std_out_path"},   {"StdErr", "std_err_path"},    {"StdIn", "std_in"},
	{"TimeLimit", "time_limit"},  {"TRES", "tres"},              {"NumNodes", "num_nodes"},
	{"NumCPUs", "num_cpus"},      {"NumTasks", "num_tasks"},     {"BatchHost", "batch_host"},
	{"Command", "command"},       {"Account", "account"},        {"QOS", "qos"},
	{"Priority", "priority"},     {"UserId", "user"},            {"MinMemoryNode", "min_memory_node"},
	{"Features", "features"},     {"Dependency", "dependency"},  {"TresPerNode", "tres_per_node"},
	{"RunTime", "run_time"},      {"Comment", "comment"},
};

static int on_scontrol_kv(void *ud, const char *key, size_t klen, const char *val, size_t vlen)
{
	cJSON *o = ud;
	for (size_t i = 0; i < sizeof scontrol_keys / sizeof *scontrol_keys; i++) {
		if (strlen(scontrol_keys[i].key) != klen || memcmp(scontrol_keys[i].key, key, klen) != 0)
			continue;
		char *v = xstrndup(val, vlen);
		if (strcmp(scontrol_keys[i].key, "UserId") == 0)
			v[strcspn(v, "(")] = '\0'; /* "root(0)" */
		put_str(o, scontrol_keys[i].info, v);
		free(v);
	}
	return 0;
}

static void describe_finish(struct describe_op *op)
{
	slurm_list(&op->s->base, op->done, op->ud);
	free(op);
}

static void on_scontrol(void *ud, const struct proc_result *r)
{
	struct describe_op *op = ud;
	slurm_untrack(op->s, &op->f);
	struct db *db = op->s->base.db;
	struct job j;
	if (r->started && r->exited && r->code == 0 && jobreg_begin(db, NULL) == 0) {
		if (jobreg_get(db, op->row, &j, NULL) == 1) {
			if (!is_array_row(&j)) { /* an array's tasks have their own rows */
				cJSON *o = info_open(j.info);
				const char *out = buf_str(r->out);
				slurm_parse_scontrol_line(out, strcspn(out, "\n"), on_scontrol_kv, o);
				info_close(o, &j.info);
				jobreg_update(db, &j, NULL);
			}
			job_clear(&j);
		}
		jobreg_commit(db, NULL);
	}
	describe_finish(op);
}

static void on_rest_job(void *ud, const char *body, size_t n, const char *why)
{
	struct describe_op *op = ud;
	(void)why;
	slurm_untrack(op->s, &op->f);
	op->f.call = NULL;
	if (body) { /* the same JSON as the list: one job */
		struct list_op *lop = xcalloc(1, sizeof *lop);
		lop->s = op->s;
		struct db *db = op->s->base.db;
		if (jobreg_begin(db, NULL) == 0) {
			if (slurm_parse_squeue(body, n, on_slurm_job, lop, NULL) == 0)
				sum_up_arrays(lop);
			jobreg_commit(db, NULL);
		}
		list_op_free(lop);
	}
	describe_finish(op);
}

static void slurm_describe(struct job_source *src, struct job *j, job_done_fn done, void *ud)
{
	struct slurm_source *s = (struct slurm_source *)src;
	struct describe_op *op = xcalloc(1, sizeof *op);
	op->s = s;
	op->row = j->id;
	op->done = done;
	op->ud = ud;
	if (s->rest_base) {
		char *path = xasprintf(SLURM_REST_API "/job/%s", j->ext_id);
		op->f.call = slurm_rest_call(s, "GET", path, on_rest_job, op);
		free(path);
		slurm_track(s, &op->f);
		return;
	}
	char sc[] = "scontrol", sh[] = "show", jb[] = "job", o[] = "-o";
	char *argv[] = {sc, sh, jb, o, j->ext_id, NULL};
	op->f.proc = slurm_run(s, argv, 20000, on_scontrol, op);
	if (!op->f.proc) {
		describe_finish(op);
		return;
	}
	slurm_track(s, &op->f);
}

static int64_t slurm_logs(struct job_source *src, const struct job *j, int64_t offset, struct buf *out, struct err *e)
{
	(void)src;
	return local_log_read(j, offset, out, e);
}

/* ---------------------------------------------------------------- commands */

struct cmd_op {
	struct inflight f; /* first, as in list_op */
	struct slurm_source *s;
	job_done_fn done;
	void *ud;
	char **ext_id;
	char **output;
	const char *what;
};

static void on_command(void *ud, const struct proc_result *r)
{
	struct cmd_op *op = ud;
	char why[512] = "";
	slurm_untrack(op->s, &op->f);
	int ok = r->started && !r->timed_out && r->exited && r->code == 0;
	if (!ok) {
		const char *msg = r->why ? r->why : buf_str(r->err);
		size_t n = strcspn(msg, "\n");
		if (!n && r->exited && r->code == 255 && op->s && op->s->ssh)
			msg = "ssh could not connect", n = strlen(msg);
		snprintf(why, sizeof why, "%s failed: %.*s", op->what, (int)n, n ? msg : "no message");
	} else if (op->ext_id) {
		const char *o = buf_str(r->out);
		size_t n = strcspn(o, ";\n"); /* --parsable: "ID" or "ID;cluster" */
		*op->ext_id = xstrndup(o, n);
	} else if (op->output)
		*op->output = xstrndup(buf_str(r->out), r->out->len);
	op->done(op->ud, ok, ok ? NULL : why);
	free(op);
}

static void command(struct slurm_source *s, char *const argv[], const char *what, char **ext_id, char **output,
		    job_done_fn done, void *ud)
{
	struct cmd_op *op = xcalloc(1, sizeof *op);
	op->s = s;
	op->done = done;
	op->ud = ud;
	op->what = what;
	op->ext_id = ext_id;
	op->output = output;
	op->f.proc = slurm_run(s, argv, 30000, on_command, op);
	if (!op->f.proc) {
		free(op);
		char why[128];
		snprintf(why, sizeof why, "cannot start %s", what);
		done(ud, 0, why);
		return;
	}
	slurm_track(s, &op->f);
}

static void on_rest_stop(void *ud, const char *body, size_t n, const char *why)
{
	struct cmd_op *op = ud;
	(void)body;
	(void)n;
	slurm_untrack(op->s, &op->f);
	op->f.call = NULL;
	op->done(op->ud, why == NULL, why);
	free(op);
}

/* scancel, or DELETE job/ID when reads go through slurmrestd. */
static void slurm_stop(struct job_source *src, struct job *j, job_done_fn done, void *ud)
{
	struct slurm_source *s = (struct slurm_source *)src;
	jobreg_request_stop(src->db, j, 0, NULL);
	if (s->rest_base) {
		struct cmd_op *op = xcalloc(1, sizeof *op);
		op->s = s;
		op->done = done;
		op->ud = ud;
		char *path = xasprintf(SLURM_REST_API "/job/%s", j->ext_id);
		op->f.call = slurm_rest_call(s, "DELETE", path, on_rest_stop, op);
		free(path);
		slurm_track(s, &op->f);
		return;
	}
	char sc[] = "scancel";
	char *argv[] = {sc, j->ext_id, NULL};
	command(s, argv, "scancel", NULL, NULL, done, ud);
}

static void slurm_free(struct job_source *src)
{
	struct slurm_source *s = (struct slurm_source *)src;
	while (s->inflight) {
		struct inflight *f = s->inflight;
		s->inflight = f->next;
		if (f->proc)
			proc_cancel(f->proc);
		if (f->call)
			http_cancel(f->call);
		free(f); /* the op it begins; a list op's own allocations leak only at exit */
	}
	free(s->rest_url);
	free(s->rest_socket);
	free(s->rest_base);
	free(s->ssh);
	free(s->ssh_config);
	free(s->control_dir);
	free(s->user);
	free(s->mirror_dir);
	free(src->why);
	free(src);
}

static const struct job_source_ops slurm_ops = {
	.name = "slurm",
	.list = slurm_list,
	.describe = slurm_describe,
	.logs = slurm_logs,
	.stop = slurm_stop,
	.free = slurm_free,
};

static char *runtime_dir(void)
{
	const char *x = getenv("XDG_RUNTIME_DIR");
	if (x && *x && path_is_dir(x))
		return xasprintf("%s/aiwb", x);
	return xasprintf("/tmp/aiwb-%d", (int)getuid());
}

struct job_source *slurm_source_new_with(struct db *db, struct loop *loop, const struct slurm_config *cfg,
					 struct err *e)
{
	struct slurm_source *s = xcalloc(1, sizeof *s);
	struct job_source *src = &s->base;
	src->ops = &slurm_ops;
	src->db = db;
	src->loop = loop;
	s->acct = -1;
	struct passwd *pw = getpwuid(getuid());
	s->user = xstrdup(pw ? pw->pw_name : "");
	s->mirror_dir = path_join(path_data_home(), "jobs/slurm-logs");
	if (cfg && cfg->rest_url && *cfg->rest_url) {
		s->rest_url = xstrdup(cfg->rest_url);
		if (strncmp(cfg->rest_url, "unix:", 5) == 0 && cfg->rest_url[5] == '/') {
			s->rest_socket = xstrdup(cfg->rest_url + 5);
			s->rest_base = xstrdup("http://localhost");
		} else if (strncmp(cfg->rest_url, "https://", 8) == 0 || strncmp(cfg->rest_url, "http://", 7) == 0) {
			s->rest_base = xstrdup(cfg->rest_url);
			size_t n = strlen(s->rest_base);
			while (n && s->rest_base[n - 1] == '/')
				s->rest_base[--n] = '\0';
			if (http_check_url(s->rest_base, 0, e) < 0) {
				slurm_free(src);
				return NULL;
			}
		} else {
			err_set(e, "slurm.rest_url must be unix:/path/to/slurmrestd.sock or https://host:port, not '%s'",
				cfg->rest_url);
			slurm_free(src);
			return NULL;
		}
	}
	if (cfg && cfg->ssh && *cfg->ssh) {
		if (strpbrk(cfg->ssh, " \t\n'\"\\;") || cfg->ssh[0] == '-') {
			err_set(e, "slurm.ssh must be user@host or a Host of your ssh config, not '%s'", cfg->ssh);
			slurm_free(src);
			return NULL;
		}
		s->ssh = xstrdup(cfg->ssh);
		const char *at = strchr(cfg->ssh, '@');
		if (at) {
			free(s->user);
			s->user = xstrndup(cfg->ssh, (size_t)(at - cfg->ssh));
		}
		s->ssh_config = cfg->ssh_config && *cfg->ssh_config ? xstrdup(cfg->ssh_config) : NULL;
		s->control_dir = runtime_dir();
	}
	return src;
}

struct job_source *slurm_source_new(struct db *db, struct loop *loop)
{
	return slurm_source_new_with(db, loop, NULL, NULL);
}

const char *slurm_user(const struct job_source *src)
{
	return ((const struct slurm_source *)src)->user;
}

/* ---------------------------------------------------------------- submit */

static char *shell_word(char *const *argv)
{
	return slurm_shell_join(argv);
}

void slurm_submit(struct job_source *src, const struct slurm_submit *s, char **ext_id, job_done_fn done, void *ud)
{
	char *wrap = shell_word(s->argv);
	char *args[16];
	int n = 0;
	args[n++] = xstrdup("sbatch");
	args[n++] = xstrdup("--parsable");
	if (s->name)
		args[n++] = xasprintf("--job-name=%s", s->name);
	if (s->partition)
		args[n++] = xasprintf("--partition=%s", s->partition);
	if (s->time)
		args[n++] = xasprintf("--time=%s", s->time);
	if (s->gpus > 0)
		args[n++] = xasprintf("--gpus=%d", s->gpus);
	if (s->array)
		args[n++] = xasprintf("--array=%s", s->array);
	if (s->cwd)
		args[n++] = xasprintf("--chdir=%s", s->cwd);
	args[n++] = xasprintf("--wrap=%s", wrap);
	args[n] = NULL;
	command((struct slurm_source *)src, args, "sbatch", ext_id, NULL, done, ud);
	for (int i = 0; i < n; i++)
		free(args[i]);
	free(wrap);
}

/* ---------------------------------------------------------------- resubmit */

void slurm_fetch_script(struct job_source *src, const struct job *j, char **script, job_done_fn done, void *ud)
{
	char sc[] = "scontrol", w[] = "write", b[] = "batch_script", dash[] = "-";
	char *argv[] = {sc, w, b, j->ext_id, dash, NULL};
	command((struct slurm_source *)src, argv, "scontrol write batch_script", NULL, script, done, ud);
}

void slurm_submit_script(struct job_source *src, const struct job *j, const char *script, char **ext_id,
			 job_done_fn done, void *ud)
{
	/* sbatch reads the script from its stdin; the script travels as an
	 * argument of sh, so the same command line works through ssh */
	char *args[16];
	int n = 0;
	char *part = slurm_info_str(j->info, "partition"), *out = slurm_info_str(j->info, "std_out"),
	     *err = slurm_info_str(j->info, "std_err"), *wd = slurm_info_str(j->info, "work_dir");
	args[n++] = xstrdup("sh");
	args[n++] = xstrdup("-c");
	args[n++] = xstrdup("printf '%s' \"$1\" | { shift; exec \"$@\"; }");
	args[n++] = xstrdup("sh");
	args[n++] = xstrdup(script);
	args[n++] = xstrdup("sbatch");
	args[n++] = xstrdup("--parsable");
	if (j->name)
		args[n++] = xasprintf("--job-name=%s", j->name);
	if (part)
		args[n++] = xasprintf("--partition=%s", part);
	if (wd || j->cwd)
		args[n++] = xasprintf("--chdir=%s", wd ? wd : j->cwd);
	if (out)
		args[n++] = xasprintf("--output=%s", out);
	if (err && (!out || strcmp(err, out) != 0))
		args[n++] = xasprintf("--error=%s", err);
	args[n] = NULL;
	command((struct slurm_source *)src, args, "sbatch", ext_id, NULL, done, ud);
	for (int i = 0; i < n; i++)
		free(args[i]);
	free(part);
	free(out);
	free(err);
	free(wd);
}
