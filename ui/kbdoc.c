#include "kbdoc.h"

#include <stdlib.h>
#include <string.h>

#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "kb/docguard.h"

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

static void add_text(struct wrapped *w, const char *s, size_t n, attr_t at)
{
	char *clean = sanitize_str(s, n, 4);
	wrap_add_span(w, clean, strlen(clean), at);
	free(clean);
}

static void add_marker(struct wrapped *w, const char *body, size_t len, const char *meta, const struct kb_chunk_row *c,
		       size_t i, size_t n, attr_t at, attr_t flag_at)
{
	if (w->text.len && w->text.data[w->text.len - 1] != '\n')
		wrap_add_span(w, "\n", 1, at);
	char *head = c->heading && *c->heading ? sanitize_str(c->heading, strlen(c->heading), 0) : NULL;
	if (head)
		for (char *p = head; *p; p++)
			if (*p == '\n')
				*p = ' ';
	char *line = xasprintf("── chunk %zu/%zu%s%s ──", i + 1, n, head ? " · " : "", head ? head : "");
	wrap_add_span(w, line, strlen(line), at);
	free(line);
	free(head);
	char *flags = c->start <= c->end && c->end <= len ? kb_chunk_flags(NULL, body + c->start, c->end - c->start, meta)
							   : NULL;
	if (flags) {
		char *mark = xasprintf(" ⚑ %s", flags);
		wrap_add_span(w, mark, strlen(mark), flag_at ? flag_at : at);
		free(mark);
		free(flags);
	}
	wrap_add_span(w, "\n", 1, at);
}

size_t kbdoc_build(struct wrapped *w, const char *body, size_t len, const struct kb_chunk_row *chunks, size_t n,
		   size_t chosen, const char *doc_meta, const struct kbdoc_attrs *at)
{
	wrap_reset(w);
	size_t *cuts = xmalloc((n + 4) * sizeof *cuts);
	size_t ncuts = 0;
	cuts[ncuts++] = 0;
	cuts[ncuts++] = len;
	for (size_t i = 0; i < n; i++)
		if (chunks[i].start <= len)
			cuts[ncuts++] = chunks[i].start;
	if (chosen < n && chunks[chosen].end <= len)
		cuts[ncuts++] = chunks[chosen].end;
	qsort(cuts, ncuts, sizeof *cuts, cmp_size);
	size_t distinct = 0;
	for (size_t k = 0; k < ncuts; k++)
		if (!distinct || cuts[k] != cuts[distinct - 1])
			cuts[distinct++] = cuts[k];
	ncuts = distinct;
	size_t chosen_at = 0;
	for (size_t k = 0; k < ncuts; k++) {
		size_t from = cuts[k];
		for (size_t i = 0; i < n; i++) {
			if (chunks[i].start != from)
				continue;
			if (i == chosen)
				chosen_at = w->text.len;
			add_marker(w, body, len, doc_meta, &chunks[i], i, n, i == chosen ? at->chosen : at->marker,
				   at->flag);
		}
		size_t to = k + 1 < ncuts ? cuts[k + 1] : len;
		if (to <= from)
			continue;
		int inside = chosen < n && from >= chunks[chosen].start && to <= chunks[chosen].end;
		add_text(w, body + from, to - from, inside ? at->chosen : at->text);
	}
	free(cuts);
	return chosen_at;
}

size_t kbdoc_line_of(const struct wrapped *w, size_t off)
{
	size_t lo = 0, hi = wrap_lines(w);
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2, start, end;
		wrap_line(w, mid, &start, &end);
		if (start <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}
