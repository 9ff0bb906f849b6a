/* Mustache: every case of the official spec files (one TAP line each, named
 * "file: case"; ~lambdas is skipped), then aiwb's own cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "prompt/mustache.h"

#define SPEC_DIR "tests/data/mustache-spec/"

static const char *const spec_files[] = {
	"interpolation", "sections", "inverted", "comments", "partials", "delimiters",
	"~inheritance", "~dynamic-names", "~lambdas",
};
#define NFILES (sizeof spec_files / sizeof *spec_files)

struct spec_case {
	int file;
	cJSON *test;
	char name[256];
};

static cJSON *spec_docs[NFILES];
static int spec_total[NFILES], spec_passed[NFILES], spec_skipped[NFILES];

/* ---- helpers ---- */

static const char *from_json(void *ud, const char *name, size_t *len)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive((const cJSON *)ud, name);
	if (!cJSON_IsString(p))
		return NULL;
	*len = strlen(p->valuestring);
	return p->valuestring;
}

struct files {
	const char *name[8];
	const char *text[8];
	int calls;
};

static const char *from_files(void *ud, const char *name, size_t *len)
{
	struct files *f = ud;
	f->calls++;
	for (int i = 0; i < 8 && f->name[i]; i++) {
		if (strcmp(f->name[i], name) == 0) {
			*len = strlen(f->text[i]);
			return f->text[i];
		}
	}
	return NULL;
}

static cJSON *json(const char *s)
{
	cJSON *j = cJSON_Parse(s);
	assert_non_null(j);
	return j;
}

/* Renders tmpl with data (JSON text) and opts; the output, caller frees. */
static char *render(const char *tmpl, const char *data, const struct mustache_opts *o)
{
	cJSON *d = data ? json(data) : NULL;
	struct err e = ERR_INIT;
	char *out = mustache_render_string(tmpl, d, o, &e);
	if (!out)
		print_message("error: %s\n", e.msg);
	assert_non_null(out);
	cJSON_Delete(d);
	return out;
}

static void check(const char *tmpl, const char *data, const char *want)
{
	char *got = render(tmpl, data, NULL);
	assert_string_equal(got, want);
	free(got);
}

static void check_raw(const char *tmpl, const char *data, const char *want)
{
	struct mustache_opts o = MUSTACHE_OPTS_INIT;
	o.escape_html = false;
	char *got = render(tmpl, data, &o);
	assert_string_equal(got, want);
	free(got);
}

static void check_parse_error(const char *tmpl, const char *want)
{
	struct err e = ERR_INIT;
	struct mustache *m = mustache_parse(tmpl, strlen(tmpl), NULL, &e);
	assert_null(m);
	assert_true(e.set);
	assert_string_equal(e.msg, want);
}

/* ---- the spec ---- */

static int load_specs(void **state)
{
	(void)state;
	for (size_t i = 0; i < NFILES; i++) {
		char path[512];
		const char *dir = getenv("MUSTACHE_SPEC_DIR");
		snprintf(path, sizeof path, "%s/%s.json", dir ? dir : SPEC_DIR, spec_files[i]);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		struct buf b = BUF_INIT;
		char chunk[8192];
		size_t n;
		while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
			buf_append(&b, chunk, n);
		fclose(f);
		spec_docs[i] = cJSON_Parse(buf_str(&b));
		buf_free(&b);
	}
	return 0;
}

static int report_specs(void **state)
{
	(void)state;
	for (size_t i = 0; i < NFILES; i++) {
		if (spec_skipped[i])
			printf("# %s: %d/%d passed, %d skipped (lambdas need code in the data)\n",
			       spec_files[i], spec_passed[i], spec_total[i], spec_skipped[i]);
		else
			printf("# %s: %d/%d passed\n", spec_files[i], spec_passed[i], spec_total[i]);
		cJSON_Delete(spec_docs[i]);
	}
	return 0;
}

static void spec_missing(void **state)
{
	const struct spec_case *c = *state;
	fail_msg("cannot read %s%s.json (set MUSTACHE_SPEC_DIR)", SPEC_DIR, spec_files[c->file]);
}

