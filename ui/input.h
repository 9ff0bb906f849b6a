/* input — the `:` command line: GNU readline through its callback interface
 * (STYLE.md 10). Keys from curses are translated to the bytes readline expects
 * and fed one at a time; readline never touches the terminal (its terminal
 * prep, signal handling and output are redirected), and the app draws the line
 * from input_line()/input_cursor(). History is loaded from and saved to a file
 * (mode 0600) under the data home; Tab completes command names and their
 * first argument (input_set_args). readline is
 * loaded (dlopen) and its history read when the first line is edited. */
#ifndef AIWB_INPUT_H
#define AIWB_INPUT_H

/* words: NULL-terminated list of completions (borrowed for the process life). */
void input_init(const char *history_file, const char *const *words);
void input_shutdown(void); /* saves history */
/* Completion of a command's first argument: args gives the words for a
 * command name (NULL-terminated, kept by the caller until the next call), or
 * NULL for none. */
void input_set_args(const char *const *(*args)(void *ud, const char *command), void *ud);

/* Starts editing; on_done gets the line (caller of on_done must not free it;
 * NULL when cancelled with Esc, C-c, C-g or C-d on an empty line). */
void input_begin(const char *prompt, void (*on_done)(const char *line, void *ud), void *ud);
/* The same, with the line already holding `initial` (cursor at its end). */
void input_begin_with(const char *prompt, const char *initial, void (*on_done)(const char *line, void *ud), void *ud);
/* Each kind of line has its own history: `:` commands (saved to the history
 * file) and prompts (kept for the session only: prompts are in the run
 * history already, and may be private). */
enum input_history { INPUT_COMMANDS, INPUT_PROMPTS };
void input_begin_in(enum input_history h, const char *prompt, const char *initial,
		    void (*on_done)(const char *line, void *ud), void *ud);
int input_active(void);
/* Returns 1 when the line changed and needs drawing. */
int input_key(int key);

const char *input_prompt(void);
const char *input_line(void);
int input_cursor(void);            /* byte offset of the cursor in input_line() */
const char *input_message(void);   /* completion candidates to show, or "" */
/* The readline library's version, or why it cannot be loaded. */
const char *input_readline_version(void);

#endif
