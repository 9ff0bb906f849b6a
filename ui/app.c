#include "app.h"

#include <curses.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/path.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "draw.h"
#include "input.h"
#include "keys.h"
#include "mouse.h"
#include "loop.h"
#include "pane.h"
#include "prompt/lab.h"
#include "prompt/labsetup.h"
#include "session.h"
#include "store/db.h"
#include "llm/modelset.h"
#include "term.h"
#include "theme.h"
#include "view_help.h"
#include "view_history.h"
#include "view_messages.h"
#include "wbstate.h"
#include "workspace.h"
#include "drift/saved.h"

#define NPANES 4
#define SHORT_ROWS 22 /* rows for panes below which the focused pane's row gets them */
#define MIN_COLS 60
#define MIN_ROWS 15
#define FRAME_US 16000 /* at most ~60 draws a second */

static const struct help_command commands[] = {
	{ "quit", NULL, "Quit aiwb (also :q)" },
	{ "help", NULL, "Show the help screen" },
	{ "history", "[WORDS]", "Search the run history for WORDS" },
	{ "zoom", NULL, "Zoom the focused pane, and back" },
	{ "focus", "PANE", "Focus models, prompt, knowledge or jobs" },
	{ "models", NULL, "Focus the Models pane" },
	{ "prompt", NULL, "Focus the Prompt pane" },
	{ "knowledge", NULL, "Focus the Knowledge pane" },
	{ "jobs", NULL, "Focus the Jobs pane" },
	{ "theme", "NAME", "Switch the colour theme" },
	{ "template", "[NAME]", "Open template NAME in the Prompt pane (none: the free prompt)" },
	{ "model", "PROVIDER/MODEL", "Select the model the Prompt pane sends to" },
	{ "messages", NULL, "Show every status message and warning in full" },
	{ "redraw", NULL, "Redraw the whole screen" },
	{ NULL, NULL, NULL },
};

static const char *const completions[] = { "quit", "help", "history", "zoom", "focus", "models", "prompt", "knowledge",
					   "jobs", "theme", "template", "model", "messages", "redraw", NULL };
static const char *const pane_names[NPANES + 1] = { "models", "prompt", "knowledge", "jobs", NULL };

struct app {
	struct session s;
	struct loop *loop; /* s.loop */
	struct db *db;     /* s.db */
	struct wb wb;
	struct theme theme;
	struct pane *panes[NPANES];
	WINDOW *frames[NPANES], *inner[NPANES];
	int focus, zoomed, help, help_scroll, help_page;
	struct history_view *history;
	int history_open;
	int dirty, relayout, too_small;
	int frames_left;
	int signo;
	int64_t last_draw_us;
	int64_t throttle_timer;
	char status[512];
	int status_error;
	struct messages messages; /* every status, in full */
	char **args;       /* what `:` completes a command's argument from */
	size_t nargs;
	struct wbstate saved;  /* the last session's choices, until the panes have them */
	char *saved_error;     /* why they could not be read */
	int messages_open, messages_scroll, messages_page;
	int quit_asked;    /* quit was asked while answers stream: the next key says */
	int short_layout;  /* fewer than SHORT_ROWS rows: the focused row takes them */
	int pasting;       /* between the paste markers */
	struct buf paste;  /* what was pasted so far */
	int paste_cut;     /* more than PASTE_MAX arrived */
};

#define PASTE_MAX (1024 * 1024)