static void spec_run(void **state)
{
	const struct spec_case *c = *state;
	if (strcmp(spec_files[c->file], "~lambdas") == 0) {
		spec_skipped[c->file]++;
		skip();
	}
	cJSON *t = c->test;
	const char *tmpl = cJSON_GetObjectItemCaseSensitive(t, "template")->valuestring;
	const char *want = cJSON_GetObjectItemCaseSensitive(t, "expected")->valuestring;
	cJSON *partials = cJSON_GetObjectItemCaseSensitive(t, "partials");
	struct mustache_opts o = MUSTACHE_OPTS_INIT;
	o.partial = from_json;
	o.ud = partials;
	struct err e = ERR_INIT;
	struct mustache *m = mustache_parse(tmpl, strlen(tmpl), &o, &e);
	if (!m)
		fail_msg("parse error: %s", e.msg);
	struct buf out = BUF_INIT;
	int rc = mustache_render(m, cJSON_GetObjectItemCaseSensitive(t, "data"), &out, &e);
	mustache_free(m);
	if (rc) {
		buf_free(&out);
		fail_msg("render error: %s", e.msg);
	}
	if (strcmp(buf_str(&out), want) != 0) {
		char *got = buf_detach(&out);
		print_message("template: %s\nexpected: [%s]\ngot:      [%s]\n", tmpl, want, got);
		free(got);
		fail();
	}
	buf_free(&out);
	spec_passed[c->file]++;
}

/* ---- errors ---- */

static void test_error_unclosed_section(void **state)
{
	(void)state;
	check_parse_error("Items:\n\n  {{#items}}\n  - {{name}}\n", "line 3, column 3: section 'items' is never closed");
	check_parse_error("{{#a}}{{#b}}{{/b}}", "line 1, column 1: section 'a' is never closed");
	check_parse_error("{{^a}}", "line 1, column 1: section 'a' is never closed");
	check_parse_error("x\n{{<p}}{{$b}}", "line 2, column 7: block 'b' is never closed");
	check_parse_error("x\n {{<p}}", "line 2, column 2: parent 'p' is never closed");
}

static void test_error_mismatched_close(void **state)
{
	(void)state;
	check_parse_error("{{#a}}\n{{#b}}\n  {{/a}}\n{{/b}}",
			  "line 3, column 3: closing tag 'a' does not match 'b' opened at line 2, column 1");
	check_parse_error("héllo {{/x}}", "line 1, column 7: closing tag 'x' has no opening tag");
	check_parse_error("{{#a}}{{/ a.b }}", "line 1, column 7: closing tag 'a.b' does not match 'a' opened at line 1, column 1");
}

static void test_error_delimiters(void **state)
{
	(void)state;
	const char *want = "line 2, column 1: bad delimiter change: write two delimiters without '=' or "
			   "spaces in them, separated by a space, as in {{=<% %>=}}";
	check_parse_error("a\n{{=<%%>=}}", want);
	check_parse_error("a\n{{=<% %> x=}}", want);
	check_parse_error("a\n{{= =}}", want);
	check_parse_error("a\n{{=<= =>=}}", want);
	check_parse_error("{{=<% %>=}}\n<%#a%>\n\n   <%=| |", "line 4, column 4: tag '<%=| |' is never closed: '=%>' expected");
}

static void test_error_unclosed_tag(void **state)
{
	(void)state;
	check_parse_error("Hello {{name", "line 1, column 7: tag '{{name' is never closed: '}}' expected");
	check_parse_error("Hi\n  {{name\n{{other}}", "line 2, column 3: tag '{{name' is never closed: '}}' expected");
	check_parse_error("{{{name}}", "line 1, column 1: tag '{{{name}}' is never closed: '}}}' expected");
	check_parse_error("{{#a}}{{b {{/a}}", "line 1, column 7: tag '{{b {{/a}}' is never closed: '}}' expected");
	check_parse_error("{{! never ends", "line 1, column 1: tag '{{! never ends' is never closed: '}}' expected");
	check_parse_error("{{=[ ]=}}\n[x", "line 2, column 1: tag '[x' is never closed: ']' expected");
}

