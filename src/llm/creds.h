/* creds — where a provider's credentials would come from, without reading
 * more of them than needed to say so. Never returns or prints a secret.
 *
 * openai/anthropic-type providers: the key variable (OPENAI_API_KEY,
 * ANTHROPIC_API_KEY, or the provider's configured api_key_env), then the key
 * file $AIWB_HOME/keys/NAME (which must be mode 0600). bedrock: the AWS chain
 * (PROTOCOLS.md §9): AWS_BEARER_TOKEN_BEDROCK, environment keys, the profile
 * (AWS_PROFILE or configured, default "default") in the shared credentials
 * file, then the config file (static keys or credential_process). ollama
 * needs none. */
#ifndef AIWB_CREDS_H
#define AIWB_CREDS_H

#include <sys/stat.h>

#include "base/err.h"
#include "config.h"

/* The longest API key `aiwb keys set` stores and a key file may hold. */
#define CREDS_KEY_MAX 16384

enum creds_state { CREDS_NONE, CREDS_PRESENT, CREDS_NOT_NEEDED, CREDS_BAD };

struct creds_status {
	enum creds_state state;
	char source[512]; /* "env OPENAI_API_KEY", "profile dev in ~/.aws/credentials", ... */
	char hint[1024];  /* what to do when missing or bad */
};

/* name: provider name; type: openai|anthropic|bedrock|ollama; p may be NULL (built-in). */
void creds_probe(const char *name, const char *type, const struct config_provider *p, struct creds_status *out);
/* Whether key[0..len) (surrounding whitespace already trimmed) may be stored
 * as an API key: 0, or -1 with one sentence in e when it is empty, longer
 * than CREDS_KEY_MAX or holds a control character (NUL, ESC, ...). */
int creds_key_check(const char *key, size_t len, struct err *e);
/* Stores key[0..len) as the key file of provider name (`aiwb keys set`):
 * checks it (creds_key_check), creates the data home and keys/ (0700), makes
 * a keys/ that others could use 0700 again and says so in *note (caller
 * frees; NULL when nothing was changed), and writes the file, mode 0600,
 * through a new file renamed into place (a symbolic link there is replaced,
 * never followed). *file: the key file (caller frees). 0, or -1 with e. */
int creds_store_key(const char *name, const char *key, size_t len, char **file, char **note, struct err *e);
/* Path of the key file for a provider (caller frees). */
char *creds_key_file(const char *name);
/* Whether the key file of provider name, with st from lstat or fstat, may be
 * used: 0, or -1 with one sentence in e when it is a symbolic link (never
 * followed), not a regular file, another user's, readable by others, or in
 * a keys directory that others can write. */
int creds_key_file_check(const char *name, const char *file, const struct stat *st, struct err *e);
const char *creds_state_name(enum creds_state s);

#endif
