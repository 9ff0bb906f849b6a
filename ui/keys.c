#include "keys.h"

#include <ctype.h>
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

#define KEY_TABLE_ROW(id, name, key, help) { ACTION_##id, name, help, 0 },
static struct key_binding table[ACTION_COUNT] = { KEY_ACTIONS(KEY_TABLE_ROW) };
#undef KEY_TABLE_ROW

#define KEY_DEFAULT(id, name, key, help) key,
static const char *const defaults[ACTION_COUNT] = { KEY_ACTIONS(KEY_DEFAULT) };
#undef KEY_DEFAULT

#define PANE_ROW(map, id, name, key, help) { PA_##id, map, name, help, { -1, -1, -1, -1 } },
#define MOVE_ROW(id, name, key, help) PANE_ROW(KEYMAP_MOVE, id, name, key, help)
#define MODELS_ROW(id, name, key, help) PANE_ROW(KEYMAP_MODELS, id, name, key, help)
#define PROMPT_ROW(id, name, key, help) PANE_ROW(KEYMAP_PROMPT, id, name, key, help)
#define JOBS_ROW(id, name, key, help) PANE_ROW(KEYMAP_JOBS, id, name, key, help)
#define HISTORY_ROW(id, name, key, help) PANE_ROW(KEYMAP_HISTORY, id, name, key, help)
#define RUN_ROW(id, name, key, help) PANE_ROW(KEYMAP_RUN, id, name, key, help)
#define KB_ROW(id, name, key, help) PANE_ROW(KEYMAP_KB, id, name, key, help)
static struct pane_binding pane_table[PA_COUNT] = { MOVE_KEYS(MOVE_ROW) MODELS_KEYS(MODELS_ROW) PROMPT_KEYS(PROMPT_ROW)
							     JOBS_KEYS(JOBS_ROW) HISTORY_KEYS(HISTORY_ROW) RUN_KEYS(RUN_ROW)
								     KB_KEYS(KB_ROW) };
#undef PANE_ROW
#undef MOVE_ROW
#undef MODELS_ROW
#undef PROMPT_ROW
#undef JOBS_ROW
#undef HISTORY_ROW
#undef RUN_ROW
#undef KB_ROW

#define PANE_DEFAULT(id, name, key, help) key,
static const char *const pane_defaults[PA_COUNT] = { MOVE_KEYS(PANE_DEFAULT) MODELS_KEYS(PANE_DEFAULT)
							     PROMPT_KEYS(PANE_DEFAULT) JOBS_KEYS(PANE_DEFAULT) HISTORY_KEYS(PANE_DEFAULT)
								     RUN_KEYS(PANE_DEFAULT) KB_KEYS(PANE_DEFAULT) };
#undef PANE_DEFAULT

static const char *const map_titles[KEYMAP_COUNT] = {
	[KEYMAP_MOVE] = "Moving (in every list and text)",
	[KEYMAP_MODELS] = "Models pane",
	[KEYMAP_PROMPT] = "Prompt pane",
	[KEYMAP_JOBS] = "Jobs pane",
	[KEYMAP_HISTORY] = "History",
	[KEYMAP_RUN] = "History: a run in full",
	[KEYMAP_KB] = "Knowledge pane",
};

static int initialized;

static const struct {
	const char *name;
	int key;
} named[] = {
	{ "Tab", '\t' },	  { "S-Tab", KEY_BTAB },    { "Enter", '\r' },	   { "Esc", 27 },
	{ "Space", ' ' },	  { "Backspace", KEY_BACKSPACE }, { "Up", KEY_UP },	   { "Down", KEY_DOWN },
	{ "Left", KEY_LEFT },	  { "Right", KEY_RIGHT },   { "PgUp", KEY_PPAGE }, { "PgDn", KEY_NPAGE },
	{ "Home", KEY_HOME },	  { "End", KEY_END },	    { "Delete", KEY_DC },  { "Insert", KEY_IC },
};

