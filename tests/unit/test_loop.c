#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/xmalloc.h"
#include "loop.h"

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Runs passes until *flag is set or limit_ms of wall time passed; returns the elapsed ms. */
static int64_t run_until(struct loop *l, const int *flag, int max_wait_ms, int64_t limit_ms)
{
	int64_t start = clock_ms();
	while (!*flag && clock_ms() - start < limit_ms)
		loop_run_once(l, max_wait_ms);
	return clock_ms() - start;
}

static void run_for(struct loop *l, int64_t ms)
{
	int64_t start = clock_ms();
	while (clock_ms() - start < ms)
		loop_run_once(l, 20);
}

static void make_pipe(int fds[2])
{
	assert_int_equal(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
}

static void close_pipe(int fds[2])
{
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
}

/* Forks a child that sleeps, then writes one byte to fd (fd >= 0) or sends signo to us. */
static pid_t child_after(int ms, int fd, int signo)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sleep_ms(ms);
		if (fd >= 0) {
			ssize_t w = write(fd, "x", 1);
			(void)w;
		}
		if (signo)
			kill(parent, signo);
		_exit(0);
	}
	return pid;
}

static void reap(pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

/* ---- timers ---- */

struct timer_log {
	int calls;
	int64_t first_at_ms;
	int64_t last_id;
	int64_t repeat_ms;
	int repeat_until;
	int order[8];
	int norder;
	int tag;
	struct timer_log *shared;
	int64_t victim;
	int hook_calls_seen;
	int *hook_calls;
};

static int64_t count_once(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	struct timer_log *t = ud;
	if (!t->calls++)
		t->first_at_ms = clock_ms();
	t->last_id = id;
	return LOOP_TIMER_DONE;
}

static void test_timer_fires_after_its_delay(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct timer_log t = {0};
	int64_t start = clock_ms();
	int64_t id = loop_add_timer(l, 50, count_once, &t);
	assert_true(id > 0);

	run_until(l, &t.calls, -1, 5000);
	assert_int_equal(t.calls, 1);
	assert_int_equal(t.last_id, id);
	assert_in_range(t.first_at_ms - start, 50, 1000);
	/* It slept until the deadline instead of polling for it. */
	assert_in_range(loop_wakeups(l), 1, 3);

	run_for(l, 100);
	assert_int_equal(t.calls, 1);
	loop_free(l);
}

static int64_t record_order(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct timer_log *t = ud;
	t->shared->order[t->shared->norder++] = t->tag;
	return LOOP_TIMER_DONE;
}

static void test_timers_fire_in_deadline_order(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct timer_log log = {0};
	struct timer_log a = {.tag = 30, .shared = &log};
	struct timer_log b = {.tag = 10, .shared = &log};
	struct timer_log c = {.tag = 20, .shared = &log};
	loop_add_timer(l, 30, record_order, &a);
	loop_add_timer(l, 10, record_order, &b);
	loop_add_timer(l, 20, record_order, &c);
	/* All three are due by the time the single pass runs. */
	sleep_ms(60);
	loop_run_once(l, 0);

	assert_int_equal(log.norder, 3);
	assert_int_equal(log.order[0], 10);
	assert_int_equal(log.order[1], 20);
	assert_int_equal(log.order[2], 30);
	loop_free(l);
}

static int64_t repeat(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	struct timer_log *t = ud;
	t->calls++;
	t->last_id = id;
	return t->calls < t->repeat_until ? t->repeat_ms : LOOP_TIMER_DONE;
}

static void test_repeating_timer_until_done(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct timer_log t = {.repeat_ms = 10, .repeat_until = 4};
	int64_t id = loop_add_timer(l, 10, repeat, &t);
	int64_t start = clock_ms();
	while (t.calls < 4 && clock_ms() - start < 5000)
		loop_run_once(l, -1);
	assert_int_equal(t.calls, 4);
	assert_int_equal(t.last_id, id);
	/* At least three full periods between the first and fourth call. */
	assert_true(clock_ms() - start >= 40);

	run_for(l, 100);
	assert_int_equal(t.calls, 4);
	loop_free(l);
}

static int64_t repeat_immediately(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	((struct timer_log *)ud)->calls++;
	return 0;
}

static void test_zero_delay_timer_runs_once_per_pass(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct timer_log t = {0};
	loop_add_timer(l, 0, repeat_immediately, &t);
	for (int i = 0; i < 5; i++)
		loop_run_once(l, 1000);
	assert_int_equal(t.calls, 5);
	loop_free(l);
}

static int64_t delete_victim(struct loop *l, int64_t id, void *ud)
{
	(void)id;
	struct timer_log *t = ud;
	t->calls++;
	loop_del_timer(l, t->victim);
	return LOOP_TIMER_DONE;
}

static void test_del_timer_from_another_callback(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct timer_log killer = {0};
	struct timer_log victim = {0};
	loop_add_timer(l, 0, delete_victim, &killer);
	killer.victim = loop_add_timer(l, 0, count_once, &victim);
	/* Both are due in the same pass; the earlier one deletes the other. */
	sleep_ms(2);
	loop_run_once(l, 0);
	assert_int_equal(killer.calls, 1);
	assert_int_equal(victim.calls, 0);

	run_for(l, 60);
	assert_int_equal(victim.calls, 0);
	loop_free(l);
}

static int64_t delete_self_and_repeat(struct loop *l, int64_t id, void *ud)
{
	struct timer_log *t = ud;
	t->calls++;
	loop_del_timer(l, id);
	return 1;
}

static void test_timer_deleting_itself_stays_deleted(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct timer_log t = {0};
	loop_add_timer(l, 0, delete_self_and_repeat, &t);
	run_for(l, 60);
	assert_int_equal(t.calls, 1);
	loop_free(l);
}

static int64_t add_child_timer(struct loop *l, int64_t id, void *ud)
{
	(void)id;
	struct timer_log *t = ud;
	t->calls++;
	loop_add_timer(l, 0, count_once, t->shared);
	/* Grow the timer array while it is being walked. */
	for (int i = 0; i < 20; i++)
		loop_del_timer(l, loop_add_timer(l, 100000, count_once, t->shared));
	return LOOP_TIMER_DONE;
}

static void test_timer_added_in_callback_runs_next_pass(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct timer_log child = {0};
	struct timer_log parent = {.shared = &child};
	loop_add_timer(l, 0, add_child_timer, &parent);
	sleep_ms(2);
	loop_run_once(l, 0);
	assert_int_equal(parent.calls, 1);
	assert_int_equal(child.calls, 0);
	loop_run_once(l, 1000);
	assert_int_equal(child.calls, 1);
	loop_free(l);
}

/* ---- file descriptors ---- */

struct fd_log {
	int calls;
	unsigned events;
	int fd;
	char byte;
	ssize_t got;
	int64_t at_ms;
	int other_fd;
	int *total;
};

static void on_fd(struct loop *l, int fd, unsigned events, void *ud)
{
	(void)l;
	struct fd_log *f = ud;
	f->calls++;
	f->events = events;
	f->fd = fd;
	f->at_ms = clock_ms();
}

static void on_readable(struct loop *l, int fd, unsigned events, void *ud)
{
	struct fd_log *f = ud;
	on_fd(l, fd, events, ud);
	f->got = read(fd, &f->byte, 1);
}

static void test_readable_fd_wakes_loop_before_far_timer(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	int p[2];
	make_pipe(p);
	struct timer_log far = {0};
	struct fd_log f = {0};
	loop_add_timer(l, 20000, count_once, &far);
	assert_int_equal(loop_add_fd(l, p[0], LOOP_READ, on_readable, &f), 0);

	int64_t start = clock_ms();
	pid_t pid = child_after(50, p[1], 0);
	run_until(l, &f.calls, -1, 5000);
	reap(pid);

	assert_int_equal(f.calls, 1);
	assert_int_equal(f.fd, p[0]);
	assert_int_equal(f.events, LOOP_READ);
	assert_int_equal(f.got, 1);
	assert_int_equal(f.byte, 'x');
	assert_true(f.at_ms - start < 5000);
	assert_int_equal(far.calls, 0);
	loop_free(l);
	close_pipe(p);
}

static void test_writable_fd_and_quiet_readable(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	int p[2];
	make_pipe(p);
	struct fd_log r = {0}, w = {0};
	loop_add_fd(l, p[0], LOOP_READ, on_fd, &r);
	loop_add_fd(l, p[1], LOOP_WRITE, on_fd, &w);
	loop_run_once(l, 1000);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.fd, p[1]);
	assert_int_equal(w.events, LOOP_WRITE);
	assert_int_equal(r.calls, 0);

	/* Re-registering replaces the interest: now only the read side is watched. */
	loop_add_fd(l, p[1], LOOP_READ, on_fd, &w);
	ssize_t n = write(p[1], "y", 1);
	assert_int_equal(n, 1);
	loop_run_once(l, 1000);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.events, LOOP_READ);
	assert_int_equal(w.calls, 1);
	loop_free(l);
	close_pipe(p);
}

