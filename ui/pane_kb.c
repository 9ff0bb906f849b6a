/* Knowledge pane: the knowledge bases (documents, chunks, size, embedding
 * model, last sync); Enter opens one to search it — a query line with mode,
 * k, metadata filter and rerank shown and changed by keys, results as a
 * scored list with the matched words highlighted; Enter on a result opens its
 * chunk inside its document (ui/kbdoc.h), D browses the documents. Every
 * answer comes from src/kb (store, search), as `aiwb kb` gets it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/path.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "draw.h"
#include "input.h"
#include "kb/bedrockkb.h"
#include "kb/context.h"
#include "kb/demo.h"
#include "kb/docguard.h"
#include "kb/embed.h"
#include "kb/label.h"
#include "kb/locate.h"
#include "kb/rerank.h"
#include "kb/search.h"
#include "kb/store.h"
#include "kbdoc.h"
#include "kbsync.h"
#include "keys.h"
#include "list.h"
#include "pane.h"
#include "scrollpos.h"
#include "takeaway.h"
#include "wrap.h"


enum view { VIEW_KBS, VIEW_RESULTS, VIEW_DOCS, VIEW_DOC };

static const int k_steps[] = { 1, 3, 5, 10, 20, 50, 100 };
#define NSTEPS ((int)(sizeof k_steps / sizeof *k_steps))

struct kb_pane {
	struct pane base;
	enum view view;
	int loaded;
	struct kb *kbs;
	size_t nkbs;
	struct ui_list kb_list;

	struct kb cur; /* the open KB (cur.name NULL: none) */
	int64_t with_vectors;
	char *query, *filter;
	enum kb_mode mode;
	int k, mmr, searched;
	struct kb_results res;
	struct ui_list hit_list;
	struct kb_query_embed *embedding; /* the query's vector, on its way */
	struct bedrockkb *bedrock;          /* the open KB's service, when it is remote */
	struct bedrockkb_call *retrieving;  /* its Retrieve, on its way */
	int model_rerank;                   /* rerank with the config's kb.rerank model */
	struct kb_results pending;          /* candidates waiting for the model's scores */
	struct kb_rerank *rr;               /* that rerank */
	struct bedrockkb *rerank_service;
	struct bedrockkb_rerank_call *reranking;
	struct kb_rerank_llm_call *reranking_llm;

	struct kb_doc_row *docs;
	size_t ndocs;
	char **doc_text; /* what the filter searches, per document */
	struct ui_list doc_list;

	enum view doc_back; /* where Esc returns from the document */
	struct kb_doc_row doc;
	int has_doc;
	char *body;
	size_t len;
	struct kb_chunk_row *chunks;
	size_t nchunks, chunk;
	struct wrapped text;
	int text_width;
	size_t chunk_at;
	long scroll;
	int scroll_to_chunk;
	struct kbsync *sync;     /* an add or sync under way */
	char sync_name[KB_NAME_MAX + 1];
	int sync_add;
	struct kbsync_progress sync_p;
};

/* ---------------------------------------------------------------- helpers */

