/* aiwb history: search the saved runs, list the newest, or show one in full. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/path.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "cli/cli.h"
#include "llm/run_metrics.h"
#include "session.h"
#include "store/db.h"
#include "store/history.h"

#define HISTORY_MAX_LIMIT 10000
#define MODEL_COLS_MAX 40

struct history_cmd {
	int json, raw, bold;
	int has_limit, has_offset;
	size_t limit, offset;
	const char *model;
	int term_cols;     /* 0: do not fit lines */
};

static int takes_value(const char *a)
{
	if (strcmp(a, "-n") == 0)
		return 1;
	size_t n = strlen(a);
	if (n < 3 || strncmp(a, "--", 2) != 0 || strchr(a, '='))
		return 0;
	return strncmp(a, "--model", n) == 0 || strncmp(a, "--offset", n) == 0 || strncmp(a, "--limit", n) == 0;
}

/* Index of the first argument that is not an option or an option's value. */
static int first_operand(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			return -1;
		if (a[0] != '-' || a[1] == '\0')
			return i;
		if (takes_value(a))
			i++;
	}
	return -1;
}

static int parse_size(const char *opt, const char *v, size_t lo, size_t hi, size_t *out)
{
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno || end == v || *end || n < (long long)lo || n > (long long)hi)
		return cli_usage_error("history", "%s must be a whole number from %zu to %zu", opt, lo, hi);
	*out = (size_t)n;
	return 0;
}

static int parse_id(const char *v, int64_t *id)
{
	char *end;
	if (*v == '#')
		v++;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (*v < '0' || *v > '9' || errno || *end || n < 1)
		return cli_usage_error("history", "the run id must be a number such as 42 (as 'aiwb history' lists)");
	*id = n;
	return 0;
}

static char *safe_copy(const char *s, int raw)
{
	if (!s)
		s = "";
	return raw ? xstrdup(s) : sanitize_str(s, strlen(s), 0);
}

/* Appends s with every run of white space turned into one space. */
static void append_flat(struct buf *b, const char *s)
{
	for (; *s; s++) {
		int space = *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r';
		if (!space)
			buf_putc(b, *s);
		else if (b->len && b->data[b->len - 1] != ' ')
			buf_putc(b, ' ');
	}
}

static char *flat_copy(const char *s, int raw)
{
	char *safe = safe_copy(s, raw);
	struct buf b = BUF_INIT;
	append_flat(&b, safe);
	free(safe);
	while (b.len && b.data[b.len - 1] == ' ')
		buf_truncate(&b, b.len - 1);
	return buf_detach(&b);
}

static void format_time(int64_t ms, int long_form, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (!localtime_r(&t, &tm) ||
	    !(long_form ? strftime(out, n, "%Y-%m-%d %H:%M:%S %Z", &tm) : strftime(out, n, "%Y-%m-%d %H:%M", &tm)))
		snprintf(out, n, "?");
}

static void format_iso(int64_t ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char day[32];
	if (!gmtime_r(&t, &tm) || !strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(day, sizeof day, "?");
	snprintf(out, n, "%s.%03dZ", day, (int)(((ms % 1000) + 1000) % 1000));
}

/* The snippet as display text: pieces sanitized, marks as bold or brackets. */
static char *render_snippet(const char *snippet, int raw, int bold)
{
	struct buf b = BUF_INIT;
	const char *p = snippet;
	while (*p) {
		size_t n = strcspn(p, "\x01\x02");
		char *raw_piece = xstrndup(p, n), *piece = safe_copy(raw_piece, raw);
		append_flat(&b, piece);
		free(piece);
		free(raw_piece);
		p += n;
		if (*p == HISTORY_MARK_ON)
			buf_puts(&b, bold ? "\033[1m" : "[");
		else if (*p == HISTORY_MARK_OFF)
			buf_puts(&b, bold ? "\033[22m" : "]");
		if (*p)
			p++;
	}
	return buf_detach(&b);
}

static void put_fit(const char *s, int cols, int pad)
{
	size_t len = strlen(s);
	int w = 0;
	if (cols > 0 && sanitize_width(s, len) > cols) {
		len = sanitize_fit(s, len, cols - 1, &w);
		fwrite(s, 1, len, stdout);
		fputs("…", stdout);
		w++;
	} else {
		fputs(s, stdout);
		w = sanitize_width(s, len);
	}
	for (; pad && w < cols; w++)
		putchar(' ');
}

static int terminal_columns(void)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}

