#include "kb/evalrun.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "kb/search.h"

static void push(char ***v, size_t *n, const char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[(*n)++] = xstrdup(s);
}

/* The documents of the hits, best first, each once. */
static const char **document_ranking(const struct kb_results *r, size_t *n)
{
	const char **ranked = xcalloc(r->n ? r->n : 1, sizeof *ranked);
	size_t nr = 0;
	for (size_t j = 0; j < r->n; j++) {
		int dup = 0;
		for (size_t t = 0; t < nr && !dup; t++)
			dup = strcmp(ranked[t], r->v[j].doc_name) == 0;
		if (!dup)
			ranked[nr++] = r->v[j].doc_name;
	}
	*n = nr;
	return ranked;
}

static void judge(const struct kb_eval_case *ec, const char **ranked, size_t nr, struct kb_eval_result *res)
{
	size_t k = (size_t)res->k;
	kb_eval_score(ec, ranked, nr, res->k, &res->sc);
	res->passed = 1;
	if (ec->must_all)
		for (size_t x = 0; x < ec->nexpect; x++) {
			int found = 0;
			for (size_t t = 0; t < nr && t < k && !found; t++)
				found = kb_eval_doc_matches(ranked[t], ec->expect[x].doc);
			if (!found) {
				res->passed = 0;
				push(&res->missing, &res->nmissing, ec->expect[x].doc);
			}
		}
	for (size_t x = 0; x < ec->nexpect_not; x++)
		for (size_t t = 0; t < nr && t < k; t++)
			if (kb_eval_doc_matches(ranked[t], ec->expect_not[x])) {
				res->passed = 0;
				push(&res->unwanted, &res->nunwanted, ec->expect_not[x]);
				break;
			}
	for (size_t t = 0; t < nr && t < k; t++)
		push(&res->top, &res->ntop, ranked[t]);
}

int kb_eval_run(struct db *db, const struct kb *kb, const struct kb_eval_set *set, const struct kb_eval_opts *o,
		struct kb_eval_report *out)
{
	memset(out, 0, sizeof *out);
	out->k = set->k;
	out->cases = xcalloc(set->n ? set->n : 1, sizeof *out->cases);
	double sum_hit = 0, sum_rr = 0, sum_ndcg = 0, sum_recall = 0, sum_ap = 0;
	for (size_t i = 0; i < set->n; i++) {
		const struct kb_eval_case *ec = &set->cases[i];
		struct kb_eval_result *res = &out->cases[i];
		res->c = ec;
		res->k = o->k ? o->k : ec->k ? ec->k : set->k;
		const char *mode = o->mode ? o->mode : ec->mode ? ec->mode : set->mode;
		struct kb_search_opts so;
		memset(&so, 0, sizeof so);
		so.query = ec->query;
		so.k = res->k * 4 < 100 ? 100 : res->k * 4;
		so.filter = ec->filter;
		int k_max = o->k_max > 0 ? o->k_max : KB_SEARCH_K_MAX;
		if (so.k > k_max)
			so.k = k_max;
		int bad_mode = mode && kb_mode_parse(mode) < 0;
		so.mode = o->fallback_mode;
		if (mode && !bad_mode)
			so.mode = (enum kb_mode)kb_mode_parse(mode);
		float *qvec = NULL;
		if (!bad_mode && so.mode != KB_MODE_BM25 && !o->search) {
			qvec = o->vector ? o->vector(o->ud, ec->query, &so.qdim) : NULL;
			if (!qvec) {
				out->n = i;
				return -1;
			}
			so.qvec = qvec;
		}
		out->n = i + 1;
		struct kb_results r;
		struct err se = ERR_INIT;
		int search_rc = bad_mode ? -1 : o->search ? o->search(o->ud, &so, &r, &se) : kb_search(db, kb, &so, &r, &se);
		free(qvec);
		if (search_rc == -2) {
			out->n = i;
			return -1;
		}
		if (search_rc < 0) {
			if (bad_mode)
				err_set(&se, "mode must be bm25, vector or hybrid, not %s", mode);
			res->error = xstrdup(se.msg);
			out->failed++;
			continue;
		}
		size_t nr;
		const char **ranked = document_ranking(&r, &nr);
		judge(ec, ranked, nr, res);
		free(ranked);
		kb_results_free(&r);
		out->failed += !res->passed;
		sum_hit += res->sc.hit;
		sum_rr += res->sc.rr;
		sum_ndcg += res->sc.ndcg;
		sum_recall += res->sc.recall;
		sum_ap += res->sc.ap;
	}
	double nn = set->n ? (double)set->n : 1;
	out->hit_rate = sum_hit / nn;
	out->mrr = sum_rr / nn;
	out->ndcg = sum_ndcg / nn;
	out->recall = sum_recall / nn;
	out->map = sum_ap / nn;
	const struct kb_eval_below mins[] = { { "hit_rate", set->min_hit_rate, out->hit_rate },
					      { "mrr", set->min_mrr, out->mrr },
					      { "ndcg", set->min_ndcg, out->ndcg } };
	for (int i = 0; i < 3; i++)
		if (mins[i].min >= 0 && mins[i].got < mins[i].min)
			out->below[out->nbelow++] = mins[i];
	return 0;
}

static void strings_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void kb_eval_report_free(struct kb_eval_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct kb_eval_result *res = &r->cases[i];
		free(res->error);
		strings_free(res->missing, res->nmissing);
		strings_free(res->unwanted, res->nunwanted);
		strings_free(res->top, res->ntop);
	}
	free(r->cases);
	memset(r, 0, sizeof *r);
}
