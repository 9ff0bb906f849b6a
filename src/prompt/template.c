#include "prompt/template.h"

#include <ctype.h>
#include <dirent.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/json.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "base/yamldoc.h"
#include "prompt/roles.h"

#define MAX_EXAMPLES 1000
#define MAX_KEYS 256

/* ---------------------------------------------------------------- small helpers */

static int valid_ident(const char *s)
{
	if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* A name that may become a file name: letters, digits, '.', '_', '-', not starting with '.'. */
static int valid_name(const char *s)
{
	if (!s || !*s || *s == '.')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return 0;
	return 1;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static char *file_stem(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strrchr(base, '.');
	return dot && dot != base ? xstrndup(base, (size_t)(dot - base)) : xstrdup(base);
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}


/* ---------------------------------------------------------------- Mustache glue */

static const char *load_partial(void *ud, const char *name, size_t *len)
{
	struct template *t = ud;
	if (!valid_name(name) || strstr(name, ".."))
		return NULL;
	char *file = xasprintf("%s.mustache", name);
	char *path = path_join(t->partials_dir, file);
	size_t n = 0;
	struct err re = ERR_INIT;
	char *text = path_read_file(path, &n, &re);
	free(file);
	/* a partial that is absent renders as nothing (the spec); one that is
	 * there but unusable is an error, never silently empty */
	if (!text && path_exists(path) && !t->partial_error)
		t->partial_error = xasprintf("partial '%s': %s", name, re.msg);
	else if (text && (n > TEMPLATE_MAX_FILE || memchr(text, '\0', n)) && !t->partial_error)
		t->partial_error = xasprintf("partial '%s': %s %s", name, path,
					     n > TEMPLATE_MAX_FILE ? "is too large" : "holds a NUL byte; is this a text file?");
	free(path);
	if (!text || n > TEMPLATE_MAX_FILE || memchr(text, '\0', n)) {
		free(text);
		return NULL;
	}
	buf_reset(&t->partial);
	if (t->bare)
		buf_append(&t->partial, text, n);
	else
		roles_mark(text, n, &t->partial);
	free(text);
	*len = t->partial.len;
	return t->partial.data ? t->partial.data : "";
}

int template_mustache_error(struct err *e, const char *file, int line0, const char *what, const char *msg)
{
	unsigned l, c;
	int used = 0;
	if (sscanf(msg, "line %u, column %u: %n", &l, &c, &used) == 2 && used > 0)
		return err_set(e, "%s:%d:%u: %s%s", file, line0 + (int)l - 1, c, what, msg + used);
	return err_set(e, "%s:%d: %s%s", file, line0, what, msg);
}

static struct mustache *compile(struct template *t, const char *text, size_t len, const char *file, int line0,
				const char *what, struct err *e)
{
	struct mustache_opts o = MUSTACHE_OPTS_INIT;
	o.escape_html = false;
	o.empty_string_falsey = !t->bare;
	o.partial = load_partial;
	o.ud = t;
	struct buf b = BUF_INIT;
	if (t->bare)
		buf_append(&b, text, len);
	else
		roles_mark(text, len, &b);
	struct err me = ERR_INIT;
	struct mustache *m = mustache_parse(b.data ? b.data : "", b.len, &o, &me);
	buf_free(&b);
	if (!m)
		template_mustache_error(e, file, line0, what, me.msg);
	else if (t->partial_error) {
		err_set(e, "%s:%d: %s%s", file, line0, what, t->partial_error);
		mustache_free(m);
		m = NULL;
	}
	return m;
}

/* ---------------------------------------------------------------- YAML front matter */

struct loader {
	struct yamldoc yd;
	struct template *t;
};

/* A null scalar (empty, ~, null) is empty text here. */
static int get_text(struct yamldoc *yd, const yaml_node_t *n, const char *what, char **out)
{
	if (yamldoc_text(yd, n, what, out) != 0)
		return -1;
	if (yamldoc_is_null(n))
		**out = '\0';
	return 0;
}

static cJSON *default_value(struct loader *ld, const struct template_var *v, yaml_node_t *n)
{
	const char *s = yamldoc_scalar(n);
	double d;
	int b;
	switch (v->type) {
	case TEMPLATE_STRING:
		if (s)
			return cJSON_CreateString(yamldoc_is_null(n) ? "" : s);
		yamldoc_error(&ld->yd, n, "the default of variable '%s' must be text", v->name);
		return NULL;
	case TEMPLATE_NUMBER:
		if (s && yamldoc_parse_number(s, &d) == 0)
			return cJSON_CreateNumber(d);
		yamldoc_error(&ld->yd, n, "the default of variable '%s' must be a number", v->name);
		return NULL;
	case TEMPLATE_BOOLEAN:
		if (s && yamldoc_parse_bool(s, &b) == 0)
			return cJSON_CreateBool(b);
		yamldoc_error(&ld->yd, n, "the default of variable '%s' must be true or false", v->name);
		return NULL;
	case TEMPLATE_JSON: break;
	}
	return yamldoc_json(&ld->yd, n);
}

struct var_nodes {
	struct template_var *v;
	yaml_node_t *def, *type;
};

static int var_pair(struct yamldoc *yd, const char *key, yaml_node_t *k, yaml_node_t *n, void *ud)
{
	struct var_nodes *vn = ud;
	if (!strcmp(key, "name"))
		return get_text(yd, n, "a variable's name", &vn->v->name);
	if (!strcmp(key, "description"))
		return get_text(yd, n, "a variable's description", &vn->v->description);
	if (!strcmp(key, "required"))
		return yamldoc_bool(yd, n, "required", &vn->v->required);
	if (!strcmp(key, "default")) {
		vn->def = n;
		return 0;
	}
	if (!strcmp(key, "type")) {
		vn->type = n;
		return 0;
	}
	return yamldoc_error(yd, k,
			     "unknown key '%s' in a variable (known: name, description, type, default, required)", key);
}

static int parse_var(struct loader *ld, yaml_node_t *n, struct template_var *v)
{
	struct var_nodes vn = { v, NULL, NULL };
	if (n->type == YAML_SCALAR_NODE) {
		v->name = xstrdup(yamldoc_scalar(n));
	} else if (n->type != YAML_MAPPING_NODE) {
		return yamldoc_error(&ld->yd, n,
				     "a variable is a name or a mapping {name, description, type, default, required}");
	} else if (yamldoc_each_pair(&ld->yd, n, "a variable", var_pair, &vn) != 0) {
		return -1;
	}
	if (!v->name)
		return yamldoc_error(&ld->yd, n, "a variable needs a name");
	if (!valid_ident(v->name))
		return yamldoc_error(&ld->yd, n,
				     "variable name '%s' must be letters, digits and '_', not starting with a digit",
				     v->name);
	if (!strcmp(v->name, "examples"))
		return yamldoc_error(&ld->yd, n,
				     "'examples' is the list of few-shot examples; give the variable another name");
	if (vn.type) {
		static const char *const names[] = { "string", "number", "boolean", "json" };
		const char *s = yamldoc_scalar(vn.type);
		size_t i = 0;
		while (s && i < 4 && strcmp(s, names[i]))
			i++;
		if (!s || i == 4)
			return yamldoc_error(&ld->yd, vn.type,
					     "the type of variable '%s' must be string, number, boolean or json",
					     v->name);
		v->type = (enum template_type)i;
	}
	if (vn.def && !(v->def = default_value(ld, v, vn.def)))
		return -1;
	return 0;
}

static int parse_vars(struct loader *ld, yaml_node_t *n)
{
	struct template *t = ld->t;
	if (n->type != YAML_SEQUENCE_NODE)
		return yamldoc_is_null(n) ? 0 : yamldoc_error(&ld->yd, n, "variables must be a list");
	size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	t->vars = xcalloc(count ? count : 1, sizeof *t->vars);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *vnode = yamldoc_node(&ld->yd, *it);
		struct template_var *v = &t->vars[t->nvars++];
		if (parse_var(ld, vnode, v) != 0)
			return -1;
		for (size_t i = 0; i + 1 < t->nvars; i++)
			if (!strcmp(t->vars[i].name, v->name))
				return yamldoc_error(&ld->yd, vnode, "variable '%s' is declared twice", v->name);
	}
	return 0;
}

static int add_stop(struct yamldoc *yd, struct template *t, yaml_node_t *n)
{
	const char *s = yamldoc_scalar(n);
	if (!s || !*s)
		return yamldoc_error(yd, n, "a stop sequence must be non-empty text");
	if (t->params.nstop == TEMPLATE_MAX_STOP)
		return yamldoc_error(yd, n, "at most %d stop sequences", TEMPLATE_MAX_STOP);
	t->stops[t->params.nstop++] = xstrdup(s);
	return 0;
}

static int param_pair(struct yamldoc *yd, const char *key, yaml_node_t *k, yaml_node_t *n, void *ud)
{
	struct template *t = ud;
	struct llm_params *p = &t->params;
	if (!strcmp(key, "temperature")) {
		p->has_temperature = 1;
		return yamldoc_number(yd, n, "temperature", 0, 2, &p->temperature);
	}
	if (!strcmp(key, "top_p")) {
		p->has_top_p = 1;
		return yamldoc_number(yd, n, "top_p", 0, 1, &p->top_p);
	}
	if (!strcmp(key, "max_tokens")) {
		p->has_max_tokens = 1;
		return yamldoc_int(yd, n, "max_tokens", 1, 1000000, &p->max_tokens);
	}
	if (!strcmp(key, "stop")) {
		if (n->type != YAML_SEQUENCE_NODE)
			return add_stop(yd, t, n);
		for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
			if (add_stop(yd, t, yamldoc_node(yd, *it)) != 0)
				return -1;
		return 0;
	}
	return yamldoc_error(yd, k, "unknown parameter '%s' (known: temperature, top_p, max_tokens, stop)", key);
}

static int example_pair(struct yamldoc *yd, const char *key, yaml_node_t *k, yaml_node_t *n, void *ud)
{
	cJSON *o = ud;
	(void)k;
	const char *s = yamldoc_scalar(n);
	cJSON *v = s ? cJSON_CreateString(yamldoc_is_null(n) ? "" : s) : yamldoc_json(yd, n);
	if (!v)
		return -1;
	cJSON_AddItemToObject(o, key, v);
	return 0;
}

static int check_example(const cJSON *o, const char **missing)
{
	static const char *const keys[] = { "input", "output" };
	for (size_t i = 0; i < 2; i++) {
		if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, keys[i]))) {
			*missing = keys[i];
			return -1;
		}
	}
	return 0;
}

