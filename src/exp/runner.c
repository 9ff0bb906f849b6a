#include "exp/runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/json.h"
#include "base/log.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "llm/limit.h"
#include "llm/run.h"
#include "prompt/bind.h"
#include "prompt/render.h"
#include "store/expstore.h"

/* One provider the experiment uses: opened on first use, shared by its models. */
struct pslot {
	char *name;
	struct provider *p;
	int tried;
	char error[1024];
	const struct exp_limit *lim;
	struct limit *limit;
	int blocked;               /* this pump pass: cannot start more */
	struct exp_run *x;
};

enum job_state { JOB_WAITING, JOB_RUNNING, JOB_DONE, JOB_CANCELLED };

struct job {
	size_t index, row, prompt, kb, model;
	int has_kb;                /* kb is one of spec->kbs: the case retrieves */
	enum job_state state;
	struct run *run;
	struct llm_request rq;
	struct template_msgs msgs;
	struct llm_message *messages;
	char *system;
	cJSON *vars;
	cJSON *kb_record;          /* what its retrieval used (exp/retrieve.h), or NULL */
	struct pslot *ps;
	struct exp_run *x;
};

struct exp_run {
	const struct exp_spec *spec;
	struct exp_run_opts o;
	struct exp_run_cb cb;
	void *ud;
	int64_t id, created_ms;
	char *file;
	cJSON *info;               /* the spec column */
	struct job *jobs;
	size_t njobs, first_waiting, done, stored;
	struct pslot *slots;
	size_t nslots;
	char **model_ids;          /* the MODEL part of each model */
	struct llm_params *params; /* per prompt: the file's, the template filling gaps */
	int concurrency, inflight;
	int stopping, finished;
	int busy;                  /* inside finish_job: on_done waits for its on_case */
	cJSON **cases;             /* by job index; NULL when not finished */
	char *store_error;         /* why a case could not be stored; the work stopped */
};

static void pump(struct exp_run *x);
static void stop_all(struct exp_run *x);

static struct pslot *slot_for(struct exp_run *x, const char *name)
{
	for (size_t i = 0; i < x->nslots; i++)
		if (!strcmp(x->slots[i].name, name))
			return &x->slots[i];
	return NULL;
}

static void free_job_request(struct job *j)
{
	template_msgs_free(&j->msgs);
	free(j->messages);
	free(j->system);
	j->messages = NULL;
	j->system = NULL;
}

static void progress_of(const struct exp_run *x, struct exp_progress *p)
{
	p->done = x->done;
	p->total = x->njobs;
	p->running = x->inflight;
}

/* ---------------------------------------------------------------- case objects */

static void add_metrics(cJSON *c, const struct run *r)
{
	struct run_metrics m;
	run_metrics(r, &m);
	metrics_json_add(c, &m, METRICS_JSON_FLAT);
}

static void add_utf8(cJSON *o, const char *k, const char *s)
{
	char *v = sanitize_utf8(s, strlen(s));
	cJSON_AddStringToObject(o, k, v);
	free(v);
}

/* The case object of a finished job (exp/report.h). */
static cJSON *case_object(struct exp_run *x, struct job *j, const char *error)
{
	const struct exp_spec *sp = x->spec;
	cJSON *c = cJSON_CreateObject();
	cJSON_AddNumberToObject(c, "index", (double)j->index);
	cJSON_AddNumberToObject(c, "row", (double)j->row);
	cJSON_AddStringToObject(c, "prompt", sp->prompts[j->prompt].name);
	cJSON_AddStringToObject(c, "model", sp->models[j->model]);
	cJSON_AddItemToObject(c, "vars", cJSON_Duplicate(sp->row[j->row], 1));
	if (j->has_kb) {
		cJSON *kb = j->kb_record ? cJSON_Duplicate(j->kb_record, 1) : cJSON_CreateObject();
		if (!j->kb_record)
			cJSON_AddStringToObject(kb, "label", sp->kbs[j->kb].label);
		cJSON_AddItemToObject(c, "kb", kb);
	}
	const struct run *r = j->run;
	int ok = r && r->result.status == LLM_OK;
	cJSON *asserts = cJSON_CreateArray();
	int passed = ok;
	if (ok) {
		struct run_metrics m;
		run_metrics(r, &m);
		struct exp_measure me = { buf_str(&r->text), m.total_ms, m.cost_usd };
		const cJSON *vars = sp->row[j->row];
		for (size_t i = 0; i < sp->nasserts; i++) {
			struct exp_check ck;
			exp_assert_check(&sp->asserts[i], vars, &me, &ck);
			cJSON *a = cJSON_CreateObject();
			cJSON_AddStringToObject(a, "type", exp_assert_type_name(sp->asserts[i].type));
			add_utf8(a, "value", ck.value);
			cJSON_AddBoolToObject(a, "passed", ck.passed);
			add_utf8(a, "reason", ck.reason);
			cJSON_AddItemToArray(asserts, a);
			passed &= ck.passed;
			exp_check_free(&ck);
		}
	}
	cJSON_AddStringToObject(c, "status", !ok ? "error" : passed ? "pass" : "fail");
	cJSON_AddNullToObject(c, "run_id");
	if (r) {
		cJSON_AddStringToObject(c, "run_status", run_status_name(r->result.status));
		if (r->result.message[0])
			add_utf8(c, "error", r->result.message);
		else
			cJSON_AddNullToObject(c, "error");
		add_metrics(c, r);
	} else {
		cJSON_AddNullToObject(c, "run_status");
		add_utf8(c, "error", error ? error : "the case did not run");
		struct run_metrics none = { .ttft_ms = -1, .tokens_per_s = -1, .cost_usd = -1 };
		metrics_json_add(c, &none, METRICS_JSON_FLAT);
	}
	cJSON_AddItemToObject(c, "assertions", asserts);
	return c;
}

