#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testhttp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "llm/errors.h"
#include "llm/internal.h"
#include "llm/paging.h"
#include "llm/provider.h"
#include "llm/stream.h"
#include "loop.h"

/* The shape of ollama/ollama docs/api.md "Chat request (Streaming)". */
static const char chat_stream[] =
	"{\"model\":\"llama3.2\",\"created_at\":\"2023-08-04T08:52:19.385406455-07:00\",\"message\":{\"role\":"
	"\"assistant\",\"content\":\"The\",\"images\":null},\"done\":false}\n"
	"{\"model\":\"llama3.2\",\"created_at\":\"2023-08-04T08:52:19.4Z\",\"message\":{\"role\":\"assistant\","
	"\"content\":\" sky is\"},\"done\":false}\n"
	"{\"model\":\"llama3.2\",\"created_at\":\"2023-08-04T08:52:19.5Z\",\"message\":{\"role\":\"assistant\","
	"\"content\":\" blue.\"},\"done\":false}\n"
	"{\"model\":\"llama3.2\",\"created_at\":\"2023-08-04T19:22:45.499127Z\",\"message\":{\"role\":\"assistant\","
	"\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\"total_duration\":4883583458,\"load_duration\":"
	"1334875,\"prompt_eval_count\":26,\"prompt_eval_duration\":342546000,\"eval_count\":282,\"eval_duration\":"
	"4535599000}\n";

/* split > 0: two feeds cut there; step > 0: pieces of step bytes; else one feed. */
static void decode(const char *data, size_t len, size_t split, size_t step, struct outcome *o)
{
	decode_wire(&llm_ollama_wire, "ollama", data, len, split, step, NULL, o);
}

static void decode_str(const char *data, struct outcome *o)
{
	decode(data, strlen(data), 0, 0, o);
}

static void test_stream_lines_with_durations(void **state)
{
	(void)state;
	size_t len = strlen(chat_stream);
	struct outcome whole, o;
	decode(chat_stream, len, 0, 0, &whole);
	assert_int_equal(whole.res.status, LLM_OK);
	assert_string_equal(buf_str(&whole.text), "The sky is blue.");
	assert_int_equal(whole.text_calls, 3);
	assert_string_equal(whole.res.stop_reason, "end_turn");
	assert_int_equal(whole.res.usage.input_tokens, 26);
	assert_int_equal(whole.res.usage.output_tokens, 282);
	assert_int_equal(whole.total_ns, INT64_C(4883583458));
	assert_int_equal(whole.load_ns, 1334875);
	assert_int_equal(whole.prompt_eval_ns, 342546000);
	assert_int_equal(whole.eval_ns, INT64_C(4535599000));
	assert_string_equal(whole.res.message, "");
	check_every_chunking(&llm_ollama_wire, "ollama", chat_stream, len, &whole);
	/* the last line without its newline still counts */
	decode(chat_stream, len - 1, 0, 0, &o);
	assert_same(&whole, &o);
	outcome_free(&o);
	outcome_free(&whole);
}

static void test_stream_cut_keeps_partial_text(void **state)
{
	(void)state;
	const char *last = strstr(chat_stream, "{\"model\":\"llama3.2\",\"created_at\":\"2023-08-04T19:22:45");
	size_t last_at = (size_t)(last - chat_stream);
	for (size_t k = 0; k < strlen(chat_stream) - 2; k++) {
		struct outcome o;
		decode(chat_stream, k, 0, 0, &o);
		assert_int_equal(o.res.status, LLM_CUT);
		assert_memory_equal(buf_str(&o.text), "The sky is blue.", o.text.len);
		if (k >= last_at)
			assert_string_equal(buf_str(&o.text), "The sky is blue.");
		assert_string_equal(o.res.message, "ollama: the stream was cut: it ended before its \"done\": true line; "
						   "the answer is incomplete");
		outcome_free(&o);
	}
}

