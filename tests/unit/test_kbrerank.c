/* kb/rerank's pure pieces: --rerank specs, the candidate depth, the Rerank
 * request body and its answers page by page, the chat prompt and the reading
 * of a score out of an answer, the texts sent and the reordering. The calls
 * run against the fake server in tests/e2e/kb_rerank.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "base/xmalloc.h"
#include "kb/rerank.h"

static void test_spec(void **state)
{
	(void)state;
	struct kb_rerank rr;
	struct err e = ERR_INIT;
	assert_int_equal(kb_rerank_parse("bedrock:amazon.rerank-v1:0", &rr, &e), 0);
	assert_int_equal(rr.kind, KB_RERANK_BEDROCK);
	assert_string_equal(rr.model, "amazon.rerank-v1:0");
	kb_rerank_free(&rr);
	assert_int_equal(kb_rerank_parse("llm:openai/gpt-4o-mini", &rr, &e), 0);
	assert_int_equal(rr.kind, KB_RERANK_LLM);
	assert_string_equal(rr.model, "openai/gpt-4o-mini");
	assert_string_equal(kb_rerank_kind_name(rr.kind), "llm");
	kb_rerank_free(&rr);
	const char *bad[] = { "bedrock:", "bedrock:a b", "llm:", "llm:gpt", "llm:/m", "llm:p/", "cohere", "mmr", "",
			      "llm:openai/gpt\x1b[2J", "bedrock:amazon.rerank-v1:0\n" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		e = (struct err)ERR_INIT;
		assert_int_equal(kb_rerank_parse(bad[i], &rr, &e), -1);
		assert_true(e.set);
		assert_null(rr.model);
	}
	assert_int_equal(kb_rerank_parse(NULL, &rr, &e), -1);
}

static void test_depth(void **state)
{
	(void)state;
	assert_int_equal(kb_rerank_depth(1, 1000), KB_RERANK_DEPTH);
	assert_int_equal(kb_rerank_depth(10, 1000), 50);
	assert_int_equal(kb_rerank_depth(200, 1000), 200);
	assert_int_equal(kb_rerank_depth(200, 100), 100);
	assert_int_equal(kb_rerank_depth(1000, 1000), 1000);
}

static void test_request(void **state)
{
	(void)state;
	char *arn = kb_rerank_model_arn("eu-central-1", "cohere.rerank-v3-5:0");
	assert_string_equal(arn, "arn:aws:bedrock:eu-central-1::foundation-model/cohere.rerank-v3-5:0");
	const char *texts[] = { "first \"doc\"", "second" };
	char *j = kb_rerank_request_json(arn, "what is drift", texts, 2, NULL);
	assert_string_equal(j, "{\"queries\":[{\"type\":\"TEXT\",\"textQuery\":{\"text\":\"what is drift\"}}],"
			       "\"sources\":[{\"type\":\"INLINE\",\"inlineDocumentSource\":{\"type\":\"TEXT\","
			       "\"textDocument\":{\"text\":\"first \\\"doc\\\"\"}}},{\"type\":\"INLINE\","
			       "\"inlineDocumentSource\":{\"type\":\"TEXT\",\"textDocument\":{\"text\":\"second\"}}}],"
			       "\"rerankingConfiguration\":{\"type\":\"BEDROCK_RERANKING_MODEL\","
			       "\"bedrockRerankingConfiguration\":{\"numberOfResults\":2,\"modelConfiguration\":"
			       "{\"modelArn\":\"arn:aws:bedrock:eu-central-1::foundation-model/cohere.rerank-v3-5:0\"}}}}");
	free(j);
	j = kb_rerank_request_json(arn, "q", texts, 1, "tok-1");
	cJSON *o = cJSON_Parse(j);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(o, "nextToken")), "tok-1");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "sources")), 1);
	cJSON_Delete(o);
	free(j);
	/* a text over the service's 32000 is cut at a UTF-8 boundary */
	char *big = xmalloc(KB_RERANK_TEXT_MAX + 10);
	memset(big, 'a', KB_RERANK_TEXT_MAX - 1);
	memcpy(big + KB_RERANK_TEXT_MAX - 1, "\xc3\xa9tail", 7);
	const char *one[] = { big };
	j = kb_rerank_request_json(arn, "q", one, 1, NULL);
	o = cJSON_Parse(j);
	const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
		cJSON_GetArrayItem(cJSON_GetObjectItem(o, "sources"), 0), "inlineDocumentSource"), "textDocument"), "text"));
	assert_int_equal(strlen(t), KB_RERANK_TEXT_MAX - 1);
	cJSON_Delete(o);
	free(j);
	free(big);
	free(arn);
}

