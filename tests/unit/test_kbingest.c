/* kb/ingest on a temporary tree: skips with reasons, unchanged files cost no
 * write, changed files are re-chunked, sync removes gone files, settings
 * changes re-chunk, globs, and a stop between batches keeps whole batches.
 * The step API: the walk is done by the first steps (a time budget cuts it
 * into several, before any file is stored), counts every file and skip and
 * keeps nothing of their contents; each step stores at most its files as one
 * committed batch (no transaction open between steps) and the totals are
 * the whole run's; a time budget ends a step early; a sync removes the
 * files that are gone in batches of the step size, then records the sync. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/path.h"
#include "kb/ingest.h"
#include "kb/search.h"
#include "testdb.h"

struct fixture {
	char dir[64];
	struct db *db;
	char *tree;
	struct kb kb;
};

static void write_file(const char *tree, const char *rel, const void *data, size_t n)
{
	char *p = xasprintf("%s/%s", tree, rel);
	char *slash = strrchr(p, '/');
	*slash = '\0';
	struct err e = ERR_INIT;
	path_mkdirs(p, 0700, &e);
	*slash = '/';
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	fwrite(data, 1, n, f);
	fclose(f);
	free(p);
}

#define WRITE(tree, rel, lit) write_file(tree, rel, lit, sizeof(lit) - 1)

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	if (!(f->db = testdb_open(f->dir, "kbingest")))
		return -1;
	f->tree = xasprintf("%s/tree", f->dir);
	WRITE(f->tree, "a.md", "---\ntitle: Alpha\nyear: 2024\n---\n# Alpha\n\nThe alpha document about apples.\n");
	WRITE(f->tree, "b.txt", "bravo\r\nline\0two \xFF\xFE end\r\n");
	WRITE(f->tree, ".hidden.md", "hidden text\n");
	WRITE(f->tree, ".git/config", "[core]\n");
	WRITE(f->tree, "img.png", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
	char big[5000];
	memset(big, 'x', sizeof big);
	write_file(f->tree, "big.txt", big, sizeof big);
	WRITE(f->tree, "sub/c.html", "<html><head><title>Charlie</title></head><body><p>charlie page</p></body></html>");
	WRITE(f->tree, "sub/data.jsonl", "{\"_id\":\"d1\",\"text\":\"delta one\"}\n{\"_id\":\"d2\",\"text\":\"delta two\"}\n");
	struct kb_settings s;
	kb_settings_default(&s);
	s.max_file_bytes = 4096;
	struct err e = ERR_INIT;
	if (kb_store_create(f->db, "t", &s, &e) < 0 || kb_store_get(f->db, "t", &f->kb, &e) != 1)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	kb_free(&f->kb);
	free(f->tree);
	int rc = testdb_close(f->dir, f->db);
	free(f);
	return rc;
}

static int add(struct fixture *f, const struct kb_ingest_opts *o, struct kb_ingest_stats *st)
{
	struct kb_ingest_opts none;
	memset(&none, 0, sizeof none);
	const char *paths[] = { f->tree };
	struct err e = ERR_INIT;
	int rc = kb_ingest_add(f->db, &f->kb, paths, 1, o ? o : &none, st, &e);
	if (rc == KB_INGEST_FAILED)
		fail_msg("ingest: %s", e.msg);
	return rc;
}

static int64_t docs_of(struct fixture *f)
{
	struct kb k;
	struct err e = ERR_INIT;
	assert_int_equal(kb_store_get(f->db, "t", &k, &e), 1);
	int64_t n = k.docs;
	kb_free(&k);
	return n;
}

static void test_skips_and_formats(void **state)
{
	struct fixture *f = *state;
	struct kb_ingest_stats st;
	assert_int_equal(add(f, NULL, &st), KB_INGEST_OK);
	assert_int_equal(st.added, 4);
	assert_int_equal(st.docs, 5); /* a.md, b.txt, c.html and two JSONL records */
	assert_int_equal(st.skipped[KB_SKIP_HIDDEN], 2);
	assert_int_equal(st.skipped[KB_SKIP_BINARY], 1);
	assert_int_equal(st.skipped[KB_SKIP_TOO_LARGE], 1);
	assert_int_equal(st.repaired_bytes, 2);
	assert_int_equal(st.dropped_nuls, 1);
	struct err e = ERR_INIT;
	assert_int_equal(kb_store_check(f->db, f->kb.id, &e), 0);
	struct kb_doc_row d;
	char *body;
	size_t len;
	assert_int_equal(kb_store_doc(f->db, f->kb.id, "b.txt", &d, &body, &len, NULL, NULL, &e), 1);
	assert_string_equal(body, "bravo\nlinetwo \xEF\xBF\xBD\xEF\xBF\xBD end\n");
	free(body);
	kb_doc_row_free(&d);
	assert_int_equal(kb_store_doc(f->db, f->kb.id, "d2", &d, NULL, NULL, NULL, NULL, &e), 1);
	assert_true(strstr(d.name, "sub/data.jsonl#d2") != NULL);
	assert_string_equal(d.format, "jsonl");
	kb_doc_row_free(&d);
	assert_int_equal(kb_store_doc(f->db, f->kb.id, "a.md", &d, NULL, NULL, NULL, NULL, &e), 1);
	assert_string_equal(d.title, "Alpha");
	assert_non_null(strstr(d.meta, "\"year\":2024"));
	kb_doc_row_free(&d);
}

