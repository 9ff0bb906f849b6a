/* kb/docguard and where it runs: hidden characters stripped from a
 * document's body, title and metadata and counted in "hidden_chars" (with or
 * without redaction); redaction masking body, title and metadata strings;
 * the chunk flags the Knowledge pane shows; a KB's redact setting surviving
 * its JSON and changing the chunking signature; and kb/ingest storing only
 * masked, stripped text (the chunks and the FTS index never hold the
 * originals), re-chunking when redaction is turned on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "base/path.h"
#include "guard/guard.h"
#include "kb/docguard.h"
#include "kb/extract.h"
#include "kb/ingest.h"
#include "kb/search.h"
#include "kb/store.h"
#include "testdb.h"

/* U+E0041 U+E0042 (tags "AB"), ZWSP, ZWNJ, LRM, RLO, LRI, ALM, WJ, U+180E */
#define HIDDEN10 "\xF3\xA0\x81\x81\xF3\xA0\x81\x82\xE2\x80\x8B\xE2\x80\x8C\xE2\x80\x8E\xE2\x80\xAE\xE2\x81\xA6" \
		 "\xD8\x9C\xE2\x81\xA0\xE1\xA0\x8E"

static struct kb_doc doc(const char *title, const char *body, const char *meta)
{
	struct kb_doc d = { xstrdup("d.md"), title ? xstrdup(title) : NULL, xstrdup(body), strlen(body),
			    meta ? cJSON_Parse(meta) : cJSON_CreateObject() };
	return d;
}

static void doc_free(struct kb_doc *d)
{
	free(d->name);
	free(d->title);
	free(d->body);
	cJSON_Delete(d->meta);
}

static int meta_int(const struct kb_doc *d, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(d->meta, key);
	return cJSON_IsNumber(v) ? v->valueint : -1;
}

static void test_strip_hidden(void **state)
{
	(void)state;
	char s[] = "a" HIDDEN10 "b\xE2\x80\x8B\xE2\x80\x8B c \xC3\xA9 \xE2\x82\xAC";
	size_t n = strlen(s);
	assert_int_equal(guard_strip_hidden(s, &n), 12);
	assert_string_equal(s, "ab c \xC3\xA9 \xE2\x82\xAC");
	assert_int_equal(n, strlen(s));
	/* stray bytes around a removed ZWSP that would join into another one */
	char j[] = "x\xE2\x80\xE2\x80\x8B\x8By";
	n = strlen(j);
	assert_int_equal(guard_strip_hidden(j, &n), 2);
	assert_string_equal(j, "xy");
}

static void test_hidden_always_stripped(void **state)
{
	(void)state;
	struct kb_doc d = doc("Ti" HIDDEN10 "tle", "Read me." HIDDEN10 " Mail jane@example.com",
			      "{\"author\":\"x\xE2\x80\x8By\",\"n\":2}");
	struct kb_guard_counts c = { 0 };
	assert_int_equal(kb_doc_guard(&d, NULL, &c, NULL), 0);
	assert_int_equal(c.hidden, 21);
	assert_int_equal(c.masked, 0);
	assert_string_equal(d.title, "Title");
	assert_string_equal(d.body, "Read me. Mail jane@example.com"); /* not redacted */
	assert_int_equal(d.len, strlen(d.body));
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(d.meta, "author")->valuestring, "xy");
	assert_int_equal(meta_int(&d, "hidden_chars"), 21);
	assert_int_equal(meta_int(&d, "redacted"), -1);
	doc_free(&d);

	struct kb_doc clean = doc("T", "nothing hidden", NULL);
	assert_int_equal(kb_doc_guard(&clean, NULL, NULL, NULL), 0);
	assert_null(cJSON_GetObjectItemCaseSensitive(clean.meta, "hidden_chars"));
	doc_free(&clean);
}

