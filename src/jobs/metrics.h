/* metrics — metric points read out of what a training job writes (issue 12).
 *
 * Log lines, by two rules applied to every line:
 *   - regex rules with SageMaker MetricDefinitions semantics: NAME=REGEX, PCRE2
 *     (UTF, invalid UTF-8 tolerated, JIT when available); the first match in a
 *     line counts, its first capture group is the value, and a group named
 *     `step` (when it took part) is the step; when `step` is the first group,
 *     the value is the second. A value that is not a decimal
 *     number (nan and inf allowed, any case) gives no point.
 *   - JSON lines (a line that is one JSON object): {"metric":"loss","value":0.31,
 *     "step":120} (also "name" for "metric"), or {"loss":0.31,"step":120} where
 *     every other number is a metric. "step" or "global_step" is the step;
 *     "time", "timestamp" and "wall_time" (seconds) are the point's time and
 *     never metrics. Strings, booleans, arrays and nested objects are ignored.
 * Lines end at LF or CR (progress bars redraw with CR); metric_scan_text()
 * takes whole lines only, and says how many bytes it consumed.
 * CSV loggers: metric_csv() reads a metrics.csv with a header row (as PyTorch
 * Lightning's CSVLogger writes): "step" is the step, every other column with a
 * number in a row is a point; empty cells are no point.
 *
 * Points are delivered through a callback; names are borrowed for the call. */
#ifndef AIWB_JOBS_METRICS_H
#define AIWB_JOBS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define METRIC_NAME_MAX 128
#define METRIC_LINE_MAX ((size_t)1 << 20)

struct metric_point {
	const char *name;
	double value;
	int has_step;
	int64_t step;
	double time_s; /* 0 when the source gave none */
};

typedef void (*metric_fn)(void *ud, const struct metric_point *p);

struct metric_rules;

struct metric_rules *metric_rules_new(void);
void metric_rules_free(struct metric_rules *r);
/* spec is NAME=REGEX; the name is letters, digits and _ . / - : (at most
 * METRIC_NAME_MAX bytes). -1 with e naming the problem (bad name, bad regex
 * with the offset PCRE2 gives, no capture group). */
int metric_rules_add(struct metric_rules *r, const char *spec, struct err *e);
size_t metric_rules_count(const struct metric_rules *r);
const char *metric_rules_spec(const struct metric_rules *r, size_t i); /* "NAME=REGEX", borrowed */

/* One line (no line end). r may be NULL (JSON only). Returns the number of points. */
int metric_scan_line(const struct metric_rules *r, const char *line, size_t n, metric_fn fn, void *ud);
/* The complete lines of text[0..n); returns the bytes consumed (up to and
 * including the last line end). With final, a last unterminated line counts
 * too. A line over METRIC_LINE_MAX is scanned in its first METRIC_LINE_MAX bytes. */
size_t metric_scan_text(const struct metric_rules *r, const char *text, size_t n, int final, metric_fn fn, void *ud);

/* A whole metrics.csv. -1 with e when it is not CSV or has no header. */
int metric_csv(const char *text, size_t n, metric_fn fn, void *ud, struct err *e);

/* Decimal number with optional sign and exponent, or nan/inf/infinity (any case); 1 when s[0..n) is one. */
int metric_parse_number(const char *s, size_t n, double *out);
int metric_name_valid(const char *s, size_t n);

#endif
