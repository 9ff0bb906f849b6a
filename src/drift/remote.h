/* drift/remote — drift's files on S3 (s3://bucket/prefix), through net/s3.h.
 *
 * Data: an s3:// URI naming an object is that object; one naming a prefix
 * ("s3://b/data/current" or ".../current/") is every object under it, in key
 * order (ListObjectsV2, every page), concatenated: each CSV part's header
 * line is dropped when it repeats the first part's; names starting with '.'
 * or '_' (_SUCCESS, .crc) and empty "folder" keys are skipped; all parts
 * share one suffix, and several CSV parts cannot be .gz. The bytes go to a
 * temporary file (0600, $TMPDIR, named with the object's suffix so the
 * format is told as for a local file) that the caller reads and removes.
 *
 * Model Monitor files: statistics.json and constraints.json directly under
 * the prefix (found by listing it), and any file written to a local
 * directory uploaded under a prefix with PutObject.
 *
 * All calls block, running the loop given to drift_remote_open until done. */
#ifndef AIWB_DRIFT_REMOTE_H
#define AIWB_DRIFT_REMOTE_H

#include <cjson/cJSON.h>

#include "base/err.h"
#include "drift/monitor.h"

struct loop;
struct drift_remote;

/* NULL with e when AWS credentials, region or the S3 endpoint are missing. */
struct drift_remote *drift_remote_open(struct loop *l, struct err *e);
void drift_remote_close(struct drift_remote *r);

/* The local temporary copy of the data at uri (caller unlinks and frees), or
 * NULL with e. */
char *drift_remote_fetch_data(struct drift_remote *r, const char *uri, struct err *e);

struct monitor_baseline *drift_remote_read_baseline(struct drift_remote *r, const char *uri, struct err *e);

/* Uploads dir/names[i] to prefix/names[i] (JSON). 0, or -1 with e. */
int drift_remote_put_files(struct drift_remote *r, const char *dir, const char *const *names, size_t n,
			   const char *uri, struct err *e);

/* The JSON object at uri/name (name may be NULL: uri is the object). NULL with e. */
cJSON *drift_remote_read_json(struct drift_remote *r, const char *uri, const char *name, struct err *e);

/* "prefix/name" with one '/' between (prefix may be ""). Caller frees. */
char *drift_remote_key(const char *prefix, const char *name);

#endif
