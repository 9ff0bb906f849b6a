#include "net/ini.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/path.h"
#include "base/xmalloc.h"

static char *trimmed(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

static void add(struct ini *ini, const char *section, char *key, char *value)
{
	ini->entries = xreallocarray(ini->entries, ini->n + 1, sizeof *ini->entries);
	ini->entries[ini->n++] = (struct ini_entry){ xstrdup(section), key, value };
}

int ini_parse(struct ini *ini, const char *text)
{
	memset(ini, 0, sizeof *ini);
	char *section = xstrdup("");
	char *parent = NULL; /* key whose value was empty: indented lines nest under it */
	const char *line = text;
	while (*line) {
		size_t len = strcspn(line, "\n");
		const char *next = line[len] ? line + len + 1 : line + len;
		int indented = len && (line[0] == ' ' || line[0] == '\t');
		char *l = trimmed(line, len);
		if (!*l || *l == '#' || *l == ';') {
			/* blank or comment */
		} else if (*l == '[') {
			char *end = strchr(l, ']');
			free(section);
			section = end ? trimmed(l + 1, (size_t)(end - l - 1)) : xstrdup(l + 1);
			ini->sections = xreallocarray(ini->sections, ini->nsections + 1, sizeof *ini->sections);
			ini->sections[ini->nsections++] = xstrdup(section);
			free(parent);
			parent = NULL;
		} else {
			char *eq = strchr(l, '=');
			if (eq) {
				char *key = trimmed(l, (size_t)(eq - l));
				char *value = trimmed(eq + 1, strlen(eq + 1));
				if (indented && parent) {
					char *nested = xasprintf("%s.%s", parent, key);
					free(key);
					key = nested;
				} else {
					free(parent);
					parent = *value ? NULL : xstrdup(key);
				}
				add(ini, section, key, value);
			}
		}
		free(l);
		line = next;
	}
	free(section);
	free(parent);
	return 0;
}

int ini_load(struct ini *ini, const char *path, int *found, struct err *e)
{
	memset(ini, 0, sizeof *ini);
	if (found)
		*found = 0;
	struct stat st;
	if (lstat(path, &st) != 0 && errno == ENOENT)
		return 0;
	struct err local = ERR_INIT;
	char *text = path_read_file(path, NULL, &local);
	if (!text)
		return err_set(e, "%s", local.msg);
	if (found)
		*found = 1;
	ini_parse(ini, text);
	free(text);
	return 0;
}

void ini_free(struct ini *ini)
{
	for (size_t i = 0; i < ini->n; i++) {
		free(ini->entries[i].section);
		free(ini->entries[i].key);
		free(ini->entries[i].value);
	}
	free(ini->entries);
	for (size_t i = 0; i < ini->nsections; i++)
		free(ini->sections[i]);
	free(ini->sections);
	memset(ini, 0, sizeof *ini);
}

const char *ini_get(const struct ini *ini, const char *section, const char *key)
{
	const char *found = NULL;
	for (size_t i = 0; i < ini->n; i++)
		if (strcmp(ini->entries[i].section, section) == 0 && strcmp(ini->entries[i].key, key) == 0)
			found = ini->entries[i].value; /* last one wins */
	return found;
}

int ini_has_section(const struct ini *ini, const char *section)
{
	for (size_t i = 0; i < ini->nsections; i++)
		if (strcmp(ini->sections[i], section) == 0)
			return 1;
	return 0;
}
