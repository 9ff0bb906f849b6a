#include "jobs/awssource.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "jobs/awsjob.h"
#include "jobs/registry.h"
#include "loop.h"

static const struct {
	const char *id;      /* awsauth's service id */
	const char *title;   /* in messages */
	const char *prefix;  /* X-Amz-Target prefix; NULL: REST-JSON */
	const char *version; /* JSON protocol version */
	int query_mode;
} services[AWS_SERVICES] = {
	[AWS_SAGEMAKER] = { "sagemaker", "SageMaker", "SageMaker", "1.1", 0 },
	[AWS_CLOUDWATCH] = { "monitoring", "CloudWatch", "GraniteServiceVersion20100801", "1.0", 1 },
	[AWS_LOGS] = { "logs", "CloudWatch Logs", "Logs_20140328", "1.1", 0 },
	[AWS_BEDROCK] = { "bedrock", "Bedrock", NULL, NULL, 0 },
};

struct aws_step {
	struct aws_step *next;
	enum aws_service svc;
	char *what, *body;
	aws_step_fn fn;
	void *arg;
	void (*free_arg)(void *);
};

/* ---------------------------------------------------------------- client */

static int client_open(struct aws_client *c, unsigned mask, struct err *e)
{
	c->auth = awsauth_new(NULL);
	c->quota = (struct retry_quota)RETRY_QUOTA_INIT;
	const char *first = NULL;
	for (int i = 0; i < AWS_SERVICES; i++)
		if (mask & (1u << i) && !first)
			first = services[i].id;
	struct awsauth_region r = { 0 };
	if (awsauth_region(c->auth, &r, e) != 0)
		return -1;
	int rc = awsauth_credentials(c->auth, first, &c->creds, e);
	for (int i = 0; i < AWS_SERVICES && rc == 0; i++)
		if (mask & (1u << i))
			rc = awsauth_endpoint(c->auth, services[i].id, r.name, &c->ep[i], e);
	awsauth_region_free(&r);
	return rc;
}

void aws_source_init(struct aws_source *s, const struct job_source_ops *ops, struct db *db, struct loop *loop,
		     const char *const *ids, size_t n)
{
	s->base.ops = ops;
	s->base.db = db;
	s->base.loop = loop;
	unsigned mask = 0;
	for (size_t k = 0; k < n; k++)
		for (int i = 0; i < AWS_SERVICES; i++)
			if (strcmp(ids[k], services[i].id) == 0)
				mask |= 1u << i;
	struct err e = ERR_INIT;
	if (client_open(&s->client, mask, &e) != 0)
		s->client.why = xstrdup(e.msg);
}

static void step_free(struct aws_step *st)
{
	if (!st)
		return;
	if (st->free_arg)
		st->free_arg(st->arg);
	free(st->what);
	free(st->body);
	free(st);
}

static void op_free(struct aws_op *op)
{
	awscall_cancel(op->call);
	if (op->timer)
		loop_del_timer(op->src->base.loop, op->timer);
	step_free(op->cur);
	while (op->head) {
		struct aws_step *st = op->head;
		op->head = st->next;
		step_free(st);
	}
	job_list_free(&op->jobs);
	if (op->free_priv)
		op->free_priv(op->priv);
	free(op);
}

static void untrack(struct aws_op *op)
{
	for (struct aws_op **p = &op->src->ops; *p; p = &(*p)->next_op)
		if (*p == op) {
			*p = op->next_op;
			return;
		}
}

void aws_source_free(struct aws_source *s)
{
	while (s->ops) {
		struct aws_op *op = s->ops;
		s->ops = op->next_op;
		op_free(op);
	}
	awsauth_creds_free(&s->client.creds);
	for (int i = 0; i < AWS_SERVICES; i++)
		if (s->client.ep[i].url)
			awsauth_endpoint_free(&s->client.ep[i]);
	awsauth_free(s->client.auth);
	free(s->client.why);
	free(s->base.why);
	free(s->described);
}

int aws_listed_lately(struct aws_source *s)
{
	int64_t now = clock_ms();
	if (s->last_list_ms && now - s->last_list_ms < s->min_interval_ms && !s->base.down)
		return 1;
	s->last_list_ms = now;
	return 0;
}

int aws_described_lately(struct aws_source *s, const char *ext_id)
{
	int64_t now = clock_ms(), gap = s->min_interval_ms;
	if (s->base.down && gap < 5000)
		gap = 5000;
	if (s->described && strcmp(s->described, ext_id) == 0 && now - s->described_ms < gap)
		return 1;
	free(s->described);
	s->described = xstrdup(ext_id);
	s->described_ms = now;
	return 0;
}

