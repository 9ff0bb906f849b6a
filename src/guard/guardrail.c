#include "guard/guardrail.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "config.h"
#include "llm/bedrock.h"
#include "llm/llm_json.h"
#include "loop.h"
#include "net/awscall.h"
#include "net/awsauth.h"
#include "net/retry.h"

#define NAME "bedrock guardrail"
#define TEXT_MAX ((size_t)1 << 20)

struct guardrail {
	char *id, *version;
	int allow_http;
	struct awsauth *auth;
	struct awsauth_creds creds;
	struct awsauth_endpoint ep;
	struct retry_quota quota;
	double (*rand01)(void *ud);
	void *rand_ud;
};

struct guardrail_call {
	struct awscall *call;
	guardrail_done_fn done;
	void *ud;
};

static void set_text(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

void guardrail_result_free(struct guardrail_result *r)
{
	if (!r)
		return;
	free(r->action_reason);
	for (size_t i = 0; i < r->noutputs; i++)
		free(r->outputs[i]);
	free(r->outputs);
	free(r->rows);
	free(r->json);
	free(r);
}

int guardrail_parse_spec(const char *spec, char **id, char **version, struct err *e)
{
	const char *colon = spec ? strrchr(spec, ':') : NULL;
	if (!colon || colon == spec || !colon[1])
		return err_set(e, "a guardrail is named ID:VERSION, e.g. gr-abc123:1 or gr-abc123:DRAFT");
	const char *v = colon + 1;
	int numeric = strspn(v, "0123456789") == strlen(v);
	if (!numeric && strcmp(v, "DRAFT") != 0)
		return err_set(e, "the guardrail version '%s' must be a number or DRAFT", v);
	*id = xstrndup(spec, (size_t)(colon - spec));
	*version = xstrdup(v);
	return 0;
}

static const struct config_provider *bedrock_config(const struct config *cfg)
{
	for (size_t i = 0; cfg && i < cfg->nproviders; i++)
		if (strcmp(cfg->providers[i].name, "bedrock") == 0)
			return &cfg->providers[i];
	return NULL;
}

struct guardrail *guardrail_new(const struct config *cfg, const char *spec, struct err *e)
{
	struct guardrail *g = xcalloc(1, sizeof *g);
	if (guardrail_parse_spec(spec, &g->id, &g->version, e) != 0) {
		free(g);
		return NULL;
	}
	const struct config_provider *cp = bedrock_config(cfg);
	struct awsauth_opts opts = { cp ? cp->profile : NULL, cp ? cp->region : NULL, 0 };
	struct awsauth_region region = { 0 };
	g->allow_http = cp ? cp->allow_http : 0;
	g->auth = awsauth_new(&opts);
	g->quota = (struct retry_quota)RETRY_QUOTA_INIT;
	if (awsauth_credentials(g->auth, "bedrock-runtime", &g->creds, e) != 0 ||
	    awsauth_region(g->auth, &region, e) != 0 ||
	    awsauth_endpoint(g->auth, "bedrock-runtime", region.name, &g->ep, e) != 0 ||
	    (cp && cp->base_url && bedrock_override_endpoint(&g->ep, cp->base_url, e) != 0)) {
		awsauth_region_free(&region);
		guardrail_free(g);
		return NULL;
	}
	awsauth_region_free(&region); /* the credentials are secrets in force (awsauth registers them) */
	return g;
}

void guardrail_free(struct guardrail *g)
{
	if (!g)
		return;
	awsauth_creds_free(&g->creds);
	awsauth_endpoint_free(&g->ep);
	awsauth_free(g->auth);
	free(g->id);
	free(g->version);
	free(g);
}

const char *guardrail_id(const struct guardrail *g)
{
	return g->id;
}

const char *guardrail_version(const struct guardrail *g)
{
	return g->version;
}

void guardrail_set_retry_rand(struct guardrail *g, double (*rand01)(void *ud), void *ud)
{
	g->rand01 = rand01;
	g->rand_ud = ud;
}

/* ---- wire ---- */

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

char *guardrail_path(const char *id, const char *version)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "/guardrail/");
	put_label(&b, id);
	buf_puts(&b, "/version/");
	put_label(&b, version);
	buf_puts(&b, "/apply");
	return buf_detach(&b);
}

