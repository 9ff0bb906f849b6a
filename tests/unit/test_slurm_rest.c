/* slurm_rest: slurmrestd calls against a fake HTTP server on the loop: the
 * token from SLURM_JWT goes in X-SLURM-USER-TOKEN (read per call), and each
 * failure is one sentence saying what to do (no token, a refused token, an
 * error status, nothing listening). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testhttp.h"

#include "base/clock.h"
#include "jobs/slurm_run.h"

struct answer {
	int done;
	char *body;
	char why[768];
};

static void on_got(void *ud, const char *body, size_t n, const char *why)
{
	struct answer *g = ud;
	g->done = 1;
	g->body = body ? xstrndup(body, n) : NULL;
	snprintf(g->why, sizeof g->why, "%s", why ? why : "");
}

struct env {
	struct loop *loop;
	struct fake fake;
	struct slurm_source s;
};

static int setup(void **state)
{
	struct env *e = xcalloc(1, sizeof *e);
	e->loop = loop_new();
	fake_start(&e->fake, e->loop);
	e->s.base.loop = e->loop;
	e->s.rest_url = xasprintf("http://127.0.0.1:%d", e->fake.port);
	e->s.rest_base = xstrdup(e->s.rest_url);
	e->s.user = xstrdup("alice");
	unsetenv("SLURM_JWT");
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	fake_stop(&e->fake);
	loop_free(e->loop);
	free(e->s.rest_url);
	free(e->s.rest_base);
	free(e->s.user);
	free(e);
	unsetenv("SLURM_JWT");
	return 0;
}

static void call(struct env *e, const char *method, const char *path, struct answer *g)
{
	memset(g, 0, sizeof *g);
	assert_non_null(slurm_rest_call(&e->s, method, path, on_got, g));
	int64_t begin = clock_ms();
	while (!g->done && clock_ms() - begin < 10000)
		loop_run_once(e->loop, 50);
	assert_true(g->done);
}

static void get(struct env *e, struct answer *g)
{
	call(e, "GET", SLURM_REST_API "/jobs", g);
}

static void test_token_is_sent_and_body_delivered(void **state)
{
	struct env *e = *state;
	fake_respond(&e->fake, 200, "Content-Type: application/json\r\n", "{\"jobs\":[]}", 1);
	setenv("SLURM_JWT", "eyJ.token.sig", 1);
	struct answer g;
	get(e, &g);
	assert_string_equal(g.why, "");
	assert_string_equal(g.body, "{\"jobs\":[]}");
	const char *req = buf_str(&e->fake.last);
	assert_true(strncmp(req, "GET /slurm/v0.0.38/jobs HTTP/1.1\r\n", 34) == 0);
	assert_non_null(strstr(req, "\r\nX-SLURM-USER-TOKEN: eyJ.token.sig\r\n"));
	assert_non_null(strstr(req, "\r\nAccept: application/json\r\n"));
	free(g.body);
}

static void test_token_with_scontrol_prefix_is_sent_without_it(void **state)
{
	struct env *e = *state;
	fake_respond(&e->fake, 200, NULL, "{}", 1);
	setenv("SLURM_JWT", "SLURM_JWT=eyJ.token.sig", 1); /* export SLURM_JWT=$(scontrol token) */
	struct answer g;
	get(e, &g);
	assert_non_null(strstr(buf_str(&e->fake.last), "\r\nX-SLURM-USER-TOKEN: eyJ.token.sig\r\n"));
	free(g.body);
}

static void test_401_without_token_says_set_slurm_jwt(void **state)
{
	struct env *e = *state;
	fake_respond(&e->fake, 401, NULL, "Authentication failure", 1);
	struct answer g;
	get(e, &g);
	assert_null(g.body);
	char want[512];
	snprintf(want, sizeof want,
		 "slurmrestd at %s answered HTTP 401: it needs a token and SLURM_JWT is not set; "
		 "set it with export $(scontrol token) on the cluster",
		 e->s.rest_url);
	assert_string_equal(g.why, want);
	assert_null(strstr(buf_str(&e->fake.last), "X-SLURM-USER-TOKEN"));
}

static void test_401_with_token_says_get_a_new_one(void **state)
{
	struct env *e = *state;
	fake_respond(&e->fake, 401, NULL, "Authentication failure", 1);
	setenv("SLURM_JWT", "expired.token.sig", 1);
	struct answer g;
	get(e, &g);
	char want[512];
	snprintf(want, sizeof want,
		 "slurmrestd at %s answered HTTP 401: it refused the token in SLURM_JWT "
		 "(expired, or not valid on this cluster); get a new one with scontrol token",
		 e->s.rest_url);
	assert_string_equal(g.why, want);
	assert_null(strstr(g.why, "expired.token.sig"));
}

#define REST_ERROR(desc, num, err, src)                                                                  \
	"{\"meta\": {}, \"errors\": [{\"description\": \"" desc "\", \"error_number\": " num           \
	", \"error\": \"" err "\", \"source\": \"" src "\"}], \"jobs\": []}"

/* As Slurm 22.05.8 answers an expired token, one signed with another key, or
 * one for another user (measured with tests/slurm/rest_up.sh tcp). */
