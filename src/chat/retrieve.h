/* retrieve — what a conversation over a knowledge base asks the KB each turn
 * (docs/chat.md), and which chunks it may still send.
 *
 * The query of a turn is rewritten from the conversation by a fixed rule, so
 * a follow-up such as "and for students?" still finds what the conversation
 * is about: the new question, then the salient words of the previous
 * question that the new one does not hold — words as kb/query.h splits them
 * (lower-cased), stop words and words shorter than CHAT_KB_MIN_WORD bytes
 * left out, in their order, at most CHAT_KB_CARRY of them. The first turn's
 * query is its question.
 *
 * The model keeps every source it was sent in the conversation, so a chunk is
 * sent once: chat_kb_fresh keeps the hits that are neither a chunk sent in an
 * earlier turn nor overlapping one (the same document, intersecting byte
 * ranges), and the sources are numbered on from the last turn's. */
#ifndef AIWB_CHAT_RETRIEVE_H
#define AIWB_CHAT_RETRIEVE_H

#include <stddef.h>
#include <stdint.h>

#include "kb/search.h"

#define CHAT_KB_CARRY 5
#define CHAT_KB_MIN_WORD 3

struct chat_kb_span {
	int64_t chunk_id, doc_id;
	size_t start, end;
};

struct chat_kb {
	struct chat_kb_span *sent;  /* every chunk sent so far */
	size_t nsent, cap;
	size_t next_number;         /* the number of the next source, from 1 */
};

void chat_kb_init(struct chat_kb *s);
void chat_kb_free(struct chat_kb *s);
/* A new conversation: nothing sent, numbers from 1. */
void chat_kb_reset(struct chat_kb *s);

/* The query for question after previous (NULL or "" on the first turn);
 * caller frees. */
char *chat_kb_query(const char *question, const char *previous);

/* Moves the hits of r not sent before to its front, in rank order, and
 * returns how many there are, at most k (the rest stay behind them, so
 * kb_results_free still frees every hit). */
size_t chat_kb_fresh(const struct chat_kb *s, struct kb_results *r, size_t k);
/* Records the first used hits of r as sent and numbers past them. */
void chat_kb_mark_sent(struct chat_kb *s, const struct kb_results *r, size_t used);

#endif
