#include "view_history.h"

#include <curses.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "draw.h"
#include "keys.h"
#include "list.h"
#include "llm/run_metrics.h"
#include "store/history.h"
#include "wrap.h"

#define QUERY_MAX 512
#define KEY_CTRL(c) ((c) & 0x1f)

/* A run in full is a few blocks of sanitized text, each wrapped on its own
 * at its indent and only as far as the screen needs (ui/wrap.h): a stored
 * answer of millions of lines opens at once and costs little beside its text. */
struct block {
	struct wrapped w;        /* sanitized so far */
	int indent;
	enum theme_role role;
	char *raw;               /* stored text still to sanitize (owned); NULL when all is */
	size_t raw_len, raw_fed;
	struct sanitizer san;
	int taken;               /* holds one stored text of its own */
};

#define FEED_BYTES ((size_t)64 << 10)

#define WRAP_AHEAD 1000 /* lines wrapped past the screen, so short runs are wrapped whole */
#define SCROLL_END LONG_MAX

struct history_view {
	struct db *db;
	struct buf query;
	struct history_hit *hits;     /* the runs shown: list rows [offset, offset + nhits) */
	size_t nhits, offset, limit;
	struct ui_list list;          /* over all the runs that match, total of them */
	int64_t total;
	int searching;
	char error[512];
	int lines, cols;
	/* the run in full */
	int detail;
	int64_t id;
	struct block *blocks;
	size_t nblocks, cap_blocks;
	long scroll;
	int64_t chosen;
};

static const struct ui_list_ops list_ops;

/* Rows for runs: the screen less the status line, the frame, the query, the
 * summary and a blank row. */
static int list_rows(const struct history_view *v)
{
	int n = v->lines - 1 - 5;
	return n > 1 ? n : 1;
}

static void clear_hits(struct history_view *v)
{
	history_hits_free(v->hits, v->nhits);
	v->hits = NULL;
	v->nhits = 0;
}

/* Asks again for the runs that match, as many as fit from the list's first
 * row shown (moved back when fewer runs are left). */
static void search(struct history_view *v)
{
	clear_hits(v);
	v->error[0] = '\0';
	char *fts = history_fts_query(buf_str(&v->query));
	v->searching = fts != NULL;
	free(fts);
	v->limit = (size_t)list_rows(v) / (v->searching ? 2 : 1);
	if (!v->limit)
		v->limit = 1;
	v->list.row_height = v->searching ? 2 : 1;
	struct history_query q = { buf_str(&v->query), NULL, v->limit, 0 };
	struct err e = ERR_INIT;
	v->total = history_count(v->db, &q, &e);
	ui_list_set_count(&v->list, v->total > 0 ? (size_t)v->total : 0);
	ui_list_set_rows(&v->list, v->limit);
	v->offset = v->list.top;
	if (v->total >= 0 && v->offset && v->offset + v->limit > (size_t)v->total)
		v->offset = (size_t)v->total > v->limit ? (size_t)v->total - v->limit : 0;
	v->list.top = v->offset;
	q.offset = v->offset;
	if (v->total < 0 || history_find(v->db, &q, &v->hits, &v->nhits, &e) != 0) {
		snprintf(v->error, sizeof v->error, "%s", err_msg(&e));
		v->total = 0;
		v->offset = v->list.top = 0;
		ui_list_set_count(&v->list, 0);
	} else if (v->nhits < v->limit) {
		ui_list_set_count(&v->list, v->offset + v->nhits); /* fewer runs than counted: none past these */
	}
}

/* The selected run, or NULL. */
static const struct history_hit *selected(const struct history_view *v)
{
	size_t i = ui_list_selected(&v->list);
	return i != UI_LIST_NONE && i >= v->offset && i - v->offset < v->nhits ? &v->hits[i - v->offset] : NULL;
}

