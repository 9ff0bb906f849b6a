/* fakellm — one local server that speaks the wire formats of OpenAI,
 * Anthropic, Amazon Bedrock (runtime and control plane) and Ollama, for
 * aiwb's end-to-end tests and benchmarks (tests/fakes/README.md).
 *
 * Single-threaded: one ppoll() loop over a listening socket on 127.0.0.1 and
 * any number of HTTP/1.1 connections. A connection reads one request at a
 * time (the body by Content-Length), routes it through the table near the
 * end, and queues the answer in its output buffer. A streamed answer comes
 * from a generator that adds events only while that buffer is short and the
 * pacing timer allows, so a slow or endless stream never blocks the others
 * and nothing is buffered without bound. The model name picks the scenario.
 * Credentials given on the command line are checked as the services do; a
 * SigV4 signature is recomputed with net/sigv4.h and compared. Every request
 * is appended to --log as one JSON line, secrets redacted.
 *
 * Global state: the server (owned by main) and the signal flag. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/xmalloc.h"
#include "net/eventstream.h"
#include "net/sigv4.h"
#include "svc/svc.h"

#include "fake_awsjobs.h"
#include "fakemd.h"

#define MAX_HEAD ((size_t)64 << 10)
#define MAX_BODY ((size_t)64 << 20)
#define MAX_HEADERS 128
#define LOW_WATER ((size_t)64 << 10)
#define HUGE_BYTES ((uint64_t)1 << 30)
#define FAULT_AT 3 /* tokens sent before cut, error-in-stream, throttle-in-stream */
#define SPLIT_PAUSE_EVERY 64
#define SPLIT_PAUSE_US 1000
#define SLOW_TPS 20.0
#define DEFAULT_TOKENS 20
#define EMBED_DIMS 64
#define HUGE_MARKER "@@fakellm-huge@@"
#define LONGLINE_MAX 16384 /* bytes of one longline-N token */

#define PROVIDERS(X)                                 \
	X(P_NONE, "none", "", NULL)                  \
	X(P_OPENAI, "openai", "OpenAI", "x-request-id") \
	X(P_ANTHROPIC, "anthropic", "Anthropic", "request-id") \
	X(P_BEDROCK, "bedrock", "Bedrock", "x-amzn-RequestId") \
	X(P_OLLAMA, "ollama", "Ollama", NULL)

#define X_ENUM(id, name, title, idh) id,
enum provider { PROVIDERS(X_ENUM) };
#undef X_ENUM
#define X_NAME(id, name, title, idh) name,
static const char *const provider_name[] = { PROVIDERS(X_NAME) };
#undef X_NAME
#define X_TITLE(id, name, title, idh) title,
static const char *const provider_title[] = { PROVIDERS(X_TITLE) };
#undef X_TITLE
#define X_IDH(id, name, title, idh) idh,
static const char *const provider_id_header[] = { PROVIDERS(X_IDH) };
#undef X_IDH

/* In priority order: the first word found in the model name wins. */
#define KINDS(X)                         \
	X(K_NORMAL, "normal")            \
	X(K_SILENT, "silent")            \
	X(K_NOSUCH, "nosuch")            \
	X(K_FAIL, "fail")                \
	X(K_RETRY, "retry")              \
	X(K_CUT, "cut")                  \
	X(K_BAD_CRC, "bad-crc")          \
	X(K_THROTTLE, "throttle-in-stream") \
	X(K_ERROR, "error-in-stream")    \
	X(K_HUGE, "huge")

#define X_ENUM(id, word) id,
enum kind { KINDS(X_ENUM) K_COUNT };
#undef X_ENUM
#define X_WORD(id, word) word,
static const char *const kind_word[] = { KINDS(X_WORD) };
#undef X_WORD

enum { EVIL_NONE, EVIL_ESCAPED, EVIL_RAW };

struct scenario {
	enum kind kind;
	int status;  /* K_FAIL, K_RETRY */
	bool split;  /* one byte per write() */
	int evil;    /* EVIL_* */
	bool nul;    /* a NUL inside the second token (\u0000 in JSON) */
	bool advice; /* the fifth token adds investment advice (for guardrails on answers) */
	long tokens; /* 0: the base answer */
	double tps;  /* 0: as fast as the client reads */
	long line_bytes; /* longline-N: tokens of N bytes, no newline (0: words) */
	long burst;      /* burst-N: the first N tokens unpaced */
	bool nospace;    /* nospace: and no space either */
	bool markdown;   /* markdown: the answer is fakemd.h's document */
};

struct options {
	const char *port_file;
	const char *log_file;
	int port;
	long max_seconds;
	long aws_max_skew; /* seconds; 0: no clock check */
	double tps;
	const char *openai_key;
	const char *anthropic_key;
	const char *aws_access_key;
	const char *aws_secret_key;
	const char *aws_session_token;
	const char *aws_region;
	const char *bedrock_api_key;
	const char *openai_models; /* comma-separated ids for /v1/models, or NULL */
	bool echo;                 /* send the request's credentials back (--echo) */
	const char *kb_ids;        /* --kb-ids ID[=NAME],... the account's knowledge bases */
	const char *kb_denied;     /* --kb-denied ID: AccessDeniedException on it */
	long kb_page;              /* --kb-page N: Retrieve results per page (0: 100) */
	long kb_list_page;         /* --kb-list-page N: ListKnowledgeBases summaries per page */
	long rerank_page;          /* --rerank-page N: Rerank results per page (0: all) */
};

struct header {
	char *name;
	char *value;
};

struct request {
	char *method;
	char *path;  /* as received, still percent-encoded, without the query */
	char *query; /* without '?', "" when none */
	int minor;   /* HTTP/1.minor */
	struct header h[MAX_HEADERS];
	size_t nh;
	char *body; /* NUL-terminated */
	size_t body_len;
};

/* What a chat answer consists of, shared by the streamed and whole forms. */
struct answer {
	enum provider prov;
	struct scenario sc;
	char *model; /* owned */
	char id[64];
	long ntokens;
	long input_tokens;
	bool truncated; /* stopped by the request's max tokens */
	bool include_usage;
	int64_t created; /* Unix seconds */
	int64_t t0_us;
	uint64_t seed;
	const char *echo; /* borrowed from the connection: two extra tokens first */
};

struct gen;

/* A streamed wire format: each function appends whole events. */
struct wire {
	const char *content_type;
	void (*start)(struct gen *g, struct buf *ev);
	void (*token)(struct gen *g, struct buf *ev, const char *t, size_t n);
	void (*finish)(struct gen *g, struct buf *ev);
	void (*fault)(struct gen *g, struct buf *ev);
};

enum phase { PH_START, PH_TOKENS, PH_END, PH_TERM, PH_DONE };

struct gen {
	const struct wire *w; /* NULL: a Content-Length body of head, filler, tail */
	struct answer a;
	enum phase phase;
	long sent;
	uint64_t bytes;
	int64_t next_us; /* when the next token is due */
	uint64_t fill_left;
	struct buf tail;
};

enum conn_state { C_HEAD, C_BODY, C_BUSY, C_HOLD };

struct conn {
	int fd;
	enum conn_state state;
	struct buf in;
	size_t body_need;
	struct request req;
	struct buf out;
	size_t out_off;
	int64_t out_after_us; /* hold writes until then (pacing, split-bytes pauses) */
	int64_t wake_us;
	size_t split_count;
	struct gen *gen;
	enum provider prov;
	char reqid[64];
	char *echo_id; /* --echo: the first credential header's value, or NULL */
	char *echo;    /* --echo: "name: value; ..." of every credential header, or NULL */
	bool keep_alive;
	bool chunked;
	bool split;
	bool abort; /* close once the queue is written, without finishing */
	bool dead;
};

struct counter {
	char *key;
	long n;
};

struct server {
	struct options opt;
	int lfd;
	int log_fd;
	struct conn **conns;
	size_t nconns;
	struct counter *counters;
	size_t ncounters;
	uint64_t seq;
	int64_t start_us;
	int64_t deadline_us;
};

/* One request being answered. */
struct ctx {
	struct server *s;
	struct conn *c;
	struct request *r;
	const char *route;
	enum provider prov;
	char *model; /* decoded */
	struct scenario sc;
	cJSON *json;
	int status; /* 0: nothing sent (silent) */
	const char *auth;
	bool auth_ok;
	char *sig_canonical;
	char *sig_string_to_sign;
	const char *aws_service; /* the SigV4 signing name expected; NULL: bedrock */
};

static volatile sig_atomic_t stop_signal;

/* ------------------------------------------------------------------ small helpers */

static uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t fnv1a(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ULL;
	return h;
}

static bool has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_secret_header(const char *name)
{
	static const char *const secret[] = { "authorization", "x-api-key", "x-amz-security-token",
					      "proxy-authorization", "cookie", "api-key" };
	for (size_t i = 0; i < sizeof secret / sizeof *secret; i++)
		if (strcasecmp(name, secret[i]) == 0)
			return true;
	return false;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Caller frees. A malformed escape stays as it is; '+' stays '+' (paths). */
static char *percent_decode(const char *s, size_t n, bool plus_is_space)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n && (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)s[i + 2])) >= 0) {
			buf_putc(&b, (char)(hi << 4 | lo));
			i += 2;
		} else if (plus_is_space && s[i] == '+') {
			buf_putc(&b, ' ');
		} else {
			buf_putc(&b, s[i]);
		}
	}
	return buf_detach(&b);
}

/* The decoded value of query parameter name, or NULL. Caller frees. */
static char *query_param(const char *query, const char *name)
{
	for (const char *p = query; *p;) {
		size_t len = strcspn(p, "&");
		const char *eq = memchr(p, '=', len);
		size_t nlen = eq ? (size_t)(eq - p) : len;
		char *k = percent_decode(p, nlen, true);
		bool match = strcmp(k, name) == 0;
		free(k);
		if (match)
			return eq ? percent_decode(eq + 1, len - nlen - 1, true) : xstrdup("");
		p += len;
		if (*p == '&')
			p++;
	}
	return NULL;
}

/* The end of word w in s, where w stands between non-alphanumerics; or NULL. */
static const char *find_word(const char *s, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = s; (p = strstr(p, w)); p++) {
		bool before = p == s || !isalnum((unsigned char)p[-1]);
		bool after = !isalnum((unsigned char)p[n]);
		if (before && after)
			return p + n;
	}
	return NULL;
}

/* -1 when the word is absent; its "-N" number when present; else dflt. */
static long word_number(const char *s, const char *w, long dflt)
{
	const char *end = find_word(s, w);
	if (!end)
		return -1;
	if (end[0] == '-' && isdigit((unsigned char)end[1]))
		return strtol(end + 1, NULL, 10);
	return dflt;
}

static long count_words(const char *s)
{
	long n = 0;
	bool in = false;
	for (; *s; s++) {
		bool space = isspace((unsigned char)*s);
		if (!space && !in)
			n++;
		in = !space;
	}
	return n;
}

static bool is_text_key(const char *k)
{
	static const char *const keys[] = { "messages", "content", "text", "system", "input", "inputText", "texts",
					    "prompt" };
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		if (strcmp(k, keys[i]) == 0)
			return true;
	return false;
}

/* Words in every text of the request: the deterministic "token" count. */
static long json_words(const cJSON *j)
{
	long n = 0;
	const cJSON *it;
	if (cJSON_IsString(j))
		return count_words(j->valuestring);
	if (cJSON_IsArray(j)) {
		cJSON_ArrayForEach(it, j) n += json_words(it);
	} else if (cJSON_IsObject(j)) {
		cJSON_ArrayForEach(it, j) if (it->string && is_text_key(it->string)) n += json_words(it);
	}
	return n;
}

static const cJSON *jget(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static long jint(const cJSON *o, const char *k, long dflt)
{
	const cJSON *v = jget(o, k);
	return cJSON_IsNumber(v) ? (long)v->valuedouble : dflt;
}

/* JSON string: quotes, backslash and C0 escaped (raw: C0 other than \n
 * left as raw bytes); every other byte, valid UTF-8 or not, as it is. */
static void json_str(struct buf *b, const char *s, size_t n, bool raw)
{
	buf_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)c);
		} else if (c == '\n') {
			buf_puts(b, "\\n");
		} else if (c < 0x20 && !raw) {
			if (c == '\r')
				buf_puts(b, "\\r");
			else if (c == '\t')
				buf_puts(b, "\\t");
			else
				buf_printf(b, "\\u%04x", c);
		} else {
			buf_putc(b, (char)c);
		}
	}
	buf_putc(b, '"');
}

static void json_cstr(struct buf *b, const char *s)
{
	json_str(b, s, strlen(s), false);
}

static void rfc3339_nano(char *out, size_t cap)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	char date[32];
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, cap, "%s.%09ldZ", date, (long)ts.tv_nsec);
}

static void amz_date(time_t t, char out[17])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* "YYYYMMDDTHHMMSSZ" */
static bool parse_amz_date(const char *s, time_t *out)
{
	if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
		return false;
	int v[14];
	for (int i = 0, j = 0; i < 15; i++) {
		if (i == 8)
			continue;
		if (!isdigit((unsigned char)s[i]))
			return false;
		v[j++] = s[i] - '0';
	}
	struct tm tm = { 0 };
	tm.tm_year = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3] - 1900;
	tm.tm_mon = v[4] * 10 + v[5] - 1;
	tm.tm_mday = v[6] * 10 + v[7];
	tm.tm_hour = v[8] * 10 + v[9];
	tm.tm_min = v[10] * 10 + v[11];
	tm.tm_sec = v[12] * 10 + v[13];
	*out = timegm(&tm);
	return true;
}

/* ------------------------------------------------------------------ scenarios and answers */

static struct scenario scenario_parse(const char *model, double default_tps)
{
	struct scenario sc = { .kind = K_NORMAL };
	for (int k = K_NORMAL + 1; k < K_COUNT; k++) {
		if (find_word(model, kind_word[k])) {
			sc.kind = (enum kind)k;
			break;
		}
	}
	if (sc.kind == K_FAIL)
		sc.status = (int)word_number(model, "fail", 500);
	if (sc.kind == K_RETRY)
		sc.status = (int)word_number(model, "retry", 429);
	if ((sc.kind == K_FAIL || sc.kind == K_RETRY) && (sc.status < 400 || sc.status > 599))
		sc.status = sc.kind == K_FAIL ? 500 : 429;
	sc.split = find_word(model, "split-bytes") != NULL;
	sc.evil = find_word(model, "evil-raw") ? EVIL_RAW : find_word(model, "evil") ? EVIL_ESCAPED : EVIL_NONE;
	sc.nul = find_word(model, "nul") != NULL;
	sc.advice = find_word(model, "advice") != NULL;
	long slow = word_number(model, "slow", DEFAULT_TOKENS);
	long tokens = word_number(model, "tokens", DEFAULT_TOKENS);
	long tps = word_number(model, "tps", 0);
	sc.tokens = tokens > 0 ? tokens : slow > 0 ? slow : 0;
	sc.tps = tps > 0 ? (double)tps : default_tps > 0 ? default_tps : slow >= 0 ? SLOW_TPS : 0;
	long line = word_number(model, "longline", 1024);
	sc.line_bytes = line > LONGLINE_MAX ? LONGLINE_MAX : line > 0 ? line : 0;
	sc.nospace = find_word(model, "nospace") != NULL;
	sc.markdown = find_word(model, "markdown") != NULL;
	long burst = word_number(model, "burst", 0);
	sc.burst = burst > 0 ? burst : 0;
	return sc;
}

static void scenario_describe(const struct scenario *sc, struct buf *b)
{
	buf_puts(b, kind_word[sc->kind]);
	if (sc->status)
		buf_printf(b, "-%d", sc->status);
	if (sc->split)
		buf_puts(b, "+split-bytes");
	if (sc->evil)
		buf_puts(b, sc->evil == EVIL_RAW ? "+evil-raw" : "+evil");
	if (sc->nul)
		buf_puts(b, "+nul");
	if (sc->tokens)
		buf_printf(b, "+tokens-%ld", sc->tokens);
	if (sc->tps > 0)
		buf_printf(b, "+tps-%g", sc->tps);
	if (sc->line_bytes)
		buf_printf(b, "+longline-%ld%s", sc->line_bytes, sc->nospace ? "+nospace" : "");
	if (sc->burst)
		buf_printf(b, "+burst-%ld", sc->burst);
}

static const char *const base_words[] = { "Hello", " from", " the", " fake", NULL, " One", " two",
					  " three", " four", " five", " six", " seven", " eight." };
#define N_BASE ((long)(sizeof base_words / sizeof *base_words))

static const char *const evil_tokens[] = {
	"Evil:",
	" lone\xff",
	" overlong\xc0\xaf",
	" truncated\xe2\x82",
	" clip\x1b]52;c;ZXZpbA==\x07",
	" clear\x1b[2J",
	" link\x1b]8;;https://evil.example/\x1b\\here\x1b]8;;\x1b\\",
	" csi\x9b" "31mred",
	" osc\xc2\x9d" "0;title\x07",
	" bell\x07",
	" safe\rEVIL",
	" end.",
};
#define N_EVIL ((long)(sizeof evil_tokens / sizeof *evil_tokens))

static const char huge_token[] = " lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do";

static size_t answer_token(const struct answer *a, long i, char *out, size_t cap)
{
	if (a->echo && i < 2) {
		size_t n = strlen(a->echo), half = n / 2;
		int w = i == 0 ? snprintf(out, cap, "Echo: %.*s", (int)half, a->echo)
			       : snprintf(out, cap, "%s. ", a->echo + half);
		return (size_t)w < cap ? (size_t)w : cap - 1;
	}
	if (a->echo)
		i -= 2;
	if (a->sc.kind == K_HUGE)
		return (size_t)snprintf(out, cap, "%s", huge_token);
	if (a->sc.line_bytes) { /* letters with a space every 7th byte (nospace: none), never a newline */
		size_t n = (size_t)a->sc.line_bytes < cap ? (size_t)a->sc.line_bytes : cap - 1;
		for (size_t k = 0; k < n; k++)
			out[k] = !a->sc.nospace && (k + (size_t)i) % 7 == 6 ? ' ' : (char)('a' + (k + (size_t)i) % 26);
		return n;
	}
	if (a->sc.markdown)
		return fakemd_token(i, out, cap);
	if (a->sc.evil)
		return (size_t)snprintf(out, cap, "%s", evil_tokens[i % N_EVIL]);
	if (a->sc.nul && i == 1 && cap >= 6) {
		memcpy(out, " fr\0om", 6);
		return 6;
	}
	if (i == 4)
		return (size_t)snprintf(out, cap, " %s.%s", provider_title[a->prov], a->sc.advice ? " Invest it all." : "");
	if (i < N_BASE)
		return (size_t)snprintf(out, cap, "%s", base_words[i]);
	return (size_t)snprintf(out, cap, " tok%ld", i + 1);
}

static void answer_text(const struct answer *a, struct buf *b)
{
	static char t[LONGLINE_MAX + 1];
	if (a->sc.kind == K_HUGE) {
		buf_puts(b, HUGE_MARKER);
		return;
	}
	for (long i = 0; i < a->ntokens; i++)
		buf_append(b, t, answer_token(a, i, t, sizeof t));
}

