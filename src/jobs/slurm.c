#include "jobs/slurm.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/xmalloc.h"
#include "jobs/local.h"
#include "base/proc.h"
#include "jobs/registry.h"

static const struct {
	const char *state;
	enum job_status status;
} slurm_states[] = {
	{"PENDING", JOB_QUEUED},      {"REQUEUED", JOB_QUEUED},     {"REQUEUE_HOLD", JOB_QUEUED},
	{"REQUEUE_FED", JOB_QUEUED},  {"RESV_DEL_HOLD", JOB_QUEUED}, {"CONFIGURING", JOB_STARTING},
	{"RUNNING", JOB_RUNNING},     {"COMPLETING", JOB_RUNNING},  {"SUSPENDED", JOB_RUNNING},
	{"STAGE_OUT", JOB_RUNNING},   {"RESIZING", JOB_RUNNING},    {"SIGNALING", JOB_STOPPING},
	{"STOPPED", JOB_RUNNING},     {"COMPLETED", JOB_COMPLETED}, {"FAILED", JOB_FAILED},
	{"NODE_FAIL", JOB_FAILED},    {"BOOT_FAIL", JOB_FAILED},    {"OUT_OF_MEMORY", JOB_FAILED},
	{"PREEMPTED", JOB_STOPPED},   {"CANCELLED", JOB_STOPPED},   {"REVOKED", JOB_STOPPED},
	{"TIMEOUT", JOB_TIMEOUT},     {"DEADLINE", JOB_TIMEOUT},    {"SPECIAL_EXIT", JOB_FAILED},
};

enum job_status slurm_map_state(const char *state)
{
	if (!state)
		return JOB_UNKNOWN;
	for (size_t i = 0; i < sizeof slurm_states / sizeof *slurm_states; i++)
		if (strcmp(slurm_states[i].state, state) == 0)
			return slurm_states[i].status;
	return JOB_UNKNOWN;
}

int slurm_decode_exit(int64_t raw, int *code, int *signal)
{
	int st = (int)raw;
	*code = *signal = 0;
	if (WIFSIGNALED(st)) {
		*signal = WTERMSIG(st);
		return 1;
	}
	*code = WEXITSTATUS(st);
	return 0;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int64_t num(const cJSON *o, const char *k, int64_t def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : def;
}

int slurm_parse_squeue(const char *json, size_t n, slurm_job_fn fn, void *ud, struct err *e)
{
	cJSON *root = cJSON_ParseWithLength(json, n);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return err_set(e, "squeue --json did not print JSON");
	}
	const cJSON *errors = cJSON_GetObjectItemCaseSensitive(root, "errors");
	if (cJSON_IsArray(errors) && cJSON_GetArraySize(errors) > 0) {
		const cJSON *first = cJSON_GetArrayItem(errors, 0);
		const char *msg = str(first, "error");
		if (!msg)
			msg = str(first, "description");
		err_set(e, "squeue reports: %s", msg ? msg : "an error");
		cJSON_Delete(root);
		return -1;
	}
	const cJSON *jobs = cJSON_GetObjectItemCaseSensitive(root, "jobs");
	if (!cJSON_IsArray(jobs)) {
		cJSON_Delete(root);
		return err_set(e, "squeue --json printed no jobs array");
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, jobs)
	{
		struct slurm_job j = {
			.job_id = num(it, "job_id", 0),
			.array_job_id = num(it, "array_job_id", 0),
			.array_task_id = num(it, "array_task_id", -1),
			.array_tasks = str(it, "array_task_string"),
			.name = str(it, "name"),
			.state = str(it, "job_state"),
			.reason = str(it, "state_reason"),
			.user = str(it, "user_name"),
			.partition = str(it, "partition"),
			.nodes = str(it, "nodes"),
			.std_out = str(it, "standard_output"),
			.std_err = str(it, "standard_error"),
			.cwd = str(it, "current_working_directory"),
			.exit_status = num(it, "exit_code", 0),
			.submit_s = num(it, "submit_time", 0),
			.start_s = num(it, "start_time", 0),
			.end_s = num(it, "end_time", 0),
		};
		if (j.job_id > 0)
			fn(ud, &j);
	}
	cJSON_Delete(root);
	return 0;
}

char *slurm_job_key(const struct slurm_job *j)
{
	if (j->array_job_id > 0 && j->array_task_id >= 0)
		return xasprintf("%lld_%lld", (long long)j->array_job_id, (long long)j->array_task_id);
	if (j->array_job_id > 0 && j->array_tasks && *j->array_tasks) /* tasks not started yet */
		return xasprintf("%lld_[%s]", (long long)j->array_job_id, j->array_tasks);
	return xasprintf("%lld", (long long)j->job_id);
}

