/* Drift reader invariants, the input read as CSV and as JSON Lines: no crash,
 * and for every column missing + unparseable + present = rows, categories
 * that sum to present and come sorted and distinct, numeric values that come
 * back sorted, as many as present, between min and max. A CSV error leaves
 * nothing behind; bad rows never exceed the records seen. Any violation aborts. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "drift/data.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_data(struct drift_data *d)
{
	require(d->nbad_lines <= DRIFT_BAD_LINES && d->nbad_lines <= d->bad_rows);
	for (size_t i = 0; i < d->ncols; i++) {
		struct drift_column *c = &d->cols[i];
		require(c->missing + c->unparseable + c->present == d->rows);
		if (c->type == DRIFT_CATEGORICAL || c->type == DRIFT_BOOLEAN) {
			uint64_t sum = 0;
			for (size_t k = 0; k < c->ncats; k++) {
				sum += c->cats[k].count;
				require(c->cats[k].count > 0);
				require(k == 0 || strcmp(c->cats[k - 1].value, c->cats[k].value) < 0);
			}
			require(sum == c->present);
		}
		if (c->type == DRIFT_NUMERIC || c->type == DRIFT_DATETIME) {
			size_t n;
			struct err e = ERR_INIT;
			double *v = drift_column_values(c, &n, &e);
			require(v != NULL && n == c->present);
			for (size_t k = 0; k < n; k++) {
				require(!isnan(v[k]) && v[k] >= c->min && v[k] <= c->max);
				require(k == 0 || v[k - 1] <= v[k]);
			}
			free(v);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("drift-fuzz", 0);
	require(fd >= 0);
	size_t done = 0;
	while (done < size) {
		ssize_t w = write(fd, data + done, size - done);
		require(w > 0);
		done += (size_t)w;
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	uint32_t hash = fuzz_hash(data, size);
	struct drift_type_override types[] = { { "a", DRIFT_NUMERIC }, { "b", DRIFT_CATEGORICAL },
					       { "c", DRIFT_DATETIME }, { "d", DRIFT_BOOLEAN } };
	const char *keep[] = { "a", "x" };
	for (int f = 0; f < 2; f++) {
		struct drift_read_opts o = { .format = f ? DRIFT_FMT_JSONL : DRIFT_FMT_CSV };
		if (hash & 1) {
			o.types = types;
			o.ntypes = 4;
		}
		if (hash & 2) {
			o.keep_rows = keep;
			o.nkeep_rows = 2;
		}
		struct err e = ERR_INIT;
		struct drift_data *d = drift_data_read(path, &o, &e);
		if (!d) {
			require(e.set);
			continue;
		}
		check_data(d);
		for (size_t i = 0; i < d->ncols; i++)
			if (d->cols[i].row_values)
				for (uint64_t r = 0; r < d->rows; r++)
					require(d->cols[i].row_values[r] == NULL || d->cols[i].row_values[r][0] != '\0');
		drift_data_free(d);
	}
	close(fd);
	return 0;
}
