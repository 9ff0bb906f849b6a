#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "net/sigv4.h"

#define VECTORS "tests/data/vectors/sigv4"
#define SUITE_V4 VECTORS "/tests/aws-signing-test-suite/v4"
#define SUITE_V4A VECTORS "/tests/aws-signing-test-suite/v4a"
#define BOTOCORE VECTORS "/generated-botocore"

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define WHEN ((time_t)1440938160) /* 2015-08-30T12:36:00Z */

static const struct sigv4_creds example_creds = { AKID, SECRET, NULL };

static size_t suite_found, suite_ran, suite_passed, botocore_found, botocore_passed;

struct request {
	char *method;
	char *target; /* path?query, or a full URL for the botocore files */
	struct sigv4_header *headers;
	size_t nheaders;
	char *body;
	size_t body_len;
};

static char *read_text(const char *dir, const char *name, size_t *len)
{
	char *p = path_join(dir, name);
	struct err e = ERR_INIT;
	char *text = path_read_file(p, len, &e);
	if (!text)
		fail_msg("%s", err_msg(&e));
	free(p);
	return text;
}

static char *read_trimmed(const char *dir, const char *name)
{
	char *t = read_text(dir, name, NULL);
	size_t n = strlen(t);
	while (n && (t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == ' '))
		t[--n] = '\0';
	return t;
}

/* Request line, "Name:value" headers (a line starting with a blank continues
 * the previous value, kept as an obsolete fold), blank line, body. */
static void parse_request(const char *text, size_t len, struct request *r)
{
	memset(r, 0, sizeof *r);
	const char *p = text, *end = text + len;
	const char *eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		eol = end;
	const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
	assert_non_null(sp1);
	const char *sp2 = eol;
	while (sp2 > sp1 && *sp2 != ' ')
		sp2--;
	if (sp2 == sp1 || strncmp(sp2, " HTTP/", 6) != 0)
		sp2 = eol;
	r->method = xstrndup(p, (size_t)(sp1 - p));
	r->target = xstrndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	p = eol < end ? eol + 1 : end;
	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		size_t n = (size_t)(eol - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (n == 0) {
			p = eol < end ? eol + 1 : end;
			break;
		}
		if ((*p == ' ' || *p == '\t') && r->nheaders) {
			struct sigv4_header *h = &r->headers[r->nheaders - 1];
			char *joined = xasprintf("%s\n%.*s", h->value, (int)n, p);
			free((char *)(uintptr_t)h->value);
			h->value = joined;
		} else {
			const char *colon = memchr(p, ':', n);
			assert_non_null(colon);
			r->headers = xreallocarray(r->headers, r->nheaders + 1, sizeof *r->headers);
			r->headers[r->nheaders++] = (struct sigv4_header){
				xstrndup(p, (size_t)(colon - p)), xstrndup(colon + 1, n - (size_t)(colon - p) - 1)
			};
		}
		p = eol < end ? eol + 1 : end;
	}
	r->body_len = (size_t)(end - p);
	r->body = xstrndup(p, r->body_len);
}

static void free_request(struct request *r)
{
	free(r->method);
	free(r->target);
	for (size_t i = 0; i < r->nheaders; i++) {
		free((char *)(uintptr_t)r->headers[i].name);
		free((char *)(uintptr_t)r->headers[i].value);
	}
	free(r->headers);
	free(r->body);
}

static void drop_header(struct request *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders;) {
		if (strcasecmp(r->headers[i].name, name) == 0) {
			free((char *)(uintptr_t)r->headers[i].name);
			free((char *)(uintptr_t)r->headers[i].value);
			memmove(&r->headers[i], &r->headers[i + 1], (r->nheaders - i - 1) * sizeof *r->headers);
			r->nheaders--;
		} else {
			i++;
		}
	}
}

/* The value of "Name:value" / "Name: value" in a signed-request file, or NULL. */
static char *signed_header(const char *text, const char *name)
{
	size_t nlen = strlen(name);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			const char *v = p + nlen + 1;
			while (*v == ' ')
				v++;
			return xstrndup(v, strcspn(v, "\r\n"));
		}
	}
	return NULL;
}

static time_t parse_timestamp(const char *iso)
{
	struct tm tm = { 0 };
	assert_int_equal(sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
				&tm.tm_min, &tm.tm_sec),
			 6);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

