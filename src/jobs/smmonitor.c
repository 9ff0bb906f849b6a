#include "jobs/smmonitor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/xmalloc.h"
#include "drift/monitor.h"
#include "drift/remote.h"
#include "jobs/registry.h"
#include "net/awsauth.h"
#include "net/awscall.h"
#include "net/retry.h"
#include "net/s3.h"

#define DEFAULT_TIMEOUT_MS 60000
#define PAGE 100

/* ---------------------------------------------------------------- mapping */

static const struct {
	const char *word;
	enum job_status status;
} schedule_states[] = {
	{ "Pending", JOB_QUEUED }, { "Scheduled", JOB_RUNNING }, { "Stopped", JOB_STOPPED }, { "Failed", JOB_FAILED },
}, execution_states[] = {
	{ "Pending", JOB_QUEUED },    { "InProgress", JOB_RUNNING },          { "Completed", JOB_COMPLETED },
	{ "CompletedWithViolations", JOB_COMPLETED }, { "Failed", JOB_FAILED }, { "Stopping", JOB_STOPPING },
	{ "Stopped", JOB_STOPPED },
};

enum job_status smmonitor_schedule_status(const char *s)
{
	for (size_t i = 0; s && i < sizeof schedule_states / sizeof *schedule_states; i++)
		if (strcmp(s, schedule_states[i].word) == 0)
			return schedule_states[i].status;
	return JOB_UNKNOWN;
}

enum job_status smmonitor_execution_status(const char *s)
{
	for (size_t i = 0; s && i < sizeof execution_states / sizeof *execution_states; i++)
		if (strcmp(s, execution_states[i].word) == 0)
			return execution_states[i].status;
	return JOB_UNKNOWN;
}

