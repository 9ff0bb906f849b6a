/* prompt/vote: the answer found in a sample's text and the majority over
 * the samples. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "prompt/vote.h"

static void assert_contains(const char *haystack, const char *needle)
{
	if (!haystack || !strstr(haystack, needle))
		fail_msg("expected \"%s\" in \"%s\"", needle, haystack ? haystack : "(null)");
}

static void test_extract_answer(void **state)
{
	(void)state;
	const char *re = "[Aa]nswer:[[:blank:]]*([^[:space:]].*)";
	char *a;
	struct err e = ERR_INIT;
	assert_int_equal(template_extract_answer(re, "Step 1... answer: 3\nWait, no.\nAnswer: **42**.\n", &a, &e), 1);
	assert_string_equal(a, "42");
	free(a);
	assert_int_equal(template_extract_answer(re, "The answer is unclear.", &a, &e), 0);
	assert_null(a);
	assert_int_equal(template_extract_answer("[0-9]+", "between 3 and 17 apples", &a, &e), 1);
	assert_string_equal(a, "17");
	free(a);
	assert_int_equal(template_extract_answer("^Final: (.*)$", "x Final: no\nFinal: `Paris`\n", &a, &e), 1);
	assert_string_equal(a, "Paris");
	free(a);
	assert_int_equal(template_extract_answer(NULL, "  Yes.\n", &a, &e), 1);
	assert_string_equal(a, "Yes");
	free(a);
	assert_int_equal(template_extract_answer(NULL, " \n", &a, &e), 0);
	assert_int_equal(template_extract_answer("(", "x", &a, &e), -1);
	assert_contains(e.msg, "answer_regex '('");
	assert_int_equal(template_extract_answer("x*", "", &a, &e), 0);
}

static void test_vote(void **state)
{
	(void)state;
	const char *answers[] = { "41", "42", NULL, "forty two", "42", "Forty  Two", "forty two", "41" };
	struct template_tally *v;
	size_t n = template_vote(answers, 8, &v);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].answer, "forty two");
	assert_int_equal(v[0].votes, 3);
	assert_string_equal(v[1].answer, "41");
	assert_int_equal(v[1].votes, 2);
	assert_string_equal(v[2].answer, "42");
	assert_int_equal(v[2].votes, 2);
	template_tally_free(v, n);

	const char *none[] = { NULL, NULL };
	n = template_vote(none, 2, &v);
	assert_int_equal(n, 0);
	template_tally_free(v, n);

	/* canned sampled answers through extraction to the vote */
	const char *texts[] = { "so... Answer: 12", "Answer: 12.", "I think\nAnswer: 13", "no idea", "ANSWER: 12" };
	const char *got[5];
	char *owned[5];
	for (size_t i = 0; i < 5; i++) {
		int rc = template_extract_answer("[Aa][Nn][Ss][Ww][Ee][Rr]:[[:blank:]]*(.+)", texts[i], &owned[i], NULL);
		assert_true(rc >= 0);
		got[i] = owned[i];
	}
	n = template_vote(got, 5, &v);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].answer, "12");
	assert_int_equal(v[0].votes, 3);
	assert_int_equal(v[1].votes, 1);
	template_tally_free(v, n);
	for (size_t i = 0; i < 5; i++)
		free(owned[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extract_answer),
		cmocka_unit_test(test_vote),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
