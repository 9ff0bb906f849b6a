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

void keys_init(const struct config *cfg, char ***warnings, size_t *nwarnings)
{
	*warnings = NULL;
	*nwarnings = 0;
	for (int i = 0; i < ACTION_COUNT; i++)
		table[i].key = keys_parse(defaults[i]);
	for (size_t i = 0; cfg && i < cfg->nkeys; i++) {
		const struct config_key *k = &cfg->keys[i];
		int a = 0;
		while (a < ACTION_COUNT && strcmp(table[a].name, k->action) != 0)
			a++;
		int code = keys_parse(k->key);
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
