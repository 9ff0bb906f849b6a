/* Secrets: AWS access key ids (AKIA/ASIA + 16) and the 40-character secret
 * keys written next to them or after their name, and API tokens by their
 * documented prefixes (OpenAI sk-, Anthropic sk-ant-, GitHub ghp_ and
 * github_pat_, Stripe, Slack, Google, Hugging Face) and JWTs. */
#include <string.h>
#include <strings.h>

#include "base/digest.h"
#include "guard/detect.h"

#define AWS_SECRET_LEN 40
#define AWS_SECRET_WINDOW 256

static int b64_byte(unsigned char c)
{
	return G_IS(c, GC_B64);
}

static int url_byte(unsigned char c)
{
	return G_ALNUM(c) || c == '_' || c == '-';
}

static size_t run(const struct scan *s, size_t j, int (*ok)(unsigned char))
{
	while (j < s->n && ok(s->p[j]))
		j++;
	return j;
}

/* A 40-character base64 run with both cases and a digit or '/' or '+'. */
static int aws_secret_at(const struct scan *s, size_t j)
{
	if (j + AWS_SECRET_LEN > s->n || (j > 0 && b64_byte(s->p[j - 1])))
		return 0;
	if (run(s, j, b64_byte) != j + AWS_SECRET_LEN)
		return 0;
	int upper = 0, lower = 0, other = 0;
	for (size_t k = j; k < j + AWS_SECRET_LEN; k++) {
		unsigned char c = s->p[k];
		upper |= G_IS(c, GC_UPPER) != 0;
		lower |= G_IS(c, GC_LOWER) != 0;
		other |= G_DIGIT(c) || c == '/' || c == '+';
	}
	size_t e = j + AWS_SECRET_LEN;
	return upper && lower && other && (e == s->n || s->p[e] != '=');
}

/* A secret at j reported already (by its name, or by a key id before it). */
static int secret_known(const struct scan *s, size_t j)
{
	if (j >= s->skip_start && j < s->skip_end)
		return 1;
	const struct guard_findings *f = s->out;
	for (size_t k = f->n; k > 0 && f->n - k < 8; k--)
		if (f->v[k - 1].type == GUARD_AWS_SECRET && f->v[k - 1].start == j)
			return 1;
	return 0;
}

/* The first secret-looking run within the window around the key id [i, end). */
static size_t find_secret_near(const struct scan *s, size_t i, size_t end, size_t *found)
{
	size_t from = i > AWS_SECRET_WINDOW ? i - AWS_SECRET_WINDOW : 0;
	size_t to = end + AWS_SECRET_WINDOW < s->n ? end + AWS_SECRET_WINDOW : s->n;
	for (size_t j = end; j + AWS_SECRET_LEN <= to; j++)
		if (aws_secret_at(s, j)) {
			*found = j;
			return 1;
		}
	for (size_t j = from; j + AWS_SECRET_LEN <= i; j++)
		if (aws_secret_at(s, j)) {
			*found = j;
			return 1;
		}
	return 0;
}

size_t detect_aws_key(struct scan *s, size_t i)
{
	const unsigned char *p = s->p;
	if (i + 20 > s->n)
		return 0;
	int akia = memcmp(p + i, "AKIA", 4) == 0, asia = memcmp(p + i, "ASIA", 4) == 0;
	if (!akia && !asia)
		return 0;
	size_t j = i + 4;
	while (j < s->n && G_IS(p[j], GC_UPPER | GC_DIGIT))
		j++;
	if (j != i + 20 || (j < s->n && G_IS(p[j], GC_WORD)))
		return 0;
	scan_add(s, GUARD_AWS_KEY_ID, i, j, akia ? 0.95f : 0.9f, akia ? "long-term" : "temporary");
	size_t at;
	if (find_secret_near(s, i, j, &at) && !secret_known(s, at)) {
		size_t floor = s->floor;
		scan_add(s, GUARD_AWS_SECRET, at, at + AWS_SECRET_LEN, 0.9f, NULL);
		if (at > j) { /* the scan goes on from the key id and passes over the secret when it gets there */
			s->floor = floor;
			s->skip_start = at;
			s->skip_end = at + AWS_SECRET_LEN;
		}
	}
	return j;
}

/* aws_secret_access_key = ..., "SecretAccessKey": "...", AWS_SECRET_ACCESS_KEY=... */
size_t detect_secret_keyword(struct scan *s, size_t i, size_t end)
{
	static const char want[] = "secretaccesskey";
	const unsigned char *p = s->p;
	if (end - i < sizeof want - 1)
		return 0;
	char norm[64];
	size_t nn = 0;
	for (size_t k = i; k < end && nn < sizeof norm; k++)
		if (p[k] != '_')
			norm[nn++] = (char)(p[k] | 0x20);
	if (nn < sizeof want - 1 || nn == sizeof norm || memcmp(norm + nn - (sizeof want - 1), want, sizeof want - 1))
		return 0;
	size_t j = end;
	while (j < s->n && j - end < 8 && (p[j] == ' ' || p[j] == '\t' || p[j] == '"' || p[j] == '\'' ||
					   p[j] == ':' || p[j] == '='))
		j++;
	if (!aws_secret_at(s, j))
		return 0;
	if (!secret_known(s, j))
		scan_add(s, GUARD_AWS_SECRET, j, j + AWS_SECRET_LEN, 0.95f, NULL);
	return j + AWS_SECRET_LEN;
}

