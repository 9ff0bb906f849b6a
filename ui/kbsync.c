#include "kbsync.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "guard/guard.h"

struct kbsync {
	struct db *db;
	struct loop *loop;
	struct kbsync_env env;
	struct kb kb;
	struct kb_ingest *in;
	struct kb_embedder *embed;
	struct guard *guard;   /* config's guard, for a KB that redacts */
	struct kbsync_progress p;
	kbsync_fn fn;
	void *ud;
	int64_t timer;
};

/* ---- the run */

static void finish(struct kbsync *s)
{
	if (s->timer)
		loop_del_timer(s->loop, s->timer);
	kb_ingest_end(s->in);
	kb_embed_cancel(s->embed);
	guard_free(s->guard);
	kb_free(&s->kb);
	free(s);
}

static void embed_progress(void *ud, const struct kb_embed_stats *st)
{
	struct kbsync *s = ud;
	s->p.es = *st;
	s->fn(s->ud, &s->p, 0, KB_INGEST_OK, NULL);
}

static void embedded(void *ud, int rc, const struct kb_embed_stats *st, const struct err *e)
{
	struct kbsync *s = ud;
	s->embed = NULL;
	s->p.es = *st;
	s->p.embed_failed = rc < 0;
	s->fn(s->ud, &s->p, 1, KB_INGEST_OK, rc < 0 ? e->msg : NULL);
	finish(s);
}

/* After the text: the vectors, or the end. */
static void text_done(struct kbsync *s)
{
	struct err e = ERR_INIT;
	if (s->kb.set.embed[0] && s->env.cfg) {
		struct kb_embed_opts eo = { s->env.cfg, s->env.catalog, s->loop, NULL,
					    s->env.max_cost_usd, NULL, embed_progress, s };
		s->p.embedding = 1;
		s->embed = kb_embed_start(s->db, &s->kb, &eo, embedded, s, &e);
		if (s->embed) {
			s->fn(s->ud, &s->p, 0, KB_INGEST_OK, NULL);
			return;
		}
		s->p.embed_failed = 1;
	}
	s->fn(s->ud, &s->p, 1, KB_INGEST_OK, s->p.embed_failed ? e.msg : NULL);
	finish(s);
}

static int64_t step(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct kbsync *s = ud;
	struct err e = ERR_INIT;
	int rc = kb_ingest_step(s->in, KBSYNC_STEP_FILES, s->env.step_us > 0 ? s->env.step_us : KBSYNC_STEP_US, &e);
	s->p.st = *kb_ingest_stats(s->in);
	s->p.walking = kb_ingest_walking(s->in);
	if (rc == KB_INGEST_MORE) {
		s->fn(s->ud, &s->p, 0, rc, NULL);
		return 0; /* the next step after a pass of the loop */
	}
	s->timer = 0;
	kb_ingest_end(s->in);
	s->in = NULL;
	if (rc == KB_INGEST_OK) {
		text_done(s);
	} else {
		s->fn(s->ud, &s->p, 1, KB_INGEST_FAILED, e.msg[0] ? e.msg : "stopped");
		finish(s);
	}
	return LOOP_TIMER_DONE;
}

struct kbsync *kbsync_start(struct db *db, struct loop *l, const struct kbsync_env *env, const char *name,
			    const struct kb_addline *add, kbsync_fn fn, void *ud, struct err *e)
{
	struct kbsync *s = xcalloc(1, sizeof *s);
	int found = kb_store_get(db, name, &s->kb, e);
	if (found != 1) {
		if (found == 0)
			err_set(e, "there is no knowledge base named %s", name);
		free(s);
		return NULL;
	}
	s->db = db;
	s->loop = l;
	if (env)
		s->env = *env;
	s->fn = fn;
	s->ud = ud;
	struct kb_ingest_opts o;
	memset(&o, 0, sizeof o);
	if (s->kb.set.redact && s->env.cfg && !(s->guard = guard_from_config(s->env.cfg, e))) {
		kb_free(&s->kb);
		free(s);
		return NULL;
	}
	o.guard = s->guard;
	if (add) {
		o.include = (const char *const *)add->include;
		o.ninclude = add->ninclude;
		o.exclude = (const char *const *)add->exclude;
		o.nexclude = add->nexclude;
		const char *paths[] = { add->path };
		s->in = kb_ingest_begin_add(db, &s->kb, paths, 1, &o, e);
	} else {
		s->in = kb_ingest_begin_sync(db, &s->kb, &o, e);
	}
	if (!s->in) {
		guard_free(s->guard);
		kb_free(&s->kb);
		free(s);
		return NULL;
	}
	s->p.st = *kb_ingest_stats(s->in);
	s->p.walking = kb_ingest_walking(s->in);
	s->timer = loop_add_timer(l, 0, step, s);
	return s;
}

void kbsync_cancel(struct kbsync *s)
{
	if (s)
		finish(s);
}

const struct kbsync_progress *kbsync_progress(const struct kbsync *s)
{
	return &s->p;
}
