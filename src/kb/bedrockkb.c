#include "kb/bedrockkb.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/secret.h"
#include "base/xmalloc.h"
#include "config.h"
#include "kb/bedrockfilter.h"
#include "kb/rerank.h"
#include "llm/bedrock.h"
#include "loop.h"
#include "net/awscall.h"
#include "net/awsauth.h"
#include "net/retry.h"

struct bedrockkb {
	struct awsauth *auth;
	struct awsauth_creds creds;
	struct awsauth_endpoint agent, runtime;
	char *region;
	struct retry_quota quota;
	double (*rand01)(void *ud);
	void *rand_ud;
};

/* ---- small pieces */

static char *dup0(const char *s)
{
	return xstrdup(s ? s : "");
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

void bedrockkb_info_free(struct bedrockkb_info *k)
{
	if (!k)
		return;
	free(k->id);
	free(k->name);
	free(k->status);
	free(k->description);
	free(k->arn);
	free(k->updated);
	memset(k, 0, sizeof *k);
}

void bedrockkb_infos_free(struct bedrockkb_info *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bedrockkb_info_free(&v[i]);
	free(v);
}

static void info_from(const cJSON *o, struct bedrockkb_info *k)
{
	k->id = dup0(str(o, "knowledgeBaseId"));
	k->name = dup0(str(o, "name"));
	k->status = dup0(str(o, "status"));
	k->description = dup0(str(o, "description"));
	k->arn = dup0(str(o, "knowledgeBaseArn"));
	k->updated = dup0(str(o, "updatedAt"));
}

int bedrockkb_id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	return n >= 1 && n <= 10 &&
	       strspn(id, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") == n;
}

static const struct config_provider *bedrock_config(const struct config *cfg)
{
	for (size_t i = 0; cfg && i < cfg->nproviders; i++)
		if (strcmp(cfg->providers[i].name, "bedrock") == 0)
			return &cfg->providers[i];
	return NULL;
}

struct bedrockkb *bedrockkb_new(const struct config *cfg, const char *region, struct err *e)
{
	const struct config_provider *cp = bedrock_config(cfg);
	const char *want = region && *region ? region : cp ? cp->region : NULL;
	struct awsauth_opts opts = { cp ? cp->profile : NULL, want, 0 };
	struct bedrockkb *b = xcalloc(1, sizeof *b);
	b->auth = awsauth_new(&opts);
	b->quota = (struct retry_quota)RETRY_QUOTA_INIT;
	struct awsauth_region r = { 0 };
	if (awsauth_region(b->auth, &r, e) != 0 ||
	    awsauth_credentials(b->auth, "bedrock-agent-runtime", &b->creds, e) != 0 ||
	    awsauth_endpoint(b->auth, "bedrock-agent", r.name, &b->agent, e) != 0 ||
	    awsauth_endpoint(b->auth, "bedrock-agent-runtime", r.name, &b->runtime, e) != 0) {
		awsauth_region_free(&r);
		bedrockkb_free(b);
		return NULL;
	}
	b->region = xstrdup(r.name);
	awsauth_region_free(&r);
	return b;
}

void bedrockkb_free(struct bedrockkb *b)
{
	if (!b)
		return;
	awsauth_creds_free(&b->creds);
	awsauth_endpoint_free(&b->agent);
	awsauth_endpoint_free(&b->runtime);
	awsauth_free(b->auth);
	free(b->region);
	free(b);
}

const char *bedrockkb_region(const struct bedrockkb *b)
{
	return b->region;
}

void bedrockkb_set_retry_rand(struct bedrockkb *b, double (*rand01)(void *ud), void *ud)
{
	b->rand01 = rand01;
	b->rand_ud = ud;
}

/* ---- one rest-json call, retried */

struct reply {
	int ok;         /* a 200 */
	int status;     /* 0: no response */
	char code[96];  /* the service's error code */
	char msg[1024]; /* one sentence when !ok */
	const char *body;
	size_t len;
	int attempts;
};

struct req {
	struct bedrockkb *b;
	const struct awsauth_endpoint *ep;
	struct loop *loop;
	const char *what; /* "Retrieve", "GetKnowledgeBase", ... */
	char *kb_id;      /* for messages; may be NULL */
	char *method, *rest, *body;
	struct awscall *call;
	void (*done)(struct req *q, const struct reply *r);
	void *ud;
};

static void req_free(struct req *q)
{
	if (!q)
		return;
	awscall_cancel(q->call);
	free(q->kb_id);
	free(q->method);
	free(q->rest);
	free(q->body);
	free(q);
}

static void on_reply(void *ud, const struct awscall_reply *r);

static int req_attempt(struct req *q, struct err *e)
{
	char *what = xasprintf("bedrock knowledge base %s", q->what);
	struct awscall_request rq = {
		.ep = q->ep, .creds = &q->b->creds, .method = q->method, .path = q->rest, .body = q->body,
		.body_len = q->body ? strlen(q->body) : 0, .quota = &q->b->quota, .rand01 = q->b->rand01,
		.rand_ud = q->b->rand_ud, .what = what,
	};
	q->call = awscall_start(q->loop, &rq, on_reply, q, e);
	free(what);
	return q->call ? 0 : -1;
}

/* The sentence of a failed Rerank call; q->kb_id is the model id. */
static void rerank_sentence(const struct req *q, struct reply *rep, const char *fallback, const char *m)
{
	const char *model = q->kb_id ? q->kb_id : "";
	const char *region = q->b->region;
	if (strcmp(rep->code, "AccessDeniedException") == 0)
		snprintf(rep->msg, sizeof rep->msg,
			 "access to Bedrock rerank model %s in %s was denied (%s: %s); the credentials need bedrock:Rerank "
			 "and bedrock:InvokeModel, and the model must be enabled for the account in %s", model, region,
			 rep->code, *m ? m : "access denied", region);
	else if (strcmp(rep->code, "ThrottlingException") == 0)
		snprintf(rep->msg, sizeof rep->msg,
			 "Bedrock throttled Rerank with %s (%s: %s) and retries did not get through; wait a moment and try "
			 "again", model, rep->code, *m ? m : "too many requests");
	else if (strcmp(rep->code, "DependencyFailedException") == 0)
		snprintf(rep->msg, sizeof rep->msg,
			 "Bedrock's rerank model %s could not be reached (%s, HTTP 424: %s); try again later", model,
			 rep->code, *m ? m : "dependency failed");
	else if (strcmp(rep->code, "BadGatewayException") == 0)
		snprintf(rep->msg, sizeof rep->msg,
			 "a service behind Bedrock Rerank failed (%s, HTTP 502: %s); try again later", rep->code,
			 *m ? m : "bad gateway");
	else if (strcmp(rep->code, "ValidationException") == 0)
		snprintf(rep->msg, sizeof rep->msg,
			 "Bedrock refused the Rerank request with %s in %s (%s: %s); is it a rerank model offered there?",
			 model, region, rep->code, *m ? m : "invalid request");
	else if (strcmp(rep->code, "ResourceNotFoundException") == 0)
		snprintf(rep->msg, sizeof rep->msg, "Bedrock has no rerank model %s in %s (%s: %s)", model, region,
			 rep->code, *m ? m : "not found");
	else
		snprintf(rep->msg, sizeof rep->msg, "%s", fallback);
}

static void error_sentence(const struct req *q, const struct awscall_reply *r, struct reply *rep)
{
	struct llm_result lr;
	memset(&lr, 0, sizeof lr);
	bedrock_http_error("bedrock knowledge base", r->status, r->headers, r->body, r->len, &lr);
	snprintf(rep->code, sizeof rep->code, "%s", lr.error_code);
	char m[600];
	awscall_service_message(r->body, r->len, m, sizeof m);
	const char *id = q->kb_id ? q->kb_id : "";
	const char *region = q->b->region;
	if (strcmp(q->what, "Rerank") == 0) {
		rerank_sentence(q, rep, lr.message, m);
		return;
	}
	if (strcmp(rep->code, "ResourceNotFoundException") == 0 && *id)
		snprintf(rep->msg, sizeof rep->msg,
			 "there is no Bedrock knowledge base %s in %s (%s: %s); 'aiwb kb ls --bedrock --region %s' lists "
			 "those of the account", id, region, rep->code, *m ? m : "not found", region);
	else if (strcmp(rep->code, "AccessDeniedException") == 0)
		snprintf(rep->msg, sizeof rep->msg,
			 "access to Bedrock knowledge base%s%s in %s was denied (%s: %s); the credentials need "
			 "bedrock:%s on it", *id ? " " : "s", id, region, rep->code, *m ? m : "access denied", q->what);
	else if (strcmp(rep->code, "ThrottlingException") == 0)
		snprintf(rep->msg, sizeof rep->msg,
			 "Bedrock throttled %s%s%s (%s: %s) and retries did not get through; wait a moment and try again",
			 q->what, *id ? " " : "", id, rep->code, *m ? m : "too many requests");
	else if (strcmp(rep->code, "DependencyFailedException") == 0)
		snprintf(rep->msg, sizeof rep->msg,
			 "Bedrock could not reach what knowledge base %s depends on (%s, HTTP 424: %s); check its "
			 "vector store and role", id, rep->code, *m ? m : "dependency failed");
	else if (strcmp(rep->code, "BadGatewayException") == 0)
		snprintf(rep->msg, sizeof rep->msg,
			 "a service behind Bedrock knowledge base %s failed (%s, HTTP 502: %s); try again later", id,
			 rep->code, *m ? m : "bad gateway");
	else if (strcmp(rep->code, "ValidationException") == 0)
		snprintf(rep->msg, sizeof rep->msg, "Bedrock refused the %s request for %s (%s: %s)", q->what, id,
			 rep->code, *m ? m : "invalid request");
	else
		snprintf(rep->msg, sizeof rep->msg, "%s", lr.message);
}

static void on_reply(void *ud, const struct awscall_reply *r)
{
	struct req *q = ud;
	q->call = NULL;
	struct reply rep = { 0 };
	rep.status = r->status;
	if (r->ok) {
		rep.ok = 1;
		rep.body = r->body;
		rep.len = r->len;
	} else if (r->unsigned_retry) {
		snprintf(rep.msg, sizeof rep.msg, "%s", r->failure);
	} else if (r->status) {
		error_sentence(q, r, &rep);
	} else {
		snprintf(rep.msg, sizeof rep.msg, "bedrock knowledge base %s: %s", q->what, r->failure);
	}
	if (!rep.ok && !r->unsigned_retry && r->attempts > 1) {
		size_t n = strlen(rep.msg);
		snprintf(rep.msg + n, sizeof rep.msg - n, " (after %d attempts)", r->attempts);
	}
	rep.attempts = r->attempts;
	q->done(q, &rep);
}

static void put_label(struct buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '.' || *p == '_' || *p == '~')
			buf_putc(b, (char)*p);
		else
			buf_printf(b, "%%%02X", *p);
	}
}

