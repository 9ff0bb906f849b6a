#include "llm/embed_call.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "llm/llm_json.h"

const cJSON *llm_embedding_rows(const cJSON *body, const char *name, size_t n, struct err *e)
{
	const cJSON *rows = llm_json_list(body, name, e);
	if (rows && (size_t)cJSON_GetArraySize(rows) != n) {
		err_set(e, "%d embeddings for %zu inputs", cJSON_GetArraySize(rows), n);
		return NULL;
	}
	return rows;
}

int llm_embedding_put(struct llm_embedding *emb, size_t n, size_t row, const cJSON *vec, struct err *e)
{
	int dim = cJSON_GetArraySize(vec);
	if (!cJSON_IsArray(vec) || dim <= 0)
		return err_set(e, "embedding %zu is not a list of numbers", row);
	if (!emb->values) {
		emb->dim = (size_t)dim;
		emb->n = n;
		emb->values = xcalloc(n * emb->dim, sizeof *emb->values);
	}
	if ((size_t)dim != emb->dim)
		return err_set(e, "embedding %zu has %d dimensions, the first has %zu", row, dim, emb->dim);
	if (row >= n)
		return err_set(e, "embedding %zu answers no input (%zu were sent)", row, n);
	float *out = emb->values + row * emb->dim;
	const cJSON *x;
	cJSON_ArrayForEach(x, vec) {
		if (!cJSON_IsNumber(x))
			return err_set(e, "embedding %zu holds a value that is not a number", row);
		*out++ = (float)x->valuedouble;
	}
	return 0;
}

struct embed_state {
	char *name;
	llm_embed_fn parse;
	size_t n;
	void (*done)(void *ud, const struct llm_embedding *emb, const struct err *e);
	void *ud;
};

static void embed_state_free(void *ud)
{
	struct embed_state *st = ud;
	free(st->name);
	free(st);
}

static int on_embedding(struct llm_call *c, const cJSON *body, const struct err *e, void *ud)
{
	struct embed_state *st = ud;
	struct err pe = ERR_INIT, fe = ERR_INIT;
	(void)c;
	if (!body) {
		st->done(st->ud, NULL, e);
		return 0;
	}
	struct llm_embedding emb;
	memset(&emb, 0, sizeof emb);
	emb.usage.input_tokens = emb.usage.output_tokens = -1;
	if (st->parse(body, st->n, &emb, &pe) != 0) {
		err_set(&fe, "%s: the embeddings answer is not what the API returns: %s", st->name, pe.msg);
		st->done(st->ud, NULL, &fe);
	} else {
		st->done(st->ud, &emb, NULL);
	}
	free(emb.values);
	return 0;
}

struct provider_call *llm_embed_start(struct loop *l, const struct llm_call_setup *cs, llm_embed_fn parse, size_t n,
				      void (*done)(void *ud, const struct llm_embedding *emb, const struct err *e),
				      void *ud, struct err *e)
{
	struct embed_state *st = xcalloc(1, sizeof *st);
	st->name = xstrdup(cs->p->name);
	st->parse = parse;
	st->n = n;
	st->done = done;
	st->ud = ud;
	return llm_fetch_start(l, cs, on_embedding, st, embed_state_free, e);
}
