#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testhttp.h"
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

#define VECTORS "tests/data/vectors/sse/openai/"
#define KEY "sk-test-SEKRET-4242"

/* ---- decoding a stream in pieces ---- */

/* split > 0: two feeds cut there; step > 0: pieces of step bytes; else one feed. */
static void decode(const char *data, size_t len, size_t split, size_t step, const char *cut, struct outcome *o)
{
	decode_wire(&llm_openai_wire, "openai", data, len, split, step, cut, o);
}

static void decode_str(const char *data, struct outcome *o)
{
	decode(data, strlen(data), 0, 0, NULL, o);
}

static void test_stream_usage_and_length(void **state)
{
	(void)state;
	size_t len;
	char *data = slurp(VECTORS "chat_stream_include_usage_length.sse", &len);
	struct outcome whole;
	decode(data, len, 0, 0, NULL, &whole);
	assert_int_equal(whole.res.status, LLM_OK);
	assert_string_equal(buf_str(&whole.text), "{\"");
	assert_int_equal(whole.text_calls, 1);
	assert_string_equal(whole.res.stop_reason, "max_tokens");
	assert_int_equal(whole.res.usage.input_tokens, 79);
	assert_int_equal(whole.res.usage.output_tokens, 1);
	assert_string_equal(whole.res.message, "");
	check_every_chunking(&llm_openai_wire, "openai", data, len, &whole);
	outcome_free(&whole);
	free(data);
}

static void test_stream_tool_calls(void **state)
{
	(void)state;
	size_t len;
	char *data = slurp(VECTORS "chat_stream_tool_calls.sse", &len);
	struct outcome whole;
	decode(data, len, 0, 0, NULL, &whole);
	assert_int_equal(whole.res.status, LLM_OK);
	assert_int_equal(whole.text.len, 0);
	assert_string_equal(whole.res.stop_reason, "tool_use");
	assert_int_equal(whole.res.usage.input_tokens, 44);
	assert_int_equal(whole.res.usage.output_tokens, 16);
	check_every_chunking(&llm_openai_wire, "openai", data, len, &whole);
	outcome_free(&whole);
	free(data);
}

static void test_stream_cut_anywhere_keeps_partial_text(void **state)
{
	(void)state;
	size_t len;
	char *data = slurp(VECTORS "chat_stream_include_usage_length.sse", &len);
	const char *done = strstr(data, "data: [DONE]");
	assert_non_null(done);
	size_t done_at = (size_t)(done - data);
	for (size_t k = 0; k < done_at + strlen("data: [DONE"); k++) {
		struct outcome o;
		decode(data, k, 0, 0, NULL, &o);
		assert_int_equal(o.res.status, LLM_CUT);
		assert_true(o.text.len <= 2);
		assert_memory_equal(buf_str(&o.text), "{\"", o.text.len);
		assert_string_equal(o.res.message,
				    "openai: the stream was cut: it ended before data: [DONE]; the answer is incomplete");
		outcome_free(&o);
	}
	/* The end marker without its blank line still ends the stream. */
	for (size_t k = done_at + strlen("data: [DONE]"); k <= len; k++) {
		struct outcome o;
		decode(data, k, 0, 0, NULL, &o);
		assert_int_equal(o.res.status, LLM_OK);
		outcome_free(&o);
	}
	free(data);
}

static void test_stream_cut_by_transport_says_why(void **state)
{
	(void)state;
	static const char data[] = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Once upon\"}}]}\n\n"
				   "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" a ti";
	struct outcome o;
	decode(data, sizeof data - 1, 0, 0, "the connection to 127.0.0.1 was cut after 120 bytes of the response", &o);
	assert_int_equal(o.res.status, LLM_CUT);
	assert_string_equal(buf_str(&o.text), "Once upon");
	assert_string_equal(o.res.message, "openai: the stream was cut: the connection to 127.0.0.1 was cut after 120 "
					   "bytes of the response; the answer is incomplete");
	outcome_free(&o);
}

static void test_stream_error_object_keeps_text(void **state)
{
	(void)state;
	struct outcome o;
	decode_str("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"
		   "data: {\"error\":{\"message\":\"The server had an error while processing your request.\","
		   "\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n"
		   "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"}}]}\n\n",
		   &o);
	assert_int_equal(o.res.status, LLM_ERROR);
	assert_string_equal(buf_str(&o.text), "Hel");
	assert_string_equal(o.res.error_code, "server_error");
	assert_string_equal(o.res.message, "openai: the stream reported server_error: The server had an error while "
					   "processing your request.");
	outcome_free(&o);

	decode_str("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}\n\n"
		   "event: error\ndata: {\"message\":\"upstream gone\"}\n\n",
		   &o);
	assert_int_equal(o.res.status, LLM_ERROR);
	assert_string_equal(buf_str(&o.text), "x");
	assert_string_equal(o.res.message, "openai: the stream reported an error: upstream gone");
	outcome_free(&o);
}

static void test_stream_bad_json_is_an_error(void **state)
{
	(void)state;
	struct outcome o;
	decode_str("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"A\"}}]}\n\ndata: {oops}\n\n"
		   "data: [DONE]\n\n",
		   &o);
	assert_int_equal(o.res.status, LLM_ERROR);
	assert_string_equal(buf_str(&o.text), "A");
	assert_string_equal(o.res.message, "openai: the stream is malformed: it held data that is not JSON");
	outcome_free(&o);
}