/* A request for rest (the path, owned by the request); id names what it is
 * about in messages. */
static struct req *req_new_rest(struct bedrockkb *b, const struct awsauth_endpoint *ep, struct loop *l,
				const char *what, const char *id, const char *method, char *rest, char *body)
{
	struct req *q = xcalloc(1, sizeof *q);
	q->b = b;
	q->ep = ep;
	q->loop = l;
	q->what = what;
	q->kb_id = id ? xstrdup(id) : NULL;
	q->method = xstrdup(method);
	q->rest = rest;
	q->body = body;
	return q;
}

static struct req *req_new(struct bedrockkb *b, const struct awsauth_endpoint *ep, struct loop *l, const char *what,
			   const char *id, const char *method, const char *tail, char *body)
{
	struct buf rest = BUF_INIT;
	buf_puts(&rest, "/knowledgebases/");
	if (id)
		put_label(&rest, id);
	buf_puts(&rest, tail);
	return req_new_rest(b, ep, l, what, id, method, buf_detach(&rest), body);
}

/* ---- blocking calls */

struct wait {
	struct loop *l;
	int finished;
	int ok;
	char msg[1024];
	char *body;
	size_t len;
};

static void wait_done(struct req *q, const struct reply *r)
{
	struct wait *w = q->ud;
	w->finished = 1;
	w->ok = r->ok;
	snprintf(w->msg, sizeof w->msg, "%s", r->msg);
	if (r->ok) {
		w->body = xstrndup(r->body, r->len);
		w->len = r->len;
	}
	loop_stop(w->l);
}

