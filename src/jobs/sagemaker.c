#include "jobs/sagemaker.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "jobs/awsjob.h"
#include "jobs/awssource.h"
#include "jobs/local.h"
#include "jobs/registry.h"

#define SOURCE "sagemaker"
#define TUNING_PREFIX "tuning/"
#define FINAL_SYNCS_PER_REFRESH 20
#define PAGES_MAX 1000
#define LOG_PAGES_PER_REFRESH 50
#define MARK_FINAL "aws:final"

struct sm_source {
	struct aws_source aws; /* first */
	char *name_contains, *status;
	int days;
};

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

int sagemaker_enabled(void)
{
	const char *flag = env_or("AIWB_SAGEMAKER", "");
	if (strcmp(flag, "off") == 0)
		return 0;
	return strcmp(flag, "on") == 0 || *env_or("AWS_ENDPOINT_URL_SAGEMAKER", "");
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

static char *raw_state(const char *status, const char *secondary)
{
	return secondary && *secondary ? xasprintf("%s/%s", status, secondary) : xstrdup(status);
}

/* ---------------------------------------------------------------- one job's sync */

struct sync {
	char *name;
	int64_t job_id;
	int final;
	char **metrics;
	size_t n_metrics;
	double start_s, end_s;
	int pages;
	char **streams;
	size_t n_streams, cur;
	cJSON *tokens; /* stream -> forward token, kept in logs.json */
	char *dir;
	int log_fd;
	char *describe_body; /* a final job's DescribeTrainingJob answer */
};

static void sync_free(void *p)
{
	struct sync *s = p;
	if (!s)
		return;
	free(s->name);
	for (size_t i = 0; i < s->n_metrics; i++)
		free(s->metrics[i]);
	free(s->metrics);
	for (size_t i = 0; i < s->n_streams; i++)
		free(s->streams[i]);
	free(s->streams);
	cJSON_Delete(s->tokens);
	free(s->dir);
	free(s->describe_body);
	if (s->log_fd >= 0)
		close(s->log_fd);
	free(s);
}

static struct sync *sync_new(const char *name)
{
	struct sync *s = xcalloc(1, sizeof *s);
	s->name = xstrdup(name);
	s->log_fd = -1;
	return s;
}

static int on_describe(struct aws_op *op, void *arg, const struct awscall_reply *r);

static void queue_sync(struct aws_op *op, const char *name, int front)
{
	struct sync *s = sync_new(name);
	op->synced++;
	aws_op_push(op, front, AWS_SAGEMAKER, "DescribeTrainingJob", awsjob_name_request("TrainingJobName", name),
		    on_describe, s, sync_free);
}

/* The metric points of one job, newer than the last kept of each metric. */
struct point_sink {
	struct aws_op *op;
	int64_t job_id;
	int failed;
};

static void on_point(void *ud, const struct awsjob_point *p)
{
	struct point_sink *k = ud;
	struct db *db = k->op->src->base.db;
	char key[METRIC_NAME_MAX + 8];
	snprintf(key, sizeof key, "cw:%s", p->name);
	int64_t t = ms(p->time_s);
	if (t <= aws_mark_get(db, k->job_id, key))
		return;
	struct metric_point mp = { .name = p->name, .value = p->value, .time_s = p->time_s };
	if (jobreg_add_point(db, k->job_id, &mp, t, "cloudwatch", NULL) < 0)
		k->failed = 1;
	aws_mark_set(db, k->job_id, key, t);
}

static int on_metrics(struct aws_op *op, void *arg, const struct awscall_reply *r);

static void push_metrics(struct aws_op *op, struct sync *s, const char *token)
{
	aws_op_push(op, 1, AWS_CLOUDWATCH, "GetMetricData",
		    awsjob_metric_request(s->name, s->metrics, s->n_metrics, s->start_s, s->end_s, token), on_metrics, s,
		    NULL);
}

static int on_metrics(struct aws_op *op, void *arg, const struct awscall_reply *r)
{
	struct sync *s = arg;
	if (!r->ok) {
		aws_op_fail(op, "CloudWatch GetMetricData", r);
		return aws_reply_throttled(r) ? -1 : 0; /* a job without metrics access still shows */
	}
	struct point_sink k = { op, s->job_id, 0 };
	char *next = NULL;
	struct err e = ERR_INIT;
	struct db *db = op->src->base.db;
	jobreg_begin(db, NULL);
	int rc = awsjob_parse_metric_data(r->body, r->len, s->metrics, s->n_metrics, on_point, &k, &next, &e);
	jobreg_commit(db, NULL);
	if (rc < 0) {
		snprintf(op->why, sizeof op->why, "CloudWatch GetMetricData for %s: %s", s->name, e.msg);
		free(next);
		return -1;
	}
	if (next && ++s->pages < PAGES_MAX)
		push_metrics(op, s, next);
	free(next);
	return 0;
}

static char *tokens_path(const struct sync *s)
{
	return path_join(s->dir, "logs.json");
}

static void save_tokens(struct sync *s)
{
	char *path = tokens_path(s), *text = cJSON_PrintUnformatted(s->tokens);
	path_write_file(path, text, strlen(text), NULL);
	free(text);
	free(path);
}

static int on_events(struct aws_op *op, void *arg, const struct awscall_reply *r);

static void push_events(struct aws_op *op, struct sync *s)
{
	const char *stream = s->streams[s->cur];
	const cJSON *tok = cJSON_GetObjectItemCaseSensitive(s->tokens, stream);
	aws_op_push(op, 1, AWS_LOGS, "GetLogEvents",
		    awsjob_events_request(stream, cJSON_IsString(tok) ? tok->valuestring : NULL), on_events, s, NULL);
}

struct log_sink {
	struct buf out;
	const char *host;
};

static void on_event(void *ud, int64_t time_ms, const char *message)
{
	(void)time_ms;
	struct log_sink *k = ud;
	if (k->host)
		buf_printf(&k->out, "[%s] ", k->host);
	buf_puts(&k->out, message);
	if (!k->out.len || k->out.data[k->out.len - 1] != '\n')
		buf_putc(&k->out, '\n');
}

static int on_events(struct aws_op *op, void *arg, const struct awscall_reply *r)
{
	struct sync *s = arg;
	const char *stream = s->streams[s->cur];
	if (!r->ok) {
		aws_op_fail(op, "CloudWatch Logs GetLogEvents", r);
		return aws_reply_throttled(r) ? -1 : 0;
	}
	char *host = s->n_streams > 1 ? awsjob_stream_host(stream) : NULL;
	struct log_sink k = { BUF_INIT, host };
	char *forward = NULL;
	struct err e = ERR_INIT;
	int rc = awsjob_parse_events(r->body, r->len, on_event, &k, &forward, &e);
	free(host);
	if (rc < 0) {
		buf_free(&k.out);
		snprintf(op->why, sizeof op->why, "CloudWatch Logs GetLogEvents for %s: %s", stream, e.msg);
		return -1;
	}
	if (k.out.len && s->log_fd >= 0 && write(s->log_fd, k.out.data, k.out.len) != (ssize_t)k.out.len) {
		buf_free(&k.out);
		free(forward);
		snprintf(op->why, sizeof op->why, "cannot write the log of sagemaker:%s", s->name);
		return -1;
	}
	buf_free(&k.out);
	const cJSON *old = cJSON_GetObjectItemCaseSensitive(s->tokens, stream);
	int at_end = cJSON_IsString(old) && strcmp(old->valuestring, forward) == 0;
	if (old)
		cJSON_ReplaceItemInObjectCaseSensitive(s->tokens, stream, cJSON_CreateString(forward));
	else
		cJSON_AddStringToObject(s->tokens, stream, forward);
	free(forward);
	save_tokens(s);
	if (!at_end && ++s->pages < LOG_PAGES_PER_REFRESH) {
		push_events(op, s);
	} else if (s->cur + 1 < s->n_streams) {
		s->cur++;
		s->pages = 0;
		push_events(op, s);
	}
	return 0;
}

static void on_stream(void *ud, const char *stream)
{
	struct sync *s = ud;
	if (s->n_streams >= 256)
		return;
	s->streams = xreallocarray(s->streams, s->n_streams + 1, sizeof *s->streams);
	s->streams[s->n_streams++] = xstrdup(stream);
}

static int on_streams(struct aws_op *op, void *arg, const struct awscall_reply *r)
{
	struct sync *s = arg;
	if (!r->ok) {
		if (strcmp(r->code, "ResourceNotFoundException") == 0)
			return 0; /* no log group yet: the job has not logged anything */
		aws_op_fail(op, "CloudWatch Logs DescribeLogStreams", r);
		return aws_reply_throttled(r) ? -1 : 0;
	}
	char *next = NULL;
	struct err e = ERR_INIT;
	if (awsjob_parse_streams(r->body, r->len, on_stream, s, &next, &e) < 0) {
		snprintf(op->why, sizeof op->why, "CloudWatch Logs DescribeLogStreams for %s: %s", s->name, e.msg);
		return -1;
	}
	if (next && ++s->pages < PAGES_MAX) {
		char *body = awsjob_streams_request(s->name, next);
		aws_op_push(op, 1, AWS_LOGS, "DescribeLogStreams", body, on_streams, s, NULL);
	} else if (s->n_streams) {
		s->pages = 0;
		s->cur = 0;
		push_events(op, s);
	}
	free(next);
	return 0;
}

static void on_final_metric(void *ud, const struct awsjob_point *p);

/* After the job's curves and log: the final metrics CloudWatch had no curve
 * for become points, and a final job is marked as read to its end. */
static int on_synced(struct aws_op *op, void *arg, const struct awscall_reply *r)
{
	(void)r;
	struct sync *s = arg;
	if (!s->final)
		return 0;
	struct point_sink k = { op, s->job_id, 0 };
	struct awsjob_detail d;
	if (s->describe_body && awsjob_parse_training(s->describe_body, strlen(s->describe_body), &d, on_final_metric,
						      &k, NULL) == 0)
		awsjob_detail_free(&d);
	aws_mark_set(op->src->base.db, s->job_id, MARK_FINAL, 1);
	return 0;
}

static void reason_of(const struct awsjob_detail *d, enum job_status st, char **out)
{
	if (d->failure)
		set(out, d->failure);
	else if (st == JOB_TIMEOUT)
		set(out, d->secondary);
	else if (!job_status_final(st))
		set(out, d->status_message);
	else
		set(out, NULL);
}

static void on_final_metric(void *ud, const struct awsjob_point *p)
{
	struct point_sink *k = ud;
	struct db *db = k->op->src->base.db;
	char key[METRIC_NAME_MAX + 8];
	snprintf(key, sizeof key, "cw:%s", p->name);
	if (aws_mark_get(db, k->job_id, key))
		return; /* CloudWatch gave its curve */
	snprintf(key, sizeof key, "final:%s", p->name);
	if (aws_mark_get(db, k->job_id, key))
		return;
	struct metric_point mp = { .name = p->name, .value = p->value, .time_s = p->time_s };
	if (jobreg_add_point(db, k->job_id, &mp, ms(p->time_s), "final", NULL) < 0)
		k->failed = 1;
	aws_mark_set(db, k->job_id, key, 1);
}

static int on_describe(struct aws_op *op, void *arg, const struct awscall_reply *r)
{
	struct sync *s = arg;
	if (!r->ok) {
		aws_op_fail(op, "SageMaker DescribeTrainingJob", r);
		if (aws_reply_throttled(r))
			return -1;
		return 0; /* one job that cannot be described does not hide the others */
	}
	struct awsjob_detail d;
	struct err e = ERR_INIT;
	if (awsjob_parse_training(r->body, r->len, &d, NULL, NULL, &e) < 0) {
		snprintf(op->why, sizeof op->why, "SageMaker DescribeTrainingJob for %s: %s", s->name, e.msg);
		return -1;
	}
	if (strcmp(d.name, s->name) != 0) { /* the name becomes a directory: only the one asked for */
		snprintf(op->why, sizeof op->why, "SageMaker DescribeTrainingJob for %s answered about another job",
			 s->name);
		awsjob_detail_free(&d);
		return -1;
	}
	struct job fresh = { 0 }, *j = aws_op_find(op, d.name);
	if (!j) {
		fresh.source = xstrdup(SOURCE);
		fresh.ext_id = xstrdup(d.name);
		j = &fresh;
	}
	enum job_status was = j->status;
	int read = j->id && job_status_final(was) && aws_mark_get(op->src->base.db, j->id, MARK_FINAL);
	enum job_status st = awsjob_training_status(d.status, d.secondary);
	if (j->stop_requested && (st == JOB_RUNNING || st == JOB_STARTING || st == JOB_QUEUED))
		st = JOB_STOPPING;
	j->status = st;
	free(j->raw_state);
	j->raw_state = raw_state(d.status, d.secondary);
	set(&j->name, d.name);
	j->submit_ms = ms(d.created_s);
	j->start_ms = ms(d.start_s);
	j->end_ms = job_status_final(st) ? ms(d.end_s > 0 ? d.end_s : d.modified_s) : 0;
	reason_of(&d, st, &j->reason);
	set(&j->info, d.info);
	set(&j->rules, d.rules);
	if (d.tuning_parent) {
		char *pref = xasprintf(TUNING_PREFIX "%s", d.tuning_parent);
		struct job *parent = aws_op_find(op, pref);
		if (parent)
			j->parent_id = parent->id;
		free(pref);
	}
	if (!j->dir) {
		struct err de = ERR_INIT;
		j->dir = aws_job_dir(SOURCE, d.name, &de);
		if (j->dir)
			j->log_path = path_join(j->dir, "output.log");
	}
	struct job *row = aws_op_save(op, j);
	if (!row) {
		awsjob_detail_free(&d);
		return -1;
	}
	s->job_id = row->id;
	s->final = job_status_final(st);
	s->dir = row->dir ? xstrdup(row->dir) : NULL;
	s->metrics = d.metrics;
	s->n_metrics = d.n_metrics;
	d.metrics = NULL;
	d.n_metrics = 0;
	double now = (double)clock_wall_ms() / 1000.0;
	s->start_s = (d.start_s > 0 ? d.start_s : d.created_s > 0 ? d.created_s : now) - 60;
	s->end_s = s->final && d.end_s > 0 ? d.end_s + 600 : now + 60;
	if (s->final)
		s->describe_body = xstrndup(r->body, r->len);
	awsjob_detail_free(&d);
	if (read && st == was)
		return 0; /* ended, its curves and log read to their end before */

	/* the job's calls run before the next job's: pushed to the front, last first */
	aws_op_push(op, 1, AWS_LOCAL, "synced", NULL, on_synced, s, sync_free);
	if (s->dir) {
		char *lp = path_join(s->dir, "output.log");
		s->log_fd = open(lp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		free(lp);
		char *tp = tokens_path(s);
		size_t len = 0;
		char *text = path_exists(tp) ? path_read_file(tp, &len, NULL) : NULL;
		s->tokens = text ? cJSON_ParseWithLength(text, len) : NULL;
		if (!cJSON_IsObject(s->tokens)) {
			cJSON_Delete(s->tokens);
			s->tokens = cJSON_CreateObject();
		}
		free(text);
		free(tp);
		aws_op_push(op, 1, AWS_LOGS, "DescribeLogStreams", awsjob_streams_request(s->name, NULL), on_streams, s,
			    NULL);
	}
	if (s->n_metrics)
		push_metrics(op, s, NULL);
	return AWS_STEP_TAKEN; /* s now belongs to the "synced" step */
}

/* ---------------------------------------------------------------- lists */

static int needs_sync(struct aws_op *op, const struct job *j, int is_new)
{
	if (is_new || !job_status_final(j->status))
		return 1;
	if (aws_mark_get(op->src->base.db, j->id, MARK_FINAL))
		return 0;
	return op->synced < FINAL_SYNCS_PER_REFRESH;
}

struct list_page {
	struct aws_op *op;
	int failed;
	int children_of; /* a tuning job's children: parent row id */
};

static void on_training_summary(void *ud, const struct awsjob_summary *sm)
{
	struct list_page *lp = ud;
	struct aws_op *op = lp->op;
	if (lp->failed || !awsjob_name_valid(sm->name))
		return;
	struct job fresh = { 0 }, *j = aws_op_find(op, sm->name);
	int is_new = !j;
	if (is_new) {
		fresh.source = xstrdup(SOURCE);
		fresh.ext_id = xstrdup(sm->name);
		fresh.name = xstrdup(sm->name);
		j = &fresh;
	}
	enum job_status before = j->status;
	size_t sn = strlen(sm->status);
	int same_word = j->raw_state && strncmp(j->raw_state, sm->status, sn) == 0 &&
			(!j->raw_state[sn] || j->raw_state[sn] == '/');
	/* a tuning job's list has no secondary status: the one described stays */
	if (is_new || sm->secondary || !same_word) {
		enum job_status st = awsjob_training_status(sm->status, sm->secondary);
		if (j->stop_requested && (st == JOB_RUNNING || st == JOB_STARTING || st == JOB_QUEUED))
			st = JOB_STOPPING;
		j->status = st;
		free(j->raw_state);
		j->raw_state = raw_state(sm->status, sm->secondary);
	}
	int changed = is_new || before != j->status;
	j->submit_ms = ms(sm->created_s);
	if (sm->start_s > 0)
		j->start_ms = ms(sm->start_s);
	if (job_status_final(j->status) && sm->end_s > 0)
		j->end_ms = ms(sm->end_s);
	if (lp->children_of)
		j->parent_id = lp->children_of;
	if (sm->failure && j->status == JOB_FAILED)
		set(&j->reason, sm->failure);
	struct job *row = aws_op_save(op, j);
	if (!row) {
		lp->failed = 1;
		return;
	}
	if (op->alone)
		return; /* a tuning job described: its children are listed, not described */
	op->active += !job_status_final(row->status);
	if (changed || needs_sync(op, row, is_new))
		queue_sync(op, sm->name, 0);
}

static int on_training_list(struct aws_op *op, void *arg, const struct awscall_reply *r);

static void push_training_list(struct aws_op *op, int front, const char *token)
{
	struct sm_source *s = (struct sm_source *)op->src;
	double after = s->days > 0 ? (double)clock_wall_ms() / 1000.0 - s->days * 86400.0 : 0;
	aws_op_push(op, front, AWS_SAGEMAKER, "ListTrainingJobs",
		    awsjob_list_request(s->name_contains, s->status, after, 100, token), on_training_list, NULL, NULL);
}

static int on_training_list(struct aws_op *op, void *arg, const struct awscall_reply *r)
{
	(void)arg;
	if (!r->ok) {
		aws_op_fail(op, "SageMaker ListTrainingJobs", r);
		return -1;
	}
	struct list_page lp = { op, 0, 0 };
	char *next = NULL;
	struct err e = ERR_INIT;
	struct db *db = op->src->base.db;
	jobreg_begin(db, NULL);
	int rc = awsjob_parse_list(AWSJOB_TRAINING_JOBS, r->body, r->len, on_training_summary, &lp, &next, &e);
	jobreg_commit(db, NULL);
	if (rc < 0 || lp.failed) {
		if (rc < 0)
			snprintf(op->why, sizeof op->why, "SageMaker ListTrainingJobs: %s", e.msg);
		free(next);
		return -1;
	}
	if (next && ++op->pages < PAGES_MAX)
		push_training_list(op, 1, next);
	free(next);
	return 0;
}

/* ---------------------------------------------------------------- tuning jobs */

static int on_tuning_children(struct aws_op *op, void *arg, const struct awscall_reply *r);

static void push_children(struct aws_op *op, const char *name, const char *token)
{
	aws_op_push(op, 1, AWS_SAGEMAKER, "ListTrainingJobsForHyperParameterTuningJob",
		    awsjob_tuning_children_request(name, token), on_tuning_children, xstrdup(name), free);
}

static int on_tuning_children(struct aws_op *op, void *arg, const struct awscall_reply *r)
{
	const char *name = arg;
	if (!r->ok) {
		aws_op_fail(op, "SageMaker ListTrainingJobsForHyperParameterTuningJob", r);
		return aws_reply_throttled(r) ? -1 : 0;
	}
	char *pref = xasprintf(TUNING_PREFIX "%s", name);
	struct job *parent = aws_op_find(op, pref);
	free(pref);
	struct list_page lp = { op, 0, parent ? parent->id : 0 };
	char *next = NULL;
	struct err e = ERR_INIT;
	if (awsjob_parse_list(AWSJOB_TRAINING_JOBS, r->body, r->len, on_training_summary, &lp, &next, &e) < 0) {
		snprintf(op->why, sizeof op->why, "SageMaker ListTrainingJobsForHyperParameterTuningJob: %s", e.msg);
		return -1;
	}
	if (next && ++op->pages < PAGES_MAX)
		push_children(op, name, next);
	free(next);
	return lp.failed ? -1 : 0;
}

static int on_tuning_describe(struct aws_op *op, void *arg, const struct awscall_reply *r)
{
	const char *name = arg;
	if (!r->ok) {
		aws_op_fail(op, "SageMaker DescribeHyperParameterTuningJob", r);
		return aws_reply_throttled(r) ? -1 : 0;
	}
	struct awsjob_detail d;
	struct err e = ERR_INIT;
	if (awsjob_parse_tuning(r->body, r->len, &d, &e) < 0) {
		snprintf(op->why, sizeof op->why, "SageMaker DescribeHyperParameterTuningJob for %s: %s", name, e.msg);
		return -1;
	}
	char *pref = xasprintf(TUNING_PREFIX "%s", name);
	struct job fresh = { 0 }, *j = aws_op_find(op, pref);
	if (!j && (!d.name || strcmp(d.name, name) != 0)) {
		free(pref);
		awsjob_detail_free(&d);
		return 0;
	}
	if (!j) { /* described before it was listed */
		fresh.source = xstrdup(SOURCE);
		fresh.ext_id = pref;
		fresh.name = xstrdup(name);
		j = &fresh;
	} else {
		free(pref);
	}
	enum job_status st = awsjob_tuning_status(d.status);
	if (j->stop_requested && st == JOB_RUNNING)
		st = JOB_STOPPING;
	j->status = st;
	set(&j->raw_state, d.status);
	j->submit_ms = ms(d.created_s);
	j->start_ms = ms(d.created_s);
	j->end_ms = job_status_final(st) ? ms(d.end_s > 0 ? d.end_s : d.modified_s) : 0;
	set(&j->reason, d.failure);
	set(&j->info, d.info);
	if (!(j = aws_op_save(op, j))) {
		awsjob_detail_free(&d);
		return -1;
	}
	struct db *db = op->src->base.db;
	if (d.has_best) {
		char key[128];
		snprintf(key, sizeof key, "best:%s", d.best);
		if (!aws_mark_get(db, j->id, key)) {
			double t = (double)clock_wall_ms() / 1000.0;
			struct metric_point mp = { .name = d.best_metric, .value = d.best_value, .time_s = t };
			jobreg_add_point(db, j->id, &mp, ms(t), "best", NULL);
			aws_mark_set(db, j->id, key, 1);
		}
	}
	if (job_status_final(st))
		aws_mark_set(db, j->id, MARK_FINAL, 1);
	awsjob_detail_free(&d);
	return 0;
}

static void queue_tuning_sync(struct aws_op *op, const char *name, int front)
{
	op->synced++;
	/* front: the children's list runs right after the description */
	if (front)
		push_children(op, name, NULL);
	aws_op_push(op, front, AWS_SAGEMAKER, "DescribeHyperParameterTuningJob",
		    awsjob_name_request("HyperParameterTuningJobName", name), on_tuning_describe, xstrdup(name), free);
	if (!front)
		aws_op_push(op, 0, AWS_SAGEMAKER, "ListTrainingJobsForHyperParameterTuningJob",
			    awsjob_tuning_children_request(name, NULL), on_tuning_children, xstrdup(name), free);
}

static void on_tuning_summary(void *ud, const struct awsjob_summary *sm)
{
	struct list_page *lp = ud;
	struct aws_op *op = lp->op;
	if (lp->failed || !awsjob_name_valid(sm->name))
		return;
	char *ext = xasprintf(TUNING_PREFIX "%s", sm->name);
	struct job fresh = { 0 }, *j = aws_op_find(op, ext);
	int is_new = !j;
	if (is_new) {
		fresh.source = xstrdup(SOURCE);
		fresh.ext_id = xstrdup(ext);
		fresh.name = xstrdup(sm->name);
		j = &fresh;
	}
	free(ext);
	enum job_status st = awsjob_tuning_status(sm->status);
	if (j->stop_requested && st == JOB_RUNNING)
		st = JOB_STOPPING;
	j->status = st;
	set(&j->raw_state, sm->status);
	j->submit_ms = ms(sm->created_s);
	j->start_ms = ms(sm->created_s);
	j->end_ms = job_status_final(st) ? ms(sm->end_s > 0 ? sm->end_s : sm->modified_s) : 0;
	struct job *row = aws_op_save(op, j);
	if (!row) {
		lp->failed = 1;
		return;
	}
	op->active += !job_status_final(row->status);
	if (needs_sync(op, row, is_new))
		queue_tuning_sync(op, sm->name, 0);
}

static int on_tuning_list(struct aws_op *op, void *arg, const struct awscall_reply *r);

static void push_tuning_list(struct aws_op *op, int front, const char *token)
{
	struct sm_source *s = (struct sm_source *)op->src;
	double after = s->days > 0 ? (double)clock_wall_ms() / 1000.0 - s->days * 86400.0 : 0;
	aws_op_push(op, front, AWS_SAGEMAKER, "ListHyperParameterTuningJobs",
		    awsjob_list_request(s->name_contains, NULL, after, 100, token), on_tuning_list, NULL, NULL);
}

static int on_tuning_list(struct aws_op *op, void *arg, const struct awscall_reply *r)
{
	(void)arg;
	if (!r->ok) {
		aws_op_fail(op, "SageMaker ListHyperParameterTuningJobs", r);
		return -1;
	}
	struct list_page lp = { op, 0, 0 };
	char *next = NULL;
	struct err e = ERR_INIT;
	if (awsjob_parse_list(AWSJOB_TUNING_JOBS, r->body, r->len, on_tuning_summary, &lp, &next, &e) < 0) {
		snprintf(op->why, sizeof op->why, "SageMaker ListHyperParameterTuningJobs: %s", e.msg);
		free(next);
		return -1;
	}
	if (next && ++op->pages < PAGES_MAX)
		push_tuning_list(op, 1, next);
	free(next);
	return lp.failed ? -1 : 0;
}

/* ---------------------------------------------------------------- ops */

static void sm_list(struct job_source *src, job_done_fn done, void *ud)
{
	struct aws_source *a = (struct aws_source *)src;
	if (aws_listed_lately(a)) {
		done(ud, 1, NULL);
		return;
	}
	struct aws_op *op = aws_op_new(a, done, ud);
	/* tuning jobs first, so their training jobs find their parent row */
	push_tuning_list(op, 0, NULL);
	push_training_list(op, 0, NULL);
	aws_op_run(op);
}

static void sm_describe(struct job_source *src, struct job *j, job_done_fn done, void *ud)
{
	if (aws_described_lately((struct aws_source *)src, j->ext_id)) {
		done(ud, 1, NULL);
		return;
	}
	struct aws_op *op = aws_op_new((struct aws_source *)src, done, ud);
	op->alone = 1;
	if (strncmp(j->ext_id, TUNING_PREFIX, strlen(TUNING_PREFIX)) == 0)
		queue_tuning_sync(op, j->ext_id + strlen(TUNING_PREFIX), 0);
	else
		queue_sync(op, j->ext_id, 0);
	op->active = src->active;
	aws_op_run(op);
}

static int64_t sm_logs(struct job_source *src, const struct job *j, int64_t offset, struct buf *out, struct err *e)
{
	(void)src;
	if (!j->log_path)
		return offset;
	if (!path_exists(j->log_path))
		return offset;
	return local_log_read(j, offset, out, e);
}

static void sm_stop(struct job_source *src, struct job *j, job_done_fn done, void *ud)
{
	struct aws_source *a = (struct aws_source *)src;
	if (strncmp(j->ext_id, TUNING_PREFIX, strlen(TUNING_PREFIX)) == 0)
		aws_source_stop(a, j, AWS_SAGEMAKER, "StopHyperParameterTuningJob",
				awsjob_name_request("HyperParameterTuningJobName", j->ext_id + strlen(TUNING_PREFIX)),
				"SageMaker stop", done, ud);
	else
		aws_source_stop(a, j, AWS_SAGEMAKER, "StopTrainingJob", awsjob_name_request("TrainingJobName", j->ext_id),
				"SageMaker stop", done, ud);
}

static void sm_free(struct job_source *src)
{
	struct sm_source *s = (struct sm_source *)src;
	aws_source_free(&s->aws);
	free(s->name_contains);
	free(s->status);
	free(s);
}

static const struct job_source_ops sagemaker_ops = {
	.name = SOURCE,
	.list = sm_list,
	.describe = sm_describe,
	.describe_alone = 1,
	.logs = sm_logs,
	.stop = sm_stop,
	.free = sm_free,
};

struct job_source *sagemaker_source_new(struct db *db, struct loop *loop)
{
	struct sm_source *s = xcalloc(1, sizeof *s);
	static const char *const services[] = { "sagemaker", "monitoring", "logs" };
	aws_source_init(&s->aws, &sagemaker_ops, db, loop, services, 3);
	s->aws.min_interval_ms = atoll(env_or("AIWB_SAGEMAKER_INTERVAL_MS", "10000"));
	s->name_contains = getenv("AIWB_SAGEMAKER_NAME") ? xstrdup(getenv("AIWB_SAGEMAKER_NAME")) : NULL;
	s->status = getenv("AIWB_SAGEMAKER_STATUS") ? xstrdup(getenv("AIWB_SAGEMAKER_STATUS")) : NULL;
	s->days = atoi(env_or("AIWB_SAGEMAKER_DAYS", "30"));
	return &s->aws.base;
}

/* ---------------------------------------------------------------- resubmit */

struct copy_arg {
	char **request, **new_name;
	char *name;
};

static void copy_arg_free(void *p)
{
	struct copy_arg *c = p;
	free(c->name);
	free(c);
}

static int on_copy_describe(struct aws_op *op, void *arg, const struct awscall_reply *r)
{
	struct copy_arg *c = arg;
	if (!r->ok) {
		aws_op_fail(op, "SageMaker DescribeTrainingJob", r);
		return -1;
	}
	char stamp[32];
	snprintf(stamp, sizeof stamp, "-copy-%lld", (long long)(clock_wall_ms() / 1000));
	size_t keep = strlen(c->name);
	if (keep + strlen(stamp) > AWSJOB_NAME_MAX)
		keep = AWSJOB_NAME_MAX - strlen(stamp);
	while (keep && c->name[keep - 1] == '-')
		keep--;
	char *name = xasprintf("%.*s%s", (int)keep, c->name, stamp);
	struct err e = ERR_INIT;
	char *rq = awsjob_copy_request(r->body, r->len, name, &e);
	if (!rq) {
		free(name);
		snprintf(op->why, sizeof op->why, "sagemaker:%s cannot be copied: %s", c->name, e.msg);
		return -1;
	}
	*c->request = rq;
	*c->new_name = name;
	return 0;
}

void sagemaker_copy_prepare(struct job_source *src, const struct job *j, char **request, char **new_name,
			    job_done_fn done, void *ud)
{
	*request = *new_name = NULL;
	if (strncmp(j->ext_id, TUNING_PREFIX, strlen(TUNING_PREFIX)) == 0) {
		done(ud, 0, "a tuning job cannot be resubmitted here; resubmit one of its training jobs");
		return;
	}
	struct aws_op *op = aws_op_new((struct aws_source *)src, done, ud);
	struct copy_arg *c = xcalloc(1, sizeof *c);
	c->request = request;
	c->new_name = new_name;
	c->name = xstrdup(j->ext_id);
	aws_op_push(op, 0, AWS_SAGEMAKER, "DescribeTrainingJob", awsjob_name_request("TrainingJobName", j->ext_id),
		    on_copy_describe, c, copy_arg_free);
	op->active = src->active;
	aws_op_run(op);
}

static int on_created(struct aws_op *op, void *arg, const struct awscall_reply *r)
{
	(void)arg;
	if (!r->ok) {
		aws_op_fail(op, "SageMaker CreateTrainingJob", r);
		return -1;
	}
	((struct aws_source *)op->src)->last_list_ms = 0; /* the next refresh lists the copy */
	return 0;
}

void sagemaker_copy_send(struct job_source *src, const char *request, job_done_fn done, void *ud)
{
	struct aws_op *op = aws_op_new((struct aws_source *)src, done, ud);
	aws_op_push(op, 0, AWS_SAGEMAKER, "CreateTrainingJob", xstrdup(request), on_created, NULL, NULL);
	op->active = src->active;
	aws_op_run(op);
}