static void test_hangup_is_reported_as_readable(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	int p[2];
	make_pipe(p);
	close(p[1]);
	p[1] = -1;
	struct fd_log f = {0};
	loop_add_fd(l, p[0], LOOP_READ, on_readable, &f);
	loop_run_once(l, 2000);
	assert_int_equal(f.calls, 1);
	assert_int_equal(f.events, LOOP_READ);
	assert_int_equal(f.got, 0);
	loop_free(l);
	close_pipe(p);
}

static void test_closed_fd_does_not_spin_the_loop(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	int p[2];
	make_pipe(p);
	struct fd_log f = {0};
	loop_add_fd(l, p[0], LOOP_READ, on_fd, &f);
	close(p[0]);
	p[0] = -1;
	run_for(l, 300);
	/* run_for waits 20 ms per pass: ~15 wakeups; a spinning loop makes thousands. */
	assert_true(loop_wakeups(l) < 100);
	assert_int_equal(f.calls, 0);
	loop_free(l);
	close_pipe(p);
}

static void del_self(struct loop *l, int fd, unsigned events, void *ud)
{
	on_fd(l, fd, events, ud);
	loop_del_fd(l, fd);
}

static void del_other(struct loop *l, int fd, unsigned events, void *ud)
{
	struct fd_log *f = ud;
	on_fd(l, fd, events, ud);
	(*f->total)++;
	loop_del_fd(l, f->other_fd);
}

