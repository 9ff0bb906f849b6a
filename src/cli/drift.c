/* aiwb drift: report (baseline against current, one test per column),
 * baseline and check (SageMaker Model Monitor files). Parses argv and prints;
 * the work is in src/drift/. docs/drift.md has the rules and the JSON. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "cli/cli.h"
#include "drift/monitor.h"
#include "cli/driftjobs.h"
#include "drift/remote.h"
#include "drift/report.h"
#include "drift/saved.h"
#include "net/s3.h"
#include "session.h"

#define EXIT_DRIFT 3
#define MAX_PER_COLUMN 4096

#define REPORT_USAGE \
	"usage: aiwb drift report BASELINE CURRENT [--columns A,B] [--test COL=TEST]...\n" \
	"                         [--threshold COL=X]... [--type COL=TYPE]... [--target C]\n" \
	"                         [--prediction C] [--compare] [--ks-method auto|exact|asymp]\n" \
	"                         [--js-base B] [--drift-share X] [--format csv|jsonl] [--json]\n" \
	"                         [--save [--name N]]\n"
#define BASELINE_USAGE \
	"usage: aiwb drift baseline DATA -o DIR [--type COL=TYPE]... [--format csv|jsonl]\n" \
	"                         [--comparison-threshold X] [--comparison-method simple|robust]\n"
#define CHECK_USAGE \
	"usage: aiwb drift check --baseline DIR DATA -o DIR [--type COL=TYPE]... [--format csv|jsonl]\n" \
	"                         [--json]\n"

static const char report_usage[] =
	REPORT_USAGE
	"\n"
	"Compares every column of BASELINE with CURRENT (CSV with a header row, or JSON\n"
	"Lines; .gz is read as is) and prints per column its type, missing share, test,\n"
	"score, threshold and verdict, most drifted first, then the share of drifted\n"
	"columns (dataset drift at or above --drift-share, default 0.5). The test per\n"
	"column is chosen as Evidently does (docs/drift.md): up to 1,000 baseline values\n"
	"ks, chisquare or z; above, wasserstein (normalised) or jensenshannon. On a\n"
	"terminal, stderr shows the progress per column and the table so far.\n"
	"  --columns A,B       only these columns (the target and prediction are added)\n"
	"  --test COL=TEST     the test for COL: ks, chisquare, z, psi, jensenshannon,\n"
	"                      wasserstein or linf\n"
	"  --threshold COL=X   COL's threshold (a p-value for ks, chisquare and z; a\n"
	"                      distance otherwise)\n"
	"  --type COL=TYPE     COL's type: numeric, categorical, boolean or datetime\n"
	"  --target C, --prediction C   their own lines (target / prediction drift);\n"
	"                      with both, model quality on each side\n"
	"  --compare           the Evidently-style verdict beside Model Monitor's L-inf\n"
	"                      (simple and robust, > 0.1) and KS (p < 0.05), marking where\n"
	"                      they disagree\n"
	"  --ks-method M       the KS p-value: auto (exact up to 10,000 values a side),\n"
	"                      exact or asymp\n"
	"  --js-base B         logarithm base of the Jensen-Shannon distance (default e)\n"
	"  --json              the report as JSON on stdout (docs/drift.md)\n"
	"  --save              also keep the report, with each column's distributions, as\n"
	"                      a finished job of source drift (aiwb drift ls, the Jobs pane);\n"
	"                      --name N names it\n"
	"\n"
	"BASELINE and CURRENT may be s3://BUCKET/KEY, or s3://BUCKET/PREFIX for every\n"
	"object under it read as one data set (AWS credentials and region as the AWS CLI\n"
	"finds them; AWS_ENDPOINT_URL_S3 for another endpoint).\n"
	"\n"
	"Bad rows (a CSV record with the wrong number of fields, a JSON line that is not\n"
	"an object) are left out, counted in the report and named on stderr.\n"
	"Exit status: 0 no drift, 3 drift, 1 when a file cannot be read or a test does\n"
	"not apply, 2 on a usage error.\n";

static const char baseline_usage[] =
	BASELINE_USAGE
	"\n"
	"Writes DIR/statistics.json and DIR/constraints.json in SageMaker Model Monitor's\n"
	"formats (docs/drift.md) for DATA (CSV or JSON Lines). DATA and -o DIR may be\n"
	"s3://BUCKET/PREFIX (Model Monitor files written under the prefix).\n"
	"  --comparison-threshold X   the L-infinity threshold of baseline_drift_check (0.1)\n"
	"  --comparison-method M      simple or robust (linf_robust)\n"
	"Exit status: 0 written, 1 when DATA cannot be read or DIR written, 2 on a usage error.\n";

static const char check_usage[] =
	CHECK_USAGE
	"\n"
	"Reads statistics.json and constraints.json (written by aiwb or by SageMaker) from\n"
	"--baseline DIR, compares DATA and writes DIR/constraint_violations.json (-o DIR);\n"
	"--json prints the violations as JSON, else as a table. DATA, --baseline DIR and\n"
	"-o DIR may be s3://BUCKET/PREFIX.\n"
	"Exit status: 0 no violation, 3 violations, 1 on an error, 2 on a usage error.\n";

const char cmd_drift_usage[] =
	REPORT_USAGE
	BASELINE_USAGE
	CHECK_USAGE
	DRIFT_WATCH_USAGE
	"\n"
	"report compares every column of BASELINE with CURRENT, one test per column\n"
	"(Evidently's choice, docs/drift.md), most drifted first; --save keeps it as a\n"
	"job of source drift. baseline writes SageMaker Model Monitor's statistics.json\n"
	"and constraints.json; check compares data with them and writes\n"
	"constraint_violations.json. watch starts a drift monitor: a job that re-checks a\n"
	"growing data-capture file against a baseline and keeps each column's drift over\n"
	"time as metric series. ls lists saved reports and monitors; show prints one.\n"
	"'aiwb drift COMMAND --help' describes each command.\n"
	"\n"
	"Exit status: 0 no drift (check: no violation), 3 drift (check: violations),\n"
	"1 when a file cannot be read or a test does not apply, 2 on a usage error.\n";

static int split_pair(const char *arg, const char *opt, char **col, const char **val)
{
	const char *eq = strrchr(arg, '=');
	if (!eq || eq == arg || !eq[1])
		return cli_usage_error("drift", "%s wants COLUMN=VALUE, not '%s'", opt, arg);
	*col = xstrndup(arg, (size_t)(eq - arg));
	*val = eq + 1;
	return 0;
}

static int parse_double(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

struct common {
	struct drift_type_override types[MAX_PER_COLUMN];
	size_t ntypes;
	char *owned[2 * MAX_PER_COLUMN];
	size_t nowned;
	enum drift_format format;
	int json;
};

static void common_free(struct common *c)
{
	for (size_t i = 0; i < c->nowned; i++)
		free(c->owned[i]);
}

static int add_type(struct common *c, const char *arg)
{
	char *col;
	const char *val;
	if (split_pair(arg, "--type", &col, &val) != 0)
		return 2;
	c->owned[c->nowned++] = col;
	int t = drift_type_parse(val);
	if (t < 0)
		return cli_usage_error("drift", "unknown type '%s' (numeric, categorical, boolean or datetime)", val);
	if (c->ntypes == MAX_PER_COLUMN)
		return cli_usage_error("drift", "too many --type options");
	c->types[c->ntypes++] = (struct drift_type_override){ col, (enum drift_type)t };
	return 0;
}

static int set_format(struct common *c, const char *v)
{
	if (strcmp(v, "csv") == 0)
		c->format = DRIFT_FMT_CSV;
	else if (strcmp(v, "jsonl") == 0)
		c->format = DRIFT_FMT_JSONL;
	else
		return cli_usage_error("drift", "--format is csv or jsonl, not '%s'", v);
	return 0;
}

/* The options every drift command takes (--type, --format, --json) and the
 * errors of getopt: 0, or the exit status of a usage error already reported. */
