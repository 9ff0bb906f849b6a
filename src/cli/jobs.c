/* aiwb jobs: run, list, follow, stop and alert on training jobs (issue 12).
 * Parses argv and prints; the work is in src/jobs/. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/path.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "cli/cli.h"
#include "session.h"
#include "jobs/alert.h"
#include "jobs/desk.h"
#include "jobs/follow.h"
#include "jobs/job.h"
#include "jobs/jobjson.h"
#include "jobs/local.h"
#include "jobs/notify.h"
#include "jobs/registry.h"
#include "cli/jobs_sagemaker.h"
#include "jobs/slurm.h"
#include "jobs/smmonitor.h"
#include "drift/monitor.h"
#include "jobs/tally.h"
#include "jobs/text.h"

const char jobs_usage[] =
	"usage: aiwb jobs run [--name N] [--metric NAME=REGEX]... [--env K=V]... [--env-file F]\n"
	"                     [--cwd DIR] [--logdir DIR] [-f] -- CMD [ARG...]\n"
	"       aiwb jobs submit --slurm [--partition P] [--time T] [--gpus N] [--name N]\n"
	"                     [--array SPEC] [--metric NAME=REGEX]... [--cwd DIR] -- CMD [ARG...]\n"
	"       aiwb jobs resubmit ID [--edit] [--yes]\n"
	"       aiwb jobs ls [--source local|slurm|sagemaker|sagemaker-monitor|bedrock|drift] [--status S]\n"
	"                    [--tasks] [--mine] [--partition P] [--json]\n"
	"       aiwb jobs show ID [--json]\n"
	"       aiwb jobs logs ID [-f] [--raw]\n"
	"       aiwb jobs metrics ID [--name M] [--json | --csv]\n"
	"       aiwb jobs stop ID [--grace SECONDS]\n"
	"       aiwb jobs rm ID\n"
	"       aiwb jobs watch [ID...] [--until-done] [--interval SECONDS] [--alerts] [--exec CMD]\n"
	"       aiwb jobs alert ID [RULE]\n"
	"       aiwb jobs resubmit ID [--yes]\n"
	"\n"
	"Runs and follows training jobs. A local job runs under its own supervisor in\n"
	"its own session and process group, so closing or killing aiwb never stops it\n"
	"and its exit is always recorded. Its output goes to DATA_HOME/jobs/ID/output.log.\n"
	"Metrics come from log lines (--metric rules, SageMaker MetricDefinitions style:\n"
	"the first capture group is the value, a group named 'step' the step), from\n"
	"JSON lines ({\"loss\":0.3,\"step\":5} or {\"metric\":\"loss\",\"value\":0.3}), from\n"
	"metrics.csv (CSV loggers) and TensorBoard event files in the job's directory\n"
	"($AIWB_JOB_DIR in the job) or --logdir. IDs are SOURCE:ID (local:7); an id\n"
	"alone, an id prefix or a job name works when it names one job.\n"
	"\n"
	"  run -f, --follow     print the log as it grows and exit with the job's status\n"
	"  run --env K=V        set a variable for the job; only the name is stored\n"
	"  run --env-file F     KEY=VALUE lines, for secrets (values never stored or shown)\n"
	"  submit --slurm       sbatch the command (--wrap); Slurm jobs of every user are listed\n"
	"                       through squeue --json when squeue is on PATH (AIWB_SLURM=off: never),\n"
	"                       slurmrestd (slurm.rest_url) or ssh (slurm.ssh) as configured;\n"
	"                       --array 0-9 submits an array: one row, its tasks are ID_N\n"
	"  resubmit --edit      submit a Slurm job's batch script again, edited in $VISUAL/$EDITOR\n"
	"  ls --tasks           list an array's tasks too (jobs show ARRAY lists them)\n"
	"  ls --mine            only your Slurm jobs; --partition P only those of partition P\n"
	"  sagemaker-monitor    SageMaker Model Monitor schedules and their executions, with AWS\n"
	"                       credentials (AIWB_SAGEMAKER_MONITOR=off: never); show of an\n"
	"                       execution lists its constraint violations, read from S3\n"
	"  logs -f              follow the log until the job ends\n"
	"  stop --grace S       SIGTERM to the job's process group, SIGKILL after S seconds\n"
	"                       (default 10); returns once nothing of the job is left running\n"
	"  rm                   forget a finished job and delete its directory\n"
	"  watch                a compact table, redrawn every --interval seconds (default 1);\n"
	"                       --until-done exits when the jobs have ended, with the job's\n"
	"                       exit status (one job) or 0 when all completed, else 1;\n"
	"                       --alerts fires the jobs' alert rules: a line on stdout, the\n"
	"                       bell and a desktop notification (OSC 9 and OSC 777) on a\n"
	"                       terminal, the tmux message and @aiwb_alert option inside tmux,\n"
	"                       and --exec CMD run with AIWB_ALERT_* in its environment\n"
	"  alert ID RULE        'loss is nan' | 'loss > 2' (also <, >=, <=) | 'no progress 10m'\n"
	"                       | 'ended'; without RULE, lists the job's rules\n"
	"  resubmit             a copy of a SageMaker training job (CreateTrainingJob from the\n"
	"                       described one, new name), shown first; --yes sends it without asking\n"
	"  --json, --csv        machine-readable output (docs/jobs.md)\n"
	"\n"
	"Exit status: 0 on success; 1 when a job cannot be found, started or stopped;\n"
	"2 on a usage error; run -f, logs -f and watch --until-done: the job's status.\n";

#define CMD "jobs"

static volatile sig_atomic_t stop_flag;

struct jobs_ctx {
	struct session s;
	struct job_desk d;
	int tty;
};

static void on_interrupt(void *ud)
{
	struct jobs_ctx *c = ud;
	stop_flag = 1;
	loop_stop(c->s.loop);
}

static void close_ctx(struct jobs_ctx *c);

static int open_ctx(struct jobs_ctx *c)
{
	struct err e = ERR_INIT;
	memset(c, 0, sizeof *c);
	if (session_open(&c->s, SESSION_DB | SESSION_LATE_CATALOG, &e) < 0) {
		session_close(&c->s);
		return cli_fail(CMD, "%s", e.msg);
	}
	c->s.on_interrupt = on_interrupt;
	c->s.ud = c;
	job_desk_open(&c->d, c->s.db, c->s.loop, &stop_flag);
	struct slurm_config sc = { c->s.cfg.slurm_rest_url, c->s.cfg.slurm_ssh, c->s.cfg.slurm_ssh_config };
	if ((sc.rest_url && session_http(&c->s, &e) < 0) || job_desk_slurm_config(&c->d, &sc, &e) < 0) {
		close_ctx(c);
		return cli_fail(CMD, "%s", e.msg);
	}
	if (c->d.slurm)
		c->d.slurm->timeout_ms = sc.ssh ? 30000 : 5000; /* a one-shot command does not wait longer for a cluster */
	c->tty = isatty(STDOUT_FILENO);
	/* re-attach: every command first brings the local jobs up to date */
	if (job_desk_reattach(&c->d, &e) < 0)
		fprintf(stderr, "aiwb jobs: %s\n", e.msg);
	return 0;
}

