#include "base/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/xmalloc.h"

struct proc {
	struct loop *loop;
	pid_t pid;
	int out_fd, err_fd, exec_fd;
	struct buf out, err;
	int exec_errno, truncated;
	size_t max_out;
	int64_t deadline_ms, timer;
	int timed_out;
	char *name;
	proc_done_fn done;
	void *ud;
};

static void finish(struct proc *p, int status)
{
	struct proc_result r = {.started = 1, .out = &p->out, .err = &p->err};
	char why[512] = "";
	if (p->exec_errno) {
		r.started = 0;
		snprintf(why, sizeof why, "cannot run %s: %s", p->name, strerror(p->exec_errno));
	} else if (WIFEXITED(status)) {
		r.exited = 1;
		r.code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status))
		r.signal = WTERMSIG(status);
	r.timed_out = p->timed_out;
	r.truncated = p->truncated;
	if (p->timed_out)
		snprintf(why, sizeof why, "%s did not finish in time and was stopped", p->name);
	r.why = why[0] ? why : NULL;
	p->done(p->ud, &r);
	buf_free(&p->out);
	buf_free(&p->err);
	free(p->name);
	free(p);
}

static void close_fd(struct proc *p, int *fd)
{
	if (*fd < 0)
		return;
	loop_del_fd(p->loop, *fd);
	close(*fd);
	*fd = -1;
}

static void check_done(struct proc *p);

/* The child and whatever it started (its own process group) are killed; what
 * they wrote so far is kept, and nobody waits for their pipes any more. */
static void kill_group(struct proc *p)
{
	p->timed_out = 1;
	kill(-p->pid, SIGKILL);
	kill(p->pid, SIGKILL);
}

static int64_t reap_tick(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct proc *p = ud;
	int status = 0;
	pid_t w = waitpid(p->pid, &status, WNOHANG);
	if (w == 0) {
		if (!p->timed_out && clock_ms() > p->deadline_ms)
			kill_group(p);
		return 5;
	}
	p->timer = 0;
	finish(p, w < 0 ? 0 : status);
	return LOOP_TIMER_DONE;
}

static void check_done(struct proc *p)
{
	if (p->out_fd >= 0 || p->err_fd >= 0 || p->exec_fd >= 0)
		return;
	loop_del_timer(p->loop, p->timer);
	p->timer = loop_add_timer(p->loop, 0, reap_tick, p);
}

static void on_readable(struct loop *l, int fd, unsigned events, void *ud)
{
	(void)events;
	struct proc *p = ud;
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n > 0) {
			if (fd == p->exec_fd) {
				if ((size_t)n >= sizeof(int))
					memcpy(&p->exec_errno, chunk, sizeof(int));
				continue;
			}
			struct buf *b = fd == p->out_fd ? &p->out : &p->err;
			if (b->len + (size_t)n <= p->max_out)
				buf_append(b, chunk, (size_t)n);
			else
				p->truncated = 1;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		break; /* EOF or error */
	}
	loop_del_fd(l, fd);
	close(fd);
	if (fd == p->out_fd)
		p->out_fd = -1;
	else if (fd == p->err_fd)
		p->err_fd = -1;
	else
		p->exec_fd = -1;
	check_done(p);
}

static int64_t timeout_tick(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct proc *p = ud;
	int64_t left = p->deadline_ms - clock_ms();
	if (left > 0)
		return left;
	p->timer = 0;
	kill_group(p);
	close_fd(p, &p->out_fd);
	close_fd(p, &p->err_fd);
	close_fd(p, &p->exec_fd);
	check_done(p);
	return LOOP_TIMER_DONE;
}