/* Runs q to its end; 0 with w->body, or -1 with e. Frees q. */
static int run_req(struct req *q, struct wait *w, struct err *e)
{
	memset(w, 0, sizeof *w);
	w->l = q->loop;
	q->done = wait_done;
	q->ud = w;
	if (req_attempt(q, e) != 0) {
		req_free(q);
		return -1;
	}
	loop_run(q->loop);
	req_free(q);
	if (!w->finished)
		return err_set(e, "interrupted");
	if (!w->ok)
		return err_set(e, "%s", w->msg);
	return 0;
}

int bedrockkb_get(struct bedrockkb *b, struct loop *l, const char *id, struct bedrockkb_info *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	if (!bedrockkb_id_valid(id))
		return err_set(e, "'%s' is not a Bedrock knowledge base id (1 to 10 letters and digits, e.g. KB12345678)",
			       id);
	struct wait w;
	if (run_req(req_new(b, &b->agent, l, "GetKnowledgeBase", id, "GET", "", NULL), &w, e) < 0)
		return -1;
	cJSON *j = cJSON_ParseWithLength(w.body, w.len);
	const cJSON *kb = cJSON_GetObjectItemCaseSensitive(j, "knowledgeBase");
	int rc = 0;
	if (!cJSON_IsObject(kb) || !str(kb, "knowledgeBaseId"))
		rc = err_set(e, "the GetKnowledgeBase answer is not the JSON it should be (knowledgeBase.knowledgeBaseId)");
	else
		info_from(kb, out);
	cJSON_Delete(j);
	free(w.body);
	return rc;
}