static void answer_init(struct answer *a, const struct ctx *x)
{
	memset(a, 0, sizeof *a);
	a->prov = x->prov;
	a->sc = x->sc;
	a->model = xstrdup(x->model);
	a->created = (int64_t)time(NULL);
	a->t0_us = clock_us();
	a->seed = mix64(x->s->seq);
	a->input_tokens = json_words(x->json);
	if (a->input_tokens < 1)
		a->input_tokens = 1;
	if (a->prov == P_OPENAI)
		snprintf(a->id, sizeof a->id, "chatcmpl-fake%016" PRIx64, a->seed);
	else if (a->prov == P_ANTHROPIC)
		snprintf(a->id, sizeof a->id, "msg_01Fake%016" PRIx64, a->seed);
	if (a->sc.kind == K_HUGE)
		a->ntokens = (long)(HUGE_BYTES / 5); /* "huge " */
	else if (a->sc.tokens > 0)
		a->ntokens = a->sc.tokens;
	else
		a->ntokens = a->sc.markdown ? fakemd_ntokens() : a->sc.evil ? N_EVIL : N_BASE;
	a->echo = x->c->echo;
	if (a->echo && a->sc.kind != K_HUGE)
		a->ntokens += 2;
}

static void answer_limit(struct answer *a, long max_tokens)
{
	if (max_tokens > 0 && max_tokens < a->ntokens && a->sc.kind != K_HUGE) {
		a->ntokens = max_tokens;
		a->truncated = true;
	}
}

static const char *stop_reason(const struct answer *a)
{
	static const char *const normal[] = { [P_OPENAI] = "stop", [P_ANTHROPIC] = "end_turn",
					      [P_BEDROCK] = "end_turn", [P_OLLAMA] = "stop" };
	static const char *const length[] = { [P_OPENAI] = "length", [P_ANTHROPIC] = "max_tokens",
					      [P_BEDROCK] = "max_tokens", [P_OLLAMA] = "length" };
	return (a->truncated ? length : normal)[a->prov];
}

static bool raw_text(const struct answer *a)
{
	return a->sc.evil == EVIL_RAW;
}

/* Ollama's durations in nanoseconds: 1 ms per prompt token, 10 ms per
 * output token (or 1/tps), 1 ms to load. */
static void ollama_metrics(const struct answer *a, long out_tokens, struct buf *b)
{
	int64_t load = 1000000, prompt = a->input_tokens * 1000000LL;
	int64_t per = a->sc.tps > 0 ? (int64_t)(1e9 / a->sc.tps) : 10000000;
	int64_t eval = out_tokens * per;
	buf_printf(b,
		   "\"total_duration\":%" PRId64 ",\"load_duration\":%" PRId64 ",\"prompt_eval_count\":%ld,"
		   "\"prompt_eval_duration\":%" PRId64 ",\"eval_count\":%ld,\"eval_duration\":%" PRId64,
		   load + prompt + eval, load, a->input_tokens, prompt, out_tokens, eval);
}

/* ------------------------------------------------------------------ stream formats */

static void oa_chunk_open(const struct gen *g, struct buf *b)
{
	buf_printf(b, "data: {\"id\":\"%s\",\"object\":\"chat.completion.chunk\",\"created\":%" PRId64 ",\"model\":",
		   g->a.id, g->a.created);
	json_cstr(b, g->a.model);
	buf_puts(b, ",\"system_fingerprint\":\"fp_fakellm\",\"choices\":[");
}

static void oa_chunk_close(const struct gen *g, struct buf *b)
{
	buf_puts(b, g->a.include_usage ? "],\"usage\":null}\n\n" : "]}\n\n");
}

static void oa_start(struct gen *g, struct buf *b)
{
	oa_chunk_open(g, b);
	buf_puts(b, "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},"
		    "\"logprobs\":null,\"finish_reason\":null}");
	oa_chunk_close(g, b);
}

static void oa_token(struct gen *g, struct buf *b, const char *t, size_t n)
{
	oa_chunk_open(g, b);
	buf_puts(b, "{\"index\":0,\"delta\":{\"content\":");
	json_str(b, t, n, raw_text(&g->a));
	buf_puts(b, "},\"logprobs\":null,\"finish_reason\":null}");
	oa_chunk_close(g, b);
}

static void oa_finish(struct gen *g, struct buf *b)
{
	oa_chunk_open(g, b);
	buf_printf(b, "{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"%s\"}", stop_reason(&g->a));
	oa_chunk_close(g, b);
	if (g->a.include_usage) {
		oa_chunk_open(g, b);
		buf_printf(b, "],\"usage\":{\"prompt_tokens\":%ld,\"completion_tokens\":%ld,\"total_tokens\":%ld}}\n\n",
			   g->a.input_tokens, g->sent, g->a.input_tokens + g->sent);
	}
	buf_puts(b, "data: [DONE]\n\n");
}

static void oa_fault(struct gen *g, struct buf *b)
{
	(void)g;
	buf_puts(b, "data: {\"error\":{\"message\":\"The server had an error while processing your request. Sorry about "
		    "that!\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n");
}

static const struct wire openai_wire = {
	.content_type = "text/event-stream; charset=utf-8",
	.start = oa_start,
	.token = oa_token,
	.finish = oa_finish,
	.fault = oa_fault,
};

static void an_event(struct buf *b, const char *name)
{
	buf_printf(b, "event: %s\ndata: ", name);
}

static void an_start(struct gen *g, struct buf *b)
{
	an_event(b, "message_start");
	buf_printf(b, "{\"type\":\"message_start\",\"message\":{\"id\":\"%s\",\"type\":\"message\",\"role\":\"assistant\","
		      "\"model\":",
		   g->a.id);
	json_cstr(b, g->a.model);
	buf_printf(b, ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":%ld,"
		      "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":1}}}\n\n",
		   g->a.input_tokens);
	an_event(b, "content_block_start");
	buf_puts(b, "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
	an_event(b, "ping");
	buf_puts(b, "{\"type\": \"ping\"}\n\n");
}

static void an_token(struct gen *g, struct buf *b, const char *t, size_t n)
{
	an_event(b, "content_block_delta");
	buf_puts(b, "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":");
	json_str(b, t, n, raw_text(&g->a));
	buf_puts(b, "}}\n\n");
}

static void an_finish(struct gen *g, struct buf *b)
{
	an_event(b, "content_block_stop");
	buf_puts(b, "{\"type\":\"content_block_stop\",\"index\":0}\n\n");
	an_event(b, "message_delta");
	buf_printf(b, "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"%s\",\"stop_sequence\":null},"
		      "\"usage\":{\"output_tokens\":%ld}}\n\n",
		   stop_reason(&g->a), g->sent);
	an_event(b, "message_stop");
	buf_puts(b, "{\"type\":\"message_stop\"}\n\n");
}

static void an_fault(struct gen *g, struct buf *b)
{
	(void)g;
	an_event(b, "error");
	buf_puts(b, "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n");
}

static const struct wire anthropic_wire = {
	.content_type = "text/event-stream; charset=utf-8",
	.start = an_start,
	.token = an_token,
	.finish = an_finish,
	.fault = an_fault,
};

/* One event-stream message with the three string headers Bedrock sends. */
static void br_frame(struct buf *out, const char *type_header, const char *type, const char *message_type,
		     const struct buf *payload)
{
	struct es_header h[3] = {
		{ .name = type_header, .type = ES_STRING, .v.bytes = { type, strlen(type) } },
		{ .name = ":content-type", .type = ES_STRING, .v.bytes = { "application/json", 16 } },
		{ .name = ":message-type", .type = ES_STRING, .v.bytes = { message_type, strlen(message_type) } },
	};
	if (es_encode(out, h, 3, buf_str(payload), payload->len) != 0)
		abort();
}

static void br_event(struct buf *out, const char *type, const struct buf *payload)
{
	br_frame(out, ":event-type", type, "event", payload);
}

/* The random-length "p" member real payloads carry. */
static void br_pad(struct gen *g, struct buf *b)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	g->a.seed = mix64(g->a.seed);
	buf_puts(b, "\"p\":\"");
	buf_append(b, alphabet, 1 + g->a.seed % (sizeof alphabet - 2));
	buf_putc(b, '"');
}

static void br_start(struct gen *g, struct buf *b)
{
	struct buf p = BUF_INIT;
	buf_putc(&p, '{');
	br_pad(g, &p);
	buf_puts(&p, ",\"role\":\"assistant\"}");
	br_event(b, "messageStart", &p);
	buf_free(&p);
}

static void br_token(struct gen *g, struct buf *b, const char *t, size_t n)
{
	struct buf p = BUF_INIT;
	buf_puts(&p, "{\"contentBlockIndex\":0,\"delta\":{\"text\":");
	json_str(&p, t, n, raw_text(&g->a));
	buf_puts(&p, "},");
	br_pad(g, &p);
	buf_putc(&p, '}');
	br_event(b, "contentBlockDelta", &p);
	buf_free(&p);
}

static void br_finish(struct gen *g, struct buf *b)
{
	struct buf p = BUF_INIT;
	buf_puts(&p, "{\"contentBlockIndex\":0,");
	br_pad(g, &p);
	buf_putc(&p, '}');
	br_event(b, "contentBlockStop", &p);
	buf_reset(&p);
	buf_putc(&p, '{');
	br_pad(g, &p);
	buf_printf(&p, ",\"stopReason\":\"%s\"}", stop_reason(&g->a));
	br_event(b, "messageStop", &p);
	buf_reset(&p);
	buf_printf(&p, "{\"metrics\":{\"latencyMs\":%" PRId64 "},", (clock_us() - g->a.t0_us) / 1000);
	br_pad(g, &p);
	buf_printf(&p, ",\"usage\":{\"inputTokens\":%ld,\"outputTokens\":%ld,\"totalTokens\":%ld}}", g->a.input_tokens,
		   g->sent, g->a.input_tokens + g->sent);
	br_event(b, "metadata", &p);
	buf_free(&p);
}

static void br_fault(struct gen *g, struct buf *b)
{
	struct buf p = BUF_INIT;
	if (g->a.sc.kind == K_THROTTLE) {
		buf_puts(&p, "{\"message\":\"Too many tokens, please wait before trying again.\"}");
		br_frame(b, ":exception-type", "throttlingException", "exception", &p);
	} else {
		buf_puts(&p, "{\"message\":\"The model stream encountered an error.\",\"originalStatusCode\":500,"
			     "\"originalMessage\":\"upstream model failure\"}");
		br_frame(b, ":exception-type", "modelStreamErrorException", "exception", &p);
	}
	buf_free(&p);
}

static const struct wire bedrock_wire = {
	.content_type = "application/vnd.amazon.eventstream",
	.start = br_start,
	.token = br_token,
	.finish = br_finish,
	.fault = br_fault,
};

static void ol_line_open(const struct gen *g, struct buf *b)
{
	char when[48];
	rfc3339_nano(when, sizeof when);
	buf_puts(b, "{\"model\":");
	json_cstr(b, g->a.model);
	buf_printf(b, ",\"created_at\":\"%s\",\"message\":{\"role\":\"assistant\",\"content\":", when);
}

static void ol_start(struct gen *g, struct buf *b)
{
	(void)g;
	(void)b;
}

static void ol_token(struct gen *g, struct buf *b, const char *t, size_t n)
{
	ol_line_open(g, b);
	json_str(b, t, n, raw_text(&g->a));
	buf_puts(b, "},\"done\":false}\n");
}

static void ol_finish(struct gen *g, struct buf *b)
{
	ol_line_open(g, b);
	buf_printf(b, "\"\"},\"done_reason\":\"%s\",\"done\":true,", stop_reason(&g->a));
	ollama_metrics(&g->a, g->sent, b);
	buf_puts(b, "}\n");
}

static void ol_fault(struct gen *g, struct buf *b)
{
	(void)g;
	buf_puts(b, "{\"error\":\"an error was encountered while running the model: unexpected EOF\"}\n");
}

static const struct wire ollama_wire = {
	.content_type = "application/x-ndjson",
	.start = ol_start,
	.token = ol_token,
	.finish = ol_finish,
	.fault = ol_fault,
};

/* ------------------------------------------------------------------ connections: output */

static size_t pending(const struct conn *c)
{
	return c->out.len - c->out_off;
}

/* Queues n bytes of a body piece that is declared bytes long (n < declared
 * only to cut the stream inside it). */
static void emit(struct conn *c, const char *p, size_t n, size_t declared)
{
	if (!declared)
		return;
	if (c->chunked)
		buf_printf(&c->out, "%zx\r\n", declared);
	buf_append(&c->out, p, n);
	if (c->chunked && n == declared)
		buf_puts(&c->out, "\r\n");
}

static void gen_free(struct gen *g)
{
	if (!g)
		return;
	free(g->a.model);
	buf_free(&g->tail);
	free(g);
}

static int64_t token_due(const struct gen *g, long i)
{
	if (i < g->a.sc.burst)
		return 0;
	return g->a.t0_us + (int64_t)((double)(i + 1 - g->a.sc.burst) * 1e6 / g->a.sc.tps);
}

static void fill_run(struct conn *c, struct gen *g)
{
	static const char filler[] = "huge huge huge huge huge huge huge huge huge huge huge huge huge huge huge huge ";
	while (g->fill_left && pending(c) < LOW_WATER) {
		size_t n = g->fill_left < sizeof filler - 1 ? (size_t)g->fill_left : sizeof filler - 1;
		buf_append(&c->out, filler, n);
		g->fill_left -= n;
	}
	if (!g->fill_left && pending(c) < LOW_WATER) {
		buf_append(&c->out, g->tail.data, g->tail.len);
		g->phase = PH_DONE;
	}
}

/* Adds events while the queue is short and the next token is due. */
static void gen_run(struct conn *c, int64_t now)
{
	struct gen *g = c->gen;
	struct buf ev = BUF_INIT;
	static char tok[LONGLINE_MAX + 1];
	if (c->out_off) {
		buf_consume(&c->out, c->out_off);
		c->out_off = 0;
	}
	if (!g->w) {
		fill_run(c, g);
		return;
	}
	while (g->phase != PH_DONE && pending(c) < LOW_WATER) {
		buf_reset(&ev);
		switch (g->phase) {
		case PH_START:
			g->w->start(g, &ev);
			g->phase = PH_TOKENS;
			break;
		case PH_TOKENS: {
			bool huge = g->a.sc.kind == K_HUGE;
			if ((!huge && g->sent >= g->a.ntokens) || (huge && g->bytes >= HUGE_BYTES)) {
				g->phase = PH_END;
				continue;
			}
			if (g->a.sc.tps > 0 && (g->next_us = token_due(g, g->sent)) > now)
				goto out;
			enum kind k = g->a.sc.kind;
			long fault_at = g->a.ntokens > 2 * FAULT_AT ? FAULT_AT : g->a.ntokens / 2;
			if ((k == K_ERROR || k == K_THROTTLE) && g->sent == fault_at) {
				g->w->fault(g, &ev);
				g->phase = PH_TERM;
				break;
			}
			g->w->token(g, &ev, tok, answer_token(&g->a, g->sent, tok, sizeof tok));
			g->sent++;
			if (k == K_CUT && g->sent == fault_at + 1) {
				emit(c, ev.data, ev.len / 2, ev.len);
				c->abort = true;
				g->phase = PH_DONE;
				goto out;
			}
			if (k == K_BAD_CRC && g->w == &bedrock_wire && g->sent == 2) {
				ev.data[ev.len - 1] ^= 0x5a;
				g->phase = PH_TERM;
			}
			break;
		}
		case PH_END:
			g->w->finish(g, &ev);
			g->phase = PH_TERM;
			break;
		case PH_TERM:
			if (c->chunked)
				buf_puts(&c->out, "0\r\n\r\n");
			g->phase = PH_DONE;
			continue;
		case PH_DONE:
			break;
		}
		emit(c, ev.data, ev.len, ev.len);
		g->bytes += ev.len;
	}
out:
	buf_free(&ev);
}

static void conn_flush(struct conn *c, int64_t now)
{
	while (pending(c) && now >= c->out_after_us) {
		size_t n = c->split ? 1 : pending(c);
		ssize_t w = send(c->fd, c->out.data + c->out_off, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->dead = true;
			return;
		}
		c->out_off += (size_t)w;
		if (c->split && ++c->split_count % SPLIT_PAUSE_EVERY == 0)
			c->out_after_us = now + SPLIT_PAUSE_US;
	}
	if (!pending(c)) {
		buf_reset(&c->out);
		c->out_off = 0;
	}
}

/* ------------------------------------------------------------------ responses */

static const char *reason_phrase(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 424: return "Failed Dependency";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 529: return "Site Overloaded";
	default: return status < 500 ? "Client Error" : "Server Error";
	}
}

/* length -1: a chunked body follows. */
static void put_head(struct ctx *x, int status, const char *ctype, const char *extra, int64_t length)
{
	struct conn *c = x->c;
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	buf_printf(&c->out, "HTTP/1.1 %d %s\r\ndate: %s\r\n", status, reason_phrase(status), date);
	if (ctype)
		buf_printf(&c->out, "content-type: %s\r\n", ctype);
	if (length < 0)
		buf_puts(&c->out, "transfer-encoding: chunked\r\n");
	else
		buf_printf(&c->out, "content-length: %" PRId64 "\r\n", length);
	if (provider_id_header[c->prov])
		buf_printf(&c->out, "%s: %s\r\n", provider_id_header[c->prov], c->echo_id ? c->echo_id : c->reqid);
	if (c->echo_id && c->prov != P_OPENAI)
		buf_printf(&c->out, "x-request-id: %s\r\n", c->echo_id);
	for (size_t i = 0; c->echo_id && i < x->r->nh; i++)
		if (is_secret_header(x->r->h[i].name))
			buf_printf(&c->out, "x-echo-%s: %s\r\n", x->r->h[i].name, x->r->h[i].value);
	if (extra)
		buf_puts(&c->out, extra);
	if (!c->keep_alive)
		buf_puts(&c->out, "connection: close\r\n");
	buf_puts(&c->out, "\r\n");
	c->chunked = length < 0;
	x->status = status;
}

static void respond(struct ctx *x, int status, const char *ctype, const char *extra, const struct buf *body)
{
	put_head(x, status, ctype, extra, (int64_t)body->len);
	buf_append(&x->c->out, body->data, body->len);
}

static void respond_json(struct ctx *x, int status, const char *extra, const struct buf *body)
{
	respond(x, status, "application/json", extra, body);
}

/* The message of an error, with --echo the credentials that came with the request. */
static void error_message(struct ctx *x, struct buf *b, const char *msg)
{
	if (x->c->echo)
		buf_printf(b, "%s (you sent %s)", msg, x->c->echo);
	else
		buf_puts(b, msg);
}

static void json_error_message(struct ctx *x, struct buf *b, const char *msg)
{
	struct buf m = BUF_INIT;
	error_message(x, &m, msg);
	json_cstr(b, buf_str(&m));
	buf_free(&m);
}

static void openai_error(struct ctx *x, int status, const char *type, const char *code, const char *msg)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "{\"error\":{\"message\":");
	json_error_message(x, &b, msg);
	buf_puts(&b, ",\"type\":");
	json_cstr(&b, type);
	buf_puts(&b, ",\"param\":null,\"code\":");
	if (code)
		json_cstr(&b, code);
	else
		buf_puts(&b, "null");
	buf_puts(&b, "}}");
	respond_json(x, status, status == 429 ? "retry-after: 1\r\n" : NULL, &b);
	buf_free(&b);
}

