/* yamldoc — a YAML document loaded with libyaml and read node by node, every
 * error a sentence "FILE:LINE:COLUMN: ..." at the node it is about.
 *
 * The text may be part of a file (front matter): line0 is the file line of
 * its first line and every position counts from there. A reader that fails
 * sets the error and returns -1 (or NULL), so callers can
 * `return yamldoc_error(...)`. Nodes and their strings are borrowed from the
 * document until yamldoc_free().
 *
 * Scalars read as YAML's core schema: only plain (unquoted) scalars are
 * null (empty, ~, null, Null, NULL), true/false or decimal numbers; quoted
 * ones are text. */
#ifndef AIWB_YAMLDOC_H
#define AIWB_YAMLDOC_H

#include <stddef.h>
#include <yaml.h>

#include <cjson/cJSON.h>

#include "base/err.h"

#define YAMLDOC_MAX_DEPTH 64     /* collections nested below the root collection */
#define YAMLDOC_MAX_NODES 100000 /* nodes yamldoc_json builds per document: aliases multiply them */
#define YAMLDOC_MAX_KEYS 4096    /* keys of one mapping yamldoc_json converts */

struct yamldoc_opts {
	const char *file;  /* borrowed until yamldoc_free: starts every error */
	int line0;         /* file line of the text's first line */
	const char *what;  /* the text, in "cannot parse <what>" when libyaml gives no reason */
	int syntax_detail; /* syntax errors add libyaml's context and place encoding errors exactly */
	size_t max_keys;   /* yamldoc_each_pair refuses mappings with more keys; 0: any number */
};

struct yamldoc {
	yaml_document_t doc;
	struct yamldoc_opts o;
	struct err *e;
	size_t budget; /* nodes yamldoc_json may still build */
};

/* 0 and a document the caller frees with yamldoc_free, or -1 and a syntax
 * error "FILE:LINE:COLUMN: YAML: ..." with nothing to free. The text must be
 * one document whose collections nest at most YAMLDOC_MAX_DEPTH deep: both
 * are checked on libyaml's event stream before the document is built (deep
 * nesting costs libyaml quadratic time), the error at the offending event. */
int yamldoc_load(struct yamldoc *d, const char *text, size_t len, const struct yamldoc_opts *o, struct err *e);
void yamldoc_free(struct yamldoc *d);

/* NULL for a document with no content. */
yaml_node_t *yamldoc_root(struct yamldoc *d);
yaml_node_t *yamldoc_node(struct yamldoc *d, int index);

/* Sets "FILE:LINE:COLUMN: <message>" at n; returns -1. */
int yamldoc_error(struct yamldoc *d, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The scalar's text, or NULL when n is NULL or not a scalar. */
const char *yamldoc_scalar(const yaml_node_t *n);
int yamldoc_is_plain(const yaml_node_t *n);
int yamldoc_is_null(const yaml_node_t *n);
int yamldoc_is_seq(const yaml_node_t *n);

#define YAMLDOC_EACH_ITEM(it, n) \
	for (yaml_node_item_t *it = (n)->data.sequence.items.start; it < (n)->data.sequence.items.top; it++)

/* Getters named by what, for the error ("temperature must be ..."). *out is
 * written only on success; yamldoc_text frees the old *out and stores the
 * scalar as written (caller frees). */
int yamldoc_text(struct yamldoc *d, const yaml_node_t *n, const char *what, char **out);
int yamldoc_number(struct yamldoc *d, const yaml_node_t *n, const char *what, double lo, double hi, double *out);
int yamldoc_int(struct yamldoc *d, const yaml_node_t *n, const char *what, int lo, int hi, int *out);
int yamldoc_bool(struct yamldoc *d, const yaml_node_t *n, const char *what, int *out);

/* Calls fn for each pair of the mapping map, in order; keys must be unique
 * text. Stops at the first fn that returns nonzero (fn sets the error) and
 * returns -1. */
typedef int (*yamldoc_pair_fn)(struct yamldoc *d, const char *key, yaml_node_t *k, yaml_node_t *v, void *ud);
int yamldoc_each_pair(struct yamldoc *d, yaml_node_t *map, const char *what, yamldoc_pair_fn fn, void *ud);

/* Walks the mapping map as yamldoc_each_pair does, putting the value of
 * keys[i] in out[i] (NULL where absent). Keys in ignored are accepted and
 * dropped; any other key is an error that lists the known ones. keys and
 * ignored (may be NULL) end with NULL; out has a slot for each key. */
int yamldoc_pick(struct yamldoc *d, yaml_node_t *map, const char *what, const char *const *keys,
		 const char *const *ignored, yaml_node_t **out);

/* n as JSON (caller frees): scalars by the core schema, mappings with text
 * keys (later duplicates win, other keys are dropped). NULL and an error at n
 * past the YAMLDOC_MAX_* limits. */
cJSON *yamldoc_json(struct yamldoc *d, yaml_node_t *n);

/* Text read as the core schema reads a plain scalar; 0, or -1 when it is not
 * one: a finite decimal number; true/yes/on/1 or false/no/off/0, any case. */
int yamldoc_parse_number(const char *s, double *out);
int yamldoc_parse_bool(const char *s, int *out);

#endif
