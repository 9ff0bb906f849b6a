#include "drift/data.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "drift/stats.h"
#include "base/csv.h"

#define CHUNK (1 << 16)
#define MAX_COLUMNS 1000000
#define MAX_JSONL_LINE ((size_t)64 << 20)
#define SPOOL_BUDGET ((size_t)1 << 21)  /* doubles buffered over all columns */

#define DRIFT_TYPE_NAME(e, s) s,
static const char *const type_names[] = { DRIFT_TYPES(DRIFT_TYPE_NAME) };
#undef DRIFT_TYPE_NAME

const char *drift_type_name(enum drift_type t)
{
	return (unsigned)t < DRIFT_TYPE_COUNT ? type_names[t] : "?";
}

int drift_type_parse(const char *s)
{
	for (int i = 1; i < DRIFT_TYPE_COUNT; i++)
		if (strcmp(s, type_names[i]) == 0)
			return i;
	return -1;
}

/* ------------------------------------------------------------ values */

int drift_is_missing(const char *s, size_t len)
{
	static const char *const tokens[] = { "?", "NA", "N/A", "n/a", "NaN", "nan", "-nan", "-NaN", "null", "NULL",
					      "None", "<NA>", "#N/A", "#NA" };
	if (len == 0)
		return 1;
	if (len > 4 || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (size_t i = 0; i < sizeof tokens / sizeof *tokens; i++)
		if (strlen(tokens[i]) == len && memcmp(tokens[i], s, len) == 0)
			return 1;
	return 0;
}

static const double pow10_exact[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
				      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };

/* Decimal numbers as strtod reads them (no hex, inf or nan). Up to 15 digits
 * and 22 decimals take the exact fast path (integer / 10^k, both exact, one
 * rounding); the rest go through strtod. */
int drift_parse_number(const char *s, size_t len, double *out)
{
	if (len == 0 || len > 400)
		return 0;
	size_t i = 0;
	int neg = 0;
	if (s[i] == '+' || s[i] == '-')
		neg = s[i++] == '-';
	uint64_t mant = 0;
	int digits = 0, frac = 0, any = 0, seen_dot = 0;
	for (; i < len; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9') {
			any = 1;
			if (mant == 0 && c == '0' && !seen_dot)
				continue;
			mant = mant * 10 + (uint64_t)(c - '0');
			digits++;
			if (seen_dot)
				frac++;
			if (digits > 18)
				break;
		} else if (c == '.' && !seen_dot) {
			seen_dot = 1;
		} else {
			break;
		}
	}
	if (!any)
		return 0;
	if (i == len && digits <= 15 && frac <= 22) {
		double v = (double)mant / pow10_exact[frac];
		*out = neg ? -v : v;
		return 1;
	}
	for (size_t k = 0; k < len; k++) {
		char c = s[k];
		if (!(isdigit((unsigned char)c) || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E'))
			return 0;
	}
	char tmp[401];
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	char *end;
	errno = 0;
	double v = strtod(tmp, &end);
	if (end != tmp + len || !isfinite(v))
		return 0;
	*out = v;
	return 1;
}

static int digits_at(const char *s, size_t len, size_t at, int n, int *out)
{
	if (at + (size_t)n > len)
		return 0;
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[at + (size_t)i]))
			return 0;
		v = v * 10 + (s[at + (size_t)i] - '0');
	}
	*out = v;
	return 1;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* ISO 8601: YYYY-MM-DD, then optionally [T ]HH:MM[:SS[.fff]] and Z or ±HH:MM. */
