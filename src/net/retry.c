#include "net/retry.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"

#define SDK_INITIAL_DELAY_MS 500.0
#define SDK_MAX_DELAY_MS 8000.0
#define OPENAI_MAX_RETRY_AFTER_MS 120000
#define ANTHROPIC_MAX_RETRY_AFTER_MS 60000
#define AWS_MAX_BACKOFF_S 20

/* botocore/retries/standard.py */
static const char *const aws_throttling_codes[] = {
	"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
	"TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
	"RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
	"SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
};
static const char *const aws_transient_codes[] = {
	"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete",
};
/* Modeled retryable errors, plus the 5xx exceptions a stream reports under status 200. */
static const char *const aws_retryable_codes[] = {
	"ModelNotReadyException", "ServiceUnavailableException", "InternalServerException",
};

static uint64_t prng_state;

static double internal_rand01(void *ud)
{
	(void)ud;
	if (!prng_state)
		prng_state = ((uint64_t)clock_us() << 20) ^ (uint64_t)getpid() ^ 0x9e3779b97f4a7c15ull;
	uint64_t x = prng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	prng_state = x;
	return (double)((x * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0;
}

static double rand01(const struct retry_policy *p)
{
	double r = p->rand01 ? p->rand01(p->rand_ud) : internal_rand01(NULL);
	if (!(r >= 0.0))
		return 0.0;
	return r < 1.0 ? r : 0.999999;
}

void retry_policy_init(struct retry_policy *p, enum retry_family family)
{
	memset(p, 0, sizeof(*p));
	p->family = family;
	p->max_attempts = RETRY_DEFAULT_ATTEMPTS;
	const char *env = family == RETRY_AWS ? getenv("AWS_MAX_ATTEMPTS") : NULL;
	if (env && *env) {
		char *end;
		errno = 0;
		long n = strtol(env, &end, 10);
		if (errno == 0 && *end == '\0' && n >= 1 && n <= 1000)
			p->max_attempts = (int)n;
	}
}

static int parse_seconds(const char *s, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(s, &end);
	if (end == s || errno || !isfinite(d))
		return 0;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end)
		return 0;
	*out = d;
	return 1;
}

static int64_t clamp_ms(double ms)
{
	if (ms > 1e12)
		return (int64_t)1e12;
	if (ms < -1e12)
		return (int64_t)-1e12;
	return (int64_t)(ms < 0 ? ms - 0.5 : ms + 0.5);
}

int retry_after_ms(const struct http_headers *h, int64_t now_wall_ms, int64_t *ms)
{
	double d;
	const char *v = http_headers_get(h, "retry-after-ms");
	if (v && parse_seconds(v, &d)) {
		*ms = clamp_ms(d);
		return 1;
	}
	v = http_headers_get(h, "retry-after");
	if (!v)
		return 0;
	if (parse_seconds(v, &d)) {
		*ms = clamp_ms(d * 1000.0);
		return 1;
	}
	time_t when = curl_getdate(v, NULL);
	if (when == (time_t)-1)
		return 0;
	if (!now_wall_ms)
		now_wall_ms = clock_wall_ms();
	*ms = (int64_t)when * 1000 - now_wall_ms;
	return 1;
}

static void say(struct retry_decision *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct retry_decision *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
}

static int is_connection_failure(enum http_error e)
{
	return e == HTTP_ERR_CONNECT || e == HTTP_ERR_DNS || e == HTTP_ERR_CONNECT_TIMEOUT ||
	       e == HTTP_ERR_IDLE_TIMEOUT || e == HTTP_ERR_CUT;
}

static int is_timeout(enum http_error e)
{
	return e == HTTP_ERR_CONNECT_TIMEOUT || e == HTTP_ERR_IDLE_TIMEOUT;
}

static int in_list(const char *code, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(code, list[i]) == 0)
			return 1;
	return 0;
}

#define IN_LIST(code, list) in_list(code, list, sizeof(list) / sizeof(list[0]))

/* "com.amazon.coral.service#ThrottlingException" and
 * "ThrottlingException:http://internal.amazon.com/..." both become "ThrottlingException". */
static void aws_error_code(const struct retry_attempt *a, char *out, size_t size)
{
	const char *raw = a->error_code;
	if (!raw || !*raw)
		raw = http_headers_get(a->headers, "x-amzn-errortype");
	out[0] = '\0';
	if (!raw)
		return;
	const char *hash = strrchr(raw, '#');
	if (hash)
		raw = hash + 1;
	size_t n = strcspn(raw, ": \t");
	if (n >= size)
		n = size - 1;
	memcpy(out, raw, n);
	out[n] = '\0';
}

static void describe(const struct retry_attempt *a, const char *code, char *out, size_t size)
{
	if (a->error != HTTP_OK)
		snprintf(out, size, "%s", http_error_name(a->error));
	else if (code && *code)
		snprintf(out, size, "HTTP %d (%s)", a->status, code);
	else
		snprintf(out, size, "HTTP %d", a->status);
}

/* After a transport failure: 1 for a connection failure (retried), else 0
 * with the reason; -1 when a response came, for its status to decide. */
static int transport_verdict(const struct retry_attempt *a, const char *what, struct retry_decision *d)
{
	if (a->error == HTTP_OK)
		return -1;
	if (is_connection_failure(a->error))
		return 1;
	say(d, "%s is not retried", what);
	return 0;
}

