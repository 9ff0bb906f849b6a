#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "config.h"
#include "keys.h"
#include "view_help.h"

/* The table as the header declares it, independent of keys.c. */
#define ROW(id, name, key, help) { ACTION_##id, name, key, help },
static const struct {
	enum key_action action;
	const char *name, *key, *help;
} expected[] = { KEY_ACTIONS(ROW) };
#undef ROW
#define NEXPECTED ((int)(sizeof expected / sizeof *expected))

struct warnings {
	char **msg;
	size_t n;
};

static void free_warnings(struct warnings *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->msg[i]);
	free(w->msg);
	w->msg = NULL;
	w->n = 0;
}

/* keys_init with a config built by hand from action/key pairs (NULL-terminated). */
static void init_with(struct warnings *w, const char *const *pairs)
{
	struct config cfg;
	memset(&cfg, 0, sizeof cfg);
	size_t n = 0;
	while (pairs && pairs[2 * n])
		n++;
	cfg.keys = xcalloc(n ? n : 1, sizeof *cfg.keys);
	cfg.nkeys = n;
	for (size_t i = 0; i < n; i++) {
		cfg.keys[i].action = xstrdup(pairs[2 * i]);
		cfg.keys[i].key = xstrdup(pairs[2 * i + 1]);
	}
	w->msg = (char **)(uintptr_t)1; /* keys_init must reset these */
	w->n = 99;
	keys_init(&cfg, &w->msg, &w->n);
	for (size_t i = 0; i < n; i++) {
		free(cfg.keys[i].action);
		free(cfg.keys[i].key);
	}
	free(cfg.keys);
}

static void init_defaults(void)
{
	char **msg = (char **)(uintptr_t)1;
	size_t n = 99;
	keys_init(NULL, &msg, &n);
	assert_int_equal(n, 0);
	assert_null(msg);
}

static void assert_warning(const struct warnings *w, const char *a, const char *b, const char *c)
{
	for (size_t i = 0; i < w->n; i++)
		if (strstr(w->msg[i], a) && (!b || strstr(w->msg[i], b)) && (!c || strstr(w->msg[i], c)))
			return;
	fail_msg("no warning mentions \"%s\" %s %s (%zu warnings%s%s)", a, b ? b : "", c ? c : "", w->n,
		 w->n ? ", first: " : "", w->n ? w->msg[0] : "");
}

static int reset_keys(void **state)
{
	(void)state;
	char **msg;
	size_t n;
	keys_init(NULL, &msg, &n);
	return 0;
}

static void test_defaults_from_table(void **state)
{
	(void)state;
	init_defaults();
	assert_int_equal(NEXPECTED, ACTION_COUNT);
	const struct key_binding *t = keys_table();
	for (int i = 0; i < ACTION_COUNT; i++) {
		assert_int_equal(t[i].action, expected[i].action);
		assert_int_equal(t[i].action, i);
		assert_string_equal(t[i].name, expected[i].name);
		assert_string_equal(t[i].help, expected[i].help);
		int code = keys_parse(expected[i].key);
		assert_true(code >= 0);
		assert_int_equal(t[i].key, code);
		assert_int_equal(keys_key_for(expected[i].action), code);
		assert_int_equal(keys_action(code), expected[i].action);
	}
	assert_int_equal(keys_action('\t'), ACTION_FOCUS_NEXT);
	assert_int_equal(keys_action(KEY_BTAB), ACTION_FOCUS_PREV);
	assert_int_equal(keys_action('1'), ACTION_FOCUS_MODELS);
	assert_int_equal(keys_action('4'), ACTION_FOCUS_JOBS);
	assert_int_equal(keys_action('z'), ACTION_ZOOM);
	assert_int_equal(keys_action('?'), ACTION_HELP);
	assert_int_equal(keys_action(':'), ACTION_COMMAND);
	assert_int_equal(keys_action(12), ACTION_REDRAW);
	assert_int_equal(keys_action(26), ACTION_SUSPEND);
	assert_int_equal(keys_action('q'), ACTION_QUIT);
	assert_int_equal(keys_action('Q'), ACTION_NONE);
	assert_int_equal(keys_action('x'), ACTION_NONE);
	assert_int_equal(keys_key_for(ACTION_NONE), -1);
	assert_int_equal(keys_key_for(ACTION_COUNT), -1);
}

