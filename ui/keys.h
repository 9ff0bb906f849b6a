/* keys — actions are data (STYLE.md 3). X-macro tables give each action its
 * name (used in config "keys" and in help), default key and help text; the
 * `?` screen is generated from them. User bindings from config replace an
 * action's default key.
 *
 * KEY_ACTIONS are the global actions, one key each. Each pane (and the
 * history view) has its own table of actions named "PANE.ACTION" whose
 * defaults may hold several keys ("j Down"); a pane looks a key up in its own
 * table first, then in MOVE_KEYS, the generic moves every list and scrolling
 * text shares, and what neither takes goes to the global actions. In config a
 * pane action takes one key or several separated by spaces. */
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

#define MOVE_KEYS(X)                                                                     \
	X(MOVE_DOWN, "move.down", "j Down C-n", "Down a row (or a line)")                  \
	X(MOVE_UP, "move.up", "k Up C-p", "Up a row (or a line)")                          \
	X(MOVE_PAGE_DOWN, "move.page-down", "PgDn", "Down a page")                         \
	X(MOVE_PAGE_UP, "move.page-up", "PgUp", "Up a page")                               \
	X(MOVE_FIRST, "move.first", "g Home", "To the first row (or the top)")             \
	X(MOVE_LAST, "move.last", "G End", "To the last row (or the end)")                 \
	X(MOVE_FILTER, "move.filter", "/", "Filter a list: type, Enter keeps, Esc clears")

#define MODELS_KEYS(X)                                                                   \
	X(MODELS_SELECT, "models.select", "Enter", "Select the model the Prompt pane sends to; on a provider, fold or unfold its models") \
	X(MODELS_MARK, "models.mark", "Space", "Mark or unmark the model for comparison")  \
	X(MODELS_PARAMS, "models.params", "e", "Edit the model's parameters")                \
	X(MODELS_REFRESH, "models.refresh", "R", "Ask every provider for its models again")

#define PROMPT_KEYS(X)                                                                   \
	X(PROMPT_EDIT, "prompt.edit", "Enter i", "Write the prompt, or edit a template variable") \
	X(PROMPT_TEMPLATE, "prompt.template", "t", "Pick a template (type to filter)")     \
	X(PROMPT_VARIABLES, "prompt.variables", "v", "The template's variable form")       \
	X(PROMPT_CLEAR_VALUE, "prompt.clear-value", "x Delete", "In the form: clear the value") \
	X(PROMPT_PREVIEW, "prompt.preview", "p", "Show or hide the rendered messages")     \
	X(PROMPT_SEND, "prompt.send", "s", "Send to the selected model, or every marked one") \
	X(PROMPT_SUBMIT, "prompt.submit", "C-s", "In the editor box: send (a variable: set it)") \
	X(PROMPT_EXTERNAL, "prompt.external-editor", "E", "Edit in $VISUAL/$EDITOR (C-x C-e in the box)") \
	X(PROMPT_NEW, "prompt.new", "n", "Start a new conversation") \
	X(PROMPT_SYSTEM, "prompt.system", "S", "Set the system prompt")                    \
	X(PROMPT_SAVE, "prompt.save", "w", "Save as a new template")                       \
	X(PROMPT_CANCEL, "prompt.cancel", "C-c", "Cancel every running answer")            \
	X(PROMPT_RERUN, "prompt.rerun", "r", "Run again on the focused column's model")    \
	X(PROMPT_DIFF, "prompt.diff", "d", "Word diff of the focused column and the next") \
	X(PROMPT_ZOOM_COLUMN, "prompt.zoom-column", "f", "Zoom the focused column, and back") \
	X(PROMPT_COPY, "prompt.copy", "y", "Copy the code block in view, else the answer") \
	X(PROMPT_COPY_ALL, "prompt.copy-all", "Y", "Copy the whole answer (OSC 52)") \
	X(PROMPT_COPY_CONVERSATION, "prompt.copy-conversation", "C", "Copy the column's whole conversation (OSC 52)") \
	X(PROMPT_RAW, "prompt.raw", "m", "Answers as raw text, or rendered as Markdown")  \
	X(PROMPT_SCROLL_LEFT, "prompt.scroll-left", "<", "Scroll code and tables in the focused answer left") \
	X(PROMPT_SCROLL_RIGHT, "prompt.scroll-right", ">", "Scroll code and tables in the focused answer right") \
	X(PROMPT_PAGER, "prompt.pager", "o", "Open the focused answer in $PAGER (default less)") \
	X(PROMPT_SAVE_ANSWER, "prompt.save-answer", "W", "Save the focused answer to a file") \
	X(PROMPT_LEFT, "prompt.left", "h Left", "Focus the column on the left")            \
	X(PROMPT_RIGHT, "prompt.right", "l Right", "Focus the column on the right")        \
	X(PROMPT_PAGE_DOWN, "prompt.page-down", "Space", "Scroll the answers down a page")  \
	X(PROMPT_BACK, "prompt.back", "Esc", "Leave the form; hide the preview or the diff")

