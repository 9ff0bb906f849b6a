#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/path.h"
#include "base/secret.h"
#include "base/xmalloc.h"

#define CONFIG_MAX_BYTES (1024 * 1024)
#define MAX_WARNINGS 100
#define EXCERPT_MAX 20
#define NAME_SHOWN_MAX 48
#define NO_POS ((size_t)-1)

static const char *const provider_types[] = {"openai", "anthropic", "bedrock", "ollama", NULL};
static const char *const log_levels[] = {"debug", "info", "warn", "error", NULL};
static const char *const kb_modes[] = {"bm25", "vector", "hybrid", NULL};
static const char *const guard_actions[] = {"off", "report", "mask", "block", "bedrock:ID:VERSION", NULL};
static const char *const on_off[] = {"on", "off", NULL};

struct loader {
	const char *name;
	const char *orig;     /* the text as given: line:col are counted here */
	const char *text;     /* comments blanked, NUL-terminated, same offsets */
	size_t len;
	struct config *c;
	struct err *e;
	size_t suppressed;    /* warnings beyond MAX_WARNINGS */
	size_t loc_off, loc_line_start;
	unsigned loc_line;
};

struct member {
	const char *key;
	const cJSON *value;
	size_t key_off, val_off;
	int has_earlier, has_later;
};

struct members {
	struct member *v;
	size_t n;
};

enum key_type { KEY_INT, KEY_NUMBER, KEY_STRING, KEY_CHOICE };

struct key_spec {
	const char *section, *key, *path;
	enum key_type type;
	size_t offset;
	int int_default;
	const char *string_default;
	int min, max;
	const char *const *choices;
};

static const struct key_spec key_specs[] = {
#define KEY_SPEC(section, key, type, field, idef, sdef, min, max, choices, help) \
	{ section, key, section "." key, KEY_##type, offsetof(struct config, field), idef, sdef, min, max, choices },
	CONFIG_KEYS(KEY_SPEC)
#undef KEY_SPEC
};

#define NKEY_SPECS (sizeof key_specs / sizeof *key_specs)

static int *int_field(struct config *c, const struct key_spec *k)
{
	return (int *)(void *)((char *)c + k->offset);
}

static double *number_field(struct config *c, const struct key_spec *k)
{
	return (double *)(void *)((char *)c + k->offset);
}

static char **string_field(struct config *c, const struct key_spec *k)
{
	return (char **)(void *)((char *)c + k->offset);
}

static void config_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < NKEY_SPECS; i++) {
		const struct key_spec *k = &key_specs[i];
		if (k->type == KEY_INT)
			*int_field(c, k) = k->int_default;
		else if (k->type == KEY_NUMBER)
			*number_field(c, k) = k->int_default;
		else if (k->string_default)
			*string_field(c, k) = xstrdup(k->string_default);
	}
}

void config_free(struct config *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->theme);
	free(c->default_model);
	for (size_t i = 0; i < c->nproviders; i++) {
		struct config_provider *p = &c->providers[i];
		free(p->name);
		free(p->type);
		free(p->base_url);
		free(p->api_key_env);
		free(p->region);
		free(p->profile);
	}
	free(c->providers);
	for (size_t i = 0; i < c->nkeys; i++) {
		free(c->keys[i].action);
		free(c->keys[i].key);
	}
	free(c->keys);
	for (size_t i = 0; i < c->nprices; i++)
		free(c->prices[i].model);
	free(c->prices);
	for (size_t i = 0; i < NKEY_SPECS; i++)
		if (key_specs[i].type == KEY_STRING || key_specs[i].type == KEY_CHOICE)
			free(*string_field(c, &key_specs[i]));
	for (size_t i = 0; i < c->nguard_denied_words; i++)
		free(c->guard_denied_words[i]);
	free(c->guard_denied_words);
	for (size_t i = 0; i < c->nguard_patterns; i++) {
		free(c->guard_patterns[i].name);
		free(c->guard_patterns[i].regex);
	}
	free(c->guard_patterns);
	for (size_t i = 0; i < c->nalerts; i++) {
		free(c->alerts[i].rule);
		free(c->alerts[i].jobs);
		free(c->alerts[i].exec);
	}
	free(c->alerts);
	for (size_t i = 0; i < c->nwarnings; i++)
		free(c->warnings[i]);
	free(c->warnings);
	memset(c, 0, sizeof *c);
}

/* Printable ASCII only: other bytes (a whole UTF-8 sequence at a time) become '?'. */
static void put_sanitized(struct buf *b, const char *s, size_t n, size_t max_chars)
{
	size_t shown = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 0x80 && (ch & 0xC0) == 0x80 && i > 0 && ((unsigned char)s[i - 1] & 0x80))
			continue;
		if (shown == max_chars) {
			buf_puts(b, "...");
			return;
		}
		buf_putc(b, ch >= 0x20 && ch < 0x7f ? (char)ch : '?');
		shown++;
	}
}

static char *sanitized(const char *s, size_t max_chars)
{
	struct buf b = BUF_INIT;
	put_sanitized(&b, s, strlen(s), max_chars);
	return buf_detach(&b);
}

static char *key_path(const char *prefix, const char *key)
{
	struct buf b = BUF_INIT;
	if (prefix && *prefix) {
		buf_puts(&b, prefix);
		buf_putc(&b, '.');
	}
	put_sanitized(&b, key, strlen(key), NAME_SHOWN_MAX);
	return buf_detach(&b);
}

