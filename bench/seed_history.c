/* seed_history — fills a database with N realistic-looking history runs.
 *
 *   seed_history PATH [N]     (N defaults to 10000)
 *
 * Prompts and outputs come from a fixed-seed PRNG, so every run of the program
 * writes the same text; created_ms spreads the runs over the 90 days before now.
 * All rows go in one transaction. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "store/db.h"

#define DAY_MS (24 * 60 * 60 * 1000LL)
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const models[] = {
	"openai/gpt-4o-mini",
	"openai/gpt-4o",
	"anthropic/claude-3-5-haiku-latest",
	"anthropic/claude-3-5-sonnet-latest",
	"bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0",
	"ollama/llama3.1",
	"vllm/mistral-7b-instruct",
};

static const char *const asks[] = {
	"Explain", "Summarize", "Compare", "Give three examples of", "Write a short test plan for",
	"What are the trade-offs of", "Rewrite in plain English:", "List common mistakes with",
	"Draft an email about", "Find the bug in this description of",
};

static const char *const topics[] = {
	"write-ahead logging in SQLite", "TCP slow start", "the Rust borrow checker",
	"retrieval-augmented generation", "B-tree page splits", "exponential backoff with jitter",
	"consistent hashing", "the CAP theorem", "prompt caching", "vector quantization",
	"Unicode normalization", "terminal escape sequences", "AWS SigV4 request signing",
	"token budgets for long contexts", "flaky integration tests", "memory arenas in C",
	"zero-downtime database migrations", "rate limiting at the edge",
};

static const char *const angles[] = {
	"for a new engineer", "in under 200 words", "with a concrete example",
	"as a checklist", "for a design review", "with pros and cons", "step by step",
};

static const char *const openers[] = {
	"In short,", "The key idea is that", "Put simply,", "At a high level,", "First of all,",
	"A useful way to think about it:", "Most of the time,",
};

static const char *const phrases[] = {
	"the system trades latency for durability", "each step can be retried safely",
	"the common case stays fast while the rare case stays correct",
	"you measure before and after every change", "state lives in exactly one place",
	"failures are reported with a clear message", "the cost grows with the size of the input",
	"readers never block writers", "small batches keep memory bounded",
	"the defaults work for most users", "caching hides most of the round trips",
	"the interface stays small and the details stay private",
	"tests pin the behaviour before the refactor", "timeouts bound the worst case",
};

static const char *const closers[] = {
	"Let me know if you want a deeper dive.", "Hope this helps.",
	"That covers the essentials.", "Happy to expand on any of these points.", "",
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t next_random(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned below(unsigned n)
{
	return (unsigned)(next_random() % n);
}

#define PICK(a) ((a)[below(COUNT(a))])

struct seed {
	long count;
	int64_t start_ms;
	int64_t span_ms;
};

static void make_output(struct buf *out, const char *topic)
{
	size_t target = 200 + below(500);
	buf_printf(out, "%s %s: ", PICK(openers), topic);
	size_t first_sentence = out->len;
	while (out->len < target) {
		unsigned sentence_parts = 1 + below(3);
		size_t sentence_start = out->len;
		for (unsigned i = 0; i < sentence_parts; i++)
			buf_printf(out, "%s%s", i ? ", and " : "", PICK(phrases));
		if (sentence_start != first_sentence)
			out->data[sentence_start] = (char)toupper((unsigned char)out->data[sentence_start]);
		buf_puts(out, below(4) ? ". " : ".\n\n");
		if (below(6) == 0)
			buf_printf(out, "- %s.\n", PICK(phrases));
	}
	buf_puts(out, PICK(closers));
}

static int seed_runs(struct db *db, void *ud, struct err *e)
{
	const struct seed *seed = ud;
	struct buf prompt = BUF_INIT, messages = BUF_INIT, params = BUF_INIT, output = BUF_INIT;
	struct buf metrics = BUF_INIT;
	int rc = 0;
	for (long i = 0; i < seed->count; i++) {
		static const char *const kinds[] = { "ask", "ask", "ask", "ask", "ask", "ask", "ask",
						     "compare", "compare", "experiment" };
		buf_reset(&prompt);
		buf_reset(&messages);
		buf_reset(&params);
		buf_reset(&output);
		buf_reset(&metrics);
		const char *topic = PICK(topics);
		buf_printf(&prompt, "%s %s %s.", PICK(asks), topic, PICK(angles));
		buf_printf(&messages, "[{\"role\":\"system\",\"content\":\"You are a concise assistant.\"},"
			   "{\"role\":\"user\",\"content\":\"%s\"}]", buf_str(&prompt));
		buf_printf(&params, "{\"temperature\":%.1f,\"max_tokens\":%u}",
			   below(11) / 10.0, 256u << below(4));
		make_output(&output, topic);
		unsigned in_tokens = (unsigned)(prompt.len / 4 + 12), out_tokens = (unsigned)(output.len / 4);
		buf_printf(&metrics, "{\"latency_ms\":%u,\"ttft_ms\":%u,\"input_tokens\":%u,"
			   "\"output_tokens\":%u,\"cost_usd\":%.6f}",
			   300 + below(9000), 80 + below(900), in_tokens, out_tokens,
			   (in_tokens * 0.15 + out_tokens * 0.6) / 1e6);
		int64_t offset = seed->count > 1 ? seed->span_ms * i / (seed->count - 1) : 0;
		struct db_run run = {
			.created_ms = seed->start_ms + offset,
			.kind = PICK(kinds),
			.model = PICK(models),
			.prompt = buf_str(&prompt),
			.messages = buf_str(&messages),
			.params = buf_str(&params),
			.output = buf_str(&output),
			.metrics = buf_str(&metrics),
		};
		if (db_run_insert(db, &run, e) < 0) {
			rc = -1;
			break;
		}
	}
	buf_free(&prompt);
	buf_free(&messages);
	buf_free(&params);
	buf_free(&output);
	buf_free(&metrics);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s PATH [COUNT]\n", argv[0]);
		return EXIT_USAGE;
	}
	char *end;
	long count = argc == 3 ? strtol(argv[2], &end, 10) : 10000;
	if (argc == 3 && (*end || end == argv[2] || count < 0)) {
		fprintf(stderr, "seed_history: COUNT must be a non-negative integer, not '%s'\n", argv[2]);
		return EXIT_USAGE;
	}

	struct err e = ERR_INIT;
	struct db *db = db_open(argv[1], 5000, NULL, &e);
	if (!db) {
		fprintf(stderr, "seed_history: %s\n", err_msg(&e));
		return EXIT_FAIL;
	}
	int64_t now = clock_wall_ms();
	struct seed seed = { .count = count, .start_ms = now - 90 * DAY_MS, .span_ms = 90 * DAY_MS };
	int64_t t0 = clock_us();
	int rc = db_tx(db, seed_runs, &seed, &e);
	int64_t us = clock_us() - t0;
	if (rc != 0) {
		fprintf(stderr, "seed_history: %s\n", err_msg(&e));
		db_close(db);
		return EXIT_FAIL;
	}
	printf("seeded %ld runs into %s in %.1f ms (%.0f runs/s); %" PRId64 " runs in total\n",
	       count, argv[1], us / 1000.0, us ? count * 1e6 / (double)us : 0.0, db_run_count(db));
	db_close(db);
	return EXIT_OK;
}
