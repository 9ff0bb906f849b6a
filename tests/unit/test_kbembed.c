/* kb_embed_query_start: the query's vector asked for on a running loop
 * (the workbench's way), against a fake OpenAI server on loopback: the
 * request is the real /v1/embeddings body, done gets the unit vector once;
 * a provider error reaches done as one sentence; a cancelled request never
 * calls done and leaves no transfer; an unknown provider fails at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testhttp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "kb/embed.h"

struct answer {
	struct loop *loop;
	int calls;
	float *v;
	size_t dim;
	char err[1100];
};

static void on_vector(void *ud, float *v, size_t dim, const struct err *e)
{
	struct answer *a = ud;
	a->calls++;
	a->v = v;
	a->dim = dim;
	if (e)
		snprintf(a->err, sizeof a->err, "%s", e->msg);
	loop_stop(a->loop);
}

struct env {
	struct loop *loop;
	struct fake f;
	struct config cfg;
	int64_t guard;
};

static int64_t on_guard(struct loop *l, int64_t id, void *ud)
{
	(void)id;
	struct env *e = ud;
	e->guard = 0;
	loop_stop(l);
	return LOOP_TIMER_DONE;
}

static int setup(void **state)
{
	struct env *e = xcalloc(1, sizeof *e);
	e->loop = loop_new();
	fake_start(&e->f, e->loop);
	char *url = xasprintf("http://127.0.0.1:%d/v1", e->f.port);
	setenv("OPENAI_BASE_URL", url, 1);
	setenv("OPENAI_API_KEY", "sk-unit-kbembed", 1);
	free(url);
	e->guard = loop_add_timer(e->loop, 10000, on_guard, e);
	*state = e;
	return 0;
}

/* Runs the loop once more so the handle freed after done is gone. */
static int64_t stop_now(struct loop *l, int64_t id, void *ud)
{
	(void)id;
	(void)ud;
	loop_stop(l);
	return LOOP_TIMER_DONE;
}

static int teardown(void **state)
{
	struct env *e = *state;
	loop_add_timer(e->loop, 0, stop_now, NULL);
	loop_run(e->loop);
	fake_stop(&e->f);
	if (e->guard)
		loop_del_timer(e->loop, e->guard);
	assert_int_equal(loop_transfers(e->loop), 0);
	loop_free(e->loop);
	free(e);
	return 0;
}

static void test_vector_arrives_normalised(void **state)
{
	struct env *e = *state;
	fake_respond(&e->f, 200, "Content-Type: application/json\r\n",
		     "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[3,0,4]}],"
		     "\"model\":\"text-embedding-3-small\",\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3}}",
		     1);
	struct answer a = { e->loop, 0, NULL, 0, "" };
	struct err err = ERR_INIT;
	struct kb_query_embed *q = kb_embed_query_start(&e->cfg, e->loop, "openai/text-embedding-3-small", 3,
							"icy winter roads", on_vector, &a, &err);
	assert_non_null(q);
	assert_int_equal(a.calls, 0); /* nothing before the loop runs */
	loop_run(e->loop);
	assert_int_equal(a.calls, 1);
	assert_string_equal(a.err, "");
	assert_int_equal(a.dim, 3);
	assert_true(fabsf(a.v[0] - 0.6f) < 1e-6f && fabsf(a.v[1]) < 1e-6f && fabsf(a.v[2] - 0.8f) < 1e-6f);
	free(a.v);
	const char *req = buf_str(&e->f.last);
	assert_non_null(strstr(req, "POST /v1/embeddings"));
	assert_non_null(strstr(req, "\"model\":\"text-embedding-3-small\""));
	assert_non_null(strstr(req, "icy winter roads"));
	assert_non_null(strstr(req, "\"dimensions\":3"));
	assert_non_null(strstr(req, "Bearer sk-unit-kbembed"));
}

