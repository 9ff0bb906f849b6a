#include "kbsync.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmalloc.h"

struct kbsync {
	struct db *db;
	struct loop *loop;
	struct kbsync_env env;
	struct kb kb;
	struct kb_ingest *in;
	struct kb_embedder *embed;
	struct kbsync_progress p;
	kbsync_fn fn;
	void *ud;
	int64_t timer;
};

/* ---- the add line */

void kbsync_add_free(struct kbsync_add *a)
{
	free(a->path);
	for (size_t i = 0; i < a->ninclude; i++)
		free(a->include[i]);
	for (size_t i = 0; i < a->nexclude; i++)
		free(a->exclude[i]);
	memset(a, 0, sizeof *a);
}

/* The next word of *p into w; 0 at the end, -1 on an open quote. */
static int next_word(const char **p, struct buf *w)
{
	const char *s = *p + strspn(*p, " \t");
	buf_truncate(w, 0);
	if (!*s) {
		*p = s;
		return 0;
	}
	char quote = 0;
	for (; *s && (quote || (*s != ' ' && *s != '\t')); s++) {
		if (quote && *s == quote)
			quote = 0;
		else if (!quote && (*s == '\'' || *s == '"'))
			quote = *s;
		else if (*s == '\\' && quote != '\'' && s[1])
			buf_putc(w, *++s);
		else
			buf_putc(w, *s);
	}
	*p = s;
	return quote ? -1 : 1;
}

int kbsync_parse_add(const char *line, struct kbsync_add *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	struct buf w = BUF_INIT;
	const char *p = line ? line : "";
	int rc = 0, r;
	while (rc == 0 && (r = next_word(&p, &w)) != 0) {
		const char *word = buf_str(&w);
		if (r < 0) {
			rc = err_set(e, "a quote is not closed; put the path or glob between matching quotes");
		} else if (!out->path) {
			const char *home = getenv("HOME");
			if (word[0] == '~' && (word[1] == '/' || !word[1]) && home && *home)
				out->path = xasprintf("%s%s", home, word + 1);
			else
				out->path = xstrdup(word);
		} else if ((word[0] == '+' || word[0] == '-') && word[1]) {
			int inc = word[0] == '+';
			size_t *n = inc ? &out->ninclude : &out->nexclude;
			if (*n == KBSYNC_GLOBS_MAX)
				rc = err_set(e, "at most %d include and %d exclude globs", KBSYNC_GLOBS_MAX, KBSYNC_GLOBS_MAX);
			else
				(inc ? out->include : out->exclude)[(*n)++] = xstrdup(word + 1);
		} else {
			rc = err_set(e, "'%s' is neither +GLOB (include) nor -GLOB (exclude); the form is PATH [+GLOB]... "
				     "[-GLOB]... (quote a path with blanks)", word);
		}
	}
	buf_free(&w);
	if (rc == 0 && !out->path)
		rc = err_set(e, "no path given; the form is PATH [+GLOB]... [-GLOB]...");
	if (rc < 0)
		kbsync_add_free(out);
	return rc;
}

/* ---- the run */

static void finish(struct kbsync *s)
{
	if (s->timer)
		loop_del_timer(s->loop, s->timer);
	kb_ingest_end(s->in);
	kb_embed_cancel(s->embed);
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
					    s->env.max_cost_usd > 0 ? s->env.max_cost_usd : 1.0, NULL, embed_progress, s };
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
	int rc = kb_ingest_step(s->in, KBSYNC_STEP_FILES, KBSYNC_STEP_US, &e);
	s->p.st = *kb_ingest_stats(s->in);
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
			    const struct kbsync_add *add, kbsync_fn fn, void *ud, struct err *e)
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
		kb_free(&s->kb);
		free(s);
		return NULL;
	}
	s->p.st = *kb_ingest_stats(s->in);
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
