#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "llm/run.h"
#include "store/db.h"
#include "store/history.h"


static int64_t add_run(struct db *db, int64_t created_ms, const char *model, const char *prompt, const char *output)
{
	struct err e = ERR_INIT;
	struct db_run run = {
		.created_ms = created_ms, .kind = "ask", .model = model, .prompt = prompt,
		.messages = "[{\"role\":\"user\",\"content\":\"x\"}]", .params = "{}", .output = output,
		.metrics = "{\"usage\":{\"input_tokens\":3,\"output_tokens\":7,\"estimated\":false},"
			   "\"ttft_ms\":120.5,\"total_ms\":900,\"tokens_per_s\":8.5,\"cost_usd\":0.00042,"
			   "\"status\":\"ok\",\"stop_reason\":\"stop\"}",
	};
	int64_t id = db_run_insert(db, &run, &e);
	assert_true(id > 0);
	return id;
}

static struct history_hit *search(struct db *db, const char *text, size_t limit, size_t offset, size_t *n)
{
	struct history_query q = { text, NULL, limit, offset };
	struct history_hit *hits = NULL;
	struct err e = ERR_INIT;
	int rc = history_find(db, &q, &hits, n, &e);
	if (rc != 0)
		fail_msg("history_find(%s): %s", text ? text : "NULL", err_msg(&e));
	return hits;
}

static int64_t count(struct db *db, const char *text, const char *model)
{
	struct history_query q = { text, model, 0, 0 };
	struct err e = ERR_INIT;
	int64_t n = history_count(db, &q, &e);
	if (n < 0)
		fail_msg("history_count(%s): %s", text ? text : "NULL", err_msg(&e));
	return n;
}

static void seed_corpus(struct db *db)
{
	add_run(db, 1000, "openai/gpt-4o-mini", "What is vector quantization?",
		"Vector quantization maps vectors to a small codebook. Quantization trades accuracy for memory, "
		"and product quantization splits vectors into sub-vectors before quantization.");
	add_run(db, 2000, "anthropic/claude-3-5-haiku-latest", "Explain TCP slow start.",
		"Slow start grows the congestion window quickly. A long answer about networking, windows, "
		"acknowledgements, retransmission timers, and one passing mention of quantization at the end.");
	add_run(db, 3000, "openai/gpt-4o", "I don't know what gpt-4o costs",
		"It depends on the tokens; don't forget the output price.");
	add_run(db, 4000, "ollama/llama3.1", "Un café naïve, s'il vous plaît", "日本語のテキスト and résumé");
	add_run(db, 5000, "vllm/meta-llama/Llama-3.1-8B", "Borrow checker rules", "The borrow checker rejects "
		"two mutable borrows; borrowing is checked at compile time.");
}