static void close_ctx(struct jobs_ctx *c)
{
	job_desk_close(&c->d);
	session_close(&c->s);
}

static int find_job(struct jobs_ctx *c, const char *ref, struct job *j)
{
	struct err e = ERR_INIT;
	if (jobreg_find(c->s.db, ref, j, &e) < 0)
		return cli_fail(CMD, "%s", e.msg);
	return 0;
}

typedef int (*job_action)(struct jobs_ctx *c, struct job *j, void *ud);

/* A job the registry does not know yet, named SOURCE:ID with the source,
 * asked of a source that describes one job alone (jobs show, logs, metrics,
 * stop, resubmit of a SageMaker job not listed yet). 0 with *j; -1 when it
 * cannot. */
static int describe_unknown(struct jobs_ctx *c, const char *ref, struct job *j)
{
	char *source = NULL, *id = NULL;
	if (job_parse_ref(ref, &source, &id, NULL) != 0 || !source) {
		free(source);
		free(id);
		return -1;
	}
	struct job stub = {.source = source, .ext_id = id};
	struct job_source *src = job_desk_source(&c->d, &stub);
	if (src && src->ops->describe_alone && job_desk_describe(&c->d, &stub, NULL) == 0) {
		*j = stub;
		return 0;
	}
	job_clear(&stub);
	return -1;
}

/* Opens the context, finds the job REF names and runs act on it; the job and
 * the context are closed afterwards. describe: a job its source knows but
 * the registry does not yet is described first (show, logs, metrics, stop,
 * resubmit). act's exit status, or 1. */
static int with_job(const char *ref, int describe, job_action act, void *ud)
{
	struct jobs_ctx c;
	if (open_ctx(&c))
		return 1;
	struct job j = {0};
	struct err e = ERR_INIT;
	int rc = 0;
	if (jobreg_find(c.s.db, ref, &j, &e) < 0 && (!describe || describe_unknown(&c, ref, &j) < 0))
		rc = cli_fail(CMD, "%s", e.msg);
	if (rc == 0)
		rc = act(&c, &j, ud);
	job_clear(&j);
	close_ctx(&c);
	return rc;
}

/* A subcommand whose one operand, after its options, is a job ID, described
 * first when the registry does not know it yet. */
static int with_one_job(const char *sub, int argc, char **argv, job_action act, void *ud)
{
	if (argc - optind != 1)
		return cli_usage_error(CMD, "jobs %s takes one job ID, e.g. aiwb jobs %s local:7", sub, sub);
	return with_job(argv[optind], 1, act, ud);
}

/* Brings a job of a remote source up to date from its source (the job alone
 * where the source can describe it so), then reads it again. */
static int refresh_job(struct jobs_ctx *c, struct job *j)
{
	struct job_source *src = job_desk_source(&c->d, j);
	if (src && src->ops->describe_alone) {
		struct err e = ERR_INIT;
		int rc = job_desk_describe(&c->d, j, &e);
		return rc == JOB_DESK_STOPPED ? 130 : rc < 0 ? cli_fail(CMD, "%s", e.msg) : 0;
	}
	char *full = job_ref(j);
	job_desk_refresh(&c->d, src);
	job_clear(j);
	int rc = find_job(c, full, j);
	free(full);
	return rc;
}

static int64_t elapsed_ms(const struct job *j)
{
	return job_elapsed_ms(j, clock_wall_ms());
}

static void format_time(char *out, size_t n, int64_t ms)
{
	if (!ms) {
		snprintf(out, n, "-");
		return;
	}
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm);
}

static void print_json(cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);
	puts(s);
	free(s);
	cJSON_Delete(o);
}

/* ------------------------------------------------------------------ table */

static void pad(struct buf *b, const char *s, int cols, int last)
{
	size_t n = strlen(s);
	int w;
	n = sanitize_fit(s, n, cols, &w);
	buf_append(b, s, n);
	if (!last)
		for (; w < cols + 2; w++)
			buf_putc(b, ' ');
}

static void table(struct jobs_ctx *c, const struct job_list *l, struct buf *out, int metrics_max)
{
	int idw = 12; /* the longest ID, up to 48 columns (remote ids are long) */
	for (size_t i = 0; i < l->n; i++) {
		char *ref = job_ref(&l->v[i]);
		int w = (int)strlen(ref);
		idw = w > idw ? (w < 48 ? w : 48) : idw;
		free(ref);
	}
	buf_printf(out, "%-*s  %-9s  %-8s  %-20s  %s\n", idw, "ID", "STATUS", "ELAPSED", "NAME", "METRICS");
	for (size_t i = 0; i < l->n; i++) {
		const struct job *j = &l->v[i];
		char *ref = job_ref(j), *name = cli_safe(j->name), el[32];
		job_text_duration(el, sizeof el, elapsed_ms(j));
		struct buf m = BUF_INIT;
		if (!slurm_array_summary(j, &m))
			job_text_metrics(c->s.db, j->id, metrics_max, &m);
		if (j->status == JOB_FAILED && j->reason && !m.len)
			buf_puts(&m, j->reason);
		char *mt = cli_safe(buf_str(&m));
		pad(out, ref, idw, 0);
		pad(out, job_status_name(j->status), 9, 0);
		pad(out, el, 8, 0);
		pad(out, name, 20, 0);
		pad(out, mt, 60, 1);
		buf_putc(out, '\n');
		free(mt);
		buf_free(&m);
		free(ref);
		free(name);
	}
}

