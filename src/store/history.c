#include "store/history.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/xmalloc.h"
#include "store/db.h"
#include "store/fts.h"

#define HISTORY_DEFAULT_LIMIT 20
#define SNIPPET_TOKENS "12"
#define SNIPPET_BATCH 64
#define STR(x) #x
#define XSTR(x) STR(x)

#define MODEL_FILTER \
	"(?4 IS NULL OR r.model = ?4 OR substr(r.model, instr(r.model, '/') + 1) = ?4" \
	" OR (instr(r.model, '/') > 0 AND substr(r.model, 1, instr(r.model, '/') - 1) = ?4))"

#define CUT_PROMPT(x) \
	"CASE WHEN length(" x ") > " XSTR(HISTORY_PROMPT_MAX) \
	" THEN substr(" x ", 1, " XSTR(HISTORY_PROMPT_MAX) " - 1) || '…' ELSE " x " END"

/* Columns 0-8 of a hit (6: the retrieval an answer used); a database older
 * than schema 8 has no conversations. */
#define HIT_KB "CASE WHEN json_valid(r.params) THEN json_extract(r.params, '$.kb') END"
#define HIT_COLUMNS \
	"r.id, r.created_ms, r.kind, r.model, " CUT_PROMPT("r.prompt") ", r.metrics, " HIT_KB ", r.conversation, r.turn"
#define HIT_COLUMNS_OLD "r.id, r.created_ms, r.kind, r.model, " CUT_PROMPT("r.prompt") ", r.metrics, " HIT_KB ", NULL, NULL"

/* The row that stands for a conversation in a list: its latest turn. */
#define GROUP_HEAD \
	"(r.conversation IS NULL OR r.id = (SELECT max(t.id) FROM runs t WHERE t.conversation = r.conversation))"
#define COST_OF(x) "CASE WHEN json_valid(" x ".metrics) THEN json_extract(" x ".metrics, '$.cost_usd') END"

/* One row per conversation (columns 9-11: turns, the first turn's prompt and
 * the known costs summed), single runs as they are, newest activity first. */
static const char newest_sql[] =
	"SELECT " HIT_COLUMNS ","
	" CASE WHEN r.conversation IS NULL THEN 1 ELSE (SELECT count(*) FROM runs t WHERE t.conversation = r.conversation) END,"
	" (SELECT " CUT_PROMPT("f.prompt") " FROM runs f WHERE f.id = r.conversation),"
	" (SELECT sum(" COST_OF("t") ") FROM runs t WHERE t.conversation = r.conversation)"
	" FROM runs r WHERE " MODEL_FILTER " AND " GROUP_HEAD
	" ORDER BY r.created_ms DESC, r.id DESC LIMIT ?2 OFFSET ?3";

static const char newest_sql_old[] =
	"SELECT " HIT_COLUMNS_OLD ", 1, NULL, NULL FROM runs r WHERE " MODEL_FILTER
	" ORDER BY r.created_ms DESC, r.id DESC LIMIT ?2 OFFSET ?3";

static const char candidates_sql[] =
	"SELECT rowid, bm25(runs_fts, 2.0, 1.0) FROM runs_fts WHERE runs_fts MATCH ?1"
	" ORDER BY rowid DESC LIMIT ?2 OFFSET ?3";

static const char model_candidates_sql[] =
	"SELECT runs_fts.rowid, bm25(runs_fts, 2.0, 1.0) FROM runs_fts CROSS JOIN runs r ON r.id = runs_fts.rowid"
	" WHERE runs_fts MATCH ?1 AND " MODEL_FILTER " ORDER BY runs_fts.rowid DESC LIMIT ?2 OFFSET ?3";

#define HIT_MARKED \
	", instr(r.prompt, char(1)) OR instr(r.prompt, char(2)) OR instr(r.output, char(1)) OR instr(r.output, char(2))"
static const char hit_sql[] = "SELECT " HIT_COLUMNS HIT_MARKED " FROM runs r WHERE r.id = ?1";
static const char hit_sql_old[] = "SELECT " HIT_COLUMNS_OLD HIT_MARKED " FROM runs r WHERE r.id = ?1";

/* Snippets of the chosen hits only: one pass over their rowid range. */
static const char snippets_sql[] =
	"SELECT rowid, snippet(runs_fts, -1, char(1), char(2), '…', " SNIPPET_TOKENS ") FROM runs_fts"
	" WHERE runs_fts MATCH ?1 AND rowid >= ?2 AND rowid <= ?3 AND instr(?4, ',' || rowid || ',') > 0";

