/* dynlib and xmllib: a library opened on first use, its symbols resolved
 * into typed pointers and called; a missing library or symbol gives one
 * sentence naming it, and the first failure is the one kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <zlib.h>

#include "base/dynlib.h"
#include "text/xmllib.h"

static void test_open_resolve_call(void **state)
{
	(void)state;
	struct dynlib d = { 0 };
	__typeof__(&zlibVersion) p_zlibVersion = NULL;
	__typeof__(&crc32) p_crc32 = NULL;
	assert_int_equal(dynlib_open(&d, "libz.so.1"), 1);
	assert_int_equal(dynlib_resolve(&d, "libz.so.1", "zlibVersion", &p_zlibVersion), 0);
	assert_int_equal(dynlib_resolve(&d, "libz.so.1", "crc32", &p_crc32), 0);
	assert_string_equal((*p_zlibVersion)(), zlibVersion());
	assert_int_equal((*p_crc32)(0, (const Bytef *)"abc", 3), 0x352441c2);
	assert_int_equal(dynlib_open(&d, "libz.so.1"), 1); /* opened once */
	assert_int_equal(d.state, 1);
}

static void test_missing_library_and_symbol(void **state)
{
	(void)state;
	struct dynlib d = { 0 };
	assert_int_equal(dynlib_open(&d, "libaiwb-absent.so.9"), 0);
	assert_non_null(strstr(d.why, "libaiwb-absent.so.9 cannot be loaded"));
	assert_int_equal(dynlib_open(&d, "libaiwb-absent.so.9"), 0); /* not tried again */

	struct dynlib z = { 0 };
	void (*f)(void) = NULL;
	assert_int_equal(dynlib_open(&z, "libz.so.1"), 1);
	assert_int_equal(dynlib_resolve(&z, "libz.so.1", "no_such_symbol_here", &f), -1);
	assert_null(f);
	assert_int_equal(z.state, -1);
	assert_string_equal(z.why, "libz.so.1 has no no_such_symbol_here");
	assert_int_equal(dynlib_resolve(&z, "libz.so.1", "crc32", &f), -1); /* the first failure is kept */
	assert_string_equal(z.why, "libz.so.1 has no no_such_symbol_here");
}

static void test_xmllib_parses(void **state)
{
	(void)state;
	struct err e = ERR_INIT;
	assert_int_equal(xmllib_load(&e), 0);
	assert_int_equal(xmllib_load(&e), 0);
	static const char doc[] = "<a><b>text &amp; more</b></a>";
	xmlDocPtr d = XML(xmlReadMemory)(doc, (int)strlen(doc), "t.xml", NULL, XML_PARSE_NONET);
	assert_non_null(d);
	xmlNode *root = XML(xmlDocGetRootElement)(d);
	assert_string_equal((const char *)root->name, "a");
	xmlChar *t = XML(xmlNodeGetContent)(root->children);
	assert_string_equal((const char *)t, "text & more");
	XML(xmlFree)(t);
	XML(xmlFreeDoc)(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_resolve_call),
		cmocka_unit_test(test_missing_library_and_symbol),
		cmocka_unit_test(test_xmllib_parses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
