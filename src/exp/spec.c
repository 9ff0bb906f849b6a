#include "exp/spec.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/path.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "base/yamldoc.h"
#include "base/csv.h"
#include "kb/filter.h"
#include "kb/search.h"
#include "kb/store.h"
#include "net/ndjson.h"
#include "prompt/bind.h"
#include "prompt/mustache.h"

#define EXP_MAX_FILE (8u << 20)
#define EXP_MAX_DATASET (256u << 20)

/* ---------------------------------------------------------------- datasets */

struct csv_load {
	cJSON *rows;
	size_t nrows;
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
			c->header[i] = sanitize_utf8(r->fields[i], r->lens[i]);
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
	if (c->nrows >= EXP_MAX_ROWS) {
		err_set(c->e, "%s:line %ld: more than %d rows; split the dataset", c->shown, r->line, EXP_MAX_ROWS);
		c->failed = 1;
		return 1;
	}
	cJSON *row = cJSON_CreateObject();
	for (size_t i = 0; i < r->n; i++) {
		char *v = sanitize_utf8_nul(r->fields[i], r->lens[i]);
		cJSON_AddItemToObject(row, c->header[i], cJSON_CreateString(v));
		free(v);
	}
	cJSON_AddItemToArray(c->rows, row);
	c->nrows++;
	return 0;
}

cJSON *exp_dataset_csv(const char *text, size_t len, const char *shown_as, struct err *e)
{
	struct csv_load c = { cJSON_CreateArray(), 0, NULL, 0, shown_as, e, 0 };
	struct csv_parser *p = csv_new(0, 0, on_record, &c);
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) /* a UTF-8 byte order mark (Excel's "CSV UTF-8") */
		text += 3, len -= 3;
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
	size_t nrows;
	long line;
	const char *shown;
	struct err *e;
	int failed;
};

static int on_line(void *ud, const char *line, size_t len)
{
	struct jsonl_load *j = ud;
	cJSON *o = json_parse(line, len, JSON_DATA);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		err_set(j->e, "%s:line %ld: is not a JSON object; each line must be one {\"variable\": value, ...}",
			j->shown, j->line);
		j->failed = 1;
		return 1;
	}
	if (j->nrows++ >= EXP_MAX_ROWS) {
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
	struct jsonl_load j = { cJSON_CreateArray(), 0, 0, shown_as, e, 0 };
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
	struct yamldoc yd;
	struct exp_spec *s;
	const char *dir;
	yaml_node_t **where;     /* per prompt: its prompt: or template: node */
	yaml_node_t **kb_where;  /* per kb setting: its node */
	size_t nfile_kbs;        /* the file's kb settings (they come first) */
	int kb_prompt;           /* the prompt whose kb: is being read, or -1 */
};

/* Unlike prompt files, experiment files also take quoted numbers and any form strtod reads. */
static int number(struct yamldoc *yd, yaml_node_t *n, const char *what, double lo, double hi, int whole, double *out)
{
	const char *s = yamldoc_scalar(n);
	char *end;
	errno = 0;
	double d = s && *s ? strtod(s, &end) : NAN;
	if (!s || !*s || *end || errno || !isfinite(d) || d < lo || d > hi || (whole && d != floor(d)))
		return yamldoc_error(yd, n, "%s must be a %snumber from %g to %g", what, whole ? "whole " : "", lo, hi);
	*out = d;
	return 0;
}

/* A template path is relative to the experiment file; a name is looked up. */
static char *template_ref(struct ld *ld, const char *ref)
{
	int is_path = strchr(ref, '/') || ends_with(ref, ".prompt") || ends_with(ref, ".mustache");
	if (is_path && ref[0] != '/')
		return path_join(ld->dir, ref);
	return xstrdup(ref);
}

struct prompt_in {
	yaml_node_t *name, *prompt, *template, *kb;
};

static int parse_kbs(struct ld *ld, yaml_node_t *n);

static int prompt_pair(struct yamldoc *yd, const char *key, yaml_node_t *k, yaml_node_t *v, void *ud)
{
	struct prompt_in *p = ud;
	if (!strcmp(key, "name"))
		p->name = v;
	else if (!strcmp(key, "prompt") || !strcmp(key, "text"))
		p->prompt = v;
	else if (!strcmp(key, "template"))
		p->template = v;
	else if (!strcmp(key, "kb"))
		p->kb = v;
	else
		return yamldoc_error(yd, k, "unknown key '%s' in a prompt (known: name, prompt, template, kb)", key);
	return 0;
}

