#include "kb/extract.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/path.h"
#include "base/proc.h"
#include "base/xmalloc.h"
#include "base/yamldoc.h"
#include "base/csv.h"
#include "kb/text.h"
#include "text/xmllib.h"

#define PDF_TEXT_MAX ((size_t)512 << 20)
#define PDF_TIMEOUT_MS ((int64_t)10 * 60 * 1000)

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

int kb_is_gzip(const char *path)
{
	size_t n = strlen(path);
	return n > 3 && strcasecmp(path + n - 3, ".gz") == 0;
}

enum kb_format kb_format_of(const char *path)
{
	const char *b = base_name(path);
	size_t n = strlen(b);
	if (kb_is_gzip(b))
		n -= 3;
	const char *dot = NULL;
	for (size_t i = 0; i < n; i++)
		if (b[i] == '.')
			dot = b + i;
	if (!dot || dot == b)
		return KB_FMT_TEXT;
	size_t el = (size_t)(b + n - dot) - 1;
	static const struct { const char *ext; enum kb_format f; } map[] = {
		{ "md", KB_FMT_MARKDOWN }, { "markdown", KB_FMT_MARKDOWN }, { "mdx", KB_FMT_MARKDOWN },
		{ "html", KB_FMT_HTML }, { "htm", KB_FMT_HTML }, { "xhtml", KB_FMT_HTML },
		{ "json", KB_FMT_JSON }, { "jsonl", KB_FMT_JSONL }, { "ndjson", KB_FMT_JSONL },
		{ "csv", KB_FMT_CSV }, { "pdf", KB_FMT_PDF },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strlen(map[i].ext) == el && strncasecmp(dot + 1, map[i].ext, el) == 0)
			return map[i].f;
	return KB_FMT_TEXT;
}

const char *kb_format_name(enum kb_format f)
{
	static const char *const names[] = { "text", "markdown", "html", "json", "jsonl", "csv", "pdf" };
	return (unsigned)f < sizeof names / sizeof names[0] ? names[f] : "text";
}

static struct kb_doc *add_doc(struct kb_docs *out, const char *name, const char *title, const char *text,
			      size_t len, cJSON *meta)
{
	XGROW(out->v, out->cap, out->n + 1);
	struct kb_doc *d = &out->v[out->n++];
	struct buf b = BUF_INIT;
	struct kb_clean_stats st = { 0, 0, 0 };
	kb_text_clean(text, len, &b, &st);
	out->invalid += st.invalid;
	out->nuls += st.nuls;
	d->len = b.len;
	d->body = b.data ? buf_detach(&b) : xstrdup("");
	struct buf t = BUF_INIT;
	kb_text_clean(title, strlen(title), &t, NULL);
	for (size_t i = 0; i < t.len; i++)
		if (t.data[i] == '\n' || t.data[i] == '\t')
			t.data[i] = ' ';
	d->title = t.data ? buf_detach(&t) : xstrdup("");
	d->name = xstrdup(name);
	d->meta = meta ? meta : cJSON_CreateObject();
	return d;
}

void kb_docs_free(struct kb_docs *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].name);
		free(d->v[i].title);
		free(d->v[i].body);
		cJSON_Delete(d->v[i].meta);
	}
	free(d->v);
	memset(d, 0, sizeof *d);
}

/* ---- Markdown */

static int front_matter(const char *data, size_t len, size_t *yaml_start, size_t *yaml_end, size_t *body)
{
	size_t i;
	if (len >= 4 && memcmp(data, "---\n", 4) == 0)
		i = 4;
	else if (len >= 5 && memcmp(data, "---\r\n", 5) == 0)
		i = 5;
	else
		return 0;
	*yaml_start = i;
	while (i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - data) : len;
		size_t le = e > i && data[e - 1] == '\r' ? e - 1 : e;
		if ((le - i == 3 && (memcmp(data + i, "---", 3) == 0 || memcmp(data + i, "...", 3) == 0))) {
			*yaml_end = i;
			*body = nl ? e + 1 : len;
			return 1;
		}
		i = nl ? e + 1 : len;
	}
	return 0;
}

static char *first_heading(const char *t, size_t n)
{
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(t + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - t) : n;
		if (e - i > 2 && t[i] == '#' && t[i + 1] == ' ') {
			size_t a = i + 2, b = e;
			while (b > a && (t[b - 1] == ' ' || t[b - 1] == '\r'))
				b--;
			return xstrndup(t + a, b - a);
		}
		i = nl ? e + 1 : n;
	}
	return NULL;
}

