/* chatline — the lines `aiwb chat` reads, driven by the event loop.
 *
 * When stdin is a terminal: GNU readline through its callback interface
 * (STYLE.md 10), loaded with dlopen when the first line is read, as the
 * workbench loads it (ui/input.c), so no other command pays for it. Emacs
 * keys, Up/Down through the lines of this chat (kept for the process only:
 * prompts may be private). readline catches no signal: Ctrl-C reaches the
 * session's loop, and chatline_interrupt drops the line being edited; a
 * resize (SIGWINCH) is passed on to it. With stdout redirected, the prompt
 * and the line being edited go to stderr.
 * Otherwise (a pipe, a file), or when readline cannot be loaded: plain lines
 * from stdin, with no prompt, so a script can pipe a conversation.
 *
 * chatline_read shows the prompt and watches stdin until one line is
 * complete, then stops watching and calls on_line with it (without its
 * newline; the callee owns it and frees it with free()), or with NULL at the
 * end of the input. Lines already read ahead are handed over from a timer,
 * never from inside chatline_read. */
#ifndef AIWB_CLI_CHATLINE_H
#define AIWB_CLI_CHATLINE_H

struct loop;
struct chatline;

typedef void (*chatline_fn)(char *line, void *ud);

/* fd is the input (STDIN_FILENO). *why (if not NULL) is set to why
 * readline was not used on a terminal, else NULL. */
struct chatline *chatline_new(struct loop *l, int fd, chatline_fn on_line, void *ud, const char **why);
void chatline_free(struct chatline *cl);
int chatline_editing(const struct chatline *cl); /* readline in use */
void chatline_read(struct chatline *cl, const char *prompt);
/* Ctrl-C while a line is read: the line is dropped, note (if not NULL) is
 * printed on stderr on a line of its own and the prompt shown again. Returns
 * 1 when a line was being read, else 0 (nothing is printed). */
int chatline_interrupt(struct chatline *cl, const char *note);

#endif
