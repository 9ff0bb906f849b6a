/* A workbench column's conversation: started from what the first run sent
 * and answered (a chain's turns counted), follow-ups carrying every message
 * with the system prompt, the shown transcript growing only with answered
 * turns, totals, and every conversation of a compare read back whole from the
 * history by any of its turns. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/thread.h"
#include "store/history.h"

static struct run_metrics metrics(int64_t in, int64_t out, double cost)
{
	struct run_metrics m = { .ttft_ms = 10, .total_ms = 100, .input_tokens = in, .output_tokens = out,
				 .tokens_per_s = 5, .cost_usd = cost, .complete = 1 };
	return m;
}

static void test_start_and_follow_up(void **state)
{
	(void)state;
	struct thread t;
	thread_init(&t);
	struct llm_message sent[] = { { "user", "example q" }, { "assistant", "example a" }, { "user", "the question" } };
	struct run_metrics m = metrics(30, 5, 0.5);
	thread_start(&t, "openai/a", "the system", sent, 3, "the answer", "the answer", &m, 7, 1);
	assert_true(t.started);
	assert_string_equal(t.conv.system, "the system");
	assert_int_equal(t.conv.nmessages, 4);
	assert_int_equal(conv_next_conversation(&t.conv), 7);
	assert_int_equal(conv_next_turn(&t.conv), 2);
	assert_int_equal(t.followups, 0);

	char *shown = thread_shown_next(&t, "and then?");
	assert_string_equal(shown, "the answer\n\n" THREAD_YOU "and then?\n\n" THREAD_ANSWER);
	thread_begin(&t, "and then?");
	struct llm_request rq;
	memset(&rq, 0, sizeof rq);
	conv_request(&t.conv, &rq);
	assert_int_equal(rq.nmessages, 5);
	assert_string_equal(rq.system, "the system");
	assert_string_equal(rq.messages[3].content, "the answer");
	assert_string_equal(rq.messages[4].content, "and then?");
	char *after = xasprintf("%sthen this", shown);
	m = metrics(40, 3, 0.25);
	thread_end(&t, "then this", after, &m, 8);
	assert_string_equal(buf_str(&t.shown), after);
	assert_int_equal(t.conv.nmessages, 6);
	assert_int_equal(conv_next_turn(&t.conv), 3);
	assert_int_equal(t.followups, 1);
	char totals[160];
	thread_totals(&t, totals, sizeof totals);
	assert_string_equal(totals, "2 turns · 70 in / 8 out tokens · $0.750000");

	/* a failed turn: the question is taken out and the transcript stays */
	thread_begin(&t, "fails");
	thread_end(&t, NULL, "garbage", NULL, 0);
	assert_int_equal(t.conv.nmessages, 6);
	assert_string_equal(buf_str(&t.shown), after);
	free(shown);
	free(after);

	/* no answer: nothing to continue; a chain's steps count as turns */
	thread_start(&t, "openai/a", NULL, sent, 3, "", "x", &m, 9, 1);
	assert_false(t.started);
	thread_start(&t, "openai/a", NULL, sent, 3, "final", "step 1 ... final", &m, 9, 3);
	assert_int_equal(conv_next_turn(&t.conv), 4);
	assert_string_equal(buf_str(&t.shown), "step 1 ... final");
	struct run_metrics unknown = metrics(1, 1, -1);
	thread_begin(&t, "q");
	thread_end(&t, "a", "s", &unknown, 10);
	thread_totals(&t, totals, sizeof totals);
	assert_non_null(strstr(totals, "+ unpriced turns"));
	thread_free(&t);
}

static void test_transcript(void **state)
{
	(void)state;
	struct conv c;
	conv_init(&c, "m/x", "sys");
	conv_push(&c, "user", "q1", NULL);
	conv_push(&c, "assistant", "a1", "m/x");
	struct buf b = BUF_INIT;
	thread_transcript(&c, &b);
	assert_string_equal(buf_str(&b), THREAD_YOU "q1\n\n" THREAD_ANSWER "a1");
	buf_free(&b);
	conv_free(&c);
}

/* A first turn shows its question above the answer; the latest answer is
 * found at the end of what a column shows, or not at all (0: all of it). */
static void test_first_question_and_latest_answer(void **state)
{
	(void)state;
	char *first = thread_shown_first("what is 2+2?\n\n");
	assert_string_equal(first, THREAD_YOU "what is 2+2?\n\n" THREAD_ANSWER);
	struct thread t;
	thread_init(&t);
	assert_int_equal(thread_answer_at(&t), 0);
	struct llm_message sent[] = { { "user", "what is 2+2?" } };
	struct run_metrics m = metrics(3, 1, 0);
	char *shown = xasprintf("%s4", first);
	thread_start(&t, "openai/a", NULL, sent, 1, "4", shown, &m, 1, 1);
	assert_int_equal(thread_answer_at(&t), strlen(first));
	char *next = thread_shown_next(&t, "and 3+3?");
	assert_string_equal(next, THREAD_YOU "what is 2+2?\n\n" THREAD_ANSWER "4\n\n" THREAD_YOU "and 3+3?\n\n" THREAD_ANSWER);
	thread_begin(&t, "and 3+3?");
	char *after = xasprintf("%s6", next);
	thread_end(&t, "6", after, &m, 2);
	assert_string_equal(buf_str(&t.shown) + thread_answer_at(&t), "6");
	assert_int_equal(thread_answer_at(&t), strlen(next));
	/* a chain's column ends with its last step, not what conv holds: all of it */
	thread_start(&t, "openai/a", NULL, sent, 1, "final", "step 1 ... final!", &m, 3, 2);
	assert_int_equal(thread_answer_at(&t), 0);
	thread_free(&t);
	free(first);
	free(shown);
	free(next);
	free(after);
}

