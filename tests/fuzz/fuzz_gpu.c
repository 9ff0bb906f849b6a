/* nvidia-smi's CSV rows: the parsers keep at most max rows, each with a
 * non-empty NUL-terminated uuid, a pid over 0 and numbers that are numbers;
 * a job's use counts only GPUs that exist and never more GPUs than rows. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/gpu.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int owns_odd(pid_t pid, pid_t job)
{
	(void)job;
	return pid % 2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	struct gpu_app apps[16];
	struct gpu_dev devs[8];
	size_t na = gpu_parse_apps(text, apps, 16), nd = gpu_parse_devs(text, devs, 8);
	require(na <= 16 && nd <= 8);
	for (size_t i = 0; i < na; i++) {
		require(apps[i].pid > 0 && apps[i].uuid[0] && memchr(apps[i].uuid, '\0', sizeof apps[i].uuid));
		require(apps[i].mem_mib >= 0);
	}
	for (size_t i = 0; i < nd; i++)
		require(devs[i].uuid[0] && devs[i].util == devs[i].util);
	struct gpu_use u;
	gpu_job_use(apps, na, devs, nd, 1, owns_odd, &u);
	require(u.gpus >= 0 && (size_t)u.gpus <= nd);
	require(u.gpus || u.util == 0);
	free(text);
	return 0;
}