static void test_stream_passes_raw_bytes_through(void **state)
{
	(void)state;
	struct outcome o;
	decode_str("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\\u001b[2J\xff\xfe\xc2\x9d\\u0007!\"}}]}\n\n"
		   "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"content_filter\"}]}\n\n"
		   "data: [DONE]\n\n",
		   &o);
	assert_int_equal(o.res.status, LLM_OK);
	assert_string_equal(buf_str(&o.text), "\x1b[2J\xff\xfe\xc2\x9d\a!");
	assert_string_equal(o.res.stop_reason, "content_filter");
	assert_int_equal(o.res.usage.input_tokens, -1);
	assert_int_equal(o.res.usage.output_tokens, -1);
	outcome_free(&o);
}

static void test_stream_crlf_comments_and_trailing_data(void **state)
{
	(void)state;
	struct outcome o;
	decode_str(": keep-alive\r\n\r\n"
		   "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
		   "\"finish_reason\":null}],\"usage\":null}\r\n\r\n"
		   "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}\r\n\r\n"
		   "data: [DONE]\r\n\r\n"
		   "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"after the end\"}}]}\r\n\r\n",
		   &o);
	assert_int_equal(o.res.status, LLM_OK);
	assert_string_equal(buf_str(&o.text), "ok");
	assert_int_equal(o.text_calls, 1);
	assert_string_equal(o.res.stop_reason, "end_turn");
	outcome_free(&o);
}

static void whole(const char *body, const char *cut, struct outcome *o)
{
	struct llm_stream s;
	memset(o, 0, sizeof *o);
	llm_stream_init(&s, &llm_openai_wire, "openai", outcome_collect, o);
	llm_stream_whole(&s, body, strlen(body), cut);
	o->res = s.res;
	llm_stream_free(&s);
}

static void test_whole_answer(void **state)
{
	(void)state;
	struct outcome o;
	whole("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":"
	      "{\"role\":\"assistant\",\"content\":\"Hi there!\",\"refusal\":null},\"finish_reason\":\"stop\"}],"
	      "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3,\"total_tokens\":12}}",
	      NULL, &o);
	assert_int_equal(o.res.status, LLM_OK);
	assert_string_equal(buf_str(&o.text), "Hi there!");
	assert_int_equal(o.text_calls, 1);
	assert_string_equal(o.res.stop_reason, "end_turn");
	assert_int_equal(o.res.usage.input_tokens, 9);
	assert_int_equal(o.res.usage.output_tokens, 3);
	outcome_free(&o);

	whole("{\"error\":{\"message\":\"model overloaded\",\"type\":\"server_error\",\"code\":\"overloaded\"}}", NULL, &o);
	assert_int_equal(o.res.status, LLM_ERROR);
	assert_string_equal(o.res.message, "openai: the answer reported overloaded: model overloaded");
	outcome_free(&o);

	whole("<html>oops</html>", NULL, &o);
	assert_int_equal(o.res.status, LLM_ERROR);
	assert_string_equal(o.res.message, "openai: the answer is malformed: it is not JSON");
	outcome_free(&o);

	whole("{\"id\":\"chatcmpl-2\",\"choices\":[]}", NULL, &o);
	assert_int_equal(o.res.status, LLM_ERROR);
	assert_string_equal(o.res.message, "openai: the answer is malformed: it holds no message");
	outcome_free(&o);

	whole("{\"choices\":[{\"index\":0,\"mess", "the connection to h was cut after 30 bytes of the response", &o);
	assert_int_equal(o.res.status, LLM_CUT);
	assert_int_equal(o.text.len, 0);
	outcome_free(&o);
}

/* ---- requests ---- */

static cJSON *request(int stream, int real_openai, int full)
{
	static const char *const stops[] = { "END", "\n\n" };
	struct llm_message msgs[] = { { "user", "Hello" }, { "assistant", "Hi" }, { "user", "Bye" } };
	struct llm_request rq;
	memset(&rq, 0, sizeof rq);
	rq.model = "gpt-4o-mini";
	rq.messages = msgs;
	rq.nmessages = 3;
	rq.stream = stream;
	if (full) {
		rq.system = "Be brief.";
		rq.params.has_temperature = rq.params.has_top_p = rq.params.has_max_tokens = 1;
		rq.params.temperature = 0.5;
		rq.params.top_p = 0.9;
		rq.params.max_tokens = 100;
		rq.params.stop = stops;
		rq.params.nstop = 2;
	}
	char *body = llm_openai_request(&rq, real_openai);
	cJSON *j = cJSON_Parse(body);
	free(body);
	assert_non_null(j);
	return j;
}

