/* limit: slots, the spacing of starts under a rate (measured on the monotonic
 * clock the loop's timers use), a wait that is cancelled, and a limit freed
 * with its wait armed. Every check is an order or a count; the only times
 * compared are lower bounds the limit promises. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "base/clock.h"
#include "llm/limit.h"
#include "loop.h"

struct watch {
	int readies;
	int64_t starts[8];
	int nstarts, want;
	enum limit_answer at_ready;
	struct loop *loop;
};

/* From the limit's timer: a start is allowed now; take it while more are wanted. */
static void on_ready(struct limit *lim, void *ud)
{
	struct watch *w = ud;
	w->readies++;
	w->at_ready = limit_acquire(lim);
	if (w->at_ready == LIMIT_OK) {
		w->starts[w->nstarts++] = clock_ms();
		limit_release(lim);
		while (w->nstarts < w->want && limit_acquire(lim) == LIMIT_OK) {
			w->starts[w->nstarts++] = clock_ms();
			limit_release(lim);
		}
	}
	if (w->nstarts >= w->want)
		loop_stop(w->loop);
}

struct rig {
	struct watch w;
	struct loop *loop;
	int64_t guard;
};

static int64_t on_guard(struct loop *l, int64_t id, void *ud)
{
	struct rig *r = ud;
	(void)id;
	r->guard = 0;
	loop_stop(l);
	return LOOP_TIMER_DONE;
}

static void test_slots(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct limit *lim = limit_new(l, 2, 0, NULL, NULL);
	assert_int_equal(limit_acquire(lim), LIMIT_OK);
	assert_int_equal(limit_acquire(lim), LIMIT_OK);
	assert_int_equal(limit_inflight(lim), 2);
	assert_int_equal(limit_acquire(lim), LIMIT_FULL);
	assert_int_equal(limit_inflight(lim), 2);
	limit_release(lim);
	assert_int_equal(limit_inflight(lim), 1);
	assert_int_equal(limit_acquire(lim), LIMIT_OK);
	assert_int_equal(limit_acquire(lim), LIMIT_FULL);
	limit_release(lim);
	limit_release(lim);
	limit_release(lim); /* one too many: stays at zero */
	assert_int_equal(limit_inflight(lim), 0);
	assert_int_equal(limit_next_ms(lim), 0);
	limit_free(lim);
	loop_free(l);
}

static void test_no_limit(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct limit *lim = limit_new(l, 0, 0, NULL, NULL);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(limit_acquire(lim), LIMIT_OK);
	assert_int_equal(limit_inflight(lim), 1000);
	assert_int_equal(limit_next_ms(lim), 0);
	limit_free(lim);
	loop_free(l);
}

/* 3000 a minute: starts at least 20 ms apart, each let through by `ready`. */
static void test_rate_spaces_starts(void **state)
{
	(void)state;
	struct rig r = { .w = { .want = 4 } };
	r.loop = r.w.loop = loop_new();
	struct limit *lim = limit_new(r.loop, 0, 3000, on_ready, &r.w);
	int64_t begin = clock_ms();
	assert_int_equal(limit_acquire(lim), LIMIT_OK);
	r.w.starts[r.w.nstarts++] = clock_ms();
	limit_release(lim);
	assert_true(limit_next_ms(lim) >= begin + 20);
	assert_int_equal(limit_acquire(lim), LIMIT_WAIT);
	assert_int_equal(limit_acquire(lim), LIMIT_WAIT); /* one wait, not two */
	r.guard = loop_add_timer(r.loop, 10000, on_guard, &r);
	while (r.w.nstarts < r.w.want && r.guard) {
		loop_run(r.loop);
		if (r.w.nstarts < r.w.want && r.guard)
			assert_int_equal(limit_acquire(lim), LIMIT_WAIT);
	}
	assert_true(r.guard != 0); /* not stopped by the guard */
	assert_int_equal(r.w.nstarts, 4);
	assert_int_equal(r.w.readies, 3); /* one `ready` per start after the first */
	assert_int_equal(r.w.at_ready, LIMIT_OK);
	/* start i is allowed 20 ms after start i - 1 was, which was not before begin */
	for (int i = 1; i < r.w.nstarts; i++)
		assert_true(r.w.starts[i] >= begin + 20 * i);
	loop_del_timer(r.loop, r.guard);
	limit_free(lim);
	loop_free(r.loop);
}

/* Full slots win over the rate: no wait is armed for a start that has no slot. */
static void test_full_before_rate(void **state)
{
	(void)state;
	struct rig r = { .w = { .want = 1 } };
	r.loop = r.w.loop = loop_new();
	struct limit *lim = limit_new(r.loop, 1, 60, on_ready, &r.w);
	assert_int_equal(limit_acquire(lim), LIMIT_OK);
	assert_int_equal(limit_acquire(lim), LIMIT_FULL);
	limit_release(lim);
	assert_int_equal(limit_acquire(lim), LIMIT_WAIT); /* a second later at 60 a minute */
	assert_true(limit_next_ms(lim) > 0);
	limit_free(lim); /* with its wait armed: the timer goes with it */
	loop_run_once(r.loop, 0);
	assert_int_equal(r.w.readies, 0);
	loop_free(r.loop);
}

/* A cancelled wait never calls `ready`, even once its time has passed. */
static void test_cancelled_wait(void **state)
{
	(void)state;
	struct rig r = { .w = { .want = 1 } };
	r.loop = r.w.loop = loop_new();
	struct limit *lim = limit_new(r.loop, 0, 6000, on_ready, &r.w); /* 10 ms apart */
	assert_int_equal(limit_acquire(lim), LIMIT_OK);
	limit_release(lim);
	assert_int_equal(limit_acquire(lim), LIMIT_WAIT);
	int64_t next = limit_next_ms(lim);
	limit_cancel_wait(lim);
	r.guard = loop_add_timer(r.loop, 30, on_guard, &r);
	loop_run(r.loop);
	assert_int_equal(r.guard, 0);
	assert_true(clock_ms() >= next);
	assert_int_equal(r.w.readies, 0);
	assert_int_equal(limit_acquire(lim), LIMIT_OK); /* its time has come */
	assert_int_equal(r.w.readies, 0);
	limit_free(lim);
	loop_free(r.loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots),
		cmocka_unit_test(test_no_limit),
		cmocka_unit_test(test_rate_spaces_starts),
		cmocka_unit_test(test_full_before_rate),
		cmocka_unit_test(test_cancelled_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