static const char marked_snippet_sql[] =
	"SELECT snippet(runs_fts, -1, ?2, ?3, '…', " SNIPPET_TOKENS "), r.prompt, r.output"
	" FROM runs_fts CROSS JOIN runs r ON r.id = runs_fts.rowid"
	" WHERE runs_fts MATCH ?1 AND runs_fts.rowid = ?4";

static const char count_sql[] =
	"SELECT count(*) FROM runs_fts CROSS JOIN runs r ON r.id = runs_fts.rowid"
	" WHERE runs_fts MATCH ?1 AND " MODEL_FILTER;

static const char count_fts_sql[] = "SELECT count(*) FROM runs_fts WHERE runs_fts MATCH ?1";

static const char count_model_sql[] = "SELECT count(*) FROM runs r WHERE " MODEL_FILTER " AND " GROUP_HEAD;
static const char count_model_sql_old[] = "SELECT count(*) FROM runs r WHERE " MODEL_FILTER;

/* the runs on their own plus the conversations, through the indexes (no row read) */
static const char count_all_sql[] =
	"SELECT (SELECT count(*) FROM runs) - (SELECT count(*) FROM runs WHERE conversation IS NOT NULL)"
	" + (SELECT count(DISTINCT conversation) FROM runs WHERE conversation IS NOT NULL)";
static const char count_all_sql_old[] = "SELECT count(*) FROM runs";

static int has_conversations(const struct db *db)
{
	return db_schema(db) >= 8;
}

char *history_fts_query(const char *text)
{
	return fts_phrase_query(text, HISTORY_WORDS_MAX, HISTORY_WORD_MAX);
}

static int step_error(struct db *db, struct err *e)
{
	return err_set(e, "cannot read the history in %s: %s", db_path(db), sqlite3_errmsg(db_handle(db)));
}

static char *column_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	return s ? xstrdup((const char *)s) : NULL;
}

static double json_num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static char *json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) && v->valuestring ? xstrdup(v->valuestring) : NULL;
}

static void parse_metrics(const char *json, struct history_metrics *m)
{
	memset(m, 0, sizeof *m);
	m->ttft_ms = m->total_ms = m->tokens_per_s = m->cost_usd = -1;
	m->input_tokens = m->output_tokens = -1;
	cJSON *o = json ? cJSON_Parse(json) : NULL;
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return;
	}
	m->ttft_ms = json_num(o, "ttft_ms");
	m->total_ms = json_num(o, "total_ms");
	m->tokens_per_s = json_num(o, "tokens_per_s");
	m->cost_usd = json_num(o, "cost_usd");
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(o, "usage");
	if (cJSON_IsObject(u)) {
		m->input_tokens = (int64_t)json_num(u, "input_tokens");
		m->output_tokens = (int64_t)json_num(u, "output_tokens");
		m->estimated = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(u, "estimated"));
	}
	m->status = json_str(o, "status");
	m->stop_reason = json_str(o, "stop_reason");
	m->request_id = json_str(o, "request_id");
	m->error = json_str(o, "error");
	cJSON_Delete(o);
}

static void metrics_free(struct history_metrics *m)
{
	free(m->status);
	free(m->stop_reason);
	free(m->request_id);
	free(m->error);
}

/* Rewrites a snippet marked with `on`/`off` to HISTORY_MARK_ON/OFF, dropping
 * 0x01 and 0x02 bytes that came from the text itself. */
static char *canonical_snippet(const char *s, char on, char off)
{
	struct buf b = BUF_INIT;
	for (; *s; s++) {
		if (*s == on)
			buf_putc(&b, HISTORY_MARK_ON);
		else if (*s == off)
			buf_putc(&b, HISTORY_MARK_OFF);
		else if (*s != HISTORY_MARK_ON && *s != HISTORY_MARK_OFF)
			buf_putc(&b, *s);
	}
	return buf_detach(&b);
}

static void mark_bytes_used(const unsigned char *s, int used[32])
{
	for (; s && *s; s++)
		if (*s < 32)
			used[*s] = 1;
}

/* The stored text of this run holds 0x01 or 0x02 itself: ask again with two
 * control bytes it does not hold, so the marks stay unambiguous. */
