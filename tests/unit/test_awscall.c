/* awscall: one signed AWS JSON request on the loop against a canned server on
 * loopback. A JSON 1.1 call carries X-Amz-Target and its Content-Type, signed
 * (the signature is recomputed here from what arrived); a REST-JSON GET has
 * no Content-Type; throttling and 5xx are retried and then succeed; a
 * ValidationException is not retried and reads as one sentence; a refused
 * connection is retried to the limit; a cancelled call never calls done;
 * error codes are cut the way botocore cuts them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testhttp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/awscall.h"
#include "net/sigv4.h"

struct env {
	struct loop *loop;
	struct fake f;
	struct awsauth_endpoint ep;
	struct awsauth_creds creds;
	struct retry_quota quota;
	int64_t guard;
	int dones;
	struct awscall_reply got;
	char body[4096];
	char sentence[1200];
	struct awscall *call;
};

static double zero_rand(void *ud)
{
	(void)ud;
	return 0.0;
}

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
	e->ep.url = xasprintf("http://127.0.0.1:%d", e->f.port);
	e->ep.scheme = xstrdup("http");
	e->ep.host = xstrdup("127.0.0.1");
	e->ep.port = e->f.port;
	e->ep.base_path = xstrdup("");
	e->ep.signing_name = "sagemaker";
	e->ep.region = xstrdup("us-east-1");
	e->ep.source = xstrdup("test");
	e->creds.kind = AWSAUTH_SIGV4;
	e->creds.access_key_id = xstrdup("AKIDEXAMPLE");
	e->creds.secret_access_key = xstrdup("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
	e->quota = (struct retry_quota)RETRY_QUOTA_INIT;
	e->guard = loop_add_timer(e->loop, 10000, on_guard, e);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	fake_stop(&e->f);
	if (e->guard)
		loop_del_timer(e->loop, e->guard);
	assert_int_equal(loop_transfers(e->loop), 0);
	loop_free(e->loop);
	awsauth_endpoint_free(&e->ep);
	awsauth_creds_free(&e->creds);
	free(e);
	return 0;
}

static void on_done(void *ud, const struct awscall_reply *r)
{
	struct env *e = ud;
	e->dones++;
	e->got = *r;
	snprintf(e->body, sizeof e->body, "%.*s", (int)r->len, r->body);
	e->got.body = e->body;
	e->got.headers = NULL;
	e->got.failure = NULL;
	awscall_sentence(r, "SageMaker ListTrainingJobs", e->sentence, sizeof e->sentence);
	e->call = NULL;
	loop_stop(e->loop);
}

static void run(struct env *e, const struct awscall_request *rq)
{
	struct err err = ERR_INIT;
	e->call = awscall_start(e->loop, rq, on_done, e, &err);
	assert_non_null(e->call);
	loop_run(e->loop);
	assert_int_equal(e->dones, 1);
}

static struct awscall_request json11(struct env *e, const char *target, const char *body)
{
	return (struct awscall_request){
		.ep = &e->ep, .creds = &e->creds, .target = target, .body = body, .body_len = body ? strlen(body) : 0,
		.quota = &e->quota, .rand01 = zero_rand, .what = "test",
	};
}

/* The value of header name in the raw request, copied into out. */
static int header_of(const char *req, const char *name, char *out, size_t size)
{
	size_t n = strlen(name);
	for (const char *p = strstr(req, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
			const char *v = p + 3 + n;
			v += strspn(v, " ");
			size_t len = strcspn(v, "\r");
			snprintf(out, size, "%.*s", (int)len, v);
			return 1;
		}
	}
	return 0;
}

