/* parse_bench — throughput of the stream parsers on realistic bodies.
 *
 *   parse_bench [MIB]   (default 64)
 *
 * Builds MIB MiB of each body in memory: OpenAI chat.completion.chunk SSE
 * events shaped like the recorded ones, Bedrock contentBlockDelta event-stream
 * frames made with es_encode (with the "p" padding member), and Ollama
 * /api/chat NDJSON lines. Each is fed in pseudo-random pieces of 1-16 KiB, as
 * curl's write callback hands them over, to a callback that only counts.
 * Prints the median MB/s of 5 runs, one line per parser, beside memcpy of
 * the same data in the same pieces (the reference), then one summary line:
 *   sse_mb_s=... ndjson_mb_s=... eventstream_mb_s=... memcpy_mb_s=... */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/stats.h"
#include "base/buf.h"
#include "base/err.h"
#include "net/eventstream.h"
#include "net/ndjson.h"
#include "net/sse.h"

#define RUNS 5

static const char *const words[] = {
	"The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", ".",
	" Streaming", " tokens", " arrive", " in", " small", " pieces", ",", " often", " one",
	" word", " at", " a", " time", "\\n", " \\\"quoted\\\"", " caf\xc3\xa9", " \xe2\x80\x94", " 42",
};
#define N_WORDS (sizeof words / sizeof *words)

struct counts {
	size_t items;
	size_t bytes;
};

