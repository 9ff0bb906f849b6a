/* mdview — draws the styled lines of text/mdrender.h with the theme: code in
 * the `code` role (a block's lines filled to the edge), headings in
 * `heading`, links underlined with their target dimmed, quotes and marks
 * dimmed. Wide lines (code, tables) start hscroll columns in, and a line that
 * goes on past the edge ends in "›" (starts with "‹" when scrolled). The
 * lines are already safe (mdrender sanitizes what it makes). */
#ifndef AIWB_MDVIEW_H
#define AIWB_MDVIEW_H

#include <curses.h>

#include "text/mdrender.h"

attr_t mdview_attr(unsigned style);
/* Draws lines [first, first + rows) of d at (y, x) in width columns. */
void mdview_draw(WINDOW *w, const struct md_doc *d, long first, int y, int x, int width, int rows, int hscroll);
/* The widest wide line among [first, first + rows), in columns (0: none). */
int mdview_wide_cols(const struct md_doc *d, long first, int rows);

#endif
