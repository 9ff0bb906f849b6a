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

#include "config.h"

enum creds_state { CREDS_NONE, CREDS_PRESENT, CREDS_NOT_NEEDED, CREDS_BAD };

struct creds_status {
	enum creds_state state;
	char source[512]; /* "env OPENAI_API_KEY", "profile dev in ~/.aws/credentials", ... */
	char hint[1024];  /* what to do when missing or bad */
};

/* name: provider name; type: openai|anthropic|bedrock|ollama; p may be NULL (built-in). */
void creds_probe(const char *name, const char *type, const struct config_provider *p, struct creds_status *out);
/* Path of the key file for a provider (caller frees). */
char *creds_key_file(const char *name);
const char *creds_state_name(enum creds_state s);

#endif