/* ------------------------------------------------------------------ run */

struct strv {
	const char **v;
	size_t n;
};

static void strv_push(struct strv *a, const char *s)
{
	a->v = xreallocarray(a->v, a->n + 1, sizeof *a->v);
	a->v[a->n++] = s;
}

static int follow(struct jobs_ctx *c, struct job *j, int raw);

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'}, {"metric", required_argument, NULL, 'm'},
		{"env", required_argument, NULL, 'e'},  {"env-file", required_argument, NULL, 'E'},
		{"cwd", required_argument, NULL, 'C'},  {"logdir", required_argument, NULL, 'L'},
		{"follow", no_argument, NULL, 'f'},     {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct local_spec spec = {0};
	struct strv rules = {0}, env = {0};
	int do_follow = 0, opt;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+n:m:e:E:C:L:fh", opts, NULL)) != -1) {
		switch (opt) {
		case 'n': spec.name = optarg; break;
		case 'm': strv_push(&rules, optarg); break;
		case 'e': strv_push(&env, optarg); break;
		case 'E': spec.env_file = optarg; break;
		case 'C': spec.cwd = optarg; break;
		case 'L': spec.logdir = optarg; break;
		case 'f': do_follow = 1; break;
		case 'h': fputs(jobs_usage, stdout); free(rules.v); free(env.v); return 0;
		default:
			free(rules.v);
			free(env.v);
			return cli_usage_error(CMD, "jobs run: unknown option or missing value near '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		free(rules.v);
		free(env.v);
		return cli_usage_error(CMD, "jobs run needs a command after --, e.g. aiwb jobs run -- python3 train.py");
	}
	spec.argv = argv + optind;
	spec.rules = rules.v;
	spec.n_rules = rules.n;
	spec.env = env.v;
	spec.n_env = env.n;
	struct jobs_ctx c;
	if (open_ctx(&c))
		return 1;
	struct job j;
	struct err e = ERR_INIT;
	int rc = 0;
	if (local_start(c.s.db, &spec, &j, &e) < 0) {
		rc = cli_fail(CMD, "%s", e.msg);
	} else {
		char *ref = job_ref(&j);
		printf("%s\n", ref);
		fflush(stdout);
		fprintf(stderr, "aiwb jobs: started %s (pid %lld); log: %s\n", ref, (long long)j.pid, j.log_path);
		free(ref);
		if (do_follow)
			rc = follow(&c, &j, 0);
		job_clear(&j);
	}
	free(rules.v);
	free(env.v);
	close_ctx(&c);
	return rc;
}

/* ------------------------------------------------------------------ logs / follow */

struct follow_out {
	struct loop *loop;
	int raw;
	struct sanitizer san;
};

static void on_follow_bytes(void *ud, const char *data, size_t n)
{
	struct follow_out *o = ud;
	if (o->raw) {
		fwrite(data, 1, n, stdout);
	} else {
		struct buf clean = BUF_INIT;
		sanitize_feed(&o->san, data, n, &clean);
		fwrite(buf_str(&clean), 1, clean.len, stdout);
		buf_free(&clean);
	}
	fflush(stdout);
}

static void on_follow_end(void *ud, const char *error)
{
	struct follow_out *o = ud;
	if (error)
		fprintf(stderr, "aiwb jobs: %s\n", error);
	loop_stop(o->loop);
}

static int follow(struct jobs_ctx *c, struct job *j, int raw)
{
	struct follow_out o = {.loop = c->s.loop, .raw = raw || !c->tty};
	sanitize_init(&o.san, 0);
	struct job_follow_cb cb = {on_follow_bytes, on_follow_end, &o};
	struct job_follow *f = job_follow_start(&c->d, j, &cb);
	loop_run(c->s.loop);
	while (job_follow_busy(f) && !stop_flag)
		loop_run_once(c->s.loop, 100);
	job_follow_free(f);
	if (!o.raw) {
		struct buf tail = BUF_INIT;
		sanitize_finish(&o.san, &tail);
		fwrite(buf_str(&tail), 1, tail.len, stdout);
		buf_free(&tail);
	}
	if (stop_flag)
		return 130;
	char *ref = job_ref(j);
	fprintf(stderr, "aiwb jobs: %s %s%s%s\n", ref, job_status_name(j->status), j->reason ? ": " : "",
		j->reason ? j->reason : "");
	free(ref);
	return job_shell_status(j);
}

struct logs_opts {
	int follow, raw;
};

static int print_log(struct jobs_ctx *c, struct job *j, int raw)
{
	int64_t off = 0, next;
	struct err e = ERR_INIT;
	struct sanitizer san;
	sanitize_init(&san, 0);
	do {
		struct buf chunk = BUF_INIT;
		next = local_log_read(j, off, &chunk, &e);
		if (next < 0) {
			buf_free(&chunk);
			return cli_fail(CMD, "%s", e.msg);
		}
		if (raw || !c->tty)
			fwrite(buf_str(&chunk), 1, chunk.len, stdout);
		else {
			struct buf clean = BUF_INIT;
			sanitize_feed(&san, chunk.data, chunk.len, &clean);
			fwrite(buf_str(&clean), 1, clean.len, stdout);
			buf_free(&clean);
		}
		int more = chunk.len == LOCAL_READ_MAX;
		buf_free(&chunk);
		off = next;
		if (!more)
			return 0;
	} while (1);
}

static int logs_job(struct jobs_ctx *c, struct job *j, void *ud)
{
	const struct logs_opts *o = ud;
	struct job_source *src = job_desk_source(&c->d, j);
	if (!src)
		return cli_fail(CMD, "logs of %s jobs are not available in this version", j->source);
	/* a follower brings the job up to date itself (described first when it has no log yet) */
	int described = src->ops->describe_alone && !j->log_path;
	if (strcmp(j->source, "local") != 0 && (!o->follow || described) && refresh_job(c, j))
		return 1;
	struct buf sum = BUF_INIT;
	int array = !j->log_path && slurm_array_summary(j, &sum);
	buf_free(&sum);
	if (array)
		return cli_fail(CMD, "%s:%s is an array: each task has its own log (aiwb jobs show %s:%s lists them)", j->source,
				j->ext_id, j->source, j->ext_id);
	if (!j->log_path)
		return cli_fail(CMD, "%s:%s has no log file (yet)", j->source, j->ext_id);
	return o->follow ? follow(c, j, o->raw) : print_log(c, j, o->raw);
}

static int cmd_logs(int argc, char **argv)
{
	static const struct option opts[] = {
		{"follow", no_argument, NULL, 'f'}, {"raw", no_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},   {NULL, 0, NULL, 0},
	};
	struct logs_opts o = {0};
	int opt;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
		switch (opt) {
		case 'f': o.follow = 1; break;
		case 'r': o.raw = 1; break;
		case 'h': fputs(jobs_usage, stdout); return 0;
		default: return cli_usage_error(CMD, "jobs logs: unknown option '%s'", argv[optind - 1]);
		}
	}
	return with_one_job("logs", argc, argv, logs_job, &o);
}

