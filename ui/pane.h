/* pane — a rectangle of the workbench with its own drawing and keys
 * (STYLE.md 1, 2). A pane is a struct embedding struct pane first, with a
 * const ops table. Handlers return intent (PANE_* flags) and the app acts:
 * panes never refresh the screen, move focus or quit by themselves.
 * Panes read struct wb — plain data filled by app.c from the core — and
 * never see SQL, HTTP or cJSON. */
#ifndef AIWB_PANE_H
#define AIWB_PANE_H

#include <curses.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "llm/creds.h"

enum {
	PANE_HANDLED = 1 << 0,
	PANE_DIRTY = 1 << 1,
	PANE_RELAYOUT = 1 << 2,
	PANE_QUIT = 1 << 3,
};

struct wb_provider {
	char name[64];
	char type[16];
	struct creds_status creds;
};

/* The workbench's plain data, shared read-only with the panes. */
struct wb {
	const struct config *cfg;
	const char *data_home;
	int64_t history_runs;         /* -1 when unknown */
	struct wb_provider *providers;
	size_t nproviders;
	char *examples_dir;           /* $AIWB_HOME/examples, NULL when absent */
	int demo_docs, demo_datasets, demo_scripts;
};

struct pane;

struct pane_ops {
	/* Draws the inside of the pane into w (already cleared, border drawn). */
	void (*draw)(struct pane *p, WINDOW *w, int height, int width);
	/* Returns PANE_* flags; 0 when the key is not the pane's. */
	unsigned (*on_key)(struct pane *p, int key);
	void (*destroy)(struct pane *p);
};

struct pane {
	const struct pane_ops *ops;
	const char *title;
	const struct wb *wb;
};

/* For panes that are only a struct pane: allocate, ignore keys, free. */
struct pane *pane_new(const struct pane_ops *ops, const char *title, const struct wb *wb);
unsigned pane_no_keys(struct pane *p, int key);
void pane_free(struct pane *p);

struct pane *pane_models_new(const struct wb *wb);
struct pane *pane_prompt_new(const struct wb *wb);
struct pane *pane_kb_new(const struct wb *wb);
struct pane *pane_jobs_new(const struct wb *wb);

#endif
