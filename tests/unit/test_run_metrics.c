/* run_metrics: the number rules, each layout (summary line, known parts,
 * result panel, table numbers), the JSON writer in both layouts, and the
 * conversion of a stored row; edge cases: no text, zero time, unknown price,
 * huge numbers. The layouts are also checked against the printf formats the
 * CLI and workbench used before, over a grid of values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "base/buf.h"
#include "llm/run_metrics.h"
#include "store/history.h"

static struct run_metrics sample(void)
{
	return (struct run_metrics){ .ttft_ms = 412.4, .total_ms = 980.6, .input_tokens = 12, .output_tokens = 40,
				     .tokens_per_s = 38.46, .cost_usd = 0.000123, .complete = 1 };
}

static char *line(const struct run_metrics *m, unsigned parts)
{
	struct buf b = BUF_INIT;
	metrics_line(&b, m, parts);
	return buf_detach(&b);
}

static char *known(const struct run_metrics *m)
{
	struct buf b = BUF_INIT;
	metrics_known(&b, m);
	return buf_detach(&b);
}

static char *json(const struct run_metrics *m, enum metrics_json_layout layout)
{
	cJSON *o = cJSON_CreateObject();
	metrics_json_add(o, m, layout);
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static void test_text_rounds_by_the_rules(void **state)
{
	(void)state;
	struct run_metrics m = sample();
	struct metrics_text t;
	metrics_text(&m, &t);
	assert_string_equal(t.ttft_ms, "412");
	assert_string_equal(t.total_ms, "981");
	assert_string_equal(t.total_s, "1.0");
	assert_string_equal(t.input_tokens, "12");
	assert_string_equal(t.output_tokens, "40");
	assert_string_equal(t.tokens_per_s, "38.5");
	assert_string_equal(t.cost_usd, "0.000123");
	/* printf's rounding: halves go to even */
	m.ttft_ms = 2.5;
	m.cost_usd = 0.0000005;
	metrics_text(&m, &t);
	assert_string_equal(t.ttft_ms, "2");
	assert_string_equal(t.cost_usd, "0.000000");
}

static void test_text_unknown_is_empty(void **state)
{
	(void)state;
	struct run_metrics m = { .ttft_ms = -1, .total_ms = -1, .input_tokens = -1, .output_tokens = -1,
				 .tokens_per_s = -1, .cost_usd = -1 };
	struct metrics_text t;
	metrics_text(&m, &t);
	assert_string_equal(t.ttft_ms, "");
	assert_string_equal(t.total_ms, "");
	assert_string_equal(t.total_s, "");
	assert_string_equal(t.tokens_per_s, "");
	assert_string_equal(t.cost_usd, "");
	/* counts are printed as they are */
	assert_string_equal(t.input_tokens, "-1");
}

static void test_zero_time_and_free_model(void **state)
{
	(void)state;
	struct run_metrics m = { .ttft_ms = 0, .total_ms = 0, .input_tokens = 0, .output_tokens = 0,
				 .tokens_per_s = -1, .cost_usd = 0 };
	char *s = line(&m, METRICS_LINE_TTFT | METRICS_LINE_RATE);
	assert_string_equal(s, "0 ms to first token, 0 ms total, 0 in / 0 out tokens, $0.000000");
	free(s);
	char part[METRICS_PANEL_PARTS][METRICS_PART_MAX];
	metrics_panel(&m, part);
	assert_string_equal(part[4], "0.0 s");
	assert_string_equal(part[2], "- tok/s");
	assert_string_equal(part[3], "$0.000000");
}