int drift_parse_datetime(const char *s, size_t len, double *epoch)
{
	int y, mo, d, h = 0, mi = 0, sec = 0;
	if (!digits_at(s, len, 0, 4, &y) || len < 10 || s[4] != '-' || !digits_at(s, len, 5, 2, &mo) || s[7] != '-' ||
	    !digits_at(s, len, 8, 2, &d))
		return 0;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
		return 0;
	size_t i = 10;
	double fracsec = 0;
	long tz = 0;
	if (i < len) {
		if ((s[i] != 'T' && s[i] != ' ') || !digits_at(s, len, i + 1, 2, &h) || i + 3 >= len ||
		    s[i + 3] != ':' || !digits_at(s, len, i + 4, 2, &mi))
			return 0;
		i += 6;
		if (i < len && s[i] == ':') {
			if (!digits_at(s, len, i + 1, 2, &sec))
				return 0;
			i += 3;
			if (i < len && s[i] == '.') {
				double scale = 0.1;
				i++;
				if (i >= len || !isdigit((unsigned char)s[i]))
					return 0;
				while (i < len && isdigit((unsigned char)s[i])) {
					fracsec += (s[i] - '0') * scale;
					scale /= 10;
					i++;
				}
			}
		}
		if (h > 23 || mi > 59 || sec > 60)
			return 0;
		if (i < len && s[i] == 'Z') {
			i++;
		} else if (i < len && (s[i] == '+' || s[i] == '-')) {
			int th, tm;
			if (!digits_at(s, len, i + 1, 2, &th) || i + 3 >= len || s[i + 3] != ':' ||
			    !digits_at(s, len, i + 4, 2, &tm))
				return 0;
			tz = (s[i] == '-' ? -1 : 1) * (th * 3600L + tm * 60L);
			i += 6;
		}
	}
	if (i != len)
		return 0;
	*epoch = (double)(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - tz) + fracsec;
	return 1;
}

static int is_bool_token(const char *s, size_t len)
{
	static const char *const words[] = { "true", "false", "yes", "no" };
	for (size_t i = 0; i < 4; i++)
		if (strlen(words[i]) == len && strncasecmp(words[i], s, len) == 0)
			return 1;
	return 0;
}

/* ------------------------------------------------------------ spool */

struct block {
	off_t off;
	size_t n;
};

struct stream {
	double *buf;
	size_t len, cap;
	struct block *blocks;
	size_t nblocks, bcap;
	uint64_t total;
	double min, max, sum;
};

struct entry {
	char *s;
	size_t len;
	uint64_t count;
};

struct colstate {
	uint64_t nonmissing, n_num, n_dt, n_bool;
	struct stream num, dt;
	struct entry *map;
	size_t mapcap, mapn;
	int overflow;
	uint64_t last_row;       /* JSONL: the row this column last got a value */
	int keep;
	size_t rows_len, rows_cap;
};

struct reader {
	struct drift_data *d;
	const struct drift_read_opts *opts;
	struct colstate *st;
	size_t stcap;
	int fd;                  /* spool */
	off_t end;
	struct err *e;
	int failed;
	/* JSONL column lookup */
	struct { char *name; size_t index; } *names;
	size_t namecap;
	int header_done;
};

static int spool_flush(struct reader *r, struct stream *s)
{
	if (s->len == 0)
		return 0;
	size_t bytes = s->len * sizeof *s->buf;
	const char *p = (const char *)s->buf;
	size_t done = 0;
	while (done < bytes) {
		ssize_t w = pwrite(r->fd, p + done, bytes - done, r->end + (off_t)done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			r->failed = 1;
			return err_errno(r->e, "cannot write the temporary spool file (set TMPDIR to a disk with room)");
		}
		done += (size_t)w;
	}
	XGROW(s->blocks, s->bcap, s->nblocks + 1);
	s->blocks[s->nblocks++] = (struct block){ r->end, s->len };
	r->end += (off_t)bytes;
	s->len = 0;
	return 0;
}

static void stream_push(struct reader *r, struct stream *s, size_t cap, double v)
{
	if (!s->buf) {
		s->cap = cap;
		s->buf = xmalloc(cap * sizeof *s->buf);
		s->min = s->max = v;
	}
	if (s->len == s->cap)
		spool_flush(r, s);
	s->buf[s->len++] = v;
	s->total++;
	if (v < s->min)
		s->min = v;
	if (v > s->max)
		s->max = v;
	s->sum += v;
}

static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

