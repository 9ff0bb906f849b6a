/* aiwb experiment: run an experiment file (cases x prompts x models) on the
 * event loop under a global and per-provider concurrency and request-rate
 * limit, store every case as it finishes, and print the results; show, list.
 * docs/experiments.md has the file format, the JSON and the rules. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/path.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "cli/cli.h"
#include "session.h"
#include "exp/report.h"
#include "exp/spec.h"
#include "llm/run.h"
#include "store/expstore.h"

#define LIST_MAX 10000

struct outputs {
	int json;
	const char *csv, *markdown;  /* file names, "-" for stdout */
};

/* One provider the experiment uses: opened on first use, shared by its models. */
struct pslot {
	char *name;
	struct provider *p;
	int tried;
	char error[1024];
	const struct exp_limit *lim;
	int inflight;
	int64_t next_ms;           /* rpm: the earliest next start */
	int blocked;               /* this pump pass: cannot start more */
};

enum job_state { JOB_WAITING, JOB_RUNNING, JOB_DONE, JOB_CANCELLED };

struct job {
	size_t index, row, prompt, model;
	enum job_state state;
	struct run *run;
	struct llm_request rq;
	struct template_msgs msgs;
	struct llm_message *messages;
	char *system;
	cJSON *vars;
	struct pslot *ps;
	struct exp *x;
};

struct exp {
	struct session *s;
	struct exp_spec *spec;
	int64_t id;
	struct job *jobs;
	size_t njobs, first_waiting, done, stored;
	struct pslot *slots;
	size_t nslots;
	size_t *model_slot;        /* model index -> slot */
	char **model_ids;          /* the MODEL part of each model */
	struct llm_params *params; /* per prompt: the file's, the template filling gaps */
	int concurrency, inflight;
	int stopping;
	int64_t timer, timer_at;   /* a request-rate wait: its id and when it fires */
	int tty;
	cJSON **cases;             /* by job index; NULL when not finished */
	char *store_error;         /* why a case could not be stored; the work stopped */
};

static void pump(struct exp *x);

static struct pslot *slot_for(struct exp *x, const char *name)
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

static void stop_all(struct exp *x);

static void add_metrics(cJSON *c, const struct run *r)
{
	struct run_metrics m;
	run_metrics(r, &m);
	metrics_json_add(c, &m, METRICS_JSON_FLAT);
}

static const char *run_status_name(enum llm_status s)
{
	switch (s) {
	case LLM_OK: return "ok";
	case LLM_CUT: return "cut";
	case LLM_CANCELLED: return "cancelled";
	case LLM_ERROR: break;
	}
	return "error";
}

static void add_utf8(cJSON *o, const char *k, const char *s)
{
	char *v = sanitize_utf8(s, strlen(s));
	cJSON_AddStringToObject(o, k, v);
	free(v);
}