static void test_huge_numbers_fit_or_are_cut(void **state)
{
	(void)state;
	struct run_metrics m = { .ttft_ms = 1e300, .total_ms = 1e300, .input_tokens = INT64_MAX,
				 .output_tokens = INT64_MAX, .tokens_per_s = 1e300, .cost_usd = 1e300 };
	struct metrics_text t;
	metrics_text(&m, &t);
	assert_string_equal(t.input_tokens, "9223372036854775807");
	assert_int_equal(strlen(t.cost_usd), METRICS_NUM - 1);
	assert_int_equal(strncmp(t.cost_usd, "1000000000000000052504760255204", METRICS_NUM - 1), 0);
	char part[METRICS_PANEL_PARTS][METRICS_PART_MAX];
	metrics_panel(&m, part);
	for (int i = 0; i < METRICS_PANEL_PARTS; i++)
		assert_true(strlen(part[i]) < METRICS_PART_MAX);
	assert_string_equal(part[1], "9223372036854775807 in / 9223372036854775807 out");
	char small[8];
	assert_string_equal(metrics_usd(small, sizeof small, 1e300, "?"), "$100000");
	char *s = json(&m, METRICS_JSON_FLAT);
	/* JSON numbers are doubles: a huge count keeps its magnitude */
	assert_string_equal(s, "{\"total_ms\":1e+300,\"ttft_ms\":1e+300,\"input_tokens\":9.2233720368547758e+18,"
			       "\"output_tokens\":9.2233720368547758e+18,\"estimated\":false,\"cost_usd\":1e+300}");
	free(s);
}

static void test_value_with_unit(void **state)
{
	(void)state;
	char out[40];
	assert_string_equal(metrics_ms(out, sizeof out, 412.4, "-"), "412 ms");
	assert_string_equal(metrics_ms(out, sizeof out, -1, "no text"), "no text");
	assert_string_equal(metrics_usd(out, sizeof out, 0.000123, "-"), "$0.000123");
	assert_string_equal(metrics_usd(out, sizeof out, -1, "price unknown"), "price unknown");
}

static void test_line_of_ask_and_prompt(void **state)
{
	(void)state;
	struct run_metrics m = sample();
	char *s = line(&m, METRICS_LINE_TTFT | METRICS_LINE_RATE);
	assert_string_equal(s, "412 ms to first token, 981 ms total, 12 in / 40 out tokens, 38.5 tokens/s, $0.000123");
	free(s);
	s = line(&m, 0);
	assert_string_equal(s, "981 ms total, 12 in / 40 out tokens, $0.000123");
	free(s);
	/* no text, estimated counts, no price, no rate */
	m = (struct run_metrics){ .ttft_ms = -1, .total_ms = 30000, .input_tokens = 3, .output_tokens = 0,
				  .estimated = 1, .tokens_per_s = -1, .cost_usd = -1 };
	s = line(&m, METRICS_LINE_TTFT | METRICS_LINE_RATE);
	assert_string_equal(s, "no text, 30000 ms total, 3 in / 0 out tokens (estimated), price unknown");
	free(s);
}

static void test_known_parts_only(void **state)
{
	(void)state;
	struct run_metrics m = sample();
	m.estimated = 1;
	char *s = known(&m);
	assert_string_equal(s, "TTFT 412 ms · total 981 ms · 12 in / 40 out tokens (estimated) · 38.5 tok/s · $0.000123");
	free(s);
	m = (struct run_metrics){ .ttft_ms = -1, .total_ms = -1, .input_tokens = -1, .output_tokens = -1,
				  .tokens_per_s = -1, .cost_usd = 0.5 };
	s = known(&m);
	assert_string_equal(s, "$0.500000");
	free(s);
	m.cost_usd = -1;
	s = known(&m);
	assert_string_equal(s, "");
	free(s);
}

static void test_panel_parts(void **state)
{
	(void)state;
	struct run_metrics m = sample();
	char part[METRICS_PANEL_PARTS][METRICS_PART_MAX];
	metrics_panel(&m, part);
	assert_string_equal(part[0], "TTFT 412 ms");
	assert_string_equal(part[1], "12 in / 40 out");
	assert_string_equal(part[2], "38.5 tok/s");
	assert_string_equal(part[3], "$0.000123");
	assert_string_equal(part[4], "1.0 s");
	m.ttft_ms = m.cost_usd = -1;
	m.estimated = 1;
	metrics_panel(&m, part);
	assert_string_equal(part[0], "TTFT -");
	assert_string_equal(part[1], "12 in / 40 out (est.)");
	assert_string_equal(part[3], METRICS_COST_UNKNOWN);
}

