#include "jobs/jobjson.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/xmalloc.h"

cJSON *job_value_json(double v)
{
	if (isnan(v))
		return cJSON_CreateString("nan");
	if (isinf(v))
		return cJSON_CreateString(v < 0 ? "-inf" : "inf");
	return cJSON_CreateNumber(v);
}

static void add_ms(cJSON *o, const char *k, int64_t v)
{
	if (v)
		cJSON_AddNumberToObject(o, k, (double)v);
	else
		cJSON_AddNullToObject(o, k);
}

static void add_str(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static cJSON *split_list(const char *s, char sep)
{
	cJSON *a = cJSON_CreateArray();
	while (s && *s) {
		const char *end = strchr(s, sep);
		size_t n = end ? (size_t)(end - s) : strlen(s);
		char *item = xstrndup(s, n);
		cJSON_AddItemToArray(a, cJSON_CreateString(item));
		free(item);
		s = end ? end + 1 : NULL;
	}
	return a;
}

static int on_last(void *ud, const struct jobreg_point *p)
{
	cJSON *m = cJSON_CreateObject();
	cJSON_AddItemToObject(m, "last", job_value_json(p->value));
	if (p->has_step)
		cJSON_AddNumberToObject(m, "step", (double)p->step);
	else
		cJSON_AddNullToObject(m, "step");
	cJSON_AddNumberToObject(m, "time_ms", (double)p->time_ms);
	cJSON_AddNumberToObject(m, "points", (double)p->count);
	cJSON_AddItemToObject(ud, p->name, m);
	return 0;
}

cJSON *job_to_json(struct db *db, const struct job *j)
{
	cJSON *o = cJSON_CreateObject();
	char *ref = job_ref(j);
	cJSON_AddStringToObject(o, "id", ref);
	free(ref);
	add_str(o, "source", j->source);
	add_str(o, "source_id", j->ext_id);
	add_str(o, "name", j->name);
	cJSON_AddStringToObject(o, "status", job_status_name(j->status));
	add_str(o, "raw_state", j->raw_state);
	add_ms(o, "submit_ms", j->submit_ms);
	add_ms(o, "start_ms", j->start_ms);
	add_ms(o, "end_ms", j->end_ms);
	int64_t el = job_elapsed_ms(j, clock_wall_ms());
	if (el >= 0)
		cJSON_AddNumberToObject(o, "elapsed_ms", (double)el);
	else
		cJSON_AddNullToObject(o, "elapsed_ms");
	if (j->has_exit)
		cJSON_AddNumberToObject(o, "exit_code", j->exit_code);
	else
		cJSON_AddNullToObject(o, "exit_code");
	if (j->signal) {
		cJSON_AddNumberToObject(o, "signal", j->signal);
		const char *n = job_signal_name(j->signal);
		char *full = n ? xasprintf("SIG%s", n) : NULL;
		add_str(o, "signal_name", full);
		free(full);
	} else {
		cJSON_AddNullToObject(o, "signal");
		cJSON_AddNullToObject(o, "signal_name");
	}
	add_str(o, "reason", j->reason);
	add_str(o, "command", j->command);
	add_str(o, "cwd", j->cwd);
	cJSON_AddItemToObject(o, "env_names", split_list(j->env_names, ','));
	cJSON_AddItemToObject(o, "metric_rules", split_list(j->rules, '\n'));
	add_str(o, "dir", j->dir);
	add_str(o, "log", j->log_path);
	add_str(o, "logdir", j->logdir);
	if (j->pid)
		cJSON_AddNumberToObject(o, "pid", (double)j->pid);
	else
		cJSON_AddNullToObject(o, "pid");
	cJSON *m = cJSON_CreateObject();
	jobreg_last_values(db, j->id, on_last, m, NULL);
	cJSON_AddItemToObject(o, "metrics", m);
	struct job parent;
	if (j->parent_id && jobreg_get(db, j->parent_id, &parent, NULL) == 1) {
		char *pref = job_ref(&parent);
		cJSON_AddStringToObject(o, "parent", pref);
		free(pref);
		job_clear(&parent);
	} else
		cJSON_AddNullToObject(o, "parent");
	cJSON *info = j->info ? cJSON_Parse(j->info) : NULL;
	cJSON_AddItemToObject(o, "info", cJSON_IsObject(info) ? info : (cJSON_Delete(info), cJSON_CreateNull()));
	return o;
}

cJSON *job_point_json(const struct jobreg_point *p)
{
	cJSON *pt = cJSON_CreateObject();
	if (p->has_step)
		cJSON_AddNumberToObject(pt, "step", (double)p->step);
	else
		cJSON_AddNullToObject(pt, "step");
	cJSON_AddItemToObject(pt, "value", job_value_json(p->value));
	cJSON_AddNumberToObject(pt, "time_ms", (double)p->time_ms);
	cJSON_AddStringToObject(pt, "origin", p->origin ? p->origin : "");
	return pt;
}

cJSON *job_sources_json(struct job_source *const *v, size_t n)
{
	cJSON *srcs = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		if (!v[i])
			continue;
		cJSON *so = cJSON_CreateObject();
		cJSON_AddStringToObject(so, "name", v[i]->ops->name);
		cJSON_AddStringToObject(so, "state", v[i]->down ? "down" : "up");
		add_str(so, "error", v[i]->down ? v[i]->why : NULL);
		cJSON_AddItemToArray(srcs, so);
	}
	return srcs;
}

static int add_transition(void *ud, const struct jobreg_transition *t)
{
	cJSON *o = cJSON_CreateObject();
	add_str(o, "status", t->status);
	add_str(o, "raw_state", t->raw_state);
	cJSON_AddNumberToObject(o, "time_ms", (double)t->time_ms);
	cJSON_AddItemToArray(ud, o);
	return 0;
}

cJSON *job_transitions_json(struct db *db, int64_t job_id)
{
	cJSON *a = cJSON_CreateArray();
	jobreg_transitions(db, job_id, add_transition, a, NULL);
	return a;
}
