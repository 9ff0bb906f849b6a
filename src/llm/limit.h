/* limit — how many requests to one service may run at once and how often a
 * new one may start: a number of slots (0: no limit) and a request rate (0:
 * none), the rate kept by spacing starts at least 60000 / per_minute ms apart
 * (a bucket of one token, refilled at that rate).
 *
 * limit_acquire takes a slot and the token when both are free; limit_release
 * gives the slot back. When the token is what is missing, the limit arms one
 * timer on the loop and calls `ready` from it when a start is allowed again
 * (never before: limit_acquire then succeeds unless the slots are full).
 * A slot given back calls nothing: whoever releases knows a start may be
 * possible. Times are the monotonic clock of base/clock.h, which the loop's
 * timers use too. Nothing here blocks. */
#ifndef AIWB_LIMIT_H
#define AIWB_LIMIT_H

#include <stdint.h>

#include "loop.h"

struct limit;
typedef void (*limit_ready_fn)(struct limit *lim, void *ud);

enum limit_answer {
	LIMIT_OK = 0,    /* a slot and the token taken */
	LIMIT_FULL,      /* every slot is in use */
	LIMIT_WAIT,      /* too early for the rate: `ready` comes when it is time */
};

/* concurrency 0: no slot limit; per_minute <= 0: no rate limit. */
struct limit *limit_new(struct loop *l, int concurrency, double per_minute, limit_ready_fn ready, void *ud);
enum limit_answer limit_acquire(struct limit *lim);
void limit_release(struct limit *lim);
/* Right after a limit_acquire that said LIMIT_OK: nothing started after all,
 * so its slot and its token are given back. */
void limit_undo(struct limit *lim);
int limit_inflight(const struct limit *lim);
/* The time (clock_ms) from which the rate allows the next start; 0 when now. */
int64_t limit_next_ms(const struct limit *lim);
/* Drops a pending `ready` (nothing more is wanted); the next refused
 * limit_acquire arms it again. */
void limit_cancel_wait(struct limit *lim);
void limit_free(struct limit *lim);

#endif
