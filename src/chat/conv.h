/* conv — one conversation with a model (docs/chat.md): the model, the system
 * prompt, the messages so far as they were sent (user and assistant turns),
 * the history ids that record it, and what its turns used and cost. No
 * terminal, no network: `aiwb chat`, `aiwb ask --continue` and the workbench
 * drive it.
 *
 * A turn: conv_begin_turn adds the user's message, conv_request gives the
 * request to send (every message so far, the new one last), conv_end_turn
 * adds the answer and the turn's metrics. An answer with no text (an error,
 * a cancel before the first token) takes its question out again, so the
 * conversation never holds a question without its answer; its tokens and
 * cost still count (they may have been paid), and its run is still a turn of
 * the history.
 *
 * History: the first saved turn's run id becomes the conversation's id; every
 * turn is saved with that id and its number (store/db.h struct db_run).
 *
 * The context window: before a send, conv_window_check estimates the input
 * tokens it would carry — the latest turn's reported input and output tokens
 * plus the new message (about 4 bytes a token, base/tokens.h), or every
 * message estimated when no count was reported — and flags it NEAR at
 * CONV_WINDOW_PERCENT of the model's context window (llm/catalog.h), OVER at
 * all of it. */
#ifndef AIWB_CHAT_CONV_H
#define AIWB_CHAT_CONV_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "llm/provider.h"
#include "llm/run_metrics.h"

struct cJSON;
struct db;

#define CONV_WINDOW_PERCENT 90

struct conv {
	char *model;                  /* PROVIDER/MODEL */
	char *system;                 /* NULL for none */
	struct llm_message *messages; /* owned strings, oldest first */
	char **answered_by;           /* per message: the model of an assistant message, else NULL */
	size_t nmessages, cap;
	int64_t id;                   /* history id of the first turn; 0 until one is saved */
	int turns;                    /* turns made; the next is turns + 1 */
	int pending;                  /* a question waits for its answer */
	struct run_metrics last;      /* the latest turn's; last.total_ms < 0 before any */
	int64_t input_tokens, output_tokens; /* every turn's, summed */
	int estimated;                /* a count in the totals was estimated */
	double cost_usd;              /* the known costs summed */
	int cost_unknown;             /* a turn had no price */
};

void conv_init(struct conv *c, const char *model, const char *system);
void conv_free(struct conv *c);
/* The model of the next turns; the messages stay. */
void conv_set_model(struct conv *c, const char *model);
/* The system prompt of the next turns (NULL or "" for none). */
void conv_set_system(struct conv *c, const char *system);
/* A new conversation with the same model and system prompt: no messages, no
 * id, no turns, totals zero. */
void conv_clear(struct conv *c);
/* Appends a message as it was (loading a conversation); model names the
 * model of an assistant message (may be NULL). */
void conv_push(struct conv *c, const char *role, const char *content, const char *model);

/* Starts a turn with the user's text (a turn already pending is ended first
 * without an answer). */
void conv_begin_turn(struct conv *c, const char *user);
/* The request of the pending turn: rq->system and rq->messages borrow from c
 * until it next changes; the caller sets model, params and stream. */
void conv_request(const struct conv *c, struct llm_request *rq);
/* Ends the pending turn: answer (NULL or "" for none) by the current model,
 * m the call's metrics, or NULL when the call never started (then the turn
 * number is not used up), run_id its history row (<= 0 when it was not
 * saved). */
void conv_end_turn(struct conv *c, const char *answer, const struct run_metrics *m, int64_t run_id);

/* What conv_request would hold for the next turn: the history row's
 * conversation id (0 for the first turn) and turn number. */
int64_t conv_next_conversation(const struct conv *c);
int conv_next_turn(const struct conv *c);

enum conv_window { CONV_WINDOW_UNKNOWN, CONV_WINDOW_OK, CONV_WINDOW_NEAR, CONV_WINDOW_OVER };
/* The estimated input tokens of sending next now. */
int64_t conv_estimate_next(const struct conv *c, const char *next);
/* The check above against context tokens (0 or less: unknown); *estimate
 * (if not NULL) gets conv_estimate_next. */
enum conv_window conv_window_check(const struct conv *c, const char *next, int64_t context, int64_t *estimate);

/* The conversation as Markdown: a title naming the model, the system prompt,
 * then "## You" and "## MODEL" sections per message, and the totals.
 * Appended to b. */
void conv_markdown(const struct conv *c, struct buf *b);
/* {"conversation": id or null, "model", "system": text or null, "turns",
 * "messages": [{"role", "content", "model"?}], "usage": {"input_tokens",
 * "output_tokens", "estimated"}, "cost_usd": number or null}. Caller frees. */
struct cJSON *conv_json(const struct conv *c);
/* Writes the conversation to path (mode 0600, replaced atomically): JSON when
 * path ends in ".json", else Markdown. 0, or -1 with e. */
int conv_save_file(const struct conv *c, const char *path, struct err *e);

/* Loads the conversation run id belongs to (a run on its own is a
 * conversation of one turn): the latest turn's model and messages (its system
 * message becomes the system prompt) with its answer, the turns' totals, and
 * the id a next turn is saved under. 1 when loaded (c initialised; free with
 * conv_free), 0 when there is no run id, -1 with e. */
int conv_load(struct conv *c, struct db *db, int64_t id, struct err *e);

#endif