static int parse_examples(struct loader *ld, yaml_node_t *n)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return yamldoc_error(&ld->yd, n, "examples must be a list of {input, output}");
	cJSON *list = cJSON_CreateArray();
	ld->t->examples = list;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *en = yamldoc_node(&ld->yd, *it);
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToArray(list, o);
		const char *missing;
		if (yamldoc_each_pair(&ld->yd, en, "an example", example_pair, o) != 0)
			return -1;
		if (check_example(o, &missing) != 0)
			return yamldoc_error(&ld->yd, en, "an example needs '%s' (text)", missing);
		if (cJSON_GetArraySize(list) > MAX_EXAMPLES)
			return yamldoc_error(&ld->yd, en, "at most %d examples", MAX_EXAMPLES);
	}
	return 0;
}

static int load_examples_file(struct template *t, const char *name, struct err *e)
{
	char *path = path_join(t->dir, name);
	size_t len;
	struct err re = ERR_INIT;
	char *text = path_read_file(path, &len, &re);
	int rc = -1, line = 1;
	if (!text) {
		err_set(e, "%s: cannot read the examples file: %s", t->path, re.msg);
		goto out;
	}
	t->examples = cJSON_CreateArray();
	for (char *p = text, *end = text + len; p < end; line++) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *le = nl ? nl : end;
		char *s = p;
		p = nl ? nl + 1 : end;
		while (s < le && template_is_space(*s))
			s++;
		if (s == le)
			continue;
		cJSON *o = json_parse(s, (size_t)(le - s), JSON_REPAIR_UTF8 | JSON_BIG_AS_TEXT);
		const char *missing = NULL;
		if (!cJSON_IsObject(o) || check_example(o, &missing) != 0) {
			cJSON_Delete(o);
			err_set(e, "%s:%d: %s", path, line,
				missing ? (strcmp(missing, "input") ? "an example needs \"output\" (a string)"
								    : "an example needs \"input\" (a string)")
					: "each line must be one JSON object {\"input\": ..., \"output\": ...}");
			goto out;
		}
		cJSON_AddItemToArray(t->examples, o);
		if (cJSON_GetArraySize(t->examples) > MAX_EXAMPLES) {
			err_set(e, "%s:%d: at most %d examples", path, line, MAX_EXAMPLES);
			goto out;
		}
	}
	rc = 0;
