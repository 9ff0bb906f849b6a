#define PCRE2_CODE_UNIT_WIDTH 8
#include "jobs/metrics.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/xmalloc.h"
#include "base/csv.h"

struct metric_rule {
	char *spec;
	char *name;
	pcre2_code *re;
	pcre2_match_data *md;
	int step_group; /* 0: none */
	int value_group;
};

struct metric_rules {
	struct metric_rule *v;
	size_t n;
};

struct metric_rules *metric_rules_new(void)
{
	return xcalloc(1, sizeof(struct metric_rules));
}

void metric_rules_free(struct metric_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].spec);
		free(r->v[i].name);
		pcre2_match_data_free(r->v[i].md);
		pcre2_code_free(r->v[i].re);
	}
	free(r->v);
	free(r);
}

size_t metric_rules_count(const struct metric_rules *r)
{
	return r ? r->n : 0;
}

const char *metric_rules_spec(const struct metric_rules *r, size_t i)
{
	return i < metric_rules_count(r) ? r->v[i].spec : NULL;
}

int metric_name_valid(const char *s, size_t n)
{
	if (n == 0 || n > METRIC_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '.' || c == '/' || c == '-' || c == ':'))
			return 0;
	}
	return 1;
}

int metric_rules_add(struct metric_rules *r, const char *spec, struct err *e)
{
	const char *eq = strchr(spec, '=');
	if (!eq)
		return err_set(e, "metric '%s' has no '=': write NAME=REGEX, e.g. loss='loss=([0-9.]+)'", spec);
	size_t name_len = (size_t)(eq - spec);
	if (!metric_name_valid(spec, name_len))
		return err_set(e, "metric name '%.*s' is not valid: use 1 to %d letters, digits and _ . / - :",
			       (int)name_len, spec, METRIC_NAME_MAX);
	const char *regex = eq + 1;
	int code;
	PCRE2_SIZE offset;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
				       &code, &offset, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(code, msg, sizeof msg);
		return err_set(e, "the regex of metric '%.*s' does not compile at offset %zu: %s", (int)name_len, spec,
			       (size_t)offset, (const char *)msg);
	}
	uint32_t groups = 0;
	pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &groups);
	int step = pcre2_substring_number_from_name(re, (PCRE2_SPTR) "step");
	if (groups < 1 || (step == 1 && groups < 2)) {
		pcre2_code_free(re);
		return err_set(e, "the regex of metric '%.*s' has no capture group: put the value in ( ), e.g. "
				  "loss=([0-9.eE+-]+)", (int)name_len, spec);
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* without JIT, matching is interpreted */
	r->v = xreallocarray(r->v, r->n + 1, sizeof *r->v);
	struct metric_rule *m = &r->v[r->n++];
	m->spec = xstrdup(spec);
	m->name = xstrndup(spec, name_len);
	m->re = re;
	m->md = pcre2_match_data_create_from_pattern(re, NULL);
	m->step_group = step > 0 ? step : 0;
	m->value_group = step == 1 ? 2 : 1;
	return 0;
}

int metric_parse_number(const char *s, size_t n, double *out)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || n > 64)
		return 0;
	char tmp[65];
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	const char *p = tmp;
	int neg = 0;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (strcasecmp(p, "nan") == 0) {
		*out = NAN;
		return 1;
	}
	if (strcasecmp(p, "inf") == 0 || strcasecmp(p, "infinity") == 0) {
		*out = neg ? -INFINITY : INFINITY;
		return 1;
	}
	int digits = 0;
	const char *q = p;
	while (*q >= '0' && *q <= '9')
		q++, digits++;
	if (*q == '.')
		for (q++; *q >= '0' && *q <= '9'; q++)
			digits++;
	if (!digits)
		return 0;
	if (*q == 'e' || *q == 'E') {
		q++;
		if (*q == '+' || *q == '-')
			q++;
		if (!(*q >= '0' && *q <= '9'))
			return 0;
		while (*q >= '0' && *q <= '9')
			q++;
	}
	if (*q)
		return 0;
	*out = strtod(tmp, NULL);
	return 1;
}

static int parse_step(const char *s, size_t n, int64_t *out)
{
	double d;
	if (!metric_parse_number(s, n, &d) || !isfinite(d) || d != floor(d) || fabs(d) > 9e15)
		return 0;
	*out = (int64_t)d;
	return 1;
}

static int scan_rules(const struct metric_rules *r, const char *line, size_t n, metric_fn fn, void *ud)
{
	int points = 0;
	for (size_t i = 0; i < metric_rules_count(r); i++) {
		const struct metric_rule *m = &r->v[i];
		if (pcre2_match(m->re, (PCRE2_SPTR)line, n, 0, 0, m->md, NULL) < 0)
			continue;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
		int g = m->value_group;
		if (ov[2 * g] == PCRE2_UNSET)
			continue;
		struct metric_point p = {.name = m->name};
		if (!metric_parse_number(line + ov[2 * g], ov[2 * g + 1] - ov[2 * g], &p.value))
			continue;
		if (m->step_group && ov[2 * m->step_group] != PCRE2_UNSET)
			p.has_step = parse_step(line + ov[2 * m->step_group],
						ov[2 * m->step_group + 1] - ov[2 * m->step_group], &p.step);
		fn(ud, &p);
		points++;
	}
	return points;
}

