/* guard_bench — throughput and latency of the local guard (src/guard).
 *
 *   guard_bench [MB] [RUNS] [CORPUS_DIR]   (default 100 MB, 5 runs)
 *
 * Generates MB of mixed text with a fixed seed: prose in English, French,
 * German, Spanish, Russian, Chinese and Japanese, log lines with dates, times,
 * versions and numbers, code with '::' and hex, URLs, and every kind of
 * finding at about one per 2 KB (addresses, phone numbers, cards, IBANs, SSNs,
 * IPs, keys, tokens, hidden characters, and near misses of each). Then:
 *   guard     guard_scan over the whole text on one core, median MB per
 *             CPU-second of RUNS (the thread's CPU time: a busy machine
 *             does not move it);
 *   grep -E   `LC_ALL=C grep -E -o` with equivalent patterns over the same
 *             text written to a file (the reference: every match, as the
 *             guard finds every one), median MB per CPU-second of RUNS (the
 *             child's user + system time); then `grep -E -c` (matching lines
 *             only, less work) for scale;
 *   latency   what the guard adds to a send: guard_new (the config's guard)
 *             + guard_scan + guard_redact of a 10 KB prompt, median and p99
 *             of 2,000 runs, in microseconds.
 * With CORPUS_DIR (tests/data/guard), precision and recall per type on its
 * positive and negative sets follow.
 * The last line is machine-readable:
 *   guard_mb_s=... grep_mb_s=... ratio=... latency_us_p50=... latency_us_p99=... findings=... */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/stats.h"
#include "base/buf.h"
#include "guard/guard.h"

#include "../tests/unit/guardcorpus.h"

#define LAT_RUNS 2000
#define PROMPT_BYTES 10240

static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const prose[] = {
	"The quick brown fox jumps over the lazy dog while the model streams its answer. ",
	"Retrieval quality depends on chunk size, overlap and the embedding model used. ",
	"Le modèle répond en français avec des accents: élève, garçon, cœur, déjà vu. ",
	"Die Größe der Datei beträgt ungefähr zwölf Megabyte, sagte der Prüfer. ",
	"El niño comió una manzana y después durmió la siesta en el jardín. ",
	"Модель отвечает на русском языке, и это нормально для теста. ",
	"模型正在生成答案，请稍候。这是一个用于测试的中文句子。",
	"これは日本語のテスト文です。モデルは答えを生成しています。",
	"See section 4.2 of the report; results improved by 12% over 3 runs. ",
	"Use std::vector<int> and a::b::c in C++ code; call foo(1, 2, 3). ",
	"2024-01-15 12:30:45 INFO request 8812 took 154 ms (v1.2.3, build 20240115). ",
	"Visit https://example.com/docs/guide?page=2&lang=en for details. ",
	"hash 3f786850e387550fdab836ed7e6dc881de23001b and commit a1b2c3d. ",
	"Temperature 0.7, top_p 0.9, max_tokens 1024, seed 42, price $0.15 per 1M. ",
	"He said “yes” — and then – after a pause… left. ",
	"MAC 00:1a:2b:3c:4d:5e, time 10:30, ratio 3:2, port :8080. ",
};

static const char *const findings[] = {
	"Write to jane.doe@example.com today. ",
	"Call +1 (415) 555-2671 or 020 7946 0958. ",
	"Card 4111 1111 1111 1111 exp 12/27. ",
	"IBAN DE89 3704 0044 0532 0130 00 please. ",
	"SSN 123-45-6789 on file. ",
	"Server 192.168.10.20 and 2001:db8::8a2e:370:7334 are up. ",
	"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE ",
	"token sk-proj-abc123DEF456ghi789JKL012mno ",
	"ghp_abcdefghijklmnopqrstuvwxyz0123456789 ",
	"Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U ",
	"zero\xe2\x80\x8bwidth and \xe2\x80\xaeRLO\xe2\x80\xac ",
	"tag \xf3\xa0\x81\x89\xf3\xa0\x81\x87 end. ",
	"near miss 4111 1111 1111 1112 and 000-12-3456 and 256.1.1.1. ",
	"https://user@host.example.com/path ",
};

#define N(a) (sizeof a / sizeof *a)

