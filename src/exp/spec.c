#include "exp/spec.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/buf.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "exp/csv.h"
#include "net/ndjson.h"

#define EXP_MAX_FILE (8u << 20)
#define EXP_MAX_DATASET (256u << 20)

/* ---------------------------------------------------------------- datasets */

struct csv_load {
	cJSON *rows;
	char **header;
	size_t nheader;
	const char *shown;
	struct err *e;
	int failed;
};

static int on_record(void *ud, const struct csv_record *r)
{
	struct csv_load *c = ud;
	if (!c->header) {
		c->header = xcalloc(r->n, sizeof *c->header);
		for (size_t i = 0; i < r->n; i++) {
			if (!r->lens[i] || memchr(r->fields[i], '\0', r->lens[i])) {
				err_set(c->e, "%s:line %ld: header column %zu has no name; the first row must name every column",
					c->shown, r->line, i + 1);
				c->failed = 1;
				return 1;
			}
			for (size_t k = 0; k < i; k++) {
				if (!strcmp(c->header[k], r->fields[i])) {
					err_set(c->e, "%s:line %ld: the column name '%s' appears twice in the header",
						c->shown, r->line, r->fields[i]);
					c->failed = 1;
					return 1;
				}
			}
			c->header[i] = xstrdup(r->fields[i]);
			c->nheader = i + 1;
		}
		return 0;
	}
	if (r->n != c->nheader) {
		err_set(c->e, "%s:line %ld: this row has %zu fields but the header has %zu", c->shown, r->line, r->n,
			c->nheader);
		c->failed = 1;
		return 1;
	}
	if (cJSON_GetArraySize(c->rows) >= EXP_MAX_ROWS) {
		err_set(c->e, "%s:line %ld: more than %d rows; split the dataset", c->shown, r->line, EXP_MAX_ROWS);
		c->failed = 1;
		return 1;
	}
	cJSON *row = cJSON_CreateObject();
	for (size_t i = 0; i < r->n; i++) {
		char *v = xstrndup(r->fields[i], r->lens[i]);
		cJSON_AddItemToObject(row, c->header[i], cJSON_CreateString(v));
		free(v);
	}
	cJSON_AddItemToArray(c->rows, row);
	return 0;
}

cJSON *exp_dataset_csv(const char *text, size_t len, const char *shown_as, struct err *e)
{
	struct csv_load c = { cJSON_CreateArray(), NULL, 0, shown_as, e, 0 };
	struct csv_parser *p = csv_new(0, 0, on_record, &c);
	struct err ce = ERR_INIT;
	int rc = csv_feed(p, text, len, &ce);
	if (rc == 0)
		rc = csv_finish(p, &ce);
	csv_free(p);
	if (rc < 0) {
		err_set(e, "%s:%s", shown_as, ce.msg);
		c.failed = 1;
	} else if (!c.failed && !c.header) {
		err_set(e, "%s: the file is empty; a CSV dataset needs a header row naming the variables", shown_as);
		c.failed = 1;
	}
	for (size_t i = 0; i < c.nheader; i++)
		free(c.header[i]);
	free(c.header);
	if (c.failed) {
		cJSON_Delete(c.rows);
		return NULL;
	}
	return c.rows;
}

struct jsonl_load {
	cJSON *rows;
	long line;
	const char *shown;
	struct err *e;
	int failed;
};

static int on_line(void *ud, const char *line, size_t len)
{
	struct jsonl_load *j = ud;
	cJSON *o = cJSON_ParseWithLength(line, len);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		err_set(j->e, "%s:line %ld: is not a JSON object; each line must be one {\"variable\": value, ...}",
			j->shown, j->line);
		j->failed = 1;
		return 1;
	}
	if (cJSON_GetArraySize(j->rows) >= EXP_MAX_ROWS) {
		cJSON_Delete(o);
		err_set(j->e, "%s:line %ld: more than %d rows; split the dataset", j->shown, j->line, EXP_MAX_ROWS);
		j->failed = 1;
		return 1;
	}
	cJSON_AddItemToArray(j->rows, o);
	return 0;
}