static void locate(struct loader *l, size_t off, unsigned *line, unsigned *col)
{
	if (off > l->len)
		off = l->len;
	if (off < l->loc_off) {
		l->loc_off = 0;
		l->loc_line = 1;
		l->loc_line_start = 0;
	}
	for (size_t i = l->loc_off; i < off; i++) {
		if (l->orig[i] == '\n') {
			l->loc_line++;
			l->loc_line_start = i + 1;
		}
	}
	l->loc_off = off;
	unsigned n = 1;
	for (size_t i = l->loc_line_start; i < off; i++)
		if (((unsigned char)l->orig[i] & 0xC0) != 0x80)
			n++;
	*line = l->loc_line;
	*col = n;
}

/* Up to EXCERPT_MAX characters of the blanked text from off, to the end of the line. */
static char *excerpt_at(const struct loader *l, size_t off)
{
	while (off < l->len && (l->text[off] == ' ' || l->text[off] == '\t'))
		off++;
	if (off >= l->len)
		return xstrdup("end of file");
	if (l->text[off] == '\n' || l->text[off] == '\r')
		return xstrdup("end of line");
	size_t end = off;
	while (end < l->len && l->text[end] != '\n' && l->text[end] != '\r')
		end++;
	while (end > off && l->text[end - 1] == ' ')
		end--;
	struct buf b = BUF_INIT;
	buf_putc(&b, '\'');
	put_sanitized(&b, l->text + off, end - off, EXCERPT_MAX);
	buf_putc(&b, '\'');
	return buf_detach(&b);
}