enum { COL_ID, COL_WHEN, COL_KIND, COL_TURNS, COL_MODEL, COL_STATUS, COL_TTFT, COL_COST, COL_PROMPT, NCOLS };

static const char *const col_names[NCOLS] = { "ID", "WHEN", "KIND", "TURNS", "MODEL", "STATUS", "TTFT", "COST",
					      "PROMPT" };

static void hit_cells(const struct history_cmd *c, const struct history_hit *h, char *cell[NCOLS])
{
	char tmp[64];
	cell[COL_ID] = xasprintf("%lld", (long long)h->id);
	format_time(h->created_ms, 0, tmp, sizeof tmp);
	cell[COL_WHEN] = xstrdup(tmp);
	cell[COL_KIND] = flat_copy(h->kind, c->raw);
	/* a list row counts its conversation's turns; a search hit names its turn */
	if (h->snippet && h->conversation)
		cell[COL_TURNS] = xasprintf("#%d", h->turn);
	else
		cell[COL_TURNS] = xasprintf("%d", h->turns > 0 ? h->turns : 1);
	cell[COL_MODEL] = flat_copy(h->model ? h->model : "-", c->raw);
	cell[COL_STATUS] = flat_copy(h->status ? h->status : "-", c->raw);
	cell[COL_TTFT] = xstrdup(metrics_ms(tmp, sizeof tmp, h->ttft_ms, "-"));
	cell[COL_COST] = xstrdup(metrics_usd(tmp, sizeof tmp, h->cost_usd, METRICS_COST_UNKNOWN));
	cell[COL_PROMPT] = flat_copy(h->prompt, c->raw);
}

static void put_cell(const char *s, int col, int cols)
{
	if (col == COL_ID || col == COL_TURNS || col == COL_TTFT || col == COL_COST) {
		for (int w = sanitize_width(s, strlen(s)); w < cols; w++)
			putchar(' ');
		fputs(s, stdout);
	} else {
		put_fit(s, cols, col != COL_PROMPT);
	}
	if (col != COL_PROMPT)
		fputs("  ", stdout);
}

static void print_hits(const struct history_cmd *c, const struct history_hit *hits, size_t n)
{
	char *(*cells)[NCOLS] = xcalloc(n, sizeof *cells);
	int width[NCOLS];
	for (int k = 0; k < NCOLS; k++)
		width[k] = (int)strlen(col_names[k]);
	for (size_t i = 0; i < n; i++) {
		hit_cells(c, &hits[i], cells[i]);
		for (int k = 0; k < COL_PROMPT; k++) {
			int w = sanitize_width(cells[i][k], strlen(cells[i][k]));
			width[k] = w > width[k] ? w : width[k];
		}
	}
	int fixed = 0;
	for (int k = 0; k < COL_PROMPT; k++)
		fixed += k == COL_MODEL ? 2 : width[k] + 2;
	if (width[COL_MODEL] > MODEL_COLS_MAX)
		width[COL_MODEL] = MODEL_COLS_MAX;
	if (c->term_cols && width[COL_MODEL] > c->term_cols - fixed - 24)
		width[COL_MODEL] = c->term_cols - fixed - 24 > 12 ? c->term_cols - fixed - 24 : 12;
	int room = c->term_cols - fixed - width[COL_MODEL];
	width[COL_PROMPT] = c->raw || !c->term_cols ? 0 : room > 16 ? room : 16;
	for (int k = 0; k < NCOLS; k++)
		put_cell(col_names[k], k, width[k]);
	putchar('\n');
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < NCOLS; k++) {
			put_cell(cells[i][k], k, width[k]);
			free(cells[i][k]);
		}
		putchar('\n');
		if (hits[i].snippet) {
			char *snip = render_snippet(hits[i].snippet, c->raw, c->bold);
			printf("%*s  %s\n", width[COL_ID], "", snip);
			free(snip);
		}
	}
	free(cells);
}

