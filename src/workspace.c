#include "workspace.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/path.h"
#include "base/xmalloc.h"

static int copy_file(const char *from, const char *to, struct err *e)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return err_errno(e, "cannot read %s", from);
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		int exists = errno == EEXIST;
		close(in);
		return exists ? 0 : err_errno(e, "cannot create %s", to);
	}
	char buf[65536];
	ssize_t n;
	int rc = 1;
	while ((n = read(in, buf, sizeof buf)) > 0) {
		if (write(out, buf, (size_t)n) != n) {
			rc = err_errno(e, "cannot write %s", to);
			break;
		}
	}
	if (n < 0)
		rc = err_errno(e, "cannot read %s", from);
	close(in);
	if (close(out) != 0 && rc > 0)
		rc = err_errno(e, "cannot write %s", to);
	return rc;
}

static int copy_tree(const char *from, const char *to, struct err *e)
{
	if (path_mkdirs(to, 0700, e) != 0)
		return -1;
	DIR *d = opendir(from);
	if (!d)
		return err_errno(e, "cannot read %s", from);
	int copied = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *src = path_join(from, de->d_name);
		char *dst = path_join(to, de->d_name);
		struct stat st;
		int rc = 0;
		if (stat(src, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				rc = copy_tree(src, dst, e);
			else if (S_ISREG(st.st_mode))
				rc = copy_file(src, dst, e);
		}
		free(src);
		free(dst);
		if (rc < 0) {
			closedir(d);
			return -1;
		}
		copied += rc;
	}
	closedir(d);
	return copied;
}

int workspace_seed_demo(const char *share_dir, const char *data_home, struct err *e)
{
	char *from = path_join(share_dir, "examples");
	char *to = path_join(data_home, "examples");
	int rc = path_is_dir(from) ? copy_tree(from, to, e) : 0;
	free(from);
	free(to);
	return rc;
}

static int count_files(const char *dir, const char *ext)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name), elen = strlen(ext);
		if (de->d_name[0] != '.' && strcmp(de->d_name, "README.md") != 0 && len > elen &&
		    strcmp(de->d_name + len - elen, ext) == 0)
			n++;
	}
	closedir(d);
	return n;
}

void workspace_demo_count(const char *data_home, struct workspace_demo *out)
{
	static const char *const sub[] = { "examples/docs", "examples/drift", "examples/jobs" };
	static const char *const ext[] = { ".md", ".csv", ".py" };
	int *slots[] = { &out->docs, &out->datasets, &out->scripts };
	for (int i = 0; i < 3; i++) {
		char *p = path_join(data_home, sub[i]);
		*slots[i] = count_files(p, ext[i]);
		free(p);
	}
}
