#include "exp/report.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/sanitize.h"
#include "base/stats.h"
#include "base/xmalloc.h"

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(j) ? j->valuestring : NULL;
}

static double num(const cJSON *o, const char *k, double def)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(j) ? j->valuedouble : def;
}

static void add_num_or_null(cJSON *o, const char *k, int have, double v)
{
	if (have)
		cJSON_AddNumberToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

/* The label of case c's kb setting, or "". */
static const char *case_kb(const cJSON *c)
{
	const char *l = str(cJSON_GetObjectItemCaseSensitive(c, "kb"), "label");
	return l ? l : "";
}

/* Whether the experiment has kb settings (a matrix entry per prompt, kb and model). */
static int has_kbs(const cJSON *doc)
{
	return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "kb")) > 0;
}

struct tally {
	size_t n, passed, failed, errors;
};

/* Counts case c by its status, which it returns. */
static const char *tally_case(struct tally *t, const cJSON *c)
{
	const char *st = str(c, "status");
	t->n++;
	if (st && !strcmp(st, "pass"))
		t->passed++;
	else if (st && !strcmp(st, "fail"))
		t->failed++;
	else
		t->errors++;
	return st;
}

static void add_tally(cJSON *o, const struct tally *t)
{
	cJSON_AddNumberToObject(o, "cases", (double)t->n);
	cJSON_AddNumberToObject(o, "passed", (double)t->passed);
	cJSON_AddNumberToObject(o, "failed", (double)t->failed);
	cJSON_AddNumberToObject(o, "errors", (double)t->errors);
	add_num_or_null(o, "pass_rate", t->n > 0, t->n ? (double)t->passed / (double)t->n : 0);
}

static cJSON *matrix_entry(const cJSON *cases, const char *prompt, const char *kb, const char *model)
{
	struct tally t = { 0 };
	size_t nok = 0, nttft = 0, ncost = 0;
	double in = 0, out = 0, cost = 0;
	int estimated = 0;
	int total = cJSON_GetArraySize(cases);
	double *lat = xcalloc((size_t)total + 1, sizeof *lat), *ttft = xcalloc((size_t)total + 1, sizeof *ttft);
	char *first_error = NULL;
	const cJSON *c;
	cJSON_ArrayForEach(c, cases) {
		if (strcmp(str(c, "prompt") ? str(c, "prompt") : "", prompt) ||
		    strcmp(str(c, "model") ? str(c, "model") : "", model) || (kb && strcmp(case_kb(c), kb)))
			continue;
		const char *st = tally_case(&t, c);
		if (st && strcmp(st, "pass") && !first_error) {
			first_error = exp_report_case_reason(c);
		}
		const char *rs = str(c, "run_status");
		if (rs && !strcmp(rs, "ok")) {
			lat[nok++] = num(c, "total_ms", 0);
			double first = num(c, "ttft_ms", -1);
			if (first >= 0)
				ttft[nttft++] = first;
		}
		if (rs && (!strcmp(rs, "ok") || !strcmp(rs, "cut"))) {
			in += num(c, "input_tokens", 0);
			out += num(c, "output_tokens", 0);
			estimated |= cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "estimated"));
			double k = num(c, "cost_usd", -1);
			if (k >= 0) {
				cost += k;
				ncost++;
			}
		}
	}
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "prompt", prompt);
	if (kb)
		cJSON_AddStringToObject(e, "kb", kb);
	cJSON_AddStringToObject(e, "model", model);
	add_tally(e, &t);
	add_num_or_null(e, "mean_ms", nok > 0, stats_mean(lat, nok));
	add_num_or_null(e, "p95_ms", nok > 0, stats_nearest_rank(lat, nok, 0.95));
	add_num_or_null(e, "mean_ttft_ms", nttft > 0, stats_mean(ttft, nttft));
	cJSON_AddNumberToObject(e, "input_tokens", in);
	cJSON_AddNumberToObject(e, "output_tokens", out);
	cJSON_AddBoolToObject(e, "estimated", estimated);
	add_num_or_null(e, "cost_usd", ncost > 0, cost);
	if (first_error)
		cJSON_AddStringToObject(e, "first_problem", first_error);
	else
		cJSON_AddNullToObject(e, "first_problem");
	free(first_error);
	free(lat);
	free(ttft);
	return e;
}