out:
	free(text);
	free(path);
	return rc;
}

struct step_nodes {
	struct template_step *s;
	yaml_node_t *text;
};

static int step_pair(struct yamldoc *yd, const char *key, yaml_node_t *k, yaml_node_t *n, void *ud)
{
	struct step_nodes *sn = ud;
	if (!strcmp(key, "name"))
		return get_text(yd, n, "a step's name", &sn->s->name);
	if (!strcmp(key, "output_var"))
		return get_text(yd, n, "output_var", &sn->s->output_var);
	if (!strcmp(key, "file"))
		return get_text(yd, n, "a step's file", &sn->s->file);
	if (!strcmp(key, "template")) {
		sn->text = n;
		return get_text(yd, n, "a step's template", &sn->s->text);
	}
	return yamldoc_error(yd, k, "unknown key '%s' in a step (known: name, template, file, output_var)", key);
}

static int parse_step(struct loader *ld, yaml_node_t *n, size_t i, size_t count)
{
	struct template *t = ld->t;
	struct template_step *s = &t->steps[i];
	struct step_nodes sn = { s, NULL };
	if (yamldoc_each_pair(&ld->yd, n, "a step", step_pair, &sn) != 0)
		return -1;
	if (!s->name || !valid_name(s->name))
		return yamldoc_error(&ld->yd, n, "a step needs a name (letters, digits, '.', '_', '-')");
	for (size_t j = 0; j < i; j++)
		if (!strcmp(t->steps[j].name, s->name))
			return yamldoc_error(&ld->yd, n, "two steps are named '%s'", s->name);
	if (!s->text == !s->file)
		return yamldoc_error(&ld->yd, n,
				     "step '%s' needs either template (its text) or file (a file beside the prompt)",
				     s->name);
	if (s->output_var) {
		if (!valid_ident(s->output_var) || !strcmp(s->output_var, "examples"))
			return yamldoc_error(&ld->yd, n, "step '%s': output_var '%s' must be a variable name", s->name,
					     s->output_var);
		for (size_t j = 0; j < t->nvars; j++)
			if (!strcmp(t->vars[j].name, s->output_var))
				return yamldoc_error(&ld->yd, n,
						     "step '%s': output_var '%s' is also a declared variable", s->name,
						     s->output_var);
		for (size_t j = 0; j < i; j++)
			if (t->steps[j].output_var && !strcmp(t->steps[j].output_var, s->output_var))
				return yamldoc_error(&ld->yd, n, "steps '%s' and '%s' both set '%s'", t->steps[j].name,
						     s->name, s->output_var);
	} else if (i + 1 < count) {
		return yamldoc_error(&ld->yd, n,
				     "step '%s' needs output_var: the variable its answer becomes for the next step",
				     s->name);
	}
	const char *file = t->path;
	int line0;
	char *what = xasprintf("step '%s': ", s->name), *path = NULL;
	if (s->file) {
		if (!valid_name(s->file) || strstr(s->file, "..")) {
			free(what);
			return yamldoc_error(&ld->yd, n,
					     "step '%s': file '%s' must be a plain file name beside the prompt",
					     s->name, s->file);
		}
		path = path_join(t->dir, s->file);
		size_t len;
		struct err re = ERR_INIT;
		free(s->text);
		s->text = path_read_file(path, &len, &re);
		if (s->text && memchr(s->text, '\0', len))
			err_set(&re, "%s holds a NUL byte", path);
		if (!s->text || re.set) {
			yamldoc_error(&ld->yd, n, "step '%s': %s", s->name, re.msg);
			free(path);
			free(what);
			return -1;
		}
		file = path;
		line0 = 1;
	} else {
		int block = sn.text->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
			    sn.text->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
		line0 = ld->yd.o.line0 + (int)sn.text->start_mark.line + block;
	}
	s->line = line0;
	s->m = compile(t, s->text, strlen(s->text), file, line0, what, ld->yd.e);
	free(path);
	free(what);
	return s->m ? 0 : -1;
}

