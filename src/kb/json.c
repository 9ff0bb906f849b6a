#include "kb/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/sanitize.h"
#include "kb/rerank.h"

static cJSON *strings_json(char *const *v, size_t n)
{
	return json_string_array((const char *const *)v, n);
}

void kb_json_iso(int64_t ms, char *out, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (!ms || !gmtime_r(&t, &tm) || !strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, len, "%s", "");
}

cJSON *kb_json_meta(const char *text)
{
	cJSON *m = cJSON_Parse(text ? text : "{}");
	return m ? m : cJSON_CreateObject();
}

static cJSON *settings_json(const struct kb_settings *s)
{
	char *j = kb_settings_json(s);
	cJSON *o = cJSON_Parse(j);
	free(j);
	return o;
}

cJSON *kb_json_kb(const struct kb *kb)
{
	cJSON *o = cJSON_CreateObject();
	char iso[40];
	cJSON_AddStringToObject(o, "name", kb->name);
	cJSON_AddStringToObject(o, "kind", kb_is_remote(kb) ? kb->set.source : "local");
	cJSON_AddBoolToObject(o, "redact", kb->set.redact != 0);
	if (kb_is_remote(kb)) {
		cJSON *r = cJSON_AddObjectToObject(o, "remote");
		cJSON_AddStringToObject(r, "id", kb->set.remote_id);
		if (kb->set.region[0])
			cJSON_AddStringToObject(r, "region", kb->set.region);
		else
			cJSON_AddNullToObject(r, "region");
	}
	cJSON_AddNumberToObject(o, "documents", (double)kb->docs);
	cJSON_AddNumberToObject(o, "chunks", (double)kb->chunks);
	cJSON_AddNumberToObject(o, "bytes", (double)kb->bytes);
	cJSON_AddNumberToObject(o, "files", (double)kb->files);
	if (kb->set.embed[0])
		cJSON_AddStringToObject(o, "embed", kb->set.embed);
	else
		cJSON_AddNullToObject(o, "embed");
	kb_json_iso(kb->created_ms, iso, sizeof iso);
	cJSON_AddStringToObject(o, "created", iso);
	if (kb->synced_ms) {
		kb_json_iso(kb->synced_ms, iso, sizeof iso);
		cJSON_AddStringToObject(o, "last_sync", iso);
	} else {
		cJSON_AddNullToObject(o, "last_sync");
	}
	cJSON_AddItemToObject(o, "settings", settings_json(&kb->set));
	return o;
}

/* The fields a document's listing and its full view share, in their order. */
static void add_doc_fields(cJSON *o, const struct kb_doc_row *d)
{
	cJSON_AddNumberToObject(o, "id", (double)d->id);
	cJSON_AddStringToObject(o, "name", d->name);
	cJSON_AddStringToObject(o, "path", d->path);
	cJSON_AddStringToObject(o, "title", d->title);
	cJSON_AddStringToObject(o, "format", d->format);
	cJSON_AddNumberToObject(o, "bytes", (double)d->bytes);
}

cJSON *kb_json_doc_row(const struct kb_doc_row *d)
{
	cJSON *o = cJSON_CreateObject();
	char iso[40];
	add_doc_fields(o, d);
	cJSON_AddNumberToObject(o, "chunks", (double)d->chunks);
	kb_json_iso(d->mtime_ns / 1000000, iso, sizeof iso);
	cJSON_AddStringToObject(o, "mtime", iso);
	cJSON_AddStringToObject(o, "sha256", d->sha256);
	cJSON_AddItemToObject(o, "meta", kb_json_meta(d->meta));
	return o;
}

cJSON *kb_json_doc(const char *kb_name, const struct kb_doc_row *d, const char *body,
		   const struct kb_chunk_row *chunks, size_t nchunks)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kb", kb_name);
	add_doc_fields(o, d);
	cJSON_AddStringToObject(o, "sha256", d->sha256);
	cJSON_AddItemToObject(o, "meta", kb_json_meta(d->meta));
	cJSON_AddStringToObject(o, "text", body);
	cJSON *a = cJSON_AddArrayToObject(o, "chunks");
	for (size_t i = 0; i < nchunks; i++) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddNumberToObject(x, "id", (double)chunks[i].id);
		cJSON_AddNumberToObject(x, "seq", chunks[i].seq);
		cJSON_AddNumberToObject(x, "start", (double)chunks[i].start);
		cJSON_AddNumberToObject(x, "end", (double)chunks[i].end);
		cJSON_AddStringToObject(x, "heading", chunks[i].heading);
		cJSON_AddNumberToObject(x, "tokens", chunks[i].tokens);
		cJSON_AddItemToArray(a, x);
	}
	return o;
}