void exp_report_finish(cJSON *doc)
{
	const cJSON *cases = cJSON_GetObjectItemCaseSensitive(doc, "cases");
	const cJSON *prompts = cJSON_GetObjectItemCaseSensitive(doc, "prompts");
	const cJSON *models = cJSON_GetObjectItemCaseSensitive(doc, "models");
	cJSON *matrix = cJSON_CreateArray();
	const cJSON *kbs = cJSON_GetObjectItemCaseSensitive(doc, "kb");
	const cJSON *p, *m, *c, *s;
	cJSON_ArrayForEach(p, prompts) {
		if (!cJSON_IsString(p))
			continue;
		/* the prompt's own settings, else the file's, else none */
		int own = 0, any = 0;
		cJSON_ArrayForEach(s, kbs)
			own |= str(s, "prompt") && !strcmp(str(s, "prompt"), p->valuestring);
		cJSON_ArrayForEach(s, kbs) {
			const char *kb = str(s, "label"), *of = str(s, "prompt");
			if (!kb || (own ? !of || strcmp(of, p->valuestring) : of != NULL))
				continue;
			any = 1;
			cJSON_ArrayForEach(m, models)
				if (cJSON_IsString(m))
					cJSON_AddItemToArray(matrix, matrix_entry(cases, p->valuestring, kb, m->valuestring));
		}
		if (!any)
			cJSON_ArrayForEach(m, models)
				if (cJSON_IsString(m))
					cJSON_AddItemToArray(matrix, matrix_entry(cases, p->valuestring, NULL, m->valuestring));
	}
	struct tally t = { 0 };
	cJSON_ArrayForEach(c, cases)
		tally_case(&t, c);
	cJSON *sum = cJSON_CreateObject();
	cJSON_AddNumberToObject(sum, "planned", num(doc, "planned", (double)t.n));
	add_tally(sum, &t);
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "matrix");
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "summary");
	cJSON_AddItemToObject(doc, "matrix", matrix);
	cJSON_AddItemToObject(doc, "summary", sum);
}

char *exp_report_case_reason(const cJSON *c)
{
	const char *st = str(c, "status");
	struct buf b = BUF_INIT;
	if (st && !strcmp(st, "pass")) {
		buf_puts(&b, "pass");
	} else if (st && !strcmp(st, "fail")) {
		buf_puts(&b, "fail: ");
		const cJSON *a;
		int k = 0;
		cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(c, "assertions")) {
			if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "passed")))
				continue;
			buf_printf(&b, "%s%s: %s", k++ ? "; " : "", str(a, "type") ? str(a, "type") : "?",
				   str(a, "reason") ? str(a, "reason") : "");
		}
	} else {
		buf_printf(&b, "error: %s", str(c, "error") ? str(c, "error") : "unknown error");
	}
	return buf_detach(&b);
}

/* s sanitized for a terminal, on one line (caller frees). */
static char *clean(const char *s)
{
	char *t = sanitize_str(s ? s : "", strlen(s ? s : ""), 0);
	for (char *p = t; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	return t;
}

static void fmt_num(char *out, size_t n, const cJSON *o, const char *k, int decimals, const char *suffix,
		    double scale)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
	if (cJSON_IsNumber(j))
		snprintf(out, n, "%.*f%s", decimals, j->valuedouble * scale, suffix);
	else
		snprintf(out, n, "-");
}

struct cells {
	char cases[16], passed[16], failed[16], errors[16], rate[16], mean[24], p95[24], ttft[24], in[24], out[24],
		cost[32];
};

static void cells_of(const cJSON *e, struct cells *c)
{
	fmt_num(c->cases, sizeof c->cases, e, "cases", 0, "", 1);
	fmt_num(c->passed, sizeof c->passed, e, "passed", 0, "", 1);
	fmt_num(c->failed, sizeof c->failed, e, "failed", 0, "", 1);
	fmt_num(c->errors, sizeof c->errors, e, "errors", 0, "", 1);
	fmt_num(c->rate, sizeof c->rate, e, "pass_rate", 1, "", 100);
	fmt_num(c->mean, sizeof c->mean, e, "mean_ms", 0, "", 1);
	fmt_num(c->p95, sizeof c->p95, e, "p95_ms", 0, "", 1);
	fmt_num(c->ttft, sizeof c->ttft, e, "mean_ttft_ms", 0, "", 1);
	int est = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "estimated"));
	fmt_num(c->in, sizeof c->in, e, "input_tokens", 0, est ? "~" : "", 1);
	fmt_num(c->out, sizeof c->out, e, "output_tokens", 0, est ? "~" : "", 1);
	fmt_num(c->cost, sizeof c->cost, e, "cost_usd", 6, "", 1);
}