static void add_number_or_null(cJSON *o, const char *key, double v)
{
	if (v >= 0)
		cJSON_AddNumberToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

static void add_string_or_null(cJSON *o, const char *key, const char *v, int raw)
{
	if (!v) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	char *s = safe_copy(v, raw);
	cJSON_AddStringToObject(o, key, s);
	free(s);
}

/* The fields a run has in both the search results and `history show --json`. */
static cJSON *run_head_json(int64_t id, int64_t created_ms, const char *kind, const char *model, const char *prompt,
			    int raw)
{
	cJSON *o = cJSON_CreateObject();
	char iso[48];
	format_iso(created_ms, iso, sizeof iso);
	cJSON_AddNumberToObject(o, "id", (double)id);
	cJSON_AddNumberToObject(o, "created_ms", (double)created_ms);
	cJSON_AddStringToObject(o, "created", iso);
	add_string_or_null(o, "kind", kind, raw);
	add_string_or_null(o, "model", model, raw);
	add_string_or_null(o, "prompt", prompt, raw);
	return o;
}

/* ["before", "match", "between", "match", "after"]: odd positions matched. */
static cJSON *snippet_json(const char *snippet, int raw)
{
	cJSON *a = cJSON_CreateArray();
	struct buf piece = BUF_INIT;
	int inside = 0;
	for (const char *p = snippet;; p++) {
		int end = !*p, on = *p == HISTORY_MARK_ON, off = *p == HISTORY_MARK_OFF;
		if (end || (on && !inside) || (off && inside)) {
			char *safe = safe_copy(buf_str(&piece), raw);
			cJSON_AddItemToArray(a, cJSON_CreateString(safe));
			free(safe);
			buf_reset(&piece);
			inside = on;
		} else if (!on && !off) {
			buf_putc(&piece, *p);
		}
		if (end)
			break;
	}
	buf_free(&piece);
	return a;
}

static void print_hits_json(const struct history_cmd *c, const char *query, int64_t total,
			    const struct history_hit *hits, size_t n)
{
	cJSON *root = cJSON_CreateObject();
	add_string_or_null(root, "query", query, c->raw);
	add_string_or_null(root, "model", c->model, 1);
	cJSON_AddNumberToObject(root, "total", (double)total);
	cJSON_AddNumberToObject(root, "offset", (double)c->offset);
	cJSON_AddNumberToObject(root, "limit", (double)c->limit);
	cJSON *runs = cJSON_AddArrayToObject(root, "runs");
	for (size_t i = 0; i < n; i++) {
		const struct history_hit *h = &hits[i];
		cJSON *o = run_head_json(h->id, h->created_ms, h->kind, h->model, h->prompt, c->raw);
		add_string_or_null(o, "status", h->status, c->raw);
		add_number_or_null(o, "ttft_ms", h->ttft_ms);
		add_number_or_null(o, "total_ms", h->total_ms);
		add_number_or_null(o, "cost_usd", h->cost_usd);
		cJSON *kb = h->kb_json ? cJSON_Parse(h->kb_json) : NULL;
		if (cJSON_IsObject(kb))
			cJSON_AddItemToObject(o, "kb", kb);
		else
			cJSON_Delete(kb);
		add_number_or_null(o, "conversation", h->conversation ? (double)h->conversation : -1);
		add_number_or_null(o, "turn", h->turn ? h->turn : -1);
		cJSON_AddNumberToObject(o, "turns", h->snippet ? 1 : h->turns > 0 ? h->turns : 1);
		if (h->snippet) {
			cJSON_AddNumberToObject(o, "score", h->score);
			cJSON_AddItemToObject(o, "snippet", snippet_json(h->snippet, c->raw));
		} else {
			cJSON_AddNullToObject(o, "score");
			cJSON_AddNullToObject(o, "snippet");
		}
		cJSON_AddItemToArray(runs, o);
	}
	cli_print_json(root);
}

static int list_runs(struct history_cmd *c, const char *query)
{
	struct err e = ERR_INIT;
	int missing;
	struct db *db = session_existing_db(&missing, &e);
	if (!db && !missing)
		return cli_fail("history", "%s", e.msg);
	struct history_query q = { query, c->model, c->limit, c->offset };
	struct history_hit *hits = NULL;
	size_t n = 0;
	int64_t total = 0;
	if (db && ((total = history_count(db, &q, &e)) < 0 || history_find(db, &q, &hits, &n, &e) < 0)) {
		db_close(db);
		return cli_fail("history", "%s", e.msg);
	}
	db_close(db);
	char *fts = query ? history_fts_query(query) : NULL;
	int searched = fts != NULL;
	free(fts);
	if (c->json) {
		print_hits_json(c, searched ? query : NULL, total, hits, n);
	} else if (n) {
		print_hits(c, hits, n);
		if ((int64_t)(c->offset + n) < total)
			printf("runs %zu-%zu of %lld; -n N and --offset N show others\n", c->offset + 1, c->offset + n,
			       (long long)total);
	} else if (total > 0) {
		printf("No runs past %zu (%lld in all).\n", c->offset, (long long)total);
	} else if (searched || c->model) {
		char *what = flat_copy(searched ? query : c->model, c->raw);
		printf("No runs match %s", searched ? "'" : "model ");
		put_fit(what, c->raw ? 0 : 60, 0);
		printf("%s.\n", searched ? "'" : "");
		free(what);
	} else {
		printf("No runs in history yet; every ask and compare run is saved here.\n");
	}
	history_hits_free(hits, n);
	return 0;
}

static void print_section(const char *title, const char *text, int raw)
{
	char *safe = safe_copy(text, raw);
	size_t n = strlen(safe);
	printf("\n--- %s ---\n%s", title, safe);
	if (!n || safe[n - 1] != '\n')
		putchar('\n');
	free(safe);
}

static void print_field(const char *label, const char *value, int raw)
{
	char *safe = flat_copy(value, raw);
	printf("%-12s %s\n", label, safe);
	free(safe);
}

/* The retrieval an answer was grounded on (params "kb", docs/kb.md). */
static void print_kb(const struct history_cmd *c, const struct history_run *r)
{
	cJSON *p = r->params_json ? cJSON_Parse(r->params_json) : NULL;
	const cJSON *kb = cJSON_GetObjectItemCaseSensitive(p, "kb");
	if (cJSON_IsObject(kb)) {
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(kb, "name"));
		const char *mode = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(kb, "mode"));
		const char *query = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(kb, "query"));
		const char *filter = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(kb, "filter"));
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(kb, "k");
		struct buf b = BUF_INIT;
		buf_printf(&b, "%s (%s", name ? name : "?", mode ? mode : "?");
		if (cJSON_IsNumber(k))
			buf_printf(&b, ", k %d", k->valueint);
		if (filter)
			buf_printf(&b, ", filter %s", filter);
		buf_puts(&b, ")");
		print_field("kb", buf_str(&b), c->raw);
		print_field("kb query", query ? query : "", c->raw);
		buf_reset(&b);
		const cJSON *id;
		cJSON_ArrayForEach(id, cJSON_GetObjectItemCaseSensitive(kb, "chunks"))
			if (cJSON_IsNumber(id))
				buf_printf(&b, "%s%.0f", b.len ? " " : "", id->valuedouble);
		print_field("kb chunks", b.len ? buf_str(&b) : "none", c->raw);
		buf_free(&b);
	}
	cJSON_Delete(p);
}