#define JOBS_KEYS(X)                                                                     \
	X(JOBS_OPEN, "jobs.open", "Enter", "Open the job: its curves, status and log")      \
	X(JOBS_STOP, "jobs.stop", "x", "Stop the job (asks y/n first)")                      \
	X(JOBS_MARK, "jobs.mark", "Space", "Mark or unmark the job for comparing runs")    \
	X(JOBS_COMPARE, "jobs.compare", "c", "Overlay one metric across the marked jobs")   \
	X(JOBS_SORT, "jobs.sort", "o", "Sort by newest, status, name or elapsed time")     \
	X(JOBS_LOG_SCALE, "jobs.log-scale", "l", "Chart: log scale on or off")              \
	X(JOBS_SMOOTH, "jobs.smooth", "s", "Chart: smoothing (moving average) on or off")   \
	X(JOBS_X_AXIS, "jobs.x-axis", "t", "Chart: x by step or by time")                   \
	X(JOBS_CELLS, "jobs.cells", "b", "Chart: braille, blocks or ASCII cells")           \
	X(JOBS_METRIC, "jobs.metric", "m", "Comparing: the next metric")                    \
	X(JOBS_FOLD, "jobs.fold", "+", "Unfold or fold the jobs under a row (tasks, executions, trials)")                   \
	X(JOBS_BACK, "jobs.back", "Esc Backspace", "Back to the list of jobs")

#define HISTORY_KEYS(X)                                                                  \
	X(HISTORY_OPEN, "history.open", "Enter", "Show the selected run in full")           \
	X(HISTORY_RESTORE, "history.restore", "C-r", "Re-open the selected run in the workbench") \
	X(HISTORY_CLEAR, "history.clear", "C-u", "Clear the search")                        \
	X(HISTORY_CLOSE, "history.close", "Esc C-c C-g", "Close the history")

#define RUN_KEYS(X)                                                                      \
	X(RUN_RESTORE, "run.restore", "r Enter", "Re-open the run shown in the workbench")  \
	X(RUN_PAGE_DOWN, "run.page-down", "Space", "Scroll down a page")                    \
	X(RUN_BACK, "run.back", "Esc q Left Backspace", "Back to the list of runs")        \
	X(RUN_CLOSE, "run.close", "C-c", "Close the history")