int bedrockkb_list(struct bedrockkb *b, struct loop *l, struct bedrockkb_info **out, size_t *n, int *pages,
		   struct err *e)
{
	*out = NULL;
	*n = 0;
	*pages = 0;
	char *token = NULL;
	int rc = 0;
	do {
		cJSON *rq = cJSON_CreateObject();
		cJSON_AddNumberToObject(rq, "maxResults", KB_BEDROCK_LIST_PAGE);
		if (token)
			cJSON_AddStringToObject(rq, "nextToken", token);
		char *body = cJSON_PrintUnformatted(rq);
		cJSON_Delete(rq);
		free(token);
		token = NULL;
		struct wait w;
		if (run_req(req_new(b, &b->agent, l, "ListKnowledgeBases", NULL, "POST", "", body), &w, e) < 0) {
			rc = -1;
			break;
		}
		(*pages)++;
		cJSON *j = cJSON_ParseWithLength(w.body, w.len);
		free(w.body);
		const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, "knowledgeBaseSummaries");
		if (!cJSON_IsArray(list)) {
			cJSON_Delete(j);
			rc = err_set(e, "the ListKnowledgeBases answer is not the JSON it should be (knowledgeBaseSummaries)");
			break;
		}
		const cJSON *it;
		cJSON_ArrayForEach(it, list) {
			*out = xreallocarray(*out, *n + 1, sizeof **out);
			info_from(it, &(*out)[(*n)++]);
		}
		if (str(j, "nextToken") && *str(j, "nextToken"))
			token = xstrdup(str(j, "nextToken"));
		cJSON_Delete(j);
		if (token && *pages >= 1000) {
			rc = err_set(e, "ListKnowledgeBases kept answering with a nextToken after 1000 pages");
			break;
		}
	} while (token);
	free(token);
	if (rc < 0) {
		bedrockkb_infos_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

/* ---- Retrieve */

char *bedrockkb_retrieve_json(const struct kb_search_opts *so, const char *next_token, struct err *e)
{
	if (so->mode == KB_MODE_BM25) {
		err_set(e, "a Bedrock knowledge base has no bm25 mode; search it with --mode vector (SEMANTIC) or "
			   "--mode hybrid (HYBRID)");
		return NULL;
	}
	if (so->k < 1 || so->k > KB_BEDROCK_K_MAX) {
		err_set(e, "Bedrock's Retrieve returns at most %d results; ask for -k %d or fewer", KB_BEDROCK_K_MAX,
			KB_BEDROCK_K_MAX);
		return NULL;
	}
	if (so->mmr) {
		err_set(e, "--rerank mmr needs the chunks' vectors, which a Bedrock knowledge base does not give out");
		return NULL;
	}
	cJSON *filter = NULL;
	if (so->filter) {
		char *f = kb_bedrock_filter_json(so->filter, e);
		if (!f)
			return NULL;
		filter = cJSON_Parse(f);
		free(f);
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "retrievalQuery"), "text", so->query ? so->query : "");
	cJSON *vs = cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "retrievalConfiguration"),
					    "vectorSearchConfiguration");
	cJSON_AddNumberToObject(vs, "numberOfResults", so->k);
	cJSON_AddStringToObject(vs, "overrideSearchType", so->mode == KB_MODE_HYBRID ? "HYBRID" : "SEMANTIC");
	if (filter)
		cJSON_AddItemToObject(vs, "filter", filter);
	if (next_token)
		cJSON_AddStringToObject(o, "nextToken", next_token);
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* The URI of a result's location: the member named *Location's uri, url or id. */
static const char *location_uri(const cJSON *loc)
{
	const cJSON *m;
	cJSON_ArrayForEach(m, loc) {
		size_t n = m->string ? strlen(m->string) : 0;
		if (!cJSON_IsObject(m) || n < 8 || strcmp(m->string + n - 8, "Location") != 0)
			continue;
		static const char *const keys[] = { "uri", "url", "id", "query" };
		for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
			if (str(m, keys[i]))
				return str(m, keys[i]);
	}
	return NULL;
}