static void test_fd_deleted_from_callbacks(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	int a[2], b[2], c[2];
	make_pipe(a);
	make_pipe(b);
	make_pipe(c);
	/* All three stay readable: nothing drains them. */
	assert_int_equal(write(a[1], "a", 1), 1);
	assert_int_equal(write(b[1], "b", 1), 1);
	assert_int_equal(write(c[1], "c", 1), 1);

	struct fd_log self = {0};
	int total = 0;
	struct fd_log fb = {.other_fd = c[0], .total = &total};
	struct fd_log fc = {.other_fd = b[0], .total = &total};
	loop_add_fd(l, a[0], LOOP_READ, del_self, &self);
	loop_add_fd(l, b[0], LOOP_READ, del_other, &fb);
	loop_add_fd(l, c[0], LOOP_READ, del_other, &fc);

	loop_run_once(l, 1000);
	assert_int_equal(self.calls, 1);
	assert_int_equal(total, 1);

	loop_run_once(l, 50);
	loop_run_once(l, 50);
	assert_int_equal(self.calls, 1);
	/* The survivor keeps firing (level-triggered); the deleted one never does. */
	assert_true((fb.calls == 3 && fc.calls == 0) || (fb.calls == 0 && fc.calls == 3));
	loop_free(l);
	close_pipe(a);
	close_pipe(b);
	close_pipe(c);
}

/* ---- signals ---- */

struct sig_log {
	int calls;
	int signo;
};

static void on_sig(struct loop *l, int signo, void *ud)
{
	(void)l;
	struct sig_log *s = ud;
	s->calls++;
	s->signo = signo;
}

static void test_signal_wakes_idle_loop(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct sig_log s = {0};
	assert_int_equal(loop_watch_signal(l, SIGUSR1, on_sig, &s), 0);

	pid_t pid = child_after(50, -1, SIGUSR1);
	int64_t elapsed = run_until(l, &s.calls, 10000, 5000);
	reap(pid);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.signo, SIGUSR1);
	assert_true(elapsed < 5000);
	loop_free(l);
}