static void test_response(void **state)
{
	(void)state;
	double s[3] = { 0 };
	unsigned char seen[3] = { 0 };
	char *tok = NULL;
	struct err e = ERR_INIT;
	const char *p1 = "{\"results\":[{\"index\":2,\"relevanceScore\":0.91},{\"index\":0,\"relevanceScore\":0.5}],"
			 "\"nextToken\":\"rr-2\"}";
	assert_int_equal(kb_rerank_parse_response(p1, strlen(p1), s, seen, 3, &tok, &e), 0);
	assert_string_equal(tok, "rr-2");
	free(tok);
	const char *p2 = "{\"results\":[{\"index\":1,\"relevanceScore\":0.0001,\"document\":{\"type\":\"TEXT\"}}]}";
	assert_int_equal(kb_rerank_parse_response(p2, strlen(p2), s, seen, 3, &tok, &e), 0);
	assert_null(tok);
	assert_true(seen[0] && seen[1] && seen[2]);
	assert_true(s[2] == 0.91 && s[0] == 0.5 && s[1] == 0.0001);
	const char *bad[] = {
		"", "[]", "{}", "{\"results\":{}}", "{\"results\":[{\"index\":3,\"relevanceScore\":1}]}",
		"{\"results\":[{\"index\":-1,\"relevanceScore\":1}]}", "{\"results\":[{\"index\":0.5,\"relevanceScore\":1}]}",
		"{\"results\":[{\"index\":0}]}", "{\"results\":[{\"index\":\"0\",\"relevanceScore\":1}]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		e = (struct err)ERR_INIT;
		assert_int_equal(kb_rerank_parse_response(bad[i], strlen(bad[i]), s, seen, 3, &tok, &e), -1);
		assert_true(e.set);
		assert_null(tok);
	}
}

static void test_score(void **state)
{
	(void)state;
	struct { const char *in; int rc; double want; } c[] = {
		{ "7", 0, 7 }, { " 8.5\n", 0, 8.5 }, { "Score: 3/10", 0, 3 }, { "Relevance: 9 out of 10.", 0, 9 },
		{ "11", 0, 10 }, { "-2", 0, 0 }, { "100", 0, 10 }, { ".5", 0, 0.5 }, { "10.0", 0, 10 },
		{ "I cannot tell.", -1, 0 }, { "", -1, 0 }, { "...", -1, 0 }, { "ten", -1, 0 },
		{ "1e999", 0, 10 },
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		double v = 99;
		assert_int_equal(kb_rerank_parse_score(c[i].in, &v), c[i].rc);
		assert_true(v == c[i].want);
	}
	double v = 1;
	assert_int_equal(kb_rerank_parse_score(NULL, &v), -1);
	assert_true(v == 0);
	char *p = kb_rerank_prompt("what is drift?", "Drift is change.");
	assert_string_equal(p, "Rate how relevant the passage is to the question on a scale from 0 (unrelated) to 10 "
			       "(answers it fully). Answer with a number only.\n\nQuestion: what is drift?\n\n"
			       "Passage: Drift is change.");
	free(p);
}

static void hit(struct kb_hit *h, int rank, double score, const char *text, const char *title)
{
	memset(h, 0, sizeof *h);
	h->rank = rank;
	h->score = score;
	h->text = text ? xstrdup(text) : NULL;
	h->title = xstrdup(title);
	h->doc_name = xstrdup("doc");
	h->doc_path = xstrdup("p");
	h->heading = xstrdup("");
	h->meta = xstrdup("{}");
}

static void test_text_and_apply(void **state)
{
	(void)state;
	struct kb_results r;
	memset(&r, 0, sizeof r);
	r.n = 4;
	r.v = xcalloc(4, sizeof *r.v);
	hit(&r.v[0], 1, 9.0, "a \x01" "drift\x02 b", "T0");
	hit(&r.v[1], 2, 8.0, "  ", "T1");
	hit(&r.v[2], 3, 7.0, NULL, "");
	hit(&r.v[3], 4, 6.0, "d", "T3");
	char *t = kb_rerank_text(&r.v[0]);
	assert_string_equal(t, "a drift b");
	free(t);
	t = kb_rerank_text(&r.v[1]);
	assert_string_equal(t, "T1");
	free(t);
	t = kb_rerank_text(&r.v[2]);
	assert_string_equal(t, "doc");
	free(t);
	double scores[4] = { 0.2, 0.9, 0.2, 0.95 };
	kb_rerank_apply(&r, scores, 3);
	assert_int_equal(r.n, 3);
	int want_from[3] = { 4, 2, 1 }; /* 0.95, 0.9, then the tie 0.2 by retrieval rank */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(r.v[i].rank, i + 1);
		assert_int_equal(r.v[i].rerank_rank, i + 1);
		assert_int_equal(r.v[i].retrieval_rank, want_from[i]);
		assert_true(r.v[i].retrieval == 10.0 - want_from[i]);
		assert_true(r.v[i].score == r.v[i].relevance);
	}
	assert_true(r.v[0].relevance == 0.95 && r.v[2].relevance == 0.2);
	kb_results_free(&r);
	memset(&r, 0, sizeof r);
	kb_rerank_apply(&r, NULL, 3);
	assert_int_equal(r.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec),     cmocka_unit_test(test_depth), cmocka_unit_test(test_request),
		cmocka_unit_test(test_response), cmocka_unit_test(test_score), cmocka_unit_test(test_text_and_apply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
