#include "prompt/lab.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "prompt/runner.h"
#include "prompt/bind.h"
#include "store/db.h"

/* ---------------------------------------------------------------- templates */

int lab_templates(struct lab_template_info **out, size_t *n, struct err *e)
{
	struct template_entry *v;
	size_t count;
	*out = NULL;
	*n = 0;
	if (template_list(&v, &count, e) != 0)
		return -1;
	struct lab_template_info *r = xcalloc(count ? count : 1, sizeof *r);
	for (size_t i = 0; i < count; i++) {
		r[i].name = xstrdup(v[i].name);
		r[i].technique = xstrdup(v[i].t ? v[i].t->technique : "");
		r[i].description = xstrdup(v[i].t ? v[i].t->description : "");
		r[i].source = template_source_name(v[i].source);
		r[i].error = v[i].error ? xstrdup(v[i].error) : NULL;
	}
	template_list_free(v, count);
	*out = r;
	*n = count;
	return 0;
}

void lab_templates_free(struct lab_template_info *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].name);
		free(v[i].technique);
		free(v[i].description);
		free(v[i].error);
	}
	free(v);
}

/* ---------------------------------------------------------------- the form */

static char *json_text(const cJSON *j)
{
	if (cJSON_IsString(j))
		return xstrdup(j->valuestring);
	return cJSON_PrintUnformatted(j);
}

static void form_clear(struct lab_form *f)
{
	for (size_t i = 0; i < f->nfields; i++) {
		free(f->fields[i].name);
		free(f->fields[i].description);
		free(f->fields[i].value);
		free(f->fields[i].def);
	}
	free(f->fields);
	free(f->template);
	free(f->technique);
	free(f->description);
	template_free(f->t);
	free(f->history_extra);
	f->history_extra = NULL;
	f->fields = NULL;
	f->nfields = 0;
	f->template = NULL;
	f->t = NULL;
	f->technique = xstrdup("free prompt");
	f->description = xstrdup("");
	f->shape = "one call";
}

int lab_form_open(struct lab_form *f, const char *name, struct err *e)
{
	form_clear(f);
	f->shape_buf[0] = 0;
	if (!f->text)
		f->text = xstrdup("");
	if (!name)
		return 0;
	struct template *t = template_open(name, NULL, e);
	if (!t)
		return -1;
	f->t = t;
	f->template = xstrdup(t->name);
	free(f->technique);
	free(f->description);
	f->technique = xstrdup(t->technique[0] ? t->technique : "template");
	f->description = xstrdup(t->description);
	if (template_is_chain(t))
		snprintf(f->shape_buf, sizeof f->shape_buf, "a chain of %zu steps", t->nsteps);
	else if (template_is_sampled(t))
		snprintf(f->shape_buf, sizeof f->shape_buf, "%d samples and a vote", t->samples);
	f->shape = f->shape_buf[0] ? f->shape_buf : "one call";
	f->fields = xcalloc(t->nvars ? t->nvars : 1, sizeof *f->fields);
	f->nfields = t->nvars;
	for (size_t i = 0; i < t->nvars; i++) {
		const struct template_var *v = &t->vars[i];
		struct lab_field *fl = &f->fields[i];
		fl->name = xstrdup(v->name);
		fl->description = xstrdup(v->description ? v->description : "");
		fl->type = template_type_name(v->type);
		fl->required = v->required;
		fl->def = v->def ? json_text(v->def) : NULL;
	}
	return 0;
}

void lab_form_close(struct lab_form *f)
{
	form_clear(f);
	free(f->technique);
	free(f->description);
	free(f->text);
	free(f->system);
	memset(f, 0, sizeof *f);
}

void lab_form_set_history_extra(struct lab_form *f, const char *json)
{
	free(f->history_extra);
	f->history_extra = json ? xstrdup(json) : NULL;
}

int lab_form_set(struct lab_form *f, size_t i, const char *text, struct err *e)
{
	if (i >= f->nfields)
		return err_set(e, "no variable %zu", i);
	struct lab_field *fl = &f->fields[i];
	if (text && *text) {
		cJSON *v = template_coerce(fl->name, f->t->vars[i].type, text, e);
		if (!v)
			return -1;
		cJSON_Delete(v);
	}
	free(fl->value);
	fl->value = text && *text ? xstrdup(text) : NULL;
	return 0;
}

void lab_form_set_text(struct lab_form *f, const char *text)
{
	free(f->text);
	f->text = xstrdup(text ? text : "");
}

void lab_form_set_system(struct lab_form *f, const char *system)
{
	free(f->system);
	f->system = system && *system ? xstrdup(system) : NULL;
}

