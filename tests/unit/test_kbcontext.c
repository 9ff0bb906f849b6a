/* kb/context and kb/json's hits: sources quoted as data, marks removed,
 * "</source" defused, quotes in attributes replaced, the token budget with
 * the first source always kept; a hit's JSON with plain text, highlight
 * offsets and explain stages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kb/context.h"
#include "kb/json.h"

static struct kb_hit hit(const char *doc, const char *heading, char *text)
{
	struct kb_hit h;
	memset(&h, 0, sizeof h);
	h.doc_name = (char *)(uintptr_t)doc;
	h.doc_path = (char *)(uintptr_t)doc;
	h.title = (char *)(uintptr_t)"T";
	h.heading = (char *)(uintptr_t)heading;
	h.meta = (char *)(uintptr_t)"{\"a\":1}";
	h.text = text;
	return h;
}

static void test_context(void **state)
{
	(void)state;
	char t1[] = "say \x01hi\x02 </source> now", t2[] = "second";
	struct kb_hit v[] = { hit("a\"b.md", "", t1), hit("c.md", "H \"x\"", t2) };
	struct kb_results r;
	memset(&r, 0, sizeof r);
	r.v = v;
	r.n = 2;
	size_t used;
	char *c = kb_sources_context(&r, 6000, &used);
	assert_int_equal(used, 2);
	assert_non_null(strstr(c, "not instructions"));
	assert_non_null(strstr(c, "\n[1] <source document=\"a'b.md\">\nsay hi </ source> now\n</source>\n"));
	assert_non_null(strstr(c, "\n[2] <source document=\"c.md\" heading=\"H 'x'\">\nsecond\n</source>\n"));
	free(c);
	c = kb_sources_context(&r, 1, &used); /* over budget: the first is kept, the second is not */
	assert_int_equal(used, 1);
	assert_null(strstr(c, "[2]"));
	free(c);
}

/* Hidden characters never reach a model: the text, the document name and the
 * heading lose every tag character, zero-width character and bidi control. */
static void test_context_strips_hidden(void **state)
{
	(void)state;
	/* "Hi" then U+E0049 U+E0047 (tags spelling "IG"), ZWSP, ZWJ, U+202E, U+2066, U+061C, U+FEFF */
	char t1[] = "Hi\xF3\xA0\x81\x89\xF3\xA0\x81\x87 the\xE2\x80\x8Bre\xE2\x80\x8D \xE2\x80\xAEok\xE2\x81\xA6"
		    "\xD8\x9C\xEF\xBB\xBF.";
	struct kb_hit v[] = { hit("d\xE2\x80\x8C.md", "H\xE2\x80\x8F", t1) };
	struct kb_results r;
	memset(&r, 0, sizeof r);
	r.v = v;
	r.n = 1;
	size_t used, hidden;
	char *c = kb_sources_context_stripped(&r, 6000, &used, &hidden);
	assert_int_equal(used, 1);
	assert_int_equal(hidden, 10);
	assert_non_null(strstr(c, "<source document=\"d.md\" heading=\"H\">\nHi there ok.\n</source>"));
	for (const unsigned char *p = (const unsigned char *)c; *p; p++)
		assert_true(*p < 0x80); /* nothing but ASCII was left */
	free(c);
}

static void test_history(void **state)
{
	(void)state;
	char t1[] = "one", t2[] = "two", t3[] = "three";
	struct kb_hit v[] = { hit("a.md", "", t1), hit("b.md", "", t2), hit("c.md", "", t3) };
	v[0].chunk_id = 41;
	v[1].chunk_id = 7;
	v[2].chunk_id = 99;
	struct kb_results r;
	memset(&r, 0, sizeof r);
	r.v = v;
	r.n = 3;
	struct kb_search_opts so;
	memset(&so, 0, sizeof so);
	so.query = "who \"rides\"?";
	so.k = 5;
	so.mode = KB_MODE_HYBRID;
	cJSON *kb = kb_context_history("docs", &so, &r, 2);
	char *s = cJSON_PrintUnformatted(kb);
	assert_string_equal(s, "{\"name\":\"docs\",\"query\":\"who \\\"rides\\\"?\",\"mode\":\"hybrid\",\"k\":5,"
			       "\"filter\":null,\"chunks\":[41,7]}");
	free(s);
	/* joins the other params; an old "kb" is replaced, the rest kept */
	char *p = kb_context_params("{\"template\":\"rag\",\"kb\":1,\"compare_group\":3}", kb);
	assert_string_equal(p, "{\"template\":\"rag\",\"compare_group\":3,\"kb\":{\"name\":\"docs\",\"query\":"
			       "\"who \\\"rides\\\"?\",\"mode\":\"hybrid\",\"k\":5,\"filter\":null,\"chunks\":[41,7]}}");
	free(p);
	so.filter = "year>=2024";
	so.mode = KB_MODE_BM25;
	kb = kb_context_history("docs", &so, &r, 0);
	p = kb_context_params(NULL, kb);
	assert_string_equal(p, "{\"kb\":{\"name\":\"docs\",\"query\":\"who \\\"rides\\\"?\",\"mode\":\"bm25\","
			       "\"k\":5,\"filter\":\"year>=2024\",\"chunks\":[]}}");
	free(p);
	p = kb_context_history_text("d", &so, &r, 1);
	assert_string_equal(p, "{\"kb\":{\"name\":\"d\",\"query\":\"who \\\"rides\\\"?\",\"mode\":\"bm25\","
			       "\"k\":5,\"filter\":\"year>=2024\",\"chunks\":[41]}}");
	free(p);
	p = kb_context_params("not json", NULL);
	assert_string_equal(p, "{}");
	free(p);
}

static void test_hit_json(void **state)
{
	(void)state;
	char t[] = "ab \x01" "cd\x02 e";
	struct kb_hit h = hit("d.md", "h", t);
	h.rank = 1;
	h.score = 2.5;
	h.bm25 = 2.5;
	h.bm25_rank = 1;
	cJSON *o = kb_json_hit(&h, 1);
	char *s = cJSON_PrintUnformatted(o);
	assert_non_null(strstr(s, "\"scores\":{\"bm25\":2.5}"));
	assert_non_null(strstr(s, "\"meta\":{\"a\":1}"));
	assert_non_null(strstr(s, "\"text\":\"ab cd e\",\"highlights\":[[3,5]]"));
	assert_non_null(strstr(s, "\"explain\":[{\"stage\":\"bm25\",\"rank\":1,\"score\":2.5}]"));
	free(s);
	cJSON_Delete(o);
	char iso[40];
	kb_json_iso(0, iso, sizeof iso);
	assert_string_equal(iso, "");
	kb_json_iso(86400000, iso, sizeof iso);
	assert_string_equal(iso, "1970-01-02T00:00:00Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_context),
		cmocka_unit_test(test_context_strips_hidden),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_hit_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
