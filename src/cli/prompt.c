/* aiwb prompt ls | show | render, and the template side of aiwb ask/compare
 * (-t NAME --var k=v --vars-file F): preparing a one-call template, and
 * running chains and self-consistency templates on the loop. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/path.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "cli/askopts.h"
#include "cli/cli.h"
#include "cli/session.h"
#include "llm/run.h"
#include "prompt/runner.h"

/* ---------------------------------------------------------------- output helpers */

/* Text for the terminal: sanitized when stdout is one (or always, with safe). */
static void put_text(const char *s, int safe)
{
	if (safe) {
		char *c = sanitize_str(s, strlen(s), 0);
		fputs(c, stdout);
		free(c);
	} else {
		fputs(s, stdout);
	}
}

/* Text for a JSON string, always valid UTF-8: sanitized unless raw. */
static void add_text(cJSON *o, const char *key, const char *s, int raw)
{
	char *c = raw ? sanitize_utf8(s, strlen(s)) : sanitize_str(s, strlen(s), 0);
	cJSON_AddStringToObject(o, key, c);
	free(c);
}

static void print_json_obj(cJSON *o)
{
	char *s = cJSON_Print(o);
	puts(s);
	free(s);
	cJSON_Delete(o);
}

static int read_json_file(const char *cmd, const char *path, cJSON **out)
{
	struct err e = ERR_INIT;
	size_t len;
	char *text = path_read_file(path, &len, &e);
	if (!text)
		return cli_fail(cmd, "%s", e.msg);
	const char *end = NULL;
	cJSON *j = json_parse(text, len, JSON_DATA);
	if (!j) {
		cJSON_Delete(cJSON_ParseWithOpts(text, &end, 1)); /* for the line of the error */
		int line = 1;
		for (const char *p = text; end && p < end && *p; p++)
			line += *p == '\n';
		free(text);
		return cli_fail(cmd, "%s:%d: not valid JSON", path, line);
	}
	free(text);
	*out = j;
	return 0;
}

static cJSON *messages_json(const struct template_msgs *m)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < m->n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "role", m->v[i].role);
		add_text(o, "content", m->v[i].content, 1);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static void print_messages(const struct template_msgs *m, int safe)
{
	for (size_t i = 0; i < m->n; i++) {
		printf("%s%s:\n", i ? "\n" : "", m->v[i].role);
		put_text(m->v[i].content, safe);
		putchar('\n');
	}
}

/* ---------------------------------------------------------------- prompt ls */

static int prompt_ls(int argc, char **argv)
{
	int json = 0;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else
			return cli_usage_error("prompt", "prompt ls takes only --json, not '%s'", argv[i]);
	}
	struct template_entry *v;
	size_t n;
	struct err e = ERR_INIT;
	if (template_list(&v, &n, &e) != 0)
		return cli_fail("prompt", "%s", e.msg);
	int safe = isatty(STDOUT_FILENO);
	if (json) {
		cJSON *root = cJSON_CreateObject();
		cJSON *a = cJSON_AddArrayToObject(root, "templates");
		for (size_t i = 0; i < n; i++) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "name", v[i].name);
			cJSON_AddStringToObject(o, "technique", v[i].t ? v[i].t->technique : "");
			cJSON_AddStringToObject(o, "description", v[i].t ? v[i].t->description : "");
			cJSON_AddStringToObject(o, "source", template_source_name(v[i].source));
			cJSON_AddStringToObject(o, "path", v[i].path);
			cJSON_AddBoolToObject(o, "overrides", v[i].overrides);
			if (v[i].error)
				cJSON_AddStringToObject(o, "error", v[i].error);
			else
				cJSON_AddNullToObject(o, "error");
			cJSON_AddItemToArray(a, o);
		}
		print_json_obj(root);
	} else if (!n) {
		printf("No templates found (built-ins in %s/prompts, yours in %s/prompts).\n", path_share_dir(),
		       path_config_dir());
	} else {
		int wn = 4, wt = 9, over = 0;
		for (size_t i = 0; i < n; i++) {
			int l = (int)strlen(v[i].name), lt = v[i].t ? (int)strlen(v[i].t->technique) : 1;
			wn = l > wn ? l : wn;
			wt = lt > wt ? lt : wt;
			over |= v[i].overrides;
		}
		printf("%-*s  %-*s  %-9s  %s\n", wn, "NAME", wt, "TECHNIQUE", "SOURCE", "DESCRIPTION");
		for (size_t i = 0; i < n; i++) {
			struct buf line = BUF_INIT;
			const char *tech = v[i].t && v[i].t->technique[0] ? v[i].t->technique : "-";
			char src[16];
			snprintf(src, sizeof src, "%s%s", template_source_name(v[i].source), v[i].overrides ? "*" : "");
			buf_printf(&line, "%-*s  %-*s  %-9s  ", wn, v[i].name, wt, tech, src);
			if (v[i].t)
				buf_puts(&line, v[i].t->description);
			else
				buf_printf(&line, "cannot be loaded: %s", v[i].error);
			put_text(buf_str(&line), safe);
			putchar('\n');
			buf_free(&line);
		}
		if (over)
			printf("\n* your template in %s/prompts replaces the built-in of the same name\n",
			       path_config_dir());
	}
	template_list_free(v, n);
	return 0;
}