#define KB_KEYS(X)                                                                       \
	X(KB_OPEN, "kb.open", "Enter", "Open the knowledge base, the result in its document, or the document") \
	X(KB_QUERY, "kb.query", "i", "Type a query and search the open knowledge base")   \
	X(KB_MODE, "kb.mode", "m", "Next search mode: bm25, vector, hybrid (vector modes need embeddings)") \
	X(KB_K_MORE, "kb.k-more", "+ =", "More results (k)")                              \
	X(KB_K_LESS, "kb.k-less", "-", "Fewer results (k)")                              \
	X(KB_FILTER, "kb.filter", "f", "Set the metadata filter (year>=2024 AND tag IN (a,b)); empty clears") \
	X(KB_RERANK, "kb.rerank", "r", "Rerank by MMR on or off (needs embeddings)")     \
	X(KB_DOCS, "kb.docs", "D", "Browse the documents of the open knowledge base")      \
	X(KB_NEXT_CHUNK, "kb.next-chunk", "n", "In a document: highlight the next chunk")   \
	X(KB_PREV_CHUNK, "kb.prev-chunk", "N", "In a document: highlight the previous chunk") \
	X(KB_ASK, "kb.ask", "A", "Ask the selected model with the results as sources (in the Prompt pane)") \
	X(KB_EDIT, "kb.edit", "e", "Open the chunk's file at its line in $VISUAL/$EDITOR, or its text in $PAGER") \
	X(KB_ADD, "kb.add", "a", "Add PATH [+GLOB]... [-GLOB]... (include, exclude) to the selected knowledge base") \
	X(KB_SYNC, "kb.sync", "s", "Sync the selected knowledge base with its folders")    \
	X(KB_DELETE, "kb.delete", "d", "Delete the selected knowledge base (asks first)")  \
	X(KB_BACK, "kb.back", "Esc Backspace", "Back: document to list, list to knowledge bases (there: read them again)")

/* The tables a pane can look keys up in; KEYMAP_NONE: a pane without keys. */
enum keymap { KEYMAP_NONE, KEYMAP_MOVE, KEYMAP_MODELS, KEYMAP_PROMPT, KEYMAP_JOBS, KEYMAP_HISTORY, KEYMAP_RUN, KEYMAP_KB, KEYMAP_COUNT };

#define PANE_ACTION_ENUM(id, name, key, help) PA_##id,
enum pane_action {
	PA_NONE = -1,
	MOVE_KEYS(PANE_ACTION_ENUM) MODELS_KEYS(PANE_ACTION_ENUM) PROMPT_KEYS(PANE_ACTION_ENUM) JOBS_KEYS(PANE_ACTION_ENUM)
	HISTORY_KEYS(PANE_ACTION_ENUM) RUN_KEYS(PANE_ACTION_ENUM) KB_KEYS(PANE_ACTION_ENUM) PA_COUNT
};
#undef PANE_ACTION_ENUM

#define KEYS_PER_ACTION 4

struct pane_binding {
	enum pane_action action;
	enum keymap map;
	const char *name;
	const char *help;
	int keys[KEYS_PER_ACTION]; /* curses key codes; -1 past the last */
};

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

/* The action key means in map (Enter, C-j and KEY_ENTER are one key, and so
 * are Backspace, DEL and C-h); PA_NONE when map has none. */
enum pane_action keys_map_action(enum keymap map, int key);
/* The same, falling back to the generic MOVE_KEYS. */
enum pane_action keys_pane_action(enum keymap map, int key);
/* Every pane action, in table order (PA_COUNT rows). */
const struct pane_binding *keys_pane_table(void);
/* What help calls map: "Models pane", "Moving", ...; NULL for KEYMAP_NONE. */
const char *keys_map_title(enum keymap map);
/* The first key of a pane action (-1 when it has none), for hints. */
int keys_pane_key(enum pane_action a);
/* The name of a pane action's first key, into out; returns out. For hints,
 * with a buffer per use: KEY_HINT(PA_PROMPT_SEND) is "s" by default. */
char *keys_pane_key_name(enum pane_action a, char *out, size_t size);
#define KEY_HINT(a) keys_pane_key_name((a), (char[16]){ 0 }, 16)
/* The same for a global action. */
#define GLOBAL_KEY_HINT(a) keys_global_key_name((a), (char[16]){ 0 }, 16)
char *keys_global_key_name(enum key_action a, char *out, size_t size);
/* The keys of a pane action as "j Down C-n", into out; returns out. */
char *keys_names(const struct pane_binding *b, char *out, size_t size);

#endif
