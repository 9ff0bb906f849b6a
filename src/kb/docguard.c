#include "kb/docguard.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "guard/guard.h"
#include "kb/extract.h"
#include "kb/search.h"

/* s (owned, length *len) stripped and, with g, masked; returns the new text
 * (*failed set when a pattern failed). */
static char *clean_text(char *s, size_t *len, const struct guard *g, struct kb_guard_counts *c, int *failed,
			struct err *e)
{
	c->hidden += guard_strip_hidden(s, len);
	if (!g)
		return s;
	struct guard_outcome out;
	if (guard_apply(g, GUARD_MASK, s, *len, &out, e) < 0)
		*failed = 1;
	if (out.masked) {
		c->masked += out.findings.n;
		free(s);
		s = out.masked;
		*len = out.masked_len;
		out.masked = NULL;
	}
	guard_outcome_free(&out);
	return s;
}

static void clean_json(cJSON *j, const struct guard *g, struct kb_guard_counts *c, int *failed, struct err *e)
{
	for (cJSON *it = j ? j->child : NULL; it; it = it->next) {
		if (cJSON_IsString(it) && it->valuestring) {
			size_t n = strlen(it->valuestring);
			size_t before = c->hidden + c->masked;
			char *t = clean_text(xstrndup(it->valuestring, n), &n, g, c, failed, e);
			if (c->hidden + c->masked != before)
				cJSON_SetValuestring(it, t);
			free(t);
		} else if (cJSON_IsObject(it) || cJSON_IsArray(it)) {
			clean_json(it, g, c, failed, e);
		}
	}
}

int kb_doc_guard(struct kb_doc *d, const struct guard *g, struct kb_guard_counts *total, struct err *e)
{
	struct kb_guard_counts c = { 0 };
	int failed = 0;
	d->body = clean_text(d->body, &d->len, g, &c, &failed, e);
	if (d->title) {
		size_t n = strlen(d->title);
		d->title = clean_text(d->title, &n, g, &c, &failed, e);
	}
	if (!d->meta)
		d->meta = cJSON_CreateObject();
	clean_json(d->meta, g, &c, &failed, e);
	cJSON_DeleteItemFromObjectCaseSensitive(d->meta, "hidden_chars");
	cJSON_DeleteItemFromObjectCaseSensitive(d->meta, "redacted");
	if (c.hidden)
		cJSON_AddNumberToObject(d->meta, "hidden_chars", (double)c.hidden);
	if (c.masked)
		cJSON_AddNumberToObject(d->meta, "redacted", (double)c.masked);
	if (total) {
		total->hidden += c.hidden;
		total->masked += c.masked;
	}
	return failed ? -1 : 0;
}

static long long meta_count(const char *meta, const char *key)
{
	char quoted[40];
	snprintf(quoted, sizeof quoted, "\"%s\"", key);
	if (!meta || !strstr(meta, quoted))
		return 0;
	cJSON *o = cJSON_Parse(meta);
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, key);
	long long n = cJSON_IsNumber(h) && h->valuedouble > 0 ? (long long)h->valuedouble : 0;
	cJSON_Delete(o);
	return n;
}

long long kb_meta_hidden_chars(const char *meta)
{
	return meta_count(meta, "hidden_chars");
}

char *kb_chunk_flags(const struct guard *g, const char *text, size_t len, const char *doc_meta)
{
	static struct guard *builtin;
	if (!g) {
		if (!builtin)
			builtin = guard_new(NULL, NULL);
		g = builtin;
	}
	char *plain = NULL;
	if (text && memchr(text, KB_MARK_ON, len)) {
		plain = xmalloc(len + 1);
		size_t m = 0;
		for (size_t i = 0; i < len; i++)
			if (text[i] != KB_MARK_ON && text[i] != KB_MARK_OFF)
				plain[m++] = text[i];
		plain[m] = '\0';
		text = plain;
		len = m;
	}
	struct guard_findings f = { 0 };
	if (text && len)
		guard_scan(g, text, len, &f, NULL);
	int seen[GUARD_NTYPES] = { 0 };
	int hidden = kb_meta_hidden_chars(doc_meta) > 0 || meta_count(doc_meta, "hidden_elements") > 0;
	for (size_t i = 0; i < f.n; i++) {
		if (guard_is_hidden(f.v[i].type))
			hidden = 1;
		else
			seen[f.v[i].type] = 1;
	}
	guard_findings_free(&f);
	free(plain);
	struct buf b = BUF_INIT;
	for (int t = 0; t < GUARD_NTYPES; t++)
		if (seen[t])
			buf_printf(&b, "%s%s", b.len ? ", " : "", guard_type_name((enum guard_type)t));
	if (hidden)
		buf_printf(&b, "%s%s", b.len ? ", " : "", "hidden");
	if (!b.len) {
		buf_free(&b);
		return NULL;
	}
	return buf_detach(&b);
}
