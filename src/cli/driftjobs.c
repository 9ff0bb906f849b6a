/* aiwb drift watch, ls, show and report --save. Parses argv and prints;
 * the work is in src/drift/ (saved.h, watch.h) and src/jobs/. */
#include "cli/driftjobs.h"

#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "cli/cli.h"
#include "drift/monitor.h"
#include "drift/saved.h"
#include "drift/watch.h"
#include "jobs/jobjson.h"
#include "jobs/local.h"
#include "jobs/registry.h"
#include "session.h"

#define CMD "drift"

const char drift_watch_usage[] =
	"usage: aiwb drift watch --baseline DIR FILE [--every 60s] [--window N|DURATION] [--name N]\n"
	"\n"
	"Starts a drift monitor: a job of source drift (aiwb jobs ls, the Jobs pane) that\n"
	"runs under its own supervisor, so it keeps running with no workbench open. Every\n"
	"--every it reads what was appended to FILE (JSON Lines: flat objects or SageMaker\n"
	"data-capture lines with captureData.endpointInput/endpointOutput), takes the\n"
	"newest window of rows and checks it against the Model Monitor baseline in DIR\n"
	"(aiwb drift baseline DATA -o DIR) as Model Monitor's baseline_drift_check does.\n"
	"Each feature's score becomes the metric series drift.COLUMN; the latest check is\n"
	"in aiwb drift show ID. Stop it with aiwb jobs stop ID.\n"
	"  --every D           time between checks (default 60s): 30s, 5m, 1h, 500ms\n"
	"  --window N|D        the newest N rows (default 1000), or the rows within\n"
	"                      duration D (e.g. 1h) of the newest one's time\n"
	"  --name N            the job's name (default: watch FILE)\n"
	"  --checks N          stop after N checks (default: until stopped)\n"
	"Exit status: 0 started (prints the job's ID), 1 when DIR is not a baseline or\n"
	"the job cannot start, 2 on a usage error.\n";

const char drift_ls_usage[] =
	"usage: aiwb drift ls [--json]\n"
	"\n"
	"Lists the saved drift reports (aiwb drift report --save) and drift monitors\n"
	"(aiwb drift watch), newest first: ID, kind, status, drifted columns of the\n"
	"report or the monitor's latest check, name. --json: docs/drift.md.\n";

const char drift_show_usage[] =
	"usage: aiwb drift show ID [--json]\n"
	"\n"
	"Prints a saved drift report, or a drift monitor's latest check, column by\n"
	"column, most drifted first. ID is drift:N (or N). --json: the job and its\n"
	"report.json, with each column's distributions (docs/drift.md).\n";

static volatile sig_atomic_t stop_flag;