cJSON *exp_dataset_jsonl(const char *text, size_t len, const char *shown_as, struct err *e)
{
	struct jsonl_load j = { cJSON_CreateArray(), 0, shown_as, e, 0 };
	struct ndjson_parser *p = ndjson_new(0, on_line, &j);
	struct err ne = ERR_INIT;
	/* one line at a time, so errors can name their line */
	size_t at = 0;
	int rc = 0;
	while (at < len && rc == 0 && !j.failed) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (text + at)) + 1 : len - at;
		j.line++;
		rc = ndjson_feed(p, text + at, n, &ne);
		if (rc == 0 && !nl)
			rc = ndjson_finish(p, &ne);
		at += n;
	}
	ndjson_free(p);
	if (rc < 0 && !j.failed) {
		err_set(e, "%s:line %ld: %s", shown_as, j.line, ne.msg);
		j.failed = 1;
	}
	if (j.failed) {
		cJSON_Delete(j.rows);
		return NULL;
	}
	return j.rows;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

cJSON *exp_dataset_load(const char *path, const char *shown_as, struct err *e)
{
	int csv = ends_with(path, ".csv"), jsonl = ends_with(path, ".jsonl") || ends_with(path, ".ndjson");
	if (!csv && !jsonl) {
		err_set(e, "%s: a dataset must be a .csv (with a header row) or a .jsonl file", shown_as);
		return NULL;
	}
	size_t len;
	struct err re = ERR_INIT;
	char *text = path_read_file(path, &len, &re);
	if (!text) {
		err_set(e, "cannot read the dataset %s (%s); check the dataset: path, which is relative to the experiment file",
			shown_as, re.msg);
		return NULL;
	}
	if (len > EXP_MAX_DATASET) {
		free(text);
		err_set(e, "%s: the dataset is larger than %u MiB", shown_as, EXP_MAX_DATASET >> 20);
		return NULL;
	}
	cJSON *rows = csv ? exp_dataset_csv(text, len, shown_as, e) : exp_dataset_jsonl(text, len, shown_as, e);
	free(text);
	return rows;
}

/* ---------------------------------------------------------------- the YAML file */

struct ld {
	struct exp_spec *s;
	yaml_document_t *doc;
	const char *dir;
	struct err *e;
};

static int __attribute__((format(printf, 3, 4))) at(struct ld *ld, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return err_set(ld->e, "%s:%d:%d: %s", ld->s->path, (int)n->start_mark.line + 1, (int)n->start_mark.column + 1,
		       msg);
}

static yaml_node_t *node(struct ld *ld, int i)
{
	return yaml_document_get_node(ld->doc, i);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int text(struct ld *ld, yaml_node_t *n, const char *what, char **out)
{
	const char *s = scalar(n);
	if (!s)
		return at(ld, n, "%s must be text, not a %s", what, n->type == YAML_SEQUENCE_NODE ? "list" : "mapping");
	free(*out);
	*out = xstrdup(s);
	return 0;
}

static int number(struct ld *ld, yaml_node_t *n, const char *what, double lo, double hi, int whole, double *out)
{
	const char *s = scalar(n);
	char *end;
	errno = 0;
	double d = s && *s ? strtod(s, &end) : NAN;
	if (!s || !*s || *end || errno || !isfinite(d) || d < lo || d > hi || (whole && d != floor(d)))
		return at(ld, n, "%s must be a %snumber from %g to %g", what, whole ? "whole " : "", lo, hi);
	*out = d;
	return 0;
}

typedef int (*pair_fn)(struct ld *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ud);

static int each_pair(struct ld *ld, yaml_node_t *map, const char *what, pair_fn fn, void *ud)
{
	if (map->type != YAML_MAPPING_NODE)
		return at(ld, map, "%s must be a mapping of keys to values", what);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(ld, p->key), *v = node(ld, p->value);
		const char *key = scalar(k);
		if (!key)
			return at(ld, k, "the keys of %s must be text", what);
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			const char *other = scalar(node(ld, q->key));
			if (other && !strcmp(other, key))
				return at(ld, k, "'%s' appears twice in %s", key, what);
		}
		if (fn(ld, key, k, v, ud) != 0)
			return -1;
	}
	return 0;
}

