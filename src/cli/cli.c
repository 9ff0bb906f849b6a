#include "cli/cli.h"

#include <stdarg.h>
#include <string.h>

const char *(*cli_ui_version)(void);

static const char doctor_usage[] =
	"usage: aiwb doctor [--json]\n"
	"\n"
	"Shows what aiwb sees: version, data home, config file, library versions and\n"
	"curl features, SQLite with FTS5, and for each provider whether credentials are\n"
	"present and where they come from (never the secret itself).\n"
	"\n"
	"  --json    one JSON object on stdout (documented in docs/cli.md)\n"
	"  -h, --help\n"
	"\n"
	"Exit status: 0 when aiwb can run, 1 when something stops it (the problem is named).\n";

static const char keys_usage[] =
	"usage: aiwb keys set PROVIDER     read an API key from standard input and store it\n"
	"       aiwb keys rm PROVIDER      remove a stored key\n"
	"       aiwb keys ls [--json]      where each provider's credentials come from\n"
	"\n"
	"Keys are stored one per file in $AIWB_HOME/keys/PROVIDER, created with mode 0600.\n"
	"The key is read from standard input (hidden when it is a terminal), never from\n"
	"the command line, so it does not land in shell history or the process list:\n"
	"  aiwb keys set openai            (type or paste the key)\n"
	"  pass show openai | aiwb keys set openai\n"
	"A key variable in the environment (OPENAI_API_KEY, ...) takes precedence over the file.\n"
	"Bedrock uses the AWS credential chain and Ollama needs no key.\n";

const struct cli_command cli_commands[] = {
	{ "doctor", "what is configured, reachable, missing", doctor_usage, cmd_doctor },
	{ "keys", "store, remove and list API keys", keys_usage, cmd_keys },
	{ NULL, NULL, NULL, NULL },
};

const struct cli_command *cli_find(const char *name)
{
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void cli_print_help(FILE *out)
{
	fprintf(out, "usage: aiwb [--theme NAME] [--frames N]\n"
		     "       aiwb COMMAND [OPTIONS]\n"
		     "\n"
		     "aiwb is a terminal AI workbench: pick and compare foundation models, try prompt\n"
		     "techniques, test a knowledge base and watch jobs. With no command it opens the\n"
		     "workbench; a command does one job from the shell.\n"
		     "\n"
		     "Commands:\n");
	for (const struct cli_command *c = cli_commands; c->name; c++)
		fprintf(out, "  %-12s %s\n", c->name, c->summary);
	fprintf(out, "\n"
		     "Workbench options:\n"
		     "  --theme NAME   colour theme (default, light, high-contrast, or your own)\n"
		     "  --frames N     draw N frames and exit (for tests and benchmarks)\n"
		     "  -h, --help     this help;  -V, --version  the version\n"
		     "\n"
		     "'aiwb COMMAND --help' describes a command. Data lives in $AIWB_HOME\n"
		     "(default ~/.local/share/aiwb); the config file is $AIWB_CONFIG\n"
		     "(default ~/.config/aiwb/config.json).\n");
}

int cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

static void print_prefix(const char *cmd)
{
	if (cmd)
		fprintf(stderr, "aiwb %s: ", cmd);
	else
		fputs("aiwb: ", stderr);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	print_prefix(cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "; see 'aiwb %s --help'\n", cmd);
	else
		fprintf(stderr, "; see 'aiwb --help'\n");
	return 2;
}

int cli_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	print_prefix(cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int cli_run(int argc, char **argv)
{
	const struct cli_command *c = cli_find(argv[0]);
	if (!c)
		return cli_usage_error(NULL, "unknown command '%s'", argv[0]);
	if (cli_wants_help(argc, argv)) {
		fputs(c->usage, stdout);
		return 0;
	}
	return c->run(argc, argv);
}
