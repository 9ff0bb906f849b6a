#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "base/digest.h"

static const char empty_sha[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
static const char abc_sha[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

static void test_hex_lower(void **state)
{
	(void)state;
	const unsigned char in[] = { 0x00, 0x0f, 0xa5, 0xff };
	char out[9];
	memset(out, 'x', sizeof out);
	hex_lower(in, sizeof in, out);
	assert_string_equal(out, "000fa5ff");
	hex_lower(in, 0, out);
	assert_string_equal(out, "");
}

static void test_known_digests(void **state)
{
	(void)state;
	char out[65];
	sha256_hex("abc", 3, out);
	assert_string_equal(out, abc_sha);
	sha256_hex(NULL, 0, out);
	assert_string_equal(out, empty_sha);
	sha256_hex("abcdef", 3, out);
	assert_string_equal(out, abc_sha);
}

static void test_pieces_equal_whole(void **state)
{
	(void)state;
	char whole[65], pieces[65];
	const char *text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	sha256_hex(text, strlen(text), whole);
	assert_string_equal(whole, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	struct sha256_hex_ctx c;
	sha256_hex_init(&c);
	for (size_t i = 0; i < strlen(text); i += 5)
		sha256_hex_update(&c, text + i, strlen(text) - i < 5 ? strlen(text) - i : 5);
	sha256_hex_final(&c, pieces);
	assert_string_equal(pieces, whole);
	assert_null(c.md);
	sha256_hex_init(&c);
	sha256_hex_final(&c, pieces);
	assert_string_equal(pieces, empty_sha);
}

static void test_base64(void **state)
{
	(void)state;
	unsigned char out[64];
	assert_int_equal(base64_decode("aGVsbG8=", 8, 0, out), 5);
	assert_string_equal((char *)out, "hello");
	assert_int_equal(base64_decode("aGk=", 4, 0, out), 2);
	assert_string_equal((char *)out, "hi");
	assert_int_equal(base64_decode("", 0, 0, out), 0);
	assert_string_equal((char *)out, "");
	assert_int_equal(base64_decode("aGVsbG8", 7, 0, out), -1); /* standard: padding required */
	assert_int_equal(base64_decode("a$==", 4, 0, out), -1);
	/* URL-safe, unpadded, as in a JWT: {"sun":"a?b>"} */
	assert_int_equal(base64_decode("eyJzdW4iOiJhP2I-In0", 19, 1, out), 14);
	assert_string_equal((char *)out, "{\"sun\":\"a?b>\"}");
	assert_int_equal(base64_decode("_-8", 3, 1, out), 2);
	assert_int_equal(out[0], 0xff);
	assert_int_equal(out[1], 0xef);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_lower),
		cmocka_unit_test(test_known_digests),
		cmocka_unit_test(test_pieces_equal_whole),
		cmocka_unit_test(test_base64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
