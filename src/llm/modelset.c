#include "llm/modelset.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

#define MAX_PROVIDERS 64

const char *ms_state_name(enum ms_state s)
{
	switch (s) {
	case MS_CHECKING: return "checking";
	case MS_REACHABLE: return "reachable";
	case MS_UNREACHABLE: return "unreachable";
	case MS_ERROR: return "error";
	case MS_NO_CREDENTIALS: break;
	}
	return "no_credentials";
}

static void free_models(struct ms_provider *mp)
{
	for (size_t j = 0; j < mp->nmodels; j++) {
		free(mp->models[j].id);
		free(mp->models[j].spec);
		free(mp->models[j].name);
	}
	free(mp->models);
	mp->models = NULL;
	mp->nmodels = 0;
}

static void set_models(struct ms_provider *mp, const struct llm_model_list *list)
{
	free_models(mp);
	const struct catalog *cat = mp->set->catalog;
	mp->models = xcalloc(list->n ? list->n : 1, sizeof *mp->models);
	for (size_t i = 0; i < list->n; i++) {
		const struct llm_model *m = &list->models[i];
		struct ms_model *mm = &mp->models[mp->nmodels++];
		mm->id = xstrdup(m->id);
		mm->spec = xasprintf("%s/%s", mp->name, m->id);
		mm->name = m->name ? xstrdup(m->name) : NULL;
		mm->embedding = m->embedding;
		const struct catalog_entry *ce = cat ? catalog_find(cat, mp->name, mp->type, m->id) : NULL;
		if (ce) {
			mm->context = ce->context;
			mm->has_price = ce->has_price;
			mm->input_per_mtok = ce->input_per_mtok;
			mm->output_per_mtok = ce->output_per_mtok;
			mm->price_source = ce->price_source;
			mm->price_recorded = ce->price_recorded;
			if (!mm->name && ce->name)
				mm->name = xstrdup(ce->name);
		}
	}
}

static void on_list(void *ud, const struct llm_model_list *list, const struct err *e)
{
	struct ms_provider *mp = ud;
	struct modelset *ms = mp->set;
	mp->call = NULL;
	free(mp->message);
	mp->message = NULL;
	if (list) {
		mp->state = MS_REACHABLE;
		set_models(mp, list);
	} else {
		free_models(mp);
		mp->message = xstrdup(e && e->set ? e->msg : "the request failed");
		mp->state = strstr(mp->message, "HTTP ") ? MS_ERROR : MS_UNREACHABLE;
	}
	ms->pending--;
	if (ms->changed)
		ms->changed(ms->ud);
	if (ms->pending == 0 && ms->done)
		ms->done(ms->ud);
}

/* Opens the provider when it is not open yet, then asks it for its models. */
static void ask(struct ms_provider *mp, struct loop *l, const struct config *cfg)
{
	struct err why = ERR_INIT;
	if (!mp->p) {
		mp->p = provider_open(cfg, mp->name, &why);
		free(mp->type);
		free(mp->message);
		mp->message = NULL;
		if (!mp->p) {
			const char *type = provider_type_of(cfg, mp->name);
			mp->type = xstrdup(type ? type : "");
			mp->state = MS_NO_CREDENTIALS;
			mp->message = xstrdup(why.msg);
			return;
		}
		mp->type = xstrdup(mp->p->type);
		free(mp->endpoint);
		free(mp->key_source);
		mp->endpoint = mp->p->base_url ? xstrdup(mp->p->base_url) : NULL;
		mp->key_source = mp->p->key_source ? xstrdup(mp->p->key_source) : NULL;
	}
	mp->state = MS_CHECKING;
	mp->call = mp->p->ops->list_models(mp->p, l, on_list, mp, &why);
	if (!mp->call) {
		mp->state = MS_ERROR;
		free(mp->message);
		mp->message = xstrdup(why.msg);
		return;
	}
	mp->set->pending++;
}

size_t modelset_refresh(struct modelset *ms, struct loop *l, const struct config *cfg)
{
	size_t asked = 0;
	for (size_t i = 0; i < ms->n; i++) {
		struct ms_provider *mp = &ms->providers[i];
		if (mp->call)
			continue;
		ask(mp, l, cfg);
		asked += mp->call != NULL;
	}
	if (ms->changed)
		ms->changed(ms->ud);
	return asked;
}

int modelset_start(struct modelset *ms, struct loop *l, const struct config *cfg, const struct catalog *cat,
		   const char *only, void (*changed)(void *ud), void (*done)(void *ud), void *ud, struct err *e)
{
	memset(ms, 0, sizeof *ms);
	ms->catalog = cat;
	ms->changed = changed;
	ms->done = done;
	ms->ud = ud;
	const char *names[MAX_PROVIDERS];
	size_t nnames = provider_names(cfg, names, MAX_PROVIDERS);
	ms->providers = xcalloc(nnames, sizeof *ms->providers);
	for (size_t i = 0; i < nnames; i++) {
		if (only && strcmp(only, names[i]) != 0)
			continue;
		struct ms_provider *mp = &ms->providers[ms->n++];
		mp->set = ms;
		mp->name = xstrdup(names[i]);
		ask(mp, l, cfg);
	}
	if (only && ms->n == 0)
		return err_set(e, "unknown provider '%s'", only);
	if (ms->pending == 0 && done)
		done(ud);
	return 0;
}

void modelset_cancel(struct modelset *ms)
{
	for (size_t i = 0; i < ms->n; i++) {
		struct ms_provider *mp = &ms->providers[i];
		if (mp->call) {
			provider_cancel(mp->call);
			mp->call = NULL;
			mp->state = MS_UNREACHABLE;
			free(mp->message);
			mp->message = xstrdup("cancelled");
			ms->pending--;
		}
	}
}

void modelset_free(struct modelset *ms)
{
	modelset_cancel(ms);
	for (size_t i = 0; i < ms->n; i++) {
		struct ms_provider *mp = &ms->providers[i];
		free_models(mp);
		free(mp->name);
		free(mp->type);
		free(mp->endpoint);
		free(mp->key_source);
		free(mp->message);
		provider_free(mp->p);
	}
	free(ms->providers);
	memset(ms, 0, sizeof *ms);
}

struct provider *modelset_provider(const struct modelset *ms, const char *name)
{
	for (size_t i = 0; i < ms->n; i++)
		if (strcmp(ms->providers[i].name, name) == 0)
			return ms->providers[i].p;
	return NULL;
}
