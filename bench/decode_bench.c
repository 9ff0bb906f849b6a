/* decode_bench — throughput of the whole decode path of a streamed answer,
 * as the providers run it on every body byte: framing (SSE, NDJSON, AWS event
 * stream with its CRCs) plus the JSON of every event (cJSON) plus delivery of
 * the text. bench/parse_bench.c measures the framing alone; this is what a
 * stream really costs per byte and per token.
 *
 *   decode_bench [MIB]   (default 16)
 *
 * Bodies of MIB MiB, shaped like the recorded ones, each ending with the
 * API's end marker and usage: OpenAI chat.completion.chunk SSE
 * (llm_openai_wire), Anthropic Messages SSE (llm_anthropic_wire), Ollama
 * /api/chat NDJSON (llm_ollama_wire), Bedrock ConverseStream event stream
 * (bedrock_stream). Fed in pseudo-random pieces of 1-16 KiB, as curl's write
 * callback hands them over, to an on_text that counts. Each pass must end
 * LLM_OK with every token's text delivered. Median of 5 passes, beside
 * memcpy of the OpenAI body in the same pieces (the reference). Time is the
 * process's CPU time (CLOCK_PROCESS_CPUTIME_ID), so a busy machine slows the
 * figures less than wall-clock time would: MB per CPU-second. Last line:
 *   openai_mb_s=.. anthropic_mb_s=.. ollama_mb_s=.. bedrock_mb_s=.. memcpy_mb_s=.. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/stats.h"
#include "base/buf.h"
#include "base/err.h"
#include "llm/bedrock.h"
#include "llm/internal.h"
#include "llm/stream.h"
#include "net/eventstream.h"

#define RUNS 5

static const char *const words[] = {
	"The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", ".",
	" Streaming", " tokens", " arrive", " in", " small", " pieces", ",", " often", " one",
	" word", " at", " a", " time", "\\n", " \\\"quoted\\\"", " caf\xc3\xa9", " \xe2\x80\x94", " 42",
};
#define N_WORDS (sizeof words / sizeof *words)

enum kind { K_OPENAI, K_ANTHROPIC, K_OLLAMA, K_BEDROCK, K_MEMCPY };

struct body {
	struct buf b;
	size_t tokens;
};

struct counts {
	size_t texts, bytes;
};

static uint32_t next(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void build_openai(struct body *o, size_t target)
{
	struct buf *b = &o->b;
	uint32_t x = 12345;
	const char *head = "data: {\"id\":\"chatcmpl-ABfw3Oqj8RD0z6aJiiX37oTjV2HFh\",\"object\":\"chat.completion.chunk\","
			   "\"created\":1727346171,\"model\":\"gpt-4o-2024-08-06\",\"system_fingerprint\":\"fp_7568d46099\",";
	buf_printf(b, "%s\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},"
		      "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n", head);
	while (b->len < target) {
		buf_printf(b, "%s\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"},\"logprobs\":null,"
			      "\"finish_reason\":null}],\"usage\":null,\"obfuscation\":\"%.*s\"}\n\n",
			   head, words[next(&x) % N_WORDS], (int)(next(&x) % 12), "Xy3kPq9ZtW2m");
		o->tokens++;
	}
	buf_printf(b, "%s\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
		      "\"usage\":null}\n\n", head);
	buf_printf(b, "%s\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":%zu,\"total_tokens\":%zu}}"
		      "\n\ndata: [DONE]\n\n", head, o->tokens, o->tokens + 12);
}

static void build_anthropic(struct body *o, size_t target)
{
	struct buf *b = &o->b;
	uint32_t x = 4711;
	buf_puts(b, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":"
		    "\"msg_01XFDUDYJgAACzvnptvVoYEL\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],"
		    "\"model\":\"claude-3-5-sonnet-20240620\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":"
		    "{\"input_tokens\":25,\"output_tokens\":1}}}\n\n"
		    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
		    "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\nevent: ping\ndata: {\"type\": \"ping\"}\n\n");
	while (b->len < target) {
		buf_printf(b, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
			      "\"delta\":{\"type\":\"text_delta\",\"text\":\"%s\"}}\n\n",
			   words[next(&x) % N_WORDS]);
		o->tokens++;
	}
	buf_printf(b, "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
		      "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
		      "\"stop_sequence\":null},\"usage\":{\"output_tokens\":%zu}}\n\n"
		      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", o->tokens);
}

static void build_ollama(struct body *o, size_t target)
{
	struct buf *b = &o->b;
	uint32_t x = 777;
	while (b->len < target) {
		unsigned ns = next(&x) % 1000000000u;
		buf_printf(b, "{\"model\":\"llama3.2\",\"created_at\":\"2024-08-04T08:52:19.%09u-07:00\","
			      "\"message\":{\"role\":\"assistant\",\"content\":\"%s\"},\"done\":false}\n",
			   ns, words[next(&x) % N_WORDS]);
		o->tokens++;
	}
	buf_printf(b, "{\"model\":\"llama3.2\",\"created_at\":\"2024-08-04T19:22:45.499127Z\",\"message\":"
		      "{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\","
		      "\"total_duration\":4883583458,\"load_duration\":1334875,\"prompt_eval_count\":26,"
		      "\"prompt_eval_duration\":342546000,\"eval_count\":%zu,\"eval_duration\":4535599000}\n",
		   o->tokens);
}

static void es_event(struct buf *b, const char *type, const char *payload)
{
	struct es_header h[3] = {
		{ .name = ":event-type", .type = ES_STRING, .v.bytes = { type, strlen(type) } },
		{ .name = ":content-type", .type = ES_STRING, .v.bytes = { "application/json", 16 } },
		{ .name = ":message-type", .type = ES_STRING, .v.bytes = { "event", 5 } },
	};
	if (es_encode(b, h, 3, payload, strlen(payload)) < 0)
		abort();
}

static void build_bedrock(struct body *o, size_t target)
{
	static const char pad[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0";
	struct buf *b = &o->b;
	uint32_t x = 4242;
	struct buf p = BUF_INIT;
	es_event(b, "messageStart", "{\"p\":\"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ\",\"role\":\"assistant\"}");
	while (b->len < target) {
		buf_reset(&p);
		buf_printf(&p, "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"%s\"},\"p\":\"%.*s\"}",
			   words[next(&x) % N_WORDS], (int)(1 + next(&x) % 40), pad);
		es_event(b, "contentBlockDelta", buf_str(&p));
		o->tokens++;
	}
	es_event(b, "contentBlockStop", "{\"contentBlockIndex\":0,\"p\":\"abcdefghijklmnopq\"}");
	es_event(b, "messageStop", "{\"p\":\"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNO\",\"stopReason\":\"end_turn\"}");
	buf_reset(&p);
	buf_printf(&p, "{\"metrics\":{\"latencyMs\":1183},\"p\":\"abcdefghijklmnopqrstuvwxy\",\"usage\":"
		       "{\"inputTokens\":12,\"outputTokens\":%zu,\"totalTokens\":%zu}}", o->tokens, o->tokens + 12);
	es_event(b, "metadata", buf_str(&p));
	buf_free(&p);
}

static void on_text(void *ud, const char *text, size_t len)
{
	struct counts *c = ud;
	(void)text;
	c->texts++;
	c->bytes += len;
}

static int on_bedrock_text(void *ud, const char *text, size_t len)
{
	on_text(ud, text, len);
	return 0;
}

static size_t next_piece(uint32_t *x)
{
	return 1024 + next(x) % (15 * 1024 + 1);
}

/* One pass; returns seconds, exits when the body did not decode cleanly. */
static double run_once(enum kind k, const struct body *in, char *scratch)
{
	static const struct llm_wire *const wires[] = { &llm_openai_wire, &llm_anthropic_wire, &llm_ollama_wire };
	struct counts c = { 0, 0 };
	struct llm_stream s;
	struct bedrock_stream *bs = NULL;
	struct llm_result res;
	memset(&res, 0, sizeof res);
	if (k <= K_OLLAMA)
		llm_stream_init(&s, wires[k], "bench", on_text, &c);
	else if (k == K_BEDROCK)
		bs = bedrock_stream_new("bedrock", on_bedrock_text, &c);
	uint32_t x = 99;
	int stopped = 0;
	double t0 = clock_us() / 1e6;
	for (size_t at = 0; at < in->b.len && !stopped;) {
		size_t n = next_piece(&x);
		if (n > in->b.len - at)
			n = in->b.len - at;
		if (k <= K_OLLAMA) {
			llm_stream_feed(&s, in->b.data + at, n);
		} else if (k == K_BEDROCK) {
			stopped = bedrock_stream_feed(bs, in->b.data + at, n) != 0;
		} else {
			memcpy(scratch + at, in->b.data + at, n);
			c.bytes += (unsigned char)scratch[at];
		}
		at += n;
	}
	if (k <= K_OLLAMA) {
		llm_stream_end(&s, NULL);
		res = s.res;
	} else if (k == K_BEDROCK) {
		bedrock_stream_end(bs, NULL, &res);
	}
	double t = clock_us() / 1e6 - t0;
	if (k <= K_OLLAMA)
		llm_stream_free(&s);
	bedrock_stream_free(bs);
	if (k != K_MEMCPY && (res.status != LLM_OK || c.texts != in->tokens ||
			      res.usage.output_tokens != (int64_t)in->tokens)) {
		fprintf(stderr, "decode_bench: body %d did not decode: status %d, %zu of %zu texts, usage %lld: %s\n",
			(int)k, (int)res.status, c.texts, in->tokens, (long long)res.usage.output_tokens, res.message);
		exit(1);
	}
	return t;
}

