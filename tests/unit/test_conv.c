#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdb.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/path.h"
#include "chat/conv.h"
#include "store/history.h"

static struct run_metrics metrics(int64_t in, int64_t out, double cost, int estimated)
{
	struct run_metrics m = { .ttft_ms = 10, .total_ms = 100, .input_tokens = in, .output_tokens = out,
				 .estimated = estimated, .tokens_per_s = 5, .cost_usd = cost, .complete = 1 };
	return m;
}

static void turn(struct conv *c, const char *q, const char *a, int64_t in, int64_t out, double cost, int64_t id)
{
	conv_begin_turn(c, q);
	struct run_metrics m = metrics(in, out, cost, 0);
	conv_end_turn(c, a, &m, id);
}

/* Each request carries every message so far, the new question last. */
static void test_messages_grow(void **state)
{
	(void)state;
	struct conv c;
	conv_init(&c, "openai/gpt-4o-mini", "Be brief.");
	assert_int_equal(conv_next_turn(&c), 1);
	assert_int_equal(conv_next_conversation(&c), 0);
	conv_begin_turn(&c, "first question");
	struct llm_request rq = { 0 };
	conv_request(&c, &rq);
	assert_string_equal(rq.system, "Be brief.");
	assert_int_equal(rq.nmessages, 1);
	assert_string_equal(rq.messages[0].role, "user");
	assert_string_equal(rq.messages[0].content, "first question");
	struct run_metrics m = metrics(10, 5, 0.001, 0);
	conv_end_turn(&c, "first answer", &m, 41);
	assert_int_equal(conv_next_conversation(&c), 41);
	assert_int_equal(conv_next_turn(&c), 2);

	conv_begin_turn(&c, "second question");
	conv_request(&c, &rq);
	assert_int_equal(rq.nmessages, 3);
	assert_string_equal(rq.messages[1].role, "assistant");
	assert_string_equal(rq.messages[1].content, "first answer");
	assert_string_equal(rq.messages[2].content, "second question");
	conv_end_turn(&c, "second answer", &m, 42);
	assert_int_equal(conv_next_conversation(&c), 41); /* the first turn's id stays */
	assert_int_equal(conv_next_turn(&c), 3);
	assert_int_equal(c.nmessages, 4);
	conv_free(&c);
}

/* A turn without an answer takes its question out, still counts its tokens, and
 * still takes a turn number (its run is in the history). */
static void test_failed_turn_leaves_no_question(void **state)
{
	(void)state;
	struct conv c;
	conv_init(&c, "openai/a", NULL);
	turn(&c, "q1", "a1", 10, 10, 0.5, 7);
	conv_begin_turn(&c, "q2 that fails");
	struct run_metrics m = metrics(12, 0, 0.25, 0);
	conv_end_turn(&c, "", &m, 8);
	assert_int_equal(c.nmessages, 2);
	assert_string_equal(c.messages[1].content, "a1");
	assert_int_equal(conv_next_turn(&c), 3);
	assert_int_equal(c.input_tokens, 22);
	assert_true(c.cost_usd > 0.749 && c.cost_usd < 0.751);
	/* a question begun while another waits ends the waiting one unanswered */
	conv_begin_turn(&c, "q3");
	conv_begin_turn(&c, "q4");
	assert_int_equal(c.nmessages, 3);
	assert_string_equal(c.messages[2].content, "q4");
	assert_null(c.system);
	conv_free(&c);
}

static void test_long_conversation(void **state)
{
	(void)state;
	struct conv c;
	conv_init(&c, "openai/a", NULL);
	char q[32], a[32];
	for (int i = 0; i < 40; i++) {
		snprintf(q, sizeof q, "q%d", i);
		snprintf(a, sizeof a, "a%d", i);
		turn(&c, q, a, 1, 1, 0, i + 1);
	}
	conv_begin_turn(&c, "last");
	struct llm_request rq = { 0 };
	conv_request(&c, &rq);
	assert_int_equal(rq.nmessages, 81);
	assert_string_equal(rq.messages[0].content, "q0");
	assert_string_equal(rq.messages[79].content, "a39");
	assert_string_equal(rq.messages[80].content, "last");
	assert_string_equal(c.answered_by[79], "openai/a");
	assert_int_equal(conv_next_turn(&c), 41);
	assert_int_equal(conv_next_conversation(&c), 1);
	conv_free(&c);
}