static int common_option(struct common *c, int ch, char **argv)
{
	switch (ch) {
	case 'y': return add_type(c, optarg) != 0 ? 2 : 0;
	case 'f': return set_format(c, optarg) != 0 ? 2 : 0;
	case 'j': c->json = 1; return 0;
	case ':': return cli_usage_error("drift", "%s needs a value", argv[optind - 1]);
	default: return cli_usage_error("drift", "unknown option '%s'", argv[optind - 1]);
	}
}

/* One option of a command's own: 0, the exit status of a usage error, or -1
 * when ch is not one of its own (then it is a common option or an error). */
typedef int (*own_option)(void *ud, int ch);

static int parse_options(struct common *c, int argc, char **argv, const char *shortopts,
			 const struct option *lopts, own_option own, void *ud)
{
	int ch;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, shortopts, lopts, NULL)) != -1) {
		int rc = own(ud, ch);
		if (rc < 0)
			rc = common_option(c, ch, argv);
		if (rc)
			return rc;
	}
	return 0;
}

static void name_bad_rows(const char *path, uint64_t bad, const long *lines, size_t n)
{
	if (!bad)
		return;
	fprintf(stderr, "aiwb drift: %s: %llu bad row%s left out (line", path, (unsigned long long)bad,
		bad == 1 ? "" : "s");
	fprintf(stderr, "%s", n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%ld", i ? ", " : " ", lines[i]);
	fprintf(stderr, "%s)\n", bad > n ? ", ..." : "");
}

/* On a terminal, stderr shows the column being tested and, under it, the
 * table so far (most drifted first, the first SHOWN rows), redrawn as each
 * column finishes and wiped at the end. */
#define SHOWN 12

struct live {
	int lines;   /* lines drawn below the progress line */
};

static void live_wipe(struct live *l)
{
	for (; l->lines > 0; l->lines--)
		fputs("\033[1A\033[2K", stderr);
	fputs("\r\033[K", stderr);
}

static void progress(void *ud, size_t done, size_t total, const char *column)
{
	struct live *l = ud;
	live_wipe(l);
	char *name = sanitize_str(column, strlen(column), 0);
	fprintf(stderr, "drift: column %zu/%zu %.40s", done + 1, total, name);
	free(name);
	fflush(stderr);
}

static void column_done(void *ud, const struct drift_col_result *cols, size_t n, size_t total)
{
	struct live *l = ud;
	live_wipe(l);
	if (n == total) {
		fflush(stderr);
		return;
	}
	struct drift_col_result *v = xcalloc(n ? n : 1, sizeof *v);
	memcpy(v, cols, n * sizeof *v);
	qsort(v, n, sizeof *v, drift_col_cmp);
	fprintf(stderr, "drift: %zu/%zu columns tested\n", n, total);
	l->lines = 1;
	for (size_t i = 0; i < n && i < SHOWN; i++) {
		char *name = sanitize_str(v[i].name, strlen(v[i].name), 0);
		char score[32];
		if (v[i].test == DRIFT_TEST_NONE)
			snprintf(score, sizeof score, "-");
		else if (drift_test_has_pvalue(v[i].test))
			snprintf(score, sizeof score, "p=%.3g", v[i].pvalue);
		else
			snprintf(score, sizeof score, "%.4g", v[i].statistic);
		fprintf(stderr, "  %-24.24s %-13s %-11s %s\n", name,
			v[i].test == DRIFT_TEST_NONE ? "-" : drift_test_name(v[i].test), score,
			v[i].test == DRIFT_TEST_NONE ? "-" : v[i].drifted ? "DRIFT" : "ok");
		free(name);
		l->lines++;
	}
	free(v);
	fflush(stderr);
}

/* s3:// arguments: the session (loop, curl) and S3 client made on first
 * use, the temporary copies made, removed at the end. */
struct remote {
	struct session s;
	int opened;
	struct drift_remote *r;
	char *tmp[4];
	size_t ntmp;
};

static void on_interrupt(void *ud)
{
	struct remote *x = ud;
	loop_stop(x->s.loop);
}

static struct drift_remote *remote_get(struct remote *x, struct err *e)
{
	if (x->r)
		return x->r;
	if (!x->opened) {
		x->opened = 1;
		if (session_open(&x->s, SESSION_LATE_CATALOG, e) != 0)
			return NULL;
		x->s.on_interrupt = on_interrupt; /* Ctrl-C ends a transfer: the call fails "interrupted" */
		x->s.ud = x;
	}
	if (!x->s.loop)
		return NULL;
	x->r = drift_remote_open(x->s.loop, e);
	return x->r;
}

static void remote_close(struct remote *x)
{
	for (size_t i = 0; i < x->ntmp; i++) {
		unlink(x->tmp[i]);
		rmdir(x->tmp[i]);
		free(x->tmp[i]);
	}
	drift_remote_close(x->r);
	if (x->opened)
		session_close(&x->s);
	memset(x, 0, sizeof *x);
}

/* A failure of a command that used S3: 128 + the signal when interrupted. */
static int remote_fail(struct remote *x, const struct err *e)
{
	int rc = x->opened && x->s.interrupted ? session_interrupt_status(&x->s) : 1;
	if (rc != 1)
		fprintf(stderr, "aiwb drift: interrupted\n");
	else
		cli_fail("drift", "%s", err_msg(e));
	remote_close(x);
	return rc;
}

/* The message with the temporary path put back to the URI it stands for. */
static void name_uri(struct err *e, const char *tmp, const char *uri)
{
	char *at = strstr(e->msg, tmp);
	if (!at)
		return;
	char *m = xasprintf("%.*s%s%s", (int)(at - e->msg), e->msg, uri, at + strlen(tmp));
	snprintf(e->msg, sizeof e->msg, "%s", m);
	free(m);
}

/* The path to read arg from: arg itself, or a temporary copy of s3:// data. */
static const char *local_data(struct remote *x, const char *arg, struct err *e)
{
	if (!s3_is_uri(arg))
		return arg;
	struct drift_remote *r = remote_get(x, e);
	char *tmp = r ? drift_remote_fetch_data(r, arg, e) : NULL;
	if (!tmp)
		return NULL;
	x->tmp[x->ntmp++] = tmp;
	return tmp;
}

static struct drift_data *read_data(struct remote *x, const char *arg, const struct drift_read_opts *ro, struct err *e)
{
	const char *path = local_data(x, arg, e);
	if (!path)
		return NULL;
	struct drift_data *d = drift_data_read(path, ro, e);
	if (!d) {
		name_uri(e, path, arg);
		return NULL;
	}
	if (path != arg) {
		free(d->path);
		d->path = xstrdup(arg);
	}
	return d;
}

/* The directory to write Model Monitor files to: out, or a temporary one
 * uploaded to the s3:// prefix out by finish_output. */
static const char *output_dir(struct remote *x, const char *out, struct err *e)
{
	if (!s3_is_uri(out))
		return out;
	char *bucket, *key;
	if (s3_uri_parse(out, &bucket, &key, e) != 0)
		return NULL;
	free(bucket);
	free(key);
	if (!remote_get(x, e))
		return NULL;
	const char *tmpdir = getenv("TMPDIR");
	char *dir = xasprintf("%s/aiwb-drift-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(dir)) {
		err_errno(e, "cannot make a temporary directory");
		free(dir);
		return NULL;
	}
	x->tmp[x->ntmp++] = dir;
	return dir;
}

static int finish_output(struct remote *x, const char *dir, const char *out, const char *const *names, size_t n,
			 struct err *e)
{
	if (dir == out)
		return 0;
	int rc = drift_remote_put_files(x->r, dir, names, n, out, e);
	for (size_t i = 0; i < n; i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);
		unlink(p);
		free(p);
	}
	return rc;
}

