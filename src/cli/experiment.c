/* aiwb experiment run | show | ls: the arguments, the progress on stderr and
 * the printed results; exp/runner.h runs the cases. docs/experiments.md has
 * the file format, the JSON and the rules. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/path.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "cli/cli.h"
#include "session.h"
#include "exp/cost.h"
#include "exp/report.h"
#include "exp/runner.h"
#include "exp/spec.h"
#include "store/expstore.h"

#define LIST_MAX 10000

struct outputs {
	int json;
	const char *csv, *markdown;  /* file names, "-" for stdout */
};

/* The cost check: ask above max_cost (< 0: the config's), unless yes. */
struct spend {
	int yes;
	double max_cost;
};

/* The progress of `experiment run` on stderr: one line a case, or one line
 * rewritten in place on a terminal. */
struct watch {
	struct loop *loop;
	int tty;
};

static void on_case(const cJSON *c, const struct exp_progress *p, void *ud)
{
	const struct watch *w = ud;
	if (w->tty) {
		fprintf(stderr, "\r\033[K[%zu/%zu] %d running", p->done, p->total, p->running);
		if (p->done == p->total)
			fputc('\n', stderr);
		fflush(stderr);
		return;
	}
	char *why = exp_report_case_reason(c);
	char *safe = sanitize_str(why, strlen(why), 0);
	for (char *q = safe; *q; q++)
		if (*q == '\n' || *q == '\t')
			*q = ' ';
	const cJSON *ms = cJSON_GetObjectItemCaseSensitive(c, "total_ms");
	const cJSON *model = cJSON_GetObjectItemCaseSensitive(c, "model");
	fprintf(stderr, "[%zu/%zu] case %.0f, row %.0f, %s: %s (%.0f ms)\n", p->done, p->total,
		cJSON_GetObjectItemCaseSensitive(c, "index")->valuedouble,
		cJSON_GetObjectItemCaseSensitive(c, "row")->valuedouble, model->valuestring, safe,
		cJSON_IsNumber(ms) ? ms->valuedouble : 0);
	free(why);
	free(safe);
}

static void on_done(void *ud)
{
	const struct watch *w = ud;
	loop_stop(w->loop);
}

static void on_interrupt(void *ud)
{
	exp_run_cancel(ud);
}

/* ---------------------------------------------------------------- output */

static FILE *open_out(const char *name, struct err *e)
{
	if (!strcmp(name, "-"))
		return stdout;
	FILE *f = fopen(name, "w");
	if (!f)
		err_errno(e, "cannot write %s", name);
	return f;
}

static int close_out(FILE *f, const char *name, struct err *e)
{
	if (f == stdout)
		return fflush(f) == 0 ? 0 : err_errno(e, "cannot write to standard output");
	int bad = ferror(f);
	if (fclose(f) != 0 || bad)
		return err_errno(e, "cannot write %s", name);
	return 0;
}

static int write_file(const char *cmd, const char *name, void (*fn)(FILE *, const cJSON *), const cJSON *doc)
{
	struct err e = ERR_INIT;
	FILE *f = open_out(name, &e);
	if (!f || (fn(f, doc), close_out(f, name, &e)) != 0)
		return cli_fail(cmd, "%s; check the path", e.msg);
	return 0;
}

static int print_doc(const char *cmd, const struct outputs *o, cJSON *doc)
{
	exp_report_finish(doc);
	int rc = 0;
	int to_stdout = (o->csv && !strcmp(o->csv, "-")) || (o->markdown && !strcmp(o->markdown, "-"));
	if (o->json) {
		cli_print_json_text(cJSON_PrintUnformatted(doc));
	} else if (!to_stdout) {
		exp_report_text(stdout, doc);
	}
	if (o->csv)
		rc |= write_file(cmd, o->csv, exp_report_csv, doc);
	if (o->markdown)
		rc |= write_file(cmd, o->markdown, exp_report_markdown, doc);
	fflush(stdout);
	return rc;
}

