#include "chat/retrieve.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "kb/query.h"

void chat_kb_init(struct chat_kb *s)
{
	memset(s, 0, sizeof *s);
	s->next_number = 1;
}

void chat_kb_free(struct chat_kb *s)
{
	free(s->sent);
	memset(s, 0, sizeof *s);
}

void chat_kb_reset(struct chat_kb *s)
{
	s->nsent = 0;
	s->next_number = 1;
}

static int has_word(const struct kb_query *q, const char *w)
{
	for (size_t i = 0; i < q->nwords; i++)
		if (strcmp(q->words[i], w) == 0)
			return 1;
	return 0;
}

char *chat_kb_query(const char *question, const char *previous)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, question ? question : "");
	if (!previous || !*previous)
		return buf_detach(&b);
	struct kb_query now, before;
	kb_query_build(question ? question : "", &now);
	kb_query_build(previous, &before);
	int carried = 0;
	for (size_t i = 0; i < before.nwords && carried < CHAT_KB_CARRY; i++) {
		const char *w = before.words[i];
		if (strlen(w) < CHAT_KB_MIN_WORD || kb_query_is_stop_word(w) || has_word(&now, w))
			continue;
		buf_putc(&b, ' ');
		buf_puts(&b, w);
		carried++;
	}
	kb_query_free(&now);
	kb_query_free(&before);
	return buf_detach(&b);
}

static int was_sent(const struct chat_kb *s, const struct kb_hit *h)
{
	for (size_t i = 0; i < s->nsent; i++) {
		const struct chat_kb_span *x = &s->sent[i];
		if (x->chunk_id == h->chunk_id)
			return 1;
		if (x->doc_id == h->doc_id && h->start < x->end && x->start < h->end)
			return 1;
	}
	return 0;
}

size_t chat_kb_fresh(const struct chat_kb *s, struct kb_results *r, size_t k)
{
	size_t kept = 0;
	for (size_t i = 0; i < r->n && kept < k; i++) {
		if (was_sent(s, &r->v[i]))
			continue;
		if (i != kept) {
			struct kb_hit h = r->v[i];
			memmove(&r->v[kept + 1], &r->v[kept], (i - kept) * sizeof *r->v);
			r->v[kept] = h;
		}
		kept++;
	}
	return kept;
}

void chat_kb_mark_sent(struct chat_kb *s, const struct kb_results *r, size_t used)
{
	for (size_t i = 0; i < used && i < r->n; i++) {
		s->sent = xgrow(s->sent, &s->cap, s->nsent + 1, sizeof *s->sent);
		const struct kb_hit *h = &r->v[i];
		s->sent[s->nsent++] = (struct chat_kb_span){ h->chunk_id, h->doc_id, h->start, h->end };
	}
	s->next_number += used;
}
