/* SSE parser invariants: the input fed whole, in data-derived pieces and
 * (when short) one byte at a time gives the same events, result, error and
 * pending flag; data never holds a CR and never exceeds the cap; type and id
 * hold no line break (and the id no NUL). Any violation aborts. Seeds
 * openai-include-usage.sse and anthropic-basic.sse are copies of
 * tests/data/vectors/sse (openai-python, Apache-2.0; anthropic-sdk-python,
 * MIT); the others are made here. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "net/sse.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct outcome {
	struct buf log;
	size_t max_event; /* given to sse_new (0: the default) */
	size_t cap;       /* in effect */
	int events;
	int stop_after;
	int rc;
	int pending;
	struct err e;
};

static int on_event(void *ud, const struct sse_event *ev)
{
	struct outcome *o = ud;
	require(ev->data_len <= o->cap);
	require(ev->data[ev->data_len] == '\0');
	require(!memchr(ev->data, '\r', ev->data_len));
	require(!strpbrk(ev->type, "\r\n"));
	require(!strpbrk(ev->id, "\r\n"));
	buf_printf(&o->log, "%s|%s|%lld|%zu|", ev->type, ev->id, ev->retry_ms, ev->data_len);
	buf_append(&o->log, ev->data, ev->data_len);
	buf_putc(&o->log, '\n');
	return o->stop_after && ++o->events >= o->stop_after;
}

static int feed(void *p, const void *bytes, size_t n, struct err *e)
{
	return sse_feed(p, bytes, n, e);
}

/* step 0: one feed; SIZE_MAX: random pieces from seed; else fixed pieces. */
static void run(struct outcome *o, const uint8_t *in, size_t n, size_t step, uint32_t seed)
{
	struct sse_parser *p = sse_new(o->max_event, on_event, o);
	fuzz_feed(feed, p, in, n, step, seed, &o->rc, &o->e);
	o->pending = sse_finish(p);
	sse_free(p);
}

static void same(const struct outcome *a, const struct outcome *b)
{
	require(a->log.len == b->log.len);
	require(a->log.len == 0 || memcmp(a->log.data, b->log.data, a->log.len) == 0);
	require(a->rc == b->rc && a->pending == b->pending);
	require(strcmp(err_msg(&a->e), err_msg(&b->e)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t hash = fuzz_hash(data, size);
	size_t max_event = hash & 1 ? 0 : 8 + (hash >> 1) % 512;
	size_t cap = max_event ? max_event : SSE_MAX_EVENT_DEFAULT;
	int stop_after = fuzz_stop_after(hash);

	struct outcome whole = {.max_event = max_event, .cap = cap, .stop_after = stop_after};
	run(&whole, data, size, 0, 0);

	size_t steps[] = {SIZE_MAX, 1 + hash % 7, size <= 4096 ? 1 : 0};
	for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
		if (steps[i] == 0)
			continue;
		struct outcome pieces = {.max_event = max_event, .cap = cap, .stop_after = stop_after};
		run(&pieces, data, size, steps[i], hash | 1);
		same(&whole, &pieces);
		buf_free(&pieces.log);
	}
	buf_free(&whole.log);
	return 0;
}