/* ---------------------------------------------------------------- prompt show */

static cJSON *template_json(const struct template *t)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", t->name);
	cJSON_AddStringToObject(o, "technique", t->technique);
	cJSON_AddStringToObject(o, "description", t->description);
	cJSON_AddStringToObject(o, "source", template_source_name(t->source));
	cJSON_AddStringToObject(o, "path", t->path);
	cJSON_AddBoolToObject(o, "bare", t->bare);
	cJSON *vars = cJSON_AddArrayToObject(o, "variables");
	for (size_t i = 0; i < t->nvars; i++) {
		const struct template_var *v = &t->vars[i];
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "name", v->name);
		cJSON_AddStringToObject(j, "description", v->description ? v->description : "");
		cJSON_AddStringToObject(j, "type", template_type_name(v->type));
		cJSON_AddBoolToObject(j, "required", v->required);
		cJSON_AddItemToObject(j, "default", v->def ? cJSON_Duplicate(v->def, 1) : cJSON_CreateNull());
		cJSON_AddItemToArray(vars, j);
	}
	cJSON_AddItemToObject(o, "params", template_params_json(&t->params));
	cJSON_AddItemToObject(o, "examples", t->examples ? cJSON_Duplicate(t->examples, 1) : cJSON_CreateArray());
	if (t->examples_file)
		cJSON_AddStringToObject(o, "examples_file", t->examples_file);
	else
		cJSON_AddNullToObject(o, "examples_file");
	cJSON *steps = cJSON_AddArrayToObject(o, "steps");
	for (size_t i = 0; i < t->nsteps; i++) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "name", t->steps[i].name);
		if (t->steps[i].output_var)
			cJSON_AddStringToObject(j, "output_var", t->steps[i].output_var);
		else
			cJSON_AddNullToObject(j, "output_var");
		if (t->steps[i].file)
			cJSON_AddStringToObject(j, "file", t->steps[i].file);
		else
			cJSON_AddNullToObject(j, "file");
		cJSON_AddStringToObject(j, "template", t->steps[i].text);
		cJSON_AddItemToArray(steps, j);
	}
	if (t->samples)
		cJSON_AddNumberToObject(o, "samples", t->samples);
	else
		cJSON_AddNullToObject(o, "samples");
	if (t->answer_regex)
		cJSON_AddStringToObject(o, "answer_regex", t->answer_regex);
	else
		cJSON_AddNullToObject(o, "answer_regex");
	cJSON_AddItemToObject(o, "front_matter", t->front ? cJSON_Duplicate(t->front, 1) : cJSON_CreateNull());
	add_text(o, "body", t->body, 1);
	return o;
}

