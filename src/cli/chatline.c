#include "cli/chatline.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <readline/history.h>
#include <readline/readline.h>

#include "base/buf.h"
#include "base/dynlib.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "loop.h"

#define CL_STR2(x) #x
#define CL_STR(x) CL_STR2(x)
#define CL_READLINE_SONAME "libreadline.so." CL_STR(RL_VERSION_MAJOR)

#define CL_SYMBOLS(X)                                                                                          \
	X(add_history) X(using_history) X(stifle_history) X(rl_callback_handler_install)                      \
	X(rl_callback_handler_remove) X(rl_callback_read_char) X(rl_callback_sigcleanup) X(rl_free_line_state) \
	X(rl_replace_line) X(rl_crlf) X(rl_on_new_line) X(rl_redisplay) X(rl_catch_signals)                    \
	X(rl_catch_sigwinch) X(rl_change_environment) X(rl_readline_name) X(rl_outstream) X(rl_resize_terminal)

static struct {
	struct dynlib lib;
#define CL_MEMBER(name) __typeof__(&name) p_##name;
	CL_SYMBOLS(CL_MEMBER)
#undef CL_MEMBER
} rl;

#define RL(name) (*rl.p_##name)

static int readline_load(void)
{
	if (rl.lib.state)
		return rl.lib.state > 0;
	if (dynlib_open(&rl.lib, CL_READLINE_SONAME)) {
#define CL_RESOLVE(name) dynlib_resolve(&rl.lib, CL_READLINE_SONAME, #name, &rl.p_##name);
		CL_SYMBOLS(CL_RESOLVE)
#undef CL_RESOLVE
	}
	if (rl.lib.state < 0)
		return 0;
	RL(rl_readline_name) = "aiwb";
	RL(rl_change_environment) = 0;
	RL(rl_catch_signals) = 0;
	RL(rl_catch_sigwinch) = 0;
	RL(using_history)();
	RL(stifle_history)(500);
	return 1;
}

struct chatline {
	struct loop *loop;
	int fd;
	int editing;          /* readline on a terminal */
	int reading;          /* a line is wanted */
	int watching;         /* fd is in the loop */
	int eof;
	int64_t timer;        /* hands over a line read ahead */
	struct buf pending;   /* plain mode: bytes read past the last line */
	chatline_fn on_line;
	void *ud;
};

/* readline's handler has no user pointer: one chatline edits at a time. */
static struct chatline *editing_line;

static void stop_watching(struct chatline *cl)
{
	if (cl->watching)
		loop_del_fd(cl->loop, cl->fd);
	cl->watching = 0;
}

static void deliver(struct chatline *cl, char *line)
{
	cl->reading = 0;
	stop_watching(cl);
	cl->on_line(line, cl->ud);
}

static void on_readline(char *line)
{
	struct chatline *cl = editing_line;
	RL(rl_callback_handler_remove)();
	if (line && *line)
		RL(add_history)(line);
	if (!line)
		fputc('\n', stdout);
	fflush(stdout);
	if (cl)
		deliver(cl, line);
	else
		free(line);
}

/* Plain mode: the first complete line of pending (or what is left at the end). */
static char *take_line(struct chatline *cl)
{
	char *nl = cl->pending.len ? memchr(cl->pending.data, '\n', cl->pending.len) : NULL;
	size_t n;
	if (nl)
		n = (size_t)(nl - cl->pending.data);
	else if (cl->eof && cl->pending.len)
		n = cl->pending.len;
	else
		return NULL;
	char *line = xstrndup(cl->pending.data, n);
	if (n && line[n - 1] == '\r')
		line[n - 1] = '\0';
	buf_consume(&cl->pending, nl ? n + 1 : n);
	return line;
}

static void on_readable(struct loop *l, int fd, unsigned events, void *ud)
{
	struct chatline *cl = ud;
	(void)l;
	(void)events;
	if (cl->editing) {
		RL(rl_callback_read_char)();
		return;
	}
	char chunk[4096];
	ssize_t got = read(fd, chunk, sizeof chunk);
	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (got <= 0)
		cl->eof = 1;
	else
		buf_append(&cl->pending, chunk, (size_t)got);
	char *line = take_line(cl);
	if (line || cl->eof)
		deliver(cl, line);
}

static int64_t hand_over(struct loop *l, int64_t id, void *ud)
{
	struct chatline *cl = ud;
	(void)l;
	(void)id;
	cl->timer = 0;
	if (cl->reading) {
		char *line = take_line(cl);
		if (line || cl->eof)
			deliver(cl, line);
		else if (!cl->watching)
			cl->watching = loop_add_fd(cl->loop, cl->fd, LOOP_READ, on_readable, cl) == 0;
	}
	return LOOP_TIMER_DONE;
}

static void on_winch(struct loop *l, int signo, void *ud)
{
	struct chatline *cl = ud;
	(void)l;
	(void)signo;
	if (cl->editing && cl->reading)
		RL(rl_resize_terminal)();
}

struct chatline *chatline_new(struct loop *l, int fd, chatline_fn on_line, void *ud, const char **why)
{
	struct chatline *cl = xcalloc(1, sizeof *cl);
	cl->loop = l;
	cl->fd = fd;
	cl->on_line = on_line;
	cl->ud = ud;
	if (why)
		*why = NULL;
	if (isatty(fd)) {
		cl->editing = readline_load();
		if (cl->editing) {
			/* the prompt and the line stay off a redirected stdout */
			if (!isatty(STDOUT_FILENO))
				RL(rl_outstream) = stderr;
			loop_watch_signal(l, SIGWINCH, on_winch, cl);
		} else {
			log_warn("no line editing: %s", rl.lib.why);
			if (why)
				*why = rl.lib.why;
		}
	}
	return cl;
}

void chatline_free(struct chatline *cl)
{
	if (!cl)
		return;
	stop_watching(cl);
	if (cl->timer)
		loop_del_timer(cl->loop, cl->timer);
	if (cl->editing && cl->reading)
		RL(rl_callback_handler_remove)();
	if (editing_line == cl)
		editing_line = NULL;
	buf_free(&cl->pending);
	free(cl);
}

int chatline_editing(const struct chatline *cl)
{
	return cl->editing;
}

void chatline_read(struct chatline *cl, const char *prompt)
{
	cl->reading = 1;
	if (cl->editing) {
		editing_line = cl;
		RL(rl_callback_handler_install)(prompt, on_readline);
		cl->watching = loop_add_fd(cl->loop, cl->fd, LOOP_READ, on_readable, cl) == 0;
		return;
	}
	if (isatty(cl->fd)) {
		fputs(prompt, stdout);
		fflush(stdout);
	}
	if (!cl->timer)
		cl->timer = loop_add_timer(cl->loop, 0, hand_over, cl);
}

int chatline_interrupt(struct chatline *cl, const char *note)
{
	if (!cl->reading)
		return 0;
	if (cl->editing) {
		RL(rl_callback_sigcleanup)();
		RL(rl_free_line_state)();
		RL(rl_replace_line)("", 0);
		RL(rl_crlf)();
		fflush(stdout);
		if (note)
			fprintf(stderr, "%s\n", note);
		RL(rl_on_new_line)();
		RL(rl_redisplay)();
	} else {
		if (isatty(cl->fd))
			fputc('\n', stdout);
		fflush(stdout);
		if (note)
			fprintf(stderr, "%s\n", note);
	}
	return 1;
}
