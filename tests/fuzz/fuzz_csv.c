/* CSV reader invariants: the input fed whole, in data-derived pieces and
 * (when short) one byte at a time gives the same records, result and error;
 * every record has at least one field and fields fit the cap; records that
 * parsed are written back with RFC 4180 quoting and read again unchanged.
 * Any violation aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/csv.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct outcome {
	struct buf log;     /* per record: line, count, then each field as length + bytes */
	struct buf again;   /* the records written back as CSV */
	size_t max_field, max_fields;
	int records, stop_after;
	int rc, finish_rc;
	struct err e;
	const char *eol;
};

static int on_record(void *ud, const struct csv_record *r)
{
	struct outcome *o = ud;
	require(r->n >= 1 && r->n <= o->max_fields && r->line >= 1);
	buf_printf(&o->log, "%ld:%zu", r->line, r->n);
	for (size_t i = 0; i < r->n; i++) {
		require(r->lens[i] <= o->max_field);
		require(r->fields[i][r->lens[i]] == '\0');
		buf_printf(&o->log, ",%zu:", r->lens[i]);
		buf_append(&o->log, r->fields[i], r->lens[i]);
		buf_putc(&o->again, '"');
		for (size_t k = 0; k < r->lens[i]; k++) {
			if (r->fields[i][k] == '"')
				buf_putc(&o->again, '"');
			buf_putc(&o->again, r->fields[i][k]);
		}
		buf_putc(&o->again, '"');
		if (i + 1 < r->n)
			buf_putc(&o->again, ',');
	}
	buf_putc(&o->log, '\n');
	buf_puts(&o->again, o->eol);
	return o->stop_after && ++o->records >= o->stop_after;
}

static int feed(void *p, const void *bytes, size_t n, struct err *e)
{
	return csv_feed(p, bytes, n, e);
}

static void run(struct outcome *o, const uint8_t *in, size_t n, size_t step, uint32_t seed)
{
	struct csv_parser *p = csv_new(o->max_field, o->max_fields, on_record, o);
	fuzz_feed(feed, p, in, n, step, seed, &o->rc, &o->e);
	o->finish_rc = csv_finish(p, &o->e);
	require(o->finish_rc >= 0 || o->e.set);
	csv_free(p);
}

/* The record lines give different numbers once re-written, so compare fields only. */
static void fields_only(const struct buf *log, struct buf *out)
{
	const char *s = log->data ? log->data : "";
	const char *end = s + log->len;
	while (s < end) {
		const char *colon = memchr(s, ':', (size_t)(end - s));
		require(colon != NULL);
		s = colon + 1;
		/* copy up to the end of this record: the count then length-prefixed fields */
		char *rest;
		unsigned long nf = strtoul(s, &rest, 10);
		buf_printf(out, "%lu", nf);
		s = rest;
		for (unsigned long i = 0; i < nf; i++) {
			require(*s == ',');
			unsigned long len = strtoul(s + 1, &rest, 10);
			require(*rest == ':');
			buf_printf(out, ",%lu:", len);
			buf_append(out, rest + 1, len);
			s = rest + 1 + len;
		}
		require(*s == '\n');
		buf_putc(out, '\n');
		s++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t hash = fuzz_hash(data, size);
	size_t max_field = hash & 1 ? CSV_MAX_FIELD_DEFAULT : 1 + (hash >> 1) % 64;
	size_t max_fields = hash & 2 ? CSV_MAX_FIELDS_DEFAULT : 1 + (hash >> 3) % 8;
	int stop_after = fuzz_stop_after(hash);
	const char *eol = hash & 4 ? "\r\n" : "\n";

	struct outcome whole = {.max_field = max_field, .max_fields = max_fields, .stop_after = stop_after, .eol = eol};
	run(&whole, data, size, 0, 0);

	size_t steps[] = {SIZE_MAX, 1 + hash % 7, size <= 4096 ? 1 : 0};
	for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
		if (steps[i] == 0)
			continue;
		struct outcome pieces = {.max_field = max_field, .max_fields = max_fields, .stop_after = stop_after,
					 .eol = eol};
		run(&pieces, data, size, steps[i], hash | 1);
		require(pieces.log.len == whole.log.len);
		require(whole.log.len == 0 || memcmp(pieces.log.data, whole.log.data, whole.log.len) == 0);
		require(pieces.rc == whole.rc && pieces.finish_rc == whole.finish_rc);
		require(strcmp(err_msg(&pieces.e), err_msg(&whole.e)) == 0);
		buf_free(&pieces.log);
		buf_free(&pieces.again);
	}

	if (whole.rc == 0 && whole.finish_rc == 0 && !stop_after) {
		struct outcome back = {.max_field = max_field, .max_fields = max_fields, .eol = eol};
		run(&back, (const uint8_t *)buf_str(&whole.again), whole.again.len, 0, 0);
		require(back.rc == 0 && back.finish_rc == 0);
		struct buf a = BUF_INIT, b = BUF_INIT;
		fields_only(&whole.log, &a);
		fields_only(&back.log, &b);
		require(a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0));
		buf_free(&a);
		buf_free(&b);
		buf_free(&back.log);
		buf_free(&back.again);
	}
	buf_free(&whole.log);
	buf_free(&whole.again);
	return 0;
}
