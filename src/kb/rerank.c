#include "kb/rerank.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/xmalloc.h"
#include "llm/provider.h"
#include "loop.h"

int kb_rerank_parse(const char *spec, struct kb_rerank *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	const char *m = NULL;
	if (spec && strncmp(spec, "bedrock:", 8) == 0) {
		out->kind = KB_RERANK_BEDROCK;
		m = spec + 8;
		if (!*m || strlen(m) > 200 || strpbrk(m, " /\t\n"))
			return err_set(e, "--rerank bedrock: needs a Bedrock rerank model id, such as "
					  "bedrock:amazon.rerank-v1:0 or bedrock:cohere.rerank-v3-5:0");
	} else if (spec && strncmp(spec, "llm:", 4) == 0) {
		out->kind = KB_RERANK_LLM;
		m = spec + 4;
		const char *slash = strchr(m, '/');
		if (!slash || slash == m || !slash[1])
			return err_set(e, "--rerank llm: needs a chat model as PROVIDER/MODEL, such as llm:openai/gpt-4o-mini");
	} else {
		return err_set(e, "--rerank must be mmr, bedrock:MODEL_ID (e.g. bedrock:amazon.rerank-v1:0) or "
				  "llm:PROVIDER/MODEL");
	}
	for (const unsigned char *p = (const unsigned char *)m; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return err_set(e, "--rerank: the model name holds a control character");
	out->model = xstrdup(m);
	return 0;
}

void kb_rerank_free(struct kb_rerank *rr)
{
	if (!rr)
		return;
	free(rr->model);
	free(rr->model_arn);
	memset(rr, 0, sizeof *rr);
}

int kb_rerank_depth(int k, int max)
{
	int d = k > KB_RERANK_DEPTH ? k : KB_RERANK_DEPTH;
	return d < max ? d : max;
}

const char *kb_rerank_kind_name(enum kb_rerank_kind k)
{
	return k == KB_RERANK_BEDROCK ? "bedrock" : k == KB_RERANK_LLM ? "llm" : "";
}

/* The longest prefix of s of at most max bytes that ends on a UTF-8 boundary. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	size_t n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

char *kb_rerank_text(const struct kb_hit *h)
{
	struct buf b = BUF_INIT;
	for (const char *p = h->text ? h->text : ""; *p; p++)
		if (*p != KB_MARK_ON && *p != KB_MARK_OFF)
			buf_putc(&b, *p);
	const char *s = buf_str(&b);
	size_t len = b.len;
	if (strspn(s, " \t\r\n") == len) {
		s = h->title && *h->title ? h->title : h->doc_name && *h->doc_name ? h->doc_name : "(empty)";
		len = strlen(s);
	}
	char *out = xstrndup(s, utf8_cut(s, len, KB_RERANK_TEXT_MAX));
	buf_free(&b);
	return out;
}

char *kb_rerank_model_arn(const char *region, const char *model)
{
	return xasprintf("arn:aws:bedrock:%s::foundation-model/%s", region, model);
}

static cJSON *text_doc(const char *text)
{
	cJSON *o = cJSON_CreateObject();
	size_t len = strlen(text);
	char *t = xstrndup(text, utf8_cut(text, len, KB_RERANK_TEXT_MAX));
	cJSON_AddStringToObject(o, "text", t);
	free(t);
	return o;
}

char *kb_rerank_request_json(const char *model_arn, const char *query, const char *const *texts, size_t n,
			     const char *next_token)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *q = cJSON_CreateObject();
	cJSON_AddStringToObject(q, "type", "TEXT");
	cJSON_AddItemToObject(q, "textQuery", text_doc(query));
	cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "queries"), q);
	cJSON *src = cJSON_AddArrayToObject(o, "sources");
	for (size_t i = 0; i < n; i++) {
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "type", "INLINE");
		cJSON *d = cJSON_AddObjectToObject(s, "inlineDocumentSource");
		cJSON_AddStringToObject(d, "type", "TEXT");
		cJSON_AddItemToObject(d, "textDocument", text_doc(texts[i]));
		cJSON_AddItemToArray(src, s);
	}
	cJSON *rc = cJSON_AddObjectToObject(o, "rerankingConfiguration");
	cJSON_AddStringToObject(rc, "type", "BEDROCK_RERANKING_MODEL");
	cJSON *br = cJSON_AddObjectToObject(rc, "bedrockRerankingConfiguration");
	cJSON_AddNumberToObject(br, "numberOfResults", (double)n);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(br, "modelConfiguration"), "modelArn", model_arn);
	if (next_token)
		cJSON_AddStringToObject(o, "nextToken", next_token);
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

int kb_rerank_parse_response(const char *body, size_t len, double *scores, unsigned char *seen, size_t n,
			     char **next_token, struct err *e)
{
	*next_token = NULL;
	cJSON *j = cJSON_ParseWithLength(body ? body : "", len);
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, "results");
	if (!cJSON_IsArray(list)) {
		cJSON_Delete(j);
		return err_set(e, "the Rerank answer is not the JSON it should be (results)");
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, list) {
		const cJSON *idx = cJSON_GetObjectItemCaseSensitive(it, "index");
		const cJSON *sc = cJSON_GetObjectItemCaseSensitive(it, "relevanceScore");
		if (!cJSON_IsNumber(idx) || !cJSON_IsNumber(sc) || !isfinite(sc->valuedouble)) {
			cJSON_Delete(j);
			return err_set(e, "the Rerank answer is not the JSON it should be (results[].index, relevanceScore)");
		}
		double d = idx->valuedouble;
		if (!(d >= 0 && d < (double)n) || d != floor(d)) {
			cJSON_Delete(j);
			return err_set(e, "the Rerank answer names document %g of %zu sent", d, n);
		}
		scores[(size_t)d] = sc->valuedouble;
		seen[(size_t)d] = 1;
	}
	const cJSON *tok = cJSON_GetObjectItemCaseSensitive(j, "nextToken");
	if (cJSON_IsString(tok) && *tok->valuestring)
		*next_token = xstrdup(tok->valuestring);
	cJSON_Delete(j);
	return 0;
}

/* ---- chat rerank */

#define PROMPT_HEAD                                                                                            \
	"Rate how relevant the passage is to the question on a scale from 0 (unrelated) to 10 (answers it "    \
	"fully). Answer with a number only.\n\n"

char *kb_rerank_prompt(const char *query, const char *passage)
{
	return xasprintf(PROMPT_HEAD "Question: %s\n\nPassage: %s", query, passage);
}

int kb_rerank_parse_score(const char *answer, double *score)
{
	*score = 0;
	for (const char *p = answer ? answer : ""; *p; p++) {
		if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1])))
			continue;
		int neg = p > answer && p[-1] == '-';
		char *end;
		double v = strtod(p, &end);
		if (end == p || isnan(v))
			return -1;
		if (neg)
			v = -v;
		*score = v < 0 ? 0 : v > KB_RERANK_LLM_MAX ? KB_RERANK_LLM_MAX : v;
		return 0;
	}
	return -1;
}

