/* kb/embed — chunk and query embeddings for vector and hybrid search.
 *
 * kb_embed_pending embeds every chunk of a KB that has no vector yet, with
 * the KB's embedding model (PROVIDER/MODEL) through the provider's own wire
 * format (llm/provider.h: OpenAI /v1/embeddings, Bedrock InvokeModel for
 * Titan v2 and Cohere v3, Ollama /api/embed). What is embedded is the
 * chunk's text as stored, nothing prepended, as a document (a query as a
 * query: Cohere's input_type search_document, search_query). Vectors are normalised to unit
 * length and stored as float32 (kb_vectors), and cached by SHA-256 of model
 * and text (kb_embed_cache), so re-ingesting or re-chunking never pays twice
 * for the same text. Requests go out in batches of KB_EMBED_BATCH texts,
 * KB_EMBED_INFLIGHT at once on the event loop; retries and throttling are the
 * provider's. Each finished batch is committed at once: a failure or an
 * interruption leaves a consistent KB whose missing vectors the next add or
 * sync computes. Before the first request the cost is estimated from the
 * catalog (tokens by base/tokens.h); over max_cost_usd the call refuses
 * unless confirm() says yes.
 *
 * The work is one job on the event loop (kb_embed_start): a pass over the
 * chunks without a vector, a page at a time, stores what the cache holds and
 * counts the rest; then the cost check; then the rest in batches, each read
 * from the database a page at a time, so memory stays bounded by a page and
 * the batches in flight. kb_embed_pending runs that job to its end (the
 * command line); the workbench starts it and goes on. */
#ifndef AIWB_KB_EMBED_H
#define AIWB_KB_EMBED_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "kb/store.h"

struct config;
struct catalog;
struct loop;

#define KB_EMBED_BATCH 32
#define KB_EMBED_INFLIGHT 4

struct kb_embed_stats {
	int64_t pending, cached, embedded, calls, tokens;
	double cost_usd;      /* estimate; -1 when the catalog has no price */
};

struct kb_embed_opts {
	const struct config *cfg;
	const struct catalog *catalog;      /* may be NULL: cost unknown */
	struct loop *loop;
	volatile sig_atomic_t *stop;
	double max_cost_usd;                /* ask above this */
	int (*confirm)(void *ud, const struct kb_embed_stats *st); /* 1 to go on; NULL: refuse */
	void (*progress)(void *ud, const struct kb_embed_stats *st);
	void *ud;
};

/* Runs kb_embed_start's job to its end with loop_run (not from inside the
 * loop). 0 (also when the KB has no embedding model), -1 with e. */
int kb_embed_pending(struct db *db, const struct kb *kb, const struct kb_embed_opts *o, struct kb_embed_stats *st,
		     struct err *e);

/* Whether model (PROVIDER/MODEL) can give vectors of dims dimensions:
 * OpenAI text-embedding-3 (1 to 1536, or 3072 for -large) and Titan v2
 * (256, 512 or 1024). 0, or -1 with e saying what it takes. */
int kb_embed_dims_check(const char *model, int dims, struct err *e);

/* Starts embedding the KB's chunks that have no vector, on o->loop, and
 * returns at once; done(ud, rc, st, e) is called once, from the loop, with
 * 0 or -1 and a sentence (the chunks embedded before a failure are kept).
 * o is copied; db must outlive the job. confirm may be NULL (over the cost
 * limit it then refuses). NULL with e when the KB has no embedding model. */
struct kb_embedder;
typedef void (*kb_embed_done_fn)(void *ud, int rc, const struct kb_embed_stats *st, const struct err *e);
struct kb_embedder *kb_embed_start(struct db *db, const struct kb *kb, const struct kb_embed_opts *o,
				   kb_embed_done_fn done, void *ud, struct err *e);
/* Stops the job (requests in flight are cancelled, the batches stored are
 * kept); done is never called. NULL is fine. */
void kb_embed_cancel(struct kb_embedder *j);
/* The counts so far: pending and cached grow during the cache pass, then
 * embedded and calls. */
const struct kb_embed_stats *kb_embed_progress(const struct kb_embedder *j);

/* The input limit of an embedding model (PROVIDER/MODEL), in tokens, where
 * it is lower than chunks can be; 8192 otherwise. */
int kb_embed_input_limit(const char *model);

/* The name the cache keeps the KB's vectors under: the model, and
 * "@DIMS" when the KB asks for shorter vectors (kb_settings.embed_dims). */
void kb_embed_cache_key(const struct kb_settings *s, char *out, size_t len);

/* The unit vector of text as a query (caller frees), dims as the KB's
 * embed_dims; NULL with e. */
float *kb_embed_query(const struct config *cfg, struct loop *l, const char *model_spec, int dims, const char *text,
		      size_t *dim, struct err *e);

/* kb_embed_query for callers inside the loop (the workbench): starts the
 * request and returns at once; done(ud, v, dim, e) is called once, from the
 * loop, with the unit vector (done frees it) or NULL and e. Returns a handle
 * for kb_embed_query_cancel, valid until done is called, or NULL with e when
 * the request cannot start (unknown provider, no credentials). */
struct kb_query_embed;
struct kb_query_embed *kb_embed_query_start(const struct config *cfg, struct loop *l, const char *model_spec,
					    int dims, const char *text,
					    void (*done)(void *ud, float *v, size_t dim, const struct err *e), void *ud,
					    struct err *e);
/* Stops the request; done is never called. */
void kb_embed_query_cancel(struct kb_query_embed *q);

/* Chunks of the KB with and without a vector. */
int kb_embed_counts(struct db *db, const struct kb *kb, int64_t *with, int64_t *without, struct err *e);

#endif
