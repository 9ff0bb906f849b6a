/* assert — the checks an experiment applies to each case's answer
 * (docs/experiments.md): contains, not-contains, regex (POSIX ERE), equals
 * (both sides trimmed), is-json (the answer, or its one ```json fence, parses
 * as JSON), max-latency-ms (the run's total time) and max-cost-usd.
 *
 * Text values are Mustache templates rendered with the case's variables, so
 * a dataset column can carry a per-row expectation ("{{expected}}"). A value
 * with tags that renders empty for a row skips the check for that row (it
 * passes, saying so). Each check yields pass/fail and a one-line reason.
 * Nothing here does I/O. */
#ifndef AIWB_EXP_ASSERT_H
#define AIWB_EXP_ASSERT_H

#include <cjson/cJSON.h>

#include "base/err.h"
#include "prompt/mustache.h"

#define EXP_ASSERT_TYPES(X) \
	X(EXP_CONTAINS, "contains") \
	X(EXP_NOT_CONTAINS, "not-contains") \
	X(EXP_REGEX, "regex") \
	X(EXP_EQUALS, "equals") \
	X(EXP_IS_JSON, "is-json") \
	X(EXP_MAX_LATENCY_MS, "max-latency-ms") \
	X(EXP_MAX_COST_USD, "max-cost-usd")

#define EXP_ASSERT_ENUM(id, name) id,
enum exp_assert_type { EXP_ASSERT_TYPES(EXP_ASSERT_ENUM) EXP_ASSERT_COUNT };
#undef EXP_ASSERT_ENUM

struct exp_assert {
	enum exp_assert_type type;
	char *value;             /* the text as written (numbers too) */
	double limit;            /* max-latency-ms, max-cost-usd */
	struct mustache *m;      /* text types */
	int templated;           /* the value has tags */
};

/* What a case's run measured, for the limit checks. */
struct exp_measure {
	const char *text;        /* the answer (NUL-terminated) */
	double total_ms;
	double cost_usd;         /* -1 when the model has no price */
};

struct exp_check {
	int passed;
	char *value;             /* the rendered value (caller frees via exp_check_free) */
	char *reason;            /* one line */
};

/* "contains", ...; -1 when unknown. */
int exp_assert_type_parse(const char *name);
const char *exp_assert_type_name(enum exp_assert_type t);
/* The known names, comma-separated, for error messages. */
const char *exp_assert_type_list(void);
/* Sets up a from its type name and value text; -1 with e (a sentence
 * without position: the caller adds FILE:LINE). */
int exp_assert_init(struct exp_assert *a, const char *type, const char *value, struct err *e);
void exp_assert_free(struct exp_assert *a);
/* Applies a to one case. vars: the case's variables (may be NULL). */
void exp_assert_check(const struct exp_assert *a, const cJSON *vars, const struct exp_measure *m,
		      struct exp_check *out);
void exp_check_free(struct exp_check *c);

#endif
