/* view_help — the `?` screen, generated from the key table and the command
 * list, so help can never disagree with the bindings. */
#ifndef AIWB_VIEW_HELP_H
#define AIWB_VIEW_HELP_H

#include <curses.h>

#include "base/buf.h"

struct help_command {
	const char *name;
	const char *args;
	const char *help;
};

/* Appends the help text (one line per key or command, "\n"-separated). */
void help_text(struct buf *out, const struct help_command *commands);
/* Draws the help box centred on the screen, scrolled by *scroll (clamped). */
void help_draw(const struct help_command *commands, int *scroll);

#endif