static int extract_markdown(const char *name, const char *data, size_t len, struct kb_docs *out)
{
	size_t ys, ye, body = 0;
	cJSON *meta = NULL;
	if (front_matter(data, len, &ys, &ye, &body)) {
		struct yamldoc d;
		struct yamldoc_opts o = { name, 2, "front matter", 0, 0 };
		struct err ignored = ERR_INIT;
		if (yamldoc_load(&d, data + ys, ye - ys, &o, &ignored) == 0) {
			yaml_node_t *root = yamldoc_root(&d);
			if (root && root->type == YAML_MAPPING_NODE)
				meta = yamldoc_json(&d, root);
			yamldoc_free(&d);
		}
		if (!meta)
			body = 0;
	}
	char *title = NULL;
	cJSON *t = meta ? cJSON_GetObjectItemCaseSensitive(meta, "title") : NULL;
	if (cJSON_IsString(t) && t->valuestring[0]) {
		title = xstrdup(t->valuestring);
		cJSON_DeleteItemFromObjectCaseSensitive(meta, "title");
	}
	if (!title)
		title = first_heading(data + body, len - body);
	if (!title)
		title = xstrdup(base_name(name));
	add_doc(out, name, title, data + body, len - body, meta);
	free(title);
	return 0;
}

/* ---- HTML */

static int skipped_element(const char *n)
{
	static const char *const skip[] = { "script", "style", "noscript", "template", "head", "svg", "iframe",
					    "object", "canvas", NULL };
	for (int i = 0; skip[i]; i++)
		if (strcasecmp(n, skip[i]) == 0)
			return 1;
	return 0;
}

/* 1 after "prop:0" ends (not "0.5", "01"). */
static int zero_value(const char *v)
{
	return v[0] == '0' && !(v[1] == '.' || (v[1] >= '0' && v[1] <= '9'));
}

/* An element no reader sees: the hidden attribute, aria-hidden="true", or an
 * inline style with display:none, visibility:hidden, font-size:0 or
 * opacity:0. */
static int hidden_element(xmlNode *n)
{
	if (XML(xmlHasProp)(n, (const xmlChar *)"hidden"))
		return 1;
	xmlChar *aria = XML(xmlGetProp)(n, (const xmlChar *)"aria-hidden");
	int hidden = aria && strcasecmp((const char *)aria, "true") == 0;
	XML(xmlFree)(aria);
	xmlChar *style = hidden ? NULL : XML(xmlGetProp)(n, (const xmlChar *)"style");
	if (style) {
		char *st = xmalloc(strlen((const char *)style) + 1);
		size_t m = 0;
		for (const char *p = (const char *)style; *p; p++)
			if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
				st[m++] = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
		st[m] = '\0';
		const char *v;
		hidden = strstr(st, "display:none") || strstr(st, "visibility:hidden") ||
			 ((v = strstr(st, "font-size:")) && zero_value(v + 10)) ||
			 ((v = strstr(st, "opacity:")) && zero_value(v + 8));
		free(st);
		XML(xmlFree)(style);
	}
	return hidden;
}

static int block_element(const char *n)
{
	static const char *const block[] = { "p", "div", "br", "li", "ul", "ol", "tr", "table", "section", "article",
					     "header", "footer", "nav", "aside", "main", "pre", "blockquote", "dd", "dt",
					     "dl", "hr", "form", "figure", "figcaption", "td", "th", "caption", "body",
					     "address", "details", "summary", NULL };
	for (int i = 0; block[i]; i++)
		if (strcasecmp(n, block[i]) == 0)
			return 1;
	return 0;
}

static void ensure_newline(struct buf *b, int blank)
{
	while (b->len && b->data[b->len - 1] == ' ')
		buf_truncate(b, b->len - 1);
	if (!b->len)
		return;
	if (b->data[b->len - 1] != '\n')
		buf_putc(b, '\n');
	if (blank && (b->len < 2 || b->data[b->len - 2] != '\n'))
		buf_putc(b, '\n');
}