/* The history row's params: where the call came from. */
static char *history_params(const struct exp_run *x, const struct job *j)
{
	const struct exp_prompt *pr = &x->spec->prompts[j->prompt];
	cJSON *extra = cJSON_CreateObject();
	cJSON_AddNumberToObject(extra, "experiment", (double)x->id);
	cJSON_AddNumberToObject(extra, "case", (double)j->index);
	cJSON_AddNumberToObject(extra, "row", (double)j->row);
	cJSON_AddStringToObject(extra, "prompt", pr->name);
	if (!pr->is_inline)
		cJSON_AddStringToObject(extra, "template", pr->t->name);
	cJSON_AddItemToObject(extra, "vars", cJSON_Duplicate(j->vars, 1));
	if (j->kb_record)
		cJSON_AddItemToObject(extra, "kb", cJSON_Duplicate(j->kb_record, 1));
	char *ep = cJSON_PrintUnformatted(extra);
	cJSON_Delete(extra);
	return ep;
}

/* ---------------------------------------------------------------- the jobs */

static void finish_job(struct exp_run *x, struct job *j, const char *error)
{
	if (j->run && j->run->result.status == LLM_CANCELLED && x->stopping) {
		j->state = JOB_CANCELLED;
	} else {
		j->state = JOB_DONE;
		x->done++;
		cJSON *c = case_object(x, j, error);
		struct err e = ERR_INIT;
		struct db_run row;
		if (j->run) {
			char *ep = history_params(x, j);
			run_row(j->run, &j->rq, "experiment", ep, &row);
			free(ep);
		}
		if (expstore_add_case_run(x->o.db, x->id, c, j->run ? &row : NULL, &e) == 0) {
			x->stored++;
		} else if (!x->store_error) {
			/* what cannot be stored is not worth paying for: stop */
			log_warn("experiment %lld: case %zu not stored: %s", (long long)x->id, j->index, err_msg(&e));
			x->store_error = xasprintf("case %zu could not be stored: %s", j->index, err_msg(&e));
			x->busy++;
			stop_all(x);
			x->busy--;
		}
		if (j->run)
			run_row_free(&row);
		x->cases[j->index] = c;
		if (x->cb.on_case) {
			struct exp_progress p;
			progress_of(x, &p);
			x->cb.on_case(c, &p, x->ud);
		}
	}
	run_free(j->run);
	j->run = NULL;
	free_job_request(j);
	cJSON_Delete(j->vars);
	j->vars = NULL;
	cJSON_Delete(j->kb_record);
	j->kb_record = NULL;
}

static void on_run_done(struct run *r, void *ud)
{
	struct job *j = ud;
	struct exp_run *x = j->x;
	(void)r;
	x->inflight--;
	limit_release(j->ps->limit);
	finish_job(x, j, NULL);
	pump(x);
}

/* The variables the prompt gets from a row: all of them for inline text, the
 * declared ones for a template that declares some (other columns serve the
 * assertions). */
static cJSON *prompt_layer(const struct template *t, const cJSON *row)
{
	if (t->bare || !t->nvars)
		return cJSON_Duplicate(row, 1);
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < t->nvars; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, t->vars[i].name);
		if (v)
			cJSON_AddItemToObject(o, t->vars[i].name, cJSON_Duplicate(v, 1));
	}
	return o;
}

