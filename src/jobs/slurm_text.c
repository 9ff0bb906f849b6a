#include "jobs/slurm_text.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/xmalloc.h"

static int key_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == ':' ||
	       c == '/';
}

/* Length of "KEY" when p starts "KEY=" as scontrol writes keys, else 0. */
static size_t key_at(const char *p, const char *end)
{
	if (p >= end || !(*p >= 'A' && *p <= 'Z'))
		return 0;
	const char *q = p;
	while (q < end && key_char(*q))
		q++;
	return q < end && *q == '=' ? (size_t)(q - p) : 0;
}

int slurm_parse_scontrol_line(const char *line, size_t n, slurm_kv_fn fn, void *ud)
{
	const char *end = line + n, *p = line;
	int pairs = 0;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (p < end && *p != '\n') {
		size_t k = key_at(p, end);
		if (!k) { /* not a pair: skip the word */
			while (p < end && *p != ' ' && *p != '\n')
				p++;
			while (p < end && *p == ' ')
				p++;
			continue;
		}
		const char *val = p + k + 1, *v = val;
		for (;;) {
			while (v < end && *v != ' ' && *v != '\n')
				v++;
			if (v >= end || *v == '\n')
				break;
			const char *next = v;
			while (next < end && *next == ' ')
				next++;
			if (next >= end || *next == '\n' || key_at(next, end))
				break;
			v = next;
		}
		pairs++;
		if (fn && fn(ud, p, k, val, (size_t)(v - val)))
			break;
		p = v;
		while (p < end && *p == ' ')
			p++;
	}
	return pairs;
}

int64_t slurm_parse_time(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	if (!s)
		return 0;
	const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest || *rest)
		return 0;
	tm.tm_isdst = -1;
	time_t t = mktime(&tm);
	return t > 0 ? (int64_t)t : 0;
}

int slurm_parse_exit_pair(const char *s, int *code, int *signal)
{
	*code = *signal = 0;
	if (!s)
		return -1;
	char *end;
	long c = strtol(s, &end, 10);
	if (end == s || *end != ':' || c < 0 || c > 255)
		return -1;
	const char *q = end + 1;
	long g = strtol(q, &end, 10);
	if (end == q || *end || g < 0 || g > 255)
		return -1;
	if (g > 0) {
		*signal = (int)g;
		return 1;
	}
	*code = (int)c;
	return 0;
}

static int digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Walks an array task list: fn(ud, first, last, step) for each range in the
 * order written while fn returns 0. The number of tasks, or -1 when it is
 * not a list. */
static int64_t array_walk(const char *spec, int (*fn)(void *ud, int64_t a, int64_t b, int64_t step), void *ud)
{
	if (!spec || !*spec)
		return -1;
	int64_t total = 0;
	int stopped = !fn;
	const char *p = spec;
	while (*p && *p != '%') {
		char *end;
		if (!digit(*p))
			return -1;
		long long a = strtoll(p, &end, 10), b = a, step = 1;
		p = end;
		if (*p == '-') {
			if (!digit(*++p))
				return -1;
			b = strtoll(p, &end, 10);
			if (b < a)
				return -1;
			p = end;
			if (*p == ':') {
				if (!digit(*++p))
					return -1;
				step = strtoll(p, &end, 10);
				if (step < 1 || step > 4000000000LL)
					return -1;
				p = end;
			}
		}
		if (a > 4000000000LL || b > 4000000000LL)
			return -1;
		int64_t n = (b - a) / step + 1;
		if (total + n > 100000000)
			return -1;
		if (!stopped)
			stopped = fn(ud, a, b, step) != 0;
		total += n;
		if (*p == ',')
			p++;
		else if (*p && *p != '%')
			return -1;
	}
	if (*p == '%') {
		char *end;
		if (!digit(p[1]))
			return -1;
		strtol(p + 1, &end, 10);
		if (*end)
			return -1;
	}
	return total;
}

int64_t slurm_array_count(const char *spec)
{
	return array_walk(spec, NULL, NULL);
}

struct expand {
	int64_t *ids;
	size_t max, n;
};

static int take_ids(void *ud, int64_t a, int64_t b, int64_t step)
{
	struct expand *x = ud;
	for (int64_t id = a; x->n < x->max; id += step) {
		x->ids[x->n++] = id;
		if (b - id < step)
			break;
	}
	return x->n >= x->max;
}

struct has {
	int64_t id;
	int found;
};

static int is_in(void *ud, int64_t a, int64_t b, int64_t step)
{
	struct has *h = ud;
	h->found = h->id >= a && h->id <= b && (h->id - a) % step == 0;
	return h->found;
}

int slurm_array_has(const char *spec, int64_t id)
{
	struct has h = {id, 0};
	return array_walk(spec, is_in, &h) >= 0 && h.found;
}

int64_t slurm_array_expand(const char *spec, int64_t *ids, size_t max, size_t *n)
{
	struct expand x = {ids, max, 0};
	*n = 0;
	int64_t total = array_walk(spec, max ? take_ids : NULL, &x);
	if (total >= 0)
		*n = x.n;
	return total;
}

/* ---------------------------------------------------------------- sacct */

enum { C_ID, C_NAME, C_STATE, C_EXIT, C_SUBMIT, C_START, C_END, C_NODES, C_PART, C_USER, C_COUNT };
static const char *const col_names[C_COUNT] = {"JobID", "JobName", "State", "ExitCode", "Submit",
					       "Start", "End",     "NodeList", "Partition", "User"};

/* Splits one line at '|' into at most max fields (NUL-terminated in place). */
static size_t split(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line;
	while (n < max) {
		f[n++] = p;
		char *bar = strchr(p, '|');
		if (!bar)
			break;
		*bar = '\0';
		p = bar + 1;
	}
	return n;
}

int slurm_parse_sacct(const char *text, size_t n, slurm_acct_fn fn, void *ud)
{
	char *copy = xstrndup(text, n);
	char *save = NULL, *line = strtok_r(copy, "\n", &save);
	int map[C_COUNT];
	for (int i = 0; i < C_COUNT; i++)
		map[i] = -1;
	char *f[64];
	if (line) {
		size_t nf = split(line, f, 64);
		for (size_t i = 0; i < nf; i++)
			for (int c = 0; c < C_COUNT; c++)
				if (strcmp(f[i], col_names[c]) == 0)
					map[c] = (int)i;
	}
	if (!line || map[C_ID] < 0) {
		free(copy);
		return -1;
	}
	int rows = 0;
	while ((line = strtok_r(NULL, "\n", &save))) {
		size_t len = strlen(line);
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		size_t nf = split(line, f, 64);
		const char *v[C_COUNT];
		for (int c = 0; c < C_COUNT; c++)
			v[c] = map[c] >= 0 && (size_t)map[c] < nf ? f[map[c]] : "";
		if (!*v[C_ID])
			continue;
		char state[64];
		size_t sl = strcspn(v[C_STATE], " ");
		if (sl >= sizeof state)
			sl = sizeof state - 1;
		memcpy(state, v[C_STATE], sl);
		state[sl] = '\0';
		struct slurm_acct_row r = {
			.job_id = v[C_ID], .name = v[C_NAME], .state = state, .exit_code = v[C_EXIT],
			.node_list = v[C_NODES], .partition = v[C_PART], .user = v[C_USER],
			.submit_s = slurm_parse_time(v[C_SUBMIT]), .start_s = slurm_parse_time(v[C_START]),
			.end_s = slurm_parse_time(v[C_END]),
		};
		rows++;
		if (fn)
			fn(ud, &r);
	}
	free(copy);
	return rows;
}