static void set_status(struct app *a, int error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_status(struct app *a, int error, const char *fmt, ...)
{
	va_list ap, again;
	va_start(ap, fmt);
	va_copy(again, ap);
	int n = vsnprintf(a->status, sizeof a->status, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof a->status) {
		char *full = xmalloc((size_t)n + 1);
		vsnprintf(full, (size_t)n + 1, fmt, again);
		messages_add(&a->messages, error, full);
		free(full);
	} else if (n > 0) {
		size_t last = a->messages.count;
		const struct message *prev = last ? messages_get(&a->messages, last - 1) : NULL;
		if (!prev || prev->error != error || strcmp(prev->text, a->status) != 0)
			messages_add(&a->messages, error, a->status);
	}
	va_end(again);
	a->status_error = error;
	a->dirty = 1;
}

/* The wb_notify hooks the panes report through. */
static void notify_status(void *ud, int error, const char *msg)
{
	set_status(ud, error, "%s", msg);
}

static void notify_redraw(void *ud)
{
	struct app *a = ud;
	a->dirty = 1;
}

/* Quits, or while answers stream asks first: y (or the quit key again)
 * quits, any other key keeps them streaming. */
static void quit_or_ask(struct app *a)
{
	int n = pane_prompt_running(a->panes[1]);
	if (!n) {
		loop_stop(a->loop);
		return;
	}
	a->quit_asked = 1;
	set_status(a, 1, "%d answer%s still streaming: quit and stop %s? y/n", n, n == 1 ? " is" : "s are",
		   n == 1 ? "it" : "them");
}

static void focus_pane(struct app *a, int i);

/* A question with sources from the Knowledge pane goes to the Prompt pane. */
static void notify_ask(void *ud, const char *question, const char *context, const char *history)
{
	struct app *a = ud;
	pane_prompt_ask(a->panes[1], question, context, history);
	focus_pane(a, 1);
}

static void free_windows(struct app *a)
{
	for (int i = 0; i < NPANES; i++) {
		if (a->inner[i])
			delwin(a->inner[i]);
		if (a->frames[i])
			delwin(a->frames[i]);
		a->inner[i] = a->frames[i] = NULL;
	}
}

static void place(struct app *a, int i, int y, int x, int h, int w)
{
	a->frames[i] = newwin(h, w, y, x);
	if (a->frames[i] && h > 2 && w > 4)
		a->inner[i] = derwin(a->frames[i], h - 2, w - 4, 1, 2);
}

/* The one layout function (STYLE.md 9): a 2x2 grid above a status line, or the
 * zoomed pane alone, or nothing when the terminal is too small. */
static void layout(struct app *a)
{
	free_windows(a);
	a->relayout = 0;
	a->dirty = 1;
	a->too_small = COLS < MIN_COLS || LINES < MIN_ROWS;
	if (a->history_open)
		history_view_layout(a->history, LINES, COLS);
	if (a->too_small)
		return;
	int rows = LINES - 1;
	if (a->zoomed) {
		place(a, a->focus, 0, 0, rows, COLS);
		return;
	}
	int left = COLS * 2 / 5, top = rows / 2;
	/* a short terminal gives the focused pane's row the room: the other row
	 * keeps only its title line */
	a->short_layout = rows < SHORT_ROWS;
	if (a->short_layout)
		top = a->focus < 2 ? rows - 1 : 1;
	place(a, 0, 0, 0, top, left);
	place(a, 1, 0, left, top, COLS - left);
	place(a, 2, top, 0, rows - top, left);
	place(a, 3, top, left, rows - top, COLS - left);
}

static void draw_too_small(void)
{
	char msg[128];
	snprintf(msg, sizeof msg, "Terminal too small (%dx%d). aiwb needs at least %dx%d.", COLS, LINES, MIN_COLS,
		 MIN_ROWS);
	int width = COLS > 2 ? COLS - 2 : COLS;
	int y = LINES > 3 ? LINES / 2 - 1 : 0;
	draw_wrapped(stdscr, y, COLS > 2 ? 1 : 0, width, LINES - y, msg, theme_attr(ROLE_NOTICE));
}

static void draw_status(struct app *a)
{
	int y = LINES - 1;
	draw_fill(stdscr, y, 0, theme_attr(ROLE_STATUS));
	if (input_active()) {
		const char *prompt = input_prompt(), *line = input_line();
		size_t cursor = (size_t)input_cursor(), start = 0;
		attr_t at = theme_attr(ROLE_CMDLINE);
		draw_fill(stdscr, y, 0, at);
		int x = draw_text(stdscr, y, 0, COLS, prompt, at);
		/* Scroll the line so the cursor stays on screen. */
		while (start < cursor && x + sanitize_width(line + start, cursor - start) > COLS - 1) {
			start++;
			while (start < cursor && ((unsigned char)line[start] & 0xc0) == 0x80)
				start++;
		}
		int before = x + sanitize_width(line + start, cursor - start);
		draw_text(stdscr, y, x, COLS - x - 1, line + start, at);
		const char *msg = input_message();
		if (*msg && y > 0) {
			draw_fill(stdscr, y - 1, 0, theme_attr(ROLE_STATUS));
			draw_text(stdscr, y - 1, 1, COLS - 2, msg, theme_attr(ROLE_STATUS));
		}
		curs_set(1);
		move(y, before < COLS ? before : COLS - 1);
		return;
	}
	curs_set(0);
	char hints[256];
	snprintf(hints, sizeof hints, " %s ", a->history_open ? "History" : a->panes[a->focus]->title);
	int x = draw_text(stdscr, y, 0, COLS, hints, theme_attr(ROLE_STATUS_KEY));
	const enum key_action shown[] = { ACTION_FOCUS_NEXT, ACTION_ZOOM, ACTION_HELP, ACTION_COMMAND, ACTION_QUIT };
	const char *labels[] = { "next pane", a->zoomed ? "unzoom" : "zoom", "help", "command", "quit" };
	for (size_t i = 0; !a->history_open && i < sizeof shown / sizeof *shown && x < COLS; i++) {
		x += draw_text(stdscr, y, x, COLS - x, " ", theme_attr(ROLE_STATUS));
		x += draw_text(stdscr, y, x, COLS - x, keys_name(keys_key_for(shown[i])), theme_attr(ROLE_STATUS_KEY));
		x += draw_text(stdscr, y, x, COLS - x, " ", theme_attr(ROLE_STATUS));
		x += draw_text(stdscr, y, x, COLS - x, labels[i], theme_attr(ROLE_STATUS));
	}
	if (a->status[0] && x + 4 < COLS) {
		int need = sanitize_width(a->status, strlen(a->status));
		int at = need < COLS - x - 3 ? COLS - need - 1 : x + 2;
		draw_text(stdscr, y, at, COLS - at - 1, a->status,
			  theme_attr(a->status_error ? ROLE_STATUS_ERROR : ROLE_STATUS));
	}
}

static int64_t throttle_tick(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct app *a = ud;
	a->throttle_timer = 0;
	return LOOP_TIMER_DONE;
}

static void draw(struct loop *l, void *ud)
{
	(void)l;
	struct app *a = ud;
	if (a->frames_left > 0)
		a->dirty = 1;
	if (a->relayout)
		layout(a);
	if (!a->dirty)
		return;
	int64_t now = clock_us();
	if (a->frames_left == 0 && now - a->last_draw_us < FRAME_US) {
		if (!a->throttle_timer)
			a->throttle_timer = loop_add_timer(a->loop, (FRAME_US - (now - a->last_draw_us)) / 1000 + 1,
							   throttle_tick, a);
		return;
	}
	a->last_draw_us = now;
	a->dirty = 0;
	wattrset(stdscr, theme_attr(ROLE_NORMAL));
	werase(stdscr);
	if (a->too_small) {
		draw_too_small();
		wnoutrefresh(stdscr);
	} else {
		draw_status(a);
		int cy, cx;
		getyx(stdscr, cy, cx);
		wnoutrefresh(stdscr);
		for (int i = 0; i < NPANES && !a->history_open; i++) {
			if (!a->frames[i])
				continue;
			char title[64];
			snprintf(title, sizeof title, "%d %s%s", i + 1, a->panes[i]->title, a->zoomed ? " (zoomed)" : "");
			werase(a->frames[i]);
			if (getmaxy(a->frames[i]) < 2)
				draw_title_line(a->frames[i], title, i == a->focus);
			else
				draw_frame(a->frames[i], title, i == a->focus);
			if (a->inner[i]) {
				int h, w;
				getmaxyx(a->inner[i], h, w);
				a->panes[i]->ops->draw(a->panes[i], a->inner[i], h, w);
			}
			wnoutrefresh(a->frames[i]);
		}
		if (a->history_open)
			history_view_draw(a->history);
		if (a->messages_open)
			a->messages_page = messages_draw(&a->messages, &a->messages_scroll);
		if (a->help)
			a->help_page = help_draw(a->history_open ? history_view_keymap(a->history) : a->panes[a->focus]->ops->keymap,
						 commands, &a->help_scroll);
		if (input_active()) {
			wmove(stdscr, cy, cx);
			wnoutrefresh(stdscr);
		}
	}
	doupdate();
	if (a->frames_left > 0 && --a->frames_left == 0)
		loop_stop(a->loop);
}

static void tell_focus(struct app *a, int i, int focused)
{
	if (a->panes[i]->ops->on_focus)
		a->panes[i]->ops->on_focus(a->panes[i], focused);
}

static void focus_pane(struct app *a, int i)
{
	if (i == a->focus)
		return;
	tell_focus(a, a->focus, 0);
	a->focus = i;
	tell_focus(a, i, 1);
	if (a->zoomed || a->short_layout)
		a->relayout = 1;
	a->dirty = 1;
}

static void toggle_zoom(struct app *a)
{
	a->zoomed = !a->zoomed;
	a->relayout = 1;
}

static int pane_by_name(const char *name)
{
	for (int i = 0; i < NPANES; i++)
		if (name && (strcmp(name, pane_names[i]) == 0 ||
			     (strlen(name) >= 2 && strncmp(name, pane_names[i], strlen(name)) == 0)))
			return i;
	return -1;
}

static void free_args(struct app *a)
{
	for (size_t i = 0; i < a->nargs; i++)
		free(a->args[i]);
	free(a->args);
	a->args = NULL;
	a->nargs = 0;
}

static void add_arg(struct app *a, const char *word)
{
	a->args = xreallocarray(a->args, a->nargs + 2, sizeof *a->args);
	a->args[a->nargs++] = xstrdup(word);
	a->args[a->nargs] = NULL;
}

/* `:` completes the first argument of theme, focus, template and model. */
static const char *const *command_args(void *ud, const char *command)
{
	struct app *a = ud;
	free_args(a);
	if (strcmp(command, "focus") == 0)
		return pane_names;
	if (strcmp(command, "theme") == 0) {
		size_t n;
		char **names = theme_names(&n);
		for (size_t i = 0; i < n; i++)
			add_arg(a, names[i]);
		theme_names_free(names, n);
	} else if (strcmp(command, "template") == 0) {
		struct lab_template_info *t;
		size_t n;
		if (lab_templates(&t, &n, NULL) == 0) {
			for (size_t i = 0; i < n; i++)
				if (!t[i].error)
					add_arg(a, t[i].name);
			lab_templates_free(t, n);
		}
	} else if (strcmp(command, "model") == 0) {
		for (size_t i = 0; i < a->wb.models.n; i++)
			for (size_t j = 0; j < a->wb.models.providers[i].nmodels; j++)
				add_arg(a, a->wb.models.providers[i].models[j].spec);
	}
	return (const char *const *)a->args;
}

static void select_model(struct app *a, const char *spec)
{
	if (!spec || !strchr(spec, '/')) {
		set_status(a, 1, "model needs PROVIDER/MODEL (Tab completes the models listed)");
		return;
	}
	free(a->wb.selected);
	a->wb.selected = xstrdup(spec);
	set_status(a, 0, "selected %s for the Prompt pane", spec);
}

static void switch_theme(struct app *a, const char *name)
{
	struct theme t;
	struct err e = ERR_INIT;
	if (!name || !*name) {
		set_status(a, 1, "theme needs a name, e.g. :theme light");
		return;
	}
	if (theme_load(&t, name, &e) != 0) {
		set_status(a, 1, "%s", e.msg);
		return;
	}
	theme_free(&a->theme);
	a->theme = t;
	theme_apply(&a->theme);
	clearok(curscr, TRUE);
	set_status(a, 0, "theme %s", name);
}

static void open_history(struct app *a, const char *query)
{
	history_view_open(a->history, query, LINES, COLS);
	a->history_open = 1;
	a->dirty = 1;
}

/* The run goes back into the workbench: its models into the Models pane's
 * selection and marks, the rest into the Prompt pane, which gets the focus. */
static void restore_run(struct app *a, int64_t id)
{
	struct lab_setup s;
	struct err e = ERR_INIT;
	int rc = lab_setup_from_history(a->db, id, &s, &e);
	if (rc <= 0) {
		if (rc == 0)
			set_status(a, 1, "run %lld is no longer in the history", (long long)id);
		else
			set_status(a, 1, "cannot re-open run %lld: %s", (long long)id, e.msg);
		return;
	}
	wb_set_models(&a->wb, s.models, s.nmodels);
	if (s.nmodels > 1)
		set_status(a, 0, "restored run %lld: %zu models marked for comparison", (long long)id, s.nmodels);
	else
		set_status(a, 0, "restored run %lld: %s", (long long)id, s.models[0]);
	pane_prompt_restore(a->panes[1], &s, id);
	focus_pane(a, 1);
	lab_setup_free(&s);
}

static void history_key(struct app *a, int ch)
{
	int printable = ch >= 32 && ch < 256 && ch != 127;
	if (keys_action(ch) == ACTION_HELP && (!printable || history_view_keymap(a->history) == KEYMAP_RUN)) {
		a->help = 1; /* a letter in the list is the search's */
		a->help_scroll = 0;
		a->dirty = 1;
		return;
	}
	unsigned r = history_view_key(a->history, ch);
	if (r & HISTORY_VIEW_CLOSE)
		a->history_open = 0;
	if (r & HISTORY_VIEW_RESTORE)
		restore_run(a, history_view_chosen(a->history));
	a->dirty = 1;
}

static void run_command(const char *line, void *ud)
{
	struct app *a = ud;
	a->dirty = 1;
	if (!line)
		return;
	char *copy = xstrdup(line);
	char *save = NULL;
	char *cmd = strtok_r(copy, " \t", &save);
	char *arg = strtok_r(NULL, " \t", &save);
	int pane;
	if (!cmd) {
		/* empty line: nothing to do */
	} else if (strcmp(cmd, "q") == 0 || strcmp(cmd, "quit") == 0) {
		quit_or_ask(a);
	} else if (strcmp(cmd, "help") == 0) {
		a->help = 1;
		a->help_scroll = 0;
	} else if (strcmp(cmd, "history") == 0) {
		const char *words = line + strspn(line, " \t");
		words += strcspn(words, " \t");
		open_history(a, words + strspn(words, " \t"));
	} else if (strcmp(cmd, "messages") == 0) {
		a->messages_open = 1;
		a->messages_scroll = INT_MAX; /* the newest at the bottom */
	} else if (strcmp(cmd, "zoom") == 0) {
		toggle_zoom(a);
	} else if (strcmp(cmd, "redraw") == 0) {
		clearok(curscr, TRUE);
	} else if (strcmp(cmd, "theme") == 0) {
		switch_theme(a, arg);
	} else if (strcmp(cmd, "template") == 0) {
		if (pane_prompt_use_template(a->panes[1], arg) == 0) {
			if (arg)
				set_status(a, 0, "template %s in the Prompt pane", arg);
			else
				set_status(a, 0, "the free prompt in the Prompt pane");
			focus_pane(a, 1);
		}
	} else if (strcmp(cmd, "model") == 0) {
		select_model(a, arg);
	} else if (strcmp(cmd, "focus") == 0) {
		if ((pane = pane_by_name(arg)) >= 0)
			focus_pane(a, pane);
		else
			set_status(a, 1, "focus needs a pane: models, prompt, knowledge or jobs");
	} else if ((pane = pane_by_name(cmd)) >= 0 && strlen(cmd) >= 4) {
		focus_pane(a, pane);
	} else {
		set_status(a, 1, "unknown command '%.40s'; press ? for the list", cmd);
	}
	free(copy);
}

static void on_action(struct app *a, enum key_action act)
{
	switch (act) {
	case ACTION_FOCUS_NEXT: focus_pane(a, (a->focus + 1) % NPANES); break;
	case ACTION_FOCUS_PREV: focus_pane(a, (a->focus + NPANES - 1) % NPANES); break;
	case ACTION_FOCUS_MODELS: focus_pane(a, 0); break;
	case ACTION_FOCUS_PROMPT: focus_pane(a, 1); break;
	case ACTION_FOCUS_KNOWLEDGE: focus_pane(a, 2); break;
	case ACTION_FOCUS_JOBS: focus_pane(a, 3); break;
	case ACTION_ZOOM: toggle_zoom(a); break;
	case ACTION_HELP:
		a->help = 1;
		a->help_scroll = 0;
		break;
	case ACTION_HISTORY: open_history(a, NULL); break;
	case ACTION_COMMAND: input_begin(":", run_command, a); break;
	case ACTION_REDRAW: clearok(curscr, TRUE); break;
	case ACTION_SUSPEND:
		term_suspend();
		a->relayout = 1;
		break;
	case ACTION_QUIT: quit_or_ask(a); break;
	case ACTION_NONE:
	case ACTION_COUNT: break;
	}
	a->dirty = 1;
}

static void help_key(struct app *a, int ch)
{
	switch (ch) {
	case KEY_UP: case 'k': a->help_scroll--; break;
	case KEY_DOWN: case 'j': a->help_scroll++; break;
	case KEY_PPAGE: a->help_scroll -= a->help_page > 0 ? a->help_page : 1; break;
	case KEY_NPAGE: case ' ': a->help_scroll += a->help_page > 0 ? a->help_page : 1; break;
	case KEY_HOME: a->help_scroll = 0; break;
	default:
		if (ch == 27 || ch == 'q' || keys_action(ch) == ACTION_HELP)
			a->help = 0;
		break;
	}
	a->dirty = 1;
}

static void messages_key(struct app *a, int ch)
{
	int page = a->messages_page > 0 ? a->messages_page : 1;
	switch (ch) {
	case KEY_UP: case 'k': a->messages_scroll--; break;
	case KEY_DOWN: case 'j': a->messages_scroll++; break;
	case KEY_PPAGE: a->messages_scroll -= page; break;
	case KEY_NPAGE: case ' ': a->messages_scroll += page; break;
	case KEY_HOME: case 'g': a->messages_scroll = 0; break;
	case KEY_END: case 'G': a->messages_scroll = INT_MAX; break;
	default:
		if (ch == 27 || ch == 'q')
			a->messages_open = 0;
		break;
	}
	a->dirty = 1;
}

static void on_key(struct app *a, int ch);

/* The wheel scrolls what is under the pointer (three lines, as the arrow
 * keys would, without moving the focus); a click focuses the pane, and in
 * the Prompt pane the answer column, under it. */
static void on_mouse(struct app *a)
{
	int y, x;
	enum mouse_kind k = mouse_read(&y, &x);
	int key = k == MOUSE_WHEEL_UP ? KEY_UP : KEY_DOWN;
	if (k == MOUSE_NONE || input_active() || a->too_small)
		return;
	if (a->help || a->messages_open || a->history_open) {
		for (int n = 0; n < 3 && k != MOUSE_CLICK; n++)
			on_key(a, key);
		return;
	}
	for (int i = 0; i < NPANES; i++) {
		if (!a->frames[i] || !wenclose(a->frames[i], y, x))
			continue;
		if (k == MOUSE_CLICK) {
			focus_pane(a, i);
			if (i == 1 && a->inner[i]) {
				int by, bx;
				getbegyx(a->inner[i], by, bx);
				pane_prompt_click(a->panes[i], y - by, x - bx);
			}
		} else {
			for (int n = 0; n < 3; n++)
				a->panes[i]->ops->on_key(a->panes[i], key);
		}
		a->dirty = 1;
		return;
	}
}

static void on_key(struct app *a, int ch)
{
	if (ch == KEY_RESIZE) {
		a->relayout = 1;
		return;
	}
	if (ch == KEY_MOUSE) {
		on_mouse(a);
		return;
	}
	if (a->quit_asked) {
		a->quit_asked = 0;
		if (ch == 'y' || ch == 'Y' || keys_action(ch) == ACTION_QUIT)
			loop_stop(a->loop);
		else
			set_status(a, 0, "not quitting; the answers go on streaming");
		return;
	}
	if (input_active()) {
		if (input_key(ch))
			a->dirty = 1;
		return;
	}
	if (a->help) {
		help_key(a, ch);
		return;
	}
	if (a->messages_open) {
		messages_key(a, ch);
		return;
	}
	if (a->history_open) {
		history_key(a, ch);
		return;
	}
	if (a->too_small && keys_action(ch) != ACTION_QUIT)
		return;
	struct pane *p = a->panes[a->focus];
	unsigned r = p->ops->on_key(p, ch);
	if (r & PANE_HANDLED) {
		a->dirty |= (r & PANE_DIRTY) != 0;
		a->relayout |= (r & PANE_RELAYOUT) != 0;
		if (r & PANE_QUIT)
			loop_stop(a->loop);
		return;
	}
	enum key_action act = keys_action(ch);
	if (act != ACTION_NONE)
		on_action(a, act);
	else if (ch == 3)
		set_status(a, 0, "nothing to cancel; press %s to quit", keys_name(keys_key_for(ACTION_QUIT)));
}

/* A paste is text for an editor, never keys: in a one-line editor (the `:`
 * line, a KB query) line breaks and tabs become spaces and other control
 * bytes are dropped; the Prompt pane's editor keeps the line breaks. */
static void paste_flatten(struct buf *b)
{
	size_t n = 0;
	for (size_t i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];
		if (c == '\r' && i + 1 < b->len && b->data[i + 1] == '\n')
			continue;
		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		else if (c < 0x20 || c == 0x7f)
			continue;
		b->data[n++] = (char)c;
	}
	buf_truncate(b, n);
}