static int parse_steps(struct loader *ld, yaml_node_t *n)
{
	struct template *t = ld->t;
	if (n->type != YAML_SEQUENCE_NODE)
		return yamldoc_error(&ld->yd, n, "steps must be a list of {name, template or file, output_var}");
	size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count == 0 || count > TEMPLATE_MAX_STEPS)
		return yamldoc_error(&ld->yd, n, "steps must list from 1 to %d steps", TEMPLATE_MAX_STEPS);
	t->steps = xcalloc(count, sizeof *t->steps);
	for (size_t i = 0; i < count; i++) {
		t->nsteps = i + 1;
		if (parse_step(ld, yamldoc_node(&ld->yd, n->data.sequence.items.start[i]), i, count) != 0)
			return -1;
	}
	return 0;
}

enum { K_NAME, K_DESCRIPTION, K_TECHNIQUE, K_VARIABLES, K_PARAMETERS, K_EXAMPLES, K_EXAMPLES_FILE, K_STEPS,
       K_SAMPLES, K_ANSWER_REGEX, K_SYSTEM, K_COUNT };

static const char *const front_keys[K_COUNT + 1] = {
	"name", "description", "technique", "variables", "parameters", "examples",
	"examples_file", "steps", "samples", "answer_regex", "system", NULL,
};

