/* kb/json — knowledge-base objects as the JSON of `aiwb kb ... --json`
 * (docs/kb.md pins every shape): a KB, a document and its chunks, a search
 * hit and a whole search, an add/sync summary, the sources of `ask --kb`, an
 * eval report. The workbench reads the plain structs; this is for callers
 * that speak JSON. Every function returns a new cJSON the caller deletes;
 * strings are copied as they are (the caller sanitizes what it prints). */
#ifndef AIWB_KB_JSON_H
#define AIWB_KB_JSON_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "kb/embed.h"
#include "kb/evalrun.h"
#include "kb/ingest.h"
#include "kb/search.h"
#include "kb/store.h"

/* UTC "YYYY-MM-DDTHH:MM:SSZ" of a Unix time in ms; "" for 0. */
void kb_json_iso(int64_t ms, char *out, size_t len);

/* One entry of `kb ls --json`. */
cJSON *kb_json_kb(const struct kb *kb);
/* One entry of `kb docs --json`. */
cJSON *kb_json_doc_row(const struct kb_doc_row *d);
/* `kb show --json`: the document, its text and its chunks. */
cJSON *kb_json_doc(const char *kb_name, const struct kb_doc_row *d, const char *body,
		   const struct kb_chunk_row *chunks, size_t nchunks);
/* A document's metadata JSON text as an object ({} when absent or invalid). */
cJSON *kb_json_meta(const char *text);

/* One result of a search; explain adds the score of every stage. */
cJSON *kb_json_hit(const struct kb_hit *h, int explain);
/* `kb search --json`: the query (sanitized to valid UTF-8), how it ran, the hits. */
cJSON *kb_json_search(const struct kb *kb, const struct kb_search_opts *so, const struct kb_results *r, int explain,
		      double ms);
/* The first `used` hits as the sources of an answer. */
cJSON *kb_json_sources(const struct kb_results *r, size_t used);

/* `kb add|sync --json`; status is "ok", "interrupted" or "error". */
cJSON *kb_json_ingest(const struct kb *kb, const struct kb_ingest_stats *st, const struct kb_embed_stats *es,
		      const char *status, double seconds);

/* `kb eval --json`. */
cJSON *kb_json_eval(const struct kb *kb, const struct kb_eval_report *r);

#endif
