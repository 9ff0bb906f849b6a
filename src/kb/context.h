/* kb/context — the sources of an answer as the context of the rag prompt:
 * numbered, each quoted as <source document="..." heading="..."> data that
 * the model is told never to obey, marks of highlights removed, hidden
 * characters (tag characters, zero-width, bidi controls: guard/guard.h)
 * stripped from text, document name and heading (a KB stored before ingest
 * stripped them may still hold some), a "</source" inside a chunk defused,
 * and the list cut to a token budget (the first source always kept). */
#ifndef AIWB_KB_CONTEXT_H
#define AIWB_KB_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "kb/search.h"

/* The sources' token budget of an answer (ask --kb, compare --kb, the
 * Knowledge pane's ask, experiments with a kb). */
#define KB_CONTEXT_TOKENS 6000

/* The context text (caller frees); *used is how many of r's hits it holds. */
char *kb_sources_context(const struct kb_results *r, int64_t max_tokens, size_t *used);
/* The same with the sources numbered from first (a conversation numbers the
 * sources of every turn on from the last turn's). */
char *kb_sources_context_from(const struct kb_results *r, size_t first, int64_t max_tokens, size_t *used);
/* The same, with the number of hidden characters stripped from the used sources. */
char *kb_sources_context_stripped(const struct kb_results *r, int64_t max_tokens, size_t *used, size_t *hidden);
/* All of it: numbered from first, with the hidden characters counted. */
char *kb_sources_context_build(const struct kb_results *r, size_t first, int64_t max_tokens, size_t *used,
			       size_t *hidden);

/* What history keeps of an answer's retrieval (docs/kb.md): {"name", "query",
 * "mode", "k", "filter" (null for none), "chunks": the ids of the first used
 * hits, in source order}. */
cJSON *kb_context_history(const char *kb_name, const struct kb_search_opts *so, const struct kb_results *r,
			  size_t used);
/* {"kb": kb_context_history(...)} as text, for history params; caller frees. */
char *kb_context_history_text(const char *kb_name, const struct kb_search_opts *so, const struct kb_results *r,
			      size_t used);
/* extra (NULL, or a JSON object's text) with its "kb" replaced by kb (taken
 * over, may be NULL: extra as it is), as text for run_save; caller frees. */
char *kb_context_params(const char *extra, cJSON *kb);

#endif
