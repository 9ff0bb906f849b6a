/* scrollpos — where a scrolling text is: "12/140 ↓", the last line shown of
 * all the lines, with an arrow while more is below; nothing while all of it
 * fits. Every scrolling text draws it in a corner (answers, the diff, help,
 * the message log). */
#ifndef AIWB_SCROLLPOS_H
#define AIWB_SCROLLPOS_H

#include <curses.h>
#include <stddef.h>

/* The text into out ("" when total <= rows); its display columns. */
int scrollpos_format(long first, int rows, long total, char *out, size_t size);
/* Draws it on row y ending before column x_end, with a space before it,
 * when it fits in maxw columns; the columns used (0: nothing drawn). */
int scrollpos_draw(WINDOW *w, int y, int x_end, int maxw, long first, int rows, long total, attr_t attr);

#endif