static void test_error_names(void **state)
{
	(void)state;
	check_parse_error("a {{}}", "line 1, column 3: the tag has no name");
	check_parse_error("a {{# }}{{/ }}", "line 1, column 3: the tag has no name");
	check_parse_error("{{first name}}", "line 1, column 1: the name 'first name' holds a space");
	check_parse_error("{{a..b}}", "line 1, column 1: the name 'a..b' has an empty part");
	check_parse_error("{{#.a}}{{/.a}}", "line 1, column 1: the name '.a' has an empty part");
	check_parse_error("{{>*}}", "line 1, column 1: the tag has no name");
	check_parse_error("{{\x1b[31mx y}}", "line 1, column 1: the name '?[31mx y' holds a space");
}

static void test_error_in_partial(void **state)
{
	(void)state;
	struct files f = {{"row", "bad"}, {"{{>bad}}", "ok\n  {{#x}}"}, 0};
	struct mustache_opts o = MUSTACHE_OPTS_INIT;
	o.partial = from_files;
	o.ud = &f;
	struct err e = ERR_INIT;
	assert_null(mustache_parse("{{>row}}", 8, &o, &e));
	assert_string_equal(e.msg, "partial 'bad': line 2, column 3: section 'x' is never closed");

	/* a dynamic name is loaded while rendering: the error comes then */
	err_clear(&e);
	struct mustache *m = mustache_parse("a {{>*which}} b", 15, &o, &e);
	assert_non_null(m);
	cJSON *d = json("{\"which\":\"bad\"}");
	struct buf out = BUF_INIT;
	buf_puts(&out, "kept");
	for (int i = 0; i < 2; i++) {
		assert_int_equal(mustache_render(m, d, &out, &e), -1);
		assert_string_equal(e.msg, "line 1, column 3: partial 'bad': line 2, column 3: section 'x' is never closed");
		assert_string_equal(buf_str(&out), "kept");
	}
	cJSON_Delete(d);
	d = json("{\"which\":\"row\"}");
	assert_int_equal(mustache_render(m, d, &out, &e), -1);
	cJSON_Delete(d);
	buf_free(&out);
	mustache_free(m);
}

/* ---- behaviour ---- */

static void test_escape_html_off(void **state)
{
	(void)state;
	const char *data = "{\"q\":\"<b>\\\"Tom\\\" & 'Jerry'</b>\"}";
	check("{{q}}", data, "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;");
	check("{{{q}}}|{{&q}}", data, "<b>\"Tom\" & 'Jerry'</b>|<b>\"Tom\" & 'Jerry'</b>");
	check_raw("{{q}}|{{{q}}}", data, "<b>\"Tom\" & 'Jerry'</b>|<b>\"Tom\" & 'Jerry'</b>");
	check_raw("{{#l}}{{.}};{{/l}}", "{\"l\":[\"a<b\",\"c&d\"]}", "a<b;c&d;");
	/* NULL opts means the spec's defaults */
	cJSON *d = json(data);
	struct err e = ERR_INIT;
	char *s = mustache_render_string("{{q}}", d, NULL, &e);
	assert_string_equal(s, "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;");
	free(s);
	cJSON_Delete(d);
}

static void test_compile_once_render_many(void **state)
{
	(void)state;
	const char *tmpl = "Q: {{question}}\n{{#choices}}\n- {{.}}\n{{/choices}}\nA:";
	struct mustache_opts o = MUSTACHE_OPTS_INIT;
	o.escape_html = false;
	struct err e = ERR_INIT;
	struct mustache *m = mustache_parse(tmpl, strlen(tmpl), &o, &e);
	assert_non_null(m);
	cJSON *a = json("{\"question\":\"2+2?\",\"choices\":[\"3\",\"4\"]}");
	cJSON *b = json("{\"question\":\"Capital of France?\",\"choices\":[]}");
	struct buf out = BUF_INIT;
	assert_int_equal(mustache_render(m, a, &out, &e), 0);
	assert_string_equal(buf_str(&out), "Q: 2+2?\n- 3\n- 4\nA:");
	buf_reset(&out);
	assert_int_equal(mustache_render(m, b, &out, &e), 0);
	assert_string_equal(buf_str(&out), "Q: Capital of France?\nA:");
	buf_reset(&out);
	assert_int_equal(mustache_render(m, a, &out, &e), 0);
	assert_string_equal(buf_str(&out), "Q: 2+2?\n- 3\n- 4\nA:");
	/* appends */
	assert_int_equal(mustache_render(m, NULL, &out, &e), 0);
	assert_string_equal(buf_str(&out), "Q: 2+2?\n- 3\n- 4\nA:Q: \nA:");
	buf_free(&out);
	cJSON_Delete(a);
	cJSON_Delete(b);
	mustache_free(m);
}