static void test_json_layouts(void **state)
{
	(void)state;
	struct run_metrics m = { .ttft_ms = 412.5, .total_ms = 980, .input_tokens = 12, .output_tokens = 40,
				 .tokens_per_s = 38.5, .cost_usd = 0.25 };
	char *s = json(&m, METRICS_JSON_NESTED);
	assert_string_equal(s, "{\"usage\":{\"input_tokens\":12,\"output_tokens\":40,\"estimated\":false},"
			       "\"ttft_ms\":412.5,\"total_ms\":980,\"tokens_per_s\":38.5,\"cost_usd\":0.25}");
	free(s);
	s = json(&m, METRICS_JSON_FLAT);
	assert_string_equal(s, "{\"total_ms\":980,\"ttft_ms\":412.5,\"input_tokens\":12,\"output_tokens\":40,"
			       "\"estimated\":false,\"cost_usd\":0.25}");
	free(s);
	/* no text, no price: null, as experiment cases that never ran */
	struct run_metrics none = { .ttft_ms = -1, .tokens_per_s = -1, .cost_usd = -1 };
	s = json(&none, METRICS_JSON_FLAT);
	assert_string_equal(s, "{\"total_ms\":0,\"ttft_ms\":null,\"input_tokens\":0,\"output_tokens\":0,"
			       "\"estimated\":false,\"cost_usd\":null}");
	free(s);
	none.estimated = 1;
	s = json(&none, METRICS_JSON_NESTED);
	assert_string_equal(s, "{\"usage\":{\"input_tokens\":0,\"output_tokens\":0,\"estimated\":true},"
			       "\"ttft_ms\":null,\"total_ms\":0,\"tokens_per_s\":null,\"cost_usd\":null}");
	free(s);
}

static void test_from_history(void **state)
{
	(void)state;
	char ok[] = "ok", cut[] = "cut";
	struct history_metrics h = { .ttft_ms = -1, .total_ms = -1, .tokens_per_s = -1, .cost_usd = 0.001,
				     .input_tokens = -1, .output_tokens = -1, .estimated = 1, .status = ok };
	struct run_metrics m;
	metrics_from_history(&h, &m);
	assert_true(m.complete);
	assert_int_equal(m.estimated, 1);
	char *s = json(&m, METRICS_JSON_NESTED);
	assert_string_equal(s, "{\"usage\":{\"input_tokens\":null,\"output_tokens\":null,\"estimated\":true},"
			       "\"ttft_ms\":null,\"total_ms\":null,\"tokens_per_s\":null,\"cost_usd\":0.001}");
	free(s);
	h.status = cut;
	metrics_from_history(&h, &m);
	assert_false(m.complete);
	h.status = NULL;
	metrics_from_history(&h, &m);
	assert_false(m.complete);
}

/* The layouts as the callers printed them before they shared this module. */
static void old_ask(char *out, size_t n, const struct run_metrics *m)
{
	char cost[32] = "price unknown";
	if (m->cost_usd >= 0)
		snprintf(cost, sizeof cost, "$%.6f", m->cost_usd);
	char ttft[32] = "no text";
	if (m->ttft_ms >= 0)
		snprintf(ttft, sizeof ttft, "%.0f ms to first token", m->ttft_ms);
	char rate[32] = "";
	if (m->tokens_per_s >= 0)
		snprintf(rate, sizeof rate, ", %.1f tokens/s", m->tokens_per_s);
	snprintf(out, n, "%s, %.0f ms total, %lld in / %lld out tokens%s%s, %s", ttft, m->total_ms,
		 (long long)m->input_tokens, (long long)m->output_tokens, m->estimated ? " (estimated)" : "", rate, cost);
}