static void test_fts_query(void **state)
{
	(void)state;
	static const struct { const char *in, *out; } cases[] = {
		{ "hello", "\"hello\"" },
		{ "don't", "\"don't\"" },
		{ "gpt-4o", "\"gpt-4o\"" },
		{ "a\"b", "\"a\"\"b\"" },
		{ "borr*", "\"borr\"*" },
		{ "two words", "\"two\" \"words\"" },
		{ "\"exact phrase\" x", "\"exact phrase\" \"x\"" },
		{ "\"unterminated phrase", "\"unterminated phrase\"" },
		{ "\"pre fix\"*", "\"pre fix\"*" },
		{ "AND OR NOT NEAR", "\"AND\" \"OR\" \"NOT\" \"NEAR\"" },
		{ "prompt:x", "\"prompt:x\"" },
		{ "  spaced\tout\n", "\"spaced\" \"out\"" },
		{ "naïve", "\"naïve\"" },
		{ "the the x the", "\"the\" \"x\"" },
		{ "a\"word word", "\"a\"\"word\" \"word\"" },
		{ "word word*", "\"word\" \"word\"*" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *q = history_fts_query(cases[i].in);
		assert_non_null(q);
		assert_string_equal(q, cases[i].out);
		free(q);
	}
	static const char *const empty[] = { "", "   ", "*", "**", "\"", "\"\"", "'", "-", "()", "\" *", NULL };
	for (int i = 0; empty[i]; i++)
		assert_null(history_fts_query(empty[i]));
	assert_null(history_fts_query(NULL));

	struct buf many = BUF_INIT;
	for (int i = 0; i < 3000; i++)
		buf_printf(&many, "w%d ", i);
	char *q = history_fts_query(buf_str(&many));
	int words = 0;
	for (const char *p = q; *p; p++)
		words += *p == ' ';
	assert_int_equal(words + 1, HISTORY_WORDS_MAX);
	assert_non_null(strstr(q, "\"w15\""));
	assert_null(strstr(q, "\"w16\""));
	free(q);
	buf_reset(&many);
	for (int i = 0; i < 1000; i++)
		buf_puts(&many, "é");
	q = history_fts_query(buf_str(&many));
	assert_int_equal(strlen(q), HISTORY_WORD_MAX + 2);
	free(q);
	buf_free(&many);
}

static void test_better_match_ranks_first(void **state)
{
	struct testdb *f = *state;
	seed_corpus(f->db);
	size_t n;
	struct history_hit *hits = search(f->db, "quantization", 10, 0, &n);
	assert_int_equal(n, 2);
	assert_string_equal(hits[0].prompt, "What is vector quantization?");
	assert_string_equal(hits[1].prompt, "Explain TCP slow start.");
	assert_true(hits[0].score > hits[1].score);
	history_hits_free(hits, n);

	hits = search(f->db, "borrow checker", 10, 0, &n);
	assert_int_equal(n, 1);
	assert_int_equal(hits[0].created_ms, 5000);
	history_hits_free(hits, n);
}

static void test_snippet_marks_the_match(void **state)
{
	struct testdb *f = *state;
	seed_corpus(f->db);
	size_t n;
	struct history_hit *hits = search(f->db, "congestion", 10, 0, &n);
	assert_int_equal(n, 1);
	assert_non_null(hits[0].snippet);
	assert_non_null(strstr(hits[0].snippet, "\x01" "congestion" "\x02"));
	history_hits_free(hits, n);

	hits = search(f->db, "quant*", 10, 0, &n);
	assert_int_equal(n, 2);
	assert_non_null(strstr(hits[0].snippet, "\x01" "quantization" "\x02"));
	history_hits_free(hits, n);

	hits = search(f->db, "\"borrow checker\"", 10, 0, &n);
	assert_int_equal(n, 1);
	assert_non_null(strcasestr(hits[0].snippet, "\x01" "borrow checker" "\x02"));
	history_hits_free(hits, n);
}

static void test_marks_unambiguous_with_control_bytes_in_text(void **state)
{
	struct testdb *f = *state;
	add_run(f->db, 1, "m", "plain prompt", "noise \x01" "fake\x02 marks around the word lighthouse \x02 end");
	size_t n;
	struct history_hit *hits = search(f->db, "lighthouse", 10, 0, &n);
	assert_int_equal(n, 1);
	const char *s = hits[0].snippet;
	assert_non_null(strstr(s, "\x01" "lighthouse" "\x02"));
	int on = 0, off = 0;
	for (const char *p = s; *p; p++) {
		on += *p == HISTORY_MARK_ON;
		off += *p == HISTORY_MARK_OFF;
	}
	assert_int_equal(on, 1);
	assert_int_equal(off, 1);
	assert_non_null(strstr(s, "noise fake marks"));
	history_hits_free(hits, n);
}

static void test_awkward_queries_never_fail(void **state)
{
	struct testdb *f = *state;
	seed_corpus(f->db);
	static const char *const queries[] = {
		"don't", "gpt-4o", "\"", "\"\"", "'", "a\"b", "(", ")", "(a OR b", "AND", "OR", "NOT", "NEAR",
		"NEAR(a b)", "prompt:slow", "{prompt output}: x", "^start", "-", "+", "*", "**", "*foo", "foo**",
		"\"unterminated", "naïve", "日本語", "emoji 🙂", "", "   ", "\xff\xfe invalid \xc0\xaf", "a\001b",
		"x:", "...", "—", "%", "_", "\\", "'; DROP TABLE runs; --", "col*umn", "\"a\"*\"b\"", "a:b:c*",
		"rank MATCH", "bm25()", "\t\n",
	};
	for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
		size_t n;
		struct history_hit *hits = search(f->db, queries[i], 5, 0, &n);
		history_hits_free(hits, n);
		assert_true(count(f->db, queries[i], NULL) >= 0);
		assert_true(count(f->db, queries[i], "openai/gpt-4o") >= 0);
	}
	assert_int_equal(db_run_count(f->db), 5);
}