char *smmonitor_execution_id(const char *schedule, double t)
{
	time_t secs = isfinite(t) && t > 0 && t < 253402300800.0 ? (time_t)t : 0;
	struct tm tm;
	gmtime_r(&secs, &tm);
	char when[32];
	strftime(when, sizeof when, "%Y%m%dT%H%M%SZ", &tm);
	return xasprintf("%s/%s", schedule, when);
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const cJSON *obj(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* Epoch seconds (JSON numbers, maybe fractional or in exponent form) to ms. */
static int64_t ms_of(const cJSON *o, const char *k)
{
	const cJSON *v = obj(o, k);
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble <= 0 || v->valuedouble > 253402300800.0)
		return 0;
	return (int64_t)llround(v->valuedouble * 1000.0);
}

static void set(char **dst, const char *v)
{
	free(*dst);
	*dst = v && *v ? xstrdup(v) : NULL;
}

/* ---------------------------------------------------------------- the source */

struct sm_req;

struct smm_source {
	struct job_source base;
	struct awsauth *auth;
	struct awsauth_creds creds;
	struct awsauth_endpoint ep;
	struct retry_quota quota;
	struct list_op *busy; /* the refresh under way */
	int64_t last_ok_ms;   /* monotonic time of the last refresh that succeeded */
	char *described;      /* the row described last, and when (monotonic) */
	int64_t described_ms;
};

/* ---- one SageMaker JSON 1.1 call through net/awscall.h (signed, retried in
 * AWS standard mode); the one place that speaks to SageMaker. */

typedef void (*sm_reply_fn)(void *ud, const cJSON *reply, const char *why);

struct sm_req {
	struct smm_source *s;
	char *op;
	struct awscall *call;
	sm_reply_fn done;
	void *ud;
};

static void sm_req_free(struct sm_req *q)
{
	if (!q)
		return;
	awscall_cancel(q->call);
	free(q->op);
	free(q);
}

static void sm_sentence(const struct sm_req *q, const struct awscall_reply *r, char *why, size_t size)
{
	char msg[600], name[128];
	awscall_service_message(r->body, r->len, msg, sizeof msg);
	if (strcmp(r->code, "AccessDeniedException") == 0) {
		snprintf(why, size, "access to SageMaker %s was denied (%s: %s); the credentials need sagemaker:%s", q->op,
			 r->code, msg, q->op);
	} else if (strcmp(r->code, "UnrecognizedClientException") == 0 ||
		   strcmp(r->code, "InvalidSignatureException") == 0) {
		snprintf(why, size, "SageMaker refused the credentials (%s: %s); check AWS_ACCESS_KEY_ID and "
				    "AWS_SECRET_ACCESS_KEY or the profile", r->code, msg);
	} else {
		snprintf(name, sizeof name, "SageMaker %s", q->op);
		awscall_sentence(r, name, why, size);
		return;
	}
	if (r->attempts > 1) {
		size_t n = strlen(why);
		snprintf(why + n, size - n, " (after %d attempts)", r->attempts);
	}
}

static void sm_done(void *ud, const struct awscall_reply *r)
{
	struct sm_req *q = ud;
	q->call = NULL; /* awscall frees itself after this */
	char why[1024] = "";
	cJSON *reply = NULL;
	if (r->ok) {
		reply = cJSON_ParseWithLength(r->body, r->len);
		if (!cJSON_IsObject(reply))
			snprintf(why, sizeof why, "the SageMaker %s answer is not JSON", q->op);
	} else {
		sm_sentence(q, r, why, sizeof why);
	}
	sm_reply_fn done = q->done;
	void *dud = q->ud;
	sm_req_free(q);
	done(dud, *why ? NULL : reply, *why ? why : NULL);
	cJSON_Delete(reply);
}

/* Starts op with body (taken); *out is the request (for cancelling), NULL
 * when it could not start (then done has run). */
static void sm_call(struct smm_source *s, const char *op, cJSON *body, sm_reply_fn done, void *ud, struct sm_req **out)
{
	struct sm_req *q = xcalloc(1, sizeof *q);
	q->s = s;
	q->op = xstrdup(op);
	q->done = done;
	q->ud = ud;
	char *text = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	char *target = xasprintf("SageMaker.%s", op), *what = xasprintf("SageMaker %s", op);
	struct awscall_request rq = {
		.ep = &s->ep, .creds = &s->creds, .target = target, .json_version = "1.1", .body = text,
		.body_len = strlen(text), .quota = &s->quota, .what = what,
	};
	struct err e = ERR_INIT;
	q->call = awscall_start(s->base.loop, &rq, sm_done, q, &e);
	free(text);
	free(target);
	free(what);
	*out = q->call ? q : NULL;
	if (!q->call) {
		sm_req_free(q);
		done(ud, NULL, err_msg(&e));
	}
}

/* ---- a refresh */

struct sched {
	char *name;
	cJSON *summary, *described;
	cJSON *executions; /* array of summaries */
};

struct list_op {
	struct smm_source *s;
	job_done_fn done;
	void *ud;
	struct sm_req *req;
	int64_t deadline_timer;
	struct sched *v;
	size_t n, cap;
	char *token;
	size_t at;          /* the schedule being read */
	int stage;          /* 0 list schedules, 1 describe, 2 executions, 3 processing jobs */
	cJSON *outputs;     /* processing job name -> output S3 URI */
	size_t x_at;        /* processing jobs: schedule index and execution index */
	int x_item, described_jobs;
	int alone;          /* a describe: the one schedule in v, nothing else touched */
	double when_s;      /* ... and of an execution, its ScheduledTime (0: every execution) */
};

static void op_free(struct list_op *op)
{
	for (size_t i = 0; i < op->n; i++) {
		free(op->v[i].name);
		cJSON_Delete(op->v[i].summary);
		cJSON_Delete(op->v[i].described);
		cJSON_Delete(op->v[i].executions);
	}
	free(op->v);
	free(op->token);
	cJSON_Delete(op->outputs);
	free(op);
}

static void op_end(struct list_op *op, int ok, const char *why)
{
	struct smm_source *s = op->s;
	if (op->req)
		sm_req_free(op->req);
	op->req = NULL;
	if (op->deadline_timer)
		loop_del_timer(s->base.loop, op->deadline_timer);
	s->busy = NULL;
	job_done_fn done = op->done;
	void *ud = op->ud;
	op_free(op);
	done(ud, ok, why);
}

static const char *processing_job_name(const char *arn)
{
	const char *slash = arn ? strrchr(arn, '/') : NULL;
	return slash ? slash + 1 : arn;
}

static char *describe_command(const cJSON *d, const cJSON *summary)
{
	const cJSON *cfg = obj(d, "MonitoringScheduleConfig"), *def = obj(cfg, "MonitoringJobDefinition");
	const char *type = str(d, "MonitoringType") ? str(d, "MonitoringType") : str(summary, "MonitoringType");
	const char *ep = str(d, "EndpointName") ? str(d, "EndpointName") : str(summary, "EndpointName");
	const char *cron = str(obj(cfg, "ScheduleConfig"), "ScheduleExpression");
	const char *stats = str(obj(obj(def, "BaselineConfig"), "StatisticsResource"), "S3Uri");
	const char *cons = str(obj(obj(def, "BaselineConfig"), "ConstraintsResource"), "S3Uri");
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s monitor", type ? type : "DataQuality");
	if (ep)
		buf_printf(&b, " of endpoint %s", ep);
	if (cron)
		buf_printf(&b, ", %s", cron);
	if (cons || stats)
		buf_printf(&b, ", baseline %s", cons ? cons : stats);
	return buf_detach(&b);
}

static const char *output_uri(const cJSON *d)
{
	const cJSON *outs = obj(obj(obj(obj(d, "MonitoringScheduleConfig"), "MonitoringJobDefinition"),
				    "MonitoringOutputConfig"),
				"MonitoringOutputs");
	const cJSON *first = cJSON_IsArray(outs) ? outs->child : NULL;
	return str(obj(first, "S3Output"), "S3Uri");
}

/* Writes one row, inserted or updated; its registry id, or -1. */
static int64_t save(struct db *db, struct job *j, int exists, int *active)
{
	*active += !job_status_final(j->status);
	if (!exists)
		return jobreg_insert(db, j, NULL);
	return jobreg_update(db, j, NULL) < 0 ? -1 : j->id;
}

/* The source's own facts about a row, as JSON text (job.info). */
static void set_info(struct job *j, cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	free(j->info);
	j->info = s;
}

static void info_str(cJSON *o, const char *k, const char *v)
{
	if (v && *v)
		cJSON_AddStringToObject(o, k, v);
}

static int find_row(struct db *db, const char *ext_id, struct job *j)
{
	char *ref = xasprintf(SMMONITOR_SOURCE ":%s", ext_id);
	int found = jobreg_find(db, ref, j, NULL) == 0 && strcmp(j->source, SMMONITOR_SOURCE) == 0 &&
		    strcmp(j->ext_id, ext_id) == 0;
	free(ref);
	if (!found) {
		job_clear(j);
		j->source = xstrdup(SMMONITOR_SOURCE);
		j->ext_id = xstrdup(ext_id);
	}
	return found;
}

static int store(struct list_op *op, int *active, struct err *e)
{
	struct db *db = op->s->base.db;
	for (size_t i = 0; i < op->n; i++) {
		struct sched *sc = &op->v[i];
		const cJSON *d = sc->described ? sc->described : sc->summary;
		struct job j = { 0 };
		int exists = find_row(db, sc->name, &j);
		const char *state = str(d, "MonitoringScheduleStatus");
		j.status = smmonitor_schedule_status(state);
		set(&j.raw_state, state);
		set(&j.name, sc->name);
		set(&j.reason, str(d, "FailureReason"));
		char *cmd = describe_command(d, sc->summary);
		set(&j.command, cmd);
		free(cmd);
		set(&j.dir, output_uri(d));
		j.submit_ms = j.start_ms = ms_of(d, "CreationTime");
		j.end_ms = job_status_final(j.status) ? ms_of(d, "LastModifiedTime") : 0;
		const cJSON *cfg = obj(d, "MonitoringScheduleConfig"), *def = obj(cfg, "MonitoringJobDefinition");
		cJSON *info = cJSON_CreateObject();
		info_str(info, "schedule_arn", str(d, "MonitoringScheduleArn") ? str(d, "MonitoringScheduleArn")
									   : str(sc->summary, "MonitoringScheduleArn"));
		info_str(info, "endpoint", str(d, "EndpointName"));
		info_str(info, "monitoring_type", str(d, "MonitoringType"));
		info_str(info, "schedule_expression", str(obj(cfg, "ScheduleConfig"), "ScheduleExpression"));
		info_str(info, "baseline_statistics", str(obj(obj(def, "BaselineConfig"), "StatisticsResource"), "S3Uri"));
		info_str(info, "baseline_constraints", str(obj(obj(def, "BaselineConfig"), "ConstraintsResource"), "S3Uri"));
		info_str(info, "output", output_uri(d));
		set_info(&j, info);
		int64_t parent = save(db, &j, exists, active);
		job_clear(&j);
		if (parent < 0)
			return err_set(e, "the Model Monitor schedule %s could not be saved", sc->name);
		int rc;
		const cJSON *x;
		cJSON_ArrayForEach(x, sc->executions)
		{
			const cJSON *st = obj(x, "ScheduledTime");
			char *id = smmonitor_execution_id(sc->name, cJSON_IsNumber(st) ? st->valuedouble : 0);
			exists = find_row(db, id, &j);
			const char *xs = str(x, "MonitoringExecutionStatus");
			j.status = smmonitor_execution_status(xs);
			set(&j.raw_state, xs);
			set(&j.name, id);
			const char *why = str(x, "FailureReason");
			set(&j.reason, why ? why
				       : xs && strcmp(xs, "CompletedWithViolations") == 0
					       ? "completed with constraint violations (aiwb jobs show lists them)"
					       : NULL);
			const char *arn = str(x, "ProcessingJobArn");
			set(&j.command, arn);
			const char *out = str(op->outputs, arn ? processing_job_name(arn) : "");
			if (out)
				set(&j.dir, out);
			j.submit_ms = ms_of(x, "ScheduledTime");
			j.start_ms = j.status == JOB_QUEUED ? 0 : ms_of(x, "CreationTime");
			j.end_ms = job_status_final(j.status) ? ms_of(x, "LastModifiedTime") : 0;
			j.parent_id = parent;
			info = cJSON_CreateObject();
			info_str(info, "processing_job_arn", arn);
			info_str(info, "output", j.dir);
			info_str(info, "monitoring_type", str(x, "MonitoringType"));
			info_str(info, "endpoint", str(x, "EndpointName"));
			set_info(&j, info);
			rc = save(db, &j, exists, active) < 0 ? -1 : 0;
			job_clear(&j);
			if (rc != 0) {
				rc = err_set(e, "the Model Monitor execution %s could not be saved", id);
				free(id);
				return rc;
			}
			free(id);
		}
	}
	return 0;
}

/* Schedules SageMaker no longer lists (deleted), and their executions that
 * had not ended: unknown, saying why. */
static int forget_vanished(struct list_op *op, struct err *e)
{
	struct db *db = op->s->base.db;
	struct job_list l;
	if (jobreg_list(db, SMMONITOR_SOURCE, -1, &l, e) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < l.n && rc == 0; i++) {
		struct job *j = &l.v[i];
		size_t n = strcspn(j->ext_id, "/");
		int seen = 0;
		for (size_t k = 0; k < op->n && !seen; k++)
			seen = strlen(op->v[k].name) == n && strncmp(op->v[k].name, j->ext_id, n) == 0;
		if (seen || j->status == JOB_UNKNOWN || (j->ext_id[n] && job_status_final(j->status)))
			continue;
		j->status = JOB_UNKNOWN;
		set(&j->reason, "SageMaker no longer lists this Model Monitor schedule");
		if (jobreg_update(db, j, e) < 0)
			rc = -1;
	}
	job_list_free(&l);
	return rc;
}

static void finish(struct list_op *op)
{
	struct err e = ERR_INIT;
	int active = 0, ok = 0;
	struct db *db = op->s->base.db;
	if (jobreg_begin(db, &e) == 0) {
		if (store(op, &active, &e) == 0 && (op->alone || forget_vanished(op, &e) == 0))
			ok = jobreg_commit(db, &e) == 0;
		else
			db_exec(db, "ROLLBACK", NULL);
	}
	if (ok && !op->alone) {
		op->s->base.active = active;
		op->s->last_ok_ms = clock_ms();
	}
	op_end(op, ok, ok ? NULL : err_msg(&e));
}

static void step(struct list_op *op);

static void on_reply(void *ud, const cJSON *reply, const char *why)
{
	struct list_op *op = ud;
	op->req = NULL;
	if (!reply) {
		op_end(op, 0, why);
		return;
	}
	free(op->token);
	op->token = str(reply, "NextToken") ? xstrdup(str(reply, "NextToken")) : NULL;
	const cJSON *it;
	switch (op->stage) {
	case 0:
		cJSON_ArrayForEach(it, obj(reply, "MonitoringScheduleSummaries"))
		{
			const char *name = str(it, "MonitoringScheduleName");
			if (!name || !*name)
				continue;
			op->v = xgrow(op->v, &op->cap, op->n + 1, sizeof *op->v);
			op->v[op->n++] = (struct sched){ xstrdup(name), cJSON_Duplicate(it, 1), NULL, cJSON_CreateArray() };
		}
		if (!op->token)
			op->stage = 1;
		break;
	case 1:
		op->v[op->at].described = cJSON_Duplicate(reply, 1);
		op->stage = 2;
		break;
	case 2: {
		struct sched *sc = &op->v[op->at];
		cJSON_ArrayForEach(it, obj(reply, "MonitoringExecutionSummaries"))
			if (cJSON_GetArraySize(sc->executions) < SMMONITOR_EXECUTIONS)
				cJSON_AddItemToArray(sc->executions, cJSON_Duplicate(it, 1));
		if (!op->token || cJSON_GetArraySize(sc->executions) >= SMMONITOR_EXECUTIONS) {
			free(op->token);
			op->token = NULL;
			op->at++;
			op->stage = op->at < op->n ? 1 : 3;
		}
		break;
	}
	case 3: {
		const cJSON *outs = obj(obj(reply, "ProcessingOutputConfig"), "Outputs");
		const cJSON *first = cJSON_IsArray(outs) ? outs->child : NULL;
		const char *uri = str(obj(first, "S3Output"), "S3Uri"), *name = str(reply, "ProcessingJobName");
		if (uri && name && !obj(op->outputs, name))
			cJSON_AddStringToObject(op->outputs, name, uri);
		break;
	}
	}
	step(op);
}

/* The next execution whose processing job's output is not known yet. */
static const char *next_unknown_output(struct list_op *op)
{
	struct db *db = op->s->base.db;
	for (; op->x_at < op->n; op->x_at++, op->x_item = 0) {
		struct sched *sc = &op->v[op->x_at];
		for (int n = cJSON_GetArraySize(sc->executions); op->x_item < n;) {
			const cJSON *x = cJSON_GetArrayItem(sc->executions, op->x_item++);
			const char *arn = str(x, "ProcessingJobArn");
			if (!arn || obj(op->outputs, processing_job_name(arn)))
				continue;
			const cJSON *st = obj(x, "ScheduledTime");
			char *id = smmonitor_execution_id(sc->name, cJSON_IsNumber(st) ? st->valuedouble : 0);
			struct job j = { 0 };
			int known = find_row(db, id, &j) && j.dir;
			job_clear(&j);
			free(id);
			if (!known)
				return processing_job_name(arn);
		}
	}
	return NULL;
}

static void step(struct list_op *op)
{
	cJSON *body = cJSON_CreateObject();
	const char *opname;
	switch (op->stage) {
	case 0:
		opname = "ListMonitoringSchedules";
		cJSON_AddNumberToObject(body, "MaxResults", PAGE);
		break;
	case 1:
		if (op->at >= op->n) {
			op->stage = 3;
			cJSON_Delete(body);
			step(op);
			return;
		}
		opname = "DescribeMonitoringSchedule";
		cJSON_AddStringToObject(body, "MonitoringScheduleName", op->v[op->at].name);
		break;
	case 2:
		opname = "ListMonitoringExecutions";
		cJSON_AddStringToObject(body, "MonitoringScheduleName", op->v[op->at].name);
		cJSON_AddStringToObject(body, "SortBy", "ScheduledTime");
		cJSON_AddStringToObject(body, "SortOrder", "Descending");
		cJSON_AddNumberToObject(body, "MaxResults", PAGE);
		if (op->when_s > 0) {
			cJSON_AddNumberToObject(body, "ScheduledTimeAfter", op->when_s - 1);
			cJSON_AddNumberToObject(body, "ScheduledTimeBefore", op->when_s + 1);
		}
		break;
	default: {
		const char *name = op->described_jobs < SMMONITOR_DESCRIBES ? next_unknown_output(op) : NULL;
		if (!name) {
			cJSON_Delete(body);
			finish(op);
			return;
		}
		op->described_jobs++;
		opname = "DescribeProcessingJob";
		cJSON_AddStringToObject(body, "ProcessingJobName", name);
		break;
	}
	}
	if (op->token && op->stage != 3)
		cJSON_AddStringToObject(body, "NextToken", op->token);
	sm_call(op->s, opname, body, on_reply, op, &op->req);
}

static int64_t on_deadline(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct list_op *op = ud;
	op->deadline_timer = 0;
	op_end(op, 0, "SageMaker did not answer in time");
	return LOOP_TIMER_DONE;
}

static struct list_op *op_start(struct job_source *src, job_done_fn done, void *ud)
{
	struct smm_source *s = (struct smm_source *)src;
	if (s->busy) {
		done(ud, 0, "a refresh of the Model Monitor jobs is already under way");
		return NULL;
	}
	struct list_op *op = xcalloc(1, sizeof *op);
	op->s = s;
	op->done = done;
	op->ud = ud;
	op->outputs = cJSON_CreateObject();
	s->busy = op;
	op->deadline_timer = loop_add_timer(src->loop, src->timeout_ms > 0 ? src->timeout_ms : DEFAULT_TIMEOUT_MS,
					    on_deadline, op);
	return op;
}

static void smm_list(struct job_source *src, job_done_fn done, void *ud)
{
	struct smm_source *s = (struct smm_source *)src;
	if ((s->busy && s->busy->alone) ||
	    (!s->busy && s->last_ok_ms && clock_ms() - s->last_ok_ms < SMMONITOR_MIN_INTERVAL_MS)) {
		done(ud, 1, NULL); /* fresh enough, or one row being described: asked again at the next poll */
		return;
	}
	struct list_op *op = op_start(src, done, ud);
	if (op)
		step(op);
}

/* The ScheduledTime of an execution's id SCHEDULE/YYYYMMDDTHHMMSSZ; 0 when it is not one. */
static double execution_time(const char *when)
{
	struct tm tm = { 0 };
	char z = 0;
	if (strlen(when) != 16 || sscanf(when, "%4d%2d%2dT%2d%2d%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
					 &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 || z != 'Z')
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (double)timegm(&tm);
}

/* One schedule (DescribeMonitoringSchedule, its executions) or one execution
 * (its schedule described, ListMonitoringExecutions around its ScheduledTime),
 * then DescribeProcessingJob where the output is not known; no other row. */
static void smm_describe(struct job_source *src, struct job *j, job_done_fn done, void *ud)
{
	struct smm_source *s = (struct smm_source *)src;
	int64_t now = clock_ms();
	int lately = s->described && strcmp(s->described, j->ext_id) == 0 &&
		     now - s->described_ms < SMMONITOR_MIN_INTERVAL_MS;
	if (s->busy || lately || (s->last_ok_ms && now - s->last_ok_ms < SMMONITOR_MIN_INTERVAL_MS)) {
		done(ud, 1, NULL); /* a refresh under way or fresh enough: SageMaker is not asked more often */
		return;
	}
	free(s->described);
	s->described = xstrdup(j->ext_id);
	s->described_ms = now;
	struct list_op *op = op_start(src, done, ud);
	if (!op)
		return;
	const char *slash = strchr(j->ext_id, '/');
	op->alone = 1;
	op->when_s = slash ? execution_time(slash + 1) : 0;
	op->v = xgrow(op->v, &op->cap, 1, sizeof *op->v);
	op->v[op->n++] = (struct sched){ slash ? xstrndup(j->ext_id, (size_t)(slash - j->ext_id)) : xstrdup(j->ext_id),
					 NULL, NULL, cJSON_CreateArray() };
	op->stage = 1;
	step(op);
}

static int64_t smm_logs(struct job_source *src, const struct job *j, int64_t offset, struct buf *out, struct err *e)
{
	(void)src;
	(void)offset;
	(void)out;
	return err_set(e, "%s:%s has no log in aiwb: Model Monitor writes its logs to CloudWatch", SMMONITOR_SOURCE,
		       j->ext_id);
}

static void smm_stop(struct job_source *src, struct job *j, job_done_fn done, void *ud)
{
	(void)src;
	(void)j;
	done(ud, 0, "stopping Model Monitor schedules and executions is not available in this version (use the "
		    "SageMaker console or StopMonitoringSchedule)");
}

static void smm_free(struct job_source *src)
{
	struct smm_source *s = (struct smm_source *)src;
	if (s->busy) {
		struct list_op *op = s->busy;
		if (op->req)
			sm_req_free(op->req);
		if (op->deadline_timer)
			loop_del_timer(src->loop, op->deadline_timer);
		op_free(op);
	}
	awsauth_creds_free(&s->creds);
	awsauth_endpoint_free(&s->ep);
	awsauth_free(s->auth);
	free(src->why);
	free(s->described);
	free(s);
}

static const struct job_source_ops smm_ops = {
	.name = SMMONITOR_SOURCE,
	.list = smm_list,
	.describe = smm_describe,
	.describe_alone = 1,
	.logs = smm_logs,
	.stop = smm_stop,
	.free = smm_free,
};

int smmonitor_available(void)
{
	const char *flag = getenv("AIWB_SAGEMAKER_MONITOR");
	if (flag && strcmp(flag, "off") == 0)
		return 0;
	const char *ep = getenv("AWS_ENDPOINT_URL_SAGEMAKER");
	return (flag && strcmp(flag, "on") == 0) || (ep && *ep);
}

struct job_source *smmonitor_source_new(struct db *db, struct loop *loop, struct err *e)
{
	struct smm_source *s = xcalloc(1, sizeof *s);
	s->auth = awsauth_new(NULL);
	s->quota = (struct retry_quota)RETRY_QUOTA_INIT;
	s->base.ops = &smm_ops;
	s->base.db = db;
	s->base.loop = loop;
	if (awsauth_credentials(s->auth, "sagemaker", &s->creds, e) != 0 ||
	    awsauth_endpoint(s->auth, "sagemaker", NULL, &s->ep, e) != 0) {
		smm_free(&s->base);
		return NULL;
	}
	return &s->base;
}

/* Whether j is an execution whose output is known; -1 with e if not. */
static int execution_output(const struct job *j, struct err *e)
{
	if (!j->source || strcmp(j->source, SMMONITOR_SOURCE) != 0 || !j->ext_id || !strchr(j->ext_id, '/'))
		return err_set(e, "%s:%s is not a Model Monitor execution", j->source ? j->source : "?",
			       j->ext_id ? j->ext_id : "?");
	if (!j->dir || !*j->dir)
		return err_set(e, "the output of %s:%s is not known (yet): its processing job has not been described",
			       j->source, j->ext_id);
	return 0;
}

struct smm_violations {
	struct s3 *s3;
	struct s3_call *call;
	smm_violations_fn done;
	void *ud;
};

static void violations_read(void *ud, const char *data, size_t len, const struct err *e)
{
	struct smm_violations *v = ud;
	v->call = NULL;
	if (e && e->set) {
		v->done(v->ud, NULL, e->msg);
		return;
	}
	cJSON *doc = cJSON_ParseWithLength(data, len);
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		v->done(v->ud, NULL, "constraint_violations.json is not a JSON object");
		return;
	}
	struct buf t = BUF_INIT;
	monitor_violations_text(doc, &t);
	cJSON_Delete(doc);
	v->done(v->ud, buf_str(&t), NULL);
	buf_free(&t);
}

struct smm_violations *smmonitor_violations_start(const struct job *j, struct loop *l, smm_violations_fn done,
						  void *ud, struct err *e)
{
	char *bucket, *prefix;
	if (execution_output(j, e) != 0 || s3_uri_parse(j->dir, &bucket, &prefix, e) != 0)
		return NULL;
	struct smm_violations *v = xcalloc(1, sizeof *v);
	v->done = done;
	v->ud = ud;
	v->s3 = s3_new(NULL, NULL, e);
	char *key = drift_remote_key(prefix, "constraint_violations.json");
	if (v->s3)
		v->call = s3_get_start(v->s3, l, bucket, key, (size_t)16 << 20, violations_read, v);
	if (v->s3 && !v->call)
		err_set(e, "the read of s3://%s/%s could not start", bucket, key);
	free(key);
	free(bucket);
	free(prefix);
	if (!v->call) {
		smmonitor_violations_free(v);
		return NULL;
	}
	return v;
}

void smmonitor_violations_free(struct smm_violations *v)
{
	if (!v)
		return;
	s3_cancel(v->call);
	s3_free(v->s3);
	free(v);
}

cJSON *smmonitor_violations(const struct job *j, struct loop *l, struct err *e)
{
	if (execution_output(j, e) != 0)
		return NULL;
	struct drift_remote *r = drift_remote_open(l, e);
	if (!r)
		return NULL;
	cJSON *doc = drift_remote_read_json(r, j->dir, "constraint_violations.json", e);
	drift_remote_close(r);
	return doc;
}