/* Keys kept for people and tools, ignored here. */
static const char *const info_keys[] = { "author", "version", "tags", "metadata", NULL };

static int interpret_front(struct loader *ld, yaml_node_t *root)
{
	struct template *t = ld->t;
	yaml_node_t *v[K_COUNT];
	if (yamldoc_pick(&ld->yd, root, "the front matter", front_keys, info_keys, v) != 0)
		return -1;
	if (v[K_NAME]) {
		char *name = NULL;
		if (get_text(&ld->yd, v[K_NAME], "name", &name) != 0)
			return -1;
		if (t->source != TEMPLATE_FILE && strcmp(name, t->name)) {
			yamldoc_error(&ld->yd, v[K_NAME],
				      "name '%s' differs from the file name '%s' (templates are found by file name)",
				      name, t->name);
			free(name);
			return -1;
		}
		if (!valid_name(name)) {
			yamldoc_error(&ld->yd, v[K_NAME], "name '%s' must be letters, digits, '.', '_' and '-'", name);
			free(name);
			return -1;
		}
		free(t->name);
		t->name = name;
	}
	if (v[K_DESCRIPTION] && get_text(&ld->yd, v[K_DESCRIPTION], "description", &t->description) != 0)
		return -1;
	if (v[K_TECHNIQUE] && get_text(&ld->yd, v[K_TECHNIQUE], "technique", &t->technique) != 0)
		return -1;
	if (v[K_VARIABLES] && parse_vars(ld, v[K_VARIABLES]) != 0)
		return -1;
	if (v[K_PARAMETERS] && !yamldoc_is_null(v[K_PARAMETERS]) &&
	    yamldoc_each_pair(&ld->yd, v[K_PARAMETERS], "parameters", param_pair, t) != 0)
		return -1;
	if (v[K_EXAMPLES] && v[K_EXAMPLES_FILE])
		return yamldoc_error(&ld->yd, v[K_EXAMPLES_FILE], "give examples or examples_file, not both");
	if (v[K_EXAMPLES] && parse_examples(ld, v[K_EXAMPLES]) != 0)
		return -1;
	if (v[K_EXAMPLES_FILE]) {
		if (get_text(&ld->yd, v[K_EXAMPLES_FILE], "examples_file", &t->examples_file) != 0)
			return -1;
		if (!valid_name(t->examples_file) || strstr(t->examples_file, ".."))
			return yamldoc_error(&ld->yd, v[K_EXAMPLES_FILE],
					     "examples_file '%s' must be a plain file name beside the prompt",
					     t->examples_file);
		if (load_examples_file(t, t->examples_file, ld->yd.e) != 0)
			return -1;
	}
	if (v[K_SAMPLES] && yamldoc_int(&ld->yd, v[K_SAMPLES], "samples", 1, TEMPLATE_MAX_SAMPLES, &t->samples) != 0)
		return -1;
	if (v[K_SYSTEM] && get_text(&ld->yd, v[K_SYSTEM], "system", &t->system) != 0)
		return -1;
	if (v[K_ANSWER_REGEX]) {
		if (get_text(&ld->yd, v[K_ANSWER_REGEX], "answer_regex", &t->answer_regex) != 0)
			return -1;
		regex_t re;
		int rc = regcomp(&re, t->answer_regex, REG_EXTENDED | REG_NEWLINE);
		if (rc != 0) {
			char msg[256];
			regerror(rc, &re, msg, sizeof msg);
			return yamldoc_error(&ld->yd, v[K_ANSWER_REGEX],
					     "answer_regex is not a POSIX extended regular expression: %s", msg);
		}
		regfree(&re);
		if (!v[K_SAMPLES])
			return yamldoc_error(&ld->yd, v[K_ANSWER_REGEX],
					     "answer_regex needs samples: (how many answers vote)");
	}
	if (v[K_STEPS]) {
		if (v[K_SAMPLES])
			return yamldoc_error(&ld->yd, v[K_STEPS], "a template has steps or samples, not both");
		if (parse_steps(ld, v[K_STEPS]) != 0)
			return -1;
	}
	return 0;
}