static void deliver_paste(struct app *a)
{
	if (input_active())
		paste_flatten(&a->paste);
	const char *text = buf_str(&a->paste);
	if (a->paste_cut)
		set_status(a, 1, "the paste was cut to its first %d KiB", PASTE_MAX / 1024);
	if (input_active()) {
		for (const char *p = text; *p; p++)
			input_key((unsigned char)*p);
	} else if (a->help || a->messages_open || a->history_open || a->too_small) {
		set_status(a, 1, "a paste goes into an editor; close this view first");
	} else if (*text) {
		focus_pane(a, 1);
		pane_prompt_paste(a->panes[1], text);
	}
	buf_reset(&a->paste);
	a->paste_cut = 0;
	a->dirty = 1;
}

/* Bytes between the paste markers are collected, whatever they are. */
static int paste_key(struct app *a, int ch)
{
	if (ch == TERM_KEY_PASTE_BEGIN) {
		a->pasting = 1;
		buf_reset(&a->paste);
		a->paste_cut = 0;
		return 1;
	}
	if (!a->pasting)
		return 0;
	if (ch == TERM_KEY_PASTE_END) {
		a->pasting = 0;
		deliver_paste(a);
	} else if (ch >= 0 && ch <= 0xff) {
		if (a->paste.len < PASTE_MAX)
			buf_putc(&a->paste, (char)ch);
		else
			a->paste_cut = 1;
	}
	return 1;
}

