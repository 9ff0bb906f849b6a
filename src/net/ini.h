/* ini — the AWS shared config/credentials file format (PROTOCOLS.md §9).
 *
 * Sections "[name]"; "key = value" lines; '#' and ';' comment lines; an
 * indented "sub = value" line following "key =" with an empty value is stored
 * as "key.sub" (the nested `services` form). Keys are case-sensitive as the AWS
 * SDKs treat them. The parsed file owns every string. Values may be secrets:
 * never log them. */
#ifndef AIWB_INI_H
#define AIWB_INI_H

#include <stddef.h>

#include "base/err.h"

struct ini_entry {
	char *section;
	char *key;
	char *value;
};

struct ini {
	struct ini_entry *entries;
	size_t n;
	char **sections; /* every section header seen, even empty ones */
	size_t nsections;
};

int ini_parse(struct ini *ini, const char *text);
/* Missing file: 0 with an empty ini (and *found = 0). */
int ini_load(struct ini *ini, const char *path, int *found, struct err *e);
void ini_free(struct ini *ini);
/* Borrowed; NULL when absent. */
const char *ini_get(const struct ini *ini, const char *section, const char *key);
int ini_has_section(const struct ini *ini, const char *section);

#endif