static void map_add(struct colstate *c, const char *s, size_t len, uint64_t count)
{
	if (c->mapn * 10 >= c->mapcap * 7) {
		if (c->mapn >= DRIFT_MAX_CATEGORIES) {
			/* still count values already known */
		} else {
			size_t ncap = c->mapcap ? c->mapcap * 2 : 16;
			struct entry *nm = xcalloc(ncap, sizeof *nm);
			for (size_t i = 0; i < c->mapcap; i++) {
				if (!c->map[i].s)
					continue;
				size_t k = hash_bytes(c->map[i].s, c->map[i].len) & (ncap - 1);
				while (nm[k].s)
					k = (k + 1) & (ncap - 1);
				nm[k] = c->map[i];
			}
			free(c->map);
			c->map = nm;
			c->mapcap = ncap;
		}
	}
	size_t k = hash_bytes(s, len) & (c->mapcap - 1);
	while (c->map[k].s) {
		if (c->map[k].len == len && memcmp(c->map[k].s, s, len) == 0) {
			c->map[k].count += count;
			return;
		}
		k = (k + 1) & (c->mapcap - 1);
	}
	if (c->mapn >= DRIFT_MAX_CATEGORIES || c->mapn + 1 >= c->mapcap) {
		c->overflow = 1;
		return;
	}
	/* a value may hold NUL bytes: copy all len of them, since lookups compare len bytes */
	c->map[k].s = xmalloc(len + 1);
	memcpy(c->map[k].s, s, len);
	c->map[k].s[len] = '\0';
	c->map[k].len = len;
	c->map[k].count = count;
	c->mapn++;
}

/* ------------------------------------------------------------ columns */

static size_t stream_cap(const struct reader *r)
{
	size_t n = r->d->ncols ? r->d->ncols : 1;
	size_t cap = SPOOL_BUDGET / n;
	return cap < 64 ? 64 : cap > 8192 ? 8192 : cap;
}

static int keep_rows_for(const struct drift_read_opts *o, const char *name)
{
	for (size_t i = 0; o && i < o->nkeep_rows; i++)
		if (strcmp(o->keep_rows[i], name) == 0)
			return 1;
	return 0;
}

static size_t add_column(struct reader *r, const char *name, size_t len)
{
	struct drift_data *d = r->d;
	if (d->ncols == r->stcap) {
		size_t ncap = r->stcap ? r->stcap * 2 : 16;
		d->cols = xreallocarray(d->cols, ncap, sizeof *d->cols);
		r->st = xreallocarray(r->st, ncap, sizeof *r->st);
		memset(d->cols + r->stcap, 0, (ncap - r->stcap) * sizeof *d->cols);
		memset(r->st + r->stcap, 0, (ncap - r->stcap) * sizeof *r->st);
		r->stcap = ncap;
	}
	size_t i = d->ncols++;
	struct drift_column *c = &d->cols[i];
	c->name = len ? xstrndup(name, len) : xasprintf("column_%zu", i + 1);
	c->index = i;
	c->owner = d;
	r->st[i].keep = keep_rows_for(r->opts, c->name);
	r->st[i].last_row = UINT64_MAX;
	return i;
}

static void keep_row_value(struct reader *r, size_t col, const char *s, size_t len, int missing)
{
	struct colstate *st = &r->st[col];
	struct drift_column *c = &r->d->cols[col];
	size_t row = (size_t)r->d->rows;
	XGROW(c->row_values, st->rows_cap, row + 1);
	while (st->rows_len < row)
		c->row_values[st->rows_len++] = NULL;
	c->row_values[st->rows_len++] = missing ? NULL : xstrndup(s, len);
}

static void cell_missing(struct reader *r, size_t col)
{
	r->d->cols[col].missing++;
	if (r->st[col].keep)
		keep_row_value(r, col, NULL, 0, 1);
}

static void cell_text(struct reader *r, size_t col, const char *s, size_t len)
{
	if (memchr(s, '\0', len)) {
		/* a NUL byte reads as U+FFFD, so every value is a plain C string */
		struct buf clean = BUF_INIT;
		for (size_t i = 0; i < len; i++) {
			if (s[i])
				buf_putc(&clean, s[i]);
			else
				buf_puts(&clean, "\xEF\xBF\xBD");
		}
		cell_text(r, col, clean.data, clean.len);
		buf_free(&clean);
		return;
	}
	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
		len--;
	if (drift_is_missing(s, len)) {
		cell_missing(r, col);
		return;
	}
	struct colstate *st = &r->st[col];
	if (st->keep)
		keep_row_value(r, col, s, len, 0);
	st->nonmissing++;
	double v;
	if (drift_parse_number(s, len, &v)) {
		st->n_num++;
		stream_push(r, &st->num, stream_cap(r), v);
		return;
	}
	if (is_bool_token(s, len))
		st->n_bool++;
	else if (drift_parse_datetime(s, len, &v)) {
		st->n_dt++;
		stream_push(r, &st->dt, stream_cap(r), v);
	}
	map_add(st, s, len, 1);
}

