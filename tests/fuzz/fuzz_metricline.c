/* Metric extraction invariants: scanning a log whole gives the same points as
 * scanning it in two pieces cut anywhere (the first piece without its
 * unterminated tail, as aiwb reads a growing log); every point has a valid
 * name; a CSV reading either fails with a message or gives valid names. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "jobs/metrics.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct metric_rules *rules;

static void on_point(void *ud, const struct metric_point *p)
{
	struct buf *b = ud;
	require(metric_name_valid(p->name, strlen(p->name)));
	buf_printf(b, "%s=%a@%d:%lld;", p->name, p->value, p->has_step, (long long)p->step);
}

static void on_csv_point(void *ud, const struct metric_point *p)
{
	(void)ud;
	require(metric_name_valid(p->name, strlen(p->name)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!rules) {
		rules = metric_rules_new();
		require(metric_rules_add(rules, "loss=loss[=:] *([^ ,;]+)", NULL) == 0);
		require(metric_rules_add(rules, "acc=(?:step|epoch)[= ](?<step>-?[0-9]+).*acc=([0-9.eE+-]+)", NULL) == 0);
		require(metric_rules_add(rules, "any=\\b([+-]?[0-9]*\\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\\b", NULL) == 0);
	}
	const char *text = (const char *)data;
	struct buf whole = BUF_INIT, parts = BUF_INIT;
	size_t used = metric_scan_text(rules, text, size, 1, on_point, &whole);
	require(used == size);
	size_t cut = size ? fuzz_hash(data, size) % (size + 1) : 0;
	size_t first = metric_scan_text(rules, text, cut, 0, on_point, &parts);
	require(first <= cut);
	size_t rest = metric_scan_text(rules, text + first, size - first, 1, on_point, &parts);
	require(first + rest == size);
	require(whole.len == parts.len && (whole.len == 0 || memcmp(whole.data, parts.data, whole.len) == 0));
	buf_free(&whole);
	buf_free(&parts);

	struct err e = ERR_INIT;
	int r = metric_csv(text, size, on_csv_point, NULL, &e);
	require(r == 0 || (r == -1 && e.set));
	double d;
	metric_parse_number(text, size < 80 ? size : 80, &d);
	return 0;
}