char *guardrail_request_json(enum guardrail_source src, const char *text, size_t len, int full)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "source", src == GUARDRAIL_OUTPUT ? "OUTPUT" : "INPUT");
	cJSON *content = cJSON_AddArrayToObject(o, "content");
	cJSON *block = cJSON_CreateObject();
	cJSON *tb = cJSON_AddObjectToObject(block, "text");
	char *copy = xstrndup(text, len);
	cJSON_AddStringToObject(tb, "text", copy);
	free(copy);
	cJSON_AddItemToArray(content, block);
	cJSON_AddStringToObject(o, "outputScope", full ? "FULL" : "INTERVENTIONS");
	return llm_json_print(o);
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int detected(const cJSON *o)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "detected");
	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : -1;
}

static struct guardrail_row *add_row(struct guardrail_result *r, const char *policy, const cJSON *item,
				     const char *name_key)
{
	r->rows = xreallocarray(r->rows, r->nrows + 1, sizeof *r->rows);
	struct guardrail_row *row = &r->rows[r->nrows++];
	memset(row, 0, sizeof *row);
	set_text(row->policy, sizeof row->policy, policy);
	set_text(row->name, sizeof row->name, name_key ? str(item, name_key) : NULL);
	set_text(row->action, sizeof row->action, str(item, "action"));
	row->detected = detected(item);
	return row;
}

static void content_detail(struct guardrail_row *row, const cJSON *it)
{
	const char *strength = str(it, "filterStrength");
	snprintf(row->detail, sizeof row->detail, "confidence %s%s%s", str(it, "confidence") ? str(it, "confidence") : "?",
		 strength ? ", strength " : "", strength ? strength : "");
}

static void grounding_detail(struct guardrail_row *row, const cJSON *it)
{
	const cJSON *score = cJSON_GetObjectItemCaseSensitive(it, "score");
	const cJSON *thr = cJSON_GetObjectItemCaseSensitive(it, "threshold");
	snprintf(row->detail, sizeof row->detail, "score %.2f, threshold %.2f",
		 cJSON_IsNumber(score) ? score->valuedouble : 0, cJSON_IsNumber(thr) ? thr->valuedouble : 0);
}

static void reasoning_name(struct guardrail_row *row, const cJSON *it)
{
	const cJSON *kind = it ? it->child : NULL;
	set_text(row->name, sizeof row->name, kind && kind->string ? kind->string : "finding");
}

/* The lists of an assessment read as rows, in the order they are shown: the
 * row's name and detail come from a key of the item or from fill. */
static const struct row_source {
	const char *policy, *list, *kind, *name_key, *detail_key;
	void (*fill)(struct guardrail_row *row, const cJSON *it);
} row_sources[] = {
	{ "topicPolicy", "topics", "topic", "name", "type", NULL },
	{ "contentPolicy", "filters", "content", "type", NULL, content_detail },
	{ "wordPolicy", "customWords", "word", "match", NULL, NULL },
	{ "wordPolicy", "managedWordLists", "managed word", "match", "type", NULL },
	{ "sensitiveInformationPolicy", "piiEntities", "pii", "type", "match", NULL },
	{ "sensitiveInformationPolicy", "regexes", "regex", "name", "match", NULL },
	{ "contextualGroundingPolicy", "filters", "grounding", "type", NULL, grounding_detail },
	{ "automatedReasoningPolicy", "findings", "reasoning", NULL, NULL, reasoning_name },
};

static void add_rows(struct guardrail_result *r, const cJSON *assessment)
{
	for (size_t i = 0; i < sizeof row_sources / sizeof *row_sources; i++) {
		const struct row_source *src = &row_sources[i];
		const cJSON *policy = cJSON_GetObjectItemCaseSensitive(assessment, src->policy);
		const cJSON *it;
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(policy, src->list)) {
			struct guardrail_row *row = add_row(r, src->kind, it, src->name_key);
			if (src->detail_key)
				set_text(row->detail, sizeof row->detail, str(it, src->detail_key));
			if (src->fill)
				src->fill(row, it);
		}
	}
}

/* A count from the service, clamped to what a long holds. */
static long count_of(const cJSON *v)
{
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0))
		return 0;
	return v->valuedouble < 1e15 ? (long)v->valuedouble : (long)1e15;
}

static long units(const cJSON *u, const char *k)
{
	return count_of(cJSON_GetObjectItemCaseSensitive(u, k));
}