static void cell_number(struct reader *r, size_t col, double v)
{
	struct colstate *st = &r->st[col];
	if (st->keep) {
		char tmp[40];
		int n = snprintf(tmp, sizeof tmp, "%.17g", v);
		keep_row_value(r, col, tmp, (size_t)n, 0);
	}
	st->nonmissing++;
	st->n_num++;
	stream_push(r, &st->num, stream_cap(r), v);
}

static void bad_row(struct reader *r, long line)
{
	struct drift_data *d = r->d;
	if (d->nbad_lines < DRIFT_BAD_LINES)
		d->bad_lines[d->nbad_lines++] = line;
	d->bad_rows++;
}

/* ------------------------------------------------------------ CSV */

static int on_record(void *ud, const struct csv_record *rec)
{
	struct reader *r = ud;
	struct drift_data *d = r->d;
	if (!r->header_done) {
		r->header_done = 1;
		for (size_t i = 0; i < rec->n; i++) {
			for (size_t k = 0; k < i; k++)
				if (strcmp(d->cols[k].name, rec->fields[i]) == 0 && rec->lens[i] > 0) {
					err_set(r->e, "%s: column '%s' appears twice in the header row; rename one", d->path,
						rec->fields[i]);
					r->failed = 1;
					return 1;
				}
			add_column(r, rec->fields[i], rec->lens[i]);
		}
		return 0;
	}
	if (rec->n != d->ncols) {
		bad_row(r, rec->line);
		return 0;
	}
	for (size_t i = 0; i < rec->n; i++)
		cell_text(r, i, rec->fields[i], rec->lens[i]);
	d->rows++;
	return 0;
}

/* ------------------------------------------------------------ JSONL */

static size_t column_by_name(struct reader *r, const char *name)
{
	size_t len = strlen(name);
	if (r->d->ncols * 2 >= r->namecap) {
		size_t ncap = r->namecap ? r->namecap * 2 : 64;
		void *nn = xcalloc(ncap, sizeof *r->names);
		struct drift_column *cols = r->d->cols;
		free(r->names);
		r->names = nn;
		r->namecap = ncap;
		for (size_t i = 0; i < r->d->ncols; i++) {
			size_t k = hash_bytes(cols[i].name, strlen(cols[i].name)) & (ncap - 1);
			while (r->names[k].name)
				k = (k + 1) & (ncap - 1);
			r->names[k].name = cols[i].name;
			r->names[k].index = i;
		}
	}
	size_t k = hash_bytes(name, len) & (r->namecap - 1);
	while (r->names[k].name) {
		if (strcmp(r->names[k].name, name) == 0)
			return r->names[k].index;
		k = (k + 1) & (r->namecap - 1);
	}
	if (r->d->ncols >= MAX_COLUMNS)
		return SIZE_MAX;
	size_t i = add_column(r, name, len);
	r->names[k].name = r->d->cols[i].name;
	r->names[k].index = i;
	/* rows before this one lacked it */
	r->d->cols[i].missing = r->d->rows;
	return i;
}