static void test_partial_depth_cap(void **state)
{
	(void)state;
	struct files f = {{"self", "tree"}, {"[{{>self}}]", "{{name}}{{#kids}}({{>tree}}){{/kids}}"}, 0};
	struct mustache_opts o = MUSTACHE_OPTS_INIT;
	o.partial = from_files;
	o.ud = &f;
	struct err e = ERR_INIT;
	struct mustache *m = mustache_parse("x{{>self}}", 10, &o, &e);
	assert_non_null(m);
	assert_int_equal(f.calls, 1);
	struct buf out = BUF_INIT;
	assert_int_equal(mustache_render(m, NULL, &out, &e), -1);
	assert_string_equal(e.msg, "partial 'self': line 1, column 2: partials nested more than 64 deep at 'self' "
				   "(does it include itself?)");
	assert_int_equal(out.len, 0);
	mustache_free(m);

	/* a tree as deep as the cap renders; one level more does not */
	o.max_depth = 3;
	m = mustache_parse("{{>tree}}", 9, &o, &e);
	assert_non_null(m);
	/* c needs its own empty kids, or the lookup finds b's */
	cJSON *d = json("{\"name\":\"a\",\"kids\":[{\"name\":\"b\",\"kids\":[{\"name\":\"c\",\"kids\":[]}]}]}");
	assert_int_equal(mustache_render(m, d, &out, &e), 0);
	assert_string_equal(buf_str(&out), "a(b(c))");
	cJSON_Delete(d);
	d = json("{\"name\":\"a\",\"kids\":[{\"name\":\"b\",\"kids\":[{\"name\":\"c\",\"kids\":[{\"name\":\"d\",\"kids\":[]}]}]}]}");
	buf_reset(&out);
	assert_int_equal(mustache_render(m, d, &out, &e), -1);
	assert_string_equal(e.msg, "partial 'tree': line 1, column 19: partials nested more than 3 deep at 'tree' "
				   "(does it include itself?)");
	cJSON_Delete(d);
	buf_free(&out);
	mustache_free(m);

	/* parents count too */
	struct files g = {{"p"}, {"{{<p}}{{/p}}"}, 0};
	o.partial = from_files;
	o.ud = &g;
	o.max_depth = 0;
	m = mustache_parse("{{<p}}{{/p}}", 12, &o, &e);
	assert_non_null(m);
	assert_int_equal(mustache_render(m, NULL, &out, &e), -1);
	assert_string_equal(e.msg, "partial 'p': line 1, column 1: partials nested more than 64 deep at 'p' "
				   "(does it include itself?)");
	buf_free(&out);
	mustache_free(m);
}

static void test_dotted_names_through_stack(void **state)
{
	(void)state;
	const char *data = "{\"user\":{\"name\":\"Ann\",\"org\":{\"name\":\"ACME\"}},"
			   "\"rows\":[{\"id\":1},{\"id\":2,\"user\":{\"name\":\"Bob\"}}]}";
	check("{{#rows}}{{id}}:{{user.name}}/{{user.org.name}};{{/rows}}", data, "1:Ann/ACME;2:Bob/;");
	check("{{#user.org}}{{name}} of {{user.name}}{{/user.org}}", data, "ACME of Ann");
	check("{{#rows}}{{#user}}{{name}}{{/user}}{{/rows}}", data, "AnnBob");
	check("{{user.missing.name}}|{{^user.missing}}none{{/user.missing}}", data, "|none");
	check("{{#rows}}{{.}}{{/rows}}", data, "{&quot;id&quot;:1}{&quot;id&quot;:2,&quot;user&quot;:{&quot;name&quot;:&quot;Bob&quot;}}");
}

