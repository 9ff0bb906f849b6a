/* spec — an experiment file (docs/experiments.md) and its dataset, loaded
 * and checked before anything runs.
 *
 * The file is YAML: name, description, prompts (inline Mustache text with
 * system:/user:/assistant: markers as in a template body, or a template by
 * name or path; one-call templates only), models
 * (PROVIDER/MODEL), dataset (.csv with a header row, or .jsonl with one JSON
 * object a line; relative to the file), system, parameters (temperature,
 * top_p, max_tokens), assert (a list of one-key maps, exp/assert.h),
 * concurrency, limits (per provider: concurrency, rpm) and kb (one
 * retrieval setting or a list: a knowledge base with k, mode, filter and the
 * query, whose sources each case's prompt gets as {{context}}; the prompt
 * defaults to the built-in rag template then; an entry of prompts may have
 * its own kb:, which replaces the file's for it). Every row of the dataset is
 * one case per prompt, kb setting of that prompt and model; without a
 * dataset there is one case with no variables.
 *
 * Errors are one sentence with a place: "FILE:LINE:COLUMN: ..." for the YAML
 * file, "DATASET:line N: ..." for the dataset. Loading is synchronous file
 * work and never touches the network or the database. */
#ifndef AIWB_EXP_SPEC_H
#define AIWB_EXP_SPEC_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/err.h"
#include "exp/assert.h"
#include "llm/provider.h"
#include "prompt/template.h"

#define EXP_MAX_ROWS 100000
#define EXP_MAX_CASES 100000
#define EXP_MAX_CONCURRENCY 64
#define EXP_CONCURRENCY_DEFAULT 4

struct exp_prompt {
	char *name;              /* given, or the template's name, or "prompt" */
	struct template *t;
	int is_inline;           /* prompt: text (a template without declared variables) */
	size_t kb_first, nkb;    /* its kb settings, kbs[kb_first..+nkb): its own kb:, else the file's;
				  * nkb 0: its cases do not retrieve */
};

struct exp_limit {
	char *provider;
	int concurrency;         /* 0: no per-provider limit */
	double rpm;              /* requests started per minute; 0: no limit */
};

#define EXP_KB_QUERY_DEFAULT "{{question}}"
#define EXP_KB_K_MAX 50

/* One retrieval setting of kb: (docs/experiments.md). */
struct exp_kb {
	char *label;             /* how the report names it: given, or the KB's name */
	char *name;              /* the knowledge base */
	int k;                   /* 1..50, default 5 */
	int mode;                /* enum kb_mode, default bm25 */
	char *filter;            /* a kb/filter.h expression, or NULL */
	char *query;             /* Mustache text rendered with the row (EXP_KB_QUERY_DEFAULT) */
	int prompt;              /* the prompt whose own kb: it is, or -1 for the file's kb: */
};

struct exp_spec {
	char *path;              /* as given */
	char *name, *description;
	struct exp_prompt *prompts;
	size_t nprompts;
	char **models;
	size_t nmodels;
	char *dataset;           /* as written; NULL when none */
	cJSON *rows;             /* array of objects (one {} without a dataset) */
	cJSON **row;             /* the same by index (borrowed from rows) */
	size_t nrows;
	struct exp_assert *asserts;
	size_t nasserts;
	char *system;            /* NULL when none */
	struct llm_params params;
	int concurrency;
	struct exp_limit *limits;
	size_t nlimits;
	struct exp_kb *kbs;      /* the file's, then each prompt's own; none: no case retrieves */
	size_t nkbs;
};

/* Loads path and its dataset into s (zeroed first; free with exp_spec_free
 * also after a failure). -1 with e. */
int exp_spec_load(struct exp_spec *s, const char *path, struct err *e);
/* The same from text already read; path names it and locates the dataset. */
int exp_spec_parse(struct exp_spec *s, const char *text, size_t len, const char *path, struct err *e);
void exp_spec_free(struct exp_spec *s);
/* How many cases the spec makes: rows x (prompt x its kb settings, or 1) x models. */
size_t exp_spec_cases(const struct exp_spec *s);
/* The limit for a provider name, or NULL. */
const struct exp_limit *exp_spec_limit(const struct exp_spec *s, const char *provider);
/* Loads a dataset file (.csv or .jsonl) into an array of row objects; -1 with e. */
cJSON *exp_dataset_load(const char *path, const char *shown_as, struct err *e);
/* Parses CSV text with a header row into row objects (name -> string). */
cJSON *exp_dataset_csv(const char *text, size_t len, const char *shown_as, struct err *e);
/* Parses JSONL text (one object a line, blank lines skipped). */
cJSON *exp_dataset_jsonl(const char *text, size_t len, const char *shown_as, struct err *e);

#endif
