#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "net/http.h"
#include "net/retry.h"

static double fixed_rand(void *ud)
{
	return *(double *)ud;
}

struct fixture {
	struct retry_policy policy;
	struct retry_state state;
	struct http_headers headers;
	double rand;
};

static void fixture_init(struct fixture *f, enum retry_family family, double rand)
{
	memset(f, 0, sizeof(*f));
	unsetenv("AWS_MAX_ATTEMPTS");
	retry_policy_init(&f->policy, family);
	f->rand = rand;
	f->policy.rand01 = fixed_rand;
	f->policy.rand_ud = &f->rand;
}

static struct retry_decision decide_status(struct fixture *f, int attempt, int status, const char *code)
{
	struct retry_attempt a = {.attempt = attempt, .status = status, .headers = &f->headers, .error_code = code};
	return retry_decide(&f->policy, &f->state, &a);
}

static struct retry_decision decide_error(struct fixture *f, int attempt, enum http_error error)
{
	struct retry_attempt a = {.attempt = attempt, .error = error};
	return retry_decide(&f->policy, &f->state, &a);
}

/* ---- OpenAI / Anthropic ---- */

static void test_429_with_retry_after_one_second(void **state)
{
	(void)state;
	struct fixture f;
	fixture_init(&f, RETRY_OPENAI, 0.5);
	http_headers_add(&f.headers, "Retry-After", "1");
	struct retry_decision d = decide_status(&f, 1, 429, NULL);
	assert_true(d.retry);
	assert_int_equal(d.delay_ms, 1000);
	assert_non_null(strstr(d.reason, "429"));
	http_headers_free(&f.headers);
}

static void test_sdk_retryable_statuses(void **state)
{
	(void)state;
	static const int yes[] = {408, 409, 429, 500, 502, 503, 504, 529, 599};
	static const int no[] = {400, 401, 402, 403, 404, 413, 422};
	for (int fam = RETRY_OPENAI; fam <= RETRY_ANTHROPIC; fam++) {
		struct fixture f;
		fixture_init(&f, (enum retry_family)fam, 0.0);
		for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
			assert_true(decide_status(&f, 1, yes[i], NULL).retry);
		for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
			struct retry_decision d = decide_status(&f, 1, no[i], NULL);
			assert_false(d.retry);
			assert_non_null(strstr(d.reason, "not retryable"));
		}
	}
}

static void test_x_should_retry_overrides_status(void **state)
{
	(void)state;
	struct fixture f;
	fixture_init(&f, RETRY_OPENAI, 0.0);
	http_headers_add(&f.headers, "x-should-retry", "false");
	struct retry_decision d = decide_status(&f, 1, 500, NULL);
	assert_false(d.retry);
	assert_non_null(strstr(d.reason, "x-should-retry"));

	http_headers_clear(&f.headers);
	http_headers_add(&f.headers, "X-Should-Retry", "true");
	assert_true(decide_status(&f, 1, 400, NULL).retry);
	/* ...but never beyond the attempt limit. */
	assert_false(decide_status(&f, 3, 400, NULL).retry);
	http_headers_free(&f.headers);
}

static void test_retry_after_ms_wins(void **state)
{
	(void)state;
	for (int fam = RETRY_OPENAI; fam <= RETRY_ANTHROPIC; fam++) {
		struct fixture f;
		fixture_init(&f, (enum retry_family)fam, 0.9);
		http_headers_add(&f.headers, "retry-after-ms", "250");
		http_headers_add(&f.headers, "retry-after", "7");
		struct retry_decision d = decide_status(&f, 1, 429, NULL);
		assert_true(d.retry);
		assert_int_equal(d.delay_ms, 250);
		http_headers_free(&f.headers);
	}
}

