#include "input.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <readline/history.h>
#include <readline/readline.h>

#include "base/buf.h"
#include "base/dynlib.h"
#include "base/log.h"
#include "base/path.h"
#include "base/xmalloc.h"

/* readline is opened on first use, not linked: the command line (aiwb ask)
 * then does not load it, nor the terminfo library it brings, at every start. */
#define RL_STR2(x) #x
#define RL_STR(x) RL_STR2(x)
#define READLINE_SONAME "libreadline.so." RL_STR(RL_VERSION_MAJOR)

#define RL_SYMBOLS(X)                                                                                          \
	X(add_history) X(clear_history) X(history_get_history_state) X(history_set_history_state)              \
	X(read_history) X(stifle_history) X(using_history) X(write_history) X(rl_callback_handler_install)     \
	X(rl_callback_handler_remove) X(rl_callback_read_char) X(rl_completion_matches) X(rl_insert_text)      \
	X(rl_attempted_completion_function) X(rl_attempted_completion_over) X(rl_catch_signals)                \
	X(rl_catch_sigwinch) X(rl_change_environment) X(rl_completion_display_matches_hook)                    \
	X(rl_deprep_term_function) X(rl_end) X(rl_getc_function) X(rl_input_available_hook)                    \
	X(rl_library_version) X(rl_line_buffer) X(rl_outstream) X(rl_point) X(rl_prep_term_function)           \
	X(rl_readline_name) X(rl_redisplay_function)

static struct {
	struct dynlib lib;
#define RL_MEMBER(name) __typeof__(&name) p_##name;
	RL_SYMBOLS(RL_MEMBER)
#undef RL_MEMBER
} rl;

static int readline_load(void)
{
	if (rl.lib.state)
		return rl.lib.state > 0;
	if (dynlib_open(&rl.lib, READLINE_SONAME)) {
#define RL_RESOLVE(name) dynlib_resolve(&rl.lib, READLINE_SONAME, #name, &rl.p_##name);
		RL_SYMBOLS(RL_RESOLVE)
#undef RL_RESOLVE
	}
	return rl.lib.state > 0;
}

const char *input_readline_version(void)
{
	if (!readline_load())
		return rl.lib.why;
	return *rl.p_rl_library_version ? *rl.p_rl_library_version : "unknown";
}

/* A readline symbol, through the table filled by readline_load(). */
#define RL(name) (*rl.p_##name)

static struct {
	int ready, active, changed;
	char *history_file;
	const char *const *words;
	const char *const *(*args)(void *ud, const char *command);
	void *args_ud;
	const char *const *candidates; /* the words being completed now */
	unsigned char queue[16];
	int qhead, qlen;
	void (*on_done)(const char *line, void *ud);
	void *ud;
	char *prompt;
	struct buf message;
	FILE *null_out;
	HISTORY_STATE *other;       /* the history not in use (readline has one list) */
	enum input_history current; /* whose list readline holds now */
} in;

/* Makes readline's history list the one of kind h. */
static void use_history(enum input_history h)
{
	if (h == in.current)
		return;
	HISTORY_STATE *mine = RL(history_get_history_state)();
	if (in.other) {
		RL(history_set_history_state)(in.other);
		free(in.other);
	} else {
		RL(history_set_history_state)(&(HISTORY_STATE){ 0 });
		RL(stifle_history)(500);
	}
	in.other = mine;
	in.current = h;
}

static int input_getc(FILE *f)
{
	(void)f;
	if (in.qlen == 0)
		return EOF;
	int c = in.queue[in.qhead];
	in.qhead = (in.qhead + 1) % (int)sizeof in.queue;
	in.qlen--;
	return c;
}

static int input_available(void)
{
	return in.qlen > 0;
}

static void input_redisplay(void)
{
	in.changed = 1;
}

static void no_prep(int meta)
{
	(void)meta;
}

static void no_deprep(void)
{
}