static void free_detail(struct history_view *v)
{
	for (size_t i = 0; i < v->nblocks; i++) {
		wrap_free(&v->blocks[i].w);
		free(v->blocks[i].raw);
	}
	free(v->blocks);
	v->blocks = NULL;
	v->nblocks = v->cap_blocks = 0;
	v->detail = 0;
}

struct history_view *history_view_new(struct db *db)
{
	struct history_view *v = xcalloc(1, sizeof *v);
	v->db = db;
	ui_list_init(&v->list, &list_ops, v, UI_LIST_TYPING);
	return v;
}

void history_view_free(struct history_view *v)
{
	if (!v)
		return;
	clear_hits(v);
	free_detail(v);
	ui_list_free(&v->list);
	buf_free(&v->query);
	free(v);
}

void history_view_open(struct history_view *v, const char *query, int lines, int cols)
{
	if (query) {
		buf_reset(&v->query);
		buf_append(&v->query, query, strnlen(query, QUERY_MAX));
	}
	free_detail(v);
	v->lines = lines;
	v->cols = cols;
	v->list.cursor = v->list.top = 0;
	search(v);
}

void history_view_layout(struct history_view *v, int lines, int cols)
{
	int again = lines != v->lines;
	v->lines = lines;
	v->cols = cols;
	if (!again)
		return;
	const struct history_hit *h = selected(v);
	int64_t id = h ? h->id : 0;
	search(v);
	for (size_t i = 0; i < v->nhits; i++)
		if (v->hits[i].id == id)
			ui_list_select(&v->list, v->offset + i);
}

enum keymap history_view_keymap(const struct history_view *v)
{
	return v->detail ? KEYMAP_RUN : KEYMAP_HISTORY;
}

int64_t history_view_chosen(const struct history_view *v)
{
	return v->chosen;
}

/* ---------------------------------------------------------------- the run in full */

static struct block *new_block(struct history_view *v, int indent, enum theme_role role)
{
	XGROW(v->blocks, v->cap_blocks, v->nblocks + 1);
	struct block *b = &v->blocks[v->nblocks++];
	memset(b, 0, sizeof *b);
	b->indent = indent;
	b->role = role;
	return b;
}

/* The text lines drawn at indent in role go to: the last block's when it has
 * the same look (a newline is added to end its last line), else a new one. */
static struct wrapped *block_for(struct history_view *v, int indent, enum theme_role role)
{
	struct block *b = v->nblocks ? &v->blocks[v->nblocks - 1] : NULL;
	if (b && !b->taken && b->indent == indent && b->role == role) {
		buf_putc(&b->w.text, '\n');
		return &b->w;
	}
	return &new_block(v, indent, role)->w;
}

/* A line of our own (no newline, nothing to sanitize). */
static void add_line(struct history_view *v, const char *text, size_t n, int indent, enum theme_role role)
{
	buf_append(&block_for(v, indent, role)->text, text, n);
}

/* A stored text, taken (*text becomes NULL): sanitized and wrapped only as
 * far as it is shown. */
static void add_taken(struct history_view *v, char **text, int indent, enum theme_role role)
{
	struct block *b = new_block(v, indent, role);
	b->taken = 1;
	b->raw = *text;
	b->raw_len = strlen(*text);
	*text = NULL;
	sanitize_init(&b->san, 4);
}

/* Untrusted text, sanitized now: one line per line of it. */
static void add_text(struct history_view *v, const char *text, int indent, enum theme_role role)
{
	struct sanitizer san;
	sanitize_init(&san, 4);
	struct wrapped *w = block_for(v, indent, role);
	sanitize_feed(&san, text, strlen(text), &w->text);
	sanitize_finish(&san, &w->text);
}