long lab_form_missing(const struct lab_form *f)
{
	for (size_t i = 0; i < f->nfields; i++)
		if (f->fields[i].required && !f->fields[i].value && !f->fields[i].def)
			return (long)i;
	return -1;
}

int lab_form_ready(const struct lab_form *f)
{
	return f->t || f->text[0];
}

int lab_form_restore(struct lab_form *f, const struct lab_setup *s, struct err *e)
{
	lab_form_set_text(f, s->template ? "" : s->prompt);
	lab_form_set_system(f, s->system);
	if (lab_form_open(f, s->template, e) != 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < s->nvars; i++) {
		size_t j = 0;
		while (j < f->nfields && strcmp(f->fields[j].name, s->vars[i].name))
			j++;
		if (j == f->nfields) {
			if (!rc)
				rc = err_set(e, "template %s no longer has the variable %s", f->template, s->vars[i].name);
			continue;
		}
		struct err e2 = ERR_INIT;
		if (lab_form_set(f, j, s->vars[i].value, &e2) != 0 && !rc)
			rc = err_set(e, "%s", e2.msg);
	}
	/* a template's system messages are its own; a restored run's system is
	 * only an override when it differs from what the template renders */
	if (f->t && f->system) {
		struct lab_msg *m;
		size_t n;
		lab_form_set_system(f, NULL);
		if (lab_form_preview(f, &m, &n, NULL) == 0) {
			struct buf sys = BUF_INIT;
			for (size_t i = 0; i < n; i++)
				if (!strcmp(m[i].role, "system"))
					buf_printf(&sys, "%s%s", sys.len ? "\n\n" : "", m[i].content);
			if (strcmp(buf_str(&sys), s->system))
				lab_form_set_system(f, s->system);
			buf_free(&sys);
			lab_msgs_free(m, n);
		} else {
			lab_form_set_system(f, s->system);
		}
	}
	return rc;
}

static cJSON *form_bind(const struct lab_form *f, struct err *e)
{
	char **sets = xcalloc(f->nfields + 1, sizeof *sets);
	size_t n = 0;
	for (size_t i = 0; i < f->nfields; i++)
		if (f->fields[i].value)
			sets[n++] = xasprintf("%s=%s", f->fields[i].name, f->fields[i].value);
	cJSON *vars = template_bind(f->t, NULL, 0, (const char *const *)sets, n, e);
	for (size_t i = 0; i < n; i++)
		free(sets[i]);
	free(sets);
	return vars;
}

static void msgs_from(struct template_msgs *tm, struct lab_msg **out, size_t *n)
{
	*out = xcalloc(tm->n ? tm->n : 1, sizeof **out);
	for (size_t i = 0; i < tm->n; i++) {
		(*out)[i].role = tm->v[i].role;
		(*out)[i].content = tm->v[i].content;
	}
	*n = tm->n;
	free(tm->v);
	tm->v = NULL;
	tm->n = 0;
}

int lab_form_preview(const struct lab_form *f, struct lab_msg **out, size_t *n, struct err *e)
{
	struct template_msgs tm = { NULL, 0 };
	*out = NULL;
	*n = 0;
	if (!f->t) {
		*out = xcalloc(2, sizeof **out);
		if (f->system)
			(*out)[(*n)++] = (struct lab_msg){ xstrdup("system"), xstrdup(f->system) };
		(*out)[(*n)++] = (struct lab_msg){ xstrdup("user"), xstrdup(f->text) };
		return 0;
	}
	cJSON *vars = form_bind(f, e);
	if (!vars)
		return -1;
	const struct template *t = f->t;
	for (size_t j = 0; template_is_chain(t) && j + 1 < t->nsteps; j++) {
		char *ph = xasprintf("<the answer of step %s>", t->steps[j].name);
		cJSON_AddStringToObject(vars, t->steps[j].output_var, ph);
		free(ph);
	}
	int rc = template_render(t, template_is_chain(t) ? 0 : -1, vars, &tm, e);
	cJSON_Delete(vars);
	if (rc != 0) {
		template_msgs_free(&tm);
		return -1;
	}
	if (f->system) {
		size_t k = 0;
		for (size_t i = 0; i < tm.n; i++) {
			if (!strcmp(tm.v[i].role, "system")) {
				free(tm.v[i].role);
				free(tm.v[i].content);
			} else {
				tm.v[k++] = tm.v[i];
			}
		}
		tm.v = xreallocarray(tm.v, k + 1, sizeof *tm.v);
		memmove(tm.v + 1, tm.v, k * sizeof *tm.v);
		tm.v[0] = (struct template_msg){ xstrdup("system"), xstrdup(f->system) };
		tm.n = k + 1;
	}
	msgs_from(&tm, out, n);
	return 0;
}

