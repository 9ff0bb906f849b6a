#include "jobs/local.h"

#include <dirent.h>
#include <ftw.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "jobs/gpu.h"
#include "jobs/ingest.h"
#include "jobs/metrics.h"
#include "jobs/registry.h"

int64_t local_proc_start(pid_t pid)
{
	if (pid <= 0)
		return -1;
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	if (!p)
		return -1;
	p++;
	/* after comm: field 3 (state) ... field 22 (starttime) is the 20th */
	for (int field = 3; field < 22; field++) {
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++;
	}
	while (*p == ' ')
		p++;
	char *end;
	long long v = strtoll(p, &end, 10);
	return end == p ? -1 : (int64_t)v;
}

int local_env_name_valid(const char *s, size_t n)
{
	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

int local_read_env_file(const char *path, char ***out, size_t *n, struct err *e)
{
	size_t len;
	char *text = path_read_file(path, &len, e);
	if (!text)
		return -1;
	int lineno = 0, rc = 0;
	char *save = NULL;
	for (char *line = text; line && rc == 0; line = save) {
		lineno++;
		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		size_t l = strlen(line);
		if (l && line[l - 1] == '\r')
			line[--l] = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		if (strncmp(line, "export ", 7) == 0)
			line += 7;
		char *eq = strchr(line, '=');
		if (!eq || !local_env_name_valid(line, (size_t)(eq - line))) {
			rc = err_set(e, "%s line %d is not KEY=VALUE with a variable name as KEY", path, lineno);
			break;
		}
		char *value = eq + 1;
		size_t vl = strlen(value);
		if (vl >= 2 && (value[0] == '"' || value[0] == '\'') && value[vl - 1] == value[0]) {
			value[vl - 1] = '\0';
			value++;
		}
		*out = xreallocarray(*out, *n + 1, sizeof **out);
		(*out)[(*n)++] = xasprintf("%.*s=%s", (int)(eq - line), line, value);
	}
	explicit_bzero(text, len);
	free(text);
	return rc;
}

/* ------------------------------------------------------------------ status file */

struct status_file {
	int64_t pid, pid_start, sup_pid, sup_start, started_ms, ended_ms;
	int has_exit, exit_code, signal, core, ended;
	char error[256];
};

/* Written by the supervisor: temp file + rename, so a reader sees all or nothing. */
static void status_write(const char *dir, const struct status_file *s)
{
	char text[768];
	int n = snprintf(text, sizeof text, "pid=%lld\npid_start=%lld\nsup_pid=%lld\nsup_start=%lld\nstarted_ms=%lld\n",
			 (long long)s->pid, (long long)s->pid_start, (long long)s->sup_pid, (long long)s->sup_start,
			 (long long)s->started_ms);
	if (s->ended) {
		n += snprintf(text + n, sizeof text - (size_t)n, "ended_ms=%lld\n", (long long)s->ended_ms);
		if (s->signal)
			n += snprintf(text + n, sizeof text - (size_t)n, "signal=%d\ncore=%d\n", s->signal, s->core);
		else
			n += snprintf(text + n, sizeof text - (size_t)n, "exit_code=%d\n", s->exit_code);
	}
	if (s->error[0])
		n += snprintf(text + n, sizeof text - (size_t)n, "error=%s\n", s->error);
	char *tmp = xasprintf("%s/status.tmp", dir), *final = xasprintf("%s/status", dir);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		int ok = path_write_all(fd, text, (size_t)n) == 0 && fsync(fd) == 0;
		close(fd);
		if (ok)
			rename(tmp, final);
	}
	free(tmp);
	free(final);
}

