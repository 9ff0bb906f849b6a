/* pane — a rectangle of the workbench with its own drawing and keys
 * (STYLE.md 1, 2). A pane is a struct embedding struct pane first, with a
 * const ops table. Handlers return intent (PANE_* flags) and the app acts:
 * panes never refresh the screen, move focus or quit by themselves. What a
 * pane has to say (a status sentence) or a redraw it needs outside a key
 * handler (a stream chunk) goes through wb_status / wb_redraw, hooks the app
 * sets in wb->notify: no pane knows the app (ui/app.h). Keys come from the
 * pane's table in ui/keys.h (ops->keymap), so they can be rebound and `?`
 * lists them.
 * Panes read struct wb — plain data filled by app.c from the core — and
 * never see SQL, HTTP or cJSON. */
#ifndef AIWB_PANE_H
#define AIWB_PANE_H

#include <curses.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "keys.h"
#include "llm/catalog.h"
#include "llm/modelset.h"
#include "loop.h"
#include "store/db.h"

enum {
	PANE_HANDLED = 1 << 0,
	PANE_DIRTY = 1 << 1,
	PANE_RELAYOUT = 1 << 2,
	PANE_QUIT = 1 << 3,
};

/* Per-model parameters chosen in the Models pane. */
struct wb_params {
	char *spec;                   /* PROVIDER/MODEL */
	struct llm_params params;
};

/* How panes reach the app without knowing it: the app sets these before the
 * first pane is made. status shows a message in the status line (error = 1
 * for the error colour); redraw asks for a draw from outside a key handler
 * (a stream chunk, a model list arriving) — cheap, draws happen once per
 * loop pass. ask hands a question and its sources to the Prompt pane
 * (pane_prompt_ask), which then has the focus. */
struct wb_notify {
	void (*status)(void *ud, int error, const char *msg);
	void (*redraw)(void *ud);
	void *ud;
	void (*ask)(void *ud, const char *question, const char *context, const char *history);
};

/* The workbench's data, filled by app.c from the core and shared with the
 * panes. The Models pane owns the selection, the marks and the parameters;
 * the others only read them. */
struct wb {
	const struct config *cfg;
	const char *data_home;
	int64_t history_runs;         /* -1 when unknown */
	char *examples_dir;           /* $AIWB_HOME/examples, NULL when absent */
	int demo_docs, demo_datasets, demo_scripts;
	struct loop *loop;
	struct db *db;
	const struct catalog *catalog;
	struct modelset models;       /* providers and their models, filled as answers arrive */
	int models_started;
	char *selected;               /* PROVIDER/MODEL or NULL */
	char **marked;                /* models marked for comparison */
	size_t nmarked;
	struct wb_params *params;
	size_t nparams;
	struct wb_notify notify;
};

/* Through wb->notify; nothing when it is unset (unit tests). */
void wb_status(const struct wb *wb, int error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void wb_redraw(const struct wb *wb);
/* Through wb->notify.ask; -1 when it is unset. Strings are borrowed for the call. */
int wb_ask(const struct wb *wb, const char *question, const char *context, const char *history);

/* The parameters for a model (defaults when none were set); borrowed. */
const struct llm_params *wb_params_for(const struct wb *wb, const char *spec);
/* A model of the modelset by spec, or NULL. */
const struct ms_model *wb_find_model(const struct wb *wb, const char *spec);
/* Puts models (copied) in the Models pane's hands, as a re-opened run had
 * them: models[0] becomes the selection; with more than one, exactly these
 * are marked for comparison; with one, no model stays marked. n = 0 changes
 * nothing. */
void wb_set_models(struct wb *wb, char *const *models, size_t n);

struct pane;

struct pane_ops {
	/* Draws the inside of the pane into w (already cleared, border drawn). */
	void (*draw)(struct pane *p, WINDOW *w, int height, int width);
	/* Returns PANE_* flags; 0 when the key is not the pane's. */
	unsigned (*on_key)(struct pane *p, int key);
	void (*destroy)(struct pane *p);
	/* May be NULL. The pane got (1) or lost (0) the focus; also called once
	 * for every pane with its state when the workbench starts. */
	void (*on_focus)(struct pane *p, int focused);
	enum keymap keymap; /* its keys in ui/keys.h, shown first by `?`; KEYMAP_NONE: none */
};

struct pane {
	const struct pane_ops *ops;
	const char *title;
	struct wb *wb;
};

/* Fills the struct pane a pane embeds first. */
void pane_init(struct pane *p, const struct pane_ops *ops, const char *title, struct wb *wb);
/* For panes that are only a struct pane: allocate, ignore keys, free. */
struct pane *pane_new(const struct pane_ops *ops, const char *title, struct wb *wb);
unsigned pane_no_keys(struct pane *p, int key);
void pane_free(struct pane *p);

struct pane *pane_models_new(struct wb *wb);
/* Folds (hides the models of) or unfolds a provider in the Models pane; the
 * folded providers' names (borrowed). */
void pane_models_fold(struct pane *p, const char *provider, int fold);
char *const *pane_models_folded(const struct pane *p, size_t *n);
struct pane *pane_prompt_new(struct wb *wb);
struct pane *pane_kb_new(struct wb *wb);
struct pane *pane_jobs_new(struct wb *wb);

/* Loads a past run into the Prompt pane p (ui/pane_prompt.c): its template
 * and variables, or its free prompt, and its system prompt; s is borrowed for
 * the call. The caller has already set the selection and marks from
 * s->models (wb_set_models) and the status "restored run N", and moves focus
 * to the Prompt pane after the call; the pane may replace the status (e.g.
 * to say a template is gone) but sends nothing by itself. A conversation (id
 * any of its turns; for a compare, each model's) comes back whole, one column
 * per model, and the next text written is its follow-up (ui/talk.h). */
struct lab_setup;
void pane_prompt_restore(struct pane *p, const struct lab_setup *s, int64_t id);
/* Opens the built-in rag template in the Prompt pane p with question and
 * context (numbered sources, kb/context.h) as its variables and sends it as
 * the send key would: to the selected model, or every marked one; without a
 * model, the status line says how to pick one and nothing is sent. Strings
 * are borrowed for the call. */
void pane_prompt_ask(struct pane *p, const char *question, const char *context, const char *history);
/* Opens the Prompt pane's editor with pasted text in it (the free prompt, or
 * the template's current variable); nothing is sent until the user sends it. */
void pane_prompt_paste(struct pane *p, const char *text);
/* Opens template name in the form (NULL: the free prompt); -1 with the
 * reason on the status line when it cannot be opened. Its name, or NULL. */
int pane_prompt_use_template(struct pane *p, const char *name);
const char *pane_prompt_template(const struct pane *p);
/* How many answers of the Prompt pane p are still streaming. */
int pane_prompt_running(struct pane *p);
/* A click at (y, x) of the Prompt pane's inside: focuses the answer column there. */
void pane_prompt_click(struct pane *p, int y, int x);

#endif
