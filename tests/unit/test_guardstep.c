/* The guard as a step (src/guard/step.h): the mode from a spec or the
 * config, a local check and its verdict, the report lines (with and without
 * byte spans), the JSON of --guard, and a guardrail's result turned into a
 * verdict and a readable table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "guard/step.h"

static void assert_contains(const char *haystack, const char *needle)
{
	if (!haystack || !strstr(haystack, needle))
		fail_msg("expected \"%s\" in \"%s\"", needle, haystack ? haystack : "(null)");
}

static void test_open_modes(void **state)
{
	(void)state;
	struct config cfg;
	memset(&cfg, 0, sizeof cfg);
	struct guard_step gs;
	struct err e = ERR_INIT;
	assert_int_equal(guard_step_open(&gs, &cfg, NULL, &e), 0); /* no guard.action: off */
	assert_false(guard_step_on(&gs));
	assert_string_equal(guard_step_mode(&gs), "off");
	guard_step_close(&gs);
	cfg.guard_action = (char *)(uintptr_t)"block";
	assert_int_equal(guard_step_open(&gs, &cfg, NULL, &e), 0);
	assert_true(guard_step_on(&gs));
	assert_string_equal(guard_step_mode(&gs), "block");
	assert_non_null(gs.local);
	guard_step_close(&gs);
	assert_int_equal(guard_step_open(&gs, &cfg, "mask", &e), 0); /* the spec wins */
	assert_string_equal(guard_step_mode(&gs), "mask");
	guard_step_close(&gs);
	assert_int_equal(guard_step_open(&gs, &cfg, "sideways", &e), GUARD_STEP_BAD_SPEC);
	assert_string_equal(e.msg, "--guard is off, report, mask, block or bedrock:ID:VERSION, not 'sideways'");
	cfg.guard_action = (char *)(uintptr_t)"nope";
	assert_int_equal(guard_step_open(&gs, &cfg, NULL, &e), GUARD_STEP_BAD_SPEC);
	assert_contains(e.msg, "guard.action in config.json is off, report");
	assert_int_equal(guard_step_open(&gs, &cfg, "bedrock:no-version", &e), -1);
	assert_contains(e.msg, "VERSION");
	guard_step_close(&gs);
}

static void test_bedrock_mode(void **state)
{
	(void)state;
	setenv("AWS_ACCESS_KEY_ID", "AKIDSTEPTEST00001", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "step-secret", 1);
	setenv("AWS_REGION", "us-east-1", 1);
	setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://127.0.0.1:9", 1);
	struct config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.guard_action = (char *)(uintptr_t)"bedrock:gr-1:2";
	struct guard_step gs;
	struct err e = ERR_INIT;
	if (guard_step_open(&gs, &cfg, NULL, &e) != 0)
		fail_msg("%s", e.msg);
	assert_true(guard_step_on(&gs));
	assert_string_equal(guard_step_mode(&gs), "bedrock");
	assert_null(gs.local);

	static const char body[] =
		"{\"usage\":{\"topicPolicyUnits\":1,\"contentPolicyUnits\":1,\"wordPolicyUnits\":1,"
		"\"sensitiveInformationPolicyUnits\":1,\"sensitiveInformationPolicyFreeUnits\":0,"
		"\"contextualGroundingPolicyUnits\":0},\"action\":\"GUARDRAIL_INTERVENED\","
		"\"actionReason\":\"Guardrail blocked.\",\"outputs\":[{\"text\":\"Sorry, no advice.\"}],"
		"\"assessments\":[{\"topicPolicy\":{\"topics\":[{\"name\":\"Investment advice\",\"type\":\"DENY\","
		"\"action\":\"BLOCKED\",\"detected\":true}]}}]}";
	struct guardrail_result *r = calloc(1, sizeof *r);
	assert_int_equal(guardrail_parse_response(body, strlen(body), r), 0);
	r->ok = 1;
	struct guard_verdict v;
	guard_step_verdict_bedrock(&v, GUARD_ON_ANSWER, r, NULL);
	assert_true(v.bedrock && v.stop && !v.failed);
	char *rep = guard_verdict_report(&gs, &v, "the answer of x/y", "", NULL, 0, 1);
	assert_contains(rep, "guardrail gr-1 version 2 on the answer: INTERVENED (Guardrail blocked.)\n");
	assert_contains(rep, "output: Sorry, no advice.\n");
	assert_contains(rep, "topic         Investment advice            BLOCKED     yes");
	assert_contains(rep, "usage: topic 1, content 1, word 1, sensitive information 1 (0 free)");
	free(rep);
	cJSON *j = guard_verdict_json(&gs, &v, NULL, 0);
	char *js = cJSON_PrintUnformatted(j);
	assert_contains(js, "{\"engine\":\"bedrock\",\"intervened\":true,\"response\":{");
	free(js);
	cJSON_Delete(j);
	guard_verdict_free(&v);

	guard_step_verdict_bedrock(&v, GUARD_ON_PROMPT, NULL, "could not connect");
	assert_true(v.failed && !v.stop);
	rep = guard_verdict_report(&gs, &v, "the prompt", "", NULL, 0, 0);
	assert_string_equal(rep, "guard: the prompt was not checked: could not connect\n");
	free(rep);
	guard_verdict_free(&v);
	guard_step_close(&gs);
}

