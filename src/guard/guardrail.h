/* guardrail — Amazon Bedrock Guardrails' ApplyGuardrail (PROTOCOLS.md §2.5):
 * POST /guardrail/{id}/version/{version}/apply on the bedrock-runtime
 * endpoint, checking one text as a prompt (INPUT) or an answer (OUTPUT).
 *
 * Credentials, region and endpoint are those of the bedrock provider
 * (config.json's "bedrock" profile, region and base_url, the AWS credential
 * chain, AWS_ENDPOINT_URL_BEDROCK_RUNTIME); every attempt is signed afresh
 * (SigV4, signing name "bedrock") and retried in AWS standard mode
 * (net/retry.h: throttling and 5xx, never a ValidationException or an
 * AccessDeniedException). The call runs on the event loop; its result is
 * plain data: the assessments flattened into rows for a table and the
 * service's JSON kept verbatim for --json. Nobody outside sees cJSON. */
#ifndef AIWB_GUARD_GUARDRAIL_H
#define AIWB_GUARD_GUARDRAIL_H

#include <stddef.h>

#include "base/err.h"

struct config;
struct loop;

enum guardrail_source { GUARDRAIL_INPUT, GUARDRAIL_OUTPUT };

/* One assessment entry: a topic, a content filter, a word, a PII entity, a
 * regex, a grounding filter or an automated-reasoning finding. */
struct guardrail_row {
	char policy[24];  /* "topic", "content", "word", "managed word", "pii", "regex", "grounding", "reasoning" */
	char name[128];   /* the topic, filter type, word, entity type, regex name */
	char action[24];  /* BLOCKED, ANONYMIZED, NONE, ... */
	int detected;     /* 1, 0, or -1 when the service did not say */
	char detail[200]; /* confidence and strength, score and threshold, the match */
};

struct guardrail_usage {
	long topic, content, word, sensitive, sensitive_free, grounding, content_image, reasoning;
};

struct guardrail_result {
	int ok;                 /* a 200 with a readable body */
	int intervened;         /* action GUARDRAIL_INTERVENED */
	char action[40];
	char *action_reason;    /* NULL when absent */
	char **outputs;         /* outputs[].text */
	size_t noutputs;
	struct guardrail_row *rows;
	size_t nrows;
	struct guardrail_usage usage;
	long latency_ms;        /* invocationMetrics.guardrailProcessingLatency; -1 unknown */
	char *json;             /* the 200 body as received */
	int http_status;        /* 0 when no response */
	char error_code[96];    /* "ThrottlingException", ... */
	char message[1024];     /* one sentence when !ok */
	int attempts;
};

void guardrail_result_free(struct guardrail_result *r);

struct guardrail;
struct guardrail_call;

/* "ID:VERSION" split at the last ':' (an ID may be an ARN); the version is a
 * number or DRAFT as the service checks it. Both out strings owned by the
 * caller. 0, or -1 with e. */
int guardrail_parse_spec(const char *spec, char **id, char **version, struct err *e);

/* cfg: the user's config (its "bedrock" provider, if any). NULL with e when
 * the spec, the credentials or the endpoint cannot be used. */
struct guardrail *guardrail_new(const struct config *cfg, const char *spec, struct err *e);
void guardrail_free(struct guardrail *g);
const char *guardrail_id(const struct guardrail *g);
const char *guardrail_version(const struct guardrail *g);

/* The result is owned by the callee of done (free it with guardrail_result_free). */
typedef void (*guardrail_done_fn)(void *ud, struct guardrail_result *r);

/* Starts one ApplyGuardrail call; full: outputScope FULL (else INTERVENTIONS).
 * done runs once from the loop unless cancelled. NULL with e when it cannot start. */
struct guardrail_call *guardrail_apply(struct guardrail *g, struct loop *l, enum guardrail_source src,
				       const char *text, size_t len, int full, guardrail_done_fn done, void *ud,
				       struct err *e);
void guardrail_cancel(struct guardrail_call *c);

/* Pure pieces, for tests. */
char *guardrail_request_json(enum guardrail_source src, const char *text, size_t len, int full);
char *guardrail_path(const char *id, const char *version);
/* Fills r from a 200 body: 0, or -1 with r->message when it is not the
 * ApplyGuardrail response shape (action, outputs, assessments, usage). */
int guardrail_parse_response(const char *body, size_t len, struct guardrail_result *r);
/* Deterministic retry delays for tests (NULL: random). */
void guardrail_set_retry_rand(struct guardrail *g, double (*rand01)(void *ud), void *ud);

#endif
