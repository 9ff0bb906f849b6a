#include "text/xmllib.h"

#include "base/dynlib.h"

struct xmllib xmllib;
static struct dynlib lib;

int xmllib_load(struct err *e)
{
	if (lib.state > 0)
		return 0;
	if (lib.state == 0 && dynlib_open(&lib, XMLLIB_SONAME)) {
#define XMLLIB_RESOLVE(name) dynlib_resolve(&lib, XMLLIB_SONAME, #name, &xmllib.p_##name);
		XMLLIB_SYMBOLS(XMLLIB_RESOLVE)
#undef XMLLIB_RESOLVE
	}
	if (lib.state > 0)
		return 0;
	return err_set(e, "%s (install libxml2: make deps)", lib.why);
}

const char *xmllib_version(void)
{
	return xmllib_load(NULL) == 0 ? LIBXML_DOTTED_VERSION : lib.why;
}