/* The case object of a finished job (exp/report.h). */
static cJSON *case_object(struct exp *x, struct job *j, const char *error)
{
	const struct exp_spec *sp = x->spec;
	cJSON *c = cJSON_CreateObject();
	cJSON_AddNumberToObject(c, "index", (double)j->index);
	cJSON_AddNumberToObject(c, "row", (double)j->row);
	cJSON_AddStringToObject(c, "prompt", sp->prompts[j->prompt].name);
	cJSON_AddStringToObject(c, "model", sp->models[j->model]);
	cJSON_AddItemToObject(c, "vars", cJSON_Duplicate(sp->row[j->row], 1));
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

static void progress(struct exp *x, const cJSON *c)
{
	size_t total = x->njobs;
	if (x->tty) {
		fprintf(stderr, "\r\033[K[%zu/%zu] %d running", x->done, total, x->inflight);
		if (x->done == total)
			fputc('\n', stderr);
		fflush(stderr);
		return;
	}
	char *why = exp_report_case_reason(c);
	char *safe = sanitize_str(why, strlen(why), 0);
	for (char *p = safe; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	const cJSON *ms = cJSON_GetObjectItemCaseSensitive(c, "total_ms");
	const cJSON *model = cJSON_GetObjectItemCaseSensitive(c, "model");
	fprintf(stderr, "[%zu/%zu] case %.0f, row %.0f, %s: %s (%.0f ms)\n", x->done, total,
		cJSON_GetObjectItemCaseSensitive(c, "index")->valuedouble,
		cJSON_GetObjectItemCaseSensitive(c, "row")->valuedouble, model->valuestring, safe,
		cJSON_IsNumber(ms) ? ms->valuedouble : 0);
	free(why);
	free(safe);
}

static void finish_job(struct exp *x, struct job *j, const char *error)
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
			cJSON *extra = cJSON_CreateObject();
			cJSON_AddNumberToObject(extra, "experiment", (double)x->id);
			cJSON_AddNumberToObject(extra, "case", (double)j->index);
			cJSON_AddNumberToObject(extra, "row", (double)j->row);
			cJSON_AddStringToObject(extra, "prompt", x->spec->prompts[j->prompt].name);
			const struct template *t = x->spec->prompts[j->prompt].t;
			if (!x->spec->prompts[j->prompt].is_inline)
				cJSON_AddStringToObject(extra, "template", t->name);
			cJSON_AddItemToObject(extra, "vars", cJSON_Duplicate(j->vars, 1));
			char *ep = cJSON_PrintUnformatted(extra);
			cJSON_Delete(extra);
			run_row(j->run, &j->rq, "experiment", ep, &row);
			free(ep);
		}
		if (expstore_add_case_run(x->s->db, x->id, c, j->run ? &row : NULL, &e) == 0) {
			x->stored++;
		} else if (!x->store_error) {
			/* what cannot be stored is not worth paying for: stop */
			log_warn("experiment %lld: case %zu not stored: %s", (long long)x->id, j->index, err_msg(&e));
			x->store_error = xasprintf("case %zu could not be stored: %s", j->index, err_msg(&e));
			stop_all(x);
		}
		if (j->run)
			run_row_free(&row);
		x->cases[j->index] = c;
		progress(x, c);
	}
	run_free(j->run);
	j->run = NULL;
	free_job_request(j);
	cJSON_Delete(j->vars);
	j->vars = NULL;
}

static void on_done(struct run *r, void *ud)
{
	struct job *j = ud;
	struct exp *x = j->x;
	(void)r;
	x->inflight--;
	j->ps->inflight--;
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

/* 0 started; -1 finished at once with the reason in e. */
static int start_job(struct exp *x, struct job *j, struct err *e)
{
	const struct exp_spec *sp = x->spec;
	const struct template *t = sp->prompts[j->prompt].t;
	struct pslot *ps = j->ps;
	if (!ps->p)
		return err_set(e, "%s", ps->error);
	cJSON *layer = prompt_layer(t, sp->row[j->row]);
	const cJSON *layers[] = { layer };
	struct err be = ERR_INIT;
	j->vars = template_bind(t, layers, 1, NULL, 0, &be);
	cJSON_Delete(layer);
	if (!j->vars)
		return err_set(e, "dataset row %zu: %s", j->row, be.msg);
	if (template_render(t, -1, j->vars, &j->msgs, e) != 0)
		return -1;
	size_t n = 0;
	j->messages = template_llm_messages(&j->msgs, &n, &j->system);
	if (!n)
		return err_set(e, "prompt %s renders no user message for row %zu", sp->prompts[j->prompt].name, j->row);
	memset(&j->rq, 0, sizeof j->rq);
	j->rq.model = x->model_ids[j->model];
	j->rq.system = sp->system ? sp->system : j->system;
	j->rq.messages = j->messages;
	j->rq.nmessages = n;
	j->rq.params = x->params[j->prompt];
	j->rq.stream = 1;
	j->run = run_start(x->s->loop, ps->p, sp->models[j->model], &j->rq, &x->s->catalog, NULL, on_done, j, e);
	return j->run ? 0 : -1;
}

static int64_t on_timer(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct exp *x = ud;
	x->timer = 0;
	pump(x);
	return LOOP_TIMER_DONE;
}

static void open_slot(struct exp *x, struct pslot *ps)
{
	struct err e = ERR_INIT;
	ps->tried = 1;
	ps->p = provider_open(&x->s->cfg, ps->name, &e);
	if (!ps->p)
		snprintf(ps->error, sizeof ps->error, "%s", e.msg);
}

/* Starts what the limits allow; arms a timer for a request-rate wait; stops
 * the loop when nothing is left. */
static void pump(struct exp *x)
{
	int64_t now = clock_ms(), wake = -1;
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
		if (ps->p && ps->lim && ps->lim->concurrency && ps->inflight >= ps->lim->concurrency) {
			ps->blocked = 1;
			open--;
			continue;
		}
		if (ps->p && ps->lim && ps->lim->rpm > 0 && now < ps->next_ms) {
			ps->blocked = 1;
			open--;
			if (wake < 0 || ps->next_ms < wake)
				wake = ps->next_ms;
			continue;
		}
		struct err e = ERR_INIT;
		j->state = JOB_RUNNING;
		if (start_job(x, j, &e) != 0) {
			finish_job(x, j, e.msg);
			continue;
		}
		x->inflight++;
		ps->inflight++;
		if (ps->lim && ps->lim->rpm > 0)
			ps->next_ms = now + (int64_t)(60000.0 / ps->lim->rpm + 0.5);
	}
	if (wake >= 0 && !x->stopping && (!x->timer || wake < x->timer_at)) {
		if (x->timer)
			loop_del_timer(x->s->loop, x->timer);
		x->timer = loop_add_timer(x->s->loop, wake - now, on_timer, x);
		x->timer_at = wake;
	}
	int all_done = x->done == x->njobs;
	if (x->inflight == 0 && (all_done || x->stopping))
		loop_stop(x->s->loop);
}

