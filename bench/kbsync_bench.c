/* The workbench's kb add (ui/kbsync.h) of a tree on an event loop, as the
 * Knowledge pane runs it: prints the wall time of the whole add, the number
 * of steps, the longest step (the longest the loop was held, so the longest
 * the workbench could not draw or read a key), how many steps held it longer
 * than 33 ms (two frames at 60 Hz), and the time kbsync_start took.
 *   kbsync_bench DB TREE [+GLOB]...   (DB is created; TREE is added) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "kb/store.h"
#include "kbsync.h"
#include "loop.h"
#include "store/db.h"

struct run {
	struct loop *loop;
	int64_t last_us, max_step_us, start_us;
	long steps, over_frame;
	int rc;
	char msg[1100];
	struct kb_ingest_stats st;
};

static void on_step(void *ud, const struct kbsync_progress *p, int done, int rc, const char *msg)
{
	struct run *r = ud;
	int64_t now = clock_us();
	if (now - r->last_us > r->max_step_us)
		r->max_step_us = now - r->last_us;
	if (now - r->last_us > 33000)
		r->over_frame++;
	r->last_us = now;
	r->steps++;
	r->st = p->st;
	if (done) {
		r->rc = rc;
		snprintf(r->msg, sizeof r->msg, "%s", msg ? msg : "");
		loop_stop(r->loop);
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: kbsync_bench DB TREE [+GLOB]...\n");
		return 2;
	}
	struct err e = ERR_INIT;
	struct db *db = db_open(argv[1], 5000, NULL, &e);
	if (!db) {
		fprintf(stderr, "kbsync_bench: %s\n", e.msg);
		return 1;
	}
	struct kb_settings s;
	kb_settings_default(&s);
	if (kb_store_create(db, "bench", &s, &e) < 0) {
		fprintf(stderr, "kbsync_bench: %s\n", e.msg);
		return 1;
	}
	struct kb_addline add;
	memset(&add, 0, sizeof add);
	add.path = xstrdup(argv[2]);
	for (int i = 3; i < argc && add.ninclude < KB_ADDLINE_GLOBS_MAX; i++)
		add.include[add.ninclude++] = xstrdup(argv[i] + (argv[i][0] == '+'));
	struct run r;
	memset(&r, 0, sizeof r);
	r.loop = loop_new();
	int64_t t0 = clock_us();
	r.last_us = t0;
	if (!kbsync_start(db, r.loop, NULL, "bench", &add, on_step, &r, &e)) {
		fprintf(stderr, "kbsync_bench: %s\n", e.msg);
		return 1;
	}
	r.start_us = clock_us() - t0; /* kbsync_start, before the first step */
	r.last_us = clock_us();
	loop_run(r.loop);
	int64_t t1 = clock_us();
	printf("files %lld stored %lld seconds %.3f start_ms %.1f steps %ld max_step_ms %.1f over_33ms %ld rc %d %s\n",
	       (long long)r.st.files_total, (long long)(r.st.added + r.st.updated), (double)(t1 - t0) / 1e6,
	       (double)r.start_us / 1e3, r.steps, (double)r.max_step_us / 1e3, r.over_frame, r.rc, r.msg);
	kb_addline_free(&add);
	loop_free(r.loop);
	db_close(db);
	return r.rc == 0 ? 0 : 1;
}
