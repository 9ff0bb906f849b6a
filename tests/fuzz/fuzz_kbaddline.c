/* libFuzzer target for kb/addline: any line gives either -1 with one
 * sentence and nothing held, or 0 with a path and at most
 * KB_ADDLINE_GLOBS_MAX non-empty globs of each kind; never a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "kb/addline.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = xstrndup((const char *)data, size);
	struct kb_addline a;
	struct err e = ERR_INIT;
	if (kb_addline_parse(line, &a, &e) == 0) {
		require(a.path != NULL);
		require(a.ninclude <= KB_ADDLINE_GLOBS_MAX && a.nexclude <= KB_ADDLINE_GLOBS_MAX);
		for (size_t i = 0; i < a.ninclude; i++)
			require(a.include[i] && a.include[i][0]);
		for (size_t i = 0; i < a.nexclude; i++)
			require(a.exclude[i] && a.exclude[i][0]);
		kb_addline_free(&a);
	} else {
		require(e.msg[0] != '\0');
		require(a.path == NULL && a.ninclude == 0 && a.nexclude == 0);
	}
	free(line);
	return 0;
}
