#include "drift/remote.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "net/s3.h"

#define JSON_MAX ((size_t)256 << 20)

struct drift_remote {
	struct s3 *s3;
	struct loop *loop;
};

struct drift_remote *drift_remote_open(struct loop *l, struct err *e)
{
	struct s3 *s3 = s3_new(NULL, NULL, e);
	if (!s3)
		return NULL;
	struct drift_remote *r = xcalloc(1, sizeof *r);
	r->s3 = s3;
	r->loop = l;
	return r;
}

void drift_remote_close(struct drift_remote *r)
{
	if (!r)
		return;
	s3_free(r->s3);
	free(r);
}

char *drift_remote_key(const char *prefix, const char *name)
{
	size_t n = strlen(prefix);
	if (!n)
		return xstrdup(name);
	return xasprintf("%s%s%s", prefix, prefix[n - 1] == '/' ? "" : "/", name);
}

static const char *base_name(const char *key)
{
	const char *s = strrchr(key, '/');
	return s ? s + 1 : key;
}

/* ".csv", ".jsonl.gz", ... of a key's last part; "" when none. */
static const char *suffix_of(const char *key)
{
	const char *b = base_name(key);
	size_t n = strlen(b);
	if (n > 3 && strcmp(b + n - 3, ".gz") == 0) {
		const char *dot = NULL;
		for (const char *p = b; p < b + n - 3; p++)
			if (*p == '.')
				dot = p;
		return dot && dot != b ? dot : b + n - 3;
	}
	const char *dot = strrchr(b, '.');
	return dot && dot != b ? dot : "";
}

static int is_gz(const char *suffix)
{
	size_t n = strlen(suffix);
	return n >= 3 && strcmp(suffix + n - 3, ".gz") == 0;
}

static int is_csv(const char *suffix)
{
	return strncmp(suffix, ".csv", 4) == 0 || strncmp(suffix, ".tsv", 4) == 0 || !*suffix;
}

static int temp_file(const char *suffix, char **path, struct err *e)
{
	const char *dir = getenv("TMPDIR");
	char *p = xasprintf("%s/aiwb-drift-XXXXXX%s", dir && *dir ? dir : "/tmp", suffix);
	int fd = mkstemps(p, (int)strlen(suffix));
	if (fd < 0) {
		err_errno(e, "cannot make a temporary file for the S3 data");
		free(p);
		return -1;
	}
	fchmod(fd, 0600);
	*path = p;
	return fd;
}

/* The first line of s, without CR and BOM. */
static size_t first_line(const char *s, size_t n, const char **start)
{
	if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
		s += 3;
		n -= 3;
	}
	*start = s;
	const char *nl = memchr(s, '\n', n);
	size_t len = nl ? (size_t)(nl - s) : n;
	if (len && s[len - 1] == '\r')
		len--;
	return len;
}

static int skipped(const struct s3_object *o)
{
	const char *b = base_name(o->key);
	size_t n = strlen(o->key);
	return !*b || b[0] == '.' || b[0] == '_' || (n && o->key[n - 1] == '/');
}

/* Appends each part to fd, dropping repeated CSV header lines. */
static int concat_parts(struct drift_remote *r, const char *bucket, const struct s3_object *v, size_t n, int csv,
			int fd, struct err *e)
{
	char *header = NULL;
	size_t header_len = 0;
	int rc = 0, last_nl = 1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct buf b = BUF_INIT;
		if (s3_get(r->s3, r->loop, bucket, v[i].key, 0, &b, e) != 0) {
			rc = -1;
		} else {
			const char *data = b.data ? b.data : "", *line;
			size_t len = b.len, skip = 0;
			size_t ll = first_line(data, len, &line);
			if (csv && !header) {
				header = xstrndup(line, ll);
				header_len = ll;
			} else if (csv && ll == header_len && memcmp(line, header, ll) == 0) {
				const char *nl = memchr(data, '\n', len);
				skip = nl ? (size_t)(nl - data) + 1 : len;
			}
			if (len > skip && !last_nl && path_write_all(fd, "\n", 1) != 0)
				rc = err_errno(e, "cannot write the S3 data to a temporary file");
			if (rc == 0 && path_write_all(fd, data + skip, len - skip) != 0)
				rc = err_errno(e, "cannot write the S3 data to a temporary file");
			if (len > skip)
				last_nl = data[len - 1] == '\n';
		}
		buf_free(&b);
	}
	free(header);
	return rc;
}

