/* monitor — SageMaker Model Monitor's data-quality files (PROTOCOLS.md §8).
 *
 * monitor_write_baseline() writes DIR/statistics.json and DIR/constraints.json
 * for a data set as the prebuilt container does: per feature the inferred
 * type (Integral, Fractional, String), num_present/num_missing, numeric
 * summary with 10 KLL buckets and a KLL sketch, or categorical buckets;
 * completeness, is_non_negative, domains; monitoring_config with its
 * documented defaults.
 *
 * monitor_read_baseline() reads such a pair, written by aiwb or by SageMaker
 * (sketch levels weigh 2^level; without a sketch the buckets are used), and
 * monitor_check() compares a data set with it, returning
 * {"violations":[...]} with the check types and descriptions Model Monitor
 * uses (baseline_drift_check says "distance: X exceeds threshold: Y").
 * Files are written to a temporary name, 0600, then renamed; DIR is made 0700. */
#ifndef AIWB_DRIFT_MONITOR_H
#define AIWB_DRIFT_MONITOR_H

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "base/err.h"
#include "drift/data.h"
#include "drift/dist.h"

#define MONITOR_KLL_K 2048
#define MONITOR_BUCKETS 10
#define MONITOR_DOMAIN_MAX 100

struct monitor_baseline_opts {
	double comparison_threshold;   /* 0.1 */
	int robust;                    /* comparison_method Robust instead of Simple */
};

int monitor_write_baseline(struct drift_data *d, const char *dir, const struct monitor_baseline_opts *o, struct err *e);

struct monitor_baseline;
struct monitor_baseline *monitor_read_baseline(const char *dir, struct err *e);
/* The same from the two files' texts; where names their place in messages
 * ("s3://bucket/prefix"). */
struct monitor_baseline *monitor_parse_baseline(const char *where, const char *stats, size_t stats_len,
						const char *cons, size_t cons_len, struct err *e);
void monitor_baseline_free(struct monitor_baseline *b);

/* The read overrides for the data to check: the baseline's types (Integral
 * and Fractional features read as numeric, String as categorical, so values
 * of another type count as mismatches), then the given overrides on top (one
 * for a column the baseline types replaces it; others are added). *out
 * (caller frees the array; names stay borrowed from b and given) may be NULL
 * when the count returned is 0. */
size_t monitor_check_types(const struct monitor_baseline *b, const struct drift_type_override *given, size_t ngiven,
			   struct drift_type_override **out);

/* The violations document (caller deletes), or NULL with e. */
cJSON *monitor_check(const struct monitor_baseline *b, struct drift_data *d, struct err *e);

/* A feature's baseline_drift_check, as a drift monitor keeps it over time. */
struct monitor_score {
	char *name;
	int numeric;          /* an Integral or Fractional feature */
	int compared;         /* the distribution was compared (the data has the column and values) */
	const char *method;   /* "linf_simple", "linf_robust" or "chisquare" (static) */
	double score;         /* the L-infinity distance, or the chi-square p-value */
	double threshold;
	int drifted;          /* score > threshold (chisquare: p-value < threshold) */
	struct drift_dist dist; /* the baseline's (from its sketch or buckets) and the data's */
};
/* monitor_check, also giving each baseline feature's score in the
 * baseline's order (*scores: caller frees with monitor_scores_free). */
cJSON *monitor_check_scored(const struct monitor_baseline *b, struct drift_data *d, struct monitor_score **scores,
			    size_t *nscores, struct err *e);
void monitor_scores_free(struct monitor_score *s, size_t n);
size_t monitor_feature_count(const struct monitor_baseline *b);
const char *monitor_feature_name(const struct monitor_baseline *b, size_t i);
/* The violations of a constraint_violations.json document as a table
 * (FEATURE, CHECK, DESCRIPTION; text sanitised for a terminal), or "no
 * violations". */
void monitor_violations_text(const cJSON *doc, struct buf *out);

/* Writes DIR/NAME (pretty JSON, 0600, via rename), creating DIR 0700. */
int monitor_write_json(const char *dir, const char *name, const cJSON *doc, struct err *e);

#endif
