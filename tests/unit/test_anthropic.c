#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testhttp.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "llm/errors.h"
#include "llm/internal.h"
#include "llm/paging.h"
#include "llm/provider.h"
#include "llm/stream.h"
#include "loop.h"

#define VECTORS "tests/data/vectors/sse/anthropic/"
#define KEY "sk-ant-test-SEKRET-77"

/* ---- decoding a stream in pieces ---- */

/* split > 0: two feeds cut there; step > 0: pieces of step bytes; else one feed. */
static void decode(const char *data, size_t len, size_t split, size_t step, struct outcome *o)
{
	decode_wire(&llm_anthropic_wire, "anthropic", data, len, split, step, NULL, o);
}

static void decode_str(const char *data, struct outcome *o)
{
	decode(data, strlen(data), 0, 0, o);
}

static void test_stream_basic_response(void **state)
{
	(void)state;
	size_t len;
	char *data = slurp(VECTORS "basic_response.txt", &len);
	struct outcome whole;
	decode(data, len, 0, 0, &whole);
	assert_int_equal(whole.res.status, LLM_OK);
	assert_string_equal(buf_str(&whole.text), "Hello there!");
	assert_int_equal(whole.text_calls, 3);
	assert_string_equal(whole.res.stop_reason, "end_turn");
	assert_int_equal(whole.res.usage.input_tokens, 11);
	assert_int_equal(whole.res.usage.output_tokens, 6);
	assert_string_equal(whole.res.message, "");
	check_every_chunking(&llm_anthropic_wire, "anthropic", data, len, &whole);
	outcome_free(&whole);
	free(data);
}

static void test_stream_tool_use_response(void **state)
{
	(void)state;
	size_t len;
	char *data = slurp(VECTORS "tool_use_response.txt", &len);
	struct outcome whole;
	decode(data, len, 0, 0, &whole);
	assert_int_equal(whole.res.status, LLM_OK);
	assert_string_equal(buf_str(&whole.text), "I'll check the current weather in Paris for you.");
	assert_string_equal(whole.res.stop_reason, "tool_use");
	assert_int_equal(whole.res.usage.input_tokens, 377);
	assert_int_equal(whole.res.usage.output_tokens, 65);
	check_every_chunking(&llm_anthropic_wire, "anthropic", data, len, &whole);
	outcome_free(&whole);
	free(data);
}

static void test_stream_cut_before_message_stop(void **state)
{
	(void)state;
	size_t len;
	char *data = slurp(VECTORS "basic_response.txt", &len);
	size_t delta_end = (size_t)(strstr(data, "\n\nevent: message_stop") - data);
	for (size_t k = 0; k < len - 1; k++) {
		struct outcome o;
		decode(data, k, 0, 0, &o);
		assert_int_equal(o.res.status, LLM_CUT);
		assert_true(o.text.len <= strlen("Hello there!"));
		assert_memory_equal(buf_str(&o.text), "Hello there!", o.text.len);
		assert_string_equal(o.res.message,
				    "anthropic: the stream was cut: it ended before message_stop; the answer is incomplete");
		assert_int_equal(o.res.usage.output_tokens, k < delta_end ? -1 : 6);
		outcome_free(&o);
	}
	free(data);
}

static void test_stream_error_event_keeps_text(void **state)
{
	(void)state;
	struct outcome o;
	decode_str("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":5,"
		   "\"output_tokens\":1}}}\n\n"
		   "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
		   "{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n"
		   "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":"
		   "\"Overloaded\"}}\n\n",
		   &o);
	assert_int_equal(o.res.status, LLM_ERROR);
	assert_string_equal(buf_str(&o.text), "Hello");
	assert_string_equal(o.res.error_code, "overloaded_error");
	assert_string_equal(o.res.message, "anthropic: the stream reported overloaded_error: Overloaded");
	assert_int_equal(o.res.usage.input_tokens, 5);
	assert_int_equal(o.res.usage.output_tokens, -1);
	outcome_free(&o);
}

static void test_stream_ignores_other_blocks_and_keeps_bytes(void **state)
{
	(void)state;
	struct outcome o;
	decode_str("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":3,"
		   "\"output_tokens\":1}}}\n\n"
		   "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
		   "{\"type\":\"thinking_delta\",\"thinking\":\"hmm\"}}\n\n"
		   ": a comment\n\n"
		   "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":"
		   "{\"type\":\"text_delta\",\"text\":\"\\u001b]0;x\\u0007\xc0\xaf\"}}\n\n"
		   "event: some_future_event\ndata: {\"type\":\"some_future_event\"}\n\n"
		   "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"refusal\"},"
		   "\"usage\":{\"output_tokens\":9}}\n\n"
		   "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
		   &o);
	assert_int_equal(o.res.status, LLM_OK);
	assert_string_equal(buf_str(&o.text), "\x1b]0;x\a\xc0\xaf");
	assert_string_equal(o.res.stop_reason, "content_filter");
	assert_int_equal(o.res.usage.output_tokens, 9);
	outcome_free(&o);
}

