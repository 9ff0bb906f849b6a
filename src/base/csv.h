/* csv — an incremental RFC 4180 reader (experiment datasets, drift data, KB records, job metrics).
 *
 * Records end with CRLF or LF; fields are separated by ','. A field that
 * starts with '"' is quoted: it may hold ',', CR, LF and '""' (one quote), and
 * its closing quote must be followed by ',', the line end or the end of
 * input. A '"' inside an unquoted field, text after a closing quote, an
 * unclosed quote at the end, a field longer than max_field or a record with
 * more than max_fields fields is an error "line N: sentence" (N counts from 1,
 * the line where the offending record starts or the byte is). A CR not
 * followed by LF is kept as data. A blank line (nothing between two line ends)
 * is skipped; a final record without a line end is delivered by csv_finish.
 *
 * Any chunking of the input gives the same records and the same error as one
 * feed. The parser owns its buffers; after an error it stays failed. */
#ifndef AIWB_CSV_H
#define AIWB_CSV_H

#include <stddef.h>

#include "base/err.h"

#define CSV_MAX_FIELD_DEFAULT ((size_t)1 << 20)
#define CSV_MAX_FIELDS_DEFAULT 1024

struct csv_record {
	size_t n;                   /* fields, at least 1 */
	const char *const *fields;  /* NUL-terminated (a field may also hold NULs: see lens) */
	const size_t *lens;
	long line;                  /* the line the record starts on */
};

/* Borrowed for the call. Return non-zero to stop: csv_feed/csv_finish then
 * return 1 and the parser stays stopped. */
typedef int (*csv_record_fn)(void *ud, const struct csv_record *r);

struct csv_parser;

/* 0 for a limit means its default. Free with csv_free. */
struct csv_parser *csv_new(size_t max_field, size_t max_fields, csv_record_fn fn, void *ud);
void csv_free(struct csv_parser *p);
/* 0 when every byte was consumed, 1 when the callback stopped, -1 with e. */
int csv_feed(struct csv_parser *p, const void *bytes, size_t n, struct err *e);
/* End of input: delivers the last record. 0, 1 (stopped) or -1 with e. */
int csv_finish(struct csv_parser *p, struct err *e);

#endif
