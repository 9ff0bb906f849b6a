/* first_byte — time from process start to the first byte of an answer on a
 * program's stdout (a pipe, never a tty), measured from outside.
 *
 *   first_byte RUNS GROUP [:: GROUP]...
 *   GROUP = [-n NAME] [-m MATCH] [-f FIELD] [-w WARMUP] CMD [ARG...]
 *
 * For each group, each run forks and execs CMD with stdout on a pipe (stdin
 * and stderr on /dev/null) and timestamps:
 *   first  the moment the output read so far first contains MATCH (without
 *          -m: the first byte), counted from just before fork();
 *   exit   the moment the program exited (after its stdout reached EOF).
 * With -f FIELD the output of each run is searched for "FIELD": NUMBER (a JSON
 * member, e.g. ttft_ms) and its median is reported too. Runs of the groups
 * are interleaved, in turn forwards and backwards (A B C C B A A B C ...), so
 * that a change in machine load hits every group alike and no group always
 * follows the same one; WARMUP (default 2) runs of each group come first and are not
 * counted. A run that exits non-zero, or never shows MATCH, fails the bench.
 *
 * One line per group:
 *   name=NAME median_ms=.. min_ms=.. p90_ms=.. max_ms=.. exit_median_ms=.. cpu_median_ms=..
 *   cpu_first_median_ms=.. [paired_median_ms=..] [field_median=..] runs=N
 * cpu_median_ms is the user+system CPU time of the whole run (wait4), which
 * a busy machine disturbs less than the wall-clock figures; cpu_first_median_ms
 * the CPU time the program had used when MATCH was read (/proc/PID/schedstat,
 * its main thread). paired_median_ms (every group but the first) is the median
 * over runs of this group's first minus the first group's in the same round:
 * the runs of a round are next to each other in time, so a change in load
 * cancels out of the difference.
 *
 * The reader runs at real-time priority when it may (SCHED_FIFO, its
 * children reset to the normal policy): it then reads the first byte as soon
 * as it is written, instead of when the program, still busy with the rest of
 * its answer (or its exit) on the same core, next sleeps. Without the
 * privilege it says so on stderr and measures as before. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
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

#define MAX_GROUPS 8
#define MAX_OUT (1u << 20)

struct group {
	const char *name, *match, *field;
	int warmup;
	char **argv;
	double *first, *exit_ms, *cpu_ms, *field_v, *cpu_first, *paired;
	int nfield;
};

/* One run; returns 0 and fills *first and *exit_ms (and *fv when the field was
 * found: *has_f = 1), or -1 after saying why. */
/* CPU time used so far by pid's main thread, in ms; -1 when unknown. */
static double cpu_so_far(pid_t pid)
{
	char path[64], b[128];
	snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, b, sizeof b - 1);
	close(fd);
	if (n <= 0)
		return -1;
	b[n] = '\0';
	return strtod(b, NULL) / 1e6;
}

