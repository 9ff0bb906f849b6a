#include "prompt/labsetup.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "store/history.h"

static const char *param(const struct history_run *run, const char *name)
{
	for (size_t i = 0; i < run->nparams; i++)
		if (strcmp(run->params[i].name, name) == 0)
			return run->params[i].value;
	return NULL;
}

/* A JSON value as a person would type it: strings unquoted, the rest as compact JSON. */
static char *as_text(const cJSON *v)
{
	if (cJSON_IsString(v))
		return xstrdup(v->valuestring ? v->valuestring : "");
	char *s = cJSON_PrintUnformatted(v);
	return s ? s : xstrdup("");
}

static void read_template(const struct history_run *run, struct lab_setup *s)
{
	const char *name = param(run, "template");
	cJSON *t = name ? cJSON_Parse(name) : NULL;
	if (cJSON_IsString(t) && t->valuestring && *t->valuestring)
		s->template = xstrdup(t->valuestring);
	cJSON_Delete(t);
	const char *vars = s->template ? param(run, "vars") : NULL;
	cJSON *o = vars ? cJSON_Parse(vars) : NULL;
	if (cJSON_IsObject(o) && cJSON_GetArraySize(o) > 0) {
		s->vars = xcalloc((size_t)cJSON_GetArraySize(o), sizeof *s->vars);
		const cJSON *it;
		cJSON_ArrayForEach(it, o) {
			s->vars[s->nvars].name = xstrdup(it->string ? it->string : "");
			s->vars[s->nvars++].value = as_text(it);
		}
	}
	cJSON_Delete(o);
}

static void read_messages(const struct history_run *run, struct lab_setup *s)
{
	const char *last_user = NULL;
	for (size_t i = 0; i < run->nmessages; i++) {
		const struct history_message *m = &run->messages[i];
		if (strcmp(m->role, "system") == 0 && !s->system)
			s->system = xstrdup(m->content);
		else if (strcmp(m->role, "user") == 0)
			last_user = m->content;
	}
	if (!last_user)
		last_user = run->prompt ? run->prompt : "";
	s->prompt = xstrdup(s->template ? "" : last_user);
}

/* 1 and *group when the run was one of a compare's. */
static int compare_group(const struct history_run *run, int64_t *group)
{
	const char *v = param(run, "compare_group");
	cJSON *n = v ? cJSON_Parse(v) : NULL;
	int ok = cJSON_IsNumber(n) && n->valuedouble == floor(n->valuedouble) && fabs(n->valuedouble) < 9e15;
	if (ok)
		*group = (int64_t)n->valuedouble;
	cJSON_Delete(n);
	return ok;
}

static void add_model(struct lab_setup *s, const char *model)
{
	for (size_t i = 0; i < s->nmodels; i++)
		if (strcmp(s->models[i], model) == 0)
			return;
	s->models = xreallocarray(s->models, s->nmodels + 1, sizeof *s->models);
	s->models[s->nmodels++] = xstrdup(model);
}

int lab_setup_from_history(struct db *db, int64_t id, struct lab_setup *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	struct history_run run;
	int found = history_read(db, id, &run, e);
	if (found <= 0)
		return found;
	int64_t group;
	if (compare_group(&run, &group)) {
		char **models;
		size_t n;
		if (history_group_models(db, group, &models, &n, e) != 0) {
			history_run_free(&run);
			return -1;
		}
		for (size_t i = 0; i < n; i++)
			add_model(out, models[i]);
		history_models_free(models, n);
	}
	if (!out->nmodels && run.model && *run.model)
		add_model(out, run.model);
	if (!out->nmodels) {
		history_run_free(&run);
		return err_set(e, "run %lld names no model to run it with", (long long)id);
	}
	read_template(&run, out);
	read_messages(&run, out);
	history_run_free(&run);
	return 1;
}

void lab_setup_free(struct lab_setup *s)
{
	if (!s)
		return;
	free(s->template);
	for (size_t i = 0; i < s->nvars; i++) {
		free(s->vars[i].name);
		free(s->vars[i].value);
	}
	free(s->vars);
	free(s->prompt);
	free(s->system);
	for (size_t i = 0; i < s->nmodels; i++)
		free(s->models[i]);
	free(s->models);
	memset(s, 0, sizeof *s);
}
