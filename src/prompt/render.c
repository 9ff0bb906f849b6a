#include "prompt/render.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "llm/llm_json.h"

int template_render(const struct template *t, int step, const cJSON *vars, struct template_msgs *out,
		    struct err *e)
{
	const struct mustache *m = step < 0 ? t->m : (size_t)step < t->nsteps ? t->steps[step].m : NULL;
	if (!m)
		return err_set(e, "template %s has %s", t->name, step < 0 ? "steps; render them one at a time" : "no such step");
	struct buf b = BUF_INIT;
	struct err re = ERR_INIT;
	if (mustache_render(m, vars, &b, &re) != 0) {
		buf_free(&b);
		if (step < 0) {
			template_mustache_error(e, t->path, t->body_line, "", re.msg);
		} else {
			char *what = xasprintf("step '%s': ", t->steps[step].name);
			template_mustache_error(e, t->steps[step].file ? t->steps[step].file : t->path, t->steps[step].line, what,
				       re.msg);
			free(what);
		}
		return -1;
	}
	if (t->bare) {
		template_msgs_add(out, "user", b.data ? b.data : "", b.len, 0);
	} else if (!t->system) {
		roles_split_marked(b.data ? b.data : "", b.len, out);
	} else {
		struct template_msgs all = { NULL, 0 };
		roles_split_marked(b.data ? b.data : "", b.len, &all);
		template_msgs_add(out, "system", t->system, strlen(t->system), 1);
		for (size_t i = 0; i < all.n; i++)
			if (strcmp(all.v[i].role, "system"))
				template_msgs_add(out, all.v[i].role, all.v[i].content, strlen(all.v[i].content), 0);
		template_msgs_free(&all);
	}
	buf_free(&b);
	return 0;
}

struct llm_message *template_llm_messages(const struct template_msgs *m, size_t *n, char **system)
{
	struct llm_message *v = xcalloc(m->n ? m->n : 1, sizeof *v);
	struct buf sys = BUF_INIT;
	int has_sys = 0;
	*n = 0;
	for (size_t i = 0; i < m->n; i++) {
		if (!strcmp(m->v[i].role, "system")) {
			buf_printf(&sys, "%s%s", has_sys ? "\n\n" : "", m->v[i].content);
			has_sys = 1;
			continue;
		}
		v[*n].role = m->v[i].role;
		v[*n].content = m->v[i].content;
		(*n)++;
	}
	*system = has_sys ? buf_detach(&sys) : NULL;
	buf_free(&sys);
	return v;
}

void template_merge_params(const struct template *t, struct llm_params *p)
{
	if (!p->has_temperature && t->params.has_temperature) {
		p->has_temperature = 1;
		p->temperature = t->params.temperature;
	}
	if (!p->has_top_p && t->params.has_top_p) {
		p->has_top_p = 1;
		p->top_p = t->params.top_p;
	}
	if (!p->has_max_tokens && t->params.has_max_tokens) {
		p->has_max_tokens = 1;
		p->max_tokens = t->params.max_tokens;
	}
	if (!p->nstop && t->params.nstop) {
		p->stop = t->params.stop;
		p->nstop = t->params.nstop;
	}
}

cJSON *template_params_json(const struct llm_params *p)
{
	cJSON *o = cJSON_CreateObject();
	llm_params_add_json(o, p);
	return o;
}

char *template_history_json(const struct template *t, const cJSON *vars)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "template", t->source == TEMPLATE_FILE ? t->path : t->name);
	cJSON *v = cJSON_AddObjectToObject(o, "vars");
	const cJSON *it;
	if (cJSON_IsObject(vars)) {
		cJSON_ArrayForEach(it, vars)
			if (strcmp(it->string, "examples") && !template_is_step_output(t, it->string))
				cJSON_AddItemToObject(v, it->string, cJSON_Duplicate(it, 1));
	}
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