static int prompt_show(int argc, char **argv)
{
	int json = 0;
	const char *name = NULL;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (argv[i][0] == '-' && argv[i][1])
			return cli_usage_error("prompt", "unknown option '%s'", argv[i]);
		else if (name)
			return cli_usage_error("prompt", "prompt show takes one template name");
		else
			name = argv[i];
	}
	if (!name)
		return cli_usage_error("prompt", "prompt show needs a template name ('aiwb prompt ls' lists them)");
	struct err e = ERR_INIT;
	struct template *t = template_open(name, NULL, &e);
	if (!t)
		return cli_fail("prompt", "%s", e.msg);
	if (json) {
		print_json_obj(template_json(t));
	} else {
		put_text(t->text, isatty(STDOUT_FILENO));
		if (t->text[0] && t->text[strlen(t->text) - 1] != '\n')
			putchar('\n');
	}
	template_free(t);
	return 0;
}

/* ---------------------------------------------------------------- prompt render */

struct vars_in {
	const char **sets;
	size_t nsets;
	const char *vars_file, *data_file;
};

/* Loads the --vars-file and --data objects and binds; 0 or an exit status. */
static int bind_vars(const char *cmd, const struct template *t, const struct vars_in *in, cJSON **out)
{
	cJSON *layers[2] = { NULL, NULL };
	int rc = 0;
	if (in->data_file && (rc = read_json_file(cmd, in->data_file, &layers[0])) != 0)
		return rc;
	if (in->vars_file && (rc = read_json_file(cmd, in->vars_file, &layers[1])) != 0) {
		cJSON_Delete(layers[0]);
		return rc;
	}
	struct err e = ERR_INIT;
	*out = template_bind(t, (const cJSON *const *)layers, 2, in->sets, in->nsets, &e);
	cJSON_Delete(layers[0]);
	cJSON_Delete(layers[1]);
	if (!*out)
		return cli_usage_error(cmd, "%s", e.msg);
	return 0;
}

static int render_chain(const struct template *t, cJSON *vars, int json, int safe)
{
	cJSON *root = json ? cJSON_CreateObject() : NULL, *steps = NULL;
	if (root) {
		cJSON_AddStringToObject(root, "template", t->name);
		steps = cJSON_AddArrayToObject(root, "steps");
	}
	for (size_t i = 0; i < t->nsteps; i++) {
		const struct template_step *s = &t->steps[i];
		for (size_t j = 0; j < i; j++) {
			const char *ov = t->steps[j].output_var;
			if (!cJSON_GetObjectItemCaseSensitive(vars, ov)) {
				char *ph = xasprintf("<the answer of step %s>", t->steps[j].name);
				cJSON_AddStringToObject(vars, ov, ph);
				free(ph);
			}
		}
		struct template_msgs m = { NULL, 0 };
		struct err e = ERR_INIT;
		if (template_render(t, (int)i, vars, &m, &e) != 0) {
			cJSON_Delete(root);
			return cli_fail("prompt", "%s", e.msg);
		}
		if (root) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "name", s->name);
			if (s->output_var)
				cJSON_AddStringToObject(o, "output_var", s->output_var);
			else
				cJSON_AddNullToObject(o, "output_var");
			cJSON_AddItemToObject(o, "messages", messages_json(&m));
			cJSON_AddItemToArray(steps, o);
		} else {
			printf("%s=== step %zu/%zu: %s%s%s ===\n", i ? "\n" : "", i + 1, t->nsteps, s->name,
			       s->output_var ? " -> " : "", s->output_var ? s->output_var : "");
			print_messages(&m, safe);
		}
		template_msgs_free(&m);
	}
	if (root) {
		cJSON_AddItemToObject(root, "params", template_params_json(&t->params));
		print_json_obj(root);
	}
	return 0;
}

