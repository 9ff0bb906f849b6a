/* kb/bedrockfilter: every operator, the De Morgan push-down of NOT, the
 * flattening of AND/OR lists and every error, each against the exact JSON
 * Bedrock's Retrieve expects (and the tree kb/filter parses). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kb/bedrockfilter.h"

static void is(const char *expr, const char *want)
{
	struct err e = ERR_INIT;
	char *got = kb_bedrock_filter_json(expr, &e);
	if (!got)
		fail_msg("%s: %s", expr, e.msg);
	if (strcmp(got, want) != 0)
		fail_msg("%s:\n got  %s\n want %s", expr, got, want);
	free(got);
}

static void refused(const char *expr, const char *msg)
{
	struct err e = ERR_INIT;
	char *got = kb_bedrock_filter_json(expr, &e);
	if (got)
		fail_msg("%s: expected an error, got %s", expr, got);
	if (!strstr(e.msg, msg))
		fail_msg("%s: expected '%s', got '%s'", expr, msg, e.msg);
	assert_int_equal(strncmp(e.msg, "invalid filter: ", 16), 0);
}

static void test_comparisons(void **state)
{
	(void)state;
	is("genre = drama", "{\"equals\":{\"key\":\"genre\",\"value\":\"drama\"}}");
	is("genre == 'drama'", "{\"equals\":{\"key\":\"genre\",\"value\":\"drama\"}}");
	is("genre != drama", "{\"notEquals\":{\"key\":\"genre\",\"value\":\"drama\"}}");
	is("genre <> drama", "{\"notEquals\":{\"key\":\"genre\",\"value\":\"drama\"}}");
	is("year < 2020", "{\"lessThan\":{\"key\":\"year\",\"value\":2020}}");
	is("year <= 2020", "{\"lessThanOrEquals\":{\"key\":\"year\",\"value\":2020}}");
	is("year > 2020", "{\"greaterThan\":{\"key\":\"year\",\"value\":2020}}");
	is("year >= 2020", "{\"greaterThanOrEquals\":{\"key\":\"year\",\"value\":2020}}");
	is("score > -1.5", "{\"greaterThan\":{\"key\":\"score\",\"value\":-1.5}}");
	is("draft = true", "{\"equals\":{\"key\":\"draft\",\"value\":true}}");
	is("draft != FALSE", "{\"notEquals\":{\"key\":\"draft\",\"value\":false}}");
	is("d = '2024'", "{\"equals\":{\"key\":\"d\",\"value\":\"2024\"}}");
	is("d = \"it\"\"s\"", "{\"equals\":{\"key\":\"d\",\"value\":\"it\\\"s\"}}");
	is("tags IN (aws, 'ml', 3)", "{\"in\":{\"key\":\"tags\",\"value\":[\"aws\",\"ml\",3]}}");
	is("tags NOT IN (aws)", "{\"notIn\":{\"key\":\"tags\",\"value\":[\"aws\"]}}");
	is("title = x", "{\"equals\":{\"key\":\"title\",\"value\":\"x\"}}");
}

static void test_globs(void **state)
{
	(void)state;
	is("path GLOB 's3://bucket/docs/*'",
	   "{\"startsWith\":{\"key\":\"x-amz-bedrock-kb-source-uri\",\"value\":\"s3://bucket/docs/\"}}");
	is("path GLOB s3://b/a.md", "{\"equals\":{\"key\":\"x-amz-bedrock-kb-source-uri\",\"value\":\"s3://b/a.md\"}}");
	is("team GLOB 'ml-*'", "{\"startsWith\":{\"key\":\"team\",\"value\":\"ml-\"}}");
	is("path GLOB '*'", "{\"startsWith\":{\"key\":\"x-amz-bedrock-kb-source-uri\",\"value\":\"\"}}");
	is("title GLOB '*drift*'", "{\"stringContains\":{\"key\":\"title\",\"value\":\"drift\"}}");
	is("path GLOB '*/docs/*'",
	   "{\"stringContains\":{\"key\":\"x-amz-bedrock-kb-source-uri\",\"value\":\"/docs/\"}}");
	refused("path GLOB '*.md'", "Bedrock cannot express path GLOB '*.md'");
	refused("path GLOB '**'", "Bedrock cannot express");
	refused("path GLOB '*a*b*'", "Bedrock cannot express");
	refused("path GLOB 'docs/*/a*'", "only 'prefix*' (startsWith) and '*text*' (stringContains) translate");
	refused("path GLOB 'a?'", "Bedrock cannot express path GLOB 'a?'");
	refused("path GLOB 'a[bc]*'", "Bedrock cannot express");
	refused("path NOT GLOB 'a*'", "Bedrock cannot express NOT path GLOB 'a*'");
	refused("NOT path GLOB 'a*'", "no negated startsWith");
	refused("NOT NOT NOT path GLOB '*a*'", "no negated startsWith or stringContains");
	/* NOT of NOT GLOB is a GLOB again */
	is("NOT path NOT GLOB 'a*'", "{\"startsWith\":{\"key\":\"x-amz-bedrock-kb-source-uri\",\"value\":\"a\"}}");
}