static int print_json(cJSON *j)
{
	char *s = cJSON_Print(j);
	cJSON_Delete(j);
	if (!s)
		return cli_fail("drift", "cannot format the JSON output");
	puts(s);
	free(s);
	return 0;
}

struct report_args {
	struct common *c;
	struct drift_col_opt per[MAX_PER_COLUMN];
	size_t nper;
	struct drift_report_opts o;
	char *columns_arg;
	int save;
	const char *name;
};

static int report_option(void *ud, int ch)
{
	struct report_args *a = ud;
	switch (ch) {
	case 'c': a->columns_arg = optarg; return 0;
	case 't':
	case 'T': {
		char *col;
		const char *val;
		if (split_pair(optarg, ch == 't' ? "--test" : "--threshold", &col, &val) != 0)
			return 2;
		a->c->owned[a->c->nowned++] = col;
		size_t k;
		for (k = 0; k < a->nper && strcmp(a->per[k].column, col) != 0; k++)
			;
		if (k == a->nper) {
			if (a->nper == MAX_PER_COLUMN)
				return cli_usage_error("drift", "too many --test/--threshold options");
			a->per[a->nper++] = (struct drift_col_opt){ col, DRIFT_TEST_NONE, NAN };
		}
		if (ch == 't') {
			int t = drift_test_parse(val);
			if (t < 0)
				return cli_usage_error("drift", "unknown test '%s' (ks, chisquare, z, psi, "
								"jensenshannon, wasserstein or linf)", val);
			a->per[k].test = (enum drift_test)t;
		} else if (parse_double(val, &a->per[k].threshold) != 0 || a->per[k].threshold < 0) {
			return cli_usage_error("drift", "--threshold %s: '%s' is not a non-negative number", col, val);
		}
		return 0;
	}
	case 'g': a->o.target = optarg; return 0;
	case 'p': a->o.prediction = optarg; return 0;
	case 'C': a->o.compare = 1; return 0;
	case 'S': a->save = 1; return 0;
	case 'N': a->name = optarg; return 0;
	case 'k':
		if (strcmp(optarg, "auto") == 0)
			a->o.ks_method = KS_AUTO;
		else if (strcmp(optarg, "exact") == 0)
			a->o.ks_method = KS_EXACT;
		else if (strcmp(optarg, "asymp") == 0)
			a->o.ks_method = KS_ASYMP;
		else
			return cli_usage_error("drift", "--ks-method is auto, exact or asymp, not '%s'", optarg);
		return 0;
	case 'b':
		if (parse_double(optarg, &a->o.js_base) != 0 || a->o.js_base <= 0 || a->o.js_base == 1)
			return cli_usage_error("drift", "--js-base must be a positive number other than 1");
		return 0;
	case 's':
		if (parse_double(optarg, &a->o.drift_share) != 0 || a->o.drift_share <= 0 || a->o.drift_share > 1)
			return cli_usage_error("drift", "--drift-share must be a number in (0, 1]");
		return 0;
	default: return -1;
	}
}