static void test_retry_after_too_long_gives_up(void **state)
{
	(void)state;
	struct fixture f;
	fixture_init(&f, RETRY_OPENAI, 0.0);
	http_headers_add(&f.headers, "retry-after", "300");
	struct retry_decision d = decide_status(&f, 1, 429, NULL);
	assert_false(d.retry);
	assert_non_null(strstr(d.reason, "300 s"));

	/* 100 s is within OpenAI's 120 s but beyond Anthropic's 60 s. */
	http_headers_clear(&f.headers);
	http_headers_add(&f.headers, "retry-after", "100");
	d = decide_status(&f, 1, 429, NULL);
	assert_true(d.retry);
	assert_int_equal(d.delay_ms, 100000);
	d = decide_status(&f, 1, 429, NULL);
	assert_int_equal(d.delay_ms, 100000);

	f.policy.family = RETRY_ANTHROPIC;
	assert_false(decide_status(&f, 1, 429, NULL).retry);
	http_headers_clear(&f.headers);
	http_headers_add(&f.headers, "retry-after", "60");
	d = decide_status(&f, 1, 529, NULL);
	assert_true(d.retry);
	assert_int_equal(d.delay_ms, 60000);
	http_headers_free(&f.headers);
}

static void test_retry_after_http_date(void **state)
{
	(void)state;
	struct fixture f;
	fixture_init(&f, RETRY_ANTHROPIC, 0.0);
	/* Wed, 21 Oct 2015 07:28:00 GMT is 1445412480. */
	http_headers_add(&f.headers, "retry-after", "Wed, 21 Oct 2015 07:28:00 GMT");
	struct retry_attempt a = {.attempt = 1, .status = 503, .headers = &f.headers,
				  .now_wall_ms = (1445412480LL - 30) * 1000};
	struct retry_decision d = retry_decide(&f.policy, &f.state, &a);
	assert_true(d.retry);
	assert_int_equal(d.delay_ms, 30000);

	int64_t ms = 0;
	assert_int_equal(retry_after_ms(&f.headers, (1445412480LL - 2) * 1000 - 500, &ms), 1);
	assert_int_equal(ms, 2500);

	/* A date in the past is no ask at all: the backoff applies. */
	a.now_wall_ms = (1445412480LL + 60) * 1000;
	d = retry_decide(&f.policy, &f.state, &a);
	assert_true(d.retry);
	assert_int_equal(d.delay_ms, 500);
	http_headers_free(&f.headers);
}

static void test_unusable_retry_after_falls_back_to_backoff(void **state)
{
	(void)state;
	static const char *const values[] = {"0", "-3", "soon", "", "1e999", "nan"};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		struct fixture f;
		fixture_init(&f, RETRY_OPENAI, 0.0);
		http_headers_add(&f.headers, "retry-after", values[i]);
		struct retry_decision d = decide_status(&f, 2, 429, NULL);
		assert_true(d.retry);
		assert_int_equal(d.delay_ms, 1000);
		http_headers_free(&f.headers);
	}
	struct http_headers none = HTTP_HEADERS_INIT;
	int64_t ms = 42;
	assert_int_equal(retry_after_ms(&none, 0, &ms), 0);
	assert_int_equal(ms, 42);
	assert_int_equal(retry_after_ms(NULL, 0, &ms), 0);
}

static void test_sdk_backoff_doubles_to_eight_seconds_with_jitter(void **state)
{
	(void)state;
	struct fixture f;
	fixture_init(&f, RETRY_OPENAI, 0.0);
	f.policy.max_attempts = 10;
	static const int64_t expect[] = {500, 1000, 2000, 4000, 8000, 8000, 8000, 8000, 8000};
	for (int attempt = 1; attempt <= 9; attempt++) {
		struct retry_decision d = decide_status(&f, attempt, 503, NULL);
		assert_true(d.retry);
		assert_int_equal(d.delay_ms, expect[attempt - 1]);
	}
	/* Jitter takes off at most a quarter. */
	f.rand = 0.999999;
	assert_int_equal(decide_status(&f, 1, 503, NULL).delay_ms, 375);
	assert_int_equal(decide_status(&f, 6, 503, NULL).delay_ms, 6000);
	f.rand = 0.5;
	assert_int_equal(decide_status(&f, 2, 503, NULL).delay_ms, 875);
}