static char *complete_word(const char *text, int state)
{
	static size_t i, len;
	if (!state) {
		i = 0;
		len = strlen(text);
	}
	while (in.candidates && in.candidates[i]) {
		const char *w = in.candidates[i++];
		if (strncmp(w, text, len) == 0)
			return xstrdup(w);
	}
	return NULL;
}

/* The first word completes from the command names, the next from the
 * command's own arguments (input_set_args). */
static char **complete(const char *text, int start, int end)
{
	(void)end;
	RL(rl_attempted_completion_over) = 1;
	if (start == 0) {
		in.candidates = in.words;
	} else {
		const char *line = RL(rl_line_buffer);
		size_t n = strcspn(line, " ");
		const char *arg = line + n;
		while (*arg == ' ')
			arg++;
		if (!in.args || arg - line != start)
			return NULL; /* only the first argument */
		char *command = xstrndup(line, n);
		in.candidates = in.args(in.args_ud, command);
		free(command);
	}
	return in.candidates ? RL(rl_completion_matches)(text, complete_word) : NULL;
}

static void show_matches(char **matches, int n, int max_len)
{
	(void)max_len;
	buf_reset(&in.message);
	for (int i = 1; i <= n; i++) {
		if (i > 1)
			buf_puts(&in.message, "  ");
		buf_puts(&in.message, matches[i]);
	}
	in.changed = 1;
}

void input_set_args(const char *const *(*args)(void *ud, const char *command), void *ud)
{
	in.args = args;
	in.args_ud = ud;
}

void input_init(const char *history_file, const char *const *words)
{
	in.words = words;
	free(in.history_file);
	in.history_file = history_file ? xstrdup(history_file) : NULL;
}

/* readline opens the history file by name and follows a symbolic link: check
 * it first, as every data-home file is, and keep the history in memory only
 * when it is not a plain file of ours. */
static int history_usable(void)
{
	struct err e = ERR_INIT;
	if (!in.history_file)
		return 0;
	if (path_check_private_file(in.history_file, &e) == 0)
		return 1;
	log_warn("the command history is not read or saved: %s", e.msg);
	free(in.history_file);
	in.history_file = NULL;
	return 0;
}

/* Sets readline up when the first line is edited. */
static int ready(void)
{
	if (in.ready)
		return 1;
	int first = rl.lib.state == 0;
	if (!readline_load()) {
		if (first)
			log_warn("no line editing: %s", rl.lib.why);
		return 0;
	}
	in.ready = 1;
	in.null_out = fopen("/dev/null", "w");
	RL(rl_readline_name) = "aiwb";
	RL(rl_change_environment) = 0;
	RL(rl_catch_signals) = 0;
	RL(rl_catch_sigwinch) = 0;
	RL(rl_getc_function) = input_getc;
	RL(rl_input_available_hook) = input_available;
	RL(rl_redisplay_function) = input_redisplay;
	RL(rl_prep_term_function) = no_prep;
	RL(rl_deprep_term_function) = no_deprep;
	RL(rl_outstream) = in.null_out;
	RL(rl_attempted_completion_function) = complete;
	RL(rl_completion_display_matches_hook) = show_matches;
	RL(using_history)();
	RL(stifle_history)(500);
	if (history_usable())
		RL(read_history)(in.history_file);
	return 1;
}

void input_shutdown(void)
{
	if (!in.ready) {
		free(in.history_file);
		in.history_file = NULL;
		return;
	}
	if (in.active)
		RL(rl_callback_handler_remove)();
	in.active = 0;
	use_history(INPUT_COMMANDS);
	if (history_usable())
		RL(write_history)(in.history_file);
	RL(clear_history)();
	if (in.other) {
		/* the other list: free its entries through readline, then its array */
		HISTORY_STATE *cmds = RL(history_get_history_state)();
		RL(history_set_history_state)(in.other);
		RL(clear_history)();
		free(in.other->entries);
		RL(history_set_history_state)(cmds);
		free(cmds);
		free(in.other);
		in.other = NULL;
	}
	free(in.history_file);
	free(in.prompt);
	buf_free(&in.message);
	if (in.null_out)
		fclose(in.null_out);
	memset(&in, 0, sizeof in);
}

