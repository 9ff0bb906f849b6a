#include "llm/creds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/path.h"
#include "base/xmalloc.h"
#include "net/ini.h"

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

static char *aws_file(const char *var, const char *fallback)
{
	const char *v = getenv(var);
	if (v && *v)
		return xstrdup(v);
	const char *home = getenv("HOME");
	return path_join(home && *home ? home : "/", fallback);
}

static int uses_sso_or_role(const struct ini *conf, const char *section)
{
	static const char *const keys[] = { "sso_session", "sso_start_url", "sso_account_id", "role_arn" };
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		if (ini_get(conf, section, keys[i]))
			return 1;
	return 0;
}

static void probe_aws(const struct config_provider *p, struct creds_status *out)
{
	char buf[512], hint[512];
	if (env_set("AWS_BEARER_TOKEN_BEDROCK")) {
		set(out, CREDS_PRESENT, "env AWS_BEARER_TOKEN_BEDROCK (API key)", NULL);
		return;
	}
	if (env_set("AWS_ACCESS_KEY_ID") && env_set("AWS_SECRET_ACCESS_KEY")) {
		set(out, CREDS_PRESENT, env_set("AWS_SESSION_TOKEN") ? "env AWS_ACCESS_KEY_ID + session token"
								      : "env AWS_ACCESS_KEY_ID",
		    NULL);
		return;
	}
	const char *profile = getenv("AWS_PROFILE");
	if (!profile || !*profile)
		profile = p && p->profile ? p->profile : "default";

	char *cred_path = aws_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
	char *conf_path = aws_file("AWS_CONFIG_FILE", ".aws/config");
	struct ini cred, conf;
	ini_load(&cred, cred_path, NULL, NULL);
	ini_load(&conf, conf_path, NULL, NULL);
	char *conf_section = strcmp(profile, "default") == 0 ? xstrdup("default") : xasprintf("profile %s", profile);

	if (ini_get(&cred, profile, "aws_access_key_id") && ini_get(&cred, profile, "aws_secret_access_key")) {
		snprintf(buf, sizeof buf, "profile %s in %s", profile, cred_path);
		set(out, CREDS_PRESENT, buf, NULL);
	} else if (ini_get(&conf, conf_section, "aws_access_key_id") &&
		   ini_get(&conf, conf_section, "aws_secret_access_key")) {
		snprintf(buf, sizeof buf, "profile %s in %s", profile, conf_path);
		set(out, CREDS_PRESENT, buf, NULL);
	} else if (ini_get(&conf, conf_section, "credential_process")) {
		snprintf(buf, sizeof buf, "credential_process of profile %s in %s", profile, conf_path);
		set(out, CREDS_PRESENT, buf, NULL);
	} else if (uses_sso_or_role(&conf, conf_section)) {
		snprintf(buf, sizeof buf, "profile %s in %s", profile, conf_path);
		snprintf(hint, sizeof hint, "profile %s uses SSO or an assumed role, which aiwb does not "
			 "support yet; export keys with: aws configure export-credentials --profile %s --format env",
			 profile, profile);
		set(out, CREDS_BAD, buf, hint);
	} else {
		snprintf(buf, sizeof buf, "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, "
			 "or AWS_BEARER_TOKEN_BEDROCK (no profile %s in %s or %s)", profile, cred_path, conf_path);
		set(out, CREDS_NONE, NULL, buf);
	}
	free(conf_section);
	ini_free(&cred);
	ini_free(&conf);
	free(cred_path);
	free(conf_path);
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