static void addf(struct history_view *v, int indent, enum theme_role role, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void addf(struct history_view *v, int indent, enum theme_role role, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	add_text(v, s, indent, role);
	free(s);
}

enum when_form { WHEN_SHORT, WHEN_MINUTES, WHEN_SECONDS };

static void format_time(char *out, size_t n, int64_t ms, enum when_form form)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	size_t len = 0;
	if (localtime_r(&t, &tm))
		len = form == WHEN_SHORT   ? strftime(out, n, "%m-%d %H:%M", &tm)
		    : form == WHEN_MINUTES ? strftime(out, n, "%Y-%m-%d %H:%M", &tm)
					   : strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm);
	if (!len)
		snprintf(out, n, "?");
}

static void add_metrics(struct history_view *v, const struct history_metrics *m)
{
	struct buf b = BUF_INIT;
	struct run_metrics rm;
	metrics_from_history(m, &rm);
	metrics_known(&b, &rm);
	if (b.len)
		add_text(v, buf_str(&b), 2, ROLE_METRIC);
	buf_reset(&b);
	if (m->status)
		buf_printf(&b, "status %s", m->status);
	if (m->stop_reason)
		buf_printf(&b, "%sstop %s", b.len ? " · " : "", m->stop_reason);
	if (m->request_id)
		buf_printf(&b, "%srequest id %s", b.len ? " · " : "", m->request_id);
	if (b.len)
		add_text(v, buf_str(&b), 2, ROLE_NORMAL);
	if (m->error)
		addf(v, 2, ROLE_ERROR, "error: %s", m->error);
	buf_free(&b);
}

/* A conversation in full: each turn's question, answer and metrics (the
 * messages before them are the earlier turns). */
static void add_turns(struct history_view *v, struct history_run *turns, size_t n)
{
	char when[32];
	addf(v, 0, ROLE_TITLE, "Conversation %lld · %zu turn%s", (long long)turns[0].conversation, n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		struct history_run *t = &turns[i];
		format_time(when, sizeof when, t->created_ms, WHEN_SECONDS);
		const char *system = NULL;
		for (size_t k = 0; k < t->nmessages; k++)
			if (strcmp(t->messages[k].role, "system") == 0)
				system = t->messages[k].content;
		add_line(v, "", 0, 0, ROLE_NORMAL);
		addf(v, 0, ROLE_TITLE, "Turn %d · run %lld · %s · %s · %s · %s", t->turn, (long long)t->id, when,
		     t->kind ? t->kind : "?", t->model ? t->model : "no model",
		     t->metrics.status ? t->metrics.status : "status unknown");
		if (system && (i == 0 || !turns[i - 1].nmessages || strcmp(turns[i - 1].messages[0].content, system) != 0))
			addf(v, 2, ROLE_DIM, "system: %s", system);
		add_line(v, "You", 3, 2, ROLE_DIM);
		if (t->prompt)
			add_taken(v, &t->prompt, 4, ROLE_NORMAL);
		add_line(v, "Answer", 6, 2, ROLE_DIM);
		if (*t->output)
			add_taken(v, &t->output, 4, ROLE_NORMAL);
		else
			add_line(v, "(no text)", 9, 4, ROLE_DIM);
		add_metrics(v, &t->metrics);
	}
}