static void old_known(struct buf *b, const struct run_metrics *m)
{
	if (m->ttft_ms >= 0)
		buf_printf(b, "TTFT %.0f ms · ", m->ttft_ms);
	if (m->total_ms >= 0)
		buf_printf(b, "total %.0f ms · ", m->total_ms);
	if (m->input_tokens >= 0 || m->output_tokens >= 0)
		buf_printf(b, "%lld in / %lld out tokens%s · ", (long long)m->input_tokens, (long long)m->output_tokens,
			   m->estimated ? " (estimated)" : "");
	if (m->tokens_per_s >= 0)
		buf_printf(b, "%.1f tok/s · ", m->tokens_per_s);
	if (m->cost_usd >= 0)
		buf_printf(b, "$%.6f · ", m->cost_usd);
	if (b->len >= 4)
		buf_truncate(b, b->len - strlen(" · "));
}

static void old_panel(const struct run_metrics *m, char part[5][80])
{
	snprintf(part[0], 80, m->ttft_ms >= 0 ? "TTFT %.0f ms" : "TTFT -", m->ttft_ms);
	snprintf(part[1], 80, "%lld in / %lld out%s", (long long)m->input_tokens, (long long)m->output_tokens,
		 m->estimated ? " (est.)" : "");
	if (m->tokens_per_s >= 0)
		snprintf(part[2], 80, "%.1f tok/s", m->tokens_per_s);
	else
		snprintf(part[2], 80, "- tok/s");
	if (m->cost_usd >= 0)
		snprintf(part[3], 80, "$%.6f", m->cost_usd);
	else
		snprintf(part[3], 80, METRICS_COST_UNKNOWN);
	snprintf(part[4], 80, "%.1f s", m->total_ms / 1000.0);
}

static void test_layouts_match_the_old_formats(void **state)
{
	(void)state;
	static const double ms[] = { -1, 0, 0.49, 0.5, 1.5, 412.4, 999.5, 65000.25, 3.6e6 };
	static const double rate[] = { -1, 0, 0.05, 0.25, 38.46, 1234.95 };
	static const double usd[] = { -1, 0, 0.0000004, 0.0000005, 0.000123, 1.5, 12345.678901 };
	static const int64_t tok[] = { 0, 1, 4096, 2000000000000 };
	size_t checked = 0;
	for (size_t a = 0; a < sizeof ms / sizeof *ms; a++)
		for (size_t b = 1; b < sizeof ms / sizeof *ms; b++)
			for (size_t c = 0; c < sizeof rate / sizeof *rate; c++)
				for (size_t d = 0; d < sizeof usd / sizeof *usd; d++)
					for (size_t k = 0; k < sizeof tok / sizeof *tok; k++) {
						struct run_metrics m = { .ttft_ms = ms[a], .total_ms = ms[b],
									 .input_tokens = tok[k], .output_tokens = tok[k] / 3,
									 .estimated = (int)(k & 1), .tokens_per_s = rate[c],
									 .cost_usd = usd[d] };
						char want[256];
						old_ask(want, sizeof want, &m);
						char *got = line(&m, METRICS_LINE_TTFT | METRICS_LINE_RATE);
						assert_string_equal(got, want);
						free(got);
						struct buf w = BUF_INIT;
						old_known(&w, &m);
						got = known(&m);
						assert_string_equal(got, buf_str(&w));
						free(got);
						buf_free(&w);
						char p_old[5][80], p_new[METRICS_PANEL_PARTS][METRICS_PART_MAX];
						old_panel(&m, p_old);
						metrics_panel(&m, p_new);
						for (int i = 0; i < 5; i++)
							assert_string_equal(p_new[i], p_old[i]);
						checked++;
					}
	assert_true(checked > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_rounds_by_the_rules),
		cmocka_unit_test(test_text_unknown_is_empty),
		cmocka_unit_test(test_zero_time_and_free_model),
		cmocka_unit_test(test_huge_numbers_fit_or_are_cut),
		cmocka_unit_test(test_value_with_unit),
		cmocka_unit_test(test_line_of_ask_and_prompt),
		cmocka_unit_test(test_known_parts_only),
		cmocka_unit_test(test_panel_parts),
		cmocka_unit_test(test_json_layouts),
		cmocka_unit_test(test_from_history),
		cmocka_unit_test(test_layouts_match_the_old_formats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