struct llm_slot {
	struct kb_rerank_llm_call *lr;
	size_t index;
	struct provider_call *call;
	struct buf text;
	char *prompt;
	struct llm_message msg;
};

struct kb_rerank_llm_call {
	struct provider *p;
	struct loop *l;
	char *model; /* the MODEL part */
	char *query;
	char **texts;
	size_t n, next, done;
	double *scores;
	struct kb_rerank *rr;
	struct llm_slot *slots;
	int limit, in_flight;
	int failed;
	int64_t t0;
	struct err e;
	kb_rerank_fn on_done;
	void *ud;
};

static void llm_call_free(struct kb_rerank_llm_call *lr)
{
	for (int i = 0; lr->slots && i < lr->limit; i++) {
		if (lr->slots[i].call)
			provider_cancel(lr->slots[i].call);
		free(lr->slots[i].prompt);
		buf_free(&lr->slots[i].text);
	}
	free(lr->slots);
	provider_free(lr->p);
	for (size_t i = 0; i < lr->n; i++)
		free(lr->texts[i]);
	free(lr->texts);
	free(lr->query);
	free(lr->model);
	free(lr->scores);
	free(lr);
}

void kb_rerank_llm_cancel(struct kb_rerank_llm_call *lr)
{
	if (lr)
		llm_call_free(lr);
}

