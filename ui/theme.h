/* theme — colours are roles (STYLE.md 8). Panes ask theme_attr(ROLE_X) and
 * never name a colour.
 *
 * Themes are text files, *.theme, looked up by name in the user's themes dir
 * (path_config_dir()/themes) and then the built-in share dir (path_share_dir()/themes);
 * the user's file wins. The format is documented in docs/themes.md.
 *
 * A theme gives each role a foreground, a background and attributes, in
 * 256 colours. On a 16- or 8-colour terminal each colour falls back to the
 * nearest of those; with NO_COLOR set (non-empty) or a terminal without colour,
 * only the attributes are used, plus the role's monochrome attributes, so
 * focus and selection stay visible. Parsing and resolving are pure (testable
 * without a terminal); theme_apply() calls init_pair and needs start_color(). */
#ifndef AIWB_THEME_H
#define AIWB_THEME_H

#include <curses.h>

#include "base/err.h"

#define THEME_ROLES(X)                      \
	X(NORMAL, "normal")                 \
	X(DIM, "dim")                       \
	X(BORDER, "border")                 \
	X(BORDER_FOCUSED, "border_focused") \
	X(TITLE, "title")                   \
	X(TITLE_FOCUSED, "title_focused")   \
	X(SELECTED, "selected")             \
	X(MARKED, "marked")                 \
	X(STATUS, "status")                 \
	X(STATUS_KEY, "status_key")         \
	X(STATUS_ERROR, "status_error")     \
	X(CMDLINE, "cmdline")               \
	X(HELP, "help")                     \
	X(HELP_KEY, "help_key")             \
	X(NOTICE, "notice")                 \
	X(OK, "ok")                         \
	X(WARN, "warn")                     \
	X(ERROR, "error")                   \
	X(METRIC, "metric")                 \
	X(MATCH, "match")                   \
	X(JOB_RUNNING, "job_running")       \
	X(JOB_DONE, "job_done")             \
	X(JOB_FAILED, "job_failed")         \
	X(CHART_1, "chart_1")               \
	X(CHART_2, "chart_2")               \
	X(CHART_3, "chart_3")               \
	X(CHART_4, "chart_4")               \
	X(HEADING, "heading")               \
	X(CODE, "code")

#define THEME_ROLE_ENUM(id, name) ROLE_##id,
enum theme_role { THEME_ROLES(THEME_ROLE_ENUM) ROLE_COUNT };
#undef THEME_ROLE_ENUM

enum { THEME_COLOR_DEFAULT = -1 };

struct theme_style {
	short fg, bg;   /* 0..255 or THEME_COLOR_DEFAULT */
	attr_t attrs;   /* A_BOLD, A_UNDERLINE, A_REVERSE, A_DIM, A_ITALIC */
	attr_t mono;    /* extra attributes used only without colour */
};

struct theme {
	char *name;
	char *description;
	struct theme_style roles[ROLE_COUNT];
};

const char *theme_role_name(enum theme_role r);

/* Parses theme text over the built-in defaults (every role has a sane default,
 * so a file may set only some roles). Errors name the file:line and the problem. */
int theme_parse(struct theme *t, const char *file, const char *text, struct err *e);
/* Finds NAME (user dir, then share dir) and parses it. */
int theme_load(struct theme *t, const char *name, struct err *e);
void theme_free(struct theme *t);
/* Names of available themes (user and built-in, deduplicated, sorted); caller frees with theme_names_free. */
char **theme_names(size_t *n);
void theme_names_free(char **names, size_t n);

/* Nearest colour among the first `ncolors` (8 or 16) for a 256-colour index. */
short theme_fallback_color(short color, int ncolors);
/* The attribute for each role given the terminal's colour count (0 = no colour)
 * — pure: pair numbers are role + 1. */
attr_t theme_resolve(const struct theme *t, enum theme_role r, int ncolors);

/* With a started screen: selects t (copied) for drawing; init_pair for every
 * role when the terminal has colour and NO_COLOR is unset. */
void theme_apply(const struct theme *t);
attr_t theme_attr(enum theme_role r);
/* Colour count in use (0 when monochrome or NO_COLOR). */
int theme_colors(void);

#endif