static int open_detail(struct history_view *v, int64_t id)
{
	struct history_run run;
	struct err e = ERR_INIT;
	struct history_run *turns = NULL;
	size_t nturns = 0;
	int rc = history_read_conversation(v->db, id, &turns, &nturns, &e);
	if (rc > 0 && turns[0].conversation) {
		free_detail(v);
		v->detail = 1;
		v->id = turns[nturns - 1].id; /* r re-opens the latest turn */
		v->scroll = 0;
		add_turns(v, turns, nturns);
		history_runs_free(turns, nturns);
		return 0;
	}
	history_runs_free(turns, nturns);
	if (rc >= 0)
		rc = history_read(v->db, id, &run, &e);
	if (rc <= 0) {
		if (rc == 0)
			snprintf(v->error, sizeof v->error, "run %lld is no longer in the history", (long long)id);
		else
			snprintf(v->error, sizeof v->error, "%s", err_msg(&e));
		return -1;
	}
	free_detail(v);
	v->detail = 1;
	v->id = id;
	v->scroll = 0;
	char when[32];
	format_time(when, sizeof when, run.created_ms, WHEN_SECONDS);
	addf(v, 0, ROLE_TITLE, "Run %lld · %s · %s · %s · %s", (long long)run.id, when, run.kind ? run.kind : "?",
	     run.model ? run.model : "no model", run.metrics.status ? run.metrics.status : "status unknown");
	add_line(v, "", 0, 0, ROLE_NORMAL);
	add_line(v, "Prompt", 6, 0, ROLE_TITLE);
	if (run.prompt)
		add_taken(v, &run.prompt, 2, ROLE_NORMAL);
	else
		add_line(v, "", 0, 2, ROLE_NORMAL);
	add_line(v, "", 0, 0, ROLE_NORMAL);
	add_line(v, "Messages", 8, 0, ROLE_TITLE);
	for (size_t i = 0; i < run.nmessages; i++) {
		addf(v, 2, ROLE_DIM, "%s:", run.messages[i].role);
		add_taken(v, &run.messages[i].content, 4, ROLE_NORMAL);
	}
	if (!run.nmessages)
		add_line(v, "(none recorded)", 15, 2, ROLE_DIM);
	add_line(v, "", 0, 0, ROLE_NORMAL);
	add_line(v, "Params", 6, 0, ROLE_TITLE);
	for (size_t i = 0; i < run.nparams; i++)
		addf(v, 2, ROLE_NORMAL, "%s = %s", run.params[i].name, run.params[i].value);
	if (!run.nparams)
		add_line(v, "(defaults)", 10, 2, ROLE_DIM);
	add_line(v, "", 0, 0, ROLE_NORMAL);
	add_line(v, "Answer", 6, 0, ROLE_TITLE);
	if (*run.output)
		add_taken(v, &run.output, 2, ROLE_NORMAL);
	else
		add_line(v, "(no text)", 9, 2, ROLE_DIM);
	add_line(v, "", 0, 0, ROLE_NORMAL);
	add_line(v, "Metrics", 7, 0, ROLE_TITLE);
	add_metrics(v, &run.metrics);
	history_run_free(&run);
	return 0;
}

/* ---------------------------------------------------------------- keys */

static void query_changed(struct history_view *v)
{
	v->list.cursor = v->list.top = 0;
	search(v);
}

static unsigned list_key(struct history_view *v, int key)
{
	if (ui_list_key(&v->list, key)) {
		if (v->list.top != v->offset)
			search(v); /* the runs from the new first row */
		return 0;
	}
	const struct history_hit *h = selected(v);
	int printable = (key >= 32 && key < 127) || (key >= 128 && key < 256);
	switch (printable ? PA_NONE : keys_map_action(KEYMAP_HISTORY, key)) { /* letters are the search's */
	case PA_HISTORY_CLOSE: return HISTORY_VIEW_CLOSE;
	case PA_HISTORY_OPEN:
		if (h)
			open_detail(v, h->id);
		return 0;
	case PA_HISTORY_RESTORE:
		if (!h)
			return 0;
		v->chosen = h->latest ? h->latest : h->id; /* a conversation: its latest turn */
		return HISTORY_VIEW_RESTORE | HISTORY_VIEW_CLOSE;
	case PA_HISTORY_CLEAR:
		buf_reset(&v->query);
		query_changed(v);
		return 0;
	default: break;
	}
	switch (key) {
	case KEY_BACKSPACE: case 127: case KEY_CTRL('h'):
		if (v->query.len) {
			size_t n = v->query.len - 1;
			while (n && ((unsigned char)v->query.data[n] & 0xc0) == 0x80)
				n--;
			buf_truncate(&v->query, n);
			query_changed(v);
		}
		break;
	default:
		if (printable && v->query.len < QUERY_MAX) {
			buf_putc(&v->query, (char)key);
			query_changed(v);
		}
		break;
	}
	return 0;
}