int guardrail_parse_response(const char *body, size_t len, struct guardrail_result *r)
{
	cJSON *j = cJSON_ParseWithLength(body ? body : "", len);
	const char *action = str(j, "action");
	const cJSON *outputs = cJSON_GetObjectItemCaseSensitive(j, "outputs");
	const cJSON *assessments = cJSON_GetObjectItemCaseSensitive(j, "assessments");
	const cJSON *usage = cJSON_GetObjectItemCaseSensitive(j, "usage");
	if (!action || !*action || !cJSON_IsArray(outputs) || !cJSON_IsArray(assessments) || !cJSON_IsObject(usage)) {
		cJSON_Delete(j);
		snprintf(r->message, sizeof r->message,
			 NAME ": the ApplyGuardrail answer is not the JSON it should be (action, outputs, assessments, usage)");
		return -1;
	}
	set_text(r->action, sizeof r->action, action);
	r->intervened = strcmp(action, "GUARDRAIL_INTERVENED") == 0;
	if (str(j, "actionReason"))
		r->action_reason = xstrdup(str(j, "actionReason"));
	const cJSON *it;
	cJSON_ArrayForEach(it, outputs) {
		const char *t = str(it, "text");
		r->outputs = xreallocarray(r->outputs, r->noutputs + 1, sizeof *r->outputs);
		r->outputs[r->noutputs++] = xstrdup(t ? t : "");
	}
	r->latency_ms = -1;
	cJSON_ArrayForEach(it, assessments) {
		add_rows(r, it);
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(it, "invocationMetrics");
		const cJSON *lat = cJSON_GetObjectItemCaseSensitive(m, "guardrailProcessingLatency");
		if (cJSON_IsNumber(lat))
			r->latency_ms = count_of(lat);
	}
	r->usage = (struct guardrail_usage){
		units(usage, "topicPolicyUnits"), units(usage, "contentPolicyUnits"), units(usage, "wordPolicyUnits"),
		units(usage, "sensitiveInformationPolicyUnits"), units(usage, "sensitiveInformationPolicyFreeUnits"),
		units(usage, "contextualGroundingPolicyUnits"), units(usage, "contentPolicyImageUnits"),
		units(usage, "automatedReasoningPolicyUnits"),
	};
	r->json = xstrndup(body, len);
	r->ok = 1;
	cJSON_Delete(j);
	return 0;
}

/* ---- the call ---- */

void guardrail_cancel(struct guardrail_call *c)
{
	if (!c)
		return;
	awscall_cancel(c->call);
	free(c);
}

static void on_reply(void *ud, const struct awscall_reply *r)
{
	struct guardrail_call *c = ud;
	struct guardrail_result *res = xcalloc(1, sizeof *res);
	res->http_status = r->status;
	res->latency_ms = -1;
	if (r->ok) {
		guardrail_parse_response(r->body, r->len, res);
	} else if (r->unsigned_retry) {
		set_text(res->message, sizeof res->message, r->failure);
	} else if (r->status) {
		struct llm_result lr;
		memset(&lr, 0, sizeof lr);
		bedrock_http_error(NAME, r->status, r->headers, r->body, r->len, &lr);
		set_text(res->error_code, sizeof res->error_code, lr.error_code);
		set_text(res->message, sizeof res->message, lr.message);
	} else {
		snprintf(res->message, sizeof res->message, NAME ": %s", r->failure);
	}
	if (!res->ok && !r->unsigned_retry && r->attempts > 1) {
		size_t n = strlen(res->message);
		snprintf(res->message + n, sizeof res->message - n, " (after %d attempts)", r->attempts);
	}
	res->attempts = r->attempts;
	guardrail_done_fn done = c->done;
	void *dud = c->ud;
	free(c);
	done(dud, res);
}

struct guardrail_call *guardrail_apply(struct guardrail *g, struct loop *l, enum guardrail_source src,
				       const char *text, size_t len, int full, guardrail_done_fn done, void *ud,
				       struct err *e)
{
	if (len > TEXT_MAX) {
		err_set(e, NAME ": the text is %zu bytes; ApplyGuardrail takes at most 1 MiB at once", len);
		return NULL;
	}
	struct guardrail_call *c = xcalloc(1, sizeof *c);
	c->done = done;
	c->ud = ud;
	char *rest = guardrail_path(g->id, g->version);
	char *body = guardrail_request_json(src, text, len, full);
	struct awscall_request rq = {
		.ep = &g->ep, .creds = &g->creds, .method = "POST", .path = rest, .body = body, .body_len = strlen(body),
		.allow_http = g->allow_http, .quota = &g->quota, .rand01 = g->rand01, .rand_ud = g->rand_ud, .what = NAME,
	};
	c->call = awscall_start(l, &rq, on_reply, c, e);
	free(rest);
	free(body);
	if (!c->call) {
		free(c);
		return NULL;
	}
	return c;
}