char *slurm_expand_path(const char *pattern, const struct slurm_job *j)
{
	struct buf b = BUF_INIT;
	for (const char *p = pattern; *p; p++) {
		if (*p != '%' || !p[1]) {
			buf_putc(&b, *p);
			continue;
		}
		p++;
		int width = 0;
		while (*p >= '0' && *p <= '9')
			width = width * 10 + (*p++ - '0');
		if (width > 10)
			width = 10;
		switch (*p) {
		case '%': buf_putc(&b, '%'); break;
		case 'j': buf_printf(&b, "%0*lld", width, (long long)j->job_id); break;
		case 'A': buf_printf(&b, "%0*lld", width, (long long)(j->array_job_id > 0 ? j->array_job_id : j->job_id)); break;
		case 'a': buf_printf(&b, "%0*lld", width, (long long)(j->array_task_id >= 0 ? j->array_task_id : 4294967294LL)); break;
		case 'x': buf_puts(&b, j->name ? j->name : ""); break;
		case 'u': buf_puts(&b, j->user ? j->user : ""); break;
		case 'N': { /* the first node of the job's host list: "node[3-5],x" -> node3 */
			const char *n = j->nodes ? j->nodes : "";
			size_t prefix = strcspn(n, ",[");
			buf_append(&b, n, prefix);
			if (n[prefix] == '[')
				buf_append(&b, n + prefix + 1, strcspn(n + prefix + 1, "-,]"));
			break;
		}
		case 'n': case 't': buf_printf(&b, "%0*d", width, 0); break;
		case 's': buf_puts(&b, "batch"); break;
		case '\0': p--; break;
		default: buf_putc(&b, '%'); buf_putc(&b, *p); break;
		}
		if (!*p)
			break;
	}
	if (!b.len)
		buf_puts(&b, "");
	return buf_detach(&b);
}

int slurm_available(void)
{
	const char *flag = getenv("AIWB_SLURM");
	if (flag && strcmp(flag, "off") == 0)
		return 0;
	const char *path = getenv("PATH");
	if (!path)
		return 0;
	char *copy = xstrdup(path), *save = NULL;
	int found = 0;
	for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *f = xasprintf("%s/squeue", d);
		found = access(f, X_OK) == 0;
		free(f);
	}
	free(copy);
	return found;
}

/* ---------------------------------------------------------------- the source */

/* An operation waiting on its child process. The source keeps those it
 * started, so freeing it (the workbench quitting while squeue runs) cancels
 * the children and frees the operations without calling them back. */
struct inflight {
	struct inflight *next;
	struct proc *proc;
};

struct slurm_source {
	struct job_source base;
	struct inflight *inflight;
};

static void track(struct job_source *src, struct inflight *f)
{
	if (!src || !f->proc)
		return;
	struct slurm_source *s = (struct slurm_source *)src;
	f->next = s->inflight;
	s->inflight = f;
}

static void untrack(struct job_source *src, struct inflight *f)
{
	if (!src)
		return;
	for (struct inflight **p = &((struct slurm_source *)src)->inflight; *p; p = &(*p)->next)
		if (*p == f) {
			*p = f->next;
			return;
		}
}

struct list_op {
	struct inflight f; /* first: slurm_free frees the op through it */
	struct job_source *src;
	job_done_fn done;
	void *ud;
	char **seen;
	size_t n_seen;
	int active;
	int failed;
};

static void set(char **dst, const char *v)
{
	free(*dst);
	*dst = v && *v ? xstrdup(v) : NULL;
}