static void json_value(struct reader *r, const char *name, const cJSON *v)
{
	if (cJSON_IsObject(v)) {
		for (const cJSON *c = v->child; c; c = c->next) {
			char *sub = xasprintf("%s.%s", name, c->string ? c->string : "");
			json_value(r, sub, c);
			free(sub);
		}
		return;
	}
	size_t col = column_by_name(r, name);
	if (col == SIZE_MAX)
		return;
	struct colstate *st = &r->st[col];
	if (st->last_row == r->d->rows)
		return; /* a repeated key: the first value counts */
	st->last_row = r->d->rows;
	if (cJSON_IsNull(v)) {
		cell_missing(r, col);
	} else if (cJSON_IsNumber(v)) {
		if (isfinite(v->valuedouble))
			cell_number(r, col, v->valuedouble);
		else
			cell_missing(r, col);
	} else if (cJSON_IsBool(v)) {
		cell_text(r, col, cJSON_IsTrue(v) ? "true" : "false", cJSON_IsTrue(v) ? 4 : 5);
	} else if (cJSON_IsString(v)) {
		cell_text(r, col, v->valuestring, strlen(v->valuestring));
	} else {
		char *text = cJSON_PrintUnformatted(v);
		cell_text(r, col, text ? text : "", text ? strlen(text) : 0);
		free(text);
	}
}

static void jsonl_line(struct reader *r, const char *s, size_t len, long line)
{
	while (len && (s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	size_t i = 0;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == len)
		return;
	cJSON *o = cJSON_ParseWithLength(s + i, len - i);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		bad_row(r, line);
		return;
	}
	for (const cJSON *c = o->child; c; c = c->next)
		json_value(r, c->string ? c->string : "", c);
	for (size_t k = 0; k < r->d->ncols; k++)
		if (r->st[k].last_row != r->d->rows)
			cell_missing(r, k);
	r->d->rows++;
	cJSON_Delete(o);
}

/* ------------------------------------------------------------ finishing */

static int cmp_cat(const void *a, const void *b)
{
	return strcmp(((const struct drift_category *)a)->value, ((const struct drift_category *)b)->value);
}

static const struct drift_type_override *override_for(const struct drift_read_opts *o, const char *name)
{
	for (size_t i = 0; o && i < o->ntypes; i++)
		if (strcmp(o->types[i].column, name) == 0)
			return &o->types[i];
	return NULL;
}

static double *stream_load(const struct drift_data *d, const struct stream *s, size_t *n, struct err *e);

static void add_cat(struct drift_column *c, size_t *cap, char *value, uint64_t count)
{
	c->cats = xgrow(c->cats, cap, c->ncats + 1, sizeof *c->cats);
	c->cats[c->ncats++] = (struct drift_category){ value, count };
}

char *drift_number_label(double v)
{
	char tmp[40];
	snprintf(tmp, sizeof tmp, "%.15g", v);
	if (strtod(tmp, NULL) != v)
		snprintf(tmp, sizeof tmp, "%.17g", v);
	return xstrdup(tmp);
}

