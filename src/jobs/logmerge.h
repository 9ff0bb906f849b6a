/* logmerge — one log from a job's several output files (issue 12): a Slurm
 * job whose StdErr is a file apart from its StdOut has both read into one
 * log here, as a local job's stdout and stderr share its output.log, so
 * `jobs logs`, `logs -f`, the Jobs pane and the metric rules read one file.
 *
 * Each call appends to dest what is new in each source since the last call,
 * whole lines only (a last line without its newline waits for it, unless
 * final: then it is ended with one), source after source in the order given.
 * Lines of different sources are thus interleaved in the order aiwb sees
 * them, one call's worth apart, and are not tagged, so metric rules and JSON
 * lines parse them as written. How far each source was read is kept in the
 * registry (job_files rows of the job, origin "merge:PATH"), and so is
 * dest's size ("merged:DEST"): bytes past it, appended by a call whose
 * transaction was then rolled back, are cut before appending again, so a
 * rollback never doubles lines. A source that
 * shrank was replaced (a requeued job) and is read again from its start; when
 * dest is gone, every source is read again from its start. At most
 * LOCAL_READ_MAX bytes of each source per call; a line longer than that is
 * passed on in pieces. dest and its directory are created 0600 / 0700. */
#ifndef AIWB_JOBS_LOGMERGE_H
#define AIWB_JOBS_LOGMERGE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "store/db.h"

/* Bytes appended to dest (0: nothing new), or -1 with e. A source that does
 * not exist (yet) is skipped. */
int64_t job_log_merge(struct db *db, int64_t job_id, const char *const *sources, size_t n, const char *dest, int final,
		      struct err *e);

#endif