static void test_local_verdicts(void **state)
{
	(void)state;
	struct config cfg;
	memset(&cfg, 0, sizeof cfg);
	struct guard_step gs;
	struct err e = ERR_INIT;
	const char *text = "write to john.doe@example.com\ncard 4111 1111 1111 1111";
	size_t len = strlen(text);

	assert_int_equal(guard_step_open(&gs, &cfg, "mask", &e), 0);
	struct guard_verdict v;
	guard_step_check(&gs, text, len, &v);
	assert_int_equal(v.local.findings.n, 2);
	assert_false(v.stop);
	assert_string_equal(v.local.masked, "write to [EMAIL]\ncard [CARD]");
	assert_string_equal(guard_verdict_word(&gs, &v), "masked");
	char *rep = guard_verdict_report(&gs, &v, "the prompt", "; it was sent masked", text, len, 1);
	assert_string_equal(rep, "guard (mask): the prompt holds 2 findings: 1 email, 1 payment_card; it was sent masked\n"
				 "  1:10      bytes 9-29  email                0.95  j***@example.com\n"
				 "  2:6       bytes 35-54  payment_card         0.95  4111***1111  (visa)\n");
	free(rep);
	char *lines = guard_findings_text("", &v.local.findings, text, len, 0);
	assert_string_equal(lines, "1:10      email                0.95  j***@example.com\n"
				   "2:6       payment_card         0.95  4111***1111  (visa)\n");
	free(lines);
	cJSON *j = guard_verdict_json(&gs, &v, text, len);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j, "action")), "masked");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "findings")), 2);
	cJSON_Delete(j);
	guard_verdict_free(&v);
	guard_step_close(&gs);

	assert_int_equal(guard_step_open(&gs, &cfg, "block", &e), 0);
	guard_step_check(&gs, text, len, &v);
	assert_true(v.stop);
	assert_null(v.local.masked);
	assert_string_equal(guard_verdict_word(&gs, &v), "blocked");
	guard_verdict_free(&v);
	guard_step_check(&gs, "nothing here", 12, &v);
	assert_false(v.stop);
	assert_null(guard_verdict_report(&gs, &v, "the prompt", "", "nothing here", 12, 1));
	assert_string_equal(guard_verdict_word(&gs, &v), "clean");
	guard_verdict_free(&v);
	guard_step_close(&gs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_modes),
		cmocka_unit_test(test_bedrock_mode),
		cmocka_unit_test(test_local_verdicts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
