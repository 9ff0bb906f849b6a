/* kb/bedrockkb's pure pieces: knowledge-base ids, the Retrieve body for each
 * mode, k and filter (and what is refused), and Retrieve answers read into
 * search hits page after page. The calls themselves run against the fake
 * server in tests/e2e/kb_bedrock.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kb/bedrockkb.h"
#include "kb/store.h"

static void test_ids(void **state)
{
	(void)state;
	assert_true(bedrockkb_id_valid("KB12345678"));
	assert_true(bedrockkb_id_valid("a"));
	assert_false(bedrockkb_id_valid(""));
	assert_false(bedrockkb_id_valid(NULL));
	assert_false(bedrockkb_id_valid("KB123456789"));
	assert_false(bedrockkb_id_valid("KB-1234"));
	assert_false(bedrockkb_id_valid("../x"));
}

static struct kb_search_opts opts(const char *q, int k, enum kb_mode m, const char *filter)
{
	struct kb_search_opts so;
	memset(&so, 0, sizeof so);
	so.query = q;
	so.k = k;
	so.mode = m;
	so.filter = filter;
	return so;
}

static void body_is(struct kb_search_opts so, const char *token, const char *want)
{
	struct err e = ERR_INIT;
	char *got = bedrockkb_retrieve_json(&so, token, &e);
	if (!got)
		fail_msg("%s", e.msg);
	if (strcmp(got, want) != 0)
		fail_msg("\n got  %s\n want %s", got, want);
	free(got);
}

static void refused(struct kb_search_opts so, const char *msg)
{
	struct err e = ERR_INIT;
	char *got = bedrockkb_retrieve_json(&so, NULL, &e);
	if (got)
		fail_msg("expected a refusal, got %s", got);
	if (!strstr(e.msg, msg))
		fail_msg("expected '%s', got '%s'", msg, e.msg);
}

static void test_request(void **state)
{
	(void)state;
	body_is(opts("what is drift?", 5, KB_MODE_VECTOR, NULL), NULL,
		"{\"retrievalQuery\":{\"text\":\"what is drift?\"},\"retrievalConfiguration\":{\"vectorSearchConfiguration\":"
		"{\"numberOfResults\":5,\"overrideSearchType\":\"SEMANTIC\"}}}");
	body_is(opts("q \"x\"", 100, KB_MODE_HYBRID, "year >= 2024 AND NOT genre = blog"), "tok-2",
		"{\"retrievalQuery\":{\"text\":\"q \\\"x\\\"\"},\"retrievalConfiguration\":{\"vectorSearchConfiguration\":"
		"{\"numberOfResults\":100,\"overrideSearchType\":\"HYBRID\",\"filter\":{\"andAll\":[{\"greaterThanOrEquals\":"
		"{\"key\":\"year\",\"value\":2024}},{\"notEquals\":{\"key\":\"genre\",\"value\":\"blog\"}}]}}},"
		"\"nextToken\":\"tok-2\"}");
	refused(opts("q", 5, KB_MODE_BM25, NULL), "has no bm25 mode");
	refused(opts("q", 101, KB_MODE_VECTOR, NULL), "at most 100 results");
	refused(opts("q", 0, KB_MODE_VECTOR, NULL), "at most 100 results");
	refused(opts("q", 5, KB_MODE_VECTOR, "path GLOB '*.md'"), "invalid filter: Bedrock cannot express");
	refused(opts("q", 5, KB_MODE_VECTOR, "year >"), "invalid filter: column");
	struct kb_search_opts mmr = opts("q", 5, KB_MODE_VECTOR, NULL);
	mmr.mmr = 1;
	refused(mmr, "--rerank mmr needs the chunks' vectors");
}

static void test_parse(void **state)
{
	(void)state;
	struct kb_results r;
	memset(&r, 0, sizeof r);
	struct err e = ERR_INIT;
	char *tok = NULL;
	const char *page1 =
		"{\"retrievalResults\":[{\"content\":{\"type\":\"TEXT\",\"text\":\"Drift \\u0001is\\u0002 change.\"},"
		"\"location\":{\"type\":\"S3\",\"s3Location\":{\"uri\":\"s3://b/drift.md\"}},\"score\":0.71,"
		"\"metadata\":{\"year\":2024,\"x-amz-bedrock-kb-source-uri\":\"s3://b/drift.md\"},\"documentId\":\"d1\"},"
		"{\"content\":{\"text\":\"Web page.\"},\"location\":{\"type\":\"WEB\",\"webLocation\":{\"url\":\"https://ex.com/a\"}},"
		"\"score\":0.5}],\"nextToken\":\"n2\",\"guardrailAction\":\"NONE\"}";
	assert_int_equal(bedrockkb_parse_retrieve(page1, strlen(page1), &r, &tok, &e), 0);
	assert_string_equal(tok, "n2");
	free(tok);
	assert_int_equal(r.n, 2);
	assert_true(r.v[0].remote);
	assert_int_equal(r.v[0].rank, 1);
	assert_true(r.v[0].score == 0.71);
	assert_string_equal(r.v[0].doc_name, "s3://b/drift.md");
	assert_string_equal(r.v[0].doc_path, "s3://b/drift.md");
	assert_string_equal(r.v[0].document_id, "d1");
	assert_string_equal(r.v[0].text, "Drift is change."); /* mark bytes never come from outside */
	assert_string_equal(r.v[0].heading, "");
	assert_string_equal(r.v[0].meta, "{\"year\":2024,\"x-amz-bedrock-kb-source-uri\":\"s3://b/drift.md\"}");
	assert_string_equal(r.v[1].doc_name, "https://ex.com/a");
	assert_null(r.v[1].document_id);
	assert_string_equal(r.v[1].meta, "{}");
	const char *page2 = "{\"retrievalResults\":[{\"content\":{\"text\":\"c\"},\"documentId\":\"only-id\",\"score\":0.1},"
			    "{\"location\":{}}]}";
	assert_int_equal(bedrockkb_parse_retrieve(page2, strlen(page2), &r, &tok, &e), 0);
	assert_null(tok);
	assert_int_equal(r.n, 3); /* a result without content is skipped */
	assert_int_equal(r.v[2].rank, 3);
	assert_string_equal(r.v[2].doc_name, "only-id");
	assert_string_equal(r.v[2].doc_path, "");
	kb_results_free(&r);

	memset(&r, 0, sizeof r);
	assert_int_equal(bedrockkb_parse_retrieve("{\"results\":[]}", 14, &r, &tok, &e), -1);
	assert_non_null(strstr(e.msg, "retrievalResults"));
	assert_int_equal(bedrockkb_parse_retrieve("not json", 8, &r, &tok, &e), -1);
	assert_int_equal(r.n, 0);
}

/* An attached KB is a row of kbs whose settings name the service, id and region. */
static void test_settings(void **state)
{
	(void)state;
	struct kb_settings a, b;
	kb_settings_default(&a);
	char *local = kb_settings_json(&a);
	assert_null(strstr(local, "source"));
	snprintf(a.source, sizeof a.source, "bedrock");
	snprintf(a.remote_id, sizeof a.remote_id, "KB12345678");
	snprintf(a.region, sizeof a.region, "eu-west-1");
	char *j = kb_settings_json(&a);
	assert_non_null(strstr(j, "\"source\":\"bedrock\",\"remote_id\":\"KB12345678\",\"region\":\"eu-west-1\""));
	kb_settings_parse(j, &b);
	assert_string_equal(b.source, "bedrock");
	assert_string_equal(b.remote_id, "KB12345678");
	assert_string_equal(b.region, "eu-west-1");
	struct kb k = { .set = b };
	assert_true(kb_is_remote(&k));
	kb_settings_parse(local, &b);
	k.set = b;
	assert_false(kb_is_remote(&k));
	assert_false(kb_is_remote(NULL));
	free(j);
	free(local);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_settings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