static void anthropic_error(struct ctx *x, int status, const char *type, const char *msg)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "{\"type\":\"error\",\"error\":{\"type\":");
	json_cstr(&b, type);
	buf_puts(&b, ",\"message\":");
	json_error_message(x, &b, msg);
	buf_puts(&b, "},\"request_id\":");
	json_cstr(&b, x->c->echo_id ? x->c->echo_id : x->c->reqid);
	buf_putc(&b, '}');
	respond_json(x, status, status == 429 ? "retry-after: 1\r\n" : NULL, &b);
	buf_free(&b);
}

static void aws_error(struct ctx *x, int status, const char *type, const char *msg)
{
	struct buf b = BUF_INIT, h = BUF_INIT;
	buf_puts(&b, "{\"message\":");
	json_error_message(x, &b, msg);
	buf_putc(&b, '}');
	buf_printf(&h, "x-amzn-ErrorType: %s\r\n%s", type, status == 429 ? "retry-after: 1\r\n" : "");
	respond_json(x, status, h.data, &b);
	buf_free(&b);
	buf_free(&h);
}

static void ollama_error(struct ctx *x, int status, const char *msg)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "{\"error\":");
	json_error_message(x, &b, msg);
	buf_putc(&b, '}');
	respond_json(x, status, status == 429 ? "retry-after: 1\r\n" : NULL, &b);
	buf_free(&b);
}

static void plain_error(struct ctx *x, int status, const char *text)
{
	struct buf b = BUF_INIT;
	error_message(x, &b, text);
	respond(x, status, "text/plain; charset=utf-8", NULL, &b);
	buf_free(&b);
}

struct err_row {
	int status;
	const char *openai_type, *openai_code, *anthropic_type, *aws_type, *message;
};

static const struct err_row err_rows[] = {
	{ 400, "invalid_request_error", NULL, "invalid_request_error", "ValidationException", "Invalid request." },
	{ 401, "invalid_request_error", "invalid_api_key", "authentication_error", "UnrecognizedClientException",
	  "Invalid authentication." },
	{ 403, "invalid_request_error", NULL, "permission_error", "AccessDeniedException",
	  "You do not have access to this resource." },
	{ 404, "invalid_request_error", NULL, "not_found_error", "ResourceNotFoundException", "Not found." },
	{ 408, "timeout", NULL, "api_error", "ModelTimeoutException", "The request timed out." },
	{ 413, "invalid_request_error", NULL, "request_too_large", "ValidationException", "Request too large." },
	{ 429, "requests", "rate_limit_exceeded", "rate_limit_error", "ThrottlingException",
	  "Too many requests, please wait before trying again." },
	{ 424, "server_error", NULL, "api_error", "DependencyFailedException",
	  "The knowledge base's vector store could not be reached." },
	{ 502, "server_error", NULL, "api_error", "BadGatewayException", "A dependency failed with a server error." },
	{ 500, "server_error", NULL, "api_error", "InternalServerException",
	  "The server had an error while processing your request." },
	{ 503, "server_error", NULL, "api_error", "ServiceUnavailableException",
	  "The service is temporarily unavailable." },
	{ 529, "server_error", NULL, "overloaded_error", "ServiceUnavailableException", "Overloaded" },
};

/* The error each service sends for status; msg NULL means the usual text. */
static void send_error(struct ctx *x, int status, const char *msg)
{
	const struct err_row *row = NULL;
	for (size_t i = 0; i < sizeof err_rows / sizeof *err_rows && !row; i++)
		if (err_rows[i].status == status)
			row = &err_rows[i];
	if (!row)
		row = status < 500 ? &err_rows[0] : &err_rows[9];
	if (!msg)
		msg = row->message;
	switch (x->prov) {
	case P_OPENAI:
		openai_error(x, status, row->openai_type, row->openai_code, msg);
		break;
	case P_ANTHROPIC:
		anthropic_error(x, status, row->anthropic_type, msg);
		break;
	case P_BEDROCK:
		aws_error(x, status, row->aws_type, msg);
		break;
	case P_OLLAMA:
		ollama_error(x, status, msg);
		break;
	case P_NONE:
		plain_error(x, status, msg);
		break;
	}
}

static void start_stream(struct ctx *x, struct answer *a, const struct wire *w)
{
	struct gen *g = xcalloc(1, sizeof *g);
	g->w = w;
	g->a = *a;
	a->model = NULL;
	put_head(x, 200, w->content_type, NULL, -1);
	x->c->gen = g;
}

/* A whole (non-streamed) answer body, with the scenario applied. */
static void send_answer(struct ctx *x, const struct answer *a, const char *extra, const struct buf *body)
{
	struct conn *c = x->c;
	if (a->sc.kind == K_HUGE) {
		const char *m = strstr(buf_str(body), HUGE_MARKER);
		size_t head = m ? (size_t)(m - body->data) : body->len;
		size_t tail_at = m ? head + strlen(HUGE_MARKER) : body->len;
		struct gen *g = xcalloc(1, sizeof *g);
		g->fill_left = HUGE_BYTES - head - (body->len - tail_at);
		buf_append(&g->tail, body->data + tail_at, body->len - tail_at);
		put_head(x, 200, "application/json", extra, (int64_t)HUGE_BYTES);
		buf_append(&c->out, body->data, head);
		c->gen = g;
		return;
	}
	respond_json(x, 200, extra, body);
	if (a->sc.kind == K_CUT) {
		buf_truncate(&c->out, c->out.len - body->len + body->len / 2);
		c->abort = true;
	}
	if (a->sc.tps > 0)
		c->out_after_us = a->t0_us + (int64_t)((double)a->ntokens * 1e6 / a->sc.tps);
}

/* ------------------------------------------------------------------ embeddings */

static int embed_dims(const cJSON *j, const char *key)
{
	long d = jint(j, key, EMBED_DIMS);
	return d >= 1 && d <= 4096 ? (int)d : EMBED_DIMS;
}

/* A unit vector that depends only on the text and means something: every
 * lower-cased word and every character trigram of a word (with a space at
 * each end) adds a signed weight to a dimension picked by its hash, so texts
 * that share words or word pieces point the same way. */
static void embed_feature(const char *f, size_t n, double weight, int dims, double *acc)
{
	uint64_t h = mix64(fnv1a(f, n));
	acc[h % (uint64_t)dims] += (h >> 63) ? -weight : weight;
}

