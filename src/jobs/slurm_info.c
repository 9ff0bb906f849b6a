/* job.info of Slurm jobs: reading its fields, an array's summary, a parent's tasks. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/path.h"
#include "base/xmalloc.h"
#include "jobs/registry.h"
#include "jobs/slurm.h"

char *slurm_info_str(const char *info, const char *key)
{
	if (!info)
		return NULL;
	cJSON *o = cJSON_Parse(info);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	char *r = NULL;
	if (cJSON_IsString(v))
		r = xstrdup(v->valuestring);
	else if (cJSON_IsNumber(v))
		r = xasprintf("%.15g", v->valuedouble);
	cJSON_Delete(o);
	return r;
}

int slurm_array_summary(const struct job *j, struct buf *out)
{
	if (!j->info || !strstr(j->info, "\"array\""))
		return 0;
	cJSON *o = cJSON_Parse(j->info);
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "array");
	if (!cJSON_IsObject(a)) {
		cJSON_Delete(o);
		return 0;
	}
	const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(a, "tasks");
	const cJSON *counts = cJSON_GetObjectItemCaseSensitive(a, "counts");
	int n = cJSON_IsNumber(tasks) ? (int)tasks->valuedouble : 0;
	buf_printf(out, "%d task%s", n, n == 1 ? "" : "s");
	const char *sep = ": ";
	for (int s = 0; s < JOB_STATUS_COUNT; s++) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(counts, job_status_name((enum job_status)s));
		if (cJSON_IsNumber(c) && c->valuedouble > 0) {
			buf_printf(out, "%s%d %s", sep, (int)c->valuedouble, job_status_name((enum job_status)s));
			sep = ", ";
		}
	}
	cJSON_Delete(o);
	return 1;
}

/* An array task's number ("41_7": 7), -1 for another id. */
static long long task_number(const char *ext_id)
{
	const char *u = ext_id ? strrchr(ext_id, '_') : NULL;
	if (!u || !u[1] || strspn(u + 1, "0123456789") != strlen(u + 1))
		return -1;
	return strtoll(u + 1, NULL, 10);
}

static int newest_first(const void *pa, const void *pb)
{
	const struct job *a = pa, *b = pb;
	if (a->submit_ms != b->submit_ms)
		return a->submit_ms < b->submit_ms ? 1 : -1;
	long long ta = task_number(a->ext_id), tb = task_number(b->ext_id);
	if (ta != tb)
		return ta < tb ? 1 : -1;
	return a->id < b->id ? 1 : a->id > b->id ? -1 : 0;
}

int slurm_children(struct db *db, int64_t parent_id, struct job_list *out, struct err *e)
{
	struct job_list all;
	memset(out, 0, sizeof *out);
	if (jobreg_list(db, NULL, -1, &all, e) < 0)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < all.n; i++) {
		if (all.v[i].parent_id == parent_id && parent_id > 0)
			all.v[k++] = all.v[i];
		else
			job_clear(&all.v[i]);
	}
	all.n = k;
	if (k > 1)
		qsort(all.v, k, sizeof *all.v, newest_first);
	*out = all;
	return 0;
}

void slurm_filter_jobs(struct job_list *l, int tasks, const char *user, const char *partition)
{
	size_t k = 0;
	for (size_t i = 0; i < l->n; i++) {
		struct job *j = &l->v[i];
		int keep = tasks || !j->parent_id || strcmp(j->source, "slurm") != 0; /* only arrays fold */
		if (keep && user && strcmp(j->source, "slurm") == 0) {
			char *u = slurm_info_str(j->info, "user");
			keep = u && strcmp(u, user) == 0;
			free(u);
		}
		if (keep && partition) {
			char *p = slurm_info_str(j->info, "partition");
			keep = p && strcmp(p, partition) == 0;
			free(p);
		}
		if (keep)
			l->v[k++] = *j;
		else
			job_clear(j);
	}
	l->n = k;
}

static const struct {
	const char *key, *label;
} detail_keys[] = {
	{"user", "user"},           {"partition", "partition"},     {"nodes", "nodes"},
	{"tres", "resources"},      {"time_limit", "time limit"},   {"work_dir", "work dir"},
	{"std_out_path", "stdout"}, {"std_err_path", "stderr"},     {"batch_host", "batch host"},
	{"account", "account"},     {"qos", "qos"},                 {"final_from", "final from"},
};

void slurm_text_details(struct db *db, const struct job *j, struct buf *out)
{
	if (!j->info)
		return;
	for (size_t i = 0; i < sizeof detail_keys / sizeof *detail_keys; i++) {
		char *v = slurm_info_str(j->info, detail_keys[i].key);
		if (v && *v)
			buf_printf(out, "%-10s %s\n", detail_keys[i].label, v);
		free(v);
	}
	struct buf sum = BUF_INIT;
	if (slurm_array_summary(j, &sum))
		buf_printf(out, "array:     %s\n", buf_str(&sum));
	buf_free(&sum);
	struct job_list kids;
	if (slurm_children(db, j->id, &kids, NULL) < 0 || !kids.n) {
		job_list_free(&kids);
		return;
	}
	buf_puts(out, "tasks:\n");
	for (size_t i = kids.n; i-- > 0;) {
		char *ref = job_ref(&kids.v[i]);
		buf_printf(out, "  %-14s %-9s %s\n", ref, job_status_name(kids.v[i].status),
			   kids.v[i].log_path ? kids.v[i].log_path : "");
		free(ref);
	}
	job_list_free(&kids);
}

/* j's log when it is a file aiwb wrote under dir, with its ssh mirrors. */
static void remove_own(const char *dir, const struct job *j)
{
	size_t n = strlen(dir), len = j->log_path ? strlen(j->log_path) : 0;
	if (!len || strncmp(j->log_path, dir, n) != 0 || j->log_path[n] != '/' || strstr(j->log_path + n, "/..") ||
	    len < 4 || strcmp(j->log_path + len - 4, ".log") != 0)
		return;
	unlink(j->log_path);
	char *stem = xstrndup(j->log_path, len - 4);
	char *out = xasprintf("%s.out", stem), *err = xasprintf("%s.err", stem);
	unlink(out);
	unlink(err);
	free(out);
	free(err);
	free(stem);
}

void slurm_remove_files(struct db *db, const struct job *j)
{
	char *dir = path_join(path_data_home(), "jobs/slurm-logs");
	remove_own(dir, j);
	struct job_list kids;
	if (slurm_children(db, j->id, &kids, NULL) == 0)
		for (size_t i = 0; i < kids.n; i++)
			remove_own(dir, &kids.v[i]);
	job_list_free(&kids);
	free(dir);
}