static const cJSON *get(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

static void test_request_streaming_openai(void **state)
{
	(void)state;
	cJSON *j = request(1, 1, 1);
	assert_string_equal(cJSON_GetStringValue(get(j, "model")), "gpt-4o-mini");
	const cJSON *m = get(j, "messages");
	assert_int_equal(cJSON_GetArraySize(m), 4);
	assert_string_equal(cJSON_GetStringValue(get(cJSON_GetArrayItem(m, 0), "role")), "system");
	assert_string_equal(cJSON_GetStringValue(get(cJSON_GetArrayItem(m, 0), "content")), "Be brief.");
	assert_string_equal(cJSON_GetStringValue(get(cJSON_GetArrayItem(m, 1), "role")), "user");
	assert_string_equal(cJSON_GetStringValue(get(cJSON_GetArrayItem(m, 2), "role")), "assistant");
	assert_string_equal(cJSON_GetStringValue(get(cJSON_GetArrayItem(m, 3), "content")), "Bye");
	assert_true(cJSON_IsTrue(get(j, "stream")));
	assert_true(cJSON_IsTrue(get(get(j, "stream_options"), "include_usage")));
	assert_true(cJSON_IsNumber(get(j, "temperature")));
	assert_true(get(j, "temperature")->valuedouble == 0.5);
	assert_true(get(j, "top_p")->valuedouble == 0.9);
	assert_true(cJSON_IsNumber(get(j, "max_completion_tokens")));
	assert_int_equal(get(j, "max_completion_tokens")->valueint, 100);
	assert_null(get(j, "max_tokens"));
	const cJSON *stop = get(j, "stop");
	assert_int_equal(cJSON_GetArraySize(stop), 2);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetArrayItem(stop, 1)), "\n\n");
	cJSON_Delete(j);
}

static void test_request_compatible_server_plain(void **state)
{
	(void)state;
	cJSON *j = request(1, 0, 1);
	assert_int_equal(get(j, "max_tokens")->valueint, 100);
	assert_null(get(j, "max_completion_tokens"));
	cJSON_Delete(j);

	j = request(0, 0, 0);
	assert_true(cJSON_IsFalse(get(j, "stream")));
	assert_null(get(j, "stream_options"));
	assert_null(get(j, "temperature"));
	assert_null(get(j, "top_p"));
	assert_null(get(j, "max_tokens"));
	assert_null(get(j, "stop"));
	assert_int_equal(cJSON_GetArraySize(get(j, "messages")), 3);
	assert_string_equal(cJSON_GetStringValue(get(cJSON_GetArrayItem(get(j, "messages"), 0), "role")), "user");
	cJSON_Delete(j);
}

/* ---- errors ---- */

static void sentence_for(const char *body, int status, const char *header_rid, char *out, size_t size)
{
	char code[96], msg[512], rid[128], what[32];
	llm_error_body(body, strlen(body), code, sizeof code, msg, sizeof msg, rid, sizeof rid);
	snprintf(what, sizeof what, "HTTP %d", status);
	llm_sentence(out, size, "openai", what, code, header_rid ? header_rid : rid, msg);
}

static void test_error_sentences(void **state)
{
	(void)state;
	char s[768];
	sentence_for("{\"error\":{\"message\":\"Rate limit reached for gpt-4o-mini\",\"type\":\"requests\","
		     "\"param\":null,\"code\":\"rate_limit_exceeded\"}}",
		     429, "req_123", s, sizeof s);
	assert_string_equal(s, "openai: HTTP 429 rate_limit_exceeded (request req_123): Rate limit reached for "
			       "gpt-4o-mini");
	sentence_for("{\"error\":{\"message\":\"The model `gpt-9` does not exist\",\"type\":\"invalid_request_error\","
		     "\"param\":null,\"code\":null}}",
		     404, NULL, s, sizeof s);
	assert_string_equal(s, "openai: HTTP 404 invalid_request_error: The model `gpt-9` does not exist");
	sentence_for("{\"object\":\"error\",\"message\":\"max_tokens is too large\",\"type\":\"BadRequestError\","
		     "\"param\":null,\"code\":400}",
		     400, NULL, s, sizeof s);
	assert_string_equal(s, "openai: HTTP 400 BadRequestError: max_tokens is too large");
	sentence_for("\n<html>\r\n<body>502 Bad Gateway</body></html>", 502, "abc", s, sizeof s);
	assert_string_equal(s, "openai: HTTP 502 (request abc): <html>");
	sentence_for("", 503, NULL, s, sizeof s);
	assert_string_equal(s, "openai: HTTP 503");
	llm_sentence(s, sizeof s, "ollama", NULL, NULL, NULL, "cannot connect to 127.0.0.1 port 11434: Connection refused");
	assert_string_equal(s, "ollama: cannot connect to 127.0.0.1 port 11434: Connection refused");
}

static void test_stop_reason_mapping(void **state)
{
	(void)state;
	assert_string_equal(llm_stop_reason("stop"), "end_turn");
	assert_string_equal(llm_stop_reason("length"), "max_tokens");
	assert_string_equal(llm_stop_reason("tool_calls"), "tool_use");
	assert_string_equal(llm_stop_reason("function_call"), "tool_use");
	assert_string_equal(llm_stop_reason("content_filter"), "content_filter");
	assert_string_equal(llm_stop_reason("end_turn"), "end_turn");
	assert_string_equal(llm_stop_reason("stop_sequence"), "stop_sequence");
	assert_string_equal(llm_stop_reason("refusal"), "content_filter");
	assert_string_equal(llm_stop_reason("pause_turn"), "pause_turn");
	assert_string_equal(llm_stop_reason(NULL), "");
}