/* No new call starts; the calls in flight are cancelled. */
static void stop_all(struct exp *x)
{
	x->stopping = 1;
	if (x->timer) {
		loop_del_timer(x->s->loop, x->timer);
		x->timer = 0;
	}
	for (size_t i = 0; i < x->njobs; i++)
		if (x->jobs[i].state == JOB_RUNNING && x->jobs[i].run)
			run_cancel(x->jobs[i].run);
	if (x->inflight == 0)
		loop_stop(x->s->loop);
}

static void on_interrupt(void *ud)
{
	stop_all(ud);
}

/* ---------------------------------------------------------------- output */

static FILE *open_out(const char *name, struct err *e)
{
	if (!strcmp(name, "-"))
		return stdout;
	FILE *f = fopen(name, "w");
	if (!f)
		err_errno(e, "cannot write %s", name);
	return f;
}

static int close_out(FILE *f, const char *name, struct err *e)
{
	if (f == stdout)
		return fflush(f) == 0 ? 0 : err_errno(e, "cannot write to standard output");
	int bad = ferror(f);
	if (fclose(f) != 0 || bad)
		return err_errno(e, "cannot write %s", name);
	return 0;
}

static int write_file(const char *cmd, const char *name, void (*fn)(FILE *, const cJSON *), const cJSON *doc)
{
	struct err e = ERR_INIT;
	FILE *f = open_out(name, &e);
	if (!f || (fn(f, doc), close_out(f, name, &e)) != 0)
		return cli_fail(cmd, "%s; check the path", e.msg);
	return 0;
}

static int print_doc(const char *cmd, const struct outputs *o, cJSON *doc)
{
	exp_report_finish(doc);
	int rc = 0;
	int to_stdout = (o->csv && !strcmp(o->csv, "-")) || (o->markdown && !strcmp(o->markdown, "-"));
	if (o->json) {
		char *s = cJSON_Print(doc);
		puts(s);
		free(s);
	} else if (!to_stdout) {
		exp_report_text(stdout, doc);
	}
	if (o->csv)
		rc |= write_file(cmd, o->csv, exp_report_csv, doc);
	if (o->markdown)
		rc |= write_file(cmd, o->markdown, exp_report_markdown, doc);
	fflush(stdout);
	return rc;
}

/* 0 all passed, 1 a case failed or errored. */
static int verdict(const cJSON *doc)
{
	const cJSON *sum = cJSON_GetObjectItemCaseSensitive(doc, "summary");
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(sum, "failed"), *er = cJSON_GetObjectItemCaseSensitive(sum, "errors");
	return (cJSON_IsNumber(f) && f->valuedouble > 0) || (cJSON_IsNumber(er) && er->valuedouble > 0);
}

/* ---------------------------------------------------------------- run */

