#include "base/path.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/xmalloc.h"

#ifndef AIWB_SHAREDIR
#define AIWB_SHAREDIR "/usr/local/share/aiwb"
#endif

#define READ_CAP (64u << 20)

static char *data_home, *config_dir, *config_file, *share_dir;

static const char *home_dir(void)
{
	const char *h = getenv("HOME");
	return h && *h ? h : "/";
}

static char *xdg_dir(const char *var, const char *fallback)
{
	const char *v = getenv(var);
	if (v && v[0] == '/')
		return path_join(v, "aiwb");
	char *base = path_join(home_dir(), fallback);
	char *p = path_join(base, "aiwb");
	free(base);
	return p;
}

const char *path_data_home(void)
{
	if (!data_home) {
		const char *v = getenv("AIWB_HOME");
		data_home = v && *v ? xstrdup(v) : xdg_dir("XDG_DATA_HOME", ".local/share");
	}
	return data_home;
}

const char *path_config_dir(void)
{
	if (!config_dir)
		config_dir = xdg_dir("XDG_CONFIG_HOME", ".config");
	return config_dir;
}

const char *path_config_file(void)
{
	if (!config_file) {
		const char *v = getenv("AIWB_CONFIG");
		config_file = v && *v ? xstrdup(v) : path_join(path_config_dir(), "config.json");
	}
	return config_file;
}

static int has_resources(const char *dir)
{
	char *t = path_join(dir, "themes");
	int ok = path_is_dir(t);
	free(t);
	return ok;
}

/* Tries DIR, DIR/.. (build/aiwb in the source tree) and DIR/../share/aiwb (installed). */
static char *share_near(const char *exe_dir)
{
	char *candidates[3] = { xstrdup(exe_dir), path_join(exe_dir, ".."), path_join(exe_dir, "../share/aiwb") };
	char *found = NULL;
	for (int i = 0; i < 3; i++) {
		if (!found && has_resources(candidates[i])) {
			char real[PATH_MAX];
			found = xstrdup(realpath(candidates[i], real) ? real : candidates[i]);
		}
		free(candidates[i]);
	}
	return found;
}

const char *path_share_dir(void)
{
	if (share_dir)
		return share_dir;
	const char *v = getenv("AIWB_SHARE");
	if (v && *v)
		return share_dir = xstrdup(v);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if ((share_dir = share_near(exe)))
				return share_dir;
		}
	}
	return share_dir = xstrdup(AIWB_SHAREDIR);
}

void path_reset(void)
{
	free(data_home);
	free(config_dir);
	free(config_file);
	free(share_dir);
	data_home = config_dir = config_file = share_dir = NULL;
}

char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);
	while (n > 0 && dir[n - 1] == '/')
		n--;
	if (n == 0 && dir[0] == '/')
		return xasprintf("/%s", name);
	return xasprintf("%.*s/%s", (int)n, dir, name);
}

int path_each_entry(const char *dir, int (*fn)(void *ud, const char *path, const char *name, const struct stat *st),
		    void *ud)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct dirent *de;
	int stop = 0;
	while (!stop && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *path = path_join(dir, de->d_name);
		struct stat st;
		if (lstat(path, &st) == 0)
			stop = fn(ud, path, de->d_name, &st);
		free(path);
	}
	closedir(d);
	return 0;
}

int path_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

int path_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int path_is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int path_mkdirs(const char *path, mode_t mode, struct err *e)
{
	char *p = xstrdup(path);
	int rc = 0;
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char saved = *s;
		*s = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST) {
			rc = err_errno(e, "cannot create directory %s", p);
			break;
		}
		if (!path_is_dir(p)) {
			rc = err_set(e, "%s exists but is not a directory", p);
			break;
		}
		*s = saved;
		if (saved == '\0')
			break;
	}
	free(p);
	return rc;
}

int path_ensure_data_home(int *created, struct err *e)
{
	const char *home = path_data_home();
	int existed = path_exists(home);
	if (created)
		*created = 0;
	struct err why = ERR_INIT;
	if (!existed && path_mkdirs(home, 0700, &why) != 0)
		return err_set(e, "cannot create the data home %s: %s; set AIWB_HOME to a writable directory", home, why.msg);
	if (created)
		*created = !existed;
	if (!path_is_dir(home))
		return err_set(e, "the data home %s is not a directory; set AIWB_HOME to a writable directory", home);
	if (access(home, W_OK | X_OK) != 0)
		return err_set(e, "the data home %s is not writable (%s); set AIWB_HOME to a writable directory",
			       home, strerror(errno));
	return 0;
}

int path_check_private_file(const char *path, struct err *e)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : err_errno(e, "cannot read %s", path);
	if (S_ISLNK(st.st_mode))
		return err_set(e, "%s is a symbolic link, which aiwb does not follow; replace it with the file itself", path);
	if (!S_ISREG(st.st_mode))
		return err_set(e, "%s is not a regular file; move it away", path);
	if (st.st_uid != geteuid())
		return err_set(e, "%s belongs to another user; move it away", path);
	return 0;
}

static const char *file_kind(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket"
	       : S_ISCHR(m) || S_ISBLK(m) ? "a device" : "not a file";
}

char *path_read_file(const char *path, size_t *len, struct err *e)
{
	/* O_NONBLOCK: a FIFO without a writer must not hold open() for ever */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		err_errno(e, "cannot read %s", path);
		return NULL;
	}
	struct stat st = { 0 };
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		err_set(e, "cannot read %s: not a regular file (%s); give the path of a file", path, file_kind(st.st_mode));
		return NULL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	struct buf b = BUF_INIT;
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_errno(e, "cannot read %s", path);
			close(fd);
			buf_free(&b);
			return NULL;
		}
		if (n == 0)
			break;
		if (b.len + (size_t)n > READ_CAP) {
			err_set(e, "cannot read %s: larger than %u MiB", path, READ_CAP >> 20);
			close(fd);
			buf_free(&b);
			return NULL;
		}
		buf_append(&b, chunk, (size_t)n);
	}
	close(fd);
	if (len)
		*len = b.len;
	return buf_detach(&b);
}

int path_write_all(int fd, const void *p, size_t n)
{
	const char *b = p;
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w == 0)
			errno = EIO;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

int path_write_file(const char *path, const void *data, size_t len, struct err *e)
{
	char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC); /* O_EXCL, mode 0600 */
	if (fd < 0) {
		err_errno(e, "cannot write %s", path);
		free(tmp);
		return -1;
	}
	if (path_write_all(fd, data, len) != 0)
		goto fail;
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		fd = -1;
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	err_errno(e, "cannot write %s", path);
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return -1;
}

int path_has_command(const char *name)
{
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/bin:/bin"; /* where execvp looks then */
	for (const char *p = path; *p;) {
		const char *c = strchr(p, ':');
		size_t l = c ? (size_t)(c - p) : strlen(p);
		char *f = xasprintf("%.*s/%s", (int)l, p, name);
		int ok = l && access(f, X_OK) == 0;
		free(f);
		if (ok || !c)
			return ok;
		p = c + 1;
	}
	return 0;
}
