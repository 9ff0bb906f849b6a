#include "llm/run_metrics.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "store/history.h"

void metrics_from_history(const struct history_metrics *h, struct run_metrics *m)
{
	memset(m, 0, sizeof *m);
	m->ttft_ms = h->ttft_ms;
	m->total_ms = h->total_ms;
	m->input_tokens = h->input_tokens;
	m->output_tokens = h->output_tokens;
	m->estimated = h->estimated;
	m->tokens_per_s = h->tokens_per_s;
	m->cost_usd = h->cost_usd;
	m->complete = h->status && strcmp(h->status, "ok") == 0;
}

/* The rules: whole milliseconds, one decimal for seconds and rates, six for dollars. */
static void fmt_ms(char *out, size_t size, double ms)
{
	if (ms < 0)
		snprintf(out, size, "%s", "");
	else
		snprintf(out, size, "%.0f", ms);
}

static void fmt_tenths(char *out, size_t size, double v)
{
	if (v < 0)
		snprintf(out, size, "%s", "");
	else
		snprintf(out, size, "%.1f", v);
}

static void fmt_usd(char *out, size_t size, double usd)
{
	if (usd < 0)
		snprintf(out, size, "%s", "");
	else
		snprintf(out, size, "%.6f", usd);
}

void metrics_text(const struct run_metrics *m, struct metrics_text *t)
{
	fmt_ms(t->ttft_ms, sizeof t->ttft_ms, m->ttft_ms);
	fmt_ms(t->total_ms, sizeof t->total_ms, m->total_ms);
	fmt_tenths(t->total_s, sizeof t->total_s, m->total_ms < 0 ? -1 : m->total_ms / 1000.0);
	snprintf(t->input_tokens, sizeof t->input_tokens, "%lld", (long long)m->input_tokens);
	snprintf(t->output_tokens, sizeof t->output_tokens, "%lld", (long long)m->output_tokens);
	fmt_tenths(t->tokens_per_s, sizeof t->tokens_per_s, m->tokens_per_s);
	fmt_usd(t->cost_usd, sizeof t->cost_usd, m->cost_usd);
}

/* n with its unit around it, or unknown when n is empty. */
static const char *with_unit(char *out, size_t size, const char *n, const char *before, const char *after,
			     const char *unknown)
{
	if (n[0])
		snprintf(out, size, "%s%s%s", before, n, after);
	else
		snprintf(out, size, "%s", unknown);
	return out;
}

const char *metrics_ms(char *out, size_t size, double ms, const char *unknown)
{
	char n[METRICS_NUM];
	fmt_ms(n, sizeof n, ms);
	return with_unit(out, size, n, "", " ms", unknown);
}

const char *metrics_usd(char *out, size_t size, double usd, const char *unknown)
{
	char n[METRICS_NUM];
	fmt_usd(n, sizeof n, usd);
	return with_unit(out, size, n, "$", "", unknown);
}

void metrics_line(struct buf *b, const struct run_metrics *m, unsigned parts)
{
	struct metrics_text t;
	metrics_text(m, &t);
	if (parts & METRICS_LINE_TTFT) {
		if (t.ttft_ms[0])
			buf_printf(b, "%s ms to first token, ", t.ttft_ms);
		else
			buf_printf(b, "no text, ");
	}
	buf_printf(b, "%s ms total, %s in / %s out tokens%s", t.total_ms, t.input_tokens, t.output_tokens,
		   m->estimated ? " (estimated)" : "");
	if ((parts & METRICS_LINE_RATE) && t.tokens_per_s[0])
		buf_printf(b, ", %s tokens/s", t.tokens_per_s);
	char cost[METRICS_NUM + 1];
	buf_printf(b, ", %s", metrics_usd(cost, sizeof cost, m->cost_usd, METRICS_COST_UNKNOWN));
}

void metrics_known(struct buf *b, const struct run_metrics *m)
{
	struct metrics_text t;
	metrics_text(m, &t);
	const char *sep = "";
	if (t.ttft_ms[0]) {
		buf_printf(b, "%sTTFT %s ms", sep, t.ttft_ms);
		sep = " · ";
	}
	if (t.total_ms[0]) {
		buf_printf(b, "%stotal %s ms", sep, t.total_ms);
		sep = " · ";
	}
	if (m->input_tokens >= 0 || m->output_tokens >= 0) {
		buf_printf(b, "%s%s in / %s out tokens%s", sep, t.input_tokens, t.output_tokens,
			   m->estimated ? " (estimated)" : "");
		sep = " · ";
	}
	if (t.tokens_per_s[0]) {
		buf_printf(b, "%s%s tok/s", sep, t.tokens_per_s);
		sep = " · ";
	}
	if (t.cost_usd[0])
		buf_printf(b, "%s$%s", sep, t.cost_usd);
}

void metrics_panel(const struct run_metrics *m, char part[METRICS_PANEL_PARTS][METRICS_PART_MAX])
{
	struct metrics_text t;
	metrics_text(m, &t);
	snprintf(part[0], METRICS_PART_MAX, "TTFT %s%s", t.ttft_ms[0] ? t.ttft_ms : "-", t.ttft_ms[0] ? " ms" : "");
	snprintf(part[1], METRICS_PART_MAX, "%s in / %s out%s", t.input_tokens, t.output_tokens,
		 m->estimated ? " (est.)" : "");
	snprintf(part[2], METRICS_PART_MAX, "%s tok/s", t.tokens_per_s[0] ? t.tokens_per_s : "-");
	metrics_usd(part[3], METRICS_PART_MAX, m->cost_usd, METRICS_COST_UNKNOWN);
	snprintf(part[4], METRICS_PART_MAX, "%s s", t.total_s[0] ? t.total_s : "-");
}

static void add_number(cJSON *o, const char *name, double v)
{
	if (v >= 0)
		cJSON_AddNumberToObject(o, name, v);
	else
		cJSON_AddNullToObject(o, name);
}

void metrics_json_add(cJSON *o, const struct run_metrics *m, enum metrics_json_layout layout)
{
	if (layout == METRICS_JSON_FLAT) {
		add_number(o, "total_ms", m->total_ms);
		add_number(o, "ttft_ms", m->ttft_ms);
		add_number(o, "input_tokens", (double)m->input_tokens);
		add_number(o, "output_tokens", (double)m->output_tokens);
		cJSON_AddBoolToObject(o, "estimated", m->estimated);
		add_number(o, "cost_usd", m->cost_usd);
		return;
	}
	cJSON *u = cJSON_AddObjectToObject(o, "usage");
	add_number(u, "input_tokens", (double)m->input_tokens);
	add_number(u, "output_tokens", (double)m->output_tokens);
	cJSON_AddBoolToObject(u, "estimated", m->estimated);
	add_number(o, "ttft_ms", m->ttft_ms);
	add_number(o, "total_ms", m->total_ms);
	add_number(o, "tokens_per_s", m->tokens_per_s);
	add_number(o, "cost_usd", m->cost_usd);
}
