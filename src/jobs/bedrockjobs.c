#include "jobs/bedrockjobs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/xmalloc.h"
#include "jobs/awsjob.h"
#include "jobs/awssource.h"
#include "jobs/registry.h"

#define SOURCE "bedrock"
#define MARK_FINAL "aws:final"
#define FINAL_READS_PER_REFRESH 20
#define PAGES_MAX 1000

int bedrockjobs_enabled(void)
{
	const char *flag = getenv("AIWB_BEDROCK_JOBS");
	return flag && strcmp(flag, "on") == 0;
}

static void set(char **dst, const char *v)
{
	free(*dst);
	*dst = v && *v ? xstrdup(v) : NULL;
}

static int64_t ms(double s)
{
	return s > 0 ? (int64_t)llround(s * 1000.0) : 0;
}

/* The path of a job's operation: /model-customization-jobs/NAME... */
static char *job_path(const char *method, const char *name, const char *tail)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s /model-customization-jobs/", method);
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '.' || *p == '_' || *p == '~')
			buf_putc(&b, (char)*p);
		else
			buf_printf(&b, "%%%02X", *p);
	}
	buf_puts(&b, tail);
	return buf_detach(&b);
}

static void on_point(void *ud, const struct awsjob_point *p)
{
	struct aws_op *op = ((void **)ud)[0];
	int64_t job_id = *(int64_t *)((void **)ud)[1];
	struct db *db = op->src->base.db;
	char key[64];
	snprintf(key, sizeof key, "point:%s", p->name);
	if (aws_mark_get(db, job_id, key))
		return;
	struct metric_point mp = { .name = p->name, .value = p->value, .time_s = p->time_s };
	if (jobreg_add_point(db, job_id, &mp, ms(p->time_s), "bedrock", NULL) == 0)
		aws_mark_set(db, job_id, key, 1);
}

static int on_get(struct aws_op *op, void *arg, const struct awscall_reply *r)
{
	const char *name = arg;
	if (!r->ok) {
		aws_op_fail(op, "Bedrock GetModelCustomizationJob", r);
		return aws_reply_throttled(r) ? -1 : 0;
	}
	struct awsjob_detail d;
	struct err e = ERR_INIT;
	if (awsjob_parse_customization(r->body, r->len, &d, NULL, NULL, &e) < 0) {
		snprintf(op->why, sizeof op->why, "Bedrock GetModelCustomizationJob for %s: %s", name, e.msg);
		return -1;
	}
	struct job fresh = { 0 }, *j = aws_op_find(op, d.name);
	if (!j && strcmp(d.name, name) != 0) {
		awsjob_detail_free(&d);
		return 0;
	}
	if (!j) { /* described before it was listed */
		fresh.source = xstrdup(SOURCE);
		fresh.ext_id = xstrdup(d.name);
		fresh.name = xstrdup(d.name);
		j = &fresh;
	}
	enum job_status st = awsjob_customization_status(d.status);
	if (j->stop_requested && st == JOB_RUNNING)
		st = JOB_STOPPING;
	j->status = st;
	set(&j->raw_state, d.status);
	j->submit_ms = j->start_ms = ms(d.created_s);
	j->end_ms = job_status_final(st) ? ms(d.end_s > 0 ? d.end_s : d.modified_s) : 0;
	set(&j->reason, d.failure);
	set(&j->info, d.info);
	struct job *row = aws_op_save(op, j);
	if (!row) {
		awsjob_detail_free(&d);
		return -1;
	}
	int64_t id = row->id;
	void *sink[2] = { op, &id };
	struct awsjob_detail again;
	if (awsjob_parse_customization(r->body, r->len, &again, on_point, sink, &e) == 0)
		awsjob_detail_free(&again);
	if (job_status_final(st))
		aws_mark_set(op->src->base.db, id, MARK_FINAL, 1);
	awsjob_detail_free(&d);
	return 0;
}

static void queue_get(struct aws_op *op, const char *name)
{
	op->synced++;
	char *what = job_path("GET", name, "");
	aws_op_push(op, 0, AWS_BEDROCK, what, NULL, on_get, xstrdup(name), free);
	free(what);
}

struct page {
	struct aws_op *op;
	int failed;
};