static void test_not_pushed_down(void **state)
{
	(void)state;
	is("NOT genre = drama", "{\"notEquals\":{\"key\":\"genre\",\"value\":\"drama\"}}");
	is("NOT genre != drama", "{\"equals\":{\"key\":\"genre\",\"value\":\"drama\"}}");
	is("NOT year < 2020", "{\"greaterThanOrEquals\":{\"key\":\"year\",\"value\":2020}}");
	is("NOT year <= 2020", "{\"greaterThan\":{\"key\":\"year\",\"value\":2020}}");
	is("NOT year > 2020", "{\"lessThanOrEquals\":{\"key\":\"year\",\"value\":2020}}");
	is("NOT year >= 2020", "{\"lessThan\":{\"key\":\"year\",\"value\":2020}}");
	is("NOT tags IN (a, b)", "{\"notIn\":{\"key\":\"tags\",\"value\":[\"a\",\"b\"]}}");
	is("NOT tags NOT IN (a)", "{\"in\":{\"key\":\"tags\",\"value\":[\"a\"]}}");
	is("NOT NOT year = 1", "{\"equals\":{\"key\":\"year\",\"value\":1}}");
	is("NOT (NOT (NOT year = 1))", "{\"notEquals\":{\"key\":\"year\",\"value\":1}}");
	is("NOT (a = 1 AND b = 2)",
	   "{\"orAll\":[{\"notEquals\":{\"key\":\"a\",\"value\":1}},{\"notEquals\":{\"key\":\"b\",\"value\":2}}]}");
	is("NOT (a = 1 OR b < 2)",
	   "{\"andAll\":[{\"notEquals\":{\"key\":\"a\",\"value\":1}},{\"greaterThanOrEquals\":{\"key\":\"b\",\"value\":2}}]}");
	is("NOT (a = 1 AND (b = 2 OR c IN (x)))",
	   "{\"orAll\":[{\"notEquals\":{\"key\":\"a\",\"value\":1}},{\"andAll\":[{\"notEquals\":{\"key\":\"b\",\"value\":2}},"
	   "{\"notIn\":{\"key\":\"c\",\"value\":[\"x\"]}}]}]}");
	/* NOT over AND whose kid is NOT (OR): the double negation leaves an orAll, merged into the outer one */
	is("NOT (a = 1 AND NOT (b = 2 OR c = 3))",
	   "{\"orAll\":[{\"notEquals\":{\"key\":\"a\",\"value\":1}},{\"equals\":{\"key\":\"b\",\"value\":2}},"
	   "{\"equals\":{\"key\":\"c\",\"value\":3}}]}");
}

