#include "llm/creds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/path.h"
#include "base/xmalloc.h"
#include "net/awsauth.h"

static int env_set(const char *name)
{
	const char *v = name ? getenv(name) : NULL;
	return v && *v;
}

char *creds_key_file(const char *name)
{
	char *dir = path_join(path_data_home(), "keys");
	char *p = path_join(dir, name);
	free(dir);
	return p;
}

const char *creds_state_name(enum creds_state s)
{
	switch (s) {
	case CREDS_PRESENT: return "present";
	case CREDS_NOT_NEEDED: return "not needed";
	case CREDS_BAD: return "unusable";
	case CREDS_NONE: break;
	}
	return "missing";
}

static void set(struct creds_status *out, enum creds_state state, const char *source, const char *hint)
{
	out->state = state;
	snprintf(out->source, sizeof out->source, "%s", source ? source : "");
	snprintf(out->hint, sizeof out->hint, "%s", hint ? hint : "");
}

static void probe_key(const char *name, const char *var, struct creds_status *out)
{
	char buf[256];
	if (env_set(var)) {
		snprintf(buf, sizeof buf, "env %s", var);
		set(out, CREDS_PRESENT, buf, NULL);
		return;
	}
	char *file = creds_key_file(name);
	struct stat st;
	if (stat(file, &st) == 0) {
		if ((st.st_mode & 077) != 0) {
			snprintf(buf, sizeof buf, "key file %s is readable by others; run: chmod 600 %s", file, file);
			set(out, CREDS_BAD, "key file", buf);
		} else {
			snprintf(buf, sizeof buf, "key file %s", file);
			set(out, CREDS_PRESENT, buf, NULL);
		}
	} else {
		snprintf(buf, sizeof buf, "set %s or run: aiwb keys set %s", var ? var : "the key variable", name);
		set(out, CREDS_NONE, NULL, buf);
	}
	free(file);
}

/* The same resolution the Bedrock provider uses (net/awsauth.h), so doctor
 * reports what a call would do. A credential_process is run to check it. */
static void probe_aws(const struct config_provider *p, struct creds_status *out)
{
	struct awsauth_opts opts = { p ? p->profile : NULL, p ? p->region : NULL, 0 };
	struct awsauth *a = awsauth_new(&opts);
	struct awsauth_creds c;
	struct err e = ERR_INIT;
	if (awsauth_credentials(a, "bedrock-runtime", &c, &e) == 0) {
		set(out, CREDS_PRESENT, c.source, NULL);
		awsauth_creds_free(&c);
	} else {
		int unsupported = strstr(e.msg, "export-credentials") != NULL;
		set(out, unsupported ? CREDS_BAD : CREDS_NONE, NULL, e.msg);
	}
	awsauth_free(a);
}

void creds_probe(const char *name, const char *type, const struct config_provider *p, struct creds_status *out)
{
	memset(out, 0, sizeof *out);
	if (strcmp(type, "ollama") == 0) {
		set(out, CREDS_NOT_NEEDED, NULL, NULL);
	} else if (strcmp(type, "bedrock") == 0) {
		probe_aws(p, out);
	} else {
		const char *var = p && p->api_key_env ? p->api_key_env
				  : strcmp(type, "anthropic") == 0 ? "ANTHROPIC_API_KEY"
				  : strcmp(name, "openai") == 0 ? "OPENAI_API_KEY"
								  : NULL;
		probe_key(name, var, out);
	}
}