static void print_run(const struct history_cmd *c, const struct history_run *r)
{
	const struct history_metrics *m = &r->metrics;
	struct run_metrics rm;
	struct metrics_text t;
	metrics_from_history(m, &rm);
	metrics_text(&rm, &t);
	char buf[128], when[64];
	format_time(r->created_ms, 1, when, sizeof when);
	printf("%-12s %lld\n", "run", (long long)r->id);
	if (r->conversation)
		printf("%-12s %lld, turn %d\n", "conversation", (long long)r->conversation, r->turn);
	printf("%-12s %s\n", "when", when);
	print_field("kind", r->kind, c->raw);
	print_field("model", r->model ? r->model : "-", c->raw);
	print_field("status", m->status ? m->status : "unknown", c->raw);
	if (m->stop_reason)
		print_field("stop reason", m->stop_reason, c->raw);
	if (m->error)
		print_field("error", m->error, c->raw);
	printf("%-12s %s\n", "ttft", metrics_ms(buf, sizeof buf, m->ttft_ms, "no text"));
	printf("%-12s %s\n", "total", metrics_ms(buf, sizeof buf, m->total_ms, "-"));
	if (m->input_tokens >= 0 || m->output_tokens >= 0)
		printf("%-12s %s in / %s out%s\n", "tokens", t.input_tokens, t.output_tokens,
		       m->estimated ? " (estimated)" : "");
	else
		printf("%-12s unknown\n", "tokens");
	printf("%-12s %s\n", "tokens/s", t.tokens_per_s[0] ? t.tokens_per_s : "-");
	printf("%-12s %s\n", "cost", metrics_usd(buf, sizeof buf, m->cost_usd, METRICS_COST_UNKNOWN));
	print_field("request id", m->request_id ? m->request_id : "-", c->raw);
	struct buf params = BUF_INIT;
	for (size_t i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].name, "kb") != 0)
			buf_printf(&params, "%s%s=%s", params.len ? " " : "", r->params[i].name, r->params[i].value);
	print_field("parameters", params.len ? buf_str(&params) : "defaults", c->raw);
	buf_free(&params);
	print_kb(c, r);
	if (r->nmessages == 0 && r->prompt)
		print_section("user", r->prompt, c->raw);
	for (size_t i = 0; i < r->nmessages; i++) {
		char *role = flat_copy(r->messages[i].role, c->raw);
		print_section(role, r->messages[i].content, c->raw);
		free(role);
	}
	print_section("answer", r->output, c->raw);
}