static void html_text(xmlNode *n, struct buf *b, int pre, size_t *hidden)
{
	for (; n; n = n->next) {
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			const char *s = (const char *)n->content;
			if (!s)
				continue;
			if (pre) {
				buf_puts(b, s);
				continue;
			}
			for (; *s; s++) {
				int sp = *s == ' ' || *s == '\n' || *s == '\t' || *s == '\r' || *s == '\f';
				if (!sp)
					buf_putc(b, *s);
				else if (b->len && b->data[b->len - 1] != ' ' && b->data[b->len - 1] != '\n')
					buf_putc(b, ' ');
			}
		} else if (n->type == XML_ELEMENT_NODE) {
			const char *name = (const char *)n->name;
			if (skipped_element(name))
				continue;
			if (hidden_element(n)) {
				(*hidden)++;
				continue;
			}
			int heading = (name[0] == 'h' || name[0] == 'H') && name[1] >= '1' && name[1] <= '6' && !name[2];
			int block = heading || block_element(name);
			int is_pre = strcasecmp(name, "pre") == 0;
			if (block)
				ensure_newline(b, !(strcasecmp(name, "br") == 0 || strcasecmp(name, "li") == 0 ||
						    strcasecmp(name, "tr") == 0 || strcasecmp(name, "td") == 0 ||
						    strcasecmp(name, "th") == 0));
			if (heading) {
				for (int i = 0; i < name[1] - '0'; i++)
					buf_putc(b, '#');
				buf_putc(b, ' ');
			}
			if (strcasecmp(name, "li") == 0)
				buf_puts(b, "- ");
			if ((strcasecmp(name, "td") == 0 || strcasecmp(name, "th") == 0) && b->len &&
			    b->data[b->len - 1] != '\n')
				buf_puts(b, " | ");
			html_text(n->children, b, pre || is_pre, hidden);
			if (block)
				ensure_newline(b, heading || strcasecmp(name, "p") == 0);
		}
	}
}

static xmlNode *find_element(xmlNode *n, const char *name)
{
	for (; n; n = n->next) {
		if (n->type == XML_ELEMENT_NODE && strcasecmp((const char *)n->name, name) == 0)
			return n;
		xmlNode *c = find_element(n->children, name);
		if (c)
			return c;
	}
	return NULL;
}

static int extract_html(const char *name, const char *data, size_t len, struct kb_docs *out, struct err *e)
{
	if (len > (size_t)2147483647)
		return err_set(e, "%s is too large for the HTML parser", name);
	if (xmllib_load(e) != 0)
		return -1;
	htmlDocPtr doc = XML(htmlReadMemory)(data, (int)len, NULL, NULL,
					HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
					HTML_PARSE_NONET | HTML_PARSE_COMPACT);
	if (!doc)
		return err_set(e, "%s could not be read as HTML", name);
	xmlNode *root = XML(xmlDocGetRootElement)(doc);
	struct buf text = BUF_INIT;
	char *title = NULL;
	size_t hidden = 0, title_hidden = 0;
	xmlNode *t = find_element(root, "title");
	if (t) {
		xmlChar *c = XML(xmlNodeGetContent)(t);
		if (c) {
			struct buf tb = BUF_INIT;
			html_text(t->children, &tb, 0, &title_hidden);
			title = buf_detach(&tb);
			XML(xmlFree)(c);
		}
	}
	html_text(root, &text, 0, &hidden);
	if (!title || !*title) {
		free(title);
		title = first_heading(buf_str(&text), text.len);
	}
	cJSON *meta = cJSON_CreateObject();
	if (hidden)
		cJSON_AddNumberToObject(meta, "hidden_elements", (double)hidden);
	add_doc(out, name, title ? title : base_name(name), buf_str(&text), text.len, meta);
	free(title);
	buf_free(&text);
	XML(xmlFreeDoc)(doc);
	return 0;
}

/* ---- records: JSON, JSONL, CSV */

static const char *const text_defaults[] = { "text", "body", "content", "contents", NULL };
static const char *const id_defaults[] = { "_id", "id", NULL };

static cJSON *field(cJSON *o, const char *given, const char *const *defaults, const char **which)
{
	if (given) {
		*which = given;
		return cJSON_GetObjectItemCaseSensitive(o, given);
	}
	for (int i = 0; defaults[i]; i++) {
		cJSON *f = cJSON_GetObjectItemCaseSensitive(o, defaults[i]);
		if (f && !cJSON_IsNull(f)) {
			*which = defaults[i];
			return f;
		}
	}
	*which = NULL;
	return NULL;
}

static char *scalar_text(const cJSON *v)
{
	if (cJSON_IsString(v))
		return xstrdup(v->valuestring);
	if (cJSON_IsNumber(v) || cJSON_IsBool(v))
		return cJSON_PrintUnformatted(v);
	return NULL;
}