static int is_seq(const yaml_node_t *n)
{
	return n->type == YAML_SEQUENCE_NODE;
}

#define SEQ_EACH(it, n) for (yaml_node_item_t *it = (n)->data.sequence.items.start; it < (n)->data.sequence.items.top; it++)

/* A template path is relative to the experiment file; a name is looked up. */
static char *template_ref(struct ld *ld, const char *ref)
{
	int is_path = strchr(ref, '/') || ends_with(ref, ".prompt") || ends_with(ref, ".mustache");
	if (is_path && ref[0] != '/')
		return path_join(ld->dir, ref);
	return xstrdup(ref);
}

struct prompt_in {
	yaml_node_t *name, *prompt, *template;
};

static int prompt_pair(struct ld *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ud)
{
	struct prompt_in *p = ud;
	if (!strcmp(key, "name"))
		p->name = v;
	else if (!strcmp(key, "prompt") || !strcmp(key, "text"))
		p->prompt = v;
	else if (!strcmp(key, "template"))
		p->template = v;
	else
		return at(ld, k, "unknown key '%s' in a prompt (known: name, prompt, template)", key);
	return 0;
}

static int add_prompt(struct ld *ld, yaml_node_t *where, yaml_node_t *name, yaml_node_t *prompt, yaml_node_t *tmpl)
{
	struct exp_spec *s = ld->s;
	if (!!prompt == !!tmpl)
		return at(ld, where, "a prompt needs either prompt: (Mustache text) or template: (a name or path), not %s",
			  prompt ? "both" : "neither");
	s->prompts = xreallocarray(s->prompts, s->nprompts + 1, sizeof *s->prompts);
	struct exp_prompt *p = &s->prompts[s->nprompts++];
	memset(p, 0, sizeof *p);
	struct err te = ERR_INIT;
	char *v = NULL;
	if (text(ld, prompt ? prompt : tmpl, prompt ? "prompt" : "template", &v) != 0)
		return -1;
	if (prompt) {
		if (!*v) {
			free(v);
			return at(ld, prompt, "prompt is empty");
		}
		/* empty front matter: role markers work and any variable is accepted */
		char *wrapped = xasprintf("---\n---\n%s", v);
		p->t = template_parse(wrapped, strlen(wrapped), "inline prompt", TEMPLATE_FILE, ld->dir, &te);
		p->is_inline = 1;
		free(wrapped);
	} else {
		char *ref = template_ref(ld, v);
		p->t = template_open(ref, NULL, &te);
		free(ref);
	}
	free(v);
	if (!p->t)
		return at(ld, prompt ? prompt : tmpl, "%s", te.msg);
	if (template_is_chain(p->t) || template_is_sampled(p->t))
		return at(ld, tmpl ? tmpl : prompt, "template %s runs several calls (%s); experiments take one-call templates",
			  p->t->name, template_is_chain(p->t) ? "a chain of steps" : "samples and a vote");
	if (name && text(ld, name, "name", &p->name) != 0)
		return -1;
	if (!p->name)
		p->name = xstrdup(tmpl ? p->t->name : "prompt");
	for (size_t i = 0; i + 1 < s->nprompts; i++)
		if (!strcmp(s->prompts[i].name, p->name))
			return at(ld, name ? name : where, "two prompts are named '%s'; give each a different name:", p->name);
	return 0;
}

static int parse_prompts(struct ld *ld, yaml_node_t *n)
{
	if (!is_seq(n) || n->data.sequence.items.top == n->data.sequence.items.start)
		return at(ld, n, "prompts must be a list of {name, prompt} or {name, template}");
	SEQ_EACH(it, n)
	{
		yaml_node_t *pn = node(ld, *it);
		struct prompt_in in = { NULL, NULL, NULL };
		if (each_pair(ld, pn, "a prompt", prompt_pair, &in) != 0)
			return -1;
		if (add_prompt(ld, pn, in.name, in.prompt, in.template) != 0)
			return -1;
	}
	return 0;
}