void lab_msgs_free(struct lab_msg *m, size_t n)
{
	for (size_t i = 0; m && i < n; i++) {
		free(m[i].role);
		free(m[i].content);
	}
	free(m);
}

/* ---------------------------------------------------------------- saving */

static void yaml_scalar(struct buf *b, const cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j); /* a JSON string is a YAML double-quoted scalar */
	buf_puts(b, s);
	free(s);
}

static void yaml_key(struct buf *b, const char *k)
{
	int plain = isalpha((unsigned char)*k) || *k == '_';
	for (const char *p = k; *p && plain; p++)
		plain = isalnum((unsigned char)*p) || *p == '_' || *p == '-';
	if (plain) {
		buf_puts(b, k);
		return;
	}
	cJSON *key = cJSON_CreateString(k);
	yaml_scalar(b, key);
	cJSON_Delete(key);
}

static void yaml_emit(struct buf *b, const cJSON *j, int indent, int in_seq);

static void yaml_child(struct buf *b, const cJSON *v, int indent)
{
	if ((cJSON_IsObject(v) || cJSON_IsArray(v)) && v->child) {
		buf_putc(b, '\n');
		yaml_emit(b, v, indent + 2, 0);
	} else {
		buf_putc(b, ' ');
		if (cJSON_IsObject(v))
			buf_puts(b, "{}");
		else if (cJSON_IsArray(v))
			buf_puts(b, "[]");
		else
			yaml_scalar(b, v);
		buf_putc(b, '\n');
	}
}

/* Block-style YAML for a JSON value; in_seq: the first key goes after "- ". */
static void yaml_emit(struct buf *b, const cJSON *j, int indent, int in_seq)
{
	const cJSON *it;
	int first = 1;
	cJSON_ArrayForEach(it, j)
	{
		if (!(in_seq && first))
			buf_printf(b, "%*s", indent, "");
		first = 0;
		if (cJSON_IsObject(j)) {
			yaml_key(b, it->string);
			buf_putc(b, ':');
			yaml_child(b, it, indent);
		} else if (cJSON_IsObject(it) && it->child) {
			buf_puts(b, "- ");
			yaml_emit(b, it, indent + 2, 1);
		} else {
			buf_putc(b, '-');
			yaml_child(b, it, indent);
		}
	}
}

static void collect_words(const char *s, cJSON *vars)
{
	for (const char *p = strstr(s, "{{"); p; p = strstr(p + 2, "{{")) {
		const char *q = p + 2;
		while (*q == ' ')
			q++;
		const char *a = q;
		while (isalnum((unsigned char)*q) || *q == '_')
			q++;
		const char *z = q;
		while (*q == ' ')
			q++;
		if (z == a || q[0] != '}' || q[1] != '}' || isdigit((unsigned char)*a))
			continue;
		char *name = xstrndup(a, (size_t)(z - a));
		const cJSON *v;
		int seen = 0;
		cJSON_ArrayForEach(v, vars)
			seen |= !strcmp(cJSON_GetObjectItemCaseSensitive(v, "name")->valuestring, name);
		if (!seen) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "name", name);
			cJSON_AddTrueToObject(o, "required");
			cJSON_AddItemToArray(vars, o);
		}
		free(name);
	}
}

static void put_params(cJSON *front, const struct llm_params *p)
{
	if (!p || !(p->has_temperature || p->has_top_p || p->has_max_tokens || p->nstop))
		return;
	cJSON *old = cJSON_DetachItemFromObjectCaseSensitive(front, "parameters");
	cJSON *params = cJSON_IsObject(old) ? old : cJSON_CreateObject();
	if (old != params)
		cJSON_Delete(old);
	cJSON *mine = template_params_json(p);
	const cJSON *it;
	cJSON_ArrayForEach(it, mine)
	{
		cJSON_DeleteItemFromObjectCaseSensitive(params, it->string);
		cJSON_AddItemToObject(params, it->string, cJSON_Duplicate(it, 1));
	}
	cJSON_Delete(mine);
	cJSON_AddItemToObject(front, "parameters", params);
}

static void set_key(cJSON *o, const char *k, cJSON *v)
{
	if (cJSON_GetObjectItemCaseSensitive(o, k))
		cJSON_ReplaceItemInObjectCaseSensitive(o, k, v);
	else
		cJSON_AddItemToObject(o, k, v);
}