static char *unmarked(const char *s)
{
	char *t = xstrdup(s ? s : "");
	char *w = t;
	for (const char *p = t; *p; p++)
		if (*p != KB_MARK_ON && *p != KB_MARK_OFF)
			*w++ = *p;
	*w = '\0';
	return t;
}

int bedrockkb_parse_retrieve(const char *body, size_t len, struct kb_results *r, char **next_token, struct err *e)
{
	*next_token = NULL;
	cJSON *j = cJSON_ParseWithLength(body ? body : "", len);
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, "retrievalResults");
	if (!cJSON_IsArray(list)) {
		cJSON_Delete(j);
		return err_set(e, "the Retrieve answer is not the JSON it should be (retrievalResults)");
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, list) {
		const cJSON *content = cJSON_GetObjectItemCaseSensitive(it, "content");
		if (!cJSON_IsObject(content))
			continue;
		r->v = xreallocarray(r->v, r->n + 1, sizeof *r->v);
		struct kb_hit *h = &r->v[r->n++];
		memset(h, 0, sizeof *h);
		h->remote = 1;
		h->rank = (int)r->n;
		const cJSON *score = cJSON_GetObjectItemCaseSensitive(it, "score");
		h->score = cJSON_IsNumber(score) ? score->valuedouble : 0;
		const char *uri = location_uri(cJSON_GetObjectItemCaseSensitive(it, "location"));
		const char *doc = str(it, "documentId");
		h->document_id = doc ? xstrdup(doc) : NULL;
		h->doc_name = unmarked(uri ? uri : doc ? doc : "");
		h->doc_path = unmarked(uri ? uri : "");
		h->title = xstrdup("");
		h->heading = xstrdup("");
		const cJSON *meta = cJSON_GetObjectItemCaseSensitive(it, "metadata");
		h->meta = cJSON_IsObject(meta) ? cJSON_PrintUnformatted(meta) : xstrdup("{}");
		h->text = unmarked(str(content, "text"));
	}
	const char *tok = str(j, "nextToken");
	if (tok && *tok)
		*next_token = xstrdup(tok);
	cJSON_Delete(j);
	return 0;
}

