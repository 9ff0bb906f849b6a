/* term — the one module that owns the terminal (STYLE.md 7).
 *
 * term_start() refuses, with one sentence, when stdin or stdout is not a
 * terminal or TERM cannot draw (unset, "dumb", unknown). It saves the termios
 * state, starts curses (raw, noecho, keypad, nodelay, hidden cursor) and
 * installs crash handlers (SEGV, BUS, FPE, ILL, ABRT) that restore the termios
 * state and leave the alternate screen with write(2) only, print one line, and
 * re-raise through the previous disposition so sanitizers and cores still work.
 * term_stop() is idempotent and safe after a partial start. SIGINT/SIGTERM/
 * SIGHUP/SIGWINCH are the event loop's business (app.c), not this module's. */
#ifndef AIWB_TERM_H
#define AIWB_TERM_H

#include <curses.h>
#include <stddef.h>

#include "base/err.h"

/* What getch() returns where a bracketed paste begins and ends (mode 2004 is
 * on while the terminal is ours); the bytes between are the pasted text. */
#define TERM_KEY_PASTE_BEGIN (KEY_MAX + 1)
#define TERM_KEY_PASTE_END (KEY_MAX + 2)

/* The refusals of term_start() alone, without touching the terminal. */
int term_check(struct err *e);
int term_start(struct err *e);
void term_stop(void);
/* After SIGWINCH: reads the new size and resizes curses. */
void term_resize(void);
/* Ctrl-Z: restores the terminal, stops the process, and resumes drawing. */
void term_suspend(void);
int term_active(void);
/* Writes bytes straight to the terminal (an OSC sequence curses knows
 * nothing of); -1 when the terminal is not ours or the write failed. */
int term_write(const void *data, size_t len);
/* Runs argv with the terminal handed back (as Ctrl-Z does: bracketed paste
 * off, curses ended), waits for it, and resumes drawing. SIGINT and SIGQUIT
 * are ignored by aiwb meanwhile (the child gets them). Blocks until the child
 * ends. Returns its exit status (0..255), 128+N when killed by signal N, or -1
 * when it could not be started. */
int term_run(char *const argv[]);
const char *term_curses_version(void);

#endif
