#include "kb/watch.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/path.h"
#include "base/xmalloc.h"
#include "loop.h"

#define EVENTS (IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | \
		IN_MOVE_SELF | IN_ATTRIB)

struct kb_watch {
	struct loop *l;
	int fd;
	size_t dirs;
	int64_t timer;
	void (*on_settled)(void *ud);
	void *ud;
};

struct tree {
	struct kb_watch *w;
	int depth;
};

static void add_tree(struct kb_watch *w, const char *dir, int depth);

static int add_subdir(void *ud, const char *path, const char *name, const struct stat *st)
{
	const struct tree *t = ud;
	(void)name;
	if (S_ISDIR(st->st_mode))
		add_tree(t->w, path, t->depth + 1);
	return 0;
}

static void add_tree(struct kb_watch *w, const char *dir, int depth)
{
	if (w->dirs >= KB_WATCH_MAX_DIRS || inotify_add_watch(w->fd, dir, EVENTS | IN_ONLYDIR) < 0)
		return;
	w->dirs++;
	if (depth >= 64)
		return;
	struct tree t = { w, depth };
	path_each_entry(dir, add_subdir, &t);
}

static int64_t settled(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct kb_watch *w = ud;
	w->timer = 0;
	w->on_settled(w->ud);
	return LOOP_TIMER_DONE;
}

static void readable(struct loop *l, int fd, unsigned events, void *ud)
{
	(void)events;
	struct kb_watch *w = ud;
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	int any = 0;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		any = 1;
	if (!any)
		return;
	if (w->timer)
		loop_del_timer(l, w->timer);
	w->timer = loop_add_timer(l, KB_WATCH_QUIET_MS, settled, w);
}

struct kb_watch *kb_watch_new(struct loop *l, char *const *roots, size_t nroots, void (*on_settled)(void *ud),
			      void *ud, struct err *e)
{
	struct kb_watch *w = xcalloc(1, sizeof *w);
	w->l = l;
	w->on_settled = on_settled;
	w->ud = ud;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		err_errno(e, "cannot watch files (inotify)");
		free(w);
		return NULL;
	}
	for (size_t i = 0; i < nroots; i++) {
		struct stat sb;
		if (stat(roots[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
			add_tree(w, roots[i], 0);
		} else {
			char *dir = xstrdup(roots[i]);
			char *slash = strrchr(dir, '/');
			if (slash && slash != dir)
				*slash = '\0';
			if (inotify_add_watch(w->fd, dir, EVENTS | IN_ONLYDIR) >= 0)
				w->dirs++;
			free(dir);
		}
	}
	if (loop_add_fd(l, w->fd, LOOP_READ, readable, w) < 0) {
		err_set(e, "cannot watch files: the event loop refused the inotify descriptor");
		close(w->fd);
		free(w);
		return NULL;
	}
	return w;
}

size_t kb_watch_dirs(const struct kb_watch *w)
{
	return w->dirs;
}

void kb_watch_free(struct kb_watch *w)
{
	if (!w)
		return;
	if (w->timer)
		loop_del_timer(w->l, w->timer);
	loop_del_fd(w->l, w->fd);
	close(w->fd);
	free(w);
}
