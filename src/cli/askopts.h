/* askopts — the options `aiwb ask` and `aiwb compare` share (DESIGN.md §5):
 * models, system prompt, sampling parameters, output modes, a template with
 * its variables or a knowledge base to answer from (--kb), and the prompt
 * (an argument, or standard input with '-' or, without a template, when
 * stdin is not a terminal). */
#ifndef AIWB_ASKOPTS_H
#define AIWB_ASKOPTS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "llm/provider.h"
#include "prompt/prepare.h"

#define ASK_MAX_MODELS 16
#define ASK_MAX_STOP 16

struct ask_opts {
	const char *cmd;                      /* "ask" or "compare", for messages */
	const char *models[ASK_MAX_MODELS];
	size_t nmodels;
	const char *system;
	struct llm_params params;             /* params.stop points into stops */
	const char *stops[ASK_MAX_STOP];
	int json, stream, raw;
	struct buf prompt;
	const char *template;                 /* -t NAME|FILE, or NULL */
	const char *vars_file;                /* --vars-file */
	const char **vars;                    /* each --var "k=v" (argv strings) */
	size_t nvars;
	int has_prompt;                       /* a PROMPT argument or '-' was given */
	const char *guard;                    /* --guard MODE (cli/askguard.h), or NULL */
	const char *kb;                       /* --kb NAME, or NULL */
	int kb_k, kb_mode;                    /* -k N (default 5), --mode (enum kb_mode; -1 not given) */
	const char *kb_filter;                /* --filter EXPR, or NULL */
	const char *kb_rerank;                /* --rerank mmr|bedrock:ID|llm:P/M (kb/rerank.h), or NULL */
	struct ask_kb *kb_found;              /* what --kb retrieved (ask_opts_start) */
};

/* Parses argv (argv[0] is the command). max_models is 1 for ask. Returns 0,
 * or the exit status of a usage error already reported. */
int ask_opts_parse(struct ask_opts *o, const char *cmd, size_t max_models, int argc, char **argv);
void ask_opts_free(struct ask_opts *o);

/* ask_opts_parse, then with --kb ask_kb_retrieve, then ask_template_prepare
 * when a template is named; with max_models > 1 (compare) at least two models
 * are wanted. 0, or the exit status of an error already reported, with o and
 * at freed. On 0 the caller ends with ask_opts_end. */
int ask_opts_start(struct ask_opts *o, struct template_prep *at, const char *cmd, size_t max_models, int argc,
		   char **argv);
void ask_opts_end(struct ask_opts *o, struct template_prep *at);

/* The template side (cli/asktemplate.c). */
struct session;
/* Loads o->template, binds its variables (the PROMPT fills the first one)
 * and, for a one-call template, renders it: o->system and o->params take the
 * template's where the command line gave none. 0, or the exit status of an
 * error already reported; free at with template_prep_free either way. */
int ask_template_prepare(struct template_prep *at, struct ask_opts *o);
/* Runs a chain or self-consistency template with `aiwb ask`'s output rules;
 * returns the exit status. */
int ask_template_run(struct template_prep *at, const struct ask_opts *o, struct session *s, struct provider *p,
		     const char *model_spec, const char *model);

/* The knowledge-base side (cli/askkb.c): --kb answers with the built-in rag
 * template, the question as its question and the KB's chunks for it as its
 * numbered sources (kb/context.h). */
struct ask_kb;
/* Opens o->kb, searches it for the prompt (trailing newlines dropped) and
 * makes the options those of the rag template with that context. 0, or the
 * exit status of an error already reported (cli/kbcommon.h). */
int ask_kb_retrieve(struct ask_opts *o);
/* "Sources (KB, MODE):" and a numbered line per source, on stdout. */
void ask_kb_print_sources(const struct ask_kb *k);
/* Adds "kb" (the name) and "sources" (kb_json_sources) to an answer's JSON. */
void ask_kb_json_add(const struct ask_kb *k, cJSON *o);
/* The same on JSON text js (taken over; returned as it is when k is NULL). */
char *ask_kb_json_wrap(const struct ask_kb *k, char *js);
/* extra (NULL or a JSON object's text) with the retrieval's "kb" object for
 * history (kb_context_history); extra itself without --kb. Caller frees. */
char *ask_kb_params(const struct ask_kb *k, const char *extra);
void ask_kb_free(struct ask_kb *k);

#endif