static const char *json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int json_true(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static void assert_text(const char *what, const char *got, const char *want)
{
	if (strcmp(got, want) != 0)
		fail_msg("%s differs.\n--- expected\n%s\n--- got\n%s\n---", what, want, got);
}

/* ---- the AWS signing test suite (aws-c-auth, v4, header signing) ---- */

static void run_suite_case(void **state)
{
	const char *dir = *state;
	suite_ran++;
	char *ctx_text = read_text(dir, "context.json", NULL);
	cJSON *ctx = cJSON_Parse(ctx_text);
	assert_non_null(ctx);
	const cJSON *jc = cJSON_GetObjectItemCaseSensitive(ctx, "credentials");
	struct sigv4_creds creds = { json_str(jc, "access_key_id"), json_str(jc, "secret_access_key"),
				     json_str(jc, "token") };
	int omit_token = json_true(ctx, "omit_session_token");
	const char *token = creds.session_token;
	if (omit_token)
		creds.session_token = NULL; /* the token is added after signing, unsigned */
	struct sigv4_opts opts = { .double_encode = true, .normalize_path = json_true(ctx, "normalize"),
				   .sign_body = json_true(ctx, "sign_body") };

	size_t len;
	char *raw = read_text(dir, "request.txt", &len);
	struct request r;
	parse_request(raw, len, &r);
	struct sigv4_request req = {
		.method = r.method, .path = r.target, .headers = r.headers, .nheaders = r.nheaders,
		.body = r.body, .body_len = r.body_len, .region = json_str(ctx, "region"),
		.service = json_str(ctx, "service"),
	};
	struct sigv4_result res;
	struct err e = ERR_INIT;
	if (sigv4_sign(&req, parse_timestamp(json_str(ctx, "timestamp")), &creds, &opts, &res, &e) != 0)
		fail_msg("%s: %s", dir, err_msg(&e));

	char *want_canon = read_text(dir, "header-canonical-request.txt", NULL);
	char *want_sts = read_text(dir, "header-string-to-sign.txt", NULL);
	char *want_sig = read_trimmed(dir, "header-signature.txt");
	char *signed_req = read_text(dir, "header-signed-request.txt", NULL);
	assert_text("canonical request", res.canonical_request, want_canon);
	assert_text("string to sign", res.string_to_sign, want_sts);
	assert_string_equal(res.signature, want_sig);
	char *want_auth = signed_header(signed_req, "Authorization");
	char *want_date = signed_header(signed_req, "X-Amz-Date");
	char *want_token = signed_header(signed_req, "X-Amz-Security-Token");
	assert_non_null(want_auth);
	assert_string_equal(res.authorization, want_auth);
	assert_non_null(want_date);
	assert_string_equal(res.amz_date, want_date);
	if (token) {
		assert_non_null(want_token);
		assert_string_equal(token, want_token);
	} else {
		assert_null(want_token);
	}

	free(want_auth);
	free(want_date);
	free(want_token);
	free(want_canon);
	free(want_sts);
	free(want_sig);
	free(signed_req);
	sigv4_result_free(&res);
	free_request(&r);
	free(raw);
	cJSON_Delete(ctx);
	free(ctx_text);
	suite_passed++;
}

/* ---- service-shaped examples generated with botocore ---- */

struct url {
	char *scheme, *host, *path, *query;
	int port;
};

static void parse_url(const char *u, struct url *out)
{
	memset(out, 0, sizeof *out);
	const char *sep = strstr(u, "://");
	assert_non_null(sep);
	out->scheme = xstrndup(u, (size_t)(sep - u));
	const char *auth = sep + 3;
	size_t alen = strcspn(auth, "/?");
	const char *colon = memchr(auth, ':', alen);
	out->host = xstrndup(auth, colon ? (size_t)(colon - auth) : alen);
	out->port = colon ? atoi(colon + 1) : 0;
	const char *rest = auth + alen;
	size_t plen = strcspn(rest, "?");
	out->path = xstrndup(rest, plen);
	out->query = rest[plen] == '?' ? xstrdup(rest + plen + 1) : NULL;
}

static void free_url(struct url *u)
{
	free(u->scheme);
	free(u->host);
	free(u->path);
	free(u->query);
}

static void run_botocore_case(void **state)
{
	const char *dir = *state;
	char *ctx_text = read_text(dir, "context.json", NULL);
	cJSON *ctx = cJSON_Parse(ctx_text);
	assert_non_null(ctx);
	const cJSON *jc = cJSON_GetObjectItemCaseSensitive(ctx, "credentials");
	struct sigv4_creds creds = { json_str(jc, "access_key_id"), json_str(jc, "secret_access_key"),
				     json_str(jc, "token") };
	time_t when = parse_timestamp(json_str(ctx, "timestamp"));

	size_t len;
	char *raw = read_text(dir, "signed-request.txt", &len);
	struct request r;
	parse_request(raw, len, &r);
	/* Added by the signer, or (Content-Length) by the HTTP layer after signing. */
	drop_header(&r, "X-Amz-Date");
	drop_header(&r, "Authorization");
	drop_header(&r, "X-Amz-Security-Token");
	drop_header(&r, "Content-Length");
	struct url u;
	parse_url(r.target, &u);
	char *want_canon = read_text(dir, "canonical-request.txt", NULL);
	char *want_sts = read_text(dir, "string-to-sign.txt", NULL);
	char *want_sig = read_trimmed(dir, "signature.txt");
	char *want_auth = signed_header(raw, "Authorization");
	assert_non_null(want_auth);

	/* The core, with the Host header the HTTP layer would send. */
	struct sigv4_header *with_host = xreallocarray(NULL, r.nheaders + 1, sizeof *with_host);
	char *host = sigv4_host_header(u.scheme, u.host, u.port);
	with_host[0] = (struct sigv4_header){ "Host", host };
	if (r.nheaders)
		memcpy(with_host + 1, r.headers, r.nheaders * sizeof *with_host);
	struct sigv4_request req = {
		.method = r.method, .path = u.path, .query = u.query, .headers = with_host,
		.nheaders = r.nheaders + 1, .body = r.body, .body_len = r.body_len,
		.region = json_str(ctx, "region"), .service = json_str(ctx, "signing_name"),
		.scheme = u.scheme, .host = u.host, .port = u.port,
	};
	struct sigv4_result res;
	struct err e = ERR_INIT;
	if (sigv4_sign(&req, when, &creds, NULL, &res, &e) != 0)
		fail_msg("%s: %s", dir, err_msg(&e));
	assert_text("canonical request", res.canonical_request, want_canon);
	assert_text("string to sign", res.string_to_sign, want_sts);
	assert_string_equal(res.signature, want_sig);
	assert_string_equal(res.authorization, want_auth);
	sigv4_result_free(&res);

	/* The provider-facing call: the lines it returns are what botocore sent. */
	req.headers = r.headers;
	req.nheaders = r.nheaders;
	struct sigv4_signed s;
	if (sigv4_sign_request(&req, when, &creds, NULL, &s, &e) != 0)
		fail_msg("%s: %s", dir, err_msg(&e));
	assert_string_equal(s.sig.signature, want_sig);
	assert_text("canonical request (sign_request)", s.sig.canonical_request, want_canon);
	struct buf sent = BUF_INIT;
	for (size_t i = 0; i < s.nlines; i++)
		buf_printf(&sent, "%s\n", s.lines[i]);
	const char *names[] = { "Authorization", "X-Amz-Date", "X-Amz-Security-Token", "Content-Type",
				"X-Amz-Target", "Accept" };
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		char *want = signed_header(raw, names[i]);
		char *got = signed_header(buf_str(&sent), names[i]);
		if (want || got) {
			if (!want || !got || strcmp(want, got) != 0)
				fail_msg("%s: header %s: expected \"%s\", sent \"%s\"", dir, names[i],
					 want ? want : "(none)", got ? got : "(none)");
		}
		free(want);
		free(got);
	}
	char *sent_host = signed_header(buf_str(&sent), "Host");
	assert_non_null(sent_host);
	assert_string_equal(sent_host, host);
	free(sent_host);
	buf_free(&sent);
	sigv4_signed_free(&s);

	free(host);
	free(with_host);
	free(want_auth);
	free(want_canon);
	free(want_sts);
	free(want_sig);
	free_url(&u);
	free_request(&r);
	free(raw);
	cJSON_Delete(ctx);
	free(ctx_text);
	botocore_passed++;
}