static void test_dimensions(void **state)
{
	(void)state;
	struct err e = ERR_INIT;
	assert_int_equal(kb_embed_dims_check("bedrock/amazon.titan-embed-text-v2:0", 512, &e), 0);
	assert_int_equal(kb_embed_dims_check("bedrock/amazon.titan-embed-text-v2:0", 300, &e), -1);
	assert_string_equal(e.msg, "bedrock/amazon.titan-embed-text-v2:0 gives vectors of 256, 512 or 1024 dimensions, not 300");
	assert_int_equal(kb_embed_dims_check("openai/text-embedding-3-small", 1536, &e), 0);
	assert_int_equal(kb_embed_dims_check("openai/text-embedding-3-small", 1537, &e), -1);
	assert_int_equal(kb_embed_dims_check("openai/text-embedding-3-large", 3072, &e), 0);
	assert_int_equal(kb_embed_dims_check("bedrock/cohere.embed-english-v3", 256, &e), -1);
	assert_non_null(strstr(e.msg, "has no choice of dimensions"));
	struct kb_settings s;
	kb_settings_default(&s);
	snprintf(s.embed, sizeof s.embed, "openai/text-embedding-3-small");
	char key[200];
	kb_embed_cache_key(&s, key, sizeof key);
	assert_string_equal(key, "openai/text-embedding-3-small");
	s.embed_dims = 256;
	kb_embed_cache_key(&s, key, sizeof key);
	assert_string_equal(key, "openai/text-embedding-3-small@256");
	char *json = kb_settings_json(&s);
	struct kb_settings back;
	kb_settings_parse(json, &back);
	assert_int_equal(back.embed_dims, 256);
	free(json);
	s.embed_dims = 0;
	json = kb_settings_json(&s);
	assert_null(strstr(json, "embed_dims"));
	kb_settings_parse(json, &back);
	assert_int_equal(back.embed_dims, 0);
	free(json);
}

static void test_provider_error_is_one_sentence(void **state)
{
	struct env *e = *state;
	fake_respond(&e->f, 400, "Content-Type: application/json\r\n",
		     "{\"error\":{\"message\":\"model not found\",\"type\":\"invalid_request_error\",\"code\":\"model_not_found\"}}",
		     1);
	struct answer a = { e->loop, 0, NULL, 0, "" };
	struct err err = ERR_INIT;
	assert_non_null(kb_embed_query_start(&e->cfg, e->loop, "openai/nope", 0, "q", on_vector, &a, &err));
	loop_run(e->loop);
	assert_int_equal(a.calls, 1);
	assert_null(a.v);
	assert_non_null(strstr(a.err, "cannot embed the query: "));
	assert_non_null(strstr(a.err, "model not found"));
}

static void test_cancel_never_calls_done(void **state)
{
	struct env *e = *state;
	e->f.hold = 1;
	struct answer a = { e->loop, 0, NULL, 0, "" };
	struct err err = ERR_INIT;
	struct kb_query_embed *q = kb_embed_query_start(&e->cfg, e->loop, "openai/text-embedding-3-small", 0, "q",
							on_vector, &a, &err);
	assert_non_null(q);
	kb_embed_query_cancel(q);
	kb_embed_query_cancel(NULL);
	loop_add_timer(e->loop, 50, stop_now, NULL);
	loop_run(e->loop);
	assert_int_equal(a.calls, 0);
}

static void test_unknown_provider_fails_at_once(void **state)
{
	struct env *e = *state;
	struct answer a = { e->loop, 0, NULL, 0, "" };
	struct err err = ERR_INIT;
	assert_null(kb_embed_query_start(&e->cfg, e->loop, "nosuch/model", 0, "q", on_vector, &a, &err));
	assert_true(err.msg[0] != '\0');
	struct err err2 = ERR_INIT;
	assert_null(kb_embed_query_start(&e->cfg, e->loop, "no-slash", 0, "q", on_vector, &a, &err2));
	assert_true(err2.msg[0] != '\0');
	assert_int_equal(a.calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vector_arrives_normalised, setup, teardown),
		cmocka_unit_test_setup_teardown(test_provider_error_is_one_sentence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_never_calls_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_provider_fails_at_once, setup, teardown),
		cmocka_unit_test(test_dimensions),
	};
	return cmocka_run_group_tests(tests, testhttp_group_setup, testhttp_group_teardown);
}