static int cmd_report(int argc, char **argv, struct common *c)
{
	static const struct option lopts[] = {
		{ "columns", required_argument, NULL, 'c' }, { "test", required_argument, NULL, 't' },
		{ "threshold", required_argument, NULL, 'T' }, { "type", required_argument, NULL, 'y' },
		{ "target", required_argument, NULL, 'g' }, { "prediction", required_argument, NULL, 'p' },
		{ "compare", no_argument, NULL, 'C' }, { "ks-method", required_argument, NULL, 'k' },
		{ "js-base", required_argument, NULL, 'b' }, { "drift-share", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' }, { "json", no_argument, NULL, 'j' },
		{ "save", no_argument, NULL, 'S' }, { "name", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	static struct report_args a; /* MAX_PER_COLUMN options: not on the stack */
	memset(&a, 0, sizeof a);
	a.c = c;
	a.o.ks_method = KS_AUTO;
	int prc = parse_options(c, argc, argv, ":", lopts, report_option, &a);
	if (prc)
		return prc;
	struct drift_col_opt *per = a.per;
	size_t nper = a.nper;
	struct drift_report_opts o = a.o;
	char *columns_arg = a.columns_arg;
	if (argc - optind != 2)
		return cli_usage_error("drift", "drift report needs BASELINE and CURRENT, two files");
	const char *base = argv[optind], *cur = argv[optind + 1];
	if (strcmp(base, "-") == 0 && strcmp(cur, "-") == 0)
		return cli_usage_error("drift", "only one of BASELINE and CURRENT can be standard input");
	char *cols[MAX_PER_COLUMN];
	size_t ncols = 0;
	if (columns_arg) {
		char *copy = xstrdup(columns_arg);
		c->owned[c->nowned++] = copy;
		for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			if (ncols == MAX_PER_COLUMN)
				return cli_usage_error("drift", "--columns names too many columns");
			cols[ncols++] = t;
		}
		if (!ncols)
			return cli_usage_error("drift", "--columns needs at least one column name");
	}
	o.columns = (const char *const *)cols;
	o.ncolumns = ncols;
	o.per_column = per;
	o.nper_column = nper;
	if (a.name && !a.save)
		return cli_usage_error("drift", "--name names a saved report: add --save");
	struct live live = { 0 };
	if (isatty(2)) {
		o.progress = progress;
		o.column_done = column_done;
		o.progress_ud = &live;
	}
	struct drift_read_opts ro = { .format = c->format, .types = c->types, .ntypes = c->ntypes };
	struct err e = ERR_INIT;
	struct remote x;
	memset(&x, 0, sizeof x);
	const char *base_path = local_data(&x, base, &e);
	const char *cur_path = base_path ? local_data(&x, cur, &e) : NULL;
	struct drift_report *r = NULL;
	cJSON *saved = NULL;
	if (cur_path && a.save)
		saved = drift_report_with_dists(base_path, cur_path, &o, &ro, &r, &e);
	else if (cur_path)
		r = drift_report_run(base_path, cur_path, &o, &ro, &e);
	if (isatty(2))
		live_wipe(&live);
	if (!r) {
		if (base_path && base_path != base)
			name_uri(&e, base_path, base);
		if (cur_path && cur_path != cur)
			name_uri(&e, cur_path, cur);
		return remote_fail(&x, &e);
	}
	if (base_path != base) {
		free(r->baseline);
		r->baseline = xstrdup(base);
	}
	if (cur_path != cur) {
		free(r->current);
		r->current = xstrdup(cur);
	}
	remote_close(&x);
	if (saved) {
		int src = drift_cli_save(saved, a.name, argc, argv);
		cJSON_Delete(saved);
		if (src) {
			drift_report_free(r);
			return src;
		}
	}
	name_bad_rows(r->baseline, r->ref_bad, r->ref_bad_lines, r->ref_nbad_lines);
	name_bad_rows(r->current, r->cur_bad, r->cur_bad_lines, r->cur_nbad_lines);
	int rc = 0;
	if (c->json)
		rc = print_json(drift_report_json(r));
	else
		drift_report_print(stdout, r);
	int drift = r->any_drift;
	drift_report_free(r);
	if (rc)
		return rc;
	return drift ? EXIT_DRIFT : 0;
}

struct baseline_args {
	const char *out;
	struct monitor_baseline_opts mo;
};

static int baseline_option(void *ud, int ch)
{
	struct baseline_args *a = ud;
	switch (ch) {
	case 'o': a->out = optarg; return 0;
	case 'T':
		if (parse_double(optarg, &a->mo.comparison_threshold) != 0 || a->mo.comparison_threshold < 0)
			return cli_usage_error("drift", "--comparison-threshold must be a non-negative number");
		return 0;
	case 'm':
		if (strcasecmp(optarg, "simple") == 0)
			a->mo.robust = 0;
		else if (strcasecmp(optarg, "robust") == 0)
			a->mo.robust = 1;
		else
			return cli_usage_error("drift", "--comparison-method is simple or robust, not '%s'", optarg);
		return 0;
	default: return -1;
	}
}

static int cmd_baseline(int argc, char **argv, struct common *c)
{
	static const struct option lopts[] = {
		{ "output", required_argument, NULL, 'o' }, { "type", required_argument, NULL, 'y' },
		{ "format", required_argument, NULL, 'f' }, { "comparison-threshold", required_argument, NULL, 'T' },
		{ "comparison-method", required_argument, NULL, 'm' }, { NULL, 0, NULL, 0 },
	};
	struct baseline_args a = { NULL, { 0.1, 0 } };
	int prc = parse_options(c, argc, argv, ":o:", lopts, baseline_option, &a);
	if (prc)
		return prc;
	const char *out = a.out;
	struct monitor_baseline_opts mo = a.mo;
	if (argc - optind != 1)
		return cli_usage_error("drift", "drift baseline needs one DATA file");
	if (!out)
		return cli_usage_error("drift", "drift baseline needs -o DIR for statistics.json and constraints.json");
	struct drift_read_opts ro = { .format = c->format, .types = c->types, .ntypes = c->ntypes };
	struct err e = ERR_INIT;
	struct remote x;
	memset(&x, 0, sizeof x);
	const char *dir = output_dir(&x, out, &e);
	struct drift_data *d = dir ? read_data(&x, argv[optind], &ro, &e) : NULL;
	if (!d) {
		return remote_fail(&x, &e);
	}
	name_bad_rows(d->path, d->bad_rows, d->bad_lines, d->nbad_lines);
	static const char *const names[] = { "statistics.json", "constraints.json" };
	int rc = monitor_write_baseline(d, dir, &mo, &e);
	drift_data_free(d);
	if (rc == 0)
		rc = finish_output(&x, dir, out, names, 2, &e);
	if (rc != 0)
		return remote_fail(&x, &e);
	remote_close(&x);
	const char *sep = out[strlen(out) - 1] == '/' ? "" : "/";
	fprintf(stderr, "aiwb drift: wrote %s%sstatistics.json and %s%sconstraints.json\n", out, sep, out, sep);
	return 0;
}

struct check_args {
	const char *out, *base;
};

static int check_option(void *ud, int ch)
{
	struct check_args *a = ud;
	switch (ch) {
	case 'o': a->out = optarg; return 0;
	case 'B': a->base = optarg; return 0;
	default: return -1;
	}
}

static int cmd_check(int argc, char **argv, struct common *c)
{
	static const struct option lopts[] = {
		{ "output", required_argument, NULL, 'o' }, { "baseline", required_argument, NULL, 'B' },
		{ "type", required_argument, NULL, 'y' },   { "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },          { NULL, 0, NULL, 0 },
	};
	struct check_args a = { NULL, NULL };
	int prc = parse_options(c, argc, argv, ":o:", lopts, check_option, &a);
	if (prc)
		return prc;
	const char *out = a.out, *base = a.base;
	if (argc - optind != 1)
		return cli_usage_error("drift", "drift check needs one DATA file");
	if (!base)
		return cli_usage_error("drift", "drift check needs --baseline DIR (statistics.json, constraints.json)");
	if (!out)
		return cli_usage_error("drift", "drift check needs -o DIR for constraint_violations.json");
	struct err e = ERR_INIT;
	struct remote x;
	memset(&x, 0, sizeof x);
	struct drift_remote *r = s3_is_uri(base) ? remote_get(&x, &e) : NULL;
	struct monitor_baseline *mb = s3_is_uri(base) ? (r ? drift_remote_read_baseline(r, base, &e) : NULL)
						      : monitor_read_baseline(base, &e);
	const char *dir = mb ? output_dir(&x, out, &e) : NULL;
	if (!dir) {
		monitor_baseline_free(mb);
		return remote_fail(&x, &e);
	}
	struct drift_type_override *types;
	size_t ntypes = monitor_check_types(mb, c->types, c->ntypes, &types);
	struct drift_read_opts ro = { .format = c->format, .types = types, .ntypes = ntypes };
	struct drift_data *d = read_data(&x, argv[optind], &ro, &e);
	free(types);
	if (!d) {
		monitor_baseline_free(mb);
		return remote_fail(&x, &e);
	}
	name_bad_rows(d->path, d->bad_rows, d->bad_lines, d->nbad_lines);
	cJSON *violations = monitor_check(mb, d, &e);
	drift_data_free(d);
	monitor_baseline_free(mb);
	static const char *const names[] = { "constraint_violations.json" };
	if (!violations || monitor_write_json(dir, names[0], violations, &e) != 0 ||
	    finish_output(&x, dir, out, names, 1, &e) != 0) {
		cJSON_Delete(violations);
		return remote_fail(&x, &e);
	}
	remote_close(&x);
	int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(violations, "violations"));
	if (c->json) {
		if (print_json(violations) != 0)
			return 1;
	} else {
		struct buf table = BUF_INIT;
		monitor_violations_text(violations, &table);
		fputs(buf_str(&table), stdout);
		buf_free(&table);
		cJSON_Delete(violations);
		fprintf(stderr, "aiwb drift: %d violation%s; wrote %s%sconstraint_violations.json\n", n, n == 1 ? "" : "s",
			out, out[strlen(out) - 1] == '/' ? "" : "/");
	}
	return n ? EXIT_DRIFT : 0;
}

int cmd_drift(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(cmd_drift_usage, stdout);
		return 0;
	}
	if (argc < 2)
		return cli_usage_error("drift", "say what to do: report, baseline, check, watch, ls or show");
	const char *sub = argv[1];
	static const struct {
		const char *name;
		const char *usage;
	} helps[] = {
		{ "report", report_usage }, { "baseline", baseline_usage }, { "check", check_usage },
		{ "watch", drift_watch_usage }, { "ls", drift_ls_usage }, { "show", drift_show_usage },
	};
	for (size_t i = 0; i < sizeof helps / sizeof *helps; i++)
		if (strcmp(sub, helps[i].name) == 0 && cli_wants_help(argc - 1, argv + 1)) {
			fputs(helps[i].usage, stdout);
			return 0;
		}
	if (strcmp(sub, "watch") == 0)
		return cmd_drift_watch(argc - 1, argv + 1);
	if (strcmp(sub, "ls") == 0)
		return cmd_drift_ls(argc - 1, argv + 1);
	if (strcmp(sub, "show") == 0)
		return cmd_drift_show(argc - 1, argv + 1);
	/* column arrays come and go one after another: keep freed memory for the
	 * next one instead of returning it and faulting it in again */
	mallopt(M_MMAP_THRESHOLD, 512 << 20);
	mallopt(M_TRIM_THRESHOLD, 1024 << 20);
	struct common c;
	memset(&c, 0, sizeof c);
	int rc;
	if (strcmp(sub, "report") == 0)
		rc = cmd_report(argc - 1, argv + 1, &c);
	else if (strcmp(sub, "baseline") == 0)
		rc = cmd_baseline(argc - 1, argv + 1, &c);
	else if (strcmp(sub, "check") == 0)
		rc = cmd_check(argc - 1, argv + 1, &c);
	else
		rc = cli_usage_error("drift", "unknown drift command '%s' (report, baseline, check, watch, ls or show)",
				     sub);
	common_free(&c);
	return rc;
}