int keys_parse(const char *spec)
{
	if (!spec || !*spec)
		return -1;
	for (size_t i = 0; i < sizeof named / sizeof *named; i++)
		if (strcmp(spec, named[i].name) == 0)
			return named[i].key;
	if (spec[1] == '\0' && spec[0] > ' ' && spec[0] < 0x7f)
		return (unsigned char)spec[0];
	if (strncmp(spec, "C-", 2) == 0 && spec[2] && !spec[3]) {
		char c = (char)tolower((unsigned char)spec[2]);
		if (c >= 'a' && c <= 'z' && c != 'i' && c != 'm') /* C-i is Tab, C-m is Enter */
			return c - 'a' + 1;
	}
	if (spec[0] == 'F') {
		char *end;
		long n = strtol(spec + 1, &end, 10);
		if (spec[1] && !*end && n >= 1 && n <= 12)
			return KEY_F(n);
	}
	return -1;
}

const char *keys_name(int key)
{
	static char buf[16];
	for (size_t i = 0; i < sizeof named / sizeof *named; i++)
		if (named[i].key == key)
			return named[i].name;
	if (key > ' ' && key < 0x7f)
		snprintf(buf, sizeof buf, "%c", key);
	else if (key >= 1 && key <= 26)
		snprintf(buf, sizeof buf, "C-%c", 'a' + key - 1);
	else if (key >= KEY_F(1) && key <= KEY_F(12))
		snprintf(buf, sizeof buf, "F%d", key - KEY_F0);
	else
		snprintf(buf, sizeof buf, "#%d", key);
	return buf;
}

static void warn(char ***w, size_t *n, char *msg)
{
	*w = xreallocarray(*w, *n + 1, sizeof **w);
	(*w)[(*n)++] = msg;
}

/* Parses "j Down C-n" into keys (-1 past the last); returns the number of
 * keys, or -1 when a word is not a key or there are more than fit. */
static int parse_list(const char *spec, int keys[KEYS_PER_ACTION])
{
	int n = 0;
	char word[32];
	for (int k = 0; k < KEYS_PER_ACTION; k++)
		keys[k] = -1;
	while (spec && *spec) {
		size_t len = strcspn(spec, " ");
		if (len) {
			if (n == KEYS_PER_ACTION || len >= sizeof word)
				return -1;
			memcpy(word, spec, len);
			word[len] = '\0';
			if ((keys[n++] = keys_parse(word)) < 0)
				return -1;
		}
		spec += len + (spec[len] == ' ');
	}
	return n ? n : -1;
}

static void pane_defaults_apply(void)
{
	for (int i = 0; i < PA_COUNT; i++)
		parse_list(pane_defaults[i], pane_table[i].keys);
}

static int binding_has(const struct pane_binding *b, int key)
{
	for (int k = 0; k < KEYS_PER_ACTION && b->keys[k] >= 0; k++)
		if (b->keys[k] == key)
			return 1;
	return 0;
}

/* A pane action from config: 1 when name is one, else 0. */
static int bind_pane(const struct config_key *k, char ***warnings, size_t *nwarnings)
{
	for (int a = 0; a < PA_COUNT; a++) {
		if (strcmp(pane_table[a].name, k->action) != 0)
			continue;
		int keys[KEYS_PER_ACTION];
		if (parse_list(k->key, keys) < 0)
			warn(warnings, nwarnings,
			     xasprintf("config keys: '%s' is not a key or up to %d keys separated by spaces (for %s)", k->key,
				       KEYS_PER_ACTION, k->action));
		else
			memcpy(pane_table[a].keys, keys, sizeof keys);
		return 1;
	}
	return 0;
}

/* Two actions of one pane on one key (a pane's key may shadow a move or a
 * global one: that is what it is for). */
static void pane_clashes(char ***warnings, size_t *nwarnings)
{
	for (int a = 0; a < PA_COUNT; a++)
		for (int b = a + 1; b < PA_COUNT; b++) {
			if (pane_table[a].map != pane_table[b].map)
				continue;
			for (int k = 0; k < KEYS_PER_ACTION && pane_table[a].keys[k] >= 0; k++)
				if (binding_has(&pane_table[b], pane_table[a].keys[k]))
					warn(warnings, nwarnings,
					     xasprintf("config keys: %s is bound to both %s and %s",
						       keys_name(pane_table[a].keys[k]), pane_table[a].name, pane_table[b].name));
		}
}