struct bedrockkb_call {
	struct bedrockkb *b;
	struct loop *loop;
	char *id;
	struct kb_search_opts so;
	char *query, *filter;
	struct req *q;
	struct kb_results res;
	int pages;
	bedrockkb_done_fn done;
	void *ud;
};

static void call_free(struct bedrockkb_call *c)
{
	req_free(c->q);
	kb_results_free(&c->res);
	free(c->id);
	free(c->query);
	free(c->filter);
	free(c);
}

void bedrockkb_cancel(struct bedrockkb_call *c)
{
	if (c)
		call_free(c);
}

static void page_done(struct req *q, const struct reply *r);

static int start_page(struct bedrockkb_call *c, const char *token, struct err *e)
{
	char *body = bedrockkb_retrieve_json(&c->so, token, e);
	if (!body)
		return -1;
	c->q = req_new(c->b, &c->b->runtime, c->loop, "Retrieve", c->id, "POST", "/retrieve", body);
	c->q->done = page_done;
	c->q->ud = c;
	if (req_attempt(c->q, e) != 0) {
		req_free(c->q);
		c->q = NULL;
		return -1;
	}
	return 0;
}

static void finish(struct bedrockkb_call *c, const struct err *e)
{
	bedrockkb_done_fn done = c->done;
	void *ud = c->ud;
	struct kb_results *r = NULL;
	if (!e) {
		r = xmalloc(sizeof *r);
		*r = c->res;
		memset(&c->res, 0, sizeof c->res);
		while (r->n > (size_t)c->so.k) {
			struct kb_hit *h = &r->v[--r->n];
			free(h->doc_name);
			free(h->doc_path);
			free(h->title);
			free(h->heading);
			free(h->meta);
			free(h->text);
			free(h->document_id);
		}
	}
	call_free(c);
	done(ud, r, e);
}

static void page_done(struct req *q, const struct reply *r)
{
	struct bedrockkb_call *c = q->ud;
	struct err e = ERR_INIT;
	c->q = NULL;
	if (!r->ok) {
		err_set(&e, "%s", r->msg);
		req_free(q);
		finish(c, &e);
		return;
	}
	char *token = NULL;
	int rc = bedrockkb_parse_retrieve(r->body, r->len, &c->res, &token, &e);
	req_free(q);
	c->pages++;
	if (rc == 0 && token && c->res.n < (size_t)c->so.k) {
		if (c->pages >= KB_BEDROCK_PAGES)
			rc = err_set(&e, "Retrieve kept answering with a nextToken after %d pages", KB_BEDROCK_PAGES);
		else
			rc = start_page(c, token, &e);
		free(token);
		if (rc == 0)
			return;
	} else {
		free(token);
	}
	finish(c, rc == 0 ? NULL : &e);
}