/* ------------------------------------------------------------------ ls / show */

/* A source's name as a sentence says it. */
static const char *source_title(const char *name)
{
	static const char *const titles[][2] = {
		{"slurm", "Slurm"}, {"sagemaker", "SageMaker"}, {"sagemaker-monitor", "SageMaker Model Monitor"},
		{"bedrock", "Bedrock"},
	};
	for (size_t i = 0; i < sizeof titles / sizeof *titles; i++)
		if (strcmp(name, titles[i][0]) == 0)
			return titles[i][1];
	return name;
}

static int cmd_ls(int argc, char **argv)
{
	static const struct option opts[] = {
		{"source", required_argument, NULL, 's'}, {"status", required_argument, NULL, 'S'},
		{"json", no_argument, NULL, 'j'},         {"help", no_argument, NULL, 'h'},
		{"tasks", no_argument, NULL, 'T'},        {"mine", no_argument, NULL, 'M'},
		{"partition", required_argument, NULL, 'P'}, {NULL, 0, NULL, 0},
	};
	const char *source = NULL, *partition = NULL;
	int status = -1, json = 0, opt, tasks = 0, mine = 0;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			source = NULL;
			for (const char *const *s = job_source_names; *s; s++)
				if (strcmp(*s, optarg) == 0)
					source = *s;
			if (!source)
				return cli_usage_error(CMD, "--source must be local, slurm, sagemaker, sagemaker-monitor, "
						       "bedrock or drift, not '%s'", optarg);
			break;
		case 'S': {
			enum job_status st;
			if (job_status_parse(optarg, &st) < 0)
				return cli_usage_error(CMD, "--status must be one of queued, starting, running, completed, "
							    "failed, stopping, stopped, timeout, lost, unknown; not '%s'",
						       optarg);
			status = (int)st;
			break;
		}
		case 'j': json = 1; break;
		case 'T': tasks = 1; break;
		case 'M': mine = 1; break;
		case 'P': partition = optarg; break;
		case 'h': fputs(jobs_usage, stdout); return 0;
		default: return cli_usage_error(CMD, "jobs ls: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error(CMD, "jobs ls takes no operand ('%s')", argv[optind]);
	struct jobs_ctx c;
	if (open_ctx(&c))
		return 1;
	struct job_list l;
	struct err e = ERR_INIT;
	int rc = 0;
	struct job_source *all[8];
	size_t n_all = job_desk_all(&c.d, all, 8);
	for (size_t i = 1; i < n_all; i++)
		if (!source || strcmp(source, all[i]->ops->name) == 0)
			job_desk_refresh(&c.d, all[i]);
	if (jobreg_list(c.s.db, source, status, &l, &e) < 0)
		rc = cli_fail(CMD, "%s", e.msg);
	else
		slurm_filter_jobs(&l, tasks, mine ? (c.d.slurm ? slurm_user(c.d.slurm) : getlogin()) : NULL, partition);
	if (rc)
		;
	else if (json) {
		cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "jobs");
		for (size_t i = 0; i < l.n; i++)
			cJSON_AddItemToArray(a, job_to_json(c.s.db, &l.v[i]));
		cJSON_AddItemToObject(o, "sources", job_sources_json(all, n_all));
		print_json(o);
		job_list_free(&l);
	} else {
		struct buf out = BUF_INIT;
		if (l.n)
			table(&c, &l, &out, 4);
		else
			buf_puts(&out, "no jobs yet; start one with aiwb jobs run -- CMD\n");
		fputs(buf_str(&out), stdout);
		buf_free(&out);
		job_list_free(&l);
		for (size_t i = 1; i < n_all; i++)
			if (all[i]->down)
				fprintf(stderr, "aiwb jobs: the %s source is down (%s); its jobs are shown as last seen\n",
					source_title(all[i]->ops->name),
					all[i]->why ? all[i]->why : "no reason given");
	}
	close_ctx(&c);
	return rc;
}

static int print_transition(void *ud, const struct jobreg_transition *t)
{
	(void)ud;
	char when[32];
	format_time(when, sizeof when, t->time_ms);
	char *status = cli_safe(t->status), *raw = cli_safe(t->raw_state);
	printf("  %s  %-9s  %s\n", when, status, t->raw_state ? raw : "-");
	free(status);
	free(raw);
	return 0;
}