static void on_slurm_job(void *ud, const struct slurm_job *sj)
{
	struct list_op *op = ud;
	struct db *db = op->src->db;
	char *key = slurm_job_key(sj), *ref = xasprintf("slurm:%s", key);
	struct job j;
	int exists = jobreg_find(db, ref, &j, NULL) == 0 && strcmp(j.source, "slurm") == 0 && strcmp(j.ext_id, key) == 0;
	if (!exists) {
		memset(&j, 0, sizeof j);
		j.source = xstrdup("slurm");
		j.ext_id = xstrdup(key);
	}
	enum job_status st = slurm_map_state(sj->state);
	j.status = st;
	if (j.stop_requested && st == JOB_RUNNING)
		j.status = JOB_STOPPING;
	set(&j.raw_state, sj->state);
	set(&j.name, sj->name);
	set(&j.cwd, sj->cwd);
	j.submit_ms = sj->submit_s * 1000;
	j.start_ms = st == JOB_QUEUED ? 0 : sj->start_s * 1000;
	j.end_ms = job_status_final(st) ? sj->end_s * 1000 : 0;
	int code, sig;
	j.has_exit = 0;
	j.signal = 0;
	if (job_status_final(st)) {
		if (slurm_decode_exit(sj->exit_status, &code, &sig))
			j.signal = sig;
		else {
			j.has_exit = 1;
			j.exit_code = code;
		}
	}
	char why[160] = "";
	if (st == JOB_QUEUED && sj->reason && strcmp(sj->reason, "None") != 0)
		snprintf(why, sizeof why, "waiting: %s", sj->reason);
	else if (st == JOB_FAILED && j.has_exit)
		snprintf(why, sizeof why, "exited with status %d", j.exit_code);
	else if (j.signal)
		snprintf(why, sizeof why, "ended by signal %d", j.signal);
	else if (job_status_final(st) && sj->reason && strcmp(sj->reason, "None") != 0)
		snprintf(why, sizeof why, "%s", sj->reason);
	set(&j.reason, why);
	/* sbatch's default output file when none was given */
	const char *pattern = sj->std_out && *sj->std_out ? sj->std_out
			      : sj->array_job_id > 0 ? "slurm-%A_%a.out" : "slurm-%j.out";
	if (st != JOB_QUEUED || (sj->std_out && *sj->std_out)) {
		char *path = slurm_expand_path(pattern, sj);
		if (path[0] != '/' && sj->cwd) {
			char *abs = xasprintf("%s/%s", sj->cwd, path);
			free(path);
			path = abs;
		}
		if (!j.log_path || strcmp(j.log_path, path) != 0)
			j.log_offset = 0;
		free(j.log_path);
		j.log_path = path;
	}
	if (!exists ? jobreg_insert(db, &j, NULL) < 0 : jobreg_update(db, &j, NULL) < 0)
		op->failed = 1;
	else if (j.log_path && local_ingest(db, &j, NULL) < 0)
		op->failed = 1;
	op->active += !job_status_final(j.status);
	op->seen = xreallocarray(op->seen, op->n_seen + 1, sizeof *op->seen);
	op->seen[op->n_seen++] = xstrdup(key);
	job_clear(&j);
	free(key);
	free(ref);
}

/* Jobs aiwb saw running that squeue no longer shows: Slurm purged them
 * before aiwb saw their end. */
static void forget_vanished(struct list_op *op)
{
	struct job_list l;
	if (jobreg_list(op->src->db, "slurm", -1, &l, NULL) < 0)
		return;
	for (size_t i = 0; i < l.n; i++) {
		struct job *j = &l.v[i];
		if (job_status_final(j->status) || j->status == JOB_UNKNOWN)
			continue;
		int seen = 0;
		for (size_t k = 0; k < op->n_seen && !seen; k++)
			seen = strcmp(op->seen[k], j->ext_id) == 0;
		if (seen)
			continue;
		if (strstr(j->ext_id, "_[")) { /* the pending part of an array: its tasks are rows of their own now */
			jobreg_delete(op->src->db, j->id, NULL);
			continue;
		}
		j->status = JOB_UNKNOWN;
		set(&j->reason, "Slurm no longer lists this job and its end was not seen");
		jobreg_update(op->src->db, j, NULL);
	}
	job_list_free(&l);
}

static void on_squeue(void *ud, const struct proc_result *r)
{
	struct list_op *op = ud;
	struct err e = ERR_INIT;
	int ok = 0;
	untrack(op->src, &op->f);
	if (!r->started || r->timed_out)
		err_set(&e, "%s", r->timed_out ? "squeue did not answer in time" : r->why ? r->why : "squeue did not run");
	else if (!r->exited || r->code != 0) {
		const char *msg = buf_str(r->err);
		size_t n = strcspn(msg, "\n");
		err_set(&e, "squeue failed: %.*s", (int)(n ? n : 20), n ? msg : "(no message)");
	} else if (jobreg_begin(op->src->db, &e) == 0) {
		if (slurm_parse_squeue(buf_str(r->out), r->out->len, on_slurm_job, op, &e) == 0 && !op->failed) {
			forget_vanished(op);
			ok = jobreg_commit(op->src->db, &e) == 0;
		} else
			db_exec(op->src->db, "ROLLBACK", NULL);
	}
	if (ok)
		op->src->active = op->active;
	for (size_t i = 0; i < op->n_seen; i++)
		free(op->seen[i]);
	free(op->seen);
	op->done(op->ud, ok, ok ? NULL : (e.set ? e.msg : "the Slurm jobs could not be saved"));
	free(op);
}

static void slurm_list(struct job_source *src, job_done_fn done, void *ud)
{
	struct list_op *op = xcalloc(1, sizeof *op);
	op->src = src;
	op->done = done;
	op->ud = ud;
	char sq[] = "squeue", js[] = "--json";
	char *argv[] = {sq, js, NULL};
	op->f.proc = proc_start(src->loop, argv, src->timeout_ms > 0 ? src->timeout_ms : 20000, on_squeue, op);
	if (!op->f.proc) {
		free(op);
		done(ud, 0, "cannot start squeue");
		return;
	}
	track(src, &op->f);
}