static int is_step_key(const char *k)
{
	return strcmp(k, "step") == 0 || strcmp(k, "global_step") == 0;
}

static int is_time_key(const char *k)
{
	return strcmp(k, "time") == 0 || strcmp(k, "timestamp") == 0 || strcmp(k, "wall_time") == 0;
}

static int json_step(const cJSON *o, struct metric_point *p)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, o)
	{
		if (!cJSON_IsNumber(it) || !it->string)
			continue;
		double d = it->valuedouble;
		if (is_step_key(it->string) && isfinite(d) && d == floor(d) && fabs(d) <= 9e15) {
			p->has_step = 1;
			p->step = (int64_t)d;
		} else if (is_time_key(it->string) && isfinite(d) && d > 0)
			p->time_s = d;
	}
	return 0;
}

static int scan_json(const char *line, size_t n, metric_fn fn, void *ud)
{
	size_t a = 0;
	while (a < n && (line[a] == ' ' || line[a] == '\t'))
		a++;
	while (n > a && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	if (n - a < 2 || line[a] != '{' || line[n - 1] != '}')
		return 0;
	cJSON *o = cJSON_ParseWithLength(line + a, n - a);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return 0;
	}
	struct metric_point base = {0};
	json_step(o, &base);
	int points = 0;
	const cJSON *metric = cJSON_GetObjectItemCaseSensitive(o, "metric");
	if (!cJSON_IsString(metric))
		metric = cJSON_GetObjectItemCaseSensitive(o, "name");
	const cJSON *value = cJSON_GetObjectItemCaseSensitive(o, "value");
	if (cJSON_IsString(metric) && cJSON_IsNumber(value)) {
		if (metric_name_valid(metric->valuestring, strlen(metric->valuestring))) {
			struct metric_point p = base;
			p.name = metric->valuestring;
			p.value = value->valuedouble;
			fn(ud, &p);
			points++;
		}
	} else {
		const cJSON *it;
		cJSON_ArrayForEach(it, o)
		{
			if (!cJSON_IsNumber(it) || !it->string || is_step_key(it->string) || is_time_key(it->string) ||
			    !metric_name_valid(it->string, strlen(it->string)))
				continue;
			struct metric_point p = base;
			p.name = it->string;
			p.value = it->valuedouble;
			fn(ud, &p);
			points++;
		}
	}
	cJSON_Delete(o);
	return points;
}

int metric_scan_line(const struct metric_rules *r, const char *line, size_t n, metric_fn fn, void *ud)
{
	if (n > METRIC_LINE_MAX)
		n = METRIC_LINE_MAX;
	return scan_rules(r, line, n, fn, ud) + scan_json(line, n, fn, ud);
}

size_t metric_scan_text(const struct metric_rules *r, const char *text, size_t n, int final, metric_fn fn, void *ud)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		if (text[i] != '\n' && text[i] != '\r')
			continue;
		if (i > start)
			metric_scan_line(r, text + start, i - start, fn, ud);
		start = i + 1;
	}
	if (final && start < n) {
		metric_scan_line(r, text + start, n - start, fn, ud);
		start = n;
	}
	return start;
}

struct csv_state {
	char **header;
	size_t columns;
	int step_col;
	metric_fn fn;
	void *ud;
};

static int on_csv_record(void *ud, const struct csv_record *rec)
{
	struct csv_state *s = ud;
	if (!s->header) {
		s->columns = rec->n;
		s->header = xcalloc(rec->n, sizeof *s->header);
		s->step_col = -1;
		for (size_t i = 0; i < rec->n; i++) {
			s->header[i] = xstrdup(rec->fields[i]);
			if (is_step_key(rec->fields[i]))
				s->step_col = (int)i;
		}
		return 0;
	}
	struct metric_point base = {0};
	if (s->step_col >= 0 && (size_t)s->step_col < rec->n)
		base.has_step = parse_step(rec->fields[s->step_col], rec->lens[s->step_col], &base.step);
	for (size_t i = 0; i < rec->n && i < s->columns; i++) {
		if ((int)i == s->step_col || is_time_key(s->header[i]) ||
		    !metric_name_valid(s->header[i], strlen(s->header[i])))
			continue;
		struct metric_point p = base;
		p.name = s->header[i];
		if (metric_parse_number(rec->fields[i], rec->lens[i], &p.value))
			s->fn(s->ud, &p);
	}
	return 0;
}

int metric_csv(const char *text, size_t n, metric_fn fn, void *ud, struct err *e)
{
	struct csv_state s = {.fn = fn, .ud = ud, .step_col = -1};
	struct csv_parser *p = csv_new(0, 0, on_csv_record, &s);
	int rc = csv_feed(p, text, n, e);
	if (rc == 0)
		rc = csv_finish(p, e);
	csv_free(p);
	if (rc == 0 && !s.header)
		rc = err_set(e, "the CSV file has no header row");
	for (size_t i = 0; i < s.columns; i++)
		free(s.header[i]);
	free(s.header);
	return rc < 0 ? -1 : 0;
}