static void print_job(struct db *db, const struct job *j)
{
	char *id = job_ref(j), t1[32], t2[32], t3[32], el[32];
	format_time(t1, sizeof t1, j->submit_ms);
	format_time(t2, sizeof t2, j->start_ms);
	format_time(t3, sizeof t3, j->end_ms);
	job_text_duration(el, sizeof el, elapsed_ms(j));
	char *name = cli_safe(j->name), *cmd = cli_safe(j->command), *reason = cli_safe(j->reason), *raw = cli_safe(j->raw_state);
	printf("id:        %s\nname:      %s\nstatus:    %s (%s)\n", id, name, job_status_name(j->status), raw);
	if (j->reason)
		printf("reason:    %s\n", reason);
	if (j->has_exit)
		printf("exit:      %d\n", j->exit_code);
	if (j->signal) {
		const char *n = job_signal_name(j->signal);
		printf("signal:    %d%s%s\n", j->signal, n ? " SIG" : "", n ? n : "");
	}
	printf("submitted: %s\nstarted:   %s\nended:     %s\nelapsed:   %s\n", t1, t2, t3, el);
	printf("command:   %s\n", cmd);
	if (j->cwd) {
		char *cwd = cli_safe(j->cwd);
		printf("cwd:       %s\n", cwd);
		free(cwd);
	}
	if (j->env_names)
		printf("env:       %s (values not stored)\n", j->env_names);
	if (j->pid)
		printf("pid:       %lld\n", (long long)j->pid);
	if (j->log_path) {
		char *log = cli_safe(j->log_path);
		printf("log:       %s\n", log);
		free(log);
	}
	struct buf m = BUF_INIT;
	job_text_metrics(db, j->id, 0, &m);
	char *mt = cli_safe(buf_str(&m));
	printf("metrics:   %s\n", m.len ? mt : "-");
	free(mt);
	buf_free(&m);
	if (strcmp(j->source, "slurm") == 0) {
		struct buf info = BUF_INIT;
		slurm_text_details(db, j, &info);
		char *it = cli_safe(buf_str(&info));
		fputs(it, stdout);
		free(it);
		buf_free(&info);
	} else if (j->parent_id || j->info) {
		struct buf facts = BUF_INIT;
		struct job parent;
		if (j->parent_id && jobreg_get(db, j->parent_id, &parent, NULL) == 1) {
			char *pref = job_ref(&parent);
			buf_printf(&facts, "  parent: %s\n", pref);
			free(pref);
			job_clear(&parent);
		}
		job_info_text(j->info, &facts);
		char *ft = cli_safe(buf_str(&facts));
		printf("facts:\n%s", ft);
		free(ft);
		buf_free(&facts);
	}
	struct err e = ERR_INIT;
	printf("transitions:\n");
	if (jobreg_transitions(db, j->id, print_transition, NULL, &e) < 0)
		fprintf(stderr, "aiwb jobs: %s\n", e.msg);
	free(id);
	free(name);
	free(cmd);
	free(reason);
	free(raw);
}

/* A Model Monitor execution's output and constraint violations (read from
 * S3): into o ("output", "violations" or "violations_error"), else printed. */
static void show_violations(struct jobs_ctx *c, const struct job *j, cJSON *o)
{
	if (strcmp(j->source, SMMONITOR_SOURCE) != 0 || !strchr(j->ext_id, '/') || !job_status_final(j->status))
		return;
	struct err e = ERR_INIT;
	cJSON *v = smmonitor_violations(j, c->s.loop, &e);
	if (o) {
		if (j->dir)
			cJSON_AddStringToObject(o, "output", j->dir);
		if (v)
			cJSON_AddItemToObject(o, "violations", cJSON_DetachItemFromObject(v, "violations"));
		else
			cJSON_AddStringToObject(o, "violations_error", e.msg);
	} else {
		char *out = cli_safe(j->dir);
		printf("output:    %s\n", j->dir ? out : "-");
		free(out);
		if (v) {
			struct buf t = BUF_INIT;
			monitor_violations_text(v, &t);
			printf("violations:\n%s", buf_str(&t));
			buf_free(&t);
		} else {
			char *m = cli_safe(e.msg);
			printf("violations: cannot be read: %s\n", m);
			free(m);
		}
	}
	cJSON_Delete(v);
}

static int show_job(struct jobs_ctx *c, struct job *j, void *ud)
{
	const int *json = ud;
	struct err e = ERR_INIT;
	if (strcmp(j->source, "local") != 0 && job_desk_source(&c->d, j) && job_desk_describe(&c->d, j, &e) < 0)
		return e.set ? cli_fail(CMD, "%s", e.msg) : 130;
	if (*json) {
		cJSON *o = job_to_json(c->s.db, j);
		cJSON_AddItemToObject(o, "transitions", job_transitions_json(c->s.db, j->id));
		show_violations(c, j, o);
		struct job_list kids;
		if (slurm_children(c->s.db, j->id, &kids, NULL) == 0 && kids.n) {
			cJSON *t = cJSON_AddArrayToObject(o, "tasks");
			for (size_t i = kids.n; i-- > 0;) {
				char *kr = job_ref(&kids.v[i]);
				cJSON_AddItemToArray(t, cJSON_CreateString(kr));
				free(kr);
			}
		}
		job_list_free(&kids);
		print_json(o);
	} else {
		print_job(c->s.db, j);
		show_violations(c, j, NULL);
	}
	return 0;
}

static int cmd_show(int argc, char **argv)
{
	int json = 0;
	const char *ref = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(jobs_usage, stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1])
			return cli_usage_error(CMD, "jobs show: unknown option '%s'", argv[i]);
		else if (ref)
			return cli_usage_error(CMD, "jobs show takes one job ID");
		else
			ref = argv[i];
	}
	if (!ref)
		return cli_usage_error(CMD, "jobs show needs a job ID, e.g. aiwb jobs show local:7");
	return with_job(ref, 1, show_job, &json);
}

/* ------------------------------------------------------------------ metrics */

struct metric_out {
	int mode; /* 0 table, 1 json, 2 csv */
	const char *name;
	cJSON *obj;
	int rows;
};