static int sdk_status_retryable(int status)
{
	return status == 408 || status == 409 || status == 429 || status >= 500;
}

/* Returns 1 when the failure is worth retrying; else fills d->reason. */
static int sdk_retryable(const struct retry_policy *p, const struct retry_attempt *a, const char *what,
			 struct retry_decision *d)
{
	int sent = transport_verdict(a, what, d);
	if (sent >= 0)
		return sent;
	const char *should = http_headers_get(a->headers, "x-should-retry");
	if (should && strcasecmp(should, "true") == 0)
		return 1;
	if (should && strcasecmp(should, "false") == 0) {
		say(d, "%s; the server said x-should-retry: false", what);
		return 0;
	}
	if (p->family == RETRY_OPENAI && a->error_code && strcmp(a->error_code, "insufficient_quota") == 0) {
		say(d, "%s: out of quota (insufficient_quota), not retried", what);
		return 0;
	}
	if (sdk_status_retryable(a->status))
		return 1;
	say(d, "%s is not retryable", what);
	return 0;
}

static int aws_retryable(const struct retry_attempt *a, const char *code, const char *what,
			 struct retry_decision *d)
{
	int sent = transport_verdict(a, what, d);
	if (sent >= 0)
		return sent;
	int s = a->status;
	if (s == 500 || s == 502 || s == 503 || s == 504 || s == 429)
		return 1;
	if (*code && (IN_LIST(code, aws_throttling_codes) || IN_LIST(code, aws_transient_codes) ||
		      IN_LIST(code, aws_retryable_codes)))
		return 1;
	say(d, "%s is not retryable", what);
	return 0;
}

static int64_t sdk_backoff_ms(const struct retry_policy *p, int attempt)
{
	double delay = SDK_INITIAL_DELAY_MS;
	for (int i = 1; i < attempt && delay < SDK_MAX_DELAY_MS; i++)
		delay *= 2;
	if (delay > SDK_MAX_DELAY_MS)
		delay = SDK_MAX_DELAY_MS;
	return clamp_ms(delay * (1.0 - 0.25 * rand01(p)));
}

static int64_t aws_backoff_ms(const struct retry_policy *p, int attempt)
{
	int64_t cap_s = 1;
	for (int i = 1; i < attempt && cap_s < AWS_MAX_BACKOFF_S; i++)
		cap_s *= 2;
	if (cap_s > AWS_MAX_BACKOFF_S)
		cap_s = AWS_MAX_BACKOFF_S;
	return clamp_ms(rand01(p) * (double)cap_s * 1000.0);
}

struct retry_decision retry_decide(const struct retry_policy *p, struct retry_state *s,
				   const struct retry_attempt *a)
{
	struct retry_decision d = {0};
	char code[128] = "";
	if (p->family == RETRY_AWS)
		aws_error_code(a, code, sizeof(code));
	char what[192];
	describe(a, code, what, sizeof(what));
	if (a->output_delivered) {
		say(&d, "%s after output was shown; not retried", what);
		return d;
	}
	int ok = p->family == RETRY_AWS ? aws_retryable(a, code, what, &d) : sdk_retryable(p, a, what, &d);
	if (!ok)
		return d;
	int max = p->max_attempts >= 1 ? p->max_attempts : RETRY_DEFAULT_ATTEMPTS;
	int attempt = a->attempt >= 1 ? a->attempt : 1;
	if (attempt >= max) {
		say(&d, "%s; gave up after %d attempt%s", what, attempt, attempt == 1 ? "" : "s");
		return d;
	}

	if (p->family == RETRY_AWS) {
		if (p->quota) {
			int cost = is_timeout(a->error) ? RETRY_QUOTA_TIMEOUT_COST : RETRY_QUOTA_COST;
			if (p->quota->available < cost) {
				say(&d, "%s; not retried: the retry quota is used up after many recent failures", what);
				return d;
			}
			p->quota->available -= cost;
			s->acquired = cost;
		}
		d.delay_ms = aws_backoff_ms(p, attempt);
	} else {
		int64_t asked, limit = p->family == RETRY_OPENAI ? OPENAI_MAX_RETRY_AFTER_MS : ANTHROPIC_MAX_RETRY_AFTER_MS;
		if (a->error == HTTP_OK && retry_after_ms(a->headers, a->now_wall_ms, &asked) && asked > 0) {
			if (asked > limit) {
				say(&d, "%s; the server asked to wait %lld s (more than %lld s), not retried", what,
				    (long long)((asked + 999) / 1000), (long long)(limit / 1000));
				return d;
			}
			d.delay_ms = asked;
		} else {
			d.delay_ms = sdk_backoff_ms(p, attempt);
		}
	}
	d.retry = 1;
	say(&d, "%s, retry %d of %d in %.1f s", what, attempt, max - 1, (double)d.delay_ms / 1000.0);
	return d;
}

void retry_succeeded(const struct retry_policy *p, struct retry_state *s)
{
	if (p->quota) {
		int refund = s->acquired ? s->acquired : 1;
		p->quota->available += refund;
		if (p->quota->available > p->quota->capacity)
			p->quota->available = p->quota->capacity;
	}
	s->acquired = 0;
}
