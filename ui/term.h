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
const char *term_curses_version(void);

#endif
