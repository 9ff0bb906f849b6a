#include "llm/catalog.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/path.h"
#include "base/xmalloc.h"

static struct catalog_entry *add(struct catalog *c)
{
	c->entries = xreallocarray(c->entries, c->n + 1, sizeof *c->entries);
	struct catalog_entry *e = &c->entries[c->n++];
	memset(e, 0, sizeof *e);
	return e;
}

static char *opt_string(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) && v->valuestring ? xstrdup(v->valuestring) : NULL;
}

static int parse_file(struct catalog *c, const char *path, const char *text, struct err *e)
{
	cJSON *root = cJSON_Parse(text);
	const cJSON *models = cJSON_GetObjectItemCaseSensitive(root, "models");
	if (!cJSON_IsArray(models)) {
		cJSON_Delete(root);
		return err_set(e, "the model catalog %s is not valid: expected an object with a \"models\" array", path);
	}
	const cJSON *m;
	int i = 0;
	cJSON_ArrayForEach(m, models) {
		const cJSON *in = cJSON_GetObjectItemCaseSensitive(m, "input_per_mtok");
		const cJSON *out = cJSON_GetObjectItemCaseSensitive(m, "output_per_mtok");
		const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(m, "context");
		char *provider = opt_string(m, "provider"), *model = opt_string(m, "model");
		if (!provider || !model) {
			free(provider);
			free(model);
			cJSON_Delete(root);
			return err_set(e, "the model catalog %s: entry %d has no provider or model", path, i);
		}
		struct catalog_entry *ce = add(c);
		ce->provider = provider;
		ce->model = model;
		ce->name = opt_string(m, "name");
		ce->kind = opt_string(m, "kind");
		ce->context = cJSON_IsNumber(ctx) ? (int64_t)ctx->valuedouble : 0;
		ce->has_price = cJSON_IsNumber(in) && cJSON_IsNumber(out);
		ce->input_per_mtok = ce->has_price ? in->valuedouble : 0;
		ce->output_per_mtok = ce->has_price ? out->valuedouble : 0;
		ce->price_recorded = opt_string(m, "price_recorded");
		ce->price_source = opt_string(m, "price_source");
		i++;
	}
	cJSON_Delete(root);
	return 0;
}

int catalog_load(struct catalog *c, const char *path, const struct config *cfg, struct err *e)
{
	memset(c, 0, sizeof *c);
	char *own = path ? NULL : path_join(path_share_dir(), "catalog/models.json");
	const char *file = path ? path : own;
	struct err why = ERR_INIT;
	char *text = path_read_file(file, NULL, &why);
	int rc = 0;
	if (text)
		rc = parse_file(c, file, text, e);
	else if (errno != ENOENT)
		rc = err_set(e, "%s", why.msg);
	free(text);
	free(own);
	for (size_t i = 0; rc == 0 && cfg && i < cfg->nprices; i++) {
		const struct config_price *p = &cfg->prices[i];
		const char *slash = strchr(p->model, '/');
		struct catalog_entry *ce = add(c);
		ce->provider = xstrndup(p->model, (size_t)(slash - p->model));
		ce->model = xstrdup(slash + 1);
		ce->has_price = 1;
		ce->input_per_mtok = p->input;
		ce->output_per_mtok = p->output;
		ce->context = p->context;
		ce->price_recorded = xstrdup("config");
		ce->price_source = xstrdup("your config.json \"prices\"");
	}
	return rc;
}

void catalog_free(struct catalog *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct catalog_entry *e = &c->entries[i];
		free(e->provider);
		free(e->model);
		free(e->name);
		free(e->kind);
		free(e->price_recorded);
		free(e->price_source);
	}
	free(c->entries);
	memset(c, 0, sizeof *c);
}

static const struct catalog_entry *lookup(const struct catalog *c, const char *provider, const char *model, int user)
{
	const struct catalog_entry *found = NULL;
	for (size_t i = 0; i < c->n; i++) {
		const struct catalog_entry *e = &c->entries[i];
		int is_user = e->price_recorded && strcmp(e->price_recorded, "config") == 0;
		if (is_user == user && strcmp(e->provider, provider) == 0 && strcmp(e->model, model) == 0)
			found = e; /* the last one wins */
	}
	return found;
}

/* "us.anthropic.claude-..." (a cross-region inference profile) → "anthropic.claude-..." */
static const char *bedrock_base_model(const char *model)
{
	static const char *const prefixes[] = { "us.", "eu.", "apac.", "us-gov.", "global.", "jp.", "au.", "ca." };
	for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
		if (strncmp(model, prefixes[i], strlen(prefixes[i])) == 0)
			return model + strlen(prefixes[i]);
	return model;
}

const struct catalog_entry *catalog_find(const struct catalog *c, const char *name, const char *type,
					 const char *model)
{
	const struct catalog_entry *e = lookup(c, name, model, 1);
	if (!e)
		e = lookup(c, name, model, 0);
	if (!e && type && strcmp(type, name) != 0)
		e = lookup(c, type, model, 0);
	if (!e && type && strcmp(type, "bedrock") == 0 && bedrock_base_model(model) != model)
		e = catalog_find(c, name, type, bedrock_base_model(model));
	if (!e && type && strcmp(type, "ollama") == 0) {
		static char recorded[] = "-", source[] = "local model";
		static const struct catalog_entry local = {
			.has_price = 1,
			.price_recorded = recorded,
			.price_source = source,
		};
		e = &local;
	}
	return e;
}

double catalog_cost(const struct catalog_entry *e, int64_t input_tokens, int64_t output_tokens)
{
	if (!e || !e->has_price || input_tokens < 0 || output_tokens < 0)
		return -1;
	return ((double)input_tokens * e->input_per_mtok + (double)output_tokens * e->output_per_mtok) / 1e6;
}