static void test_sdk_default_two_retries(void **state)
{
	(void)state;
	struct fixture f;
	fixture_init(&f, RETRY_ANTHROPIC, 0.0);
	assert_int_equal(f.policy.max_attempts, 3);
	assert_true(decide_status(&f, 1, 500, NULL).retry);
	assert_true(decide_status(&f, 2, 500, NULL).retry);
	struct retry_decision d = decide_status(&f, 3, 500, NULL);
	assert_false(d.retry);
	assert_non_null(strstr(d.reason, "gave up after 3 attempts"));
}

static void test_connection_errors_are_retried(void **state)
{
	(void)state;
	static const enum http_error yes[] = {HTTP_ERR_CONNECT, HTTP_ERR_DNS, HTTP_ERR_CONNECT_TIMEOUT,
					      HTTP_ERR_IDLE_TIMEOUT, HTTP_ERR_CUT};
	static const enum http_error no[] = {HTTP_ERR_TLS, HTTP_ERR_TOO_LARGE, HTTP_ERR_CANCELLED, HTTP_ERR_ABORTED,
					     HTTP_ERR_POLICY, HTTP_ERR_REDIRECT, HTTP_ERR_OTHER};
	for (int fam = RETRY_AWS; fam <= RETRY_ANTHROPIC; fam++) {
		struct fixture f;
		fixture_init(&f, (enum retry_family)fam, 0.0);
		for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
			assert_true(decide_error(&f, 1, yes[i]).retry);
		for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
			struct retry_decision d = decide_error(&f, 1, no[i]);
			assert_false(d.retry);
			assert_non_null(strstr(d.reason, http_error_name(no[i])));
		}
	}
}

static void test_never_retry_after_output_was_shown(void **state)
{
	(void)state;
	for (int fam = RETRY_AWS; fam <= RETRY_ANTHROPIC; fam++) {
		struct fixture f;
		fixture_init(&f, (enum retry_family)fam, 0.0);
		http_headers_add(&f.headers, "x-should-retry", "true");
		http_headers_add(&f.headers, "retry-after", "1");
		struct retry_attempt a = {.attempt = 1, .status = 429, .headers = &f.headers,
					  .error_code = "ThrottlingException", .output_delivered = 1};
		struct retry_decision d = retry_decide(&f.policy, &f.state, &a);
		assert_false(d.retry);
		assert_non_null(strstr(d.reason, "output"));
		struct retry_attempt cut = {.attempt = 1, .error = HTTP_ERR_CUT, .output_delivered = 1};
		assert_false(retry_decide(&f.policy, &f.state, &cut).retry);
		http_headers_free(&f.headers);
	}
}

static void test_openai_insufficient_quota_not_retried(void **state)
{
	(void)state;
	struct fixture f;
	fixture_init(&f, RETRY_OPENAI, 0.0);
	struct retry_decision d = decide_status(&f, 1, 429, "insufficient_quota");
	assert_false(d.retry);
	assert_non_null(strstr(d.reason, "insufficient_quota"));
	assert_true(decide_status(&f, 1, 429, "rate_limit_exceeded").retry);
}

/* ---- AWS standard mode ---- */

static void test_aws_retryable_codes_and_statuses(void **state)
{
	(void)state;
	struct fixture f;
	fixture_init(&f, RETRY_AWS, 0.0);
	assert_int_equal(f.policy.max_attempts, 3);
	assert_true(decide_status(&f, 1, 400, "ThrottlingException").retry);
	assert_true(decide_status(&f, 1, 429, "ThrottlingException").retry);
	assert_true(decide_status(&f, 1, 200, "throttlingException").retry);
	assert_true(decide_status(&f, 1, 400, "TooManyRequestsException").retry);
	assert_true(decide_status(&f, 1, 400, "RequestTimeoutException").retry);
	assert_true(decide_status(&f, 1, 429, "ModelNotReadyException").retry);
	assert_true(decide_status(&f, 1, 503, "ServiceUnavailableException").retry);
	assert_true(decide_status(&f, 1, 200, "serviceUnavailableException").retry);
	assert_true(decide_status(&f, 1, 500, "InternalServerException").retry);
	assert_true(decide_status(&f, 1, 502, NULL).retry);
	assert_true(decide_status(&f, 1, 504, NULL).retry);

	struct retry_decision d = decide_status(&f, 1, 400, "ValidationException");
	assert_false(d.retry);
	assert_non_null(strstr(d.reason, "ValidationException"));
	assert_false(decide_status(&f, 1, 403, "AccessDeniedException").retry);
	assert_false(decide_status(&f, 1, 404, "ResourceNotFoundException").retry);
	assert_false(decide_status(&f, 1, 409, NULL).retry);
	assert_false(decide_status(&f, 1, 501, NULL).retry);
	assert_false(decide_status(&f, 3, 503, NULL).retry);
}