static void test_unchanged_writes_nothing(void **state)
{
	struct fixture *f = *state;
	struct kb_ingest_stats st;
	add(f, NULL, &st);
	struct err le = ERR_INIT;
	kb_free(&f->kb);
	assert_int_equal(kb_store_get(f->db, "t", &f->kb, &le), 1);
	sqlite3_int64 before = sqlite3_total_changes64(db_handle(f->db));
	assert_int_equal(add(f, NULL, &st), KB_INGEST_OK);
	assert_int_equal(st.unchanged, 4);
	assert_int_equal(st.added + st.updated, 0);
	assert_int_equal(st.batches, 0);
	assert_true(sqlite3_total_changes64(db_handle(f->db)) == before);
	/* same bytes, new mtime: hashed, only the mtime is written */
	char *p = xasprintf("%s/a.md", f->tree);
	struct timeval tv[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	assert_int_equal(utimes(p, tv), 0);
	assert_int_equal(add(f, NULL, &st), KB_INGEST_OK);
	assert_int_equal(st.unchanged, 4);
	assert_int_equal(st.updated, 0);
	/* new bytes: re-chunked */
	WRITE(f->tree, "a.md", "# Alpha\n\nNow about apricots.\n");
	assert_int_equal(add(f, NULL, &st), KB_INGEST_OK);
	assert_int_equal(st.updated, 1);
	assert_int_equal(st.unchanged, 3);
	struct err e = ERR_INIT;
	assert_int_equal(kb_store_check(f->db, f->kb.id, &e), 0);
	struct kb_search_opts o = { .query = "apples", .k = 10 };
	struct kb_results r;
	assert_int_equal(kb_search(f->db, &f->kb, &o, &r, &e), 0);
	assert_int_equal(r.n, 0);
	kb_results_free(&r);
	o.query = "apricot";
	assert_int_equal(kb_search(f->db, &f->kb, &o, &r, &e), 0);
	assert_int_equal(r.n, 1);
	kb_results_free(&r);
	free(p);
}

static void test_settings_change_rechunks(void **state)
{
	struct fixture *f = *state;
	struct kb_ingest_stats st;
	add(f, NULL, &st);
	struct kb_settings s = f->kb.set;
	s.chunker = KB_CHUNK_SENTENCE;
	struct err e = ERR_INIT;
	assert_int_equal(kb_store_set_settings(f->db, f->kb.id, &s, &e), 0);
	kb_free(&f->kb);
	kb_store_get(f->db, "t", &f->kb, &e);
	struct kb_ingest_opts o;
	memset(&o, 0, sizeof o);
	assert_int_equal(kb_ingest_sync(f->db, &f->kb, &o, &st, &e), KB_INGEST_OK);
	assert_int_equal(st.updated, 4);
	assert_int_equal(kb_store_check(f->db, f->kb.id, &e), 0);
}

static void test_sync_removes_gone(void **state)
{
	struct fixture *f = *state;
	struct kb_ingest_stats st;
	add(f, NULL, &st);
	assert_int_equal(docs_of(f), 5);
	char *p = xasprintf("%s/sub/data.jsonl", f->tree);
	unlink(p);
	free(p);
	WRITE(f->tree, "sub/new.txt", "a new file\n");
	struct kb_ingest_opts o;
	memset(&o, 0, sizeof o);
	struct err e = ERR_INIT;
	assert_int_equal(kb_ingest_sync(f->db, &f->kb, &o, &st, &e), KB_INGEST_OK);
	assert_int_equal(st.removed, 1);
	assert_int_equal(st.added, 1);
	assert_int_equal(docs_of(f), 4);
	assert_int_equal(kb_store_check(f->db, f->kb.id, &e), 0);
}

static void test_globs(void **state)
{
	struct fixture *f = *state;
	const char *inc[] = { "*.md", "*.html" };
	const char *exc[] = { "sub" };
	struct kb_ingest_opts o;
	memset(&o, 0, sizeof o);
	o.include = inc;
	o.ninclude = 2;
	struct kb_ingest_stats st;
	add(f, &o, &st);
	assert_int_equal(st.added, 2); /* a.md, sub/c.html */
	o.exclude = exc;
	o.nexclude = 1;
	o.include = NULL;
	o.ninclude = 0;
	add(f, &o, &st);
	assert_int_equal(st.skipped[KB_SKIP_EXCLUDED], 1); /* the sub directory, once */
	assert_int_equal(st.added, 1);                     /* b.txt */
}

struct stopper {
	volatile sig_atomic_t *flag;
	int after;
};

static void stop_after(void *ud, const struct kb_ingest_stats *st, const char *path, const char *skip)
{
	(void)path;
	(void)skip;
	struct stopper *s = ud;
	if (st->files_done + 1 >= s->after)
		*s->flag = 1;
}

static void test_stop_keeps_whole_batches(void **state)
{
	struct fixture *f = *state;
	for (int i = 0; i < 9; i++) {
		char name[32], text[64];
		snprintf(name, sizeof name, "many/f%d.txt", i);
		snprintf(text, sizeof text, "file number %d\n", i);
		write_file(f->tree, name, text, strlen(text));
	}
	char *many = xasprintf("%s/many", f->tree);
	volatile sig_atomic_t flag = 0;
	struct stopper s = { &flag, 5 };
	struct kb_ingest_opts o;
	memset(&o, 0, sizeof o);
	o.batch_files = 2;
	o.stop = &flag;
	o.on_file = stop_after;
	o.ud = &s;
	struct kb_ingest_stats st;
	struct err e = ERR_INIT;
	const char *paths[] = { many };
	assert_int_equal(kb_ingest_add(f->db, &f->kb, paths, 1, &o, &st, &e), KB_INGEST_STOPPED);
	assert_int_equal(st.batches, 2);
	assert_int_equal(docs_of(f), 4); /* the fifth file's batch was rolled back */
	assert_int_equal(kb_store_check(f->db, f->kb.id, &e), 0);
	flag = 0;
	s.after = 1000;
	assert_int_equal(kb_ingest_add(f->db, &f->kb, paths, 1, &o, &st, &e), KB_INGEST_OK);
	assert_int_equal(st.unchanged, 4);
	assert_int_equal(st.added, 5);
	assert_int_equal(docs_of(f), 9);
	free(many);
}

static void test_missing_path(void **state)
{
	struct fixture *f = *state;
	struct kb_ingest_opts o;
	memset(&o, 0, sizeof o);
	struct kb_ingest_stats st;
	struct err e = ERR_INIT;
	const char *paths[] = { "/nonexistent/aiwb-kb-test" };
	assert_int_equal(kb_ingest_add(f->db, &f->kb, paths, 1, &o, &st, &e), KB_INGEST_FAILED);
	assert_non_null(strstr(e.msg, "/nonexistent/aiwb-kb-test"));
	assert_string_equal(kb_skip_reason(KB_SKIP_BINARY), "binary");
}

static void test_steps(void **state)
{
	struct fixture *f = *state;
	for (int i = 0; i < 7; i++) {
		char name[32], text[64];
		snprintf(name, sizeof name, "many/f%d.txt", i);
		snprintf(text, sizeof text, "file number %d\n", i);
		write_file(f->tree, name, text, strlen(text));
	}
	struct kb_ingest_opts o;
	memset(&o, 0, sizeof o);
	struct err e = ERR_INIT;
	const char *paths[] = { f->tree };
	struct kb_ingest *in = kb_ingest_begin_add(f->db, &f->kb, paths, 1, &o, &e);
	assert_non_null(in);
	const struct kb_ingest_stats *st = kb_ingest_stats(in);
	assert_int_equal(st->files_total, 0); /* the walk is the steps' work */
	assert_true(kb_ingest_walking(in));
	int walk_steps = 0, rc;
	while (kb_ingest_walking(in)) { /* 1 us a step: the walk takes several */
		rc = kb_ingest_step(in, 3, 1, &e);
		walk_steps++;
		assert_true(rc == KB_INGEST_MORE);
		if (kb_ingest_walking(in))
			assert_int_equal(st->added, 0); /* no file before the walk is done */
	}
	assert_true(walk_steps >= 2);
	/* 7 + a, b, big, img, c, data kept; .hidden.md and .git skipped by the walk */
	assert_int_equal(st->files_total, 15);
	assert_true(st->files_done >= 2 && st->files_done <= 3); /* the skips, and a file when the walk ended early in its step */
	assert_int_equal(st->skipped[KB_SKIP_HIDDEN], 2);
	assert_true(st->bytes_total > 5000);
	assert_int_equal(docs_of(f), st->docs);
	int steps = 0;
	int64_t before = st->added;
	while ((rc = kb_ingest_step(in, 3, 0, &e)) == KB_INGEST_MORE) {
		steps++;
		assert_true(sqlite3_get_autocommit(db_handle(f->db))); /* committed */
		assert_true(st->added - before <= 3);
		before = st->added;
		assert_int_equal(docs_of(f), st->docs);
	}
	assert_int_equal(rc, KB_INGEST_OK);
	assert_int_equal(st->added, 11);
	assert_int_equal(st->files_done, 15);
	assert_true(steps >= 3 && steps <= 4); /* 3 at a time after the walk's last step stored one or none */
	assert_true(st->batches >= 4);
	assert_int_equal(kb_ingest_step(in, 3, 0, &e), KB_INGEST_OK); /* done stays done */
	kb_ingest_end(in);

	/* a time budget of 1 us ends a step after its first file that takes
	 * longer (storing a changed file always does); a generous one does not */
	WRITE(f->tree, "many/f0.txt", "changed one\n");
	WRITE(f->tree, "many/f1.txt", "changed two\n");
	in = kb_ingest_begin_add(f->db, &f->kb, paths, 1, &o, &e);
	steps = 0;
	while ((rc = kb_ingest_step(in, 100, 1, &e)) == KB_INGEST_MORE)
		steps++;
	assert_int_equal(rc, KB_INGEST_OK);
	assert_true(steps >= 2); /* the walk and the files, a little at a time */
	kb_ingest_end(in);
	in = kb_ingest_begin_add(f->db, &f->kb, paths, 1, &o, &e);
	assert_int_equal(kb_ingest_step(in, 100, 60000000, &e), KB_INGEST_OK);
	assert_int_equal(kb_ingest_stats(in)->unchanged, 11); /* big.txt and img.png are skipped */
	kb_ingest_end(in);

	/* sync: 7 files gone, removed 3 at a time */
	for (int i = 0; i < 7; i++) {
		char *p = xasprintf("%s/many/f%d.txt", f->tree, i);
		unlink(p);
		free(p);
	}
	in = kb_ingest_begin_sync(f->db, &f->kb, &o, &e);
	assert_non_null(in);
	steps = 0;
	while ((rc = kb_ingest_step(in, 3, 0, &e)) == KB_INGEST_MORE) {
		steps++;
		assert_true(sqlite3_get_autocommit(db_handle(f->db)));
	}
	assert_int_equal(rc, KB_INGEST_OK);
	assert_int_equal(kb_ingest_stats(in)->removed, 7);
	assert_true(steps >= 3);
	kb_ingest_end(in);
	assert_int_equal(docs_of(f), 5);
	assert_int_equal(kb_store_check(f->db, f->kb.id, &e), 0);
	kb_ingest_end(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_skips_and_formats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unchanged_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_settings_change_rechunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_removes_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_globs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_keeps_whole_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_steps, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
