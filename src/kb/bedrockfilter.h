/* kb/bedrockfilter — a kb search filter (kb/filter.h) as the RetrievalFilter
 * JSON of Amazon Bedrock Knowledge Bases' Retrieve
 * (retrievalConfiguration.vectorSearchConfiguration.filter).
 *
 *   key = v, key != v      equals, notEquals
 *   key < <= > >= v        lessThan, lessThanOrEquals, greaterThan, greaterThanOrEquals
 *   key IN (..)            in        key NOT IN (..)  notIn
 *   key GLOB 'prefix*'     startsWith (only one '*', at the end; no '*' at all: equals)
 *   key GLOB '*text*'      stringContains (no other '*')
 *   a AND b ...            andAll    a OR b ...       orAll
 *   NOT x                  pushed down: NOT a=b → notEquals, NOT a<b →
 *                          greaterThanOrEquals, NOT a IN → notIn, NOT (x AND
 *                          y) → orAll of the negations, NOT NOT x → x
 * Nested ANDs (ORs) are flattened into one andAll (orAll); a list always has
 * two members or more, a single one stands bare. The key `path` is the
 * document's source URI, metadata key KB_BEDROCK_SOURCE_URI; every other key
 * is the metadata attribute of that name. Values keep their types (text as a
 * JSON string, numbers as numbers, true/false as booleans).
 *
 * What Bedrock cannot express is one error naming it: a GLOB with '?', '['
 * or a '*' elsewhere (e.g. '*.md'), NOT GLOB, a key over 100 bytes. The
 * semantics on documents that lack a key differ from the local filter
 * (docs/kb.md, "Bedrock Knowledge Bases"). */
#ifndef AIWB_KB_BEDROCKFILTER_H
#define AIWB_KB_BEDROCKFILTER_H

#include <cjson/cJSON.h>

#include "base/err.h"
#include "kb/filter.h"

#define KB_BEDROCK_SOURCE_URI "x-amz-bedrock-kb-source-uri"
#define KB_BEDROCK_KEY_MAX 100

/* The filter object for the tree n, or NULL with e. Caller deletes. */
cJSON *kb_bedrock_filter(const struct kb_filter_node *n, struct err *e);
/* expr parsed and translated, as compact JSON text (caller frees); NULL
 * with e: "invalid filter: column N: ..." for a malformed expression, else
 * "Bedrock cannot express ...". */
char *kb_bedrock_filter_json(const char *expr, struct err *e);

#endif