static void slurm_describe(struct job_source *src, struct job *j, job_done_fn done, void *ud)
{
	(void)j;
	slurm_list(src, done, ud);
}

static int64_t slurm_logs(struct job_source *src, const struct job *j, int64_t offset, struct buf *out, struct err *e)
{
	(void)src;
	return local_log_read(j, offset, out, e);
}

struct cmd_op {
	struct inflight f; /* first, as in list_op */
	struct job_source *src; /* NULL for sbatch, which no source owns */
	job_done_fn done;
	void *ud;
	char **ext_id;
	const char *what;
};

static void on_command(void *ud, const struct proc_result *r)
{
	struct cmd_op *op = ud;
	char why[512] = "";
	untrack(op->src, &op->f);
	int ok = r->started && !r->timed_out && r->exited && r->code == 0;
	if (!ok) {
		const char *msg = r->why ? r->why : buf_str(r->err);
		size_t n = strcspn(msg, "\n");
		snprintf(why, sizeof why, "%s failed: %.*s", op->what, (int)n, n ? msg : "no message");
	} else if (op->ext_id) {
		const char *o = buf_str(r->out);
		size_t n = strcspn(o, ";\n"); /* --parsable: "ID" or "ID;cluster" */
		*op->ext_id = xstrndup(o, n);
	}
	op->done(op->ud, ok, ok ? NULL : why);
	free(op);
}

static void slurm_stop(struct job_source *src, struct job *j, job_done_fn done, void *ud)
{
	struct cmd_op *op = xcalloc(1, sizeof *op);
	op->src = src;
	op->done = done;
	op->ud = ud;
	op->what = "scancel";
	j->stop_requested = 1;
	jobreg_update(src->db, j, NULL);
	char sc[] = "scancel";
	char *argv[] = {sc, j->ext_id, NULL};
	op->f.proc = proc_start(src->loop, argv, 20000, on_command, op);
	if (!op->f.proc) {
		free(op);
		done(ud, 0, "cannot start scancel");
		return;
	}
	track(src, &op->f);
}

static void slurm_free(struct job_source *src)
{
	struct slurm_source *s = (struct slurm_source *)src;
	while (s->inflight) {
		struct inflight *f = s->inflight;
		s->inflight = f->next;
		proc_cancel(f->proc);
		free(f); /* the op it begins */
	}
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

struct job_source *slurm_source_new(struct db *db, struct loop *loop)
{
	struct slurm_source *s = xcalloc(1, sizeof *s);
	struct job_source *src = &s->base;
	src->ops = &slurm_ops;
	src->db = db;
	src->loop = loop;
	return src;
}

void slurm_submit(struct loop *l, const struct slurm_submit *s, char **ext_id, job_done_fn done, void *ud)
{
	struct buf wrap = BUF_INIT;
	for (char *const *a = s->argv; *a; a++) {
		if (a != s->argv)
			buf_putc(&wrap, ' ');
		buf_putc(&wrap, '\'');
		for (const char *p = *a; *p; p++) {
			if (*p == '\'')
				buf_puts(&wrap, "'\\''");
			else
				buf_putc(&wrap, *p);
		}
		buf_putc(&wrap, '\'');
	}
	char *args[16];
	int n = 0;
	char *owned[8];
	int n_owned = 0;
	args[n++] = owned[n_owned++] = xstrdup("sbatch");
	args[n++] = owned[n_owned++] = xstrdup("--parsable");
	if (s->name)
		args[n++] = owned[n_owned++] = xasprintf("--job-name=%s", s->name);
	if (s->partition)
		args[n++] = owned[n_owned++] = xasprintf("--partition=%s", s->partition);
	if (s->time)
		args[n++] = owned[n_owned++] = xasprintf("--time=%s", s->time);
	if (s->gpus > 0)
		args[n++] = owned[n_owned++] = xasprintf("--gpus=%d", s->gpus);
	if (s->cwd)
		args[n++] = owned[n_owned++] = xasprintf("--chdir=%s", s->cwd);
	args[n++] = owned[n_owned++] = xasprintf("--wrap=%s", buf_str(&wrap));
	args[n] = NULL;
	struct cmd_op *op = xcalloc(1, sizeof *op);
	op->done = done;
	op->ud = ud;
	op->ext_id = ext_id;
	op->what = "sbatch";
	if (proc_run(l, args, 30000, on_command, op) < 0) {
		free(op);
		done(ud, 0, "cannot start sbatch");
	}
	for (int i = 0; i < n_owned; i++)
		free(owned[i]);
	buf_free(&wrap);
}