static void test_signal_callback_runs_in_the_loop(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct sig_log s = {0};
	assert_int_equal(loop_watch_signal(l, SIGUSR2, on_sig, &s), 0);

	raise(SIGUSR2);
	raise(SIGUSR2);
	assert_int_equal(s.calls, 0);
	int64_t start = clock_ms();
	loop_run_once(l, 3000);
	assert_true(clock_ms() - start < 2000);
	assert_in_range(s.calls, 1, 2);
	assert_int_equal(s.signo, SIGUSR2);

	int before = s.calls;
	loop_run_once(l, 0);
	assert_int_equal(s.calls, before);
	loop_free(l);
}

static volatile sig_atomic_t old_handler_calls;

static void old_handler(int signo)
{
	(void)signo;
	old_handler_calls++;
}

static void test_loop_free_restores_signal_disposition(void **state)
{
	(void)state;
	struct sigaction mine = {0}, saved, now;
	mine.sa_handler = old_handler;
	sigemptyset(&mine.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &mine, &saved), 0);

	struct loop *l = loop_new();
	struct sig_log s = {0};
	assert_int_equal(loop_watch_signal(l, SIGUSR1, on_sig, &s), 0);
	assert_int_equal(loop_watch_signal(l, SIGUSR1, on_sig, &s), 0);
	sigaction(SIGUSR1, NULL, &now);
	assert_true(now.sa_handler != old_handler);
	raise(SIGUSR1);
	loop_run_once(l, 1000);
	assert_int_equal(s.calls, 1);
	assert_int_equal(old_handler_calls, 0);
	loop_free(l);

	sigaction(SIGUSR1, NULL, &now);
	assert_true(now.sa_handler == old_handler);
	raise(SIGUSR1);
	assert_int_equal(old_handler_calls, 1);
	assert_int_equal(s.calls, 1);
	sigaction(SIGUSR1, &saved, NULL);
}

/* ---- hook, stop, idle ---- */

static void count_hook(struct loop *l, void *ud)
{
	(void)l;
	(*(int *)ud)++;
}

static int64_t note_hook_calls(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct timer_log *t = ud;
	t->calls++;
	t->hook_calls_seen = *t->hook_calls;
	return LOOP_TIMER_DONE;
}

static void test_before_sleep_runs_once_per_pass_after_timers(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	int hooks = 0;
	struct timer_log t = {.hook_calls = &hooks};
	loop_set_before_sleep(l, count_hook, &hooks);
	loop_add_timer(l, 0, note_hook_calls, &t);
	sleep_ms(2);
	for (int i = 0; i < 5; i++)
		loop_run_once(l, 0);
	assert_int_equal(hooks, 5);
	assert_int_equal(t.calls, 1);
	assert_int_equal(t.hook_calls_seen, 0);

	loop_set_before_sleep(l, NULL, NULL);
	loop_run_once(l, 0);
	assert_int_equal(hooks, 5);
	loop_free(l);
}

static int64_t stop_after_three(struct loop *l, int64_t id, void *ud)
{
	(void)id;
	struct timer_log *t = ud;
	if (++t->calls < 3)
		return 5;
	loop_stop(l);
	assert_true(loop_stopped(l));
	return LOOP_TIMER_DONE;
}

static int64_t watchdog(struct loop *l, int64_t id, void *ud)
{
	(void)id;
	*(int *)ud = 1;
	loop_stop(l);
	return LOOP_TIMER_DONE;
}

static void test_stop_ends_run(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	int timed_out = 0;
	int64_t dog = loop_add_timer(l, 10000, watchdog, &timed_out);
	struct timer_log t = {0};
	loop_add_timer(l, 5, stop_after_three, &t);
	loop_run(l);
	assert_int_equal(t.calls, 3);
	assert_int_equal(timed_out, 0);

	/* The loop can run again after a stop. */
	struct timer_log again = {0};
	loop_add_timer(l, 5, stop_after_three, &again);
	loop_run(l);
	assert_int_equal(again.calls, 3);
	assert_int_equal(timed_out, 0);
	loop_del_timer(l, dog);
	loop_free(l);
}

static void test_idle_loop_rarely_wakes(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	int64_t start = clock_ms();
	while (clock_ms() - start < 1000)
		loop_run_once(l, 1000);
	assert_in_range(loop_wakeups(l), 1, 2);
	loop_free(l);
}

/* ---- curl transfers against an HTTP server living in the same loop ---- */

