/* kb/addline — the add line of the workbench's Knowledge pane, parsed. */
#ifndef AIWB_KB_ADDLINE_H
#define AIWB_KB_ADDLINE_H

#include <stddef.h>

#include "base/err.h"

#define KB_ADDLINE_GLOBS_MAX 16

/* What the Knowledge pane's add prompt takes: PATH [+GLOB]... [-GLOB]... — words split at
 * blanks, '...' and "..." quote, a backslash escapes the next character;
 * +GLOB includes, -GLOB excludes (as kb add's --include/--exclude); a leading
 * ~/ is $HOME. */
struct kb_addline {
	char *path;
	char *include[KB_ADDLINE_GLOBS_MAX], *exclude[KB_ADDLINE_GLOBS_MAX];
	size_t ninclude, nexclude;
};
/* 0, or -1 with a sentence (nothing to free then). */
int kb_addline_parse(const char *line, struct kb_addline *out, struct err *e);
void kb_addline_free(struct kb_addline *a);

#endif