static int prompt_render(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "var", required_argument, NULL, 'V' },      { "vars-file", required_argument, NULL, 'F' },
		{ "data", required_argument, NULL, 'D' },     { "partials", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },           { NULL, 0, NULL, 0 },
	};
	struct vars_in in = { NULL, 0, NULL, NULL };
	const char *partials = NULL;
	int json = 0, ch, rc = 0;
	opterr = 0;
	optind = 1;
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 'V':
			if (!strchr(optarg, '=') || optarg[0] == '=') {
				free(in.sets);
				return cli_usage_error("prompt", "--var takes NAME=VALUE, not '%s'", optarg);
			}
			in.sets = xreallocarray(in.sets, in.nsets + 1, sizeof *in.sets);
			in.sets[in.nsets++] = optarg;
			break;
		case 'F': in.vars_file = optarg; break;
		case 'D': in.data_file = optarg; break;
		case 'P': partials = optarg; break;
		case 'j': json = 1; break;
		case ':': free(in.sets); return cli_usage_error("prompt", "%s needs a value", argv[optind - 1]);
		default: free(in.sets); return cli_usage_error("prompt", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 1) {
		free(in.sets);
		return cli_usage_error("prompt", "prompt render takes one template name or file");
	}
	if (partials && !path_is_dir(partials)) {
		free(in.sets);
		return cli_fail("prompt", "--partials %s is not a directory", partials);
	}
	struct err e = ERR_INIT;
	struct template *t = template_open(argv[optind], partials, &e);
	cJSON *vars = NULL;
	int safe = isatty(STDOUT_FILENO);
	if (!t) {
		rc = cli_fail("prompt", "%s", e.msg);
		goto out;
	}
	if ((rc = bind_vars("prompt", t, &in, &vars)) != 0)
		goto out;
	if (template_is_chain(t)) {
		rc = render_chain(t, vars, json, safe);
		goto out;
	}
	struct template_msgs m = { NULL, 0 };
	if (template_render(t, -1, vars, &m, &e) != 0) {
		rc = cli_fail("prompt", "%s", e.msg);
		goto out;
	}
	if (json) {
		cJSON *root = cJSON_CreateObject();
		cJSON_AddStringToObject(root, "template", t->name);
		if (t->bare)
			add_text(root, "text", m.n ? m.v[0].content : "", 1);
		cJSON_AddItemToObject(root, "messages", messages_json(&m));
		cJSON_AddItemToObject(root, "params", template_params_json(&t->params));
		if (t->samples) {
			cJSON_AddNumberToObject(root, "samples", t->samples);
			if (t->answer_regex)
				cJSON_AddStringToObject(root, "answer_regex", t->answer_regex);
		}
		print_json_obj(root);
	} else if (t->bare) {
		put_text(m.n ? m.v[0].content : "", safe);
	} else {
		print_messages(&m, safe);
	}
	template_msgs_free(&m);
out:
	fflush(stdout);
	cJSON_Delete(vars);
	template_free(t);
	free(in.sets);
	return rc;
}

int cmd_prompt(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error("prompt", "give a subcommand: ls, show NAME or render NAME|FILE");
	if (!strcmp(argv[1], "ls"))
		return prompt_ls(argc, argv);
	if (!strcmp(argv[1], "show"))
		return prompt_show(argc, argv);
	if (!strcmp(argv[1], "render"))
		return prompt_render(argc, argv);
	return cli_usage_error("prompt", "unknown subcommand '%s' (ls, show, render)", argv[1]);
}

/* ---------------------------------------------------------------- ask/compare -t */

