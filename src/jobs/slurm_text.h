/* slurm_text — Slurm's text outputs, parsed (issue 12, item 3):
 *
 * `scontrol show job -o`: one job per line as space-separated Key=Value. The
 * format is ambiguous where a value holds spaces ("JobName=my job") or '='
 * ("Comment=a=b c"): a space starts a new pair only when the word after it is
 * KEY= with KEY as scontrol writes keys (a capital letter, then letters,
 * digits and _ : /); anything else belongs to the value before it.
 *
 * `sacct -P` (with its header row, so columns go by name, and `sacct -c`,
 * the job-completion file, in the same shape): JobID, JobName, State,
 * ExitCode ("3:0" = exit 3, "0:15" = signal 15), Submit/Start/End
 * (local time "2026-12-07T09:36:11", "Unknown"/"None" = not known),
 * NodeList, Partition, User. A State like "CANCELLED by 0" is cut to its
 * first word.
 *
 * Array task lists as Slurm writes them ("2-5", "1,3,5-7", "0-15:4%2"; the
 * %N throttle is ignored): counted, and expanded into task ids. */
#ifndef AIWB_JOBS_SLURM_TEXT_H
#define AIWB_JOBS_SLURM_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Calls fn for each Key=Value of one line (key and value not NUL-terminated;
 * fn non-zero stops). Returns the number of pairs. */
typedef int (*slurm_kv_fn)(void *ud, const char *key, size_t klen, const char *val, size_t vlen);
int slurm_parse_scontrol_line(const char *line, size_t n, slurm_kv_fn fn, void *ud);

struct slurm_acct_row {
	const char *job_id, *name, *state, *exit_code, *node_list, *partition, *user; /* "" when absent */
	int64_t submit_s, start_s, end_s; /* 0: not known */
};
typedef void (*slurm_acct_fn)(void *ud, const struct slurm_acct_row *r);
/* Parses `sacct -P` output with its header; rows are borrowed for the call.
 * Returns the number of rows, or -1 when there is no header with JobID. */
int slurm_parse_sacct(const char *text, size_t n, slurm_acct_fn fn, void *ud);

/* "2026-12-07T09:36:11" (local time) to Unix seconds; 0 for "Unknown",
 * "None", "N/A" or anything else. */
int64_t slurm_parse_time(const char *s);
/* sacct's "CODE:SIGNAL": 1 signalled (*signal set), 0 exited (*code set), -1 not that form. */
int slurm_parse_exit_pair(const char *s, int *code, int *signal);
/* Tasks in an array task list, throttle (%N) ignored; -1 when it is not one. */
int64_t slurm_array_count(const char *spec);
/* The first (at most max) task ids of an array task list, in the order
 * written, into ids with their number in *n. Returns the number of tasks in
 * the list (more than *n when the list is longer than max), or -1 when it is
 * not one (*n 0). */
int64_t slurm_array_expand(const char *spec, int64_t *ids, size_t max, size_t *n);
/* 1 when task id is in the list, else 0 (also when it is not a list). */
int slurm_array_has(const char *spec, int64_t id);

#endif
