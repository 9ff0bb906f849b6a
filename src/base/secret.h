/* secret — the secrets in force in this process, and the one redaction pass
 * applied wherever text leaves the process or is stored.
 *
 * Credential code registers every secret it holds (secret_add): API keys from
 * the environment or a key file, AWS secret keys, session and bearer tokens,
 * the userinfo of a base URL (secret_add_url; config.c registers every
 * base_url and api_key_env variable it reads), and any token a job source
 * uses; secret_add_known_env() registers the well-known variables
 * (SECRET_ENV_VARS, and the userinfo in SECRET_URL_VARS) at start, used or
 * not. A secret stays registered for
 * the life of the process. Nothing else is needed for a new source: every way
 * out redacts against this registry, replacing each occurrence of a secret by
 * "[redacted]" (longest secrets first, so one containing another goes whole):
 *   - the log (base/log.c), every message;
 *   - the history database: every text column is bound through db_bind_text;
 *   - stdout and stderr of the command line: secret_guard_stdio() puts a
 *     redacting stream in front of both, so no printf can bypass it;
 *   - model text, results and error sentences on their way to the workbench
 *     (llm/run.c with a secret_stream, llm error sentences).
 * Text fed in pieces to a secret_stream gives the text redacted whole: bytes
 * that could begin a secret are held back until the next piece tells.
 *
 * secret_protect_process() turns core dumps off (RLIMIT_CORE 0 and
 * PR_SET_DUMPABLE 0, which also keeps other processes of the user from
 * reading this one's memory through /proc or ptrace) unless AIWB_CORE_DUMPS=1.
 *
 * One thread: registration and redaction run on the main thread. */
#ifndef AIWB_SECRET_H
#define AIWB_SECRET_H

#include <stddef.h>

#include "base/buf.h"

/* Values shorter than this are not registered (they would redact ordinary words). */
#define SECRET_MIN 4

#define SECRET_ENV_VARS                                                                              \
	"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",         \
		"AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_BEARER_TOKEN_BEDROCK", "SLURM_JWT"
/* Endpoint variables whose userinfo (user:password@) is a secret. */
#define SECRET_URL_VARS "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "OLLAMA_HOST"

/* Copies value into the registry; NULL, short and known values are ignored. */
void secret_add(const char *value);
/* The value of the environment variable var, when set. */
void secret_add_env(const char *var);
void secret_add_known_env(void);
/* The userinfo of url, if any: "user:password" as written and percent-decoded,
 * the password alone, and the Basic credentials curl sends for it
 * (base64 of the decoded "user:password"). */
void secret_add_url(const char *url);
size_t secret_count(void);
/* Forgets every secret (unit tests only). */
void secret_reset(void);

/* Replaces every secret in b; returns how many were replaced. */
size_t secret_redact_buf(struct buf *b);
/* Redacts the NUL-terminated s in place; the result is cut to size bytes. */
void secret_redact(char *s, size_t size);
/* A redacted copy of s (caller frees), or NULL when s holds no secret. */
char *secret_redacted_copy(const char *s);

/* Redaction of text that arrives in pieces. Zeroed is ready (SECRET_STREAM_INIT). */
struct secret_stream {
	struct buf held; /* bytes that could be the start of a secret */
};
#define SECRET_STREAM_INIT {BUF_INIT}
/* Appends the redacted text of held + p[0..n) to out, keeping back what could begin a secret. */
void secret_stream_feed(struct secret_stream *s, const char *p, size_t n, struct buf *out);
/* End of the text: what was held back, redacted. The stream is then as new. */
void secret_stream_finish(struct secret_stream *s, struct buf *out);
void secret_stream_free(struct secret_stream *s);

/* Replaces stdout and stderr by streams that redact on their way to fds 1
 * and 2 (line-buffered stdout on a terminal, else fully buffered; stderr
 * unbuffered). A write error shows in ferror() as usual; held-back bytes go
 * out at fclose or exit. Call once, before any output. */
void secret_guard_stdio(void);

/* Core dumps off unless AIWB_CORE_DUMPS=1; call first thing in main. */
void secret_protect_process(void);
/* 1 when this process may dump core (doctor says so). */
int secret_core_dumps_on(void);

#endif