int ask_template_prepare(struct ask_template *at, struct ask_opts *o)
{
	struct err e = ERR_INIT;
	memset(at, 0, sizeof *at);
	if (!(at->t = template_open(o->template, NULL, &e)))
		return cli_fail(o->cmd, "%s", e.msg);
	const struct template *t = at->t;
	if (strcmp(o->cmd, "ask") && (template_is_chain(t) || template_is_sampled(t)))
		return cli_usage_error(o->cmd, "template %s runs several calls (%s); run it with aiwb ask", t->name,
				       template_is_chain(t) ? "a chain of steps" : "samples and a vote");
	struct vars_in in = { NULL, 0, o->vars_file, NULL };
	char *from_prompt = NULL;
	in.sets = xcalloc(o->nvars + 1, sizeof *in.sets);
	for (size_t i = 0; i < o->nvars; i++)
		in.sets[in.nsets++] = o->vars[i];
	if (o->has_prompt) {
		if (!t->nvars) {
			free(in.sets);
			return cli_usage_error(o->cmd, "template %s declares no variables, so the prompt has nowhere to go; use --var",
					       t->name);
		}
		const char *first = t->vars[0].name;
		size_t n = strlen(first);
		for (size_t i = 0; i < o->nvars; i++) {
			if (!strncmp(o->vars[i], first, n) && o->vars[i][n] == '=') {
				free(in.sets);
				return cli_usage_error(o->cmd, "%s is given twice: as --var and as the prompt", first);
			}
		}
		from_prompt = xasprintf("%s=%s", first, buf_str(&o->prompt));
		in.sets[in.nsets++] = from_prompt;
	}
	int rc = bind_vars(o->cmd, t, &in, &at->vars);
	free(from_prompt);
	free(in.sets);
	if (rc)
		return rc;
	template_merge_params(t, &o->params);
	if (template_is_chain(t) || template_is_sampled(t))
		return 0;
	if (template_render(t, -1, at->vars, &at->msgs, &e) != 0)
		return cli_fail(o->cmd, "%s", e.msg);
	at->messages = template_llm_messages(&at->msgs, &at->nmessages, &at->system);
	if (!at->nmessages)
		return cli_fail(o->cmd, "template %s renders no user message", t->name);
	if (!o->system)
		o->system = at->system;
	return 0;
}

void ask_template_free(struct ask_template *at)
{
	template_free(at->t);
	cJSON_Delete(at->vars);
	template_msgs_free(&at->msgs);
	free(at->messages);
	free(at->system);
	memset(at, 0, sizeof *at);
}

struct tmpl_run {
	const struct ask_opts *o;
	struct session *s;
	struct template_runner *tr;
	struct sanitizer san;
	struct buf out;
	size_t printed;
	int ended_nl;
	int out_failed;
};

static int show_stream(const struct tmpl_run *x, const struct template_runner *tr)
{
	return !x->o->json && template_is_chain(tr->t);
}

/* From the loop, not from inside curl's write callback where text arrives. */
static int64_t stop_unwritable(struct loop *l, int64_t id, void *ud)
{
	struct tmpl_run *x = ud;
	(void)l;
	(void)id;
	if (x->tr && !x->tr->finished)
		template_runner_cancel(x->tr);
	return LOOP_TIMER_DONE;
}

static void emit(struct tmpl_run *x, const char *p, size_t n)
{
	buf_reset(&x->out);
	if (x->o->raw)
		buf_append(&x->out, p, n);
	else
		sanitize_feed(&x->san, p, n, &x->out);
	if (x->out.len && !x->out_failed) {
		errno = 0;
		if (fwrite(x->out.data, 1, x->out.len, stdout) != x->out.len || fflush(stdout) != 0) {
			/* nobody reads the steps any more: stop paying for them */
			x->out_failed = 1;
			cli_stdout_failed(errno);
			loop_add_timer(x->s->loop, 0, stop_unwritable, x);
		}
		x->ended_nl = x->out.data[x->out.len - 1] == '\n';
	}
}

static void on_start(struct template_runner *tr, size_t i, void *ud)
{
	struct tmpl_run *x = ud;
	x->printed = 0;
	if (!show_stream(x, tr))
		return;
	printf("%s=== step %zu/%zu: %s ===\n", i ? "\n" : "", i + 1, tr->t->nsteps, tr->calls[i].label);
	fflush(stdout);
	x->ended_nl = 1;
}