static void embed_vector(const char *text, int dims, float *out)
{
	double *acc = xcalloc((size_t)dims, sizeof *acc);
	const unsigned char *s = (const unsigned char *)text;
	char word[66];
	size_t n = 0;
	for (size_t i = 0;; i++) {
		unsigned char c = s[i];
		int letter = c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		if (letter && n < 64) {
			word[1 + n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
			continue;
		}
		if (!letter && n) {
			embed_feature(word + 1, n, 1.0, dims, acc);
			word[0] = ' ';
			word[n + 1] = ' ';
			for (size_t k = 0; k + 3 <= n + 2; k++)
				embed_feature(word + k, 3, 0.5, dims, acc);
			n = 0;
		}
		if (!c)
			break;
	}
	double norm = 0;
	for (int i = 0; i < dims; i++)
		norm += acc[i] * acc[i];
	if (norm == 0) {
		uint64_t h = fnv1a(text, strlen(text));
		for (int i = 0; i < dims; i++) {
			h = mix64(h);
			acc[i] = (double)(h >> 11) / 9007199254740992.0 * 2.0 - 1.0;
			norm += acc[i] * acc[i];
		}
	}
	norm = sqrt(norm);
	for (int i = 0; i < dims; i++)
		out[i] = (float)(acc[i] / norm);
	free(acc);
}

static void put_vector(struct buf *b, const char *text, int dims)
{
	float *v = xcalloc((size_t)dims, sizeof *v);
	embed_vector(text, dims, v);
	buf_putc(b, '[');
	for (int i = 0; i < dims; i++)
		buf_printf(b, "%s%.8g", i ? "," : "", (double)v[i]);
	buf_putc(b, ']');
	free(v);
}

static void put_vector_base64(struct buf *b, const char *text, int dims)
{
	float *v = xcalloc((size_t)dims, sizeof *v);
	unsigned char *raw = xmalloc((size_t)dims * 4);
	unsigned char *enc = xmalloc((size_t)dims * 4 / 3 * 4 + 8);
	embed_vector(text, dims, v);
	for (int i = 0; i < dims; i++) {
		uint32_t u;
		memcpy(&u, &v[i], 4);
		for (int k = 0; k < 4; k++)
			raw[4 * i + k] = (unsigned char)(u >> (8 * k));
	}
	int n = EVP_EncodeBlock(enc, raw, dims * 4);
	buf_putc(b, '"');
	buf_append(b, enc, (size_t)n);
	buf_putc(b, '"');
	free(v);
	free(raw);
	free(enc);
}

/* The texts of a string-or-array input as strings (numbers and token
 * arrays as their JSON); NULL when the input is missing. Caller frees both. */
static char **embed_inputs(const cJSON *in, size_t *n)
{
	*n = 0;
	if (!in)
		return NULL;
	size_t cap = cJSON_IsArray(in) ? (size_t)cJSON_GetArraySize(in) : 1;
	char **v = xcalloc(cap + 1, sizeof *v);
	const cJSON *it;
	if (cJSON_IsString(in)) {
		v[(*n)++] = xstrdup(in->valuestring);
	} else if (cJSON_IsArray(in) && cJSON_GetArraySize(in) > 0 && cJSON_IsNumber(cJSON_GetArrayItem(in, 0))) {
		v[(*n)++] = cJSON_PrintUnformatted(in);
	} else if (cJSON_IsArray(in)) {
		cJSON_ArrayForEach(it, in) v[(*n)++] = cJSON_IsString(it) ? xstrdup(it->valuestring)
									   : cJSON_PrintUnformatted(it);
	} else {
		v[(*n)++] = cJSON_PrintUnformatted(in);
	}
	return v;
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static long strings_words(char **v, size_t n)
{
	long w = 0;
	for (size_t i = 0; i < n; i++)
		w += count_words(v[i]);
	return w > 0 ? w : 1;
}

/* ------------------------------------------------------------------ OpenAI */

static void h_openai_models(struct ctx *x)
{
	static const char *const ids[] = { "gpt-4o", "gpt-4o-mini", "gpt-4.1-mini", "o3-mini",
					   "text-embedding-3-small", "text-embedding-3-large" };
	struct buf b = BUF_INIT;
	buf_puts(&b, "{\"object\":\"list\",\"data\":[");
	const char *list = x->s->opt.openai_models;
	for (size_t i = 0; list ? *list != 0 : i < sizeof ids / sizeof *ids; i++) {
		size_t n = list ? strcspn(list, ",") : strlen(ids[i]);
		buf_printf(&b, "%s{\"id\":\"%.*s\",\"object\":\"model\",\"created\":%ld,\"owned_by\":\"system\"}",
			   i ? "," : "", (int)n, list ? list : ids[i], 1715367049L + (long)i * 86400);
		if (list)
			list += n + (list[n] == ',');
	}
	if (x->c->echo_id) {
		buf_puts(&b, ",{\"id\":");
		json_cstr(&b, x->c->echo_id);
		buf_puts(&b, ",\"object\":\"model\",\"created\":1715367049,\"owned_by\":\"echo\"}");
	}
	buf_puts(&b, "]}");
	respond_json(x, 200, NULL, &b);
	buf_free(&b);
}

static void openai_body(const struct answer *a, const struct buf *text, struct buf *b)
{
	buf_printf(b, "{\"id\":\"%s\",\"object\":\"chat.completion\",\"created\":%" PRId64 ",\"model\":", a->id,
		   a->created);
	json_cstr(b, a->model);
	buf_puts(b, ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
	json_str(b, buf_str(text), text->len, raw_text(a));
	buf_printf(b, ",\"refusal\":null,\"annotations\":[]},\"logprobs\":null,\"finish_reason\":\"%s\"}],"
		      "\"usage\":{\"prompt_tokens\":%ld,\"completion_tokens\":%ld,\"total_tokens\":%ld},"
		      "\"system_fingerprint\":\"fp_fakellm\"}",
		   stop_reason(a), a->input_tokens, a->ntokens, a->input_tokens + a->ntokens);
}

static double kb_word_share(const char *query, const char *text);

/* aiwb's chat rerank prompt (docs/kb.md, "Reranking with a model"): the
 * answer is round(10 * the share of the question's words in the passage);
 * a question with the word "noscore" gets an answer without a number, one
 * with "chatty" the number inside a sentence. 1 when text is that prompt. */
static int rerank_prompt_answer(const char *text, struct buf *out)
{
	static const char head[] = "Answer with a number only.\n\nQuestion: ";
	const char *q = text ? strstr(text, head) : NULL;
	const char *p = q ? strstr(q, "\n\nPassage: ") : NULL;
	if (!p)
		return 0;
	q += strlen(head);
	char *question = xstrndup(q, (size_t)(p - q));
	long score = lround(10 * kb_word_share(question, p + strlen("\n\nPassage: ")));
	if (find_word(question, "noscore"))
		buf_puts(out, "I cannot tell.");
	else if (find_word(question, "chatty"))
		buf_printf(out, "Relevance: %ld out of 10.", score);
	else
		buf_printf(out, "%ld", score);
	free(question);
	return 1;
}

static const char *last_user_text(const cJSON *messages)
{
	const char *t = NULL;
	const cJSON *m;
	cJSON_ArrayForEach(m, messages) {
		const cJSON *c = jget(m, "content");
		if (cJSON_IsString(c))
			t = c->valuestring;
	}
	return t;
}

static void h_openai_chat(struct ctx *x)
{
	if (!cJSON_IsArray(jget(x->json, "messages"))) {
		openai_error(x, 400, "invalid_request_error", "missing_required_parameter",
			     "Missing required parameter: 'messages'.");
		return;
	}
	struct answer a;
	answer_init(&a, x);
	struct buf rr = BUF_INIT;
	if (!cJSON_IsTrue(jget(x->json, "stream")) && a.sc.kind == K_NORMAL &&
	    rerank_prompt_answer(last_user_text(jget(x->json, "messages")), &rr)) {
		struct buf b = BUF_INIT;
		a.ntokens = 1;
		openai_body(&a, &rr, &b);
		send_answer(x, &a, NULL, &b);
		buf_free(&b);
		buf_free(&rr);
		free(a.model);
		return;
	}
	buf_free(&rr);
	long max = jint(x->json, "max_completion_tokens", jint(x->json, "max_tokens", 0));
	answer_limit(&a, max);
	if (cJSON_IsTrue(jget(x->json, "stream"))) {
		a.include_usage = cJSON_IsTrue(jget(jget(x->json, "stream_options"), "include_usage"));
		start_stream(x, &a, &openai_wire);
	} else {
		struct buf text = BUF_INIT, b = BUF_INIT;
		answer_text(&a, &text);
		openai_body(&a, &text, &b);
		send_answer(x, &a, NULL, &b);
		buf_free(&text);
		buf_free(&b);
	}
	free(a.model);
}

static void h_openai_embeddings(struct ctx *x)
{
	size_t n;
	char **in = embed_inputs(jget(x->json, "input"), &n);
	if (!in) {
		openai_error(x, 400, "invalid_request_error", "missing_required_parameter",
			     "Missing required parameter: 'input'.");
		return;
	}
	const cJSON *fmt = jget(x->json, "encoding_format");
	bool b64 = cJSON_IsString(fmt) && strcmp(fmt->valuestring, "base64") == 0;
	int dims = embed_dims(x->json, "dimensions");
	struct buf b = BUF_INIT;
	buf_puts(&b, "{\"object\":\"list\",\"data\":[");
	for (size_t i = 0; i < n; i++) {
		buf_printf(&b, "%s{\"object\":\"embedding\",\"index\":%zu,\"embedding\":", i ? "," : "", i);
		if (b64)
			put_vector_base64(&b, in[i], dims);
		else
			put_vector(&b, in[i], dims);
		buf_putc(&b, '}');
	}
	buf_puts(&b, "],\"model\":");
	json_cstr(&b, x->model);
	long w = strings_words(in, n);
	buf_printf(&b, ",\"usage\":{\"prompt_tokens\":%ld,\"total_tokens\":%ld}}", w, w);
	respond_json(x, 200, NULL, &b);
	buf_free(&b);
	free_strings(in, n);
}

static bool auth_openai(struct ctx *x)
{
	const char *want = x->s->opt.openai_key;
	const char *h = NULL;
	for (size_t i = 0; i < x->r->nh && !h; i++)
		if (strcasecmp(x->r->h[i].name, "authorization") == 0)
			h = x->r->h[i].value;
	x->auth = !h ? "none" : has_prefix_ci(h, "Bearer ") ? "bearer" : "other";
	if (!want)
		return true;
	if (!h || !has_prefix_ci(h, "Bearer ")) {
		openai_error(x, 401, "invalid_request_error", NULL,
			     "You didn't provide an API key. You need to provide your API key in an Authorization "
			     "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).");
		return false;
	}
	if (strcmp(h + 7, want) != 0) {
		openai_error(x, 401, "invalid_request_error", "invalid_api_key",
			     "Incorrect API key provided. You can find your API key at "
			     "https://platform.openai.com/account/api-keys.");
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ Anthropic */

static void h_anthropic_models(struct ctx *x)
{
	static const char *const m[][3] = {
		{ "claude-3-5-haiku-20241022", "Claude Haiku 3.5", "2024-10-22T00:00:00Z" },
		{ "claude-3-5-sonnet-20241022", "Claude Sonnet 3.5 (New)", "2024-10-22T00:00:00Z" },
		{ "claude-3-haiku-20240307", "Claude Haiku 3", "2024-03-07T00:00:00Z" },
	};
	size_t n = sizeof m / sizeof *m;
	struct buf b = BUF_INIT;
	buf_puts(&b, "{\"data\":[");
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s{\"type\":\"model\",\"id\":\"%s\",\"display_name\":\"%s\",\"created_at\":\"%s\"}",
			   i ? "," : "", m[i][0], m[i][1], m[i][2]);
	buf_printf(&b, "],\"has_more\":false,\"first_id\":\"%s\",\"last_id\":\"%s\"}", m[0][0], m[n - 1][0]);
	respond_json(x, 200, NULL, &b);
	buf_free(&b);
}

static void anthropic_body(const struct answer *a, const struct buf *text, struct buf *b)
{
	buf_printf(b, "{\"id\":\"%s\",\"type\":\"message\",\"role\":\"assistant\",\"model\":", a->id);
	json_cstr(b, a->model);
	buf_puts(b, ",\"content\":[{\"type\":\"text\",\"text\":");
	json_str(b, buf_str(text), text->len, raw_text(a));
	buf_printf(b, "}],\"stop_reason\":\"%s\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":%ld,"
		      "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":%ld}}",
		   stop_reason(a), a->input_tokens, a->ntokens);
}

static void h_anthropic_messages(struct ctx *x)
{
	if (!cJSON_IsArray(jget(x->json, "messages"))) {
		anthropic_error(x, 400, "invalid_request_error", "messages: Field required");
		return;
	}
	const cJSON *max = jget(x->json, "max_tokens");
	if (!cJSON_IsNumber(max)) {
		anthropic_error(x, 400, "invalid_request_error", "max_tokens: Field required");
		return;
	}
	if (max->valuedouble < 1) {
		anthropic_error(x, 400, "invalid_request_error", "max_tokens: Input should be greater than or equal to 1");
		return;
	}
	struct answer a;
	answer_init(&a, x);
	answer_limit(&a, (long)max->valuedouble);
	if (cJSON_IsTrue(jget(x->json, "stream"))) {
		start_stream(x, &a, &anthropic_wire);
	} else {
		struct buf text = BUF_INIT, b = BUF_INIT;
		answer_text(&a, &text);
		anthropic_body(&a, &text, &b);
		send_answer(x, &a, NULL, &b);
		buf_free(&text);
		buf_free(&b);
	}
	free(a.model);
}

static bool auth_anthropic(struct ctx *x)
{
	const char *want = x->s->opt.anthropic_key;
	const char *key = NULL, *version = NULL, *bearer = NULL;
	for (size_t i = 0; i < x->r->nh; i++) {
		const struct header *h = &x->r->h[i];
		if (!key && strcasecmp(h->name, "x-api-key") == 0)
			key = h->value;
		else if (!version && strcasecmp(h->name, "anthropic-version") == 0)
			version = h->value;
		else if (!bearer && strcasecmp(h->name, "authorization") == 0)
			bearer = h->value;
	}
	x->auth = key ? "x-api-key" : bearer ? "bearer" : "none";
	if (want && !key) {
		anthropic_error(x, 401, "authentication_error", "x-api-key header is required");
		return false;
	}
	if (want && strcmp(key, want) != 0) {
		anthropic_error(x, 401, "authentication_error", "invalid x-api-key");
		return false;
	}
	if (!version) {
		anthropic_error(x, 400, "invalid_request_error", "anthropic-version: header is required");
		return false;
	}
	if (strcmp(version, "2023-06-01") != 0) {
		struct buf m = BUF_INIT;
		buf_printf(&m, "anthropic-version: \"%s\" is not a valid version", version);
		anthropic_error(x, 400, "invalid_request_error", m.data);
		buf_free(&m);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ Bedrock */

static void bedrock_body(const struct answer *a, const struct buf *text, struct buf *b)
{
	buf_printf(b, "{\"metrics\":{\"latencyMs\":%" PRId64 "},\"output\":{\"message\":{\"content\":[{\"text\":",
		   (clock_us() - a->t0_us) / 1000);
	json_str(b, buf_str(text), text->len, raw_text(a));
	buf_printf(b, "}],\"role\":\"assistant\"}},\"stopReason\":\"%s\",\"usage\":{\"inputTokens\":%ld,"
		      "\"outputTokens\":%ld,\"totalTokens\":%ld}}",
		   stop_reason(a), a->input_tokens, a->ntokens, a->input_tokens + a->ntokens);
}

static void h_bedrock_converse(struct ctx *x)
{
	const cJSON *msgs = jget(x->json, "messages");
	if (!cJSON_IsArray(msgs) || cJSON_GetArraySize(msgs) == 0) {
		aws_error(x, 400, "ValidationException",
			  "A conversation must start with a user message. Try again with a conversation that starts "
			  "with a user message.");
		return;
	}
	struct answer a;
	answer_init(&a, x);
	answer_limit(&a, jint(jget(x->json, "inferenceConfig"), "maxTokens", 0));
	if (strcmp(x->route, "bedrock.converse-stream") == 0) {
		start_stream(x, &a, &bedrock_wire);
	} else {
		struct buf text = BUF_INIT, b = BUF_INIT;
		answer_text(&a, &text);
		bedrock_body(&a, &text, &b);
		send_answer(x, &a, NULL, &b);
		buf_free(&text);
		buf_free(&b);
	}
	free(a.model);
}

/* ------------------------------------------------------------------ Bedrock Guardrails */

/* A fixed policy, so tests know the verdict (tests/fakes/README.md):
 * a denied topic, two content filters, a custom and a managed word, the
 * EMAIL and US_SOCIAL_SECURITY_NUMBER entities and one regex. */
struct gr_verdict {
	cJSON *assessment, *topics, *filters, *words, *managed, *pii, *regexes;
	bool blocked, masked, full;
	struct buf masked_text;
};

static cJSON *gr_entry(struct gr_verdict *v, cJSON *list, bool detected, const char *action)
{
	if (!detected && !v->full)
		return NULL;
	cJSON *e = cJSON_CreateObject();
	cJSON_AddItemToArray(list, e);
	cJSON_AddStringToObject(e, "action", detected ? action : "NONE");
	cJSON_AddBoolToObject(e, "detected", detected);
	if (detected && strcmp(action, "BLOCKED") == 0)
		v->blocked = true;
	if (detected && strcmp(action, "ANONYMIZED") == 0)
		v->masked = true;
	return e;
}

static bool email_at(const char *t, size_t n, size_t at, size_t *start, size_t *end)
{
	size_t a = at;
	while (a > 0 && (isalnum((unsigned char)t[a - 1]) || strchr("._%+-", t[a - 1])))
		a--;
	size_t e = at + 1, dot = 0;
	while (e < n && (isalnum((unsigned char)t[e]) || t[e] == '.' || t[e] == '-')) {
		if (t[e] == '.')
			dot = e;
		e++;
	}
	while (e > at + 1 && t[e - 1] == '.')
		e--;
	if (a == at || !dot || dot + 3 > e)
		return false;
	*start = a;
	*end = e;
	return true;
}

static bool ssn_at(const char *t, size_t n, size_t i)
{
	static const char shape[] = "ddd-dd-dddd";
	if (i + 11 > n || (i > 0 && isdigit((unsigned char)t[i - 1])) || (i + 11 < n && isdigit((unsigned char)t[i + 11])))
		return false;
	for (size_t k = 0; k < 11; k++)
		if (shape[k] == 'd' ? !isdigit((unsigned char)t[i + k]) : t[i + k] != '-')
			return false;
	return true;
}

static bool emp_at(const char *t, size_t n, size_t i)
{
	if (i + 10 > n || memcmp(t + i, "EMP-", 4) != 0)
		return false;
	for (size_t k = 4; k < 10; k++)
		if (!isdigit((unsigned char)t[i + k]))
			return false;
	return true;
}

/* The PII entities and the regex, masking as the service does ({EMAIL}). */
static void gr_sensitive(struct gr_verdict *v, const char *t, size_t n)
{
	bool email = false, ssn = false, emp = false;
	for (size_t i = 0; i < n;) {
		size_t a, e;
		if (t[i] == '@' && email_at(t, n, i, &a, &e)) {
			cJSON *x = gr_entry(v, v->pii, true, "ANONYMIZED");
			cJSON_AddStringToObject(x, "type", "EMAIL");
			char *m = xstrndup(t + a, e - a);
			cJSON_AddStringToObject(x, "match", m);
			free(m);
			buf_truncate(&v->masked_text, v->masked_text.len - (i - a));
			buf_puts(&v->masked_text, "{EMAIL}");
			email = true;
			i = e;
		} else if (ssn_at(t, n, i)) {
			cJSON *x = gr_entry(v, v->pii, true, "BLOCKED");
			cJSON_AddStringToObject(x, "type", "US_SOCIAL_SECURITY_NUMBER");
			char *m = xstrndup(t + i, 11);
			cJSON_AddStringToObject(x, "match", m);
			free(m);
			buf_puts(&v->masked_text, "{US_SOCIAL_SECURITY_NUMBER}");
			ssn = true;
			i += 11;
		} else if (emp_at(t, n, i)) {
			cJSON *x = gr_entry(v, v->regexes, true, "ANONYMIZED");
			cJSON_AddStringToObject(x, "name", "employee-id");
			char *m = xstrndup(t + i, 10);
			cJSON_AddStringToObject(x, "match", m);
			free(m);
			cJSON_AddStringToObject(x, "regex", "EMP-[0-9]{6}");
			buf_puts(&v->masked_text, "{employee-id}");
			emp = true;
			i += 10;
		} else {
			buf_putc(&v->masked_text, t[i++]);
		}
	}
	cJSON *x;
	if (!email && (x = gr_entry(v, v->pii, false, "ANONYMIZED")))
		cJSON_AddStringToObject(x, "type", "EMAIL"), cJSON_AddStringToObject(x, "match", "");
	if (!ssn && (x = gr_entry(v, v->pii, false, "BLOCKED")))
		cJSON_AddStringToObject(x, "type", "US_SOCIAL_SECURITY_NUMBER"), cJSON_AddStringToObject(x, "match", "");
	if (!emp && (x = gr_entry(v, v->regexes, false, "ANONYMIZED")))
		cJSON_AddStringToObject(x, "name", "employee-id"), cJSON_AddStringToObject(x, "regex", "EMP-[0-9]{6}");
}

static bool has_ci(const char *t, const char *word)
{
	return strcasestr(t, word) != NULL;
}

static void gr_validation(struct ctx *x, const char *what)
{
	struct buf m = BUF_INIT;
	buf_printf(&m, "1 validation error detected: %s", what);
	aws_error(x, 400, "ValidationException", m.data);
	buf_free(&m);
}

static void h_bedrock_guardrail(struct ctx *x)
{
	const char *path = x->r->path + strlen("/guardrail/");
	const char *ver = strstr(path, "/version/");
	char *version = ver ? xstrndup(ver + 9, strlen(ver + 9) - strlen("/apply")) : xstrdup("");
	char *id = ver ? percent_decode(path, (size_t)(ver - path), false) : xstrdup("");
	bool version_ok = strcmp(version, "DRAFT") == 0 ||
			  (version[0] >= '1' && version[0] <= '9' && strlen(version) <= 8 &&
			   strspn(version, "0123456789") == strlen(version));
	const char *source = cJSON_GetStringValue(jget(x->json, "source"));
	const char *scope = cJSON_GetStringValue(jget(x->json, "outputScope"));
	const cJSON *content = jget(x->json, "content");
	struct buf text = BUF_INIT;
	bool content_ok = cJSON_IsArray(content) && cJSON_GetArraySize(content) > 0;
	const cJSON *block;
	const cJSON *blocks = content_ok ? content : NULL;
	cJSON_ArrayForEach(block, blocks) {
		const char *t = cJSON_GetStringValue(jget(jget(block, "text"), "text"));
		if (!t)
			content_ok = false;
		else
			buf_printf(&text, "%s%s", text.len ? "\n" : "", t);
	}
	if (!version_ok) {
		struct buf m = BUF_INIT;
		buf_printf(&m, "Value '%s' at 'guardrailVersion' failed to satisfy constraint: Member must satisfy "
			       "regular expression pattern: (([1-9][0-9]{0,7})|(DRAFT))", version);
		gr_validation(x, m.data);
		buf_free(&m);
	} else if (!source || (strcmp(source, "INPUT") != 0 && strcmp(source, "OUTPUT") != 0)) {
		gr_validation(x, "Value at 'source' failed to satisfy constraint: Member must satisfy enum value set: "
				 "[INPUT, OUTPUT]");
	} else if (!content_ok) {
		gr_validation(x, "Value at 'content' failed to satisfy constraint: Member must have at least 1 text block");
	} else if (scope && strcmp(scope, "INTERVENTIONS") != 0 && strcmp(scope, "FULL") != 0) {
		gr_validation(x, "Value at 'outputScope' failed to satisfy constraint: Member must satisfy enum value "
				 "set: [INTERVENTIONS, FULL]");
	} else {
		const char *t = buf_str(&text);
		bool input = strcmp(source, "INPUT") == 0;
		struct gr_verdict v = { 0 };
		v.full = scope && strcmp(scope, "FULL") == 0;
		v.assessment = cJSON_CreateObject();
		v.topics = cJSON_AddArrayToObject(cJSON_AddObjectToObject(v.assessment, "topicPolicy"), "topics");
		v.filters = cJSON_AddArrayToObject(cJSON_AddObjectToObject(v.assessment, "contentPolicy"), "filters");
		cJSON *wp = cJSON_AddObjectToObject(v.assessment, "wordPolicy");
		v.words = cJSON_AddArrayToObject(wp, "customWords");
		v.managed = cJSON_AddArrayToObject(wp, "managedWordLists");
		cJSON *sp = cJSON_AddObjectToObject(v.assessment, "sensitiveInformationPolicy");
		v.pii = cJSON_AddArrayToObject(sp, "piiEntities");
		v.regexes = cJSON_AddArrayToObject(sp, "regexes");
		cJSON *e;
		if ((e = gr_entry(&v, v.topics, has_ci(t, "invest"), "BLOCKED")))
			cJSON_AddStringToObject(e, "name", "Investment advice"), cJSON_AddStringToObject(e, "type", "DENY");
		bool attack = input && has_ci(t, "ignore previous instructions");
		if ((e = gr_entry(&v, v.filters, attack, "BLOCKED"))) {
			cJSON_AddStringToObject(e, "type", "PROMPT_ATTACK");
			cJSON_AddStringToObject(e, "confidence", attack ? "HIGH" : "NONE");
			cJSON_AddStringToObject(e, "filterStrength", "HIGH");
		}
		bool insult = has_ci(t, "idiot");
		if ((e = gr_entry(&v, v.filters, insult, "BLOCKED"))) {
			cJSON_AddStringToObject(e, "type", "INSULTS");
			cJSON_AddStringToObject(e, "confidence", insult ? "MEDIUM" : "NONE");
			cJSON_AddStringToObject(e, "filterStrength", "MEDIUM");
		}
		if ((e = gr_entry(&v, v.words, has_ci(t, "shazam"), "BLOCKED")))
			cJSON_AddStringToObject(e, "match", "shazam");
		if ((e = gr_entry(&v, v.managed, has_ci(t, "damn"), "BLOCKED")))
			cJSON_AddStringToObject(e, "match", "damn"), cJSON_AddStringToObject(e, "type", "PROFANITY");
		gr_sensitive(&v, t, text.len);
		long chars = 0;
		for (const unsigned char *p = (const unsigned char *)t; *p; p++)
			chars += (*p & 0xC0) != 0x80;
		long units = (chars + 999) / 1000;
		bool intervened = v.blocked || v.masked;
		cJSON *usage = cJSON_CreateObject();
		cJSON_AddNumberToObject(usage, "topicPolicyUnits", (double)units);
		cJSON_AddNumberToObject(usage, "contentPolicyUnits", (double)units);
		cJSON_AddNumberToObject(usage, "wordPolicyUnits", (double)units);
		cJSON_AddNumberToObject(usage, "sensitiveInformationPolicyUnits", (double)units);
		cJSON_AddNumberToObject(usage, "sensitiveInformationPolicyFreeUnits", 0);
		cJSON_AddNumberToObject(usage, "contextualGroundingPolicyUnits", 0);
		cJSON *metrics = cJSON_AddObjectToObject(v.assessment, "invocationMetrics");
		cJSON_AddNumberToObject(metrics, "guardrailProcessingLatency", 12);
		cJSON_AddItemToObject(metrics, "usage", cJSON_Duplicate(usage, true));
		cJSON *cov = cJSON_AddObjectToObject(cJSON_AddObjectToObject(metrics, "guardrailCoverage"), "textCharacters");
		cJSON_AddNumberToObject(cov, "guarded", (double)chars);
		cJSON_AddNumberToObject(cov, "total", (double)chars);
		cJSON *applied = cJSON_AddObjectToObject(v.assessment, "appliedGuardrailDetails");
		cJSON_AddStringToObject(applied, "guardrailId", id);
		cJSON_AddStringToObject(applied, "guardrailVersion", version);
		struct buf arn = BUF_INIT;
		buf_printf(&arn, "arn:aws:bedrock:%s:123456789012:guardrail/%s", x->s->opt.aws_region, id);
		cJSON_AddStringToObject(applied, "guardrailArn", strncmp(id, "arn:", 4) == 0 ? id : arn.data);
		buf_free(&arn);
		cJSON *origin = cJSON_AddArrayToObject(applied, "guardrailOrigin");
		cJSON_AddItemToArray(origin, cJSON_CreateString("REQUEST"));
		cJSON_AddStringToObject(applied, "guardrailOwnership", "SELF");

		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "usage", usage);
		cJSON_AddStringToObject(o, "action", intervened ? "GUARDRAIL_INTERVENED" : "NONE");
		cJSON_AddStringToObject(o, "actionReason", v.blocked ? "Guardrail blocked." : v.masked ? "Guardrail masked." : "No action.");
		cJSON *outputs = cJSON_AddArrayToObject(o, "outputs");
		if (intervened) {
			cJSON *out = cJSON_CreateObject();
			cJSON_AddStringToObject(out, "text",
						v.blocked ? (input ? "Sorry, the model cannot answer this question."
								   : "Sorry, the model cannot provide this answer.")
							  : buf_str(&v.masked_text));
			cJSON_AddItemToArray(outputs, out);
		}
		cJSON *assessments = cJSON_AddArrayToObject(o, "assessments");
		cJSON_AddItemToArray(assessments, v.assessment);
		cJSON *gcov = cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "guardrailCoverage"), "textCharacters");
		cJSON_AddNumberToObject(gcov, "guarded", (double)chars);
		cJSON_AddNumberToObject(gcov, "total", (double)chars);
		char *js = cJSON_PrintUnformatted(o);
		struct buf b = BUF_INIT;
		buf_puts(&b, js);
		respond_json(x, 200, NULL, &b);
		buf_free(&b);
		free(js);
		cJSON_Delete(o);
		buf_free(&v.masked_text);
	}
	buf_free(&text);
	free(id);
	free(version);
}

/* ------------------------------------------------------------------ Bedrock Knowledge Bases */

/* The account's knowledge bases (--kb-ids) all serve one corpus (--kb-corpus,
 * JSONL: one document a line, its "text", optional "title" and "id", the other
 * fields its metadata). Retrieve ranks the documents that pass the filter by
 * the cosine of the fake's embeddings (SEMANTIC) or that mixed with the share
 * of query words found (HYBRID), and pages the top numberOfResults by
 * --kb-page. */

static long counter_bump(struct server *s, enum provider p, const char *model);

struct kb_doc_fake {
	char *uri, *text;
	cJSON *meta; /* with x-amz-bedrock-kb-source-uri */
};

static struct kb_doc_fake *kb_docs_fake;
static size_t kb_ndocs_fake;

static void kb_corpus_free(void)
{
	for (size_t i = 0; i < kb_ndocs_fake; i++) {
		free(kb_docs_fake[i].uri);
		free(kb_docs_fake[i].text);
		cJSON_Delete(kb_docs_fake[i].meta);
	}
	free(kb_docs_fake);
}

static int kb_corpus_load(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "fakellm: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) > 0) {
		cJSON *o = cJSON_Parse(line);
		const char *text = cJSON_GetStringValue(jget(o, "text"));
		if (!text) {
			cJSON_Delete(o);
			continue;
		}
		struct buf uri = BUF_INIT;
		const cJSON *id = jget(o, "id");
		if (cJSON_IsString(id))
			buf_printf(&uri, "s3://aiwb-kb-test/docs/%s.txt", id->valuestring);
		else
			buf_printf(&uri, "s3://aiwb-kb-test/docs/%zu.txt", kb_ndocs_fake + 1);
		cJSON *meta = cJSON_CreateObject();
		for (cJSON *c = o->child; c; c = c->next)
			if (strcmp(c->string, "text") != 0 && strcmp(c->string, "title") != 0)
				cJSON_AddItemToObject(meta, c->string, cJSON_Duplicate(c, 1));
		cJSON_AddStringToObject(meta, "x-amz-bedrock-kb-source-uri", uri.data);
		cJSON_AddStringToObject(meta, "x-amz-bedrock-kb-data-source-id", "DSFAKE0001");
		kb_docs_fake = xreallocarray(kb_docs_fake, kb_ndocs_fake + 1, sizeof *kb_docs_fake);
		kb_docs_fake[kb_ndocs_fake++] = (struct kb_doc_fake){ buf_detach(&uri), xstrdup(text), meta };
		cJSON_Delete(o);
	}
	free(line);
	fclose(f);
	return 0;
}

/* The name of id among --kb-ids ("ID" or "ID=NAME", comma-separated), or NULL. */
static char *kb_lookup(const struct options *o, const char *id, size_t *index)
{
	const char *p = o->kb_ids;
	size_t i = 0;
	while (p && *p) {
		size_t len = strcspn(p, ",");
		size_t idlen = strcspn(p, ",=");
		if (idlen == strlen(id) && strncmp(p, id, idlen) == 0) {
			if (index)
				*index = i;
			return idlen < len ? xstrndup(p + idlen + 1, len - idlen - 1) : xasprintf("kb-%s", id);
		}
		p += len + (p[len] == ',');
		i++;
	}
	return NULL;
}

static bool kb_denied(const struct options *o, const char *id)
{
	return o->kb_denied && strcmp(o->kb_denied, id) == 0;
}

static void kb_summary(const struct options *o, const char *id, const char *name, cJSON *into)
{
	struct buf desc = BUF_INIT;
	buf_printf(&desc, "Fake knowledge base %s", name);
	cJSON_AddStringToObject(into, "knowledgeBaseId", id);
	cJSON_AddStringToObject(into, "name", name);
	cJSON_AddStringToObject(into, "description", desc.data);
	cJSON_AddStringToObject(into, "status", "ACTIVE");
	cJSON_AddStringToObject(into, "updatedAt", "2026-11-30T10:00:00.000000Z");
	(void)o;
	buf_free(&desc);
}

/* The id between /knowledgebases/ and tail, decoded; NULL when absent. */
static char *kb_path_id(const struct ctx *x, const char *tail)
{
	const char *p = x->r->path + strlen("/knowledgebases/");
	size_t n = strlen(p), t = strlen(tail);
	if (n <= t || strcmp(p + n - t, tail) != 0)
		return NULL;
	return percent_decode(p, n - t, false);
}

/* 404 or 403 for an id the account cannot use; true when it answered. */
static bool kb_refused(struct ctx *x, const char *id)
{
	char *name = kb_lookup(&x->s->opt, id, NULL);
	if (!name) {
		struct buf m = BUF_INIT;
		buf_printf(&m, "Knowledge base with id %s does not exist", id);
		aws_error(x, 404, "ResourceNotFoundException", m.data);
		buf_free(&m);
		return true;
	}
	free(name);
	if (kb_denied(&x->s->opt, id)) {
		struct buf m = BUF_INIT;
		buf_printf(&m, "User: arn:aws:iam::123456789012:user/test is not authorized to perform: bedrock:%s on "
			       "resource: arn:aws:bedrock:%s:123456789012:knowledge-base/%s",
			   strstr(x->route, "retrieve") ? "Retrieve" : "GetKnowledgeBase", x->s->opt.aws_region, id);
		aws_error(x, 403, "AccessDeniedException", m.data);
		buf_free(&m);
		return true;
	}
	return false;
}

static void h_kb_get(struct ctx *x)
{
	char *id = kb_path_id(x, "");
	if (!id || kb_refused(x, id)) {
		if (!id)
			aws_error(x, 404, "UnknownOperationException", "Unknown operation");
		free(id);
		return;
	}
	char *name = kb_lookup(&x->s->opt, id, NULL);
	cJSON *o = cJSON_CreateObject(), *kb = cJSON_AddObjectToObject(o, "knowledgeBase");
	kb_summary(&x->s->opt, id, name, kb);
	struct buf arn = BUF_INIT;
	buf_printf(&arn, "arn:aws:bedrock:%s:123456789012:knowledge-base/%s", x->s->opt.aws_region, id);
	cJSON_AddStringToObject(kb, "knowledgeBaseArn", arn.data);
	cJSON_AddStringToObject(kb, "roleArn", "arn:aws:iam::123456789012:role/AmazonBedrockExecutionRoleForKnowledgeBase");
	cJSON *conf = cJSON_AddObjectToObject(kb, "knowledgeBaseConfiguration");
	cJSON_AddStringToObject(conf, "type", "VECTOR");
	buf_reset(&arn);
	buf_printf(&arn, "arn:aws:bedrock:%s::foundation-model/amazon.titan-embed-text-v2:0", x->s->opt.aws_region);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(conf, "vectorKnowledgeBaseConfiguration"), "embeddingModelArn",
				arn.data);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(kb, "storageConfiguration"), "type", "OPENSEARCH_SERVERLESS");
	cJSON_AddStringToObject(kb, "createdAt", "2026-11-30T09:00:00.000000Z");
	char *text = cJSON_PrintUnformatted(o);
	struct buf b = BUF_INIT;
	buf_puts(&b, text);
	respond_json(x, 200, NULL, &b);
	buf_free(&b);
	buf_free(&arn);
	free(text);
	cJSON_Delete(o);
	free(name);
	free(id);
}