/* 1 read, 0 no file yet. */
static int status_read(const char *dir, struct status_file *s)
{
	memset(s, 0, sizeof *s);
	char path[PATH_MAX], text[1024];
	snprintf(path, sizeof path, "%s/status", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n < 0)
		return 0;
	text[n] = '\0';
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		const char *v = eq + 1;
		long long num = strtoll(v, NULL, 10);
		if (strcmp(line, "pid") == 0)
			s->pid = num;
		else if (strcmp(line, "pid_start") == 0)
			s->pid_start = num;
		else if (strcmp(line, "sup_pid") == 0)
			s->sup_pid = num;
		else if (strcmp(line, "sup_start") == 0)
			s->sup_start = num;
		else if (strcmp(line, "started_ms") == 0)
			s->started_ms = num;
		else if (strcmp(line, "ended_ms") == 0) {
			s->ended_ms = num;
			s->ended = 1;
		} else if (strcmp(line, "exit_code") == 0) {
			s->exit_code = (int)num;
			s->has_exit = 1;
		} else if (strcmp(line, "signal") == 0)
			s->signal = (int)num;
		else if (strcmp(line, "core") == 0)
			s->core = (int)num;
		else if (strcmp(line, "error") == 0)
			snprintf(s->error, sizeof s->error, "%s", v);
	}
	return 1;
}

/* ------------------------------------------------------------------ supervisor */

static void close_from(int lowest, int keep)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d) {
		for (int fd = lowest; fd < 1024; fd++)
			if (fd != keep)
				close(fd);
		return;
	}
	int dfd = dirfd(d);
	int fds[1024], n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < 1024) {
		int fd = atoi(de->d_name);
		if (de->d_name[0] >= '0' && de->d_name[0] <= '9' && fd >= lowest && fd != keep && fd != dfd)
			fds[n++] = fd;
	}
	closedir(d);
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

static void report(int fd, const char *msg)
{
	path_write_all(fd, msg, strlen(msg));
}

static void exec_job(const struct local_spec *spec, const char *log_path, int err_fd, char **env_extra, size_t n_extra)
{
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setpgid(0, 0);
	int in = open("/dev/null", O_RDONLY);
	int out = open(log_path, O_WRONLY | O_APPEND | O_CREAT, 0600);
	if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		goto fail;
	if (in > 2)
		close(in);
	if (out > 2)
		close(out);
	if (spec->cwd && chdir(spec->cwd) < 0)
		goto fail;
	for (size_t i = 0; i < n_extra; i++)
		putenv(env_extra[i]);
	execvp(spec->argv[0], spec->argv);
fail:;
	int code = errno;
	path_write_all(err_fd, (const char *)&code, sizeof code);
	_exit(127);
}

static volatile sig_atomic_t gpu_due;

static void on_gpu_timer(int sig)
{
	(void)sig;
	gpu_due = 1;
}

/* Every GPU_SAMPLE_MS (AIWB_GPU_INTERVAL_MS in tests) while nvidia-smi is
 * there: a SIGALRM that interrupts the supervisor's waitpid. */