/* ---- focused cases ---- */

static void sign_simple(const char *method, const char *path, const char *query, const struct sigv4_header *extra,
			size_t nextra, const char *body, const char *region, const char *service,
			const struct sigv4_opts *opts, struct sigv4_result *res)
{
	struct sigv4_header h[8];
	h[0] = (struct sigv4_header){ "Host", "example.amazonaws.com" };
	assert_true(nextra < 8);
	if (nextra)
		memcpy(h + 1, extra, nextra * sizeof *h);
	struct sigv4_request req = { .method = method, .path = path, .query = query, .headers = h,
				     .nheaders = nextra + 1, .body = body, .body_len = body ? strlen(body) : 0,
				     .region = region, .service = service };
	struct err e = ERR_INIT;
	if (sigv4_sign(&req, WHEN, &example_creds, opts, res, &e) != 0)
		fail_msg("%s", err_msg(&e));
}

static void test_empty_body_hash(void **state)
{
	(void)state;
	char hex[65];
	sigv4_sha256_hex("", 0, hex);
	assert_string_equal(hex, SIGV4_EMPTY_SHA256);
	sigv4_sha256_hex(NULL, 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	struct sigv4_result res;
	sign_simple("GET", "/", NULL, NULL, 0, NULL, "us-east-1", "service", NULL, &res);
	assert_string_equal(res.payload_hash, SIGV4_EMPTY_SHA256);
	assert_string_equal(res.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
	assert_string_equal(res.scope, "20150830/us-east-1/service/aws4_request");
	sigv4_result_free(&res);
}

/* PROTOCOLS.md §1.4: the classic 2015 suite and the IAM user-guide example. */
static void test_classic_and_iam_examples(void **state)
{
	(void)state;
	struct sigv4_result res;
	struct sigv4_header form = { "Content-Type", "application/x-www-form-urlencoded" };
	sign_simple("POST", "/", NULL, &form, 1, "Param1=value1", "us-east-1", "service", NULL, &res);
	assert_string_equal(res.signed_headers, "content-type;host;x-amz-date");
	assert_string_equal(res.signature, "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
	sigv4_result_free(&res);
	form.value = "application/x-www-form-urlencoded; charset=utf8";
	sign_simple("POST", "/", NULL, &form, 1, "Param1=value1", "us-east-1", "service", NULL, &res);
	assert_string_equal(res.signature, "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe");
	sigv4_result_free(&res);

	struct sigv4_header iam[] = { { "Host", "iam.amazonaws.com" },
				      { "Content-Type", "application/x-www-form-urlencoded; charset=utf-8" } };
	struct sigv4_request req = { .method = "GET", .path = "/", .query = "Action=ListUsers&Version=2010-05-08",
				     .headers = iam, .nheaders = 2, .region = "us-east-1", .service = "iam" };
	struct err e = ERR_INIT;
	assert_int_equal(sigv4_sign(&req, WHEN, &example_creds, NULL, &res, &e), 0);
	assert_string_equal(res.signature, "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
	sigv4_result_free(&res);
}

static const char *line_after(const char *text, int n)
{
	for (int i = 0; i < n; i++) {
		text = strchr(text, '\n');
		assert_non_null(text);
		text++;
	}
	return text;
}

static void assert_canonical_uri(const char *path, const struct sigv4_opts *opts, const char *want)
{
	struct sigv4_result res;
	sign_simple("POST", path, NULL, NULL, 0, "{}", "us-east-1", "bedrock", opts, &res);
	const char *uri = line_after(res.canonical_request, 1);
	size_t n = strcspn(uri, "\n");
	if (strlen(want) != n || strncmp(uri, want, n) != 0)
		fail_msg("path %s: expected canonical URI %s, got %.*s", path, want, (int)n, uri);
	sigv4_result_free(&res);
}

static void test_canonical_uri_double_encoding(void **state)
{
	(void)state;
	assert_canonical_uri("/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse", NULL,
			     "/model/anthropic.claude-3-haiku-20240307-v1%253A0/converse");
	assert_canonical_uri("/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2F"
			     "us.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse-stream",
			     NULL,
			     "/model/arn%253Aaws%253Abedrock%253Aus-east-1%253A123456789012%253Ainference-profile%252F"
			     "us.anthropic.claude-3-5-haiku-20241022-v1%253A0/converse-stream");
	assert_canonical_uri("", NULL, "/");
	assert_canonical_uri("/a/./b/../c//d/", NULL, "/a/c/d/");
	assert_canonical_uri("/..", NULL, "/");
	struct sigv4_opts s3 = { .double_encode = false, .normalize_path = false };
	assert_canonical_uri("/bucket/a%3Ab//c/../d", &s3, "/bucket/a%3Ab//c/../d");
	assert_canonical_uri("", &s3, "/");
}

static void test_canonical_query(void **state)
{
	(void)state;
	struct sigv4_result res;
	sign_simple("GET", "/", "b=2&a=1&a=0&c&A=x&sp=a%20b&plus=a+b&&raw=é&bad=%zz", NULL, 0, NULL, "us-east-1",
		    "bedrock", NULL, &res);
	const char *q = line_after(res.canonical_request, 2);
	char *line = xstrndup(q, strcspn(q, "\n"));
	assert_string_equal(line, "A=x&a=0&a=1&b=2&bad=%25zz&c=&plus=a%2Bb&raw=%C3%A9&sp=a%20b");
	free(line);
	sigv4_result_free(&res);
	/* "?query" in the path when no query is given separately. */
	sign_simple("GET", "/foundation-models?byProvider=Anthropic&byOutputModality=TEXT", NULL, NULL, 0, NULL,
		    "us-east-1", "bedrock", NULL, &res);
	assert_non_null(strstr(res.canonical_request, "\n/foundation-models\nbyOutputModality=TEXT&byProvider=Anthropic\n"));
	sigv4_result_free(&res);
}

static void test_canonical_headers(void **state)
{
	(void)state;
	struct sigv4_result res;
	struct sigv4_header h[] = { { "X-B", "  two   words  " }, { "x-a", "1" }, { "User-Agent", "aiwb/0.1" },
				    { "X-A", "\t2 : 3" }, { "X-Empty", "" }, { "X-Fold", "one\r\n  two\n\tthree" } };
	sign_simple("GET", "/", NULL, h, sizeof h / sizeof *h, NULL, "us-east-1", "service", NULL, &res);
	assert_non_null(strstr(res.canonical_request, "\nhost:example.amazonaws.com\nx-a:1,2 : 3\nx-amz-date:"
							"20150830T123600Z\nx-b:two words\nx-empty:\nx-fold:one two three\n\n"));
	assert_string_equal(res.signed_headers, "host;x-a;x-amz-date;x-b;x-empty;x-fold");
	assert_null(strstr(res.canonical_request, "user-agent"));
	sigv4_result_free(&res);
}

static void test_content_sha256_header(void **state)
{
	(void)state;
	struct sigv4_result res;
	struct sigv4_header h = { "X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD" };
	sign_simple("PUT", "/", NULL, &h, 1, "data", "us-east-1", "s3", NULL, &res);
	assert_string_equal(res.payload_hash, "UNSIGNED-PAYLOAD");
	assert_non_null(strstr(res.canonical_request, "x-amz-content-sha256:UNSIGNED-PAYLOAD\n"));
	assert_int_equal(strcmp(res.canonical_request + strlen(res.canonical_request) - 17, "\nUNSIGNED-PAYLOAD"), 0);
	sigv4_result_free(&res);
	/* sign_body adds the header with the real hash. */
	struct sigv4_opts opts = { .double_encode = true, .normalize_path = true, .sign_body = true };
	sign_simple("POST", "/", NULL, NULL, 0, "Param1=value1", "us-east-1", "service", &opts, &res);
	assert_non_null(strstr(res.canonical_request, "x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\n"));
	assert_string_equal(res.signed_headers, "host;x-amz-content-sha256;x-amz-date");
	sigv4_result_free(&res);
}

static struct sigv4_request vanilla_request(void)
{
	return (struct sigv4_request){ .method = "GET", .path = "/", .region = "us-east-1", .service = "service",
				       .host = "example.amazonaws.com" };
}

static void test_session_token(void **state)
{
	(void)state;
	struct sigv4_creds creds = { AKID, SECRET, "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267" };
	struct sigv4_request req = vanilla_request();
	struct sigv4_signed s;
	struct err e = ERR_INIT;
	assert_int_equal(sigv4_sign_request(&req, WHEN, &creds, NULL, &s, &e), 0);
	/* Suite case get-vanilla-with-session-token. */
	assert_string_equal(s.sig.signature, "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8");
	assert_string_equal(s.sig.signed_headers, "host;x-amz-date;x-amz-security-token");
	assert_int_equal(s.nlines, 4);
	assert_string_equal(s.lines[0], "Host: example.amazonaws.com");
	assert_string_equal(s.lines[1], "X-Amz-Date: 20150830T123600Z");
	assert_string_equal(s.lines[2], "X-Amz-Security-Token: " "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267");
	assert_string_equal(s.lines[3], "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
					"service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, "
					"Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8");
	for (size_t i = 0; i < s.nlines; i++)
		assert_null(strstr(s.lines[i], SECRET));
	assert_null(strstr(s.sig.canonical_request, SECRET));
	assert_null(strstr(s.sig.string_to_sign, SECRET));
	sigv4_signed_free(&s);
	/* Without a token: no token line. */
	assert_int_equal(sigv4_sign_request(&req, WHEN, &example_creds, NULL, &s, &e), 0);
	assert_int_equal(s.nlines, 3);
	assert_string_equal(s.sig.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
	sigv4_signed_free(&s);
}

static void test_resign_with_fresh_time(void **state)
{
	(void)state;
	struct sigv4_header h = { "Content-Type", "application/json" };
	struct sigv4_request req = vanilla_request();
	req.method = "POST";
	req.headers = &h;
	req.nheaders = 1;
	req.body = "{}";
	req.body_len = 2;
	struct sigv4_signed a, b, c;
	struct err e = ERR_INIT;
	assert_int_equal(sigv4_sign_request(&req, WHEN, &example_creds, NULL, &a, &e), 0);
	assert_int_equal(sigv4_sign_request(&req, WHEN + 7, &example_creds, NULL, &b, &e), 0);
	assert_int_equal(sigv4_sign_request(&req, WHEN, &example_creds, NULL, &c, &e), 0);
	assert_string_equal(a.sig.amz_date, "20150830T123600Z");
	assert_string_equal(b.sig.amz_date, "20150830T123607Z");
	assert_string_not_equal(a.sig.signature, b.sig.signature);
	assert_string_equal(a.sig.signature, c.sig.signature);
	assert_string_equal(b.lines[1], "X-Amz-Date: 20150830T123607Z");
	/* Another day changes the scope too. */
	struct sigv4_signed d;
	assert_int_equal(sigv4_sign_request(&req, WHEN + 86400, &example_creds, NULL, &d, &e), 0);
	assert_string_equal(d.sig.scope, "20150831/us-east-1/service/aws4_request");
	sigv4_signed_free(&a);
	sigv4_signed_free(&b);
	sigv4_signed_free(&c);
	sigv4_signed_free(&d);
}

static void expect_refused(const struct sigv4_request *req, const struct sigv4_creds *creds, int wire,
			   const char *fragment)
{
	struct err e = ERR_INIT;
	int rc;
	if (wire) {
		struct sigv4_signed s;
		rc = sigv4_sign_request(req, WHEN, creds, NULL, &s, &e);
		assert_int_equal(s.nlines, 0);
		assert_null(s.sig.authorization);
	} else {
		struct sigv4_result r;
		rc = sigv4_sign(req, WHEN, creds, NULL, &r, &e);
		assert_null(r.authorization);
		assert_string_equal(r.amz_date, "");
	}
	assert_int_equal(rc, -1);
	if (!strstr(err_msg(&e), fragment))
		fail_msg("expected \"%s\" in \"%s\"", fragment, err_msg(&e));
	assert_null(strstr(err_msg(&e), "EVIL"));
	assert_null(strstr(err_msg(&e), SECRET));
}

static void test_crlf_refused(void **state)
{
	(void)state;
	struct sigv4_request req = vanilla_request();
	struct sigv4_header h = { "X-Note", "a\r\nX-EVIL: 1" };
	req.headers = &h;
	req.nheaders = 1;
	expect_refused(&req, &example_creds, 1, "X-Note");
	expect_refused(&req, &example_creds, 0, "CR or LF");
	h.value = "a\nEVIL";
	expect_refused(&req, &example_creds, 1, "CR or LF");
	expect_refused(&req, &example_creds, 0, "CR or LF");
	h.value = "a\rEVIL";
	expect_refused(&req, &example_creds, 1, "CR or LF");
	expect_refused(&req, &example_creds, 0, "CR or LF");
	h.value = "trailing\n";
	expect_refused(&req, &example_creds, 0, "CR or LF");
	/* A fold is canonicalised by the core but never sent. */
	h.value = "a\r\n b";
	expect_refused(&req, &example_creds, 1, "CR or LF");
	h.value = "a\x01" "EVIL";
	expect_refused(&req, &example_creds, 1, "control characters");
	h = (struct sigv4_header){ "X-Bad Name", "v" };
	expect_refused(&req, &example_creds, 1, "not a valid HTTP token");
	expect_refused(&req, &example_creds, 0, "not a valid HTTP token");

	struct sigv4_creds tok = { AKID, SECRET, "tok\r\nEVIL: 1" };
	req.nheaders = 0;
	expect_refused(&req, &tok, 1, "session token");
	expect_refused(&req, &tok, 0, "session token");
}

static void test_other_refusals(void **state)
{
	(void)state;
	struct sigv4_request req = vanilla_request();
	struct sigv4_header h = { "authorization", "x" };
	req.headers = &h;
	req.nheaders = 1;
	expect_refused(&req, &example_creds, 1, "set by the signer");
	h.name = "Host";
	expect_refused(&req, &example_creds, 1, "set by the signer");
	h.name = "X-Amz-Date";
	expect_refused(&req, &example_creds, 0, "set by the signer");
	h = (struct sigv4_header){ "X-Amz-Content-SHA256", "" };
	struct sigv4_header two[] = { { "Host", "example.amazonaws.com" }, h };
	req.headers = two;
	req.nheaders = 2;
	expect_refused(&req, &example_creds, 0, "x-amz-content-sha256 must be");
	two[1].value = SIGV4_EMPTY_SHA256 "0";
	expect_refused(&req, &example_creds, 0, "x-amz-content-sha256 must be");
	req.headers = &h;
	req.nheaders = 0;
	expect_refused(&req, &example_creds, 0, "no host header");
	req.path = "/a b";
	expect_refused(&req, &example_creds, 1, "percent-encoded");
	req.path = "/";
	req.region = "us east";
	expect_refused(&req, &example_creds, 1, "region");
	req.region = "us-east-1";
	struct sigv4_creds nokey = { "", SECRET, NULL };
	expect_refused(&req, &nokey, 1, "access key id");
	struct sigv4_creds nosecret = { AKID, NULL, NULL };
	expect_refused(&req, &nosecret, 1, "secret access key");
	req.host = "evil.com/x";
	expect_refused(&req, &example_creds, 1, "host");
	req.host = "example.amazonaws.com";
	req.scheme = "ftp";
	expect_refused(&req, &example_creds, 1, "scheme");
}

static void test_host_header(void **state)
{
	(void)state;
	struct {
		const char *scheme, *host;
		int port;
		const char *want;
	} cases[] = {
		{ "https", "bedrock-runtime.us-east-1.amazonaws.com", 0, "bedrock-runtime.us-east-1.amazonaws.com" },
		{ "https", "Example.AmazonAWS.com", 443, "example.amazonaws.com" },
		{ "https", "localhost", 8443, "localhost:8443" },
		{ "http", "127.0.0.1", 80, "127.0.0.1" },
		{ "http", "127.0.0.1", 4566, "127.0.0.1:4566" },
		{ "http", "localhost", 443, "localhost:443" },
		{ NULL, "example.com", 443, "example.com" },
		{ "http", "[::1]", 4566, "[::1]:4566" },
		{ "http", "::1", 0, "[::1]" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *h = sigv4_host_header(cases[i].scheme, cases[i].host, cases[i].port);
		assert_string_equal(h, cases[i].want);
		free(h);
	}
	/* The signed host is the one sent. */
	struct sigv4_request req = vanilla_request();
	req.scheme = "http";
	req.host = "127.0.0.1";
	req.port = 4566;
	struct sigv4_signed s;
	struct err e = ERR_INIT;
	assert_int_equal(sigv4_sign_request(&req, WHEN, &example_creds, NULL, &s, &e), 0);
	assert_string_equal(s.lines[0], "Host: 127.0.0.1:4566");
	assert_non_null(strstr(s.sig.canonical_request, "\nhost:127.0.0.1:4566\n"));
	sigv4_signed_free(&s);
}

static void test_passthrough_lines(void **state)
{
	(void)state;
	struct sigv4_header h[] = { { "Content-Type", "application/x-amz-json-1.1" },
				    { "X-Amz-Target", "SageMaker.ListTrainingJobs" },
				    { "User-Agent", "aiwb/0.1" },
				    { "X-Empty", "" } };
	struct sigv4_request req = vanilla_request();
	req.method = "POST";
	req.headers = h;
	req.nheaders = 4;
	struct sigv4_opts opts = { .double_encode = true, .normalize_path = true, .sign_body = true };
	struct sigv4_signed s;
	struct err e = ERR_INIT;
	assert_int_equal(sigv4_sign_request(&req, WHEN, &example_creds, &opts, &s, &e), 0);
	assert_int_equal(s.nlines, 8);
	assert_string_equal(s.lines[2], "X-Amz-Content-SHA256: " SIGV4_EMPTY_SHA256);
	assert_string_equal(s.lines[3], "Content-Type: application/x-amz-json-1.1");
	assert_string_equal(s.lines[4], "X-Amz-Target: SageMaker.ListTrainingJobs");
	assert_string_equal(s.lines[5], "User-Agent: aiwb/0.1");
	assert_string_equal(s.lines[6], "X-Empty;");
	assert_int_equal(strncmp(s.lines[7], "Authorization: AWS4-HMAC-SHA256 ", 32), 0);
	assert_string_equal(s.sig.signed_headers, "content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target;x-empty");
	sigv4_signed_free(&s);
}

/* ---- discovery and the dynamic test table ---- */

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted sub-directories of dir that hold `marker`. */
static char **list_cases(const char *dir, const char *marker, size_t *n)
{
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	char **v = NULL;
	struct dirent *ent;
	while ((ent = readdir(d))) {
		if (ent->d_name[0] == '.')
			continue;
		char *sub = path_join(dir, ent->d_name);
		char *file = path_join(sub, marker);
		if (path_exists(file)) {
			v = xreallocarray(v, *n + 1, sizeof *v);
			v[(*n)++] = sub;
		} else {
			free(sub);
		}
		free(file);
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof *v, name_cmp);
	return v;
}

static void skipped(void **state)
{
	(void)state;
	skip();
}

static void data_present(void **state)
{
	(void)state;
	if (!suite_found || !botocore_found)
		fail_msg("no SigV4 vectors under %s (tests run from the repository root)",
			 VECTORS);
}

static void all_cases_ran(void **state)
{
	(void)state;
	assert_int_equal(suite_ran, suite_found);
	assert_int_equal(suite_passed, suite_found);
	assert_int_equal(botocore_passed, botocore_found);
}

int main(void)
{
	size_t n4, n4a, nb;
	char **v4 = list_cases(SUITE_V4, "header-canonical-request.txt", &n4);
	char **v4a = list_cases(SUITE_V4A, "request.txt", &n4a);
	char **bc = list_cases(BOTOCORE, "signed-request.txt", &nb);
	suite_found = n4;
	botocore_found = nb;
	size_t nquery = 0;
	for (size_t i = 0; i < n4; i++) {
		char *q = path_join(v4[i], "query-canonical-request.txt");
		nquery += path_exists(q) != 0;
		free(q);
	}

	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_empty_body_hash),
		cmocka_unit_test(test_classic_and_iam_examples),
		cmocka_unit_test(test_canonical_uri_double_encoding),
		cmocka_unit_test(test_canonical_query),
		cmocka_unit_test(test_canonical_headers),
		cmocka_unit_test(test_content_sha256_header),
		cmocka_unit_test(test_session_token),
		cmocka_unit_test(test_resign_with_fresh_time),
		cmocka_unit_test(test_crlf_refused),
		cmocka_unit_test(test_other_refusals),
		cmocka_unit_test(test_host_header),
		cmocka_unit_test(test_passthrough_lines),
	};
	size_t nfixed = sizeof fixed / sizeof *fixed;
	size_t total = 1 + n4 + nb + nfixed + 2 + 1;
	struct CMUnitTest *tests = xcalloc(total, sizeof *tests);
	char **names = xcalloc(total, sizeof *names);
	size_t k = 0;
	tests[k++] = (struct CMUnitTest){ "sigv4 vectors present", data_present, NULL, NULL, NULL };
	for (size_t i = 0; i < n4; i++) {
		names[k] = xasprintf("aws-signing-test-suite v4/%s (header signing)", strrchr(v4[i], '/') + 1);
		tests[k] = (struct CMUnitTest){ names[k], run_suite_case, NULL, NULL, v4[i] };
		k++;
	}
	for (size_t i = 0; i < nb; i++) {
		names[k] = xasprintf("botocore %s", strrchr(bc[i], '/') + 1);
		tests[k] = (struct CMUnitTest){ names[k], run_botocore_case, NULL, NULL, bc[i] };
		k++;
	}
	for (size_t i = 0; i < nfixed; i++)
		tests[k++] = fixed[i];
	names[k] = xasprintf("aws-signing-test-suite v4: %zu query-signing (presigned URL) variants skipped: "
			     "aiwb signs the Authorization header only",
			     nquery);
	tests[k] = (struct CMUnitTest){ names[k], skipped, NULL, NULL, NULL };
	k++;
	names[k] = xasprintf("aws-signing-test-suite v4a: %zu cases skipped: SigV4a (ECDSA P-256) is not implemented",
			     n4a);
	tests[k] = (struct CMUnitTest){ names[k], skipped, NULL, NULL, NULL };
	k++;
	names[k] = xasprintf("all %zu suite cases and %zu botocore examples ran and passed", n4, nb);
	tests[k] = (struct CMUnitTest){ names[k], all_cases_ran, NULL, NULL, NULL };
	k++;

	int failed = _cmocka_run_group_tests("sigv4", tests, k, NULL, NULL);
	printf("# aws-signing-test-suite v4 header signing: %zu found, %zu ran, %zu passed; skipped: %zu query-signing "
	       "variants, %zu v4a cases; botocore examples: %zu found, %zu passed\n",
	       suite_found, suite_ran, suite_passed, nquery, n4a, botocore_found, botocore_passed);

	for (size_t i = 0; i < total; i++)
		free(names[i]);
	free(names);
	free(tests);
	for (size_t i = 0; i < n4; i++)
		free(v4[i]);
	for (size_t i = 0; i < n4a; i++)
		free(v4a[i]);
	for (size_t i = 0; i < nb; i++)
		free(bc[i]);
	free(v4);
	free(v4a);
	free(bc);
	path_reset();
	return failed;
}