static int add_prompt(struct ld *ld, yaml_node_t *where, yaml_node_t *name, yaml_node_t *prompt, yaml_node_t *tmpl)
{
	struct exp_spec *s = ld->s;
	if (!!prompt == !!tmpl)
		return yamldoc_error(
			&ld->yd, where,
			"a prompt needs either prompt: (Mustache text) or template: (a name or path), not %s",
			prompt ? "both" : "neither");
	s->prompts = xreallocarray(s->prompts, s->nprompts + 1, sizeof *s->prompts);
	ld->where = xreallocarray(ld->where, s->nprompts + 1, sizeof *ld->where);
	ld->where[s->nprompts] = prompt ? prompt : tmpl;
	struct exp_prompt *p = &s->prompts[s->nprompts++];
	memset(p, 0, sizeof *p);
	p->nkb = ld->nfile_kbs;
	struct err te = ERR_INIT;
	char *v = NULL;
	if (yamldoc_text(&ld->yd, prompt ? prompt : tmpl, prompt ? "prompt" : "template", &v) != 0)
		return -1;
	if (prompt) {
		if (!*v) {
			free(v);
			return yamldoc_error(&ld->yd, prompt, "prompt is empty");
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
		return yamldoc_error(&ld->yd, prompt ? prompt : tmpl, "%s", te.msg);
	if (template_is_chain(p->t) || template_is_sampled(p->t))
		return yamldoc_error(&ld->yd, tmpl ? tmpl : prompt,
				     "template %s runs several calls (%s); experiments take one-call templates",
				     p->t->name, template_is_chain(p->t) ? "a chain of steps" : "samples and a vote");
	if (name && yamldoc_text(&ld->yd, name, "name", &p->name) != 0)
		return -1;
	if (!p->name)
		p->name = xstrdup(tmpl ? p->t->name : "prompt");
	for (size_t i = 0; i + 1 < s->nprompts; i++)
		if (!strcmp(s->prompts[i].name, p->name))
			return yamldoc_error(&ld->yd, name ? name : where,
					     "two prompts are named '%s'; give each a different name:", p->name);
	return 0;
}

/* With kb: and no prompt, the built-in rag template answers from the sources. */
static int add_rag_prompt(struct ld *ld, yaml_node_t *where)
{
	struct exp_spec *s = ld->s;
	struct err te = ERR_INIT;
	struct template *t = template_open("rag", NULL, &te);
	if (!t)
		return yamldoc_error(&ld->yd, where, "%s", te.msg);
	s->prompts = xreallocarray(s->prompts, s->nprompts + 1, sizeof *s->prompts);
	ld->where = xreallocarray(ld->where, s->nprompts + 1, sizeof *ld->where);
	ld->where[s->nprompts] = where;
	struct exp_prompt *p = &s->prompts[s->nprompts++];
	memset(p, 0, sizeof *p);
	p->nkb = ld->nfile_kbs;
	p->t = t;
	p->name = xstrdup(t->name);
	return 0;
}

static int parse_prompts(struct ld *ld, yaml_node_t *n)
{
	if (!yamldoc_is_seq(n) || n->data.sequence.items.top == n->data.sequence.items.start)
		return yamldoc_error(&ld->yd, n, "prompts must be a list of {name, prompt} or {name, template}");
	YAMLDOC_EACH_ITEM(it, n)
	{
		yaml_node_t *pn = yamldoc_node(&ld->yd, *it);
		struct prompt_in in = { NULL, NULL, NULL, NULL };
		if (yamldoc_each_pair(&ld->yd, pn, "a prompt", prompt_pair, &in) != 0)
			return -1;
		if (add_prompt(ld, pn, in.name, in.prompt, in.template) != 0)
			return -1;
		if (in.kb) {
			struct exp_spec *s = ld->s;
			size_t first = s->nkbs;
			ld->kb_prompt = (int)(s->nprompts - 1);
			int rc = parse_kbs(ld, in.kb);
			ld->kb_prompt = -1;
			if (rc != 0)
				return -1;
			s->prompts[s->nprompts - 1].kb_first = first;
			s->prompts[s->nprompts - 1].nkb = s->nkbs - first;
		}
	}
	return 0;
}

static int parse_models(struct ld *ld, yaml_node_t *n)
{
	struct exp_spec *s = ld->s;
	if (yamldoc_scalar(n)) {
		s->models = xcalloc(1, sizeof *s->models);
		s->nmodels = 1;
		s->models[0] = xstrdup(yamldoc_scalar(n));
	} else if (yamldoc_is_seq(n)) {
		YAMLDOC_EACH_ITEM(it, n)
		{
			yaml_node_t *m = yamldoc_node(&ld->yd, *it);
			char *v = NULL;
			if (yamldoc_text(&ld->yd, m, "a model", &v) != 0)
				return -1;
			s->models = xreallocarray(s->models, s->nmodels + 1, sizeof *s->models);
			s->models[s->nmodels++] = v;
		}
	}
	if (!s->nmodels)
		return yamldoc_error(&ld->yd, n, "models must be a list of PROVIDER/MODEL names");
	for (size_t i = 0; i < s->nmodels; i++) {
		char *prov, *model;
		struct err me = ERR_INIT;
		if (provider_split_model(s->models[i], &prov, &model, &me) != 0)
			return yamldoc_error(&ld->yd, n, "%s", me.msg);
		free(prov);
		free(model);
		for (size_t k = 0; k < i; k++)
			if (!strcmp(s->models[k], s->models[i]))
				return yamldoc_error(&ld->yd, n, "model %s is listed twice", s->models[i]);
	}
	return 0;
}

static int param_pair(struct yamldoc *yd, const char *key, yaml_node_t *k, yaml_node_t *v, void *ud)
{
	struct llm_params *p = ud;
	double d;
	if (!strcmp(key, "temperature")) {
		if (number(yd, v, "temperature", 0, 2, 0, &d) != 0)
			return -1;
		p->temperature = d;
		p->has_temperature = 1;
	} else if (!strcmp(key, "top_p")) {
		if (number(yd, v, "top_p", 0, 1, 0, &d) != 0)
			return -1;
		p->top_p = d;
		p->has_top_p = 1;
	} else if (!strcmp(key, "max_tokens")) {
		if (number(yd, v, "max_tokens", 1, 1000000, 1, &d) != 0)
			return -1;
		p->max_tokens = (int)d;
		p->has_max_tokens = 1;
	} else {
		return yamldoc_error(yd, k, "unknown parameter '%s' (known: temperature, top_p, max_tokens)", key);
	}
	return 0;
}

static int parse_asserts(struct ld *ld, yaml_node_t *n)
{
	struct exp_spec *s = ld->s;
	if (!yamldoc_is_seq(n))
		return yamldoc_error(&ld->yd, n,
				     "assert must be a list like [{contains: \"text\"}, {max-latency-ms: 5000}]");
	YAMLDOC_EACH_ITEM(it, n)
	{
		yaml_node_t *an = yamldoc_node(&ld->yd, *it);
		if (an->type != YAML_MAPPING_NODE || an->data.mapping.pairs.top - an->data.mapping.pairs.start != 1)
			return yamldoc_error(&ld->yd, an,
					     "each assertion is a map with one key, its type: {contains: \"text\"}");
		yaml_node_pair_t *p = an->data.mapping.pairs.start;
		yaml_node_t *k = yamldoc_node(&ld->yd, p->key), *v = yamldoc_node(&ld->yd, p->value);
		const char *type = yamldoc_scalar(k), *value = yamldoc_scalar(v);
		if (!type)
			return yamldoc_error(&ld->yd, k, "an assertion's type must be text (known: %s)",
					     exp_assert_type_list());
		if (!value)
			return yamldoc_error(&ld->yd, v, "the value of %s must be text or a number", type);
		s->asserts = xreallocarray(s->asserts, s->nasserts + 1, sizeof *s->asserts);
		struct err ae = ERR_INIT;
		if (exp_assert_init(&s->asserts[s->nasserts], type, value, &ae) != 0)
			return yamldoc_error(&ld->yd, exp_assert_type_parse(type) < 0 ? k : v, "%s", ae.msg);
		s->nasserts++;
	}
	return 0;
}

static int limit_field(struct yamldoc *yd, const char *key, yaml_node_t *k, yaml_node_t *v, void *ud)
{
	struct exp_limit *l = ud;
	double d;
	if (!strcmp(key, "concurrency")) {
		if (number(yd, v, "concurrency", 1, EXP_MAX_CONCURRENCY, 1, &d) != 0)
			return -1;
		l->concurrency = (int)d;
	} else if (!strcmp(key, "rpm")) {
		if (number(yd, v, "rpm", 0.1, 1000000, 0, &d) != 0)
			return -1;
		l->rpm = d;
	} else {
		return yamldoc_error(yd, k, "unknown limit '%s' (known: concurrency, rpm)", key);
	}
	return 0;
}

static int limit_pair(struct yamldoc *yd, const char *key, yaml_node_t *k, yaml_node_t *v, void *ud)
{
	struct exp_spec *s = ud;
	(void)k;
	s->limits = xreallocarray(s->limits, s->nlimits + 1, sizeof *s->limits);
	struct exp_limit *l = &s->limits[s->nlimits++];
	memset(l, 0, sizeof *l);
	l->provider = xstrdup(key);
	return yamldoc_each_pair(yd, v, "a provider's limits", limit_field, l);
}

struct kb_in {
	yaml_node_t *label, *name, *k, *mode, *filter, *query;
};

static int kb_pair(struct yamldoc *yd, const char *key, yaml_node_t *k, yaml_node_t *v, void *ud)
{
	struct kb_in *in = ud;
	yaml_node_t **slot = !strcmp(key, "label")    ? &in->label
			     : !strcmp(key, "name")   ? &in->name
			     : !strcmp(key, "k")      ? &in->k
			     : !strcmp(key, "mode")   ? &in->mode
			     : !strcmp(key, "filter") ? &in->filter
			     : !strcmp(key, "query")  ? &in->query
						      : NULL;
	if (!slot)
		return yamldoc_error(yd, k, "unknown key '%s' in a kb setting (known: label, name, k, mode, filter, query)",
				     key);
	*slot = v;
	return 0;
}

static int add_kb(struct ld *ld, yaml_node_t *n)
{
	struct exp_spec *s = ld->s;
	struct kb_in in = { NULL, NULL, NULL, NULL, NULL, NULL };
	if (n->type != YAML_MAPPING_NODE)
		return yamldoc_error(&ld->yd, n, "a kb setting is a map: {name: KB, k: 5, mode: bm25, filter: ..., query: ...}");
	if (yamldoc_each_pair(&ld->yd, n, "a kb setting", kb_pair, &in) != 0)
		return -1;
	if (!in.name)
		return yamldoc_error(&ld->yd, n, "a kb setting needs name: the knowledge base to search ('aiwb kb ls')");
	s->kbs = xreallocarray(s->kbs, s->nkbs + 1, sizeof *s->kbs);
	ld->kb_where = xreallocarray(ld->kb_where, s->nkbs + 1, sizeof *ld->kb_where);
	ld->kb_where[s->nkbs] = n;
	struct exp_kb *kb = &s->kbs[s->nkbs++];
	memset(kb, 0, sizeof *kb);
	kb->prompt = ld->kb_prompt;
	kb->k = 5;
	kb->mode = KB_MODE_BM25;
	if (yamldoc_text(&ld->yd, in.name, "name", &kb->name) != 0)
		return -1;
	if (!kb_name_valid(kb->name))
		return yamldoc_error(&ld->yd, in.name, "'%s' is not a knowledge base name ('aiwb kb ls' lists them)",
				     kb->name);
	double d;
	if (in.k) {
		if (number(&ld->yd, in.k, "k", 1, EXP_KB_K_MAX, 1, &d) != 0)
			return -1;
		kb->k = (int)d;
	}
	char *v = NULL;
	if (in.mode) {
		if (yamldoc_text(&ld->yd, in.mode, "mode", &v) != 0)
			return -1;
		kb->mode = kb_mode_parse(v);
		free(v);
		if (kb->mode < 0)
			return yamldoc_error(&ld->yd, in.mode, "mode must be bm25, vector or hybrid");
	}
	if (in.filter) {
		if (yamldoc_text(&ld->yd, in.filter, "filter", &kb->filter) != 0)
			return -1;
		struct kb_filter f;
		struct err fe = ERR_INIT;
		if (kb_filter_compile(kb->filter, 1, &f, &fe) != 0)
			return yamldoc_error(&ld->yd, in.filter, "invalid filter: %s", fe.msg);
		kb_filter_free(&f);
	}
	if (in.query) {
		if (yamldoc_text(&ld->yd, in.query, "query", &kb->query) != 0)
			return -1;
	} else {
		kb->query = xstrdup(EXP_KB_QUERY_DEFAULT);
	}
	struct mustache_opts mo = MUSTACHE_OPTS_INIT;
	mo.escape_html = false;
	struct err me = ERR_INIT;
	struct mustache *m = mustache_parse(kb->query, strlen(kb->query), &mo, &me);
	if (!m)
		return yamldoc_error(&ld->yd, in.query ? in.query : n, "the kb query: %s", me.msg);
	mustache_free(m);
	if (in.label && yamldoc_text(&ld->yd, in.label, "label", &kb->label) != 0)
		return -1;
	if (!kb->label)
		kb->label = xstrdup(kb->name);
	for (size_t i = 0; i + 1 < s->nkbs; i++)
		if (!strcmp(s->kbs[i].label, kb->label))
			return yamldoc_error(&ld->yd, in.label ? in.label : n,
					     "two kb settings are labelled '%s'; give each a different label:", kb->label);
	return 0;
}

static int parse_kbs(struct ld *ld, yaml_node_t *n)
{
	if (n->type == YAML_MAPPING_NODE)
		return add_kb(ld, n);
	if (!yamldoc_is_seq(n) || n->data.sequence.items.top == n->data.sequence.items.start)
		return yamldoc_error(&ld->yd, n, "kb must be a setting {name, k, mode, filter, query} or a list of them");
	YAMLDOC_EACH_ITEM(it, n)
	{
		if (add_kb(ld, yamldoc_node(&ld->yd, *it)) != 0)
			return -1;
	}
	return 0;
}

struct query_check {
	struct ld *ld;
	size_t kb;
	int failed;
};

/* Every variable the kb query always uses must be a column of every row. */
static void query_column(void *ud, const char *name)
{
	struct query_check *qc = ud;
	struct exp_spec *s = qc->ld->s;
	if (qc->failed)
		return;
	size_t n = s->dataset && ends_with(s->dataset, ".csv") ? 1 : s->nrows;
	for (size_t i = 0; i < n; i++)
		if (!cJSON_GetObjectItemCaseSensitive(s->row[i], name)) {
			yaml_node_t *at = qc->ld->kb_where[qc->kb];
			if (!s->dataset)
				qc->failed = yamldoc_error(&qc->ld->yd, at,
							   "the kb query uses {{%s}} but there is no dataset to give it; add "
							   "a dataset: with a column '%s'",
							   name, name);
			else
				qc->failed = yamldoc_error(&qc->ld->yd, at,
							   "the kb query uses {{%s}} but row %zu of the dataset %s has no '%s'",
							   name, i + 1, s->dataset, name);
			return;
		}
}

struct need_check {
	struct ld *ld;
	size_t prompt;
	int failed;
};

/* A variable the prompt cannot do without must be in every row. */
static void need_column(void *ud, const char *name, int required)
{
	struct need_check *nc = ud;
	if (nc->failed)
		return;
	struct exp_spec *s = nc->ld->s;
	if (s->prompts[nc->prompt].nkb && !strcmp(name, "context"))
		return; /* the sources */
	const struct exp_prompt *p = &s->prompts[nc->prompt];
	char *who = !p->is_inline ? xasprintf("template %s", p->t->name)
		    : s->nprompts > 1 ? xasprintf("prompt '%s'", p->name) : xstrdup("the prompt");
	char *how = required ? xasprintf("%s requires the variable '%s'", who, name)
			     : xasprintf("%s uses {{%s}}", who, name);
	/* CSV rows all have the header's columns: the first row stands for all */
	size_t n = s->dataset && ends_with(s->dataset, ".csv") ? 1 : s->nrows, missing = 0, first = 0;
	for (size_t i = 0; i < n; i++) {
		if (!cJSON_GetObjectItemCaseSensitive(s->row[i], name) && !missing++)
			first = i;
	}
	yaml_node_t *at = nc->ld->where[nc->prompt];
	if (missing && !s->dataset)
		nc->failed = yamldoc_error(&nc->ld->yd, at,
					   "%s but there is no dataset to give it; add a dataset: with a column '%s'", how,
					   name);
	else if (missing == n)
		nc->failed = yamldoc_error(&nc->ld->yd, at, "%s but the dataset %s has no column '%s'", how, s->dataset, name);
	else if (missing)
		nc->failed = yamldoc_error(&nc->ld->yd, at, "%s but row %zu of the dataset %s has no '%s'", how, first + 1,
					   s->dataset, name);
	free(who);
	free(how);
}

enum { K_NAME, K_DESCRIPTION, K_PROMPTS, K_PROMPT, K_TEMPLATE, K_MODELS, K_DATASET, K_SYSTEM, K_PARAMETERS,
       K_ASSERT, K_CONCURRENCY, K_LIMITS, K_KB, K_COUNT };
static const char *const keys[K_COUNT + 1] = {
	"name", "description", "prompts", "prompt", "template", "models", "dataset", "system", "parameters",
	"assert", "concurrency", "limits", "kb", NULL,
};

static int interpret(struct ld *ld, yaml_node_t *root)
{
	struct exp_spec *s = ld->s;
	yaml_node_t *v[K_COUNT];
	if (yamldoc_pick(&ld->yd, root, "an experiment file", keys, NULL, v) != 0)
		return -1;
	if (v[K_NAME] && yamldoc_text(&ld->yd, v[K_NAME], "name", &s->name) != 0)
		return -1;
	if (v[K_DESCRIPTION] && yamldoc_text(&ld->yd, v[K_DESCRIPTION], "description", &s->description) != 0)
		return -1;
	if (v[K_KB] && parse_kbs(ld, v[K_KB]) != 0)
		return -1;
	ld->nfile_kbs = s->nkbs;
	int given = !!v[K_PROMPTS] + !!(v[K_PROMPT] || v[K_TEMPLATE]);
	if (!given && v[K_KB]) {
		if (add_rag_prompt(ld, v[K_KB]) != 0)
			return -1;
	} else if (given != 1)
		return yamldoc_error(&ld->yd, root,
				     "give the prompt to test as prompt: (Mustache text), template: (a name or path) "
				     "or prompts: (a list of them)%s",
				     given ? ", only one of these" : "");
	else if (v[K_PROMPTS] ? parse_prompts(ld, v[K_PROMPTS]) != 0
			      : add_prompt(ld, root, NULL, v[K_PROMPT], v[K_TEMPLATE]) != 0)
		return -1;
	if (ld->nfile_kbs) {
		size_t own = 0;
		for (size_t p = 0; p < s->nprompts; p++)
			own += s->prompts[p].kb_first >= ld->nfile_kbs;
		if (own == s->nprompts)
			return yamldoc_error(&ld->yd, v[K_KB],
					     "every prompt has its own kb:, so this one is used by none; remove it");
	}
	if (!v[K_MODELS])
		return yamldoc_error(&ld->yd, root, "models: is missing; list the PROVIDER/MODEL names to run");
	if (parse_models(ld, v[K_MODELS]) != 0)
		return -1;
	if (v[K_SYSTEM] && yamldoc_text(&ld->yd, v[K_SYSTEM], "system", &s->system) != 0)
		return -1;
	if (v[K_PARAMETERS] && yamldoc_each_pair(&ld->yd, v[K_PARAMETERS], "parameters", param_pair, &s->params) != 0)
		return -1;
	if (v[K_ASSERT] && parse_asserts(ld, v[K_ASSERT]) != 0)
		return -1;
	s->concurrency = EXP_CONCURRENCY_DEFAULT;
	double d;
	if (v[K_CONCURRENCY]) {
		if (number(&ld->yd, v[K_CONCURRENCY], "concurrency", 1, EXP_MAX_CONCURRENCY, 1, &d) != 0)
			return -1;
		s->concurrency = (int)d;
	}
	if (v[K_LIMITS] && yamldoc_each_pair(&ld->yd, v[K_LIMITS], "limits", limit_pair, s) != 0)
		return -1;
	if (v[K_DATASET]) {
		if (yamldoc_text(&ld->yd, v[K_DATASET], "dataset", &s->dataset) != 0)
			return -1;
		char *p = s->dataset[0] == '/' ? xstrdup(s->dataset) : path_join(ld->dir, s->dataset);
		struct err de = ERR_INIT;
		s->rows = exp_dataset_load(p, s->dataset, &de);
		free(p);
		if (!s->rows)
			return yamldoc_error(&ld->yd, v[K_DATASET], "%s", de.msg);
		if (!cJSON_GetArraySize(s->rows))
			return yamldoc_error(&ld->yd, v[K_DATASET], "the dataset %s has no rows", s->dataset);
	} else {
		s->rows = cJSON_CreateArray();
		cJSON_AddItemToArray(s->rows, cJSON_CreateObject());
	}
	s->nrows = (size_t)cJSON_GetArraySize(s->rows);
	s->row = xcalloc(s->nrows, sizeof *s->row);
	size_t i = 0;
	for (cJSON *r = s->rows->child; r; r = r->next)
		s->row[i++] = r;
	for (size_t k = 0; k < s->nprompts; k++) {
		struct need_check nc = { ld, k, 0 };
		template_needed_vars(s->prompts[k].t, need_column, &nc);
		if (nc.failed)
			return -1;
	}
	for (size_t k = 0; k < s->nkbs; k++) {
		struct mustache_opts mo = MUSTACHE_OPTS_INIT;
		mo.escape_html = false;
		struct mustache *m = mustache_parse(s->kbs[k].query, strlen(s->kbs[k].query), &mo, NULL);
		struct query_check qc = { ld, k, 0 };
		if (m)
			mustache_top_names(m, query_column, &qc);
		mustache_free(m);
		if (qc.failed)
			return -1;
	}
	double cases = 0;
	for (size_t p = 0; p < s->nprompts; p++)
		cases += (double)s->nrows * (double)(s->prompts[p].nkb ? s->prompts[p].nkb : 1) * (double)s->nmodels;
	if (cases > EXP_MAX_CASES)
		return yamldoc_error(&ld->yd, root,
				     "%.0f cases (rows x prompts x %smodels) are more than %d; split the experiment", cases, s->nkbs ? "kb settings x " : "", EXP_MAX_CASES);
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
	const struct yamldoc_opts o = { s->path, 1, "the file", 0, 0 };
	struct ld ld = { .s = s, .dir = dir, .kb_prompt = -1 };
	if (yamldoc_load(&ld.yd, txt, len, &o, e) != 0) {
		free(dir);
		return -1;
	}
	int rc;
	yaml_node_t *root = yamldoc_root(&ld.yd);
	if (!root)
		rc = err_set(e, "%s: the file is empty; an experiment needs at least prompt: and models:", path);
	else if (root->type != YAML_MAPPING_NODE)
		rc = yamldoc_error(&ld.yd, root,
				   "an experiment file is a mapping (name:, prompt:, models:, dataset:, assert:, ...)");
	else
		rc = interpret(&ld, root);
	yamldoc_free(&ld.yd);
	free(ld.where);
	free(ld.kb_where);
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
	free(s->row);
	for (size_t i = 0; i < s->nasserts; i++)
		exp_assert_free(&s->asserts[i]);
	free(s->asserts);
	free(s->system);
	for (size_t i = 0; i < s->nlimits; i++)
		free(s->limits[i].provider);
	free(s->limits);
	for (size_t i = 0; i < s->nkbs; i++) {
		free(s->kbs[i].label);
		free(s->kbs[i].name);
		free(s->kbs[i].filter);
		free(s->kbs[i].query);
	}
	free(s->kbs);
	memset(s, 0, sizeof *s);
}

size_t exp_spec_cases(const struct exp_spec *s)
{
	size_t n = 0;
	for (size_t p = 0; p < s->nprompts; p++)
		n += s->nrows * (s->prompts[p].nkb ? s->prompts[p].nkb : 1) * s->nmodels;
	return n;
}

const struct exp_limit *exp_spec_limit(const struct exp_spec *s, const char *provider)
{
	for (size_t i = 0; i < s->nlimits; i++)
		if (!strcmp(s->limits[i].provider, provider))
			return &s->limits[i];
	return NULL;
}
