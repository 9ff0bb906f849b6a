/* yamldoc: positions, syntax errors, the getters' checks, mapping iteration
 * and conversion to JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/yamldoc.h"

static struct err e;

static void load_with(struct yamldoc *d, const char *text, int line0, size_t max_keys)
{
	const struct yamldoc_opts o = { "f.yaml", line0, "the file", 0, max_keys };
	err_clear(&e);
	if (yamldoc_load(d, text, strlen(text), &o, &e) != 0)
		fail_msg("load failed: %s", e.msg);
}

static void load(struct yamldoc *d, const char *text)
{
	load_with(d, text, 1, 0);
}

/* The node under key in the root mapping. */
static yaml_node_t *get(struct yamldoc *d, const char *key)
{
	yaml_node_t *root = yamldoc_root(d);
	assert_non_null(root);
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++)
		if (!strcmp(yamldoc_scalar(yamldoc_node(d, p->key)), key))
			return yamldoc_node(d, p->value);
	fail_msg("no key %s", key);
	return NULL;
}

static const char *syntax_error(const char *text, int line0, int detail)
{
	const struct yamldoc_opts o = { "f.yaml", line0, "the file", detail, 0 };
	struct yamldoc d;
	err_clear(&e);
	assert_int_equal(yamldoc_load(&d, text, strlen(text), &o, &e), -1);
	return e.msg;
}

static void test_errors_name_file_line_and_column(void **state)
{
	(void)state;
	struct yamldoc d;
	load(&d, "a: 1\nb:\n  c:   x\n");
	yaml_node_t *c = yamldoc_node(&d, get(&d, "b")->data.mapping.pairs.start->value);
	assert_int_equal(yamldoc_error(&d, c, "bad %s", "c"), -1);
	assert_string_equal(e.msg, "f.yaml:3:8: bad c");
	assert_int_equal(yamldoc_error(&d, yamldoc_root(&d), "root"), -1);
	assert_string_equal(e.msg, "f.yaml:1:1: root");
	yamldoc_free(&d);

	load_with(&d, "a: 1\nb:\n  c:   x\n", 5, 0);
	assert_int_equal(yamldoc_error(&d, get(&d, "b"), "b"), -1);
	assert_string_equal(e.msg, "f.yaml:7:3: b");
	yamldoc_free(&d);
}

static void test_syntax_errors(void **state)
{
	(void)state;
	const char *open = "a: [open\nb: y\n", *bad_utf8 = "a: 1\nb: x\xff\n";
	assert_string_equal(syntax_error(open, 1, 0), "f.yaml:2:2: YAML: did not find expected ',' or ']'");
	assert_string_equal(syntax_error(open, 2, 1), "f.yaml:3:2: YAML: did not find expected ',' or ']' "
						      "(while parsing a flow sequence at line 2)");
	assert_string_equal(syntax_error("a: b: c\n", 1, 0),
			    "f.yaml:1:5: YAML: mapping values are not allowed in this context");
	/* an encoding error is placed at its byte only with detail */
	assert_string_equal(syntax_error(bad_utf8, 2, 1), "f.yaml:3:5: YAML: invalid leading UTF-8 octet");
	assert_non_null(strstr(syntax_error(bad_utf8, 1, 0), "YAML: invalid leading UTF-8 octet"));
}

static void test_empty_document_has_no_root(void **state)
{
	(void)state;
	struct yamldoc d;
	load(&d, "");
	assert_null(yamldoc_root(&d));
	yamldoc_free(&d);
	load(&d, "# only a comment\n");
	assert_null(yamldoc_root(&d));
	yamldoc_free(&d);
}

static void test_scalar_kinds(void **state)
{
	(void)state;
	struct yamldoc d;
	load(&d, "e:\nt: ~\nn: null\nN: NULL\nq: 'null'\ns: text\nl: [1]\nm: {a: 1}\n");
	static const char *const nulls[] = { "e", "t", "n", "N" };
	for (size_t i = 0; i < 4; i++) {
		assert_true(yamldoc_is_null(get(&d, nulls[i])));
		assert_true(yamldoc_is_plain(get(&d, nulls[i])));
	}
	assert_false(yamldoc_is_null(get(&d, "q")));
	assert_false(yamldoc_is_plain(get(&d, "q")));
	assert_string_equal(yamldoc_scalar(get(&d, "q")), "null");
	assert_false(yamldoc_is_null(get(&d, "s")));
	assert_null(yamldoc_scalar(get(&d, "l")));
	assert_null(yamldoc_scalar(get(&d, "m")));
	assert_null(yamldoc_scalar(NULL));
	assert_false(yamldoc_is_null(get(&d, "l")));
	assert_true(yamldoc_is_seq(get(&d, "l")));
	assert_false(yamldoc_is_seq(get(&d, "m")));
	yamldoc_free(&d);
}