static int on_metric(void *ud, const struct jobreg_point *p)
{
	struct metric_out *m = ud;
	char v[32];
	job_text_value(v, sizeof v, p->value);
	if (m->mode == 1) {
		cJSON *arr = cJSON_GetObjectItemCaseSensitive(m->obj, p->name);
		if (!arr)
			arr = cJSON_AddArrayToObject(m->obj, p->name);
		cJSON_AddItemToArray(arr, job_point_json(p));
	} else if (m->mode == 2) {
		char step[32] = "";
		if (p->has_step)
			snprintf(step, sizeof step, "%lld", (long long)p->step);
		printf("%s,%s,%s,%lld\n", p->name, step, v, (long long)p->time_ms);
	} else {
		char step[32] = "-", t[32];
		if (p->has_step)
			snprintf(step, sizeof step, "%lld", (long long)p->step);
		format_time(t, sizeof t, p->time_ms);
		printf("%-20s %10s %14s  %s\n", p->name, step, v, t);
	}
	m->rows++;
	return 0;
}

static int metrics_job(struct jobs_ctx *c, struct job *j, void *ud)
{
	struct metric_out *m = ud;
	struct err e = ERR_INIT;
	cJSON *o = NULL;
	int rc = 0;
	struct job_source *src = job_desk_source(&c->d, j);
	if (src && src->ops->describe_alone && (rc = refresh_job(c, j)) != 0)
		return rc;
	if (m->mode == 1) {
		o = cJSON_CreateObject();
		char *ref = job_ref(j);
		cJSON_AddStringToObject(o, "id", ref);
		free(ref);
		m->obj = cJSON_AddObjectToObject(o, "metrics");
	} else if (m->mode == 2)
		printf("name,step,value,time_ms\n");
	else
		printf("%-20s %10s %14s  %s\n", "METRIC", "STEP", "VALUE", "TIME");
	if (jobreg_points(c->s.db, j->id, 0, m->name, on_metric, m, &e) < 0)
		rc = cli_fail(CMD, "%s", e.msg);
	if (o && rc == 0)
		print_json(o);
	else
		cJSON_Delete(o);
	return rc;
}

static int cmd_metrics(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'}, {"csv", no_argument, NULL, 'c'},
		{"name", required_argument, NULL, 'n'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct metric_out m = {0};
	int opt;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
		case 'c':
			if (m.mode)
				return cli_usage_error(CMD, "give --json or --csv, not both");
			m.mode = opt == 'j' ? 1 : 2;
			break;
		case 'n': m.name = optarg; break;
		case 'h': fputs(jobs_usage, stdout); return 0;
		default: return cli_usage_error(CMD, "jobs metrics: unknown option '%s'", argv[optind - 1]);
		}
	}
	return with_one_job("metrics", argc, argv, metrics_job, &m);
}

/* ------------------------------------------------------------------ stop / rm */

static int stop_job(struct jobs_ctx *c, struct job *j, void *ud)
{
	const double *grace = ud;
	int rc = 0;
	char *ref = job_ref(j);
	if (!job_desk_source(&c->d, j))
		rc = cli_fail(CMD, "stopping %s jobs is not available in this version", j->source);
	else if (job_status_final(j->status))
		printf("%s had already ended (%s)\n", ref, job_status_name(j->status));
	else {
		struct err e = ERR_INIT;
		int r = job_desk_stop(&c->d, j, (int64_t)(*grace * 1000), &e);
		if (r == JOB_DESK_STOPPED)
			rc = 130;
		else if (r < 0)
			rc = cli_fail(CMD, "%s: %s", ref, e.msg);
		else
			printf("%s %s\n", ref, job_status_name(j->status));
	}
	free(ref);
	return rc;
}

static int cmd_stop(int argc, char **argv)
{
	static const struct option opts[] = {
		{"grace", required_argument, NULL, 'g'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	double grace = 10;
	int opt;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'g': {
			char *end;
			grace = strtod(optarg, &end);
			if (end == optarg || *end || !(grace >= 0 && grace <= 3600))
				return cli_usage_error(CMD, "--grace must be seconds from 0 to 3600, not '%s'", optarg);
			break;
		}
		case 'h': fputs(jobs_usage, stdout); return 0;
		default: return cli_usage_error(CMD, "jobs stop: unknown option '%s'", argv[optind - 1]);
		}
	}
	return with_one_job("stop", argc, argv, stop_job, &grace);
}

static int rm_job(struct jobs_ctx *c, struct job *j, void *ud)
{
	(void)ud;
	struct err e = ERR_INIT;
	int rc = 0;
	char *ref = job_ref(j);
	if (strcmp(j->source, "slurm") == 0 && job_status_final(j->status))
		slurm_remove_files(c->s.db, j);
	if (local_remove(c->s.db, j, &e) < 0)
		rc = cli_fail(CMD, "%s", e.msg);
	else
		printf("removed %s\n", ref);
	free(ref);
	return rc;
}

static int cmd_rm(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
			fputs(jobs_usage, stdout);
			return 0;
		}
		return cli_usage_error(CMD, "jobs rm takes one job ID, e.g. aiwb jobs rm local:7");
	}
	return with_job(argv[1], 0, rm_job, NULL);
}

/* ------------------------------------------------------------------ alert */

static int print_rule(void *ud, const struct jobreg_alert *a)
{
	(void)ud;
	printf("%s%s\n", a->rule, a->fired ? "  (fired)" : "");
	return 0;
}

/* ud: the canonical rule to add, or NULL to list the job's rules. */
static int alert_job(struct jobs_ctx *c, struct job *j, void *ud)
{
	const char *canon = ud;
	struct err e = ERR_INIT;
	int rc = 0;
	char *ref = job_ref(j);
	if (canon && jobreg_alert_add(c->s.db, j->id, canon, &e) < 0)
		rc = cli_fail(CMD, "%s", e.msg);
	else if (canon)
		printf("%s: alert '%s' set; 'aiwb jobs watch --alerts' fires it\n", ref, canon);
	else
		jobreg_alerts(c->s.db, j->id, print_rule, NULL, NULL);
	free(ref);
	return rc;
}

