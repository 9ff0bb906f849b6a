/* The workbench's kb add and kb sync in steps on the loop (ui/kbsync.h):
 * 20 files go in three steps of at most
 * KBSYNC_STEP_FILES, each committed whole and reported, the first one with
 * the walk done and its totals, the last one done with every file stored and
 * the root recorded; an include glob keeps only its files (and sync reuses
 * it); a sync after files are removed removes their documents; a cancel
 * between steps keeps exactly the steps done and calls nothing more; an
 * unknown KB or a missing path fails at once. With an embedding model the
 * chunks are then embedded on the loop against a fake OpenAI server (one
 * batch, progress reported, vectors stored); a provider error leaves a sound
 * KB with the text stored, no vector, and one sentence saying so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdb.h"
#include "testhttp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/xmalloc.h"
#include "config.h"
#include "kb/store.h"
#include "kbsync.h"
#include "loop.h"

/* a budget no step reaches, so steps end by their count of files alone */
#define STEP_US ((int64_t)60 * 1000000)

struct fixture {
	char dir[64];
	struct db *db;
	struct loop *loop;
	char *tree;
};

struct seen {
	struct loop *loop;
	int steps, dones, rc, embed_steps, embedding, embed_failed;
	int64_t last_stored, removed, files_total_first, embedded;
	char msg[1200];
	struct kbsync *s;
	int cancel_after; /* cancel from outside after this many steps (0: never) */
};