static void test_values(void **state)
{
	(void)state;
	check_raw("{{a}} {{b}} {{c}} {{d}} {{e}} {{f}} {{g}} {{h}}",
		  "{\"a\":85,\"b\":1.21,\"c\":-3,\"d\":0.30000000000000004,\"e\":1e21,\"f\":1e20,\"g\":-0.0,\"h\":2.5e-7}",
		  "85 1.21 -3 0.30000000000000004 1e+21 100000000000000000000 0 2.5e-07");
	check_raw("{{t}} {{f}} [{{n}}] {{l}} {{o}} [{{missing}}]",
		  "{\"t\":true,\"f\":false,\"n\":null,\"l\":[1,\"x\"],\"o\":{\"k\":[]}}",
		  "true false [] [1,\"x\"] {\"k\":[]} []");
	check("{{#s}}yes{{/s}}{{^s}}no{{/s}} {{#z}}zero{{/z}}", "{\"s\":\"\",\"z\":0}", "yes zero");
	struct mustache_opts o = MUSTACHE_OPTS_INIT;
	o.empty_string_falsey = true;
	char *got = render("{{#s}}yes{{/s}}{{^s}}no{{/s}} {{#t}}[{{t}}]{{/t}}", "{\"s\":\"\",\"t\":\"x\"}", &o);
	assert_string_equal(got, "no [x]");
	free(got);
	check("{{.}}", "\"top\"", "top");
	check("{{#.}}{{.}},{{/.}}", "[1,2]", "1,2,");
}

static void test_limits(void **state)
{
	(void)state;
	struct mustache_opts o = MUSTACHE_OPTS_INIT;
	o.max_output = 10;
	struct err e = ERR_INIT;
	struct mustache *m = mustache_parse("{{#l}}abcd{{/l}}", 16, &o, &e);
	cJSON *d = json("{\"l\":[1,2,3]}");
	struct buf out = BUF_INIT;
	buf_puts(&out, "pre");
	assert_int_equal(mustache_render(m, d, &out, &e), -1);
	assert_string_equal(e.msg, "the output would pass 10 bytes");
	assert_string_equal(buf_str(&out), "pre");
	mustache_free(m);

	o.max_output = 0;
	o.max_steps = 5;
	m = mustache_parse("{{#l}}a{{.}}{{/l}}", 18, &o, &e);
	assert_int_equal(mustache_render(m, d, &out, &e), -1);
	assert_string_equal(e.msg, "rendering takes more than 5 steps");
	mustache_free(m);
	cJSON_Delete(d);

	/* 8^7 partial expansions stop at the step limit */
	const char *p8 = "{{>p}}{{>p}}{{>p}}{{>p}}{{>p}}{{>p}}{{>p}}{{>p}}";
	struct files f = {{"a", "b", "c", "d", "e", "f", "g", "p"},
			  {"{{>b}}", "{{>c}}", "{{>d}}", "{{>e}}", "{{>f}}", "{{>g}}", p8, "x"}, 0};
	char level[7][64];
	for (int i = 0; i < 7; i++) {
		snprintf(level[i], sizeof level[i], "%s", p8);
		for (char *c = level[i]; (c = strstr(c, "{{>p}}")); c++)
			c[3] = f.name[i + 1][0];
		f.text[i] = level[i];
	}
	o = (struct mustache_opts)MUSTACHE_OPTS_INIT;
	o.partial = from_files;
	o.ud = &f;
	o.max_steps = 100000;
	m = mustache_parse("{{>a}}", 6, &o, &e);
	assert_non_null(m);
	assert_int_equal(mustache_render(m, NULL, &out, &e), -1);
	assert_string_equal(e.msg, "rendering takes more than 100000 steps");
	mustache_free(m);

	struct buf deep = BUF_INIT;
	for (int i = 0; i < MUSTACHE_MAX_NESTING; i++)
		buf_puts(&deep, "{{#a}}");
	for (int i = 0; i < MUSTACHE_MAX_NESTING; i++)
		buf_puts(&deep, "{{/a}}");
	m = mustache_parse(deep.data, deep.len, NULL, &e);
	assert_non_null(m);
	mustache_free(m);
	buf_reset(&deep);
	for (int i = 0; i <= MUSTACHE_MAX_NESTING; i++)
		buf_puts(&deep, "{{#a}}\n");
	assert_null(mustache_parse(deep.data, deep.len, NULL, &e));
	assert_string_equal(e.msg, "line 257, column 1: sections nested more than 256 deep");
	buf_free(&deep);
	buf_free(&out);
}

