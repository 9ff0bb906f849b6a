/* render — a loaded template (prompt/template.h) turned into what a call
 * sends: the rendered messages, the request's system text and turns, the
 * parameters with the template filling the gaps, and the history row's
 * note of which template ran with which variables. Synchronous, no I/O
 * (partials were read when the template was loaded). */
#ifndef AIWB_RENDER_H
#define AIWB_RENDER_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/err.h"
#include "llm/provider.h"
#include "prompt/roles.h"
#include "prompt/template.h"

/* Renders the body (step -1) or step `step` with vars; appends to out (free
 * with template_msgs_free). Messages are trimmed and empty ones dropped; a
 * front matter `system` replaces the body's system messages. A bare template
 * gives one user message holding the rendering untouched. Errors name the
 * file and line ("FILE:LINE:COLUMN: ..."). */
int template_render(const struct template *t, int step, const cJSON *vars, struct template_msgs *out,
		    struct err *e);
/* The request parts of rendered messages: the system messages joined by a
 * blank line (*system, caller frees, NULL when none) and the others as an
 * array (caller frees; strings borrowed from m). */
struct llm_message *template_llm_messages(const struct template_msgs *m, size_t *n, char **system);
/* Fills the parameters p does not set from the template's (stop: the
 * template's when p has none; borrowed from t). */
void template_merge_params(const struct template *t, struct llm_params *p);
/* {"temperature", "top_p", "max_tokens", "stop"}: the set ones. */
cJSON *template_params_json(const struct llm_params *p);
/* {"template": NAME, "vars": {...}} for the history row of a template run
 * (examples and step outputs left out). Caller frees. */
char *template_history_json(const struct template *t, const cJSON *vars);

#endif