struct bedrockkb_call *bedrockkb_retrieve_start(struct bedrockkb *b, struct loop *l, const char *id,
						const struct kb_search_opts *so, bedrockkb_done_fn done, void *ud,
						struct err *e)
{
	if (!bedrockkb_id_valid(id)) {
		err_set(e, "'%s' is not a Bedrock knowledge base id (1 to 10 letters and digits)", id);
		return NULL;
	}
	struct bedrockkb_call *c = xcalloc(1, sizeof *c);
	c->b = b;
	c->loop = l;
	c->id = xstrdup(id);
	c->so = *so;
	c->query = xstrdup(so->query ? so->query : "");
	c->filter = so->filter ? xstrdup(so->filter) : NULL;
	c->so.query = c->query;
	c->so.filter = c->filter;
	c->so.qvec = NULL;
	c->done = done;
	c->ud = ud;
	if (start_page(c, NULL, e) != 0) {
		call_free(c);
		return NULL;
	}
	return c;
}

struct retrieve_wait {
	struct loop *l;
	int finished;
	struct kb_results *r;
	struct err e;
};

static void retrieve_waited(void *ud, struct kb_results *r, const struct err *e)
{
	struct retrieve_wait *w = ud;
	w->finished = 1;
	w->r = r;
	if (e)
		w->e = *e;
	loop_stop(w->l);
}

int bedrockkb_retrieve(struct bedrockkb *b, struct loop *l, const char *id, const struct kb_search_opts *so,
		       struct kb_results *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	struct retrieve_wait w = { l, 0, NULL, ERR_INIT };
	struct bedrockkb_call *c = bedrockkb_retrieve_start(b, l, id, so, retrieve_waited, &w, e);
	if (!c)
		return -1;
	loop_run(l);
	if (!w.finished) {
		bedrockkb_cancel(c);
		return err_set(e, "interrupted");
	}
	if (!w.r)
		return err_set(e, "%s", w.e.msg);
	*out = *w.r;
	free(w.r);
	return 0;
}

/* ---- Rerank */

struct bedrockkb_rerank_call {
	struct bedrockkb *b;
	struct loop *loop;
	struct kb_rerank *rr;
	char *query;
	char **texts;
	size_t n, from, m;
	double *scores;
	unsigned char *seen;
	char *token;
	int pages;
	struct req *q;
	int64_t t0;
	bedrockkb_rerank_fn done;
	void *ud;
};

static void rerank_call_free(struct bedrockkb_rerank_call *c)
{
	req_free(c->q);
	for (size_t i = 0; i < c->n; i++)
		free(c->texts[i]);
	free(c->texts);
	free(c->query);
	free(c->scores);
	free(c->seen);
	free(c->token);
	free(c);
}

void bedrockkb_rerank_cancel(struct bedrockkb_rerank_call *c)
{
	if (c)
		rerank_call_free(c);
}

static void rerank_reply(struct req *q, const struct reply *r);

/* The next page of the batch at c->from (c->token set) or the next batch. */
static int rerank_send(struct bedrockkb_rerank_call *c, struct err *e)
{
	c->m = c->n - c->from < KB_RERANK_BATCH ? c->n - c->from : KB_RERANK_BATCH;
	char *body = kb_rerank_request_json(c->rr->model_arn, c->query, (const char *const *)c->texts + c->from, c->m,
					    c->token);
	c->q = req_new_rest(c->b, &c->b->runtime, c->loop, "Rerank", c->rr->model, "POST", xstrdup("/rerank"), body);
	c->q->done = rerank_reply;
	c->q->ud = c;
	if (req_attempt(c->q, e) != 0) {
		req_free(c->q);
		c->q = NULL;
		return -1;
	}
	return 0;
}

