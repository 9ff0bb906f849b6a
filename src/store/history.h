/* history — reading the runs that ask, compare and experiment saved
 * (DESIGN.md §4): full-text search over prompts and answers (SQLite FTS5,
 * ranked by bm25 with the prompt weighted twice the answer), the newest runs
 * first when there is nothing to search for, and one run in full.
 *
 * When more than HISTORY_RANK_WINDOW runs match, the newest that many are
 * ranked first, then the next that many, and so on (pages stay consistent),
 * so a word found in every run still answers in milliseconds on a large
 * history. history_count counts every match.
 *
 * The query is what a person typed, never FTS5 syntax: it is split into words
 * at white space, each word becomes a quoted FTS5 string (so "don't",
 * "gpt-4o", "a.b" or a stray quote match literally and never cause a syntax
 * error), a trailing * makes a word a prefix ("borr*"), and "a quoted phrase"
 * matches as a phrase. All words must match; a repeated word counts once,
 * words past the first HISTORY_WORDS_MAX are ignored and a word is cut to
 * HISTORY_WORD_MAX bytes, so a pasted page cannot make a search slow. A query
 * with no searchable word (empty, "*", punctuation only) lists the newest runs.
 *
 * Results are plain structs owned by the caller (free with the matching
 * *_free). Text is the stored text, not sanitized: run it through
 * base/sanitize.h before it reaches a terminal. A snippet holds
 * HISTORY_MARK_ON and HISTORY_MARK_OFF around each matched word and no other
 * 0x01 or 0x02 byte (any in the stored text are dropped from the snippet).
 * Calls block for at most the database's busy timeout; call them from the
 * loop. (No function here is named like GNU readline's history_get or
 * history_search: an executable's symbol would stand in for readline's own.) */
#ifndef AIWB_HISTORY_H
#define AIWB_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct db;

#define HISTORY_MARK_ON '\x01'
#define HISTORY_MARK_OFF '\x02'
#define HISTORY_PROMPT_MAX 200  /* characters of the prompt kept in a hit, then "…" */
#define HISTORY_RANK_WINDOW 1000
#define HISTORY_WORDS_MAX 16
#define HISTORY_WORD_MAX 128

struct history_query {
	const char *text;   /* the user's words; NULL or "" for the newest runs */
	const char *model;  /* NULL for all; else PROVIDER/MODEL, MODEL or PROVIDER */
	size_t limit;       /* 0 means 20 */
	size_t offset;
};

struct history_hit {
	int64_t id;
	int64_t created_ms;  /* Unix epoch */
	char *kind;          /* "ask", "compare", "experiment" */
	char *model;         /* may be NULL */
	char *prompt;        /* at most HISTORY_PROMPT_MAX characters; may be NULL */
	char *snippet;       /* the best-matching passage with marks; NULL without a query */
	double score;        /* bm25 relevance, higher is better; 0 without a query */
	char *status;        /* "ok", "cut", "error", "cancelled"; NULL when unknown */
	double ttft_ms;      /* -1 when unknown */
	double total_ms;     /* -1 when unknown */
	double cost_usd;     /* -1 when unknown */
	char *kb_json;       /* params "kb": the retrieval an answer used (JSON object text), or NULL */
	int64_t conversation; /* the conversation's first run; 0 for a run on its own */
	int turn;            /* the run's turn in it; 0 for a run on its own */
	int turns;           /* list rows: how many turns it has (1 for a run on its own) */
	int64_t latest;      /* the run this row shows: a list row's latest turn, else id */
};

struct history_message {
	char *role;
	char *content;
};

struct history_param {
	char *name;
	char *value;         /* the value as compact JSON: 0.7, 256, ["###"] */
};

struct history_metrics {
	double ttft_ms, total_ms, tokens_per_s, cost_usd; /* -1 when unknown */
	int64_t input_tokens, output_tokens;              /* -1 when unknown */
	int estimated;       /* a token count was estimated, not reported */
	char *status, *stop_reason, *request_id, *error;  /* NULL when absent */
};

struct history_run {
	int64_t id;
	int64_t created_ms;
	char *kind, *model, *prompt, *output;             /* output "" when none */
	char *messages_json, *params_json, *metrics_json; /* as stored; may be NULL */
	struct history_message *messages;                 /* parsed from messages_json */
	size_t nmessages;
	struct history_param *params;                     /* parsed from params_json, in order */
	size_t nparams;
	struct history_metrics metrics;                   /* parsed from metrics_json */
	int64_t conversation;                             /* 0 for a run on its own */
	int turn;                                         /* from 1; 0 for a run on its own */
};

/* Conversations: the newest-runs list (no query) has one row per
 * conversation, at the time of its latest turn, whose id is the
 * conversation's (its first run), prompt its first prompt, model, status and
 * times its latest turn's, cost_usd the known costs of its turns summed (-1
 * when none is known) and turns its count; a run on its own is a row of its
 * own (turns 1, conversation 0). A search ranks single turns (each hit names
 * its conversation and turn); history_count counts the rows the same way.
 * A database older than schema 8 lists every run on its own.
 *
 * Ranked hits (best first) or the newest runs, from q->offset, at most
 * q->limit. *out (caller frees with history_hits_free) may be NULL when *n is
 * 0. Returns 0, or -1 with e. */
int history_find(struct db *db, const struct history_query *q, struct history_hit **out, size_t *n,
		   struct err *e);
void history_hits_free(struct history_hit *hits, size_t n);

/* How many runs the query matches (ignoring limit and offset); -1 with e. */
int64_t history_count(struct db *db, const struct history_query *q, struct err *e);

/* Returns 1 and fills *out (free with history_run_free) when the run exists,
 * 0 when no run has that id, -1 with e on a database error. */
int history_read(struct db *db, int64_t id, struct history_run *out, struct err *e);
void history_run_free(struct history_run *run);

/* Every turn of the conversation run id belongs to, in turn order (just that
 * run when it is on its own). Returns 1 with *turns (free with
 * history_runs_free), 0 when there is no run id, -1 with e. */
int history_read_conversation(struct db *db, int64_t id, struct history_run **turns, size_t *n, struct err *e);
void history_runs_free(struct history_run *runs, size_t n);
/* The id of the latest run, 0 when there is none, -1 with e. */
int64_t history_latest_id(struct db *db, struct err *e);

/* The models of the runs one compare saved: every row whose params hold
 * "compare_group" = group, in id order (a model named twice is listed twice).
 * *models (caller frees with history_models_free) may be NULL when *n is 0.
 * Returns 0, or -1 with e. */
int history_group_models(struct db *db, int64_t group, char ***models, size_t *n, struct err *e);
void history_models_free(char **models, size_t n);
/* The ids of those rows, in id order; *ids (caller frees) may be NULL when *n
 * is 0. Returns 0, or -1 with e. */
int history_group_ids(struct db *db, int64_t group, int64_t **ids, size_t *n, struct err *e);

/* The FTS5 expression for the user's words (caller frees; store/fts.h
 * fts_phrase_query with the limits above); NULL when the text holds no
 * searchable word. */
char *history_fts_query(const char *text);

#endif