static int parse_models(struct ld *ld, yaml_node_t *n)
{
	struct exp_spec *s = ld->s;
	if (scalar(n)) {
		s->models = xcalloc(1, sizeof *s->models);
		s->nmodels = 1;
		s->models[0] = xstrdup(scalar(n));
	} else if (is_seq(n)) {
		SEQ_EACH(it, n)
		{
			yaml_node_t *m = node(ld, *it);
			char *v = NULL;
			if (text(ld, m, "a model", &v) != 0)
				return -1;
			s->models = xreallocarray(s->models, s->nmodels + 1, sizeof *s->models);
			s->models[s->nmodels++] = v;
		}
	}
	if (!s->nmodels)
		return at(ld, n, "models must be a list of PROVIDER/MODEL names");
	for (size_t i = 0; i < s->nmodels; i++) {
		char *prov, *model;
		struct err me = ERR_INIT;
		if (provider_split_model(s->models[i], &prov, &model, &me) != 0)
			return at(ld, n, "%s", me.msg);
		free(prov);
		free(model);
		for (size_t k = 0; k < i; k++)
			if (!strcmp(s->models[k], s->models[i]))
				return at(ld, n, "model %s is listed twice", s->models[i]);
	}
	return 0;
}

static int param_pair(struct ld *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ud)
{
	struct llm_params *p = ud;
	double d;
	if (!strcmp(key, "temperature")) {
		if (number(ld, v, "temperature", 0, 2, 0, &d) != 0)
			return -1;
		p->temperature = d;
		p->has_temperature = 1;
	} else if (!strcmp(key, "top_p")) {
		if (number(ld, v, "top_p", 0, 1, 0, &d) != 0)
			return -1;
		p->top_p = d;
		p->has_top_p = 1;
	} else if (!strcmp(key, "max_tokens")) {
		if (number(ld, v, "max_tokens", 1, 1000000, 1, &d) != 0)
			return -1;
		p->max_tokens = (int)d;
		p->has_max_tokens = 1;
	} else {
		return at(ld, k, "unknown parameter '%s' (known: temperature, top_p, max_tokens)", key);
	}
	return 0;
}

static int parse_asserts(struct ld *ld, yaml_node_t *n)
{
	struct exp_spec *s = ld->s;
	if (!is_seq(n))
		return at(ld, n, "assert must be a list like [{contains: \"text\"}, {max-latency-ms: 5000}]");
	SEQ_EACH(it, n)
	{
		yaml_node_t *an = node(ld, *it);
		if (an->type != YAML_MAPPING_NODE || an->data.mapping.pairs.top - an->data.mapping.pairs.start != 1)
			return at(ld, an, "each assertion is a map with one key, its type: {contains: \"text\"}");
		yaml_node_pair_t *p = an->data.mapping.pairs.start;
		yaml_node_t *k = node(ld, p->key), *v = node(ld, p->value);
		const char *type = scalar(k), *value = scalar(v);
		if (!type)
			return at(ld, k, "an assertion's type must be text (known: %s)", exp_assert_type_list());
		if (!value)
			return at(ld, v, "the value of %s must be text or a number", type);
		s->asserts = xreallocarray(s->asserts, s->nasserts + 1, sizeof *s->asserts);
		struct err ae = ERR_INIT;
		if (exp_assert_init(&s->asserts[s->nasserts], type, value, &ae) != 0)
			return at(ld, exp_assert_type_parse(type) < 0 ? k : v, "%s", ae.msg);
		s->nasserts++;
	}
	return 0;
}

static int limit_field(struct ld *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ud)
{
	struct exp_limit *l = ud;
	double d;
	if (!strcmp(key, "concurrency")) {
		if (number(ld, v, "concurrency", 1, EXP_MAX_CONCURRENCY, 1, &d) != 0)
			return -1;
		l->concurrency = (int)d;
	} else if (!strcmp(key, "rpm")) {
		if (number(ld, v, "rpm", 0.1, 1000000, 0, &d) != 0)
			return -1;
		l->rpm = d;
	} else {
		return at(ld, k, "unknown limit '%s' (known: concurrency, rpm)", key);
	}
	return 0;
}