static void test_stream_error_line_keeps_text(void **state)
{
	(void)state;
	struct outcome o;
	decode_str("{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"Par\"},\"done\":false}\n"
		   "{\"error\":\"an error was encountered while running the model: unexpected EOF\"}\n",
		   &o);
	assert_int_equal(o.res.status, LLM_ERROR);
	assert_string_equal(buf_str(&o.text), "Par");
	assert_string_equal(o.res.message, "ollama: the stream reported an error: an error was encountered while "
					   "running the model: unexpected EOF");
	outcome_free(&o);

	decode_str("{\"model\":\"m\",\"message\":{\"content\":\"ok\"},\"done\":false}\nnot json at all\n", &o);
	assert_int_equal(o.res.status, LLM_ERROR);
	assert_string_equal(o.res.message, "ollama: the stream is malformed: it held data that is not JSON");
	outcome_free(&o);
}

static void test_whole_answer_and_missing_counts(void **state)
{
	(void)state;
	static const char body[] = "{\"model\":\"llama3.2\",\"created_at\":\"2023-12-12T14:13:43.416799Z\",\"message\":"
				   "{\"role\":\"assistant\",\"content\":\"Hello! How are you today?\"},\"done\":true,"
				   "\"done_reason\":\"length\",\"total_duration\":5191566416,\"eval_count\":298}";
	struct llm_stream s;
	struct outcome o;
	memset(&o, 0, sizeof o);
	llm_stream_init(&s, &llm_ollama_wire, "ollama", outcome_collect, &o);
	llm_stream_whole(&s, body, strlen(body), NULL);
	assert_int_equal(s.res.status, LLM_OK);
	assert_string_equal(buf_str(&o.text), "Hello! How are you today?");
	assert_int_equal(o.text_calls, 1);
	assert_string_equal(s.res.stop_reason, "max_tokens");
	assert_int_equal(s.res.usage.input_tokens, 0);
	assert_int_equal(s.res.usage.output_tokens, 298);
	assert_int_equal(s.eval_ns, -1);
	llm_stream_free(&s);
	outcome_free(&o);
}

static const cJSON *get(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

static void test_request(void **state)
{
	(void)state;
	static const char *const stops[] = { "<|eot|>", "User:" };
	struct llm_message msgs[] = { { "user", "why is the sky blue?" } };
	struct llm_request rq;
	memset(&rq, 0, sizeof rq);
	rq.model = "llama3.2";
	rq.messages = msgs;
	rq.nmessages = 1;
	char *body = llm_ollama_request(&rq);
	cJSON *j = cJSON_Parse(body);
	free(body);
	assert_true(cJSON_IsFalse(get(j, "stream")));
	assert_null(get(j, "options"));
	assert_int_equal(cJSON_GetArraySize(get(j, "messages")), 1);
	cJSON_Delete(j);

	rq.system = "You are terse.";
	rq.stream = 1;
	rq.params.has_max_tokens = rq.params.has_temperature = rq.params.has_top_p = 1;
	rq.params.max_tokens = 128;
	rq.params.temperature = 0.2;
	rq.params.top_p = 0.5;
	rq.params.stop = stops;
	rq.params.nstop = 2;
	body = llm_ollama_request(&rq);
	j = cJSON_Parse(body);
	free(body);
	assert_string_equal(cJSON_GetStringValue(get(j, "model")), "llama3.2");
	assert_true(cJSON_IsTrue(get(j, "stream")));
	const cJSON *m = get(j, "messages");
	assert_int_equal(cJSON_GetArraySize(m), 2);
	assert_string_equal(cJSON_GetStringValue(get(cJSON_GetArrayItem(m, 0), "role")), "system");
	assert_string_equal(cJSON_GetStringValue(get(cJSON_GetArrayItem(m, 0), "content")), "You are terse.");
	assert_string_equal(cJSON_GetStringValue(get(cJSON_GetArrayItem(m, 1), "role")), "user");
	const cJSON *opt = get(j, "options");
	assert_true(get(opt, "temperature")->valuedouble == 0.2);
	assert_true(get(opt, "top_p")->valuedouble == 0.5);
	assert_true(cJSON_IsNumber(get(opt, "num_predict")));
	assert_int_equal(get(opt, "num_predict")->valueint, 128);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetArrayItem(get(opt, "stop"), 1)), "User:");
	assert_null(get(j, "max_tokens"));
	assert_null(get(j, "temperature"));
	cJSON_Delete(j);
}

