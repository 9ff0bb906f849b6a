/* ingest — what a job wrote to files here, read into the registry: new log
 * bytes through the job's metric rules (jobs/metrics.h), TensorBoard event
 * files (events.out.tfevents.*) and metrics.csv files found in the job's
 * directory and logdir (3 levels deep), and the GPU samples a local job's
 * supervisor appends to gpu.jsonl in its directory (jobs/gpu.h). Used by every source whose logs are
 * files on this machine (jobs/local.h, jobs/slurm.h). Synchronous file and
 * SQLite work, bounded per call by LOCAL_READ_MAX bytes of log. */
#ifndef AIWB_JOBS_INGEST_H
#define AIWB_JOBS_INGEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "jobs/job.h"
#include "jobs/registry.h"

/* Reads what is new for j through w (inside the caller's transaction, if
 * any): the log from j->log_offset when read_log (final: the job has ended,
 * so a last line without a newline counts), then the event and CSV files.
 * Advances j->log_offset; reading sets j->activity_ms. Returns the number of
 * points added, or -1 when one could not be saved. */
int job_ingest_files(struct jobreg_inserter *w, struct job *j, int read_log, int final);

/* At most LOCAL_READ_MAX bytes of the regular file path from offset (a link
 * is not followed), NUL-terminated, with its size in *len and its stat in
 * *st; caller frees. NULL (errno set) when it cannot be read. */
char *job_file_read(const char *path, int64_t offset, size_t *len, struct stat *st);

#endif
