/* thread — a conversation in the workbench's Prompt pane, one per model
 * column (docs/workbench.md, Conversations). The first turn is the form's
 * run (a free prompt or a template, prompt/lab.h); thread_start takes the
 * request that run sent and its answer, so a follow-up sends those messages
 * (with the template's system prompt) and then the new one. The messages,
 * totals and the context-window check are chat/conv.h's, as for `aiwb chat`;
 * a thread adds the text the column shows: every turn so far, each question
 * under "── you ──" and each answer under "── answer ──".
 *
 * Turns are saved as the CLI's are: the first run's history id is the
 * conversation's, and each follow-up is saved with it and its turn number
 * (after a chain's steps or a vote's samples, which are turns of that group
 * already). Re-opened from the history, a thread holds the whole
 * conversation: every message and the totals of all its turns. */
#ifndef AIWB_CHAT_THREAD_H
#define AIWB_CHAT_THREAD_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "chat/conv.h"
#include "llm/provider.h"
#include "llm/run_metrics.h"

struct db;

/* Each heading stands as a paragraph of its own, so Markdown never joins it to the text under it. */
#define THREAD_YOU "── you ──\n\n"
#define THREAD_ANSWER "── answer ──\n\n"

struct thread {
	struct conv conv;
	struct buf shown;   /* the finished turns as the column shows them */
	int started;        /* conv holds a first turn */
	int followups;      /* turns begun after the first (re-opened: the turns after the first) */
};

void thread_init(struct thread *t);
void thread_free(struct thread *t);

/* Starts t (dropping what it held) from a finished first run of model: the
 * request it sent (system, messages: the last is the question), its answer
 * (NULL or "": no conversation to continue, t stays unstarted), the text its
 * column shows, its metrics, its first history id (0: not saved) and the
 * history turns it used (a chain's steps; 1 for one call). */
void thread_start(struct thread *t, const char *model, const char *system, const struct llm_message *messages,
		  size_t n, const char *answer, const char *shown, const struct run_metrics *m, int64_t id, int turns);

/* The text a follow-up column shows before the answer streams: the turns so
 * far, then text under "── you ──" and the "── answer ──" line. Caller frees. */
char *thread_shown_next(const struct thread *t, const char *text);
/* What a first turn's column shows before its answer: question under
 * "── you ──", then the "── answer ──" line. Caller frees. */
char *thread_shown_first(const char *question);
/* Where the latest answer starts in t->shown: before the last message's
 * text when it is an answer and shown ends with it, else 0 (all of it). */
size_t thread_answer_at(const struct thread *t);
/* Adds text as the pending question (conv_begin_turn); what to send is then
 * conv_request(&t->conv, ...), saved with conv_next_conversation/turn. */
void thread_begin(struct thread *t, const char *text);
/* Ends the pending turn: answer (NULL or "" when none: the question is taken
 * out again and shown stays as before the turn), the column's text after it,
 * the call's metrics (NULL: it never started) and its history id. */
void thread_end(struct thread *t, const char *answer, const char *shown, const struct run_metrics *m, int64_t id);

/* The conversation as a column shows it (every message under its heading). */
void thread_transcript(const struct conv *c, struct buf *out);
/* "3 turns · 120 in / 300 out tokens · $0.0012" (est. and unpriced noted). */
void thread_totals(const struct thread *t, char *out, size_t size);

/* Every conversation of the run id (any turn): one for a run or a
 * conversation on its own; for a compare, one per model of the compare its
 * first turn was part of, in the compare's order. 1 with *out (free each with
 * thread_free, then the array), 0 when there is no run id, -1 with e. */
int thread_load_all(struct db *db, int64_t id, struct thread **out, size_t *n, struct err *e);

#endif
