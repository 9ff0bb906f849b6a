#include "doctor.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>
#include <zlib.h>

#include "base/json.h"
#include "base/path.h"
#include "base/secret.h"
#include "base/xmalloc.h"
#include "config.h"
#include "llm/creds.h"
#include "session.h"
#include "store/db.h"
#include "store/dbinfo.h"
#include "text/xmllib.h"

static const char *const builtin_types[] = { "openai", "anthropic", "bedrock", "ollama" };

static const char *env_or(const char *var, const char *fallback)
{
	const char *v = getenv(var);
	return v && *v ? v : fallback;
}

static char *provider_endpoint(const char *name, const char *type, const struct config_provider *p)
{
	if (p && p->base_url)
		return xstrdup(p->base_url);
	if (strcmp(type, "openai") == 0 && strcmp(name, "openai") == 0)
		return xstrdup(env_or("OPENAI_BASE_URL", "https://api.openai.com/v1"));
	if (strcmp(type, "anthropic") == 0)
		return xstrdup(env_or("ANTHROPIC_BASE_URL", "https://api.anthropic.com"));
	if (strcmp(type, "ollama") == 0)
		return xstrdup(env_or("OLLAMA_HOST", "http://localhost:11434"));
	if (strcmp(type, "bedrock") == 0) {
		const char *override = env_or("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", env_or("AWS_ENDPOINT_URL", NULL));
		if (override)
			return xstrdup(override);
		const char *region = env_or("AWS_REGION", env_or("AWS_DEFAULT_REGION", p ? p->region : NULL));
		return region ? xasprintf("https://bedrock-runtime.%s.amazonaws.com", region) : NULL;
	}
	return NULL;
}

static cJSON *providers_json(const struct config *cfg)
{
	cJSON *arr = cJSON_CreateArray();
	size_t nb = sizeof builtin_types / sizeof *builtin_types;
	for (size_t i = 0; i < nb + cfg->nproviders; i++) {
		const struct config_provider *p = NULL;
		const char *name, *type;
		if (i < nb) {
			name = type = builtin_types[i];
			for (size_t j = 0; j < cfg->nproviders; j++)
				if (strcmp(cfg->providers[j].name, name) == 0)
					p = &cfg->providers[j];
		} else {
			p = &cfg->providers[i - nb];
			name = p->name;
			type = p->type;
			int builtin = 0;
			for (size_t j = 0; j < nb; j++)
				builtin |= strcmp(name, builtin_types[j]) == 0;
			if (builtin)
				continue;
		}
		struct creds_status cs;
		creds_probe(name, type, p, &cs);
		char *endpoint = provider_endpoint(name, type, p);
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", name);
		cJSON_AddStringToObject(o, "type", type);
		if (endpoint)
			cJSON_AddStringToObject(o, "endpoint", endpoint);
		else
			cJSON_AddNullToObject(o, "endpoint");
		cJSON_AddBoolToObject(o, "in_config", p != NULL);
		cJSON_AddStringToObject(o, "credentials", creds_state_name(cs.state));
		if (cs.source[0])
			cJSON_AddStringToObject(o, "source", cs.source);
		if (cs.hint[0])
			cJSON_AddStringToObject(o, "hint", cs.hint);
		cJSON_AddItemToArray(arr, o);
		free(endpoint);
	}
	return arr;
}

static cJSON *libraries_json(const char *ui_version, const char *readline_version)
{
	cJSON *o = cJSON_CreateObject();
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	cJSON *curl = cJSON_AddObjectToObject(o, "curl");
	cJSON_AddStringToObject(curl, "version", cv->version);
	cJSON_AddStringToObject(curl, "ssl", cv->ssl_version ? cv->ssl_version : "none");
	cJSON_AddBoolToObject(curl, "asynchdns", (cv->features & CURL_VERSION_ASYNCHDNS) != 0);
	cJSON_AddBoolToObject(curl, "http2", (cv->features & CURL_VERSION_HTTP2) != 0);
	cJSON_AddBoolToObject(curl, "https_proxy", (cv->features & CURL_VERSION_HTTPS_PROXY) != 0);
	cJSON *sq = cJSON_AddObjectToObject(o, "sqlite");
	cJSON_AddStringToObject(sq, "version", dbinfo_sqlite_version());
	cJSON_AddBoolToObject(sq, "fts5", dbinfo_has_fts5());
	cJSON_AddStringToObject(o, "ncurses", ui_version ? ui_version : "unknown");
	cJSON_AddStringToObject(o, "readline", readline_version ? readline_version : "unknown");
	cJSON_AddStringToObject(o, "cjson", cJSON_Version());
	cJSON_AddStringToObject(o, "openssl", OpenSSL_version(OPENSSL_VERSION));
	cJSON_AddStringToObject(o, "libyaml", yaml_get_version_string());
	cJSON_AddStringToObject(o, "zlib", zlibVersion());
	cJSON_AddStringToObject(o, "libxml2", xmllib_version());
	return o;
}