/* Renders the request of (prompt, row) with context (NULL: no kb) into
 * *vars, msgs, *messages (*n of them) and *system; -1 with e. */
static int render_case(const struct exp_spec *sp, size_t prompt, size_t row_index, const char *context, cJSON **vars,
		       struct template_msgs *msgs, struct llm_message **messages, size_t *n, char **system,
		       struct err *e)
{
	const struct template *t = sp->prompts[prompt].t;
	cJSON *row = cJSON_Duplicate(sp->row[row_index], 1);
	if (context) {
		cJSON_DeleteItemFromObjectCaseSensitive(row, "context");
		cJSON_AddStringToObject(row, "context", context);
	}
	cJSON *layer = prompt_layer(t, row);
	cJSON_Delete(row);
	const cJSON *layers[] = { layer };
	struct err be = ERR_INIT;
	*vars = template_bind(t, layers, 1, NULL, 0, &be);
	cJSON_Delete(layer);
	if (!*vars)
		return err_set(e, "dataset row %zu: %s", row_index, be.msg);
	if (template_render(t, -1, *vars, msgs, e) != 0)
		return -1;
	*n = 0;
	*messages = template_llm_messages(msgs, n, system);
	if (!*n)
		return err_set(e, "prompt %s renders no user message for row %zu", sp->prompts[prompt].name, row_index);
	return 0;
}

int exp_case_prompt_chars(const struct exp_spec *spec, size_t prompt, size_t row, const char *context, size_t *chars,
			  struct err *e)
{
	cJSON *vars = NULL;
	struct template_msgs msgs;
	memset(&msgs, 0, sizeof msgs);
	struct llm_message *messages = NULL;
	char *system = NULL;
	size_t n = 0;
	int rc = render_case(spec, prompt, row, context, &vars, &msgs, &messages, &n, &system, e);
	if (rc == 0) {
		struct llm_request rq;
		memset(&rq, 0, sizeof rq);
		rq.system = spec->system ? spec->system : system;
		rq.messages = messages;
		rq.nmessages = n;
		*chars = run_prompt_chars(&rq);
	}
	template_msgs_free(&msgs);
	free(messages);
	free(system);
	cJSON_Delete(vars);
	return rc;
}

void exp_prompt_params(const struct exp_spec *spec, size_t prompt, struct llm_params *out)
{
	*out = spec->params;
	template_merge_params(spec->prompts[prompt].t, out);
}

/* 0 started; -1 finished at once with the reason in e. */
static int start_job(struct exp_run *x, struct job *j, struct err *e)
{
	const struct exp_spec *sp = x->spec;
	struct pslot *ps = j->ps;
	if (!ps->p)
		return err_set(e, "%s", ps->error);
	char *context = NULL;
	if (j->has_kb) {
		if (!x->o.retrieve)
			return err_set(e, "the kb settings were not prepared");
		if (exp_retrieve_case(x->o.retrieve, j->kb, j->row, &context, &j->kb_record, e) != 0)
			return -1;
	}
	size_t n = 0;
	int rc = render_case(sp, j->prompt, j->row, context, &j->vars, &j->msgs, &j->messages, &n, &j->system, e);
	free(context);
	if (rc != 0)
		return -1;
	memset(&j->rq, 0, sizeof j->rq);
	j->rq.model = x->model_ids[j->model];
	j->rq.system = sp->system ? sp->system : j->system;
	j->rq.messages = j->messages;
	j->rq.nmessages = n;
	j->rq.params = x->params[j->prompt];
	j->rq.stream = 1;
	j->run = run_start(x->o.loop, ps->p, sp->models[j->model], &j->rq, x->o.catalog, NULL, on_run_done, j, e);
	return j->run ? 0 : -1;
}

static void open_slot(struct exp_run *x, struct pslot *ps)
{
	struct err e = ERR_INIT;
	ps->tried = 1;
	ps->p = provider_open(x->o.cfg, ps->name, &e);
	if (!ps->p)
		snprintf(ps->error, sizeof ps->error, "%s", e.msg);
}

static void check_finished(struct exp_run *x)
{
	if (x->finished || x->busy || x->inflight || (x->done < x->njobs && !x->stopping))
		return;
	x->finished = 1;
	for (size_t i = 0; i < x->nslots; i++)
		limit_cancel_wait(x->slots[i].limit);
	if (x->cb.on_done)
		x->cb.on_done(x->ud);
}

/* Starts what the limits allow (a provider's limit calls back when its rate
 * allows the next start); on_done when nothing is left. */