/* An escape sequence curses does not know (ESC [ ... or ESC O ...) is one
 * key nobody bound: it is dropped whole, not run as ESC, '[', '1', '~'. */
static int drop_unknown_sequence(int ch)
{
	if (ch != 27)
		return 0;
	int next = getch();
	if (next != '[' && next != 'O') {
		if (next != ERR)
			ungetch(next);
		return 0;
	}
	for (int i = 0; i < 32; i++) {
		int c = getch();
		if (c == ERR || (c >= 0x40 && c <= 0x7e))
			break;
	}
	return 1;
}

static void on_stdin(struct loop *l, int fd, unsigned events, void *ud)
{
	(void)l;
	(void)fd;
	(void)events;
	struct app *a = ud;
	int ch;
	while ((ch = getch()) != ERR) {
		if (paste_key(a, ch) || drop_unknown_sequence(ch))
			continue;
		on_key(a, ch);
	}
}

static void on_signal(struct loop *l, int signo, void *ud)
{
	(void)l;
	struct app *a = ud;
	if (signo == SIGWINCH)
		term_resize();
	else
		clearok(curscr, TRUE);
	a->relayout = 1;
}

static void on_interrupt(void *ud)
{
	struct app *a = ud;
	log_info("stopping on signal %d", a->s.signo);
	a->signo = a->s.signo;
	loop_stop(a->loop);
}