/* The draw keeps scroll within the text. */
static void scroll_by(struct history_view *v, long delta)
{
	if (v->scroll == SCROLL_END)
		return;
	v->scroll = delta > 0 && v->scroll > SCROLL_END - delta ? SCROLL_END : v->scroll + delta;
}

static unsigned detail_key(struct history_view *v, int key)
{
	switch (keys_pane_action(KEYMAP_RUN, key)) {
	case PA_RUN_BACK: free_detail(v); break;
	case PA_RUN_CLOSE: return HISTORY_VIEW_CLOSE;
	case PA_MOVE_UP: scroll_by(v, -1); break;
	case PA_MOVE_DOWN: scroll_by(v, 1); break;
	case PA_MOVE_PAGE_UP: scroll_by(v, -list_rows(v)); break;
	case PA_MOVE_PAGE_DOWN: case PA_RUN_PAGE_DOWN: scroll_by(v, list_rows(v)); break;
	case PA_MOVE_FIRST: v->scroll = 0; break;
	case PA_MOVE_LAST: v->scroll = SCROLL_END; break;
	case PA_RUN_RESTORE:
		v->chosen = v->id;
		free_detail(v);
		return HISTORY_VIEW_RESTORE | HISTORY_VIEW_CLOSE;
	default: break;
	}
	return 0;
}

unsigned history_view_key(struct history_view *v, int key)
{
	return v->detail ? detail_key(v, key) : list_key(v, key);
}

/* ---------------------------------------------------------------- drawing */

/* Text clipped or padded to exactly width columns at x; returns the next x.
 * An id (mid) loses its middle to an ellipsis rather than its end. */
static int cell_mid(WINDOW *w, int y, int x, int right, const char *text, int width, attr_t at, int mid)
{
	if (x >= right)
		return x;
	if (width > right - x)
		width = right - x;
	(mid ? draw_text_mid : draw_text)(w, y, x, width, text, at);
	return x + width + 2;
}

static int cell(WINDOW *w, int y, int x, int right, const char *text, int width, attr_t at)
{
	return cell_mid(w, y, x, right, text, width, at, 0);
}

static enum theme_role status_role(const char *status, int cursor)
{
	if (cursor)
		return ROLE_SELECTED;
	if (!status)
		return ROLE_DIM;
	if (strcmp(status, "ok") == 0)
		return ROLE_OK;
	if (strcmp(status, "error") == 0)
		return ROLE_ERROR;
	return ROLE_WARN;
}

static void draw_snippet(WINDOW *w, int y, int x, int right, const char *snippet, int cursor)
{
	const char *p = snippet;
	int marked = 0;
	while (*p && x < right) {
		size_t n = strcspn(p, "\x01\x02");
		if (n) {
			char *part = xstrndup(p, n);
			x += draw_text(w, y, x, right - x, part,
				       theme_attr(marked ? ROLE_MATCH : cursor ? ROLE_SELECTED : ROLE_DIM));
			free(part);
		}
		p += n;
		if (*p) {
			marked = *p == HISTORY_MARK_ON;
			p++;
		}
	}
}

