#include "jobs/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "jobs/local.h"
#include "jobs/metrics.h"
#include "jobs/tfevents.h"

struct ingest {
	struct db *db;
	struct jobreg_inserter *w;
	int64_t job_id;
	const char *origin;
	int64_t now_ms;
	int points;
	int failed;
};

static void on_point(void *ud, const struct metric_point *p)
{
	struct ingest *in = ud;
	int64_t t = p->time_s > 0 ? (int64_t)(p->time_s * 1000) : in->now_ms;
	if (jobreg_inserter_add(in->w, in->job_id, p, t, in->origin) < 0)
		in->failed = 1;
	else
		in->points++;
}

static void on_tf_scalar(void *ud, const char *tag, size_t tag_len, int64_t step, double wall, double value)
{
	char name[METRIC_NAME_MAX + 1];
	if (tag_len > METRIC_NAME_MAX)
		return;
	memcpy(name, tag, tag_len);
	name[tag_len] = '\0';
	struct metric_point p = {.name = name, .value = value, .has_step = 1, .step = step, .time_s = wall};
	on_point(ud, &p);
}

char *job_file_read(const char *path, int64_t offset, size_t *len, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return NULL;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) || st->st_size < offset) {
		close(fd);
		return NULL;
	}
	size_t want = (size_t)(st->st_size - offset);
	if (want > LOCAL_READ_MAX)
		want = LOCAL_READ_MAX;
	char *data = xmalloc(want + 1);
	size_t got = 0;
	while (got < want) {
		ssize_t r = pread(fd, data + got, want - got, offset + (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	data[got] = '\0';
	*len = got;
	return data;
}

/* What an appended-to file holds past where the last read of it stopped
 * (*offset; the registry's job_files row of origin); NULL when nothing new. */
static char *read_on(struct ingest *in, const char *path, const char *origin, const struct stat *st, int64_t *offset,
		     size_t *len, struct stat *now)
{
	int64_t size = 0, mtime = 0;
	*offset = 0;
	jobreg_file_get(in->db, in->job_id, origin, offset, &size, &mtime);
	if (*offset < 0 || st->st_size <= *offset)
		return NULL;
	return job_file_read(path, *offset, len, now);
}

static void ingest_events(struct ingest *in, const char *path, const char *origin, const struct stat *st)
{
	int64_t offset;
	size_t len;
	struct stat now;
	char *data = read_on(in, path, origin, st, &offset, &len, &now);
	if (!data)
		return;
	size_t at = 0;
	for (;;) {
		const uint8_t *rec;
		size_t rec_len, used;
		struct err e = ERR_INIT;
		int r = tfrecord_next((const uint8_t *)data + at, len - at, &rec, &rec_len, &used, &e);
		if (r < 0) {
			offset = -1; /* damaged: read no further */
			at = 0;
			break;
		}
		if (r == 0)
			break;
		in->origin = origin;
		tfevent_scalars(rec, rec_len, on_tf_scalar, in, NULL);
		at += used;
	}
	free(data);
	jobreg_file_set(in->db, in->job_id, origin, offset < 0 ? -1 : offset + (int64_t)at, (int64_t)now.st_size,
			(int64_t)now.st_mtim.tv_sec * 1000000000 + now.st_mtim.tv_nsec, NULL);
}

static void ingest_csv(struct ingest *in, const char *path, const char *origin, const struct stat *st)
{
	int64_t offset = 0, size = -1, mtime = 0;
	int64_t now_mtime = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	if (jobreg_file_get(in->db, in->job_id, origin, &offset, &size, &mtime) && size == st->st_size &&
	    mtime == now_mtime)
		return;
	size_t len;
	struct stat now;
	char *data = job_file_read(path, 0, &len, &now);
	if (!data)
		return;
	/* CSV loggers rewrite the file when a new column appears: read it whole again */
	jobreg_delete_points(in->db, in->job_id, origin, NULL);
	in->origin = origin;
	metric_csv(data, len, on_point, in, NULL);
	free(data);
	jobreg_file_set(in->db, in->job_id, origin, (int64_t)len, (int64_t)now.st_size,
			(int64_t)now.st_mtim.tv_sec * 1000000000 + now.st_mtim.tv_nsec, NULL);
}

/* JSON lines appended by the job's supervisor (jobs/gpu.h), read on from
 * where the last read stopped. */
static void ingest_jsonl(struct ingest *in, const char *path, const char *origin, const struct stat *st)
{
	int64_t offset;
	size_t len;
	struct stat now;
	char *data = read_on(in, path, origin, st, &offset, &len, &now);
	if (!data)
		return;
	in->origin = origin;
	size_t used = metric_scan_text(NULL, data, len, 0, on_point, in);
	free(data);
	jobreg_file_set(in->db, in->job_id, origin, offset + (int64_t)used, (int64_t)now.st_size,
			(int64_t)now.st_mtim.tv_sec * 1000000000 + now.st_mtim.tv_nsec, NULL);
}

struct scan {
	struct ingest *in;
	const char *label;
	int depth;
};

static void scan_dir(struct ingest *in, const char *dir, const char *label, int depth);

static int scan_entry(void *ud, const char *path, const char *name, const struct stat *st)
{
	const struct scan *s = ud;
	char *origin = xasprintf("%s/%s", s->label, name);
	if (S_ISDIR(st->st_mode) && s->depth > 0)
		scan_dir(s->in, path, origin, s->depth - 1);
	else if (S_ISREG(st->st_mode) && strncmp(name, "events.out.tfevents.", 20) == 0)
		ingest_events(s->in, path, origin, st);
	else if (S_ISREG(st->st_mode) && strcmp(name, "metrics.csv") == 0)
		ingest_csv(s->in, path, origin, st);
	else if (S_ISREG(st->st_mode) && strcmp(name, "gpu.jsonl") == 0 && strcmp(s->label, ".") == 0)
		ingest_jsonl(s->in, path, origin, st);
	free(origin);
	return 0;
}

static void scan_dir(struct ingest *in, const char *dir, const char *label, int depth)
{
	struct scan s = { in, label, depth };
	path_each_entry(dir, scan_entry, &s);
}

/* Metrics from the job's directory and log directory; a new point is activity. */
static void scan_job_dirs(struct ingest *in, struct job *j)
{
	if (j->dir)
		scan_dir(in, j->dir, ".", 3);
	if (j->logdir)
		scan_dir(in, j->logdir, j->logdir, 3);
	if (in->points)
		j->activity_ms = in->now_ms;
}

/* Compiled rules by job: JIT compiling on every poll would cost more than the
 * matching itself. A small cache, keyed by the job row and its rule text. */
#define RULES_CACHE 64
static struct {
	int64_t job_id;
	char *text;
	struct metric_rules *rules;
	uint64_t used;
} rules_cache[RULES_CACHE];
static uint64_t rules_clock;

static void rules_cache_free(void)
{
	for (int i = 0; i < RULES_CACHE; i++) {
		metric_rules_free(rules_cache[i].rules);
		free(rules_cache[i].text);
		rules_cache[i].rules = NULL;
		rules_cache[i].text = NULL;
	}
}

static struct metric_rules *rules_of(const struct job *j)
{
	const char *text = j->rules ? j->rules : "";
	int slot = 0;
	if (!rules_clock)
		atexit(rules_cache_free);
	for (int i = 0; i < RULES_CACHE; i++) {
		if (rules_cache[i].rules && rules_cache[i].job_id == j->id && strcmp(rules_cache[i].text, text) == 0) {
			rules_cache[i].used = ++rules_clock;
			return rules_cache[i].rules;
		}
		if (rules_cache[i].used < rules_cache[slot].used)
			slot = i;
	}
	metric_rules_free(rules_cache[slot].rules);
	free(rules_cache[slot].text);
	struct metric_rules *r = metric_rules_new();
	char *copy = xstrdup(text), *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		metric_rules_add(r, line, NULL);
	free(copy);
	rules_cache[slot].job_id = j->id;
	rules_cache[slot].text = xstrdup(text);
	rules_cache[slot].rules = r;
	rules_cache[slot].used = ++rules_clock;
	return r;
}

static void ingest_log(struct ingest *in, struct job *j, int final)
{
	if (!j->log_path)
		return;
	size_t len;
	struct stat st;
	char *data = job_file_read(j->log_path, j->log_offset, &len, &st);
	if (!data || len == 0) {
		free(data);
		return;
	}
	struct metric_rules *rules = rules_of(j);
	in->origin = "log";
	int more = (off_t)(j->log_offset + (int64_t)len) < st.st_size;
	size_t used = metric_scan_text(rules, data, len, final && !more, on_point, in);
	if (used == 0 && len == LOCAL_READ_MAX)
		used = len; /* one line longer than the window: skip past it */
	j->log_offset += (int64_t)used;
	j->activity_ms = in->now_ms;
	free(data);
}

int job_ingest_files(struct jobreg_inserter *w, struct job *j, int read_log, int final)
{
	struct ingest in = {.db = w->db, .w = w, .job_id = j->id, .now_ms = clock_wall_ms()};
	if (read_log)
		ingest_log(&in, j, final);
	scan_job_dirs(&in, j);
	return in.failed ? -1 : in.points;
}
