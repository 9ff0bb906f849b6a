/* history_bench — history search over many stored runs, beside a LIKE scan.
 *
 *   history_bench [RUNS [QUERIES]]     (defaults 100000 and 200)
 *
 * Fills a temporary database with RUNS realistic runs by running seed_history
 * (built beside this program), then times QUERIES queries of 1-3 words —
 * common, rare and absent words and prefixes, from a fixed-seed PRNG — through
 * history_find (20 hits ranked by bm25, with snippets, as `aiwb history
 * WORDS` asks); each query runs 3 times and its fastest time counts, so a
 * busy machine disturbs the figures less. The reference is the same words as a plain LIKE '%word%' scan
 * that reads every run (NOT INDEXED) and keeps the 20 newest holding all of
 * them, as a history without a full-text index would (timed once: it takes
 * hundreds of milliseconds). Prints the load average, both medians
 * and the p95, then one line:
 *   history_search_median_ms=... p95_ms=... like_scan_median_ms=... ratio=...
 * where ratio is the LIKE median over the history_find median. */
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/stats.h"
#include "base/xmalloc.h"
#include "store/db.h"
#include "store/history.h"

extern char **environ;

static const char *const common_words[] = {
	"the", "system", "latency", "tests", "memory", "caching", "explain", "example", "step", "durability",
};
static const char *const rare_words[] = {
	"quantization", "borrow", "sigv4", "jitter", "normalization", "arenas", "b-tree", "checklist",
	"migrations", "hashing", "quant*", "migr*",
};
static const char *const absent_words[] = { "zeppelin", "kumquat", "don't", "gpt-4o" };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static uint32_t rng = 0x2545f491u;

static unsigned below(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng % n;
}

static const char *pick_word(void)
{
	unsigned r = below(10);
	if (r < 5)
		return common_words[below(COUNT(common_words))];
	if (r < 9)
		return rare_words[below(COUNT(rare_words))];
	return absent_words[below(COUNT(absent_words))];
}

static int seed(const char *db_path, long runs)
{
	char self[PATH_MAX], count[32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	char *seeder = xasprintf("%.*s/seed_history", slash ? (int)(slash - self) : 1, slash ? self : ".");
	snprintf(count, sizeof count, "%ld", runs);
	char *path = xstrdup(db_path);
	char *argv[] = { seeder, path, count, NULL };
	pid_t pid;
	int status = -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	int rc = posix_spawn(&pid, seeder, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc == 0 && waitpid(pid, &status, 0) < 0)
		status = -1;
	if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "history_bench: %s failed (build it with make)\n", seeder);
	free(seeder);
	free(path);
	return rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static double time_search(struct db *db, const char *text, size_t *hits)
{
	struct history_query q = { text, NULL, 20, 0 };
	struct history_hit *h;
	size_t n;
	struct err e = ERR_INIT;
	int64_t t0 = clock_us();
	if (history_find(db, &q, &h, &n, &e) != 0) {
		fprintf(stderr, "history_bench: %s\n", e.msg);
		exit(1);
	}
	double ms = (double)(clock_us() - t0) / 1000.0;
	history_hits_free(h, n);
	*hits += n != 0;
	return ms;
}

static void like_pattern(struct buf *b, const char *word)
{
	buf_reset(b);
	buf_putc(b, '%');
	for (const char *p = word; *p; p++) {
		if (*p == '*' && !p[1])
			break;
		if (*p == '%' || *p == '_' || *p == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *p);
	}
	buf_putc(b, '%');
}

struct bench_query {
	char *text;
	const char *words[3];
	int nwords;
};

static double time_like(struct db *db, const char *const *words, int nwords)
{
	struct buf sql = BUF_INIT, pat = BUF_INIT;
	buf_puts(&sql, "SELECT id FROM runs NOT INDEXED WHERE ");
	for (int i = 1; i <= nwords; i++)
		buf_printf(&sql, "%s(prompt LIKE ?%d ESCAPE '\\' OR output LIKE ?%d ESCAPE '\\')", i > 1 ? " AND " : "",
			   i, i);
	buf_puts(&sql, " ORDER BY created_ms DESC LIMIT 20");
	int64_t t0 = clock_us();
	sqlite3_stmt *st = db_prepare(db, buf_str(&sql), NULL);
	if (!st)
		exit(1);
	for (int i = 0; i < nwords; i++) {
		like_pattern(&pat, words[i]);
		sqlite3_bind_text(st, i + 1, buf_str(&pat), -1, SQLITE_TRANSIENT);
	}
	while (sqlite3_step(st) == SQLITE_ROW)
		;
	sqlite3_finalize(st);
	double ms = (double)(clock_us() - t0) / 1000.0;
	buf_free(&sql);
	buf_free(&pat);
	return ms;
}

static void remove_db(const char *dir, const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < COUNT(suffixes); i++) {
		char *p = xasprintf("%s%s", path, suffixes[i]);
		unlink(p);
		free(p);
	}
	rmdir(dir);
}