static void test_redaction(void **state)
{
	(void)state;
	struct guard *g = guard_new(NULL, NULL);
	struct kb_doc d = doc("Card 4111 1111 1111 1111",
			      "Write to jane.doe@exa\xE2\x80\x8Bmple.com, key AKIAIOSFODNN7EXAMPLE, card 4111111111111111.",
			      "{\"owner\":\"bob@example.org\",\"tags\":[\"ok\",\"ssh alice@example.net\"]}");
	struct kb_guard_counts c = { 0 };
	assert_int_equal(kb_doc_guard(&d, g, &c, NULL), 0);
	assert_string_equal(d.body, "Write to [EMAIL], key [AWS_ACCESS_KEY_ID], card [CARD].");
	assert_string_equal(d.title, "Card [CARD]");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(d.meta, "owner")->valuestring, "[EMAIL]");
	const cJSON *tags = cJSON_GetObjectItemCaseSensitive(d.meta, "tags");
	assert_string_equal(cJSON_GetArrayItem(tags, 1)->valuestring, "ssh [EMAIL]");
	assert_int_equal(c.hidden, 1);
	assert_int_equal(c.masked, 6);
	assert_int_equal(meta_int(&d, "redacted"), 6);
	assert_int_equal(meta_int(&d, "hidden_chars"), 1);
	doc_free(&d);
	guard_free(g);
}

/* A pattern that stops (PCRE2's match limit) fails the document: its text
 * must not be stored with a match left unmasked. */
static void test_failed_pattern(void **state)
{
	(void)state;
	const struct guard_pattern pat = { "runaway", "(a+)+$" };
	const struct guard_config cfg = { NULL, 0, &pat, 1 };
	struct err e = ERR_INIT;
	struct guard *g = guard_new(&cfg, &e);
	assert_non_null(g);
	struct kb_doc d = doc("T", "mail jane@example.com aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", NULL);
	assert_int_equal(kb_doc_guard(&d, g, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "runaway"));
	doc_free(&d);
	guard_free(g);
}

static void test_chunk_flags(void **state)
{
	(void)state;
	const char *t = "mail \x01jane\x02@example.com, token ghp_0123456789abcdefghijABCDEFGHIJ012345";
	char *f = kb_chunk_flags(NULL, t, strlen(t), "{}");
	assert_non_null(f);
	assert_non_null(strstr(f, "email"));
	assert_non_null(strstr(f, "api_token"));
	assert_null(strstr(f, "hidden"));
	free(f);
	assert_null(kb_chunk_flags(NULL, "plain words", 11, NULL));
	assert_null(kb_chunk_flags(NULL, "[EMAIL] and [CARD]", 18, "{\"redacted\":2}"));
	f = kb_chunk_flags(NULL, "plain words", 11, "{\"hidden_chars\":3}");
	assert_string_equal(f, "hidden");
	free(f);
	f = kb_chunk_flags(NULL, "plain words", 11, "{\"hidden_elements\":1}");
	assert_string_equal(f, "hidden");
	free(f);
	f = kb_chunk_flags(NULL, "x" HIDDEN10 "y", strlen("x" HIDDEN10 "y"), NULL);
	assert_string_equal(f, "hidden");
	free(f);
	assert_int_equal(kb_meta_hidden_chars("{\"hidden_chars\":42,\"a\":1}"), 42);
	assert_int_equal(kb_meta_hidden_chars("{\"a\":1}"), 0);
	assert_int_equal(kb_meta_hidden_chars("not json \"hidden_chars\""), 0);
	assert_int_equal(kb_meta_hidden_chars(NULL), 0);
}