static int limit_pair(struct ld *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ud)
{
	(void)k;
	(void)ud;
	struct exp_spec *s = ld->s;
	s->limits = xreallocarray(s->limits, s->nlimits + 1, sizeof *s->limits);
	struct exp_limit *l = &s->limits[s->nlimits++];
	memset(l, 0, sizeof *l);
	l->provider = xstrdup(key);
	return each_pair(ld, v, "a provider's limits", limit_field, l);
}

enum { K_NAME, K_DESCRIPTION, K_PROMPTS, K_PROMPT, K_TEMPLATE, K_MODELS, K_DATASET, K_SYSTEM, K_PARAMETERS,
       K_ASSERT, K_CONCURRENCY, K_LIMITS, K_COUNT };
static const char *const keys[K_COUNT] = {
	"name", "description", "prompts", "prompt", "template", "models", "dataset", "system", "parameters",
	"assert", "concurrency", "limits",
};

struct top {
	yaml_node_t *v[K_COUNT];
};

static int top_pair(struct ld *ld, const char *key, yaml_node_t *k, yaml_node_t *v, void *ud)
{
	struct top *t = ud;
	for (int i = 0; i < K_COUNT; i++) {
		if (!strcmp(key, keys[i])) {
			t->v[i] = v;
			return 0;
		}
	}
	return at(ld, k, "unknown key '%s' (known: name, description, prompts, prompt, template, models, dataset, "
		  "system, parameters, assert, concurrency, limits)", key);
}

static int interpret(struct ld *ld, yaml_node_t *root)
{
	struct exp_spec *s = ld->s;
	struct top t;
	memset(&t, 0, sizeof t);
	if (each_pair(ld, root, "an experiment file", top_pair, &t) != 0)
		return -1;
	if (t.v[K_NAME] && text(ld, t.v[K_NAME], "name", &s->name) != 0)
		return -1;
	if (t.v[K_DESCRIPTION] && text(ld, t.v[K_DESCRIPTION], "description", &s->description) != 0)
		return -1;
	int given = !!t.v[K_PROMPTS] + !!(t.v[K_PROMPT] || t.v[K_TEMPLATE]);
	if (given != 1)
		return at(ld, root, "give the prompt to test as prompt: (Mustache text), template: (a name or path) "
			  "or prompts: (a list of them)%s", given ? ", only one of these" : "");
	if (t.v[K_PROMPTS] ? parse_prompts(ld, t.v[K_PROMPTS]) != 0
			   : add_prompt(ld, root, NULL, t.v[K_PROMPT], t.v[K_TEMPLATE]) != 0)
		return -1;
	if (!t.v[K_MODELS])
		return at(ld, root, "models: is missing; list the PROVIDER/MODEL names to run");
	if (parse_models(ld, t.v[K_MODELS]) != 0)
		return -1;
	if (t.v[K_SYSTEM] && text(ld, t.v[K_SYSTEM], "system", &s->system) != 0)
		return -1;
	if (t.v[K_PARAMETERS] && each_pair(ld, t.v[K_PARAMETERS], "parameters", param_pair, &s->params) != 0)
		return -1;
	if (t.v[K_ASSERT] && parse_asserts(ld, t.v[K_ASSERT]) != 0)
		return -1;
	s->concurrency = EXP_CONCURRENCY_DEFAULT;
	double d;
	if (t.v[K_CONCURRENCY]) {
		if (number(ld, t.v[K_CONCURRENCY], "concurrency", 1, EXP_MAX_CONCURRENCY, 1, &d) != 0)
			return -1;
		s->concurrency = (int)d;
	}
	if (t.v[K_LIMITS] && each_pair(ld, t.v[K_LIMITS], "limits", limit_pair, NULL) != 0)
		return -1;
	if (t.v[K_DATASET]) {
		if (text(ld, t.v[K_DATASET], "dataset", &s->dataset) != 0)
			return -1;
		char *p = s->dataset[0] == '/' ? xstrdup(s->dataset) : path_join(ld->dir, s->dataset);
		struct err de = ERR_INIT;
		s->rows = exp_dataset_load(p, s->dataset, &de);
		free(p);
		if (!s->rows)
			return at(ld, t.v[K_DATASET], "%s", de.msg);
		if (!cJSON_GetArraySize(s->rows))
			return at(ld, t.v[K_DATASET], "the dataset %s has no rows", s->dataset);
	} else {
		s->rows = cJSON_CreateArray();
		cJSON_AddItemToArray(s->rows, cJSON_CreateObject());
	}
	double cases = (double)cJSON_GetArraySize(s->rows) * (double)s->nprompts * (double)s->nmodels;
	if (cases > EXP_MAX_CASES)
		return at(ld, root, "%.0f cases (rows x prompts x models) are more than %d; split the experiment", cases,
			  EXP_MAX_CASES);
	if (!s->name) {
		const char *base = strrchr(s->path, '/');
		base = base ? base + 1 : s->path;
		const char *dot = strrchr(base, '.');
		s->name = dot && dot != base ? xstrndup(base, (size_t)(dot - base)) : xstrdup(base);
	}
	return 0;
}