static void on_text(struct template_runner *tr, size_t i, void *ud)
{
	struct tmpl_run *x = ud;
	const struct run *r = tr->calls[i].run;
	if (!show_stream(x, tr) || !x->o->stream || !r)
		return;
	emit(x, r->text.data + x->printed, r->text.len - x->printed);
	x->printed = r->text.len;
}

static void on_run_done(struct template_runner *tr, size_t i, void *ud)
{
	struct tmpl_run *x = ud;
	const struct run *r = tr->calls[i].run;
	if (!show_stream(x, tr) || !r)
		return;
	if (x->printed < r->text.len)
		emit(x, r->text.data + x->printed, r->text.len - x->printed);
	x->printed = r->text.len;
	if (!x->o->raw) {
		buf_reset(&x->out);
		sanitize_finish(&x->san, &x->out);
		fwrite(x->out.data ? x->out.data : "", 1, x->out.len, stdout);
	}
	if (!x->ended_nl)
		putchar('\n');
	x->ended_nl = 1;
	fflush(stdout);
}

static void on_done(struct template_runner *tr, void *ud)
{
	struct tmpl_run *x = ud;
	(void)tr;
	loop_stop(x->s->loop);
}

static void on_interrupt(void *ud)
{
	struct tmpl_run *x = ud;
	if (x->tr)
		template_runner_cancel(x->tr);
}

static void print_metrics(const struct template_call *c)
{
	struct run_metrics m;
	run_metrics(c->run, &m);
	char cost[32] = "price unknown";
	if (m.cost_usd >= 0)
		snprintf(cost, sizeof cost, "$%.6f", m.cost_usd);
	fprintf(stderr, "%s: %s, %.0f ms total, %lld in / %lld out tokens%s, %s\n", c->label, c->run->model,
		m.total_ms, (long long)m.input_tokens, (long long)m.output_tokens, m.estimated ? " (estimated)" : "",
		cost);
}

static cJSON *call_json(const struct template_call *c, int raw)
{
	char *js = run_json(c->run, !raw);
	cJSON *o = cJSON_Parse(js);
	free(js);
	return o ? o : cJSON_CreateObject();
}

static void print_result_json(const struct template_runner *tr, const char *model_spec, int raw)
{
	const struct template *t = tr->t;
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "template", t->name);
	cJSON_AddStringToObject(root, "model", model_spec);
	if (template_is_chain(t)) {
		cJSON *a = cJSON_AddArrayToObject(root, "steps");
		for (size_t i = 0; i < tr->ncalls; i++) {
			const struct template_call *c = &tr->calls[i];
			cJSON *o = c->run ? call_json(c, raw) : cJSON_CreateObject();
			cJSON_AddStringToObject(o, "step", c->label);
			if (t->steps[i].output_var)
				cJSON_AddStringToObject(o, "output_var", t->steps[i].output_var);
			else
				cJSON_AddNullToObject(o, "output_var");
			cJSON_AddItemToArray(a, o);
		}
		add_text(root, "text", template_runner_answer(tr), raw);
		const struct template_call *last = tr->ncalls ? &tr->calls[tr->ncalls - 1] : NULL;
		cJSON_AddBoolToObject(root, "complete", tr->ncalls == t->nsteps && last->run &&
								last->run->result.status == LLM_OK && !tr->error[0]);
	} else {
		if (tr->ntally)
			add_text(root, "answer", tr->tally[0].answer, raw);
		else
			cJSON_AddNullToObject(root, "answer");
		cJSON *votes = cJSON_AddArrayToObject(root, "votes");
		for (size_t i = 0; i < tr->ntally; i++) {
			cJSON *o = cJSON_CreateObject();
			add_text(o, "answer", tr->tally[i].answer, raw);
			cJSON_AddNumberToObject(o, "votes", (double)tr->tally[i].votes);
			cJSON_AddItemToArray(votes, o);
		}
		cJSON_AddNumberToObject(root, "no_answer", (double)tr->no_answer);
		cJSON *a = cJSON_AddArrayToObject(root, "samples");
		for (size_t i = 0; i < tr->ncalls; i++) {
			const struct template_call *c = &tr->calls[i];
			cJSON *o = c->run ? call_json(c, raw) : cJSON_CreateObject();
			if (c->answer)
				add_text(o, "answer", c->answer, raw);
			else
				cJSON_AddNullToObject(o, "answer");
			cJSON_AddItemToArray(a, o);
		}
	}
	if (tr->error[0])
		cJSON_AddStringToObject(root, "error", tr->error);
	print_json_obj(root);
}

