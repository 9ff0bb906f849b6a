/* keys — a provider's API key, from its variable or its key file.
 *
 * llm_key_load() takes the key from $var (when set and not empty), else from
 * the key file creds_key_file(p->name), which must be mode 0600 (surrounding
 * whitespace is trimmed); it registers the key as a secret in force
 * (base/secret.h) and records where it came from in p->key_source. */
#ifndef AIWB_LLM_KEYS_H
#define AIWB_LLM_KEYS_H

#include "base/err.h"
#include "llm/provider.h"

/* Sets p->key_source ("env OPENAI_API_KEY", "key file /x/keys/openai") and
 * *key (caller frees with llm_key_free; NULL when there is none and it is
 * not required). Returns 0, or -1 with e when the file is unusable or a
 * required key is missing ("openai: no API key: set OPENAI_API_KEY or run:
 * aiwb keys set openai"). */
int llm_key_load(struct provider *p, const char *var, int required, char **key, struct err *e);
/* Wipes and frees. */
void llm_key_free(char *key);
/* Frees the key that init left in p->priv: ops.fini of the providers that
 * keep nothing else there. */
void llm_key_fini(struct provider *p);

#endif
