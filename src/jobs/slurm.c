#include "jobs/slurm.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/path.h"
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

static const char *str_or(const cJSON *o, const char *a, const char *b)
{
	const char *v = str(o, a);
	return v && *v ? v : str(o, b);
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
		err_set(e, "Slurm reports: %s", msg ? msg : "an error");
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
			.tres = str_or(it, "tres_alloc_str", "tres_req_str"),
			.account = str(it, "account"),
			.qos = str(it, "qos"),
			.batch_host = str(it, "batch_host"),
			.exit_status = num(it, "exit_code", 0),
			.submit_s = num(it, "submit_time", 0),
			.start_s = num(it, "start_time", 0),
			.end_s = num(it, "end_time", 0),
			.time_limit = num(it, "time_limit", -1),
			.cpus = num(it, "cpus", 0),
			.node_count = num(it, "node_count", 0),
		};
		if (j.array_task_id < 0 || j.array_task_id > 4000000000LL)
			j.array_task_id = -1;
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
	if (j->array_job_id > 0) /* the array itself: its tasks not started yet */
		return xasprintf("%lld", (long long)j->array_job_id);
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
		while (*p >= '0' && *p <= '9') {
			if (width <= 10)
				width = width * 10 + (*p - '0');
			p++;
		}
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
	return path_has_command("squeue");
}