#define RESPONSE "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
#define MAX_CONNS 8

struct conn {
	struct http_server *srv;
	int fd;
	struct buf in;
	size_t sent;
};

struct http_server {
	int listen_fd;
	int port;
	int respond;
	int requests;
	struct conn *conns[MAX_CONNS];
	int nconns;
};

static void conn_close(struct loop *l, struct conn *c)
{
	if (c->fd < 0)
		return;
	loop_del_fd(l, c->fd);
	close(c->fd);
	c->fd = -1;
}

static void on_conn_writable(struct loop *l, int fd, unsigned events, void *ud);

static void start_response(struct loop *l, struct conn *c)
{
	c->sent = 0;
	loop_add_fd(l, c->fd, LOOP_WRITE, on_conn_writable, c);
}

static void on_conn_readable(struct loop *l, int fd, unsigned events, void *ud)
{
	(void)events;
	struct conn *c = ud;
	char chunk[512];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(&c->in, chunk, (size_t)n);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(l, c);
		return;
	}
	if (strstr(buf_str(&c->in), "\r\n\r\n")) {
		buf_reset(&c->in);
		c->srv->requests++;
		if (c->srv->respond)
			start_response(l, c);
	}
}

static void on_conn_writable(struct loop *l, int fd, unsigned events, void *ud)
{
	(void)events;
	struct conn *c = ud;
	size_t len = sizeof(RESPONSE) - 1;
	ssize_t n = send(fd, RESPONSE + c->sent, len - c->sent, MSG_NOSIGNAL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			conn_close(l, c);
		return;
	}
	c->sent += (size_t)n;
	if (c->sent == len)
		loop_add_fd(l, fd, LOOP_READ, on_conn_readable, c);
}

static void on_accept(struct loop *l, int fd, unsigned events, void *ud)
{
	(void)events;
	struct http_server *srv = ud;
	int cfd;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		assert_true(srv->nconns < MAX_CONNS);
		struct conn *c = xcalloc(1, sizeof(*c));
		c->srv = srv;
		c->fd = cfd;
		srv->conns[srv->nconns++] = c;
		loop_add_fd(l, cfd, LOOP_READ, on_conn_readable, c);
	}
}

static void server_start(struct loop *l, struct http_server *srv, int respond)
{
	memset(srv, 0, sizeof(*srv));
	srv->respond = respond;
	srv->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(srv->listen_fd >= 0);
	struct sockaddr_in addr = {0};
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t alen = sizeof(addr);
	assert_int_equal(bind(srv->listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(srv->listen_fd, 16), 0);
	assert_int_equal(getsockname(srv->listen_fd, (struct sockaddr *)&addr, &alen), 0);
	srv->port = ntohs(addr.sin_port);
	assert_int_equal(loop_add_fd(l, srv->listen_fd, LOOP_READ, on_accept, srv), 0);
}

static void server_stop(struct loop *l, struct http_server *srv)
{
	for (int i = 0; i < srv->nconns; i++) {
		conn_close(l, srv->conns[i]);
		buf_free(&srv->conns[i]->in);
		free(srv->conns[i]);
	}
	loop_del_fd(l, srv->listen_fd);
	close(srv->listen_fd);
}

struct test_transfer {
	struct loop_transfer base;
	struct buf body;
	int done_calls;
	CURLcode result;
	int running_in_done;
	int stop_when_done;
	int retries;
	int readd_result;
	int *freed;
	struct test_transfer *next;
};

static size_t collect_body(char *p, size_t size, size_t n, void *ud)
{
	buf_append(ud, p, size * n);
	return size * n;
}

static void transfer_done(struct loop *l, struct loop_transfer *lt, CURLcode result)
{
	struct test_transfer *t = (struct test_transfer *)lt;
	t->done_calls++;
	t->result = result;
	t->running_in_done = loop_transfers(l);
	if (t->retries-- > 0) {
		buf_reset(&t->body);
		t->readd_result = loop_add_transfer(l, lt);
		return;
	}
	if (t->freed) {
		int *freed = t->freed;
		int stop = t->stop_when_done;
		curl_easy_cleanup(t->base.easy);
		buf_free(&t->body);
		free(t);
		*freed = 1;
		if (stop)
			loop_stop(l);
		return;
	}
	if (t->next)
		assert_int_equal(loop_add_transfer(l, &t->next->base), 0);
	if (t->stop_when_done)
		loop_stop(l);
}

static void transfer_init(struct test_transfer *t, int port)
{
	memset(t, 0, sizeof(*t));
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	CURL *e = curl_easy_init();
	assert_non_null(e);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &t->body);
	t->base.easy = e;
	t->base.done = transfer_done;
}