static void test_text(void **state)
{
	(void)state;
	struct yamldoc d;
	load(&d, "s: hello\nt: ~\nl: [a]\nm: {a: b}\n");
	char *out = strdup("old");
	assert_int_equal(yamldoc_text(&d, get(&d, "s"), "s", &out), 0);
	assert_string_equal(out, "hello");
	assert_int_equal(yamldoc_text(&d, get(&d, "t"), "t", &out), 0);
	assert_string_equal(out, "~");
	assert_int_equal(yamldoc_text(&d, get(&d, "l"), "the name", &out), -1);
	assert_string_equal(e.msg, "f.yaml:3:4: the name must be text, not a list");
	assert_int_equal(yamldoc_text(&d, get(&d, "m"), "the name", &out), -1);
	assert_string_equal(e.msg, "f.yaml:4:4: the name must be text, not a mapping");
	assert_string_equal(out, "~");
	free(out);
	yamldoc_free(&d);
}

static void test_number_range_and_form(void **state)
{
	(void)state;
	struct yamldoc d;
	load(&d, "lo: 0\nhi: 2\nmid: 1.5e0\nunder: -0.1\nover: 2.01\nq: '1'\nhex: 0x1\ninf: .inf\nw: one\nl: [1]\n");
	double v = -1;
	assert_int_equal(yamldoc_number(&d, get(&d, "lo"), "t", 0, 2, &v), 0);
	assert_true(v == 0);
	assert_int_equal(yamldoc_number(&d, get(&d, "hi"), "t", 0, 2, &v), 0);
	assert_true(v == 2);
	assert_int_equal(yamldoc_number(&d, get(&d, "mid"), "t", 0, 2, &v), 0);
	assert_true(v == 1.5);
	static const char *const bad[] = { "under", "over", "q", "hex", "inf", "w", "l" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		v = 42;
		assert_int_equal(yamldoc_number(&d, get(&d, bad[i]), "temperature", 0, 2, &v), -1);
		assert_non_null(strstr(e.msg, ": temperature must be a number from 0 to 2"));
		assert_true(v == 42);
	}
	assert_int_equal(yamldoc_number(&d, get(&d, "over"), "top_p", 0.1, 1e6, &v), 0);
	assert_int_equal(yamldoc_number(&d, get(&d, "under"), "rpm", 0.1, 1e6, &v), -1);
	assert_string_equal(e.msg, "f.yaml:4:8: rpm must be a number from 0.1 to 1e+06");
	yamldoc_free(&d);
}

