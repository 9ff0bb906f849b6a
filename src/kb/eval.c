#include "kb/eval.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/path.h"
#include "base/xmalloc.h"
#include "base/yamldoc.h"

int kb_eval_doc_matches(const char *name, const char *ref)
{
	if (strcmp(name, ref) == 0)
		return 1;
	size_t n = strlen(name), r = strlen(ref);
	return n > r && strcmp(name + n - r, ref) == 0 && (name[n - r - 1] == '#' || name[n - r - 1] == '/');
}

static int grade_of(const struct kb_eval_case *c, const char *name)
{
	for (size_t i = 0; i < c->nexpect; i++)
		if (kb_eval_doc_matches(name, c->expect[i].doc))
			return c->expect[i].grade;
	return 0;
}

static int cmp_int_desc(const void *a, const void *b)
{
	return *(const int *)b - *(const int *)a;
}

void kb_eval_score(const struct kb_eval_case *c, const char *const *ranked, size_t n, int k,
		   struct kb_eval_scores *out)
{
	memset(out, 0, sizeof *out);
	size_t cut = n < (size_t)k ? n : (size_t)k;
	double dcg = 0, prec_sum = 0;
	int relevant_found = 0;
	size_t nrel = 0;
	for (size_t i = 0; i < c->nexpect; i++)
		nrel += c->expect[i].grade > 0;
	for (size_t i = 0; i < cut; i++) {
		int g = grade_of(c, ranked[i]);
		if (g <= 0)
			continue;
		dcg += (double)g / log2((double)i + 2.0);
		relevant_found++;
		prec_sum += (double)relevant_found / (double)(i + 1);
		if (!out->first_rank) {
			out->first_rank = (int)i + 1;
			out->rr = 1.0 / (double)(i + 1);
			out->hit = 1;
		}
	}
	int *grades = xcalloc(c->nexpect ? c->nexpect : 1, sizeof *grades);
	for (size_t i = 0; i < c->nexpect; i++)
		grades[i] = c->expect[i].grade;
	qsort(grades, c->nexpect, sizeof *grades, cmp_int_desc);
	double idcg = 0;
	for (size_t i = 0; i < c->nexpect && i < (size_t)k; i++)
		if (grades[i] > 0)
			idcg += (double)grades[i] / log2((double)i + 2.0);
	free(grades);
	out->ndcg = idcg > 0 ? dcg / idcg : 0;
	out->recall = nrel ? (double)relevant_found / (double)nrel : 0;
	out->ap = nrel ? prec_sum / (double)nrel : 0;
}

static void case_free(struct kb_eval_case *c)
{
	free(c->name);
	free(c->query);
	free(c->filter);
	free(c->mode);
	for (size_t i = 0; i < c->nexpect; i++)
		free(c->expect[i].doc);
	free(c->expect);
	for (size_t i = 0; i < c->nexpect_not; i++)
		free(c->expect_not[i]);
	free(c->expect_not);
}

void kb_eval_set_free(struct kb_eval_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		case_free(&s->cases[i]);
	free(s->cases);
	free(s->mode);
	memset(s, 0, sizeof *s);
}

static void set_init(struct kb_eval_set *s)
{
	memset(s, 0, sizeof *s);
	s->k = 10;
	s->min_hit_rate = s->min_mrr = s->min_ndcg = -1;
}

static struct kb_eval_case *add_case(struct kb_eval_set *s)
{
	s->cases = xreallocarray(s->cases, s->n + 1, sizeof *s->cases);
	struct kb_eval_case *c = &s->cases[s->n++];
	memset(c, 0, sizeof *c);
	return c;
}