static void slot_text(void *ud, const char *text, size_t len)
{
	struct llm_slot *s = ud;
	if (s->text.len < 4096)
		buf_append(&s->text, text, len);
}

static int slot_start(struct kb_rerank_llm_call *lr, struct llm_slot *s);

static void slot_done(void *ud, const struct llm_result *r)
{
	struct llm_slot *s = ud;
	struct kb_rerank_llm_call *lr = s->lr;
	s->call = NULL;
	lr->in_flight--;
	lr->done++;
	if (r->status == LLM_ERROR || r->status == LLM_CANCELLED) {
		if (!lr->failed)
			err_set(&lr->e, "%s", r->message[0] ? r->message : "the chat model's call failed");
		lr->failed = 1;
	} else {
		double v;
		if (kb_rerank_parse_score(buf_str(&s->text), &v) != 0)
			lr->rr->unparsed++;
		lr->scores[s->index] = v;
	}
	free(s->prompt);
	s->prompt = NULL;
	buf_free(&s->text);
	if (!lr->failed && lr->next < lr->n && slot_start(lr, s) != 0)
		lr->failed = 1;
	if (lr->in_flight == 0 && (lr->failed || lr->done == lr->n)) {
		lr->rr->ms = (double)(clock_us() - lr->t0) / 1000.0;
		kb_rerank_fn fn = lr->on_done;
		void *fud = lr->ud;
		struct err e = lr->e;
		double *scores = lr->scores;
		int failed = lr->failed;
		lr->scores = NULL;
		llm_call_free(lr);
		fn(fud, failed ? NULL : scores, failed ? &e : NULL);
		free(scores);
	}
}

static int slot_start(struct kb_rerank_llm_call *lr, struct llm_slot *s)
{
	s->lr = lr;
	s->index = lr->next++;
	s->text = (struct buf)BUF_INIT;
	s->prompt = kb_rerank_prompt(lr->query, lr->texts[s->index]);
	s->msg = (struct llm_message){ "user", s->prompt };
	struct llm_request rq;
	memset(&rq, 0, sizeof rq);
	rq.model = lr->model;
	rq.messages = &s->msg;
	rq.nmessages = 1;
	rq.params.has_temperature = 1;
	rq.params.temperature = 0;
	rq.params.has_max_tokens = 1;
	rq.params.max_tokens = 16;
	struct llm_handlers h = { slot_text, slot_done, NULL };
	s->call = lr->p->ops->chat(lr->p, lr->l, &rq, &h, s, &lr->e);
	if (!s->call) {
		free(s->prompt);
		s->prompt = NULL;
		return -1;
	}
	lr->in_flight++;
	lr->rr->calls++;
	if (lr->in_flight > lr->rr->max_in_flight)
		lr->rr->max_in_flight = lr->in_flight;
	return 0;
}

