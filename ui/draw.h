/* draw — small drawing helpers shared by panes and views. Every string is
 * sanitized (src/base/sanitize.h) before it reaches curses and clipped to the
 * columns given, never splitting a character. */
#ifndef AIWB_DRAW_H
#define AIWB_DRAW_H

#include <curses.h>

#include "theme.h"

/* Draws text at (y, x) in at most maxw columns; returns the columns used. */
int draw_text(WINDOW *w, int y, int x, int maxw, const char *text, attr_t attr);
/* The same for an id or a name: text wider than maxw loses its middle to an
 * ellipsis ("anthropic.claude-…-v2:0") instead of its end. */
int draw_text_mid(WINDOW *w, int y, int x, int maxw, const char *text, attr_t attr);
/* Word-wraps text from row y to at most max_rows rows; returns rows used
 * (w NULL: only counts them). */
int draw_wrapped(WINDOW *w, int y, int x, int maxw, int max_rows, const char *text, attr_t attr);
/* A box around w with " title " in the top border. */
void draw_frame(WINDOW *w, const char *title, int focused);
/* A one-row pane: a rule with " title " in it (a pane shrunk to its title). */
void draw_title_line(WINDOW *w, const char *title, int focused);
/* Fills row y of w from x to the right edge with spaces in attr. */
void draw_fill(WINDOW *w, int y, int x, attr_t attr);

#endif