static void draw_hit(WINDOW *w, int y, int right, const struct history_hit *h, int cursor, int two_rows)
{
	attr_t sel = theme_attr(ROLE_SELECTED);
	for (int r = 0; cursor && r < 1 + two_rows; r++)
		for (int x = 1; x <= right; x++)
			mvwaddch(w, y + r, x, ' ' | sel);
	/* narrow screens keep room for the prompt: a shorter time, a narrower model, no cost */
	int wide = right >= 110;
	char when[32], cost[32];
	format_time(when, sizeof when, h->created_ms, wide ? WHEN_MINUTES : WHEN_SHORT);
	metrics_usd(cost, sizeof cost, h->cost_usd, METRICS_COST_UNKNOWN);
	int x = cell(w, y, 2, right, when, wide ? 16 : 11, cursor ? sel : theme_attr(ROLE_DIM));
	char kind[32];
	if (h->turns > 1)
		snprintf(kind, sizeof kind, "%s ×%d", h->kind ? h->kind : "?", h->turns);
	else if (h->snippet && h->conversation)
		snprintf(kind, sizeof kind, "%s #%d", h->kind ? h->kind : "?", h->turn);
	else
		snprintf(kind, sizeof kind, "%s", h->kind ? h->kind : "?");
	x = cell(w, y, x, right, kind, wide ? 10 : 7, cursor ? sel : theme_attr(ROLE_NORMAL)); /* "compare ×2" */
	x = cell_mid(w, y, x, right, h->model ? h->model : "-", wide ? 30 : 18, cursor ? sel : theme_attr(ROLE_TITLE), 1);
	x = cell(w, y, x, right, h->status ? h->status : "?", 9, theme_attr(status_role(h->status, cursor)));
	if (wide)
		x = cell(w, y, x, right, cost, 13, cursor ? sel : theme_attr(ROLE_METRIC));
	if (x < right)
		draw_text(w, y, x, right - x, h->prompt ? h->prompt : "", cursor ? sel : theme_attr(ROLE_NORMAL));
	if (two_rows && h->snippet)
		draw_snippet(w, y + 1, 6, right, h->snippet, cursor);
}

/* A run's row of the list (two rows when searching: the passage below). */
static void draw_row(void *ud, WINDOW *w, int y, int x, int width, size_t i, int cursor)
{
	struct history_view *v = ud;
	if (i >= v->offset && i - v->offset < v->nhits)
		draw_hit(w, y, x + width, &v->hits[i - v->offset], cursor, v->searching);
}

static const struct ui_list_ops list_ops = { draw_row, NULL };

static void draw_list(struct history_view *v, WINDOW *w, int h, int right)
{
	draw_frame(w, "History — type to search · ↑↓ select · Enter open · C-r re-open · Esc close", 1);
	int x = draw_text(w, 1, 2, right - 2, "Search: ", theme_attr(ROLE_DIM));
	x += draw_text(w, 1, 2 + x, right - 2 - x, buf_str(&v->query), theme_attr(ROLE_NORMAL));
	if (2 + x < right)
		mvwaddch(w, 1, 2 + x, ' ' | A_REVERSE);
	char summary[160];
	if (v->error[0])
		summary[0] = '\0';
	else if (v->searching)
		snprintf(summary, sizeof summary, "%lld run%s match%s", (long long)v->total, v->total == 1 ? "" : "s",
			 v->total == 1 ? "es" : "");
	else
		snprintf(summary, sizeof summary, "%lld run%s, newest first", (long long)v->total, v->total == 1 ? "" : "s");
	if (v->nhits && (size_t)v->total > v->nhits) {
		size_t len = strlen(summary);
		snprintf(summary + len, sizeof summary - len, " · %zu-%zu shown", v->offset + 1, v->offset + v->nhits);
	}
	draw_text(w, 2, 2, right - 2, summary, theme_attr(ROLE_DIM));
	int top = 4, bottom = h - 1;
	if (v->error[0]) {
		draw_wrapped(w, top, 2, right - 2, bottom - top, v->error, theme_attr(ROLE_ERROR));
		return;
	}
	char msg[QUERY_MAX + 200];
	if (v->searching)
		snprintf(msg, sizeof msg, "No run matches \"%s\". Fewer words, or a prefix such as borr*, find more.",
			 buf_str(&v->query));
	else
		snprintf(msg, sizeof msg, "No runs in the history yet. What you send from the Prompt pane, aiwb ask "
					  "and aiwb compare is kept here, to search and to re-open.");
	ui_list_draw(&v->list, w, top, 2, bottom - top, right - 2, msg);
}

static int block_complete(const struct block *b)
{
	return !b->raw && wrap_complete(&b->w);
}

/* Sanitizes more of b's stored text until it is wrapped (at width) to more
 * than lines lines, or all of it is. */