static int read_docs(struct yamldoc *d, yaml_node_t *n, const char *what, struct kb_eval_case *c, int negative)
{
	if (!n)
		return 0;
	if (!yamldoc_is_seq(n)) {
		yaml_node_t *one = n;
		if (yamldoc_scalar(one)) {
			if (negative) {
				c->expect_not = xreallocarray(c->expect_not, c->nexpect_not + 1, sizeof *c->expect_not);
				c->expect_not[c->nexpect_not++] = xstrdup(yamldoc_scalar(one));
			} else {
				c->expect = xreallocarray(c->expect, c->nexpect + 1, sizeof *c->expect);
				c->expect[c->nexpect++] = (struct kb_eval_doc){ xstrdup(yamldoc_scalar(one)), 1 };
			}
			return 0;
		}
		return yamldoc_error(d, n, "%s must be a list of document names", what);
	}
	YAMLDOC_EACH_ITEM(it, n) {
		yaml_node_t *item = yamldoc_node(d, *it);
		char *doc = NULL;
		int grade = 1;
		if (item && item->type == YAML_MAPPING_NODE && !negative) {
			static const char *const keys[] = { "doc", "grade", NULL };
			yaml_node_t *v[2];
			if (yamldoc_pick(d, item, what, keys, NULL, v) < 0)
				return -1;
			if (!v[0])
				return yamldoc_error(d, item, "an entry of %s needs doc:", what);
			if (yamldoc_text(d, v[0], "doc", &doc) < 0)
				return -1;
			if (v[1] && yamldoc_int(d, v[1], "grade", 0, 100, &grade) < 0) {
				free(doc);
				return -1;
			}
		} else if (yamldoc_scalar(item)) {
			doc = xstrdup(yamldoc_scalar(item));
		} else {
			return yamldoc_error(d, item, "an entry of %s must be a document name", what);
		}
		if (negative) {
			c->expect_not = xreallocarray(c->expect_not, c->nexpect_not + 1, sizeof *c->expect_not);
			c->expect_not[c->nexpect_not++] = doc;
		} else {
			c->expect = xreallocarray(c->expect, c->nexpect + 1, sizeof *c->expect);
			c->expect[c->nexpect++] = (struct kb_eval_doc){ doc, grade };
		}
	}
	return 0;
}

static int read_case(struct yamldoc *d, yaml_node_t *n, struct kb_eval_set *s)
{
	if (!n || n->type != YAML_MAPPING_NODE)
		return yamldoc_error(d, n, "a case must be a mapping with query: and expect:");
	static const char *const keys[] = { "name", "query", "filter", "mode", "k", "expect", "expect_not", NULL };
	yaml_node_t *v[7];
	if (yamldoc_pick(d, n, "a case", keys, NULL, v) < 0)
		return -1;
	if (!v[1])
		return yamldoc_error(d, n, "a case needs query:");
	struct kb_eval_case *c = add_case(s);
	c->must_all = 1;
	if ((v[0] && yamldoc_text(d, v[0], "name", &c->name) < 0) || yamldoc_text(d, v[1], "query", &c->query) < 0 ||
	    (v[2] && yamldoc_text(d, v[2], "filter", &c->filter) < 0) ||
	    (v[3] && yamldoc_text(d, v[3], "mode", &c->mode) < 0) ||
	    (v[4] && yamldoc_int(d, v[4], "k", 1, 1000, &c->k) < 0) ||
	    read_docs(d, v[5], "expect", c, 0) < 0 || read_docs(d, v[6], "expect_not", c, 1) < 0)
		return -1;
	if (!c->name)
		c->name = xstrdup(c->query);
	return 0;
}

