/* stream_bench — the CPU cost of aiwb's one event loop carrying several model
 * streams at once, set up exactly as `aiwb ask` does (session.h: config,
 * data home, history database, catalog, curl, the loop; llm/run.h per stream).
 *
 *   stream_bench [-n STREAMS] [-m PROVIDER/MODEL]... [-r REPS] [-s] [-p FAKE_PID]
 *   stream_bench -c URL [-n STREAMS] [-m MODEL] [-r REPS] [-p FAKE_PID]
 *
 * Starts STREAMS runs (default 8) in one loop, the models taken in turn from
 * the -m list (default openai/tokens-2000-tps-1000), runs the loop until all
 * have finished, and measures over that span: wall time, the process's CPU
 * time (getrusage user+sys) as a percentage of one core, loop wake-ups per
 * second, and at the end the peak RSS (ru_maxrss). Each stream must end
 * complete with its usage. -s passes the text through the terminal sanitizer
 * and write()s it to /dev/null on every piece, as `aiwb ask` does with its
 * stdout. -p also reports the CPU the fake server (that pid) used meanwhile.
 * REPS (default 3) repetitions in the same process; medians are reported.
 *
 * -c URL is the reference: the same STREAMS OpenAI streams taken by one
 * `curl -Z --parallel-immediate -N` process (libcurl's multi interface, like
 * aiwb's loop) posting to URL/chat/completions, bodies to /dev/null; its CPU
 * and peak RSS come from wait4(). Its start-up (~20 ms of CPU) is included.
 *
 * One line:
 *   streams=N reps=R ok=... wall_s=.. cpu_s=.. cpu_percent=.. user_s=.. sys_s=..
 *   wakeups_per_s=.. peak_rss_mb=.. ttft_median_ms=.. tok_s_median=..
 *   out_tokens_per_rep=.. fake_cpu_percent=.. */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/stats.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/sanitize.h"
#include "session.h"
#include "llm/provider.h"
#include "llm/run.h"
#include "loop.h"

#define MAX_STREAMS 64
#define MAX_MODELS 16
#define MAX_REPS 20

struct stream {
	struct run *run;
	struct sanitizer san;
	size_t printed;
};

struct bench {
	struct session *s;
	struct stream st[MAX_STREAMS];
	int n, done, sanitize, devnull;
	struct buf out;
};

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* utime+stime of another process in seconds, -1 when unreadable. */
static double proc_cpu(pid_t pid)
{
	if (pid <= 0)
		return -1;
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[1024];
	double r = -1;
	if (fgets(line, sizeof line, f)) {
		char *p = strrchr(line, ')'); /* the name may hold spaces */
		unsigned long ut, st;
		if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
			r = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	}
	fclose(f);
	return r;
}

static double median(double *v, int n)
{
	if (n <= 0)
		return -1;
	stats_sort(v, (size_t)n);
	return v[n / 2];
}

static struct bench *the_bench;

/* The bare path: the run has appended the text; nothing else happens. */
static void on_text(struct run *r, void *ud)
{
	(void)r;
	(void)ud;
}

/* The realistic path: what `aiwb ask` does with each piece of text. */
static void on_text_sanitized(struct run *r, void *ud)
{
	struct stream *st = ud;
	struct bench *b = the_bench;
	buf_reset(&b->out);
	sanitize_feed(&st->san, r->text.data + st->printed, r->text.len - st->printed, &b->out);
	st->printed = r->text.len;
	if (b->out.len && write(b->devnull, b->out.data, b->out.len) < 0)
		perror("stream_bench: write");
}

static void on_done(struct run *r, void *ud)
{
	(void)r;
	(void)ud;
	if (++the_bench->done == the_bench->n)
		loop_stop(the_bench->s->loop);
}

/* The reference: one curl process carrying the same N streams in parallel
 * (curl -Z, libcurl's multi interface underneath, as in aiwb), each body
 * written to /dev/null. Its CPU is the child's rusage. */