static void pump(struct exp_run *x)
{
	for (size_t i = 0; i < x->nslots; i++)
		x->slots[i].blocked = 0;
	size_t open = x->nslots;
	while (x->first_waiting < x->njobs && x->jobs[x->first_waiting].state != JOB_WAITING)
		x->first_waiting++;
	for (size_t i = x->first_waiting; !x->stopping && i < x->njobs && x->inflight < x->concurrency && open; i++) {
		struct job *j = &x->jobs[i];
		struct pslot *ps = j->ps;
		if (j->state != JOB_WAITING || ps->blocked)
			continue;
		if (!ps->tried)
			open_slot(x, ps);
		if (ps->p && limit_acquire(ps->limit) != LIMIT_OK) {
			ps->blocked = 1;
			open--;
			continue;
		}
		struct err e = ERR_INIT;
		j->state = JOB_RUNNING;
		if (start_job(x, j, &e) != 0) {
			if (ps->p)
				limit_undo(ps->limit);
			finish_job(x, j, e.msg);
			continue;
		}
		x->inflight++;
		if (x->cb.on_start) {
			struct exp_progress p;
			progress_of(x, &p);
			x->cb.on_start(j->index, &p, x->ud);
		}
	}
	check_finished(x);
}

static void on_limit_ready(struct limit *lim, void *ud)
{
	struct pslot *ps = ud;
	(void)lim;
	pump(ps->x);
}

static void stop_all(struct exp_run *x)
{
	x->stopping = 1;
	for (size_t i = 0; i < x->nslots; i++)
		limit_cancel_wait(x->slots[i].limit);
	for (size_t i = 0; i < x->njobs; i++)
		if (x->jobs[i].state == JOB_RUNNING && x->jobs[i].run)
			run_cancel(x->jobs[i].run);
}

void exp_run_cancel(struct exp_run *x)
{
	stop_all(x);
	check_finished(x);
}

/* ---------------------------------------------------------------- setting up */

static cJSON *spec_info(const struct exp_spec *sp, int concurrency, size_t planned)
{
	cJSON *info = cJSON_CreateObject();
	if (sp->description)
		cJSON_AddStringToObject(info, "description", sp->description);
	else
		cJSON_AddNullToObject(info, "description");
	cJSON_AddItemToObject(info, "models", json_string_array((const char *const *)sp->models, sp->nmodels));
	cJSON *prompts = cJSON_AddArrayToObject(info, "prompts");
	for (size_t i = 0; i < sp->nprompts; i++)
		cJSON_AddItemToArray(prompts, cJSON_CreateString(sp->prompts[i].name));
	if (sp->dataset)
		cJSON_AddStringToObject(info, "dataset", sp->dataset);
	else
		cJSON_AddNullToObject(info, "dataset");
	cJSON_AddNumberToObject(info, "rows", cJSON_GetArraySize(sp->rows));
	cJSON_AddNumberToObject(info, "planned", (double)planned);
	cJSON_AddNumberToObject(info, "concurrency", concurrency);
	if (sp->nkbs)
		cJSON_AddItemToObject(info, "kb", exp_retrieve_settings_json(sp));
	cJSON *asserts = cJSON_AddArrayToObject(info, "assert");
	for (size_t i = 0; i < sp->nasserts; i++) {
		cJSON *a = cJSON_CreateObject();
		cJSON_AddStringToObject(a, exp_assert_type_name(sp->asserts[i].type), sp->asserts[i].value);
		cJSON_AddItemToArray(asserts, a);
	}
	return info;
}