static int fail_at(struct loader *l, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_at(struct loader *l, size_t off, const char *fmt, ...)
{
	if (!l->e)
		return -1;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (off == NO_POS)
		return err_set(l->e, "%s: %s", l->name, msg);
	unsigned line, col;
	locate(l, off, &line, &col);
	return err_set(l->e, "%s:%u:%u: %s", l->name, line, col, msg);
}

static void push_warning(struct config *c, char *w)
{
	c->warnings = xreallocarray(c->warnings, c->nwarnings + 1, sizeof *c->warnings);
	c->warnings[c->nwarnings++] = w;
}

/* "FILE:LINE", or "FILE" when the position is unknown; caller frees. */
static char *where_line(struct loader *l, size_t off)
{
	if (off == NO_POS)
		return xstrdup(l->name);
	unsigned line, col;
	locate(l, off, &line, &col);
	return xasprintf("%s:%u", l->name, line);
}

static int warnings_full(struct loader *l)
{
	if (l->c->nwarnings < MAX_WARNINGS)
		return 0;
	l->suppressed++;
	return 1;
}

/* ---- comments ---- */

/* Blanks // and block comments with spaces, keeping newlines so offsets and
 * lines stay put. Returns 0, or -1 with *bad at an unterminated block comment. */
static int blank_comments(char *t, size_t len, size_t *bad)
{
	size_t i = 0;
	while (i < len) {
		if (t[i] == '"') {
			i++;
			while (i < len && t[i] != '"') {
				if (t[i] == '\\' && i + 1 < len)
					i++;
				i++;
			}
			i++;
		} else if (t[i] == '/' && i + 1 < len && t[i + 1] == '/') {
			while (i < len && t[i] != '\n')
				t[i++] = ' ';
		} else if (t[i] == '/' && i + 1 < len && t[i + 1] == '*') {
			size_t start = i;
			t[i++] = ' ';
			t[i++] = ' ';
			while (i < len && !(t[i] == '*' && i + 1 < len && t[i + 1] == '/')) {
				if (t[i] != '\n' && t[i] != '\r')
					t[i] = ' ';
				i++;
			}
			if (i >= len) {
				*bad = start;
				return -1;
			}
			t[i++] = ' ';
			t[i++] = ' ';
		} else {
			i++;
		}
	}
	return 0;
}

/* ---- syntax diagnosis: runs only when cJSON rejected the text, to say what and where ---- */

struct diag {
	struct loader *l;
	const char *t;
	size_t len, pos;
	size_t err_pos;
	char msg[256];
};

static int diag_fail(struct diag *d, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int diag_fail(struct diag *d, size_t pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof d->msg, fmt, ap);
	va_end(ap);
	d->err_pos = pos;
	return -1;
}

static int diag_fail_near(struct diag *d, size_t pos, size_t near, const char *what)
{
	char *ex = excerpt_at(d->l, near);
	diag_fail(d, pos, "%s %s", what, ex);
	free(ex);
	return -1;
}

static void diag_ws(struct diag *d)
{
	while (d->pos < d->len && (unsigned char)d->t[d->pos] <= ' ')
		d->pos++;
}

static int diag_unclosed(struct diag *d, size_t open)
{
	unsigned line, col;
	locate(d->l, open, &line, &col);
	return diag_fail(d, d->len, "unexpected end of file: the '%c' at line %u:%u is never closed",
			 d->t[open], line, col);
}

static int hex4(const char *s, size_t avail, unsigned *out)
{
	unsigned v = 0;
	if (avail < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char ch = s[i];
		v <<= 4;
		if (ch >= '0' && ch <= '9')
			v |= (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			v |= (unsigned)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			v |= (unsigned)(ch - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static int diag_string(struct diag *d)
{
	size_t open = d->pos++;
	while (d->pos < d->len) {
		char ch = d->t[d->pos];
		if (ch == '"') {
			d->pos++;
			return 0;
		}
		if (ch == '\n')
			return diag_fail(d, open, "unterminated string (a string cannot span lines)");
		if (ch != '\\') {
			d->pos++;
			continue;
		}
		if (d->pos + 1 >= d->len)
			break;
		char esc = d->t[d->pos + 1];
		if (esc && strchr("\"\\/bfnrt", esc)) {
			d->pos += 2;
			continue;
		}
		if (esc != 'u') {
			unsigned char shown = (unsigned char)esc;
			return diag_fail(d, d->pos, "invalid escape '\\%c' in a string",
					 shown >= 0x20 && shown < 0x7f ? shown : '?');
		}
		unsigned cp, lo;
		if (hex4(d->t + d->pos + 2, d->len - d->pos - 2, &cp))
			return diag_fail(d, d->pos, "invalid \\u escape in a string (it needs 4 hex digits)");
		if (cp >= 0xDC00 && cp <= 0xDFFF)
			return diag_fail(d, d->pos, "invalid \\u escape: unpaired UTF-16 surrogate");
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			size_t next = d->pos + 6;
			if (next + 1 >= d->len || d->t[next] != '\\' || d->t[next + 1] != 'u' ||
			    hex4(d->t + next + 2, d->len - next - 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
				return diag_fail(d, d->pos, "invalid \\u escape: unpaired UTF-16 surrogate");
			d->pos += 6;
		}
		d->pos += 6;
	}
	return diag_fail(d, open, "unterminated string");
}

/* Same acceptance as cJSON: the longest strtod prefix of [0-9+-.eE]{1,63}. */
static int diag_number(struct diag *d)
{
	char num[64];
	size_t n = 0;
	while (n < sizeof num - 1 && d->pos + n < d->len && d->t[d->pos + n] &&
	       strchr("0123456789+-.eE", d->t[d->pos + n])) {
		num[n] = d->t[d->pos + n];
		n++;
	}
	num[n] = '\0';
	char *end;
	strtod(num, &end);
	if (end == num)
		return diag_fail_near(d, d->pos, d->pos, "invalid number near");
	d->pos += (size_t)(end - num);
	return 0;
}

static int diag_value(struct diag *d, int depth);

static int diag_container(struct diag *d, int depth)
{
	size_t open = d->pos;
	char close = d->t[open] == '{' ? '}' : ']';
	int is_object = close == '}';
	size_t comma = NO_POS;
	if (depth >= CJSON_NESTING_LIMIT)
		return diag_fail(d, open, "nested too deeply (more than %d levels)", CJSON_NESTING_LIMIT);
	d->pos++;
	diag_ws(d);
	if (d->pos < d->len && d->t[d->pos] == close) {
		d->pos++;
		return 0;
	}
	for (;;) {
		diag_ws(d);
		if (d->pos >= d->len)
			return diag_unclosed(d, open);
		if (comma != NO_POS && d->t[d->pos] == close)
			return diag_fail(d, comma, "trailing comma before '%c' is not allowed", close);
		if (is_object) {
			if (d->t[d->pos] == '\'')
				return diag_fail_near(d, d->pos, d->pos, "keys need double quotes, not single, near");
			if (d->t[d->pos] != '"')
				return diag_fail_near(d, d->pos, d->pos, "expected a key in double quotes near");
			if (diag_string(d))
				return -1;
			size_t key_end = d->pos;
			diag_ws(d);
			if (d->pos >= d->len)
				return diag_unclosed(d, open);
			if (d->t[d->pos] != ':')
				return diag_fail_near(d, key_end, d->pos, "expected ':' after the key, before");
			d->pos++;
		}
		if (diag_value(d, depth + 1))
			return -1;
		size_t value_end = d->pos;
		diag_ws(d);
		if (d->pos >= d->len)
			return diag_unclosed(d, open);
		if (d->t[d->pos] == ',') {
			comma = d->pos++;
			continue;
		}
		if (d->t[d->pos] == close) {
			d->pos++;
			return 0;
		}
		return diag_fail_near(d, value_end, d->pos,
				      is_object ? "expected ',' or '}' before" : "expected ',' or ']' before");
	}
}

static int diag_value(struct diag *d, int depth)
{
	diag_ws(d);
	if (d->pos >= d->len)
		return diag_fail(d, d->pos, "unexpected end of file: expected a value");
	char ch = d->t[d->pos];
	if (ch == '{' || ch == '[')
		return diag_container(d, depth);
	if (ch == '"')
		return diag_string(d);
	if (ch == '-' || (ch >= '0' && ch <= '9'))
		return diag_number(d);
	static const char *const literals[] = {"true", "false", "null"};
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(literals[i]);
		if (d->len - d->pos >= n && memcmp(d->t + d->pos, literals[i], n) == 0) {
			d->pos += n;
			return 0;
		}
	}
	if (ch == '\'')
		return diag_fail_near(d, d->pos, d->pos, "strings need double quotes, not single, near");
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))
		return diag_fail_near(d, d->pos, d->pos, "expected a value (strings need double quotes) near");
	return diag_fail_near(d, d->pos, d->pos, "expected a value near");
}

/* Fills d->msg and d->err_pos; returns 0 when it finds nothing wrong. */
static int diagnose(struct diag *d, size_t start)
{
	d->pos = start;
	if (diag_value(d, 0))
		return -1;
	diag_ws(d);
	if (d->pos < d->len)
		return diag_fail_near(d, d->pos, d->pos, "unexpected text after the end of the top-level object:");
	return 0;
}

/* ---- where each member of a parsed object sits in the text ---- */

static size_t skip_ws(const struct loader *l, size_t p)
{
	while (p < l->len && (unsigned char)l->text[p] <= ' ')
		p++;
	return p;
}

static size_t skip_string(const struct loader *l, size_t p)
{
	p++;
	while (p < l->len && l->text[p] != '"') {
		if (l->text[p] == '\\')
			p++;
		p++;
	}
	return p < l->len ? p + 1 : l->len;
}

static size_t skip_value(const struct loader *l, size_t p)
{
	size_t depth = 0;
	while (p < l->len) {
		char ch = l->text[p];
		if (ch == '"') {
			p = skip_string(l, p);
			if (depth == 0)
				return p;
			continue;
		}
		if (ch == '{' || ch == '[') {
			depth++;
		} else if (ch == '}' || ch == ']') {
			if (depth == 0)
				return p;
			if (--depth == 0)
				return p + 1;
		} else if (depth == 0 && (ch == ',' || (unsigned char)ch <= ' ')) {
			return p;
		}
		p++;
	}
	return p;
}

static int member_cmp(const void *a, const void *b)
{
	const struct member *x = *(const struct member *const *)a;
	const struct member *y = *(const struct member *const *)b;
	int r = strcmp(x->key, y->key);
	if (r)
		return r;
	return x < y ? -1 : x > y;
}

/* obj_off is the offset of the object's '{', or NO_POS when unknown. */
static void members_collect(const struct loader *l, const cJSON *obj, size_t obj_off, struct members *m)
{
	size_t n = 0;
	for (const cJSON *it = obj->child; it; it = it->next)
		n++;
	m->n = n;
	m->v = xcalloc(n ? n : 1, sizeof *m->v);
	size_t p = obj_off == NO_POS ? NO_POS : skip_ws(l, obj_off + 1);
	size_t i = 0;
	for (const cJSON *it = obj->child; it; it = it->next, i++) {
		struct member *mb = &m->v[i];
		mb->key = it->string ? it->string : "";
		mb->value = it;
		mb->key_off = mb->val_off = NO_POS;
		if (p == NO_POS || p >= l->len || l->text[p] != '"') {
			p = NO_POS;
			continue;
		}
		mb->key_off = p;
		p = skip_ws(l, skip_string(l, p));
		if (p >= l->len || l->text[p] != ':') {
			p = NO_POS;
			continue;
		}
		p = skip_ws(l, p + 1);
		mb->val_off = p;
		p = skip_ws(l, skip_value(l, p));
		if (p < l->len && l->text[p] == ',')
			p = skip_ws(l, p + 1);
	}
	if (n < 2)
		return;
	struct member **sorted = xcalloc(n, sizeof *sorted);
	for (i = 0; i < n; i++)
		sorted[i] = &m->v[i];
	qsort(sorted, n, sizeof *sorted, member_cmp);
	for (i = 1; i < n; i++) {
		if (strcmp(sorted[i - 1]->key, sorted[i]->key) == 0) {
			sorted[i - 1]->has_later = 1;
			sorted[i]->has_earlier = 1;
		}
	}
	free(sorted);
}

/* Walks an object's members in file order: warns on duplicates and returns
 * the members to act on (the last of each name) one at a time. */
struct walk {
	struct loader *l;
	const char *prefix;
	struct members m;
	size_t i;
};

static void walk_begin(struct walk *w, struct loader *l, const char *prefix, const cJSON *obj, size_t obj_off)
{
	w->l = l;
	w->prefix = prefix;
	w->i = 0;
	members_collect(l, obj, obj_off, &w->m);
}

static void warn_key(struct walk *w, const struct member *mb, const char *what, const char *hint)
{
	if (warnings_full(w->l))
		return;
	char *p = key_path(w->prefix, mb->key);
	char *at = where_line(w->l, mb->key_off);
	push_warning(w->l->c, xasprintf("%s '%s' in %s%s", what, p, at, hint ? hint : ""));
	free(at);
	free(p);
}

static const struct member *walk_next(struct walk *w)
{
	while (w->i < w->m.n) {
		const struct member *mb = &w->m.v[w->i++];
		if (mb->has_earlier)
			warn_key(w, mb, "duplicate key", "; the last one is used");
		if (!mb->has_later)
			return mb;
	}
	return NULL;
}

static void walk_end(struct walk *w)
{
	free(w->m.v);
	w->m.v = NULL;
}

/* ---- typed values ---- */

static const char *json_type_name(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "true/false";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsObject(v))
		return "an object";
	return "invalid";
}

static int want_object(struct loader *l, const struct member *mb, const char *path)
{
	if (cJSON_IsObject(mb->value))
		return 0;
	return fail_at(l, mb->val_off, "%s must be an object, not %s", path, json_type_name(mb->value));
}

static int get_string(struct loader *l, const struct member *mb, const char *path, char **out)
{
	if (!cJSON_IsString(mb->value) || !mb->value->valuestring)
		return fail_at(l, mb->val_off, "%s must be a string, not %s", path, json_type_name(mb->value));
	if (!*mb->value->valuestring)
		return fail_at(l, mb->val_off, "%s must not be empty", path);
	free(*out);
	*out = xstrdup(mb->value->valuestring);
	return 0;
}

static int get_bool(struct loader *l, const struct member *mb, const char *path, int *out)
{
	if (!cJSON_IsBool(mb->value))
		return fail_at(l, mb->val_off, "%s must be true or false, not %s", path, json_type_name(mb->value));
	*out = cJSON_IsTrue(mb->value) ? 1 : 0;
	return 0;
}

static int get_int(struct loader *l, const struct member *mb, const char *path, int min, int max, int *out)
{
	if (!cJSON_IsNumber(mb->value))
		return fail_at(l, mb->val_off, "%s must be a number, not %s", path, json_type_name(mb->value));
	double v = mb->value->valuedouble;
	if (!(v >= min && v <= max) || (double)(int)v != v)
		return fail_at(l, mb->val_off, "%s must be an integer from %d to %d (got %g)", path, min, max, v);
	*out = (int)v;
	return 0;
}

static int get_number(struct loader *l, const struct member *mb, const char *path, int min, int max, double *out)
{
	if (!cJSON_IsNumber(mb->value))
		return fail_at(l, mb->val_off, "%s must be a number, not %s", path, json_type_name(mb->value));
	double v = mb->value->valuedouble;
	if (!(v >= min && v <= max))
		return fail_at(l, mb->val_off, "%s must be a number from %d to %d (got %g)", path, min, max, v);
	*out = v;
	return 0;
}

/* A choice such as "bedrock:ID:VERSION" takes any text after its first ':'
 * (checked where it is used). */
static int one_of(const char *s, const char *const *choices)
{
	for (size_t i = 0; choices[i]; i++) {
		const char *colon = strchr(choices[i], ':');
		if (colon ? strncmp(s, choices[i], (size_t)(colon - choices[i]) + 1) == 0 && s[colon - choices[i] + 1]
			  : strcmp(s, choices[i]) == 0)
			return 1;
	}
	return 0;
}

static void join_choices(struct buf *b, const char *const *choices)
{
	for (size_t i = 0; choices[i]; i++)
		buf_printf(b, "%s%s", i ? ", " : "", choices[i]);
}

static int get_choice(struct loader *l, const struct member *mb, const char *path, const char *const *choices,
		      char **out)
{
	char *s = NULL;
	if (get_string(l, mb, path, &s))
		return -1;
	if (!one_of(s, choices)) {
		struct buf list = BUF_INIT;
		char *shown = sanitized(s, EXCERPT_MAX);
		join_choices(&list, choices);
		fail_at(l, mb->val_off, "%s must be one of %s (got '%s')", path, buf_str(&list), shown);
		buf_free(&list);
		free(shown);
		free(s);
		return -1;
	}
	free(*out);
	*out = s;
	return 0;
}

/* Theme and provider names become file and model names: [A-Za-z0-9._-], not starting with '.'. */
static int is_plain_name(const char *s)
{
	if (!*s || *s == '.')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == '-' || *s == '_'))
			return 0;
	return 1;
}