cJSON *kb_json_hit(const struct kb_hit *h, int explain)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "rank", h->rank);
	cJSON_AddNumberToObject(o, "score", h->score);
	cJSON *sc = cJSON_AddObjectToObject(o, "scores");
	if (h->bm25_rank)
		cJSON_AddNumberToObject(sc, "bm25", h->bm25);
	if (h->vector_rank)
		cJSON_AddNumberToObject(sc, "vector", h->vector);
	if (h->fused_rank)
		cJSON_AddNumberToObject(sc, "fused", h->fused);
	if (h->mmr_rank)
		cJSON_AddNumberToObject(sc, "mmr", h->mmr);
	if (h->rerank_rank) {
		cJSON_AddNumberToObject(sc, "retrieval", h->retrieval);
		cJSON_AddNumberToObject(sc, "retrieval_rank", h->retrieval_rank);
		cJSON_AddNumberToObject(sc, "relevance", h->relevance);
	}
	cJSON *doc = cJSON_AddObjectToObject(o, "document");
	if (h->remote)
		cJSON_AddNullToObject(doc, "id");
	else
		cJSON_AddNumberToObject(doc, "id", (double)h->doc_id);
	cJSON_AddStringToObject(doc, "name", h->doc_name);
	cJSON_AddStringToObject(doc, "path", h->doc_path);
	cJSON_AddStringToObject(doc, "title", h->title);
	if (h->remote) {
		if (h->document_id)
			cJSON_AddStringToObject(doc, "document_id", h->document_id);
		else
			cJSON_AddNullToObject(doc, "document_id");
		cJSON_AddNullToObject(o, "chunk");
	}
	if (!h->remote) {
		cJSON *ch = cJSON_AddObjectToObject(o, "chunk");
		cJSON_AddNumberToObject(ch, "id", (double)h->chunk_id);
		cJSON_AddNumberToObject(ch, "seq", h->seq);
		cJSON_AddNumberToObject(ch, "start", (double)h->start);
		cJSON_AddNumberToObject(ch, "end", (double)h->end);
		cJSON_AddStringToObject(ch, "heading", h->heading);
	}
	cJSON_AddItemToObject(o, "meta", kb_json_meta(h->meta));
	struct buf plain = BUF_INIT;
	cJSON *hl = cJSON_CreateArray();
	size_t on = 0;
	for (const char *p = h->text ? h->text : ""; *p; p++) {
		if (*p == KB_MARK_ON) {
			on = plain.len;
		} else if (*p == KB_MARK_OFF) {
			cJSON *pair = cJSON_CreateArray();
			cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)on));
			cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)plain.len));
			cJSON_AddItemToArray(hl, pair);
		} else {
			buf_putc(&plain, *p);
		}
	}
	cJSON_AddStringToObject(o, "text", buf_str(&plain));
	cJSON_AddItemToObject(o, "highlights", hl);
	buf_free(&plain);
	if (explain) {
		cJSON *stages = cJSON_AddArrayToObject(o, "explain");
		struct { const char *name; int rank; double score; } st[] = {
			{ "bm25", h->bm25_rank, h->bm25 }, { "vector", h->vector_rank, h->vector },
			{ "fused", h->fused_rank, h->fused }, { "reranked", h->mmr_rank, h->mmr },
			{ "retrieved", h->retrieval_rank, h->retrieval }, { "reranked", h->rerank_rank, h->relevance } };
		for (int i = 0; i < 6; i++) {
			if (!st[i].rank)
				continue;
			cJSON *s = cJSON_CreateObject();
			cJSON_AddStringToObject(s, "stage", st[i].name);
			cJSON_AddNumberToObject(s, "rank", st[i].rank);
			cJSON_AddNumberToObject(s, "score", st[i].score);
			cJSON_AddItemToArray(stages, s);
		}
	}
	return o;
}

