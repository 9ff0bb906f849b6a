/* view_drift — the drift view of the Jobs pane, for jobs of source drift
 * (drift/saved.h): a saved report or a drift monitor's latest check as a
 * table, one row per column (type, test, score, threshold, drifted?, missing
 * share), most drifted first, with a sort key; Enter on a column shows its
 * baseline and current distributions side by side (numeric: the shared
 * bins; categorical: the top values and the rest) and, for a monitor, above
 * them the column's score over the checks with its threshold (ui/chart.h).
 * A monitor's view reads its report and points again when the poller says
 * something changed (drift_view_refresh). */
#ifndef AIWB_VIEW_DRIFT_H
#define AIWB_VIEW_DRIFT_H

#include <curses.h>

#include "chart.h"
#include "jobs/job.h"
#include "pane.h"

struct drift_view;

/* Reads the job's report; NULL (with a status message) when there is none yet. */
struct drift_view *drift_view_open(struct wb *wb, const struct job *j, enum chart_cells cells);
void drift_view_free(struct drift_view *v);
/* The job may have written a new check: read it again at the next draw. */
void drift_view_refresh(struct drift_view *v);
void drift_view_draw(struct drift_view *v, WINDOW *w, int height, int width);
/* PANE_* flags; *closed set when the view is done (back to the job list). */
unsigned drift_view_key(struct drift_view *v, int key, int *closed);

/* A bar of frac (0..1) of width cells into out: full blocks and one partial
 * eighth block, or '#' with ascii. Returns out. */
char *drift_view_bar(char *out, size_t n, double frac, int width, int ascii);

#endif