static int is_env_name(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static int is_http_url(const char *s)
{
	size_t skip;
	if (strncasecmp(s, "http://", 7) == 0)
		skip = 7;
	else if (strncasecmp(s, "https://", 8) == 0)
		skip = 8;
	else
		return 0;
	if (!s[skip] || s[skip] == '/')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return 0;
	return 1;
}

/* ---- sections ---- */

static const struct key_spec *key_spec_find(const char *section, const char *key)
{
	for (size_t i = 0; i < NKEY_SPECS; i++)
		if (strcmp(key_specs[i].section, section) == 0 && strcmp(key_specs[i].key, key) == 0)
			return &key_specs[i];
	return NULL;
}

static int section_known(const char *section)
{
	for (size_t i = 0; i < NKEY_SPECS; i++)
		if (strcmp(key_specs[i].section, section) == 0)
			return 1;
	return 0;
}

/* Reads a plain key of the schema; 1 when mb is not one. */
static int load_plain_key(struct loader *l, const char *section, const struct member *mb)
{
	const struct key_spec *k = key_spec_find(section, mb->key);
	if (!k)
		return 1;
	switch (k->type) {
	case KEY_INT: return get_int(l, mb, k->path, k->min, k->max, int_field(l->c, k));
	case KEY_NUMBER: return get_number(l, mb, k->path, k->min, k->max, number_field(l->c, k));
	case KEY_STRING: return get_string(l, mb, k->path, string_field(l->c, k));
	case KEY_CHOICE: return get_choice(l, mb, k->path, k->choices, string_field(l->c, k));
	}
	return 1;
}

static int load_denied_words(struct loader *l, const struct member *mb);
static int load_patterns(struct loader *l, const struct member *mb);

/* The structured keys inside a section of plain ones. */
static const struct {
	const char *section, *key;
	int (*load)(struct loader *l, const struct member *mb);
} section_loaders[] = {
	{ "guard", "denied_words", load_denied_words },
	{ "guard", "patterns", load_patterns },
};

static int load_section(struct loader *l, const struct member *sec)
{
	struct walk w;
	const struct member *mb;
	int rc = 0;
	if (want_object(l, sec, sec->key))
		return -1;
	walk_begin(&w, l, sec->key, sec->value, sec->val_off);
	while (rc == 0 && (mb = walk_next(&w))) {
		rc = load_plain_key(l, sec->key, mb);
		for (size_t i = 0; rc == 1 && i < sizeof section_loaders / sizeof *section_loaders; i++)
			if (strcmp(section_loaders[i].section, sec->key) == 0 && strcmp(section_loaders[i].key, mb->key) == 0)
				rc = section_loaders[i].load(l, mb);
		if (rc == 1) {
			warn_key(&w, mb, "unknown key", NULL);
			rc = 0;
		}
	}
	walk_end(&w);
	return rc;
}

static int load_denied_words(struct loader *l, const struct member *mb)
{
	struct config *c = l->c;
	if (!cJSON_IsArray(mb->value))
		return fail_at(l, mb->val_off, "guard.denied_words must be an array of strings, not %s",
			       json_type_name(mb->value));
	const cJSON *it;
	cJSON_ArrayForEach(it, mb->value) {
		if (!cJSON_IsString(it) || !*it->valuestring)
			return fail_at(l, mb->val_off, "guard.denied_words must hold non-empty strings");
		c->guard_denied_words =
			xreallocarray(c->guard_denied_words, c->nguard_denied_words + 1, sizeof *c->guard_denied_words);
		c->guard_denied_words[c->nguard_denied_words++] = xstrdup(it->valuestring);
	}
	return 0;
}

static int load_patterns(struct loader *l, const struct member *mb)
{
	struct config *c = l->c;
	if (want_object(l, mb, "guard.patterns"))
		return -1;
	struct walk pw;
	const struct member *pm;
	int rc = 0;
	walk_begin(&pw, l, "guard.patterns", mb->value, mb->val_off);
	while (rc == 0 && (pm = walk_next(&pw))) {
		char *path = key_path("guard.patterns", pm->key);
		char *regex = NULL;
		if (!is_plain_name(pm->key))
			rc = fail_at(l, pm->key_off, "%s: a pattern name is letters, digits, '.', '-', '_'", path);
		else
			rc = get_string(l, pm, path, &regex);
		if (rc == 0) {
			c->guard_patterns = xreallocarray(c->guard_patterns, c->nguard_patterns + 1, sizeof *c->guard_patterns);
			c->guard_patterns[c->nguard_patterns++] = (struct config_guard_pattern){ xstrdup(pm->key), regex };
		}
		free(path);
	}
	walk_end(&pw);
	return rc;
}

static int load_keys(struct loader *l, const struct member *sec)
{
	struct walk w;
	const struct member *mb;
	int rc = 0;
	if (want_object(l, sec, "keys"))
		return -1;
	walk_begin(&w, l, "keys", sec->value, sec->val_off);
	while (rc == 0 && (mb = walk_next(&w))) {
		char *path = key_path("keys", mb->key);
		if (!*mb->key) {
			rc = fail_at(l, mb->key_off, "keys: an action name must not be empty");
		} else {
			struct config *c = l->c;
			c->keys = xreallocarray(c->keys, c->nkeys + 1, sizeof *c->keys);
			struct config_key *k = &c->keys[c->nkeys++];
			k->action = xstrdup(mb->key);
			k->key = NULL;
			rc = get_string(l, mb, path, &k->key);
		}
		free(path);
	}
	walk_end(&w);
	return rc;
}

static int get_price(struct loader *l, const struct member *mb, const char *path, double *out)
{
	if (!cJSON_IsNumber(mb->value))
		return fail_at(l, mb->val_off, "%s must be a number, not %s", path, json_type_name(mb->value));
	double v = mb->value->valuedouble;
	if (!(v >= 0 && v <= 1e6))
		return fail_at(l, mb->val_off, "%s must be a price in USD per 1M tokens from 0 to 1000000 (got %g)", path, v);
	*out = v;
	return 0;
}

static int load_price(struct loader *l, const struct member *pm)
{
	char *path = key_path("prices", pm->key);
	int rc = 0, seen_in = 0, seen_out = 0;
	if (!strchr(pm->key, '/') || pm->key[0] == '/')
		rc = fail_at(l, pm->key_off, "%s: a price is keyed by PROVIDER/MODEL, e.g. \"openai/gpt-4o-mini\"", path);
	else if (want_object(l, pm, path))
		rc = -1;
	if (rc) {
		free(path);
		return rc;
	}
	struct config *c = l->c;
	c->prices = xreallocarray(c->prices, c->nprices + 1, sizeof *c->prices);
	struct config_price *pr = &c->prices[c->nprices++];
	memset(pr, 0, sizeof *pr);
	pr->model = xstrdup(pm->key);
	struct walk w;
	const struct member *mb;
	walk_begin(&w, l, path, pm->value, pm->val_off);
	while (rc == 0 && (mb = walk_next(&w))) {
		char *sub = key_path(path, mb->key);
		if (strcmp(mb->key, "input") == 0)
			rc = get_price(l, mb, sub, &pr->input), seen_in = 1;
		else if (strcmp(mb->key, "output") == 0)
			rc = get_price(l, mb, sub, &pr->output), seen_out = 1;
		else if (strcmp(mb->key, "context") == 0)
			rc = get_int(l, mb, sub, 1, 100000000, &pr->context);
		else
			warn_key(&w, mb, "unknown key", NULL);
		free(sub);
	}
	walk_end(&w);
	if (rc == 0 && (!seen_in || !seen_out))
		rc = fail_at(l, pm->val_off, "%s needs both \"input\" and \"output\" (USD per 1M tokens)", path);
	free(path);
	return rc;
}

static int load_prices(struct loader *l, const struct member *sec)
{
	struct walk w;
	const struct member *mb;
	int rc = 0;
	if (want_object(l, sec, "prices"))
		return -1;
	walk_begin(&w, l, "prices", sec->value, sec->val_off);
	while (rc == 0 && (mb = walk_next(&w)))
		rc = load_price(l, mb);
	walk_end(&w);
	return rc;
}

static int load_provider_field(struct loader *l, struct walk *w, const struct member *mb, struct config_provider *p)
{
	char *path = key_path(w->prefix, mb->key);
	int rc = 0;
	if (strcmp(mb->key, "type") == 0) {
		rc = get_choice(l, mb, path, provider_types, &p->type);
	} else if (strcmp(mb->key, "base_url") == 0) {
		rc = get_string(l, mb, path, &p->base_url);
		if (rc == 0)
			secret_add_url(p->base_url);
		if (rc == 0 && !is_http_url(p->base_url))
			rc = fail_at(l, mb->val_off, "%s must be an http:// or https:// URL with a host", path);
	} else if (strcmp(mb->key, "api_key_env") == 0) {
		rc = get_string(l, mb, path, &p->api_key_env);
		if (rc == 0 && is_env_name(p->api_key_env))
			secret_add_env(p->api_key_env);
		if (rc == 0 && !is_env_name(p->api_key_env))
			rc = fail_at(l, mb->val_off,
				     "%s must be the name of an environment variable (letters, digits, '_'), not the key itself",
				     path);
	} else if (strcmp(mb->key, "region") == 0) {
		rc = get_string(l, mb, path, &p->region);
	} else if (strcmp(mb->key, "profile") == 0) {
		rc = get_string(l, mb, path, &p->profile);
	} else if (strcmp(mb->key, "allow_http") == 0) {
		rc = get_bool(l, mb, path, &p->allow_http);
	} else if (strcmp(mb->key, "api_key") == 0) {
		warn_key(w, mb, "unknown key", "; keys never go in the config: name their variable in api_key_env");
	} else {
		warn_key(w, mb, "unknown key", NULL);
	}
	free(path);
	return rc;
}

static int load_provider(struct loader *l, const struct member *pm)
{
	struct config *c = l->c;
	char *prefix = key_path("providers", pm->key);
	struct walk w;
	const struct member *mb;
	int rc = 0;
	if (!is_plain_name(pm->key)) {
		char *shown = sanitized(pm->key, NAME_SHOWN_MAX);
		rc = fail_at(l, pm->key_off,
			     "providers: '%s' is not a valid provider name (letters, digits, '.', '-', '_'; not starting with '.')",
			     shown);
		free(shown);
		free(prefix);
		return rc;
	}
	if (want_object(l, pm, prefix)) {
		free(prefix);
		return -1;
	}
	c->providers = xreallocarray(c->providers, c->nproviders + 1, sizeof *c->providers);
	struct config_provider *p = &c->providers[c->nproviders++];
	memset(p, 0, sizeof *p);
	p->name = xstrdup(pm->key);
	walk_begin(&w, l, prefix, pm->value, pm->val_off);
	while (rc == 0 && (mb = walk_next(&w)))
		rc = load_provider_field(l, &w, mb, p);
	walk_end(&w);
	if (rc == 0 && !p->type) {
		if (one_of(p->name, provider_types)) {
			p->type = xstrdup(p->name);
		} else {
			struct buf list = BUF_INIT;
			join_choices(&list, provider_types);
			rc = fail_at(l, pm->key_off, "%s.type is missing: a custom provider needs a type (one of %s)",
				     prefix, buf_str(&list));
			buf_free(&list);
		}
	}
	free(prefix);
	return rc;
}

static int load_providers(struct loader *l, const struct member *sec)
{
	struct walk w;
	const struct member *mb;
	int rc = 0;
	if (want_object(l, sec, "providers"))
		return -1;
	walk_begin(&w, l, "providers", sec->value, sec->val_off);
	while (rc == 0 && (mb = walk_next(&w)))
		rc = load_provider(l, mb);
	walk_end(&w);
	return rc;
}

static int load_alert(struct loader *l, const struct member *am)
{
	struct config *c = l->c;
	char *path = key_path("alerts", am->key);
	int rc = 0;
	if (!*am->key)
		rc = fail_at(l, am->key_off, "alerts: a rule must not be empty (e.g. \"loss is nan\")");
	else if (want_object(l, am, path))
		rc = -1;
	struct config_alert a = { xstrdup(am->key), NULL, NULL };
	if (rc == 0) {
		struct walk w;
		const struct member *mb;
		walk_begin(&w, l, path, am->value, am->val_off);
		while (rc == 0 && (mb = walk_next(&w))) {
			char *kp = key_path(path, mb->key);
			if (strcmp(mb->key, "jobs") == 0)
				rc = get_string(l, mb, kp, &a.jobs);
			else if (strcmp(mb->key, "exec") == 0)
				rc = get_string(l, mb, kp, &a.exec);
			else
				warn_key(&w, mb, "unknown key", " (an alert has \"jobs\" and \"exec\")");
			free(kp);
		}
		walk_end(&w);
	}
	if (rc == 0) {
		c->alerts = xreallocarray(c->alerts, c->nalerts + 1, sizeof *c->alerts);
		c->alerts[c->nalerts++] = a;
	} else {
		free(a.rule);
		free(a.jobs);
		free(a.exec);
	}
	free(path);
	return rc;
}

static int load_alerts(struct loader *l, const struct member *sec)
{
	struct walk w;
	const struct member *mb;
	int rc = 0;
	if (want_object(l, sec, "alerts"))
		return -1;
	walk_begin(&w, l, "alerts", sec->value, sec->val_off);
	while (rc == 0 && (mb = walk_next(&w)))
		rc = load_alert(l, mb);
	walk_end(&w);
	return rc;
}

static int load_theme(struct loader *l, const struct member *mb)
{
	if (get_string(l, mb, "theme", &l->c->theme))
		return -1;
	if (is_plain_name(l->c->theme))
		return 0;
	char *shown = sanitized(l->c->theme, EXCERPT_MAX);
	fail_at(l, mb->val_off, "theme must be a theme name (letters, digits, '.', '-', '_'), not '%s'", shown);
	free(shown);
	return -1;
}

static int load_default_model(struct loader *l, const struct member *mb)
{
	if (get_string(l, mb, "default_model", &l->c->default_model))
		return -1;
	const char *m = l->c->default_model;
	const char *slash = strchr(m, '/');
	if (slash && slash != m && slash[1])
		return 0;
	char *shown = sanitized(m, EXCERPT_MAX);
	fail_at(l, mb->val_off, "default_model must be PROVIDER/MODEL, e.g. openai/gpt-4o-mini (got '%s')", shown);
	free(shown);
	return -1;
}

/* The top-level keys that are not sections of plain keys. */
static const struct {
	const char *key;
	int (*load)(struct loader *l, const struct member *mb);
} top_loaders[] = {
	{ "theme", load_theme },
	{ "default_model", load_default_model },
	{ "providers", load_providers },
	{ "keys", load_keys },
	{ "prices", load_prices },
	{ "alerts", load_alerts },
};

static int load_top(struct loader *l, const cJSON *root, size_t root_off)
{
	struct walk w;
	const struct member *mb;
	int rc = 0;
	walk_begin(&w, l, "", root, root_off);
	while (rc == 0 && (mb = walk_next(&w))) {
		rc = 1;
		for (size_t i = 0; rc == 1 && i < sizeof top_loaders / sizeof *top_loaders; i++)
			if (strcmp(top_loaders[i].key, mb->key) == 0)
				rc = top_loaders[i].load(l, mb);
		if (rc == 1 && section_known(mb->key))
			rc = load_section(l, mb);
		if (rc == 1) {
			warn_key(&w, mb, "unknown key", NULL);
			rc = 0;
		}
	}
	walk_end(&w);
	return rc;
}

/* ---- entry points ---- */

static int has_bom(const char *t, size_t len)
{
	return len >= 3 && memcmp(t, "\xEF\xBB\xBF", 3) == 0;
}

static int parse_into(struct loader *l, char *copy)
{
	size_t bad;
	const char *nul = memchr(l->orig, '\0', l->len);
	if (nul)
		return fail_at(l, (size_t)(nul - l->orig), "the file contains a NUL byte; is it a binary file?");
	if (blank_comments(copy, l->len, &bad))
		return fail_at(l, bad, "unterminated /* comment: no closing */ before the end of the file");

	size_t start = has_bom(copy, l->len) ? 3 : 0;
	size_t first = skip_ws(l, start);
	if (first >= l->len) {
		push_warning(l->c, xasprintf("%s is empty (or only comments); using the defaults", l->name));
		return 0;
	}
	/* cJSON skips the BOM only when the buffer has more than 4 bytes; ours always does by then. */
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(copy, l->len + 1, &end, 1);
	if (!root) {
		struct diag d = {.l = l, .t = copy, .len = l->len};
		if (diagnose(&d, first))
			return fail_at(l, d.err_pos, "%s", d.msg);
		size_t off = end && end >= copy ? (size_t)(end - copy) : first;
		char *ex = excerpt_at(l, off);
		fail_at(l, off, "invalid JSON near %s", ex);
		free(ex);
		return -1;
	}
	int rc;
	if (!cJSON_IsObject(root))
		rc = fail_at(l, first, "the top level must be a JSON object ({ ... }), not %s", json_type_name(root));
	else
		rc = load_top(l, root, first);
	cJSON_Delete(root);
	return rc;
}

/* On failure c is left holding only the defaults. */
static int parse_config(struct config *c, const char *name, const char *text, size_t len, struct err *e)
{
	if (!name)
		name = "config";
	if (len > CONFIG_MAX_BYTES)
		return err_set(e, "%s is too large (%zu bytes; the limit is 1 MiB); is it the right file?", name, len);

	struct config parsed;
	config_defaults(&parsed);
	char *copy = xmalloc(len + 1);
	if (len)
		memcpy(copy, text, len);
	copy[len] = '\0';
	struct loader l = {
		.name = name, .orig = len ? text : "", .text = copy, .len = len,
		.c = &parsed, .e = e, .loc_line = 1,
	};
	int rc = parse_into(&l, copy);
	free(copy);
	if (rc) {
		config_free(&parsed);
		return -1;
	}
	if (l.suppressed)
		push_warning(&parsed, xasprintf("%zu more warnings about %s not shown", l.suppressed, name));
	parsed.path = xstrdup(name);
	parsed.found = 1;
	config_free(c);
	*c = parsed;
	return 0;
}

int config_parse(struct config *c, const char *name, const char *text, size_t len, struct err *e)
{
	config_defaults(c);
	return parse_config(c, name, text, len, e);
}

int config_load(struct config *c, const char *path, struct err *e)
{
	config_defaults(c);
	if (!path)
		path = path_config_file();
	if (!path || !*path)
		return 0;

	struct stat st;
	if (stat(path, &st) != 0) {
		if (errno == ENOENT) {
			if (lstat(path, &st) == 0)
				return err_set(e, "cannot read %s: it is a broken symbolic link", path);
			return 0;
		}
		return err_errno(e, "cannot read %s", path);
	}
	if (S_ISDIR(st.st_mode))
		return err_set(e, "cannot read %s: it is a directory, not a JSON file", path);
	if (!S_ISREG(st.st_mode))
		return err_set(e, "cannot read %s: not a regular file", path);
	if (st.st_size > CONFIG_MAX_BYTES)
		return err_set(e, "%s is too large (%lld bytes; the limit is 1 MiB); is it the right file?", path,
			       (long long)st.st_size);

	struct err read_err = ERR_INIT;
	size_t len = 0;
	char *text = path_read_file(path, &len, &read_err);
	if (!text)
		return err_set(e, "%s", err_msg(&read_err));
	int rc = parse_config(c, path, text, len, e);
	free(text);
	return rc;
}