/* Why a data home that does not exist yet could not be created, or NULL:
 * its nearest existing ancestor must be a writable directory. */
static char *creatable_problem(const char *home)
{
	char *dir = xstrdup(home);
	char *problem = NULL;
	for (;;) {
		char *slash = strrchr(dir, '/');
		if (!slash)
			break;
		*slash = '\0';
		const char *d = *dir ? dir : "/";
		if (!path_exists(d))
			continue;
		if (!path_is_dir(d))
			problem = xasprintf("cannot be created: %s is not a directory", d);
		else if (access(d, W_OK | X_OK) != 0)
			problem = xasprintf("cannot be created: %s is not writable", d);
		break;
	}
	free(dir);
	return problem;
}

cJSON *doctor_report(const char *ui_version, const char *readline_version, int *fatal)
{
	cJSON *r = cJSON_CreateObject();
	*fatal = 0;
	cJSON_AddStringToObject(r, "version", AIWB_VERSION);

	const char *home = path_data_home();
	cJSON *dh = cJSON_AddObjectToObject(r, "data_home");
	cJSON_AddStringToObject(dh, "path", home);
	int exists = path_is_dir(home);
	int writable = exists && access(home, W_OK | X_OK) == 0;
	cJSON_AddBoolToObject(dh, "exists", exists);
	cJSON_AddBoolToObject(dh, "writable", writable);
	char *problem = path_exists(home) ? (writable ? NULL : xstrdup(exists ? "not writable" : "not a directory"))
					  : creatable_problem(home);
	if (problem) {
		cJSON_AddStringToObject(dh, "problem", problem);
		*fatal = 1;
		free(problem);
	}

	char *dbpath = session_db_path();
	struct dbinfo di;
	dbinfo_inspect(dbpath, &di);
	cJSON *db = cJSON_AddObjectToObject(r, "database");
	cJSON_AddStringToObject(db, "path", dbpath);
	cJSON_AddBoolToObject(db, "exists", di.exists);
	if (di.exists) {
		if (di.readable) {
			cJSON_AddNumberToObject(db, "schema", di.schema);
			cJSON_AddNumberToObject(db, "schema_supported", db_schema_version());
			if (di.runs >= 0)
				cJSON_AddNumberToObject(db, "runs", (double)di.runs);
			if (di.schema > db_schema_version()) {
				cJSON_AddStringToObject(db, "problem", "written by a newer aiwb; upgrade aiwb");
				*fatal = 1;
			}
		} else {
			cJSON_AddStringToObject(db, "problem", di.problem);
			*fatal = 1;
		}
	}
	free(dbpath);

	struct config cfg;
	struct err e = ERR_INIT;
	int cfg_rc = config_load(&cfg, NULL, &e);
	cJSON *c = cJSON_AddObjectToObject(r, "config");
	cJSON_AddStringToObject(c, "path", path_config_file());
	cJSON_AddBoolToObject(c, "found", cfg.found);
	if (cfg_rc != 0) {
		cJSON_AddStringToObject(c, "error", e.msg);
		*fatal = 1;
	}
	cJSON_AddItemToObject(c, "warnings", json_string_array((const char *const *)cfg.warnings, cfg.nwarnings));
	cJSON_AddStringToObject(r, "share_dir", path_share_dir());
	cJSON_AddBoolToObject(r, "core_dumps", secret_core_dumps_on());
	cJSON_AddItemToObject(r, "libraries", libraries_json(ui_version, readline_version));
	cJSON_AddItemToObject(r, "providers", providers_json(&cfg));
	config_free(&cfg);
	return r;
}