static void test_punctuation_matches_literally(void **state)
{
	struct testdb *f = *state;
	seed_corpus(f->db);
	assert_int_equal(count(f->db, "don't", NULL), 1);
	assert_int_equal(count(f->db, "gpt-4o", NULL), 1);
	assert_int_equal(count(f->db, "GPT-4O costs", NULL), 1);
	assert_int_equal(count(f->db, "naive", NULL), 1);
	assert_int_equal(count(f->db, "café", NULL), 1);
	assert_int_equal(count(f->db, "日本語のテキスト", NULL), 1);
	assert_int_equal(count(f->db, "resume", NULL), 1);
	assert_int_equal(count(f->db, "borrow nosuchword", NULL), 0);
	assert_int_equal(count(f->db, "borrow —", NULL), 1);
}

static void test_newest_first_without_query(void **state)
{
	struct testdb *f = *state;
	int64_t ids[4];
	ids[0] = add_run(f->db, 3000, "m", "third", "c");
	ids[1] = add_run(f->db, 1000, "m", "first", "a");
	ids[2] = add_run(f->db, 4000, "m", "fourth", "d");
	ids[3] = add_run(f->db, 2000, "m", "second", "b");
	static const char *const none[] = { NULL, "", "*", "  \" " };
	for (size_t k = 0; k < sizeof none / sizeof none[0]; k++) {
		size_t n;
		struct history_hit *hits = search(f->db, none[k], 0, 0, &n);
		assert_int_equal(n, 4);
		assert_int_equal(hits[0].id, ids[2]);
		assert_int_equal(hits[1].id, ids[0]);
		assert_int_equal(hits[2].id, ids[3]);
		assert_int_equal(hits[3].id, ids[1]);
		assert_null(hits[0].snippet);
		assert_string_equal(hits[0].status, "ok");
		assert_true(hits[0].ttft_ms > 120 && hits[0].ttft_ms < 121);
		assert_true(hits[0].cost_usd > 0.00041 && hits[0].cost_usd < 0.00043);
		assert_true(hits[0].total_ms == 900);
		history_hits_free(hits, n);
		assert_int_equal(count(f->db, none[k], NULL), 4);
	}
}

static int64_t add_turn(struct db *db, int64_t created_ms, const char *model, const char *prompt, int64_t conv,
			int turn, const char *cost)
{
	struct err e = ERR_INIT;
	char *metrics = xasprintf("{\"status\":\"ok\",\"total_ms\":10,\"cost_usd\":%s}", cost);
	struct db_run run = { .created_ms = created_ms, .kind = "chat", .model = model, .prompt = prompt,
			      .messages = "[]", .output = "answer", .metrics = metrics, .conversation = conv,
			      .turn = turn };
	int64_t id = db_run_insert(db, &run, &e);
	free(metrics);
	assert_true(id > 0);
	return id;
}

/* A conversation lists as one row (its first prompt, latest model and time,
 * turns, costs summed); reading it gives every turn in order; a search still
 * finds single turns and names their conversation. */