static void test_whole_message(void **state)
{
	(void)state;
	static const char body[] = "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":["
				   "{\"type\":\"text\",\"text\":\"Hi\"},{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\","
				   "\"input\":{}},{\"type\":\"text\",\"text\":\" there\"}],\"stop_reason\":\"stop_sequence\","
				   "\"stop_sequence\":\"END\",\"usage\":{\"input_tokens\":11,\"output_tokens\":6}}";
	struct llm_stream s;
	struct outcome o;
	memset(&o, 0, sizeof o);
	llm_stream_init(&s, &llm_anthropic_wire, "anthropic", outcome_collect, &o);
	llm_stream_whole(&s, body, strlen(body), NULL);
	assert_int_equal(s.res.status, LLM_OK);
	assert_string_equal(buf_str(&o.text), "Hi there");
	assert_int_equal(o.text_calls, 1);
	assert_string_equal(s.res.stop_reason, "stop_sequence");
	assert_int_equal(s.res.usage.input_tokens, 11);
	assert_int_equal(s.res.usage.output_tokens, 6);
	llm_stream_free(&s);
	outcome_free(&o);
}

/* ---- requests, errors, models ---- */

static const cJSON *get(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

static void test_request_defaults_and_fields(void **state)
{
	(void)state;
	static const char *const stops[] = { "END" };
	struct llm_message msgs[] = { { "user", "Hello" } };
	struct llm_request rq;
	memset(&rq, 0, sizeof rq);
	rq.model = "claude-3-5-haiku-latest";
	rq.messages = msgs;
	rq.nmessages = 1;
	rq.stream = 1;
	char *body = llm_anthropic_request(&rq);
	cJSON *j = cJSON_Parse(body);
	free(body);
	assert_string_equal(cJSON_GetStringValue(get(j, "model")), "claude-3-5-haiku-latest");
	assert_true(cJSON_IsNumber(get(j, "max_tokens")));
	assert_int_equal(get(j, "max_tokens")->valueint, 1024);
	assert_null(get(j, "system"));
	assert_true(cJSON_IsTrue(get(j, "stream")));
	assert_null(get(j, "stream_options"));
	assert_null(get(j, "temperature"));
	assert_null(get(j, "stop_sequences"));
	assert_int_equal(cJSON_GetArraySize(get(j, "messages")), 1);
	cJSON_Delete(j);

	rq.system = "Answer in French.";
	rq.stream = 0;
	rq.params.has_max_tokens = rq.params.has_temperature = rq.params.has_top_p = 1;
	rq.params.max_tokens = 50;
	rq.params.temperature = 1.0;
	rq.params.top_p = 0.25;
	rq.params.stop = stops;
	rq.params.nstop = 1;
	body = llm_anthropic_request(&rq);
	j = cJSON_Parse(body);
	free(body);
	assert_int_equal(get(j, "max_tokens")->valueint, 50);
	assert_string_equal(cJSON_GetStringValue(get(j, "system")), "Answer in French.");
	const cJSON *m = get(j, "messages");
	assert_int_equal(cJSON_GetArraySize(m), 1);
	assert_string_equal(cJSON_GetStringValue(get(cJSON_GetArrayItem(m, 0), "role")), "user");
	assert_true(cJSON_IsFalse(get(j, "stream")));
	assert_true(get(j, "temperature")->valuedouble == 1.0);
	assert_true(get(j, "top_p")->valuedouble == 0.25);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetArrayItem(get(j, "stop_sequences"), 0)), "END");
	assert_null(get(j, "stop"));
	cJSON_Delete(j);
}

static void test_error_body_sentence(void **state)
{
	(void)state;
	static const char body[] = "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Number of "
				   "request tokens has exceeded your per-minute rate limit\"},\"request_id\":\"req_011CS\"}";
	char code[96], msg[512], rid[128], s[768];
	llm_error_body(body, strlen(body), code, sizeof code, msg, sizeof msg, rid, sizeof rid);
	assert_string_equal(code, "rate_limit_error");
	assert_string_equal(rid, "req_011CS");
	llm_sentence(s, sizeof s, "anthropic", "HTTP 429", code, rid, msg);
	assert_string_equal(s, "anthropic: HTTP 429 rate_limit_error (request req_011CS): Number of request tokens has "
			       "exceeded your per-minute rate limit");
}