static cJSON *run_json(const struct history_cmd *c, const struct history_run *r)
{
	const struct history_metrics *m = &r->metrics;
	struct run_metrics rm;
	metrics_from_history(m, &rm);
	cJSON *o = run_head_json(r->id, r->created_ms, r->kind, r->model, r->prompt, c->raw);
	add_number_or_null(o, "conversation", r->conversation ? (double)r->conversation : -1);
	add_number_or_null(o, "turn", r->turn ? r->turn : -1);
	cJSON *msgs = cJSON_AddArrayToObject(o, "messages");
	for (size_t i = 0; i < r->nmessages; i++) {
		cJSON *mo = cJSON_CreateObject();
		add_string_or_null(mo, "role", r->messages[i].role, c->raw);
		add_string_or_null(mo, "content", r->messages[i].content, c->raw);
		cJSON_AddItemToArray(msgs, mo);
	}
	cJSON *params = r->params_json ? cJSON_Parse(r->params_json) : NULL;
	if (!cJSON_IsObject(params)) {
		cJSON_Delete(params);
		params = cJSON_CreateObject();
	}
	cJSON_AddItemToObject(o, "params", params);
	add_string_or_null(o, "output", r->output, c->raw);
	cJSON *mo = cJSON_AddObjectToObject(o, "metrics");
	metrics_json_add(mo, &rm, METRICS_JSON_NESTED);
	add_string_or_null(mo, "status", m->status, c->raw);
	add_string_or_null(mo, "stop_reason", m->stop_reason, c->raw);
	add_string_or_null(mo, "request_id", m->request_id, c->raw);
	add_string_or_null(mo, "error", m->error, c->raw);
	return o;
}

