/* kb/search with kb/filter on a corpus with known metadata: every operator
 * and their combinations against the expected document set; filters apply
 * inside the top k; hostile queries; highlights. Also kb/store basics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "kb/filter.h"
#include "kb/search.h"
#include "kb/store.h"
#include "testdb.h"

struct fixture {
	char dir[64];
	struct db *db;
	struct kb kb;
};

struct spec {
	const char *path, *title, *text, *meta;
};

/* d3's text holds "common" once, the others many times: it ranks last without a filter. */
static const struct spec corpus[] = {
	{ "docs/a.md", "Doc A", "common common common alpha", "{\"source\":\"docs\",\"year\":2024,\"tags\":[\"aws\",\"ml\"],\"draft\":false}" },
	{ "docs/b.md", "Doc B", "common common common beta", "{\"source\":\"docs\",\"year\":2023,\"tags\":[\"aws\"],\"draft\":true}" },
	{ "blog/c.md", "Doc C", "common gamma gamma gamma gamma gamma gamma gamma", "{\"source\":\"blog\",\"year\":2025,\"tags\":[\"ml\"]}" },
	{ "blog/d.txt", "Doc D", "common common delta", "{\"source\":\"blog\",\"year\":\"2024\",\"tags\":\"gcp\"}" },
	{ "notes/e.md", "Doc E", "common common epsilon", "{}" },
	{ "docs/sub/f.md", "Doc F", "common common common zeta", "{\"source\":\"docs\",\"year\":2019.5,\"score\":-3}" },
};
#define NDOCS (sizeof corpus / sizeof corpus[0])

static void put_doc(struct fixture *f, const struct spec *s)
{
	struct kb_doc d = { (char *)(uintptr_t)s->path, (char *)(uintptr_t)s->title, (char *)(uintptr_t)s->text,
			    strlen(s->text), cJSON_Parse(s->meta) };
	struct kb_chunk c = { 0, strlen(s->text), (char *)(uintptr_t)"", 1 };
	const char *fmt = strstr(s->path, ".md") ? "markdown" : "text";
	struct kb_doc_in in = { &d, s->path, fmt, 0, &c, 1 };
	struct err e = ERR_INIT;
	char *abs = xasprintf("/abs/%s", s->path);
	assert_true(kb_store_file_put(f->db, &f->kb, abs, 10, 1, "00", "sig", &in, 1, &e) == 1);
	free(abs);
	cJSON_Delete(d.meta);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	if (!(f->db = testdb_open(f->dir, "kbsearch")))
		return -1;
	struct kb_settings s;
	kb_settings_default(&s);
	struct err e = ERR_INIT;
	if (kb_store_create(f->db, "t", &s, &e) < 0 || kb_store_get(f->db, "t", &f->kb, &e) != 1)
		return -1;
	for (size_t i = 0; i < NDOCS; i++)
		put_doc(f, &corpus[i]);
	kb_free(&f->kb);
	kb_store_get(f->db, "t", &f->kb, &e);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	kb_free(&f->kb);
	int rc = testdb_close(f->dir, f->db);
	free(f);
	return rc;
}

/* The letters of the documents found, sorted: "abf". */
static char *found(struct fixture *f, const char *query, const char *filter, int k)
{
	struct kb_search_opts o = { .query = query, .k = k, .filter = filter, .with_text = 1 };
	struct kb_results r;
	struct err e = ERR_INIT;
	if (kb_search(f->db, &f->kb, &o, &r, &e) < 0)
		return xasprintf("error: %s", e.msg);
	char letters[NDOCS + 1] = { 0 };
	for (size_t i = 0; i < r.n; i++) {
		char l = r.v[i].title[4] - 'A' + 'a';
		if (!strchr(letters, l))
			letters[strlen(letters)] = l;
	}
	kb_results_free(&r);
	for (size_t i = 0; letters[i]; i++)
		for (size_t j = i + 1; letters[j]; j++)
			if (letters[j] < letters[i]) {
				char t = letters[i];
				letters[i] = letters[j];
				letters[j] = t;
			}
	return xstrdup(letters);
}

static void expect(struct fixture *f, const char *filter, const char *docs)
{
	char *got = found(f, "common", filter, 100);
	if (strcmp(got, docs) != 0)
		fail_msg("filter %s: expected {%s}, got {%s}", filter, docs, got);
	free(got);
}