static void transfer_fini(struct test_transfer *t)
{
	curl_easy_cleanup(t->base.easy);
	buf_free(&t->body);
}

static void test_http_transfer_completes(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct http_server srv;
	server_start(l, &srv, 1);
	struct test_transfer t;
	transfer_init(&t, srv.port);
	t.stop_when_done = 1;
	int timed_out = 0;
	int64_t dog = loop_add_timer(l, 15000, watchdog, &timed_out);

	assert_int_equal(loop_add_transfer(l, &t.base), 0);
	assert_int_equal(loop_transfers(l), 1);
	loop_run(l);

	assert_int_equal(timed_out, 0);
	assert_int_equal(t.done_calls, 1);
	assert_int_equal(t.result, CURLE_OK);
	assert_string_equal(buf_str(&t.body), "hello");
	assert_int_equal(t.running_in_done, 0);
	assert_int_equal(loop_transfers(l), 0);
	assert_int_equal(srv.requests, 1);
	long code = 0;
	curl_easy_getinfo(t.base.easy, CURLINFO_RESPONSE_CODE, &code);
	assert_int_equal(code, 200);

	loop_del_timer(l, dog);
	server_stop(l, &srv);
	loop_free(l);
	transfer_fini(&t);
}

static void test_done_callback_can_start_next_transfer(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct http_server srv;
	server_start(l, &srv, 1);
	struct test_transfer first, second;
	transfer_init(&first, srv.port);
	transfer_init(&second, srv.port);
	first.next = &second;
	second.stop_when_done = 1;
	int timed_out = 0;
	loop_add_timer(l, 15000, watchdog, &timed_out);

	assert_int_equal(loop_add_transfer(l, &first.base), 0);
	loop_run(l);

	assert_int_equal(timed_out, 0);
	assert_int_equal(first.done_calls, 1);
	assert_int_equal(second.done_calls, 1);
	assert_int_equal(second.result, CURLE_OK);
	assert_string_equal(buf_str(&first.body), "hello");
	assert_string_equal(buf_str(&second.body), "hello");
	assert_int_equal(srv.requests, 2);

	server_stop(l, &srv);
	loop_free(l);
	transfer_fini(&first);
	transfer_fini(&second);
}

static void test_done_callback_can_retry_same_transfer(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct http_server srv;
	server_start(l, &srv, 1);
	struct test_transfer t;
	transfer_init(&t, srv.port);
	t.retries = 1;
	t.stop_when_done = 1;
	int timed_out = 0;
	loop_add_timer(l, 15000, watchdog, &timed_out);

	assert_int_equal(loop_add_transfer(l, &t.base), 0);
	loop_run(l);

	assert_int_equal(timed_out, 0);
	/* Re-adding the easy handle in done works only once it left the multi handle. */
	assert_int_equal(t.readd_result, 0);
	assert_int_equal(t.done_calls, 2);
	assert_int_equal(t.result, CURLE_OK);
	assert_string_equal(buf_str(&t.body), "hello");
	assert_int_equal(srv.requests, 2);

	server_stop(l, &srv);
	loop_free(l);
	transfer_fini(&t);
}

static void test_done_callback_may_free_its_transfer(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct http_server srv;
	server_start(l, &srv, 1);
	int freed_a = 0, freed_b = 0;
	struct test_transfer *a = xmalloc(sizeof(*a));
	struct test_transfer *b = xmalloc(sizeof(*b));
	transfer_init(a, srv.port);
	transfer_init(b, srv.port);
	a->freed = &freed_a;
	b->freed = &freed_b;
	int timed_out = 0;
	loop_add_timer(l, 15000, watchdog, &timed_out);

	assert_int_equal(loop_add_transfer(l, &a->base), 0);
	assert_int_equal(loop_add_transfer(l, &b->base), 0);
	int64_t start = clock_ms();
	while (!(freed_a && freed_b) && !timed_out && clock_ms() - start < 15000)
		loop_run_once(l, -1);

	assert_int_equal(timed_out, 0);
	assert_true(freed_a && freed_b);
	assert_int_equal(loop_transfers(l), 0);
	server_stop(l, &srv);
	loop_free(l);
}