int main(int argc, char **argv)
{
	long runs = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
	long nq = argc > 2 ? strtol(argv[2], NULL, 10) : 200;
	if (argc > 3 || runs < 1 || nq < 1) {
		fprintf(stderr, "usage: history_bench [RUNS [QUERIES]]\n");
		return EXIT_USAGE;
	}
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/aiwb-history-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("history_bench: mkdtemp");
		return EXIT_FAIL;
	}
	char *path = xasprintf("%s/aiwb.db", dir);
	int64_t t0 = clock_us();
	if (seed(path, runs) != 0) {
		remove_db(dir, path);
		return EXIT_FAIL;
	}
	double seed_s = (double)(clock_us() - t0) / 1e6;
	struct err e = ERR_INIT;
	struct db *db = db_open(path, 5000, NULL, &e);
	if (!db) {
		fprintf(stderr, "history_bench: %s\n", e.msg);
		remove_db(dir, path);
		return EXIT_FAIL;
	}

	struct bench_query *queries = xcalloc((size_t)nq, sizeof *queries);
	for (long i = 0; i < nq; i++) {
		struct bench_query *bq = &queries[i];
		struct buf q = BUF_INIT;
		bq->nwords = 1 + (int)below(3);
		for (int w = 0; w < bq->nwords; w++) {
			bq->words[w] = pick_word();
			buf_printf(&q, "%s%s", w ? " " : "", bq->words[w]);
		}
		bq->text = buf_detach(&q);
	}

	size_t with_hits = 0, ignored = 0;
	for (long i = 0; i < nq && i < 10; i++)
		time_search(db, queries[i].text, &ignored);
	double *fts = xcalloc((size_t)nq, sizeof *fts), *like = xcalloc((size_t)nq, sizeof *like);
	for (long i = 0; i < nq; i++) {
		fts[i] = time_search(db, queries[i].text, &with_hits);
		for (int rep = 0; rep < 2; rep++) {
			double ms = time_search(db, queries[i].text, &ignored);
			if (ms < fts[i])
				fts[i] = ms;
		}
	}
	for (long i = 0; i < nq; i++)
		like[i] = time_like(db, queries[i].words, queries[i].nwords);

	double fts_max = 0;
	for (long i = 0; i < nq; i++)
		if (fts[i] > fts_max)
			fts_max = fts[i];
	double fts_median = stats_nearest_rank(fts, (size_t)nq, 0.5), fts_p95 = stats_nearest_rank(fts, (size_t)nq, 0.95);
	double like_median = stats_nearest_rank(like, (size_t)nq, 0.5), like_p95 = stats_nearest_rank(like, (size_t)nq, 0.95);
	double load = -1;
	FILE *fp = fopen("/proc/loadavg", "r");
	if (fp) {
		if (fscanf(fp, "%lf", &load) != 1)
			load = -1;
		fclose(fp);
	}
	printf("%lld runs seeded in %.1f s; %ld queries of 1-3 words, %zu with hits; load %.2f on %ld cores\n",
	       (long long)db_run_count(db), seed_s, nq, with_hits, load, sysconf(_SC_NPROCESSORS_ONLN));
	printf("%-52s %10s %10s %10s\n", "", "median ms", "p95 ms", "max ms");
	printf("%-52s %10.3f %10.3f %10.3f\n", "history_find (FTS5, bm25, snippets, 20), best of 3", fts_median, fts_p95, fts_max);
	printf("%-52s %10.3f %10.3f\n", "reference: LIKE '%word%' scan of every run", like_median, like_p95);
	printf("target: history_find median < 5 ms\n");
	printf("history_search_median_ms=%.3f p95_ms=%.3f like_scan_median_ms=%.3f ratio=%.1f\n", fts_median, fts_p95,
	       like_median, fts_median > 0 ? like_median / fts_median : 0.0);

	for (long i = 0; i < nq; i++)
		free(queries[i].text);
	free(queries);
	free(fts);
	free(like);
	db_close(db);
	remove_db(dir, path);
	free(path);
	free(dir);
	return EXIT_OK;
}
