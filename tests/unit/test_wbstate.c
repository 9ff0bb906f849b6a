/* wbstate: the workbench's choices written and read back whole; a missing
 * file is an empty state; a damaged one or a value of the wrong type is an
 * empty state and an error; unknown keys are ignored; the file is 0600. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/path.h"
#include "base/xmalloc.h"
#include "wbstate.h"

static char dir[] = "/tmp/aiwb-wbstate-XXXXXX";

static char *file(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_round_trip(void **state)
{
	(void)state;
	char *path = file("workbench.json");
	char *marked[] = {(char *)(uintptr_t)"openai/gpt-4o", (char *)(uintptr_t)"ollama/qwen2.5:0.5b"};
	char *folded[] = {(char *)(uintptr_t)"bedrock"};
	struct wbstate_params params[2] = {
		{(char *)(uintptr_t)"openai/gpt-4o", {.has_temperature = 1, .temperature = 0.3, .has_max_tokens = 1, .max_tokens = 64}},
		{(char *)(uintptr_t)"openai/o3-mini", {0}}, /* nothing set: not written */
	};
	struct wbstate s = {.marked = marked, .nmarked = 2, .params = params, .nparams = 2,
			    .template = (char *)(uintptr_t)"role", .focus = (char *)(uintptr_t)"jobs",
			    .folded = folded, .nfolded = 1};
	struct err e = ERR_INIT;
	assert_int_equal(wbstate_save(&s, path, &e), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	struct wbstate r;
	assert_int_equal(wbstate_load(&r, path, &e), 0);
	assert_int_equal(r.nmarked, 2);
	assert_string_equal(r.marked[1], "ollama/qwen2.5:0.5b");
	assert_int_equal(r.nparams, 1);
	assert_string_equal(r.params[0].spec, "openai/gpt-4o");
	assert_true(r.params[0].params.has_temperature && r.params[0].params.temperature == 0.3);
	assert_true(r.params[0].params.has_max_tokens && r.params[0].params.max_tokens == 64);
	assert_false(r.params[0].params.has_top_p);
	assert_string_equal(r.template, "role");
	assert_string_equal(r.focus, "jobs");
	assert_int_equal(r.nfolded, 1);
	assert_string_equal(r.folded[0], "bedrock");
	wbstate_free(&r);
	wbstate_free(&r); /* twice is safe */
	unlink(path);
	free(path);
}

static void test_missing_and_damaged(void **state)
{
	(void)state;
	char *path = file("other.json");
	struct wbstate r;
	struct err e = ERR_INIT;
	assert_int_equal(wbstate_load(&r, path, &e), 0); /* missing: empty */
	assert_int_equal(r.nmarked, 0);
	assert_null(r.focus);
	const char *bad[] = {
		"{\"marked\": \"not a list\"",
		"[1, 2]",
		"{\"marked\": [1]}",
		"{\"params\": {\"openai/gpt-4o\": {\"temperature\": 7}}}",
		"{\"params\": {\"openai/gpt-4o\": {\"max_tokens\": 1.5}}}",
		"{\"focus\": \"\"}",
		"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		write_text(path, bad[i]);
		e = (struct err)ERR_INIT;
		assert_int_equal(wbstate_load(&r, path, &e), -1);
		assert_non_null(strstr(e.msg, "the saved workbench state is damaged"));
		assert_int_equal(r.nmarked, 0);
		assert_int_equal(r.nparams, 0);
	}
	write_text(path, "{\"version\": 9, \"future\": {\"x\": 1}, \"focus\": \"prompt\"}");
	assert_int_equal(wbstate_load(&r, path, &e), 0);
	assert_string_equal(r.focus, "prompt");
	wbstate_free(&r);
	unlink(path);
	free(path);
}

static void test_unchanged_not_rewritten(void **state)
{
	(void)state;
	char *path = file("same.json");
	char *marked[] = {(char *)(uintptr_t)"openai/gpt-4o"};
	struct wbstate s = {.marked = marked, .nmarked = 1, .focus = (char *)(uintptr_t)"prompt"};
	struct err e = ERR_INIT;
	struct stat a, b;
	assert_int_equal(wbstate_save(&s, path, &e), 0);
	assert_int_equal(stat(path, &a), 0);
	assert_int_equal(wbstate_save(&s, path, &e), 0); /* the same state: the file is left alone */
	assert_int_equal(stat(path, &b), 0);
	assert_true(a.st_ino == b.st_ino);
	s.focus = (char *)(uintptr_t)"jobs"; /* a change is written (a new file renamed over it) */
	assert_int_equal(wbstate_save(&s, path, &e), 0);
	assert_int_equal(stat(path, &b), 0);
	assert_true(a.st_ino != b.st_ino);
	struct wbstate r;
	assert_int_equal(wbstate_load(&r, path, &e), 0);
	assert_string_equal(r.focus, "jobs");
	wbstate_free(&r);
	unlink(path);
	free(path);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_missing_and_damaged),
		cmocka_unit_test(test_unchanged_not_rewritten),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
