/* mustache — the template renderer: Mustache as the official spec v1.4.2
 * defines it (interpolation, sections, inverted sections, comments, partials,
 * set delimiters) plus the optional inheritance ({{<parent}} with {{$block}})
 * and dynamic names ({{>*name}}, {{<*name}}); no lambdas (data is JSON).
 *
 * A template is compiled once and rendered many times. mustache_parse copies
 * the text, checks it whole and reports the first error as "line L, column C:
 * sentence" (columns count characters from 1; an error inside a partial starts
 * "partial 'NAME': "). Partials named in the text are loaded through the
 * callback while parsing and kept with the template; dynamic names are loaded
 * on first use while rendering, so rendering may add to that cache: never
 * render one template from two threads at once. A partial the callback does
 * not know renders as nothing, as the spec wants.
 *
 * Data is a cJSON tree, borrowed for the call. Falsey for sections: false,
 * null, a missing name and the empty list (and "" when empty_string_falsey is
 * set; the spec treats it as true). Interpolation writes strings as they are,
 * numbers the shortest way that reads back the same (85, 1.21), true/false,
 * nothing for null, and lists and objects as compact JSON.
 *
 * Untrusted templates and data are safe: partials and parents nest at most
 * max_depth deep, sections at most MUSTACHE_MAX_NESTING deep, and a render
 * stops with an error past max_output bytes or max_steps tags and texts. */
#ifndef AIWB_MUSTACHE_H
#define AIWB_MUSTACHE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "base/err.h"

#define MUSTACHE_MAX_DEPTH_DEFAULT 64
#define MUSTACHE_MAX_OUTPUT_DEFAULT ((size_t)64 << 20)
#define MUSTACHE_MAX_STEPS_DEFAULT ((size_t)16 << 20)
#define MUSTACHE_MAX_NESTING 256
#define MUSTACHE_MAX_PARTIALS 1024

/* Returns the text of partial `name` (len bytes in *len), or NULL when there
 * is none. The text is copied before the next call; name is NUL-terminated
 * and comes from the template or the data: the callback must refuse names it
 * would not load (aiwb loads DIR/NAME.mustache and rejects '/' and "..").
 * Called while parsing and, for dynamic names, while rendering. */
typedef const char *(*mustache_partial_fn)(void *ud, const char *name, size_t *len);

struct mustache_opts {
	bool escape_html;         /* {{x}} escapes & < > " ' (spec); prompts turn it off */
	bool empty_string_falsey; /* "" hides {{#x}} and shows {{^x}} (not the spec) */
	mustache_partial_fn partial; /* NULL: every partial is empty */
	void *ud;                 /* for partial; must outlive the template */
	int max_depth;            /* partial and parent nesting; 0: the default */
	size_t max_output;        /* bytes one render may add; 0: the default */
	size_t max_steps;         /* nodes one render may visit; 0: the default */
};

/* The spec's behaviour; start from this rather than from zeroes. */
#define MUSTACHE_OPTS_INIT {.escape_html = true}

struct mustache;

/* Compiles tmpl[0..len) (NUL bytes allowed). o NULL means MUSTACHE_OPTS_INIT;
 * it is copied. NULL with e set on a syntax error: an unclosed tag, section or
 * parent, a closing tag that does not match, a bad delimiter change, an empty
 * or malformed name, too deep nesting, or the same in a partial. Free with
 * mustache_free. */
struct mustache *mustache_parse(const char *tmpl, size_t len, const struct mustache_opts *o,
				struct err *e);
void mustache_free(struct mustache *m);

/* Appends the rendering of m with data (NULL: no data) to out. 0, or -1 with
 * e set and out as it was (partials nested too deep, a limit passed, a broken
 * partial loaded by dynamic name). */
int mustache_render(const struct mustache *m, const cJSON *data, struct buf *out, struct err *e);

/* Calls fn with the first part of every name interpolated outside any
 * section ({{x}}, {{{x.y}}}: "x"), also through static partials, parents and
 * blocks: the names a render always looks up. Repeats are not removed. */
typedef void (*mustache_name_fn)(void *ud, const char *name);
void mustache_top_names(const struct mustache *m, mustache_name_fn fn, void *ud);

/* Parse and render in one call: a new string (caller frees), or NULL with e set. */
char *mustache_render_string(const char *tmpl, const cJSON *data, const struct mustache_opts *o,
			     struct err *e);

#endif
