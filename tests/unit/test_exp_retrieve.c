/* exp/retrieve: an experiment's kb settings checked against the database,
 * each row's query rendered and searched, the sources as {{context}} and the
 * record of what was used; errors name the setting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exp/retrieve.h"
#include "kb/search.h"
#include "kb/store.h"
#include "testdb.h"

#define S(x) ((char *)(uintptr_t)(x))

struct fixture {
	char dir[64];
	struct db *db;
};

static void put_doc(struct db *db, const struct kb *kb, const char *path, const char *text, const char *meta)
{
	struct kb_doc d = { (char *)(uintptr_t)path, (char *)(uintptr_t)path, (char *)(uintptr_t)text, strlen(text),
			    cJSON_Parse(meta) };
	struct kb_chunk c = { 0, strlen(text), (char *)(uintptr_t)"", 1 };
	struct kb_doc_in in = { &d, path, "text", 0, &c, 1 };
	struct err e = ERR_INIT;
	char *abs = xasprintf("/abs/%s", path);
	assert_true(kb_store_file_put(db, kb, abs, 10, 1, "00", "sig", &in, 1, &e) == 1);
	free(abs);
	cJSON_Delete(d.meta);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	if (!(f->db = testdb_open(f->dir, "expretrieve")))
		return -1;
	struct kb_settings s;
	kb_settings_default(&s);
	struct err e = ERR_INIT;
	struct kb kb;
	if (kb_store_create(f->db, "fleet", &s, &e) < 0 || kb_store_get(f->db, "fleet", &kb, &e) != 1)
		return -1;
	put_doc(f->db, &kb, "tyres.txt", "Winter tyres go on every van in November.", "{\"year\":2024}");
	put_doc(f->db, &kb, "helmets.txt", "Helmets are cleaned each evening; tyres are checked weekly.", "{\"year\":2020}");
	kb_free(&kb);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc = testdb_close(f->dir, f->db);
	free(f);
	return rc;
}

/* A spec of one row {"question": q} and the given settings (borrowed). */
static void spec_of(struct exp_spec *s, const char *q, struct exp_kb *kbs, size_t n)
{
	memset(s, 0, sizeof *s);
	s->rows = cJSON_CreateArray();
	cJSON *row = cJSON_CreateObject();
	cJSON_AddStringToObject(row, "question", q);
	cJSON_AddItemToArray(s->rows, row);
	s->nrows = 1;
	s->row = xcalloc(1, sizeof *s->row);
	s->row[0] = row;
	s->kbs = kbs;
	s->nkbs = n;
}

static void spec_done(struct exp_spec *s)
{
	cJSON_Delete(s->rows);
	free(s->row);
}

static void test_case_context_and_record(void **state)
{
	struct fixture *f = *state;
	struct exp_kb kbs[] = {
		{ S("all"), S("fleet"), 5, KB_MODE_BM25, NULL, S("{{question}}"), -1 },
		{ S("recent"), S("fleet"), 1, KB_MODE_BM25, S("year >= 2024"), S("tyres {{question}}"), -1 },
	};
	struct exp_spec s;
	spec_of(&s, "when are tyres checked", kbs, 2);
	struct err e = ERR_INIT;
	struct exp_retrieve *r = exp_retrieve_open(&s, f->db, NULL, NULL, NULL, NULL, &e);
	assert_non_null(r);
	char *context = NULL;
	cJSON *rec = NULL;
	assert_int_equal(exp_retrieve_case(r, 0, 0, &context, &rec, &e), 0);
	assert_non_null(strstr(context, "not instructions"));
	assert_non_null(strstr(context, "[1] <source document=\"helmets.txt\">\nHelmets are cleaned each evening"));
	assert_non_null(strstr(context, "[2] <source document=\"tyres.txt\">"));
	assert_string_equal(cJSON_GetObjectItem(rec, "label")->valuestring, "all");
	assert_string_equal(cJSON_GetObjectItem(rec, "name")->valuestring, "fleet");
	assert_string_equal(cJSON_GetObjectItem(rec, "query")->valuestring, "when are tyres checked");
	assert_string_equal(cJSON_GetObjectItem(rec, "mode")->valuestring, "bm25");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(rec, "chunks")), 2);
	free(context);
	cJSON_Delete(rec);
	/* the filter applies inside the search; the query is the row rendered */
	assert_int_equal(exp_retrieve_case(r, 1, 0, &context, &rec, &e), 0);
	assert_null(strstr(context, "helmets.txt"));
	assert_non_null(strstr(context, "Winter tyres go on every van"));
	assert_string_equal(cJSON_GetObjectItem(rec, "query")->valuestring, "tyres when are tyres checked");
	assert_string_equal(cJSON_GetObjectItem(rec, "filter")->valuestring, "year >= 2024");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(rec, "chunks")), 1);
	free(context);
	cJSON_Delete(rec);
	cJSON *js = exp_retrieve_settings_json(&s);
	char *txt = cJSON_PrintUnformatted(js);
	assert_string_equal(txt, "[{\"label\":\"all\",\"name\":\"fleet\",\"k\":5,\"mode\":\"bm25\",\"filter\":null,"
				 "\"query\":\"{{question}}\"},{\"label\":\"recent\",\"name\":\"fleet\",\"k\":1,\"mode\":"
				 "\"bm25\",\"filter\":\"year >= 2024\",\"query\":\"tyres {{question}}\"}]");
	free(txt);
	cJSON_Delete(js);
	exp_retrieve_free(r);
	spec_done(&s);
}

static void test_errors(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	struct exp_spec s;
	struct exp_kb missing[] = { { S("m"), S("nope"), 5, KB_MODE_BM25, NULL, S("{{question}}"), -1 } };
	spec_of(&s, "q", missing, 1);
	assert_null(exp_retrieve_open(&s, f->db, NULL, NULL, NULL, NULL, &e));
	assert_string_equal(e.msg, "kb m: there is no knowledge base named nope; 'aiwb kb ls' lists them");
	spec_done(&s);

	struct exp_kb vector[] = { { S("v"), S("fleet"), 5, KB_MODE_HYBRID, NULL, S("{{question}}"), -1 } };
	spec_of(&s, "q", vector, 1);
	assert_null(exp_retrieve_open(&s, f->db, NULL, NULL, NULL, NULL, &e));
	assert_non_null(strstr(e.msg, "kb v: fleet has no embedding model, so mode hybrid cannot search it"));
	spec_done(&s);

	struct exp_kb empty[] = { { S("e"), S("fleet"), 5, KB_MODE_BM25, NULL, S("{{other}}"), -1 } };
	spec_of(&s, "q", empty, 1);
	struct exp_retrieve *r = exp_retrieve_open(&s, f->db, NULL, NULL, NULL, NULL, &e);
	assert_non_null(r);
	char *context = NULL;
	cJSON *rec = NULL;
	assert_int_equal(exp_retrieve_case(r, 0, 0, &context, &rec, &e), -1);
	assert_string_equal(e.msg, "kb e: row 0: the query '{{other}}' renders empty");
	assert_null(context);
	assert_null(rec);
	exp_retrieve_free(r);
	spec_done(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_case_context_and_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
