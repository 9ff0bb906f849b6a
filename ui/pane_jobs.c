/* Jobs pane: the empty house, pointing at the jobs commands. Jobs, metric
 * curves and drift reports arrive with the jobs pane. */
#include <stdio.h>

#include "draw.h"
#include "pane.h"

static void jobs_draw(struct pane *p, WINDOW *w, int height, int width)
{
	const struct wb *wb = p->wb;
	int y = draw_wrapped(w, 0, 0, width, height, "This pane comes next; aiwb jobs works now (docs/jobs.md).", theme_attr(ROLE_NOTICE));
	char line[512];
	if (wb->examples_dir && wb->demo_scripts > 0 && y + 1 < height) {
		snprintf(line, sizeof line, "Sample training script: %s/jobs", wb->examples_dir);
		y += 1 + draw_wrapped(w, y + 1, 0, width, height - y - 1, line, theme_attr(ROLE_DIM));
	}
	if (wb->examples_dir && wb->demo_datasets > 0 && y < height) {
		snprintf(line, sizeof line, "Drift datasets: %s/drift", wb->examples_dir);
		draw_wrapped(w, y, 0, width, height - y, line, theme_attr(ROLE_DIM));
	}
}

static const struct pane_ops jobs_ops = {
	.draw = jobs_draw,
	.on_key = pane_no_keys,
	.destroy = pane_free,
};

struct pane *pane_jobs_new(struct wb *wb)
{
	return pane_new(&jobs_ops, "Jobs", wb);
}