static void on_models_changed(void *ud)
{
	struct app *a = ud;
	a->dirty = 1;
}

/* Providers are asked for their models after the first paint, so start-up
 * never waits for the network (or for curl to start). */
static int64_t start_models(struct loop *l, int64_t id, void *ud)
{
	(void)id;
	struct app *a = ud;
	struct err e = ERR_INIT;
	if (session_http(&a->s, &e) != 0)
		set_status(a, 1, "cannot initialise libcurl; models cannot be listed");
	else if (modelset_start(&a->wb.models, l, &a->s.cfg, &a->s.catalog, NULL, on_models_changed, NULL, a, &e) == 0)
		a->wb.models_started = 1;
	a->dirty = 1;
	return LOOP_TIMER_DONE;
}

static int64_t frame_tick(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	(void)ud;
	return 0;
}

/* The demo workspace is copied once per data home, however it was created. */
static void seed_demo_once(struct app *a, const char *home)
{
	char *done = db_meta_get(a->db, "demo_seeded");
	if (done) {
		free(done);
		return;
	}
	struct err e = ERR_INIT;
	int n = workspace_seed_demo(path_share_dir(), home, &e);
	if (n < 0) {
		log_warn("demo workspace not seeded: %s", e.msg);
		return;
	}
	log_info("seeded the demo workspace with %d files", n);
	if (drift_save_demo(a->db, home, &e) < 0) /* the demo's drift report, ready in the Jobs pane */
		log_warn("demo drift report not saved: %s", e.msg);
	if (db_meta_set(a->db, "demo_seeded", AIWB_VERSION, &e) != 0)
		log_warn("%s", e.msg);
}

