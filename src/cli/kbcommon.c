#include "cli/kbcommon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "cli/out.h"
#include "kb/bedrockkb.h"
#include "kb/demo.h"
#include "kb/embed.h"
#include "kb/rerank.h"
#include "kb/search.h"
#include "store/db.h"

#define CMD "kb"

volatile sig_atomic_t cli_kb_stop;

struct db *cli_kb_open(const char *name, int write, struct kb *kb, int *status)
{
	struct err e = ERR_INIT;
	int missing = 0;
	struct db *db = write ? session_writable_db(0, &missing, &e) : session_existing_db(&missing, &e);
	if (!db) {
		*status = missing ? cli_fail(CMD, "there is no knowledge base named %s; create it with 'aiwb kb create %s'",
					     name, name)
				  : cli_fail(CMD, "%s", e.msg);
		return NULL;
	}
	int found = kb_store_get(db, name, kb, &e);
	if (found <= 0) {
		*status = found < 0 ? cli_fail(CMD, "%s", e.msg)
				    : cli_fail(CMD, "there is no knowledge base named %s; 'aiwb kb ls' lists them", name);
		db_close(db);
		return NULL;
	}
	return db;
}

struct db *cli_kb_open_local(const char *name, int write, struct kb *kb, int *status, const char *what)
{
	struct db *db = cli_kb_open(name, write, kb, status);
	if (db && kb_is_remote(kb)) {
		*status = cli_fail(CMD, "%s is an attached Bedrock knowledge base (%s), whose documents live in Bedrock; "
			 "%s works only on local knowledge bases", kb->name, kb->set.remote_id, what);
		kb_free(kb);
		db_close(db);
		return NULL;
	}
	return db;
}

static void stop_kb(void *ud)
{
	cli_kb_stop = 1;
	if (ud)
		loop_stop(ud);
}

int cli_kb_embed_session(struct session *s, struct err *e)
{
	if (session_open(s, SESSION_LATE_CATALOG, e) < 0)
		return -1;
	s->on_interrupt = stop_kb;
	s->ud = s->loop;
	return 0;
}

float *cli_kb_query_vector(struct session *s, int *opened, const struct kb *kb, const char *query, size_t *dim)
{
	struct err e = ERR_INIT;
	if (!kb->set.embed[0]) {
		cli_fail(CMD, "%s has no embedding model, so it has no vectors to search; set one with "
			 "'aiwb kb set %s --embed PROVIDER/MODEL' and run 'aiwb kb sync %s'", kb->name, kb->name, kb->name);
		return NULL;
	}
	if (!*opened) {
		if (cli_kb_embed_session(s, &e) < 0) {
			cli_fail(CMD, "%s", e.msg);
			return NULL;
		}
		*opened = 1;
	}
	float *v = kb_embed_query(&s->cfg, s->loop, kb->set.embed, kb->set.embed_dims, query, dim, &e);
	if (!v)
		cli_fail(CMD, "%s", e.msg);
	return v;
}

void cli_kb_seed_demo(void)
{
	struct err e = ERR_INIT;
	int missing;
	struct db *db = session_writable_db(1, &missing, &e);
	if (db && kb_demo_seed(db, path_share_dir(), path_data_home(), &e) < 0)
		fprintf(stderr, "aiwb kb: the demo knowledge base was not made: %s\n", e.msg);
	db_close(db);
}

static int remote_search(const struct kb *kb, const struct kb_search_opts *so, struct kb_results *r, double *ms,
			 const char *cmd)
{
	struct err e = ERR_INIT;
	char *body = bedrockkb_retrieve_json(so, NULL, &e);
	if (!body)
		return cli_usage_error(cmd, "%s: %s", kb->name, e.msg);
	free(body);
	struct session sess;
	if (cli_kb_embed_session(&sess, &e) < 0)
		return cli_fail(cmd, "%s", e.msg);
	struct bedrockkb *b = bedrockkb_new(&sess.cfg, kb->set.region, &e);
	int rc = -1;
	int64_t t0 = clock_us();
	if (b)
		rc = bedrockkb_retrieve(b, sess.loop, kb->set.remote_id, so, r, &e);
	if (ms)
		*ms = (double)(clock_us() - t0) / 1000.0;
	bedrockkb_free(b);
	session_close(&sess);
	if (rc < 0)
		return cli_fail(cmd, "%s: %s", kb->name, e.msg);
	return 0;
}