/* ---- models and embeddings ---- */

static void test_models_answer(void **state)
{
	(void)state;
	cJSON *j = cJSON_Parse("{\"object\":\"list\",\"data\":[{\"id\":\"gpt-4o\",\"object\":\"model\",\"created\":1,"
			       "\"owned_by\":\"system\"},{\"id\":\"text-embedding-3-small\",\"owned_by\":\"openai\"},"
			       "{\"object\":\"model\"}]}");
	struct llm_model_list list = { NULL, 0 };
	char *cursor = (char *)1;
	struct err e = ERR_INIT;
	assert_int_equal(llm_openai_models(j, &list, &cursor, &e), 0);
	assert_null(cursor);
	assert_int_equal(list.n, 2);
	assert_string_equal(list.models[0].id, "gpt-4o");
	assert_string_equal(list.models[0].owner, "system");
	assert_int_equal(list.models[0].streaming, 1);
	assert_int_equal(list.models[0].embedding, 0);
	assert_int_equal(list.models[1].embedding, 1);
	llm_models_clear(&list);
	cJSON_Delete(j);

	j = cJSON_Parse("{\"models\":[]}");
	assert_int_equal(llm_openai_models(j, &list, &cursor, &e), -1);
	assert_string_equal(e.msg, "it has no \"data\" list");
	cJSON_Delete(j);
}

static void test_embeddings_answer(void **state)
{
	(void)state;
	cJSON *j = cJSON_Parse("{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":1,\"embedding\":[3,4]},"
			       "{\"object\":\"embedding\",\"index\":0,\"embedding\":[1.5,-2]}],\"model\":\"m\","
			       "\"usage\":{\"prompt_tokens\":5,\"total_tokens\":5}}");
	struct llm_embedding emb;
	struct err e = ERR_INIT;
	memset(&emb, 0, sizeof emb);
	assert_int_equal(llm_openai_embedding(j, 2, &emb, &e), 0);
	assert_int_equal(emb.n, 2);
	assert_int_equal(emb.dim, 2);
	assert_true(emb.values[0] == 1.5f && emb.values[1] == -2.0f && emb.values[2] == 3.0f && emb.values[3] == 4.0f);
	assert_int_equal(emb.usage.input_tokens, 5);
	free(emb.values);
	memset(&emb, 0, sizeof emb);
	assert_int_equal(llm_openai_embedding(j, 3, &emb, &e), -1);
	assert_string_equal(e.msg, "2 embeddings for 3 inputs");
	free(emb.values);
	cJSON_Delete(j);

	j = cJSON_Parse("{\"data\":[{\"index\":0,\"embedding\":[1,2]},{\"index\":1,\"embedding\":[1,2,3]}]}");
	memset(&emb, 0, sizeof emb);
	assert_int_equal(llm_openai_embedding(j, 2, &emb, &e), -1);
	assert_string_equal(e.msg, "embedding 1 has 3 dimensions, the first has 2");
	free(emb.values);
	cJSON_Delete(j);
}

/* ---- init: base URL and key ---- */

static char tmpdir[] = "/tmp/aiwb-openai-test-XXXXXX";
static char *keys_dir;

static struct provider *bare_provider(const char *name, const char *base_url, const struct config_provider *cp)
{
	struct provider *p = xcalloc(1, sizeof *p);
	p->ops = &provider_openai_ops;
	p->name = xstrdup(name);
	p->type = xstrdup("openai");
	p->base_url = base_url ? xstrdup(base_url) : NULL;
	p->config = cp;
	return p;
}

static void write_key(const char *name, const char *text, mode_t mode)
{
	char *file = path_join(keys_dir, name);
	unlink(file);
	int fd = open(file, O_WRONLY | O_CREAT | O_EXCL, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	chmod(file, mode);
	free(file);
}

static int home_setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/aiwb-openai-test-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	setenv("AIWB_HOME", tmpdir, 1);
	path_reset();
	keys_dir = path_join(tmpdir, "keys");
	assert_int_equal(mkdir(keys_dir, 0700), 0);
	unsetenv("OPENAI_API_KEY");
	unsetenv("OPENAI_BASE_URL");
	unsetenv("GROQ_API_KEY");
	return 0;
}

static int home_teardown(void **state)
{
	(void)state;
	test_rmtree(tmpdir);
	free(keys_dir);
	unsetenv("AIWB_HOME");
	unsetenv("OPENAI_API_KEY");
	unsetenv("OPENAI_BASE_URL");
	path_reset();
	return 0;
}

static void test_init_builtin_from_environment(void **state)
{
	(void)state;
	struct err e = ERR_INIT;
	struct provider *p = bare_provider("openai", NULL, NULL);
	assert_int_equal(provider_openai_ops.init(p, &e), -1);
	assert_string_equal(e.msg, "openai: no API key: set OPENAI_API_KEY or run: aiwb keys set openai");
	provider_free(p);

	setenv("OPENAI_API_KEY", "  " KEY "\n", 1);
	p = bare_provider("openai", NULL, NULL);
	err_clear(&e);
	assert_int_equal(provider_openai_ops.init(p, &e), 0);
	assert_string_equal(p->priv, KEY);
	assert_string_equal(p->key_source, "env OPENAI_API_KEY");
	assert_string_equal(p->base_url, "https://api.openai.com/v1");
	provider_free(p);

	setenv("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1/", 1);
	p = bare_provider("openai", NULL, NULL);
	assert_int_equal(provider_openai_ops.init(p, &e), 0);
	assert_string_equal(p->base_url, "http://127.0.0.1:8080/v1");
	provider_free(p);
}