/* What the last session chose (wbstate.h): the marks and parameters now
 * (the selection is the config's default_model, as for every command); the folded providers, the template and the focus once the
 * panes exist (restore_panes). */
static void restore_choices(struct app *a)
{
	struct wbstate *st = &a->saved;
	for (size_t i = 0; i < st->nmarked; i++) {
		a->wb.marked = xreallocarray(a->wb.marked, a->wb.nmarked + 1, sizeof *a->wb.marked);
		a->wb.marked[a->wb.nmarked++] = xstrdup(st->marked[i]);
	}
	for (size_t i = 0; i < st->nparams; i++) {
		a->wb.params = xreallocarray(a->wb.params, a->wb.nparams + 1, sizeof *a->wb.params);
		a->wb.params[a->wb.nparams++] = (struct wb_params){ xstrdup(st->params[i].spec), st->params[i].params };
	}
}

static void restore_panes(struct app *a)
{
	struct wbstate *st = &a->saved;
	for (size_t i = 0; i < st->nfolded; i++)
		pane_models_fold(a->panes[0], st->folded[i], 1);
	if (st->template)
		pane_prompt_use_template(a->panes[1], st->template);
	int pane = pane_by_name(st->focus);
	if (pane >= 0)
		a->focus = pane;
	for (int i = 0; i < NPANES; i++)
		tell_focus(a, i, i == a->focus);
	if (a->saved_error)
		set_status(a, 1, "%s", a->saved_error);
	wbstate_free(st);
}