/* Scores the candidates in r with the model of spec and keeps k of them. */
static int model_rerank(const struct kb *kb, const char *spec, const char *query, int k, struct kb_results *r,
			const char *cmd)
{
	struct err e = ERR_INIT;
	struct kb_rerank *rr = xcalloc(1, sizeof *rr);
	if (kb_rerank_parse(spec, rr, &e) < 0) {
		free(rr);
		return cli_usage_error(cmd, "%s", e.msg);
	}
	r->rerank = rr;
	if (!r->n)
		return 0;
	size_t n = r->n;
	char **texts = xcalloc(n, sizeof *texts);
	double *scores = xcalloc(n, sizeof *scores);
	for (size_t i = 0; i < n; i++)
		texts[i] = kb_rerank_text(&r->v[i]);
	int rc = 0;
	struct session sess;
	if (cli_kb_embed_session(&sess, &e) < 0) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	if (rr->kind == KB_RERANK_BEDROCK) {
		struct bedrockkb *b = bedrockkb_new(&sess.cfg, kb_is_remote(kb) ? kb->set.region : NULL, &e);
		int ok = b && bedrockkb_rerank(b, sess.loop, rr, query, (const char *const *)texts, n, scores, &e) == 0;
		bedrockkb_free(b);
		if (!ok)
			rc = cli_fail(cmd, "rerank with bedrock:%s: %s", rr->model, e.msg);
	} else if (kb_rerank_llm(&sess.cfg, sess.loop, rr, query, (const char *const *)texts, n, 0, scores, &e) < 0) {
		rc = cli_fail(cmd, "rerank with llm:%s: %s", rr->model, e.msg);
	}
	session_close(&sess);
	if (rc == 0)
		kb_rerank_apply(r, scores, (size_t)k);
out:
	for (size_t i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	free(scores);
	return rc;
}

int cli_kb_search(struct db *db, const struct kb *kb, struct kb_search_opts *so, struct kb_results *r, double *ms,
		  const char *cmd)
{
	if (so->rerank) {
		struct err e = ERR_INIT;
		struct kb_rerank probe;
		if (kb_rerank_parse(so->rerank, &probe, &e) < 0)
			return cli_usage_error(cmd, "%s", e.msg);
		kb_rerank_free(&probe);
		if (so->mmr)
			return cli_usage_error(cmd, "--rerank takes one reranker: mmr or a model, not both");
		int k = so->k, with_text = so->with_text;
		so->k = kb_rerank_depth(k, kb_is_remote(kb) ? KB_BEDROCK_K_MAX : KB_SEARCH_K_MAX);
		if (so->k < k)
			fprintf(stderr, "aiwb %s: %s is a Bedrock knowledge base, whose Retrieve returns at most %d chunks "
					"(numberOfResults 1-%d): %d candidates are reranked, so at most %d results, not the "
					"%d asked for with -k\n",
				cmd, kb->name, KB_BEDROCK_K_MAX, KB_BEDROCK_K_MAX, so->k, so->k, k);
		so->with_text = 1;
		const char *spec = so->rerank;
		so->rerank = NULL;
		int rc = cli_kb_search(db, kb, so, r, ms, cmd);
		so->rerank = spec;
		so->k = k;
		so->with_text = with_text;
		if (rc)
			return rc;
		rc = model_rerank(kb, spec, so->query, k, r, cmd);
		if (rc)
			kb_results_free(r);
		else if (ms && r->rerank)
			*ms += r->rerank->ms;
		return rc;
	}
	if (kb_is_remote(kb))
		return remote_search(kb, so, r, ms, cmd);
	struct session sess;
	int opened = 0;
	float *qvec = NULL;
	if (so->mode != KB_MODE_BM25 || so->mmr) {
		qvec = cli_kb_query_vector(&sess, &opened, kb, so->query, &so->qdim);
		if (!qvec) {
			if (opened)
				session_close(&sess);
			return 1;
		}
		so->qvec = qvec;
	}
	struct err e = ERR_INIT;
	int64_t t0 = clock_us();
	int rc = kb_search(db, kb, so, r, &e);
	if (ms)
		*ms = (double)(clock_us() - t0) / 1000.0;
	free(qvec);
	so->qvec = NULL;
	if (opened)
		session_close(&sess);
	if (rc < 0)
		return strncmp(e.msg, "invalid filter", 14) == 0 ? cli_usage_error(cmd, "%s", e.msg)
								: cli_fail(cmd, "%s", e.msg);
	return 0;
}
