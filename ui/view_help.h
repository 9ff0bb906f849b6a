/* view_help — the `?` screen, generated from the key tables and the command
 * list, so help can never disagree with the bindings: the focused pane's
 * keys first (its own table, then the generic moves it falls back on), then
 * the global keys and the commands. */
#ifndef AIWB_VIEW_HELP_H
#define AIWB_VIEW_HELP_H

#include <curses.h>

#include "base/buf.h"
#include "keys.h"

struct help_command {
	const char *name;
	const char *args;
	const char *help;
};

/* Appends the help text (one line per key or command, "\n"-separated):
 * the keys of map (none for KEYMAP_NONE), then the global ones. */
void help_text_for(struct buf *out, enum keymap map, const struct help_command *commands);
/* The same without a pane's keys. */
void help_text(struct buf *out, const struct help_command *commands);
/* Draws the help box centred on the screen, scrolled by *scroll (clamped);
 * returns the rows of text it shows (a page). */
int help_draw(enum keymap map, const struct help_command *commands, int *scroll);

#endif