static void test_totals_and_unknown_cost(void **state)
{
	(void)state;
	struct conv c;
	conv_init(&c, "openai/a", NULL);
	turn(&c, "q1", "a1", 100, 20, 0.002, 1);
	turn(&c, "q2", "a2", 150, 30, -1, 2);
	assert_int_equal(c.input_tokens, 250);
	assert_int_equal(c.output_tokens, 50);
	assert_true(c.cost_usd > 0.00199 && c.cost_usd < 0.00201);
	assert_true(c.cost_unknown);
	assert_int_equal(c.last.input_tokens, 150);
	conv_clear(&c);
	assert_int_equal(c.nmessages, 0);
	assert_int_equal(c.input_tokens, 0);
	assert_false(c.cost_unknown);
	assert_int_equal(conv_next_turn(&c), 1);
	assert_int_equal(conv_next_conversation(&c), 0);
	assert_string_equal(c.model, "openai/a");
	conv_free(&c);
}

/* The estimate: the latest reported counts plus the new text, or every byte
 * estimated; NEAR from 90 % of the window, OVER at all of it. */
static void test_context_window(void **state)
{
	(void)state;
	struct conv c;
	conv_init(&c, "openai/a", NULL);
	char next[401];
	memset(next, 'x', 400);
	next[400] = '\0';
	assert_int_equal(conv_estimate_next(&c, next), 100);
	assert_int_equal(conv_window_check(&c, next, 0, NULL), CONV_WINDOW_UNKNOWN);
	assert_int_equal(conv_window_check(&c, next, 1000, NULL), CONV_WINDOW_OK);
	assert_int_equal(conv_window_check(&c, next, 112, NULL), CONV_WINDOW_OK); /* 100 < 90 % of 112 */
	assert_int_equal(conv_window_check(&c, next, 111, NULL), CONV_WINDOW_NEAR);
	assert_int_equal(conv_window_check(&c, next, 100, NULL), CONV_WINDOW_OVER);
	turn(&c, "hello", "world", 800, 50, 0, 1);
	int64_t est = 0;
	assert_int_equal(conv_window_check(&c, next, 1000, &est), CONV_WINDOW_NEAR);
	assert_int_equal(est, 950);
	assert_int_equal(conv_window_check(&c, next, 1100, NULL), CONV_WINDOW_OK);
	assert_int_equal(conv_window_check(&c, next, 950, NULL), CONV_WINDOW_OVER);
	/* estimated counts are not trusted: the bytes are counted instead */
	conv_begin_turn(&c, "again");
	struct run_metrics m = metrics(5000, 5000, 0, 1);
	conv_end_turn(&c, "fine", &m, 2);
	assert_int_equal(conv_estimate_next(&c, ""), 5); /* hello world again fine = 19 bytes */
	conv_free(&c);
}

static void test_switch_model_and_system(void **state)
{
	(void)state;
	struct conv c;
	conv_init(&c, "openai/a", "old");
	turn(&c, "q1", "a1", 1, 1, 0, 3);
	conv_set_model(&c, "anthropic/b");
	conv_set_system(&c, "new system");
	turn(&c, "q2", "a2", 1, 1, 0, 4);
	assert_string_equal(c.answered_by[1], "openai/a");
	assert_string_equal(c.answered_by[3], "anthropic/b");
	assert_null(c.answered_by[2]);
	struct buf md = BUF_INIT;
	conv_markdown(&c, &md);
	assert_non_null(strstr(buf_str(&md), "# Conversation with anthropic/b"));
	assert_non_null(strstr(buf_str(&md), "## System\n\nnew system"));
	assert_non_null(strstr(buf_str(&md), "## You\n\nq1\n\n## openai/a\n\na1"));
	assert_non_null(strstr(buf_str(&md), "## anthropic/b\n\na2"));
	assert_non_null(strstr(buf_str(&md), "2 turns"));
	buf_free(&md);
	cJSON *o = conv_json(&c);
	assert_int_equal(cJSON_GetObjectItem(o, "conversation")->valuedouble, 3);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "messages")), 4);
	assert_string_equal(cJSON_GetObjectItem(o, "system")->valuestring, "new system");
	cJSON_Delete(o);
	conv_set_system(&c, "");
	assert_null(c.system);
	conv_free(&c);
}

