/* app — the workbench: screen manager, layout, key dispatch and the draw pass
 * (DESIGN.md §6). It loads config, data home, database and theme, refuses
 * with one sentence when any of them is unusable (before touching the
 * terminal), then runs the event loop until quit or a signal. */
#ifndef AIWB_APP_H
#define AIWB_APP_H

struct app_options {
	const char *theme; /* --theme, or NULL for config/default */
	int frames;        /* > 0: draw this many frames, then exit */
};

/* Returns the exit status. When a signal (SIGINT/SIGTERM/SIGHUP) ended the
 * workbench, *signo is set after the terminal was restored, and the caller
 * re-raises it. */
int app_main(const struct app_options *o, int *signo);

#endif