static void test_models_pages(void **state)
{
	(void)state;
	cJSON *j = cJSON_Parse("{\"data\":[{\"type\":\"model\",\"id\":\"claude-sonnet-4-20250514\",\"display_name\":"
			       "\"Claude Sonnet 4\",\"created_at\":\"2025-05-22T00:00:00Z\"}],\"has_more\":true,"
			       "\"first_id\":\"claude-sonnet-4-20250514\",\"last_id\":\"claude-sonnet-4-20250514\"}");
	struct llm_model_list list = { NULL, 0 };
	char *cursor = NULL;
	struct err e = ERR_INIT;
	assert_int_equal(llm_anthropic_models(j, &list, &cursor, &e), 0);
	assert_string_equal(cursor, "claude-sonnet-4-20250514");
	assert_int_equal(list.n, 1);
	assert_string_equal(list.models[0].name, "Claude Sonnet 4");
	assert_string_equal(list.models[0].owner, "Anthropic");
	assert_int_equal(list.models[0].streaming, 1);
	free(cursor);
	cJSON_Delete(j);
	j = cJSON_Parse("{\"data\":[],\"has_more\":false,\"last_id\":null}");
	assert_int_equal(llm_anthropic_models(j, &list, &cursor, &e), 0);
	assert_null(cursor);
	assert_int_equal(list.n, 1);
	llm_models_clear(&list);
	cJSON_Delete(j);
}

/* ---- init ---- */

static struct provider *bare_provider(const char *name)
{
	struct provider *p = xcalloc(1, sizeof *p);
	p->ops = &provider_anthropic_ops;
	p->name = xstrdup(name);
	p->type = xstrdup("anthropic");
	return p;
}

static void test_init(void **state)
{
	(void)state;
	char dir[] = "/tmp/aiwb-anthropic-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	setenv("AIWB_HOME", dir, 1);
	path_reset();
	unsetenv("ANTHROPIC_API_KEY");
	unsetenv("ANTHROPIC_BASE_URL");
	struct err e = ERR_INIT;
	struct provider *p = bare_provider("anthropic");
	assert_int_equal(provider_anthropic_ops.init(p, &e), -1);
	assert_string_equal(e.msg, "anthropic: no API key: set ANTHROPIC_API_KEY or run: aiwb keys set anthropic");
	provider_free(p);

	setenv("ANTHROPIC_API_KEY", KEY, 1);
	p = bare_provider("anthropic");
	assert_int_equal(provider_anthropic_ops.init(p, &e), 0);
	assert_string_equal(p->base_url, "https://api.anthropic.com");
	assert_string_equal(p->key_source, "env ANTHROPIC_API_KEY");
	assert_string_equal(p->priv, KEY);
	provider_free(p);

	setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9999/", 1);
	p = bare_provider("anthropic");
	assert_int_equal(provider_anthropic_ops.init(p, &e), 0);
	assert_string_equal(p->base_url, "http://127.0.0.1:9999");
	provider_free(p);

	p = bare_provider("anthropic");
	const char *const texts[] = { "x" };
	assert_int_equal(provider_anthropic_ops.init(p, &e), 0);
	assert_null(p->ops->embed(p, NULL, "m", NULL, texts, 1, NULL, NULL, &e));
	assert_string_equal(e.msg, "anthropic: Anthropic has no embeddings API; use an embedding model of openai, "
				   "ollama or bedrock");
	provider_free(p);

	unsetenv("ANTHROPIC_API_KEY");
	unsetenv("ANTHROPIC_BASE_URL");
	unsetenv("AIWB_HOME");
	path_reset();
	test_rmtree(dir);
}

/* ---- calls against a server on the loop ---- */

static int env_setup(void **state)
{
	*state = fake_env_new(bare_provider("anthropic"), "", KEY);
	return 0;
}

static void chat(struct fake_env *e, struct got *g)
{
	memset(g, 0, sizeof *g);
	fake_env_chat(e, g, "claude-3-5-haiku-latest", "hi", 1);
}

static void test_call_streams_with_headers(void **state)
{
	struct fake_env *e = *state;
	size_t len;
	char *sse = slurp(VECTORS "basic_response.txt", &len);
	fake_respond(&e->f, 200, "Content-Type: text/event-stream\r\nrequest-id: req_01abc\r\n", sse, 0);
	struct got g;
	chat(e, &g);
	assert_int_equal(g.dones, 1);
	assert_int_equal(g.res.status, LLM_OK);
	assert_string_equal(buf_str(&g.text), "Hello there!");
	assert_string_equal(g.res.request_id, "req_01abc");
	assert_int_equal(g.res.usage.output_tokens, 6);
	const char *req = buf_str(&e->f.last);
	assert_non_null(strstr(req, "POST /v1/messages HTTP/1.1\r\n"));
	assert_non_null(strstr(req, "\r\nx-api-key: " KEY "\r\n"));
	assert_non_null(strstr(req, "\r\nanthropic-version: 2023-06-01\r\n"));
	assert_null(strstr(req, "Authorization"));
	buf_free(&g.text);
	free(sse);
}

