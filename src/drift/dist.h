/* dist — a column's baseline and current distributions side by side, for
 * the drift view: numeric values in DRIFT_DIST_BINS equal bins shared by
 * both sides (from the least to the greatest value of either), categories
 * as the DRIFT_DIST_TOP values with the largest combined share and the rest
 * summed under "(other)". Counts, not shares; each side may be weighted
 * (a Model Monitor sketch's items weigh 2^level). docs/drift.md has the JSON. */
#ifndef AIWB_DRIFT_DIST_H
#define AIWB_DRIFT_DIST_H

struct cJSON; /* the JSON side is for src/ only: the UI never sees cJSON */

#include <stddef.h>

#include "base/err.h"
#include "drift/data.h"

#define DRIFT_DIST_BINS 20
#define DRIFT_DIST_TOP 10
#define DRIFT_DIST_OTHER "(other)"

struct drift_dist {
	int numeric;       /* 1: bins [edges[k], edges[k+1]), the last closed; 0: labels */
	size_t n;          /* bins or labels; 0: no distribution */
	double *edges;     /* numeric: n + 1 */
	char **labels;     /* categorical: n */
	double *ref, *cur; /* n counts each */
};

/* a (weights wa, NULL: 1 each) and b, in any order; NaN and infinities are left out. */
void drift_dist_numeric(struct drift_dist *d, const double *a, const double *wa, size_t na, const double *b, size_t nb,
			int bins);
/* Category counts of each side (any order; a value may appear on one side only). */
void drift_dist_categories(struct drift_dist *d, const struct drift_category *a, size_t na,
			   const struct drift_category *b, size_t nb, size_t top);
/* From two columns of read data: numeric when both are numeric or datetime, categories otherwise. */
int drift_dist_columns(const struct drift_column *rc, const struct drift_column *cc, struct drift_dist *d,
		       struct err *e);
void drift_dist_free(struct drift_dist *d);

/* {"kind":"numeric","edges":[...],"baseline":[...],"current":[...]} or
 * {"kind":"categorical","values":[...],"baseline":[...],"current":[...]}. */
struct cJSON *drift_dist_json(const struct drift_dist *d);
/* 0, or -1 (d empty) when j is not that shape. */
int drift_dist_from_json(const struct cJSON *j, struct drift_dist *d);

#endif