static void test_partials_loaded_once(void **state)
{
	(void)state;
	struct files f = {{"row", "cell"}, {"<{{>cell}}{{>cell}}>", "{{.}}"}, 0};
	struct mustache_opts o = MUSTACHE_OPTS_INIT;
	o.partial = from_files;
	o.ud = &f;
	struct err e = ERR_INIT;
	const char *tmpl = "{{#l}}{{>row}}{{>missing}}{{/l}}{{>*dyn}}";
	struct mustache *m = mustache_parse(tmpl, strlen(tmpl), &o, &e);
	assert_non_null(m);
	assert_int_equal(f.calls, 3);
	cJSON *d = json("{\"l\":[1,2],\"dyn\":\"row\"}");
	struct buf out = BUF_INIT;
	for (int i = 0; i < 3; i++) {
		buf_reset(&out);
		assert_int_equal(mustache_render(m, d, &out, &e), 0);
		assert_string_equal(buf_str(&out), "<11><22><{&quot;l&quot;:[1,2],&quot;dyn&quot;:&quot;row&quot;}{&quot;l&quot;:[1,2],&quot;dyn&quot;:&quot;row&quot;}>");
	}
	assert_int_equal(f.calls, 3);
	cJSON_Delete(d);
	d = json("{\"dyn\":\"other\"}");
	assert_int_equal(mustache_render(m, d, &out, &e), 0);
	assert_int_equal(mustache_render(m, d, &out, &e), 0);
	assert_int_equal(f.calls, 4);
	cJSON_Delete(d);
	buf_free(&out);
	mustache_free(m);

	/* without a loader every partial is empty */
	check("[{{>x}}][{{<y}}{{$b}}z{{/b}}{{/y}}]", "{}", "[][]");
}

static void test_indentation(void **state)
{
	(void)state;
	struct files f = {{"list", "p"}, {"{{#items}}\n- {{.}}\n{{/items}}\n", "a\n\nb\n"}, 0};
	struct mustache_opts o = MUSTACHE_OPTS_INIT;
	o.partial = from_files;
	o.ud = &f;
	cJSON *d = json("{\"items\":[\"x\",\"y\"]}");
	struct err e = ERR_INIT;
	const char *tmpl = "Items:\n    {{>list}}\nEnd\n  {{>p}}";
	struct mustache *m = mustache_parse(tmpl, strlen(tmpl), &o, &e);
	assert_non_null(m);
	struct buf out = BUF_INIT;
	assert_int_equal(mustache_render(m, d, &out, &e), 0);
	/* empty lines stay empty */
	assert_string_equal(buf_str(&out), "Items:\n    - x\n    - y\nEnd\n  a\n\n  b\n");
	buf_free(&out);
	mustache_free(m);
	cJSON_Delete(d);
	check("\r\n  {{#a}}\r\n  x\r\n  {{/a}}\r\n", "{\"a\":1}", "\r\n  x\r\n");
}