cJSON *kb_json_search(const struct kb *kb, const struct kb_search_opts *so, const struct kb_results *r, int explain,
		      double ms)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kb", kb->name);
	cJSON_AddStringToObject(o, "kind", kb_is_remote(kb) ? kb->set.source : "local");
	char *q = sanitize_utf8(so->query, strlen(so->query));
	cJSON_AddStringToObject(o, "query", q);
	free(q);
	cJSON_AddStringToObject(o, "mode", kb_mode_name(so->mode));
	cJSON_AddNumberToObject(o, "k", so->k);
	if (so->filter) {
		char *f = sanitize_utf8(so->filter, strlen(so->filter));
		cJSON_AddStringToObject(o, "filter", f);
		free(f);
	} else {
		cJSON_AddNullToObject(o, "filter");
	}
	cJSON_AddItemToObject(o, "words", strings_json(r->words, r->nwords));
	if (explain) {
		cJSON_AddStringToObject(o, "fts_query", r->fts ? r->fts : "");
		cJSON_AddStringToObject(o, "filter_sql", r->filter_sql ? r->filter_sql : "");
	}
	if (r->rerank) {
		const struct kb_rerank *rr = r->rerank;
		cJSON *x = cJSON_AddObjectToObject(o, "rerank");
		cJSON_AddStringToObject(x, "kind", kb_rerank_kind_name(rr->kind));
		cJSON_AddStringToObject(x, "model", rr->model);
		if (rr->model_arn)
			cJSON_AddStringToObject(x, "model_arn", rr->model_arn);
		cJSON_AddNumberToObject(x, "candidates", (double)rr->candidates);
		cJSON_AddNumberToObject(x, "calls", rr->calls);
		if (rr->kind == KB_RERANK_LLM) {
			cJSON_AddNumberToObject(x, "max_in_flight", rr->max_in_flight);
			cJSON_AddNumberToObject(x, "unparsed", rr->unparsed);
		}
		cJSON_AddNumberToObject(x, "ms", rr->ms);
	} else {
		cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "rerank"), "kind", so->mmr ? "mmr" : "none");
	}
	cJSON_AddNumberToObject(o, "ms", ms);
	cJSON *a = cJSON_AddArrayToObject(o, "results");
	for (size_t i = 0; i < r->n; i++)
		cJSON_AddItemToArray(a, kb_json_hit(&r->v[i], explain));
	return o;
}

cJSON *kb_json_sources(const struct kb_results *r, size_t used)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < used; i++) {
		const struct kb_hit *h = &r->v[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "n", (double)(i + 1));
		cJSON_AddStringToObject(o, "document", h->doc_name);
		cJSON_AddStringToObject(o, "path", h->doc_path);
		cJSON_AddStringToObject(o, "title", h->title);
		cJSON_AddStringToObject(o, "heading", h->heading);
		cJSON_AddNumberToObject(o, "score", h->score);
		if (h->remote) {
			cJSON_AddNullToObject(o, "chunk_id");
			cJSON_AddNullToObject(o, "start");
			cJSON_AddNullToObject(o, "end");
		} else {
			cJSON_AddNumberToObject(o, "chunk_id", (double)h->chunk_id);
			cJSON_AddNumberToObject(o, "start", (double)h->start);
			cJSON_AddNumberToObject(o, "end", (double)h->end);
		}
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

cJSON *kb_json_ingest(const struct kb *kb, const struct kb_ingest_stats *st, const struct kb_embed_stats *es,
		      const char *status, double seconds)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kb", kb->name);
	cJSON_AddStringToObject(o, "status", status);
	cJSON_AddNumberToObject(o, "files", (double)st->files_total);
	cJSON_AddNumberToObject(o, "added", (double)st->added);
	cJSON_AddNumberToObject(o, "updated", (double)st->updated);
	cJSON_AddNumberToObject(o, "unchanged", (double)st->unchanged);
	cJSON_AddNumberToObject(o, "removed", (double)st->removed);
	cJSON_AddNumberToObject(o, "documents", (double)st->docs);
	cJSON_AddNumberToObject(o, "chunks", (double)st->chunks);
	cJSON_AddNumberToObject(o, "bytes", (double)st->bytes_done);
	cJSON_AddNumberToObject(o, "batches", (double)st->batches);
	cJSON_AddNumberToObject(o, "seconds", seconds);
	cJSON *sk = cJSON_AddObjectToObject(o, "skipped");
	static const char *const keys[] = { "hidden", "excluded", "too_large", "binary", "unreadable",
					    "unparsable", "vanished", "special", "name_taken" };
	for (int i = 0; i < KB_SKIP_N; i++)
		cJSON_AddNumberToObject(sk, keys[i], (double)st->skipped[i]);
	cJSON_AddNumberToObject(o, "skipped_records", (double)st->skipped_records);
	cJSON_AddNumberToObject(o, "repaired_bytes", (double)st->repaired_bytes);
	cJSON_AddNumberToObject(o, "dropped_nuls", (double)st->dropped_nuls);
	cJSON_AddNumberToObject(o, "hidden_chars", (double)st->hidden_chars);
	cJSON_AddNumberToObject(o, "redacted", (double)st->redacted);
	cJSON *em = cJSON_AddObjectToObject(o, "embeddings");
	cJSON_AddNumberToObject(em, "pending", (double)es->pending);
	cJSON_AddNumberToObject(em, "cached", (double)es->cached);
	cJSON_AddNumberToObject(em, "embedded", (double)es->embedded);
	cJSON_AddNumberToObject(em, "calls", (double)es->calls);
	return o;
}

