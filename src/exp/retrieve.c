#include "exp/retrieve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "kb/context.h"
#include "kb/embed.h"
#include "kb/search.h"
#include "kb/store.h"
#include "prompt/mustache.h"

struct exp_retrieve {
	const struct exp_spec *spec;
	struct db *db;
	struct kb *kbs;     /* per setting */
	float **qvec;       /* per setting and row (kb * nrows + row); NULL for bm25 */
	size_t *qdim;
};

static int needs_vector(const struct exp_kb *k)
{
	return k->mode != KB_MODE_BM25;
}

char *exp_retrieve_query(const struct exp_kb *k, size_t row, const cJSON *vars, struct err *e)
{
	struct mustache_opts mo = MUSTACHE_OPTS_INIT;
	mo.escape_html = false;
	struct err me = ERR_INIT;
	char *q = mustache_render_string(k->query, vars, &mo, &me);
	if (!q) {
		err_set(e, "kb %s: row %zu: the query cannot be rendered: %s", k->label, row, me.msg);
		return NULL;
	}
	if (!q[strspn(q, " \t\r\n")]) {
		free(q);
		err_set(e, "kb %s: row %zu: the query '%s' renders empty", k->label, row, k->query);
		return NULL;
	}
	return q;
}

struct exp_retrieve *exp_retrieve_prepare(const struct exp_spec *spec, struct db *db, struct err *e)
{
	struct exp_retrieve *r = xcalloc(1, sizeof *r);
	r->spec = spec;
	r->db = db;
	r->kbs = xcalloc(spec->nkbs ? spec->nkbs : 1, sizeof *r->kbs);
	size_t nvec = spec->nkbs * spec->nrows;
	r->qvec = xcalloc(nvec ? nvec : 1, sizeof *r->qvec);
	r->qdim = xcalloc(nvec ? nvec : 1, sizeof *r->qdim);
	for (size_t i = 0; i < spec->nkbs; i++) {
		const struct exp_kb *k = &spec->kbs[i];
		struct err ge = ERR_INIT;
		int found = kb_store_get(db, k->name, &r->kbs[i], &ge);
		if (found <= 0) {
			if (found < 0)
				err_set(e, "kb %s: %s", k->label, ge.msg);
			else
				err_set(e, "kb %s: there is no knowledge base named %s; 'aiwb kb ls' lists them", k->label,
					k->name);
			exp_retrieve_free(r);
			return NULL;
		}
		if (needs_vector(k) && !r->kbs[i].set.embed[0]) {
			err_set(e, "kb %s: %s has no embedding model, so mode %s cannot search it; use mode: bm25, or set one "
				   "with 'aiwb kb set %s --embed PROVIDER/MODEL' and run 'aiwb kb sync %s'",
				k->label, k->name, kb_mode_name((enum kb_mode)k->mode), k->name, k->name);
			exp_retrieve_free(r);
			return NULL;
		}
	}
	return r;
}

const char *exp_retrieve_embed_model(const struct exp_retrieve *r, size_t kb)
{
	return needs_vector(&r->spec->kbs[kb]) ? r->kbs[kb].set.embed : NULL;
}

int exp_retrieve_embed(struct exp_retrieve *r, const struct config *cfg, struct loop *loop,
		       void (*progress)(void *ud, size_t done, size_t total), void *ud, struct err *e)
{
	const struct exp_spec *spec = r->spec;
	size_t total = 0, done = 0;
	for (size_t i = 0; i < spec->nkbs; i++)
		if (needs_vector(&spec->kbs[i]))
			total += spec->nrows;
	for (size_t i = 0; i < spec->nkbs; i++) {
		const struct exp_kb *k = &spec->kbs[i];
		if (!needs_vector(k))
			continue;
		for (size_t row = 0; row < spec->nrows; row++) {
			char *q = exp_retrieve_query(k, row, spec->row[row], e);
			size_t at = i * spec->nrows + row;
			const struct kb_settings *set = &r->kbs[i].set;
			if (q)
				r->qvec[at] = kb_embed_query(cfg, loop, set->embed, set->embed_dims, q, &r->qdim[at], e);
			free(q);
			if (!r->qvec[at]) {
				char why[sizeof e->msg];
				snprintf(why, sizeof why, "%s", e->msg);
				if (strncmp(why, "kb ", 3) != 0)
					err_set(e, "kb %s: row %zu: %s", k->label, row, why);
				return -1;
			}
			if (progress)
				progress(ud, ++done, total);
		}
	}
	return 0;
}

struct exp_retrieve *exp_retrieve_open(const struct exp_spec *spec, struct db *db, const struct config *cfg,
				       struct loop *loop, void (*progress)(void *ud, size_t done, size_t total),
				       void *ud, struct err *e)
{
	struct exp_retrieve *r = exp_retrieve_prepare(spec, db, e);
	if (r && exp_retrieve_embed(r, cfg, loop, progress, ud, e) != 0) {
		exp_retrieve_free(r);
		return NULL;
	}
	return r;
}

void exp_retrieve_free(struct exp_retrieve *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->spec->nkbs; i++)
		kb_free(&r->kbs[i]);
	for (size_t i = 0; i < r->spec->nkbs * r->spec->nrows; i++)
		free(r->qvec[i]);
	free(r->kbs);
	free(r->qvec);
	free(r->qdim);
	free(r);
}

int exp_retrieve_case(const struct exp_retrieve *r, size_t kb, size_t row, char **context, cJSON **record,
		      struct err *e)
{
	const struct exp_kb *k = &r->spec->kbs[kb];
	char *q = exp_retrieve_query(k, row, r->spec->row[row], e);
	if (!q)
		return -1;
	struct kb_search_opts so;
	memset(&so, 0, sizeof so);
	so.query = q;
	so.k = k->k;
	so.mode = (enum kb_mode)k->mode;
	so.filter = k->filter;
	so.with_text = 1;
	so.qvec = r->qvec[kb * r->spec->nrows + row];
	so.qdim = r->qdim[kb * r->spec->nrows + row];
	struct kb_results res;
	struct err se = ERR_INIT;
	if (kb_search(r->db, &r->kbs[kb], &so, &res, &se) < 0) {
		free(q);
		return err_set(e, "kb %s: %s", k->label, se.msg);
	}
	size_t used = 0;
	*context = kb_sources_context(&res, KB_CONTEXT_TOKENS, &used);
	*record = kb_context_history(k->name, &so, &res, used);
	cJSON_AddStringToObject(*record, "label", k->label);
	kb_results_free(&res);
	free(q);
	return 0;
}

cJSON *exp_retrieve_settings_json(const struct exp_spec *spec)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < spec->nkbs; i++) {
		const struct exp_kb *k = &spec->kbs[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "label", k->label);
		cJSON_AddStringToObject(o, "name", k->name);
		cJSON_AddNumberToObject(o, "k", k->k);
		cJSON_AddStringToObject(o, "mode", kb_mode_name((enum kb_mode)k->mode));
		if (k->filter)
			cJSON_AddStringToObject(o, "filter", k->filter);
		else
			cJSON_AddNullToObject(o, "filter");
		cJSON_AddStringToObject(o, "query", k->query);
		if (k->prompt >= 0)
			cJSON_AddStringToObject(o, "prompt", spec->prompts[k->prompt].name);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}