static int cmd_alert(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(jobs_usage, stdout);
		return 0;
	}
	if (argc < 2 || argc > 3)
		return cli_usage_error(CMD, "jobs alert takes a job ID and a rule in quotes, e.g. "
					    "aiwb jobs alert local:7 'loss > 2'");
	struct alert_rule r;
	struct err e = ERR_INIT;
	char canon[256] = "";
	if (argc == 3) {
		if (alert_parse(argv[2], &r, &e) < 0)
			return cli_usage_error(CMD, "%s", e.msg);
		alert_format(&r, canon, sizeof canon);
	}
	return with_job(argv[1], 0, alert_job, argc == 3 ? canon : NULL);
}

/* ------------------------------------------------------------------ watch */

struct watch {
	struct jobs_ctx *c;
	int64_t *ids;
	size_t n_ids;
	int until_done, alerts;
	struct alert_notifier *notifier;
	struct buf last;
	int exit_status, finished;
	int warned;                 /* a config rule that does not parse was named once */
	int64_t since_ms;           /* config rules apply to jobs that end from then on */
};

static void on_fire(void *ud, const struct alert_fired *a)
{
	struct watch *w = ud;
	char *msg = alert_message(a);
	printf("alert %s\n", msg);
	if (w->c->tty) {
		char *osc = alert_osc(msg);
		printf("\a%s", osc);
		free(osc);
	}
	fflush(stdout);
	const struct config *cfg = &w->c->s.cfg;
	alert_notify(w->notifier, a, msg, alert_config_exec(cfg->alerts, cfg->nalerts, a));
	free(msg);
}

static int watched(const struct watch *w, int64_t id)
{
	for (size_t i = 0; i < w->n_ids; i++)
		if (w->ids[i] == id)
			return 1;
	return 0;
}

static void on_watch_update(void *ud, struct job_source *src)
{
	struct watch *w = ud;
	struct job_list all, l = {0};
	struct err e = ERR_INIT;
	alert_notifier_reap(w->notifier);
	if (jobreg_list(w->c->s.db, NULL, -1, &all, &e) < 0) {
		fprintf(stderr, "aiwb jobs: %s\n", e.msg);
		return;
	}
	for (size_t i = 0; i < all.n; i++) {
		if (w->n_ids && !watched(w, all.v[i].id))
			continue;
		l.v = xreallocarray(l.v, l.n + 1, sizeof *l.v);
		l.v[l.n++] = all.v[i];
		memset(&all.v[i], 0, sizeof all.v[i]);
	}
	job_list_free(&all);
	struct job_tally t;
	job_tally(&l, &t);
	if (w->alerts) {
		const struct config *cfg = &w->c->s.cfg;
		if (alert_check_jobs(w->c->s.db, &l, cfg->alerts, cfg->nalerts, w->since_ms, clock_wall_ms(), on_fire, w,
				     &e) < 0 &&
		    !w->warned) {
			fprintf(stderr, "aiwb jobs: %s\n", e.msg);
			w->warned = 1;
		}
	}
	struct buf out = BUF_INIT;
	if (src->down)
		buf_printf(&out, "source %s is down: %s\n", src->ops->name, src->why ? src->why : "");
	if (l.n)
		table(w->c, &l, &out, 3);
	else
		buf_puts(&out, "no jobs\n");
	char now[32];
	format_time(now, sizeof now, clock_wall_ms());
	if (w->c->tty) {
		printf("\033[H\033[2J%s  %d running\n%s", now, t.running, buf_str(&out));
		fflush(stdout);
	} else if (w->last.len != out.len || memcmp(buf_str(&w->last), buf_str(&out), out.len) != 0) {
		printf("-- %s  %d running\n%s", now, t.running, buf_str(&out));
		fflush(stdout);
	}
	buf_reset(&w->last);
	buf_append(&w->last, buf_str(&out), out.len);
	buf_free(&out);
	if (w->until_done && t.all_final) {
		w->finished = 1;
		w->exit_status = t.exit_status;
		loop_stop(w->c->s.loop);
	}
	job_list_free(&l);
}