static void test_aws_error_code_from_header_and_namespaces(void **state)
{
	(void)state;
	struct fixture f;
	fixture_init(&f, RETRY_AWS, 0.0);
	http_headers_add(&f.headers, "x-amzn-ErrorType",
			 "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.availability/");
	struct retry_decision d = decide_status(&f, 1, 400, NULL);
	assert_true(d.retry);
	assert_non_null(strstr(d.reason, "(ThrottlingException)"));
	assert_false(decide_status(&f, 1, 400, "com.amazon.coral.validate#ValidationException").retry);
	assert_true(decide_status(&f, 1, 400, "com.amazonaws.bedrock#ThrottlingException").retry);
	http_headers_free(&f.headers);
}

static void test_aws_backoff_bounds(void **state)
{
	(void)state;
	struct fixture f;
	fixture_init(&f, RETRY_AWS, 0.5);
	f.policy.max_attempts = 20;
	static const int64_t half[] = {500, 1000, 2000, 4000, 8000, 10000, 10000, 10000};
	for (int attempt = 1; attempt <= 8; attempt++)
		assert_int_equal(decide_status(&f, attempt, 503, NULL).delay_ms, half[attempt - 1]);
	f.rand = 0.0;
	assert_int_equal(decide_status(&f, 4, 503, NULL).delay_ms, 0);
	f.rand = 0.999999;
	for (int attempt = 1; attempt <= 19; attempt++) {
		int64_t cap = attempt >= 6 ? 20000 : 1000LL << (attempt - 1);
		int64_t delay = decide_status(&f, attempt, 503, NULL).delay_ms;
		assert_true(delay <= cap);
		assert_true(delay >= cap - 1);
	}
	/* A broken random source stays inside the bounds. */
	f.rand = 7.0;
	assert_true(decide_status(&f, 2, 503, NULL).delay_ms <= 2000);
	f.rand = -1.0;
	assert_int_equal(decide_status(&f, 2, 503, NULL).delay_ms, 0);
}

static void test_aws_quota_exhaustion_and_refunds(void **state)
{
	(void)state;
	struct fixture f;
	fixture_init(&f, RETRY_AWS, 0.0);
	struct retry_quota quota = RETRY_QUOTA_INIT;
	f.policy.quota = &quota;
	f.policy.max_attempts = 1000;

	for (int i = 0; i < 100; i++) {
		assert_true(decide_status(&f, 1, 503, NULL).retry);
		assert_int_equal(f.state.acquired, 5);
	}
	assert_int_equal(quota.available, 0);
	struct retry_decision d = decide_status(&f, 1, 503, NULL);
	assert_false(d.retry);
	assert_non_null(strstr(d.reason, "quota"));

	/* A success after a retry refunds what that retry took... */
	retry_succeeded(&f.policy, &f.state);
	assert_int_equal(quota.available, 5);
	assert_int_equal(f.state.acquired, 0);
	/* ...a success at the first try refunds 1. */
	retry_succeeded(&f.policy, &f.state);
	assert_int_equal(quota.available, 6);

	/* Timeouts cost 10: not affordable with 6 left, while a 5-token retry is. */
	struct retry_decision t = decide_error(&f, 1, HTTP_ERR_IDLE_TIMEOUT);
	assert_false(t.retry);
	assert_true(decide_error(&f, 1, HTTP_ERR_CONNECT).retry);
	assert_int_equal(quota.available, 1);
	quota.available = 20;
	assert_true(decide_error(&f, 1, HTTP_ERR_CONNECT_TIMEOUT).retry);
	assert_int_equal(f.state.acquired, 10);
	assert_int_equal(quota.available, 10);

	/* Refunds never overfill the bucket. */
	quota.available = RETRY_QUOTA_CAPACITY;
	retry_succeeded(&f.policy, &f.state);
	assert_int_equal(quota.available, RETRY_QUOTA_CAPACITY);

	/* A non-retryable failure takes nothing. */
	quota.available = 100;
	assert_false(decide_status(&f, 1, 400, "ValidationException").retry);
	assert_int_equal(quota.available, 100);
}

