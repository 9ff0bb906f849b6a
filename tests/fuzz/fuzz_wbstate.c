/* The workbench's state file: any bytes load as a state or fail as a whole
 * (an empty state); a loaded state saves and loads back the same. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wbstate.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/aiwb-fuzz-wbstate-XXXXXX";
	int fd = mkstemp(path);
	require(fd >= 0);
	require(write(fd, data, size) == (ssize_t)size);
	close(fd);
	struct wbstate s;
	struct err e = ERR_INIT;
	if (wbstate_load(&s, path, &e) == 0) {
		require(wbstate_save(&s, path, &e) == 0);
		struct wbstate t;
		require(wbstate_load(&t, path, &e) == 0);
		require(t.nmarked == s.nmarked && t.nfolded == s.nfolded);
		require((t.focus == NULL) == (s.focus == NULL) && (!t.focus || strcmp(t.focus, s.focus) == 0));
		wbstate_free(&t);
	} else {
		require(s.nmarked == 0 && s.nparams == 0 && !s.focus && !s.template);
	}
	wbstate_free(&s);
	unlink(path);
	return 0;
}
