#include "jobs/text.h"

#include <math.h>
#include <stdio.h>

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