static void add_record(const char *name, long index, cJSON *o, const struct kb_extract_opts *opt,
		       struct kb_docs *out)
{
	if (!cJSON_IsObject(o)) {
		out->skipped++;
		return;
	}
	const char *tk, *ik, *hk;
	cJSON *tv = field(o, opt->text_field, text_defaults, &tk);
	char *text = scalar_text(tv);
	if (!text) {
		out->skipped++;
		return;
	}
	static const char *const title_defaults[] = { "title", NULL };
	char *title = scalar_text(field(o, opt->title_field, title_defaults, &hk));
	char *id = scalar_text(field(o, opt->id_field, id_defaults, &ik));
	char *docname = id ? xasprintf("%s#%s", name, id) : xasprintf("%s#%ld", name, index);
	cJSON *meta = cJSON_CreateObject();
	for (cJSON *c = o->child; c; c = c->next)
		if (c->string && (!tk || strcmp(c->string, tk) != 0) && (!hk || strcmp(c->string, hk) != 0))
			cJSON_AddItemToObject(meta, c->string, cJSON_Duplicate(c, 1));
	add_doc(out, docname, title ? title : (id ? id : base_name(name)), text, strlen(text), meta);
	free(text);
	free(title);
	free(id);
	free(docname);
}

static int extract_json(const char *name, const char *data, size_t len, const struct kb_extract_opts *o,
			struct kb_docs *out, struct err *e)
{
	cJSON *root = cJSON_ParseWithLength(data, len);
	if (!root)
		return err_set(e, "%s is not valid JSON", name);
	if (cJSON_IsArray(root)) {
		long i = 0;
		for (cJSON *c = root->child; c; c = c->next)
			add_record(name, ++i, c, o, out);
	} else if (cJSON_IsObject(root)) {
		add_record(name, 1, root, o, out);
	} else {
		cJSON_Delete(root);
		return err_set(e, "%s holds neither a JSON object nor an array of objects", name);
	}
	cJSON_Delete(root);
	return 0;
}

static int extract_jsonl(const char *name, const char *data, size_t len, const struct kb_extract_opts *o,
			 struct kb_docs *out, struct err *e)
{
	long line = 0, bad = 0;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - data) : len;
		line++;
		size_t a = i;
		while (a < end && (data[a] == ' ' || data[a] == '\t' || data[a] == '\r'))
			a++;
		if (a < end) {
			cJSON *obj = cJSON_ParseWithLength(data + a, end - a);
			if (obj)
				add_record(name, line, obj, o, out);
			else
				bad++;
			cJSON_Delete(obj);
		}
		i = nl ? end + 1 : len;
	}
	out->skipped += (size_t)bad;
	if (bad && out->n == 0)
		return err_set(e, "%s holds no valid JSON line (%ld invalid)", name, bad);
	return 0;
}

struct csv_state {
	const char *name;
	const struct kb_extract_opts *o;
	struct kb_docs *out;
	char **header;
	size_t nheader;
	long rows;
};

static cJSON *typed_value(const char *s)
{
	double d;
	int b;
	if (*s && strcasecmp(s, "true") && strcasecmp(s, "false") && yamldoc_parse_number(s, &d) == 0)
		return cJSON_CreateNumber(d);
	if ((strcasecmp(s, "true") == 0 || strcasecmp(s, "false") == 0) && yamldoc_parse_bool(s, &b) == 0)
		return cJSON_CreateBool(b);
	return cJSON_CreateString(s);
}

static int in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p;) {
		const char *c = strchr(p, ',');
		size_t l = c ? (size_t)(c - p) : strlen(p);
		if (l == n && strncmp(p, name, n) == 0)
			return 1;
		p = c ? c + 1 : NULL;
	}
	return 0;
}

static int csv_row(void *ud, const struct csv_record *r)
{
	struct csv_state *s = ud;
	if (!s->header) {
		s->nheader = r->n;
		s->header = xcalloc(r->n, sizeof *s->header);
		for (size_t i = 0; i < r->n; i++)
			s->header[i] = xstrdup(r->fields[i]);
		return 0;
	}
	s->rows++;
	const struct kb_extract_opts *o = s->o;
	const char *text_cols = o->text_field;
	if (!text_cols)
		for (int k = 0; text_defaults[k] && !text_cols; k++)
			for (size_t i = 0; i < s->nheader; i++)
				if (strcmp(s->header[i], text_defaults[k]) == 0)
					text_cols = text_defaults[k];
	const char *id_col = o->id_field;
	if (!id_col)
		for (int k = 0; id_defaults[k] && !id_col; k++)
			for (size_t i = 0; i < s->nheader; i++)
				if (strcmp(s->header[i], id_defaults[k]) == 0)
					id_col = id_defaults[k];
	const char *title_col = o->title_field ? o->title_field : "title";
	struct buf text = BUF_INIT;
	char *id = NULL, *title = NULL;
	cJSON *meta = cJSON_CreateObject();
	for (size_t i = 0; i < r->n && i < s->nheader; i++) {
		const char *h = s->header[i], *v = r->fields[i];
		if (text_cols ? in_list(text_cols, h) : (!id_col || strcmp(h, id_col) != 0)) {
			if (text.len)
				buf_putc(&text, '\n');
			if (text_cols && !strchr(text_cols, ','))
				buf_puts(&text, v);
			else
				buf_printf(&text, "%s: %s", h, v);
			if (text_cols)
				continue;
		}
		if (id_col && strcmp(h, id_col) == 0 && !id)
			id = xstrdup(v);
		if (strcmp(h, title_col) == 0 && !title) {
			title = xstrdup(v);
			continue;
		}
		cJSON_AddItemToObject(meta, h, typed_value(v));
	}
	if (!text.len) {
		s->out->skipped++;
		cJSON_Delete(meta);
	} else {
		char *docname = id ? xasprintf("%s#%s", s->name, id) : xasprintf("%s#%ld", s->name, s->rows);
		add_doc(s->out, docname, title ? title : id ? id : base_name(s->name), buf_str(&text), text.len, meta);
		free(docname);
	}
	buf_free(&text);
	free(id);
	free(title);
	return 0;
}

