/* bind — the variables of a template's render (prompt/template.h): layering
 * defaults, JSON objects and command-line "k=v" values, coercing them to the
 * declared types, and naming what a render needs. Pure functions over a
 * loaded template; nothing blocks. */
#ifndef AIWB_BIND_H
#define AIWB_BIND_H

#include <cjson/cJSON.h>

#include "base/err.h"
#include "prompt/template.h"

/* The variables of a render, layered: declared defaults and `examples`, then
 * the objects of `layers` in order (NULL entries skipped), then each "k=v" of
 * sets (strings coerced to the declared type). A template that declares
 * variables accepts no others (besides `examples` and step outputs). A new
 * object (caller frees), or NULL with e on a bad or unknown variable or a
 * missing required one ("template few-shot needs --var question=..."): all
 * of these are usage errors. A bare template takes any JSON as layers[0]. */
cJSON *template_bind(const struct template *t, const cJSON *const *layers, size_t nlayers,
		     const char *const *sets, size_t nsets, struct err *e);
/* The variables a render of the body cannot do without, each once: the
 * declared required ones without a default (required = 1), then the names
 * used outside any section (mustache_top_names) that have no default: for a
 * template that declares variables only declared ones, else any name but
 * `examples` (required = 0). Variables used only inside sections are
 * optional and not named. */
typedef void (*template_need_fn)(void *ud, const char *name, int required);
void template_needed_vars(const struct template *t, template_need_fn fn, void *ud);
/* Parses a "k=v" of the command line into k (caller frees) and v (in s). */
int template_split_set(const char *s, char **key, const char **value);
/* A value for a variable of type type from command-line text; NULL with e. */
cJSON *template_coerce(const char *name, enum template_type type, const char *text, struct err *e);

#endif