static void on_step(void *ud, const struct kbsync_progress *p, int done, int rc, const char *msg)
{
	struct seen *v = ud;
	const struct kb_ingest_stats *st = &p->st;
	if (!done) {
		if (p->embedding) {
			v->embed_steps++;
			return;
		}
		v->steps++;
		if (v->steps == 1)
			v->files_total_first = st->files_total;
		assert_true(st->added + st->updated - v->last_stored <= KBSYNC_STEP_FILES);
		v->last_stored = st->added + st->updated;
		if (v->cancel_after && v->steps == v->cancel_after)
			loop_stop(v->loop);
		return;
	}
	v->dones++;
	v->rc = rc;
	v->removed = st->removed;
	v->last_stored = st->added + st->updated;
	v->embedding = p->embedding;
	v->embed_failed = p->embed_failed;
	v->embedded = p->es.embedded;
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

static struct kbsync *start(struct fixture *f, const char *name, const char *line, struct seen *v, struct err *e)
{
	struct kb_addline add;
	if (line)
		assert_int_equal(kb_addline_parse(line, &add, e), 0);
	struct kbsync_env env = { NULL, NULL, 0, STEP_US };
	struct kbsync *s = kbsync_start(f->db, f->loop, &env, name, line ? &add : NULL, on_step, v, e);
	if (line)
		kb_addline_free(&add);
	return s;
}

static void test_add_in_steps_then_sync(void **state)
{
	struct fixture *f = *state;
	struct seen v = { .loop = f->loop };
	struct err e = ERR_INIT;
	v.s = start(f, "t", f->tree, &v, &e);
	assert_non_null(v.s);
	assert_int_equal(kbsync_progress(v.s)->walking, 1); /* the walk is the steps' work */
	assert_int_equal(docs_of(f->db), 0);                /* nothing stored before the loop runs */
	loop_run(f->loop);
	assert_int_equal(v.steps, 2); /* 8, 16, then the last 4 in the final step */
	assert_int_equal(v.files_total_first, 20);
	assert_int_equal(v.dones, 1);
	assert_int_equal(v.rc, KB_INGEST_OK);
	assert_int_equal(v.last_stored, 20);
	assert_int_equal(v.embedding, 0); /* no embedding model: no embedding pass */
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
	assert_non_null(start(f, "t", NULL, &w, &e));
	loop_run(f->loop);
	assert_int_equal(w.dones, 1);
	assert_int_equal(w.rc, KB_INGEST_OK);
	assert_int_equal(w.removed, 3);
	assert_int_equal(w.last_stored, 0);
	assert_int_equal(docs_of(f->db), 17);
	assert_int_equal(kb_store_check(f->db, 1, &e), 0);
}

static void test_add_with_globs(void **state)
{
	struct fixture *f = *state;
	struct seen v = { .loop = f->loop };
	struct err e = ERR_INIT;
	char *line = xasprintf("%s +n0*.md -n05.md", f->tree);
	assert_non_null(start(f, "t", line, &v, &e));
	free(line);
	loop_run(f->loop);
	assert_int_equal(v.rc, KB_INGEST_OK);
	assert_int_equal(v.last_stored, 9); /* n00..n09 without n05 */
	assert_int_equal(docs_of(f->db), 9);
	struct seen w = { .loop = f->loop };
	assert_non_null(start(f, "t", NULL, &w, &e)); /* sync keeps the globs given to add */
	loop_run(f->loop);
	assert_int_equal(w.rc, KB_INGEST_OK);
	assert_int_equal(w.removed, 0);
	assert_int_equal(docs_of(f->db), 9);
}

static void test_cancel_keeps_the_steps_done(void **state)
{
	struct fixture *f = *state;
	struct seen v = { .loop = f->loop, .cancel_after = 1 };
	struct err e = ERR_INIT;
	v.s = start(f, "t", f->tree, &v, &e);
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

static void test_unknown_kb_or_path(void **state)
{
	struct fixture *f = *state;
	struct seen v = { .loop = f->loop };
	struct err e = ERR_INIT;
	assert_null(start(f, "nope", NULL, &v, &e));
	assert_non_null(strstr(e.msg, "nope"));
	assert_null(start(f, "t", "/nonexistent/aiwb-kbsync", &v, &e));
	assert_non_null(strstr(e.msg, "/nonexistent/aiwb-kbsync"));
	assert_int_equal(v.dones, 0);
}

/* ---- embeddings, against a fake OpenAI server */

static int64_t guard(struct loop *l, int64_t id, void *ud)
{
	(void)id;
	(void)ud;
	loop_stop(l);
	return LOOP_TIMER_DONE;
}

static void embedded_kb(struct fixture *f, struct fake *fk)
{
	struct kb_settings s;
	kb_settings_default(&s);
	snprintf(s.embed, sizeof s.embed, "openai/text-embedding-3-small");
	struct err e = ERR_INIT;
	assert_int_equal(kb_store_create(f->db, "v", &s, &e), 0);
	fake_start(fk, f->loop);
	char *url = xasprintf("http://127.0.0.1:%d/v1", fk->port);
	setenv("OPENAI_BASE_URL", url, 1);
	setenv("OPENAI_API_KEY", "sk-unit-kbsync", 1);
	free(url);
}

static int64_t vectors_of(struct fixture *f)
{
	struct kb k;
	struct err e = ERR_INIT;
	assert_int_equal(kb_store_get(f->db, "v", &k, &e), 1);
	int64_t with = 0, without = 0;
	assert_int_equal(kb_embed_counts(f->db, &k, &with, &without, &e), 0);
	kb_free(&k);
	return with;
}

static void test_embeddings_on_the_loop(void **state)
{
	struct fixture *f = *state;
	struct fake fk;
	memset(&fk, 0, sizeof fk);
	embedded_kb(f, &fk);
	struct buf body = BUF_INIT;
	buf_puts(&body, "{\"object\":\"list\",\"data\":[");
	for (int i = 0; i < 20; i++)
		buf_printf(&body, "%s{\"object\":\"embedding\",\"index\":%d,\"embedding\":[%d,1,0]}", i ? "," : "", i, i + 1);
	buf_puts(&body, "],\"model\":\"text-embedding-3-small\",\"usage\":{\"prompt_tokens\":9,\"total_tokens\":9}}");
	fake_respond(&fk, 200, "Content-Type: application/json\r\n", buf_str(&body), 1);
	buf_free(&body);
	struct config cfg;
	memset(&cfg, 0, sizeof cfg);
	struct kbsync_env env = { &cfg, NULL, 0, STEP_US };
	struct seen v = { .loop = f->loop };
	struct err e = ERR_INIT;
	struct kb_addline add;
	assert_int_equal(kb_addline_parse(f->tree, &add, &e), 0);
	assert_non_null(kbsync_start(f->db, f->loop, &env, "v", &add, on_step, &v, &e));
	kb_addline_free(&add);
	int64_t g = loop_add_timer(f->loop, 10000, guard, NULL);
	loop_run(f->loop);
	loop_del_timer(f->loop, g);
	assert_int_equal(v.dones, 1);
	assert_string_equal(v.msg, "");
	assert_int_equal(v.rc, KB_INGEST_OK);
	assert_int_equal(v.embedding, 1);
	assert_int_equal(v.embed_failed, 0);
	assert_int_equal(v.embedded, 20);
	assert_true(v.embed_steps >= 1); /* progress while embedding */
	assert_int_equal(vectors_of(f), 20);
	const char *req = buf_str(&fk.last);
	assert_non_null(strstr(req, "POST /v1/embeddings"));
	assert_non_null(strstr(req, "The quokka number 19."));
	assert_int_equal(kb_store_check(f->db, 2, &e), 0);
	fake_stop(&fk);
}

static void test_embedding_error_keeps_the_kb(void **state)
{
	struct fixture *f = *state;
	struct fake fk;
	memset(&fk, 0, sizeof fk);
	embedded_kb(f, &fk);
	fake_respond(&fk, 400, "Content-Type: application/json\r\n",
		     "{\"error\":{\"message\":\"model not found\",\"type\":\"invalid_request_error\",\"code\":\"model_not_found\"}}",
		     1);
	struct config cfg;
	memset(&cfg, 0, sizeof cfg);
	struct kbsync_env env = { &cfg, NULL, 0, STEP_US };
	struct seen v = { .loop = f->loop };
	struct err e = ERR_INIT;
	struct kb_addline add;
	assert_int_equal(kb_addline_parse(f->tree, &add, &e), 0);
	assert_non_null(kbsync_start(f->db, f->loop, &env, "v", &add, on_step, &v, &e));
	kb_addline_free(&add);
	int64_t g = loop_add_timer(f->loop, 10000, guard, NULL);
	loop_run(f->loop);
	loop_del_timer(f->loop, g);
	assert_int_equal(v.dones, 1);
	assert_int_equal(v.rc, KB_INGEST_OK); /* the text is in */
	assert_int_equal(v.embed_failed, 1);
	assert_non_null(strstr(v.msg, "embedding stopped: "));
	assert_non_null(strstr(v.msg, "model not found"));
	assert_non_null(strstr(v.msg, "'aiwb kb sync v' embeds the rest"));
	assert_int_equal(vectors_of(f), 0);
	assert_int_equal(kb_store_check(f->db, 2, &e), 0);
	fake_stop(&fk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_in_steps_then_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_with_globs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_keeps_the_steps_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_kb_or_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_embeddings_on_the_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_embedding_error_keeps_the_kb, setup, teardown),
	};
	return cmocka_run_group_tests(tests, testhttp_group_setup, testhttp_group_teardown);
}
