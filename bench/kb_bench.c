/* kb_bench — BM25 query latency of one knowledge base, as `aiwb kb search`
 * runs it (query building, filter-free BM25 top 10, details and highlights),
 * in process, after one warm-up pass.
 *
 *   kb_bench DB_PATH KB_NAME QUERIES.jsonl [REPS]
 *
 * Prints "queries=N p50_us=.. p95_us=.. mean_us=.. cpu_us_per_query=..". */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "base/clock.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "kb/search.h"
#include "kb/store.h"
#include "store/db.h"

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int64_t cpu_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: kb_bench DB_PATH KB_NAME QUERIES.jsonl [REPS]\n");
		return 2;
	}
	int reps = argc > 4 ? atoi(argv[4]) : 3;
	struct err e = ERR_INIT;
	struct db *db = db_open(argv[1], 5000, NULL, &e);
	struct kb kb;
	if (!db || kb_store_get(db, argv[2], &kb, &e) != 1) {
		fprintf(stderr, "kb_bench: %s\n", e.set ? e.msg : "no such KB");
		return 1;
	}
	size_t len;
	char *text = path_read_file(argv[3], &len, &e);
	if (!text) {
		fprintf(stderr, "kb_bench: %s\n", e.msg);
		return 1;
	}
	char **queries = NULL;
	size_t nq = 0;
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		cJSON *o = cJSON_Parse(l);
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "text");
		if (cJSON_IsString(t)) {
			queries = xreallocarray(queries, nq + 1, sizeof *queries);
			queries[nq++] = xstrdup(t->valuestring);
		}
		cJSON_Delete(o);
	}
	int64_t *lat = xcalloc(nq * (size_t)reps, sizeof *lat);
	size_t nl = 0;
	int64_t cpu0 = 0;
	for (int r = -1; r < reps; r++) {
		if (r == 0)
			cpu0 = cpu_us();
		for (size_t i = 0; i < nq; i++) {
			struct kb_search_opts o = { .query = queries[i], .k = 10, .with_text = 1 };
			struct kb_results res;
			int64_t t0 = clock_us();
			if (kb_search(db, &kb, &o, &res, &e) < 0) {
				fprintf(stderr, "kb_bench: %s\n", e.msg);
				return 1;
			}
			int64_t dt = clock_us() - t0;
			kb_results_free(&res);
			if (r >= 0)
				lat[nl++] = dt;
		}
	}
	int64_t cpu = cpu_us() - cpu0;
	qsort(lat, nl, sizeof *lat, cmp_i64);
	double mean = 0;
	for (size_t i = 0; i < nl; i++)
		mean += (double)lat[i];
	mean /= (double)(nl ? nl : 1);
	printf("queries=%zu p50_us=%lld p95_us=%lld mean_us=%.0f cpu_us_per_query=%.0f\n", nl,
	       (long long)lat[nl / 2], (long long)lat[nl * 95 / 100], mean, (double)cpu / (double)(nl ? nl : 1));
	for (size_t i = 0; i < nq; i++)
		free(queries[i]);
	free(queries);
	free(lat);
	free(text);
	kb_free(&kb);
	db_close(db);
	return 0;
}
