/* Slurm output parsers: squeue --json (and slurmrestd's jobs, the same
 * JSON) never crashes and gives keys that name jobs; every StdOut pattern
 * expands; scontrol -o pairs lie inside the line and in order; sacct rows
 * come only after a header with JobID; array task lists count to -1 or a
 * sane number and expand to at most the ids asked for, within the count and
 * in range; the exit pair parses to a code or a signal in range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/slurm.h"
#include "jobs/slurm_text.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_job(void *ud, const struct slurm_job *j)
{
	(void)ud;
	require(j->job_id > 0);
	char *k = slurm_job_key(j);
	require(k && *k);
	free(k);
	char *p = slurm_expand_path(j->std_out ? j->std_out : "slurm-%j.out", j);
	require(p != NULL);
	free(p);
}

struct span {
	const char *line, *end, *last;
};

static int on_kv(void *ud, const char *k, size_t kl, const char *v, size_t vl)
{
	struct span *s = ud;
	require(kl > 0 && k >= s->line && v + vl <= s->end && k + kl + 1 == v && k >= s->last);
	require(k[kl] == '=');
	s->last = v + vl;
	return 0;
}

static void on_row(void *ud, const struct slurm_acct_row *r)
{
	(void)ud;
	require(r->job_id && *r->job_id && r->state && !strchr(r->state, ' '));
	int code, sig;
	slurm_parse_exit_pair(r->exit_code, &code, &sig);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct err e = ERR_INIT;
	int r = slurm_parse_squeue(text, size, on_job, NULL, &e);
	require(r == 0 || (r == -1 && e.set));

	struct span s = {text, text + size, text};
	int pairs = slurm_parse_scontrol_line(text, size, on_kv, &s);
	require(pairs >= 0);

	slurm_parse_sacct(text, size, on_row, NULL);

	char *z = malloc(size + 1);
	memcpy(z, data, size);
	z[size] = '\0';
	int64_t n = slurm_array_count(z);
	require(n >= -1 && n <= 100000000);
	int64_t ids[64];
	size_t got = 99;
	int64_t total = slurm_array_expand(z, ids, 64, &got);
	require(total == n && got <= 64 && (int64_t)got <= (total < 0 ? 0 : total));
	require(total < 0 ? got == 0 : got == (size_t)(total < 64 ? total : 64));
	for (size_t i = 0; i < got; i++)
		require(ids[i] >= 0 && ids[i] <= 4000000000LL);
	struct slurm_job j = {.job_id = 7, .array_job_id = 5, .array_task_id = 2, .name = z, .user = z, .nodes = z};
	char *p = slurm_expand_path(z, &j);
	require(p != NULL);
	free(p);
	int code, sig, x = slurm_parse_exit_pair(z, &code, &sig);
	require(x == -1 || (x == 0 && code >= 0 && code <= 255) || (x == 1 && sig > 0 && sig <= 255));
	slurm_parse_time(z);
	free(z);
	return 0;
}