static void test_init_key_file(void **state)
{
	(void)state;
	struct err e = ERR_INIT;
	write_key("openai", KEY "\n", 0600);
	struct provider *p = bare_provider("openai", NULL, NULL);
	assert_int_equal(provider_openai_ops.init(p, &e), 0);
	assert_string_equal(p->priv, KEY);
	char *expect = xasprintf("key file %s/openai", keys_dir);
	assert_string_equal(p->key_source, expect);
	free(expect);
	provider_free(p);

	write_key("openai", KEY "\n", 0644);
	p = bare_provider("openai", NULL, NULL);
	assert_int_equal(provider_openai_ops.init(p, &e), -1);
	expect = xasprintf("openai: the key file %s/openai is readable by others; run: chmod 600 %s/openai", keys_dir,
			   keys_dir);
	assert_string_equal(e.msg, expect);
	free(expect);
	provider_free(p);

	write_key("openai", "\n\n", 0600);
	p = bare_provider("openai", NULL, NULL);
	assert_int_equal(provider_openai_ops.init(p, &e), -1);
	assert_non_null(strstr(e.msg, "holds no usable key"));
	provider_free(p);
}

static void test_init_compatible_servers(void **state)
{
	(void)state;
	struct err e = ERR_INIT;
	static char vllm[] = "vllm", openai[] = "openai", vllm_url[] = "http://127.0.0.1:8000/v1", groq_name[] = "groq",
		    groq_url[] = "https://api.groq.com/openai/v1", groq_var[] = "GROQ_API_KEY", lmstudio[] = "lmstudio";
	struct config_provider local = { vllm, openai, vllm_url, NULL, NULL, NULL, 0 };
	struct provider *p = bare_provider("vllm", local.base_url, &local);
	assert_int_equal(provider_openai_ops.init(p, &e), 0);
	assert_null(p->priv);
	assert_string_equal(p->base_url, "http://127.0.0.1:8000/v1");
	provider_free(p);

	struct config_provider groq = { groq_name, openai, groq_url, groq_var, NULL, NULL, 0 };
	p = bare_provider("groq", groq.base_url, &groq);
	assert_int_equal(provider_openai_ops.init(p, &e), -1);
	assert_string_equal(e.msg, "groq: no API key: set GROQ_API_KEY or run: aiwb keys set groq");
	provider_free(p);

	setenv("GROQ_API_KEY", "gsk_SEKRET_1", 1);
	setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1", 1);
	p = bare_provider("groq", groq.base_url, &groq);
	assert_int_equal(provider_openai_ops.init(p, &e), 0);
	assert_string_equal(p->priv, "gsk_SEKRET_1");
	assert_string_equal(p->key_source, "env GROQ_API_KEY");
	assert_string_equal(p->base_url, "https://api.groq.com/openai/v1");
	provider_free(p);
	unsetenv("GROQ_API_KEY");

	struct config_provider nourl = { lmstudio, openai, NULL, NULL, NULL, NULL, 0 };
	p = bare_provider("lmstudio", NULL, &nourl);
	assert_int_equal(provider_openai_ops.init(p, &e), -1);
	assert_non_null(strstr(e.msg, "lmstudio: no base_url in config.json"));
	provider_free(p);
}

/* ---- calls against a server on the loop ---- */

static int env_setup(void **state)
{
	*state = fake_env_new(bare_provider("openai", NULL, NULL), "/v1", KEY);
	return 0;
}

static void chat(struct fake_env *e, struct got *g, int stream)
{
	fake_env_chat(e, g, "gpt-4o-mini", "hi", stream);
}

static char *fixture(void)
{
	size_t len;
	return slurp(VECTORS "chat_stream_include_usage_length.sse", &len);
}

#define SSE_HEAD "Content-Type: text/event-stream\r\n"
#define JSON_HEAD "Content-Type: application/json\r\n"

static void test_call_streams_and_sends_what_it_should(void **state)
{
	struct fake_env *e = *state;
	char *sse = fixture();
	fake_respond(&e->f, 200, SSE_HEAD "x-request-id: req_abc\r\n", sse, 0);
	struct got g;
	memset(&g, 0, sizeof g);
	chat(e, &g, 1);
	assert_int_equal(g.dones, 1);
	assert_int_equal(g.res.status, LLM_OK);
	assert_string_equal(buf_str(&g.text), "{\"");
	assert_string_equal(g.res.stop_reason, "max_tokens");
	assert_int_equal(g.res.usage.input_tokens, 79);
	assert_int_equal(g.res.usage.output_tokens, 1);
	assert_string_equal(g.res.request_id, "req_abc");
	assert_int_equal(g.res.attempts, 1);
	assert_int_equal(g.res.http_status, 200);
	assert_true(g.res.first_byte_us > 0);
	const char *req = buf_str(&e->f.last);
	assert_non_null(strstr(req, "POST /v1/chat/completions HTTP/1.1\r\n"));
	assert_non_null(strstr(req, "\r\nAuthorization: Bearer " KEY "\r\n"));
	assert_non_null(strstr(req, "\r\nContent-Type: application/json\r\n"));
	cJSON *body = cJSON_Parse(strstr(req, "\r\n\r\n") + 4);
	assert_non_null(body);
	assert_true(cJSON_IsTrue(get(body, "stream")));
	assert_true(cJSON_IsTrue(get(get(body, "stream_options"), "include_usage")));
	cJSON_Delete(body);
	buf_free(&g.text);
	free(sse);
}

