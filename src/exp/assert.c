#include "exp/assert.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "llm/run_metrics.h"

#define EXP_ASSERT_NAME(id, name) name,
static const char *const type_names[] = { EXP_ASSERT_TYPES(EXP_ASSERT_NAME) };
#undef EXP_ASSERT_NAME

#define QUOTE_MAX 60

int exp_assert_type_parse(const char *name)
{
	for (int i = 0; i < EXP_ASSERT_COUNT; i++)
		if (strcmp(name, type_names[i]) == 0)
			return i;
	return -1;
}

const char *exp_assert_type_name(enum exp_assert_type t)
{
	return (unsigned)t < EXP_ASSERT_COUNT ? type_names[t] : "?";
}

const char *exp_assert_type_list(void)
{
	return "contains, not-contains, regex, equals, is-json, max-latency-ms, max-cost-usd";
}

static int is_text_type(enum exp_assert_type t)
{
	return t == EXP_CONTAINS || t == EXP_NOT_CONTAINS || t == EXP_REGEX || t == EXP_EQUALS;
}

static int compile_ere(const char *ere, regex_t *re, struct err *e)
{
	int rc = regcomp(re, ere, REG_EXTENDED | REG_NEWLINE);
	if (rc == 0)
		return 0;
	char msg[200];
	regerror(rc, re, msg, sizeof msg);
	regfree(re);
	return err_set(e, "regex is not a POSIX extended regular expression: %s", msg);
}

int exp_assert_init(struct exp_assert *a, const char *type, const char *value, struct err *e)
{
	memset(a, 0, sizeof *a);
	int t = exp_assert_type_parse(type);
	if (t < 0)
		return err_set(e, "unknown assertion type '%s' (known: %s)", type, exp_assert_type_list());
	a->type = (enum exp_assert_type)t;
	if (is_text_type(a->type)) {
		if (!value || !*value)
			return err_set(e, "%s needs a text value", type);
		struct mustache_opts o = MUSTACHE_OPTS_INIT;
		o.escape_html = false;
		struct err me = ERR_INIT;
		if (!(a->m = mustache_parse(value, strlen(value), &o, &me)))
			return err_set(e, "the value of %s is not a valid template: %s", type, me.msg);
		a->templated = strstr(value, "{{") != NULL;
		if (a->type == EXP_REGEX && !a->templated) {
			regex_t re;
			if (compile_ere(value, &re, e) != 0) {
				exp_assert_free(a);
				return -1;
			}
			regfree(&re);
		}
	} else if (a->type == EXP_IS_JSON) {
		if (value && strcmp(value, "true") != 0)
			return err_set(e, "is-json takes the value true");
	} else {
		char *end;
		errno = 0;
		double d = value ? strtod(value, &end) : NAN;
		if (!value || !*value || *end || errno || !isfinite(d) || d < 0)
			return err_set(e, "%s needs a number of at least 0", type);
		a->limit = d;
	}
	a->value = xstrdup(value ? value : "true");
	return 0;
}

void exp_assert_free(struct exp_assert *a)
{
	if (!a)
		return;
	free(a->value);
	mustache_free(a->m);
	memset(a, 0, sizeof *a);
}

/* s quoted for a reason line: at most QUOTE_MAX bytes (never splitting a
 * UTF-8 character), newlines shown as \n. */
