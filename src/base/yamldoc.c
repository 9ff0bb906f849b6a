#include "base/yamldoc.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/xmalloc.h"

int yamldoc_parse_number(const char *s, double *out)
{
	if (!*s || strspn(s, "0123456789+-.eE") != strlen(s) || !strpbrk(s, "0123456789"))
		return -1;
	char *end;
	errno = 0;
	double d = strtod(s, &end);
	if (errno || *end || !isfinite(d))
		return -1;
	*out = d;
	return 0;
}

int yamldoc_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" }, *const no[] = { "false", "no", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
			*out = strcasecmp(s, yes[i]) == 0;
			return 0;
		}
	}
	return -1;
}

static int syntax_error(const yaml_parser_t *p, const char *text, size_t len, const struct yamldoc_opts *o,
			struct err *e)
{
	size_t line = p->problem_mark.line, col = p->problem_mark.column;
	char ctx[256] = "";
	if (o->syntax_detail) {
		if (p->error == YAML_READER_ERROR) {
			line = col = 0;
			for (size_t i = 0; i < p->problem_offset && i < len; i++, col++)
				if (text[i] == '\n')
					line++, col = (size_t)-1;
		}
		if (p->context)
			snprintf(ctx, sizeof ctx, " (%s at line %d)", p->context, o->line0 + (int)p->context_mark.line);
	}
	if (p->problem)
		return err_set(e, "%s:%d:%d: YAML: %s%s", o->file, o->line0 + (int)line, (int)col + 1, p->problem, ctx);
	return err_set(e, "%s:%d:%d: YAML: cannot parse %s%s", o->file, o->line0 + (int)line, (int)col + 1, o->what,
		       ctx);
}

/* Reads the event stream before libyaml builds the document: its scanner
 * and loader take time quadratic in the nesting depth, so a collection
 * nested deeper than YAMLDOC_MAX_DEPTH stops here, at its first event; a
 * second document is refused rather than silently dropped. A syntax error
 * is reported as the loader would. */
static int check_events(const char *text, size_t len, const struct yamldoc_opts *o, struct err *e)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0, docs = 0, rc = 0;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	for (;;) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = syntax_error(&p, text, len, o, e);
			break;
		}
		yaml_event_type_t type = ev.type;
		int line = o->line0 + (int)ev.start_mark.line, col = (int)ev.start_mark.column + 1;
		if (type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT) {
			if (++depth > YAMLDOC_MAX_DEPTH + 1) /* the root collection is level 0 */
				rc = err_set(e, "%s:%d:%d: YAML nested more than %d levels deep; flatten %s", o->file,
					     line, col, YAMLDOC_MAX_DEPTH, o->what);
		} else if (type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT) {
			depth--;
		} else if (type == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
			rc = err_set(e, "%s:%d:%d: a second YAML document starts here; %s must be one document "
				     "(remove the '---' or '...' line)", o->file, line, col, o->what);
		}
		yaml_event_delete(&ev);
		if (rc || type == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&p);
	return rc;
}

int yamldoc_load(struct yamldoc *d, const char *text, size_t len, const struct yamldoc_opts *o, struct err *e)
{
	yaml_parser_t p;
	memset(d, 0, sizeof *d);
	d->o = *o;
	d->e = e;
	d->budget = YAMLDOC_MAX_NODES;
	if (check_events(text, len, o, e) != 0)
		return -1;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	int rc = yaml_parser_load(&p, &d->doc) ? 0 : syntax_error(&p, text, len, o, e);
	yaml_parser_delete(&p);
	return rc;
}

void yamldoc_free(struct yamldoc *d)
{
	yaml_document_delete(&d->doc);
}

yaml_node_t *yamldoc_root(struct yamldoc *d)
{
	return yaml_document_get_root_node(&d->doc);
}

yaml_node_t *yamldoc_node(struct yamldoc *d, int index)
{
	return yaml_document_get_node(&d->doc, index);
}

