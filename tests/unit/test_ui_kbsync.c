/* The workbench's kb add and kb sync in steps on the loop (ui/kbsync.h):
 * 20 files go in three steps of at most KBSYNC_STEP_FILES, each step
 * committed whole and reported, the last one done with every file stored and
 * the root recorded; a sync after files are removed removes their documents
 * and stores nothing; a cancel between steps keeps exactly the steps done
 * and calls nothing more; an unknown KB fails at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/xmalloc.h"
#include "kb/store.h"
#include "kbsync.h"
#include "loop.h"

struct fixture {
	char dir[64];
	struct db *db;
	struct loop *loop;
	char *tree;
};

struct seen {
	struct loop *loop;
	int steps, dones, rc;
	int64_t last_done_files, removed;
	char msg[600];
	struct kbsync *s;
	int cancel_after; /* cancel from outside after this many steps (0: never) */
};

static void on_step(void *ud, const struct kb_ingest_stats *st, int done, int rc, const char *msg)
{
	struct seen *v = ud;
	if (!done) {
		v->steps++;
		assert_true(st->added + st->updated <= KBSYNC_STEP_FILES);
		v->last_done_files = st->files_done;
		if (v->cancel_after && v->steps == v->cancel_after)
			loop_stop(v->loop);
		return;
	}
	v->dones++;
	v->rc = rc;
	v->removed = st->removed;
	snprintf(v->msg, sizeof v->msg, "%s", msg ? msg : "");
	loop_stop(v->loop);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	if (!(f->db = testdb_open(f->dir, "kbsync")))
		return -1;
	f->loop = loop_new();
	f->tree = xasprintf("%s/notes", f->dir);
	mkdir(f->tree, 0700);
	for (int i = 0; i < 20; i++) {
		char *p = xasprintf("%s/n%02d.md", f->tree, i);
		FILE *fp = fopen(p, "w");
		assert_non_null(fp);
		fprintf(fp, "# Note %d\n\nThe quokka number %d.\n", i, i);
		fclose(fp);
		free(p);
	}
	struct kb_settings s;
	kb_settings_default(&s);
	struct err e = ERR_INIT;
	if (kb_store_create(f->db, "t", &s, &e) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	loop_free(f->loop);
	free(f->tree);
	int rc = testdb_close(f->dir, f->db);
	free(f);
	return rc;
}

static int64_t docs_of(struct db *db)
{
	struct kb k;
	struct err e = ERR_INIT;
	assert_int_equal(kb_store_get(db, "t", &k, &e), 1);
	int64_t n = k.docs;
	kb_free(&k);
	return n;
}

static void test_add_in_steps_then_sync(void **state)
{
	struct fixture *f = *state;
	struct seen v = { .loop = f->loop };
	struct err e = ERR_INIT;
	v.s = kbsync_start(f->db, f->loop, "t", f->tree, on_step, &v, &e);
	assert_non_null(v.s);
	assert_int_equal(docs_of(f->db), 0); /* nothing before the loop runs */
	loop_run(f->loop);
	assert_int_equal(v.steps, 2);         /* 8, 16, then the last 4 in the final step */
	assert_int_equal(v.dones, 1);
	assert_int_equal(v.rc, KB_INGEST_OK);
	assert_int_equal(docs_of(f->db), 20);
	assert_int_equal(kb_store_check(f->db, 1, &e), 0);
	char **paths, **opts;
	size_t n;
	assert_int_equal(kb_store_roots(f->db, 1, &paths, &opts, &n, &e), 0);
	assert_int_equal(n, 1);
	kb_strings_free(paths, n);
	kb_strings_free(opts, n);

	for (int i = 0; i < 3; i++) {
		char *p = xasprintf("%s/n%02d.md", f->tree, i * 5);
		unlink(p);
		free(p);
	}
	struct seen w = { .loop = f->loop };
	assert_non_null(kbsync_start(f->db, f->loop, "t", NULL, on_step, &w, &e));
	loop_run(f->loop);
	assert_int_equal(w.steps, 0);
	assert_int_equal(w.dones, 1);
	assert_int_equal(w.rc, KB_INGEST_OK);
	assert_int_equal(w.removed, 3);
	assert_int_equal(docs_of(f->db), 17);
	assert_int_equal(kb_store_check(f->db, 1, &e), 0);
}

static void test_cancel_keeps_the_steps_done(void **state)
{
	struct fixture *f = *state;
	struct seen v = { .loop = f->loop, .cancel_after = 1 };
	struct err e = ERR_INIT;
	v.s = kbsync_start(f->db, f->loop, "t", f->tree, on_step, &v, &e);
	loop_run(f->loop); /* stops after the first step */
	kbsync_cancel(v.s);
	assert_int_equal(v.steps, 1);
	assert_int_equal(docs_of(f->db), KBSYNC_STEP_FILES);
	assert_int_equal(kb_store_check(f->db, 1, &e), 0);
	char **paths, **opts;
	size_t n;
	assert_int_equal(kb_store_roots(f->db, 1, &paths, &opts, &n, &e), 0);
	assert_int_equal(n, 0); /* the root is recorded only by a whole pass */
	kb_strings_free(paths, n);
	kb_strings_free(opts, n);
	kbsync_cancel(NULL);
}

static void test_unknown_kb(void **state)
{
	struct fixture *f = *state;
	struct seen v = { .loop = f->loop };
	struct err e = ERR_INIT;
	assert_null(kbsync_start(f->db, f->loop, "nope", NULL, on_step, &v, &e));
	assert_non_null(strstr(e.msg, "nope"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_in_steps_then_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_keeps_the_steps_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_kb, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