static void test_filter_operators(void **state)
{
	struct fixture *f = *state;
	expect(f, "source=docs", "abf");
	expect(f, "source = 'docs'", "abf");
	expect(f, "source==\"docs\"", "abf");
	expect(f, "source!=docs", "cd");
	expect(f, "source<>docs", "cd");
	expect(f, "NOT source=docs", "cde");
	expect(f, "year>=2024", "ac");
	expect(f, "year>2024", "c");
	expect(f, "year=2024", "a");
	expect(f, "year='2024'", "d");
	expect(f, "year<2024", "bf");
	expect(f, "year<=2023", "bf");
	expect(f, "year<=2019.5", "f");
	expect(f, "NOT year>2020", "def");
	expect(f, "year!=2024", "bcdf");
	expect(f, "score<0", "f");
	expect(f, "score=-3", "f");
	expect(f, "tags IN (aws, ml)", "abc");
	expect(f, "tags in ('gcp')", "d");
	expect(f, "tags NOT IN (aws)", "cd");
	expect(f, "tags=gcp", "d");
	expect(f, "tags=ml", "ac");
	expect(f, "draft=true", "b");
	expect(f, "draft=false", "a");
	expect(f, "draft!=true", "a");
	expect(f, "NOT draft=true", "acdef");
	expect(f, "draft='true'", "");
	expect(f, "path GLOB 'docs/*.md'", "abf");
	expect(f, "path GLOB blog/*", "cd");
	expect(f, "path NOT GLOB 'docs/*'", "cde");
	expect(f, "title='Doc C'", "c");
	expect(f, "format=text", "d");
	expect(f, "source GLOB 'b*'", "cd");
	expect(f, "missing=1", "");
	expect(f, "NOT missing=1", "abcdef");
	expect(f, "year IN (2023, 2025, '2024')", "bcd");
}

static void test_filter_combinations(void **state)
{
	struct fixture *f = *state;
	expect(f, "source=docs AND year>=2024 AND tags IN (aws,ml) AND NOT draft=true", "a");
	expect(f, "(source=blog OR year<2020) AND NOT tags=ml", "df");
	expect(f, "source=docs OR source=blog AND year>2024", "abcf");
	expect(f, "(source=docs OR source=blog) AND year>2024", "c");
	expect(f, "NOT (source=docs OR source=blog)", "e");
	expect(f, "NOT NOT source=blog", "cd");
	expect(f, "source=docs and not (tags in (ml) or draft = true)", "f");
	expect(f, "((((year>=2024))))", "ac");
}

static void test_filter_inside_top_k(void **state)
{
	struct fixture *f = *state;
	char *top = found(f, "common", NULL, 1);
	assert_string_not_equal(top, "c");
	free(top);
	/* c ranks last overall, but it is the best match among blog posts of 2025 */
	top = found(f, "common", "year>2024", 1);
	assert_string_equal(top, "c");
	free(top);
	top = found(f, "gamma", "source=docs", 10);
	assert_string_equal(top, "");
	free(top);
}

static void expect_error(struct fixture *f, const char *filter, const char *message)
{
	char *got = found(f, "common", filter, 10);
	if (!strstr(got, message) || !strstr(got, "invalid filter: column "))
		fail_msg("filter %s: expected an error with '%s', got '%s'", filter, message, got);
	if (strstr(got, "SQL") || strstr(got, "sqlite") || strstr(got, "fts5"))
		fail_msg("filter %s: the error shows SQL: %s", filter, got);
	free(got);
}

static void test_filter_errors(void **state)
{
	struct fixture *f = *state;
	expect_error(f, "year>", "column 6: expected a value");
	expect_error(f, "source=docs AND", "column 16: expected a key");
	expect_error(f, "tags IN (a", "column 11: expected ',' or ')'");
	expect_error(f, "tags IN a", "column 9: expected '('");
	expect_error(f, "(year=1", "column 1: this '(' is never closed");
	expect_error(f, "year=1)", "column 7: this ')' closes nothing");
	expect_error(f, "1year=2", "column 1: '1year' is not a key");
	expect_error(f, "year<true", "column 5: true and false can only be compared");
	expect_error(f, "a=b c=d", "column 5: expected AND, OR or the end");
	expect_error(f, "!x", "column 1: '!' must be followed by '='");
	expect_error(f, "", "column 1: the filter is empty");
	expect_error(f, "NOT", "column 4: expected a key");
	expect_error(f, "x = 'unclosed", "column 5: this quote is never closed");
	expect_error(f, "year ~ 1", "column 6: unexpected '~'");
	expect_error(f, "year 2024", "column 6: expected an operator");
	expect_error(f, "a=and", "column 3: expected a value, found the keyword and");
	expect_error(f, "tags NOT = 1", "column 10: expected IN or GLOB after NOT");
	expect_error(f, "é=1 AND ü", "column 1: 'é' is not a key");
	expect_error(f, "a=1 AND ü", "column 9: 'ü' is not a key");
	struct buf deep = BUF_INIT;
	for (int i = 0; i < 40; i++)
		buf_putc(&deep, '(');
	buf_puts(&deep, "a=1");
	for (int i = 0; i < 40; i++)
		buf_putc(&deep, ')');
	expect_error(f, deep.data, "nests too deeply");
	buf_free(&deep);
}

static void test_filter_sql_is_bound(void **state)
{
	(void)state;
	struct kb_filter kf;
	struct err e = ERR_INIT;
	assert_int_equal(kb_filter_compile("x='); DROP TABLE kbs; --' AND path GLOB '*'' OR 1'", 3, &kf, &e), 0);
	assert_null(strstr(kf.sql, "DROP"));
	assert_null(strstr(kf.sql, "OR 1"));
	assert_int_equal(kf.first, 3);
	assert_int_equal(kf.nvalues, 3); /* the key path, and the two texts */
	assert_string_equal(kf.values[0].text, "$.\"x\"");
	assert_string_equal(kf.values[1].text, "); DROP TABLE kbs; --");
	assert_string_equal(kf.values[2].text, "*' OR 1");
	kb_filter_free(&kf);
}

