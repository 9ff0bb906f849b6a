/* keys — actions are data (STYLE.md 3). One X-macro table gives each action
 * its name (used in config "keys" and in help), default key and help text; the
 * `?` screen is generated from it. User bindings from config replace an
 * action's default key. */
#ifndef AIWB_KEYS_H
#define AIWB_KEYS_H

#include <stddef.h>

#include "config.h"

#define KEY_ACTIONS(X)                                                                   \
	X(FOCUS_NEXT, "focus-next", "Tab", "Move focus to the next pane")                \
	X(FOCUS_PREV, "focus-prev", "S-Tab", "Move focus to the previous pane")          \
	X(FOCUS_MODELS, "focus-models", "1", "Focus the Models pane")                    \
	X(FOCUS_PROMPT, "focus-prompt", "2", "Focus the Prompt pane")                    \
	X(FOCUS_KNOWLEDGE, "focus-knowledge", "3", "Focus the Knowledge pane")           \
	X(FOCUS_JOBS, "focus-jobs", "4", "Focus the Jobs pane")                          \
	X(ZOOM, "zoom", "z", "Zoom the focused pane to full screen, and back")           \
	X(HELP, "help", "?", "Show or hide this help")                                   \
	X(HISTORY, "history", "H", "Search the run history; Enter shows a run, r re-opens it") \
	X(COMMAND, "command", ":", "Open the command line (Tab completes, Esc cancels)") \
	X(REDRAW, "redraw", "C-l", "Redraw the whole screen")                            \
	X(SUSPEND, "suspend", "C-z", "Suspend aiwb; 'fg' in the shell returns")          \
	X(QUIT, "quit", "q", "Quit aiwb")

#define KEY_ACTION_ENUM(id, name, key, help) ACTION_##id,
enum key_action { ACTION_NONE = -1, KEY_ACTIONS(KEY_ACTION_ENUM) ACTION_COUNT };
#undef KEY_ACTION_ENUM

struct key_binding {
	enum key_action action;
	const char *name;
	const char *help;
	int key; /* curses key code */
};

/* Resets to defaults, then applies config bindings; unknown actions or keys
 * produce one message each in *warnings (caller frees each and the array). */
void keys_init(const struct config *cfg, char ***warnings, size_t *nwarnings);
enum key_action keys_action(int key);
const struct key_binding *keys_table(void);
/* "Tab", "C-l", "q", "F5"... for help and the status line; borrowed. */
const char *keys_name(int key);
/* Parses a key spec; -1 when invalid. */
int keys_parse(const char *spec);
/* The key currently bound to an action, for hints. */
int keys_key_for(enum key_action a);

#endif
