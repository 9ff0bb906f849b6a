#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/path.h"
#include "drift/remote.h"
#include "net/s3.h"
#include "net/sigv4.h"

#define DATA "tests/data/drift/s3"

static char *fixture(const char *name, size_t *len)
{
	char *path = path_join(DATA, name);
	struct err e = ERR_INIT;
	char *s = path_read_file(path, len, &e);
	if (!s)
		fail_msg("%s", err_msg(&e));
	free(path);
	return s;
}

static void test_uri(void **state)
{
	(void)state;
	char *b, *k;
	struct err e = ERR_INIT;
	assert_int_equal(s3_uri_parse("s3://mm-bucket/data/feb/part-00.csv", &b, &k, &e), 0);
	assert_string_equal(b, "mm-bucket");
	assert_string_equal(k, "data/feb/part-00.csv");
	free(b);
	free(k);
	assert_int_equal(s3_uri_parse("s3://mm-bucket", &b, &k, &e), 0);
	assert_string_equal(k, "");
	free(b);
	free(k);
	assert_int_equal(s3_uri_parse("s3://my.bucket.name/prefix/", &b, &k, &e), 0);
	assert_string_equal(b, "my.bucket.name");
	assert_string_equal(k, "prefix/");
	free(b);
	free(k);
	static const char *const bad[] = { "s3://a/x", "s3:///x", "s3://bad bucket/x", "https://mm-bucket/x", "s3:/b/x",
					   "s3://b%41d/x" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		err_clear(&e);
		assert_int_equal(s3_uri_parse(bad[i], &b, &k, &e), -1);
		assert_null(b);
		assert_null(k);
		assert_true(e.set);
	}
	assert_true(s3_is_uri("s3://x"));
	assert_false(s3_is_uri("S3://x"));
	assert_false(s3_is_uri("/tmp/s3://x"));
}

static void test_encode(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	s3_encode(&b, "data/a b+c~d_e.f-g/\xc3\xa9=&?", 1);
	assert_string_equal(buf_str(&b), "data/a%20b%2Bc~d_e.f-g/%C3%A9%3D%26%3F");
	buf_reset(&b);
	s3_encode(&b, "data/x", 0);
	assert_string_equal(buf_str(&b), "data%2Fx");
	buf_free(&b);
	char *k = drift_remote_key("monitoring/out", "constraint_violations.json");
	assert_string_equal(k, "monitoring/out/constraint_violations.json");
	free(k);
	k = drift_remote_key("monitoring/out/", "statistics.json");
	assert_string_equal(k, "monitoring/out/statistics.json");
	free(k);
	k = drift_remote_key("", "statistics.json");
	assert_string_equal(k, "statistics.json");
	free(k);
}