static void test_call_retries_429_then_streams(void **state)
{
	struct fake_env *e = *state;
	char *sse = fixture();
	fake_respond(&e->f, 429, JSON_HEAD "retry-after-ms: 10\r\nx-request-id: req_1\r\n",
		     "{\"error\":{\"message\":\"Rate limit\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}", 1);
	fake_respond(&e->f, 200, SSE_HEAD "x-request-id: req_2\r\n", sse, 0);
	struct got g;
	memset(&g, 0, sizeof g);
	chat(e, &g, 1);
	assert_int_equal(g.dones, 1);
	assert_int_equal(g.res.status, LLM_OK);
	assert_int_equal(g.res.attempts, 2);
	assert_int_equal(e->f.requests, 2);
	assert_string_equal(g.res.request_id, "req_2");
	assert_string_equal(buf_str(&g.text), "{\"");
	buf_free(&g.text);
	free(sse);
}

static void test_call_gives_up_with_one_sentence(void **state)
{
	struct fake_env *e = *state;
	fake_respond(&e->f, 500, JSON_HEAD "retry-after-ms: 1\r\nx-request-id: req_9\r\n",
		     "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\",\"param\":null,\"code\":null}}", 1);
	struct got g;
	memset(&g, 0, sizeof g);
	chat(e, &g, 1);
	assert_int_equal(g.dones, 1);
	assert_int_equal(g.res.status, LLM_ERROR);
	assert_int_equal(g.res.attempts, 3);
	assert_int_equal(e->f.requests, 3);
	assert_int_equal(g.res.http_status, 500);
	assert_string_equal(g.res.error_code, "server_error");
	assert_string_equal(g.res.request_id, "req_9");
	assert_string_equal(g.res.message, "openai: HTTP 500 server_error (request req_9): boom (after 3 attempts)");
	assert_int_equal(g.text.len, 0);
	buf_free(&g.text);
}

static void test_call_does_not_retry_what_sdk_would_not(void **state)
{
	struct fake_env *e = *state;
	fake_respond(&e->f, 429, JSON_HEAD "retry-after-ms: 1\r\n",
		     "{\"error\":{\"message\":\"You exceeded your current quota\",\"type\":\"insufficient_quota\","
		     "\"code\":\"insufficient_quota\"}}",
		     1);
	fake_respond(&e->f, 401, JSON_HEAD,
		     "{\"error\":{\"message\":\"Incorrect API key provided: " KEY "\",\"type\":\"invalid_request_error\","
		     "\"code\":\"invalid_api_key\"}}",
		     1);
	struct got g;
	memset(&g, 0, sizeof g);
	chat(e, &g, 1);
	assert_int_equal(g.res.attempts, 1);
	assert_string_equal(g.res.message, "openai: HTTP 429 insufficient_quota: You exceeded your current quota");
	memset(&g, 0, sizeof g);
	chat(e, &g, 1);
	assert_int_equal(g.res.attempts, 1);
	assert_int_equal(e->f.requests, 2);
	assert_null(strstr(g.res.message, KEY));
	assert_string_equal(g.res.message, "openai: HTTP 401 invalid_api_key: Incorrect API key provided: [redacted]");
}

static void test_call_cut_after_text_is_not_retried(void **state)
{
	struct fake_env *e = *state;
	fake_respond(&e->f, 200, SSE_HEAD "Content-Length: 5000\r\n",
		     "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"partial\"}}]}\n\n", 0);
	struct got g;
	memset(&g, 0, sizeof g);
	chat(e, &g, 1);
	assert_int_equal(g.dones, 1);
	assert_int_equal(g.res.status, LLM_CUT);
	assert_int_equal(g.res.attempts, 1);
	assert_string_equal(buf_str(&g.text), "partial");
	assert_non_null(strstr(g.res.message, "openai: the stream was cut: "));
	assert_non_null(strstr(g.res.message, "; the answer is incomplete"));
	buf_free(&g.text);
}

static void test_call_clean_end_without_marker_is_cut(void **state)
{
	struct fake_env *e = *state;
	fake_respond(&e->f, 200, SSE_HEAD, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"half\"}}]}\n\n", 0);
	struct got g;
	memset(&g, 0, sizeof g);
	chat(e, &g, 1);
	assert_int_equal(g.res.status, LLM_CUT);
	assert_string_equal(buf_str(&g.text), "half");
	assert_string_equal(g.res.message, "openai: the stream was cut: it ended before data: [DONE]; the answer is "
					   "incomplete");
	buf_free(&g.text);
}