char *drift_remote_fetch_data(struct drift_remote *r, const char *uri, struct err *e)
{
	char *bucket, *key;
	if (s3_uri_parse(uri, &bucket, &key, e) != 0)
		return NULL;
	struct s3_object *v = NULL;
	size_t n = 0;
	char *path = NULL;
	int fd = -1;
	if (s3_list(r->s3, r->loop, bucket, key, &v, &n, e) != 0)
		goto out;
	/* the object itself, when the URI names one */
	for (size_t i = 0; i < n && *key; i++) {
		if (strcmp(v[i].key, key) != 0)
			continue;
		if ((fd = temp_file(suffix_of(key), &path, e)) < 0)
			goto out;
		if (s3_get_to_fd(r->s3, r->loop, bucket, key, fd, e) != 0) {
			unlink(path);
			free(path);
			path = NULL;
		}
		goto out;
	}
	/* else every object under the prefix as a folder */
	size_t kl = strlen(key), m = 0;
	for (size_t i = 0; i < n; i++) {
		int inside = kl == 0 || key[kl - 1] == '/' || v[i].key[kl] == '/';
		if (inside && !skipped(&v[i]))
			v[m++] = v[i];
		else {
			free(v[i].key);
			free(v[i].last_modified);
			free(v[i].etag);
		}
	}
	n = m;
	if (n == 0) {
		err_set(e, "there is no object at %s, nor under it as a prefix", uri);
		goto out;
	}
	const char *suffix = suffix_of(v[0].key);
	for (size_t i = 1; i < n; i++)
		if (strcmp(suffix_of(v[i].key), suffix) != 0) {
			err_set(e, "the objects under %s do not share one format (%s and %s): name one object, or a prefix "
				   "holding parts of one data set",
				uri, v[0].key, v[i].key);
			goto out;
		}
	int csv = is_csv(suffix) && !strstr(suffix, ".json");
	if (n > 1 && csv && is_gz(suffix)) {
		err_set(e, "%s holds %zu gzipped CSV parts; aiwb reads one .gz CSV object or several uncompressed ones",
			uri, n);
		goto out;
	}
	if ((fd = temp_file(suffix, &path, e)) < 0)
		goto out;
	if (concat_parts(r, bucket, v, n, csv, fd, e) != 0) {
		unlink(path);
		free(path);
		path = NULL;
	}
out:
	if (fd >= 0 && close(fd) != 0 && path) {
		err_errno(e, "cannot write the S3 data to a temporary file");
		unlink(path);
		free(path);
		path = NULL;
	}
	s3_objects_free(v, n);
	free(bucket);
	free(key);
	return path;
}

/* The object prefix/name (at most JSON_MAX bytes) into b. */
static int get_text(struct drift_remote *r, const char *bucket, const char *prefix, const char *name, struct buf *b,
		    struct err *e)
{
	char *k = name ? drift_remote_key(prefix, name) : xstrdup(prefix);
	int rc = s3_get(r->s3, r->loop, bucket, k, JSON_MAX, b, e);
	free(k);
	return rc;
}

struct monitor_baseline *drift_remote_read_baseline(struct drift_remote *r, const char *uri, struct err *e)
{
	char *bucket, *prefix;
	if (s3_uri_parse(uri, &bucket, &prefix, e) != 0)
		return NULL;
	struct monitor_baseline *mb = NULL;
	struct s3_object *v = NULL;
	size_t n = 0;
	struct buf stats = BUF_INIT, cons = BUF_INIT;
	char *want_s = drift_remote_key(prefix, "statistics.json"), *want_c = drift_remote_key(prefix, "constraints.json");
	if (s3_list(r->s3, r->loop, bucket, prefix, &v, &n, e) != 0)
		goto out;
	int has_s = 0, has_c = 0;
	for (size_t i = 0; i < n; i++) {
		has_s |= strcmp(v[i].key, want_s) == 0;
		has_c |= strcmp(v[i].key, want_c) == 0;
	}
	if (!has_s || !has_c) {
		err_set(e, "%s has no %s (%zu object%s under that prefix); give the prefix a baseline was written to "
			   "(aiwb drift baseline -o, or a SageMaker baselining job's output)",
			uri, !has_s && !has_c ? "statistics.json and constraints.json" : !has_s ? "statistics.json"
											  : "constraints.json",
			n, n == 1 ? "" : "s");
		goto out;
	}
	if (get_text(r, bucket, prefix, "statistics.json", &stats, e) == 0 &&
	    get_text(r, bucket, prefix, "constraints.json", &cons, e) == 0)
		mb = monitor_parse_baseline(uri, buf_str(&stats), stats.len, buf_str(&cons), cons.len, e);
out:
	buf_free(&stats);
	buf_free(&cons);
	s3_objects_free(v, n);
	free(want_s);
	free(want_c);
	free(bucket);
	free(prefix);
	return mb;
}

int drift_remote_put_files(struct drift_remote *r, const char *dir, const char *const *names, size_t n,
			   const char *uri, struct err *e)
{
	char *bucket, *prefix;
	if (s3_uri_parse(uri, &bucket, &prefix, e) != 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		size_t len;
		char *data = path_read_file(path, &len, e);
		if (!data) {
			rc = -1;
		} else {
			char *key = drift_remote_key(prefix, names[i]);
			rc = s3_put(r->s3, r->loop, bucket, key, data, len, "application/json", e);
			free(key);
		}
		free(data);
		free(path);
	}
	free(bucket);
	free(prefix);
	return rc;
}

cJSON *drift_remote_read_json(struct drift_remote *r, const char *uri, const char *name, struct err *e)
{
	char *bucket, *prefix;
	if (s3_uri_parse(uri, &bucket, &prefix, e) != 0)
		return NULL;
	struct buf b = BUF_INIT;
	cJSON *doc = NULL;
	if (get_text(r, bucket, prefix, name, &b, e) == 0) {
		doc = cJSON_ParseWithLength(buf_str(&b), b.len);
		if (!cJSON_IsObject(doc)) {
			cJSON_Delete(doc);
			doc = NULL;
			err_set(e, "%s%s%s is not a JSON object", uri, name ? "/" : "", name ? name : "");
		}
	}
	buf_free(&b);
	free(bucket);
	free(prefix);
	return doc;
}