static void test_save_file(void **state)
{
	struct testdb *f = *state;
	struct conv c;
	conv_init(&c, "openai/a", NULL);
	turn(&c, "what is a heron", "a wading bird", 3, 4, 0.5, 9);
	char *md = xasprintf("%s/chat.md", f->dir), *js = xasprintf("%s/chat.json", f->dir);
	struct err e = ERR_INIT;
	assert_int_equal(conv_save_file(&c, md, &e), 0);
	assert_int_equal(conv_save_file(&c, js, &e), 0);
	struct stat st;
	assert_int_equal(stat(md, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char *text = path_read_file(md, NULL, &e);
	assert_non_null(strstr(text, "## You\n\nwhat is a heron"));
	free(text);
	text = path_read_file(js, NULL, &e);
	cJSON *o = cJSON_Parse(text);
	assert_non_null(o);
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "messages"), 1)->child->next->valuestring,
			    "a wading bird");
	cJSON_Delete(o);
	free(text);
	char *bad = xasprintf("%s/no/such/dir/x.md", f->dir);
	assert_int_equal(conv_save_file(&c, bad, &e), -1);
	assert_non_null(strstr(err_msg(&e), bad));
	free(bad);
	free(md);
	free(js);
	conv_free(&c);
}

static int64_t save(struct db *db, const char *model, const char *messages, const char *prompt, const char *output,
		    int64_t conv, int turn_no)
{
	struct err e = ERR_INIT;
	struct db_run run = { .kind = "chat", .model = model, .prompt = prompt, .messages = messages, .output = output,
			      .metrics = "{\"status\":\"ok\",\"usage\":{\"input_tokens\":10,\"output_tokens\":2,"
					 "\"estimated\":false},\"cost_usd\":0.25}",
			      .conversation = conv, .turn = turn_no };
	int64_t id = db_run_insert(db, &run, &e);
	assert_true(id > 0);
	return id;
}

/* A conversation read back from the history: the latest turn's messages and
 * answer, its system prompt, every turn's totals, the next turn's number. */
static void test_load_conversation(void **state)
{
	struct testdb *f = *state;
	int64_t first = save(f->db, "openai/a", "[{\"role\":\"system\",\"content\":\"sys\"},"
				      "{\"role\":\"user\",\"content\":\"q1\"}]", "q1", "a1", 0, 1);
	int64_t second = save(f->db, "anthropic/b", "[{\"role\":\"system\",\"content\":\"sys\"},"
					"{\"role\":\"user\",\"content\":\"q1\"},{\"role\":\"assistant\",\"content\":\"a1\"},"
					"{\"role\":\"user\",\"content\":\"q2\"}]", "q2", "a2", first, 2);
	struct conv c;
	struct err e = ERR_INIT;
	for (int k = 0; k < 2; k++) {
		assert_int_equal(conv_load(&c, f->db, k ? second : first, &e), 1);
		assert_string_equal(c.model, "anthropic/b");
		assert_string_equal(c.system, "sys");
		assert_int_equal(c.nmessages, 4);
		assert_string_equal(c.messages[3].content, "a2");
		assert_string_equal(c.answered_by[1], "openai/a");
		assert_string_equal(c.answered_by[3], "anthropic/b");
		assert_int_equal(conv_next_conversation(&c), first);
		assert_int_equal(conv_next_turn(&c), 3);
		assert_int_equal(c.input_tokens, 20);
		assert_true(c.cost_usd > 0.49 && c.cost_usd < 0.51);
		conv_free(&c);
	}
	/* a run on its own continues as turn 2 and becomes turn 1 */
	int64_t solo = save(f->db, "openai/a", "[{\"role\":\"user\",\"content\":\"alone\"}]", "alone", "yes", 0, 0);
	assert_int_equal(conv_load(&c, f->db, solo, &e), 1);
	assert_int_equal(conv_next_conversation(&c), solo);
	assert_int_equal(conv_next_turn(&c), 2);
	assert_null(c.system);
	save(f->db, "openai/a", "[]", "more", "ok", conv_next_conversation(&c), conv_next_turn(&c));
	conv_free(&c);
	struct history_run run;
	assert_int_equal(history_read(f->db, solo, &run, &e), 1);
	assert_int_equal(run.conversation, solo);
	assert_int_equal(run.turn, 1);
	history_run_free(&run);
	assert_int_equal(conv_load(&c, f->db, 9999, &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_messages_grow),
		cmocka_unit_test(test_failed_turn_leaves_no_question),
		cmocka_unit_test(test_long_conversation),
		cmocka_unit_test(test_totals_and_unknown_cost),
		cmocka_unit_test(test_context_window),
		cmocka_unit_test(test_switch_model_and_system),
		cmocka_unit_test_setup_teardown(test_save_file, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_load_conversation, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
