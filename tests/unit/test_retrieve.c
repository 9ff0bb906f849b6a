#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "chat/retrieve.h"
#include "kb/context.h"

static void test_query_rewrite(void **state)
{
	(void)state;
	char *q = chat_kb_query("How much is a day pass?", NULL);
	assert_string_equal(q, "How much is a day pass?");
	free(q);
	/* salient words of the previous question the new one lacks, in order, stop words and short words out */
	q = chat_kb_query("and for students?", "How much is a Day pass at the museum?");
	assert_string_equal(q, "and for students? how much day pass museum");
	free(q);
	q = chat_kb_query("what about the day pass refund", "day pass price");
	assert_string_equal(q, "what about the day pass refund price");
	free(q);
	q = chat_kb_query("more", "alpha bravo charlie delta echo foxtrot golf");
	assert_string_equal(q, "more alpha bravo charlie delta echo");
	free(q);
}

static struct kb_hit hit(int64_t chunk, int64_t doc, size_t start, size_t end, const char *text)
{
	struct kb_hit h;
	memset(&h, 0, sizeof h);
	h.chunk_id = chunk;
	h.doc_id = doc;
	h.start = start;
	h.end = end;
	h.doc_name = xstrdup("doc.md");
	h.heading = xstrdup("");
	h.text = xstrdup(text);
	return h;
}

/* A chunk sent in an earlier turn, or one overlapping it, is not sent again;
 * the sources of the next turn are numbered on. */
static void test_fresh_chunks(void **state)
{
	(void)state;
	struct chat_kb s;
	chat_kb_init(&s);
	struct kb_results r;
	memset(&r, 0, sizeof r);
	r.n = 4;
	r.v = xcalloc(4, sizeof *r.v);
	r.v[0] = hit(10, 1, 0, 100, "ten");
	r.v[1] = hit(11, 1, 100, 200, "eleven");
	r.v[2] = hit(20, 2, 0, 100, "twenty");
	r.v[3] = hit(12, 1, 180, 260, "twelve overlaps eleven");
	assert_int_equal(chat_kb_fresh(&s, &r, 2), 2);
	assert_int_equal(r.v[0].chunk_id, 10);
	chat_kb_mark_sent(&s, &r, 2);
	assert_int_equal(s.next_number, 3);

	size_t n = chat_kb_fresh(&s, &r, 5);
	assert_int_equal(n, 1);
	assert_int_equal(r.v[0].chunk_id, 20);
	assert_int_equal(r.n, 4); /* every hit stays to be freed */
	struct kb_results view = r;
	view.n = n;
	size_t used = 0;
	char *ctx = kb_sources_context_from(&view, s.next_number, 1000, &used);
	assert_int_equal(used, 1);
	assert_non_null(strstr(ctx, "[3] <source document=\"doc.md\">\ntwenty"));
	assert_null(strstr(ctx, "[1]"));
	free(ctx);
	chat_kb_mark_sent(&s, &view, used);
	assert_int_equal(chat_kb_fresh(&s, &r, 5), 0);
	chat_kb_reset(&s);
	assert_int_equal(chat_kb_fresh(&s, &r, 5), 4);
	assert_int_equal(s.next_number, 1);
	kb_results_free(&r);
	chat_kb_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_rewrite),
		cmocka_unit_test(test_fresh_chunks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