static void test_conversations_grouped(void **state)
{
	struct testdb *f = *state;
	int64_t solo = add_run(f->db, 1000, "m", "alone", "a");
	int64_t c1 = add_turn(f->db, 2000, "openai/a", "herons first", 0, 1, "0.5");
	int64_t other = add_run(f->db, 2500, "m", "between", "b");
	int64_t c2 = add_turn(f->db, 3000, "openai/b", "herons second", c1, 2, "0.25");
	int64_t c3 = add_turn(f->db, 4000, "anthropic/c", "herons third", c1, 3, "null");
	size_t n;
	struct history_hit *hits = search(f->db, NULL, 0, 0, &n);
	assert_int_equal(n, 3);
	assert_int_equal(hits[0].id, c1);
	assert_int_equal(hits[0].conversation, c1);
	assert_int_equal(hits[0].turns, 3);
	assert_int_equal(hits[0].turn, 3);
	assert_int_equal(hits[0].created_ms, 4000);
	assert_int_equal(hits[0].latest, c3);
	assert_int_equal(hits[1].latest, other);
	assert_string_equal(hits[0].prompt, "herons first");
	assert_string_equal(hits[0].model, "anthropic/c");
	assert_true(hits[0].cost_usd > 0.749 && hits[0].cost_usd < 0.751);
	assert_int_equal(hits[1].id, other);
	assert_int_equal(hits[1].turns, 1);
	assert_int_equal(hits[1].conversation, 0);
	assert_int_equal(hits[2].id, solo);
	history_hits_free(hits, n);
	assert_int_equal(count(f->db, NULL, NULL), 3);
	assert_int_equal(count(f->db, NULL, "openai"), 0); /* the latest turn's model names the row */
	assert_int_equal(count(f->db, NULL, "anthropic/c"), 1);

	hits = search(f->db, "herons", 0, 0, &n);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(hits[i].conversation, c1);
	history_hits_free(hits, n);
	assert_int_equal(count(f->db, "herons", NULL), 3);

	struct history_run *turns;
	struct err e = ERR_INIT;
	int64_t ids[] = { c1, c2, c3 };
	for (size_t k = 0; k < 3; k++) {
		assert_int_equal(history_read_conversation(f->db, ids[k], &turns, &n, &e), 1);
		assert_int_equal(n, 3);
		for (int t = 0; t < 3; t++) {
			assert_int_equal(turns[t].id, ids[t]);
			assert_int_equal(turns[t].turn, t + 1);
			assert_int_equal(turns[t].conversation, c1);
		}
		history_runs_free(turns, n);
	}
	assert_int_equal(history_read_conversation(f->db, solo, &turns, &n, &e), 1);
	assert_int_equal(n, 1);
	assert_int_equal(turns[0].id, solo);
	assert_int_equal(turns[0].turn, 0);
	history_runs_free(turns, n);
	assert_int_equal(history_read_conversation(f->db, 999, &turns, &n, &e), 0);
	assert_int_equal(history_latest_id(f->db, &e), c3);
}

static void test_empty_history(void **state)
{
	struct testdb *f = *state;
	size_t n = 99;
	struct history_hit *hits = search(f->db, NULL, 10, 0, &n);
	assert_int_equal(n, 0);
	history_hits_free(hits, n);
	hits = search(f->db, "anything", 10, 0, &n);
	assert_int_equal(n, 0);
	history_hits_free(hits, n);
	assert_int_equal(count(f->db, NULL, NULL), 0);
}

static void test_limit_and_offset(void **state)
{
	struct testdb *f = *state;
	for (int i = 0; i < 25; i++) {
		char prompt[64];
		snprintf(prompt, sizeof prompt, "paging run %d", i);
		add_run(f->db, 1000 + i, "m", prompt, "common words here");
	}
	static const char *const queries[] = { NULL, "common" };
	for (size_t k = 0; k < 2; k++) {
		size_t n_all;
		struct history_hit *all = search(f->db, queries[k], 100, 0, &n_all);
		assert_int_equal(n_all, 25);
		size_t seen = 0;
		for (size_t off = 0; off < 25; off += 10) {
			size_t n;
			struct history_hit *page = search(f->db, queries[k], 10, off, &n);
			assert_int_equal(n, off == 20 ? 5 : 10);
			for (size_t i = 0; i < n; i++)
				assert_int_equal(page[i].id, all[off + i].id);
			seen += n;
			history_hits_free(page, n);
		}
		assert_int_equal(seen, 25);
		size_t n;
		struct history_hit *none = search(f->db, queries[k], 10, 25, &n);
		assert_int_equal(n, 0);
		history_hits_free(none, n);
		struct history_hit *dflt = search(f->db, queries[k], 0, 0, &n);
		assert_int_equal(n, 20);
		history_hits_free(dflt, n);
		history_hits_free(all, n_all);
		assert_int_equal(count(f->db, queries[k], NULL), 25);
	}
}

static int add_many(struct db *db, void *ud, struct err *e)
{
	int n = *(int *)ud;
	for (int i = 0; i < n; i++) {
		char prompt[64];
		snprintf(prompt, sizeof prompt, "deep page %d", i);
		struct db_run run = { .created_ms = 1000 + i, .kind = "ask", .model = "m", .prompt = prompt,
				      .output = i % 2 ? "common common words" : "common words" };
		if (db_run_insert(db, &run, e) < 0)
			return -1;
	}
	return 0;
}

