/* patterns — the user's regular expressions (PCRE2, UTF, JIT compiled) for
 * the guard; guard.c owns them. Invalid UTF-8 in the text is matched around,
 * never an error. */
#ifndef AIWB_GUARD_PATTERNS_H
#define AIWB_GUARD_PATTERNS_H

#include "base/err.h"
#include "guard/detect.h"

struct guard_patterns;

/* NULL with e naming the pattern and the offset when one does not compile. */
struct guard_patterns *guard_patterns_new(const struct guard_pattern *v, size_t n, struct err *e);
void guard_patterns_free(struct guard_patterns *ps);
/* Adds a GUARD_CUSTOM finding (label: the pattern's name) for every match.
 * 0, or -1 with e when PCRE2 gave up (match limit). */
int guard_patterns_scan(const struct guard_patterns *ps, const char *text, size_t len, struct scan *s,
			struct err *e);
/* The mask of pattern `name` ("[EMPLOYEE_ID]"), borrowed; NULL when unknown. */
const char *guard_patterns_mask(const struct guard_patterns *ps, const char *name);

#endif
