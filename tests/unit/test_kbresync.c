/* kb/resync: a KB watched on a real loop: a file written under its root is
 * synced in once the tree settles (reported through the callbacks, the KB
 * read again), no embedding asked for without a model, and *stop ends the
 * run as stopped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sys/stat.h>

#include "base/path.h"
#include "base/xmalloc.h"
#include "kb/resync.h"
#include "loop.h"
#include "testdb.h"

struct fixture {
	char dir[64];
	char *tree;
	struct db *db;
	struct kb kb;
	struct loop *loop;
	volatile sig_atomic_t stop;
	int watching, synced, embed_failed;
	size_t dirs;
	int64_t added, docs;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	if (!(f->db = testdb_open(f->dir, "kbresync")))
		return -1;
	f->tree = xasprintf("%s/tree", f->dir);
	if (mkdir(f->tree, 0700) != 0)
		return -1;
	struct kb_settings s;
	kb_settings_default(&s);
	struct err e = ERR_INIT;
	if (kb_store_create(f->db, "w", &s, &e) < 0 || kb_store_get(f->db, "w", &f->kb, &e) != 1)
		return -1;
	char *first = xasprintf("%s/a.md", f->tree);
	path_write_file(first, "# A\n\nalpha\n", 11, &e);
	free(first);
	const char *paths[] = { f->tree };
	struct kb_ingest_opts o;
	memset(&o, 0, sizeof o);
	struct kb_ingest_stats st;
	if (kb_ingest_add(f->db, &f->kb, paths, 1, &o, &st, &e) != KB_INGEST_OK)
		return -1;
	f->loop = loop_new();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	kb_free(&f->kb);
	loop_free(f->loop);
	free(f->tree);
	int rc = testdb_close(f->dir, f->db);
	free(f);
	return rc;
}

static void on_watching(void *ud, const struct kb *kb, size_t dirs)
{
	struct fixture *f = ud;
	assert_string_equal(kb->name, "w");
	f->watching++;
	f->dirs = dirs;
}

static const struct kb_embed_opts *no_opts(void *ud)
{
	(void)ud;
	fail_msg("a KB without an embedding model asked for embedding options");
	return NULL;
}

static void on_embed_failed(void *ud, const char *why)
{
	(void)why;
	((struct fixture *)ud)->embed_failed++;
}

static void on_synced(void *ud, const struct kb *kb, const struct kb_ingest_stats *st, const struct kb_embed_stats *es)
{
	struct fixture *f = ud;
	assert_int_equal(es->embedded, 0);
	f->synced++;
	f->added = st->added;
	f->docs = kb->docs;
	f->stop = 1; /* one round is enough */
}

static int64_t write_later(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct fixture *f = ud;
	char *p = xasprintf("%s/b.md", f->tree);
	struct err e = ERR_INIT;
	assert_int_equal(path_write_file(p, "# B\n\nbeta\n", 10, &e), 0);
	free(p);
	return LOOP_TIMER_DONE;
}

static int64_t give_up(struct loop *l, int64_t id, void *ud)
{
	(void)id;
	struct fixture *f = ud;
	f->stop = 1;
	loop_stop(l);
	return LOOP_TIMER_DONE;
}

static void test_change_is_synced(void **state)
{
	struct fixture *f = *state;
	struct kb_resync_cb cb = { on_watching, no_opts, on_embed_failed, on_synced, f };
	struct kb_ingest_opts o;
	memset(&o, 0, sizeof o);
	struct err e = ERR_INIT;
	loop_add_timer(f->loop, 100, write_later, f);
	int64_t guard = loop_add_timer(f->loop, 20000, give_up, f);
	assert_int_equal(kb_resync_run(f->db, &f->kb, &o, f->loop, &f->stop, &cb, &e), KB_INGEST_STOPPED);
	loop_del_timer(f->loop, guard);
	assert_int_equal(f->watching, 1);
	assert_int_equal(f->dirs, 1);
	assert_int_equal(f->synced, 1);
	assert_int_equal(f->added, 1);
	assert_int_equal(f->embed_failed, 0);
	assert_int_equal(f->kb.docs, 1); /* *kb is the read before the sync */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_change_is_synced, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