static char *remarked_snippet(struct db *db, const char *match, int64_t id, const char *fallback, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, marked_snippet_sql, e);
	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, "", 0, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, "", 0, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, id);
	int used[32] = { 0 };
	char *out = NULL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		mark_bytes_used(sqlite3_column_text(st, 1), used);
		mark_bytes_used(sqlite3_column_text(st, 2), used);
	}
	char marks[2];
	int found = 0;
	for (int c = 3; c < 32 && found < 2; c++)
		if (!used[c] && c != '\t' && c != '\n')
			marks[found++] = (char)c;
	if (found == 2) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 2, &marks[0], 1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, &marks[1], 1, SQLITE_STATIC);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
			out = canonical_snippet((const char *)sqlite3_column_text(st, 0), marks[0], marks[1]);
		else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			step_error(db, e);
	}
	sqlite3_finalize(st);
	if (!out && !(e && e->set))
		out = canonical_snippet(fallback, '\0', '\0');
	return out;
}

static void read_hit(sqlite3_stmt *st, struct history_hit *h)
{
	h->id = sqlite3_column_int64(st, 0);
	h->created_ms = sqlite3_column_int64(st, 1);
	h->kind = column_dup(st, 2);
	h->model = column_dup(st, 3);
	h->prompt = column_dup(st, 4);
	struct history_metrics m;
	parse_metrics((const char *)sqlite3_column_text(st, 5), &m);
	h->status = m.status;
	m.status = NULL;
	h->ttft_ms = m.ttft_ms;
	h->total_ms = m.total_ms;
	h->cost_usd = m.cost_usd;
	metrics_free(&m);
	h->kb_json = column_dup(st, 6);
	h->conversation = sqlite3_column_int64(st, 7);
	h->turn = sqlite3_column_int(st, 8);
	h->turns = 1;
	h->latest = h->id;
}

/* A list row: a conversation shows as its first prompt, its turns and their cost. */
static void read_head(sqlite3_stmt *st, struct history_hit *h)
{
	read_hit(st, h);
	h->turns = sqlite3_column_int(st, 9);
	if (h->conversation) {
		h->id = h->conversation;
		if (sqlite3_column_type(st, 10) != SQLITE_NULL) {
			free(h->prompt);
			h->prompt = column_dup(st, 10);
		}
		h->cost_usd = sqlite3_column_type(st, 11) == SQLITE_NULL ? -1 : sqlite3_column_double(st, 11);
	}
}

static int64_t clamp(size_t v)
{
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

static void bind_query(sqlite3_stmt *st, const char *match, const struct history_query *q)
{
	if (match)
		sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
	if (q->model)
		sqlite3_bind_text(st, 4, q->model, -1, SQLITE_STATIC);
}

static int newest(struct db *db, const struct history_query *q, size_t limit, struct history_hit **out, size_t *n,
		  struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, has_conversations(db) ? newest_sql : newest_sql_old, e);
	if (!st)
		return -1;
	bind_query(st, NULL, q);
	sqlite3_bind_int64(st, 2, clamp(limit));
	sqlite3_bind_int64(st, 3, clamp(q->offset));
	struct history_hit *hits = xcalloc(limit < 64 ? limit : 64, sizeof *hits);
	size_t count = 0, cap = limit < 64 ? limit : 64;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap *= 2;
			hits = xreallocarray(hits, cap, sizeof *hits);
			memset(hits + count, 0, (cap - count) * sizeof *hits);
		}
		read_head(st, &hits[count++]);
	}
	if (rc != SQLITE_DONE)
		step_error(db, e);
	sqlite3_finalize(st);
	*out = hits;
	*n = count;
	return rc == SQLITE_DONE ? 0 : -1;
}

struct candidate {
	int64_t id;
	double bm25;
};

static int by_rank(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;
	if (x->bm25 != y->bm25)
		return x->bm25 < y->bm25 ? -1 : 1;
	return x->id < y->id ? 1 : x->id > y->id ? -1 : 0;
}

/* Matches are taken newest first in blocks of HISTORY_RANK_WINDOW and ranked
 * by bm25 within each block, so pages stay consistent however deep they go.
 * The page goes to *out (ids and scores only). */