static void test_inheritance(void **state)
{
	(void)state;
	struct files f = {{"parent", "base", "layout"},
			  {"I say,\n  {{$block}}\n  Hi there!\n  {{/block}}",
			   "<{{$body}}default{{/body}}>",
			   "# {{$title}}Untitled{{/title}}\n\n{{$body}}\n  (empty)\n{{/body}}\n"}, 0};
	struct mustache_opts o = MUSTACHE_OPTS_INIT;
	o.partial = from_files;
	o.ud = &f;
	struct {
		const char *tmpl, *data, *want;
	} cases[] = {
		/* mustache/spec#131: the block takes the indentation of the parent's */
		{"{{<parent}}\n        {{$block}}\n        Hello\n        {{/block}}\n{{/parent}}", "{}",
		 "I say,\n  Hello\n"},
		{"{{<parent}}{{/parent}}", "{}", "I say,\n  Hi there!\n"},
		{"{{<*l}}{{$body}}hi {{name}}{{/body}}{{/*l}}", "{\"l\":\"base\",\"name\":\"Ann\"}", "<hi Ann>"},
		{"{{<*l}}{{/*l}}", "{}", ""},
		{"{{<layout}}\n{{$title}}Report{{/title}}\n{{$body}}\n{{#rows}}\n- {{.}}\n{{/rows}}\n{{/body}}\n{{/layout}}\n",
		 "{\"rows\":[1,2]}", "# Report\n\n  - 1\n  - 2\n"},
		{"  {{<layout}}{{/layout}}", "{}", "  # Untitled\n\n    (empty)\n"},
		/* an override holding its own block name does not recurse */
		{"{{<base}}{{$body}}[{{$body}}inner{{/body}}]{{/body}}{{/base}}", "{}", "<[inner]>"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *got = render(cases[i].tmpl, cases[i].data, &o);
		assert_string_equal(got, cases[i].want);
		free(got);
	}
}

static void test_text_bytes(void **state)
{
	(void)state;
	const char tmpl[] = "a\0b{{x}}\xff\xfe";
	struct err e = ERR_INIT;
	struct mustache *m = mustache_parse(tmpl, sizeof tmpl - 1, NULL, &e);
	assert_non_null(m);
	cJSON *d = json("{\"x\":\"\xc3\xa9\"}");
	struct buf out = BUF_INIT;
	assert_int_equal(mustache_render(m, d, &out, &e), 0);
	assert_int_equal(out.len, 7);
	assert_memory_equal(out.data, "a\0b\xc3\xa9\xff\xfe", 7);
	buf_free(&out);
	cJSON_Delete(d);
	mustache_free(m);
	check("", "{}", "");
	assert_int_equal(mustache_render(NULL, NULL, &out, &e), -1);
	buf_free(&out);
}

int main(void)
{
	load_specs(NULL);
	size_t ncases = 0;
	for (size_t i = 0; i < NFILES; i++) {
		const cJSON *tests = cJSON_GetObjectItemCaseSensitive(spec_docs[i], "tests");
		ncases += tests ? (size_t)cJSON_GetArraySize(tests) : 1;
	}
	struct spec_case *cases = xcalloc(ncases, sizeof *cases);
	struct CMUnitTest *t = xcalloc(ncases, sizeof *t);
	size_t k = 0;
	for (size_t i = 0; i < NFILES; i++) {
		const cJSON *tests = cJSON_GetObjectItemCaseSensitive(spec_docs[i], "tests");
		if (!tests) {
			cases[k].file = (int)i;
			snprintf(cases[k].name, sizeof cases[k].name, "%s: spec file", spec_files[i]);
			t[k] = (struct CMUnitTest){cases[k].name, spec_missing, NULL, NULL, &cases[k]};
			k++;
			continue;
		}
		cJSON *test;
		cJSON_ArrayForEach(test, tests) {
			const cJSON *name = cJSON_GetObjectItemCaseSensitive(test, "name");
			cases[k].file = (int)i;
			cases[k].test = test;
			snprintf(cases[k].name, sizeof cases[k].name, "%s: %s", spec_files[i],
				 cJSON_IsString(name) ? name->valuestring : "?");
			t[k] = (struct CMUnitTest){cases[k].name, spec_run, NULL, NULL, &cases[k]};
			spec_total[i]++;
			k++;
		}
	}
	int failed = _cmocka_run_group_tests("mustache spec", t, k, NULL, report_specs);
	free(t);
	free(cases);

	const struct CMUnitTest own[] = {
		cmocka_unit_test(test_error_unclosed_section),
		cmocka_unit_test(test_error_mismatched_close),
		cmocka_unit_test(test_error_delimiters),
		cmocka_unit_test(test_error_unclosed_tag),
		cmocka_unit_test(test_error_names),
		cmocka_unit_test(test_error_in_partial),
		cmocka_unit_test(test_escape_html_off),
		cmocka_unit_test(test_compile_once_render_many),
		cmocka_unit_test(test_partial_depth_cap),
		cmocka_unit_test(test_dotted_names_through_stack),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_partials_loaded_once),
		cmocka_unit_test(test_indentation),
		cmocka_unit_test(test_inheritance),
		cmocka_unit_test(test_text_bytes),
	};
	failed += cmocka_run_group_tests_name("mustache", own, NULL, NULL);
	return failed ? 1 : 0;
}