static void h_kb_list(struct ctx *x)
{
	const struct options *o = &x->s->opt;
	const cJSON *mr = jget(x->json, "maxResults");
	long max = 1000;
	if (mr && (!cJSON_IsNumber(mr) || mr->valuedouble < 1 || mr->valuedouble > 1000)) {
		gr_validation(x, "Value at 'maxResults' failed to satisfy constraint: Member must have value less than or "
				 "equal to 1000");
		return;
	}
	if (mr)
		max = (long)mr->valuedouble;
	if (o->kb_list_page > 0 && o->kb_list_page < max)
		max = o->kb_list_page;
	long from = 0;
	const char *tok = cJSON_GetStringValue(jget(x->json, "nextToken"));
	if (tok && (sscanf(tok, "kbl-%ld", &from) != 1 || from < 0)) {
		gr_validation(x, "Value at 'nextToken' failed to satisfy constraint: the token is not one this service gave");
		return;
	}
	cJSON *root = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(root, "knowledgeBaseSummaries");
	const char *p = o->kb_ids;
	long i = 0, shown = 0;
	while (p && *p) {
		size_t len = strcspn(p, ",");
		char *id = xstrndup(p, strcspn(p, ",="));
		if (i >= from && shown < max) {
			char *name = kb_lookup(o, id, NULL);
			cJSON *s = cJSON_CreateObject();
			kb_summary(o, id, name, s);
			cJSON_AddItemToArray(list, s);
			free(name);
			shown++;
		} else if (i >= from + max) {
			struct buf t = BUF_INIT;
			buf_printf(&t, "kbl-%ld", from + max);
			cJSON_AddStringToObject(root, "nextToken", t.data);
			buf_free(&t);
			free(id);
			break;
		}
		free(id);
		p += len + (p[len] == ',');
		i++;
	}
	char *text = cJSON_PrintUnformatted(root);
	struct buf b = BUF_INIT;
	buf_puts(&b, text);
	respond_json(x, 200, NULL, &b);
	buf_free(&b);
	free(text);
	cJSON_Delete(root);
}

static bool kb_same(const cJSON *a, const cJSON *b)
{
	if (cJSON_IsString(a) && cJSON_IsString(b))
		return strcmp(a->valuestring, b->valuestring) == 0;
	if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
		return a->valuedouble == b->valuedouble;
	if (cJSON_IsBool(a) && cJSON_IsBool(b))
		return cJSON_IsTrue(a) == cJSON_IsTrue(b);
	return false;
}

static const char *const kb_ops[] = { "equals", "notEquals", "greaterThan", "greaterThanOrEquals", "lessThan",
				      "lessThanOrEquals", "in", "notIn", "startsWith", "listContains",
				      "stringContains", "andAll", "orAll", NULL };

/* Bedrock's RetrievalFilter on one document's metadata, as its API reference
 * describes each member; -1 with why for a filter the service rejects. */
static int kb_eval(const cJSON *f, const cJSON *meta, int depth, bool *out, struct buf *why)
{
	if (depth > 16 || !cJSON_IsObject(f) || cJSON_GetArraySize(f) != 1) {
		buf_puts(why, "RetrievalFilter is a union: exactly one member must be set");
		return -1;
	}
	const cJSON *m = f->child;
	const char *op = m->string;
	size_t k = 0;
	while (kb_ops[k] && strcmp(kb_ops[k], op) != 0)
		k++;
	if (!kb_ops[k]) {
		buf_printf(why, "Unknown filter member '%s'", op);
		return -1;
	}
	if (strcmp(op, "andAll") == 0 || strcmp(op, "orAll") == 0) {
		if (!cJSON_IsArray(m) || cJSON_GetArraySize(m) < 2) {
			buf_printf(why, "Value at 'retrievalConfiguration.vectorSearchConfiguration.filter.%s' failed to "
					"satisfy constraint: Member must have length greater than or equal to 2", op);
			return -1;
		}
		bool all = op[0] == 'a', acc = all;
		const cJSON *it;
		cJSON_ArrayForEach(it, m) {
			bool v;
			if (kb_eval(it, meta, depth + 1, &v, why) < 0)
				return -1;
			acc = all ? acc && v : acc || v;
		}
		*out = acc;
		return 0;
	}
	const char *key = cJSON_GetStringValue(jget(m, "key"));
	const cJSON *val = jget(m, "value");
	if (!key || !*key || strlen(key) > 100 || !val) {
		buf_printf(why, "Value at 'filter.%s' failed to satisfy constraint: key (1 to 100 characters) and value are "
				"required", op);
		return -1;
	}
	bool list_value = strcmp(op, "in") == 0 || strcmp(op, "notIn") == 0;
	if (list_value != cJSON_IsArray(val)) {
		buf_printf(why, "The value of filter.%s must %sbe a list", op, list_value ? "" : "not ");
		return -1;
	}
	const cJSON *have = jget(meta, key);
	bool present = have && !cJSON_IsNull(have);
	bool r = false;
	if (strcmp(op, "equals") == 0) {
		r = present && kb_same(have, val);
	} else if (strcmp(op, "notEquals") == 0) {
		r = !present || !kb_same(have, val);
	} else if (strcmp(op, "in") == 0 || strcmp(op, "notIn") == 0) {
		const cJSON *it;
		bool found = false;
		cJSON_ArrayForEach(it, val)
			found = found || kb_same(have, it);
		r = present && (op[0] == 'i' ? found : !found);
	} else if (strncmp(op, "greater", 7) == 0 || strncmp(op, "less", 4) == 0) {
		if (present && cJSON_IsNumber(have) && cJSON_IsNumber(val)) {
			double a = have->valuedouble, b = val->valuedouble;
			r = strcmp(op, "greaterThan") == 0 ? a > b : strcmp(op, "greaterThanOrEquals") == 0 ? a >= b
				: strcmp(op, "lessThan") == 0 ? a < b : a <= b;
		}
	} else if (strcmp(op, "startsWith") == 0) {
		r = present && cJSON_IsString(have) && cJSON_IsString(val) &&
		    strncmp(have->valuestring, val->valuestring, strlen(val->valuestring)) == 0;
	} else if (strcmp(op, "listContains") == 0) {
		const cJSON *it;
		if (cJSON_IsArray(have))
			cJSON_ArrayForEach(it, have)
				r = r || kb_same(it, val);
	} else if (strcmp(op, "stringContains") == 0 && cJSON_IsString(val)) {
		if (cJSON_IsString(have))
			r = strstr(have->valuestring, val->valuestring) != NULL;
		const cJSON *it;
		if (cJSON_IsArray(have))
			cJSON_ArrayForEach(it, have)
				r = r || (cJSON_IsString(it) && strstr(it->valuestring, val->valuestring));
	}
	*out = r;
	return 0;
}

struct kb_scored {
	size_t doc;
	double score;
};

static int kb_by_score(const void *a, const void *b)
{
	const struct kb_scored *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->doc < y->doc ? -1 : x->doc > y->doc;
}

/* The share of the query's words (lower-cased) found in text. */
static double kb_word_share(const char *query, const char *text)
{
	long words = 0, found = 0;
	const char *p = query;
	while (*p) {
		while (*p && !isalnum((unsigned char)*p))
			p++;
		size_t n = 0;
		while (isalnum((unsigned char)p[n]))
			n++;
		if (!n)
			break;
		char *w = xstrndup(p, n);
		words++;
		found += strcasestr(text, w) != NULL;
		free(w);
		p += n;
	}
	return words ? (double)found / (double)words : 0;
}

static void h_kb_retrieve(struct ctx *x)
{
	char *id = kb_path_id(x, "/retrieve");
	if (!id || kb_refused(x, id)) {
		free(id);
		return;
	}
	const char *query = cJSON_GetStringValue(jget(jget(x->json, "retrievalQuery"), "text"));
	const cJSON *vs = jget(jget(x->json, "retrievalConfiguration"), "vectorSearchConfiguration");
	const cJSON *nr = jget(vs, "numberOfResults");
	const char *type = cJSON_GetStringValue(jget(vs, "overrideSearchType"));
	const cJSON *filter = jget(vs, "filter");
	const char *tok = cJSON_GetStringValue(jget(x->json, "nextToken"));
	long want = nr ? (long)nr->valuedouble : 5, from = 0;
	struct scenario sc = scenario_parse(query ? query : "", 0);
	struct buf why = BUF_INIT;
	if (!query || !*query) {
		gr_validation(x, "Value at 'retrievalQuery.text' failed to satisfy constraint: Member must not be empty");
	} else if (nr && (!cJSON_IsNumber(nr) || want < 1 || want > 100 || (double)want != nr->valuedouble)) {
		gr_validation(x, "Value at 'retrievalConfiguration.vectorSearchConfiguration.numberOfResults' failed to "
				 "satisfy constraint: Member must have value between 1 and 100");
	} else if (jget(vs, "overrideSearchType") && (!type || (strcmp(type, "HYBRID") != 0 && strcmp(type, "SEMANTIC") != 0))) {
		gr_validation(x, "Value at 'retrievalConfiguration.vectorSearchConfiguration.overrideSearchType' failed to "
				 "satisfy constraint: Member must satisfy enum value set: [HYBRID, SEMANTIC]");
	} else if (tok && (sscanf(tok, "kbr-%ld", &from) != 1 || from < 1 || from >= want)) {
		gr_validation(x, "Value at 'nextToken' failed to satisfy constraint: the token is not one this service gave");
	} else if (sc.kind == K_FAIL || (sc.kind == K_RETRY && counter_bump(x->s, P_BEDROCK, query) == 1)) {
		send_error(x, sc.status, NULL);
	} else {
		bool hybrid = type && strcmp(type, "HYBRID") == 0;
		struct kb_scored *hits = xcalloc(kb_ndocs_fake + 1, sizeof *hits);
		size_t nhits = 0;
		float *qv = xcalloc(EMBED_DIMS, sizeof *qv), *dv = xcalloc(EMBED_DIMS, sizeof *dv);
		embed_vector(query, EMBED_DIMS, qv);
		int bad = 0;
		for (size_t i = 0; i < kb_ndocs_fake && !bad; i++) {
			bool pass = true;
			if (filter && kb_eval(filter, kb_docs_fake[i].meta, 0, &pass, &why) < 0) {
				bad = 1;
				break;
			}
			if (!pass)
				continue;
			embed_vector(kb_docs_fake[i].text, EMBED_DIMS, dv);
			double cos = 0;
			for (int d = 0; d < EMBED_DIMS; d++)
				cos += (double)qv[d] * (double)dv[d];
			double s = (1 + cos) / 2;
			if (hybrid)
				s = 0.5 * s + 0.5 * kb_word_share(query, kb_docs_fake[i].text);
			hits[nhits++] = (struct kb_scored){ i, s };
		}
		if (bad) {
			struct buf m = BUF_INIT;
			buf_printf(&m, "%s", why.data);
			gr_validation(x, m.data);
			buf_free(&m);
		} else {
			qsort(hits, nhits, sizeof *hits, kb_by_score);
			long total = (long)nhits < want ? (long)nhits : want;
			long page = x->s->opt.kb_page > 0 ? x->s->opt.kb_page : 100;
			long to = from + page < total ? from + page : total;
			cJSON *root = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(root, "retrievalResults");
			for (long i = from; i < to; i++) {
				const struct kb_doc_fake *d = &kb_docs_fake[hits[i].doc];
				cJSON *r = cJSON_CreateObject(), *c = cJSON_AddObjectToObject(r, "content");
				cJSON_AddStringToObject(c, "type", "TEXT");
				cJSON_AddStringToObject(c, "text", d->text);
				cJSON *loc = cJSON_AddObjectToObject(r, "location");
				cJSON_AddStringToObject(loc, "type", "S3");
				cJSON_AddStringToObject(cJSON_AddObjectToObject(loc, "s3Location"), "uri", d->uri);
				cJSON_AddNumberToObject(r, "score", round(hits[i].score * 1e6) / 1e6);
				cJSON *meta = cJSON_Duplicate(d->meta, 1);
				struct buf chunk = BUF_INIT;
				buf_printf(&chunk, "%016" PRIx64, mix64(fnv1a(d->uri, strlen(d->uri))));
				cJSON_AddStringToObject(meta, "x-amz-bedrock-kb-chunk-id", chunk.data);
				cJSON_AddItemToObject(r, "metadata", meta);
				cJSON_AddStringToObject(r, "documentId", chunk.data);
				buf_free(&chunk);
				cJSON_AddItemToArray(list, r);
			}
			if (to < total) {
				struct buf t = BUF_INIT;
				buf_printf(&t, "kbr-%ld", to);
				cJSON_AddStringToObject(root, "nextToken", t.data);
				buf_free(&t);
			}
			cJSON_AddStringToObject(root, "guardrailAction", "NONE");
			char *text = cJSON_PrintUnformatted(root);
			struct buf b = BUF_INIT;
			buf_puts(&b, text);
			respond_json(x, 200, NULL, &b);
			buf_free(&b);
			free(text);
			cJSON_Delete(root);
		}
		free(qv);
		free(dv);
		free(hits);
	}
	buf_free(&why);
	free(id);
}

/* Rerank (bedrock-agent-runtime POST /rerank): each source's relevanceScore
 * is the share of the query's words found in its text (documents scored one
 * by one, as the real models do), results best first (ties by index), cut
 * to numberOfResults and paged by --rerank-page. The query's words pick a
 * failure as a model name does (fail-NNN, retry-NNN). */
static const char *rerank_text(const cJSON *doc)
{
	return cJSON_GetStringValue(jget(doc, "text"));
}

static bool rerank_text_ok(const char *t)
{
	return t && *t && strlen(t) <= 32000;
}

