/* cli — the subcommands of DESIGN.md §5.
 *
 * cli_run() takes argv with argv[0] = the subcommand name and returns the exit
 * status: 0 success, 1 failure, 2 usage error. Every subcommand answers --help
 * on stdout with exit 0; usage errors print one sentence on stderr. */
#ifndef AIWB_CLI_H
#define AIWB_CLI_H

#include <stdio.h>

struct cli_command {
	const char *name;
	const char *summary;
	const char *usage; /* full --help text */
	int (*run)(int argc, char **argv);
};

extern const struct cli_command cli_commands[];

int cli_run(int argc, char **argv);
const struct cli_command *cli_find(const char *name);
void cli_print_help(FILE *out);
/* Prints "aiwb CMD: MESSAGE; see 'aiwb CMD --help'" and returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "aiwb: MESSAGE" (or "aiwb CMD: ...") and returns 1. */
int cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* True when argv holds -h or --help before any "--". */
int cli_wants_help(int argc, char **argv);

/* Set by main(): the UI libraries' version strings, for doctor (src/ never
 * includes curses; readline is loaded by the UI when first needed). */
extern const char *(*cli_ui_version)(void);
extern const char *(*cli_readline_version)(void);

int cmd_doctor(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_ask(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_prompt(int argc, char **argv);
int cmd_models(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_experiment(int argc, char **argv);
int cmd_drift(int argc, char **argv);
extern const char cmd_drift_usage[];

#endif