static void test_groups(void **state)
{
	(void)state;
	is("a = 1 AND b = 2",
	   "{\"andAll\":[{\"equals\":{\"key\":\"a\",\"value\":1}},{\"equals\":{\"key\":\"b\",\"value\":2}}]}");
	is("a = 1 OR b = 2",
	   "{\"orAll\":[{\"equals\":{\"key\":\"a\",\"value\":1}},{\"equals\":{\"key\":\"b\",\"value\":2}}]}");
	/* AND binds tighter than OR */
	is("a = 1 OR b = 2 AND c = 3",
	   "{\"orAll\":[{\"equals\":{\"key\":\"a\",\"value\":1}},{\"andAll\":[{\"equals\":{\"key\":\"b\",\"value\":2}},"
	   "{\"equals\":{\"key\":\"c\",\"value\":3}}]}]}");
	/* nested lists of the same kind are one list */
	is("(a = 1 AND b = 2) AND (c = 3 AND d = 4)",
	   "{\"andAll\":[{\"equals\":{\"key\":\"a\",\"value\":1}},{\"equals\":{\"key\":\"b\",\"value\":2}},"
	   "{\"equals\":{\"key\":\"c\",\"value\":3}},{\"equals\":{\"key\":\"d\",\"value\":4}}]}");
	is("a = 1 OR (b = 2 OR c = 3)",
	   "{\"orAll\":[{\"equals\":{\"key\":\"a\",\"value\":1}},{\"equals\":{\"key\":\"b\",\"value\":2}},"
	   "{\"equals\":{\"key\":\"c\",\"value\":3}}]}");
	/* parentheses around one comparison give it bare, never a list of one */
	is("((a = 1))", "{\"equals\":{\"key\":\"a\",\"value\":1}}");
	is("(a = 1) AND ((b >= 2))",
	   "{\"andAll\":[{\"equals\":{\"key\":\"a\",\"value\":1}},{\"greaterThanOrEquals\":{\"key\":\"b\",\"value\":2}}]}");
	is("source = docs AND year >= 2024 AND tags IN (aws, ml) AND NOT draft = true",
	   "{\"andAll\":[{\"equals\":{\"key\":\"source\",\"value\":\"docs\"}},"
	   "{\"greaterThanOrEquals\":{\"key\":\"year\",\"value\":2024}},"
	   "{\"in\":{\"key\":\"tags\",\"value\":[\"aws\",\"ml\"]}},{\"notEquals\":{\"key\":\"draft\",\"value\":true}}]}");
}

static void test_tree(void **state)
{
	(void)state;
	struct err e = ERR_INIT;
	struct kb_filter_node *n = kb_filter_parse("a = 1 OR NOT b IN (x, 2) AND c GLOB 'p*'", &e);
	assert_non_null(n);
	assert_int_equal(n->kind, KB_FILTER_OR);
	assert_int_equal(n->nkids, 2);
	assert_int_equal(n->kids[0]->kind, KB_FILTER_CMP);
	assert_string_equal(n->kids[0]->op, "=");
	assert_string_equal(n->kids[0]->key, "a");
	assert_int_equal(n->kids[0]->values[0].type, 'n');
	const struct kb_filter_node *and = n->kids[1];
	assert_int_equal(and->kind, KB_FILTER_AND);
	assert_int_equal(and->kids[0]->kind, KB_FILTER_NOT);
	assert_int_equal(and->kids[0]->kids[0]->kind, KB_FILTER_IN);
	assert_int_equal(and->kids[0]->kids[0]->nvalues, 2);
	assert_int_equal(and->kids[1]->kind, KB_FILTER_GLOB);
	assert_string_equal(and->kids[1]->values[0].text, "p*");
	kb_filter_node_free(n);
	assert_null(kb_filter_parse("a = ", &e));
}

static void test_errors(void **state)
{
	(void)state;
	refused("a = ", "invalid filter: column 5: expected a value");
	refused("(a = 1", "this '(' is never closed");
	char key[160];
	memset(key, 'k', sizeof key - 1);
	key[sizeof key - 1] = '\0';
	char *expr = malloc(strlen(key) + 8);
	strcpy(expr, key);
	strcat(expr, " = 1");
	refused(expr, "a metadata key is at most 100 bytes");
	free(expr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_comparisons), cmocka_unit_test(test_globs), cmocka_unit_test(test_not_pushed_down),
		cmocka_unit_test(test_groups),      cmocka_unit_test(test_tree),  cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