static void test_host_like_ollama(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{ NULL, "http://127.0.0.1:11434" },
		{ "", "http://127.0.0.1:11434" },
		{ "  localhost  ", "http://localhost:11434" },
		{ "0.0.0.0", "http://127.0.0.1:11434" },
		{ "0.0.0.0:11500", "http://127.0.0.1:11500" },
		{ ":11500", "http://127.0.0.1:11500" },
		{ "gpu-box:8080", "http://gpu-box:8080" },
		{ "http://gpu-box", "http://gpu-box:80" },
		{ "https://ollama.example.com/", "https://ollama.example.com:443" },
		{ "https://proxy.example.com:8443/ollama/", "https://proxy.example.com:8443/ollama" },
		{ "[::1]:11434", "http://[::1]:11434" },
		{ "::1", "http://[::1]:11434" },
		{ "[::]", "http://[::1]:11434" },
		{ "host:notaport", "http://host:11434" },
		{ "host:99999", "http://host:11434" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *url = llm_ollama_base_url(cases[i][0]);
		assert_string_equal(url, cases[i][1]);
		free(url);
	}
}

static void test_tags_and_embed_answers(void **state)
{
	(void)state;
	cJSON *j = cJSON_Parse("{\"models\":[{\"name\":\"llama3.2:latest\",\"model\":\"llama3.2:latest\",\"size\":"
			       "2019393189,\"details\":{\"family\":\"llama\",\"parameter_size\":\"3.2B\"}},"
			       "{\"name\":\"nomic-embed-text:latest\",\"details\":{\"family\":\"nomic-bert\"}},"
			       "{\"name\":\"all-minilm:latest\",\"details\":{\"family\":\"bert\"}}]}");
	struct llm_model_list list = { NULL, 0 };
	char *cursor = NULL;
	struct err e = ERR_INIT;
	assert_int_equal(llm_ollama_models(j, &list, &cursor, &e), 0);
	assert_null(cursor);
	assert_int_equal(list.n, 3);
	assert_string_equal(list.models[0].id, "llama3.2:latest");
	assert_int_equal(list.models[0].streaming, 1);
	assert_int_equal(list.models[0].embedding, 0);
	assert_int_equal(list.models[1].embedding, 1);
	assert_int_equal(list.models[2].embedding, 1);
	llm_models_clear(&list);
	cJSON_Delete(j);

	j = cJSON_Parse("{\"model\":\"all-minilm\",\"embeddings\":[[0.010071029,-0.0017594862],[-0.0098027075,"
			"0.06042469]],\"total_duration\":14143917,\"load_duration\":1019500,\"prompt_eval_count\":8}");
	struct llm_embedding emb;
	memset(&emb, 0, sizeof emb);
	assert_int_equal(llm_ollama_embedding(j, 2, &emb, &e), 0);
	assert_int_equal(emb.n, 2);
	assert_int_equal(emb.dim, 2);
	assert_true(emb.values[2] == -0.0098027075f);
	assert_int_equal(emb.usage.input_tokens, 8);
	free(emb.values);
	memset(&emb, 0, sizeof emb);
	assert_int_equal(llm_ollama_embedding(j, 1, &emb, &e), -1);
	assert_string_equal(e.msg, "2 embeddings for 1 inputs");
	free(emb.values);
	cJSON_Delete(j);
}

static void test_error_sentence(void **state)
{
	(void)state;
	static const char body[] = "{\"error\":\"model \\\"llama9\\\" not found, try pulling it first\"}";
	char code[96], msg[512], rid[128], s[768];
	llm_error_body(body, strlen(body), code, sizeof code, msg, sizeof msg, rid, sizeof rid);
	llm_sentence(s, sizeof s, "ollama", "HTTP 404", code, rid, msg);
	assert_string_equal(s, "ollama: HTTP 404: model \"llama9\" not found, try pulling it first");
}