static int64_t save(struct db *db, const char *model, const char *messages, const char *output, const char *params,
		    int64_t conv, int turn_no)
{
	struct err e = ERR_INIT;
	struct db_run run = { .kind = "compare", .model = model, .prompt = "p", .messages = messages, .output = output,
			      .params = params,
			      .metrics = "{\"status\":\"ok\",\"usage\":{\"input_tokens\":10,\"output_tokens\":2,"
					 "\"estimated\":false},\"cost_usd\":0.25}",
			      .conversation = conv, .turn = turn_no };
	int64_t id = db_run_insert(db, &run, &e);
	assert_true(id > 0);
	return id;
}

/* A compare of two models with a follow-up each: from any turn, both
 * conversations come back whole, in the compare's order. */
static void test_load_all(void **state)
{
	struct testdb *f = *state;
	const char *g1 = "{\"compare_group\":1796636933439990}";
	const char *g2 = "{\"compare_group\":1.79663693343998e+15}"; /* the follow-ups: a group of their own */
	int64_t a1 = save(f->db, "p/a", "[{\"role\":\"user\",\"content\":\"q1\"}]", "a-one", g1, 0, 0);
	int64_t b1 = save(f->db, "p/b", "[{\"role\":\"user\",\"content\":\"q1\"}]", "b-one", g1, 0, 0);
	save(f->db, "p/other", "[{\"role\":\"user\",\"content\":\"x\"}]", "x", "{\"compare_group\":5}", 0, 0);
	save(f->db, "p/b", "[{\"role\":\"user\",\"content\":\"q1\"},{\"role\":\"assistant\",\"content\":\"b-one\"},"
			   "{\"role\":\"user\",\"content\":\"q2\"}]", "b-two", g2, b1, 2);
	int64_t a2 = save(f->db, "p/a", "[{\"role\":\"user\",\"content\":\"q1\"},{\"role\":\"assistant\",\"content\":"
					"\"a-one\"},{\"role\":\"user\",\"content\":\"q2\"}]", "a-two", g2, a1, 2);
	int64_t from[] = { a1, a2, b1 };
	for (size_t k = 0; k < 3; k++) {
		struct thread *v;
		size_t n;
		struct err e = ERR_INIT;
		assert_int_equal(thread_load_all(f->db, from[k], &v, &n, &e), 1);
		assert_int_equal(n, 2);
		assert_string_equal(v[0].conv.model, "p/a");
		assert_string_equal(v[1].conv.model, "p/b");
		assert_int_equal(v[0].conv.nmessages, 4);
		assert_string_equal(v[1].conv.messages[3].content, "b-two");
		assert_int_equal(conv_next_conversation(&v[0].conv), a1);
		assert_int_equal(conv_next_conversation(&v[1].conv), b1);
		assert_int_equal(conv_next_turn(&v[0].conv), 3);
		assert_int_equal(v[0].conv.input_tokens, 20);
		assert_true(v[0].started);
		assert_int_equal(v[0].followups, 1);
		assert_string_equal(buf_str(&v[0].shown), THREAD_YOU "q1\n\n" THREAD_ANSWER "a-one\n\n" THREAD_YOU "q2\n\n"
								 THREAD_ANSWER "a-two");
		/* the latest answer is the end of what the column shows */
		assert_string_equal(buf_str(&v[0].shown) + thread_answer_at(&v[0]), "a-two");
		for (size_t i = 0; i < n; i++)
			thread_free(&v[i]);
		free(v);
	}
	/* a run on its own is one conversation of one turn; no run: 0 */
	int64_t solo = save(f->db, "p/c", "[{\"role\":\"user\",\"content\":\"solo\"}]", "yes", NULL, 0, 0);
	struct thread *v;
	size_t n;
	struct err e = ERR_INIT;
	assert_int_equal(thread_load_all(f->db, solo, &v, &n, &e), 1);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].conv.turns, 1);
	thread_free(&v[0]);
	free(v);
	assert_int_equal(thread_load_all(f->db, 9999, &v, &n, &e), 0);
	assert_null(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_and_follow_up),
		cmocka_unit_test(test_transcript),
		cmocka_unit_test(test_first_question_and_latest_answer),
		cmocka_unit_test_setup_teardown(test_load_all, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
