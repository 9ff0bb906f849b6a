#include "cli/out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sanitize.h"

void cli_put_text(const char *s, int safe)
{
	if (safe) {
		char *c = sanitize_str(s, strlen(s), 0);
		fputs(c, stdout);
		free(c);
	} else {
		fputs(s, stdout);
	}
}

void cli_json_text(cJSON *o, const char *key, const char *s, int raw)
{
	char *c = raw ? sanitize_utf8(s, strlen(s)) : sanitize_str(s, strlen(s), 0);
	cJSON_AddStringToObject(o, key, c);
	free(c);
}

void cli_print_json(cJSON *o)
{
	char *s = cJSON_Print(o);
	puts(s);
	free(s);
	cJSON_Delete(o);
}
