/* aiwb prompt ls | show | render: the arguments and the printing; the
 * templates are prompt/template.h, prompt/prepare.h and prompt/render.h. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "cli/cli.h"
#include "cli/out.h"
#include "prompt/prepare.h"
#include "prompt/render.h"
#include "prompt/template.h"

/* ---------------------------------------------------------------- output helpers */

static cJSON *messages_json(const struct template_msgs *m)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < m->n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "role", m->v[i].role);
		cli_json_text(o, "content", m->v[i].content, 1);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static void print_messages(const struct template_msgs *m, int safe)
{
	for (size_t i = 0; i < m->n; i++) {
		printf("%s%s:\n", i ? "\n" : "", m->v[i].role);
		cli_put_text(m->v[i].content, safe);
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
		cli_print_json(root);
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
			cli_put_text(buf_str(&line), safe);
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
	cli_json_text(o, "body", t->body, 1);
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
		cli_print_json(template_json(t));
	} else {
		cli_put_text(t->text, isatty(STDOUT_FILENO));
		if (t->text[0] && t->text[strlen(t->text) - 1] != '\n')
			putchar('\n');
	}
	template_free(t);
	return 0;
}

/* ---------------------------------------------------------------- prompt render */

/* Binds t's variables from the command line; 0 or an exit status. */
static int bind_vars(const struct template *t, const struct template_input *in, cJSON **out)
{
	struct err e = ERR_INIT;
	int rc = template_bind_input(t, in, out, &e);
	return rc == PREP_OK ? 0 : cli_error("prompt", rc == PREP_USAGE, e.msg);
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
		cli_print_json(root);
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
	struct template_input in = { NULL, 0, NULL, NULL, NULL };
	const char **sets = NULL;
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
				free(sets);
				return cli_usage_error("prompt", "--var takes NAME=VALUE, not '%s'", optarg);
			}
			sets = xreallocarray(sets, in.nsets + 1, sizeof *sets);
			sets[in.nsets++] = optarg;
			in.sets = sets;
			break;
		case 'F': in.vars_file = optarg; break;
		case 'D': in.data_file = optarg; break;
		case 'P': partials = optarg; break;
		case 'j': json = 1; break;
		case ':': free(sets); return cli_usage_error("prompt", "%s needs a value", argv[optind - 1]);
		default: free(sets); return cli_usage_error("prompt", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 1) {
		free(sets);
		return cli_usage_error("prompt", "prompt render takes one template name or file");
	}
	if (partials && !path_is_dir(partials)) {
		free(sets);
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
	if ((rc = bind_vars(t, &in, &vars)) != 0)
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
			cli_json_text(root, "text", m.n ? m.v[0].content : "", 1);
		cJSON_AddItemToObject(root, "messages", messages_json(&m));
		cJSON_AddItemToObject(root, "params", template_params_json(&t->params));
		if (t->samples) {
			cJSON_AddNumberToObject(root, "samples", t->samples);
			if (t->answer_regex)
				cJSON_AddStringToObject(root, "answer_regex", t->answer_regex);
		}
		cli_print_json(root);
	} else if (t->bare) {
		cli_put_text(m.n ? m.v[0].content : "", safe);
	} else {
		print_messages(&m, safe);
	}
	template_msgs_free(&m);
out:
	fflush(stdout);
	cJSON_Delete(vars);
	template_free(t);
	free(sets);
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