static int finish_column(struct reader *r, size_t i)
{
	struct drift_column *c = &r->d->cols[i];
	struct colstate *st = &r->st[i];
	if (st->keep)
		while (st->rows_len < r->d->rows)
			keep_row_value(r, i, NULL, 0, 1);
	const struct drift_type_override *ov = override_for(r->opts, c->name);
	uint64_t nm = st->nonmissing;
	enum drift_type t;
	if (ov) {
		t = ov->type;
		c->type_forced = 1;
	} else if (nm == 0) {
		t = DRIFT_EMPTY;
	} else if (st->n_bool == nm) {
		t = DRIFT_BOOLEAN;
	} else if (st->n_num > 0 && (nm - st->n_num) * 10 <= nm) {
		t = DRIFT_NUMERIC;
	} else if (st->n_dt > 0 && (nm - st->n_dt) * 10 <= nm) {
		t = DRIFT_DATETIME;
	} else {
		t = DRIFT_CATEGORICAL;
	}
	c->type = t;
	const struct stream *s = t == DRIFT_DATETIME ? &st->dt : &st->num;
	switch (t) {
	case DRIFT_EMPTY:
		c->unparseable = nm;
		break;
	case DRIFT_NUMERIC:
	case DRIFT_DATETIME:
		c->present = s->total;
		c->unparseable = nm - s->total;
		c->min = s->min;
		c->max = s->max;
		c->sum = s->sum;
		if (t == DRIFT_DATETIME) {
			/* the timestamps as written, for Model Monitor's String view */
			size_t cap = 0;
			double ignored;
			for (size_t k = 0; k < st->mapcap; k++) {
				struct entry *en = &st->map[k];
				if (en->s && drift_parse_datetime(en->s, strlen(en->s), &ignored)) {
					add_cat(c, &cap, en->s, en->count);
					en->s = NULL;
				}
			}
			if (c->ncats > 1)
				qsort(c->cats, c->ncats, sizeof *c->cats, cmp_cat);
			c->too_many_categories = st->overflow;
		}
		break;
	case DRIFT_BOOLEAN:
	case DRIFT_CATEGORICAL: {
		size_t cap = 0;
		for (size_t k = 0; k < st->mapcap; k++) {
			struct entry *en = &st->map[k];
			if (!en->s)
				continue;
			if (t == DRIFT_BOOLEAN) {
				size_t len = strlen(en->s);
				if (!is_bool_token(en->s, len))
					continue;
				for (size_t q = 0; q < len; q++)
					en->s[q] = (char)tolower((unsigned char)en->s[q]);
			}
			add_cat(c, &cap, en->s, en->count);
			en->s = NULL;
		}
		if (t == DRIFT_CATEGORICAL && st->num.total) {
			size_t n;
			double *v = stream_load(r->d, &st->num, &n, r->e);
			if (!v)
				return -1;
			drift_sort(v, n);
			for (size_t k = 0; k < n;) {
				size_t j = k;
				while (j < n && v[j] == v[k])
					j++;
				add_cat(c, &cap, drift_number_label(v[k]), j - k);
				k = j;
			}
			free(v);
		}
		if (c->ncats > 1)
			qsort(c->cats, c->ncats, sizeof *c->cats, cmp_cat);
		/* merge equal values ("TRUE" and "true" once lowered) */
		size_t w = 0;
		for (size_t k = 0; k < c->ncats; k++) {
			if (w > 0 && strcmp(c->cats[w - 1].value, c->cats[k].value) == 0) {
				c->cats[w - 1].count += c->cats[k].count;
				free(c->cats[k].value);
			} else {
				c->cats[w++] = c->cats[k];
			}
		}
		c->ncats = w;
		c->present = 0;
		for (size_t k = 0; k < c->ncats; k++)
			c->present += c->cats[k].count;
		c->unparseable = nm - c->present;
		c->too_many_categories = st->overflow;
		break;
	}
	default:
		break;
	}
	for (size_t k = 0; k < st->mapcap; k++)
		free(st->map[k].s);
	free(st->map);
	st->map = NULL;
	st->mapcap = st->mapn = 0;
	return 0;
}

/* ------------------------------------------------------------ input */

struct input {
	FILE *f;
	gzFile gz;
};

static int input_open(struct input *in, const char *path, struct err *e)
{
	memset(in, 0, sizeof *in);
	size_t len = strlen(path);
	if (strcmp(path, "-") == 0) {
		in->f = stdin;
		return 0;
	}
	if (len > 3 && strcmp(path + len - 3, ".gz") == 0) {
		in->gz = gzopen(path, "rb");
		if (!in->gz)
			return err_errno(e, "cannot open %s", path);
		gzbuffer(in->gz, CHUNK);
		return 0;
	}
	in->f = fopen(path, "rb");
	if (!in->f)
		return err_errno(e, "cannot open %s", path);
	return 0;
}

static long input_read(struct input *in, char *buf, size_t n)
{
	if (in->gz) {
		int got = gzread(in->gz, buf, (unsigned)n);
		return got;
	}
	size_t got = fread(buf, 1, n, in->f);
	if (got == 0 && ferror(in->f))
		return -1;
	return (long)got;
}

static void input_close(struct input *in)
{
	if (in->gz)
		gzclose(in->gz);
	else if (in->f && in->f != stdin)
		fclose(in->f);
}

static enum drift_format format_of(const char *path)
{
	size_t len = strlen(path);
	char tmp[16];
	if (len > 3 && strcmp(path + len - 3, ".gz") == 0)
		len -= 3;
	static const char *const exts[] = { ".jsonl", ".ndjson", ".json" };
	for (size_t i = 0; i < 3; i++) {
		size_t el = strlen(exts[i]);
		if (len >= el) {
			memcpy(tmp, path + len - el, el);
			tmp[el] = '\0';
			if (strcasecmp(tmp, exts[i]) == 0)
				return DRIFT_FMT_JSONL;
		}
	}
	return DRIFT_FMT_CSV;
}