static void finish(const char *line)
{
	void (*done)(const char *, void *) = in.on_done;
	void *ud = in.ud;
	RL(rl_callback_handler_remove)();
	in.active = 0;
	in.changed = 1;
	buf_reset(&in.message);
	if (done)
		done(line, ud);
}

static void on_line(char *line)
{
	if (line && *line)
		RL(add_history)(line);
	char *copy = line ? xstrdup(line) : NULL;
	free(line);
	finish(copy);
	free(copy);
}

static void begin(const char *prompt, void (*on_done)(const char *line, void *ud), void *ud)
{
	if (in.active)
		RL(rl_callback_handler_remove)();
	free(in.prompt);
	in.prompt = xstrdup(prompt);
	in.on_done = on_done;
	in.ud = ud;
	in.active = 1;
	in.changed = 1;
	in.qlen = in.qhead = 0;
	buf_reset(&in.message);
	RL(rl_callback_handler_install)(in.prompt, on_line);
}

void input_begin(const char *prompt, void (*on_done)(const char *line, void *ud), void *ud)
{
	if (!ready())
		return;
	use_history(INPUT_COMMANDS);
	begin(prompt, on_done, ud);
}

void input_begin_in(enum input_history h, const char *prompt, const char *initial,
		    void (*on_done)(const char *line, void *ud), void *ud)
{
	if (!ready())
		return;
	use_history(h);
	begin(prompt, on_done, ud);
	if (initial && *initial) {
		RL(rl_insert_text)(initial);
		in.changed = 1;
	}
}

void input_begin_with(const char *prompt, const char *initial, void (*on_done)(const char *line, void *ud), void *ud)
{
	input_begin_in(INPUT_COMMANDS, prompt, initial, on_done, ud);
}

int input_active(void)
{
	return in.active;
}

static void push(const char *bytes)
{
	for (; *bytes && in.qlen < (int)sizeof in.queue; bytes++) {
		in.queue[(in.qhead + in.qlen) % (int)sizeof in.queue] = (unsigned char)*bytes;
		in.qlen++;
	}
}

static const char *translate(int key, char one[2])
{
	switch (key) {
	case KEY_LEFT: return "\033[D";
	case KEY_RIGHT: return "\033[C";
	case KEY_UP: return "\033[A";
	case KEY_DOWN: return "\033[B";
	case KEY_HOME: return "\001";
	case KEY_END: return "\005";
	case KEY_DC: return "\004";
	case KEY_BACKSPACE: return "\177";
	case KEY_ENTER: return "\r";
	}
	if (key < 0 || key > 0xff)
		return NULL;
	one[0] = (char)key;
	one[1] = '\0';
	return one;
}

int input_key(int key)
{
	if (!in.active)
		return 0;
	if (key == 27 || key == 3 || key == 7) {
		finish(NULL);
		return 1;
	}
	if (key == 4 && RL(rl_end) == 0) {
		finish(NULL);
		return 1;
	}
	char one[2];
	const char *bytes = translate(key, one);
	if (!bytes || !*bytes)
		return 0;
	in.changed = 0;
	push(bytes);
	while (in.active && in.qlen > 0)
		RL(rl_callback_read_char)();
	int changed = in.changed;
	in.changed = 0;
	return changed || 1;
}

const char *input_prompt(void)
{
	return in.prompt ? in.prompt : "";
}

const char *input_line(void)
{
	return in.active && RL(rl_line_buffer) ? RL(rl_line_buffer) : "";
}

int input_cursor(void)
{
	return in.active ? RL(rl_point) : 0;
}

const char *input_message(void)
{
	return buf_str(&in.message);
}
