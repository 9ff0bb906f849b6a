/* labguard — the guard around the workbench's Prompt pane (docs/guard.md,
 * "In the workbench"): config.json's guard.action (off, report, mask, block
 * or bedrock:ID:VERSION, guard/step.h) applied to the messages a form sends
 * before they go out, and to each answer once its stream has ended.
 *
 * Plain data for the UI: whether to send, the messages to send instead (the
 * masked rendering, for lab_target.messages), a report to draw under the
 * prompt and one under each answer (a finding per line with its type, its
 * line:column and byte span), and a one-line note for the status line.
 * What was streamed is never changed: an answer's findings are reported
 * under it. A mask applies to one-call prompts (a chain's later steps are
 * rendered from answers as they come); a Bedrock guardrail's check runs on
 * the event loop and calls back. */
#ifndef AIWB_PROMPT_LABGUARD_H
#define AIWB_PROMPT_LABGUARD_H

#include <stddef.h>

#include "prompt/lab.h"

struct config;
struct loop;
struct lab_guard;

struct lab_guard *lab_guard_new(const struct config *cfg, struct loop *l);
/* Cancels every check in flight (no callback comes after). */
void lab_guard_free(struct lab_guard *lg);
/* Whether a guard is on (config.json's guard.action is not off). */
int lab_guard_on(struct lab_guard *lg);

/* send: 1 to send (with lab_guard_messages), 0 when the guard stopped it. */
typedef void (*lab_guard_prompt_fn)(void *ud, int send);
/* Checks the messages f sends (system messages included). done comes once:
 * before this returns when the guard is off or local, from the loop for a
 * guardrail, unless a later lab_guard_prompt or lab_guard_free cancels it. */
void lab_guard_prompt(struct lab_guard *lg, const struct lab_form *f, lab_guard_prompt_fn done, void *ud);
/* A conversation's follow-up text through the same guard, at once: 0 to send
 * *out (the text as typed, or masked; caller frees) with *note (what the
 * guard found, for the status line; "" when nothing; caller frees); -1 when
 * it must not go, with the reason in e: block found something, the guard
 * cannot be used, or guard.action is a Bedrock guardrail (it checks a
 * conversation's first turn; a follow-up is not sent unchecked). */
int lab_guard_followup(struct lab_guard *lg, const char *text, char **out, char **note, struct err *e);
/* A guardrail is checking the prompt. */
int lab_guard_prompt_pending(const struct lab_guard *lg);
/* After done: the messages to send in place of the form's rendering (the
 * masked ones), or NULL to send the form as it is. */
const struct lab_msg *lab_guard_messages(const struct lab_guard *lg, size_t *n);
/* The report under the prompt, lines ending in '\n'; NULL when nothing to say. */
const char *lab_guard_prompt_report(const struct lab_guard *lg);
/* One line for the status line: why nothing was sent, or "; guard: ..." to
 * append to "sent to ..."; "" when nothing to say. */
const char *lab_guard_note(const struct lab_guard *lg);

/* Checks lr's answer: its shown text from lab_run_answer_at on, not the
 * conversation shown before it (call once it finished). A local verdict is there at
 * once; a guardrail's comes from the loop, then done(ud) is called. */
void lab_guard_answer(struct lab_guard *lg, const struct lab_run *lr, void (*done)(void *ud), void *ud);
/* The report under lr's answer: NULL when none. */
const char *lab_guard_answer_report(const struct lab_guard *lg, const struct lab_run *lr);
/* Drops what is known of lr (call before freeing it), cancelling its check. */
void lab_guard_forget(struct lab_guard *lg, const struct lab_run *lr);

#endif