void keys_init(const struct config *cfg, char ***warnings, size_t *nwarnings)
{
	*warnings = NULL;
	*nwarnings = 0;
	initialized = 1;
	for (int i = 0; i < ACTION_COUNT; i++)
		table[i].key = keys_parse(defaults[i]);
	pane_defaults_apply();
	for (size_t i = 0; cfg && i < cfg->nkeys; i++) {
		const struct config_key *k = &cfg->keys[i];
		int a = 0;
		while (a < ACTION_COUNT && strcmp(table[a].name, k->action) != 0)
			a++;
		int code = keys_parse(k->key);
		if (a == ACTION_COUNT && bind_pane(k, warnings, nwarnings))
			continue;
		if (a == ACTION_COUNT)
			warn(warnings, nwarnings, xasprintf("config keys: unknown action '%s'", k->action));
		else if (code < 0)
			warn(warnings, nwarnings, xasprintf("config keys: '%s' is not a key (for %s)", k->key, k->action));
		else
			table[a].key = code;
	}
	for (int a = 0; a < ACTION_COUNT; a++)
		for (int b = a + 1; b < ACTION_COUNT; b++)
			if (table[a].key == table[b].key && table[a].key >= 0)
				warn(warnings, nwarnings, xasprintf("config keys: %s is bound to both %s and %s",
								    keys_name(table[a].key), table[a].name, table[b].name));
	pane_clashes(warnings, nwarnings);
}

enum key_action keys_action(int key)
{
	if (key == KEY_ENTER || key == '\n')
		key = '\r';
	for (int i = 0; i < ACTION_COUNT; i++)
		if (table[i].key == key)
			return table[i].action;
	return ACTION_NONE;
}

const struct key_binding *keys_table(void)
{
	return table;
}

int keys_key_for(enum key_action a)
{
	return a >= 0 && a < ACTION_COUNT ? table[a].key : -1;
}

static void ensure_defaults(void)
{
	if (initialized)
		return;
	char **w;
	size_t n;
	keys_init(NULL, &w, &n);
}

enum pane_action keys_map_action(enum keymap map, int key)
{
	ensure_defaults();
	if (key == KEY_ENTER || key == '\n')
		key = '\r';
	else if (key == 127 || key == 8)
		key = KEY_BACKSPACE;
	for (int a = 0; map != KEYMAP_NONE && a < PA_COUNT; a++)
		if (pane_table[a].map == map && binding_has(&pane_table[a], key))
			return pane_table[a].action;
	return PA_NONE;
}

enum pane_action keys_pane_action(enum keymap map, int key)
{
	enum pane_action a = keys_map_action(map, key);
	return a != PA_NONE ? a : keys_map_action(KEYMAP_MOVE, key);
}

const struct pane_binding *keys_pane_table(void)
{
	ensure_defaults();
	return pane_table;
}

const char *keys_map_title(enum keymap map)
{
	return map > KEYMAP_NONE && map < KEYMAP_COUNT ? map_titles[map] : NULL;
}

int keys_pane_key(enum pane_action a)
{
	ensure_defaults();
	return a >= 0 && a < PA_COUNT ? pane_table[a].keys[0] : -1;
}

char *keys_pane_key_name(enum pane_action a, char *out, size_t size)
{
	int key = keys_pane_key(a);
	snprintf(out, size, "%s", key >= 0 ? keys_name(key) : "-");
	return out;
}

char *keys_global_key_name(enum key_action a, char *out, size_t size)
{
	int key = keys_key_for(a);
	snprintf(out, size, "%s", key >= 0 ? keys_name(key) : "-");
	return out;
}

char *keys_names(const struct pane_binding *b, char *out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (int k = 0; k < KEYS_PER_ACTION && b->keys[k] >= 0 && used < size; k++)
		used += (size_t)snprintf(out + used, size - used, "%s%s", k ? " " : "", keys_name(b->keys[k]));
	if (!out[0])
		snprintf(out, size, "-");
	return out;
}
