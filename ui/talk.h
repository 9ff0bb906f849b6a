/* talk — the Prompt pane's editor box and its conversations
 * (docs/workbench.md, The editor and Conversations).
 *
 * The editor box (ui/editor.h) edits one target in the pane: the free prompt,
 * a template variable, the system prompt or a follow-up. prompt.submit (C-s)
 * ends it with the target's action, Esc keeps the text, C-g drops the
 * changes, C-x C-e (or E outside the box) hands the text to $VISUAL/$EDITOR.
 *
 * Conversations: every column of the compare view keeps one (chat/thread.h)
 * with its model. talk_sync takes each finished run in: a run of the form
 * starts the column's conversation, a follow-up this module started becomes
 * its next turn. While a conversation is open (after a send, until
 * prompt.new), the next text written is a follow-up sent to every column,
 * each with its own conversation so far; one that nears a model's context
 * window is flagged and needs a second C-s. */
#ifndef AIWB_TALK_H
#define AIWB_TALK_H

#include <curses.h>

#include "chat/thread.h"
#include "editor.h"
#include "pane.h"
#include "prompt/lab.h"
#include "view_compare.h"

enum talk_target { TALK_TEXT, TALK_FIELD, TALK_SYSTEM, TALK_FOLLOWUP };

struct talk {
	struct wb *wb;
	struct lab_form *form;
	struct compare_view *cv;
	/* the editor box */
	int editing;
	enum talk_target target;
	size_t field;
	struct editor ed;
	char *draft;                 /* a follow-up kept with Esc */
	char *warned;                /* the follow-up text the context-window warning was given for */
	int text_sent;               /* the form's free prompt went: the box opens empty for the next */
	char *opened;                /* the box's text when it opened: Esc on it changes nothing */
	/* the conversations, one per column */
	int open;                    /* the next text is a follow-up */
	struct thread threads[COMPARE_MAX_COLUMNS];
	const struct lab_run *seen[COMPARE_MAX_COLUMNS]; /* the run each thread last took in */
	const struct lab_run *mine[COMPARE_MAX_COLUMNS]; /* the follow-ups started here */
};

/* What the pane does after talk_key. */
enum talk_key_result {
	TALK_NOT_MINE,   /* the key is not the editor's: the pane's or the app's */
	TALK_DRAWN,      /* handled; draw again */
	TALK_SEND_FORM,  /* the free prompt was submitted: send the form (first turn) */
	TALK_FIELD_SET,  /* a variable was set: move to the next missing one */
};

void talk_init(struct talk *t, struct wb *wb, struct lab_form *form, struct compare_view *cv);
void talk_free(struct talk *t);

/* Opens the box on target (field: the variable's index), holding initial
 * (NULL: the target's current text). */
void talk_edit(struct talk *t, enum talk_target target, size_t field, const char *initial);
int talk_editing(const struct talk *t);
enum talk_key_result talk_key(struct talk *t, int key);
/* Inserts pasted text: into the open box, else into a box opened on the
 * follow-up (in a conversation), the free prompt or field. */
void talk_paste(struct talk *t, size_t field, const char *text);
/* E: the target's text in $VISUAL/$EDITOR, then in the box (sent by nothing). */
void talk_external(struct talk *t, size_t field);
/* Draws the box from row y (when open); returns the next free row. */
int talk_draw(struct talk *t, WINDOW *w, int y, int height, int width);

/* Takes finished runs into their conversations; sets each column's note. */
void talk_sync(struct talk *t);
/* A conversation is open and has a turn to follow up, with the models the
 * Models pane sends to now (other models start a new one). */
int talk_conversing(struct talk *t);
/* What a first turn's columns show above the answer: the question (a free
 * prompt's text; a template's name and values, a list item each; the masked
 * text sent when the guard masked the prompt) under "── you ──". Caller frees. */
char *talk_first_shown(const struct talk *t);
/* The form was sent afresh (or column col, -1 for all, re-run): the next runs are first turns. */
void talk_sent(struct talk *t, int col);
/* prompt.new: the next send starts a new conversation. */
void talk_new(struct talk *t);
/* Sends text as a follow-up to every column; 0 when sent, -1 when not (the status line says why). */
int talk_followup(struct talk *t, const char *text);
/* The send key in a conversation: the follow-up kept with Esc goes, or the
 * status line says how to write one. */
void talk_send_draft(struct talk *t);
/* Re-opens the conversations of history run id in the columns; 1 when it
 * was a conversation (then they are shown and open), 0 when not, -1 (status said why). */
int talk_restore(struct talk *t, int64_t id);

/* A value for one line: its first line, then "  (+N lines)". */
void talk_one_line(const char *v, char *out, size_t size);

#endif
