/* tty_bench — runs a terminal program on a pseudo-terminal and measures it.
 *
 *   tty_bench paint RUNS CMD [ARG...]   wall time from fork to exit and peak RSS
 *                                       of each run (CMD must exit by itself,
 *                                       e.g. aiwb --frames 1); prints medians
 *   tty_bench idle SECONDS CMD [ARG...] waits for the first paint, then counts
 *                                       the program's context switches (wakeups)
 *                                       and CPU time over SECONDS of idling,
 *                                       then sends 'q'
 * The pty is 100x30; the master side is drained so the program never blocks. */
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/stats.h"

static pid_t spawn(char **argv, int *master)
{
	struct winsize ws = { .ws_row = 30, .ws_col = 100 };
	pid_t pid = forkpty(master, NULL, NULL, &ws);
	if (pid < 0) {
		perror("forkpty");
		exit(1);
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	return pid;
}

/* Reads whatever the program wrote; returns bytes read, 0 on EOF/EIO. */
static ssize_t drain(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, timeout_ms) <= 0)
		return -1;
	char buf[65536];
	ssize_t n = read(fd, buf, sizeof buf);
	return n < 0 ? 0 : n;
}

static int paint(int runs, char **argv)
{
	double *ms = calloc((size_t)runs, sizeof *ms), *rss = calloc((size_t)runs, sizeof *rss);
	for (int i = 0; i < runs; i++) {
		int master;
		double t0 = clock_us() / 1e3;
		pid_t pid = spawn(argv, &master);
		while (drain(master, 5000) > 0)
			;
		int status;
		struct rusage ru;
		if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "tty_bench: %s did not exit cleanly (status %d)\n", argv[0], status);
			return 1;
		}
		ms[i] = clock_us() / 1e3 - t0;
		rss[i] = ru.ru_maxrss / 1024.0;
		close(master);
	}
	stats_sort(ms, (size_t)runs);
	stats_sort(rss, (size_t)runs);
	printf("median_ms=%.2f min_ms=%.2f max_ms=%.2f median_rss_mb=%.2f runs=%d\n", ms[runs / 2], ms[0],
	       ms[runs - 1], rss[runs / 2], runs);
	free(ms);
	free(rss);
	return 0;
}

static int read_proc(pid_t pid, long *ctx, double *cpu_s)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	long vol = 0, invol = 0;
	while (fgets(line, sizeof line, f)) {
		sscanf(line, "voluntary_ctxt_switches: %ld", &vol);
		sscanf(line, "nonvoluntary_ctxt_switches: %ld", &invol);
	}
	fclose(f);
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	unsigned long ut = 0, st = 0;
	int ok = fscanf(f, "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2;
	fclose(f);
	*ctx = vol + invol;
	*cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	return ok ? 0 : -1;
}

static int idle(double seconds, char **argv)
{
	int master;
	pid_t pid = spawn(argv, &master);
	double deadline = clock_us() / 1e3 + 5000;
	while (clock_us() / 1e3 < deadline && drain(master, 100) != 0) /* first paint, then quiet */
		if (drain(master, 300) < 0)
			break;
	long c0, c1;
	double cpu0, cpu1;
	if (read_proc(pid, &c0, &cpu0) != 0) {
		fprintf(stderr, "tty_bench: %s is not running\n", argv[0]);
		return 1;
	}
	double t0 = clock_us() / 1e3;
	while (clock_us() / 1e3 - t0 < seconds * 1000)
		drain(master, 200);
	read_proc(pid, &c1, &cpu1);
	double elapsed = (clock_us() / 1e3 - t0) / 1000;
	if (write(master, "q", 1) != 1)
		kill(pid, SIGTERM);
	while (drain(master, 2000) > 0)
		;
	waitpid(pid, NULL, 0);
	printf("wakeups_per_s=%.2f cpu_percent=%.3f seconds=%.1f\n", (double)(c1 - c0) / elapsed,
	       100 * (cpu1 - cpu0) / elapsed, elapsed);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "paint") == 0)
		return paint(atoi(argv[2]) > 0 ? atoi(argv[2]) : 1, argv + 3);
	if (argc >= 4 && strcmp(argv[1], "idle") == 0)
		return idle(atof(argv[2]) > 0 ? atof(argv[2]) : 10, argv + 3);
	fprintf(stderr, "usage: tty_bench paint RUNS CMD [ARG...] | tty_bench idle SECONDS CMD [ARG...]\n");
	return 2;
}
