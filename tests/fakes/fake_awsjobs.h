/* fake_awsjobs — the AWS job services inside fakellm (tests/fakes/README.md):
 * SageMaker (JSON 1.1, X-Amz-Target SageMaker.*), CloudWatch GetMetricData
 * (JSON 1.0, GraniteServiceVersion20100801.*), CloudWatch Logs (JSON 1.1,
 * Logs_20140328.*) and Bedrock model customization jobs (REST-JSON under
 * /model-customization-jobs), with a fixed job set built at start, and the
 * control route POST /_fake/aws-throttle?op=OPERATION&n=N that makes the next
 * N calls of OPERATION (or of every operation, op=*) answer throttled.
 * fakellm checks the SigV4 signature (for the signing name given back by
 * fakejobs_match) before it calls fakejobs_handle. */
#ifndef AIWB_FAKE_AWSJOBS_H
#define AIWB_FAKE_AWSJOBS_H

#include <stddef.h>

#include "base/buf.h"

/* 1 when the request is for these services: *service is the SigV4 signing
 * name to check ("sagemaker", "monitoring", "logs", "bedrock"), or NULL for
 * the control route (no signature). */
int fakejobs_match(const char *method, const char *path, const char *target, const char **service);

struct fakejobs_answer {
	int status;
	struct buf headers; /* extra header lines, each ending in CRLF */
	struct buf body;
};

void fakejobs_handle(const char *method, const char *path, const char *query, const char *target, const char *body,
		     size_t len, struct fakejobs_answer *out);
void fakejobs_free(void);

#endif