static void rerank_finish(struct bedrockkb_rerank_call *c, const struct err *e)
{
	c->rr->ms = (double)(clock_us() - c->t0) / 1000.0;
	bedrockkb_rerank_fn done = c->done;
	void *ud = c->ud;
	double *scores = c->scores;
	c->scores = NULL;
	rerank_call_free(c);
	done(ud, e ? NULL : scores, e);
	free(scores);
}

static void rerank_reply(struct req *q, const struct reply *r)
{
	struct bedrockkb_rerank_call *c = q->ud;
	struct err e = ERR_INIT;
	c->q = NULL;
	int rc = 0;
	if (!r->ok) {
		rc = err_set(&e, "%s", r->msg);
	} else {
		c->rr->calls++;
		c->pages++;
		free(c->token);
		c->token = NULL;
		rc = kb_rerank_parse_response(r->body, r->len, c->scores + c->from, c->seen + c->from, c->m, &c->token, &e);
		if (rc == 0 && c->token && c->pages >= KB_BEDROCK_PAGES)
			rc = err_set(&e, "Rerank kept answering with a nextToken after %d pages", KB_BEDROCK_PAGES);
	}
	req_free(q);
	if (rc == 0 && !c->token) {
		c->from += c->m;
		c->pages = 0;
	}
	if (rc == 0 && c->from < c->n) {
		if (rerank_send(c, &e) == 0)
			return;
		rc = -1;
	}
	for (size_t i = 0; i < c->n && rc == 0; i++)
		if (!c->seen[i])
			rc = err_set(&e, "Bedrock's Rerank answer left document %zu of %zu without a relevance score", i + 1,
				     c->n);
	rerank_finish(c, rc == 0 ? NULL : &e);
}

struct bedrockkb_rerank_call *bedrockkb_rerank_start(struct bedrockkb *b, struct loop *l, struct kb_rerank *rr,
						     const char *query, const char *const *texts, size_t n,
						     bedrockkb_rerank_fn done, void *ud, struct err *e)
{
	if (!n) {
		err_set(e, "nothing to rerank");
		return NULL;
	}
	struct bedrockkb_rerank_call *c = xcalloc(1, sizeof *c);
	c->b = b;
	c->loop = l;
	c->rr = rr;
	c->query = xstrdup(query ? query : "");
	c->n = n;
	c->texts = xcalloc(n, sizeof *c->texts);
	for (size_t i = 0; i < n; i++)
		c->texts[i] = xstrdup(texts[i]);
	c->scores = xcalloc(n, sizeof *c->scores);
	c->seen = xcalloc(n, 1);
	c->t0 = clock_us();
	c->done = done;
	c->ud = ud;
	free(rr->model_arn);
	rr->model_arn = kb_rerank_model_arn(b->region, rr->model);
	rr->candidates = n;
	if (rerank_send(c, e) != 0) {
		rerank_call_free(c);
		return NULL;
	}
	return c;
}

struct rerank_wait {
	struct loop *l;
	int finished;
	double *scores;
	size_t n;
	struct err e;
};

static void rerank_waited(void *ud, const double *scores, const struct err *e)
{
	struct rerank_wait *w = ud;
	w->finished = 1;
	if (scores)
		memcpy(w->scores, scores, w->n * sizeof *scores);
	else
		w->e = *e;
	loop_stop(w->l);
}

int bedrockkb_rerank(struct bedrockkb *b, struct loop *l, struct kb_rerank *rr, const char *query,
		     const char *const *texts, size_t n, double *scores, struct err *e)
{
	struct rerank_wait w = { l, 0, scores, n, ERR_INIT };
	struct bedrockkb_rerank_call *c = bedrockkb_rerank_start(b, l, rr, query, texts, n, rerank_waited, &w, e);
	if (!c)
		return -1;
	loop_run(l);
	if (!w.finished) {
		bedrockkb_rerank_cancel(c);
		return err_set(e, "interrupted");
	}
	return w.e.set ? err_set(e, "%s", w.e.msg) : 0;
}
