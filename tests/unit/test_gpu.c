/* jobs/gpu: nvidia-smi's rows parsed, malformed ones skipped; a job's use
 * counts only its own processes and the GPUs they are on; the real process
 * tree decides what belongs to a job. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobs/gpu.h"

static void test_parse_rows(void **state)
{
	(void)state;
	struct gpu_app apps[4];
	size_t n = gpu_parse_apps("4242, GPU-aa, 1500\n"
				  "17,GPU-bb,300\r\n"
				  "No running processes found\n"
				  "0, GPU-cc, 10\n"
				  "5, , 10\n"
				  "6, GPU-dd, [N/A]\n"
				  "7, GPU-ee, 1, 2\n"
				  "8, GPU-ff, 64",
				  apps, 4);
	assert_int_equal(n, 3);
	assert_int_equal(apps[0].pid, 4242);
	assert_string_equal(apps[0].uuid, "GPU-aa");
	assert_true(apps[0].mem_mib == 1500);
	assert_int_equal(apps[1].pid, 17);
	assert_string_equal(apps[1].uuid, "GPU-bb");
	assert_int_equal(apps[2].pid, 8); /* a last line without its newline */
	assert_int_equal(gpu_parse_apps("1, GPU-a, 1\n2, GPU-b, 2\n3, GPU-c, 3\n", apps, 2), 2);

	struct gpu_dev devs[4];
	n = gpu_parse_devs("GPU-aa, 87, 8500, 16384\nGPU-bb, [N/A], 1, 2\nGPU-cc, 5, 300, 16384\n", devs, 4);
	assert_int_equal(n, 2);
	assert_string_equal(devs[1].uuid, "GPU-cc");
	assert_true(devs[0].util == 87 && devs[0].mem_used == 8500 && devs[0].mem_total == 16384);
	assert_int_equal(gpu_parse_devs("", devs, 4), 0);
	assert_int_equal(gpu_parse_devs(NULL, devs, 4), 0);
}

static int owns_small(pid_t pid, pid_t job)
{
	(void)job;
	return pid < 100;
}

static void test_job_use(void **state)
{
	(void)state;
	struct gpu_app apps[] = {{10, "GPU-a", 1000}, {11, "GPU-b", 500}, {500, "GPU-a", 7000}, {12, "GPU-a", 24}};
	struct gpu_dev devs[] = {{"GPU-a", 90, 0, 0}, {"GPU-b", 30, 0, 0}, {"GPU-c", 100, 0, 0}};
	struct gpu_use u;
	gpu_job_use(apps, 4, devs, 3, 1, owns_small, &u);
	assert_int_equal(u.gpus, 2);
	assert_true(u.util == 60);
	assert_true(u.mem_mib == 1524);
	gpu_job_use(apps + 2, 1, devs, 3, 1, owns_small, &u);
	assert_int_equal(u.gpus, 0);
	assert_true(u.util == 0 && u.mem_mib == 0);
}

static void test_pid_in_job(void **state)
{
	(void)state;
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t job = fork();
	if (job == 0) {
		pid_t child = fork();
		if (child == 0) {
			pause();
			_exit(0);
		}
		(void)!write(ready[1], &child, sizeof child);
		pause();
		_exit(0);
	}
	pid_t child;
	assert_int_equal(read(ready[0], &child, sizeof child), (ssize_t)sizeof child);
	assert_true(gpu_pid_in_job(job, job));
	assert_true(gpu_pid_in_job(child, job));
	assert_false(gpu_pid_in_job(getpid(), job));
	assert_false(gpu_pid_in_job(job, child));
	kill(child, SIGKILL);
	kill(job, SIGKILL);
	waitpid(job, NULL, 0);
	close(ready[0]);
	close(ready[1]);
}

static void test_available(void **state)
{
	(void)state;
	char *path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	setenv("PATH", "/nonexistent", 1);
	assert_false(gpu_available());
	char dir[] = "/tmp/aiwb-gpu-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char exe[64];
	snprintf(exe, sizeof exe, "%s/nvidia-smi", dir);
	FILE *f = fopen(exe, "w");
	fputs("#!/bin/sh\nexit 0\n", f);
	fclose(f);
	chmod(exe, 0700);
	setenv("PATH", dir, 1);
	assert_true(gpu_available());
	setenv("AIWB_GPU", "off", 1);
	assert_false(gpu_available());
	unsetenv("AIWB_GPU");
	char line[128];
	assert_int_equal(gpu_sample(getpid(), line, sizeof line), -1); /* it prints no rows */
	unlink(exe);
	rmdir(dir);
	if (path)
		setenv("PATH", path, 1);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_rows),
		cmocka_unit_test(test_job_use),
		cmocka_unit_test(test_pid_in_job),
		cmocka_unit_test(test_available),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