/* 0 all passed, 1 a case failed or errored. */
static int verdict(const cJSON *doc)
{
	const cJSON *sum = cJSON_GetObjectItemCaseSensitive(doc, "summary");
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(sum, "failed"), *er = cJSON_GetObjectItemCaseSensitive(sum, "errors");
	return (cJSON_IsNumber(f) && f->valuedouble > 0) || (cJSON_IsNumber(er) && er->valuedouble > 0);
}

/* ---------------------------------------------------------------- run */

static char *absolute(const char *path)
{
	char *real = realpath(path, NULL);
	return real ? real : xstrdup(path);
}

static void stop_loop(void *ud)
{
	loop_stop(ud);
}

/* Queries embedded for the kb settings that search by vector. */
static void embed_progress(void *ud, size_t done, size_t total)
{
	struct watch *w = ud;
	if (w->tty)
		fprintf(stderr, "\rembedding the kb queries [%zu/%zu]", done, total);
	else if (done == total)
		fprintf(stderr, "embedded %zu kb queries\n", total);
}

/* "$12.50", "$0.0042": cents above a dollar, four places below. */
static void put_usd(struct buf *b, double usd)
{
	buf_printf(b, usd >= 1 ? "$%.2f" : "$%.4f", usd);
}

static char *usd(double v)
{
	struct buf b = BUF_INIT;
	put_usd(&b, v);
	return buf_detach(&b);
}

/* "8 cases, about 120 tokens in, at most 800 tokens out, 2 kb queries to
 * embed: $0.0001 to $0.0005 at catalog prices (1 of 3 models has no price,
 * counted as unknown)" */
static char *estimate_text(const struct exp_cost *c)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "%zu case%s, about %lld tokens in, at most %lld tokens out", c->cases, c->cases == 1 ? "" : "s",
		   (long long)c->tokens_in, (long long)c->tokens_out_max);
	if (c->unbounded)
		buf_printf(&b, " (%zu case%s without max_tokens not counted)", c->unbounded, c->unbounded == 1 ? "" : "s");
	if (c->queries)
		buf_printf(&b, ", %zu kb quer%s to embed", c->queries, c->queries == 1 ? "y" : "ies");
	buf_puts(&b, ": ");
	put_usd(&b, c->usd_min);
	buf_puts(&b, " to ");
	put_usd(&b, c->usd_max);
	buf_puts(&b, " at catalog prices");
	if (c->unpriced)
		buf_printf(&b, " (%zu of %zu models %s no price, counted as unknown)", c->unpriced, c->models,
			   c->unpriced == 1 ? "has" : "have");
	return buf_detach(&b);
}

/* The answer to a question on the terminal, read on the loop so that Ctrl-C
 * stops the wait. */
struct answer {
	struct loop *loop;
	char line[64];
	size_t n;
};

static void on_answer(struct loop *l, int fd, unsigned events, void *ud)
{
	struct answer *a = ud;
	(void)events;
	ssize_t got = read(fd, a->line + a->n, sizeof a->line - 1 - a->n);
	if (got > 0)
		a->n += (size_t)got;
	if (got <= 0 || memchr(a->line, '\n', a->n) || a->n == sizeof a->line - 1)
		loop_stop(l);
}

/* 1 when the answer starts with y or Y; 0 otherwise or when interrupted. */
static int ask_yes(struct session *s)
{
	struct answer a = { s->loop, { 0 }, 0 };
	s->on_interrupt = stop_loop;
	s->ud = s->loop;
	if (loop_add_fd(s->loop, STDIN_FILENO, LOOP_READ, on_answer, &a) != 0)
		return 0;
	loop_run(s->loop);
	loop_del_fd(s->loop, STDIN_FILENO);
	s->on_interrupt = NULL;
	return !s->interrupted && a.n && (a.line[0] == 'y' || a.line[0] == 'Y');
}

