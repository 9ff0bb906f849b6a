#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/xmalloc.h"

/* The longest single wait when nothing is scheduled: an idle loop wakes once a minute. */
#define IDLE_WAIT_MS 60000
/* While transfers stream, at most one wake-up for their sockets per this many µs. */
#define LOOP_COALESCE_US 1000

struct fd_watch {
	int fd;
	unsigned events;
	loop_fd_fn fn;
	void *ud;
	uint64_t serial;
	int deleted;
};

struct timer {
	int64_t id;
	int64_t when_us;
	loop_timer_fn fn;
	void *ud;
	uint64_t ran_in_pass;
	int deleted;
};

struct curl_sock {
	curl_socket_t fd;
	int what; /* CURL_POLL_IN / OUT / INOUT */
};

struct signal_watch {
	int signo;
	loop_signal_fn fn;
	void *ud;
	struct sigaction old;
};

struct loop {
	CURLM *multi;
	int wake_pipe[2];

	struct fd_watch *fds;
	size_t nfds, cap_fds;
	uint64_t next_fd_serial;

	struct timer *timers;
	size_t ntimers, cap_timers;
	int64_t next_timer_id;

	struct signal_watch *signals;
	size_t nsignals, cap_signals;

	struct loop_transfer **transfers;
	size_t ntransfers, cap_transfers;

	/* The sockets curl asked to watch (CURLMOPT_SOCKETFUNCTION) and when it
	 * wants to be called for its timeouts (CURLMOPT_TIMERFUNCTION; -1: never). */
	struct curl_sock *csocks;
	size_t ncsocks, cap_csocks;
	int64_t curl_due_us;

	/* Per-pass snapshot of what was waited on: slot 0 is the wake pipe, then
	 * nuser registered fds (wait_serials), then curl's sockets. */
	struct pollfd *pollfds;
	uint64_t *wait_serials;
	size_t cap_wait, nuser;

	loop_hook_fn before_sleep;
	void *before_sleep_ud;

	uint64_t pass;
	int in_pass;
	int stop;
	uint64_t wakeups;
	int64_t stream_wake_us;  /* when the last wake found a transfer's socket readable; 0: it did not */
	int64_t stream_gap_us;   /* and how long after the readable wake before it; 0: none before */
};

/* Write end of the wake pipe + 1 for each watched signal; 0 when unwatched. */
static volatile sig_atomic_t wake_fd_plus_one[NSIG];

static void on_signal(int signo)
{
	int saved_errno = errno;
	if (signo > 0 && signo < NSIG) {
		int fd = wake_fd_plus_one[signo] - 1;
		if (fd >= 0) {
			unsigned char byte = (unsigned char)signo;
			ssize_t written = write(fd, &byte, 1);
			(void)written;
		}
	}
	errno = saved_errno;
}

struct loop *loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof(*l));
	if (pipe2(l->wake_pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		free(l);
		return NULL;
	}
	l->next_fd_serial = 1;
	l->next_timer_id = 1;
	l->curl_due_us = -1;
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nsignals; i++) {
		sigaction(l->signals[i].signo, &l->signals[i].old, NULL);
		wake_fd_plus_one[l->signals[i].signo] = 0;
	}
	for (size_t i = 0; i < l->ntransfers; i++)
		curl_multi_remove_handle(l->multi, l->transfers[i]->easy);
	if (l->multi)
		curl_multi_cleanup(l->multi);
	close(l->wake_pipe[0]);
	close(l->wake_pipe[1]);
	free(l->fds);
	free(l->timers);
	free(l->signals);
	free(l->transfers);
	free(l->csocks);
	free(l->pollfds);
	free(l->wait_serials);
	free(l);
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	(void)easy;
	(void)socketp;
	struct loop *l = userp;
	size_t i = 0;
	while (i < l->ncsocks && l->csocks[i].fd != fd)
		i++;
	if (what == CURL_POLL_REMOVE) {
		if (i < l->ncsocks)
			l->csocks[i] = l->csocks[--l->ncsocks];
		return 0;
	}
	if (i == l->ncsocks) {
		l->csocks = xgrow(l->csocks, &l->cap_csocks, l->ncsocks + 1, sizeof(*l->csocks));
		l->ncsocks++;
	}
	l->csocks[i] = (struct curl_sock){ fd, what };
	return 0;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	struct loop *l = userp;
	l->curl_due_us = timeout_ms < 0 ? -1 : clock_us() + (int64_t)timeout_ms * 1000;
	return 0;
}