static void generate(struct buf *b, size_t target)
{
	size_t next_finding = 2048;
	while (b->len < target) {
		buf_puts(b, prose[rnd(N(prose))]);
		if (rnd(8) == 0)
			buf_putc(b, '\n');
		if (b->len >= next_finding) {
			buf_puts(b, findings[rnd(N(findings))]);
			next_finding = b->len + 1024 + rnd(2048);
		}
	}
}

/* GNU grep stops at the first match when its output is /dev/null, so the
 * matches go to a file; their number is returned in *matches. */
static double grep_once(const char *path, const char *mode, long *matches)
{
	static const char *const pats[] = {
		"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}",
		"\\+[1-9][0-9 ().-]{6,18}[0-9]",
		"\\(?[2-9][0-9]{2}\\)?[ .-][2-9][0-9]{2}[ .-][0-9]{4}",
		"0[1-9][0-9]{1,4}[ -][0-9]{2,5}([ -][0-9]{2,5}){0,3}",
		"[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{1,7}",
		"[A-Z]{2}[0-9]{2}( ?[A-Z0-9]{4}){2,7}( ?[A-Z0-9]{1,4})?",
		"[0-9]{3}-[0-9]{2}-[0-9]{4}",
		"([0-9]{1,3}\\.){3}[0-9]{1,3}",
		"([0-9A-Fa-f]{1,4}:){2,7}:?[0-9A-Fa-f]{1,4}",
		"(AKIA|ASIA)[A-Z0-9]{16}",
		"[A-Za-z0-9/+]{40}",
		"sk-(ant-)?[A-Za-z0-9_-]{20,}",
		"gh[pousr]_[A-Za-z0-9]{36}",
		"eyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*",
		"\xe2\x80[\x8b-\x8f\xaa-\xae]|\xe2\x81[\xa0-\xa4\xa6-\xa9]|\xef\xbb\xbf|\xf3\xa0[\x80\x81][\x80-\xbf]",
	};
	char *argv[2 * N(pats) + 6];
	size_t k = 0;
	argv[k++] = strdup("grep");
	argv[k++] = strdup("-E");
	argv[k++] = strdup(mode);
	for (size_t i = 0; i < N(pats); i++) {
		argv[k++] = strdup("-e");
		argv[k++] = strdup(pats[i]);
	}
	argv[k++] = strdup(path);
	argv[k] = NULL;
	fflush(stdout);
	double t0 = clock_us() / 1e6;
	pid_t pid = fork();
	char out[64];
	snprintf(out, sizeof out, "%s.out", path);
	if (pid == 0) {
		if (!freopen(out, "w", stdout))
			_exit(127);
		setenv("LC_ALL", "C", 1);
		execvp("grep", argv);
		_exit(127);
	}
	for (size_t i = 0; i < k; i++)
		free(argv[i]);
	int st = 0;
	struct rusage ru;
	wait4(pid, &st, 0, &ru);
	double t = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
		   (double)ru.ru_stime.tv_usec / 1e6;
	(void)t0;
	FILE *f = fopen(out, "r");
	*matches = 0;
	for (int c; f && (c = getc(f)) != EOF;)
		*matches += c == '\n';
	if (f)
		fclose(f);
	unlink(out);
	if (!WIFEXITED(st) || WEXITSTATUS(st) > 1)
		return -1;
	return t;
}