static void test_aws_max_attempts_from_environment(void **state)
{
	(void)state;
	struct retry_policy p;
	setenv("AWS_MAX_ATTEMPTS", "5", 1);
	retry_policy_init(&p, RETRY_AWS);
	assert_int_equal(p.max_attempts, 5);
	retry_policy_init(&p, RETRY_OPENAI);
	assert_int_equal(p.max_attempts, 3);
	setenv("AWS_MAX_ATTEMPTS", "1", 1);
	retry_policy_init(&p, RETRY_AWS);
	assert_int_equal(p.max_attempts, 1);
	struct retry_state s = {0};
	struct retry_attempt a = {.attempt = 1, .status = 503};
	assert_false(retry_decide(&p, &s, &a).retry);
	static const char *const bad[] = {"0", "-2", "three", "4x", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("AWS_MAX_ATTEMPTS", bad[i], 1);
		retry_policy_init(&p, RETRY_AWS);
		assert_int_equal(p.max_attempts, 3);
	}
	unsetenv("AWS_MAX_ATTEMPTS");
}

static void test_internal_random_stays_in_bounds(void **state)
{
	(void)state;
	struct retry_policy p;
	retry_policy_init(&p, RETRY_AWS);
	p.max_attempts = 10;
	struct retry_state s = {0};
	int64_t lo = INT64_MAX, hi = -1;
	for (int i = 0; i < 200; i++) {
		struct retry_attempt a = {.attempt = 2, .status = 500};
		struct retry_decision d = retry_decide(&p, &s, &a);
		assert_true(d.retry);
		if (d.delay_ms < lo)
			lo = d.delay_ms;
		if (d.delay_ms > hi)
			hi = d.delay_ms;
	}
	assert_true(lo >= 0);
	assert_true(hi <= 2000);
	/* 200 draws are not all the same. */
	assert_true(hi > lo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_429_with_retry_after_one_second),
		cmocka_unit_test(test_sdk_retryable_statuses),
		cmocka_unit_test(test_x_should_retry_overrides_status),
		cmocka_unit_test(test_retry_after_ms_wins),
		cmocka_unit_test(test_retry_after_too_long_gives_up),
		cmocka_unit_test(test_retry_after_http_date),
		cmocka_unit_test(test_unusable_retry_after_falls_back_to_backoff),
		cmocka_unit_test(test_sdk_backoff_doubles_to_eight_seconds_with_jitter),
		cmocka_unit_test(test_sdk_default_two_retries),
		cmocka_unit_test(test_connection_errors_are_retried),
		cmocka_unit_test(test_never_retry_after_output_was_shown),
		cmocka_unit_test(test_openai_insufficient_quota_not_retried),
		cmocka_unit_test(test_aws_retryable_codes_and_statuses),
		cmocka_unit_test(test_aws_error_code_from_header_and_namespaces),
		cmocka_unit_test(test_aws_backoff_bounds),
		cmocka_unit_test(test_aws_quota_exhaustion_and_refunds),
		cmocka_unit_test(test_aws_max_attempts_from_environment),
		cmocka_unit_test(test_internal_random_stays_in_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
