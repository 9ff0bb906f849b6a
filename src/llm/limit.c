#include "llm/limit.h"

#include <stdlib.h>

#include "base/clock.h"
#include "base/xmalloc.h"

struct limit {
	struct loop *loop;
	int concurrency, inflight;
	int64_t interval_ms;       /* 0: no rate limit */
	int64_t next_ms;           /* the earliest next start */
	int64_t prev_next_ms;      /* before the last start, for limit_undo */
	int64_t timer;
	limit_ready_fn ready;
	void *ud;
};

struct limit *limit_new(struct loop *l, int concurrency, double per_minute, limit_ready_fn ready, void *ud)
{
	struct limit *lim = xcalloc(1, sizeof *lim);
	lim->loop = l;
	lim->concurrency = concurrency > 0 ? concurrency : 0;
	lim->interval_ms = per_minute > 0 ? (int64_t)(60000.0 / per_minute + 0.5) : 0;
	lim->ready = ready;
	lim->ud = ud;
	return lim;
}

static int64_t on_timer(struct loop *l, int64_t id, void *ud)
{
	struct limit *lim = ud;
	(void)l;
	(void)id;
	int64_t left = lim->next_ms - clock_ms();
	if (left > 0)
		return left;
	lim->timer = 0;
	if (lim->ready)
		lim->ready(lim, lim->ud);
	return LOOP_TIMER_DONE;
}

enum limit_answer limit_acquire(struct limit *lim)
{
	if (lim->concurrency && lim->inflight >= lim->concurrency)
		return LIMIT_FULL;
	int64_t now = clock_ms();
	if (lim->interval_ms && now < lim->next_ms) {
		if (!lim->timer)
			lim->timer = loop_add_timer(lim->loop, lim->next_ms - now, on_timer, lim);
		return LIMIT_WAIT;
	}
	lim->inflight++;
	lim->prev_next_ms = lim->next_ms;
	if (lim->interval_ms)
		lim->next_ms = now + lim->interval_ms;
	return LIMIT_OK;
}

void limit_release(struct limit *lim)
{
	if (lim->inflight > 0)
		lim->inflight--;
}

void limit_undo(struct limit *lim)
{
	limit_release(lim);
	lim->next_ms = lim->prev_next_ms;
}

int limit_inflight(const struct limit *lim)
{
	return lim->inflight;
}

int64_t limit_next_ms(const struct limit *lim)
{
	return lim->interval_ms && lim->next_ms > clock_ms() ? lim->next_ms : 0;
}

void limit_cancel_wait(struct limit *lim)
{
	if (lim->timer)
		loop_del_timer(lim->loop, lim->timer);
	lim->timer = 0;
}

void limit_free(struct limit *lim)
{
	if (!lim)
		return;
	limit_cancel_wait(lim);
	free(lim);
}
