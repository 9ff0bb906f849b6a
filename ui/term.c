#include "term.h"

#include <curses.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>

#include "base/xmalloc.h"

static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
#define NCRASH (sizeof crash_signals / sizeof *crash_signals)

static struct {
	int active;
	int have_termios;
	struct termios saved;
	SCREEN *screen;
	char leave[128]; /* bytes that leave the alternate screen and show the cursor */
	size_t leave_len;
	struct sigaction old[NCRASH];
} t;

const char *term_curses_version(void)
{
	return curses_version();
}

int term_active(void)
{
	return t.active;
}

static void write_all(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(STDOUT_FILENO, p, n);
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void on_crash(int sig)
{
	if (t.active) {
		if (t.have_termios)
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &t.saved);
		write_all(t.leave, t.leave_len);
		t.active = 0;
	}
	static const char msg[] = "aiwb: crashed; the terminal was restored. Details may be in aiwb.log in the data home.\n";
	ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
	(void)ignored;
	for (size_t i = 0; i < NCRASH; i++)
		if (crash_signals[i] == sig)
			sigaction(sig, &t.old[i], NULL);
	raise(sig); /* blocked until we return; then the previous handler or the default runs */
}

/* Bracketed paste (xterm's mode 2004): a paste arrives between ESC [200~ and
 * ESC [201~, so it is text, never keys. On while curses runs, off on every
 * way out (stop, suspend, crash). */
static const char paste_on[] = "\033[?2004h", paste_off[] = "\033[?2004l";

static void remember_leave_sequence(void)
{
	const char *rmcup = tigetstr("rmcup");
	const char *cnorm = tigetstr("cnorm");
	const char *sgr0 = tigetstr("sgr0");
	const char *rmkx = tigetstr("rmkx");
	static const char mouse_off[] = "\033[?1006l\033[?1002l\033[?1000l";
	const char *parts[] = { paste_off, mouse_off, sgr0, cnorm, rmkx, rmcup };
	t.leave_len = 0;
	for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
		const char *s = parts[i];
		if (!s || s == (char *)-1)
			continue;
		size_t n = strlen(s);
		if (t.leave_len + n >= sizeof t.leave)
			break;
		memcpy(t.leave + t.leave_len, s, n);
		t.leave_len += n;
	}
	if (t.leave_len + 2 < sizeof t.leave) {
		memcpy(t.leave + t.leave_len, "\r\n", 2);
		t.leave_len += 2;
	}
}

int term_check(struct err *e)
{
	const char *term = getenv("TERM");
	if (!isatty(STDIN_FILENO))
		return err_set(e, "the workbench needs a terminal, but stdin is not one; use a command instead (see aiwb --help)");
	if (!isatty(STDOUT_FILENO))
		return err_set(e, "the workbench needs a terminal, but stdout is not one; use a command instead (see aiwb --help)");
	if (!term || !*term)
		return err_set(e, "TERM is not set, so the workbench cannot draw; set TERM (e.g. xterm-256color) or use a command");
	if (strcmp(term, "dumb") == 0)
		return err_set(e, "TERM=dumb cannot draw the workbench; use a real terminal or a command (see aiwb --help)");
	return 0;
}

int term_start(struct err *e)
{
	const char *term = getenv("TERM");
	if (term_check(e) != 0)
		return -1;
	t.have_termios = tcgetattr(STDIN_FILENO, &t.saved) == 0;
	FILE *out = fdopen(dup(STDOUT_FILENO), "w");
	if (!out)
		return err_errno(e, "cannot open the terminal for drawing");
	t.screen = newterm(term, out, stdin);
	if (!t.screen) {
		fclose(out);
		return err_set(e, "the terminal type '%s' is unknown to this system's terminfo; set TERM to one it knows (e.g. xterm-256color)", term);
	}
	if (tigetstr("cup") == NULL || tigetstr("cup") == (char *)-1) {
		endwin();
		delscreen(t.screen);
		t.screen = NULL;
		fclose(out);
		return err_set(e, "the terminal type '%s' cannot move the cursor, so the workbench cannot draw; use a command instead", term);
	}
	remember_leave_sequence();
	t.active = 1;
	for (size_t i = 0; i < NCRASH; i++) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_crash;
		sigemptyset(&sa.sa_mask);
		sigaction(crash_signals[i], &sa, &t.old[i]);
	}
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	define_key("\033[200~", TERM_KEY_PASTE_BEGIN);
	define_key("\033[201~", TERM_KEY_PASTE_END);
	/* Home and End as VT220, rxvt and the Linux console send them, when the
	 * terminfo entry names other sequences. */
	define_key("\033[1~", KEY_HOME);
	define_key("\033[7~", KEY_HOME);
	define_key("\033[4~", KEY_END);
	define_key("\033[8~", KEY_END);
	write_all(paste_on, sizeof paste_on - 1);
	const char *no_color = getenv("NO_COLOR");
	if (has_colors() && !(no_color && *no_color))
		start_color();
	return 0;
}

void term_stop(void)
{
	if (!t.active)
		return;
	t.active = 0;
	write_all(paste_off, sizeof paste_off - 1);
	curs_set(1);
	endwin();
	for (size_t i = 0; i < NCRASH; i++)
		sigaction(crash_signals[i], &t.old[i], NULL);
	if (t.have_termios)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &t.saved);
	fflush(stdout);
}

void term_resize(void)
{
	struct winsize ws;
	if (!t.active || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0)
		return;
	resizeterm(ws.ws_row, ws.ws_col);
}

void term_suspend(void)
{
	if (!t.active)
		return;
	write_all(paste_off, sizeof paste_off - 1);
	endwin();
	kill(getpid(), SIGTSTP);
	refresh();
	write_all(paste_on, sizeof paste_on - 1);
	term_resize();
}

int term_write(const void *data, size_t len)
{
	if (!t.active)
		return -1;
	const char *p = data;
	while (len) {
		ssize_t w = write(STDOUT_FILENO, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int term_run(char *const argv[])
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	sigemptyset(&ign.sa_mask);
	if (t.active) {
		write_all(paste_off, sizeof paste_off - 1);
		endwin();
	}
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	int rc = -1;
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid > 0) {
		int status;
		pid_t w;
		while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
			;
		if (w == pid)
			rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	if (t.active) {
		clearok(curscr, TRUE);
		refresh();
		write_all(paste_on, sizeof paste_on - 1);
		term_resize();
	}
	return rc;
}