static int rank(struct db *db, const char *match, const struct history_query *q, size_t limit,
		struct history_hit **out, size_t *n, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, q->model ? model_candidates_sql : candidates_sql, e);
	if (!st)
		return -1;
	size_t first = q->offset, end = q->offset < SIZE_MAX - limit ? q->offset + limit : SIZE_MAX;
	struct candidate *c = xreallocarray(NULL, HISTORY_RANK_WINDOW, sizeof *c);
	size_t cap = limit < HISTORY_RANK_WINDOW ? limit : HISTORY_RANK_WINDOW;
	*out = xcalloc(cap, sizeof **out);
	*n = 0;
	int rc = SQLITE_DONE;
	for (size_t base = first - first % HISTORY_RANK_WINDOW; base < end; base += HISTORY_RANK_WINDOW) {
		size_t count = 0;
		bind_query(st, match, q);
		sqlite3_bind_int64(st, 2, HISTORY_RANK_WINDOW);
		sqlite3_bind_int64(st, 3, clamp(base));
		while (count < HISTORY_RANK_WINDOW && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			c[count].id = sqlite3_column_int64(st, 0);
			c[count++].bm25 = sqlite3_column_double(st, 1);
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE && rc != SQLITE_ROW)
			break;
		rc = SQLITE_DONE;
		qsort(c, count, sizeof *c, by_rank);
		for (size_t i = first > base ? first - base : 0; i < count && base + i < end; i++) {
			if (*n == cap) {
				*out = xreallocarray(*out, cap * 2, sizeof **out);
				memset(*out + cap, 0, cap * sizeof **out);
				cap *= 2;
			}
			(*out)[*n].id = c[i].id;
			(*out)[(*n)++].score = -c[i].bm25;
		}
		if (count < HISTORY_RANK_WINDOW)
			break;
	}
	if (rc != SQLITE_DONE)
		step_error(db, e);
	sqlite3_finalize(st);
	free(c);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int by_id(const void *a, const void *b)
{
	const struct history_hit *x = *(struct history_hit *const *)a, *y = *(struct history_hit *const *)b;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Snippets for the hits, a few dozen neighbouring ids per pass. */
static int fill_snippets(struct db *db, const char *match, struct history_hit *hits, size_t n, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, snippets_sql, e);
	if (!st)
		return -1;
	struct history_hit **sorted = xreallocarray(NULL, n ? n : 1, sizeof *sorted);
	for (size_t i = 0; i < n; i++)
		sorted[i] = &hits[i];
	qsort(sorted, n, sizeof *sorted, by_id);
	struct buf ids = BUF_INIT;
	int rc = SQLITE_DONE;
	for (size_t at = 0; at < n && rc == SQLITE_DONE; at += SNIPPET_BATCH) {
		size_t m = n - at < SNIPPET_BATCH ? n - at : SNIPPET_BATCH;
		struct history_hit **batch = sorted + at;
		buf_reset(&ids);
		buf_putc(&ids, ',');
		for (size_t i = 0; i < m; i++)
			buf_printf(&ids, "%lld,", (long long)batch[i]->id);
		sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, batch[0]->id);
		sqlite3_bind_int64(st, 3, batch[m - 1]->id);
		sqlite3_bind_text(st, 4, buf_str(&ids), -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t id = sqlite3_column_int64(st, 0);
			for (size_t i = 0; i < m; i++)
				if (batch[i]->id == id && !batch[i]->snippet)
					batch[i]->snippet = column_dup(st, 1);
		}
		sqlite3_reset(st);
	}
	if (rc != SQLITE_DONE)
		step_error(db, e);
	sqlite3_finalize(st);
	buf_free(&ids);
	free(sorted);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Row data of each hit; a snippet whose text holds 0x01 or 0x02 is remade. */
