#include "jobs/desk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/xmalloc.h"
#include "jobs/bedrockjobs.h"
#include "jobs/local.h"
#include "jobs/registry.h"
#include "jobs/sagemaker.h"
#include "jobs/smmonitor.h"

void job_desk_open(struct job_desk *d, struct db *db, struct loop *loop, volatile sig_atomic_t *stop)
{
	memset(d, 0, sizeof *d);
	d->db = db;
	d->loop = loop;
	d->stop = stop;
	d->local = local_source_new(db, loop);
	d->drift = local_source_named(db, loop, "drift");
	if (slurm_available())
		d->slurm = slurm_source_new(db, loop);
	if (sagemaker_enabled())
		d->sagemaker = sagemaker_source_new(db, loop);
	if (bedrockjobs_enabled())
		d->bedrock = bedrockjobs_source_new(db, loop);
	if (smmonitor_available())
		d->smmonitor = smmonitor_source_new(db, loop, NULL);
}

size_t job_desk_all(const struct job_desk *d, struct job_source **out, size_t max)
{
	struct job_source *all[] = { d->local, d->drift, d->slurm, d->sagemaker, d->smmonitor, d->bedrock };
	size_t n = 0;
	for (size_t i = 0; i < sizeof all / sizeof *all && n < max; i++)
		if (all[i])
			out[n++] = all[i];
	return n;
}

void job_desk_close(struct job_desk *d)
{
	if (d->local)
		d->local->ops->free(d->local);
	if (d->drift)
		d->drift->ops->free(d->drift);
	if (d->slurm)
		d->slurm->ops->free(d->slurm);
	if (d->sagemaker)
		d->sagemaker->ops->free(d->sagemaker);
	if (d->bedrock)
		d->bedrock->ops->free(d->bedrock);
	if (d->smmonitor)
		d->smmonitor->ops->free(d->smmonitor);
	memset(d, 0, sizeof *d);
}

int job_desk_reattach(struct job_desk *d, struct err *e)
{
	return local_sync_all(d->db, NULL, e);
}

struct job_source *job_desk_source(const struct job_desk *d, const struct job *j)
{
	if (strcmp(j->source, "local") == 0)
		return d->local;
	if (strcmp(j->source, "drift") == 0)
		return d->drift;
	if (strcmp(j->source, "slurm") == 0)
		return d->slurm;
	if (strcmp(j->source, "sagemaker") == 0)
		return d->sagemaker;
	if (strcmp(j->source, "bedrock") == 0)
		return d->bedrock;
	if (strcmp(j->source, SMMONITOR_SOURCE) == 0)
		return d->smmonitor;
	return NULL;
}

static int stopped(const struct job_desk *d)
{
	return d->stop && *d->stop;
}

struct wait {
	int done, ok;
	char why[512];
	struct loop *loop;
};

static void on_done(void *ud, int ok, const char *why)
{
	struct wait *w = ud;
	w->done = 1;
	w->ok = ok;
	snprintf(w->why, sizeof w->why, "%s", why ? why : "");
	loop_stop(w->loop);
}

/* 0 done (w->ok says how), JOB_DESK_STOPPED when interrupted first. */
static int wait_for(struct job_desk *d, struct wait *w)
{
	while (!w->done && !stopped(d))
		loop_run(d->loop);
	return w->done ? 0 : JOB_DESK_STOPPED;
}

struct refresh_wait {
	struct wait w;
	struct job_source *src;
};

static void on_refreshed(void *ud, int ok, const char *why)
{
	struct refresh_wait *r = ud;
	free(r->src->why);
	r->src->why = ok || !why ? NULL : xstrdup(why);
	on_done(&r->w, ok, why);
}

void job_desk_refresh(struct job_desk *d, struct job_source *src)
{
	if (!src)
		return;
	struct refresh_wait r = { .w = { .loop = d->loop }, .src = src };
	src->ops->list(src, on_refreshed, &r);
	wait_for(d, &r.w);
	src->down = !r.w.ok;
}

int job_desk_stop(struct job_desk *d, struct job *j, int64_t grace_ms, struct err *e)
{
	struct job_source *src = job_desk_source(d, j);
	if (!src)
		return err_set(e, "stopping %s jobs is not available in this version", j->source);
	struct wait w = { .loop = d->loop };
	src->stop_grace_ms = grace_ms > 0 ? grace_ms : 1;
	src->ops->stop(src, j, on_done, &w);
	if (wait_for(d, &w) == JOB_DESK_STOPPED)
		return JOB_DESK_STOPPED;
	if (!w.ok)
		return err_set(e, "%s", w.why);
	char *ref = job_ref(j);
	job_clear(j);
	if (src != d->local && !src->ops->describe_alone)
		job_desk_refresh(d, src);
	if (jobreg_find(d->db, ref, j, NULL) == 0 && src->ops->describe_alone)
		job_desk_describe(d, j, NULL);
	if (src == d->local)
		local_sync(d->db, j, NULL);
	free(ref);
	return 0;
}

