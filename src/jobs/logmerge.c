#include "jobs/logmerge.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "jobs/ingest.h"
#include "jobs/local.h"
#include "jobs/registry.h"

static int open_dest(const char *dest, struct err *e)
{
	char *dir = xstrdup(dest);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (path_mkdirs(dir, 0700, e) < 0) {
			free(dir);
			return -1;
		}
	}
	free(dir);
	int fd = open(dest, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		err_errno(e, "cannot write %s", dest);
	return fd;
}

/* dest's size as the registry last kept it: what lies past it was appended by
 * a merge whose transaction was rolled back, and is appended again now. */
static int drop_unkept(struct db *db, int64_t job_id, const char *key, const char *dest, const struct stat *dst,
		       struct err *e)
{
	int64_t kept, size, mtime;
	if (!jobreg_file_get(db, job_id, key, &kept, &size, &mtime) || dst->st_size <= kept)
		return 0;
	return truncate(dest, kept) < 0 ? err_errno(e, "cannot cut %s back", dest) : 0;
}

int64_t job_log_merge(struct db *db, int64_t job_id, const char *const *sources, size_t n, const char *dest, int final,
		      struct err *e)
{
	struct stat dst;
	int fresh = lstat(dest, &dst) < 0;
	char *key = xasprintf("merged:%s", dest);
	if (!fresh && drop_unkept(db, job_id, key, dest, &dst, e) < 0) {
		free(key);
		return -1;
	}
	int fd = -1;
	int64_t added = 0;
	for (size_t i = 0; i < n; i++) {
		char *origin = xasprintf("merge:%s", sources[i]);
		int64_t offset = 0, size = 0, mtime = 0;
		if (!fresh)
			jobreg_file_get(db, job_id, origin, &offset, &size, &mtime);
		struct stat st;
		if (stat(sources[i], &st) < 0 || !S_ISREG(st.st_mode)) {
			free(origin);
			continue;
		}
		if (st.st_size < offset)
			offset = 0; /* replaced */
		size_t len = 0;
		struct stat now;
		char *data = st.st_size > offset ? job_file_read(sources[i], offset, &len, &now) : NULL;
		if (!data) {
			free(origin);
			continue;
		}
		size_t take = len;
		int more = offset + (int64_t)len < (int64_t)now.st_size;
		if (!(final && !more) && len < LOCAL_READ_MAX) {
			while (take && data[take - 1] != '\n')
				take--; /* a line still being written waits */
		}
		int rc = 0;
		if (take) {
			if (fd < 0 && (fd = open_dest(dest, e)) < 0)
				rc = -1;
			if (!rc && path_write_all(fd, data, take) < 0)
				rc = err_errno(e, "cannot write %s", dest);
			if (!rc && data[take - 1] != '\n' && final && !more) {
				if (path_write_all(fd, "\n", 1) < 0)
					rc = err_errno(e, "cannot write %s", dest);
				added++;
			}
		}
		free(data);
		if (!rc && take)
			rc = jobreg_file_set(db, job_id, origin, offset + (int64_t)take, (int64_t)now.st_size,
					     (int64_t)now.st_mtim.tv_sec * 1000000000 + now.st_mtim.tv_nsec, e);
		free(origin);
		if (rc < 0) {
			if (fd >= 0)
				close(fd);
			free(key);
			return -1;
		}
		added += (int64_t)take;
	}
	int rc = 0;
	if (fd >= 0) {
		struct stat now;
		if (fstat(fd, &now) < 0 || jobreg_file_set(db, job_id, key, (int64_t)now.st_size, (int64_t)now.st_size,
							   0, e) < 0)
			rc = -1;
		close(fd);
	}
	free(key);
	return rc < 0 ? -1 : added;
}