static double median_mb_s(enum kind k, const struct body *in, char *scratch)
{
	double mb_s[RUNS];
	for (int i = 0; i < RUNS; i++)
		mb_s[i] = (double)in->b.len / 1e6 / run_once(k, in, scratch);
	stats_sort(mb_s, RUNS);
	return mb_s[RUNS / 2];
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 16;
	if (mib == 0 || mib > 1024) {
		fprintf(stderr, "usage: decode_bench [MIB]   (1-1024, default 16)\n");
		return 2;
	}
	size_t target = mib << 20;
	struct body bodies[4];
	memset(bodies, 0, sizeof bodies);
	build_openai(&bodies[K_OPENAI], target);
	build_anthropic(&bodies[K_ANTHROPIC], target);
	build_ollama(&bodies[K_OLLAMA], target);
	build_bedrock(&bodies[K_BEDROCK], target);
	size_t biggest = 0;
	for (int i = 0; i < 4; i++)
		biggest = bodies[i].b.len > biggest ? bodies[i].b.len : biggest;
	char *scratch = calloc(1, biggest);
	if (!scratch)
		return 1;
	static const char *const names[] = { "openai", "anthropic", "ollama", "bedrock" };
	static const char *const what[] = { "OpenAI SSE chat.completion.chunk", "Anthropic SSE content_block_delta",
					    "Ollama NDJSON /api/chat", "Bedrock ConverseStream event stream" };
	double r[4];
	printf("decode_bench: %zu MiB per body, pieces of 1-16 KiB, framing + JSON + text, median of %d runs, "
	       "MB per CPU-second\n", mib, RUNS);
	for (int k = 0; k < 4; k++) {
		r[k] = median_mb_s((enum kind)k, &bodies[k], scratch);
		size_t per = bodies[k].b.len / bodies[k].tokens;
		printf("%s_mb_s=%.0f (%s, %zu tokens of %zu bytes: %.2f M tokens/s)\n", names[k], r[k], what[k],
		       bodies[k].tokens, per, r[k] / (double)per);
	}
	double mc = median_mb_s(K_MEMCPY, &bodies[K_OPENAI], scratch);
	printf("memcpy_mb_s=%.0f (the OpenAI body, same pieces; reference)\n", mc);
	printf("openai_mb_s=%.0f anthropic_mb_s=%.0f ollama_mb_s=%.0f bedrock_mb_s=%.0f memcpy_mb_s=%.0f\n", r[0], r[1],
	       r[2], r[3], mc);
	free(scratch);
	for (int i = 0; i < 4; i++)
		buf_free(&bodies[i].b);
	return 0;
}