static void h_rerank(struct ctx *x)
{
	const cJSON *qs = jget(x->json, "queries"), *srcs = jget(x->json, "sources");
	const cJSON *rc = jget(x->json, "rerankingConfiguration");
	const cJSON *br = jget(rc, "bedrockRerankingConfiguration");
	const char *arn = cJSON_GetStringValue(jget(jget(br, "modelConfiguration"), "modelArn"));
	const cJSON *nr = jget(br, "numberOfResults");
	const char *tok = cJSON_GetStringValue(jget(x->json, "nextToken"));
	const cJSON *q0 = cJSON_GetArrayItem(qs, 0);
	const char *query = rerank_text(jget(q0, "textQuery"));
	long nsrc = cJSON_IsArray(srcs) ? cJSON_GetArraySize(srcs) : 0;
	long want = nr ? (long)nr->valuedouble : nsrc, from = 0;
	struct buf prefix = BUF_INIT;
	buf_printf(&prefix, "arn:aws:bedrock:%s::foundation-model/", x->s->opt.aws_region);
	const char *model = arn && strncmp(arn, prefix.data, prefix.len) == 0 ? arn + prefix.len : NULL;
	bool bad_src = false;
	const cJSON *it;
	cJSON_ArrayForEach(it, srcs) {
		const cJSON *d = jget(it, "inlineDocumentSource");
		const char *t = cJSON_GetStringValue(jget(it, "type")), *dt = cJSON_GetStringValue(jget(d, "type"));
		if (!t || strcmp(t, "INLINE") != 0 || !dt || strcmp(dt, "TEXT") != 0 ||
		    !rerank_text_ok(rerank_text(jget(d, "textDocument"))))
			bad_src = true;
	}
	struct scenario sc = scenario_parse(query ? query : "", 0);
	struct buf key = BUF_INIT;
	buf_printf(&key, "rerank %s", query ? query : "");
	if (!cJSON_IsArray(qs) || cJSON_GetArraySize(qs) != 1 || !rerank_text_ok(query) ||
	    !cJSON_GetStringValue(jget(q0, "type")) || strcmp(cJSON_GetStringValue(jget(q0, "type")), "TEXT") != 0) {
		gr_validation(x, "Value at 'queries' failed to satisfy constraint: Member must have length 1, of type TEXT "
				 "with a text of 1 to 32000 characters");
	} else if (nsrc < 1 || nsrc > 1000) {
		gr_validation(x, "Value at 'sources' failed to satisfy constraint: Member must have length less than or "
				 "equal to 1000 and greater than or equal to 1");
	} else if (bad_src) {
		gr_validation(x, "Value at 'sources' failed to satisfy constraint: each source must be INLINE TEXT with a "
				 "text of 1 to 32000 characters");
	} else if (!cJSON_GetStringValue(jget(rc, "type")) ||
		   strcmp(cJSON_GetStringValue(jget(rc, "type")), "BEDROCK_RERANKING_MODEL") != 0) {
		gr_validation(x, "Value at 'rerankingConfiguration.type' failed to satisfy constraint: Member must satisfy "
				 "enum value set: [BEDROCK_RERANKING_MODEL]");
	} else if (nr && (!cJSON_IsNumber(nr) || want < 1 || want > 1000 || (double)want != nr->valuedouble)) {
		gr_validation(x, "Value at 'rerankingConfiguration.bedrockRerankingConfiguration.numberOfResults' failed to "
				 "satisfy constraint: Member must have value between 1 and 1000");
	} else if (!model || (strcmp(model, "amazon.rerank-v1:0") != 0 && strcmp(model, "cohere.rerank-v3-5:0") != 0)) {
		gr_validation(x, "The provided model identifier is invalid.");
	} else if (tok && (sscanf(tok, "rr-%ld", &from) != 1 || from < 1 || from >= want)) {
		gr_validation(x, "Value at 'nextToken' failed to satisfy constraint: the token is not one this service gave");
	} else if (sc.kind == K_FAIL || (sc.kind == K_RETRY && counter_bump(x->s, P_BEDROCK, key.data) == 1)) {
		send_error(x, sc.status, NULL);
	} else {
		struct kb_scored *hits = xcalloc((size_t)nsrc, sizeof *hits);
		long i = 0;
		cJSON_ArrayForEach(it, srcs) {
			const char *t = rerank_text(jget(jget(it, "inlineDocumentSource"), "textDocument"));
			hits[i] = (struct kb_scored){ (size_t)i, round(kb_word_share(query, t) * 1e6) / 1e6 };
			i++;
		}
		qsort(hits, (size_t)nsrc, sizeof *hits, kb_by_score);
		long total = want < nsrc ? want : nsrc;
		long page = x->s->opt.rerank_page > 0 ? x->s->opt.rerank_page : total;
		long to = from + page < total ? from + page : total;
		cJSON *root = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(root, "results");
		for (long k = from; k < to; k++) {
			cJSON *r = cJSON_CreateObject();
			cJSON_AddNumberToObject(r, "index", (double)hits[k].doc);
			cJSON_AddNumberToObject(r, "relevanceScore", hits[k].score);
			cJSON_AddItemToArray(list, r);
		}
		if (to < total) {
			struct buf t = BUF_INIT;
			buf_printf(&t, "rr-%ld", to);
			cJSON_AddStringToObject(root, "nextToken", t.data);
			buf_free(&t);
		}
		char *text = cJSON_PrintUnformatted(root);
		struct buf b = BUF_INIT;
		buf_puts(&b, text);
		respond_json(x, 200, NULL, &b);
		buf_free(&b);
		free(text);
		cJSON_Delete(root);
		free(hits);
	}
	buf_free(&key);
	buf_free(&prefix);
}

static void invoke_headers(struct buf *h, long input_tokens)
{
	buf_printf(h, "x-amzn-bedrock-input-token-count: %ld\r\nx-amzn-bedrock-invocation-latency: 1\r\n",
		   input_tokens);
}

static void h_bedrock_invoke(struct ctx *x)
{
	struct buf b = BUF_INIT, h = BUF_INIT;
	if (strstr(x->model, "titan-embed")) {
		const cJSON *t = jget(x->json, "inputText");
		if (!cJSON_IsString(t)) {
			aws_error(x, 400, "ValidationException",
				  "Malformed input request: #: required key [inputText] not found, please reformat your "
				  "input and try again.");
			return;
		}
		int dims = embed_dims(x->json, "dimensions");
		long w = count_words(t->valuestring);
		w = w > 0 ? w : 1;
		buf_puts(&b, "{\"embedding\":");
		put_vector(&b, t->valuestring, dims);
		if (strstr(x->model, "-v2")) {
			buf_puts(&b, ",\"embeddingsByType\":{\"float\":");
			put_vector(&b, t->valuestring, dims);
			buf_putc(&b, '}');
		}
		buf_printf(&b, ",\"inputTextTokenCount\":%ld}", w);
		invoke_headers(&h, w);
	} else if (strstr(x->model, "cohere.embed")) {
		const cJSON *texts = jget(x->json, "texts");
		if (!cJSON_IsArray(texts) || !cJSON_IsString(jget(x->json, "input_type"))) {
			aws_error(x, 400, "ValidationException",
				  "Malformed input request: #: required key [input_type] not found, please reformat your "
				  "input and try again.");
			return;
		}
		size_t n;
		char **in = embed_inputs(texts, &n);
		bool by_type = cJSON_IsArray(jget(x->json, "embedding_types"));
		buf_printf(&b, "{\"id\":\"%08" PRIx64 "-fake-4000-8000-cohere\",\"texts\":[",
			   mix64(x->s->seq) & 0xffffffffu);
		for (size_t i = 0; i < n; i++) {
			buf_puts(&b, i ? "," : "");
			json_cstr(&b, in[i]);
		}
		buf_puts(&b, by_type ? "],\"embeddings\":{\"float\":[" : "],\"embeddings\":[");
		for (size_t i = 0; i < n; i++) {
			buf_puts(&b, i ? "," : "");
			put_vector(&b, in[i], EMBED_DIMS);
		}
		buf_puts(&b, by_type ? "]},\"response_type\":\"embeddings_by_type\"}"
				     : "],\"response_type\":\"embeddings_floats\"}");
		invoke_headers(&h, strings_words(in, n));
		free_strings(in, n);
	} else {
		aws_error(x, 400, "ValidationException",
			  "fakellm serves InvokeModel for amazon.titan-embed-* and cohere.embed-* models only.");
		return;
	}
	respond_json(x, 200, h.data, &b);
	buf_free(&b);
	buf_free(&h);
}

struct foundation_model {
	const char *id, *name, *provider, *in, *out, *custom;
	bool streaming;
};

static const struct foundation_model foundation_models[] = {
	{ "anthropic.claude-3-haiku-20240307-v1:0", "Claude 3 Haiku", "Anthropic", "\"TEXT\",\"IMAGE\"", "\"TEXT\"",
	  "", true },
	{ "meta.llama3-8b-instruct-v1:0", "Llama 3 8B Instruct", "Meta", "\"TEXT\"", "\"TEXT\"", "", true },
	{ "amazon.titan-text-express-v1", "Titan Text G1 - Express", "Amazon", "\"TEXT\"", "\"TEXT\"",
	  "\"FINE_TUNING\",\"CONTINUED_PRE_TRAINING\"", true },
	{ "mistral.mistral-7b-instruct-v0:2", "Mistral 7B Instruct", "Mistral AI", "\"TEXT\"", "\"TEXT\"", "", true },
	{ "amazon.titan-embed-text-v2:0", "Titan Text Embeddings V2", "Amazon", "\"TEXT\"", "\"EMBEDDING\"", "",
	  false },
	{ "cohere.embed-english-v3", "Embed English", "Cohere", "\"TEXT\"", "\"EMBEDDING\"", "", false },
};

static void put_foundation_model(struct ctx *x, const struct foundation_model *m, struct buf *b)
{
	const char *region = x->s->opt.aws_region;
	buf_printf(b,
		   "{\"modelArn\":\"arn:aws:bedrock:%s::foundation-model/%s\",\"modelId\":\"%s\",\"modelName\":\"%s\","
		   "\"providerName\":\"%s\",\"inputModalities\":[%s],\"outputModalities\":[%s],"
		   "\"responseStreamingSupported\":%s,\"customizationsSupported\":[%s],"
		   "\"inferenceTypesSupported\":[\"ON_DEMAND\"],\"modelLifecycle\":{\"status\":\"ACTIVE\"}}",
		   region, m->id, m->id, m->name, m->provider, m->in, m->out, m->streaming ? "true" : "false",
		   m->custom);
}

/* Whether item is one of the quoted words in list ("\"TEXT\",\"IMAGE\""). */
static bool list_has(const char *list, const char *item)
{
	char quoted[64];
	snprintf(quoted, sizeof quoted, "\"%s\"", item);
	return strstr(list, quoted) != NULL;
}

static bool model_matches(const struct foundation_model *m, const char *query)
{
	char *p = query_param(query, "byProvider");
	char *o = query_param(query, "byOutputModality");
	char *c = query_param(query, "byCustomizationType");
	char *t = query_param(query, "byInferenceType");
	bool ok = true;
	if (p && strcasecmp(p, m->provider) != 0 && strncasecmp(p, m->id, strcspn(m->id, ".")) != 0)
		ok = false;
	if ((o && !list_has(m->out, o)) || (c && !list_has(m->custom, c)))
		ok = false;
	if (t && strcmp(t, "ON_DEMAND") != 0)
		ok = false;
	free(p);
	free(o);
	free(c);
	free(t);
	return ok;
}

static void h_bedrock_models(struct ctx *x)
{
	struct buf b = BUF_INIT;
	bool first = true;
	buf_puts(&b, "{\"modelSummaries\":[");
	for (size_t i = 0; i < sizeof foundation_models / sizeof *foundation_models; i++) {
		if (!model_matches(&foundation_models[i], x->r->query))
			continue;
		buf_puts(&b, first ? "" : ",");
		put_foundation_model(x, &foundation_models[i], &b);
		first = false;
	}
	buf_puts(&b, "]}");
	respond_json(x, 200, NULL, &b);
	buf_free(&b);
}

static void h_bedrock_model(struct ctx *x)
{
	for (size_t i = 0; i < sizeof foundation_models / sizeof *foundation_models; i++) {
		if (strcmp(foundation_models[i].id, x->model) == 0) {
			struct buf b = BUF_INIT;
			buf_puts(&b, "{\"modelDetails\":");
			put_foundation_model(x, &foundation_models[i], &b);
			buf_putc(&b, '}');
			respond_json(x, 200, NULL, &b);
			buf_free(&b);
			return;
		}
	}
	aws_error(x, 404, "ResourceNotFoundException", "The specified model identifier is not supported.");
}

struct sig_parts {
	char credential[512];
	char signed_headers[2048];
	char signature[128];
};

/* "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..." */
static bool parse_sig(const char *v, struct sig_parts *p)
{
	struct {
		const char *key;
		char *dst;
		size_t cap;
	} fields[] = {
		{ "Credential", p->credential, sizeof p->credential },
		{ "SignedHeaders", p->signed_headers, sizeof p->signed_headers },
		{ "Signature", p->signature, sizeof p->signature },
	};
	memset(p, 0, sizeof *p);
	v += strlen("AWS4-HMAC-SHA256");
	while (*v) {
		v += strspn(v, " ,");
		size_t len = strcspn(v, ",");
		const char *eq = memchr(v, '=', len);
		if (!eq)
			break;
		size_t klen = (size_t)(eq - v), vlen = len - klen - 1;
		while (vlen && eq[vlen] == ' ')
			vlen--;
		for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
			if (strlen(fields[i].key) == klen && memcmp(v, fields[i].key, klen) == 0 && vlen < fields[i].cap) {
				memcpy(fields[i].dst, eq + 1, vlen);
				fields[i].dst[vlen] = '\0';
			}
		}
		v += len;
	}
	return p->credential[0] && p->signed_headers[0] && p->signature[0];
}

static bool aws_deny(struct ctx *x, const char *type, const char *msg)
{
	aws_error(x, 403, type, msg);
	return false;
}

static const char *req_header(const struct request *r, const char *name)
{
	for (size_t i = 0; i < r->nh; i++)
		if (strcasecmp(r->h[i].name, name) == 0)
			return r->h[i].value;
	return NULL;
}

/* "AK/date/region/service/term" split in place; the number of parts (6 for more than 5). */
static int split_scope(char *s, char *parts[5])
{
	int n = 0;
	for (char *p = s;; p++) {
		if (n == 5)
			return 6;
		parts[n++] = p;
		if (!(p = strchr(p, '/')))
			return n;
		*p = '\0';
	}
}

/* Recomputes the signature from what arrived and compares. */
static bool check_sigv4(struct ctx *x, const char *auth)
{
	const struct options *o = &x->s->opt;
	const struct request *r = x->r;
	struct sig_parts sp;
	if (!parse_sig(auth, &sp))
		return aws_deny(x, "IncompleteSignatureException",
				"Authorization header requires 'Credential' parameter. Authorization header requires "
				"'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.");
	char scope[sizeof sp.credential];
	char *f[5];
	snprintf(scope, sizeof scope, "%s", sp.credential);
	if (split_scope(scope, f) != 5)
		return aws_deny(x, "IncompleteSignatureException",
				"Credential must have exactly 5 slash-delimited elements, e.g. "
				"keyid/date/region/service/term.");
	const char *ak = f[0], *cdate = f[1], *region = f[2], *service = f[3], *term = f[4];
	if (strcmp(ak, o->aws_access_key) != 0)
		return aws_deny(x, "UnrecognizedClientException", "The security token included in the request is invalid.");
	const char *token = req_header(r, "x-amz-security-token");
	bool token_ok = o->aws_session_token ? token && strcmp(token, o->aws_session_token) == 0 : !token;
	if (!token_ok)
		return aws_deny(x, "UnrecognizedClientException", "The security token included in the request is invalid.");
	const char *date = req_header(r, "x-amz-date");
	time_t when, now = time(NULL);
	if (!date)
		return aws_deny(x, "IncompleteSignatureException",
				"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
	if (!parse_amz_date(date, &when))
		return aws_deny(x, "IncompleteSignatureException", "X-Amz-Date must be in the ISO8601 Long Format.");
	char now_s[17], edge_s[17], msg[256];
	amz_date(now, now_s);
	long skew = o->aws_max_skew;
	if (skew && (when < now - skew || when > now + skew)) {
		bool past = when < now;
		amz_date(past ? now - skew : now + skew, edge_s);
		snprintf(msg, sizeof msg, "Signature %s: %s is %s than %s (%s %s %ld min.)",
			 past ? "expired" : "not yet current", date, past ? "now earlier" : "still later", edge_s,
			 now_s, past ? "-" : "+", skew / 60);
		return aws_deny(x, "InvalidSignatureException", msg);
	}
	if (strncmp(cdate, date, 8) != 0 || strlen(cdate) != 8) {
		snprintf(msg, sizeof msg,
			 "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
			 "'%s' != '%.8s', from '%s'.",
			 cdate, date, date);
		return aws_deny(x, "InvalidSignatureException", msg);
	}
	if (strcmp(region, o->aws_region) != 0)
		return aws_deny(x, "InvalidSignatureException", "Credential should be scoped to a valid region. ");
	const char *want = x->aws_service ? x->aws_service : "bedrock";
	if (strcmp(service, want) != 0) {
		snprintf(msg, sizeof msg, "Credential should be scoped to correct service: '%s'. ", want);
		return aws_deny(x, "InvalidSignatureException", msg);
	}
	if (strcmp(term, "aws4_request") != 0)
		return aws_deny(x, "InvalidSignatureException",
				"Credential should be scoped with a valid terminator: 'aws4_request'. ");

	struct sigv4_header hs[MAX_HEADERS];
	size_t n = 0;
	bool missing = false;
	char names[sizeof sp.signed_headers];
	snprintf(names, sizeof names, "%s", sp.signed_headers);
	for (char *save = NULL, *name = strtok_r(names, ";", &save); name; name = strtok_r(NULL, ";", &save)) {
		if (strcasecmp(name, "x-amz-date") == 0)
			continue;
		bool found = false;
		for (size_t i = 0; i < r->nh && n < MAX_HEADERS; i++) {
			if (strcasecmp(r->h[i].name, name) == 0) {
				hs[n++] = (struct sigv4_header){ r->h[i].name, r->h[i].value };
				found = true;
			}
		}
		missing |= !found;
	}
	struct sigv4_request req = {
		.method = r->method,
		.path = r->path,
		.query = r->query,
		.headers = hs,
		.nheaders = n,
		.body = r->body,
		.body_len = r->body_len,
		.region = o->aws_region,
		.service = want,
	};
	struct sigv4_creds creds = { .access_key_id = o->aws_access_key, .secret_access_key = o->aws_secret_key };
	struct sigv4_result res;
	struct err e = ERR_INIT;
	bool ok = false;
	if (!missing && sigv4_sign(&req, when, &creds, NULL, &res, &e) == 0) {
		ok = strcmp(res.signed_headers, sp.signed_headers) == 0 && strcmp(res.signature, sp.signature) == 0;
		if (!ok) {
			x->sig_canonical = xstrdup(res.canonical_request);
			x->sig_string_to_sign = xstrdup(res.string_to_sign);
			fprintf(stderr, "fakellm: SigV4 mismatch for %s %s; expected canonical request:\n%s\n", r->method,
				r->path, res.canonical_request);
		}
		sigv4_result_free(&res);
	} else if (!missing) {
		fprintf(stderr, "fakellm: cannot recompute the signature: %s\n", err_msg(&e));
	}
	if (!ok)
		return aws_deny(x, "InvalidSignatureException",
				"The request signature we calculated does not match the signature you provided. Check "
				"your AWS Secret Access Key and signing method. Consult the service documentation for "
				"details.");
	return true;
}

static bool auth_bedrock(struct ctx *x)
{
	const struct options *o = &x->s->opt;
	const char *h = req_header(x->r, "authorization");
	x->auth = !h ? "none" : has_prefix_ci(h, "Bearer ") ? "bearer" : has_prefix_ci(h, "AWS4-HMAC-SHA256 ") ? "sigv4"
														   : "other";
	if (!o->aws_access_key && !o->bedrock_api_key)
		return true;
	if (!h)
		return aws_deny(x, "MissingAuthenticationTokenException", "Missing Authentication Token");
	if (strcmp(x->auth, "bearer") == 0) {
		if (o->bedrock_api_key && strcmp(h + 7, o->bedrock_api_key) == 0)
			return true;
		return aws_deny(x, "UnrecognizedClientException", "The security token included in the request is invalid.");
	}
	if (!o->aws_access_key)
		return aws_deny(x, "UnrecognizedClientException", "The security token included in the request is invalid.");
	if (strcmp(x->auth, "sigv4") != 0)
		return aws_deny(x, "IncompleteSignatureException",
				"Authorization header requires 'Credential' parameter. Authorization header requires "
				"'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.");
	return check_sigv4(x, h);
}

/* ------------------------------------------------------------------ Ollama */

struct ollama_model {
	const char *name, *family, *params, *quant;
	long long size;
};

static const struct ollama_model ollama_models[] = {
	{ "llama3.1:latest", "llama", "8.0B", "Q4_K_M", 4920753328LL },
	{ "llama3.2:latest", "llama", "3.2B", "Q4_K_M", 2019393189LL },
	{ "mistral:latest", "llama", "7.2B", "Q4_0", 4113301824LL },
	{ "qwen2.5:0.5b", "qwen2", "494.03M", "Q4_K_M", 397821319LL },
	{ "all-minilm:latest", "bert", "23M", "F16", 45960996LL },
	{ "nomic-embed-text:latest", "nomic-bert", "137M", "F16", 274302450LL },
};

static bool ollama_known(const char *model)
{
	char full[256];
	snprintf(full, sizeof full, strchr(model, ':') ? "%s" : "%s:latest", model);
	for (size_t i = 0; i < sizeof ollama_models / sizeof *ollama_models; i++)
		if (strcmp(full, ollama_models[i].name) == 0)
			return true;
	return false;
}

static void h_ollama_root(struct ctx *x)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "Ollama is running");
	respond(x, 200, "text/plain; charset=utf-8", NULL, &b);
	buf_free(&b);
}