static void test_paging_past_the_rank_window(void **state)
{
	struct testdb *f = *state;
	int total = HISTORY_RANK_WINDOW + 50;
	assert_int_equal(db_tx(f->db, add_many, &total, NULL), 0);
	assert_int_equal(count(f->db, "common", NULL), total);
	char *seen = xcalloc((size_t)total + 1, 1);
	size_t got = 0;
	for (size_t off = 0; off < (size_t)total; off += 100) {
		size_t n;
		struct history_hit *page = search(f->db, "common", 100, off, &n);
		assert_int_equal(n, off + 100 <= (size_t)total ? 100 : (size_t)total - off);
		for (size_t i = 0; i < n; i++) {
			assert_true(page[i].id >= 1 && page[i].id <= total);
			assert_false(seen[page[i].id]);
			seen[page[i].id] = 1;
			assert_non_null(page[i].snippet);
			assert_non_null(strstr(page[i].snippet, "\x01" "common" "\x02"));
		}
		got += n;
		history_hits_free(page, n);
	}
	assert_int_equal(got, (size_t)total);
	free(seen);
	size_t n;
	struct history_hit *past = search(f->db, "common", 20, (size_t)total, &n);
	assert_int_equal(n, 0);
	history_hits_free(past, n);
}

static void test_model_filter(void **state)
{
	struct testdb *f = *state;
	seed_corpus(f->db);
	assert_int_equal(count(f->db, NULL, "openai/gpt-4o"), 1);
	assert_int_equal(count(f->db, NULL, "gpt-4o-mini"), 1);
	assert_int_equal(count(f->db, NULL, "openai"), 2);
	assert_int_equal(count(f->db, NULL, "meta-llama/Llama-3.1-8B"), 1);
	assert_int_equal(count(f->db, NULL, "vllm"), 1);
	assert_int_equal(count(f->db, NULL, "nosuch"), 0);
	assert_int_equal(count(f->db, "quantization", "openai"), 1);
	assert_int_equal(count(f->db, "quantization", "anthropic"), 1);
	struct history_query q = { "quantization", "anthropic", 10, 0 };
	struct history_hit *hits;
	size_t n;
	assert_int_equal(history_find(f->db, &q, &hits, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_string_equal(hits[0].model, "anthropic/claude-3-5-haiku-latest");
	history_hits_free(hits, n);
}

static void test_long_prompt_truncated(void **state)
{
	struct testdb *f = *state;
	struct buf b = BUF_INIT;
	for (int i = 0; i < 100; i++)
		buf_puts(&b, "é lot ");
	add_run(f->db, 1, "m", buf_str(&b), "out");
	size_t n;
	struct history_hit *hits = search(f->db, "lot", 1, 0, &n);
	assert_int_equal(n, 1);
	const char *p = hits[0].prompt;
	size_t len = strlen(p);
	assert_true(len < b.len);
	assert_string_equal(p + len - strlen("…"), "…");
	size_t chars = 0;
	for (size_t i = 0; i < len; i++)
		chars += ((unsigned char)p[i] & 0xc0) != 0x80;
	assert_int_equal(chars, HISTORY_PROMPT_MAX);
	history_hits_free(hits, n);
	buf_free(&b);
}

static void test_get_saved_run(void **state)
{
	struct testdb *f = *state;
	struct catalog_entry price = { .has_price = 1, .input_per_mtok = 1.0, .output_per_mtok = 2.0 };
	struct run r;
	memset(&r, 0, sizeof r);
	r.model = xstrdup("openai/gpt-4o-mini");
	buf_puts(&r.text, "Hello from the fake OpenAI.\n");
	r.finished = 1;
	r.result.status = LLM_OK;
	r.result.usage.input_tokens = 5;
	r.result.usage.output_tokens = 13;
	snprintf(r.result.stop_reason, sizeof r.result.stop_reason, "stop");
	snprintf(r.result.request_id, sizeof r.result.request_id, "req_42");
	r.price = &price;
	r.start_us = 1000000;
	r.first_text_us = 1100000;
	r.end_us = 1500000;
	const char *stops[] = { "###" };
	struct llm_message msg = { "user", "Say hello to the test" };
	struct llm_request rq;
	memset(&rq, 0, sizeof rq);
	rq.model = "gpt-4o-mini";
	rq.system = "Be brief.";
	rq.messages = &msg;
	rq.nmessages = 1;
	rq.params.has_temperature = 1;
	rq.params.temperature = 0.5;
	rq.params.has_max_tokens = 1;
	rq.params.max_tokens = 64;
	rq.params.stop = stops;
	rq.params.nstop = 1;
	struct err e = ERR_INIT;
	int64_t id = run_save(f->db, &r, &rq, "ask", NULL, &e);
	assert_true(id > 0);
	free(r.model);
	buf_free(&r.text);

	struct history_run h;
	assert_int_equal(history_read(f->db, id, &h, &e), 1);
	assert_int_equal(h.id, id);
	assert_true(h.created_ms > 0);
	assert_string_equal(h.kind, "ask");
	assert_string_equal(h.model, "openai/gpt-4o-mini");
	assert_string_equal(h.prompt, "Say hello to the test");
	assert_string_equal(h.output, "Hello from the fake OpenAI.\n");
	assert_int_equal(h.nmessages, 2);
	assert_string_equal(h.messages[0].role, "system");
	assert_string_equal(h.messages[0].content, "Be brief.");
	assert_string_equal(h.messages[1].role, "user");
	assert_string_equal(h.messages[1].content, "Say hello to the test");
	assert_int_equal(h.nparams, 3);
	assert_string_equal(h.params[0].name, "temperature");
	assert_string_equal(h.params[0].value, "0.5");
	assert_string_equal(h.params[1].name, "max_tokens");
	assert_string_equal(h.params[1].value, "64");
	assert_string_equal(h.params[2].name, "stop");
	assert_string_equal(h.params[2].value, "[\"###\"]");
	const struct history_metrics *m = &h.metrics;
	assert_true(m->ttft_ms > 99.9 && m->ttft_ms < 100.1);
	assert_true(m->total_ms > 499.9 && m->total_ms < 500.1);
	assert_int_equal(m->input_tokens, 5);
	assert_int_equal(m->output_tokens, 13);
	assert_false(m->estimated);
	assert_true(m->tokens_per_s > 32 && m->tokens_per_s < 33);
	assert_true(m->cost_usd > 0.0000309 && m->cost_usd < 0.0000311);
	assert_string_equal(m->status, "ok");
	assert_string_equal(m->stop_reason, "stop");
	assert_string_equal(m->request_id, "req_42");
	assert_null(m->error);
	history_run_free(&h);

	size_t n;
	struct history_hit *hits = search(f->db, "hello", 10, 0, &n);
	assert_int_equal(n, 1);
	assert_int_equal(hits[0].id, id);
	assert_string_equal(hits[0].status, "ok");
	assert_true(hits[0].ttft_ms > 99.9 && hits[0].ttft_ms < 100.1);
	history_hits_free(hits, n);
}

static void test_get_missing_and_odd_rows(void **state)
{
	struct testdb *f = *state;
	struct history_run h;
	struct err e = ERR_INIT;
	assert_int_equal(history_read(f->db, 12345, &h, &e), 0);
	assert_false(e.set);
	history_run_free(&h);

	struct db_run odd = { .kind = "experiment", .prompt = "p", .messages = "not json", .params = "[1,2]",
			      .metrics = "{broken" };
	int64_t id = db_run_insert(f->db, &odd, &e);
	assert_true(id > 0);
	assert_int_equal(history_read(f->db, id, &h, &e), 1);
	assert_null(h.model);
	assert_string_equal(h.output, "");
	assert_int_equal(h.nmessages, 0);
	assert_int_equal(h.nparams, 0);
	assert_null(h.metrics.status);
	assert_true(h.metrics.ttft_ms < 0 && h.metrics.cost_usd < 0 && h.metrics.input_tokens < 0);
	history_run_free(&h);

	size_t n;
	struct history_hit *hits = search(f->db, NULL, 10, 0, &n);
	assert_int_equal(n, 1);
	assert_null(hits[0].status);
	assert_true(hits[0].cost_usd < 0);
	history_hits_free(hits, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fts_query),
		cmocka_unit_test_setup_teardown(test_better_match_ranks_first, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_snippet_marks_the_match, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_marks_unambiguous_with_control_bytes_in_text, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_awkward_queries_never_fail, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_punctuation_matches_literally, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_newest_first_without_query, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_empty_history, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_conversations_grouped, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_limit_and_offset, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_paging_past_the_rank_window, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_model_filter, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_long_prompt_truncated, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_get_saved_run, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_get_missing_and_odd_rows, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