static cJSON *eval_case_json(const struct kb_eval_result *res)
{
	cJSON *co = cJSON_CreateObject();
	cJSON_AddStringToObject(co, "name", res->c->name);
	cJSON_AddStringToObject(co, "query", res->c->query);
	cJSON_AddNumberToObject(co, "k", res->k);
	if (res->error) {
		cJSON_AddBoolToObject(co, "passed", 0);
		cJSON_AddStringToObject(co, "error", res->error);
		return co;
	}
	cJSON_AddBoolToObject(co, "passed", res->passed);
	cJSON_AddBoolToObject(co, "hit", res->sc.hit);
	cJSON_AddNumberToObject(co, "first_rank", res->sc.first_rank);
	cJSON_AddNumberToObject(co, "mrr", res->sc.rr);
	cJSON_AddNumberToObject(co, "ndcg", res->sc.ndcg);
	cJSON_AddNumberToObject(co, "recall", res->sc.recall);
	cJSON_AddNumberToObject(co, "ap", res->sc.ap);
	cJSON_AddItemToObject(co, "missing", strings_json(res->missing, res->nmissing));
	cJSON_AddItemToObject(co, "unwanted", strings_json(res->unwanted, res->nunwanted));
	cJSON_AddItemToObject(co, "top", strings_json(res->top, res->ntop));
	return co;
}

cJSON *kb_json_eval(const struct kb *kb, const struct kb_eval_report *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kb", kb->name);
	cJSON_AddNumberToObject(o, "k", r->k);
	cJSON *ov = cJSON_AddObjectToObject(o, "overall");
	cJSON_AddNumberToObject(ov, "cases", (double)r->n);
	cJSON_AddNumberToObject(ov, "failed", (double)r->failed);
	cJSON_AddNumberToObject(ov, "hit_rate", r->hit_rate);
	cJSON_AddNumberToObject(ov, "mrr", r->mrr);
	cJSON_AddNumberToObject(ov, "ndcg", r->ndcg);
	cJSON_AddNumberToObject(ov, "recall", r->recall);
	cJSON_AddNumberToObject(ov, "map", r->map);
	cJSON *thr = cJSON_AddArrayToObject(o, "below_minimum");
	for (size_t i = 0; i < r->nbelow; i++) {
		cJSON *t = cJSON_CreateObject();
		cJSON_AddStringToObject(t, "measure", r->below[i].measure);
		cJSON_AddNumberToObject(t, "min", r->below[i].min);
		cJSON_AddNumberToObject(t, "got", r->below[i].got);
		cJSON_AddItemToArray(thr, t);
	}
	cJSON *cases = cJSON_AddArrayToObject(o, "cases");
	for (size_t i = 0; i < r->n; i++)
		cJSON_AddItemToArray(cases, eval_case_json(&r->cases[i]));
	return o;
}
