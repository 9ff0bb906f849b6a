/* retry — whether and when to try a failed call again, per provider family
 * (PROTOCOLS.md §4 OpenAI, §5 Anthropic, §9 AWS standard mode).
 *
 * Decisions only: no I/O, no sleeping, no logging. The caller runs an
 * attempt, describes how it failed in a struct retry_attempt and, when the
 * decision says retry, schedules the next attempt itself with
 * loop_add_timer(l, d.delay_ms, ...). Nothing is ever retried once output has
 * reached the user (DESIGN.md §8), whatever the server says.
 *
 * State: a struct retry_policy is plain configuration; a struct retry_quota
 * is the AWS retry token bucket, shared by every call of one client (the
 * caller owns it); a struct retry_state belongs to one logical call across its
 * attempts (zero it before the first). retry_decide() takes from the quota
 * when it says retry; retry_succeeded() refunds it. Randomness comes from the
 * policy's rand01 so tests are deterministic; NULL uses an internal PRNG.
 *
 * OpenAI / Anthropic (the official SDKs): 3 attempts; retry connection
 * errors and timeouts, and statuses 408, 409, 429 and >= 500, unless the
 * server says x-should-retry: false (true forces a retry); OpenAI's
 * insufficient_quota is never retried. Delay: retry-after-ms, else
 * retry-after (seconds or an HTTP date) when 0 < v <= 120 s (OpenAI) or 60 s
 * (Anthropic); a longer ask gives up; no usable ask gives
 * min(0.5 s * 2^(attempt-1), 8 s) * (1 - 0.25 * rand).
 * AWS standard mode: 3 attempts (AWS_MAX_ATTEMPTS, read by retry_policy_init);
 * retry connection errors and timeouts, statuses 500/502/503/504 (and 429),
 * transient and throttling error codes and ModelNotReadyException, compared
 * case-insensitively (event-stream exceptions arrive as throttlingException);
 * delay rand * min(2^(attempt-1), 20) s; each retry takes 5 tokens from the
 * quota (10 after a timeout) and none is made when it is empty.
 * TLS failures, policy refusals, size caps, redirects and cancels are never
 * retried in any family. */
#ifndef AIWB_NET_RETRY_H
#define AIWB_NET_RETRY_H

#include <stdint.h>

#include "net/http.h"

enum retry_family { RETRY_AWS, RETRY_OPENAI, RETRY_ANTHROPIC };

#define RETRY_DEFAULT_ATTEMPTS 3
#define RETRY_QUOTA_CAPACITY 500
#define RETRY_QUOTA_COST 5
#define RETRY_QUOTA_TIMEOUT_COST 10

struct retry_quota {
	int available;
	int capacity;
};

#define RETRY_QUOTA_INIT {RETRY_QUOTA_CAPACITY, RETRY_QUOTA_CAPACITY}

struct retry_policy {
	enum retry_family family;
	int max_attempts;          /* tries in all, the first included; >= 1 */
	struct retry_quota *quota; /* AWS only; NULL: no quota */
	double (*rand01)(void *ud); /* uniform in [0, 1); NULL: internal PRNG */
	void *rand_ud;
};

struct retry_state {
	int acquired; /* tokens taken for the latest retry; 0: none yet */
};

struct retry_attempt {
	int attempt;                        /* 1-based number of the attempt that failed */
	enum http_error error;              /* HTTP_OK when a response arrived */
	int status;                         /* 0 when no response arrived */
	const struct http_headers *headers; /* of that response; may be NULL */
	const char *error_code;             /* AWS error code or OpenAI error.code; may be NULL */
	int output_delivered;               /* any output already shown to the user */
	int64_t now_wall_ms;                /* for an HTTP-date retry-after; 0: read the clock */
};

struct retry_decision {
	int retry;
	int64_t delay_ms;
	char reason[160]; /* one phrase for the status line, e.g. "HTTP 429, retry 1 of 2 in 1.0 s" */
};

/* Family defaults; for RETRY_AWS max_attempts comes from AWS_MAX_ATTEMPTS when
 * that is a positive integer. No quota is attached. */
void retry_policy_init(struct retry_policy *p, enum retry_family family);

struct retry_decision retry_decide(const struct retry_policy *p, struct retry_state *s,
				   const struct retry_attempt *a);
/* Call after a 2xx: refunds the quota (1 token, or what the last retry took). */
void retry_succeeded(const struct retry_policy *p, struct retry_state *s);

/* The server's requested delay from retry-after-ms, else retry-after (seconds
 * or HTTP date), into *ms (may be <= 0: a date in the past). Returns 1, or 0
 * when neither header is present and readable. now_wall_ms 0: the clock. */
int retry_after_ms(const struct http_headers *h, int64_t now_wall_ms, int64_t *ms);

#endif