static void test_cancelled_transfer_never_calls_done(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct http_server srv;
	server_start(l, &srv, 0);
	struct test_transfer t, never_started;
	transfer_init(&t, srv.port);
	transfer_init(&never_started, srv.port);

	assert_int_equal(loop_add_transfer(l, &t.base), 0);
	assert_int_equal(loop_add_transfer(l, &never_started.base), 0);
	loop_cancel_transfer(l, &never_started.base);
	assert_int_equal(loop_transfers(l), 1);

	int64_t start = clock_ms();
	while (!srv.requests && clock_ms() - start < 5000)
		loop_run_once(l, 100);
	assert_int_equal(srv.requests, 1);

	loop_cancel_transfer(l, &t.base);
	loop_cancel_transfer(l, &t.base);
	assert_int_equal(loop_transfers(l), 0);
	/* Answer now: a transfer still in the multi handle would complete. */
	for (int i = 0; i < srv.nconns; i++)
		if (srv.conns[i]->fd >= 0)
			start_response(l, srv.conns[i]);
	run_for(l, 500);

	assert_int_equal(t.done_calls, 0);
	assert_int_equal(never_started.done_calls, 0);
	assert_int_equal(t.body.len, 0);
	/* curl dropped the half-done connection. */
	for (int i = 0; i < srv.nconns; i++)
		assert_int_equal(srv.conns[i]->fd, -1);

	server_stop(l, &srv);
	loop_free(l);
	transfer_fini(&t);
	transfer_fini(&never_started);
}

static void test_loop_free_with_transfer_running(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct http_server srv;
	server_start(l, &srv, 0);
	struct test_transfer t;
	transfer_init(&t, srv.port);
	assert_int_equal(loop_add_transfer(l, &t.base), 0);
	int64_t start = clock_ms();
	while (!srv.requests && clock_ms() - start < 5000)
		loop_run_once(l, 100);
	server_stop(l, &srv);
	loop_free(l);
	assert_int_equal(t.done_calls, 0);
	/* The easy handle is still the caller's and usable. */
	transfer_fini(&t);
}

static int setup_curl(void **state)
{
	(void)state;
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int teardown_curl(void **state)
{
	(void)state;
	curl_global_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_fires_after_its_delay),
		cmocka_unit_test(test_timers_fire_in_deadline_order),
		cmocka_unit_test(test_repeating_timer_until_done),
		cmocka_unit_test(test_zero_delay_timer_runs_once_per_pass),
		cmocka_unit_test(test_del_timer_from_another_callback),
		cmocka_unit_test(test_timer_deleting_itself_stays_deleted),
		cmocka_unit_test(test_timer_added_in_callback_runs_next_pass),
		cmocka_unit_test(test_readable_fd_wakes_loop_before_far_timer),
		cmocka_unit_test(test_writable_fd_and_quiet_readable),
		cmocka_unit_test(test_hangup_is_reported_as_readable),
		cmocka_unit_test(test_closed_fd_does_not_spin_the_loop),
		cmocka_unit_test(test_fd_deleted_from_callbacks),
		cmocka_unit_test(test_signal_wakes_idle_loop),
		cmocka_unit_test(test_signal_callback_runs_in_the_loop),
		cmocka_unit_test(test_loop_free_restores_signal_disposition),
		cmocka_unit_test(test_before_sleep_runs_once_per_pass_after_timers),
		cmocka_unit_test(test_stop_ends_run),
		cmocka_unit_test(test_idle_loop_rarely_wakes),
		cmocka_unit_test(test_http_transfer_completes),
		cmocka_unit_test(test_done_callback_can_start_next_transfer),
		cmocka_unit_test(test_done_callback_can_retry_same_transfer),
		cmocka_unit_test(test_done_callback_may_free_its_transfer),
		cmocka_unit_test(test_cancelled_transfer_never_calls_done),
		cmocka_unit_test(test_loop_free_with_transfer_running),
	};
	return cmocka_run_group_tests(tests, setup_curl, teardown_curl);
}