/* The multi handle is made on first use: starting curl (and its TLS library)
 * costs memory and start-up time that a session without network never needs.
 * curl tells the loop which sockets to watch and when to call it back
 * (curl_multi_socket_action), so a pass touches only the transfers whose
 * socket is ready instead of every transfer. */
CURLM *loop_multi(struct loop *l)
{
	if (l->multi)
		return l->multi;
	l->multi = curl_multi_init();
	if (l->multi) {
		curl_multi_setopt(l->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
		curl_multi_setopt(l->multi, CURLMOPT_SOCKETDATA, l);
		curl_multi_setopt(l->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
		curl_multi_setopt(l->multi, CURLMOPT_TIMERDATA, l);
	}
	return l->multi;
}

static void compact(struct loop *l)
{
	size_t kept = 0;
	for (size_t i = 0; i < l->nfds; i++)
		if (!l->fds[i].deleted)
			l->fds[kept++] = l->fds[i];
	l->nfds = kept;
	kept = 0;
	for (size_t i = 0; i < l->ntimers; i++)
		if (!l->timers[i].deleted)
			l->timers[kept++] = l->timers[i];
	l->ntimers = kept;
}

static void compact_unless_in_pass(struct loop *l)
{
	if (!l->in_pass)
		compact(l);
}

static struct fd_watch *find_fd(struct loop *l, int fd)
{
	for (size_t i = 0; i < l->nfds; i++)
		if (!l->fds[i].deleted && l->fds[i].fd == fd)
			return &l->fds[i];
	return NULL;
}

static struct fd_watch *find_fd_by_serial(struct loop *l, uint64_t serial)
{
	for (size_t i = 0; i < l->nfds; i++)
		if (!l->fds[i].deleted && l->fds[i].serial == serial)
			return &l->fds[i];
	return NULL;
}

int loop_add_fd(struct loop *l, int fd, unsigned events, loop_fd_fn fn, void *ud)
{
	events &= LOOP_READ | LOOP_WRITE;
	if (fd < 0 || !events || !fn)
		return -1;
	struct fd_watch *w = find_fd(l, fd);
	if (!w) {
		l->fds = xgrow(l->fds, &l->cap_fds, l->nfds + 1, sizeof(*l->fds));
		w = &l->fds[l->nfds++];
		w->fd = fd;
		w->serial = l->next_fd_serial++;
		w->deleted = 0;
	}
	w->events = events;
	w->fn = fn;
	w->ud = ud;
	return 0;
}

void loop_del_fd(struct loop *l, int fd)
{
	struct fd_watch *w = find_fd(l, fd);
	if (w)
		w->deleted = 1;
	compact_unless_in_pass(l);
}

static struct timer *find_timer(struct loop *l, int64_t id)
{
	for (size_t i = 0; i < l->ntimers; i++)
		if (!l->timers[i].deleted && l->timers[i].id == id)
			return &l->timers[i];
	return NULL;
}

static int64_t deadline_after(int64_t delay_ms)
{
	if (delay_ms < 0)
		delay_ms = 0;
	if (delay_ms > INT64_MAX / 4000)
		delay_ms = INT64_MAX / 4000;
	return clock_us() + delay_ms * 1000;
}

int64_t loop_add_timer(struct loop *l, int64_t delay_ms, loop_timer_fn fn, void *ud)
{
	l->timers = xgrow(l->timers, &l->cap_timers, l->ntimers + 1, sizeof(*l->timers));
	struct timer *t = &l->timers[l->ntimers++];
	t->id = l->next_timer_id++;
	t->when_us = deadline_after(delay_ms);
	t->fn = fn;
	t->ud = ud;
	t->ran_in_pass = 0;
	t->deleted = 0;
	return t->id;
}

void loop_del_timer(struct loop *l, int64_t id)
{
	struct timer *t = find_timer(l, id);
	if (t)
		t->deleted = 1;
	compact_unless_in_pass(l);
}

int loop_watch_signal(struct loop *l, int signo, loop_signal_fn fn, void *ud)
{
	if (signo <= 0 || signo >= NSIG || signo > 255 || !fn)
		return -1;
	for (size_t i = 0; i < l->nsignals; i++) {
		if (l->signals[i].signo == signo) {
			l->signals[i].fn = fn;
			l->signals[i].ud = ud;
			return 0;
		}
	}
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	struct sigaction old;
	wake_fd_plus_one[signo] = l->wake_pipe[1] + 1;
	if (sigaction(signo, &sa, &old) < 0) {
		wake_fd_plus_one[signo] = 0;
		return -1;
	}
	l->signals = xgrow(l->signals, &l->cap_signals, l->nsignals + 1, sizeof(*l->signals));
	struct signal_watch *s = &l->signals[l->nsignals++];
	s->signo = signo;
	s->fn = fn;
	s->ud = ud;
	s->old = old;
	return 0;
}

void loop_set_before_sleep(struct loop *l, loop_hook_fn fn, void *ud)
{
	l->before_sleep = fn;
	l->before_sleep_ud = ud;
}

/* Returns 1 when t was running (and forgets it). */
static int forget_transfer(struct loop *l, const struct loop_transfer *t)
{
	for (size_t i = 0; i < l->ntransfers; i++) {
		if (l->transfers[i] == t) {
			l->transfers[i] = l->transfers[--l->ntransfers];
			return 1;
		}
	}
	return 0;
}

int loop_add_transfer(struct loop *l, struct loop_transfer *t)
{
	if (!t || !t->easy)
		return -1;
	if (curl_easy_setopt(t->easy, CURLOPT_PRIVATE, (void *)t) != CURLE_OK)
		return -1;
	if (!loop_multi(l) || curl_multi_add_handle(l->multi, t->easy) != CURLM_OK)
		return -1;
	l->transfers = xgrow(l->transfers, &l->cap_transfers, l->ntransfers + 1,
			    sizeof(*l->transfers));
	l->transfers[l->ntransfers++] = t;
	return 0;
}

void loop_cancel_transfer(struct loop *l, struct loop_transfer *t)
{
	if (t && forget_transfer(l, t))
		curl_multi_remove_handle(l->multi, t->easy);
}

int loop_transfers(const struct loop *l)
{
	return (int)l->ntransfers;
}

static int wait_timeout(const struct loop *l, int max_wait_ms)
{
	int64_t wait_ms = max_wait_ms >= 0 ? max_wait_ms : IDLE_WAIT_MS;
	int64_t now = clock_us();
	for (size_t i = 0; i < l->ntimers; i++) {
		const struct timer *t = &l->timers[i];
		if (t->deleted)
			continue;
		int64_t until_ms = t->when_us > now ? (t->when_us - now + 999) / 1000 : 0;
		if (until_ms < wait_ms)
			wait_ms = until_ms;
	}
	if (l->curl_due_us >= 0) {
		int64_t until_ms = l->curl_due_us > now ? (l->curl_due_us - now + 999) / 1000 : 0;
		if (until_ms < wait_ms)
			wait_ms = until_ms;
	}
	return (int)wait_ms;
}

static short poll_events(unsigned loop_events)
{
	return (short)(((loop_events & LOOP_READ) ? POLLIN : 0) | ((loop_events & LOOP_WRITE) ? POLLOUT : 0));
}

static size_t build_wait_set(struct loop *l)
{
	size_t need = 1 + l->nfds + l->ncsocks;
	if (need > l->cap_wait) {
		size_t cap = l->cap_wait;
		l->pollfds = xgrow(l->pollfds, &cap, need, sizeof(*l->pollfds));
		l->wait_serials = xreallocarray(l->wait_serials, cap, sizeof(*l->wait_serials));
		l->cap_wait = cap;
	}
	size_t n = 0;
	l->pollfds[n] = (struct pollfd){ .fd = l->wake_pipe[0], .events = POLLIN };
	l->wait_serials[n++] = 0;
	for (size_t i = 0; i < l->nfds; i++) {
		const struct fd_watch *w = &l->fds[i];
		if (w->deleted)
			continue;
		l->pollfds[n] = (struct pollfd){ .fd = w->fd, .events = poll_events(w->events) };
		l->wait_serials[n++] = w->serial;
	}
	l->nuser = n - 1;
	for (size_t i = 0; i < l->ncsocks; i++) {
		int what = l->csocks[i].what;
		short events = (short)(((what & CURL_POLL_IN) ? POLLIN : 0) | ((what & CURL_POLL_OUT) ? POLLOUT : 0));
		l->pollfds[n] = (struct pollfd){ .fd = l->csocks[i].fd, .events = events };
		l->wait_serials[n++] = 0;
	}
	return n;
}

/* Hands curl the sockets that are ready, then its timeout when due. */
static void drive_curl(struct loop *l, size_t n)
{
	int running;
	for (size_t i = 1 + l->nuser; i < n; i++) {
		short re = l->pollfds[i].revents;
		if (!re)
			continue;
		int ev = ((re & (POLLIN | POLLHUP)) ? CURL_CSELECT_IN : 0) | ((re & POLLOUT) ? CURL_CSELECT_OUT : 0) |
			 ((re & (POLLERR | POLLNVAL)) ? CURL_CSELECT_ERR : 0);
		curl_multi_socket_action(l->multi, l->pollfds[i].fd, ev, &running);
	}
	if (l->curl_due_us >= 0 && clock_us() >= l->curl_due_us) {
		l->curl_due_us = -1;
		curl_multi_socket_action(l->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
}

static void finish_transfers(struct loop *l)
{
	CURLMsg *msg;
	int queued;
	while ((msg = curl_multi_info_read(l->multi, &queued))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		CURLcode result = msg->data.result;
		void *priv = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		struct loop_transfer *t = priv;
		if (!t || t->easy != easy || !forget_transfer(l, t))
			continue;
		curl_multi_remove_handle(l->multi, easy);
		if (t->done)
			t->done(l, t, result);
	}
}

static void dispatch_signals(struct loop *l)
{
	unsigned char caught[NSIG] = {0};
	unsigned char bytes[64];
	ssize_t got;
	while ((got = read(l->wake_pipe[0], bytes, sizeof(bytes))) > 0 || (got < 0 && errno == EINTR))
		for (ssize_t i = 0; i < got; i++)
			if (bytes[i] < NSIG)
				caught[bytes[i]] = 1;
	for (size_t i = 0; i < l->nsignals; i++) {
		struct signal_watch s = l->signals[i];
		if (caught[s.signo])
			s.fn(l, s.signo, s.ud);
	}
}

static void dispatch_fds(struct loop *l)
{
	for (size_t i = 1; i <= l->nuser; i++) {
		short revents = l->pollfds[i].revents;
		if (!revents)
			continue;
		struct fd_watch *w = find_fd_by_serial(l, l->wait_serials[i]);
		if (!w)
			continue;
		if (revents & POLLNVAL) {
			w->deleted = 1;
			continue;
		}
		unsigned fired = 0;
		if (revents & (POLLIN | POLLPRI | POLLHUP | POLLERR))
			fired |= LOOP_READ;
		if (revents & (POLLOUT | POLLHUP | POLLERR))
			fired |= LOOP_WRITE;
		fired &= w->events;
		if (fired)
			w->fn(l, w->fd, fired, w->ud);
	}
}

static struct timer *earliest_due(struct loop *l, int64_t now, int64_t last_id)
{
	struct timer *best = NULL;
	for (size_t i = 0; i < l->ntimers; i++) {
		struct timer *t = &l->timers[i];
		if (t->deleted || t->id > last_id || t->when_us > now || t->ran_in_pass == l->pass)
			continue;
		if (!best || t->when_us < best->when_us ||
		    (t->when_us == best->when_us && t->id < best->id))
			best = t;
	}
	return best;
}

static void run_timers(struct loop *l)
{
	int64_t now = clock_us();
	int64_t last_id = l->next_timer_id - 1;
	struct timer *t;
	while ((t = earliest_due(l, now, last_id))) {
		t->ran_in_pass = l->pass;
		int64_t id = t->id;
		int64_t next = t->fn(l, id, t->ud);
		t = find_timer(l, id);
		if (!t)
			continue;
		if (next < 0)
			t->deleted = 1;
		else
			t->when_us = deadline_after(next);
	}
}

/* While streams keep the loop busy (the last two wake-ups both found bytes to
 * read on transfers' sockets, less than 2 * LOOP_COALESCE_US apart), the next
 * poll waits until LOOP_COALESCE_US after the last wake-up, so bytes arriving
 * on many streams take one wake-up instead of one each: a wake-up costs far
 * more than the read. A byte then shows at most that much later; the first
 * bytes of an answer, and any after a pause, are never held. */
static void coalesce(struct loop *l, int max_wait_ms)
{
	if (!l->stream_wake_us || !l->stream_gap_us || l->stream_gap_us >= 2 * LOOP_COALESCE_US || max_wait_ms == 0)
		return;
	int64_t left = l->stream_wake_us + LOOP_COALESCE_US - clock_us();
	if (left <= 0)
		return;
	struct timespec ts = { 0, (long)left * 1000 };
	nanosleep(&ts, NULL); /* a signal ends it early: its pipe is read below */
}

static int curl_socket_readable(const struct loop *l, size_t n)
{
	for (size_t i = 1 + l->nuser; i < n; i++)
		if (l->pollfds[i].revents & POLLIN)
			return 1;
	return 0;
}

void loop_run_once(struct loop *l, int max_wait_ms)
{
	size_t n = build_wait_set(l);
	coalesce(l, max_wait_ms);
	if (poll(l->pollfds, (nfds_t)n, wait_timeout(l, max_wait_ms)) <= 0)
		for (size_t i = 0; i < n; i++)
			l->pollfds[i].revents = 0;
	l->wakeups++;
	if (curl_socket_readable(l, n)) {
		int64_t now = clock_us();
		l->stream_gap_us = l->stream_wake_us ? now - l->stream_wake_us : 0;
		l->stream_wake_us = now;
	} else {
		l->stream_wake_us = l->stream_gap_us = 0;
	}

	l->pass++;
	l->in_pass++;
	if (l->multi) {
		drive_curl(l, n);
		finish_transfers(l);
	}
	if (l->pollfds[0].revents)
		dispatch_signals(l);
	dispatch_fds(l);
	run_timers(l);
	if (l->before_sleep)
		l->before_sleep(l, l->before_sleep_ud);
	l->in_pass--;
	compact_unless_in_pass(l);
}

void loop_run(struct loop *l)
{
	while (!l->stop)
		loop_run_once(l, -1);
	l->stop = 0;
}

void loop_stop(struct loop *l)
{
	l->stop = 1;
}

int loop_stopped(const struct loop *l)
{
	return l->stop;
}

uint64_t loop_wakeups(const struct loop *l)
{
	return l->wakeups;
}