int yamldoc_error(struct yamldoc *d, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[sizeof d->e->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return err_set(d->e, "%s:%d:%d: %s", d->o.file, d->o.line0 + (int)n->start_mark.line,
		       (int)n->start_mark.column + 1, msg);
}

const char *yamldoc_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

int yamldoc_is_plain(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

int yamldoc_is_null(const yaml_node_t *n)
{
	const char *s = yamldoc_scalar(n);
	return s && yamldoc_is_plain(n) &&
	       (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"));
}

int yamldoc_is_seq(const yaml_node_t *n)
{
	return n->type == YAML_SEQUENCE_NODE;
}

int yamldoc_text(struct yamldoc *d, const yaml_node_t *n, const char *what, char **out)
{
	const char *s = yamldoc_scalar(n);
	if (!s)
		return yamldoc_error(d, n, "%s must be text, not a %s", what, yamldoc_is_seq(n) ? "list" : "mapping");
	free(*out);
	*out = xstrdup(s);
	return 0;
}

int yamldoc_number(struct yamldoc *d, const yaml_node_t *n, const char *what, double lo, double hi, double *out)
{
	const char *s = yamldoc_scalar(n);
	double v;
	if (!s || !yamldoc_is_plain(n) || yamldoc_parse_number(s, &v) != 0 || v < lo || v > hi)
		return yamldoc_error(d, n, "%s must be a number from %g to %g", what, lo, hi);
	*out = v;
	return 0;
}

int yamldoc_int(struct yamldoc *d, const yaml_node_t *n, const char *what, int lo, int hi, int *out)
{
	double v;
	if (yamldoc_number(d, n, what, lo, hi, &v) != 0 || v != floor(v))
		return yamldoc_error(d, n, "%s must be a whole number from %d to %d", what, lo, hi);
	*out = (int)v;
	return 0;
}

int yamldoc_bool(struct yamldoc *d, const yaml_node_t *n, const char *what, int *out)
{
	const char *s = yamldoc_scalar(n);
	int b;
	if (!s || !yamldoc_is_plain(n) || yamldoc_parse_bool(s, &b) != 0)
		return yamldoc_error(d, n, "%s must be true or false", what);
	*out = b;
	return 0;
}

int yamldoc_each_pair(struct yamldoc *d, yaml_node_t *map, const char *what, yamldoc_pair_fn fn, void *ud)
{
	if (map->type != YAML_MAPPING_NODE)
		return yamldoc_error(d, map, "%s must be a mapping of keys to values", what);
	yaml_node_pair_t *start = map->data.mapping.pairs.start, *top = map->data.mapping.pairs.top;
	if (d->o.max_keys && (size_t)(top - start) > d->o.max_keys)
		return yamldoc_error(d, map, "%s has more than %zu keys", what, d->o.max_keys);
	for (yaml_node_pair_t *p = start; p < top; p++) {
		yaml_node_t *k = yamldoc_node(d, p->key), *v = yamldoc_node(d, p->value);
		const char *key = yamldoc_scalar(k);
		if (!key)
			return yamldoc_error(d, k, "the keys of %s must be text", what);
		for (yaml_node_pair_t *q = start; q < p; q++) {
			const char *other = yamldoc_scalar(yamldoc_node(d, q->key));
			if (other && !strcmp(other, key))
				return yamldoc_error(d, k, "'%s' appears twice in %s", key, what);
		}
		if (fn(d, key, k, v, ud) != 0)
			return -1;
	}
	return 0;
}

struct pick {
	const char *const *keys, *const *ignored;
	yaml_node_t **out;
};

static int pick_pair(struct yamldoc *d, const char *key, yaml_node_t *k, yaml_node_t *v, void *ud)
{
	struct pick *p = ud;
	for (size_t i = 0; p->keys[i]; i++) {
		if (!strcmp(key, p->keys[i])) {
			p->out[i] = v;
			return 0;
		}
	}
	for (size_t i = 0; p->ignored && p->ignored[i]; i++)
		if (!strcmp(key, p->ignored[i]))
			return 0;
	struct buf known = BUF_INIT;
	for (size_t i = 0; p->keys[i]; i++)
		buf_printf(&known, "%s%s", i ? ", " : "", p->keys[i]);
	for (size_t i = 0; p->ignored && p->ignored[i]; i++)
		buf_printf(&known, ", %s", p->ignored[i]);
	yamldoc_error(d, k, "unknown key '%s' (known: %s)", key, known.data ? known.data : "");
	buf_free(&known);
	return -1;
}

int yamldoc_pick(struct yamldoc *d, yaml_node_t *map, const char *what, const char *const *keys,
		 const char *const *ignored, yaml_node_t **out)
{
	struct pick p = { keys, ignored, out };
	for (size_t i = 0; keys[i]; i++)
		out[i] = NULL;
	return yamldoc_each_pair(d, map, what, pick_pair, &p);
}

static cJSON *scalar_json(const yaml_node_t *n)
{
	const char *s = yamldoc_scalar(n);
	if (yamldoc_is_plain(n)) {
		double v;
		int b;
		if (yamldoc_is_null(n))
			return cJSON_CreateNull();
		if ((!strcasecmp(s, "true") || !strcasecmp(s, "false")) && yamldoc_parse_bool(s, &b) == 0)
			return cJSON_CreateBool(b);
		if (yamldoc_parse_number(s, &v) == 0)
			return cJSON_CreateNumber(v);
	}
	return cJSON_CreateString(s);
}

static cJSON *node_json(struct yamldoc *d, yaml_node_t *n, int depth)
{
	if (!n || depth > YAMLDOC_MAX_DEPTH || d->budget == 0)
		return NULL;
	d->budget--;
	if (n->type == YAML_SCALAR_NODE)
		return scalar_json(n);
	if (n->type == YAML_SEQUENCE_NODE) {
		cJSON *a = cJSON_CreateArray();
		YAMLDOC_EACH_ITEM(it, n)
		{
			cJSON *v = node_json(d, yamldoc_node(d, *it), depth + 1);
			if (!v) {
				cJSON_Delete(a);
				return NULL;
			}
			cJSON_AddItemToArray(a, v);
		}
		return a;
	}
	if (n->type == YAML_MAPPING_NODE) {
		if (n->data.mapping.pairs.top - n->data.mapping.pairs.start > YAMLDOC_MAX_KEYS)
			return NULL;
		cJSON *o = cJSON_CreateObject();
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			const char *k = yamldoc_scalar(yamldoc_node(d, p->key));
			cJSON *v = node_json(d, yamldoc_node(d, p->value), depth + 1);
			if (!v) {
				cJSON_Delete(o);
				return NULL;
			}
			if (!k) {
				cJSON_Delete(v);
				continue;
			}
			cJSON_DeleteItemFromObjectCaseSensitive(o, k);
			cJSON_AddItemToObject(o, k, v);
		}
		return o;
	}
	return cJSON_CreateNull();
}

cJSON *yamldoc_json(struct yamldoc *d, yaml_node_t *n)
{
	cJSON *j = node_json(d, n, 0);
	if (!j)
		yamldoc_error(d, n, "this value is nested too deeply, has too many keys or expands to too much "
				    "(YAML aliases?)");
	return j;
}
