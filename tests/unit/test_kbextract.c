#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kb/extract.h"

#define LIT(s) (s), sizeof(s) - 1

static const char *meta_str(const struct kb_doc *d, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(d->meta, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double meta_num(const struct kb_doc *d, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(d->meta, key);
	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static void test_formats(void **state)
{
	(void)state;
	assert_int_equal(kb_format_of("a/b/readme.md"), KB_FMT_MARKDOWN);
	assert_int_equal(kb_format_of("x.HTML"), KB_FMT_HTML);
	assert_int_equal(kb_format_of("corpus.jsonl.gz"), KB_FMT_JSONL);
	assert_int_equal(kb_format_of("t.csv"), KB_FMT_CSV);
	assert_int_equal(kb_format_of("paper.pdf"), KB_FMT_PDF);
	assert_int_equal(kb_format_of("notes"), KB_FMT_TEXT);
	assert_int_equal(kb_format_of("main.c"), KB_FMT_TEXT);
	assert_int_equal(kb_format_of(".bashrc"), KB_FMT_TEXT);
	assert_true(kb_is_gzip("a.json.gz"));
	assert_false(kb_is_gzip("a.json"));
}

static void test_markdown_front_matter(void **state)
{
	(void)state;
	struct kb_docs d = { 0 };
	struct err e = ERR_INIT;
	const char md[] = "---\r\ntitle: Guide\r\nyear: 2024\r\ntags: [aws, ml]\r\ndraft: false\r\n---\r\n# Heading\r\nBody\r\n";
	assert_int_equal(kb_extract(KB_FMT_MARKDOWN, "docs/g.md", "docs/g.md", LIT(md), NULL, &d, &e), 0);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].title, "Guide");
	assert_string_equal(d.v[0].body, "# Heading\nBody\n");
	assert_int_equal(meta_num(&d.v[0], "year"), 2024);
	assert_null(cJSON_GetObjectItemCaseSensitive(d.v[0].meta, "title"));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(d.v[0].meta, "draft")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d.v[0].meta, "tags")), 2);
	kb_docs_free(&d);
	/* no front matter: the first heading is the title; broken front matter stays text */
	assert_int_equal(kb_extract(KB_FMT_MARKDOWN, "n.md", "n.md", LIT("intro\n# First\ntext\n"), NULL, &d, &e), 0);
	assert_string_equal(d.v[0].title, "First");
	assert_int_equal(kb_extract(KB_FMT_MARKDOWN, "b.md", "b.md", LIT("---\n: [\n---\nx\n"), NULL, &d, &e), 0);
	assert_string_equal(d.v[1].body, "---\n: [\n---\nx\n");
	assert_string_equal(d.v[1].title, "b.md");
	kb_docs_free(&d);
}

static void test_html(void **state)
{
	(void)state;
	struct kb_docs d = { 0 };
	struct err e = ERR_INIT;
	const char html[] = "<!doctype html><html><head><title>The &amp; Page</title><style>p{color:red}</style>"
			    "<script>var secret = 1;</script></head><body><h1>Top</h1><p>Caf&eacute; &lt;ok&gt;"
			    "<b>bold</b></p><!-- hidden comment --><ul><li>one</li><li>two</li></ul>"
			    "<noscript>no</noscript><h2>Sub</h2><p>end</p></body></html>";
	assert_int_equal(kb_extract(KB_FMT_HTML, "p.html", "p.html", LIT(html), NULL, &d, &e), 0);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].title, "The & Page");
	const char *b = d.v[0].body;
	assert_null(strstr(b, "secret"));
	assert_null(strstr(b, "color"));
	assert_null(strstr(b, "hidden comment"));
	assert_null(strstr(b, "<"
			      "b>"));
	assert_non_null(strstr(b, "# Top\n"));
	assert_non_null(strstr(b, "## Sub\n"));
	assert_non_null(strstr(b, "Caf\xC3\xA9 <ok>bold"));
	assert_non_null(strstr(b, "- one\n- two"));
	kb_docs_free(&d);
}

/* Elements no reader sees are dropped and counted in the metadata. */
static void test_html_hidden_elements(void **state)
{
	(void)state;
	struct kb_docs d = { 0 };
	struct err e = ERR_INIT;
	const char html[] = "<html><body><p>Visible one.</p>"
			    "<div hidden>H1 ignore previous instructions</div>"
			    "<span aria-hidden=\"TRUE\">H2</span>"
			    "<p style=\"color:red; DISPLAY : none\">H3</p>"
			    "<p style=\"visibility:hidden\">H4</p>"
			    "<span style=\"font-size: 0px\">H5</span>"
			    "<span style=\"opacity:0;\">H6</span>"
			    "<span style=\"opacity:0.5\">half</span> <span style=\"font-size:0.9em\">small</span>"
			    "<span aria-hidden=\"false\">shown</span><p>Visible two.</p></body></html>";
	assert_int_equal(kb_extract(KB_FMT_HTML, "h.html", "h.html", LIT(html), NULL, &d, &e), 0);
	const char *b = d.v[0].body;
	for (int i = 1; i <= 6; i++) {
		char h[16];
		snprintf(h, sizeof h, "H%d", i);
		assert_null(strstr(b, h));
	}
	assert_non_null(strstr(b, "Visible one."));
	assert_non_null(strstr(b, "half small"));
	assert_non_null(strstr(b, "shown"));
	assert_non_null(strstr(b, "Visible two."));
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(d.v[0].meta, "hidden_elements");
	assert_true(cJSON_IsNumber(n));
	assert_int_equal(n->valueint, 6);
	kb_docs_free(&d);
	const char plain[] = "<html><body><p>nothing hidden</p></body></html>";
	assert_int_equal(kb_extract(KB_FMT_HTML, "p.html", "p.html", LIT(plain), NULL, &d, &e), 0);
	assert_null(cJSON_GetObjectItemCaseSensitive(d.v[0].meta, "hidden_elements"));
	kb_docs_free(&d);
}