static int load_front(struct template *t, const char *fm, size_t len, int line0, struct err *e)
{
	const struct yamldoc_opts o = { t->path, line0, "the front matter", 1, MAX_KEYS };
	struct loader ld = { .t = t };
	if (yamldoc_load(&ld.yd, fm, len, &o, e) != 0)
		return -1;
	int rc = 0;
	yaml_node_t *root = yamldoc_root(&ld.yd);
	if (root && !yamldoc_is_null(root)) {
		if (root->type != YAML_MAPPING_NODE)
			rc = yamldoc_error(&ld.yd, root,
					   "the front matter must be a mapping (name:, description:, variables:, ...)");
		else if (!(t->front = yamldoc_json(&ld.yd, root)))
			rc = -1;
		else
			rc = interpret_front(&ld, root);
	}
	if (!t->front)
		t->front = cJSON_CreateObject();
	yamldoc_free(&ld.yd);
	return rc;
}

/* ---------------------------------------------------------------- loading */

static int dash_line(const char *s, size_t n, const char *what)
{
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	return n == 3 && memcmp(s, what, 3) == 0;
}

struct template *template_parse(const char *text, size_t len, const char *path, enum template_source source,
				const char *partials_dir, struct err *e)
{
	struct template *t = xcalloc(1, sizeof *t);
	t->path = xstrdup(path);
	t->dir = dir_of(path);
	t->name = file_stem(path);
	t->description = xstrdup("");
	t->technique = xstrdup("");
	t->source = source;
	t->partials_dir = xstrdup(partials_dir ? partials_dir : t->dir);
	t->text = xstrndup(text, len);
	t->stops = xcalloc(TEMPLATE_MAX_STOP, sizeof *t->stops);
	t->params.stop = (const char *const *)t->stops;
	t->body_line = 1;
	if (len > TEMPLATE_MAX_FILE) {
		err_set(e, "%s: larger than %u KiB; is this a template?", path, TEMPLATE_MAX_FILE >> 10);
		goto fail;
	}
	if (memchr(text, '\0', len)) {
		const char *z = memchr(text, '\0', len);
		int line = 1;
		for (const char *p = text; p < z; p++)
			line += *p == '\n';
		err_set(e, "%s:%d: holds a NUL byte; is this a text file?", path, line);
		goto fail;
	}
	const char *p = text, *end = text + len;
	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	if (ends_with(path, ".mustache") || !dash_line(p, (size_t)((nl ? nl : end) - p), "---")) {
		t->bare = 1;
		t->body = xstrndup(p, (size_t)(end - p));
	} else {
		const char *fm = nl ? nl + 1 : end, *q = fm, *close = NULL;
		int line = 2;
		while (q < end) {
			const char *qe = memchr(q, '\n', (size_t)(end - q));
			size_t n = (size_t)((qe ? qe : end) - q);
			if (dash_line(q, n, "---") || dash_line(q, n, "...")) {
				close = q;
				break;
			}
			q = qe ? qe + 1 : end;
			line++;
		}
		if (!close) {
			err_set(e, "%s:1: the front matter that starts here has no closing '---' line", path);
			goto fail;
		}
		const char *body = memchr(close, '\n', (size_t)(end - close));
		body = body ? body + 1 : end;
		t->body = xstrndup(body, (size_t)(end - body));
		t->body_line = line + 1;
		if (load_front(t, fm, (size_t)(close - fm), 2, e) != 0)
			goto fail;
	}
	if (t->nsteps) {
		for (const char *b = t->body; *b; b++) {
			if (!template_is_space(*b)) {
				err_set(e, "%s:%d: a template with steps keeps its prompts in the steps; leave the body empty",
					path, t->body_line);
				goto fail;
			}
		}
	} else if (!(t->m = compile(t, t->body, strlen(t->body), path, t->body_line, "", e))) {
		goto fail;
	}
	return t;
fail:
	template_free(t);
	return NULL;
}

