#include "jobs/text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/xmalloc.h"
#include "jobs/registry.h"

void job_text_duration(char *out, size_t n, int64_t ms)
{
	int64_t s = ms / 1000;
	if (ms < 0)
		snprintf(out, n, "-");
	else if (s < 60)
		snprintf(out, n, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(out, n, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else if (s < 86400)
		snprintf(out, n, "%lldh%02lldm", (long long)(s / 3600), (long long)(s / 60 % 60));
	else
		snprintf(out, n, "%lldd%02lldh", (long long)(s / 86400), (long long)(s / 3600 % 24));
}

void job_text_value(char *out, size_t n, double v)
{
	if (isnan(v))
		snprintf(out, n, "nan");
	else if (isinf(v))
		snprintf(out, n, v < 0 ? "-inf" : "inf");
	else
		snprintf(out, n, "%.6g", v);
}

struct last_values {
	struct buf *text;
	int max, count;
};

static int on_last(void *ud, const struct jobreg_point *p)
{
	struct last_values *lv = ud;
	if (lv->max == 0 || lv->count < lv->max) {
		char v[32];
		job_text_value(v, sizeof v, p->value);
		buf_printf(lv->text, "%s%s=%s", lv->text->len ? " " : "", p->name, v);
	}
	lv->count++;
	return 0;
}

void job_text_metrics(struct db *db, int64_t job_id, int max, struct buf *out)
{
	struct last_values lv = { out, max, 0 };
	jobreg_last_values(db, job_id, on_last, &lv, NULL);
}

struct steps {
	char **v;
	size_t n, cap;
	int64_t now_ms;
};

static int add_step(void *ud, const struct jobreg_transition *t)
{
	struct steps *s = ud;
	time_t when = (time_t)(t->time_ms / 1000), now = (time_t)(s->now_ms / 1000);
	struct tm a, b;
	localtime_r(&when, &a);
	localtime_r(&now, &b);
	char clock[32];
	int today = a.tm_year == b.tm_year && a.tm_yday == b.tm_yday;
	strftime(clock, sizeof clock, today ? "%H:%M:%S" : "%m-%d %H:%M", &a);
	XGROW(s->v, s->cap, s->n + 1);
	s->v[s->n++] = xasprintf("%s %s", t->status, clock);
	return 0;
}

void job_text_transitions(struct db *db, int64_t job_id, int64_t now_ms, size_t max_cols, struct buf *out)
{
	static const char arrow[] = " \u2192 ", cut[] = "\u2026 \u2192 ";
	struct steps s = { .now_ms = now_ms };
	jobreg_transitions(db, job_id, add_step, &s, NULL);
	/* the newest that fit, each step counted in columns (the arrow is one) */
	size_t first = s.n, cols = 0;
	while (first > 0) {
		size_t w = strlen(s.v[first - 1]) + (first < s.n ? 3 : 0);
		size_t room = first > 1 ? 4 : 0; /* "… → " if older ones are left out */
		if (max_cols && cols + w + room > max_cols && first < s.n)
			break;
		cols += w;
		first--;
	}
	if (first > 0)
		buf_puts(out, cut);
	for (size_t i = first; i < s.n; i++)
		buf_printf(out, "%s%s", i > first ? arrow : "", s.v[i]);
	for (size_t i = 0; i < s.n; i++)
		free(s.v[i]);
	free(s.v);
}
