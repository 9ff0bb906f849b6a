/* loop — the single-threaded event loop (DESIGN.md §3), shaped like redis' ae.
 *
 * One wait per pass: poll() on the signal self-pipe, the registered file
 * descriptors and the sockets libcurl asked to watch (curl's multi socket
 * interface: CURLMOPT_SOCKETFUNCTION / TIMERFUNCTION), timing out at the
 * nearest timer or curl timeout. After a wake: curl_multi_socket_action() for
 * each ready curl socket and for curl's due timeout — so a pass touches only
 * the transfers whose socket is ready, not every running one — then completed
 * transfers (curl_multi_info_read) are handed to their struct loop_transfer,
 * ready fds call their handlers, due timers run, and finally the before-sleep
 * hook (where the UI draws once). While transfers stream, the wait after a
 * wake that read one of their sockets starts at most 1 ms after that wake,
 * so many streams share wake-ups (bytes show at most 1 ms later; the first
 * byte after a quiet spell is never held).
 *
 * Signals registered with loop_watch_signal() are caught by a handler that only
 * writes the signal number to a self-pipe; the callback runs later, in the loop,
 * where it may do anything. Callbacks may add/remove fds, timers and transfers,
 * including their own, at any time. Nothing here blocks except the one wait.
 * The loop owns the CURLM, made on first use (loop_multi or loop_add_transfer),
 * so a session without network never starts curl and its TLS library; until
 * then the wait is a plain poll(). curl_global_init() is the caller's (main's)
 * job. Transfers and their easy handles stay the caller's. A transfer cannot be
 * added or cancelled from inside curl's own callbacks (write, header,
 * progress); to abort from a write callback return 0, and `done` then gets
 * CURLE_WRITE_ERROR. loop_run() clears the stop flag when it returns. */
#ifndef AIWB_LOOP_H
#define AIWB_LOOP_H

#include <curl/curl.h>
#include <stdint.h>

struct loop;

enum { LOOP_READ = 1, LOOP_WRITE = 2 };

typedef void (*loop_fd_fn)(struct loop *l, int fd, unsigned events, void *ud);
/* Returns the delay in ms until the next run, or LOOP_TIMER_DONE to delete the timer. */
typedef int64_t (*loop_timer_fn)(struct loop *l, int64_t id, void *ud);
typedef void (*loop_signal_fn)(struct loop *l, int signo, void *ud);
typedef void (*loop_hook_fn)(struct loop *l, void *ud);

#define LOOP_TIMER_DONE (-1)

/* Embed in your own transfer struct; set as the easy handle's CURLOPT_PRIVATE
 * by loop_add_transfer(). `done` runs once, from the loop, after the transfer
 * has been removed from the multi handle. */
struct loop_transfer {
	CURL *easy;
	void (*done)(struct loop *l, struct loop_transfer *t, CURLcode result);
};

struct loop *loop_new(void);
void loop_free(struct loop *l); /* restores signal dispositions it changed */
CURLM *loop_multi(struct loop *l);

int loop_add_fd(struct loop *l, int fd, unsigned events, loop_fd_fn fn, void *ud);
void loop_del_fd(struct loop *l, int fd);

/* Returns a timer id (> 0). */
int64_t loop_add_timer(struct loop *l, int64_t delay_ms, loop_timer_fn fn, void *ud);
void loop_del_timer(struct loop *l, int64_t id);

/* Installs a handler for signo that wakes the loop; fn runs inside the loop. */
int loop_watch_signal(struct loop *l, int signo, loop_signal_fn fn, void *ud);

void loop_set_before_sleep(struct loop *l, loop_hook_fn fn, void *ud);

int loop_add_transfer(struct loop *l, struct loop_transfer *t);
/* Removes a running transfer without calling `done`. */
void loop_cancel_transfer(struct loop *l, struct loop_transfer *t);
int loop_transfers(const struct loop *l); /* number running */

/* One pass: waits at most max_wait_ms (-1: until the nearest timer or an event). */
void loop_run_once(struct loop *l, int max_wait_ms);
/* Passes until loop_stop(). */
void loop_run(struct loop *l);
void loop_stop(struct loop *l);
int loop_stopped(const struct loop *l);

/* Number of waits that returned so far (for the idle-wakeup benchmark and tests). */
uint64_t loop_wakeups(const struct loop *l);

#endif