struct template *template_load(const char *path, enum template_source source, const char *partials_dir,
			       struct err *e)
{
	size_t len;
	struct err re = ERR_INIT;
	char *text = path_read_file(path, &len, &re);
	if (!text) {
		err_set(e, "%s", re.msg);
		return NULL;
	}
	struct template *t = template_parse(text, len, path, source, partials_dir, e);
	free(text);
	return t;
}

static char *user_dir(void)
{
	return path_join(path_config_dir(), "prompts");
}

static char *builtin_dir(void)
{
	return path_join(path_share_dir(), "prompts");
}

struct template *template_open(const char *name_or_path, const char *partials_dir, struct err *e)
{
	const char *s = name_or_path;
	if (strchr(s, '/') || ends_with(s, ".prompt") || ends_with(s, ".mustache"))
		return template_load(s, TEMPLATE_FILE, partials_dir, e);
	if (!valid_name(s)) {
		err_set(e, "'%s' is not a template name (letters, digits, '.', '_', '-'); give a path with a '/' for a file", s);
		return NULL;
	}
	char *file = xasprintf("%s.prompt", s);
	char *dirs[2] = { user_dir(), builtin_dir() };
	struct template *t = NULL;
	int found = 0;
	for (int i = 0; i < 2 && !found; i++) {
		char *path = path_join(dirs[i], file);
		if (path_exists(path)) {
			found = 1;
			t = template_load(path, i == 0 ? TEMPLATE_USER : TEMPLATE_BUILTIN, partials_dir, e);
		}
		free(path);
	}
	if (!found)
		err_set(e, "no template '%s' in %s or %s; 'aiwb prompt ls' lists them", s, dirs[0], dirs[1]);
	free(dirs[0]);
	free(dirs[1]);
	free(file);
	return t;
}