struct exp_run *exp_run_new(const struct exp_spec *spec, const char *file, const struct exp_run_opts *o,
			    const struct exp_run_cb *cb, void *ud, struct err *e)
{
	struct exp_run *x = xcalloc(1, sizeof *x);
	x->spec = spec;
	x->o = *o;
	if (cb)
		x->cb = *cb;
	x->ud = ud;
	x->file = xstrdup(file);
	x->concurrency = o->concurrency ? o->concurrency : spec->concurrency;
	size_t nrows = (size_t)cJSON_GetArraySize(spec->rows);
	x->njobs = exp_spec_cases(spec);
	x->jobs = xcalloc(x->njobs ? x->njobs : 1, sizeof *x->jobs);
	x->cases = xcalloc(x->njobs ? x->njobs : 1, sizeof *x->cases);
	x->model_ids = xcalloc(spec->nmodels ? spec->nmodels : 1, sizeof *x->model_ids);
	x->slots = xcalloc(spec->nmodels ? spec->nmodels : 1, sizeof *x->slots);
	size_t *model_slot = xcalloc(spec->nmodels ? spec->nmodels : 1, sizeof *model_slot);
	for (size_t m = 0; m < spec->nmodels; m++) {
		char *prov = NULL;
		provider_split_model(spec->models[m], &prov, &x->model_ids[m], NULL);
		struct pslot *ps = slot_for(x, prov);
		if (!ps) {
			ps = &x->slots[x->nslots++];
			ps->name = prov;
			ps->x = x;
			ps->lim = exp_spec_limit(spec, prov);
			ps->limit = limit_new(o->loop, ps->lim ? ps->lim->concurrency : 0, ps->lim ? ps->lim->rpm : 0,
					      on_limit_ready, ps);
		} else {
			free(prov);
		}
		model_slot[m] = (size_t)(ps - x->slots);
	}
	x->params = xcalloc(spec->nprompts ? spec->nprompts : 1, sizeof *x->params);
	for (size_t p = 0; p < spec->nprompts; p++)
		exp_prompt_params(spec, p, &x->params[p]);
	size_t k = 0;
	for (size_t r = 0; r < nrows; r++)
		for (size_t p = 0; p < spec->nprompts; p++)
			for (size_t b = 0; b < (spec->prompts[p].nkb ? spec->prompts[p].nkb : 1); b++)
				for (size_t m = 0; m < spec->nmodels; m++, k++) {
					struct job *j = &x->jobs[k];
					j->index = k;
					j->row = r;
					j->prompt = p;
					j->has_kb = spec->prompts[p].nkb > 0;
					j->kb = spec->prompts[p].kb_first + b;
					j->model = m;
					j->ps = &x->slots[model_slot[m]];
					j->x = x;
				}
	free(model_slot);
	x->info = spec_info(spec, x->concurrency, x->njobs);
	x->created_ms = clock_wall_ms();
	x->id = expstore_create(o->db, spec->name, file, x->info, x->created_ms, e);
	if (x->id < 0) {
		exp_run_free(x);
		return NULL;
	}
	return x;
}

void exp_run_start(struct exp_run *x)
{
	pump(x);
}

/* ---------------------------------------------------------------- the end */

int exp_run_finished(const struct exp_run *x)
{
	return x->finished;
}

int64_t exp_run_id(const struct exp_run *x)
{
	return x->id;
}

void exp_run_progress(const struct exp_run *x, struct exp_progress *p)
{
	progress_of(x, p);
}

const char *exp_run_store_error(const struct exp_run *x)
{
	return x->store_error;
}

int exp_run_set_status(struct exp_run *x, const char *status, const char *reason, struct err *e)
{
	if (expstore_set_status(x->o.db, x->id, status, reason, e) == 0)
		return 0;
	log_warn("experiment %lld: status %s not saved: %s", (long long)x->id, status, err_msg(e));
	return -1;
}

cJSON *exp_run_doc(const struct exp_run *x, const char *status, const char *reason)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddNumberToObject(doc, "id", (double)x->id);
	cJSON_AddStringToObject(doc, "name", x->spec->name);
	cJSON_AddStringToObject(doc, "file", x->file);
	cJSON_AddNumberToObject(doc, "created_ms", (double)x->created_ms);
	cJSON_AddStringToObject(doc, "status", status);
	const cJSON *it;
	cJSON_ArrayForEach(it, x->info)
		cJSON_AddItemToObject(doc, it->string, cJSON_Duplicate(it, 1));
	if (reason)
		cJSON_AddStringToObject(doc, "reason", reason);
	cJSON *cases = cJSON_AddArrayToObject(doc, "cases");
	for (size_t i = 0; i < x->njobs; i++)
		if (x->cases[i]) {
			/* as stored, so the numbers are those `show` reads back */
			char *text = cJSON_PrintUnformatted(x->cases[i]);
			cJSON_AddItemToArray(cases, cJSON_Parse(text));
			free(text);
		}
	return doc;
}

void exp_run_free(struct exp_run *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->njobs; i++) {
		run_free(x->jobs[i].run);
		free_job_request(&x->jobs[i]);
		cJSON_Delete(x->jobs[i].vars);
		cJSON_Delete(x->jobs[i].kb_record);
		cJSON_Delete(x->cases[i]);
	}
	for (size_t i = 0; i < x->nslots; i++) {
		provider_free(x->slots[i].p);
		limit_free(x->slots[i].limit);
		free(x->slots[i].name);
	}
	for (size_t m = 0; m < x->spec->nmodels; m++)
		free(x->model_ids[m]);
	free(x->model_ids);
	free(x->slots);
	free(x->params);
	free(x->jobs);
	free(x->cases);
	free(x->store_error);
	free(x->file);
	cJSON_Delete(x->info);
	free(x);
}
