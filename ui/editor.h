/* editor — a multi-line text box: the Prompt pane's prompt, follow-ups and
 * template variables (docs/workbench.md, The editor). The text is UTF-8 with
 * '\n' between lines; rows wrap at the box's width, the box scrolls to keep
 * the cursor in view, and the cursor cell is drawn in reverse video.
 *
 * Keys are readline's where they exist: C-a C-e (line start, end), C-b C-f
 * and arrows (a character), M-b M-f (a word), C-p C-n and arrows (a row, in
 * the column wanted), PgUp PgDn, Home End, Backspace, C-d Delete, C-k (kill to
 * the line's end, or its newline), C-u (kill to the line's start), C-w (kill
 * the word before), M-d (the word after), C-y (yank the last kill). Enter
 * inserts a line break. What the editor does not take (the send key, Tab,
 * ...) is EDITOR_IGNORED, for the pane. Esc is EDITOR_DONE, C-g
 * EDITOR_ABANDON, C-x C-e EDITOR_EXTERNAL.
 *
 * Alt+key arrives as ESC then the key: the caller passes EDITOR_KEY_META(c)
 * when both came in one read. */
#ifndef AIWB_EDITOR_H
#define AIWB_EDITOR_H

#include <curses.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

#define EDITOR_KEY_META(c) (KEY_MAX + 0x100 + (c))

struct editor {
	struct buf text;
	size_t cursor;   /* byte offset, always at a character's start */
	long top;        /* the first row shown */
	int goal;        /* the column up and down aim for; -1: the cursor's */
	int ctrl_x;      /* C-x typed: the next key completes it */
	int width;       /* the box's columns (rows wrap there) and rows, from the last draw */
	int height;
	struct buf kill; /* the last text killed, for C-y */
};

enum editor_result {
	EDITOR_IGNORED,  /* not the editor's key */
	EDITOR_CHANGED,  /* moved or edited: draw again */
	EDITOR_DONE,     /* Esc: leave, keeping the text */
	EDITOR_ABANDON,  /* C-g: leave, dropping the changes */
	EDITOR_EXTERNAL, /* C-x C-e: edit the text in $VISUAL / $EDITOR */
};

void editor_init(struct editor *ed, const char *text);
void editor_free(struct editor *ed);
/* Replaces the text; the cursor goes to its end. */
void editor_set(struct editor *ed, const char *text);
const char *editor_text(const struct editor *ed);
/* Inserts pasted or typed bytes at the cursor: "\r\n" and "\r" become "\n",
 * tabs and line breaks stay, other control bytes are dropped. */
void editor_insert(struct editor *ed, const char *s, size_t n);
enum editor_result editor_key(struct editor *ed, int key);

/* The row and column of the cursor with rows wrapped at width. */
void editor_cursor_at(const struct editor *ed, int width, long *row, int *col);
/* How many rows the text takes at width (at least 1). */
long editor_rows(const struct editor *ed, int width);

/* Draws the text in rows [y, y + height) and columns [x, x + width) of w,
 * scrolled so the cursor shows (drawn in reverse when cursor is set). */
void editor_draw(struct editor *ed, WINDOW *w, int y, int x, int height, int width, attr_t at, int cursor);

/* Writes the text to a new temp file (0600) under $TMPDIR or /tmp, runs
 * ${VISUAL:-$EDITOR} on it through /bin/sh with the terminal handed back
 * (term_run), reads the file back into the editor and removes it. A single
 * line break the editor added at the end is dropped. -1 with a sentence (the
 * text unchanged) when no editor is set, it cannot run or it fails. */
int editor_external(struct editor *ed, struct err *e);

#endif
