#include "llm/provider.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

static const struct provider_ops *const builtin_ops[] = {
	&provider_openai_ops, &provider_anthropic_ops, &provider_bedrock_ops, &provider_ollama_ops,
};
#define NBUILTIN (sizeof builtin_ops / sizeof *builtin_ops)

static const struct provider_ops *ops_for_type(const char *type)
{
	for (size_t i = 0; i < NBUILTIN; i++)
		if (strcmp(builtin_ops[i]->type, type) == 0)
			return builtin_ops[i];
	return NULL;
}

static const struct config_provider *configured(const struct config *cfg, const char *name)
{
	for (size_t i = 0; cfg && i < cfg->nproviders; i++)
		if (strcmp(cfg->providers[i].name, name) == 0)
			return &cfg->providers[i];
	return NULL;
}

const char *provider_type_of(const struct config *cfg, const char *name)
{
	const struct config_provider *cp = configured(cfg, name);
	const struct provider_ops *ops = ops_for_type(cp && cp->type ? cp->type : name);
	return ops ? ops->type : NULL;
}

struct provider *provider_open(const struct config *cfg, const char *name, struct err *e)
{
	const struct config_provider *cp = configured(cfg, name);
	const char *type = provider_type_of(cfg, name);
	const struct provider_ops *ops = type ? ops_for_type(type) : NULL;
	if (!ops) {
		err_set(e, "unknown provider '%s'; the built-in ones are openai, anthropic, bedrock and ollama, "
			   "others are added under \"providers\" in config.json", name);
		return NULL;
	}
	struct provider *p = xcalloc(1, sizeof *p);
	p->ops = ops;
	p->name = xstrdup(name);
	p->type = xstrdup(ops->type);
	if (cp) {
		p->base_url = cp->base_url ? xstrdup(cp->base_url) : NULL;
		p->allow_http = cp->allow_http;
	}
	p->config = cp;
	if (ops->init(p, e) != 0) {
		provider_free(p);
		return NULL;
	}
	return p;
}

void provider_free(struct provider *p)
{
	if (!p)
		return;
	if (p->ops && p->ops->fini && p->priv)
		p->ops->fini(p);
	free(p->name);
	free(p->type);
	free(p->base_url);
	free(p->key_source);
	free(p);
}

int provider_split_model(const char *spec, char **provider, char **model, struct err *e)
{
	const char *slash = spec ? strchr(spec, '/') : NULL;
	if (!slash || slash == spec || !slash[1])
		return err_set(e, "'%s' is not a model name; use PROVIDER/MODEL, e.g. openai/gpt-4o-mini or "
				  "bedrock/anthropic.claude-3-haiku-20240307-v1:0", spec ? spec : "");
	*provider = xstrndup(spec, (size_t)(slash - spec));
	*model = xstrdup(slash + 1);
	return 0;
}

size_t provider_names(const struct config *cfg, const char **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < NBUILTIN && n < max; i++)
		out[n++] = builtin_ops[i]->type;
	for (size_t i = 0; cfg && i < cfg->nproviders && n < max; i++) {
		int dup = 0;
		for (size_t j = 0; j < n; j++)
			dup |= strcmp(out[j], cfg->providers[i].name) == 0;
		if (!dup)
			out[n++] = cfg->providers[i].name;
	}
	return n;
}

void provider_cancel(struct provider_call *c)
{
	if (c && c->ops && c->ops->cancel)
		c->ops->cancel(c);
}

void llm_model_list_free(struct llm_model_list *l)
{
	for (size_t i = 0; l && i < l->n; i++) {
		free(l->models[i].id);
		free(l->models[i].name);
		free(l->models[i].owner);
	}
	if (l) {
		free(l->models);
		l->models = NULL;
		l->n = 0;
	}
}
