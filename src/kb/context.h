/* kb/context — the sources of an answer as the context of the rag prompt:
 * numbered, each quoted as <source document="..." heading="..."> data that
 * the model is told never to obey, marks of highlights removed, a "</source"
 * inside a chunk defused, and the list cut to a token budget (the first
 * source always kept). */
#ifndef AIWB_KB_CONTEXT_H
#define AIWB_KB_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "kb/search.h"

/* The context text (caller frees); *used is how many of r's hits it holds. */
char *kb_sources_context(const struct kb_results *r, int64_t max_tokens, size_t *used);
/* The same with the sources numbered from first (a conversation numbers the
 * sources of every turn on from the last turn's). */
char *kb_sources_context_from(const struct kb_results *r, size_t first, int64_t max_tokens, size_t *used);

#endif