static void test_hostile_queries(void **state)
{
	struct fixture *f = *state;
	static const char *const q[] = { "\"", "*", "NEAR(", "-", ":", "AND OR NOT", "^", "😀", "common\"", "alpha*",
					 "-common", "title:common", "NEAR(common alpha, 1)", "common AND", "(common", NULL };
	for (int i = 0; q[i]; i++) {
		char *got = found(f, q[i], NULL, 10);
		if (strncmp(got, "error", 5) == 0)
			fail_msg("query %s: %s", q[i], got);
		free(got);
	}
	struct buf big = BUF_INIT;
	for (int i = 0; i < 1024; i++)
		buf_puts(&big, "\"*NEAR(^:-");
	char *got = found(f, big.data, NULL, 10);
	assert_string_equal(got, ""); /* "near" is in no document */
	free(got);
	buf_free(&big);
	got = found(f, "The ALPHA!", NULL, 10);
	assert_string_equal(got, "a");
	free(got);
}

static void test_hits_and_marks(void **state)
{
	struct fixture *f = *state;
	struct kb_search_opts o = { .query = "gamma", .k = 5, .with_text = 1 };
	struct kb_results r;
	struct err e = ERR_INIT;
	assert_int_equal(kb_search(f->db, &f->kb, &o, &r, &e), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].doc_name, "blog/c.md");
	assert_string_equal(r.v[0].doc_path, "blog/c.md");
	assert_int_equal(r.v[0].rank, 1);
	assert_true(r.v[0].score > 0);
	assert_int_equal(r.v[0].start, 0);
	assert_int_equal(r.v[0].end, strlen(corpus[2].text));
	assert_string_equal(r.v[0].text, "common \x01gamma\x02 \x01gamma\x02 \x01gamma\x02 \x01gamma\x02 \x01gamma\x02 "
					 "\x01gamma\x02 \x01gamma\x02");
	assert_non_null(strstr(r.v[0].meta, "\"blog\""));
	kb_results_free(&r);
	o.mode = KB_MODE_VECTOR;
	assert_int_equal(kb_search(f->db, &f->kb, &o, &r, &e), -1);
	assert_non_null(strstr(e.msg, "no embedding model"));
}

static void test_store(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	struct kb_settings s;
	kb_settings_default(&s);
	assert_int_equal(kb_store_create(f->db, "t", &s, &e), -1);
	assert_non_null(strstr(e.msg, "already exists"));
	assert_int_equal(kb_store_check(f->db, f->kb.id, &e), 0);
	assert_int_equal(f->kb.docs, (int64_t)NDOCS);
	assert_int_equal(f->kb.chunks, (int64_t)NDOCS);
	/* a document by its full name and by the end of it */
	struct kb_doc_row d;
	char *body;
	size_t len, nc;
	struct kb_chunk_row *c;
	assert_int_equal(kb_store_doc(f->db, f->kb.id, "c.md", &d, &body, &len, &c, &nc, &e), 1);
	assert_string_equal(d.name, "blog/c.md");
	assert_int_equal(nc, 1);
	assert_string_equal(body, corpus[2].text);
	free(body);
	kb_chunk_rows_free(c, nc);
	kb_doc_row_free(&d);
	assert_int_equal(kb_store_doc(f->db, f->kb.id, "nothing.md", &d, NULL, NULL, NULL, NULL, &e), 0);
	/* replacing a file keeps the index exact; deleting it too */
	put_doc(f, &corpus[2]);
	assert_int_equal(kb_store_check(f->db, f->kb.id, &e), 0);
	struct kb_file file;
	assert_int_equal(kb_store_file_get(f->db, f->kb.id, "/abs/blog/c.md", &file, &e), 1);
	free(file.signature);
	assert_int_equal(kb_store_file_delete(f->db, f->kb.id, file.id, &e), 0);
	assert_int_equal(kb_store_check(f->db, f->kb.id, &e), 0);
	char *got = found(f, "gamma", NULL, 10);
	assert_string_equal(got, "");
	free(got);
	put_doc(f, &corpus[2]);
	/* names and removal */
	assert_false(kb_name_valid(""));
	assert_false(kb_name_valid("-x"));
	assert_false(kb_name_valid("a b"));
	assert_true(kb_name_valid("my-kb.v2_1"));
	assert_int_equal(kb_store_create(f->db, "other", &s, &e), 0);
	assert_int_equal(kb_store_remove(f->db, "other", &e), 1);
	assert_int_equal(kb_store_remove(f->db, "other", &e), 0);
	struct kb k;
	assert_int_equal(kb_store_get(f->db, "other", &k, &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_filter_operators, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter_combinations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter_inside_top_k, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter_errors, setup, teardown),
		cmocka_unit_test(test_filter_sql_is_bound),
		cmocka_unit_test_setup_teardown(test_hostile_queries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hits_and_marks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
