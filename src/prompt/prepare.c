#include "prompt/prepare.h"

#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "prompt/render.h"

/* A JSON file given on the command line; PREP_FAILED with e naming the line of a syntax error. */
static int read_json_file(const char *path, cJSON **out, struct err *e)
{
	size_t len;
	char *text = path_read_file(path, &len, e);
	if (!text)
		return PREP_FAILED;
	const char *end = NULL;
	cJSON *j = json_parse(text, len, JSON_DATA);
	if (!j) {
		cJSON_Delete(cJSON_ParseWithOpts(text, &end, 1)); /* for the line of the error */
		int line = 1;
		for (const char *p = text; end && p < end && *p; p++)
			line += *p == '\n';
		free(text);
		err_set(e, "%s:%d: not valid JSON", path, line);
		return PREP_FAILED;
	}
	free(text);
	*out = j;
	return PREP_OK;
}

int template_bind_input(const struct template *t, const struct template_input *in, cJSON **out, struct err *e)
{
	cJSON *layers[2] = { NULL, NULL };
	int rc;
	*out = NULL;
	if (in->data_file && (rc = read_json_file(in->data_file, &layers[0], e)) != PREP_OK)
		return rc;
	if (in->vars_file && (rc = read_json_file(in->vars_file, &layers[1], e)) != PREP_OK) {
		cJSON_Delete(layers[0]);
		return rc;
	}
	*out = template_bind(t, (const cJSON *const *)layers, 2, in->sets, in->nsets, e);
	cJSON_Delete(layers[0]);
	cJSON_Delete(layers[1]);
	return *out ? PREP_OK : PREP_USAGE;
}

/* in with the prompt as one more set of the first declared variable. */
static int bind_with_prompt(const struct template *t, const struct template_input *in, cJSON **out, struct err *e)
{
	if (!in->prompt)
		return template_bind_input(t, in, out, e);
	if (!t->nvars) {
		err_set(e, "template %s declares no variables, so the prompt has nowhere to go; use --var", t->name);
		return PREP_USAGE;
	}
	const char *first = t->vars[0].name;
	size_t n = strlen(first);
	for (size_t i = 0; i < in->nsets; i++)
		if (!strncmp(in->sets[i], first, n) && in->sets[i][n] == '=') {
			err_set(e, "%s is given twice: as --var and as the prompt", first);
			return PREP_USAGE;
		}
	struct template_input with = *in;
	const char **sets = xcalloc(in->nsets + 1, sizeof *sets);
	for (size_t i = 0; i < in->nsets; i++)
		sets[i] = in->sets[i];
	char *from_prompt = xasprintf("%s=%s", first, in->prompt);
	sets[in->nsets] = from_prompt;
	with.sets = sets;
	with.nsets = in->nsets + 1;
	int rc = template_bind_input(t, &with, out, e);
	free(from_prompt);
	free(sets);
	return rc;
}

int template_prepare(struct template_prep *tp, const char *name, const struct template_input *in, int one_call,
		     struct llm_params *params, struct err *e)
{
	memset(tp, 0, sizeof *tp);
	if (!(tp->t = template_open(name, NULL, e)))
		return PREP_FAILED;
	const struct template *t = tp->t;
	int multi = template_is_chain(t) || template_is_sampled(t);
	if (one_call && multi) {
		err_set(e, "template %s runs several calls (%s); run it with aiwb ask", t->name,
			template_is_chain(t) ? "a chain of steps" : "samples and a vote");
		return PREP_USAGE;
	}
	int rc = bind_with_prompt(t, in, &tp->vars, e);
	if (rc != PREP_OK)
		return rc;
	template_merge_params(t, params);
	if (multi)
		return PREP_OK;
	if (template_render(t, -1, tp->vars, &tp->msgs, e) != 0)
		return PREP_FAILED;
	tp->messages = template_llm_messages(&tp->msgs, &tp->nmessages, &tp->system);
	if (!tp->nmessages) {
		err_set(e, "template %s renders no user message", t->name);
		return PREP_FAILED;
	}
	return PREP_OK;
}

void template_prep_free(struct template_prep *tp)
{
	template_free(tp->t);
	cJSON_Delete(tp->vars);
	template_msgs_free(&tp->msgs);
	free(tp->messages);
	free(tp->system);
	memset(tp, 0, sizeof *tp);
}
