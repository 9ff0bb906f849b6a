/* Guard scanner invariants: findings lie inside the text, are non-empty,
 * sorted by start, with a confidence in (0, 1]; hidden-text findings cover
 * only hidden characters; the redacted text holds no hidden character and
 * scanning it again finds no hidden text; redaction and previews never read
 * outside the text; guard_strip_hidden leaves no hidden character and
 * removes at least one for each hidden finding; a guard with denied words
 * and a pattern keeps the same built-in findings' invariants. Any violation
 * aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guard/guard.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct guard *g, const char *text, size_t len)
{
	struct guard_findings f = { 0 };
	struct err e = ERR_INIT;
	guard_scan(g, text, len, &f, &e);
	for (size_t k = 0; k < f.n; k++) {
		const struct guard_finding *x = &f.v[k];
		require(x->start < x->end && x->end <= len);
		require(x->confidence > 0 && x->confidence <= 1);
		require((unsigned)x->type < GUARD_NTYPES);
		if (k)
			require(f.v[k - 1].start <= x->start);
		if (guard_is_hidden(x->type))
			require(((unsigned char)text[x->start] & 0x80) != 0);
		free(guard_preview(x, text, len));
	}
	size_t rlen = 0;
	char *r = guard_redact(g, text, len, &f, &rlen);
	require(r[rlen] == '\0');
	struct guard_findings again = { 0 };
	guard_scan(g, r, rlen, &again, &e);
	for (size_t k = 0; k < again.n; k++)
		require(!guard_is_hidden(again.v[k].type));
	guard_findings_free(&again);
	free(r);
	size_t nhidden = 0;
	for (size_t k = 0; k < f.n; k++)
		nhidden += guard_is_hidden(f.v[k].type);
	char *s = malloc(len + 1);
	memcpy(s, text, len);
	s[len] = '\0';
	size_t slen = len;
	size_t removed = guard_strip_hidden(s, &slen);
	require(slen <= len && s[slen] == '\0' && removed >= nhidden && (nhidden == 0 || removed > 0));
	guard_scan(g, s, slen, &again, &e);
	for (size_t k = 0; k < again.n; k++)
		require(!guard_is_hidden(again.v[k].type));
	guard_findings_free(&again);
	free(s);
	guard_findings_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guard *plain, *custom;
	if (!plain) {
		struct err e = ERR_INIT;
		const char *words[] = { "secret", "Project Falcon", "\xc3\xa9t\xc3\xa9" };
		struct guard_pattern pats[] = { { "ticket", "TCK-\\d+" }, { "empty_ok", "x*" } };
		struct guard_config cfg = { words, 3, pats, 2 };
		plain = guard_new(NULL, &e);
		custom = guard_new(&cfg, &e);
		require(plain && custom);
	}
	char *text = malloc(size + 1);
	if (size)
		memcpy(text, data, size);
	text[size] = '\0';
	check(fuzz_hash(data, size) & 1 ? custom : plain, text, size);
	free(text);
	return 0;
}