/* The front matter of a copy of the form's template, standing on its own. */
static cJSON *copy_front(const struct lab_form *f, const char *name, struct err *e)
{
	const struct template *t = f->t;
	cJSON *front = cJSON_Duplicate(t->front, 1);
	set_key(front, "name", cJSON_CreateString(name));
	cJSON *vars = cJSON_GetObjectItemCaseSensitive(front, "variables");
	for (size_t i = 0; i < f->nfields; i++) {
		if (!f->fields[i].value)
			continue;
		cJSON *v = template_coerce(f->fields[i].name, t->vars[i].type, f->fields[i].value, e);
		if (!v) {
			cJSON_Delete(front);
			return NULL;
		}
		cJSON *decl = cJSON_GetArrayItem(vars, (int)i);
		if (cJSON_IsObject(decl)) {
			set_key(decl, "default", v);
		} else {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "name", f->fields[i].name);
			cJSON_AddItemToObject(o, "default", v);
			cJSON_ReplaceItemInArray(vars, (int)i, o);
		}
	}
	if (t->examples) {
		cJSON_DeleteItemFromObjectCaseSensitive(front, "examples_file");
		set_key(front, "examples", cJSON_Duplicate(t->examples, 1));
	}
	cJSON *steps = cJSON_GetObjectItemCaseSensitive(front, "steps");
	for (size_t i = 0; i < t->nsteps && cJSON_IsArray(steps); i++) {
		cJSON *s = cJSON_GetArrayItem(steps, (int)i);
		if (cJSON_IsObject(s) && t->steps[i].file) {
			cJSON_DeleteItemFromObjectCaseSensitive(s, "file");
			set_key(s, "template", cJSON_CreateString(t->steps[i].text));
		}
	}
	return front;
}

static int valid_template_name(const char *s)
{
	if (!*s || strlen(s) > 64 || *s == '.' || *s == '-')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return 0;
	return 1;
}

int lab_form_save(const struct lab_form *f, const char *name, const struct llm_params *params, char **path,
		  struct err *e)
{
	*path = NULL;
	if (!valid_template_name(name))
		return err_set(e, "'%s' is not a template name: use letters, digits, '-', '_' and '.'", name);
	if (!lab_form_ready(f))
		return err_set(e, "nothing to save: write a prompt or pick a template first");
	cJSON *front;
	const char *body;
	struct buf text = BUF_INIT;
	if (f->t) {
		if (!(front = copy_front(f, name, e)))
			return -1;
		if (f->system)
			set_key(front, "system", cJSON_CreateString(f->system));
		body = f->t->body;
	} else {
		front = cJSON_CreateObject();
		cJSON_AddStringToObject(front, "name", name);
		cJSON_AddStringToObject(front, "description", "Saved from the workbench");
		cJSON_AddStringToObject(front, "technique", "zero-shot");
		cJSON *vars = cJSON_CreateArray();
		if (f->system)
			collect_words(f->system, vars);
		collect_words(f->text, vars);
		if (cJSON_GetArraySize(vars))
			cJSON_AddItemToObject(front, "variables", vars);
		else
			cJSON_Delete(vars);
		body = NULL;
	}
	put_params(front, params);
	buf_puts(&text, "---\n");
	yaml_emit(&text, front, 0, 0);
	buf_puts(&text, "---\n");
	cJSON_Delete(front);
	if (body) {
		buf_puts(&text, body);
		if (text.len && text.data[text.len - 1] != '\n')
			buf_putc(&text, '\n');
	} else {
		if (f->system)
			buf_printf(&text, "system:\n%s\n\n", f->system);
		buf_printf(&text, "user:\n%s\n", f->text);
	}