static void on_term(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int open_db(struct session *s)
{
	struct err e = ERR_INIT;
	memset(s, 0, sizeof *s);
	if (session_open(s, SESSION_DB | SESSION_LATE_CATALOG | SESSION_LATE_HTTP, &e) < 0) {
		session_close(s);
		return cli_fail(CMD, "%s", e.msg);
	}
	return 0;
}

int drift_cli_save(const cJSON *doc, const char *name, int argc, char **argv)
{
	struct session s;
	if (open_db(&s))
		return 1;
	struct buf cmd = BUF_INIT;
	buf_puts(&cmd, "aiwb drift");
	for (int i = 0; i < argc; i++)
		buf_printf(&cmd, " %s", argv[i]);
	struct job j;
	struct err e = ERR_INIT;
	int rc = drift_save_report(s.db, doc, name, cmd.data, &j, &e);
	buf_free(&cmd);
	if (rc == 0) {
		fprintf(stderr, "aiwb drift: saved as drift:%s (aiwb drift show drift:%s)\n", j.ext_id, j.ext_id);
		job_clear(&j);
	}
	session_close(&s);
	return rc == 0 ? 0 : cli_fail(CMD, "the report could not be saved: %s", e.msg);
}

/* ------------------------------------------------------------ watch */

struct watch_args {
	const char *baseline, *every, *window, *name;
	long checks;
	int run;
};

static int parse_window(const char *w, size_t *rows, double *seconds)
{
	char *end;
	long long n = strtoll(w, &end, 10);
	if (end != w && !*end && n > 0 && n <= DRIFT_WATCH_MAX_ROWS) {
		*rows = (size_t)n;
		*seconds = 0;
		return 0;
	}
	*rows = 0;
	*seconds = drift_parse_duration(w);
	return *seconds > 0 && (strchr(w, 's') || strchr(w, 'm') || strchr(w, 'h') || strchr(w, 'd')) ? 0 : -1;
}

static int watch_run(const struct watch_args *a, const char *file)
{
	const char *dir = getenv("AIWB_JOB_DIR");
	if (!dir || !*dir)
		return cli_fail(CMD, "drift watch --run runs inside a drift job (AIWB_JOB_DIR is not set); start it with "
				     "aiwb drift watch");
	struct sigaction sa = { 0 };
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	struct drift_watch_opts o = { 0 };
	o.baseline_dir = a->baseline;
	o.file = file;
	o.dir = dir;
	o.every_s = drift_parse_duration(a->every);
	o.every_text = a->every;
	o.max_checks = a->checks;
	parse_window(a->window, &o.window_rows, &o.window_s);
	char *wtext = o.window_rows ? xasprintf("%zu rows", o.window_rows) : xstrdup(a->window);
	o.window_text = wtext;
	cJSON *w = cJSON_CreateObject();
	cJSON_AddStringToObject(w, "baseline", a->baseline);
	cJSON_AddStringToObject(w, "file", file);
	cJSON_AddStringToObject(w, "every", a->every);
	cJSON_AddStringToObject(w, "window", wtext);
	struct err e = ERR_INIT;
	int rc = monitor_write_json(dir, DRIFT_WATCH_FILE, w, &e);
	cJSON_Delete(w);
	if (rc == 0)
		rc = drift_watch_run(&o, stdout, &stop_flag, &e);
	free(wtext);
	return rc == 0 ? 0 : cli_fail(CMD, "%s", e.msg);
}

static char *absolute(const char *p)
{
	char buf[PATH_MAX];
	if (realpath(p, buf))
		return xstrdup(buf);
	if (p[0] == '/')
		return xstrdup(p);
	char cwd[PATH_MAX];
	return getcwd(cwd, sizeof cwd) ? path_join(cwd, p) : xstrdup(p);
}

static char *self_exe(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

int cmd_drift_watch(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "baseline", required_argument, NULL, 'B' }, { "every", required_argument, NULL, 'e' },
		{ "window", required_argument, NULL, 'w' },   { "name", required_argument, NULL, 'n' },
		{ "checks", required_argument, NULL, 'c' },   { "run", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	struct watch_args a = { NULL, "60s", "1000", NULL, 0, 0 };
	int ch;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":", lopts, NULL)) != -1) {
		switch (ch) {
		case 'B': a.baseline = optarg; break;
		case 'e': a.every = optarg; break;
		case 'w': a.window = optarg; break;
		case 'n': a.name = optarg; break;
		case 'R': a.run = 1; break;
		case 'c':
			if (cli_parse_long(CMD, "--checks", optarg, 1, 1000000000L, &a.checks) != 0)
				return 2;
			break;
		case ':': return cli_usage_error(CMD, "%s needs a value", argv[optind - 1]);
		default: return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(CMD, "drift watch needs one FILE to watch (JSON Lines)");
	if (!a.baseline)
		return cli_usage_error(CMD, "drift watch needs --baseline DIR (made by aiwb drift baseline DATA -o DIR)");
	if (drift_parse_duration(a.every) <= 0)
		return cli_usage_error(CMD, "--every wants a duration such as 60s, 5m or 1h, not '%s'", a.every);
	size_t rows;
	double secs;
	if (parse_window(a.window, &rows, &secs) != 0)
		return cli_usage_error(CMD, "--window wants a number of rows (1 to %d) or a duration such as 1h, not '%s'",
				       DRIFT_WATCH_MAX_ROWS, a.window);
	const char *file = argv[optind];
	if (a.run)
		return watch_run(&a, file);
	struct err e = ERR_INIT;
	struct monitor_baseline *mb = monitor_read_baseline(a.baseline, &e);
	if (!mb)
		return cli_fail(CMD, "%s", e.msg);
	monitor_baseline_free(mb);
	char *exe = self_exe();
	if (!exe)
		return cli_fail(CMD, "cannot find the aiwb program (/proc/self/exe)");
	char *base = absolute(a.baseline), *abs_file = absolute(file);
	char checks[32];
	snprintf(checks, sizeof checks, "%ld", a.checks);
	const char *argl[] = { exe, "drift", "watch", "--run", "--baseline", base, "--every", a.every, "--window",
			       a.window, a.checks ? "--checks" : "--", a.checks ? checks : abs_file,
			       a.checks ? "--" : NULL, a.checks ? abs_file : NULL };
	char *args[16];
	int n = 0;
	for (size_t i = 0; i < sizeof argl / sizeof *argl && argl[i]; i++)
		args[n++] = xstrdup(argl[i]);
	args[n] = NULL;
	const char *slash = strrchr(abs_file, '/');
	char *name = a.name ? xstrdup(a.name) : xasprintf("watch %s", slash ? slash + 1 : abs_file);
	struct local_spec spec = { 0 };
	spec.name = name;
	spec.argv = args;
	spec.source = "drift";
	struct session s;
	int rc = open_db(&s);
	if (rc == 0) {
		struct job j;
		if (local_start(s.db, &spec, &j, &e) < 0) {
			rc = cli_fail(CMD, "the monitor could not start: %s", e.msg);
		} else {
			printf("drift:%s\n", j.ext_id);
			fprintf(stderr, "aiwb drift: monitor drift:%s watches %s every %s over %s%s; aiwb drift show drift:%s\n",
				j.ext_id, abs_file, a.every, a.window, rows ? " rows" : "", j.ext_id);
			job_clear(&j);
		}
		session_close(&s);
	}
	free(name);
	for (int i = 0; i < n; i++)
		free(args[i]);
	free(exe);
	free(base);
	free(abs_file);
	return rc;
}

/* ------------------------------------------------------------ ls, show */

static const char *kind_of(const struct job *j)
{
	return drift_job_is_monitor(j) ? "monitor" : "report";
}

static int json_flag(int argc, char **argv, int *json, const char **id, int want_id, const char *sub)
{
	*json = 0;
	if (id)
		*id = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			*json = 1;
		else if (argv[i][0] == '-' && argv[i][1])
			return cli_usage_error(CMD, "unknown option '%s'", argv[i]);
		else if (want_id && !*id)
			*id = argv[i];
		else
			return cli_usage_error(CMD, "drift %s takes %s", sub, want_id ? "one ID" : "no arguments");
	}
	if (want_id && !*id)
		return cli_usage_error(CMD, "drift show needs a drift job ID, e.g. aiwb drift show drift:3");
	return 0;
}