int exp_spec_parse(struct exp_spec *s, const char *txt, size_t len, const char *path, struct err *e)
{
	memset(s, 0, sizeof *s);
	s->path = xstrdup(path);
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
	yaml_parser_t p;
	yaml_document_t doc;
	struct ld ld = { s, &doc, dir, e };
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)txt, len);
	if (!yaml_parser_load(&p, &doc)) {
		err_set(e, "%s:%d:%d: YAML: %s", path, (int)p.problem_mark.line + 1, (int)p.problem_mark.column + 1,
			p.problem ? p.problem : "cannot parse the file");
		yaml_parser_delete(&p);
		free(dir);
		return -1;
	}
	int rc;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root)
		rc = err_set(e, "%s: the file is empty; an experiment needs at least prompt: and models:", path);
	else if (root->type != YAML_MAPPING_NODE)
		rc = at(&ld, root, "an experiment file is a mapping (name:, prompt:, models:, dataset:, assert:, ...)");
	else
		rc = interpret(&ld, root);
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	free(dir);
	return rc;
}

int exp_spec_load(struct exp_spec *s, const char *path, struct err *e)
{
	size_t len;
	struct err re = ERR_INIT;
	memset(s, 0, sizeof *s);
	char *txt = path_read_file(path, &len, &re);
	if (!txt)
		return err_set(e, "cannot read the experiment file %s (%s)", path, re.msg);
	if (len > EXP_MAX_FILE) {
		free(txt);
		return err_set(e, "%s is larger than %u MiB; an experiment file names its dataset instead of holding it",
			       path, EXP_MAX_FILE >> 20);
	}
	int rc = exp_spec_parse(s, txt, len, path, e);
	free(txt);
	return rc;
}

void exp_spec_free(struct exp_spec *s)
{
	free(s->path);
	free(s->name);
	free(s->description);
	for (size_t i = 0; i < s->nprompts; i++) {
		free(s->prompts[i].name);
		template_free(s->prompts[i].t);
	}
	free(s->prompts);
	for (size_t i = 0; i < s->nmodels; i++)
		free(s->models[i]);
	free(s->models);
	free(s->dataset);
	cJSON_Delete(s->rows);
	for (size_t i = 0; i < s->nasserts; i++)
		exp_assert_free(&s->asserts[i]);
	free(s->asserts);
	free(s->system);
	for (size_t i = 0; i < s->nlimits; i++)
		free(s->limits[i].provider);
	free(s->limits);
	memset(s, 0, sizeof *s);
}

const struct exp_limit *exp_spec_limit(const struct exp_spec *s, const char *provider)
{
	for (size_t i = 0; i < s->nlimits; i++)
		if (!strcmp(s->limits[i].provider, provider))
			return &s->limits[i];
	return NULL;
}