static int run_once(const struct group *g, double *first, double *exit_ms, double *cpu_ms, double *cpu_first,
		    double *fv, int *has_f)
{
	static char out[MAX_OUT + 1];
	size_t len = 0;
	int fd[2];
	if (pipe(fd) != 0) {
		perror("first_byte: pipe");
		return -1;
	}
	double t0 = clock_us() / 1e3;
	pid_t pid = fork();
	if (pid < 0) {
		perror("first_byte: fork");
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(fd[1], STDOUT_FILENO);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDERR_FILENO);
		}
		close(fd[0]);
		close(fd[1]);
		execvp(g->argv[0], g->argv);
		_exit(127);
	}
	close(fd[1]);
	*first = -1;
	*cpu_first = -1;
	size_t mlen = g->match ? strlen(g->match) : 0;
	for (;;) {
		struct pollfd p = { .fd = fd[0], .events = POLLIN };
		int r = poll(&p, 1, 30000);
		if (r == 0) {
			fprintf(stderr, "first_byte: %s wrote nothing for 30 s\n", g->name);
			kill(pid, SIGKILL);
			break;
		}
		if (r < 0 && errno == EINTR)
			continue;
		char tmp[65536];
		ssize_t n = read(fd[0], tmp, sizeof tmp);
		double t = clock_us() / 1e3;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		size_t keep = (size_t)n < MAX_OUT - len ? (size_t)n : MAX_OUT - len;
		memcpy(out + len, tmp, keep);
		size_t before = len;
		len += keep;
		out[len] = '\0';
		if (*first < 0) {
			if (!g->match) {
				*first = t - t0;
			} else {
				/* Look only where a new match can be: the new bytes and the
				 * MATCH-1 bytes before them. */
				size_t from = before >= mlen ? before - mlen + 1 : 0;
				if (memmem(out + from, len - from, g->match, mlen))
					*first = t - t0;
			}
			if (*first >= 0)
				*cpu_first = cpu_so_far(pid);
		}
	}
	close(fd[0]);
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
		;
	*exit_ms = clock_us() / 1e3 - t0;
	*cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		  (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "first_byte: %s exited with status %d: %.*s\n", g->name,
			WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), (int)(len < 300 ? len : 300), out);
		return -1;
	}
	if (*first < 0) {
		fprintf(stderr, "first_byte: %s never wrote '%s'; it wrote: %.*s\n", g->name, g->match ? g->match : "",
			(int)(len < 300 ? len : 300), out);
		return -1;
	}
	*has_f = 0;
	if (g->field) {
		char key[128];
		snprintf(key, sizeof key, "\"%s\":", g->field);
		char *at = strstr(out, key);
		if (at) {
			char *end;
			double v = strtod(at + strlen(key), &end);
			if (end != at + strlen(key)) {
				*fv = v;
				*has_f = 1;
			}
		}
	}
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: first_byte RUNS [-n NAME] [-m MATCH] [-f FIELD] [-w WARMUP] CMD [ARG...] [:: ...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	int runs = atoi(argv[1]);
	if (runs < 1 || runs > 10000)
		return usage();
	struct sched_param sp = { .sched_priority = 1 };
	if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) != 0)
		fprintf(stderr, "first_byte: the reader runs at normal priority (%s): a program busy after its first "
				"byte may delay the reading\n", strerror(errno));
	struct group g[MAX_GROUPS];
	int ng = 0;
	int i = 2;
	while (i < argc) {
		if (ng == MAX_GROUPS)
			return usage();
		struct group *cur = &g[ng++];
		memset(cur, 0, sizeof *cur);
		cur->warmup = 2;
		for (; i + 1 < argc && argv[i][0] == '-' && argv[i][1] && !argv[i][2]; i += 2) {
			switch (argv[i][1]) {
			case 'n': cur->name = argv[i + 1]; break;
			case 'm': cur->match = argv[i + 1]; break;
			case 'f': cur->field = argv[i + 1]; break;
			case 'w': cur->warmup = atoi(argv[i + 1]); break;
			default: return usage();
			}
		}
		if (i >= argc || strcmp(argv[i], "::") == 0)
			return usage();
		cur->argv = argv + i;
		while (i < argc && strcmp(argv[i], "::") != 0)
			i++;
		if (i < argc)
			argv[i++] = NULL; /* ends this group's argv */
		if (!cur->name)
			cur->name = cur->argv[0];
		cur->first = calloc((size_t)runs, sizeof(double));
		cur->exit_ms = calloc((size_t)runs, sizeof(double));
		cur->cpu_ms = calloc((size_t)runs, sizeof(double));
		cur->field_v = calloc((size_t)runs, sizeof(double));
		cur->cpu_first = calloc((size_t)runs, sizeof(double));
		cur->paired = calloc((size_t)runs, sizeof(double));
		if (!cur->first || !cur->exit_ms || !cur->cpu_ms || !cur->field_v || !cur->cpu_first || !cur->paired)
			return 1;
	}
	int maxw = 0;
	for (int k = 0; k < ng; k++)
		maxw = g[k].warmup > maxw ? g[k].warmup : maxw;
	for (int r = -maxw; r < runs; r++) {
		for (int j = 0; j < ng; j++) {
			int k = (r & 1) ? ng - 1 - j : j;
			if (r < 0 && -r > g[k].warmup)
				continue;
			double f, x, c, cf, fv = 0;
			int has_f = 0;
			if (run_once(&g[k], &f, &x, &c, &cf, &fv, &has_f) != 0)
				return 1;
			if (r < 0)
				continue;
			g[k].first[r] = f;
			g[k].exit_ms[r] = x;
			g[k].cpu_ms[r] = c;
			g[k].cpu_first[r] = cf;
			if (has_f)
				g[k].field_v[g[k].nfield++] = fv;
		}
	}
	for (int k = 1; k < ng; k++) {
		for (int r = 0; r < runs; r++)
			g[k].paired[r] = g[k].first[r] - g[0].first[r];
		stats_sort(g[k].paired, (size_t)runs);
	}
	for (int k = 0; k < ng; k++) {
		stats_sort(g[k].first, (size_t)runs);
		stats_sort(g[k].exit_ms, (size_t)runs);
		stats_sort(g[k].cpu_ms, (size_t)runs);
		stats_sort(g[k].cpu_first, (size_t)runs);
		printf("name=%s median_ms=%.3f min_ms=%.3f p90_ms=%.3f max_ms=%.3f exit_median_ms=%.3f cpu_median_ms=%.3f",
		       g[k].name, g[k].first[runs / 2], g[k].first[0], g[k].first[(runs * 9) / 10], g[k].first[runs - 1],
		       g[k].exit_ms[runs / 2], g[k].cpu_ms[runs / 2]);
		printf(" cpu_first_median_ms=%.3f", g[k].cpu_first[runs / 2]);
		if (k > 0)
			printf(" paired_median_ms=%+.3f", g[k].paired[runs / 2]);
		if (g[k].field) {
			if (g[k].nfield) {
				stats_sort(g[k].field_v, (size_t)g[k].nfield);
				printf(" field_median=%.3f", g[k].field_v[g[k].nfield / 2]);
			} else {
				printf(" field_median=none");
			}
		}
		printf(" runs=%d\n", runs);
		free(g[k].first);
		free(g[k].exit_ms);
		free(g[k].cpu_ms);
		free(g[k].field_v);
		free(g[k].cpu_first);
		free(g[k].paired);
	}
	return 0;
}