static void summary_text(const struct job *j, char *out, size_t n)
{
	struct drift_saved sv;
	struct err e = ERR_INIT;
	if (drift_saved_load(j->dir, &sv, &e) != 0) {
		snprintf(out, n, "-");
		return;
	}
	snprintf(out, n, "%zu/%zu", sv.drifted, sv.tested);
	drift_saved_free(&sv);
}

int cmd_drift_ls(int argc, char **argv)
{
	int json;
	int rc = json_flag(argc, argv, &json, NULL, 0, "ls");
	if (rc)
		return rc;
	struct session s;
	if (open_db(&s))
		return 1;
	struct err e = ERR_INIT;
	local_sync_source(s.db, "drift", NULL, NULL);
	struct job_list l;
	if (jobreg_list(s.db, "drift", -1, &l, &e) < 0) {
		session_close(&s);
		return cli_fail(CMD, "%s", e.msg);
	}
	if (json) {
		cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "drift");
		for (size_t i = 0; i < l.n; i++) {
			cJSON *x = job_to_json(s.db, &l.v[i]);
			cJSON_AddStringToObject(x, "kind", kind_of(&l.v[i]));
			struct drift_saved sv;
			if (drift_saved_load(l.v[i].dir, &sv, NULL) == 0) {
				cJSON *sum = cJSON_AddObjectToObject(x, "summary");
				cJSON_AddNumberToObject(sum, "tested", (double)sv.tested);
				cJSON_AddNumberToObject(sum, "drifted", (double)sv.drifted);
				cJSON_AddNumberToObject(sum, "share", isfinite(sv.share) ? sv.share : 0);
				if (sv.monitor)
					cJSON_AddNumberToObject(sum, "checks", (double)sv.checks);
				drift_saved_free(&sv);
			} else {
				cJSON_AddNullToObject(x, "summary");
			}
			cJSON_AddItemToArray(arr, x);
		}
		cli_print_json(o);
	} else if (!l.n) {
		puts("no drift reports or monitors yet; aiwb drift report --save A B, or aiwb drift watch");
	} else {
		printf("%-10s %-8s %-10s %-8s %s\n", "ID", "KIND", "STATUS", "DRIFTED", "NAME");
		for (size_t i = 0; i < l.n; i++) {
			char *ref = job_ref(&l.v[i]), sum[32];
			summary_text(&l.v[i], sum, sizeof sum);
			char *name = cli_safe(l.v[i].name);
			printf("%-10s %-8s %-10s %-8s %s\n", ref, kind_of(&l.v[i]), job_status_name(l.v[i].status), sum, name);
			free(name);
			free(ref);
		}
	}
	job_list_free(&l);
	session_close(&s);
	return 0;
}