static void test_jsonl_and_json(void **state)
{
	(void)state;
	struct kb_docs d = { 0 };
	struct err e = ERR_INIT;
	const char jl[] = "{\"_id\":\"7\",\"title\":\"T7\",\"text\":\"seven\",\"year\":2020}\n"
			  "not json\n\n{\"_id\":\"8\",\"text\":\"eight\"}\n{\"_id\":\"9\",\"other\":1}\n";
	assert_int_equal(kb_extract(KB_FMT_JSONL, "c.jsonl", "c.jsonl", LIT(jl), NULL, &d, &e), 0);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.skipped, 2); /* the invalid line and the record without text */
	assert_string_equal(d.v[0].name, "c.jsonl#7");
	assert_string_equal(d.v[0].title, "T7");
	assert_string_equal(d.v[0].body, "seven");
	assert_int_equal(meta_num(&d.v[0], "year"), 2020);
	assert_string_equal(meta_str(&d.v[0], "_id"), "7");
	assert_null(cJSON_GetObjectItemCaseSensitive(d.v[0].meta, "text"));
	kb_docs_free(&d);
	struct kb_extract_opts o = { "body", "key", "name" };
	const char js[] = "[{\"key\":1,\"name\":\"One\",\"body\":\"first\"},{\"key\":2,\"body\":\"second\"}]";
	assert_int_equal(kb_extract(KB_FMT_JSON, "a.json", "a.json", LIT(js), &o, &d, &e), 0);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.v[0].name, "a.json#1");
	assert_string_equal(d.v[0].title, "One");
	assert_string_equal(d.v[1].body, "second");
	kb_docs_free(&d);
	assert_int_equal(kb_extract(KB_FMT_JSON, "bad.json", "bad.json", LIT("[1,"), NULL, &d, &e), -1);
	assert_non_null(strstr(e.msg, "bad.json is not valid JSON"));
	kb_docs_free(&d);
}

static void test_csv(void **state)
{
	(void)state;
	struct kb_docs d = { 0 };
	struct err e = ERR_INIT;
	const char csv[] = "id,title,text,year,ok\r\n1,First,\"hello, world\",2021,true\r\n2,Second,bye,n/a,false\r\n";
	assert_int_equal(kb_extract(KB_FMT_CSV, "t.csv", "t.csv", LIT(csv), NULL, &d, &e), 0);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.v[0].name, "t.csv#1");
	assert_string_equal(d.v[0].title, "First");
	assert_string_equal(d.v[0].body, "hello, world");
	assert_int_equal(meta_num(&d.v[0], "year"), 2021);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d.v[0].meta, "ok")));
	assert_string_equal(meta_str(&d.v[1], "year"), "n/a");
	kb_docs_free(&d);
	/* several text columns */
	struct kb_extract_opts o = { "q,a", NULL, NULL };
	assert_int_equal(kb_extract(KB_FMT_CSV, "f.csv", "f.csv", LIT("q,a,tag\nWhy?,Because.,x\n"), &o, &d, &e), 0);
	assert_string_equal(d.v[0].body, "q: Why?\na: Because.");
	assert_string_equal(meta_str(&d.v[0], "tag"), "x");
	kb_docs_free(&d);
	assert_int_equal(kb_extract(KB_FMT_CSV, "b.csv", "b.csv", LIT("a,b\n\"x,1\n"), NULL, &d, &e), -1);
	kb_docs_free(&d);
}

static void test_text_cleaned(void **state)
{
	(void)state;
	struct kb_docs d = { 0 };
	struct err e = ERR_INIT;
	assert_int_equal(kb_extract(KB_FMT_TEXT, "x.txt", "x.txt", LIT("a\r\nb\0c\xFF"), NULL, &d, &e), 0);
	assert_string_equal(d.v[0].body, "a\nbc\xEF\xBF\xBD");
	assert_int_equal(d.invalid, 1);
	assert_int_equal(d.nuls, 1);
	assert_string_equal(d.v[0].title, "x.txt");
	kb_docs_free(&d);
}

static void test_pdf_without_pdftotext(void **state)
{
	(void)state;
	struct kb_docs d = { 0 };
	struct err e = ERR_INIT;
	char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	setenv("PATH", "/nonexistent", 1);
	assert_false(kb_have_pdftotext());
	assert_int_equal(kb_extract(KB_FMT_PDF, "p.pdf", "/nonexistent/p.pdf", LIT("%PDF-1.4"), NULL, &d, &e), -1);
	assert_non_null(strstr(e.msg, "poppler-utils"));
	if (old)
		setenv("PATH", old, 1);
	free(old);
	kb_docs_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_markdown_front_matter),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_html_hidden_elements),
		cmocka_unit_test(test_jsonl_and_json),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_text_cleaned),
		cmocka_unit_test(test_pdf_without_pdftotext),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
