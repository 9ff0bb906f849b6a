/* kb/bedrockkb — Amazon Bedrock Knowledge Bases as a knowledge-base source.
 *
 * bedrock-agent (control plane, host bedrock-agent.REGION.amazonaws.com):
 *   GetKnowledgeBase   GET  /knowledgebases/{id}   → {"knowledgeBase":{...}}
 *   ListKnowledgeBases POST /knowledgebases/       {"maxResults","nextToken"}
 *                      → {"knowledgeBaseSummaries":[...],"nextToken"}
 * bedrock-agent-runtime (PROTOCOLS.md §2.7):
 *   Retrieve POST /knowledgebases/{id}/retrieve with retrievalQuery.text,
 *   vectorSearchConfiguration {numberOfResults, overrideSearchType, filter}.
 *   Rerank   POST /rerank (kb/rerank.h builds and reads the bodies).
 *
 * Both are rest-json, signed with SigV4 (signing name "bedrock") for the
 * region given (else the bedrock provider's, AWS_REGION, ...). Endpoints
 * are overridden as the SDKs do it (AWS_ENDPOINT_URL_BEDROCK_AGENT,
 * AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME, AWS_ENDPOINT_URL, the profile).
 * Every attempt is signed afresh and retried in AWS standard mode
 * (net/retry.h: throttling, 500/502/503/504 and connection errors; never a
 * ValidationException, AccessDeniedException, ResourceNotFoundException or
 * a 424 DependencyFailedException). A failure is one sentence naming the
 * service's error code.
 *
 * Retrieve maps search options to the request: k → numberOfResults (at
 * most KB_BEDROCK_K_MAX), mode vector → SEMANTIC, hybrid → HYBRID, bm25
 * refused; the filter through kb/bedrockfilter.h. Pages are followed by
 * nextToken until k results (at most KB_BEDROCK_PAGES pages). Each result
 * becomes a kb_hit with remote set: doc_name and doc_path the location's
 * URI (else the documentId), title and heading "", meta the metadata object
 * as JSON text, text the content's text (KB_MARK bytes dropped), score the
 * service's score; ids, offsets and the per-stage scores are 0. */
#ifndef AIWB_KB_BEDROCKKB_H
#define AIWB_KB_BEDROCKKB_H

#include <stddef.h>

#include "base/err.h"
#include "kb/search.h"

struct config;
struct loop;

#define KB_BEDROCK_K_MAX 100
#define KB_BEDROCK_PAGES 50
#define KB_BEDROCK_LIST_PAGE 100

struct bedrockkb;

/* A knowledge base as bedrock-agent describes it (strings "" when absent). */
struct bedrockkb_info {
	char *id, *name, *status, *description, *arn, *updated;
};
void bedrockkb_info_free(struct bedrockkb_info *k);
void bedrockkb_infos_free(struct bedrockkb_info *v, size_t n);

/* 1 when id can be a knowledge-base id: 1 to 10 of [0-9A-Za-z]. */
int bedrockkb_id_valid(const char *id);

/* cfg: the user's config (its "bedrock" provider's profile and region).
 * region NULL or "": the provider's, else the environment's. NULL with e
 * when credentials, region or endpoints cannot be resolved. */
struct bedrockkb *bedrockkb_new(const struct config *cfg, const char *region, struct err *e);
void bedrockkb_free(struct bedrockkb *b);
const char *bedrockkb_region(const struct bedrockkb *b);
/* Deterministic retry delays for tests (NULL: random). */
void bedrockkb_set_retry_rand(struct bedrockkb *b, double (*rand01)(void *ud), void *ud);

/* Blocking calls: they run l until done (or until something else stops l:
 * then the call is cancelled, e "interrupted"). 0, or -1 with e. */
int bedrockkb_get(struct bedrockkb *b, struct loop *l, const char *id, struct bedrockkb_info *out, struct err *e);
/* Every knowledge base of the account in the region, following nextToken;
 * *pages: how many calls it took. */
int bedrockkb_list(struct bedrockkb *b, struct loop *l, struct bedrockkb_info **out, size_t *n, int *pages,
		   struct err *e);
int bedrockkb_retrieve(struct bedrockkb *b, struct loop *l, const char *id, const struct kb_search_opts *so,
		       struct kb_results *out, struct err *e);

/* Rerank (bedrock-agent-runtime POST /rerank) of n texts against query with
 * the model rr->model (its ARN in the client's region is set in
 * rr->model_arn), KB_RERANK_BATCH texts a call, pages followed by nextToken;
 * scores[i] is text i's relevanceScore. Retried and worded as the other
 * calls. 0, or -1 with e (also when a document comes back unscored). */
struct kb_rerank;
int bedrockkb_rerank(struct bedrockkb *b, struct loop *l, struct kb_rerank *rr, const char *query,
		     const char *const *texts, size_t n, double *scores, struct err *e);
/* Rerank on the loop: done runs once with the n scores (valid during the
 * call) or NULL and e, unless cancelled. rr must outlive the call. */
struct bedrockkb_rerank_call;
typedef void (*bedrockkb_rerank_fn)(void *ud, const double *scores, const struct err *e);
struct bedrockkb_rerank_call *bedrockkb_rerank_start(struct bedrockkb *b, struct loop *l, struct kb_rerank *rr,
						     const char *query, const char *const *texts, size_t n,
						     bedrockkb_rerank_fn done, void *ud, struct err *e);
void bedrockkb_rerank_cancel(struct bedrockkb_rerank_call *c);

/* Retrieve for callers inside the loop (the workbench). done runs once from
 * the loop with the results (r owned by done's callee; NULL on error, then e
 * says why) unless cancelled. NULL with e when it cannot start (bm25 mode,
 * k over the limit, a filter Bedrock cannot express). */
struct bedrockkb_call;
typedef void (*bedrockkb_done_fn)(void *ud, struct kb_results *r, const struct err *e);
struct bedrockkb_call *bedrockkb_retrieve_start(struct bedrockkb *b, struct loop *l, const char *id,
						const struct kb_search_opts *so, bedrockkb_done_fn done, void *ud,
						struct err *e);
void bedrockkb_cancel(struct bedrockkb_call *c);

/* Pure pieces, for tests. */
/* The Retrieve body for so (next_token NULL on the first page); NULL with e:
 * "invalid filter: ..." or a refused mode or k. */
char *bedrockkb_retrieve_json(const struct kb_search_opts *so, const char *next_token, struct err *e);
/* Appends the results of one Retrieve answer to r (ranks continue);
 * *next_token (caller frees) is the page token or NULL. -1 with e when the
 * body is not the Retrieve response shape. */
int bedrockkb_parse_retrieve(const char *body, size_t len, struct kb_results *r, char **next_token, struct err *e);

#endif