static int extract_csv(const char *name, const char *data, size_t len, const struct kb_extract_opts *o,
		       struct kb_docs *out, struct err *e)
{
	struct csv_state s = { name, o, out, NULL, 0, 0 };
	struct csv_parser *p = csv_new(0, 0, csv_row, &s);
	struct err ce = ERR_INIT;
	int rc = csv_feed(p, data, len, &ce);
	if (rc == 0)
		rc = csv_finish(p, &ce);
	csv_free(p);
	for (size_t i = 0; i < s.nheader; i++)
		free(s.header[i]);
	free(s.header);
	if (rc < 0)
		return err_set(e, "%s: %s", name, ce.msg);
	return 0;
}

/* ---- PDF */

int kb_have_pdftotext(void)
{
	return path_has_command("pdftotext");
}

static int extract_pdf(const char *name, const char *fs_path, struct kb_docs *out, struct err *e)
{
	if (!kb_have_pdftotext())
		return err_set(e, "pdftotext is not installed; install poppler-utils (apt-get install poppler-utils) "
			       "to index PDF files");
	char *argv[] = { (char *)(uintptr_t)"pdftotext", (char *)(uintptr_t)"-q", (char *)(uintptr_t)"-enc",
			 (char *)(uintptr_t)"UTF-8", (char *)(uintptr_t)"--", (char *)(uintptr_t)fs_path,
			 (char *)(uintptr_t)"-", NULL };
	struct proc_output run;
	if (proc_capture(argv, PDF_TIMEOUT_MS, PDF_TEXT_MAX, &run) < 0)
		return err_set(e, "%s", run.why);
	if (run.timed_out) {
		proc_output_free(&run);
		return err_set(e, "pdftotext did not finish reading %s in %d minutes and was stopped", name,
			       (int)(PDF_TIMEOUT_MS / 60000));
	}
	if (!run.exited || run.code != 0) {
		int code = !run.started ? 127 : run.exited ? run.code : -1;
		proc_output_free(&run);
		return err_set(e, "pdftotext could not read %s (exit %d); is it a valid, unencrypted PDF?", name, code);
	}
	struct buf text = run.out;
	buf_free(&run.err);
	/* pdftotext separates pages with form feeds */
	for (size_t i = 0; i < text.len; i++)
		if (text.data[i] == '\f')
			text.data[i] = '\n';
	add_doc(out, name, base_name(name), buf_str(&text), text.len, NULL);
	buf_free(&text);
	return 0;
}

int kb_extract(enum kb_format f, const char *name, const char *fs_path, const char *data, size_t len,
	       const struct kb_extract_opts *o, struct kb_docs *out, struct err *e)
{
	static const struct kb_extract_opts none = { NULL, NULL, NULL };
	if (!o)
		o = &none;
	switch (f) {
	case KB_FMT_MARKDOWN:
		return extract_markdown(name, data, len, out);
	case KB_FMT_HTML:
		return extract_html(name, data, len, out, e);
	case KB_FMT_JSON:
		return extract_json(name, data, len, o, out, e);
	case KB_FMT_JSONL:
		return extract_jsonl(name, data, len, o, out, e);
	case KB_FMT_CSV:
		return extract_csv(name, data, len, o, out, e);
	case KB_FMT_PDF:
		return extract_pdf(name, fs_path, out, e);
	default:
		add_doc(out, name, base_name(name), data, len, NULL);
		return 0;
	}
}
