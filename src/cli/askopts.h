/* askopts — the options `aiwb ask` and `aiwb compare` share (DESIGN.md §5):
 * models, system prompt, sampling parameters, output modes and the prompt
 * (an argument, or standard input with '-' or when stdin is not a terminal). */
#ifndef AIWB_ASKOPTS_H
#define AIWB_ASKOPTS_H

#include <stddef.h>

#include "base/buf.h"
#include "llm/provider.h"

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
};

/* Parses argv (argv[0] is the command). max_models is 1 for ask. Returns 0,
 * or the exit status of a usage error already reported. */
int ask_opts_parse(struct ask_opts *o, const char *cmd, size_t max_models, int argc, char **argv);
void ask_opts_free(struct ask_opts *o);

#endif