struct proc *proc_start(struct loop *l, char *const argv[], int64_t timeout_ms, proc_done_fn done, void *ud)
{
	int out[2], err[2], ex[2];
	if (pipe2(out, O_CLOEXEC) < 0)
		return NULL;
	if (pipe2(err, O_CLOEXEC) < 0) {
		int saved = errno;
		close(out[0]);
		close(out[1]);
		errno = saved;
		return NULL;
	}
	if (pipe2(ex, O_CLOEXEC) < 0) {
		int saved = errno;
		close(out[0]);
		close(out[1]);
		close(err[0]);
		close(err[1]);
		errno = saved;
		return NULL;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int saved = errno;
		for (int i = 0; i < 2; i++) {
			close(out[i]);
			close(err[i]);
			close(ex[i]);
		}
		errno = saved;
		return NULL;
	}
	if (pid == 0) {
		setpgid(0, 0);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (int s = 1; s < NSIG; s++)
			signal(s, SIG_DFL);
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execvp(argv[0], argv);
		int code = errno;
		if (write(ex[1], &code, sizeof code) < 0)
			_exit(127);
		_exit(127);
	}
	setpgid(pid, pid);
	close(out[1]);
	close(err[1]);
	close(ex[1]);
	struct proc *p = xcalloc(1, sizeof *p);
	p->loop = l;
	p->pid = pid;
	p->out_fd = out[0];
	p->err_fd = err[0];
	p->exec_fd = ex[0];
	p->name = xstrdup(argv[0]);
	p->done = done;
	p->ud = ud;
	p->max_out = PROC_OUTPUT_MAX;
	p->deadline_ms = clock_ms() + (timeout_ms > 0 ? timeout_ms : 30000);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	fcntl(ex[0], F_SETFL, O_NONBLOCK);
	loop_add_fd(l, out[0], LOOP_READ, on_readable, p);
	loop_add_fd(l, err[0], LOOP_READ, on_readable, p);
	loop_add_fd(l, ex[0], LOOP_READ, on_readable, p);
	p->timer = loop_add_timer(l, p->deadline_ms - clock_ms(), timeout_tick, p); /* once, at the deadline */
	return p;
}

int proc_run(struct loop *l, char *const argv[], int64_t timeout_ms, proc_done_fn done, void *ud)
{
	return proc_start(l, argv, timeout_ms, done, ud) ? 0 : -1;
}

void proc_cancel(struct proc *p)
{
	if (!p)
		return;
	kill(-p->pid, SIGKILL);
	kill(p->pid, SIGKILL);
	close_fd(p, &p->out_fd);
	close_fd(p, &p->err_fd);
	close_fd(p, &p->exec_fd);
	if (p->timer)
		loop_del_timer(p->loop, p->timer);
	while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
		;
	buf_free(&p->out);
	buf_free(&p->err);
	free(p->name);
	free(p);
}

struct capture {
	struct loop *loop;
	struct proc_output *o;
};

static void captured(void *ud, const struct proc_result *r)
{
	struct capture *c = ud;
	struct proc_output *o = c->o;
	o->started = r->started;
	o->exited = r->exited;
	o->code = r->code;
	o->signal = r->signal;
	o->timed_out = r->timed_out;
	o->truncated = r->truncated;
	buf_append(&o->out, r->out->data ? r->out->data : "", r->out->len);
	buf_append(&o->err, r->err->data ? r->err->data : "", r->err->len);
	snprintf(o->why, sizeof o->why, "%s", r->why ? r->why : "");
	loop_stop(c->loop);
}

int proc_capture(char *const argv[], int64_t timeout_ms, size_t max_out, struct proc_output *o)
{
	memset(o, 0, sizeof *o);
	struct capture c = { loop_new(), o };
	struct proc *p = proc_start(c.loop, argv, timeout_ms, captured, &c);
	if (!p) {
		snprintf(o->why, sizeof o->why, "cannot run %s: %s", argv[0], strerror(errno));
		loop_free(c.loop);
		return -1;
	}
	p->max_out = max_out;
	loop_run(c.loop);
	loop_free(c.loop);
	return 0;
}

void proc_output_free(struct proc_output *o)
{
	buf_free(&o->out);
	buf_free(&o->err);
}