static void on_summary(void *ud, const struct awsjob_summary *sm)
{
	struct page *pg = ud;
	struct aws_op *op = pg->op;
	if (pg->failed)
		return;
	struct job fresh = { 0 }, *j = aws_op_find(op, sm->name);
	int is_new = !j;
	if (is_new) {
		fresh.source = xstrdup(SOURCE);
		fresh.ext_id = xstrdup(sm->name);
		fresh.name = xstrdup(sm->name);
		j = &fresh;
	}
	enum job_status before = j->status, st = awsjob_customization_status(sm->status);
	if (j->stop_requested && st == JOB_RUNNING)
		st = JOB_STOPPING;
	j->status = st;
	set(&j->raw_state, sm->status);
	j->submit_ms = j->start_ms = ms(sm->created_s);
	j->end_ms = job_status_final(st) ? ms(sm->end_s > 0 ? sm->end_s : sm->modified_s) : 0;
	struct job *row = aws_op_save(op, j);
	if (!row) {
		pg->failed = 1;
		return;
	}
	op->active += !job_status_final(st);
	if (is_new || before != st || !job_status_final(st) ||
	    (!aws_mark_get(op->src->base.db, row->id, MARK_FINAL) && op->synced < FINAL_READS_PER_REFRESH))
		queue_get(op, sm->name);
}

static int on_list(struct aws_op *op, void *arg, const struct awscall_reply *r);

static void push_list(struct aws_op *op, const char *token)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "GET /model-customization-jobs?maxResults=100");
	int days = getenv("AIWB_SAGEMAKER_DAYS") ? atoi(getenv("AIWB_SAGEMAKER_DAYS")) : 30;
	if (days > 0) {
		time_t after = (time_t)(clock_wall_ms() / 1000 - (int64_t)days * 86400);
		struct tm tm;
		char t[32];
		gmtime_r(&after, &tm);
		strftime(t, sizeof t, "%Y-%m-%dT%H%%3A%M%%3A%SZ", &tm);
		buf_printf(&b, "&creationTimeAfter=%s", t);
	}
	if (token) {
		buf_puts(&b, "&nextToken=");
		for (const unsigned char *p = (const unsigned char *)token; *p; p++)
			if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
			    *p == '.' || *p == '_' || *p == '~')
				buf_putc(&b, (char)*p);
			else
				buf_printf(&b, "%%%02X", *p);
	}
	aws_op_push(op, 1, AWS_BEDROCK, buf_str(&b), NULL, on_list, NULL, NULL);
	buf_free(&b);
}

static int on_list(struct aws_op *op, void *arg, const struct awscall_reply *r)
{
	(void)arg;
	if (!r->ok) {
		aws_op_fail(op, "Bedrock ListModelCustomizationJobs", r);
		return -1;
	}
	struct page pg = { op, 0 };
	char *next = NULL;
	struct err e = ERR_INIT;
	if (awsjob_parse_list(AWSJOB_CUSTOMIZATION_JOBS, r->body, r->len, on_summary, &pg, &next, &e) < 0) {
		snprintf(op->why, sizeof op->why, "Bedrock ListModelCustomizationJobs: %s", e.msg);
		return -1;
	}
	if (next && ++op->pages < PAGES_MAX)
		push_list(op, next);
	free(next);
	return pg.failed ? -1 : 0;
}

static void br_list(struct job_source *src, job_done_fn done, void *ud)
{
	struct aws_source *a = (struct aws_source *)src;
	if (aws_listed_lately(a)) {
		done(ud, 1, NULL);
		return;
	}
	struct aws_op *op = aws_op_new(a, done, ud);
	push_list(op, NULL);
	aws_op_run(op);
}

static void br_describe(struct job_source *src, struct job *j, job_done_fn done, void *ud)
{
	if (aws_described_lately((struct aws_source *)src, j->ext_id)) {
		done(ud, 1, NULL);
		return;
	}
	struct aws_op *op = aws_op_new((struct aws_source *)src, done, ud);
	queue_get(op, j->ext_id);
	op->active = src->active;
	aws_op_run(op);
}

static int64_t br_logs(struct job_source *src, const struct job *j, int64_t offset, struct buf *out, struct err *e)
{
	(void)src;
	(void)out;
	(void)e;
	(void)j;
	return offset;
}

static void br_stop(struct job_source *src, struct job *j, job_done_fn done, void *ud)
{
	char *what = job_path("POST", j->ext_id, "/stop");
	aws_source_stop((struct aws_source *)src, j, AWS_BEDROCK, what, NULL, "Bedrock StopModelCustomizationJob", done,
			ud);
	free(what);
}

static void br_free(struct job_source *src)
{
	aws_source_free((struct aws_source *)src);
	free(src);
}

static const struct job_source_ops bedrock_ops = {
	.name = SOURCE,
	.list = br_list,
	.describe = br_describe,
	.describe_alone = 1,
	.logs = br_logs,
	.stop = br_stop,
	.free = br_free,
};

struct job_source *bedrockjobs_source_new(struct db *db, struct loop *loop)
{
	struct aws_source *s = xcalloc(1, sizeof *s);
	static const char *const services[] = { "bedrock" };
	aws_source_init(s, &bedrock_ops, db, loop, services, 1);
	const char *iv = getenv("AIWB_SAGEMAKER_INTERVAL_MS");
	s->min_interval_ms = iv && *iv ? atoll(iv) : 10000;
	return &s->base;
}