static void print_saved(const struct drift_saved *sv)
{
	printf("%-24s %-11s %7s %-12s %-11s %-9s %s\n", "COLUMN", "TYPE", "MISSING", "TEST", "SCORE", "THRESHOLD",
	       "DRIFT");
	for (size_t i = 0; i < sv->ncols; i++) {
		const struct drift_saved_col *c = &sv->cols[i];
		char score[32] = "-", thr[32] = "-", miss[16] = "-";
		int p = !isnan(c->pvalue);
		if (c->test)
			snprintf(score, sizeof score, p ? "p=%.3g" : "%.4g", p ? c->pvalue : c->statistic);
		if (!isnan(c->threshold))
			snprintf(thr, sizeof thr, "%s%.3g", p ? "p<" : "", c->threshold);
		if (!isnan(c->missing_share))
			snprintf(miss, sizeof miss, "%.1f%%", 100 * c->missing_share);
		char *name = cli_safe(c->name);
		printf("%-24.24s %-11s %7s %-12s %-11s %-9s %s\n", name, c->type ? c->type : "-", miss,
		       c->test ? c->test : "-", score, thr, !c->test ? "-" : c->drifted ? "DRIFT" : "ok");
		free(name);
	}
	printf("\n%zu of %zu columns drifted\n", sv->drifted, sv->tested);
}

int cmd_drift_show(int argc, char **argv)
{
	int json;
	const char *id;
	int rc = json_flag(argc, argv, &json, &id, 1, "show");
	if (rc)
		return rc;
	struct session s;
	if (open_db(&s))
		return 1;
	local_sync_source(s.db, "drift", NULL, NULL);
	struct job j;
	struct err e = ERR_INIT;
	char *ref = strchr(id, ':') ? xstrdup(id) : xasprintf("drift:%s", id);
	if (jobreg_find(s.db, ref, &j, &e) < 0) {
		free(ref);
		session_close(&s);
		return cli_fail(CMD, "%s", e.msg);
	}
	free(ref);
	if (strcmp(j.source, "drift") != 0) {
		rc = cli_fail(CMD, "%s:%s is a %s job, not a drift report or monitor (aiwb jobs show)", j.source, j.ext_id,
			      j.source);
		goto out;
	}
	char *path = j.dir ? path_join(j.dir, DRIFT_REPORT_FILE) : NULL;
	size_t len = 0;
	char *text = path ? path_read_file(path, &len, NULL) : NULL;
	free(path);
	int monitor = drift_job_is_monitor(&j);
	if (json) {
		cJSON *o = job_to_json(s.db, &j);
		cJSON_AddStringToObject(o, "kind", monitor ? "monitor" : "report");
		cJSON *doc = text ? json_parse(text, len, 0) : NULL;
		cJSON_AddItemToObject(o, "report", doc ? doc : cJSON_CreateNull());
		cli_print_json(o);
	} else {
		char *name = cli_safe(j.name);
		printf("drift:%s  %s  %s  %s\n", j.ext_id, monitor ? "monitor" : "report", job_status_name(j.status), name);
		free(name);
		struct drift_saved sv;
		cJSON *doc = text ? json_parse(text, len, 0) : NULL;
		if (!doc || drift_saved_from_json(doc, &sv, &e) != 0) {
			printf("%s\n", monitor ? "no check yet (the file has no rows yet, or the first check is on its way)"
					       : "its report.json is missing or unreadable");
		} else {
			char *b = cli_safe(sv.baseline), *c = cli_safe(sv.current);
			printf("baseline %s\ncurrent  %s (%llu rows)\n", b, c, (unsigned long long)sv.cur_rows);
			if (monitor)
				printf("window   %s, every %s, %lld checks\n", sv.window ? sv.window : "?",
				       sv.every ? sv.every : "?", (long long)sv.checks);
			free(b);
			free(c);
			putchar('\n');
			print_saved(&sv);
			drift_saved_free(&sv);
		}
		cJSON_Delete(doc);
	}
	free(text);
out:
	job_clear(&j);
	session_close(&s);
	return rc;
}