static void print_votes(const struct template_runner *tr, int raw)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s\nvotes: %zu of %zu (", tr->tally[0].answer, tr->tally[0].votes, tr->ncalls);
	for (size_t i = 0; i < tr->ntally; i++)
		buf_printf(&b, "%s%s: %zu", i ? ", " : "", tr->tally[i].answer, tr->tally[i].votes);
	buf_printf(&b, "; no answer: %zu)\n", tr->no_answer);
	put_text(buf_str(&b), !raw);
	buf_free(&b);
}

int ask_template_run(struct ask_template *at, const struct ask_opts *o, struct session *s, struct provider *p,
		     const char *model_spec, const char *model)
{
	static const struct template_runner_cb cb = { on_start, on_text, on_run_done, on_done };
	struct tmpl_run x;
	memset(&x, 0, sizeof x);
	x.o = o;
	x.s = s;
	x.ended_nl = 1;
	sanitize_init(&x.san, 0);
	struct template_runner_opts ro = {
		.loop = s->loop, .provider = p, .catalog = &s->catalog, .model_spec = model_spec, .model = model,
		.system = o->system, .params = o->params, .stream = o->stream,
	};
	struct err e = ERR_INIT;
	s->on_interrupt = on_interrupt;
	s->ud = &x;
	x.tr = template_runner_start(at->t, at->vars, &ro, &cb, &x, &e);
	if (!x.tr) {
		buf_free(&x.out);
		return cli_fail(o->cmd, "%s", e.msg);
	}
	if (!x.tr->finished)
		loop_run(s->loop);
	struct template_runner *tr = x.tr;
	const struct template_call *failed = NULL;
	char *tmpl = template_history_json(at->t, at->vars);
	for (size_t i = 0; i < tr->ncalls; i++) {
		const struct template_call *c = &tr->calls[i];
		if (!c->run)
			continue;
		session_save(s, c->run, &c->rq, o->cmd, tmpl);
		if (!failed && c->run->result.status != LLM_OK)
			failed = c;
	}
	free(tmpl);
	if (o->json)
		print_result_json(tr, model_spec, o->raw);
	else if (template_is_sampled(tr->t) && tr->ntally)
		print_votes(tr, o->raw);
	fflush(stdout);
	if (!o->json && isatty(STDERR_FILENO))
		for (size_t i = 0; i < tr->ncalls; i++)
			if (tr->calls[i].run)
				print_metrics(&tr->calls[i]);
	int rc = 0;
	if (x.out_failed) {
		rc = 1; /* said once by cli_close_stdout */
	} else if (s->interrupted || tr->cancelled) {
		fprintf(stderr, "aiwb %s: cancelled; the partial answers were kept in history\n", o->cmd);
		rc = session_interrupt_status(s);
	} else if (failed) {
		const char *msg = failed->run->result.message;
		rc = cli_fail(o->cmd, "%s: %s", failed->label, msg[0] ? msg : "the call failed");
	} else if (tr->error[0]) {
		rc = cli_fail(o->cmd, "%s", tr->error);
	} else if (template_is_sampled(tr->t) && !tr->ntally) {
		rc = cli_fail(o->cmd, "no sample gave an answer%s%s%s", tr->t->answer_regex ? " matching answer_regex '" : "",
			      tr->t->answer_regex ? tr->t->answer_regex : "", tr->t->answer_regex ? "'" : "");
	}
	if (!rc && s->unsaved)
		rc = 1;
	template_runner_free(tr);
	buf_free(&x.out);
	return rc;
}
