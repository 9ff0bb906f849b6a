/* The knowledge-base side of aiwb ask and aiwb compare (--kb NAME [-k N]
 * [--mode M] [--filter EXPR] [--rerank R]): the question searched once in the KB, its
 * chunks made the numbered sources of the built-in rag template, and what
 * was used kept for the sources list, the JSON and the history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "cli/askopts.h"
#include "cli/cli.h"
#include "cli/kbcommon.h"
#include "kb/context.h"
#include "kb/json.h"
#include "kb/rerank.h"
#include "kb/search.h"
#include "store/db.h"

struct ask_kb {
	char *name, *query, *filter;
	struct kb_search_opts so;  /* query and filter point into this */
	struct kb_results r;
	size_t used;               /* hits in the context */
	size_t hidden;             /* hidden characters stripped from them */
	char *var;                 /* "context=..." for the template (one of o->vars) */
};

int ask_kb_retrieve(struct ask_opts *o)
{
	while (o->prompt.len && (o->prompt.data[o->prompt.len - 1] == '\n' || o->prompt.data[o->prompt.len - 1] == '\r'))
		buf_truncate(&o->prompt, o->prompt.len - 1);
	if (!o->prompt.len)
		return cli_usage_error(o->cmd, "--kb needs a QUESTION");
	cli_kb_seed_demo();
	struct kb kb;
	int status = 0;
	struct db *db = cli_kb_open(o->kb, 0, &kb, &status);
	if (!db)
		return status;
	struct ask_kb *k = xcalloc(1, sizeof *k);
	k->name = xstrdup(kb.name);
	k->query = xstrdup(buf_str(&o->prompt));
	k->filter = o->kb_filter ? xstrdup(o->kb_filter) : NULL;
	k->so.query = k->query;
	k->so.k = o->kb_k;
	/* not given: bm25 locally, vector on a Bedrock KB (which has no bm25) */
	k->so.mode = o->kb_mode >= 0 ? (enum kb_mode)o->kb_mode : kb_is_remote(&kb) ? KB_MODE_VECTOR : KB_MODE_BM25;
	k->so.filter = k->filter;
	k->so.with_text = 1;
	if (o->kb_rerank && strcmp(o->kb_rerank, "mmr") == 0) {
		k->so.mmr = 1;
		k->so.mmr_lambda = 0.5;
	} else {
		k->so.rerank = o->kb_rerank;
	}
	int rc = cli_kb_search(db, &kb, &k->so, &k->r, NULL, o->cmd);
	db_close(db);
	kb_free(&kb);
	if (rc) {
		ask_kb_free(k);
		return rc;
	}
	char *context = kb_sources_context_stripped(&k->r, KB_CONTEXT_TOKENS, &k->used, &k->hidden);
	k->var = xasprintf("context=%s", context);
	free(context);
	o->vars = xreallocarray(o->vars, o->nvars + 1, sizeof *o->vars);
	o->vars[o->nvars++] = k->var;
	o->kb_found = k;
	o->template = "rag";
	return 0;
}

void ask_kb_print_sources(const struct ask_kb *k)
{
	if (k->r.rerank)
		printf("\nSources (%s, %s, reranked by %s:%s):\n", k->name, kb_mode_name(k->so.mode),
		       kb_rerank_kind_name(k->r.rerank->kind), k->r.rerank->model);
	else
		printf("\nSources (%s, %s%s):\n", k->name, kb_mode_name(k->so.mode), k->so.mmr ? ", mmr rerank" : "");
	if (!k->used)
		printf("  none: nothing in %s matches the question\n", k->name);
	for (size_t i = 0; i < k->used; i++) {
		char *d = cli_flat(k->r.v[i].doc_name), *h = cli_flat(k->r.v[i].heading);
		printf("  [%zu] %s%s%s  (score %.4f)\n", i + 1, d, *h ? " › " : "", h, k->r.v[i].score);
		free(d);
		free(h);
	}
	if (k->hidden)
		printf("  (%zu hidden characters stripped from the sources before sending)\n", k->hidden);
}

void ask_kb_json_add(const struct ask_kb *k, cJSON *o)
{
	cJSON_AddStringToObject(o, "kb", k->name);
	cJSON_AddItemToObject(o, "sources", kb_json_sources(&k->r, k->used));
	cJSON_AddNumberToObject(o, "sources_hidden_chars", (double)k->hidden);
}

char *ask_kb_json_wrap(const struct ask_kb *k, char *js)
{
	cJSON *o = k ? cJSON_Parse(js) : NULL;
	if (!o)
		return js;
	free(js);
	ask_kb_json_add(k, o);
	char *out = cJSON_Print(o);
	cJSON_Delete(o);
	return out;
}

char *ask_kb_params(const struct ask_kb *k, const char *extra)
{
	if (!k)
		return extra ? xstrdup(extra) : NULL;
	return kb_context_params(extra, kb_context_history(k->name, &k->so, &k->r, k->used));
}

void ask_kb_free(struct ask_kb *k)
{
	if (!k)
		return;
	kb_results_free(&k->r);
	free(k->name);
	free(k->query);
	free(k->filter);
	free(k->var);
	free(k);
}