static int curl_reference(const char *url, int n, const char *model, int reps, pid_t fake)
{
	char body[512], endpoint[1024], maxp[16];
	snprintf(body, sizeof body,
		 "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true,"
		 "\"stream_options\":{\"include_usage\":true}}",
		 model);
	snprintf(endpoint, sizeof endpoint, "%s/chat/completions", url);
	snprintf(maxp, sizeof maxp, "%d", n);
	const char *argv[32 + 3 * MAX_STREAMS];
	int a = 0;
	const char *fixed[] = { "curl", "-Z", "--parallel-immediate", "--parallel-max", maxp, "-N", "-sS", "--no-progress-meter", "-f",
				"-H", "Content-Type: application/json", "-H", "Authorization: Bearer sk-bench", "-d",
				body };
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
		argv[a++] = fixed[i];
	for (int i = 0; i < n; i++) {
		argv[a++] = "-o";
		argv[a++] = "/dev/null";
		argv[a++] = endpoint;
	}
	argv[a] = NULL;
	double wall[MAX_REPS], cpu[MAX_REPS], cpu_s[MAX_REPS], fcpu[MAX_REPS];
	long rss_kb = 0;
	int nf = 0;
	for (int rep = 0; rep < reps; rep++) {
		double f0 = proc_cpu(fake);
		int64_t t0 = clock_us();
		pid_t pid = fork();
		if (pid < 0) {
			perror("stream_bench: fork");
			return 1;
		}
		if (pid == 0) {
			int null = open("/dev/null", O_RDWR);
			if (null >= 0)
				dup2(null, STDIN_FILENO);
			execvp("curl", (char *const *)(uintptr_t)argv);
			_exit(127);
		}
		int status;
		struct rusage ru;
		while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "stream_bench: curl exited with status %d\n", status);
			return 1;
		}
		wall[rep] = (double)(clock_us() - t0) / 1e6;
		cpu_s[rep] = tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
		cpu[rep] = 100 * cpu_s[rep] / wall[rep];
		rss_kb = ru.ru_maxrss > rss_kb ? ru.ru_maxrss : rss_kb;
		double f1 = proc_cpu(fake);
		if (f0 >= 0 && f1 >= 0)
			fcpu[nf++] = 100 * (f1 - f0) / wall[rep];
	}
	printf("streams=%d reps=%d ok=%d wall_s=%.3f cpu_s=%.3f cpu_percent=%.2f peak_rss_mb=%.2f "
	       "fake_cpu_percent=%.2f\n",
	       n, reps, n * reps, median(wall, reps), median(cpu_s, reps), median(cpu, reps), (double)rss_kb / 1024.0,
	       nf ? median(fcpu, nf) : -1.0);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: stream_bench [-n STREAMS] [-m PROVIDER/MODEL]... [-r REPS] [-s] [-p FAKE_PID]\n"
			"       stream_bench -c OPENAI_BASE_URL [-n STREAMS] [-m MODEL] [-r REPS] [-p FAKE_PID]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *models[MAX_MODELS], *curl_url = NULL;
	int nmodels = 0, n = 8, reps = 3, sanitize = 0, opt;
	pid_t fake = 0;
	while ((opt = getopt(argc, argv, "n:m:r:sp:c:")) != -1) {
		switch (opt) {
		case 'n': n = atoi(optarg); break;
		case 'm':
			if (nmodels == MAX_MODELS)
				return usage();
			models[nmodels++] = optarg;
			break;
		case 'r': reps = atoi(optarg); break;
		case 's': sanitize = 1; break;
		case 'p': fake = (pid_t)atoi(optarg); break;
		case 'c': curl_url = optarg; break;
		default: return usage();
		}
	}
	if (n < 1 || n > MAX_STREAMS || reps < 1 || reps > MAX_REPS || optind != argc)
		return usage();
	if (!nmodels)
		models[nmodels++] = curl_url ? "tokens-2000-tps-1000" : "openai/tokens-2000-tps-1000";
	if (curl_url)
		return curl_reference(curl_url, n, models[0], reps, fake);

	struct session s;
	struct err e = ERR_INIT;
	if (session_open(&s, 0, &e) != 0) {
		fprintf(stderr, "stream_bench: %s\n", e.msg);
		return 1;
	}
	/* One provider per name, opened once, as the workbench's model set does. */
	struct provider *prov[MAX_MODELS] = { 0 };
	char *pname[MAX_MODELS] = { 0 }, *mname[MAX_MODELS] = { 0 };
	for (int i = 0; i < nmodels; i++) {
		if (provider_split_model(models[i], &pname[i], &mname[i], &e) != 0 ||
		    !(prov[i] = provider_open(&s.cfg, pname[i], &e))) {
			fprintf(stderr, "stream_bench: %s\n", e.msg);
			return 1;
		}
	}
	static struct bench b;
	the_bench = &b;
	b.s = &s;
	b.n = n;
	b.sanitize = sanitize;
	b.devnull = open("/dev/null", O_WRONLY);
	struct llm_message msg = { "user", "hi" };
	struct llm_request rq[MAX_MODELS];
	for (int i = 0; i < nmodels; i++) {
		memset(&rq[i], 0, sizeof rq[i]);
		rq[i].model = mname[i];
		rq[i].messages = &msg;
		rq[i].nmessages = 1;
		rq[i].stream = 1;
		/* Anthropic needs max_tokens and aiwb sends 1024 when none is set:
		 * ask for the whole answer so every stream carries the same tokens. */
		if (strcmp(prov[i]->type, "anthropic") == 0) {
			rq[i].params.has_max_tokens = 1;
			rq[i].params.max_tokens = 100000;
		}
	}

	double wall[MAX_REPS], cpu_pct[MAX_REPS], cpu_s[MAX_REPS], user_s[MAX_REPS], sys_s[MAX_REPS],
		wake[MAX_REPS], fcpu[MAX_REPS];
	double ttft[MAX_STREAMS * MAX_REPS], tps[MAX_STREAMS * MAX_REPS];
	int nt = 0, nf = 0, ok = 0, rc = 0;
	long long out_tokens = 0;
	for (int rep = 0; rep < reps; rep++) {
		b.done = 0;
		struct rusage r0, r1;
		double f0 = proc_cpu(fake);
		uint64_t w0 = loop_wakeups(s.loop);
		getrusage(RUSAGE_SELF, &r0);
		int64_t t0 = clock_us();
		for (int i = 0; i < n; i++) {
			struct stream *st = &b.st[i];
			memset(st, 0, sizeof *st);
			sanitize_init(&st->san, 0);
			int k = i % nmodels;
			st->run = run_start(s.loop, prov[k], models[k], &rq[k], &s.catalog,
					    sanitize ? on_text_sanitized : on_text, on_done, st, &e);
			if (!st->run) {
				fprintf(stderr, "stream_bench: %s: %s\n", models[k], e.msg);
				return 1;
			}
		}
		loop_run(s.loop);
		int64_t t1 = clock_us();
		getrusage(RUSAGE_SELF, &r1);
		uint64_t w1 = loop_wakeups(s.loop);
		double f1 = proc_cpu(fake);
		wall[rep] = (double)(t1 - t0) / 1e6;
		user_s[rep] = tv_s(r1.ru_utime) - tv_s(r0.ru_utime);
		sys_s[rep] = tv_s(r1.ru_stime) - tv_s(r0.ru_stime);
		cpu_s[rep] = user_s[rep] + sys_s[rep];
		cpu_pct[rep] = 100 * cpu_s[rep] / wall[rep];
		wake[rep] = (double)(w1 - w0) / wall[rep];
		if (f0 >= 0 && f1 >= 0)
			fcpu[nf++] = 100 * (f1 - f0) / wall[rep];
		for (int i = 0; i < n; i++) {
			struct run *r = b.st[i].run;
			struct run_metrics m;
			run_metrics(r, &m);
			if (sanitize) {
				buf_reset(&b.out);
				sanitize_finish(&b.st[i].san, &b.out);
			}
			if (r->result.status == LLM_OK && m.complete && !m.estimated) {
				ok++;
				out_tokens += m.output_tokens;
				ttft[nt] = m.ttft_ms;
				tps[nt++] = m.tokens_per_s;
			} else {
				fprintf(stderr, "stream_bench: %s did not complete: %s\n", r->model,
					r->result.message[0] ? r->result.message : "(no message)");
				rc = 1;
			}
			run_free(r);
		}
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("streams=%d reps=%d ok=%d wall_s=%.3f cpu_s=%.3f cpu_percent=%.2f user_s=%.3f sys_s=%.3f "
	       "wakeups_per_s=%.0f peak_rss_mb=%.2f ttft_median_ms=%.2f tok_s_median=%.0f out_tokens_per_rep=%lld "
	       "fake_cpu_percent=%.2f\n",
	       n, reps, ok, median(wall, reps), median(cpu_s, reps), median(cpu_pct, reps), median(user_s, reps),
	       median(sys_s, reps), median(wake, reps), (double)ru.ru_maxrss / 1024.0, median(ttft, nt),
	       median(tps, nt), out_tokens / reps, nf ? median(fcpu, nf) : -1.0);
	for (int i = 0; i < nmodels; i++) {
		provider_free(prov[i]);
		free(pname[i]);
		free(mname[i]);
	}
	buf_free(&b.out);
	close(b.devnull);
	session_close(&s);
	return rc;
}