static uint32_t next(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void build_sse(struct buf *b, size_t target)
{
	uint32_t x = 12345;
	long created = 1727346171;
	buf_puts(b, ": keep-alive\n\n");
	while (b->len < target) {
		buf_printf(b, "data: {\"id\":\"chatcmpl-ABfw3Oqj8RD0z6aJiiX37oTjV2HFh\",\"object\":"
			   "\"chat.completion.chunk\",\"created\":%ld,\"model\":\"gpt-4o-2024-08-06\","
			   "\"system_fingerprint\":\"fp_7568d46099\",\"choices\":[{\"index\":0,\"delta\":"
			   "{\"content\":\"%s\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null,"
			   "\"obfuscation\":\"%.*s\"}\n\n",
			   created + (long)(b->len >> 20), words[next(&x) % N_WORDS], (int)(next(&x) % 12),
			   "Xy3kPq9ZtW2m");
	}
	buf_puts(b, "data: [DONE]\n\n");
}

static void build_ndjson(struct buf *b, size_t target)
{
	uint32_t x = 777;
	while (b->len < target) {
		unsigned ns = next(&x) % 1000000000u;
		buf_printf(b, "{\"model\":\"llama3.2\",\"created_at\":\"2024-08-04T08:52:19.%09u-07:00\","
			   "\"message\":{\"role\":\"assistant\",\"content\":\"%s\"},\"done\":false}\n",
			   ns, words[next(&x) % N_WORDS]);
	}
	buf_puts(b, "{\"model\":\"llama3.2\",\"created_at\":\"2024-08-04T19:22:45.499127Z\",\"message\":"
		    "{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\","
		    "\"total_duration\":4883583458,\"eval_count\":282,\"eval_duration\":4535599000}\n");
}

static void build_eventstream(struct buf *b, size_t target)
{
	static const char pad[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0";
	uint32_t x = 4242;
	struct es_header h[3] = {
		{.name = ":event-type", .type = ES_STRING, .v.bytes = {"contentBlockDelta", 17}},
		{.name = ":content-type", .type = ES_STRING, .v.bytes = {"application/json", 16}},
		{.name = ":message-type", .type = ES_STRING, .v.bytes = {"event", 5}},
	};
	struct buf payload = BUF_INIT;
	while (b->len < target) {
		buf_reset(&payload);
		buf_printf(&payload, "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"%s\"},\"p\":\"%.*s\"}",
			   words[next(&x) % N_WORDS], (int)(1 + next(&x) % 40), pad);
		if (es_encode(b, h, 3, payload.data, payload.len) < 0)
			abort();
	}
	buf_free(&payload);
}

static int on_event(void *ud, const struct sse_event *ev)
{
	struct counts *c = ud;
	c->items++;
	c->bytes += ev->data_len;
	return 0;
}

static int on_line(void *ud, const char *line, size_t len)
{
	struct counts *c = ud;
	(void)line;
	c->items++;
	c->bytes += len;
	return 0;
}

static int on_message(void *ud, const struct es_message *m)
{
	struct counts *c = ud;
	c->items++;
	c->bytes += m->payload_len + m->n_headers;
	return 0;
}

enum kind { K_SSE, K_NDJSON, K_ES, K_MEMCPY };

static size_t next_piece(uint32_t *x)
{
	return 1024 + next(x) % (15 * 1024 + 1);
}

/* One pass over the body; returns seconds. */
static double run_once(enum kind k, const struct buf *in, char *scratch, struct counts *c)
{
	struct err e = ERR_INIT;
	struct sse_parser *sp = NULL;
	struct ndjson_parser *np = NULL;
	struct es_decoder *ep = NULL;
	if (k == K_SSE)
		sp = sse_new(0, on_event, c);
	else if (k == K_NDJSON)
		np = ndjson_new(0, on_line, c);
	else if (k == K_ES)
		ep = es_decoder_new(0, on_message, c);
	uint32_t x = 99;
	int rc = 0;
	double t0 = clock_us() / 1e6;
	for (size_t at = 0; at < in->len && rc == 0;) {
		size_t n = next_piece(&x);
		if (n > in->len - at)
			n = in->len - at;
		switch (k) {
		case K_SSE:
			rc = sse_feed(sp, in->data + at, n, &e);
			break;
		case K_NDJSON:
			rc = ndjson_feed(np, in->data + at, n, &e);
			break;
		case K_ES:
			rc = es_feed(ep, in->data + at, n, &e);
			break;
		case K_MEMCPY:
			memcpy(scratch + at, in->data + at, n);
			c->bytes += (unsigned char)scratch[at];
			break;
		}
		at += n;
	}
	int cut = 0;
	if (sp)
		cut = sse_finish(sp);
	if (np)
		rc = rc ? rc : ndjson_finish(np, &e);
	if (ep)
		cut = es_finish(ep);
	double t = clock_us() / 1e6 - t0;
	sse_free(sp);
	ndjson_free(np);
	es_decoder_free(ep);
	if (rc || cut) {
		fprintf(stderr, "parse_bench: the generated body did not parse: %s\n",
			e.set ? err_msg(&e) : "cut short");
		exit(1);
	}
	return t;
}

static double median_mb_s(enum kind k, const struct buf *in, char *scratch, size_t *items)
{
	double mb_s[RUNS];
	for (int i = 0; i < RUNS; i++) {
		struct counts c = {0, 0};
		mb_s[i] = (double)in->len / 1e6 / run_once(k, in, scratch, &c);
		*items = c.items;
	}
	stats_sort(mb_s, RUNS);
	return mb_s[RUNS / 2];
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
	if (mib == 0 || mib > 4096) {
		fprintf(stderr, "usage: parse_bench [MIB]   (1-4096, default 64)\n");
		return 2;
	}
	size_t target = mib << 20;
	struct buf sse = BUF_INIT, nd = BUF_INIT, es = BUF_INIT;
	build_sse(&sse, target);
	build_ndjson(&nd, target);
	build_eventstream(&es, target);
	size_t biggest = sse.len > nd.len ? sse.len : nd.len;
	biggest = biggest > es.len ? biggest : es.len;
	char *scratch = malloc(biggest);
	if (!scratch)
		return 1;
	memset(scratch, 0, biggest);

	size_t items;
	printf("parse_bench: %zu MiB per body, pieces of 1-16 KiB, median of %d runs\n", mib, RUNS);
	double sse_r = median_mb_s(K_SSE, &sse, scratch, &items);
	printf("sse_mb_s=%.0f (OpenAI chat.completion.chunk, %zu events of %zu bytes on average)\n", sse_r,
	       items, sse.len / items);
	double nd_r = median_mb_s(K_NDJSON, &nd, scratch, &items);
	printf("ndjson_mb_s=%.0f (Ollama /api/chat, %zu lines of %zu bytes on average)\n", nd_r, items,
	       nd.len / items);
	double es_r = median_mb_s(K_ES, &es, scratch, &items);
	printf("eventstream_mb_s=%.0f (Bedrock contentBlockDelta, %zu frames of %zu bytes on average)\n",
	       es_r, items, es.len / items);
	double mc_sse = median_mb_s(K_MEMCPY, &sse, scratch, &items);
	printf("memcpy_mb_s=%.0f (the SSE body, same pieces; reference)\n", mc_sse);
	printf("sse_mb_s=%.0f ndjson_mb_s=%.0f eventstream_mb_s=%.0f memcpy_mb_s=%.0f\n", sse_r, nd_r, es_r,
	       mc_sse);
	free(scratch);
	buf_free(&sse);
	buf_free(&nd);
	buf_free(&es);
	return 0;
}
