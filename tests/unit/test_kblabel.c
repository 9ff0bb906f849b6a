/* kb/label: sizes at each unit boundary, the time of last sync (never, a
 * local time) and the chunker label, as `aiwb kb ls` prints them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "kb/label.h"
#include "kb/store.h"

static void test_size(void **state)
{
	(void)state;
	static const struct { int64_t bytes; const char *want; } v[] = {
		{ 0, "0 B" },           { 1023, "1023 B" },           { 1024, "1.0 KB" },
		{ 1536, "1.5 KB" },     { 1048575, "1024.0 KB" },     { 1048576, "1.0 MB" },
		{ 20971520, "20.0 MB" }, { 1073741823, "1024.0 MB" }, { 1073741824, "1.00 GB" },
		{ (int64_t)5 * 1073741824 / 4, "1.25 GB" },
	};
	char out[32];
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		kb_label_size(out, sizeof out, v[i].bytes);
		assert_string_equal(out, v[i].want);
	}
	char tiny[4];
	kb_label_size(tiny, sizeof tiny, 123456);
	assert_string_equal(tiny, "120"); /* cut, still terminated */
}

static void test_synced(void **state)
{
	(void)state;
	char out[32];
	kb_label_synced(out, sizeof out, 0);
	assert_string_equal(out, "never");
	setenv("TZ", "UTC", 1);
	tzset();
	kb_label_synced(out, sizeof out, 1765084200123LL); /* 2025-12-07 05:10:00.123 UTC */
	assert_string_equal(out, "2025-12-07 05:10");
	char small[8];
	kb_label_synced(small, sizeof small, 1765084200123LL);
	assert_string_equal(small, "?");
}

static void test_chunker(void **state)
{
	(void)state;
	struct kb_settings s;
	kb_settings_default(&s);
	char out[32];
	kb_label_chunker(out, sizeof out, &s);
	assert_string_equal(out, "markdown/512");
	s.chunker = KB_CHUNK_FIXED;
	s.chunk_tokens = 128;
	kb_label_chunker(out, sizeof out, &s);
	assert_string_equal(out, "fixed/128");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_synced),
		cmocka_unit_test(test_chunker),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