static void test_call_not_streamed(void **state)
{
	struct fake_env *e = *state;
	static const char answer[] = "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Whole "
				     "answer.\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":8,"
				     "\"completion_tokens\":2}}";
	fake_respond(&e->f, 200, JSON_HEAD, answer, 1);
	fake_respond(&e->f, 200, JSON_HEAD, answer, 1);
	struct got g;
	memset(&g, 0, sizeof g);
	chat(e, &g, 0);
	assert_int_equal(g.res.status, LLM_OK);
	assert_int_equal(g.text_calls, 1);
	assert_string_equal(buf_str(&g.text), "Whole answer.");
	assert_int_equal(g.res.usage.output_tokens, 2);
	cJSON *body = cJSON_Parse(strstr(buf_str(&e->f.last), "\r\n\r\n") + 4);
	assert_true(cJSON_IsFalse(get(body, "stream")));
	cJSON_Delete(body);
	buf_free(&g.text);

	/* a server that ignores "stream": true and answers with JSON */
	memset(&g, 0, sizeof g);
	chat(e, &g, 1);
	assert_int_equal(g.res.status, LLM_OK);
	assert_string_equal(buf_str(&g.text), "Whole answer.");
	buf_free(&g.text);
}

static void test_call_cancel_inside_on_text(void **state)
{
	struct fake_env *e = *state;
	e->f.hold = 1;
	fake_respond(&e->f, 200, SSE_HEAD,
		     "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"one\"}}]}\n\n"
		     "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"two\"}}]}\n\n",
		     0);
	struct got g;
	memset(&g, 0, sizeof g);
	g.cancel_on_text = 1;
	loop_del_timer(e->loop, e->guard);
	e->guard = loop_add_timer(e->loop, 300, fake_env_on_guard, e);
	chat(e, &g, 1);
	assert_int_equal(g.dones, 0);
	assert_int_equal(g.text_calls, 1);
	assert_string_equal(buf_str(&g.text), "one");
	buf_free(&g.text);
}

static int64_t cancel_later(struct loop *l, int64_t id, void *ud)
{
	struct got *g = ud;
	(void)id;
	provider_cancel(g->call);
	g->call = NULL;
	loop_stop(l);
	return LOOP_TIMER_DONE;
}

static void test_call_cancel_while_waiting_to_retry(void **state)
{
	struct fake_env *e = *state;
	fake_respond(&e->f, 503, JSON_HEAD "retry-after: 5\r\n", "{}", 1);
	struct got g;
	memset(&g, 0, sizeof g);
	loop_add_timer(e->loop, 300, cancel_later, &g);
	chat(e, &g, 1);
	assert_int_equal(g.dones, 0);
	assert_int_equal(e->f.requests, 1);
	/* the retry timer is gone: nothing runs later */
	loop_del_timer(e->loop, e->guard);
	e->guard = loop_add_timer(e->loop, 200, fake_env_on_guard, e);
	loop_run(e->loop);
	assert_int_equal(e->f.requests, 1);
	assert_int_equal(g.dones, 0);
}

struct listed {
	struct loop *loop;
	int dones;
	size_t n;
	char first[64];
	char error[1024];
	struct llm_embedding emb;
};

static void on_listed(void *ud, const struct llm_model_list *list, const struct err *e)
{
	struct listed *l = ud;
	l->dones++;
	if (list) {
		l->n = list->n;
		if (list->n)
			snprintf(l->first, sizeof l->first, "%s", list->models[0].id);
	} else {
		snprintf(l->error, sizeof l->error, "%s", e->msg);
	}
	loop_stop(l->loop);
}

static void test_list_models(void **state)
{
	struct fake_env *e = *state;
	fake_respond(&e->f, 200, JSON_HEAD, "{\"object\":\"list\",\"data\":[{\"id\":\"gpt-4o-mini\"},{\"id\":\"o3\"}]}", 1);
	struct listed l;
	struct err err = ERR_INIT;
	memset(&l, 0, sizeof l);
	l.loop = e->loop;
	assert_non_null(e->p->ops->list_models(e->p, e->loop, on_listed, &l, &err));
	loop_run(e->loop);
	assert_int_equal(l.dones, 1);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.first, "gpt-4o-mini");
	assert_non_null(strstr(buf_str(&e->f.last), "GET /v1/models HTTP/1.1\r\n"));
}

static void test_list_models_unreachable(void **state)
{
	struct fake_env *e = *state;
	int port = testhttp_closed_port();
	free(e->p->base_url);
	e->p->base_url = xasprintf("http://127.0.0.1:%d/v1", port);
	struct listed l;
	struct err err = ERR_INIT;
	memset(&l, 0, sizeof l);
	l.loop = e->loop;
	assert_non_null(e->p->ops->list_models(e->p, e->loop, on_listed, &l, &err));
	loop_run(e->loop);
	assert_int_equal(l.dones, 1);
	char *expect = xasprintf("openai: cannot connect to 127.0.0.1 port %d: Connection refused", port);
	assert_string_equal(l.error, expect);
	free(expect);
}