static void headline(struct buf *b, const cJSON *doc)
{
	const cJSON *sum = cJSON_GetObjectItemCaseSensitive(doc, "summary");
	char *name = clean(str(doc, "name"));
	buf_printf(b, "experiment %.0f: %s (%s): %.0f of %.0f cases run, %.0f passed, %.0f failed, %.0f errors",
		   num(doc, "id", 0), name, str(doc, "status") ? str(doc, "status") : "?", num(sum, "cases", 0),
		   num(sum, "planned", 0), num(sum, "passed", 0), num(sum, "failed", 0), num(sum, "errors", 0));
	free(name);
	if (str(doc, "reason")) {
		char *reason = clean(str(doc, "reason"));
		buf_printf(b, "; %s", reason);
		free(reason);
	}
}

/* "kb LABEL: NAME, mode M, k N, filter F, query Q" per setting. */
static void print_kb_settings(FILE *out, const cJSON *doc)
{
	const cJSON *s;
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(doc, "kb")) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "kb %s: %s, mode %s, k %.0f", str(s, "label") ? str(s, "label") : "?",
			   str(s, "name") ? str(s, "name") : "?", str(s, "mode") ? str(s, "mode") : "?", num(s, "k", 0));
		if (str(s, "filter"))
			buf_printf(&b, ", filter %s", str(s, "filter"));
		if (str(s, "query"))
			buf_printf(&b, ", query %s", str(s, "query"));
		char *line = clean(buf_str(&b));
		fprintf(out, "%s\n", line);
		free(line);
		buf_free(&b);
	}
}

void exp_report_text(FILE *out, const cJSON *doc)
{
	int kbs = has_kbs(doc);
	struct buf b = BUF_INIT;
	headline(&b, doc);
	fprintf(out, "%s\n", buf_str(&b));
	buf_free(&b);
	const cJSON *c;
	int header = 0;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(doc, "cases")) {
		const char *st = str(c, "status");
		if (st && !strcmp(st, "pass"))
			continue;
		if (!header++)
			fprintf(out, "\n%5s %5s %-12s %s%-40s %s\n", "case", "row", "prompt", kbs ? "kb           " : "",
				"model", "why");
		char *why = exp_report_case_reason(c);
		char *safe = clean(why), *prompt = clean(str(c, "prompt")), *model = clean(str(c, "model"));
		char *kb = clean(case_kb(c));
		if (kbs)
			fprintf(out, "%5.0f %5.0f %-12.12s %-12.12s %-40.40s %s\n", num(c, "index", 0), num(c, "row", 0),
				prompt, kb, model, safe);
		else
			fprintf(out, "%5.0f %5.0f %-12.12s %-40.40s %s\n", num(c, "index", 0), num(c, "row", 0), prompt,
				model, safe);
		free(why);
		free(safe);
		free(prompt);
		free(model);
		free(kb);
	}
	if (kbs) {
		fputc('\n', out);
		print_kb_settings(out, doc);
	}
	fprintf(out, "\n%-12s %s%-40s %5s %5s %5s %5s %6s %8s %8s %8s %8s %8s %10s\n", "prompt", kbs ? "kb           " : "",
		"model", "cases", "pass", "fail", "error", "pass%", "mean ms", "p95 ms", "ttft ms", "in", "out", "cost $");
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "matrix")) {
		struct cells k;
		cells_of(e, &k);
		char *prompt = clean(str(e, "prompt")), *model = clean(str(e, "model")), *kb = clean(str(e, "kb"));
		if (kbs)
			fprintf(out, "%-12.12s %-12.12s ", prompt, kb);
		else
			fprintf(out, "%-12.12s ", prompt);
		fprintf(out, "%-40.40s %5s %5s %5s %5s %6s %8s %8s %8s %8s %8s %10s\n", model, k.cases, k.passed,
			k.failed, k.errors, k.rate, k.mean, k.p95, k.ttft, k.in, k.out, k.cost);
		free(prompt);
		free(model);
		free(kb);
	}
	fprintf(out, "(latency over the cases whose model finished; ~ marks estimated token counts)\n");
}