int job_desk_submit_slurm(struct job_desk *d, const struct slurm_submit *s, char **ext_id, struct err *e)
{
	*ext_id = NULL;
	if (!d->slurm)
		return err_set(e, "Slurm's commands (squeue, sbatch) are not on PATH, or AIWB_SLURM=off");
	struct wait w = { .loop = d->loop };
	slurm_submit(d->slurm, s, ext_id, on_done, &w);
	if (wait_for(d, &w) == JOB_DESK_STOPPED)
		return JOB_DESK_STOPPED;
	if (!w.ok)
		return err_set(e, "%s", w.why);
	struct job j = { 0 };
	struct buf cmd = BUF_INIT, rt = BUF_INIT;
	for (char *const *a = s->argv; *a; a++)
		buf_printf(&cmd, "%s%s", a == s->argv ? "" : " ", *a);
	for (size_t i = 0; i < s->n_rules; i++)
		buf_printf(&rt, "%s%s", i ? "\n" : "", s->rules[i]);
	j.source = xstrdup("slurm");
	j.ext_id = xstrdup(*ext_id);
	j.name = s->name ? xstrdup(s->name) : NULL;
	j.status = JOB_QUEUED;
	j.raw_state = xstrdup("SUBMITTED");
	j.submit_ms = clock_wall_ms();
	j.command = buf_detach(&cmd);
	j.cwd = s->cwd ? xstrdup(s->cwd) : NULL;
	j.rules = s->n_rules ? buf_detach(&rt) : NULL;
	if (s->array)
		j.info = xstrdup("{\"array\":{}}");
	struct err re = ERR_INIT;
	int rc = 0;
	if (jobreg_insert(d->db, &j, &re) < 0)
		rc = err_set(e, "slurm:%s was submitted but cannot be recorded: %s", *ext_id, re.msg);
	else
		job_desk_refresh(d, d->slurm);
	buf_free(&cmd);
	buf_free(&rt);
	job_clear(&j);
	return rc;
}

int job_desk_slurm_config(struct job_desk *d, const struct slurm_config *cfg, struct err *e)
{
	if (!cfg || ((!cfg->rest_url || !*cfg->rest_url) && (!cfg->ssh || !*cfg->ssh)))
		return 0;
	const char *flag = getenv("AIWB_SLURM");
	if (flag && strcmp(flag, "off") == 0)
		return 0;
	struct job_source *src = slurm_source_new_with(d->db, d->loop, cfg, e);
	if (!src)
		return -1;
	if (d->slurm) {
		src->timeout_ms = d->slurm->timeout_ms;
		d->slurm->ops->free(d->slurm);
	}
	d->slurm = src;
	return 0;
}

int job_desk_describe(struct job_desk *d, struct job *j, struct err *e)
{
	struct job_source *src = job_desk_source(d, j);
	if (!src)
		return 0;
	struct refresh_wait r = { .w = { .loop = d->loop }, .src = src };
	src->ops->describe(src, j, on_refreshed, &r);
	if (wait_for(d, &r.w) == JOB_DESK_STOPPED)
		return JOB_DESK_STOPPED;
	src->down = !r.w.ok;
	char *ref = job_ref(j);
	job_clear(j);
	int rc = jobreg_find(d->db, ref, j, e);
	free(ref);
	return rc;
}

int job_desk_resubmit_slurm(struct job_desk *d, const struct job *j, job_desk_edit_fn edit, void *edit_ud,
			    char **ext_id, struct err *e)
{
	*ext_id = NULL;
	if (!d->slurm)
		return err_set(e, "Slurm's commands (squeue, sbatch) are not on PATH, or AIWB_SLURM=off");
	char *script = NULL;
	struct wait w = { .loop = d->loop };
	slurm_fetch_script(d->slurm, j, &script, on_done, &w);
	if (wait_for(d, &w) == JOB_DESK_STOPPED)
		return JOB_DESK_STOPPED;
	if (!w.ok)
		return err_set(e, "%s", w.why);
	if (!script || !*script) {
		free(script);
		return err_set(e, "Slurm gave an empty batch script for %s", j->ext_id);
	}
	if (edit && edit(&script, edit_ud, e) < 0) {
		free(script);
		return -1;
	}
	struct wait w2 = { .loop = d->loop };
	slurm_submit_script(d->slurm, j, script, ext_id, on_done, &w2);
	free(script);
	if (wait_for(d, &w2) == JOB_DESK_STOPPED)
		return JOB_DESK_STOPPED;
	if (!w2.ok)
		return err_set(e, "%s", w2.why);
	struct job n = { 0 };
	n.source = xstrdup("slurm");
	n.ext_id = xstrdup(*ext_id);
	n.name = j->name ? xstrdup(j->name) : NULL;
	n.status = JOB_QUEUED;
	n.raw_state = xstrdup("SUBMITTED");
	n.submit_ms = clock_wall_ms();
	n.command = j->command ? xstrdup(j->command) : NULL;
	n.cwd = j->cwd ? xstrdup(j->cwd) : NULL;
	n.rules = j->rules ? xstrdup(j->rules) : NULL;
	struct err re = ERR_INIT;
	int rc = 0;
	if (jobreg_insert(d->db, &n, &re) < 0)
		rc = err_set(e, "slurm:%s was submitted but cannot be recorded: %s", *ext_id, re.msg);
	else
		job_desk_refresh(d, d->slurm);
	job_clear(&n);
	return rc;
}
