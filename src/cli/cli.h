/* cli — the subcommands of DESIGN.md §5.
 *
 * cli_run() takes argv with argv[0] = the subcommand name and returns the exit
 * status: 0 success, 1 failure, 2 usage error. Every subcommand answers --help
 * on stdout with exit 0; usage errors print one sentence on stderr. */
#ifndef AIWB_CLI_H
#define AIWB_CLI_H

#include <stdio.h>

#include "cli/out.h"

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
/* Set by main(): the UI libraries' version strings, for doctor (src/ never
 * includes curses; readline is loaded by the UI when first needed). */
extern const char *(*cli_ui_version)(void);
extern const char *(*cli_readline_version)(void);

int cmd_doctor(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_ask(int argc, char **argv);
int cmd_chat(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_prompt(int argc, char **argv);
int cmd_models(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_experiment(int argc, char **argv);
int cmd_jobs(int argc, char **argv);
extern const char jobs_usage[];
int cmd_guard(int argc, char **argv);
int cmd_kb(int argc, char **argv);
extern const char cli_kb_usage[];
int cmd_drift(int argc, char **argv);
extern const char cmd_drift_usage[];

#endif