static void test_list_pages(void **state)
{
	(void)state;
	size_t len;
	char *xml = fixture("list_page1.xml", &len);
	struct s3_list_page p;
	struct err e = ERR_INIT;
	assert_int_equal(s3_parse_list(xml, len, &p, &e), 0);
	assert_int_equal(p.n, 2);
	assert_true(p.truncated);
	assert_string_equal(p.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
	assert_string_equal(p.v[0].key, "data/feb/part-00.csv");
	assert_int_equal(p.v[0].size, 434234);
	assert_string_equal(p.v[0].etag, "\"fba9dede5f27731c9771645a39863328\"");
	assert_string_equal(p.v[0].last_modified, "2009-10-12T17:50:30.000Z");
	assert_string_equal(p.v[1].key, "data/feb/r&d <1>.csv"); /* entities decoded */
	assert_int_equal(p.v[1].size, 0);
	s3_list_page_free(&p);
	free(xml);

	xml = fixture("list_last.xml", &len);
	assert_int_equal(s3_parse_list(xml, len, &p, &e), 0);
	assert_int_equal(p.n, 1);
	assert_false(p.truncated);
	assert_null(p.next_token);
	assert_string_equal(p.v[0].key, "data/jan.csv");
	s3_list_page_free(&p);
	free(xml);

	xml = fixture("list_empty.xml", &len);
	assert_int_equal(s3_parse_list(xml, len, &p, &e), 0);
	assert_int_equal(p.n, 0);
	s3_list_page_free(&p);
	free(xml);
}

static void test_list_refused(void **state)
{
	(void)state;
	struct s3_list_page p;
	static const char *const bad[] = {
		"",
		"not xml",
		"<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>", /* no token */
		"<ListBucketResult><Contents><Size>3</Size></Contents></ListBucketResult>", /* no key */
		"<Error><Code>NoSuchBucket</Code></Error>",
		"<ListBucketResult><Contents><Key>a</Key>", /* cut */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct err e = ERR_INIT;
		assert_int_equal(s3_parse_list(bad[i], strlen(bad[i]), &p, &e), -1);
		assert_true(e.set);
		assert_null(p.v);
		assert_int_equal(p.n, 0);
	}
}

static void test_errors(void **state)
{
	(void)state;
	size_t len;
	struct s3_error er;
	char *xml = fixture("error_nosuchbucket.xml", &len);
	assert_int_equal(s3_parse_error(xml, len, &er), 0);
	assert_string_equal(er.code, "NoSuchBucket");
	assert_string_equal(er.message, "The specified bucket does not exist");
	char msg[1024];
	s3_error_sentence("ListObjectsV2", "no-such-bucket", NULL, "us-east-1", 404, &er, msg, sizeof msg);
	assert_string_equal(msg, "there is no S3 bucket no-such-bucket (NoSuchBucket: The specified bucket does not "
				 "exist); check the name, and the region (us-east-1)");
	free(xml);

	xml = fixture("error_accessdenied.xml", &len);
	assert_int_equal(s3_parse_error(xml, len, &er), 0);
	assert_string_equal(er.code, "AccessDenied");
	s3_error_sentence("PutObject", "mm-bucket", "out/constraint_violations.json", "us-east-1", 403, &er, msg,
			  sizeof msg);
	assert_string_equal(msg, "access to s3://mm-bucket/out/constraint_violations.json was denied (AccessDenied: "
				 "Access Denied); the credentials need s3:PutObject on the key");
	s3_error_sentence("ListObjectsV2", "mm-bucket", NULL, "us-east-1", 403, &er, msg, sizeof msg);
	assert_non_null(strstr(msg, "s3:ListBucket on the bucket"));
	free(xml);

	xml = fixture("error_region.xml", &len);
	assert_int_equal(s3_parse_error(xml, len, &er), 0);
	assert_string_equal(er.region, "eu-west-1");
	s3_error_sentence("GetObject", "mm-bucket", "a.csv", "us-east-1", 400, &er, msg, sizeof msg);
	assert_non_null(strstr(msg, "S3 bucket mm-bucket is not in us-east-1 (AuthorizationHeaderMalformed:"));
	assert_non_null(strstr(msg, "set AWS_REGION to the bucket's region, eu-west-1"));
	free(xml);

	/* a body that is not an S3 error: the status speaks */
	assert_int_equal(s3_parse_error("", 0, &er), -1);
	assert_int_equal(s3_parse_error("<html>503</html>", 16, &er), -1);
	assert_int_equal(s3_parse_error("<Error><Message>x</Message></Error>", 35, &er), -1);
	memset(&er, 0, sizeof er);
	s3_error_sentence("GetObject", "mm-bucket", "a.csv", "us-east-1", 404, &er, msg, sizeof msg);
	assert_string_equal(msg, "there is no object s3://mm-bucket/a.csv (HTTP 404: The specified key does not exist.)");
	s3_error_sentence("GetObject", "mm-bucket", "a.csv", "us-east-1", 503, NULL, msg, sizeof msg);
	assert_string_equal(msg, "S3 GetObject on s3://mm-bucket/a.csv failed with HTTP 503");

	/* control characters from the server do not reach the sentence (ESC
	 * cannot be in XML 1.0 at all: such a body is no S3 error) */
	const char *evil = "<Error><Code>SlowDown</Code><Message>a\tred\r\nline</Message></Error>";
	assert_int_equal(s3_parse_error(evil, strlen(evil), &er), 0);
	assert_string_equal(er.message, "a red line");
	const char *esc = "<Error><Code>SlowDown</Code><Message>a\x1b[31m</Message></Error>";
	assert_int_equal(s3_parse_error(esc, strlen(esc), &er), -1);
}

/* The header-signing examples of the S3 documentation ("Signature Calculations
 * for the Authorization Header", examplebucket, 20130524T000000Z): the path is
 * signed as sent and the payload hash is the x-amz-content-sha256 header. */
static void test_sigv4_s3_examples(void **state)
{
	(void)state;
	const struct sigv4_creds creds = { "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL };
	const time_t when = 1369353600; /* 2013-05-24T00:00:00Z */
	struct sigv4_opts s3 = { false, false, false };
	struct sigv4_header get_hs[] = {
		{ "Host", "examplebucket.s3.amazonaws.com" },
		{ "Range", "bytes=0-9" },
		{ "x-amz-content-sha256", SIGV4_EMPTY_SHA256 },
	};
	struct sigv4_request get = { .method = "GET", .path = "/test.txt", .headers = get_hs, .nheaders = 3,
				     .region = "us-east-1", .service = "s3" };
	struct sigv4_result r;
	struct err e = ERR_INIT;
	assert_int_equal(sigv4_sign(&get, when, &creds, &s3, &r, &e), 0);
	assert_string_equal(r.signed_headers, "host;range;x-amz-content-sha256;x-amz-date");
	assert_string_equal(r.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	sigv4_result_free(&r);

	struct sigv4_header list_hs[] = {
		{ "Host", "examplebucket.s3.amazonaws.com" },
		{ "x-amz-content-sha256", SIGV4_EMPTY_SHA256 },
	};
	struct sigv4_request list = { .method = "GET", .path = "/", .query = "max-keys=2&prefix=J", .headers = list_hs,
				      .nheaders = 2, .region = "us-east-1", .service = "s3" };
	assert_int_equal(sigv4_sign(&list, when, &creds, &s3, &r, &e), 0);
	assert_string_equal(r.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
	sigv4_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri),        cmocka_unit_test(test_encode),
		cmocka_unit_test(test_list_pages), cmocka_unit_test(test_list_refused),
		cmocka_unit_test(test_errors),     cmocka_unit_test(test_sigv4_s3_examples),
	};
	return cmocka_run_group_tests_name("s3", tests, NULL, NULL);
}