static void save_choices(struct app *a)
{
	struct wbstate st = {0};
	st.marked = a->wb.marked;
	st.nmarked = a->wb.nmarked;
	struct wbstate_params *params = xcalloc(a->wb.nparams ? a->wb.nparams : 1, sizeof *params);
	for (size_t i = 0; i < a->wb.nparams; i++) {
		params[i].spec = a->wb.params[i].spec;
		params[i].params = a->wb.params[i].params;
		params[i].params.stop = NULL;
		params[i].params.nstop = 0;
	}
	st.params = params;
	st.nparams = a->wb.nparams;
	st.template = (char *)(uintptr_t)pane_prompt_template(a->panes[1]);
	st.focus = (char *)(uintptr_t)pane_names[a->focus];
	st.folded = (char **)(uintptr_t)pane_models_folded(a->panes[0], &st.nfolded);
	struct err e = ERR_INIT;
	if (wbstate_save(&st, NULL, &e) != 0)
		log_warn("the workbench's choices were not saved: %s", e.msg);
	free(params);
}

/* Everything that can refuse to start, before the terminal is touched. */
static int app_open(struct app *a, const struct app_options *o)
{
	struct err e = ERR_INIT;
	if (session_open(&a->s, SESSION_DB | SESSION_LATE_CATALOG | SESSION_LATE_HTTP, &e) != 0) {
		fprintf(stderr, "aiwb: %s\n", e.msg);
		return 1;
	}
	const char *home = a->s.data_home;
	if (a->s.log_error.msg[0])
		fprintf(stderr, "aiwb: %s (continuing without a log)\n", a->s.log_error.msg);
	log_info("aiwb %s starting, data home %s", AIWB_VERSION, home);
	a->loop = a->s.loop;
	a->db = a->s.db;
	a->s.on_interrupt = on_interrupt;
	a->s.ud = a;
	seed_demo_once(a, home);

	const char *theme = o->theme ? o->theme : a->s.cfg.theme ? a->s.cfg.theme : "default";
	if (theme_load(&a->theme, theme, &e) != 0) {
		fprintf(stderr, "aiwb: %s\n", e.msg);
		return o->theme ? 2 : 1;
	}

	a->wb.cfg = &a->s.cfg;
	a->wb.data_home = home;
	a->wb.history_runs = db_run_count(a->db);
	struct workspace_demo demo;
	workspace_demo_count(home, &demo);
	a->wb.demo_docs = demo.docs;
	a->wb.demo_datasets = demo.datasets;
	a->wb.demo_scripts = demo.scripts;
	if (demo.docs + demo.datasets + demo.scripts > 0)
		a->wb.examples_dir = path_join(home, "examples");
	if (!session_catalog(&a->s, &e))
		log_warn("model catalog not loaded: %s", e.msg);
	a->wb.catalog = &a->s.catalog;
	a->wb.db = a->db;
	a->wb.loop = a->loop;
	if (a->s.cfg.default_model)
		a->wb.selected = xstrdup(a->s.cfg.default_model);
	if (wbstate_load(&a->saved, NULL, &e) != 0)
		a->saved_error = xstrdup(e.msg);
	restore_choices(a);
	return 0;
}