static cJSON *spec_info(const struct exp_spec *sp, int concurrency, size_t planned)
{
	cJSON *info = cJSON_CreateObject();
	if (sp->description)
		cJSON_AddStringToObject(info, "description", sp->description);
	else
		cJSON_AddNullToObject(info, "description");
	cJSON *models = cJSON_AddArrayToObject(info, "models");
	for (size_t i = 0; i < sp->nmodels; i++)
		cJSON_AddItemToArray(models, cJSON_CreateString(sp->models[i]));
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
	cJSON *asserts = cJSON_AddArrayToObject(info, "assert");
	for (size_t i = 0; i < sp->nasserts; i++) {
		cJSON *a = cJSON_CreateObject();
		cJSON_AddStringToObject(a, exp_assert_type_name(sp->asserts[i].type), sp->asserts[i].value);
		cJSON_AddItemToArray(asserts, a);
	}
	return info;
}

static char *absolute(const char *path)
{
	char *real = realpath(path, NULL);
	return real ? real : xstrdup(path);
}

static int run_experiment(const char *file, int concurrency, const struct outputs *o)
{
	struct exp_spec spec;
	struct err e = ERR_INIT;
	if (exp_spec_load(&spec, file, &e) != 0) {
		exp_spec_free(&spec);
		return cli_fail("experiment", "%s", e.msg);
	}
	struct session s;
	if (session_open(&s, 1, &e) != 0) {
		session_close(&s);
		exp_spec_free(&spec);
		return cli_fail("experiment", "%s", e.msg);
	}
	static struct exp x;
	memset(&x, 0, sizeof x);
	x.s = &s;
	x.spec = &spec;
	x.concurrency = concurrency ? concurrency : spec.concurrency;
	x.tty = isatty(STDERR_FILENO);
	size_t nrows = (size_t)cJSON_GetArraySize(spec.rows);
	x.njobs = nrows * spec.nprompts * spec.nmodels;
	x.jobs = xcalloc(x.njobs, sizeof *x.jobs);
	x.cases = xcalloc(x.njobs, sizeof *x.cases);
	x.model_slot = xcalloc(spec.nmodels, sizeof *x.model_slot);
	x.model_ids = xcalloc(spec.nmodels, sizeof *x.model_ids);
	x.slots = xcalloc(spec.nmodels, sizeof *x.slots);
	for (size_t m = 0; m < spec.nmodels; m++) {
		char *prov = NULL;
		provider_split_model(spec.models[m], &prov, &x.model_ids[m], NULL);
		struct pslot *ps = slot_for(&x, prov);
		if (!ps) {
			ps = &x.slots[x.nslots++];
			ps->name = prov;
			ps->lim = exp_spec_limit(&spec, prov);
		} else {
			free(prov);
		}
		x.model_slot[m] = (size_t)(ps - x.slots);
	}
	x.params = xcalloc(spec.nprompts, sizeof *x.params);
	for (size_t p = 0; p < spec.nprompts; p++) {
		x.params[p] = spec.params;
		template_merge_params(spec.prompts[p].t, &x.params[p]);
	}
	size_t k = 0;
	for (size_t r = 0; r < nrows; r++)
		for (size_t p = 0; p < spec.nprompts; p++)
			for (size_t m = 0; m < spec.nmodels; m++, k++) {
				struct job *j = &x.jobs[k];
				j->index = k;
				j->row = r;
				j->prompt = p;
				j->model = m;
				j->ps = &x.slots[x.model_slot[m]];
				j->x = &x;
			}
	char *abs = absolute(file);
	cJSON *info = spec_info(&spec, x.concurrency, x.njobs);
	int64_t created = clock_wall_ms();
	x.id = expstore_create(s.db, spec.name, abs, info, created, &e);
	int rc;
	if (x.id < 0) {
		rc = cli_fail("experiment", "cannot store the experiment: %s", e.msg);
		goto out;
	}
	s.on_interrupt = on_interrupt;
	s.ud = &x;
	pump(&x);
	if (x.inflight)
		loop_run(s.loop);
	if (x.timer)
		loop_del_timer(s.loop, x.timer);
	if (x.tty && x.done < x.njobs)
		fputc('\n', stderr);
	const char *status = x.store_error ? "failed" : s.interrupted ? "interrupted" : "finished";
	char *reason = x.store_error ? xstrdup(x.store_error)
		     : s.interrupted ? xasprintf("stopped by a signal (%s)", strsignal(s.signo)) : NULL;
	struct err se = ERR_INIT;
	int status_saved = expstore_set_status(s.db, x.id, status, reason, &se) == 0;
	if (!status_saved)
		log_warn("experiment %lld: status %s not saved: %s", (long long)x.id, status, se.msg);
	if (x.store_error)
		fprintf(stderr, "aiwb experiment: stopped after %zu of %zu cases because %s; experiment %lld %s%s%s\n",
			x.done, x.njobs, x.store_error, (long long)x.id,
			status_saved ? "is marked failed" : "could not be marked failed either (", status_saved ? "" : se.msg,
			status_saved ? "" : ")");
	else if (s.interrupted)
		fprintf(stderr, "aiwb experiment: interrupted; %zu of %zu cases finished and were kept (experiment %lld)\n",
			x.done, x.njobs, (long long)x.id);
	if (!status_saved && !x.store_error)
		fprintf(stderr, "aiwb experiment: the experiment's status was not saved: %s\n", se.msg);

	cJSON *doc = cJSON_CreateObject();
	cJSON_AddNumberToObject(doc, "id", (double)x.id);
	cJSON_AddStringToObject(doc, "name", spec.name);
	cJSON_AddStringToObject(doc, "file", abs);
	cJSON_AddNumberToObject(doc, "created_ms", (double)created);
	cJSON_AddStringToObject(doc, "status", status);
	if (reason)
		cJSON_AddStringToObject(info, "reason", reason);
	free(reason);
	const cJSON *it;
	cJSON_ArrayForEach(it, info)
		cJSON_AddItemToObject(doc, it->string, cJSON_Duplicate(it, 1));
	cJSON *cases = cJSON_AddArrayToObject(doc, "cases");
	for (size_t i = 0; i < x.njobs; i++)
		if (x.cases[i]) {
			/* as stored, so the numbers are those `show` reads back */
			char *text = cJSON_PrintUnformatted(x.cases[i]);
			cJSON_AddItemToArray(cases, cJSON_Parse(text));
			free(text);
		}
	rc = print_doc("experiment", o, doc);
	if (x.store_error)
		rc = 1;
	else if (!rc)
		rc = s.interrupted ? session_interrupt_status(&s) : verdict(doc);
	cJSON_Delete(doc);
out:
	cJSON_Delete(info);
	free(abs);
	for (size_t i = 0; i < x.njobs; i++) {
		run_free(x.jobs[i].run);
		free_job_request(&x.jobs[i]);
		cJSON_Delete(x.jobs[i].vars);
		cJSON_Delete(x.cases[i]);
	}
	for (size_t i = 0; i < x.nslots; i++) {
		provider_free(x.slots[i].p);
		free(x.slots[i].name);
	}
	for (size_t m = 0; m < spec.nmodels; m++)
		free(x.model_ids[m]);
	free(x.model_ids);
	free(x.model_slot);
	free(x.slots);
	free(x.params);
	free(x.jobs);
	free(x.cases);
	free(x.store_error);
	session_close(&s);
	exp_spec_free(&spec);
	return rc;
}