/* 0 go on; else the exit status, the reason printed. */
static int check_cost(const struct exp_spec *spec, const struct exp_retrieve *rt, struct session *s,
		      const struct spend *sp)
{
	const char **embed = xcalloc(spec->nkbs + 1, sizeof *embed);
	for (size_t i = 0; rt && i < spec->nkbs; i++)
		embed[i] = exp_retrieve_embed_model(rt, i);
	struct exp_cost c;
	exp_cost_estimate(spec, embed, &s->cfg, &s->catalog, &c);
	free(embed);
	double limit = sp->max_cost >= 0 ? sp->max_cost : s->cfg.experiment_max_cost_usd;
	if (sp->yes || c.usd_max <= limit)
		return 0;
	char *what = estimate_text(&c), *lim = usd(limit);
	int rc = 0;
	if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) {
		rc = cli_fail("experiment", "this experiment could cost more than the %s limit (%s), so nothing was "
					    "sent; pass --yes to run it anyway or --max-cost USD to raise the limit",
			      lim, what);
	} else {
		fprintf(stderr, "This experiment runs %s, over the %s limit. Go on? [y/N] ", what, lim);
		fflush(stderr);
		int yes = ask_yes(s);
		if (s->interrupted) {
			fputc('\n', stderr);
			cli_fail("experiment", "interrupted; nothing was sent");
			rc = session_interrupt_status(s);
		} else if (!yes) {
			rc = cli_fail("experiment", "not run; nothing was sent");
		}
	}
	free(what);
	free(lim);
	return rc;
}

static int run_experiment(const char *file, int concurrency, const struct outputs *o, const struct spend *sp)
{
	struct exp_spec spec;
	struct err e = ERR_INIT;
	if (exp_spec_load(&spec, file, &e) != 0) {
		exp_spec_free(&spec);
		return cli_fail("experiment", "%s", e.msg);
	}
	struct session s;
	if (session_open(&s, 1, &e) != 0) {
		session_close(&s);
		exp_spec_free(&spec);
		return cli_fail("experiment", "%s", e.msg);
	}
	struct watch w = { s.loop, isatty(STDERR_FILENO) };
	struct exp_retrieve *rt = NULL;
	int rc = 0;
	if (spec.nkbs && !(rt = exp_retrieve_prepare(&spec, s.db, &e)))
		rc = cli_fail("experiment", "%s", e.msg);
	if (!rc)
		rc = check_cost(&spec, rt, &s, sp);
	if (rc) {
		exp_retrieve_free(rt);
		session_close(&s);
		exp_spec_free(&spec);
		return rc;
	}
	s.on_interrupt = stop_loop; /* while the kb queries are embedded */
	s.ud = s.loop;
	if (rt && exp_retrieve_embed(rt, &s.cfg, s.loop, embed_progress, &w, &e) != 0) {
		if (w.tty)
			fputc('\n', stderr);
		const char *why = s.interrupted ? "interrupted while the kb queries were embedded; no case ran" : e.msg;
		rc = cli_fail("experiment", "%s", why);
		if (s.interrupted)
			rc = session_interrupt_status(&s);
		exp_retrieve_free(rt);
		session_close(&s);
		exp_spec_free(&spec);
		return rc;
	}
	static const struct exp_run_cb cb = { NULL, on_case, on_done };
	struct exp_run_opts ro = { s.loop, &s.cfg, s.db, &s.catalog, concurrency, rt };
	char *abs = absolute(file);
	struct exp_run *x = exp_run_new(&spec, abs, &ro, &cb, &w, &e);
	free(abs);
	if (!x) {
		rc = cli_fail("experiment", "cannot store the experiment: %s", e.msg);
		exp_retrieve_free(rt);
		session_close(&s);
		exp_spec_free(&spec);
		return rc;
	}
	s.on_interrupt = on_interrupt;
	s.ud = x;
	exp_run_start(x);
	if (!exp_run_finished(x))
		loop_run(s.loop);
	struct exp_progress p;
	exp_run_progress(x, &p);
	if (w.tty && p.done < p.total)
		fputc('\n', stderr);
	const char *store_error = exp_run_store_error(x);
	long long id = (long long)exp_run_id(x);
	const char *status = store_error ? "failed" : s.interrupted ? "interrupted" : "finished";
	char *reason = store_error ? xstrdup(store_error)
		     : s.interrupted ? xasprintf("stopped by a signal (%s)", strsignal(s.signo)) : NULL;
	struct err se = ERR_INIT;
	int status_saved = exp_run_set_status(x, status, reason, &se) == 0;
	if (store_error)
		fprintf(stderr, "aiwb experiment: stopped after %zu of %zu cases because %s; experiment %lld %s%s%s\n",
			p.done, p.total, store_error, id,
			status_saved ? "is marked failed" : "could not be marked failed either (", status_saved ? "" : se.msg,
			status_saved ? "" : ")");
	else if (s.interrupted)
		fprintf(stderr, "aiwb experiment: interrupted; %zu of %zu cases finished and were kept (experiment %lld)\n",
			p.done, p.total, id);
	if (!status_saved && !store_error)
		fprintf(stderr, "aiwb experiment: the experiment's status was not saved: %s\n", se.msg);

	cJSON *doc = exp_run_doc(x, status, reason);
	free(reason);
	rc = print_doc("experiment", o, doc);
	if (store_error)
		rc = 1;
	else if (!rc)
		rc = s.interrupted ? session_interrupt_status(&s) : verdict(doc);
	cJSON_Delete(doc);
	exp_run_free(x);
	exp_retrieve_free(rt);
	session_close(&s);
	exp_spec_free(&spec);
	return rc;
}