	char *dir = path_join(path_config_dir(), "prompts");
	char *file = xasprintf("%s/%s.prompt", dir, name);
	struct template *check = template_parse(text.data, text.len, file, TEMPLATE_USER, NULL, e);
	int rc = -1;
	if (!check)
		goto out;
	template_free(check);
	if (path_mkdirs(dir, 0700, e) != 0)
		goto out;
	int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (errno == EEXIST)
			err_set(e, "%s exists already; choose another name", file);
		else
			err_errno(e, "cannot create %s", file);
		goto out;
	}
	size_t off = 0;
	while (off < text.len) {
		ssize_t n = write(fd, text.data + off, text.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (close(fd) != 0 || off < text.len) {
		err_errno(e, "cannot write %s", file);
		unlink(file);
		goto out;
	}
	*path = file;
	file = NULL;
	rc = 0;
out:
	free(file);
	free(dir);
	buf_free(&text);
	return rc;
}

/* ---------------------------------------------------------------- runs */

struct lab_run {
	char *spec, *provider_name, *model;
	struct lab_target tg;
	struct lab_run_cb cb;
	void *ud;
	struct buf shown;
	size_t fed;              /* bytes of the current call's text in shown */
	size_t answer_at;        /* where the answer starts in shown (after the text given first) */
	size_t current;          /* the call being shown */
	char *history;           /* extra params JSON for each saved row */
	char *prompt, *system;   /* copies: the form may change while the run streams */
	size_t saved;
	int64_t group;           /* a template's first saved call: its calls' group */
	int finished;
	char message[1024];
	int64_t start_us, end_us;
	/* a free prompt: one run */
	struct run *run;
	struct llm_request rq;
	struct llm_message msg;
	/* given messages (lab_target.messages) */
	struct template_msgs given;
	struct llm_message *given_msgs;
	/* a template: its runner */
	struct template_runner *tr;
	const struct template *t;
	/* a conversation's turn (lab_run_send) */
	struct llm_message *msgs;
	size_t nmsgs;
	int64_t conversation, first_saved;
	int turn;
	/* only shown (lab_run_shown) */
	int shown_only;
	struct run_metrics shown_metrics;
};

static void save_call(struct lab_run *lr, const struct run *r, const struct llm_request *rq)
{
	if (!lr->tg.db)
		return;
	struct err e = ERR_INIT;
	struct db_run row;
	run_row(r, rq, lr->tg.kind, lr->history, &row);
	/* a template's calls (steps, samples) are one group of turns in the history */
	int grouped = lr->t && (template_is_chain(lr->t) || template_is_sampled(lr->t));
	if (grouped) {
		row.conversation = lr->group;
		row.turn = (int)lr->saved + 1;
	} else if (lr->turn) {
		row.conversation = lr->conversation;
		row.turn = lr->turn;
	}
	int64_t id = db_run_insert(lr->tg.db, &row, &e);
	run_row_free(&row);
	if (id >= 0) {
		if (!lr->saved)
			lr->first_saved = id;
		lr->saved++;
		if (grouped && !lr->group)
			lr->group = id;
	} else {
		log_warn("history not saved: %s", e.msg);
	}
}

static void feed(struct lab_run *lr, const struct run *r)
{
	if (r && r->text.len > lr->fed) {
		buf_append(&lr->shown, r->text.data + lr->fed, r->text.len - lr->fed);
		lr->fed = r->text.len;
	}
}

static void finish(struct lab_run *lr)
{
	if (lr->finished)
		return;
	lr->finished = 1;
	lr->end_us = clock_us();
	if (lr->cb.on_done)
		lr->cb.on_done(lr, lr->ud);
}

static void plain_text(struct run *r, void *ud)
{
	struct lab_run *lr = ud;
	feed(lr, r);
	if (lr->cb.on_text)
		lr->cb.on_text(lr, lr->ud);
}

static void plain_done(struct run *r, void *ud)
{
	struct lab_run *lr = ud;
	feed(lr, r);
	save_call(lr, r, &lr->rq);
	finish(lr);
}

static void tr_start(struct template_runner *tr, size_t i, void *ud)
{
	struct lab_run *lr = ud;
	if (!template_is_chain(tr->t))
		return;
	lr->current = i;
	lr->fed = 0;
	if (lr->shown.len && lr->shown.data[lr->shown.len - 1] != '\n')
		buf_putc(&lr->shown, '\n');
	buf_printf(&lr->shown, "%s── step %zu/%zu: %s ──\n", i ? "\n" : "", i + 1, tr->t->nsteps, tr->calls[i].label);
	if (lr->cb.on_text)
		lr->cb.on_text(lr, lr->ud);
}

static void tr_text(struct template_runner *tr, size_t i, void *ud)
{
	struct lab_run *lr = ud;
	if (template_is_sampled(tr->t) || i != lr->current)
		return;
	feed(lr, tr->calls[i].run);
	if (lr->cb.on_text)
		lr->cb.on_text(lr, lr->ud);
}

static void tr_run_done(struct template_runner *tr, size_t i, void *ud)
{
	struct lab_run *lr = ud;
	const struct template_call *c = &tr->calls[i];
	if (template_is_sampled(tr->t)) {
		if (c->answer)
			buf_printf(&lr->shown, "%s: %s\n", c->label, c->answer);
		else if (c->run->result.status == LLM_OK)
			buf_printf(&lr->shown, "%s: no answer found in %zu bytes\n", c->label, c->run->text.len);
		else
			buf_printf(&lr->shown, "%s: %s\n", c->label,
				   c->run->result.message[0] ? c->run->result.message : "cancelled");
	} else if (i == lr->current) {
		feed(lr, c->run);
	}
	save_call(lr, c->run, &c->rq);
	if (lr->cb.on_text)
		lr->cb.on_text(lr, lr->ud);
}

static void tr_done(struct template_runner *tr, void *ud)
{
	struct lab_run *lr = ud;
	if (template_is_sampled(tr->t) && !tr->cancelled) {
		if (tr->ntally)
			buf_printf(&lr->shown, "\nmajority: %s (%zu of %zu votes)\n", tr->tally[0].answer, tr->tally[0].votes,
				   tr->ncalls);
		else
			buf_printf(&lr->shown, "\nno sample gave an answer to vote on\n");
	}
	finish(lr);
}

/* json (NULL or an object's text) with the keys of extra added; caller frees. */
static char *join_extra(char *json, const char *extra)
{
	cJSON *add = extra ? cJSON_Parse(extra) : NULL;
	if (!cJSON_IsObject(add)) {
		cJSON_Delete(add);
		return json;
	}
	cJSON *o = json ? cJSON_Parse(json) : NULL;
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		o = cJSON_CreateObject();
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, add) {
		cJSON_DeleteItemFromObjectCaseSensitive(o, it->string);
		cJSON_AddItemToObject(o, it->string, cJSON_Duplicate(it, 1));
	}
	free(json);
	json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	cJSON_Delete(add);
	return json;
}