static int read_all(struct reader *r, struct input *in, enum drift_format fmt)
{
	struct drift_data *d = r->d;
	char *chunk = xmalloc(CHUNK);
	struct csv_parser *p = fmt == DRIFT_FMT_CSV ? csv_new(0, MAX_COLUMNS, on_record, r) : NULL;
	struct buf line = BUF_INIT;
	long lineno = 1;
	int first = 1, rc = 0, any = 0;
	struct err ce = ERR_INIT;
	for (;;) {
		long got = input_read(in, chunk, CHUNK);
		if (got < 0) {
			rc = err_errno(r->e, "cannot read %s", d->path);
			break;
		}
		if (got == 0)
			break;
		any = 1;
		size_t off = 0;
		if (first && got >= 3 && memcmp(chunk, "\xEF\xBB\xBF", 3) == 0)
			off = 3;
		first = 0;
		if (p) {
			int fr = csv_feed(p, chunk + off, (size_t)got - off, &ce);
			if (r->failed) {
				rc = -1;
				break;
			}
			if (fr < 0) {
				rc = err_set(r->e, "%s: %s", d->path, err_msg(&ce));
				break;
			}
			continue;
		}
		const char *s = chunk + off, *end = chunk + got;
		while (s < end) {
			const char *nl = memchr(s, '\n', (size_t)(end - s));
			if (!nl) {
				buf_append(&line, s, (size_t)(end - s));
				break;
			}
			if (line.len) {
				buf_append(&line, s, (size_t)(nl - s));
				jsonl_line(r, line.data, line.len, lineno);
				buf_reset(&line);
			} else {
				jsonl_line(r, s, (size_t)(nl - s), lineno);
			}
			lineno++;
			s = nl + 1;
		}
		if (line.len > MAX_JSONL_LINE) {
			rc = err_set(r->e, "%s: line %ld is longer than 64 MB", d->path, lineno);
			break;
		}
		if (r->failed) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && p) {
		if (csv_finish(p, &ce) < 0 && !r->failed)
			rc = err_set(r->e, "%s: %s", d->path, err_msg(&ce));
		else if (r->failed)
			rc = -1;
	} else if (rc == 0 && line.len) {
		jsonl_line(r, line.data, line.len, lineno);
	}
	if (rc == 0 && !any)
		rc = err_set(r->e, "%s is empty: give a CSV file with a header row or a JSON Lines file", d->path);
	else if (rc == 0 && fmt == DRIFT_FMT_CSV && d->ncols == 0)
		rc = err_set(r->e, "%s has no header row", d->path);
	csv_free(p);
	buf_free(&line);
	free(chunk);
	return rc;
}