static void h_ollama_version(struct ctx *x)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "{\"version\":\"0.5.1\"}");
	respond_json(x, 200, NULL, &b);
	buf_free(&b);
}

static void h_ollama_tags(struct ctx *x)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "{\"models\":[");
	for (size_t i = 0; i < sizeof ollama_models / sizeof *ollama_models; i++) {
		const struct ollama_model *m = &ollama_models[i];
		uint64_t d = fnv1a(m->name, strlen(m->name));
		buf_printf(&b,
			   "%s{\"name\":\"%s\",\"model\":\"%s\",\"modified_at\":\"2024-09-01T10:00:00.000000000Z\","
			   "\"size\":%lld,\"digest\":\"%016" PRIx64 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64 "\","
			   "\"details\":{\"parent_model\":\"\",\"format\":\"gguf\",\"family\":\"%s\",\"families\":[\"%s\"],"
			   "\"parameter_size\":\"%s\",\"quantization_level\":\"%s\"}}",
			   i ? "," : "", m->name, m->name, m->size, mix64(d), mix64(d + 1), mix64(d + 2), mix64(d + 3),
			   m->family, m->family, m->params, m->quant);
	}
	buf_puts(&b, "]}");
	respond_json(x, 200, NULL, &b);
	buf_free(&b);
}

static void h_ollama_chat(struct ctx *x)
{
	if (!cJSON_IsArray(jget(x->json, "messages"))) {
		ollama_error(x, 400, "messages is required");
		return;
	}
	struct answer a;
	answer_init(&a, x);
	answer_limit(&a, jint(jget(x->json, "options"), "num_predict", 0));
	if (!cJSON_IsFalse(jget(x->json, "stream"))) {
		start_stream(x, &a, &ollama_wire);
	} else {
		struct buf text = BUF_INIT, b = BUF_INIT;
		char when[48];
		rfc3339_nano(when, sizeof when);
		answer_text(&a, &text);
		buf_puts(&b, "{\"model\":");
		json_cstr(&b, a.model);
		buf_printf(&b, ",\"created_at\":\"%s\",\"message\":{\"role\":\"assistant\",\"content\":", when);
		json_str(&b, buf_str(&text), text.len, raw_text(&a));
		buf_printf(&b, "},\"done_reason\":\"%s\",\"done\":true,", stop_reason(&a));
		ollama_metrics(&a, a.ntokens, &b);
		buf_putc(&b, '}');
		send_answer(x, &a, NULL, &b);
		buf_free(&text);
		buf_free(&b);
	}
	free(a.model);
}

static void h_ollama_embed(struct ctx *x)
{
	size_t n;
	char **in = embed_inputs(jget(x->json, "input"), &n);
	int dims = embed_dims(x->json, "dimensions");
	struct buf b = BUF_INIT;
	buf_puts(&b, "{\"model\":");
	json_cstr(&b, x->model);
	buf_puts(&b, ",\"embeddings\":[");
	for (size_t i = 0; i < n; i++) {
		buf_puts(&b, i ? "," : "");
		put_vector(&b, in[i], dims);
	}
	long w = in ? strings_words(in, n) : 0;
	buf_printf(&b, "],\"total_duration\":%ld,\"load_duration\":1000000,\"prompt_eval_count\":%ld}",
		   1000000L + w * 1000000L, w);
	respond_json(x, 200, NULL, &b);
	buf_free(&b);
	free_strings(in, n);
}

/* ------------------------------------------------------------------ routing */

enum { R_MODEL = 1 }; /* names a model: scenarios apply */

struct route {
	const char *method;
	const char *path;   /* the exact path, or what comes before the model id */
	const char *suffix; /* NULL: path is exact; else what follows the id ("" for nothing) */
	const char *needs;  /* a request header that selects this route, or NULL */
	enum provider prov;
	const char *name;
	unsigned flags;
	void (*handle)(struct ctx *x);
};

static const struct route routes[] = {
	{ "GET", "/v1/models", NULL, "anthropic-version", P_ANTHROPIC, "anthropic.models", 0, h_anthropic_models },
	{ "GET", "/v1/models", NULL, NULL, P_OPENAI, "openai.models", 0, h_openai_models },
	{ "POST", "/v1/chat/completions", NULL, NULL, P_OPENAI, "openai.chat", R_MODEL, h_openai_chat },
	{ "POST", "/v1/embeddings", NULL, NULL, P_OPENAI, "openai.embeddings", R_MODEL, h_openai_embeddings },
	{ "POST", "/v1/messages", NULL, NULL, P_ANTHROPIC, "anthropic.messages", R_MODEL, h_anthropic_messages },
	{ "POST", "/model/", "/converse-stream", NULL, P_BEDROCK, "bedrock.converse-stream", R_MODEL,
	  h_bedrock_converse },
	{ "POST", "/model/", "/converse", NULL, P_BEDROCK, "bedrock.converse", R_MODEL, h_bedrock_converse },
	{ "POST", "/model/", "/invoke", NULL, P_BEDROCK, "bedrock.invoke", R_MODEL, h_bedrock_invoke },
	{ "GET", "/foundation-models", NULL, NULL, P_BEDROCK, "bedrock.foundation-models", 0, h_bedrock_models },
	{ "GET", "/foundation-models/", "", NULL, P_BEDROCK, "bedrock.foundation-model", 0, h_bedrock_model },
	{ "POST", "/guardrail/", "/apply", NULL, P_BEDROCK, "bedrock.apply-guardrail", R_MODEL, h_bedrock_guardrail },
	{ "POST", "/knowledgebases/", NULL, NULL, P_BEDROCK, "bedrock-agent.list-knowledge-bases", 0, h_kb_list },
	{ "GET", "/knowledgebases/", "", NULL, P_BEDROCK, "bedrock-agent.get-knowledge-base", 0, h_kb_get },
	{ "POST", "/knowledgebases/", "/retrieve", NULL, P_BEDROCK, "bedrock-agent-runtime.retrieve", 0, h_kb_retrieve },
	{ "POST", "/rerank", NULL, NULL, P_BEDROCK, "bedrock-agent-runtime.rerank", 0, h_rerank },
	{ "GET", "/", NULL, NULL, P_OLLAMA, "ollama.root", 0, h_ollama_root },
	{ "GET", "/api/version", NULL, NULL, P_OLLAMA, "ollama.version", 0, h_ollama_version },
	{ "GET", "/api/tags", NULL, NULL, P_OLLAMA, "ollama.tags", 0, h_ollama_tags },
	{ "POST", "/api/chat", NULL, NULL, P_OLLAMA, "ollama.chat", R_MODEL, h_ollama_chat },
	{ "POST", "/api/embed", NULL, NULL, P_OLLAMA, "ollama.embed", R_MODEL, h_ollama_embed },
};

/* Whether path fits the route; *id (caller frees) is the raw id in it. */
static bool route_path(const struct route *rt, const char *path, char **id)
{
	*id = NULL;
	if (!rt->suffix)
		return strcmp(path, rt->path) == 0;
	size_t plen = strlen(rt->path);
	if (strncmp(path, rt->path, plen) != 0)
		return false;
	const char *rest = path + plen;
	size_t idlen;
	if (!*rt->suffix) {
		idlen = strlen(rest);
		if (strchr(rest, '/'))
			return false;
	} else {
		const char *slash = strrchr(rest, '/');
		if (!slash || strcmp(slash, rt->suffix) != 0)
			return false;
		idlen = (size_t)(slash - rest);
	}
	if (!idlen)
		return false;
	*id = xstrndup(rest, idlen);
	return true;
}

static const struct route *route_find(const struct request *r, char **raw_id, const struct route **wrong_method)
{
	*wrong_method = NULL;
	for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
		const struct route *rt = &routes[i];
		char *id;
		if (!route_path(rt, r->path, &id))
			continue;
		if (rt->needs && !req_header(r, rt->needs)) {
			free(id);
			continue;
		}
		if (strcmp(rt->method, r->method) != 0) {
			if (!*wrong_method)
				*wrong_method = rt;
			free(id);
			continue;
		}
		*raw_id = id;
		return rt;
	}
	*raw_id = NULL;
	return NULL;
}

static enum provider guess_provider(const char *path)
{
	if (strncmp(path, "/v1/", 4) == 0)
		return P_OPENAI;
	if (strncmp(path, "/api/", 5) == 0)
		return P_OLLAMA;
	if (strncmp(path, "/model/", 7) == 0 || strncmp(path, "/foundation-models", 18) == 0 ||
	    strncmp(path, "/guardrail/", 11) == 0 || strncmp(path, "/knowledgebases", 15) == 0)
		return P_BEDROCK;
	return P_NONE;
}

static void not_found(struct ctx *x, bool wrong_method)
{
	struct buf m = BUF_INIT;
	switch (x->prov) {
	case P_OPENAI:
		buf_printf(&m, "Invalid URL (%s %s)", x->r->method, x->r->path);
		openai_error(x, wrong_method ? 405 : 404, "invalid_request_error", NULL, m.data);
		break;
	case P_BEDROCK:
		aws_error(x, 404, "UnknownOperationException", "Unknown operation");
		break;
	case P_OLLAMA:
	case P_ANTHROPIC:
	case P_NONE:
		if (wrong_method)
			plain_error(x, 405, "405 method not allowed");
		else
			plain_error(x, 404, "404 page not found");
		break;
	}
	buf_free(&m);
}

static void make_request_id(struct server *s, struct conn *c)
{
	uint64_t a = mix64(s->seq), b = mix64(a);
	switch (c->prov) {
	case P_OPENAI:
		snprintf(c->reqid, sizeof c->reqid, "req_%016" PRIx64 "%016" PRIx64, a, b);
		break;
	case P_ANTHROPIC:
		snprintf(c->reqid, sizeof c->reqid, "req_011Fake%016" PRIx64, a);
		break;
	default:
		snprintf(c->reqid, sizeof c->reqid, "%08" PRIx64 "-%04" PRIx64 "-4%03" PRIx64 "-8%03" PRIx64 "-%012" PRIx64,
			 a >> 32, (a >> 16) & 0xffff, a & 0xfff, b >> 52, b & (uint64_t)0xffffffffffff);
		break;
	}
}

static long counter_bump(struct server *s, enum provider p, const char *model)
{
	struct buf k = BUF_INIT;
	buf_printf(&k, "%s/%s", provider_name[p], model);
	for (size_t i = 0; i < s->ncounters; i++) {
		if (strcmp(s->counters[i].key, k.data) == 0) {
			buf_free(&k);
			return ++s->counters[i].n;
		}
	}
	s->counters = xreallocarray(s->counters, s->ncounters + 1, sizeof *s->counters);
	s->counters[s->ncounters++] = (struct counter){ buf_detach(&k), 1 };
	return 1;
}

static void model_unknown(struct ctx *x)
{
	struct buf m = BUF_INIT;
	switch (x->prov) {
	case P_OPENAI:
		buf_printf(&m, "The model `%s` does not exist or you do not have access to it.", x->model);
		openai_error(x, 404, "invalid_request_error", "model_not_found", m.data);
		break;
	case P_ANTHROPIC:
		buf_printf(&m, "model: %s", x->model);
		anthropic_error(x, 404, "not_found_error", m.data);
		break;
	case P_BEDROCK:
		if (strcmp(x->route, "bedrock.apply-guardrail") == 0)
			aws_error(x, 404, "ResourceNotFoundException", "The guardrail was not found.");
		else
			aws_error(x, 400, "ValidationException", "The provided model identifier is invalid.");
		break;
	case P_OLLAMA:
	case P_NONE:
		buf_printf(&m, "model \"%s\" not found, try pulling it first", x->model);
		ollama_error(x, 404, m.data);
		break;
	}
	buf_free(&m);
}

/* Scenarios decided before the handler; false when they answered. */
static bool scenario_gate(struct ctx *x)
{
	switch (x->sc.kind) {
	case K_SILENT:
		x->c->state = C_HOLD;
		return false;
	case K_NOSUCH:
		model_unknown(x);
		return false;
	case K_FAIL:
		send_error(x, x->sc.status, NULL);
		return false;
	case K_RETRY:
		if (counter_bump(x->s, x->prov, x->model) == 1) {
			send_error(x, x->sc.status, NULL);
			return false;
		}
		return true;
	default:
		if (x->prov == P_OLLAMA && x->sc.kind == K_NORMAL && !x->sc.split && !x->sc.evil && !x->sc.nul && !x->sc.tokens &&
		    !ollama_known(x->model)) {
			model_unknown(x);
			return false;
		}
		return true;
	}
}

static bool check_auth(struct ctx *x)
{
	switch (x->prov) {
	case P_OPENAI:
		return auth_openai(x);
	case P_ANTHROPIC:
		return auth_anthropic(x);
	case P_BEDROCK:
		return auth_bedrock(x);
	default:
		x->auth = "none";
		return true;
	}
}

static void run_route(struct ctx *x, const struct route *rt, char *raw_id)
{
	x->route = rt->name;
	x->auth_ok = check_auth(x);
	if (!x->auth_ok)
		return;
	if (strcmp(x->r->method, "POST") == 0) {
		x->json = cJSON_ParseWithLength(x->r->body, x->r->body_len);
		if (!cJSON_IsObject(x->json)) {
			if (x->prov == P_OPENAI)
				openai_error(x, 400, "invalid_request_error", NULL,
					     "We could not parse the JSON body of your request. (HINT: This likely means "
					     "you aren't using your HTTP library correctly.)");
			else if (x->prov == P_BEDROCK)
				aws_error(x, 400, "SerializationException", "Unable to parse the request body as JSON.");
			else
				send_error(x, 400, "invalid JSON in the request body");
			return;
		}
	}
	if (raw_id) {
		x->model = percent_decode(raw_id, strlen(raw_id), false);
	} else if (rt->flags & R_MODEL) {
		const cJSON *m = jget(x->json, "model");
		if (!cJSON_IsString(m) || !*m->valuestring) {
			if (x->prov == P_OPENAI)
				openai_error(x, 400, "invalid_request_error", NULL, "you must provide a model parameter");
			else if (x->prov == P_ANTHROPIC)
				anthropic_error(x, 400, "invalid_request_error", "model: Field required");
			else
				ollama_error(x, 400, "model is required");
			return;
		}
		x->model = xstrdup(m->valuestring);
	}
	if ((rt->flags & R_MODEL) && x->model) {
		x->sc = scenario_parse(x->model, x->s->opt.tps);
		x->c->split = x->sc.split;
		if (!scenario_gate(x))
			return;
	}
	rt->handle(x);
}

/* ------------------------------------------------------------------ request log */

static void log_request(struct ctx *x)
{
	struct server *s = x->s;
	const struct request *r = x->r;
	if (s->log_fd < 0)
		return;
	cJSON *o = cJSON_CreateObject(), *h = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "seq", (double)s->seq);
	cJSON_AddNumberToObject(o, "time_ms", (double)((clock_us() - s->start_us) / 1000));
	cJSON_AddStringToObject(o, "method", r->method);
	cJSON_AddStringToObject(o, "path", r->path);
	cJSON_AddStringToObject(o, "query", r->query);
	for (size_t i = 0; i < r->nh; i++) {
		char *name = xstrdup(r->h[i].name);
		for (char *p = name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		const char *v = is_secret_header(name) ? "[redacted]" : r->h[i].value;
		cJSON *prev = cJSON_GetObjectItemCaseSensitive(h, name);
		if (prev) {
			struct buf j = BUF_INIT;
			buf_printf(&j, "%s, %s", cJSON_GetStringValue(prev), v);
			cJSON_ReplaceItemInObjectCaseSensitive(h, name, cJSON_CreateString(j.data));
			buf_free(&j);
		} else {
			cJSON_AddStringToObject(h, name, v);
		}
		free(name);
	}
	cJSON_AddItemToObject(o, "headers", h);
	cJSON_AddStringToObject(o, "body", r->body ? r->body : "");
	cJSON_AddStringToObject(o, "provider", provider_name[x->prov]);
	if (x->route)
		cJSON_AddStringToObject(o, "route", x->route);
	else
		cJSON_AddNullToObject(o, "route");
	if (x->model)
		cJSON_AddStringToObject(o, "model", x->model);
	else
		cJSON_AddNullToObject(o, "model");
	struct buf sc = BUF_INIT;
	scenario_describe(&x->sc, &sc);
	cJSON_AddStringToObject(o, "scenario", sc.data);
	buf_free(&sc);
	cJSON_AddStringToObject(o, "auth", x->auth ? x->auth : "none");
	cJSON_AddBoolToObject(o, "auth_ok", x->auth_ok);
	cJSON_AddNumberToObject(o, "status", x->status);
	long held = 0;
	int64_t now = clock_us();
	for (size_t i = 0; i < s->nconns; i++)
		held += s->conns[i] && s->conns[i]->out.len > s->conns[i]->out_off && s->conns[i]->out_after_us > now;
	cJSON_AddNumberToObject(o, "held", (double)held);
	if (x->sig_canonical) {
		cJSON_AddStringToObject(o, "sigv4_canonical_request", x->sig_canonical);
		cJSON_AddStringToObject(o, "sigv4_string_to_sign", x->sig_string_to_sign);
	}
	char *line = cJSON_PrintUnformatted(o);
	struct buf b = BUF_INIT;
	buf_puts(&b, line);
	buf_putc(&b, '\n');
	if (write(s->log_fd, b.data, b.len) != (ssize_t)b.len)
		fprintf(stderr, "fakellm: cannot write the request log: %s\n", strerror(errno));
	buf_free(&b);
	free(line);
	cJSON_Delete(o);
}

static void echo_clear(struct conn *c)
{
	free(c->echo_id);
	free(c->echo);
	c->echo_id = c->echo = NULL;
}