static void block_fill(struct block *b, int width, size_t lines)
{
	for (;;) {
		wrap_update_until(&b->w, width, lines);
		if (!b->raw || !wrap_complete(&b->w) || wrap_lines(&b->w) > lines)
			return;
		size_t n = b->raw_len - b->raw_fed < FEED_BYTES ? b->raw_len - b->raw_fed : FEED_BYTES;
		sanitize_feed(&b->san, b->raw + b->raw_fed, n, &b->w.text);
		b->raw_fed += n;
		if (b->raw_fed == b->raw_len) {
			sanitize_finish(&b->san, &b->w.text);
			free(b->raw);
			b->raw = NULL;
		}
	}
}

/* Wraps the blocks at cols as far as rows [0, need) and WRAP_AHEAD more;
 * returns the lines known and sets *complete when that is all of them. */
static size_t wrap_blocks(struct history_view *v, int cols, size_t need, int *complete)
{
	size_t total = 0;
	*complete = 1;
	for (size_t i = 0; i < v->nblocks; i++) {
		struct block *b = &v->blocks[i];
		size_t want = total < need ? need - total : 0;
		want = want > SIZE_MAX - WRAP_AHEAD ? SIZE_MAX : want + WRAP_AHEAD;
		block_fill(b, cols - b->indent > 0 ? cols - b->indent : 1, want);
		total += wrap_lines(&b->w);
		if (!block_complete(b)) {
			*complete = 0;
			break;
		}
	}
	return total;
}

static void draw_detail(struct history_view *v, WINDOW *w, int h, int right)
{
	char title[160];
	snprintf(title, sizeof title, "Run %lld — ↑↓ PgUp PgDn scroll · r re-open in the workbench · Esc back",
		 (long long)v->id);
	draw_frame(w, title, 1);
	int cols = right - 2, visible = h - 2, complete;
	if (v->scroll < 0)
		v->scroll = 0;
	size_t need = v->scroll == SCROLL_END ? SIZE_MAX : (size_t)v->scroll + (size_t)visible;
	size_t total = wrap_blocks(v, cols, need, &complete);
	long max = total > (size_t)visible ? (long)(total - (size_t)visible) : 0;
	if (v->scroll > max)
		v->scroll = max;
	size_t row = (size_t)v->scroll, base = 0;
	for (size_t i = 0; i < v->nblocks && row < (size_t)v->scroll + (size_t)visible; i++) {
		const struct block *b = &v->blocks[i];
		size_t n = wrap_lines(&b->w);
		if (row < base + n) {
			int y = (int)(row - (size_t)v->scroll);
			size_t left = base + n - row, room = (size_t)(visible - y);
			int rows = (int)(left < room ? left : room);
			wrap_draw(w, &b->w, (long)(row - base), 1 + y, 2 + b->indent, cols - b->indent, rows,
				  theme_attr(b->role));
			row += (size_t)rows;
		}
		base += n;
	}
	char pos[64];
	if (!complete)
		snprintf(pos, sizeof pos, " line %ld of %zu+ ", v->scroll + 1, total);
	else if (max > 0)
		snprintf(pos, sizeof pos, " %ld%% ", (v->scroll * 100 + max / 2) / max);
	else
		pos[0] = '\0';
	if (pos[0])
		draw_text(w, h - 1, right - (int)strlen(pos) - 1, (int)strlen(pos), pos, theme_attr(ROLE_DIM));
}

void history_view_draw(struct history_view *v)
{
	int h = LINES - 1, wd = COLS;
	if (h < 6 || wd < 20)
		return;
	WINDOW *w = newwin(h, wd, 0, 0);
	if (!w)
		return;
	wbkgd(w, theme_attr(ROLE_NORMAL));
	werase(w);
	if (v->detail)
		draw_detail(v, w, h, wd - 2);
	else
		draw_list(v, w, h, wd - 2);
	wnoutrefresh(w);
	delwin(w);
}