static int gpu_timer_start(void)
{
	if (!gpu_available())
		return 0;
	long ms = GPU_SAMPLE_MS;
	const char *env = getenv("AIWB_GPU_INTERVAL_MS");
	if (env && atol(env) >= 100)
		ms = atol(env);
	struct sigaction sa = {0};
	sa.sa_handler = on_gpu_timer; /* no SA_RESTART: waitpid returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{ms / 1000, (ms % 1000) * 1000}, {ms / 1000, (ms % 1000) * 1000}};
	return setitimer(ITIMER_REAL, &it, NULL) == 0;
}

static void gpu_timer_stop(void)
{
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
}

/* Appends the job's GPU use to DIR/gpu.jsonl, with SIGALRM held off while
 * nvidia-smi runs. */
static void gpu_record(const char *dir, pid_t job)
{
	sigset_t alrm, old;
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	sigprocmask(SIG_BLOCK, &alrm, &old);
	char line[256];
	if (gpu_sample(job, line, sizeof line) == 0) {
		char *path = path_join(dir, "gpu.jsonl");
		int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0) {
			path_write_all(fd, line, strlen(line));
			close(fd);
		}
		free(path);
	}
	gpu_due = 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void run_supervisor(const struct local_spec *spec, const char *dir, const char *log_path, int report_fd,
			   char **env_extra, size_t n_extra)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	int nul = open("/dev/null", O_RDWR);
	if (nul >= 0) {
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
		if (nul > 2)
			close(nul);
	}
	int ep[2];
	if (pipe2(ep, O_CLOEXEC) < 0) {
		report(report_fd, "error cannot create a pipe\n");
		_exit(1);
	}
	struct status_file s = {0};
	s.sup_pid = getpid();
	s.sup_start = local_proc_start(getpid());
	s.started_ms = clock_wall_ms();
	pid_t job = fork();
	if (job < 0) {
		report(report_fd, "error cannot fork the job\n");
		_exit(1);
	}
	if (job == 0) {
		close(ep[0]);
		close(report_fd);
		exec_job(spec, log_path, ep[1], env_extra, n_extra);
	}
	setpgid(job, job); /* also done by the job itself: whichever runs first */
	close(ep[1]);
	s.pid = job;
	s.pid_start = local_proc_start(job);
	int code = 0;
	ssize_t got;
	do
		got = read(ep[0], &code, sizeof code);
	while (got < 0 && errno == EINTR);
	close(ep[0]);
	if (got == (ssize_t)sizeof code)
		snprintf(s.error, sizeof s.error, "cannot run %s: %s", spec->argv[0], strerror(code));
	status_write(dir, &s);
	char msg[256];
	snprintf(msg, sizeof msg, "ok %lld %lld %lld %lld %lld\n", (long long)s.pid, (long long)s.pid_start,
		 (long long)s.sup_pid, (long long)s.sup_start, (long long)s.started_ms);
	report(report_fd, msg);
	close(report_fd);
	int gpu = !s.error[0] && gpu_timer_start();
	for (;;) {
		int st;
		pid_t w = waitpid(-1, &st, 0);
		if (w < 0) {
			if (errno == EINTR) {
				if (gpu_due && !s.ended)
					gpu_record(dir, job);
				continue;
			}
			break; /* ECHILD: the job and every orphan it left are gone */
		}
		if (w != job)
			continue;
		if (gpu)
			gpu_timer_stop();
		gpu = 0;
		s.ended = 1;
		s.ended_ms = clock_wall_ms();
		if (WIFSIGNALED(st)) {
			s.signal = WTERMSIG(st);
			s.core = WCOREDUMP(st) ? 1 : 0;
		} else
			s.exit_code = WEXITSTATUS(st);
		status_write(dir, &s);
	}
	_exit(0);
}

/* ------------------------------------------------------------------ start */

static void quote_arg(struct buf *b, const char *a)
{
	int plain = *a != '\0';
	for (const char *p = a; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=./:,@%", *p))
			plain = 0;
	if (plain) {
		buf_puts(b, a);
		return;
	}
	buf_putc(b, '\'');
	for (const char *p = a; *p; p++) {
		if (*p == '\'')
			buf_puts(b, "'\\''");
		else
			buf_putc(b, *p);
	}
	buf_putc(b, '\'');
}

static char *default_name(char *const *argv)
{
	const char *pick = argv[0];
	const char *base = strrchr(pick, '/');
	base = base ? base + 1 : pick;
	/* an interpreter runs a script: name the job after the script */
	if (argv[1] && (strncmp(base, "python", 6) == 0 || strcmp(base, "sh") == 0 || strcmp(base, "bash") == 0 ||
			strcmp(base, "node") == 0 || strcmp(base, "Rscript") == 0 || strcmp(base, "julia") == 0) &&
	    argv[1][0] != '-') {
		pick = argv[1];
		base = strrchr(pick, '/');
		base = base ? base + 1 : pick;
	}
	return xstrndup(base, 64);
}

static int read_report(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == cap - 1 || memchr(buf, '\n', n))
			break;
	}
	buf[n] = '\0';
	return (int)n;
}