static int fill_hits(struct db *db, const char *match, struct history_hit *hits, size_t n, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, has_conversations(db) ? hit_sql : hit_sql_old, e);
	if (!st)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct history_hit *h = &hits[i];
		sqlite3_bind_int64(st, 1, h->id);
		int step = sqlite3_step(st);
		if (step == SQLITE_ROW) {
			read_hit(st, h);
			if (sqlite3_column_int(st, 9)) {
				char *fixed = remarked_snippet(db, match, h->id, h->snippet ? h->snippet : "", e);
				if (fixed) {
					free(h->snippet);
					h->snippet = fixed;
				} else {
					rc = -1;
				}
			}
		} else {
			rc = step_error(db, e);
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

int history_find(struct db *db, const struct history_query *q, struct history_hit **out, size_t *n,
		   struct err *e)
{
	*out = NULL;
	*n = 0;
	size_t limit = q->limit ? q->limit : HISTORY_DEFAULT_LIMIT;
	char *match = history_fts_query(q->text);
	if (!match)
		return newest(db, q, limit, out, n, e);
	int snapshot = sqlite3_get_autocommit(db_handle(db)) && db_exec(db, "BEGIN", NULL) == 0;
	int rc = rank(db, match, q, limit, out, n, e);
	if (rc == 0 && *n)
		rc = fill_snippets(db, match, *out, *n, e);
	if (rc == 0)
		rc = fill_hits(db, match, *out, *n, e);
	if (snapshot)
		db_exec(db, "COMMIT", NULL);
	free(match);
	if (rc != 0) {
		history_hits_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

void history_hits_free(struct history_hit *hits, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(hits[i].kind);
		free(hits[i].model);
		free(hits[i].prompt);
		free(hits[i].snippet);
		free(hits[i].status);
		free(hits[i].kb_json);
	}
	free(hits);
}

int64_t history_count(struct db *db, const struct history_query *q, struct err *e)
{
	char *match = history_fts_query(q->text);
	int conv = has_conversations(db);
	const char *sql = match ? (q->model ? count_sql : count_fts_sql)
				: q->model ? (conv ? count_model_sql : count_model_sql_old)
					   : (conv ? count_all_sql : count_all_sql_old);
	sqlite3_stmt *st = db_prepare(db, sql, e);
	if (!st) {
		free(match);
		return -1;
	}
	bind_query(st, match, q);
	int64_t count = -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		count = sqlite3_column_int64(st, 0);
	else
		step_error(db, e);
	sqlite3_finalize(st);
	free(match);
	return count;
}

static void parse_messages(struct history_run *run)
{
	cJSON *a = run->messages_json ? cJSON_Parse(run->messages_json) : NULL;
	if (cJSON_IsArray(a) && cJSON_GetArraySize(a) > 0) {
		run->messages = xcalloc((size_t)cJSON_GetArraySize(a), sizeof *run->messages);
		const cJSON *m;
		cJSON_ArrayForEach(m, a) {
			const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
			struct history_message *hm = &run->messages[run->nmessages++];
			hm->role = json_str(m, "role");
			if (!hm->role)
				hm->role = xstrdup("?");
			if (cJSON_IsString(content))
				hm->content = xstrdup(content->valuestring);
			else if (content)
				hm->content = cJSON_PrintUnformatted(content);
			if (!hm->content)
				hm->content = xstrdup("");
		}
	}
	cJSON_Delete(a);
}

static void parse_params(struct history_run *run)
{
	cJSON *o = run->params_json ? cJSON_Parse(run->params_json) : NULL;
	json_exact_integers(o); /* a compare_group as written, not 1.79e+15 */
	if (cJSON_IsObject(o) && cJSON_GetArraySize(o) > 0) {
		run->params = xcalloc((size_t)cJSON_GetArraySize(o), sizeof *run->params);
		const cJSON *p;
		cJSON_ArrayForEach(p, o) {
			struct history_param *hp = &run->params[run->nparams++];
			hp->name = xstrdup(p->string ? p->string : "");
			hp->value = cJSON_PrintUnformatted(p);
			if (!hp->value)
				hp->value = xstrdup("null");
		}
	}
	cJSON_Delete(o);
}

int history_read(struct db *db, int64_t id, struct history_run *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = db_prepare(db, has_conversations(db)
					      ? "SELECT id, created_ms, kind, model, prompt, messages, params, output,"
						" metrics, conversation, turn FROM runs WHERE id = ?1"
					      : "SELECT id, created_ms, kind, model, prompt, messages, params, output,"
						" metrics, NULL, NULL FROM runs WHERE id = ?1", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		if (rc != SQLITE_DONE)
			step_error(db, e);
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? 0 : -1;
	}
	out->id = sqlite3_column_int64(st, 0);
	out->created_ms = sqlite3_column_int64(st, 1);
	out->kind = column_dup(st, 2);
	out->model = column_dup(st, 3);
	out->prompt = column_dup(st, 4);
	out->messages_json = column_dup(st, 5);
	out->params_json = column_dup(st, 6);
	out->output = column_dup(st, 7);
	out->metrics_json = column_dup(st, 8);
	out->conversation = sqlite3_column_int64(st, 9);
	out->turn = sqlite3_column_int(st, 10);
	sqlite3_finalize(st);
	if (!out->output)
		out->output = xstrdup("");
	parse_messages(out);
	parse_params(out);
	parse_metrics(out->metrics_json, &out->metrics);
	return 1;
}

void history_run_free(struct history_run *run)
{
	if (!run)
		return;
	free(run->kind);
	free(run->model);
	free(run->prompt);
	free(run->output);
	free(run->messages_json);
	free(run->params_json);
	free(run->metrics_json);
	for (size_t i = 0; i < run->nmessages; i++) {
		free(run->messages[i].role);
		free(run->messages[i].content);
	}
	free(run->messages);
	for (size_t i = 0; i < run->nparams; i++) {
		free(run->params[i].name);
		free(run->params[i].value);
	}
	free(run->params);
	metrics_free(&run->metrics);
	memset(run, 0, sizeof *run);
}

/* json_valid first: an odd row's params must not make json_extract fail the query. */
static const char group_sql[] =
	"SELECT model FROM runs WHERE kind = 'compare' AND model IS NOT NULL"
	" AND CASE WHEN json_valid(params) THEN json_extract(params, '$.compare_group') END = ?1 ORDER BY id";

int history_group_models(struct db *db, int64_t group, char ***models, size_t *n, struct err *e)
{
	*models = NULL;
	*n = 0;
	sqlite3_stmt *st = db_prepare(db, group_sql, e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, group);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		XGROW(*models, cap, *n + 1);
		(*models)[(*n)++] = column_dup(st, 0);
	}
	if (rc != SQLITE_DONE)
		step_error(db, e);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	history_models_free(*models, *n);
	*models = NULL;
	*n = 0;
	return -1;
}

static int collect_ids(struct db *db, sqlite3_stmt *st, int64_t **ids, size_t *n, struct err *e);

/* The same rows as group_sql, by id. */
int history_group_ids(struct db *db, int64_t group, int64_t **ids, size_t *n, struct err *e)
{
	*ids = NULL;
	*n = 0;
	sqlite3_stmt *st = db_prepare(db, "SELECT id FROM runs WHERE kind = 'compare' AND model IS NOT NULL"
					  " AND CASE WHEN json_valid(params) THEN json_extract(params, '$.compare_group')"
					  " END = ?1 ORDER BY id", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, group);
	if (collect_ids(db, st, ids, n, e) == 0)
		return 0;
	free(*ids);
	*ids = NULL;
	*n = 0;
	return -1;
}

void history_models_free(char **models, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(models[i]);
	free(models);
}

static int collect_ids(struct db *db, sqlite3_stmt *st, int64_t **ids, size_t *n, struct err *e)
{
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		XGROW(*ids, cap, *n + 1);
		(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE)
		step_error(db, e);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int history_read_conversation(struct db *db, int64_t id, struct history_run **turns, size_t *n, struct err *e)
{
	*turns = NULL;
	*n = 0;
	int64_t *ids = NULL;
	size_t nids = 0;
	if (has_conversations(db)) {
		sqlite3_stmt *st = db_prepare(db, "SELECT id FROM (SELECT id, 0 AS turn FROM runs WHERE id = ?1"
						  " AND conversation IS NULL UNION ALL SELECT id, turn FROM runs"
						  " WHERE conversation = (SELECT conversation FROM runs WHERE id = ?1))"
						  " ORDER BY turn, id", e);
		if (!st)
			return -1;
		sqlite3_bind_int64(st, 1, id);
		if (collect_ids(db, st, &ids, &nids, e) != 0) {
			free(ids);
			return -1;
		}
	} else {
		ids = xmalloc(sizeof *ids);
		ids[nids++] = id;
	}
	int rc = 0;
	if (nids)
		*turns = xcalloc(nids, sizeof **turns);
	for (size_t i = 0; i < nids && rc >= 0; i++) {
		rc = history_read(db, ids[i], &(*turns)[*n], e);
		if (rc > 0)
			(*n)++;
	}
	free(ids);
	if (rc < 0) {
		history_runs_free(*turns, *n);
		*turns = NULL;
		*n = 0;
		return -1;
	}
	return *n ? 1 : 0;
}

void history_runs_free(struct history_run *runs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		history_run_free(&runs[i]);
	free(runs);
}

int64_t history_latest_id(struct db *db, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT id FROM runs ORDER BY created_ms DESC, id DESC LIMIT 1", e);
	if (!st)
		return -1;
	int rc = sqlite3_step(st);
	int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		id = step_error(db, e);
	sqlite3_finalize(st);
	return id;
}
