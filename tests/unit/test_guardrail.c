/* The ApplyGuardrail client's pure pieces (src/guard/guardrail.h): the
 * ID:VERSION spec, the request path and body, and reading the response into
 * rows, outputs and usage. The calls themselves run against the fake server
 * in tests/e2e/guard.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "guard/guardrail.h"

static void test_spec(void **state)
{
	(void)state;
	char *id, *v;
	struct err e = ERR_INIT;
	assert_int_equal(guardrail_parse_spec("gr-abc123:1", &id, &v, &e), 0);
	assert_string_equal(id, "gr-abc123");
	assert_string_equal(v, "1");
	free(id);
	free(v);
	assert_int_equal(guardrail_parse_spec("arn:aws:bedrock:us-east-1:123456789012:guardrail/abc:DRAFT", &id, &v, &e), 0);
	assert_string_equal(id, "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc");
	assert_string_equal(v, "DRAFT");
	free(id);
	free(v);
	assert_int_equal(guardrail_parse_spec("abc", &id, &v, &e), -1);
	assert_int_equal(guardrail_parse_spec("abc:", &id, &v, &e), -1);
	assert_int_equal(guardrail_parse_spec(":1", &id, &v, &e), -1);
	assert_int_equal(guardrail_parse_spec("abc:latest", &id, &v, &e), -1);
	assert_non_null(strstr(e.msg, "DRAFT"));
}

static void test_path_and_body(void **state)
{
	(void)state;
	char *p = guardrail_path("arn:aws:bedrock:us-east-1:1:guardrail/ab c", "DRAFT");
	assert_string_equal(p, "/guardrail/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Aguardrail%2Fab%20c/version/DRAFT/apply");
	free(p);
	char *b = guardrail_request_json(GUARDRAIL_OUTPUT, "hi \"there\"\n", 11, 1);
	assert_string_equal(b, "{\"source\":\"OUTPUT\",\"content\":[{\"text\":{\"text\":\"hi \\\"there\\\"\\n\"}}],"
			       "\"outputScope\":\"FULL\"}");
	free(b);
	b = guardrail_request_json(GUARDRAIL_INPUT, "x", 1, 0);
	assert_non_null(strstr(b, "\"source\":\"INPUT\""));
	assert_non_null(strstr(b, "\"outputScope\":\"INTERVENTIONS\""));
	free(b);
}

static const char response[] =
	"{\"usage\":{\"topicPolicyUnits\":1,\"contentPolicyUnits\":2,\"wordPolicyUnits\":3,"
	"\"sensitiveInformationPolicyUnits\":4,\"sensitiveInformationPolicyFreeUnits\":5,"
	"\"contextualGroundingPolicyUnits\":6},"
	"\"action\":\"GUARDRAIL_INTERVENED\",\"actionReason\":\"Guardrail blocked.\","
	"\"outputs\":[{\"text\":\"Sorry.\"}],"
	"\"assessments\":[{\"topicPolicy\":{\"topics\":[{\"name\":\"Investment advice\",\"type\":\"DENY\","
	"\"action\":\"BLOCKED\",\"detected\":true}]},"
	"\"contentPolicy\":{\"filters\":[{\"type\":\"PROMPT_ATTACK\",\"confidence\":\"HIGH\",\"filterStrength\":"
	"\"HIGH\",\"action\":\"BLOCKED\"}]},"
	"\"wordPolicy\":{\"customWords\":[{\"match\":\"shazam\",\"action\":\"BLOCKED\",\"detected\":true}],"
	"\"managedWordLists\":[{\"match\":\"damn\",\"type\":\"PROFANITY\",\"action\":\"NONE\",\"detected\":false}]},"
	"\"sensitiveInformationPolicy\":{\"piiEntities\":[{\"match\":\"a@b.com\",\"type\":\"EMAIL\","
	"\"action\":\"ANONYMIZED\",\"detected\":true}],\"regexes\":[{\"name\":\"emp\",\"match\":\"EMP-1\","
	"\"regex\":\"EMP-\\\\d\",\"action\":\"ANONYMIZED\"}]},"
	"\"contextualGroundingPolicy\":{\"filters\":[{\"type\":\"GROUNDING\",\"threshold\":0.75,\"score\":0.25,"
	"\"action\":\"BLOCKED\",\"detected\":true}]},"
	"\"invocationMetrics\":{\"guardrailProcessingLatency\":321}}]}";

static void test_parse_response(void **state)
{
	(void)state;
	struct guardrail_result *r = calloc(1, sizeof *r);
	assert_int_equal(guardrail_parse_response(response, strlen(response), r), 0);
	assert_true(r->ok);
	assert_true(r->intervened);
	assert_string_equal(r->action, "GUARDRAIL_INTERVENED");
	assert_string_equal(r->action_reason, "Guardrail blocked.");
	assert_int_equal(r->noutputs, 1);
	assert_string_equal(r->outputs[0], "Sorry.");
	assert_int_equal(r->nrows, 7);
	assert_string_equal(r->rows[0].policy, "topic");
	assert_string_equal(r->rows[0].name, "Investment advice");
	assert_string_equal(r->rows[0].detail, "DENY");
	assert_int_equal(r->rows[0].detected, 1);
	assert_string_equal(r->rows[1].name, "PROMPT_ATTACK");
	assert_string_equal(r->rows[1].detail, "confidence HIGH, strength HIGH");
	assert_int_equal(r->rows[1].detected, -1);
	assert_string_equal(r->rows[2].policy, "word");
	assert_string_equal(r->rows[3].policy, "managed word");
	assert_int_equal(r->rows[3].detected, 0);
	assert_string_equal(r->rows[4].policy, "pii");
	assert_string_equal(r->rows[4].name, "EMAIL");
	assert_string_equal(r->rows[4].action, "ANONYMIZED");
	assert_string_equal(r->rows[5].policy, "regex");
	assert_string_equal(r->rows[5].detail, "EMP-1");
	assert_string_equal(r->rows[6].policy, "grounding");
	assert_string_equal(r->rows[6].detail, "score 0.25, threshold 0.75");
	assert_int_equal(r->usage.topic, 1);
	assert_int_equal(r->usage.sensitive_free, 5);
	assert_int_equal(r->usage.grounding, 6);
	assert_int_equal(r->latency_ms, 321);
	assert_string_equal(r->json, response);
	guardrail_result_free(r);
}

static void test_parse_response_refuses_other_shapes(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "not json", "[]", "{\"action\":\"NONE\"}",
		"{\"action\":\"NONE\",\"outputs\":[],\"assessments\":[]}",
		"{\"action\":1,\"outputs\":[],\"assessments\":[],\"usage\":{}}",
		"{\"message\":\"Too many requests\"}",
	};
	for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
		struct guardrail_result *r = calloc(1, sizeof *r);
		assert_int_equal(guardrail_parse_response(bad[k], strlen(bad[k]), r), -1);
		assert_false(r->ok);
		assert_non_null(strstr(r->message, "not the JSON it should be"));
		guardrail_result_free(r);
	}
	struct guardrail_result *r = calloc(1, sizeof *r);
	const char *none = "{\"action\":\"NONE\",\"outputs\":[],\"assessments\":[],\"usage\":{}}";
	assert_int_equal(guardrail_parse_response(none, strlen(none), r), 0);
	assert_false(r->intervened);
	assert_int_equal(r->nrows, 0);
	guardrail_result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec),
		cmocka_unit_test(test_path_and_body),
		cmocka_unit_test(test_parse_response),
		cmocka_unit_test(test_parse_response_refuses_other_shapes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
