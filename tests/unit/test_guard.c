/* The local guard (src/guard): each detector on its own, spans and
 * confidence, the checksums, every hidden character found and stripped,
 * masking, previews, denied words and PCRE2 patterns. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "guard/guard.h"

static struct guard *plain;

static int setup(void **state)
{
	(void)state;
	struct err e = ERR_INIT;
	plain = guard_new(NULL, &e);
	return plain ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	guard_free(plain);
	return 0;
}

/* The findings of text as "type[start,end)" joined by spaces. */
static char *scan_str(const struct guard *g, const char *text, size_t len)
{
	struct guard_findings f = { 0 };
	struct err e = ERR_INIT;
	assert_int_equal(guard_scan(g, text, len, &f, &e), 0);
	struct buf b = BUF_INIT;
	for (size_t k = 0; k < f.n; k++) {
		assert_true(f.v[k].start < f.v[k].end && f.v[k].end <= len);
		assert_true(f.v[k].confidence > 0 && f.v[k].confidence <= 1);
		if (k)
			assert_true(f.v[k - 1].start <= f.v[k].start);
		buf_printf(&b, "%s%s[%zu,%zu)", k ? " " : "", guard_type_name(f.v[k].type), f.v[k].start, f.v[k].end);
	}
	guard_findings_free(&f);
	char *r = buf_detach(&b);
	return r ? r : strdup("");
}

#define EXPECT(text, want)                                              \
	do {                                                            \
		char *got_ = scan_str(plain, text, strlen(text));       \
		if (strcmp(got_, want) != 0)                            \
			fail_msg("%s: want '%s', got '%s'", text, want, got_); \
		free(got_);                                             \
	} while (0)

/* Only the types, for detectors whose span is obvious. */
static char *types_of(const struct guard *g, const char *text)
{
	struct guard_findings f = { 0 };
	struct err e = ERR_INIT;
	guard_scan(g, text, strlen(text), &f, &e);
	struct buf b = BUF_INIT;
	for (size_t k = 0; k < f.n; k++)
		buf_printf(&b, "%s%s", k ? "," : "", guard_type_name(f.v[k].type));
	guard_findings_free(&f);
	char *r = buf_detach(&b);
	return r ? r : strdup("");
}

#define TYPES(text, want)                                               \
	do {                                                            \
		char *got_ = types_of(plain, text);                     \
		if (strcmp(got_, want) != 0)                            \
			fail_msg("%s: want '%s', got '%s'", text, want, got_); \
		free(got_);                                             \
	} while (0)

static void test_email(void **state)
{
	(void)state;
	EXPECT("mail john.doe@example.com now", "email[5,25)");
	EXPECT("<a+b@sub.example.co.uk>.", "email[1,22)");
	EXPECT("end: x@example.io.", "email[5,17)");
	TYPES("josé@exemple.fr", "email");
	TYPES("https://user@host.example.com/p", "");
	TYPES("https://example.com/c?email=john@example.com", "email");
	TYPES("https://medium.com/@jane.doe/post", "");
	TYPES("pkg@1.2.3 and user@localhost and a@b.c", "");
	TYPES("a..b@example.com", "");
}

static void test_phone(void **state)
{
	(void)state;
	EXPECT("+1 (415) 555-2671", "phone[0,17)");
	EXPECT("call (415) 555-2671.", "phone[5,19)");
	EXPECT("415-555-2671", "phone[0,12)");
	EXPECT("+44 20 7946 0958", "phone[0,16)");
	EXPECT("020 7946 0958", "phone[0,13)");
	EXPECT("01 23 45 67 89", "phone[0,14)");
	EXPECT("0044 20 7946 0958", "phone[0,17)");
	TYPES("+4915112345678", "phone");
	TYPES("+44 (0)20 7946 0958", "phone");
	TYPES("2024-01-15 12:30:45", "");
	TYPES("555-1234", "");
	TYPES("100 200 3000", "");
	TYPES("+1", "");
	TYPES("1 2 3 4 5 6 7 8 9", "");
	TYPES("C++ 12345678901", "");
}