/* ---------------------------------------------------------------- show, ls */

static int show_experiment(int64_t id, const struct outputs *o)
{
	struct err e = ERR_INIT;
	int missing = 0;
	struct db *db = session_existing_db(&missing, &e);
	if (!db) {
		if (missing)
			return cli_fail("experiment", "there is no experiment %lld (no experiment has run in %s yet)",
					(long long)id, path_data_home());
		return cli_fail("experiment", "%s", e.msg);
	}
	cJSON *doc = expstore_load(db, id, &missing, &e);
	db_close(db);
	if (!doc)
		return cli_fail("experiment", "%s", e.msg);
	int rc = print_doc("experiment", o, doc);
	if (!rc) {
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(doc, "status");
		rc = cJSON_IsString(st) && strcmp(st->valuestring, "finished") ? 1 : verdict(doc);
	}
	cJSON_Delete(doc);
	return rc;
}

static int list_experiments(int json)
{
	struct err e = ERR_INIT;
	int missing = 0;
	struct db *db = session_existing_db(&missing, &e);
	if (!db && !missing)
		return cli_fail("experiment", "%s", e.msg);
	cJSON *list = db ? expstore_list(db, LIST_MAX, &e) : cJSON_CreateArray();
	if (db)
		db_close(db);
	if (!list)
		return cli_fail("experiment", "%s", e.msg);
	if (json) {
		cJSON *root = cJSON_CreateObject();
		cJSON_AddItemToObject(root, "experiments", list);
		cli_print_json(root);
		return 0;
	}
	printf("%6s  %-16s  %-11s  %6s  %6s  %s\n", "id", "created", "status", "cases", "passed", "name");
	const cJSON *it;
	cJSON_ArrayForEach(it, list) {
		char when[32];
		time_t t = (time_t)(cJSON_GetObjectItemCaseSensitive(it, "created_ms")->valuedouble / 1000);
		struct tm tm;
		if (!localtime_r(&t, &tm) || !strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm))
			snprintf(when, sizeof when, "?");
		const char *name = cJSON_GetObjectItemCaseSensitive(it, "name")->valuestring;
		char *safe = sanitize_str(name, strlen(name), 0);
		printf("%6.0f  %-16s  %-11s  %6.0f  %6.0f  %s\n", cJSON_GetObjectItemCaseSensitive(it, "id")->valuedouble,
		       when, cJSON_GetObjectItemCaseSensitive(it, "status")->valuestring,
		       cJSON_GetObjectItemCaseSensitive(it, "cases")->valuedouble,
		       cJSON_GetObjectItemCaseSensitive(it, "passed")->valuedouble, safe);
		free(safe);
	}
	cJSON_Delete(list);
	return 0;
}

