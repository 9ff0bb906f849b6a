/* kb/rerank — reordering search results by a model's relevance score.
 *
 * Two kinds, named as --rerank gives them:
 *   bedrock:MODEL_ID   Amazon Bedrock's Rerank (bedrock-agent-runtime, POST
 *                      /rerank; the call itself is kb/bedrockkb.h), e.g.
 *                      amazon.rerank-v1:0 or cohere.rerank-v3-5:0, whose ARN
 *                      is arn:aws:bedrock:REGION::foundation-model/MODEL_ID.
 *   llm:PROVIDER/MODEL a chat model asked, for each candidate, the fixed
 *                      prompt of kb_rerank_prompt() (docs/kb.md), at most
 *                      KB_RERANK_LLM_IN_FLIGHT calls at once on the loop; the
 *                      first number of the answer, clamped to 0..10, is the
 *                      score; an answer without one scores 0 and is counted.
 *
 * The caller retrieves kb_rerank_depth() candidates, scores them and calls
 * kb_rerank_apply(). Rerank takes 1 to KB_RERANK_BATCH sources per call, so
 * more candidates go in several calls; both models score each document on
 * its own against the query (no score depends on the other documents of the
 * call), which is what makes scores from separate calls of one query
 * comparable and the merged order honest. */
#ifndef AIWB_KB_RERANK_H
#define AIWB_KB_RERANK_H

#include <stddef.h>

#include "base/err.h"
#include "kb/search.h"

struct config;
struct loop;

#define KB_RERANK_DEPTH 50         /* candidates retrieved when k is smaller */
#define KB_RERANK_BATCH 1000       /* Rerank sources per call (RerankSourcesList: 1..1000) */
#define KB_RERANK_TEXT_MAX 32000   /* bytes of a query or source text (RerankTextDocument) */
#define KB_RERANK_LLM_IN_FLIGHT 4  /* chat calls at once */
#define KB_RERANK_LLM_MAX 10.0

enum kb_rerank_kind { KB_RERANK_BEDROCK = 1, KB_RERANK_LLM };

struct kb_rerank {
	enum kb_rerank_kind kind;
	char *model;        /* bedrock: the model id; llm: PROVIDER/MODEL */
	char *model_arn;    /* bedrock: set by the call */
	size_t candidates;  /* documents scored */
	int calls;          /* Rerank requests (pages and batches) or chat calls */
	int max_in_flight;  /* llm: the most chat calls seen at once */
	int unparsed;       /* llm: answers without a number (scored 0) */
	double ms;
};

/* "bedrock:MODEL_ID" or "llm:PROVIDER/MODEL"; -1 with e (a usage error). */
int kb_rerank_parse(const char *spec, struct kb_rerank *out, struct err *e);
void kb_rerank_free(struct kb_rerank *rr);
/* Candidates to retrieve for k results: max(k, KB_RERANK_DEPTH), at most max. */
int kb_rerank_depth(int k, int max);
const char *kb_rerank_kind_name(enum kb_rerank_kind k);

/* The text a candidate is scored on: the chunk's text without marks (else
 * its title, else its document's name), cut to KB_RERANK_TEXT_MAX bytes at a
 * UTF-8 boundary; never empty. The caller frees. */
char *kb_rerank_text(const struct kb_hit *h);

/* Bedrock Rerank, pure pieces. */
char *kb_rerank_model_arn(const char *region, const char *model);
/* The request for n (1..KB_RERANK_BATCH) texts, numberOfResults n. */
char *kb_rerank_request_json(const char *model_arn, const char *query, const char *const *texts, size_t n,
			     const char *next_token);
/* Stores each result's relevanceScore at scores[index] (index 0..n-1) and
 * sets seen[index]; *next_token (caller frees) is the page token or NULL.
 * -1 with e when the body is not the Rerank response shape or an index is
 * out of range. */
int kb_rerank_parse_response(const char *body, size_t len, double *scores, unsigned char *seen, size_t n,
			     char **next_token, struct err *e);

/* The chat rerank's prompt for one candidate; the caller frees. */
char *kb_rerank_prompt(const char *query, const char *passage);
/* The first number in answer, clamped to 0..10, in *score: 0; none: -1 and
 * *score 0. */
int kb_rerank_parse_score(const char *answer, double *score);
/* Scores n texts with the chat model rr->model, at most max_in_flight calls
 * at once (0: KB_RERANK_LLM_IN_FLIGHT). 0, or -1 with e: the provider cannot
 * be opened, a call failed (its sentence), or the loop was stopped
 * ("interrupted"). */
int kb_rerank_llm(const struct config *cfg, struct loop *l, struct kb_rerank *rr, const char *query,
		  const char *const *texts, size_t n, int max_in_flight, double *scores, struct err *e);

/* kb_rerank_llm on the loop: done runs once with the n scores (valid during
 * the call) or NULL and e, unless cancelled. rr must outlive the call. */
typedef void (*kb_rerank_fn)(void *ud, const double *scores, const struct err *e);
struct kb_rerank_llm_call;
struct kb_rerank_llm_call *kb_rerank_llm_start(const struct config *cfg, struct loop *l, struct kb_rerank *rr,
					       const char *query, const char *const *texts, size_t n, int max_in_flight,
					       kb_rerank_fn done, void *ud, struct err *e);
void kb_rerank_llm_cancel(struct kb_rerank_llm_call *c);

/* Reorders r by scores (one per hit, higher first; ties keep the retrieval
 * order) and keeps the first k. Each hit's retrieval score and rank are kept
 * in retrieval and retrieval_rank, its relevance in relevance, its place in
 * rank and rerank_rank; score becomes the relevance. */
void kb_rerank_apply(struct kb_results *r, const double *scores, size_t k);

#endif
