/* aiwb keys: API keys in 0600 files under the data home (never in argv). */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "cli/cli.h"
#include "config.h"
#include "llm/creds.h"

static const char *const builtin[] = { "openai", "anthropic", "bedrock", "ollama" };

/* The provider's type, from config or the built-in names; NULL when unknown. */
static const char *provider_type(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nproviders; i++)
		if (strcmp(cfg->providers[i].name, name) == 0)
			return cfg->providers[i].type;
	for (size_t i = 0; i < sizeof builtin / sizeof *builtin; i++)
		if (strcmp(builtin[i], name) == 0)
			return builtin[i];
	return NULL;
}

static const struct config_provider *provider_config(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nproviders; i++)
		if (strcmp(cfg->providers[i].name, name) == 0)
			return &cfg->providers[i];
	return NULL;
}

/* One line of standard input, hidden on a terminal, trimmed; at most 1 MiB
 * of it is kept (far past any key, so the limit check still sees it). */
static void read_secret(struct buf *out)
{
	int tty = isatty(STDIN_FILENO);
	struct termios saved, quiet;
	if (tty) {
		fputs("API key (input hidden): ", stderr);
		fflush(stderr);
		tcgetattr(STDIN_FILENO, &saved);
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	int c;
	while ((c = getchar()) != EOF && c != '\n')
		if (out->len < ((size_t)1 << 20))
			buf_putc(out, (char)c);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		fputc('\n', stderr);
	}
	while (out->len && isspace((unsigned char)out->data[out->len - 1]))
		buf_truncate(out, out->len - 1);
	size_t lead = 0;
	while (lead < out->len && isspace((unsigned char)out->data[lead]))
		lead++;
	buf_consume(out, lead);
}

static int keys_set(const struct config *cfg, const char *name)
{
	const char *type = provider_type(cfg, name);
	if (!type)
		return cli_usage_error("keys", "unknown provider '%s' (built-in: openai, anthropic; others are configured in config.json)", name);
	if (strcmp(type, "ollama") == 0)
		return cli_fail("keys", "%s is an Ollama server, which needs no key", name);
	if (strcmp(type, "bedrock") == 0)
		return cli_fail("keys", "%s uses the AWS credential chain: set AWS_PROFILE, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_BEARER_TOKEN_BEDROCK", name);
	struct buf key = BUF_INIT;
	read_secret(&key);
	struct err e = ERR_INIT;
	char *file, *note;
	int rc = creds_store_key(name, key.len ? key.data : "", key.len, &file, &note, &e);
	if (key.data)
		explicit_bzero(key.data, key.len);
	buf_free(&key);
	if (note)
		fprintf(stderr, "aiwb keys: %s\n", note);
	if (rc == 0)
		printf("stored the key for %s in %s (mode 0600)\n", name, file);
	free(note);
	free(file);
	return rc == 0 ? 0 : cli_fail("keys", "%s", e.msg);
}

static int keys_rm(const struct config *cfg, const char *name)
{
	if (!provider_type(cfg, name))
		return cli_usage_error("keys", "unknown provider '%s'", name);
	char *file = creds_key_file(name);
	int rc = unlink(file);
	int saved = errno;
	if (rc == 0)
		printf("removed the key file %s\n", file);
	free(file);
	if (rc != 0 && saved == ENOENT)
		return cli_fail("keys", "there is no key file for %s", name);
	if (rc != 0)
		return cli_fail("keys", "cannot remove the key file for %s: %s", name, strerror(saved));
	return 0;
}

static int keys_ls(const struct config *cfg, int json)
{
	cJSON *arr = cJSON_CreateArray();
	size_t nb = sizeof builtin / sizeof *builtin;
	for (size_t i = 0; i < nb + cfg->nproviders; i++) {
		const char *name = i < nb ? builtin[i] : cfg->providers[i - nb].name;
		if (i >= nb && provider_type(cfg, name) != cfg->providers[i - nb].type)
			continue; /* a built-in name configured again: listed once */
		struct creds_status cs;
		creds_probe(name, provider_type(cfg, name), provider_config(cfg, name), &cs);
		if (json) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "provider", name);
			cJSON_AddStringToObject(o, "credentials", creds_state_name(cs.state));
			if (cs.source[0])
				cJSON_AddStringToObject(o, "source", cs.source);
			cJSON_AddItemToArray(arr, o);
		} else {
			printf("%-12s %-11s %s\n", name, creds_state_name(cs.state), cs.source[0] ? cs.source : cs.hint);
		}
	}
	if (json) {
		char *s = cJSON_Print(arr);
		puts(s);
		free(s);
	}
	cJSON_Delete(arr);
	return 0;
}

int cmd_keys(int argc, char **argv)
{
	int json = 0;
	const char *words[3] = { 0 };
	int nwords = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (argv[i][0] == '-')
			return cli_usage_error("keys", "unknown option '%s'", argv[i]);
		else if (nwords < 3)
			words[nwords++] = argv[i];
		else
			return cli_usage_error("keys", "unexpected argument '%s'", argv[i]);
	}
	if (nwords == 0)
		return cli_usage_error("keys", "missing action: set, rm or ls");
	struct config cfg;
	struct err e = ERR_INIT;
	if (config_load(&cfg, NULL, &e) != 0) {
		config_free(&cfg);
		return cli_fail("keys", "%s", e.msg);
	}
	int rc;
	const char *action = words[0];
	if (strcmp(action, "ls") == 0 && nwords == 1)
		rc = keys_ls(&cfg, json);
	else if (strcmp(action, "set") == 0 && nwords == 2 && !json)
		rc = keys_set(&cfg, words[1]);
	else if (strcmp(action, "rm") == 0 && nwords == 2 && !json)
		rc = keys_rm(&cfg, words[1]);
	else if (strcmp(action, "set") == 0 || strcmp(action, "rm") == 0)
		rc = cli_usage_error("keys", "'keys %s' takes one provider name and no --json", action);
	else if (strcmp(action, "ls") == 0)
		rc = cli_usage_error("keys", "'keys ls' takes no provider name");
	else
		rc = cli_usage_error("keys", "unknown action '%s' (set, rm or ls)", action);
	config_free(&cfg);
	return rc;
}
