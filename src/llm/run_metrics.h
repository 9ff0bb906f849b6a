/* run_metrics — what one call to a model measured, as text and as JSON.
 *
 * struct run_metrics is the one metrics type: run.c measures a run into it,
 * lab.c sums a template's calls into it, and a history row's metrics convert
 * to it. Every number is negative when unknown (a run always knows its total
 * time and token counts; a stored row may not).
 *
 * The number rules live here and nowhere else: milliseconds whole ("412"),
 * seconds and tokens per second to one decimal ("1.0", "38.5"), dollars to six
 * decimals ("0.000123"), token counts whole. The layouts the CLI and the
 * workbench show are built from those rules below, and one JSON writer gives
 * the metrics of `aiwb ask --json`, the history rows and experiment cases. */
#ifndef AIWB_LLM_RUN_METRICS_H
#define AIWB_LLM_RUN_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct cJSON;
struct history_metrics;

struct run_metrics {
	double ttft_ms;        /* -1 when no text arrived */
	double total_ms;
	int64_t input_tokens, output_tokens;
	int estimated;         /* 1 when a count is estimated (about 4 characters a token) */
	double tokens_per_s;   /* output tokens over the time from first token to end; -1 unknown */
	double cost_usd;       /* -1 when the model has no price */
	int complete;          /* the model finished; 0 when cut, failed or cancelled */
};

/* The metrics of a stored run (counts -1 when unknown; complete when its
 * status is "ok"). */
void metrics_from_history(const struct history_metrics *h, struct run_metrics *m);

#define METRICS_NUM 32

/* Each number bare, by the rules above; "" when unknown. Token counts are
 * printed as they are (callers decide whether a row knows them). */
struct metrics_text {
	char ttft_ms[METRICS_NUM];
	char total_ms[METRICS_NUM];
	char total_s[METRICS_NUM];
	char input_tokens[METRICS_NUM];
	char output_tokens[METRICS_NUM];
	char tokens_per_s[METRICS_NUM];
	char cost_usd[METRICS_NUM];
};
void metrics_text(const struct run_metrics *m, struct metrics_text *t);

/* One value with its unit, or unknown when it is negative: "412 ms",
 * "$0.000123". Return out. */
const char *metrics_ms(char *out, size_t size, double ms, const char *unknown);
const char *metrics_usd(char *out, size_t size, double usd, const char *unknown);
/* The one spelling of a cost aiwb cannot know (the model has no price), in
 * every line, table and pane. */
#define METRICS_COST_UNKNOWN "price unknown"

/* The one-line summary after a call (stderr of ask, prompt run):
 * "412 ms to first token, 980 ms total, 12 in / 40 out tokens (estimated),
 * 38.5 tokens/s, $0.000123". METRICS_LINE_TTFT adds the first part ("no
 * text" when none came), METRICS_LINE_RATE the rate (when known); the cost
 * reads "price unknown" without a price. Appended to b. */
enum { METRICS_LINE_TTFT = 1, METRICS_LINE_RATE = 2 };
void metrics_line(struct buf *b, const struct run_metrics *m, unsigned parts);

/* The known metrics joined by " · ", unknown ones left out (a stored run's
 * detail): "TTFT 412 ms · total 980 ms · 12 in / 40 out tokens · 38.5 tok/s ·
 * $0.000123". Appended to b; nothing when none is known. */
void metrics_known(struct buf *b, const struct run_metrics *m);

/* The parts of a result column, each always present: "TTFT 412 ms" (or
 * "TTFT -"), "12 in / 40 out" (+ " (est.)"), "38.5 tok/s" (or "- tok/s"),
 * "$0.000123" (or "cost ?"), "1.0 s". */
#define METRICS_PANEL_PARTS 5
#define METRICS_PART_MAX 80
void metrics_panel(const struct run_metrics *m, char part[METRICS_PANEL_PARTS][METRICS_PART_MAX]);

/* The one JSON writer: adds the metrics to o, each unknown number as null.
 * NESTED (ask --json, history): "usage":{"input_tokens","output_tokens",
 * "estimated"},"ttft_ms","total_ms","tokens_per_s","cost_usd". FLAT (an
 * experiment case, exp/report.h): "total_ms","ttft_ms","input_tokens",
 * "output_tokens","estimated","cost_usd". */
enum metrics_json_layout { METRICS_JSON_NESTED, METRICS_JSON_FLAT };
void metrics_json_add(struct cJSON *o, const struct run_metrics *m, enum metrics_json_layout layout);

#endif
