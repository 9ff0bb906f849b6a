#include "kbsync.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

struct kbsync {
	struct db *db;
	struct loop *loop;
	struct kb kb;
	char *path;
	kbsync_fn fn;
	void *ud;
	int64_t timer, stored;
	volatile sig_atomic_t stop;
};

static void on_file(void *ud, const struct kb_ingest_stats *st, const char *path, const char *skip_detail)
{
	(void)path;
	(void)skip_detail;
	struct kbsync *s = ud;
	if (st->added + st->updated >= KBSYNC_STEP_FILES)
		s->stop = 1;
}

static void finish(struct kbsync *s)
{
	kb_free(&s->kb);
	free(s->path);
	free(s);
}

static int64_t step(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct kbsync *s = ud;
	struct kb_ingest_opts o;
	struct kb_ingest_stats st;
	struct err e = ERR_INIT;
	memset(&o, 0, sizeof o);
	o.batch_files = KBSYNC_STEP_FILES;
	o.stop = &s->stop;
	o.ud = s;
	o.on_file = on_file;
	s->stop = 0;
	const char *paths[] = { s->path };
	int rc = s->path ? kb_ingest_add(s->db, &s->kb, paths, 1, &o, &st, &e) : kb_ingest_sync(s->db, &s->kb, &o, &st, &e);
	s->stored += st.added + st.updated;
	if (rc == KB_INGEST_STOPPED) {
		s->fn(s->ud, &st, 0, rc, NULL);
		return 1; /* the next step after a pass of the loop */
	}
	s->timer = 0;
	s->fn(s->ud, &st, 1, rc, rc == KB_INGEST_OK ? NULL : e.msg);
	finish(s);
	return LOOP_TIMER_DONE;
}

struct kbsync *kbsync_start(struct db *db, struct loop *l, const char *name, const char *path, kbsync_fn fn,
			    void *ud, struct err *e)
{
	struct kbsync *s = xcalloc(1, sizeof *s);
	int found = kb_store_get(db, name, &s->kb, e);
	if (found != 1) {
		if (found == 0)
			err_set(e, "there is no knowledge base named %s", name);
		free(s);
		return NULL;
	}
	s->db = db;
	s->loop = l;
	s->path = path ? xstrdup(path) : NULL;
	s->fn = fn;
	s->ud = ud;
	s->timer = loop_add_timer(l, 0, step, s);
	return s;
}

void kbsync_cancel(struct kbsync *s)
{
	if (!s)
		return;
	if (s->timer)
		loop_del_timer(s->loop, s->timer);
	finish(s);
}

int64_t kbsync_stored(const struct kbsync *s)
{
	return s->stored;
}
