/* report — a drift report: every column of a baseline against a current
 * data set, one test each, and the verdicts.
 *
 * drift_report_run() picks each column's test the way Evidently does (or as
 * opts.tests says), runs it through drift/stats, and also computes Model
 * Monitor's L-infinity distances and KS for the --compare view. Columns are
 * loaded one at a time, so memory holds one column of each side at once.
 * With a target and a prediction, model quality is computed on both sides.
 * docs/drift.md documents the rules, the formulas and drift_report_json(). */
#ifndef AIWB_DRIFT_REPORT_H
#define AIWB_DRIFT_REPORT_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "base/err.h"
#include "drift/data.h"
#include "drift/stats.h"

#define DRIFT_TESTS(X) \
	X(DRIFT_TEST_NONE, "none", 0, 0) \
	X(DRIFT_TEST_KS, "ks", 1, 0.05) \
	X(DRIFT_TEST_CHISQUARE, "chisquare", 1, 0.05) \
	X(DRIFT_TEST_Z, "z", 1, 0.05) \
	X(DRIFT_TEST_PSI, "psi", 0, 0.1) \
	X(DRIFT_TEST_JS, "jensenshannon", 0, 0.1) \
	X(DRIFT_TEST_WASSERSTEIN, "wasserstein", 0, 0.1) \
	X(DRIFT_TEST_LINF, "linf", 0, 0.1)

#define DRIFT_TEST_ENUM(e, name, p, t) e,
enum drift_test { DRIFT_TESTS(DRIFT_TEST_ENUM) DRIFT_TEST_COUNT };
#undef DRIFT_TEST_ENUM

const char *drift_test_name(enum drift_test t);
int drift_test_parse(const char *name);     /* -1 when unknown */
int drift_test_has_pvalue(enum drift_test t);
double drift_test_default_threshold(enum drift_test t);

enum drift_role { DRIFT_ROLE_FEATURE, DRIFT_ROLE_TARGET, DRIFT_ROLE_PREDICTION };

struct drift_col_opt {
	const char *column;
	enum drift_test test;      /* DRIFT_TEST_NONE: the default */
	double threshold;          /* NaN: the test's default */
};

struct drift_col_result;
struct drift_report;

struct drift_report_opts {
	const char *const *columns;  /* NULL: every column of the baseline */
	size_t ncolumns;
	const struct drift_col_opt *per_column;
	size_t nper_column;
	const char *target, *prediction;
	enum ks_method ks_method;
	double js_base;              /* <= 0: natural log */
	double drift_share;          /* dataset drift when the drifted share >= this; 0 means 0.5 */
	int compare;
	void (*progress)(void *ud, size_t done, size_t total, const char *column);
	/* After each column: the results so far, in the order run (sort a copy
	 * with drift_col_cmp for a table that fills as columns finish). */
	void (*column_done)(void *ud, const struct drift_col_result *cols, size_t n, size_t total);
	/* drift_report_run only: called with the finished report and both data
	 * sets before they are freed (e.g. to keep the distributions); non-zero
	 * with e fails the run. */
	int (*with_data)(void *ud, struct drift_report *r, struct drift_data *ref, struct drift_data *cur,
			 struct err *e);
	void *progress_ud;
};

struct drift_col_result {
	char *name;
	enum drift_role role;
	enum drift_type type, cur_type;
	uint64_t ref_rows, cur_rows, ref_missing, cur_missing, ref_unparseable, cur_unparseable;
	uint64_t ref_n, cur_n, distinct;
	enum drift_test test;
	int test_forced;
	double statistic, pvalue, threshold; /* pvalue NaN for distances */
	double raw;                /* wasserstein: the distance before normalising */
	int drifted;
	double severity;           /* >= 1 when drifted; for sorting */
	char *note;                /* why the column has no test, or NULL */
	/* --compare */
	double linf, linf_robust, ks_statistic, ks_pvalue;
	int has_compare;
};

struct drift_quality_side {
	int ok;
	uint64_t n;
	double accuracy, precision, recall, f1, roc_auc;     /* classification (NaN when not applicable) */
	double mae, rmse, r2;                                 /* regression */
};

struct drift_report {
	char *baseline, *current;
	uint64_t ref_rows, cur_rows, ref_bad, cur_bad;
	long ref_bad_lines[DRIFT_BAD_LINES], cur_bad_lines[DRIFT_BAD_LINES];
	size_t ref_nbad_lines, cur_nbad_lines;
	struct drift_col_result *cols;   /* sorted: most drifted first */
	size_t ncols;
	char **missing_columns;          /* in the baseline, not in current */
	size_t nmissing_columns;
	char **extra_columns;            /* in current only */
	size_t nextra_columns;
	size_t tested, drifted;
	double share, drift_share;
	int dataset_drift, any_drift;
	int compare;
	const char *task;                /* "classification", "regression" or NULL */
	char *positive_label;
	struct drift_quality_side quality[2]; /* baseline, current */
};

/* NULL with e on a read error or a test that cannot apply to a column. */
struct drift_report *drift_report_run(const char *baseline, const char *current, const struct drift_report_opts *opts,
				      const struct drift_read_opts *ropts, struct err *e);
/* The same on data already read (kept; nothing is freed). */
struct drift_report *drift_report_on(struct drift_data *ref, struct drift_data *cur, const struct drift_report_opts *opts,
				     struct err *e);
void drift_report_free(struct drift_report *r);
/* The report's order for columns (qsort): drifted first, then by severity, then by name. */
int drift_col_cmp(const void *a, const void *b);

cJSON *drift_report_json(const struct drift_report *r);
void drift_report_print(FILE *out, const struct drift_report *r);

#endif