static int starts(const struct scan *s, size_t i, const char *prefix)
{
	size_t n = strlen(prefix);
	return i + n <= s->n && memcmp(s->p + i, prefix, n) == 0;
}

static int mixed(const struct scan *s, size_t from, size_t to)
{
	int digit = 0, alpha = 0;
	for (size_t k = from; k < to; k++) {
		digit |= G_DIGIT(s->p[k]) != 0;
		alpha |= G_ALPHA(s->p[k]) != 0;
	}
	return digit && alpha;
}

/* A token of [A-Za-z0-9_-] after prefix of at least min (and at most max) characters. */
static size_t prefixed(struct scan *s, size_t i, const char *prefix, size_t min, size_t max, const char *label,
		       int (*ok)(unsigned char))
{
	if (!starts(s, i, prefix))
		return 0;
	size_t body = i + strlen(prefix), e = run(s, body, ok);
	if (e - body < min || (max && e - body > max) || (!max && !mixed(s, body, e)))
		return 0;
	if (e < s->n && url_byte(s->p[e]))
		return 0;
	scan_add(s, GUARD_API_TOKEN, i, e, 0.95f, label);
	return e;
}

static int alnum_byte(unsigned char c)
{
	return G_ALNUM(c) != 0;
}

static int word_byte(unsigned char c)
{
	return G_IS(c, GC_WORD) != 0;
}

static int slack_byte(unsigned char c)
{
	return G_ALNUM(c) || c == '-';
}

/* Base64url text decodes to a JSON object naming "alg" (a JWT header). */
static int jwt_header_ok(const unsigned char *h, size_t n)
{
	unsigned char out[240 / 4 * 3 + 3];
	if (n > 240)
		n = 240;
	return base64_decode((const char *)h, n, 1, out) > 0 && out[0] == '{' &&
	       strstr((const char *)out, "\"alg\"") != NULL;
}

static size_t detect_jwt(struct scan *s, size_t i)
{
	if (!starts(s, i, "eyJ"))
		return 0;
	size_t h = run(s, i, url_byte);
	if (h - i < 10 || h >= s->n || s->p[h] != '.')
		return 0;
	size_t pl = run(s, h + 1, url_byte);
	if (pl - h - 1 < 4)
		return 0;
	size_t e = pl;
	if (pl < s->n && s->p[pl] == '.')
		e = run(s, pl + 1, url_byte);
	else
		return 0;
	if (e < s->n && (s->p[e] == '.' || url_byte(s->p[e])))
		return 0;
	if (!jwt_header_ok(s->p + i, h - i))
		return 0;
	scan_add(s, GUARD_API_TOKEN, i, e, 0.95f, "jwt");
	return e;
}

size_t detect_token(struct scan *s, size_t i)
{
	unsigned char prev = scan_prev(s, i);
	if (G_IS(prev, GC_WORD) || prev == '-')
		return 0;
	size_t r = 0;
	switch (s->p[i]) {
	case 's':
		if ((r = prefixed(s, i, "sk-ant-", 20, 0, "anthropic", url_byte)) ||
		    (r = prefixed(s, i, "sk_live_", 16, 0, "stripe", alnum_byte)) ||
		    (r = prefixed(s, i, "sk_test_", 16, 0, "stripe", alnum_byte)))
			return r;
		return prefixed(s, i, "sk-", 20, 0, "openai", url_byte);
	case 'r':
		if ((r = prefixed(s, i, "rk_live_", 16, 0, "stripe", alnum_byte)))
			return r;
		return prefixed(s, i, "rk_test_", 16, 0, "stripe", alnum_byte);
	case 'g':
		if (starts(s, i, "gh") && i + 4 <= s->n && strchr("pousr", s->p[i + 2]) && s->p[i + 3] == '_')
			return prefixed(s, i, (const char[]){ 'g', 'h', (char)s->p[i + 2], '_', 0 }, 36, 36, "github",
					alnum_byte);
		return prefixed(s, i, "github_pat_", 22, 0, "github", word_byte);
	case 'x':
		if (starts(s, i, "xox") && i + 4 <= s->n && strchr("baprs", s->p[i + 3]))
			return prefixed(s, i, (const char[]){ 'x', 'o', 'x', (char)s->p[i + 3], '-', 0 }, 10, 0, "slack",
					slack_byte);
		return 0;
	case 'h':
		return prefixed(s, i, "hf_", 30, 40, "huggingface", alnum_byte);
	case 'e':
		return detect_jwt(s, i);
	case 'A':
		return prefixed(s, i, "AIza", 35, 35, "google", url_byte);
	default:
		return 0;
	}
}