int local_start(struct db *db, const struct local_spec *spec, struct job *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	if (!spec->argv || !spec->argv[0] || !spec->argv[0][0])
		return err_set(e, "no command to run: put it after --, e.g. aiwb jobs run -- python3 train.py");
	char cwd[PATH_MAX];
	if (spec->cwd) {
		if (!realpath(spec->cwd, cwd) || !path_is_dir(cwd))
			return err_errno(e, "--cwd %s is not a directory", spec->cwd);
	} else if (!getcwd(cwd, sizeof cwd))
		return err_errno(e, "cannot read the current directory");
	char logdir[PATH_MAX] = "";
	if (spec->logdir && !realpath(spec->logdir, logdir)) {
		/* the job may create it later: keep the path, made absolute */
		char *abs = spec->logdir[0] == '/' ? xstrdup(spec->logdir) : path_join(cwd, spec->logdir);
		int fits = strlen(abs) < sizeof logdir;
		if (fits)
			memcpy(logdir, abs, strlen(abs) + 1);
		free(abs);
		if (!fits)
			return err_set(e, "--logdir %s is too long", spec->logdir);
	}
	struct metric_rules *rules = metric_rules_new();
	struct buf rules_text = BUF_INIT, names = BUF_INIT, cmd = BUF_INIT;
	char **env = NULL;
	size_t n_env = 0;
	int rc = -1;
	for (size_t i = 0; i < spec->n_rules; i++) {
		if (metric_rules_add(rules, spec->rules[i], e) < 0)
			goto out;
		buf_printf(&rules_text, "%s%s", i ? "\n" : "", spec->rules[i]);
	}
	for (size_t i = 0; i < spec->n_env; i++) {
		const char *eq = strchr(spec->env[i], '=');
		if (!eq || !local_env_name_valid(spec->env[i], (size_t)(eq - spec->env[i]))) {
			err_set(e, "--env needs NAME=VALUE with a variable name (letters, digits, _), got a value without one");
			goto out;
		}
		env = xreallocarray(env, n_env + 1, sizeof *env);
		env[n_env++] = xstrdup(spec->env[i]);
	}
	if (spec->env_file && local_read_env_file(spec->env_file, &env, &n_env, e) < 0)
		goto out;
	for (size_t i = 0; i < n_env; i++)
		buf_printf(&names, "%s%.*s", i ? "," : "", (int)(strchr(env[i], '=') - env[i]), env[i]);
	for (char *const *a = spec->argv; *a; a++) {
		if (a != spec->argv)
			buf_putc(&cmd, ' ');
		quote_arg(&cmd, *a);
	}
	char *jobs_dir = path_join(path_data_home(), "jobs");
	int mk = path_mkdirs(jobs_dir, 0700, e);
	if (mk < 0) {
		free(jobs_dir);
		goto out;
	}
	struct job j = {0};
	j.source = xstrdup(spec->source ? spec->source : "local");
	j.name = spec->name ? xstrdup(spec->name) : default_name(spec->argv);
	j.status = JOB_STARTING;
	j.raw_state = xstrdup("starting");
	j.submit_ms = clock_wall_ms();
	j.command = buf_detach(&cmd);
	j.cwd = xstrdup(cwd);
	j.env_names = n_env ? buf_detach(&names) : NULL;
	j.rules = spec->n_rules ? buf_detach(&rules_text) : NULL;
	j.logdir = logdir[0] ? xstrdup(logdir) : NULL;
	if (jobreg_insert(db, &j, e) < 0) {
		free(jobs_dir);
		job_clear(&j);
		goto out;
	}
	j.dir = path_join(jobs_dir, j.ext_id);
	free(jobs_dir);
	j.log_path = path_join(j.dir, "output.log");
	if (mkdir(j.dir, 0700) < 0) {
		err_errno(e, "cannot create %s", j.dir);
		jobreg_delete(db, j.id, NULL);
		job_clear(&j);
		goto out;
	}
	int lf = open(j.log_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (lf >= 0)
		close(lf);
	char *env_id = xasprintf("AIWB_JOB_ID=%s:%s", j.source, j.ext_id), *env_dir = xasprintf("AIWB_JOB_DIR=%s", j.dir);
	env = xreallocarray(env, n_env + 3, sizeof *env);
	memmove(env + 3, env, n_env * sizeof *env); /* user values win */
	env[0] = xstrdup("PYTHONUNBUFFERED=1");
	env[1] = env_id;
	env[2] = env_dir;
	n_env += 3;

	struct local_spec child = *spec;
	child.cwd = cwd;
	int rp[2];
	if (pipe2(rp, O_CLOEXEC) < 0) {
		err_errno(e, "cannot create a pipe");
		goto fail_job;
	}
	pid_t first = fork();
	if (first < 0) {
		err_errno(e, "cannot fork");
		close(rp[0]);
		close(rp[1]);
		goto fail_job;
	}
	if (first == 0) {
		close(rp[0]);
		close_from(3, rp[1]);
		setsid();
		pid_t sup = fork();
		if (sup == 0)
			run_supervisor(&child, j.dir, j.log_path, rp[1], env, n_env);
		_exit(sup < 0 ? 1 : 0);
	}
	close(rp[1]);
	int st;
	while (waitpid(first, &st, 0) < 0 && errno == EINTR)
		;
	char msg[256];
	read_report(rp[0], msg, sizeof msg);
	close(rp[0]);
	long long pid, pid_start, sup_pid, sup_start, started;
	if (sscanf(msg, "ok %lld %lld %lld %lld %lld", &pid, &pid_start, &sup_pid, &sup_start, &started) != 5) {
		msg[strcspn(msg, "\n")] = '\0';
		err_set(e, "the job's supervisor did not start (%s)", msg[0] ? msg + (strncmp(msg, "error ", 6) ? 0 : 6)
									 : "no answer");
		goto fail_job;
	}
	j.pid = pid;
	j.pid_start = pid_start;
	j.sup_pid = sup_pid;
	j.sup_start = sup_start;
	j.start_ms = started;
	j.status = JOB_RUNNING;
	free(j.raw_state);
	j.raw_state = xstrdup("running");
	if (jobreg_update(db, &j, e) < 0)
		goto fail_job;
	local_sync(db, &j, NULL); /* an exec failure is already recorded */
	*out = j;
	rc = 0;
	goto out;
fail_job:
	j.status = JOB_FAILED;
	free(j.raw_state);
	j.raw_state = xstrdup("not started");
	j.reason = xstrdup(err_msg(e));
	j.end_ms = clock_wall_ms();
	jobreg_update(db, &j, NULL);
	job_clear(&j);
out:
	for (size_t i = 0; i < n_env; i++) {
		explicit_bzero(env[i], strlen(env[i]));
		free(env[i]);
	}
	free(env);
	metric_rules_free(rules);
	buf_free(&rules_text);
	buf_free(&names);
	buf_free(&cmd);
	return rc;
}

/* ------------------------------------------------------------------ sync */

static void set_str(char **dst, const char *v)
{
	if (*dst && v && strcmp(*dst, v) == 0)
		return;
	free(*dst);
	*dst = v ? xstrdup(v) : NULL;
}

static void map_status(struct job *j, const struct status_file *s, int have_file)
{
	char raw[64];
	if (have_file && s->ended) {
		j->end_ms = s->ended_ms;
		j->has_exit = !s->signal && s->has_exit;
		j->exit_code = s->has_exit ? s->exit_code : 0;
		j->signal = s->signal;
		if (s->signal) {
			const char *n = job_signal_name(s->signal);
			snprintf(raw, sizeof raw, "signal %d%s%s%s", s->signal, n ? " (SIG" : "", n ? n : "", n ? ")" : "");
		} else
			snprintf(raw, sizeof raw, "exit %d", s->exit_code);
		set_str(&j->raw_state, raw);
		if (j->stop_requested) {
			j->status = JOB_STOPPED;
			set_str(&j->reason, "stopped with aiwb jobs stop");
		} else if (s->error[0]) {
			j->status = JOB_FAILED;
			set_str(&j->reason, s->error);
		} else if (!s->signal && s->exit_code == 0) {
			j->status = JOB_COMPLETED;
			set_str(&j->reason, NULL);
		} else {
			j->status = JOB_FAILED;
			char why[96];
			if (s->signal) {
				const char *n = job_signal_name(s->signal);
				snprintf(why, sizeof why, "killed by signal %d%s%s%s%s", s->signal, n ? " (SIG" : "",
					 n ? n : "", n ? ")" : "", s->core ? ", core dumped" : "");
			} else
				snprintf(why, sizeof why, "exited with status %d", s->exit_code);
			set_str(&j->reason, why);
		}
		return;
	}
	if (have_file && s->pid > 0) {
		j->pid = s->pid;
		j->pid_start = s->pid_start;
		j->sup_pid = s->sup_pid;
		j->sup_start = s->sup_start;
		if (!j->start_ms)
			j->start_ms = s->started_ms;
	}
	int job_alive = j->pid > 0 && local_proc_start((pid_t)j->pid) == j->pid_start;
	int sup_alive = !job_alive && j->sup_pid > 0 && local_proc_start((pid_t)j->sup_pid) == j->sup_start;
	if (job_alive || sup_alive) {
		j->status = j->stop_requested ? JOB_STOPPING : JOB_RUNNING;
		set_str(&j->raw_state, job_alive ? "running" : "ending");
		return;
	}
	if (!have_file && j->status == JOB_STARTING && clock_wall_ms() - j->submit_ms < 30000)
		return; /* the supervisor is still on its way */
	j->status = JOB_LOST;
	set_str(&j->raw_state, "gone");
	set_str(&j->reason, "the job and its supervisor are gone without recording an exit "
			    "(killed supervisor, reboot, or the pid now belongs to another process)");
	if (!j->end_ms)
		j->end_ms = clock_wall_ms();
}

int local_ingest(struct db *db, struct job *j, struct err *e)
{
	struct stat st;
	int64_t log_size = j->log_path && stat(j->log_path, &st) == 0 ? (int64_t)st.st_size : 0;
	int64_t offset = j->log_offset, activity = j->activity_ms;
	if (log_size < j->log_offset)
		j->log_offset = 0; /* the file was replaced */
	struct jobreg_inserter w = {.db = db};
	int points = job_ingest_files(&w, j, log_size > j->log_offset, job_status_final(j->status));
	jobreg_inserter_done(&w);
	if (points < 0)
		return err_set(e, "metric points of %s:%s could not be saved", j->source, j->ext_id);
	return offset != j->log_offset || activity != j->activity_ms ? jobreg_update_read(db, j, e) : 0;
}

static int same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Brings j up to date inside the caller's transaction; writes only what changed. */
static int sync_job(struct db *db, struct job *j, struct jobreg_inserter *w, struct err *e)
{
	struct stat st;
	int64_t log_size = j->log_path && stat(j->log_path, &st) == 0 ? (int64_t)st.st_size : 0;
	if (job_status_final(j->status) && j->log_offset >= log_size)
		return 0;
	struct job before = *j;
	char *raw_before = j->raw_state ? xstrdup(j->raw_state) : NULL;
	char *reason_before = j->reason ? xstrdup(j->reason) : NULL;
	struct status_file s;
	int have = j->dir ? status_read(j->dir, &s) : 0;
	if (!job_status_final(j->status))
		map_status(j, &s, have);
	int final = job_status_final(j->status);
	int points = job_ingest_files(w, j, log_size > j->log_offset || (final && j->log_offset < log_size), final);
	int changed = points != 0 || before.status != j->status || before.end_ms != j->end_ms ||
		      before.has_exit != j->has_exit || before.exit_code != j->exit_code || before.signal != j->signal ||
		      before.pid != j->pid || before.pid_start != j->pid_start || before.sup_pid != j->sup_pid ||
		      before.start_ms != j->start_ms || before.log_offset != j->log_offset ||
		      before.activity_ms != j->activity_ms || !same_str(raw_before, j->raw_state) ||
		      !same_str(reason_before, j->reason);
	free(raw_before);
	free(reason_before);
	if (points < 0)
		return err_set(e, "metric points of %s:%s could not be saved", j->source, j->ext_id);
	return changed ? jobreg_update_read(db, j, e) : 0;
}

int local_supervised(const char *source)
{
	return source && (strcmp(source, "local") == 0 || strcmp(source, "drift") == 0);
}

int local_sync(struct db *db, struct job *j, struct err *e)
{
	if (!local_supervised(j->source))
		return 0;
	if (jobreg_begin(db, e) < 0)
		return -1;
	struct job now; /* j as stored now: another process may have read its log since */
	int found = jobreg_get(db, j->id, &now, e);
	if (found <= 0) {
		db_exec(db, "ROLLBACK", NULL);
		return found;
	}
	job_clear(j);
	*j = now;
	struct jobreg_inserter w = {.db = db};
	int rc = sync_job(db, j, &w, e);
	jobreg_inserter_done(&w);
	if (rc < 0) {
		db_exec(db, "ROLLBACK", NULL);
		return -1;
	}
	return jobreg_commit(db, e);
}

int local_sync_all(struct db *db, int *active, struct err *e)
{
	int a = 0, b = 0;
	int rc = local_sync_source(db, "local", &a, e);
	if (rc == 0)
		rc = local_sync_source(db, "drift", &b, e);
	if (active)
		*active = a + b;
	return rc;
}

int local_sync_source(struct db *db, const char *source, int *active, struct err *e)
{
	struct job_list l;
	int n_active = 0, rc = 0;
	if (jobreg_begin(db, e) < 0)
		return -1;
	if (jobreg_list(db, source, -1, &l, e) < 0) {
		db_exec(db, "ROLLBACK", NULL);
		return -1;
	}
	struct jobreg_inserter w = {.db = db};
	for (size_t i = 0; i < l.n; i++) {
		if (sync_job(db, &l.v[i], &w, e) < 0)
			rc = -1;
		n_active += !job_status_final(l.v[i].status);
	}
	jobreg_inserter_done(&w);
	job_list_free(&l);
	if (rc < 0)
		db_exec(db, "ROLLBACK", NULL);
	else if (jobreg_commit(db, e) < 0)
		rc = -1;
	if (active)
		*active = n_active;
	return rc;
}

int64_t local_log_read(const struct job *j, int64_t offset, struct buf *out, struct err *e)
{
	if (!j->log_path)
		return err_set(e, "%s:%s has no log", j->source, j->ext_id);
	size_t len;
	struct stat st;
	char *data = job_file_read(j->log_path, offset, &len, &st);
	if (!data) {
		if (errno == ENOENT)
			return offset;
		return err_errno(e, "cannot read %s", j->log_path);
	}
	buf_append(out, data, len);
	free(data);
	return offset + (int64_t)len;
}

int local_group_alive(const struct job *j)
{
	if (j->pid <= 0)
		return 0;
	return kill(-(pid_t)j->pid, 0) == 0 || errno == EPERM;
}

int local_signal(struct db *db, struct job *j, int sig, struct err *e)
{
	int job_is_ours = j->pid > 0 && local_proc_start((pid_t)j->pid) == j->pid_start;
	int sup_is_ours = j->sup_pid > 0 && local_proc_start((pid_t)j->sup_pid) == j->sup_start;
	if (!job_is_ours && !sup_is_ours)
		return 0; /* the group's id may belong to someone else now */
	if (!local_group_alive(j))
		return 0;
	if ((!j->stop_requested || j->status != JOB_STOPPING) && jobreg_request_stop(db, j, 1, e) < 0)
		return -1;
	if (kill(-(pid_t)j->pid, sig) < 0 && errno != ESRCH)
		return err_errno(e, "cannot signal the process group of %s:%s", j->source, j->ext_id);
	return 1;
}

/* ------------------------------------------------------------------ source ops */

static void local_list(struct job_source *src, job_done_fn done, void *ud)
{
	struct err e = ERR_INIT;
	int active = 0;
	int rc = local_sync_source(src->db, src->ops->name, &active, &e);
	src->active = active;
	done(ud, rc == 0, rc == 0 ? NULL : e.msg);
}

static void local_describe(struct job_source *src, struct job *j, job_done_fn done, void *ud)
{
	struct err e = ERR_INIT;
	int rc = local_sync(src->db, j, &e);
	done(ud, rc == 0, rc == 0 ? NULL : e.msg);
}

static int64_t local_logs(struct job_source *src, const struct job *j, int64_t offset, struct buf *out, struct err *e)
{
	(void)src;
	return local_log_read(j, offset, out, e);
}

struct stop_op {
	struct job_source *src;
	struct job job;
	int64_t deadline_ms, kill_deadline_ms;
	int killed;
	job_done_fn done;
	void *ud;
};

static int64_t stop_tick(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct stop_op *op = ud;
	struct err e = ERR_INIT;
	int64_t now = clock_ms();
	if (!local_group_alive(&op->job)) {
		local_sync(op->src->db, &op->job, &e);
		struct status_file s;
		if (job_status_final(op->job.status) || !status_read(op->job.dir, &s) || s.ended ||
		    now > op->kill_deadline_ms) {
			op->done(op->ud, 1, NULL);
			job_clear(&op->job);
			free(op);
			return LOOP_TIMER_DONE;
		}
		return 20;
	}
	if (!op->killed && now >= op->deadline_ms) {
		op->killed = 1;
		local_signal(op->src->db, &op->job, SIGKILL, &e);
		op->kill_deadline_ms = now + 10000;
	} else if (op->killed && now > op->kill_deadline_ms) {
		op->done(op->ud, 0, "processes of the job's group are still there 10 s after SIGKILL");
		job_clear(&op->job);
		free(op);
		return LOOP_TIMER_DONE;
	}
	return 20;
}

static void local_stop(struct job_source *src, struct job *j, job_done_fn done, void *ud)
{
	struct err e = ERR_INIT;
	int r = local_signal(src->db, j, SIGTERM, &e);
	if (r < 0) {
		done(ud, 0, e.msg);
		return;
	}
	struct stop_op *op = xcalloc(1, sizeof *op);
	op->src = src;
	jobreg_get(src->db, j->id, &op->job, NULL);
	int64_t grace = src->stop_grace_ms > 0 ? src->stop_grace_ms : 10000;
	op->deadline_ms = clock_ms() + grace;
	op->kill_deadline_ms = clock_ms() + grace + 10000;
	op->done = done;
	op->ud = ud;
	loop_add_timer(src->loop, 0, stop_tick, op);
}

static void local_free(struct job_source *src)
{
	free(src->why);
	free(src);
}

static const struct job_source_ops local_ops = {
	.name = "local",
	.list = local_list,
	.describe = local_describe,
	.logs = local_logs,
	.stop = local_stop,
	.free = local_free,
};

static const struct job_source_ops drift_ops = {
	.name = "drift",
	.list = local_list,
	.describe = local_describe,
	.logs = local_logs,
	.stop = local_stop,
	.free = local_free,
};

struct job_source *local_source_new(struct db *db, struct loop *loop)
{
	return local_source_named(db, loop, "local");
}

struct job_source *local_source_named(struct db *db, struct loop *loop, const char *source)
{
	struct job_source *src = xcalloc(1, sizeof *src);
	src->ops = strcmp(source, "drift") == 0 ? &drift_ops : &local_ops;
	src->db = db;
	src->loop = loop;
	return src;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

int local_remove(struct db *db, struct job *j, struct err *e)
{
	if (!job_status_final(j->status))
		return err_set(e, "%s:%s is %s; stop it first with aiwb jobs stop", j->source, j->ext_id,
			       job_status_name(j->status));
	if (j->dir) {
		char *jobs_dir = path_join(path_data_home(), "jobs");
		size_t n = strlen(jobs_dir);
		int inside = strncmp(j->dir, jobs_dir, n) == 0 && j->dir[n] == '/' && !strstr(j->dir + n, "/..");
		free(jobs_dir);
		if (inside && path_exists(j->dir) && nftw(j->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
			return err_errno(e, "cannot delete %s", j->dir);
	}
	return jobreg_delete(db, j->id, e);
}