static void test_refused_url_fails_at_start(void **state)
{
	struct fake_env *e = *state;
	free(e->p->base_url);
	e->p->base_url = xstrdup("http://example.com/v1");
	struct got g;
	struct llm_message msg = { "user", "hi" };
	struct llm_request rq;
	struct err err = ERR_INIT;
	memset(&rq, 0, sizeof rq);
	memset(&g, 0, sizeof g);
	rq.model = "m";
	rq.messages = &msg;
	rq.nmessages = 1;
	assert_null(e->p->ops->chat(e->p, e->loop, &rq, &got_handlers, &g, &err));
	assert_non_null(strstr(err.msg, "openai: refusing plain http to example.com"));
}

static void on_embedded(void *ud, const struct llm_embedding *emb, const struct err *e)
{
	struct listed *l = ud;
	l->dones++;
	if (emb) {
		l->emb = *emb;
		l->emb.values = xmalloc(emb->n * emb->dim * sizeof *emb->values);
		memcpy(l->emb.values, emb->values, emb->n * emb->dim * sizeof *emb->values);
	} else {
		snprintf(l->error, sizeof l->error, "%s", e->msg);
	}
	loop_stop(l->loop);
}

static void test_embed(void **state)
{
	struct fake_env *e = *state;
	fake_respond(&e->f, 200, JSON_HEAD,
		     "{\"object\":\"list\",\"data\":[{\"index\":0,\"embedding\":[0.25,0.5,1]},{\"index\":1,"
		     "\"embedding\":[1,2,3]}],\"usage\":{\"prompt_tokens\":4,\"total_tokens\":4}}",
		     1);
	static const char *const texts[] = { "a", "b" };
	struct listed l;
	struct err err = ERR_INIT;
	memset(&l, 0, sizeof l);
	l.loop = e->loop;
	static const struct llm_embed_opts eo = { LLM_EMBED_QUERY, 512 };
	assert_non_null(e->p->ops->embed(e->p, e->loop, "text-embedding-3-small", &eo, texts, 2, on_embedded, &l, &err));
	loop_run(e->loop);
	assert_int_equal(l.dones, 1);
	assert_int_equal(l.emb.n, 2);
	assert_int_equal(l.emb.dim, 3);
	assert_true(l.emb.values[1] == 0.5f && l.emb.values[5] == 3.0f);
	assert_int_equal(l.emb.usage.input_tokens, 4);
	free(l.emb.values);
	const char *req = buf_str(&e->f.last);
	assert_non_null(strstr(req, "POST /v1/embeddings HTTP/1.1\r\n"));
	cJSON *body = cJSON_Parse(strstr(req, "\r\n\r\n") + 4);
	assert_int_equal(cJSON_GetArraySize(get(body, "input")), 2);
	assert_string_equal(cJSON_GetStringValue(get(body, "encoding_format")), "float");
	assert_int_equal(cJSON_GetNumberValue(get(body, "dimensions")), 512);
	cJSON_Delete(body);
}

static int group_setup(void **state)
{
	unsetenv("OPENAI_ORG_ID");
	unsetenv("OPENAI_PROJECT_ID");
	return testhttp_group_setup(state);
}

#define HOME_TEST(fn) cmocka_unit_test_setup_teardown(fn, home_setup, home_teardown)
#define NET_TEST(fn) cmocka_unit_test_setup_teardown(fn, env_setup, fake_env_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_usage_and_length),
		cmocka_unit_test(test_stream_tool_calls),
		cmocka_unit_test(test_stream_cut_anywhere_keeps_partial_text),
		cmocka_unit_test(test_stream_cut_by_transport_says_why),
		cmocka_unit_test(test_stream_error_object_keeps_text),
		cmocka_unit_test(test_stream_bad_json_is_an_error),
		cmocka_unit_test(test_stream_passes_raw_bytes_through),
		cmocka_unit_test(test_stream_crlf_comments_and_trailing_data),
		cmocka_unit_test(test_whole_answer),
		cmocka_unit_test(test_request_streaming_openai),
		cmocka_unit_test(test_request_compatible_server_plain),
		cmocka_unit_test(test_error_sentences),
		cmocka_unit_test(test_stop_reason_mapping),
		cmocka_unit_test(test_models_answer),
		cmocka_unit_test(test_embeddings_answer),
		HOME_TEST(test_init_builtin_from_environment),
		HOME_TEST(test_init_key_file),
		HOME_TEST(test_init_compatible_servers),
		NET_TEST(test_call_streams_and_sends_what_it_should),
		NET_TEST(test_call_retries_429_then_streams),
		NET_TEST(test_call_gives_up_with_one_sentence),
		NET_TEST(test_call_does_not_retry_what_sdk_would_not),
		NET_TEST(test_call_cut_after_text_is_not_retried),
		NET_TEST(test_call_clean_end_without_marker_is_cut),
		NET_TEST(test_call_not_streamed),
		NET_TEST(test_call_cancel_inside_on_text),
		NET_TEST(test_call_cancel_while_waiting_to_retry),
		NET_TEST(test_list_models),
		NET_TEST(test_list_models_unreachable),
		NET_TEST(test_refused_url_fails_at_start),
		NET_TEST(test_embed),
	};
	return cmocka_run_group_tests(tests, group_setup, testhttp_group_teardown);
}