static struct provider *bare_provider(const char *name)
{
	struct provider *p = xcalloc(1, sizeof *p);
	p->ops = &provider_ollama_ops;
	p->name = xstrdup(name);
	p->type = xstrdup("ollama");
	return p;
}

static void test_init(void **state)
{
	(void)state;
	struct err e = ERR_INIT;
	unsetenv("OLLAMA_HOST");
	struct provider *p = bare_provider("ollama");
	assert_int_equal(provider_ollama_ops.init(p, &e), 0);
	assert_string_equal(p->base_url, "http://127.0.0.1:11434");
	assert_null(p->priv);
	assert_null(p->key_source);
	provider_free(p);

	setenv("OLLAMA_HOST", "0.0.0.0:11500", 1);
	p = bare_provider("ollama");
	assert_int_equal(provider_ollama_ops.init(p, &e), 0);
	assert_string_equal(p->base_url, "http://127.0.0.1:11500");
	provider_free(p);

	static char name[] = "gpu", type[] = "ollama", url[] = "gpu-box:11434";
	struct config_provider cp = { name, type, url, NULL, NULL, NULL, 1 };
	p = bare_provider("gpu");
	p->base_url = xstrdup(url);
	p->config = &cp;
	assert_int_equal(provider_ollama_ops.init(p, &e), 0);
	assert_string_equal(p->base_url, "http://gpu-box:11434");
	provider_free(p);
	unsetenv("OLLAMA_HOST");
}

/* ---- calls against a server on the loop ---- */

static int env_setup(void **state)
{
	*state = fake_env_new(bare_provider("ollama"), "", NULL);
	return 0;
}

static void chat(struct fake_env *e, struct got *g, int stream)
{
	memset(g, 0, sizeof *g);
	fake_env_chat(e, g, "llama3.2", "why is the sky blue?", stream);
}

static void test_call_streams_ndjson(void **state)
{
	struct fake_env *e = *state;
	fake_respond(&e->f, 200, "Content-Type: application/x-ndjson\r\n", chat_stream, 0);
	struct got g;
	chat(e, &g, 1);
	assert_int_equal(g.dones, 1);
	assert_int_equal(g.res.status, LLM_OK);
	assert_string_equal(buf_str(&g.text), "The sky is blue.");
	assert_int_equal(g.res.usage.input_tokens, 26);
	assert_int_equal(g.res.usage.output_tokens, 282);
	assert_string_equal(g.res.request_id, "");
	const char *req = buf_str(&e->f.last);
	assert_non_null(strstr(req, "POST /api/chat HTTP/1.1\r\n"));
	assert_null(strstr(req, "Authorization"));
	buf_free(&g.text);
}

static void test_call_not_streamed(void **state)
{
	struct fake_env *e = *state;
	fake_respond(&e->f, 200, "Content-Type: application/json\r\n",
		     "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"Blue.\"},\"done\":true,"
		     "\"done_reason\":\"stop\",\"prompt_eval_count\":3,\"eval_count\":2}",
		     1);
	struct got g;
	chat(e, &g, 0);
	assert_int_equal(g.res.status, LLM_OK);
	assert_string_equal(buf_str(&g.text), "Blue.");
	assert_int_equal(g.res.usage.output_tokens, 2);
	buf_free(&g.text);
}

static void test_call_model_not_found(void **state)
{
	struct fake_env *e = *state;
	fake_respond(&e->f, 404, "Content-Type: application/json\r\n",
		     "{\"error\":\"model \\\"llama9\\\" not found, try pulling it first\"}", 1);
	struct got g;
	chat(e, &g, 1);
	assert_int_equal(g.res.status, LLM_ERROR);
	assert_int_equal(g.res.attempts, 1);
	assert_int_equal(g.res.http_status, 404);
	assert_string_equal(g.res.message, "ollama: HTTP 404: model \"llama9\" not found, try pulling it first");
	buf_free(&g.text);
}

struct listed {
	struct loop *loop;
	int dones;
	size_t n;
	char error[1024];
	size_t dim;
};