int cmd_experiment(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'Y' },
		{ "csv", required_argument, NULL, 'c' },
		{ "markdown", required_argument, NULL, 'M' },
		{ "concurrency", required_argument, NULL, 'C' },
		{ "yes", no_argument, NULL, 'y' },
		{ "max-cost", required_argument, NULL, 'X' },
		{ NULL, 0, NULL, 0 },
	};
	struct outputs o = { 0, NULL, NULL };
	struct spend sp = { 0, -1 };
	int concurrency = 0, ch;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': o.json = 1; break;
		case 'Y': cli_json_pretty(1); break;
		case 'c': o.csv = optarg; break;
		case 'M': o.markdown = optarg; break;
		case 'C': {
			char *end;
			errno = 0;
			long n = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || n < 1 || n > EXP_MAX_CONCURRENCY)
				return cli_usage_error("experiment", "--concurrency must be a whole number from 1 to %d",
						       EXP_MAX_CONCURRENCY);
			concurrency = (int)n;
			break;
		}
		case 'y': sp.yes = 1; break;
		case 'X': {
			char *end;
			errno = 0;
			double v = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(v >= 0 && v <= 1e6))
				return cli_usage_error("experiment", "--max-cost must be a number of US dollars, e.g. 5");
			sp.max_cost = v;
			break;
		}
		case ':': return cli_usage_error("experiment", "%s needs a value", argv[optind - 1]);
		default: return cli_usage_error("experiment", "unknown option '%s'", argv[optind - 1]);
		}
	}
	int nargs = argc - optind;
	const char *sub = nargs ? argv[optind] : NULL;
	if (!sub)
		return cli_usage_error("experiment", "say what to do: run FILE, show ID or ls");
	if (o.json && ((o.csv && !strcmp(o.csv, "-")) || (o.markdown && !strcmp(o.markdown, "-"))))
		return cli_usage_error("experiment", "--json and a '-' output both want standard output; give a file name");
	if (o.csv && o.markdown && !strcmp(o.csv, "-") && !strcmp(o.markdown, "-"))
		return cli_usage_error("experiment", "--csv - and --markdown - both want standard output; give a file name");
	if (!strcmp(sub, "run")) {
		if (nargs != 2)
			return cli_usage_error("experiment", nargs < 2 ? "experiment run needs the experiment FILE"
								       : "experiment run takes one FILE");
		return run_experiment(argv[optind + 1], concurrency, &o, &sp);
	}
	if (concurrency)
		return cli_usage_error("experiment", "--concurrency goes with experiment run");
	if (sp.yes || sp.max_cost >= 0)
		return cli_usage_error("experiment", "--yes and --max-cost go with experiment run");
	if (!strcmp(sub, "show")) {
		if (nargs != 2)
			return cli_usage_error("experiment", nargs < 2 ? "experiment show needs an experiment ID"
								       : "experiment show takes one ID");
		const char *v = argv[optind + 1];
		char *end;
		errno = 0;
		long long id = strtoll(v, &end, 10);
		if (*v < '0' || *v > '9' || errno || *end || id < 1)
			return cli_usage_error("experiment", "the experiment ID must be a number such as 3 (as 'aiwb experiment ls' lists)");
		return show_experiment(id, &o);
	}
	if (!strcmp(sub, "ls")) {
		if (nargs != 1 || o.csv || o.markdown)
			return cli_usage_error("experiment", "experiment ls takes only --json");
		return list_experiments(o.json);
	}
	return cli_usage_error("experiment", "unknown experiment command '%s' (run, show or ls)", sub);
}
