/* xmllib — libxml2, opened on first use (base/dynlib): reading an HTML
 * document or an S3 answer loads it, a start that reads neither does not
 * pay for it and the ICU and C++ libraries it brings. Callers include the
 * libxml2 headers for the types and call through XML(name). */
#ifndef AIWB_XMLLIB_H
#define AIWB_XMLLIB_H

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "base/err.h"

#define XMLLIB_SONAME "libxml2.so.2"

#define XMLLIB_SYMBOLS(X)                                                                                      \
	X(htmlReadMemory) X(xmlReadMemory) X(xmlDocGetRootElement) X(xmlFreeDoc) X(xmlFree) X(xmlGetProp)      \
	X(xmlHasProp) X(xmlNodeGetContent)

struct xmllib {
#define XMLLIB_MEMBER(name) __typeof__(&name) p_##name;
	XMLLIB_SYMBOLS(XMLLIB_MEMBER)
#undef XMLLIB_MEMBER
};

extern struct xmllib xmllib;

/* 0 when libxml2 is loaded (now or before); -1 with one sentence in e. */
int xmllib_load(struct err *e);

/* The libxml2 version these headers are from when it loads, else why not. */
const char *xmllib_version(void);

/* A libxml2 function or variable, after xmllib_load succeeded. */
#define XML(name) (*xmllib.p_##name)

#endif