static void test_parse_specs(void **state)
{
	(void)state;
	static const struct {
		const char *spec;
		int code;
	} ok[] = {
		{ "q", 'q' },	     { "Z", 'Z' },	     { "?", '?' },	      { "~", '~' },
		{ "Tab", '\t' },     { "S-Tab", KEY_BTAB },  { "Enter", '\r' },     { "Esc", 27 },
		{ "Space", ' ' },    { "C-l", 12 },	     { "C-L", 12 },	      { "C-a", 1 },
		{ "C-z", 26 },	     { "F1", KEY_F(1) },     { "F5", KEY_F(5) },    { "F12", KEY_F(12) },
		{ "Up", KEY_UP },    { "PgDn", KEY_NPAGE },  { "Home", KEY_HOME },  { "Delete", KEY_DC },
		{ "F", 'F' },	     { "C", 'C' },
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		if (keys_parse(ok[i].spec) != ok[i].code)
			fail_msg("keys_parse(\"%s\") = %d, expected %d", ok[i].spec, keys_parse(ok[i].spec), ok[i].code);

	static const char *const bad[] = { "", "C-", "F13", "F0", "F-1", "Fx", "xyz", "C-ab", "C-1",
					   " ", "tab", "ESC", "S-", "\x7f", "\xc3\xa9" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (keys_parse(bad[i]) != -1)
			fail_msg("keys_parse(\"%s\") = %d, expected -1", bad[i], keys_parse(bad[i]));
	assert_int_equal(keys_parse(NULL), -1);
}

static void test_name_round_trips(void **state)
{
	(void)state;
	for (int i = 0; i < NEXPECTED; i++) {
		int code = keys_parse(expected[i].key);
		assert_string_equal(keys_name(code), expected[i].key);
		assert_int_equal(keys_parse(keys_name(code)), code);
	}
	static const char *const more[] = { "Enter", "Esc", "Space", "F1", "F5", "F12", "C-a", "C-n", "Up",
					    "Down", "PgUp", "PgDn", "Backspace", "Z", "~" };
	for (size_t i = 0; i < sizeof more / sizeof *more; i++)
		assert_string_equal(keys_name(keys_parse(more[i])), more[i]);
	assert_string_equal(keys_name(keys_parse("C-L")), "C-l");
}

static void test_rebind_zoom(void **state)
{
	(void)state;
	struct warnings w;
	static const char *const cfg[] = { "zoom", "Z", NULL };
	init_with(&w, cfg);
	assert_int_equal(w.n, 0);
	assert_null(w.msg);
	assert_int_equal(keys_action('Z'), ACTION_ZOOM);
	assert_int_equal(keys_action('z'), ACTION_NONE);
	assert_int_equal(keys_key_for(ACTION_ZOOM), 'Z');
	assert_int_equal(keys_action('q'), ACTION_QUIT); /* others untouched */
	free_warnings(&w);

	/* keys_init starts from the defaults each time. */
	init_defaults();
	assert_int_equal(keys_action('z'), ACTION_ZOOM);
	assert_int_equal(keys_action('Z'), ACTION_NONE);
}

static void test_rebind_named_and_enter(void **state)
{
	(void)state;
	struct warnings w;
	static const char *const cfg[] = { "command", "Enter", "redraw", "F5", "quit", "C-q", NULL };
	init_with(&w, cfg);
	assert_int_equal(w.n, 0);
	assert_int_equal(keys_action('\r'), ACTION_COMMAND);
	assert_int_equal(keys_action('\n'), ACTION_COMMAND);
	assert_int_equal(keys_action(KEY_ENTER), ACTION_COMMAND);
	assert_int_equal(keys_action(':'), ACTION_NONE);
	assert_int_equal(keys_action(KEY_F(5)), ACTION_REDRAW);
	assert_int_equal(keys_action(17), ACTION_QUIT);
	assert_int_equal(keys_action('q'), ACTION_NONE);
	free_warnings(&w);
}

static void test_unknown_action_and_bad_key_warn(void **state)
{
	(void)state;
	struct warnings w;
	static const char *const cfg[] = { "teleport", "t", "zoom", "F13", "help", "", "quit", "x", NULL };
	init_with(&w, cfg);
	assert_int_equal(w.n, 3);
	assert_warning(&w, "teleport", NULL, NULL);
	assert_warning(&w, "F13", "zoom", NULL);
	assert_warning(&w, "''", "help", NULL);
	/* Bad entries change nothing; good ones still apply. */
	assert_int_equal(keys_action('t'), ACTION_NONE);
	assert_int_equal(keys_action('z'), ACTION_ZOOM);
	assert_int_equal(keys_action('?'), ACTION_HELP);
	assert_int_equal(keys_action('x'), ACTION_QUIT);
	free_warnings(&w);
}

static void test_two_actions_on_one_key_warn(void **state)
{
	(void)state;
	struct warnings w;
	static const char *const clash_default[] = { "zoom", "q", NULL };
	init_with(&w, clash_default);
	assert_int_equal(w.n, 1);
	assert_warning(&w, "zoom", "quit", "q");
	free_warnings(&w);

	static const char *const clash_both[] = { "help", "x", "redraw", "x", NULL };
	init_with(&w, clash_both);
	assert_int_equal(w.n, 1);
	assert_warning(&w, "help", "redraw", "x");
	free_warnings(&w);

	/* Swapping two keys is not a clash. */
	static const char *const swap[] = { "zoom", "q", "quit", "z", NULL };
	init_with(&w, swap);
	assert_int_equal(w.n, 0);
	assert_int_equal(keys_action('q'), ACTION_ZOOM);
	assert_int_equal(keys_action('z'), ACTION_QUIT);
	free_warnings(&w);
}

static const struct help_command commands[] = {
	{ "open", "FILE", "Open a file" },
	{ "theme", "[NAME]", "Switch the colour theme" },
	{ "quit", NULL, "Quit aiwb" },
	{ NULL, NULL, NULL },
};

/* Each action's line holds its key name then its help, and lines follow table order. */
static void assert_help_follows_table(const char *text, const struct help_command *cmd_list)
{
	const char *at = strstr(text, "Keys\n");
	assert_non_null(at);
	const struct key_binding *t = keys_table();
	for (int i = 0; i < ACTION_COUNT; i++) {
		char line[256];
		snprintf(line, sizeof line, "\n  %-8s %s\n", keys_name(t[i].key), t[i].help);
		const char *hit = strstr(at, line);
		if (!hit)
			fail_msg("help lacks, after the previous action, the line \"%s\" in:\n%s", line + 1, text);
		at = hit + 1;
	}
	const char *cmds = strstr(text, "Commands");
	assert_non_null(cmds);
	assert_true(cmds > at);
	for (const struct help_command *c = cmd_list; c && c->name; c++) {
		const char *hit = strstr(cmds, c->name);
		assert_non_null(hit);
		assert_non_null(strstr(hit, c->help));
		cmds = hit;
	}
}

static void test_help_pinned(void **state)
{
	(void)state;
	init_defaults();
	struct buf b = BUF_INIT;
	help_text(&b, commands);
	assert_help_follows_table(buf_str(&b), commands);
	static const char want[] =
		"Keys\n"
		"  Tab      Move focus to the next pane\n"
		"  S-Tab    Move focus to the previous pane\n"
		"  1        Focus the Models pane\n"
		"  2        Focus the Prompt pane\n"
		"  3        Focus the Knowledge pane\n"
		"  4        Focus the Jobs pane\n"
		"  z        Zoom the focused pane to full screen, and back\n"
		"  ?        Show or hide this help\n"
		"  H        Search the run history; Enter shows a run, r re-opens it\n"
		"  :        Open the command line (Tab completes, Esc cancels)\n"
		"  C-l      Redraw the whole screen\n"
		"  C-z      Suspend aiwb; 'fg' in the shell returns\n"
		"  q        Quit aiwb\n"
		"\n"
		"Commands (after :)\n"
		"  open FILE          Open a file\n"
		"  theme [NAME]       Switch the colour theme\n"
		"  quit               Quit aiwb\n"
		"\n"
		"Keys can be rebound in config.json under \"keys\" (see docs/config.md).\n";
	assert_string_equal(buf_str(&b), want);
	buf_free(&b);
}

static void test_help_follows_rebinding(void **state)
{
	(void)state;
	struct warnings w;
	static const char *const cfg[] = { "zoom", "Z", "redraw", "F5", NULL };
	init_with(&w, cfg);
	free_warnings(&w);
	struct buf b = BUF_INIT;
	buf_puts(&b, "prefix|"); /* help_text appends */
	help_text(&b, NULL);
	const char *s = buf_str(&b);
	assert_true(strncmp(s, "prefix|Keys\n", 12) == 0);
	assert_help_follows_table(s + 7, NULL);
	assert_non_null(strstr(s, "\n  Z        Zoom the focused pane"));
	assert_non_null(strstr(s, "\n  F5       Redraw the whole screen\n"));
	assert_null(strstr(s, "\n  z        "));
	assert_null(strstr(s, "C-l"));
	buf_free(&b);
}

/* The pane tables as the header declares them. */
#define PANE_ROW(id, name, key, help) { PA_##id, name, key, help },
static const struct {
	enum pane_action action;
	const char *name, *keys, *help;
} pane_expected[] = { MOVE_KEYS(PANE_ROW) MODELS_KEYS(PANE_ROW) PROMPT_KEYS(PANE_ROW) JOBS_KEYS(PANE_ROW) HISTORY_KEYS(PANE_ROW)
			      RUN_KEYS(PANE_ROW) KB_KEYS(PANE_ROW) };
#undef PANE_ROW

static void test_pane_defaults_from_tables(void **state)
{
	(void)state;
	init_defaults();
	assert_int_equal(sizeof pane_expected / sizeof *pane_expected, PA_COUNT);
	const struct pane_binding *t = keys_pane_table();
	for (int i = 0; i < PA_COUNT; i++) {
		char names[64];
		assert_int_equal(t[i].action, i);
		assert_string_equal(t[i].name, pane_expected[i].name);
		assert_string_equal(t[i].help, pane_expected[i].help);
		assert_string_equal(keys_names(&t[i], names, sizeof names), pane_expected[i].keys);
		assert_true(t[i].map > KEYMAP_NONE && t[i].map < KEYMAP_COUNT);
		/* every name is PANE.ACTION, and no global action shares it */
		assert_non_null(strchr(t[i].name, '.'));
	}
	assert_int_equal(keys_map_action(KEYMAP_MODELS, '\r'), PA_MODELS_SELECT);
	assert_int_equal(keys_map_action(KEYMAP_MODELS, KEY_ENTER), PA_MODELS_SELECT);
	assert_int_equal(keys_map_action(KEYMAP_MODELS, ' '), PA_MODELS_MARK);
	assert_int_equal(keys_map_action(KEYMAP_MODELS, 'e'), PA_MODELS_PARAMS);
	assert_int_equal(keys_map_action(KEYMAP_JOBS, 'x'), PA_JOBS_STOP);
	assert_int_equal(keys_map_action(KEYMAP_JOBS, 27), PA_JOBS_BACK);
	assert_int_equal(keys_pane_action(KEYMAP_JOBS, '/'), PA_MOVE_FILTER);
	assert_int_equal(keys_map_action(KEYMAP_MODELS, 'j'), PA_NONE);
	/* the generic moves are the fallback, the pane's own table comes first */
	assert_int_equal(keys_pane_action(KEYMAP_MODELS, 'j'), PA_MOVE_DOWN);
	assert_int_equal(keys_pane_action(KEYMAP_MODELS, KEY_UP), PA_MOVE_UP);
	assert_int_equal(keys_pane_action(KEYMAP_PROMPT, 's'), PA_PROMPT_SEND);
	assert_int_equal(keys_pane_action(KEYMAP_PROMPT, 'i'), PA_PROMPT_EDIT);
	assert_int_equal(keys_pane_action(KEYMAP_PROMPT, 3), PA_PROMPT_CANCEL);
	assert_int_equal(keys_pane_action(KEYMAP_PROMPT, 'G'), PA_MOVE_LAST);
	assert_int_equal(keys_pane_action(KEYMAP_RUN, 127), PA_RUN_BACK); /* DEL is Backspace */
	assert_int_equal(keys_pane_action(KEYMAP_RUN, 'q'), PA_RUN_BACK);
	assert_int_equal(keys_pane_action(KEYMAP_HISTORY, 7), PA_HISTORY_CLOSE);
	assert_int_equal(keys_pane_action(KEYMAP_NONE, 's'), PA_NONE);
	assert_int_equal(keys_pane_action(KEYMAP_NONE, 'j'), PA_MOVE_DOWN);
	assert_int_equal(keys_pane_key(PA_PROMPT_SEND), 's');
	assert_int_equal(keys_pane_key(PA_NONE), -1);
	assert_string_equal(keys_map_title(KEYMAP_MODELS), "Models pane");
	assert_null(keys_map_title(KEYMAP_NONE));
	/* pane keys leave the global table alone */
	assert_int_equal(keys_action('s'), ACTION_NONE);
}

static void test_rebind_pane_keys(void **state)
{
	(void)state;
	struct warnings w;
	static const char *const cfg[] = { "prompt.send", "F5", "move.down", "n Down", "models.mark", "m", NULL };
	init_with(&w, cfg);
	assert_int_equal(w.n, 0);
	assert_int_equal(keys_pane_action(KEYMAP_PROMPT, KEY_F(5)), PA_PROMPT_SEND);
	assert_int_equal(keys_pane_action(KEYMAP_PROMPT, 's'), PA_NONE);
	assert_int_equal(keys_pane_action(KEYMAP_MODELS, 'n'), PA_MOVE_DOWN);
	assert_int_equal(keys_pane_action(KEYMAP_MODELS, KEY_DOWN), PA_MOVE_DOWN);
	assert_int_equal(keys_pane_action(KEYMAP_MODELS, 'j'), PA_NONE);
	assert_int_equal(keys_pane_action(KEYMAP_MODELS, 'm'), PA_MODELS_MARK);
	assert_int_equal(keys_pane_action(KEYMAP_MODELS, ' '), PA_NONE);
	free_warnings(&w);
	/* back to the defaults */
	init_defaults();
	assert_int_equal(keys_pane_action(KEYMAP_PROMPT, 's'), PA_PROMPT_SEND);
	assert_int_equal(keys_pane_action(KEYMAP_MODELS, 'j'), PA_MOVE_DOWN);
}

static void test_pane_key_warnings(void **state)
{
	(void)state;
	struct warnings w;
	static const char *const cfg[] = { "prompt.teleport", "t", "prompt.send", "F13", "prompt.save", "a b c d e",
					   "models.params", "Space", "prompt.rerun", "j", NULL };
	init_with(&w, cfg);
	assert_warning(&w, "unknown action 'prompt.teleport'", NULL, NULL);
	assert_warning(&w, "F13", "prompt.send", NULL);
	assert_warning(&w, "a b c d e", "prompt.save", NULL);
	/* two actions of one pane on a key; a pane key over a move is not a clash */
	assert_warning(&w, "Space", "models.mark", "models.params");
	assert_int_equal(w.n, 4);
	assert_int_equal(keys_pane_action(KEYMAP_PROMPT, 's'), PA_PROMPT_SEND); /* bad entries change nothing */
	assert_int_equal(keys_pane_action(KEYMAP_PROMPT, 'j'), PA_PROMPT_RERUN);
	free_warnings(&w);
}

/* ? with a pane focused: its keys, then the moves, then the rest as before. */
static void test_help_for_pane(void **state)
{
	(void)state;
	init_defaults();
	struct buf plain = BUF_INIT, b = BUF_INIT;
	help_text(&plain, commands);
	help_text_for(&b, KEYMAP_MODELS, commands);
	const char *s = buf_str(&b);
	static const char head[] = "Models pane\n"
				   "  Enter         Select the model the Prompt pane sends to; on a provider, fold or "
				   "unfold its models\n"
				   "  Space         Mark or unmark the model for comparison\n"
				   "  e             Edit the model's parameters\n"
				   "  R             Ask every provider for its models again\n"
				   "  j Down C-n    Down a row (or a line)\n";
	assert_true(strncmp(s, head, strlen(head)) == 0);
	assert_non_null(strstr(s, "\n  /             Filter a list"));
	const char *rest = strstr(s, "\n\nKeys\n");
	assert_non_null(rest);
	assert_string_equal(rest + 2, buf_str(&plain));
	buf_reset(&b);
	help_text_for(&b, KEYMAP_PROMPT, commands);
	assert_true(strncmp(buf_str(&b), "Prompt pane\n  Enter i       Write the prompt", 43) == 0);
	assert_null(strstr(buf_str(&b), "Filter a list")); /* the Prompt pane has no list */
	/* the history's list types letters: only the other keys of a move are shown */
	buf_reset(&b);
	help_text_for(&b, KEYMAP_HISTORY, commands);
	assert_true(strncmp(buf_str(&b), "History\n  Enter         Show the selected run in full\n", 54) == 0);
	assert_non_null(strstr(buf_str(&b), "\n  Down C-n      Down a row"));
	assert_non_null(strstr(buf_str(&b), "\n  Home          To the first row"));
	assert_null(strstr(buf_str(&b), "j Down"));
	assert_null(strstr(buf_str(&b), "Filter a list"));
	buf_reset(&b);
	help_text_for(&b, KEYMAP_RUN, commands);
	assert_non_null(strstr(buf_str(&b), "\n  Esc q Left Backspace  Back to the list of runs\n"));
	assert_non_null(strstr(buf_str(&b), "\n  j Down C-n    Down a row"));
	buf_reset(&b);
	help_text_for(&b, KEYMAP_NONE, commands);
	assert_string_equal(buf_str(&b), buf_str(&plain));
	/* rebinding shows */
	struct warnings w;
	static const char *const cfg[] = { "models.mark", "m Insert", NULL };
	init_with(&w, cfg);
	free_warnings(&w);
	buf_reset(&b);
	help_text_for(&b, KEYMAP_MODELS, NULL);
	assert_non_null(strstr(buf_str(&b), "\n  m Insert      Mark or unmark"));
	buf_free(&b);
	buf_free(&plain);
}

#define T(f) cmocka_unit_test_teardown(f, reset_keys)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_defaults_from_table),
		T(test_parse_specs),
		T(test_name_round_trips),
		T(test_rebind_zoom),
		T(test_rebind_named_and_enter),
		T(test_unknown_action_and_bad_key_warn),
		T(test_two_actions_on_one_key_warn),
		T(test_help_pinned),
		T(test_help_follows_rebinding),
		T(test_pane_defaults_from_tables),
		T(test_rebind_pane_keys),
		T(test_pane_key_warnings),
		T(test_help_for_pane),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