static char *history_json(const struct lab_form *f, const cJSON *vars, int64_t group)
{
	char *tmpl = join_extra(f->t ? template_history_json(f->t, vars) : NULL, f->history_extra);
	if (!group)
		return tmpl;
	char *s = run_compare_params(tmpl, group);
	free(tmpl);
	return s;
}

/* One call with tg->messages in place of the form's rendering; the form
 * still gives the template's parameters and the history's variables. */
static int start_given(struct lab_run *lr, const struct lab_form *f, const struct lab_target *tg, struct err *e)
{
	lr->given.v = xcalloc(tg->nmessages ? tg->nmessages : 1, sizeof *lr->given.v);
	for (size_t i = 0; i < tg->nmessages; i++)
		lr->given.v[lr->given.n++] = (struct template_msg){ xstrdup(tg->messages[i].role),
								   xstrdup(tg->messages[i].content) };
	size_t n;
	free(lr->system);
	lr->given_msgs = template_llm_messages(&lr->given, &n, &lr->system);
	if (!n)
		return err_set(e, "nothing to send: the prompt has no user message");
	cJSON *vars = NULL;
	if (f->t && !(vars = form_bind(f, e)))
		return -1;
	lr->t = f->t;
	lr->history = history_json(f, vars, tg->group);
	cJSON_Delete(vars);
	lr->rq.model = lr->model;
	lr->rq.system = lr->system;
	lr->rq.messages = lr->given_msgs;
	lr->rq.nmessages = n;
	lr->rq.params = tg->params;
	if (f->t)
		template_merge_params(f->t, &lr->rq.params);
	lr->rq.stream = 1;
	lr->run = run_start(tg->loop, tg->provider, tg->model_spec, &lr->rq, tg->catalog, plain_text, plain_done, lr, e);
	return lr->run ? 0 : -1;
}

/* A run for tg's model with its callbacks; NULL when the model spec does not
 * name a provider. */
static struct lab_run *run_new(const struct lab_target *tg, const struct lab_run_cb *cb, void *ud,
			       const char *system, struct err *e)
{
	struct lab_run *lr = xcalloc(1, sizeof *lr);
	lr->tg = *tg;
	if (cb)
		lr->cb = *cb;
	lr->ud = ud;
	lr->spec = xstrdup(tg->model_spec);
	lr->start_us = clock_us();
	lr->system = system ? xstrdup(system) : NULL;
	if (provider_split_model(tg->model_spec, &lr->provider_name, &lr->model, e) != 0) {
		lr->finished = 1;
		lab_run_free(lr);
		return NULL;
	}
	return lr;
}

struct lab_run *lab_run_start(const struct lab_form *f, const struct lab_target *tg, const struct lab_run_cb *cb,
			      void *ud, struct err *e)
{
	if (!lab_form_ready(f)) {
		err_set(e, "nothing to send: write a prompt or pick a template");
		return NULL;
	}
	struct lab_run *lr = run_new(tg, cb, ud, f->system, e);
	if (!lr)
		return NULL;
	if (tg->shown)
		buf_puts(&lr->shown, tg->shown);
	lr->answer_at = lr->shown.len;
	if (tg->messages) {
		if (start_given(lr, f, tg, e) != 0)
			goto fail;
		return lr;
	}
	if (!f->t) {
		lr->prompt = xstrdup(f->text);
		lr->msg = (struct llm_message){ "user", lr->prompt };
		lr->rq.model = lr->model;
		lr->rq.system = lr->system;
		lr->rq.messages = &lr->msg;
		lr->rq.nmessages = 1;
		lr->rq.params = tg->params;
		lr->rq.stream = 1;
		lr->history = history_json(f, NULL, tg->group);
		lr->run = run_start(tg->loop, tg->provider, tg->model_spec, &lr->rq, tg->catalog, plain_text, plain_done,
				    lr, e);
		if (!lr->run)
			goto fail;
		return lr;
	}
	cJSON *vars = form_bind(f, e);
	if (!vars)
		goto fail;
	lr->t = f->t;
	lr->history = history_json(f, vars, tg->group);
	struct template_runner_opts o = {
		.loop = tg->loop,
		.provider = tg->provider,
		.catalog = tg->catalog,
		.model_spec = lr->spec,
		.model = lr->model,
		.system = lr->system,
		.params = tg->params,
		.stream = 1,
	};
	static const struct template_runner_cb trcb = { tr_start, tr_text, tr_run_done, tr_done };
	lr->tr = template_runner_start(f->t, vars, &o, &trcb, lr, e);
	cJSON_Delete(vars);
	if (!lr->tr)
		goto fail;
	return lr;
fail:
	lr->finished = 1;
	lab_run_free(lr);
	return NULL;
}

