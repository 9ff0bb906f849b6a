/* json_parse: cJSON that never cuts a string at a NUL, keeps numbers too
 * large for a double as written, repairs UTF-8 when asked, and otherwise
 * reads exactly what cJSON reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"

#define FFFD "\xEF\xBF\xBD"

/* The compact print of json_parse(text, len, flags), or "(null)"; caller frees. */
static char *parsed(const char *text, size_t len, unsigned flags)
{
	cJSON *j = json_parse(text, len, flags);
	char *s = j ? cJSON_PrintUnformatted(j) : strdup("(null)");
	cJSON_Delete(j);
	return s;
}

static void expect(const char *text, size_t len, unsigned flags, const char *want)
{
	char *got = parsed(text, len, flags);
	if (strcmp(got, want) != 0)
		fail_msg("json_parse(%s) gave %s, want %s", text, got, want);
	free(got);
}

#define EXPECT(lit, flags, want) expect(lit, sizeof lit - 1, flags, want)

static void test_nul_escapes_become_replacement(void **state)
{
	(void)state;
	EXPECT("{\"t\":\"a\\u0000b\"}", 0, "{\"t\":\"a" FFFD "b\"}");
	EXPECT("[\"\\u0000\\u0000\"]", 0, "[\"" FFFD FFFD "\"]");
	/* an escaped backslash before u0000 is text, not an escape */
	EXPECT("[\"\\\\u0000\"]", 0, "[\"\\\\u0000\"]");
	/* \u00000 is NUL then '0' */
	EXPECT("[\"\\u00000\"]", 0, "[\"" FFFD "0\"]");
	/* a raw NUL byte inside a string */
	EXPECT("{\"t\":\"a\0b\"}", 0, "{\"t\":\"a" FFFD "b\"}");
	/* keys too */
	EXPECT("{\"k\\u0000\":1}", 0, "{\"k" FFFD "\":1}");
	/* other escapes are untouched */
	EXPECT("[\"\\u0001\\n\\\"\\u00e9\"]", 0, "[\"\\u0001\\n\\\"\xC3\xA9\"]");
}

static void test_overflowing_numbers_stay_text(void **state)
{
	(void)state;
	EXPECT("{\"x\":1e999}", JSON_BIG_AS_TEXT, "{\"x\":\"1e999\"}");
	EXPECT("[-2E+400,1.5e308,1e-999,1.7976931348623157e308]", JSON_BIG_AS_TEXT,
	       "[\"-2E+400\",1.5e+308,0,1.79769313486232e+308]");
	char big[400];
	memset(big, '9', 320);
	snprintf(big + 320, sizeof big - 320, "]");
	char text[420];
	snprintf(text, sizeof text, "[%s", big);
	char want[420];
	snprintf(want, sizeof want, "[\"%.320s\"]", big);
	expect(text, strlen(text), JSON_BIG_AS_TEXT, want);
	/* inside strings numbers are just text */
	EXPECT("[\"1e999\",12,-3.5]", JSON_BIG_AS_TEXT, "[\"1e999\",12,-3.5]");
	EXPECT("1e999", JSON_WHOLE | JSON_BIG_AS_TEXT, "\"1e999\"");
	/* streamed answers (flags 0) leave numbers to cJSON: the NUL check alone */
	EXPECT("{\"n\":1e999,\"t\":\"a\\u0000\"}", 0, "{\"n\":null,\"t\":\"a" FFFD "\"}");
}

static void test_utf8_repair_and_whole(void **state)
{
	(void)state;
	EXPECT("[\"ok\xff\xc0\xaf\"]", JSON_REPAIR_UTF8, "[\"ok" FFFD FFFD FFFD "\"]");
	/* without the flag the bytes are kept for the caller's sanitizer */
	EXPECT("[\"ok\xff\"]", 0, "[\"ok\xff\"]");
	EXPECT("{\"a\":1} junk", 0, "{\"a\":1}");
	EXPECT("{\"a\":1} junk", JSON_WHOLE, "(null)");
	EXPECT("{\"a\":1} \n", JSON_WHOLE, "{\"a\":1}");
	/* a byte order mark is skipped as cJSON does */
	EXPECT("\xEF\xBB\xBF{\"a\":2}", JSON_WHOLE | JSON_REPAIR_UTF8, "{\"a\":2}");
	EXPECT("", 0, "(null)");
	EXPECT("{\"a\":", JSON_WHOLE, "(null)");
	/* the text need not end with a NUL: only len bytes are read */
	expect("[1]]]]", 3, JSON_WHOLE, "[1]");
	expect("[\"a\\u0000\"]xyz", 11, JSON_WHOLE, "[\"a" FFFD "\"]");
}

static void test_string_array(void **state)
{
	(void)state;
	const char *const v[] = { "a", "", "q\"uote" };
	cJSON *a = json_string_array(v, 3);
	char *out = cJSON_PrintUnformatted(a);
	assert_string_equal(out, "[\"a\",\"\",\"q\\\"uote\"]");
	free(out);
	cJSON_Delete(a);
	a = json_string_array(NULL, 0);
	assert_true(cJSON_IsArray(a));
	assert_int_equal(cJSON_GetArraySize(a), 0);
	cJSON_Delete(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nul_escapes_become_replacement),
		cmocka_unit_test(test_overflowing_numbers_stay_text),
		cmocka_unit_test(test_utf8_repair_and_whole),
		cmocka_unit_test(test_string_array),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