static void app_close(struct app *a)
{
	for (int i = 0; i < NPANES; i++)
		if (a->panes[i])
			a->panes[i]->ops->destroy(a->panes[i]);
	theme_free(&a->theme);
	buf_free(&a->paste);
	messages_free(&a->messages);
	free(a->wb.examples_dir);
	free(a->wb.selected);
	for (size_t i = 0; i < a->wb.nmarked; i++)
		free(a->wb.marked[i]);
	free(a->wb.marked);
	for (size_t i = 0; i < a->wb.nparams; i++)
		free(a->wb.params[i].spec);
	free(a->wb.params);
	wbstate_free(&a->saved);
	free(a->saved_error);
	free_args(a);
	session_close(&a->s);
}

static void show_startup_warnings(struct app *a)
{
	char **kw;
	size_t nkw;
	const struct config *cfg = &a->s.cfg;
	keys_init(cfg, &kw, &nkw);
	size_t total = cfg->nwarnings + nkw;
	const char *first = cfg->nwarnings ? cfg->warnings[0] : nkw ? kw[0] : NULL;
	if (first) {
		if (total > 1)
			set_status(a, 1, "%s (and %zu more: aiwb doctor)", first, total - 1);
		else
			set_status(a, 1, "%s", first);
	}
	for (size_t i = 0; i < cfg->nwarnings; i++)
		log_warn("%s", cfg->warnings[i]);
	for (size_t i = 0; i < nkw; i++) {
		log_warn("%s", kw[i]);
		free(kw[i]);
	}
	free(kw);
}

static void restore_terminal_hook(void)
{
	term_stop();
}

int app_main(const struct app_options *o, int *signo)
{
	struct app a;
	memset(&a, 0, sizeof a);
	*signo = 0;
	struct err e = ERR_INIT;
	if (term_check(&e) != 0) {
		fprintf(stderr, "aiwb: %s\n", e.msg);
		return 1;
	}
	int rc = app_open(&a, o);
	if (rc != 0) {
		app_close(&a);
		return rc;
	}
	show_startup_warnings(&a);

	if (term_start(&e) != 0) {
		fprintf(stderr, "aiwb: %s\n", e.msg);
		app_close(&a);
		return 1;
	}
	xmalloc_set_fatal_hook(restore_terminal_hook);
	theme_apply(&a.theme);
	mouse_start(strcmp(a.s.cfg.ui_mouse, "off") != 0);

	a.wb.notify = (struct wb_notify){ notify_status, notify_redraw, &a, notify_ask };
	a.panes[0] = pane_models_new(&a.wb);
	a.panes[1] = pane_prompt_new(&a.wb);
	a.panes[2] = pane_kb_new(&a.wb);
	a.panes[3] = pane_jobs_new(&a.wb);
	a.history = history_view_new(a.db);
	restore_panes(&a);
	a.frames_left = o->frames;
	loop_add_fd(a.loop, 0, LOOP_READ, on_stdin, &a);
	loop_watch_signal(a.loop, SIGWINCH, on_signal, &a);
	loop_watch_signal(a.loop, SIGCONT, on_signal, &a);
	loop_set_before_sleep(a.loop, draw, &a);
	if (o->frames)
		loop_add_timer(a.loop, 0, frame_tick, &a);
	else
		loop_add_timer(a.loop, 0, start_models, &a);
	char *history = path_join(a.wb.data_home, "cmd_history");
	input_init(history, completions);
	input_set_args(command_args, &a);
	free(history);

	term_resize();
	layout(&a);
	draw(a.loop, &a);
	if (!loop_stopped(a.loop))
		loop_run(a.loop);

	input_shutdown();
	save_choices(&a);
	history_view_free(a.history);
	for (int i = 0; i < NPANES; i++) {
		a.panes[i]->ops->destroy(a.panes[i]);
		a.panes[i] = NULL;
	}
	if (a.wb.models_started)
		modelset_free(&a.wb.models);
	free_windows(&a);
	term_stop();
	xmalloc_set_fatal_hook(NULL);
	log_info("aiwb stopped%s", a.signo ? " by a signal" : "");
	app_close(&a);
	*signo = a.signo;
	return 0;
}