static int show_run(const struct history_cmd *c, int64_t id)
{
	struct err e = ERR_INIT;
	int missing;
	struct db *db = session_existing_db(&missing, &e);
	if (!db && !missing)
		return cli_fail("history", "%s", e.msg);
	struct history_run *turns = NULL;
	size_t n = 0;
	int found = db ? history_read_conversation(db, id, &turns, &n, &e) : 0;
	db_close(db);
	if (found < 0)
		return cli_fail("history", "%s", e.msg);
	if (!found)
		return cli_fail("history", "there is no run %lld in the history; 'aiwb history' lists the saved runs",
				(long long)id);
	if (c->json && turns[0].conversation) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "conversation", (double)turns[0].conversation);
		cJSON_AddNumberToObject(o, "turns", (double)n);
		cJSON *a = cJSON_AddArrayToObject(o, "runs");
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(a, run_json(c, &turns[i]));
		cli_print_json(o);
	} else if (c->json) {
		cli_print_json(run_json(c, &turns[0]));
	} else {
		if (turns[0].conversation)
			printf("conversation %lld: %zu turn%s\n\n", (long long)turns[0].conversation, n, n == 1 ? "" : "s");
		for (size_t i = 0; i < n; i++) {
			if (turns[i].conversation)
				printf("%s=== turn %d ===\n", i ? "\n" : "", turns[i].turn);
			print_run(c, &turns[i]);
		}
	}
	history_runs_free(turns, n);
	return 0;
}

int cmd_history(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },        { "raw", no_argument, NULL, 'r' },
		{ "pretty", no_argument, NULL, 'Y' },
		{ "model", required_argument, NULL, 'm' }, { "offset", required_argument, NULL, 'o' },
		{ "limit", required_argument, NULL, 'n' }, { NULL, 0, NULL, 0 },
	};
	struct history_cmd c;
	memset(&c, 0, sizeof c);
	c.limit = 20;
	int at = first_operand(argc, argv);
	int show = at > 0 && strcmp(argv[at], "show") == 0;
	int ch;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":n:", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': c.json = 1; break;
		case 'Y': cli_json_pretty(1); break;
		case 'r': c.raw = 1; break;
		case 'm':
			if (!*optarg)
				return cli_usage_error("history", "--model needs a model name");
			c.model = optarg;
			break;
		case 'o':
			if (parse_size("--offset", optarg, 0, (size_t)INT64_MAX / 2, &c.offset))
				return 2;
			c.has_offset = 1;
			break;
		case 'n':
			if (parse_size("-n", optarg, 1, HISTORY_MAX_LIMIT, &c.limit))
				return 2;
			c.has_limit = 1;
			break;
		case ':': return cli_usage_error("history", "%s needs a value", argv[optind - 1]);
		default: return cli_usage_error("history", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (show) {
		if (c.has_limit || c.model || c.has_offset)
			return cli_usage_error("history", "history show takes only --json, --pretty and --raw");
		if (argc - optind != 2)
			return cli_usage_error("history", argc - optind < 2 ? "history show needs a run id"
									      : "history show takes one run id");
		int64_t id = 0;
		if (parse_id(argv[optind + 1], &id))
			return 2;
		return show_run(&c, id);
	}
	c.bold = !c.json && isatty(STDOUT_FILENO) && !(getenv("TERM") && strcmp(getenv("TERM"), "dumb") == 0);
	c.term_cols = isatty(STDOUT_FILENO) ? terminal_columns() : 0;
	struct buf query = BUF_INIT;
	for (int i = optind; i < argc; i++) {
		if (query.len)
			buf_putc(&query, ' ');
		buf_puts(&query, argv[i]);
	}
	int rc = list_runs(&c, query.len ? buf_str(&query) : NULL);
	buf_free(&query);
	return rc;
}