/* ---------------------------------------------------------------- stop */

struct stop_arg {
	int64_t job_id;
	const char *label;
};

static int on_stopped(struct aws_op *op, void *arg, const struct awscall_reply *r)
{
	const struct stop_arg *sa = arg;
	if (!r->ok) {
		aws_op_fail(op, sa->label, r);
		return -1;
	}
	op->src->described_ms = 0; /* the next describe asks again */
	struct job j = {.id = sa->job_id};
	jobreg_request_stop(op->src->base.db, &j, 1, NULL);
	job_clear(&j);
	return 0;
}

void aws_source_stop(struct aws_source *s, const struct job *j, enum aws_service svc, const char *what, char *body,
		     const char *label, job_done_fn done, void *ud)
{
	struct aws_op *op = aws_op_new(s, done, ud);
	struct stop_arg *sa = xmalloc(sizeof *sa);
	*sa = (struct stop_arg){ j->id, label };
	aws_op_push(op, 0, svc, what, body, on_stopped, sa, free);
	op->active = s->base.active;
	aws_op_run(op);
}

/* ---------------------------------------------------------------- refreshes */

struct aws_op *aws_op_new(struct aws_source *s, job_done_fn done, void *ud)
{
	struct aws_op *op = xcalloc(1, sizeof *op);
	op->src = s;
	op->done = done;
	op->ud = ud;
	struct err e = ERR_INIT;
	if (jobreg_list(s->base.db, s->base.ops->name, -1, &op->jobs, &e) < 0)
		snprintf(op->why, sizeof op->why, "%s", e.msg);
	op->next_op = s->ops;
	s->ops = op;
	return op;
}

void aws_op_push(struct aws_op *op, int front, enum aws_service svc, const char *what, char *body, aws_step_fn fn,
		 void *arg, void (*free_arg)(void *))
{
	struct aws_step *st = xcalloc(1, sizeof *st);
	st->svc = svc;
	st->what = xstrdup(what ? what : "");
	st->body = body;
	st->fn = fn;
	st->arg = arg;
	st->free_arg = free_arg;
	if (front) {
		st->next = op->head;
		op->head = st;
		if (!op->tail)
			op->tail = st;
	} else {
		if (op->tail)
			op->tail->next = st;
		else
			op->head = st;
		op->tail = st;
	}
}

static void finish(struct aws_op *op, int ok)
{
	untrack(op);
	job_done_fn done = op->done;
	void *ud = op->ud;
	char why[sizeof op->why];
	snprintf(why, sizeof why, "%s", op->why);
	if (ok)
		op->src->base.active = op->active;
	op_free(op);
	done(ud, ok, ok ? NULL : why);
}

static void on_reply(void *ud, const struct awscall_reply *r);

/* Starts the next call; 1 when one is under way, 0 when the queue is empty,
 * -1 when a step failed. */
static int pump(struct aws_op *op)
{
	while (op->head) {
		struct aws_step *st = op->head;
		op->head = st->next;
		if (!op->head)
			op->tail = NULL;
		st->next = NULL;
		if (st->svc == AWS_LOCAL) {
			int rc = st->fn(op, st->arg, NULL);
			if (rc == AWS_STEP_TAKEN)
				st->free_arg = NULL;
			step_free(st);
			if (rc < 0)
				return -1;
			continue;
		}
		struct aws_client *c = &op->src->client;
		char *what = xasprintf("%s %s", services[st->svc].title, st->what);
		struct awscall_request rq = {
			.ep = &c->ep[st->svc], .creds = &c->creds, .body = st->body,
			.body_len = st->body ? strlen(st->body) : 0, .quota = &c->quota, .what = what,
		};
		char *target = NULL, *path = NULL, *method = NULL;
		if (services[st->svc].prefix) {
			target = xasprintf("%s.%s", services[st->svc].prefix, st->what);
			rq.target = target;
			rq.json_version = services[st->svc].version;
			rq.query_mode = services[st->svc].query_mode;
		} else {
			const char *sp = strchr(st->what, ' ');
			path = sp ? xstrdup(sp + 1) : xstrdup("/");
			method = sp ? xstrndup(st->what, (size_t)(sp - st->what)) : xstrdup("GET");
			rq.method = method;
			char *q = strchr(path, '?');
			if (q) {
				*q = '\0';
				rq.query = q + 1;
			}
			rq.path = path;
		}
		struct err e = ERR_INIT;
		op->cur = st;
		if (!c->ep[st->svc].url) {
			err_set(&e, "no endpoint for %s", services[st->svc].title);
			op->call = NULL;
		} else {
			op->call = awscall_start(op->src->base.loop, &rq, on_reply, op, &e);
		}
		free(what);
		free(target);
		free(path);
		free(method);
		if (!op->call) {
			snprintf(op->why, sizeof op->why, "%s", e.msg);
			op->cur = NULL;
			step_free(st);
			return -1;
		}
		return 1;
	}
	return 0;
}