static void on_listed(void *ud, const struct llm_model_list *list, const struct err *e)
{
	struct listed *l = ud;
	l->dones++;
	if (list)
		l->n = list->n;
	else
		snprintf(l->error, sizeof l->error, "%s", e->msg);
	loop_stop(l->loop);
}

static void test_list_models_and_unreachable(void **state)
{
	struct fake_env *e = *state;
	fake_respond(&e->f, 200, "Content-Type: application/json\r\n",
		     "{\"models\":[{\"name\":\"llama3.2:latest\"},{\"name\":\"qwen2:7b\"}]}", 1);
	struct listed l;
	struct err err = ERR_INIT;
	memset(&l, 0, sizeof l);
	l.loop = e->loop;
	assert_non_null(e->p->ops->list_models(e->p, e->loop, on_listed, &l, &err));
	loop_run(e->loop);
	assert_int_equal(l.n, 2);
	assert_non_null(strstr(buf_str(&e->f.last), "GET /api/tags HTTP/1.1\r\n"));

	int port = testhttp_closed_port();
	free(e->p->base_url);
	e->p->base_url = xasprintf("http://127.0.0.1:%d", port);
	memset(&l, 0, sizeof l);
	l.loop = e->loop;
	assert_non_null(e->p->ops->list_models(e->p, e->loop, on_listed, &l, &err));
	loop_run(e->loop);
	assert_int_equal(l.dones, 1);
	char *expect = xasprintf("ollama: cannot connect to 127.0.0.1 port %d: Connection refused", port);
	assert_string_equal(l.error, expect);
	free(expect);
}

static void on_embedded(void *ud, const struct llm_embedding *emb, const struct err *e)
{
	struct listed *l = ud;
	l->dones++;
	if (emb) {
		l->n = emb->n;
		l->dim = emb->dim;
	} else {
		snprintf(l->error, sizeof l->error, "%s", e->msg);
	}
	loop_stop(l->loop);
}

static void test_embed(void **state)
{
	struct fake_env *e = *state;
	fake_respond(&e->f, 200, "Content-Type: application/json\r\n",
		     "{\"model\":\"all-minilm\",\"embeddings\":[[1,2,3],[4,5,6]],\"prompt_eval_count\":8}", 1);
	static const char *const texts[] = { "Why is the sky blue?", "Why is the grass green?" };
	struct listed l;
	struct err err = ERR_INIT;
	memset(&l, 0, sizeof l);
	l.loop = e->loop;
	assert_non_null(e->p->ops->embed(e->p, e->loop, "all-minilm", NULL, texts, 2, on_embedded, &l, &err));
	loop_run(e->loop);
	assert_int_equal(l.dones, 1);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.dim, 3);
	const char *req = buf_str(&e->f.last);
	assert_non_null(strstr(req, "POST /api/embed HTTP/1.1\r\n"));
	cJSON *body = cJSON_Parse(strstr(req, "\r\n\r\n") + 4);
	assert_string_equal(cJSON_GetStringValue(get(body, "model")), "all-minilm");
	assert_int_equal(cJSON_GetArraySize(get(body, "input")), 2);
	cJSON_Delete(body);
}

#define NET_TEST(fn) cmocka_unit_test_setup_teardown(fn, env_setup, fake_env_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_lines_with_durations),
		cmocka_unit_test(test_stream_cut_keeps_partial_text),
		cmocka_unit_test(test_stream_error_line_keeps_text),
		cmocka_unit_test(test_whole_answer_and_missing_counts),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_host_like_ollama),
		cmocka_unit_test(test_tags_and_embed_answers),
		cmocka_unit_test(test_error_sentence),
		cmocka_unit_test(test_init),
		NET_TEST(test_call_streams_ndjson),
		NET_TEST(test_call_not_streamed),
		NET_TEST(test_call_model_not_found),
		NET_TEST(test_list_models_and_unreachable),
		NET_TEST(test_embed),
	};
	return cmocka_run_group_tests(tests, testhttp_group_setup, testhttp_group_teardown);
}