void template_free(struct template *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->description);
	free(t->technique);
	free(t->path);
	free(t->dir);
	free(t->text);
	cJSON_Delete(t->front);
	for (size_t i = 0; i < t->nvars; i++) {
		free(t->vars[i].name);
		free(t->vars[i].description);
		cJSON_Delete(t->vars[i].def);
	}
	free(t->vars);
	for (size_t i = 0; i < t->params.nstop; i++)
		free(t->stops[i]);
	free(t->stops);
	cJSON_Delete(t->examples);
	free(t->examples_file);
	for (size_t i = 0; i < t->nsteps; i++) {
		free(t->steps[i].name);
		free(t->steps[i].output_var);
		free(t->steps[i].file);
		free(t->steps[i].text);
		mustache_free(t->steps[i].m);
	}
	free(t->steps);
	free(t->answer_regex);
	free(t->system);
	free(t->body);
	mustache_free(t->m);
	free(t->partials_dir);
	free(t->partial_error);
	buf_free(&t->partial);
	free(t);
}

int template_is_chain(const struct template *t)
{
	return t->nsteps > 0;
}

int template_is_sampled(const struct template *t)
{
	return t->samples > 0;
}

const char *template_source_name(enum template_source s)
{
	return s == TEMPLATE_BUILTIN ? "built-in" : s == TEMPLATE_USER ? "user" : "file";
}

const char *template_type_name(enum template_type type)
{
	static const char *const names[] = { "string", "number", "boolean", "json" };
	return names[type];
}

/* ---------------------------------------------------------------- listing */

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct template_entry *)a)->name, ((const struct template_entry *)b)->name);
}

static void list_dir(const char *dir, enum template_source source, struct template_entry **v, size_t *n)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	size_t first = *n;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!ends_with(de->d_name, ".prompt") || de->d_name[0] == '.')
			continue;
		char *name = file_stem(de->d_name);
		int dup = 0;
		for (size_t i = 0; i < first; i++) {
			if (!strcmp((*v)[i].name, name)) {
				(*v)[i].overrides = 1;
				dup = 1;
			}
		}
		if (dup || !valid_name(name)) {
			free(name);
			continue;
		}
		*v = xreallocarray(*v, *n + 1, sizeof **v);
		struct template_entry *en = &(*v)[(*n)++];
		memset(en, 0, sizeof *en);
		en->name = name;
		en->path = path_join(dir, de->d_name);
		en->source = source;
		struct err e = ERR_INIT;
		if (!(en->t = template_load(en->path, source, NULL, &e)))
			en->error = xstrdup(e.msg);
	}
	closedir(d);
}

int template_list(struct template_entry **out, size_t *n, struct err *e)
{
	(void)e;
	*out = NULL;
	*n = 0;
	char *dirs[2] = { user_dir(), builtin_dir() };
	list_dir(dirs[0], TEMPLATE_USER, out, n);
	list_dir(dirs[1], TEMPLATE_BUILTIN, out, n);
	free(dirs[0]);
	free(dirs[1]);
	if (*n)
		qsort(*out, *n, sizeof **out, entry_cmp);
	return 0;
}

void template_list_free(struct template_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].path);
		template_free(v[i].t);
		free(v[i].error);
	}
	free(v);
}

int template_is_step_output(const struct template *t, const char *name)
{
	for (size_t i = 0; i < t->nsteps; i++)
		if (t->steps[i].output_var && !strcmp(t->steps[i].output_var, name))
			return 1;
	return 0;
}
