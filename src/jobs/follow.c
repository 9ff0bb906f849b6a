#include "jobs/follow.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/xmalloc.h"
#include "jobs/local.h"
#include "jobs/registry.h"

struct job_follow {
	struct job_desk *d;
	struct job *j;
	struct job_follow_cb cb;
	int64_t offset, timer;
	int refreshing, orphaned, ended;
	int64_t refreshed_ms;
};

static void on_refreshed(void *ud, int ok, const char *why)
{
	(void)ok;
	(void)why;
	struct job_follow *f = ud;
	f->refreshing = 0;
	if (f->orphaned) {
		free(f);
		return;
	}
	f->refreshed_ms = clock_ms();
	struct job fresh;
	if (jobreg_get(f->d->db, f->j->id, &fresh, NULL) == 1) {
		job_clear(f->j);
		*f->j = fresh;
	}
}

static int64_t end(struct job_follow *f, const char *error)
{
	f->timer = 0;
	f->ended = 1;
	f->cb.on_end(f->cb.ud, error);
	return LOOP_TIMER_DONE;
}

static int64_t tick(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct job_follow *f = ud;
	struct err e = ERR_INIT;
	int was_final = job_status_final(f->j->status);
	if (!was_final && strcmp(f->j->source, "local") == 0) {
		local_sync(f->d->db, f->j, &e);
	} else if (!was_final && !f->refreshing && clock_ms() - f->refreshed_ms >= 1000) {
		struct job_source *src = job_desk_source(f->d, f->j);
		if (src) {
			f->refreshing = 1;
			if (src->ops->describe_alone)
				src->ops->describe(src, f->j, on_refreshed, f);
			else
				src->ops->list(src, on_refreshed, f);
		}
	}
	struct buf chunk = BUF_INIT;
	int64_t next = local_log_read(f->j, f->offset, &chunk, &e);
	if (next < 0) {
		buf_free(&chunk);
		return end(f, e.msg);
	}
	if (chunk.len)
		f->cb.on_bytes(f->cb.ud, chunk.data, chunk.len);
	int more = chunk.len == LOCAL_READ_MAX;
	buf_free(&chunk);
	f->offset = next;
	if (more)
		return 0;
	if (was_final)
		return end(f, NULL);
	return 200;
}

struct job_follow *job_follow_start(struct job_desk *d, struct job *j, const struct job_follow_cb *cb)
{
	struct job_follow *f = xcalloc(1, sizeof *f);
	f->d = d;
	f->j = j;
	f->cb = *cb;
	f->timer = loop_add_timer(d->loop, 0, tick, f);
	return f;
}

int job_follow_busy(const struct job_follow *f)
{
	return f->refreshing;
}

void job_follow_free(struct job_follow *f)
{
	if (!f)
		return;
	if (f->timer && !f->ended)
		loop_del_timer(f->d->loop, f->timer);
	f->timer = 0;
	if (f->refreshing) {
		f->orphaned = 1; /* the refresh under way frees it */
		return;
	}
	free(f);
}