static void test_settings_round_trip(void **state)
{
	(void)state;
	struct kb_settings s, back;
	kb_settings_default(&s);
	char *plain_sig = kb_settings_signature(&s, "{}");
	s.redact = 1;
	char *j = kb_settings_json(&s);
	assert_non_null(strstr(j, "\"redact\":true"));
	kb_settings_parse(j, &back);
	assert_int_equal(back.redact, 1);
	free(j);
	kb_settings_parse("{\"chunker\":\"fixed\"}", &back); /* stored before the setting existed */
	assert_int_equal(back.redact, 0);
	char *sig = kb_settings_signature(&s, "{}");
	assert_string_not_equal(sig, plain_sig);
	s.redact = 0;
	char *again = kb_settings_signature(&s, "{}");
	assert_string_equal(again, plain_sig); /* KBs that never redacted keep their signature */
	free(sig);
	free(again);
	free(plain_sig);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int64_t hits(struct db *db, const struct kb *kb, const char *q)
{
	struct kb_search_opts so = { .query = q, .k = 10, .mode = KB_MODE_BM25, .with_text = 1 };
	struct kb_results r;
	struct err e = ERR_INIT;
	assert_int_equal(kb_search(db, kb, &so, &r, &e), 0);
	int64_t n = (int64_t)r.n;
	kb_results_free(&r);
	return n;
}

static char *chunk_text(struct db *db, const struct kb *kb, const char *doc_name, char **meta)
{
	struct kb_doc_row row;
	char *body = NULL;
	size_t len = 0;
	struct err e = ERR_INIT;
	assert_int_equal(kb_store_doc(db, kb->id, doc_name, &row, &body, &len, NULL, NULL, &e), 1);
	*meta = xstrdup(row.meta);
	kb_doc_row_free(&row);
	return body;
}

static void test_ingest_redacts_and_strips(void **state)
{
	(void)state;
	char dir[64];
	struct db *db = testdb_open(dir, "kbdocguard");
	assert_non_null(db);
	char *tree = xasprintf("%s/tree", dir);
	struct err e = ERR_INIT;
	assert_int_equal(path_mkdirs(tree, 0700, &e), 0);
	char *pii = xasprintf("%s/pii.md", tree), *inj = xasprintf("%s/inject.md", tree);
	write_file(pii, "# Contacts\n\nWrite to jane.doe@example.com or card 4111 1111 1111 1111.\n");
	write_file(inj, "# Notes\n\nThe report\xE2\x80\x8B is due." HIDDEN10 " Thanks.\n");
	struct kb_settings s;
	kb_settings_default(&s);
	struct kb kb;
	assert_int_equal(kb_store_create(db, "g", &s, &e), 0);
	assert_int_equal(kb_store_get(db, "g", &kb, &e), 1);
	const char *paths[] = { tree };
	struct kb_ingest_opts o = { 0 };
	struct kb_ingest_stats st;
	assert_int_equal(kb_ingest_add(db, &kb, paths, 1, &o, &st, &e), KB_INGEST_OK);
	assert_int_equal(st.hidden_chars, 11);
	assert_int_equal(st.redacted, 0);
	char *meta;
	char *body = chunk_text(db, &kb, "inject.md", &meta);
	assert_string_equal(body, "# Notes\n\nThe report is due. Thanks.\n");
	assert_non_null(strstr(meta, "\"hidden_chars\":11"));
	free(body);
	free(meta);
	assert_int_equal(hits(db, &kb, "jane"), 1); /* not redacting: the address is there */

	/* redaction on: the next sync re-chunks every file (the signature changed) */
	kb.set.redact = 1;
	assert_int_equal(kb_store_set_settings(db, kb.id, &kb.set, &e), 0);
	kb_free(&kb);
	assert_int_equal(kb_store_get(db, "g", &kb, &e), 1);
	assert_int_equal(kb.set.redact, 1);
	assert_int_equal(kb_ingest_sync(db, &kb, &o, &st, &e), KB_INGEST_OK);
	assert_int_equal(st.updated, 2);
	assert_int_equal(st.redacted, 2);
	body = chunk_text(db, &kb, "pii.md", &meta);
	assert_string_equal(body, "# Contacts\n\nWrite to [EMAIL] or card [CARD].\n");
	assert_non_null(strstr(meta, "\"redacted\":2"));
	free(body);
	free(meta);
	assert_int_equal(hits(db, &kb, "jane"), 0);
	assert_int_equal(hits(db, &kb, "4111"), 0);
	assert_int_equal(hits(db, &kb, "EMAIL"), 1);

	/* a changed file is redacted again on sync */
	write_file(pii, "# Contacts\n\nNow call bob@example.org instead, more text here.\n");
	assert_int_equal(kb_ingest_sync(db, &kb, &o, &st, &e), KB_INGEST_OK);
	assert_int_equal(st.updated, 1);
	assert_int_equal(hits(db, &kb, "bob"), 0);
	assert_int_equal(kb_store_check(db, kb.id, &e), 0);

	kb_free(&kb);
	free(pii);
	free(inj);
	free(tree);
	assert_int_equal(testdb_close(dir, db), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strip_hidden),
		cmocka_unit_test(test_hidden_always_stripped),
		cmocka_unit_test(test_redaction),
		cmocka_unit_test(test_failed_pattern),
		cmocka_unit_test(test_chunk_flags),
		cmocka_unit_test(test_settings_round_trip),
		cmocka_unit_test(test_ingest_redacts_and_strips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