static void test_refused_token_500_says_get_a_new_one(void **state)
{
	struct env *e = *state;
	fake_respond(&e->fake, 500, NULL,
		     REST_ERROR("Failed while looking for jobs", "-1", "Unspecified error", "slurm_load_jobs"), 1);
	setenv("SLURM_JWT", "expired.token.sig", 1);
	struct answer g;
	get(e, &g);
	char want[512];
	snprintf(want, sizeof want,
		 "slurmrestd at %s answered HTTP 500, Failed while looking for jobs (slurm_load_jobs: Unspecified "
		 "error), which is how Slurm answers a token it refuses: the token in SLURM_JWT may have expired or "
		 "be for another cluster or user; get a new one with scontrol token",
		 e->s.rest_url);
	assert_string_equal(g.why, want);
}

static void test_slurm_error_is_shown_from_the_json(void **state)
{
	struct env *e = *state;
	fake_respond(&e->fake, 500, NULL,
		     REST_ERROR("Unable to find JobId=999", "2017", "Invalid job id specified", "slurm_load_job"), 1);
	setenv("SLURM_JWT", "good.token.sig", 1);
	struct answer g;
	get(e, &g);
	assert_string_equal(g.why,
			    "slurmrestd answered HTTP 500: Unable to find JobId=999 (slurm_load_job: Invalid job id specified)");
}

/* slurmrestd answers a DELETE of a job it does not know with HTTP 200 and an error */
static void test_delete_with_an_error_in_a_200_answer_fails(void **state)
{
	struct env *e = *state;
	const char *body = REST_ERROR("Unable to find JobId=999", "2017", "Invalid job id specified", "slurm_kill_job");
	fake_respond(&e->fake, 200, "Content-Type: application/json\r\n", body, 1);
	struct answer g;
	call(e, "DELETE", SLURM_REST_API "/job/999", &g);
	assert_null(g.body);
	assert_string_equal(g.why, "slurmrestd: Unable to find JobId=999 (slurm_kill_job: Invalid job id specified)");
	const char *line = "DELETE /slurm/v0.0.38/job/999 HTTP/1.1\r\n";
	assert_memory_equal(buf_str(&e->fake.last), line, strlen(line));
	fake_respond(&e->fake, 200, "Content-Type: application/json\r\n", body, 1);
	get(e, &g); /* a GET's answer goes to the caller as it is */
	assert_string_equal(g.body, body);
	free(g.body);
	fake_respond(&e->fake, 200, "Content-Type: application/json\r\n", "{\"meta\":{},\"errors\":[]}", 1);
	call(e, "DELETE", SLURM_REST_API "/job/4", &g);
	assert_string_equal(g.why, "");
	free(g.body);
}

/* base64url of {"exp":1,"iat":0,"sun":"asmith"} and of {"exp":1}, as scontrol token's payloads. */
static void test_user_name_comes_from_the_token(void **state)
{
	struct env *e = *state;
	fake_respond(&e->fake, 200, NULL, "{}", 1);
	setenv("SLURM_JWT", "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjEsImlhdCI6MCwic3VuIjoiYXNtaXRoIn0.c2ln", 1);
	struct answer g;
	get(e, &g);
	assert_non_null(strstr(buf_str(&e->fake.last), "\r\nX-SLURM-USER-NAME: asmith\r\n"));
	free(g.body);
	setenv("SLURM_JWT", "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2ln", 1);
	get(e, &g);
	assert_non_null(strstr(buf_str(&e->fake.last), "\r\nX-SLURM-USER-NAME: alice\r\n"));
	free(g.body);
	setenv("SLURM_JWT", "not-a-jwt", 1);
	get(e, &g);
	assert_non_null(strstr(buf_str(&e->fake.last), "\r\nX-SLURM-USER-NAME: alice\r\n"));
	free(g.body);
}

static void test_server_words_are_sanitised(void **state)
{
	struct env *e = *state;
	fake_respond(&e->fake, 500, NULL, REST_ERROR("bad\\u001b[2Jjob\\nid", "2017", "Invalid", "slurm_load_job"), 1);
	struct answer g;
	get(e, &g);
	assert_string_equal(g.why, "slurmrestd answered HTTP 500: badjob id (slurm_load_job: Invalid)");
}

static void test_other_status_shows_first_body_line(void **state)
{
	struct env *e = *state;
	fake_respond(&e->fake, 500, NULL, "slurm_load_jobs failed\nsecond line", 1);
	struct answer g;
	get(e, &g);
	assert_string_equal(g.why, "slurmrestd answered HTTP 500: slurm_load_jobs failed");
}

static void test_nothing_listening(void **state)
{
	struct env *e = *state;
	int port = testhttp_closed_port();
	free(e->s.rest_base);
	e->s.rest_base = xasprintf("http://127.0.0.1:%d", port);
	struct answer g;
	get(e, &g);
	char want[128];
	snprintf(want, sizeof want, "slurmrestd did not answer: cannot connect to 127.0.0.1 port %d: ", port);
	assert_true(strncmp(g.why, want, strlen(want)) == 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_token_is_sent_and_body_delivered),
		T(test_token_with_scontrol_prefix_is_sent_without_it),
		T(test_401_without_token_says_set_slurm_jwt),
		T(test_401_with_token_says_get_a_new_one),
		T(test_refused_token_500_says_get_a_new_one),
		T(test_slurm_error_is_shown_from_the_json),
		T(test_delete_with_an_error_in_a_200_answer_fails),
		T(test_user_name_comes_from_the_token),
		T(test_server_words_are_sanitised),
		T(test_other_status_shows_first_body_line),
		T(test_nothing_listening),
	};
	return cmocka_run_group_tests(tests, testhttp_group_setup, testhttp_group_teardown);
}