static int cmd_watch(int argc, char **argv)
{
	static const struct option opts[] = {
		{"until-done", no_argument, NULL, 'u'}, {"interval", required_argument, NULL, 'i'},
		{"alerts", no_argument, NULL, 'a'},     {"exec", required_argument, NULL, 'x'},
		{"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
	};
	struct watch w = {0};
	const char *exec_cmd = NULL;
	double interval = 1;
	int opt;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'u': w.until_done = 1; break;
		case 'a': w.alerts = 1; break;
		case 'x': exec_cmd = optarg; break;
		case 'i': {
			char *end;
			interval = strtod(optarg, &end);
			if (end == optarg || *end || !(interval >= 0.05 && interval <= 3600))
				return cli_usage_error(CMD, "--interval must be seconds from 0.05 to 3600, not '%s'", optarg);
			break;
		}
		case 'h': fputs(jobs_usage, stdout); return 0;
		default: return cli_usage_error(CMD, "jobs watch: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (exec_cmd && !w.alerts)
		return cli_usage_error(CMD, "--exec runs on alerts: add --alerts");
	struct jobs_ctx c;
	if (open_ctx(&c))
		return 1;
	w.c = &c;
	w.notifier = alert_notifier_new(exec_cmd, 0);
	w.since_ms = clock_wall_ms();
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		struct job j;
		if (find_job(&c, argv[i], &j)) {
			rc = 1;
			break;
		}
		w.ids = xreallocarray(w.ids, w.n_ids + 1, sizeof *w.ids);
		w.ids[w.n_ids++] = j.id;
		job_clear(&j);
	}
	if (rc == 0) {
		int64_t ms = (int64_t)(interval * 1000);
		struct job_poller *p = job_poller_new(c.s.loop, ms, ms, ms * 30 > 30000 ? ms * 30 : 30000,
						      on_watch_update, &w);
		if (c.d.slurm)
			c.d.slurm->timeout_ms = 0;
		struct job_source *all[8];
		for (size_t i = 0, n = job_desk_all(&c.d, all, 8); i < n; i++)
			job_poller_add(p, all[i]);
		loop_run(c.s.loop);
		job_poller_free(p);
		rc = stop_flag ? 130 : w.finished ? w.exit_status : 0;
	}
	alert_notifier_free(w.notifier);
	free(w.ids);
	buf_free(&w.last);
	close_ctx(&c);
	return rc;
}

/* ------------------------------------------------------------------ submit */

static int cmd_submit(int argc, char **argv)
{
	static const struct option opts[] = {
		{"slurm", no_argument, NULL, 's'},         {"partition", required_argument, NULL, 'p'},
		{"time", required_argument, NULL, 't'},    {"gpus", required_argument, NULL, 'g'},
		{"name", required_argument, NULL, 'n'},    {"metric", required_argument, NULL, 'm'},
		{"cwd", required_argument, NULL, 'C'},     {"help", no_argument, NULL, 'h'},
		{"array", required_argument, NULL, 'a'},   {NULL, 0, NULL, 0},
	};
	struct slurm_submit sub = {0};
	struct strv rules = {0};
	int slurm = 0, opt;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': slurm = 1; break;
		case 'p': sub.partition = optarg; break;
		case 't': sub.time = optarg; break;
		case 'g': {
			char *end;
			long g = strtol(optarg, &end, 10);
			if (end == optarg || *end || g < 1 || g > 1024) {
				free(rules.v);
				return cli_usage_error(CMD, "--gpus must be a whole number from 1 to 1024, not '%s'", optarg);
			}
			sub.gpus = (int)g;
			break;
		}
		case 'n': sub.name = optarg; break;
		case 'm': strv_push(&rules, optarg); break;
		case 'C': sub.cwd = optarg; break;
		case 'a': sub.array = optarg; break;
		case 'h': fputs(jobs_usage, stdout); free(rules.v); return 0;
		default:
			free(rules.v);
			return cli_usage_error(CMD, "jobs submit: unknown option or missing value near '%s'", argv[optind - 1]);
		}
	}
	if (!slurm) {
		free(rules.v);
		return cli_usage_error(CMD, "jobs submit needs a target: --slurm (local jobs: aiwb jobs run)");
	}
	if (optind >= argc) {
		free(rules.v);
		return cli_usage_error(CMD, "jobs submit needs a command after --, e.g. aiwb jobs submit --slurm -- python3 train.py");
	}
	struct metric_rules *check = metric_rules_new();
	struct err e = ERR_INIT;
	for (size_t i = 0; i < rules.n; i++)
		if (metric_rules_add(check, rules.v[i], &e) < 0) {
			metric_rules_free(check);
			free(rules.v);
			return cli_fail(CMD, "%s", e.msg);
		}
	metric_rules_free(check);
	sub.argv = argv + optind;
	struct jobs_ctx c;
	if (open_ctx(&c)) {
		free(rules.v);
		return 1;
	}
	int rc = 0;
	char cwd[4096];
	if (!sub.cwd && getcwd(cwd, sizeof cwd))
		sub.cwd = cwd;
	char *id = NULL;
	sub.rules = rules.v;
	sub.n_rules = rules.n;
	int r = job_desk_submit_slurm(&c.d, &sub, &id, &e);
	if (r == JOB_DESK_STOPPED)
		rc = 130;
	else if (r < 0)
		rc = cli_fail(CMD, "%s", e.msg);
	else
		printf("slurm:%s\n", id);
	free(id);
	free(rules.v);
	close_ctx(&c);
	return rc;
}

/* ------------------------------------------------------------------ resubmit */

struct resubmit_opts {
	int yes;  /* SageMaker: send without asking */
	int edit; /* Slurm: edit the batch script first */
};

static int resubmit_job(struct jobs_ctx *c, struct job *j, void *ud)
{
	const struct resubmit_opts *ro = ud;
	if (strcmp(j->source, "sagemaker") == 0)
		return jobs_resubmit_sagemaker(&c->d, j, ro->yes);
	if (strcmp(j->source, "slurm") != 0)
		return cli_fail(CMD, "resubmitting %s jobs is not available in this version", j->source);
	struct err e = ERR_INIT;
	char *id = NULL;
	int r = job_desk_resubmit_slurm(&c->d, j, ro->edit ? slurm_edit_script : NULL, NULL, &id, &e);
	int rc = r == JOB_DESK_STOPPED ? 130 : r < 0 ? cli_fail(CMD, "%s", e.msg) : 0;
	if (id && r == 0)
		printf("slurm:%s\n", id);
	free(id);
	return rc;
}

static int cmd_resubmit(int argc, char **argv)
{
	static const struct option opts[] = {
		{"yes", no_argument, NULL, 'y'}, {"edit", no_argument, NULL, 'e'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct resubmit_opts ro = {0};
	int opt;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "yh", opts, NULL)) != -1) {
		switch (opt) {
		case 'y': ro.yes = 1; break;
		case 'e': ro.edit = 1; break;
		case 'h': fputs(jobs_usage, stdout); return 0;
		default: return cli_usage_error(CMD, "jobs resubmit: unknown option '%s'", argv[optind - 1]);
		}
	}
	return with_one_job("resubmit", argc, argv, resubmit_job, &ro);
}

/* ------------------------------------------------------------------ dispatch */

int cmd_jobs(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} subs[] = {
		{"run", cmd_run},     {"ls", cmd_ls},     {"list", cmd_ls},   {"show", cmd_show},
		{"logs", cmd_logs},   {"metrics", cmd_metrics}, {"stop", cmd_stop}, {"rm", cmd_rm},
		{"watch", cmd_watch}, {"alert", cmd_alert},   {"submit", cmd_submit}, {"resubmit", cmd_resubmit},
	};
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		fputs(jobs_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].run(argc - 1, argv + 1);
	return cli_usage_error(CMD, "'%s' is not a jobs command (run, submit, resubmit, ls, show, logs, metrics, stop, rm, "
				     "watch, alert)",
			       argv[1]);
}
