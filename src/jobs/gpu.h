/* gpu — a local job's GPU use, sampled with nvidia-smi (issue 12, item 8).
 *
 * A job's supervisor (jobs/local.h) calls gpu_sample() every
 * GPU_SAMPLE_MS while the job runs, when nvidia-smi is on PATH and AIWB_GPU
 * is not "off", and appends the line it gives to the job's gpu.jsonl; the
 * ingest (jobs/ingest.h) reads that file like JSON log lines. Sampling in the
 * supervisor means no sample is lost while aiwb is closed. Without nvidia-smi
 * nothing is sampled and nothing fails.
 *
 * Two queries, each one CSV line per row (--format=csv,noheader,nounits):
 *   --query-compute-apps=pid,gpu_uuid,used_memory   the processes on a GPU
 *   --query-gpu=uuid,utilization.gpu,memory.used,memory.total
 * A job's processes are those whose ancestry reaches the job's pid. Its
 * series: gpu_util (mean utilisation, %, of the GPUs its processes use),
 * gpu_mem_mib (memory its processes use, MiB) and gpu_count. */
#ifndef AIWB_JOBS_GPU_H
#define AIWB_JOBS_GPU_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define GPU_SAMPLE_MS 5000
#define GPU_MAX 64
#define GPU_APPS_MAX 1024

struct gpu_app {
	pid_t pid;
	char uuid[96];
	double mem_mib;
};

struct gpu_dev {
	char uuid[96];
	double util, mem_used, mem_total;
};

/* Rows of the two queries; malformed lines are skipped. Return the rows kept. */
size_t gpu_parse_apps(const char *text, struct gpu_app *out, size_t max);
size_t gpu_parse_devs(const char *text, struct gpu_dev *out, size_t max);

/* Whether pid is job or a descendant of it, through /proc/PID/stat's ppid. */
int gpu_pid_in_job(pid_t pid, pid_t job);
typedef int (*gpu_owner_fn)(pid_t pid, pid_t job); /* gpu_pid_in_job, or a test's own */

struct gpu_use {
	int gpus;       /* GPUs the job's processes are on */
	double util;    /* mean utilisation of those, % */
	double mem_mib; /* memory of the job's processes */
};
/* What of the GPUs the job uses; gpus 0 when it uses none. */
void gpu_job_use(const struct gpu_app *apps, size_t napps, const struct gpu_dev *devs, size_t ndevs, pid_t job,
		 gpu_owner_fn owns, struct gpu_use *u);

/* 1 when sampling should run: nvidia-smi is on PATH and AIWB_GPU is not "off". */
int gpu_available(void);
/* Runs the two queries (each killed after 10 s) and formats the job's use as
 * one JSON line, {"time":T,"gpu_util":U,"gpu_mem_mib":M,"gpu_count":N}\n, into
 * line. Returns 0, or -1 when nvidia-smi failed or the job uses no GPU. */
int gpu_sample(pid_t job, char *line, size_t n);

#endif