static void test_int_range_and_wholeness(void **state)
{
	(void)state;
	struct yamldoc d;
	load(&d, "one: 1\nbig: 1000000\nhalf: 2.5\nzero: 0\nhuge: 1000001\nwhole: 3.0\n");
	int v = -1;
	assert_int_equal(yamldoc_int(&d, get(&d, "one"), "max_tokens", 1, 1000000, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(yamldoc_int(&d, get(&d, "big"), "max_tokens", 1, 1000000, &v), 0);
	assert_int_equal(v, 1000000);
	assert_int_equal(yamldoc_int(&d, get(&d, "whole"), "max_tokens", 1, 1000000, &v), 0);
	assert_int_equal(v, 3);
	v = 7;
	assert_int_equal(yamldoc_int(&d, get(&d, "half"), "max_tokens", 1, 1000000, &v), -1);
	assert_string_equal(e.msg, "f.yaml:3:7: max_tokens must be a whole number from 1 to 1000000");
	assert_int_equal(yamldoc_int(&d, get(&d, "zero"), "max_tokens", 1, 1000000, &v), -1);
	assert_string_equal(e.msg, "f.yaml:4:7: max_tokens must be a whole number from 1 to 1000000");
	assert_int_equal(yamldoc_int(&d, get(&d, "huge"), "max_tokens", 1, 1000000, &v), -1);
	assert_string_equal(e.msg, "f.yaml:5:7: max_tokens must be a whole number from 1 to 1000000");
	assert_int_equal(v, 7);
	yamldoc_free(&d);
}

static void test_bool(void **state)
{
	(void)state;
	struct yamldoc d;
	load(&d, "a: true\nb: No\nc: ON\nd: 0\nq: 'true'\nm: maybe\ne:\n");
	static const struct { const char *key; int want; } ok[] = { { "a", 1 }, { "b", 0 }, { "c", 1 }, { "d", 0 } };
	for (size_t i = 0; i < 4; i++) {
		int v = -1;
		assert_int_equal(yamldoc_bool(&d, get(&d, ok[i].key), "required", &v), 0);
		assert_int_equal(v, ok[i].want);
	}
	static const char *const bad[] = { "q", "m", "e" };
	for (size_t i = 0; i < 3; i++) {
		int v = 5;
		assert_int_equal(yamldoc_bool(&d, get(&d, bad[i]), "required", &v), -1);
		assert_non_null(strstr(e.msg, ": required must be true or false"));
		assert_int_equal(v, 5);
	}
	yamldoc_free(&d);
}

struct seen {
	struct buf keys;
	int stop_at;
	int calls;
};

static int collect(struct yamldoc *d, const char *key, yaml_node_t *k, yaml_node_t *v, void *ud)
{
	struct seen *s = ud;
	(void)k;
	s->calls++;
	buf_printf(&s->keys, "%s=%s;", key, yamldoc_scalar(v) ? yamldoc_scalar(v) : "?");
	if (s->calls == s->stop_at)
		return yamldoc_error(d, v, "stop at %s", key);
	return 0;
}

static int each_pair(const char *text, size_t max_keys, int stop_at, struct seen *s)
{
	struct yamldoc d;
	load_with(&d, text, 1, max_keys);
	memset(s, 0, sizeof *s);
	s->stop_at = stop_at;
	int rc = yamldoc_each_pair(&d, yamldoc_root(&d), "the thing", collect, s);
	yamldoc_free(&d);
	return rc;
}

static void test_each_pair_in_order_and_stops_on_error(void **state)
{
	(void)state;
	struct seen s;
	assert_int_equal(each_pair("b: 1\na: 2\nc: [x]\n", 0, 0, &s), 0);
	assert_string_equal(s.keys.data, "b=1;a=2;c=?;");
	buf_free(&s.keys);

	assert_int_equal(each_pair("a: 1\nb: 2\nc: 3\n", 0, 2, &s), -1);
	assert_int_equal(s.calls, 2);
	assert_string_equal(e.msg, "f.yaml:2:4: stop at b");
	buf_free(&s.keys);
}

static void test_each_pair_refuses(void **state)
{
	(void)state;
	struct seen s;
	assert_int_equal(each_pair("[a, b]\n", 0, 0, &s), -1);
	assert_string_equal(e.msg, "f.yaml:1:1: the thing must be a mapping of keys to values");
	assert_int_equal(s.calls, 0);

	assert_int_equal(each_pair("a: 1\n[x]: 2\n", 0, 0, &s), -1);
	assert_string_equal(e.msg, "f.yaml:2:1: the keys of the thing must be text");
	assert_int_equal(s.calls, 1);
	buf_free(&s.keys);

	assert_int_equal(each_pair("a: 1\nb: 2\na: 3\n", 0, 0, &s), -1);
	assert_string_equal(e.msg, "f.yaml:3:1: 'a' appears twice in the thing");
	assert_int_equal(s.calls, 2);
	buf_free(&s.keys);

	assert_int_equal(each_pair("a: 1\nb: 2\nc: 3\n", 2, 0, &s), -1);
	assert_string_equal(e.msg, "f.yaml:1:1: the thing has more than 2 keys");
	assert_int_equal(s.calls, 0);
	assert_int_equal(each_pair("a: 1\nb: 2\n", 2, 0, &s), 0);
	buf_free(&s.keys);
}

static void test_pick_known_keys(void **state)
{
	(void)state;
	static const char *const keys[] = { "name", "size", "kind", NULL }, *const ignored[] = { "note", "tag", NULL };
	struct yamldoc d;
	yaml_node_t *v[3];
	load(&d, "size: 3\nnote: kept for people\nname: n\n");
	assert_int_equal(yamldoc_pick(&d, yamldoc_root(&d), "the thing", keys, ignored, v), 0);
	assert_string_equal(yamldoc_scalar(v[0]), "n");
	assert_string_equal(yamldoc_scalar(v[1]), "3");
	assert_null(v[2]);
	yamldoc_free(&d);

	load(&d, "name: n\nsize: 3\nsise: 4\n");
	assert_int_equal(yamldoc_pick(&d, yamldoc_root(&d), "the thing", keys, ignored, v), -1);
	assert_string_equal(e.msg, "f.yaml:3:1: unknown key 'sise' (known: name, size, kind, note, tag)");
	assert_int_equal(yamldoc_pick(&d, yamldoc_root(&d), "the thing", keys, NULL, v), -1);
	assert_string_equal(e.msg, "f.yaml:3:1: unknown key 'sise' (known: name, size, kind)");
	yamldoc_free(&d);

	load(&d, "note: 1\n");
	assert_int_equal(yamldoc_pick(&d, yamldoc_root(&d), "the thing", keys, NULL, v), -1);
	assert_string_equal(e.msg, "f.yaml:1:1: unknown key 'note' (known: name, size, kind)");
	yamldoc_free(&d);

	load(&d, "name: a\nname: b\n");
	assert_int_equal(yamldoc_pick(&d, yamldoc_root(&d), "the thing", keys, NULL, v), -1);
	assert_string_equal(e.msg, "f.yaml:2:1: 'name' appears twice in the thing");
	yamldoc_free(&d);
}

static char *json_of(const char *text)
{
	struct yamldoc d;
	load(&d, text);
	cJSON *j = yamldoc_json(&d, yamldoc_root(&d));
	yamldoc_free(&d);
	if (!j)
		return NULL;
	char *s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return s;
}

static void assert_json(const char *yaml, const char *want)
{
	char *got = json_of(yaml);
	if (!got)
		fail_msg("no JSON for %s: %s", yaml, e.msg);
	assert_string_equal(got, want);
	free(got);
}

static void test_json_scalars(void **state)
{
	(void)state;
	assert_json("{a: , b: ~}", "{\"a\":null,\"b\":null}");
	assert_json("[~, null, true, FALSE, yes, 1, -2.5, 1e3, '1', \"true\", 0x10, text]",
		    "[null,null,true,false,\"yes\",1,-2.5,1000,\"1\",\"true\",\"0x10\",\"text\"]");
	assert_json("plain", "\"plain\"");
	assert_json("|\n  two\n  lines\n", "\"two\\nlines\\n\"");
}

static void test_json_sequences_and_mappings(void **state)
{
	(void)state;
	assert_json("a: [1, {b: [x, {}]}]\nc: {}\nd: []\n", "{\"a\":[1,{\"b\":[\"x\",{}]}],\"c\":{},\"d\":[]}");
	/* keys that are not text are dropped; a later duplicate wins */
	assert_json("{[1]: x, k: 1, k: 2}", "{\"k\":2}");
	assert_json("a: &x [1, 2]\nb: *x\n", "{\"a\":[1,2],\"b\":[1,2]}");
}

static void test_json_limits(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	/* the root is depth 0; one level more is refused by yamldoc_load itself,
	 * at the bracket that goes too deep */
	for (int i = 0; i <= YAMLDOC_MAX_DEPTH + 1; i++)
		buf_puts(&b, "[");
	for (int i = 0; i <= YAMLDOC_MAX_DEPTH + 1; i++)
		buf_puts(&b, "]");
	struct yamldoc d;
	const struct yamldoc_opts o = { "f.yaml", 1, "the file", 0, 0 };
	err_clear(&e);
	assert_int_equal(yamldoc_load(&d, b.data, b.len, &o, &e), -1);
	assert_string_equal(e.msg, "f.yaml:1:66: YAML nested more than 64 levels deep; flatten the file");
	buf_reset(&b);
	for (int i = 0; i <= YAMLDOC_MAX_DEPTH; i++)
		buf_puts(&b, "[");
	for (int i = 0; i <= YAMLDOC_MAX_DEPTH; i++)
		buf_puts(&b, "]");
	char *ok = json_of(b.data);
	assert_non_null(ok);
	free(ok);

	buf_reset(&b);
	buf_puts(&b, "x:\n  y: {");
	for (int i = 0; i <= YAMLDOC_MAX_KEYS; i++)
		buf_printf(&b, "%sk%d: 1", i ? ", " : "", i);
	buf_puts(&b, "}\n");
	assert_null(json_of(b.data));
	assert_non_null(strstr(e.msg, "f.yaml:1:1: this value is nested too deeply"));

	/* nine levels of ten aliases: 10^9 nodes from a few lines */
	buf_reset(&b);
	buf_puts(&b, "a: &a [x, x, x, x, x, x, x, x, x, x]\n");
	for (char c = 'b'; c <= 'j'; c++) {
		buf_printf(&b, "%c: &%c [", c, c);
		for (int i = 0; i < 10; i++)
			buf_printf(&b, "%s*%c", i ? ", " : "", c - 1);
		buf_puts(&b, "]\n");
	}
	assert_null(json_of(b.data));
	assert_non_null(strstr(e.msg, "expands to too much"));
	buf_free(&b);
}


/* Nesting past the limit and a second document are refused on the event
 * stream, before libyaml builds the document (its time grows with the
 * square of the depth): flow or block style, at the offending line. */
static void test_depth_and_documents_refused(void **state)
{
	(void)state;
	struct yamldoc d;
	const struct yamldoc_opts o = { "f.prompt", 2, "the front matter", 1, 0 };
	struct buf b = BUF_INIT;
	buf_puts(&b, "name: x\nvars: ");
	for (int i = 0; i < 100000; i++)
		buf_putc(&b, '[');
	for (int i = 0; i < 100000; i++)
		buf_putc(&b, ']');
	err_clear(&e);
	assert_int_equal(yamldoc_load(&d, b.data, b.len, &o, &e), -1);
	assert_string_equal(e.msg, "f.prompt:3:71: YAML nested more than 64 levels deep; flatten the front matter");
	buf_reset(&b);
	buf_puts(&b, "a:\n");
	for (int i = 0; i < 100; i++) {
		for (int k = 0; k <= i; k++)
			buf_puts(&b, " ");
		buf_puts(&b, "- \n");
	}
	err_clear(&e);
	assert_int_equal(yamldoc_load(&d, b.data, b.len, &o, &e), -1);
	assert_non_null(strstr(e.msg, "f.prompt:67:"));
	assert_non_null(strstr(e.msg, "nested more than 64 levels deep"));
	buf_free(&b);

	const char two[] = "a: 1\n---\nb: 2\n";
	err_clear(&e);
	assert_int_equal(yamldoc_load(&d, two, strlen(two), &o, &e), -1);
	assert_string_equal(e.msg, "f.prompt:3:1: a second YAML document starts here; the front matter must be one "
				   "document (remove the '---' or '...' line)");
	const char one[] = "---\na: 1\n...\n";
	err_clear(&e);
	assert_int_equal(yamldoc_load(&d, one, strlen(one), &o, &e), 0);
	yamldoc_free(&d);
}

static void test_each_item(void **state)
{
	(void)state;
	struct yamldoc d;
	load(&d, "- a\n- b\n- c\n");
	struct buf b = BUF_INIT;
	YAMLDOC_EACH_ITEM(it, yamldoc_root(&d))
		buf_puts(&b, yamldoc_scalar(yamldoc_node(&d, *it)));
	assert_string_equal(b.data, "abc");
	buf_free(&b);
	yamldoc_free(&d);
}

static void test_parse_number_and_bool(void **state)
{
	(void)state;
	double v;
	int b;
	assert_int_equal(yamldoc_parse_number("-1.5e2", &v), 0);
	assert_true(v == -150);
	static const char *const not_numbers[] = { "", "1x", "0x10", "inf", "nan", "e", "+-", "1e999", " 1" };
	for (size_t i = 0; i < sizeof not_numbers / sizeof *not_numbers; i++)
		assert_int_equal(yamldoc_parse_number(not_numbers[i], &v), -1);
	assert_int_equal(yamldoc_parse_bool("Yes", &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(yamldoc_parse_bool("OFF", &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(yamldoc_parse_bool("y", &b), -1);
	assert_int_equal(yamldoc_parse_bool("", &b), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors_name_file_line_and_column),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_empty_document_has_no_root),
		cmocka_unit_test(test_scalar_kinds),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_number_range_and_form),
		cmocka_unit_test(test_int_range_and_wholeness),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_each_pair_in_order_and_stops_on_error),
		cmocka_unit_test(test_each_pair_refuses),
		cmocka_unit_test(test_pick_known_keys),
		cmocka_unit_test(test_json_scalars),
		cmocka_unit_test(test_json_sequences_and_mappings),
		cmocka_unit_test(test_json_limits),
		cmocka_unit_test(test_depth_and_documents_refused),
		cmocka_unit_test(test_each_item),
		cmocka_unit_test(test_parse_number_and_bool),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