struct kb_rerank_llm_call *kb_rerank_llm_start(const struct config *cfg, struct loop *l, struct kb_rerank *rr,
					       const char *query, const char *const *texts, size_t n, int max_in_flight,
					       kb_rerank_fn done, void *ud, struct err *e)
{
	char *pname = NULL, *mname = NULL;
	if (!n) {
		err_set(e, "nothing to rerank");
		return NULL;
	}
	if (provider_split_model(rr->model, &pname, &mname, e) != 0)
		return NULL;
	struct provider *p = provider_open(cfg, pname, e);
	free(pname);
	if (!p) {
		free(mname);
		return NULL;
	}
	struct kb_rerank_llm_call *lr = xcalloc(1, sizeof *lr);
	lr->p = p;
	lr->t0 = clock_us();
	lr->l = l;
	lr->model = mname;
	lr->query = xstrdup(query ? query : "");
	lr->n = n;
	lr->texts = xcalloc(n, sizeof *lr->texts);
	for (size_t i = 0; i < n; i++)
		lr->texts[i] = xstrdup(texts[i]);
	lr->scores = xcalloc(n, sizeof *lr->scores);
	lr->rr = rr;
	lr->e = (struct err)ERR_INIT;
	lr->on_done = done;
	lr->ud = ud;
	lr->limit = max_in_flight > 0 ? max_in_flight : KB_RERANK_LLM_IN_FLIGHT;
	lr->slots = xcalloc((size_t)lr->limit, sizeof *lr->slots);
	rr->candidates = n;
	for (int i = 0; i < lr->limit && lr->next < n; i++) {
		if (slot_start(lr, &lr->slots[i]) != 0) {
			err_set(e, "%s", lr->e.msg);
			llm_call_free(lr);
			return NULL;
		}
	}
	return lr;
}

struct llm_wait {
	struct loop *l;
	int finished;
	double *scores;
	size_t n;
	struct err e;
};

static void llm_waited(void *ud, const double *scores, const struct err *e)
{
	struct llm_wait *w = ud;
	w->finished = 1;
	if (scores)
		memcpy(w->scores, scores, w->n * sizeof *scores);
	else
		w->e = *e;
	loop_stop(w->l);
}

int kb_rerank_llm(const struct config *cfg, struct loop *l, struct kb_rerank *rr, const char *query,
		  const char *const *texts, size_t n, int max_in_flight, double *scores, struct err *e)
{
	struct llm_wait w = { l, 0, scores, n, ERR_INIT };
	struct kb_rerank_llm_call *c = kb_rerank_llm_start(cfg, l, rr, query, texts, n, max_in_flight, llm_waited, &w, e);
	if (!c)
		return -1;
	loop_run(l);
	if (!w.finished) {
		kb_rerank_llm_cancel(c);
		return err_set(e, "interrupted");
	}
	return w.e.set ? err_set(e, "%s", w.e.msg) : 0;
}

/* ---- applying scores */

struct ranked {
	double score;
	size_t at;
};

static int by_score(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

static void hit_free(struct kb_hit *h)
{
	free(h->doc_name);
	free(h->doc_path);
	free(h->title);
	free(h->heading);
	free(h->meta);
	free(h->text);
	free(h->document_id);
}

void kb_rerank_apply(struct kb_results *r, const double *scores, size_t k)
{
	if (!r->n)
		return;
	struct ranked *o = xcalloc(r->n, sizeof *o);
	for (size_t i = 0; i < r->n; i++)
		o[i] = (struct ranked){ scores[i], i };
	qsort(o, r->n, sizeof *o, by_score);
	struct kb_hit *v = xcalloc(r->n, sizeof *v);
	for (size_t i = 0; i < r->n; i++) {
		v[i] = r->v[o[i].at];
		v[i].retrieval = v[i].score;
		v[i].retrieval_rank = v[i].rank ? v[i].rank : (int)o[i].at + 1;
		v[i].relevance = o[i].score;
		v[i].score = o[i].score;
		v[i].rank = (int)i + 1;
		v[i].rerank_rank = (int)i + 1;
	}
	for (size_t i = k; i < r->n; i++)
		hit_free(&v[i]);
	free(r->v);
	free(o);
	r->v = v;
	if (r->n > k)
		r->n = k;
}