static void go(struct aws_op *op)
{
	int rc = pump(op);
	if (rc <= 0)
		finish(op, rc == 0);
}

static void on_reply(void *ud, const struct awscall_reply *r)
{
	struct aws_op *op = ud;
	struct aws_step *st = op->cur;
	op->call = NULL;
	op->cur = NULL;
	int rc = st->fn(op, st->arg, r);
	if (rc == AWS_STEP_TAKEN)
		st->free_arg = NULL;
	step_free(st);
	if (rc < 0)
		finish(op, 0);
	else
		go(op);
}

static int64_t on_start(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct aws_op *op = ud;
	op->timer = 0;
	if (op->src->client.why) {
		snprintf(op->why, sizeof op->why, "%s", op->src->client.why);
		finish(op, 0);
	} else if (op->why[0]) {
		finish(op, 0);
	} else {
		go(op);
	}
	return LOOP_TIMER_DONE;
}

void aws_op_run(struct aws_op *op)
{
	op->timer = loop_add_timer(op->src->base.loop, 0, on_start, op);
}

int aws_reply_throttled(const struct awscall_reply *r)
{
	static const char *const codes[] = { "Throttling", "ThrottlingException", "ThrottledException",
					     "RequestThrottledException", "TooManyRequestsException",
					     "RequestLimitExceeded", "LimitExceededException", "RequestThrottled",
					     "SlowDown" };
	if (r->status == 429)
		return 1;
	for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
		if (strcasecmp(r->code, codes[i]) == 0)
			return 1;
	return 0;
}

void aws_op_fail(struct aws_op *op, const char *what, const struct awscall_reply *r)
{
	awscall_sentence(r, what, op->why, sizeof op->why);
	if (aws_reply_throttled(r)) {
		size_t n = strlen(op->why);
		snprintf(op->why + n, sizeof op->why - n, "; throttled, polling backs off");
	}
}

/* ---------------------------------------------------------------- registry */

struct job *aws_op_find(struct aws_op *op, const char *ext_id)
{
	for (size_t i = 0; i < op->jobs.n; i++)
		if (op->jobs.v[i].ext_id && strcmp(op->jobs.v[i].ext_id, ext_id) == 0)
			return &op->jobs.v[i];
	return NULL;
}

struct job *aws_op_save(struct aws_op *op, struct job *j)
{
	struct err e = ERR_INIT;
	struct db *db = op->src->base.db;
	if (j->id) {
		if (jobreg_update(db, j, &e) < 0) {
			snprintf(op->why, sizeof op->why, "%s", e.msg);
			return NULL;
		}
		return j;
	}
	if (jobreg_insert(db, j, &e) < 0) {
		snprintf(op->why, sizeof op->why, "%s", e.msg);
		job_clear(j);
		return NULL;
	}
	op->jobs.v = xreallocarray(op->jobs.v, op->jobs.n + 1, sizeof *op->jobs.v);
	op->jobs.v[op->jobs.n] = *j;
	memset(j, 0, sizeof *j);
	return &op->jobs.v[op->jobs.n++];
}

char *aws_job_dir(const char *source, const char *ext, struct err *e)
{
	if (!*ext || ext[0] == '.' || strchr(ext, '/')) {
		err_set(e, "'%s' cannot name a directory", ext);
		return NULL;
	}
	char *base = path_join(path_data_home(), "jobs");
	char *src_dir = path_join(base, source);
	char *dir = path_join(src_dir, ext);
	free(base);
	free(src_dir);
	if (path_mkdirs(dir, 0700, e) < 0) {
		free(dir);
		return NULL;
	}
	return dir;
}

int64_t aws_mark_get(struct db *db, int64_t job_id, const char *key)
{
	int64_t off = 0, size = 0, mtime = 0;
	return jobreg_file_get(db, job_id, key, &off, &size, &mtime) == 1 ? off : 0;
}

void aws_mark_set(struct db *db, int64_t job_id, const char *key, int64_t value)
{
	jobreg_file_set(db, job_id, key, value, 0, 0, NULL);
}
