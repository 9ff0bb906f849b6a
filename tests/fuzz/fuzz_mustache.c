/* Mustache parse + render on untrusted input. The input is
 * TEMPLATE \0 JSON \0 PARTIAL \0 PARTIAL ..., each partial "NAME=TEXT"; a
 * name no partial has gets one of them by hash, or none. Options come from a
 * hash of the input, with small limits. Invariants (abort otherwise): a failed
 * parse or render sets a printable message that starts "line L, column C: "
 * (after any "partial 'NAME': ") within the text it names; a failed render
 * leaves the output as it was; rendering twice gives the same result. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "prompt/mustache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
	if (!ok)
		abort();
}

struct segs {
	const char *s[16];
	size_t len[16];
	int n;
};

static uint32_t hash(const void *p, size_t n, uint32_t h)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static const char *partial(void *ud, const char *name, size_t *len)
{
	const struct segs *g = ud;
	size_t nlen = strlen(name);
	for (int i = 0; i < g->n; i++) {
		const char *eq = memchr(g->s[i], '=', g->len[i]);
		if (eq && (size_t)(eq - g->s[i]) == nlen && memcmp(g->s[i], name, nlen) == 0) {
			*len = g->len[i] - nlen - 1;
			return eq + 1;
		}
	}
	uint32_t h = hash(name, nlen, 2166136261u);
	if (!g->n || h % 4 == 0)
		return NULL;
	int i = (int)(h % (uint32_t)g->n);
	*len = g->len[i];
	return g->s[i];
}

/* "[partial 'NAME': ]*line L, column C: ..." with no control bytes. */
static void check_message(const struct err *e, bool positioned)
{
	require(e->set && e->msg[0]);
	for (const char *c = e->msg; *c; c++)
		require((unsigned char)*c >= 0x20 && *c != 0x7f);
	const char *m = e->msg;
	while (strncmp(m, "partial '", 9) == 0) {
		m = strstr(m, "': ");
		require(m != NULL);
		m += 3;
	}
	if (!positioned && strncmp(m, "line ", 5) != 0)
		return;
	unsigned line = 0, col = 0;
	int used = 0;
	require(sscanf(m, "line %u, column %u: %n", &line, &col, &used) == 2 && used > 0);
	require(line >= 1 && col >= 1 && m[used] != '\0');
}

static int lines_of(const char *s, size_t n)
{
	int k = 1;
	for (size_t i = 0; i < n; i++)
		k += s[i] == '\n';
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	const char *z = memchr(in, '\0', size);
	size_t tlen = z ? (size_t)(z - in) : size;
	cJSON *json = NULL;
	struct segs g = {0};
	if (z) {
		const char *js = z + 1, *end = in + size;
		const char *jz = memchr(js, '\0', (size_t)(end - js));
		json = cJSON_ParseWithLength(js, (size_t)((jz ? jz : end) - js));
		for (const char *p = jz ? jz + 1 : end; p < end && g.n < 16;) {
			const char *q = memchr(p, '\0', (size_t)(end - p));
			g.s[g.n] = p;
			g.len[g.n++] = (size_t)((q ? q : end) - p);
			p = q ? q + 1 : end;
		}
	}
	uint32_t h = hash(data, size, 2166136261u);
	struct mustache_opts o = MUSTACHE_OPTS_INIT;
	o.escape_html = h & 1;
	o.empty_string_falsey = h & 2;
	o.partial = h & 4 ? NULL : partial;
	o.ud = &g;
	o.max_depth = h & 8 ? 1 + (int)(h >> 4) % 8 : 0;
	o.max_output = 1 + (h >> 8) % 65536;
	o.max_steps = 1 + (h >> 12) % 65536;

	struct err e = ERR_INIT;
	struct mustache *m = mustache_parse(in, tlen, &o, &e);
	if (!m) {
		check_message(&e, true);
		if (strncmp(e.msg, "partial '", 9) != 0) {
			unsigned line = 0;
			require(sscanf(e.msg, "line %u", &line) == 1);
			require((int)line <= lines_of(in, tlen));
		}
		cJSON_Delete(json);
		return 0;
	}
	require(!e.set);

	struct buf a = BUF_INIT, b = BUF_INIT;
	buf_puts(&a, "pre");
	buf_puts(&b, "pre");
	struct err ea = ERR_INIT, eb = ERR_INIT;
	int ra = mustache_render(m, json, &a, &ea);
	int rb = mustache_render(m, json, &b, &eb);
	require(ra == rb && a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
	require(strcmp(ea.msg, eb.msg) == 0);
	if (ra) {
		require(ra == -1 && a.len == 3);
		check_message(&ea, false);
	} else {
		require(!ea.set && a.len >= 3 && memcmp(a.data, "pre", 3) == 0);
		require(a.len - 3 <= o.max_output);
	}
	buf_reset(&a);
	ra = mustache_render(m, NULL, &a, &ea);
	require(ra == 0 ? a.len <= o.max_output : a.len == 0);
	buf_free(&a);
	buf_free(&b);
	mustache_free(m);
	cJSON_Delete(json);
	return 0;
}