static void quote(struct buf *b, const char *s)
{
	size_t n = strlen(s), k = n > QUOTE_MAX ? QUOTE_MAX : n;
	while (k < n && k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
		k--;
	buf_putc(b, '\'');
	for (size_t i = 0; i < k; i++) {
		if (s[i] == '\n')
			buf_puts(b, "\\n");
		else if (s[i] == '\r')
			buf_puts(b, "\\r");
		else if (s[i] == '\t')
			buf_puts(b, "\\t");
		else
			buf_putc(b, s[i]);
	}
	buf_puts(b, k < n ? "...'" : "'");
}

static char *trimmed(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

/* The answer as JSON text: trimmed, and the inside of a fence when the whole
 * answer is one ```json (or ```) block. Caller frees. */
static char *json_body(const char *text)
{
	char *t = trimmed(text);
	size_t n = strlen(t);
	if (n >= 6 && !strncmp(t, "```", 3) && !strcmp(t + n - 3, "```")) {
		char *nl = strchr(t, '\n');
		if (nl && nl < t + n - 3) {
			const char *lang = t + 3;
			int ok = nl == lang || !strncmp(lang, "json", 4);
			if (ok) {
				char *inner = xstrndup(nl + 1, (size_t)(t + n - 3 - (nl + 1)));
				free(t);
				t = trimmed(inner);
				free(inner);
			}
		}
	}
	return t;
}

static void check_text(const struct exp_assert *a, const char *want, const char *text, struct buf *why, int *passed)
{
	switch (a->type) {
	case EXP_CONTAINS:
		*passed = strstr(text, want) != NULL;
		buf_printf(why, "the answer %s ", *passed ? "contains" : "does not contain");
		quote(why, want);
		break;
	case EXP_NOT_CONTAINS:
		*passed = strstr(text, want) == NULL;
		buf_printf(why, "the answer %s ", *passed ? "does not contain" : "contains");
		quote(why, want);
		break;
	case EXP_EQUALS: {
		char *x = trimmed(text), *y = trimmed(want);
		*passed = strcmp(x, y) == 0;
		if (*passed) {
			buf_puts(why, "the answer equals ");
			quote(why, y);
		} else {
			buf_puts(why, "the answer ");
			quote(why, x);
			buf_puts(why, " is not ");
			quote(why, y);
		}
		free(x);
		free(y);
		break;
	}
	case EXP_REGEX: {
		regex_t re;
		struct err e = ERR_INIT;
		if (compile_ere(want, &re, &e) != 0) {
			*passed = 0;
			buf_puts(why, e.msg);
			break;
		}
		*passed = regexec(&re, text, 0, NULL, 0) == 0;
		regfree(&re);
		buf_printf(why, "the answer %s /", *passed ? "matches" : "does not match");
		buf_puts(why, want);
		buf_putc(why, '/');
		break;
	}
	default:
		break;
	}
}

void exp_assert_check(const struct exp_assert *a, const cJSON *vars, const struct exp_measure *m,
		      struct exp_check *out)
{
	struct buf why = BUF_INIT;
	memset(out, 0, sizeof *out);
	const char *text = m->text ? m->text : "";
	if (is_text_type(a->type)) {
		struct buf want = BUF_INIT;
		struct err e = ERR_INIT;
		if (mustache_render(a->m, vars, &want, &e) != 0) {
			out->value = xstrdup(a->value);
			buf_printf(&why, "the value cannot be rendered: %s", e.msg);
		} else {
			out->value = xstrdup(buf_str(&want));
			if (a->templated && !want.len) {
				out->passed = 1;
				buf_puts(&why, "skipped: the value is empty for this case");
			} else {
				check_text(a, out->value, text, &why, &out->passed);
			}
		}
		buf_free(&want);
	} else if (a->type == EXP_IS_JSON) {
		out->value = xstrdup("true");
		char *body = json_body(text);
		cJSON *j = cJSON_ParseWithOpts(body, NULL, 1);
		out->passed = j != NULL && *body;
		if (out->passed) {
			buf_puts(&why, "the answer is valid JSON");
		} else {
			buf_puts(&why, "the answer is not valid JSON: ");
			quote(&why, body);
		}
		cJSON_Delete(j);
		free(body);
	} else if (a->type == EXP_MAX_LATENCY_MS) {
		out->value = xstrdup(a->value);
		char took[METRICS_NUM + 3];
		out->passed = m->total_ms <= a->limit;
		buf_printf(&why, "took %s, %s the limit of %s ms", metrics_ms(took, sizeof took, m->total_ms, "?"),
			   out->passed ? "within" : "over", a->value);
	} else {
		out->value = xstrdup(a->value);
		if (m->cost_usd < 0) {
			buf_puts(&why, "the cost is unknown (the model has no price in the catalog)");
		} else {
			char cost[METRICS_NUM + 1];
			out->passed = m->cost_usd <= a->limit;
			buf_printf(&why, "cost %s, %s the limit of $%s", metrics_usd(cost, sizeof cost, m->cost_usd, METRICS_COST_UNKNOWN),
				   out->passed ? "within" : "over", a->value);
		}
	}
	out->reason = buf_detach(&why);
}

void exp_check_free(struct exp_check *c)
{
	free(c->value);
	free(c->reason);
	memset(c, 0, sizeof *c);
}