/* Untrusted text on one line: sanitized, newlines and tabs as spaces. Caller frees. */
static char *flat(const char *s)
{
	char *t = sanitize_str(s ? s : "", strlen(s ? s : ""), 0);
	for (char *p = t; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	return t;
}

/* A document's name as shown: its path without the folders. */
static const char *short_name(const char *name)
{
	const char *slash = name ? strrchr(name, '/') : NULL;
	return slash && slash[1] ? slash + 1 : name ? name : "";
}

static int draw_flat(WINDOW *w, int y, int x, int width, const char *s, attr_t at)
{
	if (width <= 0)
		return 0;
	char *t = flat(s);
	int used = draw_text(w, y, x, width, t, at);
	free(t);
	return used;
}

static void load_kbs(struct kb_pane *kp)
{
	struct wb *wb = kp->base.wb;
	struct err e = ERR_INIT;
	kb_list_free(kp->kbs, kp->nkbs);
	kp->kbs = NULL;
	kp->nkbs = 0;
	if (!kp->loaded && wb->db && wb->data_home && kb_demo_seed(wb->db, path_share_dir(), wb->data_home, &e) < 0)
		wb_status(wb, 1, "the demo knowledge base was not made: %s", e.msg);
	kp->loaded = 1;
	if (wb->db && kb_store_list(wb->db, &kp->kbs, &kp->nkbs, &e) < 0)
		wb_status(wb, 1, "cannot list the knowledge bases: %s", e.msg);
	ui_list_set_count(&kp->kb_list, kp->nkbs);
}

static void close_doc(struct kb_pane *kp)
{
	if (kp->has_doc)
		kb_doc_row_free(&kp->doc);
	kp->has_doc = 0;
	free(kp->body);
	kp->body = NULL;
	kb_chunk_rows_free(kp->chunks, kp->nchunks);
	kp->chunks = NULL;
	kp->nchunks = 0;
	wrap_reset(&kp->text);
	kp->text_width = 0;
}

static void free_docs(struct kb_pane *kp)
{
	kb_doc_rows_free(kp->docs, kp->ndocs);
	for (size_t i = 0; i < kp->ndocs; i++)
		free(kp->doc_text[i]);
	free(kp->doc_text);
	kp->docs = NULL;
	kp->doc_text = NULL;
	kp->ndocs = 0;
	ui_list_set_count(&kp->doc_list, 0);
}

static void clear_results(struct kb_pane *kp)
{
	kb_results_free(&kp->res);
	memset(&kp->res, 0, sizeof kp->res);
	kp->searched = 0;
	ui_list_set_count(&kp->hit_list, 0);
}

static void cancel_embedding(struct kb_pane *kp);

static void cancel_rerank(struct kb_pane *kp)
{
	bedrockkb_rerank_cancel(kp->reranking);
	kb_rerank_llm_cancel(kp->reranking_llm);
	kp->reranking = NULL;
	kp->reranking_llm = NULL;
	bedrockkb_free(kp->rerank_service);
	kp->rerank_service = NULL;
	kb_results_free(&kp->pending);
	kb_rerank_free(kp->rr);
	free(kp->rr);
	kp->rr = NULL;
}

static void close_kb(struct kb_pane *kp)
{
	cancel_embedding(kp);
	cancel_rerank(kp);
	bedrockkb_cancel(kp->retrieving);
	kp->retrieving = NULL;
	bedrockkb_free(kp->bedrock);
	kp->bedrock = NULL;
	close_doc(kp);
	free_docs(kp);
	clear_results(kp);
	if (kp->cur.name)
		kb_free(&kp->cur);
	memset(&kp->cur, 0, sizeof kp->cur);
}

static void open_kb(struct kb_pane *kp, const struct kb *k)
{
	struct wb *wb = kp->base.wb;
	struct err e = ERR_INIT;
	close_kb(kp);
	if (kb_store_get(wb->db, k->name, &kp->cur, &e) != 1) {
		wb_status(wb, 1, "cannot open %s: %s", k->name, e.msg[0] ? e.msg : "it is gone");
		memset(&kp->cur, 0, sizeof kp->cur);
		load_kbs(kp);
		return;
	}
	int64_t without = 0;
	kp->with_vectors = 0;
	if (kp->cur.set.embed[0] && kb_embed_counts(wb->db, &kp->cur, &kp->with_vectors, &without, &e) < 0)
		kp->with_vectors = 0;
	kp->mode = kb_is_remote(&kp->cur) ? KB_MODE_VECTOR : KB_MODE_BM25; /* Bedrock has no bm25 */
	kp->mmr = 0;
	kp->model_rerank = 0;
	free(kp->query);
	free(kp->filter);
	kp->query = kp->filter = NULL;
	kp->view = VIEW_RESULTS;
	wb_status(wb, 0, "%s: %s types a query", kp->cur.name, KEY_HINT(PA_KB_QUERY));
}

/* ---------------------------------------------------------------- searching */

/* Vector modes and MMR need the KB's vectors; else a sentence says why not. */
static int vectors_usable(struct kb_pane *kp, const char *what)
{
	struct wb *wb = kp->base.wb;
	if (kb_is_remote(&kp->cur))
		return 1; /* the service says what it cannot do */
	if (!kp->cur.set.embed[0]) {
		wb_status(wb, 1, "%s has no embedding model, so %s is not possible; 'aiwb kb set %s --embed "
			  "PROVIDER/MODEL' and 'aiwb kb sync %s' add one", kp->cur.name, what, kp->cur.name, kp->cur.name);
		return 0;
	}
	if (!kp->with_vectors) {
		wb_status(wb, 1, "%s has no vectors yet, so %s is not possible; 'aiwb kb sync %s' computes them",
			  kp->cur.name, what, kp->cur.name);
		return 0;
	}
	return 1;
}

static void reranked(void *ud, const double *scores, const struct err *e)
{
	struct kb_pane *kp = ud;
	struct wb *wb = kp->base.wb;
	kp->reranking = NULL;
	kp->reranking_llm = NULL;
	if (!scores) {
		wb_status(wb, 1, "rerank with %s failed: %s", wb->cfg->kb_rerank, e->msg);
		cancel_rerank(kp);
		wb_redraw(wb);
		return;
	}
	kb_rerank_apply(&kp->pending, scores, (size_t)kp->k);
	bedrockkb_free(kp->rerank_service);
	kp->rerank_service = NULL;
	clear_results(kp);
	kp->res = kp->pending;
	memset(&kp->pending, 0, sizeof kp->pending);
	kp->res.rerank = kp->rr;
	kp->rr = NULL;
	kp->searched = 1;
	ui_list_set_count(&kp->hit_list, kp->res.n);
	ui_list_select(&kp->hit_list, 0);
	wb_status(wb, 0, "%zu result%s in %s (%s, k %d%s, reranked from %zu)", kp->res.n, kp->res.n == 1 ? "" : "s",
		  kp->cur.name, kb_mode_name(kp->mode), kp->k, kp->filter ? ", filtered" : "", kp->res.rerank->candidates);
	wb_redraw(wb);
}

/* Has the config's rerank model score the candidates in *r (taken); the
 * results arrive in reranked(). 0, or -1 with the reason in the status line. */
static int start_rerank(struct kb_pane *kp, struct kb_results *r)
{
	struct wb *wb = kp->base.wb;
	struct err e = ERR_INIT;
	cancel_rerank(kp);
	kp->pending = *r;
	memset(r, 0, sizeof *r);
	kp->rr = xcalloc(1, sizeof *kp->rr);
	char **texts = NULL;
	int rc = -1;
	if (kb_rerank_parse(wb->cfg->kb_rerank, kp->rr, &e) < 0)
		goto out;
	texts = xcalloc(kp->pending.n, sizeof *texts);
	for (size_t i = 0; i < kp->pending.n; i++)
		texts[i] = kb_rerank_text(&kp->pending.v[i]);
	if (kp->rr->kind == KB_RERANK_BEDROCK) {
		kp->rerank_service = bedrockkb_new(wb->cfg, kb_is_remote(&kp->cur) ? kp->cur.set.region : NULL, &e);
		if (kp->rerank_service)
			kp->reranking = bedrockkb_rerank_start(kp->rerank_service, wb->loop, kp->rr, kp->query,
							       (const char *const *)texts, kp->pending.n, reranked, kp, &e);
		rc = kp->reranking ? 0 : -1;
	} else {
		kp->reranking_llm = kb_rerank_llm_start(wb->cfg, wb->loop, kp->rr, kp->query, (const char *const *)texts,
							kp->pending.n, 0, reranked, kp, &e);
		rc = kp->reranking_llm ? 0 : -1;
	}
out:
	for (size_t i = 0; texts && i < kp->pending.n; i++)
		free(texts[i]);
	free(texts);
	if (rc < 0) {
		wb_status(wb, 1, "cannot rerank with %s: %s", wb->cfg->kb_rerank, e.msg);
		cancel_rerank(kp);
		return -1;
	}
	wb_status(wb, 0, "reranking %zu candidates with %s…", kp->pending.n, wb->cfg->kb_rerank);
	return 0;
}

/* Searches with the pane's settings; filter NULL-or-text, qvec when the mode
 * needs it. query NULL only checks the filter (BM25, no results kept).
 * 0, or -1 with the error in the status line (results kept). */
static int search_now(struct kb_pane *kp, const char *query, const char *filter, const float *qvec, size_t dim)
{
	struct wb *wb = kp->base.wb;
	struct kb_search_opts so;
	memset(&so, 0, sizeof so);
	so.query = query ? query : "";
	so.k = kp->k;
	so.mode = query ? kp->mode : KB_MODE_BM25;
	so.filter = filter && *filter ? filter : NULL;
	so.with_text = 1;
	so.mmr = query ? kp->mmr : 0;
	so.mmr_lambda = 0.5;
	so.qvec = qvec;
	so.qdim = dim;
	if (query && kp->model_rerank)
		so.k = kb_rerank_depth(kp->k, KB_SEARCH_K_MAX);
	struct kb_results r;
	struct err e = ERR_INIT;
	if (kb_search(wb->db, &kp->cur, &so, &r, &e) < 0) {
		wb_status(wb, 1, "%s", e.msg);
		return -1;
	}
	if (!query) {
		kb_results_free(&r);
		return 0;
	}
	if (kp->model_rerank && r.n)
		return start_rerank(kp, &r);
	clear_results(kp);
	kp->res = r;
	kp->searched = 1;
	ui_list_set_count(&kp->hit_list, r.n);
	ui_list_select(&kp->hit_list, 0);
	if (!r.fts && kp->mode == KB_MODE_BM25)
		wb_status(wb, 1, "the query holds no word to search for; type words (punctuation is ignored)");
	else
		wb_status(wb, 0, "%zu result%s in %s (%s%s, k %d%s)", r.n, r.n == 1 ? "" : "s", kp->cur.name,
			  kb_mode_name(kp->mode), kp->mmr ? "+mmr" : "", kp->k, so.filter ? ", filtered" : "");
	return 0;
}

static void query_embedded(void *ud, float *v, size_t dim, const struct err *e)
{
	struct kb_pane *kp = ud;
	kp->embedding = NULL;
	if (!v)
		wb_status(kp->base.wb, 1, "%s", e->msg);
	else if (kp->query && kp->cur.name)
		search_now(kp, kp->query, kp->filter, v, dim);
	free(v);
	wb_redraw(kp->base.wb);
}

static void cancel_embedding(struct kb_pane *kp)
{
	kb_embed_query_cancel(kp->embedding);
	kp->embedding = NULL;
}

static void remote_done(void *ud, struct kb_results *r, const struct err *e)
{
	struct kb_pane *kp = ud;
	struct wb *wb = kp->base.wb;
	kp->retrieving = NULL;
	if (!r) {
		wb_status(wb, 1, "%s", e->msg);
	} else if (kp->model_rerank && r->n && kp->query) {
		start_rerank(kp, r);
		free(r);
	} else {
		clear_results(kp);
		kp->res = *r;
		free(r);
		kp->searched = 1;
		ui_list_set_count(&kp->hit_list, kp->res.n);
		ui_list_select(&kp->hit_list, 0);
		wb_status(wb, 0, "%zu result%s in %s (%s, k %d%s)", kp->res.n, kp->res.n == 1 ? "" : "s", kp->cur.name,
			  kb_mode_name(kp->mode), kp->k, kp->filter ? ", filtered" : "");
	}
	wb_redraw(wb);
}

/* A remote KB's search: Retrieve on the loop (query NULL only checks that the
 * filter translates). 0, or -1 with the reason in the status line. */
static int remote_search(struct kb_pane *kp, const char *query, const char *filter)
{
	struct wb *wb = kp->base.wb;
	struct kb_search_opts so;
	memset(&so, 0, sizeof so);
	so.query = query ? query : "";
	so.k = kp->k;
	so.mode = query ? kp->mode : KB_MODE_VECTOR;
	so.filter = filter && *filter ? filter : NULL;
	so.mmr = query ? kp->mmr : 0;
	if (query && kp->model_rerank)
		so.k = kb_rerank_depth(kp->k, KB_BEDROCK_K_MAX);
	struct err e = ERR_INIT;
	char *body = bedrockkb_retrieve_json(&so, NULL, &e);
	if (!body) {
		wb_status(wb, 1, "%s", e.msg);
		return -1;
	}
	free(body);
	if (!query)
		return 0;
	bedrockkb_cancel(kp->retrieving);
	kp->retrieving = NULL;
	if (!kp->bedrock && !(kp->bedrock = bedrockkb_new(wb->cfg, kp->cur.set.region, &e))) {
		wb_status(wb, 1, "%s", e.msg);
		return -1;
	}
	kp->retrieving = bedrockkb_retrieve_start(kp->bedrock, wb->loop, kp->cur.set.remote_id, &so, remote_done, kp, &e);
	if (!kp->retrieving) {
		wb_status(wb, 1, "%s", e.msg);
		return -1;
	}
	wb_status(wb, 0, "asking Bedrock knowledge base %s…", kp->cur.set.remote_id);
	return 0;
}

/* The search of kp->query; in a vector mode (or with MMR) the query's vector
 * is asked for on the loop first and the search runs when it arrives. */
static int run_search(struct kb_pane *kp, const char *query, const char *filter)
{
	struct wb *wb = kp->base.wb;
	if (query)
		cancel_rerank(kp);
	if (kb_is_remote(&kp->cur))
		return remote_search(kp, query, filter);
	if (!query || (kp->mode == KB_MODE_BM25 && !kp->mmr))
		return search_now(kp, query, filter, NULL, 0);
	cancel_embedding(kp);
	struct err e = ERR_INIT;
	kp->embedding = kb_embed_query_start(wb->cfg, wb->loop, kp->cur.set.embed, kp->cur.set.embed_dims, query,
					     query_embedded, kp, &e);
	if (!kp->embedding) {
		wb_status(wb, 1, "cannot embed the query: %s", e.msg);
		return -1;
	}
	wb_status(wb, 0, "embedding the query with %s…", kp->cur.set.embed);
	return 0;
}

static void search_again(struct kb_pane *kp)
{
	if (kp->query)
		run_search(kp, kp->query, kp->filter);
}

static void on_query(const char *line, void *ud)
{
	struct kb_pane *kp = ud;
	if (!line || !kp->cur.name)
		return;
	free(kp->query);
	kp->query = xstrdup(line);
	kp->view = VIEW_RESULTS;
	run_search(kp, kp->query, kp->filter);
}

static void on_filter(const char *line, void *ud)
{
	struct kb_pane *kp = ud;
	if (!line || !kp->cur.name)
		return;
	const char *f = line + strspn(line, " \t");
	/* a malformed filter is refused and the one before kept */
	if (*f && run_search(kp, NULL, f) < 0)
		return;
	free(kp->filter);
	kp->filter = *f ? xstrdup(f) : NULL;
	if (kp->query)
		run_search(kp, kp->query, kp->filter);
	else
		wb_status(kp->base.wb, 0, kp->filter ? "filter set: %s" : "filter cleared%s", kp->filter ? kp->filter : "");
}

static void change_k(struct kb_pane *kp, int up)
{
	int i = 0;
	while (i < NSTEPS - 1 && k_steps[i] < kp->k)
		i++;
	if (up && k_steps[i] <= kp->k && i < NSTEPS - 1)
		i++;
	else if (!up && i > 0)
		i--;
	kp->k = k_steps[i];
	if (kp->query)
		search_again(kp);
	else
		wb_status(kp->base.wb, 0, "k %d", kp->k);
}

/* The results as numbered sources of the rag template, asked in the Prompt pane. */
static void ask_with_sources(struct kb_pane *kp)
{
	struct wb *wb = kp->base.wb;
	if (!kp->searched || !kp->res.n || !kp->query) {
		wb_status(wb, 1, "nothing to ask with: search first (%s), the results become the sources",
			  KEY_HINT(PA_KB_QUERY));
		return;
	}
	size_t used = 0;
	char *context = kb_sources_context(&kp->res, KB_CONTEXT_TOKENS, &used);
	char *question = xstrdup(kp->query);
	struct kb_search_opts so;
	memset(&so, 0, sizeof so);
	so.query = kp->query;
	so.k = kp->k;
	so.mode = kp->mode;
	so.filter = kp->filter && *kp->filter ? kp->filter : NULL;
	char *history = kb_context_history_text(kp->cur.name, &so, &kp->res, used);
	if (wb_ask(wb, question, context, history) < 0)
		wb_status(wb, 1, "asking is not possible here");
	free(history);
	free(question);
	free(context);
}

/* ---------------------------------------------------------------- documents */

static int load_docs(struct kb_pane *kp)
{
	struct err e = ERR_INIT;
	free_docs(kp);
	if (kb_store_docs(kp->base.wb->db, kp->cur.id, &kp->docs, &kp->ndocs, &e) < 0) {
		wb_status(kp->base.wb, 1, "cannot list the documents of %s: %s", kp->cur.name, e.msg);
		return -1;
	}
	kp->doc_text = xcalloc(kp->ndocs ? kp->ndocs : 1, sizeof *kp->doc_text);
	for (size_t i = 0; i < kp->ndocs; i++)
		kp->doc_text[i] = xasprintf("%s %s %s", kp->docs[i].name, kp->docs[i].title ? kp->docs[i].title : "",
					    kp->docs[i].meta ? kp->docs[i].meta : "");
	ui_list_set_count(&kp->doc_list, kp->ndocs);
	return 0;
}

/* Opens document name of the open KB with the chunk at seq (or the first). */
static void open_doc(struct kb_pane *kp, const char *name, int seq, enum view back)
{
	struct wb *wb = kp->base.wb;
	struct err e = ERR_INIT;
	close_doc(kp);
	int found = kb_store_doc(wb->db, kp->cur.id, name, &kp->doc, &kp->body, &kp->len, &kp->chunks, &kp->nchunks, &e);
	if (found != 1) {
		char *n = flat(name);
		wb_status(wb, 1, found < 0 ? "cannot open %s: %s" : "%s is no longer in the knowledge base%s", n,
			  found < 0 ? e.msg : "");
		free(n);
		return;
	}
	kp->has_doc = 1;
	kp->chunk = 0;
	for (size_t i = 0; i < kp->nchunks; i++)
		if (kp->chunks[i].seq == seq)
			kp->chunk = i;
	kp->text_width = 0;
	kp->scroll_to_chunk = 1;
	kp->doc_back = back;
	kp->view = VIEW_DOC;
}

static void move_chunk(struct kb_pane *kp, int delta)
{
	if (!kp->nchunks)
		return;
	if (delta < 0 && kp->chunk == 0)
		return;
	if (delta > 0 && kp->chunk + 1 >= kp->nchunks)
		return;
	kp->chunk = delta < 0 ? kp->chunk - 1 : kp->chunk + 1;
	kp->text_width = 0;
	kp->scroll_to_chunk = 1;
}

/* ---------------------------------------------------------------- rows */

static void draw_kb_row(void *ud, WINDOW *w, int y, int x, int width, size_t i, int cursor)
{
	struct kb_pane *kp = ud;
	const struct kb *k = &kp->kbs[i];
	attr_t at = theme_attr(cursor ? ROLE_SELECTED : ROLE_NORMAL);
	attr_t dim = cursor ? at : theme_attr(ROLE_DIM);
	char size[32], synced[32], line[400];
	kb_label_size(size, sizeof size, k->bytes);
	kb_label_synced(synced, sizeof synced, k->synced_ms);
	if (cursor)
		for (int r = 0; r < kp->kb_list.row_height; r++)
			draw_fill(w, y + r, x, at);
	char remote[120];
	snprintf(remote, sizeof remote, "bedrock %s %s", k->set.remote_id, k->set.region);
	const char *embed = kb_is_remote(k) ? remote : k->set.embed[0] ? k->set.embed : "bm25 only";
	if (kp->kb_list.row_height == 1) {
		draw_flat(w, y, x, 14, k->name, cursor ? at : theme_attr(ROLE_TITLE));
		if (kb_is_remote(k))
			snprintf(line, sizeof line, "%5s %6s %8s  %s", "-", "-", "-", remote);
		else
			snprintf(line, sizeof line, "%5lld %6lld %8s  %-18.18s %s", (long long)k->docs, (long long)k->chunks,
				 size, embed, synced);
		draw_flat(w, y, x + 15, width - 15, line, at);
		return;
	}
	int used = draw_flat(w, y, x, width, k->name, cursor ? at : theme_attr(ROLE_TITLE));
	snprintf(line, sizeof line, "  %lld docs · %lld chunks", (long long)k->docs, (long long)k->chunks);
	if (!kb_is_remote(k))
		draw_text(w, y, x + used, width - used, line, at);
	snprintf(line, sizeof line, "  %s · %s · synced %s", size, embed, synced);
	if (kb_is_remote(k))
		snprintf(line, sizeof line, "  %s", remote);
	draw_flat(w, y + 1, x, width, line, dim);
}

static const char *kb_row_text(void *ud, size_t i)
{
	struct kb_pane *kp = ud;
	return kp->kbs[i].name;
}

static const struct ui_list_ops kb_list_ops = { draw_kb_row, kb_row_text };

/* Chunk text with KB_MARK_ON/OFF highlights on one line of width columns,
 * starting a little before the first match when it would not show. */
static void draw_marked(WINDOW *w, int y, int x, int width, const char *text, attr_t normal, attr_t match)
{
	const char *p = text ? text : "";
	const char *first = strchr(p, KB_MARK_ON);
	if (first && first - p > width / 2) {
		const char *s = first - width / 4;
		while (s > p && *s != ' ' && *s != '\n')
			s--;
		while (s > p && ((unsigned char)*s & 0xc0) == 0x80)
			s--;
		p = s;
		x += draw_text(w, y, x, width, "…", normal);
		width--;
	}
	int on = 0, used = 0;
	while (*p && used < width) {
		size_t n = strcspn(p, "\x01\x02");
		char *piece = sanitize_str(p, n, 0);
		char *to = piece;
		for (char *q = piece; *q; q++) {
			char c = *q == '\n' || *q == '\t' ? ' ' : *q;
			if (c != ' ' || to == piece || to[-1] != ' ')
				*to++ = c;
		}
		*to = '\0';
		used += draw_text(w, y, x + used, width - used, piece, on ? match : normal);
		free(piece);
		p += n;
		if (*p)
			on = *p++ == KB_MARK_ON;
	}
}

static void draw_hit_row(void *ud, WINDOW *w, int y, int x, int width, size_t i, int cursor)
{
	struct kb_pane *kp = ud;
	const struct kb_hit *h = &kp->res.v[i];
	attr_t at = theme_attr(cursor ? ROLE_SELECTED : ROLE_NORMAL);
	if (cursor)
		for (int r = 0; r < kp->hit_list.row_height; r++)
			draw_fill(w, y + r, x, at);
	char head[96];
	if (h->rerank_rank)
		snprintf(head, sizeof head, "%d. %.4f (retrieval %.4f, #%d)  ", h->rank, h->relevance, h->retrieval,
			 h->retrieval_rank);
	else
		snprintf(head, sizeof head, "%d. %.4f  ", h->rank, h->score);
	int used = draw_text(w, y, x, width, head, cursor ? at : theme_attr(ROLE_METRIC));
	used += draw_flat(w, y, x + used, width - used, short_name(h->doc_name), cursor ? at : theme_attr(ROLE_TITLE));
	char *flags = h->text ? kb_chunk_flags(NULL, h->text, strlen(h->text), h->meta) : NULL;
	if (flags && used + 4 < width) {
		char *mark = xasprintf(" ⚑ %s", flags);
		used += draw_text(w, y, x + used, width - used, mark, cursor ? at : theme_attr(ROLE_WARN));
		free(mark);
	}
	free(flags);
	if (h->heading && *h->heading && used + 4 < width) {
		used += draw_text(w, y, x + used, width - used, " › ", at);
		draw_flat(w, y, x + used, width - used, h->heading, cursor ? at : theme_attr(ROLE_DIM));
	}
	for (int r = 1; r < kp->hit_list.row_height; r++)
		if (r == 1)
			draw_marked(w, y + r, x + 3, width - 3, h->text, at, cursor ? at | A_UNDERLINE : theme_attr(ROLE_MATCH));
}

static const struct ui_list_ops hit_list_ops = { draw_hit_row, NULL };

static void draw_doc_row(void *ud, WINDOW *w, int y, int x, int width, size_t i, int cursor)
{
	struct kb_pane *kp = ud;
	const struct kb_doc_row *d = &kp->docs[i];
	attr_t at = theme_attr(cursor ? ROLE_SELECTED : ROLE_NORMAL);
	if (cursor)
		for (int r = 0; r < kp->doc_list.row_height; r++)
			draw_fill(w, y + r, x, at);
	char size[32], line[128];
	kb_label_size(size, sizeof size, d->bytes);
	int used = draw_flat(w, y, x, width, short_name(d->name), cursor ? at : theme_attr(ROLE_TITLE));
	snprintf(line, sizeof line, "  %lld chunk%s · %s · %s", (long long)d->chunks, d->chunks == 1 ? "" : "s", size,
		 d->format ? d->format : "");
	draw_text(w, y, x + used, width - used, line, cursor ? at : theme_attr(ROLE_DIM));
	if (kp->doc_list.row_height > 1) {
		char *meta = xasprintf("  %s%s%s", d->title ? d->title : "",
				       d->meta && strcmp(d->meta, "{}") != 0 ? "  " : "",
				       d->meta && strcmp(d->meta, "{}") != 0 ? d->meta : "");
		draw_flat(w, y + 1, x, width, meta, cursor ? at : theme_attr(ROLE_DIM));
		free(meta);
	}
}

static const char *doc_row_text(void *ud, size_t i)
{
	struct kb_pane *kp = ud;
	return kp->doc_text[i];
}

static const struct ui_list_ops doc_list_ops = { draw_doc_row, doc_row_text };

/* ---------------------------------------------------------------- views */

static int draw_hint(WINDOW *w, int y, int width, int rows, const char *hint)
{
	return draw_wrapped(w, y, 0, width, rows, hint, theme_attr(ROLE_DIM));
}

static void draw_progress(struct kb_pane *kp, WINDOW *w, int y, int width);

static void draw_kbs(struct kb_pane *kp, WINDOW *w, int height, int width)
{
	const struct wb *wb = kp->base.wb;
	if (!kp->loaded)
		load_kbs(kp);
	int y = 0;
	kp->kb_list.row_height = width >= 72 ? 1 : 2;
	if (kp->kb_list.row_height == 1 && height > 4) {
		char head[200];
		snprintf(head, sizeof head, "%-14s %5s %6s %8s  %-18s %s", "knowledge base", "docs", "chunks", "size",
			 "embedding model", "last sync");
		draw_text(w, y++, 0, width, head, theme_attr(ROLE_DIM));
	}
	char demo[600] = "";
	if (wb->examples_dir && wb->demo_docs > 0)
		snprintf(demo, sizeof demo, "%d demo document%s in %s/docs", wb->demo_docs, wb->demo_docs == 1 ? "" : "s",
			 wb->examples_dir);
	char hint[300];
	snprintf(hint, sizeof hint, "%s open · %s search · %s documents · %s add · %s sync · %s delete · / filter",
		 KEY_HINT(PA_KB_OPEN), KEY_HINT(PA_KB_QUERY), KEY_HINT(PA_KB_DOCS), KEY_HINT(PA_KB_ADD), KEY_HINT(PA_KB_SYNC),
		 KEY_HINT(PA_KB_DELETE));
	int rows = kp->nkbs ? (int)kp->nkbs * kp->kb_list.row_height + ((kp->kb_list.editing || kp->kb_list.filter[0]) ? 1 : 0)
			    : 3;
	int room = height - y - (height - y > 6 ? 3 + (demo[0] ? 2 : 0) : 0);
	if (rows > room)
		rows = room;
	if (rows < 1)
		rows = 1;
	ui_list_draw(&kp->kb_list, w, y, 0, rows, width,
		     "No knowledge bases. Make one with 'aiwb kb create NAME' and 'aiwb kb add NAME PATH'; the demo "
		     "KB comes from the demo workspace (docs/kb.md).");
	y += rows;
	if (kp->sync && y < height)
		draw_progress(kp, w, y, width);
	y++;
	if (y < height && kp->nkbs)
		y += draw_hint(w, y, width, height - y, hint);
	if (demo[0] && y + 1 < height)
		draw_wrapped(w, y + 1, 0, width, height - y - 1, demo, theme_attr(ROLE_DIM));
}

static void draw_search_head(struct kb_pane *kp, WINDOW *w, int *y, int height, int width)
{
	char line[700], size[32];
	kb_label_size(size, sizeof size, kp->cur.bytes);
	int x = draw_flat(w, *y, 0, width, kp->cur.name, theme_attr(ROLE_TITLE));
	if (kb_is_remote(&kp->cur))
		snprintf(line, sizeof line, "  Bedrock knowledge base %s in %s", kp->cur.set.remote_id, kp->cur.set.region);
	else
		snprintf(line, sizeof line, "  %lld docs · %lld chunks · %s · %s", (long long)kp->cur.docs,
			 (long long)kp->cur.chunks, size, kp->cur.set.embed[0] ? kp->cur.set.embed : "bm25 only");
	draw_flat(w, (*y)++, x, width - x, line, theme_attr(ROLE_DIM));
	if (*y >= height)
		return;
	snprintf(line, sizeof line, "mode %s (%s) · k %d (%s %s) · rerank %s (%s)", kb_mode_name(kp->mode),
		 KEY_HINT(PA_KB_MODE), kp->k, KEY_HINT(PA_KB_K_LESS), KEY_HINT(PA_KB_K_MORE),
		 kp->mmr ? "mmr" : kp->model_rerank ? kp->base.wb->cfg->kb_rerank : "off", KEY_HINT(PA_KB_RERANK));
	draw_flat(w, (*y)++, 0, width, line, theme_attr(ROLE_NORMAL));
	if (*y >= height)
		return;
	snprintf(line, sizeof line, "filter (%s): %s", KEY_HINT(PA_KB_FILTER), kp->filter ? kp->filter : "none");
	draw_flat(w, (*y)++, 0, width, line, theme_attr(kp->filter ? ROLE_NORMAL : ROLE_DIM));
	if (*y >= height)
		return;
	if (kp->query)
		snprintf(line, sizeof line, "query (%s): %s", KEY_HINT(PA_KB_QUERY), kp->query);
	else
		snprintf(line, sizeof line, "query: none yet, %s types one", KEY_HINT(PA_KB_QUERY));
	draw_flat(w, (*y)++, 0, width, line, theme_attr(kp->query ? ROLE_NORMAL : ROLE_NOTICE));
}

static void draw_results(struct kb_pane *kp, WINDOW *w, int height, int width)
{
	int y = 0;
	draw_search_head(kp, w, &y, height, width);
	if (y >= height)
		return;
	kp->hit_list.row_height = 2;
	char empty[400];
	if (!kp->searched)
		snprintf(empty, sizeof empty, "Press %s to search %s; %s browses its documents, %s goes back.",
			 KEY_HINT(PA_KB_QUERY), kp->cur.name, KEY_HINT(PA_KB_DOCS), KEY_HINT(PA_KB_BACK));
	else if (!kp->res.fts && kp->mode == KB_MODE_BM25)
		snprintf(empty, sizeof empty, "The query holds no word to search for; type words.");
	else
		snprintf(empty, sizeof empty, "No chunks of %s match the query%s.", kp->cur.name,
			 kp->filter ? " and the filter" : "");
	char *safe = flat(empty);
	int list_h = height - y;
	int hint = kp->res.n && list_h > 8;
	ui_list_draw(&kp->hit_list, w, y, 0, list_h - hint, width, safe);
	free(safe);
	if (hint) {
		char line[200];
		snprintf(line, sizeof line, "%s opens the chunk in its document · %s asks with these sources · %s documents · %s back",
			 KEY_HINT(PA_KB_OPEN), KEY_HINT(PA_KB_ASK), KEY_HINT(PA_KB_DOCS), KEY_HINT(PA_KB_BACK));
		draw_text(w, height - 1, 0, width, line, theme_attr(ROLE_DIM));
	}
}

static void draw_docs(struct kb_pane *kp, WINDOW *w, int height, int width)
{
	char line[300];
	int x = draw_flat(w, 0, 0, width, kp->cur.name, theme_attr(ROLE_TITLE));
	snprintf(line, sizeof line, "  %zu document%s · / filters · %s opens · %s back", kp->ndocs, kp->ndocs == 1 ? "" : "s",
		 KEY_HINT(PA_KB_OPEN), KEY_HINT(PA_KB_BACK));
	draw_text(w, 0, x, width - x, line, theme_attr(ROLE_DIM));
	kp->doc_list.row_height = height > 10 ? 2 : 1;
	ui_list_draw(&kp->doc_list, w, 1, 0, height - 1, width,
		     "No documents yet: 'aiwb kb add NAME PATH' adds files and folders.");
}

static void draw_doc(struct kb_pane *kp, WINDOW *w, int height, int width)
{
	const struct kb_chunk_row *c = kp->chunk < kp->nchunks ? &kp->chunks[kp->chunk] : NULL;
	char line[400];
	int x = draw_flat(w, 0, 0, width, short_name(kp->doc.name), theme_attr(ROLE_TITLE));
	if (c)
		snprintf(line, sizeof line, "  chunk %zu/%zu · bytes %zu-%zu · %d tokens · %s %s chunks · %s back",
			 kp->chunk + 1, kp->nchunks, c->start, c->end, c->tokens, KEY_HINT(PA_KB_NEXT_CHUNK),
			 KEY_HINT(PA_KB_PREV_CHUNK), KEY_HINT(PA_KB_BACK));
	else
		snprintf(line, sizeof line, "  no chunks · %s back", KEY_HINT(PA_KB_BACK));
	draw_text(w, 0, x, width - x, line, theme_attr(ROLE_DIM));
	int y = 1;
	if (height > 8 && ((kp->doc.title && *kp->doc.title) || (kp->doc.meta && strcmp(kp->doc.meta, "{}") != 0))) {
		char *meta = xasprintf("%s%s%s", kp->doc.title ? kp->doc.title : "",
				       kp->doc.meta && strcmp(kp->doc.meta, "{}") ? "  " : "",
				       kp->doc.meta && strcmp(kp->doc.meta, "{}") ? kp->doc.meta : "");
		draw_flat(w, y++, 0, width, meta, theme_attr(ROLE_DIM));
		free(meta);
	}
	int rows = height - y;
	if (rows < 1)
		return;
	if (kp->text_width != width) {
		struct kbdoc_attrs at = { theme_attr(ROLE_NORMAL), theme_attr(ROLE_DIM), theme_attr(ROLE_MATCH),
					  theme_attr(ROLE_WARN) };
		kp->chunk_at = kbdoc_build(&kp->text, kp->body ? kp->body : "", kp->len, kp->chunks, kp->nchunks, kp->chunk,
					   kp->doc.meta, &at);
		wrap_update(&kp->text, width);
		kp->text_width = width;
	}
	if (kp->scroll_to_chunk) {
		long line_no = (long)kbdoc_line_of(&kp->text, kp->chunk_at);
		kp->scroll = line_no > 1 ? line_no - 1 : 0;
		kp->scroll_to_chunk = 0;
	}
	long max = (long)wrap_lines(&kp->text) - rows;
	if (kp->scroll > max)
		kp->scroll = max;
	if (kp->scroll < 0)
		kp->scroll = 0;
	wrap_draw(w, &kp->text, kp->scroll, y, 0, width, rows, theme_attr(ROLE_NORMAL));
	scrollpos_draw(w, 0, width, width / 3, kp->scroll, rows, (long)wrap_lines(&kp->text), theme_attr(ROLE_DIM));
}

static void kb_draw(struct pane *p, WINDOW *w, int height, int width)
{
	struct kb_pane *kp = (struct kb_pane *)p;
	switch (kp->view) {
	case VIEW_KBS: draw_kbs(kp, w, height, width); break;
	case VIEW_RESULTS: draw_results(kp, w, height, width); break;
	case VIEW_DOCS: draw_docs(kp, w, height, width); break;
	case VIEW_DOC: draw_doc(kp, w, height, width); break;
	}
}

/* ---------------------------------------------------------------- add and sync */

static void on_synced(void *ud, const struct kbsync_progress *pr, int done, int rc, const char *msg)
{
	struct kb_pane *kp = ud;
	struct wb *wb = kp->base.wb;
	const struct kb_ingest_stats *st = &pr->st;
	kp->sync_p = *pr;
	wb_redraw(wb);
	if (!done)
		return;
	kp->sync = NULL;
	const char *verb = kp->sync_add ? "added to" : "synced";
	int64_t stored = st->added + st->updated;
	if (rc != KB_INGEST_OK) {
		wb_status(wb, 1, "%s %s stopped: %s (%lld files stored before)", verb, kp->sync_name, msg ? msg : "error",
			  (long long)stored);
	} else {
		int64_t skipped = 0;
		for (int i = 0; i < KB_SKIP_N; i++)
			skipped += st->skipped[i];
		char vectors[160] = "";
		if (pr->embedding && !pr->embed_failed)
			snprintf(vectors, sizeof vectors, "; %lld chunk%s embedded", (long long)(pr->es.embedded + pr->es.cached),
				 pr->es.embedded + pr->es.cached == 1 ? "" : "s");
		if (pr->es.cached)
			snprintf(vectors + strlen(vectors), sizeof vectors - strlen(vectors), " (%lld cached)",
				 (long long)pr->es.cached);
		if (pr->embed_failed)
			wb_status(wb, 1, "%s %s: %lld stored, %lld removed, but %s", verb, kp->sync_name, (long long)stored,
				  (long long)st->removed, msg ? msg : "the embeddings were not computed");
		else
			wb_status(wb, 0, "%s %s: %lld stored, %lld removed, %lld unchanged, %lld skipped%s", verb,
				  kp->sync_name, (long long)stored, (long long)st->removed, (long long)st->unchanged,
				  (long long)skipped, vectors);
	}
	if (kp->view == VIEW_KBS)
		load_kbs(kp);
}

static void start_sync(struct kb_pane *kp, const char *name, const struct kb_addline *add)
{
	struct wb *wb = kp->base.wb;
	struct err e = ERR_INIT;
	if (kp->sync) {
		wb_status(wb, 1, "%s is still being %s; wait for it to finish", kp->sync_name, kp->sync_add ? "added to" : "synced");
		return;
	}
	memset(&kp->sync_p, 0, sizeof kp->sync_p);
	snprintf(kp->sync_name, sizeof kp->sync_name, "%s", name);
	kp->sync_add = add != NULL;
	struct kbsync_env env = { wb->cfg, wb->catalog, wb->cfg ? wb->cfg->kb_max_cost_usd : 1.0, 0 };
	kp->sync = kbsync_start(wb->db, wb->loop, &env, name, add, on_synced, kp, &e);
	if (!kp->sync) {
		wb_status(wb, 1, "%s", e.msg);
		return;
	}
	kp->sync_p = *kbsync_progress(kp->sync);
	wb_status(wb, 0, "%s %s…", add ? "adding to" : "syncing", name);
}

static void on_add_path(const char *line, void *ud)
{
	struct kb_pane *kp = ud;
	size_t i = ui_list_selected(&kp->kb_list);
	if (!line || !*(line + strspn(line, " \t")) || i == UI_LIST_NONE || i >= kp->nkbs)
		return;
	struct kb_addline add;
	struct err e = ERR_INIT;
	if (kb_addline_parse(line, &add, &e) < 0) {
		wb_status(kp->base.wb, 1, "%s", e.msg);
		return;
	}
	start_sync(kp, kp->kbs[i].name, &add);
	kb_addline_free(&add);
}

/* The progress of an add or sync under way, on row y: the files found while
 * the tree is walked; files, MB, rate and ETA while the text goes in; then
 * the embeddings. */
static void draw_progress(struct kb_pane *kp, WINDOW *w, int y, int width)
{
	const struct kbsync_progress *pr = &kp->sync_p;
	const struct kb_ingest_stats *st = &pr->st;
	char line[300];
	double frac;
	if (pr->embedding) {
		int64_t todo = pr->es.pending - pr->es.cached;
		snprintf(line, sizeof line, "embedding %s: %lld/%lld chunks · %lld cached ", kp->sync_name,
			 (long long)pr->es.embedded, (long long)todo, (long long)pr->es.cached);
		frac = todo > 0 ? (double)pr->es.embedded / (double)todo : 0;
	} else if (pr->walking) {
		snprintf(line, sizeof line, "%s %s: looking for files, %lld found · %.1f MB ",
			 kp->sync_add ? "adding to" : "syncing", kp->sync_name, (long long)st->files_total,
			 (double)st->bytes_total / 1048576.0);
		frac = 0;
	} else {
		double secs = (double)(clock_us() - st->start_us) / 1e6;
		double mb = (double)st->bytes_done / 1048576.0, total = (double)st->bytes_total / 1048576.0;
		double rate = secs > 0 ? mb / secs : 0, eta = rate > 0 ? (total - mb) / rate : 0;
		snprintf(line, sizeof line, "%s %s: %lld/%lld files · %.1f/%.1f MB · %.1f MB/s · ETA %.0fs ",
			 kp->sync_add ? "adding to" : "syncing", kp->sync_name, (long long)st->files_done,
			 (long long)st->files_total, mb, total, rate, eta > 0 ? eta : 0);
		frac = st->bytes_total > 0 ? (double)st->bytes_done / (double)st->bytes_total
		       : st->files_total > 0 ? (double)st->files_done / (double)st->files_total : 0;
	}
	int x = draw_flat(w, y, 0, width, line, theme_attr(ROLE_NOTICE));
	int bar = width - x - 2;
	if (bar < 4)
		return;
	if (frac > 1)
		frac = 1;
	int fill = (int)(bar * frac);
	draw_text(w, y, x, 1, "[", theme_attr(ROLE_DIM));
	for (int k = 0; k < bar; k++)
		mvwaddch(w, y, x + 1 + k, (k < fill ? '#' : '.') | theme_attr(k < fill ? ROLE_OK : ROLE_DIM));
	draw_text(w, y, x + 1 + bar, 1, "]", theme_attr(ROLE_DIM));
}

/* ---------------------------------------------------------------- e: the chunk in an editor */

/* Opens the chunk at start of document doc (its stored text body) where it
 * came from: the file at the chunk's line in $VISUAL/$EDITOR when the file is
 * there (nothing written), else the stored text in $PAGER from a 0600 temp
 * copy. Both hold the loop, so not while requests are running. */
static void edit_chunk(struct kb_pane *kp, const struct kb_doc_row *doc, const char *body, size_t len, size_t start)
{
	struct wb *wb = kp->base.wb;
	if (kp->sync || kp->embedding || loop_transfers(wb->loop) > 0) {
		wb_status(wb, 1, "%s waits while %s; the editor would stall it", KEY_HINT(PA_KB_EDIT),
			  kp->sync ? "an add or sync is under way" : "requests are running");
		return;
	}
	struct err e = ERR_INIT;
	char *path = NULL;
	int has_file = kb_store_doc_file(wb->db, doc->id, &path, &e) == 1 && path_is_file(path);
	size_t pl = path ? strlen(path) : 0;
	int editable = has_file && takeaway_editor_set() && !(doc->format && strcmp(doc->format, "pdf") == 0) &&
		       !(pl > 3 && strcmp(path + pl - 3, ".gz") == 0);
	char *name = flat(short_name(doc->name));
	if (editable) {
		int found = 0;
		long line = kb_locate_line(path, body ? body : "", len, start, &found, &e);
		if (line < 0 || takeaway_edit(path, line, &e) < 0)
			wb_status(wb, 1, "%s", e.msg);
		else
			wb_status(wb, 0, "back from the editor (%s, line %ld%s)", name, line,
				  found ? "" : ", as the stored text has it");
	} else {
		long line = kb_locate_body_line(body ? body : "", len, start);
		if (takeaway_page_at(body ? body : "", len, line, &e) < 0)
			wb_status(wb, 1, "%s", e.msg);
		else
			wb_status(wb, 0, "back from the pager (%s as stored)%s", name,
				  has_file ? "; VISUAL or EDITOR opens its file" : ": its file is gone");
	}
	free(name);
	free(path);
}

/* e in the results: the chunk under the cursor; in a document: its chunk. */
static void edit_key(struct kb_pane *kp)
{
	struct wb *wb = kp->base.wb;
	if (kp->view == VIEW_DOC) {
		if (kp->has_doc)
			edit_chunk(kp, &kp->doc, kp->body, kp->len, kp->chunk < kp->nchunks ? kp->chunks[kp->chunk].start : 0);
		return;
	}
	size_t i = ui_list_selected(&kp->hit_list);
	if (i == UI_LIST_NONE || i >= kp->res.n) {
		wb_status(wb, 1, "no result under the cursor; search first (%s)", KEY_HINT(PA_KB_QUERY));
		return;
	}
	const struct kb_hit *h = &kp->res.v[i];
	struct kb_doc_row d;
	char *body = NULL;
	size_t len = 0;
	struct err e = ERR_INIT;
	int found = kb_store_doc(wb->db, kp->cur.id, h->doc_name, &d, &body, &len, NULL, NULL, &e);
	if (found != 1) {
		char *n = flat(h->doc_name);
		wb_status(wb, 1, found < 0 ? "cannot open %s: %s" : "%s is no longer in the knowledge base%s", n,
			  found < 0 ? e.msg : "");
		free(n);
		return;
	}
	edit_chunk(kp, &d, body, len, h->start);
	free(body);
	kb_doc_row_free(&d);
}

/* ---------------------------------------------------------------- keys */

static void on_delete(const char *line, void *ud)
{
	struct kb_pane *kp = ud;
	struct wb *wb = kp->base.wb;
	size_t i = ui_list_selected(&kp->kb_list);
	if (!line || i == UI_LIST_NONE || i >= kp->nkbs)
		return;
	char *name = xstrdup(kp->kbs[i].name);
	if (strcmp(line, name) != 0) {
		wb_status(wb, 0, "%s kept (type its name to delete it)", name);
	} else {
		struct err e = ERR_INIT;
		int rc = kb_store_remove(wb->db, name, &e);
		if (rc < 0)
			wb_status(wb, 1, "cannot delete %s: %s", name, e.msg);
		else
			wb_status(wb, 0, "deleted the knowledge base %s", name);
		load_kbs(kp);
	}
	free(name);
}

static unsigned kbs_key(struct kb_pane *kp, enum pane_action a, int key)
{
	size_t i = ui_list_selected(&kp->kb_list);
	const struct kb *k = i != UI_LIST_NONE && i < kp->nkbs ? &kp->kbs[i] : NULL;
	if (k && kb_is_remote(k) && (a == PA_KB_ADD || a == PA_KB_SYNC || a == PA_KB_DOCS)) {
		wb_status(kp->base.wb, 1, "the documents of %s live in Bedrock; add and sync them there", k->name);
		return PANE_HANDLED | PANE_DIRTY;
	}
	switch (a) {
	case PA_KB_OPEN:
		if (k)
			open_kb(kp, k);
		break;
	case PA_KB_QUERY:
		if (!k)
			return PANE_HANDLED;
		open_kb(kp, k);
		if (kp->cur.name)
			input_begin_in(INPUT_PROMPTS, "search> ", kp->query, on_query, kp);
		break;
	case PA_KB_DOCS:
		if (!k)
			return PANE_HANDLED;
		open_kb(kp, k);
		if (kp->cur.name && load_docs(kp) == 0)
			kp->view = VIEW_DOCS;
		break;
	case PA_KB_ADD:
		if (k) {
			char *name = flat(k->name), prompt[200];
			snprintf(prompt, sizeof prompt, "add to %s (PATH [+GLOB]... [-GLOB]...)> ", name);
			free(name);
			input_begin_in(INPUT_COMMANDS, prompt, NULL, on_add_path, kp);
		}
		break;
	case PA_KB_SYNC:
		if (k)
			start_sync(kp, k->name, NULL);
		break;
	case PA_KB_DELETE:
		if (k && kp->sync && !strcmp(k->name, kp->sync_name)) {
			wb_status(kp->base.wb, 1, "%s is being %s; delete it when that is done", k->name,
				  kp->sync_add ? "added to" : "synced");
		} else if (k) {
			char *name = flat(k->name), prompt[200];
			snprintf(prompt, sizeof prompt, "delete %s and its index? type its name: ", name);
			free(name);
			input_begin_in(INPUT_COMMANDS, prompt, NULL, on_delete, kp);
		}
		break;
	case PA_KB_BACK:
		load_kbs(kp);
		wb_status(kp->base.wb, 0, "%zu knowledge base%s", kp->nkbs, kp->nkbs == 1 ? "" : "s");
		break;
	default:
		return ui_list_key(&kp->kb_list, key) ? PANE_HANDLED | PANE_DIRTY : 0;
	}
	return PANE_HANDLED | PANE_DIRTY;
}

/* Keys of the open KB's search, from the results and the document browser. */
static unsigned search_key(struct kb_pane *kp, enum pane_action a)
{
	switch (a) {
	case PA_KB_QUERY: input_begin_in(INPUT_PROMPTS, "search> ", kp->query, on_query, kp); break;
	case PA_KB_MODE:
		if (kp->mode == KB_MODE_BM25 && !vectors_usable(kp, "vector"))
			break;
		kp->mode = kp->mode == KB_MODE_BM25 ? KB_MODE_VECTOR : kp->mode == KB_MODE_VECTOR ? KB_MODE_HYBRID : KB_MODE_BM25;
		search_again(kp);
		break;
	case PA_KB_RERANK: {
		/* off -> mmr (local KBs with vectors) -> the config's kb.rerank model -> off */
		const char *model = kp->base.wb->cfg->kb_rerank;
		int has_model = model && *model;
		if (!kp->mmr && !kp->model_rerank) {
			if (!kb_is_remote(&kp->cur) && kp->cur.set.embed[0] && kp->with_vectors)
				kp->mmr = 1;
			else if (has_model)
				kp->model_rerank = 1;
			else if (!vectors_usable(kp, "mmr"))
				break;
			else
				kp->mmr = 1;
		} else if (kp->mmr) {
			kp->mmr = 0;
			kp->model_rerank = has_model;
		} else {
			kp->model_rerank = 0;
		}
		cancel_rerank(kp);
		search_again(kp);
		break;
	}
	case PA_KB_K_MORE: change_k(kp, 1); break;
	case PA_KB_K_LESS: change_k(kp, 0); break;
	case PA_KB_FILTER:
		input_begin_in(INPUT_COMMANDS, "filter (empty clears)> ", kp->filter, on_filter, kp);
		break;
	case PA_KB_DOCS:
		if (kb_is_remote(&kp->cur))
			wb_status(kp->base.wb, 1, "the documents of %s live in Bedrock", kp->cur.name);
		else if (load_docs(kp) == 0)
			kp->view = VIEW_DOCS;
		break;
	case PA_KB_ASK: ask_with_sources(kp); break;
	default: return 0;
	}
	return PANE_HANDLED | PANE_DIRTY;
}

static unsigned results_key(struct kb_pane *kp, enum pane_action a, int key)
{
	size_t i = ui_list_selected(&kp->hit_list);
	switch (a) {
	case PA_KB_OPEN:
		if (i != UI_LIST_NONE && i < kp->res.n && kp->res.v[i].remote)
			wb_status(kp->base.wb, 0, "the document lives in Bedrock: %s", kp->res.v[i].doc_path);
		else if (i != UI_LIST_NONE && i < kp->res.n)
			open_doc(kp, kp->res.v[i].doc_name, kp->res.v[i].seq, VIEW_RESULTS);
		return PANE_HANDLED | PANE_DIRTY;
	case PA_KB_EDIT: edit_key(kp); return PANE_HANDLED | PANE_DIRTY;
	case PA_KB_BACK:
		close_kb(kp);
		kp->view = VIEW_KBS;
		load_kbs(kp);
		return PANE_HANDLED | PANE_DIRTY;
	default: break;
	}
	unsigned r = search_key(kp, a);
	if (r)
		return r;
	return ui_list_key(&kp->hit_list, key) ? PANE_HANDLED | PANE_DIRTY : 0;
}

static unsigned docs_key(struct kb_pane *kp, enum pane_action a, int key)
{
	size_t i = ui_list_selected(&kp->doc_list);
	switch (a) {
	case PA_KB_OPEN:
		if (i != UI_LIST_NONE && i < kp->ndocs)
			open_doc(kp, kp->docs[i].name, 0, VIEW_DOCS);
		return PANE_HANDLED | PANE_DIRTY;
	case PA_KB_BACK: kp->view = VIEW_RESULTS; return PANE_HANDLED | PANE_DIRTY;
	case PA_KB_DOCS: return PANE_HANDLED;
	default: break;
	}
	unsigned r = search_key(kp, a);
	if (r)
		return r;
	return ui_list_key(&kp->doc_list, key) ? PANE_HANDLED | PANE_DIRTY : 0;
}

static unsigned doc_key(struct kb_pane *kp, enum pane_action a)
{
	long page = 10;
	switch (a) {
	case PA_KB_BACK:
		close_doc(kp);
		kp->view = kp->doc_back;
		break;
	case PA_KB_NEXT_CHUNK: move_chunk(kp, 1); break;
	case PA_KB_EDIT: edit_key(kp); break;
	case PA_KB_PREV_CHUNK: move_chunk(kp, -1); break;
	case PA_MOVE_DOWN: kp->scroll++; break;
	case PA_MOVE_UP: kp->scroll--; break;
	case PA_MOVE_PAGE_DOWN: kp->scroll += page; break;
	case PA_MOVE_PAGE_UP: kp->scroll -= page; break;
	case PA_MOVE_FIRST: kp->scroll = 0; break;
	case PA_MOVE_LAST: kp->scroll = (long)wrap_lines(&kp->text); break;
	default: return 0;
	}
	return PANE_HANDLED | PANE_DIRTY;
}

static unsigned kb_on_key(struct pane *p, int key)
{
	struct kb_pane *kp = (struct kb_pane *)p;
	struct ui_list *l = kp->view == VIEW_KBS ? &kp->kb_list : kp->view == VIEW_DOCS ? &kp->doc_list : NULL;
	if (l && (l->editing || (key == 27 && l->filter[0])) && ui_list_key(l, key)) /* the filter line */
		return PANE_HANDLED | PANE_DIRTY;
	enum pane_action a = keys_pane_action(KEYMAP_KB, key);
	switch (kp->view) {
	case VIEW_KBS: return kbs_key(kp, a, key);
	case VIEW_RESULTS: return results_key(kp, a, key);
	case VIEW_DOCS: return docs_key(kp, a, key);
	case VIEW_DOC: return doc_key(kp, a);
	}
	return 0;
}

static void kb_destroy(struct pane *p)
{
	struct kb_pane *kp = (struct kb_pane *)p;
	kbsync_cancel(kp->sync);
	close_kb(kp);
	wrap_free(&kp->text);
	kb_list_free(kp->kbs, kp->nkbs);
	ui_list_free(&kp->kb_list);
	ui_list_free(&kp->hit_list);
	ui_list_free(&kp->doc_list);
	free(kp->query);
	free(kp->filter);
	free(kp);
}

static const struct pane_ops kb_ops = {
	.draw = kb_draw,
	.on_key = kb_on_key,
	.destroy = kb_destroy,
	.keymap = KEYMAP_KB,
};

struct pane *pane_kb_new(struct wb *wb)
{
	struct kb_pane *kp = xcalloc(1, sizeof *kp);
	pane_init(&kp->base, &kb_ops, "Knowledge", wb);
	ui_list_init(&kp->kb_list, &kb_list_ops, kp, 0);
	ui_list_init(&kp->hit_list, &hit_list_ops, kp, 0);
	ui_list_init(&kp->doc_list, &doc_list_ops, kp, 0);
	kp->k = 10;
	return &kp->base;
}
