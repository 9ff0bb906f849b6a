/* libFuzzer target for config_parse: any bytes give 0 (plain data, tidy
 * warnings) or -1 (one printable error naming the file), never a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.json"

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_config: %s\n", what);
		abort();
	}
}

static void check_message(const char *s)
{
	check(s != NULL, "NULL message");
	size_t n = strlen(s);
	check(n > 0 && n < 4096, "message length");
	check(strstr(s, NAME) != NULL, "message does not name the file");
	for (size_t i = 0; i < n; i++)
		check(s[i] >= 0x20 && s[i] < 0x7f, "message is not printable ASCII");
}

static int is_type(const char *t)
{
	return t && (!strcmp(t, "openai") || !strcmp(t, "anthropic") || !strcmp(t, "bedrock") || !strcmp(t, "ollama"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	struct err e = ERR_INIT;
	int rc = config_parse(&c, NAME, (const char *)data, size, &e);
	if (rc == 0) {
		check(!e.set, "error set on success");
		check(c.found == 1 && c.path && !strcmp(c.path, NAME), "path/found");
		check(c.nwarnings <= 101, "warnings not capped");
		for (size_t i = 0; i < c.nwarnings; i++)
			check_message(c.warnings[i]);
		for (size_t i = 0; i < c.nproviders; i++)
			check(c.providers[i].name && *c.providers[i].name && is_type(c.providers[i].type), "provider");
		for (size_t i = 0; i < c.nkeys; i++)
			check(c.keys[i].action && c.keys[i].key && *c.keys[i].key, "key binding");
		check(c.default_model == NULL || strchr(c.default_model, '/') != NULL, "default_model");
	} else {
		check(rc == -1 && e.set, "failure without an error");
		check(strncmp(e.msg, NAME, strlen(NAME)) == 0, "error does not start with the file name");
		check_message(e.msg);
		check(c.nwarnings == 0 && c.nproviders == 0 && c.nkeys == 0 && c.theme == NULL, "not defaults after error");
	}
	check(c.log_level && c.kb_mode && c.kb_top_k >= 1 && c.kb_top_k <= 1000 && c.log_max_kb >= 16 &&
		      c.log_max_kb <= 1048576,
	      "settings out of range");
	config_free(&c);
	config_free(&c);
	return 0;
}
