#define PCRE2_CODE_UNIT_WIDTH 8
#include "guard/patterns.h"

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

struct pattern {
	char *name;
	char *mask;
	pcre2_code *code;
};

struct guard_patterns {
	struct pattern *v;
	size_t n;
};

void guard_patterns_free(struct guard_patterns *ps)
{
	if (!ps)
		return;
	for (size_t i = 0; i < ps->n; i++) {
		free(ps->v[i].name);
		free(ps->v[i].mask);
		pcre2_code_free(ps->v[i].code);
	}
	free(ps->v);
	free(ps);
}

static char *mask_for(const char *name)
{
	char *m = xasprintf("[%s]", name);
	for (char *c = m + 1; *c; c++) {
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
		else if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == ']'))
			*c = '_';
	}
	return m;
}

struct guard_patterns *guard_patterns_new(const struct guard_pattern *v, size_t n, struct err *e)
{
	struct guard_patterns *ps = xcalloc(1, sizeof *ps);
	ps->v = xcalloc(n ? n : 1, sizeof *ps->v);
	for (size_t i = 0; i < n; i++) {
		int code;
		PCRE2_SIZE off;
		pcre2_code *re = pcre2_compile((PCRE2_SPTR)v[i].regex, PCRE2_ZERO_TERMINATED,
					       PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off, NULL);
		if (!re) {
			PCRE2_UCHAR msg[256];
			pcre2_get_error_message(code, msg, sizeof msg);
			err_set(e, "guard pattern '%s' is not a valid regular expression: %s at offset %zu", v[i].name,
				(const char *)msg, (size_t)off);
			guard_patterns_free(ps);
			return NULL;
		}
		pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* without JIT support it still matches, slower */
		ps->v[ps->n++] = (struct pattern){ xstrdup(v[i].name), mask_for(v[i].name), re };
	}
	return ps;
}

static size_t next_char(const char *text, size_t len, size_t at)
{
	at++;
	while (at < len && ((unsigned char)text[at] & 0xC0) == 0x80)
		at++;
	return at;
}

int guard_patterns_scan(const struct guard_patterns *ps, const char *text, size_t len, struct scan *s,
			struct err *e)
{
	int rc = 0;
	for (size_t i = 0; ps && i < ps->n; i++) {
		const struct pattern *pt = &ps->v[i];
		pcre2_match_data *md = pcre2_match_data_create_from_pattern(pt->code, NULL);
		size_t at = 0;
		while (at <= len) {
			int m = pcre2_match(pt->code, (PCRE2_SPTR)text, len, at, 0, md, NULL);
			if (m == PCRE2_ERROR_NOMATCH)
				break;
			if (m < 0) {
				PCRE2_UCHAR msg[256];
				pcre2_get_error_message(m, msg, sizeof msg);
				rc = err_set(e, "guard pattern '%s' stopped: %s", pt->name, (const char *)msg);
				break;
			}
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
			size_t start = ov[0], end = ov[1];
			if (end > start)
				scan_add(s, GUARD_CUSTOM, start, end, 1.0f, pt->name);
			at = end > start ? end : next_char(text, len, end);
		}
		pcre2_match_data_free(md);
	}
	return rc;
}

const char *guard_patterns_mask(const struct guard_patterns *ps, const char *name)
{
	for (size_t i = 0; ps && i < ps->n; i++)
		if (ps->v[i].name == name || strcmp(ps->v[i].name, name) == 0)
			return ps->v[i].mask;
	return NULL;
}