static void echo_credentials(struct conn *c)
{
	struct buf all = BUF_INIT;
	echo_clear(c);
	for (size_t i = 0; i < c->req.nh; i++) {
		const struct header *h = &c->req.h[i];
		if (!is_secret_header(h->name))
			continue;
		if (!c->echo_id)
			c->echo_id = xstrdup(h->value);
		buf_printf(&all, "%s%s: %s", all.len ? "; " : "", h->name, h->value);
	}
	c->echo = all.len ? buf_detach(&all) : NULL;
	buf_free(&all);
}

/* The AWS job services of fake_awsjobs.c, behind the same SigV4 check. */
static void run_fakejobs(struct ctx *x, const char *service)
{
	x->route = "aws.jobs";
	x->aws_service = service;
	x->auth_ok = service ? auth_bedrock(x) : true;
	if (!x->auth_ok)
		return;
	struct fakejobs_answer a = { 0 };
	fakejobs_handle(x->r->method, x->r->path, x->r->query, req_header(x->r, "x-amz-target"), x->r->body,
			x->r->body_len, &a);
	const char *target = req_header(x->r, "x-amz-target");
	const char *ctype = !target ? "application/json"
			    : strncmp(target, "Granite", 7) == 0 ? "application/x-amz-json-1.0"
								  : "application/x-amz-json-1.1";
	respond(x, a.status, ctype, a.headers.len ? a.headers.data : NULL, &a.body);
	buf_free(&a.headers);
	buf_free(&a.body);
}

/* The fake AWS services of svc/ (S3, SageMaker Model Monitor), asked first. */
static bool svc_answer(struct ctx *x)
{
	const struct request *r = x->r;
	const struct options *o = &x->s->opt;
	struct svc_header h[MAX_HEADERS];
	for (size_t i = 0; i < r->nh; i++)
		h[i] = (struct svc_header){ r->h[i].name, r->h[i].value };
	struct svc_request sr = { r->method, r->path, r->query, h, r->nh, r->body, r->body_len };
	struct svc_aws aws = { o->aws_access_key, o->aws_secret_key, o->aws_session_token, o->aws_region,
			       o->aws_max_skew };
	struct svc_response out = { 0 };
	bool answered = svc_dispatch(&sr, &aws, &out);
	if (answered) {
		x->route = out.route;
		x->auth = out.auth;
		x->auth_ok = out.auth_ok;
		respond(x, out.status, out.content_type, buf_str(&out.headers), &out.body);
	}
	svc_response_free(&out);
	return answered;
}

static void dispatch(struct server *s, struct conn *c)
{
	struct ctx x = { .s = s, .c = c, .r = &c->req };
	const struct route *wrong;
	char *raw_id;
	s->seq++;
	const struct route *rt = route_find(&c->req, &raw_id, &wrong);
	x.prov = rt ? rt->prov : wrong ? wrong->prov : guess_provider(c->req.path);
	c->prov = x.prov;
	const char *aws_service = NULL;
	int aws_jobs = fakejobs_match(c->req.method, c->req.path, req_header(&c->req, "x-amz-target"), &aws_service);
	if (aws_jobs)
		x.prov = c->prov = P_BEDROCK;
	make_request_id(s, c);
	if (s->opt.echo)
		echo_credentials(c);
	if (svc_answer(&x))
		;
	else if (aws_jobs)
		run_fakejobs(&x, aws_service);
	else if (rt)
		run_route(&x, rt, raw_id);
	else
		not_found(&x, wrong != NULL);
	log_request(&x);
	free(raw_id);
	free(x.model);
	free(x.sig_canonical);
	free(x.sig_string_to_sign);
	cJSON_Delete(x.json);
}

/* ------------------------------------------------------------------ connections: input */

static void request_free(struct request *r)
{
	free(r->method);
	free(r->path);
	free(r->query);
	for (size_t i = 0; i < r->nh; i++) {
		free(r->h[i].name);
		free(r->h[i].value);
	}
	free(r->body);
	memset(r, 0, sizeof *r);
}

static bool is_token_char(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* 0, or the status to refuse the request with. */
static int parse_head(struct request *r, const char *p, size_t len)
{
	const char *end = p + len;
	const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
	const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
	const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
	if (!sp1 || !sp2 || sp1 == p || sp1[1] != '/')
		return 400;
	if (eol - sp2 - 1 != 8 || strncmp(sp2 + 1, "HTTP/1.", 7) != 0 || (sp2[8] != '0' && sp2[8] != '1'))
		return 400;
	r->minor = sp2[8] - '0';
	r->method = xstrndup(p, (size_t)(sp1 - p));
	const char *target = sp1 + 1, *q = memchr(target, '?', (size_t)(sp2 - target));
	r->path = xstrndup(target, (size_t)((q ? q : sp2) - target));
	r->query = q ? xstrndup(q + 1, (size_t)(sp2 - q - 1)) : xstrdup("");
	for (p = eol + 2; p < end; p = eol + 2) {
		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (!eol || eol == p)
			break;
		const char *colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon || colon == p)
			return 400;
		for (const char *n = p; n < colon; n++)
			if (!is_token_char((unsigned char)*n))
				return 400;
		if (r->nh == MAX_HEADERS)
			return 431;
		const char *v = colon + 1, *ve = eol;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		r->h[r->nh].name = xstrndup(p, (size_t)(colon - p));
		r->h[r->nh].value = xstrndup(v, (size_t)(ve - v));
		r->nh++;
	}
	return 0;
}

static void refuse(struct conn *c, int status)
{
	struct ctx x = { .c = c, .r = &c->req, .prov = P_NONE };
	c->prov = P_NONE;
	c->keep_alive = false;
	plain_error(&x, status, reason_phrase(status));
	c->state = C_BUSY;
}

static void conn_parse(struct server *s, struct conn *c)
{
	if (c->state == C_HEAD) {
		char *end = c->in.len ? memmem(c->in.data, c->in.len, "\r\n\r\n", 4) : NULL;
		if (!end) {
			if (c->in.len > MAX_HEAD)
				refuse(c, 431);
			return;
		}
		size_t head = (size_t)(end - c->in.data) + 4;
		int bad = parse_head(&c->req, c->in.data, head);
		buf_consume(&c->in, head);
		if (bad) {
			refuse(c, bad);
			return;
		}
		const char *conn = req_header(&c->req, "connection");
		c->keep_alive = c->req.minor == 1 ? !(conn && strcasecmp(conn, "close") == 0)
						  : conn && strcasecmp(conn, "keep-alive") == 0;
		if (req_header(&c->req, "transfer-encoding")) {
			refuse(c, 411);
			return;
		}
		const char *cl = req_header(&c->req, "content-length");
		char *e = NULL;
		unsigned long long n = cl ? strtoull(cl, &e, 10) : 0;
		if (cl && (!*cl || *e || !isdigit((unsigned char)*cl))) {
			refuse(c, 400);
			return;
		}
		if (n > MAX_BODY) {
			refuse(c, 413);
			return;
		}
		c->body_need = (size_t)n;
		c->state = C_BODY;
		const char *expect = req_header(&c->req, "expect");
		if (expect && strcasecmp(expect, "100-continue") == 0 && c->in.len < c->body_need)
			buf_puts(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
	}
	if (c->state == C_BODY && c->in.len >= c->body_need) {
		c->req.body = xmalloc(c->body_need + 1);
		if (c->body_need)
			memcpy(c->req.body, c->in.data, c->body_need);
		c->req.body[c->body_need] = '\0';
		c->req.body_len = c->body_need;
		buf_consume(&c->in, c->body_need);
		c->state = C_BUSY;
		dispatch(s, c);
	}
}

static void conn_read(struct server *s, struct conn *c)
{
	char tmp[65536];
	for (;;) {
		ssize_t n = recv(c->fd, tmp, sizeof tmp, 0);
		if (n > 0) {
			buf_append(&c->in, tmp, (size_t)n);
			if (c->in.len > MAX_HEAD + MAX_BODY) {
				c->dead = true;
				return;
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		c->dead = true; /* the client left (or the socket failed) */
		return;
	}
	if (c->state == C_HEAD || c->state == C_BODY)
		conn_parse(s, c);
}

static void conn_free(struct conn *c)
{
	close(c->fd);
	buf_free(&c->in);
	buf_free(&c->out);
	request_free(&c->req);
	gen_free(c->gen);
	echo_clear(c);
	free(c);
}

/* Generates, writes, and starts the next request once a response is done. */
static void conn_pump(struct server *s, struct conn *c, int64_t now)
{
	c->wake_us = INT64_MAX;
	for (int round = 0; !c->dead; round++) {
		if (round == 64) {
			c->wake_us = now; /* a fast reader of a huge body: let the others run */
			return;
		}
		bool generating = c->gen && c->gen->phase != PH_DONE;
		if (generating && pending(c) < LOW_WATER)
			gen_run(c, now);
		conn_flush(c, now);
		if (c->dead)
			return;
		generating = c->gen && c->gen->phase != PH_DONE;
		if (pending(c)) {
			if (c->out_after_us > now)
				c->wake_us = c->out_after_us;
			return;
		}
		if (generating) {
			c->wake_us = c->gen->next_us;
			return;
		}
		if (c->state != C_BUSY)
			return;
		if (c->abort || !c->keep_alive) {
			c->dead = true;
			return;
		}
		request_free(&c->req);
		gen_free(c->gen);
		c->gen = NULL;
		echo_clear(c);
		c->state = C_HEAD;
		c->split = c->chunked = false;
		c->prov = P_NONE;
		conn_parse(s, c);
	}
}

/* ------------------------------------------------------------------ the server */

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void accept_all(struct server *s)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		struct conn *c = xcalloc(1, sizeof *c);
		c->fd = fd;
		c->state = C_HEAD;
		c->keep_alive = true;
		s->conns = xreallocarray(s->conns, s->nconns + 1, sizeof *s->conns);
		s->conns[s->nconns++] = c;
	}
}

static void reap(struct server *s)
{
	size_t j = 0;
	for (size_t i = 0; i < s->nconns; i++) {
		if (s->conns[i]->dead)
			conn_free(s->conns[i]);
		else
			s->conns[j++] = s->conns[i];
	}
	s->nconns = j;
}

static void serve(struct server *s)
{
	struct pollfd *pfd = NULL;
	size_t cap = 0;
	sigset_t unblocked;
	sigemptyset(&unblocked);
	while (!stop_signal) {
		int64_t now = clock_us();
		if (now >= s->deadline_us) {
			fprintf(stderr, "fakellm: --max-seconds %ld reached, exiting\n", s->opt.max_seconds);
			break;
		}
		for (size_t i = 0; i < s->nconns; i++)
			conn_pump(s, s->conns[i], now);
		reap(s);
		if (cap < s->nconns + 1) {
			cap = (s->nconns + 1) * 2;
			pfd = xreallocarray(pfd, cap, sizeof *pfd);
		}
		int64_t wake = s->deadline_us;
		pfd[0] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
		size_t m = s->nconns;
		for (size_t i = 0; i < m; i++) {
			struct conn *c = s->conns[i];
			short ev = POLLIN;
			if (pending(c) && c->out_after_us <= now)
				ev |= POLLOUT;
			if (c->wake_us < wake)
				wake = c->wake_us;
			pfd[i + 1] = (struct pollfd){ .fd = c->fd, .events = ev };
		}
		int64_t wait = wake > now ? wake - now : 0;
		struct timespec ts = { .tv_sec = (time_t)(wait / 1000000), .tv_nsec = (long)(wait % 1000000) * 1000 };
		if (ppoll(pfd, m + 1, &ts, &unblocked) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "fakellm: poll: %s\n", strerror(errno));
			break;
		}
		for (size_t i = 0; i < m; i++) {
			struct conn *c = s->conns[i];
			short re = pfd[i + 1].revents;
			if (re & (POLLIN | POLLHUP | POLLERR))
				conn_read(s, c);
			if (!c->dead && (re & POLLOUT))
				conn_flush(c, clock_us());
		}
		if (pfd[0].revents & POLLIN)
			accept_all(s);
	}
	free(pfd);
}

static int write_port_file(const char *path, int port)
{
	struct buf tmp = BUF_INIT;
	buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp.data, "w");
	int rc = -1;
	if (f) {
		fprintf(f, "%d\n", port);
		if (fclose(f) == 0 && rename(tmp.data, path) == 0)
			rc = 0;
	}
	if (rc)
		fprintf(stderr, "fakellm: cannot write %s: %s\n", path, strerror(errno));
	buf_free(&tmp);
	return rc;
}

static int listen_loopback(int port, int *bound)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof a;
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 512) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
		close(fd);
		return -1;
	}
	*bound = ntohs(a.sin_port);
	return fd;
}

static void usage(FILE *f)
{
	fputs("usage: fakellm [--port-file FILE] [--port N] [--max-seconds N] [--log FILE] [--tps N]\n"
	      "               [--openai-key K] [--anthropic-key K] [--bedrock-api-key K]\n"
	      "               [--aws-access-key AK --aws-secret-key SK [--aws-session-token T]] [--aws-region R]\n"
	      "               [--aws-max-skew SECONDS] [--openai-models ID,ID,...] [--echo]\n"
	      "               [--kb-corpus FILE.jsonl] [--kb-ids ID[=NAME],...] [--kb-denied ID] [--kb-page N]\n"
	      "               [--rerank-page N]\n"
	      "               [--kb-list-page N] [--svc KEY=VALUE]...\n"
	      "A local OpenAI, Anthropic, Bedrock and Ollama server for tests; see tests/fakes/README.md.\n",
	      f);
}

static int parse_options(int argc, char **argv, struct options *o)
{
	enum { O_PORT_FILE = 256, O_PORT, O_MAX, O_LOG, O_TPS, O_OPENAI, O_ANTHROPIC, O_AK, O_SK, O_TOKEN,
	       O_REGION, O_BEDROCK_KEY, O_SKEW, O_MODELS, O_ECHO, O_KB_CORPUS, O_KB_IDS, O_KB_DENIED, O_KB_PAGE,
	       O_KB_LIST_PAGE, O_RERANK_PAGE, O_SVC, O_HELP };
	static const struct option longopts[] = {
		{ "port-file", required_argument, NULL, O_PORT_FILE },
		{ "port", required_argument, NULL, O_PORT },
		{ "max-seconds", required_argument, NULL, O_MAX },
		{ "log", required_argument, NULL, O_LOG },
		{ "tps", required_argument, NULL, O_TPS },
		{ "openai-key", required_argument, NULL, O_OPENAI },
		{ "anthropic-key", required_argument, NULL, O_ANTHROPIC },
		{ "aws-access-key", required_argument, NULL, O_AK },
		{ "aws-secret-key", required_argument, NULL, O_SK },
		{ "aws-session-token", required_argument, NULL, O_TOKEN },
		{ "aws-region", required_argument, NULL, O_REGION },
		{ "bedrock-api-key", required_argument, NULL, O_BEDROCK_KEY },
		{ "aws-max-skew", required_argument, NULL, O_SKEW },
		{ "openai-models", required_argument, NULL, O_MODELS },
		{ "echo", no_argument, NULL, O_ECHO },
		{ "kb-corpus", required_argument, NULL, O_KB_CORPUS },
		{ "kb-ids", required_argument, NULL, O_KB_IDS },
		{ "kb-denied", required_argument, NULL, O_KB_DENIED },
		{ "kb-page", required_argument, NULL, O_KB_PAGE },
		{ "kb-list-page", required_argument, NULL, O_KB_LIST_PAGE },
		{ "rerank-page", required_argument, NULL, O_RERANK_PAGE },
		{ "svc", required_argument, NULL, O_SVC },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	*o = (struct options){ .max_seconds = 120, .aws_max_skew = 300, .aws_region = "us-east-1" };
	int ch;
	char *end;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case O_PORT_FILE: o->port_file = optarg; break;
		case O_LOG: o->log_file = optarg; break;
		case O_OPENAI: o->openai_key = optarg; break;
		case O_ANTHROPIC: o->anthropic_key = optarg; break;
		case O_AK: o->aws_access_key = optarg; break;
		case O_SK: o->aws_secret_key = optarg; break;
		case O_TOKEN: o->aws_session_token = optarg; break;
		case O_REGION: o->aws_region = optarg; break;
		case O_BEDROCK_KEY: o->bedrock_api_key = optarg; break;
		case O_MODELS: o->openai_models = optarg; break;
		case O_ECHO: o->echo = true; break;
		case O_KB_IDS: o->kb_ids = optarg; break;
		case O_KB_DENIED: o->kb_denied = optarg; break;
		case O_SVC:
			if (svc_option(optarg) != 0)
				return -1;
			break;
		case O_KB_CORPUS:
			if (kb_corpus_load(optarg) != 0)
				return -1;
			break;
		case O_KB_PAGE:
		case O_KB_LIST_PAGE:
		case O_RERANK_PAGE: {
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 1000)
				goto bad;
			*(ch == O_KB_PAGE ? &o->kb_page : ch == O_KB_LIST_PAGE ? &o->kb_list_page : &o->rerank_page) = v;
			break;
		}
		case O_PORT:
			o->port = (int)strtol(optarg, &end, 10);
			if (*end || o->port < 0 || o->port > 65535)
				goto bad;
			break;
		case O_MAX:
			o->max_seconds = strtol(optarg, &end, 10);
			if (*end || o->max_seconds < 1)
				goto bad;
			break;
		case O_SKEW:
			o->aws_max_skew = strtol(optarg, &end, 10);
			if (*end || o->aws_max_skew < 0)
				goto bad;
			break;
		case O_TPS:
			o->tps = strtod(optarg, &end);
			if (*end || !(o->tps >= 0))
				goto bad;
			break;
		case O_HELP:
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "fakellm: unexpected argument %s\n", argv[optind]);
		return -1;
	}
	if (!o->aws_access_key != !o->aws_secret_key) {
		fprintf(stderr, "fakellm: --aws-access-key and --aws-secret-key go together\n");
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "fakellm: bad value for --%s: %s\n", longopts[ch - O_PORT_FILE].name, optarg);
	return -1;
}

int main(int argc, char **argv)
{
	struct server s = { .log_fd = -1 };
	if (parse_options(argc, argv, &s.opt) != 0)
		return 2;
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, NULL);
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	int port;
	s.lfd = listen_loopback(s.opt.port, &port);
	if (s.lfd < 0) {
		fprintf(stderr, "fakellm: cannot listen on 127.0.0.1:%d: %s\n", s.opt.port, strerror(errno));
		return 1;
	}
	if (s.opt.log_file) {
		s.log_fd = open(s.opt.log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (s.log_fd < 0) {
			fprintf(stderr, "fakellm: cannot open %s: %s\n", s.opt.log_file, strerror(errno));
			return 1;
		}
	}
	if (s.opt.port_file) {
		if (write_port_file(s.opt.port_file, port) != 0)
			return 1;
	} else {
		printf("%d\n", port);
		fflush(stdout);
	}
	s.start_us = clock_us();
	s.deadline_us = s.start_us + (int64_t)s.opt.max_seconds * 1000000;
	serve(&s);

	for (size_t i = 0; i < s.nconns; i++)
		conn_free(s.conns[i]);
	free(s.conns);
	for (size_t i = 0; i < s.ncounters; i++)
		free(s.counters[i].key);
	free(s.counters);
	kb_corpus_free();
	fakejobs_free();
	svc_cleanup();
	close(s.lfd);
	if (s.log_fd >= 0)
		close(s.log_fd);
	return 0;
}