struct lab_run *lab_run_send(const struct lab_request *rq, const struct lab_target *tg, const struct lab_run_cb *cb,
			     void *ud, struct err *e)
{
	if (!rq->nmessages) {
		err_set(e, "nothing to send");
		return NULL;
	}
	struct lab_run *lr = run_new(tg, cb, ud, rq->system, e);
	if (!lr)
		return NULL;
	lr->conversation = rq->conversation;
	lr->turn = rq->turn;
	lr->msgs = xcalloc(rq->nmessages, sizeof *lr->msgs);
	for (size_t i = 0; i < rq->nmessages; i++)
		lr->msgs[i] = (struct llm_message){ xstrdup(rq->messages[i].role), xstrdup(rq->messages[i].content) };
	lr->nmsgs = rq->nmessages;
	lr->prompt = xstrdup(rq->messages[rq->nmessages - 1].content);
	if (rq->shown)
		buf_puts(&lr->shown, rq->shown);
	lr->answer_at = lr->shown.len;
	lr->rq.model = lr->model;
	lr->rq.system = lr->system;
	lr->rq.messages = lr->msgs;
	lr->rq.nmessages = lr->nmsgs;
	lr->rq.params = tg->params;
	lr->rq.stream = 1;
	lr->history = tg->group ? run_compare_params(NULL, tg->group) : NULL;
	lr->run = run_start(tg->loop, tg->provider, tg->model_spec, &lr->rq, tg->catalog, plain_text, plain_done, lr, e);
	if (!lr->run)
		goto fail;
	return lr;
fail:
	lr->finished = 1;
	lab_run_free(lr);
	return NULL;
}

struct lab_run *lab_run_shown(const char *spec, const char *shown, size_t answer_at, const struct run_metrics *m)
{
	struct lab_run *lr = xcalloc(1, sizeof *lr);
	lr->spec = xstrdup(spec);
	lr->shown_only = 1;
	lr->finished = 1;
	lr->start_us = lr->end_us = clock_us();
	buf_puts(&lr->shown, shown ? shown : "");
	lr->answer_at = answer_at < lr->shown.len ? answer_at : lr->shown.len;
	if (m) {
		lr->shown_metrics = *m;
	} else {
		lr->shown_metrics.ttft_ms = lr->shown_metrics.total_ms = lr->shown_metrics.tokens_per_s = -1;
		lr->shown_metrics.cost_usd = -1;
		lr->shown_metrics.input_tokens = lr->shown_metrics.output_tokens = -1;
	}
	return lr;
}

void lab_run_cancel(struct lab_run *lr)
{
	if (!lr || lr->finished)
		return;
	if (lr->run)
		run_cancel(lr->run);
	else if (lr->tr)
		template_runner_cancel(lr->tr);
}

void lab_run_free(struct lab_run *lr)
{
	if (!lr)
		return;
	lr->cb.on_text = lr->cb.on_done = NULL;
	lab_run_cancel(lr);
	run_free(lr->run);
	template_runner_free(lr->tr);
	free(lr->spec);
	free(lr->provider_name);
	free(lr->model);
	free(lr->history);
	free(lr->prompt);
	free(lr->system);
	template_msgs_free(&lr->given);
	free(lr->given_msgs);
	for (size_t i = 0; i < lr->nmsgs; i++) {
		free((char *)(uintptr_t)lr->msgs[i].role);
		free((char *)(uintptr_t)lr->msgs[i].content);
	}
	free(lr->msgs);
	buf_free(&lr->shown);
	free(lr);
}

const char *lab_run_model(const struct lab_run *lr)
{
	return lr->spec;
}

const struct buf *lab_run_text(const struct lab_run *lr)
{
	return &lr->shown;
}

const char *lab_run_answer(const struct lab_run *lr)
{
	if (lr->shown_only)
		return "";
	if (lr->run)
		return buf_str(&lr->run->text);
	return template_runner_answer(lr->tr);
}