struct drift_data *drift_data_read(const char *path, const struct drift_read_opts *opts, struct err *e)
{
	struct input in;
	if (input_open(&in, path, e) != 0)
		return NULL;
	struct drift_data *d = xcalloc(1, sizeof *d);
	d->path = xstrdup(path);
	struct reader *r = xcalloc(1, sizeof *r);
	r->d = d;
	r->opts = opts;
	r->e = e;
	r->fd = -1;
	d->spool = r;
	const char *tmpdir = getenv("TMPDIR");
	char *tmpl = xasprintf("%s/aiwb-drift-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	r->fd = mkstemp(tmpl);
	if (r->fd < 0) {
		err_errno(e, "cannot create a temporary file in %s (set TMPDIR)", tmpdir && *tmpdir ? tmpdir : "/tmp");
		free(tmpl);
		input_close(&in);
		drift_data_free(d);
		return NULL;
	}
	unlink(tmpl);
	free(tmpl);
	enum drift_format fmt = opts && opts->format != DRIFT_FMT_AUTO ? opts->format : format_of(path);
	int rc = read_all(r, &in, fmt);
	input_close(&in);
	for (size_t i = 0; rc == 0 && i < d->ncols; i++)
		rc = finish_column(r, i);
	if (rc != 0) {
		drift_data_free(d);
		return NULL;
	}
	free(r->names);
	r->names = NULL;
	return d;
}

static double *stream_load(const struct drift_data *d, const struct stream *s, size_t *n, struct err *e)
{
	const struct reader *r = d->spool;
	size_t total = (size_t)s->total, at = 0;
	double *v = xmalloc((total ? total : 1) * sizeof *v);
	for (size_t b = 0; b < s->nblocks; b++) {
		size_t bytes = s->blocks[b].n * sizeof *v, done = 0;
		while (done < bytes) {
			ssize_t got = pread(r->fd, (char *)(v + at) + done, bytes - done, s->blocks[b].off + (off_t)done);
			if (got <= 0) {
				if (got < 0 && errno == EINTR)
					continue;
				free(v);
				err_errno(e, "cannot read back the temporary spool file");
				return NULL;
			}
			done += (size_t)got;
		}
		at += s->blocks[b].n;
	}
	if (s->len)
		memcpy(v + at, s->buf, s->len * sizeof *v);
	*n = total;
	return v;
}

double *drift_column_values(const struct drift_column *c, size_t *n, struct err *e)
{
	const struct reader *r = c->owner->spool;
	const struct colstate *st = &r->st[c->index];
	*n = 0;
	if (c->type != DRIFT_NUMERIC && c->type != DRIFT_DATETIME)
		return xmalloc(sizeof(double));
	double *v = stream_load(c->owner, c->type == DRIFT_DATETIME ? &st->dt : &st->num, n, e);
	if (v)
		drift_sort(v, *n);
	return v;
}

int drift_column_categories(const struct drift_column *col, struct drift_category **out, size_t *n, struct err *e)
{
	*out = NULL;
	*n = 0;
	if (col->type == DRIFT_CATEGORICAL || col->type == DRIFT_BOOLEAN || col->type == DRIFT_DATETIME) {
		*out = xmalloc((col->ncats ? col->ncats : 1) * sizeof **out);
		for (size_t i = 0; i < col->ncats; i++)
			(*out)[i] = (struct drift_category){ xstrdup(col->cats[i].value), col->cats[i].count };
		*n = col->ncats;
		return 0;
	}
	if (col->type == DRIFT_EMPTY) {
		*out = xmalloc(sizeof **out);
		return 0;
	}
	size_t nv;
	double *v = drift_column_values(col, &nv, e);
	if (!v)
		return -1;
	size_t cap = 16;
	*out = xmalloc(cap * sizeof **out);
	for (size_t i = 0; i < nv;) {
		size_t j = i;
		while (j < nv && v[j] == v[i])
			j++;
		if (*n == cap) {
			cap *= 2;
			*out = xreallocarray(*out, cap, sizeof **out);
		}
		(*out)[(*n)++] = (struct drift_category){ drift_number_label(v[i]), j - i };
		i = j;
	}
	free(v);
	return 0;
}

struct drift_column *drift_data_column(struct drift_data *d, const char *name)
{
	for (size_t i = 0; i < d->ncols; i++)
		if (strcmp(d->cols[i].name, name) == 0)
			return &d->cols[i];
	return NULL;
}

void drift_data_free(struct drift_data *d)
{
	if (!d)
		return;
	struct reader *r = d->spool;
	for (size_t i = 0; i < d->ncols; i++) {
		struct drift_column *c = &d->cols[i];
		free(c->name);
		for (size_t k = 0; k < c->ncats; k++)
			free(c->cats[k].value);
		free(c->cats);
		if (c->row_values) {
			for (size_t k = 0; k < r->st[i].rows_len; k++)
				free(c->row_values[k]);
			free(c->row_values);
		}
		struct colstate *st = &r->st[i];
		free(st->num.buf);
		free(st->num.blocks);
		free(st->dt.buf);
		free(st->dt.blocks);
		for (size_t k = 0; k < st->mapcap; k++)
			free(st->map[k].s);
		free(st->map);
	}
	if (r) {
		if (r->fd >= 0)
			close(r->fd);
		free(r->st);
		free(r->names);
		free(r);
	}
	free(d->cols);
	free(d->path);
	free(d);
}