/* ---------------------------------------------------------------- show, ls */

static int show_experiment(int64_t id, const struct outputs *o)
{
	struct err e = ERR_INIT;
	int missing = 0;
	struct db *db = session_existing_db(&missing, &e);
	if (!db) {
		if (missing)
			return cli_fail("experiment", "there is no experiment %lld (no experiment has run in %s yet)",
					(long long)id, path_data_home());
		return cli_fail("experiment", "%s", e.msg);
	}
	cJSON *doc = expstore_load(db, id, &missing, &e);
	db_close(db);
	if (!doc)
		return cli_fail("experiment", "%s", e.msg);
	int rc = print_doc("experiment", o, doc);
	if (!rc) {
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(doc, "status");
		rc = cJSON_IsString(st) && strcmp(st->valuestring, "finished") ? 1 : verdict(doc);
	}
	cJSON_Delete(doc);
	return rc;
}

static int list_experiments(int json)
{
	struct err e = ERR_INIT;
	int missing = 0;
	struct db *db = session_existing_db(&missing, &e);
	if (!db && !missing)
		return cli_fail("experiment", "%s", e.msg);
	cJSON *list = db ? expstore_list(db, LIST_MAX, &e) : cJSON_CreateArray();
	if (db)
		db_close(db);
	if (!list)
		return cli_fail("experiment", "%s", e.msg);
	if (json) {
		cJSON *root = cJSON_CreateObject();
		cJSON_AddItemToObject(root, "experiments", list);
		char *s = cJSON_Print(root);
		puts(s);
		free(s);
		cJSON_Delete(root);
		return 0;
	}
	printf("%6s  %-16s  %-11s  %6s  %6s  %s\n", "id", "created", "status", "cases", "passed", "name");
	const cJSON *it;
	cJSON_ArrayForEach(it, list) {
		char when[32];
		time_t t = (time_t)(cJSON_GetObjectItemCaseSensitive(it, "created_ms")->valuedouble / 1000);
		struct tm tm;
		if (!localtime_r(&t, &tm) || !strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm))
			snprintf(when, sizeof when, "?");
		const char *name = cJSON_GetObjectItemCaseSensitive(it, "name")->valuestring;
		char *safe = sanitize_str(name, strlen(name), 0);
		printf("%6.0f  %-16s  %-11s  %6.0f  %6.0f  %s\n", cJSON_GetObjectItemCaseSensitive(it, "id")->valuedouble,
		       when, cJSON_GetObjectItemCaseSensitive(it, "status")->valuestring,
		       cJSON_GetObjectItemCaseSensitive(it, "cases")->valuedouble,
		       cJSON_GetObjectItemCaseSensitive(it, "passed")->valuedouble, safe);
		free(safe);
	}
	cJSON_Delete(list);
	return 0;
}

