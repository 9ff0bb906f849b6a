/* data — one data set read for drift: per-column types, counts and values.
 *
 * A file is CSV (RFC 4180 through base/csv.c: a header row, quoted fields
 * with commas and newlines, a UTF-8 BOM skipped) or JSON Lines (one object a
 * line; nested objects flattened as "a.b", arrays kept as their JSON text),
 * chosen by the name (.jsonl/.ndjson/.json, also with .gz) or by
 * opts.format; a name ending in .gz is read through zlib; "-" is stdin.
 *
 * Reading streams: numbers go to a spool file (one temporary file for all
 * columns, a small buffer each) and text values to a count table per column,
 * so memory holds the category tables and the loaded column only; a column's
 * numbers come back sorted from drift_column_values().
 *
 * Missing: an empty field and the tokens ? NA N/A n/a NaN nan -nan null NULL
 * None <NA> #N/A (after trimming spaces). The type of a column is inferred
 * from its non-missing values (docs/drift.md) unless opts.types names it;
 * values that do not parse as the column's type are counted as unparseable
 * and left out of its tests. A NUL byte in a value reads as U+FFFD. A CSV
 * record with a different field count than the header, or a JSONL line that
 * is not an object, is a bad row: counted, its line kept (the first
 * DRIFT_BAD_LINES), and left out. */
#ifndef AIWB_DRIFT_DATA_H
#define AIWB_DRIFT_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define DRIFT_TYPES(X) \
	X(DRIFT_EMPTY, "empty") \
	X(DRIFT_NUMERIC, "numeric") \
	X(DRIFT_CATEGORICAL, "categorical") \
	X(DRIFT_BOOLEAN, "boolean") \
	X(DRIFT_DATETIME, "datetime")

#define DRIFT_TYPE_ENUM(e, s) e,
enum drift_type { DRIFT_TYPES(DRIFT_TYPE_ENUM) DRIFT_TYPE_COUNT };
#undef DRIFT_TYPE_ENUM

const char *drift_type_name(enum drift_type t);
/* -1 when s names no type. */
int drift_type_parse(const char *s);

#define DRIFT_BAD_LINES 20
#define DRIFT_MAX_CATEGORIES 100000

enum drift_format { DRIFT_FMT_AUTO, DRIFT_FMT_CSV, DRIFT_FMT_JSONL };

struct drift_type_override {
	const char *column;
	enum drift_type type;
};

struct drift_read_opts {
	enum drift_format format;
	const struct drift_type_override *types;
	size_t ntypes;
	const char *const *keep_rows;  /* columns whose raw value per row is kept (target, prediction) */
	size_t nkeep_rows;
};

struct drift_category {
	char *value;
	uint64_t count;
};

struct drift_column {
	char *name;
	enum drift_type type;
	int type_forced;
	uint64_t missing, unparseable;
	uint64_t present;          /* non-missing values of the column's type */
	int too_many_categories;   /* more than DRIFT_MAX_CATEGORIES text values */
	/* categorical/boolean (datetime: as written): the categories with counts, by value (strcmp) */
	struct drift_category *cats;
	size_t ncats;
	/* numeric/datetime summary of the present values */
	double min, max, sum;
	/* per row (keep_rows columns only): the trimmed value, NULL when missing */
	char **row_values;
	struct drift_data *owner;
	size_t index;
};

struct drift_data {
	char *path;
	uint64_t rows;             /* good rows */
	uint64_t bad_rows;
	long bad_lines[DRIFT_BAD_LINES];
	size_t nbad_lines;
	struct drift_column *cols;
	size_t ncols;
	void *spool;               /* private */
};

/* NULL with e on an unreadable file or broken CSV (the message names the
 * file and line). Free with drift_data_free. */
struct drift_data *drift_data_read(const char *path, const struct drift_read_opts *opts, struct err *e);
void drift_data_free(struct drift_data *d);
struct drift_column *drift_data_column(struct drift_data *d, const char *name);

/* The column's present values (numeric or datetime), sorted ascending;
 * caller frees. *n is their count. NULL with e when the spool cannot be read. */
double *drift_column_values(const struct drift_column *c, size_t *n, struct err *e);

/* The column's values with counts, sorted by value: a categorical column's
 * categories (a datetime column's timestamps as written), or a numeric
 * column's distinct numbers as drift_number_label writes them. *out is owned by the caller (each value and the array). */
int drift_column_categories(const struct drift_column *c, struct drift_category **out, size_t *n, struct err *e);
/* The shortest of %.15g / %.17g that reads back as v; caller frees. */
char *drift_number_label(double v);

/* Parsers the reader uses, exposed for tests: 1 and *out on success. */
int drift_parse_number(const char *s, size_t len, double *out);
int drift_parse_datetime(const char *s, size_t len, double *epoch_seconds);
int drift_is_missing(const char *s, size_t len);

#endif