int main(int argc, char **argv)
{
	size_t mb = argc > 1 ? (size_t)atol(argv[1]) : 100;
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	if (mb == 0 || runs <= 0) {
		fprintf(stderr, "usage: guard_bench [MB] [RUNS]\n");
		return 2;
	}
	size_t target = mb * 1000 * 1000;
	struct buf text = BUF_INIT;
	generate(&text, target);
	struct err e = ERR_INIT;
	struct guard *g = guard_new(NULL, &e);

	double *t = calloc((size_t)runs, sizeof *t);
	size_t nfound = 0;
	for (int r = 0; r < runs; r++) {
		struct guard_findings f = { 0 };
		double t0 = cpu_s();
		guard_scan(g, text.data, text.len, &f, &e);
		t[r] = cpu_s() - t0;
		nfound = f.n;
		guard_findings_free(&f);
	}
	stats_sort(t, (size_t)runs);
	double guard_mb_s = (double)text.len / 1e6 / t[runs / 2];
	printf("guard    %7.1f MB/s  (median of %d over %.0f MB, %zu findings)\n", guard_mb_s, runs,
	       (double)text.len / 1e6, nfound);

	char path[] = "/tmp/guard_bench.XXXXXX";
	int fd = mkstemp(path);
	double grep_mb_s = -1, grep_lines_mb_s = -1;
	if (fd >= 0 && write(fd, text.data, text.len) == (ssize_t)text.len) {
		close(fd);
		int ok = 1;
		long matches = 0;
		for (int r = 0; r < runs && ok; r++)
			ok = (t[r] = grep_once(path, "-o", &matches)) > 0;
		if (ok) {
			stats_sort(t, (size_t)runs);
			grep_mb_s = (double)text.len / 1e6 / t[runs / 2];
			printf("grep -E  %7.1f MB/s  (median of %d, same text, equivalent patterns, -o: %ld matches)\n",
			       grep_mb_s, runs, matches);
			for (int r = 0; r < runs && ok; r++)
				ok = (t[r] = grep_once(path, "-c", &matches)) > 0;
			stats_sort(t, (size_t)runs);
			grep_lines_mb_s = (double)text.len / 1e6 / t[runs / 2];
			printf("grep -Ec %7.1f MB/s  (the same, only counting matching lines: less work than finding each)\n",
			       grep_lines_mb_s);
		} else {
			printf("grep -E  failed to run\n");
		}
	}
	unlink(path);

	struct buf prompt = BUF_INIT;
	buf_append(&prompt, text.data + 5000000, PROMPT_BYTES);
	const char *words[] = { "Project Falcon", "internal-only" };
	struct guard_pattern pats[] = { { "employee_id", "EMP-[0-9]{6}" } };
	struct guard_config cfg = { words, 2, pats, 1 };
	double *lat = calloc(LAT_RUNS, sizeof *lat);
	for (int r = 0; r < LAT_RUNS; r++) {
		double t0 = clock_us() / 1e6;
		struct guard *pg = guard_new(&cfg, &e);
		struct guard_findings f = { 0 };
		guard_scan(pg, prompt.data, prompt.len, &f, &e);
		size_t rlen;
		free(guard_redact(pg, prompt.data, prompt.len, &f, &rlen));
		guard_findings_free(&f);
		guard_free(pg);
		lat[r] = (clock_us() / 1e6 - t0) * 1e6;
	}
	stats_sort(lat, LAT_RUNS);
	printf("latency  %7.1f us median, %.1f us p99  (guard_new + scan + redact of a 10 KB prompt, %d runs)\n",
	       lat[LAT_RUNS / 2], lat[LAT_RUNS * 99 / 100], LAT_RUNS);
	if (argc > 3) {
		struct corpus_score sc;
		memset(&sc, 0, sizeof sc);
		char *pos = NULL, *neg = NULL;
		if (asprintf(&pos, "%s/positive.tsv", argv[3]) < 0 || asprintf(&neg, "%s/negative.tsv", argv[3]) < 0 ||
		    corpus_score_file(g, pos, &sc) != 0 || corpus_score_file(g, neg, &sc) != 0)
			printf("corpus   cannot read %s\n", argv[3]);
		else
			corpus_print(stdout, "corpus   ", &sc);
		free(pos);
		free(neg);
	}
	printf("guard_mb_s=%.1f grep_mb_s=%.1f ratio=%.2f grep_lines_mb_s=%.1f ratio_lines=%.2f latency_us_p50=%.1f "
	       "latency_us_p99=%.1f findings=%zu\n",
	       guard_mb_s, grep_mb_s, grep_mb_s > 0 ? guard_mb_s / grep_mb_s : 0, grep_lines_mb_s,
	       grep_lines_mb_s > 0 ? guard_mb_s / grep_lines_mb_s : 0, lat[LAT_RUNS / 2],
	       lat[LAT_RUNS * 99 / 100], nfound);
	free(lat);
	free(t);
	buf_free(&prompt);
	buf_free(&text);
	guard_free(g);
	return 0;
}