static void csv_cell(FILE *out, const char *s, int last)
{
	char *t = clean(s);
	if (strpbrk(t, ",\"\r\n")) {
		fputc('"', out);
		for (const char *p = t; *p; p++) {
			if (*p == '"')
				fputc('"', out);
			fputc(*p, out);
		}
		fputc('"', out);
	} else {
		fputs(t, out);
	}
	free(t);
	fputs(last ? "\r\n" : ",", out);
}

static void csv_num(FILE *out, const cJSON *o, const char *k, int last)
{
	char v[48];
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
	if (cJSON_IsNumber(j))
		snprintf(v, sizeof v, "%.15g", j->valuedouble);
	else
		v[0] = 0;
	csv_cell(out, v, last);
}

void exp_report_csv(FILE *out, const cJSON *doc)
{
	static const char *const cols[] = { "cases", "passed", "failed", "errors", "pass_rate", "mean_ms", "p95_ms",
					    "mean_ttft_ms", "input_tokens", "output_tokens", "cost_usd" };
	int kbs = has_kbs(doc);
	fputs(kbs ? "experiment,prompt,kb,model" : "experiment,prompt,model", out);
	for (size_t i = 0; i < sizeof cols / sizeof *cols; i++)
		fprintf(out, ",%s", cols[i]);
	fputs(",first_problem\r\n", out);
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "matrix")) {
		csv_num(out, doc, "id", 0);
		csv_cell(out, str(e, "prompt"), 0);
		if (kbs)
			csv_cell(out, str(e, "kb"), 0);
		csv_cell(out, str(e, "model"), 0);
		for (size_t i = 0; i < sizeof cols / sizeof *cols; i++)
			csv_num(out, e, cols[i], 0);
		csv_cell(out, str(e, "first_problem") ? str(e, "first_problem") : "", 1);
	}
}

/* A Markdown table cell: sanitized, '|' escaped. */
static void md_cell(FILE *out, const char *s)
{
	char *t = clean(s);
	fputs("| ", out);
	for (const char *p = t; *p; p++) {
		if (*p == '|' || *p == '\\')
			fputc('\\', out);
		fputc(*p, out);
	}
	fputc(' ', out);
	free(t);
}

void exp_report_markdown(FILE *out, const cJSON *doc)
{
	char *name = clean(str(doc, "name"));
	fprintf(out, "# Experiment %.0f: %s\n\n", num(doc, "id", 0), name);
	free(name);
	struct buf b = BUF_INIT;
	headline(&b, doc);
	fprintf(out, "%s.\n\n", buf_str(&b));
	buf_free(&b);
	int kbs = has_kbs(doc);
	if (kbs) {
		fputs("```\n", out);
		print_kb_settings(out, doc);
		fputs("```\n\n", out);
	}
	fputs(kbs ? "| prompt | kb | model " : "| prompt | model ", out);
	fputs("| cases | passed | failed | errors | pass % | mean ms | p95 ms | ttft ms | tokens in | tokens out | cost $ |\n"
	      "|---|", out);
	fputs(kbs ? "---|---|" : "---|", out);
	fputs("---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n", out);
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "matrix")) {
		struct cells k;
		cells_of(e, &k);
		md_cell(out, str(e, "prompt"));
		if (kbs)
			md_cell(out, str(e, "kb"));
		md_cell(out, str(e, "model"));
		const char *v[] = { k.cases, k.passed, k.failed, k.errors, k.rate, k.mean, k.p95, k.ttft, k.in, k.out, k.cost };
		for (size_t i = 0; i < sizeof v / sizeof *v; i++)
			md_cell(out, v[i]);
		fputs("|\n", out);
	}
	int header = 0;
	const cJSON *c;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(doc, "cases")) {
		const char *st = str(c, "status");
		if (st && !strcmp(st, "pass"))
			continue;
		if (!header++)
			fputs("\n## Failures\n\n| case | row | prompt | model | why |\n|---:|---:|---|---|---|\n", out);
		char idx[32], row[32];
		snprintf(idx, sizeof idx, "%.0f", num(c, "index", 0));
		snprintf(row, sizeof row, "%.0f", num(c, "row", 0));
		char *why = exp_report_case_reason(c);
		md_cell(out, idx);
		md_cell(out, row);
		md_cell(out, str(c, "prompt"));
		md_cell(out, str(c, "model"));
		md_cell(out, why);
		fputs("|\n", out);
		free(why);
	}
}
