/* Drift monitor input invariants: every line of the input goes through
 * drift_capture_row (data-capture lines with CSV, JSON and BASE64 data, flat
 * objects, anything else) and the window (by rows and by time) and back out
 * through drift_window_write: no crash; a row is an object or NULL; a row's
 * time is NaN or finite; the window never holds more than it may; what it
 * writes is one line per row held. Any violation aborts. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "drift/watch.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = { "a", "b", "c", "d" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	for (size_t start = 0; start < size;) {
		const char *nl = memchr(s + start, '\n', size - start);
		size_t len = nl ? (size_t)(nl - (s + start)) : size - start;
		double t;
		cJSON *row = drift_capture_row(s + start, len, names, 4, &t);
		require(!row || cJSON_IsObject(row));
		require(isnan(t) || isfinite(t));
		cJSON_Delete(row);
		start += len + 1;
	}
	char dir[] = "/tmp/aiwb-fuzz-capture-XXXXXX";
	if (!mkdtemp(dir))
		return 0;
	char in[64], out[64];
	snprintf(in, sizeof in, "%s/in.jsonl", dir);
	snprintf(out, sizeof out, "%s/out.jsonl", dir);
	FILE *f = fopen(in, "w");
	if (f) {
		fwrite(data, 1, size, f);
		fclose(f);
		uint32_t h = fuzz_hash(data, size);
		size_t rows = h % 3 ? 1 + h % 7 : 0;
		struct drift_window *w = drift_window_new(rows, 1 + h % 100);
		int64_t off = 0;
		struct err e = ERR_INIT;
		int added = drift_window_feed(w, in, &off, &e);
		require(added >= 0 && off >= 0 && (size_t)off <= size);
		require(!rows || drift_window_count(w) <= rows);
		require(drift_window_count(w) <= (size_t)added);
		if (drift_window_write(w, out, names, 4, &e) == 0) {
			FILE *o = fopen(out, "r");
			size_t lines = 0;
			int c;
			while (o && (c = fgetc(o)) != EOF)
				lines += c == '\n';
			if (o)
				fclose(o);
			require(lines >= drift_window_count(w)); /* a row's text may hold newlines only escaped */
		}
		drift_window_free(w);
	}
	unlink(in);
	unlink(out);
	rmdir(dir);
	return 0;
}