int kb_eval_load_yaml(const char *path, struct kb_eval_set *out, struct err *e)
{
	set_init(out);
	size_t len;
	char *text = path_read_file(path, &len, e);
	if (!text)
		return -1;
	struct yamldoc d;
	struct yamldoc_opts o = { path, 1, "the test set", 1, 0 };
	if (yamldoc_load(&d, text, len, &o, e) < 0) {
		free(text);
		return -1;
	}
	int rc = 0;
	yaml_node_t *root = yamldoc_root(&d), *cases = root;
	if (root && root->type == YAML_MAPPING_NODE) {
		static const char *const keys[] = { "cases", "k", "mode", "min_hit_rate", "min_mrr", "min_ndcg", NULL };
		yaml_node_t *v[6];
		rc = yamldoc_pick(&d, root, "the test set", keys, NULL, v);
		cases = v[0];
		if (rc == 0 && v[1])
			rc = yamldoc_int(&d, v[1], "k", 1, 1000, &out->k);
		if (rc == 0 && v[2])
			rc = yamldoc_text(&d, v[2], "mode", &out->mode);
		if (rc == 0 && v[3])
			rc = yamldoc_number(&d, v[3], "min_hit_rate", 0, 1, &out->min_hit_rate);
		if (rc == 0 && v[4])
			rc = yamldoc_number(&d, v[4], "min_mrr", 0, 1, &out->min_mrr);
		if (rc == 0 && v[5])
			rc = yamldoc_number(&d, v[5], "min_ndcg", 0, 1, &out->min_ndcg);
		if (rc == 0 && !cases)
			rc = yamldoc_error(&d, root, "the test set needs cases:");
	}
	if (rc == 0 && (!cases || !yamldoc_is_seq(cases)))
		rc = yamldoc_error(&d, cases ? cases : root, "the test set must be a list of cases (or cases: a list)");
	if (rc == 0)
		YAMLDOC_EACH_ITEM(it, cases) {
			if ((rc = read_case(&d, yamldoc_node(&d, *it), out)) < 0)
				break;
		}
	if (rc == 0 && out->n == 0)
		rc = err_set(e, "%s holds no cases", path);
	yamldoc_free(&d);
	free(text);
	if (rc < 0)
		kb_eval_set_free(out);
	return rc;
}

int kb_eval_load_beir(const char *qrels, const char *queries, struct kb_eval_set *out, struct err *e)
{
	set_init(out);
	size_t len;
	char *q = path_read_file(queries, &len, e);
	if (!q)
		return -1;
	char *r = path_read_file(qrels, NULL, e);
	if (!r) {
		free(q);
		return -1;
	}
	/* qrels first: the cases, in file order of first appearance */
	long line = 0;
	int rc = 0;
	for (char *save = NULL, *l = strtok_r(r, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		line++;
		l[strcspn(l, "\r")] = '\0';
		if (!*l)
			continue;
		char qid[256], did[256];
		int grade;
		if (sscanf(l, "%255s %255s %d", qid, did, &grade) != 3) {
			if (line == 1)
				continue; /* header */
			rc = err_set(e, "%s:%ld: expected query-id, corpus-id and score separated by tabs", qrels, line);
			break;
		}
		struct kb_eval_case *c = NULL;
		for (size_t i = out->n; i > 0; i--)
			if (strcmp(out->cases[i - 1].name, qid) == 0) {
				c = &out->cases[i - 1];
				break;
			}
		if (!c) {
			c = add_case(out);
			c->name = xstrdup(qid);
		}
		c->expect = xreallocarray(c->expect, c->nexpect + 1, sizeof *c->expect);
		c->expect[c->nexpect++] = (struct kb_eval_doc){ xstrdup(did), grade };
	}
	line = 0;
	for (size_t i = 0; rc == 0 && i < len;) {
		char *nl = memchr(q + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - q) : len;
		line++;
		cJSON *o = cJSON_ParseWithLength(q + i, end - i);
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "_id");
		const cJSON *text = cJSON_GetObjectItemCaseSensitive(o, "text");
		if (o && cJSON_IsString(id) && cJSON_IsString(text)) {
			for (size_t k = 0; k < out->n; k++)
				if (!out->cases[k].query && strcmp(out->cases[k].name, id->valuestring) == 0)
					out->cases[k].query = xstrdup(text->valuestring);
		} else if (end > i) {
			rc = err_set(e, "%s:%ld: expected a JSON object with \"_id\" and \"text\"", queries, line);
		}
		cJSON_Delete(o);
		i = nl ? end + 1 : len;
	}
	for (size_t k = 0; rc == 0 && k < out->n; k++)
		if (!out->cases[k].query)
			rc = err_set(e, "query %s of %s is not in %s", out->cases[k].name, qrels, queries);
	if (rc == 0 && out->n == 0)
		rc = err_set(e, "%s holds no judgments", qrels);
	free(q);
	free(r);
	if (rc < 0)
		kb_eval_set_free(out);
	return rc;
}