size_t lab_run_answer_at(const struct lab_run *lr)
{
	return lr->answer_at;
}

int lab_run_finished(const struct lab_run *lr)
{
	return lr->finished;
}

static const struct run *failed_call(const struct lab_run *lr)
{
	if (lr->shown_only)
		return NULL;
	if (lr->run)
		return lr->run->result.status == LLM_OK ? NULL : lr->run;
	for (size_t i = 0; i < lr->tr->ncalls; i++) {
		const struct run *r = lr->tr->calls[i].run;
		if (r && r->result.status != LLM_OK)
			return r;
	}
	return NULL;
}

enum llm_status lab_run_status(const struct lab_run *lr)
{
	const struct run *r = failed_call(lr);
	if (r)
		return r->result.status;
	if (lr->tr && lr->tr->cancelled)
		return LLM_CANCELLED;
	if (lr->tr && lr->tr->error[0])
		return LLM_ERROR;
	return LLM_OK;
}

const char *lab_run_message(const struct lab_run *lr)
{
	const struct run *r = failed_call(lr);
	if (r)
		return r->result.status == LLM_CANCELLED ? "cancelled; the partial answer was kept" : r->result.message;
	if (lr->tr && lr->tr->cancelled)
		return "cancelled; the partial answer was kept";
	if (lr->tr && lr->tr->error[0])
		return lr->tr->error;
	if (lr->shown_only)
		return "re-opened from the history";
	const struct run *last = lr->run ? lr->run : lr->tr->ncalls ? lr->tr->calls[lr->tr->ncalls - 1].run : NULL;
	return last ? last->result.stop_reason : "";
}

void lab_run_metrics(const struct lab_run *lr, struct run_metrics *m)
{
	if (lr->shown_only) {
		*m = lr->shown_metrics;
		return;
	}
	if (lr->run) {
		run_metrics(lr->run, m);
		return;
	}
	memset(m, 0, sizeof *m);
	m->ttft_ms = -1;
	m->tokens_per_s = -1;
	m->complete = lr->finished && lab_run_status(lr) == LLM_OK;
	double gen_s = 0, cost = 0;
	int priced = 1;
	for (size_t i = 0; i < lr->tr->ncalls; i++) {
		const struct run *r = lr->tr->calls[i].run;
		if (!r)
			continue;
		struct run_metrics c;
		run_metrics(r, &c);
		if (m->ttft_ms < 0 && c.ttft_ms >= 0)
			m->ttft_ms = (double)(r->start_us - lr->start_us) / 1000.0 + c.ttft_ms;
		m->input_tokens += c.input_tokens;
		m->output_tokens += c.output_tokens;
		m->estimated |= c.estimated;
		if (c.tokens_per_s > 0)
			gen_s += (double)c.output_tokens / c.tokens_per_s;
		if (c.cost_usd < 0)
			priced = 0;
		else
			cost += c.cost_usd;
	}
	int64_t end = lr->finished ? lr->end_us : clock_us();
	m->total_ms = (double)(end - lr->start_us) / 1000.0;
	if (gen_s > 0)
		m->tokens_per_s = (double)m->output_tokens / gen_s;
	m->cost_usd = priced && lr->tr->ncalls ? cost : -1;
}

size_t lab_run_saved(const struct lab_run *lr)
{
	return lr->saved;
}

int64_t lab_run_first_saved(const struct lab_run *lr)
{
	return lr->first_saved;
}

void lab_run_sent(const struct lab_run *lr, const char **system, const struct llm_message **messages, size_t *n)
{
	const struct llm_request *rq = NULL;
	if (lr->run)
		rq = &lr->rq;
	else if (lr->tr && lr->tr->ncalls)
		rq = &lr->tr->calls[template_is_sampled(lr->tr->t) ? 0 : lr->tr->ncalls - 1].rq;
	*system = rq ? rq->system : NULL;
	*messages = rq ? rq->messages : NULL;
	*n = rq ? rq->nmessages : 0;
}

int lab_run_attempt(const struct lab_run *lr, struct lab_attempt *out)
{
	memset(out, 0, sizeof *out);
	const struct run *r = lr->run;
	if (!r && lr->tr && lr->current < lr->tr->ncalls)
		r = lr->tr->calls[lr->current].run;
	if (!r || r->finished)
		return 0;
	out->attempt = r->attempt;
	out->max = r->max_attempts;
	int64_t left = r->retry_at_us - clock_us();
	if (r->retry_at_us && left > 0) {
		out->retry_in_us = left;
		snprintf(out->reason, sizeof out->reason, "%s", r->retry_reason);
	}
	return 1;
}