static void test_card(void **state)
{
	(void)state;
	EXPECT("pay 4111 1111 1111 1111 now", "payment_card[4,23)");
	EXPECT("4111-1111-1111-1111", "payment_card[0,19)");
	EXPECT("378282246310005", "payment_card[0,15)");
	EXPECT("3782 822463 10005", "payment_card[0,17)");
	TYPES("5555555555554444", "payment_card");
	TYPES("2223003122003222", "payment_card");
	TYPES("6011111111111117", "payment_card");
	TYPES("3530111333300000", "payment_card");
	TYPES("4111 1111 1111 1111 12/27", "payment_card");
	TYPES("4111 1111 1111 1112", "");         /* Luhn fails */
	TYPES("1234 5678 9012 3452", "");         /* Luhn holds, no issuer starts with 1 */
	TYPES("41111111111111111111", "");       /* 20 digits */
	TYPES("x4111111111111111", "");
	assert_true(guard_luhn_ok("79927398713", 11));
	assert_false(guard_luhn_ok("79927398710", 11));
	assert_false(guard_luhn_ok("", 0));
}

static void test_iban(void **state)
{
	(void)state;
	EXPECT("IBAN DE89 3704 0044 0532 0130 00.", "iban[5,32)");
	EXPECT("GB82WEST12345698765432", "iban[0,22)");
	TYPES("FR1420041010050500013M02606", "iban");
	TYPES("NO9386011117947", "iban");
	TYPES("DE89 3704 0044 0532 0130 01", "");  /* mod-97 fails */
	TYPES("DE89370400440532013", "");         /* short for DE */
	TYPES("XX89370400440532013000", "");      /* no such country */
	assert_true(guard_iban_ok("DE89370400440532013000", 22));
	assert_false(guard_iban_ok("DE88370400440532013000", 22));
	assert_false(guard_iban_ok("DE8937040044053201300", 21));
}

static void test_ssn(void **state)
{
	(void)state;
	EXPECT("SSN 123-45-6789.", "us_ssn[4,15)");
	TYPES("ssn: 123 45 6789", "us_ssn");
	TYPES("SSN 123456789", "us_ssn");
	TYPES("order 123456789", "");
	TYPES("123 45 6789", "");
	static const char *const invalid[] = { "000123456", "666123456", "900123456", "999999999",
					       "123004567", "123450000", "078051120", "219099999" };
	for (size_t k = 0; k < sizeof invalid / sizeof *invalid; k++) {
		assert_false(guard_ssn_ok(invalid[k]));
		char text[32];
		snprintf(text, sizeof text, "SSN %.3s-%.2s-%.4s", invalid[k], invalid[k] + 3, invalid[k] + 5);
		TYPES(text, "");
	}
	assert_true(guard_ssn_ok("899991234"));
}

