#include "store/dbwatch.h"

#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "base/xmalloc.h"

struct dbwatch {
	struct db *db;
	struct loop *l;
	int fd;
	char *name;          /* the database file's name: NAME, NAME-wal, NAME-journal are its files */
	size_t name_len;
	int64_t version;
	void (*fn)(void *ud);
	void *ud;
};

int64_t db_data_version(struct db *db)
{
	sqlite3_stmt *st = db_prepare(db, "PRAGMA data_version", NULL);
	int64_t v = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	return v;
}

static void readable(struct loop *l, int fd, unsigned events, void *ud)
{
	(void)l;
	(void)events;
	struct dbwatch *w = ud;
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	int ours = 0;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			ours |= ev->len && strncmp(ev->name, w->name, w->name_len) == 0;
			p += sizeof *ev + ev->len;
		}
	if (!ours)
		return;
	int64_t v = db_data_version(w->db);
	if (v == w->version)
		return;
	w->version = v;
	w->fn(w->ud);
}

struct dbwatch *dbwatch_new(struct db *db, struct loop *l, void (*fn)(void *ud), void *ud, struct err *e)
{
	const char *path = db_path(db);
	const char *slash = path ? strrchr(path, '/') : NULL;
	if (!slash || !slash[1]) {
		err_set(e, "cannot watch the database: its path %s has no directory", path ? path : "(none)");
		return NULL;
	}
	struct dbwatch *w = xcalloc(1, sizeof *w);
	w->db = db;
	w->l = l;
	w->fn = fn;
	w->ud = ud;
	w->name = xstrdup(slash + 1);
	w->name_len = strlen(w->name);
	w->version = db_data_version(db);
	char *dir = slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	int ok = w->fd >= 0 && inotify_add_watch(w->fd, dir, IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_ONLYDIR) >= 0;
	free(dir);
	if (!ok || loop_add_fd(l, w->fd, LOOP_READ, readable, w) < 0) {
		err_errno(e, "cannot watch the database for other processes' writes (inotify)");
		if (w->fd >= 0)
			close(w->fd);
		free(w->name);
		free(w);
		return NULL;
	}
	return w;
}

void dbwatch_free(struct dbwatch *w)
{
	if (!w)
		return;
	loop_del_fd(w->l, w->fd);
	close(w->fd);
	free(w->name);
	free(w);
}