int cmd_experiment(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "csv", required_argument, NULL, 'c' },
		{ "markdown", required_argument, NULL, 'M' },
		{ "concurrency", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	struct outputs o = { 0, NULL, NULL };
	int concurrency = 0, ch;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': o.json = 1; break;
		case 'c': o.csv = optarg; break;
		case 'M': o.markdown = optarg; break;
		case 'C': {
			char *end;
			errno = 0;
			long n = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || n < 1 || n > EXP_MAX_CONCURRENCY)
				return cli_usage_error("experiment", "--concurrency must be a whole number from 1 to %d",
						       EXP_MAX_CONCURRENCY);
			concurrency = (int)n;
			break;
		}
		case ':': return cli_usage_error("experiment", "%s needs a value", argv[optind - 1]);
		default: return cli_usage_error("experiment", "unknown option '%s'", argv[optind - 1]);
		}
	}
	int nargs = argc - optind;
	const char *sub = nargs ? argv[optind] : NULL;
	if (!sub)
		return cli_usage_error("experiment", "say what to do: run FILE, show ID or ls");
	if (o.json && ((o.csv && !strcmp(o.csv, "-")) || (o.markdown && !strcmp(o.markdown, "-"))))
		return cli_usage_error("experiment", "--json and a '-' output both want standard output; give a file name");
	if (o.csv && o.markdown && !strcmp(o.csv, "-") && !strcmp(o.markdown, "-"))
		return cli_usage_error("experiment", "--csv - and --markdown - both want standard output; give a file name");
	if (!strcmp(sub, "run")) {
		if (nargs != 2)
			return cli_usage_error("experiment", nargs < 2 ? "experiment run needs the experiment FILE"
								       : "experiment run takes one FILE");
		return run_experiment(argv[optind + 1], concurrency, &o);
	}
	if (concurrency)
		return cli_usage_error("experiment", "--concurrency goes with experiment run");
	if (!strcmp(sub, "show")) {
		if (nargs != 2)
			return cli_usage_error("experiment", nargs < 2 ? "experiment show needs an experiment ID"
								       : "experiment show takes one ID");
		const char *v = argv[optind + 1];
		char *end;
		errno = 0;
		long long id = strtoll(v, &end, 10);
		if (*v < '0' || *v > '9' || errno || *end || id < 1)
			return cli_usage_error("experiment", "the experiment ID must be a number such as 3 (as 'aiwb experiment ls' lists)");
		return show_experiment(id, &o);
	}
	if (!strcmp(sub, "ls")) {
		if (nargs != 1 || o.csv || o.markdown)
			return cli_usage_error("experiment", "experiment ls takes only --json");
		return list_experiments(o.json);
	}
	return cli_usage_error("experiment", "unknown experiment command '%s' (run, show or ls)", sub);
}
