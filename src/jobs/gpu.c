#include "jobs/gpu.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/path.h"
#include "base/proc.h"
#include "base/xmalloc.h"

#define QUERY_TIMEOUT_MS 10000
#define QUERY_OUTPUT_MAX ((size_t)1 << 20)

/* The comma-separated fields of one line, spaces around them trimmed. */
static int split_fields(char *line, char **f, int max)
{
	int n = 0;
	for (char *p = line; n < max;) {
		while (*p == ' ' || *p == '\t')
			p++;
		f[n++] = p;
		char *comma = strchr(p, ',');
		char *end = comma ? comma : p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			end--;
		if (!comma) {
			*end = '\0';
			break;
		}
		*end = '\0';
		p = comma + 1;
	}
	return n;
}

static int number(const char *s, double *out)
{
	char *end;
	if (!*s)
		return 0;
	double v = strtod(s, &end);
	if (*end || v != v)
		return 0;
	*out = v;
	return 1;
}

static int copy_uuid(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src);
	if (!len || len >= n)
		return 0;
	memcpy(dst, src, len + 1);
	return 1;
}

typedef int (*row_fn)(char **f, int nf, void *out);

static size_t parse_rows(const char *text, row_fn fn, void *out, size_t size, size_t max)
{
	size_t kept = 0;
	while (text && *text && kept < max) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);
		char *line = xstrndup(text, len);
		char *f[8];
		int nf = split_fields(line, f, 8);
		if (fn(f, nf, (char *)out + kept * size))
			kept++;
		free(line);
		text = nl ? nl + 1 : text + len;
	}
	return kept;
}

static int app_row(char **f, int nf, void *out)
{
	struct gpu_app *a = out;
	double pid, mem;
	if (nf != 3 || !number(f[0], &pid) || pid < 1 || pid > 1 << 30 || !number(f[2], &mem) || mem < 0)
		return 0;
	a->pid = (pid_t)pid;
	a->mem_mib = mem;
	return copy_uuid(a->uuid, sizeof a->uuid, f[1]);
}

static int dev_row(char **f, int nf, void *out)
{
	struct gpu_dev *d = out;
	if (nf != 4 || !number(f[1], &d->util) || !number(f[2], &d->mem_used) || !number(f[3], &d->mem_total))
		return 0;
	return copy_uuid(d->uuid, sizeof d->uuid, f[0]);
}

size_t gpu_parse_apps(const char *text, struct gpu_app *out, size_t max)
{
	return parse_rows(text, app_row, out, sizeof *out, max);
}

size_t gpu_parse_devs(const char *text, struct gpu_dev *out, size_t max)
{
	return parse_rows(text, dev_row, out, sizeof *out, max);
}

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	int ppid;
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return 0;
	return (pid_t)ppid;
}

int gpu_pid_in_job(pid_t pid, pid_t job)
{
	for (int depth = 0; pid > 1 && depth < 64; depth++) {
		if (pid == job)
			return 1;
		pid = parent_of(pid);
	}
	return 0;
}

void gpu_job_use(const struct gpu_app *apps, size_t napps, const struct gpu_dev *devs, size_t ndevs, pid_t job,
		 gpu_owner_fn owns, struct gpu_use *u)
{
	memset(u, 0, sizeof *u);
	int used[GPU_MAX] = {0};
	for (size_t i = 0; i < napps; i++) {
		if (!owns(apps[i].pid, job))
			continue;
		u->mem_mib += apps[i].mem_mib;
		for (size_t d = 0; d < ndevs && d < GPU_MAX; d++)
			if (strcmp(devs[d].uuid, apps[i].uuid) == 0)
				used[d] = 1;
	}
	double util = 0;
	for (size_t d = 0; d < ndevs && d < GPU_MAX; d++)
		if (used[d]) {
			u->gpus++;
			util += devs[d].util;
		}
	u->util = u->gpus ? util / u->gpus : 0;
}

int gpu_available(void)
{
	const char *flag = getenv("AIWB_GPU");
	if (flag && strcmp(flag, "off") == 0)
		return 0;
	return path_has_command("nvidia-smi");
}

static char *query(const char *what)
{
	char prog[] = "nvidia-smi", format[] = "--format=csv,noheader,nounits";
	char *q = xstrdup(what);
	char *argv[] = {prog, q, format, NULL};
	struct proc_output o;
	if (proc_capture(argv, QUERY_TIMEOUT_MS, QUERY_OUTPUT_MAX, &o) < 0) {
		free(q);
		proc_output_free(&o);
		return NULL;
	}
	free(q);
	char *text = o.started && o.exited && o.code == 0 ? xstrdup(buf_str(&o.out)) : NULL;
	proc_output_free(&o);
	return text;
}

int gpu_sample(pid_t job, char *line, size_t n)
{
	char *apps_text = query("--query-compute-apps=pid,gpu_uuid,used_memory");
	char *devs_text = apps_text ? query("--query-gpu=uuid,utilization.gpu,memory.used,memory.total") : NULL;
	int rc = -1;
	if (devs_text) {
		struct gpu_app *apps = xcalloc(GPU_APPS_MAX, sizeof *apps);
		struct gpu_dev devs[GPU_MAX];
		size_t na = gpu_parse_apps(apps_text, apps, GPU_APPS_MAX);
		size_t nd = gpu_parse_devs(devs_text, devs, GPU_MAX);
		struct gpu_use u;
		gpu_job_use(apps, na, devs, nd, job, gpu_pid_in_job, &u);
		if (u.gpus) {
			snprintf(line, n, "{\"time\":%.3f,\"gpu_util\":%g,\"gpu_mem_mib\":%g,\"gpu_count\":%d}\n",
				 clock_wall_ms() / 1000.0, u.util, u.mem_mib, u.gpus);
			rc = 0;
		}
		free(apps);
	}
	free(apps_text);
	free(devs_text);
	return rc;
}
