/* guardview — the guard in the Prompt pane (prompt/labguard.h): the hooks
 * the pane and its compare view call (check the prompt before sending, the
 * messages to send, check each answer once streamed) and the drawing of
 * what the guard found, inline: under the prompt, and under each answer
 * above its metrics, one line per finding with its type, line:column and
 * byte span. The logic is the core's; this file only asks and draws. */
#ifndef AIWB_GUARDVIEW_H
#define AIWB_GUARDVIEW_H

#include <curses.h>

#include "prompt/lab.h"
#include "view_compare.h"

void guardview_init(struct compare_view *cv);
void guardview_free(struct compare_view *cv);

/* Checks the messages form sends; send(ud) comes when they may go out (at
 * once, or when a guardrail answered). Stopped: the status line says why
 * and the report is drawn under the prompt. */
void guardview_check_prompt(struct compare_view *cv, const struct lab_form *form, void (*send)(void *ud), void *ud);
/* What to add to "sent to ..." on the status line ("" when nothing). */
const char *guardview_note(const struct compare_view *cv);
/* Sets tg->messages to the masked prompt, if the guard masked it. */
void guardview_target(const struct compare_view *cv, struct lab_target *tg);
/* c's run has finished: check its answer. */
void guardview_answer_done(struct compare_view *cv, const struct compare_column *c);
/* Before c's run (or every column's, all) is dropped. */
void guardview_forget(struct compare_view *cv, const struct compare_column *c);
void guardview_forget_all(struct compare_view *cv);

/* Rows the report under c's answer takes, at most max (0: none). */
int guardview_answer_rows(const struct compare_view *cv, const struct compare_column *c, int max);
void guardview_draw_answer(const struct compare_view *cv, const struct compare_column *c, WINDOW *w, int y, int x,
			   int width, int rows);
/* Draws the report under the prompt from row y (at most a third of the
 * rows left); returns the next free row. */
int guardview_draw_prompt(const struct compare_view *cv, WINDOW *w, int y, int height, int width);

#endif