/* Signs again what arrived, with the signed header list it names, and compares. */
static void assert_signature_valid(const char *req)
{
	char auth[1024], date[32], signed_names[512];
	assert_true(header_of(req, "Authorization", auth, sizeof auth));
	assert_true(header_of(req, "X-Amz-Date", date, sizeof date));
	const char *sh = strstr(auth, "SignedHeaders=");
	assert_non_null(sh);
	snprintf(signed_names, sizeof signed_names, "%.*s", (int)strcspn(sh + 14, ","), sh + 14);
	const char *sig = strstr(auth, "Signature=");
	assert_non_null(sig);
	struct sigv4_header hs[16];
	char values[16][512];
	size_t n = 0;
	char names[512];
	snprintf(names, sizeof names, "%s", signed_names);
	for (char *save = NULL, *name = strtok_r(names, ";", &save); name; name = strtok_r(NULL, ";", &save)) {
		if (strcmp(name, "x-amz-date") == 0)
			continue;
		assert_true(header_of(req, name, values[n], sizeof values[n]));
		hs[n] = (struct sigv4_header){ name, values[n] };
		n++;
	}
	const char *body = strstr(req, "\r\n\r\n") + 4;
	char method[8], path[256];
	assert_int_equal(sscanf(req, "%7s %255s", method, path), 2);
	char *q = strchr(path, '?');
	if (q)
		*q++ = '\0';
	struct tm tm = { 0 };
	assert_non_null(strptime(date, "%Y%m%dT%H%M%SZ", &tm));
	struct sigv4_request rq = {
		.method = method, .path = path, .query = q, .headers = hs, .nheaders = n, .body = *body ? body : NULL,
		.body_len = strlen(body), .region = "us-east-1", .service = "sagemaker",
	};
	struct sigv4_creds sc = { "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL };
	struct sigv4_result res;
	struct err err = ERR_INIT;
	assert_int_equal(sigv4_sign(&rq, timegm(&tm), &sc, NULL, &res, &err), 0);
	assert_string_equal(res.signed_headers, signed_names);
	assert_string_equal(res.signature, sig + 10);
	sigv4_result_free(&res);
}

static void test_json11_signed(void **state)
{
	struct env *e = *state;
	fake_respond(&e->f, 200, "Content-Type: application/x-amz-json-1.1\r\n", "{\"TrainingJobSummaries\":[]}", 1);
	struct awscall_request rq = json11(e, "SageMaker.ListTrainingJobs", NULL);
	run(e, &rq);
	assert_true(e->got.ok);
	assert_int_equal(e->got.attempts, 1);
	assert_string_equal(e->body, "{\"TrainingJobSummaries\":[]}");
	const char *req = buf_str(&e->f.last);
	assert_true(strncmp(req, "POST / HTTP/1.1\r\n", 17) == 0);
	char v[512];
	assert_true(header_of(req, "X-Amz-Target", v, sizeof v));
	assert_string_equal(v, "SageMaker.ListTrainingJobs");
	assert_true(header_of(req, "Content-Type", v, sizeof v));
	assert_string_equal(v, "application/x-amz-json-1.1");
	assert_false(header_of(req, "x-amzn-query-mode", v, sizeof v));
	assert_true(header_of(req, "Authorization", v, sizeof v));
	assert_non_null(strstr(v, "Credential=AKIDEXAMPLE/"));
	assert_non_null(strstr(v, "/us-east-1/sagemaker/aws4_request"));
	assert_non_null(strstr(v, "x-amz-target"));
	assert_string_equal(strstr(req, "\r\n\r\n") + 4, "{}");
	assert_signature_valid(req);
}

static void test_json10_query_mode(void **state)
{
	struct env *e = *state;
	fake_respond(&e->f, 200, "", "{\"MetricDataResults\":[]}", 1);
	struct awscall_request rq = json11(e, "GraniteServiceVersion20100801.GetMetricData", "{\"a\":1}");
	rq.json_version = "1.0";
	rq.query_mode = 1;
	run(e, &rq);
	assert_true(e->got.ok);
	const char *req = buf_str(&e->f.last);
	char v[512];
	assert_true(header_of(req, "Content-Type", v, sizeof v));
	assert_string_equal(v, "application/x-amz-json-1.0");
	assert_true(header_of(req, "x-amzn-query-mode", v, sizeof v));
	assert_string_equal(v, "true");
	assert_string_equal(strstr(req, "\r\n\r\n") + 4, "{\"a\":1}");
	assert_signature_valid(req);
}

static void test_rest_get(void **state)
{
	struct env *e = *state;
	fake_respond(&e->f, 200, "", "{\"x\":1}", 1);
	struct awscall_request rq = {
		.ep = &e->ep, .creds = &e->creds, .method = "GET", .path = "/model-customization-jobs/a%3Ab",
		.query = "maxResults=2", .quota = &e->quota, .what = "test",
	};
	run(e, &rq);
	assert_true(e->got.ok);
	const char *req = buf_str(&e->f.last);
	assert_true(strncmp(req, "GET /model-customization-jobs/a%3Ab?maxResults=2 HTTP/1.1\r\n", 59) == 0);
	char v[512];
	assert_false(header_of(req, "Content-Type", v, sizeof v));
	assert_false(header_of(req, "X-Amz-Target", v, sizeof v));
	assert_true(header_of(req, "Accept", v, sizeof v));
	assert_string_equal(v, "application/json");
	assert_signature_valid(req);
}

static void test_throttled_then_ok(void **state)
{
	struct env *e = *state;
	fake_respond(&e->f, 400, "Content-Type: application/x-amz-json-1.1\r\n",
		     "{\"__type\":\"com.amazonaws.sagemaker#ThrottlingException\",\"message\":\"Rate exceeded\"}", 1);
	fake_respond(&e->f, 503, "", "{\"__type\":\"ServiceUnavailable\"}", 1);
	fake_respond(&e->f, 200, "", "{}", 1);
	struct awscall_request rq = json11(e, "SageMaker.DescribeTrainingJob", "{\"TrainingJobName\":\"j\"}");
	run(e, &rq);
	assert_true(e->got.ok);
	assert_int_equal(e->got.attempts, 3);
	assert_int_equal(e->f.requests, 3);
	assert_true(e->quota.available < RETRY_QUOTA_CAPACITY);
}

static void test_validation_not_retried(void **state)
{
	struct env *e = *state;
	fake_respond(&e->f, 400, "x-amzn-RequestId: req-1\r\n",
		     "{\"__type\":\"ValidationException\",\"Message\":\"1 validation error\\ndetected\"}", 1);
	fake_respond(&e->f, 200, "", "{}", 1);
	struct awscall_request rq = json11(e, "SageMaker.ListTrainingJobs", NULL);
	run(e, &rq);
	assert_false(e->got.ok);
	assert_int_equal(e->got.status, 400);
	assert_int_equal(e->got.attempts, 1);
	assert_int_equal(e->f.requests, 1);
	assert_string_equal(e->got.code, "ValidationException");
	assert_string_equal(e->sentence,
			    "SageMaker ListTrainingJobs: HTTP 400 ValidationException: 1 validation error detected "
			    "(request id req-1)");
}

static void test_throttling_gives_up(void **state)
{
	struct env *e = *state;
	fake_respond(&e->f, 429, "x-amzn-ErrorType: ThrottlingException:http://internal\r\n",
		     "{\"message\":\"Rate exceeded\"}", 1);
	struct awscall_request rq = json11(e, "SageMaker.ListTrainingJobs", NULL);
	run(e, &rq);
	assert_false(e->got.ok);
	assert_int_equal(e->got.attempts, RETRY_DEFAULT_ATTEMPTS);
	assert_string_equal(e->got.code, "ThrottlingException");
	assert_non_null(strstr(e->sentence, "HTTP 429 ThrottlingException: Rate exceeded"));
	assert_non_null(strstr(e->sentence, "(after 3 attempts)"));
}

static void test_refused_connection(void **state)
{
	struct env *e = *state;
	free(e->ep.url);
	e->ep.url = xasprintf("http://127.0.0.1:%d", testhttp_closed_port());
	struct awscall_request rq = json11(e, "Logs_20140328.GetLogEvents", "{}");
	run(e, &rq);
	assert_false(e->got.ok);
	assert_int_equal(e->got.status, 0);
	assert_int_equal(e->got.error, HTTP_ERR_CONNECT);
	assert_int_equal(e->got.attempts, RETRY_DEFAULT_ATTEMPTS);
	assert_true(strncmp(e->sentence, "SageMaker ListTrainingJobs: ", 28) == 0);
	assert_non_null(strstr(e->sentence, "(after 3 attempts)"));
}

static int64_t stop_soon(struct loop *l, int64_t id, void *ud)
{
	(void)id;
	(void)ud;
	loop_stop(l);
	return LOOP_TIMER_DONE;
}

static void test_cancel(void **state)
{
	struct env *e = *state;
	int port, silent = testhttp_socket(SOCK_CLOEXEC, 16, &port);
	free(e->ep.url);
	e->ep.url = xasprintf("http://127.0.0.1:%d", port);
	struct awscall_request rq = json11(e, "SageMaker.ListTrainingJobs", NULL);
	struct err err = ERR_INIT;
	e->call = awscall_start(e->loop, &rq, on_done, e, &err);
	assert_non_null(e->call);
	loop_add_timer(e->loop, 200, stop_soon, NULL);
	loop_run(e->loop);
	awscall_cancel(e->call);
	assert_int_equal(e->dones, 0);
	assert_int_equal(loop_transfers(e->loop), 0);
	close(silent);
}

static void test_bearer(void **state)
{
	struct env *e = *state;
	struct awsauth_creds bearer = { .kind = AWSAUTH_BEARER };
	struct http_headers h = HTTP_HEADERS_INIT;
	struct err err = ERR_INIT;
	char token[] = "tok\nen";
	bearer.bearer_token = token;
	assert_int_equal(awscall_headers(&e->ep, &bearer, "POST", "/", NULL, "{}", 2, "application/json", NULL, NULL, 0,
					 0, &h, &err), -1);
	http_headers_free(&h);
	char ok[] = "bedrock-api-key-abc";
	bearer.bearer_token = ok;
	assert_int_equal(awscall_headers(&e->ep, &bearer, "POST", "/", NULL, "{}", 2, "application/json", NULL, NULL, 0,
					 0, &h, &err), 0);
	assert_string_equal(http_headers_get(&h, "Authorization"), "Bearer bedrock-api-key-abc");
	assert_string_equal(http_headers_get(&h, "Content-Type"), "application/json");
	http_headers_free(&h);
}

static const char *code_of(const char *type, const char *body)
{
	static char c[96];
	awscall_error_code(type, body, body ? strlen(body) : 0, c, sizeof c);
	return c;
}

static const char *message_of(const char *body)
{
	static char m[64];
	awscall_service_message(body, strlen(body), m, sizeof m);
	return m;
}

static void test_error_code(void **state)
{
	(void)state;
	assert_string_equal(code_of("ThrottlingException:http://internal.amazon.com/", NULL), "ThrottlingException");
	assert_string_equal(code_of(NULL, "{\"__type\":\"com.amazonaws.sagemaker#ResourceNotFound\"}"), "ResourceNotFound");
	assert_string_equal(code_of("", "{\"code\":\"AccessDenied\",\"__type\":\"x\"}"), "AccessDenied");
	assert_string_equal(code_of(NULL, "{\"Code\":\"Bad\\u001bCode\"}"), "BadCode");
	assert_string_equal(code_of(NULL, "not json"), "");
	assert_string_equal(message_of("{\"Message\":\"a\\tb\"}"), "a b");
	assert_string_equal(message_of("[1]"), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_json11_signed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json10_query_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rest_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_throttled_then_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validation_not_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_throttling_gives_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bearer, setup, teardown),
		cmocka_unit_test(test_error_code),
	};
	return cmocka_run_group_tests(tests, testhttp_group_setup, testhttp_group_teardown);
}