static void test_call_overloaded_retried_then_reported(void **state)
{
	struct fake_env *e = *state;
	fake_respond(&e->f, 529, "Content-Type: application/json\r\nretry-after-ms: 1\r\n",
		     "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"},"
		     "\"request_id\":\"req_body\"}",
		     1);
	struct got g;
	chat(e, &g);
	assert_int_equal(g.res.status, LLM_ERROR);
	assert_int_equal(g.res.attempts, 3);
	assert_int_equal(e->f.requests, 3);
	assert_string_equal(g.res.request_id, "req_body");
	assert_string_equal(g.res.message, "anthropic: HTTP 529 overloaded_error (request req_body): Overloaded (after 3 "
					   "attempts)");
	buf_free(&g.text);
}

struct listed {
	struct loop *loop;
	int dones;
	struct llm_model_list list;
	char error[1024];
};

static void on_listed(void *ud, const struct llm_model_list *list, const struct err *e)
{
	struct listed *l = ud;
	l->dones++;
	if (list) {
		for (size_t i = 0; i < list->n; i++)
			llm_models_add(&l->list, list->models[i].id);
	} else {
		snprintf(l->error, sizeof l->error, "%s", e->msg);
	}
	loop_stop(l->loop);
}

static void test_list_models_follows_pages(void **state)
{
	struct fake_env *e = *state;
	fake_respond(&e->f, 200, "Content-Type: application/json\r\n",
		     "{\"data\":[{\"id\":\"claude-a\"},{\"id\":\"claude-b\"}],\"has_more\":true,\"last_id\":\"claude-b\"}", 1);
	fake_respond(&e->f, 200, "Content-Type: application/json\r\n",
		     "{\"data\":[{\"id\":\"claude-c\"}],\"has_more\":false,\"last_id\":\"claude-c\"}", 1);
	struct listed l;
	struct err err = ERR_INIT;
	memset(&l, 0, sizeof l);
	l.loop = e->loop;
	assert_non_null(e->p->ops->list_models(e->p, e->loop, on_listed, &l, &err));
	loop_run(e->loop);
	assert_int_equal(l.dones, 1);
	assert_int_equal(l.list.n, 3);
	assert_string_equal(l.list.models[2].id, "claude-c");
	assert_int_equal(e->f.requests, 2);
	const char *req = buf_str(&e->f.last);
	assert_non_null(strstr(req, "GET /v1/models?limit=1000&after_id=claude-b HTTP/1.1\r\n"));
	assert_non_null(strstr(req, "\r\nx-api-key: " KEY "\r\n"));
	llm_models_clear(&l.list);
}

static void test_list_models_error(void **state)
{
	struct fake_env *e = *state;
	fake_respond(&e->f, 401, "Content-Type: application/json\r\nrequest-id: req_401\r\n",
		     "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key\"}}", 1);
	struct listed l;
	struct err err = ERR_INIT;
	memset(&l, 0, sizeof l);
	l.loop = e->loop;
	assert_non_null(e->p->ops->list_models(e->p, e->loop, on_listed, &l, &err));
	loop_run(e->loop);
	assert_int_equal(l.dones, 1);
	assert_string_equal(l.error, "anthropic: HTTP 401 authentication_error (request req_401): invalid x-api-key");
}

#define NET_TEST(fn) cmocka_unit_test_setup_teardown(fn, env_setup, fake_env_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_basic_response),
		cmocka_unit_test(test_stream_tool_use_response),
		cmocka_unit_test(test_stream_cut_before_message_stop),
		cmocka_unit_test(test_stream_error_event_keeps_text),
		cmocka_unit_test(test_stream_ignores_other_blocks_and_keeps_bytes),
		cmocka_unit_test(test_whole_message),
		cmocka_unit_test(test_request_defaults_and_fields),
		cmocka_unit_test(test_error_body_sentence),
		cmocka_unit_test(test_models_pages),
		cmocka_unit_test(test_init),
		NET_TEST(test_call_streams_with_headers),
		NET_TEST(test_call_overloaded_retried_then_reported),
		NET_TEST(test_list_models_follows_pages),
		NET_TEST(test_list_models_error),
	};
	return cmocka_run_group_tests(tests, testhttp_group_setup, testhttp_group_teardown);
}