static void test_ip(void **state)
{
	(void)state;
	EXPECT("host 192.168.1.10:80", "ipv4[5,17)");
	TYPES("255.255.255.255 0.0.0.0", "ipv4,ipv4");
	TYPES("256.1.1.1 1.2.3.4.5 01.2.3.4 v1.2.3", "");
	EXPECT("at 2001:db8::1.", "ipv6[3,14)");
	TYPES("fe80::1ff:fe23:4567:890a", "ipv6");
	TYPES("::1 and ::ffff:192.0.2.1", "ipv6,ipv6");
	TYPES("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "ipv6");
	TYPES("std::vector a::b 12:30:45 00:1a:2b:3c:4d:5e cafe:: dead:beef", "");
}

static void test_aws(void **state)
{
	(void)state;
	EXPECT("id AKIAIOSFODNN7EXAMPLE", "aws_access_key_id[3,23)");
	TYPES("AKIAIOSFODNN7EXAMPLE\nsecret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	      "aws_access_key_id,aws_secret_key");
	TYPES("secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY then AKIAIOSFODNN7EXAMPLE",
	      "aws_secret_key,aws_access_key_id");
	TYPES("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_key");
	TYPES("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nAWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	      "aws_access_key_id,aws_secret_key");
	TYPES("SecretAccessKey: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY AccessKeyId: AKIAIOSFODNN7EXAMPLE",
	      "aws_secret_key,aws_access_key_id");
	TYPES("AKIAIOSFODNN7EXAMPLE x@example.com wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	      "aws_access_key_id,email,aws_secret_key");
	TYPES("AKIAIOSFODNN7EXAMPL AKIAIOSFODNN7EXAMPLEX AKIA", "");
	TYPES("AKIAIOSFODNN7EXAMPLE 3f786850e387550fdab836ed7e6dc881de23001b", "aws_access_key_id");
}

static void test_tokens(void **state)
{
	(void)state;
	EXPECT("k=sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8t", "api_token[2,34)");
	TYPES("sk-ant-api03-AbCdEfGhIjKlMnOpQrStUv012345", "api_token");
	TYPES("ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "api_token");
	TYPES("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "api_token");
	TYPES("xoxb-1234567890-abcdef", "api_token");
	TYPES("sk-learn task-force sk-this-is-not-a-real-key ghp_short eyJustKidding", "");
	TYPES("eyJub3QiOiJhIGp3dCJ9.eyJ4IjoxfQ.c2ln", ""); /* header without "alg" */
}

/* Every character of each hidden class, alone and inside a word, is found
 * with its exact span and removed by redaction. */
static void check_hidden(unsigned cp, enum guard_type want)
{
	char ch[5] = { 0 };
	if (cp < 0x800) {
		ch[0] = (char)(0xC0 | cp >> 6);
		ch[1] = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		ch[0] = (char)(0xE0 | cp >> 12);
		ch[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		ch[2] = (char)(0x80 | (cp & 0x3F));
	} else {
		ch[0] = (char)(0xF0 | cp >> 18);
		ch[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		ch[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		ch[3] = (char)(0x80 | (cp & 0x3F));
	}
	char text[64];
	snprintf(text, sizeof text, "pass%sword", ch);
	size_t len = strlen(text);
	struct guard_findings f = { 0 };
	struct err e = ERR_INIT;
	guard_scan(plain, text, len, &f, &e);
	if (f.n != 1 || f.v[0].type != want || f.v[0].start != 4 || f.v[0].end != 4 + strlen(ch))
		fail_msg("U+%04X: %zu findings, first %s", cp, f.n, f.n ? guard_type_name(f.v[0].type) : "-");
	size_t rlen;
	char *clean = guard_redact(plain, text, len, &f, &rlen);
	assert_string_equal(clean, "password");
	assert_int_equal(rlen, 8);
	free(clean);
	guard_findings_free(&f);
}

static void test_hidden_every_character(void **state)
{
	(void)state;
	for (unsigned cp = 0xE0000; cp <= 0xE007F; cp++)
		check_hidden(cp, GUARD_TAG_CHARS);
	static const unsigned zw[] = { 0x200B, 0x200C, 0x200D, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xFEFF, 0x180E };
	for (size_t k = 0; k < sizeof zw / sizeof *zw; k++)
		check_hidden(zw[k], GUARD_ZERO_WIDTH);
	static const unsigned bidi[] = { 0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E,
					 0x2066, 0x2067, 0x2068, 0x2069 };
	for (size_t k = 0; k < sizeof bidi / sizeof *bidi; k++)
		check_hidden(bidi[k], GUARD_BIDI);
	/* neighbours that are visible */
	TYPES("\xe2\x80\x8a \xe2\x80\x90 \xe2\x80\xaf \xe2\x81\xa5 \xe2\x80\x9c \xef\xbb\xbe \xf3\xa0\x84\x80", "");
}

static void test_hidden_runs_and_tags(void **state)
{
	(void)state;
	const char *text = "ok\xf3\xa0\x81\x89\xf3\xa0\x81\x87\xf3\xa0\x81\xae end \xe2\x80\x8b\xe2\x80\x8b";
	struct guard_findings f = { 0 };
	struct err e = ERR_INIT;
	guard_scan(plain, text, strlen(text), &f, &e);
	assert_int_equal(f.n, 2);
	assert_int_equal(f.v[0].type, GUARD_TAG_CHARS);
	assert_int_equal(f.v[0].end - f.v[0].start, 12);
	assert_string_equal(f.v[0].hidden, "IGn");
	char *p = guard_preview(&f.v[0], text, strlen(text));
	assert_string_equal(p, "hidden text \"IGn\"");
	free(p);
	assert_int_equal(f.v[1].type, GUARD_ZERO_WIDTH);
	char *clean = guard_redact(plain, text, strlen(text), &f, NULL);
	assert_string_equal(clean, "ok end ");
	free(clean);
	guard_findings_free(&f);
	/* a zero-width space does not hide an address or a key */
	TYPES("jo\xe2\x80\x8bhn@example.com", "email,zero_width");
	TYPES("AKIA\xe2\x80\x8bIOSFODNN7EXAMPLE", "aws_access_key_id,zero_width");
}

static void test_redact_and_preview(void **state)
{
	(void)state;
	const char *text = "mail a.b@example.com card 4111 1111 1111 1111 ip 10.0.0.1 \xe2\x80\xae!";
	struct guard_findings f = { 0 };
	struct err e = ERR_INIT;
	guard_scan(plain, text, strlen(text), &f, &e);
	assert_int_equal(f.n, 4);
	size_t n;
	char *r = guard_redact(plain, text, strlen(text), &f, &n);
	assert_string_equal(r, "mail [EMAIL] card [CARD] ip [IP] !");
	assert_int_equal(n, strlen(r));
	free(r);
	char *p = guard_preview(&f.v[0], text, strlen(text));
	assert_string_equal(p, "a***@example.com");
	free(p);
	p = guard_preview(&f.v[1], text, strlen(text));
	assert_string_equal(p, "4111***1111");
	free(p);
	guard_findings_free(&f);
	r = guard_redact(plain, "clean", 5, &f, &n);
	assert_string_equal(r, "clean");
	free(r);
}

static void test_denied_words_and_patterns(void **state)
{
	(void)state;
	const char *words[] = { "Project Falcon", "zeta", "\xc3\xa9t\xc3\xa9", "#hush" };
	struct guard_pattern pats[] = { { "employee_id", "EMP-[0-9]{6}" }, { "ticket", "\\bTCK\\d+" } };
	struct guard_config cfg = { words, 4, pats, 2 };
	struct err e = ERR_INIT;
	struct guard *g = guard_new(&cfg, &e);
	assert_non_null(g);
	const char *text = "About project falcon: ZETA, zetas, EMP-123456 and TCK42; \xc3\xa9t\xc3\xa9 2024.";
	struct guard_findings f = { 0 };
	assert_int_equal(guard_scan(g, text, strlen(text), &f, &e), 0);
	char *got = scan_str(g, text, strlen(text));
	assert_string_equal(got, "denied_word[6,20) denied_word[22,26) custom[35,45) custom[50,55) denied_word[57,62)");
	free(got);
	char *r = guard_redact(g, text, strlen(text), &f, NULL);
	assert_string_equal(r, "About [DENIED]: [DENIED], zetas, [EMPLOYEE_ID] and [TICKET]; [DENIED] 2024.");
	free(r);
	guard_findings_free(&f);
	char *t2 = types_of(g, "tag #hush and #hushed and x#hush");
	assert_string_equal(t2, "denied_word");
	free(t2);
	guard_free(g);

	struct guard_pattern bad[] = { { "broken", "(unclosed" } };
	struct guard_config badcfg = { NULL, 0, bad, 1 };
	assert_null(guard_new(&badcfg, &e));
	assert_non_null(strstr(e.msg, "broken"));
}

static void test_actions_and_names(void **state)
{
	(void)state;
	enum guard_action a;
	assert_int_equal(guard_action_parse("mask", &a), 0);
	assert_int_equal(a, GUARD_MASK);
	assert_int_equal(guard_action_parse("block", &a), 0);
	assert_int_equal(a, GUARD_BLOCK);
	assert_int_equal(guard_action_parse("Mask", &a), -1);
	assert_string_equal(guard_action_name(GUARD_REPORT), "report");
	assert_string_equal(guard_type_name(GUARD_CARD), "payment_card");
	assert_true(guard_is_hidden(GUARD_BIDI));
	assert_false(guard_is_hidden(GUARD_EMAIL));
}

static void test_invalid_utf8_and_edges(void **state)
{
	(void)state;
	const char bad[] = "\xff\xfe@\xe2\x80\xf3\xa0\x81 a@\xc3 4111 \xe2";
	char *got = scan_str(plain, bad, sizeof bad - 1);
	assert_string_equal(got, "");
	free(got);
	got = scan_str(plain, "", 0);
	assert_string_equal(got, "");
	free(got);
	TYPES("@", "");
	TYPES("+", "");
	TYPES(":", "");
	TYPES("4111111111111111", "payment_card");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_phone),
		cmocka_unit_test(test_card),
		cmocka_unit_test(test_iban),
		cmocka_unit_test(test_ssn),
		cmocka_unit_test(test_ip),
		cmocka_unit_test(test_aws),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_hidden_every_character),
		cmocka_unit_test(test_hidden_runs_and_tags),
		cmocka_unit_test(test_redact_and_preview),
		cmocka_unit_test(test_denied_words_and_patterns),
		cmocka_unit_test(test_actions_and_names),
		cmocka_unit_test(test_invalid_utf8_and_edges),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
